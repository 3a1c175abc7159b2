"""Simulate missing values in tables and images.

This module hides entries of a complete (or partly complete) data matrix
according to a *missingness mechanism*, so that imputers can be trained and
scored on data whose hidden values are known.  The main entry point is
:func:`make_missing`; :func:`hide_observed` hides a uniformly random share of
the currently observed entries (used by scorers).

**Data layout.** ``X`` is always a 2-D array ``(n_samples, n_features)``.
For tables each row is a feature vector.  For images pass ``shape=(H, W)``
or ``shape=(C, H, W)``: each row is then one image flattened in C order,
channels first, so that ``X.reshape(n_samples, C, H, W)`` recovers the
images.  Image mechanisms hide whole pixels, i.e. the same locations in
every channel.

**Rate.** ``rate`` is the probability that an entry is hidden.  Entries that
are already NaN stay NaN and are never reported as hidden, so on complete data
the realised share of hidden entries is about ``rate`` and on incomplete data
it is about ``rate`` times the observed share.  The image mechanisms with a fixed
geometry only approximate ``rate``; their realised rates are given below.

**Mechanisms.** The three classical mechanisms follow Rubin's taxonomy
(Rubin, 1976, "Inference and missing data", Biometrika; Little & Rubin,
"Statistical Analysis with Missing Data"):

``"mcar"``
    Missing completely at random: exactly ``round(rate * n_entries)`` entries,
    chosen uniformly at random without replacement, are hidden (each entry
    with probability ``rate``, independently of the data; the exact count
    makes the realised rate equal ``rate`` on complete data).  With a
    multi-channel ``shape`` the draw is made over pixel locations and applied
    to all channels.
``"mar"``
    Missing at random, logistic model: a share ``p_obs`` of the features
    (at least one) is always observed, and each other feature goes missing with
    probability ``sigmoid(z_i @ w_j + b_j)`` where ``z_i`` are the standardised
    always-observed features, ``w_j`` random weights and ``b_j`` an intercept
    found by bisection so that the overall rate over *all* entries is
    ``rate``.  This is the "MAR logistic" design popularised by Muzellec et
    al. (2020, "Missing Data Imputation using Optimal Transport", ICML).
``"mnar"``
    Missing not at random, self-masking logistic model: each value's chance of
    being hidden depends on the value itself,
    ``sigmoid(w_j * standardised(x_ij) + b_j)`` with ``w_j > 0`` so that large
    values go missing more often; ``b_j`` is fitted so that every feature
    loses a share ``rate`` of its values (same reference as above).

The image mechanisms reproduce the settings of deep generative imputation
papers:

``"square"``
    One random ``K x K`` square missing per image, as in the Missing Glow
    paper.  ``K`` is the option ``size`` or ``round(sqrt(rate * H * W))``, so
    the realised rate is ``K**2 / (H * W)``.
``"observed_square"``
    Everything missing except one random ``K x K`` observed square per image,
    as in MisGAN (Li, Jiang & Marlin, 2019, "MisGAN: Learning from Incomplete
    Data with Generative Adversarial Networks", ICLR).  ``K`` is the option
    ``size`` or ``round(sqrt((1 - rate) * H * W))``; realised rate
    ``1 - K**2 / (H * W)``.
``"observed_rectangle"``
    Everything missing except one random rectangle per image whose height and
    width are drawn independently and uniformly between 25% and 75% of the
    image side (MisGAN's variable-size rectangular observation).  ``rate`` is
    ignored; the expected realised rate is ``1 - 0.5 * 0.5 = 0.75``.
``"rows"``
    The MNAR setting of SpatialGAIN: in every image ``round(rate * H)`` random
    rows lose their last ``k`` pixels (``k`` clipped to ``W``).  The realised
    rate is ``round(rate * H) * k / (H * W)``, i.e. about ``rate * k / W``.
"""

import numbers

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.utils import check_random_state

__all__ = ["MECHANISMS", "make_missing", "hide_observed"]

#: Names accepted by the ``mechanism`` argument of :func:`make_missing`.
MECHANISMS = (
    "mcar",
    "mar",
    "mnar",
    "square",
    "observed_square",
    "observed_rectangle",
    "rows",
)

_IMAGE_MECHANISMS = ("square", "observed_square", "observed_rectangle", "rows")

