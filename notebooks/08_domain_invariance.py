# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 8. Is the representation semantic? One code for two domains
#
# **Claim (slide 6).** A disentangled representation learned in one domain can be reused in a new domain
# that shares its generative factors {cite}`achille2018lifelong`: the latents that carry the shared factors
# in the first domain carry them in the second (*latent homologies*), a new factor takes a latent that was
# spare, and if the model replays its own past while it learns ("dreaming", generative replay
# {cite}`shin2017continual`) it need not forget the first domain. Because shared factors share latents, an
# image can be translated from one domain to the other through its code: the representation is about the
# scene, not about the pixels.
#
# **In this chapter** you will see
#
# - two domains with one factor grid: dSprites {cite}`dsprites17` (domain A) and the same scenes with their
#   contrast inverted (domain B);
# - a β-VAE {cite}`higgins2017beta` trained on A, then on B in three ways: naive fine-tuning, fine-tuning
#   with VASE's generative replay (a simplified VASE), and, for comparison, a model trained on both domains
#   at once with the same number of steps;
# - a precondition, fixed before the confirmation seeds: VASE's claims are about a *disentangled* code, so
#   the claims about homologies and translation are only tested when phase A's code reaches a stated MIG;
# - the latent × factor mutual information on each domain, side by side, and which latent carries each
#   shared factor on A and on B;
# - forgetting curves: domain A's reconstruction while domain B is learned;
# - cross-domain translations (encode an A image, switch the latent that carries the domain, decode),
#   read by a factor regressor trained on real B images, against scene-shuffled and pixel-level controls.
#
# Source of this chapter: {download}`08_domain_invariance.py <08_domain_invariance.py>` (jupytext), with its
# outputs in {download}`08_domain_invariance.ipynb <08_domain_invariance.ipynb>`.

# %% tags=["parameters"]
seed = 0  # seed of data, initialisation and metrics
scale = "book"  # "smoke" (seconds), "book" (the committed outputs), "paper" (a GPU)
device = "auto"  # "auto", "cpu", "cuda"
domain_b = "inverted"  # how domain B renders the scenes: "inverted" (contrast) or "outline"
beta = 4.0  # the beta-VAE's beta
replay_weight = 1.0  # weight of the replay ("dreaming feedback") term
usage_threshold = 0.5  # nats: a latent is used on a domain when its average KL passes this (VASE's mask)

# %% tags=["hide-input"]
from ibcore import params
from ibcore.domains import DOMAIN_STYLES

cfg = params.resolve("08", scale=scale, seed=seed, device=device,
                     domain_b=params.check_choice("domain_b", domain_b, DOMAIN_STYLES),
                     beta=params.check_range("beta", beta, 0.0, 1000.0, low_open=True),
                     replay_weight=params.check_range("replay_weight", replay_weight, 0.0, 100.0),
                     usage_threshold=params.check_range("usage_threshold", usage_threshold, 0.0, 10.0))
cfg

# %% tags=["hide-input"]
import copy
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.metrics import r2_score

from ibcore import plots, seed_everything
from ibcore.claims import Claims, compare, glue_values, verdict_by_margin
from ibcore.domains import TwoDomainSprites
from ibcore.lifelong import (domain_readout, dream, frozen_copy, kl_per_latent, latent_usage, reconstruction_error,
                             replay_loss, translate)
from ibcore.losses import beta_vae_loss
from ibcore.metrics import dominant_latents, kl_columns, mig, mutual_information_matrix, perfect_code_mig
from ibcore.models import VAE, ConvNetConfig, VAEConfig
from ibcore.train import fit, train_classifier

plots.set_theme()
seed_everything(cfg.seed)
started = time.time()
dev = cfg.device
data = TwoDomainSprites(resolution=cfg.resolution, style=cfg.domain_b)
names = list(data.factor_names)
# held-out scenes, never trained on, each rendered in both domains (paired)
pool, held_out = data.sprites.split(cfg.n_codes, seed=cfg.seed)
eval_f = data.classes(held_out).numpy()  # (N, 5) factor classes
eval_a, eval_b = data.images(held_out, 0).to(dev), data.images(held_out, 1).to(dev)
curve_a, curve_b = eval_a[:cfg.n_curve], eval_b[:cfg.n_curve]

# %% [markdown]
# ## What is measured, and the thresholds
#
# Every constant the claims use is defined once here, before any model is trained, and is the same on
# every seed. The precondition floor is {glue:text}`mig_floor_fraction` times the highest MIG a code can
# reach on dSprites with these bins (the MIG of the factors themselves, `ibcore.metrics.perfect_code_mig`):
# a round fraction of the ceiling. It was set on seed 0, after a review of an earlier seed-0 run whose
# phase-A MIG was far below any such floor, and before the confirmation seeds; it is not tuned to put any
# model on either side of it.

# %%
N_LATENTS = 10  # latents of the VAE
N_BINS = 20  # bins per latent of the mutual-information estimates (disentanglement_lib's convention)
SHARED = ["posX", "posY", "scale"]  # the factors the homology and translation claims follow (A and B share all
#                                     five; these three are continuous, so a regressor can read them back)
MIG_CEILING = perfect_code_mig(data.factor_sizes, N_BINS)  # the MIG of a perfect code with these bins
MIG_FLOOR_FRACTION = 0.25
MIG_FLOOR = MIG_FLOOR_FRACTION * MIG_CEILING  # precondition: phase A's MIG on A (before B) at least this
HOMOLOGY_R = 0.8  # homology: min over SHARED of the paired Pearson r above this
FORGET_RATIO = 1.25  # forget-rec: A's reconstruction error after B below this times its value before B
MIG_DROP = 0.05  # forget-mig: MIG on A falls by less than this
REPLAY_GAIN = 2.0  # forget-less: naive's forgetting ratio over replay's above this (log ratio > log 2)
TRANSLATION_R2 = 0.5  # translation: mean over the SHARED factors of R^2 above this
DOMAIN_ACC, DOMAIN_ACC_LOW = 0.95, 0.75  # domain: held-out accuracy of a one-latent threshold
JOINT_MARGIN = 0.05  # joint-gap: replay's MIG on A above the joint model's minus this
ASSERTED: set[str] = set()  # the claims asserted at this budget (see "Claim check"): none

# %% [markdown]
# ## Two domains, one factor grid
#
# Domain A is procedural dSprites at {glue:text}`resolution` px (`ibcore.data.DSprites`); domain B renders
# every scene of the same grid differently (`ibcore.domains.TwoDomainSprites`, here:
# {glue:text}`domain_b`). Both share all five factors; a B image and the A image of the same index are the
# same scene. {numref}`fig-08-domains` shows eight held-out scenes in both renderings.

