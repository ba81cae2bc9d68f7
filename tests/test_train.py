import pandas as pd
import pytest
import torch

from ibcore import seed_everything
from ibcore.train import fit


def _run(seed: int, callbacks=()):
    seed_everything(seed)
    model = torch.nn.Linear(3, 1)
    w = torch.tensor([[1.0, -2.0, 0.5]])

    def batch(step):
        x = torch.randn(32, 3)
        return x, x @ w.T

    def step_loss(model, batch, step):
        x, y = batch
        err = (model(x) - y).pow(2).mean(0)  # (1,)
        return {"loss": err.sum(), "per_out": err, "lr_scale": torch.tensor(step / 10)}

    return fit(model, step_loss, batch, 200, lr=0.05, log_every=50, log_steps=[1, 2],
               callbacks=callbacks, progress=False)


def test_fit_returns_history_and_learns():
    h = _run(0)
    assert isinstance(h, pd.DataFrame)
    assert h["step"].tolist() == [1, 2, 50, 100, 150, 200]
    assert {"loss", "per_out_0", "lr_scale"} <= set(h.columns)
    assert h["loss"].iloc[-1] < 0.01 * h["loss"].iloc[0]


def test_fit_is_deterministic_under_a_seed():
    pd.testing.assert_frame_equal(_run(1), _run(1))


def test_callbacks_add_columns():
    h = _run(0, callbacks=[lambda step, model, row: {"twice": 2 * row["loss"]}])
    assert (h["twice"] == 2 * h["loss"]).all()


def test_iterable_batches_are_cycled():
    model = torch.nn.Linear(1, 1)
    data = [torch.ones(4, 1)] * 3
    h = fit(model, lambda m, x, s: {"loss": m(x).pow(2).mean()}, data, 7, log_every=1, progress=False)
    assert len(h) == 7
    with pytest.raises(ValueError, match="steps"):
        fit(model, lambda m, x, s: {"loss": m(x).sum()}, data, 0)


def test_reestimate_batchnorm_uses_the_data_without_noise():
    from ibcore.models import ConvNet, ConvNetConfig
    from ibcore.train import reestimate_batchnorm

    torch.manual_seed(0)
    net = ConvNet(ConvNetConfig(channels=(4, 8), dropout=0.5, canvas=32))
    x = 3.0 + torch.rand(64, 1, 32, 32)
    reestimate_batchnorm(net, x, batch_size=16)
    assert not net.training
    first = net.layers[0]
    with torch.no_grad():
        h = first.conv(x)  # what the first batch norm sees: its mean is the data's, not the initial 0
    torch.testing.assert_close(first.norm.running_mean, h.mean((0, 2, 3)), rtol=1e-4, atol=1e-4)
    assert first.norm.momentum == 0.1  # restored
