"""Probe-based information estimates, in bits: H(target) minus a probe's held-out cross-entropy.

Used by chapters 3-6."""

from __future__ import annotations

import math
import time
from typing import Literal

import torch

__all__ = ["marginal_cross_entropy_bits", "probe_information", "linear_probe_bits", "block_representations", "probe_blocks", "PROBE_C"]


def marginal_cross_entropy_bits(labels_fit, labels_eval, n_classes: int) -> float:
    """H(target) as the probes use it: the cross-entropy, in bits, of ``labels_eval`` under the
    Laplace-smoothed class frequencies of ``labels_fit`` (the best constant predictor fitted on the fit
    split). Labels are integers in [0, n_classes). Used by the probes and chapter 5."""
    labels_fit = torch.as_tensor(labels_fit, dtype=torch.int64)
    labels_eval = torch.as_tensor(labels_eval, dtype=torch.int64)
    counts = torch.bincount(labels_fit, minlength=n_classes).double() + 1.0
    return float(-(counts / counts.sum()).log2()[labels_eval].mean())


def probe_information(z_fit, target_fit, z_eval, target_eval, kind: Literal["linear", "mlp"] = "linear",
                      seed: int = 0, max_iter: int = 300) -> dict[str, float]:
    """Usable information about a discrete target in a representation, in bits (Xu et al. 2020).

    A probe (``"linear"``: multinomial logistic regression on standardised features; ``"mlp"``: one
    hidden layer of 64 units, L2 weight 1) is fitted on ``(z_fit, target_fit)`` only, and evaluated on the held-out
    ``(z_eval, target_eval)``::

        bits = H(target) - CE(target | probe(z)),

    both cross-entropies on the evaluation split, H(target) being that of the best constant predictor (the
    fit split's label frequencies, Laplace-smoothed). This is the predictive V-information of Xu et al.
    2020 for the probe family V, estimated on held-out data: it can be negative when the probe overfits,
    and it is *not* bound by the data-processing inequality (a linear probe can read more from a deeper
    layer that made the target linearly decodable), so depth curves are to be read against the input
    and a baseline network. Nothing is clipped.

    Returns
    -------
    dict: ``bits``, ``h_bits`` (H(target) in bits), ``ce_bits``, ``accuracy``. Used by chapters 3-6.
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    z_fit, z_eval = np.asarray(z_fit, dtype=np.float64), np.asarray(z_eval, dtype=np.float64)
    t_fit, t_eval = np.asarray(target_fit), np.asarray(target_eval)
    classes = np.unique(np.concatenate([t_fit, t_eval]))
    eval_idx = np.searchsorted(classes, t_eval)
    h = marginal_cross_entropy_bits(np.searchsorted(classes, t_fit), eval_idx, len(classes))
    if kind == "linear":
        probe = LogisticRegression(C=1.0, max_iter=max_iter)
    elif kind == "mlp":
        # alpha=1 (L2): with weaker decay the probe overfits noise (-0.06 bits on an independent target);
        # early stopping on accuracy under-fits a copied target instead. Checked in tests/test_probes.py.
        probe = MLPClassifier(hidden_layer_sizes=(64,), alpha=1.0, max_iter=max_iter, random_state=seed)
    else:
        raise ValueError(f"kind must be 'linear' or 'mlp', got {kind!r}")
    model = make_pipeline(StandardScaler(), probe).fit(z_fit, t_fit)
    proba = np.full((len(z_eval), len(classes)), 1e-12)
    cols = np.searchsorted(classes, model.classes_)
    proba[:, cols] = np.clip(model.predict_proba(z_eval), 1e-12, None)
    proba /= proba.sum(1, keepdims=True)
    ce = float(-np.log2(proba[np.arange(len(t_eval)), eval_idx]).mean())
    return {"bits": h - ce, "h_bits": h, "ce_bits": ce,
            "accuracy": float((classes[proba.argmax(1)] == t_eval).mean())}


#: L2 strength of the chapters' linear probes. With c = 1 (scikit-learn's default) a probe of a few hundred
#: standardised features fitted on 3,000 images over-fits badly (held-out bits down to -3.5 in a pilot of
#: chapter 3); c = 0.01 keeps every held-out estimate of the pilot at or above about -0.1 bits.
PROBE_C = 0.01


def linear_probe_bits(z_fit: torch.Tensor, targets_fit: dict[str, torch.Tensor], z_eval: torch.Tensor,
                      targets_eval: dict[str, torch.Tensor], c: float = PROBE_C, max_iter: int = 100) -> dict[str, float]:
    """:func:`probe_information` with linear probes for several targets at once, in PyTorch.

    Same estimate as the scikit-learn linear probe (standardised features, multinomial logistic
    regression, L2 penalty ``||W||^2 / (2 c)`` on the summed loss; ``c = 1`` is scikit-learn's default, the
    chapters use :data:`PROBE_C`), but one full-batch L-BFGS fit
    of all the targets' heads together (the problem separates over targets), which is several times faster
    than scikit-learn here; ``tests/test_probes.py`` checks the two agree. Bits per target, held out.
    Used by chapters 3-6.
    """
    z_fit, z_eval = z_fit.double().flatten(1), z_eval.double().flatten(1)
    mean, std = z_fit.mean(0), z_fit.std(0).clamp_min(1e-6)
    z_fit, z_eval = (z_fit - mean) / std, (z_eval - mean) / std
    names = list(targets_fit)
    sizes = [int(max(targets_fit[k].max(), targets_eval[k].max())) + 1 for k in names]
    weight = torch.zeros(z_fit.shape[1], sum(sizes), dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(sum(sizes), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([weight, bias], lr=1, max_iter=max_iter, tolerance_grad=1e-6,
                            line_search_fn="strong_wolfe")
    n = len(z_fit)

    def closure():
        opt.zero_grad()
        logits = z_fit @ weight + bias
        loss = sum(torch.nn.functional.cross_entropy(part, targets_fit[k], reduction="sum")
                   for part, k in zip(logits.split(sizes, 1), names))
        loss = (loss + weight.pow(2).sum() / (2 * c)) / n
        loss.backward()
        return loss

    opt.step(closure)
    out = {}
    with torch.no_grad():
        logits = z_eval @ weight + bias
        for part, k, size in zip(logits.split(sizes, 1), names, sizes):
            h = marginal_cross_entropy_bits(targets_fit[k], targets_eval[k], size)
            ce = float(torch.nn.functional.cross_entropy(part, targets_eval[k]) / math.log(2))
            out[k] = h - ce
    return out


@torch.no_grad()
def block_representations(model, x: torch.Tensor, pool: int = 4, batch_size: int = 1000,
                          sample: bool | None = None) -> list[torch.Tensor]:
    """Every representation ``model.blocks(x)`` returns, flattened, in eval mode and in batches.

    Spatial maps larger than ``pool`` x ``pool`` are average-pooled to that size first, so that a linear
    probe sees at most ``pool**2 * channels`` features per block (position stays coarsely readable).
    Returns a list of (N, D_i) CPU tensors, one per block (plus the global pool if the model has one).
    ``sample`` (if given) is passed to ``model.blocks``: ``True`` draws a stochastic model's noise even in
    eval mode (chapter 4's noisy representations). Used by chapters 3 and 4.
    """
    was_training = model.training
    model.eval()
    out: list[list[torch.Tensor]] = []
    for chunk in x.split(batch_size):
        for i, z in enumerate(model.blocks(chunk) if sample is None else model.blocks(chunk, sample=sample)):
            if z.ndim == 4 and z.shape[-1] > pool:
                z = torch.nn.functional.adaptive_avg_pool2d(z, pool)
            if i == len(out):
                out.append([])
            out[i].append(z.flatten(1).cpu())
    model.train(was_training)
    return [torch.cat(o) for o in out]


def probe_blocks(reps_fit: list[torch.Tensor], targets_fit: dict[str, torch.Tensor], reps_eval: list[torch.Tensor],
                 targets_eval: dict[str, torch.Tensor], labels: list[str], **info) -> list[dict]:
    """Held-out linear-probe bits about every target at every block: one row per (block, target).

    ``labels`` names the blocks (``"block 1"``, ..., ``"global pool"``); ``info`` (e.g. model name, seed)
    is copied into every row, next to ``layer``, ``depth``, ``target`` and ``bits``. Chapters 3 and 4.
    """
    if len(labels) != len(reps_fit) or len(reps_fit) != len(reps_eval):
        raise ValueError(f"{len(labels)} labels for {len(reps_fit)} fit and {len(reps_eval)} eval representations")
    rows = []
    for depth, (label, zf, ze) in enumerate(zip(labels, reps_fit, reps_eval)):
        for target, bits in linear_probe_bits(zf, targets_fit, ze, targets_eval).items():
            rows.append({**info, "layer": label, "depth": depth, "target": target, "bits": bits})
    return rows
