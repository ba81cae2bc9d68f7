# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 6. Information in the weights decides what is memorised
#
# **Claim (slides 11-12).** What we have is past data; the quantity to control is the information the
# weights keep about the training set, $I(w;\mathcal{D})$, which is bounded by
# $\mathrm{KL}(q(w\mid\mathcal{D})\,\|\,p(w))$ for any prior $p$ fixed before the data {cite}`achille2018emergence`.
# The information bottleneck *for the weights* is
#
# $$
# \mathcal{L}(q) = H_{p,q}(y \mid x, w) + \beta\, \mathrm{KL}\big(q(w\mid\mathcal{D})\,\|\,p(w)\big).
# $$
#
# The lecture predicts a phase transition in β: past it, random labels {cite}`zhang2017understanding` can
# no longer be memorised, while real labels are still learned, because memorising costs weight
# information. It predicts that little weight information certifies the future (a PAC-Bayes bound), and
# (slide 12) that a network with little weight information yields representations of *future* data that
# are invariant to nuisances. This chapter tests each prediction; the claim check at the end says which
# ones the measurements bear out.
#
# **In this chapter** you will see
#
# - how the weights' KL grows with the fraction of random labels a network must memorise, and that this
#   KL is an upper bound on the information, far above what the labels could carry;
# - the phase transition in β: real labels learned, random ones refused, and most noisy labels overruled;
# - a PAC-Bayes certificate, optimised as Dziugaite & Roy {cite}`dziugaite2017computing` and Pérez-Ortiz
#   et al. do, that is non-vacuous for real labels, read against what a held-out test of its prior gives
#   and against the certificate of a posterior that stores thousands of nats;
# - what linear probes read about the task and a nuisance in the last hidden layer, across β.
#
# We train Bayesian MLPs (a mean-field Gaussian posterior over every weight, sampled with the local
# reparameterisation trick {cite}`kingma2015variational`) on scikit-learn's bundled 8×8 digits, each image
# with one of four levels of pixel noise: the nuisance.
#
# Source of this chapter: {download}`06_weight_information.py <06_weight_information.py>` (jupytext),
# with its outputs in {download}`06_weight_information.ipynb <06_weight_information.ipynb>`.

# %% tags=["parameters"]
seed = 0  # seed of the data split, label noise, initialisation and batches
scale = "book"  # "smoke" (seconds), "book" (the committed outputs), "paper" (longer training)
device = "auto"  # "auto", "cpu", "cuda"
betas = [0.003, 0.01, 0.03, 0.1, 0.3, 1.0]  # the β sweep, log-spaced
beta_small = 0.01  # "a small β where everything is fitted" (section 1)
beta_transition = 0.1  # the transition β of sections 1-3, picked on seed 0 (see section 2), fixed for other seeds
noise_fractions = [0.0, 0.25, 0.5, 0.75, 1.0]  # fractions of training labels replaced by random ones
prior_sigma = 0.1  # std of the Gaussian prior N(0, prior_sigma^2) of sections 1-3 and 5

# %% tags=["hide-input"]
from ibcore import params

cfg = params.resolve("06", scale=scale, seed=seed, device=device,
                     betas=params.check_values("betas", betas, 0.0, 100.0, min_count=5, low_open=True, sort=True),
                     beta_small=params.check_range("beta_small", beta_small, 0.0, 100.0, low_open=True),
                     beta_transition=params.check_range("beta_transition", beta_transition, 0.0, 100.0,
                                                        low_open=True),
                     noise_fractions=params.check_values("noise_fractions", noise_fractions, 0.0, 1.0,
                                                         min_count=3, sort=True),
                     prior_sigma=params.check_range("prior_sigma", prior_sigma, 0.0, 10.0, low_open=True))
for needed in (0.0, 0.25, 1.0):
    if needed not in cfg.noise_fractions:
        raise ValueError(f"noise_fractions must include 0, 0.25 and 1, got {list(cfg.noise_fractions)}")
if sum(f < 1 for f in cfg.noise_fractions) < 3:
    raise ValueError(f"noise_fractions needs at least 3 fractions below 1, got {list(cfg.noise_fractions)}")
if cfg.beta_transition not in cfg.betas:
    raise ValueError(f"beta_transition must be one of betas {list(cfg.betas)}, got {cfg.beta_transition:g}")
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
from ibcore.data import NoisyDigits, label_noise
from ibcore.info import linear_probe_bits
from ibcore.info.pacbayes import (bounded_cross_entropy, certificate, gibbs_errors, prior_scale_grid,
                                  quad_bound_objective, snap_to_grid, test_set_bound)
from ibcore.losses import weight_ib_loss
from ibcore.models import BayesMLP
from ibcore.train import accuracy, epoch_batches, fit, fit_stacked

plots.set_theme()
data = NoisyDigits(n_train=cfg.n_train, seed=cfg.seed)
dev = cfg.device
x_train, x_test = data.x_train.to(dev), data.x_test.to(dev)
pd.DataFrame({"split": ["train", "test"], "images": [len(data.x_train), len(data.x_test)],
              "noise levels (pixel std)": [str(data.noise_levels)] * 2})

# %% [markdown]
# ## One training run
#
# Every run of sections 1-3 uses the same architecture (64-256-256-10), prior
# $\mathcal{N}(0, \sigma_p^2)$ with $\sigma_p$ = {glue:text}`prior_sigma` on every weight, initial posterior
# $\sigma$ = {glue:text}`init_sigma`, Adam with separate learning rates for the means and the log-σ, and the
# same number of epochs; only β and the labels change. `ibcore.losses.weight_ib_loss` is
# $\mathrm{CE} + \beta\,\mathrm{KL}/N$ per example, so $N$ times it is the Lagrangian above. Accuracies are
# those of the posterior-mean network; the PAC-Bayes section samples weights. The runs are trained side by
# side as one vectorised stack (`ibcore.train.fit_stacked`, `torch.func.vmap` over the stacked weights): on a
# CPU a network this small spends most of a step in per-operation overhead, and the stack pays it once. Each
# run keeps its own labels, β, weight noise and gradient, the same initialisation and batch order as a run of
# its own (a unit test checks that a stack trains each member as it trains alone). The noise draws of a run
# depend on which runs share its stack, so changing the β grid moves the other runs' numbers by a draw.

# %%
INIT_SIGMA = 3e-3  # initial posterior std of every weight (sections 1-3)
runs: dict[tuple[float, float], dict] = {}


