"""Tests for sklimpute.simulate (missingness simulation)."""

import numpy as np
import pandas as pd
import pytest

from sklimpute.simulate import MECHANISMS, hide_observed, make_missing

H, W = 28, 28
C3, H3, W3 = 3, 16, 16


@pytest.fixture(scope="module")
def table():
    # 2,000 x 10 = 20,000 entries, correlated columns
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(2000, 10))
    return Z @ (np.eye(10) + 0.3 * rng.normal(size=(10, 10)))


@pytest.fixture(scope="module")
def images():
    # 200 grey 28 x 28 images = 156,800 entries
    return np.random.RandomState(1).uniform(size=(200, H * W))


@pytest.fixture(scope="module")
def rgb_images():
    # 60 images of shape (3, 16, 16) = 46,080 entries
    return np.random.RandomState(2).uniform(size=(60, C3 * H3 * W3))


def _rows_rate(rate, k=10, h=H, w=W):
    return round(rate * h) * min(k, w) / (h * w)


def _rect_rate(low=0.25, high=0.75, h=H, w=W):
    h_lo, h_hi = max(1, round(low * h)), round(high * h)
    w_lo, w_hi = max(1, round(low * w)), round(high * w)
    return 1 - (h_lo + h_hi) * (w_lo + w_hi) / (4 * h * w)


# (id, data fixture, kwargs for make_missing, expected realised rate)
CASES = [
    ("mcar", "table", dict(mechanism="mcar", rate=0.3), 0.3),
    ("mcar_img", "rgb_images",
     dict(mechanism="mcar", rate=0.2, shape=(C3, H3, W3)), 0.2),
    ("mar", "table", dict(mechanism="mar", rate=0.3), 0.3),
    ("mar_pobs", "table", dict(mechanism="mar", rate=0.2, p_obs=0.5), 0.2),
    ("mnar", "table", dict(mechanism="mnar", rate=0.25), 0.25),
    ("square", "images", dict(mechanism="square", rate=0.25, shape=(H, W)),
     round(np.sqrt(0.25 * H * W)) ** 2 / (H * W)),
    ("square_size", "rgb_images",
     dict(mechanism="square", rate=0.1, shape=(C3, H3, W3), size=5),
     25 / (H3 * W3)),
    ("observed_square", "images",
     dict(mechanism="observed_square", rate=0.75, shape=(H, W)),
     1 - round(np.sqrt(0.25 * H * W)) ** 2 / (H * W)),
    ("observed_rectangle", "images",
     dict(mechanism="observed_rectangle", shape=(H, W)), _rect_rate()),
    ("rows", "images", dict(mechanism="rows", rate=0.5, shape=(H, W)),
     _rows_rate(0.5)),
    ("rows_rgb", "rgb_images",
     dict(mechanism="rows", rate=0.5, shape=(C3, H3, W3), k=4),
     _rows_rate(0.5, k=4, h=H3, w=W3)),
]
CASE_IDS = [c[0] for c in CASES]


def test_cases_cover_every_mechanism():
    assert {c[2]["mechanism"] for c in CASES} == set(MECHANISMS)


@pytest.mark.parametrize("name,data,kwargs,expected", CASES, ids=CASE_IDS)
def test_rate(name, data, kwargs, expected, request):
    X = request.getfixturevalue(data)
    assert X.size >= 10_000
    X_miss, mask = make_missing(X, random_state=0, **kwargs)
    assert mask.dtype == bool and mask.shape == X.shape
    assert abs(mask.mean() - expected) <= 0.01


def test_documented_rectangle_rate_is_three_quarters():
    assert _rect_rate() == pytest.approx(0.75)


@pytest.mark.parametrize("name,data,kwargs,expected", CASES, ids=CASE_IDS)
def test_reproducible(name, data, kwargs, expected, request):
    X = request.getfixturevalue(data)
    global_state = np.random.get_state()
    _, m1 = make_missing(X, random_state=42, **kwargs)
    _, m2 = make_missing(X, random_state=42, **kwargs)
    _, m3 = make_missing(X, random_state=np.random.RandomState(42), **kwargs)
    _, m4 = make_missing(X, random_state=43, **kwargs)
    np.testing.assert_array_equal(m1, m2)
    np.testing.assert_array_equal(m1, m3)
    assert not np.array_equal(m1, m4)
    # numpy's global generator is left alone
    after = np.random.get_state()
    assert global_state[0] == after[0]
    np.testing.assert_array_equal(global_state[1], after[1])
    assert global_state[2:] == after[2:]


