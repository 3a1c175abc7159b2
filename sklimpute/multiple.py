"""Multiple imputation: fit an estimator on each imputed draw, pool with Rubin's rules.

An imputer that can draw (one with ``sample_imputations``) gives ``m``
completions of the data; a downstream estimate (regression coefficients,
say) computed on each of them varies from draw to draw as much as the
missing values are uncertain. :func:`rubin_rules` pools the ``m`` estimates
and their complete-data variances into one estimate whose variance counts
both, and :func:`fit_pooled` does it for a scikit-learn estimator::

    draws = imputer.sample_imputations(X, n_draws=20, random_state=0)
    pooled = fit_pooled(LinearRegression(), draws, y)
    pooled.estimate, pooled.std_error, pooled.conf_int(0.95)

Rubin's rules (Rubin 1987; the degrees of freedom of Barnard and Rubin
1999), for ``m`` estimates ``Q_i`` with variances ``U_i``:

* point estimate ``Q = mean(Q_i)``;
* within-imputation variance ``W = mean(U_i)``;
* between-imputation variance ``B = var(Q_i)`` (``ddof=1``);
* total variance ``T = W + (1 + 1/m) B``;
* degrees of freedom ``nu_old = (m - 1) / lambda^2`` with
  ``lambda = (1 + 1/m) B / T``, and with the complete-data degrees of
  freedom ``nu_com`` known, ``nu = 1 / (1 / nu_old + 1 / nu_obs)``,
  ``nu_obs = (nu_com + 1) / (nu_com + 3) * nu_com * (1 - lambda)``.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import clone
from sklearn.linear_model import LinearRegression
from sklearn.utils import check_random_state

__all__ = ["PooledEstimate", "check_can_draw", "fit_pooled", "rubin_rules"]


def check_can_draw(imputer):
    """Raise a clear error when ``imputer`` cannot draw multiple imputations.

    Examples
    --------
    >>> from sklimpute import InpaintingImputer, GAINImputer
    >>> check_can_draw(GAINImputer())
    >>> check_can_draw(InpaintingImputer())
    Traceback (most recent call last):
    ...
    ValueError: InpaintingImputer cannot draw imputations: ...
    """
    if not hasattr(imputer, "sample_imputations"):
        raise ValueError(
            f"{type(imputer).__name__} cannot draw imputations: it gives one deterministic "
            "completion and has no model of the uncertainty of the missing values. Use an "
            "imputer with sample_imputations (GAINImputer, SpatialGAINImputer, VAEWLImputer, "
            "VSAEImputer, MisGANImputer, GlowImputer, MatrixCompletionImputer)."
        )


@dataclass
class PooledEstimate:
    """An estimate pooled over multiple imputations by Rubin's rules.

    Attributes
    ----------
    estimate : ndarray
        The pooled point estimate (mean over the imputations).
    within : ndarray
        Mean of the complete-data variances (within-imputation variance).
    between : ndarray
        Variance of the estimates across imputations (``ddof=1``).
    total : ndarray
        ``within + (1 + 1/m) * between``.
    df : ndarray
        Degrees of freedom of the t reference distribution.
    n_imputations : int
        ``m``.
    estimates : ndarray of shape (m, ...)
        The estimate of each imputation.
    estimators : list
        The fitted estimators (one per imputation) when made by
        :func:`fit_pooled`, else empty.
    """

    estimate: np.ndarray
    within: np.ndarray
    between: np.ndarray
    total: np.ndarray
    df: np.ndarray
    n_imputations: int
    estimates: np.ndarray
    estimators: list = field(default_factory=list, repr=False)

    @property
    def std_error(self):
        """Square root of the total variance."""
        return np.sqrt(self.total)

    @property
    def riv(self):
        """Relative increase in variance due to the missing values, ``(1 + 1/m) B / W``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return (1 + 1 / self.n_imputations) * self.between / self.within

    @property
    def fmi(self):
        """Fraction of missing information, ``(riv + 2 / (df + 3)) / (riv + 1)``."""
        r = self.riv
        with np.errstate(divide="ignore", invalid="ignore"):
            return (r + 2 / (self.df + 3)) / (r + 1)

    def conf_int(self, level=0.95):
        """Two-sided confidence interval ``estimate -+ t_df * std_error``.

        Returns
        -------
        low, high : ndarray
        """
        t = stats.t.ppf(0.5 + level / 2, self.df)
        half = t * self.std_error
        return self.estimate - half, self.estimate + half

    def to_frame(self, names=None, level=0.95):
        """A table of the pooled estimates: one row per coefficient.

        Examples
        --------
        >>> pooled = rubin_rules([[1.0], [2.0], [3.0]], [[0.5], [0.5], [0.5]])
        >>> table = pooled.to_frame(["slope"]).round(3)
        >>> table[["estimate", "std_error", "df", "ci_low", "ci_high", "fmi"]]
               estimate  std_error     df  ci_low  ci_high    fmi
        slope       2.0      1.354  3.781  -1.847    5.847  0.808
        """
        low, high = self.conf_int(level)
        columns = {"estimate": self.estimate, "std_error": self.std_error, "within": self.within,
                   "between": self.between, "total": self.total, "df": self.df,
                   "ci_low": low, "ci_high": high, "fmi": self.fmi}
        return pd.DataFrame({k: np.ravel(v) for k, v in columns.items()}, index=names)


