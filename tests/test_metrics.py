import numpy as np
import pytest

from ibcore.metrics import (dci, discretize, dominant_latents, emergence_steps, mig, mutual_information_matrix,
                            perfect_code_mig)

SIZES = (3, 6, 10, 20)


def factors(n=4000, sizes=SIZES, seed=0):
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, s, n) for s in sizes], 1)


def test_discretize_uses_equal_width_bins():
    x = np.arange(40.0)[:, None] * 0.5  # 0, 0.5, ..., 19.5: two values per bin of width 0.975
    d = discretize(x, 20)
    assert d.min() == 1 and d.max() == 20
    assert np.bincount(d[:, 0])[1:].tolist() == [2] * 20


def test_code_equal_to_the_factors_scores_one():
    v = factors()
    score, gaps = mig(v.astype(float), v, per_factor=True)
    # not exactly 1: the plug-in MI of the runner-up latent is biased up by about (bins-1)(K-1)/(2N)
    assert score == pytest.approx(1.0, abs=0.01)
    np.testing.assert_allclose(gaps, 1.0, atol=0.02)


def test_affine_transform_of_the_factors_scores_one():
    v = factors()
    codes = v * np.array([1, -2, 0.3, 7]) + 3.0  # equal-width bins still separate every value
    assert mig(codes, v) == pytest.approx(1.0, abs=0.01)


def test_factor_copied_into_two_latents_has_no_gap():
    v = factors()
    codes = np.concatenate([v, v[:, :1]], 1).astype(float)
    _, gaps = mig(codes, v, per_factor=True)
    assert gaps[0] == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(gaps[1:], 1.0, atol=0.02)


def test_code_independent_of_the_factors_scores_about_zero():
    v = factors(n=20000)
    codes = np.random.default_rng(1).normal(size=(20000, 6))
    assert mig(codes, v) < 0.01


def test_factor_subset_is_chen_convention():
    v = factors()
    codes = np.concatenate([v[:, 1:], v[:, 1:2]], 1).astype(float)  # factor 0 absent, factor 1 duplicated
    assert mig(codes, v, factor_subset=[2, 3]) == pytest.approx(1.0, abs=0.01)
    assert mig(codes, v) < 0.6


def test_mutual_information_matrix_in_nats():
    v = factors()
    m = mutual_information_matrix(v.astype(float), v)
    np.testing.assert_allclose(np.diag(m), np.log(SIZES), atol=0.03)  # H of a uniform factor


def test_dci_perfect_and_random_codes():
    v_train, v_test = factors(3000, seed=0), factors(1000, seed=1)
    perfect = dci(v_train.astype(float), v_train, v_test.astype(float), v_test)
    assert perfect["disentanglement"] > 0.95 and perfect["completeness"] > 0.95
    assert perfect["informativeness"] > 0.99
    rng = np.random.default_rng(2)
    random = dci(rng.normal(size=(3000, 4)), v_train, rng.normal(size=(1000, 4)), v_test)
    assert random["disentanglement"] < 0.1 and random["informativeness"] < 0.3


def test_dominant_latents_picks_the_most_informative_latent_per_factor():
    mi = np.array([[0.1, 2.0, 0.0], [1.5, 0.2, 0.0], [0.3, 0.1, 0.4]])  # (L=3, K=3)
    assert dominant_latents(mi).tolist() == [1, 0, 2]


def test_emergence_steps_smooths_and_reports_never_as_inf():
    import pandas as pd

    steps = np.arange(1, 11) * 50
    h = pd.DataFrame({"step": steps,
                      "kl_per_dim_0": [0, 0, 0.6, 0.7, 1, 1, 1, 1, 1, 1],  # passes 0.5 at step 150
                      "kl_per_dim_1": [0, 0.9, 0, 0, 0, 0, 0, 0, 0, 0.2],  # one noisy spike only
                      "kl_per_dim_2": [0.0] * 10})
    assert emergence_steps(h, 0.5) == {0: 150.0, 1: 100.0, 2: float("inf")}
    # a trailing mean over 3 rows removes the spike (0.3) and delays latent 0: (0 + 0.6 + 0.7) / 3 = 0.43 at
    # step 200, (0.6 + 0.7 + 1) / 3 = 0.77 at step 250
    assert emergence_steps(h, 0.5, smooth=3) == {0: 250.0, 1: float("inf"), 2: float("inf")}
    with pytest.raises(ValueError, match="kl_per_dim"):
        emergence_steps(h[["step"]])


def test_kl_columns_are_in_numeric_latent_order():
    import pandas as pd

    from ibcore.metrics import kl_columns

    h = pd.DataFrame({"step": [1], "kl_per_dim_10": [0.0], "kl_per_dim_2": [0.0], "rec": [1.0]})
    assert kl_columns(h) == {2: "kl_per_dim_2", 10: "kl_per_dim_10"}


def test_perfect_dsprites_code_scores_0896_not_1_with_20_bins():
    # factors with more values than bins (orientation 40, positions 32) share bins: the ceiling is < 1
    sizes = (3, 6, 40, 32, 32)
    assert perfect_code_mig(sizes) == pytest.approx(0.9024, abs=1e-4)  # (1 + 1 + 0.812 + 0.85 + 0.85) / 5
    assert perfect_code_mig((3, 6, 10, 20)) == pytest.approx(1.0)
    # mig() on 10,000 sampled codes equal to the factors: 0.896 (the runner-up latents' plug-in MI is
    # biased up by a few hundredths of a nat at this N), issue 14's number
    v = factors(n=10000, sizes=sizes, seed=3)
    score, gaps = mig(v.astype(float), v, per_factor=True)
    assert score == pytest.approx(0.896, abs=0.003)
    assert gaps[2] < 0.82 and gaps[0] > 0.98  # orientation capped, shape not


@pytest.mark.parametrize("model", ["forest", "gbt"])
def test_dci_both_models_perfect_and_random_codes(model):
    v_train, v_test = factors(600, sizes=(3, 4, 5), seed=0), factors(300, sizes=(3, 4, 5), seed=1)
    perfect = dci(v_train.astype(float), v_train, v_test.astype(float), v_test, model=model)
    assert perfect["disentanglement"] > 0.9 and perfect["completeness"] > 0.9
    assert perfect["informativeness"] > 0.99
    rng = np.random.default_rng(2)
    random = dci(rng.normal(size=(600, 3)), v_train, rng.normal(size=(300, 3)), v_test, model=model)
    assert random["disentanglement"] < 0.2 and random["informativeness"] < 0.5
    with pytest.raises(ValueError, match="model"):
        dci(v_train.astype(float), v_train, v_test.astype(float), v_test, model="svm")


def test_switch_on_spacing_and_order():
    from ibcore.metrics import onset_kl_rank_correlation, switch_on_spacing

    assert switch_on_spacing([1000, 4000, 2500], 6000) == pytest.approx(0.25)  # (4000 - 1000) / 2 / 6000
    assert switch_on_spacing([500, float("inf"), 600], 1000) == pytest.approx(0.1)  # never-on latents left out
    assert np.isnan(switch_on_spacing([300], 1000))
    assert onset_kl_rank_correlation([100, 200, 300], [3.0, 2.0, 1.0]) == pytest.approx(-1.0)
    assert onset_kl_rank_correlation([100, 200, 300], [1.0, 2.0, 3.0]) == pytest.approx(1.0)
    assert np.isnan(onset_kl_rank_correlation([100], [1.0]))
