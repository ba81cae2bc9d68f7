"""Information estimators, in nats unless a name says bits.

``kl_decomposition`` splits the average KL of a VAE's posterior into the three terms of
Chen et al. 2018 (beta-TCVAE, eq. 2) / Hoffman & Johnson 2016:

    E_x KL(q(z|x) || p(z)) = I(z;x) + TC(z) + sum_j KL(q(z_j) || p(z_j))

where q(z) = (1/N) sum_n q(z|x_n) is the aggregate posterior over the N data points, TC(z) =
KL(q(z) || prod_j q(z_j)) is the total correlation, and the last sum is the dimension-wise KL
(the term slide 2 drops).
"""

from __future__ import annotations

import math
import time
from typing import Literal

import torch

from ibcore.losses import gaussian_kl

__all__ = ["kl_decomposition", "marginal_cross_entropy_bits", "probe_information", "linear_probe_bits",
           "binary_kl_inverse", "pac_bayes_bound", "block_representations", "probe_blocks"]

_LOG_2PI = math.log(2 * math.pi)


def _log_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Elementwise log N(z; mu, exp(logvar)), broadcasting; in nats."""
    return -0.5 * (_LOG_2PI + logvar + (z - mu).pow(2) * torch.exp(-logvar))


def _aggregate_logs(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
                    logw: torch.Tensor | float) -> tuple[torch.Tensor, torch.Tensor]:
    """log q(z_i) and log q(z_il) from a weighted mixture of the posteriors (mu_j, logvar_j).

    z : (R, L) samples; mu, logvar : (C, L) mixture components; logw : (R, C) or scalar log weights.
    Returns (R,) joint and (R, L) per-dimension log densities, float64.

    The joint density uses the expansion sum_l (z_il - mu_jl)^2 / v_jl = z^2 @ (1/v)^T - 2 z @ (mu/v)^T
    + sum_l mu^2/v: two float64 matmuls instead of an (R, C, L) tensor. The per-dimension
    marginals need the (R, C, L) tensor; it is float32 (its terms are O(10) nats; the logsumexp
    error is ~1e-6 relative), which halves the time of the O(N^2 L) part.
    """
    iv = torch.exp(-logvar)  # (C, L)
    quad = (z.pow(2) @ iv.T) - 2 * (z @ (mu * iv).T) + (mu.pow(2) * iv).sum(-1)  # (R, C)
    joint_lp = -0.5 * (_LOG_2PI * z.shape[1] + logvar.sum(-1) + quad)  # (R, C)
    joint = torch.logsumexp(joint_lp + logw, dim=1)  # (R,)
    # (L, R, C) layout so the logsumexp reduces over the contiguous last axis (1.5x faster)
    zt = z.float().T.contiguous()[:, :, None]  # (L, R, 1)
    mt, lvt = mu.float().T.contiguous()[:, None, :], logvar.float().T.contiguous()[:, None, :]  # (L, 1, C)
    lp = (zt - mt).pow_(2).mul_(torch.exp(-lvt)).add_(lvt + _LOG_2PI).mul_(-0.5)  # (L, R, C)
    lp = lp.add_(logw.float()[None] if torch.is_tensor(logw) else logw)
    marginal = torch.logsumexp(lp, dim=2).T.double()  # (R, L)
    return joint, marginal


@torch.no_grad()
def kl_decomposition(mu: torch.Tensor, logvar: torch.Tensor,
                     method: Literal["exact", "mws", "mss"] = "exact", *, batch_size: int = 1024,
                     published_normaliser: bool = False, generator: torch.Generator | None = None,
                     chunk_elements: int = 2**24) -> dict[str, float | torch.Tensor]:
    """Decompose E_x KL(q(z|x) || N(0, I)) into I(z;x), TC(z) and the dimension-wise KL.

    The data distribution is uniform over the N points whose posteriors are given. One sample
    z_n ~ q(z|x_n) per point feeds Monte-Carlo averages of

    - I(z;x) = E[log q(z|x) - log q(z)],
    - TC(z) = E[log q(z) - sum_j log q(z_j)],
    - dimension-wise KL = E[sum_j log q(z_j) - log p(z_j)],

    which add up, sample by sample, to the Monte-Carlo KL E[log q(z|x) - log p(z)]; ``kl`` is the
    analytic average KL. Methods differ only in how log q(z_n) is estimated:

    ``"exact"``
        q(z_n) = (1/N) sum_m q(z_n|x_m) over all N points: O(N^2 L) time, done in chunks.
        I(z;x) <= log N by construction (the ceiling is returned as ``log_n``).
    ``"mws"``
        Minibatch weighted sampling (Chen et al. 2018, sec. 4): the N points are split into random
        batches of ``batch_size`` M and q(z_n) = (1/M) sum_{m in batch} q(z_n|x_m). Bias: the own
        term q(z_n|x_n) gets weight 1/M instead of 1/N, so log q(z) is over-estimated when posteriors
        are sharp: I(z;x) is then under-estimated, with a ceiling of about log M. Exact when M = N.
        ``published_normaliser=True`` uses the paper's log(NM) in place of log M: that shifts
        log q(z) and each log q(z_j) by -log N, i.e. I(z;x) by +log N and TC by +(L-1) log N.
    ``"mss"``
        Minibatch stratified sampling (Chen et al. 2018, appendix): the own term gets its true weight
        1/N and the M-1 others (N-1)/(N(M-1)) each, an unbiased estimate of q(z_n); the log of it is
        biased low by Jensen's inequality (I(z;x) over-, TC under-estimated), the more so the smaller
        M and the sharper the posteriors: TC can come out negative. Exact when M = N.
        The weights are put on the diagonal of the batch's weight matrix (rtqichen/beta-tcvae PR #1
        fixed public code that filled a column instead).

    Parameters
    ----------
    mu, logvar : (N, L) posterior parameters of N data points.
    method : "exact", "mws" or "mss".
    batch_size : M for the sampling methods (clipped to N).
    published_normaliser : only for "mws", see above.
    generator : torch.Generator for the samples z and the batches.
    chunk_elements : memory bound: rows are processed so that rows x N x L stays below this.

    Returns
    -------
    dict with floats ``kl`` (analytic), ``kl_mc``, ``mi``, ``tc``, ``dimwise_kl``, their standard
    errors ``*_se`` over the N samples, ``log_n`` = log N, ``seconds``, and the (L,) tensor
    ``dimwise_kl_per_dim``; all in nats. Used by chapter 1.
    """
    if mu.ndim != 2 or mu.shape != logvar.shape:
        raise ValueError(f"mu and logvar must both be (N, L), got {tuple(mu.shape)} and {tuple(logvar.shape)}")
    if method not in ("exact", "mws", "mss"):
        raise ValueError(f"method must be 'exact', 'mws' or 'mss', got {method!r}")
    start = time.perf_counter()
    mu, logvar = mu.double(), logvar.double()  # float64: sums over 1e4 terms of ~1e1 nats
    n, dims = mu.shape
    eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
    z = mu + eps * (0.5 * logvar).exp()  # (N, L)
    log_qzx = _log_normal(z, mu, logvar).sum(-1)  # (N,)
    log_pz_dims = _log_normal(z, torch.zeros(()), torch.zeros(()))  # (N, L)
    log_qz = torch.empty(n, dtype=mu.dtype)
    log_qz_dims = torch.empty(n, dims, dtype=mu.dtype)

    if method == "exact":
        rows = max(1, chunk_elements // (n * dims))
        for i in range(0, n, rows):
            j, m = _aggregate_logs(z[i:i + rows], mu, logvar, -math.log(n))
            log_qz[i:i + rows], log_qz_dims[i:i + rows] = j, m
    else:
        m_size = min(batch_size, n)
        perm = torch.randperm(n, generator=generator)
        for b in range(0, n, m_size):
            idx = perm[b:b + m_size]
            size = len(idx)
            if method == "mws":
                logw: torch.Tensor | float = -math.log(size) - (math.log(n) if published_normaliser else 0.0)
            else:
                off = math.log((n - 1) / (n * (size - 1))) if size > 1 else -math.inf
                logw = torch.full((size, size), off, dtype=mu.dtype)
                logw.fill_diagonal_(-math.log(n))  # own term on the diagonal, weight 1/N
            jnt, mrg = _aggregate_logs(z[idx], mu[idx], logvar[idx], logw)
            log_qz[idx], log_qz_dims[idx] = jnt, mrg

    terms = {
        "mi": log_qzx - log_qz,
        "tc": log_qz - log_qz_dims.sum(-1),
        "dimwise_kl": (log_qz_dims - log_pz_dims).sum(-1),
        "kl_mc": log_qzx - log_pz_dims.sum(-1),
    }
    out: dict[str, float | torch.Tensor] = {"kl": float(gaussian_kl(mu, logvar).sum(-1).mean())}
    for name, t in terms.items():
        out[name] = float(t.mean())
        out[f"{name}_se"] = float(t.std() / math.sqrt(n)) if n > 1 else float("nan")
    out["dimwise_kl_per_dim"] = (log_qz_dims - log_pz_dims).mean(0).float()
    out["log_n"] = math.log(n)
    out["seconds"] = time.perf_counter() - start
    return out


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


def binary_kl_inverse(q: float, c: float, tol: float = 1e-10) -> float:
    """The largest p in [q, 1] with kl(q || p) <= c, for Bernoulli kl, by bisection.

    Closed form at q = 0: 1 - exp(-c). Used by :func:`pac_bayes_bound`.
    """
    def kl(a: float, b: float) -> float:
        out = 0.0
        if a > 0:
            out += a * math.log(a / b)
        if a < 1:
            out += (1 - a) * math.log((1 - a) / (1 - b))
        return out

    lo, hi = q, 1.0
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if mid >= 1.0 or kl(q, mid) > c:
            hi = mid
        else:
            lo = mid
    return lo


def pac_bayes_bound(train_error: float, kl_nats: float, n: int, delta: float = 0.05) -> float:
    """PAC-Bayes bound on the expected test error of the stochastic (Gibbs) classifier Q.

    Langford & Seeger 2001 / Seeger 2002 (as used by Dziugaite & Roy 2017): with probability >= 1 - delta,
    kl(train_error || test_error) <= (KL(Q || P) + log(2 sqrt(n) / delta)) / n, with train_error the
    Gibbs classifier's empirical error on the n training examples. Returns the kl-inverse (<= 1; a bound
    of 1 is vacuous). Used by chapter 6.
    """
    c = (kl_nats + math.log(2 * math.sqrt(n) / delta)) / n
    return binary_kl_inverse(train_error, c)


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
