"""Data beyond one machine: dask collections in ``transform`` and in ``fit``.

:func:`dask_transform` fills a dask Array or a dask DataFrame with a fitted
imputer, chunk by chunk, in parallel on dask's workers (threads, processes
or a ``dask.distributed`` cluster: whatever scheduler is active). The fitted
imputer enters the task graph once, as one key every chunk's task depends
on (scattered to a ``dask.distributed`` cluster), so each worker receives
it once; the output keeps the input's row
chunks (partitions and index, for a DataFrame), its columns and its float
dtype.

:func:`spill_to_memmap` writes a dask collection, one chunk at a time, to a
NumPy memmap on disk: what ``fit`` does with a dask collection, so that the
neural imputers train on data larger than memory by reading their
mini-batches from the disk through a :class:`RowReader` (see
:class:`~sklimpute.training.MaskedDataset`).

dask is optional (``pip install sklimpute[dask]``); nothing here imports it
until a function is called.
"""

import os
import shutil
import tempfile
import weakref

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

__all__ = [
    "ObservedShare",
    "RowReader",
    "dask_columns",
    "dask_transform",
    "is_dask_collection",
    "spill_to_memmap",
]


def is_dask_collection(X):
    """Whether ``X`` is a dask Array or DataFrame (without importing dask).

    Examples
    --------
    >>> import numpy as np
    >>> is_dask_collection(np.zeros((2, 2)))
    False
    """
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "__dask_graph__")


def _output_dtype(dtypes):
    """The float dtype ``transform`` returns for input columns of ``dtypes``.

    The input's float dtype when it has one, float64 otherwise (integers,
    mixed kinds), as scikit-learn's validation gives it.
    """
    dtype = np.result_type(*dtypes) if len(dtypes) else np.dtype(np.float64)
    return dtype if dtype in (np.float64, np.float32, np.float16) else np.dtype(np.float64)


def _transform_block(block, imputer, n_out, dtype):
    if block.shape[0] == 0:  # an empty chunk (a filtered partition): nothing to fill
        return np.empty((0, n_out), dtype=dtype)
    return np.asarray(imputer.transform(block), dtype=dtype)


def _transform_partition(part, imputer, columns, dtype):
    values = _transform_block(part, imputer, len(columns), dtype)
    return pd.DataFrame(values, index=part.index, columns=columns)


def _identity(x):
    return x


def _shipped(imputer):
    """The imputer as one key of the task graph, which every chunk's task depends on.

    With a ``dask.distributed`` client, scattered to the cluster now (the
    graph then holds a reference, not the weights); otherwise embedded in
    the graph once.
    """
    import dask

    try:
        from distributed import default_client

        client = default_client()
    except (ImportError, ValueError):  # no distributed, or no client: local schedulers
        return dask.delayed(imputer, pure=True)
    # a new key at each call: a key scattered again while its release is under way is lost
    return dask.delayed(_identity, pure=True)(client.scatter(imputer, hash=False))


def dask_transform(imputer, X):
    """Fill the holes of a dask Array or DataFrame with a fitted imputer, in parallel.

    Each row chunk (partition) is filled by ``imputer.transform`` on a
    worker of the active dask scheduler. Nothing is computed here: the
    result is a lazy dask collection of the same kind, to ``compute``,
    ``persist`` or write (``to_parquet``, ``to_zarr``...). With a
    ``dask.distributed`` client the imputer is scattered to the cluster
    now, so compute the result with that client.

    Parameters
    ----------
    imputer : fitted imputer
        Any fitted transformer of sklimpute (or scikit-learn) whose
        ``transform`` takes a NumPy array (a pandas DataFrame for a dask
        DataFrame) of whole rows.
    X : dask.array.Array of shape (n_samples, n_features) or dask.dataframe.DataFrame
        Data with holes. An imputer completes a row from the whole row, so
        an array chunked along its columns is first rechunked to one column
        block (each image imputed whole).

    Returns
    -------
    X_imputed : dask.array.Array or dask.dataframe.DataFrame
        Same kind, row chunks and float dtype as X (float64 for integer
        input); a DataFrame keeps its index and takes the imputer's output
        column names (``get_feature_names_out``).

    Notes
    -----
    Each chunk is imputed exactly as ``imputer.transform`` would impute it
    alone: with chunks of whole transform batches (a multiple of the
    imputer's ``batch_size``; 1024 rows for the non-neural imputers) the
    result equals the in-memory ``transform`` of the whole array bit for
    bit. The imputers whose ``transform`` draws random numbers (MisGAN,
    VSAE) replay their seeded draws in every chunk, so their output then
    depends on the chunking; and chunks imputed at the same time by threads
    of one process share torch's random generator, so for repeatable draws
    give their workers one thread each (``LocalCluster(threads_per_worker=1)``).

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from sklimpute import GaussianImputer
    >>> X = np.random.RandomState(0).normal(size=(300, 4))
    >>> X[::3, 1] = np.nan
    >>> imp = GaussianImputer(random_state=0).fit(X)
    >>> out = dask_transform(imp, da.from_array(X, chunks=(100, 4)))
    >>> out.chunks
    ((100, 100, 100), (4,))
    >>> bool(np.array_equal(out.compute(), imp.transform(X)))
    True
    """
    import dask.array as da
    import dask.dataframe as dd

    check_is_fitted(imputer)
    est = _shipped(imputer)  # one key: sent once, not with every chunk
    if isinstance(X, dd.DataFrame):
        dtype = _output_dtype(list(X.dtypes))
        columns = [str(c) for c in imputer.get_feature_names_out(list(map(str, X.columns)))]
        meta = pd.DataFrame({c: np.empty(0, dtype=dtype) for c in columns},
                            index=X._meta.index)
        return X.map_partitions(_transform_partition, est, columns, dtype, meta=meta)
    if not isinstance(X, da.Array):
        raise TypeError(f"dask_transform takes a dask Array or DataFrame, got {type(X).__name__}; "
                        "call the imputer's transform on in-memory data.")
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-d dask array (rows, features), got {X.ndim} dimensions "
                         f"(shape {X.shape}); flatten images to one row each.")
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    dtype = _output_dtype([X.dtype])
    n_out = len(imputer.get_feature_names_out())
    return X.map_blocks(_transform_block, est, n_out, dtype, dtype=dtype,
                        chunks=(X.chunks[0], (n_out,)), meta=np.empty((0, n_out), dtype=dtype))


