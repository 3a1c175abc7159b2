"""Every imputer at its defaults, next to scikit-learn's and the peer libraries'.

The comparison a new user makes: each sklimpute imputer of the registry
that compares by default, called with its defaults (plus ``shape`` for
images and ``random_state``), next to scikit-learn's ``SimpleImputer``,
``KNNImputer`` and ``IterativeImputer`` and, where they are installed, the
peer libraries of ``benchmarks/peers.py`` (fancyimpute, hyperimpute,
miceforest; see that file for how to install them).

Data (``--grid``):

* ``mnist1000``: 1,000 of the 5,000 MNIST images (800 train, 200 test);
* ``mnist5000``: all 5,000 (4,000 train, 1,000 test);
* ``digits``: scikit-learn's 1,797 8x8 digits (80/20);
* ``breast_cancer``, ``wine``, ``diabetes``: scikit-learn's tables, z-scored
  (80/20);

with MCAR holes at 20-50% and, for images, one missing square per image
(``make_missing(..., "square", 0.25)``: a square of about a quarter of the
image). Every method is fitted on the training part with its holes and
imputes the test part (inductive); transductive peers see the training and
test parts together (``peers.py`` says which). Errors on the hidden test
entries. Each cell runs in a process of its own with a time limit
(``--timeout``), one torch/BLAS thread.

Writes ``benchmarks/results/compare_all.{csv,md}`` and
``compare_all_mnist.png``. ``--quick`` runs a small grid into a temporary
folder; ``--only``/``--methods``/``--seeds`` rerun a part and keep the other
rows of the CSV.

Run: ``python benchmarks/compare_all.py [--jobs 2] [--grid mnist1000,digits]``
"""

import argparse
import functools
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from sklimpute.benchmark import Cell, Method, markdown_table, merge_results, platform_line, run_cells
from sklimpute.models import REGISTRY

sys.path.insert(0, str(Path(__file__).parent))
import peers  # noqa: E402  (benchmarks/peers.py: the optional peer libraries)

RESULTS = Path(__file__).parent / "results"

#: data set -> (data name, n_train, n_test, conditions, seeds)
MCAR = [("mcar", r) for r in (0.2, 0.3, 0.4, 0.5)]
GRIDS = {
    "mnist1000": ("mnist", 800, 200, MCAR + [("square", 0.25)], (0,)),
    "mnist5000": ("mnist", 4000, 1000, [("mcar", 0.2), ("mcar", 0.5), ("square", 0.25)], (0,)),
    "digits": ("digits", None, None, MCAR + [("square", 0.25)], (0,)),
    # small test parts (36-114 rows): three seeds
    "breast_cancer": ("breast_cancer", None, None, MCAR, (0, 1, 2)),
    "wine": ("wine", None, None, MCAR, (0, 1, 2)),
    "diabetes": ("diabetes", None, None, MCAR, (0, 1, 2)),
}
#: imputers left out of a grid, and why (said in the report)
LEFT_OUT = {
    # one encoder per feature: 784 "modalities" on MNIST (8.7 GB of memory on
    # 100 images in benchmarks/speed.py --quick); it is a table imputer
    "vsae": {"mnist1000", "mnist5000", "digits"},
    # one full covariance of the pixels: a 784 x 784 solve per image and EM
    # iteration (docs/methods/gaussian.rst); it is a table imputer
    "gaussian": {"mnist1000", "mnist5000"},
    # a sampler whose defaults train 30-300 epochs (1-2 minutes a cell on the
    # tables); measured on the image grids, not yet on the tables
    "misgan": {"mnist5000", "breast_cancer", "wine", "diabetes"},
    # the paper's baselines and slow tabular-first models, on the largest grid
    "vae": {"mnist5000"},
    "gain": {"mnist5000"},
}
IMAGE_GRIDS = {"mnist1000", "mnist5000", "digits"}
BASELINES = ["mean", "knn", "iterative"]


