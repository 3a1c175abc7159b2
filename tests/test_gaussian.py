"""GaussianImputer: EM for a multivariate normal, conditional means, conditional draws."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sklimpute import GaussianImputer, make_missing


def _gaussian(n, seed=0, d=4):
    rng = np.random.RandomState(seed)
    A = rng.normal(size=(d, d))
    cov = A @ A.T + 0.1 * np.eye(d)
    mean = rng.normal(size=d) * 3
    return rng.multivariate_normal(mean, cov, size=n), mean, cov


def _true_conditional_mean(x, mean, cov):
    o = ~np.isnan(x)
    out = x.copy()
    m = ~o
    if m.any():
        out[m] = mean[m] + cov[np.ix_(m, o)] @ np.linalg.solve(cov[np.ix_(o, o)], x[o] - mean[o])
    return out


def test_em_recovers_the_gaussian_and_its_conditional_means():
    X, mean, cov = _gaussian(4000)
    X_missing, hidden = make_missing(X, "mcar", 0.3, random_state=0)
    imp = GaussianImputer(ridge=0.0, tol=1e-6, random_state=0).fit(X_missing)
    scale = imp.scaler_.scale_
    fitted_cov = imp.covariance_ * np.outer(scale, scale)
    fitted_mean = imp.scaler_.inverse_transform(imp.mean_[None])[0]
    # MCAR: EM is consistent; 4,000 rows estimate the moments to a few percent
    np.testing.assert_allclose(fitted_mean, mean, atol=0.1 * np.sqrt(np.diag(cov)).max())
    np.testing.assert_allclose(fitted_cov, cov, atol=0.08 * np.abs(cov).max())
    filled = imp.transform(X_missing[:200])
    truth = np.array([_true_conditional_mean(x, mean, cov) for x in X_missing[:200]])
    h = hidden[:200]
    err_true = np.abs(truth[h] - X[:200][h]).mean()
    assert np.abs(filled[h] - truth[h]).mean() < 0.1 * err_true


def test_beats_iterative_imputer_on_a_small_correlated_table():
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer

    X, _, _ = _gaussian(150, seed=3, d=12)
    X_missing, hidden = make_missing(X, "mcar", 0.4, random_state=1)
    ours = GaussianImputer(random_state=0).fit_transform(X_missing)
    theirs = IterativeImputer(random_state=0).fit_transform(X_missing)
    assert np.abs(ours - X)[hidden].mean() < np.abs(theirs - X)[hidden].mean()


def test_draws_follow_the_conditional_law():
    # two features with correlation 0.8: a hole given the other entry has
    # variance 1 - 0.64 of the feature's; the draws' mean is transform's
    rng = np.random.RandomState(0)
    X = rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], size=3000)
    X_missing = X.copy()
    X_missing[:1000, 1] = np.nan
    imp = GaussianImputer(ridge=0.0, random_state=0).fit(X_missing)
    draws = imp.sample_imputations(X_missing[:1000], n_draws=200, random_state=0)
    assert draws.shape == (200, 1000, 2)
    assert np.array_equal(draws[:, :, 0], np.broadcast_to(X_missing[:1000, 0], (200, 1000)))
    # the mean of 200 draws of sd 0.6 is within 5 standard errors (0.21) of
    # the conditional mean everywhere, and 0.034 from it on average
    gap = np.abs(draws[:, :, 1].mean(axis=0) - imp.transform(X_missing[:1000])[:, 1])
    assert gap.max() < 0.21 and gap.mean() < 0.045
    spread = draws[:, :, 1].var(axis=0).mean()
    assert 0.36 * 0.85 < spread < 0.36 * 1.15
    again = imp.sample_imputations(X_missing[:1000], n_draws=200, random_state=0)
    np.testing.assert_array_equal(draws, again)


def test_auto_ridge_shrinks_more_with_fewer_rows():
    X, _, _ = _gaussian(3000, seed=1, d=15)
    X_missing, _ = make_missing(X, "mcar", 0.3, random_state=0)
    few = GaussianImputer(random_state=0).fit(X_missing[:25])
    many = GaussianImputer(random_state=0).fit(X_missing)
    assert few.ridge_ > many.ridge_
    assert few.ridge_path_.shape == few.holdout_errors_.shape
    assert few.ridge_ == few.ridge_path_[np.argmin(few.holdout_errors_)]


def test_collinear_features_without_ridge():
    rng = np.random.RandomState(0)
    z = rng.normal(size=(200, 2))
    X = np.column_stack([z, z[:, 0] + z[:, 1]])  # exactly singular covariance
    X_missing, hidden = make_missing(X, "mcar", 0.2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        out = GaussianImputer(ridge=0.0, max_iter=50).fit_transform(X_missing)
    assert np.isfinite(out).all()
    assert np.abs(out - X)[hidden].mean() < 0.5 * np.abs(X[hidden]).mean()


def test_convergence_warning():
    X, _, _ = _gaussian(100)
    X_missing, _ = make_missing(X, "mcar", 0.3, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        GaussianImputer(ridge=0.1, max_iter=1).fit(X_missing)
