"""Multiple imputation: draws of every imputer that can draw, spread, Rubin's rules."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, Ridge

from sklimpute import MatrixCompletionImputer, fit_pooled, rubin_rules
from sklimpute.models import REGISTRY
from sklimpute.multiple import check_can_draw

SAMPLERS = [name for name, e in REGISTRY.items() if hasattr(e.cls, "sample_imputations")]


def test_which_imputers_draw():
    # a deterministic filter, the single-image method and the chooser among
    # other imputers do not; every generative model and matrix completion
    # (its noise model) do
    assert set(REGISTRY) - set(SAMPLERS) == {"inpainting", "single_image", "auto"}
    for name in ("inpainting", "single_image", "auto"):
        with pytest.raises(ValueError, match="cannot draw imputations"):
            check_can_draw(REGISTRY[name].cls())


@pytest.mark.parametrize("name", SAMPLERS)
def test_draws_vary_on_holes_only(name, digits):
    entry = REGISTRY[name]
    rng = np.random.RandomState(0)
    X = digits[:240].copy()
    X[rng.rand(*X.shape) < 0.3] = np.nan
    params = dict(entry.test_params, random_state=0)
    if entry.images_only:
        params["shape"] = (8, 8)
    if name == "spatialgain":  # its default reads a diffusion fill, not noise
        params["prefill"] = "noise"
    imp = clone(entry.cls(**params)).fit(X[:200])
    Xn = X[200:]
    holes = np.isnan(Xn)
    draws = imp.sample_imputations(Xn, 4, random_state=1)
    assert draws.shape == (4,) + Xn.shape
    assert (draws[:, ~holes] == Xn[~holes]).all()
    spread = draws.std(axis=0)
    assert (spread[holes] > 0).mean() > 0.5, "the draws should differ on the holes"
    again = imp.sample_imputations(Xn, 4, random_state=1)
    np.testing.assert_array_equal(draws, again)
    mean, std = imp.impute_with_spread(Xn, 4, random_state=1)
    np.testing.assert_allclose(mean, draws.mean(axis=0))
    np.testing.assert_allclose(std, draws.std(axis=0, ddof=1))
    assert (std[~holes] == 0).all()


def test_spatialgain_with_a_deterministic_fill_cannot_draw(digits):
    X = digits[:60].copy()
    X[::2, 20:30] = np.nan
    imp = REGISTRY["spatialgain"].cls(epochs=1, shape=(8, 8), random_state=0).fit(X)
    with pytest.raises(ValueError, match="prefill='diffusion'.*cannot draw.*prefill='noise'"):
        imp.sample_imputations(X, 2)


def test_impute_with_spread_needs_two_draws(digits):
    X = digits[:100].copy()
    X[::3, 5] = np.nan
    imp = MatrixCompletionImputer(lam=1.0).fit(X)
    with pytest.raises(ValueError, match="at least 2"):
        imp.impute_with_spread(X, 1)
    assert not hasattr(REGISTRY["inpainting"].cls(), "impute_with_spread")


def test_matrix_completion_noise_is_the_residual_std():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 3)) @ rng.normal(size=(3, 12)) + rng.normal(scale=0.3, size=(300, 12))
    X[rng.rand(*X.shape) < 0.2] = np.nan
    imp = MatrixCompletionImputer(lam=1.0, random_state=0).fit(X)
    assert imp.residual_std_.shape == (12,) and (imp.residual_std_ > 0).all()
    draws = imp.sample_imputations(X, 200, random_state=0)
    noise = (draws - imp.transform(X)) / imp.scaler_.scale_
    holes = np.isnan(X)
    for j in range(12):
        std = noise[:, holes[:, j], j].std()
        assert abs(std / imp.residual_std_[j] - 1) < 0.05


def test_rubin_rules_known_answer():
    pooled = rubin_rules([1.0, 2.0, 3.0], [0.5, 0.5, 0.5])
    assert pooled.estimate == 2.0 and pooled.within == 0.5 and pooled.between == 1.0
    assert pooled.total == pytest.approx(0.5 + 4 / 3)
    lam = (4 / 3) / (0.5 + 4 / 3)
    assert pooled.df == pytest.approx(2 / lam**2)
    # Barnard-Rubin with 10 complete-data degrees of freedom
    small = rubin_rules([1.0, 2.0, 3.0], [0.5, 0.5, 0.5], n_samples=12, n_params=2)
    obs = 11 / 13 * 10 * (1 - lam)
    assert small.df == pytest.approx(1 / (lam**2 / 2 + 1 / obs))
    low, high = pooled.conf_int(0.95)
    assert high - 2.0 == pytest.approx(2.0 - low)
    # no spread between imputations: the complete-data answer
    same = rubin_rules([[1.0, 2.0]] * 4, [[0.1, 0.2]] * 4, n_samples=30, n_params=3)
    np.testing.assert_array_equal(same.total, [0.1, 0.2])
    np.testing.assert_allclose(same.df, 28 / 30 * 27)


def test_rubin_rules_bad_input():
    with pytest.raises(ValueError, match="at least 2"):
        rubin_rules([1.0], [0.1])
    with pytest.raises(ValueError, match="one variance per estimate"):
        rubin_rules([1.0, 2.0], [0.1])
    with pytest.raises(ValueError, match="non-negative"):
        rubin_rules([1.0, 2.0], [0.1, -0.1])


def test_fit_pooled_ols_standard_errors_and_wider_with_spread():
    rng = np.random.RandomState(0)
    x = rng.normal(size=(40, 1))
    y = 2 * x[:, 0] + rng.normal(size=40)
    same = fit_pooled(LinearRegression(), np.stack([x, x, x]), y)
    # simple regression: se(slope)^2 = s^2 / sum((x - mean)^2)
    fit = LinearRegression().fit(x, y)
    s2 = ((y - fit.predict(x)) ** 2).sum() / 38
    assert same.total[0] == pytest.approx(s2 / ((x - x.mean()) ** 2).sum())
    assert same.estimate[0] == pytest.approx(fit.coef_[0])
    assert same.between[0] == 0 and same.df[0] == pytest.approx(39 / 41 * 38)
    noisy = fit_pooled(LinearRegression(), [x + rng.normal(scale=0.3, size=x.shape) for _ in range(5)], y)
    assert noisy.between[0] > 0 and noisy.total[0] > noisy.within[0]
    assert len(noisy.estimators) == 5


def test_fit_pooled_other_variances():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    y = X @ [1.0, 1.0] + rng.normal(size=60)
    draws = np.stack([X, X + 0.01])
    with pytest.raises(ValueError, match="LinearRegression only"):
        fit_pooled(Ridge(), draws, y)
    boot = fit_pooled(Ridge(), draws, y, variance="bootstrap", n_bootstrap=30, random_state=0)
    ols = fit_pooled(LinearRegression(), draws, y)
    # the bootstrap's variance is of the order of the classical one
    assert np.all((boot.within > ols.within / 3) & (boot.within < ols.within * 3))
    const = fit_pooled(Ridge(), draws, y, variance=lambda est, X, y: np.full(2, 0.25))
    np.testing.assert_array_equal(const.within, [0.25, 0.25])
    with pytest.raises(ValueError, match="no attribute"):
        fit_pooled(Ridge(), draws, y, attribute="nope_", variance=lambda *a: 0)
