# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5. The catch: an index is a sufficient, minimal representation of the past
#
# **Claim (slides 10-11).** Represent a training image by its *index* in the training set (or by a
# hash): the index is sufficient for the label (look it up) and close to minimal. The slide's example: an
# image of 24,576 bits, an index of 16 bits, a label of 4 bits. So the information bottleneck
# {cite}`tishby2000information`
#
# $$
# \mathcal{L} = H(y \mid z) + \beta\, I(z;x),
# $$
#
# minimised *on the training set*, is "wishful thinking": its optimum memorises, and what we want is a
# statement about future data we do not have. A network can do exactly this: it can memorise random
# labels {cite}`zhang2017understanding`.
#
# Source of this chapter: {download}`05_index_code.py <05_index_code.py>` (jupytext), with its outputs in
# {download}`05_index_code.ipynb <05_index_code.ipynb>`.

# %% tags=["parameters"]
seed = 0  # seed of the data, the label noise, the initialisations
scale = "book"  # "smoke" (seconds), "book" (the committed outputs), "paper" (more data)
device = "auto"  # "auto", "cpu", "cuda"
betas = [0.01, 0.1, 0.5]  # β of the IB Lagrangian (unit-free: both terms in bits)
random_fractions = [0.0, 0.25, 0.5, 0.75, 1.0]  # fractions of training labels replaced by random ones

# %%
from ibcore import params

cfg = params.resolve("05", scale=scale, seed=seed, device=device,
                     betas=params.check_values("betas", sorted(betas), 0.0, 100.0, low_open=True),
                     random_fractions=params.check_values("random_fractions", sorted(random_fractions), 0.0, 1.0,
                                                          min_count=2))
if cfg.random_fractions[0] != 0.0 or cfg.random_fractions[-1] != 1.0:
    raise ValueError(f"random_fractions must include 0 and 1, got {list(cfg.random_fractions)}")
cfg

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch

from ibcore import plots, seed_everything
from ibcore.claims import Claims, glue_values
from ibcore.data import ClutteredDigits, NoisyDigits, label_noise
from ibcore.info import linear_probe_bits, marginal_cross_entropy_bits
from ibcore.losses import vib_loss
from ibcore.models import VIB, ConvNetConfig
from ibcore.train import accuracy, epoch_batches, fit, train_classifier

plots.set_theme()
# Section 2 scores codes on scikit-learn's clean 8x8 digits (a code that generalises exists there);
# section 3 memorises cluttered digits, where N >= 4,000 images are available.
digits = NoisyDigits(n_train=cfg.n_digits, noise_levels=(0.0,), seed=cfg.seed)
data = ClutteredDigits(n_train=cfg.n_train, n_probe=0, n_test=cfg.n_test, seed=cfg.seed)
n_train, n_test = len(data.x_train), len(data.x_test)
LOG2 = math.log(2)

# %% [markdown]
# ## 1. The bits of the slide's example, for our data
#
# The slide's 24,576 bits are a 32×32 colour image at 8 bits a channel (CIFAR-10). Our two data sets:
# scikit-learn's 8×8 digits (17 grey levels a pixel) for the Lagrangian of section 2, and the 32×32 cluttered
# digits of chapter 3 (stored at 8 bits a pixel) for the memorisation of section 3. An index into a training
# set of $N$ images needs $\log_2 N$ bits, a label $\log_2 10$.

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
# ## 2. The IB Lagrangian on past and future data
#
# Four codes $z$ of an image $x$, all scored in bits with $\mathcal{L} = H(y\mid z) + \beta I(z;x)$, on the
# training set (the past) and on the test set (the future: digits never seen in training):
#
# - **index**: $z$ = the image's index in the training set; an unseen image maps to one "unknown" symbol.
#   On the past, $H(y\mid z) = 0$ and $I(z;x) = \log_2 N$; on the future, $I(z;x) = 0$ and
#   $H(y \mid z) = H(y)$.
# - **label lookup**: $z$ = the label stored for that training image ("unknown" if unseen): on the past
#   $H(y\mid z)=0$ and $I(z;x) = H(y)$.
# - **pixels**: $z = x$, read by a linear classifier; $H(y\mid z)$ is its cross-entropy, and a deterministic
#   code of $N$ distinct images has $I(z;x) = \log_2 N$.
# - **learned**: a variational information bottleneck (VIB) {cite}`alemi2017deep` trained at the same β:
#   $H(y\mid z)$ is its decoder's cross-entropy and $I(z;x)$ its variational bound
#   $\mathbb{E}_x \mathrm{KL}(q(z\mid x)\|\mathcal{N}(0,I))$, capped at $\log_2 N$ (no code of $N$ images holds
#   more; the uncapped bound is shown too).
#
# $H(y)$ is the cross-entropy of the training labels' frequencies on each split. Here the data are the
# {glue:text}`n_digits` training and {glue:text}`n_digits_test` test images of scikit-learn's 8×8 digits.

