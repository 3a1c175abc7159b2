"""Categorical columns: which they are, their codes, and the way back.

An imputer works on numbers. A column of categories (strings, a pandas
``category`` dtype, booleans, or numbers declared categorical) enters it as
integer *codes* ``0 .. K-1`` (NaN where missing), and its imputations leave
it as categories again. :class:`CategoricalEncoder` does both, for any
imputer, through :class:`~sklimpute.BaseImputer`'s ``_encode_columns`` hook
(run on the raw input before validation)::

    def _encode_columns(self, X, *, reset):
        if reset:
            self.encoder_ = CategoricalEncoder(self.categorical_features).fit(X)
        return self.encoder_.transform(X)

and :meth:`CategoricalEncoder.inverse_transform` on the imputed array.
:class:`CategoricalMixin` does exactly that for an imputer with a
``categorical_features`` parameter; :class:`~sklimpute.VSAEImputer` uses it
(its one-hot decoders read the codes). :func:`check_numeric_columns` is the error an imputer without
categorical support gives for a non-numeric column.
"""

import numpy as np
import pandas as pd
from sklearn.base import TransformerMixin

__all__ = ["CategoricalEncoder", "CategoricalMixin", "categorical_mask", "check_numeric_columns"]


def check_numeric_columns(X):
    """Raise a clear ``ValueError`` naming the non-numeric columns of a DataFrame.

    Arrays and DataFrames whose columns are all numeric (numpy kinds ``b``,
    ``i``, ``u``, ``f`` or pandas' numeric extension dtypes) pass.

    Examples
    --------
    >>> import pandas as pd
    >>> check_numeric_columns(pd.DataFrame({"a": [1.0], "b": pd.array([1], dtype="Int64")}))
    >>> check_numeric_columns(pd.DataFrame({"a": [1.0], "c": ["x"]}))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: X has non-numeric column(s): 'c' ...
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "columns"):
        return
    bad = []
    for name, dtype in zip(X.columns, dtypes):
        kind = getattr(dtype, "kind", "O")
        if kind in "biuf":
            continue
        # pandas extension dtypes (Float64, Int64, boolean) are numeric too
        if getattr(dtype, "_is_numeric", False):
            continue
        bad.append(f"{name!r} ({dtype})")
    if bad:
        raise ValueError(
            "X has non-numeric column(s): " + ", ".join(bad) + ". This imputer works "
            "on numbers: encode categorical columns first (for example with "
            "sklearn.preprocessing.OrdinalEncoder) or drop them."
        )


def _is_numeric_dtype(dtype):
    return pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype)


def _sorted_unique(values):
    uniq = pd.unique(pd.Series(values, dtype=object))
    try:
        return sorted(uniq)
    except TypeError:
        return sorted(uniq, key=str)


def _column(X, j):
    return X.iloc[:, j] if hasattr(X, "iloc") else X[:, j]


def _missing(values):
    return np.asarray(pd.isna(values), dtype=bool)


def categorical_mask(X, categorical_features=None, *, infer=True):
    """Boolean mask of the categorical columns of ``X``.

    Parameters
    ----------
    X : ndarray or DataFrame of shape (n_samples, n_features)
        The raw input.
    categorical_features : None, array-like of int, of bool or of str, default=None
        Indices, a boolean mask or (DataFrames) column names of the columns
        to treat as categorical, whatever their dtype.
    infer : bool, default=True
        Also count every non-numeric DataFrame column (strings, ``category``
        dtype) as categorical.

    Returns
    -------
    mask : ndarray of bool of shape (n_features,)

    Raises
    ------
    ValueError
        If ``categorical_features`` is malformed, out of range, or names
        columns that ``X`` does not have.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"], "c": [0, 1]})
    >>> categorical_mask(df, ["c"]).tolist()
    [False, True, True]
    """
    d = X.shape[1]
    mask = np.zeros(d, dtype=bool)
    columns = list(X.columns) if hasattr(X, "columns") else None
    if columns is not None and infer:
        mask |= np.array([not _is_numeric_dtype(t) for t in X.dtypes], dtype=bool)
    cf = categorical_features
    if cf is None:
        return mask
    cf = np.asarray(cf)
    if cf.dtype == bool:
        if cf.shape != (d,):
            raise ValueError(
                f"categorical_features as a boolean mask must have one entry per feature "
                f"({d}), got shape {cf.shape}.")
        return mask | cf
    if cf.dtype.kind in "OUS":
        if columns is None:
            raise ValueError("categorical_features given by name needs X as a DataFrame.")
        unknown = [c for c in cf.ravel() if c not in columns]
        if unknown:
            raise ValueError(f"categorical_features names {unknown} are not columns of X.")
        mask[[columns.index(c) for c in cf.ravel()]] = True
        return mask
    if cf.dtype.kind not in "iu" or cf.ndim != 1 or (cf.size and (cf.min() < -d or cf.max() >= d)):
        raise ValueError(
            f"categorical_features must be indices in [0, {d}), a boolean mask or column names; "
            f"got {categorical_features!r}.")
    mask[cf] = True
    return mask


class CategoricalEncoder:
    """Categorical columns to integer codes and back, learned on the raw input.

    Parameters
    ----------
    categorical_features : None, array-like of int, of bool or of str, default=None
        The columns to encode whatever their dtype, see :func:`categorical_mask`.
    infer : bool, default=True
        Also encode every non-numeric DataFrame column.

    Attributes
    ----------
    categorical_ : ndarray of bool of shape (n_features,)
        Which columns are categorical.
    categories_ : list of (ndarray or None)
        Per column, its categories in the order of their codes (a pandas
        categorical dtype's categories, else the sorted observed values), or
        None for a numeric column.
    dtypes_ : list
        Per categorical column, its input dtype (None elsewhere), which
        :meth:`inverse_transform` gives back.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> df = pd.DataFrame({"x": [0.5, np.nan, 2.0], "colour": ["red", "blue", None]})
    >>> enc = CategoricalEncoder().fit(df)
    >>> enc.categories_[1].tolist()
    ['blue', 'red']
    >>> codes = enc.transform(df)
    >>> codes["colour"].tolist()
    [1.0, 0.0, nan]
    >>> filled = np.array([[0.5, 1.0], [1.2, 0.0], [2.0, 0.0]])
    >>> enc.inverse_transform(filled, names=df.columns)["colour"].tolist()
    ['red', 'blue', 'blue']
    """

    def __init__(self, categorical_features=None, *, infer=True):
        self.categorical_features = categorical_features
        self.infer = infer

    def fit(self, X):
        """Learn which columns of the 2-D ``X`` are categorical, and their categories."""
        d = X.shape[1]
        self.categorical_ = categorical_mask(X, self.categorical_features, infer=self.infer)
        self.categories_ = [None] * d
        self.dtypes_ = [None] * d
        for j in np.flatnonzero(self.categorical_):
            col = _column(X, j)
            dtype = getattr(col, "dtype", None)
            if isinstance(dtype, pd.CategoricalDtype):
                cats = list(dtype.categories)
            else:
                cats = _sorted_unique(np.asarray(col, dtype=object)[~_missing(col)])
            self.categories_[j] = np.asarray(cats)
            self.dtypes_[j] = dtype
        return self

    def encodes(self, X):
        """Whether :meth:`transform` changes ``X``: categorical columns, and ``X`` is 2-D of the fit's width."""
        cat = self.categorical_
        return bool(cat.any()) and X.ndim == 2 and X.shape[1] == len(cat)

    def transform(self, X):
        """``X`` with the codes of its categorical columns (NaN where missing).

        A DataFrame stays a DataFrame (its categorical columns replaced by
        float codes); anything else becomes a float array. ``X`` is returned
        unchanged when :meth:`encodes` is False.

        Raises
        ------
        ValueError
            If a categorical column holds a category not seen in :meth:`fit`,
            or a numeric column of an array holds something that is not a
            number.
        """
        if not self.encodes(X):
            return X
        cat = self.categorical_
        codes = {}
        for j in np.flatnonzero(cat):
            col = _column(X, j)
            values = np.asarray(col, dtype=object)
            missing = _missing(col)
            cats = self.categories_[j]
            c = pd.Index(cats, dtype=object).get_indexer(pd.Index(values, dtype=object))
            c = np.where(missing, -1, c)
            unknown = (c < 0) & ~missing
            if unknown.any():
                raise ValueError(
                    f"Feature {j} has categories not seen in fit: "
                    f"{_sorted_unique(values[unknown])[:5]}.")
            codes[j] = np.where(missing, np.nan, c.astype(np.float64))
        if hasattr(X, "iloc"):
            X = X.copy()
            for j, c in codes.items():
                X.isetitem(j, c)
            return X
        arr = np.asarray(X)
        if arr.dtype.kind not in "biuf":
            out = np.empty(arr.shape, dtype=np.float64)
            for j in np.flatnonzero(~cat):
                try:
                    out[:, j] = arr[:, j].astype(np.float64)
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"X contains values that are not numbers ({exc}) in feature {j}, "
                                     "which is not in categorical_features.") from exc
        else:
            out = arr.astype(np.float64 if arr.dtype.kind != "f" else arr.dtype, copy=True)
        for j, c in codes.items():
            out[:, j] = c
        return out

    def inverse_transform(self, out, *, columns=None, names=None, index=None, as_frame=True):
        """Codes of the categorical columns back to their categories.

        Parameters
        ----------
        out : ndarray of shape (..., n_columns)
            Imputed values, codes in the categorical columns (rounded codes
            outside ``0 .. K-1`` become missing). Modified in place.
        columns : ndarray of int or None, default=None
            The feature index of each column of ``out`` (-1 for a column that
            is no feature, such as a missing indicator); None: ``0, 1, ...``.
        names, index : array-like or None, default=None
            Column names and row index of the DataFrame returned for
            non-numeric categories.
        as_frame : bool, default=True
            Whether a 2-D ``out`` with non-numeric categories becomes a
            DataFrame whose categorical columns have their input dtype; when
            False (or ``out`` is not 2-D) such columns keep their codes.

        Returns
        -------
        decoded : ndarray or DataFrame
            ``out``, numeric categories written in place of their codes, or a
            DataFrame when some categories are not numbers.
        """
        cat = self.categorical_
        columns = np.arange(out.shape[-1]) if columns is None else columns
        frame = {}
        for k, j in enumerate(columns):
            if j < 0 or not cat[j]:
                continue
            cats = self.categories_[j]
            codes = out[..., k]
            valid = np.isfinite(codes) & (codes >= 0) & (codes < len(cats))
            idx = np.where(valid, codes, 0).astype(np.int64)
            if cats.dtype.kind in "biuf":
                out[..., k] = np.where(valid, cats[idx] if len(cats) else np.nan, np.nan)
            elif out.ndim == 2 and as_frame:
                dtype = self.dtypes_[j]
                if isinstance(dtype, pd.CategoricalDtype):
                    frame[k] = pd.Categorical.from_codes(np.where(valid, idx, -1), dtype=dtype)
                else:
                    frame[k] = pd.array(np.where(valid, cats[idx], None), dtype=dtype)
        if not frame:
            return out
        df = pd.DataFrame(out, columns=names, index=index)
        for k, col in frame.items():
            df.isetitem(k, col)
        return df


