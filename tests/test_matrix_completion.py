"""Behaviour of MatrixCompletionImputer (nuclear-norm completion by FISTA).

The sklearn estimator checks, clone/pickle, pandas and Pipeline contracts run
for every imputer in ``test_common.py``; this file tests what would fail if the
method were replaced by mean imputation, and the solver itself.
"""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV
from threadpoolctl import threadpool_limits

import sklimpute.lowrank as lowrank
import sklimpute.models.matrix_completion as mc
from sklimpute import MatrixCompletionImputer


def _low_rank(n, d, rank, seed=0, hide=0.5):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, rank)) @ rng.normal(size=(rank, d))
    hidden = rng.rand(n, d) < hide
    X_missing = X.copy()
    X_missing[hidden] = np.nan
    return X, X_missing, hidden


def _rel_err(X_hat, X, hidden):
    return np.linalg.norm((X_hat - X)[hidden]) / np.linalg.norm(X[hidden])


def _hidden_mae(X_hat, X, hidden):
    return np.abs(X_hat - X)[hidden].mean()


# ---------------------------------------------------------------- recovery
def test_recovers_rank3_matrix_with_half_hidden():
    X, X_missing, hidden = _low_rank(100, 60, 3)
    imp = MatrixCompletionImputer(lam=0.1, tol=1e-5, max_iter=1000, random_state=0)
    X_hat = imp.fit_transform(X_missing)
    assert _rel_err(X_hat, X, hidden) < 0.02
    # centring adds at most one direction to the rank-3 structure
    assert 3 <= imp.rank_ <= 5


def test_auto_lam_recovers_exactly_low_rank_matrix():
    # the previous noise-level rule left 0.21 / 0.19 here (lam 5.6 on
    # standardised data); the held-out choice goes down the path to a small lam
    rng = np.random.RandomState(0)
    X = rng.randn(300, 4) @ rng.randn(4, 80)
    hidden = np.random.RandomState(1).rand(*X.shape) < 0.5
    X_missing = np.where(hidden, np.nan, X)
    imp = MatrixCompletionImputer(random_state=0).fit(X_missing)
    assert _rel_err(imp.transform(X_missing), X, hidden) < 0.02
    assert imp.lam_ < 0.1
    train, new = slice(0, 240), slice(240, None)
    imp = MatrixCompletionImputer(random_state=0).fit(X_missing[train])
    assert _rel_err(imp.transform(X_missing[train]), X[train], hidden[train]) < 0.02
    assert _rel_err(imp.transform(X_missing[new]), X[new], hidden[new]) < 0.02


def test_auto_lam_is_the_held_out_choice_then_solved_on_all_entries():
    X, X_missing, hidden = _low_rank(200, 60, 4, seed=5, hide=0.3)
    X_missing = np.where(hidden, np.nan, X + 0.5 * np.random.RandomState(6).normal(size=X.shape))
    imp = MatrixCompletionImputer(tol=1e-6, max_iter=3000, random_state=0).fit(X_missing)
    path, errors = imp.lam_path_, imp.holdout_errors_
    # the continuation path, halving lam; noisy data: the held-out error turns
    # up before the smallest lam, and the path stops soon after its minimum
    np.testing.assert_allclose(path[1:] / path[:-1], mc.AUTO_PATH_FACTOR)
    assert path.size < 10 and errors.argmin() >= 2
    assert errors[-1] > (1 - mc.AUTO_STOP) * errors[:-1].min()
    # lam_: the largest lam within the tolerance of the smallest error
    within = errors <= (1 + mc.AUTO_TOLERANCE) * errors.min()
    assert imp.lam_ == path[within].max()
    # and the final model is the solution at lam_ on ALL the observed entries
    # (warm-started from the path), not the path's solution without the holdout
    ref = MatrixCompletionImputer(lam=imp.lam_, tol=1e-6, max_iter=3000, random_state=0)
    ref.fit(X_missing)
    assert imp.rank_ == ref.rank_
    np.testing.assert_allclose(imp.singular_values_, ref.singular_values_, rtol=1e-3)
    np.testing.assert_allclose(imp.transform(X_missing), ref.transform(X_missing), atol=1e-3)


def test_held_out_path_stops_on_a_plateau_and_takes_the_largest_lam_near_the_best():
    path = mc._HeldOutPath()
    assert path.add(8.0, 1.0) and path.add(4.0, 0.5)  # first, then 50% better: go on
    assert not path.add(2.0, 0.497)  # 0.6% better: below AUTO_STOP, stop
    assert path.choice[0] == 4.0  # within AUTO_TOLERANCE of the best, and larger
    assert not path.add(1.0, 0.6)  # worse
    assert path.lams == [8.0, 4.0, 2.0, 1.0] and path.choice[0] == 4.0
    assert path.add(0.5, 0.48) and path.choice[0] == 0.5  # 3.4% better than 0.497