@pytest.mark.parametrize("name,data,kwargs,expected", CASES, ids=CASE_IDS)
def test_nan_exactly_where_mask_and_input_untouched(
    name, data, kwargs, expected, request
):
    X = request.getfixturevalue(data).copy()
    X[np.random.RandomState(5).uniform(size=X.shape) < 0.05] = np.nan
    before = X.copy()
    X_miss, mask = make_missing(X, random_state=3, **kwargs)
    np.testing.assert_array_equal(X, before)  # input not modified
    assert X_miss is not X
    assert X_miss.dtype == np.float64
    pre = np.isnan(before)
    assert not (mask & pre).any()  # pre-existing NaN never counted as hidden
    np.testing.assert_array_equal(np.isnan(X_miss), mask | pre)
    keep = ~np.isnan(X_miss)
    np.testing.assert_array_equal(X_miss[keep], before[keep])


def test_mcar_exact_count(table, rgb_images):
    _, mask = make_missing(table, "mcar", rate=0.3, random_state=0)
    assert mask.sum() == round(0.3 * table.size)
    _, mask = make_missing(rgb_images, "mcar", rate=0.2, shape=(C3, H3, W3),
                           random_state=0)
    n_pixels = rgb_images.shape[0] * H3 * W3
    assert mask.sum() == C3 * round(0.2 * n_pixels)


def test_integer_input_returns_float_copy():
    X = np.arange(200).reshape(20, 10)
    X_miss, mask = make_missing(X, rate=0.3, random_state=0)
    assert X_miss.dtype == np.float64
    assert mask.any() and np.isnan(X_miss[mask]).all()
    assert X.dtype.kind == "i"


@pytest.mark.parametrize("mechanism", ["mcar", "mar", "mnar", "square", "rows"])
def test_rate_zero_hides_nothing(mechanism, table, images):
    X, shape = (images, (H, W)) if mechanism in ("square", "rows") else (table, None)
    X_miss, mask = make_missing(X, mechanism, rate=0.0, shape=shape, random_state=0)
    assert not mask.any()
    np.testing.assert_array_equal(X_miss, X)


def _per_channel(mask, n):
    return mask.reshape(n, C3, H3, W3)


@pytest.mark.parametrize(
    "mechanism,options",
    [("mcar", {}), ("square", {"size": 6}), ("observed_square", {}),
     ("observed_rectangle", {}), ("rows", {"k": 5})],
)
def test_image_masks_identical_across_channels(mechanism, options, rgb_images):
    n = rgb_images.shape[0]
    _, mask = make_missing(rgb_images, mechanism, rate=0.3,
                           shape=(C3, H3, W3), random_state=0, **options)
    m = _per_channel(mask, n)
    assert m.any()
    for c in range(1, C3):
        np.testing.assert_array_equal(m[:, 0], m[:, c])


def test_mcar_images_2d_shape_is_per_entry(images):
    # (H, W) shape and no shape give the same per-entry draws
    _, m1 = make_missing(images, "mcar", rate=0.3, shape=(H, W), random_state=0)
    _, m2 = make_missing(images, "mcar", rate=0.3, random_state=0)
    np.testing.assert_array_equal(m1, m2)


def _bounding_box(block):
    rows = np.flatnonzero(block.any(axis=1))
    cols = np.flatnonzero(block.any(axis=0))
    return rows[0], rows[-1] + 1, cols[0], cols[-1] + 1


def _assert_single_box(block, height=None, width=None):
    """``block`` (H, W) must be True exactly on one axis-aligned rectangle."""
    r0, r1, c0, c1 = _bounding_box(block)
    expected = np.zeros_like(block)
    expected[r0:r1, c0:c1] = True
    np.testing.assert_array_equal(block, expected)
    if height is not None:
        assert r1 - r0 == height
    if width is not None:
        assert c1 - c0 == width
    return r0, r1, c0, c1