# %%
def label_entropy(y_ref: torch.Tensor, y: torch.Tensor) -> float:
    return marginal_cross_entropy_bits(y_ref, y, n_classes=10)


splits = {"train": (digits.x_train, digits.y_train), "test": (digits.x_test, digits.y_test)}
h_y = {s: label_entropy(digits.y_train, y) for s, (_, y) in splits.items()}
n_of = {s: len(y) for s, (_, y) in splits.items()}

# pixels: one linear classifier fitted on the training images, cross-entropy on each split
pix = {s: linear_probe_bits(digits.x_train, {"y": digits.y_train}, x, {"y": y})["y"] for s, (x, y) in splits.items()}
pixel_ce = {s: label_entropy(digits.y_train, splits[s][1]) - pix[s] for s in splits}


def train_vib(beta: float) -> VIB:
    seed_everything(cfg.seed)
    model = VIB(d_in=digits.x_train.shape[1]).to(cfg.device)
    x, y = digits.x_train.to(cfg.device), digits.y_train.to(cfg.device)
    batches = epoch_batches(n_digits, 100, torch.Generator().manual_seed(cfg.seed))
    steps = cfg.vib_epochs * (n_digits // 100)
    def step_loss(m, idx, step):
        logits, mu, logvar = m(x[idx])
        return vib_loss(logits, y[idx], mu, logvar, beta)

    fit(model, step_loss, batches, steps, lr=1e-3, log_every=steps, desc=f"VIB beta={beta:g}")
    return model


@torch.no_grad()
def vib_terms(model: VIB, x: torch.Tensor, y: torch.Tensor, samples: int = 8) -> tuple[float, float]:
    """H(y|z) bound (decoder cross-entropy, z sampled) and I(z;x) bound (mean KL), both in bits."""
    model.train()  # sample z
    x, y = x.flatten(1).to(cfg.device), y.to(cfg.device)
    terms = []
    for _ in range(samples):
        logits, mu, logvar = model(x)
        terms.append(vib_loss(logits, y, mu, logvar, 0.0))
    model.eval()
    ce, kl = np.mean([t["ce"].item() for t in terms]), terms[0]["kl"].item()
    return ce / LOG2, kl / LOG2


rows = []
for beta in cfg.betas:
    vib = train_vib(beta)
    for s, (x, y) in splits.items():
        log_n = math.log2(n_of[s])
        past = s == "train"
        ce_vib, kl_vib = vib_terms(vib, x, y)
        codes = {
            "index": (0.0 if past else h_y[s], log_n if past else 0.0, np.nan),
            "label lookup": (0.0 if past else h_y[s], h_y[s] if past else 0.0, np.nan),
            "pixels": (pixel_ce[s], log_n, np.nan),
            "learned (VIB)": (ce_vib, min(kl_vib, log_n), kl_vib),
        }
        for code, (h, i, raw) in codes.items():
            rows.append({"beta": beta, "split": s, "code": code, "H(y|z)": h, "I(z;x)": i,
                         "I bound uncapped": raw, "L": h + beta * i})
lagrangian = pd.DataFrame(rows)
lagrangian.pivot_table(index=["beta", "code"], columns="split", values="L").round(3)

# %%
g = sns.catplot(data=lagrangian, x="code", y="L", hue="split", col="beta", kind="bar", height=3.0, aspect=1.1,
                sharey=False)
g.set_xticklabels(rotation=30, ha="right")
g.set_axis_labels("", "IB Lagrangian (bits)")
plt.show()

# %% [markdown]
# On the past, the index is the best code at β = {glue:text}`beta0`: its Lagrangian is
# {glue:text}`L_index_train:.3f` bits against {glue:text}`L_vib_train:.3f` for the learned code and
# {glue:text}`L_pix_train:.3f` for the pixels. On the future it is the worst, with the lookup:
# {glue:text}`L_index_test:.3f` bits, knowing nothing about an image it has not seen
# ($H(y\mid z) = H(y)$), while the learned code reaches {glue:text}`L_vib_test:.3f` and the pixels
# {glue:text}`L_pix_test:.3f`. Minimising the bottleneck on past data does not select the code we want.
# (The learned code's uncapped bound was {glue:text}`vib_raw:.1f` bits at this β, above
# $\log_2 N$ = {glue:text}`log2n:.1f`: a variational bound, capped because no code of N images carries more.)
#
# ## 3. A network memorises random labels
#
# The same small conv net, trained with Adam at a constant learning rate on {glue:text}`n_train` images
# whose labels are partly or entirely replaced by random ones, until it fits ≥ 99 % of its (noisy) training
# labels or runs out of epochs. Test accuracy is measured against the true labels of unseen digits.

# %%
mem_arch = ConvNetConfig(channels=cfg.mem_channels)  # chapter 3's plain net
x_test = data.x_test.to(cfg.device)
mem_rows, curves = [], []
for frac in cfg.random_fractions:
    labels, _ = label_noise(data.y_train, frac, seed=cfg.seed)
    x_tr = data.x_train.to(cfg.device)

    def monitor(step, model, row, labels=labels, frac=frac):
        train_acc = accuracy(model, x_tr, labels)
        model.train()
        curves.append({"random": frac, "step": step, "train_acc": train_acc})
        return {"train_acc": train_acc, "stop": train_acc >= 0.99}

    model, hist = train_classifier(mem_arch, data.x_train, labels, epochs=cfg.mem_epochs, batch_size=128,
                                   lr=1e-3, seed=cfg.seed, device=cfg.device, schedule="constant",
                                   callbacks=[monitor], desc=f"{frac:.0%} random")
    fitted = hist["train_acc"] >= 0.99
    mem_rows.append({"random": frac, "train_acc": hist["train_acc"].iloc[-1],
                     "test_acc (true labels)": accuracy(model, x_test, data.y_test),
                     "steps_to_99": int(hist["step"][fitted].iloc[0]) if fitted.any() else np.nan,
                     "steps_run": int(hist["step"].iloc[-1])})
memo = pd.DataFrame(mem_rows)
memo.round(3)

# %%
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
sns.lineplot(data=pd.DataFrame(curves), x="step", y="train_acc", hue="random", palette="viridis", ax=axes[0])
axes[0].axhline(0.99, color="grey", ls=":", lw=1)
axes[0].set(title="fitting the training labels", ylabel="train accuracy (its own labels)")
axes[1].plot(100 * memo["random"], memo["test_acc (true labels)"], marker="o")
axes[1].axhline(0.1, color="grey", ls=":", lw=1, label="chance")
axes[1].set(xlabel="random labels (%)", ylabel="test accuracy (true labels)", title="what generalises")
axes[1].legend()
fig.tight_layout()
plt.show()

# %%
b0 = cfg.betas[0]
L = lagrangian[lagrangian.beta == b0].set_index(["split", "code"])["L"]
real_steps, rand_steps = memo["steps_to_99"].iloc[0], memo["steps_to_99"].iloc[-1]
glue_values({
    "beta0": f"{b0:g}", "L_index_train": L["train", "index"], "L_vib_train": L["train", "learned (VIB)"],
    "L_pix_train": L["train", "pixels"], "L_index_test": L["test", "index"], "L_vib_test": L["test", "learned (VIB)"],
    "L_pix_test": L["test", "pixels"], "log2n": math.log2(n_digits), "n_train": n_train,
    "n_digits": n_digits, "n_digits_test": len(digits.x_test),
    "vib_raw": float(lagrangian[(lagrangian.beta == b0) & (lagrangian.split == "train")
                                & (lagrangian.code == "learned (VIB)")]["I bound uncapped"].iloc[0]),
    "real_steps": real_steps, "rand_steps": rand_steps, "steps_ratio": rand_steps / real_steps,
    "rand_test": memo["test_acc (true labels)"].iloc[-1], "real_test": memo["test_acc (true labels)"].iloc[0],
})

# %% [markdown]
# With real labels the net fits its {glue:text}`n_train` training images in {glue:text}`real_steps` steps
# and reaches {glue:text}`real_test:.3f` test accuracy; with all labels random it still fits them, in
# {glue:text}`rand_steps` steps ({glue:text}`steps_ratio:.1f`×), and its test accuracy is
# {glue:text}`rand_test:.3f`: chance. Zhang et al. {cite}`zhang2017understanding` report the same on
# CIFAR-10 (random labels fitted to 100 % training accuracy, test at chance, a small constant factor more
# time); at CPU scale our data set is 10× smaller and the net much smaller, so both fits take minutes
# rather than hours.

# %% [markdown]
# ## Claim check

# %%
claims = Claims(chapter="05", scale=cfg.scale)
claims.add("1", f"train set, beta = {b0:g}: the index code's Lagrangian is below the learned code's and the pixels'",
           f"index {L['train', 'index']:.3f}, learned {L['train', 'learned (VIB)']:.3f}, pixels {L['train', 'pixels']:.3f}",
           "index lowest", L["train", "index"] < min(L["train", "learned (VIB)"], L["train", "pixels"]))
test = L["test"]
worst = test["index"] >= test.drop(["index", "label lookup"]).max()
claims.add("2", f"test set, beta = {b0:g}: the index knows nothing (H(y|z) = H(y)), its Lagrangian the worst "
           "(tied with the lookup)", f"index {test['index']:.3f} = H(y) {h_y['test']:.3f}; others "
           + ", ".join(f"{k} {v:.3f}" for k, v in test.drop("index").items()), "worst or tied",
           bool(worst) and abs(test["index"] - h_y["test"]) < 1e-9)
claims.add("3", "100 % random labels fitted to >= 99 % train accuracy, test accuracy within 5 points of chance",
           f"train {memo['train_acc'].iloc[-1]:.3f}, test {memo['test_acc (true labels)'].iloc[-1]:.3f}",
           ">= 0.99; |test - 0.1| <= 0.05",
           memo["train_acc"].iloc[-1] >= 0.99 and abs(memo["test_acc (true labels)"].iloc[-1] - 0.1) <= 0.05)
claims.add("4", f"random labels take >= 1.5x the steps of real labels to 99 % (N = {n_train})",
           f"{rand_steps} vs {real_steps} steps", ">= 1.5x", bool(rand_steps >= 1.5 * real_steps))
accs_test = memo["test_acc (true labels)"].to_numpy()
claims.add("5", "test accuracy falls monotonically as the random fraction rises",
           ", ".join(f"{a:.3f}" for a in accs_test), "each step < 0", bool((np.diff(accs_test) < 0).all()))
claims.record()

# %%
# NBVAL_CHECK_OUTPUT
claims.check()
