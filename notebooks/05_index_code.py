# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5. The catch: an index is a sufficient representation of the past
#
# **Claim (slides 10-11).** Represent a training image by its *index* in the training set (or by a
# hash): the index is sufficient for the label (look it up) and short. The slide's example: an image of
# 24,576 bits, an index of 16 bits, a label of 4 bits. So the information bottleneck
# {cite}`tishby2000information`
#
# $$
# \mathcal{L} = H(y \mid z) + \beta\, I(z;x),
# $$
#
# minimised *on the training set*, is "wishful thinking": it cannot tell a code that memorises from one
# that generalises, and what we want is a statement about future data we do not have. A network can
# memorise: it can fit random labels {cite}`zhang2017understanding`.
#
# **In this chapter** you will see
#
# - the bits of the slide's example, for our data, and why "16 bits" (a description length) is not the
#   rate $I(z;x)$ of the Lagrangian: on the training sample every code that tells the images apart, the index
#   and the raw pixels alike, has the same rate, $\log_2 N$;
# - every code of an image (its pixels, a hash of its index, a lookup of its stored label, and codes learned
#   by a variational information bottleneck at several β) read by the *same* decoder, trained the same way,
#   and scored with the same Lagrangian on the training set, a validation set and a test set;
# - that the training Lagrangian cannot tell the hashed index from the pixels, while held-out data can;
# - that the label lookup sits on a bound, $\beta H(y)$, that no code can beat on the training set (a
#   theorem, drawn, not tested), and what choosing a code by the training Lagrangian costs with and without it;
# - a conv net memorising random labels: fitted, at chance on test, and slower to fit.
#
# Source of this chapter: {download}`05_index_code.py <05_index_code.py>` (jupytext), with its outputs in
# {download}`05_index_code.ipynb <05_index_code.ipynb>`.

# %% tags=["parameters"]
seed = 0  # seed of the data, the label noise, the initialisations
scale = "book"  # "smoke" (seconds), "book" (the committed outputs), "paper" (more data)
device = "auto"  # "auto", "cpu", "cuda"
betas = [0.001, 0.01, 0.1, 0.5]  # β of the IB Lagrangian (unit-free: both terms in bits)
random_fractions = [0.0, 0.5, 1.0]  # fractions of training labels replaced by random ones (one training run each)

# %% tags=["hide-input"]
from ibcore import params

cfg = params.resolve("05", scale=scale, seed=seed, device=device,
                     betas=params.check_values("betas", betas, 0.0, 1.0, min_count=2, low_open=True, sort=True),
                     random_fractions=params.check_values("random_fractions", random_fractions, 0.0, 1.0,
                                                          min_count=2, sort=True))
if cfg.random_fractions[0] != 0.0 or cfg.random_fractions[-1] != 1.0:
    raise ValueError(f"random_fractions must include 0 and 1, got {list(cfg.random_fractions)}")
cfg

# %% tags=["hide-input"]
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from scipy.stats import spearmanr

from ibcore import plots, seed_everything
from ibcore.claims import Claims, glue_values, verdict_by_margin
from ibcore.data import ClutteredDigits, NoisyDigits, label_noise
from ibcore.info.rate import deterministic_rate_bits, gaussian_rate_bits, label_entropy_bits
from ibcore.losses import vib_loss
from ibcore.models import VIB, ConvNetConfig
from ibcore.train import accuracy, epoch_batches, fit, train_classifier

plots.set_theme()
# Section 2 scores codes on scikit-learn's clean 8x8 digits (a code that generalises exists there);
# section 3 memorises cluttered digits, which can be rendered in any number.
digits = NoisyDigits(n_train=cfg.n_digits, noise_levels=(0.0,), seed=cfg.seed)
data = ClutteredDigits(n_train=cfg.n_train, n_probe=0, n_test=cfg.n_test, seed=cfg.seed)
n_train, n_test = len(data.x_train), len(data.x_test)
LOG2 = math.log(2)
TIE, WORSE = 0.05, 0.5  # bits: a tie ("as low as"); a code clearly worse on the future. Fixed a priori.
STEP_RATIO = 1.5  # claim 5's "slower to fit": a seed-0 choice (Zhang et al. say only "a small constant factor")

