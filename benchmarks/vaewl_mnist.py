"""Reproduce Table 1 (MNIST rows) of the VAE-WL paper on the bundled MNIST subset.

Pereira et al., *Missing Image Data Imputation using Variational Autoencoders
with Weighted Loss*: VAE-WL against the plain VAE (same architecture and
hyperparameters), MNIST, 20% to 50% of the pixels missing completely at
random, holes pre-filled with zero, MAE.

Our protocol, per seed:

* the 5,000 images of :func:`sklimpute.datasets.load_mnist` (in [0, 1]) are
  shuffled and split 60/20/20: 3,000 training, 1,000 validation and 1,000 test
  images;
* the test images lose ``rate`` of their pixels (MCAR per pixel);
* two training settings: ``complete`` (the paper's: the training and
  validation images are complete, and VAE-WL hides ``rate`` of their pixels
  in every batch, i.e. it trains with the test's missing rate) and
  ``incomplete`` (the realistic one: the training and validation images have
  the same MCAR holes as the test images, whose values nobody knows);
* the neural models get the 4,000 training + validation images with
  ``validation_fraction=0.25`` (3,000 to train on, 1,000 for early stopping);
  the other imputers have no use for a validation set and are fitted on all
  4,000;
* every imputer fills the test holes; we report the MAE on the missing pixels
  and over whole images (observed pixels returned unchanged), the fit and
  transform times, and for the neural models the training and ``transform``
  throughput in images per second.

Imputers: ``VAE-WL`` and ``VAE`` (the paper's network; see ``--dropout``),
``VAE-WL+skip`` (our option ``skip_connection=True``), ``KNN``, ``Iterative``
(``n_nearest_features=20`` so that it finishes), ``MatrixCompletion``,
``Mean``, ``GAIN`` and ``SpatialGAIN`` (at most 15 epochs, the SpatialGAIN
paper's cap); on complete images both GAINs hide the test's missing rate from
their generator in every batch (``hide_rate=rate``), as VAE-WL does, since
they would otherwise see no hole to learn from.

Run from the repository root::

    python benchmarks/vaewl_mnist.py                 # the full table (3 seeds, 4 rates)
    python benchmarks/vaewl_mnist.py --quick         # smoke test: 1 seed, 2 rates, 2 epochs
    python benchmarks/vaewl_mnist.py --dropout 0.2 --epochs 200   # the paper's exact training (hours)
    python benchmarks/vaewl_mnist.py --merge --methods GAIN,SpatialGAIN --seeds 1
        # add rows for some methods to the existing table without rerunning the others

Writes ``benchmarks/results/vaewl_mnist.md``, ``.csv`` and ``.png`` (the
figure: original, with holes, VAE, VAE-WL, VAE-WL+skip at the largest rate).
"""

import argparse
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from _common import kept_rows

RESULTS = Path(__file__).resolve().parent / "results"
SHAPE = (28, 28)

#: The paper's Table 1, MNIST rows: MAE of VAE-WL, VAE and GAIN.
PAPER = {
    0.2: {"VAE-WL": 0.036, "VAE": 0.063, "GAIN": 0.091},
    0.3: {"VAE-WL": 0.036, "VAE": 0.064, "GAIN": 0.066},
    0.4: {"VAE-WL": 0.037, "VAE": 0.065, "GAIN": 0.064},
    0.5: {"VAE-WL": 0.039, "VAE": 0.067, "GAIN": 0.064},
}

NEURAL = ("VAE-WL", "VAE", "VAE-WL+skip", "GAIN", "SpatialGAIN")
ALL_METHODS = ("VAE-WL", "VAE", "VAE-WL+skip", "KNN", "Iterative", "MatrixCompletion", "Mean", "GAIN",
               "SpatialGAIN")


def _gain_available():
    try:
        from sklimpute.models.gain import GAINImputer  # noqa: F401
    except ImportError:
        return False
    return True


