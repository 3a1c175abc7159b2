"""CategoricalEncoder: codes in, categories out, for any imputer."""

import numpy as np
import pandas as pd
import pytest

from sklimpute.categorical import CategoricalEncoder, categorical_mask, check_numeric_columns


@pytest.fixture
def frame():
    return pd.DataFrame({
        "x": [0.5, np.nan, 2.0, 1.0],
        "colour": ["red", "blue", None, "red"],
        "size": pd.Categorical(["L", "S", "M", None], categories=["S", "M", "L"]),
        "grade": [3.0, 1.0, np.nan, 3.0],
    })


def test_mask_infers_non_numeric_columns_and_adds_declared_ones(frame):
    assert categorical_mask(frame).tolist() == [False, True, True, False]
    assert categorical_mask(frame, ["grade"]).tolist() == [False, True, True, True]
    assert categorical_mask(frame, [3], infer=False).tolist() == [False, False, False, True]
    assert categorical_mask(frame, np.array([True, False, False, False]), infer=False).tolist() == [
        True, False, False, False]
    with pytest.raises(ValueError, match="not columns of X"):
        categorical_mask(frame, ["nope"])
    with pytest.raises(ValueError, match="indices in"):
        categorical_mask(frame, [4])
    with pytest.raises(ValueError, match="needs X as a DataFrame"):
        categorical_mask(frame.to_numpy(), ["x"])


def test_codes_follow_the_category_order_and_missing_stays_missing(frame):
    enc = CategoricalEncoder(["grade"]).fit(frame)
    assert enc.categories_[1].tolist() == ["blue", "red"]  # sorted observed values
    assert enc.categories_[2].tolist() == ["S", "M", "L"]  # the dtype's order
    assert enc.categories_[3].tolist() == [1.0, 3.0]
    codes = enc.transform(frame)
    assert isinstance(codes, pd.DataFrame)
    np.testing.assert_array_equal(codes["colour"], [1.0, 0.0, np.nan, 1.0])
    np.testing.assert_array_equal(codes["size"], [2.0, 0.0, 1.0, np.nan])
    np.testing.assert_array_equal(codes["grade"], [1.0, 0.0, np.nan, 1.0])
    np.testing.assert_array_equal(codes["x"], frame["x"])  # numeric columns untouched
    check_numeric_columns(codes)  # what validation sees is numeric


def test_round_trip_gives_back_the_input_dtypes_and_values(frame):
    enc = CategoricalEncoder(["grade"]).fit(frame)
    filled = enc.transform(frame).to_numpy(dtype=float)
    filled[np.isnan(filled)] = 0.0  # an imputer's fill: code 0 everywhere it was missing
    out = enc.inverse_transform(filled.copy(), names=frame.columns, index=frame.index)
    assert isinstance(out, pd.DataFrame)
    assert out["colour"].tolist() == ["red", "blue", "blue", "red"]
    assert out["size"].dtype == frame["size"].dtype
    assert out["size"].tolist() == ["L", "S", "M", "S"]
    assert out["grade"].tolist() == [3.0, 1.0, 1.0, 3.0]  # numeric categories, in place


def test_numeric_categories_only_stay_an_array_and_bad_codes_become_missing():
    X = np.array([[10.0, 0.1], [20.0, 0.2], [np.nan, 0.3]])
    enc = CategoricalEncoder([0]).fit(X)
    codes = enc.transform(X)
    np.testing.assert_array_equal(codes[:, 0], [0.0, 1.0, np.nan])
    out = enc.inverse_transform(np.array([[1.0, 0.5], [7.0, 0.5], [-1.0, 0.5]]))
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out[:, 0], [20.0, np.nan, np.nan])


def test_unknown_categories_and_non_numbers_are_clear_errors(frame):
    enc = CategoricalEncoder().fit(frame)
    other = frame.copy()
    other.loc[0, "colour"] = "green"
    with pytest.raises(ValueError, match="not seen in fit"):
        enc.transform(other)
    arr = np.array([["a", "x"], ["b", "1.0"]], dtype=object)
    with pytest.raises(ValueError, match="not numbers"):
        CategoricalEncoder([0]).fit(arr).transform(arr)
    with pytest.raises(ValueError, match="non-numeric column"):
        check_numeric_columns(pd.DataFrame({"a": ["x"]}))


def test_nothing_categorical_is_a_no_op():
    X = np.array([[1.0, 2.0], [np.nan, 3.0]])
    enc = CategoricalEncoder().fit(X)
    assert not enc.encodes(X) and enc.transform(X) is X
