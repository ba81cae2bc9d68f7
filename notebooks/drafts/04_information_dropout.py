# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4. Information Dropout: a learned, variational bottleneck
#
# **Claim (slides 8-9).** Multiply each activation by log-normal noise whose variance $\alpha(x)$ is
# *learned*, and penalise the KL divergence it buys {cite}`achille2018information`:
#
# $$
# \mathcal{L} = H_{p,q}(y \mid z) + \beta\, \mathbb{E}_x \mathrm{KL}\big(p(z\mid x)\,\|\,q(z)\big),
# \qquad z = f(x)\cdot e^{\alpha(x)\,\varepsilon},\ \varepsilon\sim\mathcal{N}(0,1).
# $$
#
# The KL term is a variational upper bound on $I(z;x)$, so this is an information bottleneck on every layer:
# only the informative part of the image passes, deeper layers filter more nuisances, and a stronger
# bottleneck (larger β) filters more. We put an Information Dropout layer (`ibcore.models.InformationDropout`)
# in every block of [chapter 3](03_architecture_invariance.ipynb)'s plain network, train it on its cluttered digits,
# and read the result with its probes and with the noise maps $\alpha(x)$ themselves.
#
# **In this chapter** you will see: how much a learned multiplicative noise removes of what the last block
# knows about the task and about three nuisances, as β grows ({numref}`fig-04-last-block`, {numref}`fig-04-blocks`);
# how much noise each block adds ({numref}`fig-04-alpha-depth`); where in the image the network chooses to be noisy
# ({numref}`fig-04-noise-maps`); and which of the slides' claims the numbers support, contradict or leave open.
#
# Source of this chapter: {download}`04_information_dropout.py <04_information_dropout.py>` (jupytext),
# with its outputs in {download}`04_information_dropout.ipynb <04_information_dropout.ipynb>`.

# %% tags=["parameters"]
seed = 0  # first seed; repeated runs use seed, seed+1, ...
scale = "book"  # "smoke" (seconds), "book" (the committed outputs), "paper" (longer training)
device = "auto"  # "auto", "cpu", "cuda"
convention = "unit"  # "unit": beta per unit of each layer; "sum": the paper's beta on the KL summed over units
betas = [0.0, 0.03, 0.1, 0.3]  # the beta grid (in the chosen convention), must include 0
beta_chosen = 0.1  # the beta run with several seeds and compared with no bottleneck
n_seeds = 3  # seeds at beta 0 and at beta_chosen
dropout = 0.2  # drop probability of the plain-dropout baseline
beta_sum = 3e-5  # one extra run in the paper's summed convention, to compare how alpha grows with depth

# %% tags=["hide-input"]
from ibcore import params

cfg = params.resolve("04", scale=scale, seed=seed, device=device,
                     convention=params.check_choice("convention", convention, ("unit", "sum")),
                     betas=params.check_values("betas", betas, 0.0, 100.0, min_count=4, sort=True),
                     beta_chosen=params.check_range("beta_chosen", beta_chosen, 0.0, 100.0, low_open=True),
                     n_seeds=params.check_int("n_seeds", n_seeds, minimum=1, maximum=10),
                     dropout=params.check_range("dropout", dropout, 0.0, 0.9, low_open=True),
                     beta_sum=params.check_range("beta_sum", beta_sum, 0.0, 1.0, low_open=True))
if cfg.betas[0] != 0.0 or cfg.beta_chosen not in cfg.betas:
    raise ValueError(f"betas must include 0 and beta_chosen={cfg.beta_chosen}, got {list(cfg.betas)}")
cfg

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
import torch.nn.functional as F

from ibcore import plots
from ibcore.claims import Claims, glue_values, verdict_by_margin
from ibcore.data import CLUTTER_NUISANCES, ClutteredDigits
from ibcore.info import block_representations, probe_blocks
from ibcore.losses import information_dropout_loss
from ibcore.models import ConvNetConfig, IDConvNet
from ibcore.train import accuracy, train_classifier

