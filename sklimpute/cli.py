"""The ``sklimpute`` command: impute a file, compare imputers, run the demo.

::

    sklimpute impute data.csv -o filled.csv --method matrix_completion --set lam=1.0
    sklimpute fit data.csv --method gain --save model.skl
    sklimpute impute new.csv --model model.skl -o filled.csv
    sklimpute impute new.csv --model model.skl --draws 20 -o draws.csv
    sklimpute impute data_dir/ --model model.skl -o out_dir/   # Parquet, through dask
    sklimpute compare --data mnist --rates 0.2,0.5 --methods matrix_completion,knn
    sklimpute demo

Every failure the user can fix (unknown method, unreadable file, a shape that
does not fit, a bad ``--set``) ends with one line on stderr and exit code 2.
"""

import argparse
import ast
import sys
import time
import warnings
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd

from sklearn.exceptions import ConvergenceWarning

from . import benchmark, datasets
from .benchmark import all_methods
from .metrics import mae, rmse
from .models import REGISTRY
from .multiple import check_can_draw
from .parallel import dask_transform
from .persistence import ModelFileError, load
from .simulate import make_missing
from .training import default_n_threads


def compare_excluded():
    """Names left out of ``compare``'s default list (made for one region, or slow)."""
    return tuple(name for name, entry in REGISTRY.items() if not entry.compare)


#: the imputers of ``sklimpute demo``: the best learned image imputer at its
#: defaults, the classical inpainting it starts from, matrix completion, and
#: scikit-learn's imputers (on 500 bundled MNIST images)
DEMO_METHODS = ["spatialgain", "inpainting", "matrix_completion", "knn", "iterative", "mean"]

#: printed under the demo's table: when the classical filter is the choice
DEMO_ADVICE = """\
Many images of one kind (these digits): a learned imputer, trained on them.
One photograph, or a few images: nothing to train on but the image itself;
SingleImageImputer corrects biharmonic inpainting with what it learns from
that image (below the filter in 80% of the cases measured on six
photographs, about a second each), and InpaintingImputer (the filter alone, milliseconds) is as
good on one large hole. Tiny images (8 x 8): too few neighbours for the
filter; GaussianImputer. See the docs' page "Which imputer?".
"""


class CLIError(Exception):
    """A problem the user can fix: reported as one line, exit code 2."""


def parse_settings(items):
    """``["lam=0.5", "device=cpu"]`` -> ``{"lam": 0.5, "device": "cpu"}``."""
    params = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CLIError(f"--set expects key=value, got {item!r}")
        try:
            params[key.strip()] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[key.strip()] = value
    return params


def parse_shape(text):
    """``"28,28"`` or ``"3x32x32"`` -> tuple of int, or None."""
    if text is None:
        return None
    try:
        shape = tuple(int(s) for s in text.replace("x", ",").split(",") if s.strip())
    except ValueError:
        raise CLIError(f"--shape must look like H,W or C,H,W, got {text!r}") from None
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise CLIError(f"--shape must look like H,W or C,H,W, got {text!r}")
    return shape


def make_imputer(name, shape=None, settings=None, verbose=0, strict=True):
    """:func:`sklimpute.benchmark.make_imputer`, its errors as :class:`CLIError`."""
    try:
        return benchmark.make_imputer(name, shape, settings, verbose=verbose, strict=strict)
    except ValueError as exc:
        raise CLIError(str(exc)) from None


# ------------------------------------------------------------------ files
def read_table(path):
    """Read CSV/TSV/Parquet/.npy; empty cells and NaN become missing."""
    path = Path(path)
    if not path.is_file():
        raise CLIError(f"cannot read {str(path)!r}: no such file")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False)
        if suffix in (".csv", ".txt", ".tsv"):
            df = pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
            if len(df) == 0:  # read as "object" columns: not a column type problem
                raise CLIError(f"{str(path)!r} has no rows (only a header): nothing to impute")
            if len(df.columns) and str(df.columns[0]).startswith("Unnamed: 0"):
                df = df.set_index(df.columns[0]).rename_axis(None)  # a written index
                df.attrs["index_column"] = True
            return df
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
    except ImportError as exc:
        raise CLIError(f"cannot read {str(path)!r}: {exc} (pip install pyarrow)") from None
    except CLIError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser error is the user's file
        raise CLIError(f"cannot read {str(path)!r}: {exc}".splitlines()[0]) from None
    raise CLIError(
        f"cannot read {str(path)!r}: unknown file type {suffix!r} "
        "(use .csv, .tsv, .parquet or .npy)"
    )


