"""Models of the book. VAEs with a Gaussian encoder and a Bernoulli decoder (chapters 1-2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

__all__ = ["VAEConfig", "VAE"]


@dataclass(frozen=True)
class VAEConfig:
    """Architecture of a :class:`VAE`.

    arch : "burgess" is the conv net of Burgess et al. 2017 (4 conv layers of 32 channels, 4x4,
        stride 2 at 64 px, 3 at 32 px; fc 256-256), "mlp" the Higgins et al. 2017 / Chen et al.
        2018 MLP (encoder 4096-1200-1200, decoder 1200-1200-1200).
    """

    arch: Literal["burgess", "mlp"] = "burgess"
    resolution: int = 64
    latents: int = 10
    channels: int = 32
    hidden: int = 256
    mlp_hidden: int = 1200


def _burgess_encoder(cfg: VAEConfig, n_conv: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    c_in = 1
    for _ in range(n_conv):
        layers += [nn.Conv2d(c_in, cfg.channels, 4, stride=2, padding=1), nn.ReLU()]
        c_in = cfg.channels
    flat = cfg.channels * 4 * 4
    layers += [nn.Flatten(), nn.Linear(flat, cfg.hidden), nn.ReLU(), nn.Linear(cfg.hidden, cfg.hidden), nn.ReLU(),
               nn.Linear(cfg.hidden, 2 * cfg.latents)]
    return nn.Sequential(*layers)


def _burgess_decoder(cfg: VAEConfig, n_conv: int) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Linear(cfg.latents, cfg.hidden), nn.ReLU(), nn.Linear(cfg.hidden, cfg.hidden), nn.ReLU(),
                               nn.Linear(cfg.hidden, cfg.channels * 16), nn.ReLU(), nn.Unflatten(1, (cfg.channels, 4, 4))]
    for i in range(n_conv):
        last = i == n_conv - 1
        layers.append(nn.ConvTranspose2d(cfg.channels, 1 if last else cfg.channels, 4, stride=2, padding=1))
        if not last:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class VAE(nn.Module):
    """Gaussian encoder q(z|x) = N(mu, diag exp(logvar)), prior N(0, I), Bernoulli decoder p(x|z).

    ``forward(x)`` returns ``(logits, mu, logvar, z)``: decoder logits (B, 1, H, W) of one
    reparameterised sample z (B, L). Used by chapters 1 and 2.
    """

    def __init__(self, cfg: VAEConfig = VAEConfig()):
        super().__init__()
        if cfg.resolution not in (32, 64):
            raise ValueError(f"resolution must be 32 or 64, got {cfg.resolution}")
        self.cfg = cfg
        if cfg.arch == "burgess":
            n_conv = {64: 4, 32: 3}[cfg.resolution]
            self.encoder = _burgess_encoder(cfg, n_conv)
            self.decoder = _burgess_decoder(cfg, n_conv)
        elif cfg.arch == "mlp":
            d, h = cfg.resolution**2, cfg.mlp_hidden
            self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(d, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(),
                                         nn.Linear(h, 2 * cfg.latents))
            self.decoder = nn.Sequential(nn.Linear(cfg.latents, h), nn.Tanh(), nn.Linear(h, h), nn.Tanh(),
                                         nn.Linear(h, h), nn.Tanh(), nn.Linear(h, d),
                                         nn.Unflatten(1, (1, cfg.resolution, cfg.resolution)))
        else:
            raise ValueError(f"arch must be 'burgess' or 'mlp', got {cfg.arch!r}")

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior parameters ``mu, logvar``, each (B, L)."""
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Bernoulli logits (B, 1, H, W) of p(x|z)."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor):
        mu, logvar = self.encode(x)  # (B, L) each
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()  # (B, L) reparameterisation
        return self.decode(z), mu, logvar, z

    @torch.no_grad()
    def posterior(self, x: torch.Tensor, batch_size: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
        """``mu, logvar`` (N, L) of many images, in eval mode and in batches (no gradients)."""
        was_training = self.training
        self.eval()
        out = [self.encode(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]
        self.train(was_training)
        return torch.cat([m for m, _ in out]), torch.cat([v for _, v in out])
