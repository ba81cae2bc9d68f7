"""Fixed, unlearned multiplicative noise: the control of Information Dropout's selectivity (chapter 4).

Information Dropout (Achille & Soatto 2018) *learns* where to put its noise: alpha(x) varies with the unit
and the image. The lecture's claim (slides 8-9) is that this learned noise removes nuisance information
selectively, more than task information. Any multiplicative noise removes some information of every kind;
the control that separates "learned where" from "noise at all" is a network whose noise has the same size
but is not learned: z = relu(h) * exp(alpha_k * eps), eps ~ N(0, 1), with one constant alpha_k per block,
matched to a trained Information Dropout network's alpha in that block (chapter 4 matches the mean over the
units that are active, relu(h) > 0).

``FixedNoise`` has :class:`ibcore.models.InformationDropout`'s interface (``forward(h, sample)`` returns
``(z, kl, alpha)``), so a :class:`ibcore.models.IDConvNet` whose layers are swapped for it is trained,
probed and mapped by the same code as the learned network. Its KL term is a constant (-log alpha_k per
unit under the log-uniform prior): it has no gradient, so the network is trained by its cross-entropy alone.
:func:`sampled_accuracy` scores a noisy network *with* its noise drawn, so that the accuracy compared with the
probes' bits of the noisy representation is that of the same representation. Written for this book. Used by
chapter 4.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ibcore.models import ConvNetConfig, IDConvNet

__all__ = ["FixedNoise", "fixed_noise_convnet", "sampled_accuracy"]


class FixedNoise(nn.Module):
    """z = relu(h) * exp(alpha * eps), eps ~ N(0, 1) per unit, with a constant ``alpha`` > 0 (a buffer, not a
    parameter). In eval mode z = relu(h) (the noise's median) unless ``sample=True``, as in
    :class:`ibcore.models.InformationDropout`. Returns ``(z, kl, alpha)``: kl (B,) = -log alpha summed over units
    (the log-uniform prior's KL up to a constant), alpha broadcast to (B, C, H, W)."""

    def __init__(self, alpha: float):
        super().__init__()
        if not (isinstance(alpha, (int, float)) and 0 < float(alpha) < 10):
            raise ValueError(f"alpha must be a number in (0, 10), got {alpha!r}")
        self.register_buffer("alpha", torch.tensor(float(alpha)))

    def forward(self, h: torch.Tensor, sample: bool | None = None):
        f = F.relu(h)
        alpha = self.alpha.expand_as(f)
        sample = self.training if sample is None else sample
        z = f * torch.exp(alpha * torch.randn_like(f)) if sample else f
        return z, -torch.log(alpha).flatten(1).sum(1), alpha


def fixed_noise_convnet(cfg: ConvNetConfig, alphas: Sequence[float]) -> IDConvNet:
    """chapter 4's network (:class:`ibcore.models.IDConvNet` of ``cfg``) with block k's learned noise replaced by
    :class:`FixedNoise` of ``alphas[k]``: one alpha per block, e.g. a trained network's mean alpha per block."""
    alphas = [float(a) for a in alphas]
    if len(alphas) != len(cfg.channels):
        raise ValueError(f"alphas needs one value per block ({len(cfg.channels)}), got {len(alphas)}")
    model = IDConvNet(cfg)
    model.drops = nn.ModuleList(FixedNoise(a) for a in alphas)
    return model


@torch.no_grad()
def sampled_accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000) -> float:
    """Test accuracy of a noisy network (:class:`ibcore.models.IDConvNet` or a dropout
    :class:`ibcore.models.ConvNet`) with its noise drawn (``blocks(x, sample=True)``) in eval mode: the
    classifier reads the same noisy representation the probes read. Draws from torch's global generator."""
    was = model.training
    model.eval()
    pred = torch.cat([model.head(model.blocks(chunk, sample=True)[-1].flatten(1)).argmax(1)
                      for chunk in x.split(batch_size)])
    model.train(was)
    return float((pred.cpu() == y.cpu()).float().mean())
