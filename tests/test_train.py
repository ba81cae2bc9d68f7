import copy

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


def test_stacked_training_is_each_member_trained_alone():
    """With no randomness in the step, a stack of members trained on the sum of their losses ends where each
    member trained alone ends (Adam is elementwise; each member's gradient depends on its own loss)."""
    from ibcore.train import Stacked, epoch_batches, fit

    torch.manual_seed(0)
    x, ys = torch.randn(64, 5), torch.randn(3, 64, 2)
    inits = [torch.nn.Linear(5, 2) for _ in range(3)]

    def alone(e):
        m = torch.nn.Linear(5, 2)
        m.load_state_dict(inits[e].state_dict())
        batches = epoch_batches(64, 16, torch.Generator().manual_seed(1))
        fit(m, lambda m, idx, s: {"loss": ((m(x[idx]) - ys[e, idx]) ** 2).mean()}, batches, 12, lr=1e-2, progress=False)
        return m.weight.detach()

    copies = []
    for m in inits:
        c = torch.nn.Linear(5, 2)
        c.load_state_dict(m.state_dict())
        copies.append(c)
    stack = Stacked(copies)
    batches = epoch_batches(64, 16, torch.Generator().manual_seed(1))
    fit(stack, lambda s, idx, step: {"loss": ((s.call("forward", x[idx]) - ys[:, idx]) ** 2).mean((1, 2)).sum()},
        batches, 12, lr=1e-2, progress=False)
    trained = stack.unstack()
    for e in range(3):
        assert torch.allclose(trained[e].weight, alone(e), atol=1e-5)
        assert not torch.allclose(trained[e].weight, inits[e].weight)


def test_stacked_members_draw_their_own_noise_and_map_methods():
    from ibcore.models import BayesMLP
    from ibcore.train import Stacked

    torch.manual_seed(0)
    base = BayesMLP(sizes=(4, 8, 3))
    members = [copy.deepcopy(base) for _ in range(2)]
    stack = Stacked(members)
    d_in = members[0].layers[0].weight_mu.shape[1]
    out = stack.call("forward", torch.randn(5, d_in))
    assert out.shape[0] == 2 and not torch.allclose(out[0], out[1])  # same weights, different noise
    kl = stack.call("kl")
    assert torch.allclose(kl, torch.stack([m.kl() for m in members]))
    labels = torch.randint(0, 3, (2, 5))
    per_member = stack.call("forward", torch.randn(2, 5, d_in), in_dims=(0,))
    assert per_member.shape[:2] == labels.shape
    with pytest.raises(ValueError, match="in_dims"):
        stack.call("forward", torch.randn(5, d_in), in_dims=(0, 0))
    with pytest.raises(ValueError, match="models"):
        Stacked([])


def test_fit_stacked_returns_trained_members_and_their_histories():
    from ibcore.train import epoch_batches, fit_stacked

    torch.manual_seed(0)
    x, ys = torch.randn(64, 5), torch.randn(2, 64, 2)
    models = [torch.nn.Linear(5, 2) for _ in range(2)]
    before = [m.weight.detach().clone() for m in models]

    def member_loss(stack, idx, step):
        err = ((stack.call("forward", x[idx]) - ys[:, idx]) ** 2).mean((1, 2))
        return {"loss": err, "mse": err}

    trained, hist = fit_stacked(models, member_loss, epoch_batches(64, 16, torch.Generator().manual_seed(1)), 20,
                                groups=lambda n: int("bias" in n), lrs=(1e-2, 0.0), log_every=5, progress=False)
    assert trained is models and len(hist) == 2 and list(hist[0].columns) == ["step", "loss", "mse"]
    assert all(not torch.allclose(m.weight, b) for m, b in zip(models, before))
    assert hist[0]["mse"].iloc[-1] < hist[0]["mse"].iloc[0] and hist[0]["mse"].iloc[-1] != hist[1]["mse"].iloc[-1]
    with pytest.raises(ValueError, match="one value per member"):
        fit_stacked(models, lambda s, i, t: {"loss": member_loss(s, i, t)["loss"].sum()}, lambda t: torch.arange(8), 1,
                    progress=False)