def peer(name, shape, random_state):
    """A peer of ``benchmarks/peers.py`` as a cell's factory (its image settings on images)."""
    params = dict(peers.IMAGE_SETTINGS.get(name, {})) if shape is not None else {}
    if name.startswith("opencv"):
        params["shape"] = shape
    return peers.PEERS[name](random_state=random_state, **params)


def methods_for(grid):
    """``{label: factory}`` of a grid: sklimpute's defaults, baselines, installed peers."""
    images = grid in IMAGE_GRIDS
    ours = {name: Method(name) for name, entry in REGISTRY.items()
            if entry.compare and (images or not entry.images_only)
            and grid not in LEFT_OUT.get(name, ())}
    found = peers.available_peers()
    found = [p for p in found if images or not p.startswith("opencv")]
    return {**ours, **{b: Method(b) for b in BASELINES},
            **{p: functools.partial(peer, p) for p in found}}


def build_cells(grids, methods_filter=None, seeds=None, quick=False):
    cells = []
    for grid in grids:
        data, n_train, n_test, conditions, grid_seeds = GRIDS[grid]
        if quick:  # a few images, or the whole (small) table; one condition, one seed
            n_train, n_test = (200, 50) if data in ("mnist", "digits") else (None, None)
            conditions, grid_seeds = conditions[:1], (0,)
        for seed in seeds or grid_seeds:
            for mechanism, rate in conditions:
                for label, factory in methods_for(grid).items():
                    if methods_filter and label not in methods_filter:
                        continue
                    cells.append(Cell(label, factory, data, mechanism, rate, seed, n_train, n_test))
    return cells


def grid_of(row):
    if row["data"] == "mnist":
        return "mnist1000" if row["n_train"] == 800 else "mnist5000"
    return row["data"]


def _runs(run_file):
    """The runs behind the CSV: ``[{"command", "minutes", "jobs"}, ...]`` (oldest first)."""
    if not run_file.exists():
        return []
    run = json.loads(run_file.read_text())
    return run.get("runs", [run] if "command" in run else [])


def report(results, runs):
    results = results.assign(grid=[grid_of(r) for _, r in results.iterrows()],
                             condition=[f"{m} {r:.2f}" if m == "mcar" else m
                                        for m, r in zip(results["mechanism"], results["rate"])])
    lines = [
        "# Every imputer at its defaults",
        "",
        "The runs behind these tables (a partial rerun replaces its own cells and keeps "
        "the others):",
        "",
        *(f"- `{r['command']}` ({r['minutes']:.0f} minutes, {r.get('jobs', 1)} worker "
          "process(es))" for r in runs),
        "",
        f"Machine: {platform_line(jobs=max([r.get('jobs', 1) for r in runs] or [1]))}.",
        "",
        "Defaults only (plus `shape` for images and `random_state`); fitted on the "
        "training part with its holes, imputing the held-out part. MAE and RMSE on the "
        "hidden test entries, mean ± std over the seeds; best per row in **bold**. "
        "`timeout`/`error`: the cell did not finish (see the CSV). Tables are z-scored, "
        "images in [0, 1]. See the script's docstring for the protocol.",
        "",
        "Left out: " + "; ".join(f"{m} on {', '.join(sorted(g))}" for m, g in LEFT_OUT.items())
        + " (see LEFT_OUT in the script: VSAE builds one encoder per pixel on images, "
        "GaussianImputer one 784 x 784 solve per image and EM iteration on MNIST; the "
        "paper baselines VAE and GAIN are not rerun on 4,000 images; MisGAN, a sampler, "
        "is measured on MNIST's 1,000 images and the digits only).",
        "",
    ]
    for grid in dict.fromkeys(results["grid"]):
        part = results[results["grid"] == grid]
        n = int(part["train_rows"].max()) if part["train_rows"].notna().any() else 0
        lines += [f"## {grid} ({n} training rows)", "", "MAE:", "",
                  markdown_table(part, rows="condition", value="mae"), "RMSE:", "",
                  markdown_table(part, rows="condition", value="rmse"),
                  "Fit + transform seconds (one thread):", "",
                  markdown_table(part.assign(seconds=part["fit_s"] + part["transform_s"]),
                                 rows="condition", value="seconds", best="min", digits=1),
                  "Peak memory of the worker process (MB, imports included):", "",
                  markdown_table(part, rows="condition", value="peak_mb", best=None, digits=0)]
    return "\n".join(lines)


