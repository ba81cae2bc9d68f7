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
#   with VASE's generative replay (a simplified VASE), and, as the upper reference, training on both
#   domains at once with the same budget;
# - the latent × factor mutual information on each domain, side by side, and which latent carries each
#   shared factor on A and on B;
# - forgetting curves: domain A's reconstruction while domain B is learned;
# - cross-domain translations (encode an A image, switch the latent that carries the domain, decode),
#   read by a factor regressor trained on real B images.
#
# Source of this chapter: {download}`08_domain_invariance.py <08_domain_invariance.py>` (jupytext), with its
# outputs in {download}`08_domain_invariance.ipynb <08_domain_invariance.ipynb>`.

# %% tags=["parameters"]
seed = 0  # seed of data, initialisation and metrics
scale = "book"  # "smoke" (seconds), "book" (the committed outputs), "paper" (a GPU)
device = "auto"  # "auto", "cpu", "cuda"
domain_b = "inverted"  # how domain B renders the scenes: "inverted" (contrast) or "outline"
beta = 4.0  # the beta-VAE's beta (chapter 2's fixed-beta recipe)
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
from ibcore.metrics import dominant_latents, mig, mutual_information_matrix
from ibcore.models import VAE, ConvNetConfig, VAEConfig
from ibcore.train import fit, train_classifier

plots.set_theme()
seed_everything(cfg.seed)
started = time.time()
dev = cfg.device
data = TwoDomainSprites(resolution=cfg.resolution, style=cfg.domain_b)
names = list(data.factor_names)
SHARED = ["posX", "posY", "scale"]  # the factors a 32 px beta-VAE encodes (chapter 2); all are shared
# held-out scenes, never trained on, each rendered in both domains (paired)
pool, held_out = data.sprites.split(cfg.n_codes, seed=cfg.seed)
eval_f = data.classes(held_out).numpy()  # (N, 5) factor classes
eval_a, eval_b = data.images(held_out, 0).to(dev), data.images(held_out, 1).to(dev)
curve_a, curve_b = eval_a[:cfg.n_curve], eval_b[:cfg.n_curve]

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
# The model is chapter 2's fixed-β recipe: the Burgess conv VAE with 10 latents, β = {glue:text}`beta`,
# Adam at a learning rate of {glue:text}`lr`, batches of {glue:text}`batch_size`, here for
# {glue:text}`steps_a` steps on domain A. Every sequential model below starts from this one checkpoint, so
# they differ only in what they do with domain B.

# %%
def new_vae() -> VAE:
    seed_everything(cfg.seed)
    return VAE(VAEConfig(arch="burgess", resolution=cfg.resolution, latents=10)).to(dev)


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
hist_a = fit(model_a, vae_loss, stream(1, 0), cfg.steps_a, lr=cfg.lr, log_every=cfg.log_every, desc="phase A")
kl_a = kl_per_latent(model_a, eval_a).cpu()
used_a = latent_usage(kl_a, cfg.usage_threshold)
pd.DataFrame({"KL on A (nats)": kl_a.numpy(), "used on A": used_a.numpy()},
             index=[f"z{j}" for j in range(10)]).T.round(2)

# %% [markdown]
# The latents whose average KL on A passes {glue:text}`usage_threshold` nats are the ones phase A uses
# (VASE's latent mask); the others are spare capacity.
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
#   weight {glue:text}`replay_weight`;
# - **joint** (the upper reference, not life-long): a fresh model trained on both domains at once, half of
#   each batch from each on average, for {glue:text}`steps_joint` steps: the whole budget of phase A plus
#   phase B.
#
# What we simplified of VASE {cite}`achille2018lifelong`, and why: the paper's model infers a discrete
# environment variable for each input (from how typical its latent usage and reconstruction are) and gives
# it to the decoder; here the model is the plain VAE of chapters 1-2, so the domain must be carried by a
# latent like any other factor, inferred by the encoder and never given. Dreams are decoded from the
# snapshot's used latents with the spare ones at 0, the prior mean, so that a spare latent is free to carry
# the new domain without contradicting the dreams (the role of VASE's latent masks).

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
# posterior means. The mutual information between each latent and each factor (nats, 20 bins per latent,
# `ibcore.metrics.mutual_information_matrix`) is computed separately on A and on B, and MIG
# {cite}`chen2018isolating` on each domain with chapter 2's conventions (all five factors).

