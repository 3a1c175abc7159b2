"""Reproduce Tables 1 and 2 of the SpatialGAIN paper on the data we ship.

J. Young, *SpatialGAIN: Spatial Generative Adversarial Imputation Networks and
its Application to Zero-Shot Pixel Imputation* (``../shared/papers/spatialgain.md``).

**Table 1** (the paper: GAIN vs SpatialGAIN, test RMSE, 20% MCAR, Spambase
reshaped into 8x8 "images" and 160x160 Imagenette photos). Ours, per seed:
``breast_cancer`` (30 features, zero-padded to a 6x6 "image" for SpatialGAIN)
and ``wine`` (13 features, padded to 4x4), min-max scaled; the 8x8 ``digits``
(/16) and the 5,000 28x28 ``mnist`` images (/255); rows shuffled with the seed
and split 80/20, 20% of the entries of both parts hidden (MCAR); the imputers
fit the incomplete 80% and fill the holes of the incomplete 20%; RMSE (and
MAE) over the hidden test entries (never the padding). GAIN and SpatialGAIN
(the paper's network, at most 15 epochs on MNIST), plus mean, KNN,
IterativeImputer (not on MNIST: too slow) and matrix completion.

**Table 2** (zero-shot imputation of one photograph). The paper corrupts the
bottom-right 64x64 region **A** of one image, MCAR (20% of A's pixels) or
MNAR (20% of A's rows lose their last ten pixels), and compares SpatialGAIN
trained on crops of the same image with matrix completion and the nearest
crop. Ours: scikit-learn's "china" photo in grayscale, resized to 320x480
(bilinear, antialiased), its central 320x320 square, **A** its bottom-right
64x64 corner; ``SingleImageImputer()`` (an ``updown`` SpatialGAIN, 15
epochs, on the crops kept by the pruning), ``MatrixCompletionImputer(
per_image=True)`` and ``SingleImageImputer("nearest")``; RMSE over A's hidden
pixels. Each seed draws a new mask and a new training seed.

One process and one thread per run. Run from the repository root::

    python benchmarks/gain_spatialgain.py                 # both tables, 3 seeds (about 45 min on 2 cores)
    python benchmarks/gain_spatialgain.py --parts table2  # one table
    python benchmarks/gain_spatialgain.py --parts table1 --data wine --methods GAIN  # replace these rows
    python benchmarks/gain_spatialgain.py --quick         # 1 seed, small data, 2 epochs, to /tmp

Writes ``benchmarks/results/gain_spatialgain.md``, ``gain_spatialgain_table1.csv``,
``gain_spatialgain_table2.csv`` and the figures ``gain_spatialgain_{mnist,digits,photo}.png``.
"""

import time

import numpy as np
import pandas as pd
import torch

from sklimpute import SingleImageImputer, make_missing
from sklimpute.benchmark import (Method, command_line, fit_transform_timed, format_pm, merge_results,
                                 output_dir, platform_line, pm, run_tasks, script_parser)
from sklimpute.datasets import load_digits, load_mnist, load_sample_photo, load_tabular
from sklimpute.plotting import plot_imputation_grid

#: The paper's Table 1 (RMSE, mean and standard deviation over 5 runs).
PAPER_T1 = {"Spambase (8x8)": {"GAIN": (0.051, 0.002), "SpatialGAIN": (0.109, 0.022)},
            "Imagenette (160x160)": {"GAIN": (0.171, 0.002), "SpatialGAIN": (0.076, 0.005)}}
#: The paper's Table 2 (RMSE on A; SpatialGAIN over several runs, the others once).
PAPER_T2 = {"MCAR": {"SpatialGAIN": (0.090, 0.002), "MatrixCompletion": (0.054, None),
                     "Nearest crop": (0.143, None)},
            "MNAR": {"SpatialGAIN": (0.125, 0.013), "MatrixCompletion": (0.021, None),
                     "Nearest crop": (0.151, None)}}

#: data set -> the image shape SpatialGAIN sees (tables are zero-padded to it)
SHAPES = {"breast_cancer": (6, 6), "wine": (4, 4), "digits": (8, 8), "mnist": (28, 28)}
#: Table 1's imputers; SpatialGAIN: the paper's network, noise and batches of 64
#: (hide_rate 0.2 and 50 epochs, 15 on MNIST, were the defaults when these
#: tables were made)
T1_METHODS = {"GAIN": Method("gain", {"n_threads": 1}),
              "SpatialGAIN": Method("spatialgain", dict(architecture="standard", prefill="noise",
                                                        hide_rate=0.2, batch_size=64,
                                                        precision="float32", n_threads=1)),
              "Mean": Method("mean"), "KNN": Method("knn"),
              "Iterative": Method("iterative", {"max_iter": 10, "n_nearest_features": None}),
              "MatrixCompletion": Method("matrix_completion")}
