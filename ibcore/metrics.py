"""Disentanglement metrics, with disentanglement_lib's conventions stated.

- :func:`mig`: the mutual information gap (Chen et al. 2018), computed as disentanglement_lib does:
  codes are posterior *means*, each latent is discretised into ``n_bins`` equal-width bins between its
  minimum and maximum, I(z_j; v_k) is the discrete mutual information (nats), and the gap between the
  two latents most informative about factor k is divided by H(v_k) and averaged over factors. Over
  dSprites' 5 factors this is disentanglement_lib's ``dsprites_full``; Chen et al. average over 4 factors
  (scale, orientation, posX, posY: shape is left out) and estimate I(z_j; v_k) from samples of q(z_j|x)
  instead of histograms of means, so the two numbers differ: pass ``factor_subset`` for Chen's.
  **A perfect code does not score 1** when a factor has more values than bins: 20 bins cannot separate
  orientation's 40 values or the positions' 32, so I(z_k; v_k) = H(binned v_k) < H(v_k). A code equal to
  dSprites' factors scores 0.902 over the 5 factors on the full grid (:func:`perfect_code_mig`) and about
  0.896 on 10,000 sampled images (the runner-up latents' plug-in MI is then slightly above 0).
- :func:`dci`: DCI disentanglement and completeness (Eastwood & Williams 2018) from the feature
  importances of one tree ensemble per factor, and informativeness as held-out accuracy.
  ``model="gbt"`` is disentanglement_lib's choice (scikit-learn's ``GradientBoostingClassifier`` with its
  defaults); ``model="forest"`` (the default) a random forest, about 10x faster on a CPU. The two give
  different numbers on mixed codes (the forest's disentanglement was 0.07-0.13 lower in issue 14's
  reruns), so compare DCI scores only between codes scored with the same model.
- Object-centric metrics (chapter 7): :func:`adjusted_rand_index` (batched, equal to scikit-learn's
  ``adjusted_rand_score`` scene by scene), :func:`fg_ari` (the foreground ARI of Greff et al. 2019 and
  Locatello et al. 2020: the ARI over the pixels that belong to an object in the ground truth),
  :func:`match_objects` (slots to objects by mask IoU), :func:`active_slots` (counting) and
  :func:`ridge_r2` (held-out R^2 of a linear read-out, its ridge strength chosen on the fit split).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.metrics import mutual_info_score

__all__ = ["discretize", "mutual_information_matrix", "mig", "perfect_code_mig", "dci", "dominant_latents", "emergence_steps", "kl_columns",
           "switch_on_spacing", "onset_kl_rank_correlation", "adjusted_rand_index", "fg_ari", "match_objects",
           "active_slots", "ridge_r2"]


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
    float in [0, 1] (and the per-factor gaps if asked). A factor with more values than ``n_bins`` caps
    its gap below 1 even for a perfect code (see :func:`perfect_code_mig`: 0.902 on dSprites). Used by
    chapter 2.
    """
    factors = np.asarray(factors)
    keep = list(range(factors.shape[1])) if factor_subset is None else list(factor_subset)
    m = mutual_information_matrix(codes, factors[:, keep], n_bins)  # (L, K')
    entropy = np.array([mutual_info_score(factors[:, k], factors[:, k]) for k in keep])  # H(v_k), nats
    top = np.sort(m, axis=0)[::-1]
    second = top[1] if len(top) > 1 else np.zeros_like(top[0])
    gaps = (top[0] - second) / entropy
    return (float(gaps.mean()), gaps) if per_factor else float(gaps.mean())


