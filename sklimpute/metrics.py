"""Imputation error metrics and a scorer for model selection.

The metrics compare a complete ground-truth table with an imputed one on the
entries selected by a boolean ``mask`` (``True`` = the entry was hidden from
the imputer and its reconstruction is scored):

* :func:`mae` -- mean absolute error,
* :func:`rmse` -- root mean squared error,
* :func:`nrmse` -- RMSE divided by the standard deviation of the true values
  over the masked entries,
* :func:`pfc` -- proportion of falsely classified entries, for categorical
  data (any dtype, strings included).

:func:`holdout_error` measures how well a *fitted* imputer reconstructs
observed entries it has not seen (on tables with categorical features: the
mean over the hidden entries of a numeric entry's standardised error and a
categorical entry's misclassification), and :func:`make_imputation_scorer` turns
that into a ``scoring=`` callable for :class:`~sklearn.model_selection.GridSearchCV`
or :func:`~sklearn.model_selection.cross_val_score`, so an imputer can be
tuned on incomplete data alone, without labels.

For generative models of images, entry-wise errors reward blur: the
Fréchet distance of :mod:`sklimpute.fid` compares whole distributions
instead. :func:`count_squares` counts the fill-coloured squares in images,
the artefact Missing Glow's samples are judged by.

This module needs no torch: an imputer is scored through its ``transform``,
or for sklimpute's imputers through the ``_transform_full`` hook of
:class:`~sklimpute.BaseImputer` (the imputed array in the input's feature
space).
"""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import ndimage

from .categorical import categorical_mask
from .simulate import hide_observed

__all__ = [
    "mae",
    "rmse",
    "nrmse",
    "pfc",
    "METRICS",
    "holdout_error",
    "make_imputation_scorer",
    "count_squares",
]


# --------------------------------------------------------------------------
# input validation
# --------------------------------------------------------------------------
def _as_array(X, name, numeric):
    """Return ``X`` (array-like or DataFrame) as an ndarray."""
    if isinstance(X, (pd.DataFrame, pd.Series)):
        X = X.to_numpy(dtype=float if numeric else object)
    if numeric:
        try:
            return np.asarray(X, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{name} must hold numeric values for this metric; use pfc "
                f"for categorical data ({exc})."
            ) from exc
    X = np.asarray(X)
    if X.dtype.kind not in "biufcmM":
        X = X.astype(object)
    return X


def _as_mask(mask):
    """Return ``mask`` as a boolean ndarray (0/1 integers are accepted)."""
    if isinstance(mask, (pd.DataFrame, pd.Series)):
        mask = mask.to_numpy()
    mask = np.asarray(mask)
    if mask.dtype != bool:
        if mask.dtype.kind in "iuf" and np.isin(mask, (0, 1)).all():
            mask = mask.astype(bool)
        else:
            raise ValueError(
                f"mask must be a boolean array (True = scored entry), got "
                f"dtype {mask.dtype}."
            )
    return mask


def _check_inputs(X_true, X_imputed, mask, numeric=True):
    """Validate the three inputs and return the masked true/imputed values."""
    X_true = _as_array(X_true, "X_true", numeric)
    X_imputed = _as_array(X_imputed, "X_imputed", numeric)
    mask = _as_mask(mask)
    if X_true.shape != X_imputed.shape:
        raise ValueError(
            f"X_true and X_imputed must have the same shape, got "
            f"{X_true.shape} and {X_imputed.shape}."
        )
    if mask.shape != X_true.shape:
        raise ValueError(
            f"mask must have the same shape as X_true, got {mask.shape} and "
            f"{X_true.shape}."
        )
    if not mask.any():
        raise ValueError("mask selects no entry; there is nothing to score.")
    true_vals = X_true[mask]
    imputed_vals = X_imputed[mask]
    if pd.isna(imputed_vals).any():
        raise ValueError(
            f"X_imputed has {int(pd.isna(imputed_vals).sum())} missing (NaN) "
            f"value(s) at masked entries; the imputer left holes unfilled."
        )
    if pd.isna(true_vals).any():
        raise ValueError(
            "X_true has missing (NaN) values at masked entries; the ground "
            "truth must be known wherever mask is True."
        )
    return true_vals, imputed_vals


