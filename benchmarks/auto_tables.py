"""AutoImputer on the numeric tables, next to the rows of ``benchmarks/results/tables.csv``.

The protocol of ``benchmarks/tables.py`` (each cell a process of its own, one
thread; the z-scored table split 80/20 by :func:`sklimpute.benchmark.make_split`
with holes by :func:`sklimpute.make_missing` in both parts, ``random_state`` =
the seed; MAE on the hidden test entries), for ``AutoImputer`` in a few
variants:

* ``auto``: ``AutoImputer()`` at its defaults (one candidate for the whole
  table, one hidden share);
* ``auto_columns``: ``per_column=True`` (a candidate per column);
* ``auto_r3``: ``n_repeats=3`` (three hidden shares).

Each row also records what was chosen (the candidates and their numbers of
columns) and each candidate's overall held-out error. The report puts each
cell's mean over the seeds next to GaussianImputer's and the best other
method's (scikit-learn's and the peer libraries') from ``tables.csv``, on the
same seeds.

Writes ``benchmarks/results/auto_tables.{csv,md}``.

Run: ``python benchmarks/auto_tables.py [--tables wine,diabetes] [--methods auto,auto_columns]
[--in-process]``
"""

import json
import time
import warnings

import numpy as np
import pandas as pd

from sklimpute import AutoImputer
from sklimpute.benchmark import (
    command_line,
    fit_transform_standardized,
    limit_threads,
    frame_markdown,
    load_split_data,
    make_split,
    mae,
    merge_results,
    output_dir,
    platform_line,
    run_tasks,
    script_parser,
)

VARIANTS = {
    "auto": {},
    "auto_columns": {"per_column": True},
    "auto_r3": {"n_repeats": 3},
}
TABLES = ["breast_cancer", "wine", "diabetes"]
MECHANISMS = ["mcar", "mar", "mnar"]
RATES = [0.2, 0.3, 0.4, 0.5]
KEYS = ["variant", "data", "mechanism", "rate", "seed"]
#: the methods of tables.csv that are sklimpute's (the others are the peers)
OURS = {"gaussian", "matrix_completion", "vaewl", "vae", "gain", "vsae", "misgan"}


def run(task):
    """One variant on one split: its MAE, seconds and choice."""
    variant, data, mechanism, rate, seed = task
    X, shape = load_split_data(data)
    X_train, X_test_m, X_test, hidden = make_split(X, mechanism=mechanism, rate=rate,
                                                   shape=shape, seed=seed)
    est = AutoImputer(random_state=seed, **VARIANTS[variant])
    with warnings.catch_warnings():  # the harness's footing (run_cell)
        warnings.simplefilter("ignore")
        out, fit_s, transform_s = fit_transform_standardized(est, X_train, X_test_m)
    chosen = est.chosen_ if est.per_column else [est.chosen_] * X.shape[1]
    chosen = pd.Series(chosen).value_counts()
    return dict(variant=variant, data=data, mechanism=mechanism, rate=rate, seed=seed,
                mae=mae(X_test, out, hidden), fit_s=fit_s, transform_s=transform_s,
                chosen=" ".join(f"{n}:{k}" for n, k in chosen.items()),
                holdout=json.dumps({n: round(float(v), 4)
                                    for n, v in est.scores_["overall"].items()}))


def _choices(rows):
    """The candidates chosen over the seeds, with their total numbers of columns."""
    total = {}
    for text in rows:
        for part in text.split():
            name, k = part.rsplit(":", 1)
            total[name] = total.get(name, 0) + int(k)
    return ", ".join(f"{n} {k}" for n, k in sorted(total.items(), key=lambda t: -t[1]))


