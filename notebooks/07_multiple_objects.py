# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 7. Multiple objects: one latent vector per scene, or one per object?
#
# **Claim (slide 5).** A single latent vector cannot give each object of a scene its own disentangled
# description, and the number of objects varies from scene to scene; models with one latent per object (a
# sequence of attention steps in Attend, Infer, Repeat {cite}`eslami2016attend`, a set of entities in the
# Multi-Entity VAE {cite}`nash2017multi`, or a set of slots {cite}`locatello2020object`) can. This chapter
# trains one model of each kind on procedural multi-object dSprites with the same budget and measures whether
# the object model puts each object in one slot, segments the scene, counts the objects, and generalises to
# more objects than it was trained on.
#
# **In this chapter** you will see:
#
# - scenes of 1-3 dSprites objects, each with its own shape, scale, orientation, position and grey level;
# - an object model with one latent per object, a grid of object cells in the manner of SPAIR
#   {cite}`crawford2019spatially` and SPACE {cite}`lin2020space` with AIR's presence, where and what latents
#   and glimpse decoder {cite}`eslami2016attend`, against chapter 1's single-vector β-VAE with as many latents,
#   trained on the same batches with the same optimiser for the same number of steps;
# - the foreground ARI of the object model's segmentation {cite}`greff2019multi`, beside fixed grids that
#   cut the canvas into regions without looking at it (the best of 1 to 16 regions, and the model's own cells);
# - whether the number of present cells matches the number of objects, on 1-3 objects and on 4;
# - how much of each object's factors one cell carries, against one block of the single vector;
# - where the rate (the KL) goes: into the cells that hold objects, or into spare ones.
#
# Source of this chapter: {download}`07_multiple_objects.py <07_multiple_objects.py>` (jupytext), with its
# outputs in {download}`07_multiple_objects.ipynb <07_multiple_objects.ipynb>`.

# %% tags=["parameters"]
seed = 0  # seed of data, initialisation and estimators
scale = "book"  # "smoke" (seconds), "book" (the committed outputs), "paper" (a GPU)
device = "auto"  # "auto", "cpu", "cuda"
cells = 4  # G: the object model has a G x G grid of cells (4 at 32 px: one cell per 8 px, 16 cells)
what = 6  # appearance latents per cell: a cell has 2 + what latents, the single vector G^2 (2 + what)
beta = 1.0  # weight of the KL in both models (1: the ELBO)

# %% tags=["hide-input"]
from ibcore import params

cfg = params.resolve("07", scale=scale, seed=seed, device=device,
                     cells=params.check_choice("cells", cells, (2, 4, 8)),
                     what=params.check_int("what", what, minimum=1, maximum=64),
                     beta=params.check_range("beta", beta, 0.0, 100.0, low_open=True))
cfg

# %% tags=["hide-input"]
import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ibcore import plots, seed_everything
from ibcore.cells import GridAE, GridAEConfig, adam_warmup_cosine, random_batches, top_cells, train_grid_ae
from ibcore.claims import Claims, glue_values, verdict_by_margin
from ibcore.data import MultiSprites
from ibcore.losses import beta_vae_loss, gaussian_kl
from ibcore.metrics import fg_ari, match_objects, ridge_r2
from ibcore.models import VAE, VAEConfig
from ibcore.scenes import grid_partition
from ibcore.train import fit

plots.set_theme()
seed_everything(cfg.seed)
world = MultiSprites(canvas=cfg.canvas)  # 1-3 objects
train = world.sample(cfg.n_train, torch.Generator().manual_seed(cfg.seed))
held = world.sample(cfg.n_eval, torch.Generator().manual_seed(10_000 + cfg.seed))  # never trained on
four = MultiSprites(canvas=cfg.canvas, min_objects=4, max_objects=4).sample(
    cfg.n_four, torch.Generator().manual_seed(20_000 + cfg.seed))
