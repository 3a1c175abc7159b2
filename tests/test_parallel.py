"""Data beyond one machine: dask transform, training from disk, grid search on a cluster, the CLI on a folder."""

import numpy as np
import pandas as pd
import pytest

from sklimpute import GAINImputer, GaussianImputer, VAEWLImputer
from sklimpute.cli import main
from sklimpute.parallel import RowReader, dask_transform, spill_to_memmap

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")


@pytest.fixture(scope="module")
def table(digits_missing):
    return digits_missing[0][:600]


@pytest.fixture(scope="module")
def gain(table):
    return GAINImputer(epochs=3, batch_size=32, random_state=0).fit(table)


def _memmap(tmp_path, X):
    path = tmp_path / "rows.npy"
    disk = np.lib.format.open_memmap(path, mode="w+", dtype=X.dtype, shape=X.shape)
    disk[:] = X
    disk.flush()
    return np.load(path, mmap_mode="r")


# ------------------------------------------------------------------ transform
def test_dask_array_transform_equals_in_memory(gain, table):
    X = da.from_array(table, chunks=(128, 64))  # chunks of whole transform batches
    out = dask_transform(gain, X)
    assert out.chunks == X.chunks and out.dtype == np.float64
    filled = out.compute(scheduler="threads")
    np.testing.assert_array_equal(filled, gain.transform(table))
    assert not np.isnan(filled).any()


def test_dask_transform_keeps_float32_and_rechunks_columns(gain, table):
    X32 = table.astype(np.float32)
    X = da.from_array(X32, chunks=(96, 16))  # columns in 4 blocks: each row is imputed whole
    out = dask_transform(gain, X)
    assert out.dtype == np.float32 and out.chunks == (X.chunks[0], (64,))
    np.testing.assert_array_equal(out.compute(), gain.transform(X32))


def test_dask_dataframe_transform_keeps_index_columns_and_partitions(table):
    cols = [f"f{i}" for i in range(table.shape[1])]
    frame = pd.DataFrame(table, columns=cols, index=pd.RangeIndex(1000, 1000 + len(table)))
    # a non-neural imputer (1024-row transform batches: any partitions of fewer rows)
    imp = GaussianImputer(n_components=2, ridge=0.1, max_iter=20, random_state=0).fit(frame)
    ddf = dd.from_pandas(frame, npartitions=4)
    out = dask_transform(imp, ddf)
    assert out.npartitions == 4 and list(out.columns) == list(imp.get_feature_names_out())
    got = out.compute()
    pd.testing.assert_index_equal(got.index, frame.index)
    # the rows are solved in batches: a matrix product over another set of
    # rows may round the last bit differently
    np.testing.assert_allclose(got.to_numpy(), imp.transform(frame), rtol=1e-12, atol=1e-12)
    assert (got.dtypes == np.float64).all()


def test_dask_transform_of_images_equals_in_memory(mnist):
    X = mnist[:192].copy()
    X[np.random.RandomState(1).rand(*X.shape) < 0.4] = np.nan
    imp = VAEWLImputer(shape=(28, 28), epochs=1, batch_size=32, random_state=0).fit(X)
    out = dask_transform(imp, da.from_array(X, chunks=(64, 196)))
    assert out.chunks == ((64, 64, 64), (784,))
    np.testing.assert_array_equal(out.compute(), imp.transform(X))


def test_dask_transform_on_a_cluster_scatters_the_imputer(gain, table):
    distributed = pytest.importorskip("distributed")
    import cloudpickle

    def graph_size(out):
        return len(cloudpickle.dumps(dict(out.__dask_graph__())))

    X = da.from_array(table, chunks=(128, 64))
    embedded = graph_size(dask_transform(gain, X))  # local schedulers: the imputer in the graph
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=1,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        for _ in range(3):  # the same imputer again and again (each result dropped)
            out = dask_transform(gain, X)
            np.testing.assert_array_equal(out.compute(), gain.transform(table))
        # the graph refers to the scattered imputer; its weights are not in it
        assert graph_size(out) < embedded - len(cloudpickle.dumps(gain)) / 2


def test_dask_transform_errors(gain, table):
    with pytest.raises(TypeError, match="dask Array or DataFrame"):
        dask_transform(gain, table)
    with pytest.raises(ValueError, match="2-d"):
        dask_transform(gain, da.zeros((2, 2, 2)))


def test_parallel_post_fit_wraps_an_imputer(gain, table):
    wrappers = pytest.importorskip("dask_ml.wrappers")
    post = wrappers.ParallelPostFit(estimator=gain)
    out = post.transform(da.from_array(table, chunks=(128, 64)))
    np.testing.assert_array_equal(np.asarray(out), gain.transform(table))


# ----------------------------------------------------------- fit from disk
@pytest.mark.filterwarnings("ignore:1 pixel")
@pytest.mark.parametrize("make", [
    lambda: VAEWLImputer(shape=(8, 8), epochs=3, batch_size=32, random_state=0),
    lambda: GAINImputer(epochs=3, batch_size=32, random_state=0, add_indicator=True,
                        keep_empty_features=True),
])
def test_memmap_fit_equals_in_memory_fit(make, table, tmp_path):
    X = table.copy()
    X[:, 0] = np.nan  # an empty feature
    disk = _memmap(tmp_path, X)
    seen = []

    class Spy(type(make())):
        def _fit(self, X, observed):
            seen.append(type(X))
            return super()._fit(X, observed)

    spy = Spy(**make().get_params())
    a, b = make().fit(X), spy.fit(disk)
    assert seen == [RowReader]  # trained reading batches, not a copy in memory
    np.testing.assert_array_equal(a.transform(X), b.transform(X))
    np.testing.assert_array_equal(a.scaler_.scale_, b.scaler_.scale_)
    assert [h["train_loss"] for h in a.history_] == [h["train_loss"] for h in b.history_]


