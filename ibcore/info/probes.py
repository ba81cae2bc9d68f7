"""Probe-based information estimates, in bits: H(target) minus a probe's held-out cross-entropy.

Two probe families, both fitted on a *fit* split only and scored on a held-out *evaluation* split:

- linear (:func:`linear_probe`): multinomial logistic regression on standardised features, every target
  at once, its L2 strength chosen per target by k-fold cross-validation **on the fit split**
  (:data:`PROBE_C_GRID`, :data:`PROBE_FOLDS`); the evaluation split is never used to choose anything;
- MLP (:func:`mlp_probe`): one hidden layer of 64 ReLU units per target, fixed weight decay.

Used by chapters 3-6.
"""

from __future__ import annotations

import contextlib
import functools
import math
from typing import Literal, Sequence

import torch

__all__ = ["marginal_cross_entropy_bits", "probe_information", "linear_probe", "linear_probe_bits", "mlp_probe",
           "block_representations", "probe_blocks", "bootstrap_interval", "PROBE_C", "PROBE_C_GRID", "PROBE_FOLDS"]

#: L2 strengths C (penalty ``||W||^2 / (2 C)`` on the summed cross-entropy of standardised features) among
#: which :func:`linear_probe` chooses, per target, by cross-validation on the fit split. A decade apart: the
#: held-out cross-entropy is flat near its optimum in log C, and every grid point costs a fit per fold.
PROBE_C_GRID: tuple[float, ...] = (1e-3, 1e-2, 1e-1, 1.0)
#: Folds of that cross-validation.
PROBE_FOLDS = 3
#: Fallback L2 strength, used only where a caller passes ``c=PROBE_C`` explicitly (e.g. to reproduce the
#: chapters' estimates before cross-validation: it was chosen on chapter 3's seed-0 *held-out* estimates,
#: which the protocol no longer allows; nothing in the book uses it now).
PROBE_C = 0.01

_PAD = -1e4  # logit of the padding classes of a target with fewer classes than the widest one


@contextlib.contextmanager
def _one_thread():
    """Run the probes' solvers on one torch thread, then restore the caller's count.

    An L-BFGS iteration is a few matrix products and many small vector ops (dot products, axpys). With two
    threads, every small op waits for both; when other processes share the cores (two chapters at once, a
    sweep, a test run), the waits become scheduler time slices: a smoke-sized cross-validated probe took
    31 s of wall time with 2 threads and 0.7 s with 1 on a loaded 2-core machine (issue 17). On an idle
    machine the 2-thread matrix products would be up to ~1.8x faster; one thread is the robust choice.
    """
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


