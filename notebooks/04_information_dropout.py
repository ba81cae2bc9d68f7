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
betas = [0.0, 0.1, 0.3]  # the beta grid (in the chosen convention), must include 0 and beta_chosen
beta_chosen = 0.1  # the beta run with several seeds and compared with no bottleneck
n_seeds = 1  # seeds at beta 0 and at beta_chosen (book: 1, time; the spread over seeds: confirmation seeds)
dropout = 0.2  # drop probability of the plain-dropout baseline
beta_sum = 3e-5  # one extra run in the paper's summed convention, to compare how alpha grows with depth

# %% tags=["hide-input"]
from ibcore import params

cfg = params.resolve("04", scale=scale, seed=seed, device=device,
                     convention=params.check_choice("convention", convention, ("unit", "sum")),
                     betas=params.check_values("betas", betas, 0.0, 100.0, min_count=3, sort=True),
                     beta_chosen=params.check_range("beta_chosen", beta_chosen, 0.0, 100.0, low_open=True),
                     n_seeds=params.check_int("n_seeds", n_seeds, minimum=1, maximum=10),
                     dropout=params.check_range("dropout", dropout, 0.0, 0.9, low_open=True),
                     beta_sum=params.check_range("beta_sum", beta_sum, 0.0, 1.0, low_open=True))
if cfg.betas[0] != 0.0 or cfg.beta_chosen not in cfg.betas:
    raise ValueError(f"betas must include 0 and beta_chosen={cfg.beta_chosen}, got {list(cfg.betas)}")
cfg

# %% tags=["hide-input"]
import copy

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
import torch.nn.functional as F