def rubin_rules(estimates, variances, n_samples=None, n_params=0):
    """Pool ``m`` estimates and their variances with Rubin's rules.

    Parameters
    ----------
    estimates : array-like of shape (m, ...)
        One estimate per imputation (scalars or arrays of any shape).
    variances : array-like of shape (m, ...)
        The complete-data variance of each estimate (squared standard errors).
    n_samples : int or None, default=None
        Rows of the complete data: with it, the degrees of freedom take the
        small-sample correction of Barnard and Rubin (1999), with
        ``n_samples - n_params`` complete-data degrees of freedom.
    n_params : int, default=0
        Parameters the complete-data model estimates (coefficients and
        intercept).

    Returns
    -------
    pooled : PooledEstimate

    Examples
    --------
    >>> pooled = rubin_rules([1.0, 2.0, 3.0], [0.5, 0.5, 0.5])
    >>> print(pooled.estimate, pooled.between, round(float(pooled.total), 4))
    2.0 1.0 1.8333
    """
    Q = np.asarray(estimates, dtype=np.float64)
    U = np.asarray(variances, dtype=np.float64)
    if Q.ndim == 0 or Q.shape[0] < 2:
        raise ValueError(f"Rubin's rules need at least 2 imputations, got {Q.shape[:1]}.")
    if U.shape != Q.shape:
        raise ValueError(f"variances have shape {U.shape}, estimates {Q.shape}: one variance "
                         "per estimate is needed.")
    if (U < 0).any() or not np.isfinite(U).all() or not np.isfinite(Q).all():
        raise ValueError("estimates must be finite and variances finite and non-negative.")
    m = Q.shape[0]
    qbar, within = Q.mean(axis=0), U.mean(axis=0)
    between = Q.var(axis=0, ddof=1)
    total = within + (1 + 1 / m) * between
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = np.where(total > 0, (1 + 1 / m) * between / total, 0.0)
        df_old = np.where(lam > 0, (m - 1) / lam**2, np.inf)
        if n_samples is None:
            df = df_old
        else:
            df_com = float(n_samples - n_params)
            if df_com <= 0:
                raise ValueError(f"n_samples={n_samples} leaves no degrees of freedom for "
                                 f"{n_params} parameters.")
            df_obs = (df_com + 1) / (df_com + 3) * df_com * (1 - lam)
            df = np.where(np.isinf(df_old), df_obs, 1 / (1 / df_old + 1 / df_obs))
    return PooledEstimate(qbar, within, between, total, df, m, Q)


def _ols_variance(estimator, X, y):
    """Variances of an ordinary least squares fit's ``coef_`` (``sigma^2 (A^T A)^-1``)."""
    if type(estimator) is not LinearRegression or estimator.positive:
        raise ValueError(
            "variance='ols' gives the standard errors of sklearn.linear_model."
            f"LinearRegression only, got {type(estimator).__name__}: use "
            "variance='bootstrap' or a callable variance(estimator, X, y).")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    A = np.column_stack([np.ones(len(X)), X]) if estimator.fit_intercept else X
    residual = y - estimator.predict(X)
    dof = len(X) - A.shape[1]
    if dof <= 0:
        raise ValueError(f"{len(X)} rows cannot give standard errors for {A.shape[1]} parameters.")
    sigma2 = (residual**2).sum(axis=0) / dof
    cov = np.linalg.pinv(A.T @ A)
    diag = np.diag(cov)[1:] if estimator.fit_intercept else np.diag(cov)
    return np.multiply.outer(np.atleast_1d(sigma2), diag).reshape(np.shape(estimator.coef_))


