"""Chapter 6's pieces: Bayesian layers, the weight-IB loss, label noise, digits (the certificate: test_pacbayes.py)."""

import math

import numpy as np
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from ibcore.data import NoisyDigits, label_noise
from ibcore.losses import weight_ib_loss
from ibcore.models import BayesLinear, BayesMLP
from ibcore.train import epoch_batches


def test_bayes_linear_kl_is_the_closed_form():
    torch.manual_seed(0)
    layer = BayesLinear(5, 3, prior_sigma=0.2, init_sigma=0.05)
    with torch.no_grad():
        layer.weight_logsigma.uniform_(-4, -1)
    prior = Normal(0.0, 0.2)
    expected = sum(kl_divergence(Normal(mu, ls.exp()), prior).sum()
                   for mu, ls in ((layer.weight_mu, layer.weight_logsigma), (layer.bias_mu, layer.bias_logsigma)))
    torch.testing.assert_close(layer.kl(), expected)


def test_local_reparameterisation_matches_weight_sampling_in_distribution():
    torch.manual_seed(1)
    layer = BayesLinear(4, 2, init_sigma=0.3)
    x = torch.randn(1, 4)
    local = torch.stack([layer(x) for _ in range(20000)])[:, 0]  # (S, 2)
    w = layer.weight_mu + layer.weight_logsigma.exp() * torch.randn(20000, 2, 4)
    b = layer.bias_mu + layer.bias_logsigma.exp() * torch.randn(20000, 2)
    direct = (w @ x[0]) + b  # (S, 2)
    torch.testing.assert_close(local.mean(0), direct.mean(0), atol=0.02, rtol=0)
    torch.testing.assert_close(local.std(0), direct.std(0), atol=0.02, rtol=0.02)
    layer.eval()
    torch.testing.assert_close(layer(x), x @ layer.weight_mu.T + layer.bias_mu)


def test_weight_ib_loss_divides_the_kl_by_n():
    logits, y = torch.randn(8, 10), torch.randint(10, (8,))
    out = weight_ib_loss(logits, y, torch.tensor(500.0), beta=0.1, n_train=1000)
    torch.testing.assert_close(out["loss"], torch.nn.functional.cross_entropy(logits, y) + 0.05)


def test_bayes_mlp_groups_and_shapes():
    model = BayesMLP((64, 32, 10))
    assert model(torch.randn(3, 64)).shape == (3, 10) and model.hidden(torch.randn(3, 64)).shape == (3, 32)
    groups = model.param_groups(1e-3, 1e-2)
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))


def test_label_noise_is_reproducible_and_exact_in_count():
    y = torch.arange(1000) % 10
    noisy, chosen = label_noise(y, 0.25, seed=3)
    assert int(chosen.sum()) == 250 and torch.equal(noisy[~chosen], y[~chosen])
    assert torch.equal(noisy, label_noise(y, 0.25, seed=3)[0])
    changed = (noisy[chosen] != y[chosen]).float().mean()
    assert 0.8 < changed < 0.98  # a random label keeps the true one 1 time in 10
    assert torch.equal(label_noise(y, 0.0)[0], y)
    with pytest.raises(ValueError, match="fraction"):
        label_noise(y, 1.5)


def test_noisy_digits_split_by_source_image():
    d = NoisyDigits(n_train=1000, seed=0)
    assert len(d.x_train) == 1000 and len(d.x_test) == 797
    assert set(d.source_train.tolist()).isdisjoint(d.source_test.tolist())
    assert d.noise_train.unique().tolist() == [0, 1, 2, 3]
    assert torch.equal(NoisyDigits(seed=0).x_test, d.x_test)
    clean_rows = d.noise_train == 0
    assert torch.all((d.x_train[clean_rows] >= 0) & (d.x_train[clean_rows] <= 1))


def test_epoch_batches_cover_each_epoch_once():
    get = epoch_batches(10, 3, torch.Generator().manual_seed(0))
    first = torch.cat([get(s) for s in (1, 2, 3)])
    second = torch.cat([get(s) for s in (4, 5, 6)])
    assert len(first.unique()) == 9 and len(second.unique()) == 9  # the partial last batch is dropped
    assert not torch.equal(first, second)  # a new permutation each epoch


def test_bayes_mlp_kl_is_precise_at_full_size_near_the_prior():
    """Chapter 6's certificate reads KLs of a few tenths of a nat over 85k weights: float32 must give them
    to 1e-3 nats (a posterior equal to its prior: exactly 0; a small move: the float64 value)."""
    torch.manual_seed(0)
    net = BayesMLP(prior_sigma=0.01, init_sigma=0.01)
    for layer in net.layers:
        layer.set_prior(layer.weight_mu.detach(), layer.bias_mu.detach())
    assert abs(float(net.kl())) < 1e-3
    with torch.no_grad():
        for layer in net.layers:
            layer.weight_logsigma.add_(1e-3 * torch.randn_like(layer.weight_logsigma))
            layer.weight_mu.add_(1e-5 * torch.randn_like(layer.weight_mu))
    exact = float(net.double().kl())
    assert 0.1 < exact < 100
    assert abs(float(net.float().kl()) - exact) < 1e-3
