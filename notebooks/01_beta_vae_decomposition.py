# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1. The β-VAE objective and its decomposition
#
# **Claim (slide 2).** A β-VAE {cite}`higgins2017beta` minimises
#
# $$
# \mathcal{L} = H_{p,q}(x \mid z) + \beta\, \mathbb{E}_x \mathrm{KL}\big(q(z\mid x)\,\|\,p(z)\big),
# $$
#
# and with a factorized prior $p(z) = \prod_j p(z_j)$ the average KL splits into three terms
# {cite}`hoffman2016elbo,chen2018isolating`:
#
# $$
# \mathbb{E}_x \mathrm{KL}\big(q(z\mid x)\,\|\,p(z)\big)
#   = \underbrace{I(z;x)}_{\text{minimality}}
#   + \underbrace{\mathrm{TC}(z)}_{\text{disentanglement}}
#   + \underbrace{\textstyle\sum_j \mathrm{KL}\big(q(z_j)\,\|\,p(z_j)\big)}_{\text{dimension-wise KL}},
# $$
#
# where $q(z) = \mathbb{E}_x q(z\mid x)$ is the aggregate posterior and
# $\mathrm{TC}(z) = \mathrm{KL}(q(z)\,\|\,\prod_j q(z_j))$ its total correlation. So β presses on the
# information the code keeps about the image *and* on the dependence between its components. The slide writes
# "$= I(z;x) + \mathrm{TC}(z)$" and drops the last term. This chapter trains β-VAEs on procedural dSprites
# {cite}`dsprites17` for five values of β and measures all three terms on held-out images.
#
# **In this chapter** you will see:
#
# - the three terms measured for five β-VAEs, with the estimator checked against the analytic KL;
# - how large the dropped term, the dimension-wise KL, is against the KL for every β (the bar: 2 %), and
#   that it is large on codes whose means sit off the prior;
# - that the exact TC estimator is biased upwards at finite N (it finds TC in codes with none), how a
#   permutation null measures that bias, and that TC still falls with β once the bias is removed;
# - that $I(z;x)$ falls at every step of β, where untrained encoders show no such order;
# - the rate-distortion trade-off, and three estimators (exact, MWS, MSS) on the same codes.
#
# Source of this chapter: {download}`01_beta_vae_decomposition.py <01_beta_vae_decomposition.py>` (jupytext),
# with its outputs in {download}`01_beta_vae_decomposition.ipynb <01_beta_vae_decomposition.ipynb>`.

# %% tags=["parameters"]
seed = 0  # seed of data, initialisation and estimators
scale = "book"  # "smoke" (seconds), "book" (the committed outputs), "paper" (a GPU)
device = "auto"  # "auto", "cpu", "cuda"
betas = [1, 2, 4, 8, 16]  # the β grid, all trained with the same budget and seed
arch = "burgess"  # "burgess" (conv, Burgess et al. 2017) or "mlp" (Higgins / Chen MLP)

# %% tags=["hide-input"]
from ibcore import params

cfg = params.resolve("01", scale=scale, seed=seed, device=device,
                     betas=params.check_values("betas", betas, 0.0, 1000.0, min_count=3, low_open=True, sort=True),
                     arch=params.check_choice("arch", arch, ("burgess", "mlp")))
cfg

# %% tags=["hide-input"]
import math

import numpy as np
import pandas as pd
import torch

from ibcore import plots, seed_everything
from ibcore.claims import Claims, glue_values
from ibcore.data import DSprites
from ibcore.info import kl_decomposition, tc_against_n
from ibcore.losses import beta_vae_loss
from ibcore.models import VAE, VAEConfig
from ibcore.train import fit

plots.set_theme()
seed_everything(cfg.seed)
ds = DSprites(resolution=cfg.resolution)

# %% [markdown]
# ## The data: dSprites, generated
#
# `ibcore.data.DSprites` rebuilds deepmind's factor grid exactly (3 shapes × 6 scales × 40 orientations ×
# 32 × 32 positions = 737,280 images, in the original index order) and renders each image on demand, so
# nothing is downloaded ({numref}`fig-01-factors`).

# %%
plots.glue_figure("fig-01-factors", plots.factor_sweep(ds, base=(2, 4, 5, 16, 16)));

