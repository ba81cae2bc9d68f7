import math

import pytest
import torch

from ibcore.info import kl_decomposition, permute_latents, tc_against_n


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def overlapping(n=600, dims=3, seed=0):
    g = gen(seed)
    mu = 0.8 * torch.randn(n, dims, generator=g)
    logvar = torch.full((n, dims), math.log(0.3)) + 0.2 * torch.randn(n, dims, generator=g)
    mu[:, 1] += 0.7 * mu[:, 0]  # correlated latents: TC > 0
    return mu, logvar


def test_terms_add_up_to_the_monte_carlo_kl_and_the_analytic_kl():
    mu, logvar = overlapping()
    r = kl_decomposition(mu, logvar, "exact", generator=gen())
    assert r["mi"] + r["tc"] + r["dimwise_kl"] == pytest.approx(r["kl_mc"], abs=1e-9)
    assert abs(r["kl_mc"] - r["kl"]) < 4 * r["kl_mc_se"]
    assert r["tc"] > 0.05 and r["mi"] > 0.5


def test_sampling_estimators_equal_exact_when_the_batch_is_everything():
    mu, logvar = overlapping(n=300)
    exact = kl_decomposition(mu, logvar, "exact", generator=gen(3))
    for method in ("mws", "mss"):
        r = kl_decomposition(mu, logvar, method, batch_size=300, generator=gen(3))
        for term in ("mi", "tc", "dimwise_kl"):
            assert r[term] == pytest.approx(exact[term], abs=1e-5), (method, term)


@pytest.mark.parametrize("method", ["mws", "mss"])
def test_sampling_estimators_agree_with_exact_within_monte_carlo_error(method):
    mu, logvar = overlapping(n=1200)
    exact = kl_decomposition(mu, logvar, "exact", generator=gen(5))
    runs = [kl_decomposition(mu, logvar, method, batch_size=400, generator=gen(5 + s)) for s in range(6)]
    for term in ("mi", "tc"):
        values = torch.tensor([r[term] for r in runs])
        # Monte-Carlo error of the estimator (over batches and samples) plus the exact run's own
        err = 3 * (values.std() / math.sqrt(len(values)) + exact[f"{term}_se"])
        assert abs(values.mean() - exact[term]) < err + 0.02, (term, float(values.mean()), exact[term])


def test_stratified_weights_sit_on_the_diagonal():
    # sharp, well-separated posteriors: only the own term matters, so q(z_n) = q(z_n|x_n)/N and
    # I(z;x) = log N. A weight matrix with a column filled instead of the diagonal misses this.
    n = 256
    mu = torch.arange(n, dtype=torch.float32)[:, None].repeat(1, 2) * 10.0
    logvar = torch.full((n, 2), -6.0)
    r = kl_decomposition(mu, logvar, "mss", batch_size=64, generator=gen())
    assert r["mi"] == pytest.approx(math.log(n), abs=1e-3)
    mws = kl_decomposition(mu, logvar, "mws", batch_size=64, generator=gen())
    assert mws["mi"] == pytest.approx(math.log(64), abs=1e-3)  # its documented log M ceiling


def test_encoder_ignoring_x_has_no_information():
    mu = torch.tensor([[0.3, -1.0, 2.0]]).repeat(500, 1)
    logvar = torch.tensor([[-1.0, 0.0, 0.5]]).repeat(500, 1)
    r = kl_decomposition(mu, logvar, "exact", generator=gen())
    assert abs(r["mi"]) < 1e-6 and abs(r["tc"]) < 1e-6


def test_factorized_aggregate_has_no_total_correlation():
    grid = torch.linspace(-1.5, 1.5, 8)
    mu = torch.cartesian_prod(grid, grid, grid)  # q(z) = product of its marginals exactly
    logvar = torch.full_like(mu, math.log(0.2))
    r = kl_decomposition(mu, logvar, "exact", generator=gen())
    assert abs(r["tc"]) < 4 * r["tc_se"] + 1e-3
    assert r["mi"] > 1.0


def test_exact_information_never_exceeds_log_n():
    g = gen(7)
    mu, logvar = 5 * torch.randn(400, 4, generator=g), torch.full((400, 4), -8.0)
    r = kl_decomposition(mu, logvar, "exact", generator=g)
    assert r["mi"] <= r["log_n"] + 1e-9
    assert r["mi"] > r["log_n"] - 0.01