def rst_table(markdown):
    """A Markdown table of :func:`markdown_table` as an RST csv-table (for the docs)."""
    rows = [[c.strip() for c in line.strip().strip("|").split("|")]
            for line in markdown.strip().splitlines() if not line.startswith("|---")]
    quote = lambda cells: ", ".join('"' + c.replace('"', "'") + '"' for c in cells)  # noqa: E731
    lines = [".. csv-table::", f"   :header: {quote(rows[0])}", ""]
    lines += [f"   {quote(r)}" for r in rows[1:]]
    return "\n".join(lines) + "\n"


def write_docs_tables(results, out):
    """``compare_all_<grid>.inc``: each grid's MAE table, included by the docs."""
    results = results.assign(grid=[grid_of(r) for _, r in results.iterrows()],
                             condition=[f"{m} {r:.2f}" if m == "mcar" else m
                                        for m, r in zip(results["mechanism"], results["rate"])])
    for grid in sorted(set(results["grid"])):
        part = results[results["grid"] == grid]
        (out / f"compare_all_{grid}.inc").write_text(
            rst_table(markdown_table(part, rows="condition", value="mae")))


def figure(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    part = results[(results["data"] == "mnist") & (results["mechanism"] == "mcar")
                   & (results["status"] == "ok") & (results["n_train"] == 800)]
    if part.empty:
        return
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for method, g in part.groupby("method"):
        g = g.groupby("rate")["mae"].mean()
        ax.plot(g.index, g.values, marker="o", label=method)
    ax.set(xlabel="MCAR rate", ylabel="MAE on the hidden pixels", yscale="log",
           title="MNIST, 800 training images, every imputer at its defaults")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", default=",".join(GRIDS), help="comma-separated grids")
    parser.add_argument("--methods", help="only these labels (the other rows are kept)")
    parser.add_argument("--seeds", help="only these seeds, e.g. 0,1")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--quick", action="store_true", help="a small grid, into a temporary folder")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--report-only", action="store_true", help="rewrite the md from the CSV")
    args = parser.parse_args(argv)
    out = Path(tempfile.mkdtemp()) if args.quick else args.out
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "compare_all.csv"
    command = "python benchmarks/compare_all.py " + " ".join(argv if argv is not None else sys.argv[1:])
    start = time.perf_counter()
    run_file = out / "compare_all_run.json"
    runs = [] if args.quick else _runs(run_file)
    if args.report_only:
        results = pd.read_csv(csv)
    else:
        grids = [g.strip() for g in args.grid.split(",") if g.strip()]
        methods = set(args.methods.split(",")) if args.methods else None
        seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else None
        cells = build_cells(grids, methods, seeds, args.quick)
        print(f"{len(cells)} cells, {args.jobs} at a time", flush=True)
        new = run_cells(cells, jobs=args.jobs, timeout=args.timeout)
        ran = {(c.method, c.data, c.mechanism, c.rate, c.seed, c.n_train or 0) for c in cells}
        results = merge_results(csv, new, ["method", "data", "mechanism", "rate", "seed", "n_train"], ran)
        minutes = (time.perf_counter() - start) / 60
        runs.append({"command": command, "minutes": round(minutes, 1), "jobs": args.jobs})
        run_file.write_text(json.dumps({"runs": runs}, indent=1))
    (out / "compare_all.md").write_text(report(results, runs))
    figure(results, out / "compare_all_mnist.png")
    write_docs_tables(results, out)
    print(f"wrote {out / 'compare_all.md'}")


if __name__ == "__main__":
    main()
