"""Hardening of the shared base: memory of transform, huge magnitudes, images with
a never-observed pixel, data on another scale, and small input/API errors.

Each test fails on the base class as it was before the fix it covers.
"""

import os
import tracemalloc
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import MaskedMLPImputer
from skorch.callbacks import Callback

from sklimpute import (
    BaseImputer,
    DeepImputer,
    MatrixCompletionImputer,
    VAEImputer,
    VAEWLImputer,
    VSAEImputer,
)
from sklimpute.scaling import FeatureScaler
from sklimpute.training import default_n_threads
from sklimpute.cli import main


def _with_holes(X, rate=0.2, seed=12345):
    X = np.array(X, dtype=float)
    X[np.random.RandomState(seed).rand(*X.shape) < rate] = np.nan
    return X


# --------------------------------------------------------------------------
# transform's memory is the output's plus a constant
# --------------------------------------------------------------------------
def _peak_of_transform(imp, X):
    """Peak of the memory traced by tracemalloc during ``transform`` (numpy's included)."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        out = imp.transform(X)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return peak, out.nbytes


MEMORY_CASES = {
    "float64": dict(dtype=np.float64),
    "float32": dict(dtype=np.float32),
    "empty-feature-dropped": dict(dtype=np.float64, empty=True),
    "indicator": dict(dtype=np.float64, params={"add_indicator": True}),
    "placeholder": dict(dtype=np.float64, placeholder=-1.0),
}


@pytest.fixture(scope="module")
def big_table():
    return _with_holes(np.random.RandomState(1).rand(40000, 32))


@pytest.mark.parametrize("case", MEMORY_CASES, ids=list(MEMORY_CASES))
@pytest.mark.parametrize("make", [
    lambda: MatrixCompletionImputer(),  # numpy throughout: every allocation is traced
    lambda: MaskedMLPImputer(epochs=1, hidden=8, batch_size=256, random_state=0),
], ids=["matrix_completion", "deep"])
def test_transform_memory_grows_like_the_output(big_table, make, case):
    opts = MEMORY_CASES[case]
    X = big_table.astype(opts["dtype"])
    if opts.get("empty"):
        X[:, 3] = np.nan
    params = dict(opts.get("params", {}))
    if "placeholder" in opts:
        X = np.where(np.isnan(X), opts["placeholder"], X)
        params["missing_values"] = opts["placeholder"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the dropped empty feature
        imp = make().set_params(**params).fit(X[:500])
        imp.transform(X[:10])  # first-call costs (imports, caches) out of the measure
        small_peak, small_out = _peak_of_transform(imp, X[:20000])
        peak, out = _peak_of_transform(imp, X)
    # growth with the number of rows: about the output's growth (2x before:
    # the kept columns and the indicator were copied into a new array, the
    # placeholder version of X and the full mask came on top)
    assert (peak - small_peak) <= 1.2 * (out - small_out)
    # and in absolute terms: the output plus a constant (MatrixCompletion's
    # solver holds about a dozen arrays of one 1024-row batch)
    assert peak <= 1.2 * out + 4e6


# --------------------------------------------------------------------------
# huge magnitudes
# --------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [VAEWLImputer, VAEImputer, VSAEImputer])
@pytest.mark.parametrize("magnitude", [1e160, 1e300])
def test_huge_magnitudes_are_imputed_not_nan(cls, magnitude):
    rng = np.random.RandomState(0)
    X = rng.rand(50, 6)
    X[rng.rand(50, 6) < 0.2] = np.nan
    X[:, 0] *= magnitude
    with warnings.catch_warnings():
        # the safety net of non-finite imputations must not be what saves it
        warnings.filterwarnings("error", message=".*non-finite imputation")
        out = cls(epochs=2, random_state=0).fit_transform(X)
    assert np.isfinite(out).all()
    holes = np.isnan(X[:, 0])
    # the hole of the huge feature is on its scale, not a saturated value
    assert np.all(np.abs(out[holes, 0]) < 10 * magnitude)
    assert np.abs(out[holes, 0]).max() > 1e-3 * magnitude


def test_scaler_statistics_cannot_overflow():
    rng = np.random.RandomState(0)
    X = rng.rand(40, 3)
    observed = rng.rand(40, 3) > 0.2
    for method in ("standard", "minmax"):
        small = FeatureScaler(method).fit(X, observed)
        for magnitude in (1e160, 1e300, 2.0**1000):
            big = FeatureScaler(method).fit(X * magnitude, observed)
            assert np.isfinite(big.scale_).all() and np.isfinite(big.offset_).all()
            np.testing.assert_allclose(big.scale_, small.scale_ * magnitude, rtol=1e-12)
            np.testing.assert_allclose(big.offset_, small.offset_ * magnitude, rtol=1e-12)
            np.testing.assert_allclose(big.transform(X * magnitude), small.transform(X),
                                       rtol=1e-9, atol=1e-9)
    # a range wider than the largest float: values near +-1.8e308 of both signs
    edge = np.array([[-1.7e308], [1.7e308], [0.0], [1e308]])
    for method in ("standard", "minmax"):
        s = FeatureScaler(method).fit(edge, np.ones_like(edge, dtype=bool))
        assert np.isfinite(s.scale_).all()
        assert np.isfinite(s.transform(edge)).all()


def test_scaler_scale_invariant_for_tiny_magnitudes():
    # constant features are judged relative to their magnitude: 1e-20-sized
    # data are scaled like the same data at 1 (an absolute 1e-12 made them constant)
    X = np.random.RandomState(0).rand(30, 2)
    observed = np.ones_like(X, dtype=bool)
    a = FeatureScaler().fit(X, observed)
    b = FeatureScaler().fit(X * 1e-20, observed)
    np.testing.assert_allclose(b.scale_, a.scale_ * 1e-20, rtol=1e-12)


class _Broken(BaseImputer):
    """Returns NaN and inf for every hole: the base must not let them through."""

    def _fit(self, X, observed):
        return self

    def _impute(self, X, observed):
        out = np.full(X.shape, np.nan)
        out[:, ::2] = np.inf
        return out


def test_non_finite_imputations_are_made_finite_with_a_warning():
    X = _with_holes(np.random.RandomState(0).rand(30, 4) + 5)
    imp = _Broken().fit(X)
    with pytest.warns(RuntimeWarning, match="non-finite imputation"):
        out = imp.transform(X)
    assert np.isfinite(out).all()
    obs = ~np.isnan(X)
    np.testing.assert_array_equal(out[obs], X[obs])
    holes = np.isnan(X)
    # NaN takes the feature's observed mean; inf saturates
    np.testing.assert_allclose(out[:, 1][holes[:, 1]], np.nanmean(X[:, 1]))
    assert np.all(out[:, 0][holes[:, 0]] == np.finfo(np.float64).max)
    with pytest.warns(RuntimeWarning, match="non-finite"):
        out32 = imp.transform(X.astype(np.float32))
    assert out32.dtype == np.float32 and np.isfinite(out32).all()


# --------------------------------------------------------------------------
# a never-observed pixel of an image
# --------------------------------------------------------------------------
@pytest.fixture
def images_with_dead_pixel(digits):
    X = _with_holes(digits[:200])
    X[:, 3 * 8 + 4] = np.nan  # pixel (3, 4) never observed
    return X


@pytest.mark.parametrize("make", [
    lambda: MatrixCompletionImputer(shape=(8, 8)),
    lambda: MaskedMLPImputer(shape=(8, 8), epochs=1, hidden=8, random_state=0),
    lambda: MaskedMLPImputer(shape=(8, 8), epochs=1, hidden=8, random_state=0,
                             keep_empty_features=True, add_indicator=True),
], ids=["matrix_completion", "deep", "deep-keep-indicator"])
def test_never_observed_pixel_is_kept_and_filled_from_its_neighbours(images_with_dead_pixel, make):
    X = images_with_dead_pixel
    imp = make()
    with pytest.warns(UserWarning, match=r"\(0, 3, 4\).*kept because they are image pixels"):
        imp.fit(X)
    out = imp.transform(X)
    assert out.shape[1] == 64 + (imp.indicator_.features_.size if imp.add_indicator else 0)
    assert len(imp.get_feature_names_out()) == out.shape[1]
    images = out[:, :64].reshape(-1, 8, 8)  # it still reshapes to the image
    assert np.isfinite(images).all()
    neighbours = (images[:, 2, 4] + images[:, 4, 4] + images[:, 3, 3] + images[:, 3, 5]) / 4
    np.testing.assert_allclose(images[:, 3, 4], neighbours)
    # observed at transform time: the observed value wins
    X2 = X.copy()
    X2[:, 3 * 8 + 4] = 0.5
    np.testing.assert_array_equal(imp.transform(X2)[:, 3 * 8 + 4], 0.5)


def test_block_of_never_observed_pixels_fills_inwards(digits):
    X = _with_holes(digits[:100])
    block = np.zeros((8, 8), dtype=bool)
    block[2:5, 2:5] = True
    X[:, block.ravel()] = np.nan
    X[:, 0] = 1.0
    imp = MatrixCompletionImputer(shape=(8, 8))
    with pytest.warns(UserWarning, match="9 pixel"):
        imp.fit(X)
    images = imp.transform(X).reshape(-1, 8, 8)
    assert np.isfinite(images).all()
    # the centre is the mean of its four (filled) neighbours
    centre = (images[:, 2, 3] + images[:, 4, 3] + images[:, 3, 2] + images[:, 3, 4]) / 4
    np.testing.assert_allclose(images[:, 3, 3], centre)


def test_never_observed_channel_is_zero_and_keeps_the_shape():
    rng = np.random.RandomState(0)
    X = _with_holes(rng.rand(60, 2 * 3 * 4))
    X[:, 12:] = np.nan  # channel 1 never observed
    imp = MatrixCompletionImputer(shape=(2, 3, 4))
    with pytest.warns(UserWarning, match="12 pixel"):
        out = imp.fit(X).transform(X)
    assert out.shape == X.shape
    np.testing.assert_array_equal(out[:, 12:], 0.0)


def test_tables_still_drop_empty_features(digits):
    X = _with_holes(digits[:100])
    X[:, 5] = np.nan
    with pytest.warns(UserWarning, match="Skipping features"):
        out = MatrixCompletionImputer().fit(X).transform(X)
    assert out.shape[1] == 63


# --------------------------------------------------------------------------
# data on another scale at transform time
# --------------------------------------------------------------------------
def test_other_scale_at_transform_warns(digits):
    X = _with_holes(digits[:200])  # in [0, 1]
    imp = MaskedMLPImputer(shape=(8, 8), epochs=1, hidden=8, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same scale: not a word
        imp.transform(X[100:])
    with pytest.warns(UserWarning, match=r"channel 0: \[0, 255\] in X, \[0, 1\] in fit"):
        imp.transform(X * 255)
    with pytest.warns(UserWarning, match="far outside the range seen in fit"):
        imp.transform(X - 5)


def test_other_scale_names_the_table_features():
    rng = np.random.RandomState(0)
    df = pd.DataFrame(_with_holes(rng.rand(100, 3)), columns=["age", "income", "height"])
    imp = MatrixCompletionImputer().fit(df)
    slightly_wider = df.assign(income=df["income"] * 1.8)  # within one width: silent
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        imp.transform(slightly_wider)
    with pytest.warns(UserWarning, match=r"feature income: \[.*\] in X") as record:
        imp.transform(df.assign(income=df["income"] * 1000))
    assert "age" not in str(record[0].message)


def test_per_image_imputers_do_not_compare_scales(digits):
    X = _with_holes(digits[:50])
    imp = MatrixCompletionImputer(shape=(8, 8), per_image=True).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # each image is completed from itself
        imp.transform(X * 255)


# --------------------------------------------------------------------------
# small ones
# --------------------------------------------------------------------------
def test_header_only_csv_says_no_rows(tmp_path, capsys):
    src = tmp_path / "empty.csv"
    src.write_text("a,b,c\n")
    rc = main(["impute", str(src), "-o", str(tmp_path / "out.csv"), "-q"])
    err = capsys.readouterr().err
    assert rc == 2 and "no rows" in err and "non-numeric" not in err
    with pytest.raises(ValueError, match="no rows") as exc:
        MatrixCompletionImputer().fit(pd.read_csv(src))
    assert "non-numeric" not in str(exc.value)
    with pytest.raises(ValueError, match=r"no rows \(0 samples"):
        MaskedMLPImputer().fit(np.empty((0, 3)))


def test_base_classes_say_what_to_implement():
    X = np.random.RandomState(0).rand(10, 3)
    with pytest.raises(NotImplementedError, match=r"base class.*_fit\(X, observed\).*_impute"):
        BaseImputer().fit(X)
    with pytest.raises(NotImplementedError, match=r"base class.*_build_net.*_impute_batch"):
        DeepImputer(epochs=1).fit(X)

    class NoImpute(BaseImputer):
        def _fit(self, X, observed):
            return self

    with pytest.raises(NotImplementedError, match="NoImpute does not implement _impute"):
        NoImpute().fit(X).transform(X)


@pytest.mark.parametrize("env, cores, expected", [
    ({}, 16, 8),
    ({"OMP_NUM_THREADS": "4"}, 16, 4),  # a joblib worker of n_jobs=4 on 16 cores
    ({"MKL_NUM_THREADS": "2"}, 16, 2),
    ({"OMP_NUM_THREADS": "3,1"}, 16, 3),  # OpenMP's nested form
    ({"OMP_NUM_THREADS": "32"}, 16, 8),  # a limit, never a raise
    ({"OMP_NUM_THREADS": "bogus"}, 16, 8),
    ({"OMP_NUM_THREADS": "1"}, 1, 1),
])
def test_default_threads_respect_the_workers_limit(monkeypatch, env, cores, expected):
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    assert default_n_threads() == expected


class _ThreadProbe(Callback):
    def on_epoch_end(self, net, **kwargs):
        self.threads_ = torch.get_num_threads()


def test_deep_imputer_trains_with_the_workers_limit(monkeypatch, digits):
    # what a loky worker of GridSearchCV(n_jobs=8) sees on a 16-core machine
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    monkeypatch.setenv("MKL_NUM_THREADS", "2")
    probe = _ThreadProbe()
    before = torch.get_num_threads()
    MaskedMLPImputer(epochs=1, hidden=8, callbacks=[probe], random_state=0).fit(
        _with_holes(digits[:100]))
    assert probe.threads_ == 2
    assert torch.get_num_threads() == before


def test_a_rare_large_value_is_not_a_change_of_scale():
    # a pixel seldom lit in fit (range [0, 0.0625]) that a few test digits
    # light fully is data, not another scale: no warning below a tenth
    rng = np.random.RandomState(0)
    X = rng.rand(200, 6)
    X[:, 0] = np.where(rng.rand(200) < 0.05, 0.0625, 0.0)
    X[rng.rand(200, 6) < 0.2] = np.nan
    imp = MatrixCompletionImputer(random_state=0).fit(X)
    X_new = X[:50].copy()
    X_new[:3, 0] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        imp.transform(X_new)
    X_new[:, 0] = 1.0  # all of them: a change of scale
    with pytest.warns(UserWarning, match="far outside the range seen in fit"):
        imp.transform(X_new)
