"""The ``sklimpute`` command: impute round-trips, compare outputs, clear errors."""

import numpy as np
import pandas as pd
import pytest

from sklimpute.cli import main


@pytest.fixture
def table(digits):
    rng = np.random.RandomState(0)
    X = digits[:200].copy()
    X[rng.rand(*X.shape) < 0.2] = np.nan
    return X


def _one_error_line(capsys, rc, pattern):
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("sklimpute: error:")
    assert pattern in err


def test_impute_csv_with_empty_cells_keeps_columns_and_index(tmp_path, table, capsys):
    df = pd.DataFrame(table, columns=[f"f{i}" for i in range(64)], index=np.arange(200) * 3)
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    df.to_csv(src, na_rep="")  # empty cells are the holes
    assert "f0,f1" in src.read_text().splitlines()[0] and ",," in src.read_text()
    assert main(["impute", str(src), "-o", str(dst), "--method", "matrix_completion"]) == 0
    out = pd.read_csv(dst, index_col=0)
    assert list(out.columns) == list(df.columns)
    assert list(out.index) == list(df.index)
    assert not out.isna().any().any()
    obs = ~np.isnan(table)
    np.testing.assert_allclose(out.to_numpy()[obs], table[obs])
    assert "imputed" in capsys.readouterr().err


def test_impute_npy_with_settings_and_shape(tmp_path, table):
    src, dst = tmp_path / "in.npy", tmp_path / "out.npy"
    np.save(src, table)
    rc = main(["impute", str(src), "-o", str(dst), "--shape", "8,8", "--set", "per_image=True",
               "lam=0.5", "-q"])
    assert rc == 0
    out = np.load(dst)
    assert out.shape == table.shape and not np.isnan(out).any()


def test_impute_a_corner_of_each_image_with_single_image(tmp_path, digits):
    images = digits[:3].copy()
    images.reshape(3, 8, 8)[:, 6:, 5:][:, [0, 1], [1, 2]] = np.nan  # holes in a corner
    src, dst = tmp_path / "in.npy", tmp_path / "out.npy"
    np.save(src, images)
    rc = main(["impute", str(src), "-o", str(dst), "--method", "single_image", "--shape", "8,8",
               "--set", "estimator='nearest'", "-q"])
    assert rc == 0
    out = np.load(dst)
    assert not np.isnan(out).any()
    np.testing.assert_array_equal(out[~np.isnan(images)], images[~np.isnan(images)])


def test_impute_a_square_per_image_with_glow(tmp_path, digits):
    from sklimpute import make_missing

    images, _ = make_missing(digits[:200], "square", size=3, shape=(8, 8), random_state=0)
    src, dst = tmp_path / "in.npy", tmp_path / "out.npy"
    np.save(src, images)
    rc = main(["impute", str(src), "-o", str(dst), "--method", "glow", "--shape", "8,8",
               "--set", "epochs=1", "n_levels=2", "n_steps=1", "hidden_channels=8", "-q"])
    assert rc == 0
    out = np.load(dst)
    assert not np.isnan(out).any()
    np.testing.assert_array_equal(out[~np.isnan(images)], images[~np.isnan(images)])


def test_impute_tsv_with_baseline(tmp_path, table):
    src, dst = tmp_path / "in.tsv", tmp_path / "out.tsv"
    pd.DataFrame(table).to_csv(src, sep="\t", index=False)
    assert main(["impute", str(src), "-o", str(dst), "--method", "knn", "-q"]) == 0
    assert not pd.read_csv(dst, sep="\t").isna().any().any()


def test_unknown_method(tmp_path, table, capsys):
    np.save(tmp_path / "in.npy", table)
    rc = main(["impute", str(tmp_path / "in.npy"), "-o", str(tmp_path / "o.npy"), "--method", "magic"])
    _one_error_line(capsys, rc, "unknown method 'magic'")


