"""Numeric tables under MCAR, MAR and MNAR holes: sklimpute against the libraries people use.

scikit-learn's breast cancer, wine and diabetes tables, z-scored, with
20-50% of the entries hidden by each mechanism of
:func:`sklimpute.make_missing` (``mcar``; ``mar``: holes in 70% of the
columns driven by the always observed others; ``mnar``: a logistic
self-masking model), three seeds, 80/20 train/test split, every imputer at
its defaults, next to scikit-learn's imputers and the peer libraries of
``benchmarks/peers.py`` that are installed (fancyimpute SoftImpute,
hyperimpute missforest/mice, miceforest). The protocol is that of
``benchmarks/compare_all.py`` (each cell a process of its own with a time
limit, one thread), whose MCAR rows this script can reuse
(``--mcar-from-compare-all``) instead of running them again.

Every method sees the table standardized with the training part's observed
means and standard deviations (:func:`sklimpute.benchmark.run_cell`), as a
``StandardScaler`` in the user's pipeline would; before, the tables were
centred on the complete table's mean, which under MNAR handed a method that
shrinks towards 0 the true mean of the holes (fancyimpute SoftImpute's
lead on wine and diabetes under MNAR came from it). MCAR rows of
``compare_all.csv`` measured before that change are on the old footing:
run MCAR here rather than reuse them.

The report gives, per cell, the best sklimpute imputer's MAE over the best
other method's: 1.00 or less is a win; the issue's bar is "best or within
2%" (1.02).

Writes ``benchmarks/results/tables.{csv,md}``.

Run: ``python benchmarks/tables.py [--mechanisms mar,mnar] [--jobs 2]``
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from sklimpute.benchmark import Cell, Method, markdown_table, merge_results, platform_line, run_cells
from sklimpute.models import REGISTRY

sys.path.insert(0, str(Path(__file__).parent))
import compare_all  # noqa: E402  (the methods and protocol of the comparison of everything)

RESULTS = Path(__file__).parent / "results"
TABLES = ["breast_cancer", "wine", "diabetes"]
MECHANISMS = ["mcar", "mar", "mnar"]
RATES = [0.2, 0.3, 0.4, 0.5]
SEEDS = (0, 1, 2)
KEYS = ["method", "data", "mechanism", "rate", "seed", "n_train"]
#: sklimpute imputers with a setting a user chooses from what they know of
#: their holes (not defaults): reported in a summary of their own
OPTIONS = {"gaussian_self_masking": Method("gaussian", {"mechanism": "self_masking"})}


def build_cells(tables, mechanisms, methods=None, seeds=SEEDS, rates=RATES):
    cells = []
    for data in tables:
        for seed in seeds:
            for mechanism in mechanisms:
                for rate in rates:
                    for label, factory in {**compare_all.methods_for(data), **OPTIONS}.items():
                        if methods and label not in methods:
                            continue
                        cells.append(Cell(label, factory, data, mechanism, rate, seed, None, None))
    return cells


def ours(results, options=False):
    return sorted(set(results["method"]) & (set(REGISTRY) | (set(OPTIONS) if options else set())))


def summary(results, options=False):
    """Per cell: the best sklimpute imputer, the best other method, and their MAE ratio.

    ``options``: sklimpute's imputers include the settings of ``OPTIONS``;
    without, those rows are left out (neither ours nor the others').
    """
    ok = results[results["status"] == "ok"]
    mean = ok.groupby(["data", "mechanism", "rate", "method"])["mae"].mean().unstack("method")
    mine = [m for m in ours(results, options) if m in mean]
    others = [m for m in mean if m not in mine and m not in OPTIONS]
    rows = []
    for key, row in mean.iterrows():
        a, b = row[mine].dropna(), row[others].dropna()
        if a.empty or b.empty:
            continue
        rows.append(dict(zip(["data", "mechanism", "rate"], key), ours=a.idxmin(), ours_mae=a.min(),
                         other=b.idxmin(), other_mae=b.min(), ratio=a.min() / b.min()))
    return pd.DataFrame(rows)


def _summary_lines(s, title, intro):
    wins = int((s["ratio"] <= 1.0).sum())
    near = int((s["ratio"] <= 1.02).sum())
    return [
        title,
        "",
        f"{intro} the best in {wins} of {len(s)} cells and within 2% of the best in {near}; "
        f"the worst ratio is {s['ratio'].max():.3f}.",
        "",
        "| data | mechanism | rate | best of sklimpute | MAE | best other | MAE | ratio |",
        "|---|---|---|---|---|---|---|---|",
        *(f"| {r.data} | {r.mechanism} | {r.rate:.2f} | {r.ours} | {r.ours_mae:.4f} | {r.other} "
          f"| {r.other_mae:.4f} | {'**' if r.ratio <= 1.02 else ''}{r.ratio:.3f}"
          f"{'**' if r.ratio <= 1.02 else ''} |" for r in s.itertuples()),
        "",
    ]


def report(results, runs, left_out):
    s = summary(results)
    lines = [
        "# Numeric tables under MCAR, MAR and MNAR holes",
        "",
        "The runs behind these tables:",
        "",
        *(f"- `{r['command']}` ({r['minutes']:.0f} minutes, {r.get('jobs', 1)} worker process(es))"
          for r in runs),
        "",
        f"Machine: {platform_line(jobs=max([r.get('jobs', 1) for r in runs] or [1]))}.",
        "",
        "Defaults only (plus `random_state`); fitted on 80% of the rows with their holes, "
        "imputing the other 20%. Every method sees the table standardized with the mean and "
        "standard deviation of the training part's *observed* entries (a `StandardScaler` in "
        "the user's pipeline); MAE on the hidden test entries in units of the complete "
        "table's standard deviations, mean over the seeds (± std in the per-table sections). "
        "See the script's docstring for the mechanisms. The rows labelled "
        f"{', '.join(f'`{k}`' for k in OPTIONS)} are not defaults: "
        "`GaussianImputer(mechanism=\"self_masking\")` is what a user who knows that the "
        "values themselves drive the holes would choose; they are left out of the first "
        "summary and in the second.",
        "",
    ]
    if left_out:
        lines += [f"Left out of this run: {left_out}.", ""]
    if not s.empty:
        lines += _summary_lines(s, "## The best sklimpute imputer against the best other method",
                                "At its defaults, an sklimpute imputer is")
    opt = summary(results, options=True)
    if set(OPTIONS) & set(results["method"]) and not opt.empty:
        lines += _summary_lines(
            opt, "## With `GaussianImputer(mechanism=\"self_masking\")` among sklimpute's",
            "With the self-masking model as an option (chosen by a user who knows the mechanism, "
            "not by the data), an sklimpute imputer is")
    results = results.assign(condition=[f"{m} {r:.2f}" for m, r in
                                        zip(results["mechanism"], results["rate"])])
    for data in dict.fromkeys(results["data"]):
        part = results[results["data"] == data]
        lines += [f"## {data}", "", "MAE:", "", markdown_table(part, rows="condition", value="mae"),
                  "Fit + transform seconds (one thread):", "",
                  markdown_table(part.assign(seconds=part["fit_s"] + part["transform_s"]),
                                 rows="condition", value="seconds", best="min", digits=1)]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--mechanisms", default=",".join(MECHANISMS))
    parser.add_argument("--methods", help="only these labels (the other rows of the CSV are kept)")
    parser.add_argument("--skip", default="", help="labels left out of this run (said in the report)")
    parser.add_argument("--seeds", default=",".join(map(str, SEEDS)))
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--mcar-from-compare-all", action="store_true",
                        help="take the MCAR rows from results/compare_all.csv (same protocol)")
    parser.add_argument("--quick", action="store_true", help="one table, one seed, 30%%, a temp folder")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite tables.md from tables.csv and tables_run.json, running nothing")
    args = parser.parse_args(argv)
    out = Path(tempfile.mkdtemp()) if args.quick else args.out
    out.mkdir(parents=True, exist_ok=True)
    csv, run_file = out / "tables.csv", out / "tables_run.json"
    command = "python benchmarks/tables.py " + " ".join(argv if argv is not None else sys.argv[1:])
    runs = [] if args.quick or not run_file.exists() else json.loads(run_file.read_text())["runs"]
    skip = {s for s in args.skip.split(",") if s}
    if args.report_only:
        results = pd.read_csv(csv)
        (out / "tables.md").write_text(report(results, runs, ", ".join(sorted(skip))))
        print(summary(results).to_string())
        return
    tables = args.tables.split(",")[:1] if args.quick else args.tables.split(",")
    mechanisms = [m for m in args.mechanisms.split(",") if m]
    if args.mcar_from_compare_all:
        old = pd.read_csv(RESULTS / "compare_all.csv")
        old = old[old["data"].isin(tables) & (old["mechanism"] == "mcar")]
        merge_results(csv, old, KEYS)
        mechanisms = [m for m in mechanisms if m != "mcar"]
    methods = set(args.methods.split(",")) if args.methods else None
    cells = build_cells(tables, mechanisms, methods,
                        seeds=(0,) if args.quick else [int(s) for s in args.seeds.split(",")],
                        rates=[0.3] if args.quick else RATES)
    cells = [c for c in cells if c.method not in skip]
    print(f"{len(cells)} cells, {args.jobs} at a time", flush=True)
    start = time.perf_counter()
    new = run_cells(cells, jobs=args.jobs, timeout=args.timeout)
    ran = {(c.method, c.data, c.mechanism, c.rate, c.seed, c.n_train or 0) for c in cells}
    results = merge_results(csv, new, KEYS, ran)
    runs.append({"command": command, "minutes": round((time.perf_counter() - start) / 60, 1),
                 "jobs": args.jobs})
    if not args.quick:
        run_file.write_text(json.dumps({"runs": runs}, indent=1))
    left = ", ".join(sorted(skip))
    (out / "tables.md").write_text(report(results, runs, left))
    print(f"wrote {out / 'tables.md'}")
    print(summary(results).to_string())


if __name__ == "__main__":
    main()
