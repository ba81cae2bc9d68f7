# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2. Annealing the bottleneck: do factors switch on one at a time?
#
# **Claim (slides 3-4).** Start with a very strict bottleneck and relax it slowly
# {cite}`burgess2018understanding` (Higgins et al. {cite}`higgins2017beta` keep β fixed). At first the code can afford only the factor that
# explains most of the image; as the bottleneck opens, the remaining factors come in one by one, each on a
# latent of its own. The result is a non-linear PCA: *training time* sorts and separates the factors.
#
# Burgess et al. {cite}`burgess2018understanding` make "relax slowly" precise with a capacity $C$ that rises
# during training:
#
# $$
# \mathcal{L} = H_{p,q}(x \mid z) + \gamma\,\big|\,\mathbb{E}_x \mathrm{KL}\big(q(z\mid x)\,\|\,p(z)\big) - C\,\big|,
# $$
#
# so the KL (an upper bound on $I(z;x)$, [chapter 1](01_beta_vae_decomposition.ipynb)) is held near $C$
# nats. What annealing should add is the *staging*: a model trained at the final β from the start is the
# control. This chapter trains, with the same architecture, data stream and budget: a plain VAE (β = 1), a
# β-VAE at a **fixed β** equal to the annealed model's final β (the control), the **annealed** model, and
# Burgess's two-sided objective with the paper's γ; PCA on the pixels is the linear baseline.
#
# **In this chapter** you will see:
#
# - when each latent of the annealed and of the fixed-β model switches on, and whether annealing spaces the
#   factors out in time more than fixed β does (the slide's "one at a time");
# - whether posX, posY and scale each get a latent of their own, against the plain VAE;
# - the latent-factor information matrices, latent traversals, MIG and DCI of every model, with the
#   conventions of these metrics (a code equal to the factors does not score MIG 1);
# - what Burgess's two-sided objective does when run far outside its regime.
#
# Source of this chapter: {download}`02_annealing.py <02_annealing.py>` (jupytext), with its outputs in
# {download}`02_annealing.ipynb <02_annealing.ipynb>`.

# %% tags=["parameters"]
seed = 0  # seed of data, initialisation and metrics
scale = "book"  # "smoke" (seconds), "book" (the committed outputs), "paper" (a GPU)
device = "auto"  # "auto", "cpu", "cuda"
beta = 4.0  # the fixed-beta control's beta and the annealed model's final beta (Higgins et al. used 4 on dSprites)
anneal = "beta"  # the annealed model: "beta" (beta ramped down, the slide's recipe) or "capacity" (C ramped up)
capacity = 25.0  # final capacity C (nats), as Burgess et al. on dSprites
gamma = 100.0  # capacity annealing only: weight of the one-sided penalty gamma * max(0, KL - C)
beta_start = 60.0  # beta annealing only: beta falls geometrically from beta_start to beta
ramp = 0.7  # fraction of training over which beta falls (or C rises)
paper_gamma = 1000.0  # Burgess et al.'s gamma for the two-sided objective

# %% tags=["hide-input"]
from ibcore import params

cfg = params.resolve("02", scale=scale, seed=seed, device=device,
                     beta=params.check_range("beta", beta, 0.0, 1000.0, low_open=True),
                     anneal=params.check_choice("anneal", anneal, ("capacity", "beta")),
                     capacity=params.check_range("capacity", capacity, 0.0, 1000.0, low_open=True),
                     gamma=params.check_range("gamma", gamma, 0.0, 1e6, low_open=True),
                     beta_start=params.check_range("beta_start", beta_start, 0.0, 1e4, low_open=True),
                     ramp=params.check_range("ramp", ramp, 0.0, 1.0, low_open=True),
                     paper_gamma=params.check_range("paper_gamma", paper_gamma, 0.0, 1e6, low_open=True))
cfg

# %% tags=["hide-input"]
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from sklearn.decomposition import PCA

import ibcore
from ibcore import plots, seed_everything
from ibcore.claims import Claims, glue_values, verdict_by_margin
from ibcore.data import DSprites
from ibcore.info import kl_decomposition
from ibcore.losses import beta_vae_loss, capacity_loss, gaussian_kl, geometric_ramp, linear_ramp
from ibcore.metrics import (dci, dominant_latents, emergence_steps, mig, mutual_information_matrix,
                            onset_kl_rank_correlation, perfect_code_mig, switch_on_spacing)
from ibcore.models import VAE, VAEConfig
from ibcore.train import fit

