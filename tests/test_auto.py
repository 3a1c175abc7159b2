"""AutoImputer: it chooses the candidate that imputes best, per table or per column, and says so."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.linear_model import LinearRegression
from sklearn.utils.validation import check_is_fitted

from sklimpute import AutoImputer, GaussianImputer
from sklimpute.models.auto import default_candidates


def _holes(X, rate, seed):
    rng = np.random.RandomState(seed)
    Xm = X.copy()
    hidden = rng.rand(*X.shape) < rate
    Xm[hidden] = np.nan
    return Xm, hidden


def _mae(out, X, hidden, cols=slice(None)):
    return np.abs(np.asarray(out, dtype=float) - X)[:, cols][hidden[:, cols]].mean()


def _linear_and_nonlinear(n=400, seed=0):
    """Four columns linear in a 2-d latent z, and one that is z1 squared (no linear signal)."""
    rng = np.random.RandomState(seed)
    z = rng.normal(size=(n, 2))
    linear = z @ rng.normal(size=(2, 4)) + 0.05 * rng.normal(size=(n, 4))
    return np.column_stack([linear, z[:, 0] ** 2 + 0.05 * rng.normal(size=n)])


def _two():
    # one Gaussian: the linear model (a mixture would also follow the square)
    return [("gaussian", GaussianImputer(n_components=1, ridge=0.01, max_iter=50)), ("knn", KNNImputer())]


def test_per_column_takes_the_linear_model_for_linear_columns_and_neighbours_for_the_square():
    X = _linear_and_nonlinear()
    Xm, hidden = _holes(X, 0.2, 1)
    auto = AutoImputer(_two(), per_column=True, random_state=0).fit(Xm)
    assert list(auto.chosen_) == ["gaussian"] * 4 + ["knn"]
    scores = auto.scores_
    assert scores.shape == (2, 6) and list(scores.index) == ["gaussian", "knn"]
    assert list(scores.columns) == ["x0", "x1", "x2", "x3", "x4", "overall"]
    assert (scores.loc["gaussian", "x0":"x3"] < scores.loc["knn", "x0":"x3"]).all()
    assert scores.loc["knn", "x4"] < 0.7 * scores.loc["gaussian", "x4"]
    # each column is filled by its chosen candidate: better than either alone
    out = auto.transform(Xm)
    alone = {name: _mae(clone(est).fit(Xm).transform(Xm), X, hidden) for name, est in _two()}
    assert _mae(out, X, hidden) < 0.95 * min(alone.values())
    gauss = GaussianImputer(n_components=1, ridge=0.01, max_iter=50).fit(Xm).transform(Xm)
    knn = KNNImputer().fit(Xm).transform(Xm)
    assert _mae(out, X, hidden, [4]) < 0.7 * _mae(gauss, X, hidden, [4])
    assert _mae(out, X, hidden, [0, 1, 2, 3]) < 0.7 * _mae(knn, X, hidden, [0, 1, 2, 3])


def test_one_choice_for_the_table_is_the_best_candidate_there():
    X = _linear_and_nonlinear()[:, :4]  # linear only: the Gaussian model's case
    Xm, hidden = _holes(X, 0.3, 2)
    cands = [("mean", SimpleImputer()), ("knn", KNNImputer()),
             ("gaussian", GaussianImputer(n_components=1, ridge=0.01, max_iter=50))]
    auto = AutoImputer(cands, per_column=False, random_state=0).fit(Xm)
    assert auto.chosen_ == "gaussian"
    assert set(auto.estimators_) == {"gaussian"}
    # its true error is the best candidate's, within a small tolerance
    errors = {name: _mae(clone(est).fit(Xm).transform(Xm), X, hidden) for name, est in cands}
    assert _mae(auto.transform(Xm), X, hidden) <= 1.02 * min(errors.values())
    # on a nonlinear table the neighbours win instead
    rng = np.random.RandomState(3)
    a = rng.uniform(-2, 2, size=400)
    Y = np.column_stack([a, np.sin(3 * a), np.cos(3 * a), np.abs(a)]) + 0.02 * rng.normal(size=(400, 4))
    Ym, _ = _holes(Y, 0.2, 4)
    assert AutoImputer(cands, per_column=False, random_state=0).fit(Ym).chosen_ == "knn"


def test_categorical_column_is_scored_by_misclassification():
    rng = np.random.RandomState(0)
    x = rng.normal(size=300)
    df = pd.DataFrame({"x": x, "y": x + 0.1 * rng.normal(size=300),
                       "c": np.where(x > 0, "hi", "lo").astype(object)})
    holes = rng.rand(*df.shape) < 0.15
    dm = df.mask(holes)
    auto = AutoImputer([("mean", SimpleImputer()), ("knn", KNNImputer())], per_column=True,
                       random_state=0).fit(dm)
    c = auto.scores_["c"]
    # proportions of wrong categories: the neighbours read the sign of x or y,
    # the mean's indicators give the most frequent category (about half wrong)
    assert 0.0 <= c["knn"] < 0.3 and 0.4 < c["mean"] <= 1.0
    assert auto.chosen_[2] == "knn"
    out = auto.transform(dm)
    assert set(out["c"][holes[:, 2]]) <= {"hi", "lo"}
    assert (out["c"][holes[:, 2]] == df["c"][holes[:, 2]]).mean() > 0.8


def test_defaults_on_a_table_keep_observed_entries_and_report():
    X = _linear_and_nonlinear(n=150)
    Xm, _ = _holes(X, 0.2, 0)
    df = pd.DataFrame(Xm, columns=list("abcde"))
    auto = AutoImputer(random_state=0).set_output(transform="pandas").fit(df)
    out = auto.transform(df)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list("abcde")
    seen = ~np.isnan(Xm)
    assert np.array_equal(out.to_numpy()[seen], Xm[seen]) and not out.isna().any().any()
    names = [n for n, _ in default_candidates()]
    assert list(auto.scores_.index) == names and list(auto.scores_.columns) == [*"abcde", "overall"]
    assert auto.chosen_ in names and set(auto.estimators_) == {auto.chosen_}
    assert set(auto.fit_seconds_) == set(names)


def test_images_get_image_candidates_and_one_choice(digits):
    X, _ = _holes(digits[:120], 0.3, 0)
    auto = AutoImputer(shape=(8, 8), random_state=0).fit(X)
    assert isinstance(auto.chosen_, str)
    assert list(auto.scores_.index) == ["inpainting", "matrix_completion", "knn"]
    assert auto.estimators_[auto.chosen_].get_params().get("shape", (8, 8)) == (8, 8)


def test_same_seed_same_choice_other_seed_other_hidden_entries():
    X = _linear_and_nonlinear(n=200)
    Xm, _ = _holes(X, 0.2, 0)
    a = AutoImputer(_two(), random_state=0).fit(Xm)
    b = AutoImputer(_two(), random_state=0).fit(Xm)
    c = AutoImputer(_two(), random_state=1).fit(Xm)
    pd.testing.assert_frame_equal(a.scores_, b.scores_)
    np.testing.assert_array_equal(a.transform(Xm), b.transform(Xm))
    assert not np.allclose(a.scores_.to_numpy(), c.scores_.to_numpy())


def test_candidates_are_cloned_seeded_and_refit_on_all_entries():
    X = _linear_and_nonlinear(n=200)
    Xm, _ = _holes(X, 0.2, 0)
    knn = KNNImputer()
    auto = AutoImputer([("knn", knn)], random_state=0).fit(Xm)
    with pytest.raises(NotFittedError):
        check_is_fitted(knn)  # the object passed is never fitted
    fitted = auto.estimators_["knn"]
    assert fitted is not knn and fitted.keep_empty_features
    assert np.isnan(fitted._fit_X).sum() == np.isnan(Xm).sum()  # refit on all entries
    kept = AutoImputer([("knn", knn)], refit=False, random_state=0).fit(Xm)
    assert np.isnan(kept.estimators_["knn"]._fit_X).sum() > np.isnan(Xm).sum()
    # a candidate's random_state left at None gets a seed from AutoImputer's
    g = AutoImputer([GaussianImputer(max_iter=20)], random_state=0).fit(Xm)
    assert g.chosen_ == "gaussianimputer"
    assert isinstance(g.estimators_["gaussianimputer"].random_state, int)


def test_params_and_clone():
    auto = AutoImputer(_two(), holdout=0.3)
    assert auto.get_params()["holdout"] == 0.3
    auto.set_params(candidates=[SimpleImputer()], per_column=False)
    assert isinstance(auto.candidates[0], SimpleImputer)
    twin = clone(auto)
    assert twin.candidates[0] is not auto.candidates[0]
    assert repr(twin.candidates) == repr(auto.candidates)


class _MustNotFit(SimpleImputer):
    def fit(self, X, y=None):
        raise AssertionError("a candidate was fitted before the candidates were checked")


@pytest.mark.parametrize("candidates, message", [
    ([], "candidates is empty"),
    ([("a", _MustNotFit()), ("b", LinearRegression())], "'b'.*no fit and transform"),
    ([("a", _MustNotFit()), ("a", KNNImputer())], "'a' is used 2 times"),
    ([("a", _MustNotFit(), 3)], "not a \\(name, estimator\\) pair"),
    ([_MustNotFit(), KNNImputer], "is a class"),
    ("knn", "'candidates' parameter"),
])
def test_bad_candidates_clear_error_before_fitting(candidates, message):
    X, _ = _holes(_linear_and_nonlinear(n=50), 0.2, 0)
    with pytest.raises(ValueError, match=message):
        AutoImputer(candidates).fit(X)


def test_same_class_twice_gets_numbered_names():
    X, _ = _holes(_linear_and_nonlinear(n=80), 0.2, 0)
    auto = AutoImputer([KNNImputer(n_neighbors=2), KNNImputer(n_neighbors=10)], random_state=0)
    assert list(auto.fit(X).scores_.index) == ["knnimputer-1", "knnimputer-2"]


def test_a_failing_candidate_is_named(capsys):
    class Broken(SimpleImputer):
        def fit(self, X, y=None):
            raise RuntimeError("boom")

    X, _ = _holes(_linear_and_nonlinear(n=50), 0.2, 0)
    with pytest.raises(RuntimeError, match="boom") as info:
        AutoImputer([("mean", SimpleImputer()), ("broken", Broken())]).fit(X)
    assert "candidate 'broken'" in "".join(getattr(info.value, "__notes__", []))
    AutoImputer([("mean", SimpleImputer())], verbose=1).fit(X)
    assert "[AutoImputer] mean: held-out error" in capsys.readouterr().out
