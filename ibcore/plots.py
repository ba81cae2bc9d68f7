"""Figure helpers shared by the chapters, on one seaborn theme."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch

__all__ = ["set_theme", "glue_figure", "factor_sweep", "decomposition_vs_beta", "tc_vs_n", "rate_distortion", "image_grid", "latent_traversals",
           "kl_per_latent", "mi_matrices", "scene_decompositions", "slot_traversals", "scores_by_count"]


def set_theme() -> None:
    """The book's one figure theme (every chapter's set-up cell calls it)."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind",
                  rc={"figure.dpi": 100, "savefig.dpi": 100, "figure.figsize": (6.4, 3.6)})


def glue_figure(name: str, fig: plt.Figure) -> None:
    """Glue ``fig`` under ``name`` for a numbered ``{glue:figure}`` with a caption, without showing it
    here, and close it (so the notebook shows the figure once, where the caption is).

    In a markdown cell after the code cell::

        ```{glue:figure} fig-01-decomposition
        :name: fig-01-decomposition

        What the figure shows.
        ```

    and refer to it as {numref}`fig-01-decomposition`. Names follow ``fig-NN-slug``. Returns None, so a
    cell ending in this call shows nothing more. Used by every chapter.
    """
    from myst_nb import glue

    glue(name, fig, display=False)
    plt.close(fig)


def factor_sweep(ds, base: Sequence[int], n: int = 8) -> plt.Figure:
    """Images varying one dSprites factor at a time around ``base`` classes (5 rows x n columns).

    Used by chapter 1.
    """
    rows = []
    for f, size in enumerate(ds.factor_sizes):
        classes = torch.tensor([list(base)] * n)
        classes[:, f] = torch.linspace(0, size - 1, n).round().long()
        rows.append(ds.images(ds.index(classes)))
    fig, axes = plt.subplots(len(rows), n, figsize=(1.0 * n, 1.1 * len(rows)))
    for f, (images, ax_row) in enumerate(zip(rows, axes)):
        for image, ax in zip(images, ax_row):
            ax.imshow(image[0], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
        ax_row[0].set_ylabel(ds.factor_names[f], rotation=0, ha="right", va="center")
    fig.tight_layout()
    return fig


def decomposition_vs_beta(table: pd.DataFrame, spread: pd.DataFrame | None = None) -> plt.Figure:
    """E_x KL and its three terms against beta, on two scales (nats).

    Left: ``kl`` (analytic E_x KL) and ``mi`` (I(z;x)), with log N, the ceiling of I. Right, on its own
    scale: ``tc`` (raw total correlation), ``tc_corrected`` (minus its permutation null) and ``dimwise_kl``.
    ``table`` has one row per beta (the largest N); ``spread``, if given, has columns ``beta`` and the
    same terms for every N, and draws error bars from the smallest to the largest value over the N values.
    Used by chapter 1.
    """
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.6, 4.4))
    labels = {"kl": r"$\mathbb{E}_x\,\mathrm{KL}(q(z|x)\,\|\,p(z))$", "mi": r"$I(z;x)$",
              "tc": r"$\mathrm{TC}(z)$, raw", "tc_corrected": r"$\mathrm{TC}(z)$ minus permutation null",
              "dimwise_kl": r"$\sum_j \mathrm{KL}(q(z_j)\,\|\,p(z_j))$"}
    palette = dict(zip(labels, sns.color_palette("colorblind", len(labels))))
    for ax, cols in ((ax1, ("kl", "mi")), (ax2, ("tc", "tc_corrected", "dimwise_kl"))):
        for col in cols:
            if col not in table:
                continue
            yerr = None
            if spread is not None and col in spread:
                g = spread.groupby("beta")[col]
                lo, hi = g.min().reindex(table["beta"]).to_numpy(), g.max().reindex(table["beta"]).to_numpy()
                y = table[col].to_numpy()
                yerr = np.vstack([np.clip(y - lo, 0, None), np.clip(hi - y, 0, None)])
            ax.errorbar(table["beta"], table[col], yerr=yerr, marker="o", capsize=3, label=labels[col],
                        color=palette[col], ls="--" if col == "kl" else "-")
        ax.set_xscale("log", base=2)
        ax.set_xticks(table["beta"], [f"{b:g}" for b in table["beta"]])
        ax.set_xlabel(r"$\beta$")
        ax.set_ylabel("nats")
    if "log_n" in table:
        ax1.axhline(table["log_n"].iloc[-1], color="grey", lw=0.8, ls=":", label=r"$\log N$ (ceiling of $I$)")
    ax2.axhline(0.0, color="k", lw=0.6)
    for ax in (ax1, ax2):
        ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.26), ncol=1, frameon=False)
    fig.tight_layout()
    return fig