# --------------------------------------------------------------------------
# metrics
# --------------------------------------------------------------------------
def mae(X_true, X_imputed, mask):
    """Mean absolute error over the masked entries.

    Parameters
    ----------
    X_true : array-like or DataFrame
        Ground-truth values.
    X_imputed : array-like or DataFrame of the same shape
        Imputed values.
    mask : array-like of bool of the same shape
        ``True`` at the entries to score (the entries that were hidden).

    Returns
    -------
    float
        ``mean(|X_true - X_imputed|)`` over the entries where ``mask`` is
        ``True``.

    Raises
    ------
    ValueError
        If the shapes differ, ``mask`` selects no entry, or a masked entry
        of ``X_imputed`` (or ``X_true``) is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from sklimpute.metrics import mae
    >>> X_true = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    >>> X_imp = np.array([[1.0, 0.0, 3.0], [4.0, 6.0, 9.0]])
    >>> mask = np.array([[False, True, False], [False, True, True]])
    >>> mae(X_true, X_imp, mask)  # (2 + 1 + 3) / 3
    2.0
    """
    t, p = _check_inputs(X_true, X_imputed, mask)
    return float(np.mean(np.abs(t - p)))


def rmse(X_true, X_imputed, mask):
    """Root mean squared error over the masked entries.

    Parameters
    ----------
    X_true : array-like or DataFrame
        Ground-truth values.
    X_imputed : array-like or DataFrame of the same shape
        Imputed values.
    mask : array-like of bool of the same shape
        ``True`` at the entries to score (the entries that were hidden).

    Returns
    -------
    float
        ``sqrt(mean((X_true - X_imputed) ** 2))`` over the entries where
        ``mask`` is ``True``.

    Raises
    ------
    ValueError
        If the shapes differ, ``mask`` selects no entry, or a masked entry
        of ``X_imputed`` (or ``X_true``) is NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from sklimpute.metrics import rmse
    >>> X_true = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    >>> X_imp = np.array([[1.0, 0.0, 3.0], [4.0, 6.0, 9.0]])
    >>> mask = np.array([[False, True, False], [False, True, True]])
    >>> round(rmse(X_true, X_imp, mask), 6)  # sqrt((4 + 1 + 9) / 3)
    2.160247
    """
    t, p = _check_inputs(X_true, X_imputed, mask)
    return float(np.sqrt(np.mean((t - p) ** 2)))


def nrmse(X_true, X_imputed, mask):
    """Normalised root mean squared error over the masked entries.

    ``NRMSE = RMSE / std(X_true[mask])``, where the standard deviation is the
    population one (``ddof=0``) of the *true* values at the masked entries,
    pooled over all columns. A value of 1 means the imputation is as wrong as
    a constant guess at the mean of the hidden values would be.

    Parameters
    ----------
    X_true : array-like or DataFrame
        Ground-truth values.
    X_imputed : array-like or DataFrame of the same shape
        Imputed values.
    mask : array-like of bool of the same shape
        ``True`` at the entries to score (the entries that were hidden).

    Returns
    -------
    float
        The RMSE divided by the standard deviation of ``X_true[mask]``.

    Raises
    ------
    ValueError
        If the shapes differ, ``mask`` selects no entry, a masked entry of
        ``X_imputed`` (or ``X_true``) is NaN, or the true values at the
        masked entries are all equal (standard deviation 0, NRMSE undefined;
        use :func:`rmse` instead).

    Examples
    --------
    >>> import numpy as np
    >>> from sklimpute.metrics import nrmse
    >>> X_true = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    >>> X_imp = np.array([[1.0, 0.0, 3.0], [4.0, 6.0, 9.0]])
    >>> mask = np.array([[False, True, False], [False, True, True]])
    >>> # true values 2, 5, 6: std = sqrt(26/9); rmse = sqrt(14/3)
    >>> round(nrmse(X_true, X_imp, mask), 6)
    1.270978
    """
    t, p = _check_inputs(X_true, X_imputed, mask)
    std = float(np.std(t))
    if std == 0.0:
        raise ValueError(
            "NRMSE is undefined: the true values at the masked entries all "
            "equal each other (standard deviation 0). Use rmse instead."
        )
    return float(np.sqrt(np.mean((t - p) ** 2)) / std)