def make_imputer(name, setting, rate, seed, args):
    """The imputer ``name`` for one cell of the table."""
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer

    from sklimpute.models.matrix_completion import MatrixCompletionImputer
    from sklimpute.models.vaewl import VAEImputer, VAEWLImputer

    deep = dict(shape=SHAPE, validation_fraction=0.25, random_state=seed, n_threads=1)
    # the paper trains VAE-WL on images with the test's missing rate; on
    # complete data that is hide_rate=rate, on incomplete data the default
    # (follow the data's own missing rate) gives the same
    hide = rate if setting == "complete" else None
    if name == "VAE-WL":
        # the paper's network, set explicitly (the defaults are ours)
        return VAEWLImputer(epochs=args.epochs, dropout=args.dropout, hide_rate=hide,
                            skip_connection=False, prefill="zeros", **deep)
    if name == "VAE":
        return VAEImputer(epochs=args.epochs, dropout=args.dropout, skip_connection=False,
                          prefill="zeros", **deep)
    if name == "VAE-WL+skip":
        return VAEWLImputer(epochs=args.skip_epochs, dropout=args.dropout, hide_rate=hide,
                            skip_connection=True, prefill="zeros", **deep)
    if name == "KNN":
        return KNNImputer()
    if name == "Iterative":
        return IterativeImputer(max_iter=5, n_nearest_features=20, random_state=seed)
    if name == "MatrixCompletion":
        return MatrixCompletionImputer(shape=SHAPE, random_state=seed)
    if name == "Mean":
        return SimpleImputer()
    if name in ("GAIN", "SpatialGAIN"):
        from sklimpute import GAINImputer, SpatialGAINImputer

        # on complete images the GAINs only see holes if some are hidden from
        # the generator: the test's rate, as for VAE-WL; on incomplete images
        # GAIN's default 0, and 0.2 for SpatialGAIN (its default when this
        # table was made); SpatialGAIN with the paper's network and noise
        extra = {"hide_rate": rate} if setting == "complete" else {}
        if name == "GAIN":
            epochs = {"epochs": args.gain_epochs} if args.gain_epochs else {}
            return GAINImputer(**epochs, **extra, **deep)
        extra = {"hide_rate": 0.2, **extra}
        return SpatialGAINImputer(epochs=args.spatialgain_epochs, architecture="standard",
                                  prefill="noise", **extra, **deep)
    raise ValueError(f"unknown method {name!r}")


def split(seed):
    """Shuffle the 5,000 images with ``seed``; 3,000 / 1,000 / 1,000."""
    from sklimpute.datasets import load_mnist

    X, _ = load_mnist()
    X = X[np.random.RandomState(seed).permutation(len(X))]
    return X[:3000], X[3000:4000], X[4000:]


def run_cell(setting, rate, seed, methods, args, keep_images=0):
    """Fit and score every method on one (setting, rate, seed); returns rows."""
    import warnings

    import torch

    from sklimpute import make_missing

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", module="sklearn.impute")
    X_train, X_valid, X_test = split(seed)
    X_fit = np.vstack([X_train, X_valid])
    if setting == "incomplete":
        X_fit, _ = make_missing(X_fit, "mcar", rate=rate, random_state=seed + 1)
    X_test_missing, hidden = make_missing(X_test, "mcar", rate=rate, random_state=seed + 2)
    rows, images = [], {}
    for name in methods:
        imp = make_imputer(name, setting, rate, seed, args)
        t0 = time.perf_counter()
        imp.fit(X_fit)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = imp.transform(X_test_missing)
        transform_s = time.perf_counter() - t0
        err = np.abs(out - X_test)
        row = dict(
            setting=setting, rate=rate, seed=seed, method=name,
            mae_missing=err[hidden].mean(), mae_image=err.mean(),
            fit_s=fit_s, transform_s=transform_s,
            transform_img_s=len(X_test) / transform_s,
        )
        if hasattr(imp, "n_epochs_"):
            n_train = int(round(len(X_fit) * (1 - getattr(imp, "validation_fraction", 0.0))))
            row.update(epochs=imp.n_epochs_, train_img_s=n_train * imp.n_epochs_ / fit_s)
        rows.append(row)
        if keep_images:
            images[name] = out[:keep_images]
        print(f"  {setting:10s} rate={rate:.1f} seed={seed} {name:16s} MAE(missing)={row['mae_missing']:.4f} "
              f"fit={fit_s:6.1f}s", flush=True)
    if keep_images:
        images["_true"], images["_missing"] = X_test[:keep_images], X_test_missing[:keep_images]
    return rows, images