# Options accepted by each mechanism, with their defaults.
_OPTIONS = {
    "mcar": {},
    "mar": {"p_obs": 0.3, "strength": 2.0},
    "mnar": {"strength": 2.0},
    "square": {"size": None},
    "observed_square": {"size": None},
    "observed_rectangle": {"low": 0.25, "high": 0.75},
    "rows": {"k": 10},
}


# ---------------------------------------------------------------------------
# Input validation
# ---------------------------------------------------------------------------


def _check_X(X, name="X"):
    """Return a float copy of ``X`` as a 2-D array, plus the DataFrame or None."""
    frame = X if isinstance(X, pd.DataFrame) else None
    try:
        if frame is not None:
            arr = frame.to_numpy(dtype=float, na_value=np.nan, copy=True)
        else:
            arr = np.array(X, dtype=float, copy=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a 2-D array of numbers (or a numeric DataFrame); "
            f"it could not be converted to float: {exc}"
        ) from exc
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (n_samples, n_features), got a {arr.ndim}-D "
            f"array of shape {arr.shape}. For images pass one flattened image "
            "per row and give `shape`."
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(
            f"{name} must have at least one sample and one feature, got shape "
            f"{arr.shape}."
        )
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains infinite values; only NaN is allowed.")
    return arr, frame


def _wrap(arr, frame):
    """Return ``arr`` as a DataFrame shaped like ``frame`` when one was given."""
    if frame is None:
        return arr
    return pd.DataFrame(arr, index=frame.index, columns=frame.columns)


def _check_mechanism(mechanism):
    if not isinstance(mechanism, str) or mechanism not in MECHANISMS:
        valid = ", ".join(repr(m) for m in MECHANISMS)
        raise ValueError(
            f"Unknown mechanism {mechanism!r}; valid mechanisms are: {valid}."
        )
    return mechanism


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_rate(rate, *, allow_zero=True):
    interval = "[0, 1)" if allow_zero else "(0, 1)"
    if not _is_real(rate) or not np.isfinite(rate):
        raise ValueError(f"rate must be a number in {interval}, got {rate!r}.")
    rate = float(rate)
    low_ok = rate >= 0 if allow_zero else rate > 0
    if not (low_ok and rate < 1):
        raise ValueError(f"rate must be in {interval}, got {rate!r}.")
    return rate


def _check_shape(shape, n_features, mechanism):
    """Return ``(C, H, W)`` or None after checking ``shape`` against X."""
    if shape is None:
        if mechanism in _IMAGE_MECHANISMS:
            raise ValueError(
                f"mechanism {mechanism!r} works on images and needs "
                "shape=(H, W) or shape=(C, H, W)."
            )
        return None
    try:
        dims = tuple(shape)
    except TypeError:
        raise ValueError(
            f"shape must be a tuple (H, W) or (C, H, W), got {shape!r}."
        ) from None
    if len(dims) not in (2, 3) or not all(_is_int(s) and s > 0 for s in dims):
        raise ValueError(
            "shape must be a tuple (H, W) or (C, H, W) of positive integers, "
            f"got {shape!r}."
        )
    dims = tuple(int(s) for s in dims)
    if len(dims) == 2:
        dims = (1,) + dims
    size = dims[0] * dims[1] * dims[2]
    if size != n_features:
        raise ValueError(
            f"shape {tuple(shape)} describes {size} values per image but X has "
            f"{n_features} features (columns)."
        )
    return dims


def _check_options(mechanism, options):
    allowed = _OPTIONS[mechanism]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        valid = ", ".join(repr(o) for o in allowed) or "none"
        raise ValueError(
            f"Unknown option(s) {', '.join(repr(o) for o in unknown)} for "
            f"mechanism {mechanism!r}; valid options: {valid}."
        )
    merged = dict(allowed)
    merged.update(options)
    return merged


def _check_size(size, limit, label):
    if not _is_int(size) or not 1 <= size <= limit:
        raise ValueError(
            f"size must be an integer between 1 and {limit} "
            f"(the smaller image side) for {label}, got {size!r}."
        )
    return int(size)


def _check_fraction(value, name, *, low_open=True, high_open=True):
    ok = _is_real(value) and np.isfinite(value)
    if ok:
        ok = (value > 0 if low_open else value >= 0) and (
            value < 1 if high_open else value <= 1
        )
    if not ok:
        lo = "(0" if low_open else "[0"
        hi = "1)" if high_open else "1]"
        raise ValueError(f"{name} must be a number in {lo}, {hi}, got {value!r}.")
    return float(value)


