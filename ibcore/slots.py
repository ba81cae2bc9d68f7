"""An object-centric autoencoder for chapter 7: Slot Attention inference with an AIR-style glimpse decoder.

``SlotAE`` encodes a scene into K *slots*, one latent vector per object, and decodes each slot into a small
image (a glimpse) pasted where the slot says the object is. It belongs to the family of slide 5:

- **inference** by Slot Attention (Locatello et al. 2020, Algorithm 1): K slots compete for the image's
  feature vectors through a softmax over slots, and are refined by a GRU over a few iterations. All slots
  are inferred in parallel, so the number of steps is fixed where AIR's is learned.
- **where / what** as in Attend, Infer, Repeat (Eslami et al. 2016, section 2): each slot has a position
  ``z_where`` (2 numbers) and an appearance ``z_what`` (``what`` numbers), both Gaussian with a standard
  normal prior, and a decoder that renders ``z_what`` into a glimpse and pastes it at ``z_where`` with a
  spatial transformer (Jaderberg et al. 2015, eq. 1). The mean of ``z_where`` starts from the slot's
  attention-weighted centroid on the feature grid (Biza et al. 2023, Invariant Slot Attention, section 3.1).
- **composition** by a mixture of the slots' masks, normalised with a softmax over slots and one background
  component (Burgess et al. 2019, MONet, eq. 1; Locatello et al. 2020, section 2.2): each pixel's grey
  level is the mask-weighted mean of the slots' appearances.

Written for this book (no code copied). Used by chapter 7.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["SlotAEConfig", "SlotAE", "SlotAttention", "compose_glimpses", "batched_posterior"]

_OUTSIDE = 10.0  # mask logit given to canvas pixels outside a slot's glimpse: -10 (sigmoid 5e-5)


@dataclass(frozen=True)
class SlotAEConfig:
    """Architecture of a :class:`SlotAE`.

    canvas : image side in pixels. slots : K object slots (plus one background slot that takes part in the
    attention but is not decoded). what : size of each slot's appearance latent; each slot's latent is
    ``2 + what`` numbers (``z_where``, ``z_what``), the model's total ``slots * (2 + what)``. dim : slot and
    feature size D. iters : slot-attention iterations T (Locatello et al. 2020 use 3). channels : conv
    encoder width. hidden : width of the MLPs (slot update and glimpse decoder). glimpse : side G of the
    decoded glimpse, in canvas pixels (it must hold the largest object). stride : the encoder's total stride,
    2 or 4: slot attention runs over a (canvas / stride)^2 grid of features (4: 64 features at 32 px).
    """

    canvas: int = 32
    slots: int = 4
    what: int = 6
    dim: int = 32
    iters: int = 3
    channels: int = 32
    hidden: int = 128
    glimpse: int = 16
    stride: int = 4

    @property
    def latent(self) -> int:
        """Latent numbers per slot: 2 (where) + what."""
        return 2 + self.what


def _grid(side: int) -> torch.Tensor:
    """Pixel-centre coordinates of a side x side grid in [-1, 1] (align_corners=False): (side*side, 2) as (x, y)."""
    c = (torch.arange(side, dtype=torch.float32) * 2 + 1) / side - 1
    y, x = torch.meshgrid(c, c, indexing="ij")
    return torch.stack([x.reshape(-1), y.reshape(-1)], -1)


def compose_glimpses(glimpse: torch.Tensor, centres: torch.Tensor, canvas: int, background: torch.Tensor,
                     presence: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """Paste K glimpses per image on the canvas and mix them with a background (AIR's decoder, Eslami et al.
    2016, section 2; the mixture of MONet, Burgess et al. 2019, eq. 1).

    ``glimpse`` (B, K, 2, G, G): appearance logits and mask logits of each object; ``centres`` (B, K, 2): where
    each glimpse's centre goes, canvas coordinates (x, y) in [-1, 1]; ``background`` (2,): the background's
    mask logit and grey-level logit, the same at every pixel; ``presence`` (B, K) (default all 1) scales each
    object's mask after the softmax, the rest going to the background, so an absent object paints nothing.
    An inverse spatial transformer (``affine_grid`` / ``grid_sample``, Jaderberg et al. 2015, eq. 1) pastes a
    glimpse at one glimpse pixel per canvas pixel; outside its glimpse an object's mask logit is -10.
    Returns ``mean`` (B, 1, H, W), ``masks`` (B, K+1, H, W, background last), ``appearance`` (B, K, H, W).
    Used by :class:`SlotAE` and :class:`ibcore.cells.GridAE`.
    """
    b, k, _, g, _ = glimpse.shape
    glimpse = glimpse.reshape(b * k, 2, g, g)
    glimpse = torch.stack([torch.sigmoid(glimpse[:, 0]), glimpse[:, 1] + _OUTSIDE], 1)  # 0 outside after padding
    # inverse spatial transformer: canvas point u -> glimpse point (u - t) * canvas / glimpse
    # (the sampling grid of affine_grid with theta = [[s, 0, -s t_x], [0, s, -s t_y]], written out: a
    # translation and a scale need no batched matrix product, which cost a tenth of a training step)
    s = canvas / g
    base = _grid(canvas).view(1, canvas, canvas, 2).to(glimpse)  # canvas pixel centres (x, y)
    grid = s * (base - centres.reshape(b * k, 1, 1, 2))
    pasted = F.grid_sample(glimpse, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    pasted = pasted.view(b, k, 2, canvas, canvas)
    appearance, logits = pasted[:, :, 0], pasted[:, :, 1] - _OUTSIDE  # (B, K, H, W) each
    bg_logit = background[0].expand(b, 1, canvas, canvas)
    masks = torch.softmax(torch.cat([logits, bg_logit], 1), dim=1)  # (B, K+1, H, W)
    if presence is not None:  # an absent object's share of every pixel goes to the background
        obj = masks[:, :-1] * presence[..., None, None]
        masks = torch.cat([obj, 1 - obj.sum(1, keepdim=True)], 1)
    mean = (masks[:, :-1] * appearance).sum(1, keepdim=True) + masks[:, -1:] * torch.sigmoid(background[1])
    return {"mean": mean, "masks": masks, "appearance": appearance}


class SlotAttention(nn.Module):
    """Slot Attention (Locatello et al. 2020, Algorithm 1), with one extra learned background slot.

    Given inputs (B, N, D), K object slots start from N(mu, diag sigma^2) (learned mu, sigma; a fresh draw
    per image) and the background slot from a learned vector. Each of T iterations computes

        A = softmax_slots(k(inputs) q(slots)^T / sqrt(D))            (B, N, K+1), Algorithm 1 line 5
        W = A / sum_N A                                               (weighted mean, line 6)
        slots = GRU(W^T v(inputs), slots); slots += MLP(LN(slots))    (lines 7-8)

    ``forward`` returns the slots (B, K+1, D), background last, and the last iteration's A (B, N, K+1).
    """

    def __init__(self, slots: int, dim: int, iters: int = 3, hidden: int = 128, eps: float = 1e-8):
        super().__init__()
        self.k, self.iters, self.eps, self.scale = slots, iters, eps, dim ** -0.5
        self.mu = nn.Parameter(torch.randn(1, 1, dim) * dim ** -0.5)
        # initial spread 1 (not dim^-1/2): with a narrow spread the K slots converged to the same object in a
        # seed-0 pilot (chapter 7)
        self.log_sigma = nn.Parameter(torch.zeros(1, 1, dim))
        self.background = nn.Parameter(torch.randn(1, 1, dim) * dim ** -0.5)
        self.norm_in, self.norm_slots, self.norm_mlp = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.to_q, self.to_k, self.to_v = (nn.Linear(dim, dim, bias=False) for _ in range(3))
        self.gru = nn.GRUCell(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, dim))

    def forward(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, _, d = inputs.shape
        inputs = self.norm_in(inputs)
        k, v = self.to_k(inputs), self.to_v(inputs)  # (B, N, D)
        noise = torch.randn(b, self.k, d, device=inputs.device)
        slots = torch.cat([self.mu + self.log_sigma.exp() * noise, self.background.expand(b, 1, d)], 1)  # (B, K+1, D)
        for _ in range(self.iters):
            prev = slots
            q = self.to_q(self.norm_slots(slots))  # (B, K+1, D)
            attn = torch.softmax(torch.einsum("bnd,bkd->bnk", k, q) * self.scale, dim=-1) + self.eps  # (B, N, K+1)
            weights = attn / attn.sum(1, keepdim=True)
            updates = torch.einsum("bnk,bnd->bkd", weights, v)  # (B, K+1, D)
            slots = self.gru(updates.reshape(-1, d), prev.reshape(-1, d)).view(b, -1, d)
            slots = slots + self.mlp(self.norm_mlp(slots))
        return slots, attn


class SlotAE(nn.Module):
    """Slot Attention encoder, Gaussian where/what latents per slot, glimpse decoder, mixture composition.

    ``forward(x)`` (x: (B, 1, H, W) grey levels in [0, 1]) returns a dict:

    - ``mean`` (B, 1, H, W): the per-pixel Bernoulli mean of p(x | z), in (0, 1);
    - ``masks`` (B, K+1, H, W): the mixture weights, softmax over the K slots and the background (last);
    - ``appearance`` (B, K, H, W): each slot's pasted grey levels;
    - ``mu``, ``logvar`` (B, K, 2 + what): posterior q(z_k | x) of each slot, ``z_where`` first;
    - ``presence`` (B, K): each slot's probability q(z_pres,k = 1 | x) of holding an object (AIR's z_pres);
    - ``z`` (B, K, 2 + what): one reparameterised sample; ``attn`` (B, N, K+1) the attention.

    Presence (Eslami et al. 2016's z_pres, one per slot instead of a stopping sequence) gates a slot's mask
    after the softmax, mask_k <- z_pres,k mask_k, and gives the rest to the background, so an absent slot
    paints nothing whatever its mask logits. In training z_pres,k ~ Bern(presence_k) with a straight-through
    gradient (AIR samples it too and trains it with REINFORCE instead); in eval mode z_pres,k =
    1[presence_k > 0.5]. ``gate`` (B, K) is the z_pres used.

    The decoder (:meth:`decode`) renders each slot independently (AIR's decoder, Eslami et al. 2016):
    an MLP maps z_what to a G x G glimpse of appearance and mask logits, and an inverse spatial transformer
    (``affine_grid`` / ``grid_sample``, Jaderberg et al. 2015) pastes it with its centre at z_where
    (canvas coordinates in [-1, 1]), one glimpse pixel per canvas pixel. Outside its glimpse a slot's mask
    logit is -10. The background has a learned mask logit and grey level, the same at every pixel.
    Used by chapter 7.
    """

    def __init__(self, cfg: SlotAEConfig = SlotAEConfig()):
        super().__init__()
        if cfg.canvas % 2 or cfg.canvas < 8:
            raise ValueError(f"canvas must be an even number of pixels >= 8, got {cfg.canvas}")
        if not 1 <= cfg.slots <= 16:
            raise ValueError(f"slots must lie in [1, 16], got {cfg.slots}")
        if cfg.stride not in (2, 4) or cfg.canvas % cfg.stride:
            raise ValueError(f"stride must be 2 or 4 and divide canvas={cfg.canvas}, got {cfg.stride}")
        if not 4 <= cfg.glimpse <= cfg.canvas:
            raise ValueError(f"glimpse must lie in [4, canvas={cfg.canvas}], got {cfg.glimpse}")
        self.cfg = cfg
        c, d = cfg.channels, cfg.dim
        # encoder: a 5x5 conv of stride 2, then a 3x3 conv, to a (canvas/2)^2 grid of features (Locatello et al.
        # 2020, appendix E, use four 5x5 convs at full resolution; two, one strided, cost a third on a CPU)
        layers: list[nn.Module] = [nn.Conv2d(1, c, 5, stride=2, padding=2), nn.ReLU()]
        if cfg.stride == 4:
            layers += [nn.Conv2d(c, c, 3, stride=2, padding=1), nn.ReLU()]
        self.cnn = nn.Sequential(*layers, nn.Conv2d(c, d, 3, padding=1), nn.ReLU())
        side = cfg.canvas // cfg.stride
        self.register_buffer("coords", _grid(side))  # (N, 2) feature-grid centres in [-1, 1]
        self.pos = nn.Linear(4, d)  # soft position embedding of (x, y, 1 - x, 1 - y) (Locatello et al. 2020, app. E)
        self.feat = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, d), nn.ReLU(), nn.Linear(d, d))
        self.attention = SlotAttention(cfg.slots, d, cfg.iters, cfg.hidden)
        self.where_head = nn.Linear(d, 5)  # offset of the centroid (2), log-variance (2), presence logit (1)
        self.what_head = nn.Linear(d, 2 * cfg.what)
        nn.init.zeros_(self.where_head.weight)
        nn.init.constant_(self.where_head.bias, 0.0)
        with torch.no_grad():
            self.where_head.bias[2:4] = 2 * math.log(1.0 / cfg.canvas)  # start at a std of half a pixel
        g = cfg.glimpse
        self.glimpse_decoder = nn.Sequential(nn.Linear(cfg.what, cfg.hidden), nn.ReLU(), nn.Linear(cfg.hidden, cfg.hidden),
                                             nn.ReLU(), nn.Linear(cfg.hidden, 2 * g * g))
        self.background = nn.Parameter(torch.tensor([0.0, -4.0]))  # mask logit, grey-level logit
        self.cnn.to(memory_format=torch.channels_last)  # oneDNN convs are faster channels-last on a CPU

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Posterior ``mu, logvar`` (B, K, 2 + what), z_where first, presence probabilities (B, K) and the
        attention (B, N, K+1)."""
        h = self.cnn(x.contiguous(memory_format=torch.channels_last)).flatten(2).transpose(1, 2)  # (B, N, D)
        xy = self.coords
        h = self.feat(h + self.pos(torch.cat([xy, -xy], -1)))  # (B, N, D); (x, y, -x, -y) ~ (x, y, 1-x, 1-y)
        slots, attn = self.attention(h)  # (B, K+1, D), (B, N, K+1)
        obj, a = slots[:, :-1], attn[..., :-1]  # the K object slots
        centroid = torch.einsum("bnk,nc->bkc", a, xy) / a.sum(1)[..., None]  # (B, K, 2) Biza et al. 2023
        where = self.where_head(obj)  # (B, K, 5)
        mu_where = centroid + 0.25 * torch.tanh(where[..., :2])
        what = self.what_head(obj)  # (B, K, 2 what)
        mu = torch.cat([mu_where, what[..., :self.cfg.what]], -1)
        logvar = torch.cat([where[..., 2:4], what[..., self.cfg.what:]], -1)
        return mu, logvar, torch.sigmoid(where[..., 4]), attn

    def decode(self, z: torch.Tensor, presence: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Render latents z (B, K, 2 + what) with presence probabilities (B, K) (default: all 1):
        ``mean`` (B, 1, H, W), ``masks`` (B, K+1, H, W), ``appearance`` (B, K, H, W)."""
        b, k, _ = z.shape
        g = self.cfg.glimpse
        glimpse = self.glimpse_decoder(z[..., 2:].reshape(b * k, -1)).view(b, k, 2, g, g)
        return compose_glimpses(glimpse, z[..., :2], self.cfg.canvas, self.background, presence)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        mu, logvar, presence, attn = self.encode(x)  # (B, K, L), (B, K, L), (B, K), (B, N, K+1)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        if self.training:  # z_pres ~ Bern(presence), straight-through gradient (Bengio et al. 2013)
            hard = (torch.rand_like(presence) < presence).to(presence.dtype)
            gate = hard + presence - presence.detach()
        else:
            gate = (presence > 0.5).to(presence.dtype)
        return {**self.decode(z, gate), "mu": mu, "logvar": logvar, "z": z, "presence": presence, "gate": gate,
                "attn": attn}

    def posterior(self, x: torch.Tensor, batch_size: int = 512) -> dict[str, torch.Tensor]:
        """:func:`batched_posterior` of this model; the slots' initial noise comes from torch's global
        generator."""
        return batched_posterior(self, x, batch_size)


@torch.no_grad()
def batched_posterior(model: nn.Module, x: torch.Tensor, batch_size: int = 512) -> dict[str, torch.Tensor]:
    """An object model's posterior in eval mode and batches (no gradients): ``mu``, ``logvar`` (N, K, L),
    ``presence`` (N, K), and the ``masks`` (N, K+1, H, W) and ``mean`` of the posterior means decoded with the
    objects of presence > 0.5. ``model`` has ``encode(x)`` returning ``mu, logvar, presence, ...`` and
    ``decode(z, presence)``: :class:`SlotAE` and :class:`ibcore.cells.GridAE`."""
    was = model.training
    model.eval()
    out: dict[str, list[torch.Tensor]] = {"mu": [], "logvar": [], "presence": [], "masks": [], "mean": []}
    for i in range(0, len(x), batch_size):
        mu, logvar, presence = model.encode(x[i:i + batch_size])[:3]
        dec = model.decode(mu, (presence > 0.5).to(mu.dtype))
        for name, value in (("mu", mu), ("logvar", logvar), ("presence", presence), ("masks", dec["masks"]),
                            ("mean", dec["mean"])):
            out[name].append(value)
    model.train(was)
    return {name: torch.cat(v) for name, v in out.items()}
