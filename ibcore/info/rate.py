"""The rate I(z;x) of a code over a finite set of images, in bits. Used by chapter 5.

Over the empirical distribution of N images (each with probability 1/N), a code z = f(x) has

- if deterministic, I(z;x) = H(z): the entropy of its distinct values (log2 N when all N codes differ, the
  entropy of the labels for a label lookup, 0 for a constant code);
- if Gaussian, q(z|x_i) = N(mu_i, diag sigma_i^2), I(z;x) = E_i E_{z~q_i}[log q_i(z) - log (1/N) sum_j q_j(z)]:
  the marginal is the exact mixture of the N posteriors, so only the outer expectation is Monte Carlo.

Both are the same quantity, the mutual information under the images' empirical distribution, at most
log2 N; the Gaussian one tends to the deterministic one as sigma -> 0. Measured on a split of n images
it is that split's empirical MI, capped at log2 n: a held-out split of another size has another ceiling.

:func:`label_entropy_bits` is the plug-in entropy H(y) of a label vector (the label lookup's training rate,
and the floor beta H(y) of the training Lagrangian of any code that determines the label).
"""

from __future__ import annotations

import math

import torch

__all__ = ["deterministic_rate_bits", "gaussian_rate_bits", "label_entropy_bits"]


def deterministic_rate_bits(codes: torch.Tensor) -> float:
    """H(z) in bits of a deterministic code, ``codes`` (N, D) or (N,), over N equally likely images:
    the plug-in entropy of its distinct rows. Chapter 5."""
    codes = codes.reshape(len(codes), -1)
    _, counts = torch.unique(codes, dim=0, return_counts=True)
    p = counts.double() / len(codes)
    return max(0.0, float(-(p * p.log2()).sum()))  # max: a constant code gives 0.0, not -0.0


def label_entropy_bits(labels: torch.Tensor) -> float:
    """Plug-in entropy H(y) in bits of integer ``labels`` (N,): the empirical class frequencies, each
    count divided by N = ``len(labels)`` (the labels' own count). Chapter 5."""
    labels = labels.reshape(-1)
    if len(labels) == 0:
        raise ValueError("labels is empty")
    counts = torch.bincount(labels.long())
    p = counts[counts > 0].double() / len(labels)
    return max(0.0, float(-(p * p.log2()).sum()))


@torch.no_grad()
def gaussian_rate_bits(mu: torch.Tensor, logvar: torch.Tensor, samples: int = 4, chunk: int = 256,
                       generator: torch.Generator | None = None) -> float:
    """I(z;x) in bits of the Gaussian code q(z|x_i) = N(mu_i, diag exp(logvar_i)), mu and logvar (N, K),
    over the N equally likely images, with the exact mixture marginal and ``samples`` draws per image.
    At most log2 N. Chapter 5."""
    mu, logvar = mu.double(), logvar.double()
    n, k = mu.shape
    inv_var = (-logvar).exp()  # (N, K)
    const = (mu.pow(2) * inv_var).sum(-1) + logvar.sum(-1) + k * math.log(2 * math.pi)  # (N,)
    total = 0.0
    for start in range(0, n, chunk):
        m, lv = mu[start:start + chunk], logvar[start:start + chunk]  # (C, K)
        eps = torch.randn((samples,) + m.shape, generator=generator, dtype=m.dtype)  # (S, C, K)
        z = (m + (0.5 * lv).exp() * eps).reshape(-1, k)  # (S*C, K)
        own = (-0.5 * (eps.pow(2) + lv + math.log(2 * math.pi))).sum(-1).reshape(-1)  # (S*C,) log q_i(z)
        # log q_j(z) for every image j, expanded: (S*C, N)
        log_all = -0.5 * (z.pow(2) @ inv_var.T - 2 * z @ (mu * inv_var).T + const)
        marginal = torch.logsumexp(log_all, dim=-1) - math.log(n)  # (S*C,)
        total += float((own - marginal).sum()) / samples
    return total / n / math.log(2)