# %%
fig = plots.image_grid(torch.cat([eval_a[:8], eval_b[:8]]).cpu(), nrow=2,
                       titles=[f"A: scene {i}" for i in range(8)] + [f"B: scene {i}" for i in range(8)])
plots.glue_figure("fig-08-domains", fig)

# %% [markdown]
# ```{glue:figure} fig-08-domains
# :name: fig-08-domains
#
# Eight held-out scenes rendered in domain A (top row) and domain B (bottom row): the same shape, scale,
# orientation and position in each column.
# ```
#
# ## Phase A: one β-VAE learns domain A
#
# The model is the Burgess conv VAE {cite}`burgess2018understanding` with {glue:text}`n_latents` latents,
# β = {glue:text}`beta`, Adam at a learning rate of {glue:text}`lr`, batches of {glue:text}`batch_size`, here
# for {glue:text}`steps_a` steps on domain A, far below published recipes: a length fixed for time before the
# chapter's first book run, which then took {glue:text}`minutes:.1f` minutes of its 10-minute budget on two CPU
# cores, so phase A could be about twice as long. This version keeps it (the precondition below says whether
# phase A's code is disentangled enough for VASE's claims); a longer phase A is the next development step, on
# seed 0. Every sequential model below starts from this one checkpoint, so they
# differ only in what they do with domain B. A copy of its initial weights is kept: the *untrained
# encoder*, a control below.

# %%
def new_vae() -> VAE:
    seed_everything(cfg.seed)
    return VAE(VAEConfig(arch="burgess", resolution=cfg.resolution, latents=N_LATENTS)).to(dev)


def stream(offset: int, domain: int | None):
    """Training batches from the non-held-out scenes: all in ``domain`` (0 = A, 1 = B) or mixed (None)."""
    gen = torch.Generator().manual_seed(cfg.seed * 1000 + offset)
    return lambda step: data.sample(cfg.batch_size, gen, domain=domain, pool=pool)[0].to(dev)


def vae_loss(model, x, step):
    logits, mu, logvar, _ = model(x)
    return beta_vae_loss(logits, x, mu, logvar, cfg.beta)


def track():
    """Callback: reconstruction error of held-out A and B images (nats, posterior mean) at every log."""
    return lambda step, model, row: {"rec_A": reconstruction_error(model, curve_a),
                                     "rec_B": reconstruction_error(model, curve_b)}


model_a = new_vae()
untrained = frozen_copy(model_a)  # the same architecture and initialisation, never trained
hist_a = fit(model_a, vae_loss, stream(1, 0), cfg.steps_a, lr=cfg.lr, log_every=cfg.log_every, desc="phase A")
kl_a = kl_per_latent(model_a, eval_a).cpu()
used_a = latent_usage(kl_a, cfg.usage_threshold)
pd.DataFrame({"KL on A (nats)": kl_a.numpy(), "used on A": used_a.numpy()},
             index=[f"z{j}" for j in range(N_LATENTS)]).T.round(2)

# %%
fig, ax = plt.subplots(figsize=(7.2, 3.4))
for j, col in kl_columns(hist_a).items():
    ax.plot(hist_a["step"], hist_a[col], lw=1.2, label=f"z{j}")
ax.axhline(cfg.usage_threshold, color="k", ls="--", lw=0.8, label="usage threshold")
ax.set(xlabel="phase-A step", ylabel=r"$\mathrm{KL}(q(z_j \mid x) \| p(z_j))$ (nats)",
       title="phase A: KL per latent on training batches")
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", frameon=False, ncol=1)
fig.tight_layout()
plots.glue_figure("fig-08-kl-a", fig)

# %% [markdown]
# ```{glue:figure} fig-08-kl-a
# :name: fig-08-kl-a
#
# Phase A: the KL of each latent to the prior on the training batches, over the {glue:text}`steps_a`
# steps; dashed, the usage threshold. The phase length was set by the time budget; this figure shows how
# far the latents had settled when it ended.
# ```
#
# The latents whose average KL on held-out A images passes {glue:text}`usage_threshold` nats are the ones
# phase A uses (VASE's latent mask); the others are spare capacity.
#
# ## Phase B: three ways to learn domain B
#
# Each model trains {glue:text}`steps_b` more steps on domain B with the same batches:
#
# - **naive**: the phase-A model fine-tuned on B with the same β-VAE loss (the control: expect forgetting);
# - **replay** (a simplified VASE, `ibcore.lifelong`): the same, plus at every step a batch of *dreams*: a
#   frozen copy of the phase-A model decodes prior samples of its used latents (the spare ones at 0) into
#   A-like images $x'$, and the new model pays
#   $\mathrm{KL}\big(q_\phi(z\mid x')\,\|\,q_{\phi'}(z\mid x')\big) + H\big(p_{\theta'}(x\mid z), p_\theta(x\mid z)\big)$
#   for encoding and decoding them differently from the snapshot (VASE's "dreaming feedback"), with
#   weight {glue:text}`replay_weight`. It makes the same number of steps as the naive model, but each step
#   costs two forward and backward passes (the data and the dreams) against one;
# - **joint** (not life-long): a fresh model trained on both domains at once, half of each batch from each
#   on average, for {glue:text}`steps_joint` steps: the number of steps of phase A plus phase B. Whether it
#   is a reference for the life-long models is measured, not assumed (below).
#
# What we simplified of VASE {cite}`achille2018lifelong` (also listed in `ibcore.lifelong`'s docstring):
#
# - **(a) the objective.** VASE trains with a capacity-constrained objective, $\gamma\,|\mathrm{KL} - C|$
#   with a growing capacity $C$ {cite}`burgess2018understanding`, on which its allocation of spare latents
#   to new knowledge rests; here the objective is a fixed-β β-VAE.
# - **(b) no environment variable and no mask in training.** VASE's decoder is given an inferred
#   environment $s$, and its latent mask $a^s$ replaces the latents unused in $s$ while the model trains.
#   Here the model is the plain VAE of [chapter 1](01_beta_vae_decomposition.ipynb): the domain must be
#   carried by a latent like any other factor, inferred by the encoder and never given; the mask appears
#   only in the dreams, decoded from the snapshot's used latents with the spare ones at 0, the prior mean.
# - **(c) how the domain is inferred.** VASE infers $s$ from how atypical a batch's latent usage and
#   reconstruction error are (against a threshold); here nothing infers it during training, and the domain
#   is read back from the codes afterwards, one image at a time (`ibcore.lifelong.domain_readout`).

# %%
old = frozen_copy(model_a)
dream_gen = torch.Generator().manual_seed(cfg.seed * 1000 + 3)


