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
    imp = GaussianImputer(n_components=1, ridge=0.0, tol=1e-6, random_state=0).fit(X_missing)
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
    imp = GaussianImputer(n_components=1, ridge=0.0, random_state=0).fit(X_missing)
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
    few = GaussianImputer(n_components=1, random_state=0).fit(X_missing[:25])
    many = GaussianImputer(n_components=1, random_state=0).fit(X_missing)
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
        out = GaussianImputer(n_components=1, ridge=0.0, max_iter=50).fit_transform(X_missing)
    assert np.isfinite(out).all()
    assert np.abs(out - X)[hidden].mean() < 0.5 * np.abs(X[hidden]).mean()


def test_convergence_warning():
    X, _, _ = _gaussian(100)
    X_missing, _ = make_missing(X, "mcar", 0.3, random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        GaussianImputer(n_components=1, ridge=0.1, max_iter=1).fit(X_missing)


def _two_clusters(n, seed=0, d=6):
    # two groups whose features follow one factor with different loadings
    # (opposite correlations between the two halves of the features): one
    # Gaussian sees them blurred together, a mixture of two sees each group
    rng = np.random.RandomState(seed)
    sign = np.where(rng.rand(n) < 0.4, 1.0, -1.0)
    loading = np.where(sign[:, None] > 0, np.linspace(1.0, -1.0, d)[None], 1.0)
    X = 1.5 * sign[:, None] + rng.normal(size=(n, 1)) * loading
    return X + 0.2 * rng.normal(size=(n, d)), sign


def test_the_hole_block_pass_is_exact():
    # conditional means, the summed conditional covariances and the
    # responsibilities of a mixture, against the textbook formulas row by row
    from scipy.stats import multivariate_normal

    from sklimpute.models.gaussian import _mixture_pass

    rng = np.random.RandomState(0)
    n, d = 40, 5
    Z = rng.normal(size=(n, d))
    obs = rng.rand(n, d) > 0.5
    A = rng.normal(size=(2, d, d))
    covs = A @ A.transpose(0, 2, 1) + 0.5 * np.eye(d)
    means = rng.normal(size=(2, d))
    weights = np.array([0.3, 0.7])
    out, resp, stats = _mixture_pass(Z, obs, means, covs, np.log(weights), statistics=True)
    cond = np.zeros((2, d, d))
    for i in range(n):
        o, m = obs[i], ~obs[i]
        logp = [np.log(w) + (multivariate_normal(means[k][o], covs[k][np.ix_(o, o)]).logpdf(Z[i, o])
                             if o.any() else 0.0) for k, w in enumerate(weights)]
        r = np.exp(np.array(logp) - max(logp))
        np.testing.assert_allclose(resp[i], r / r.sum(), atol=1e-10)
        fills = [means[k][m] + covs[k][np.ix_(m, o)] @ np.linalg.solve(
            covs[k][np.ix_(o, o)], Z[i, o] - means[k][o]) for k in range(2)]
        np.testing.assert_allclose(out[i, m], resp[i] @ np.array(fills), atol=1e-10)
        np.testing.assert_array_equal(out[i, o], Z[i, o])
        for k in range(2):  # the holes' conditional covariance, weighted by the responsibility
            c = covs[k]
            schur = c[np.ix_(m, m)] - c[np.ix_(m, o)] @ np.linalg.solve(c[np.ix_(o, o)], c[np.ix_(o, m)])
            cond[k][np.ix_(m, m)] += resp[i, k] * schur
    np.testing.assert_allclose(stats[3], cond, atol=1e-9)
    np.testing.assert_allclose(stats[0], resp.sum(axis=0))


def test_a_mixture_beats_one_gaussian_on_two_groups():
    from sklimpute.models.gaussian import _mixture_pass

    d = 6
    X, sign = _two_clusters(600, d=d)
    X_missing, hidden = make_missing(X, "mcar", 0.3, random_state=0)
    # the imputation of the true model, the best there is
    loadings = np.stack([np.linspace(1.0, -1.0, d), np.ones(d)])
    covs = loadings[:, :, None] * loadings[:, None, :] + 0.04 * np.eye(d)
    truth = _mixture_pass(np.nan_to_num(X_missing), ~np.isnan(X_missing),
                          np.array([[1.5] * d, [-1.5] * d]), covs, np.log([0.4, 0.6]))[0]
    err_truth = np.abs(truth - X)[hidden].mean()
    one = GaussianImputer(n_components=1, random_state=0).fit_transform(X_missing)
    imp = GaussianImputer(n_components="auto", random_state=0).fit(X_missing)
    err_one = np.abs(one - X)[hidden].mean()
    err_auto = np.abs(imp.transform(X_missing) - X)[hidden].mean()
    assert err_one > 1.15 * err_truth
    assert err_auto < 1.05 * err_truth
    assert imp.n_components_ >= 2
    assert imp.means_.shape == (imp.n_components_, d)
    assert imp.covariances_.shape == (imp.n_components_, d, d)
    np.testing.assert_allclose(imp.weights_.sum(), 1.0)
    assert imp.components_path_[0] == 1
    assert imp.components_errors_.shape == imp.components_path_.shape
    fixed = GaussianImputer(n_components=2, random_state=0).fit(X_missing)
    assert fixed.n_components_ == 2 and fixed.components_path_ is None
    assert sorted(np.round(fixed.weights_, 1)) == [0.4, 0.6]
    assert np.abs(fixed.transform(X_missing) - X)[hidden].mean() < 1.05 * err_truth


def test_auto_keeps_one_gaussian_on_gaussian_data():
    X, _, _ = _gaussian(500, seed=2, d=6)
    X_missing, _ = make_missing(X, "mcar", 0.3, random_state=0)
    imp = GaussianImputer(n_components="auto", random_state=0).fit(X_missing)
    assert imp.n_components_ == 1
    np.testing.assert_allclose(imp.mean_, imp.means_[0])


def test_mixture_draws_average_to_transform():
    X, _ = _two_clusters(800, seed=1, d=4)
    X_missing = X.copy()
    X_missing[:300, 0] = np.nan  # the group shows in the other features
    imp = GaussianImputer(n_components=2, random_state=0).fit(X_missing)
    draws = imp.sample_imputations(X_missing[:300], n_draws=100, random_state=0)
    assert np.array_equal(draws[:, :, 1:], np.broadcast_to(X_missing[:300, 1:], (100, 300, 3)))
    # the mean of the draws is the posterior mean (transform) within a few
    # standard errors
    gap = np.abs(draws[:, :, 0].mean(axis=0) - imp.transform(X_missing[:300])[:, 0])
    assert gap.mean() < 0.1
    again = imp.sample_imputations(X_missing[:300], n_draws=100, random_state=0)
    np.testing.assert_array_equal(draws, again)


def test_held_out_categories_are_scored_by_misclassification():
    # on a table of categories alone, every held-out error is a share of
    # wrongly imputed categories (a multiple of 1 / held-out entries), not an
    # error of the standardized indicators
    import pandas as pd

    rng = np.random.RandomState(0)
    group = rng.randint(3, size=300)
    df = pd.DataFrame({f"c{j}": pd.Categorical(np.where(rng.rand(300) < 0.8, group, rng.randint(3, size=300)))
                       for j in range(4)})
    df = df.mask(rng.rand(*df.shape) < 0.2)
    imp = GaussianImputer(n_components="auto", random_state=0).fit(df)
    n_held = round(0.1 * df.notna().to_numpy().sum())
    for errors in (imp.holdout_errors_, imp.components_errors_):
        np.testing.assert_allclose(errors * n_held, np.round(errors * n_held), atol=1e-9)
        assert (errors < 0.5).all()  # the group shows in the other columns


# --------------------------------------------------------------------------- #
# mechanism="self_masking": missing not at random
# --------------------------------------------------------------------------- #


def _self_masked(n=1500, d=5, rate=0.4, seed=0):
    X, _, _ = _gaussian(n, seed=seed, d=d)
    X_missing, hidden = make_missing(X, "mnar", rate, random_state=seed)  # large values lost
    return X, X_missing, hidden


def test_self_masking_undoes_the_bias_of_mar_under_self_masked_holes():
    X, X_missing, hidden = _self_masked()
    mar = GaussianImputer(n_components=1, random_state=0).fit_transform(X_missing)
    imp = GaussianImputer(mechanism="self_masking", random_state=0).fit(X_missing)
    mnar = imp.transform(X_missing)
    err = lambda out: np.abs(out - X)[hidden].mean()  # noqa: E731
    # MAR fills with values like the observed (smaller) ones: biased low
    assert (mar - X)[hidden].mean() < -0.2 * X.std(axis=0).mean()
    assert abs((mnar - X)[hidden].mean()) < 0.4 * abs((mar - X)[hidden].mean())
    assert err(mnar) < 0.8 * err(mar)
    # make_missing's MNAR has slopes of 2 x U(0.5, 1.5) per standardised unit
    assert (imp.mask_slopes_ > 0.5).all() and imp.n_components_ == 1


def test_self_masking_on_mcar_holes_finds_flat_slopes_and_imputes_like_mar():
    X, _, _ = _gaussian(1500, seed=1, d=5)
    X_missing, hidden = make_missing(X, "mcar", 0.3, random_state=1)
    imp = GaussianImputer(mechanism="self_masking", random_state=0).fit(X_missing)
    assert np.abs(imp.mask_slopes_).max() < 0.3
    mar = GaussianImputer(n_components=1, random_state=0).fit_transform(X_missing)
    err = lambda out: np.abs(out - X)[hidden].mean()  # noqa: E731
    assert err(imp.transform(X_missing)) < 1.03 * err(mar)


def test_self_masking_rows_are_imputed_the_same_in_any_batch_and_draws_vary():
    _, X_missing, _ = _self_masked(n=400, d=4, seed=2)
    imp = GaussianImputer(mechanism="self_masking", random_state=0).fit(X_missing)
    whole = imp.transform(X_missing)
    np.testing.assert_allclose(imp.transform(X_missing[7:19]), whole[7:19], rtol=1e-10)
    draws = imp.sample_imputations(X_missing[:50], n_draws=4, random_state=0)
    holes = np.isnan(X_missing[:50])
    assert draws.shape == (4, 50, 4) and not np.isnan(draws).any()
    assert np.all(draws[:, ~holes] == X_missing[:50][~holes])
    assert draws[0][holes].std() > 0 and not np.allclose(draws[0][holes], draws[1][holes])


def test_self_masking_refuses_mixtures_and_categories():
    import pandas as pd

    _, X_missing, _ = _self_masked(n=200, d=3)
    with pytest.raises(ValueError, match="one Gaussian"):
        GaussianImputer(mechanism="self_masking", n_components=2).fit(X_missing)
    df = pd.DataFrame(X_missing, columns=list("abc"))
    df["kind"] = pd.Categorical(np.where(np.arange(200) % 2, "x", "y"))
    with pytest.raises(ValueError, match="categorical"):
        GaussianImputer(mechanism="self_masking").fit(df)