def tc_vs_n(tables: dict[float, pd.DataFrame]) -> plt.Figure:
    """Total correlation against the number of codes N, one colour per beta (nats).

    ``tables`` maps beta to :func:`ibcore.info.tc_against_n`'s table. Left: the raw exact TC of the codes
    (solid) and of the same codes with each latent permuted across images (dashed: the estimator's bias,
    true TC 0). Right: the corrected TC (codes minus null, solid) and the same statistic on permuted codes
    (dotted, true value 0). Used by chapter 1.
    """
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.6, 3.6), sharex=True)
    palette = sns.color_palette("viridis", len(tables))
    for color, (beta, t) in zip(palette, tables.items()):
        ax1.plot(t["n"], t["tc"], marker="o", color=color, label=rf"$\beta$ = {beta:g}")
        ax1.plot(t["n"], t["tc_null"], marker="x", color=color, ls="--")
        ax2.plot(t["n"], t["tc_corrected"], marker="o", color=color)
        ax2.plot(t["n"], t["tc_corrected_null"], marker="x", color=color, ls=":")
    ax1.set_title("raw TC: codes (solid), permuted codes (dashed)", fontsize="small")
    ax2.set_title("corrected TC: codes (solid), permuted codes (dotted)", fontsize="small")
    ax2.axhline(0.0, color="k", lw=0.6)
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        n_values = next(iter(tables.values()))["n"]
        ax.set_xticks(n_values, [f"{n:,}" for n in n_values])
        ax.minorticks_off()
        ax.set_xlabel("N (held-out codes)")
        ax.set_ylabel("nats")
    handles, labels = ax1.get_legend_handles_labels()
    ax2.legend(handles, labels, fontsize="small", loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    fig.tight_layout()
    return fig


def rate_distortion(table: pd.DataFrame) -> plt.Figure:
    """Distortion -log p(x | z = mu) (decoding the posterior mean) against the rate E_x KL, one point per
    beta (columns ``beta, kl, rec``; nats per image). Used by chapter 1."""
    fig, ax = plt.subplots(figsize=(4.8, 3.6))
    ax.plot(table["kl"], table["rec"], marker="o")
    for _, row in table.iterrows():
        ax.annotate(rf"$\beta$={row['beta']:g}", (row["kl"], row["rec"]), textcoords="offset points", xytext=(5, 5),
                    fontsize="small")
    ax.set_xlabel(r"rate: $\mathbb{E}_x\,\mathrm{KL}$ (nats per image)")
    ax.set_ylabel(r"distortion: $-\log p(x \mid z = \mu)$ (nats per image)")
    ax.margins(x=0.15, y=0.1)
    fig.tight_layout()
    return fig


def image_grid(images: torch.Tensor, nrow: int, titles: Sequence[str] | None = None) -> plt.Figure:
    """A grid of (B, 1, H, W) images in [0, 1]."""
    ncol = int(np.ceil(len(images) / nrow))
    lines = max((t.count("\n") + 1 for t in titles), default=0) if titles else 0
    width = 1.0 + 0.25 * lines  # room for the titles' width as well as their height
    fig, axes = plt.subplots(nrow, ncol, figsize=(width * ncol, (width + 0.15 * lines) * nrow), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([]), ax.set_yticks([])
        if i < len(images):
            ax.imshow(images[i, 0], cmap="gray", vmin=0, vmax=1)
            if titles:
                ax.set_title(titles[i], fontsize="x-small")
    fig.tight_layout()
    return fig


@torch.no_grad()
def latent_traversals(model, x: torch.Tensor, latents: Sequence[int], labels: Sequence[str] | None = None,
                      n: int = 7, span: float = 2.0) -> plt.Figure:
    """Decoded images as each latent in ``latents`` moves from -span to +span (prior standard deviations).

    ``x`` is one image (1, 1, H, W); the other latents stay at its posterior mean. One row per latent,
    labelled ``z_j`` and its ``labels`` entry (e.g. the factor it shares most information with). Used by
    chapter 2.
    """
    was_training = model.training
    model.eval()
    mu, _ = model.encode(x)  # (1, L)
    values = torch.linspace(-span, span, n)
    rows = []
    for j in latents:
        z = mu.repeat(n, 1)
        z[:, j] = values
        rows.append(torch.sigmoid(model.decode(z)).cpu())  # (n, 1, H, W)
    model.train(was_training)
    fig, axes = plt.subplots(max(len(rows), 1), n + 1, figsize=(0.8 * (n + 1), 0.85 * max(len(rows), 1)),
                             squeeze=False)
    for r, images in enumerate(rows):
        axes[r, 0].imshow(x[0, 0].cpu(), cmap="gray", vmin=0, vmax=1)
        for c, image in enumerate(images):
            axes[r, c + 1].imshow(image[0], cmap="gray", vmin=0, vmax=1)
        name = f"z{latents[r]}" + (f"\n{labels[r]}" if labels is not None else "")
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize="small")
    for ax in axes.flat:
        ax.set_xticks([]), ax.set_yticks([])
    axes[0, 0].set_title("input", fontsize="small")
    for c, v in enumerate(values.tolist()):
        axes[0, c + 1].set_title(f"{round(v, 1) + 0.0:+.1f}", fontsize="small")  # + 0.0: no "-0.0"
    fig.tight_layout(pad=0.3)
    return fig


def kl_per_latent(history: pd.DataFrame, labels: dict[int, str], threshold: float | None = None,
                  smooth: int = 1, ax: plt.Axes | None = None) -> plt.Axes:
    """KL of each latent over training (columns ``step``, ``kl_per_dim_j``), one line per latent in
    ``labels`` (latent -> its factor), the others grey; optionally a rolling mean over ``smooth`` logged
    rows and a horizontal ``threshold`` line. Used by chapter 2.
    """
    ax = ax or plt.subplots(figsize=(6.4, 3.6))[1]
    from ibcore.metrics import kl_columns

    palette = sns.color_palette("colorblind", max(len(labels), 1))
    for j, c in kl_columns(history).items():
        y = history[c].rolling(smooth, min_periods=1).mean()
        if j in labels:
            ax.plot(history["step"], y, lw=1.6, color=palette[list(labels).index(j)], label=f"z{j}: {labels[j]}")
        else:
            ax.plot(history["step"], y, lw=0.8, color="0.7")
    if threshold is not None:
        ax.axhline(threshold, color="k", lw=0.8, ls=":")
    ax.set_xlabel("step")
    ax.set_ylabel("KL per latent (nats)")
    if ax.get_legend_handles_labels()[0]:  # no legend (and no matplotlib warning) when no latent is labelled
        ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=min(len(labels), 3),
                  frameon=False)
    return ax


