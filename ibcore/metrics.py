"""Disentanglement metrics, with disentanglement_lib's conventions stated.

- :func:`mig`: the mutual information gap (Chen et al. 2018), computed as disentanglement_lib does:
  codes are posterior *means*, each latent is discretised into ``n_bins`` equal-width bins between its
  minimum and maximum, I(z_j; v_k) is the discrete mutual information (nats), and the gap between the
  two latents most informative about factor k is divided by H(v_k) and averaged over factors. Over
  dSprites' 5 factors this is disentanglement_lib's ``dsprites_full``; Chen et al. average over 4 factors
  (scale, orientation, posX, posY: shape is left out) and estimate I(z_j; v_k) from samples of q(z_j|x)
  instead of histograms of means, so the two numbers differ: pass ``factor_subset`` for Chen's.
- :func:`dci`: DCI disentanglement and completeness (Eastwood & Williams 2018) from the feature
  importances of one random forest per factor (disentanglement_lib uses gradient-boosted trees, slower
  on a CPU; the importances play the same role), and informativeness as held-out accuracy.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import mutual_info_score

__all__ = ["discretize", "mutual_information_matrix", "mig", "dci", "dominant_latents", "emergence_steps", "kl_columns"]


def discretize(codes: np.ndarray, n_bins: int = 20) -> np.ndarray:
    """Each column into ``n_bins`` equal-width bins between its min and max: (N, L) float -> (N, L) int."""
    codes = np.asarray(codes, dtype=np.float64)
    out = np.zeros(codes.shape, dtype=np.int64)
    for j in range(codes.shape[1]):
        edges = np.histogram(codes[:, j], bins=n_bins)[1]
        out[:, j] = np.digitize(codes[:, j], edges[:-1])  # as disentanglement_lib's _histogram_discretize
    return out


def mutual_information_matrix(codes: np.ndarray, factors: np.ndarray, n_bins: int = 20) -> np.ndarray:
    """I(z_j; v_k) in nats between discretised latents and discrete factors: (L, K).

    Used by chapter 2 (the latent x factor matrix and the factor each latent is labelled with).
    """
    disc = discretize(codes, n_bins)
    factors = np.asarray(factors)
    return np.array([[mutual_info_score(factors[:, k], disc[:, j]) for k in range(factors.shape[1])]
                     for j in range(disc.shape[1])])


def mig(codes: np.ndarray, factors: np.ndarray, n_bins: int = 20,
        factor_subset: Sequence[int] | None = None, per_factor: bool = False):
    """Mutual information gap (Chen et al. 2018, eq. 6), disentanglement_lib's conventions.

    Parameters
    ----------
    codes : (N, L) float, posterior means.
    factors : (N, K) int, factor classes.
    n_bins : bins per latent (20 in disentanglement_lib).
    factor_subset : factors to average over (default all K; Chen et al. use dSprites' [1, 2, 3, 4]).
    per_factor : also return the (K',) gaps.

    Returns
    -------
    float in [0, 1] (and the per-factor gaps if asked). Used by chapter 2.
    """
    factors = np.asarray(factors)
    keep = list(range(factors.shape[1])) if factor_subset is None else list(factor_subset)
    m = mutual_information_matrix(codes, factors[:, keep], n_bins)  # (L, K')
    entropy = np.array([mutual_info_score(factors[:, k], factors[:, k]) for k in keep])  # H(v_k), nats
    top = np.sort(m, axis=0)[::-1]
    second = top[1] if len(top) > 1 else np.zeros_like(top[0])
    gaps = (top[0] - second) / entropy
    return (float(gaps.mean()), gaps) if per_factor else float(gaps.mean())


def dominant_latents(mi: np.ndarray) -> np.ndarray:
    """For each factor k, the latent j with the largest I(z_j; v_k): (L, K) -> (K,) int. Chapter 2."""
    return np.asarray(mi).argmax(0)


def emergence_steps(history, threshold: float = 0.5, smooth: int = 1) -> dict[int, float]:
    """The first logged step at which each latent's KL passes ``threshold`` nats.

    ``history`` is a training log (pandas DataFrame) with ``step`` and ``kl_per_dim_j`` columns, as
    :func:`ibcore.train.fit` writes for :func:`ibcore.losses.beta_vae_loss`; each curve is first smoothed
    by a rolling mean over ``smooth`` logged rows (a minibatch KL is noisy). A latent that never passes
    gets ``inf``. Returns {latent: step}. Used by chapter 2's order-of-emergence claim.
    """
    cols = kl_columns(history)
    if not cols:
        raise ValueError("history has no kl_per_dim_j columns")
    steps = np.asarray(history["step"])
    out = {}
    for j, c in cols.items():
        above = np.flatnonzero(np.asarray(history[c].rolling(smooth, min_periods=1).mean()) > threshold)
        out[j] = float(steps[above[0]]) if len(above) else float("inf")
    return out


def kl_columns(history) -> dict[int, str]:
    """{latent j: column name} of the ``kl_per_dim_j`` columns of a training log, in latent order."""
    cols = (c for c in history if c.startswith("kl_per_dim_"))
    return dict(sorted((int(c.rsplit("_", 1)[1]), c) for c in cols))


def dci(codes_train: np.ndarray, factors_train: np.ndarray, codes_test: np.ndarray, factors_test: np.ndarray,
        seed: int = 0, n_estimators: int = 50) -> dict[str, float]:
    """DCI disentanglement, completeness and informativeness (Eastwood & Williams 2018).

    R[j, k] is the importance of latent j for predicting factor k (a random forest per factor).
    Disentanglement = sum_j rho_j (1 - H_K(P_j.)), with P = R normalised over factors, H_K the entropy in
    base K, rho_j the share of latent j in all importance; completeness the same with latents and
    factors swapped; informativeness the mean held-out accuracy. Used by chapter 2.
    """
    factors_train, factors_test = np.asarray(factors_train), np.asarray(factors_test)
    n_lat, n_fac = codes_train.shape[1], factors_train.shape[1]
    importance = np.zeros((n_lat, n_fac))
    accuracy = []
    for k in range(n_fac):
        # every split sees every latent (max_features=None): with random subsets a tree must split on
        # irrelevant latents whenever the relevant one is left out, which inflates their importance
        forest = RandomForestClassifier(n_estimators=n_estimators, max_depth=10, max_features=None,
                                        random_state=seed, n_jobs=1)
        forest.fit(codes_train, factors_train[:, k])
        importance[:, k] = np.abs(forest.feature_importances_)
        accuracy.append(forest.score(codes_test, factors_test[:, k]))

    def weighted_one_minus_entropy(r: np.ndarray) -> float:
        p = r / np.clip(r.sum(1, keepdims=True), 1e-12, None)
        h = -(p * np.log(np.clip(p, 1e-12, None))).sum(1) / np.log(r.shape[1])
        rho = r.sum(1) / max(r.sum(), 1e-12)
        return float((rho * (1 - h)).sum())

    return {"disentanglement": weighted_one_minus_entropy(importance),
            "completeness": weighted_one_minus_entropy(importance.T),
            "informativeness": float(np.mean(accuracy))}
