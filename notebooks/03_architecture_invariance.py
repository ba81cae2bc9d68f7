# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3. Does the architecture alone enforce invariance?
#
# **Claim (slide 7).** A representation $z$ of $x$ is better the more *minimal* it is while staying
# *sufficient* for the task $y$: a minimal sufficient representation keeps $I(z;y) = I(x;y)$ and drops
# the nuisance information $I(z;n)$ {cite}`achille2018emergence`. The slide says the standard architecture
# already promotes this: reducing dimension (pooling) or adding noise (dropout) increases minimality and
# invariance, and stacking layers makes the representation increasingly minimal: only nuisance
# information is dropped.
#
# We train small convolutional classifiers on **cluttered digits** (procedural, from scikit-learn's
# bundled 8×8 digits) and measure, block by block, how many bits about the digit and about each nuisance
# a probe can read from the representation. That is *usable* information {cite}`xu2020theory`: the
# information a given family of decoders can extract. A probe gives a lower bound: it can show that
# information is there, not that it is gone. So every "drops" below is measured with two probe families,
# linear and a one-hidden-layer MLP, and the **larger** estimate is the one compared with the threshold.
# What the architecture does is told apart from what training does by the same networks **untrained**
# (random weights, batch-norm statistics from the data), the baseline of Saxe et al. (2011) on random weights.
#
# **In this chapter** you will see:
#
# - bits about the task and four nuisances at every block of three architectures, trained and untrained,
#   against the pixels and the targets' entropies;
# - that depth drops the noise level while keeping the task in the trained network, and what the untrained
#   network already does;
# - whether global pooling drops the digit's position, against the same probe on the unpooled block;
# - how much task information the plain network keeps against the best network;
# - what max-pooling and dropout (probed with its noise) change, with the verdicts the numbers give.
#
# Source of this chapter: {download}`03_architecture_invariance.py <03_architecture_invariance.py>` (jupytext),
# with its outputs in {download}`03_architecture_invariance.ipynb <03_architecture_invariance.ipynb>`.

# %% tags=["parameters"]
seed = 0  # first seed; the chapter trains seeds seed, seed+1, ...
scale = "book"  # "smoke" (seconds), "book" (the committed outputs), "paper" (longer training)
device = "auto"  # "auto", "cpu", "cuda"
n_seeds = 1  # trained seeds per architecture (the untrained controls use the first seed only); book: 1 (time)
dropout = 0.2  # drop probability of the dropout network

# %% tags=["hide-input"]
from ibcore import params

cfg = params.resolve("03", scale=scale, seed=seed, device=device,
                     n_seeds=params.check_int("n_seeds", n_seeds, minimum=1, maximum=10),
                     dropout=params.check_range("dropout", dropout, 0.0, 0.9, low_open=True))
cfg

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from ibcore import plots
from ibcore.claims import Claims, glue_values, verdict_by_margin
from ibcore.data import CLUTTER_NUISANCES, ClutteredDigits
from ibcore.info.probes import PROBE_C_GRID, PROBE_FOLDS, block_representations, probe_blocks
from ibcore.info.selectivity import nuisance_bits, selectivity
from ibcore.models import ConvNet, ConvNetConfig
from ibcore.runtime import seed_everything
from ibcore.fixed_noise import sampled_accuracy
from ibcore.train import accuracy, reestimate_batchnorm, train_classifier

plots.set_theme()
data = ClutteredDigits(n_train=cfg.n_train, n_probe=cfg.n_probe, n_test=cfg.n_test, canvas=cfg.canvas, seed=cfg.seed)
TARGETS = ["task"] + list(CLUTTER_NUISANCES)

# %% [markdown]
# ## The data
#
# Every {glue:text}`canvas`×{glue:text}`canvas` image holds the task digit (16×16), a half-bright whole
# distractor digit, small fragments of other digits, and pixel noise. Each image records its nuisances: the
# digit's position (a 3×3 grid), the noise level (4), the amount of clutter (4) and the distractor's class
# (10). Train, probe and test images come from disjoint sets of source digits.