plots.set_theme()
seed_everything(cfg.seed)
ds = DSprites(resolution=cfg.resolution)
names = list(ds.factor_names)
ACTIVE = 0.5  # nats: a latent is active (and has "switched on") when its KL passes this
# Held-out images are never trained on: the training stream and PCA draw only from the other indices.
train_idx, held_idx = ds.split(cfg.n_codes, seed=cfg.seed)
eval_x, eval_f = ds.images(held_idx), ds.classes(held_idx).numpy()
pca_x = ds.images(ds.sample_indices(cfg.n_codes, torch.Generator().manual_seed(cfg.seed + 2), pool=train_idx))

# %% [markdown]
# ## Four objectives, one budget
#
# Every model is the Burgess conv VAE of chapter 1 with 10 latents, trained for {glue:text}`steps` steps of
# {glue:text}`batch_size` images at {glue:text}`resolution` px from the same seed and data stream (training
# indices only; the {glue:text}`n_codes` evaluation images are held out). The schedules are plain functions
# of the step (`ibcore.losses.linear_ramp`, `geometric_ramp`), passed in from outside the loss:
#
# - **VAE**: β = 1.
# - **fixed β** (the control): β = {glue:text}`beta` from the first step.
# - **annealed**: the chapter's recipe, {glue:text}`recipe`, then held there: the slide's "start with a very
#   strict bottleneck and relax it slowly", ending at the fixed-β model's β. (`anneal="capacity"` switches to
#   a one-sided capacity loss $\gamma\max(0, \mathrm{KL} - C)$ with $C$ rising, which leaves the model free
#   to use *less* than $C$.)
# - **Burgess (two-sided)**: $\gamma$ = {glue:text}`paper_gamma`, $C$ ramped from 0 to {glue:text}`capacity`
#   nats over {glue:text}`capacity_steps` steps.

# %%
ramp_steps = int(cfg.ramp * cfg.steps)
capacity_steps = cfg.capacity_steps or ramp_steps  # paper scale: Burgess et al.'s 100,000 steps


def annealed_schedule(step: int) -> float:
    """The annealed model's beta (anneal="beta") or capacity C in nats (anneal="capacity") at ``step``."""
    if cfg.anneal == "beta":
        return geometric_ramp(step, cfg.beta_start, cfg.beta, ramp_steps)
    return linear_ramp(step, 0.0, cfg.capacity, ramp_steps)


VAE1, FIXED, ANNEALED = "VAE (β=1)", f"fixed β={cfg.beta:g}", "annealed"
TWO_SIDED = f"Burgess (two-sided, γ={cfg.paper_gamma:g})"
recipes = {  # name -> loss(logits, x, mu, logvar, step)
    VAE1: lambda logits, x, mu, logvar, step: beta_vae_loss(logits, x, mu, logvar, 1.0),
    FIXED: lambda logits, x, mu, logvar, step: beta_vae_loss(logits, x, mu, logvar, cfg.beta),
    ANNEALED: lambda logits, x, mu, logvar, step: (
        beta_vae_loss(logits, x, mu, logvar, annealed_schedule(step)) if cfg.anneal == "beta" else
        capacity_loss(logits, x, mu, logvar, annealed_schedule(step), cfg.gamma, one_sided=True)),
    TWO_SIDED: lambda logits, x, mu, logvar, step: capacity_loss(
        logits, x, mu, logvar, linear_ramp(step, 0.0, cfg.capacity, capacity_steps), cfg.paper_gamma),
}
recipe = (f"one-sided capacity, C from 0 to {cfg.capacity:g} nats over {ramp_steps} steps, γ = {cfg.gamma:g}"
          if cfg.anneal == "capacity" else f"β from {cfg.beta_start:g} down to {cfg.beta:g} over {ramp_steps} steps")


def train(name: str) -> tuple[VAE, pd.DataFrame]:
    """One model of the chapter: same architecture, seed, data stream and budget for every objective."""
    seed_everything(cfg.seed)
    model = VAE(VAEConfig(arch="burgess", resolution=cfg.resolution)).to(cfg.device)
    stream = torch.Generator().manual_seed(cfg.seed)

    def batch(step: int) -> torch.Tensor:
        return ds.images(ds.sample_indices(cfg.batch_size, stream, pool=train_idx)).to(cfg.device)

    def step_loss(model, x, step):
        logits, mu, logvar, _ = model(x)
        return recipes[name](logits, x, mu, logvar, step)

    return model, fit(model, step_loss, batch, cfg.steps, lr=cfg.lr, log_every=cfg.log_every, desc=name)


