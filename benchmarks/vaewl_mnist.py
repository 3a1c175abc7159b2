"""Reproduce Table 1 (MNIST rows) of the VAE-WL paper on the bundled MNIST subset.

Pereira et al., *Missing Image Data Imputation using Variational Autoencoders
with Weighted Loss*: VAE-WL against the plain VAE (same architecture and
hyperparameters), MNIST, 20% to 50% of the pixels missing completely at
random, holes pre-filled with zero, MAE. Our protocol, per seed:

* the 5,000 images of :func:`sklimpute.datasets.load_mnist` (in [0, 1])
  shuffled and split 3,000 training / 1,000 validation / 1,000 test; the
  test images lose ``rate`` of their pixels (MCAR per pixel);
* two training settings: ``complete`` (the paper's: complete training
  images, VAE-WL hides ``rate`` of their pixels in every batch) and
  ``incomplete`` (the training images have the same MCAR holes as the test
  images);
* the neural models get the 4,000 training + validation images with
  ``validation_fraction=0.25``; the others are fitted on all 4,000;
* reported: the MAE on the missing pixels and over whole images, fit and
  transform times, and the neural models' images per second.

Imputers: ``VAE-WL`` and ``VAE`` (the paper's network; see ``--dropout``),
``VAE-WL+skip`` (our option ``skip_connection=True``), ``KNN``, ``Iterative``
(``n_nearest_features=20`` so that it finishes), ``MatrixCompletion``,
``Mean``, ``GAIN`` and ``SpatialGAIN`` (at most 15 epochs, the SpatialGAIN
paper's cap); on complete images both GAINs hide the test's missing rate from
their generator in every batch (``hide_rate=rate``), as VAE-WL does.

One process and one thread per imputer and cell. Run from the repository root::

    python benchmarks/vaewl_mnist.py                 # the full table (3 seeds, 4 rates)
    python benchmarks/vaewl_mnist.py --dropout 0.2 --epochs 200   # the paper's exact training (hours)
    python benchmarks/vaewl_mnist.py --merge --methods GAIN,SpatialGAIN --seeds 1   # add rows

Writes ``benchmarks/results/vaewl_mnist.md``, ``.csv`` and ``.png`` (the
figure: original, with holes, VAE, VAE-WL, VAE-WL+skip at the largest rate).
"""

import time

import numpy as np
import pandas as pd

from sklimpute import make_missing
from sklimpute.benchmark import (Method, command_line, fit_transform_timed, frame_markdown, markdown_table,
                                 merge_results, output_dir, platform_line, run_tasks, script_parser)
from sklimpute.datasets import load_mnist
from sklimpute.plotting import plot_imputation_grid

SHAPE = (28, 28)

#: The paper's Table 1, MNIST rows: MAE of VAE-WL, VAE and GAIN.
PAPER = {
    0.2: {"VAE-WL": 0.036, "VAE": 0.063, "GAIN": 0.091},
    0.3: {"VAE-WL": 0.036, "VAE": 0.064, "GAIN": 0.066},
    0.4: {"VAE-WL": 0.037, "VAE": 0.065, "GAIN": 0.064},
    0.5: {"VAE-WL": 0.039, "VAE": 0.067, "GAIN": 0.064},
}
ALL_METHODS = ("VAE-WL", "VAE", "VAE-WL+skip", "KNN", "Iterative", "MatrixCompletion", "Mean", "GAIN",
               "SpatialGAIN")


def imputer(name, setting, rate, seed, args):
    """The imputer ``name`` for one cell of the table, the paper's settings explicit."""
    deep = dict(validation_fraction=0.25, n_threads=1)
    # the paper trains VAE-WL on images with the test's missing rate; on
    # complete data that is hide_rate=rate, on incomplete data the default
    # (follow the data's own missing rate) gives the same
    hide = rate if setting == "complete" else None
    # the paper's batch, and float32 (precision="auto" is bfloat16 where the CPU has it)
    vae = dict(dropout=args.dropout, prefill="zeros", batch_size=64, precision="float32", **deep)
    # on complete images the GAINs only see holes if some are hidden from
    # the generator: the test's rate, as for VAE-WL; on incomplete images
    # 0 for GAIN and 0.2 for SpatialGAIN, as when this table was made; then
    # every hiding was MCAR (hide_pattern="mcar"; the default is now "data",
    # whose explicit hide_rate thins the copied holes); SpatialGAIN with the
    # paper's network and noise
    gain_hide = {"hide_rate": rate if setting == "complete" else 0.0, "hide_pattern": "mcar"}
    sg_hide = dict(gain_hide, hide_rate=0.2) if setting == "incomplete" else gain_hide
    methods = {
        "VAE-WL": Method("vaewl", dict(epochs=args.epochs, hide_rate=hide, skip_connection=False, **vae)),
        "VAE": Method("vae", dict(epochs=args.epochs, skip_connection=False, **vae)),
        "VAE-WL+skip": Method("vaewl", dict(epochs=args.skip_epochs, hide_rate=hide,
                                            skip_connection=True, **vae)),
        "KNN": Method("knn"),
        "Iterative": Method("iterative", dict(max_iter=5, n_nearest_features=20)),
        "MatrixCompletion": Method("matrix_completion"),
        "Mean": Method("mean"),
        "GAIN": Method("gain", {**({"epochs": args.gain_epochs} if args.gain_epochs else {}),
                                **gain_hide, **deep}),
        "SpatialGAIN": Method("spatialgain", dict(epochs=args.spatialgain_epochs,
                                                  architecture="standard", prefill="noise",
                                                  batch_size=64, precision="float32",
                                                  **sg_hide, **deep)),
    }
    return methods[name](SHAPE, seed)