def _check_positive(value, name):
    if not _is_real(value) or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}.")
    return float(value)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _standardise(A, observed):
    """Column-standardise ``A`` ignoring NaN; NaN entries become 0."""
    count = np.maximum(observed.sum(axis=0), 1)
    filled = np.where(observed, A, 0.0)
    mean = filled.sum(axis=0) / count
    centred = np.where(observed, A - mean, 0.0)
    std = np.sqrt((centred**2).sum(axis=0) / count)
    std[std == 0] = 1.0
    return centred / std


def _fit_intercepts(logits, weights, target, tol=1e-10, max_iter=200):
    """Per-column intercepts ``b`` with weighted mean of sigmoid(logits + b) = target.

    Vectorised bisection over all columns at once.  The weighted mean lies
    between ``sigmoid(min(logits) + b)`` and ``sigmoid(max(logits) + b)``, so
    the root is bracketed by ``logit(target) - max`` and ``logit(target) - min``.
    """
    shift = np.log(target) - np.log1p(-target)
    lo = shift - logits.max(axis=0) - 1.0
    hi = shift - logits.min(axis=0) + 1.0
    total = weights.sum(axis=0)
    total[total == 0] = 1.0
    for _ in range(max_iter):
        if np.max(hi - lo) < tol:
            break
        mid = 0.5 * (lo + hi)
        mean = (expit(logits + mid) * weights).sum(axis=0) / total
        too_high = mean > target
        hi = np.where(too_high, mid, hi)
        lo = np.where(too_high, lo, mid)
    return 0.5 * (lo + hi)


def _to_entries(pixels, channels):
    """Broadcast a ``(n, H, W)`` pixel mask over channels to ``(n, C*H*W)``."""
    n, H, W = pixels.shape
    full = np.broadcast_to(pixels[:, None, :, :], (n, channels, H, W))
    return full.reshape(n, channels * H * W)


def _grids(H, W):
    return np.arange(H)[None, :, None], np.arange(W)[None, None, :]


def _box(top, left, height, width, H, W):
    """Boolean ``(n, H, W)`` mask of per-image boxes (vectorised)."""
    rows, cols = _grids(H, W)
    top = np.asarray(top)[:, None, None]
    left = np.asarray(left)[:, None, None]
    height = np.asarray(height)
    width = np.asarray(width)
    if height.ndim:
        height = height[:, None, None]
    if width.ndim:
        width = width[:, None, None]
    in_rows = (rows >= top) & (rows < top + height)  # (n, H, 1)
    in_cols = (cols >= left) & (cols < left + width)  # (n, 1, W)
    return in_rows & in_cols


# ---------------------------------------------------------------------------
# Mechanisms.  Each returns a boolean (n_samples, n_features) "draw"; entries
# already NaN are removed from it by make_missing.  Validation happens before
# any random number is drawn.
# ---------------------------------------------------------------------------


def _smallest(scores, count):
    """Flat indices of the ``count`` smallest entries of ``scores`` (O(n))."""
    flat = scores.ravel()
    if count <= 0:
        return np.empty(0, dtype=np.intp)
    if count >= flat.size:
        return np.arange(flat.size)
    return np.argpartition(flat, count - 1)[:count]


def _exact_count(shape, rate, rng):
    """Boolean array of ``shape`` with exactly ``round(rate * size)`` True.

    The True entries are a uniformly random subset: the positions of the
    smallest i.i.d. uniform scores.
    """
    scores = rng.random_sample(shape)
    flat = np.zeros(scores.size, dtype=bool)
    flat[_smallest(scores, int(round(rate * scores.size)))] = True
    return flat.reshape(shape)


def _mcar(X, observed, rate, dims, rng):
    n, d = X.shape
    if dims is None or dims[0] == 1:
        return _exact_count((n, d), rate, rng)
    C, H, W = dims
    return _to_entries(_exact_count((n, H, W), rate, rng), C)