def test_auto_lam_does_reasonably_on_low_rank_matrix():
    X, X_missing, hidden = _low_rank(100, 60, 3)
    X_hat = MatrixCompletionImputer(random_state=0).fit_transform(X_missing)
    mean = SimpleImputer().fit_transform(X_missing)
    assert _rel_err(X_hat, X, hidden) < 0.35 * _rel_err(mean, X, hidden)


def test_small_lam_does_not_stop_early():
    # from Z = 0 a small lam moves slowly: continuation keeps FISTA from stalling
    X, X_missing, hidden = _low_rank(60, 20, 3, hide=0.3)
    for lam in (0.01, 0.001):
        imp = MatrixCompletionImputer(lam=lam, random_state=0)
        assert _rel_err(imp.fit_transform(X_missing), X, hidden) < 0.1


def test_beats_mean_imputation_on_digits(digits, digits_missing):
    X, hidden = digits_missing
    X_hat = MatrixCompletionImputer(random_state=0).fit_transform(X)
    mean = SimpleImputer().fit_transform(X)
    assert _hidden_mae(X_hat, digits, hidden) < 0.75 * _hidden_mae(mean, digits, hidden)


def test_inductive_transform_of_new_rows_beats_mean(digits, digits_missing):
    X, hidden = digits_missing
    train, test = slice(0, 1200), slice(1200, None)
    imp = MatrixCompletionImputer(random_state=0).fit(X[train])
    mean = SimpleImputer().fit(X[train])
    err = _hidden_mae(imp.transform(X[test]), digits[test], hidden[test])
    err_mean = _hidden_mae(mean.transform(X[test]), digits[test], hidden[test])
    assert err < 0.8 * err_mean


def test_transform_of_training_rows_gives_fit_solution():
    X, X_missing, hidden = _low_rank(80, 40, 4, seed=1, hide=0.3)
    X += 0.3 * np.random.RandomState(2).normal(size=X.shape)  # noisy: a real trade-off
    X_missing = np.where(hidden, np.nan, X)
    imp = MatrixCompletionImputer(lam=2.0, tol=1e-7, max_iter=2000, random_state=0)
    out = imp.fit(X_missing).transform(X_missing)
    observed = ~hidden
    Xs = np.where(observed, imp.scaler_.transform(X_missing), 0.0)
    Z = lowrank.fista_matrix(
        Xs, observed, 2.0, max_rank=None, max_iter=2000, tol=1e-7, rng=np.random.RandomState(0)
    )[0]
    Z_hat = imp.scaler_.transform(out)
    np.testing.assert_allclose(Z_hat[hidden], Z[hidden], atol=1e-4 * np.abs(Z).max())


def test_fully_missing_row_gets_the_feature_means():
    X, X_missing, _ = _low_rank(50, 10, 2, hide=0.2)
    imp = MatrixCompletionImputer(random_state=0).fit(X_missing)
    out = imp.transform(np.full((1, 10), np.nan))
    np.testing.assert_allclose(out[0], imp.scaler_.offset_)


# ----------------------------------------------------------- the solver
def test_truncated_svd_path_matches_full_svd(monkeypatch):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(160, 6)) @ rng.normal(size=(6, 130)) + 0.3 * rng.normal(size=(160, 130))
    observed = rng.rand(*X.shape) > 0.4
    Xs = np.where(observed, X, 0.0)
    kw = dict(max_rank=None, max_iter=500, tol=1e-8)
    with threadpool_limits(limits=1, user_api="blas"):
        truncated = lowrank.fista_matrix(Xs, observed, 10.0, rng=np.random.RandomState(0), **kw)
        monkeypatch.setattr(lowrank, "FULL_SVD_MAX", 1000)
        full = lowrank.fista_matrix(Xs, observed, 10.0, rng=np.random.RandomState(0), **kw)
    assert truncated[1].size == full[1].size
    np.testing.assert_allclose(truncated[1], full[1], rtol=1e-5)
    np.testing.assert_allclose(truncated[0], full[0], atol=1e-5 * np.abs(full[0]).max())