# %%
codes, mi, rows = {}, {}, []
for name, model in models.items():
    for dom, x in (("A", eval_a), ("B", eval_b)):
        mu, _ = model.posterior(x)
        codes[name, dom] = mu.cpu().numpy()
        mi[name, dom] = mutual_information_matrix(codes[name, dom], eval_f)
    rows.append({"model": name, "rec A (nats)": reconstruction_error(model, eval_a),
                 "rec B (nats)": reconstruction_error(model, eval_b),
                 "MIG on A": mig(codes[name, "A"], eval_f), "MIG on B": mig(codes[name, "B"], eval_f)})
scores = pd.DataFrame(rows).set_index("model")
scores.round(3)

# %%
fig = plots.mi_matrices({f"{n}: domain {d}": mi[n, d] for n in ("replay", "naive") for d in ("A", "B")}, names)
plots.glue_figure("fig-08-mi", fig)

# %% [markdown]
# ```{glue:figure} fig-08-mi
# :name: fig-08-mi
#
# Mutual information (nats) between each latent (rows) and each factor (columns) of the replay model (left
# pair) and the naively fine-tuned model (right pair), on held-out scenes rendered in domain A and in
# domain B. Latent homology: the same bright cell for a factor in both panels of a pair.
# ```

# %%
homology_rows = []
for name in models:
    dom_a = dominant_latents(mi[name, "A"])
    dom_b = dominant_latents(mi[name, "B"])
    for f in SHARED:
        k = names.index(f)
        homology_rows.append({"model": name, "factor": f, "latent on A": f"z{dom_a[k]}",
                              "I on A (nats)": mi[name, "A"][dom_a[k], k], "latent on B": f"z{dom_b[k]}",
                              "I on B (nats)": mi[name, "B"][dom_b[k], k], "same": bool(dom_a[k] == dom_b[k]),
                              # value-level homology: does the A-latent of the factor take the same value on
                              # the A and the B rendering of each scene? (Pearson r over paired scenes)
                              "r(A, B) of the A latent": np.corrcoef(codes[name, "A"][:, dom_a[k]],
                                                                     codes[name, "B"][:, dom_a[k]])[0, 1]})
homology = pd.DataFrame(homology_rows)
same = homology.groupby("model", sort=False)["same"].sum()
paired_r = homology.groupby("model", sort=False)["r(A, B) of the A latent"].min()
homology.round(3)

# %% [markdown]
# For each shared factor, the latent that carries it most on A and on B, with its mutual information on
# each domain. The replay model keeps {glue:text}`same_replay` of the 3 shared factors on the same latent
# in both domains; the naive model {glue:text}`same_naive`, the joint model {glue:text}`same_joint`.
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

# %% [markdown]
# ```{glue:figure} fig-08-forgetting
# :name: fig-08-forgetting
#
# Reconstruction error $-\log p(x \mid z = \mu(x))$ of {glue:text}`n_curve` held-out images of domain A
# (left) and domain B (right) during phase B, for the naive and the replay model; dashed: the phase-A model,
# before B.
# ```
#
# After phase B, domain A's reconstruction error is {glue:text}`rec_ratio_replay:.2f` times its value
# before B for the replay model and {glue:text}`rec_ratio_naive:.2f` times for the naive one; MIG on A goes
# from {glue:text}`mig_before:.3f` before B to {glue:text}`mig_replay:.3f` (replay) and
# {glue:text}`mig_naive:.3f` (naive). The joint model, which saw both domains all along, reaches
# {glue:text}`mig_joint:.3f` on A.
#
# ## Which latent carries the domain
#
# Nothing tells the models which domain an image comes from. For each model we look for the latent whose
# posterior means separate the two domains best (`ibcore.lifelong.domain_readout`: the largest distance
# between the two domain means in units of the within-domain spread) and infer the domain by thresholding
# it halfway between the means.

# %%
readout = {}
for name in ("replay", "joint", "naive"):
    both = np.concatenate([codes[name, "A"], codes[name, "B"]])
    labels = np.repeat([0, 1], len(eval_f))
    j, acc, m_a, m_b = domain_readout(both, labels)
    readout[name] = {"domain latent": j, "accuracy": acc, "mean on A": m_a, "mean on B": m_b,
                     "KL on A before B (nats)": float(kl_a[j]), "spare before B": not bool(used_a[j])}
readout = pd.DataFrame(readout).T
readout