def _as_dask_array(X):
    """A dask DataFrame's values as a dask Array with known chunk lengths (one pass)."""
    import dask.dataframe as dd

    if isinstance(X, dd.DataFrame):
        return X.to_dask_array(lengths=True)
    return X


def spill_to_memmap(X, directory=None, *, progress=False):
    """Write a dask collection to a NumPy memmap on disk, one chunk at a time.

    Only one chunk is in memory at a time (computed by the active dask
    scheduler). The file lives in a new temporary directory (inside
    ``directory`` when given) and is deleted when the memmap is closed and
    collected; pass ``directory`` on a disk with room for the data.

    Parameters
    ----------
    X : dask.array.Array or dask.dataframe.DataFrame
        Two-dimensional numeric data (a DataFrame's column names are not
        kept: see :func:`dask_columns`).
    directory : str or path-like or None, default=None
        Where the temporary directory is made; the system's default when None.
    progress : bool, default=False
        Show a progress bar over the chunks.

    Returns
    -------
    X_disk : numpy.memmap of shape (n_samples, n_features)
        The data, in X's float dtype (float64 for other dtypes).

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> X = np.arange(12.0).reshape(6, 2)
    >>> disk = spill_to_memmap(da.from_array(X, chunks=(4, 2)))
    >>> bool(np.array_equal(disk, X)), type(disk).__name__
    (True, 'memmap')
    """
    from tqdm.auto import tqdm

    X = _as_dask_array(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-d (rows, features), got shape {X.shape}.")
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    dtype = _output_dtype([X.dtype])
    folder = tempfile.mkdtemp(prefix="sklimpute-", dir=directory)
    path = os.path.join(folder, "rows.dat")
    disk = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=X.shape)
    start = 0
    blocks = X.to_delayed().ravel()
    for block in tqdm(blocks, desc="spilling to disk", unit="chunk", disable=not progress):
        values = np.asarray(block.compute(), dtype=dtype)
        disk[start:start + len(values)] = values
        start += len(values)
    disk.flush()
    try:  # POSIX: the open mapping keeps the data until it is collected
        os.unlink(path)
        os.rmdir(folder)
    except OSError:  # Windows: an open mapping cannot be removed; remove it once collected
        weakref.finalize(disk, shutil.rmtree, folder, ignore_errors=True)
    return disk


def dask_columns(X):
    """The column names of a dask DataFrame as strings, or None for a dask Array."""
    columns = getattr(X, "columns", None)
    return None if columns is None else [str(c) for c in columns]


class RowReader:
    """Rows of a large array (a memmap on disk) read only when a batch needs them.

    What ``fit`` hands to ``_fit`` in place of the scaled array when the
    data do not fit in memory: ``reader[idx]`` (an int array or slice of
    rows) returns those rows scaled, holes 0, and :meth:`rows` returns them
    with their observed mask, both made by ``prepare(raw_rows)``.
    :class:`MaskedDataset` reads its batches through it.

    Parameters
    ----------
    X : ndarray or numpy.memmap of shape (n_samples, n_features)
        The raw data.
    prepare : callable
        ``prepare(raw_rows) -> (scaled_rows, observed_rows)``: float64 rows
        with holes 0, and their boolean mask.
    observed_share : float
        The share of observed entries of X (what ``observed.mean()`` gives).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, np.nan], [3.0, 4.0]])
    >>> reader = RowReader(X, lambda r: (np.nan_to_num(r), ~np.isnan(r)), 0.75)
    >>> reader[np.array([1, 0])]
    array([[3., 4.],
           [1., 0.]])
    >>> float(np.mean(reader.observed))
    0.75
    """

    def __init__(self, X, prepare, observed_share):
        self.X = X
        self.prepare = prepare
        self.shape = tuple(X.shape)
        self.observed = ObservedShare(self.shape, observed_share)

    def __len__(self):
        return self.shape[0]

    def rows(self, idx):
        """``(scaled_rows, observed_rows)`` of the rows ``idx``."""
        return self.prepare(np.asarray(self.X[idx]))

    def __getitem__(self, idx):
        return self.rows(idx)[0]


class ObservedShare:
    """The observed mask of a :class:`RowReader`, for the hooks that need its share only.

    Has the mask's ``shape``, ``mean()`` (so ``np.mean(observed)`` works,
    as :func:`~sklimpute.training.hide_rate_from` uses it), ``all()`` and
    ``any()`` over the whole mask, without the mask itself.
    """

    def __init__(self, shape, share):
        self.shape = tuple(shape)
        self.share = float(share)

    def _whole(self, axis, out):
        if axis is not None or out is not None:
            raise ValueError("Only the whole mask's share is known on data read from disk.")

    def mean(self, axis=None, dtype=None, out=None, **_):
        self._whole(axis, out)
        return self.share

    def all(self, axis=None, out=None, **_):
        self._whole(axis, out)
        return self.share == 1.0

    def any(self, axis=None, out=None, **_):
        self._whole(axis, out)
        return self.share > 0.0
