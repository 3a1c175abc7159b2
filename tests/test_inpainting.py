"""Classical inpainting: the diffusion fill, inpaint_images and InpaintingImputer."""

import importlib.util

import numpy as np
import pytest
import torch
from sklearn.impute import KNNImputer, SimpleImputer

from sklimpute import InpaintingImputer, make_missing
from sklimpute.inpainting import diffusion_fill, inpaint_images


def _plane(h, w, c=1):
    i, j = np.mgrid[0:h, 0:w]
    return np.stack([0.3 + 0.02 * i - 0.01 * j * (k + 1) for k in range(c)]).reshape(1, -1)


def test_diffusion_fill_recovers_a_plane_exactly():
    # a plane is harmonic: the Laplace fill with the observed pixels as
    # boundary values is the plane itself
    X = _plane(12, 10, c=2)
    rng = np.random.RandomState(0)
    seen = (rng.rand(*X.shape) > 0.4).astype(float)
    seen.reshape(2, 12, 10)[:, [0, -1], :] = 1  # a boundary on every side
    seen.reshape(2, 12, 10)[:, :, [0, -1]] = 1
    filled = diffusion_fill(torch.tensor(X * seen), torch.tensor(seen), (2, 12, 10), n_iter=500)
    np.testing.assert_allclose(filled.numpy(), X, atol=1e-6)


def test_diffusion_fill_fills_each_channel_from_its_own_pixels():
    x = torch.tensor([[0.0, 0.0, 0.0, 1.0, 1.0, 1.0]])
    seen = torch.tensor([[1.0, 0.0, 1.0, 1.0, 1.0, 0.0]])
    out = diffusion_fill(x, seen, (2, 1, 3), n_iter=20)
    assert out[0, 1] == 0.0 and out[0, 5] == 1.0


def test_diffusion_fill_keeps_seen_entries_and_zeroes_empty_images():
    x = torch.rand(3, 16)
    seen = (torch.rand(3, 16) > 0.5).float()
    seen[2] = 0
    out = diffusion_fill(x, seen, (1, 4, 4))
    assert torch.equal(out[seen > 0], x[seen > 0])
    assert torch.equal(out[2], torch.zeros(16))


@pytest.mark.parametrize("method", ["biharmonic", "diffusion"])
def test_inpaint_images_fill_thin_holes(method):
    X = np.tile(_plane(9, 9), (2, 1))
    observed = np.ones_like(X, dtype=bool)
    observed[0, 40] = False  # a dead pixel
    observed[1].reshape(9, 9)[4, :] = False  # a one-pixel scratch across the image
    out = inpaint_images(X, observed, (1, 9, 9), method)
    assert np.isfinite(out).all()
    # biharmonic continues the plane; the diffusion fill's replicated edges
    # bend it slightly where the scratch meets the image border
    np.testing.assert_allclose(out, X, atol=1e-3 if method == "biharmonic" else 5e-3)


def test_imputer_beats_mean_and_knn_on_mnist(mnist):
    X = mnist[:300]
    X_missing, hidden = make_missing(X, "mcar", 0.3, random_state=0)
    err = {}
    for name, imp in [("inpainting", InpaintingImputer(shape=(28, 28))), ("mean", SimpleImputer()),
                      ("knn", KNNImputer())]:
        out = imp.fit(X_missing).transform(X_missing)
        err[name] = np.abs(out - X)[hidden].mean()
    assert err["inpainting"] < 0.4 * err["mean"]
    assert err["inpainting"] < 0.8 * err["knn"]


def test_colour_channels_and_images_without_observed_pixels():
    rng = np.random.RandomState(0)
    X = rng.rand(4, 3 * 8 * 8)
    X_missing, _ = make_missing(X, "mcar", 0.2, shape=(3, 8, 8), random_state=0)
    X_missing[3, 64:128] = np.nan  # the green channel of the last image is gone
    imp = InpaintingImputer(shape=(3, 8, 8)).fit(X_missing)
    out = imp.transform(X_missing)
    assert out.shape == X.shape and np.isfinite(out).all()
    green_mean = np.nanmean(X_missing.reshape(4, 3, 64)[:, 1])
    np.testing.assert_allclose(imp.fallback_[1], green_mean)
    np.testing.assert_allclose(out[3, 64:128], green_mean)


def test_never_observed_pixel_keeps_the_image_shape(mnist):
    X = mnist[:20].copy()
    X[:, 300] = np.nan
    out = InpaintingImputer(shape=(28, 28)).fit(X).transform(X)
    assert out.shape == X.shape and np.isfinite(out).all()


@pytest.mark.skipif(importlib.util.find_spec("cv2") is not None, reason="OpenCV is installed")
def test_opencv_methods_say_how_to_install_it(mnist):
    with pytest.raises(ImportError, match="opencv-python-headless"):
        InpaintingImputer(method="telea", shape=(28, 28)).fit(mnist[:5])


@pytest.mark.skipif(importlib.util.find_spec("cv2") is None, reason="OpenCV is not installed")
@pytest.mark.parametrize("method", ["telea", "ns"])
def test_opencv_methods(mnist, method):
    X = mnist[:50]
    X_missing, hidden = make_missing(X, "mcar", 0.2, random_state=0)
    out = InpaintingImputer(method=method, shape=(28, 28)).fit(X_missing).transform(X_missing)
    mean = SimpleImputer().fit(X_missing).transform(X_missing)
    # measured: Telea 0.10, Navier-Stokes 0.095, mean 0.14 (biharmonic 0.042);
    # Telea on unscaled [0, 1] floats gave 0.90 (it assumes 0-255 images)
    assert np.abs(out - X)[hidden].mean() < 0.8 * np.abs(mean - X)[hidden].mean()
    assert out.min() > -0.1 and out.max() < 1.1
