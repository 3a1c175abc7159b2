"""Choose the imputer by its error on observed entries hidden from it: a meta-estimator.

:class:`AutoImputer` takes candidate imputers (sklimpute's, scikit-learn's,
any estimator with ``fit`` and ``transform`` that fills NaN), hides a seeded
share of the observed entries, fits a clone of each candidate on the data
with those extra holes, scores each on the entries it did not see, and keeps
the best one, for the whole table or for each column; the chosen candidates
are then refitted on all the data. The score is the one of
:func:`~sklimpute.metrics.holdout_error` on mixed tables: a numeric entry's
absolute error in units of its feature's standard deviation, a categorical
entry's 0 (right category) or 1 (wrong).

The candidates see what every sklimpute model sees (:class:`~sklimpute.BaseImputer`):
the data standardised on its observed entries, a categorical feature as a
block of indicator columns (decoded by the block's largest value), NaN in
the holes. The base class gives the observed entries back unchanged.
"""

import numbers
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import ExtraTreesRegressor
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import _check_feature_names_in, check_is_fitted

from ..base import BaseImputer
from ..categorical import CATEGORICAL_FEATURES_CONSTRAINT, CategoricalMixin
from ..simulate import hide_observed
from .gaussian import GaussianImputer
from .inpainting import InpaintingImputer
from .matrix_completion import MatrixCompletionImputer

__all__ = ["AutoImputer", "default_candidates"]

#: the missForest-style candidate's forest: few trees, half the features per
#: split and three rounds keep it at seconds on a 569 x 30 table, one thread
FOREST_SETTINGS = dict(n_estimators=20, max_features=0.5)
FOREST_ROUNDS = 3


def default_candidates(shape=None):
    """The candidates of ``AutoImputer(candidates=None)``, as ``(name, estimator)`` pairs.

    Tables (``shape=None``): sklimpute's :class:`~sklimpute.GaussianImputer`
    (linear conditional means) and :class:`~sklimpute.MatrixCompletionImputer`
    (low rank), scikit-learn's :class:`~sklearn.impute.KNNImputer` (local)
    and a missForest-style :class:`~sklearn.impute.IterativeImputer` with
    :class:`~sklearn.ensemble.ExtraTreesRegressor` (nonlinear, 20 trees, 3
    rounds). Images (a ``shape``): :class:`~sklimpute.InpaintingImputer`
    (biharmonic, each image from its own pixels), matrix completion and
    :class:`~sklearn.impute.KNNImputer` (structure across images).

    Parameters
    ----------
    shape : None or tuple of int, default=None
        None for tables, an image shape for images.

    Returns
    -------
    candidates : list of (str, estimator)
        Unfitted estimators.

    Examples
    --------
    >>> from sklimpute.models.auto import default_candidates
    >>> [name for name, _ in default_candidates()]
    ['gaussian', 'matrix_completion', 'knn', 'missforest']
    >>> [name for name, _ in default_candidates(shape=(8, 8))]
    ['inpainting', 'matrix_completion', 'knn']
    """
    if shape is not None:
        return [("inpainting", InpaintingImputer(shape=shape)),
                ("matrix_completion", MatrixCompletionImputer(shape=shape)),
                ("knn", KNNImputer())]
    forest = IterativeImputer(ExtraTreesRegressor(**FOREST_SETTINGS), max_iter=FOREST_ROUNDS)
    return [("gaussian", GaussianImputer()), ("matrix_completion", MatrixCompletionImputer()),
            ("knn", KNNImputer()), ("missforest", forest)]