# %%
nuis = data.nuisances_train
titles = [f"y={int(data.y_train[i])} pos={int(nuis['position'][i])}\nnoise={int(nuis['noise'][i])} "
          f"clut={int(nuis['clutter'][i])} d={int(nuis['distractor'][i])}" for i in range(10)]
plots.glue_figure("fig-03-samples", plots.image_grid(data.x_train[:10], nrow=2, titles=titles))

# %% [markdown]
# ```{glue:figure} fig-03-samples
# :name: fig-03-samples
#
# Ten training images with their label y and nuisances: position cell (0-8), noise level (0-3), clutter
# level (0-3) and the distractor's class d.
# ```
#
# ## Three architectures, trained and untrained
#
# The same four blocks (16-32-32-64 channels, 3×3 convolutions, batch norm, ReLU), halving the
# resolution either with a stride-2 convolution (**plain**), with a 2×2 max-pooling (**max-pool**), or
# plain with dropout after every block (**dropout**); a global average pooling and a linear layer
# classify. Same data, budget and optimiser (Adam, one-cycle schedule) for all. Each architecture is also
# probed **untrained**: its random initialisation (first seed), with batch norm's statistics computed from
# the training images (`ibcore.train.reestimate_batchnorm`), since the initial (0, 1) would describe no data.
#
# The dropout network is probed **with its noise** (`sample=True`, one draw per image): the slide says
# adding noise increases minimality, and the noisy representation is the one the noise acts on.

# %%
ARCHS = {
    "plain": ConvNetConfig(downsample="stride", canvas=cfg.canvas),
    "max-pool": ConvNetConfig(downsample="maxpool", canvas=cfg.canvas),
    "dropout": ConvNetConfig(downsample="stride", dropout=cfg.dropout, canvas=cfg.canvas),
}
depth = len(ARCHS["plain"].channels)
LAYERS = [f"block {i + 1}" for i in range(depth)] + ["global pool"]
last = f"block {depth}"
x_probe, x_test = data.x_probe.to(cfg.device), data.x_test.to(cfg.device)
targets_probe = {"task": data.y_probe, **{k: data.nuisances_probe[k] for k in CLUTTER_NUISANCES}}
targets_test = {"task": data.y_test, **{k: data.nuisances_test[k] for k in CLUTTER_NUISANCES}}


def representations(model, name: str):
    """Probe- and test-split representations of every block (the dropout net with its noise drawn)."""
    torch.manual_seed(cfg.seed)  # the same noise draws for every run
    sample = True if ARCHS[name].dropout > 0 else None
    return block_representations(model, x_probe, sample=sample), block_representations(model, x_test, sample=sample)


# the probes of the "drops" claims: (layer, target) read by the MLP probe too, on the first seed
MLP_READS = {"block 1": ["noise", "task"], last: ["noise", "position", "task"], "global pool": ["position"]}


def probe_model(model, name: str, s: int, trained: bool, mlp: dict[str, list[str]] | None = None) -> list[dict]:
    reps_p, reps_t = representations(model, name)
    info = dict(arch=name, seed=s, trained=trained)
    rows = probe_blocks(reps_p, targets_probe, reps_t, targets_test, LAYERS, interval=True, **info)
    for layer, targets in (mlp or {}).items():
        i = LAYERS.index(layer)
        rows += probe_blocks([reps_p[i]], {t: targets_probe[t] for t in targets}, [reps_t[i]],
                             {t: targets_test[t] for t in targets}, [layer], kind="mlp", **info)
    for r in rows:
        r["depth"] = LAYERS.index(r["layer"])
    return rows


pooled_input = lambda x: torch.nn.functional.adaptive_avg_pool2d(x, 8).flatten(1).cpu()  # noqa: E731
rows = probe_blocks([pooled_input(x_probe)], targets_probe, [pooled_input(x_test)], targets_test, ["input"],
                    arch="input", seed=-1, trained=False)