def test_square_is_contiguous_block_inside_image(images):
    K = round(np.sqrt(0.25 * H * W))
    _, mask = make_missing(images, "square", rate=0.25, shape=(H, W),
                           random_state=7)
    m = mask.reshape(-1, H, W)
    # one image checked explicitly
    _assert_single_box(m[0], K, K)
    # all images: exactly K*K hidden, spanning K rows and K columns
    assert (m.sum(axis=(1, 2)) == K * K).all()
    assert (m.any(axis=2).sum(axis=1) == K).all()
    assert (m.any(axis=1).sum(axis=1) == K).all()
    # corners vary between images and reach the image borders somewhere
    tops = m.any(axis=2).argmax(axis=1)
    lefts = m.any(axis=1).argmax(axis=1)
    assert len(np.unique(tops)) > 5 and len(np.unique(lefts)) > 5
    assert tops.min() >= 0 and tops.max() <= H - K
    assert lefts.min() >= 0 and lefts.max() <= W - K


def test_square_explicit_size_multichannel(rgb_images):
    _, mask = make_missing(rgb_images, "square", shape=(C3, H3, W3), size=7,
                           random_state=0)
    m = _per_channel(mask, rgb_images.shape[0])
    _assert_single_box(m[0, 0], 7, 7)
    assert (m.sum(axis=(2, 3)) == 49).all()


def test_observed_square_leaves_exactly_k_by_k(images):
    K = round(np.sqrt((1 - 0.75) * H * W))
    X_miss, mask = make_missing(images, "observed_square", rate=0.75,
                                shape=(H, W), random_state=0)
    observed = ~mask.reshape(-1, H, W)
    _assert_single_box(observed[0], K, K)
    assert (observed.sum(axis=(1, 2)) == K * K).all()
    assert (np.isfinite(X_miss).sum(axis=1) == K * K).all()
    _, mask = make_missing(images, "observed_square", shape=(H, W), size=10,
                           random_state=0)
    assert ((~mask).sum(axis=1) == 100).all()


def test_observed_rectangle_geometry(images):
    _, mask = make_missing(images, "observed_rectangle", shape=(H, W),
                           random_state=0)
    observed = ~mask.reshape(-1, H, W)
    lo, hi = round(0.25 * H), round(0.75 * H)
    heights, widths = [], []
    for block in observed[:50]:  # a few images, checked one by one
        r0, r1, c0, c1 = _assert_single_box(block)
        heights.append(r1 - r0)
        widths.append(c1 - c0)
    heights, widths = np.array(heights), np.array(widths)
    assert heights.min() >= lo and heights.max() <= hi
    assert widths.min() >= lo and widths.max() <= hi
    assert len(np.unique(heights)) > 3 and len(np.unique(widths)) > 3
    # custom bounds
    _, mask = make_missing(images, "observed_rectangle", shape=(H, W),
                           low=0.5, high=0.5, random_state=0)
    assert ((~mask).sum(axis=1) == 14 * 14).all()


def test_rows_only_hits_last_k_pixels_of_chosen_rows(images):
    k, rate = 10, 0.5
    _, mask = make_missing(images, "rows", rate=rate, shape=(H, W), k=k,
                           random_state=0)
    m = mask.reshape(-1, H, W)
    assert not m[:, :, : W - k].any()  # nothing outside the last k columns
    hit = m.any(axis=2)
    # a touched row loses exactly its last k pixels
    np.testing.assert_array_equal(m[:, :, W - k:].all(axis=2), hit)
    assert (hit.sum(axis=1) == round(rate * H)).all()
    # the chosen rows differ between images
    assert len({tuple(r) for r in hit}) > 1


def test_rows_k_clipped_to_width(images):
    _, mask = make_missing(images, "rows", rate=0.25, shape=(H, W), k=1000,
                           random_state=0)
    m = mask.reshape(-1, H, W)
    hit = m.any(axis=2)
    np.testing.assert_array_equal(m.all(axis=2), hit)
    assert mask.mean() == pytest.approx(round(0.25 * H) / H)


def test_mar_observed_features_and_dependence():
    rng = np.random.RandomState(0)
    n, d = 5000, 10
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 10, size=d) + 3
    _, mask = make_missing(X, "mar", rate=0.3, p_obs=0.3, random_state=0)
    never = mask.sum(axis=0) == 0
    assert never.sum() == 3  # round(0.3 * 10) always-observed features
    assert abs(mask.mean() - 0.3) <= 0.01
    assert abs(mask[:, ~never].mean() - 0.3 * d / (d - 3)) <= 0.01
    # the missingness of every other feature is explained by the observed ones
    A = np.column_stack([np.ones(n), X[:, never]])
    for j in np.flatnonzero(~never):
        y = mask[:, j].astype(float)
        fitted = A @ np.linalg.lstsq(A, y, rcond=None)[0]
        r = np.corrcoef(fitted, y)[0, 1]
        assert r > 0.2
    # with a single observed feature the plain correlation is clearly non-zero
    _, mask = make_missing(X[:, :4], "mar", rate=0.2, p_obs=0.25, random_state=1)
    obs = np.flatnonzero(mask.sum(axis=0) == 0)
    assert obs.size == 1
    for j in set(range(4)) - set(obs):
        r = np.corrcoef(X[:, obs[0]], mask[:, j])[0, 1]
        assert abs(r) > 0.2


