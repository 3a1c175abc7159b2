"""A multivariate normal model of the rows, fitted by EM: the classical generative imputer.

The rows are modelled as draws from one Gaussian ``N(mean, covariance)``. Its
parameters are estimated from the incomplete data by the EM algorithm (each
E-step completes every row with its conditional mean given its observed
entries and adds the conditional covariance of its holes; each M-step
re-estimates the mean and the covariance), with a ridge on the covariance's
diagonal that keeps it well conditioned when rows are few. A hole is then
imputed with its conditional mean, the best linear prediction from the
row's observed entries, and drawn from its conditional distribution for
multiple imputation.

All the rows of a batch are solved at once: each row's system is made
full-size by putting the identity where its holes are, so that one batched
inversion serves rows with any pattern of holes.
"""

import numbers
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..base import BaseImputer
from ..categorical import CATEGORICAL_FEATURES_CONSTRAINT, CategoricalMixin
from .matrix_completion import _holdout

__all__ = ["GaussianImputer"]

#: share of the observed entries held out to choose ``ridge="auto"``
AUTO_HOLDOUT = 0.1
#: the ridges ``ridge="auto"`` chooses from (standardised units)
AUTO_RIDGES = (1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001)
#: the path stops after this many ridges in a row worse than the best one
AUTO_PATIENCE = 2
#: EM's ``tol`` along the ``ridge="auto"`` path (only its ranking of ridges matters)
AUTO_TOL = 1e-2
#: values per batched array: rows per chunk = this // n_features ** 2
_CHUNK_VALUES = 2**22