acc_rows = []
for name, arch in ARCHS.items():
    seed_everything(cfg.seed)
    untrained = reestimate_batchnorm(ConvNet(arch).to(cfg.device), data.x_train[:5000].to(cfg.device))
    acc_rows.append({"arch": name, "seed": cfg.seed, "trained": False, "test_acc": accuracy(untrained, x_test, data.y_test)})
    rows += probe_model(untrained, name, cfg.seed, False, MLP_READS if name == "plain" else None)
    for s in range(cfg.seed, cfg.seed + cfg.n_seeds):
        model, _ = train_classifier(arch, data.x_train, data.y_train, epochs=cfg.epochs, batch_size=cfg.batch_size,
                                    lr=cfg.lr, seed=s, device=cfg.device, desc=f"{name} seed {s}")
        torch.manual_seed(cfg.seed)
        acc_rows.append({"arch": name, "seed": s, "trained": True, "test_acc": accuracy(model, x_test, data.y_test),
                         "test_acc_noisy": sampled_accuracy(model, x_test, data.y_test)})  # dropout's noise drawn
        reads = (MLP_READS if name == "plain" else {last: ["noise"]}) if s == cfg.seed else None
        rows += probe_model(model, name, s, True, reads)
bits = pd.DataFrame(rows)
accs = pd.DataFrame(acc_rows)
accs.groupby(["arch", "trained"])["test_acc"].agg(["mean", "std", "count"]).round(3)

# %% [markdown]
# ## Bits about the task and the nuisances, block by block
#
# Probes are fitted on the probe split and scored on the test split (held-out bits, $H(\text{target})$ minus
# the probe's cross-entropy). The linear probe (`ibcore.info.probes.linear_probe`) chooses its L2 strength
# per target by {glue:text}`folds`-fold cross-validation **on the probe split** among
# C ∈ {glue:text}`c_grid`; the test split is never used to choose anything. Block activations are
# average-pooled to at most 4×4 positions first (`ibcore.info.probes.block_representations`).

# %%
order = ["input"] + LAYERS
lin = bits[bits.probe == "linear"]
summary = lin.groupby(["arch", "trained", "layer", "target"])["bits"].agg(["mean", "std"]).reset_index()
# error bars: the first seed's 90 % bootstrap interval over the test split
first = lin[lin.seed.isin([cfg.seed, -1])].set_index(["arch", "trained", "layer", "target"])[["bits_lo", "bits_hi"]]
summary = summary.join(first, on=["arch", "trained", "layer", "target"])
summary["layer"] = pd.Categorical(summary["layer"], order, ordered=True)
summary = summary.sort_values(["arch", "trained", "target", "layer"])
h_bits = lin[lin.arch == "input"].set_index("target")["h_bits"]
fig, axes = plt.subplots(1, len(TARGETS), figsize=(15, 3.4), sharex=True)
for ax, target in zip(axes, TARGETS):
    for i, name in enumerate(ARCHS):
        for trained, ls, marker in ((True, "-", "o"), (False, "--", "x")):
            s = summary[(summary.arch == name) & (summary.trained == trained) & (summary.target == target)]
            yerr = np.stack([(s["mean"] - s["bits_lo"]).clip(lower=0), (s["bits_hi"] - s["mean"]).clip(lower=0)])
            ax.errorbar(np.arange(1, len(s) + 1), s["mean"], yerr=yerr, marker=marker, ls=ls,
                        capsize=2, color=f"C{i}", label=f"{name}, {'trained' if trained else 'untrained'}")
    ax.axhline(float(lin[(lin.arch == "input") & (lin.target == target)]["bits"].iloc[0]), color="grey", ls=":",
               lw=1, label="input pixels")
    ax.axhline(float(h_bits[target]), color="k", lw=0.8, label="H(target)")
    ax.set_title(target)
    ax.set_xticks(range(1, len(LAYERS) + 1), [lab.replace("block ", "b").replace("global pool", "pool") for lab in LAYERS])
axes[0].set_ylabel("held-out bits (linear probe)")
axes[-1].legend(fontsize="x-small", loc="center left", bbox_to_anchor=(1.02, 0.5))
fig.tight_layout()
plots.glue_figure("fig-03-bits-by-block", fig)