# %% [markdown]
# ## Translation across domains
#
# To translate an A image into domain B, we encode it, set the domain latent to its mean on B images, and
# decode. Whether the result is *the same scene* in domain B is judged by a reader that never saw the
# models: a conv regressor (`ibcore.models.ConvNet`, mean-squared error on standardised targets) trained on
# {glue:text}`n_reg` real B images to read posX, posY and scale. Its score is the $R^2$ between what it reads
# from each translation and the source scene's true factors, averaged over the three factors. The control
# keeps the pixels: the source A image itself, given to the same regressor.

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


@torch.no_grad()
def read_r2(images: torch.Tensor) -> float:
    """Mean R^2 over posX, posY, scale of the B regressor reading ``images`` against the true factors."""
    pred = torch.cat([regressor(images[i:i + 1024].to(dev)) for i in range(0, len(images), 1024)]).cpu()
    pred = (pred * y_std + y_mean).numpy()
    return float(np.mean([r2_score(true_f[:, k], pred[:, k]) for k in range(len(SHARED))]))


translations = {name: translate(models[name], eval_a, int(readout.loc[name, "domain latent"]),
                                float(readout.loc[name, "mean on B"])) for name in ("replay", "joint", "naive")}
reading = pd.Series({"real B images (the regressor's own accuracy)": read_r2(eval_b),
                     "replay: A translated to B": read_r2(translations["replay"]),
                     "joint: A translated to B": read_r2(translations["joint"]),
                     "naive: A translated to B": read_r2(translations["naive"]),
                     "control: A pixels kept": read_r2(eval_a),
                     "control: A contrast-inverted": read_r2(1 - eval_a)}, name="mean R² (posX, posY, scale)")
# the pixel controls: the source image as it is, and (where it is not the domain change) contrast inversion
pixel_controls = ["control: A pixels kept"] + (["control: A contrast-inverted"] if cfg.domain_b != "inverted" else [])
best_control = reading[pixel_controls].max()
reading.to_frame().round(3)

# %%
show = slice(0, 8)
grid = torch.cat([eval_a[show], translations["replay"][show], eval_b[show], translations["joint"][show],
                  translations["naive"][show]]).cpu()
row_names = ["A source", "replay", "true B", "joint", "naive"]
fig = plots.image_grid(grid, nrow=5, titles=[f"{r}" if c == 0 else "" for r in row_names for c in range(8)])
plots.glue_figure("fig-08-translation", fig)

# %% [markdown]
# ```{glue:figure} fig-08-translation
# :name: fig-08-translation
#
# Cross-domain translation of eight held-out A images (top row): the replay model's translation into
# domain B (second row), the true B rendering of the same scenes (third row), and the same translation by
# the joint model (fourth row) and by the naively fine-tuned model (last row). Each translation sets one
# latent, the one that carries the domain, to its mean on B images.
# ```
#
# The regressor reads the real B images with $R^2$ = {glue:text}`r2_real:.2f`; from the replay model's
# translations it recovers the source scenes' factors with $R^2$ = {glue:text}`r2_replay:.2f` (joint model:
# {glue:text}`r2_joint:.2f`), and from the untranslated A pixels with $R^2$ = {glue:text}`r2_pixels:.2f`.

# %% tags=["hide-input"]
rec_before = scores.loc["before B", "rec A (nats)"]
rec_ratio = {n: scores.loc[n, "rec A (nats)"] / rec_before for n in ("naive", "replay", "joint")}
mig_drop = {n: scores.loc["before B", "MIG on A"] - scores.loc[n, "MIG on A"] for n in ("naive", "replay")}
glue_values({
    "resolution": cfg.resolution, "domain_b": {"inverted": "contrast inverted", "outline": "outlines"}[cfg.domain_b],
    "beta": f"{cfg.beta:g}", "lr": f"{cfg.lr:g}", "batch_size": cfg.batch_size, "steps_a": cfg.steps_a,
    "steps_b": cfg.steps_b, "steps_joint": cfg.steps_a + cfg.steps_b, "n_codes": cfg.n_codes,
    "n_curve": cfg.n_curve, "n_reg": cfg.n_reg, "replay_weight": f"{cfg.replay_weight:g}",
    "usage_threshold": f"{cfg.usage_threshold:g}",
    "same_replay": int(same["replay"]), "same_naive": int(same["naive"]), "same_joint": int(same["joint"]),
    "rec_ratio_replay": rec_ratio["replay"], "rec_ratio_naive": rec_ratio["naive"],
    "mig_before": scores.loc["before B", "MIG on A"], "mig_replay": scores.loc["replay", "MIG on A"],
    "mig_naive": scores.loc["naive", "MIG on A"], "mig_joint": scores.loc["joint", "MIG on A"],
    "r2_real": reading.iloc[0], "r2_replay": reading.iloc[1], "r2_joint": reading.iloc[2],
    "r2_pixels": best_control, "domain_acc": readout.loc["replay", "accuracy"],
    "domain_latent": f"z{readout.loc['replay', 'domain latent']}",
    "domain_kl_a": readout.loc["replay", "KL on A before B (nats)"],
    "minutes": (time.time() - started) / 60,
    **{f"r_{n.replace(' B', '').replace(' ', '_')}": ", ".join(
        f"{f} {r:+.2f}" for f, r in zip(SHARED, homology.loc[homology.model == n, "r(A, B) of the A latent"]))
       for n in ("replay", "naive", "before B")},
})

