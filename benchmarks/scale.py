"""Data beyond one machine: dask transform throughput, memory, training from disk.

Three measurements, written to ``benchmarks/results/scale_<section>.csv``
and together to ``scale.md``:

* ``transform``: rows (images) imputed per second by
  :func:`sklimpute.dask_transform` on a ``LocalCluster`` of 1 and 2 worker
  processes (one thread each), on a table of 1,000,000 rows x 20 features
  (GAIN, 20% MCAR) and on 100,000 MNIST-sized images tiled from the 5,000
  bundled ones (VAE-WL, 30% MCAR); the data are made chunk by chunk on the
  workers and never exist whole. Beside it, the same imputer's in-memory
  ``transform`` in this process (one thread), and the peak growth of this
  (the client's) process's anonymous memory during the computation, at a
  tenth of the rows and at all of them: it must not grow with the rows.
* ``fit``: GAIN trained one epoch on 1,000,000 x 20 float32 rows, held in
  memory and read from a memmap on disk (batches read on demand): seconds
  and the peak growth of anonymous memory (file pages of the memmap are
  not anonymous: the kernel can drop them).
* ``epoch``: the seconds of one training epoch of VAE-WL and GAIN on 800
  MNIST images (one thread; the median of epochs 2-6 of each of 3 fits,
  then their minimum and median), labelled with ``--label``, to compare the
  training data kept on the device with the data kept on the CPU and moved
  batch by batch (run the section with ``PYTHONPATH`` at an older checkout
  and ``--out`` here for ``before``).

Run: ``python benchmarks/scale.py [--only transform,fit,epoch] [--label NAME] [--quick]``
(``--quick``: small sizes, written to a temporary folder).
"""

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sklimpute import GAINImputer, VAEWLImputer, make_missing
from sklimpute.benchmark import (
    command_line,
    frame_markdown,
    limit_threads,
    merge_results,
    output_dir,
    platform_line,
    script_parser,
)
from sklimpute.datasets import load_mnist

SECTIONS = ("transform", "fit", "epoch")
N_FEATURES = 20


