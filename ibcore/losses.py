"""Losses as pure functions returning a dict of named terms, in nats.

Conventions: reconstruction terms are summed over pixels and averaged over the batch (per-pixel
means would silently rescale beta, cf. PyTorch-VAE #54); KL terms are averaged over the batch
and kept per latent dimension so training curves can show which latent switches on.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["gaussian_kl", "beta_vae_loss", "weight_ib_loss", "vib_loss", "information_dropout_loss",
           "capacity_loss", "linear_ramp", "geometric_ramp", "slot_vae_loss"]


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, 1)) per latent, in nats: (B, L) -> (B, L).

    Closed form 0.5 (mu^2 + exp(logvar) - logvar - 1) (Kingma & Welling 2014, appendix B).
    """
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1.0)


def beta_vae_loss(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
                  beta: float | torch.Tensor = 1.0) -> dict[str, torch.Tensor]:
    """The beta-VAE objective L = H(x|z) + beta E_x KL(q(z|x) || p(z)) (Higgins et al. 2017, eq. 4).

    Parameters
    ----------
    logits : (B, 1, H, W) Bernoulli decoder logits.
    x : (B, 1, H, W) images in [0, 1].
    mu, logvar : (B, L) Gaussian posterior parameters.
    beta : weight of the KL term (a float or a 0-d tensor from a schedule).

    Returns
    -------
    dict of tensors, in nats per image: ``loss``, ``rec`` (-log p(x|z), summed over pixels,
    averaged over the batch), ``kl`` (total KL, batch mean) and ``kl_per_dim`` (L,).

    Used by chapters 1 and 2.
    """
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
    kl_per_dim = gaussian_kl(mu, logvar).mean(0)  # (L,)
    kl = kl_per_dim.sum()
    return {"loss": rec + beta * kl, "rec": rec, "kl": kl, "kl_per_dim": kl_per_dim}


def weight_ib_loss(logits: torch.Tensor, y: torch.Tensor, kl: torch.Tensor, beta: float,
                   n_train: int) -> dict[str, torch.Tensor]:
    """The information bottleneck for the weights (Achille & Soatto 2018, JMLR, eq. 3):

        L = H_{p,q}(y | x, w) + beta * KL(q(w|D) || p(w)) / N,

    per training example: the cross-entropy (nats, batch mean) plus beta times the weights' KL (nats,
    the whole network) divided by the training-set size N, so that N * L is the paper's Lagrangian
    over the data set. beta = 1 is the (negative) ELBO of Bayesian inference. Used by chapter 6.
    """
    ce = F.cross_entropy(logits, y)
    return {"loss": ce + beta * kl / n_train, "ce": ce, "kl": kl}


def vib_loss(logits: torch.Tensor, y: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
             beta: float) -> dict[str, torch.Tensor]:
    """The variational IB Lagrangian (Alemi et al. 2017, eq. 8): CE(y | z) + beta * KL(q(z|x) || N(0, I)).

    Both terms in nats per example (batch means), so beta is the same unit-free number as in
    H(y|z) + beta I(z;x); the KL is a variational upper bound on I(z;x) and the cross-entropy on
    H(y|z). Used by chapter 5.
    """
    ce = F.cross_entropy(logits, y)
    kl = gaussian_kl(mu, logvar).sum(-1).mean()
    return {"loss": ce + beta * kl, "ce": ce, "kl": kl}


def information_dropout_loss(logits: torch.Tensor, y: torch.Tensor, kls: list[torch.Tensor],
                             beta: float | torch.Tensor, units: list[int] | None = None) -> dict[str, torch.Tensor]:
    """Information Dropout's objective (Achille & Soatto 2018, PAMI, eq. 6), in nats per example:

        L = CE(y | z) + beta * sum_layers mean_batch KL_layer(x),

    where KL_layer(x) is the layer's KL summed over all its units for one example. This is the paper's
    convention, L_x + beta * sum_i KL_i / N_train over a data set of N_train examples, batch by batch.

    ``units`` (the number of units of each layer) switches to the per-unit convention: each layer's KL is
    divided by its units before the sum over layers, so beta prices the *mean* unit of every layer alike
    and a layer's share of the penalty no longer grows with its size. The conversion to the paper's beta is
    layer by layer: beta_paper(layer) = beta / units(layer). The KL of each layer is kept separately as
    ``kl_layer`` (summed over units, whatever the convention). Used by chapter 4.
    """
    ce = F.cross_entropy(logits, y)
    per_layer = torch.stack([k.mean() for k in kls])  # (layers,) nats summed over units, batch mean
    if units is not None:
        if len(units) != len(kls):
            raise ValueError(f"units has {len(units)} entries for {len(kls)} layers")
        penalty = (per_layer / torch.as_tensor(units, dtype=per_layer.dtype)).sum()
    else:
        penalty = per_layer.sum()
    return {"loss": ce + beta * penalty, "ce": ce, "kl": per_layer.sum(), "kl_layer": per_layer}


