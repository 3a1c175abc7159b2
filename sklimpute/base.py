"""The estimator base every sklimpute imputer is built on.

:class:`BaseImputer` implements the estimator contract (see the
contributing page, :ref:`architecture`) once: input
validation (numpy, pandas, any float dtype, ``missing_values``), the observed
mask, per-feature scaling fitted on observed values
(:class:`~sklimpute.scaling.FeatureScaler`), the ``shape`` parameter for
images, batch-by-batch ``transform`` that returns every observed entry
bit-for-bit unchanged, ``keep_empty_features``, ``add_indicator``,
``get_feature_names_out`` (so ``set_output(transform="pandas")`` works) and a
label-free :meth:`~BaseImputer.score`. The neural models' base,
:class:`~sklimpute.DeepImputer`, is in :mod:`sklimpute.deep`.

A subclass implements ``_fit(X, observed)`` and ``_impute(X, observed)``,
both on scaled data whose holes hold 0. The other hooks it may override:
``_encode_columns`` (the raw input before validation; categorical columns,
:mod:`sklimpute.categorical`), ``_to_model`` and ``_impute_model`` (the
scaled data as the model sees it, for example a categorical feature as a
block of indicators), ``_transform_full`` (the imputed array in the
input's feature space, which :meth:`~BaseImputer.score` and
:func:`~sklimpute.metrics.holdout_error` compare with the truth),
``_scaling`` and ``_transform_batch_size``.
"""