def write_table(data, path, index=False):
    path = Path(path)
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if suffix == ".npy":
            np.save(path, np.asarray(data))
        elif suffix in (".csv", ".txt", ".tsv"):
            df = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
            df.to_csv(path, sep="\t" if suffix == ".tsv" else ",", index=index)
        elif suffix in (".parquet", ".pq"):
            df = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
            df.columns = [str(c) for c in df.columns]
            df.to_parquet(path)
        else:
            raise CLIError(f"cannot write {str(path)!r}: unknown file type {suffix!r}")
    except ImportError as exc:
        raise CLIError(f"cannot write {str(path)!r}: {exc} (pip install pyarrow)") from None
    except OSError as exc:
        raise CLIError(f"cannot write {str(path)!r}: {exc}") from None


def load_model(path):
    """:func:`sklimpute.load`, its errors as :class:`CLIError`."""
    try:
        return load(path)
    except (FileNotFoundError, ModelFileError) as exc:
        raise CLIError(str(exc)) from None


def _fit(est, data):
    from threadpoolctl import threadpool_limits

    try:
        with threadpool_limits(limits=default_n_threads()):
            return est.fit(data)
    except ValueError as exc:
        raise CLIError(str(exc).splitlines()[0]) from None


def read_folder(path):
    """A folder of Parquet files as a dask DataFrame (read lazily, one file at a time)."""
    try:
        import dask.dataframe as dd
    except ImportError:
        raise CLIError(f"{str(path)!r} is a folder: reading a Parquet dataset needs dask "
                       "(pip install 'sklimpute[dask]')") from None
    try:
        return dd.read_parquet(str(path))
    except Exception as exc:  # noqa: BLE001 - any reader error is the user's folder
        raise CLIError(f"cannot read the folder {str(path)!r} as a Parquet dataset: "
                       f"{exc}".splitlines()[0]) from None


def read_input(path):
    """:func:`read_table` for a file, :func:`read_folder` for a folder."""
    return read_folder(path) if Path(path).is_dir() else read_table(path)


def impute_folder(est, data, output, quiet):
    """Fill a Parquet dataset (a dask DataFrame) into the folder ``output``, chunk by chunk.

    Each file (partition) is read, imputed and written by one of dask's
    threads, so the data need not fit in memory; a progress bar over the
    partitions goes to stderr.
    """
    import dask
    from dask.diagnostics import ProgressBar

    out = Path(output)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise CLIError(f"{str(out)!r} exists and is not an empty folder: the Parquet "
                       "dataset is written to a new folder")
    n_workers = default_n_threads()
    if "n_threads" in est.get_params():
        est.set_params(n_threads=1)  # one torch thread per dask thread
    try:
        filled = dask_transform(est, data)
        with dask.config.set(scheduler="threads", num_workers=n_workers), \
                ProgressBar(out=sys.stderr) if not quiet else nullcontext():
            filled.to_parquet(str(out), write_index=data.index.name is not None)
    except ValueError as exc:
        raise CLIError(str(exc).splitlines()[0]) from None
    except OSError as exc:
        raise CLIError(f"cannot write {str(out)!r}: {exc}") from None


def cmd_fit(args):
    data = read_input(args.input)
    est = make_imputer(args.method, parse_shape(args.shape), parse_settings(args.set),
                       verbose=0 if args.quiet else 1)
    if not hasattr(est, "save"):
        raise CLIError(f"{args.method} is a scikit-learn baseline, which sklimpute cannot save; "
                       f"choose one of: {', '.join(REGISTRY)}")
    start = time.perf_counter()
    _fit(est, data)
    try:
        est.save(args.save)
    except OSError as exc:
        raise CLIError(f"cannot write {str(args.save)!r}: {exc}") from None
    if not args.quiet:
        what = f"the Parquet dataset {args.input}" if Path(args.input).is_dir() else f"{len(data)} rows"
        print(f"fitted {args.method} on {what} in {time.perf_counter() - start:.1f}s "
              f"-> {args.save}", file=sys.stderr)
    return 0