plots.set_theme()
data = ClutteredDigits(n_train=cfg.n_train, n_probe=cfg.n_probe, n_test=cfg.n_test, canvas=cfg.canvas, seed=cfg.seed)
arch = ConvNetConfig(canvas=cfg.canvas)  # chapter 3's plain network: 16-32-32-64, stride 2
depth = len(arch.channels)
LAYERS = [f"block {i + 1}" for i in range(depth)] + ["global pool"]
NUISANCES = ["noise", "clutter", "distractor"]  # what Information Dropout should filter (position: see below)
x_probe, x_test = data.x_probe.to(cfg.device), data.x_test.to(cfg.device)
targets_probe = {"task": data.y_probe, **{k: data.nuisances_probe[k] for k in CLUTTER_NUISANCES}}
targets_test = {"task": data.y_test, **{k: data.nuisances_test[k] for k in CLUTTER_NUISANCES}}

# %% [markdown]
# ## Training with a bottleneck on every layer
#
# Each block is conv 3×3 (stride 2) → batch norm → Information Dropout with ReLU activations and the
# log-uniform prior, for which $\mathrm{KL} = -\log\alpha(x)$ per unit up to a constant; $\alpha(x)$ comes from a
# 1×1 convolution of the activations, bounded by $\alpha_{\max} = 0.7$, and starts near 0.08. The network is
# trained with test-time behaviour as in the paper: no noise at test time (the median of the noise).
#
# **Which β.** `ibcore.losses.information_dropout_loss` takes either convention. The paper's
# ($L_x + \beta\sum_i \mathrm{KL}_i/N_{\text{train}}$) sums the KL over all units, so a layer's share of the
# penalty grows with its number of units: block 1 has {glue:text}`units_first:,.0f` units and block
# {glue:text}`depth` only {glue:text}`units_last:,.0f`. The chapter uses the **per-unit** convention
# (`convention="unit"`): each layer's KL is averaged over its units, so β prices the mean unit of every layer
# alike; β here equals a paper β of β/units, layer by layer. β is ramped in linearly over the first half of
# training, as in the paper, so that the network first learns the task.
#
# **What passes.** The bottleneck bounds the information in the *noisy* representation $z$, not in the
# noise-free activations $f(x)$: a unit may still vary with a nuisance, as long as its noise drowns that
# variation. So the probes read $z$ with its noise drawn (one draw per image, `sample=True`), and, as a
# second view, the noise-free $f(x)$.