def report(results, tables_csv, command, minutes):
    ref = pd.read_csv(tables_csv)
    ref = ref[(ref["status"] == "ok") & ref["seed"].isin(results["seed"].unique())]
    ref = ref.groupby(["data", "mechanism", "rate", "method"])["mae"].mean().unstack("method")
    peers = [m for m in ref.columns if m not in OURS]
    lines = ["# AutoImputer on the numeric tables", "",
             f"Run: `{command}` ({minutes:.0f} minutes, one process at a time).", "",
             f"Machine: {platform_line(jobs=1)}.", "",
             "Protocol of `benchmarks/tables.py`: MAE on the hidden test entries of the "
             "z-scored table, mean over the seeds "
             f"{', '.join(map(str, sorted(results['seed'].unique())))}; `gaussian` and `best "
             "other` (scikit-learn's imputers and the peer libraries) are the rows of "
             "`benchmarks/results/tables.csv` on the same seeds. `ratio`: the variant's MAE "
             "over the best other's (1.02 or less is within 2%). `chosen`: the candidates "
             "chosen, with their numbers of columns summed over the seeds. `fit s`: "
             "AutoImputer's fit seconds (one thread), mean over the seeds.", ""]
    for variant in dict.fromkeys(results["variant"]):
        part = results[results["variant"] == variant]
        rows = []
        for (data, mech, rate), g in part.groupby(["data", "mechanism", "rate"], sort=True):
            if len(g) < results["seed"].nunique():
                continue
            r = ref.loc[(data, mech, rate)] if (data, mech, rate) in ref.index else None
            best = r[peers].dropna() if r is not None else pd.Series(dtype=float)
            gauss = r.get("gaussian", np.nan) if r is not None else np.nan
            other = best.min() if len(best) else np.nan
            rows.append({"data": data, "mechanism": mech, "rate": f"{rate:.2f}",
                         variant: f"{g['mae'].mean():.4f}", "gaussian": f"{gauss:.4f}",
                         "best other": f"{best.idxmin()} {other:.4f}" if len(best) else "",
                         "ratio": f"{g['mae'].mean() / other:.3f}",
                         "gaussian ratio": f"{gauss / other:.3f}",
                         "chosen": _choices(g["chosen"]), "fit s": f"{g['fit_s'].mean():.1f}"})
        frame = pd.DataFrame(rows)
        if frame.empty:
            continue
        ratio = frame["ratio"].astype(float)
        gratio = frame["gaussian ratio"].astype(float)
        lines += [f"## `{variant}`: AutoImputer({', '.join(f'{k}={v!r}' for k, v in VARIANTS[variant].items())})",
                  "",
                  f"Within 2% of the best other method in {int((ratio <= 1.02).sum())} of "
                  f"{len(frame)} cells (GaussianImputer alone: {int((gratio <= 1.02).sum())}); "
                  f"best or tied in {int((ratio <= 1.0).sum())}; worst ratio "
                  f"{ratio.max():.3f} (GaussianImputer's {gratio.max():.3f}); median fit "
                  f"{part['fit_s'].median():.1f} s.", "", frame_markdown(frame), ""]
    return "\n".join(lines)


def main(argv=None):
    parser = script_parser(__doc__, methods=list(VARIANTS))
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--mechanisms", default=",".join(MECHANISMS))
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--in-process", action="store_true",
                        help="run the tasks one after the other in this process (no time limit)")
    parser.add_argument("--tables-csv", default=None,
                        help="the reference rows (default: results/tables.csv of the checkout)")
    args = parser.parse_args(argv)
    out = output_dir(args, "auto_tables")
    csv = out / "auto_tables.csv"
    from sklimpute.benchmark import RESULTS
    tables_csv = args.tables_csv or RESULTS / "tables.csv"
    command = command_line(__file__, argv)
    start = time.perf_counter()
    if not args.report_only:
        tables = args.tables.split(",")[:1] if args.quick else args.tables.split(",")
        seeds = [0] if args.quick else [int(s) for s in args.seeds.split(",")]
        rates = [0.3] if args.quick else RATES
        tasks = [(v, d, m, r, s) for v in args.methods for d in tables
                 for m in args.mechanisms.split(",") for r in rates for s in seeds]
        print(f"{len(tasks)} tasks", flush=True)
        if args.in_process:  # one process, imports once: the fits are timed alike
            limit_threads(1)
            for i, task in enumerate(tasks, 1):
                row = run(task)
                merge_results(csv, [row], KEYS)
                print(f"[{i}/{len(tasks)}] {' '.join(map(str, task))} {row['fit_s']:.1f} s",
                      flush=True)
        else:
            run_tasks(run, tasks, jobs=args.jobs, timeout=args.timeout,
                      on_result=lambda task, row: merge_results(csv, [row], KEYS))
    results = pd.read_csv(csv)
    (out / "auto_tables.md").write_text(
        report(results, tables_csv, command, (time.perf_counter() - start) / 60))
    print(f"wrote {out / 'auto_tables.md'}")


if __name__ == "__main__":
    main()