models, histories = {}, {}
for name in recipes:
    models[name], histories[name] = train(name)

# %% [markdown]
# ## When each latent switches on
#
# A latent is *active* when its KL on the held-out images passes {glue:text}`active` nats at the end of
# training; it *switches on* at the first logged step where its training KL, smoothed over 5 logs, passes the
# same line. Each active latent is labelled with the factor it shares most information with at the end.
# {numref}`fig-02-switch-on` shows the annealed model and its fixed-β control side by side.

# %%
codes, posteriors, final_kl, onsets, labels = {}, {}, {}, {}, {}
for name, model in models.items():
    mu, logvar = model.posterior(eval_x.to(cfg.device))
    posteriors[name] = (mu.cpu(), logvar.cpu())
    codes[name] = mu.cpu().numpy()
    final_kl[name] = gaussian_kl(mu, logvar).mean(0).cpu().numpy()  # (L,) nats per latent, held-out
    onsets[name] = emergence_steps(histories[name], ACTIVE, smooth=5)
pca = PCA(n_components=10, random_state=cfg.seed).fit(pca_x.flatten(1).numpy())
codes["PCA (pixels)"] = pca.transform(eval_x.flatten(1).numpy())
mi = {name: mutual_information_matrix(c, eval_f) for name, c in codes.items()}


def switch_on_table(name: str) -> pd.DataFrame:
    """Active latents of one model in the order they switched on, with their factor, final KL and MI."""
    active = [j for j in range(len(final_kl[name])) if final_kl[name][j] > ACTIVE]
    labels[name] = {j: names[int(mi[name][j].argmax())] for j in active}
    return pd.DataFrame([{"model": name, "latent": f"z{j}", "factor": labels[name][j],
                          "switches on at step": onsets[name][j], "final KL (nats)": final_kl[name][j],
                          "I(z;factor) (nats)": mi[name][j].max()}
                         for j in sorted(active, key=onsets[name].get)])


switch_on = pd.concat([switch_on_table(n) for n in (ANNEALED, FIXED)], ignore_index=True)
stats = pd.DataFrame([{
    "model": n, "active latents": len(labels[n]),
    "spacing": switch_on_spacing([onsets[n][j] for j in labels[n]], cfg.steps),
    "rank corr(onset, final KL)": onset_kl_rank_correlation([onsets[n][j] for j in labels[n]],
                                                            [final_kl[n][j] for j in labels[n]]),
} for n in (ANNEALED, FIXED)]).set_index("model")
fig, axes = plt.subplots(1, 2, figsize=(10.4, 4.2), sharey=True)
for ax, name in zip(axes, (ANNEALED, FIXED)):
    plots.kl_per_latent(histories[name], labels[name], threshold=ACTIVE, smooth=5, ax=ax)
    ax.set_title(name, fontsize="small")
    ax.tick_params(labelleft=True)  # shared y, but each panel keeps its tick labels
ax2 = axes[0].twinx()  # the annealed model's schedule, recomputed from the step
steps_logged = histories[ANNEALED]["step"]
ax2.plot(steps_logged, [annealed_schedule(t) for t in steps_logged], color="k", lw=0.8, ls="--")
ax2.set(ylabel="capacity C, nats (dashed)" if cfg.anneal == "capacity" else "β (dashed)", ylim=(0, None))
ax2.grid(False)
fig.tight_layout()
plots.glue_figure("fig-02-switch-on", fig)
switch_on.round(3)

# %% [markdown]
# ```{glue:figure} fig-02-switch-on
# :name: fig-02-switch-on
#
# KL of each latent on the training minibatches (smoothed over 5 logs) for the annealed model (left, with
# its β schedule dashed) and the fixed-β control (right, the same β from the first step). Coloured lines
# are the active latents, labelled with the factor each shares most information with; the dotted line is
# the switch-on threshold.
# ```
#
# **One factor at a time?** The slide's prediction is about *time*: under a strict bottleneck only the most
# important factor fits, and relaxing it admits the others one by one, so their switch-on steps should be
# spread over training, in order of importance. One number per model says how spread they are: the mean
# spacing between successive switch-on steps as a fraction of training (`ibcore.metrics.switch_on_spacing`),
# {glue:text}`spacing_ann:.3f` for the annealed model and {glue:text}`spacing_fixed:.3f` for fixed β. The
# threshold, a tenth of training, was fixed before the book run: with β falling over
# {glue:text}`ramp_pct:.0f` % of training and 3-5 factors to admit, factors admitted one by one come a
# seventh to a quarter of training apart. A second number asks whether the order is the order of importance:
# the rank correlation between switch-on step and final KL (−1: most informative first), annealed
# {glue:text}`rho_ann:.2f`, fixed β {glue:text}`rho_fixed:.2f`. Both statistics count *latents*, not factors:
# a factor split over two latents counts twice. With three active latents the rank correlation takes only a
# few values, and two random orders would give a decisive difference about half the time, so the "order"
# verdict below is weak evidence either way.