def replay_step_loss(model, x, step):
    terms = vae_loss(model, x, step)
    z, x_dream = dream(old, cfg.batch_size, used_a, dream_gen, device=dev)
    replay = replay_loss(model, old, z, x_dream)
    return terms | replay | {"loss": terms["loss"] + cfg.replay_weight * replay["replay"]}


models, histories = {"before B": model_a}, {}
for name, step_loss in (("naive", vae_loss), ("replay", replay_step_loss)):
    model = copy.deepcopy(model_a)  # the phase-A checkpoint, trainable
    histories[name] = fit(model, step_loss, stream(2, 1), cfg.steps_b, lr=cfg.lr, log_every=cfg.log_every,
                          callbacks=[track()], log_steps=[1], desc=name)
    models[name] = model
models["joint"] = new_vae()
histories["joint"] = fit(models["joint"], vae_loss, stream(4, None), cfg.steps_a + cfg.steps_b, lr=cfg.lr,
                         log_every=cfg.log_every, desc="joint")

# %% [markdown]
# ## Which latent carries which factor, on each domain
#
# Every model encodes the same {glue:text}`n_codes` held-out scenes in both renderings; the codes are the
# posterior means. The mutual information between each latent and each factor (nats,
# {glue:text}`n_bins` bins per latent, `ibcore.metrics.mutual_information_matrix`) is computed separately
# on A and on B, and MIG {cite}`chen2018isolating` on each domain with disentanglement_lib's conventions
# (all five factors; a perfect code scores {glue:text}`mig_ceiling:.3f` with these bins).

# %%
codes, mi, rows = {}, {}, []
for name, model in models.items():
    for dom, x in (("A", eval_a), ("B", eval_b)):
        mu, _ = model.posterior(x)
        codes[name, dom] = mu.cpu().numpy()
        mi[name, dom] = mutual_information_matrix(codes[name, dom], eval_f, N_BINS)
    rows.append({"model": name, "rec A (nats)": reconstruction_error(model, eval_a),
                 "rec B (nats)": reconstruction_error(model, eval_b),
                 "MIG on A": mig(codes[name, "A"], eval_f, N_BINS),
                 "MIG on B": mig(codes[name, "B"], eval_f, N_BINS)})
for dom, x in (("A", eval_a), ("B", eval_b)):  # the untrained encoder: a control of the domain readout only
    codes["untrained", dom] = untrained.posterior(x)[0].cpu().numpy()
scores = pd.DataFrame(rows).set_index("model")
mig_before, mig_joint = scores.loc["before B", "MIG on A"], scores.loc["joint", "MIG on A"]
# the preconditions, stated above before any model was trained
gate_a = bool(mig_before >= MIG_FLOOR)  # phase A's code is disentangled enough for VASE's claims
gate_joint = bool(mig_joint >= mig_before)  # the joint model reaches phase A's MIG on A
scores.round(3)

# %% [markdown]
# {glue:text}`gate_text`
#
# {glue:text}`joint_text`

# %%
fig = plots.mi_matrices({f"{n}: domain {d}": mi[n, d] for n in ("replay", "naive") for d in ("A", "B")}, names)
plots.glue_figure("fig-08-mi", fig)

# %% [markdown]
# ```{glue:figure} fig-08-mi
# :name: fig-08-mi
#
# Mutual information (nats) between each latent (rows) and each factor (columns) of the replay model (left
# pair) and the naively fine-tuned model (right pair), on held-out scenes rendered in domain A and in
# domain B. A latent homology shows as the same bright cell for a factor in both panels of a pair; mutual
# information is blind to the sign, so a reversed code looks the same here. A latent permuted across
# scenes still gets up to {glue:text}`mi_floor:.2f` nats with a shared factor (the plug-in bias of the
# estimate), so dimmer cells carry nothing. The phase-A model's own pair is in the homology table below.
# ```

# %%
# the plug-in bias of the MI estimate: the same estimate on the replay model's A codes with each latent
# permuted across scenes (same marginals, no dependence on the factors); a pick below it is a tie with noise
permuted = np.random.default_rng(cfg.seed * 1000 + 7).permuted(codes["replay", "A"], axis=0)
mi_floor = float(mutual_information_matrix(permuted, eval_f, N_BINS)[:, [names.index(f) for f in SHARED]].max())
homology_rows = []
for name in ("before B", "replay", "naive", "joint"):
    dom_a = dominant_latents(mi[name, "A"])
    dom_b = dominant_latents(mi[name, "B"])
    for f in SHARED:
        k = names.index(f)
        homology_rows.append({"model": name, "factor": f, "latent on A": f"z{dom_a[k]}",
                              "I on A (nats)": mi[name, "A"][dom_a[k], k], "latent on B": f"z{dom_b[k]}",
                              "I on B (nats)": mi[name, "B"][dom_b[k], k], "same": bool(dom_a[k] == dom_b[k]),
                              "both above floor": bool(min(mi[name, "A"][dom_a[k], k],
                                                           mi[name, "B"][dom_b[k], k]) > mi_floor),
                              # value-level homology: does the A-latent of the factor take the same value on
                              # the A and the B rendering of each scene? (Pearson r over paired scenes)
                              "r(A, B) of the A latent": np.corrcoef(codes[name, "A"][:, dom_a[k]],
                                                                     codes[name, "B"][:, dom_a[k]])[0, 1]})
homology = pd.DataFrame(homology_rows)
same = homology.groupby("model", sort=False)["same"].sum()
paired_r = homology.groupby("model", sort=False)["r(A, B) of the A latent"].min()
paired_abs = homology.groupby("model", sort=False)["r(A, B) of the A latent"].apply(lambda r: r.abs().min())
homology.round(3)


# %%
def latent_moves(name: str) -> str:
    """Which shared factors keep their dominant latent from A to B for ``name``, and which move (text)."""
    rows = homology[homology.model == name]
    keep = [f"{r.factor} ({r['latent on A']} on both domains, r = {r['r(A, B) of the A latent']:+.2f})"
            for _, r in rows.iterrows() if r.same]
    move = [f"{r.factor} ({r['latent on A']} on A, {r['latent on B']} on B)" for _, r in rows.iterrows()
            if not r.same]
    parts = []
    if keep:
        parts.append(", ".join(keep) + (" keeps its" if len(keep) == 1 else " keep their") + " dominant latent")
    if move:
        parts.append(", ".join(move) + (" moves" if len(move) == 1 else " move") + " to another latent on B")
    return "; ".join(parts)


