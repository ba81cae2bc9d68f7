"""Seeding, threads and device choice, shared by every chapter."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

#: Most torch threads a chapter uses by default. Small problems (the probes' many small solves, a conv net at
#: batch 128) gain little from more, and several chapters or sweep workers often share a machine: with two
#: processes of 2 threads each on 2 cores, oversubscribed threads spin and wait (issue 17).
DEFAULT_THREADS = 2


def default_threads() -> int:
    """Torch threads for this process: ``$IBCORE_THREADS`` if set (the sweep sets it per worker so that
    workers x threads <= cores; set it yourself to 1 when you run several chapters at once), else
    ``min(DEFAULT_THREADS, cores this process may use)`` (``os.sched_getaffinity``, which honours taskset
    and container CPU sets). Used by :func:`seed_everything`."""
    env = os.environ.get("IBCORE_THREADS")
    if env:
        try:
            value = int(env)
        except ValueError:
            raise ValueError(f"IBCORE_THREADS must be a positive integer, got {env!r}") from None
        if value < 1:
            raise ValueError(f"IBCORE_THREADS must be a positive integer, got {env!r}")
        return value
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        cores = os.cpu_count() or 1
    return max(1, min(DEFAULT_THREADS, cores))


def seed_everything(seed: int, threads: int | None = None) -> torch.Generator:
    """Seed Python, NumPy and PyTorch, fix the CPU thread count and ask for deterministic ops.

    Parameters
    ----------
    seed : int
        The chapter's ``seed`` parameter.
    threads : int, optional
        Intra-op threads for PyTorch on CPU; defaults to :func:`default_threads` (``$IBCORE_THREADS``,
        else ``min(2, available cores)``).

    Returns
    -------
    torch.Generator
        A CPU generator seeded with ``seed``, for code that wants its own stream.

    Used by every chapter's set-up cell.
    """
    if threads is None:
        threads = default_threads()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.set_num_threads(max(1, threads))
    # warn_only: a few CUDA kernels have no deterministic version; on CPU every op we use does.
    torch.use_deterministic_algorithms(True, warn_only=True)
    return torch.Generator().manual_seed(seed)


def resolve_device(device: str = "auto") -> torch.device:
    """Turn the ``device`` parameter into a ``torch.device``.

    ``"auto"`` picks CUDA when it is available, else the CPU. ``"cpu"``, ``"cuda"`` and
    ``"cuda:N"`` are taken as they are; asking for CUDA on a machine without it raises
    ``ValueError`` naming the parameter. Used by every chapter (through ``ibcore.params``).
    """
    if not isinstance(device, str):
        raise ValueError(f"device must be a string ('auto', 'cpu', 'cuda' or 'cuda:N'), got {device!r}")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu":
        return torch.device("cpu")
    if device == "cuda" or (device.startswith("cuda:") and device[5:].isdigit()):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} asks for CUDA but this machine has no CUDA device; "
                "use device='auto' or 'cpu'"
            )
        return torch.device(device)
    raise ValueError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}")
