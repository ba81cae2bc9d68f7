import numpy as np
import pytest
import torch

from ibcore.info import probe_information
from ibcore.info.probes import PROBE_C_GRID, bootstrap_interval, linear_probe, linear_probe_bits, mlp_probe


def test_copied_target_gives_its_entropy():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 3000)
    z = np.eye(4)[y] + 0.01 * rng.normal(size=(3000, 4))
    r = probe_information(z[:2000], y[:2000], z[2000:], y[2000:])
    assert abs(r["h_bits"] - 2.0) < 0.02
    assert r["bits"] > 0.95 * r["h_bits"] and r["accuracy"] == 1.0


def test_independent_target_gives_about_zero():
    rng = np.random.default_rng(1)
    y, z = rng.integers(0, 5, 4000), rng.normal(size=(4000, 8))
    for kind in ("linear", "mlp"):
        r = probe_information(z[:3000], y[:3000], z[3000:], y[3000:], kind=kind)
        assert abs(r["bits"]) < 0.03, kind


def test_never_fits_on_the_evaluation_split():
    # labels on the evaluation split are scrambled: a probe that peeked would score; ours cannot
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 2000)
    z = y[:, None] + 0.1 * rng.normal(size=(2000, 1))
    y_eval = rng.permutation(y[1000:])
    r = probe_information(z[:1000], y[:1000], z[1000:], y_eval)
    assert r["bits"] < 0.0  # confident and wrong: worse than the constant predictor


def test_strength_is_chosen_on_the_fit_split_only():
    # the chosen C cannot depend on the evaluation labels: scrambling them changes the bits, not the C
    g = torch.Generator().manual_seed(5)
    y = torch.randint(0, 3, (1600,), generator=g)
    z = torch.randn(1600, 20, generator=g) + torch.nn.functional.one_hot(y, 20).float()
    a = linear_probe(z[:800], {"y": y[:800]}, z[800:], {"y": y[800:]})["y"]
    b = linear_probe(z[:800], {"y": y[:800]}, z[800:], {"y": y[800:][torch.randperm(800, generator=g)]})["y"]
    assert a["c"] == b["c"] and a["c"] in PROBE_C_GRID and a["bits"] > b["bits"] + 0.1


def test_cross_validation_prefers_weak_penalties_for_clean_codes_and_strong_ones_for_noise():
    g = torch.Generator().manual_seed(6)
    y = torch.randint(0, 4, (2000,), generator=g)
    clean = torch.nn.functional.one_hot(y, 4).float() + 0.05 * torch.randn(2000, 4, generator=g)
    noise = torch.randn(2000, 200, generator=g)  # many useless features: a weak penalty over-fits
    r_clean = linear_probe(clean[:1000], {"y": y[:1000]}, clean[1000:], {"y": y[1000:]})["y"]
    r_noise = linear_probe(noise[:1000], {"y": y[:1000]}, noise[1000:], {"y": y[1000:]})["y"]
    assert r_clean["c"] >= 0.1 and r_noise["c"] == min(PROBE_C_GRID)
    assert abs(r_noise["bits"]) < 0.03  # the fixed C = 1 of scikit-learn's default would lose about 1 bit here
    sk = probe_information(noise[:1000].numpy(), y[:1000].numpy(), noise[1000:].numpy(), y[1000:].numpy(),
                           method="sklearn")
    assert sk["bits"] < -0.3


def test_torch_linear_probe_agrees_with_scikit_learn():
    rng = np.random.default_rng(3)
    y1, y2 = rng.integers(0, 4, 1500), rng.integers(0, 3, 1500)
    z = np.concatenate([np.eye(4)[y1] + 0.8 * rng.normal(size=(1500, 4)), 0.5 * y2[:, None] + rng.normal(size=(1500, 1)),
                        rng.normal(size=(1500, 5))], 1)
    fit, ev = slice(0, 1000), slice(1000, None)
    for c in (1.0, 0.01):
        ours = linear_probe_bits(torch.tensor(z[fit]), {"a": torch.tensor(y1[fit]), "b": torch.tensor(y2[fit])},
                                 torch.tensor(z[ev]), {"a": torch.tensor(y1[ev]), "b": torch.tensor(y2[ev])}, c=c)
        for key, y in (("a", y1), ("b", y2)):
            ref = probe_information(z[fit], y[fit], z[ev], y[ev], c=c, method="sklearn")["bits"]
            assert abs(ours[key] - ref) < 0.01, (c, key, ours[key], ref)
    assert ours["a"] > 0.5 and ours["b"] > 0.05


def test_torch_linear_probe_copied_and_independent_targets():
    g = torch.Generator().manual_seed(4)
    y = torch.randint(0, 4, (3000,), generator=g)
    noise = torch.randint(0, 3, (3000,), generator=g)
    z = torch.cat([torch.nn.functional.one_hot(y, 4).float(), torch.randn(3000, 50, generator=g)], 1)
    bits = linear_probe_bits(z[:2000], {"y": y[:2000], "n": noise[:2000]}, z[2000:], {"y": y[2000:], "n": noise[2000:]})
    assert 1.9 < bits["y"] <= 2.0 + 1e-9  # H(y) = 2 bits; cross-validation picks a weak penalty here
    assert abs(bits["n"]) < 0.03