# %%
def train_id(beta: float, seed: int, prior: str = "log-uniform", convention: str | None = None):
    """An Information Dropout network at ``beta`` (ramped in over the first half of training)."""
    convention = convention or cfg.convention
    total = cfg.epochs * (cfg.n_train // cfg.batch_size)

    def loss_fn(model, xb, yb, step):
        out = model.forward_all(xb)
        ramp = min(1.0, step / (0.5 * total))
        units = out["units"] if convention == "unit" else None
        return information_dropout_loss(out["logits"], yb, out["kl"], beta * ramp, units=units)

    return train_classifier(lambda: IDConvNet(arch, prior=prior), data.x_train, data.y_train, epochs=cfg.epochs,
                            batch_size=cfg.batch_size, lr=cfg.lr, seed=seed, device=cfg.device, loss_fn=loss_fn,
                            desc=f"beta={beta:g} seed {seed} {prior} {convention}")


def measure(model, name: str, beta: float, seed: int) -> tuple[dict, list[dict]]:
    """Test accuracy, per-block mean alpha and KL, and probe bits of every block (noisy and noise-free)."""
    model.eval()
    row = {"model": name, "beta": beta, "seed": seed, "test_acc": accuracy(model, x_test, data.y_test)}
    if isinstance(model, IDConvNet):
        with torch.no_grad():
            outs = [model.forward_all(chunk) for chunk in x_test.split(1000)]
        row |= {f"alpha_{i + 1}": float(torch.cat([o["alpha"][i] for o in outs]).mean()) for i in range(depth)}
        row |= {f"kl_{i + 1}": float(torch.cat([o["kl"][i] for o in outs]).mean()) for i in range(depth)}
    bits = []
    for sample in (True, False):
        torch.manual_seed(cfg.seed)  # the same noise draws for every model
        reps_p = block_representations(model, x_probe, sample=sample)
        reps_t = block_representations(model, x_test, sample=sample)
        # every block of the noisy z where the block-by-block figure needs it; else the last two blocks
        keep = range(len(LAYERS)) if sample and beta in (0.0, cfg.beta_chosen) else [depth - 2, depth - 1]
        bits += probe_blocks([reps_p[i] for i in keep], targets_probe, [reps_t[i] for i in keep], targets_test,
                             [LAYERS[i] for i in keep], model=name, beta=beta, seed=seed,
                             representation="noisy z" if sample else "noise-free f(x)")
    return row, bits


runs, rows, bit_rows = {}, [], []
for beta in cfg.betas:
    for s in range(cfg.seed, cfg.seed + (cfg.n_seeds if beta in (0.0, cfg.beta_chosen) else 1)):
        runs[(beta, s)], _ = train_id(beta, s)
        row, b = measure(runs[(beta, s)], "information dropout", beta, s)
        rows.append(row), bit_rows.extend(b)
dropout_model, _ = train_classifier(ConvNetConfig(canvas=cfg.canvas, dropout=cfg.dropout), data.x_train, data.y_train,
                                    epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, seed=cfg.seed,
                                    device=cfg.device, desc="plain dropout")
row, b = measure(dropout_model, f"dropout p={cfg.dropout:g}", np.nan, cfg.seed)
rows.append(row), bit_rows.extend(b)
lognormal, _ = train_id(cfg.beta_chosen, cfg.seed, prior="log-normal")
row, b = measure(lognormal, "information dropout, log-normal prior", cfg.beta_chosen, cfg.seed)
rows.append(row), bit_rows.extend(b)
other = "sum" if cfg.convention == "unit" else "unit"
other_beta = cfg.beta_sum if other == "sum" else cfg.beta_chosen
other_model, _ = train_id(other_beta, cfg.seed, convention=other)
row, b = measure(other_model, f"information dropout, {other} convention", other_beta, cfg.seed)
rows.append(row), bit_rows.extend(b)
results, bits = pd.DataFrame(rows), pd.DataFrame(bit_rows)
alpha_cols = [f"alpha_{i + 1}" for i in range(depth)]
results[["model", "beta", "seed", "test_acc"] + alpha_cols].round({c: 3 for c in ["test_acc"] + alpha_cols})

# %% [markdown]
# ## What the last block keeps, against β
#
# Held-out bits of a linear probe ([chapter 3](03_architecture_invariance.ipynb)'s estimator, `ibcore.info.probe_blocks`; its L2 strength chosen by cross-validation on the probe split) about the task and each
# nuisance, read from the last block; means over seeds where there are several. Solid: the noisy $z$;
# dashed: the noise-free $f(x)$.

# %%
last = f"block {depth}"
idrop = bits[bits.model == "information dropout"]
per_beta = idrop.groupby(["representation", "beta", "layer", "target"])["bits"].mean().reset_index()
noisy = per_beta[per_beta.representation == "noisy z"]
fig, axes = plt.subplots(1, 4, figsize=(12, 3.2), sharex=True)
left = cfg.betas[1] / 3  # where beta = 0 is drawn on the log axis
for ax, target in zip(axes, ["task"] + NUISANCES):
    for rep, ls in (("noisy z", "-"), ("noise-free f(x)", "--")):
        d = per_beta[(per_beta.representation == rep) & (per_beta.layer == last) & (per_beta.target == target)]
        ax.plot(d["beta"].replace(0.0, left), d["bits"], marker="o", ls=ls, label=rep)
    ax.set(xscale="log", xlabel="β (β = 0 drawn at the left)", title=target, ylabel="bits" if target == "task" else "")
axes[-1].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
fig.suptitle(f"{last}: held-out probe bits", fontsize="medium")
fig.tight_layout()
plots.glue_figure("fig-04-last-block", fig)

# %% [markdown]
# ```{glue:figure} fig-04-last-block
# :name: fig-04-last-block
#
# Held-out probe bits about the task and the three nuisances in the last block, against β (β = 0 drawn at the
# left of the log axis). Solid: the noisy representation $z$; dashed: the noise-free activations $f(x)$.
# ```

# %% [markdown]
# And every block, at β = 0 and at the chosen β (noisy $z$): the nuisances are filtered block by block.

# %%
sel = noisy[noisy.beta.isin([0.0, cfg.beta_chosen]) & noisy.target.isin(["task"] + NUISANCES)]
grid = sns.relplot(data=sel, x="layer", y="bits", hue="target", style="beta", kind="line", marker="o",
                   height=3.2, aspect=1.9)
grid.ax.set(xlabel="", ylabel="held-out bits (noisy z)")
plots.glue_figure("fig-04-blocks", grid.figure)

# %% [markdown]
# ```{glue:figure} fig-04-blocks
# :name: fig-04-blocks
#
# Held-out probe bits of the noisy representation block by block, at β = 0 and at the chosen β, for the task
# and each nuisance.
# ```

# %% [markdown]
# ## How much noise each block adds
#
# Mean α over all units of each block, on the test images (means over seeds); dashed: one network trained
# with the other convention for β (the paper's KL summed over units, β = {glue:text}`beta_other`).

# %%
ida = results[results.model == "information dropout"].groupby("beta")[alpha_cols + ["test_acc"]].mean()
fig, ax = plt.subplots(figsize=(7.4, 3.4))
for beta, r in ida.iterrows():
    ax.plot(range(1, depth + 1), r[alpha_cols].to_numpy(), marker="o", label=f"β = {beta:g}")
r = results[results.model.str.endswith(f"{other} convention")].iloc[0]
ax.plot(range(1, depth + 1), r[alpha_cols].to_numpy(dtype=float), marker="s", ls="--", color="k",
        label=f"{other} convention, β = {other_beta:g}")
ax.set(xlabel="block", ylabel="mean α", xticks=range(1, depth + 1))
ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.02, 0.5))
fig.tight_layout()
plots.glue_figure("fig-04-alpha-depth", fig)
ida.round(4)