def train(keys: list[tuple[float, float]]) -> list[dict]:
    """The Bayesian MLPs at each ``(beta, fraction of random labels)``: the ones not trained yet are trained
    together, as one vectorised stack (`ibcore.train.fit_stacked`: each member with its own labels, β and
    weight noise; the same initialisation and batch order as a run of its own); returns their records."""
    todo = [k for k in dict.fromkeys(keys) if k not in runs]
    if todo:
        members, labels, randomised = [], [], []
        for beta, fraction in todo:
            seed_everything(cfg.seed)
            y, r = label_noise(data.y_train, fraction, seed=cfg.seed)
            labels.append(y), randomised.append(r)
            members.append(BayesMLP(prior_sigma=cfg.prior_sigma, init_sigma=INIT_SIGMA).to(dev))
        y_all = torch.stack(labels).to(dev)
        betas = torch.tensor([b for b, _ in todo], device=dev)
        batches = epoch_batches(len(data.y_train), cfg.batch_size, torch.Generator().manual_seed(cfg.seed))
        steps = cfg.epochs * max(1, len(data.y_train) // cfg.batch_size)
        n_train = len(data.y_train)
        member_ib_loss = torch.func.vmap(weight_ib_loss, in_dims=(0, 0, 0, 0, None))

        def member_loss(stack, idx, step):
            return member_ib_loss(stack.call("forward", x_train[idx]), y_all[:, idx], stack.call("kl"), betas, n_train)

        trained, histories = fit_stacked(members, member_loss, batches, steps, groups=lambda n: int("logsigma" in n),
                                         lrs=(cfg.lr_mu, cfg.lr_sigma), log_every=max(1, steps // 10),
                                         desc=f"{len(todo)} runs")
        for (beta, fraction), model, y, r, history in zip(todo, trained, labels, randomised, histories):
            runs[(beta, fraction)] = record(beta, fraction, model, y.to(dev), r, history)
    return [runs[k] for k in keys]


def record(beta: float, fraction: float, model: BayesMLP, labels: torch.Tensor, randomised: torch.Tensor,
           history: pd.DataFrame) -> dict:
    corrupted = (randomised & (labels.cpu() != data.y_train)).to(dev)  # labels that were changed
    with torch.no_grad():
        model.eval()
        pred = model(x_train).argmax(1)
    return {
        "beta": beta, "noise": fraction, "model": model, "labels": labels.cpu(), "randomised": randomised,
        "kl": float(model.kl().detach()), "history": history,
        "train_acc": accuracy(model, x_train, labels),  # on the labels it was trained on
        "train_true_acc": accuracy(model, x_train, data.y_train),  # agreement with the true labels
        # on the images whose label was changed: predicts the true label (refuses the random one)
        "overruled": float((pred[corrupted] == data.y_train.to(dev)[corrupted]).float().mean())
        if corrupted.any() else float("nan"),
        "test_acc": accuracy(model, x_test, data.y_test),
    }


def table(rows) -> pd.DataFrame:
    cols = ["beta", "noise", "kl", "train_acc", "train_true_acc", "overruled", "test_acc"]
    return pd.DataFrame([{c: r[c] for c in cols} for r in rows])


# %% [markdown]
# ## 1. Weight information grows with what must be memorised
#
# At a small β every labelling is fitted; what changes is how much information the weights must store.

# %%
# every run of sections 1-3 (each β of the sweep with real and random labels, and every label-noise
# fraction at the small and at the transition β), trained together as one stack; each is fetched below
noise_keys = [(cfg.beta_small, f) for f in cfg.noise_fractions]
sweep_keys = [(b, f) for b in cfg.betas for f in (0.0, 1.0)]
refuse_keys = [(cfg.beta_transition, f) for f in cfg.noise_fractions]
train(noise_keys + sweep_keys + refuse_keys)
noise_table = table(train(noise_keys))
noise_table.round(3)

# %% [markdown]
# ## 2. The phase transition in β
#
# The transition β of sections 1-3, β = {glue:text}`beta_t`, was picked on seed 0 by a rule on the
# training side only (the smallest β of the grid at which the real labels are fitted, training accuracy
# ≥ 0.9, and the random ones are not, ≤ 0.2) and is a fixed parameter (`beta_transition`) from then on:
# re-applying the rule on every seed would make claim 2 true by construction. The cell prints what the
# rule gives on the present seed, for comparison only.

# %%
sweep = table(train(sweep_keys))
sweep["labels"] = sweep["noise"].map({0.0: "real", 1.0: "100 % random"})
real = sweep[sweep.noise == 0.0].set_index("beta")
rand = sweep[sweep.noise == 1.0].set_index("beta")
beta_t, smallest = cfg.beta_transition, cfg.betas[0]
separating = [b for b in cfg.betas if real.train_acc[b] >= 0.9 and rand.train_acc[b] <= 0.2]
print("betas where real labels are fitted and random ones refused (training accuracies, this seed):", separating)
print("transition beta used below (fixed parameter, picked on seed 0):", beta_t)
sweep.drop(columns="overruled").round(3)

# %%
fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.4))
sns.lineplot(data=sweep, x="beta", y="train_acc", hue="labels", marker="o", ax=axes[0])
sns.lineplot(data=sweep[sweep.noise == 0.0], x="beta", y="test_acc", marker="s", ls="--", color="C0",
             label="real: test", ax=axes[0])
axes[0].axvline(beta_t, color="grey", ls=":", lw=1)
axes[0].set(xscale="log", xlabel="β", ylabel="accuracy", title="what is fitted")
handles, names = axes[0].get_legend_handles_labels()
axes[0].get_legend().remove()
sns.lineplot(data=sweep, x="beta", y="kl", hue="labels", marker="o", ax=axes[1], legend=False)
axes[1].set(xscale="log", yscale="log", xlabel="β", ylabel="KL (nats)", title="weight information (bound)")
fig.tight_layout(rect=(0, 0, 0.8, 1))
fig.legend(handles, names, loc="center right", fontsize="small")  # in the right margin, off the data
plots.glue_figure("fig-06-transition", fig)

# %% [markdown]
# ```{glue:figure} fig-06-transition
# :name: fig-06-transition
#
# Left: training accuracy on the labels each network was trained on (real or 100 % random) and test
# accuracy of the real-label networks, against β; the dotted line is the transition β (picked on seed 0
# from training accuracies). Right: the weights' KL to the prior $\mathcal{N}(0, \sigma_p^2)$,
# $\sigma_p$ = {glue:text}`prior_sigma`, in nats.
# ```
#
# ## 3. Refusing to memorise noisy labels

# %%
refuse = table(train(refuse_keys))
refuse.round(3)

