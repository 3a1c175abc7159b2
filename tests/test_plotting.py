"""Tests of sklimpute.plotting: figures are built and saved as PNG files."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sklimpute.plotting import plot_error_vs_rate, plot_imputation_grid  # noqa: E402


def _images(n, shape, seed=0):
    rng = np.random.RandomState(seed)
    d = int(np.prod(shape))
    X = rng.rand(n, d)
    X_miss = np.where(rng.rand(n, d) < 0.3, np.nan, X)
    X_imp = np.where(np.isnan(X_miss), 0.5, X_miss)
    return X, X_miss, X_imp


def _check_png(path):
    assert path.exists() and path.stat().st_size > 0
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_grid_grayscale_single_array(tmp_path):
    X, X_miss, X_imp = _images(10, (8, 8))
    path = tmp_path / "grid.png"
    fig = plot_imputation_grid(X, X_miss, X_imp, (8, 8), path=path)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 3 * 8  # original, with holes, imputed
    _check_png(path)


def test_grid_holes_are_red():
    X, X_miss, X_imp = _images(2, (8, 8))
    fig = plot_imputation_grid(X, X_miss, X_imp, (8, 8), n_images=2)
    shown = fig.axes[2].get_images()[0].get_array()  # row 2, image 0
    holes = np.isnan(X_miss[0]).reshape(8, 8)
    np.testing.assert_allclose(shown[holes], [[1.0, 0.0, 0.0]] * holes.sum())


def test_grid_rgb_dict(tmp_path):
    shape = (3, 6, 5)
    X, X_miss, X_imp = _images(5, shape)
    imputed = {"mean": X_imp, "truth": X}
    path = tmp_path / "rgb.png"
    fig = plot_imputation_grid(X, X_miss, imputed, shape, n_images=8,
                               path=path)
    assert len(fig.axes) == 4 * 5  # n_images is capped at n_samples
    labels = [fig.axes[r * 5].get_ylabel() for r in range(4)]
    assert labels == ["original", "with holes", "mean", "truth"]
    _check_png(path)


def test_grid_titles_and_dataframes():
    X, X_miss, X_imp = _images(4, (1, 4, 4))
    fig = plot_imputation_grid(pd.DataFrame(X), pd.DataFrame(X_miss),
                               {"a": X_imp}, (1, 4, 4), n_images=3,
                               titles=["T", "M", "A"])
    assert [fig.axes[r * 3].get_ylabel() for r in range(3)] == ["T", "M", "A"]


def test_grid_bad_input():
    X, X_miss, X_imp = _images(4, (8, 8))
    with pytest.raises(ValueError, match="features"):
        plot_imputation_grid(X, X_miss, X_imp, (7, 7))
    with pytest.raises(ValueError, match="C in"):
        plot_imputation_grid(X, X_miss, X_imp, (4, 4, 4))
    with pytest.raises(ValueError, match="titles"):
        plot_imputation_grid(X, X_miss, X_imp, (8, 8), titles=["a"])


@pytest.fixture
def results():
    rows = []
    for method, base in [("mean", 0.2), ("knn", 0.1)]:
        for rate in (0.1, 0.3, 0.5):
            rows.append({"method": method, "rate": rate,
                         "mae": base + rate / 10, "mae_std": 0.01})
    return pd.DataFrame(rows)


def test_error_vs_rate(tmp_path, results):
    path = tmp_path / "rate.png"
    fig = plot_error_vs_rate(results, path=path)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_xlabel() == "missing rate" and ax.get_ylabel() == "MAE"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["mean", "knn"]
    _check_png(path)


def test_error_vs_rate_repeats_without_std(tmp_path, results):
    repeated = pd.concat([results, results.assign(mae=results["mae"] + 0.02)])
    fig = plot_error_vs_rate(repeated.drop(columns="mae_std"),
                             path=tmp_path / "r.png")
    assert len(fig.axes[0].get_legend().get_texts()) == 2
    _check_png(tmp_path / "r.png")
    with pytest.raises(ValueError, match="repeated"):
        plot_error_vs_rate(repeated)


def test_error_vs_rate_missing_column(results):
    with pytest.raises(ValueError, match="rmse"):
        plot_error_vs_rate(results, metric="rmse")