# %% [markdown]
# ```{glue:figure} fig-04-alpha-depth
# :name: fig-04-alpha-depth
#
# Mean noise α of each block on the test images, for every β of the grid (per-unit convention, means over
# seeds) and for one network trained with the paper's summed convention (dashed).
# ```

# %% [markdown]
# ## Noise maps: where the network chooses to be noisy
#
# $-\log\alpha(x)$ averaged over channels, at each block ({numref}`fig-04-noise-maps`).
# The table after the figure compares the blocks' mean α over the digit, the clutter and the background.

# %%
@torch.no_grad()
def alpha_maps(model, x: torch.Tensor) -> list[torch.Tensor]:
    """Channel-mean alpha of each block, upsampled to the canvas: list of (B, H, W)."""
    model.eval()
    out = model.forward_all(x.to(cfg.device))["alpha"]
    return [F.interpolate(a.mean(1, keepdim=True), size=x.shape[-2:], mode="nearest")[:, 0].cpu() for a in out]


show = torch.arange(3)
rows_maps = [(b, i, alpha_maps(runs[(b, cfg.seed)], data.x_test[show])) for i in show.tolist() for b in (0.0, cfg.beta_chosen)]
depth_maps = len(rows_maps[0][2])
# -log alpha: the per-unit KL of the log-uniform prior up to a constant (what the paper's maps show);
# one colour scale per block, shared by both betas and all images shown
neglog = [[-torch.log(m[r]) for m in maps] for r, (_, _, maps) in zip([0, 0, 1, 1, 2, 2], rows_maps)]
lims = [(min(float(n[k].min()) for n in neglog), max(float(n[k].max()) for n in neglog)) for k in range(depth_maps)]
fig, axes = plt.subplots(len(rows_maps), 3 + depth_maps, figsize=(1.45 * (3 + depth_maps), 1.45 * len(rows_maps) + 0.6),
                         squeeze=False)