def fit_pooled(estimator, draws, y=None, *, attribute="coef_", variance="ols",
               n_bootstrap=100, random_state=None):
    """Fit ``estimator`` on each imputed draw and pool ``attribute`` by Rubin's rules.

    Parameters
    ----------
    estimator : scikit-learn estimator
        Cloned and fitted once per draw.
    draws : array-like of shape (m, n_samples, n_features), or list of m arrays/DataFrames
        The completions, e.g. ``imputer.sample_imputations(X, m)``.
    y : array-like of shape (n_samples,) or None
        The target (complete).
    attribute : str
        The fitted attribute to pool (default: ``"coef_"``).
    variance : {"ols", "bootstrap"} or callable, default="ols"
        The complete-data variance of ``attribute`` on each draw:
        ``"ols"`` the classical standard errors of a
        :class:`~sklearn.linear_model.LinearRegression`'s coefficients;
        ``"bootstrap"`` the variance over ``n_bootstrap`` refits on rows
        drawn with replacement (any estimator, ``n_bootstrap`` times the
        cost); a callable ``variance(fitted_estimator, X, y)`` returning an
        array shaped like the attribute.
    n_bootstrap : int, default=100
        Resamples per draw for ``variance="bootstrap"``.
    random_state : int, RandomState instance or None, default=None
        Seeds the bootstrap.

    Returns
    -------
    pooled : PooledEstimate
        With ``estimators`` the fitted estimators. For ``"ols"`` the degrees
        of freedom use the complete-data ones, ``n_samples - n_params``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(50, 2))
    >>> y = X @ [1.0, -2.0] + rng.normal(scale=0.1, size=50)
    >>> draws = np.stack([X + rng.normal(scale=0.01, size=X.shape) for _ in range(5)])
    >>> pooled = fit_pooled(LinearRegression(), draws, y)
    >>> np.round(pooled.estimate, 1)
    array([ 1., -2.])
    """
    if isinstance(draws, np.ndarray):
        if draws.ndim != 3:
            raise ValueError(f"draws must have shape (m, n_samples, n_features), got {draws.shape}.")
        draws = list(draws)
    draws = list(draws)
    if len(draws) < 2:
        raise ValueError(f"fit_pooled needs at least 2 draws, got {len(draws)}.")
    rng = check_random_state(random_state)
    estimates, variances, fitted = [], [], []
    for Xk in draws:
        est = clone(estimator).fit(Xk, y)
        if not hasattr(est, attribute):
            raise ValueError(f"{type(est).__name__} has no attribute {attribute!r} after fit.")
        estimates.append(np.array(getattr(est, attribute), dtype=np.float64))
        if callable(variance):
            var = variance(est, Xk, y)
        elif variance == "ols":
            var = _ols_variance(est, Xk, y)
        elif variance == "bootstrap":
            var = _bootstrap_variance(estimator, Xk, y, attribute, n_bootstrap, rng)
        else:
            raise ValueError(f"variance must be 'ols', 'bootstrap' or a callable, got {variance!r}.")
        variances.append(np.asarray(var, dtype=np.float64))
        fitted.append(est)
    n_samples = n_params = None
    if variance == "ols":
        n_samples = len(draws[0])
        n_params = np.shape(draws[0])[1] + int(estimator.fit_intercept)
    pooled = rubin_rules(estimates, variances, n_samples=n_samples, n_params=n_params or 0)
    pooled.estimators = fitted
    return pooled


def _bootstrap_variance(estimator, X, y, attribute, n_bootstrap, rng):
    values = []
    n = len(X)
    for _ in range(int(n_bootstrap)):
        idx = rng.randint(n, size=n)
        Xb = X.iloc[idx] if hasattr(X, "iloc") else np.asarray(X)[idx]
        yb = None if y is None else np.asarray(y)[idx]
        values.append(np.asarray(getattr(clone(estimator).fit(Xb, yb), attribute), dtype=np.float64))
    return np.var(values, axis=0, ddof=1)
