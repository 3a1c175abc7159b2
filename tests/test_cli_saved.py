"""``sklimpute fit --save`` then ``sklimpute impute --model``, and ``impute --draws``."""

import numpy as np
import pandas as pd
import pytest

from sklimpute import load
from sklimpute.cli import main


@pytest.fixture
def frames(digits, tmp_path):
    rng = np.random.RandomState(0)
    X = digits[:260].copy()
    X[rng.rand(*X.shape) < 0.2] = np.nan
    cols = [f"f{i}" for i in range(64)]
    train, new = tmp_path / "train.csv", tmp_path / "new.csv"
    pd.DataFrame(X[:200], columns=cols).to_csv(train, index=False)
    pd.DataFrame(X[200:], columns=cols).to_csv(new, index=False)
    return train, new, X[200:]


def _error(capsys, rc, pattern):
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and err.startswith("sklimpute: error:")
    assert pattern in err, err


def test_fit_save_then_impute_with_the_model(frames, tmp_path, capsys):
    train, new, X_new = frames
    model, out = tmp_path / "model.skl", tmp_path / "filled.csv"
    assert main(["fit", str(train), "--method", "gain", "--set", "epochs=3", "random_state=0",
                 "--save", str(model), "-q"]) == 0
    assert main(["impute", str(new), "--model", str(model), "-o", str(out)]) == 0
    assert "with the model" in capsys.readouterr().err
    filled = pd.read_csv(out)
    expected = load(model).transform(pd.read_csv(new))
    np.testing.assert_allclose(filled.to_numpy(), expected, rtol=1e-15)
    obs = ~np.isnan(X_new)
    np.testing.assert_array_equal(filled.to_numpy()[obs], X_new[obs])
    assert list(filled.columns) == [f"f{i}" for i in range(64)]


def test_impute_draws_long_table(frames, tmp_path):
    train, new, X_new = frames
    model, out = tmp_path / "model.skl", tmp_path / "draws.csv"
    assert main(["fit", str(train), "--method", "matrix_completion", "--save", str(model),
                 "-q"]) == 0
    assert main(["impute", str(new), "--model", str(model), "--draws", "3", "--seed", "1",
                 "-o", str(out), "-q"]) == 0
    table = pd.read_csv(out)
    assert list(table.columns[:2]) == ["draw", "f0"] and len(table) == 3 * len(X_new)
    draws = table.drop(columns="draw").to_numpy().reshape(3, len(X_new), 64)
    np.testing.assert_array_equal(table["draw"].to_numpy(), np.repeat([0, 1, 2], len(X_new)))
    expected = load(model).sample_imputations(pd.read_csv(new), 3, random_state=1)
    np.testing.assert_allclose(draws, expected, rtol=1e-15)
    holes = np.isnan(X_new)
    assert (draws[0][holes] != draws[1][holes]).mean() > 0.5  # constant columns: no noise
    # .npy: the (draws, rows, columns) array; fitting on the fly works too
    npy = tmp_path / "draws.npy"
    assert main(["impute", str(new), "--method", "vaewl", "--set", "epochs=2",
                 "--draws", "2", "-o", str(npy), "-q"]) == 0
    assert np.load(npy).shape == (2, len(X_new), 64)


def test_cli_errors(frames, tmp_path, capsys):
    train, new, _ = frames
    model = tmp_path / "model.skl"
    _error(capsys, main(["impute", str(new), "--model", str(tmp_path / "none.skl"), "-o",
                         str(tmp_path / "o.csv")]), "none.skl': no such file")
    (tmp_path / "bad.skl").write_text("not a model")
    _error(capsys, main(["impute", str(new), "--model", str(tmp_path / "bad.skl"), "-o",
                         str(tmp_path / "o.csv")]), "not an sklimpute model file")
    assert main(["fit", str(train), "--save", str(model), "-q"]) == 0
    _error(capsys, main(["impute", str(new), "--model", str(model), "--method", "gain", "-o",
                         str(tmp_path / "o.csv")]), "--method cannot change it")
    _error(capsys, main(["fit", str(train), "--method", "knn", "--save", str(model)]),
           "cannot save")
    _error(capsys, main(["impute", str(new), "--method", "inpainting", "--shape", "8,8",
                         "--draws", "2", "-o", str(tmp_path / "o.csv")]), "cannot draw")