# %% [markdown]
# For each shared factor, the latent that carries it most on A and on B, with its mutual information on
# each domain (`both above floor`: both exceed the permuted-latent floor of {glue:text}`mi_floor:.2f` nats;
# otherwise the pick is a tie with noise), and the correlation over paired scenes of the A-latent's value on
# the A and on the B rendering. The replay model keeps {glue:text}`same_replay` of the
# {glue:text}`n_shared` shared factors on the same dominant latent in both domains; the naive model
# {glue:text}`same_naive`, the phase-A model reading B images it never trained on {glue:text}`same_before`,
# the joint model {glue:text}`same_joint`.
# For the replay model: {glue:text}`moves_replay`.
#
# ## Forgetting while domain B is learned

# %%
fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.6), sharex=True)
for name, color in (("naive", "C3"), ("replay", "C0")):
    h = histories[name]
    axes[0].plot(h["step"], h["rec_A"], color=color, label=name)
    axes[1].plot(h["step"], h["rec_B"], color=color, label=name)
before_a, before_b = reconstruction_error(model_a, curve_a), reconstruction_error(model_a, curve_b)
axes[0].axhline(before_a, color="k", ls="--", lw=0.8, label="before B")
axes[1].axhline(before_b, color="k", ls="--", lw=0.8)
axes[0].set(yscale="log", xlabel="phase-B step", ylabel="nats per image (log scale)",
            title="domain A (learned first)")
axes[1].set(yscale="log", xlabel="phase-B step", title="domain B (being learned)")
handles, labels = axes[0].get_legend_handles_labels()
axes[1].legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small", frameon=False)
fig.tight_layout()
plots.glue_figure("fig-08-forgetting", fig)
# the curve's range over the last third of phase B (replay), as a ratio to its value before B
tail = histories["replay"]["step"] >= cfg.steps_b * 2 / 3
curve_lo, curve_hi = (histories["replay"].loc[tail, "rec_A"] / before_a).agg(["min", "max"])

# %% [markdown]
# ```{glue:figure} fig-08-forgetting
# :name: fig-08-forgetting
#
# Reconstruction error $-\log p(x \mid z = \mu(x))$ of {glue:text}`n_curve` held-out images of domain A
# (left) and domain B (right) during phase B, for the naive and the replay model; dashed: the phase-A model,
# before B.
# ```
#
# The forgetting claims use one endpoint: the final models, evaluated on all {glue:text}`n_codes` held-out
# A images (the table above), not the noisier curve. After phase B, domain A's reconstruction error is
# {glue:text}`rec_ratio_replay:.2f` times its value before B for the replay model and
# {glue:text}`rec_ratio_naive:.1f` times for the naive one; over the last third of phase B the replay
# model's curve ranges from {glue:text}`curve_lo:.2f` to {glue:text}`curve_hi:.2f` times its value before B.
# MIG on A goes from {glue:text}`mig_before:.3f` before B to {glue:text}`mig_replay:.3f` (replay) and
# {glue:text}`mig_naive:.3f` (naive); the joint model reaches {glue:text}`mig_joint:.3f` on A.
#
# ## Which latent carries the domain
#
# Nothing tells the models which domain an image comes from. For each model we look for the latent whose
# posterior means separate the two domains best (`ibcore.lifelong.domain_readout`: the largest distance
# between the two domain means in units of the within-domain spread) and infer the domain by thresholding
# it halfway between the means. The latent and the threshold are chosen on half of the held-out scenes
# (both renderings of each), and the accuracy is measured on the other half. Two controls get the same
# readout: the phase-A model, which never trained on B, and the untrained encoder.

# %%
groups = np.tile(np.arange(len(eval_f)), 2)  # a scene's two renderings fall in the same half
domain_labels = np.repeat([0, 1], len(eval_f))
readout = {}
for name in ("replay", "naive", "joint", "before B", "untrained"):
    r = domain_readout(np.concatenate([codes[name, "A"], codes[name, "B"]]), domain_labels, groups=groups,
                       seed=cfg.seed)
    # the KL on A before B of the phase-A model's latents means something only for its descendants
    kl_before = float(kl_a[r.latent]) if name in ("replay", "naive", "before B") else math.nan
    readout[name] = {"domain latent": r.latent, "held-out accuracy": r.accuracy, "fit accuracy": r.fit_accuracy,
                     "mean on A": r.mean_0, "mean on B": r.mean_1, "KL on A before B (nats)": kl_before}
readout = pd.DataFrame(readout).T
readout["domain latent"] = readout["domain latent"].astype(int)
readout.round(3)

# %% [markdown]
# ## Translation across domains
#
# To translate an A image into domain B, we encode it, set the domain latent to its mean on B images, and
# decode. Whether the result is *the same scene* in domain B is judged by a reader that never saw the
# models: a conv regressor (`ibcore.models.ConvNet`, mean-squared error on standardised targets) trained on
# {glue:text}`n_reg` real B images to read posX, posY and scale. Its score is the $R^2$ between what it reads
# from each translation and the source scene's true factors, per factor and as a mean over the three
# factors. The controls use the same regressor and the same statistic: the replay model's translations
# scored against the factors of *other* scenes (a fixed random permutation: what $R^2$ is when the
# translation has nothing to do with its source scene), the mean B image given for every scene (a
# constant output), and two that keep the pixels (the source A image itself, and, where contrast inversion
# is not the domain change, the inverted A image). The same
# translations are also scored against mirrored targets ($1 - $posX, $1 - $posY, scale unchanged), so that
# a translation that lands at the mirror position can be told from one that lands nowhere.

# %%
targets = [names.index(f) for f in SHARED]
reg_gen = torch.Generator().manual_seed(cfg.seed * 1000 + 5)
reg_idx = data.sprites.sample_indices(cfg.n_reg, reg_gen, pool=pool)
y_reg = data.values(reg_idx)[:, targets]  # (n_reg, 3)
y_mean, y_std = y_reg.mean(0), y_reg.std(0)


def mse(model, x, y, step):
    loss = torch.nn.functional.mse_loss(model(x), y)
    return {"loss": loss, "mse": loss}


regressor, _ = train_classifier(ConvNetConfig(channels=(16, 32, 32, 64), canvas=cfg.resolution, classes=3),
                                data.images(reg_idx, 1), (y_reg - y_mean) / y_std, epochs=cfg.reg_epochs,
                                batch_size=128, lr=2e-3, seed=cfg.seed, device=dev, loss_fn=mse, desc="regressor")
true_f = data.values(held_out)[:, targets].numpy()  # (N, 3) the source scenes' factors
# mirrored targets: posX and posY reflected within their range, scale unchanged
values = [np.asarray(data.sprites.factor_values[k], dtype=np.float64) for k in targets]
mirrored_f = true_f.copy()
for c, f in enumerate(SHARED):
    if f in ("posX", "posY"):
        mirrored_f[:, c] = values[c].min() + values[c].max() - true_f[:, c]
