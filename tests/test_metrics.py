"""Tests of sklimpute.metrics: metric values, input checks, the scorer, FID."""

import numpy as np
import pandas as pd
import pytest
from scipy import linalg
from scipy.ndimage import gaussian_filter
from sklearn.datasets import load_digits
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.model_selection import GridSearchCV, cross_val_score

from sklimpute.datasets import load_digits as load_digit_images
from sklimpute.fid import fid_score, frechet_distance, train_feature_extractor
from sklimpute.metrics import (
    METRICS,
    holdout_error,
    mae,
    make_imputation_scorer,
    nrmse,
    pfc,
    rmse,
)

X_TRUE = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
X_IMP = np.array([[1.0, 0.0, 3.0], [4.0, 6.0, 9.0]])
MASK = np.array([[False, True, False], [False, True, True]])
# masked true values 2, 5, 6; imputed 0, 6, 9; errors 2, 1, 3


def test_mae_hand_computed():
    assert mae(X_TRUE, X_IMP, MASK) == pytest.approx(2.0)


def test_rmse_hand_computed():
    assert rmse(X_TRUE, X_IMP, MASK) == pytest.approx(np.sqrt(14 / 3))


def test_nrmse_hand_computed():
    # std of (2, 5, 6) with ddof=0: mean 13/3, variance 26/9
    expected = np.sqrt(14 / 3) / np.sqrt(26 / 9)
    assert nrmse(X_TRUE, X_IMP, MASK) == pytest.approx(expected)


def test_unmasked_entries_are_ignored():
    X_imp = X_IMP.copy()
    X_imp[~MASK] = 1e6  # wrong, but not scored
    assert mae(X_TRUE, X_imp, MASK) == pytest.approx(2.0)


def test_perfect_imputation_is_zero():
    for name in ("mae", "rmse", "nrmse", "pfc"):
        assert METRICS[name](X_TRUE, X_TRUE, MASK) == 0.0


def test_dataframes_and_int_mask_accepted():
    cols = ["a", "b", "c"]
    got = mae(pd.DataFrame(X_TRUE, columns=cols),
              pd.DataFrame(X_IMP, columns=cols),
              pd.DataFrame(MASK.astype(int), columns=cols))
    assert got == pytest.approx(2.0)


def test_pfc_on_strings():
    X_true = np.array([["a", "b", "c"], ["x", "y", "z"]])
    X_imp = np.array([["a", "q", "c"], ["x", "y", "w"]])
    mask = np.array([[True, True, False], [False, True, True]])
    # masked: a=a, b!=q, y=y, z!=w -> 2 wrong of 4
    assert pfc(X_true, X_imp, mask) == pytest.approx(0.5)
    df_true = pd.DataFrame(X_true.astype(object))
    df_imp = pd.DataFrame(X_imp.astype(object))
    assert pfc(df_true, df_imp, mask) == pytest.approx(0.5)


def test_pfc_numeric_exact():
    assert pfc(X_TRUE, X_IMP, MASK) == pytest.approx(1.0)
    assert pfc(X_TRUE, X_TRUE + 1e-12, MASK) == pytest.approx(1.0)


def test_metrics_registry():
    assert set(METRICS) == {"mae", "rmse", "nrmse", "pfc"}
    assert METRICS["mae"] is mae


@pytest.mark.parametrize("metric", [mae, rmse, nrmse, pfc])
def test_shape_mismatch(metric):
    with pytest.raises(ValueError, match="same shape"):
        metric(X_TRUE, X_IMP[:, :2], MASK)
    with pytest.raises(ValueError, match="mask must have the same shape"):
        metric(X_TRUE, X_IMP, MASK[:, :2])


@pytest.mark.parametrize("metric", [mae, rmse, nrmse, pfc])
def test_empty_mask(metric):
    with pytest.raises(ValueError, match="selects no entry"):
        metric(X_TRUE, X_IMP, np.zeros_like(MASK))