# %%
stats.round(3)

# %% [markdown]
# ## Scores
#
# Each model encodes the same {glue:text}`n_codes` held-out images; the codes are the posterior means.
# **MIG** uses disentanglement_lib's conventions (`ibcore.metrics.mig`: 20 equal-width bins per latent,
# the gap between the two latents most informative about a factor divided by its entropy) averaged over
# all 5 factors, as disentanglement_lib's `dsprites_full`; `mig_chen` averages over Chen et al.'s 4 factors
# (shape left out). With 20 bins a *perfect* code does not score 1: orientation's 40 values and the positions'
# 32 share bins, so a code equal to the factors scores {glue:text}`mig_ceiling:.3f` on the full grid
# (`ibcore.metrics.perfect_code_mig`; a little less on sampled images). At 32 px the ceiling is lower still:
# 32 positions render to 16 pixel offsets, so no code of the image can tell neighbouring positions apart.
# MI here comes from 20-bin histograms of the posterior *means*: a latent whose mean moves with a factor
# counts as informative even when its posterior noise hides that movement from the decoder (an inactive
# latent can top a factor's column). **DCI** trains one random forest
# per factor on half of the codes and tests on the other half. disentanglement_lib uses gradient-boosted trees
# (`dci(..., model="gbt")` here), about ten times slower on a CPU and scoring mixed codes noticeably higher, so
# this chapter's DCI numbers are forest numbers, comparable with each other, not with the literature's. PCA
# keeps 10 components of the pixels, fitted on training images.

# %%
rows = []
half = cfg.n_codes // 2
for name, c in codes.items():
    row = {"model": name, "kl": float(final_kl[name].sum()) if name in final_kl else np.nan,
           "active": int((final_kl[name] > ACTIVE).sum()) if name in final_kl else 10,
           "rec_train": histories[name].iloc[-1]["rec"] if name in histories else np.nan}
    row["mig"], gaps = mig(c, eval_f, per_factor=True)
    row["mig_chen"] = mig(c, eval_f, factor_subset=[1, 2, 3, 4])
    row |= {f"gap_{f}": g for f, g in zip(names, gaps)}
    row |= {f"dci_{k}": v for k, v in dci(c[:half], eval_f[:half], c[half:], eval_f[half:], seed=cfg.seed).items()}
    rows.append(row)
scores = pd.DataFrame(rows).set_index("model")
scores.round(3)

# %% [markdown]
# The mutual information between every latent and every factor ({numref}`fig-02-mi`): a disentangled code has
# one bright cell per column, in different rows.

# %%
plots.glue_figure("fig-02-mi", plots.mi_matrices(mi, names));

# %% [markdown]
# ```{glue:figure} fig-02-mi
# :name: fig-02-mi
#
# $I(z_j; v_k)$ in nats between each latent (rows) and each factor (columns) on the held-out images, from
# 20-bin histograms of the posterior means, for every model and for PCA on the pixels.
# ```
#
# **One latent per factor.** For posX, posY and scale (the factors a 32 px model can see; shape and
# orientation are reported in the scores table as `gap_shape`, `gap_orientation`), each factor's most
# informative latent should be its own and stand out from the runner-up. The statistic is the smallest of
# the three factors' normalised MI gaps ($(I_{\text{top}} - I_{\text{second}})/H(v_k)$), counted as 0 for a
# factor whose top latent is also the top latent of another of the three; it must reach 0.2 (fixed on seed 0
# before the book run, a fifth of the factor's entropy). The control is the plain VAE, which the lecture
# expects to mix factors across latents. Annealed: {glue:text}`one_ann:.3f`; plain VAE:
# {glue:text}`one_vae:.3f`; fixed β: {glue:text}`one_fixed:.3f`; PCA: {glue:text}`one_pca:.3f`.

# %%
THREE = ("posX", "posY", "scale")