def test_published_normaliser_shifts_by_log_n():
    mu, logvar = overlapping(n=500)
    plain = kl_decomposition(mu, logvar, "mws", batch_size=100, generator=gen(2))
    pub = kl_decomposition(mu, logvar, "mws", batch_size=100, published_normaliser=True, generator=gen(2))
    assert pub["mi"] - plain["mi"] == pytest.approx(math.log(500), abs=1e-6)
    assert pub["tc"] - plain["tc"] == pytest.approx(2 * math.log(500), abs=1e-6)


def test_bad_input_is_rejected():
    with pytest.raises(ValueError, match="method"):
        kl_decomposition(torch.zeros(4, 2), torch.zeros(4, 2), "nope")
    with pytest.raises(ValueError, match=r"\(N, L\)"):
        kl_decomposition(torch.zeros(4, 2), torch.zeros(4, 3))


def test_permute_latents_keeps_each_column_and_its_pairs():
    mu, logvar = overlapping(n=300)
    pm, plv = permute_latents(mu, logvar, gen(1))
    for j in range(mu.shape[1]):
        assert torch.equal(pm[:, j].sort().values, mu[:, j].sort().values)
        pairs = {(round(a, 6), round(b, 6)) for a, b in zip(mu[:, j].tolist(), logvar[:, j].tolist())}
        assert {(round(a, 6), round(b, 6)) for a, b in zip(pm[:, j].tolist(), plv[:, j].tolist())} == pairs
    # the correlation built into `overlapping` is gone
    assert abs(torch.corrcoef(pm.T)[0, 1]) < 0.15 < torch.corrcoef(mu.T)[0, 1]


def test_exact_tc_is_biased_up_on_independent_sharp_codes_and_the_permutation_null_removes_it():
    # independent latents (true TC = 0) with sharp posteriors: the exact estimator reports TC > 0 that
    # shrinks with N (issue 14's synthetic case); the corrected statistic stays near 0.
    g = gen(11)
    mu, logvar = torch.randn(2000, 4, generator=g), torch.full((2000, 4), 2 * math.log(0.05))
    table = tc_against_n(mu, logvar, (500, 2000), seed=0)
    raw = table["tc"].tolist()
    assert raw[0] > raw[1] > 0.05  # biased, and less so with more points
    assert (table["tc_corrected"].abs() < 0.5 * table["tc"]).all()
    assert (table["tc_corrected_null"].abs() < 0.5 * table["tc"]).all()


def test_corrected_tc_is_positive_on_dependent_codes_and_does_not_overshoot():
    g = gen(12)
    base = torch.randn(2000, 1, generator=g)
    mu = torch.cat([base, base + 0.3 * torch.randn(2000, 1, generator=g), torch.randn(2000, 2, generator=g)], 1)
    logvar = torch.full((2000, 4), 2 * math.log(0.3))
    # z_1, z_2 jointly Gaussian with correlation 1 / sqrt(1.09 * 1.18): true TC = -log(1 - rho^2) / 2
    true_tc = -0.5 * math.log(1 - 1 / (1.09 * 1.18))  # 0.75 nats
    row = tc_against_n(mu, logvar, (2000,), seed=0).iloc[0]
    assert 0.5 < row["tc_corrected"] < true_tc + 0.05  # the subtraction errs low here, never high
    assert row["tc"] > true_tc  # the raw estimate errs high
    assert abs(row["tc_corrected_null"]) < 0.1


def test_terms_sum_to_the_analytic_kl_within_two_percent_on_vae_like_codes():
    # chapter 1's former "claim 1" is an identity of the estimator (Monte-Carlo error only): tested here
    g = gen(13)
    mu = torch.cat([2 * torch.randn(3000, 3, generator=g), 0.05 * torch.randn(3000, 7, generator=g)], 1)
    logvar = torch.cat([torch.full((3000, 3), -4.0), torch.full((3000, 7), -0.02)], 1)
    r = kl_decomposition(mu, logvar, "exact", generator=gen())
    assert r["mi"] + r["tc"] + r["dimwise_kl"] == pytest.approx(r["kl_mc"], abs=1e-9)
    assert abs(r["kl_mc"] - r["kl"]) <= 0.02 * r["kl"]
