"""Chapter 4's pieces: the Information Dropout layer, its network and loss."""


import math

import pytest
import torch
from torch.distributions import LogNormal, kl_divergence

from ibcore.losses import information_dropout_loss
from ibcore.models import ConvNetConfig, IDConvNet, InformationDropout


def test_noise_is_log_normal_with_the_learned_scale():
    torch.manual_seed(0)
    layer = InformationDropout(3, bias_init=0.0)  # alpha = 1e-3 + 0.7 * sigmoid(0) = 0.351
    h = torch.rand(20000, 3, 1, 1) + 0.5
    with torch.no_grad():
        z, kl, alpha = layer(h)
    log_ratio = (z / torch.relu(h)).log()
    assert abs(float(log_ratio.mean())) < 0.01
    assert float(log_ratio.std()) == pytest.approx(0.001 + 0.7 * 0.5, abs=0.01)
    layer.eval()
    z_eval, _, _ = layer(h)
    torch.testing.assert_close(z_eval, torch.relu(h))  # the median of the noise: no noise at test time


def test_log_uniform_kl_is_minus_log_alpha():
    layer = InformationDropout(2, prior="log-uniform")
    h = torch.randn(4, 2, 3, 3)
    _, kl, alpha = layer(h)
    torch.testing.assert_close(kl, -alpha.log().flatten(1).sum(1))


def test_log_normal_kl_matches_torch_distributions():
    torch.manual_seed(1)
    layer = InformationDropout(2, prior="log-normal")
    torch.nn.init.normal_(layer.noise.weight)
    h = torch.randn(4, 2, 3, 3)
    _, kl, alpha = layer(h)
    f = torch.nn.functional.softplus(h)
    expected = kl_divergence(LogNormal(f.log(), alpha), LogNormal(0.0, 1.0)).flatten(1).sum(1)
    torch.testing.assert_close(kl, expected, rtol=1e-4, atol=1e-4)


def test_alpha_is_bounded_and_network_shapes():
    net = IDConvNet(ConvNetConfig(channels=(8, 16)))
    with torch.no_grad():
        out = net.forward_all(torch.rand(3, 1, 32, 32))
    assert out["logits"].shape == (3, 10) and len(out["kl"]) == 2 and out["kl"][0].shape == (3,)
    assert all(float(a.min()) >= 1e-3 and float(a.max()) <= 0.701 for a in out["alpha"])
    assert [tuple(b.shape[1:]) for b in out["blocks"]] == [(8, 16, 16), (16, 8, 8), (16,)]
    with pytest.raises(ValueError, match="prior"):
        InformationDropout(2, prior="gaussian")


def test_loss_keeps_the_kl_of_each_layer():
    logits, y = torch.randn(5, 10), torch.randint(10, (5,))
    kls = [torch.full((5,), 2.0), torch.full((5,), 3.0)]
    out = information_dropout_loss(logits, y, kls, beta=0.1)
    torch.testing.assert_close(out["kl_layer"], torch.tensor([2.0, 3.0]))
    torch.testing.assert_close(out["loss"], torch.nn.functional.cross_entropy(logits, y) + 0.5)


def test_per_unit_convention_divides_each_layer_by_its_units():
    logits, y = torch.randn(5, 10), torch.randint(10, (5,))
    kls = [torch.full((5,), 40.0), torch.full((5,), 6.0)]
    out = information_dropout_loss(logits, y, kls, beta=0.1, units=[20, 3])  # mean unit KL 2.0 and 2.0
    torch.testing.assert_close(out["loss"], torch.nn.functional.cross_entropy(logits, y) + 0.4)
    torch.testing.assert_close(out["kl_layer"], torch.tensor([40.0, 6.0]))
    with pytest.raises(ValueError, match="units"):
        information_dropout_loss(logits, y, kls, beta=0.1, units=[20])
    net = IDConvNet(ConvNetConfig(channels=(8, 16)))
    assert net.forward_all(torch.rand(2, 1, 32, 32))["units"] == [8 * 16 * 16, 16 * 8 * 8]


def test_fixed_noise_has_the_given_scale_and_no_learned_noise():
    from ibcore.fixed_noise import FixedNoise, fixed_noise_convnet

    torch.manual_seed(0)
    layer = FixedNoise(0.3)
    h = torch.full((20000, 1, 1, 1), 2.0)
    z, kl, alpha = layer(h, sample=True)
    # log z = log relu(h) + 0.3 eps: the spread of log z is alpha, its centre log 2
    assert torch.log(z).std().item() == pytest.approx(0.3, rel=0.03)
    assert torch.log(z).mean().item() == pytest.approx(math.log(2.0), abs=0.01)
    assert torch.allclose(kl, torch.full((20000,), -math.log(0.3)))
    assert torch.equal(layer(h, sample=False)[0], h)  # the median in eval mode
    assert list(layer.parameters()) == []
    net = fixed_noise_convnet(ConvNetConfig(canvas=32), [0.1, 0.2, 0.3, 0.4])
    out = net.forward_all(torch.rand(3, 1, 32, 32), sample=True)
    assert [float(a.unique()) for a in out["alpha"]] == pytest.approx([0.1, 0.2, 0.3, 0.4])
    # nothing in the noise is trainable: only convs, norms and head
    assert not any(name.startswith("drops.") for name, _ in net.named_parameters())
    with pytest.raises(ValueError, match="alphas"):
        fixed_noise_convnet(ConvNetConfig(canvas=32), [0.1, 0.2])
    with pytest.raises(ValueError, match="alpha"):
        FixedNoise(0.0)


def test_sampled_accuracy_draws_the_noise_and_matches_without_it():
    from ibcore.fixed_noise import fixed_noise_convnet, sampled_accuracy
    from ibcore.train import accuracy

    torch.manual_seed(0)
    x, y = torch.rand(64, 1, 32, 32), torch.randint(10, (64,))
    quiet = fixed_noise_convnet(ConvNetConfig(canvas=32), [1e-6] * 4).eval()
    assert sampled_accuracy(quiet, x, y) == accuracy(quiet, x, y)  # negligible noise: same predictions
    loud = fixed_noise_convnet(ConvNetConfig(canvas=32), [5.0] * 4).eval()
    with torch.no_grad():
        a = loud.head(loud.blocks(x, sample=True)[-1].flatten(1)).argmax(1)
        b = loud.head(loud.blocks(x, sample=True)[-1].flatten(1)).argmax(1)
    assert not torch.equal(a, b)  # the noise is drawn, so two draws differ