from ibcore import plots
from ibcore.claims import Claims, glue_values, verdict_by_margin
from ibcore.data import CLUTTER_NUISANCES, ClutteredDigits
from ibcore.fixed_noise import fixed_noise_convnet, sampled_accuracy
from ibcore.info import block_representations, probe_blocks
from ibcore.info.selectivity import nuisance_bits, selectivity
from ibcore.losses import information_dropout_loss
from ibcore.models import ConvNetConfig, IDConvNet
from ibcore.train import accuracy, reestimate_batchnorm, train_classifier

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
def ramp(step: int) -> float:
    """The bottleneck's schedule: 0 at the first step, 1 from half of training on (linear in between)."""
    return min(1.0, step / (0.5 * cfg.epochs * (cfg.n_train // cfg.batch_size)))


def train_id(beta: float, seed: int, prior: str = "log-uniform", convention: str | None = None):
    """An Information Dropout network at ``beta`` (ramped in over the first half of training)."""
    convention = convention or cfg.convention

    def loss_fn(model, xb, yb, step):
        out = model.forward_all(xb)
        units = out["units"] if convention == "unit" else None
        return information_dropout_loss(out["logits"], yb, out["kl"], beta * ramp(step), units=units)

    return train_classifier(lambda: IDConvNet(arch, prior=prior), data.x_train, data.y_train, epochs=cfg.epochs,
                            batch_size=cfg.batch_size, lr=cfg.lr, seed=seed, device=cfg.device, loss_fn=loss_fn,
                            desc=f"beta={beta:g} seed {seed} {prior} {convention}")


def measure(model, name: str, beta: float, seed: int, every_block: bool = False,
            probes: bool = True) -> tuple[dict, list[dict]]:
    """Test accuracies, per-block mean alpha and KL, and probe bits of the last two blocks (every block if
    ``every_block``) of the noisy z and of the noise-free f(x).

    The noisy z is read with batch norm's statistics as trained (gathered with the noise on); the noise-free
    f(x) and its accuracy with the statistics re-estimated without noise on training images (the authors'
    no-noise pass, `ibcore.train.reestimate_batchnorm`)."""
    model.eval()
    torch.manual_seed(cfg.seed)  # the same noise draws for every model
    row = {"model": name, "beta": beta, "seed": seed, "test_acc_noisy": sampled_accuracy(model, x_test, data.y_test),
           "test_acc_trained_bn": accuracy(model, x_test, data.y_test)}
    if isinstance(model, IDConvNet):
        with torch.no_grad():
            outs = [model.forward_all(chunk) for chunk in x_test.split(1000)]
        alphas = [torch.cat([o["alpha"][i] for o in outs]) for i in range(depth)]
        active = [torch.cat([o["blocks"][i] for o in outs]) > 0 for i in range(depth)]  # units with relu(h) > 0
        row |= {f"alpha_{i + 1}": float(alphas[i].mean()) for i in range(depth)}
        row |= {f"alpha_active_{i + 1}": float(alphas[i][active[i]].mean()) for i in range(depth)}
        row |= {f"kl_{i + 1}": float(torch.cat([o["kl"][i] for o in outs]).mean()) for i in range(depth)}
    clean = reestimate_batchnorm(copy.deepcopy(model), data.x_train[:5000].to(cfg.device))
    row["test_acc"] = accuracy(clean, x_test, data.y_test)
    bits = []
    for sample, net in ((True, model), (False, clean)) if probes else ():
        torch.manual_seed(cfg.seed)
        reps_p = block_representations(net, x_probe, sample=sample)
        reps_t = block_representations(net, x_test, sample=sample)
        keep = range(len(LAYERS)) if sample and every_block else [depth - 2, depth - 1]
        bits += probe_blocks([reps_p[i] for i in keep], targets_probe, [reps_t[i] for i in keep], targets_test,
                             [LAYERS[i] for i in keep], interval=True, model=name, beta=beta, seed=seed,
                             representation="noisy z" if sample else "noise-free f(x)")
    return row, bits


runs, rows, bit_rows = {}, [], []
for beta in cfg.betas:
    for s in range(cfg.seed, cfg.seed + (cfg.n_seeds if beta in (0.0, cfg.beta_chosen) else 1)):
        runs[(beta, s)], _ = train_id(beta, s)
        row, b = measure(runs[(beta, s)], "information dropout", beta, s, every_block=beta in (0.0, cfg.beta_chosen))
        rows.append(row), bit_rows.extend(b)
# the control of selectivity: fixed, unlearned noise, one alpha per block matched to the first seed's learned
# network at the chosen beta (mean alpha over the units that are active, relu(h) > 0: the only ones the noise acts on)
matched_alphas = [rows[[(r["beta"], r["seed"]) for r in rows].index((cfg.beta_chosen, cfg.seed))][f"alpha_active_{i + 1}"]
                  for i in range(depth)]
with torch.no_grad():  # the learned network's alpha at step 0: its layer's alpha on any input, at initialisation
    alpha_start = float(IDConvNet(arch).drops[0](torch.zeros(1, arch.channels[0], 1, 1))[2][0, 0, 0, 0])


def fixed_loss(model, xb, yb, step):
    """Cross-entropy; the fixed alphas ramp from the learned network's initial alpha to their matched values over
    the first half of training, on the schedule on which the learned network's beta ramps in."""
    for drop, a in zip(model.drops, matched_alphas):
        drop.alpha.fill_(alpha_start + ramp(step) * (a - alpha_start))
    ce = F.cross_entropy(model(xb), yb)
    return {"loss": ce, "ce": ce}


fixed_model, _ = train_classifier(lambda: fixed_noise_convnet(arch, matched_alphas), data.x_train, data.y_train,
                                  epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, seed=cfg.seed,
                                  device=cfg.device, loss_fn=fixed_loss, desc="fixed noise")
for drop, a in zip(fixed_model.drops, matched_alphas):  # the matched values (the ramp ends at them)
    drop.alpha.fill_(a)
row, b = measure(fixed_model, "fixed noise", cfg.beta_chosen, cfg.seed)
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
row, b = measure(other_model, f"information dropout, {other} convention", other_beta, cfg.seed, probes=False)
rows.append(row), bit_rows.extend(b)
results, bits = pd.DataFrame(rows), pd.DataFrame(bit_rows)
alpha_cols = [f"alpha_{i + 1}" for i in range(depth)]
acc_cols = ["test_acc", "test_acc_noisy", "test_acc_trained_bn"]
results[["model", "beta", "seed"] + acc_cols + alpha_cols].round({c: 3 for c in acc_cols + alpha_cols})

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
h_bits = bits.groupby("target")["h_bits"].first()  # each target's entropy: the most a probe can read
for ax, target in zip(axes, ["task"] + NUISANCES):
    for rep, ls in (("noisy z", "-"), ("noise-free f(x)", "--")):
        d = per_beta[(per_beta.representation == rep) & (per_beta.layer == last) & (per_beta.target == target)]
        ax.plot(d["beta"].replace(0.0, left), d["bits"], marker="o", ls=ls, label=rep)
    ax.axhline(h_bits[target], color="k", lw=0.8, label="H(target)")
    ax.set(xscale="log", xlabel="β", title=f"{target} (H = {h_bits[target]:.2f} bits)",
           ylabel="bits" if target == "task" else "")
    ax.set_xticks([left] + list(cfg.betas[1:]), ["0"] + [f"{b:g}" for b in cfg.betas[1:]])
    ax.minorticks_off()
axes[-1].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
fig.suptitle(f"{last}: held-out probe bits", fontsize="medium")
fig.tight_layout()
plots.glue_figure("fig-04-last-block", fig)

# %% [markdown]
# ```{glue:figure} fig-04-last-block
# :name: fig-04-last-block
#
# Held-out probe bits about the task and the three nuisances in the last block, against β (β = 0 drawn at the
# left of the log axis). Solid: the noisy representation $z$; dashed: the noise-free activations $f(x)$. Each
# title and the black line give the target's entropy H, the most any representation can hold.
# ```

# %% [markdown]
# And every block, at β = 0 and at the chosen β (noisy $z$), the legend giving each target's entropy H in bits
# (dotted lines, in the target's colour).

# %%
sel = noisy[noisy.beta.isin([0.0, cfg.beta_chosen]) & noisy.target.isin(["task"] + NUISANCES)].copy()
sel["target"] = [f"{t} (H = {h_bits[t]:.2f})" for t in sel["target"]]
hue_order = [f"{t} (H = {h_bits[t]:.2f})" for t in ["task"] + NUISANCES]
palette = sns.color_palette(n_colors=len(hue_order))
grid = sns.relplot(data=sel, x="layer", y="bits", hue="target", style="beta", kind="line", marker="o",
                   hue_order=hue_order, palette=palette, height=3.2, aspect=1.9)
grid.ax.set(xlabel="", ylabel="held-out bits (noisy z)")
for t, color in zip(["task"] + NUISANCES, palette):  # each target's ceiling
    grid.ax.axhline(h_bits[t], color=color, lw=0.8, ls=":")
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
# Mean α over all units of each block, on the test images (means over the seeds, where there are several); dashed: one network trained
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
def kl_maps(model, x: torch.Tensor) -> list[torch.Tensor]:
    """Channel mean of -log alpha (the per-unit KL of the log-uniform prior up to a constant) of each block,
    upsampled to the canvas: list of (B, H, W)."""
    model.eval()
    out = model.forward_all(x.to(cfg.device))["alpha"]
    return [F.interpolate(-torch.log(a).mean(1, keepdim=True), size=x.shape[-2:], mode="nearest")[:, 0].cpu()
            for a in out]


show = torch.arange(3)
rows_maps = [(b, i, kl_maps(runs[(b, cfg.seed)], data.x_test[show])) for i in show.tolist() for b in (0.0, cfg.beta_chosen)]
depth_maps = len(rows_maps[0][2])
# -log alpha: the per-unit KL of the log-uniform prior up to a constant (what the paper's maps show);
# one colour scale per block, shared by both betas and all images shown
neglog = [[m[r] for m in maps] for r, (_, _, maps) in zip([0, 0, 1, 1, 2, 2], rows_maps)]
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
    """Mean -log alpha (nats per unit, up to a constant) over digit, clutter and background pixels of the test
    images, per block."""
    maps = [torch.cat(parts) for parts in zip(*[kl_maps(model, chunk) for chunk in data.x_test.split(1000)])]
    digit, clutter = data.digit_mask_test, data.clutter_mask_test
    background = ~(digit | clutter)
    return pd.DataFrame([{"block": k + 1, "digit": float(m[digit].mean()), "clutter": float(m[clutter].mean()),
                          "background": float(m[background].mean())} for k, m in enumerate(maps)])


regions = {b: region_alpha(runs[(b, cfg.seed)]) for b in (0.0, cfg.beta_chosen)}
for table in regions.values():
    table["digit - clutter"] = table["digit"] - table["clutter"]  # > 0: less noise on the digit
pd.concat(regions, names=["beta"]).round(4)

# %%
ida_rows = results[results.model == "information dropout"]
acc0 = ida_rows[ida_rows.beta == 0.0]["test_acc"].mean()
accb = ida_rows[ida_rows.beta == cfg.beta_chosen]["test_acc"].mean()
acc0_noisy = ida_rows[ida_rows.beta == 0.0]["test_acc_noisy"].mean()
accb_noisy = ida_rows[ida_rows.beta == cfg.beta_chosen]["test_acc_noisy"].mean()
accb_trained_bn = ida_rows[ida_rows.beta == cfg.beta_chosen]["test_acc_trained_bn"].mean()
noisy_last = noisy[noisy.layer == last].pivot(index="beta", columns="target", values="bits")
clean_last = per_beta[(per_beta.representation != "noisy z") & (per_beta.layer == last)].pivot(
    index="beta", columns="target", values="bits")
# a held-out probe estimate is a lower bound with a bias; below zero it is "no evidence", so clip at 0
nuis_last = noisy_last.apply(nuisance_bits, axis=1, nuisances=NUISANCES)
alphas_chosen = ida.loc[cfg.beta_chosen, alpha_cols].to_numpy(dtype=float)
active_cols = [f"alpha_active_{i + 1}" for i in range(depth)]
alphas_active = ida_rows[ida_rows.beta == cfg.beta_chosen][active_cols].mean().to_numpy(dtype=float)
reg_b, reg_0 = regions[cfg.beta_chosen], regions[0.0]
# held-out estimates below 0 are "no evidence" (clipped at 0); the beta = 0 side is floored at 0.05 bits so that
# a ratio of two estimates that are both noise cannot pass (a fixed choice, as in chapter 3)
ratio = lambda col: max(float(col[cfg.beta_chosen]), 0.0) / max(float(col[0.0]), 0.05)  # noqa: E731
ratio_noise, ratio_task = ratio(noisy_last["noise"]), ratio(noisy_last["task"])
last_noisy = bits[(bits.layer == last) & (bits.representation == "noisy z")]


def bits_of(model: str, beta: float, seed: int | None = None) -> pd.Series:
    d = last_noisy[(last_noisy.model == model) & (last_noisy.beta == beta)]
    d = d if seed is None else d[d.seed == seed]
    return d.groupby("target")["bits"].mean()


seeds_chosen = sorted(ida_rows[ida_rows.beta == cfg.beta_chosen].seed)
# measurability (added after seed 0): the beta = 0 estimate's 90 % lower bound, first seed, against the 0.05 floor
lo_0 = last_noisy[(last_noisy.model == "information dropout") & (last_noisy.beta == 0.0)
                  & (last_noisy.seed == cfg.seed)].set_index("target")["bits_lo"]
noise_lo0, nuis_lo0 = float(lo_0["noise"]), nuisance_bits(lo_0, NUISANCES)
# each seed's learned network against the same seed's beta = 0 network; the asserted value is their mean
# share of the last block's nuisance bits lost minus share of its task bits lost (`ibcore.info.selectivity`)
selectivity_seeds = [selectivity(bits_of("information dropout", cfg.beta_chosen, s),
                                 bits_of("information dropout", 0.0, s), NUISANCES) for s in seeds_chosen]
selectivity_learned = float(np.mean(selectivity_seeds))
# the control: fixed noise matched to the first seed's learned alpha, against the first seed's beta = 0 network
selectivity_fixed = selectivity(bits_of("fixed noise", cfg.beta_chosen), bits_of("information dropout", 0.0, cfg.seed),
                                NUISANCES)
fixed_row = results[results.model == "fixed noise"].iloc[0]
fixed_bits = bits_of("fixed noise", cfg.beta_chosen)
rho_depth = float(pd.Series(alphas_active).rank().corr(pd.Series(np.arange(len(alphas_active))).rank()))
gap_changes = [rb["digit - clutter"] - r0["digit - clutter"] for (_, rb), (_, r0) in zip(reg_b.iterrows(), reg_0.iterrows())
               if rb.block > 1]  # blocks 2 to depth
log_gap_change = float(np.median(gap_changes))
last_bits = lambda model: last_noisy[last_noisy.model == model].set_index("target")["bits"]  # noqa: E731
drop_name = f"dropout p={cfg.dropout:g}"
drop_bits, ln_bits = last_bits(drop_name), last_bits("information dropout, log-normal prior")
drop_acc = results[results.model == drop_name]["test_acc"].iloc[0]
ln_acc = results[results.model.str.contains("log-normal")]["test_acc"].iloc[0]
# the beta > 0 whose test accuracy is closest to plain dropout's, for claim 5
matched = (ida.test_acc.drop(0.0) - drop_acc).abs().idxmin()
acc_gap_5 = abs(float(ida.test_acc[matched]) - float(drop_acc))
ln_nuis = nuisance_bits(ln_bits, NUISANCES)
ln_task_change = float(ln_bits["task"] - noisy_last.loc[0.0, "task"])
drop_minus_id = nuisance_bits(drop_bits, NUISANCES) - float(nuis_last[matched])
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
             "beta_other_theirs": f"{other_beta * cfg.n_train:.2g}",
             "other": other, "acc_other": acc_other,
             "nuis0": nuis_last[0.0], "nuisb": nuis_last[cfg.beta_chosen],
             "acc0_noisy": acc0_noisy, "accb_noisy": accb_noisy, "accb_trained_bn": accb_trained_bn,
             "selectivity": selectivity_learned, "selectivity_fixed": selectivity_fixed,
             "selectivity_seeds": ", ".join(f"{v:.2f}" for v in selectivity_seeds),
             "matched_alphas": ", ".join(f"{a:.2f}" for a in matched_alphas),
             "acc_fixed": fixed_row["test_acc"], "acc_fixed_noisy": fixed_row["test_acc_noisy"],
             "task_fixed": fixed_bits["task"], "nuis_fixed": nuisance_bits(fixed_bits, NUISANCES),
             "taskb": noisy_last.loc[cfg.beta_chosen, "task"], "task0": noisy_last.loc[0.0, "task"],
             "noiseb_clean": clean_last.loc[cfg.beta_chosen, "noise"], "epochs": cfg.epochs,
             "alphas_active": ", ".join(f"{a:.2f}" for a in alphas_active), "n_train": f"{cfg.n_train:,}"})

# %% [markdown]
# **What we see.** At β = {glue:text}`beta_chosen` the test accuracy is {glue:text}`accb:.3f` against
# {glue:text}`acc0:.3f` at β = 0 (means over the seeds, where there are several). The last block's noisy representation holds
# {glue:text}`noiseb:.2f` bits about the noise level against {glue:text}`noise0:.2f` at β = 0, and
# {glue:text}`nuisb:.2f` against {glue:text}`nuis0:.2f` bits about the three nuisances together (each clipped
# at zero), while its task bits go from {glue:text}`task0:.2f` to {glue:text}`taskb:.2f`. With its noise drawn,
# the network's own test accuracy is {glue:text}`accb_noisy:.3f` against {glue:text}`acc0_noisy:.3f`: the
# noise that the probes see costs the classifier too. The noise-free activations (dashed lines) hold
# {glue:text}`noise0_clean:.2f` bits about the noise level at β = 0 and {glue:text}`noiseb_clean:.2f` at the
# chosen β: what the bottleneck bounds is the noisy $z$, not $f(x)$, and a network may meet the KL term by
# drowning a nuisance-carrying variation of $f(x)$ in noise without removing it from $f(x)$. One block earlier, where the β = 0 network still carries {glue:text}`noise3_0:.2f` bits
# about the noise level, the bottleneck leaves {glue:text}`noise3_b:.2f` at the chosen β and
# {glue:text}`noise3_max:.2f` at β = {glue:text}`beta_max` (test accuracy {glue:text}`acc_max:.3f`).
# Position is not counted among the nuisances: the last block is a spatial map that keeps
# {glue:text}`pos_last0:.2f` bits of it at β = 0, which the global pooling after it reduces to
# {glue:text}`pos_pool0:.2f` bits (not to zero; chapter 3 measures the same on a 48 px canvas).
#
# **Depth.** The noise-level and clutter bits fall with depth at β = 0 too (chapter 3). The noise itself: the
# mean α per block at the chosen β is {glue:text}`alphas_chosen` over all units and {glue:text}`alphas_active`
# over the active ones (claim 3, ρ = {glue:text}`rho_depth:.2f`: **{glue:text}`verdict_3`**); with the paper's
# summed convention (β = {glue:text}`beta_other`, test accuracy {glue:text}`acc_other:.3f`) it is
# {glue:text}`alphas_other` over all units. Under the summed convention a block pays for every one of its units,
# so the large early blocks are pushed hardest; under the per-unit convention every block pays the same per
# unit. Two hypotheses, not tested here, for where the per-unit noise is large: silent background units (a zero
# ReLU output gives α no gradient from the task, so the KL alone sets it) and the last block (the global average
# after it averages the noise away cheaply).
#
# **Noise maps.** The table after the maps gives the mean of $-\log\alpha$ (the per-unit KL, up to a constant)
# over the digit, the clutter and the background, block by block. The slide predicts that the bottleneck lets
# the digit through: a larger KL on the digit than on the clutter, more so at the chosen β than at β = 0. The
# change of that contrast (digit minus clutter) from β = 0 to the chosen β is {glue:text}`gap_changes` nats in
# blocks 2 to {glue:text}`depth`, median {glue:text}`log_gap_change:.2f` (claim 4: **{glue:text}`verdict_4`**).
#
# **Beside the paper.** On Cluttered MNIST (96 px; in the authors' code, four Information Dropout layers each
# after two 3×3 convolutions, α from a parallel 3×3 convolution, 80 epochs) Achille & Soatto
# {cite}`achille2018information` show KL maps that light up on the digit and stay dark on
# the clutter at deep layers, and on Occluded CIFAR the representation of the last layers keeps little
# information about the occluding image. Here the network is much smaller and shorter-trained, and its plain
# version already filters most of the pixel-level nuisances by depth alone (chapter 3): at β = 0 the last
# block keeps only {glue:text}`nuis0:.2f` nuisance bits, so there is little left for β to filter there, and the
# budget ({glue:text}`epochs` epochs) is far below the authors' 80.
#
# **Where this differs from the authors' recipe.** (i) The log-normal variant's prior is fixed at a standard
# log-normal, where the authors learn its mean and scale. (ii) In the summed convention the KL of a layer is
# summed over its units and added per example; if, as in the authors' code, it is further divided by the number
# of training examples, β = {glue:text}`beta_other` here is about {glue:text}`beta_other_theirs` there (with this
# chapter's {glue:text}`n_train` training images).
# (iii) α is bounded by α_max = 0.7, the value of their CIFAR code (their Cluttered MNIST code uses 1.0).
# (iv) β is ramped in over the first half of training; their released code keeps it constant. (v) Batch norm's
# statistics, gathered during training with the noise on, are re-estimated without noise before the noise-free
# accuracy and f(x) are measured (as their code does); the noisy z is read with the statistics as trained.

# %% [markdown]
# ## Selectivity, against noise that is not learned
#
# Any multiplicative noise removes information of every kind, so "β removes nuisance bits" alone does not show
# that the *learned* noise chose what to remove. The control is a network of the same architecture, data and
# budget whose noise is fixed: z = relu(h)·exp(α_k ε) with one constant α_k per block, not learned, trained by its
# cross-entropy alone (`ibcore.fixed_noise`). Its α_k are matched to the first seed's learned network at the chosen
# β: the mean learned α over the units that are active (relu(h) > 0), the only ones on which a multiplicative
# noise acts ({glue:text}`matched_alphas`, blocks 1 to {glue:text}`depth`). Matching the mean over all units
# instead would count the learned network's large α on silent background units, which costs it nothing, and
# would give the control more noise on the digit than the learned network has.
#
# The nuisances summed are the noise level, the clutter and the distractor's class, each clipped at zero; the
# distractor adds almost nothing (its last-block estimates are within a hundredth of a bit or two of zero), so the
# sum is in effect noise level plus clutter. The statistic is the share of the last block's nuisance bits lost
# minus the share of its task bits lost,
# against β = 0 (noisy z, each network against the same seed's β = 0 network; estimates below zero count as 0,
# the β = 0 side floored at 0.05 bits). Learned noise: {glue:text}`selectivity:.2f` (per seed
# {glue:text}`selectivity_seeds`); fixed noise: {glue:text}`selectivity_fixed:.2f`. The fixed-noise network
# keeps {glue:text}`task_fixed:.2f` task bits and {glue:text}`nuis_fixed:.2f` nuisance bits at its last block
# (test accuracy {glue:text}`acc_fixed:.3f` without noise, {glue:text}`acc_fixed_noisy:.3f` with it; the
# learned network's: {glue:text}`accb:.3f` and {glue:text}`accb_noisy:.3f`). A negative selectivity means the
# network lost a larger share of its task bits than of its nuisance bits: the opposite of the slide. The fixed
# alphas ramp from the learned network's starting α to their matched values over the first half of training, on
# the schedule on which β ramps in; the fixed-noise network has no α branch (the 1×1 convolutions), so it has
# slightly fewer weights. Its verdict needs a measurable baseline: if the β = 0 network's nuisance bits are within
# the probe's noise of zero (90 % lower bounds summing under the 0.05-bit floor), there is nothing to filter and
# the verdict is `inconclusive` whatever the ratio; the same clause guards claim 1 (a rule added after the
# development run, when its β = 0 noise-level bits came out at the floor).
#
# The table gives the last block's bits with their spread: the mean and standard deviation over the seeds of
# each network, and a 90 % bootstrap interval over the test split for the first seed
# (`ibcore.info.probes.bootstrap_interval`). That interval holds the probe fixed and resamples the test images, so
# it is narrower than the spread over seeds, which the confirmation seeds give (the book trains one seed:
# time). Effects of a few hundredths of a bit are within it.

# %%
def spread(model: str, beta: float) -> pd.DataFrame:
    d = last_noisy[(last_noisy.model == model) & ((last_noisy.beta == beta) | np.isnan(beta))]
    agg = d.groupby("target")["bits"].agg(["mean", "std", "count"])
    first = d[d.seed == cfg.seed].set_index("target")
    agg["seed-0 90% interval"] = [f"[{first.loc[t, 'bits_lo']:.2f}, {first.loc[t, 'bits_hi']:.2f}]" for t in agg.index]
    return agg


interval_table = pd.concat({"β = 0": spread("information dropout", 0.0),
                            f"β = {cfg.beta_chosen:g}": spread("information dropout", cfg.beta_chosen),
                            "fixed noise": spread("fixed noise", cfg.beta_chosen),
                            drop_name: spread(drop_name, np.nan)}, names=["network"])
interval_table.loc[(slice(None), ["task"] + NUISANCES), :].round(3)

# %% [markdown]
# ## Claim check
#
# Nothing is asserted. Two claims were written as asserted claims with controls and fixed before this run: the
# chosen β at least halves the last block's noise-level bits, with the task's bits as its control (a bottleneck
# that halved them too would be throwing information away, not filtering); and the learned noise is selective,
# with the fixed noise of the same size as its control. Both failed on the development seed at this budget
# ({glue:text}`epochs` epochs, cut from 12 for the chapter's 8 minutes), so they are reported with the verdicts
# their rules give: claim 1 **{glue:text}`verdict_1`**, claim 2 **{glue:text}`verdict_2`**. The
# others are reported with the verdicts their rules give: on the KL's own scale (mean $-\log\alpha$ per unit),
# the claim that β sharpens the contrast between digit and clutter (claim 4, median change
# {glue:text}`log_gap_change:.2f` nats per unit) gets **{glue:text}`verdict_4`**; "deeper filters more" (claim 3,
# ρ = {glue:text}`rho_depth:.2f`) gets **{glue:text}`verdict_3`**.

# %% tags=["hide-input"]
claims = Claims(chapter="04", scale=cfg.scale, seed=cfg.seed)
noise0, noiseb = noisy_last.loc[0.0, "noise"], noisy_last.loc[cfg.beta_chosen, "noise"]
task0, taskb = noisy_last.loc[0.0, "task"], noisy_last.loc[cfg.beta_chosen, "task"]
# claim 1's rule: the slide's "filters nuisances" needs the noise level's share kept to fall below half and below
# the task's share; kept as large a share as the task's is no filtering (contradicts)
verdict_1 = ("inconclusive" if noise_lo0 < 0.05 else "supports" if ratio_noise <= 0.5 < ratio_task
             else "contradicts" if ratio_noise >= ratio_task else "inconclusive")
claims.report("1", slide="8-9", claim=f"beta = {cfg.beta_chosen:g} at least halves the last block's noise-level bits "
              "(noisy z; ratio to beta = 0)", value=ratio_noise, op="<=", threshold=0.5, unit="ratio",
              control="the same ratio for the task's bits, which the bottleneck should keep", control_value=ratio_task,
              verdict=verdict_1, rule="inconclusive if beta = 0's estimate has its 90 % lower bound under the 0.05-bit "
                                      "floor (nothing measurable to halve); else supports if <= 0.5 while the task's "
                                      "ratio is > 0.5; contradicts if the noise level keeps as large a share as the "
                                      "task (ratio >= the task's); else inconclusive",
              chosen_on="beta_chosen and the 0.5 threshold: seed 0 (previous version of this chapter); asserted there, "
                        "it failed at this budget on seed 0 and is reported; the measurability clause was added after "
                        "seed 0 (review)")
claims.report("1acc", slide="8-9", claim=f"accuracy cost of beta = {cfg.beta_chosen:g}: mean test accuracy minus "
              "beta = 0's (noise-free network, batch norm re-estimated without noise)", value=accb - acc0, unit="accuracy", op=">=", threshold=-0.02,
              verdict=verdict_by_margin(accb - acc0 + 0.02, 0.0), rule="supports if the cost is under 2 points, "
                                                                       "contradicts otherwise")
selectivity_gap = selectivity_learned - selectivity_fixed
verdict_2 = ("inconclusive" if nuis_lo0 < 0.05 else "supports" if selectivity_learned >= 0.1 and selectivity_gap > 0.1
             else "contradicts" if selectivity_gap < -0.1 else "inconclusive")
claims.report("2", slide="8-9", claim=f"selectivity: at beta = {cfg.beta_chosen:g} the last block (noisy z) loses a larger "
              "share of its nuisance bits than of its task bits, against beta = 0, more than with fixed noise of the "
              "same size (share lost, nuisances minus task: learned minus fixed)", value=selectivity_gap, op=">",
              threshold=0.1, unit="share", verdict=verdict_2,
              rule="inconclusive if beta = 0's nuisance bits have their 90 % lower bounds summing under the 0.05-bit "
                   "floor; else supports if the learned noise's selectivity is >= 0.1 and exceeds the fixed noise's "
                   "by > 0.1; contradicts if it falls short of the fixed noise's by > 0.1; else inconclusive",
              control="fixed, unlearned log-normal noise matched per block to the learned alpha on active units",
              control_value=selectivity_fixed,
              chosen_on="the 0.1 margin: the reported rule's of the previous version; matching on active units: a priori; "
                        "asserted at first, it failed on seed 0 at this budget and is reported; the measurability clause "
                        "and the fixed alpha's ramp were added after seed 0 (review)")
claims.report("3", slide="8-9", claim="deeper filters more: at the chosen beta the mean alpha over active units grows "
              "with block depth (Spearman rank correlation with depth)", value=rho_depth, unit="Spearman rho",
              op=">", threshold=0.0, verdict=verdict_by_margin(rho_depth, 0.5),
              rule="supports if rho > 0.5, contradicts if rho < -0.5, else inconclusive")
claims.report("4", slide="8-9", claim="only the informative part passes: past block 1, the contrast in mean -log alpha "
              "(the per-unit KL) between digit and clutter is larger at the chosen beta than at beta = 0 (median over "
              "blocks)", value=log_gap_change, unit="nats per unit", op=">", threshold=0.0, verdict=verdict_by_margin(log_gap_change, 0.05),
              rule="supports if the median change > 0.05, contradicts if < -0.05, else inconclusive")
claims.report("5", slide="8-9", claim="Information Dropout filters more nuisance than plain dropout at matched "
              "test accuracy (last-block nuisance bits, dropout minus Information Dropout)",
              value=drop_minus_id, unit="bits", op=">", threshold=0.0,
              verdict="inconclusive" if acc_gap_5 > 0.02 else verdict_by_margin(drop_minus_id, 0.05),
              rule="inconclusive if no beta of the grid is within 2 points of dropout's test accuracy (not matched); "
                   "else supports if > 0.05 bits, contradicts if < -0.05, else inconclusive")
claims.report("6", slide="8-9", claim="the softplus / log-normal prior variant also filters: its last-block "
              "nuisance bits minus beta = 0's", value=ln_nuis - nuis_last[0.0], unit="bits", op="<", threshold=0.0,
              verdict=verdict_by_margin(ln_nuis - nuis_last[0.0], 0.05, direction=-1),
              rule="supports if < -0.05 bits, contradicts if > 0.05, else inconclusive",
              control="the same change for the task's bits (a filter keeps them)", control_value=ln_task_change)
glue_values({"log_gap_change": log_gap_change, "rho_depth": rho_depth, "acc_gap_5": acc_gap_5,
             "ln_task_change": ln_task_change, "gap_changes": ", ".join(f"{g:+.2f}" for g in gap_changes),
             **{f"verdict_{c.id}": c.verdict for c in claims.reported}})
claims.record()

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
claims.check()

# %% [markdown]
# ## On the confirmation seeds
#
# Everything above is the development seed 0, on which every recipe, size and threshold was chosen. The
# block below is built when the book is built, from the confirmation sweep's stored runs of this chapter's
# current code (seeds 1-5, nothing changed): it is the last word on each claim's verdict, and the scoreboard
# reads the same file.
#
# ```{confirmation-seeds} 04
# ```