def test_fista_solution_is_optimal():
    # subgradient condition: P_Omega(X - Z) / lam = U V^T + W, U^T W = 0, W V = 0, ||W||_2 <= 1
    X, X_missing, hidden = _low_rank(60, 30, 3, seed=3, hide=0.4)
    X += 0.5 * np.random.RandomState(4).normal(size=X.shape)
    observed = ~hidden
    Xs = np.where(observed, X, 0.0)
    lam = 3.0
    Z, s, Vt, _, converged = lowrank.fista_matrix(
        Xs, observed, lam, max_rank=None, max_iter=5000, tol=1e-10, rng=np.random.RandomState(0)
    )
    assert converged
    U = Z @ Vt.T / s
    G = np.where(observed, Xs - Z, 0.0) / lam
    np.testing.assert_allclose(U.T @ G, Vt, atol=1e-6)
    np.testing.assert_allclose(G @ Vt.T, U, atol=1e-6)
    assert np.linalg.norm(G - U @ Vt, 2) <= 1 + 1e-6


# -------------------------------------------------------------- per image
def _low_rank_images(n=20, h=20, w=30, seed=0, hide=0.3):
    rng = np.random.RandomState(seed)
    images = np.stack([rng.rand(h, 2) @ rng.rand(2, w) for _ in range(n)]).reshape(n, -1)
    hidden = rng.rand(*images.shape) < hide
    hidden[0] &= ~hidden[1:].all(axis=0)  # every pixel observed somewhere (none dropped)
    return images, np.where(hidden, np.nan, images), hidden


def test_per_image_recovers_low_rank_images_and_beats_image_mean():
    X, X_missing, hidden = _low_rank_images()
    imp = MatrixCompletionImputer(per_image=True, shape=(20, 30), lam=0.01, tol=1e-5)
    X_hat = imp.fit_transform(X_missing)
    image_mean = np.where(hidden, np.nanmean(X_missing, axis=1, keepdims=True), X)
    err = _hidden_mae(X_hat, X, hidden)
    assert err < 0.1 * _hidden_mae(image_mean, X, hidden)
    assert _rel_err(X_hat, X, hidden) < 0.05
    # and "auto" still clearly beats the image mean
    auto = MatrixCompletionImputer(per_image=True, shape=(20, 30)).fit_transform(X_missing)
    assert _hidden_mae(auto, X, hidden) < 0.5 * _hidden_mae(image_mean, X, hidden)


@pytest.mark.parametrize("lam", ["auto", 0.05])
def test_per_image_completes_each_image_on_its_own(lam):
    X, X_missing, _ = _low_rank_images(n=8, h=12, w=10)
    # as 4 two-channel images, every (channel, pixel) feature observed somewhere
    X2 = X_missing.reshape(4, -1)
    X2[0] = np.where(np.isnan(X2).all(axis=0), X.reshape(4, -1)[0], X2[0])
    X_missing = X2.reshape(8, -1)
    imp = MatrixCompletionImputer(per_image=True, shape=(12, 10), lam=lam, clip=False)
    imp.fit(X_missing)
    together = imp.transform(X_missing)
    alone = np.vstack([imp.transform(X_missing[i : i + 1]) for i in range(8)])
    np.testing.assert_allclose(together, alone, rtol=1e-10, atol=1e-12)
    # channels are separate matrices: stacking two images as channels changes
    # nothing (at a fixed lam: "auto" is fitted on the channels of the data)
    if lam != "auto":
        imp2 = MatrixCompletionImputer(per_image=True, shape=(2, 12, 10), lam=lam, clip=False)
        imp2.fit(X2)
        np.testing.assert_allclose(imp2.transform(X2).reshape(8, -1), together)


def test_per_image_without_shape_raises():
    X, X_missing, _ = _low_rank(20, 12, 2)
    with pytest.raises(ValueError, match="shape"):
        MatrixCompletionImputer(per_image=True).fit(X_missing)


def test_per_image_does_not_scale_and_learns_only_lam():
    X, X_missing, _ = _low_rank_images(n=3)
    imp = MatrixCompletionImputer(per_image=True, shape=(20, 30), lam=0.1).fit(X_missing)
    assert imp._scaling is None and MatrixCompletionImputer()._scaling == "standard"
    assert imp.n_iter_ == 0 and not hasattr(imp, "components_")
    assert imp.lam_ == 0.1 and imp.lam_fraction_ is None and imp.lam_path_ is None
    auto = MatrixCompletionImputer(per_image=True, shape=(20, 30)).fit(X_missing)
    assert auto.n_iter_ > 0 and not hasattr(auto, "components_") and auto.lam_ is None


