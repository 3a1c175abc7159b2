"""Training and imputation speed of every imputer at its defaults, one CPU thread.

For each imputer of the registry (and scikit-learn's, for scale): fit on
800 and on 4,000 MNIST images with 20% MCAR holes, impute 1,000 held-out
images; the tabular imputers also fit a 500-row table (breast cancer,
z-scored, 20% MCAR). Reported: fit seconds, training images (rows) per
second (rows x epochs run / fit seconds for the neural models, rows / fit
seconds for the others), transform rows per second, epochs run, and the
MAE on the hidden test entries (so that speed is never read without the
quality it buys). Targets of the defaults: every image imputer fits 800
MNIST images in 60 s or less and 4,000 in 3 minutes or less; VSAE fits a
500-row table in 60 s or less.

Writes ``benchmarks/results/speed.{csv,md}``. Each cell runs alone in its
own process (``--jobs 1`` by default: timings of parallel cells on a
2-core machine disturb each other).

Run: ``python benchmarks/speed.py [--only mnist800,table500] [--methods spatialgain]``
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sklimpute.benchmark import Cell, Method, merge_results, platform_line, run_cells
from sklimpute.models import REGISTRY

RESULTS = Path(__file__).parent / "results"
#: setting -> (data, n_train, n_test)
SETTINGS = {"mnist800": ("mnist", 800, 1000), "mnist4000": ("mnist", 4000, 1000),
            "table500": ("breast_cancer", 500, 69)}
BASELINES = ["mean", "knn", "iterative"]


def cells_for(settings, methods=None, quick=False):
    cells = []
    for setting in settings:
        data, n_train, n_test = SETTINGS[setting]
        if quick:
            n_train, n_test = min(n_train, 100), min(n_test, 50)
        names = [n for n, e in REGISTRY.items() if e.name != "single_image"
                 and (data == "mnist" or not e.images_only)] + BASELINES
        for name in names:
            if methods and name not in methods:
                continue
            cells.append(Cell(name, Method(name, {"epochs": 1} if quick else {}), data, "mcar", 0.2,
                              0, n_train, n_test))
    return cells


def report(results, command, minutes):
    r = results.copy()
    names = {(d, n): k for k, (d, n, _) in SETTINGS.items()}
    r["setting"] = [names.get((d, n), f"{d} {n}") for d, n in zip(r["data"], r["n_train"])]
    epochs = r["n_epochs"].fillna(1).clip(lower=1)
    r["train_rows_per_s"] = r["n_train"] * epochs / r["fit_s"]
    r["transform_rows_per_s"] = r["test_rows"] / r["transform_s"]
    lines = ["# Speed of every imputer at its defaults", "",
             f"`{command}` ({minutes:.0f} minutes; {platform_line()}). One cell at a time.", "",
             "| setting | method | fit s | training rows/s | epochs | transform rows/s | MAE | status |",
             "|---|---|---|---|---|---|---|---|"]
    for _, x in r.iterrows():
        if x.get("status", "ok") != "ok":
            lines.append(f"| {x['setting']} | {x['method']} |  |  |  |  |  | {x['status']} |")
            continue
        lines.append(f"| {x['setting']} | {x['method']} | {x['fit_s']:.1f} | {x['train_rows_per_s']:.0f} | "
                     f"{'' if np.isnan(x['n_epochs']) else int(x['n_epochs'])} | "
                     f"{x['transform_rows_per_s']:.0f} | {x['mae']:.4f} | ok |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SETTINGS))
    parser.add_argument("--methods")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--quick", action="store_true", help="tiny data, 1 epoch, temporary folder")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    out = Path(tempfile.mkdtemp()) if args.quick else args.out
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "speed.csv"
    start = time.perf_counter()
    cells = cells_for([s for s in args.only.split(",") if s],
                      set(args.methods.split(",")) if args.methods else None, args.quick)
    new = run_cells(cells, jobs=args.jobs, timeout=args.timeout)
    ran = {(c.method, c.data, c.n_train) for c in cells}
    results = merge_results(csv, new, ["method", "data", "n_train"], ran)
    command = "python benchmarks/speed.py " + " ".join(argv if argv is not None else sys.argv[1:])
    (out / "speed.md").write_text(report(results, command, (time.perf_counter() - start) / 60))
    print(f"wrote {out / 'speed.md'}")


if __name__ == "__main__":
    main()
