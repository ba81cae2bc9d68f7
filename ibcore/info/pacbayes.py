"""PAC-Bayes certificates of the test error of a stochastic (Gibbs) classifier. Used by chapter 6.

The certificate follows Dziugaite & Roy 2017 and Pérez-Ortiz et al. 2021:

1. the **PAC-Bayes-kl bound** (Langford & Seeger 2001; Maurer 2004): for a prior P chosen before seeing the
   N examples of the bound's sample, with probability >= 1 - delta, for every posterior Q at once,
   ``kl(e_S(Q) || e(Q)) <= (KL(Q || P) + ln(2 sqrt(N) / delta)) / N``;
2. a **union bound** over a grid of K prior scales: each gets delta / K, so the best one may be picked
   after training;
3. the **sample convergence bound** (Langford & Caruana 2002): e_S(Q) is an expectation over w ~ Q,
   estimated from m Monte-Carlo draws; with probability >= 1 - delta_mc,
   ``e_S(Q) <= kl^{-1}(e_hat, ln(2 / delta_mc) / m)``.

4. a **union bound over the recipes** looked at: when C configurations (learning rates, epochs, initial
   scales, ...) were scored by their bound on the same sample before one was kept, each gets delta / (K C).

Together, with probability >= 1 - delta - delta_mc, the test error of Q is at most
``kl^{-1}(kl^{-1}(e_hat, ln(2/delta_mc)/m), (KL + ln(2 sqrt(N) K C / delta)) / N)``. Everything in nats.

:func:`test_set_bound` is the baseline a certificate should be read against: the one-sided bound of a
classifier fixed before the sample (e.g. the prior's mean network), from its error on that sample.
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["binary_kl", "binary_kl_inverse", "pac_bayes_bound", "sample_convergence_bound", "prior_scale_grid",
           "snap_to_grid", "certificate", "test_set_bound", "quad_bound_objective", "bounded_cross_entropy",
           "gibbs_errors"]


def binary_kl(q: float, p: float) -> float:
    """kl(q || p) between Bernoulli(q) and Bernoulli(p), in nats (inf where p is 0 or 1 and q is not)."""
    out = 0.0
    for a, b in ((q, p), (1.0 - q, 1.0 - p)):
        if a > 0:
            out += a * math.log(a / b) if b > 0 else math.inf
    return out


def binary_kl_inverse(q: float, c: float, tol: float = 1e-12) -> float:
    """The largest p in [q, 1] with kl(q || p) <= c, by bisection (the "kl inverse" of the bounds).

    Closed form at q = 0: 1 - exp(-c). Used by :func:`pac_bayes_bound` and :func:`certificate`.
    """
    if not 0.0 <= q <= 1.0 or c < 0:
        raise ValueError(f"need q in [0, 1] and c >= 0, got q={q}, c={c}")
    lo, hi = q, 1.0
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if binary_kl(q, mid) > c:
            hi = mid
        else:
            lo = mid
    return hi  # the side of the bisection that is an upper bound


def pac_bayes_bound(train_error: float, kl_nats: float, n: int, delta: float = 0.05) -> float:
    """The PAC-Bayes-kl bound on the expected test error of the Gibbs classifier Q.

    Langford & Seeger 2001, Maurer 2004 (as used by Dziugaite & Roy 2017): with probability >= 1 - delta,
    kl(train_error || test_error) <= (KL(Q || P) + ln(2 sqrt(n) / delta)) / n, with train_error the
    Gibbs classifier's exact empirical error on the n examples. Returns the kl inverse (<= 1; a bound
    of 1 is vacuous). Used by chapter 6.
    """
    c = (kl_nats + math.log(2 * math.sqrt(n) / delta)) / n
    return binary_kl_inverse(train_error, c)


def sample_convergence_bound(error_hat: float, draws: int, delta: float) -> float:
    """Upper bound on a mean error from ``draws`` independent 0/1 draws with average ``error_hat``.

    Langford & Caruana 2002 (the Monte-Carlo step of Dziugaite & Roy 2017, eq. 7): with probability
    >= 1 - delta, mean <= kl^{-1}(error_hat, ln(2 / delta) / draws). Chernoff-Hoeffding's bound holds for
    independent variables in [0, 1] with different means, so a draw may be one (example, weight sample)
    pair. Closed form at error_hat = 0: 1 - (delta / 2)^(1 / draws).
    """
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    return binary_kl_inverse(error_hat, math.log(2 / delta) / draws)


def prior_scale_grid(sigma_max: float, sigma_min: float, k: int) -> np.ndarray:
    """``k`` prior standard deviations, geometrically spaced from ``sigma_max`` down to ``sigma_min``:
    the grid the union bound of :func:`certificate` pays ln k nats for."""
    if not 0 < sigma_min <= sigma_max or k < 1:
        raise ValueError(f"need 0 < sigma_min <= sigma_max and k >= 1, got {sigma_min}, {sigma_max}, {k}")
    return np.geomspace(sigma_max, sigma_min, k)


def snap_to_grid(sigma: float, grid: np.ndarray) -> float:
    """The grid point nearest to ``sigma`` on a log scale (Dziugaite & Roy 2017 discretise the learned
    prior scale the same way before the bound is computed)."""
    grid = np.asarray(grid, dtype=float)
    return float(grid[np.argmin(np.abs(np.log(grid) - math.log(sigma)))])


def certificate(error_hat: float, draws: int, kl_nats: float, n: int, delta: float = 0.025,
                delta_mc: float = 0.01, grid_size: int = 1, configs: int = 1) -> dict[str, float]:
    """The test-error certificate of a Gibbs classifier and every ingredient of it.

    Parameters
    ----------
    error_hat : Monte-Carlo estimate of the Gibbs classifier's error on the bound's ``n`` examples.
    draws : number of independent 0/1 draws behind ``error_hat`` (examples x weight samples when each
        example gets fresh weights, as with the local reparameterisation trick).
    kl_nats : KL(Q || P) with the prior P at its (snapped) grid scale.
    n : size of the bound's sample (independent of the prior).
    delta, delta_mc : confidence of the PAC-Bayes and Monte-Carlo steps; the certificate holds with
        probability >= 1 - delta - delta_mc.
    grid_size : number of prior scales the prior was picked from (union bound: delta / grid_size each).
    configs : number of training recipes whose bound on this sample was looked at before this one was
        kept (union bound: a further factor 1 / configs on delta).

    Returns
    -------
    dict: ``error_hat``, ``error_upper`` (after the Monte-Carlo step), ``kl``, ``n``, ``delta``,
    ``delta_mc``, ``grid_size``, ``configs``, ``complexity`` ((KL + ln(2 sqrt(n) K C / delta)) / n) and
    ``bound``.
    Dziugaite & Roy 2017, section 4; used by chapter 6.
    """
    if configs < 1:
        raise ValueError(f"configs must be >= 1, got {configs}")
    upper = sample_convergence_bound(error_hat, draws, delta_mc)
    complexity = (kl_nats + math.log(2 * math.sqrt(n) * grid_size * configs / delta)) / n
    return {"error_hat": error_hat, "error_upper": upper, "kl": kl_nats, "n": n, "delta": delta,
            "delta_mc": delta_mc, "grid_size": grid_size, "configs": configs, "complexity": complexity,
            "bound": binary_kl_inverse(upper, complexity)}


def test_set_bound(error: float, n: int, delta: float) -> float:
    """One-sided test-set bound on the error of a classifier chosen before seeing ``n`` examples on which
    it makes a fraction ``error`` of mistakes: with probability >= 1 - delta, its true error is at most
    ``kl^{-1}(error, ln(1 / delta) / n)`` (Chernoff's bound on the binomial tail; Langford 2005, "Tutorial
    on practical prediction theory", section 3). A PAC-Bayes bound with KL = 0 (posterior = prior) pays
    ln(2 sqrt(n)) nats more. Chapter 6 reads its certificate against this bound for the prior's network.
    """
    if n < 1 or not 0 < delta < 1:
        raise ValueError(f"need n >= 1 and 0 < delta < 1, got n={n}, delta={delta}")
    return binary_kl_inverse(error, math.log(1 / delta) / n)


def quad_bound_objective(loss: torch.Tensor, kl: torch.Tensor, n: int, delta: float = 0.025) -> torch.Tensor:
    """The quadratic relaxation of the PAC-Bayes-kl bound (Pérez-Ortiz et al. 2021, eq. 11, "f_quad"):

        ( sqrt(loss + c / 2) + sqrt(c / 2) )^2,   c = (KL + ln(2 sqrt(n) / delta)) / n,

    an upper bound on the kl inverse of ``loss`` at c, differentiable in the empirical ``loss`` (in [0, 1],
    e.g. :func:`bounded_cross_entropy`) and in ``kl`` (nats). Used by chapter 6 to train the certificate.
    """
    c = (kl + math.log(2 * math.sqrt(n) / delta)) / n
    return (torch.sqrt(loss + c / 2) + torch.sqrt(c / 2)).pow(2)


def bounded_cross_entropy(logits: torch.Tensor, y: torch.Tensor, p_min: float = 1e-4) -> torch.Tensor:
    """Cross-entropy with probabilities floored at ``p_min``, divided by ln(1 / p_min): a loss in [0, 1]
    that the bound's objective can use (Pérez-Ortiz et al. 2021, section 5; Dziugaite & Roy 2017 bound
    the 0-1 error with it as a surrogate). logits (B, C), y (B,); returns the batch mean."""
    logp = torch.log_softmax(logits, dim=1).gather(1, y[:, None]).squeeze(1)  # (B,)
    return (-logp.clamp_min(math.log(p_min))).mean() / math.log(1 / p_min)


@torch.no_grad()
def gibbs_errors(model, x: torch.Tensor, y: torch.Tensor, samples: int, batch_size: int = 4096) -> torch.Tensor:
    """0/1 errors of the Gibbs classifier: ``samples`` passes, each example with fresh weights from q
    (``model(x, sample=True)``, local reparameterisation). Returns (samples, N) float errors: their mean
    is the Monte-Carlo estimate, their count the ``draws`` of :func:`certificate`. Used by chapter 6."""
    y = y.to(x.device)
    out = torch.empty(samples, len(x))
    for s in range(samples):
        for i in range(0, len(x), batch_size):
            pred = model(x[i:i + batch_size], sample=True).argmax(1)
            out[s, i:i + batch_size] = (pred != y[i:i + batch_size]).float().cpu()
    return out