for r, ((b, i, maps), nl) in enumerate(zip(rows_maps, neglog)):
    panels = [(data.x_test[i, 0], f"image (β = {b:g})"), (data.digit_mask_test[i].float(), "digit"),
              (data.clutter_mask_test[i].float(), "clutter")]
    for k, (img, title) in enumerate(panels):
        axes[r, k].imshow(img, cmap="gray")
        axes[r, k].set_title(title, fontsize="x-small")
    for k in range(depth_maps):
        im = axes[r, 3 + k].imshow(nl[k], cmap="magma", vmin=lims[k][0], vmax=lims[k][1])
        axes[r, 3 + k].set_title(f"−log α, block {k + 1}", fontsize="x-small")
        if r == len(rows_maps) - 1:
            fig.colorbar(im, ax=axes[:, 3 + k], orientation="horizontal", fraction=0.03, pad=0.02)
for ax in axes.flat:
    ax.set_xticks([]), ax.set_yticks([])
plots.glue_figure("fig-04-noise-maps", fig)

# %% [markdown]
# ```{glue:figure} fig-04-noise-maps
# :name: fig-04-noise-maps
#
# Noise maps: $-\log\alpha(x)$ averaged over channels (the per-unit KL of the log-uniform prior, up to a
# constant), for three test images at β = 0 and at the chosen β, beside the image, the digit's mask and the
# clutter. Bright: little noise, information passes; dark: the block drowns it. Each block has one colour
# scale, shared by both β and all images (bars below).
# ```

# %% [markdown]
# Mean α over the digit's pixels, the clutter's and the empty background, block by block, at β = 0 and at the
# chosen β (seed {glue:text}`seed`):

# %%
def region_alpha(model) -> pd.DataFrame:
    """Mean alpha over digit, clutter and background pixels of the test images, per block."""
    maps = [torch.cat(parts) for parts in zip(*[alpha_maps(model, chunk) for chunk in data.x_test.split(1000)])]
    digit, clutter = data.digit_mask_test, data.clutter_mask_test
    background = ~(digit | clutter)
    return pd.DataFrame([{"block": k + 1, "digit": float(m[digit].mean()), "clutter": float(m[clutter].mean()),
                          "background": float(m[background].mean())} for k, m in enumerate(maps)])


regions = {b: region_alpha(runs[(b, cfg.seed)]) for b in (0.0, cfg.beta_chosen)}
for table in regions.values():
    table["clutter - digit"] = table["clutter"] - table["digit"]
pd.concat(regions, names=["beta"]).round(4)

# %%
ida_rows = results[results.model == "information dropout"]
acc0 = ida_rows[ida_rows.beta == 0.0]["test_acc"].mean()
accb = ida_rows[ida_rows.beta == cfg.beta_chosen]["test_acc"].mean()
noisy_last = noisy[noisy.layer == last].pivot(index="beta", columns="target", values="bits")
clean_last = per_beta[(per_beta.representation != "noisy z") & (per_beta.layer == last)].pivot(
    index="beta", columns="target", values="bits")