class CategoricalMixin(TransformerMixin):
    """Categorical columns in and out of an imputer, through :class:`CategoricalEncoder`.

    For a :class:`~sklimpute.BaseImputer` subclass with a
    ``categorical_features`` parameter (see :func:`categorical_mask`; with
    ``shape`` None every non-numeric DataFrame column is categorical too).
    Its ``_encode_columns`` hook learns the categories in ``fit`` and gives
    the model the codes ``0 .. K-1``; :meth:`transform` gives the categories
    back. The model's ``_fit`` calls :meth:`_unscale_codes` to read the codes
    unscaled, and its imputations of a categorical column must be codes.
    Categorical features need ``missing_values=np.nan``. Sets
    ``categorical_`` and ``categories_`` (see :class:`CategoricalEncoder`).
    A :class:`~sklearn.base.TransformerMixin`, so that scikit-learn's
    ``set_output`` wraps its :meth:`transform` too.
    """

    def _encode_columns(self, X, *, reset):
        """Replace categorical columns by their codes (NaN where missing).

        In ``fit`` (``reset``) a :class:`~sklimpute.categorical.CategoricalEncoder`
        learns the categorical columns and their categories: a pandas
        categorical dtype's categories in order, or the sorted observed values.
        """
        if not hasattr(X, "iloc") and not hasattr(X, "shape"):
            X = np.asarray(X)
        if reset:
            self._categorical_encoder = None
            if X.ndim == 2:
                encoder = CategoricalEncoder(self.categorical_features, infer=self.shape is None).fit(X)
                self._categorical_encoder = encoder
                self.categorical_, self.categories_ = encoder.categorical_, encoder.categories_
        encoder = getattr(self, "_categorical_encoder", None)
        if encoder is not None and encoder.encodes(X):
            if not (isinstance(self.missing_values, float) and np.isnan(self.missing_values)):
                raise ValueError("Categorical features need missing_values=np.nan.")
            X = encoder.transform(X)
        check_numeric_columns(X)
        return X

    def _decode_columns(self, out, X=None, columns=None, as_frame=True):
        """Codes of the categorical columns back to their categories.

        ``columns``: the feature index of each column of ``out`` (-1 for
        added indicator columns). Numeric categories are written into the
        float array; with non-numeric categories a DataFrame is returned.
        """
        return self._categorical_encoder.inverse_transform(
            out, columns=columns, names=self.get_feature_names_out(), index=getattr(X, "index", None),
            as_frame=as_frame)

    def _output_columns(self):
        """The input feature of each output column (-1 for a missing-indicator column)."""
        d = self.n_features_in_
        cols = np.arange(d) if self.keep_empty_features else np.flatnonzero(~self._empty_features)
        if self.add_indicator:
            cols = np.concatenate([cols, -np.ones(len(self.indicator_.features_), dtype=np.int64)])
        return cols

    def _unscale_codes(self, X, observed):
        """The scaled ``X`` of ``_fit`` with its codes unscaled (0 where missing).

        The base class scaled every column; the codes are put back and the
        scaling made the identity on them, so that imputed codes come back
        unchanged.
        """
        cat = self.categorical_
        if cat.any():
            sc = self.scaler_
            X = X.copy()
            X[:, cat] = np.where(observed[:, cat], np.round(X[:, cat] * sc.scale_[cat] + sc.offset_[cat]), 0.0)
            sc.offset_ = np.where(cat, 0.0, sc.offset_)
            sc.scale_ = np.where(cat, 1.0, sc.scale_)
        return X

    def transform(self, X):
        """Fill every missing entry of X; observed entries are returned unchanged.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data with holes, with the features seen in ``fit``.

        Returns
        -------
        X_imputed : ndarray or DataFrame of shape (n_samples, n_features_out)
            The completed data. Categorical features hold categories (one
            seen in ``fit``); when some categories are not numbers the result
            is a DataFrame whose categorical columns keep their input dtype.
        """
        out = super().transform(X)
        if isinstance(out, pd.DataFrame):  # the base's transform is wrapped by set_output too
            out = out.to_numpy()
        return self._decode_columns(out, X, self._output_columns())

    def _transform_full(self, X):
        return self._decode_columns(super()._transform_full(X), as_frame=False)