def mi_matrices(matrices: dict[str, np.ndarray], factor_names: Sequence[str], vmax: float | None = None) -> plt.Figure:
    """Heat maps of latent x factor mutual information (nats), one panel per model. Used by chapter 2."""
    fig, axes = plt.subplots(1, len(matrices), figsize=(2.6 * len(matrices) + 0.8, 3.6), squeeze=False)
    vmax = vmax or max(float(m.max()) for m in matrices.values())
    for ax, (name, m) in zip(axes[0], matrices.items()):
        sns.heatmap(m, ax=ax, vmin=0, vmax=vmax, cmap="viridis", cbar=ax is axes[0, -1],
                    xticklabels=list(factor_names), yticklabels=[f"z{j}" for j in range(m.shape[0])],
                    cbar_kws={"label": r"$I(z_j; v_k)$ (nats)"})
        ax.set_title(name, fontsize="small")
        ax.tick_params(axis="x", labelrotation=60, labelsize="small")
        ax.tick_params(axis="y", labelsize="x-small")
    fig.tight_layout()
    return fig


_SEGMENT_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")


def _segments_rgb(labels: torch.Tensor, background: int | None) -> np.ndarray:
    """(H, W) segment ids as an RGB image: one colour per id, black for ``background``."""
    from matplotlib.colors import to_rgb

    colours = np.array([to_rgb(c) for c in _SEGMENT_COLOURS])
    rgb = colours[labels.numpy() % len(colours)]
    if background is not None:
        rgb[labels.numpy() == background] = 0.0
    return rgb