def test_per_image_auto_one_fraction_by_pooled_held_out_error():
    X, X_missing, hidden = _low_rank_images(n=40, seed=2)
    imp = MatrixCompletionImputer(per_image=True, shape=(20, 30), random_state=0)
    imp.fit(X_missing[:30])
    path, errors = imp.lam_path_, imp.holdout_errors_
    assert path.size == errors.size >= 3
    np.testing.assert_allclose(path, mc.AUTO_PATH_FACTOR ** np.arange(1, path.size + 1))
    # per image: the best pooled error (the SVDs cost the same at any rank)
    assert imp.lam_fraction_ == path[errors.argmin()]
    # exactly low-rank images: the error falls all the way down the path
    stopped = errors[-1] > (1 - mc.AUTO_STOP_IMAGE) * errors[:-1].min()
    assert stopped or path[-1] <= mc.AUTO_MIN_FRACTION
    # rank-2 images: the held-out error falls down the path and so does lam
    assert errors[-1] < 0.2 * errors[0] and imp.lam_fraction_ <= 0.01
    # new images: that fraction of each image's own largest singular value
    out = imp.transform(X_missing[30:])
    obs = ~hidden[30:]
    Z = lowrank.fista_stack(
        np.where(obs, X[30:], 0.0).reshape(10, 20, 30), obs.reshape(10, 20, 30),
        imp.lam_fraction_, relative=True, max_rank=None, max_iter=500, tol=1e-3,
    )[0].reshape(10, -1)
    seen = np.where(obs, X[30:], np.nan)  # clipped to the training range and the image's own
    low = np.minimum(imp.clip_range_[0], np.nanmin(seen, axis=1, keepdims=True))
    high = np.maximum(imp.clip_range_[1], np.nanmax(seen, axis=1, keepdims=True))
    np.testing.assert_allclose(out[hidden[30:]], np.clip(Z, low, high)[hidden[30:]])
    assert _rel_err(out, X[30:], hidden[30:]) < 0.05


# ------------------------------------------------------------ clipping
@pytest.mark.parametrize("per_image", [False, True])
def test_image_imputations_stay_in_the_observed_training_range(per_image, digits, digits_missing):
    # [0, 1] pixels: low-rank completions undershoot 0 near strokes (-0.1 to
    # -0.5 on digits and MNIST before clipping)
    X, hidden = digits_missing
    train, test = X[:1200], X[1200:]
    imp = MatrixCompletionImputer(shape=(8, 8), per_image=per_image, random_state=0).fit(train)
    assert imp.clip_range_ == (np.nanmin(train), np.nanmax(train)) == (0.0, 1.0)
    for data, part in ((train, slice(0, 1200)), (test, slice(1200, None))):
        for dtype in (np.float64, np.float32):
            out = imp.transform(data.astype(dtype))
            assert out.min() >= 0.0 and out.max() <= 1.0  # exactly, scaled or not
        unclipped = clone(imp).set_params(clip=False).fit(train).transform(data)
        assert unclipped.min() < -0.05  # what the clipping fixes
        assert _hidden_mae(out, digits[part], hidden[part]) < _hidden_mae(
            unclipped, digits[part], hidden[part])
    if per_image:  # each image on its own scale: 0-255 pixels are not squeezed into [0, 1]
        out = imp.transform(255 * test)
        holes = np.isnan(test)
        assert out[holes].max() > 100 and out.min() >= 0 and out.max() <= 255


def test_clipping_is_per_channel_keeps_observed_entries_and_is_off_for_tables():
    X, X_missing, hidden = _low_rank_images(n=20, h=10, w=12)
    two = np.hstack([X_missing, 10.0 * X_missing - 5.0])  # a second channel, another range
    imp = MatrixCompletionImputer(shape=(2, 10, 12), random_state=0).fit(two)
    low, high = imp.clip_range_
    np.testing.assert_array_equal(low, [np.nanmin(X_missing), 10.0 * np.nanmin(X_missing) - 5.0])
    np.testing.assert_array_equal(high, [np.nanmax(X_missing), 10.0 * np.nanmax(X_missing) - 5.0])
    new = two.copy()
    above = high[0] + 0.5 * (high[0] - low[0])
    new[:, 0] = above  # an observed value outside the training range
    out = imp.transform(new).reshape(20, 2, -1)
    assert np.all(out[:, 0, 0] == above)  # observed: unchanged
    holes = np.isnan(new).reshape(20, 2, -1)
    for c in range(2):
        assert low[c] <= out[:, c][holes[:, c]].min() and out[:, c][holes[:, c]].max() <= high[c]
    # tables: "auto" leaves them alone, clip=True bounds each feature
    X, X_missing, hidden = _low_rank(200, 20, 3, hide=0.4)
    assert MatrixCompletionImputer().fit(X_missing).clip_range_ is None
    free = MatrixCompletionImputer(random_state=0).fit_transform(X_missing)
    low, high = np.nanmin(X_missing, axis=0), np.nanmax(X_missing, axis=0)
    assert ((free < low) | (free > high)).any()
    out = MatrixCompletionImputer(clip=True, random_state=0).fit_transform(X_missing)
    assert ((out >= low) & (out <= high)).all()