T2_METHODS = ("SpatialGAIN", "MatrixCompletion", "Nearest crop")
MECHANISMS = ("MCAR", "MNAR")
PHOTO_SIDE, REGION = 320, 64
#: rough single-thread minutes per run, to start the longest first
COST = {("mnist", "SpatialGAIN"): 6, ("mnist", "GAIN"): 2.5, ("mnist", "KNN"): 1,
        ("MCAR", "SpatialGAIN"): 7, ("MNAR", "SpatialGAIN"): 7}


def run_table1(name, seed, method, quick):
    X = load_tabular(name)[0] if name in ("breast_cancer", "wine") else \
        {"digits": load_digits, "mnist": load_mnist}[name]()[0]
    X = X[:1000] if quick and name == "mnist" else X
    X = X[np.random.RandomState(seed).permutation(len(X))]
    n_fit = int(round(0.8 * len(X)))
    X_m, hidden = make_missing(X, "mcar", rate=0.2, random_state=seed)
    n, d = X.shape
    width = int(np.prod(SHAPES[name]))
    X_in = X_m
    if method == "SpatialGAIN" and width > d:  # zero padding, observed: a constant border
        X_in = np.hstack([X_m, np.zeros((n, width - d))])
    imp = T1_METHODS[method](SHAPES[name] if method == "SpatialGAIN" else None, seed)
    if method == "SpatialGAIN":
        imp.set_params(epochs=15 if name == "mnist" else 50)
    if quick and "epochs" in imp.get_params():
        imp.set_params(epochs=2)
    out, fit_s, _ = fit_transform_timed(imp, X_in[:n_fit], X_in[n_fit:])
    out = out[:, :d]
    err = (out - X[n_fit:])[hidden[n_fit:]]
    row = dict(table="table1", data=name, seed=seed, method=method,
               rmse=float(np.sqrt(np.mean(err ** 2))), mae=float(np.mean(np.abs(err))),
               fit_s=fit_s, epochs=getattr(imp, "n_epochs_", np.nan), nan=bool(np.isnan(out).any()))
    return row, dict(true=X[n_fit:n_fit + 8], missing=X_m[n_fit:n_fit + 8], imputed=out[:8]) \
        if seed == 0 and name in ("digits", "mnist") else None