@pytest.mark.parametrize("metric", [mae, rmse, nrmse, pfc])
def test_nan_at_masked_entry(metric):
    X_imp = X_IMP.copy()
    X_imp[0, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        metric(X_TRUE, X_imp, MASK)
    # NaN outside the mask is fine
    X_imp = X_IMP.copy()
    X_imp[0, 0] = np.nan
    metric(X_TRUE, X_imp, MASK)


def test_bad_mask_dtype():
    with pytest.raises(ValueError, match="boolean"):
        mae(X_TRUE, X_IMP, MASK.astype(float) * 0.5)


def test_nrmse_constant_truth_raises():
    X_true = np.ones((2, 3))
    with pytest.raises(ValueError, match="standard deviation 0"):
        nrmse(X_true, X_IMP, MASK)


def test_numeric_metric_on_strings_raises():
    X = np.array([["a", "b"]])
    with pytest.raises(ValueError, match="numeric"):
        mae(X, X, np.array([[True, True]]))


# --------------------------------------------------------------------------
# holdout_error and the scorer
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits_with_holes():
    X = load_digits().data / 16.0
    rng = np.random.RandomState(0)
    X = X.copy()
    X[rng.rand(*X.shape) < 0.2] = np.nan
    return X


def _small_data(seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(80, 4))
    X[:, 3] = X[:, 0] + 0.05 * X[:, 3]
    X[rng.rand(80, 4) < 0.15] = np.nan
    return X


def test_holdout_error_simple_imputer():
    X = _small_data()
    imp = SimpleImputer().fit(X)
    err = holdout_error(imp, X, random_state=0)
    assert np.isfinite(err) and err > 0
    # reproducible with the same seed
    assert holdout_error(imp, X, random_state=0) == err
    assert holdout_error(imp, X, metric="rmse", random_state=0) >= err


def test_holdout_error_strips_indicator_columns():
    X = _small_data()
    plain = SimpleImputer().fit(X)
    with_ind = SimpleImputer(add_indicator=True).fit(X)
    assert with_ind.transform(X).shape[1] > X.shape[1]
    assert holdout_error(with_ind, X, random_state=1) == pytest.approx(
        holdout_error(plain, X, random_state=1))


@pytest.mark.filterwarnings("ignore:Skipping features without any observed")
def test_holdout_error_dropped_features_raise():
    X = _small_data()
    X[:, 1] = np.nan
    imp = SimpleImputer().fit(X)  # drops the empty feature
    with pytest.raises(ValueError, match="keep_empty_features=True"):
        holdout_error(imp, X, random_state=0)
    imp = SimpleImputer(add_indicator=True).fit(X)  # drops one, adds four
    with pytest.raises(ValueError, match="keep_empty_features=True"):
        holdout_error(imp, X, random_state=0)
    imp = SimpleImputer(keep_empty_features=True).fit(X)
    assert np.isfinite(holdout_error(imp, X, random_state=0))


def test_holdout_error_dataframe_keeps_feature_names():
    X = pd.DataFrame(_small_data(), columns=list("abcd"))
    imp = SimpleImputer().fit(X)
    err_df = holdout_error(imp, X, random_state=0)
    err_np = holdout_error(SimpleImputer().fit(X.to_numpy()), X.to_numpy(),
                           random_state=0)
    assert err_df == pytest.approx(err_np)


def test_holdout_error_uses_transform_full():
    class Full:
        calls = 0

        def _transform_full(self, X):
            Full.calls += 1
            return np.where(np.isnan(X), 0.0, X)

        def transform(self, X):  # pragma: no cover - must not be used
            raise AssertionError("transform should not be called")

    X = _small_data()
    err = holdout_error(Full(), X, random_state=0)
    assert Full.calls == 1 and err > 0


def test_holdout_error_bad_arguments():
    X = _small_data()
    imp = SimpleImputer().fit(X)
    with pytest.raises(ValueError, match="holdout"):
        holdout_error(imp, X, holdout=1.5)
    with pytest.raises(ValueError, match="Unknown metric"):
        holdout_error(imp, X, metric="mse")


def test_scorer_repr_and_seed():
    scorer = make_imputation_scorer()
    assert repr(scorer) == (
        "make_imputation_scorer(metric='mae', holdout=0.2, random_state=0)")
    X = _small_data()
    imp = SimpleImputer().fit(X)
    assert scorer(imp, X) == pytest.approx(-holdout_error(imp, X,
                                                          random_state=0))
    assert scorer(imp, X) == scorer(imp, X, None)
    with pytest.raises(ValueError, match="Unknown metric"):
        make_imputation_scorer(metric="nope")


def test_scorer_in_grid_search_on_digits(digits_with_holes):
    X = digits_with_holes
    scorer = make_imputation_scorer()
    search = GridSearchCV(KNNImputer(), {"n_neighbors": [1, 5]},
                          scoring=scorer, cv=3).fit(X)
    assert search.best_params_ == {"n_neighbors": 5}
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    simple = cross_val_score(SimpleImputer(), X, scoring=scorer, cv=3).mean()
    assert search.best_score_ > simple
    # the scores are minus an MAE on [0, 1] data
    assert -1.0 < simple < search.best_score_ < 0.0


# --------------------------------------------------------------------------
# Fréchet distance
# --------------------------------------------------------------------------
def _frechet_by_scipy(a, b):
    mu_a, mu_b = a.mean(0), b.mean(0)
    c_a, c_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    cross = linalg.sqrtm(c_a @ c_b).real
    return np.sum((mu_a - mu_b) ** 2) + np.trace(c_a + c_b - 2 * cross)


def test_frechet_distance_matches_the_textbook_formula():
    rng = np.random.RandomState(0)
    a = rng.normal(size=(400, 6)) @ rng.normal(size=(6, 6))
    b = 0.5 + rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6))
    assert frechet_distance(a, b) == pytest.approx(_frechet_by_scipy(a, b), rel=1e-6)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    # two Gaussians with known parameters: |mu|^2 + (sigma_a - sigma_b)^2 * k
    g = rng.normal(size=(200000, 3))
    assert frechet_distance(g, 2 * g + 1) == pytest.approx(3 * 1 + 3 * 1, rel=0.02)


