"""The book's one training loop."""

from __future__ import annotations

import copy
import functools
import io
import os
import sys
from typing import Any, Callable, Iterable, Mapping, TextIO

import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

__all__ = ["fit", "epoch_batches", "accuracy", "train_classifier", "reestimate_batchnorm", "Stacked", "fit_stacked"]

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


class _Method(nn.Module):
    """``forward(*args, method=name)`` calls ``module.<name>(*args)``: lets ``torch.func.functional_call``
    reach a module's other methods (e.g. a Bayesian network's ``kl``)."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.m = module

    def forward(self, *args: Any, method: str = "forward", **kwargs: Any) -> Any:
        return getattr(self.m, method)(*args, **kwargs)


class Stacked(nn.Module):
    """Several copies of one architecture trained as one module, each with its own weights and data.

    Small networks on a CPU spend most of a step in per-operation overhead (chapter 6's 64-256-256-10
    Bayesian MLP: ~18 ms a step on 2 threads, for about a million flops); stacking E members' parameters
    along a new first dimension and mapping the model over it with ``torch.func.vmap`` runs the E steps as
    one, at a small multiple of one member's cost. Each member's gradient depends on its own loss only, and
    Adam is elementwise, so training the stack with the sum of the members' losses is training each member
    on its own (the weight noise of each member is drawn independently: ``randomness="different"``).

    ``call(method, *args, in_dims=...)`` maps ``method`` of the model over the members (``args`` with
    ``in_dims`` 0 have one slice per member, ``None`` are shared); :meth:`unstack` writes the trained
    weights back into the original modules. Used by chapter 6.
    """

    def __init__(self, models: list[nn.Module]):
        super().__init__()
        if not models:
            raise ValueError("models must hold at least one module")
        if len({type(m) for m in models}) != 1:
            raise ValueError(f"models must share one architecture, got {sorted({type(m).__name__ for m in models})}")
        wrapped = [_Method(m) for m in models]
        params, buffers = torch.func.stack_module_state(wrapped)
        self.models = models
        self.names = list(params)
        self.weights = nn.ParameterList([nn.Parameter(params[n]) for n in self.names])
        self.buffer_names = list(buffers)
        for i, n in enumerate(self.buffer_names):
            self.register_buffer(f"buffer_{i}", buffers[n])
        self.base = copy.deepcopy(wrapped[0]).to("meta")

    def __len__(self) -> int:
        return len(self.models)

    def named_groups(self, select: Callable[[str], bool]) -> list[nn.Parameter]:
        """The stacked parameters whose member-level name (e.g. ``layers.0.weight_logsigma``) passes ``select``."""
        return [p for n, p in zip(self.names, self.weights) if select(n.removeprefix("m."))]

    def call(self, method: str, *args: Any, in_dims: tuple[int | None, ...] | None = None) -> Any:
        """``method`` of every member, vmapped: outputs gain a leading member dimension."""
        in_dims = tuple(in_dims) if in_dims is not None else (None,) * len(args)
        if len(in_dims) != len(args):
            raise ValueError(f"in_dims must have one entry per argument ({len(args)}), got {in_dims}")
        buffers = {n: getattr(self, f"buffer_{i}") for i, n in enumerate(self.buffer_names)}

        def one(params, bufs, *a):
            return torch.func.functional_call(self.base, (params, bufs), a, {"method": method})

        params = dict(zip(self.names, self.weights))
        return torch.func.vmap(one, in_dims=(0, 0, *in_dims), randomness="different")(params, buffers, *args)

    @torch.no_grad()
    def unstack(self) -> list[nn.Module]:
        """Copy each member's trained parameters and buffers back into its module; return the modules."""
        for e, model in enumerate(self.models):
            state = {n.removeprefix("m."): p[e] for n, p in zip(self.names, self.weights)}
            state |= {n.removeprefix("m."): getattr(self, f"buffer_{i}")[e] for i, n in enumerate(self.buffer_names)}
            model.load_state_dict(state)
        return self.models


def fit_stacked(models: list[nn.Module], member_loss: Callable[[Stacked, Any, int], Mapping[str, torch.Tensor]],
                batches: Callable[[int], Any] | Iterable[Any], steps: int, *,
                groups: Callable[[str], int] | None = None, lrs: tuple[float, ...] = (1e-3,), log_every: int = 50,
                progress: bool = True, desc: str = "fit") -> tuple[list[nn.Module], list[pd.DataFrame]]:
    """Train ``models`` (one architecture) as one :class:`Stacked` module with :func:`fit`.

    ``member_loss(stack, batch, step)`` returns a dict of named terms, each a vector with one entry per member
    (e.g. ``torch.func.vmap`` of a loss over ``stack.call("forward", ...)``); their ``"loss"`` entries are summed.
    Adam over the stacked parameters: ``groups(name) -> i`` puts a member-level parameter name in the group of
    learning rate ``lrs[i]`` (default: one group at ``lrs[0]``). Returns the trained models (weights written
    back) and one history per member (columns as :func:`fit`'s). Used by chapter 6.
    """
    stack = Stacked(models)
    groups = groups or (lambda name: 0)
    param_groups = [{"params": stack.named_groups(lambda n, i=i: groups(n) == i), "lr": lr} for i, lr in enumerate(lrs)]
    optimizer = torch.optim.Adam([g for g in param_groups if g["params"]])
    n = len(models)

    def step_loss(stack: Stacked, batch: Any, step: int) -> dict[str, torch.Tensor]:
        terms = dict(member_loss(stack, batch, step))
        bad = [k for k, v in terms.items() if v.shape[:1] != (n,)]
        if bad:
            raise ValueError(f"member_loss must return one value per member ({n}) for every term; not {bad}")
        return {"loss": terms["loss"].sum()} | {f"{k}@": v for k, v in terms.items()}

    history = fit(stack, step_loss, batches, steps, optimizer=optimizer, log_every=log_every, progress=progress,
                  desc=desc)
    names = sorted({c.rsplit("@_", 1)[0] for c in history.columns if "@_" in c})
    histories = [history[["step"]].assign(**{k: history[f"{k}@_{e}"] for k in names}) for e in range(n)]
    return stack.unstack(), histories
