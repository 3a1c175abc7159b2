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
observed entries it has not seen, and :func:`make_imputation_scorer` turns
that into a ``scoring=`` callable for :class:`~sklearn.model_selection.GridSearchCV`
or :func:`~sklearn.model_selection.cross_val_score`, so an imputer can be
tuned on incomplete data alone, without labels.

For generative models of images, entry-wise errors reward blur; the
*Fréchet distance* between Gaussian fits of image features
(:func:`frechet_distance`, :func:`fid_score`) compares whole distributions
instead, as MisGAN's paper does with the features of a small classifier
(:func:`train_feature_extractor`). :func:`count_squares` counts the
fill-coloured squares in images, the artefact Missing Glow's samples are
judged by.
"""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import ndimage
import torch
from torch import nn

__all__ = [
    "mae",
    "rmse",
    "nrmse",
    "pfc",
    "METRICS",
    "holdout_error",
    "make_imputation_scorer",
    "count_squares",
    "frechet_distance",
    "fid_score",
    "train_feature_extractor",
    "FeatureExtractor",
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


def holdout_error(imputer, X, *, metric="mae", holdout=0.2, random_state=None):
    """Error of a fitted imputer on observed entries hidden from it.

    A share ``holdout`` of the *observed* entries of ``X`` is hidden (set to
    NaN) with :func:`sklimpute.simulate.hide_observed`, the imputer fills the
    result, and ``metric`` compares the filled values with the hidden true
    ones. The imputer is not refitted.

    sklimpute imputers are imputed through their ``_transform_full`` method
    (the full n x d array in the input's feature space). Other imputers go
    through ``transform``; when it returns more than ``d`` columns (missing
    indicators appended, as with ``add_indicator=True``) the first ``d``
    columns are used.

    Parameters
    ----------
    imputer : fitted estimator
        A fitted imputer with ``transform`` (or ``_transform_full``).
    X : array-like or DataFrame of shape (n_samples, n_features)
        Numeric data with NaN at the missing entries. A DataFrame is passed
        to the imputer as a DataFrame with the same columns and index, so
        feature-name checks pass.
    metric : {"mae", "rmse", "nrmse", "pfc"} or callable, default="mae"
        Metric name in :data:`METRICS`, or a callable
        ``f(X_true, X_imputed, mask)``.
    holdout : float in (0, 1), default=0.2
        Share of the observed entries to hide.
    random_state : int, RandomState instance or None, default=None
        Seed for choosing the hidden entries.

    Returns
    -------
    float
        The metric on the hidden entries (lower is better for the built-in
        metrics).

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
    """
    if not isinstance(holdout, Real) or not 0.0 < holdout < 1.0:
        raise ValueError(f"holdout must be a float in (0, 1), got {holdout!r}.")
    metric_func = _get_metric(metric)

    # imported lazily: simulate.py does not depend on this module
    from sklimpute.simulate import hide_observed

    is_frame = isinstance(X, pd.DataFrame)
    try:
        X_arr = (X.to_numpy(dtype=float) if is_frame
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
    return float(metric_func(X_arr, X_imputed, hidden_mask))


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


# --------------------------------------------------------------------------
# Fréchet distance (FID)
# --------------------------------------------------------------------------
def _gaussian_fit(features, name):
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"{name} must be a 2-D array with at least 2 rows, got shape {f.shape}.")
    if not np.isfinite(f).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    return f.mean(0), np.atleast_2d(np.cov(f, rowvar=False))


def _sqrt_psd(c):
    """Symmetric square root of a covariance matrix (eigenvalues clipped at 0)."""
    w, v = np.linalg.eigh((c + c.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(features_a, features_b):
    """Fréchet distance between Gaussian fits of two sets of features.

    ``||mu_a - mu_b||^2 + tr(C_a + C_b - 2 (C_a C_b)^(1/2))``, the squared
    2-Wasserstein distance between the two Gaussians. The trace of the
    matrix square root is computed as ``tr((S_a C_b S_a)^(1/2))`` with ``S_a
    = C_a^(1/2)``, a symmetric positive semi-definite product whose square
    root comes from an eigendecomposition: no complex parts, no failure on
    the singular covariances of few samples in many dimensions.

    Parameters
    ----------
    features_a, features_b : array-like of shape (n_a, k) and (n_b, k)
        Features of two samples (at least 2 rows each).

    Returns
    -------
    distance : float
        Non-negative; 0 for identical sets, up to rounding.

    Examples
    --------
    >>> import numpy as np
    >>> from sklimpute.metrics import frechet_distance
    >>> rng = np.random.RandomState(0)
    >>> a = rng.normal(size=(500, 4))
    >>> round(frechet_distance(a, a), 6)
    0.0
    >>> round(frechet_distance(a, a + 1.0), 2)  # the means move by 1 in 4 dimensions
    4.0
    """
    mu_a, c_a = _gaussian_fit(features_a, "features_a")
    mu_b, c_b = _gaussian_fit(features_b, "features_b")
    if mu_a.shape != mu_b.shape:
        raise ValueError(
            f"The two feature sets have {mu_a.size} and {mu_b.size} columns; they must match."
        )
    s_a = _sqrt_psd(c_a)
    cross = _sqrt_psd(s_a @ c_b @ s_a)
    d = float(np.sum((mu_a - mu_b) ** 2) + np.trace(c_a) + np.trace(c_b) - 2 * np.trace(cross))
    return max(d, 0.0)  # rounding can leave a tiny negative for equal sets


def fid_score(X_a, X_b, feature_extractor):
    """Fréchet distance between the features of two sets of images (FID).

    Parameters
    ----------
    X_a, X_b : array-like of shape (n_a, n_features) and (n_b, n_features)
        Two sets of complete rows (flattened images), for example imputed
        and original images.
    feature_extractor : callable
        Maps an array of rows to an array of features, one row each: a
        :class:`FeatureExtractor` from :func:`train_feature_extractor`, or
        any function.

    Returns
    -------
    fid : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklimpute.metrics import fid_score
    >>> X = np.random.RandomState(0).rand(100, 16)
    >>> round(fid_score(X, X, lambda rows: rows[:, :4]), 6)
    0.0
    """
    for X, name in ((X_a, "X_a"), (X_b, "X_b")):
        if np.isnan(np.asarray(X, dtype=np.float64)).any():
            raise ValueError(f"{name} contains NaN: FID compares complete (imputed) rows.")
    return frechet_distance(feature_extractor(X_a), feature_extractor(X_b))


class _LeNet(nn.Module):
    """Two conv-ReLU-pool blocks, a 128-unit hidden layer (the features), the logits."""

    def __init__(self, shape, n_classes, n_features=128):
        super().__init__()
        c = shape[0]
        self.body = nn.Sequential(
            nn.Conv2d(c, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4),
            nn.Flatten(), nn.Linear(64 * 16, n_features), nn.ReLU(),
        )
        self.head = nn.Linear(n_features, n_classes)
        self.shape = tuple(shape)

    def features(self, x):
        return self.body(x.reshape(-1, *self.shape))

    def forward(self, x):
        return self.head(self.features(x))


class FeatureExtractor:
    """The penultimate layer of a trained classifier, as a function of rows.

    Returned by :func:`train_feature_extractor`; calling it on an array of
    rows (flattened images, in the units of its training data) returns their
    features, batch by batch, without gradients.

    Attributes
    ----------
    net_ : skorch NeuralNetClassifier
        The trained classifier (``net_.module_.features`` gives the features).
    accuracy_ : float
        Its accuracy on the held-out share of the training images.
    """

    def __init__(self, net, accuracy, batch_size=1024):
        self.net_ = net
        self.accuracy_ = accuracy
        self.batch_size = batch_size

    def __call__(self, X):
        X = np.asarray(X, dtype=np.float32)
        module = self.net_.module_
        module.eval()
        out = []
        with torch.inference_mode():
            for start in range(0, len(X), self.batch_size):
                x = torch.as_tensor(X[start:start + self.batch_size], device=self.net_.device)
                out.append(module.features(x).cpu().numpy())
        return np.concatenate(out).astype(np.float64)


def train_feature_extractor(X, y, shape, *, epochs=10, batch_size=128, lr=1e-3,
                            device="cpu", random_state=0, validation_fraction=0.1):
    """Train a small LeNet-style classifier on complete images, for FID.

    Two 3x3 convolution blocks (32 and 64 channels, ReLU, max- then
    average-pooling to 4x4), a 128-unit hidden layer and a linear output,
    trained with cross-entropy (Adam) through skorch; its hidden layer is the
    feature space of :func:`fid_score`, like the LeNet of MisGAN's paper for
    MNIST.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Complete images, flattened (channels first).
    y : array-like of shape (n_samples,)
        Their labels.
    shape : tuple of int
        ``(H, W)`` or ``(C, H, W)``.
    epochs, batch_size, lr : int, int, float
        Training settings.
    device : str, default="cpu"
    random_state : int, default=0
        Seeds the initialisation, the split and the batches.
    validation_fraction : float, default=0.1
        Share of the images held out to report ``accuracy_``.

    Returns
    -------
    extractor : FeatureExtractor

    Examples
    --------
    >>> from sklimpute.datasets import load_digits
    >>> from sklimpute.metrics import train_feature_extractor, fid_score
    >>> X, y = load_digits()
    >>> extractor = train_feature_extractor(X, y, (8, 8), epochs=3)
    >>> extractor(X[:5]).shape
    (5, 128)
    >>> round(fid_score(X[:500], X[:500], extractor), 3)
    0.0
    """
    from skorch import NeuralNetClassifier

    from .base import check_image_shape, resolve_device
    from .training import seeded

    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y)
    if np.isnan(X).any():
        raise ValueError("train_feature_extractor needs complete images; X contains NaN.")
    shape = check_image_shape(shape, X.shape[1])
    classes, y_idx = np.unique(y, return_inverse=True)
    rng = np.random.RandomState(random_state)
    order = rng.permutation(len(X))
    n_valid = int(len(X) * validation_fraction)
    valid, train = order[:n_valid], order[n_valid:]
    dev = resolve_device(device)
    seed = int(rng.randint(np.iinfo(np.int32).max))
    with seeded(seed, dev):
        net = NeuralNetClassifier(
            _LeNet, module__shape=shape, module__n_classes=len(classes),
            criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam, lr=lr,
            max_epochs=epochs, batch_size=batch_size, train_split=None, device=str(dev),
            iterator_train__shuffle=True, verbose=0,
        )
        net.fit(X[train], y_idx[train].astype(np.int64))
    accuracy = float(np.mean(net.predict(X[valid]) == y_idx[valid])) if n_valid else float("nan")
    return FeatureExtractor(net, accuracy)
