import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

from ibcore.losses import beta_vae_loss, gaussian_kl
from ibcore.models import VAE, VAEConfig


def test_gaussian_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(7, 4, generator=g), torch.randn(7, 4, generator=g)
    expected = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0))
    torch.testing.assert_close(gaussian_kl(mu, logvar), expected)


def test_beta_vae_loss_terms_in_nats_summed_over_pixels():
    g = torch.Generator().manual_seed(1)
    x = (torch.rand(5, 1, 8, 8, generator=g) > 0.5).float()
    logits = torch.randn(5, 1, 8, 8, generator=g)
    mu, logvar = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)
    out = beta_vae_loss(logits, x, mu, logvar, beta=4.0)
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum((1, 2, 3)).mean()
    torch.testing.assert_close(out["rec"], rec)
    torch.testing.assert_close(out["kl_per_dim"], gaussian_kl(mu, logvar).mean(0))
    torch.testing.assert_close(out["kl"], out["kl_per_dim"].sum())
    torch.testing.assert_close(out["loss"], rec + 4.0 * out["kl"])


@pytest.mark.parametrize("arch", ["burgess", "mlp"])
@pytest.mark.parametrize("resolution", [32, 64])
def test_vae_shapes(arch, resolution):
    torch.manual_seed(0)
    model = VAE(VAEConfig(arch=arch, resolution=resolution, latents=6))
    x = torch.rand(3, 1, resolution, resolution)
    logits, mu, logvar, z = model(x)
    assert logits.shape == x.shape and mu.shape == logvar.shape == z.shape == (3, 6)
    pm, pv = model.posterior(x, batch_size=2)
    torch.testing.assert_close(pm, mu)  # the posterior mean is deterministic
    assert model.training


def test_burgess_architecture_follows_the_paper():
    model = VAE(VAEConfig(arch="burgess", resolution=64))
    convs = [m for m in model.encoder if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 4 and all(c.out_channels == 32 and c.kernel_size == (4, 4) and c.stride == (2, 2) for c in convs)
    linears = [m.out_features for m in model.encoder if isinstance(m, torch.nn.Linear)]
    assert linears == [256, 256, 20]


def test_mlp_architecture_follows_the_paper():
    model = VAE(VAEConfig(arch="mlp", resolution=64))
    enc = [m.out_features for m in model.encoder if isinstance(m, torch.nn.Linear)]
    dec = [m.out_features for m in model.decoder if isinstance(m, torch.nn.Linear)]
    assert enc == [1200, 1200, 20] and dec == [1200, 1200, 1200, 4096]


def test_unknown_architecture_is_rejected():
    with pytest.raises(ValueError, match="arch"):
        VAE(VAEConfig(arch="resnet"))


def test_capacity_loss_two_and_one_sided():
    from ibcore.losses import capacity_loss

    g = torch.Generator().manual_seed(2)
    x = (torch.rand(4, 1, 8, 8, generator=g) > 0.5).float()
    logits, mu, logvar = torch.randn(4, 1, 8, 8, generator=g), torch.randn(4, 3, generator=g), torch.zeros(4, 3)
    base = beta_vae_loss(logits, x, mu, logvar)
    kl = float(base["kl"])
    two = capacity_loss(logits, x, mu, logvar, capacity=kl + 2.0, gamma=10.0)
    torch.testing.assert_close(two["loss"], base["rec"] + 20.0)
    one = capacity_loss(logits, x, mu, logvar, capacity=kl + 2.0, gamma=10.0, one_sided=True)
    torch.testing.assert_close(one["loss"], base["rec"])  # under capacity: no penalty
    over = capacity_loss(logits, x, mu, logvar, capacity=kl - 1.0, gamma=10.0, one_sided=True)
    torch.testing.assert_close(over["loss"], base["rec"] + 10.0, rtol=1e-5, atol=1e-4)


def test_linear_ramp():
    from ibcore.losses import linear_ramp

    assert linear_ramp(0, 0.0, 25.0, 100) == 0.0
    assert linear_ramp(50, 0.0, 25.0, 100) == 12.5
    assert linear_ramp(500, 0.0, 25.0, 100) == 25.0
    assert linear_ramp(10, 150.0, 4.0, 0) == 4.0


def test_geometric_ramp_is_linear_in_log_beta():
    from ibcore.losses import geometric_ramp

    assert geometric_ramp(0, 100.0, 4.0, 100) == pytest.approx(100.0)
    assert geometric_ramp(50, 100.0, 4.0, 100) == pytest.approx(20.0)  # sqrt(100 * 4)
    assert geometric_ramp(1000, 100.0, 4.0, 100) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="positive"):
        geometric_ramp(0, 0.0, 4.0, 100)


@pytest.mark.parametrize("build", ["vae", "convnet"])
def test_channels_last_changes_the_memory_order_not_the_function(build, monkeypatch):
    """The conv models run channels-last on CPU (a speed lever); the same weights give the same outputs
    (to float rounding) as the default layout."""
    from ibcore import models

    def make(flag):
        monkeypatch.setattr(models, "CHANNELS_LAST", flag)
        torch.manual_seed(0)
        return models.VAE(models.VAEConfig(resolution=32)) if build == "vae" else models.ConvNet().eval()

    fast, plain = make(True), make(False)
    first = next(p for p in fast.parameters() if p.dim() == 4)
    assert first.is_contiguous(memory_format=torch.channels_last)
    x = torch.rand(8, 1, 32, 32)
    monkeypatch.setattr(models, "CHANNELS_LAST", True)
    out_fast = fast.encode(x)[0] if build == "vae" else fast(x)
    monkeypatch.setattr(models, "CHANNELS_LAST", False)
    out_plain = plain.encode(x)[0] if build == "vae" else plain(x)
    assert torch.allclose(out_fast, out_plain, atol=1e-5)