def perfect_code_mig(factor_sizes: Sequence[int], n_bins: int = 20) -> float:
    """The MIG of a code equal to uniform factors of ``factor_sizes``, computed exactly: the ceiling of
    :func:`mig` with equal-width bins.

    Latent k = factor k (values 0..size-1) binned into ``n_bins`` equal-width bins keeps H(binned v_k) of
    H(v_k) = log(size) nats; the other latents carry nothing about v_k. So the score is
    mean_k H(binned v_k) / log(size_k): 1 when every factor has at most ``n_bins`` values, 0.902 for
    dSprites' (3, 6, 40, 32, 32) with 20 bins (0.896 from :func:`mig` on 10,000 sampled images). Used by
    chapter 2 and its tests.
    """
    ratios = []
    for size in factor_sizes:
        binned = discretize(np.arange(size, dtype=np.float64)[:, None], n_bins)[:, 0]
        p = np.bincount(binned)[1:] / size
        p = p[p > 0]
        ratios.append(float(-(p * np.log(p)).sum() / np.log(size)) if size > 1 else 1.0)
    return float(np.mean(ratios))


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
        seed: int = 0, n_estimators: int = 50, model: str = "forest") -> dict[str, float]:
    """DCI disentanglement, completeness and informativeness (Eastwood & Williams 2018).

    R[j, k] is the importance of latent j for predicting factor k (one classifier per factor).
    Disentanglement = sum_j rho_j (1 - H_K(P_j.)), with P = R normalised over factors, H_K the entropy in
    base K, rho_j the share of latent j in all importance; completeness the same with latents and
    factors swapped; informativeness the mean held-out accuracy.

    ``model="forest"``: a random forest of ``n_estimators`` trees of depth <= 10 that sees every latent at
    every split. ``model="gbt"``: disentanglement_lib's ``GradientBoostingClassifier()`` with
    scikit-learn's defaults (100 stages of depth-3 trees; ``n_estimators`` is ignored), slower (one tree
    per class and stage). The two models' scores are not interchangeable. Used by chapter 2 (which uses
    the forest, for time).
    """
    if model not in ("forest", "gbt"):
        raise ValueError(f"model must be 'forest' or 'gbt', got {model!r}")
    factors_train, factors_test = np.asarray(factors_train), np.asarray(factors_test)
    n_lat, n_fac = codes_train.shape[1], factors_train.shape[1]
    importance = np.zeros((n_lat, n_fac))
    accuracy = []
    for k in range(n_fac):
        if model == "gbt":
            clf = GradientBoostingClassifier(random_state=seed)
        else:
            # every split sees every latent (max_features=None): with random subsets a tree must split on
            # irrelevant latents whenever the relevant one is left out, which inflates their importance
            clf = RandomForestClassifier(n_estimators=n_estimators, max_depth=10, max_features=None,
                                         random_state=seed, n_jobs=1)
        clf.fit(codes_train, factors_train[:, k])
        importance[:, k] = np.abs(clf.feature_importances_)
        accuracy.append(clf.score(codes_test, factors_test[:, k]))

    def weighted_one_minus_entropy(r: np.ndarray) -> float:
        p = r / np.clip(r.sum(1, keepdims=True), 1e-12, None)
        h = -(p * np.log(np.clip(p, 1e-12, None))).sum(1) / np.log(r.shape[1])
        rho = r.sum(1) / max(r.sum(), 1e-12)
        return float((rho * (1 - h)).sum())

    return {"disentanglement": weighted_one_minus_entropy(importance),
            "completeness": weighted_one_minus_entropy(importance.T),
            "informativeness": float(np.mean(accuracy))}


def switch_on_spacing(onsets: Sequence[float], steps: int) -> float:
    """Mean spacing between successive switch-on steps, as a fraction of training: (last - first) / (k - 1) / steps.

    ``onsets`` are the switch-on steps of a model's k active latents (:func:`emergence_steps`; latents that
    never switch on are left out). Factors that come in one at a time, spread over training, give a large
    spacing; latents that switch on together, a small one. NaN for fewer than 2 latents. Chapter 2's
    "one factor at a time" statistic.
    """
    x = np.sort(np.asarray([o for o in onsets if np.isfinite(o)], dtype=np.float64))
    if len(x) < 2:
        return float("nan")
    return float((x[-1] - x[0]) / (len(x) - 1) / steps)