def test_mlp_probe_reads_a_nonlinear_target_the_linear_probe_cannot():
    g = torch.Generator().manual_seed(7)
    z = torch.randn(3000, 2, generator=g)
    y = ((z[:, 0] * z[:, 1]) > 0).long()  # XOR of the signs: no linear read-out
    lin = linear_probe(z[:2000], {"y": y[:2000]}, z[2000:], {"y": y[2000:]})["y"]["bits"]
    mlp = mlp_probe(z[:2000], {"y": y[:2000]}, z[2000:], {"y": y[2000:]})["y"]["bits"]
    assert abs(lin) < 0.03 and mlp > 0.6


def test_bootstrap_interval_brackets_the_mean():
    x = torch.randn(500, generator=torch.Generator().manual_seed(8)) + 1.0
    lo, hi = bootstrap_interval(x)
    assert lo < float(x.mean()) < hi and hi - lo < 0.3


def test_marginal_cross_entropy_is_the_smoothed_label_entropy():
    import math

    from ibcore.info import marginal_cross_entropy_bits

    fit = [0, 0, 1, 1]  # Laplace-smoothed over 3 classes: 3/7, 3/7, 1/7
    assert marginal_cross_entropy_bits(fit, [0, 1], 3) == math.log2(7 / 3)
    assert marginal_cross_entropy_bits(fit, [2], 3) == math.log2(7)


def test_block_representations_pool_large_maps_and_probe_blocks_reads_each_block():
    from ibcore.info import block_representations, probe_blocks
    from ibcore.models import ConvNet, ConvNetConfig

    torch.manual_seed(0)
    net = ConvNet(ConvNetConfig(channels=(4, 8), canvas=32)).train()
    reps = block_representations(net, torch.rand(10, 1, 32, 32), pool=4, batch_size=3)
    assert [tuple(r.shape) for r in reps] == [(10, 4 * 16), (10, 8 * 16), (10, 8)]  # 16x16 and 8x8 pooled to 4x4
    assert net.training  # the mode is restored

    # a block that holds the target scores bits, one that holds noise scores about none
    rng = torch.Generator().manual_seed(1)
    y_fit, y_eval = torch.randint(0, 4, (600,), generator=rng), torch.randint(0, 4, (600,), generator=rng)
    informative = lambda y: torch.nn.functional.one_hot(y, 4).double() + 0.1 * torch.randn(len(y), 4, generator=rng)  # noqa: E731
    noise = lambda y: torch.randn(len(y), 4, generator=rng)  # noqa: E731
    for kind in ("linear", "mlp"):
        rows = probe_blocks([informative(y_fit), noise(y_fit)], {"t": y_fit}, [informative(y_eval), noise(y_eval)],
                            {"t": y_eval}, ["a", "b"], kind=kind, interval=True, model="m")
        bits = {r["layer"]: r["bits"] for r in rows}
        assert rows[0]["model"] == "m" and rows[1]["depth"] == 1 and rows[0]["probe"] == kind
        assert 1.9 < bits["a"] <= 2.0 and abs(bits["b"]) < 0.05, (kind, bits)
        assert all(r["bits_lo"] <= r["bits"] <= r["bits_hi"] for r in rows)
    with pytest.raises(ValueError, match="labels"):
        probe_blocks([informative(y_fit)], {"t": y_fit}, [informative(y_eval)], {"t": y_eval}, ["a", "b"])


def test_selectivity_is_nuisance_share_lost_minus_task_share_lost():
    from ibcore.info.selectivity import nuisance_bits, selectivity

    before = {"task": 2.0, "noise": 0.4, "clutter": 0.1, "distractor": -0.2}
    after = {"task": 1.0, "noise": 0.1, "clutter": -0.05, "distractor": 0.0}
    nuis = ["noise", "clutter", "distractor"]
    assert nuisance_bits(before, nuis) == pytest.approx(0.5)  # the negative estimate counts as 0
    # nuisances 0.5 -> 0.1: 80 % lost; task 2 -> 1: 50 % lost
    assert selectivity(after, before, nuis) == pytest.approx(0.8 - 0.5)
    assert selectivity(before, before, nuis) == pytest.approx(0.0)
    # a before side under the floor is read as the floor: 0.02 -> 0.01 bits is 80 % of 0.05 lost, not 50 %
    tiny = {"task": 2.0, "noise": 0.02}
    assert selectivity({"task": 2.0, "noise": 0.01}, tiny, ["noise"]) == pytest.approx(0.8)
    with pytest.raises(ValueError, match="floor"):
        selectivity(after, before, nuis, floor=0.0)