import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.impute import MissingIndicator
from sklearn.utils._available_if import available_if
from sklearn.utils._missing import is_scalar_nan
from sklearn.utils._param_validation import MissingValues
from sklearn.utils.validation import (
    FLOAT_DTYPES,
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from .categorical import check_numeric_columns
from .inpainting import fill_from_neighbours
from .metrics import holdout_error
from .parallel import RowReader, dask_columns, is_dask_collection, spill_to_memmap
from .persistence import save as _save_imputer
from .scaling import FeatureScaler, row_blocks

__all__ = ["BaseImputer", "check_image_shape"]


def check_image_shape(shape, n_features):
    """Validate an image ``shape`` against the number of features.

    Parameters
    ----------
    shape : None or tuple of int
        ``None`` for tables, ``(H, W)`` or ``(C, H, W)`` for images stored one
        per row, flattened in C order (channels first).
    n_features : int
        Number of columns of the data.

    Returns
    -------
    shape : None or tuple of int
        ``None``, or the shape as ``(C, H, W)``.

    Raises
    ------
    ValueError
        If the shape is malformed or its size is not ``n_features``.

    Examples
    --------
    >>> check_image_shape((8, 8), 64)
    (1, 8, 8)
    >>> check_image_shape((3, 4, 4), 48)
    (3, 4, 4)
    """
    if shape is None:
        return None
    try:
        dims = tuple(int(s) for s in shape)
        ok = len(dims) in (2, 3) and all(d > 0 and d == s for d, s in zip(dims, shape))
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(
            f"shape={shape!r} is not an image shape: pass (H, W) or (C, H, W) with "
            "positive integers, or shape=None for tabular data."
        )
    if len(dims) == 2:
        dims = (1,) + dims
    size = int(np.prod(dims))
    if size != n_features:
        raise ValueError(
            f"shape={tuple(shape)!r} describes images of {size} values "
            f"({' x '.join(map(str, dims))}), but X has {n_features} features per row. "
            "Each row must be one image flattened in C order (channels first); pass "
            "the shape of one image, or shape=None for tabular data."
        )
    return dims


class BaseImputer(TransformerMixin, BaseEstimator):
    """Base class of all sklimpute imputers: the estimator contract, written once.

    Subclasses implement ``_fit(X, observed)`` and ``_impute(X, observed)``.
    Both receive the data scaled by :class:`FeatureScaler` (see ``_scaling``)
    as a float64 array whose holes hold 0, and the boolean ``observed`` mask;
    ``_impute`` returns the completed batch in the same scaled space. The
    observed entries of its result are discarded: the base class puts the
    original values back, bit for bit.

    Parameters
    ----------
    missing_values : float, int or np.nan, default=np.nan
        The placeholder of missing entries. ``None`` and ``pd.NA`` inside
        arrays and DataFrames are read as NaN.
    shape : None or tuple of int, default=None
        ``None``: rows are feature vectors. ``(H, W)`` or ``(C, H, W)``: each
        row is one image, flattened in C order (channels first).
    keep_empty_features : bool, default=False
        Tables: features that have no observed value during ``fit`` are
        dropped from the output (with a warning) unless this is True; kept
        ones are imputed with 0, as in scikit-learn's imputers. Images (a
        ``shape``): a pixel never observed in ``fit`` is always kept, so that
        every output row is still an image, and filled from its neighbours
        (see :meth:`transform`); this parameter does not change that.
    add_indicator : bool, default=False
        Append a :class:`~sklearn.impute.MissingIndicator` of the features that
        had missing values in ``fit``.
    random_state : int, RandomState instance or None, default=None
        Seeds everything random in ``fit`` (and the holdout of ``score``).
    verbose : int, default=0
        Verbosity.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names seen in ``fit``, when X was a DataFrame with string names.
    image_shape_ : None or tuple of int
        The image shape as ``(C, H, W)``, or None for tables.
    scaler_ : FeatureScaler
        The per-feature (per-channel, for images) scaling fitted on the
        observed entries; it also keeps their mean and range
        (``scaler_.data_min_``, ``scaler_.data_max_``), which ``transform``
        compares with its input's (a warning when the input is on another
        scale).
    indicator_ : MissingIndicator
        With ``add_indicator=True``, the indicator of the features with holes
        in ``fit``.
    """

    _parameter_constraints = {
        "missing_values": [MissingValues(numeric_only=True)],
        "shape": [tuple, list, None],
        "keep_empty_features": ["boolean"],
        "add_indicator": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    #: Scaling applied before ``_fit``/``_impute``: "standard", "minmax" or None.
    _scaling = "standard"

    #: Whether features with no observed value in ``fit`` are "empty" (tables:
    #: dropped, or filled with 0 by ``keep_empty_features``; images: kept and
    #: filled from their neighbours). An imputer that completes each row from
    #: that row alone (per-image matrix completion) sets False; ``transform``
    #: then does not compare its input's scale with the fit's either.
    _has_empty_features = True

    def __init__(
        self,
        *,
        missing_values=np.nan,
        shape=None,
        keep_empty_features=False,
        add_indicator=False,
        random_state=None,
        verbose=0,
    ):
        self.missing_values = missing_values
        self.shape = shape
        self.keep_empty_features = keep_empty_features
        self.add_indicator = add_indicator
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ input
    def _validate_X(self, X, *, reset, mask=True):
        """Validated float array with NaN in the holes, and the observed mask.

        With ``mask=False`` (``transform``, which works batch by batch) no
        array of the data's size is made: X is returned as validated, with
        ``missing_values`` still in it, and the mask is None; each batch then
        goes through :meth:`_batch_mask`.
        """
        n_rows = getattr(X, "shape", (None,))[0]
        if n_rows == 0:
            # before the column checks: a CSV with only a header reads as a
            # DataFrame of zero rows and "object" columns
            raise ValueError(
                f"X has no rows (0 samples, shape={tuple(X.shape)}): an imputer "
                "needs at least one row."
            )
        X = self._encode_columns(X, reset=reset)
        allow_nan = is_scalar_nan(self.missing_values)
        try:
            X = validate_data(
                self,
                X,
                reset=reset,
                dtype=FLOAT_DTYPES,
                ensure_all_finite="allow-nan" if allow_nan else True,
                ensure_min_samples=1,
            )
        except ValueError as exc:
            if "could not convert" in str(exc) or "Unable to convert" in str(exc):
                raise ValueError(
                    f"X contains values that are not numbers ({exc}). This imputer "
                    "works on numbers: encode categorical columns first (for example "
                    "with sklearn.preprocessing.OrdinalEncoder) or drop them."
                ) from exc
            raise
        if not mask:
            return X, None
        return self._batch_mask(X)

    def _batch_mask(self, X):
        """``missing_values`` replaced by NaN (a copy only when needed), and the observed mask."""
        if not is_scalar_nan(self.missing_values):
            X = np.where(X == self.missing_values, np.nan, X)
        observed = np.isnan(X)
        np.logical_not(observed, out=observed)
        return X, observed

    def _encode_columns(self, X, *, reset):
        """Hook run on the raw input before validation: return X with numeric columns only.

        The default rejects non-numeric DataFrame columns with a clear error.
        An imputer that handles categorical features (every tabular one, with
        :class:`~sklimpute.categorical.CategoricalMixin`) overrides it to
        replace them by numeric codes (learning the categories when ``reset``)
        with a :class:`~sklimpute.categorical.CategoricalEncoder`.
        """
        check_numeric_columns(X)
        return X

    def _check_fit_input(self, X):
        """Validate parameters and data at the start of ``fit``."""
        self._validate_params()
        X, observed = self._validate_X(X, reset=True)
        self.image_shape_ = check_image_shape(self.shape, X.shape[1])
        self._set_empty_features(~observed.any(axis=0))
        return X, observed

    def _set_empty_features(self, never):
        """Record (and warn about) the features ``never`` observed in ``fit``."""
        never = never & bool(self._has_empty_features)
        # tables: scikit-learn's empty features (dropped, or kept and set to 0);
        # images: pixels kept (the output stays an image) and filled from their
        # neighbours, which no model has learnt anything about
        images = self.image_shape_ is not None
        self._empty_features = never & (not images)
        self._empty_pixels = never & images
        if self._empty_features.any() and not self.keep_empty_features:
            warnings.warn(
                "Skipping features without any observed values: "
                f"{np.flatnonzero(self._empty_features).tolist()}. They are dropped "
                "from the output; pass keep_empty_features=True to keep them "
                "(imputed with 0).",
                UserWarning,
            )
        if self._empty_pixels.any():
            c, h, w = self.image_shape_
            where = [
                (int(k), int(i), int(j))
                for k, i, j in zip(*np.unravel_index(np.flatnonzero(never), (c, h, w)))
            ]
            shown = ", ".join(map(str, where[:10])) + (", ..." if len(where) > 10 else "")
            warnings.warn(
                f"{len(where)} pixel(s) without any observed values in fit (channel, "
                f"row, column): {shown}. They are kept because they are image pixels "
                "(every output row keeps the image shape) and are filled with the "
                "mean of their neighbours in each imputed image.",
                UserWarning,
            )

    # ------------------------------------------------------------------- fit
    def fit(self, X, y=None):
        """Learn the imputer from data with missing values.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data with holes (``missing_values``); with ``shape``, one
            flattened image per row. Data larger than memory: a NumPy memmap
            or a dask Array or DataFrame (for example
            ``dask.dataframe.read_parquet(folder)``), from which the neural
            imputers train reading one batch of rows at a time (a dask
            collection is first written to a temporary memmap, one chunk at a
            time); the other imputers load it in memory.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted imputer.
        """
        if is_dask_collection(X) or isinstance(X, np.memmap):
            if self._reads_from_disk(X):
                return self._fit_from_disk(X)
            X = X.compute() if is_dask_collection(X) else np.asarray(X)
        X, observed = self._check_fit_input(X)
        if self.add_indicator:
            self.indicator_ = MissingIndicator(missing_values=np.nan, error_on_new=False)
            self.indicator_.fit(X)
        self.scaler_ = FeatureScaler(self._scaling, self.image_shape_).fit(X, observed)
        Xs = np.where(observed, self.scaler_.transform(X), 0.0)
        self._fit(*self._to_model(Xs, observed))
        return self

    def _to_model(self, X, observed):
        """The scaled data and mask of ``fit`` as the model's ``_fit`` sees them: a hook.

        The identity here; :class:`~sklimpute.categorical.CategoricalMixin`
        gives a categorical feature as a block of indicator columns.
        ``_impute_model`` must map the model's columns back to the features.
        """
        return X, observed

    def _impute_model(self, impute, X, observed):
        """``impute(X, observed)`` on one scaled batch, in the model's representation: a hook."""
        return impute(X, observed)

    #: Whether ``fit`` trains from rows read in batches from the disk when X
    #: is a memmap or a dask collection (the neural imputers); the others
    #: load such data in memory
    _fits_from_disk = False

    def _reads_from_disk(self, X):
        """Whether ``fit`` reads X (a memmap or a dask collection) batch by batch.

        For the imputers that can (``_fits_from_disk``), on numbers only (no
        boolean or text column) and without categorical features named in
        ``categorical_features``: categories are learnt from the whole table.
        """
        dtypes = list(X.dtypes) if hasattr(X, "dtypes") else [X.dtype]
        numeric = all(getattr(dtype, "kind", "O") in "iuf" for dtype in dtypes)
        named = getattr(self, "categorical_features", None)
        return self._fits_from_disk and numeric and (named is None or isinstance(named, str))

    def _read_rows(self, raw):
        """Rows read from the disk, checked like ``fit``'s input: float rows and their mask."""
        Xb = raw if raw.dtype.kind == "f" else raw.astype(np.float64)
        allow_nan = is_scalar_nan(self.missing_values)
        if np.isinf(Xb).any() or (not allow_nan and np.isnan(Xb).any()):
            raise ValueError(
                f"Input X contains {'infinity' if np.isinf(Xb).any() else 'NaN'}: "
                f"{type(self).__name__} takes finite values"
                + (" and NaN in the holes." if allow_nan else
                   f" with holes marked {self.missing_values!r}.")
            )
        return self._batch_mask(Xb)

    def _fit_from_disk(self, X):
        """``fit`` on a memmap or a dask collection, one block of rows in memory at a time.

        Same statistics, same batches, same model as ``fit`` on the same
        data in memory (:class:`~sklimpute.parallel.RowReader`).
        """
        self._validate_params()
        columns = dask_columns(X)
        check_numeric_columns(X)
        if is_dask_collection(X):
            X = spill_to_memmap(X, progress=bool(self.verbose))
        head = X[:1] if columns is None else pd.DataFrame(X[:1], columns=columns)
        if X.shape[0] == 0:
            head = X
        self._validate_X(head, reset=True, mask=False)  # n_features_in_, names, dtypes
        n, d = X.shape
        self.image_shape_ = check_image_shape(self.shape, d)

        def blocks():
            for rows in row_blocks(n, d):
                yield self._read_rows(X[rows])

        self.scaler_ = FeatureScaler(self._scaling, self.image_shape_).fit_batches(blocks)
        counts = self.scaler_.n_observed_
        self._set_empty_features(counts == 0)
        if self.add_indicator:  # fitted on one row with a hole in each feature with holes
            proxy = np.zeros((2, d))
            proxy[0, counts < n] = np.nan
            self.indicator_ = MissingIndicator(missing_values=np.nan, error_on_new=False)
            self.indicator_.fit(proxy)
        scaler = self.scaler_

        def prepare(raw):
            Xb, obs = self._read_rows(raw)
            return np.where(obs, scaler.transform(Xb), 0.0), obs

        reader = RowReader(X, prepare, counts.sum() / (n * d))
        self._fit(*self._to_model(reader, reader.observed))
        return self

    def _fit(self, X, observed):
        raise NotImplementedError(
            f"{type(self).__name__} does not implement _fit(X, observed): BaseImputer "
            "is a base class to subclass, not an imputer. A subclass implements "
            "_fit(X, observed) and _impute(X, observed), both on scaled data whose "
            "holes hold 0 (see sklimpute.base); or use one of sklimpute's imputers."
        )

    def _impute(self, X, observed):
        raise NotImplementedError(
            f"{type(self).__name__} does not implement _impute(X, observed): a "
            "BaseImputer subclass implements _fit(X, observed) and _impute(X, "
            "observed), the latter returning the completed batch in the scaled space."
        )

    # ------------------------------------------------------------- transform
    def _transform_batch_size(self):
        return 1024

    def _impute_array(self, X, observed=None, impute=None, *, keep=None, indicator=False,
                      out=None):
        """Impute a validated array batch by batch into one preallocated output.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Validated data. With ``observed=None`` it may still hold
            ``missing_values``: each batch gets its own mask, so that no array
            of the data's size other than the output is made.
        observed : ndarray of bool or None
            The observed mask of X, when the caller has it.
        impute : callable or None
            ``impute(Xs, obs)`` on one scaled batch; defaults to ``_impute``.
        keep : ndarray of bool of shape (n_features,) or None
            The features written to the output (None: all).
        indicator : bool
            Append the missing indicator of ``indicator_.features_``.
        out : ndarray or None
            Where to write (the right shape and the input's dtype); allocated
            when None.

        Observed entries are returned bit for bit. Imputations that are not
        finite (an overflowing model) are made finite with a warning: NaN takes
        the feature's observed mean in fit, +-inf the largest float of the
        output's dtype (as do values beyond it).
        """
        impute = self._impute if impute is None else impute
        n, d = X.shape
        cols = None if keep is None or keep.all() else np.flatnonzero(keep)
        n_feat = d if cols is None else len(cols)
        ind = self.indicator_.features_ if indicator else None
        if out is None:
            n_out = n_feat + (0 if ind is None else len(ind))
            out = np.empty((n, n_out), dtype=X.dtype)
        # an imputer that completes each row from that row alone does not
        # depend on the scale of the data it was fitted on
        check_scale = bool(self._has_empty_features)
        lo, hi = np.full(d, np.inf), np.full(d, -np.inf)
        outside, counted = np.zeros(d), np.zeros(d)
        if check_scale:
            with np.errstate(over="ignore", invalid="ignore"):
                width = self.scaler_.data_max_ - self.scaler_.data_min_
                width = np.where(width > 0, width, np.inf)  # constant in fit: not checked
                lower, upper = self.scaler_.data_min_ - width, self.scaler_.data_max_ + width
        n_bad = 0
        bs = max(int(self._transform_batch_size()), 1)
        for start in range(0, n, bs):
            sl = slice(start, start + bs)
            if observed is None:
                Xb, obs = self._batch_mask(X[sl])
            else:
                Xb, obs = X[sl], observed[sl]
            full, bad = self._impute_rows(Xb, obs, impute)
            n_bad += bad
            out[sl, :n_feat] = full if cols is None else full[:, cols]
            if ind is not None:
                out[sl, n_feat:] = ~obs[:, ind]
            if check_scale:  # Xb holds NaN in its holes, which fmin/fmax and < skip
                np.fmin(lo, np.fmin.reduce(Xb, axis=0), out=lo)
                np.fmax(hi, np.fmax.reduce(Xb, axis=0), out=hi)
                with np.errstate(invalid="ignore"):
                    outside += ((Xb < lower) | (Xb > upper)).sum(axis=0)
                counted += obs.sum(axis=0)
        if n_bad:
            warnings.warn(
                f"{type(self).__name__} produced {n_bad} non-finite imputation(s) (NaN "
                "or infinity, an overflow of the model). They were made finite: NaN "
                "takes the feature's observed mean in fit, infinity the largest float.",
                RuntimeWarning,
            )
        if check_scale:
            self._warn_other_scale(lo, hi, outside, counted)
        return out

    def _impute_rows(self, Xb, obs, impute):
        """One completed batch (float64, every feature) and its count of non-finite imputations."""
        Xs = np.where(obs, self.scaler_.transform(Xb), 0.0)
        imputed = self.scaler_.inverse_transform(
            np.asarray(self._impute_model(impute, Xs, obs), dtype=np.float64))
        finite = np.isfinite(imputed)
        n_bad = 0
        if not finite.all():
            n_bad = int((~finite & ~obs).sum())
            fill = np.nan_to_num(self.scaler_.mean_, nan=0.0)
            imputed = np.where(np.isnan(imputed), fill, imputed)
        if n_bad or Xb.dtype != np.float64:  # infinity, or beyond the output's dtype
            big = np.finfo(Xb.dtype).max
            np.clip(imputed, -big, big, out=imputed)
        full = np.where(obs, Xb, imputed)
        if self._empty_pixels.any():
            self._fill_empty_pixels(full, obs)
        if self._empty_features.any():
            empty = self._empty_features
            full[:, empty] = np.where(obs[:, empty], Xb[:, empty], 0.0)
        return full, n_bad

    def _fill_empty_pixels(self, full, obs):
        """Pixels never observed in fit (and missing here): the mean of their 4 neighbours.

        In place on the completed batch. A block of such pixels fills inwards
        from its border, one ring per step; a channel with no other pixel
        (never observed at all) gets 0, as scikit-learn's empty features.
        """
        c, h, w = self.image_shape_
        v = full.reshape(-1, c, h, w)
        fill_from_neighbours(v, (self._empty_pixels & ~obs).reshape(v.shape))

    #: share of a feature's (an image channel's) observed values in
    #: ``transform`` that must lie far outside the fit's range for a warning
    _OTHER_SCALE_SHARE = 0.1

    def _warn_other_scale(self, lo, hi, outside, counted):
        """Warn when X's observed values lie far outside the observed range of fit.

        "Far": beyond the fit's range by more than the range's width; the
        warning names the features (image channels) where more than a tenth
        of X's observed values are that far, so that a rare legitimate value
        (a pixel seldom lit in fit) does not warn but a change of units does.
        Features constant in fit (no width to compare with) are not checked.
        """
        fit_lo, fit_hi = self.scaler_.data_min_, self.scaler_.data_max_
        label = "feature"
        if self.image_shape_ is not None:
            c = self.image_shape_[0]
            lo, hi = lo.reshape(c, -1).min(axis=1), hi.reshape(c, -1).max(axis=1)
            fit_lo, fit_hi = fit_lo.reshape(c, -1)[:, 0], fit_hi.reshape(c, -1)[:, 0]
            outside, counted = outside.reshape(c, -1).sum(axis=1), counted.reshape(c, -1).sum(axis=1)
            label = "channel"
        far = outside > self._OTHER_SCALE_SHARE * np.maximum(counted, 1)
        if not far.any():
            return
        idx = np.flatnonzero(far)
        names = getattr(self, "feature_names_in_", None)
        named = [str(names[i]) if label == "feature" and names is not None else str(i)
                 for i in idx]
        detail = "; ".join(
            f"{label} {name}: [{lo[i]:.4g}, {hi[i]:.4g}] in X, "
            f"[{fit_lo[i]:.4g}, {fit_hi[i]:.4g}] in fit"
            for name, i in zip(named[:5], idx[:5])
        ) + ("; ..." if len(idx) > 5 else "")
        warnings.warn(
            f"X's observed values lie far outside the range seen in fit for {len(idx)} "
            f"{label}(s) ({detail}): more than a tenth of their values lie beyond the "
            "fit's range by more than its width. "
            f"{type(self).__name__} fills holes on the scale of the data it was fitted "
            "on, so its imputations will not follow X's scale. Was X rescaled (for "
            "example 0-255 pixels given to an imputer fitted on [0, 1])? Bring X to the "
            "fit's scale, or refit on data of X's scale.",
            UserWarning,
        )

    def _transform_full(self, X):
        """Imputed array in the input's feature space (nothing dropped or added): a hook.

        What :meth:`score` and :func:`~sklimpute.metrics.holdout_error`
        compare with the hidden truth: every input feature, in the input's
        order and units, whatever ``keep_empty_features`` and
        ``add_indicator`` say. An imputer whose ``transform`` returns
        something else than its imputed numbers (VSAE's categories) overrides
        it to return numbers the metrics can compare.
        """
        check_is_fitted(self)
        X, _ = self._validate_X(X, reset=False, mask=False)
        return self._impute_array(X)

    def transform(self, X):
        """Fill every missing entry of X; observed entries are returned unchanged.

        Works batch by batch into one preallocated output, so that its memory
        is the output's plus a constant (the batches). Never trains.

        Warns (``UserWarning``) when X's observed values lie far outside the
        observed range of ``fit`` (more than its width beyond it, per feature,
        per channel for images): data on another scale would be imputed on
        the fit's. With an image ``shape``, a pixel never observed in ``fit``
        (and missing in X) takes the mean of its 4 neighbours in the
        completed image.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data with holes, with the features seen in ``fit``.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features_out)
            The completed data (float; the input's float dtype is kept), with
            the missing indicator appended when ``add_indicator=True``.
        """
        check_is_fitted(self)
        X, _ = self._validate_X(X, reset=False, mask=False)
        keep = None if self.keep_empty_features else ~self._empty_features
        return self._impute_array(X, keep=keep, indicator=self.add_indicator)

    def get_feature_names_out(self, input_features=None):
        """Output feature names, for ``set_output(transform="pandas")``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; defaults to ``feature_names_in_`` or
            ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str
            Names of the imputed features, then of the indicator columns.
        """
        check_is_fitted(self, "n_features_in_")
        names = _check_feature_names_in(self, input_features)
        if not self.keep_empty_features:
            names = names[~self._empty_features]
        if self.add_indicator:
            names = np.concatenate([names, self.indicator_.get_feature_names_out(
                _check_feature_names_in(self, input_features))])
        return np.asarray(names, dtype=object)

    def score(self, X, y=None):
        """Minus the MAE on a seeded 20% of the observed entries, hidden and imputed.

        Lets ``GridSearchCV(imputer, grid)`` choose hyperparameters on data
        with holes and no labels. The holdout is drawn from ``random_state``
        when it is an int, else with the fixed seed 0, so that every candidate
        is scored on the same entries. On a table with categorical features
        the hidden entries' losses are averaged: a numeric entry's absolute
        error in units of its feature's standard deviation, a categorical
        one's 0 (right category) or 1 (wrong), see
        :func:`~sklimpute.metrics.holdout_error`.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data with holes.
        y : None
            Ignored.

        Returns
        -------
        score : float
            ``-MAE`` on the hidden entries, in the data's units (higher is
            better); with categorical features, minus the mean loss above.
        """
        check_is_fitted(self)
        seed = self.random_state if isinstance(self.random_state, numbers.Integral) else 0
        return -holdout_error(self, X, metric="mae", holdout=0.2, random_state=seed)

    # ------------------------------------------- saving, multiple imputation
    def save(self, path):
        """Write the fitted imputer to a file that :func:`sklimpute.load` reads.

        The file holds parameters, arrays and network weights only, and
        loading it runs no code (see :mod:`sklimpute.persistence`); a model
        fitted on a GPU loads on a machine without one.

        Parameters
        ----------
        path : str or path-like
            The file to write (``.skl`` by convention).

        Returns
        -------
        path : pathlib.Path
            The file written.
        """
        return _save_imputer(self, path)

    @available_if(lambda self: hasattr(self, "sample_imputations"))
    def impute_with_spread(self, X, n_draws=20, *, random_state=None):
        """The mean of ``n_draws`` imputations of X and the per-entry standard deviation.

        Available on the imputers that draw (those with ``sample_imputations``).
        The mean of the draws is the multiple-imputation point estimate; it
        may differ from ``transform``, the model's single best guess.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data with holes.
        n_draws : int, default=20
            Number of draws (at least 2).
        random_state : int, RandomState instance or None, default=None
            Seeds the draws.

        Returns
        -------
        mean : ndarray of shape (n_samples, n_features)
            Observed entries unchanged, holes the mean of their draws.
        std : ndarray of shape (n_samples, n_features)
            Standard deviation of the draws (``ddof=1``); 0 on observed entries.
        """
        if int(n_draws) < 2:
            raise ValueError(f"n_draws must be at least 2 to measure a spread, got {n_draws!r}.")
        draws = np.asarray(self.sample_imputations(X, n_draws, random_state=random_state),
                           dtype=np.float64)
        return draws.mean(axis=0), draws.std(axis=0, ddof=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