def one_latent_per_factor(name: str) -> float:
    """Smallest normalised MI gap over posX, posY, scale; 0 for a factor sharing its top latent."""
    return min(0.0 if shared_top(name, f) else float(scores.loc[name, f"gap_{f}"]) for f in THREE)


def shared_top(name: str, f: str) -> bool:
    """Whether factor ``f``'s most informative latent is also that of another of posX, posY, scale."""
    top = dict(zip(names, dominant_latents(mi[name]).tolist()))
    return any(top[f] == top[g] for g in THREE if g != f)


one = {name: one_latent_per_factor(name) for name in codes}
pd.Series(one, name="min gap over posX, posY, scale").round(3)

# %% [markdown]
# ## Traversals
#
# {numref}`fig-02-traversals-annealed` and {numref}`fig-02-traversals-fixed` decode each active latent moved
# from −2 to +2 prior standard deviations, the others held at the code of one held-out image. They show
# what the numbers above measure; they are not a claim.

# %%
order_ann = list(labels[ANNEALED])
order_ann.sort(key=onsets[ANNEALED].get)
plots.glue_figure("fig-02-traversals-annealed", plots.latent_traversals(
    models[ANNEALED], eval_x[:1].to(cfg.device), order_ann, [labels[ANNEALED][j] for j in order_ann]))
order_fixed = sorted(labels[FIXED], key=onsets[FIXED].get)
plots.glue_figure("fig-02-traversals-fixed", plots.latent_traversals(
    models[FIXED], eval_x[:1].to(cfg.device), order_fixed, [labels[FIXED][j] for j in order_fixed]));

# %% [markdown]
# ```{glue:figure} fig-02-traversals-annealed
# :name: fig-02-traversals-annealed
#
# The annealed model's active latents, in the order they switched on, each moved from −2 to +2 with the
# others at the code of the input on the left; rows are labelled with the factor each latent shares most
# information with.
# ```
#
# ```{glue:figure} fig-02-traversals-fixed
# :name: fig-02-traversals-fixed
#
# The same for the fixed-β control.
# ```
#
# ## Burgess's objective outside its regime
#
# Burgess et al. raise $C$ from 0 to 25 nats over 100,000 steps at 64 px with γ = 1000 (the paper-scale
# settings of this chapter are theirs). Here $C$ rises over {glue:text}`capacity_steps` steps at
# {glue:text}`resolution` px: far outside that regime, so its numbers say nothing about the method. With γ
# that large the penalty makes the KL follow $C$ before the decoder has learned to use it: the model ends at
# a KL of {glue:text}`kl_two:.1f` nats and a reconstruction error of {glue:text}`rec_two:.1f` nats (annealed:
# {glue:text}`kl_ann:.1f` and {glue:text}`rec_ann:.1f`). Chapter 1's decomposition of its codes (on the first
# {glue:text}`n_two` held-out images) shows where those nats sit: $I(z;x)$ = {glue:text}`two_mi:.2f` nats,
# total correlation {glue:text}`two_tc:.2f`, dimension-wise KL {glue:text}`two_dw:.2f` of
# $\mathbb{E}_x\mathrm{KL}$ = {glue:text}`two_kl:.2f`: almost none of its nats are information about the
# image. The largest histogram MI between one of its latents' posterior *means* and a factor is
# {glue:text}`two_mi_max:.3f` nats; that reading ignores the posterior noise the decoder sees (see Scores), so
# it is not information the code transmits.

# %%
n_two = min(cfg.n_codes, 2000)
two = kl_decomposition(*(p[:n_two] for p in posteriors[TWO_SIDED]), "exact",
                       generator=torch.Generator().manual_seed(cfg.seed))
pd.Series({k: two[k] for k in ("kl", "mi", "tc", "dimwise_kl", "log_n")}).round(3)

