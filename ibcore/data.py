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

__all__ = ["DSprites", "MultiSprites", "NoisyDigits", "ClutteredDigits", "CLUTTER_NUISANCES", "label_noise"]


def __getattr__(name: str):
    """``ibcore.data.MultiSprites`` lives in :mod:`ibcore.scenes` (chapter 7), which imports this module's
    sprites; it is re-exported lazily so that either module can be imported first."""
    if name == "MultiSprites":
        from ibcore.scenes import MultiSprites

        return MultiSprites
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
        # Sprites pre-shifted along x: (720, 32 posX, K rows, W) as uint8 (21 MiB at 64 px).
        # Rendering is then one row-gather per image: about 4x faster than scattering pixels.
        strips = torch.zeros(720, 32, k, res, dtype=torch.uint8)
        for j, off in enumerate(offsets.tolist()):
            strips[:, j, :, off:off + k] = masks.to(torch.uint8)
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
        return self._render(indices).float()

    def _render(self, indices) -> torch.Tensor:
        """Render ``indices`` as uint8 (B, 1, H, W) in {0, 1}."""
        c = self.classes(indices)  # (B, 5)
        b, res = c.shape[0], self.resolution
        k = res // 2
        sprite = (c[:, 0] * 6 + c[:, 1]) * 40 + c[:, 2]  # (B,)
        src = ((sprite * 32 + c[:, 3]) * k)[:, None] + torch.arange(k)  # (B, K) rows of _strips
        dst = (torch.arange(b) * res + self._offsets[c[:, 4]])[:, None] + torch.arange(k)  # (B, K) posY -> row
        out = torch.zeros(b * res, res, dtype=torch.uint8)
        out[dst.reshape(-1)] = self._strips[src.reshape(-1)]
        return out.view(b, 1, res, res)

    def sample_indices(self, n: int, generator: torch.Generator | None = None,
                       pool: torch.Tensor | None = None) -> torch.Tensor:
        """``n`` indices drawn uniformly with replacement from all 737,280 (the factors are then
        independent), or from ``pool`` (e.g. the training part of :meth:`split`)."""
        if pool is None:
            return torch.randint(len(self), (n,), generator=generator)
        if len(pool) == 0:
            raise ValueError("pool is empty")
        return pool[torch.randint(len(pool), (n,), generator=generator)]

    def split(self, n_held_out: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """A train / held-out split of the indices, so that held-out images are never trained on.

        ``n_held_out`` distinct indices are drawn uniformly (without replacement, from a permutation
        seeded by ``seed``) and held out; the training pool is every other index, in increasing order.
        Draw the training stream with ``sample_indices(n, generator, pool=train)``.

        Returns
        -------
        (train, held_out): int64 tensors of ``len(self) - n_held_out`` and ``n_held_out`` indices; the
        held-out ones in random order, so any prefix is a uniform sample. Used by chapters 1 and 2.
        """
        if not 0 < n_held_out < len(self):
            raise ValueError(f"n_held_out must lie in [1, {len(self) - 1}], got {n_held_out}")
        perm = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))
        held_out = perm[:n_held_out].clone()
        keep = torch.ones(len(self), dtype=torch.bool)
        keep[held_out] = False
        return keep.nonzero().squeeze(1), held_out

    def render_all(self, chunk: int = 4096) -> np.ndarray:
        """Every image, bit-packed: uint8 array (737280, H*W/8), 360 MiB at resolution 64 (benchmarks)."""
        out = np.empty((len(self), self.resolution**2 // 8), dtype=np.uint8)
        for start in range(0, len(self), chunk):
            idx = torch.arange(start, min(start + chunk, len(self)))
            out[start:start + len(idx)] = np.packbits(self._render(idx).numpy().reshape(len(idx), -1), axis=1)
        return out


def label_noise(labels: torch.Tensor, fraction: float, n_classes: int = 10, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Replace a ``fraction`` of the labels by labels drawn uniformly from all classes.

    Reproducible from ``seed``. Exactly ``round(fraction * N)`` examples are chosen; a drawn label
    may coincide with the true one (as in Zhang et al. 2017), so about 1/n_classes of the chosen
    labels stay correct. The clean ``labels`` are left untouched for evaluation.

    Returns
    -------
    (noisy labels (N,), mask (N,) bool of the chosen examples). Used by chapters 5 and 6.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must lie in [0, 1], got {fraction}")
    g = torch.Generator().manual_seed(seed)
    n = len(labels)
    chosen = torch.zeros(n, dtype=torch.bool)
    chosen[torch.randperm(n, generator=g)[: round(fraction * n)]] = True
    noisy = labels.clone()
    noisy[chosen] = torch.randint(n_classes, (int(chosen.sum()),), generator=g)
    return noisy, chosen


@dataclass(frozen=True)
class NoisyDigits:
    """scikit-learn's bundled 8x8 digits (1797 images, no download) with a noise-level nuisance.

    Each image gets one of ``len(noise_levels)`` levels of additive half-normal pixel noise |N(0, s^2)|
    (s in units of the [0, 1] pixel range), drawn from ``seed``; the level is recorded as a nuisance
    whose information a representation should drop. The noise is non-negative so that its level moves
    the mean brightness and is readable by a linear probe from the pixels (zero-mean noise would only
    change a second moment, invisible to a linear probe). Train / test are split by source image.

    Attributes: ``x_train`` (N, 64) float32, ``y_train`` (N,) int64, ``noise_train`` (N,) int64, and
    the same for ``test``. Used by chapter 6.
    """

    n_train: int = 1000
    noise_levels: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3)
    seed: int = 0

    def __post_init__(self) -> None:
        from sklearn.datasets import load_digits

        digits = load_digits()
        x = torch.tensor(digits.data, dtype=torch.float32) / 16.0  # (1797, 64) in [0, 1]
        y = torch.tensor(digits.target, dtype=torch.int64)
        if not 0 < self.n_train < len(x):
            raise ValueError(f"n_train must lie in [1, {len(x) - 1}], got {self.n_train}")
        g = torch.Generator().manual_seed(self.seed)
        perm = torch.randperm(len(x), generator=g)
        if not self.noise_levels:
            raise ValueError("noise_levels needs at least one level (use (0.0,) for clean digits)")
        level = torch.randint(len(self.noise_levels), (len(x),), generator=g)
        std = torch.tensor(self.noise_levels)[level]
        x = x + std[:, None] * torch.randn(x.shape, generator=g).abs()
        tr, te = perm[: self.n_train], perm[self.n_train:]
        for name, idx in (("train", tr), ("test", te)):
            object.__setattr__(self, f"x_{name}", x[idx])
            object.__setattr__(self, f"y_{name}", y[idx])
            object.__setattr__(self, f"noise_{name}", level[idx])
            object.__setattr__(self, f"source_{name}", idx)

    def at_every_level(self, split: str = "test") -> dict[str, torch.Tensor]:
        """Every image of ``split`` at every noise level, with fresh noise (drawn from ``seed`` + 1).

        A nuisance probe set where the noise level is balanced and independent of the digit: N sources
        x L levels images. Returns a dict of ``x`` (N*L, 64) float32, ``y``, ``noise`` and ``source``
        (N*L,) int64, source-major (the L renderings of a source are adjacent), so a split by source is a
        split of contiguous blocks. Used by chapter 6's probes.
        """
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        from sklearn.datasets import load_digits

        source = getattr(self, f"source_{split}")  # (N,)
        clean = torch.tensor(load_digits().data, dtype=torch.float32)[source] / 16.0  # (N, 64)
        n_levels = len(self.noise_levels)
        g = torch.Generator().manual_seed(self.seed + 1)
        std = torch.tensor(self.noise_levels).repeat(len(source))  # (N*L,)
        x = clean.repeat_interleave(n_levels, 0)  # (N*L, 64)
        x = x + std[:, None] * torch.randn(x.shape, generator=g).abs()
        return {"x": x, "y": getattr(self, f"y_{split}").repeat_interleave(n_levels),
                "noise": torch.arange(n_levels).repeat(len(source)), "source": source.repeat_interleave(n_levels)}


#: Nuisance targets of :class:`ClutteredDigits` and their number of classes.
CLUTTER_NUISANCES = {"position": 9, "noise": 4, "clutter": 4, "distractor": 10}


@dataclass(frozen=True)
class ClutteredDigits:
    """Cluttered digits, made procedurally from scikit-learn's bundled 8x8 digits (no download).

    Each image is a ``canvas`` x ``canvas`` picture in [0, 1] holding

    - the **task digit** (2x upsampled to 16x16, full brightness) at a random position;
    - a **distractor**: another whole digit at half brightness elsewhere on the canvas, whose class is a
      nuisance readable from the pixels (``distractor``, 10 classes);
    - **clutter**: 0, 3, 6 or 9 random 5x5 fragments of other digits, too small to be recognised
      (``clutter`` = the amount, 4 classes);
    - **noise**: Gaussian pixel noise of std 0, 0.1, 0.2 or 0.3, then clipping to [0, 1], so the noise
      also raises the mean brightness (``noise`` = the level, 4 classes);
    - ``position``: the task digit's position on a 3 x 3 grid of the canvas (9 classes); ``pos_x``,
      ``pos_y`` keep the exact offsets.

    Splits ``train``, ``probe`` and ``test`` are made from disjoint sets of *source* images (distractors
    and fragments included), so no test pixel was ever seen in training. Per split ``s``: ``x_s``
    (N, 1, canvas, canvas) float32, ``y_s`` (N,) int64, ``nuisances_s`` a dict of (N,) int64 tensors,
    ``digit_mask_s`` and ``clutter_mask_s`` (N, canvas, canvas) bool, and ``source_s`` the source index
    of each task digit. Deterministic from ``seed``. Used by chapters 3-5.
    """

    n_train: int = 6000
    n_probe: int = 3000
    n_test: int = 3000
    canvas: int = 32
    seed: int = 0

    noise_levels = (0.0, 0.1, 0.2, 0.3)
    clutter_counts = (0, 3, 6, 9)

    def __post_init__(self) -> None:
        from sklearn.datasets import load_digits

        for name, low in (("n_train", 1), ("n_probe", 0), ("n_test", 1)):
            if getattr(self, name) < low:
                raise ValueError(f"{name} must be >= {low}, got {getattr(self, name)}")
        if self.canvas < 20:
            raise ValueError(f"canvas must be >= 20 pixels, got {self.canvas}")
        digits = load_digits()
        images = np.kron(digits.images / 16.0, np.ones((2, 2)))  # (1797, 16, 16) in [0, 1]
        labels = digits.target
        rng = np.random.default_rng(self.seed)
        order = rng.permutation(len(images))
        cut1, cut2 = int(0.6 * len(order)), int(0.8 * len(order))
        pools = {"train": order[:cut1], "probe": order[cut1:cut2], "test": order[cut2:]}
        for split, n in (("train", self.n_train), ("probe", self.n_probe), ("test", self.n_test)):
            self._render_split(split, n, pools[split], images, labels, rng)

    def _render_split(self, split, n, pool, images, labels, rng) -> None:
        c, d = self.canvas, 16
        x = np.zeros((n, c, c), dtype=np.float32)
        digit_mask = np.zeros((n, c, c), dtype=bool)
        clutter_mask = np.zeros((n, c, c), dtype=bool)
        src = rng.choice(pool, n)
        pos = rng.integers(0, c - d + 1, (n, 2))  # (N, 2) top-left (row, col) of the task digit
        noise = rng.integers(0, 4, n)
        clutter = rng.integers(0, 4, n)
        dist_src = np.array([rng.choice(pool[labels[pool] != labels[s]]) for s in src], dtype=np.int64)
        for i in range(n):
            # distractor: half brightness, in the corner farthest from the task digit, jittered inwards
            dpos = np.where(pos[i] < (c - d) / 2, c - d, 0)
            dpos = np.abs(dpos - rng.integers(0, 3, 2))
            x[i, dpos[0]:dpos[0] + d, dpos[1]:dpos[1] + d] = 0.5 * images[dist_src[i]]
            clutter_mask[i, dpos[0]:dpos[0] + d, dpos[1]:dpos[1] + d] = images[dist_src[i]] > 0.25
            for _ in range(self.clutter_counts[clutter[i]]):
                f_src = images[rng.choice(pool)]
                fr, fc = rng.integers(0, d - 5, 2)
                frag = f_src[fr:fr + 5, fc:fc + 5]
                r, q = rng.integers(0, c - 5 + 1, 2)
                x[i, r:r + 5, q:q + 5] = np.maximum(x[i, r:r + 5, q:q + 5], frag)
                clutter_mask[i, r:r + 5, q:q + 5] |= frag > 0.25
            r, q = pos[i]
            x[i, r:r + d, q:q + d] = np.maximum(x[i, r:r + d, q:q + d], images[src[i]])
            digit_mask[i, r:r + d, q:q + d] = images[src[i]] > 0.25
        levels = np.asarray(self.noise_levels, dtype=np.float32)[noise]
        x = np.clip(x + levels[:, None, None] * rng.standard_normal(x.shape).astype(np.float32), 0.0, 1.0)
        grid = np.minimum(pos * 3 // (c - d + 1), 2)  # (N, 2) 3 x 3 grid cell of the task digit
        nuisances = {"position": grid[:, 0] * 3 + grid[:, 1], "noise": noise, "clutter": clutter,
                     "distractor": labels[dist_src], "pos_y": pos[:, 0], "pos_x": pos[:, 1]}
        object.__setattr__(self, f"x_{split}", torch.from_numpy(x[:, None]))
        object.__setattr__(self, f"y_{split}", torch.from_numpy(labels[src].astype(np.int64)))
        object.__setattr__(self, f"nuisances_{split}", {k: torch.from_numpy(v.astype(np.int64)) for k, v in nuisances.items()})
        object.__setattr__(self, f"digit_mask_{split}", torch.from_numpy(digit_mask))
        object.__setattr__(self, f"clutter_mask_{split}", torch.from_numpy(clutter_mask & ~digit_mask))
        object.__setattr__(self, f"source_{split}", torch.from_numpy(src.astype(np.int64)))
        object.__setattr__(self, f"sources_{split}", torch.from_numpy(np.unique(np.concatenate([src, dist_src]))))
