"""Categorical and boolean columns: which they are, how models see them, and the way back.

An imputer works on numbers. A column of categories (strings, a pandas
``category`` dtype, booleans, or numbers declared categorical) enters it as
integer *codes* ``0 .. K-1`` (NaN where missing), and its imputations leave
it as categories again. :class:`CategoricalEncoder` does both, for any
imputer, through :class:`~sklimpute.BaseImputer`'s ``_encode_columns`` hook
(run on the raw input before validation), and gives a DataFrame back with
its input's columns, dtypes and categories (``Int64``, ``Float64``,
``boolean``, ``bool``, ``category``, strings and numbers).

:class:`CategoricalMixin` plugs the encoder into an imputer with a
``categorical_features`` parameter, and chooses how its model sees a
category (``_category_coding``):

* ``"onehot"`` (matrix completion, the Gaussian model, GAIN, VAE-WL,
  MisGAN): the base class's hooks ``_to_model`` and ``_impute_model`` give
  the model a block of ``K`` indicator columns per categorical feature
  (:class:`OneHotBlocks`), scaled as the model scales its numeric
  features; a missing category is a block whose entries are all missing;
  the model's real-valued fill of a block is decoded by its argmax (the
  most likely category);
* ``"codes"`` (VSAE): the model reads the codes itself (its softmax
  decoders, :mod:`sklimpute.mixed`).

:func:`check_numeric_columns` is the error an imputer without categorical
support (the image models) gives for a non-numeric column.
"""

import numpy as np
import pandas as pd
from sklearn.base import TransformerMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import _check_feature_names_in

__all__ = ["CATEGORICAL_FEATURES_CONSTRAINT", "CategoricalEncoder", "CategoricalMixin", "OneHotBlocks",
           "categorical_mask", "check_numeric_columns"]

#: the ``_parameter_constraints`` entry of a ``categorical_features`` parameter
CATEGORICAL_FEATURES_CONSTRAINT = [StrOptions({"auto"}), "array-like", None]


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
    """Numbers that are not categories: booleans and ``category`` dtypes are categorical."""
    return (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
            and not isinstance(dtype, pd.CategoricalDtype))


def _plain_dtype(dtype):
    """A numpy float or integer dtype: what a float array gives back as it is."""
    return isinstance(dtype, np.dtype) and dtype.kind in "fiu"


def _storable_dtype(dtype):
    """``dtype`` in a form a model file stores: numpy and category dtypes, else its name."""
    return dtype if isinstance(dtype, (np.dtype, pd.CategoricalDtype)) else str(dtype)


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