# %% [markdown]
# ```{glue:figure} fig-01-factors
# :name: fig-01-factors
#
# dSprites at the chapter's resolution: each row varies one factor (shape, scale, orientation, posX, posY)
# around the same image.
# ```
#
# ## Training one β-VAE per β
#
# Before training, {glue:text}`n_codes` images are drawn without replacement and **held out**
# (`DSprites.split`): the training stream draws only from the other indices, so every number below is
# measured on images no model has seen. Every model has the same architecture, data stream, seed and
# budget ({glue:text}`steps` steps of batch {glue:text}`batch_size`; the steps and N were sized to the chapter's
# 6-minute budget on 2 cores before the run, not for any verdict); only β differs. The reconstruction term is summed over pixels, so the β here is the β of the
# objective above, as in Higgins et al.'s and Chen et al.'s code. Higgins et al. {cite}`higgins2017beta`
# also quote a *normalised* $\beta_{\mathrm{norm}} = \beta M / N$ (M = 10 latents, N = pixels): at
# {glue:text}`resolution` px our β = 4 is $\beta_{\mathrm{norm}}$ = {glue:text}`beta_norm_4:.4f`, four times
# the {glue:text}`beta_norm_4_64:.4f` the same β gives at the papers' 64 px, because a 32 px image has a quarter
# of the pixels whose reconstruction the KL is traded against.

# %%
train_idx, held_idx = ds.split(cfg.n_codes, seed=cfg.seed)