def _chunks(n, d):
    step = max(1, _CHUNK_VALUES // max(d * d, 1))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


def _factor(obs, cov):
    """Cholesky factors of ``cov`` restricted to each row's observed entries.

    ``obs`` is a ``(rows, d)`` boolean tensor. Each row's observed block of
    ``cov`` is completed to a full matrix with the identity on its holes (no
    coupling between the two): one batched factorisation serves every
    pattern of holes, and solving with it gives the solution of the
    observed block there and the right-hand side itself on the holes.
    """
    o = obs.to(cov.dtype)
    A = cov * (o[:, :, None] * o[:, None, :])
    A.diagonal(dim1=1, dim2=2).add_(1.0 - o)
    L, info = torch.linalg.cholesky_ex(A)
    if bool(info.any()):  # singular (ridge=0 on collinear data): a tiny jitter
        jitter = 1e-10 * float(torch.diagonal(cov).mean()) + 1e-300
        A.diagonal(dim1=1, dim2=2).add_(jitter * o)
        L = torch.linalg.cholesky(A)
    return L


def _conditional(Z, obs, mean, cov, *, with_covariance=False):
    """Conditional means of the holes of ``Z`` (holes hold anything) under ``N(mean, cov)``.

    Returns the completed rows (observed entries kept) and, with
    ``with_covariance``, the sum over the rows of the conditional covariance
    of their holes (zero on observed entries).
    """
    n, d = Z.shape
    out = np.empty_like(Z)
    total = np.zeros((d, d)) if with_covariance else None
    cov_t, mean_t = torch.from_numpy(cov), torch.from_numpy(mean)
    for s in _chunks(n, d):
        o = torch.from_numpy(obs[s])
        z = torch.from_numpy(Z[s])
        L = _factor(o, cov_t)
        centred = torch.where(o, z - mean_t, 0.0)
        weights = torch.cholesky_solve(centred.unsqueeze(-1), L).squeeze(-1)
        out[s] = torch.where(o, z, mean_t + weights @ cov_t).numpy()
        if with_covariance:
            # sum of the inverses of the observed blocks (zero on the holes):
            # inv(A) = W^T W with W = inv(L), minus the identity of the holes
            eye = torch.eye(d, dtype=cov_t.dtype).expand(L.shape)
            W = torch.linalg.solve_triangular(L, eye, upper=False)
            W = W.reshape(-1, d)
            inv_sum = (W.T @ W).numpy()
            inv_sum[np.diag_indices(d)] -= (~obs[s]).sum(axis=0)
            total += (s.stop - s.start) * cov - cov @ inv_sum @ cov
    return out, total


def _em(Z, obs, ridge, *, mean, cov, max_iter, tol):
    """EM for ``N(mean, cov)`` from the observed entries, with ``ridge`` on the diagonal.

    Starts from ``mean``/``cov``; stops when the largest change of a mean or
    covariance entry is at most ``tol`` (the data are standardised). Returns
    ``mean, cov, n_iter, converged``.
    """
    n, d = Z.shape
    eye = np.eye(d)
    for it in range(1, max_iter + 1):
        filled, cond_cov = _conditional(Z, obs, mean, cov, with_covariance=True)
        new_mean = filled.mean(axis=0)
        centred = filled - new_mean
        new_cov = (centred.T @ centred + cond_cov) / n + ridge * eye
        new_cov = 0.5 * (new_cov + new_cov.T)
        change = max(np.abs(new_mean - mean).max(initial=0.0),
                     np.abs(new_cov - cov).max(initial=0.0))
        mean, cov = new_mean, new_cov
        if change <= tol:
            return mean, cov, it, True
    return mean, cov, max_iter, False


def _start(Z, obs):
    """Observed means and variances (0 and 1 for a feature never observed)."""
    count = obs.sum(axis=0)
    seen = count > 0
    mean = np.where(seen, (Z * obs).sum(axis=0) / np.maximum(count, 1), 0.0)
    var = np.where(seen, (((Z - mean) * obs) ** 2).sum(axis=0) / np.maximum(count, 1), 1.0)
    return mean, np.diag(np.where(var > 0, var, 1.0))


class GaussianImputer(CategoricalMixin, BaseImputer):
    """Imputation by a multivariate normal model fitted with EM.

    Models the rows as draws of one Gaussian, estimates its mean and
    covariance from the incomplete training data by expectation-maximisation
    (Dempster, Laird and Rubin's algorithm for missing data), and imputes each
    hole with its conditional mean given the row's observed entries: the best
    linear prediction of the hole from what the row shows, whatever its
    pattern of holes. It is the classical generative imputer: fast, with no
    training hyperparameters to tune, and the one to try first on numeric
    tables with more rows than columns. :meth:`sample_imputations` draws
    from the conditional distribution (multiple imputation).

    It needs one ``n_features x n_features`` solve per row and EM iteration:
    for hundreds of features (images) use :class:`MatrixCompletionImputer`
    (a low-rank model) or an image imputer. See :doc:`/methods/gaussian`.

    Parameters
    ----------
    ridge : float >= 0 or "auto", default="auto"
        Added to the diagonal of the covariance at each M-step, in the units
        of the standardised data (each feature has unit variance): larger
        shrinks the conditional means towards the feature means (a ridge
        regression of each hole on the observed entries). ``"auto"``: a
        seeded 10% of the observed entries is held out, EM runs on the rest
        for the values of ``AUTO_RIDGES`` (1 down to 0.001, each
        warm-started from the last, stopping ``AUTO_PATIENCE`` values past
        the best), the value with the smallest mean absolute error on the
        held-out entries is kept, and EM runs again on all the observed
        entries at it.
    max_iter : int >= 1, default=200
        Maximal number of EM iterations (per value of the ``"auto"`` path).
        A :class:`~sklearn.exceptions.ConvergenceWarning` is raised when the
        final fit reaches it before ``tol``.
    tol : float > 0, default=1e-3
        EM stops when no entry of the mean or the covariance (standardised
        units) changes by more than ``tol``.
    categorical_features : "auto", None or array-like of int, bool or str, default="auto"
        The categorical features of a table: "auto" (or None) finds them from
        a DataFrame's dtypes (``category``, strings, ``bool``, ``boolean``);
        names, indices or a mask add columns of numbers. The model sees each
        as a block of indicator columns and imputes the category of the
        block's largest value (:class:`~sklimpute.categorical.CategoricalMixin`).
    missing_values : float, int or np.nan, default=np.nan
        The placeholder of missing entries.
    shape : None or tuple of int, default=None
        ``None``: rows are feature vectors. ``(H, W)`` or ``(C, H, W)``: each
        row is a flattened image (modelled as a vector of pixels).
    keep_empty_features : bool, default=False
        Keep (imputed with 0) features without any observed value in ``fit``
        instead of dropping them.
    add_indicator : bool, default=False
        Append a :class:`~sklearn.impute.MissingIndicator`.
    random_state : int, RandomState instance or None, default=None
        Seeds the entries held out by ``ridge="auto"`` (and the holdout of
        :meth:`score`).
    verbose : int, default=0
        1 prints the held-out error of each ridge and the EM iterations.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        The model's mean, in the standardised units of ``scaler_``.
    covariance_ : ndarray of shape (n_features, n_features)
        The model's covariance (ridge included), standardised units.
    ridge_ : float
        The ridge used (the chosen value with ``ridge="auto"``).
    ridge_path_ : ndarray or None
        The values tried by ``ridge="auto"`` (None for a given ridge).
    holdout_errors_ : ndarray or None
        Mean absolute error on the held-out entries for each of
        ``ridge_path_``, standardised units.
    n_iter_ : int
        EM iterations of the final fit.
    scaler_ : FeatureScaler
        The per-feature standardisation.
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
    MatrixCompletionImputer : A low-rank model, for many features.
    sklearn.impute.IterativeImputer : Round-robin regression of each feature
        on the others.

    References
    ----------
    .. [1] A. P. Dempster, N. M. Laird and D. B. Rubin, "Maximum likelihood
       from incomplete data via the EM algorithm", Journal of the Royal
       Statistical Society B 39(1), 1977.
    .. [2] R. J. A. Little and D. B. Rubin, "Statistical Analysis with Missing
       Data", 3rd edition, Wiley, 2019 (chapter 11, the multivariate normal).

    Examples
    --------
    >>> import numpy as np
    >>> from sklimpute import GaussianImputer
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 4)) @ rng.normal(size=(4, 6))  # correlated
    >>> X_missing = X.copy()
    >>> hidden = rng.rand(*X.shape) < 0.2
    >>> X_missing[hidden] = np.nan
    >>> imp = GaussianImputer(random_state=0).fit(X_missing)
    >>> X_filled = imp.transform(X_missing)
    >>> err = np.abs(X_filled - X)[hidden].mean()
    >>> mean_err = np.abs(np.nanmean(X_missing, axis=0) - X)[hidden].mean()
    >>> bool(err < 0.2 * mean_err)
    True
    >>> imp.sample_imputations(X_missing, n_draws=3, random_state=0).shape
    (3, 300, 6)
    """

    _parameter_constraints = {
        **BaseImputer._parameter_constraints,
        "categorical_features": CATEGORICAL_FEATURES_CONSTRAINT,
        "ridge": [Interval(numbers.Real, 0, None, closed="left"), StrOptions({"auto"})],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        ridge="auto",
        max_iter=200,
        tol=1e-3,
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
        self.categorical_features = categorical_features
        self.ridge = ridge
        self.max_iter = max_iter
        self.tol = tol

    def _fit(self, X, observed):
        rng = check_random_state(self.random_state)
        mean, cov = _start(X, observed)
        kw = dict(max_iter=self.max_iter, tol=self.tol)
        self.ridge_path_ = self.holdout_errors_ = None
        if self.ridge == "auto":
            hold = _holdout(observed, AUTO_HOLDOUT, rng, self._model_groups())
            fit_obs = observed & ~hold
            m, c = _start(X, fit_obs)
            errors, states = [], []
            path_kw = dict(max_iter=self.max_iter, tol=max(self.tol, AUTO_TOL))
            for ridge in AUTO_RIDGES:
                m, c, _, _ = _em(X, fit_obs, ridge, mean=m, cov=c, **path_kw)
                filled, _ = _conditional(X, fit_obs, m, c)
                errors.append(float(np.abs(filled[hold] - X[hold]).mean()))
                states.append((m, c))
                if self.verbose:
                    print(f"[GaussianImputer] ridge {ridge:g}  held-out MAE {errors[-1]:.4g}")
                if len(errors) - 1 - int(np.argmin(errors)) >= AUTO_PATIENCE:
                    break  # past the best: smaller ridges overfit more
            best = int(np.argmin(errors))
            self.ridge_ = float(AUTO_RIDGES[best])
            self.ridge_path_ = np.array(AUTO_RIDGES[: len(errors)])
            self.holdout_errors_ = np.array(errors)
            mean, cov = states[best]
        else:
            self.ridge_ = float(self.ridge)
        mean, cov, n_iter, converged = _em(X, observed, self.ridge_, mean=mean, cov=cov, **kw)
        if self.verbose:
            print(f"[GaussianImputer] EM: {n_iter} iterations at ridge {self.ridge_:g}")
        if not converged:
            warnings.warn(
                f"GaussianImputer did not converge: max_iter={self.max_iter} EM "
                f"iterations reached before tol={self.tol}. Increase max_iter or tol, "
                "or the ridge.",
                ConvergenceWarning,
            )
        self.mean_, self.covariance_, self.n_iter_ = mean, cov, int(n_iter)
        return self

    def _transform_batch_size(self):
        return max(1, min(4096, _CHUNK_VALUES // max(len(self.mean_) ** 2, 1)))  # the model's columns

    def _impute(self, X, observed):
        filled, _ = _conditional(X, observed, self.mean_, self.covariance_)
        return filled

    def sample_imputations(self, X, n_draws=5, *, random_state=None):
        """Draw completions of X from the model's conditional distribution.

        Each hole is drawn from the Gaussian of the holes given the row's
        observed entries (a draw of the whole row from the model, corrected
        to agree with the observed entries); the mean of many draws is
        :meth:`transform`'s imputation.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data with holes.
        n_draws : int, default=5
            Number of completions.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws.

        Returns
        -------
        draws : ndarray of shape (n_draws, n_samples, n_features)
            Completions in the input's feature space; the observed entries are
            identical in every draw, only the holes differ.
        """
        check_is_fitted(self)
        X, _ = self._validate_X(X, reset=False, mask=False)
        rng = check_random_state(random_state)
        root = np.linalg.cholesky(self.covariance_)
        draws = np.empty((int(n_draws),) + X.shape, dtype=X.dtype)

        def draw(Xs, obs):
            noise = rng.standard_normal(Xs.shape) @ root.T  # rows of N(0, cov)
            # Matheron's rule: the noise row, corrected by the conditional
            # mean of the data minus the noise (linear: one solve for both)
            # is a draw of the holes' conditional law; the observed entries
            # come back as Xs
            shifted, _ = _conditional(Xs - noise, obs, self.mean_, self.covariance_)
            return shifted + noise

        for k in range(int(n_draws)):
            self._impute_array(X, impute=draw, out=draws[k])
        return draws