def _check_candidates(candidates, shape):
    """``(names, estimators)`` of ``candidates`` (None: the defaults), or a clear ``ValueError``."""
    if candidates is None:
        candidates = default_candidates(shape)
    if isinstance(candidates, (str, bytes)) or not isinstance(candidates, (list, tuple)):
        raise ValueError(
            f"candidates must be None or a list of estimators or (name, estimator) pairs, "
            f"got {type(candidates).__name__}.")
    if len(candidates) == 0:
        raise ValueError("candidates is empty: give at least one imputer (or None for the "
                         "defaults).")
    names, estimators, given = [], [], []
    for k, item in enumerate(candidates):
        if isinstance(item, tuple):
            if len(item) != 2 or not isinstance(item[0], str):
                raise ValueError(f"candidates[{k}] is a tuple but not a (name, estimator) pair "
                                 f"with a string name: {item!r}.")
            name, est = item
            given.append(True)
        else:
            name, est = type(item).__name__.lower(), item
            given.append(False)
        if not (hasattr(est, "fit") and hasattr(est, "transform")):
            raise ValueError(f"candidate {name!r} ({type(est).__name__}) has no fit and "
                             "transform methods: every candidate must be an imputer (a "
                             "transformer that fills NaN).")
        if isinstance(est, type):
            raise ValueError(f"candidate {name!r} is a class, not an estimator: pass "
                             f"{est.__name__}() instead.")
        if not name or "__" in name:
            raise ValueError(f"candidate name {name!r} must be non-empty and free of '__'.")
        names.append(name)
        estimators.append(est)
    # names derived from the class get -1, -2, ... when a class comes twice
    # (as sklearn.pipeline.make_pipeline does); given names must be unique
    for name in set(names):
        where = [k for k, n in enumerate(names) if n == name]
        if len(where) < 2:
            continue
        if any(given[k] for k in where):
            raise ValueError(f"candidate name {name!r} is used {len(where)} times: each "
                             "candidate needs its own name.")
        for i, k in enumerate(where, start=1):
            names[k] = f"{name}-{i}"
    if len(set(names)) != len(names):
        raise ValueError(f"candidate names are not unique: {names}.")
    return names, estimators


def _seed_params(est, rng):
    """Give every ``random_state`` parameter of ``est`` left at None a seed from ``rng``."""
    params = est.get_params(deep=True)
    seeds = {k: int(rng.randint(np.iinfo(np.int32).max)) for k in sorted(params)
             if (k == "random_state" or k.endswith("__random_state")) and params[k] is None}
    return est.set_params(**seeds) if seeds else est


def _with_settings(est, shape, seed):
    """A clone of a candidate as AutoImputer runs it: NaN holes, every feature kept, seeded."""
    est = clone(est)
    params = est.get_params(deep=False)
    settings = {}
    if "missing_values" in params:
        settings["missing_values"] = np.nan
    if "keep_empty_features" in params:
        settings["keep_empty_features"] = True
    if shape is not None and "shape" in params and params["shape"] is None:
        settings["shape"] = shape
    est.set_params(**settings)
    return _seed_params(est, np.random.RandomState(seed))


def _imputed(est, name, X):
    """The candidate's completion of ``X`` (NaN holes) as a float array of X's shape."""
    out = est.transform(X)
    if isinstance(out, pd.DataFrame):
        out = out.to_numpy()
    if hasattr(out, "toarray"):  # scipy sparse
        out = out.toarray()
    out = np.asarray(out, dtype=np.float64)
    if out.ndim != 2 or out.shape[0] != X.shape[0] or out.shape[1] < X.shape[1]:
        raise ValueError(
            f"candidate {name!r} ({type(est).__name__}) returned shape {out.shape} for data "
            f"of shape {X.shape}: a candidate must return every feature (extra columns, "
            "such as missing indicators, are ignored).")
    return out[:, :X.shape[1]]