def long_table(draws, data):
    """Draws ``(m, n, d)`` as one table: a ``draw`` column, then the data's columns.

    Row labels repeat the input's (its index when it had one); ``.npy``
    output keeps the 3-d array instead.
    """
    m, n = draws.shape[:2]
    columns = list(data.columns) if isinstance(data, pd.DataFrame) else list(range(draws.shape[2]))
    index = data.index if isinstance(data, pd.DataFrame) else pd.RangeIndex(n)
    frame = pd.DataFrame(draws.reshape(m * n, -1), columns=columns,
                         index=np.tile(np.asarray(index), m))
    frame.insert(0, "draw", np.repeat(np.arange(m), n))
    return frame


def cmd_impute(args):
    folder = Path(args.input).is_dir()
    if folder and args.draws is not None:
        raise CLIError("--draws writes one table: give a file, not a folder")
    data = read_input(args.input)
    if args.model:
        given = [f"--{name}" for name in ("method", "shape", "set") if getattr(args, name)]
        if given:
            raise CLIError(f"--model gives a fitted imputer: {', '.join(given)} cannot change it "
                           "(use them with 'sklimpute fit')")
        est = load_model(args.model)
        what = f"the model {args.model}"
    else:
        method = args.method or "matrix_completion"
        est = make_imputer(method, parse_shape(args.shape), parse_settings(args.set),
                           verbose=0 if args.quiet else 1)
        what = method
    start = time.perf_counter()
    if folder:
        if not args.model:
            _fit(est, data)
        impute_folder(est, data, args.output, args.quiet)
        if not args.quiet:
            print(f"imputed the Parquet dataset {args.input} with {what} in "
                  f"{time.perf_counter() - start:.1f}s -> {args.output}", file=sys.stderr)
        return 0
    if isinstance(data, pd.DataFrame):
        est.set_output(transform="pandas")
    has_index = getattr(data, "attrs", {}).get("index_column", False)
    if args.draws is not None:
        if args.draws < 1:
            raise CLIError(f"--draws must be a positive number of draws, got {args.draws}")
        try:
            check_can_draw(est)
        except ValueError as exc:
            raise CLIError(str(exc)) from None
        if not args.model:
            _fit(est, data)
        try:
            draws = est.sample_imputations(data, args.draws, random_state=args.seed)
        except ValueError as exc:
            raise CLIError(str(exc).splitlines()[0]) from None
        out = draws if Path(args.output).suffix.lower() == ".npy" else long_table(draws, data)
        write_table(out, args.output, index=has_index)
    else:
        try:
            out = est.transform(data) if args.model else _fit(est, data).transform(data)
        except ValueError as exc:
            raise CLIError(str(exc).splitlines()[0]) from None
        write_table(out, args.output, index=has_index)
    if not args.quiet:
        n_missing = int(pd.DataFrame(data).isna().to_numpy().sum())
        drawn = f" ({args.draws} draws)" if args.draws else ""
        print(f"imputed {n_missing} missing entries{drawn} with {what} in "
              f"{time.perf_counter() - start:.1f}s -> {args.output}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- compare
def run_comparison(X, shape, methods, rates, mechanism="mcar", settings=None, seed=0,
                   test_size=0.2, verbose=0, log=None, threads=None):
    """Fit each imputer on incomplete training rows, impute held-out rows.

    Holes are made with :func:`sklimpute.simulate.make_missing` at each rate;
    errors are measured on the hidden entries of the held-out rows.

    Returns
    -------
    results : DataFrame
        One row per (method, rate): mae, rmse, fit_seconds, transform_seconds.
    examples : dict
        For the first rate: ``{"truth", "missing", "imputed": {method: array}}``
        on the first held-out rows, for figures.
    """
    from sklearn.model_selection import train_test_split
    from threadpoolctl import threadpool_limits

    X_train, X_test = train_test_split(np.asarray(X, dtype=np.float64), test_size=test_size,
                                       random_state=seed)
    with threadpool_limits(limits=threads or default_n_threads()):
        return _compare(X_train, X_test, shape, methods, rates, mechanism, settings, seed,
                        verbose, log)


def _compare(X_train, X_test, shape, methods, rates, mechanism, settings, seed, verbose, log):
    rows, examples = [], {}
    for rate in rates:
        Xtr, _ = make_missing(X_train, mechanism, rate, shape=shape, random_state=seed)
        Xte, hidden = make_missing(X_test, mechanism, rate, shape=shape, random_state=seed + 1)
        if not examples:
            examples = {"truth": X_test[:8], "missing": Xte[:8], "imputed": {}}
        for name in methods:
            est = make_imputer(name, shape, settings, verbose=verbose, strict=False)
            if "random_state" in est.get_params():
                est.set_params(random_state=seed)
            t0 = time.perf_counter()
            with warnings.catch_warnings():  # IterativeImputer's early max_iter
                warnings.simplefilter("ignore", ConvergenceWarning)
                est.fit(Xtr)
            t1 = time.perf_counter()
            out = est.transform(Xte)
            t2 = time.perf_counter()
            if out.shape != Xte.shape:  # a baseline dropped an all-missing feature
                raise CLIError(f"{name} changed the number of features; its output "
                               "cannot be scored")
            rows.append({"method": name, "rate": rate, "mae": mae(X_test, out, hidden),
                         "rmse": rmse(X_test, out, hidden), "fit_seconds": t1 - t0,
                         "transform_seconds": t2 - t1})
            if rate == rates[0]:
                examples["imputed"][name] = out[:8]
            if log:
                r = rows[-1]
                log(f"{name:>18s}  rate {rate:.2f}  MAE {r['mae']:.4f}  RMSE {r['rmse']:.4f}  "
                    f"fit {r['fit_seconds']:.1f}s  transform {r['transform_seconds']:.2f}s")
    return pd.DataFrame(rows), examples


def format_markdown(results):
    """MAE and seconds per rate and method, best MAE in bold, methods by mean MAE."""
    order = list(results.groupby("method")["mae"].mean().sort_values().index)
    timed = results.assign(seconds=results["fit_seconds"] + results["transform_seconds"])
    return ("MAE on the hidden entries (best in bold):\n\n"
            + benchmark.markdown_table(results, rows="rate", value="mae", column_order=order)
            + "\nRMSE:\n\n"
            + benchmark.markdown_table(results, rows="rate", value="rmse", column_order=order)
            + "\nFit + transform seconds:\n\n"
            + benchmark.markdown_table(timed, rows="rate", value="seconds", digits=1,
                                       column_order=order))


def load_data(spec, shape_text=None, n_samples=None, seed=0):
    shape = parse_shape(shape_text)
    if spec in ("digits", "mnist"):
        X, _ = datasets.load_digits() if spec == "digits" else datasets.load_mnist()
        shape = shape or datasets.IMAGE_SHAPES[spec]
    else:
        data = read_table(spec)
        X = np.asarray(data, dtype=np.float64) if not isinstance(data, pd.DataFrame) else None
        if X is None:
            numeric = data.select_dtypes("number")
            if numeric.shape[1] < data.shape[1]:
                raise CLIError(f"{spec}: non-numeric columns "
                               f"{list(data.columns.difference(numeric.columns))}; "
                               "compare needs numbers")
            X = numeric.to_numpy(dtype=np.float64)
        if np.isnan(X).any():
            X = X[~np.isnan(X).any(axis=1)]
            if len(X) < 10:
                raise CLIError(f"{spec}: compare needs complete rows to hide entries from; "
                               "fewer than 10 rows are complete")
    if shape is not None and int(np.prod(shape)) != X.shape[1]:
        raise CLIError(f"--shape {shape} has {int(np.prod(shape))} values but the data have "
                       f"{X.shape[1]} features")
    if n_samples and n_samples < len(X):
        X = X[np.random.RandomState(seed).permutation(len(X))[:n_samples]]
    return X, shape


def cmd_compare(args, default_methods=None, advice=None):
    # matplotlib only when a comparison draws its figures
    from .plotting import plot_error_vs_rate, plot_imputation_grid

    methods = [m.strip() for m in (args.methods or ",".join(default_methods)).split(",") if m.strip()]
    for m in methods:
        if m not in all_methods():
            raise CLIError(f"unknown method {m!r}; choose from: {', '.join(all_methods())}")
    try:
        rates = [float(r) for r in args.rates.split(",")]
    except ValueError:
        raise CLIError(f"--rates must be numbers like 0.2,0.3, got {args.rates!r}") from None
    X, shape = load_data(args.data, args.shape, args.n_samples, args.seed)
    if not args.methods and shape is None:  # the default list, on a table
        methods = [m for m in methods if m not in REGISTRY or not REGISTRY[m].images_only]
    out_dir = Path(args.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    log = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    if log:
        log(f"{args.data}: {X.shape[0]} rows x {X.shape[1]} features, {args.mechanism} holes at "
            f"rates {rates}; methods: {', '.join(methods)}")
    try:
        results, examples = run_comparison(X, shape, methods, rates, args.mechanism,
                                           parse_settings(args.set), args.seed, log=log,
                                           threads=args.threads)
    except ValueError as exc:
        raise CLIError(str(exc).splitlines()[0]) from None
    results.to_csv(out_dir / "results.csv", index=False)
    markdown = format_markdown(results)
    (out_dir / "results.md").write_text(markdown)
    plot_error_vs_rate(results, metric="mae", path=out_dir / "error_vs_rate.png")
    files = ["results.csv", "results.md", "error_vs_rate.png"]
    if shape is not None:
        plot_imputation_grid(examples["truth"], examples["missing"], examples["imputed"], shape,
                             path=out_dir / "imputations.png")
        files.append("imputations.png")
    print(markdown)
    if advice:
        print(advice)
    if log:
        log(f"wrote {', '.join(str(out_dir / f) for f in files)}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(
        prog="sklimpute", description="Deep generative imputers for tables and images.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("impute", help="fill the missing entries of a CSV/TSV/Parquet/.npy file, "
                       "or of a folder of Parquet files")
    p.add_argument("input", help="file with holes (empty cells or NaN are missing), or a folder of "
                   "Parquet files (a dataset larger than memory, read through dask)")
    p.add_argument("-o", "--output", required=True, help="where to write the completed file (for a "
                   "folder input: a new folder of Parquet files)")
    p.add_argument("--method", help="imputer name (default: matrix_completion): "
                   f"{', '.join(all_methods())}")
    p.add_argument("--model", help="a model file written by 'sklimpute fit --save': impute "
                   "with it, without fitting")
    p.add_argument("--draws", type=int, help="write this many random imputations (multiple "
                   "imputation) as one long table with a 'draw' column (.npy: an array of shape "
                   "(draws, rows, columns))")
    p.add_argument("--seed", type=int, default=0, help="seed of the draws")
    p.add_argument("--shape", help="image shape H,W or C,H,W when each row is an image")
    p.add_argument("--set", nargs="*", metavar="KEY=VALUE", help="imputer parameters")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_impute)

    p = sub.add_parser("fit", help="fit an imputer on a file with holes and save it")
    p.add_argument("input", help="file with holes (empty cells or NaN are missing), or a folder of "
                   "Parquet files (the neural imputers train reading a batch at a time)")
    p.add_argument("--save", required=True, help="the model file to write (e.g. model.skl)")
    p.add_argument("--method", default="matrix_completion",
                   help=f"imputer name: {', '.join(all_methods())}")
    p.add_argument("--shape", help="image shape H,W or C,H,W when each row is an image")
    p.add_argument("--set", nargs="*", metavar="KEY=VALUE", help="imputer parameters")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=cmd_fit)

    def compare_args(p, data, rates, methods_help):
        p.add_argument("--data", default=data, help="digits, mnist, or a file of complete rows")
        p.add_argument("--shape", help="image shape H,W for a file of images")
        p.add_argument("--mechanism", default="mcar", help="how holes are made (see make_missing)")
        p.add_argument("--rates", default=rates, help="comma-separated missing rates")
        p.add_argument("--methods", help=methods_help)
        p.add_argument("--set", nargs="*", metavar="KEY=VALUE",
                       help="parameters given to every imputer that has them (e.g. epochs=5)")
        p.add_argument("--n-samples", type=int, help="use a random subset of this many rows")
        p.add_argument("--seed", type=int, default=0)
        p.add_argument("--threads", type=int,
                       help="CPU threads for BLAS/OpenMP (default: half the cores)")
        p.add_argument("-q", "--quiet", action="store_true")

    p = sub.add_parser("compare", help="compare imputers on data with simulated holes")
    compare_args(p, "digits", "0.2,0.3,0.4,0.5",
                 f"comma-separated names (default: all but {', '.join(compare_excluded())}): "
                 f"{', '.join(all_methods())}")
    p.add_argument("-o", "--output-dir", default="sklimpute-results")
    p.set_defaults(func=lambda a: cmd_compare(a, [m for m in all_methods() if m not in compare_excluded()]))

    p = sub.add_parser("demo", help="compare on 500 bundled MNIST digits (about two minutes)")
    compare_args(p, "mnist", "0.2,0.5", "comma-separated names")
    p.set_defaults(n_samples=500)
    p.add_argument("-o", "--output-dir", default="sklimpute-demo")
    p.set_defaults(func=lambda a: cmd_compare(a, DEMO_METHODS, DEMO_ADVICE))
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CLIError as exc:
        print(f"sklimpute: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sklimpute: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