def pfc(X_true, X_imputed, mask):
    """Proportion of falsely classified entries among the masked entries.

    An entry counts as wrong when the imputed value differs from the true one
    (exact inequality ``!=``), so this metric suits categorical data of any
    dtype, strings and other objects included.

    Parameters
    ----------
    X_true : array-like or DataFrame
        Ground-truth values (numeric, string or object).
    X_imputed : array-like or DataFrame of the same shape
        Imputed values.
    mask : array-like of bool of the same shape
        ``True`` at the entries to score (the entries that were hidden).

    Returns
    -------
    float
        Share in ``[0, 1]`` of masked entries whose imputed value is wrong.

    Raises
    ------
    ValueError
        If the shapes differ, ``mask`` selects no entry, or a masked entry
        of ``X_imputed`` (or ``X_true``) is missing (NaN/None).

    Examples
    --------
    >>> import numpy as np
    >>> from sklimpute.metrics import pfc
    >>> X_true = np.array([["a", "b", "c"], ["a", "b", "c"]], dtype=object)
    >>> X_imp = np.array([["a", "b", "a"], ["a", "c", "c"]], dtype=object)
    >>> mask = np.array([[False, True, True], [False, True, True]])
    >>> pfc(X_true, X_imp, mask)  # 2 wrong out of 4
    0.5
    """
    t, p = _check_inputs(X_true, X_imputed, mask, numeric=False)
    wrong = np.array([a != b for a, b in zip(t.tolist(), p.tolist())],
                     dtype=bool)
    return float(wrong.mean())


#: Metric name -> function ``f(X_true, X_imputed, mask)`` (lower is better).
METRICS = {"mae": mae, "rmse": rmse, "nrmse": nrmse, "pfc": pfc}


def _get_metric(metric):
    if callable(metric):
        return metric
    try:
        return METRICS[metric]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown metric {metric!r}; valid names are {sorted(METRICS)} "
            f"(or pass a callable f(X_true, X_imputed, mask))."
        ) from None


def _metric_name(metric):
    if callable(metric):
        return getattr(metric, "__name__", repr(metric))
    return metric


# --------------------------------------------------------------------------
# hold-out evaluation
# --------------------------------------------------------------------------
def _imputed_part(imputer, X_in, n_features):
    """Impute ``X_in`` and return the n x d array in the input feature space."""
    if hasattr(imputer, "_transform_full"):
        out = np.asarray(imputer._transform_full(X_in), dtype=float)
        if out.ndim != 2 or out.shape[1] != n_features:
            raise ValueError(
                f"{type(imputer).__name__}._transform_full returned shape "
                f"{out.shape}; expected (n_samples, {n_features})."
            )
        return out

    out = imputer.transform(X_in)
    if hasattr(out, "toarray"):  # scipy sparse
        out = out.toarray()
    out = np.asarray(out, dtype=float)
    if out.ndim != 2:
        raise ValueError(
            f"{type(imputer).__name__}.transform returned an array with "
            f"{out.ndim} dimension(s); expected 2."
        )
    n_out = out.shape[1]
    # scikit-learn imputers with add_indicator=True keep their
    # MissingIndicator in ``indicator_``: strip exactly its columns, so that
    # an imputer that also dropped empty features is detected below.
    indicator = getattr(imputer, "indicator_", None)
    features = getattr(indicator, "features_", None)
    if features is not None:
        n_out -= len(features)
    if n_out < n_features:
        raise ValueError(
            f"{type(imputer).__name__} returned {n_out} imputed feature(s) "
            f"for {n_features} input features: it dropped features that were "
            f"empty (all missing) in fit. Set keep_empty_features=True on the "
            f"imputer so that every feature is kept."
        )
    # any extra columns are missing indicators appended after the features
    return out[:, :n_features]