def categorical_mask(X, categorical_features="auto", *, infer=True):
    """Boolean mask of the categorical columns of ``X``.

    Parameters
    ----------
    X : ndarray or DataFrame of shape (n_samples, n_features)
        The raw input.
    categorical_features : "auto", None, array-like of int, of bool or of str, default="auto"
        Indices, a boolean mask or (DataFrames) column names of the columns
        to treat as categorical, whatever their dtype; "auto" and None: none
        beyond those ``infer`` finds.
    infer : bool, default=True
        Also count every non-numeric DataFrame column (strings, ``category``
        dtype, ``object``) and every boolean one (``bool``, ``boolean``) as
        categorical.

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
    >>> df = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"], "c": [0, 1], "d": [True, False]})
    >>> categorical_mask(df).tolist()
    [False, True, False, True]
    >>> categorical_mask(df, ["c"]).tolist()
    [False, True, True, True]
    """
    d = X.shape[1]
    mask = np.zeros(d, dtype=bool)
    columns = list(X.columns) if hasattr(X, "columns") else None
    if columns is not None and infer:
        mask |= np.array([not _is_numeric_dtype(t) for t in X.dtypes], dtype=bool)
    cf = categorical_features
    if cf is None or (isinstance(cf, str) and cf == "auto"):
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
    categorical_features : "auto", None, array-like of int, of bool or of str, default="auto"
        The columns to encode whatever their dtype, see :func:`categorical_mask`.
    infer : bool, default=True
        Also encode every non-numeric and every boolean DataFrame column.

    Attributes
    ----------
    categorical_ : ndarray of bool of shape (n_features,)
        Which columns are categorical.
    categories_ : list of (ndarray or None)
        Per column, its categories in the order of their codes (a pandas
        categorical dtype's categories, else the sorted observed values), or
        None for a numeric column.
    dtypes_ : list
        Per column, its input dtype when ``X`` was a DataFrame (None
        otherwise), which :meth:`inverse_transform` gives back.
    frame_ : bool
        Whether :meth:`inverse_transform` returns a DataFrame: ``X`` was one
        with a column that a float array cannot give back (categories,
        booleans, pandas' nullable ``Int64``/``Float64``, strings).

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

    def __init__(self, categorical_features="auto", *, infer=True):
        self.categorical_features = categorical_features
        self.infer = infer

    def fit(self, X):
        """Learn which columns of the 2-D ``X`` are categorical, their categories and dtypes."""
        d = X.shape[1]
        self.categorical_ = categorical_mask(X, self.categorical_features, infer=self.infer)
        self.categories_ = [None] * d
        dtypes = list(getattr(X, "dtypes", [None] * d)) if hasattr(X, "columns") else [None] * d
        self.dtypes_ = [None if t is None else _storable_dtype(t) for t in dtypes]
        self.frame_ = any(t is not None and not _plain_dtype(t) for t in dtypes)
        for j in np.flatnonzero(self.categorical_):
            col = _column(X, j)
            dtype = getattr(col, "dtype", None)
            if isinstance(dtype, pd.CategoricalDtype):
                cats = list(dtype.categories)
            else:
                cats = _sorted_unique(np.asarray(col, dtype=object)[~_missing(col)])
            self.categories_[j] = np.asarray(cats)
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

    def _categories_of(self, j, codes):
        """The categories of feature ``j`` at ``codes`` (object array, None where a code is invalid)."""
        cats = self.categories_[j]
        valid = np.isfinite(codes) & (codes >= 0) & (codes < len(cats))
        idx = np.where(valid, codes, 0).astype(np.int64)
        values = np.asarray(cats, dtype=object)[idx] if len(cats) else np.full(len(codes), None)
        return np.where(valid, values, None), valid, idx

    def _restore(self, j, values):
        """Column ``j`` of an imputed frame: its codes or numbers in the fit's dtype."""
        dtype = self.dtypes_[j]
        if self.categorical_[j]:
            decoded, valid, idx = self._categories_of(j, values)
            if isinstance(dtype, pd.CategoricalDtype):
                return pd.Categorical.from_codes(np.where(valid, idx, -1), dtype=dtype)
            if dtype is not None and pd.api.types.pandas_dtype(dtype) == np.dtype(bool) and not valid.all():
                dtype = "boolean"  # a never-observed boolean feature has no value to give
            return pd.array(decoded, dtype=dtype)
        if dtype is None:
            return values
        dtype = pd.api.types.pandas_dtype(dtype)
        if pd.api.types.is_integer_dtype(dtype):  # Int64 and int64: imputations are rounded
            values = np.round(values)
            if isinstance(dtype, np.dtype) and np.isnan(values).any():
                return values  # an empty feature kept by keep_empty_features: no integer to give
        return values.astype(dtype) if isinstance(dtype, np.dtype) else pd.array(values, dtype=dtype)

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
            Column names and row index of the DataFrame returned.
        as_frame : bool, default=True
            Whether a 2-D ``out`` becomes a DataFrame with every feature in
            its input dtype (when :attr:`frame_`), or with its non-numeric
            categories; when False (or ``out`` is not 2-D) such columns keep
            their codes.

        Returns
        -------
        decoded : ndarray or DataFrame
            ``out``, numeric categories written in place of their codes, or a
            DataFrame as described by ``as_frame``.
        """
        cat = self.categorical_
        columns = np.arange(out.shape[-1]) if columns is None else columns
        if as_frame and out.ndim == 2 and self.frame_:
            df = pd.DataFrame(out, columns=names, index=index)
            for k, j in enumerate(columns):
                if j >= 0:
                    df.isetitem(k, self._restore(j, out[:, k]))
            return df
        frame = {}
        for k, j in enumerate(columns):
            if j < 0 or not cat[j]:
                continue
            cats = self.categories_[j]
            if cats.dtype.kind in "biuf":
                decoded, valid, _ = self._categories_of(j, out[..., k])
                out[..., k] = np.where(valid, decoded, np.nan).astype(np.float64)
            elif out.ndim == 2 and as_frame:
                frame[k] = self._restore(j, out[:, k])
        if not frame:
            return out
        df = pd.DataFrame(out, columns=names, index=index)
        for k, col in frame.items():
            df.isetitem(k, col)
        return df


class OneHotBlocks:
    """Category codes as blocks of indicator columns, and real-valued blocks back to codes.

    The representation of a categorical feature for a model that sees real
    numbers: its ``K`` categories become ``K`` columns, one per category,
    scaled as the model scales numeric features (``"standard"``: each
    indicator centred on its observed frequency and divided by its standard
    deviation; otherwise left 0/1). A missing category is a block whose
    entries are all missing; a block the model filled is decoded to the
    category of its largest (unscaled) entry. Numeric features pass through.

    Parameters
    ----------
    cardinalities : sequence of int
        Per feature: 0 for a numeric feature, ``K`` for a categorical one (a
        feature with no observed category gets one column and decodes to
        missing).
    scaling : {"standard", "minmax"} or None
        How the model scales its features.

    Attributes
    ----------
    columns_ : ndarray of int of shape (n_expanded,)
        The feature of each expanded column.
    offset_, scale_ : ndarray of shape (n_expanded,)
        The expanded column's scaling: ``(indicator - offset_) / scale_``
        (0 and 1 for numeric features, which pass through).

    Examples
    --------
    >>> import numpy as np
    >>> blocks = OneHotBlocks([0, 3], scaling=None)
    >>> X = np.array([[0.5, 2.0], [-1.0, 0.0], [0.2, 0.0]])
    >>> observed = np.array([[True, True], [True, True], [True, False]])
    >>> Xe, obs_e = blocks.fit(X, observed).expand(X, observed)
    >>> Xe
    array([[ 0.5,  0. ,  0. ,  1. ],
           [-1. ,  1. ,  0. ,  0. ],
           [ 0.2,  0. ,  0. ,  0. ]])
    >>> obs_e[2].tolist()
    [True, False, False, False]
    >>> blocks.collapse(np.array([[0.2, 0.1, 0.7, 0.2]]))
    array([[0.2, 1. ]])
    """

    def __init__(self, cardinalities, scaling=None):
        self.cardinalities = cardinalities
        self.scaling = scaling

    def fit(self, X, observed):
        """Learn the layout, and the indicators' scaling from the observed codes of ``X``."""
        card = np.asarray(self.cardinalities, dtype=np.int64)
        widths = np.where(card > 0, card, 1)
        self.categorical_ = card > 0
        self.columns_ = np.repeat(np.arange(len(card)), np.where(self.categorical_, widths, 1))
        self.starts_ = np.concatenate([[0], np.cumsum(np.where(self.categorical_, widths, 1))[:-1]])
        self.widths_ = np.where(self.categorical_, widths, 1)
        n_e = len(self.columns_)
        self.offset_, self.scale_ = np.zeros(n_e), np.ones(n_e)
        if self.scaling == "standard":
            onehot, obs = self._indicators(X, observed)
            count = np.maximum(obs.sum(axis=0), 1)
            p = np.where(obs, onehot, 0.0).sum(axis=0) / count
            is_cat = self.categorical_[self.columns_]
            sd = np.sqrt(np.where(is_cat, p * (1.0 - p), 1.0))
            self.offset_ = np.where(is_cat, p, 0.0)
            self.scale_ = np.where(is_cat & (sd > 0), sd, 1.0)
        return self

    def _indicators(self, X, observed):
        """Unscaled expansion: indicators (0 where missing) and the expanded mask."""
        cols = self.columns_
        Xe = X[:, cols].astype(np.float64, copy=True)
        obs_e = observed[:, cols]
        position = np.arange(len(cols)) - self.starts_[cols]
        is_cat = self.categorical_[cols]
        Xe[:, is_cat] = (np.round(Xe[:, is_cat]) == position[is_cat]) & obs_e[:, is_cat]
        return Xe, obs_e

    def expand(self, X, observed):
        """``X`` (codes in the categorical features, 0 in holes) as scaled blocks, and their mask."""
        Xe, obs_e = self._indicators(X, observed)
        Xe = np.where(obs_e, (Xe - self.offset_) / self.scale_, 0.0)
        return Xe, obs_e

    def collapse(self, Xe):
        """Expanded values back to features: numbers as they are, blocks to the code of their argmax."""
        Xe = np.asarray(Xe, dtype=np.float64)
        out = Xe[:, self.starts_].copy()
        raw = Xe * self.scale_ + self.offset_
        for j in np.flatnonzero(self.categorical_):
            a = self.starts_[j]
            out[:, j] = np.argmax(raw[:, a:a + self.widths_[j]], axis=1)
        return out

    def collapse_mask(self, obs_e):
        """Expanded mask back to features (a block's first entry)."""
        return np.asarray(obs_e)[:, self.starts_]

    def expand_vector(self, values, fill):
        """A per-feature vector as one value per expanded column, ``fill`` in the blocks."""
        values = np.asarray(values, dtype=np.float64)[self.columns_]
        return np.where(self.categorical_[self.columns_], fill, values)


class CategoricalMixin(TransformerMixin):
    """Categorical and boolean columns in and out of an imputer.

    For a :class:`~sklimpute.BaseImputer` subclass with a
    ``categorical_features`` parameter ("auto": the non-numeric and boolean
    DataFrame columns, found from the dtypes, for tables; names, indices or
    a mask add columns, see :func:`categorical_mask`). Its ``_encode_columns``
    hook learns the categories in ``fit`` (a :class:`CategoricalEncoder`)
    and gives the base class the codes ``0 .. K-1``; ``_to_model`` and
    ``_impute_model`` give the model what ``_category_coding`` says
    (indicator blocks, :class:`OneHotBlocks`, or the codes); :meth:`transform`
    gives the categories back, and a DataFrame with the input's columns,
    dtypes and categories when the input had any column a float array cannot
    give back (categories, booleans, pandas' nullable dtypes). Categorical
    features need ``missing_values=np.nan`` and ``shape=None`` (images stay
    numeric). Sets ``categorical_`` and ``categories_`` (see
    :class:`CategoricalEncoder`). A :class:`~sklearn.base.TransformerMixin`,
    so that scikit-learn's ``set_output`` wraps its :meth:`transform` too.
    """

    #: how the model sees a categorical feature: "onehot" (a block of
    #: indicators, decoded by argmax) or "codes" (the model reads 0 .. K-1)
    _category_coding = "onehot"

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
                cf = self.categorical_features
                if (self.shape is not None and self._category_coding == "onehot"
                        and not (cf is None or isinstance(cf, str))):
                    raise ValueError(
                        f"{type(self).__name__} imputes images (shape={self.shape!r}) as "
                        "numbers: categorical_features is for tables (shape=None).")
                encoder = CategoricalEncoder(cf, infer=self.shape is None).fit(X)
                self._categorical_encoder = encoder
                self.categorical_, self.categories_ = encoder.categorical_, encoder.categories_
        encoder = getattr(self, "_categorical_encoder", None)
        if encoder is not None and encoder.encodes(X):
            if not (isinstance(self.missing_values, float) and np.isnan(self.missing_values)):
                raise ValueError("Categorical features need missing_values=np.nan.")
            X = encoder.transform(X)
        check_numeric_columns(X)
        return X

    def _to_model(self, X, observed):
        """The scaled data of ``fit`` as the model sees it (BaseImputer's hook).

        The codes are unscaled (:meth:`_unscale_codes`); with
        ``_category_coding="onehot"`` each categorical feature becomes a
        block of indicators (:class:`OneHotBlocks`).
        """
        X = self._unscale_codes(X, observed)
        self._onehot = None
        if self._category_coding == "onehot" and self.categorical_.any():
            card = [len(c) if self.categorical_[j] else 0 for j, c in enumerate(self.categories_)]
            self._onehot = OneHotBlocks(card, self._scaling).fit(X, observed)
            X, observed = self._onehot.expand(X, observed)
        return X, observed

    def _impute_model(self, impute, X, observed):
        """``impute`` on one scaled batch, through the model's representation (BaseImputer's hook)."""
        blocks = getattr(self, "_onehot", None)
        if blocks is None:
            return impute(X, observed)
        return blocks.collapse(impute(*blocks.expand(X, observed)))

    def _model_groups(self):
        """The feature of each of the model's columns (None: one column per feature)."""
        blocks = getattr(self, "_onehot", None)
        return None if blocks is None else blocks.columns_

    def _model_vector(self, values, fill):
        """A per-feature vector in the model's columns (``fill`` in indicator blocks)."""
        blocks = getattr(self, "_onehot", None)
        return values if blocks is None else blocks.expand_vector(values, fill)

    def _from_model(self, X, observed=None):
        """Rows in the model's columns (generated ones) back to features: codes in blocks."""
        blocks = getattr(self, "_onehot", None)
        if blocks is None:
            return X, observed
        return blocks.collapse(X), None if observed is None else blocks.collapse_mask(observed)

    def _decode_columns(self, out, X=None, columns=None, as_frame=True):
        """Codes of the categorical columns back to their categories.

        ``columns``: the feature index of each column of ``out`` (-1 for
        added indicator columns); None: every input feature, in order.
        Numeric categories are written into the float array; a DataFrame is
        returned as :meth:`CategoricalEncoder.inverse_transform` says.
        """
        names = (self.get_feature_names_out() if columns is not None
                 else _check_feature_names_in(self, None))
        return self._categorical_encoder.inverse_transform(
            out, columns=columns, names=names, index=getattr(X, "index", None), as_frame=as_frame)

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
            seen in ``fit``). A DataFrame whose columns have the input's
            dtypes (categories, ``bool``/``boolean``, ``Int64``, ...) when
            the input of ``fit`` had a column a float array cannot give
            back, or categories that are not numbers; a float array
            otherwise.
        """
        out = super().transform(X)
        if isinstance(out, pd.DataFrame):  # the base's transform is wrapped by set_output too
            out = out.to_numpy()
        return self._decode_columns(out, X, self._output_columns())

    def _transform_full(self, X):
        return self._decode_columns(super()._transform_full(X), X)