def run(task):
    """Fit and score one imputer on one (setting, rate, seed): its row and first images."""
    setting, rate, seed, name, args, keep_images = task
    X = load_mnist()[0]
    X = X[np.random.RandomState(seed).permutation(len(X))]  # 3,000 / 1,000 / 1,000
    X_fit, X_test = X[:4000], X[4000:]
    if setting == "incomplete":
        X_fit, _ = make_missing(X_fit, "mcar", rate=rate, random_state=seed + 1)
    X_test_missing, hidden = make_missing(X_test, "mcar", rate=rate, random_state=seed + 2)
    imp = imputer(name, setting, rate, seed, args)
    out, fit_s, transform_s = fit_transform_timed(imp, X_fit, X_test_missing)
    err = np.abs(out - X_test)
    row = dict(setting=setting, rate=rate, seed=seed, method=name, mae_missing=err[hidden].mean(),
               mae_image=err.mean(), fit_s=fit_s, transform_s=transform_s,
               transform_img_s=len(X_test) / transform_s)
    if hasattr(imp, "n_epochs_"):
        n_train = int(round(len(X_fit) * (1 - getattr(imp, "validation_fraction", 0.0))))
        row.update(epochs=imp.n_epochs_, train_img_s=n_train * imp.n_epochs_ / fit_s)
    k = keep_images
    return row, (dict(imputed=out[:k], true=X_test[:k], missing=X_test_missing[:k]) if k else None)


def rate_label(rate):
    return f"MR {int(round(rate * 100))}%"


def improvement_table(df, methods):
    """Per rate: 100 * (other - VAE-WL) / other, on the mean missing-pixel MAE."""
    table = {}
    for rate, g in df.groupby("rate"):
        means, row = g.groupby("method")["mae_missing"].mean(), {}
        gain = lambda ours, other: f"{100 * (means[other] - means[ours]) / means[other]:.0f}%"  # noqa: E731
        others = [m for m in methods if m in means and m not in ("VAE-WL", "VAE-WL+skip")]
        for ours in [m for m in ("VAE-WL", "VAE-WL+skip") if m in means]:
            row.update({f"{ours} ↑% {o}": gain(ours, o) for o in ("VAE", "KNN") if o in means})
            if others:
                best = min(others, key=lambda m: means[m])
                row[f"{ours} ↑% best other"] = f"{gain(ours, best)} ({best})"
        table[rate_label(rate)] = row
    return pd.DataFrame(table).T


def timing_table(df, methods):
    mean = lambda g, c, f: format(g[c].mean(), f) if c in g and g[c].notna().any() else ""  # noqa: E731
    return pd.DataFrame({m: {"fit (s)": mean(g, "fit_s", ".1f"),
                             "transform 1,000 images (s)": mean(g, "transform_s", ".2f"),
                             "epochs": mean(g, "epochs", ".0f"),
                             "training images/s": mean(g, "train_img_s", ".0f"),
                             "transform images/s": mean(g, "transform_img_s", ".0f")}
                         for m in methods if len(g := df[df.method == m])}).T


def table(frame, index_name):
    return frame_markdown(frame.rename_axis(index_name), index=True)