def _categorical_columns(imputer, X):
    """The categorical features of ``X``: the imputer's ``categorical_``, else from the dtypes."""
    cat = getattr(imputer, "categorical_", None)
    if cat is not None and len(cat) == X.shape[1]:
        return np.asarray(cat, dtype=bool)
    if isinstance(X, pd.DataFrame):
        return categorical_mask(X)
    return np.zeros(X.shape[1], dtype=bool)


def _as_floats(values):
    """A column (any dtype, pandas' nullable ones too) as floats with NaN where missing."""
    values = pd.Series(values) if not isinstance(values, pd.Series) else values
    return values.to_numpy(dtype=float, na_value=np.nan)


def _mixed_holdout(imputer, X, cat, metric, metric_func, holdout, random_state):
    """:func:`holdout_error` on a table with categorical features: its parts and their counts."""
    frame = isinstance(X, pd.DataFrame)
    arr = None if frame else np.asarray(X, dtype=object)
    n, d = X.shape
    cols = [X.iloc[:, j] if frame else arr[:, j] for j in range(d)]
    missing = np.column_stack([np.asarray(pd.isna(c), dtype=bool) for c in cols])
    proxy = np.where(missing, np.nan, 0.0)
    for j in np.flatnonzero(~cat):
        try:
            proxy[:, j] = _as_floats(cols[j])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"holdout_error: numeric feature {j} holds values that are not "
                             f"numbers ({exc}); declare it categorical.") from exc
    _, hidden = hide_observed(proxy, holdout, random_state=random_state)
    hidden = np.asarray(hidden, dtype=bool)
    if not hidden.any():
        raise ValueError(f"No observed entry was hidden (holdout={holdout}); X has too few "
                         "observed entries or holdout is too small.")
    if frame:
        X_in = X.mask(pd.DataFrame(hidden, index=X.index, columns=X.columns))
    else:  # numbers stay a float array, anything else an object one
        numeric = np.asarray(X).dtype.kind in "biuf"
        X_in = np.array(X, dtype=float) if numeric else arr.copy()
        X_in[hidden] = np.nan if numeric else None
    if hasattr(imputer, "_transform_full"):
        out = imputer._transform_full(X_in)
    else:
        out = imputer.transform(X_in)
        out = out.iloc[:, :d] if isinstance(out, pd.DataFrame) else np.asarray(out)[:, :d]
    out = out.to_numpy(dtype=object) if isinstance(out, pd.DataFrame) else np.asarray(out, dtype=object)
    if out.ndim != 2 or out.shape[1] < d:
        raise ValueError(f"{type(imputer).__name__} returned shape {out.shape}; expected "
                         f"(n_samples, {d}): set keep_empty_features=True to keep every feature.")
    parts, counts = {}, {}
    num = ~cat
    if metric != "pfc" and (hidden[:, num]).any():
        truth = proxy[:, num]
        imputed = np.column_stack([_as_floats(out[:, j]) for j in np.flatnonzero(num)])
        seen = ~np.isnan(truth)
        mean = np.nanmean(np.where(seen, truth, np.nan), axis=0)
        std = np.nanstd(np.where(seen, truth, np.nan), axis=0)
        std = np.where(std > 0, std, 1.0)
        parts["numeric"] = float(metric_func((np.nan_to_num(truth) - mean) / std,
                                             (imputed - mean) / std, hidden[:, num]))
        counts["numeric"] = int(hidden[:, num].sum())
    if hidden[:, cat].any():
        truth = np.column_stack([np.asarray(cols[j], dtype=object) for j in np.flatnonzero(cat)])
        parts["categorical"] = pfc(truth, out[:, cat], hidden[:, cat])
        counts["categorical"] = int(hidden[:, cat].sum())
    if not parts:
        raise ValueError("No categorical entry was hidden: metric='pfc' has nothing to score.")
    total = sum(counts.values())
    parts["combined"] = float(sum(parts[k] * counts[k] for k in counts) / total)
    return parts