# %% [markdown]
# ```{glue:figure} fig-03-bits-by-block
# :name: fig-03-bits-by-block
#
# Held-out bits of the linear probe about the task and each nuisance at every block (b1-b4) and after the
# global average pooling, for the three architectures trained (solid; the mean over seeds when there are several)
# and untrained (dashed, first seed); bars: the first seed's 90 % bootstrap interval over the test split, with
# the probe fixed (no seed or probe-fit variance). Dotted: a linear probe on the input pixels pooled to 8×8, a
# baseline and not a bound (blocks can exceed it); black: the target's entropy, the most any representation can
# hold.
# ```

# %%
table = summary.pivot_table(index=["arch", "trained", "layer"], columns="target", values="mean", observed=True)[TARGETS]
table.round(2)

# %% tags=["hide-input"]
def lin_bits(arch: str, layer: str, target: str, trained: bool = True, first_seed: bool = False) -> float:
    d = lin[(lin.arch == arch) & (lin.layer == layer) & (lin.target == target) & (lin.trained == trained)]
    if first_seed:
        d = d[d.seed == cfg.seed]
    return float(d["bits"].mean())


def best_bits(arch: str, layer: str, target: str, trained: bool = True) -> float:
    """The larger of the linear probe (mean over seeds) and the MLP probe (first seed): a lower bound on
    what is left, as large as our probes make it."""
    mlp = bits[(bits.probe == "mlp") & (bits.arch == arch) & (bits.layer == layer) & (bits.target == target)
               & (bits.trained == trained)]["bits"]
    return max(lin_bits(arch, layer, target, trained), float(mlp.mean()) if len(mlp) else -np.inf)


m = {}
for trained, tag in ((True, ""), (False, "_untrained")):
    m[f"noise_b1{tag}"] = best_bits("plain", "block 1", "noise", trained)
    m[f"noise_last{tag}"] = best_bits("plain", last, "noise", trained)
    m[f"task_b1{tag}"] = best_bits("plain", "block 1", "task", trained)  # the same estimator as the noise's
    m[f"task_last{tag}"] = best_bits("plain", last, "task", trained)
    m[f"pos_last{tag}"] = best_bits("plain", last, "position", trained)
    m[f"pos_global{tag}"] = best_bits("plain", "global pool", "position", trained)
    m[f"noise_ratio{tag}"] = m[f"noise_last{tag}"] / m[f"noise_b1{tag}"]
    # the task's block-1 bits floored at 0.05 bits, so that a near-zero (or negative) estimate cannot flip the ratio
    m[f"task_ratio{tag}"] = m[f"task_last{tag}"] / max(m[f"task_b1{tag}"], 0.05)
for name in ARCHS:
    for target in ("position", "noise", "task", "distractor"):
        m[f"{target}_{name}"] = lin_bits(name, last, target)
    m[f"noise_best_{name}"] = best_bits(name, last, "noise")
    m[f"acc_{name}"] = float(accs[(accs.arch == name) & accs.trained]["test_acc"].mean())
    m[f"acc_{name}_noisy"] = float(accs[(accs.arch == name) & accs.trained]["test_acc_noisy"].mean())
    m[f"acc_{name}_untrained"] = float(accs[(accs.arch == name) & ~accs.trained]["test_acc"].mean())
m["task_input"] = float(lin[(lin.arch == "input") & (lin.target == "task")]["bits"].iloc[0])
m["h_task"] = float(h_bits["task"])
best_arch = max(ARCHS, key=lambda a: m[f"task_{a}"])
m["task_best"] = m[f"task_{best_arch}"]
m["task_loss"] = m["task_best"] - m["task_plain"]
m["task_loss_untrained"] = m["task_best"] - m["task_last_untrained"]
m["verdict_sufficiency"] = "supports" if m["task_loss"] <= 0.1 else "contradicts" if m["task_loss"] > 0.3 else "inconclusive"
m["maxpool_minus_plain"] = m["noise_best_max-pool"] - m["noise_best_plain"]
m["dropout_minus_plain"] = m["noise_best_dropout"] - m["noise_best_plain"]
m["dropout_task_minus_plain"] = m["task_dropout"] - m["task_plain"]
NUISANCE_SUM = ["noise", "clutter", "distractor"]  # position is the pooling claim's
# each architecture's last block, linear probe (the same estimator for all), against the plain net's:
# share of nuisance bits lost minus share of task bits lost (`ibcore.info.selectivity`)
last_bits = {name: {t: lin_bits(name, last, t) for t in ["task"] + NUISANCE_SUM} for name in ARCHS}
for name in ARCHS:
    m[f"nuis_{name}"] = nuisance_bits(last_bits[name], NUISANCE_SUM)
