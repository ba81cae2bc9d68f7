"""Named scales of each chapter and validation of the papermill ``parameters`` cell.

Every chapter's second cell calls :func:`resolve` with the values of its ``parameters`` cell.
Bad values raise ``ValueError`` naming the parameter and what is allowed, so a wrong
``papermill -p ...`` fails at once, in the parameters cell, not twenty minutes later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import torch

from ibcore.runtime import resolve_device

SCALES = ("smoke", "book", "paper")

#: Sizes per chapter and scale. ``book`` is the default the committed outputs were made at and must
#: fit the chapter's CPU budget; ``smoke`` runs every code path in seconds; ``paper`` follows the
#: papers' budgets and is meant for a GPU.
CHAPTER_SIZES: dict[str, dict[str, dict[str, Any]]] = {
    "01": {
        # steps: optimiser steps per beta; n_codes: posterior codes fed to the exact estimator;
        # est_batch: minibatch of the sampling estimators (Chen et al. 2018 used 2048 at most).
        "smoke": dict(steps=40, batch_size=32, n_codes=400, est_batch=64, resolution=32, lr=1e-3),
        # 32 px trains 4x faster than 64 px on a CPU (11 vs 49 ms a step at batch 64, 2 threads)
        "book": dict(steps=2500, batch_size=64, n_codes=10_000, est_batch=1024, resolution=32, lr=1e-3),
        # Burgess et al. 2017 / Locatello et al. 2019: 300k steps of batch 64 at 64 px.
        "paper": dict(steps=300_000, batch_size=64, n_codes=50_000, est_batch=2048, resolution=64, lr=1e-4),
    },
    "02": {
        # steps: optimiser steps of every model; log_every: training-log period (the KL-per-latent curves);
        # n_codes: held-out images scored by MIG, DCI and the MI matrix (DCI trains on half, tests on half)
        "smoke": dict(steps=60, batch_size=32, n_codes=600, log_every=10, resolution=32, lr=1e-3),
        "book": dict(steps=6000, batch_size=64, n_codes=10_000, log_every=50, resolution=32, lr=1e-3),
        # Burgess et al. 2017 / Locatello et al. 2019: 300k steps of batch 64 at 64 px
        "paper": dict(steps=300_000, batch_size=64, n_codes=50_000, log_every=500, resolution=64, lr=1e-4),
    },
    "03": {
        # cluttered digits per split; Adam one-cycle peaking at lr; epochs over n_train
        # canvas 48: positions span two periods of the nets' total stride (16), see the chapter
        "smoke": dict(n_train=256, n_probe=200, n_test=200, epochs=1, batch_size=64, lr=2e-3, canvas=48),
        # 20,000 renderings of the 1,078 training digits: with 6,000 the strided net memorises (test 0.55)
        "book": dict(n_train=20000, n_probe=3000, n_test=3000, epochs=6, batch_size=128, lr=2e-3, canvas=48),
        "paper": dict(n_train=40000, n_probe=5000, n_test=5000, epochs=30, batch_size=128, lr=2e-3, canvas=48),
    },
    "04": {
        # chapter 3's data on a 32 px canvas (position is chapter 3's nuisance, not this chapter's); one
        # Information Dropout network trains in about 30 s at book scale, ten of them fit the 8-minute budget.
        # 12 epochs, not 6: at 6 a bottleneck that removes the last block's noise-level bits costs 5 points
        # of accuracy, at 12 the network recovers them (one-seed pilot: 0.848 vs 0.852 at beta 0.1)
        "smoke": dict(n_train=256, n_probe=200, n_test=200, epochs=1, batch_size=64, lr=2e-3, canvas=32),
        "book": dict(n_train=20000, n_probe=3000, n_test=3000, epochs=12, batch_size=128, lr=2e-3, canvas=32),
        "paper": dict(n_train=40000, n_probe=5000, n_test=5000, epochs=30, batch_size=128, lr=2e-3, canvas=32),
    },
    "05": {
        # n_train >= 4000 so that random labels are visibly slower to fit (issue #7)
        # n_digits: training images of the 8x8 digits for the Lagrangian; n_train: cluttered digits memorised
        "smoke": dict(n_digits=300, n_train=256, n_test=200, vib_epochs=2, mem_epochs=1, mem_channels=(8, 16)),
        # N = 10,000: at 4,000 the net memorises real labels too (test 0.41) and random ones fit only 1.4x slower
        "book": dict(n_digits=1000, n_train=10000, n_test=2000, vib_epochs=100, mem_epochs=100,
                     mem_channels=(16, 32, 32, 64)),
        "paper": dict(n_digits=1000, n_train=20000, n_test=5000, vib_epochs=300, mem_epochs=300,
                      mem_channels=(32, 64, 64, 128)),
    },
    "06": {
        # epochs over n_train images of batch 100; Adam learning rates of the means and of log-sigma
        "smoke": dict(n_train=300, epochs=3, batch_size=100, lr_mu=3e-3, lr_sigma=2e-2),
        "book": dict(n_train=1000, epochs=200, batch_size=100, lr_mu=3e-3, lr_sigma=2e-2),
        "paper": dict(n_train=1000, epochs=2000, batch_size=100, lr_mu=3e-3, lr_sigma=2e-2),
    },
}


@dataclass(frozen=True)
class Config:
    """The validated parameters of one chapter run: scale, seed, device and derived sizes."""

    chapter: str
    scale: str
    seed: int
    device: torch.device
    sizes: Mapping[str, Any]
    knobs: Mapping[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        # Sizes and knobs read as attributes: cfg.steps, cfg.betas.
        for table in ("sizes", "knobs"):
            values = object.__getattribute__(self, table)
            if name in values:
                return values[name]
        raise AttributeError(name)

    @property
    def asserts(self) -> bool:
        """Whether the claim check asserts (book and paper scale) or only prints (smoke)."""
        return self.scale != "smoke"


def check_choice(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise ``ValueError`` naming ``name``."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def check_int(name: str, value: Any, minimum: int = 1, maximum: int | None = None) -> int:
    """Return ``value`` as an int within [minimum, maximum], else raise ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and <= {maximum}" if maximum is not None else ""
        raise ValueError(f"{name} must be an integer >= {minimum}{upper}, got {value}")
    return value