# ---------------------------------------------------------------- report
def _pm(values, digits=4):
    values = np.asarray(values, dtype=float)
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def _md_table(frame):
    cols = [str(c) for c in frame.columns]
    lines = ["| " + " | ".join([frame.index.name or ""] + cols) + " |",
             "|" + "---|" * (len(cols) + 1)]
    for idx, row in frame.iterrows():
        lines.append("| " + " | ".join([str(idx)] + [str(v) for v in row]) + " |")
    return "\n".join(lines)


def _error_table(df, metric, methods):
    table = {}
    for rate, g in df.groupby("rate"):
        best = g.groupby("method")[metric].mean().idxmin()
        cells = {}
        for m in methods:
            v = g.loc[g.method == m, metric]
            if len(v):
                text = _pm(v)
                cells[m] = f"**{text}**" if m == best else text
        table[f"MR {int(round(rate * 100))}%"] = cells
    out = pd.DataFrame(table).T[[m for m in methods if m in df.method.unique()]]
    out.index.name = "missing rate"
    return out


def _improvement_table(df, methods):
    """Per rate: 100 * (other - VAE-WL) / other, on the mean missing-pixel MAE."""
    table = {}
    for rate, g in df.groupby("rate"):
        means = g.groupby("method")["mae_missing"].mean()
        row = {}
        for ours in ("VAE-WL", "VAE-WL+skip"):
            if ours not in means:
                continue
            others = [m for m in methods if m in means and m not in ("VAE-WL", "VAE-WL+skip")]
            for other in ("VAE", "KNN"):
                if other in means:
                    row[f"{ours} ↑% {other}"] = f"{100 * (means[other] - means[ours]) / means[other]:.0f}%"
            if others:
                best = min(others, key=lambda m: means[m])
                row[f"{ours} ↑% best other"] = (
                    f"{100 * (means[best] - means[ours]) / means[best]:.0f}% ({best})")
        table[f"MR {int(round(rate * 100))}%"] = row
    out = pd.DataFrame(table).T
    out.index.name = "missing rate"
    return out


def _timing_table(df, methods):
    rows = {}
    for m in methods:
        g = df[df.method == m]
        if not len(g):
            continue
        rows[m] = {
            "fit (s)": f"{g.fit_s.mean():.1f}",
            "transform 1,000 images (s)": f"{g.transform_s.mean():.2f}",
            "epochs": f"{g.epochs.mean():.0f}" if "epochs" in g and g.epochs.notna().any() else "",
            "training images/s": f"{g.train_img_s.mean():.0f}" if "train_img_s" in g and g.train_img_s.notna().any() else "",
            "transform images/s": f"{g.transform_img_s.mean():.0f}",
        }
    out = pd.DataFrame(rows).T
    out.index.name = "imputer"
    return out