def scene_decompositions(images: torch.Tensor, recon: torch.Tensor, control: torch.Tensor, masks: torch.Tensor,
                         appearance: torch.Tensor, truth: torch.Tensor) -> plt.Figure:
    """Scenes, their reconstructions and the object model's slots, one scene per row.

    Columns: the scene (B, 1, H, W), the ground-truth segmentation ``truth`` (B, H, W), the object model's
    reconstruction ``recon`` and its segmentation (the argmax of ``masks`` (B, K+1, H, W), background last,
    in black), the single-vector control's reconstruction ``control``, then each slot's mask times its
    appearance (B, K, H, W). Used by chapter 7.
    """
    b, k = appearance.shape[:2]
    cols = 5 + k
    fig, axes = plt.subplots(b, cols, figsize=(0.95 * cols, 1.0 * b + 0.3), squeeze=False)
    titles = ["scene", "truth", "slots", "segments", "one vector"] + [f"slot {j + 1}" for j in range(k)]
    for i in range(b):
        panels = [images[i, 0], _segments_rgb(truth[i], 0), recon[i, 0], _segments_rgb(masks[i].argmax(0), k),
                  control[i, 0]] + [masks[i, j] * appearance[i, j] for j in range(k)]
        for j, panel in enumerate(panels):
            ax = axes[i, j]
            ax.imshow(panel, cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            if i == 0:
                ax.set_title(titles[j], fontsize="small")
    fig.tight_layout(pad=0.3)
    return fig


@torch.no_grad()
def slot_traversals(model, x: torch.Tensor, slot: int, latents: Sequence[int], n: int = 7,
                    span: float = 2.0) -> plt.Figure:
    """One slot's latents moved from -span to +span (prior standard deviations), the other slots fixed.

    ``x`` is one scene (1, 1, H, W) and ``model`` a :class:`ibcore.slots.SlotAE`; every slot starts at its
    posterior mean, decoded as the model's posterior is (slots of presence > 0.5; the traversed slot always
    shown), and row r moves latent ``latents[r]`` of slot ``slot``: 2.. its appearance, from -span to +span;
    0 and 1 its position, by a quarter of that around its posterior mean (+-0.5 is a quarter of the canvas).
    The other objects should not change. Used by chapter 7.
    """
    post = model.posterior(x)
    mu = post["mu"]  # (1, K, L)
    gate = (post["presence"] > 0.5).to(mu.dtype)  # (1, K)
    gate[:, slot] = 1.0
    values = torch.linspace(-span, span, n)
    fig, axes = plt.subplots(len(latents), n + 1, figsize=(0.8 * (n + 1), 0.85 * len(latents)), squeeze=False)
    for r, j in enumerate(latents):
        z = mu.repeat(n, 1, 1)
        z[:, slot, j] = mu[0, slot, j] + values / 4 if j < 2 else values
        images = model.decode(z, gate.repeat(n, 1))["mean"]
        axes[r, 0].imshow(x[0, 0], cmap="gray", vmin=0, vmax=1)
        for c in range(n):
            axes[r, c + 1].imshow(images[c, 0], cmap="gray", vmin=0, vmax=1)
        name = ("x", "y")[j] if j < 2 else f"what {j - 2}"
        axes[r, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize="small")
    for ax in axes.flat:
        ax.set_xticks([]), ax.set_yticks([])
    axes[0, 0].set_title("scene", fontsize="small")
    for c, v in enumerate(values.tolist()):
        axes[0, c + 1].set_title(f"{round(v, 1) + 0.0:+.1f}", fontsize="small")
    fig.tight_layout(pad=0.3)
    return fig


def scores_by_count(table: pd.DataFrame, value: str, ylabel: str) -> plt.Figure:
    """A score against the number of objects, one line per segmentation or model.

    ``table`` has columns ``count``, ``method`` and ``value``. Used by chapter 7 (FG-ARI of the object model,
    the fixed grid and the one-segment partition on 1-4 objects).
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    sns.lineplot(data=table, x="count", y=value, hue="method", marker="o", ax=ax)
    ax.set_xticks(sorted(table["count"].unique()))
    ax.set_xlabel("objects in the scene")
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig
