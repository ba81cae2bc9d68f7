"""Models of the book: VAEs (chapters 1-2), conv classifiers (chapters 3-5), Bayesian networks (chapter 6)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

#: Conv models (VAE, ConvNet) keep their conv weights and inputs channels-last: on CPU the oneDNN conv layers
#: train 1.2-1.3x faster that way (`bench/run.py --only levers`, issue 17). Values and shapes are unchanged,
#: only the memory order (and so the rounding of sums) differs. Set to False before building a model to compare.
CHANNELS_LAST = True


def _channels_last(x: torch.Tensor) -> torch.Tensor:
    """``x`` in channels-last layout when it is a batch of images and :data:`CHANNELS_LAST` is set."""
    return x.contiguous(memory_format=torch.channels_last) if CHANNELS_LAST and x.dim() == 4 else x


def _to_channels_last(module: nn.Module) -> None:
    if CHANNELS_LAST:
        module.to(memory_format=torch.channels_last)  # only the 4-d (conv) weights change layout


def __getattr__(name: str):
    """Chapter 7's object model lives in :mod:`ibcore.slots` (this module would pass 400 lines); it is
    re-exported lazily, so that the chapters that do not use it do not import it (and the sweep's source key
    of those chapters does not depend on it)."""
    if name in ("SlotAE", "SlotAEConfig"):
        from ibcore import slots

        return getattr(slots, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["VAEConfig", "VAE", "BayesLinear", "BayesMLP", "ConvNetConfig", "ConvNet", "VIB", "InformationDropout", "IDConvNet",
           "SlotAEConfig", "SlotAE"]


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
        _to_channels_last(self)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior parameters ``mu, logvar``, each (B, L)."""
        mu, logvar = self.encoder(_channels_last(x)).chunk(2, dim=-1)
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


class BayesLinear(nn.Module):
    """Linear layer with a mean-field Gaussian posterior q(w) = N(mu, sigma^2) over weights and biases.

    The forward pass samples pre-activations with the local reparameterisation trick (Kingma, Salimans &
    Welling 2015, eq. 6): b = x mu_W^T + mu_b + sqrt(x^2 (sigma_W^2)^T + sigma_b^2) * eps, one eps per
    example and unit: for one example this is exactly a draw of the layer's output under w ~ q, with fresh
    weights for every example. ``sample=False`` (or eval mode) uses the posterior mean. sigma is
    parameterised by its log.

    The prior is p(w) = N(prior_mu, prior_sigma^2) on every weight. ``prior="zero"`` centres it at 0;
    ``prior="init"`` centres it at the layer's random initialisation (a data-independent prior, as in
    Dziugaite & Roy 2017), stored as buffers; :meth:`set_prior` centres it anywhere else (e.g. at weights
    learned on a separate split, Pérez-Ortiz et al. 2021). :meth:`kl` is KL(q(w) || p(w)) in nats, in closed
    form; ``kl(prior_sigma=t)`` takes another prior scale, also a tensor (to learn it).

    Used by chapter 6.
    """

    def __init__(self, d_in: int, d_out: int, prior_sigma: float = 0.1, init_sigma: float = 3e-3,
                 prior: Literal["zero", "init"] = "zero"):
        super().__init__()
        if prior not in ("zero", "init"):
            raise ValueError(f"prior must be 'zero' or 'init', got {prior!r}")
        self.prior_sigma = prior_sigma
        self.weight_mu = nn.Parameter(torch.empty(d_out, d_in))
        nn.init.kaiming_uniform_(self.weight_mu, a=5**0.5)  # as nn.Linear
        self.bias_mu = nn.Parameter(torch.zeros(d_out))
        self.weight_logsigma = nn.Parameter(torch.full((d_out, d_in), math.log(init_sigma)))
        self.bias_logsigma = nn.Parameter(torch.full((d_out,), math.log(init_sigma)))
        centre = prior == "init"
        self.register_buffer("weight_prior", self.weight_mu.detach().clone() if centre else torch.zeros(d_out, d_in))
        self.register_buffer("bias_prior", self.bias_mu.detach().clone() if centre else torch.zeros(d_out))

    @torch.no_grad()
    def set_prior(self, weight: torch.Tensor, bias: torch.Tensor) -> None:
        """Centre the prior at ``weight`` (d_out, d_in) and ``bias`` (d_out,)."""
        self.weight_prior.copy_(weight)
        self.bias_prior.copy_(bias)

    def forward(self, x: torch.Tensor, sample: bool | None = None) -> torch.Tensor:
        mean = F.linear(x, self.weight_mu, self.bias_mu)  # (B, out)
        if sample is False or (sample is None and not self.training):
            return mean
        var = F.linear(x.pow(2), (2 * self.weight_logsigma).exp(), (2 * self.bias_logsigma).exp())  # (B, out)
        return mean + var.clamp_min(1e-16).sqrt() * torch.randn_like(mean)

    def kl(self, prior_sigma: float | torch.Tensor | None = None) -> torch.Tensor:
        """KL(q(w) || p(w)) in nats, summed over weights and biases (closed form for Gaussians)."""
        s = torch.as_tensor(self.prior_sigma if prior_sigma is None else prior_sigma,
                            dtype=self.weight_mu.dtype, device=self.weight_mu.device)
        log_s2 = 2 * s.log()
        total = torch.zeros((), device=self.weight_mu.device)
        # 0.5 * sum(r - 1 - log r + (mu - c)^2 / s^2), r = sigma^2 / s^2, with log r from log-sigma directly.
        # Summed per element (every r - 1 - log r >= 0): rearranging into sums of whole tensors saves passes
        # but cancels large sums in float32 (errors of 0.03 nats on a KL of 0.5 at chapter 6's size).
        for mu, logsigma, centre in ((self.weight_mu, self.weight_logsigma, self.weight_prior),
                                     (self.bias_mu, self.bias_logsigma, self.bias_prior)):
            log_r = 2 * logsigma - log_s2
            total = total + 0.5 * (log_r.exp() - 1 - log_r + (mu - centre).pow(2) * (-log_s2).exp()).sum()
        return total


class BayesMLP(nn.Module):
    """MLP of :class:`BayesLinear` layers with ReLUs, e.g. 64-256-256-10 on 8x8 digits.

    ``forward(x)`` returns logits (B, classes); ``hidden(x)`` the last hidden representation (B, H)
    (the representation of slide 12); ``kl()`` the weights' KL to the prior in nats (``kl(prior_sigma=t)``
    with another prior scale); ``prior`` as in :class:`BayesLinear`. Used by chapter 6.
    """

    def __init__(self, sizes: tuple[int, ...] = (64, 256, 256, 10), prior_sigma: float = 0.1, init_sigma: float = 3e-3,
                 prior: Literal["zero", "init"] = "zero"):
        super().__init__()
        self.layers = nn.ModuleList(BayesLinear(a, b, prior_sigma, init_sigma, prior) for a, b in zip(sizes, sizes[1:]))

    def hidden(self, x: torch.Tensor, sample: bool | None = None) -> torch.Tensor:
        x = x.flatten(1)
        for layer in self.layers[:-1]:
            x = F.relu(layer(x, sample))
        return x

    def forward(self, x: torch.Tensor, sample: bool | None = None) -> torch.Tensor:
        return self.layers[-1](self.hidden(x, sample), sample)

    def kl(self, prior_sigma: float | torch.Tensor | None = None) -> torch.Tensor:
        return sum((layer.kl(prior_sigma) for layer in self.layers), torch.zeros((), device=self.layers[0].weight_mu.device))

    @torch.no_grad()
    def set_prior_to_means(self, other: "BayesMLP | None" = None) -> None:
        """Centre every layer's prior at the posterior means of ``other`` (default: this network now)."""
        for mine, theirs in zip(self.layers, (other or self).layers):
            mine.set_prior(theirs.weight_mu, theirs.bias_mu)

    def param_groups(self, lr_mu: float, lr_sigma: float) -> list[dict]:
        """Adam groups: means and log-sigmas with their own learning rates."""
        sig = [p for n, p in self.named_parameters() if "logsigma" in n]
        mus = [p for n, p in self.named_parameters() if "logsigma" not in n]
        return [{"params": mus, "lr": lr_mu}, {"params": sig, "lr": lr_sigma}]


@dataclass(frozen=True)
class ConvNetConfig:
    """A small all-convolutional classifier family (chapters 3-5).

    channels : output channels of each block; depth = len(channels), 1 to 4 blocks.
    downsample : "stride" (3x3 conv of stride 2) or "maxpool" (3x3 conv of stride 1, then 2x2 max-pooling).
    dropout : drop probability after every block's ReLU (0 = none).
    global_pool : average the last block over space before the linear classifier (True), or flatten it.
    padding : "zeros" (the default of most nets) or "circular". Zero padding lets a conv net encode
        absolute position through border effects (Islam et al. 2020), which survives global pooling;
        circular padding makes every block translation-equivariant up to the strides' aliasing.
    """

    channels: tuple[int, ...] = (16, 32, 32, 64)
    downsample: Literal["stride", "maxpool"] = "stride"
    dropout: float = 0.0
    global_pool: bool = True
    batch_norm: bool = True
    padding: Literal["zeros", "circular"] = "zeros"
    in_channels: int = 1
    canvas: int = 32
    classes: int = 10


