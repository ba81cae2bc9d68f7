"""A grid of object cells for chapter 7: one latent per cell, each cell holding at most one object.

``GridAE`` is a spatial member of slide 5's family, after SPAIR (Crawford & Pineau 2019, section 3) and
SPACE's foreground (Lin et al. 2020, section 2.2): a convolutional encoder cuts the canvas into a G x G grid
of cells, and every cell k infers, for the object whose centre lies near it,

- a presence ``z_pres,k`` (AIR's, Eslami et al. 2016), relaxed in training as a binary Concrete
  (Maddison et al. 2017, section 3.4; ``torch.distributions.RelaxedBernoulli``) with a temperature that the
  training loop anneals, and thresholded at 0.5 in evaluation;
- a position ``z_where,k`` (2 numbers, standard normal prior): the object's centre is the cell's centre plus
  ``shift * cell * tanh(z_where)`` (SPACE's bounded offset, section 2.2, with ``shift`` cells of reach);
- an appearance ``z_what,k`` (``what`` numbers, standard normal prior).

The decoder is AIR's: an MLP renders z_what into a glimpse of grey levels and mask logits, pasted at the
object's centre, and the cells' masks are mixed with a constant background
(:func:`ibcore.slots.compose_glimpses`). The per-cell latents have the layout of :class:`ibcore.slots.SlotAE`'s
slots (``z_where`` first), so :func:`ibcore.losses.slot_vae_loss` is the loss of both.

Unlike Slot Attention, no cell has to find its object: the grid is a locality prior (an object is described
by the cell it sits in), which is the trade SPAIR and SPACE make for speed. Written for this book (no code
copied). Used by chapter 7.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import RelaxedBernoulli

from ibcore.slots import _grid, batched_posterior, compose_glimpses

__all__ = ["GridAEConfig", "GridAE", "mixture_nll", "gaussian_vae_loss", "presence_schedule", "adam_warmup_cosine", "random_batches", "train_grid_ae", "top_cells",
           "score_segmentation"]


@dataclass(frozen=True)
class GridAEConfig:
    """Architecture of a :class:`GridAE`.

    canvas : image side in pixels (a multiple of 8). cells : G, the grid's side; the encoder's stride is
    canvas / G (a power of two, 4 to 16), and the model has K = G^2 cells. what : size of each cell's
    appearance latent; each cell has ``2 + what`` latents, the model ``K (2 + what)``. channels : conv width.
    hidden : width of the glimpse decoder. glimpse : side of the decoded glimpse in canvas pixels (it must
    hold the largest object). shift : how far (in cells) an object's centre may lie from its cell's centre.
    presence_bias : the presence logit's initial bias (0: every cell starts at probability 1/2).
    """

    canvas: int = 32
    cells: int = 4
    what: int = 6
    channels: int = 32
    hidden: int = 128
    glimpse: int = 14
    shift: float = 1.0
    presence_bias: float = 0.0

    @property
    def slots(self) -> int:
        """K = cells^2 object cells."""
        return self.cells ** 2

    @property
    def latent(self) -> int:
        """Latent numbers per cell: 2 (where) + what."""
        return 2 + self.what


class GridAE(nn.Module):
    """Conv encoder to a G x G grid of cells, Gaussian where/what and a presence per cell, glimpse decoder.

    ``forward(x)`` (x: (B, 1, H, W) in [0, 1]) returns the dict of :class:`ibcore.slots.SlotAE`: ``mean``,
    ``masks`` (B, K+1, H, W), ``appearance``, ``mu``, ``logvar`` (B, K, 2 + what), ``z``, ``presence`` (B, K)
    and ``gate`` (the presence used: a binary Concrete sample at temperature :attr:`temperature` in training,
    1[presence > 0.5] in evaluation). Cells are numbered row-major (cell k is row k // G, column k % G).

    Each cell's glimpse has **one grey level** (decoded from z_what) and a mask of G x G logits. With a grey
    level per pixel, as :class:`ibcore.slots.SlotAE` has, a mixture of means can draw an object of grey 0.6 as
    a mask of 0.6 over a white glimpse: the mask and the appearance trade off, the masks stay soft, and their
    argmax gives the object's pixels to the background (seen in the seed-0 pilot, ``bench/pilot_07.py``). The
    objects of :class:`ibcore.scenes.MultiSprites` are uniform, so one grey level per object loses nothing and
    leaves the shape to the mask alone.
    """

    def __init__(self, cfg: GridAEConfig = GridAEConfig()):
        super().__init__()
        if cfg.canvas % 8 or not 16 <= cfg.canvas <= 128:
            raise ValueError(f"canvas must be a multiple of 8 in [16, 128], got {cfg.canvas}")
        stride = cfg.canvas // cfg.cells if cfg.cells > 0 else 0
        if cfg.cells < 1 or cfg.canvas % cfg.cells or stride not in (4, 8, 16):
            raise ValueError(f"cells must divide canvas={cfg.canvas} with a stride of 4, 8 or 16, got {cfg.cells}")
        if cfg.what < 1:
            raise ValueError(f"what must be >= 1, got {cfg.what}")
        if not 4 <= cfg.glimpse <= cfg.canvas:
            raise ValueError(f"glimpse must lie in [4, canvas={cfg.canvas}], got {cfg.glimpse}")
        if not 0.0 < cfg.shift <= 2.0:
            raise ValueError(f"shift must lie in (0, 2] cells, got {cfg.shift}")
        self.cfg = cfg
        self.temperature = 1.0  # of the relaxed presence in training; set by the training loop
        c = cfg.channels
        layers: list[nn.Module] = [nn.Conv2d(1, c, 5, stride=2, padding=2), nn.ReLU()]
        halvings = stride.bit_length() - 2  # after the first conv: stride 4, one more halving; 8, two; 16, three
        for i in range(halvings):  # the width doubles at the last halving only (a third of the cost of
            out = 2 * c if i == halvings - 1 else c  # doubling at each, measured on 2 CPU threads)
            layers += [nn.Conv2d(c, out, 3, stride=2, padding=1), nn.ReLU()]
            c = out
        layers += [nn.Conv2d(c, c, 3, padding=1), nn.ReLU()]  # each cell also sees its neighbours
        self.cnn = nn.Sequential(*layers)
        self.cnn.to(memory_format=torch.channels_last)  # oneDNN convs are faster channels-last on a CPU
        self.head = nn.Conv2d(c, 5, 1)  # presence logit, mu and logvar of z_where
        with torch.no_grad():
            self.head.weight.normal_(0.0, 0.01)
            self.head.bias.copy_(torch.tensor([cfg.presence_bias, 0.0, 0.0, -4.0, -4.0]))  # where's std 0.14
        # z_what is read from the glimpse cropped at the cell's z_where, beside the cell's features (AIR's
        # "attend, then infer": Eslami et al. 2016, section 2.1; SPACE's glimpse encoder, Lin et al. 2020,
        # section 2.2), so the appearance code does not have to undo where the object sits in its cell
        self.what_encoder = nn.Sequential(nn.Linear(cfg.glimpse ** 2 + c, cfg.hidden), nn.ReLU(),
                                          nn.Linear(cfg.hidden, 2 * cfg.what))
        g = cfg.glimpse
        self.glimpse_decoder = nn.Sequential(nn.Linear(cfg.what, cfg.hidden), nn.ReLU(), nn.Linear(cfg.hidden, cfg.hidden),
                                             nn.ReLU(), nn.Linear(cfg.hidden, 1 + g * g))
        self.background = nn.Parameter(torch.tensor([0.0, -4.0]))  # mask logit, grey-level logit
        centres = (torch.arange(cfg.cells, dtype=torch.float32) * 2 + 1) / cfg.cells - 1
        y, x = torch.meshgrid(centres, centres, indexing="ij")
        self.register_buffer("centres", torch.stack([x.reshape(-1), y.reshape(-1)], -1))  # (K, 2) as (x, y)
        self.register_buffer("crop_offsets", _grid(cfg.glimpse).view(cfg.glimpse, cfg.glimpse, 2) * cfg.glimpse / cfg.canvas)

    def encode(self, x: torch.Tensor, sample: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Posterior ``mu, logvar`` (B, K, 2 + what), ``z_where`` first, presence probabilities (B, K), and the
        z_where (B, K, 2) at which each cell's glimpse was cropped.

        z_what's posterior depends on z_where (it is read from the glimpse cropped there): with ``sample`` the
        crop is taken at a draw of z_where (training), else at its mean."""
        f = self.cnn(x.contiguous(memory_format=torch.channels_last))
        h = self.head(f).flatten(2).transpose(1, 2)  # (B, K, 5), row-major cells
        mu_where, logvar_where = h[..., 1:3], h[..., 3:5]
        z_where = mu_where + torch.randn_like(mu_where) * (0.5 * logvar_where).exp() if sample else mu_where
        b, k, g = x.shape[0], self.cfg.slots, self.cfg.glimpse
        # the K crops as one (K g) x g sampling grid per image: glimpse pixel centres around each object centre
        grid = self.where(z_where)[:, :, None, None, :] + self.crop_offsets  # (B, K, g, g, 2)
        crops = F.grid_sample(x, grid.reshape(b, k * g, g, 2), mode="bilinear", padding_mode="zeros",
                              align_corners=False).view(b, k, g * g)
        what = self.what_encoder(torch.cat([crops, f.flatten(2).transpose(1, 2)], -1))  # (B, K, 2 what)
        w = self.cfg.what
        mu = torch.cat([mu_where, what[..., :w]], -1)
        logvar = torch.cat([logvar_where, what[..., w:]], -1)
        return mu, logvar, torch.sigmoid(h[..., 0]), z_where

    def where(self, z_where: torch.Tensor) -> torch.Tensor:
        """Canvas coordinates (x, y) in [-1, 1] of the object centres of latents z_where (B, K, 2)."""
        return self.centres + self.cfg.shift * (2.0 / self.cfg.cells) * torch.tanh(z_where)

    def decode(self, z: torch.Tensor, presence: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Render latents z (B, K, 2 + what) with presences (B, K) (default all 1): ``mean``, ``masks``,
        ``appearance``."""
        b, k, _ = z.shape
        g = self.cfg.glimpse
        out = self.glimpse_decoder(z[..., 2:].reshape(b * k, -1)).view(b, k, 1 + g * g)
        grey = out[..., :1, None, None].expand(b, k, 1, g, g)  # one grey level per object (see the class docstring)
        glimpse = torch.cat([grey, out[..., 1:].view(b, k, 1, g, g)], 2)
        return compose_glimpses(glimpse, self.where(z[..., :2]), self.cfg.canvas, self.background, presence)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        mu, logvar, presence, z_where = self.encode(x, sample=self.training)
        z_what = mu[..., 2:] + torch.randn_like(mu[..., 2:]) * (0.5 * logvar[..., 2:]).exp()
        z = torch.cat([z_where, z_what], -1)
        if self.training:
            gate = RelaxedBernoulli(torch.tensor(self.temperature), probs=presence.clamp(1e-6, 1 - 1e-6)).rsample()
        else:
            gate = (presence > 0.5).to(presence.dtype)
        out = self.decode(z, gate)
        b = x.shape[0]
        bg = torch.sigmoid(self.background[1]).expand(b, 1, *x.shape[2:])
        out["means"] = torch.cat([out["appearance"], bg], 1)  # (B, K+1, H, W): each component's grey levels
        return {**out, "mu": mu, "logvar": logvar, "z": z, "presence": presence, "gate": gate}

    def posterior(self, x: torch.Tensor, batch_size: int = 512) -> dict[str, torch.Tensor]:
        """:func:`ibcore.slots.batched_posterior` of this model (deterministic: crops at z_where's mean)."""
        return batched_posterior(self, x, batch_size)

def mixture_nll(x: torch.Tensor, masks: torch.Tensor, means: torch.Tensor, sigma: float) -> torch.Tensor:
    """-log p(x) of a per-pixel Gaussian *mixture* (the spatial mixture of MONet, Burgess et al. 2019, eq. 2;
    Greff et al. 2019, IODINE, eq. 1): p(x_i) = sum_k m_ik N(x_i; mu_ik, sigma^2), in nats per image
    (summed over pixels, batch mean). ``x`` (B, 1, H, W); ``masks`` and ``means`` (B, C, H, W) with the masks
    summing to 1 over C. Unlike a Bernoulli or Gaussian on the mixture's *mean*, a pixel half-owned by two
    components whose means differ pays about log 2 nats, so the masks are pushed to hard assignments."""
    if sigma <= 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    log_n = -0.5 * ((x - means) / sigma) ** 2 - math.log(sigma * math.sqrt(2 * math.pi))  # (B, C, H, W)
    return -torch.logsumexp(masks.clamp_min(1e-12).log() + log_n, dim=1).sum((1, 2)).mean()


def gaussian_vae_loss(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, beta: float,
                      sigma: float) -> dict[str, torch.Tensor]:
    """The beta-VAE loss of :func:`ibcore.losses.beta_vae_loss` with a Gaussian likelihood of fixed scale
    ``sigma`` on the decoder's mean sigmoid(logits): a one-component :func:`mixture_nll`, so chapter 7's
    single-vector control and object model use the same likelihood. Nats per image, batch mean."""
    from ibcore.losses import gaussian_kl

    mean = torch.sigmoid(logits)
    rec = mixture_nll(x, torch.ones_like(mean), mean, sigma)
    kl = gaussian_kl(mu, logvar).sum(1).mean()
    return {"loss": rec + beta * kl, "rec": rec, "kl": kl}


def presence_schedule(step: int, steps: int, prior: tuple[float, float], hold: float, anneal_end: float) -> float:
    """The presence prior at ``step`` of ``steps``: ``prior[0]`` for the first ``hold`` share of the steps,
    then geometric to ``prior[1]``, reached at the ``anneal_end`` share and kept. Starting permissive and
    tightening later is how SPACE (Lin et al. 2020, appendix: its prior annealed over training) and AIR's
    implementations (prior annealing) keep cells on long enough to find their objects."""
    from ibcore.losses import geometric_ramp

    start, end = int(hold * steps), int(anneal_end * steps)
    if step <= start:
        return prior[0]
    return geometric_ramp(step - start, prior[0], prior[1], max(end - start, 1))


def adam_warmup_cosine(model: nn.Module, steps: int, lr: float = 1e-3, warmup: float = 0.05,
                       clip: float | None = 1.0):
    """Adam at ``lr`` with a linear warm-up over the first ``warmup`` share of ``steps`` and a cosine decay to 0
    (the warm-up of Slot Attention, Locatello et al. 2020, appendix E), gradients clipped to global norm
    ``clip`` before every step (SPACE's configs clip at 1.0). Returns ``(optimizer, scheduler)`` for
    :func:`ibcore.train.fit`. Chapter 7 trains the object model and its single-vector control with it."""

    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if not 0.0 <= warmup < 1.0:
        raise ValueError(f"warmup must lie in [0, 1), got {warmup}")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    if clip is not None:
        if clip <= 0:
            raise ValueError(f"clip must be positive or None, got {clip}")
        params = [p for p in model.parameters() if p.requires_grad]

        def clip_hook(*_):  # torch's global-norm clipping, run before every optimiser step
            torch.nn.utils.clip_grad_norm_(params, clip)

        optimizer.register_step_pre_hook(clip_hook)
    n_warm = max(1, int(warmup * steps))

    def factor(i: int) -> float:  # i = optimiser steps taken so far
        if i < n_warm:
            return (i + 1) / n_warm
        return 0.5 * (1 + math.cos(math.pi * (i - n_warm) / max(steps - n_warm, 1)))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def random_batches(images: torch.Tensor, batch_size: int, seed: int):
    """``batch(step)``: ``batch_size`` images drawn with replacement by a generator seeded ``seed`` (the same
    stream for every model trained with the same seed)."""
    stream = torch.Generator().manual_seed(seed)

    def batch(step: int) -> torch.Tensor:
        return images[torch.randint(len(images), (batch_size,), generator=stream)]

    return batch


def train_grid_ae(model: GridAE, images: torch.Tensor, *, steps: int, batch_size: int = 64, lr: float = 1e-3,
                  beta: float = 1.0, presence_prior: tuple[float, float] = (0.5, 0.1), hold: float = 0.15,
                  anneal_end: float = 0.5, temperature: tuple[float, float] = (2.5, 0.5), warmup: float = 0.05,
                  clip: float | None = 1.0, sigma: float | None = None, seed: int = 0, log_every: int = 50,
                  callbacks=(), desc: str = "cells"):
    """Train a :class:`GridAE` on ``images`` (N, 1, H, W) with :func:`ibcore.losses.slot_vae_loss` and return
    the history of :func:`ibcore.train.fit` (plus columns ``prior`` and ``tau``).

    Batches from :func:`random_batches` (``seed``), optimiser from :func:`adam_warmup_cosine`. The presence
    prior follows :func:`presence_schedule` and the binary Concrete's temperature falls geometrically from
    ``temperature[0]`` to ``temperature[1]`` (SPACE's 2.5 -> 0.5). With ``sigma`` the likelihood is the
    Gaussian mixture of :func:`mixture_nll` (scale ``sigma``) in place of slot_vae_loss's Bernoulli on the
    mixture's mean; the KL is the same.
    """
    from ibcore.losses import geometric_ramp, slot_vae_loss
    from ibcore.train import fit

    optimizer, scheduler = adam_warmup_cosine(model, steps, lr, warmup, clip)

    def step_loss(model, x, step):
        model.temperature = geometric_ramp(step, temperature[0], temperature[1], steps)
        prior = presence_schedule(step, steps, presence_prior, hold, anneal_end)
        out = model(x)
        terms = slot_vae_loss(out, x, beta, prior)
        if sigma is not None:
            terms["rec"] = mixture_nll(x, out["masks"], out["means"], sigma)
            terms["loss"] = terms["rec"] + beta * terms["kl"]
        return {**terms, "prior": torch.tensor(prior), "tau": torch.tensor(model.temperature)}

    return fit(model, step_loss, random_batches(images, batch_size, seed), steps, optimizer=optimizer,
               scheduler=scheduler, log_every=log_every, callbacks=callbacks, desc=desc)


@torch.no_grad()
def score_segmentation(model: nn.Module, scenes, batch_size: int = 512) -> dict[str, float]:
    """Development scores of an object model on ``scenes`` (a :class:`ibcore.scenes.Scenes`): mean FG-ARI
    on scenes with 2 or more objects, the share of scenes whose count of present cells (presence > 0.5) is
    right, the mean number of present cells minus the mean count, and the share of background pixels given
    to the background component. Used by the seed-0 pilot (``bench/pilot_07.py``)."""
    from ibcore.metrics import fg_ari

    post = model.posterior(scenes.images, batch_size=batch_size)
    labels = scenes.labels()
    seg = post["masks"].argmax(1)
    k = post["masks"].shape[1] - 1
    present = (post["presence"] > 0.5).sum(1)
    bg = labels == 0
    return {"fg_ari": round(float(fg_ari(labels, seg)[scenes.counts >= 2].mean()), 4),
            "count_acc": round(float((present == scenes.counts).float().mean()), 4),
            "extra_present": round(float(present.float().mean() - scenes.counts.float().mean()), 3),
            "bg_share": round(float(((seg == k) & bg).sum() / bg.sum()), 4)}


def top_cells(masks: torch.Tensor, appearance: torch.Tensor, presence: torch.Tensor, k: int = 4
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` cells of largest presence in each scene, for a figure: ``masks`` (B, k+1, H, W), their masks
    and the rest (background and other cells) last, and their ``appearance`` (B, k, H, W), in decreasing
    presence. Inputs as :meth:`GridAE.posterior` and :meth:`GridAE.decode` give them (masks (B, K+1, H, W),
    background last). Exact when at most ``k`` cells are present (an absent cell's mask is 0)."""
    if not 1 <= k <= presence.shape[1]:
        raise ValueError(f"k must lie in [1, {presence.shape[1]}], got {k}")
    order = presence.argsort(1, descending=True)[:, :k]  # (B, k)
    idx = order[..., None, None].expand(-1, -1, *masks.shape[2:])
    top = masks.gather(1, idx)
    return torch.cat([top, 1 - top.sum(1, keepdim=True)], 1), appearance.gather(1, idx)
