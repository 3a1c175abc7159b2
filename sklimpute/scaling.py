"""Per-feature scaling fitted on the observed entries only.

:class:`FeatureScaler` is what every imputer's ``_fit`` and ``_impute`` see
the data through (:class:`~sklimpute.BaseImputer`'s ``_scaling``): standard
or min-max scaling whose statistics come from the observed entries, pooled
per channel for images, safe at any magnitude.
"""

import warnings

import numpy as np

__all__ = ["FeatureScaler", "observed_range"]


class FeatureScaler:
    """Affine per-feature scaling fitted on the observed entries only.

    The statistics are computed on each feature divided by a power of two
    close to its largest observed magnitude (an exact operation), so that
    neither the mean nor the standard deviation can overflow, whatever the
    magnitude of the data (values up to the largest float); for ordinary data
    the result is the same, bit for bit, as a direct computation.

    Parameters
    ----------
    method : {"standard", "minmax", None}
        ``"standard"``: subtract the observed mean, divide by the observed
        standard deviation; ``"minmax"``: map the observed range to [0, 1];
        ``None``: identity.
    shape : None or tuple of int
        With an image shape ``(C, H, W)`` the statistics are pooled per channel
        instead of per pixel, so that every pixel of a channel is scaled alike
        (a per-pixel scaling would blow up the always-black border of MNIST).

    Attributes
    ----------
    offset_, scale_ : ndarray of shape (n_features,)
        ``scaled = (x - offset_) / scale_``. Features without observed values,
        or constant ones (a spread below ``1e-12`` times their largest
        magnitude), get ``scale_ = 1``.
    mean_, data_min_, data_max_ : ndarray of shape (n_features,)
        The observed mean, minimum and maximum of each feature (of its
        channel, for images), whatever ``method`` is; NaN for a feature
        without observed values.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 1.0], [2.0, np.nan], [4.0, 3.0]])
    >>> s = FeatureScaler("minmax").fit(X, ~np.isnan(X))
    >>> s.transform(X)[:, 0]
    array([0. , 0.5, 1. ])
    >>> big = FeatureScaler().fit(X * 1e300, ~np.isnan(X))
    >>> bool(np.isfinite(big.scale_).all())
    True
    """

    def __init__(self, method="standard", shape=None):
        self.method = method
        self.shape = shape

    def fit(self, X, observed):
        if self.method not in ("standard", "minmax", None):
            raise ValueError(f"Unknown scaling {self.method!r}.")
        d = X.shape[1]
        Xo = np.where(observed, X, np.nan).astype(np.float64, copy=False)
        if self.shape is not None:  # pool per channel
            c = self.shape[0]
            Xo = Xo.reshape(X.shape[0], c, -1).transpose(1, 0, 2).reshape(c, -1).T
        with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            lo, hi = np.nanmin(Xo, axis=0), np.nanmax(Xo, axis=0)
            # k with max|x| < 2**k: x / 2**k lies in (-1, 1) and is exact, and so
            # are the statistics computed on it once multiplied back by 2**k
            big = np.nan_to_num(np.fmax(np.abs(lo), np.abs(hi)), nan=0.0)
            k = np.frexp(big)[1]
            Z = np.ldexp(Xo, -k)
            mean = np.ldexp(np.nanmean(Z, axis=0), k)
            if self.method == "standard":
                off, sc = mean, np.nanstd(Z, axis=0)
            elif self.method == "minmax":
                off, sc = lo, np.nanmax(Z, axis=0) - np.nanmin(Z, axis=0)
            else:
                off = sc = None
        if self.method is None:
            off, sc = np.zeros(len(lo)), np.ones(len(lo))
        else:
            # spread relative to the magnitude (Z is within (-1, 1)): constant
            # features get a unit scale, whatever their units
            const = ~(np.isfinite(sc) & (sc > 1e-12))
            # a range wider than the largest float (values near +-1.8e308 of
            # both signs) saturates; transform then divides before subtracting
            with np.errstate(over="ignore"):
                sc = np.ldexp(np.where(const, 1.0, sc), np.where(const, 0, k))
            sc = np.minimum(sc, np.finfo(np.float64).max)
            off = np.nan_to_num(off, nan=0.0)
        stats = [off, sc, mean, lo, hi]
        if self.shape is not None:
            hw = d // self.shape[0]
            stats = [np.repeat(s, hw) for s in stats]
        self.offset_, self.scale_, self.mean_, self.data_min_, self.data_max_ = stats
        return self

    def transform(self, X):
        with np.errstate(over="ignore", invalid="ignore"):
            Z = (X - self.offset_) / self.scale_
            if np.isinf(Z).any():  # x - offset may have overflowed, x / scale need not
                overflow = np.isinf(Z) & np.isfinite(X)
                alt = X / self.scale_ - self.offset_ / self.scale_
                Z[overflow] = np.broadcast_to(alt, Z.shape)[overflow]
        return Z

    def inverse_transform(self, Z):
        with np.errstate(over="ignore", invalid="ignore"):
            return Z * self.scale_ + self.offset_


def observed_range(X, observed, image_shape):
    """The smallest and largest observed value of each channel (images) or feature.

    Channels or features without observed values get ``(-inf, inf)``.
    """
    Xo = np.where(observed, X, np.nan)
    if image_shape is not None:  # pool the pixels of each channel
        c = image_shape[0]
        Xo = Xo.reshape(X.shape[0], c, -1).transpose(1, 0, 2).reshape(c, -1).T
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        low, high = np.nanmin(Xo, axis=0), np.nanmax(Xo, axis=0)
    low = np.where(np.isnan(low), -np.inf, low).astype(np.float64)
    high = np.where(np.isnan(high), np.inf, high).astype(np.float64)
    return low, high