class ConvBlock(nn.Module):
    """conv 3x3 -> batch norm -> ReLU, halving the resolution by a stride or a 2x2 max-pool."""

    def __init__(self, c_in: int, c_out: int, downsample: str, batch_norm: bool, padding: str = "zeros"):
        super().__init__()
        stride = 2 if downsample == "stride" else 1
        self.conv = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=not batch_norm, padding_mode=padding)
        self.norm = nn.BatchNorm2d(c_out) if batch_norm else nn.Identity()
        self.pool = nn.MaxPool2d(2) if downsample == "maxpool" else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(F.relu(self.norm(self.conv(x))))


class ConvNet(nn.Module):
    """Classifier of :class:`ConvNetConfig`; exposes every block's activations.

    ``forward(x)`` returns logits (B, classes); ``blocks(x)`` returns the list of block activations
    [(B, C_1, H/2, W/2), ..., (B, C_d, H/2^d, W/2^d)] after dropout (the representations the chapters
    probe), then the globally pooled (B, C_d) vector if ``global_pool``. ``sample=True`` applies dropout even in
    eval mode (batch norm's running statistics), as :class:`IDConvNet` draws its noise. Used by chapters 3-5.
    """

    def __init__(self, cfg: ConvNetConfig = ConvNetConfig()):
        super().__init__()
        if not 1 <= len(cfg.channels) <= 4:
            raise ValueError(f"depth must be 1 to 4 blocks, got {len(cfg.channels)}")
        if cfg.downsample not in ("stride", "maxpool"):
            raise ValueError(f"downsample must be 'stride' or 'maxpool', got {cfg.downsample!r}")
        if not 0.0 <= cfg.dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {cfg.dropout}")
        self.cfg = cfg
        ins = (cfg.in_channels,) + tuple(cfg.channels[:-1])
        self.layers = nn.ModuleList(ConvBlock(a, b, cfg.downsample, cfg.batch_norm, cfg.padding)
                                    for a, b in zip(ins, cfg.channels))
        side = cfg.canvas // 2 ** len(cfg.channels)
        d_head = cfg.channels[-1] if cfg.global_pool else cfg.channels[-1] * side * side
        self.head = nn.Linear(d_head, cfg.classes)
        _to_channels_last(self)

    def blocks(self, x: torch.Tensor, sample: bool | None = None) -> list[torch.Tensor]:
        out = []
        drop = self.training if sample is None else sample  # sample=True: dropout noise in eval mode too
        x = _channels_last(x)
        for layer in self.layers:
            x = layer(x)
            x = F.dropout(x, self.cfg.dropout, training=drop) if self.cfg.dropout > 0 else x
            out.append(x)
        if self.cfg.global_pool:
            out.append(x.mean((2, 3)))  # (B, C_d)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.blocks(x)[-1]
        return self.head(z.flatten(1))


class VIB(nn.Module):
    """Variational information bottleneck classifier (Alemi et al. 2017): a stochastic code z of x.

    Encoder: MLP d_in-hidden-hidden-2k giving q(z|x) = N(mu, diag exp(logvar)); decoder: a linear
    softmax classifier q(y|z). ``forward(x)`` returns ``(logits, mu, logvar)`` for one reparameterised
    sample (the posterior mean in eval mode). Used by chapter 5.
    """

    def __init__(self, d_in: int, k: int = 32, hidden: int = 256, classes: int = 10):
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                     nn.ReLU(), nn.Linear(hidden, 2 * k))
        self.decoder = nn.Linear(k, classes)

    def forward(self, x: torch.Tensor):
        mu, logvar = self.encoder(x).chunk(2, dim=-1)  # (B, k) each
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if self.training else mu
        return self.decoder(z), mu, logvar


