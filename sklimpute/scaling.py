"""Per-feature scaling fitted on the observed entries only.

:class:`FeatureScaler` is what every imputer's ``_fit`` and ``_impute`` see
the data through (:class:`~sklimpute.BaseImputer`'s ``_scaling``): standard
or min-max scaling whose statistics come from the observed entries, pooled
per channel for images, safe at any magnitude.
"""

import warnings

import numpy as np

__all__ = ["FeatureScaler", "observed_range", "row_blocks"]

#: Values per block of rows read at a time by :meth:`FeatureScaler.fit`
#: (8 MB of float64)
BLOCK_VALUES = 2**20


def row_blocks(n_rows, n_features):
    """Slices of consecutive rows holding about :data:`BLOCK_VALUES` values each.

    They depend on the array's shape only, so that statistics summed block
    by block are the same, bit for bit, for an array in memory and for the
    same array read from disk.

    Examples
    --------
    >>> [(s.start, s.stop) for s in row_blocks(5, 2**19)]
    [(0, 2), (2, 4), (4, 5)]
    """
    step = max(1, BLOCK_VALUES // max(int(n_features), 1))
    return [slice(start, min(start + step, n_rows)) for start in range(0, n_rows, step)]


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
    n_observed_ : ndarray of int of shape (n_features,)
        The number of observed entries of each feature (not pooled).

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
        """Fit on ``X`` (any values in its holes) and its boolean ``observed`` mask.

        Reads X in blocks of rows (:func:`row_blocks`), as
        :meth:`fit_batches` does: the result does not depend on whether X is
        in memory or a memmap on disk.
        """
        def batches():
            for rows in row_blocks(*X.shape):
                yield X[rows], observed[rows]

        return self.fit_batches(batches)

    def fit_batches(self, batches):
        """Fit from blocks of rows: ``batches()`` yields ``(X_block, observed_block)``.

        ``batches`` is called three times (range, mean, spread), so that only
        one block is in memory at a time; the blocks must be the same each
        time. Also counts each feature's observed entries (``n_observed_``).
        """
        if self.method not in ("standard", "minmax", None):
            raise ValueError(f"Unknown scaling {self.method!r}.")

        def pooled():  # observed values as float64 with NaN in the holes, pooled per channel
            for Xb, ob in batches():
                Xo = np.where(ob, Xb, np.nan).astype(np.float64, copy=False)
                if self.shape is not None:
                    c = self.shape[0]
                    Xo = Xo.reshape(Xb.shape[0], c, -1).transpose(1, 0, 2).reshape(c, -1).T
                yield Xo, ob

        lo = hi = counts = None
        d = 0
        for Xo, ob in pooled():
            d = ob.shape[1]
            blo, bhi = np.fmin.reduce(Xo, axis=0), np.fmax.reduce(Xo, axis=0)
            lo = blo if lo is None else np.fmin(lo, blo)
            hi = bhi if hi is None else np.fmax(hi, bhi)
            n_obs = ob.sum(axis=0, dtype=np.int64)
            counts = n_obs if counts is None else counts + n_obs
        if lo is None:
            raise ValueError("FeatureScaler needs at least one row.")
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            # k with max|x| < 2**k: x / 2**k lies in (-1, 1) and is exact, and so
            # are the statistics computed on it once multiplied back by 2**k
            big = np.nan_to_num(np.fmax(np.abs(lo), np.abs(hi)), nan=0.0)
            k = np.frexp(big)[1]
            total = n = 0.0
            for Xo, _ in pooled():
                Z = np.ldexp(Xo, -k)
                seen = ~np.isnan(Z)
                total = total + np.where(seen, Z, 0.0).sum(axis=0)
                n = n + seen.sum(axis=0)
            mean_z = total / n  # NaN for a feature without observed values
            mean = np.ldexp(mean_z, k)
            if self.method == "standard":
                squares = 0.0
                for Xo, _ in pooled():
                    dev = np.ldexp(Xo, -k) - mean_z
                    squares = squares + np.where(np.isnan(dev), 0.0, dev * dev).sum(axis=0)
                off, sc = mean, np.sqrt(squares / n)
            elif self.method == "minmax":
                off, sc = lo, np.ldexp(hi, -k) - np.ldexp(lo, -k)
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
        self.n_observed_ = counts
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