def _mar(X, observed, rate, dims, rng, p_obs, strength):
    n, d = X.shape
    p_obs = _check_fraction(p_obs, "p_obs")
    strength = _check_positive(strength, "strength")
    n_obs = max(1, int(round(p_obs * d)))
    n_mis = d - n_obs
    if n_mis < 1:
        raise ValueError(
            f"mechanism 'mar' keeps {n_obs} of the {d} features always observed "
            f"(p_obs={p_obs}), leaving none to go missing; use more features or "
            "a smaller p_obs."
        )
    target = rate * d / n_mis
    if target >= 1:
        raise ValueError(
            f"mechanism 'mar' cannot reach rate={rate}: the {n_mis} features "
            f"that may go missing would need a missing rate of "
            f"rate * n_features / n_missing_features = {target:.3f}, which must "
            "be below 1; lower rate or p_obs."
        )
    draw = np.zeros((n, d), dtype=bool)
    if rate == 0:
        return draw
    perm = rng.permutation(d)
    obs_cols = np.sort(perm[:n_obs])
    mis_cols = np.sort(perm[n_obs:])
    Z = _standardise(X[:, obs_cols], observed[:, obs_cols])
    weights = rng.standard_normal((n_obs, n_mis))
    logits = Z @ weights
    scale = logits.std(axis=0)
    scale[scale == 0] = 1.0
    logits *= strength / scale
    b = _fit_intercepts(logits, observed[:, mis_cols].astype(float), target)
    probs = expit(logits + b)
    draw[:, mis_cols] = rng.random_sample((n, n_mis)) < probs
    return draw


def _mnar(X, observed, rate, dims, rng, strength):
    n, d = X.shape
    strength = _check_positive(strength, "strength")
    if rate == 0:
        return np.zeros((n, d), dtype=bool)
    Z = _standardise(X, observed)
    w = strength * rng.uniform(0.5, 1.5, size=d)
    logits = Z * w
    b = _fit_intercepts(logits, observed.astype(float), rate)
    return rng.random_sample((n, d)) < expit(logits + b)


def _square_side(size, fraction, H, W, label):
    limit = min(H, W)
    if size is not None:
        return _check_size(size, limit, label)
    K = int(round(np.sqrt(fraction * H * W)))
    if K > limit:
        raise ValueError(
            f"{label}: the {K}x{K} square implied by rate does not fit in a "
            f"{H}x{W} image; give a smaller rate or an explicit size."
        )
    return K


def _square(X, observed, rate, dims, rng, size):
    C, H, W = dims
    n = X.shape[0]
    K = _square_side(size, rate, H, W, "mechanism 'square'")
    top = rng.randint(0, H - K + 1, size=n)
    left = rng.randint(0, W - K + 1, size=n)
    return _to_entries(_box(top, left, K, K, H, W), C)


def _observed_square(X, observed, rate, dims, rng, size):
    C, H, W = dims
    n = X.shape[0]
    K = max(1, _square_side(size, 1 - rate, H, W, "mechanism 'observed_square'"))
    top = rng.randint(0, H - K + 1, size=n)
    left = rng.randint(0, W - K + 1, size=n)
    return _to_entries(~_box(top, left, K, K, H, W), C)


def _side_range(low, high, side):
    lo = min(side, max(1, int(round(low * side))))
    hi = min(side, max(lo, int(round(high * side))))
    return lo, hi


def _observed_rectangle(X, observed, rate, dims, rng, low, high):
    C, H, W = dims
    n = X.shape[0]
    low = _check_fraction(low, "low", high_open=False)
    high = _check_fraction(high, "high", high_open=False)
    if low > high:
        raise ValueError(f"low must not exceed high, got low={low}, high={high}.")
    h_lo, h_hi = _side_range(low, high, H)
    w_lo, w_hi = _side_range(low, high, W)
    height = rng.randint(h_lo, h_hi + 1, size=n)
    width = rng.randint(w_lo, w_hi + 1, size=n)
    top = np.floor(rng.random_sample(n) * (H - height + 1)).astype(int)
    left = np.floor(rng.random_sample(n) * (W - width + 1)).astype(int)
    return _to_entries(~_box(top, left, height, width, H, W), C)


def _rows(X, observed, rate, dims, rng, k):
    C, H, W = dims
    n = X.shape[0]
    if not _is_int(k) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}.")
    k = min(int(k), W)
    n_rows = int(round(rate * H))
    # Rank of a uniform draw per row: the n_rows smallest are chosen, i.e.
    # n_rows rows per image sampled without replacement.
    ranks = rng.random_sample((n, H)).argsort(axis=1).argsort(axis=1)
    chosen = ranks < n_rows  # (n, H)
    tail = np.arange(W) >= W - k  # (W,)
    return _to_entries(chosen[:, :, None] & tail[None, None, :], C)


