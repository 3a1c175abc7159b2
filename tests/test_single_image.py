"""SingleImageImputer: one image at a time, by the residual correction of
biharmonic inpainting (the default) or SpatialGAIN's zero-shot mode.

Not in ``test_common.IMPUTERS``: sklearn's ``check_estimator`` feeds random
tables with no image shape and holes everywhere, which this method rejects
by design (it needs a localised region of an image). The contract is tested
here instead, on images with such a region, plus the sklearn checks that
need no fit.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
from scipy.ndimage import gaussian_filter
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import (
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

from sklimpute import InpaintingImputer, SingleImageImputer, SpatialGAINImputer, make_missing
from sklimpute.models.single_image import (
    crop_distances,
    crops_outside,
    hidden_windows,
    missing_region,
    neighbourhood_features,
)

SIDE, A = 40, (30, 30, 10, 10)  # a 40x40 image, A its bottom-right 10x10 corner


def smooth_image(seed):
    """A smooth random field in [0, 1]: no two crops alike, neighbours informative."""
    rng = np.random.RandomState(seed)
    img = gaussian_filter(rng.rand(SIDE, SIDE), 2.0, mode="wrap")
    return (img - img.min()) / np.ptp(img)


def corrupt(image, seed, rate=0.3, region=A):
    top, left, h, w = region
    rng = np.random.RandomState(seed + 100)
    out = image.copy()
    hidden = np.zeros_like(image, dtype=bool)
    hidden[top:top + h, left:left + w] = rng.rand(h, w) < rate
    out[hidden] = np.nan
    return out.reshape(1, -1), hidden


def region_rmse(out, image, hidden):
    return float(np.sqrt(np.mean((np.asarray(out).reshape(image.shape) - image)[hidden] ** 2)))


class RecordingImputer(TransformerMixin, BaseEstimator):
    """Test double: fills with the per-pixel mean of its training crops; records its fits."""

    fits = []

    def __init__(self, shape=None, random_state=None):
        self.shape = shape
        self.random_state = random_state

    def fit(self, X, y=None):
        type(self).fits.append(dict(X=np.array(X), shape=self.shape, random_state=self.random_state))
        self.mean_ = np.nanmean(X, axis=0)
        return self

    def transform(self, X):
        return np.where(np.isnan(X), self.mean_, X)


@pytest.fixture
def recorder():
    RecordingImputer.fits = []
    return RecordingImputer


# --------------------------------------------------------------------------- #
# The pieces: region, crops, distances, pruning
# --------------------------------------------------------------------------- #


def test_missing_region_is_the_bounding_box():
    m = np.zeros((10, 12), dtype=bool)
    m[3, 7] = m[6, 4] = m[5, 9] = True
    assert missing_region(m) == (3, 4, 4, 6)
    assert missing_region(np.zeros((4, 4), dtype=bool)) is None


@pytest.mark.parametrize("region", [(30, 30, 10, 10), (0, 0, 7, 12), (12, 15, 9, 5)])
@pytest.mark.parametrize("stride", [1, 3, 7])
def test_crops_never_overlap_the_region_and_cover_the_edges(region, stride):
    image = np.random.RandomState(0).rand(2, SIDE, SIDE)
    crops, corners = crops_outside(image, region, stride)
    top, left, h, w = region
    assert crops.shape[1:] == (2, h, w) and len(crops) == len(corners) > 0
    for (t, l), crop in zip(corners, crops):
        assert t + h <= top or t >= top + h or l + w <= left or l >= left + w
        np.testing.assert_array_equal(crop, image[:, t:t + h, l:l + w])
    # the last corners are always on the grid: the image's corners outside A are covered
    covered = np.zeros((SIDE, SIDE), dtype=bool)
    for t, l in corners:
        covered[t:t + h, l:l + w] = True
    inside = np.zeros_like(covered)
    inside[top:top + h, left:left + w] = True
    for r, c in [(0, 0), (0, SIDE - 1), (SIDE - 1, 0), (SIDE - 1, SIDE - 1)]:
        assert covered[r, c] or inside[r, c]


def test_crop_distance_is_the_mean_euclidean_distance_over_common_pixels():
    target = np.array([[[0.0, np.nan], [1.0, 1.0]],
                       [[0.0, 0.0], [0.0, np.nan]]])  # (C=2, 2, 2)
    crops = np.stack([np.zeros((2, 2, 2)), np.full((2, 2, 2), np.nan)])
    crops[0, :, 1, 0] = [4.0, 4.0]  # pixel (1, 0): target (1, 0), distance sqrt(3² + 4²) = 5
    d = crop_distances(target, crops)
    # pixels observed in both channels of target: (0, 0) and (1, 0): (0 + 5) / 2
    assert d[0] == pytest.approx(2.5)
    assert np.isnan(d[1])


def test_pruning_keeps_the_crops_within_mean_minus_beta_std(recorder):
    image = smooth_image(0)
    X, hidden = corrupt(image, 0)
    crops, _ = crops_outside(X.reshape(1, SIDE, SIDE), A, 2)
    d = crop_distances(X.reshape(1, SIDE, SIDE)[:, 30:, 30:], crops)
    for beta, expected in [(0.0, np.sum(d <= d.mean())), (1.0, np.sum(d <= d.mean() - d.std())),
                           (10.0, 2)]:
        SingleImageImputer(recorder(), shape=(SIDE, SIDE), crop_stride=2, beta=beta,
                           crop_missing_rate=0.0).fit_transform(X)
        assert len(recorder.fits[-1]["X"]) == expected
    assert 2 < np.sum(d <= d.mean() - d.std()) < np.sum(d <= d.mean()) < len(crops)


def test_the_estimator_gets_the_crop_shape_a_seed_and_holed_crops(recorder):
    X, _ = corrupt(smooth_image(0), 0)
    imp = SingleImageImputer(recorder(), shape=(SIDE, SIDE), crop_missing_rate=0.25, random_state=3)
    imp.fit_transform(X)
    fit = recorder.fits[-1]
    assert fit["shape"] == (1, 10, 10) and isinstance(fit["random_state"], int)
    assert np.isnan(fit["X"]).mean() == pytest.approx(0.25, abs=0.02)


# --------------------------------------------------------------------------- #
# Imputation quality
# --------------------------------------------------------------------------- #


def test_nearest_copies_the_matching_crop():
    image = smooth_image(0)
    image[5:15, 8:18] = image[30:40, 30:40]  # plant a copy of A elsewhere
    X, hidden = corrupt(image, 0)
    out = SingleImageImputer("nearest", shape=(SIDE, SIDE), crop_stride=1).fit_transform(X)
    np.testing.assert_allclose(out.reshape(SIDE, SIDE)[hidden], image[hidden])


def test_spatialgain_from_one_image_beats_nearest_crop_and_region_mean():
    image = smooth_image(0)
    X, hidden = corrupt(image, 0)
    sg = SingleImageImputer("spatialgain", shape=(SIDE, SIDE), random_state=0).fit_transform(X)
    nearest = SingleImageImputer("nearest", shape=(SIDE, SIDE)).fit_transform(X)
    region_mean = np.where(np.isnan(X), np.nanmean(X.reshape(SIDE, SIDE)[30:, 30:]), X)
    sg_rmse = region_rmse(sg, image, hidden)
    assert sg_rmse < 0.75 * region_rmse(nearest, image, hidden)
    assert sg_rmse < 0.5 * region_rmse(region_mean, image, hidden)


def test_colour_images_lose_whole_pixels_and_get_them_back():
    rng = np.random.RandomState(1)
    image = np.stack([smooth_image(s) for s in range(3)])  # (3, 40, 40)
    X = image.copy()
    X[:, 32:38, 31:39][:, rng.rand(6, 8) < 0.4] = np.nan
    out = SingleImageImputer("nearest", shape=(3, SIDE, SIDE)).fit_transform(X.reshape(1, -1))
    assert not np.isnan(out).any()
    np.testing.assert_array_equal(out.reshape(image.shape)[~np.isnan(X)], X[~np.isnan(X)])


# --------------------------------------------------------------------------- #
# Errors that name the fix
# --------------------------------------------------------------------------- #


def test_needs_a_shape():
    X, _ = corrupt(smooth_image(0), 0)
    with pytest.raises(ValueError, match="needs the image shape"):
        SingleImageImputer().fit(X)


@pytest.mark.parametrize("region", [(35, 35, 10, 10), (0, 0, 0, 5), (1, 2, 3), (0.5, 0, 2, 2)])
def test_region_must_fit_the_image(region):
    X, _ = corrupt(smooth_image(0), 0)
    with pytest.raises(ValueError, match="must be \\(top, left, height, width\\)"):
        SingleImageImputer(region=region, shape=(SIDE, SIDE)).fit(X)


def test_holes_outside_the_given_region_are_refused():
    X, _ = corrupt(smooth_image(0), 0)
    X[0, 0] = np.nan
    imp = SingleImageImputer("nearest", region=A, shape=(SIDE, SIDE)).fit(X)
    with pytest.raises(ValueError, match="1 missing pixels outside region"):
        imp.transform(X)


def test_holes_spread_over_the_image_are_refused_before_training(recorder):
    X = smooth_image(0).reshape(1, -1).copy()
    X[0, [0, SIDE * SIDE - 1]] = np.nan  # two holes in opposite corners: A is the whole image
    with pytest.raises(ValueError, match="needs a localised region"):
        SingleImageImputer(recorder(), shape=(SIDE, SIDE)).fit_transform(X)
    assert recorder.fits == []


def test_nearest_needs_an_observed_pixel_in_the_region():
    X = smooth_image(0).reshape(1, -1).copy()
    X.reshape(SIDE, SIDE)[30:, 30:] = np.nan
    with pytest.raises(ValueError, match="no observed pixel"):
        SingleImageImputer("nearest", shape=(SIDE, SIDE)).fit_transform(X)


# --------------------------------------------------------------------------- #
# The estimator contract
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("check", [check_parameters_default_constructible, check_no_attributes_set_in_init,
                                   check_get_params_invariance, check_set_params])
def test_sklearn_checks_that_need_no_fit(check):
    check("SingleImageImputer", SingleImageImputer())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_observed_pixels_unchanged_bit_for_bit(dtype):
    X = np.vstack([corrupt(smooth_image(s), s)[0] for s in range(3)]).astype(dtype)
    X[2] = smooth_image(5).ravel()  # an image with no hole comes back as it was
    out = SingleImageImputer("nearest", shape=(SIDE, SIDE)).fit(X).transform(X)
    assert out.dtype == dtype and not np.isnan(out).any()
    seen = ~np.isnan(X)
    assert np.array_equal(out[seen].view(np.uint8), X[seen].view(np.uint8))


def test_same_seed_same_result_and_images_independent_of_the_batch(recorder):
    X = np.vstack([corrupt(smooth_image(s), s)[0] for s in range(3)])
    imp = SingleImageImputer(recorder(), shape=(SIDE, SIDE), random_state=0).fit(X)
    together = imp.transform(X)
    np.testing.assert_array_equal(together[1:2], imp.transform(X[1:2]))
    again = clone(imp).fit(X).transform(X)
    np.testing.assert_array_equal(together, again)
    other = clone(imp).set_params(random_state=1).fit(X).transform(X)
    assert not np.array_equal(together, other)  # the crops' holes moved


def test_clone_pickle_pandas_and_pipeline():
    X, _ = corrupt(smooth_image(0), 0)
    imp = SingleImageImputer("nearest", shape=(SIDE, SIDE)).fit(X)
    restored = pickle.loads(pickle.dumps(imp))
    np.testing.assert_array_equal(restored.transform(X), imp.transform(X))
    assert clone(imp).get_params() == imp.get_params()

    frame = pd.DataFrame(X, columns=[f"p{i}" for i in range(X.shape[1])])
    out = clone(imp).set_output(transform="pandas").fit(frame).transform(frame)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(frame.columns)

    pipe = make_pipeline(SingleImageImputer("nearest", shape=(SIDE, SIDE)),
                         FunctionTransformer(lambda Z: Z.mean(axis=1, keepdims=True)))
    assert np.isfinite(pipe.fit_transform(X)).all()


def test_verbose_reports_each_image(capsys):
    X, _ = corrupt(smooth_image(0), 0)
    SingleImageImputer("nearest", shape=(SIDE, SIDE), crop_stride=5, verbose=1).fit_transform(X)
    assert "region 10x10 at (30, 30)" in capsys.readouterr().out


def test_a_dead_pixel_and_a_scratch_are_imputed(digits):
    # both crashed inside torch ("Calculated output size: (32x0x0)") before
    # thin regions were grown and the updown players padded odd sides
    est = SpatialGAINImputer(architecture="updown", epochs=2, widths=(8, 8, 8), random_state=0)
    X = digits[:1].copy()
    X[0, 36] = np.nan
    out = SingleImageImputer(estimator=est, shape=(8, 8), random_state=0).fit_transform(X)
    assert np.isfinite(out).all() and 0 <= out[0, 36] <= 1
    photo = np.kron(digits[:1].reshape(8, 8), np.ones((2, 2))).reshape(1, -1)  # 16 x 16
    photo[0, 16 * 7:16 * 8] = np.nan  # a 1-pixel scratch across the image
    out = SingleImageImputer(estimator=est, shape=(16, 16), random_state=0).fit_transform(photo)
    assert np.isfinite(out).all()


def test_thin_region_is_grown_for_context():
    from sklimpute.models.single_image import MIN_REGION_SIDE, _grown_region

    top, left, h, w = _grown_region((10, 0, 1, 28), (28, 28))
    assert (h, w) == (MIN_REGION_SIDE, 28) and top <= 10 < top + h
    assert _grown_region((2, 3, 6, 7), (28, 28)) == (2, 3, 6, 7)  # wide enough: unchanged


def test_updown_players_take_one_pixel_high_images():
    rng = np.random.RandomState(0)
    X = rng.rand(40, 64)
    X[rng.rand(40, 64) < 0.1] = np.nan
    out = SpatialGAINImputer(architecture="updown", shape=(1, 64), epochs=2,
                             random_state=0).fit_transform(X)
    assert out.shape == (40, 64) and np.isfinite(out).all()


# --------------------------------------------------------------------------- #
# The residual mode (the default)
# --------------------------------------------------------------------------- #


def photo(name, side=128):
    """A scikit-image photograph (not one of benchmarks/single_image.py's), grayscale, in [0, 1]."""
    from skimage import data
    from skimage.transform import resize

    img = np.asarray(getattr(data, name)(), dtype=float)
    return resize(img / img.max(), (side, side), anti_aliasing=True)


def biharmonic(X, shape):
    return InpaintingImputer(shape=shape).fit_transform(X)


@pytest.mark.parametrize("name", ["camera", "brick"])
def test_residual_beats_biharmonic_inpainting_on_a_photograph(name):
    image = photo(name)
    X, hidden = corrupt(image, 0, rate=0.2, region=(80, 80, 32, 32))
    out = SingleImageImputer(shape=image.shape).fit_transform(X)
    # measured: camera 0.025 against 0.036, brick 0.021 against 0.035
    assert region_rmse(out, image, hidden) < 0.85 * region_rmse(biharmonic(X, image.shape), image, hidden)


def test_residual_on_scattered_holes_over_the_whole_image(mnist):
    # no localised region: the crop estimators refuse this, the residual mode
    # learns from the pattern moved over the image and beats the filter
    X, hidden = make_missing(mnist[:10], "mcar", 0.2, random_state=0)
    ours = SingleImageImputer(shape=(28, 28)).fit_transform(X)
    classical = biharmonic(X, (28, 28))
    err = lambda out: np.abs(out - mnist[:10])[hidden].mean()  # noqa: E731
    assert err(ours) < 0.95 * err(classical)  # measured 0.038 against 0.043


def test_residual_is_scale_free_and_deterministic():
    image = photo("camera", side=64)
    X, hidden = corrupt(image, 1, rate=0.2, region=(40, 40, 20, 20))
    a = SingleImageImputer(shape=image.shape).fit_transform(X)
    b = SingleImageImputer(shape=image.shape, random_state=5).fit_transform(255 * X + 10)
    np.testing.assert_allclose((b - 10) / 255, a, atol=1e-9)


def test_residual_keeps_the_biharmonic_fill_when_there_is_nothing_to_learn_from():
    # one missing pixel in a 6x6 image: too few hidden values for 48 features
    image = smooth_image(0)[:6, :6]
    X = image.reshape(1, -1).copy()
    X[0, 14] = np.nan
    out = SingleImageImputer(shape=(6, 6)).fit_transform(X)
    assert out[0, 14] == pytest.approx(biharmonic(X, (6, 6))[0, 14])


def test_neighbourhood_features_are_differences_and_hole_flags():
    fill = np.stack([np.arange(25.0).reshape(5, 5), 10 * np.arange(25.0).reshape(5, 5)])
    holes = np.zeros((5, 5), dtype=bool)
    holes[2, 2] = holes[2, 3] = True
    features, values = neighbourhood_features(fill, holes, holes, radius=1)
    assert features.shape == (4, 16)  # 2 channels x 2 pixels, 8 differences + 8 flags
    assert values.tolist() == [12.0, 13.0, 120.0, 130.0]
    # pixel (2, 2): its right neighbour is (2, 3), one more; in channel 2, ten more
    assert features[0, 4] == 1.0 and features[2, 4] == 10.0
    assert features[0, 8 + 4] == 1.0 and features[0, 8:].sum() == 1.0  # only (2, 3) is a hole
    # pixel (2, 3) at column 3: its right neighbour (2, 4); the edge repeats beyond
    assert features[1, 4] == 1.0


def test_hidden_windows_hide_only_observed_pixels_in_the_holes_pattern():
    rng = np.random.RandomState(0)
    holes = np.zeros((64, 64), dtype=bool)
    holes[40:56, 40:56] = rng.rand(16, 16) < 0.3
    windows = hidden_windows(holes, (40, 40, 16, 16), n_windows=12)
    assert len(windows) == 12
    for rows, cols, hidden in windows:
        assert hidden.shape == holes[rows, cols].shape
        assert not (hidden & holes[rows, cols]).any()
        # about the holes' share of the moved 16 x 16 box, never more than it holds
        assert 0 < hidden.sum() <= holes.sum()
    offsets = [(r.start, c.start) for r, c, _ in windows]
    assert len(set(offsets)) == len(offsets)