# %% [markdown]
# **What we see.** Without replay, learning B wrecks A: the naive model's reconstruction error on A ends
# {glue:text}`rec_ratio_naive:.1f` times its value before B ({numref}`fig-08-forgetting`), while the replay
# model's ends {glue:text}`rec_ratio_replay:.2f` times it. The replay model infers the domain from latent
# {glue:text}`domain_latent` with an accuracy of {glue:text}`domain_acc:.3f` on held-out images of both
# domains; that latent carried {glue:text}`domain_kl_a:.2f` nats on A before phase B, so the new factor went
# to spare capacity, as in VASE. On the latent that carries each shared factor on A, the correlation between
# the codes of the A and the B rendering of the same scenes is {glue:text}`r_replay` for the replay model
# ({glue:text}`r_naive` for the naive one, {glue:text}`r_before` for the phase-A model reading B images it
# never saw). A correlation near −1 means the factor sits on the same latent in both domains with its
# direction reversed: a sprite on the left in domain B is coded like a sprite on the right in domain A. The
# latents are homologous up to a sign, which mutual information (blind to the sign) cannot see, and switching
# the domain latent alone cannot undo a reversal: the translations of {numref}`fig-08-translation` land where
# the regressor does not expect them ($R^2$ = {glue:text}`r2_replay:.2f`).
#
# **Beside the paper.** VASE {cite}`achille2018lifelong` gives its decoder the inferred environment as an
# input and translates by switching it; the model here has no such input (the domain is one more latent), and
# its encoder inherits the phase-A encoder's reading of the new domain: the phase-A model already codes
# inverted images with reversed positions before it sees any of them in training. A replay budget of
# {glue:text}`steps_b` steps at 32 px is also far from the paper's; the claims below are about this
# simplified, CPU-sized VASE. The chapter ran in {glue:text}`minutes:.1f` minutes.
#
# ## Claim check
#
# Statistics and thresholds, fixed on seed 0 before the confirmation seeds:
#
# - **homology**: on the latent that carries each shared factor on A, the A and B renderings of the same
#   scenes get the same values: the Pearson correlation over paired held-out scenes, its minimum over posX,
#   posY and scale above 0.8. (The sign-blind version, "the same latent has the largest mutual information
#   on both domains", is reported beside it: a latent can carry a factor on both domains with a different
#   code, and then translation cannot work.)
# - **no forgetting**: A's reconstruction error after B below 1.25 times its value before B, and MIG on A
#   falling by less than 0.05; the control is the naively fine-tuned model.
# - **translation**: mean $R^2$ above 0.5 (half of the factors' variance read back), against the best
#   pixel-level control.
#
# Which of these are *asserted* was decided on seed 0, in pilots at reduced size (a 2,500-step phase A,
# 600-step phase B, the joint model 1,200 steps): a claim is asserted only if it held there with its control
# failing; the others are reported with the rule: supports if the claim holds and its control does not,
# inconclusive if both hold, contradicts if the claim does not hold. In the pilots none of the four held with
# its control failing (the reported table says which part failed), so at this budget the chapter asserts
# none of them. Other development choices made on seed 0:
#
# - domain B's rendering. Both renderings of `ibcore.domains` were piloted. With outlines (`domain_b="outline"`)
#   no latent carried the domain (a one-latent readout was barely above chance), the replay model did not learn
#   B (its B reconstruction stayed worse than before phase B), and the naive model kept A's code, so neither
#   translation nor forgetting could be tested; with contrast inversion the domain takes a latent of its own and
#   a regressor trained on B cannot read A's pixels, so the pixel control is informative;
# - the phase lengths (phase A's KL levels off after about 800 steps);
# - the replay recipe of `ibcore.lifelong` (dreams from the used latents only, both replay terms at weight 1).