def write_report(df, args, methods, elapsed, path, command):
    paper = pd.DataFrame({rate_label(r): {**{k: f"{v:.3f}" for k, v in p.items()},
                                          "↑% VAE": f"{100 * (p['VAE'] - p['VAE-WL']) / p['VAE']:.0f}%"}
                          for r, p in PAPER.items()}).T
    seeds = sorted(df.seed.unique())
    lines = [
        "# VAE-WL on MNIST: the paper's Table 1, reproduced", "", f"`{command}`", "",
        f"* data: the 5,000-image MNIST subset of `sklimpute.datasets.load_mnist`, 3,000 training / "
        f"1,000 validation / 1,000 test images per seed; seeds {', '.join(map(str, seeds))}; "
        "MCAR per pixel; mean ± standard deviation over the seeds.",
    ]
    counts = df.groupby("method").seed.nunique()
    fewer = [m for m in methods if m in counts and counts[m] < len(seeds)]
    if fewer:
        lines.append(f"* {', '.join(fewer)}: fewer seeds (" + ", ".join(f"{m}: {counts[m]}" for m in fewer)
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
        f"* {platform_line(jobs=args.jobs)}; "
        + ("the rows of an earlier run." if args.report_only else f"this command (`--merge`: its methods' "
           "rows added to an earlier run's, whose command and time the git history of this file gives) took "
           f"{elapsed / 60:.1f} minutes." if args.merge else f"total {elapsed / 60:.1f} minutes."),
        "", "## The paper's Table 1 (MNIST rows, paper)", "", table(paper, "missing rate"),
    ]
    for setting in ("complete", "incomplete"):
        d = df[df.setting == setting]
        if len(d):
            d = d.assign(**{"missing rate": d.rate.map(rate_label)})
            present = [m for m in methods if m in set(d.method)]
            lines += [f"## Trained on {setting} images", "", "MAE on the missing pixels (best in bold):",
                      "", markdown_table(d, rows="missing rate", value="mae_missing", column_order=present),
                      "Improvement of VAE-WL on the missing-pixel MAE, as in the paper: "
                      "100 x (other - VAE-WL) / other:", "",
                      table(improvement_table(d, methods), "missing rate"),
                      "MAE over whole images:", "",
                      markdown_table(d, rows="missing rate", value="mae_image", column_order=present)]
    lines += ["## Time (mean over all cells)", "",
              "Training images/s counts the 3,000 training images of every epoch over the whole `fit` "
              "(validation passes included).", "", table(timing_table(df, methods), "imputer")]
    path.write_text("\n".join(lines))


def main(argv=None):
    p = script_parser(__doc__, jobs=2, seeds=3, methods=ALL_METHODS)
    p.add_argument("--rates", default="0.2,0.3,0.4,0.5", help="missing rates (default 0.2,0.3,0.4,0.5)")
    p.add_argument("--settings", default="complete,incomplete",
                   help="training settings: complete, incomplete or both (default)")
    p.add_argument("--epochs", type=int, default=30, help="max epochs of VAE-WL and VAE (default 30)")
    p.add_argument("--skip-epochs", type=int, default=10, help="max epochs of VAE-WL+skip (default 10)")
    p.add_argument("--gain-epochs", type=int, default=None, help="epochs of GAIN (default: its own)")
    p.add_argument("--spatialgain-epochs", type=int, default=15,
                   help="max epochs of SpatialGAIN (default 15, the SpatialGAIN paper's cap)")
    p.add_argument("--merge", action="store_true",
                   help="merge this run's rows into the existing CSV (replacing the same setting, "
                        "rate, seed and method) instead of replacing it, then rewrite the report")
    p.add_argument("--dropout", type=float, default=0.0,
                   help="dropout of the VAEs (default 0.0; the paper's 0.2 needs ~4x the epochs)")
    args = p.parse_args(argv)
    if args.quick:  # 1 seed, rates 0.3 and 0.5, 2 epochs (1 for VAE-WL+skip)
        args.seeds, args.rates, args.epochs, args.skip_epochs = 1, "0.3,0.5", 2, 1
        args.gain_epochs, args.spatialgain_epochs = args.gain_epochs or 2, 2
    methods = [m for m in ALL_METHODS if m in args.methods]
    out = output_dir(args, "vaewl_mnist")
    csv, rates = out / "vaewl_mnist.csv", [float(r) for r in args.rates.split(",")]
    settings = [s.strip() for s in args.settings.split(",")]
    figure_cell = ("complete" if "complete" in settings else settings[0], max(rates), 0)
    start, images = time.perf_counter(), {}
    if args.report_only:
        df = pd.read_csv(csv)
    else:
        tasks = [(s, r, seed, m, args, 8 if (s, r, seed) == figure_cell else 0)
                 for s in settings for r in rates for seed in range(args.seeds) for m in methods]
        results = run_tasks(run, tasks, jobs=args.jobs, timeout=args.timeout)
        images = {t[3]: r[1] for t, r in zip(tasks, results) if r and r[1] is not None}
        rows = [r[0] for r in results if r]  # --merge: keep the CSV's other rows
        df = merge_results(csv, rows, ["setting", "rate", "seed", "method"]) if args.merge else \
            pd.DataFrame(rows)
        df.to_csv(csv, index=False)
    elapsed = time.perf_counter() - start
    write_report(df, args, [m for m in ALL_METHODS if m in set(df.method)], elapsed,
                 out / "vaewl_mnist.md", command_line(__file__, argv))
    shown = {k: images[k]["imputed"] for k in ("VAE", "VAE-WL", "VAE-WL+skip") if k in images}
    if shown:  # the paper's Figure 1: original, with holes, VAE, VAE-WL (and our option)
        first = next(iter(images.values()))
        fig = plot_imputation_grid(first["true"], first["missing"], shown, SHAPE, n_images=8)
        fig.suptitle(f"MNIST, {int(round(figure_cell[1] * 100))}% of the pixels missing (MCAR), "
                     "trained on complete images")
        fig.savefig(out / "vaewl_mnist.png", dpi=120, bbox_inches="tight")
    print(f"done in {elapsed / 60:.1f} min: {out / 'vaewl_mnist.md'}", flush=True)


if __name__ == "__main__":
    main()