def test_mar_differs_from_mcar_on_observed_feature():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(5000, 6))
    _, mask = make_missing(X, "mar", rate=0.3, p_obs=0.2, random_state=0)
    obs = np.flatnonzero(mask.sum(axis=0) == 0)[0]
    _, mcar = make_missing(X, "mcar", rate=0.3, random_state=0)
    r_mar = abs(np.corrcoef(X[:, obs], mask.sum(axis=1))[0, 1])
    r_mcar = abs(np.corrcoef(X[:, obs], mcar.sum(axis=1))[0, 1])
    assert r_mar > 0.3 > 0.05 > r_mcar


def test_mnar_hides_large_values(table):
    _, mask = make_missing(table, "mnar", rate=0.3, random_state=0)
    for j in range(table.shape[1]):
        col, m = table[:, j], mask[:, j]
        assert abs(m.mean() - 0.3) <= 0.05  # each feature loses about `rate`
        assert col[m].mean() > col[~m].mean() + 0.5 * col.std()


def test_mnar_strength_controls_dependence(table):
    col = table[:, 0]
    gaps = []
    for strength in (0.3, 5.0):
        _, mask = make_missing(table, "mnar", rate=0.3, strength=strength,
                               random_state=0)
        m = mask[:, 0]
        gaps.append(col[m].mean() - col[~m].mean())
    assert 0 < gaps[0] < gaps[1]


def test_pandas_in_pandas_out(table):
    df = pd.DataFrame(table[:50, :4], columns=list("abcd"),
                      index=pd.RangeIndex(100, 150))
    before = df.copy()
    out, mask = make_missing(df, "mcar", rate=0.3, random_state=0)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list("abcd")
    assert out.index.equals(df.index)
    assert isinstance(mask, np.ndarray) and mask.shape == df.shape
    np.testing.assert_array_equal(out.isna().to_numpy(), mask)
    pd.testing.assert_frame_equal(df, before)
    out2, mask2 = hide_observed(df, 0.1, random_state=0)
    assert isinstance(out2, pd.DataFrame) and out2.index.equals(df.index)
    assert mask2.sum() == 20


def test_pandas_nullable_dtype():
    df = pd.DataFrame({"a": pd.array([1, None, 3, 4], dtype="Int64"),
                       "b": [1.0, 2.0, 3.0, 4.0]})
    out, mask = make_missing(df, rate=0.5, random_state=0)
    assert np.isnan(out.loc[1, "a"]) and not mask[1, 0]


X_OK = np.zeros((10, 4))
IMG_OK = np.zeros((10, 16))
SQ = dict(mechanism="square", shape=(4, 4))
RECT = dict(mechanism="observed_rectangle", shape=(4, 4))