shuffle = np.random.default_rng(cfg.seed * 1000 + 6).permutation(len(true_f))  # scene-shuffled control


@torch.no_grad()
def read(images: torch.Tensor) -> np.ndarray:
    """What the B regressor reads from ``images``: (N, 3) posX, posY, scale in the factors' units."""
    pred = torch.cat([regressor(images[i:i + 1024].to(dev)) for i in range(0, len(images), 1024)]).cpu()
    return (pred * y_std + y_mean).numpy()


def r2_row(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """R^2 of ``pred`` against ``target`` per shared factor, their mean, and the mean against mirrored targets."""
    row = {f: r2_score(target[:, c], pred[:, c]) for c, f in enumerate(SHARED)}
    row["mean"] = float(np.mean([row[f] for f in SHARED]))
    return row


translations = {name: translate(models[name], eval_a, int(readout.loc[name, "domain latent"]),
                                float(readout.loc[name, "mean on B"])) for name in ("replay", "joint", "naive")}
preds = {"real B images (the regressor's own accuracy)": read(eval_b),
         **{f"{n}: A translated to B": read(translations[n]) for n in ("replay", "joint", "naive")},
         "control: A pixels kept": read(eval_a), "control: A contrast-inverted": read(1 - eval_a),
         "control: the mean B image for every scene": read(eval_b.mean(0, keepdim=True).expand_as(eval_b))}
reading = pd.DataFrame({k: r2_row(p, true_f) | {"mean vs mirrored targets": r2_row(p, mirrored_f)["mean"]}
                        for k, p in preds.items()}).T
reading.loc["control: replay translations, scenes shuffled"] = (
    r2_row(preds["replay: A translated to B"], true_f[shuffle])
    | {"mean vs mirrored targets": r2_row(preds["replay: A translated to B"], mirrored_f[shuffle])["mean"]})
# the pixel controls: the source image as it is, and (where it is not the domain change) contrast inversion
pixel_controls = ["control: A pixels kept"] + (["control: A contrast-inverted"] if cfg.domain_b != "inverted" else [])
translation_controls = pixel_controls + ["control: the mean B image for every scene",
                                         "control: replay translations, scenes shuffled"]
best_control = reading.loc[translation_controls, "mean"].max()
reading.round(3)

# %%
show = slice(0, 8)
grid = torch.cat([eval_a[show], translations["replay"][show], eval_b[show], translations["joint"][show],
                  translations["naive"][show]]).cpu()
row_names = ["A source", "replay", "true B", "joint", "naive"]
fig = plots.image_grid(grid, nrow=5, titles=[f"{r}" if c == 0 else "" for r in row_names for c in range(8)])
plots.glue_figure("fig-08-translation", fig)
# how much each model's translations vary from scene to scene (mean over pixels of the std over scenes)
spread = {n: float(translations[n].std(0).mean()) for n in translations} | {"true B": float(eval_b.std(0).mean())}

# %% [markdown]
# ```{glue:figure} fig-08-translation
# :name: fig-08-translation
#
# Cross-domain translation of eight held-out A images (top row): the replay model's translation into
# domain B (second row), the true B rendering of the same scenes (third row), and the same translation by
# the joint model (fourth row) and by the naively fine-tuned model (last row). Each translation sets one
# latent, the one that carries the domain, to its mean on B images. How much the translations vary from
# scene to scene (mean over pixels of the standard deviation over all held-out scenes): replay
# {glue:text}`spread_replay:.3f`, joint {glue:text}`spread_joint:.3f`, naive {glue:text}`spread_naive:.3f`,
# true B images {glue:text}`spread_true:.3f`.
# ```
#
# The regressor reads the real B images with a mean $R^2$ of {glue:text}`r2_real:.2f`. From the replay
# model's translations it scores the source scenes' factors with a mean $R^2$ of
# {glue:text}`r2_replay:.2f` (per factor: {glue:text}`r2_factors_replay`); against mirrored targets the
# same translations score {glue:text}`r2_mirror_replay:.2f`, {glue:text}`mirror_word` than against the true
# ones (per factor: {glue:text}`r2_mirror_factors_replay`; only the positions are mirrored, scale is not). The scene-shuffled control scores {glue:text}`r2_shuffled:.2f`, the mean B image
# {glue:text}`r2_mean_b:.2f`, the best pixel-level control
# {glue:text}`r2_pixels:.2f`; the joint model's translations score {glue:text}`r2_joint:.2f` and the naive
# model's {glue:text}`r2_naive:.2f`.

# %% tags=["hide-input"]
rec_before = scores.loc["before B", "rec A (nats)"]
rec_ratio = {n: scores.loc[n, "rec A (nats)"] / rec_before for n in ("naive", "replay", "joint")}
mig_drop = {n: mig_before - scores.loc[n, "MIG on A"] for n in ("naive", "replay")}
forget_gain = math.log(rec_ratio["naive"] / rec_ratio["replay"])  # > 0: replay forgets less than naive
domain_acc = float(readout.loc["replay", "held-out accuracy"])
domain_controls = {"the phase-A model": float(readout.loc["before B", "held-out accuracy"]),
                   "the untrained encoder": float(readout.loc["untrained", "held-out accuracy"])}
domain_control = max(domain_controls.values())
spare_kl = float(readout.loc["replay", "KL on A before B (nats)"])
spare_naive = float(readout.loc["naive", "KL on A before B (nats)"])
spare_before = float(readout.loc["before B", "KL on A before B (nats)"])  # the control: never trained on B
gap = {n: scores.loc[n, "MIG on A"] - mig_joint for n in ("replay", "naive")}
r2 = reading["mean"]
not_disentangled = f"phase-A code not disentangled (MIG {mig_before:.3f} < floor {MIG_FLOOR:.3f})"
not_reached = f"reference not reached (joint model's MIG on A {mig_joint:.3f} < phase A's {mig_before:.3f})"

if gate_a:
    gate_text = (f"Precondition met: phase A's MIG on A is {mig_before:.3f}, at or above the floor of "
                 f"{MIG_FLOOR:.3f} ({MIG_FLOOR_FRACTION:g} of the ceiling {MIG_CEILING:.3f}) fixed above: the "
                 "homology, homology-dominant, forget-mig, translation and joint-gap claims are tested.")
else:
    gate_text = (f"Precondition not met, phase A's code is not disentangled: its MIG on A is {mig_before:.3f}, "
                 f"below the floor of {MIG_FLOOR:.3f} ({MIG_FLOOR_FRACTION:g} of the ceiling {MIG_CEILING:.3f}) "
                 "fixed above. VASE's homology and translation claims are about a disentangled code, and the "
                 "paper's entangled baselines are the models expected to fail them, so on this run the homology, "
                 "homology-dominant, forget-mig, translation and joint-gap claims are inconclusive whatever their numbers. "
                 "Their numbers are shown below; they describe a phase A whose code is not disentangled, not slide 6.")
gate_short = (f"Phase A's code {'passes' if gate_a else 'fails'} the precondition: its MIG on A is {mig_before:.3f} "
              f"against a floor of {MIG_FLOOR:.3f}" + ("." if gate_a else ", so the homology, homology-dominant, "
              "forget-mig, translation and joint-gap claims are inconclusive on this run, whatever the numbers below."))
if gate_joint:
    joint_text = (f"The joint model reaches a MIG of {mig_joint:.3f} on A, at least phase A's {mig_before:.3f}, so it "
                  "serves as a reference for the life-long models.")
else:
    joint_text = (f"The joint model reaches a MIG of only {mig_joint:.3f} on A, below phase A's {mig_before:.3f}: at "
                  "this budget it is not an upper reference, and the joint-gap claim is inconclusive (reference "
                  "not reached).")

reaching = [n for n, v in domain_controls.items() if v >= DOMAIN_ACC]
if reaching:
    who = " and ".join(reaching)
    domain_text = (who[0].upper() + who[1:] + (" also reaches" if len(reaching) == 1 else " also reach")
                   + f" {DOMAIN_ACC:g}, so this readout is not evidence that the replay model learned to infer the "
                   "domain: the two renderings are told apart by a model that never trained on B.")
elif domain_acc >= DOMAIN_ACC:
    domain_text = f"Neither control reaches {DOMAIN_ACC:g}: the readout is learned from B."
else:
    domain_text = f"The replay model does not reach {DOMAIN_ACC:g}."
if spare_kl < cfg.usage_threshold and spare_before < cfg.usage_threshold:
    spare_text = (f"That latent carried {spare_kl:.3f} nats on A before phase B, below the usage threshold; but the "
                  f"phase-A model, which never saw B, also tells the domains apart best on an unused latent "
                  f"({spare_before:.3f} nats; the naive model's: {spare_naive:.3f}), so landing on an unused latent "
                  "says nothing about learning B.")
elif spare_kl < cfg.usage_threshold:
    spare_text = (f"That latent carried {spare_kl:.3f} nats on A before phase B, below the usage threshold, while the "
                  f"phase-A model's own domain latent carried {spare_before:.3f}, above it (the naive model's: "
                  f"{spare_naive:.3f}).")
else:
    spare_text = f"That latent carried {spare_kl:.3f} nats on A before phase B: it was already used on A."
same_word = ("more" if same["naive"] > same["replay"] else "fewer" if same["naive"] < same["replay"]
             else "as many")


def factor_r2(row: str) -> str:
    return ", ".join(f"{f} {reading.loc[row, f]:.2f}" for f in SHARED)


glue_values({
    "resolution": cfg.resolution, "domain_b": {"inverted": "contrast inverted", "outline": "outlines"}[cfg.domain_b],
    "beta": f"{cfg.beta:g}", "lr": f"{cfg.lr:g}", "batch_size": cfg.batch_size, "steps_a": cfg.steps_a,
    "steps_b": cfg.steps_b, "steps_joint": cfg.steps_a + cfg.steps_b, "n_codes": cfg.n_codes,
    "n_curve": cfg.n_curve, "n_reg": cfg.n_reg, "replay_weight": f"{cfg.replay_weight:g}",
    "usage_threshold": f"{cfg.usage_threshold:g}", "n_latents": N_LATENTS, "n_bins": N_BINS,
    "n_shared": len(SHARED), "mig_ceiling": MIG_CEILING, "mig_floor": MIG_FLOOR,
    "mig_floor_fraction": f"{MIG_FLOOR_FRACTION:g}", "homology_r": f"{HOMOLOGY_R:g}",
    "forget_ratio": f"{FORGET_RATIO:g}", "mig_drop_margin": f"{MIG_DROP:g}", "replay_gain": f"{REPLAY_GAIN:g}",
    "translation_r2": f"{TRANSLATION_R2:g}", "domain_acc_threshold": f"{DOMAIN_ACC:g}",
    "domain_acc_low": f"{DOMAIN_ACC_LOW:g}", "joint_margin": f"{JOINT_MARGIN:g}",
    "gate_text": gate_text, "gate_short": gate_short, "joint_text": joint_text, "domain_text": domain_text,
    "spare_text": spare_text,
    "same_replay": int(same["replay"]), "same_naive": int(same["naive"]), "same_joint": int(same["joint"]),
    "same_before": int(same["before B"]), "same_word": same_word, "moves_replay": latent_moves("replay"),
    "rec_ratio_replay": rec_ratio["replay"], "rec_ratio_naive": rec_ratio["naive"], "forget_gain": forget_gain,
    "curve_lo": curve_lo, "curve_hi": curve_hi,
    "mig_before": mig_before, "mig_replay": scores.loc["replay", "MIG on A"],
    "mig_naive": scores.loc["naive", "MIG on A"], "mig_joint": mig_joint,
    "r2_real": r2.iloc[0], "r2_replay": r2["replay: A translated to B"], "r2_joint": r2["joint: A translated to B"],
    "r2_naive": r2["naive: A translated to B"], "r2_factors_replay": factor_r2("replay: A translated to B"),
    "r2_mirror_replay": reading.loc["replay: A translated to B", "mean vs mirrored targets"],
    "r2_mirror_factors_replay": ", ".join(f"{f} {v:.2f}" for f, v in
                                         r2_row(preds["replay: A translated to B"], mirrored_f).items() if f != "mean"),
    "mirror_word": "higher" if reading.loc["replay: A translated to B", "mean vs mirrored targets"]
    > r2["replay: A translated to B"] else "lower",
    "r2_shuffled": r2["control: replay translations, scenes shuffled"], "mi_floor": mi_floor,
    "r2_mean_b": r2["control: the mean B image for every scene"], "r2_pixels": r2[pixel_controls].max(),
    "spread_replay": spread["replay"], "spread_joint": spread["joint"], "spread_naive": spread["naive"],
    "spread_true": spread["true B"],
    "domain_acc": domain_acc, "domain_acc_before": domain_controls["the phase-A model"],
    "domain_acc_untrained": domain_controls["the untrained encoder"],
    "domain_latent": f"z{readout.loc['replay', 'domain latent']}",
    "minutes": (time.time() - started) / 60,
    **{f"r_{n.replace(' B', '').replace(' ', '_')}": ", ".join(
        f"{f} {r:+.2f}" for f, r in zip(SHARED, homology.loc[homology.model == n, "r(A, B) of the A latent"]))
       for n in ("replay", "naive", "before B")},
    **{f"min_r_{n.replace(' B', '').replace(' ', '_')}": paired_r[n] for n in ("replay", "naive", "before B")},
    **{f"min_abs_r_{n.replace(' B', '').replace(' ', '_')}": paired_abs[n] for n in ("replay", "naive", "before B")},
    "asserted_text": ("This chapter asserts nothing at this budget, so its claim check cannot fail: every claim "
                      "below is reported with its verdict." if not ASSERTED else
                      "Asserted at this budget: " + ", ".join(sorted(ASSERTED)) + "."),
})

# %% [markdown]
# **What we see.** {glue:text}`gate_short`
#
# *Forgetting.* The naive model's reconstruction error on A ends {glue:text}`rec_ratio_naive:.1f` times its
# value before B ({numref}`fig-08-forgetting`), the replay model's {glue:text}`rec_ratio_replay:.2f` times:
# the log of the ratio of the two is {glue:text}`forget_gain:.2f`.
#
# *The domain.* The replay model's latent {glue:text}`domain_latent` infers the domain of held-out scenes
# with an accuracy of {glue:text}`domain_acc:.3f`; the phase-A model, which never trained on B, reaches
# {glue:text}`domain_acc_before:.3f` with the same readout, the untrained encoder
# {glue:text}`domain_acc_untrained:.3f`. {glue:text}`domain_text` {glue:text}`spare_text`
#
# *Homologies.* On the latent that carries each shared factor on A, the correlation between the codes of
# the A and the B rendering of the same scenes is {glue:text}`r_replay` for the replay model (min $r$
# {glue:text}`min_r_replay:.2f`, min $|r|$ {glue:text}`min_abs_r_replay:.2f`), {glue:text}`r_naive` for the
# naive one (min $|r|$ {glue:text}`min_abs_r_naive:.2f`), and {glue:text}`r_before` for the phase-A model
# reading B images before any training on B (min $|r|$ {glue:text}`min_abs_r_before:.2f`). A correlation
# near −1 is a reversed code: a sprite on the left in domain B is coded like a sprite on the right in
# domain A. The phase-A model is the control: a correlation it already has is inherited from its encoder,
# not learned with replay. By the largest mutual information, for the replay model
# {glue:text}`moves_replay`; the naive model keeps {glue:text}`same_word` dominant latents than replay
# ({glue:text}`same_naive` against {glue:text}`same_replay`).
#
# *Translation.* Switching the domain latent gives a mean $R^2$ of {glue:text}`r2_replay:.2f` against the
# source scenes and {glue:text}`r2_mirror_replay:.2f` against their mirror images, where the scene-shuffled
# control gives {glue:text}`r2_shuffled:.2f` ({numref}`fig-08-translation`).
#
# **Beside the paper.** VASE {cite}`achille2018lifelong` gives its decoder the inferred environment as an
# input and translates by switching it; the model here has no such input (the domain is one more latent),
# trains with a fixed β rather than VASE's capacity objective, and uses the latent mask only in its dreams
# (simplifications (a)-(c) above). Domain B shares *all* factors with A, so VASE's other half, "a new
# factor takes a spare latent", is not tested here: no factor is new, and the domain itself is not a
# generative factor of either domain (in VASE it is the discrete variable $s$). A phase A of
# {glue:text}`steps_a` steps and a phase B of {glue:text}`steps_b` steps at {glue:text}`resolution` px are
# far from the paper's budget; the claims below are about this simplified, CPU-sized VASE. The chapter ran
# in {glue:text}`minutes:.1f` minutes.
#
# ## Claim check
#
# Statistics and thresholds, each a constant of the cell "What is measured, and the thresholds", fixed
# before the confirmation seeds (a priori unless said otherwise; the record's `chosen_on` says which):
#
# - **precondition** of homology, homology-dominant, forget-mig, translation and joint-gap (set on seed 0, see above):
#   phase A's MIG on A at least {glue:text}`mig_floor:.3f` ({glue:text}`mig_floor_fraction` of the ceiling
#   {glue:text}`mig_ceiling:.3f`);
#   joint-gap also needs the joint model's MIG on A at least phase A's. A claim whose precondition fails is
#   inconclusive whatever its numbers.
# - **homology**: on the latent that carries each shared factor on A, the A and B renderings of the same
#   scenes get the same values: the Pearson correlation over paired held-out scenes, its minimum over the
#   {glue:text}`n_shared` shared factors above {glue:text}`homology_r`. Control: the phase-A model reading B
#   images before phase B. The issue's original statistic, "the same latent has the largest mutual
#   information on both domains", is kept as **homology-dominant** (all {glue:text}`n_shared` factors, same
#   control); the correlation was added on seed 0 because mutual information cannot see a reversed code,
#   and a reversed code defeats translation.
# - **no forgetting**: A's reconstruction error after B (final models, {glue:text}`n_codes` held-out A
#   images) below {glue:text}`forget_ratio` times its value before B (**forget-rec**), and MIG on A falling
#   by less than {glue:text}`mig_drop_margin` (**forget-mig**); the control is the naively fine-tuned model.
#   **forget-less** compares the two directly: the log of the naive model's ratio over the replay model's,
#   supports above log {glue:text}`replay_gain`, contradicts below −log {glue:text}`replay_gain`.
# - **translation**: the mean over the {glue:text}`n_shared` factors of $R^2$ above
#   {glue:text}`translation_r2`, against the best of the scene-shuffled, mean-B-image and pixel-level
#   controls.
# - **domain**: held-out accuracy of the one-latent readout at least {glue:text}`domain_acc_threshold`
#   (contradicts below {glue:text}`domain_acc_low`), against the phase-A model and the untrained encoder;
#   **spare**: the domain latent's KL on A before B below the usage threshold, against the phase-A model's
#   own domain latent (it never saw B; the naive model's was the control until the second review).
# - **joint-gap**: replay's MIG on A above the joint model's minus {glue:text}`joint_margin`, against the
#   same gap for the naive model.
#
# A reported claim's verdict: supports if the claim holds and its control does not, inconclusive if both
# hold or a precondition fails, contradicts if the claim does not hold (domain and forget-less have the
# rules stated above). A claim is asserted only if, on seed 0, its precondition held and it held with its
# control failing. {glue:text}`asserted_text` Development choices made on seed 0:
#
# - the phase lengths and sizes of `ibcore.params` (scale "book"), fixed for time before the first book
#   run, not by the claims ({numref}`fig-08-kl-a` shows how far phase A's latents had settled);
# - domain B's rendering: contrast inversion rather than outlines (`domain_b="outline"`, a parameter of
#   this chapter, reruns the other one). In the development runs with outlines, not recorded in the
#   repository, no single latent carried the domain and the replay model did not learn B, so neither
#   translation nor forgetting could be tested;
# - the replay recipe of `ibcore.lifelong` (dreams from the used latents only, both replay terms at weight 1);
# - the homology statistic (the paired correlation, above).

# %% tags=["hide-input"]
claims = Claims(chapter="08", scale=cfg.scale, seed=cfg.seed)
RULE = ("supports if the claim holds and its control does not, inconclusive if both hold, contradicts if the "
        "claim does not hold")
GATE_A = (gate_a, f"phase A's MIG on A >= {MIG_FLOOR:.3f}, {MIG_FLOOR_FRACTION:g} of the ceiling", not_disentangled)
GATE_CHOSEN = f"; precondition floor ({MIG_FLOOR_FRACTION:g} of the MIG ceiling) set on seed 0"
GATE_JOINT = (gate_joint, "the joint model's MIG on A >= phase A's", not_reached)


def claim(id: str, gates: tuple = (), **kw) -> None:
    """Assert the claim if it is in ASSERTED and its preconditions (``gates``) hold; otherwise report it with
    its numbers and the verdict of RULE, inconclusive whenever a precondition fails."""
    failed = [reason for ok, _, reason in gates if not ok]
    if id in ASSERTED and not failed:
        claims.add(id, slide="6", **kw)
        return
    holds = compare(kw["value"], kw["op"], kw["threshold"])
    control_holds = compare(kw["control_value"], kw["op"], kw["threshold"])
    verdict = "inconclusive" if failed else "contradicts" if not holds else "inconclusive" if control_holds \
        else "supports"
    rule = RULE + ("" if not gates else "; inconclusive whatever the numbers unless "
                   + " and ".join(desc for _, desc, _ in gates))
    if failed:
        rule += ". Here: " + "; ".join(failed)
    claims.report(id, slide="6", verdict=verdict, rule=rule, **kw)


claim("homology", gates=(GATE_A,),
      claim="latent homology: on the latent that carries each shared factor (posX, posY, scale) on A, the A and "
      "B renderings of a scene get the same value (min over factors of Pearson r, replay)",
      value=paired_r["replay"], op=">", threshold=HOMOLOGY_R, unit="Pearson r",
      control="the same correlation for the phase-A model reading B images before phase B",
      control_value=paired_r["before B"],
      chosen_on="statistic chosen on seed 0 (mutual information cannot see a reversed code); threshold a priori"
      + GATE_CHOSEN)
claim("homology-dominant", gates=(GATE_A,),
      claim="each shared factor has the same dominant latent (largest mutual information) on A and on B, replay "
      "model (the issue's original statistic)", value=int(same["replay"]), op=">=", threshold=len(SHARED),
      unit=f"factors of {len(SHARED)}", control="the same count for the phase-A model reading B images",
      control_value=int(same["before B"]), chosen_on="statistic from issue 20, a priori" + GATE_CHOSEN)
claim("forget-rec", claim="replay: A's reconstruction error after learning B (final model, held-out A images) "
      f"below {FORGET_RATIO:g} times its value before B", value=rec_ratio["replay"], op="<",
      threshold=FORGET_RATIO, unit="ratio", control="the same ratio for the naively fine-tuned model",
      control_value=rec_ratio["naive"], chosen_on="margin a priori")
claims.report("forget-less", slide="6", claim="replay forgets A less than naive fine-tuning: log of the naive "
              "model's forgetting ratio over the replay model's (forget-rec's ratios)", value=forget_gain,
              op=">", threshold=math.log(REPLAY_GAIN), unit="log ratio",
              verdict=verdict_by_margin(forget_gain, math.log(REPLAY_GAIN)),
              rule=f"supports if above log {REPLAY_GAIN:g}, contradicts if below -log {REPLAY_GAIN:g} (replay's "
                   f"ratio over {REPLAY_GAIN:g} times naive's), else inconclusive (ibcore.claims.verdict_by_margin)",
              chosen_on="margin a priori")
claim("forget-mig", gates=(GATE_A,), claim=f"replay: MIG on A falls by less than {MIG_DROP:g} while B is learned",
      value=mig_drop["replay"], op="<", threshold=MIG_DROP, unit="MIG",
      control="the same drop for the naively fine-tuned model", control_value=mig_drop["naive"],
      chosen_on="margin a priori; gated like the homology claims (a MIG drop means little below the floor), "
      "a choice made on seed 0 after the review" + GATE_CHOSEN)
claim("translation", gates=(GATE_A,),
      claim="an A image translated to B through the replay model's code is the same scene: a regressor trained "
      "on B reads its factors (mean R^2 over posX, posY, scale)", value=r2["replay: A translated to B"], op=">",
      threshold=TRANSLATION_R2, unit="R^2",
      control="the best of: the replay translations scored against shuffled scenes, the mean B image, " + ", ".join(
          c.removeprefix("control: ") for c in pixel_controls) + ", read by the same regressor",
      control_value=best_control, chosen_on="threshold a priori; domain B's rendering on seed 0" + GATE_CHOSEN)
verdict = ("contradicts" if domain_acc < DOMAIN_ACC_LOW else "inconclusive"
           if domain_acc < DOMAIN_ACC or domain_control >= DOMAIN_ACC else "supports")
claims.report("domain", slide="6", claim="the domain is inferred, not given: one latent of the replay model tells "
              "A from B (latent and threshold chosen on half of the scenes, accuracy on the other half)",
              value=domain_acc, unit="accuracy", op=">=", threshold=DOMAIN_ACC, verdict=verdict,
              control="the best of the phase-A model (never trained on B) and the untrained encoder, same readout",
              control_value=domain_control, chosen_on="thresholds a priori",
              rule=f"supports if the held-out accuracy is >= {DOMAIN_ACC:g} and no control reaches {DOMAIN_ACC:g}, "
                   f"contradicts if < {DOMAIN_ACC_LOW:g}, else inconclusive")
claim("spare", claim="the domain signal lands on a latent that was unused on A (its KL on A before B below the "
      "usage threshold), replay model", value=spare_kl, op="<", threshold=cfg.usage_threshold, unit="nats",
      control="the same KL for the domain latent of the phase-A model (never trained on B)",
      control_value=spare_before,
      chosen_on="usage threshold a priori")
claim("joint-gap", gates=(GATE_A, GATE_JOINT),
      claim=f"life-long replay keeps A's MIG within {JOINT_MARGIN:g} of the joint model's",
      value=gap["replay"], op=">", threshold=-JOINT_MARGIN, unit="MIG",
      control="the same gap for the naively fine-tuned model", control_value=gap["naive"],
      chosen_on="margin a priori" + GATE_CHOSEN)
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
# ```{confirmation-seeds} 08
# ```