_MECHANISM_FUNCS = {
    "mcar": _mcar,
    "mar": _mar,
    "mnar": _mnar,
    "square": _square,
    "observed_square": _observed_square,
    "observed_rectangle": _observed_rectangle,
    "rows": _rows,
}


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def make_missing(
    X, mechanism="mcar", rate=0.2, *, shape=None, random_state=None, **options
):
    """Hide entries of ``X`` according to a missingness mechanism.

    Returns a float copy of ``X`` with NaN at the newly hidden entries and the
    boolean mask of those entries, so that an imputer's output can be scored
    against the true values.  Tabular mechanisms (``"mcar"``, ``"mar"``,
    ``"mnar"``) follow Rubin's taxonomy; image mechanisms reproduce the
    patterns of Missing Glow, MisGAN and SpatialGAIN (see the module
    documentation).  Everything is vectorised over samples.

    Parameters
    ----------
    X : array-like or pandas.DataFrame of shape (n_samples, n_features)
        Numeric data.  Entries that are already NaN stay NaN and are not
        counted as hidden.  For images each row is one image flattened in C
        order, channels first (see ``shape``).  ``X`` is not modified.
    mechanism : {"mcar", "mar", "mnar", "square", "observed_square", \
"observed_rectangle", "rows"}, default="mcar"
        How the hidden entries are chosen; see the module documentation.
        ``"mcar"``, ``"mar"`` and ``"mnar"`` work on tables and images (for
        ``"mar"`` and ``"mnar"`` every pixel value is a feature); the other
        mechanisms need ``shape``.
    rate : float in [0, 1), default=0.2
        Target probability that an entry is hidden.  For ``"square"``,
        ``"observed_square"`` and ``"rows"`` it is converted to a geometry (see
        *Returns*); ``"observed_rectangle"`` only validates it.
    shape : tuple of int, optional
        ``None`` for tables, ``(H, W)`` or ``(C, H, W)`` for images.  Its
        product must equal ``n_features``.
    random_state : None, int or numpy.random.RandomState, default=None
        Seed or generator, passed to :func:`sklearn.utils.check_random_state`.
        numpy's global generator is never used when a seed is given.
    **options
        Mechanism-specific options (a wrong name raises ``ValueError``):

        - ``"mar"``: ``p_obs`` (float in (0, 1), default 0.3) share of the
          features that are always observed (at least one), and ``strength``
          (float > 0, default 2.0) standard deviation of the random linear
          predictor of the logistic model.
        - ``"mnar"``: ``strength`` (float > 0, default 2.0), scale of the
          positive self-masking weights ``w_j ~ strength * U(0.5, 1.5)``.
        - ``"square"``, ``"observed_square"``: ``size`` (int, default
          derived from ``rate``) side of the square.
        - ``"observed_rectangle"``: ``low`` and ``high`` (default 0.25 and
          0.75) bounds of each rectangle side as a fraction of the image side.
        - ``"rows"``: ``k`` (int, default 10, clipped to ``W``) number of
          trailing pixels removed from each chosen row.

    Returns
    -------
    X_missing : numpy.ndarray or pandas.DataFrame of shape (n_samples, n_features)
        Float copy of ``X`` with NaN at the hidden entries (a DataFrame with
        the same index and columns when ``X`` is one).
    mask : numpy.ndarray of bool, shape (n_samples, n_features)
        True where this call hid an entry (pre-existing NaNs are False).

        On complete data the realised rate ``mask.mean()`` is ``rate``
        rounded to a whole number of entries (or pixels) for ``"mcar"``, and
        ``rate`` up to Bernoulli noise for ``"mar"`` (over all entries, the
        always-observed features included) and ``"mnar"`` (per feature).  For
        the image mechanisms it is exactly

        - ``"square"``: ``K**2 / (H * W)`` with
          ``K = size or round(sqrt(rate * H * W))``;
        - ``"observed_square"``: ``1 - K**2 / (H * W)`` with
          ``K = size or max(1, round(sqrt((1 - rate) * H * W)))``;
        - ``"rows"``: ``round(rate * H) * min(k, W) / (H * W)``, about
          ``rate * k / W``;

        and for ``"observed_rectangle"`` its expectation is
        ``1 - (h_lo + h_hi) * (w_lo + w_hi) / (4 * H * W)`` with
        ``h_lo = max(1, round(low * H))``, ``h_hi = round(high * H)`` (same for
        the width), i.e. ``1 - ((low + high) / 2)**2 = 0.75`` with the defaults
        up to the rounding of the side bounds (exactly 0.75 for 28 x 28).

    Raises
    ------
    ValueError
        On an unknown mechanism or option, ``rate`` outside [0, 1), a
        ``shape`` that does not match ``X``, an image mechanism without
        ``shape``, ``X`` not 2-D or not numeric, or a rate that the mechanism
        cannot reach.

    See Also
    --------
    hide_observed : Hide a share of the observed entries uniformly at random.

    Examples
    --------
    >>> import numpy as np
    >>> from sklimpute.simulate import make_missing
    >>> X = np.random.RandomState(0).normal(size=(1000, 10))
    >>> X_miss, mask = make_missing(X, "mcar", rate=0.3, random_state=0)
    >>> print(round(mask.mean(), 2))
    0.3
    >>> bool(np.isnan(X_miss[mask]).all()), bool(np.isnan(X).any())
    (True, False)

    Missing at random, with 30% of the features always observed:

    >>> X_miss, mask = make_missing(X, "mar", rate=0.3, random_state=0)
    >>> int((mask.sum(axis=0) == 0).sum())
    3

    A 14 x 14 square hidden in each 28 x 28 image:

    >>> images = np.random.RandomState(0).uniform(size=(5, 28 * 28))
    >>> _, mask = make_missing(images, "square", rate=0.25, shape=(28, 28),
    ...                        random_state=0)
    >>> mask.reshape(5, 28, 28).sum(axis=(1, 2))
    array([196, 196, 196, 196, 196])
    """
    mechanism = _check_mechanism(mechanism)
    rate = _check_rate(rate)
    arr, frame = _check_X(X)
    dims = _check_shape(shape, arr.shape[1], mechanism)
    opts = _check_options(mechanism, options)
    rng = check_random_state(random_state)

    observed = ~np.isnan(arr)
    draw = _MECHANISM_FUNCS[mechanism](arr, observed, rate, dims, rng, **opts)
    mask = np.asarray(draw, dtype=bool) & observed
    arr[mask] = np.nan
    return _wrap(arr, frame), mask