# %% tags=["hide-input"]
s_ann, s_fixed, s_vae = scores.loc[ANNEALED], scores.loc[FIXED], scores.loc[VAE1]
s_pca, s_two = scores.loc["PCA (pixels)"], scores.loc[TWO_SIDED]
first = min(labels[ANNEALED], key=onsets[ANNEALED].get) if labels[ANNEALED] else None
on_ann = [onsets[ANNEALED][j] for j in labels[ANNEALED]]
# the seed-0 development pilot at four times the budget (transcribed; see the claim check)
PILOTS = Path(ibcore.__file__).resolve().parents[1] / "results" / "pilots"
pilot = json.loads((PILOTS / "02_seed0_6000steps.json").read_text())
# the first book-scale run of seed 0 (same steps, a larger evaluation split and so another data stream)
first_run = json.loads((PILOTS / "02_seed0_1500steps_10000codes.json").read_text())
glue_values({
    "steps": cfg.steps, "batch_size": cfg.batch_size, "resolution": cfg.resolution, "n_codes": cfg.n_codes,
    "log_every": cfg.log_every, "active": ACTIVE, "beta": f"{cfg.beta:g}", "recipe": recipe,
    "paper_gamma": f"{cfg.paper_gamma:g}", "capacity": f"{cfg.capacity:g}", "capacity_steps": f"{capacity_steps:,}",
    "ramp_pct": 100 * cfg.ramp, "mig_ceiling": perfect_code_mig(ds.factor_sizes),
    "spacing_ann": stats.loc[ANNEALED, "spacing"], "spacing_fixed": stats.loc[FIXED, "spacing"],
    "rho_ann": stats.loc[ANNEALED, "rank corr(onset, final KL)"],
    "rho_fixed": stats.loc[FIXED, "rank corr(onset, final KL)"],
    "one_ann": one[ANNEALED], "one_vae": one[VAE1], "one_fixed": one[FIXED], "one_pca": one["PCA (pixels)"],
    "mig_ann": s_ann.mig, "mig_vae": s_vae.mig, "mig_fixed": s_fixed.mig, "mig_pca": s_pca.mig,
    "mig_two": s_two.mig, "kl_two": s_two.kl, "kl_ann": s_ann.kl, "rec_two": s_two.rec_train,
    "rec_ann": s_ann.rec_train, "n_two": n_two, "two_mi": two["mi"], "two_tc": two["tc"],
    "two_dw": two["dimwise_kl"], "two_kl": two["kl"], "two_mi_max": float(mi[TWO_SIDED].max()),
    "first_factor": labels[ANNEALED].get(first, "none"), "first_step": onsets[ANNEALED].get(first, float("nan")),
    "encoded": ", ".join(labels[ANNEALED][j] for j in order_ann) or "none",
    "encoded_fixed": ", ".join(labels[FIXED][j] for j in order_fixed) or "none",
    "not_encoded": ", ".join(f for f in names if f not in labels[ANNEALED].values()) or "none",
    "ramp_steps": f"{ramp_steps:,}", "first_on": min(on_ann, default=float("nan")),
    "last_on": max(on_ann, default=float("nan")), "left_after": cfg.steps - min(on_ann, default=float("nan")),
    "rec_fixed": s_fixed.rec_train, "one_fixed": one[FIXED], "beta_start": f"{cfg.beta_start:g}",
    "one_ann_factor": min(THREE, key=lambda f: 0.0 if shared_top(ANNEALED, f) else scores.loc[ANNEALED, f"gap_{f}"]),
    "verdict_mig": verdict_by_margin(s_ann.mig - s_fixed.mig, 0.02), "mig_diff": s_ann.mig - s_fixed.mig,
    "first_sp_ann": first_run["spacing"]["annealed"], "first_sp_fixed": first_run["spacing"]["fixed"],
    "first_gap_ann": first_run["per_factor_min_gap"]["annealed"], "first_gap_vae": first_run["per_factor_min_gap"]["vae"],
    "first_mig_ann": first_run["mig"]["annealed"], "first_mig_fixed": first_run["mig"]["fixed"],
    "pilot_steps": f"{pilot['steps']:,}", "pilot_minutes": pilot["minutes"],
    "pilot_sp_ann": pilot["spacing"]["annealed"], "pilot_sp_fixed": pilot["spacing"]["fixed"],
    "pilot_gap_ann": pilot["per_factor_min_gap"]["annealed"], "pilot_gap_fixed": pilot["per_factor_min_gap"]["fixed"],
    "pilot_mig_ann": pilot["mig"]["annealed"], "pilot_mig_fixed": pilot["mig"]["fixed"],
})