# %% tags=["hide-input"]
claims = Claims(chapter="08", scale=cfg.scale, seed=cfg.seed)
ASSERTED: set[str] = set()  # the claims that held with a failing control in the seed-0 pilots
RULE = ("supports if the claim holds and its control does not, inconclusive if both hold, contradicts if the "
        "claim does not hold")


def claim(id: str, **kw) -> None:
    """Assert the claim if it is in ASSERTED (it held, with its control failing, in the seed-0 pilots);
    otherwise report it with its numbers and the verdict of RULE."""
    if id in ASSERTED:
        claims.add(id, slide="6", **kw)
        return
    holds = compare(kw["value"], kw["op"], kw["threshold"])
    control_holds = compare(kw["control_value"], kw["op"], kw["threshold"])
    verdict = "contradicts" if not holds else "inconclusive" if control_holds else "supports"
    claims.report(id, slide="6", verdict=verdict, rule=RULE, **kw)


claim("homology", claim="latent homology: on the latent that carries each shared factor (posX, posY, scale) "
      "on A, the A and B renderings of a scene get the same value (min over factors of Pearson r, replay)",
      value=paired_r["replay"], op=">", threshold=0.8, unit="Pearson r",
      control="the same correlation for the naively fine-tuned model", control_value=paired_r["naive"],
      chosen_on="statistic and threshold on seed 0, before the confirmation seeds")
claim("forget-rec", claim="replay: A's reconstruction error after learning B within 25 % of its value before B",
      value=rec_ratio["replay"], op="<", threshold=1.25, unit="ratio",
      control="the same ratio for the naively fine-tuned model", control_value=rec_ratio["naive"],
      chosen_on="margin a priori")
claim("forget-mig", claim="replay: MIG on A falls by less than 0.05 while B is learned",
      value=mig_drop["replay"], op="<", threshold=0.05, unit="MIG",
      control="the same drop for the naively fine-tuned model", control_value=mig_drop["naive"],
      chosen_on="margin a priori")
claim("translation", claim="an A image translated to B through the replay model's code is the same scene: a "
      "regressor trained on B reads its factors (mean R^2)", value=reading["replay: A translated to B"], op=">",
      threshold=0.5, unit="R^2", control="the best pixel-level control (" + " or ".join(
          c.removeprefix("control: ") for c in pixel_controls) + ") read by the same regressor",
      control_value=best_control, chosen_on="threshold a priori; domain B's rendering on seed 0")
claims.report("homology-dominant", slide="6", claim="each shared factor has the same dominant latent (largest "
              "mutual information) on A and on B, replay model", value=int(same["replay"]), op=">=", threshold=3,
              unit="factors of 3", control="the same count for the naively fine-tuned model",
              control_value=int(same["naive"]), rule=RULE,
              verdict="contradicts" if same["replay"] < 3 else "inconclusive" if same["naive"] >= 3 else "supports")
acc = float(readout.loc["replay", "accuracy"])
claims.report("domain", slide="6", claim="the domain is inferred, not given: one latent of the replay model "
              "tells A from B", value=acc, unit="accuracy", op=">=", threshold=0.95,
              verdict="supports" if acc >= 0.95 else "contradicts" if acc < 0.75 else "inconclusive",
              rule="supports if the threshold on one latent infers the domain of held-out images with "
                   "accuracy >= 0.95, contradicts if < 0.75, else inconclusive")
spare_kl = float(readout.loc["replay", "KL on A before B (nats)"])
claims.report("spare", slide="6", claim="the new factor (the domain) takes a latent that was spare on A",
              value=spare_kl, unit="nats", op="<", threshold=cfg.usage_threshold,
              verdict=verdict_by_margin(cfg.usage_threshold - spare_kl, 0.0),
              rule=f"supports if the domain latent's KL on A before B is below the usage threshold "
                   f"({cfg.usage_threshold:g} nats), contradicts if above")
gap = scores.loc["replay", "MIG on A"] - scores.loc["joint", "MIG on A"]
claims.report("joint-gap", slide="6", claim="life-long replay keeps A's MIG within 0.05 of the joint model's",
              value=gap, unit="MIG", op=">", threshold=-0.05, verdict=verdict_by_margin(gap + 0.05, 0.0),
              rule="supports if replay's MIG on A is above the joint model's minus 0.05, contradicts if below")
claims.record()

# %% tags=["remove-input"]
# NBVAL_CHECK_OUTPUT
claims.check()