def holdout_error(imputer, X, *, metric="mae", holdout=0.2, random_state=None, by_kind=False):
    """Error of a fitted imputer on observed entries hidden from it.

    A share ``holdout`` of the *observed* entries of ``X`` is hidden (set to
    NaN) with :func:`sklimpute.simulate.hide_observed`, the imputer fills the
    result, and ``metric`` compares the filled values with the hidden true
    ones. The imputer is not refitted.

    **Tables with categorical features** (the imputer's ``categorical_``,
    else the non-numeric and boolean columns of a DataFrame): numeric and
    categorical entries are hidden alike, and the error is the mean of the
    two kinds' errors weighted by their numbers of hidden entries,
    ``(n_num * numeric + n_cat * categorical) / (n_num + n_cat)``, where
    ``categorical`` is the proportion of falsely classified categories
    (:func:`pfc`) and ``numeric`` is ``metric`` on the numeric entries in
    units of each feature's observed standard deviation (so that both lie on
    comparable scales: with ``metric="mae"`` the result is the mean over the
    hidden entries of ``|error| / std`` or 0/1). ``metric="pfc"`` scores the
    categorical entries only. Without categorical features the error is
    ``metric`` in the data's units, as before.

    sklimpute imputers are imputed through their ``_transform_full`` method
    (every input feature, in the input's order). Other imputers go through
    ``transform``; when it returns more than ``d`` columns (missing
    indicators appended, as with ``add_indicator=True``) the first ``d``
    columns are used.

    Parameters
    ----------
    imputer : fitted estimator
        A fitted imputer with ``transform`` (or ``_transform_full``).
    X : array-like or DataFrame of shape (n_samples, n_features)
        Data with NaN (None, ``pd.NA``) at the missing entries. A DataFrame
        is passed to the imputer as a DataFrame with the same columns and
        index, so feature-name checks pass.
    metric : {"mae", "rmse", "nrmse", "pfc"} or callable, default="mae"
        Metric name in :data:`METRICS`, or a callable
        ``f(X_true, X_imputed, mask)``.
    holdout : float in (0, 1), default=0.2
        Share of the observed entries to hide.
    random_state : int, RandomState instance or None, default=None
        Seed for choosing the hidden entries.
    by_kind : bool, default=False
        Return a dict with the parts: ``"numeric"``, ``"categorical"`` (the
        PFC; absent without categorical features or hidden entries of that
        kind) and ``"combined"`` (what is returned otherwise).

    Returns
    -------
    float or dict
        The error on the hidden entries (lower is better for the built-in
        metrics), or its parts (``by_kind=True``).

    Raises
    ------
    ValueError
        If ``holdout`` is not in (0, 1), no entry could be hidden, the
        imputer dropped features that were empty in fit (set
        ``keep_empty_features=True``), or the imputer left hidden entries
        unfilled.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.impute import SimpleImputer
    >>> from sklimpute.metrics import holdout_error
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 4))
    >>> X[rng.rand(100, 4) < 0.1] = np.nan
    >>> imp = SimpleImputer().fit(X)
    >>> err = holdout_error(imp, X, metric="rmse", random_state=0)
    >>> 0.5 < err < 1.5  # mean imputation of standard normals: about 1
    True

    A table with a categorical column, scored by the most frequent value:

    >>> import pandas as pd
    >>> df = pd.DataFrame({"x": rng.normal(size=100),
    ...                    "c": rng.choice(["a", "b"], size=100, p=[0.8, 0.2])})
    >>> imp = SimpleImputer(strategy="most_frequent").fit(df)
    >>> parts = holdout_error(imp, df, random_state=0, by_kind=True)
    >>> sorted(parts)
    ['categorical', 'combined', 'numeric']
    >>> bool(parts["categorical"] < 0.5)  # the mode is "a", 80% of the rows
    True
    """
    if not isinstance(holdout, Real) or not 0.0 < holdout < 1.0:
        raise ValueError(f"holdout must be a float in (0, 1), got {holdout!r}.")
    metric_func = _get_metric(metric)
    if getattr(X, "ndim", 2) == 2 and hasattr(X, "shape"):
        cat = _categorical_columns(imputer, X)
        if cat.any():
            parts = _mixed_holdout(imputer, X, cat, metric, metric_func, holdout, random_state)
            return parts if by_kind else parts["combined"]

    is_frame = isinstance(X, pd.DataFrame)
    try:
        X_arr = (X.to_numpy(dtype=float, na_value=np.nan) if is_frame
                 else np.asarray(X, dtype=float))
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"holdout_error needs numeric data (NaN = missing): {exc}"
        ) from exc
    if X_arr.ndim != 2:
        raise ValueError(
            f"X must be 2-D (n_samples, n_features), got shape {X_arr.shape}."
        )

    X_hidden, hidden_mask = hide_observed(
        X_arr, holdout, random_state=random_state
    )
    X_hidden = np.asarray(X_hidden, dtype=float)
    hidden_mask = np.asarray(hidden_mask, dtype=bool)
    if not hidden_mask.any():
        raise ValueError(
            f"No observed entry was hidden (holdout={holdout}); X has too few "
            f"observed entries or holdout is too small."
        )
    X_in = X_hidden
    if is_frame:
        X_in = pd.DataFrame(X_hidden, columns=X.columns, index=X.index)

    X_imputed = _imputed_part(imputer, X_in, X_arr.shape[1])
    err = float(metric_func(X_arr, X_imputed, hidden_mask))
    return {"numeric": err, "combined": err} if by_kind else err