probe_fit, test = held[: cfg.n_eval // 2], held[cfg.n_eval // 2:]

# %% [markdown]
# ## The scenes
#
# `ibcore.data.MultiSprites` draws 1 to 3 objects per scene on a {glue:text}`canvas` px canvas. Each object
# has its own dSprites shape, scale and orientation (chapter 1's sprites, in a {glue:text}`sprite` px box),
# an integer position and a grey level; grey levels differ within a scene, so two overlapping objects stay
# distinguishable, and objects are drawn back to front, so a later one occludes an earlier one. A scene in
# which an object keeps less than half of its pixels is redrawn, so every object counted can be seen. The
# canvas is 32 px and not 48: the object model's decoder runs once per cell, and a 48 px canvas has (48/32)² times
# the pixels that the encoder, the paste and the likelihood run over. {glue:text}`n_train` training scenes
# are drawn once; the {glue:text}`n_eval` held-out scenes come from another random stream: the first half
# fits the read-outs and chooses the controls' settings, the second half gives every number below.
# {numref}`fig-07-decompositions` shows test scenes.
#
# ## Two models, one budget
#
# **The object model** (`ibcore.cells.GridAE`) is a grid of object cells, as in SPAIR
# {cite}`crawford2019spatially` and SPACE's foreground {cite}`lin2020space`. A convolutional encoder cuts the
# canvas into G x G = {glue:text}`slots` cells of {glue:text}`cell_px` px, and each cell $k$ describes at most
# one object, the one whose centre lies near it, with AIR's three latents {cite}`eslami2016attend`:
#
# - a presence $z^{\mathrm{pres}}_k$ with probability $\rho_k$, relaxed in training as a binary Concrete
#   {cite}`maddison2017concrete` whose temperature falls from {glue:text}`tau_start` to {glue:text}`tau_end`,
#   and read as $\rho_k > 0.5$ in evaluation;
# - a position $z^{\mathrm{where}}_k$ (2 numbers): the object's centre is the cell's centre plus
#   {glue:text}`shift` cell times $\tanh z^{\mathrm{where}}_k$ in each direction (SPACE's bounded offset);
# - an appearance $z^{\mathrm{what}}_k$ ({glue:text}`what` numbers), read from a {glue:text}`glimpse` px crop
#   of the image taken at $z^{\mathrm{where}}_k$ (AIR's "attend, then infer").
#
# A decoder renders $z^{\mathrm{what}}_k$ into a glimpse, one grey level and a mask, which a spatial
# transformer {cite}`jaderberg2015spatial` pastes at $z^{\mathrm{where}}_k$; the cells' masks and a constant
# background are normalised by a softmax (as in MONet {cite}`burgess2019monet`), and each cell's share is then
# multiplied by its presence, the rest going to the background, so an absent cell paints nothing (as SPACE
# weights an object's alpha by its presence). The loss is
#
# $$
# \mathcal{L} = -\log p(x \mid z_{1..K}) + \beta \sum_k \Big[\rho_k\, \mathrm{KL}\big(q(z_k\mid x)\,\|\,\mathcal{N}(0, I)\big)
#   + \mathrm{KL}\big(\mathrm{Bern}(\rho_k)\,\|\,\mathrm{Bern}(\rho_0)\big)\Big],
# $$
#
# AIR's KL for K independent presence variables, so each present cell costs about $\log(1/\rho_0)$ nats: a
# spare cell pays to copy an object another cell already holds. The prior $\rho_0$ is
# {glue:text}`prior_start` for the first {glue:text}`hold_pct` % of the steps and falls geometrically to
# {glue:text}`prior_end` by {glue:text}`anneal_pct` % (starting permissive, as SPACE and AIR's implementations
# anneal theirs, so that cells stay on long enough to find their objects).
#
# The grid is a **locality prior**: no cell has to search the canvas for its object, which is what lets the
# model train in minutes on a CPU; the price is that an object is described by the cell it sits in. That is
# why the segmentation's controls below include the grid of cells itself, as a fixed partition.
#
# **The control** is chapter 1's conv β-VAE with one latent vector of K (2 + what) = {glue:text}`latents`
# numbers, the cells' total. Both models see the same batches for {glue:text}`steps` steps with the same
# optimiser (Adam at {glue:text}`lr`, a linear warm-up over {glue:text}`warmup_pct` % of the steps, a cosine
# decay, gradients clipped to norm {glue:text}`clip`) and β = {glue:text}`beta`, and both use a Bernoulli
# likelihood on grey levels summed over pixels.

# %%
cell_cfg = GridAEConfig(canvas=cfg.canvas, cells=cfg.cells, what=cfg.what, glimpse=cfg.glimpse, shift=cfg.shift)
K = cell_cfg.slots
latents = K * cell_cfg.latent
images = train.images.to(cfg.device)

seed_everything(cfg.seed)
cell_model = GridAE(cell_cfg).to(cfg.device)
cell_history = train_grid_ae(cell_model, images, steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr,
                             beta=cfg.beta, presence_prior=(cfg.prior_start, cfg.prior_end), hold=cfg.hold,
                             anneal_end=cfg.anneal_end, temperature=(cfg.tau_start, cfg.tau_end),
                             warmup=cfg.warmup, clip=cfg.clip, seed=cfg.seed, log_every=cfg.log_every)

seed_everything(cfg.seed)
vae = VAE(VAEConfig(arch="burgess", resolution=cfg.canvas, latents=latents)).to(cfg.device)
optimizer, scheduler = adam_warmup_cosine(vae, cfg.steps, cfg.lr, cfg.warmup, cfg.clip)


def vae_loss(model, x, step):
    logits, mu, logvar, _ = model(x)
    return beta_vae_loss(logits, x, mu, logvar, cfg.beta)


vae_history = fit(vae, vae_loss, random_batches(images, cfg.batch_size, cfg.seed), cfg.steps, optimizer=optimizer,
                  scheduler=scheduler, log_every=cfg.log_every, desc="vector")

sets = {"fit": probe_fit, "test": test, "four": four}
post = {name: {k: v.cpu() for k, v in cell_model.posterior(s.images.to(cfg.device)).items()} for name, s in sets.items()}
vae_post = {name: [t.cpu() for t in vae.posterior(s.images.to(cfg.device))] for name, s in sets.items()}
vae_mu = {name: mu for name, (mu, _) in vae_post.items()}
with torch.no_grad():
    vae_recon = torch.sigmoid(vae.decode(vae_mu["test"][:6].to(cfg.device))).cpu()
pd.DataFrame({"model": ["grid of cells", "one vector"],
              "rec (nats)": [cell_history["rec"].iloc[-1], vae_history["rec"].iloc[-1]],
              "KL (nats)": [cell_history["kl"].iloc[-1], vae_history["kl"].iloc[-1]]}).round(2)

# %% [markdown]
# The table shows the last logged training batch of each model (nats per image).
#
# **Why this model** (chosen on seed 0, on {glue:text}`n_val` validation scenes drawn from a stream the chapter
# never uses; `bench/pilot_07.py`; every run is in the table below, each with the code as it stood then).
# Before it, a Slot Attention autoencoder {cite}`locatello2020object` with a broadcast decoder cut the canvas
# into regions at this budget (issue 19's measurement), and an earlier draft of this chapter, Slot Attention
# inference with AIR's glimpse decoder (`ibcore.slots.SlotAE`), put its slots on one object. The plan written
# before the pilot named the grid model; at most three one-knob changes (a later or softer prior annealing,
# the shift's range, $z^{\mathrm{what}}$ read from the crop); a bar for asserting the claims (FG-ARI
# {glue:text}`pilot_ari_bar` and a count right on {glue:text}`pilot_count_bar` of the validation scenes); and,
# if the grid failed, a repaired Slot Attention model. What was run:
#
# - before any training, the fixed grids and the untrained model on the validation scenes: the best grid
#   scores {glue:text}`p0_best_grid:.2f`, the untrained model counts {glue:text}`p0_untrained_count:.2f` of the
#   scenes right (first row);
# - the base recipe (`r1_base`, 600 then 1,500 steps; the 1,500-step run twice, with the same numbers);
# - one grey level per glimpse (`r1_flatgrey`, not in the plan: the reconstructions showed soft masks, and
#   with a grey level per pixel a mask and a grey level trade off). It *lowered* the FG-ARI at 1,500 steps
#   ({glue:text}`pilot_flat_ari:.2f` against {glue:text}`pilot_base_ari:.2f`) and was kept for the reason
#   given, not for its score; the crop with a grey level per pixel was not tried;
# - $z^{\mathrm{what}}$ from the crop (`r1_crop`, planned), then at the chapter's budget (`r1_crop_2500_full`):
#   the recipe used here, with FG-ARI {glue:text}`pilot_ari:.2f` and a count right on {glue:text}`pilot_count:.2f`;
# - a Gaussian mixture likelihood (`r1_crop_mixture_2500`, not planned): the highest FG-ARI of these runs
#   ({glue:text}`pilot_mixture_ari:.2f`), but it over-counted, and it was not adopted;
# - after a review of this chapter: presence inside the softmax (`r1_crop_gated_2500`, each cell's mask logit
#   shifted by the log of its presence, so that an absent cell takes no share from the others). It collapsed:
#   a relaxed presence near 0 still leaves a cell with a large mask logit most of a pixel, so cells learned to
#   draw while absent, and in evaluation (presence thresholded) no cell was present. Not adopted. Its ms a step
#   is inflated: other jobs ran beside it.
#
# The planned prior and shift changes and the Slot Attention fallback were not tried. No run reached the bar
# (see the claim check). The validation scores are development numbers, not evidence.

# %%
PILOT_RUN = "r1_crop_2500_full"  # the pilot run of the recipe used here
PILOT_ARI_BAR, PILOT_COUNT_BAR = 0.75, 0.6  # the pilot plan's bar for asserting the claims
runs_07 = json.loads(Path("../results/pilots/07_seed0.json").read_text())
p0 = next(r for r in runs_07 if "grid_fg_ari" in r)  # no training: fixed grids and the untrained model
pilot_runs = [r for r in runs_07 if "evals" in r]
pilot = {r["name"]: r["evals"][-1] for r in pilot_runs}  # each run's last validation scores
n_val = pilot_runs[0]["args"]["n_val"]
pilots = pd.DataFrame([
    {"pilot": "no training: best grid | untrained count", "steps": 0, "ms a step": np.nan,
     "fg_ari": max(p0["grid_fg_ari"].values()), "count_acc": p0["untrained"]["count_acc"],
     "extra_present": p0["untrained"]["extra_present"], "bg_share": np.nan, "step": 0}] + [
    {"pilot": r["name"], "steps": r["args"]["steps"], "ms a step": r["ms_per_step"], **r["evals"][-1]}
    for r in pilot_runs
]).drop(columns="step").rename(columns={"fg_ari": "FG-ARI (2-3 objects)", "count_acc": "count right",
                                        "extra_present": "present - objects", "bg_share": "background share"})
pilots

# %%
show = slice(0, 6)
top_masks, top_appearance = top_cells(
    post["test"]["masks"][show],
    cell_model.decode(post["test"]["mu"][show].to(cfg.device),
                      (post["test"]["presence"][show] > 0.5).float().to(cfg.device))["appearance"].detach().cpu(),
    post["test"]["presence"][show], k=4)
plots.glue_figure("fig-07-decompositions", plots.scene_decompositions(
    test.images[show], post["test"]["mean"][show], vae_recon, top_masks, top_appearance, test.labels()[show]));

# %% [markdown]
# ```{glue:figure} fig-07-decompositions
# :name: fig-07-decompositions
#
# Held-out scenes, one per row: the scene, its true segmentation, the object model's reconstruction and
# segmentation (each cell a colour, background black), the single-vector control's reconstruction, and the
# four cells of largest presence, each as its mask times its grey level ("slot 1" is the most present).
# ```
#
# ## Segmentation: foreground ARI, and what fixed grids score
#
# The foreground adjusted Rand index {cite}`greff2019multi,hubert1985comparing` compares the model's
# segmentation (each pixel to the cell or background with the largest mask) with the true one on the pixels
# that belong to an object. It ignores the background, so a segmentation that cuts the canvas into fixed
# regions scores well whenever objects fall into different regions. The controls are computed the same way:
# the **best fixed grid** of 1 to {glue:text}`slots` regions (the number of regions chosen on the probe-fit
# scenes: {glue:text}`best_k`), the **model's own cells** as a fixed partition (the {glue:text}`cells` x
# {glue:text}`cells` grid: what the model would score if each cell painted its square), and the one-segment
# partition, which scores 0 on every scene with two objects or more and 1 on every scene with one (so the
# headline numbers are over scenes with two objects or more).

# %%
multi_fit = probe_fit.counts >= 2
grid_scores = {k: float(fg_ari(probe_fit.labels(), grid_partition(k, cfg.canvas)[None])[multi_fit].mean())
               for k in range(1, K + 1)}
best_k = max(grid_scores, key=grid_scores.get)  # chosen on the probe-fit scenes, scored on the test scenes
segmentations = {
    "grid of cells (model)": lambda name: post[name]["masks"].argmax(1),
    f"best fixed grid ({best_k} regions)": lambda name: grid_partition(best_k, cfg.canvas)[None],
    f"its own cells as fixed regions ({K})": lambda name: grid_partition(K, cfg.canvas)[None],
    "one segment": lambda name: torch.zeros(1, cfg.canvas, cfg.canvas, dtype=torch.int64),
}
rows = []
for name, s in (("test", test), ("four", four)):
    for method, seg in segmentations.items():
        rows.append(pd.DataFrame({"count": s.counts.numpy(), "method": method,
                                  "fg_ari": fg_ari(s.labels(), seg(name)).numpy()}))
seg_table = pd.concat(rows, ignore_index=True)
multi = seg_table[seg_table["count"].between(2, 3)].groupby("method")["fg_ari"].mean()
ari_model, ari_best = float(multi["grid of cells (model)"]), float(multi[f"best fixed grid ({best_k} regions)"])
ari_cells = float(multi[f"its own cells as fixed regions ({K})"])
background = test.labels() == 0
bg_share = float(((post["test"]["masks"].argmax(1) == K) & background).sum() / background.sum())
# diagnostics (chosen after the pilot showed objects' edges going to the background; not claims): the share of
# object pixels whose largest mask is the background's, and the FG-ARI of the argmax over the cells alone
fg_lost = float(((post["test"]["masks"].argmax(1) == K) & ~background).sum() / (~background).sum())
multi_test = test.counts >= 2
ari_cells_only = float(fg_ari(test.labels(), post["test"]["masks"][:, :K].argmax(1))[multi_test].mean())
seg_table.groupby(["count", "method"])["fg_ari"].mean().unstack().round(3)

# %%
plots.glue_figure("fig-07-fg-ari", plots.scores_by_count(seg_table, "fg_ari", "foreground ARI"));

# %% [markdown]
# ```{glue:figure} fig-07-fg-ari
# :name: fig-07-fg-ari
#
# Foreground ARI against the number of objects, averaged over held-out scenes: the object model's
# segmentation, the best fixed grid (its number of regions chosen on other scenes), the model's own cells as
# fixed regions, and the one-segment partition. Scenes with 4 objects were never seen in training.
# ```
#
# On scenes with 2-3 objects the object model scores {glue:text}`ari_model:.3f`, the best fixed grid
# {glue:text}`ari_best:.3f` and the model's own cells, as fixed regions, {glue:text}`ari_cells:.3f`. The
# background is one component of the model by construction (no cell has to take it), so that it takes
# {glue:text}`bg_share_pct:.1f` % of the true background pixels is not evidence of anything; it also takes
# {glue:text}`fg_lost_pct:.1f` % of the objects' pixels. Where they go is a diagnostic, chosen after the pilot
# and not a claim: with the background left out of the argmax (each object pixel to the cell with the largest
# mask) the FG-ARI would be {glue:text}`ari_cells_only:.3f`. Two hypotheses for the lost pixels, neither
# measured here: soft masks at the objects' edges; and absent cells, whose share of a pixel goes to the
# background, taking part of an object next to them (the variant that removes this, in the pilot table,
# collapsed). On scenes with one object any pixel given to the background splits the object, which is why the
# model's FG-ARI there is far below 1.
#
# ## Counting
#
# A cell is counted as present when $\rho_k > 0.5$. The control is **guessing the most frequent count** of
# the probe-fit scenes, scored on the test scenes ({glue:text}`majority:.3f`). The same count read from an
# untrained model of the same architecture (initialised from seed {glue:text}`untrained_seed`) is shown too,
# but it cannot pass: at initialisation every cell's presence is near 0.5, and on the pilot's scenes nearly all
# {glue:text}`slots` cells land above it in every scene (first row of the pilot table: present minus objects).

# %%
seed_everything(1000 * cfg.seed + 107)  # an init seed outside the confirmation seeds 1-5
untrained = GridAE(cell_cfg).to(cfg.device)
untrained_presence = untrained.posterior(test.images.to(cfg.device))["presence"].cpu()
count = {name: (post[name]["presence"] > 0.5).sum(1) for name in post}
count_acc = float((count["test"] == test.counts).float().mean())
count_acc_four = float((count["four"] == four.counts).float().mean())
count_acc_untrained = float(((untrained_presence > 0.5).sum(1) == test.counts).float().mean())
mode = int(probe_fit.counts.bincount().argmax())  # the most frequent count, on the probe-fit scenes
majority = float((test.counts == mode).float().mean())
pd.crosstab(pd.Series(test.counts.numpy(), name="objects"), pd.Series(count["test"].numpy(), name="present cells"))

# %% [markdown]
# The table counts held-out scenes by their number of objects (rows) and of present cells (columns). The
# count is right on {glue:text}`count_acc:.3f` of the scenes (untrained: {glue:text}`count_acc_untrained:.3f`)
# and on {glue:text}`count_acc_four:.3f` of the 4-object scenes.
#
# ## One cell per object?
#
# Which cell describes which object? Without labels, as the control below is read: objects are ranked left to
# right, and the object of rank r is read from the r-th present cell from the left (one read-out per rank).
# With labels, for comparison: each object's cell is matched by the Hungarian algorithm on the overlap of its
# true mask with the cells' segments (`ibcore.metrics.match_objects`), an oracle choice. A ridge read-out
# (`ibcore.metrics.ridge_r2`, its strength chosen by leave-one-out on the probe-fit scenes) predicts the
# object's position, scale, grey level and shape (one-hot) from the cell's posterior mean: its position on the
# canvas (the cell's centre plus its offset; the raw $z^{\mathrm{where}}$ is relative to the cell) and its
# {glue:text}`what` appearance numbers, {glue:text}`cell_latent` numbers in all. We report held-out $R^2$ per
# factor and averaged over factors (orientation is left out: the square's and the ellipse's symmetries make
# it ambiguous). The control is the same read-out from a block of the same size of the single vector: its
# {glue:text}`latents` latents cut into {glue:text}`slots` blocks, and each rank given the block that predicts
# it best on the probe-fit scenes (the best of {glue:text}`slots` blocks, chosen on data: a choice that favours
# the control). The single vector's whole code is read out too: the information may be there, spread over
# blocks.

# %%
TARGETS = ("posX", "posY", "scale", "intensity")


def object_rows(s, matched=None):
    """Per-object targets (posX, posY, scale, intensity, shape one-hot), scene index, rank left-to-right,
    and the matched cell of every present object."""
    b, o = np.nonzero(s.present.numpy())
    f = s.factors.numpy()[b, o]
    y = np.concatenate([f[:, [3, 4, 1, 5]], np.eye(3)[s.classes.numpy()[b, o, 0] ]], 1)
    xs = np.where(s.present.numpy(), s.factors.numpy()[..., 3], np.inf)
    rank = np.argsort(np.argsort(xs, 1, kind="stable"), 1, kind="stable")[b, o]
    slot = None if matched is None else matched.numpy()[b, o]
    return y, b, rank, slot


def factor_r2(r2: np.ndarray) -> np.ndarray:
    """R^2 per factor: position x, position y, scale, grey level, shape (its 3 one-hot columns averaged)."""
    return np.asarray(list(r2[:4]) + [r2[4:].mean()])


def mean_r2(r2: np.ndarray) -> float:
    """R^2 averaged over position x, position y, scale, grey level and shape."""
    return float(factor_r2(r2).mean())


def cell_codes(name):
    """Each cell's canvas position and appearance (posterior means): (N, K, 2 + what)."""
    mu = post[name]["mu"]
    return torch.cat([cell_model.where(mu[..., :2].to(cfg.device)).cpu(), mu[..., 2:]], -1).numpy()


def ranked_cells(name):
    """(N, K) cell order without labels: present cells left to right, then the others by presence."""
    pres = post[name]["presence"].numpy()
    x = cell_codes(name)[..., 0]
    key = np.where(pres > 0.5, x, 10.0 - pres)  # present cells first (x < 1.1), by x; then by presence
    return np.argsort(key, 1, kind="stable")


def by_rank(fit_x, fit_y, fit_rank, test_x, test_y, test_rank):
    """Per-factor held-out R^2 of a read-out fitted per object rank, averaged over ranks weighted by objects."""
    per = [factor_r2(ridge_r2(fit_x[fit_rank == r], fit_y[fit_rank == r], test_x[test_rank == r], test_y[test_rank == r]))
           for r in range(world.max_objects)]
    return np.average(per, axis=0, weights=[(test_rank == r).sum() for r in range(world.max_objects)])


y_f, b_f, rank_f, _ = object_rows(probe_fit)
y_t, b_t, rank_t, _ = object_rows(test)
# (1) the cell matched to each object by overlap with its TRUE mask (an oracle choice of the cell)
matched_fit = match_objects(post["fit"]["masks"].argmax(1), probe_fit.masks, segments=K)
matched_test = match_objects(post["test"]["masks"].argmax(1), test.masks, segments=K)
_, _, _, cell_f = object_rows(probe_fit, matched_fit)
_, _, _, cell_t = object_rows(test, matched_test)
codes_fit, codes_test = cell_codes("fit"), cell_codes("test")
r2_oracle = factor_r2(ridge_r2(codes_fit[b_f, cell_f], y_f, codes_test[b_t, cell_t], y_t))
# (2) without labels, as the control gets its blocks: the object of rank r (left to right) read from the r-th
# present cell from the left, one read-out per rank
order_f, order_t = ranked_cells("fit"), ranked_cells("test")
r2_ranked = by_rank(codes_fit[b_f, order_f[b_f, rank_f]], y_f, rank_f, codes_test[b_t, order_t[b_t, rank_t]], y_t, rank_t)
r2_cell = float(r2_ranked.mean())
ob, oo = np.nonzero(test.present.numpy())
touch = ((post["test"]["masks"].argmax(1)[ob] == torch.as_tensor(cell_t)[:, None, None]) & test.masks[ob, oo]).flatten(1).any(1)
zero_overlap = float((~touch).float().mean())  # objects matched to a cell whose segment misses them

# The control: blocks of the single vector, one per rank, chosen on the probe-fit scenes (two halves)
size = cell_cfg.latent
blocks = vae_mu["fit"].numpy().reshape(len(probe_fit), K, size)
blocks_test = vae_mu["test"].numpy().reshape(len(test), K, size)
half = b_f < len(probe_fit) // 2
choice = {}
for r in range(world.max_objects):
    score = [mean_r2(ridge_r2(blocks[b_f[half & (rank_f == r)], j], y_f[half & (rank_f == r)],
                              blocks[b_f[~half & (rank_f == r)], j], y_f[~half & (rank_f == r)]))
             for j in range(K)]
    choice[r] = int(np.argmax(score))
pick_f, pick_t = np.vectorize(choice.get)(rank_f), np.vectorize(choice.get)(rank_t)
r2_block = by_rank(blocks[b_f, pick_f], y_f, rank_f, blocks_test[b_t, pick_t], y_t, rank_t)
r2_whole = by_rank(vae_mu["fit"].numpy()[b_f], y_f, rank_f, vae_mu["test"].numpy()[b_t], y_t, rank_t)
r2_vae_block, r2_vae_whole, r2_cell_oracle = float(r2_block.mean()), float(r2_whole.mean()), float(r2_oracle.mean())
readouts = pd.DataFrame([r2_ranked, r2_oracle, r2_block, r2_whole], columns=["posX", "posY", "scale", "grey", "shape"],
                        index=["r-th present cell from the left", "cell matched on the true mask (oracle)",
                               "best block of the single vector", "the whole single vector"])
readouts.insert(0, "latents", [size, size, size, latents])
readouts["mean"] = readouts[["posX", "posY", "scale", "grey", "shape"]].mean(1)
readouts.round(3)

# %% [markdown]
# Held-out $R^2$ per factor (rows: read-outs). Read without labels, the r-th present cell carries a mean
# $R^2$ of {glue:text}`r2_cell:.3f` of its object's factors (the claim's statistic); the cell matched on the
# true mask {glue:text}`r2_cell_oracle:.3f` ({glue:text}`zero_overlap_pct:.1f` % of the objects are matched to
# a cell whose segment does not touch them); the best block of the single vector {glue:text}`r2_vae_block:.3f`,
# and the whole single vector {glue:text}`r2_vae_whole:.3f`. Read the table by factor before the mean: a cell's
# position comes partly from *which* cell it is (its centre is part of its features), so the position columns
# favour the cells by construction, and the appearance columns (scale, grey level, shape) are where "its own
# description" is tested. The single vector is matched in latents, steps, batches, optimiser, β and
# likelihood, not in tuning (the recipe was piloted on the object model only) or in rate (its KL is
# {glue:text}`kl_vae:.1f` nats against the object model's {glue:text}`kl_cells:.1f`).
# {numref}`fig-07-traversals` moves one cell's latents and leaves the others where they are.

# %%
three = torch.nonzero(test.counts == 3).flatten()
scene = int(three[0]) if len(three) else 0
x0 = test.images[scene:scene + 1].to(cfg.device)
obj_cell = max(int(matched_test[scene, 0]), 0)
plots.glue_figure("fig-07-traversals", plots.slot_traversals(cell_model, x0, obj_cell,
                                                             latents=list(range(min(cell_cfg.latent, 6)))));

# %% [markdown]
# ```{glue:figure} fig-07-traversals
# :name: fig-07-traversals
#
# Traversals of one cell of a held-out scene with three objects: each row moves one latent of the cell
# matched to the back-most object, its appearance latents from -2 to +2 prior standard deviations and its
# position latents by a quarter of that around their posterior means, while the other cells stay at theirs.
# ```
#
# By construction a cell paints only inside its glimpse, so moving its latents cannot change the pixels of
# objects outside that window: that is an identity of the decoder (`tests/test_scenes.py`), not a claim.
#
# ## Where the rate goes
#
# The KL of the object model is a sum over cells (the loss above, with the prior's final $\rho_0$). On
# held-out scenes, the cells matched to objects hold {glue:text}`kl_object_share_pct:.1f` % of it; the single
# vector's KL is {glue:text}`kl_vae:.2f` nats against the object model's {glue:text}`kl_cells:.2f`. Reported
# with a verdict: supports if the share is above {glue:text}`rate_hi` %, contradicts if below
# {glue:text}`rate_lo` %, inconclusive in between (the rule was written for the 4-slot draft of this chapter
# and carried over). With {glue:text}`slots` cells the rule has a floor it did not have with 4 slots: every
# absent cell still pays $\mathrm{KL}(\mathrm{Bern}(0)\,\|\,\mathrm{Bern}(\rho_0)) = \log\frac{1}{1-\rho_0}$
# nats, so the cells not matched to objects hold at least {glue:text}`rate_floor_pct:.1f` % of the rate here
# by construction. Without the presence terms (the Gaussian KL of where and what alone, a diagnostic
# chosen after the review of the first run), the matched cells hold {glue:text}`kl_gauss_share_pct:.1f` %.

# %%
p_test = post["test"]
kl_gauss = (gaussian_kl(p_test["mu"], p_test["logvar"]).sum(-1) * p_test["presence"]).numpy()  # (N, K)
rho = p_test["presence"].clamp(1e-6, 1 - 1e-6)
pr = cfg.prior_end
kl_pres = (rho * torch.log(rho / pr) + (1 - rho) * torch.log((1 - rho) / (1 - pr))).numpy()
kl_cell = kl_gauss + kl_pres
is_object = np.zeros_like(kl_cell, dtype=bool)
for i, row in enumerate(matched_test.numpy()):
    is_object[i, row[row >= 0]] = True
kl_object_share = float(kl_cell[is_object].sum() / kl_cell.sum())
kl_gauss_share = float(kl_gauss[is_object].sum() / kl_gauss.sum())
rate_floor = float((~is_object).sum(1).mean() * np.log(1 / (1 - pr)) / kl_cell.sum(1).mean())
kl_vector = gaussian_kl(*vae_post["test"]).sum(1).numpy()  # (N,) nats
kl_vae = float(kl_vector.mean())
rate = pd.DataFrame({"objects": test.counts.numpy(), "cells' KL": kl_cell.sum(1), "one vector's KL": kl_vector})
rate.groupby("objects").mean().round(2)

# %% tags=["hide-input"]
ARI_BAR, COUNT_BAR, R2_BAR = 0.7, 0.6, 0.5  # the claims' thresholds, fixed before any model was trained
RATE_HI, RATE_LO, MARGIN = 90.0, 50.0, 0.05  # reported rules, written for the draft
ari_four = seg_table[seg_table["count"] == 4].groupby("method")["fg_ari"].mean()
ari_four_model, ari_four_best = float(ari_four["grid of cells (model)"]), float(ari_four[f"best fixed grid ({best_k} regions)"])
generalisation = ari_four_model - ari_four_best
glue_values({
    "canvas": cfg.canvas, "sprite": world.sprite, "n_train": f"{cfg.n_train:,}", "n_eval": f"{cfg.n_eval:,}",
    "slots": K, "cells": cfg.cells, "cell_px": cfg.canvas // cfg.cells, "what": cfg.what, "latents": latents,
    "cell_latent": cell_cfg.latent, "steps": f"{cfg.steps:,}", "beta": f"{cfg.beta:g}", "lr": f"{cfg.lr:g}",
    "warmup_pct": f"{100 * cfg.warmup:g}", "clip": f"{cfg.clip:g}", "glimpse": cfg.glimpse, "shift": f"{cfg.shift:g}",
    "tau_start": f"{cfg.tau_start:g}", "tau_end": f"{cfg.tau_end:g}", "prior_start": f"{cfg.prior_start:g}",
    "prior_end": f"{cfg.prior_end:g}", "hold_pct": f"{100 * cfg.hold:g}", "anneal_pct": f"{100 * cfg.anneal_end:g}",
    "best_k": best_k, "ari_model": ari_model, "ari_best": ari_best, "ari_cells": ari_cells,
    "bg_share_pct": 100 * bg_share, "fg_lost_pct": 100 * fg_lost, "ari_cells_only": ari_cells_only,
    "untrained_seed": 1000 * cfg.seed + 107, "majority": majority,
    "count_acc": count_acc, "count_acc_untrained": count_acc_untrained, "count_acc_four": count_acc_four,
    "r2_cell": r2_cell, "r2_cell_oracle": r2_cell_oracle, "zero_overlap_pct": 100 * zero_overlap,
    "r2_vae_block": r2_vae_block, "r2_vae_whole": r2_vae_whole,
    "kl_object_share_pct": 100 * kl_object_share, "kl_gauss_share_pct": 100 * kl_gauss_share,
    "rate_floor_pct": 100 * rate_floor, "kl_vae": kl_vae, "kl_cells": float(kl_cell.sum(1).mean()),
    "ari_four_model": ari_four_model, "ari_four_best": ari_four_best,
    "drop_model": ari_model - ari_four_model, "drop_grid": ari_best - ari_four_best,
    "ari_bar": f"{ARI_BAR:g}", "count_bar_pct": f"{100 * COUNT_BAR:g}", "r2_bar": f"{R2_BAR:g}",
    "rate_hi": f"{RATE_HI:g}", "rate_lo": f"{RATE_LO:g}", "margin": f"{MARGIN:g}",
    "n_val": n_val, "pilot_ari_bar": f"{PILOT_ARI_BAR:g}", "pilot_count_bar": f"{100 * PILOT_COUNT_BAR:g} %",
    "p0_best_grid": max(p0["grid_fg_ari"].values()), "p0_untrained_count": p0["untrained"]["count_acc"],
    "pilot_base_ari": pilot["r1_base_1500"]["fg_ari"], "pilot_flat_ari": pilot["r1_flatgrey_1500"]["fg_ari"],
    "pilot_mixture_ari": pilot["r1_crop_mixture_2500"]["fg_ari"],
    "pilot_ari": pilot[PILOT_RUN]["fg_ari"], "pilot_count": pilot[PILOT_RUN]["count_acc"],
})

# %% [markdown]
# ## Generalisation to four objects
#
# Trained on 1-3 objects, the model meets scenes of 4. Its foreground ARI there is
# {glue:text}`ari_four_model:.3f`, the best fixed grid's {glue:text}`ari_four_best:.3f` (from 2-3 objects to
# 4, the model's FG-ARI falls by {glue:text}`drop_model:.3f` and the grid's by {glue:text}`drop_grid:.3f`; the
# difference at 4 objects also carries the gap already there at 2-3). Reported with a verdict: supports if the
# model beats the grid by more than {glue:text}`margin`, contradicts if the grid beats it by more than
# {glue:text}`margin`, inconclusive in between (margin written for the draft). A grid of cells has no count to
# exceed: a fourth object needs only a fourth free cell, so this tests the cells' locality more than a
# learned count.
#
# ## Claim check
#
# Every claim of this chapter is **reported**, none asserted. The thresholds were fixed before any model was
# trained (in the draft of this chapter, for a slot model, and kept for the grid): FG-ARI {glue:text}`ari_bar`,
# above the best fixed grid computed from the data alone; a count right on {glue:text}`count_bar_pct` % of the
# scenes, above guessing the most frequent count ({glue:text}`majority:.3f`); $R^2$ > {glue:text}`r2_bar` for
# one cell's read-out. The pilot plan said: assert them only if the seed-0 pilot reached FG-ARI
# {glue:text}`pilot_ari_bar` and a count right on {glue:text}`pilot_count_bar` of its validation scenes, else
# report all three. The pilot's run of the recipe used here reached FG-ARI {glue:text}`pilot_ari:.2f` (count
# {glue:text}`pilot_count:.2f`; table above), so all three are reported, with a verdict rule written before
# this chapter's book runs: **supports** if the statistic passes its threshold and its control does not,
# **contradicts** if the model does no better than its control, **inconclusive** in between. The rule asks
# for no margin over the control beyond the threshold. The verdicts are about this model at this budget
# (sized for time, not for the verdicts), not about every model with a latent per object.

# %% tags=["hide-input"]
def verdict_with_control(value: float, control: float, threshold: float, floor: float) -> str:
    """supports: value > threshold >= control; contradicts: value <= floor (the control, or guessing)."""
    if value > threshold >= control:
        return "supports"
    return "contradicts" if value <= floor else "inconclusive"


claims = Claims(chapter="07", scale=cfg.scale, seed=cfg.seed)
claims.report("segmentation", slide="5", claim="the object model's masks segment scenes of 2-3 objects (FG-ARI)",
              value=ari_model, op=">", threshold=ARI_BAR, unit="FG-ARI (held-out scenes, 2-3 objects)",
              control=f"the best fixed grid ({best_k} regions, chosen on the probe-fit scenes), same scenes",
              control_value=ari_best,
              rule=f"supports if > {ARI_BAR:g} and the grid is not; contradicts if not above the grid; else inconclusive",
              verdict=verdict_with_control(ari_model, ari_best, ARI_BAR, ari_best),
              chosen_on="threshold fixed before training; reported (not asserted) by the pilot plan")
claims.report("counting", slide="5", claim="the number of present cells equals the number of objects",
              value=count_acc, op=">", threshold=COUNT_BAR, unit="share of held-out scenes counted right",
              control="guessing the most frequent count of the probe-fit scenes (an untrained model scores "
                      f"{count_acc_untrained:.2f}: about half its cells are present at initialisation)",
              control_value=majority,
              rule=f"supports if > {COUNT_BAR:g} and guessing is not; contradicts if not above guessing; else inconclusive",
              verdict=verdict_with_control(count_acc, majority, COUNT_BAR, majority),
              chosen_on="threshold fixed before training; control changed from the untrained model (which cannot "
                        "pass) to guessing after review; reported (not asserted) by the pilot plan")
claims.report("object_cells", slide="5", claim="one cell carries its object's factors (read without labels)",
              value=r2_cell, op=">", threshold=R2_BAR, unit="held-out R2 of a ridge read-out, mean over factors",
              control="the best of the same-size blocks of the single-vector VAE (matched latents and budget)",
              control_value=r2_vae_block,
              rule=f"supports if > {R2_BAR:g} and the block is not; contradicts if not above the block; else inconclusive",
              verdict=verdict_with_control(r2_cell, r2_vae_block, R2_BAR, r2_vae_block),
              chosen_on="threshold fixed before training; cells read by rank without labels (the first run matched "
                        "them on the true masks) after review; reported (not asserted) by the pilot plan")
claims.report("four_objects", slide="5", claim="trained on 1-3 objects, the model segments scenes of 4",
              value=generalisation, unit="FG-ARI, model minus best fixed grid, 4 objects", op=">", threshold=0.0,
              rule=f"supports if > {MARGIN:g}, contradicts if < -{MARGIN:g}, else inconclusive",
              verdict=verdict_by_margin(generalisation, MARGIN))
claims.report("rate_per_object", slide="5", claim="the rate sits in the cells that hold objects",
              value=100 * kl_object_share, unit="% of the object model's KL in cells matched to objects",
              op=">", threshold=RATE_HI, rule=f"supports if > {RATE_HI:g} %, contradicts if < {RATE_LO:g} %, else "
              f"inconclusive (cells not matched to objects hold at least {100 * rate_floor:.1f} % by construction)",
              verdict="supports" if 100 * kl_object_share > RATE_HI else "contradicts" if 100 * kl_object_share < RATE_LO
              else "inconclusive")
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
# ```{confirmation-seeds} 07
# ```
