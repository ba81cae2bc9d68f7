"""PAC-Bayes bounds on the test error of a stochastic classifier. Used by chapter 6."""

from __future__ import annotations

import math
import time
from typing import Literal

import torch

__all__ = ["binary_kl_inverse", "pac_bayes_bound"]


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