# --------------------------------------------------------------------------
# scorer
# --------------------------------------------------------------------------
class _ImputationScorer:
    """Callable ``scorer(estimator, X, y=None) -> -holdout_error(...)``."""

    def __init__(self, metric, holdout, random_state):
        self.metric = metric
        self.holdout = holdout
        self.random_state = random_state

    def __call__(self, estimator, X, y=None):
        return -holdout_error(
            estimator,
            X,
            metric=self.metric,
            holdout=self.holdout,
            random_state=self.random_state,
        )

    def __repr__(self):
        return (
            f"make_imputation_scorer(metric={_metric_name(self.metric)!r}, "
            f"holdout={self.holdout!r}, random_state={self.random_state!r})"
        )


def make_imputation_scorer(metric="mae", holdout=0.2, random_state=None):
    """Make a label-free scorer for tuning imputers by cross-validation.

    The returned callable ``scorer(estimator, X, y=None)`` hides a share
    ``holdout`` of the observed entries of the validation fold ``X``, imputes
    them with the fitted ``estimator`` and returns ``-holdout_error(...)``
    (greater is better, as scikit-learn expects). It can be passed as
    ``scoring=`` to :class:`~sklearn.model_selection.GridSearchCV`,
    :func:`~sklearn.model_selection.cross_val_score` and the like, with an
    imputer alone and no labels.

    Parameters
    ----------
    metric : {"mae", "rmse", "nrmse", "pfc"} or callable, default="mae"
        Metric name in :data:`METRICS`, or a callable
        ``f(X_true, X_imputed, mask)`` where lower is better.
    holdout : float in (0, 1), default=0.2
        Share of the observed entries of each validation fold to hide.
    random_state : int, RandomState, Generator or None, default=None
        Seed for choosing the hidden entries. ``None`` means the fixed seed
        ``0``, so that every candidate of a grid search is scored on the same
        hidden entries of a fold. A ``RandomState`` or ``Generator`` is drawn
        from once, here, to get such a fixed integer seed.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.impute import KNNImputer
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklimpute.metrics import make_imputation_scorer
    >>> scorer = make_imputation_scorer(metric="rmse")
    >>> scorer
    make_imputation_scorer(metric='rmse', holdout=0.2, random_state=0)
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(60, 3))
    >>> X[:, 2] = X[:, 0] + 0.1 * X[:, 2]
    >>> X[rng.rand(60, 3) < 0.1] = np.nan
    >>> search = GridSearchCV(KNNImputer(), {"n_neighbors": [1, 5]},
    ...                       scoring=scorer, cv=3).fit(X)
    >>> bool(search.best_score_ < 0)
    True
    """
    _get_metric(metric)  # fail early on a bad name
    if not isinstance(holdout, Real) or not 0.0 < holdout < 1.0:
        raise ValueError(f"holdout must be a float in (0, 1), got {holdout!r}.")
    if random_state is None:
        seed = 0
    elif isinstance(random_state, Integral):
        seed = int(random_state)
    elif isinstance(random_state, np.random.RandomState):
        seed = int(random_state.randint(np.iinfo(np.int32).max))
    elif isinstance(random_state, np.random.Generator):
        seed = int(random_state.integers(np.iinfo(np.int32).max))
    else:
        raise ValueError(
            f"random_state must be None, an int, a RandomState or a "
            f"Generator, got {random_state!r}."
        )
    return _ImputationScorer(metric, holdout, seed)