def write_report(df, args, methods, elapsed, path):
    import sklearn
    import torch

    import sklimpute

    paper = pd.DataFrame(
        {f"MR {int(round(r * 100))}%": {**{k: f"{v:.3f}" for k, v in p.items()},
                                         "↑% VAE": f"{100 * (p['VAE'] - p['VAE-WL']) / p['VAE']:.0f}%"}
         for r, p in PAPER.items()}
    ).T
    paper.index.name = "missing rate"
    seeds = sorted(df.seed.unique())
    lines = [
        "# VAE-WL on MNIST: the paper's Table 1, reproduced",
        "",
        f"`python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:])}`".rstrip(),
        "",
        f"* data: the 5,000-image MNIST subset of `sklimpute.datasets.load_mnist`, 3,000 training / "
        f"1,000 validation / 1,000 test images per seed; seeds {', '.join(map(str, seeds))}; "
        "MCAR per pixel; mean ± standard deviation over the seeds.",
    ]
    counts = df.groupby("method").seed.nunique()
    fewer = [m for m in methods if m in counts and counts[m] < len(seeds)]
    if fewer:
        lines.append(f"* {', '.join(fewer)}: fewer seeds ("
                     + ", ".join(f"{m}: {counts[m]}" for m in fewer)
                     + "); a single value has no ±.")
    lines += [
        f"* VAE-WL and VAE: the paper's network (two 3x3 stride-2 convolutions with 32 filters, dense "
        f"392 and 196, latent 32, mirrored decoder, BCE, Adam 0.001, batches of 64), "
        f"dropout {args.dropout}, at most {args.epochs} epochs with early stopping (patience 10) on the "
        f"validation images; VAE-WL+skip: the same with `skip_connection=True` (ours), at most "
        f"{args.skip_epochs} epochs. The other imputers are fitted on the 4,000 training + validation "
        "images.",
        "* `complete`: trained on complete images (the paper's setting; VAE-WL hides the test's missing "
        "rate in every batch). `incomplete`: trained on images with the same MCAR holes as the test "
        "images.",
        "* MAE on the missing pixels (the imputation error) and over whole images (observed pixels are "
        "returned unchanged, so it is about the missing rate times the former). The paper's MAE is "
        "'calculated with the original images and the imputed ones'.",
        f"* {platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
        f"{args.jobs} worker process(es) with one torch thread each; torch {torch.__version__}, "
        f"scikit-learn {sklearn.__version__}, sklimpute {sklimpute.__version__}; "
        + (f"this command (`--merge`: its methods' rows added to an earlier run's, whose command "
           f"and time the git history of this file gives) took {elapsed / 60:.1f} minutes."
           if args.merge else f"total {elapsed / 60:.1f} minutes."),
        "",
        "## The paper's Table 1 (MNIST rows, paper)",
        "",
        _md_table(paper),
        "",
    ]
    for setting in ("complete", "incomplete"):
        d = df[df.setting == setting]
        if not len(d):
            continue
        lines += [
            f"## Trained on {setting} images",
            "",
            "MAE on the missing pixels (best in bold):",
            "",
            _md_table(_error_table(d, "mae_missing", methods)),
            "",
            "Improvement of VAE-WL on the missing-pixel MAE, as in the paper: "
            "100 x (other - VAE-WL) / other:",
            "",
            _md_table(_improvement_table(d, methods)),
            "",
            "MAE over whole images:",
            "",
            _md_table(_error_table(d, "mae_image", methods)),
            "",
        ]
    lines += [
        "## Time (mean over all cells)",
        "",
        "Training images/s counts the 3,000 training images of every epoch over the whole `fit` "
        "(validation passes included).",
        "",
        _md_table(_timing_table(df, methods)),
        "",
    ]
    path.write_text("\n".join(lines))