def test_frechet_distance_is_stable_on_singular_covariances():
    rng = np.random.RandomState(0)
    a = rng.normal(size=(20, 50))  # 20 samples in 50 dimensions: rank 19
    b = rng.normal(size=(20, 50))
    d = frechet_distance(a, b)
    assert np.isfinite(d) and d > 0
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    with pytest.raises(ValueError, match="columns"):
        frechet_distance(a, b[:, :10])
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(np.full((3, 2), np.nan), b[:3, :2])


@pytest.fixture(scope="module")
def digit_features():
    X, y = load_digit_images()
    return X, train_feature_extractor(X[:1400], y[:1400], (8, 8), epochs=8, random_state=0)


def test_feature_extractor_classifies_and_fid_grows_with_damage(digit_features):
    X, extractor = digit_features
    assert extractor.accuracy_ > 0.9
    real, other = X[:700], X[700:1400]
    blurred = gaussian_filter(real.reshape(-1, 8, 8), sigma=(0, 1, 1)).reshape(-1, 64)
    shifted = np.roll(real.reshape(-1, 8, 8), 2, axis=2).reshape(-1, 64)
    same = fid_score(real, other, extractor)  # two samples of the same digits
    assert fid_score(real, real, extractor) == pytest.approx(0.0, abs=1e-6)
    assert fid_score(real, blurred, extractor) > 3 * same
    assert fid_score(real, shifted, extractor) > 3 * same
    with pytest.raises(ValueError, match="NaN"):
        fid_score(real, np.where(real > 0.5, np.nan, real), extractor)


def test_feature_extractor_is_seeded():
    X, y = load_digit_images()
    a = train_feature_extractor(X[:300], y[:300], (8, 8), epochs=1, random_state=3)
    b = train_feature_extractor(X[:300], y[:300], (8, 8), epochs=1, random_state=3)
    np.testing.assert_array_equal(a(X[:10]), b(X[:10]))
