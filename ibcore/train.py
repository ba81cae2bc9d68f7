"""The book's one training loop."""

from __future__ import annotations

import functools
import io
import os
import sys
from typing import Any, Callable, Iterable, Mapping, TextIO

import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

__all__ = ["fit", "epoch_batches", "accuracy", "train_classifier", "reestimate_batchnorm"]

#: ``step_loss(model, batch, step) -> dict`` of named terms; ``"loss"`` is minimised.
StepLoss = Callable[[nn.Module, Any, int], Mapping[str, torch.Tensor]]
#: ``callback(step, model, row) -> dict | None``: called at every logged step; extra columns.
Callback = Callable[[int, nn.Module, dict], "Mapping[str, Any] | None"]


def _terminal() -> TextIO | None:
    """A stream on the terminal this process was started from, or None if it has none.

    In a Jupyter kernel ``sys.stderr`` is the notebook's output, but its ``fileno()`` is the kernel's
    original stderr: a progress bar written there reaches the terminal that ran papermill or
    ``make chapter`` and is never stored in the notebook. Under pytest, CI or a log file: None.
    """
    for stream in (sys.stderr, sys.__stderr__):
        try:
            fd = stream.fileno()
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            continue
        if os.isatty(fd):
            return _open_fd(fd)
    return None


@functools.lru_cache(maxsize=None)
def _open_fd(fd: int) -> TextIO:
    return open(fd, "w", buffering=1, closefd=False)


def _scalars(terms: Mapping[str, torch.Tensor]) -> dict[str, float]:
    """Detach terms into floats; a vector term ``kl_per_dim`` becomes columns ``kl_per_dim_0..``."""
    row: dict[str, float] = {}
    for name, value in terms.items():
        value = value.detach()
        if value.ndim == 0:
            row[name] = float(value)
        else:
            row.update({f"{name}_{i}": float(v) for i, v in enumerate(value.reshape(-1).tolist())})
    return row


def fit(model: nn.Module, step_loss: StepLoss, batches: Callable[[int], Any] | Iterable[Any], steps: int, *,
        optimizer: torch.optim.Optimizer | None = None, lr: float = 1e-3,
        scheduler: torch.optim.lr_scheduler.LRScheduler | None = None, log_every: int = 50,
        log_steps: Iterable[int] = (), callbacks: Iterable[Callback] = (), progress: bool = True,
        desc: str = "fit") -> pd.DataFrame:
    """Train ``model`` for ``steps`` optimiser steps and return the logged history.

    Parameters
    ----------
    model : the module to train (left in train mode).
    step_loss : ``step_loss(model, batch, step)`` returns a dict of named tensors in nats with a
        scalar ``"loss"``. Schedules (an annealed beta, a capacity C) live in this closure and
        are functions of ``step``: the loss itself never counts steps.
    batches : ``batches(step) -> batch`` or an iterable of batches (cycled if it runs out).
    steps : number of optimiser steps.
    optimizer : defaults to Adam(lr).
    scheduler : stepped once per optimiser step.
    log_every : log every this many steps (and at the last step).
    log_steps : extra steps to log (e.g. dense logging early in training).
    callbacks : called at each logged step with ``(step, model, row)``; a returned dict adds
        columns to that row (e.g. a metric on held-out data); ``{"stop": True}`` ends training there.
    progress : show a tqdm bar on the terminal, when there is one (never in a notebook's outputs).

    Returns
    -------
    pandas.DataFrame, one row per logged step: ``step`` and every term of ``step_loss``
    (vectors expanded to ``name_i`` columns), plus callback columns.

    Used by every chapter that trains a model.
    """
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    get = batches if callable(batches) else _cycler(batches)
    extra = set(log_steps)
    rows: list[dict] = []
    model.train()
    terminal = _terminal() if progress else None
    for step in tqdm(range(1, steps + 1), disable=terminal is None, file=terminal, desc=desc, mininterval=2.0,
                     leave=False):
        terms = step_loss(model, get(step), step)
        optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        if step % log_every == 0 or step == steps or step in extra:
            row = {"step": step, **_scalars(terms)}
            for cb in callbacks:
                row.update(cb(step, model, row) or {})
            stop = bool(row.pop("stop", False))
            rows.append(row)
            if stop:
                break
    return pd.DataFrame(rows)