# a held-out probe estimate is a lower bound with a bias; below zero it is "no evidence", so clip at 0
nuis_last = noisy_last[NUISANCES].clip(lower=0).sum(axis=1)
alphas_chosen = ida.loc[cfg.beta_chosen, alpha_cols].to_numpy(dtype=float)
reg_b, reg_0 = regions[cfg.beta_chosen], regions[0.0]
# held-out estimates below 0 are "no evidence" (clipped at 0); the beta = 0 side is floored at 0.05 bits so that
# a ratio of two estimates that are both noise cannot pass (a fixed choice, as in chapter 3)
ratio = lambda col: max(float(col[cfg.beta_chosen]), 0.0) / max(float(col[0.0]), 0.05)  # noqa: E731
ratio_noise, ratio_task = ratio(noisy_last["noise"]), ratio(noisy_last["task"])
beta_max = cfg.betas[-1]
lost = lambda col: 1 - max(float(col[beta_max]), 0.0) / max(float(col[0.0]), 0.05)  # noqa: E731
selectivity = lost(nuis_last) - lost(noisy_last["task"].clip(lower=0))
rho_depth = float(pd.Series(alphas_chosen).rank().corr(pd.Series(np.arange(len(alphas_chosen))).rank()))
log_gap = lambda r: np.log(r["clutter"] / r["digit"])  # noqa: E731
log_gap_change = float(np.median([log_gap(rb) - log_gap(r0) for (_, rb), (_, r0) in zip(reg_b.iterrows(), reg_0.iterrows())
                                  if rb.block > 1]))
