"""A (mixture of) multivariate normal model(s) of the rows, fitted by EM: the classical generative imputer.

The rows are modelled as draws from one Gaussian ``N(mean, covariance)``, or
from a mixture of several. The parameters are estimated from the incomplete
data by the EM algorithm (each E-step weighs each row's components by their
likelihood for its observed entries, completes the row with each
component's conditional mean and adds the conditional covariance of its
holes; each M-step re-estimates the weights, means and covariances), with a
ridge on the covariances' diagonals that keeps them well conditioned when
rows are few. A hole is then imputed with its posterior mean (the
conditional means of the components, weighted by their responsibilities for
the row) and drawn from its conditional distribution for multiple
imputation.

All the rows of a batch are solved at once from each component's precision
matrix: a row needs only the block of its holes, padded with the identity
to the batch's most holes (rows are batched in order of their number of
holes), so one batched factorisation serves rows with any pattern of holes
and costs little where the holes are few.
"""

import numbers
import warnings

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..base import BaseImputer
from ..categorical import CATEGORICAL_FEATURES_CONSTRAINT, CategoricalMixin
from .matrix_completion import _holdout
from .self_masking import MAX_ITER as SELF_MASKING_MAX_ITER
from .self_masking import N_DRAWS, normal_points, self_masking_em, self_masking_pass

__all__ = ["GaussianImputer"]

#: share of the observed entries held out to choose ``ridge="auto"``
AUTO_HOLDOUT = 0.1
#: the ridges ``ridge="auto"`` chooses from (standardised units)
AUTO_RIDGES = (1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001)
#: the path stops after this many ridges in a row worse than the best one
AUTO_PATIENCE = 2
#: the numbers of components ``n_components="auto"`` chooses from
AUTO_COMPONENTS = (1, 2, 4, 8, 16)
#: ``n_components="auto"`` tries at most one component per this many rows
MIN_ROWS_PER_COMPONENT = 20
#: ``n_components="auto"``: each number of components tries these multiples of
#: the one Gaussian's ridge, in this order, until one is worse than the last
AUTO_COMPONENT_RIDGES = (10.0, 3.0, 1.0)
#: at most this many EM iterations per fit along the ``n_components="auto"`` path
AUTO_COMPONENTS_MAX_ITER = 50
#: EM's ``tol`` along the ``ridge="auto"`` path (only its ranking of ridges matters)
AUTO_TOL = 1e-2
#: values per batched array: a chunk of rows with at most ``m`` holes each
#: holds about this // (m * m + n_features) rows (``_chunks``)
_CHUNK_VALUES = 2**22


def _chunks(holes, d, values=_CHUNK_VALUES):
    """``(slice, m)`` chunks of rows sorted by ``holes`` (ascending), about ``values`` numbers each.

    ``m`` is the most holes of a row of the chunk; a row costs ``m * m + d``.
    """
    holes = np.asarray(holes, dtype=np.int64)
    out, i = [], 0
    while i < len(holes):
        cost = np.arange(1, len(holes) - i + 1) * (holes[i:] ** 2 + d)
        stop = i + max(1, int(np.searchsorted(cost, values, side="right")))
        out.append((slice(i, stop), int(holes[stop - 1])))
        i = stop
    return out


def _precision(cov):
    """The inverse of ``cov`` and its log-determinant.

    A singular ``cov`` (ridge=0 on collinear data) gets the smallest jitter
    on its diagonal, from 1e-10 of its mean variance up, that factorises.
    """
    L, info = torch.linalg.cholesky_ex(cov)
    jitter = 1e-10 * float(torch.diagonal(cov).mean()) + 1e-300
    for _ in range(10):
        if not int(info):
            return torch.cholesky_inverse(L), 2.0 * torch.log(torch.diagonal(L)).sum()
        L, info = torch.linalg.cholesky_ex(cov + jitter * torch.eye(len(cov), dtype=cov.dtype))
        jitter *= 100.0
    raise FloatingPointError(
        "GaussianImputer's covariance is not positive definite even with a jitter of "
        f"{jitter / 100:.3g} on its diagonal (non-finite data?). Check that X holds finite "
        "numbers, or set a larger ridge.")