# %% [markdown]
# ## 1. The bits of the slide's example, for our data
#
# The slide's 24,576 bits are a 32×32 colour image at 8 bits a channel (CIFAR-10). Our two data sets:
# scikit-learn's 8×8 digits (17 grey levels a pixel) for the Lagrangian of section 2, and the 32×32 cluttered
# digits of chapter 3 (stored at 8 bits a pixel) for the memorisation of section 3. An index into a training
# set of $N$ images needs $\log_2 N$ bits, a label $\log_2 10$.
#
# These are **description lengths**: the bits needed to write the code down. The rate in the Lagrangian is
# another currency, the mutual information $I(z;x)$, and on a training sample (each of the $N$ images with
# probability $1/N$) it is $H(z)$ for a deterministic code, so *every* code that gives each image its own
# value has $I(z;x) = \log_2 N$, the most there is: the index, and equally the image itself. In
# the Lagrangian's own currency the index is not minimal; it ties the pixels. That is the catch, measured in
# section 2.

# %%
n_digits = len(digits.x_train)
bits_table = pd.DataFrame({
    "": ["image", "index of a training image", "label"],
    "slide 10 (bits)": [24_576, 16, 4],
    "8x8 digits (bits)": [64 * math.log2(17), math.log2(n_digits), math.log2(10)],
    "cluttered digits (bits)": [32 * 32 * 8, math.log2(n_train), math.log2(10)],
    "how": ["pixels x bits a pixel", "log2 N (training images)", "log2 10 classes"],
})
bits_table.round(2)

# %% [markdown]
# ## 2. Every code read the same way, on past and future data
#
# The {glue:text}`n_digits` training images of scikit-learn's 8×8 digits are the past; the other digits are
# split into a **validation** set ({glue:text}`n_val` images) and a **test** set ({glue:text}`n_test_digits`),
# the future. Four kinds of code $z$ of an image $x$:
#
# - **pixels**: $z = x$;
# - **index (hashed)**: each training image's index is embedded as a random 64-dimensional vector (a hash);
#   an image never seen in training hashes to a fresh random vector;
# - **label lookup**: the label stored for a training image (one-hot); an unseen image has no entry and
#   gets the "unknown" code (all zeros);
# - **VIB (β')**: the stochastic code $z \sim q(z\mid x)$ of a variational information bottleneck
#   {cite}`alemi2017deep` trained at β', for each β' of the grid.
#
# Every code is read by the **same decoder**: an MLP with one hidden layer of 128 units on the standardised
# code, trained on the training set with the same optimiser and number of steps (full batch; a stochastic
# code gets fresh samples at every step). $H(y\mid z)$ is that decoder's cross-entropy in bits on each split
# (stochastic codes averaged over 8 draws). The rate $I(z;x)$ is measured the same way for every code: the
# mutual information under the empirical distribution of the split's images, exact for a deterministic code
# ($H(z)$: $\log_2 n$ when every one of the split's $n$ images gets its own code, $H(y)$ for the lookup on the
# training set, 0 for the "unknown" code) and with the exact mixture marginal for a Gaussian code
# (`ibcore.info.rate`). On a held-out split the rate is therefore that split's empirical mutual information,
# capped at $\log_2 n$ = {glue:text}`log2n_val:.2f` bits instead of the training set's
# {glue:text}`log2n:.2f`: held-out Lagrangians are comparable across codes on the same split, not across
# splits. Every code is then scored at every β with $\mathcal{L} = H(y\mid z) + \beta I(z;x)$.

# %%
half = len(digits.x_test) // 2
splits = {"train": (digits.x_train, digits.y_train), "validation": (digits.x_test[:half], digits.y_test[:half]),
          "test": (digits.x_test[half:], digits.y_test[half:])}
