"""
Imputing a dask DataFrame on a cluster
======================================

A fitted imputer fills a dask DataFrame partition by partition, in parallel
on the workers of a ``dask.distributed`` cluster, with
:func:`sklimpute.dask_transform`. Here the cluster is a ``LocalCluster`` on
this machine; the same code runs on a cluster of many machines (pass the
scheduler's address to ``Client``), and on a Parquet dataset larger than
memory (``dask.dataframe.read_parquet("folder/")``).

The imputer is fitted once, in memory, on a sample; the fitted model enters
the task graph once and each worker receives it once. The result is a lazy
dask DataFrame with the input's partitions, index and column names: it is
computed here, and would usually be written with ``to_parquet``.
"""

import numpy as np
import pandas as pd
from dask import dataframe as dd
from distributed import Client, LocalCluster

from sklimpute import GAINImputer, dask_transform, make_missing
from sklimpute.datasets import load_tabular

# %%
# A table with holes, as a dask DataFrame of four partitions
# -----------------------------------------------------------
# scikit-learn's breast cancer features (569 rows, 30 columns), standardised,
# with 20% of the entries hidden at random.

X, _ = load_tabular("breast_cancer")
X = (X - X.mean(axis=0)) / X.std(axis=0)
X_missing, mask = make_missing(X, "mcar", rate=0.2, random_state=0)
columns = [f"feature_{j}" for j in range(X.shape[1])]
frame = pd.DataFrame(X_missing, columns=columns)
data = dd.from_pandas(frame, npartitions=4)
print(data.npartitions, "partitions of", len(data.columns), "columns")

# %%
# Fit once, in memory
# -------------------
# (an imputer also fits on data larger than memory: ``fit`` takes a dask
# collection or a NumPy memmap and trains reading one batch at a time).

imputer = GAINImputer(epochs=30, random_state=0).fit(frame)

# %%
# Impute on the workers
# ---------------------

with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                  dashboard_address=None) as cluster, Client(cluster):
    filled = dask_transform(imputer, data)  # lazy: nothing computed yet
    print(filled.npartitions, "partitions,", len(filled.columns), "columns")
    result = filled.compute()

# %%
# The same numbers as the in-memory ``transform``
# ------------------------------------------------
# Every observed entry is kept; the holes are filled as ``transform`` fills
# them.

same = np.array_equal(result.to_numpy(), imputer.transform(frame))
error = np.abs(result.to_numpy() - X)[mask].mean()
print(f"same as transform: {same}; mean absolute error on the holes: {error:.3f}")
