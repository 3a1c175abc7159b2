"""Tests of sklimpute.plotting: figures are built and saved as PNG files, and
the diagnostics draw the numbers they claim to (losses, rates, counts)."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402

from sklimpute import (  # noqa: E402
    GAINImputer,
    MatrixCompletionImputer,
    VAEWLImputer,
    VSAEImputer,
    make_missing,
)
from sklimpute.datasets import load_digits  # noqa: E402
from sklimpute.plotting import (  # noqa: E402
    plot_error_vs_rate,
    plot_history,
    plot_imputation_grid,
    plot_imputed_distributions,
    plot_missingness,
)


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


# -- plot_history ----------------------------------------------------------------


@pytest.fixture(scope="module")
def digits_missing():
    X, _ = load_digits()
    X_missing, _ = make_missing(X[:160], "mcar", 0.3, random_state=0)
    return X_missing


def test_history_lines_are_the_losses(tmp_path, digits_missing):
    imp = VAEWLImputer(epochs=4, patience=None, random_state=0, n_threads=1).fit(digits_missing)
    fig = plot_history(imp, path=tmp_path / "h.png")
    train, valid = fig.axes[0].get_lines()
    assert train.get_label() == "training loss" and valid.get_label() == "validation loss"
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3, 4])
    np.testing.assert_allclose(train.get_ydata(), imp.history_[:, "train_loss"])
    np.testing.assert_allclose(valid.get_ydata(), imp.history_[:, "valid_loss"])
    _check_png(tmp_path / "h.png")


def test_history_batch_key_is_averaged_per_epoch(digits_missing):
    imp = GAINImputer(epochs=2, random_state=0, n_threads=1).fit(digits_missing)
    fig = plot_history(imp, keys=["d_loss"], log_scale=True)
    (line,) = fig.axes[0].get_lines()
    expected = [np.mean([b["d_loss"] for b in row["batches"] if "d_loss" in b])
                for row in imp.history_]
    np.testing.assert_allclose(line.get_ydata(), expected)
    assert fig.axes[0].get_yscale() == "log"


def test_history_from_a_list_and_into_given_axes():
    from matplotlib.figure import Figure as F

    history = [{"epoch": 1, "train_loss": 3.0, "batches": []},
               {"epoch": 2, "train_loss": 2.0, "batches": []},
               {"epoch": 3, "train_loss": 2.5, "batches": []}]
    fig = F()
    ax = fig.add_subplot()
    assert plot_history(history, ax=ax) is fig
    (line,) = ax.get_lines()  # no validation loss recorded: one line
    np.testing.assert_allclose(line.get_ydata(), [3.0, 2.0, 2.5])
    with pytest.raises(ValueError, match="'valid_loss'"):
        plot_history(history, keys="valid_loss")
    with pytest.raises(ValueError, match="no epoch"):
        plot_history([])


def test_history_errors(digits_missing):
    with pytest.raises(NotFittedError, match="not fitted"):
        plot_history(VAEWLImputer())
    fitted = MatrixCompletionImputer().fit(digits_missing)
    with pytest.raises(ValueError, match="no training history"):
        plot_history(fitted)
    with pytest.raises(ValueError, match="no training history"):
        plot_history(SimpleImputer().fit(digits_missing))


# -- plot_missingness ------------------------------------------------------------


def test_missingness_table_panels(tmp_path):
    rng = np.random.RandomState(0)
    X = rng.rand(60, 4)
    X[:20, 0] = np.nan
    X[:20, 1] = np.nan  # always missing together with column 0
    X[40:, 2] = np.nan  # never with them
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    fig = plot_missingness(frame, path=tmp_path / "m.png")
    ax_m, ax_r, ax_c = fig.axes[:3]
    mask = np.isnan(X)
    np.testing.assert_array_equal(ax_m.get_images()[0].get_array(), mask)
    np.testing.assert_allclose([p.get_height() for p in ax_r.patches], mask.mean(axis=0))
    corr = np.asarray(ax_c.get_images()[0].get_array())
    assert corr[0, 1] == pytest.approx(1.0) and corr[0, 2] == pytest.approx(-0.5)
    assert np.isnan(corr[3]).all()  # column d is never missing
    assert [t.get_text() for t in ax_r.get_xticklabels()] == ["a", "b", "c", "d"]
    _check_png(tmp_path / "m.png")


def test_missingness_subsamples_rows_and_other_placeholder():
    X = np.zeros((1000, 3))
    X[::2, 1] = -1
    fig = plot_missingness(X, max_rows=100, missing_values=-1)
    shown = fig.axes[0].get_images()[0].get_array()
    assert shown.shape == (100, 3)
    assert "100 of 1000 rows" in fig.axes[0].get_title()
    np.testing.assert_allclose([p.get_height() for p in fig.axes[1].patches], [0, 0.5, 0])


def test_missingness_image_map_is_the_mean_mask():
    rng = np.random.RandomState(0)
    X = rng.rand(30, 3 * 6 * 5)
    images = X.reshape(30, 3, 6, 5)
    images[:10, :, :3, :] = np.nan  # top half lost in a third of the images
    images[:, 0, -1, -1] = np.nan  # one channel of one pixel always lost
    fig = plot_missingness(X, shape=(3, 6, 5))
    shown = np.asarray(fig.axes[0].get_images()[0].get_array())
    expected = np.isnan(X).reshape(30, 3, 6, 5).mean(axis=(0, 1))
    np.testing.assert_allclose(shown, expected)
    assert shown[0, 0] == pytest.approx(1 / 3) and shown[-1, -1] == pytest.approx(1 / 3)
    assert shown[4, 0] == 0
    hist = [p.get_height() for p in fig.axes[1].patches]  # the colour bar comes last
    counts, _ = np.histogram(np.isnan(X).mean(axis=1), bins=np.linspace(0, 1, 21))
    np.testing.assert_array_equal(hist, counts)


def test_missingness_errors():
    with pytest.raises(ValueError, match="shape"):
        plot_missingness(np.zeros((3, 10)), shape=(3, 3))
    with pytest.raises(ValueError, match="2-D"):
        plot_missingness(np.zeros(5))
    with pytest.raises(ValueError, match="empty"):
        plot_missingness(np.zeros((0, 3)))


# -- plot_imputed_distributions --------------------------------------------------


def _bars(ax, label_index):
    """Heights of the bars of the label_index-th bar container of ax."""
    return np.array([p.get_height() for p in ax.containers[label_index]])


def test_distributions_numeric_counts_show_the_mean_spike(tmp_path):
    rng = np.random.RandomState(0)
    X = rng.randn(300, 2)
    X_missing, _ = make_missing(X, "mcar", 0.25, random_state=0)
    imp = SimpleImputer().fit(X_missing)
    fig = plot_imputed_distributions(imp, X_missing, stat="count", bins=10,
                                     path=tmp_path / "d.png")
    for j, ax in enumerate(fig.axes):
        holes = np.isnan(X_missing[:, j])
        observed, imputed = _bars(ax, 0), _bars(ax, 1)
        edges = np.histogram_bin_edges(np.concatenate([X_missing[~holes, j],
                                                       np.full(holes.sum(), imp.statistics_[j])]),
                                       bins=10)
        np.testing.assert_array_equal(observed, np.histogram(X_missing[~holes, j], edges)[0])
        # the mean imputer puts every hole in one bin
        assert np.count_nonzero(imputed) == 1 and imputed.sum() == holes.sum()
    _check_png(tmp_path / "d.png")


def test_distributions_density_and_kde_integrate_to_one():
    from scipy.stats import gaussian_kde
    from sklearn.impute import KNNImputer

    rng = np.random.RandomState(1)
    X = rng.randn(400, 2) @ np.array([[1.0, 0.8], [0.0, 0.6]])
    X_missing, _ = make_missing(X, "mcar", 0.3, random_state=1)
    imp = KNNImputer().fit(X_missing)
    fig = plot_imputed_distributions(imp, X_missing, columns=[1], bins=15)
    (ax,) = fig.axes
    assert len(ax.containers) == 2
    for bars in ax.containers:
        area = sum(p.get_height() * p.get_width() for p in bars)
        assert area == pytest.approx(1.0)
    fig = plot_imputed_distributions(imp, X_missing, columns=[0], kind="kde")
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["observed", "imputed"]
    holes = np.isnan(X_missing[:, 0])
    x, y = lines[0].get_data()
    np.testing.assert_allclose(y, gaussian_kde(X_missing[~holes, 0])(x))
    x, y = lines[1].get_data()
    np.testing.assert_allclose(y, gaussian_kde(imp.transform(X_missing)[holes, 0])(x))


def test_distributions_categorical_bars_are_the_counts():
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({
        "x": rng.randn(120),
        "colour": pd.Categorical(rng.choice(["red", "green", "blue"], 120, p=[0.6, 0.3, 0.1]),
                                 categories=["red", "green", "blue"]),
    })
    frame.loc[rng.rand(120) < 0.25, "colour"] = np.nan
    frame.loc[rng.rand(120) < 0.2, "x"] = np.nan
    imp = VSAEImputer(epochs=2, random_state=0, n_threads=1).fit(frame)
    fig = plot_imputed_distributions(imp, frame, columns=["colour"], stat="count")
    (ax,) = fig.axes
    holes = frame["colour"].isna().to_numpy()
    filled = imp.transform(frame)["colour"][holes]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["red", "green", "blue"]
    observed_counts = frame["colour"].value_counts().reindex(["red", "green", "blue"])
    np.testing.assert_array_equal(_bars(ax, 0), observed_counts.to_numpy())
    filled_counts = filled.value_counts().reindex(["red", "green", "blue"]).fillna(0)
    np.testing.assert_array_equal(_bars(ax, 1), filled_counts.to_numpy())
    assert _bars(ax, 1).sum() == holes.sum()
    assert ax.get_title() == f"colour ({holes.sum()} imputed)"
    shares = plot_imputed_distributions(imp, frame, columns=["colour"]).axes[0]
    np.testing.assert_allclose(_bars(shares, 0), observed_counts / observed_counts.sum())


def test_distributions_object_column_with_a_sklearn_imputer():
    frame = pd.DataFrame({"c": ["a", "b", "b", np.nan, "b", np.nan, "a"]}, dtype=object)
    imp = SimpleImputer(strategy="most_frequent", missing_values=np.nan).fit(frame)
    ax = plot_imputed_distributions(imp, frame, stat="count").axes[0]
    np.testing.assert_array_equal(_bars(ax, 0), [2, 3])  # a, b observed
    np.testing.assert_array_equal(_bars(ax, 1), [0, 2])  # both holes -> "b"


@pytest.mark.filterwarnings("ignore:Skipping features without any observed values")
def test_distributions_errors():
    X = np.random.RandomState(0).rand(20, 3)
    imp = SimpleImputer().fit(X)
    with pytest.raises(ValueError, match="no missing entry"):
        plot_imputed_distributions(imp, X)
    X[:5, 0] = np.nan
    with pytest.raises(ValueError, match="kind"):
        plot_imputed_distributions(imp, X, kind="violin")
    with pytest.raises(ValueError, match="stat"):
        plot_imputed_distributions(imp, X, stat="share")
    with pytest.raises(ValueError, match="'z'"):
        plot_imputed_distributions(imp, X, columns=["z"])
    X[:, 2] = np.nan  # SimpleImputer drops an entirely missing column
    with pytest.raises(ValueError, match="keep_empty_features"):
        plot_imputed_distributions(SimpleImputer().fit(X), X)
