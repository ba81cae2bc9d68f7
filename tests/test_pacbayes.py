"""Chapter 6's certificate, piece by piece, against closed forms (ibcore.info.pacbayes)."""

import math

import numpy as np
import pytest
import torch

from ibcore.info.pacbayes import (binary_kl, binary_kl_inverse, bounded_cross_entropy, certificate, gibbs_errors,
                                  pac_bayes_bound, prior_scale_grid, quad_bound_objective,
                                  sample_convergence_bound, snap_to_grid)
from ibcore.models import BayesMLP


def test_binary_kl_closed_forms():
    assert binary_kl(0.5, 0.5) == 0.0
    assert binary_kl(0.5, 0.25) == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(0.5 / 0.75))
    assert binary_kl(0.0, 0.3) == pytest.approx(-math.log(0.7))
    assert binary_kl(1.0, 0.3) == pytest.approx(-math.log(0.3))
    assert binary_kl(0.2, 0.0) == math.inf


def test_kl_inverse_closed_form_at_zero_and_inverts_the_kl():
    for c in (0.001, 0.01, 0.3, 2.0):
        assert binary_kl_inverse(0.0, c) == pytest.approx(1 - math.exp(-c), abs=1e-9)
    for q, c in ((0.05, 0.02), (0.3, 0.1), (0.6, 0.5)):
        p = binary_kl_inverse(q, c)
        assert p >= q and binary_kl(q, p) == pytest.approx(c, abs=1e-8)  # on the boundary kl = c
    assert binary_kl_inverse(0.2, 0.0) == pytest.approx(0.2, abs=1e-6)
    assert binary_kl_inverse(0.1, 50.0) == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(ValueError):
        binary_kl_inverse(-0.1, 0.1)


def test_pac_bayes_bound_is_the_kl_inverse_of_its_complexity():
    n, kl, e = 5000, 120.0, 0.04
    c = (kl + math.log(2 * math.sqrt(n) / 0.05)) / n
    assert pac_bayes_bound(e, kl, n) == pytest.approx(binary_kl_inverse(e, c))
    b = [pac_bayes_bound(0.05, k, 10_000) for k in (10, 100, 1000, 1e5)]
    assert all(x < y for x, y in zip(b, b[1:])) and b[0] > 0.05 and b[-1] > 0.999


def test_sample_convergence_bound_closed_form_at_zero():
    for m, delta in ((100, 0.01), (10_000, 0.05)):
        assert sample_convergence_bound(0.0, m, delta) == pytest.approx(1 - (delta / 2) ** (1 / m), abs=1e-9)


def test_sample_convergence_bound_covers_the_mean():
    """Over many Monte-Carlo estimates of a known error, the bound falls below it at most delta of the time."""
    rng = np.random.default_rng(0)
    p, m, delta, trials = 0.12, 400, 0.1, 2000
    misses = sum(sample_convergence_bound(rng.binomial(m, p) / m, m, delta) < p for _ in range(trials))
    assert misses / trials <= delta / 2 + 0.01  # one-sided: the lower tail of the two-sided delta


def test_union_bound_is_delta_over_the_grid_size():
    a = certificate(0.08, 50_000, 30.0, 500, delta=0.025, delta_mc=0.01, grid_size=1024)
    b = certificate(0.08, 50_000, 30.0, 500, delta=0.025 / 1024, delta_mc=0.01, grid_size=1)
    assert a["bound"] == pytest.approx(b["bound"]) and a["complexity"] == pytest.approx(b["complexity"])
    assert a["complexity"] == pytest.approx((30.0 + math.log(2 * math.sqrt(500) * 1024 / 0.025)) / 500)
    assert a["error_hat"] <= a["error_upper"] <= a["bound"] <= 1.0


def test_certificate_chains_the_two_kl_inverses():
    cert = certificate(0.1, 1000, 5.0, 2000, delta=0.025, delta_mc=0.01, grid_size=4)
    upper = binary_kl_inverse(0.1, math.log(2 / 0.01) / 1000)
    assert cert["error_upper"] == pytest.approx(upper)
    assert cert["bound"] == pytest.approx(binary_kl_inverse(upper, (5.0 + math.log(2 * math.sqrt(2000) * 4 / 0.025)) / 2000))


def test_quad_objective_upper_bounds_the_kl_inverse():
    """f_quad (Pérez-Ortiz et al. 2021) relaxes kl <= c through Pinsker: it lies above the kl inverse."""
    n, delta = 1000, 0.025
    for loss in (0.0, 0.05, 0.3):
        for kl in (0.0, 10.0, 300.0):
            c = (kl + math.log(2 * math.sqrt(n) / delta)) / n
            quad = float(quad_bound_objective(torch.tensor(loss), torch.tensor(kl), n, delta))
            assert quad >= binary_kl_inverse(loss, c) - 1e-9
            assert quad == pytest.approx((math.sqrt(loss + c / 2) + math.sqrt(c / 2)) ** 2)


