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
from sklimpute.base import FeatureScaler, default_n_threads
from sklimpute.cli import main


def _with_holes(X, rate=0.2, seed=12345):
    X = np.array(X, dtype=float)
    X[np.random.RandomState(seed).rand(*X.shape) < rate] = np.nan
    return X


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