# ------------------------------------------------------------ contract
@pytest.mark.parametrize("per_image", [False, True])
def test_observed_entries_unchanged_bit_for_bit(per_image, digits_missing):
    X, hidden = digits_missing
    X = X[:200]
    for dtype in (np.float64, np.float32):
        Xd = X.astype(dtype)
        out = MatrixCompletionImputer(per_image=per_image, shape=(8, 8)).fit_transform(Xd)
        obs = ~np.isnan(Xd)
        assert out.dtype == dtype
        assert np.array_equal(out[obs], Xd[obs])
        assert not np.isnan(out).any()


def test_same_random_state_same_result():
    # large enough for the randomised truncated SVD
    X, X_missing, _ = _low_rank(300, 150, 8, hide=0.3)
    a = MatrixCompletionImputer(random_state=3).fit(X_missing)
    b = MatrixCompletionImputer(random_state=3).fit(X_missing)
    assert a.lam_ == b.lam_
    np.testing.assert_array_equal(a.holdout_errors_, b.holdout_errors_)
    np.testing.assert_array_equal(a.components_, b.components_)
    np.testing.assert_array_equal(a.transform(X_missing), b.transform(X_missing))
    # the seed draws the held-out entries
    c = MatrixCompletionImputer(random_state=4).fit(X_missing)
    assert not np.array_equal(a.holdout_errors_, c.holdout_errors_)
    images = MatrixCompletionImputer(per_image=True, shape=(10, 15), random_state=3)
    e1 = images.fit(X_missing).holdout_errors_
    np.testing.assert_array_equal(clone(images).fit(X_missing).holdout_errors_, e1)
    assert not np.array_equal(images.set_params(random_state=4).fit(X_missing).holdout_errors_, e1)


def test_hyperparameters_reach_the_model(digits_missing):
    X, _ = digits_missing
    X = X[:400]
    base = MatrixCompletionImputer(random_state=0)
    out = base.fit_transform(X)
    big_lam = clone(base).set_params(lam=30.0).fit(X)
    assert big_lam.lam_ == 30.0 and big_lam.rank_ < base.rank_
    assert not np.allclose(big_lam.transform(X), out)
    capped = clone(base).set_params(max_rank=3).fit(X)
    assert capped.rank_ == 3 and capped.components_.shape == (3, 64)
    assert not np.allclose(capped.transform(X), out)
    # per image: lam and max_rank reach the per-image solver too
    img = MatrixCompletionImputer(per_image=True, shape=(8, 8))
    out_img = img.fit_transform(X)
    for params in ({"lam": 5.0}, {"max_rank": 1}):
        assert not np.allclose(clone(img).set_params(**params).fit_transform(X), out_img)


def test_n_iter_and_convergence_warning(digits_missing):
    X, _ = digits_missing
    X = X[:300]
    imp = MatrixCompletionImputer(max_iter=100).fit(X)
    assert 1 <= imp.n_iter_ <= 100
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        imp = MatrixCompletionImputer(max_iter=2, tol=1e-12).fit(X)
    assert imp.n_iter_ == 2
    per_image = MatrixCompletionImputer(per_image=True, shape=(8, 8), max_iter=2, tol=1e-12)
    with pytest.warns(ConvergenceWarning) as record:  # choosing lam (fit), then transform
        per_image.fit_transform(X)
    messages = [str(w.message) for w in record]
    assert any("some images" in m for m in messages)
    assert any("while choosing lam" in m for m in messages)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        MatrixCompletionImputer(tol=1e-3).fit(X)


def test_verbose_prints_progress(capsys, digits_missing):
    X, _ = digits_missing
    MatrixCompletionImputer(verbose=2).fit(X[:100])
    assert "[MatrixCompletion] iter    1" in capsys.readouterr().out


def test_invalid_parameters_raise(digits_missing):
    X, _ = digits_missing
    for params in ({"lam": -1.0}, {"lam": "big"}, {"max_rank": 0}, {"tol": 0}, {"max_iter": 0}):
        with pytest.raises(ValueError):
            MatrixCompletionImputer(**params).fit(X[:50])


def test_grid_search_over_lam_without_labels(digits_missing):
    X, _ = digits_missing
    search = GridSearchCV(MatrixCompletionImputer(random_state=0), {"lam": [1.0, 100.0]}, cv=3)
    search.fit(X[:600])
    assert search.best_params_ == {"lam": 1.0}
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
