"""Two visual domains that share dSprites' factor grid (chapter 8).

Achille et al. 2018 (VASE, "Life-Long Disentangled Representation Learning with Cross-Domain Latent
Homologies") learn domains one after another that share some generative factors and render them
differently. Here both domains are procedural and share every factor of :class:`ibcore.data.DSprites`:

- domain A (label 0): dSprites itself, white sprites on black;
- domain B (label 1): the same factor grid rendered differently. ``style="inverted"``: contrast
  inverted (black sprites on white, ``1 - A``); ``style="outline"``: the sprite's outline, the mask
  minus its erosion by a 3x3 square (a one-pixel contour).

The same flat index names the same factors in both domains, so A and B images of one index are the
same scene in two renderings: what a cross-domain translation must reproduce. Rendering is vectorised
(one gather for the sprites, one pooling for the erosion).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import torch
import torch.nn.functional as F

from ibcore.data import DSprites

__all__ = ["TwoDomainSprites", "DOMAIN_STYLES", "outline", "invert"]

DOMAIN_STYLES = ("inverted", "outline")


def invert(masks: torch.Tensor) -> torch.Tensor:
    """Contrast inversion of binary images: (B, 1, H, W) in {0, 1} -> 1 - masks."""
    return 1.0 - masks


def outline(masks: torch.Tensor) -> torch.Tensor:
    """The one-pixel inner contour of binary images: mask minus its erosion by a 3x3 square.

    Erosion is a min-pool, computed as ``-maxpool(-mask)``; pixels outside the canvas count as
    background, so a sprite touching the border keeps its contour there. (B, 1, H, W) -> same, in {0, 1}.
    """
    eroded = -F.max_pool2d(-F.pad(masks, (1, 1, 1, 1), value=0.0), 3, stride=1)  # (B, 1, H, W)
    return masks - eroded


@dataclass(frozen=True)
class TwoDomainSprites:
    """dSprites in two renderings: domain A (label 0) and domain B (label 1) of one factor grid.

    Parameters
    ----------
    resolution : {32, 64}
        Image side in pixels (chapter 8 uses 32).
    style : {"inverted", "outline"}
        How domain B renders the sprites (see the module docstring).

    ``images(indices, domains)`` renders each index in its domain; ``sample(n, generator)`` draws
    indices uniformly and domains at random (or one domain) and returns ``(images, factor classes,
    domain labels)``. Used by chapter 8.
    """

    resolution: int = 32
    style: Literal["inverted", "outline"] = "inverted"
    sprites: DSprites = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.style not in DOMAIN_STYLES:
            raise ValueError(f"style must be one of {', '.join(map(repr, DOMAIN_STYLES))}; got {self.style!r}")
        object.__setattr__(self, "sprites", DSprites(resolution=self.resolution))

    @property
    def factor_names(self) -> tuple[str, ...]:
        return self.sprites.factor_names

    @property
    def factor_sizes(self) -> tuple[int, ...]:
        return self.sprites.factor_sizes

    def render_b(self, masks: torch.Tensor) -> torch.Tensor:
        """Domain B's rendering of domain-A images (B, 1, H, W) in {0, 1}."""
        return invert(masks) if self.style == "inverted" else outline(masks)

    def images(self, indices, domains) -> torch.Tensor:
        """Render ``indices`` (B,) in ``domains`` (B,) (0 = A, 1 = B, or one int for all): (B, 1, H, W) float32."""
        a = self.sprites.images(indices)  # (B, 1, H, W)
        dom = torch.as_tensor(domains, dtype=torch.int64)
        if dom.ndim == 0:
            dom = dom.expand(a.shape[0])
        if dom.shape != (a.shape[0],):
            raise ValueError(f"domains must be one int or ({a.shape[0]},), got shape {tuple(dom.shape)}")
        if dom.numel() and (int(dom.min()) < 0 or int(dom.max()) > 1):
            raise ValueError("domains must be 0 (A) or 1 (B)")
        b = self.render_b(a)
        return torch.where(dom[:, None, None, None] == 1, b, a)

    def classes(self, indices) -> torch.Tensor:
        """Factor classes (B, 5), as :meth:`ibcore.data.DSprites.classes`."""
        return self.sprites.classes(indices)

    def values(self, indices) -> torch.Tensor:
        """Factor values (B, 5), as :meth:`ibcore.data.DSprites.values`."""
        return self.sprites.values(indices)

    def sample(self, n: int, generator: torch.Generator | None = None, domain: int | None = None,
               pool: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``n`` images with uniform factors, all in ``domain`` (0 or 1) or each in a random domain (None).

        Returns
        -------
        (images (n, 1, H, W) float32, factor classes (n, 5) int64, domain labels (n,) int64).
        """
        idx = self.sprites.sample_indices(n, generator, pool=pool)
        if domain is None:
            dom = torch.randint(2, (n,), generator=generator)
        elif domain in (0, 1):
            dom = torch.full((n,), int(domain), dtype=torch.int64)
        else:
            raise ValueError(f"domain must be 0, 1 or None, got {domain!r}")
        return self.images(idx, dom), self.classes(idx), dom