for name in ("max-pool", "dropout"):
    m[f"selectivity_{name}"] = selectivity(last_bits[name], last_bits["plain"], NUISANCE_SUM)
m["pool_margin"] = 0.1
m["verdict_pool"] = verdict_by_margin(m["pos_global"] - 0.3, m["pool_margin"], direction=-1)
m["verdict_maxpool"] = verdict_by_margin(m["selectivity_max-pool"], 0.1)
m["verdict_dropout"] = verdict_by_margin(m["selectivity_dropout"], 0.1)
chosen_c = lin[lin.trained & (lin.arch == "plain") & (lin.seed == cfg.seed)].set_index(["layer", "target"])["c"]
glue_values(m | {"n_seeds": cfg.n_seeds, "epochs": cfg.epochs, "dropout_p": cfg.dropout, "canvas": cfg.canvas, "best_arch": best_arch,
                 "folds": PROBE_FOLDS, "c_grid": "{" + ", ".join(f"{c:g}" for c in PROBE_C_GRID) + "}",
                 "c_noise_last": f"{chosen_c[(last, 'noise')]:g}", "c_task_last": f"{chosen_c[(last, 'task')]:g}"})

# %% [markdown]
# **Depth.** In the trained plain network the probes read {glue:text}`noise_b1:.2f` bits about the noise
# level at block 1 and {glue:text}`noise_last:.2f` bits at the last block (the larger of the linear and MLP
# estimates), a ratio of {glue:text}`noise_ratio:.2f`, while the task bits go from {glue:text}`task_b1:.2f`
# to {glue:text}`task_last:.2f`: depth drops the nuisance and keeps (here: makes readable) the task. The
# **untrained** plain network goes from {glue:text}`noise_b1_untrained:.2f` to
# {glue:text}`noise_last_untrained:.2f` bits of noise level (ratio {glue:text}`noise_ratio_untrained:.2f`),
# and at its last block the probes read {glue:text}`task_last_untrained:.2f` bits about the digit (a negative
# estimate: the probe does worse on held-out images than the label frequencies alone, i.e. nothing readable): what the trained
# network drops and keeps beyond that is the work of training, not of the architecture alone.
#
# **Pooling.** The trained last block still holds {glue:text}`pos_last:.2f` bits about where the digit is,
# in the 3×3 layout of its feature map; after the global average pooling, {glue:text}`pos_global:.2f` bits
# (untrained: {glue:text}`pos_last_untrained:.2f` and {glue:text}`pos_global_untrained:.2f`). The pooling
# removes most of what the spatial layout told, but "removes position" asks for what is *left*: against the 0.3 bits
# fixed before the run, {glue:text}`pos_global:.2f` bits gets the verdict **{glue:text}`verdict_pool`** (rule:
# `supports` below 0.2 bits, `contradicts` above 0.4, else `inconclusive`). This was an asserted claim; it
# failed on the development seed at book scale, after the canvas had already been changed once for it (below),
# so it is reported, not tuned again.
#
# One caution learnt the hard way, and a development choice made on seed 0. Four stride-2 stages sample the
# image every 16 pixels, and a shift by less than that changes *which* pixels are sampled: the features are
# not shift-invariant (aliasing, {cite}`zhang2019making`). On a 32-pixel canvas the digit's offsets (0 to
# 16) span a single such period, so the sampling phase alone told where the digit was and position bits
# survived the global pooling in a seed-0 pilot. The canvas was then changed to {glue:text}`canvas` pixels,
# where the offsets span two periods. Two hypotheses, not tested here, for the bits that still survive: the
# sampling phase still narrows each axis (offsets 0 to 32 fall into three position cells, and an offset modulo
# 16 is compatible with only some of them), and the zero padding makes the features near the canvas edge differ.
#
# **Sufficiency.** The plain network's last block holds {glue:text}`task_plain:.2f` bits about the digit,
# the best network ({glue:text}`best_arch`) {glue:text}`task_best:.2f` (test accuracy
# {glue:text}`acc_plain:.3f` vs {glue:text}`acc_max-pool:.3f` for max-pooling): the plain network loses
# {glue:text}`task_loss:.2f` bits of task information that another network with as many blocks and channels keeps. The input
# pixels, pooled to 8×8, give a linear probe only {glue:text}`task_input:.2f` bits, so they are no ceiling
# here. Verdict (reported, rule in the table): **{glue:text}`verdict_sufficiency`**.
#
# **Max-pooling vs strided convolution** (the slide's "pooling increases invariance"): at the last block,
# noise level {glue:text}`noise_best_max-pool:.2f` bits with max-pooling vs {glue:text}`noise_best_plain:.2f`
# with strides, position {glue:text}`position_max-pool:.2f` vs {glue:text}`position_plain:.2f`, the three
# nuisances together {glue:text}`nuis_max-pool:.2f` vs {glue:text}`nuis_plain:.2f`, task
# {glue:text}`task_max-pool:.2f` vs {glue:text}`task_plain:.2f`. Both halve the
# resolution four times and end with the same 3×3 map; max-pooling keeps the strongest response in each
# window, a local invariance to shifts of a pixel or two, not to the nuisances measured here.
#
# **Dropout** (p = {glue:text}`dropout_p`, probed with its noise): at the last block, noise level
# {glue:text}`noise_best_dropout:.2f` bits vs {glue:text}`noise_best_plain:.2f` without, task
# {glue:text}`task_dropout:.2f` vs {glue:text}`task_plain:.2f`; test accuracy {glue:text}`acc_dropout:.3f`
# without its noise and {glue:text}`acc_dropout_noisy:.3f` with it, against {glue:text}`acc_plain:.3f`: at the
# shared budget of {glue:text}`epochs` epochs the dropout network is under-trained. Fewer nuisance bits are only
# half of "more minimal": the slide says noise drops nuisance information *and keeps* the task's. So both
# comparisons are scored by one statistic, against the plain network's last block: the share of its nuisance
# bits (noise level, clutter and distractor, each clipped at zero) that the other architecture loses, minus the
# share of its task bits that it loses (the same linear probe for all). Max-pooling: {glue:text}`selectivity_max-pool:.2f`;
# dropout: {glue:text}`selectivity_dropout:.2f`. Chapter 4 asks the same question of learned noise, against
# fixed noise of the same size.
#
# Against the slide's "pooling and dropout increase invariance" (while keeping the task), the numbers give:
# max-pooling **{glue:text}`verdict_maxpool`**, dropout **{glue:text}`verdict_dropout`** (rule: `supports` if
# the share lost of the nuisances exceeds that of the task by more than 0.1, `contradicts` if it falls short by
# more than 0.1, else `inconclusive`). This statistic replaced the difference in noise-level bits after a review
# of the development run: that difference said `contradicts` for max-pooling and `supports` for dropout on seed
# 0, while dropout lost {glue:text}`dropout_task_minus_plain:.2f` task bits.
#
# **Development choices (seed 0).** `n_train` (20,000 renderings: with 6,000 the strided network memorised)
# was chosen on seed 0's test accuracy; the canvas as above; the thresholds (half the bits for "drops", 0.3 bits
# for "removed") were set before these probes were rerun with cross-validated strengths; the reported rules'
# margins (0.1 bits for sufficiency and pooling, 0.1 for the selectivity shares) after seeing seed 0. The probes' L2 strength is chosen per target on the probe split (e.g. C =
# {glue:text}`c_noise_last` for the noise level and {glue:text}`c_task_last` for the task at the trained plain
# network's last block, first seed). The MLP probe (one hidden layer, its weight decay fixed, not
# cross-validated) runs on the first seed's networks only (time); it can only raise an estimate, never lower it.
# The book trains n_seeds = {glue:text}`n_seeds` per architecture (time: three seeds took 18 minutes on 2 cores
# against the chapter's 8, measured in the development run); the spread over seeds comes from the confirmation seeds below, the spread within a run from the
# bootstrap intervals in the figure.