def _hole_index(holes, m):
    """Each row's hole positions, padded to ``m`` with ``n_features``.

    Returns ``(index, valid)``; the padding points to an extra, zero feature.
    """
    counts = holes.sum(dim=1)
    # a stable sort puts each row's holes first, in feature order
    order = torch.argsort((~holes).to(torch.int8), dim=1, stable=True)[:, :m]
    valid = torch.arange(m)[None, :] < counts[:, None]
    return torch.where(valid, order, holes.shape[1]), valid


def _mixture_pass(Z, obs, means, covs, log_weights, *, statistics=False):
    """One pass over the rows under a mixture of Gaussians.

    ``means`` ``(K, d)``, ``covs`` ``(K, d, d)``, ``log_weights`` ``(K,)``.
    Each row's holes get the posterior mean of the mixture: the conditional
    mean under each component, weighted by the component's responsibility
    for the row given its observed entries. Returns the completed rows, the
    responsibilities ``(n, K)`` and, with ``statistics``, the weighted
    sufficient statistics of EM's M-step per component: the sums of the
    responsibilities, of the completed rows, of their outer products and of
    the conditional covariances of the holes.

    Everything comes from each component's precision matrix ``P``: for a
    row with holes ``M`` and centred observed entries ``e`` (0 on the
    holes), the holes' conditional covariance is ``inv(P[M, M])``, their
    conditional mean ``mean[M] - inv(P[M, M]) (P e)[M]``, and the
    observed entries' log-density needs ``e' P e - (P e)[M]' inv(P[M, M])
    (P e)[M]`` and ``logdet(cov) + logdet(P[M, M])``. One batched
    factorisation of the rows' hole blocks (padded with the identity to the
    chunk's most holes; rows are chunked in order of their number of holes)
    serves every pattern, and costs little where the holes are few.
    """
    n, d = Z.shape
    K = len(means)
    out = np.empty_like(Z)
    resp = np.ones((n, K))
    stats = None
    if statistics:
        stats = (np.zeros(K), np.zeros((K, d)), np.zeros((K, d, d)), np.zeros((K, d, d)))
    # one extra, zero feature that the padding of the hole index points to
    means_t = torch.nn.functional.pad(torch.from_numpy(means), (0, 1))
    precisions = []
    for cov in torch.from_numpy(covs):
        P, logdet = _precision(cov)
        precisions.append((torch.nn.functional.pad(P, (0, 1, 0, 1)), logdet))
    n_holes = (~obs).sum(axis=1)
    by_holes = np.argsort(n_holes, kind="stable")
    for s, m in _chunks(n_holes[by_holes], d, _CHUNK_VALUES // (K if statistics else 1)):
        rows = by_holes[s]
        o = torch.from_numpy(obs[rows])
        idx, valid = _hole_index(~o, m)
        z = torch.nn.functional.pad(torch.from_numpy(Z[rows]), (0, 1))
        o = torch.nn.functional.pad(o, (0, 1), value=True)
        eye = torch.diag_embed((~valid).to(z.dtype))  # the identity on the padding
        fills, logliks, blocks = [], [], []
        for k in range(K):
            P, logdet = precisions[k]
            e = torch.where(o, z - means_t[k], 0.0)
            Pe = e @ P
            b = torch.gather(Pe, 1, idx)
            A = P[idx[:, :, None], idx[:, None, :]] + eye  # the hole blocks of P
            L, info = torch.linalg.cholesky_ex(A)
            if bool(info.any()):  # near-singular covariance (ridge=0 on collinear data)
                scale = torch.diagonal(A, dim1=1, dim2=2).amax(dim=1)
                A = A + torch.diag_embed((1e-10 * scale)[:, None] * valid)
                L = torch.linalg.cholesky(A)
            y = torch.cholesky_solve(b.unsqueeze(-1), L).squeeze(-1)
            fill = z.scatter(1, idx, means_t[k][idx] - y)
            fills.append(torch.where(o, z, fill)[:, :d])
            if K > 1:  # log-density of the observed entries (up to a constant)
                maha = (e * Pe).sum(dim=1) - (b * y).sum(dim=1)
                logdet_obs = logdet + 2.0 * torch.log(torch.diagonal(L, dim1=1, dim2=2)).sum(dim=1)
                logliks.append(log_weights[k] - 0.5 * (maha + logdet_obs))
            if statistics:
                blocks.append(torch.cholesky_inverse(L))
        r = torch.softmax(torch.stack(logliks, dim=1), dim=1) if K > 1 else torch.ones(len(z), 1, dtype=z.dtype)
        resp[rows] = r.numpy()
        posterior = torch.einsum("nk,knd->nd", r, torch.stack(fills))
        out[rows] = torch.where(o[:, :d], z[:, :d], posterior).numpy()
        if statistics:
            flat = (idx[:, :, None] * (d + 1) + idx[:, None, :]).reshape(-1)
            for k in range(K):
                rk, fill = r[:, k], fills[k]
                cond = torch.zeros((d + 1) ** 2, dtype=z.dtype)
                cond.index_add_(0, flat, (blocks[k] * rk[:, None, None]).reshape(-1))
                stats[0][k] += float(rk.sum())
                stats[1][k] += (rk @ fill).numpy()
                stats[2][k] += ((fill * rk[:, None]).T @ fill).numpy()
                stats[3][k] += cond.reshape(d + 1, d + 1)[:d, :d].numpy()
    return out, resp, stats


def _conditional(Z, obs, mean, cov):
    """Conditional means of the holes of ``Z`` (holes hold anything) under ``N(mean, cov)``."""
    return _mixture_pass(Z, obs, mean[None], cov[None], np.zeros(1))[0]


def _m_step(stats, ridge, means, covs, n):
    """Means, covariances (``ridge`` on the diagonal) and log-weights from EM's statistics.

    A component that no row belongs to any more keeps its parameters.
    """
    counts, sums, squares, cond = stats
    d = means.shape[1]
    means, covs = means.copy(), covs.copy()
    for k, count in enumerate(counts):
        if count <= 1e-8 * n:
            continue
        mean = sums[k] / count
        cov = (squares[k] - count * np.outer(mean, mean) + cond[k]) / count + ridge * np.eye(d)
        means[k], covs[k] = mean, 0.5 * (cov + cov.T)
    return means, covs, np.log(np.maximum(counts, 1e-12) / n)


def _em(Z, obs, ridge, means, covs, log_weights, *, max_iter, tol):
    """EM for a mixture of Gaussians from the observed entries, ``ridge`` on each diagonal.

    Starts from ``means``/``covs``/``log_weights`` (one component: the
    multivariate normal); stops when the largest change of a mean,
    covariance or weight entry is at most ``tol`` (the data are
    standardised). Returns ``means, covs, log_weights, n_iter, converged``.
    """
    n = len(Z)
    for it in range(1, max_iter + 1):
        _, _, stats = _mixture_pass(Z, obs, means, covs, log_weights, statistics=True)
        new_means, new_covs, new_logw = _m_step(stats, ridge, means, covs, n)
        change = max(np.abs(new_means - means).max(initial=0.0),
                     np.abs(new_covs - covs).max(initial=0.0),
                     np.abs(np.exp(new_logw) - np.exp(log_weights)).max(initial=0.0))
        means, covs, log_weights = new_means, new_covs, new_logw
        if change <= tol:
            return means, covs, log_weights, it, True
    return means, covs, log_weights, max_iter, False


def _start(Z, obs):
    """Observed means and variances (0 and 1 for a feature never observed)."""
    count = obs.sum(axis=0)
    seen = count > 0
    mean = np.where(seen, (Z * obs).sum(axis=0) / np.maximum(count, 1), 0.0)
    var = np.where(seen, (((Z - mean) * obs) ** 2).sum(axis=0) / np.maximum(count, 1), 1.0)
    cov = np.diag(np.where(var > 0, var, 1.0))
    return mean[None], cov[None], np.zeros(1)


def _one_standard_error(errors):
    """The first of ``errors`` (arrays of per-entry errors on the same entries) not clearly worse than the best.

    Clearly worse: its mean exceeds the best one's by more than one standard
    error of the entries' paired differences (the one-standard-error rule:
    more components must pay beyond the noise of the held-out entries).
    """
    best = errors[int(np.argmin([e.mean() for e in errors]))]
    for i, e in enumerate(errors):
        diff = e - best
        if diff.mean() <= diff.std() / np.sqrt(max(len(diff), 1)):
            return i
    return len(errors) - 1


def _mixture_start(Z, obs, single, n_components, ridge, rng):
    """A mixture's first parameters: k-means clusters of the rows completed by one Gaussian.

    Each cluster's mean and covariance (plus the one Gaussian's covariance
    as one pseudo-row, so that a small cluster is not degenerate) start a
    component; its share of the rows, the component's weight.
    """
    filled = _mixture_pass(Z, obs, *single)[0]
    seed = rng.randint(np.iinfo(np.int32).max)
    labels = KMeans(n_components, n_init=3, random_state=seed).fit_predict(filled)
    resp = np.eye(n_components)[labels]
    counts = resp.sum(axis=0)
    sums = resp.T @ filled
    squares = np.stack([(filled * resp[:, [k]]).T @ filled for k in range(n_components)])
    cond = np.repeat(single[1], n_components, axis=0)
    means = np.repeat(single[0], n_components, axis=0)
    stats = (counts + 1, sums + means, squares + cond + np.einsum("ki,kj->kij", means, means), np.zeros_like(cond))
    return _m_step(stats, ridge, means, cond, len(Z))


class GaussianImputer(CategoricalMixin, BaseImputer):
    """Imputation by a multivariate normal model, or a mixture of them, fitted with EM.

    Models the rows as draws of one Gaussian or of a mixture of Gaussians,
    estimates the means and covariances from the incomplete training data by
    expectation-maximisation (Dempster, Laird and Rubin's algorithm for
    missing data; Ghahramani and Jordan's for mixtures), and imputes each
    hole with its posterior mean given the row's observed entries. With one
    component that is the best linear prediction of the hole from what the
    row shows, whatever its pattern of holes; with several, each component
    predicts linearly and the components are weighted by how well they
    explain the row (groups of rows with their own correlations: wine
    cultivars, digit classes). It is the classical generative imputer, with
    no training hyperparameters to tune, and the one to try first on numeric
    tables with more rows than columns. :meth:`sample_imputations` draws
    from the conditional distribution (multiple imputation).

    Each EM iteration factorises, per row and component, the block of the
    precision matrix on the row's holes: for hundreds of features with many
    holes (images larger than 8x8) use :class:`MatrixCompletionImputer` (a
    low-rank model) or an image imputer. See :doc:`/methods/gaussian`.

    Parameters
    ----------
    n_components : int >= 1 or "auto", default="auto"
        Number of Gaussians in the mixture. ``"auto"``: after the ridge is
        chosen for one Gaussian, mixtures of ``AUTO_COMPONENTS`` (2, 4, 8, 16;
        at most one component per ``MIN_ROWS_PER_COMPONENT`` rows) are fitted
        on the same held-out split, each started from k-means clusters of the
        rows completed by the one Gaussian and trying the ridge times
        ``AUTO_COMPONENT_RIDGES`` (10, 3, 1: fewer rows per component need more
        ridge); the path stops ``AUTO_PATIENCE`` values past the best, and the
        fewest components whose held-out error is within one standard error
        (of the held-out entries' paired differences) of the best are kept,
        with their ridge. 1: the multivariate normal.
    ridge : float >= 0 or "auto", default="auto"
        Added to the diagonal of the covariance at each M-step, in the units
        of the standardised data (each feature has unit variance): larger
        shrinks the conditional means towards the feature means (a ridge
        regression of each hole on the observed entries). ``"auto"``: a
        seeded 10% of the observed entries is held out, EM runs on the rest
        for the values of ``AUTO_RIDGES`` (1 down to 0.001, each
        warm-started from the last, stopping ``AUTO_PATIENCE`` values past
        the best), the value with the smallest mean error on the held-out
        entries is kept (the absolute error of a number, in standardised
        units; 0 or 1 for a categorical feature: whether the imputed category
        is wrong), and EM runs again on all the observed
        entries at it.
    max_iter : int >= 1, default=200
        Maximal number of EM iterations (per value of the ``"auto"`` path).
        A :class:`~sklearn.exceptions.ConvergenceWarning` is raised when the
        final fit reaches it before ``tol``.
    tol : float > 0, default=1e-3
        EM stops when no entry of the mean or the covariance (standardised
        units) changes by more than ``tol``.
    mechanism : {"mar", "self_masking"}, default="mar"
        What the holes depend on. ``"mar"``: at most on observed entries (the
        classical EM; the model of the missingness is not needed).
        ``"self_masking"``: each entry's chance of being missing depends on
        its own value, by a logistic model per feature (missing not at random:
        large values lost more often, or small ones), fitted with the
        Gaussian by Monte Carlo EM (:mod:`sklimpute.models.self_masking`, at
        most 50 iterations) after the ridge is chosen; one Gaussian, numeric
        features only.
        Choose it when you know the values themselves drive the holes: on
        missingness driven by other features it is worse than ``"mar"``.
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
    n_components_ : int
        Number of Gaussians of the model (the chosen value with
        ``n_components="auto"``).
    weights_ : ndarray of shape (n_components,)
        The components' weights.
    means_ : ndarray of shape (n_components, n_features)
        The components' means, in the standardised units of ``scaler_``.
    covariances_ : ndarray of shape (n_components, n_features, n_features)
        The components' covariances (ridge included), standardised units.
    mean_ : ndarray of shape (n_features,)
        The model's mean (of the whole mixture), standardised units.
    covariance_ : ndarray of shape (n_features, n_features)
        The model's covariance (of the whole mixture; the one Gaussian's with
        one component), standardised units.
    ridge_ : float
        The ridge used (the chosen value with ``ridge="auto"``, then the one
        kept with the chosen number of components).
    ridge_path_ : ndarray or None
        The values tried by ``ridge="auto"`` for one Gaussian (None for a
        given ridge).
    holdout_errors_ : ndarray or None
        Mean error on the held-out entries (see ``ridge``) for each of
        ``ridge_path_``, standardised units.
    components_path_, components_errors_ : ndarray or None
        The numbers of components tried by ``n_components="auto"`` and the
        held-out error of each (at its best ridge); None for a given number.
    n_iter_ : int
        EM iterations of the final fit (of the self-masking EM with
        ``mechanism="self_masking"``).
    mask_slopes_, mask_intercepts_ : ndarray of shape (n_features,) or None
        With ``mechanism="self_masking"``: each feature's logistic model of
        being missing, ``sigmoid(slope * value + intercept)`` with the value
        in standardised units (a positive slope: large values are lost more
        often; 0: at random). None with ``"mar"``.
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
    .. [3] Z. Ghahramani and M. I. Jordan, "Supervised learning from incomplete
       data via an EM approach", Advances in Neural Information Processing
       Systems 6, 1994 (mixtures of Gaussians with missing entries).

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
        "n_components": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "ridge": [Interval(numbers.Real, 0, None, closed="left"), StrOptions({"auto"})],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="neither")],
        "mechanism": [StrOptions({"mar", "self_masking"})],
    }

    def __init__(
        self,
        *,
        n_components="auto",
        ridge="auto",
        max_iter=200,
        tol=1e-3,
        mechanism="mar",
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
        self.n_components = n_components
        self.ridge = ridge
        self.max_iter = max_iter
        self.tol = tol
        self.mechanism = mechanism

    def _fit(self, X, observed):
        rng = check_random_state(self.random_state)
        kw = dict(max_iter=self.max_iter, tol=self.tol)
        path_kw = dict(max_iter=self.max_iter, tol=max(self.tol, AUTO_TOL))
        self.ridge_path_ = self.holdout_errors_ = None
        self.components_path_ = self.components_errors_ = None
        self.mask_slopes_ = self.mask_intercepts_ = None
        self_masking = self.mechanism == "self_masking"
        if self_masking:
            self._check_self_masking()
        auto_ridge, auto_k = self.ridge == "auto", self.n_components == "auto" and not self_masking
        fit_obs = observed
        if auto_ridge or auto_k:
            hold = _holdout(observed, AUTO_HOLDOUT, rng, self._model_groups())
            fit_obs = observed & ~hold
            blocks = getattr(self, "_onehot", None)

            def errors_of(params):
                """The error of each held-out entry: absolute for numbers, 0/1 for a category."""
                filled = _mixture_pass(X, fit_obs, *params)[0]
                if blocks is None:
                    return np.abs(filled[hold] - X[hold])
                pred, true = blocks.collapse(filled), blocks.collapse(X)
                err = np.where(blocks.categorical_, (pred != true).astype(float), np.abs(pred - true))
                return err[blocks.collapse_mask(hold)]

            def error(params):
                return float(errors_of(params).mean())

        params = _start(X, fit_obs)
        if auto_ridge:  # the ridge, with one Gaussian
            errors, states = [], []
            for ridge in AUTO_RIDGES:
                params = _em(X, fit_obs, ridge, *params, **path_kw)[:3]
                errors.append(error(params))
                states.append(params)
                if self.verbose:
                    print(f"[GaussianImputer] ridge {ridge:g}  held-out MAE {errors[-1]:.4g}")
                if len(errors) - 1 - int(np.argmin(errors)) >= AUTO_PATIENCE:
                    break  # past the best: smaller ridges overfit more
            best = int(np.argmin(errors))
            self.ridge_ = float(AUTO_RIDGES[best])
            self.ridge_path_ = np.array(AUTO_RIDGES[: len(errors)])
            self.holdout_errors_ = np.array(errors)
            params = states[best]
        else:
            self.ridge_ = float(self.ridge)
        if auto_k:  # the number of components, at that ridge
            if not auto_ridge:
                params = _em(X, fit_obs, self.ridge_, *params, **path_kw)[:3]
            single = params
            path = [k for k in AUTO_COMPONENTS if k * MIN_ROWS_PER_COMPONENT <= len(X)] or [1]
            errors, states, ridges = [errors_of(params)], [params], [self.ridge_]
            k_kw = dict(path_kw, max_iter=min(self.max_iter, AUTO_COMPONENTS_MAX_ITER))
            for k in path[1:]:
                start = _mixture_start(X, fit_obs, single, k, self.ridge_, rng)
                best_k = None
                for factor in AUTO_COMPONENT_RIDGES:  # fewer rows per component: more ridge
                    ridge = min(self.ridge_ * factor, AUTO_RIDGES[0])
                    start = _em(X, fit_obs, ridge, *start, **k_kw)[:3]
                    err = errors_of(start)
                    if best_k is not None and err.mean() >= best_k[0].mean():
                        break
                    best_k = (err, start, ridge)
                errors.append(best_k[0])
                states.append(best_k[1])
                ridges.append(best_k[2])
                if self.verbose:
                    print(f"[GaussianImputer] {k} components  held-out MAE {errors[-1].mean():.4g}")
                means = [e.mean() for e in errors]
                if len(means) - 1 - int(np.argmin(means)) >= AUTO_PATIENCE:
                    break  # past the best: more components overfit
            best = _one_standard_error(errors)
            self.n_components_ = int(path[best])
            self.ridge_ = float(ridges[best])
            self.components_path_ = np.array(path[: len(errors)])
            self.components_errors_ = np.array([e.mean() for e in errors])
            params = states[best]
        else:
            self.n_components_ = 1 if self_masking else int(self.n_components)
            if self.n_components_ > 1:
                single = _em(X, observed, self.ridge_, *params, **path_kw)[:3]
                params = _mixture_start(X, observed, single, self.n_components_, self.ridge_, rng)
        means, covs, log_weights, n_iter, converged = _em(X, observed, self.ridge_, *params, **kw)
        if self.verbose:
            print(f"[GaussianImputer] EM: {n_iter} iterations, {self.n_components_} "
                  f"component(s) at ridge {self.ridge_:g}")
        if self_masking:  # from the MAR model: the model of the holes too (no warning at
            # its iteration cap: the imputations settle long before the slopes)
            mean, cov, slopes, intercepts, n_iter, _ = self_masking_em(
                X, observed, means[0], covs[0], self.ridge_,
                max_iter=min(self.max_iter, SELF_MASKING_MAX_ITER), tol=self.tol)
            means, covs, log_weights = mean[None], cov[None], np.zeros(1)
            self.mask_slopes_, self.mask_intercepts_ = slopes, intercepts
            if self.verbose:
                print(f"[GaussianImputer] self-masking EM: {n_iter} iterations; slopes "
                      f"{np.array2string(slopes, precision=2)}")
        if not converged:
            warnings.warn(
                f"GaussianImputer did not converge: max_iter={self.max_iter} EM "
                f"iterations reached before tol={self.tol}. Increase max_iter or tol, "
                "or the ridge.",
                ConvergenceWarning,
            )
        self.means_, self.covariances_ = means, covs
        self.weights_ = np.exp(log_weights)
        self.weights_ /= self.weights_.sum()
        # the moments of the whole model (its one Gaussian when n_components_ is 1)
        self.mean_ = self.weights_ @ means
        spread = covs + np.einsum("ki,kj->kij", means - self.mean_, means - self.mean_)
        self.covariance_ = np.einsum("k,kij->ij", self.weights_, spread)
        self.n_iter_ = int(n_iter)
        return self

    def _check_self_masking(self):
        if self.n_components not in ("auto", 1):
            raise ValueError(
                f"mechanism='self_masking' models one Gaussian, got n_components="
                f"{self.n_components!r}: use n_components=1 (or 'auto'), or mechanism='mar' "
                "for a mixture.")
        if np.any(getattr(self, "categorical_", False)):
            raise ValueError(
                "mechanism='self_masking' models numeric features (a logistic model of each "
                "value's chance to be missing); this table has categorical features. Use "
                "mechanism='mar', or encode the categories as numbers yourself.")

    def _transform_batch_size(self):
        return max(1, min(4096, _CHUNK_VALUES // max(len(self.mean_) ** 2, 1)))  # the model's columns

    def _self_masking_pass(self, X, observed, statistics=False):
        points = normal_points(N_DRAWS, X.shape[1])
        return self_masking_pass(X, observed, self.means_[0], self.covariances_[0], self.mask_slopes_,
                                 self.mask_intercepts_, points, statistics=statistics)

    def _impute(self, X, observed):
        if self.mask_slopes_ is not None:
            return self._self_masking_pass(X, observed)[0]
        return _mixture_pass(X, observed, self.means_, self.covariances_, np.log(self.weights_))[0]

    def sample_imputations(self, X, n_draws=5, *, random_state=None):
        """Draw completions of X from the model's conditional distribution.

        Each hole is drawn from the Gaussian of the holes given the row's
        observed entries (a draw of the whole row from the model, corrected
        to agree with the observed entries); the mean of many draws is
        :meth:`transform`'s imputation. With ``mechanism="self_masking"``
        each row's holes are one of the importance sampler's draws, picked
        with probability its weight (sampling importance resampling).

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
        roots = np.linalg.cholesky(self.covariances_)
        log_weights = np.log(self.weights_)
        draws = np.empty((int(n_draws),) + X.shape, dtype=X.dtype)

        def resample(Xs, obs):
            out = np.where(obs, Xs, 0.0)
            for rows, holes, values, weights in self._self_masking_pass(Xs, obs, statistics=True)[1]:
                u = rng.uniform(size=(len(rows), 1))
                pick = np.minimum((np.cumsum(weights, axis=1) < u).sum(axis=1), weights.shape[1] - 1)
                out[np.ix_(rows, holes)] = values[np.arange(len(rows)), pick]
            return out

        def draw(Xs, obs):
            # a component per row, drawn from its responsibilities for the row
            _, resp, _ = _mixture_pass(Xs, obs, self.means_, self.covariances_, log_weights)
            u = rng.uniform(size=(len(Xs), 1))
            comp = np.minimum((np.cumsum(resp, axis=1) < u).sum(axis=1), len(roots) - 1)
            out = np.empty_like(Xs)
            for k in np.unique(comp):
                rows = comp == k
                noise = rng.standard_normal((int(rows.sum()), Xs.shape[1])) @ roots[k].T
                # Matheron's rule: the noise row (a draw of N(0, cov)),
                # corrected by the conditional mean of the data minus the
                # noise (linear: one solve for both), is a draw of the holes'
                # conditional law; the observed entries come back as Xs
                shifted = _conditional(Xs[rows] - noise, obs[rows], self.means_[k], self.covariances_[k])
                out[rows] = shifted + noise
            return out

        for k in range(int(n_draws)):
            self._impute_array(X, impute=resample if self.mask_slopes_ is not None else draw,
                               out=draws[k])
        return draws