# %%
fig, ax = plt.subplots(figsize=(6.4, 3.4))
for b, t in ((cfg.beta_small, noise_table), (beta_t, refuse)):
    ax.plot(100 * t["noise"], t["kl"], marker="o", label=f"β = {b:g}")
ax.set(xlabel="random labels (%)", ylabel=r"$\mathrm{KL}(q(w\mid\mathcal{D})\,\|\,p(w))$ (nats)", yscale="log")
ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
fig.tight_layout()
plots.glue_figure("fig-06-kl-noise", fig)

# %%
# Claim 1's statistic uses the fractions below 1, for the claim and its control alike: the fully random
# run at the transition beta is the one whose training accuracy picked that beta on seed 0.
below_one = [f for f in cfg.noise_fractions if f < 1]
part_small, part_t = noise_table[noise_table.noise < 1], refuse[refuse.noise < 1]
rho_small = float(spearmanr(part_small["noise"], part_small["kl"]).statistic)
rho_t = float(spearmanr(part_t["noise"], part_t["kl"]).statistic)
n = len(data.y_train)
extra_kl = runs[(cfg.beta_small, 1.0)]["kl"] - runs[(cfg.beta_small, 0.0)]["kl"]
label_nats = n * math.log(10)
learners = real[real.train_acc >= 0.9]
print(f"Spearman rank correlation of KL with the random fraction (fractions {below_one}): "
      f"{rho_small:.2f} at beta = {cfg.beta_small:g}, {rho_t:.2f} at beta = {beta_t:g}")

# %% [markdown]
# ```{glue:figure} fig-06-kl-noise
# :name: fig-06-kl-noise
#
# The weights' KL to the prior against the fraction of random training labels, at the small β where
# every labelling is fitted and at the transition β.
# ```
#
# At β = {glue:text}`beta_small` every labelling is fitted (training accuracy at least
# {glue:text}`min_train_small:.3f`; {numref}`fig-06-kl-noise`), and the weights' KL rises with the fraction
# of random labels: its rank correlation with the fraction, over the {glue:text}`n_fractions_rho` fractions
# below 1, is {glue:text}`rho_small:.2f` (1 is a strict rise). With real labels the weights hold
# {glue:text}`kl_real_small:,.0f` nats, with all labels random {glue:text}`kl_random_small:,.0f`. Read the
# difference, {glue:text}`extra_kl:,.0f` nats, with care: the KL is an *upper bound* on $I(w;\mathcal{D})$,
# not the information itself, and a single run's KL bounds $I(w;\mathcal{D})$ only in expectation over data
# sets. Given the images, the {glue:text}`n_train` random labels carry at most
# $N \ln 10$ = {glue:text}`label_nats:,.0f` nats; even if the weights stored every one of them in full, the
# other {glue:text}`slack_frac:.0%` of the extra KL would be what the bound charges beyond the labels
# (weights held more precisely than the labels need), not memorised label information.
# At the transition β = {glue:text}`beta_t` the KL *falls* as labels become random (rank correlation
# {glue:text}`rho_t:.2f` over the same fractions): there is less structure to store, and most of the noise
# is not stored instead, though not all of it is refused (section 3: {glue:text}`fitted_t:.0%` of the
# changed labels at 25 % are not overruled).
#
# In {numref}`fig-06-transition`, at the smallest β, {glue:text}`beta_smallest`, both labellings are
# fitted (training accuracy {glue:text}`real_train_smallest:.3f` real, {glue:text}`random_train_smallest:.3f`
# random); as β grows the random labels' training accuracy then drops, to {glue:text}`random_train_below:.3f`
# at β = {glue:text}`beta_below` (only part of them fitted) and {glue:text}`random_train_t:.3f` at the
# transition β = {glue:text}`beta_t` (chance is 0.1), where the real labels are still fitted
# ({glue:text}`real_train_t:.3f` training, {glue:text}`real_test_t:.3f` test accuracy): storing a random
# label costs more weight information than it saves in cross-entropy. This is the paper's figure
# {cite}`achille2018emergence` on 8×8 digits instead of CIFAR-10.
#
# At β = 1, the Bayesian ELBO, nothing is learned (training accuracy {glue:text}`real_train_1:.3f`; the
# weights stay near the prior, {glue:text}`kl_beta1:.0f` nats from it). We did not measure why; a
# plausible reading, a hypothesis: at β = 1 the Lagrangian trades one nat of KL for one nat of summed
# cross-entropy, fitting the labels can save at most $N \ln 10$ = {glue:text}`label_nats:,.0f` nats of
# cross-entropy, and the cheapest network of the sweep that fits the real labels holds
# {glue:text}`kl_cheapest:,.0f` nats (at β = {glue:text}`beta_cheapest`; not a lower bound on what a network
# trained at β = 1 would need). Mean-field Gaussian posteriors are also known to prune units and collapse
# to the prior when the KL is weighted in full, and wide ones to ignore the data
# {cite}`trippe2018overpruning,coker2022wide`; what we see agrees with that, without proving it.
#
# At the transition β with 25 % of the labels randomised, the network predicts the *true* label on
# {glue:text}`overruled_t:.3f` of the training images whose label was changed: it declines to memorise most
# of the random labels although it was only ever shown them. At β = {glue:text}`beta_small`, on the same
# labels, it predicts the true label on only {glue:text}`overruled_small:.3f` of them.
#
# ## 4. A PAC-Bayes certificate of the future
#
# For a prior $P$ fixed before the $N$ examples of a sample $S$ are seen, with probability $\ge 1-\delta$,
# simultaneously for every posterior $Q$ {cite}`langford2001bounds,dziugaite2017computing`,
#
# $$
# \mathrm{kl}\big(\hat e_S(Q) \,\|\, e(Q)\big) \le
#   \frac{\mathrm{KL}(Q\,\|\,P) + \ln(2\sqrt{N}/\delta)}{N},
# $$
#
# with $\hat e_S(Q)$ the error of the stochastic (Gibbs) classifier on $S$ and $e(Q)$ its expected error
# on a new example drawn like those of $S$; the largest $e$ allowed is the certificate. Here that means a
# new image drawn uniformly from the images the bound's sample was drawn from (scikit-learn's copy of the
# test part of the UCI digits, 13 writers by the dataset's description, split here by image, not by writer,
# less the prior's split), so the guarantee is for more digits drawn from those images, not for digits by
# new writers. The sweep above does not optimise the bound: its prior
# $\mathcal{N}(0, \sigma_p^2)$ is centred at zero and its KL is thousands of nats (e.g.
# {glue:text}`kl_real_small:,.0f` at β = {glue:text}`beta_small`) for $N$ = {glue:text}`n_train` examples,
# more than ten nats an example, while the bound is non-vacuous only when KL/N is well below one. Following
# Dziugaite & Roy {cite}`dziugaite2017computing` and Pérez-Ortiz et al. {cite}`perezortiz2021tighter`, we
#
# 1. **learn the prior on a separate split**: the first {glue:text}`n_prior` training images train a
#    network whose weights become the prior's means; the bound's sample $S$ is the other
#    {glue:text}`n_bound` images, which the prior never saw (the {glue:text}`n_test` test images stay for
#    testing);
# 2. **optimise the bound itself**: the posterior starts at the prior and minimises the quadratic
#    relaxation of the bound ($f_\text{quad}$, with the cross-entropy floored at $p_\min$ =
#    {glue:text}`p_min` and divided by $\ln(1/p_\min)$ as the bounded surrogate of the error), learning the
#    prior's scale σ_P too;
# 3. **pay for picking the prior's scale**: σ_P is snapped to a grid of $K$ = {glue:text}`grid_size`
#    scales from {glue:text}`grid_max` down to {glue:text}`grid_min`, and each grid point gets δ/K (a union
#    bound);
# 4. **pay for picking the recipe**: the recipe of this section (prior split, learning rates, epochs,
#    initial scales, the grid) was chosen in a seed-0 pilot that looked at certificates on this same
#    sample, so a further union bound charges $\ln C$ nats for $C$ = {glue:text}`bound_configs` recipes
#    (δ/(KC) each). The pilot's log was not kept, so $C$ is an estimate of the number of recipes looked
#    at, and this step is only as good as that estimate;
# 5. **bound the Monte-Carlo error**: $\hat e_S(Q)$ is estimated from {glue:text}`mc_samples` weight draws
#    per example, and replaced by its upper confidence bound $\mathrm{kl}^{-1}(\hat e, \ln(2/\delta')/m)$
#    over the $m$ draws {cite}`langford2002not`. Dziugaite & Roy draw $m$ whole networks and score each on
#    all of $S$; here, with the local reparameterisation trick, every (example, draw) pair gets its own
#    weights, so the $m$ = {glue:text}`mc_samples` × {glue:text}`n_bound` errors are independent Bernoulli
#    variables (with different means), which is all the Chernoff bound needs, and their average estimates
#    the same Gibbs error.
#
# With δ = {glue:text}`delta` and δ' = {glue:text}`delta_mc` the certificate holds with probability
# ≥ {glue:text}`confidence`. Two numbers to read it against: the **held-out bound of the prior** (its mean
# network, fixed before $S$ was seen, scored on $S$: the one-sided test-set bound
# $\mathrm{kl}^{-1}(\hat e, \ln(1/\delta)/N)$ {cite}`langford2005tutorial`, at the same total confidence),
# which is what the learned prior certifies without any PAC-Bayes step; and the **control**: the same
# certificate (same prior, sample, draws and union bounds) for the real-label posterior trained from that
# prior with the weight IB Lagrangian at the smallest β, {glue:text}`beta_smallest`, where the lecture
# predicts that a posterior storing much weight information is not certified. The same recipe with every
# training label random is a check of the code, not evidence: on random labels every classifier's error is
# 0.9, so any valid certificate is at least that, except with probability
# {glue:text}`failure_prob`.