# %% [markdown]
# ## Claim check
#
# Asserted claims hold only if their control does not. Reported claims get a verdict from the rule in their
# row: for pooling and the architecture comparisons, the rules above; sufficiency (claim 3) `supports` if the
# plain network loses at most 0.1 task bits against the best, `contradicts` above 0.3, else `inconclusive`;
# architecture alone (claim 6) `supports` if the untrained network's noise ratio is at most 0.5, `contradicts` at
# 0.9 or more, else `inconclusive` (it is {glue:text}`noise_ratio_untrained:.2f`).

# %% tags=["hide-input"]
claims = Claims(chapter="03", scale=cfg.scale, seed=cfg.seed)
claims.add("1", slide="7", claim="depth drops the noise level: trained plain net, last-block noise bits / block-1 "
           "noise bits (larger of linear and MLP probe)", value=m["noise_ratio"], op="<=", threshold=0.5,
           unit="ratio", control="same ratio, same probes, for the task digit (block-1 bits floored at 0.05): the "
           "slide says the task is kept",
           control_value=m["task_ratio"], chosen_on="threshold 0.5 fixed before the cross-validated probes")
claims.report("2", slide="7", claim="global pooling removes position: trained plain net, position bits after the "
              "global pool (larger of linear and MLP probe)", value=m["pos_global"], op="<=", threshold=0.3,
              unit="bits", rule="supports if < 0.2 bits, contradicts if > 0.4, else inconclusive (0.3 +- 0.1)",
              verdict=m["verdict_pool"], control="same probes on the unpooled last block", control_value=m["pos_last"],
              chosen_on="canvas 48 px chosen on seed 0 (aliasing at 32 px); asserted with threshold 0.3 before the "
                        "run, it failed on seed 0 and is reported; the +-0.1 band was set after seeing seed 0")
