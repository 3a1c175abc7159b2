"""Tables that mix numbers, categories, booleans and pandas' nullable dtypes, in every tabular imputer."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV

from sklimpute import GaussianImputer, MatrixCompletionImputer, VSAEImputer, load
from sklimpute.categorical import OneHotBlocks
from sklimpute.metrics import holdout_error
from sklimpute.models import REGISTRY

TABULAR = [name for name, e in REGISTRY.items()
           if not e.images_only and "categorical_features" in e.cls().get_params()]


def _hide(df, holes):
    out = df.copy()
    for j in range(df.shape[1]):
        out.isetitem(j, df.iloc[:, j].mask(holes[:, j]))
    return out


@pytest.fixture(scope="module")
def mixed():
    """Every kind of column, all driven by one latent ``z``; holes in each kind that can hold them."""
    rng = np.random.RandomState(0)
    n = 150
    z = rng.normal(size=n)
    df = pd.DataFrame({
        "x": z + 0.1 * rng.normal(size=n),
        "colour": np.where(z > 0.5, "red", np.where(z < -0.5, "blue", "green")).astype(object),
        "size": pd.Categorical(np.where(z > 0, "L", "S"), categories=["S", "M", "L"]),
        "nb": pd.array(z > 0.2, dtype="boolean"),
        "count": pd.array(np.round(3 * z + 5).astype(int), dtype="Int64"),
        "f": pd.array(2 * z + 0.1 * rng.normal(size=n), dtype="Float64"),
        "flag": z > -0.3,  # numpy bool: no holes possible
        "i": np.arange(n),  # numpy int: no holes possible
        "s": pd.Series(np.where(z > 0, "up", "down"), dtype="str"),
    })
    holes = rng.rand(n, df.shape[1]) < 0.25
    holes[:, [6, 7]] = False
    return df, _hide(df, holes), holes


@pytest.mark.parametrize("name", TABULAR)
def test_every_tabular_imputer_gives_back_the_columns_dtypes_and_categories(name, mixed):
    df, dm, holes = mixed
    imp = REGISTRY[name].cls(**REGISTRY[name].test_params, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = imp.fit(dm).transform(dm)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(df.columns) and out.index.equals(dm.index)
    assert list(out.dtypes) == list(dm.dtypes)
    assert out["size"].cat.categories.equals(df["size"].cat.categories)
    assert not out.isna().any().any()
    assert imp.n_features_in_ == df.shape[1]
    assert list(imp.feature_names_in_) == list(df.columns)
    assert imp.categorical_.tolist() == [False, True, True, True, False, False, True, False, True]
    for j, col in enumerate(df.columns):  # observed entries unchanged
        seen = ~holes[:, j]
        assert out[col][seen].tolist() == dm[col][seen].tolist(), col
    # holes take values of their kind
    assert set(out["colour"][holes[:, 1]]) <= {"red", "blue", "green"}
    assert set(out["size"][holes[:, 2]]) <= {"S", "M", "L"}
    assert set(out["s"][holes[:, 8]]) <= {"up", "down"}
    assert all(isinstance(v, (bool, np.bool_)) for v in out["nb"][holes[:, 3]])
    assert all(float(v).is_integer() for v in out["count"][holes[:, 4]])


def test_indicator_set_output_and_feature_names(mixed):
    df, dm, holes = mixed
    imp = GaussianImputer(ridge=0.1, add_indicator=True).set_output(transform="pandas").fit(dm)
    out = imp.transform(dm)
    names = imp.get_feature_names_out()
    assert list(out.columns) == list(names)
    assert list(names[:df.shape[1]]) == list(df.columns)
    assert list(out.dtypes[:df.shape[1]]) == list(dm.dtypes)
    ind = out.iloc[:, df.shape[1]:].to_numpy(dtype=float)
    np.testing.assert_array_equal(ind, holes[:, imp.indicator_.features_])


def test_an_empty_categorical_feature_is_dropped_or_kept(mixed):
    _, dm, _ = mixed
    dm = dm.assign(empty=pd.Series([None] * len(dm), dtype=object))
    with pytest.warns(UserWarning, match="without any observed values"):
        out = GaussianImputer(ridge=0.1, max_iter=20).fit(dm).transform(dm)
    assert "empty" not in out.columns and list(out.columns) == list(dm.columns[:-1])
    out = GaussianImputer(ridge=0.1, keep_empty_features=True, max_iter=20).fit(dm).transform(dm)
    assert list(out.columns) == list(dm.columns) and out["empty"].isna().all()


def test_categorical_features_by_name_index_or_mask_on_numbers():
    rng = np.random.RandomState(1)
    z = rng.normal(size=(200, 2))
    X = np.column_stack([z, np.where(z[:, 0] > 0, 7.0, 1.0)])
    X[rng.rand(*X.shape) < 0.2] = np.nan
    df = pd.DataFrame(X, columns=["a", "b", "code"])
    outs = []
    for cf in (["code"], [2], [False, False, True]):
        data = df if isinstance(cf[0], str) else X
        imp = MatrixCompletionImputer(categorical_features=cf, random_state=0).fit(data)
        assert imp.categorical_.tolist() == [False, False, True]
        outs.append(np.asarray(imp.transform(data)))
    assert isinstance(outs[1], np.ndarray)  # numbers in, numbers out
    assert set(np.unique(outs[1][:, 2])) <= {1.0, 7.0}
    np.testing.assert_array_equal(outs[1], outs[2])
    assert set(np.unique(outs[0][:, 2])) <= {1.0, 7.0}  # by name, on the DataFrame


def test_images_stay_numeric():
    X = np.random.RandomState(0).rand(10, 4)
    with pytest.raises(ValueError, match="categorical_features is for tables"):
        GaussianImputer(shape=(2, 2), categorical_features=[0]).fit(X)
    with pytest.raises(ValueError, match="non-numeric column"):
        GaussianImputer(shape=(2, 2)).fit(pd.DataFrame(X).assign(c="a").iloc[:, 1:])


def test_one_hot_blocks_expand_scale_and_decode():
    X = np.array([[0.5, 2.0], [-1.0, 0.0], [0.2, 0.0], [0.0, 1.0]])
    observed = np.array([[True, True], [True, True], [True, True], [True, False]])
    blocks = OneHotBlocks([0, 3], scaling="standard").fit(X, observed)
    Xe, obs_e = blocks.expand(X, observed)
    assert Xe.shape == (4, 4) and obs_e[3].tolist() == [True, False, False, False]
    # the indicators are standardised on the observed rows (frequencies 2/3, 0, 1/3)
    np.testing.assert_allclose(blocks.offset_, [0.0, 2 / 3, 0.0, 1 / 3])
    np.testing.assert_allclose(Xe[:3, 1:].mean(axis=0), 0.0, atol=1e-12)
    assert (Xe[3, 1:] == 0).all()  # a missing block is all holes (0)
    # decoding takes the largest unscaled indicator
    back = blocks.collapse(Xe)
    np.testing.assert_array_equal(back[:3], X[:3])
    np.testing.assert_array_equal(blocks.collapse(np.array([[9.0, -5.0, -5.0, 5.0]]))[0], [9.0, 2.0])


def _clusters(n=600, seed=0):
    """Three numeric clusters; the category says which one a row belongs to."""
    rng = np.random.RandomState(seed)
    label = rng.choice(3, size=n, p=[0.4, 0.35, 0.25])
    centres = np.array([[2.0, 0.0, 1.0, -1.0], [-2.0, 1.5, 0.0, 1.0], [0.0, -2.0, -1.5, 0.0]])
    X = centres[label] + 0.6 * rng.normal(size=(n, 4))
    df = pd.DataFrame(X, columns=list("abcd"))
    df["kind"] = pd.Categorical(np.array(["p", "q", "r"])[label])
    holes = rng.rand(*df.shape) < 0.3
    return df, _hide(df, holes), holes


@pytest.mark.parametrize("imputer", [GaussianImputer(random_state=0),
                                     MatrixCompletionImputer(random_state=0)],
                         ids=["gaussian", "matrix_completion"])
def test_categories_are_predicted_from_the_numbers(imputer):
    df, dm, holes = _clusters()
    out = clone(imputer).fit(dm).transform(dm)
    h = holes[:, 4]
    pfc = float((out["kind"][h] != df["kind"][h]).mean())
    mode = dm["kind"].mode()[0]
    pfc_mode = float((df["kind"][h] != mode).mean())
    assert pfc_mode > 0.5
    assert pfc < 0.3 * pfc_mode, (pfc, pfc_mode)


def test_holdout_error_combines_numeric_error_and_pfc():
    df, dm, _ = _clusters(n=200)

    class Oracle:  # transform gives the truth, or a wrong category everywhere
        def __init__(self, wrong=False):
            self.wrong = wrong

        def transform(self, X):
            out = df.copy()
            if self.wrong:
                out["kind"] = out["kind"].map({"p": "q", "q": "r", "r": "p"}).astype(object)
            return out

    perfect = holdout_error(Oracle(), dm, random_state=0, by_kind=True)
    assert perfect == {"numeric": 0.0, "categorical": 0.0, "combined": 0.0}
    wrong = holdout_error(Oracle(wrong=True), dm, random_state=0, by_kind=True)
    assert wrong["categorical"] == 1.0 and wrong["numeric"] == 0.0
    # weighted by the numbers of hidden entries: 4 numeric columns, 1 categorical
    assert 0.1 < wrong["combined"] < 0.3
    imp = GaussianImputer(random_state=0).fit(dm)
    parts = holdout_error(imp, dm, random_state=0, by_kind=True)
    assert 0.0 < parts["categorical"] < 0.3 and 0.0 < parts["numeric"] < 1.0
    assert min(parts["numeric"], parts["categorical"]) <= parts["combined"] <= max(
        parts["numeric"], parts["categorical"])
    assert holdout_error(imp, dm, metric="pfc", random_state=0) == parts["categorical"]
    assert imp.score(dm) == -holdout_error(imp, dm, random_state=0, holdout=0.2)


def test_score_on_a_frame_with_text_columns(mixed):
    _, dm, _ = mixed
    imp = VSAEImputer(epochs=2, random_state=0).fit(dm)
    assert np.isfinite(imp.score(dm))


def test_grid_search_without_labels_chooses_by_real_scores():
    _, dm, _ = _clusters(n=300)
    search = GridSearchCV(GaussianImputer(random_state=0), {"ridge": [0.01, 1000.0]}, cv=3)
    search.fit(dm)
    scores = search.cv_results_["mean_test_score"]
    assert np.isfinite(scores).all()
    # a huge ridge shrinks every imputation to the mean: clearly worse
    assert search.best_params_ == {"ridge": 0.01} and scores[0] > scores[1] + 0.1


def test_a_fitted_mixed_imputer_saves_and_loads(mixed, tmp_path):
    _, dm, _ = mixed
    imp = GaussianImputer(ridge=0.1).fit(dm)
    back = load(imp.save(tmp_path / "g.skl"))
    pd.testing.assert_frame_equal(back.transform(dm), imp.transform(dm))