def _cycler(iterable: Iterable[Any]) -> Callable[[int], Any]:
    state = {"it": iter(iterable)}

    def get(_: int) -> Any:
        try:
            return next(state["it"])
        except StopIteration:
            state["it"] = iter(iterable)
            return next(state["it"])

    return get


def epoch_batches(n: int, batch_size: int, generator: torch.Generator) -> Callable[[int], torch.Tensor]:
    """``batches(step)`` for :func:`fit`: index batches of a fresh permutation each epoch (last partial
    batch dropped), reproducible from ``generator``. Used by chapters 3-6."""
    per_epoch = max(1, n // batch_size)
    state: dict[int, torch.Tensor] = {}

    def batch(step: int) -> torch.Tensor:
        epoch, i = divmod(step - 1, per_epoch)
        if epoch not in state:
            state.clear()
            state[epoch] = torch.randperm(n, generator=generator)
        return state[epoch][i * batch_size:(i + 1) * batch_size]

    return batch


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 2048) -> float:
    """Fraction of ``y`` predicted by ``model(x).argmax(1)``, in eval mode. Used by chapters 3-6."""
    was = model.training
    model.eval()
    pred = torch.cat([model(x[i:i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)])
    model.train(was)
    return float((pred.cpu() == y.cpu()).float().mean())


def train_classifier(arch, x: torch.Tensor, y: torch.Tensor, *, epochs: int, batch_size: int = 128,
                     lr: float = 2e-3, seed: int = 0, device: torch.device | str = "cpu",
                     loss_fn: Callable[[nn.Module, torch.Tensor, torch.Tensor, int], Mapping[str, torch.Tensor]] | None = None,
                     schedule: str = "onecycle", callbacks: Iterable[Callback] = (), progress: bool = True,
                     desc: str = "train") -> tuple[nn.Module, pd.DataFrame]:
    """Train a :class:`ibcore.models.ConvNet` of config ``arch`` with cross-entropy (nats).

    Adam with a one-cycle learning-rate schedule peaking at ``lr`` (Smith & Topin 2019; ``schedule="constant"``
    keeps ``lr``), ``epochs`` passes
    over ``(x, y)`` in shuffled batches, everything seeded by ``seed``. ``loss_fn(model, x_batch, y_batch,
    step)`` replaces the cross-entropy with any dict of named terms with a ``"loss"`` (e.g. Information
    Dropout's, with a β schedule in ``step``); ``arch`` is a config or a model factory. Returns the model
    (eval mode) and the :func:`fit` history. Used by chapters 3-5.
    """
    from ibcore.models import ConvNet, ConvNetConfig
    from ibcore.runtime import seed_everything

    seed_everything(seed)
    model = (ConvNet(arch) if isinstance(arch, ConvNetConfig) else arch()).to(device)
    x, y = x.to(device), y.to(device)
    per_epoch = max(1, len(x) // batch_size)
    steps = epochs * per_epoch
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    if schedule not in ("onecycle", "constant"):
        raise ValueError(f"schedule must be 'onecycle' or 'constant', got {schedule!r}")
    scheduler = (torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
                 if schedule == "onecycle" else None)
    batches = epoch_batches(len(x), batch_size, torch.Generator().manual_seed(seed))

    def step_loss(model, idx, step):
        if loss_fn is not None:
            return loss_fn(model, x[idx], y[idx], step)
        ce = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        return {"loss": ce, "ce": ce}

    history = fit(model, step_loss, batches, steps, optimizer=optimizer, scheduler=scheduler,
                  log_every=per_epoch, callbacks=callbacks, progress=progress, desc=desc)
    model.eval()
    return model, history


@torch.no_grad()
def reestimate_batchnorm(model: nn.Module, x: torch.Tensor, batch_size: int = 500) -> nn.Module:
    """Recompute every batch norm's running mean and variance from ``x`` with the model's noise off.

    The statistics become the plain average over the batches of ``x`` (``momentum=None``), computed by a
    forward pass in train mode with ``sample=False`` (no dropout, no Information Dropout noise), as the
    Information Dropout authors' code does after noisy training; for an untrained network this gives batch
    norm the data's statistics instead of its initial (0, 1). Returns ``model`` in eval mode. Used by
    chapters 3 and 4.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches
    model.train()
    for chunk in x.split(batch_size):
        model.blocks(chunk, sample=False)
    for m, momentum in zip(norms, saved):
        m.momentum = momentum
    return model.eval()