claims.report("3", slide="7", claim="sufficiency: task bits the plain net's last block loses against the best "
              "network's last block", value=m["task_loss"], unit="bits", op="<=", threshold=0.1,
              rule="supports if <= 0.1 bits, contradicts if > 0.3 bits, else inconclusive",
              verdict=m["verdict_sufficiency"],
              control="untrained plain net's last block", control_value=m["task_loss_untrained"])
claims.report("4", slide="7", claim="max-pooling vs strided conv: against the plain net's last block, share of "
              "nuisance bits lost minus share of task bits lost", value=m["selectivity_max-pool"], unit="share",
              op=">", threshold=0.0, rule="supports if > 0.1, contradicts if < -0.1, else inconclusive",
              verdict=m["verdict_maxpool"],
              chosen_on="the statistic (nuisance sum and task share, replacing the noise level's difference) after a "
                        "review of seed 0")
claims.report("5", slide="7", claim="dropout (probed with its noise) vs none: against the plain net's last block, "
              "share of nuisance bits lost minus share of task bits lost", value=m["selectivity_dropout"],
              unit="share", op=">", threshold=0.0, rule="supports if > 0.1, contradicts if < -0.1, else inconclusive",
              verdict=m["verdict_dropout"],
              chosen_on="the statistic (nuisance sum and task share, replacing the noise level's difference) after a "
                        "review of seed 0")
claims.report("6", slide="7", claim="architecture alone: untrained plain net, last-block noise bits / block-1 "
              "noise bits", value=m["noise_ratio_untrained"], unit="ratio", op="<=", threshold=0.5,
              rule="supports if <= 0.5, contradicts if >= 0.9, else inconclusive",
              verdict="supports" if m["noise_ratio_untrained"] <= 0.5 else
              "contradicts" if m["noise_ratio_untrained"] >= 0.9 else "inconclusive",
              control="trained plain net", control_value=m["noise_ratio"])
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
# ```{confirmation-seeds} 03
# ```
