"""Tests of sklimpute.datasets: shapes, ranges, dtypes, labels, bad names."""

import numpy as np
import pandas as pd
import pytest

from sklimpute.datasets import (
    IMAGE_SHAPES,
    TABULAR_DATASETS,
    load_dataset,
    load_digits,
    load_mnist,
    load_sample_photo,
    load_tabular,
)


def _check_unit_range(X):
    assert X.dtype == np.float64
    assert np.isfinite(X).all()
    assert X.min() >= 0.0 and X.max() <= 1.0


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


def test_image_shapes():
    assert IMAGE_SHAPES == {"digits": (8, 8), "mnist": (28, 28)}


def test_load_digits():
    X, y = load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    _check_unit_range(X)
    assert X.max() == 1.0
    assert y.dtype.kind == "i" and set(np.unique(y)) == set(range(10))
    images, y2 = load_digits(return_images=True)
    assert images.shape == (1797, 8, 8)
    np.testing.assert_array_equal(images.reshape(1797, -1), X)
    np.testing.assert_array_equal(y, y2)


def test_load_mnist(mnist):
    X, y = mnist
    assert X.shape == (5000, 784) and y.shape == (5000,)
    _check_unit_range(X)
    assert X.max() == 1.0
    assert y.dtype == np.int64 and set(np.unique(y)) == set(range(10))
    assert int(np.prod(IMAGE_SHAPES["mnist"])) == X.shape[1]


@pytest.mark.parametrize("name, shape, n_classes", [
    ("breast_cancer", (569, 30), 2),
    ("wine", (178, 13), 3),
    ("diabetes", (442, 10), None),
    ("iris", (150, 4), 3),
])
def test_load_tabular(name, shape, n_classes):
    X, y = load_tabular(name)
    assert X.shape == shape and y.shape == (shape[0],)
    _check_unit_range(X)
    # min-max per feature: every column spans exactly [0, 1]
    np.testing.assert_allclose(X.min(axis=0), 0.0)
    np.testing.assert_allclose(X.max(axis=0), 1.0)
    if n_classes is None:
        assert y.dtype == np.float64
    else:
        assert y.dtype.kind == "i" and len(np.unique(y)) == n_classes


def test_load_tabular_unscaled_and_frame():
    X_raw, _ = load_tabular("wine", scale=False)
    assert X_raw.dtype == np.float64 and X_raw.max() > 1.0
    X, y = load_tabular("wine", as_frame=True)
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)
    assert X.shape == (178, 13) and "alcohol" in X.columns
    assert y.name == "target"
    np.testing.assert_allclose(X.to_numpy(), load_tabular("wine")[0])


def test_load_tabular_bad_name():
    with pytest.raises(ValueError, match="breast_cancer"):
        load_tabular("titanic")


@pytest.mark.parametrize("index", [0, 1, "china", "flower"])
def test_load_sample_photo_gray(index):
    photo = load_sample_photo(index)
    assert photo.shape == (427, 640)
    _check_unit_range(photo)
    assert photo.std() > 0.05


def test_load_sample_photo_colour():
    rgb = load_sample_photo(0, grayscale=False)
    assert rgb.shape == (3, 427, 640)
    _check_unit_range(rgb)
    gray = load_sample_photo(0)
    weights = np.array([0.299, 0.587, 0.114])
    np.testing.assert_allclose(np.tensordot(weights, rgb, axes=1), gray)


@pytest.mark.parametrize("index", [2, -1, "tree", 0.5, True])
def test_load_sample_photo_bad_index(index):
    with pytest.raises(ValueError):
        load_sample_photo(index)


def test_load_dataset_images():
    X, y, shape = load_dataset("digits")
    assert X.shape == (1797, 64) and shape == (8, 8)


def test_load_dataset_mnist(monkeypatch, mnist):
    import sklimpute.datasets as ds

    monkeypatch.setattr(ds, "load_mnist", lambda: mnist)  # no second load
    X, y, shape = ds.load_dataset("mnist")
    assert X.shape == (5000, 784) and shape == (28, 28)


@pytest.mark.parametrize("name", TABULAR_DATASETS)
def test_load_dataset_tabular(name):
    X, y, shape = load_dataset(name)
    assert shape is None and X.shape[0] == y.shape[0]
    _check_unit_range(X)


def test_load_dataset_bad_name():
    with pytest.raises(ValueError, match="digits.*mnist.*iris"):
        load_dataset("cifar10")