# --------------------------------------------------------------------------
# counting squares (Missing Glow's samples)
# --------------------------------------------------------------------------
def count_squares(images, size, *, fill=0.5, tol=0.1, min_share=0.9):
    """Count the ``size x size`` squares of (nearly) the fill colour in images.

    A window of ``size x size`` pixels is a square's when at least
    ``min_share`` of its pixels lie within ``tol`` of ``fill``; neighbouring
    such windows (8-connected) are one square. Vectorised over the batch
    (``scipy.ndimage.label`` with no connection between images).

    Parameters
    ----------
    images : array-like of shape (n_images, H, W)
        Grayscale images, in the units of ``fill`` (for example [0, 1]).
    size : int
        Side of the squares.
    fill : float, default=0.5
        Their colour.
    tol : float, default=0.1
        How far from ``fill`` a pixel may be and still count as fill.
    min_share : float, default=0.9
        Share of a window's pixels that must be fill.

    Returns
    -------
    counts : ndarray of int of shape (n_images,)

    Examples
    --------
    >>> import numpy as np
    >>> images = np.zeros((2, 12, 12))
    >>> images[0, 1:5, 2:6] = 0.5
    >>> images[1, 1:5, 1:5] = images[1, 7:11, 6:10] = 0.5
    >>> count_squares(images, 4).tolist()
    [1, 2]
    """
    images = np.asarray(images, dtype=np.float64)
    near = (np.abs(images - fill) <= tol).astype(np.float64)
    n, h, w = near.shape
    if size > h or size > w:
        return np.zeros(n, dtype=int)
    # window sums from the integral image
    cs = np.zeros((n, h + 1, w + 1))
    cs[:, 1:, 1:] = near.cumsum(1).cumsum(2)
    sums = cs[:, size:, size:] - cs[:, :-size, size:] - cs[:, size:, :-size] + cs[:, :-size, :-size]
    hits = sums >= min_share * size * size
    structure = np.zeros((3, 3, 3), dtype=bool)
    structure[1] = True  # 8-connected within an image, never across images
    labels, n_labels = ndimage.label(hits, structure=structure)
    if n_labels == 0:
        return np.zeros(n, dtype=int)
    owner = ndimage.labeled_comprehension(
        np.broadcast_to(np.arange(n)[:, None, None], hits.shape), labels,
        np.arange(1, n_labels + 1), np.min, int, -1)
    return np.bincount(owner, minlength=n)