def hide_observed(X, rate, *, random_state=None):
    """Hide a random share of the observed entries of ``X``.

    Exactly ``round(rate * n_observed)`` of the non-NaN entries (at least one
    when there are any) are chosen uniformly at random without replacement
    and set to NaN.  Scorers use this to create held-out entries whose true
    values are known.

    Parameters
    ----------
    X : array-like or pandas.DataFrame of shape (n_samples, n_features)
        Numeric data, possibly with NaN.  ``X`` is not modified.
    rate : float in (0, 1)
        Share of the observed entries to hide.
    random_state : None, int or numpy.random.RandomState, default=None
        Seed or generator, passed to :func:`sklearn.utils.check_random_state`.

    Returns
    -------
    X_hidden : numpy.ndarray or pandas.DataFrame of shape (n_samples, n_features)
        Float copy of ``X`` with the hidden entries set to NaN (a DataFrame
        with the same index and columns when ``X`` is one).
    hidden_mask : numpy.ndarray of bool, shape (n_samples, n_features)
        True at the entries hidden by this call; never True where ``X`` was
        already NaN.

    See Also
    --------
    make_missing : Simulate a missingness mechanism on complete data.

    Examples
    --------
    >>> import numpy as np
    >>> from sklimpute.simulate import hide_observed
    >>> X = np.arange(20.0).reshape(4, 5)
    >>> X[0, 0] = np.nan
    >>> X_hidden, hidden = hide_observed(X, 0.25, random_state=0)
    >>> int(hidden.sum())  # round(0.25 * 19 observed entries)
    5
    >>> bool(hidden[0, 0]), int(np.isnan(X_hidden).sum())
    (False, 6)
    """
    rate = _check_rate(rate, allow_zero=False)
    arr, frame = _check_X(X)
    rng = check_random_state(random_state)
    observed = ~np.isnan(arr)
    mask = np.zeros(arr.shape, dtype=bool)
    n_observed = int(observed.sum())
    if n_observed:
        n_hide = min(n_observed, max(1, int(round(rate * n_observed))))
        # uniform scores for the observed entries, 2 (never among the
        # smallest n_hide <= n_observed) for the missing ones
        scores = np.where(observed, rng.random_sample(arr.shape), 2.0)
        mask.flat[_smallest(scores, n_hide)] = True
        arr[mask] = np.nan
    return _wrap(arr, frame), mask