# %% [markdown]
# **What we see.** The first latent of the annealed model to switch on encodes {glue:text}`first_factor`
# (at step {glue:text}`first_step:.0f`); in the order they switched on, its active latents encode
# {glue:text}`encoded`, and the fixed-β control's {glue:text}`encoded_fixed`. Factors that are the top factor
# of none of the annealed model's active latents: {glue:text}`not_encoded`. MIG: annealed
# {glue:text}`mig_ann:.3f`, fixed β {glue:text}`mig_fixed:.3f`, plain VAE {glue:text}`mig_vae:.3f`, PCA on the
# pixels {glue:text}`mig_pca:.3f` (ceiling {glue:text}`mig_ceiling:.3f`); annealed minus fixed β is
# {glue:text}`mig_diff:+.3f` (reported claim "mig", verdict **{glue:text}`verdict_mig`** on this run). The literature's MIG for
# β-VAEs on dSprites is roughly 0.1-0.4 after 300,000 GPU steps {cite}`locatello2019challenging`, where the
# seed moves MIG more than the model does; the confirmation seeds give the verdict on each seed, and the
# sweep counts how often it recurs (not a paired test).
#
# **Beside the papers.** Burgess et al. {cite}`burgess2018understanding` (64 px, C raised to 25 nats over
# 100,000 steps) see the position factors first, then scale, then shape and orientation. At CPU scale
# ({glue:text}`steps` steps at {glue:text}`resolution` px) the codes stop before shape and orientation: a
# small sprite's shape and its 40-step orientation are worth little reconstruction at 32 px.
#
# ## Claim check
#
# This chapter asserts nothing. Its two claims, "spacing" and "per-factor", were asserted with thresholds
# fixed on seed 0 before the book run (0.1 of training, a normalised gap of 0.2) and controls (fixed β, the
# plain VAE). The first book-scale run on seed 0 failed both, with their controls failing too, so by the
# protocol they moved to the reported table, thresholds unchanged. That run differed from the one shown here
# only in its evaluation split (10,000 held-out images; cut to {glue:text}`n_codes` for time), which also
# sets the pool the training images are drawn from, and so the data stream. On it the annealed model's
# switch-ons were {glue:text}`first_sp_ann:.3f` of training apart (fixed β {glue:text}`first_sp_fixed:.3f`),
# its smallest gap {glue:text}`first_gap_ann:.3f` (plain VAE {glue:text}`first_gap_vae:.3f`) and its MIG
# {glue:text}`first_mig_ann:.3f` against the control's {glue:text}`first_mig_fixed:.3f`
# (`results/pilots/02_seed0_1500steps_10000codes.json`, transcribed). Here: spacing
# {glue:text}`spacing_ann:.3f` against {glue:text}`spacing_fixed:.3f`, smallest gap {glue:text}`one_ann:.3f`
# ({glue:text}`one_ann_factor`; plain VAE {glue:text}`one_vae:.3f`, fixed β {glue:text}`one_fixed:.3f`), MIG
# {glue:text}`mig_ann:.3f` against {glue:text}`mig_fixed:.3f`. **On one seed, at this budget, the verdicts
# follow the data stream**, so no single run decides; the confirmation seeds 1-5 do (the last section of this chapter).
#
# **What this budget cannot show.** The β ramp ends at step {glue:text}`ramp_steps`; here the annealed model
# switches its latents on between steps {glue:text}`first_on:.0f` and {glue:text}`last_on:.0f`, with
# {glue:text}`left_after:.0f` steps of training left after the first of them, and ends at a reconstruction
# error of {glue:text}`rec_ann:.1f` nats (the control {glue:text}`rec_fixed:.1f`): a compressed schedule,
# not "relax slowly". A seed-0 development pilot at {glue:text}`pilot_steps` steps a model
# ({glue:text}`pilot_minutes` minutes on 2 cores, outside the chapter's budget; numbers transcribed in
# `results/pilots/02_seed0_6000steps.json`) spaced the annealed model's switch-ons out
# ({glue:text}`pilot_sp_ann:.3f` of training against the control's {glue:text}`pilot_sp_fixed:.3f`), as the
# slide predicts; but there the fixed-β control, not the annealed model, gave each factor a latent of its
# own (smallest gap {glue:text}`pilot_gap_fixed:.3f` against {glue:text}`pilot_gap_ann:.3f`) and the higher
# MIG ({glue:text}`pilot_mig_fixed:.3f` against {glue:text}`pilot_mig_ann:.3f`). The paper scale keeps the
# papers' budgets for a GPU. Development choices made on seed 0 besides the thresholds: the annealed model's
# β from {glue:text}`beta_start` down to the control's {glue:text}`beta` over {glue:text}`ramp_pct:.0f` % of
# training, the activity line of {glue:text}`active` nats and the 5-log smoothing of the switch-on rule, the
# book scale's steps and evaluation images (for time). β = {glue:text}`beta` is Higgins et al.'s value at
# 64 px; at 32 px the same β weighs the KL four times more per pixel (their normalised β is
# β·(latents)/(pixels)).