def test_fit_from_dask_and_parquet_equals_in_memory(table, tmp_path):
    cols = [f"f{i}" for i in range(table.shape[1])]
    frame = pd.DataFrame(table, columns=cols)
    ref = GAINImputer(epochs=2, batch_size=32, random_state=0).fit(frame)
    folder = tmp_path / "data"
    dd.from_pandas(frame, npartitions=3).to_parquet(folder, write_index=False)
    fitted = GAINImputer(epochs=2, batch_size=32, random_state=0).fit(dd.read_parquet(folder))
    assert list(fitted.feature_names_in_) == cols
    np.testing.assert_array_equal(fitted.transform(frame), ref.transform(frame))
    arr = GAINImputer(epochs=2, batch_size=32, random_state=0).fit(da.from_array(table, chunks=100))
    np.testing.assert_array_equal(arr.transform(table), ref.transform(frame))


def test_named_categorical_features_load_disk_data_in_memory(table, tmp_path):
    X = table[:300].copy()
    X[:, 5] = np.where(np.isnan(X[:, 5]), np.nan, np.round(X[:, 5] * 3))  # codes 0..3
    seen = []

    class Spy(GAINImputer):
        def _fit(self, X, observed):
            seen.append(type(X))
            return super()._fit(X, observed)

    # categories are learnt from the whole table: not batch by batch
    imp = Spy(epochs=1, random_state=0, categorical_features=[5]).fit(_memmap(tmp_path, X))
    assert seen == [np.ndarray] and imp.categorical_[5] and not imp.categorical_[4]


def test_fit_from_disk_rejects_infinity(table, tmp_path):
    X = table.copy()
    X[500, 3] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        GAINImputer(epochs=1).fit(_memmap(tmp_path, X))


def test_spill_to_memmap_keeps_rows_in_order(table):
    disk = spill_to_memmap(dd.from_pandas(pd.DataFrame(table), npartitions=5))
    assert isinstance(disk, np.memmap)
    np.testing.assert_array_equal(disk, table)


def test_non_neural_imputers_load_disk_data_in_memory(table, tmp_path):
    ref = GaussianImputer(n_components=2, ridge=0.1, max_iter=20, random_state=0).fit(table)
    imp = GaussianImputer(n_components=2, ridge=0.1, max_iter=20, random_state=0).fit(_memmap(tmp_path, table))
    np.testing.assert_array_equal(imp.transform(table), ref.transform(table))


# ------------------------------------------------------- cluster and CLI
def test_grid_search_on_a_local_cluster(table):
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_backend
    from sklearn.model_selection import GridSearchCV

    grid = {"alpha": [1.0, 100.0]}
    est = GAINImputer(epochs=2, batch_size=32, random_state=0, n_threads=1)
    serial = GridSearchCV(est, grid, cv=2).fit(table[:200])
    with distributed.LocalCluster(processes=False, n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, parallel_backend("dask"):
        on_cluster = GridSearchCV(est, grid, cv=2, n_jobs=-1).fit(table[:200])
        assert len(client.scheduler_info()["workers"]) == 2
    np.testing.assert_array_equal(on_cluster.cv_results_["mean_test_score"],
                                  serial.cv_results_["mean_test_score"])


def test_cli_imputes_a_parquet_folder(table, tmp_path, capsys):
    cols = [f"f{i}" for i in range(table.shape[1])]
    frame = pd.DataFrame(table, columns=cols)
    train, model = tmp_path / "train.csv", tmp_path / "model.skl"
    frame[:400].to_csv(train, index=False)
    assert main(["fit", str(train), "--method", "gain", "--set", "epochs=2", "random_state=0",
                 "--save", str(model), "-q"]) == 0
    data, out = tmp_path / "data", tmp_path / "out"
    dd.from_pandas(frame, npartitions=3).to_parquet(data, write_index=False)
    assert main(["impute", str(data), "--model", str(model), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "100%" in err and "Parquet dataset" in err  # the progress bar, the summary
    filled = pd.read_parquet(out)
    assert list(filled.columns) == cols and len(list(out.glob("*.parquet"))) == 3
    from sklimpute import load

    np.testing.assert_array_equal(filled.to_numpy(), load(model).transform(frame))
    # the folder is not overwritten
    assert main(["impute", str(data), "--model", str(model), "-o", str(out), "-q"]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    # fitting on the folder: the same model as on the same rows in memory
    on_folder = tmp_path / "folder.skl"
    assert main(["fit", str(data), "--method", "gain", "--set", "epochs=2", "random_state=0",
                 "--save", str(on_folder), "-q"]) == 0
    expected = GAINImputer(epochs=2, random_state=0, verbose=0).fit(frame)
    np.testing.assert_array_equal(load(on_folder).transform(frame), expected.transform(frame))
