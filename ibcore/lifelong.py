"""Life-long learning of a VAE across domains by generative replay, after VASE (chapter 8).

Achille et al. 2018 (VASE, "Life-Long Disentangled Representation Learning with Cross-Domain Latent
Homologies") learn a sequence of domains with one β-VAE. Three of its mechanisms, and how far this module
follows them:

1. **Latent usage.** A latent is *used* in a domain when its average KL to the prior on that domain's
   data exceeds a threshold (VASE's latent mask a^s); unused latents are spare capacity for new factors.
   :func:`latent_usage`.
2. **Dreaming (generative replay).** While a new domain is learned, a frozen copy of the previous model
   (its "snapshot", parameters phi', theta') decodes prior samples into images of the domains it knew,
   x' ~ p_theta'(x | z), and the new model is asked to encode and decode them as the snapshot does:

       L_replay = E_{z ~ p(z), x' = dec_theta'(z)} [ KL(q_phi(z | x') || q_phi'(z | x'))
                                                    + H(p_theta'(x | z), p_theta(x | z)) ],

   the paper's "dreaming feedback" term (an encoder divergence and a decoder divergence on dreamt data;
   we take both as KL-type terms: the exact Gaussian KL between the two posteriors, and the
   cross-entropy of the new decoder against the old decoder's Bernoulli means, which differs from the
   KL by the old decoder's entropy, a constant for the new model). :func:`dream`, :func:`replay_loss`.
3. **Domain inference.** VASE infers the environment s from how atypical a batch's latent usage and
   reconstruction error are against what the model knows (a threshold, kappa in the paper), and gives s to
   the decoder. Here the domain is read back from the codes afterwards: :func:`domain_readout` picks the
   latent and the threshold on one half of the codes and scores them on the other half.

**Simplifications (named as such in chapter 8).**

(a) *Objective.* The model is a fixed-beta beta-VAE (:func:`ibcore.losses.beta_vae_loss`), not VASE's
    capacity-constrained objective gamma |KL - C| (Burgess et al. 2018), on which VASE's allocation of
    spare capacity rests.
(b) *No environment variable s and no latent mask during training.* The model is :class:`ibcore.models.VAE`
    unchanged: there is no decoder input for s, and no mask a^s replaces unused latents by prior noise
    while the model trains; the domain has to be carried by the latents themselves, like any other factor,
    and is *inferred* by the encoder, never given. The mask appears only in dreams: they are decoded from
    the latents the old model used, the unused ones set to 0, their prior mean, so that a spare latent is
    free to carry the new domain without contradicting the dreams.
(c) *Inference of s.* Nothing infers s per batch as VASE does; the domain is read per image from the codes
    after training (:func:`domain_readout`), which says only whether one latent separates the domains.
(d) Both replay terms have weight 1 and dreams are drawn fresh at every step: a replay step costs two
    forward/backward passes (data and dreams) against one for naive fine-tuning.

Units: nats per image (sums over latents and pixels, means over the batch), as :mod:`ibcore.losses`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ibcore.losses import gaussian_kl
from ibcore.models import VAE

__all__ = ["frozen_copy", "latent_usage", "dream", "gaussian_kl_between", "replay_loss", "reconstruction_error",
           "kl_per_latent", "DomainReadout", "half_split", "domain_readout", "translate"]


def frozen_copy(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` in eval mode with gradients off: the snapshot that dreams. Chapter 8."""
    old = copy.deepcopy(model).eval()
    for p in old.parameters():
        p.requires_grad_(False)
    return old