def onset_kl_rank_correlation(onsets: Sequence[float], final_kl: Sequence[float]) -> float:
    """Spearman correlation between the switch-on step and the final KL of a model's active latents.

    -1 when the latents switch on in order of the information they end up carrying (the most informative
    first: slide 4's "non-linear PCA"); NaN for fewer than 2 latents or a constant input. Chapter 2.
    """
    from scipy.stats import spearmanr

    o, k = np.asarray(onsets, dtype=np.float64), np.asarray(final_kl, dtype=np.float64)
    keep = np.isfinite(o)
    if keep.sum() < 2 or np.ptp(o[keep]) == 0 or np.ptp(k[keep]) == 0:
        return float("nan")
    return float(spearmanr(o[keep], k[keep]).statistic)


def adjusted_rand_index(true: torch.Tensor, pred: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Adjusted Rand index (Hubert & Arabie 1985) of two labelings, scene by scene: (B,) float64.

    ``true`` and ``pred`` are (B, P) non-negative integer labels (any trailing shape is flattened); ``mask``
    (B, P) bool keeps only some pixels (:func:`fg_ari` keeps the foreground). With n_ij the contingency table,
    a_i and b_j its margins, n the pixels kept and C(m) = m (m - 1) / 2,

        ARI = (sum_ij C(n_ij) - E) / ((sum_i C(a_i) + sum_j C(b_j)) / 2 - E),  E = sum_i C(a_i) sum_j C(b_j) / C(n).

    Where the denominator vanishes (both labelings one cluster, or both all singletons, or n < 2) it is 1,
    as scikit-learn's ``adjusted_rand_score`` returns. Used by chapter 7.
    """
    t, p = true.flatten(1).long(), pred.flatten(1).long()
    if t.shape != p.shape:
        raise ValueError(f"true and pred must have the same shape, got {tuple(true.shape)} and {tuple(pred.shape)}")
    if (t < 0).any() or (p < 0).any():
        raise ValueError("labels must be non-negative integers")
    w = torch.ones_like(t, dtype=torch.float64) if mask is None else mask.flatten(1).to(torch.float64)
    n_t, n_p = int(t.max()) + 1, int(p.max()) + 1
    table = torch.zeros(t.shape[0], n_t * n_p, dtype=torch.float64).scatter_add_(1, t * n_p + p, w)
    table = table.view(-1, n_t, n_p)  # (B, T, P) contingency

    def comb2(m: torch.Tensor) -> torch.Tensor:
        return m * (m - 1) / 2

    index = comb2(table).sum((1, 2))
    sum_a, sum_b = comb2(table.sum(2)).sum(1), comb2(table.sum(1)).sum(1)
    pairs = comb2(table.sum((1, 2)))
    expected = torch.where(pairs > 0, sum_a * sum_b / pairs.clamp_min(1), 0.0)
    denom = 0.5 * (sum_a + sum_b) - expected
    ok = (denom.abs() > 1e-12) & (pairs > 0)
    return torch.where(ok, (index - expected) / torch.where(ok, denom, 1.0), 1.0)


def fg_ari(true_labels: torch.Tensor, pred_labels: torch.Tensor) -> torch.Tensor:
    """Foreground ARI (Greff et al. 2019, section 4.1; Locatello et al. 2020): the ARI over the pixels that
    belong to an object in the ground truth, per scene: (B,) float64.

    ``true_labels`` (B, H, W) has 0 for background and 1.. for objects (``Scenes.labels()``);
    ``pred_labels`` (B, H, W) any non-negative segment ids (a model's argmax over its masks, or a fixed
    partition broadcast to the batch). The background is ignored, so a segmentation is not penalised for
    what it does there: a fixed grid can score well (chapter 7's control). Used by chapter 7.
    """
    pred_labels = pred_labels.expand_as(true_labels)
    return adjusted_rand_index(true_labels, pred_labels, mask=true_labels > 0)


def match_objects(pred_labels: torch.Tensor, true_masks: torch.Tensor, segments: int) -> torch.Tensor:
    """Match each true object to one predicted segment by the Hungarian algorithm on mask IoU.

    ``pred_labels`` (B, H, W) segment ids in 0..segments-1; an id of ``segments`` or more (e.g. a model's
    background component, numbered last) belongs to no segment. ``true_masks`` (B, N, H, W) bool (empty rows
    for absent objects). Returns (B, N) int64: the segment matched to each object, -1 for absent objects.
    Each segment is matched at most once (needs ``segments >= N``). Used by chapter 7 (which slot is which
    object).
    """
    from scipy.optimize import linear_sum_assignment

    b, n = true_masks.shape[:2]
    ids = pred_labels.flatten(1).long().clamp_max(segments)
    onehot = torch.nn.functional.one_hot(ids, segments + 1)[..., :segments].bool()  # (B, HW, S)
    tm = true_masks.flatten(2)  # (B, N, HW)
    inter = torch.einsum("bnp,bps->bns", tm.double(), onehot.double())  # (B, N, S)
    union = tm.sum(2, keepdim=True).double() + onehot.sum(1, keepdim=True).double() - inter
    iou = (inter / union.clamp_min(1)).numpy()
    present = tm.any(2).numpy()
    out = torch.full((b, n), -1, dtype=torch.int64)
    for i in range(b):
        rows = np.flatnonzero(present[i])
        if len(rows):
            r, c = linear_sum_assignment(-iou[i, rows])
            out[i, rows[r]] = torch.as_tensor(c, dtype=torch.int64)
    return out


def active_slots(masks: torch.Tensor, min_pixels: int = 4, background_last: bool = True) -> torch.Tensor:
    """Count the slots a model uses in each scene: (B,) int64.

    ``masks`` (B, S, H, W) are mixture weights over segments; a slot is *active* when it is the argmax at
    ``min_pixels`` pixels or more. With ``background_last`` the last segment is the background and is not
    counted. Used by chapter 7's counting claim.
    """
    owner = masks.argmax(1)  # (B, H, W)
    s = masks.shape[1] - (1 if background_last else 0)
    sizes = torch.nn.functional.one_hot(owner.flatten(1), masks.shape[1]).sum(1)[:, :s]  # (B, S)
    return (sizes >= min_pixels).sum(1)


def ridge_r2(x_fit: np.ndarray, y_fit: np.ndarray, x_eval: np.ndarray, y_eval: np.ndarray,
             alphas: Sequence[float] = (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)) -> np.ndarray:
    """Held-out R^2 of a linear read-out of each target column: (T,).

    Features are standardised on the fit split; scikit-learn's ``RidgeCV`` chooses the ridge strength among
    ``alphas`` by leave-one-out on the **fit split only**; R^2 = 1 - SSE / SST on the evaluation split (it can
    be negative). Used by chapter 7 (how much of an object's factors one slot or one block of latents carries).
    """
    from sklearn.linear_model import RidgeCV
    from sklearn.metrics import r2_score

    x_fit, x_eval = np.asarray(x_fit, dtype=np.float64), np.asarray(x_eval, dtype=np.float64)
    y_fit, y_eval = np.asarray(y_fit, dtype=np.float64), np.asarray(y_eval, dtype=np.float64)
    mean, std = x_fit.mean(0), x_fit.std(0) + 1e-8
    model = RidgeCV(alphas=alphas).fit((x_fit - mean) / std, y_fit)
    pred = model.predict((x_eval - mean) / std).reshape(len(x_eval), -1)
    return np.asarray(r2_score(y_eval.reshape(len(y_eval), -1), pred, multioutput="raw_values"))
