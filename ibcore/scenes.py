"""Multi-object scenes made of dSprites, generated procedurally (chapter 7).

``MultiSprites`` puts 1-3 (up to 4) dSprites objects on one canvas, in the spirit of Multi-dSprites
(Burgess et al. 2019, MONet; Greff et al. 2019, IODINE), but procedural and grey-level: every object has
its own shape, scale, orientation, position and intensity, and objects are composed in a depth order
(a later object occludes an earlier one). The sprites are :mod:`ibcore.data`'s own square, ellipse and
heart outlines. Importable as ``ibcore.data.MultiSprites`` too.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import torch

__all__ = ["MultiSprites", "Scenes", "grid_partition"]


@dataclass(frozen=True)
class Scenes:
    """A batch of scenes drawn by :meth:`MultiSprites.sample`; ``N`` is the generator's ``max_objects``.

    Objects are stored in depth order: object 0 is drawn first (at the back), a later object occludes it.
    Absent objects (``j >= counts[b]``) have ``present`` False, an empty mask, classes -1 and factors 0.

    Attributes
    ----------
    images : (B, 1, H, W) float32 in [0, 1]: background 0, each visible pixel the intensity of its object.
    masks : (B, N, H, W) bool: the *visible* pixels of each object (after occlusion); disjoint, and their
        union is exactly the set of non-zero pixels.
    classes : (B, N, 6) int64 factor classes in ``MultiSprites.factor_names`` order (-1 if absent).
    factors : (B, N, 6) float32 factor values: shape 1-3, scale 0.5-1, orientation 0-2 pi, posX and posY in
        [0, 1] (left to right, top to bottom, the sprite box's position), intensity (0 if absent).
    present : (B, N) bool.
    counts : (B,) int64, the number of objects.
    """

    images: torch.Tensor
    masks: torch.Tensor
    classes: torch.Tensor
    factors: torch.Tensor
    present: torch.Tensor
    counts: torch.Tensor

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, sel) -> "Scenes":
        """The scenes ``sel`` (a slice, an index tensor or a boolean mask over the batch)."""
        return Scenes(*(getattr(self, f.name)[sel] for f in fields(self)))

    def labels(self) -> torch.Tensor:
        """Ground-truth segmentation (B, H, W) int64: 0 for background, j + 1 for object j."""
        idx = torch.arange(1, self.masks.shape[1] + 1).view(1, -1, 1, 1)
        return (self.masks.long() * idx).sum(1)


class MultiSprites:
    """Procedural multi-object dSprites scenes: ``min_objects`` to ``max_objects`` sprites on a canvas.

    Each object draws, independently and uniformly, a shape (square, ellipse, heart), one of dSprites' 6
    scales and 40 orientations, and an integer position of its ``sprite`` x ``sprite`` box on the canvas
    (``canvas - sprite + 1`` positions per axis). Intensities are drawn *without replacement* from
    :attr:`intensities` within a scene, so two overlapping objects always differ in grey level. The count is
    uniform on ``min_objects..max_objects`` unless fixed by ``sample(..., count=k)``. A scene in which some
    object keeps less than ``min_visible`` of its pixels after occlusion is redrawn (vectorised rejection),
    so every object counted is visible and the count is readable from the image.

    Factors (``factor_names``): shape (3 classes, values 1-3), scale (6, linspace(0.5, 1, 6)), orientation
    (40, linspace(0, 2 pi, 40)), posX and posY (``canvas - sprite + 1`` classes, values in [0, 1]) and
    intensity (4 classes, :attr:`intensities`).

    Parameters
    ----------
    canvas : int
        Image side in pixels (16 to 128). 32 by default: the object model's decoder runs once per slot,
        and a step at 32 px costs about a quarter of one at 64 px (chapter 7).
    sprite : int or None
        Side of each object's box in pixels (even, 6 to ``canvas``); a sprite at scale 1 fills a circle
        of radius 0.47 ``sprite``. Default ``3 * canvas // 8`` rounded to even (12 px at 32 px: objects of
        about 6 to 11 px, as Multi-dSprites' objects are on its 64 px canvas).
    min_objects, max_objects : int
        The range of the object count, 1 <= min_objects <= max_objects <= 4.
    min_visible : float
        Least fraction of an object's own pixels left visible after occlusion, in [0, 1).

    Deterministic: the same ``generator`` state gives the same scenes. Used by chapter 7.
    """

    factor_names = ("shape", "scale", "orientation", "posX", "posY", "intensity")
    intensities = (0.4, 0.6, 0.8, 1.0)

    def __init__(self, canvas: int = 32, sprite: int | None = None, min_objects: int = 1, max_objects: int = 3,
                 min_visible: float = 0.5):
        from ibcore.data import _shape_masks  # the dSprites outlines (imported here: ibcore.data re-exports us)

        for name, value in (("canvas", canvas), ("min_objects", min_objects), ("max_objects", max_objects)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"{name} must be an integer, got {value!r}")
        if not 16 <= canvas <= 128:
            raise ValueError(f"canvas must lie in [16, 128] pixels, got {canvas}")
        if sprite is None:
            sprite = 2 * round(3 * canvas / 16)
        if isinstance(sprite, bool) or not isinstance(sprite, (int, np.integer)) or sprite % 2 or not 6 <= sprite <= canvas:
            raise ValueError(f"sprite must be an even integer in [6, canvas={canvas}], got {sprite!r}")
        if not 1 <= min_objects <= max_objects:
            raise ValueError(f"min_objects must lie in [1, max_objects={max_objects}], got {min_objects}")
        if not 1 <= max_objects <= len(self.intensities):
            raise ValueError(f"max_objects must lie in [1, {len(self.intensities)}], got {max_objects}")
        if isinstance(min_visible, bool) or not isinstance(min_visible, (int, float)) or not 0.0 <= min_visible < 1.0:
            raise ValueError(f"min_visible must lie in [0, 1), got {min_visible!r}")
        self.canvas, self.sprite = int(canvas), int(sprite)
        self.min_objects, self.max_objects, self.min_visible = int(min_objects), int(max_objects), float(min_visible)
        self.n_positions = self.canvas - self.sprite + 1
        self._sprites = torch.from_numpy(_shape_masks(2 * self.sprite).reshape(720, self.sprite, self.sprite)).to(torch.uint8)
        self._area = self._sprites.flatten(1).sum(1, dtype=torch.int64)  # (720,) pixels of each sprite

    def __repr__(self) -> str:
        return (f"MultiSprites(canvas={self.canvas}, sprite={self.sprite}, objects={self.min_objects}-"
                f"{self.max_objects}, min_visible={self.min_visible:g})")

    @property
    def factor_sizes(self) -> tuple[int, ...]:
        return (3, 6, 40, self.n_positions, self.n_positions, len(self.intensities))

    @property
    def factor_values(self) -> tuple[np.ndarray, ...]:
        """The value of each class of each factor (as ``DSprites.factor_values``, plus intensity)."""
        pos = np.linspace(0, 1, self.n_positions)
        return (np.arange(1.0, 4.0), np.linspace(0.5, 1, 6), np.linspace(0, 2 * np.pi, 40), pos, pos,
                np.asarray(self.intensities))

    def sample(self, n: int, generator: torch.Generator | None = None, count: int | None = None,
               max_tries: int = 100) -> Scenes:
        """Draw ``n`` scenes; ``count`` fixes the number of objects (within ``min_objects..max_objects``).

        Returns a :class:`Scenes` with ``N = max_objects`` object rows. Vectorised: every draw, the
        rendering and the rejection of scenes with a hidden object are batch operations.
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        if count is not None and (isinstance(count, bool) or not isinstance(count, (int, np.integer))
                                  or not self.min_objects <= count <= self.max_objects):
            raise ValueError(f"count must be an integer in [{self.min_objects}, {self.max_objects}], got {count!r}")
        g = generator if generator is not None else torch.Generator().manual_seed(0)
        if count is None:
            counts = torch.randint(self.min_objects, self.max_objects + 1, (n,), generator=g)
        else:
            counts = torch.full((n,), int(count), dtype=torch.int64)
        classes = self._draw(counts, g)
        todo = torch.arange(n)  # scenes still to check: only redrawn ones are composed again
        for _ in range(max_tries):
            masks, _ = self._compose(classes[todo])
            todo = todo[self._hidden(classes[todo], masks)]
            if len(todo) == 0:
                break
            classes[todo] = self._draw(counts[todo], g)
        else:
            raise RuntimeError(f"could not place every object with {self.min_visible:.0%} visible in {max_tries} "
                               f"tries: lower min_visible or max_objects, or enlarge the canvas")
        masks, images = self._compose(classes)
        present = classes[..., 0] >= 0
        factors = torch.zeros(classes.shape, dtype=torch.float32)
        for j, values in enumerate(self.factor_values):
            table = torch.as_tensor(values, dtype=torch.float32)
            factors[..., j] = torch.where(present, table[classes[..., j].clamp_min(0)], 0.0)
        return Scenes(images=images, masks=masks, classes=classes, factors=factors, present=present, counts=counts)

    def _draw(self, counts: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        """Factor classes (B, N, 6) of ``counts`` objects per scene, -1 rows for absent objects."""
        b, n = len(counts), self.max_objects
        sizes = self.factor_sizes
        cols = [torch.randint(s, (b, n), generator=g) for s in sizes[:5]]
        cols.append(torch.rand(b, len(self.intensities), generator=g).argsort(1)[:, :n])  # distinct per scene
        classes = torch.stack(cols, -1)  # (B, N, 6)
        absent = torch.arange(n)[None] >= counts[:, None]  # (B, N)
        classes[absent] = -1
        return classes

    def _compose(self, classes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Visible masks (B, N, H, W) bool and images (B, 1, H, W) of factor classes, back to front."""
        b, n, _ = classes.shape
        c, s = self.canvas, self.sprite
        present = classes[..., 0] >= 0  # (B, N)
        cl = classes.clamp_min(0)
        sprite = (cl[..., 0] * 6 + cl[..., 1]) * 40 + cl[..., 2]  # (B, N) index into the 720 sprites
        # paste every object's box with one scatter: flat canvas index of each box pixel
        rows = cl[..., 4, None] + torch.arange(s)  # (B, N, S) posY -> row
        cols = cl[..., 3, None] + torch.arange(s)  # (B, N, S) posX -> column
        flat = rows[..., :, None] * c + cols[..., None, :]  # (B, N, S, S)
        full = torch.zeros(b, n, c * c, dtype=torch.uint8)  # uint8: the max below is 20x faster than int64
        full.scatter_(2, flat.flatten(2), self._sprites[sprite].flatten(2))
        full *= present[..., None]  # (B, N, H*W) each object's own pixels
        # occlusion: the owner of a pixel is the last (front-most) object covering it
        depth = torch.arange(1, n + 1, dtype=torch.uint8).view(1, n, 1)
        owner = (full * depth).amax(1)  # (B, H*W), 0 = background
        masks = owner[:, None] == depth  # (B, N, H*W) visible pixels
        levels = torch.as_tensor(self.intensities, dtype=torch.float32)[cl[..., 5]] * present  # (B, N)
        images = (masks.float() * levels[..., None]).sum(1)  # (B, H*W)
        return masks.view(b, n, c, c), images.view(b, 1, c, c)

    def _hidden(self, classes: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
        """(B,) bool: scenes in which a present object keeps less than ``min_visible`` of its pixels."""
        cl = classes.clamp_min(0)
        area = self._area[(cl[..., 0] * 6 + cl[..., 1]) * 40 + cl[..., 2]]  # (B, N)
        visible = masks.flatten(2).sum(2)  # (B, N)
        bad = (visible < self.min_visible * area) | (visible == 0)
        return (bad & (classes[..., 0] >= 0)).any(1)


def grid_partition(segments: int, canvas: int) -> torch.Tensor:
    """A fixed partition of the canvas into ``segments`` regions: (H, W) int64 labels 0..segments-1.

    The regions are the cells of an r x c grid with r = floor(sqrt(segments)) rows and c = ceil(segments / r)
    columns, the last row's cells merged where r * c > segments (4 -> 2 x 2 quadrants, 3 -> three vertical
    strips, 5 -> 2 x 3 with the last two cells merged). It ignores the image: the control segmentation of
    chapter 7's FG-ARI claim (a model that cuts the canvas into fixed regions scores well on FG-ARI).
    """
    if isinstance(segments, bool) or not isinstance(segments, (int, np.integer)) or not 1 <= segments <= canvas:
        raise ValueError(f"segments must be an integer in [1, canvas={canvas}], got {segments!r}")
    r = int(np.floor(np.sqrt(segments)))
    c = -(-segments // r)
    rows = torch.arange(canvas) * r // canvas  # (H,)
    cols = torch.arange(canvas) * c // canvas  # (W,)
    labels = rows[:, None] * c + cols[None, :]
    return labels.clamp_max(segments - 1)