def load_photo(quick):
    """The china photo in gray, resized to 320x480, its central square."""
    photo = torch.as_tensor(load_sample_photo("china"))[None, None]
    side = 128 if quick else PHOTO_SIDE
    small = torch.nn.functional.interpolate(photo, size=(side, side * 3 // 2), mode="bilinear",
                                            antialias=True, align_corners=False)[0, 0]
    left = (small.shape[1] - side) // 2
    return np.clip(small[:, left:left + side].numpy(), 0.0, 1.0)


def corrupt_photo(image, mechanism, seed, region):
    """Hide pixels of the bottom-right ``region`` x ``region`` corner of ``image``."""
    side = image.shape[0]
    corner = image[side - region:, side - region:].reshape(1, -1)
    if mechanism == "MCAR":
        corner_m, _ = make_missing(corner, "mcar", rate=0.2, random_state=seed)
    else:
        corner_m, _ = make_missing(corner, "rows", rate=0.2, k=10, shape=(region, region),
                                   random_state=seed)
    corrupted = image.copy()
    corrupted[side - region:, side - region:] = corner_m.reshape(region, region)
    return corrupted


def run_table2(mechanism, seed, method, quick):
    image = load_photo(quick)
    side, region = image.shape[0], REGION // 2 if quick else REGION
    corrupted = corrupt_photo(image, mechanism, seed, region)
    hidden = np.isnan(corrupted)
    # A is the corner, as in the paper (not the bounding box of its holes,
    # a thin strip under the "rows" mechanism)
    estimator = "nearest" if method == "Nearest crop" else Method("spatialgain", dict(
        architecture="updown", prefill="noise", hide_rate=0.2, epochs=2 if quick else 15,
        batch_size=64, precision="float32", n_threads=1))(None, None)
    imp = Method("matrix_completion", {"per_image": True})((side, side), seed) \
        if method == "MatrixCompletion" else SingleImageImputer(
            estimator, region=(side - region,) * 2 + (region,) * 2, shape=(side, side), random_state=seed)
    t0 = time.perf_counter()
    out = np.asarray(imp.fit_transform(corrupted.reshape(1, -1))).reshape(side, side)
    fit_s = time.perf_counter() - t0
    err = (out - image)[hidden]
    row = dict(table="table2", data=mechanism, seed=seed, method=method,
               rmse=float(np.sqrt(np.mean(err ** 2))), mae=float(np.mean(np.abs(err))),
               fit_s=fit_s, epochs=np.nan, nan=bool(np.isnan(out).any()),
               hidden_share=float(hidden.sum() / region ** 2))
    corner = slice(side - 2 * region, None)
    return row, dict(true=image[corner, corner], missing=corrupted[corner, corner],
                     imputed=out[corner, corner]) if seed == 0 else None


def run(task):
    part, data, seed, method, quick = task
    return (run_table1 if part == "table1" else run_table2)(data, seed, method, quick)


def cell(sub, method, metric="rmse", digits=3):
    return pm(sub[sub.method == method][metric], digits) if (sub.method == method).any() else ""


def table1_markdown(df):
    methods = [m for m in T1_METHODS if m in set(df.method)]
    names = [n for n in SHAPES if (df.data == n).any()]
    lines = ["## Table 1: GAIN vs SpatialGAIN, 20% MCAR, test RMSE", "",
             f"Mean ± standard deviation over {df.seed.nunique()} seed(s); 80/20 split; errors on "
             "the hidden test entries of the data's own features (the padding never counts).", "",
             "| data (SpatialGAIN's shape) | " + " | ".join(methods) + " | SpatialGAIN vs GAIN |",
             "|---" * (len(methods) + 2) + "|"]
    for name in names:
        sub = df[df.data == name]
        g, s = sub[sub.method == "GAIN"].rmse.mean(), sub[sub.method == "SpatialGAIN"].rmse.mean()
        change = f"{100 * (s - g) / g:+.0f}%" if np.isfinite(g) and np.isfinite(s) else ""
        lines.append(f"| {name} ({'x'.join(map(str, SHAPES[name]))}) | "
                     + " | ".join(cell(sub, m) for m in methods) + f" | {change} |")
    lines += ["", "MAE on the same entries:", "", "| data | " + " | ".join(methods) + " |",
              "|---" * (len(methods) + 1) + "|"]
    lines += [f"| {n} | " + " | ".join(cell(df[df.data == n], m, "mae", 4) for m in methods) + " |"
              for n in names]
    lines += ["", "Training (mean over seeds): fit seconds, one thread; epochs run (early stopping).", "",
              "| data | GAIN fit (s) | GAIN epochs | SpatialGAIN fit (s) | SpatialGAIN epochs |",
              "|---|---|---|---|---|"]
    for name in names:
        g, s = (df[(df.data == name) & (df.method == m)] for m in ("GAIN", "SpatialGAIN"))
        lines.append(f"| {name} | {g.fit_s.mean():.0f} | {g.epochs.mean():.0f} | "
                     f"{s.fit_s.mean():.0f} | {s.epochs.mean():.0f} |")
    lines += ["", "The paper's Table 1 (5 runs):", "", "| data | GAIN | SpatialGAIN |", "|---|---|---|"]
    lines += [f"| {n} | {format_pm(*v['GAIN'], 3)} | {format_pm(*v['SpatialGAIN'], 3)} |"
              for n, v in PAPER_T1.items()]
    return lines


def table2_markdown(df):
    lines = ["## Table 2: zero-shot imputation of one photograph, RMSE on A", "",
             f"Mean ± standard deviation over {df.seed.nunique()} seed(s) (a new mask and training "
             "seed each); the paper's numbers in brackets.", "",
             "| mechanism (share of A hidden) | " + " | ".join(T2_METHODS) + " | fit, SpatialGAIN (s) |",
             "|---" * (len(T2_METHODS) + 2) + "|"]
    for mech in MECHANISMS:
        sub = df[df.data == mech]
        if len(sub):
            cells = [f"{cell(sub, m)} [{format_pm(*PAPER_T2[mech][m], 3)}]" for m in T2_METHODS]
            lines.append(f"| {mech} ({sub.hidden_share.mean():.1%}) | " + " | ".join(cells)
                         + f" | {sub[sub.method == 'SpatialGAIN'].fit_s.mean():.0f} |")
    return lines


def write_report(out, command, jobs):
    lines = ["# SpatialGAIN's Tables 1 and 2, reproduced", "",
             f"Produced by `{command}` ({platform_line(jobs=jobs)}). See the script's docstring "
             "for the protocol.", ""]
    for table, markdown in (("table1", table1_markdown), ("table2", table2_markdown)):
        path = out / f"gain_spatialgain_{table}.csv"
        df = pd.read_csv(path) if path.exists() else pd.DataFrame()
        if len(df):
            lines += markdown(df)
            lines += ["", f"**{int(df.nan.sum())} run(s) returned NaN.**"] if df.nan.any() else []
            lines.append("")
    figures = [f"![{f}]({f})" for f in (f"gain_spatialgain_{n}.png" for n in ("digits", "mnist", "photo"))
               if (out / f).exists()]
    lines += ["## Figures", "", *figures, ""] if figures else []
    (out / "gain_spatialgain.md").write_text("\n".join(lines))
    print("\n".join(lines))


def write_figures(images, out):
    for name in ("digits", "mnist"):
        got = {m: images[("table1", name, m)] for m in ("GAIN", "SpatialGAIN")
               if ("table1", name, m) in images}
        if len(got) == 2:
            first = next(iter(got.values()))
            plot_imputation_grid(first["true"], first["missing"],
                                 {m: v["imputed"] for m, v in got.items()}, SHAPES[name],
                                 titles=["original", "20% MCAR", "GAIN", "SpatialGAIN"],
                                 path=out / f"gain_spatialgain_{name}.png")
    got = {(mech, m): images.get(("table2", mech, m)) for mech in MECHANISMS for m in T2_METHODS}
    if all(v is not None for v in got.values()):  # one column per mechanism
        flat = lambda key, m: np.stack([got[(mech, m)][key].ravel() for mech in MECHANISMS])  # noqa: E731
        shape = got["MCAR", "SpatialGAIN"]["true"].shape
        plot_imputation_grid(flat("true", "SpatialGAIN"), flat("missing", "SpatialGAIN"),
                             {m: flat("imputed", m) for m in T2_METHODS}, shape, n_images=2,
                             titles=["original", "corrupted (MCAR | MNAR)", *T2_METHODS],
                             path=out / "gain_spatialgain_photo.png")


def main(argv=None):
    p = script_parser(__doc__, jobs=2, seeds=3, methods=list(dict.fromkeys([*T1_METHODS, *T2_METHODS])))
    p.add_argument("--parts", default="table1,table2", help="table1, table2 or both (default)")
    p.add_argument("--data", default=",".join(SHAPES), help="Table 1 data sets (default: all)")
    args = p.parse_args(argv)
    out = output_dir(args, "gain_spatialgain")
    command = command_line(__file__, argv)
    if args.report_only:
        return write_report(out, command, args.jobs)
    parts, seeds = args.parts.split(","), range(1 if args.quick else args.seeds)
    tasks = [("table1", name, s, m, args.quick) for name in args.data.split(",")
             for m in T1_METHODS for s in seeds
             if "table1" in parts and m in args.methods and not (m == "Iterative" and name == "mnist")]
    tasks += [("table2", mech, s, m, args.quick) for mech in MECHANISMS for s in seeds
              for m in T2_METHODS if "table2" in parts and m in args.methods]
    tasks.sort(key=lambda t: -COST.get((t[1], t[3]), 0.1))

    def save(task, result):  # as the runs finish: an interrupted run keeps what it measured
        row = result[0]
        print(f"{row['table']} {row['data']} seed {row['seed']} {row['method']}: "
              f"RMSE {row['rmse']:.4f} ({row['fit_s']:.0f} s)", flush=True)
        merge_results(out / f"gain_spatialgain_{row['table']}.csv", [row],
                      ["data", "seed", "method"], sort=["data", "method", "seed"])

    results = run_tasks(run, tasks, jobs=args.jobs, timeout=args.timeout, on_result=save)
    write_figures({(r[0]["table"], r[0]["data"], r[0]["method"]): r[1]
                   for r in results if r and r[1] is not None}, out)
    write_report(out, command, args.jobs)


if __name__ == "__main__":
    main()
