"""The estimator contract (docs/architecture.rst), run on every imputer of the registry.

A new imputer enters these tests through its ``register`` call in
``sklimpute/models/__init__.py`` (with small ``test_params``).
"""

import pickle

import numpy as np
import pandas as pd
import pytest
from conftest import MaskedMLPImputer
from sklearn.base import clone
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklimpute.models import REGISTRY

#: every imputer of the registry that runs the common tests, with its small
#: settings, and the test double of the DeepImputer base
IMPUTERS = [MaskedMLPImputer(epochs=3, hidden=16)] + [
    entry.cls(**entry.test_params) for entry in REGISTRY.values() if entry.common_tests
]

#: one hyperparameter per imputer that GridSearchCV can tune
GRIDS = {"MaskedMLPImputer": {"hidden": [8, 32]}}
GRIDS.update({entry.cls.__name__: entry.test_grid for entry in REGISTRY.values()})

#: imputers that are not conditional predictors of scattered holes (see the
#: registry: Glow shrinks a whole image's latent, MisGAN is a sampler)
NOT_PREDICTORS = {entry.cls.__name__ for entry in REGISTRY.values() if not entry.predictor}

ids = [type(e).__name__ for e in IMPUTERS]


@parametrize_with_checks(IMPUTERS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(params=IMPUTERS, ids=ids)
def imputer(request):
    return clone(request.param).set_params(random_state=0)


def _hidden_mae(imp, X_missing, X_true, hidden):
    return np.abs(imp.transform(X_missing) - X_true)[hidden].mean()


def test_beats_mean_imputation(imputer, digits, digits_missing):
    if type(imputer).__name__ in NOT_PREDICTORS:
        pytest.skip("not a predictor of scattered holes")
    X, hidden = digits_missing
    imputer.fit(X)
    mean_mae = _hidden_mae(SimpleImputer().fit(X), X, digits, hidden)
    assert _hidden_mae(imputer, X, digits, hidden) < 0.9 * mean_mae


def test_observed_entries_unchanged_bit_for_bit(imputer, digits_missing):
    X, hidden = digits_missing
    for dtype in (np.float64, np.float32):
        Xd = X[:300].astype(dtype)
        out = imputer.fit(Xd).transform(Xd)
        assert out.dtype == dtype
        obs = ~np.isnan(Xd)
        assert np.array_equal(out[obs].view(np.uint8), Xd[obs].view(np.uint8))
        assert not np.isnan(out).any()


def test_same_seed_same_result(imputer, digits_missing):
    X = digits_missing[0][:300]
    a = clone(imputer).fit(X).transform(X)
    b = clone(imputer).fit(X).transform(X)
    np.testing.assert_array_equal(a, b)


def test_clone_and_pickle_round_trip(imputer, digits_missing):
    X = digits_missing[0][:300]
    fitted = imputer.fit(X)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(fitted.transform(X), restored.transform(X))
    # by repr: a meta-estimator's parameters hold estimators, which clone copies
    assert ({k: repr(v) for k, v in clone(fitted).get_params().items()}
            == {k: repr(v) for k, v in fitted.get_params().items()})


def test_pipeline_and_grid_search_with_labels(imputer, digits_missing):
    from sklearn.datasets import load_digits

    X = digits_missing[0][:400]
    y = load_digits().target[:400]
    pipe = Pipeline([("imp", imputer), ("clf", LogisticRegression(max_iter=300))])
    grid = {f"imp__{k}": v for k, v in GRIDS[type(imputer).__name__].items()}
    search = GridSearchCV(pipe, grid, cv=2).fit(X, y)
    assert search.best_score_ > 0.7


def test_grid_search_without_labels_uses_score(imputer, digits_missing):
    X = digits_missing[0][:400]
    search = GridSearchCV(imputer, GRIDS[type(imputer).__name__], cv=2).fit(X)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(scores < 0) and np.all(np.isfinite(scores))
    # score is minus the MAE on a seeded holdout: the same call gives the same value
    best = search.best_estimator_
    assert best.score(X) == best.score(X)


def test_pandas_in_pandas_out(imputer, digits_missing):
    X = digits_missing[0][:300]
    df = pd.DataFrame(X, columns=[f"px{i}" for i in range(X.shape[1])], index=np.arange(300) + 1000)
    out = imputer.set_output(transform="pandas").fit(df).transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(df.columns)
    assert list(out.index) == list(df.index)
    assert not out.isna().any().any()


def test_transform_is_batched(imputer, digits_missing, monkeypatch):
    X = digits_missing[0][:300]
    imputer.fit(X)
    sizes = []
    inner = imputer._impute
    monkeypatch.setattr(imputer, "_transform_batch_size", lambda: 64)
    monkeypatch.setattr(imputer, "_impute", lambda Xs, obs: sizes.append(len(Xs)) or inner(Xs, obs))
    imputer.transform(X)
    assert max(sizes) == 64 and sum(sizes) == 300


def test_keep_empty_features_and_indicator(imputer, digits_missing):
    X = digits_missing[0][:300].copy()
    X[:, 5] = np.nan
    with pytest.warns(UserWarning, match="without any observed values"):
        dropped = clone(imputer).fit(X).transform(X)
    assert dropped.shape[1] == X.shape[1] - 1
    kept = clone(imputer).set_params(keep_empty_features=True).fit(X).transform(X)
    assert kept.shape[1] == X.shape[1] and np.all(kept[:, 5] == 0)
    with_ind = clone(imputer).set_params(keep_empty_features=True, add_indicator=True)
    out = with_ind.fit(X).transform(X)
    n_missing_cols = np.isnan(X).any(axis=0).sum()
    assert out.shape[1] == X.shape[1] + n_missing_cols
    np.testing.assert_array_equal(out[:, X.shape[1]:], np.isnan(X)[:, np.isnan(X).any(axis=0)])
    names = with_ind.get_feature_names_out()
    assert len(names) == out.shape[1] and names[-1].startswith("missingindicator_")


def test_missing_values_placeholder(imputer, digits_missing):
    X = digits_missing[0][:300]
    X_placeholder = np.where(np.isnan(X), -1.0, X)
    a = clone(imputer).fit(X).transform(X)
    b = clone(imputer).set_params(missing_values=-1.0).fit(X_placeholder).transform(X_placeholder)
    np.testing.assert_allclose(a, b)


@pytest.mark.parametrize(
    "make_bad, message",
    [
        (lambda X: X[:, :10], "shape=\\(8, 8\\) describes images of 64 values"),
        (lambda X: np.where(np.arange(64) == 3, np.inf, X), "infinity"),
        (lambda X: X[:0], "0 sample"),
        (lambda X: pd.DataFrame(X).assign(colour="red"), "non-numeric column.*'colour'"),
        (lambda X: np.full(X.shape, "a", dtype=object), "not numbers"),
    ],
    ids=["wrong-shape", "inf", "empty", "non-numeric-column", "strings"],
)
def test_bad_input_clear_error(imputer, digits_missing, make_bad, message):
    X = digits_missing[0][:100]
    imputer.set_params(shape=(8, 8))
    with pytest.raises(ValueError, match=message):
        imputer.fit(make_bad(X))


def test_transform_checks_feature_count(imputer, digits_missing):
    X = digits_missing[0][:100]
    imputer.fit(X)
    with pytest.raises(ValueError, match="features"):
        imputer.transform(X[:, :10])
