"""Chapter 5's rate of a code (ibcore.info.rate) against exact computations, and its noise-level probe set."""

import math

import pytest
import torch

from ibcore.data import NoisyDigits
from ibcore.info.rate import deterministic_rate_bits, gaussian_rate_bits, label_entropy_bits


def test_deterministic_rate_is_the_entropy_of_the_codes():
    assert deterministic_rate_bits(torch.randn(64, 3)) == pytest.approx(6.0)  # 64 distinct codes: log2 N
    assert deterministic_rate_bits(torch.zeros(50, 10)) == pytest.approx(0.0)  # the "unknown" code
    labels = torch.tensor([0, 0, 1, 2])
    assert deterministic_rate_bits(torch.nn.functional.one_hot(labels, 3)) == pytest.approx(1.5)  # H(y)


def test_constant_code_has_rate_plus_zero():
    rate = deterministic_rate_bits(torch.zeros(7, 3))
    assert rate == 0.0 and math.copysign(1.0, rate) == 1.0  # prints 0.000, not -0.000


def test_label_entropy_against_hand_computation():
    assert label_entropy_bits(torch.tensor([0, 0, 1, 2])) == pytest.approx(1.5)
    # odd length, a class absent: the denominator is the labels' own count (3), not a split size
    h = -(2 / 3) * math.log2(2 / 3) - (1 / 3) * math.log2(1 / 3)
    assert label_entropy_bits(torch.tensor([4, 4, 7])) == pytest.approx(h)
    assert label_entropy_bits(torch.arange(10).repeat(3)) == pytest.approx(math.log2(10))
    assert label_entropy_bits(torch.full((5,), 3)) == 0.0
    with pytest.raises(ValueError):
        label_entropy_bits(torch.tensor([], dtype=torch.long))


def test_label_lookup_rate_is_the_label_entropy():
    """The lookup's training rate is H(y): its Lagrangian is the bound beta H(y) when its H(y|z) is 0."""
    y = torch.randint(0, 10, (399,), generator=torch.Generator().manual_seed(0))
    assert deterministic_rate_bits(torch.nn.functional.one_hot(y, 10)) == pytest.approx(label_entropy_bits(y))


def test_gaussian_rate_limits():
    g = torch.Generator().manual_seed(0)
    n = 200
    # well-separated, nearly deterministic codes: log2 N; codes equal to the marginal: 0
    assert gaussian_rate_bits(100 * torch.randn(n, 4, generator=g), torch.full((n, 4), -8.0),
                              generator=g) == pytest.approx(math.log2(n), abs=1e-6)
    assert gaussian_rate_bits(torch.zeros(n, 4), torch.zeros(n, 4), generator=g) == pytest.approx(0.0, abs=1e-9)


def test_gaussian_rate_of_two_codes_matches_numerical_integration():
    """Two images, z ~ N(+-a, 1) in one dimension: I = H(z) - H(z|x), integrated on a grid."""
    a = 1.0
    mu = torch.tensor([[a], [-a]]).repeat(500, 1)  # 1000 images, half at each code
    logvar = torch.zeros_like(mu)
    z = torch.linspace(-12, 12, 200_001, dtype=torch.float64)
    normal = lambda m: torch.exp(-0.5 * (z - m) ** 2) / math.sqrt(2 * math.pi)  # noqa: E731
    p = 0.5 * (normal(a) + normal(-a))
    h_z = float(-(p * p.log()).sum() * (z[1] - z[0]))
    exact = (h_z - 0.5 * math.log(2 * math.pi * math.e)) / math.log(2)
    est = gaussian_rate_bits(mu, logvar, samples=200, generator=torch.Generator().manual_seed(1))
    assert est == pytest.approx(exact, abs=0.01)


def test_noisy_digits_at_every_level_is_balanced_and_keeps_sources():
    d = NoisyDigits(n_train=1000, seed=0)
    probe = d.at_every_level("test")
    assert len(probe["x"]) == 4 * len(d.x_test)
    assert torch.equal(torch.bincount(probe["noise"]), torch.full((4,), len(d.x_test)))
    assert torch.equal(probe["y"][::4], d.y_test) and torch.equal(probe["source"][1::4], d.source_test)
    clean = probe["x"][probe["noise"] == 0]
    assert torch.all((clean >= 0) & (clean <= 1))
    # more noise, brighter on average (half-normal noise is non-negative)
    means = [float(probe["x"][probe["noise"] == k].mean()) for k in range(4)]
    assert means == sorted(means)