class InformationDropout(nn.Module):
    """Information Dropout (Achille & Soatto 2018, PAMI): learned multiplicative log-normal noise.

    Given a block's pre-activation h (B, C, H, W), the layer computes f(h) and a noise scale

        alpha(x) = alpha_min + alpha_max * sigmoid(g(f(h))),   g a 1x1 convolution (C -> C),

    and outputs z = f(h) * exp(alpha(x) * eps), eps ~ N(0, 1) per unit: log z = log f + alpha eps is
    Gaussian around log f(h). The noise is *not* normalised to mean one (its mean is exp(alpha^2 / 2));
    its median is one, and in eval mode the layer returns f(h) itself (eps = 0, the median). The 1x1
    branch costs about 1/9 of the block's 3x3 convolution (the paper uses a second full convolution).

    prior="log-uniform" pairs with f = ReLU: KL(p(z|x) || q(z)) = -log alpha(x) + const per unit (paper,
    Prop. 5); we return -log alpha summed over units. prior="log-normal" pairs with f = softplus and a
    standard log-normal q(log z) = N(0, 1): KL = -log alpha + (alpha^2 + log^2 f) / 2 - 1/2 per unit,
    in closed form. ``forward`` returns ``(z, kl, alpha)``: kl (B,) nats summed over units, alpha
    (B, C, H, W). ``sample`` overrides the mode: ``sample=True`` draws the noise in eval mode too (to
    measure what the *noisy* representation z carries, which is what the bottleneck bounds). Used by chapter 4.
    """

    def __init__(self, channels: int, prior: Literal["log-uniform", "log-normal"] = "log-uniform",
                 alpha_max: float = 0.7, alpha_min: float = 1e-3, bias_init: float = -2.0):
        super().__init__()
        if prior not in ("log-uniform", "log-normal"):
            raise ValueError(f"prior must be 'log-uniform' or 'log-normal', got {prior!r}")
        self.prior, self.alpha_max, self.alpha_min = prior, alpha_max, alpha_min
        self.noise = nn.Conv2d(channels, channels, 1)
        nn.init.zeros_(self.noise.weight)
        nn.init.constant_(self.noise.bias, bias_init)  # alpha starts small: sigmoid(-2) * 0.7 = 0.08

    def forward(self, h: torch.Tensor, sample: bool | None = None):
        f = F.relu(h) if self.prior == "log-uniform" else F.softplus(h)  # (B, C, H, W)
        alpha = self.alpha_min + self.alpha_max * torch.sigmoid(self.noise(f))  # (B, C, H, W)
        if self.prior == "log-uniform":
            kl = -torch.log(alpha)
        else:
            kl = -torch.log(alpha) + 0.5 * (alpha.pow(2) + torch.log(f.clamp_min(1e-8)).pow(2)) - 0.5
        sample = self.training if sample is None else sample
        z = f * torch.exp(alpha * torch.randn_like(f)) if sample else f
        return z, kl.flatten(1).sum(1), alpha


class IDConvNet(nn.Module):
    """:class:`ConvNet` with an :class:`InformationDropout` layer in place of each block's ReLU.

    Each block: conv 3x3 (stride 2) -> batch norm -> Information Dropout. ``forward(x)`` returns logits;
    ``forward_all(x)`` a dict with ``logits``, ``blocks`` (activations after the noise, as probed),
    ``kl`` (per block, (B,) nats), ``alpha`` (per block) and ``units`` (per block, for the per-unit
    convention of :func:`ibcore.losses.information_dropout_loss`). ``sample`` is passed to every layer: in
    eval mode (batch norm's running statistics) ``sample=True`` gives the noisy representations. Used by chapter 4.
    """

    def __init__(self, cfg: ConvNetConfig = ConvNetConfig(), prior: str = "log-uniform", alpha_max: float = 0.7):
        super().__init__()
        self.cfg = cfg
        ins = (cfg.in_channels,) + tuple(cfg.channels[:-1])
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 3, stride=2, padding=1, bias=False) for a, b in zip(ins, cfg.channels))
        self.norms = nn.ModuleList(nn.BatchNorm2d(c) for c in cfg.channels)
        self.drops = nn.ModuleList(InformationDropout(c, prior, alpha_max) for c in cfg.channels)
        self.head = nn.Linear(cfg.channels[-1], cfg.classes)

    def forward_all(self, x: torch.Tensor, sample: bool | None = None) -> dict:
        blocks, kls, alphas = [], [], []
        for conv, norm, drop in zip(self.convs, self.norms, self.drops):
            x, kl, alpha = drop(norm(conv(x)), sample)
            blocks.append(x), kls.append(kl), alphas.append(alpha)
        pooled = x.mean((2, 3))  # (B, C_d)
        return {"logits": self.head(pooled), "blocks": blocks + [pooled], "kl": kls, "alpha": alphas,
                "units": [a[0].numel() for a in alphas]}

    def blocks(self, x: torch.Tensor, sample: bool | None = None) -> list[torch.Tensor]:
        return self.forward_all(x, sample)["blocks"]

    def forward(self, x: torch.Tensor, sample: bool | None = None) -> torch.Tensor:
        return self.forward_all(x, sample)["logits"]