# %%
DELTA, DELTA_MC, SIGMA_0 = cfg.bound_delta, cfg.bound_delta_mc, cfg.bound_sigma0  # confidences; initial scales
grid = prior_scale_grid(cfg.grid_max, cfg.grid_min, cfg.grid_k)
delta_each = DELTA / (len(grid) * cfg.bound_configs)  # the union bounds over prior scales and recipes
n_prior = int(cfg.prior_fraction * n)
x_prior, x_bound = x_train[:n_prior], x_train[n_prior:]
n_bound = len(x_bound)
# test labels of each task: the true ones, and for the random-label task fresh random labels (error 0.9)
y_test_random, _ = label_noise(data.y_test, 1.0, seed=cfg.seed + 10_000)


def learn_prior(labels: torch.Tensor) -> BayesMLP:
    """Train the means of a network on the prior split (plain cross-entropy, no weight noise)."""
    seed_everything(cfg.seed)
    net = BayesMLP().to(dev)
    y = labels[:n_prior].to(dev)
    opt = torch.optim.Adam([p for name, p in net.named_parameters() if "logsigma" not in name], lr=cfg.lr_mu)
    batches = epoch_batches(n_prior, cfg.batch_size, torch.Generator().manual_seed(cfg.seed))
    steps = cfg.prior_epochs * max(1, n_prior // cfg.batch_size)

    def step_loss(m, idx, step):
        ce = torch.nn.functional.cross_entropy(m(x_prior[idx], sample=False), y[idx])
        return {"loss": ce}

    fit(net, step_loss, batches, steps, optimizer=opt, log_every=steps, desc="prior")
    return net


def certify(prior_net: BayesMLP, labels: torch.Tensor, y_test: torch.Tensor, beta: float | None = None) -> dict:
    """Posterior from the prior, trained on the bound's sample with f_quad (``beta=None``) or with the
    weight IB Lagrangian CE + beta KL / N; returns its certificate and its Gibbs test error."""
    seed_everything(cfg.seed)
    y = labels[n_prior:].to(dev)
    model = BayesMLP(init_sigma=SIGMA_0).to(dev)
    with torch.no_grad():
        for mine, theirs in zip(model.layers, prior_net.layers):
            mine.weight_mu.copy_(theirs.weight_mu), mine.bias_mu.copy_(theirs.bias_mu)
    model.set_prior_to_means(prior_net)
    log_sigma_p = torch.nn.Parameter(torch.tensor(math.log(SIGMA_0), device=dev))
    opt = torch.optim.Adam(model.param_groups(cfg.bound_lr_mu, cfg.bound_lr_sigma)
                           + [{"params": [log_sigma_p], "lr": cfg.bound_lr_sigma}])
    batches = epoch_batches(n_bound, cfg.batch_size, torch.Generator().manual_seed(cfg.seed))
    steps = cfg.bound_epochs * max(1, n_bound // cfg.batch_size)

    def step_loss(m, idx, step):
        logits, kl = m(x_bound[idx]), m.kl(log_sigma_p.exp())
        if beta is None:
            loss = bounded_cross_entropy(logits, y[idx], cfg.p_min)
            return {"loss": quad_bound_objective(loss, kl, n_bound, delta_each), "surrogate": loss, "kl": kl}
        return weight_ib_loss(logits, y[idx], kl, beta, n_bound)

    fit(model, step_loss, batches, steps, optimizer=opt, log_every=steps,
        desc="f_quad" if beta is None else f"bound, beta={beta:g}")
    model.eval()
    sigma_p = snap_to_grid(float(log_sigma_p.detach().exp()), grid)
    with torch.no_grad():
        kl = float(model.kl(sigma_p))
    errors = gibbs_errors(model, x_bound, y, cfg.mc_samples)
    cert = certificate(float(errors.mean()), errors.numel(), kl, n_bound, DELTA, DELTA_MC, len(grid),
                       configs=cfg.bound_configs)
    test = float(gibbs_errors(model, x_test, y_test, 10).mean())
    return cert | {"sigma_p": sigma_p, "gibbs_test_error": test, "beta": beta}


certs, curve = {}, []
for name, fraction, y_test in (("real", 0.0, data.y_test), ("random", 1.0, y_test_random)):
    labels, _ = label_noise(data.y_train, fraction, seed=cfg.seed)
    prior_net = learn_prior(labels)
    prior_err_s = 1 - accuracy(prior_net, x_bound, labels[n_prior:].to(dev))  # fixed before S: a held-out test
    certs[name] = certify(prior_net, labels, y_test) | {
        "prior_test_error": 1 - accuracy(prior_net, x_test, y_test), "prior_error_S": prior_err_s,
        "prior_heldout_bound": test_set_bound(prior_err_s, n_bound, DELTA + DELTA_MC)}
    curve += [certify(prior_net, labels, y_test, beta=b) | {"labels": name} for b in cfg.betas]
curve = pd.DataFrame(curve)
control_cert = curve[(curve["labels"] == "real") & (curve["beta"] == smallest)].iloc[0]  # claim 4's control
ingredients = pd.DataFrame(certs).T
ingredients.loc[f"real, Lagrangian at β={smallest:g} (control)"] = control_cert
ingredients = ingredients[["n", "delta", "delta_mc", "grid_size", "configs", "sigma_p", "kl", "error_hat",
                           "error_upper", "complexity", "bound", "gibbs_test_error"]].astype(float)
ingredients.round(4)

# %% [markdown]
# The prior's own mean network, scored on the bound's sample it never saw, and on the test images:

# %%
pd.DataFrame(certs).T[["prior_error_S", "prior_heldout_bound", "prior_test_error"]].astype(float).round(4)

# %% [markdown]
# The certificate of the posteriors trained with the weight IB Lagrangian at each β, from the same prior
# (one posterior per β; no union bound over β, so these are illustrations, not one certificate):

# %%
curve[["labels", "beta", "sigma_p", "kl", "error_hat", "complexity", "bound", "gibbs_test_error"]].round(4)

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
for i, name in enumerate(("real", "random")):
    c = curve[curve["labels"] == name]
    axes[0].plot(c["beta"], c["bound"], marker="o", color=f"C{i}", label=f"{name}: weight IB Lagrangian at β")
    axes[0].axhline(certs[name]["bound"], color=f"C{i}", ls="--", lw=1, label=f"{name}: $f_{{quad}}$")
    axes[1].plot(c["beta"], c["kl"], marker="o", color=f"C{i}", label=name)
axes[0].axhline(certs["real"]["prior_heldout_bound"], color="C2", ls="-.", lw=1,
                label="real: held-out bound of the prior")
axes[0].axhline(0.9, color="grey", ls=":", lw=1, label="chance error (0.9)")
axes[0].set(xscale="log", xlabel="β", ylabel="test-error certificate", ylim=(0, 1.02),
            title="PAC-Bayes certificate")
axes[1].set(xscale="log", yscale="log", xlabel="β", ylabel=r"$\mathrm{KL}(Q\,\|\,P)$ (nats)",
            title="KL to the learned prior")
fig.tight_layout(rect=(0, 0, 0.7, 1))
fig.legend(*axes[0].get_legend_handles_labels(), loc="center right", fontsize="small")  # right margin
plots.glue_figure("fig-06-certificate", fig)

# %% [markdown]
# ```{glue:figure} fig-06-certificate
# :name: fig-06-certificate
#
# Left: the PAC-Bayes certificate of the test error (all five steps above) of posteriors trained from the
# learned prior with the weight IB Lagrangian at each β (markers), and with the bound's own objective
# $f_\text{quad}$ (dashed), for real and for random labels; the dash-dotted line is the held-out bound of
# the real-label prior, the dotted line chance. The six certificates along β are illustrations: the bound
# pays for no choice among them. Right: their KL to the prior, in nats.
# ```
#
# With real labels the certificate is {glue:text}`bound_real:.3f`: with probability
# ≥ {glue:text}`confidence` the stochastic network's error on a new image from the digits' pool is at most
# that; its measured test error is {glue:text}`test_real:.3f`. Its ingredients: a Gibbs error of
# {glue:text}`err_real:.3f` on the {glue:text}`n_bound` images of the bound's sample
# ({glue:text}`err_up_real:.3f` after the Monte-Carlo step), a KL of {glue:text}`kl_real:.2f` nats, and
# $\ln(2\sqrt{N}KC/\delta)$ = {glue:text}`log_term:.1f` nats for the confidence and the two union bounds.
#
# Most of the work is done by the prior, and this certificate says little about weight information. The
# prior's mean network, trained on the other split, already errs on only {glue:text}`prior_err_s:.3f` of
# the bound's sample and {glue:text}`prior_err_real:.3f` of the test images; scored on the bound's sample
# it never saw, a plain held-out bound certifies it at {glue:text}`prior_bound:.3f`, tighter than the
# PAC-Bayes certificate by {glue:text}`cert_minus_prior:.3f`. The optimised posterior moved only
# {glue:text}`kl_real:.2f` nats from its prior; what the PAC-Bayes step adds is that this posterior,
# trained on that very sample, is still certified, at the price of $\ln(2\sqrt{N})$ and the union bounds.
#
# The control is where the weight information shows: from the same prior and on the same sample, the
# posterior trained with the weight IB Lagrangian at β = {glue:text}`beta_smallest` stores
# {glue:text}`kl_control:,.0f` nats and its certificate is {glue:text}`bound_control:.3f`, although its
# Gibbs error on the sample is only {glue:text}`err_control:.3f`. The certificate cannot vouch for it, but
# it generalises: its Gibbs error on the test images is {glue:text}`test_control:.3f`, against
# {glue:text}`test_real:.3f` for the certified posterior. Along β the bound and the test error move in
# opposite directions: the rank correlation between a posterior's KL and its test error over the
# {glue:text}`n_curve` β values is {glue:text}`rho_kl_test:.2f` (reported claim 6, verdict
# **{glue:text}`verdict_6`**), where "less information in the weights, better generalisation" predicts a
# positive one. What falls with the KL here is the certificate, not the error. Along β ({numref}`fig-06-certificate`
# and the table above) the real-label certificate falls from that to {glue:text}`bound_beta1:.3f` at
# β = {glue:text}`beta_last`, where the posterior holds {glue:text}`kl_beta1_cert:.1f` nats: the Bayesian
# ELBO, which learned nothing from the prior centred at zero in section 2, is *certifiable* from a prior that
# already knows the task (its test error, {glue:text}`test_beta1_cert:.3f`, is the curve's worst).
# Reported claim 7 asks whether the PAC-Bayes step adds anything to the prior's own held-out bound: the
# certificate minus that bound is {glue:text}`cert_minus_prior:+.3f` (verdict **{glue:text}`verdict_7`**;
# the held-out bound is not charged for the recipes tried, which would loosen it a little).
#
# With random labels, on the same images and budget, the certificate is {glue:text}`bound_random:.3f`,
# vacuous as it must be: the Gibbs error on the sample is {glue:text}`err_random:.3f` and the KL only
# {glue:text}`kl_random:.2f` nats, so what makes it vacuous is the error, not the KL (the posterior, like
# its prior, did not fit the random labels of $S$); its error on fresh random test labels is
# {glue:text}`test_random:.3f`. Along β the random-label posteriors at small β fit part of their sample
# (their Gibbs error on it falls below chance, table above) and pay for it with thousands of nats of KL.
# A prior that sees no data (centred at the random initialisation, as in Dziugaite &
# Roy's own certificates) would have to pay in the KL for everything the network learns from
# $N$ = {glue:text}`n_bound` images; we do not measure that here, and learn the prior instead, as Pérez-Ortiz
# et al. do.
#
# ## 5. Little weight information, invariant representations (slide 12)
#
# For each real-label network of the sweep we read the last hidden layer of *test* digits and ask linear
# probes ({cite}`xu2020theory`, `ibcore.info.linear_probe_bits`, their L2 strength chosen per target by
# cross-validation on the fit split) how many bits it holds about the digit (the task) and about the noise
# level (the nuisance). The probe set is every test digit rendered at each of
# the four noise levels (fresh noise, {glue:text}`n_probe_all` images, so the level is balanced and
# independent of the digit); probes are fitted on the renderings of half of the test digits and scored on
# the other half. The input pixels are the baseline. The features are those of the posterior-mean network;
# the table also probes the features the stochastic network computes (one weight draw per image).

# %%
probe_set = data.at_every_level("test")
sources = probe_set["source"].unique()[: cfg.probe_sources]
keep = torch.isin(probe_set["source"], sources)
probe_set = {k: v[keep] for k, v in probe_set.items()}
fit_mask = torch.isin(probe_set["source"], sources[: len(sources) // 2])
targets = {"task": probe_set["y"], "noise level": probe_set["noise"]}


def probe_row(name: str, feats: torch.Tensor) -> dict:
    feats = feats.cpu()
    bits = linear_probe_bits(feats[fit_mask], {k: v[fit_mask] for k, v in targets.items()},
                             feats[~fit_mask], {k: v[~fit_mask] for k, v in targets.items()})
    return {"representation": name, "task bits": bits["task"], "noise level bits": bits["noise level"]}


probe_rows = [probe_row("input pixels", probe_set["x"]) | {"beta": np.nan, "kl": np.nan}]
for b in cfg.betas:
    run = runs[(b, 0.0)]
    seed_everything(cfg.seed)
    with torch.no_grad():
        run["model"].eval()
        feats = run["model"].hidden(probe_set["x"].to(dev))  # posterior-mean weights
        sampled = run["model"].hidden(probe_set["x"].to(dev), sample=True)  # one weight draw per image
    row = probe_row(f"last hidden, β={b:g}", feats) | {"beta": b, "kl": run["kl"]}
    drawn = probe_row("", sampled)
    row |= {"task bits (sampled w)": drawn["task bits"], "noise level bits (sampled w)": drawn["noise level bits"]}
    probe_rows.append(row)
probes = pd.DataFrame(probe_rows)
shown = probes.round(3)
bit_cols = [c for c in shown.columns if "bits" in c]
shown[bit_cols] += 0.0  # print 0.000, not -0.000
shown

# %%
fig, ax = plt.subplots(figsize=(6.4, 3.4))
p = probes.dropna(subset=["beta"])
ax.plot(p["beta"], p["task bits"], marker="o", label="task (digit)")
ax.plot(p["beta"], p["noise level bits"], marker="s", label="nuisance (noise level)")
ax.axhline(probes["noise level bits"].iloc[0], ls=":", color="C1", label="nuisance bits in the pixels")
ax.set(xscale="log", xlabel="β (more β: less weight information)", ylabel="bits (linear probe, held out)")
ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
fig.tight_layout()
plots.glue_figure("fig-06-probes", fig)

# %%
# the networks that still learn the task: real-label training accuracy >= 0.5 (chosen on the training side)
MARGIN_5 = 0.1  # bits: the margin of claim 5's verdict, fixed a priori
learning = p[[runs[(b, 0.0)]["train_acc"] >= 0.5 for b in p["beta"]]]
nuis_change = float(learning["noise level bits"].iloc[-1] - learning["noise level bits"].iloc[0])
task_change = float(learning["task bits"].iloc[-1] - learning["task bits"].iloc[0])
verdict_5 = verdict_by_margin(nuis_change, MARGIN_5, direction=-1)
nuis_change_sampled = float(learning["noise level bits (sampled w)"].iloc[-1]
                            - learning["noise level bits (sampled w)"].iloc[0])
print(f"over beta {learning.beta.iloc[0]:g}..{learning.beta.iloc[-1]:g}: noise-level bits change by "
      f"{nuis_change:+.3f}, task bits by {task_change:+.3f}; verdict: {verdict_5}; with sampled weights the "
      f"noise-level bits change by {nuis_change_sampled:+.3f}")

# %% [markdown]
# ```{glue:figure} fig-06-probes
# :name: fig-06-probes
#
# Bits about the digit and about the noise level that a linear probe reads from the last hidden layer of
# held-out digits, for the real-label networks of the β sweep; the dotted line is the noise-level bits of
# the input pixels.
# ```
#
# The pixels hold {glue:text}`nuis_input:.2f` bits about the noise level. Across the networks that learn
# the task (training accuracy at least 0.5: β from {glue:text}`beta_first` to
# {glue:text}`beta_last_learning`), the noise-level bits of the last hidden layer go from
# {glue:text}`nuis_first:.2f` to {glue:text}`nuis_last_learning:.2f`, while the task bits go from
# {glue:text}`task_first:.2f` to {glue:text}`task_last_learning:.2f`. Slide 12 predicts that less weight
# information (larger β) leaves *fewer* nuisance bits. The verdict of the reported claim below follows from
# the change in noise-level bits with a margin of {glue:text}`margin_5` bits, on this one seed; the
# confirmation seeds give its spread (no error bar is computed here). On seed 0 the verdict is
# **{glue:text}`verdict_5`**: the networks with less weight information keep *more* bits about the noise
# level in their last layer, and fewer about the digit, though every one of them keeps far fewer
# noise-level bits than the pixels. Read with sampled weights instead of the posterior means, the
# noise-level bits change by {glue:text}`nuis_change_sampled:+.2f` bits over the same networks (against
# {glue:text}`nuis_change:+.2f` for the means). At β = {glue:text}`beta_last` the weights hold almost nothing
# ({glue:text}`kl_last:.0f` nats) and the posterior-mean features carry almost nothing about the digit; the
# sampled features there still carry noise-level bits (table above), probably because the weight noise of
# the local reparameterisation scales with the squared input, which grows with the pixel noise. A negative
# entry is a probe that does worse than the marginal on held-out images (an estimate of zero bits, with
# its bias).

# %% tags=["hide-input"]
RHO_MIN, GAP_MIN, OVERRULED_MIN, CERT_MAX = 0.7, 0.5, 0.5, 0.5  # claim thresholds, fixed a priori
below_t = [b for b in cfg.betas if b < beta_t]
beta_below = below_t[-1] if below_t else smallest
# reported claims 6 and 7: along beta, does the test error fall with the KL; does PAC-Bayes beat the prior's
# own held-out bound (margins fixed a priori)
MARGIN_6, MARGIN_7 = 0.5, 0.01
curve_real_kl = curve[curve["labels"] == "real"]
rho_kl_test = float(spearmanr(curve_real_kl["kl"], curve_real_kl["gibbs_test_error"]).statistic)
verdict_6 = verdict_by_margin(rho_kl_test, MARGIN_6)
verdict_7 = verdict_by_margin(certs["real"]["bound"] - certs["real"]["prior_heldout_bound"], MARGIN_7, direction=-1)
glue_values({
    "prior_sigma": f"{cfg.prior_sigma:g}", "init_sigma": f"{INIT_SIGMA:g}",
    "beta_small": f"{cfg.beta_small:g}", "rho_small": rho_small, "rho_t": rho_t,
    "n_fractions_rho": len(below_one), "min_train_small": float(noise_table["train_acc"].min()),
    "kl_real_small": runs[(cfg.beta_small, 0.0)]["kl"], "kl_random_small": runs[(cfg.beta_small, 1.0)]["kl"],
    "extra_kl": extra_kl, "label_nats": label_nats, "slack_frac": 1 - label_nats / extra_kl,
    "beta_t": f"{beta_t:g}", "real_train_t": real.train_acc[beta_t], "real_test_t": real.test_acc[beta_t],
    "random_train_t": rand.train_acc[beta_t], "real_train_1": real.train_acc[cfg.betas[-1]],
    "beta_smallest": f"{smallest:g}", "real_train_smallest": real.train_acc[smallest],
    "random_train_smallest": rand.train_acc[smallest], "beta_below": f"{beta_below:g}",
    "random_train_below": rand.train_acc[beta_below], "fitted_t": 1 - runs[(beta_t, 0.25)]["overruled"],
    "kl_cheapest": learners.kl.min() if len(learners) else float("nan"),
    "beta_cheapest": f"{learners.kl.idxmin():g}" if len(learners) else "none",
    "kl_beta1": real.kl[cfg.betas[-1]],
    "overruled_t": runs[(beta_t, 0.25)]["overruled"], "overruled_small": runs[(cfg.beta_small, 0.25)]["overruled"],
    "n_train": n, "n_test": len(data.y_test), "n_prior": n_prior, "n_bound": n_bound, "grid_size": len(grid),
    "grid_max": f"{cfg.grid_max:g}", "grid_min": f"{cfg.grid_min:g}", "p_min": f"{cfg.p_min:g}",
    "bound_configs": cfg.bound_configs, "mc_samples": cfg.mc_samples,
    "delta": f"{DELTA:g}", "delta_mc": f"{DELTA_MC:g}", "confidence": f"{1 - DELTA - DELTA_MC:g}",
    "failure_prob": f"{DELTA + DELTA_MC:g}",
    "bound_real": certs["real"]["bound"], "bound_random": certs["random"]["bound"],
    "test_real": certs["real"]["gibbs_test_error"], "err_real": certs["real"]["error_hat"],
    "err_up_real": certs["real"]["error_upper"], "kl_real": certs["real"]["kl"],
    "kl_random": certs["random"]["kl"], "err_random": certs["random"]["error_hat"],
    "test_random": certs["random"]["gibbs_test_error"],
    "log_term": math.log(2 * math.sqrt(n_bound) * len(grid) * cfg.bound_configs / DELTA),
    "prior_err_real": certs["real"]["prior_test_error"], "prior_err_s": certs["real"]["prior_error_S"],
    "prior_bound": certs["real"]["prior_heldout_bound"],
    "cert_minus_prior": certs["real"]["bound"] - certs["real"]["prior_heldout_bound"],
    "kl_control": control_cert["kl"], "bound_control": control_cert["bound"], "err_control": control_cert["error_hat"],
    "test_control": control_cert["gibbs_test_error"], "rho_kl_test": rho_kl_test, "verdict_6": verdict_6,
    "n_curve": len(curve_real_kl), "verdict_7": verdict_7,
    "test_beta1_cert": float(curve[(curve["labels"] == "real") & (curve["beta"] == cfg.betas[-1])]["gibbs_test_error"].iloc[0]),
    "bound_beta1": float(curve[(curve["labels"] == "real") & (curve["beta"] == cfg.betas[-1])]["bound"].iloc[0]),
    "kl_beta1_cert": float(curve[(curve["labels"] == "real") & (curve["beta"] == cfg.betas[-1])]["kl"].iloc[0]),
    "n_probe_all": len(probe_set["x"]), "nuis_input": probes["noise level bits"].iloc[0],
    "beta_first": f"{learning.beta.iloc[0]:g}", "beta_last_learning": f"{learning.beta.iloc[-1]:g}",
    "nuis_first": learning["noise level bits"].iloc[0], "nuis_last_learning": learning["noise level bits"].iloc[-1],
    "task_first": learning["task bits"].iloc[0], "task_last_learning": learning["task bits"].iloc[-1],
    "beta_last": f"{cfg.betas[-1]:g}", "kl_last": runs[(cfg.betas[-1], 0.0)]["kl"],
    "margin_5": f"{MARGIN_5:g}", "verdict_5": verdict_5, "nuis_change": nuis_change,
    "nuis_change_sampled": nuis_change_sampled,
    "rho_min": f"{RHO_MIN:g}", "gap_min": f"{GAP_MIN:g}", "overruled_min": f"{OVERRULED_MIN:g}",
    "cert_max": f"{CERT_MAX:g}",
})
curve_real = curve[curve["labels"] == "real"].set_index("beta")
glue_values({"beta_curve_min": f"{curve_real['bound'].idxmin():g}", "bound_curve_min": curve_real["bound"].min(),
             "curve_real_falls": "yes" if curve_real["bound"].is_monotonic_decreasing else "no"}
            | {f"bound_real_{i}": curve_real["bound"].iloc[i] for i in range(len(curve_real))}
            | {f"kl_real_{i}": curve_real["kl"].iloc[i] for i in range(len(curve_real))})

# %% [markdown]
# ## Claim check
#
# Each asserted claim is one number against a threshold fixed before the confirmation seeds, with a
# control where the lecture predicts it fails: past the transition, over the same fractions (claim 1);
# the smallest β, where both labellings are memorised (claim 2); β = {glue:text}`beta_small`, where the
# noisy labels are memorised (claim 3); the posterior that stores thousands of nats, from the same prior
# and on the same sample (claim 4). Development choices made on seed 0: the recipe of sections 1-3 (from
# an earlier version of this chapter, including β = {glue:text}`beta_small` as the small β); the transition
# β = {glue:text}`beta_t`, picked by the training-accuracy rule of section 2 and fixed for every other
# seed; the certificate's recipe, from a pilot that looked at certificates on the bound's sample (paid for
# by the union bound over {glue:text}`bound_configs` recipes); the thresholds, set a priori:
# {glue:text}`rho_min` for a rank correlation over {glue:text}`n_fractions_rho` fractions (it tolerates one
# swap of neighbours, a correlation of 0.8, and no more), {glue:text}`gap_min` for the accuracy gap,
# {glue:text}`overruled_min` for the overruled fraction (most of them), {glue:text}`cert_max` for the
# certificate (the aim, well below chance).

# %% tags=["hide-input"]
gap = lambda b: real.train_acc[b] - rand.train_acc[b]  # noqa: E731
claims = Claims(chapter="06", scale=cfg.scale, seed=cfg.seed)
claims.add("1", slide="11", claim="the weights' KL rises with the fraction of random labels at a small beta "
           "(Spearman rank correlation over the fractions below 1)", value=rho_small, op=">", threshold=RHO_MIN,
           unit="Spearman rho",
           control=f"same statistic, same fractions, at the transition beta ({beta_t:g}), where noise is not stored",
           control_value=rho_t,
           chosen_on="threshold a priori; beta_small and the recipe from an earlier version of this chapter")
claims.add("2", slide="11", claim="at the transition beta, real labels are fitted and random ones refused: "
           "train accuracy real minus random", value=gap(beta_t), op=">", threshold=GAP_MIN, unit="accuracy",
           control=f"same gap at the smallest beta ({smallest:g}), where both are memorised",
           control_value=gap(smallest),
           chosen_on=f"transition beta = {beta_t:g} picked on seed 0 by a training-accuracy rule (real >= 0.9, "
                     "random <= 0.2), then fixed for every seed; threshold a priori")
claims.add("3", slide="11", claim="at the transition beta with 25 % random labels, the net predicts the true label "
           "on most training images whose label was changed", value=runs[(beta_t, 0.25)]["overruled"], op=">",
           threshold=OVERRULED_MIN, unit="fraction",
           control=f"same labels at beta = {cfg.beta_small:g}, where they are memorised",
           control_value=runs[(cfg.beta_small, 0.25)]["overruled"],
           chosen_on="transition beta fixed on seed 0; threshold a priori")
claims.add("4", slide="11-12", claim="the optimised PAC-Bayes certificate of the test error, from a prior learned "
           "on a separate split, is non-vacuous for real labels", value=certs["real"]["bound"], op="<", threshold=CERT_MAX, unit="error bound",
           control=f"same certificate, prior and sample for the posterior trained with the weight IB Lagrangian "
                   f"at the smallest beta ({smallest:g}), which stores thousands of nats",
           control_value=float(control_cert["bound"]),
           chosen_on=f"certificate recipe from a seed-0 pilot that looked at bounds on the same sample (union bound "
                     f"over {cfg.bound_configs} recipes); threshold a priori")
claims.report("5", slide="12", claim="noise-level bits of the last hidden layer fall as beta rises (networks "
              "that learn the task)", value=nuis_change, unit="bits", op="<", threshold=0.0,
              verdict=verdict_5,
              rule=f"change in noise-level bits from the smallest to the largest beta whose network reaches "
                   f"training accuracy 0.5: supports if below -{MARGIN_5:g} bits, contradicts if above "
                   f"+{MARGIN_5:g} bits, else inconclusive")
claims.report("6", slide="11-12", claim="along beta, the posteriors with less weight information (KL to the "
              "learned prior) have the lower test error", value=rho_kl_test, unit="Spearman rho (KL, test error)",
              op=">", threshold=0.0, verdict=verdict_6,
              rule=f"rank correlation over the {len(curve_real_kl)} real-label posteriors of the certificate curve: "
                   f"supports if above {MARGIN_6:g}, contradicts if below -{MARGIN_6:g}, else inconclusive")
claims.report("7", slide="11-12", claim="the PAC-Bayes certificate is tighter than the plain held-out bound of "
              "the prior it starts from", value=certs["real"]["bound"] - certs["real"]["prior_heldout_bound"],
              unit="certificate minus held-out bound", op="<", threshold=0.0, verdict=verdict_7,
              rule=f"supports if below -{MARGIN_7:g}, contradicts if above +{MARGIN_7:g}, else inconclusive")
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
# ```{confirmation-seeds} 06
# ```