def _single_threaded(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _one_thread():
            return fn(*args, **kwargs)
    return wrapper


def marginal_cross_entropy_bits(labels_fit, labels_eval, n_classes: int) -> float:
    """H(target) as the probes use it: the cross-entropy, in bits, of ``labels_eval`` under the
    Laplace-smoothed class frequencies of ``labels_fit`` (the best constant predictor fitted on the fit
    split). Labels are integers in [0, n_classes). Used by the probes and chapter 5."""
    return float(_marginal_pointwise_bits(labels_fit, labels_eval, n_classes).mean())


def _marginal_pointwise_bits(labels_fit, labels_eval, n_classes: int) -> torch.Tensor:
    labels_fit = torch.as_tensor(labels_fit, dtype=torch.int64)
    labels_eval = torch.as_tensor(labels_eval, dtype=torch.int64)
    counts = torch.bincount(labels_fit, minlength=n_classes).double() + 1.0
    return -(counts / counts.sum()).log2()[labels_eval]


# --------------------------------------------------------------------------------------------------------
# linear probes: one batched multinomial logistic regression for every target (and every fold) at once


def _logits(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
    """x (F, m, r), w (F, r, J*K), b (F, J*K), pad (J, K) -> logits (F, m, J, K)."""
    f, m, _ = x.shape
    return torch.baddbmm(b[:, None, :], x, w).view(f, m, *pad.shape) + pad


def _cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """logits (F, m, J, K), labels y (F, m, J) -> cross-entropy (F, m, J), nats."""
    return logits.logsumexp(-1) - logits.gather(-1, y.unsqueeze(-1)).squeeze(-1)


def _fit_linear(x: torch.Tensor, y: torch.Tensor, pad: torch.Tensor, lam: torch.Tensor, w0: torch.Tensor,
                b0: torch.Tensor, max_iter: int, tol: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Full-batch L-BFGS on F x J independent multinomial logistic regressions sharing their features.

    x (F, m, r) features, y (F, m, J) labels, lam (F, J) = 1 / C. Minimises, for each fold f and target j,
    ``mean_i CE_fij + lam_fj ||W_fj||^2 / (2 m)`` (the summed-loss penalty ``||W||^2 / (2C)`` of scikit-learn,
    divided by m); the problems separate, so one L-BFGS on their sum solves them all. Gradients are written
    by hand (softmax minus one-hot), which is cheaper than autograd here.
    """
    f, m, _ = x.shape
    k = pad.shape[1]
    lam_cols = lam.repeat_interleave(k, 1)[:, None, :] / m  # (F, 1, J*K)
    onehot = torch.nn.functional.one_hot(y, k).to(x.dtype)  # (F, m, J, K)
    xt = x.transpose(1, 2)  # (F, r, m)
    w, b = w0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
    opt = torch.optim.LBFGS([w, b], lr=1, max_iter=max_iter, tolerance_grad=tol, tolerance_change=1e-10,
                            history_size=10, line_search_fn="strong_wolfe")

    def closure():
        with torch.no_grad():
            logits = _logits(x, w, b, pad)  # (F, m, J, K)
            lse = logits.logsumexp(-1, keepdim=True)
            loss = (lse.sum() - (logits * onehot).sum()) / m + 0.5 * (lam_cols * w * w).sum()
            g = ((logits - lse).exp() - onehot).view(f, m, -1) / m  # (F, m, J*K)
            w.grad = torch.bmm(xt, g) + lam_cols * w
            b.grad = g.sum(1)
        return loss

    opt.step(closure)
    return w.detach(), b.detach()


def _stack_targets(targets_fit: dict, targets_eval: dict):
    """Targets of both splits as (N, J) int64 columns, each target's class count, and the (J, K) logit mask
    that pads every target to the widest (``_PAD`` on the classes a target does not have).
    Shared by :func:`linear_probe` and :func:`mlp_probe`."""
    names = list(targets_fit)
    yf = torch.stack([torch.as_tensor(targets_fit[k]).long() for k in names], 1)  # (N, J)
    ye = torch.stack([torch.as_tensor(targets_eval[k]).long() for k in names], 1)
    sizes = [int(max(yf[:, j].max(), ye[:, j].max())) + 1 for j in range(len(names))]
    pad = torch.zeros(len(names), max(sizes))
    for j, size in enumerate(sizes):
        pad[j, size:] = _PAD
    return names, yf, ye, sizes, pad


def _standardise(z_fit: torch.Tensor, z_eval: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Standardise both splits with the fit split's mean and sd; float32, flattened to (N, D)."""
    z_fit, z_eval = torch.as_tensor(z_fit).double().flatten(1), torch.as_tensor(z_eval).double().flatten(1)
    mean, std = z_fit.mean(0), z_fit.std(0).clamp_min(1e-6)
    return ((z_fit - mean) / std).float(), ((z_eval - mean) / std).float()


@_single_threaded
def linear_probe(z_fit, targets_fit: dict, z_eval, targets_eval: dict, c: float | None = None,
                 grid: Sequence[float] = PROBE_C_GRID, folds: int = PROBE_FOLDS, seed: int = 0,
                 max_iter: int = 60, cv_iter: int = 20, tol: float = 1e-4) -> dict[str, dict]:
    """Held-out bits of linear probes about several discrete targets of one representation.

    Each target gets a multinomial logistic regression on the standardised features ``z`` (the fit split's
    mean and sd), with an L2 penalty ``||W||^2 / (2 C)`` on the summed cross-entropy (scikit-learn's
    convention), fitted on ``(z_fit, targets_fit)`` and scored on ``(z_eval, targets_eval)``::

        bits = H(target) - CE(target | probe(z)),   both on the evaluation split, in bits,

    H(target) being the cross-entropy of the fit split's Laplace-smoothed label frequencies (Xu et al. 2020's
    predictive V-information, estimated on held-out data; it can be negative; nothing is clipped).

    **Choosing C.** With ``c=None`` (the default) C is chosen per target by ``folds``-fold cross-validation
    on the fit split only: for each C of ``grid`` (from the strongest penalty up, each fit warm-started from
    the previous one, ``cv_iter`` L-BFGS iterations), the mean held-out cross-entropy over the folds; the C
    with the lowest one is kept, and the probe is refitted on the whole fit split with it, warm-started from
    the folds' mean. The path stops early once every target's cross-validated cross-entropy has risen above
    its best (it is unimodal in C in practice). The folds are standardised with the whole fit split's
    statistics (label-free). ``c`` (a float) skips the cross-validation.

    **Speed.** All targets, and all folds, are one batched problem: the features are multiplied once per
    L-BFGS iteration for every head (padded to the widest target), in float32 with hand-written gradients,
    stopped at ``max_iter`` iterations or a largest gradient entry below ``tol``. ``bench/probes.py``
    measures it against the previous implementation (float64, autograd, 100 iterations) and scikit-learn.

    Returns
    -------
    dict: target -> {``bits``, ``h_bits``, ``ce_bits``, ``accuracy``, ``c`` (the C used), ``pointwise``
    (the (N_eval,) per-image contributions to ``bits``, whose mean is ``bits``, for bootstrap intervals)}.
    Used by chapters 3-6.
    """
    xf, xe = _standardise(z_fit, z_eval)
    names, yf, ye, sizes, pad = _stack_targets(targets_fit, targets_eval)
    n_t, width = pad.shape
    n, r = xf.shape
    # bias start: the log of the smoothed class frequencies (the constant predictor)
    prior = torch.stack([torch.cat([((torch.bincount(yf[:, j], minlength=s).float() + 1) / (n + s)).log(),
                                    torch.zeros(width - s)]) for j, s in enumerate(sizes)]).flatten()  # (J*K,)
    if c is None:
        if folds < 2 or n < 2 * folds:
            raise ValueError(f"cross-validation needs folds >= 2 and at least 2 images per fold; got folds={folds}, n={n}")
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
        parts = perm[: n // folds * folds].view(-1, folds).T  # (folds, n // folds): fold f's held-out images
        train = torch.stack([parts[[g for g in range(folds) if g != f]].flatten() for f in range(folds)])
        w, b = torch.zeros(folds, r, n_t * width), prior.expand(folds, -1).clone()
        cv, ws, bs = [], [], []
        for cc in sorted(grid):
            w, b = _fit_linear(xf[train], yf[train], pad, torch.full((folds, n_t), 1 / cc), w, b, cv_iter, tol)
            with torch.no_grad():
                cv.append(_cross_entropy(_logits(xf[parts], w, b, pad), yf[parts]).mean((0, 1)))  # (J,)
            ws.append(w.mean(0)), bs.append(b.mean(0))
            curve = torch.stack(cv)
            if len(cv) >= 2 and bool((curve[-1] > curve.min(0).values).all()):
                break
        best = torch.stack(cv).argmin(0)  # (J,) grid index per target
        cs = torch.tensor([sorted(grid)[i] for i in best.tolist()], dtype=torch.float64)
        cols = torch.arange(n_t * width)
        rows = best.repeat_interleave(width)
        w0, b0 = torch.stack(ws)[rows, :, cols].T[None], torch.stack(bs)[rows, cols][None]
    else:
        if not c > 0:
            raise ValueError(f"c must be a positive number or None (cross-validation), got {c!r}")
        cs = torch.full((n_t,), float(c), dtype=torch.float64)
        w0, b0 = torch.zeros(1, r, n_t * width), prior[None].clone()
    w, b = _fit_linear(xf[None], yf[None], pad, (1 / cs).float()[None], w0, b0, max_iter, tol)
    with torch.no_grad():
        logits = _logits(xe[None], w, b, pad)[0]  # (N_eval, J, K)
        ce = _cross_entropy(logits[None], ye[None])[0].double() / math.log(2)  # (N_eval, J) bits
        correct = (logits.argmax(-1) == ye).double().mean(0)
    out = {}
    for j, k in enumerate(names):
        h = _marginal_pointwise_bits(yf[:, j], ye[:, j], sizes[j])
        out[k] = {"bits": float((h - ce[:, j]).mean()), "h_bits": float(h.mean()), "ce_bits": float(ce[:, j].mean()),
                  "accuracy": float(correct[j]), "c": float(cs[j]), "pointwise": h - ce[:, j]}
    return out


def linear_probe_bits(z_fit, targets_fit: dict, z_eval, targets_eval: dict, c: float | None = None,
                      **kwargs) -> dict[str, float]:
    """Held-out bits of :func:`linear_probe` per target (C chosen by cross-validation on the fit split unless
    ``c`` is given). Used by chapters 3-6."""
    return {k: v["bits"] for k, v in linear_probe(z_fit, targets_fit, z_eval, targets_eval, c=c, **kwargs).items()}


# --------------------------------------------------------------------------------------------------------
# MLP probes


@_single_threaded
def mlp_probe(z_fit, targets_fit: dict, z_eval, targets_eval: dict, hidden: int = 64, alpha: float = 1.0,
              max_iter: int = 200, seed: int = 0, val_fraction: float = 0.2, chunk: int = 10,
              patience: int = 3) -> dict[str, dict]:
    """Held-out bits of one-hidden-layer MLP probes (``hidden`` ReLU units per target), as :func:`linear_probe`.

    Each target has its own MLP on the standardised features, trained by full-batch L-BFGS on the mean
    cross-entropy plus ``alpha / (2 N) * ||weights||^2`` (scikit-learn's ``MLPClassifier`` convention), all
    targets in one batched problem, Glorot-uniform hidden weights from ``seed`` and a zero read-out. Early stopping on the fit
    split only: ``val_fraction`` of the fit images are held out, the MLPs are trained on the rest, and each
    target keeps the weights of the ``chunk``-iteration checkpoint with the lowest validation
    cross-entropy (training stops after ``patience`` checkpoints without improvement for any target). Fully
    converged, this MLP over-fits an independent target by about -0.3 bits (3,000 images, 8 features).

    A lower bound on the information, like the linear probe, but from a richer family: a "removes
    information" claim compares the larger of the two estimates with its threshold. Returns the same dict as
    :func:`linear_probe` (``c`` is ``nan``). Used by chapters 3 and 4.
    """
    xf_all, xe = _standardise(z_fit, z_eval)
    names, yf_all, ye, sizes, pad = _stack_targets(targets_fit, targets_eval)
    n_t, width = pad.shape
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(xf_all), generator=g)
    n_val = max(1, int(val_fraction * len(xf_all)))
    val, tr = perm[:n_val], perm[n_val:]
    xf, yf, xv, yv = xf_all[tr], yf_all[tr], xf_all[val], yf_all[val]
    n, r = xf.shape
    lim1 = math.sqrt(6 / (r + hidden))
    w1 = ((torch.rand(r, n_t * hidden, generator=g) * 2 - 1) * lim1).requires_grad_(True)
    b1 = torch.zeros(n_t * hidden, requires_grad=True)
    # the read-out starts at zero and its bias at the log class frequencies: the probe starts as the constant
    # predictor (0 bits), so early stopping can only keep what beats it on the validation images
    w2 = torch.zeros(n_t, hidden, width, requires_grad=True)
    b2 = torch.stack([torch.cat([((torch.bincount(yf[:, j], minlength=s).float() + 1) / (n + s)).log(),
                                 torch.zeros(width - s)]) for j, s in enumerate(sizes)]).requires_grad_(True)
    params = [w1, b1, w2, b2]

    def forward(x, p=params):
        h = torch.relu(x @ p[0] + p[1]).view(len(x), n_t, hidden).transpose(0, 1)  # (J, N, H)
        return (torch.bmm(h, p[2]) + p[3][:, None]).transpose(0, 1) + pad  # (N, J, K)

    opt = torch.optim.LBFGS(params, lr=1, max_iter=chunk, tolerance_grad=1e-7, tolerance_change=1e-12,
                            history_size=10, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = _cross_entropy(forward(xf)[None], yf[None]).sum() / n
        loss = loss + alpha / (2 * n) * (w1.pow(2).sum() + w2.pow(2).sum())
        loss.backward()
        return loss

    def val_ce():
        with torch.no_grad():
            return _cross_entropy(forward(xv)[None], yv[None])[0].mean(0)  # (J,)

    best_ce, best = val_ce(), [p.detach().clone() for p in params]
    stale = 0
    for _ in range(max(1, max_iter // chunk)):
        opt.step(closure)
        ce = val_ce()
        better = ce < best_ce
        if better.any():
            stale = 0
            cols = better.repeat_interleave(hidden)  # target j owns hidden units j*H .. (j+1)*H
            best[0][:, cols], best[1][cols] = w1.detach()[:, cols], b1.detach()[cols]
            best[2][better], best[3][better] = w2.detach()[better], b2.detach()[better]
            best_ce = torch.where(better, ce, best_ce)
        else:
            stale += 1
            if stale >= patience:
                break
    with torch.no_grad():
        logits = forward(xe, best)
        ce = _cross_entropy(logits[None], ye[None])[0].double() / math.log(2)
        correct = (logits.argmax(-1) == ye).double().mean(0)
    out = {}
    for j, k in enumerate(names):
        h = _marginal_pointwise_bits(yf_all[:, j], ye[:, j], sizes[j])
        out[k] = {"bits": float((h - ce[:, j]).mean()), "h_bits": float(h.mean()), "ce_bits": float(ce[:, j].mean()),
                  "accuracy": float(correct[j]), "c": math.nan, "pointwise": h - ce[:, j]}
    return out


def probe_information(z_fit, target_fit, z_eval, target_eval, kind: Literal["linear", "mlp"] = "linear",
                      seed: int = 0, c: float | None = None, method: Literal["torch", "sklearn"] = "torch",
                      max_iter: int = 300) -> dict[str, float]:
    """Usable information about one discrete target in a representation, in bits (Xu et al. 2020).

    ``kind="linear"``: :func:`linear_probe` (C by cross-validation on the fit split unless ``c`` is given);
    ``kind="mlp"``: :func:`mlp_probe`. ``method="sklearn"`` runs scikit-learn's ``LogisticRegression``
    (``C=c``, or its default 1 when ``c`` is None) or ``MLPClassifier`` (64 units, ``alpha=1``) instead: the
    reference the torch probes are tested against (``tests/test_probes.py``) and the "before" of
    ``bench/probes.py``. Fitted on ``(z_fit, target_fit)`` only, scored on ``(z_eval, target_eval)``.

    Returns
    -------
    dict: ``bits``, ``h_bits`` (H(target) in bits), ``ce_bits``, ``accuracy`` (and ``c`` for the torch
    linear probe). Used by chapters 3-6.
    """
    if kind not in ("linear", "mlp"):
        raise ValueError(f"kind must be 'linear' or 'mlp', got {kind!r}")
    if method == "torch":
        t_fit, t_eval = torch.as_tensor(target_fit).long(), torch.as_tensor(target_eval).long()
        lo = int(min(t_fit.min(), t_eval.min()))
        if kind == "linear":
            r = linear_probe(z_fit, {"t": t_fit - lo}, z_eval, {"t": t_eval - lo}, c=c, seed=seed)["t"]
        else:
            r = mlp_probe(z_fit, {"t": t_fit - lo}, z_eval, {"t": t_eval - lo}, seed=seed)["t"]
        return {k: v for k, v in r.items() if k != "pointwise"}
    if method != "sklearn":
        raise ValueError(f"method must be 'torch' or 'sklearn', got {method!r}")
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
        probe = LogisticRegression(C=1.0 if c is None else c, max_iter=max_iter)
    else:
        probe = MLPClassifier(hidden_layer_sizes=(64,), alpha=1.0, max_iter=max_iter, random_state=seed)
    model = make_pipeline(StandardScaler(), probe).fit(z_fit, t_fit)
    proba = np.full((len(z_eval), len(classes)), 1e-12)
    cols = np.searchsorted(classes, model.classes_)
    proba[:, cols] = np.clip(model.predict_proba(z_eval), 1e-12, None)
    proba /= proba.sum(1, keepdims=True)
    ce = float(-np.log2(proba[np.arange(len(t_eval)), eval_idx]).mean())
    return {"bits": h - ce, "h_bits": h, "ce_bits": ce, "accuracy": float((classes[proba.argmax(1)] == t_eval).mean())}


def bootstrap_interval(pointwise: torch.Tensor, n_boot: int = 1000, level: float = 0.9, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``pointwise`` (a probe's per-image bits on the evaluation
    split): the evaluation split's sampling error, with the probe held fixed. Used by chapters 3 and 4."""
    pointwise = torch.as_tensor(pointwise, dtype=torch.float64)
    idx = torch.randint(len(pointwise), (n_boot, len(pointwise)), generator=torch.Generator().manual_seed(seed))
    means = pointwise[idx].mean(1)
    lo, hi = torch.quantile(means, torch.tensor([(1 - level) / 2, (1 + level) / 2], dtype=torch.float64)).tolist()
    return lo, hi


@torch.no_grad()
def block_representations(model, x: torch.Tensor, pool: int = 4, batch_size: int = 1000,
                          sample: bool | None = None) -> list[torch.Tensor]:
    """Every representation ``model.blocks(x)`` returns, flattened, in eval mode and in batches.

    Spatial maps larger than ``pool`` x ``pool`` are average-pooled to that size first, so that a linear
    probe sees at most ``pool**2 * channels`` features per block (position stays coarsely readable).
    Returns a list of (N, D_i) CPU tensors, one per block (plus the global pool if the model has one).
    ``sample`` (if given) is passed to ``model.blocks``: ``True`` draws a stochastic model's noise even in
    eval mode (dropout's and Information Dropout's noisy representations). Used by chapters 3 and 4.
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
                 targets_eval: dict[str, torch.Tensor], labels: list[str], kind: Literal["linear", "mlp"] = "linear",
                 interval: bool = False, **info) -> list[dict]:
    """Held-out probe bits about every target at every block: one row per (block, target).

    ``labels`` names the blocks (``"block 1"``, ..., ``"global pool"``); ``kind`` picks :func:`linear_probe`
    (C by cross-validation on the fit split) or :func:`mlp_probe`; ``info`` (e.g. model name, seed) is copied
    into every row, next to ``layer``, ``depth``, ``target``, ``probe``, ``bits``, ``h_bits`` and ``c``;
    ``interval=True`` adds ``bits_lo`` / ``bits_hi``, a 90 % bootstrap interval over the evaluation split
    (:func:`bootstrap_interval`). Chapters 3 and 4.
    """
    if len(labels) != len(reps_fit) or len(reps_fit) != len(reps_eval):
        raise ValueError(f"{len(labels)} labels for {len(reps_fit)} fit and {len(reps_eval)} eval representations")
    if kind not in ("linear", "mlp"):
        raise ValueError(f"kind must be 'linear' or 'mlp', got {kind!r}")
    probe = linear_probe if kind == "linear" else mlp_probe
    rows = []
    for depth, (label, zf, ze) in enumerate(zip(labels, reps_fit, reps_eval)):
        for target, r in probe(zf, targets_fit, ze, targets_eval).items():
            row = {**info, "layer": label, "depth": depth, "target": target, "probe": kind, "bits": r["bits"],
                   "h_bits": r["h_bits"], "c": r["c"]}
            if interval:
                row["bits_lo"], row["bits_hi"] = bootstrap_interval(r["pointwise"])
            rows.append(row)
    return rows