def capacity_loss(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
                  capacity: float | torch.Tensor, gamma: float, one_sided: bool = False) -> dict[str, torch.Tensor]:
    """Burgess et al. 2017's capacity objective: rec + gamma * |E_x KL - C| (eq. 2), in nats.

    ``capacity`` C comes from a schedule outside the loss (e.g. :func:`linear_ramp` of the step): the loss
    never counts steps. ``one_sided=True`` penalises only a KL above C, gamma * max(0, KL - C): the
    variant that worked in the prototype of issue #4, where the two-sided loss kept the reconstruction at
    the mean image while the KL tracked C. Used by chapter 2.
    """
    terms = beta_vae_loss(logits, x, mu, logvar, beta=0.0)
    gap = terms["kl"] - capacity
    penalty = torch.clamp(gap, min=0.0) if one_sided else gap.abs()
    terms["loss"] = terms["rec"] + gamma * penalty
    terms["capacity"] = torch.as_tensor(capacity, dtype=terms["kl"].dtype)
    return terms


def linear_ramp(step: int, start: float, end: float, steps: int) -> float:
    """A schedule: ``start`` at step 0, ``end`` from ``steps`` on, linear in between (β or C). Chapter 2."""
    if steps <= 0:
        return end
    t = min(max(step / steps, 0.0), 1.0)
    return start + t * (end - start)


def geometric_ramp(step: int, start: float, end: float, steps: int) -> float:
    """``start`` at step 0, ``end`` from ``steps`` on, linear in the logarithm in between: a beta annealed
    from a strict bottleneck (e.g. 100) down to a loose one (e.g. 4) spends equal time per factor of beta.
    Both ends must be positive. Chapter 2."""
    if start <= 0 or end <= 0:
        raise ValueError(f"geometric_ramp needs positive ends, got start={start}, end={end}")
    return math.exp(linear_ramp(step, math.log(start), math.log(end), steps))


def slot_vae_loss(out: dict[str, torch.Tensor], x: torch.Tensor, beta: float | torch.Tensor = 1.0,
                  presence_prior: float = 0.1) -> dict[str, torch.Tensor]:
    """The negative ELBO of an object model with one Gaussian latent per slot, in nats per image:

        L = -log p(x | z_1..z_K) + beta * KL,
        KL = sum_k [ rho_k KL(q(z_k | x) || N(0, I)) + KL(Bern(rho_k) || Bern(presence_prior)) ],

    the beta-VAE objective (Higgins et al. 2017, eq. 4) with the latent split into K slots, each present with
    probability rho_k = q(z_pres,k = 1 | x). This is AIR's KL (Eslami et al. 2016, eq. 3 and section 3) for a
    fixed number K of independent presence variables: a slot that is absent generates nothing, so its z_k is
    charged only when present. Without ``out["presence"]`` every slot is present (rho_k = 1, no Bernoulli
    term). p(x | z) is Bernoulli per pixel with the mixture mean ``out["mean"]`` (grey levels as soft targets,
    as :func:`beta_vae_loss` does for the single-vector control), summed over pixels, batch mean.

    Parameters
    ----------
    out : the dict of :class:`ibcore.slots.SlotAE`'s forward: ``mean`` (B, 1, H, W), ``mu``, ``logvar``
        (B, K, L), optionally ``presence`` (B, K).
    x : (B, 1, H, W) images in [0, 1].
    presence_prior : p(z_pres = 1) of each slot; small values make every present slot cost
        log(1 / presence_prior) nats, so a spare slot pays to duplicate an object (AIR's prior on the count).

    Returns
    -------
    dict: ``loss``, ``rec``, ``kl`` (the KL above, batch mean), its parts ``kl_where`` and ``kl_what`` (the
    first two latents of each slot and the rest, weighted by presence) and ``kl_pres``, and ``kl_per_slot``
    (K,), each slot's KL sorted from largest to smallest per image, then averaged (slots have no fixed
    order). Used by chapter 7.
    """
    if not 0.0 < presence_prior < 1.0:
        raise ValueError(f"presence_prior must lie in (0, 1), got {presence_prior}")
    p = out["mean"].clamp(1e-6, 1 - 1e-6)
    rec = F.binary_cross_entropy(p, x, reduction="sum") / x.shape[0]
    kl = gaussian_kl(out["mu"], out["logvar"])  # (B, K, L)
    rho = out.get("presence")
    if rho is None:
        rho, kl_pres = torch.ones(kl.shape[:2], dtype=kl.dtype, device=kl.device), torch.zeros(kl.shape[:2], device=kl.device)
    else:
        r = rho.clamp(1e-6, 1 - 1e-6)
        kl_pres = r * torch.log(r / presence_prior) + (1 - r) * torch.log((1 - r) / (1 - presence_prior))  # (B, K)
    kl = kl * rho[..., None]
    per_slot = kl.sum(-1) + kl_pres  # (B, K)
    total = per_slot.sum(1).mean()
    return {"loss": rec + beta * total, "rec": rec, "kl": total, "kl_where": kl[..., :2].sum((1, 2)).mean(),
            "kl_what": kl[..., 2:].sum((1, 2)).mean(), "kl_pres": kl_pres.sum(1).mean(),
            "kl_per_slot": per_slot.sort(1, descending=True).values.mean(0)}