def train_vae(beta: float) -> tuple[VAE, pd.DataFrame]:
    """One β-VAE at the chapter's scale: same seed, data stream (training indices only) and budget for every β."""
    seed_everything(cfg.seed)
    model = VAE(VAEConfig(arch=cfg.arch, resolution=cfg.resolution)).to(cfg.device)
    stream = torch.Generator().manual_seed(cfg.seed)

    def batch(step: int) -> torch.Tensor:
        return ds.images(ds.sample_indices(cfg.batch_size, stream, pool=train_idx)).to(cfg.device)

    def step_loss(model, x, step):
        logits, mu, logvar, _ = model(x)
        return beta_vae_loss(logits, x, mu, logvar, beta)

    history = fit(model, step_loss, batch, cfg.steps, lr=cfg.lr, log_every=max(1, cfg.steps // 20),
                  desc=f"beta={beta:g}")
    return model, history


# The same held-out images for every model, in random order (so the first n are a uniform sample).
eval_images = ds.images(held_idx)

rows, histories, codes, by_n = [], {}, {}, {}
for beta in cfg.betas:
    model, histories[beta] = train_vae(beta)
    mu, logvar = model.posterior(eval_images.to(cfg.device))
    codes[beta] = (mu.cpu(), logvar.cpu())
    with torch.no_grad():
        logits = torch.cat([model.decode(m) for m in mu.split(1024)])  # decode the posterior means
        rec = beta_vae_loss(logits.cpu(), eval_images, mu.cpu(), logvar.cpu())["rec"].item()
    # the exact decomposition on the first n codes for each n, with the permutation null (next section)
    by_n[beta] = tc_against_n(*codes[beta], cfg.tc_sizes, seed=cfg.seed)
    rows.append({"beta": beta, "rec": rec, **by_n[beta].iloc[-1].to_dict()})

table = pd.DataFrame(rows)
table["sum"] = table["mi"] + table["tc"] + table["dimwise_kl"]
table["sum_err_pct"] = 100 * (table["sum"] - table["kl"]).abs() / table["kl"]
table["dimwise_pct"] = 100 * table["dimwise_kl"] / table["kl"]
table[["beta", "rec", "kl", "mi", "tc", "tc_null", "tc_corrected", "dimwise_kl", "sum_err_pct", "dimwise_pct"]].round(3)

# %% [markdown]
# The table is in nats per image, on the same N = {glue:text}`n_codes` held-out images for every β. `kl` is
# the analytic $\mathbb{E}_x\mathrm{KL}$; `mi`, `tc` and `dimwise_kl` come from the exact estimator
# (`ibcore.info.kl_decomposition(method="exact")`), which treats the data distribution as uniform over
# those images, so $I(z;x) \le \log N =$ {glue:text}`log_n:.2f` nats; `rec` is $-\log p(x \mid z=\mu)$
# summed over pixels. `tc_null` and `tc_corrected` are explained below.
#
# **An estimator check, not a claim.** The three terms add up, sample by sample, to the Monte-Carlo KL, and
# that to the analytic KL up to Monte-Carlo error: `sum_err_pct`, at most {glue:text}`sum_err_max:.2f` % here.
# This holds for *any* codes (it is an identity of the estimator), so it is a unit test of `ibcore`
# (`tests/test_info.py`), shown here only as a check that the numbers are in order.
#
# ## The dropped term
#
# The slide drops $\sum_j \mathrm{KL}(q(z_j)\|p(z_j))$. It is between {glue:text}`dimwise_pct_min:.2f` % and
# {glue:text}`dimwise_pct_max:.2f` % of $\mathbb{E}_x\mathrm{KL}$ across β, largest at β =
# {glue:text}`dimwise_beta_max`, which is {glue:text}`dimwise_side` the 2 % bar of issue 14 (fixed before the
# run). The KL to a standard normal pulls each marginal $q(z_j)$ towards $p(z_j)$, but at this budget not
# always far enough for the term to be negligible: the slide's equality is then an approximation whose error is
# that share. The share is a property of the trained codes: the same codes with every posterior mean shifted by
# one prior standard deviation (a code whose marginals sit off the prior) put
# {glue:text}`dimwise_shift_min:.0f` % to {glue:text}`dimwise_shift_max:.0f` % of their KL in the dropped term.
# The exact estimator of $q(z_j)$ is a mixture of N posteriors, each sample counted in its own component, so
# the estimate is biased upwards at finite N: at β = {glue:text}`dimwise_beta_max` the share is
# {glue:text}`dimwise_pct_small_n:.2f` % at N = {glue:text}`n_small` and {glue:text}`dimwise_pct_max:.2f` % at
# N = {glue:text}`n_codes`; it {glue:text}`dimwise_trend` with N, which the verdict below takes into account.
#
# ## Total correlation, and the estimator's bias
#
# The exact estimator computes $q(z)$ as a mixture of N posteriors. When the posteriors are sharp, that
# mixture is N separated bumps, and the product of its marginals spreads mass where the mixture has none, so
# the estimate of TC is **biased upwards at finite N**: codes with no dependence at all get a positive TC
# that shrinks as N grows, and the sharper the posteriors (small β), the larger the bias. "TC falls with β"
# could then be an artefact. The control for that is a *permutation null*: the same codes with each latent's
# $(\mu_j, \log\sigma_j^2)$ permuted independently across images (`ibcore.info.permute_latents`) keep every
# marginal and have no dependence (true TC = 0); what the estimator reports on them is its bias at that N.
# {numref}`fig-01-tc-vs-n` shows both against N.

# %%
plots.glue_figure("fig-01-tc-vs-n", plots.tc_vs_n(by_n));

# %% [markdown]
# ```{glue:figure} fig-01-tc-vs-n
# :name: fig-01-tc-vs-n
#
# Total correlation against the number N of held-out codes, one colour per β. Left: the exact estimate on
# the codes (solid) and on the same codes with each latent permuted across images (dashed), whose true TC
# is 0: the dashed lines are the estimator's bias, largest for small β and falling with N. Right: the
# bias-corrected TC (codes minus their permuted copy, solid) and the same corrected statistic computed on
# permuted codes (dotted), which should be 0.
# ```
#
# The bias-corrected TC is the raw TC minus its permutation null at the same N; its control, the same
# subtraction between two independently permuted copies, is near 0 at every N and every β. Corrected, the
# total correlation goes from {glue:text}`tcc_first:.2f` nats at β = {glue:text}`beta_first` to
# {glue:text}`tcc_last:.2f` nats at β = {glue:text}`beta_last` (raw: {glue:text}`tc_first:.2f` and
# {glue:text}`tc_last:.2f`). On synthetic codes with a known TC (`tests/test_info.py`) the subtraction errs
# low. The corrected value is not a TC magnitude, only evidence of dependence: the permuted codes have the
# same KL and the same dimension-wise term, so the corrected TC equals $I(z;x)$ of the permuted codes minus
# that of the codes, at most $\log N - I(z;x)$ = {glue:text}`tc_cap_first:.2f` nats at β =
# {glue:text}`beta_first`, where $I(z;x)$ is near its ceiling. The claim below uses only its fall. Nor does
# the correction make the values independent of N: at β = {glue:text}`beta_first` the corrected TC is {glue:text}`tcc_first_small:.2f` nats at
# N = {glue:text}`n_small` and {glue:text}`tcc_first:.2f` at N = {glue:text}`n_codes`, so the claim below compares
# the β at one N (the largest), never values at different N. {numref}`fig-01-decomposition` puts all the
# terms side by side.

# %%
spread = pd.concat([t.assign(beta=b) for b, t in by_n.items()])
plots.glue_figure("fig-01-decomposition", plots.decomposition_vs_beta(table, spread));

# %% [markdown]
# ```{glue:figure} fig-01-decomposition
# :name: fig-01-decomposition
#
# The decomposition against β, at N = {glue:text}`n_codes` held-out codes; error bars run from the smallest
# to the largest value over N = {glue:text}`tc_sizes_text`. Left: the analytic average KL and $I(z;x)$,
# with its ceiling $\log N$. Right, on its own scale: the raw total correlation, the total correlation minus
# its permutation null, and the dimension-wise KL the slide drops.
# ```
#
# ## The information the code keeps
#
# As β rises the code keeps less information about the image: $I(z;x)$ falls from {glue:text}`mi_first:.2f`
# nats at β = {glue:text}`beta_first` to {glue:text}`mi_last:.2f` nats at β = {glue:text}`beta_last`; its
# largest step between neighbouring β is {glue:text}`mi_step_max:.3f` nats. A step counts as a fall only when
# it is below minus three standard errors of a difference of two estimates ({glue:text}`mi_margin:.3f` nats;
# the standard errors are the Monte-Carlo ones of the exact estimator, largest over β). This is close to what
# the objective asks for, but it can fail: the control is the same statistic on **untrained encoders** of
# the same architecture, one per β position (initialised from seeds {glue:text}`untrained_seeds`), on the same
# images and N. Their $I(z;x)$ is near 0 for every β and does not follow the grid: largest step
# {glue:text}`mi_step_untrained:.1e` nats, inside the margin. The step from β = {glue:text}`beta_first` to the
# next is squeezed by the ceiling $\log N$, which $I(z;x)$ nearly reaches at β = {glue:text}`beta_first`.

# %%
untrained = []
for k, beta in enumerate(cfg.betas):
    seed_everything(1000 * cfg.seed + 101 + k)  # init seeds outside the confirmation seeds 1-5
    model = VAE(VAEConfig(arch=cfg.arch, resolution=cfg.resolution)).to(cfg.device)
    mu_u, logvar_u = model.posterior(eval_images.to(cfg.device))
    est = kl_decomposition(mu_u.cpu(), logvar_u.cpu(), "exact", generator=torch.Generator().manual_seed(cfg.seed))
    untrained.append({"beta": beta, "mi_untrained": est["mi"], "kl_untrained": est["kl"]})
untrained = pd.DataFrame(untrained)
untrained_seeds = [1000 * cfg.seed + 101 + k for k in range(len(cfg.betas))]

# Control of the dropped-term claim: the same codes, every posterior mean shifted by one prior std.
SHIFT = 1.0
shifted = []
for beta in cfg.betas:
    mu, logvar = codes[beta]
    est = kl_decomposition(mu + SHIFT, logvar, "exact", generator=torch.Generator().manual_seed(cfg.seed))
    shifted.append({"beta": beta, "dimwise_pct_shifted": 100 * est["dimwise_kl"] / est["kl"]})
controls = untrained.merge(pd.DataFrame(shifted), on="beta")
controls.round(3)

# %% [markdown]
# The price of the bottleneck is reconstruction: the rate-distortion view of the same models
# ({numref}`fig-01-rate-distortion`).

# %%
plots.glue_figure("fig-01-rate-distortion", plots.rate_distortion(table));

# %% [markdown]
# ```{glue:figure} fig-01-rate-distortion
# :name: fig-01-rate-distortion
#
# Rate against distortion, one point per β: the analytic $\mathbb{E}_x\mathrm{KL}$ (rate) and
# $-\log p(x \mid z = \mu)$ summed over pixels, decoding the posterior mean of each held-out image.
# ```
#
# ## Three estimators on the same codes
#
# The exact estimator costs $O(N^2 L)$. Chen et al. {cite}`chen2018isolating` estimate the aggregate
# $q(z)$ from a minibatch instead: minibatch weighted sampling (MWS) and minibatch stratified sampling (MSS).
# Here all of them run on the same codes (the β = {glue:text}`beta_mid` model), with minibatches of
# {glue:text}`est_batch` codes. "MWS as published" uses the paper's normaliser $\log(NM)$, which shifts
# $I(z;x)$ by $+\log N$ and TC by $+(L-1)\log N$; `ibcore`'s MWS uses $\log M$. Both sampling estimators
# are biased for $M < N$ (see the docstring of `kl_decomposition`); the bias column is against exact.

# %%
beta_mid = cfg.betas[len(cfg.betas) // 2]
gen = lambda: torch.Generator().manual_seed(cfg.seed)  # noqa: E731  (the same z samples for every method)
estimates = {
    "exact": table.set_index("beta").loc[beta_mid].to_dict(),  # computed above with the same samples
    "mws": kl_decomposition(*codes[beta_mid], "mws", batch_size=cfg.est_batch, generator=gen()),
    "mws (as published)": kl_decomposition(*codes[beta_mid], "mws", batch_size=cfg.est_batch,
                                           published_normaliser=True, generator=gen()),
    "mss": kl_decomposition(*codes[beta_mid], "mss", batch_size=cfg.est_batch, generator=gen()),
}
estimators = pd.DataFrame([{"method": name, **{k: e[k] for k in ("mi", "tc", "dimwise_kl", "seconds")}}
                           for name, e in estimates.items()])
for term in ("mi", "tc", "dimwise_kl"):
    estimators[f"{term}_bias"] = estimators[term] - estimates["exact"][term]
estimators.round(3)

# %% [markdown]
# The stratified estimator gives the own term its true weight $1/N$ and the others
# $(N-1)/(N(M-1))$; it is unbiased for $q(z)$ but its logarithm is biased low, and with a population much
# larger than the minibatch it can return a negative TC. MWS over-weights the own term and so caps
# $I(z;x)$ near $\log M$. The headline numbers above therefore use the exact estimator.
#
# **Beside Chen et al. 2018.** Chen et al. evaluate the same decomposition on trained models with the whole
# of dSprites (N = 737,280) as the mixture, which is this chapter's exact estimator with the population
# itself as the N points, and find, as here, that raising β lowers the total correlation together with the
# mutual information, which is why they penalise TC alone (β-TCVAE); MWS and MSS are their training-time
# estimators. Two differences at CPU scale: our
# models are trained for {glue:text}`steps` steps instead of hundreds of thousands, so every KL is smaller;
# and our $I(z;x)$ is measured over N = {glue:text}`n_codes` held-out images, so it can never exceed
# $\log N$ = {glue:text}`log_n:.2f` nats, whereas theirs is bounded by $\log 737{,}280 \approx 13.5$ nats.
# With the population as the mixture, their "finite N" is the data set itself; with a sample of
# {glue:text}`n_codes` held-out images ours is a sample of it, which is why the correction above matters here.

# %% tags=["hide-input"]
first, last = table.iloc[0], table.iloc[-1]
DIMWISE_BAR = 2.0  # % of E_x KL: issue 14's bar for "negligible", fixed before the run
dimwise_max = float(table["dimwise_pct"].max())
beta_dw = float(table.loc[table["dimwise_pct"].idxmax(), "beta"])
small = by_n[beta_dw].iloc[0]  # the same beta's decomposition at the smallest N
dimwise_falls_with_n = bool(100 * small.dimwise_kl / small.kl > dimwise_max)
tc_cap_first = float(first.log_n - first.mi)  # corrected TC = I(permuted) - I <= log N - I
mi_step_max = float(table["mi"].diff().max())
mi_step_untrained = float(controls["mi_untrained"].diff().max())
mi_margin = 3 * math.sqrt(2) * float(table["mi_se"].max())  # 3 SE of a difference of two estimates
tc_fall = float(last.tc_corrected - first.tc_corrected)
tc_fall_null = float(last.tc_corrected_null - first.tc_corrected_null)
glue_values({
    "n_codes": cfg.n_codes, "steps": cfg.steps, "est_batch": cfg.est_batch, "log_n": float(table["log_n"].iloc[0]),
    "resolution": cfg.resolution, "beta_norm_4": 4 * 10 / cfg.resolution**2, "beta_norm_4_64": 4 * 10 / 64**2,
    "tc_sizes_text": ", ".join(f"{n:,}" for n in cfg.tc_sizes),
    "beta_first": f"{first.beta:g}", "beta_last": f"{last.beta:g}", "beta_mid": f"{beta_mid:g}",
    "mi_first": first.mi, "mi_last": last.mi, "tc_first": first.tc, "tc_last": last.tc,
    "tcc_first": first.tc_corrected, "tcc_last": last.tc_corrected, "sum_err_max": table["sum_err_pct"].max(),
    "dimwise_pct_min": table["dimwise_pct"].min(), "dimwise_pct_max": table["dimwise_pct"].max(),
    "dimwise_shift_max": controls["dimwise_pct_shifted"].max(), "mi_step_max": mi_step_max,
    "mi_step_untrained": mi_step_untrained, "untrained_seeds": ", ".join(map(str, untrained_seeds)),
    "batch_size": cfg.batch_size, "n_small": f"{cfg.tc_sizes[0]:,}", "dimwise_beta_max": f"{beta_dw:g}",
    "dimwise_side": "above" if dimwise_max > DIMWISE_BAR else "at or below",
    "dimwise_pct_small_n": float(100 * small.dimwise_kl / small.kl), "mi_margin": mi_margin,
    "tc_cap_first": tc_cap_first, "dimwise_shift_min": controls["dimwise_pct_shifted"].min(),
    "dimwise_trend": "falls" if dimwise_falls_with_n else "does not fall", "tcc_first_small": float(by_n[first.beta].tc_corrected.iloc[0]),
})

# %% [markdown]
# ## Claim check
#
# Each asserted claim is one number against a threshold fixed before the book run, with a control where the
# lecture predicts it fails; it counts only when it holds and its control does not. The TC threshold (a fall
# of at least 0.1 nats) was fixed before the book run at about three times the largest corrected null seen in
# the unit tests (0.03 nats at N = 2,000). The dropped term is **reported**, not asserted: it was asserted
# (at most 2 % for every β) until this version, whose smaller budget (sized for time, above) took it over the
# bar at β = {glue:text}`dimwise_beta_max`. Its rule: `inconclusive` when the control (shifted means) is not
# above 2 %; else `supports` when the largest share over β is at most 2 %; above 2 %, `inconclusive` while the
# share still falls as N grows (the estimator's upward finite-N bias could account for the excess), else
# `contradicts`. The N clause was added on seed 0 after the first run at this budget, on a reviewer's reading;
# the I(z;x) claim's margin of three standard errors likewise (it was 0).

# %% tags=["hide-input"]
claims = Claims(chapter="01", scale=cfg.scale, seed=cfg.seed)
dimwise_ctrl = float(controls["dimwise_pct_shifted"].max())
if dimwise_ctrl <= DIMWISE_BAR:
    dimwise_verdict = "inconclusive"  # the check cannot tell an off-prior code from these
elif dimwise_max <= DIMWISE_BAR:
    dimwise_verdict = "supports"
else:  # above the bar: the estimate's upward finite-N bias could account for it while it still falls with N
    dimwise_verdict = "inconclusive" if dimwise_falls_with_n else "contradicts"
claims.report("dimwise", slide="2", claim="the dropped term sum_j KL(q(z_j)||p(z_j)) is at most 2 % of E_x KL "
              "for every beta", value=dimwise_max, op="<=", threshold=DIMWISE_BAR, unit="% of E_x KL (max over beta)",
              control="the same codes with every posterior mean shifted by one prior standard deviation",
              control_value=dimwise_ctrl,
              verdict=dimwise_verdict,
              rule="inconclusive if the control is at most 2 %; else supports if the largest share is at most 2 %; "
                   "above 2 %: inconclusive while the share still falls with N (finite-N bias), else contradicts",
              chosen_on="bar 2 % from issue 14; the N clause added on seed 0 after the first book run (review)")
claims.add("tc", slide="2", claim="bias-corrected TC falls from the smallest to the largest beta",
           value=tc_fall, op="<", threshold=-0.1, unit="nats (corrected TC, largest minus smallest beta)",
           control="the same statistic on the codes with each latent permuted across images (true TC 0)",
           control_value=tc_fall_null, chosen_on="threshold -0.1 nats fixed before the book run")
claims.add("mi", slide="2", claim="I(z;x) falls at every step of the beta grid, by more than 3 standard errors",
           value=mi_step_max, op="<", threshold=-mi_margin, unit="nats (largest step of I between neighbouring betas)",
           control="untrained encoders of the same architecture, one per beta, same images and N",
           control_value=mi_step_untrained,
           chosen_on="margin of 3 standard errors added on seed 0 after the first book run (review): it was 0")
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
# ```{confirmation-seeds} 01
# ```