class AutoImputer(CategoricalMixin, BaseImputer):
    """Choose among candidate imputers by their error on hidden observed entries.

    A scikit-learn meta-estimator that needs no labels: ``fit`` hides a
    seeded share ``holdout`` of the observed entries, fits a clone of every
    candidate on the data with those extra holes, imputes them, and keeps the
    candidate with the smallest error on the entries it did not see, for the
    whole table or for each column (``per_column``); the chosen candidates
    are then refitted on all the data (``refit``). ``transform`` fills each
    column's holes with its chosen candidate's imputation; observed entries
    are returned unchanged. :attr:`scores_` reports every candidate's
    held-out error per column and overall, :attr:`chosen_` what was chosen.

    The error of a hidden entry is the one of
    :func:`~sklimpute.metrics.holdout_error` on mixed tables: a numeric
    entry's absolute error in units of its feature's (observed) standard
    deviation, a categorical one's 0 (right category) or 1 (wrong); a
    column's error is the mean over its hidden entries, the overall error
    the mean over all hidden entries.

    The candidates see the data as sklimpute's models do: standardised on
    the observed entries, NaN in the holes, a categorical feature as a block
    of indicator columns (its imputation is the category of the block's
    largest value), so any imputer of numbers works, scikit-learn's
    included, on tables with categories too. Each candidate is cloned, its
    ``missing_values`` set to NaN, its ``keep_empty_features`` to True, its
    ``shape`` (when it has one left at None) to this imputer's ``shape``,
    and every ``random_state`` it leaves at None (nested ones too) to a seed
    drawn from ``random_state``; the objects passed are never fitted.

    The hidden entries are drawn uniformly among the observed ones (MCAR):
    the choice is right for the holes it imitates. When the real holes
    depend on the values (MNAR) or form large regions (a missing square in
    images), the candidate best at scattered holes may not be the best at
    the real ones (see :doc:`/imputing_tables`).

    Parameters
    ----------
    candidates : list of estimators or of (str, estimator) pairs, default=None
        The imputers to choose from, as the steps of a
        :class:`~sklearn.pipeline.Pipeline` (an estimator alone is named
        after its class, lower case). ``None``: :func:`default_candidates`,
        for tables GaussianImputer, MatrixCompletionImputer, KNNImputer and a
        missForest-style IterativeImputer with extra trees; for images
        (``shape`` given) InpaintingImputer, MatrixCompletionImputer and
        KNNImputer.
    per_column : bool, default=False
        False: one candidate, the one with the smallest overall error, fills
        every column. True: each column is filled by the candidate with the
        smallest error on that column (as hyperimpute's AutoML imputer
        does). One choice is the default because it was as good or better
        on the measured tables: per column, the choice follows the noise of
        the few held-out entries of each column of a small table
        (``benchmarks/results/auto_tables.md``); per column pays off when
        columns differ in kind (some linear in the others, some not). On
        images a choice per pixel is rarely what you want.
    holdout : float in (0, 1), default=0.2
        Share of the observed entries hidden in each repeat.
    n_repeats : int >= 1, default=1
        Number of different hidden shares; the errors are summed over them
        (each repeat fits every candidate once more).
    refit : bool, default=True
        Refit the chosen candidates on all the observed entries; False keeps
        the clones fitted with the held-out entries hidden (of the last
        repeat), which saves one fit per chosen candidate.
    categorical_features : "auto", None or array-like of int, bool or str, default="auto"
        The categorical features of a table (see
        :class:`~sklimpute.categorical.CategoricalMixin`): "auto" finds them
        from a DataFrame's dtypes.
    missing_values : float, int or np.nan, default=np.nan
        The placeholder of missing entries.
    shape : None or tuple of int, default=None
        ``None``: rows are feature vectors. ``(H, W)`` or ``(C, H, W)``:
        each row is a flattened image; it is passed to the candidates whose
        ``shape`` is None.
    keep_empty_features : bool, default=False
        Keep (imputed with 0) features without any observed value in ``fit``
        instead of dropping them.
    add_indicator : bool, default=False
        Append a :class:`~sklearn.impute.MissingIndicator`.
    random_state : int, RandomState instance or None, default=None
        Seeds the hidden entries and the candidates' own ``random_state``
        left at None (and the holdout of :meth:`score`).
    verbose : int, default=0
        1 prints each candidate's overall held-out error and fit seconds,
        and the choice.

    Attributes
    ----------
    scores_ : pandas.DataFrame of shape (n_candidates, n_features_in_ + 1)
        Held-out error of each candidate (rows, by name) on each feature
        and, in the last column ``"overall"``, on all hidden entries (lower
        is better; NaN for a feature with no hidden entry).
    chosen_ : str or ndarray of str of shape (n_features_in_,)
        The chosen candidate's name, or (per column) each feature's.
    estimators_ : dict of str to estimator
        The fitted chosen candidates, by name.
    fit_seconds_ : dict of str to float
        Seconds each candidate took to fit and impute on the data with
        hidden entries (the mean over the repeats).
    scaler_ : FeatureScaler
        The per-feature standardisation the candidates see the data through.
    image_shape_ : None or tuple of int
        The image shape as ``(C, H, W)``, or None for tables.
    categorical_, categories_ : ndarray of bool, list of (ndarray or None)
        Which features are categorical, and the categories of each.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    sklearn.model_selection.GridSearchCV : Tunes one imputer's
        hyperparameters by its :meth:`score` (the same held-out error).
    sklimpute.metrics.holdout_error : The held-out error of a fitted imputer.

    Notes
    -----
    hyperimpute's AutoML imputer also chooses per column by a held-out
    error; this one is a scikit-learn estimator that takes any imputers
    (``clone``, ``set_params(candidates=...)``, pipelines and grid searches
    work) and reports what it chose. It can be saved with :func:`sklimpute.save`
    when its candidates are sklimpute's imputers or scikit-learn's
    ``SimpleImputer``/``KNNImputer`` (a forest's trees cannot be stored in
    a model file; pickle it instead).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.impute import KNNImputer, SimpleImputer
    >>> from sklimpute import AutoImputer, GaussianImputer
    >>> rng = np.random.RandomState(0)
    >>> z = rng.normal(size=(300, 2))
    >>> X = np.column_stack([z, z @ [1.0, -1.0], z @ [0.5, 2.0]])  # linear
    >>> X_missing = X.copy()
    >>> X_missing[rng.rand(*X.shape) < 0.2] = np.nan
    >>> auto = AutoImputer([("mean", SimpleImputer()), ("knn", KNNImputer()),
    ...                     ("gaussian", GaussianImputer())], random_state=0)
    >>> X_filled = auto.fit_transform(X_missing)
    >>> auto.chosen_
    'gaussian'
    >>> auto.set_params(per_column=True).fit(X_missing).chosen_.tolist()
    ['gaussian', 'gaussian', 'gaussian', 'gaussian']
    >>> auto.scores_.index.tolist()
    ['mean', 'knn', 'gaussian']
    >>> bool(auto.scores_.loc["gaussian", "overall"] < auto.scores_.loc["mean", "overall"])
    True
    """

    _parameter_constraints = {
        **BaseImputer._parameter_constraints,
        "candidates": [list, tuple, None],
        "per_column": ["boolean"],
        "holdout": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_repeats": [Interval(numbers.Integral, 1, None, closed="left")],
        "refit": ["boolean"],
        "categorical_features": CATEGORICAL_FEATURES_CONSTRAINT,
    }

    def __init__(
        self,
        candidates=None,
        *,
        per_column=False,
        holdout=0.2,
        n_repeats=1,
        refit=True,
        categorical_features="auto",
        missing_values=np.nan,
        shape=None,
        keep_empty_features=False,
        add_indicator=False,
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            missing_values=missing_values,
            shape=shape,
            keep_empty_features=keep_empty_features,
            add_indicator=add_indicator,
            random_state=random_state,
            verbose=verbose,
        )
        self.candidates = candidates
        self.per_column = per_column
        self.holdout = holdout
        self.n_repeats = n_repeats
        self.refit = refit
        self.categorical_features = categorical_features

    def _fit_candidate(self, est, name, seed, X):
        """A fitted clone of one candidate (its settings, ``seed``) on ``X`` with NaN holes."""
        est = _with_settings(est, self.shape, seed)
        try:
            with warnings.catch_warnings():
                # a table's column left without values by the hidden entries;
                # the missForest-style default stops after FOREST_ROUNDS rounds
                # by design
                warnings.filterwarnings("ignore", message=".*without any observed value")
                warnings.filterwarnings("ignore", message=r"\[IterativeImputer\] Early stopping")
                est.fit(X)
        except Exception as exc:
            exc.add_note(f"(raised by AutoImputer's candidate {name!r}, {type(est).__name__})")
            raise
        return est

    def _fit(self, X, observed):
        names, estimators = _check_candidates(self.candidates, self.shape)
        rng = check_random_state(self.random_state)
        top = np.iinfo(np.int32).max
        seeds = rng.randint(top, size=len(names))
        hide_seeds = rng.randint(top, size=self.n_repeats)
        # the features (a categorical one is a block of the model's columns)
        blocks = getattr(self, "_onehot", None)
        feat_obs = observed if blocks is None else blocks.collapse_mask(observed)
        truth = X if blocks is None else blocks.collapse(X)
        cat = np.zeros(feat_obs.shape[1], dtype=bool) if blocks is None else blocks.categorical_
        loss = np.zeros((len(names), feat_obs.shape[1]))
        count = np.zeros(feat_obs.shape[1])
        seconds = np.zeros(len(names))
        last = {}
        for repeat in range(self.n_repeats):
            _, hidden = hide_observed(np.where(feat_obs, 0.0, np.nan), self.holdout,
                                      random_state=int(hide_seeds[repeat]))
            hidden_m = hidden if blocks is None else hidden[:, blocks.columns_]
            X_in = np.where(observed & ~hidden_m, X, np.nan)
            count += hidden.sum(axis=0)
            for c, (name, est) in enumerate(zip(names, estimators)):
                start = time.perf_counter()
                fitted = self._fit_candidate(est, name, seeds[c], X_in)
                out = _imputed(fitted, name, X_in)
                seconds[c] += time.perf_counter() - start
                feat = out if blocks is None else blocks.collapse(out)
                with np.errstate(invalid="ignore"):
                    err = np.where(cat, feat != truth, np.abs(feat - truth))
                bad = hidden & ~np.isfinite(err)
                if bad.any():
                    warnings.warn(f"AutoImputer's candidate {name!r} left {int(bad.sum())} "
                                  "hidden entries unfilled or not finite: it is not chosen "
                                  "for their features.", RuntimeWarning)
                loss[c] += np.where(hidden, np.where(np.isfinite(err), err, np.inf), 0.0).sum(axis=0)
                if not self.refit:
                    last[name] = fitted
        with np.errstate(invalid="ignore", divide="ignore"):
            errors = np.where(count > 0, loss / np.maximum(count, 1), np.nan)
            overall = loss.sum(axis=1) / count.sum() if count.sum() else np.full(len(names), np.nan)
        best = int(np.argmin(np.nan_to_num(overall, nan=np.inf)))
        per_column = bool(self.per_column)
        choice = np.full(feat_obs.shape[1], best)
        if per_column:
            scored = count > 0
            choice[scored] = np.argmin(np.nan_to_num(errors[:, scored], nan=np.inf), axis=0)
        self._names = list(names)
        self._errors = np.column_stack([errors, overall])
        self._feature_choice = choice
        self._column_choice = choice if blocks is None else choice[blocks.columns_]
        self.fit_seconds_ = {n: float(s / self.n_repeats) for n, s in zip(names, seconds)}
        self.chosen_ = (np.array([names[k] for k in choice], dtype=object) if per_column
                        else names[best])
        full = np.where(observed, X, np.nan)
        self.estimators_ = {}
        for c in sorted(set(choice.tolist())):
            self.estimators_[names[c]] = (
                self._fit_candidate(estimators[c], names[c], seeds[c], full) if self.refit
                else last[names[c]])
        if self.verbose:
            for n, e in zip(names, overall):
                print(f"[AutoImputer] {n}: held-out error {e:.4g} "
                      f"({self.fit_seconds_[n]:.2f} s)")
            used = {names[c]: int((choice == c).sum()) for c in sorted(set(choice.tolist()))}
            print("[AutoImputer] chosen: " + ", ".join(f"{n} ({k} feature(s))"
                                                       for n, k in used.items()))
        return self

    def _impute(self, X, observed):
        X_in = np.where(observed, X, np.nan)
        out = np.zeros_like(X)
        for c in np.unique(self._column_choice):
            cols = self._column_choice == c
            name = self._names[c]
            out[:, cols] = _imputed(self.estimators_[name], name, X_in)[:, cols]
        return out

    @property
    def scores_(self):
        """Held-out error of each candidate (rows) per feature and ``"overall"`` (columns)."""
        check_is_fitted(self, "estimators_")
        columns = list(_check_feature_names_in(self, None)) + ["overall"]
        return pd.DataFrame(self._errors, index=pd.Index(self._names, name="candidate"),
                            columns=columns)