def test_unreadable_file(tmp_path, capsys):
    rc = main(["impute", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.csv")])
    _one_error_line(capsys, rc, "no such file")
    (tmp_path / "bad.xyz").write_text("1,2")
    rc = main(["impute", str(tmp_path / "bad.xyz"), "-o", str(tmp_path / "o.csv")])
    _one_error_line(capsys, rc, "unknown file type")


def test_shape_that_does_not_fit(tmp_path, table, capsys):
    np.save(tmp_path / "in.npy", table)
    rc = main(["impute", str(tmp_path / "in.npy"), "-o", str(tmp_path / "o.npy"), "--shape", "28,28"])
    _one_error_line(capsys, rc, "784 values")
    rc = main(["impute", str(tmp_path / "in.npy"), "-o", str(tmp_path / "o.npy"), "--shape", "a,b"])
    _one_error_line(capsys, rc, "--shape must look like")


def test_bad_setting(tmp_path, table, capsys):
    np.save(tmp_path / "in.npy", table)
    rc = main(["impute", str(tmp_path / "in.npy"), "-o", str(tmp_path / "o.npy"), "--set", "colour=1"])
    _one_error_line(capsys, rc, "no parameter(s) colour")


def test_a_text_column_is_imputed_with_its_categories(tmp_path):
    df = pd.DataFrame({"a": [1.0, None, 3.0, 4.0, 2.0, 5.0], "b": ["x", "y", None, "x", "y", "x"]})
    df.to_csv(tmp_path / "in.csv", index=False)
    rc = main(["impute", str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.csv"), "-q"])
    out = pd.read_csv(tmp_path / "o.csv")
    assert rc == 0 and list(out.columns) == ["a", "b"] and not out.isna().any().any()
    assert out["b"][2] in ("x", "y") and out["b"].drop(2).tolist() == df["b"].drop(2).tolist()


def test_compare_writes_table_and_figures(tmp_path, capsys):
    out = tmp_path / "cmp"
    rc = main(["compare", "--data", "digits", "--n-samples", "300", "--rates", "0.2,0.4",
               "--methods", "matrix_completion,mean,knn", "-o", str(out), "-q"])
    assert rc == 0
    table = pd.read_csv(out / "results.csv")
    assert set(table["method"]) == {"matrix_completion", "mean", "knn"}
    assert set(table["rate"]) == {0.2, 0.4}
    assert {"mae", "rmse", "fit_seconds", "transform_seconds"} <= set(table.columns)
    mean_mae = table.query("method == 'mean'")["mae"].to_numpy()
    assert np.all(table.query("method == 'knn'")["mae"].to_numpy() < mean_mae)
    for name in ("results.md", "error_vs_rate.png", "imputations.png"):
        assert (out / name).stat().st_size > 0
    printed = capsys.readouterr().out
    mae_table = printed.split("RMSE")[0]
    header = next(line for line in mae_table.splitlines() if line.startswith("| rate |"))
    assert header.split(" | ")[1:] == ["knn", "matrix_completion", "mean |"]  # by mean MAE
    row = next(line for line in mae_table.splitlines() if line.startswith("| 0.2 |"))
    assert row.split(" | ")[1].startswith("**")  # knn, the best, in bold


def test_demo_leads_with_the_learned_image_imputer(tmp_path, monkeypatch):
    from sklimpute import cli

    chosen = []
    monkeypatch.setattr(cli, "run_comparison", lambda X, shape, methods, *a, **k: chosen.append(
        (X.shape, shape, methods)) or (_ for _ in ()).throw(KeyboardInterrupt))
    main(["demo", "-o", str(tmp_path), "-q"])
    ((n, d), shape, methods), = chosen
    assert (n, d, shape) == (500, 784, (28, 28))
    assert methods[0] == "spatialgain" and {"inpainting", "knn", "iterative"} <= set(methods)


def test_demo_says_when_the_classical_filter_is_the_choice(tmp_path, monkeypatch, capsys):
    from sklimpute import cli

    table = pd.DataFrame(dict(method=["inpainting"], condition=["mcar 0.2"], mae=[0.03]))
    examples = dict(truth=None, missing=None, imputed=None)
    monkeypatch.setattr(cli, "run_comparison", lambda *a, **k: (table, examples))
    monkeypatch.setattr(cli, "format_markdown", lambda results: "| table |")
    monkeypatch.setattr("sklimpute.plotting.plot_error_vs_rate", lambda *a, **k: None)
    monkeypatch.setattr("sklimpute.plotting.plot_imputation_grid", lambda *a, **k: None)
    main(["demo", "-o", str(tmp_path), "-q"])
    out = capsys.readouterr().out
    assert "| table |" in out and "SingleImageImputer" in out and "InpaintingImputer" in out


def test_compare_on_a_file(tmp_path, digits):
    pd.DataFrame(digits[:150]).to_csv(tmp_path / "d.csv", index=False)
    rc = main(["compare", "--data", str(tmp_path / "d.csv"), "--rates", "0.3",
               "--methods", "mean", "-o", str(tmp_path / "o"), "-q"])
    assert rc == 0 and (tmp_path / "o" / "results.csv").exists()


def test_compare_unknown_method_and_bad_rates(tmp_path, capsys):
    rc = main(["compare", "--methods", "nope", "-o", str(tmp_path)])
    _one_error_line(capsys, rc, "unknown method 'nope'")
    rc = main(["compare", "--rates", "half", "--methods", "mean", "-o", str(tmp_path)])
    _one_error_line(capsys, rc, "--rates must be numbers")


def test_compare_default_list_leaves_out_region_imputers(tmp_path, monkeypatch):
    from sklimpute import cli

    chosen = []
    monkeypatch.setattr(cli, "cmd_compare", lambda args, methods: chosen.append(methods) or 0)
    assert main(["compare", "-o", str(tmp_path)]) == 0
    (methods,) = chosen
    assert {"single_image", "glow"}.isdisjoint(methods)
    assert {"matrix_completion", "vaewl", "gain", "misgan", "vsae", "mean", "knn",
            "iterative"} <= set(methods)
