"""The book's one training loop."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

__all__ = ["fit"]

#: ``step_loss(model, batch, step) -> dict`` of named terms; ``"loss"`` is minimised.
StepLoss = Callable[[nn.Module, Any, int], Mapping[str, torch.Tensor]]
#: ``callback(step, model, row) -> dict | None``: called at every logged step; extra columns.
Callback = Callable[[int, nn.Module, dict], "Mapping[str, Any] | None"]


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
        columns to that row (e.g. a metric on held-out data).
    progress : show a tqdm bar on stderr.

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
    for step in tqdm(range(1, steps + 1), disable=not progress, desc=desc, mininterval=2.0, leave=False):
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
            rows.append(row)
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