last_bits = lambda model: bits[(bits.model == model) & (bits.layer == last) & (bits.representation == "noisy z")].set_index("target")["bits"]  # noqa: E731
drop_name = f"dropout p={cfg.dropout:g}"
drop_bits, ln_bits = last_bits(drop_name), last_bits("information dropout, log-normal prior")
drop_acc = results[results.model == drop_name]["test_acc"].iloc[0]
ln_acc = results[results.model.str.contains("log-normal")]["test_acc"].iloc[0]
# the beta > 0 whose test accuracy is closest to plain dropout's, for claim 5
matched = (ida.test_acc.drop(0.0) - drop_acc).abs().idxmin()
ln_nuis = float(ln_bits[NUISANCES].clip(lower=0).sum())
drop_minus_id = float(drop_bits[NUISANCES].clip(lower=0).sum() - nuis_last[matched])
alphas_other = results[results.model.str.endswith(f"{other} convention")][alpha_cols].iloc[0].to_numpy(dtype=float)
acc_other = results[results.model.str.endswith(f"{other} convention")]["test_acc"].iloc[0]
units = [c * (cfg.canvas // 2 ** (i + 1)) ** 2 for i, c in enumerate(arch.channels)]
third = f"block {depth - 1}"
noise_third = noisy[(noisy.layer == third) & (noisy.target == "noise")].set_index("beta")["bits"]
glue_values({"units_first": units[0], "units_last": units[-1], "depth": depth, "seed": cfg.seed,
             "acc0": acc0, "accb": accb, "beta_chosen": f"{cfg.beta_chosen:g}",
             "noise0": noisy_last.loc[0.0, "noise"], "noiseb": noisy_last.loc[cfg.beta_chosen, "noise"],
             "noise0_clean": clean_last.loc[0.0, "noise"], "noise3_0": noise_third[0.0],
             "noise3_b": noise_third[cfg.beta_chosen], "noise3_max": noise_third[cfg.betas[-1]],
             "beta_max": f"{cfg.betas[-1]:g}", "acc_max": ida.loc[cfg.betas[-1], "test_acc"],
             "pos_last0": noisy_last.loc[0.0, "position"], "pos_pool0": noisy[(noisy.layer == "global pool")
                                                                               & (noisy.target == "position")
                                                                               & (noisy.beta == 0.0)]["bits"].iloc[0],
             "alphas_chosen": ", ".join(f"{a:.2f}" for a in alphas_chosen),
             "alphas_other": ", ".join(f"{a:.2f}" for a in alphas_other), "beta_other": f"{other_beta:g}",
             "other": other, "acc_other": acc_other,
             "nuis0": nuis_last[0.0], "nuisb": nuis_last[cfg.beta_chosen]})

# %% [markdown]
# **What we see.** At β = {glue:text}`beta_chosen` the test accuracy is {glue:text}`accb:.3f` against
# {glue:text}`acc0:.3f` at β = 0 (means over seeds). The last block's noisy representation holds
# {glue:text}`noiseb:.2f` bits about the noise level against {glue:text}`noise0:.2f` at β = 0, and
# {glue:text}`nuisb:.2f` against {glue:text}`nuis0:.2f` bits about the three nuisances together (each clipped
# at zero). The noise-free activations tell another story: at β = 0 they hold {glue:text}`noise0_clean:.2f`
# bits about the noise level, and *more* as β grows (dashed lines). The bottleneck does not make $f(x)$
# invariant; it makes the network drown the nuisance-carrying variation of $f(x)$ in noise, which is all the
# KL term asks for. One block earlier, where the plain network still carries {glue:text}`noise3_0:.2f` bits
# about the noise level, the bottleneck leaves {glue:text}`noise3_b:.2f` at the chosen β and
# {glue:text}`noise3_max:.2f` at β = {glue:text}`beta_max` (test accuracy {glue:text}`acc_max:.3f`).
# Position is not counted among the nuisances: the last block is a spatial map that keeps
# {glue:text}`pos_last0:.2f` bits of it at β = 0, which the global pooling after it reduces to
# {glue:text}`pos_pool0:.2f` bits (not to zero: on a 32 px canvas the strides alias position, chapter 3).
#
# **Depth.** The nuisance bits fall block by block, but they do so at β = 0 too (chapter 3), and the noise
# itself does not grow with depth: the mean α per block at the chosen β is {glue:text}`alphas_chosen`, and
# with the paper's summed convention (β = {glue:text}`beta_other`, test accuracy {glue:text}`acc_other:.3f`)
# it is {glue:text}`alphas_other`. Under the summed convention a block pays for every one of its units, so the
# large early blocks are pushed hardest; under the per-unit convention every block pays the same per unit,
# and the noise is highest in the first block (many background units, where zero ReLU outputs give α no
# gradient from the task, so the KL alone sets it) and in the last (the global average after it averages
# the noise away cheaply). Neither gives "α grows with depth", so claim 3 is reported, not asserted.
#
# **Beside the paper.** On Cluttered MNIST (96 px; in the authors' code, four Information Dropout layers each
# after two 3×3 convolutions, α from a parallel 3×3 convolution, 80 epochs) Achille & Soatto
# {cite}`achille2018information` show KL maps that light up on the digit and stay dark on
# the clutter at deep layers, and on Occluded CIFAR the representation of the last layers keeps little
# information about the occluding image. Here the network is much smaller and shorter-trained, and its plain
# version already filters most of the pixel-level nuisances by depth alone (chapter 3); what β adds shows in
# the noisy representation of the blocks past the first, and in the noise maps, which are dark on the digit.

# %% [markdown]
# ## Claim check
#
# One claim is asserted: the chosen β at least halves the last block's noise-level bits, with the task's bits as
# its control (a bottleneck that halved them too would be throwing information away, not filtering). The
# others are reported with the verdicts their rules give: on the KL's own scale, $\log(\alpha_{\text{clutter}}
# / \alpha_{\text{digit}})$, the claim that β sharpens the clutter-digit contrast (claim 4, median change
# {glue:text}`log_gap_change:.2f` nats) gets **{glue:text}`verdict_4`**; "deeper filters more" (claim 3,
# ρ = {glue:text}`rho_depth:.2f`) gets **{glue:text}`verdict_3`**; selectivity (claim 2,
# {glue:text}`selectivity:.2f`) gets **{glue:text}`verdict_2`**. Still open from issue 15: a network with fixed, unlearned noise
# matched to the learned α as the control of selectivity (claim 2), batch-norm statistics re-estimated
# without noise, and intervals over seeds.

# %%
claims = Claims(chapter="04", scale=cfg.scale, seed=cfg.seed)
noise0, noiseb = noisy_last.loc[0.0, "noise"], noisy_last.loc[cfg.beta_chosen, "noise"]
task0, taskb = noisy_last.loc[0.0, "task"], noisy_last.loc[cfg.beta_chosen, "task"]
claims.add("1", slide="8-9", claim=f"beta = {cfg.beta_chosen:g} at least halves the last block's noise-level bits "
           "(noisy z; ratio to beta = 0)", value=ratio_noise, op="<=", threshold=0.5, unit="ratio",
           control="the same ratio for the task's bits, which the bottleneck should keep", control_value=ratio_task,
           chosen_on="beta_chosen, epochs and the 0.5 threshold: seed 0 (previous version of this chapter)")
claims.report("1acc", slide="8-9", claim=f"accuracy cost of beta = {cfg.beta_chosen:g}: mean test accuracy minus "
              "beta = 0's (noise-free network)", value=accb - acc0, unit="accuracy", op=">=", threshold=-0.02,
              verdict=verdict_by_margin(accb - acc0 + 0.02, 0.0), rule="supports if the cost is under 2 points, "
                                                                       "contradicts otherwise")
claims.report("2", slide="8-9", claim="selectivity: from beta = 0 to the largest beta the last block loses a larger "
              "share of its nuisance bits than of its task bits", value=selectivity, unit="share",
              op=">", threshold=0.0, verdict=verdict_by_margin(selectivity, 0.1),
              rule="supports if nuisance share lost minus task share lost > 0.1, contradicts if < -0.1, "
                   "else inconclusive (no fixed-noise control trained yet: issue 15)")
claims.report("3", slide="8-9", claim="deeper filters more: at the chosen beta the mean alpha grows with block depth "
              "(Spearman rank correlation of mean alpha with depth)", value=rho_depth, unit="Spearman rho",
              op=">", threshold=0.0, verdict=verdict_by_margin(rho_depth, 0.5),
              rule="supports if rho > 0.5, contradicts if rho < -0.5, else inconclusive")
claims.report("4", slide="8-9", claim="only the informative part passes: past block 1, log(alpha clutter / alpha "
              "digit) is larger at the chosen beta than at beta = 0 (median over blocks; scale-free)",
              value=log_gap_change, unit="nats", op=">", threshold=0.0, verdict=verdict_by_margin(log_gap_change, 0.05),
              rule="supports if the median change > 0.05, contradicts if < -0.05, else inconclusive")
claims.report("5", slide="8-9", claim="Information Dropout filters more nuisance than plain dropout at matched "
              "test accuracy (last-block nuisance bits, dropout minus Information Dropout)",
              value=drop_minus_id, unit="bits", op=">", threshold=0.0, verdict=verdict_by_margin(drop_minus_id, 0.05),
              rule="supports if > 0.05 bits, contradicts if < -0.05, else inconclusive")
claims.report("6", slide="8-9", claim="the softplus / log-normal prior variant also filters: its last-block "
              "nuisance bits minus beta = 0's", value=ln_nuis - nuis_last[0.0], unit="bits", op="<", threshold=0.0,
              verdict=verdict_by_margin(ln_nuis - nuis_last[0.0], 0.05, direction=-1),
              rule="supports if < -0.05 bits, contradicts if > 0.05, else inconclusive")
glue_values({"log_gap_change": log_gap_change, "rho_depth": rho_depth, "selectivity": selectivity,
             **{f"verdict_{c.id}": c.verdict for c in claims.reported}})
claims.record()

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
claims.check()