def test_bounded_cross_entropy_is_the_scaled_floored_ce():
    logits = torch.tensor([[2.0, 0.0, -1.0], [-30.0, 0.0, 0.0]])
    y = torch.tensor([0, 0])
    p_min = 1e-4
    logp = torch.log_softmax(logits, 1)[:, 0]
    expected = (-logp[0] + math.log(1 / p_min)) / 2 / math.log(1 / p_min)  # second example floored: loss 1
    assert float(bounded_cross_entropy(logits, y, p_min)) == pytest.approx(float(expected))
    assert 0.0 <= float(bounded_cross_entropy(torch.randn(50, 10) * 20, torch.randint(10, (50,)))) <= 1.0


def test_prior_grid_and_snapping():
    grid = prior_scale_grid(0.1, 1e-4, 1024)
    assert len(grid) == 1024 and grid[0] == pytest.approx(0.1) and grid[-1] == pytest.approx(1e-4)
    assert snap_to_grid(0.01, grid) == pytest.approx(0.01, rel=0.004)  # log-spacing ratio 1.0068
    assert snap_to_grid(5.0, grid) == pytest.approx(0.1)


def test_gibbs_errors_of_a_nearly_deterministic_network_equal_its_errors():
    torch.manual_seed(0)
    model = BayesMLP((5, 8, 3), init_sigma=1e-8)
    x, y = torch.randn(40, 5), torch.randint(3, (40,))
    errs = gibbs_errors(model, x, y, samples=3)
    assert errs.shape == (3, 40)
    expected = (model(x, sample=False).argmax(1) != y).float()
    assert torch.equal(errs[0], expected) and torch.equal(errs[2], expected)


def test_prior_at_init_has_zero_kl_when_the_posterior_is_the_prior():
    torch.manual_seed(0)
    model = BayesMLP((6, 5, 3), prior_sigma=0.02, init_sigma=0.02, prior="init")
    assert float(model.kl().detach()) == pytest.approx(0.0, abs=1e-4)
    with torch.no_grad():
        model.layers[0].weight_mu.add_(0.02)  # every first-layer weight one prior std away: 1/2 nat each
    assert float(model.kl().detach()) == pytest.approx(0.5 * 30, rel=1e-4)
    # another prior scale: every one of the 53 parameters pays the variance ratio 1/4, the 30 moved ones
    # also (0.02 / 0.04)^2 / 2
    ratio = 0.25
    expected = 53 * 0.5 * (ratio - 1 - math.log(ratio)) + 30 * 0.5 * 0.25
    assert float(model.kl(prior_sigma=torch.tensor(0.04)).detach()) == pytest.approx(expected, rel=1e-4)
    other = BayesMLP((6, 5, 3))
    model.set_prior_to_means(other)
    torch.testing.assert_close(model.layers[1].weight_prior, other.layers[1].weight_mu)


def test_union_bound_over_recipes_adds_log_configs():
    a = certificate(0.08, 50_000, 30.0, 500, delta=0.025, delta_mc=0.01, grid_size=1024, configs=20)
    b = certificate(0.08, 50_000, 30.0, 500, delta=0.025 / 20, delta_mc=0.01, grid_size=1024)
    assert a["bound"] == pytest.approx(b["bound"]) and a["configs"] == 20
    assert a["complexity"] * 500 == pytest.approx(
        certificate(0.08, 50_000, 30.0, 500, grid_size=1024)["complexity"] * 500 + math.log(20))
    with pytest.raises(ValueError):
        certificate(0.08, 100, 1.0, 10, configs=0)


def test_test_set_bound_closed_form_and_coverage():
    from ibcore.info.pacbayes import test_set_bound
    assert test_set_bound(0.0, 100, 0.05) == pytest.approx(1 - 0.05 ** (1 / 100), abs=1e-9)  # 1 - exp(-ln(1/d)/n)
    rng = np.random.default_rng(0)
    p, n, delta, trials = 0.1, 300, 0.1, 2000
    misses = sum(test_set_bound(rng.binomial(n, p) / n, n, delta) < p for _ in range(trials))
    assert misses / trials <= delta  # one-sided Chernoff: the bound falls below the true error at most delta
    # a PAC-Bayes certificate with KL = 0 and exact errors is looser by ln(2 sqrt(n)) nats
    assert test_set_bound(0.07, 500, 0.035) < certificate(0.07, 10**9, 0.0, 500, delta=0.035, delta_mc=1e-9)["bound"]
    with pytest.raises(ValueError):
        test_set_bound(0.1, 0, 0.05)
