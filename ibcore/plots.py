"""Figure helpers shared by the chapters, on one seaborn theme."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch

__all__ = ["set_theme", "factor_sweep", "decomposition_vs_beta", "rate_distortion"]


def set_theme() -> None:
    """The book's one figure theme (every chapter's set-up cell calls it)."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind",
                  rc={"figure.dpi": 100, "savefig.dpi": 100, "figure.figsize": (6.4, 3.6)})


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


def decomposition_vs_beta(table: pd.DataFrame) -> plt.Figure:
    """E_x KL and its three terms against beta (columns ``beta, kl, mi, tc, dimwise_kl``; nats).

    Used by chapter 1.
    """
    fig, ax = plt.subplots()
    labels = {"kl": "E_x KL (analytic)", "mi": "I(z;x)", "tc": "TC(z)", "dimwise_kl": "Σ_j KL(q(z_j)‖p(z_j))"}
    for col, label in labels.items():
        ax.plot(table["beta"], table[col], marker="o", label=label, ls="--" if col == "kl" else "-")
    if "log_n" in table:
        ax.axhline(table["log_n"].iloc[0], color="grey", lw=0.8, ls=":", label="log N (ceiling of I)")
    ax.set_xscale("log", base=2)
    ax.set_xticks(table["beta"], [f"{b:g}" for b in table["beta"]])
    ax.set_xlabel("β")
    ax.set_ylabel("nats")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def rate_distortion(table: pd.DataFrame) -> plt.Figure:
    """Reconstruction (distortion) against E_x KL (rate), one point per beta. Used by chapter 1."""
    fig, ax = plt.subplots(figsize=(4.8, 3.6))
    ax.plot(table["kl"], table["rec"], marker="o")
    for _, row in table.iterrows():
        ax.annotate(f"β={row['beta']:g}", (row["kl"], row["rec"]), textcoords="offset points", xytext=(5, 5))
    ax.set_xlabel("rate: E_x KL (nats)")
    ax.set_ylabel("distortion: H(x|z) (nats)")
    fig.tight_layout()
    return fig


def image_grid(images: torch.Tensor, nrow: int, titles: Sequence[str] | None = None) -> plt.Figure:
    """A grid of (B, 1, H, W) images in [0, 1]."""
    ncol = int(np.ceil(len(images) / nrow))
    fig, axes = plt.subplots(nrow, ncol, figsize=(1.0 * ncol, 1.0 * nrow), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([]), ax.set_yticks([])
        if i < len(images):
            ax.imshow(images[i, 0], cmap="gray", vmin=0, vmax=1)
            if titles:
                ax.set_title(titles[i], fontsize="x-small")
    fig.tight_layout()
    return fig
