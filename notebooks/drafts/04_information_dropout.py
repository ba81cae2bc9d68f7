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
# This is an information bottleneck on every layer: only the informative part of the image passes, deeper
# layers filter more nuisances, and a stronger bottleneck (larger β) filters more. We put an Information
# Dropout layer (`ibcore.models.InformationDropout`) after every block of chapter 3's plain network, train on
# chapter 3's cluttered digits, and read the result with chapter 3's probes and with the noise maps
# $\alpha(x)$ themselves.
#
# Source of this chapter: {download}`04_information_dropout.py <04_information_dropout.py>` (jupytext),
# with its outputs in {download}`04_information_dropout.ipynb <04_information_dropout.ipynb>`.

# %% tags=["parameters"]
seed = 0  # first seed; repeated runs use seed, seed+1, ...
scale = "book"  # "smoke" (seconds), "book" (the committed outputs), "paper" (longer training)
device = "auto"  # "auto", "cpu", "cuda"
betas = [0.0, 1e-6, 3e-6, 1e-5, 3e-5]  # the beta grid: KL summed over units, per example
beta_chosen = 1e-5  # the beta with several seeds (compared with beta = 0)
n_seeds = 3  # seeds at beta = 0 and at beta_chosen
dropout = 0.2  # drop probability of the plain-dropout baseline

# %%
from ibcore import params

cfg = params.resolve("04", scale=scale, seed=seed, device=device,
                     betas=params.check_values("betas", sorted(betas), 0.0, 1.0, min_count=4),
                     beta_chosen=params.check_range("beta_chosen", beta_chosen, 0.0, 1.0, low_open=True),
                     n_seeds=params.check_int("n_seeds", n_seeds, minimum=1, maximum=10),
                     dropout=params.check_range("dropout", dropout, 0.0, 0.9, low_open=True))
if cfg.betas[0] != 0.0 or cfg.beta_chosen not in cfg.betas:
    raise ValueError(f"betas must include 0 and beta_chosen={cfg.beta_chosen}, got {list(cfg.betas)}")
cfg

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
import torch.nn.functional as F

from ibcore import plots
from ibcore.claims import Claims, glue_values
from ibcore.data import CLUTTER_NUISANCES, ClutteredDigits
from ibcore.info import linear_probe_bits
from ibcore.losses import information_dropout_loss
from ibcore.models import ConvNetConfig, IDConvNet
from ibcore.train import accuracy, train_classifier

plots.set_theme()
data = ClutteredDigits(n_train=cfg.n_train, n_probe=cfg.n_probe, n_test=cfg.n_test, seed=cfg.seed)
arch = ConvNetConfig()  # chapter 3's plain network: 16-32-32-64, stride 2
x_probe, x_test = data.x_probe.to(cfg.device), data.x_test.to(cfg.device)
targets_probe = {"task": data.y_probe, **{k: data.nuisances_probe[k] for k in CLUTTER_NUISANCES}}
targets_test = {"task": data.y_test, **{k: data.nuisances_test[k] for k in CLUTTER_NUISANCES}}

# %% [markdown]
# ## Training with a bottleneck on every layer
#
# The KL is summed over the units of a layer and averaged over the batch, which is the paper's
# $L_x + \beta\sum_i \mathrm{KL}_i / N_{\text{train}}$ (`ibcore.losses.information_dropout_loss`); the blocks
# have about {glue:text}`units:,.0f` units in all, so a per-unit β' is β × that. β is ramped in linearly over
# the first half of training, as in the paper, so the network first learns the task. α is bounded by
# $\alpha_{\max} = 0.7$ and its bias starts at −2 (α ≈ 0.08).

# %%
def train_id(beta: float, seed: int, prior: str = "log-uniform"):
    """An Information Dropout network at ``beta`` (ramped in over the first half of training)."""
    total = cfg.epochs * (cfg.n_train // cfg.batch_size)

    def loss_fn(model, xb, yb, step):
        out = model.forward_all(xb)
        ramp = min(1.0, step / (0.5 * total))
        return information_dropout_loss(out["logits"], yb, out["kl"], beta * ramp)

    return train_classifier(lambda: IDConvNet(arch, prior=prior), data.x_train, data.y_train, epochs=cfg.epochs,
                            batch_size=cfg.batch_size, lr=cfg.lr, seed=seed, device=cfg.device, loss_fn=loss_fn,
                            desc=f"beta={beta:g} seed {seed} {prior}")


@torch.no_grad()
def measure(model, name: str, beta: float, seed: int) -> tuple[dict, list[dict]]:
    """Test accuracy, per-block mean alpha and KL, and probe bits of every block."""
    model.eval()
    reps_p, reps_t, alphas, kls = [], [], [], []
    for x, store in ((x_probe, reps_p), (x_test, reps_t)):
        outs = [model.forward_all(chunk) if hasattr(model, "forward_all") else {"blocks": model.blocks(chunk)}
                for chunk in x.split(1000)]
        for i in range(len(outs[0]["blocks"])):
            z = torch.cat([o["blocks"][i] for o in outs])
            store.append((F.adaptive_avg_pool2d(z, 4) if z.ndim == 4 and z.shape[-1] > 4 else z).flatten(1).cpu())
        if store is reps_t and "alpha" in outs[0]:
            alphas = [float(torch.cat([o["alpha"][i] for o in outs]).mean()) for i in range(len(outs[0]["alpha"]))]
            kls = [float(torch.cat([o["kl"][i] for o in outs]).mean()) for i in range(len(outs[0]["kl"]))]
    row = {"model": name, "beta": beta, "seed": seed, "test_acc": accuracy(model, x_test, data.y_test)}
    row |= {f"alpha_{i + 1}": a for i, a in enumerate(alphas)} | {f"kl_{i + 1}": k for i, k in enumerate(kls)}
    bits = []
    labels = [f"block {i + 1}" for i in range(len(arch.channels))] + ["global pool"]
    for layer, (zp, zt) in enumerate(zip(reps_p, reps_t)):
        for target, b in linear_probe_bits(zp, targets_probe, zt, targets_test).items():
            bits.append({"model": name, "beta": beta, "seed": seed, "layer": labels[layer], "target": target, "bits": b})
    return row, bits


runs, rows, bit_rows = {}, [], []
for beta in cfg.betas:
    seeds = range(cfg.seed, cfg.seed + (cfg.n_seeds if beta in (0.0, cfg.beta_chosen) else 1))
    for s in seeds:
        model, _ = train_id(beta, s)
        runs[(beta, s)] = model
        row, bits = measure(model, "information dropout", beta, s)
        rows.append(row), bit_rows.extend(bits)
dropout_model, _ = train_classifier(ConvNetConfig(dropout=cfg.dropout), data.x_train, data.y_train, epochs=cfg.epochs,
                                    batch_size=cfg.batch_size, lr=cfg.lr, seed=cfg.seed, device=cfg.device,
                                    desc="plain dropout")
row, bits = measure(dropout_model, f"dropout p={cfg.dropout:g}", np.nan, cfg.seed)
rows.append(row), bit_rows.extend(bits)
lognormal, _ = train_id(cfg.beta_chosen, cfg.seed, prior="log-normal")
row, bits = measure(lognormal, "information dropout, log-normal prior", cfg.beta_chosen, cfg.seed)
rows.append(row), bit_rows.extend(bits)
results, bits = pd.DataFrame(rows), pd.DataFrame(bit_rows)
results.round(4)

# %% [markdown]
# ## What each block keeps, against β

# %%
last = f"block {len(arch.channels)}"
idrop = bits[bits.model == "information dropout"]
per_beta = idrop.groupby(["beta", "layer", "target"])["bits"].mean().reset_index()
fig, axes = plt.subplots(1, 3, figsize=(11, 3.3))
for ax, target in zip(axes, ["task", "noise", "distractor"]):
    d = per_beta[(per_beta.layer == last) & (per_beta.target == target)]
    ax.plot(d["beta"].replace(0.0, cfg.betas[1] / 3), d["bits"], marker="o")
    ax.set(xscale="log", xlabel="β (β = 0 drawn at the left)", title=f"{target}: {last}", ylabel="bits")
fig.tight_layout()
plt.show()

# %%
alpha_cols = [f"alpha_{i + 1}" for i in range(len(arch.channels))]
ida = results[results.model == "information dropout"].groupby("beta")[alpha_cols + ["test_acc"]].mean()
ida.round(4)

# %% [markdown]
# ## Noise maps: where the network chooses to be noisy
#
# α(x) averaged over channels, at each block, for test images, beside the image, the task digit's mask and the
# clutter (distractor and fragments). Dark: little noise, information passes; bright: the block drowns it.

# %%
@torch.no_grad()
def alpha_maps(model, x: torch.Tensor) -> list[torch.Tensor]:
    """Channel-mean alpha of each block, upsampled to the canvas: list of (B, H, W)."""
    model.eval()
    out = model.forward_all(x.to(cfg.device))["alpha"]
    return [F.interpolate(a.mean(1, keepdim=True), size=x.shape[-2:], mode="nearest")[:, 0].cpu() for a in out]


chosen = runs[(cfg.beta_chosen, cfg.seed)]
show = torch.arange(4)
maps = alpha_maps(chosen, data.x_test[show])
fig, axes = plt.subplots(len(show), 3 + len(maps), figsize=(1.6 * (3 + len(maps)), 1.7 * len(show)))
for r, i in enumerate(show.tolist()):
    panels = [(data.x_test[i, 0], "image"), (data.digit_mask_test[i].float(), "digit"),
              (data.clutter_mask_test[i].float(), "clutter")] + [(m[r], f"α block {k + 1}") for k, m in enumerate(maps)]
    for ax, (img, title) in zip(axes[r], panels):
        ax.imshow(img, cmap="magma" if title.startswith("α") else "gray")
        ax.set_xticks([]), ax.set_yticks([])
        if r == 0:
            ax.set_title(title, fontsize="small")
fig.tight_layout()
plt.show()

# %%
def region_alpha(model) -> pd.DataFrame:
    """Mean alpha over digit, clutter and background pixels of the test images, per block."""
    maps = [torch.cat(parts) for parts in zip(*[alpha_maps(model, chunk) for chunk in data.x_test.split(1000)])]
    digit, clutter = data.digit_mask_test, data.clutter_mask_test
    background = ~(digit | clutter)
    return pd.DataFrame([{"block": k + 1, "digit": float(m[digit].mean()), "clutter": float(m[clutter].mean()),
                          "background": float(m[background].mean())} for k, m in enumerate(maps)])


regions = {b: region_alpha(runs[(b, cfg.seed)]) for b in (0.0, cfg.beta_chosen)}
pd.concat(regions, names=["beta"]).round(4)

# %%
acc0 = results[(results.model == "information dropout") & (results.beta == 0.0)]["test_acc"].mean()
accb = results[(results.model == "information dropout") & (results.beta == cfg.beta_chosen)]["test_acc"].mean()
noise_last = per_beta[(per_beta.layer == last) & (per_beta.target == "noise")].set_index("beta")["bits"]
nuis_cols = list(CLUTTER_NUISANCES)
nuis_last = per_beta[(per_beta.layer == last) & per_beta.target.isin(nuis_cols)].groupby("beta")["bits"].sum()
alphas_chosen = ida.loc[cfg.beta_chosen, alpha_cols].to_numpy()
reg_b, reg_0 = regions[cfg.beta_chosen], regions[0.0]
past_first = reg_b[reg_b.block > 1]
gap_b = (past_first.clutter - past_first.digit).to_numpy()
gap_0 = (reg_0[reg_0.block > 1].clutter - reg_0[reg_0.block > 1].digit).to_numpy()
ok_blocks = [int(b) for b, d, c, g, g0, bg in zip(past_first.block, past_first.digit, past_first.clutter, gap_b, gap_0,
                                                   past_first.background) if d < c and d < bg and g > g0]
drop_bits = bits[bits.model.str.startswith("dropout") & (bits.layer == last)].set_index("target")["bits"]
ln_bits = bits[bits.model.str.contains("log-normal") & (bits.layer == last)].set_index("target")["bits"]
ln_acc = results[results.model.str.contains("log-normal")]["test_acc"].iloc[0]
drop_acc = results[results.model.str.startswith("dropout")]["test_acc"].iloc[0]
units = sum(c * (arch.canvas // 2 ** (i + 1)) ** 2 for i, c in enumerate(arch.channels))
glue_values({"units": units, "acc0": acc0, "accb": accb, "beta_chosen": f"{cfg.beta_chosen:g}",
             "noise0": noise_last[0.0], "noiseb": noise_last[cfg.beta_chosen]})

# %% [markdown]
# At β = {glue:text}`beta_chosen` the test accuracy is {glue:text}`accb:.3f` against {glue:text}`acc0:.3f`
# at β = 0 (means over seeds), while the last block's bits about the noise level go from
# {glue:text}`noise0:.2f` to {glue:text}`noiseb:.2f`. The paper reports the same on Cluttered MNIST and
# Occluded CIFAR {cite}`achille2018information`: the noise maps light up on the clutter and stay dark on the
# digit, and the nuisance is filtered more in deeper layers and at larger β.

# %% [markdown]
# ## Claim check

# %%
claims = Claims(chapter="04", scale=cfg.scale)
claims.add("1", f"beta = {cfg.beta_chosen:g}: accuracy within 2 points of beta = 0, last-block noise bits <= half",
           f"acc {accb:.3f} vs {acc0:.3f}; noise bits {noise_last[cfg.beta_chosen]:.2f} vs {noise_last[0.0]:.2f}",
           ">= acc0 - 0.02; <= 0.5x", accb >= acc0 - 0.02 and noise_last[cfg.beta_chosen] <= 0.5 * noise_last[0.0])
claims.add("2", "a stronger bottleneck filters more: last-block nuisance bits do not increase along the beta grid",
           ", ".join(f"{b:g}: {v:.2f}" for b, v in nuis_last.items()), "non-increasing (+0.05 bits slack)",
           bool((np.diff(nuis_last.to_numpy()) <= 0.05).all()))
claims.add("3", f"deeper filters more: at beta = {cfg.beta_chosen:g} the mean alpha grows with block depth",
           ", ".join(f"{a:.3f}" for a in alphas_chosen), "increasing", bool((np.diff(alphas_chosen) > 0).all()))
claims.add("4", "only the informative part passes: past block 1, alpha lower on the digit than on clutter and "
           "background, with a larger digit-clutter gap than at beta = 0",
           f"blocks where it holds: {ok_blocks}", "at least one block > 1", bool(ok_blocks))
claims.report("5", "information dropout vs plain dropout: last-block nuisance bits (noise, distractor)",
              f"ID noise {noise_last[cfg.beta_chosen]:.2f} (acc {accb:.3f}) vs dropout noise {drop_bits['noise']:.2f}, "
              f"distractor {drop_bits['distractor']:.2f} (acc {drop_acc:.3f})", "paper, Fig. 3")
claims.report("6", "softplus / log-normal prior variant at the chosen beta",
              f"acc {ln_acc:.3f}; last-block noise bits {ln_bits['noise']:.2f}, task bits {ln_bits['task']:.2f}",
              "paper, sec. 5")
claims.record()

# %%
# NBVAL_CHECK_OUTPUT
claims.check()