# ------------------------------------------------------------------ memory
def anon_bytes():
    """This process's resident anonymous memory (``RssAnon``), in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return 0


class PeakMemory:
    """Samples :func:`anon_bytes` every 5 ms inside the block; ``growth`` is the peak minus the start."""

    def __enter__(self):
        self.start = self.peak = anon_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, anon_bytes())
            time.sleep(0.005)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, anon_bytes())
        self.growth = self.peak - self.start


# ------------------------------------------------------------------- data
def table_block(block_id=None, *, rows, seed=0):
    """Rows of a correlated table with 20% MCAR holes, the same for the same block."""
    rng = np.random.default_rng([seed, block_id[0]])
    factors = np.random.default_rng(seed).normal(size=(4, N_FEATURES))
    X = rng.normal(size=(rows, 4)) @ factors + 0.3 * rng.normal(size=(rows, N_FEATURES))
    X[rng.random(X.shape) < 0.2] = np.nan
    return X.astype(np.float32)


def image_block(images, block_id=None, *, rows, seed=0):
    """``rows`` images tiled from ``images`` (from the block's first row on), 30% MCAR holes."""
    start = block_id[0] * rows
    X = images[np.arange(start, start + rows) % len(images)].astype(np.float32)
    X[np.random.default_rng([seed, block_id[0]]).random(X.shape) < 0.3] = np.nan
    return X


def dask_table(n_rows, chunk):
    import dask.array as da

    return da.map_blocks(table_block, rows=chunk, chunks=((chunk,) * (n_rows // chunk), (N_FEATURES,)),
                         dtype=np.float32, meta=np.empty((0, N_FEATURES), np.float32))


def dask_images(source, d, n_rows, chunk):
    """``n_rows`` images made on the workers from ``source``, the 5,000 scattered to them once."""
    import dask.array as da

    return da.map_blocks(image_block, source, rows=chunk, chunks=((chunk,) * (n_rows // chunk), (d,)),
                         dtype=np.float32, meta=np.empty((0, d), np.float32))


# -------------------------------------------------------------- sections
def fitted_models(quick):
    limit_threads(1)
    train = table_block((0,), rows=20_000)
    table = GAINImputer(epochs=2 if quick else 5, batch_size=256, random_state=0, n_threads=1).fit(train)
    mnist = load_mnist()[0]
    holes = make_missing(mnist[:2000], rate=0.3, random_state=0)[0]
    images = VAEWLImputer(shape=(28, 28), epochs=1 if quick else 3, random_state=0,
                          n_threads=1).fit(holes)
    return {"table": (table, None), "images": (images, mnist)}


def run_transform(quick):
    from distributed import Client, LocalCluster

    from sklimpute import dask_transform

    models = fitted_models(quick)
    sizes = {"table": (20_000 if quick else 1_000_000, 2_000 if quick else 50_000),
             "images": (2_000 if quick else 100_000, 200 if quick else 5_000)}
    rows = []
    for data, (imp, source) in models.items():
        n_rows, chunk = sizes[data]

        def make(n, scattered=None):
            if source is None:
                return dask_table(n, chunk)
            return dask_images(source if scattered is None else scattered, source.shape[1], n, chunk)

        # this process, in memory, one thread: the reference
        X = make(min(n_rows, 10 * chunk)).compute(scheduler="sync")
        start = time.perf_counter()
        imp.transform(X)
        seconds = time.perf_counter() - start
        rows.append(dict(data=data, how="in memory (this process)", workers=1, rows=len(X),
                         seconds=seconds, rows_per_s=len(X) / seconds, client_growth_mb=np.nan))
        del X
        for workers in (1, 2):
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=None, memory_limit=None) as cluster, \
                    Client(cluster) as client:
                scattered = None if source is None else client.scatter(source, broadcast=True)
                dask_transform(imp, make(2 * chunk, scattered)).sum().compute()  # warm-up: imports
                for n in (n_rows // 10, n_rows):
                    out = dask_transform(imp, make(n, scattered))
                    with PeakMemory() as mem:
                        start = time.perf_counter()
                        n_nan = int(np.isnan(out).sum().compute())
                        seconds = time.perf_counter() - start
                    assert n_nan == 0
                    rows.append(dict(data=data, how="dask_transform, LocalCluster", workers=workers,
                                     rows=n, seconds=seconds, rows_per_s=n / seconds,
                                     client_growth_mb=mem.growth / 2**20))
                    print(rows[-1], file=sys.stderr, flush=True)
    return pd.DataFrame(rows)


def _fit_one(path, how, queue):
    """In a fresh process: fit GAIN one epoch on the rows of ``path``; report time, memory, output."""
    limit_threads(1)
    X = np.load(path, mmap_mode="r")
    if how == "in memory":
        X = np.array(X)
    imp = GAINImputer(epochs=1, batch_size=256, patience=None, random_state=0, n_threads=1)
    imp.fit(np.asarray(X[:2000]))  # warm-up: torch's own allocations are not the data's
    with PeakMemory() as mem:
        start = time.perf_counter()
        imp.fit(X)
        seconds = time.perf_counter() - start
    queue.put((seconds, mem.growth, imp.transform(np.asarray(X[:1000]))))


def run_fit(quick):
    import multiprocessing

    n_rows = 50_000 if quick else 1_000_000
    folder = tempfile.mkdtemp(prefix="scale-")
    path = os.path.join(folder, "rows.npy")
    disk = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n_rows, N_FEATURES))
    chunk = 50_000
    for i, start in enumerate(range(0, n_rows, chunk)):
        disk[start:start + chunk] = table_block((i,), rows=chunk)
    disk.flush()
    del disk
    rows, outs = [], {}
    ctx = multiprocessing.get_context("spawn")
    for how in ("memmap on disk", "in memory"):
        queue = ctx.Queue()
        proc = ctx.Process(target=_fit_one, args=(path, how, queue))
        proc.start()
        seconds, growth, outs[how] = queue.get()
        proc.join()
        rows.append(dict(data="table", how=how, rows=n_rows, seconds=seconds,
                         rows_per_s=n_rows / seconds, growth_mb=growth / 2**20,
                         data_mb=n_rows * N_FEATURES * 4 / 2**20))
        print(rows[-1], file=sys.stderr, flush=True)
    os.unlink(path)
    os.rmdir(folder)
    same = np.array_equal(outs["memmap on disk"], outs["in memory"])
    for row in rows:
        row["same_imputations"] = same
    return pd.DataFrame(rows)


def run_epoch(label, fits=3):
    limit_threads(1)
    X = make_missing(load_mnist()[0][:800], rate=0.3, random_state=0)[0]
    rows = []
    for name, cls in (("VAEWLImputer", VAEWLImputer), ("GAINImputer", GAINImputer)):
        medians = []
        for _ in range(fits):  # on a shared machine the fastest fit is the least disturbed
            imp = cls(shape=(28, 28), epochs=6, patience=None, random_state=0, n_threads=1).fit(X)
            medians.append(float(np.median([h["dur"] for h in imp.history_][1:])))
        rows.append(dict(label=label, imputer=name, fits=fits, epoch_s_min=min(medians),
                         epoch_s_median=float(np.median(medians))))
        print(rows[-1], file=sys.stderr, flush=True)
    return pd.DataFrame(rows)


# ----------------------------------------------------------------- report
def load_uptime():
    """The load average over 1, 5 and 15 minutes, as ``uptime`` shows it."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def rounded(frame):
    """Readable cells: rates as integers, seconds and megabytes with 2 and 1 decimals."""
    frame = frame.copy()
    for col in frame.columns:
        if col == "rows_per_s":
            frame[col] = frame[col].round().astype(int)
        elif col.startswith("epoch_s"):
            frame[col] = frame[col].round(3)
        elif col.endswith("_s") or col == "seconds":
            frame[col] = frame[col].round(2)
        elif col.endswith("_mb"):
            frame[col] = frame[col].round(1)
    return frame


def write_report(out):
    parts = [
        "# Data beyond one machine: dask transform, training from disk",
        "",
        f"{platform_line()}.",
        "",
        f"The machine may be shared: the runs below give the load average (1, 5, 15 min, on "
        f"{os.cpu_count()} cores) at their start and end; under load the throughputs are "
        "indicative, the memory columns are not affected.",
        "",
    ]
    runs = out / "scale_runs.csv"
    if runs.exists():
        parts += [frame_markdown(pd.read_csv(runs)), ""]
    for section, title, note in [
        ("transform", "## Transform throughput (`dask_transform`, LocalCluster of worker processes, "
         "one thread each)",
         "`client_growth_mb`: the peak growth of this process's anonymous memory while the "
         "cluster imputes; the data are made and imputed on the workers, chunk by chunk."),
        ("fit", "## GAIN, one epoch on 1,000,000 x 20 float32 rows: in memory and from a memmap",
         "`growth_mb`: the peak growth of anonymous memory during `fit` (the memmap's file pages "
         "are not counted: the kernel can drop them); `same_imputations`: the two fitted "
         "imputers fill the same rows identically."),
        ("epoch", "## One training epoch on 800 MNIST images (one thread; per fit the median of "
         "epochs 2-6, then the fastest and the median of the fits)",
         "`before`: training data held on the device as tensors (the previous version); "
         "`after`: held on the CPU (or a memmap) and moved to the device one batch at a time."),
    ]:
        path = out / f"scale_{section}.csv"
        if path.exists():
            parts += [title, "", note, "", frame_markdown(rounded(pd.read_csv(path))), ""]
    (out / "scale.md").write_text("\n".join(parts))


def main(argv=None):
    parser = script_parser(__doc__)
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument("--label", default="after", help="label of the epoch timings")
    args = parser.parse_args(argv)
    out = output_dir(args, "scale")
    if not args.report_only:
        for section in args.only.split(","):
            load_start = load_uptime()
            if section == "transform":
                new = run_transform(args.quick)
            elif section == "fit":
                new = run_fit(args.quick)
            elif section == "epoch":
                new = run_epoch(args.label)
            else:
                parser.error(f"unknown section {section!r}: {', '.join(SECTIONS)}")
            path = out / f"scale_{section}.csv"
            if section == "epoch":  # one label at a time: the others are kept
                merge_results(path, new, keys=["label", "imputer"])
            else:
                new.to_csv(path, index=False)
            run = dict(section=section, label=args.label if section == "epoch" else "-",
                       command=command_line(__file__, sys.argv[1:] if argv is None else argv),
                       finished=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                       load_start=load_start, load_end=load_uptime())
            merge_results(out / "scale_runs.csv", [run], keys=["section", "label"])
    write_report(out)
    print((out / "scale.md").read_text())


if __name__ == "__main__":
    main()
