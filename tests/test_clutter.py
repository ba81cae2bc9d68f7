"""Chapters 3-5's pieces: cluttered digits, the conv classifier family, VIB, early stopping in fit."""

import pytest
import torch

from ibcore.data import CLUTTER_NUISANCES, ClutteredDigits
from ibcore.losses import gaussian_kl, vib_loss
from ibcore.models import VIB, ConvNet, ConvNetConfig
from ibcore.train import fit, train_classifier


@pytest.fixture(scope="module")
def data():
    return ClutteredDigits(n_train=400, n_probe=200, n_test=200, seed=0)


def test_splits_never_share_a_source_image(data):
    train, probe, test = (set(getattr(data, f"sources_{s}").tolist()) for s in ("train", "probe", "test"))
    assert train.isdisjoint(test) and train.isdisjoint(probe) and probe.isdisjoint(test)
    assert set(data.source_test.tolist()) <= test


def test_images_and_nuisances(data):
    assert data.x_train.shape == (400, 1, 32, 32) and data.x_test.shape == (200, 1, 32, 32)
    assert float(data.x_train.min()) >= 0.0 and float(data.x_train.max()) <= 1.0
    for name, k in CLUTTER_NUISANCES.items():
        values = data.nuisances_train[name]
        assert values.min() >= 0 and values.max() < k, name
        assert len(values.unique()) == k, name  # every class occurs
    assert (data.nuisances_train["distractor"] != data.y_train).all()  # the distractor is another digit
    assert not (data.digit_mask_train & data.clutter_mask_train).any()
    assert data.digit_mask_train.flatten(1).any(1).all()


def test_deterministic_from_the_seed(data):
    again = ClutteredDigits(n_train=400, n_probe=200, n_test=200, seed=0)
    assert torch.equal(again.x_test, data.x_test) and torch.equal(again.y_train, data.y_train)
    assert not torch.equal(ClutteredDigits(n_train=400, n_probe=200, n_test=200, seed=1).x_train, data.x_train)


def test_noise_level_raises_brightness(data):
    level = data.nuisances_train["noise"]
    means = [float(data.x_train[level == k].mean()) for k in range(4)]
    assert means == sorted(means)


@pytest.mark.parametrize("downsample", ["stride", "maxpool"])
def test_convnet_blocks_and_shapes(downsample):
    model = ConvNet(ConvNetConfig(downsample=downsample, dropout=0.2))
    x = torch.rand(5, 1, 32, 32)
    blocks = model.blocks(x)
    assert [tuple(b.shape[1:]) for b in blocks] == [(16, 16, 16), (32, 8, 8), (32, 4, 4), (64, 2, 2), (64,)]
    assert model(x).shape == (5, 10)
    flat = ConvNet(ConvNetConfig(channels=(8, 16), global_pool=False))
    assert len(flat.blocks(x)) == 2 and flat(x).shape == (5, 10)
    with pytest.raises(ValueError, match="depth"):
        ConvNet(ConvNetConfig(channels=(8,) * 5))


def test_train_classifier_learns_and_repeats(data):
    arch = ConvNetConfig(channels=(8, 16))
    m1, h1 = train_classifier(arch, data.x_train, data.y_train, epochs=2, batch_size=64, seed=3, progress=False)
    m2, h2 = train_classifier(arch, data.x_train, data.y_train, epochs=2, batch_size=64, seed=3, progress=False)
    assert h1["ce"].tolist() == h2["ce"].tolist()
    assert h1["ce"].iloc[-1] < h1["ce"].iloc[0]


def test_vib_loss_terms():
    torch.manual_seed(0)
    model = VIB(d_in=20, k=4)
    x, y = torch.randn(6, 20), torch.randint(10, (6,))
    logits, mu, logvar = model(x)
    out = vib_loss(logits, y, mu, logvar, beta=0.5)
    torch.testing.assert_close(out["kl"], gaussian_kl(mu, logvar).sum(1).mean())
    torch.testing.assert_close(out["loss"], out["ce"] + 0.5 * out["kl"])
    model.eval()
    torch.testing.assert_close(model(x)[0], model.decoder(model(x)[1]))


def test_fit_stops_when_a_callback_says_so():
    model = torch.nn.Linear(1, 1)
    h = fit(model, lambda m, x, s: {"loss": m(x).pow(2).mean()}, lambda s: torch.ones(2, 1), 100, log_every=10,
            callbacks=[lambda step, m, row: {"stop": step >= 30}], progress=False)
    assert h["step"].tolist() == [10, 20, 30] and "stop" not in h.columns