dev = cfg.device


def train_vib(beta: float) -> VIB:
    """The VIB of Alemi et al. at ``beta`` (its own linear decoder; below, its code gets a fresh decoder)."""
    seed_everything(cfg.seed)
    model = VIB(d_in=digits.x_train.shape[1]).to(dev)
    x, y = digits.x_train.to(dev), digits.y_train.to(dev)
    batches = epoch_batches(n_digits, 100, torch.Generator().manual_seed(cfg.seed))
    steps = cfg.vib_epochs * (n_digits // 100)

    def step_loss(m, idx, step):
        logits, mu, logvar = m(x[idx])
        return vib_loss(logits, y[idx], mu, logvar, beta)

    fit(model, step_loss, batches, steps, lr=1e-3, log_every=steps, desc=f"VIB beta={beta:g}")
    model.eval()
    return model


# codes[name][split] = (mu, logvar): logvar None for a deterministic code
g = torch.Generator().manual_seed(cfg.seed + 1)
codes: dict[str, dict[str, tuple[torch.Tensor, torch.Tensor | None]]] = {
    "pixels": {s: (x, None) for s, (x, _) in splits.items()},
    "index (hashed)": {s: (torch.randn(len(x), 64, generator=g), None) for s, (x, _) in splits.items()},
    "label lookup": {s: (torch.nn.functional.one_hot(y, 10).float() if s == "train" else torch.zeros(len(y), 10), None)
                     for s, (_, y) in splits.items()},
}
for b in cfg.betas:
    vib = train_vib(b)
    with torch.no_grad():
        codes[f"VIB (β'={b:g})"] = {s: tuple(t.cpu() for t in vib.encoder(x.to(dev)).chunk(2, dim=-1))
                                    for s, (x, _) in splits.items()}
LEARNED = [name for name in codes if name.startswith("VIB")]

# %%
def sample(mu: torch.Tensor, logvar: torch.Tensor | None) -> torch.Tensor:
    return mu if logvar is None else mu + (0.5 * logvar).exp() * torch.randn_like(mu)


def read_code(name: str) -> list[dict]:
    """Train the common decoder on the training split of code ``name``; H(y|z) and I(z;x) on every split."""
    seed_everything(cfg.seed)
    mu_tr, lv_tr = codes[name]["train"]
    mean, std = mu_tr.mean(0), mu_tr.std(0).clamp_min(1e-3)
    decoder = torch.nn.Sequential(torch.nn.Linear(mu_tr.shape[1], 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    y_tr = splits["train"][1]

    def step_loss(m, batch, step):
        ce = torch.nn.functional.cross_entropy(m((sample(mu_tr, lv_tr) - mean) / std), y_tr)
        return {"loss": ce}

    fit(decoder, step_loss, lambda step: None, cfg.dec_steps, lr=3e-3, log_every=cfg.dec_steps, desc=name)
    rows = []
    with torch.no_grad():
        for s, (_, y) in splits.items():
            mu, lv = codes[name][s]
            draws = 1 if lv is None else 8
            ce = np.mean([torch.nn.functional.cross_entropy(decoder((sample(mu, lv) - mean) / std), y).item()
                          for _ in range(draws)]) / LOG2
            rate = deterministic_rate_bits(mu) if lv is None else gaussian_rate_bits(mu, lv, generator=g)
            rows.append({"code": name, "split": s, "H(y|z)": ce, "I(z;x)": rate})
    return rows


scores = pd.DataFrame([row for name in codes for row in read_code(name)])
lagrangian = pd.concat([scores.assign(beta=b, L=scores["H(y|z)"] + b * scores["I(z;x)"]) for b in cfg.betas])
h_y = {s: label_entropy_bits(y) for s, (_, y) in splits.items()}  # H(y) of each split's labels
scores.pivot_table(index="code", columns="split", values=["H(y|z)", "I(z;x)"], sort=False).round(3)

# %% [markdown]
# In the rate columns the index and the pixels both sit at $\log_2 n$, the ceiling of each split: on the
# training sample $I(z;x)$ cannot separate a hash of the image's position in the list from the image
# itself. Every learned code is lower, and the label lookup's training rate is exactly $H(y)$.
#
# **The label lookup is a bound, not a finding.** A code that determines the label on the training set
# has $H(y\mid z) = 0$, and for any code $I(z;x) \ge I(z;y) \ge H(y) - H(y\mid z)$, so for β ≤ 1
#
# $$
# \mathcal{L} = H(y\mid z) + \beta I(z;x) \ge \beta H(y) + (1-\beta) H(y\mid z) \ge \beta H(y),
# $$
#
# with equality for the lookup. No code can have a lower training Lagrangian (up to estimation noise), and
# the constant "unknown" code on unseen images has a test cross-entropy of at least the test labels' $H(y)$
# by construction (a decoder of a constant can only predict one distribution). So the
# lookup is drawn as the bound line $\beta H(y)$ in {numref}`fig-05-lagrangian` and is kept out of the
# asserted claims; what can fail is whether *trained* decoders on *real* codes reach it.

# %%
L_at = lagrangian.set_index(["split", "beta", "code"])["L"].sort_index()
test_ce = scores[scores.split == "test"].set_index("code")["H(y|z)"]


def pick(split: str, beta: float, exclude: tuple[str, ...] = ()) -> str:
    """The code with the lowest Lagrangian on ``split`` at ``beta``, among the codes not in ``exclude``."""
    return str(L_at[split, beta].drop(list(exclude)).idxmin())


rows = []
for b in cfg.betas:
    on_val = pick("validation", b)
    row = {"beta": b}
    row |= {f"index - pixels ({s})": L_at[s, b, "index (hashed)"] - L_at[s, b, "pixels"] for s in splits}
    row["index - best learned (train)"] = L_at["train", b, "index (hashed)"] - L_at["train", b][LEARNED].min()
    row["lookup - beta H(y) (train)"] = L_at["train", b, "label lookup"] - b * h_y["train"]
    for tag, exclude in (("", ()), (" w/o lookup", ("label lookup",))):
        on_train = pick("train", b, exclude)
        row[f"train pick{tag}"] = on_train
        row[f"regret of train pick{tag}"] = test_ce[on_train] - test_ce.min()
    row["validation pick"] = on_val
    row["regret of validation pick"] = test_ce[on_val] - test_ce.min()
    rows.append(row)
selection = pd.DataFrame(rows).set_index("beta")
selection.round(3).T

# %%
fig, axes = plt.subplots(1, 3, figsize=(11.5, 3.4))
palette = dict(zip(codes, sns.color_palette("colorblind", len(codes))))
beta_grid = np.array(cfg.betas)
for ax, s in zip(axes, splits):
    for name in codes:
        if s == "train" and name == "label lookup":
            continue  # on the training set the lookup is the bound line below
        c = lagrangian[(lagrangian.split == s) & (lagrangian.code == name)]
        memorising = name in ("index (hashed)", "label lookup")
        ax.plot(c["beta"], c["L"], marker="o" if memorising else ".", ls="--" if memorising else "-",
                color=palette[name], label=name)
    ax.set(xscale="log", yscale="log", xlabel="β", title=f"{s} set")
axes[0].plot(beta_grid, beta_grid * h_y["train"], color="black", ls=":", lw=2,
             label=r"$\beta H(y)$: bound (label lookup)")
axes[0].set_ylabel(r"$H(y\mid z) + \beta\, I(z;x)$ (bits)")
handles = {lab: h for ax in axes for h, lab in zip(*ax.get_legend_handles_labels())}
axes[-1].legend(handles.values(), handles.keys(), loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
fig.tight_layout()
plots.glue_figure("fig-05-lagrangian", fig)

# %% [markdown]
# ```{glue:figure} fig-05-lagrangian
# :name: fig-05-lagrangian
#
# The IB Lagrangian of every code at every β (log axes, each panel its own scale), on the training set (the
# past) and on the validation and test sets (the future); dashed: the memorising codes (hashed index, label
# lookup). On the training set the dotted line is the bound $\beta H(y)$ that no code can beat, reached by the
# label lookup; the hashed index lies on the pixels. Every code is read by the same decoder trained on the
# training set.
# ```
#
# The table reads, for every β: the Lagrangian of the hashed index minus that of the pixels on each split;
# the hashed index minus the best learned (VIB) code on the training set; the lookup minus the bound; then
# the code the Lagrangian picks on the training set (with the lookup among the candidates, and without it)
# and on the validation set, and the *regret* of each pick: its test cross-entropy minus the best test
# cross-entropy of any code ({glue:text}`best_test_ce:.3f` bits).
#
# **The training Lagrangian cannot tell the index from the pixels.** Both have the same training rate,
# $\log_2 N$ = {glue:text}`log2n:.2f` bits, and the decoder fits both: training $H(y\mid z)$ =
# {glue:text}`index_train_ce:.3f` bits for the {glue:text}`n_digits` random vectors of the index, so the two
# Lagrangians differ by at most {glue:text}`tie_train:.4f` bits at any β (claim 1). On validation images the
# same difference is {glue:text}`tie_val:.1f` bits: the hashed index of an unseen digit is noise to the decoder
# (test $H(y\mid z)$ = {glue:text}`index_test_ce:.2f` bits, against {glue:text}`pixels_test_ce:.2f` for the
# pixels). Against the best *learned* code the index ties only at small β: its training Lagrangian is
# {glue:text}`il_lo:.3f` bits above at β = {glue:text}`beta_lo:g` and {glue:text}`il_hi:.2f` bits above at
# β = {glue:text}`beta_hi:g` (claim 2, one verdict a β; it ties at {glue:text}`n_il_tie` of
# {glue:text}`n_betas` β), because a learned code pays a smaller rate. The lookup reaches the bound, as it
# must (largest excess {glue:text}`lookup_excess:.4f` bits), and knows nothing of unseen images: test
# $H(y\mid z)$ = {glue:text}`lookup_test_ce:.2f` bits, against the test labels' $H(y)$ =
# {glue:text}`h_y_test:.2f`.
#
# **Choosing a code by the training Lagrangian (claim 3).** With the lookup among the candidates the
# training Lagrangian picks it at every β (the bound), and its regret is at least
# {glue:text}`regret_train_min:.2f` bits: a consequence of the theorem and of the "unknown" convention, so
# it is reported, not asserted. **Without the lookup, the result goes against the slide:** among the codes
# this chapter trains or hashes, the training Lagrangian picks the hashed index at {glue:text}`n_nl_index` of
# {glue:text}`n_betas` β, and its picks have a regret of {glue:text}`regret_nl_min:.3f` to
# {glue:text}`regret_nl_max:.3f` bits, no worse than the validation pick's ({glue:text}`regret_val_min:.3f`
# to {glue:text}`regret_val_max:.3f` bits) at {glue:text}`n_nl_as_good` of {glue:text}`n_betas` β. Picking
# on the training set does as well as picking on held-out data here, because the rate term does its job: the
# learned codes have lower rates than the index and the pixels, and that is enough to rank them first. The catch
# that survives is claim 1: the training Lagrangian does not *penalise* memorisation (the index costs no
# more than the pixels), so it can prefer a memorising code only when one is at least as compressed as
# every code that generalises, as the lookup is. A learned memorising code (an encoder fitted to the index,
# or to random labels) would test that case; this chapter does not train one.
#
# ## 3. A network memorises random labels
#
# Section 2 needed images on which a code that generalises exists and held-out images to check it on; this
# section needs many training images ($N$ is its knob, see below), so it uses the cluttered digits of
# chapter 3 (a draft this version), which can be rendered in any number. The same small conv net, optimiser (Adam at a constant learning rate) and stopping rule for every
# run: train on {glue:text}`n_train` images whose labels are partly or entirely replaced by random ones
# until it fits ≥ 99 % of its (noisy) training labels or runs out of epochs. Training accuracy is measured
# at epoch ends, so the steps to 99 % have a resolution of one epoch ({glue:text}`steps_per_epoch` steps).
# Test accuracy is measured against the true labels of unseen digits. $N$ = {glue:text}`n_train` is a
# development choice made on seed 0: it was raised from a smaller $N$ at which the real-label net
# generalised less and the random labels fitted less than {glue:text}`step_ratio_threshold:.1f`× slower
# (claim 5's threshold), so claim 5 is reported and the confirmation seeds decide. Three fractions of random
# labels (0, ½, 1), each one training run, keep the section within the chapter's budget.

# %%
mem_arch = ConvNetConfig(channels=cfg.mem_channels)  # chapter 3's plain net
x_test = data.x_test.to(dev)
mem_rows, curves = [], []
for frac in cfg.random_fractions:
    labels, _ = label_noise(data.y_train, frac, seed=cfg.seed)
    x_tr = data.x_train.to(dev)

    def monitor(step, model, row, labels=labels, frac=frac):
        with torch.no_grad():
            train_acc = accuracy(model, x_tr, labels)
        model.train()
        curves.append({"random": frac, "step": step, "train_acc": train_acc})
        return {"train_acc": train_acc, "stop": train_acc >= 0.99}

    model, hist = train_classifier(mem_arch, data.x_train, labels, epochs=cfg.mem_epochs, batch_size=128,
                                   lr=1e-3, seed=cfg.seed, device=dev, schedule="constant",
                                   callbacks=[monitor], desc=f"{frac:.0%} random")
    fitted = hist["train_acc"] >= 0.99
    with torch.no_grad():
        test_acc = accuracy(model, x_test, data.y_test)
    mem_rows.append({"random": frac, "train_acc": hist["train_acc"].iloc[-1], "test_acc (true labels)": test_acc,
                     "steps_to_99": int(hist["step"][fitted].iloc[0]) if fitted.any() else np.nan,
                     "steps_run": int(hist["step"].iloc[-1])})
memo = pd.DataFrame(mem_rows)
memo["gap"] = memo["train_acc"] - memo["test_acc (true labels)"]
memo.round(3)

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
sns.lineplot(data=pd.DataFrame(curves), x="step", y="train_acc", hue="random", palette="viridis", ax=axes[0])
axes[0].axhline(0.99, color="grey", ls=":", lw=1)
axes[0].set(title="fitting the training labels", ylabel="train accuracy (its own labels)")
axes[0].legend(title="random", loc="lower right", fontsize="small")
axes[1].plot(100 * memo["random"], memo["test_acc (true labels)"], marker="o", label="test (true labels)")
axes[1].axhline(0.1, color="grey", ls=":", lw=1, label="chance")
axes[1].set(xlabel="random labels (%)", ylabel="test accuracy (true labels)", title="what generalises")
axes[1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
fig.tight_layout()
plots.glue_figure("fig-05-memorisation", fig)

# %% [markdown]
# ```{glue:figure} fig-05-memorisation
# :name: fig-05-memorisation
#
# Left: training accuracy on each network's own labels, measured at epoch ends, for each fraction of random
# labels (training stops at 99 %). Right: test accuracy against the true labels of unseen digits.
# ```

# %% tags=["hide-input"]
real_steps, rand_steps = memo["steps_to_99"].iloc[0], memo["steps_to_99"].iloc[-1]
accs = memo["test_acc (true labels)"]
rho_test = float(spearmanr(memo["random"], accs).statistic) if accs.nunique() > 1 else float("nan")
steps_ratio = rand_steps / real_steps
tie = selection[[f"index - pixels ({s})" for s in splits]].abs().max()
il = selection["index - best learned (train)"]
nl_as_good = selection["regret of train pick w/o lookup"] <= selection["regret of validation pick"] + 1e-12
score_at = scores.set_index(["code", "split"])["H(y|z)"]
glue_values({
    "n_train": n_train, "n_digits": n_digits, "n_val": half, "dec_steps": cfg.dec_steps,
    "n_test_digits": len(splits["test"][1]), "log2n": math.log2(n_digits), "log2n_val": math.log2(half),
    "best_test_ce": test_ce.min(), "index_train_ce": score_at["index (hashed)", "train"],
    "index_test_ce": test_ce["index (hashed)"], "pixels_test_ce": test_ce["pixels"],
    "lookup_test_ce": test_ce["label lookup"], "h_y_test": h_y["test"],
    "tie_train": tie["index - pixels (train)"], "tie_val": tie["index - pixels (validation)"],
    "il_lo": il.iloc[0], "il_hi": il.iloc[-1], "beta_lo": cfg.betas[0], "beta_hi": cfg.betas[-1],
    "n_il_tie": int((il <= TIE).sum()), "n_betas": len(cfg.betas),
    "lookup_excess": selection["lookup - beta H(y) (train)"].abs().max(),
    "regret_train_min": selection["regret of train pick"].min(),
    "regret_nl_min": selection["regret of train pick w/o lookup"].min(),
    "regret_nl_max": selection["regret of train pick w/o lookup"].max(),
    "regret_val_min": selection["regret of validation pick"].min(),
    "regret_val_max": selection["regret of validation pick"].max(), "n_nl_as_good": int(nl_as_good.sum()),
    "n_nl_index": int((selection["train pick w/o lookup"] == "index (hashed)").sum()),
    "steps_per_epoch": n_train // 128, "step_ratio_threshold": STEP_RATIO, "cifar_ratio": 50_000 / n_train,
    "real_steps": real_steps, "rand_steps": rand_steps, "steps_ratio": steps_ratio, "rho_test": rho_test,
    "rand_test": memo["test_acc (true labels)"].iloc[-1], "real_test": memo["test_acc (true labels)"].iloc[0],
    "rand_gap": memo["gap"].iloc[-1], "real_gap": memo["gap"].iloc[0],
})

# %% [markdown]
# With real labels the net fits its {glue:text}`n_train` training images in {glue:text}`real_steps` steps
# and reaches {glue:text}`real_test:.3f` test accuracy; with all labels random it still fits them, in
# {glue:text}`rand_steps` steps ({glue:text}`steps_ratio:.1f`×, at the resolution of an epoch), and its test
# accuracy is {glue:text}`rand_test:.3f`: chance. Its generalisation gap (training accuracy on its own labels
# minus test accuracy) is {glue:text}`rand_gap:.2f`, against {glue:text}`real_gap:.2f` with real labels; test
# accuracy falls with the fraction of random labels (rank correlation {glue:text}`rho_test:.2f` over the three
# fractions). Zhang et al. {cite}`zhang2017understanding` report the same on CIFAR-10 (random labels fitted
# to 100 % training accuracy, test at chance, a small constant factor more time), with
# {glue:text}`cifar_ratio:.0f`× as many training images and a much larger net.
#
# ## Claim check
#
# Thresholds fixed a priori: a difference within {glue:text}`tie_threshold:.2f` bits counts as a tie
# ("as low as", claims 1 and 2); {glue:text}`worse_threshold:.1f` bits of test cross-entropy is a code
# clearly worse on the future (claims 2 and 3); a generalisation gap of 0.8 for claim 4 (fitting ≥ 99 % of
# random labels with test accuracy at chance, 0.1, gives about 0.89; 0.8 leaves a margin). Claim 5's
# {glue:text}`step_ratio_threshold:.1f`× is our choice, made on seed 0 before $N$ was raised (Zhang et al. say
# only "a small constant factor"). The β grid, the decoder (128 hidden units, Adam at 3·10⁻³,
# {glue:text}`dec_steps` full-batch steps) and $N$ = {glue:text}`n_train` were set on seed 0, whose
# training, validation and test numbers were all printed during development: seed 0's test numbers are not a
# clean held-out result; seeds 1-5 are.

# %% tags=["hide-input"]
glue_values({"tie_threshold": TIE, "worse_threshold": WORSE})
claims = Claims(chapter="05", scale=cfg.scale, seed=cfg.seed)
claims.add("1", slide="10-11", claim="on the training set the IB Lagrangian cannot tell the hashed index from "
           "the pixels: |L(index) - L(pixels)|, largest over beta", value=tie["index - pixels (train)"],
           op="<", threshold=TIE, unit="bits",
           control="same statistic on the validation set (images the decoders never saw)",
           control_value=tie["index - pixels (validation)"], chosen_on="beta grid and decoder on seed 0")
for i, b in enumerate(cfg.betas):
    claims.report(f"2.{i + 1}", slide="10-11", claim=f"training Lagrangian of the hashed index minus the best "
                  f"learned (VIB) code's, beta = {b:g}", value=il.loc[b], unit="bits", op="<=", threshold=TIE,
                  verdict="supports" if il.loc[b] <= TIE else "contradicts" if il.loc[b] > WORSE else "inconclusive",
                  rule=f"supports if <= {TIE} bits (a tie), contradicts if > {WORSE} bits, else inconclusive",
                  chosen_on="beta grid and decoder on seed 0")
for cid, tag, what in (("3a", "", "label lookup among the candidates (follows from the bound)"),
                       ("3b", " w/o lookup", "label lookup excluded")):
    value = selection[f"regret of train pick{tag}"].min()
    claims.report(cid, slide="11", claim=f"the code with the lowest training Lagrangian is worse on test than "
                  f"the best code, smallest regret over beta; {what}", value=value, unit="bits of test H(y|z)",
                  op=">", threshold=WORSE,
                  verdict="supports" if value > WORSE else "contradicts" if value <= TIE else "inconclusive",
                  rule=f"supports if > {WORSE} bits at every beta, contradicts if <= {TIE} bits at some beta "
                  "(the training pick is as good as the best code there), else inconclusive",
                  control="same rule applied on the validation set",
                  control_value=selection["regret of validation pick"].min(),
                  chosen_on="beta grid and decoder on seed 0")
claims.add("4", slide="11", claim="a conv net fits 100 % random labels (>= 99 % train) at chance on test: "
           "train minus test accuracy", value=memo["gap"].iloc[-1], op=">", threshold=0.8, unit="accuracy",
           control="same net, optimiser and stopping rule with real labels", control_value=memo["gap"].iloc[0],
           chosen_on=f"N = {n_train} on seed 0")
claims.report("5", slide="11", claim=f"random labels take >= {STEP_RATIO}x the steps of real labels to 99 % "
              f"(N = {n_train}, steps at epoch ends)", value=steps_ratio, unit="ratio of steps", op=">=",
              threshold=STEP_RATIO,
              verdict="supports" if steps_ratio >= STEP_RATIO else "contradicts" if steps_ratio <= 1.0 else "inconclusive",
              rule=f"supports if the ratio is >= {STEP_RATIO}, contradicts if <= 1, else inconclusive",
              chosen_on=f"threshold {STEP_RATIO} and N = {n_train} on seed 0")
claims.report("6", slide="11", claim="test accuracy falls as the random fraction rises (Spearman rank correlation)",
              value=rho_test, unit="Spearman rho", op="<", threshold=0.0,
              verdict=verdict_by_margin(rho_test, 0.8, direction=-1),
              rule="supports if rho < -0.8, contradicts if rho > 0.8, else inconclusive")
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
# ```{confirmation-seeds} 05
# ```