BAD_INPUTS = [
    (X_OK, dict(mechanism="bogus"), r"Unknown mechanism 'bogus'.*'mcar'.*'rows'"),
    (X_OK, dict(mechanism=None), r"Unknown mechanism None; valid"),
    (X_OK, dict(rate=1.0), r"rate must be in \[0, 1\)"),
    (X_OK, dict(rate=-0.1), r"rate must be in \[0, 1\)"),
    (X_OK, dict(rate=float("nan")), r"rate must be a number"),
    (X_OK, dict(rate="0.2"), r"rate must be a number"),
    (X_OK, dict(rate=True), r"rate must be a number"),
    (np.zeros(10), {}, r"X must be 2-D.*1-D"),
    (np.zeros((2, 3, 4)), {}, r"X must be 2-D.*3-D"),
    (np.zeros((0, 4)), {}, r"at least one sample"),
    ([["a", "b"]], {}, r"could not be converted to float"),
    (np.array([[1.0, np.inf]]), {}, r"infinite"),
    (IMG_OK, dict(mechanism="square"), r"'square' works on images and needs shape"),
    (IMG_OK, dict(mechanism="rows"), r"needs shape"),
    (IMG_OK, dict(mechanism="observed_square"), r"needs shape"),
    (IMG_OK, dict(mechanism="observed_rectangle"), r"needs shape"),
    (IMG_OK, dict(SQ, shape=(3, 5)), r"15 values .* 16 features"),
    (IMG_OK, dict(mechanism="mcar", shape=(2, 2, 2)), r"8 values .* 16 features"),
    (IMG_OK, dict(SQ, shape=(4, 4, 1, 1)), r"shape must be a tuple"),
    (IMG_OK, dict(SQ, shape=(4.0, 4)), r"shape must be a tuple"),
    (IMG_OK, dict(SQ, shape=4), r"shape must be a tuple"),
    (IMG_OK, dict(SQ, size=5), r"size must be an integer between 1 and 4"),
    (IMG_OK, dict(SQ, size=0), r"size must be"),
    (IMG_OK, dict(SQ, shape=(2, 8), rate=0.9), r"does not fit in a 2x8 image"),
    (IMG_OK, dict(SQ, mechanism="rows", k=0), r"k must be a positive integer"),
    (IMG_OK, dict(RECT, low=0.8, high=0.5), r"low must not exceed high"),
    (IMG_OK, dict(RECT, high=1.5), r"high must be a number in \(0, 1\]"),
    (X_OK, dict(mechanism="mcar", size=3),
     r"Unknown option\(s\) 'size' for mechanism 'mcar'"),
    (IMG_OK, dict(SQ, kk=3), r"'kk'.*valid options: 'size'"),
    (X_OK, dict(mechanism="mar", p_obs=1.5), r"p_obs must be a number in \(0, 1\)"),
    (X_OK, dict(mechanism="mar", p_obs=0.9), r"leaving none to go missing"),
    (np.zeros((10, 1)), dict(mechanism="mar"), r"leaving none to go missing"),
    (X_OK, dict(mechanism="mar", rate=0.6, p_obs=0.5),
     r"rate \* n_features / n_missing_features = 1.200.*below 1"),
    (X_OK, dict(mechanism="mnar", strength=-1), r"strength must be a positive"),
    (X_OK, dict(mechanism="mar", strength=0), r"strength must be a positive"),
]


@pytest.mark.parametrize("X,kwargs,match", BAD_INPUTS)
def test_bad_inputs_raise_value_error(X, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_missing(X, **kwargs)


def test_hide_observed_exact_count_and_skips_nan():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 40))
    X[rng.uniform(size=X.shape) < 0.2] = np.nan
    before = X.copy()
    pre = np.isnan(X)
    n_obs = int((~pre).sum())
    X_hidden, hidden = hide_observed(X, 0.1, random_state=0)
    np.testing.assert_array_equal(X, before)
    assert hidden.sum() == round(0.1 * n_obs)
    assert not (hidden & pre).any()
    np.testing.assert_array_equal(np.isnan(X_hidden), hidden | pre)
    keep = ~np.isnan(X_hidden)
    np.testing.assert_array_equal(X_hidden[keep], X[keep])
    # reproducible, seed-dependent
    _, again = hide_observed(X, 0.1, random_state=0)
    _, other = hide_observed(X, 0.1, random_state=1)
    np.testing.assert_array_equal(hidden, again)
    assert not np.array_equal(hidden, other)
    # spread over the matrix, not a block
    assert hidden.any(axis=1).sum() > 200


def test_hide_observed_at_least_one_and_all_nan():
    X = np.full((3, 3), np.nan)
    X[1, 2] = 5.0
    X_hidden, hidden = hide_observed(X, 0.01, random_state=0)
    assert hidden.sum() == 1 and hidden[1, 2]
    assert np.isnan(X_hidden).all()
    X_hidden, hidden = hide_observed(np.full((2, 2), np.nan), 0.5, random_state=0)
    assert not hidden.any() and np.isnan(X_hidden).all()


@pytest.mark.parametrize("rate", [0, 1, -0.5, 1.5, "x"])
def test_hide_observed_bad_rate(rate):
    with pytest.raises(ValueError, match=r"rate must be"):
        hide_observed(np.zeros((3, 3)), rate)


def test_hide_observed_bad_X():
    with pytest.raises(ValueError, match=r"X must be 2-D"):
        hide_observed(np.zeros(5), 0.2)