# %% tags=["hide-input"]
claims = Claims(chapter="02", scale=cfg.scale, seed=cfg.seed)
# Asserted on seed 0 before the book run; both failed in the first book run with their controls failing too,
# so (by the protocol, not tuned) they are reported with the verdict rules below, thresholds unchanged.
SPACING_MIN, GAP_MIN, SPACING_MARGIN = 0.1, 0.2, 0.05
sp_ann, sp_fixed = stats.loc[ANNEALED, "spacing"], stats.loc[FIXED, "spacing"]
sp_diff = sp_ann - sp_fixed
verdict_spacing = ("inconclusive" if np.isnan(sp_diff) else "supports" if sp_ann >= SPACING_MIN and sp_diff > SPACING_MARGIN
                   else "contradicts" if sp_diff < -SPACING_MARGIN else "inconclusive")
claims.report("spacing", slide="3-4", claim="annealing spaces the factors' switch-on steps out over training "
              "(mean spacing >= 0.1 of training), more than fixed beta does", value=sp_ann, op=">=",
              threshold=SPACING_MIN, unit="mean spacing of switch-ons (fraction of training)",
              control=f"the fixed-beta model (beta = {cfg.beta:g} from the first step, same budget and stream)",
              control_value=sp_fixed, verdict=verdict_spacing,
              rule=f"at this budget: supports if the annealed spacing is >= {SPACING_MIN:g} of training and exceeds "
                   f"the fixed-beta control's by more than {SPACING_MARGIN:g}; contradicts if it is below the "
                   f"control's by more than {SPACING_MARGIN:g}; else inconclusive",
              chosen_on=f"threshold {SPACING_MIN:g} fixed on seed 0 before the book run (asserted then; failed in the first seed-0 book run, 10,000 evaluation images); "
                        f"the margin {SPACING_MARGIN:g} set after the first book run")
verdict_gap = ("supports" if one[ANNEALED] >= GAP_MIN and one[VAE1] < GAP_MIN
               else "contradicts" if one[ANNEALED] < GAP_MIN else "inconclusive")
claims.report("per-factor", slide="3-4", claim="posX, posY and scale each have their own dominant latent in the "
              "annealed model, with a normalised MI gap >= 0.2", value=one[ANNEALED], op=">=", threshold=GAP_MIN,
              unit="smallest normalised MI gap over posX, posY, scale", verdict=verdict_gap,
              control="the plain VAE (beta = 1), same budget and stream", control_value=one[VAE1],
              chosen_on="threshold 0.2 fixed on seed 0 before the book run (asserted then; failed in the first seed-0 book run, 10,000 evaluation images)",
              rule=f"supports if the annealed model reaches {GAP_MIN:g} and the plain VAE (control) does not; "
                   f"contradicts if the annealed model stays below {GAP_MIN:g}; inconclusive if both reach it "
                   "(asserted before the book run; failed in the first seed-0 book run)")
rho_diff = stats.loc[FIXED, "rank corr(onset, final KL)"] - stats.loc[ANNEALED, "rank corr(onset, final KL)"]
claims.report("order", slide="4", claim="annealing orders the switch-ons by importance (most final KL "
              "first) more than fixed beta does", value=rho_diff, unit="rank corr: fixed minus annealed", op=">",
              threshold=0.0, verdict=verdict_by_margin(rho_diff, 0.5),
              rule="supports if > 0.5, contradicts if < -0.5, else inconclusive (NaN: inconclusive)")
mig_diff = s_ann.mig - s_fixed.mig
claims.report("mig", slide="3-4", claim="the annealed model's MIG is above the fixed-beta control's",
              value=mig_diff, unit="MIG, annealed minus fixed beta", op=">", threshold=0.0,
              verdict=verdict_by_margin(mig_diff, 0.02), rule="supports if > 0.02, contradicts if < -0.02, "
              "else inconclusive; one seed here, paired over seeds 1-5 by the sweep")
claims.report("burgess", slide="3", claim=f"Burgess's two-sided capacity objective (gamma = "
              f"{cfg.paper_gamma:g}) disentangles at this budget", value=s_two.mig, unit="MIG",
              verdict="inconclusive", rule="inconclusive whatever the number: run outside the paper's regime "
              "(C ramped over a few thousand steps at 32 px instead of 100,000 at 64 px)")
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
# ```{confirmation-seeds} 02
# ```