def write_figure(images, rate, path):
    from sklimpute.plotting import plot_imputation_grid

    # the paper's Figure 1: original, with holes, VAE, VAE-WL (and our option)
    shown = {k: images[k] for k in ("VAE", "VAE-WL", "VAE-WL+skip") if k in images}
    fig = plot_imputation_grid(images["_true"], images["_missing"], shown, SHAPE, n_images=8)
    fig.suptitle(f"MNIST, {int(round(rate * 100))}% of the pixels missing (MCAR), trained on complete images")
    fig.savefig(path, dpi=120, bbox_inches="tight")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=3, help="number of seeds (default 3)")
    p.add_argument("--rates", default="0.2,0.3,0.4,0.5", help="missing rates (default 0.2,0.3,0.4,0.5)")
    p.add_argument("--settings", default="complete,incomplete",
                   help="training settings: complete, incomplete or both (default)")
    p.add_argument("--methods", default=None,
                   help=f"comma-separated subset of {','.join(ALL_METHODS)} (default: all available)")
    p.add_argument("--epochs", type=int, default=30, help="max epochs of VAE-WL and VAE (default 30)")
    p.add_argument("--skip-epochs", type=int, default=10, help="max epochs of VAE-WL+skip (default 10)")
    p.add_argument("--gain-epochs", type=int, default=None, help="epochs of GAIN (default: its own)")
    p.add_argument("--spatialgain-epochs", type=int, default=15,
                   help="max epochs of SpatialGAIN (default 15, the SpatialGAIN paper's cap)")
    p.add_argument("--merge", action="store_true",
                   help="run only --methods and merge their rows into the existing CSV (replacing "
                        "the same setting, rate, seed and method), then rewrite the report")
    p.add_argument("--dropout", type=float, default=0.0,
                   help="dropout of the VAEs (default 0.0; the paper's 0.2 needs ~4x the epochs)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes, one torch thread each (default 2)")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: 1 seed, rates 0.3,0.5, 2 epochs (1 for VAE-WL+skip)")
    p.add_argument("--out", default=str(RESULTS / "vaewl_mnist"),
                   help="output path without suffix (default benchmarks/results/vaewl_mnist)")
    args = p.parse_args(argv)
    if args.quick:
        args.seeds, args.rates, args.epochs, args.skip_epochs = 1, "0.3,0.5", 2, 1
        args.gain_epochs = args.gain_epochs or 2
        args.spatialgain_epochs = 2
    return args


def main(argv=None):
    args = parse_args(argv)
    rates = [float(r) for r in args.rates.split(",")]
    settings = [s.strip() for s in args.settings.split(",")]
    methods = [m for m in ALL_METHODS if "GAIN" not in m or _gain_available()]
    if args.methods:
        wanted = [m.strip() for m in args.methods.split(",")]
        unknown = sorted(set(wanted) - set(ALL_METHODS))
        if unknown:
            raise SystemExit(f"unknown method(s) {unknown}; choose from {ALL_METHODS}")
        methods = [m for m in ALL_METHODS if m in wanted]
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    figure_cell = ("complete" if "complete" in settings else settings[0], max(rates), 0)
    cells = [(s, r, seed) for s in settings for r in rates for seed in range(args.seeds)]
    print(f"{len(cells)} cells x {len(methods)} imputers, {args.jobs} worker(s)", flush=True)
    start = time.perf_counter()
    rows, images = [], None
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [
            pool.submit(run_cell, s, r, seed, methods, args, 8 if (s, r, seed) == figure_cell else 0)
            for s, r, seed in cells
        ]
        for (s, r, seed), fut in zip(cells, futures):
            cell_rows, cell_images = fut.result()
            rows += cell_rows
            if cell_images:
                images = cell_images
    elapsed = time.perf_counter() - start
    df = pd.DataFrame(rows)
    if args.merge and out.with_suffix(".csv").exists():
        def key(frame):
            return zip(frame["setting"], frame["rate"], frame["seed"], frame["method"])

        df = pd.concat([kept_rows(out.with_suffix(".csv"), set(key(df)), key), df],
                       ignore_index=True)
        methods = [m for m in ALL_METHODS if m in set(df.method)]
    df.to_csv(out.with_suffix(".csv"), index=False)
    write_report(df, args, methods, elapsed, out.with_suffix(".md"))
    if images is not None and any(k in images for k in ("VAE", "VAE-WL")):
        write_figure(images, figure_cell[1], out.with_suffix(".png"))
    print(f"done in {elapsed / 60:.1f} min: {out.with_suffix('.md')}", flush=True)


if __name__ == "__main__":
    main()
