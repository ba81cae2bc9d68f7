"""Datasets generated procedurally: nothing is downloaded.

``DSprites`` rebuilds deepmind's dSprites factor grid (Matthey et al. 2017) exactly: the same
factors, sizes, values and flat index order, so codes and factor classes mean what they mean in
disentanglement_lib. The pixels are ours (our own square, ellipse and heart outlines), so
images are close to, not byte-identical with, the original ``.npz``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["DSprites"]


def _shape_masks(resolution: int) -> np.ndarray:
    """Render the 3 x 6 x 40 sprites (shape, scale, orientation) on a (K, K) box, K = resolution // 2.

    A sprite at scale 1 fits a circle of radius 0.47 K around the box centre, so every rotation
    stays inside its box. Pixels are inside tests at pixel centres: values are exactly {0, 1}.

    Returns
    -------
    np.ndarray of bool, shape (3, 6, 40, K, K)
    """
    k = resolution // 2
    coords = (np.arange(k) + 0.5 - k / 2) / (0.47 * k)  # unit = scale-1 radius
    y, x = np.meshgrid(coords, coords, indexing="ij")  # (K, K) rows are y (down), columns x
    scales = np.linspace(0.5, 1.0, 6)
    angles = np.linspace(0.0, 2 * math.pi, 40)
    c, s = np.cos(angles)[:, None, None], np.sin(angles)[:, None, None]
    # rotate the pixel grid by -angle: the sprite turns by +angle
    u = (c * x + s * y)[None] / scales[:, None, None, None]  # (6, 40, K, K)
    v = (-s * x + c * y)[None] / scales[:, None, None, None]
    half = 1 / math.sqrt(2)  # square inscribed in the unit circle
    square = (np.abs(u) <= half) & (np.abs(v) <= half)
    ellipse = (u / 1.0) ** 2 + (v / 0.45) ** 2 <= 1.0
    # heart curve (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0, which spans about [-1.14, 1.14] x [-1, 1.24];
    # scaled by 0.78 and shifted so it sits in the unit circle, point up (y grows downwards).
    hx, hy = u / 0.78, -(v / 0.78) + 0.12
    heart = (hx**2 + hy**2 - 1) ** 3 - hx**2 * hy**3 <= 0
    return np.stack([square, ellipse, heart])  # (3, 6, 40, K, K)


@dataclass(frozen=True)
class DSprites:
    """Procedural dSprites: 737,280 binary images from 5 factors, in deepmind's order.

    Factors (all values as in the original dataset):

    ============  =====  ==================================
    factor        size   values
    ============  =====  ==================================
    shape         3      1, 2, 3 (square, ellipse, heart)
    scale         6      linspace(0.5, 1, 6)
    orientation   40     linspace(0, 2 pi, 40) (0 and 2 pi both present, as in the original)
    posX          32     linspace(0, 1, 32), left to right
    posY          32     linspace(0, 1, 32), top to bottom
    ============  =====  ==================================

    The flat index is ``shape*245760 + scale*40960 + orientation*1024 + posX*32 + posY``.
    Images are rendered on demand from 720 precomputed sprites pasted at integer offsets, so
    nothing is stored: a batch of 256 costs well under a millisecond. Position steps are one
    pixel at resolution 64; at resolution 32 they are half a pixel (neighbouring positions
    can render identically), so use 64 where positions matter most.

    Parameters
    ----------
    resolution : {64, 32}
        Image side in pixels.

    Used by chapters 1 and 2.
    """

    resolution: int = 64

    factor_names = ("shape", "scale", "orientation", "posX", "posY")
    factor_sizes = (3, 6, 40, 32, 32)

    def __post_init__(self) -> None:
        if self.resolution not in (32, 64):
            raise ValueError(f"resolution must be 32 or 64, got {self.resolution!r}")
        masks = torch.from_numpy(_shape_masks(self.resolution).reshape(720, *(2 * (self.resolution // 2,))))
        k, res = self.resolution // 2, self.resolution
        # top-left corner of the sprite box for each of the 32 positions: evenly from 0 to res-K-1
        offsets = torch.from_numpy(np.rint(np.linspace(0, res - k - 1, 32)).astype(np.int64))
        # Sprites pre-shifted along x: (720, 32 posX, K rows, W) as float32 (85 MiB at 64 px).
        # Rendering is then one row-gather per image: about 4x faster than scattering pixels.
        strips = torch.zeros(720, 32, k, res)
        for j, off in enumerate(offsets.tolist()):
            strips[:, j, :, off:off + k] = masks.float()
        object.__setattr__(self, "_strips", strips.reshape(720 * 32 * k, res))
        object.__setattr__(self, "_offsets", offsets)
        strides = np.cumprod((1,) + self.factor_sizes[::-1])[::-1]  # (737280, 245760, ..., 32, 1)
        object.__setattr__(self, "_strides", torch.from_numpy(strides[1:].copy()))

    def __len__(self) -> int:
        return 737_280

    @property
    def factor_values(self) -> tuple[np.ndarray, ...]:
        """The value of each class of each factor, as in the original ``latents_values``."""
        return (np.arange(1.0, 4.0), np.linspace(0.5, 1, 6), np.linspace(0, 2 * math.pi, 40),
                np.linspace(0, 1, 32), np.linspace(0, 1, 32))

    def _check(self, indices) -> torch.Tensor:
        idx = torch.as_tensor(indices, dtype=torch.int64).reshape(-1)
        if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= len(self)):
            raise IndexError(f"dSprites indices must lie in [0, {len(self)}), got {int(idx.min())}..{int(idx.max())}")
        return idx

    def classes(self, indices) -> torch.Tensor:
        """Factor classes of ``indices``: (B, 5) int64, columns in ``factor_names`` order."""
        idx = self._check(indices)
        return (idx[:, None] // self._strides) % torch.tensor(self.factor_sizes)

    def index(self, classes) -> torch.Tensor:
        """Flat indices of factor classes (B, 5): the inverse of :meth:`classes`."""
        return (torch.as_tensor(classes, dtype=torch.int64) * self._strides).sum(-1)

    def values(self, indices) -> torch.Tensor:
        """Factor values of ``indices``: (B, 5) float32 (shape as 1, 2, 3 as in the original)."""
        c = self.classes(indices)
        cols = [torch.as_tensor(v, dtype=torch.float32)[c[:, j]] for j, v in enumerate(self.factor_values)]
        return torch.stack(cols, dim=1)

    def images(self, indices) -> torch.Tensor:
        """Render ``indices``: float32 tensor (B, 1, H, W) with values in {0, 1}."""
        c = self.classes(indices)  # (B, 5)
        b, res = c.shape[0], self.resolution
        k = res // 2
        sprite = (c[:, 0] * 6 + c[:, 1]) * 40 + c[:, 2]  # (B,)
        src = ((sprite * 32 + c[:, 3]) * k)[:, None] + torch.arange(k)  # (B, K) rows of _strips
        dst = (torch.arange(b) * res + self._offsets[c[:, 4]])[:, None] + torch.arange(k)  # (B, K) posY -> row
        out = torch.zeros(b * res, res)
        out[dst.reshape(-1)] = self._strips[src.reshape(-1)]
        return out.view(b, 1, res, res)

    def sample_indices(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` indices drawn uniformly with replacement (the factors are then independent)."""
        return torch.randint(len(self), (n,), generator=generator)

    def render_all(self, chunk: int = 16_384) -> np.ndarray:
        """Every image, bit-packed: uint8 array (737280, H*W/8), 360 MiB at resolution 64 (benchmarks)."""
        out = np.empty((len(self), self.resolution**2 // 8), dtype=np.uint8)
        for start in range(0, len(self), chunk):
            idx = torch.arange(start, min(start + chunk, len(self)))
            out[start:start + len(idx)] = np.packbits(self.images(idx).to(torch.uint8).numpy().reshape(len(idx), -1), axis=1)
        return out