def check_range(name: str, value: Any, low: float, high: float, *, low_open: bool = False) -> float:
    """Return ``value`` as a float in [low, high] ((low, high] if ``low_open``), else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    ok = (value > low if low_open else value >= low) and value <= high
    if not ok:
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must lie in {bracket}{low}, {high}], got {value}")
    return float(value)


def check_values(name: str, values: Any, low: float, high: float, *, min_count: int = 1,
                 low_open: bool = False) -> tuple[float, ...]:
    """Validate a list parameter (e.g. a beta grid): every entry in range, at least ``min_count`` entries."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ValueError(f"{name} must be a list of numbers, got {values!r}")
    values = tuple(values)
    if len(values) < min_count:
        raise ValueError(f"{name} needs at least {min_count} values, got {len(values)}")
    return tuple(check_range(f"{name}[{i}]", v, low, high, low_open=low_open) for i, v in enumerate(values))


def resolve(chapter: str, *, scale: str, seed: Any, device: str, **knobs: Any) -> Config:
    """Validate a chapter's ``parameters`` cell and derive its sizes from ``scale``.

    Parameters
    ----------
    chapter : str
        Two-digit chapter number, a key of :data:`CHAPTER_SIZES`.
    scale : {"smoke", "book", "paper"}
        Named size; unknown names raise ``ValueError`` listing the allowed ones.
    seed : int
        Non-negative integer seed.
    device : str
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``; CUDA on a machine without it raises.
    **knobs
        The chapter's own parameters, already validated by the ``check_*`` helpers.

    Used by every chapter's second cell.
    """
    check_choice("chapter", chapter, CHAPTER_SIZES)
    check_choice("scale", scale, SCALES)
    seed = check_int("seed", seed, minimum=0, maximum=2**63 - 1)
    return Config(chapter=chapter, scale=scale, seed=seed, device=resolve_device(device),
                  sizes=dict(CHAPTER_SIZES[chapter][scale]), knobs=dict(knobs))
