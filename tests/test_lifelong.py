"""ibcore.lifelong: generative replay after VASE (chapter 8)."""

import numpy as np
import pytest
import torch

from ibcore.losses import gaussian_kl
from ibcore.lifelong import (DomainReadout, domain_readout, dream, frozen_copy, gaussian_kl_between, half_split,
                             latent_usage, reconstruction_error, replay_loss, translate)
from ibcore.models import VAE, VAEConfig


@pytest.fixture(scope="module")
def vae():
    torch.manual_seed(0)
    return VAE(VAEConfig(resolution=32, latents=6))


def test_kl_between_gaussians_closed_form():
    torch.manual_seed(0)
    mu1, lv1, mu2, lv2 = (torch.randn(5, 3) for _ in range(4))
    kl = gaussian_kl_between(mu1, lv1, mu2, lv2)
    p = torch.distributions.Normal(mu1, (0.5 * lv1).exp())
    q = torch.distributions.Normal(mu2, (0.5 * lv2).exp())
    torch.testing.assert_close(kl, torch.distributions.kl_divergence(p, q))
    zeros = torch.zeros(5, 3)
    torch.testing.assert_close(gaussian_kl_between(mu1, lv1, zeros, zeros), gaussian_kl(mu1, lv1))
    torch.testing.assert_close(gaussian_kl_between(mu1, lv1, mu1, lv1), zeros)


def test_latent_usage():
    assert latent_usage(torch.tensor([0.1, 0.6, 3.0, 0.5])).tolist() == [False, True, True, False]
    with pytest.raises(ValueError):
        latent_usage(torch.zeros(3), threshold=-1)


def test_frozen_copy_is_independent(vae):
    old = frozen_copy(vae)
    assert not old.training and all(not p.requires_grad for p in old.parameters())
    assert all(p.requires_grad for p in vae.parameters())
    with torch.no_grad():
        old.decoder[0].weight.add_(1.0)
    assert not torch.equal(old.decoder[0].weight, vae.decoder[0].weight)


def test_dream_uses_only_masked_latents(vae):
    mask = torch.tensor([True, False, True, False, False, False])
    z, x = dream(vae, 16, mask, torch.Generator().manual_seed(0))
    assert z.shape == (16, 6) and x.shape == (16, 1, 32, 32)
    assert bool((z[:, ~mask] == 0).all()) and bool((z[:, mask] != 0).all())
    assert float(x.min()) >= 0 and float(x.max()) <= 1
    z2, x2 = dream(vae, 16, mask, torch.Generator().manual_seed(0))
    assert torch.equal(z, z2) and torch.equal(x, x2)


def test_replay_loss_of_a_model_against_itself_is_minimal(vae):
    old = frozen_copy(vae)
    z, x = dream(old, 8, torch.ones(6, dtype=torch.bool), torch.Generator().manual_seed(1))
    same = {k: v.detach() for k, v in replay_loss(vae, old, z, x).items()}
    # identical models: the encoder KL is 0 and the decoder cross-entropy is the old decoder's entropy
    assert float(same["replay_kl"]) == pytest.approx(0.0, abs=1e-5)
    with torch.no_grad():
        p = torch.sigmoid(old.decode(z))
    entropy = -(p * p.clamp_min(1e-12).log() + (1 - p) * (1 - p).clamp_min(1e-12).log()).sum() / 8
    assert float(same["replay_ce"]) == pytest.approx(float(entropy), rel=1e-4)
    other = VAE(VAEConfig(resolution=32, latents=6))
    diff = replay_loss(other, old, z, x)
    assert float(diff["replay_kl"].detach()) > 0 and float(diff["replay_ce"].detach()) > float(same["replay_ce"])
    diff["replay"].backward()  # gradients reach the new model only
    assert other.encoder[0].weight.grad is not None
    assert all(p.grad is None for p in old.parameters())


def test_reconstruction_error_matches_direct_computation(vae):
    x = (torch.rand(10, 1, 32, 32, generator=torch.Generator().manual_seed(2)) > 0.8).float()
    vae.eval()
    with torch.no_grad():
        mu, _ = vae.encode(x)
        direct = torch.nn.functional.binary_cross_entropy_with_logits(vae.decode(mu), x, reduction="sum") / 10
    vae.train()
    assert reconstruction_error(vae, x, batch_size=3) == pytest.approx(float(direct), rel=1e-5)
    assert vae.training


def test_half_split_keeps_groups_together():
    groups = np.tile(np.arange(50), 2)  # two rows (A and B rendering) per scene
    fit = half_split(groups, seed=3)
    assert fit.sum() == 50  # 25 scenes of 50, both rows each
    assert all(fit[i] == fit[i + 50] for i in range(50))
    assert np.array_equal(fit, half_split(groups, seed=3)) and not np.array_equal(fit, half_split(groups, seed=4))
    with pytest.raises(ValueError):
        half_split(np.zeros(4))


def test_domain_readout_finds_the_domain_latent_on_held_out_codes():
    rng = np.random.default_rng(0)
    domains = np.repeat([0, 1], 500)
    codes = rng.normal(size=(1000, 4))
    codes[:, 2] += 4.0 * domains  # latent 2 carries the domain, d' = 4: Phi(2) = 97.7 % correct
    r = domain_readout(codes, domains)
    assert isinstance(r, DomainReadout)
    assert r.latent == 2 and 0.95 < r.accuracy < 0.995 and r.mean_1 - r.mean_0 == pytest.approx(4.0, abs=0.3)
    assert r.threshold == pytest.approx(0.5 * (r.mean_0 + r.mean_1))
    # the accuracy is computed on the half that chose neither the latent nor the threshold
    fit = half_split(np.arange(1000), 0)
    held = codes[~fit, 2] > r.threshold
    assert r.accuracy == pytest.approx(float((held.astype(int) == domains[~fit]).mean()))
    # a reversed domain latent is read as well
    r_neg = domain_readout(-codes, domains)
    assert r_neg.latent == 2 and r_neg.accuracy == pytest.approx(r.accuracy)


def test_domain_readout_without_a_domain_latent_is_at_chance_on_held_out_codes():
    # 200 noise latents: the best of them on the fit half separates it by luck (optimistic fit accuracy),
    # and the held-out half shows that it was luck
    rng = np.random.default_rng(1)
    domains = np.repeat([0, 1], 100)
    r = domain_readout(rng.normal(size=(200, 200)), domains)
    assert r.fit_accuracy > 0.55 and abs(r.accuracy - 0.5) < 0.1 and r.fit_accuracy > r.accuracy
    with pytest.raises(ValueError):
        domain_readout(rng.normal(size=(10, 2)), np.zeros(10, dtype=int))
    with pytest.raises(ValueError):  # one half without domain 1
        domain_readout(rng.normal(size=(4, 2)), np.array([0, 0, 1, 1]), groups=np.array([0, 0, 1, 1]))


def test_translate_sets_one_latent(vae):
    x = torch.zeros(2, 1, 32, 32)
    out = translate(vae, x, latent=3, value=2.0)
    with torch.no_grad():
        vae.eval()
        mu, _ = vae.encode(x)
        mu[:, 3] = 2.0
        expected = torch.sigmoid(vae.decode(mu))
        vae.train()
    torch.testing.assert_close(out, expected)