@torch.no_grad()
def kl_per_latent(model: VAE, x: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """E_x KL(q(z_j | x) || p(z_j)) per latent on images ``x``, in nats: (L,). Chapter 8."""
    mu, logvar = model.posterior(x, batch_size)
    return gaussian_kl(mu, logvar).mean(0)


def latent_usage(kl: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """VASE's latent mask: latent j is used when its average KL to the prior exceeds ``threshold`` nats.

    ``kl`` (L,) per-latent KL on a domain's data (:func:`kl_per_latent`); returns (L,) bool. Chapter 8.
    """
    if threshold < 0:
        raise ValueError(f"threshold must be >= 0 nats, got {threshold}")
    return torch.as_tensor(kl) > threshold


@torch.no_grad()
def dream(old: VAE, n: int, mask: torch.Tensor, generator: torch.Generator | None = None,
          device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Dreamt images of the domains ``old`` knows: decode prior samples on its used latents.

    z_j ~ N(0, 1) where ``mask`` (L,) is True, z_j = 0 (the prior mean) on unused latents
    (simplification (b) of the module docstring); x' = sigmoid(dec(z)) are the old decoder's Bernoulli
    means, used as soft images. The noise comes from ``generator`` (on the CPU, for reproducibility).

    Returns
    -------
    (z (n, L), x' (n, 1, H, W) in [0, 1]). Chapter 8.
    """
    device = device or next(old.parameters()).device
    mask = torch.as_tensor(mask, dtype=torch.bool)
    z = torch.randn(n, mask.numel(), generator=generator) * mask.float()  # (n, L)
    z = z.to(device)
    return z, torch.sigmoid(old.decode(z))


def gaussian_kl_between(mu1: torch.Tensor, logvar1: torch.Tensor, mu2: torch.Tensor,
                        logvar2: torch.Tensor) -> torch.Tensor:
    """KL(N(mu1, exp(logvar1)) || N(mu2, exp(logvar2))) per latent, nats: (B, L).

    Closed form 0.5 (logvar2 - logvar1 + (exp(logvar1) + (mu1 - mu2)^2) / exp(logvar2) - 1). With
    mu2 = 0, logvar2 = 0 it is :func:`ibcore.losses.gaussian_kl`. Chapter 8.
    """
    return 0.5 * (logvar2 - logvar1 + (logvar1.exp() + (mu1 - mu2).pow(2)) / logvar2.exp() - 1.0)


def replay_loss(new: VAE, old: VAE, z: torch.Tensor, x_dream: torch.Tensor) -> dict[str, torch.Tensor]:
    """VASE's dreaming feedback on dreams ``x_dream`` = dec_old(``z``) (see :func:`dream`).

    Returns
    -------
    dict, nats per dreamt image: ``replay_kl`` = KL(q_new(z|x') || q_old(z|x')) summed over latents,
    ``replay_ce`` = cross-entropy of the new decoder's Bernoulli p_new(x|z) against the old decoder's
    means, summed over pixels (its minimum over the new decoder is the old decoder's entropy, reached when
    the decoders agree), and ``replay`` = their sum. Gradients reach only ``new``. Chapter 8.
    """
    with torch.no_grad():
        mu_o, lv_o = old.encode(x_dream)  # (B, L) each
        target = torch.sigmoid(old.decode(z))  # (B, 1, H, W)
    mu_n, lv_n = new.encode(x_dream)
    kl = gaussian_kl_between(mu_n, lv_n, mu_o, lv_o).sum(1).mean()
    ce = F.binary_cross_entropy_with_logits(new.decode(z), target, reduction="sum") / z.shape[0]
    return {"replay": kl + ce, "replay_kl": kl, "replay_ce": ce}


@torch.no_grad()
def reconstruction_error(model: VAE, x: torch.Tensor, batch_size: int = 1024) -> float:
    """-log p(x | z = mu(x)) in nats per image, decoding the posterior mean (summed over pixels,
    averaged over images), in eval mode. Chapter 8's forgetting measure."""
    was = model.training
    model.eval()
    total = 0.0
    for i in range(0, len(x), batch_size):
        xb = x[i:i + batch_size]
        mu, _ = model.encode(xb)
        total += float(F.binary_cross_entropy_with_logits(model.decode(mu), xb, reduction="sum"))
    model.train(was)
    return total / len(x)


def half_split(groups: np.ndarray, seed: int = 0) -> np.ndarray:
    """A random half of the groups: (N,) group labels -> (N,) bool, True on the rows of the fit half.

    Every row of a group falls on the same side (chapter 8 keeps the A and the B rendering of one scene
    together); the fit half holds ``n_groups // 2`` groups, drawn with ``numpy.random.default_rng(seed)``.
    """
    groups = np.asarray(groups)
    uniq = np.unique(groups)
    if len(uniq) < 2:
        raise ValueError("half_split needs at least two groups")
    fit_groups = np.random.default_rng(seed).permutation(uniq)[:len(uniq) // 2]
    return np.isin(groups, fit_groups)


@dataclass(frozen=True)
class DomainReadout:
    """The result of :func:`domain_readout`.

    ``latent``: the domain latent, chosen on the fit half; ``threshold``: halfway between its two domain
    means on the fit half; ``accuracy``: the share of the *score* half whose domain the threshold infers;
    ``fit_accuracy``: the same on the fit half (optimistic); ``mean_0``, ``mean_1``: the latent's mean on
    domain 0 and on domain 1 (fit half). Chapter 8.
    """

    latent: int
    threshold: float
    accuracy: float
    fit_accuracy: float
    mean_0: float
    mean_1: float


def _threshold_accuracy(z: np.ndarray, domains: np.ndarray, threshold: float, above_is_1: bool) -> float:
    """Share of ``domains`` inferred by ``z > threshold`` (domain 1 above the threshold when ``above_is_1``)."""
    return float((((z > threshold) == above_is_1).astype(int) == domains).mean())


def domain_readout(codes: np.ndarray, domains: np.ndarray, groups: np.ndarray | None = None,
                   seed: int = 0) -> DomainReadout:
    """Which latent carries the domain, and how well one threshold on it infers the domain of new codes.

    The rows are split in two halves (:func:`half_split` over ``groups``; by default each row is its own
    group). On the fit half, the domain latent is the one whose two domain means are furthest apart in
    units of its pooled within-domain standard deviation (a signal-to-noise ratio d'), and the threshold
    lies halfway between its two means. The accuracy is that of this threshold on the other half: neither
    the latent nor the threshold is chosen on the codes that score them.

    Parameters
    ----------
    codes : (N, L) posterior means of images of both domains.
    domains : (N,) int, 0 or 1 (both present in each half).
    groups : (N,) labels kept on one side of the split (e.g. the scene of each row), or None.
    seed : seed of the split.

    Returns
    -------
    :class:`DomainReadout`. Chapter 8.
    """
    codes, domains = np.asarray(codes, dtype=np.float64), np.asarray(domains)
    if set(np.unique(domains).tolist()) != {0, 1}:
        raise ValueError("domains must contain both 0 and 1")
    fit = half_split(np.arange(len(codes)) if groups is None else groups, seed)
    for half in (fit, ~fit):
        if set(np.unique(domains[half]).tolist()) != {0, 1}:
            raise ValueError("both domains must be present in each half of the split")
    a, b = codes[fit & (domains == 0)], codes[fit & (domains == 1)]
    pooled = np.sqrt(0.5 * (a.var(0) + b.var(0))) + 1e-8
    separation = np.abs(a.mean(0) - b.mean(0)) / pooled  # (L,)
    j = int(separation.argmax())
    m0, m1 = float(a[:, j].mean()), float(b[:, j].mean())
    threshold = 0.5 * (m0 + m1)
    acc = _threshold_accuracy(codes[~fit, j], domains[~fit], threshold, m1 > m0)
    fit_acc = _threshold_accuracy(codes[fit, j], domains[fit], threshold, m1 > m0)
    return DomainReadout(j, threshold, acc, fit_acc, m0, m1)


@torch.no_grad()
def translate(model: VAE, x: torch.Tensor, latent: int, value: float) -> torch.Tensor:
    """Encode ``x`` (B, 1, H, W), set latent ``latent`` of the posterior mean to ``value`` (e.g. the
    other domain's mean of the domain latent), decode: Bernoulli means (B, 1, H, W). Chapter 8."""
    was = model.training
    model.eval()
    mu, _ = model.encode(x)
    mu = mu.clone()
    mu[:, latent] = value
    out = torch.sigmoid(model.decode(mu))
    model.train(was)
    return out
