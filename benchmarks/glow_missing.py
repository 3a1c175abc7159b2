"""Reproduce the Missing Glow Phenomenon experiments on the bundled MNIST images.

The paper (``../shared/papers/missing-glow.md``) trains a Glow (4 levels x
32 steps, 5 bits, batch 16, 200k iterations) on 64x64 CelebA faces, each
with one grey K x K square at a fixed random place, and finds that (Figure
2/5) ``Phi^-1(alpha * Phi(x))`` for alpha in (0.5, 0.7) is the face without
its square, and (Table 1) that samples at temperature t hold on average
fewer squares than the t**2 its theory predicts. Ours, per square size K in
8, 10, 14:

* the 5,000 MNIST images, shuffled with seed 0, one random K x K square per
  image missing; the first 4,000 train, the last 1,000 are imputed;
* ``GlowImputer(shape=(28, 28))`` (3 levels x 8 steps) trained with the
  squares grey for ``--epochs`` epochs (no early stopping unless
  ``--patience``);
* the alpha sweep: missing-pixel MAE on the test squares for alpha in the
  paper's grid 0.1 ... 1.0 and 0.025, 0.05, 0.075 (alpha only acts in
  ``transform``), and the completions (Figures 2 and 5);
* the temperature table: ``--n-samples`` samples at each t in 0.1 ... 1.5,
  their grey squares counted by :func:`sklimpute.metrics.count_squares`
  (strict and loose; the paper counted 50 by eye), the counters checked on
  the training images (one square each) and on complete images (none);
* GlowImputer at its best alpha against VAE-WL, matrix completion, KNN and
  the mean on the same images.

One process and one thread per run. Run from the repository root::

    python benchmarks/glow_missing.py            # all of it (about 50 minutes on 2 cores)
    python benchmarks/glow_missing.py --quick    # smoke test, to /tmp
    python benchmarks/glow_missing.py --sizes 14 --methods Glow   # rerun a part, keep the rest

Writes ``benchmarks/results/glow_missing.md``, ``glow_missing.csv`` (one row
per K and method, alpha or temperature) and the figures
``glow_missing_{alpha,sweep,samples}.png``.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sklimpute import make_missing
from sklimpute.benchmark import (Method, command_line, fit_transform_timed, merge_results, output_dir,
                                 platform_line, run_tasks, script_parser)
from sklimpute.datasets import load_mnist
from sklimpute.metrics import count_squares
from sklimpute.plotting import plot_imputation_grid

SIZES = (8, 10, 14)
#: the paper's grid 0.1 ... 1.0, and below it three finer steps: where the
#: error still falls at 0.1 (K=14), they show whether the optimum is inside
#: (0, 0.1) or the limit alpha -> 0 (the flow's mode)
ALPHAS = (0.025, 0.05, 0.075) + tuple(round(0.1 * i, 1) for i in range(1, 11))
TEMPERATURES = tuple(round(0.1 * i, 1) for i in range(1, 16))
#: the baselines, fitted on the same images (VAE-WL: the paper's network, its dropout)
BASELINES = {"VAE-WL": Method("vaewl", dict(n_threads=1, dropout=0.2, skip_connection=False,
                                            prefill="zeros", precision="float32")),
             "MatrixCompletion": Method("matrix_completion"), "KNN": Method("knn"),
             "Mean": Method("mean")}
#: the paper's Table 1: mean number of squares per sample at each temperature
PAPER_T1 = dict(zip(TEMPERATURES, (0.00, 0.00, 0.00, 0.02, 0.08, 0.34, 0.42, 0.54, 0.62, 0.76,
                                   0.94, 1.08, 1.18, 1.22, 1.26)))
#: the loose square counter: 75% of a window within 0.2 of grey
LOOSE = dict(tol=0.2, min_share=0.75)


def load(size, quick):
    X, _ = load_mnist()
    X = X[np.random.RandomState(0).permutation(len(X))]
    X = X[:600] if quick else X
    X_missing, hidden = make_missing(X, "square", size=size, shape=(28, 28), random_state=size)
    return X, X_missing, hidden, int(0.8 * len(X))


def run_glow(size, args):
    X, X_missing, hidden, n_fit = load(size, args.quick)
    imp = Method("glow", dict(epochs=2 if args.quick else args.epochs, patience=args.patience,
                              n_steps=2 if args.quick else 8, n_threads=1))((28, 28), 0)
    t0 = time.perf_counter()
    imp.fit(X_missing[:n_fit])
    fit_s = time.perf_counter() - t0
    rows, shown = [], {}
    test, truth, holes = X_missing[n_fit:], X[n_fit:], hidden[n_fit:]
    for alpha in ALPHAS:  # alpha acts in transform only: no refit
        t0 = time.perf_counter()
        out = imp.set_params(alpha=alpha).transform(test)
        rows.append(dict(size=size, method="Glow", alpha=alpha, mae=np.abs(out - truth)[holes].mean(),
                         seconds=time.perf_counter() - t0))
        shown[alpha] = out[:8]
    # the counters on the training images (one square each) and on complete
    # images (none): the strict one asks near-constant grey, the loose one
    # also finds the blurred grey blobs an under-trained flow draws
    filled = np.where(np.isnan(X_missing[:n_fit]), 0.5, X_missing[:n_fit])
    count = lambda images, **kw: count_squares(images.reshape(-1, 28, 28), size, **kw)  # noqa: E731
    samples = {}
    for t in TEMPERATURES:
        s = imp.sample(args.n_samples, temperature=t, random_state=int(10 * t))
        counts = count(s)
        rows.append(dict(size=size, method="Glow samples", temperature=t, squares=float(counts.mean()),
                         squares_loose=float(count(s, **LOOSE).mean()),
                         **{f"share_{k}": float(np.mean(counts == k)) for k in range(4)}))
        samples[t] = s[:8]
    bpd = np.asarray(imp.history_[:, "valid_loss"])
    rows.append(dict(size=size, method="Glow fit", seconds=fit_s, epochs=imp.n_epochs_,
                     bpd_first=float(bpd[0]), bpd_last=float(bpd.min()), bpd_final=float(bpd[-1]),
                     counter_on_training=float(count(filled).mean()),
                     loose_on_training=float(count(filled, **LOOSE).mean()),
                     loose_on_complete=float(count(X[n_fit:], **LOOSE).mean())))
    return rows, dict(truth=truth[:8], missing=test[:8], alphas=shown, samples=samples)


def run(task):
    method, size, args = task
    if method == "Glow":
        return run_glow(size, args)
    X, X_missing, hidden, n_fit = load(size, args.quick)
    imp = BASELINES[method]((28, 28) if method == "VAE-WL" else None, 0)
    if method == "VAE-WL":
        imp.set_params(epochs=2 if args.quick else args.vae_epochs)
    out, fit_s, _ = fit_transform_timed(imp, X_missing[:n_fit], X_missing[n_fit:])
    return [dict(size=size, method=method, mae=np.abs(out - X[n_fit:])[hidden[n_fit:]].mean(),
                 seconds=fit_s)], None


def write_report(out, n_samples, command, jobs):
    df = pd.read_csv(out / "glow_missing.csv")
    sizes = sorted(df["size"].unique())
    glow = df[df.method == "Glow"]
    at = lambda k, a: glow[(glow["size"] == k) & np.isclose(glow["alpha"], a)]["mae"]  # noqa: E731
    lines = [
        "# The Missing Glow Phenomenon on MNIST", "",
        f"Produced by `{command}` ({platform_line(jobs=jobs)}). See the script's docstring for the "
        "protocol: 4,000 training and 1,000 test images, one K x K square missing per image.", "",
        "## Training", "",
        "| K | epochs | fit (s) | validation bits/dim, first epoch | best | last | counters on the "
        "training images (1 square each): strict, loose | loose counter on complete images (0) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for _, r in df[df.method == "Glow fit"].sort_values("size").iterrows():
        lines.append(f"| {r['size']} | {r['epochs']:.0f} | {r['seconds']:.0f} | {r['bpd_first']:.3f} | "
                     f"{r['bpd_last']:.3f} | {r['bpd_final']:.3f} | {r['counter_on_training']:.3f}, "
                     f"{r['loose_on_training']:.3f} | {r['loose_on_complete']:.3f} |")
    best = {k: glow.loc[glow[glow["size"] == k]["mae"].idxmin()] for k in sizes}
    lines += ["", "## The alpha sweep: missing-pixel MAE on the test squares", "",
              "| alpha | " + " | ".join(f"K={k}" for k in sizes) + " |", "|---|" + "---|" * len(sizes)]
    for a in ALPHAS:
        marks = ["**" if np.isclose(best[k]["alpha"], a) else "" for k in sizes]
        lines.append(f"| {a:g} | " + " | ".join(f"{m}{at(k, a).iloc[0]:.4f}{m}" if len(at(k, a)) else ""
                                                 for k, m in zip(sizes, marks)) + " |")
    fits = df[df.method == "Glow fit"].set_index("size")["seconds"]
    lines += ["", "Best alpha (bold): " + ", ".join(f"K={k}: {best[k]['alpha']:g}" for k in sizes)
              + "; the paper's good range is (0.5, 0.7).", "",
              "## GlowImputer at its best alpha against the baselines (missing-pixel MAE)", "",
              "| method | " + " | ".join(f"K={k}" for k in sizes) + f" | fit (s), K={sizes[-1]} |",
              "|---|" + "---|" * (len(sizes) + 1),
              "| Glow (best alpha) | " + " | ".join(f"{best[k]['mae']:.4f}" for k in sizes)
              + f" | {fits.get(sizes[-1], np.nan):.0f} |",
              "| Glow, alpha = 1 (the grey fill) | "
              + " | ".join(f"{at(k, 1.0).iloc[0]:.4f}" for k in sizes) + " | |"]
    for m in BASELINES:
        b = df[df.method == m].set_index("size")
        if len(b):
            lines.append(f"| {m} | " + " | ".join(f"{b.loc[k, 'mae']:.4f}" if k in b.index else ""
                                                  for k in sizes)
                         + f" | {b['seconds'].get(sizes[-1], np.nan):.0f} |")
    s = df[df.method == "Glow samples"]
    lines += ["", "## Squares in samples against the temperature", "",
              f"Mean number of grey K x K squares per sample ({n_samples} samples per "
              "temperature, counted automatically, strict / loose counter: 90% of the "
              "window within 0.1 of grey / 75% within 0.2); the paper's empirical means "
              "(CelebA, K = 20, 50 samples counted by eye) and its theory, t^2.", "",
              "| t | " + " | ".join(f"K={k}" for k in sizes) + " | paper | t^2 |",
              "|---|" + "---|" * (len(sizes) + 2)]
    for t in TEMPERATURES:
        v = [s[(s["size"] == k) & np.isclose(s["temperature"], t)] for k in sizes]
        lines.append(f"| {t:.1f} | " + " | ".join(
            f"{x['squares'].iloc[0]:.2f} / {x['squares_loose'].iloc[0]:.2f}" if len(x) else "" for x in v)
            + f" | {PAPER_T1[t]:.2f} | {t * t:.2f} |")
    lines += ["", "## Figures", ""] + [f"![{n}]({n})" for n in (
        "glow_missing_sweep.png", "glow_missing_alpha.png", "glow_missing_samples.png") if (out / n).exists()]
    (out / "glow_missing.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def write_figures(images, out):
    df = pd.read_csv(out / "glow_missing.csv")
    glow = df[df.method == "Glow"]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for k in sorted(glow["size"].unique()):
        g = glow[glow["size"] == k].sort_values("alpha")
        line, = ax.plot(g["alpha"], g["mae"], marker="o", label=f"Glow, K={k}")
        mean = df[(df.method == "Mean") & (df["size"] == k)]["mae"]
        if len(mean):
            ax.axhline(mean.iloc[0], ls=":", color=line.get_color(), label=f"mean, K={k}")
    ax.axvspan(0.5, 0.7, color="0.9", label="the paper's range")
    ax.set(xlabel="alpha", ylabel="missing-pixel MAE")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "glow_missing_sweep.png", dpi=120)
    plt.close(fig)
    if not images:
        return
    k = max(images)
    im, shown, temps = images[k], [0.3, 0.5, 0.6, 0.7, 0.9, 1.0], [0.3, 0.5, 0.7, 1.0, 1.2, 1.5]
    plot_imputation_grid(im["truth"], im["missing"], {f"alpha={a}": im["alphas"][a] for a in shown},
                         (28, 28), titles=["original", f"{k}x{k} missing", *[f"alpha={a}" for a in shown]],
                         path=out / "glow_missing_alpha.png")
    fig = plot_imputation_grid(im["samples"][temps[0]], im["samples"][temps[1]], {t: im["samples"][t] for t in
                               temps[2:]}, (28, 28), titles=[f"t={t}" for t in temps])
    fig.suptitle(f"Samples of the Glow trained with {k}x{k} grey squares", fontsize=9)
    fig.tight_layout()
    fig.savefig(out / "glow_missing_samples.png", dpi=120)
    plt.close(fig)


def main(argv=None):
    p = script_parser(__doc__, jobs=2, methods=["Glow", *BASELINES])
    p.add_argument("--sizes", default=",".join(map(str, SIZES)), help="square sizes K")
    p.add_argument("--epochs", type=int, default=60,
                   help="epochs of the Glow (default 60; 20 leave the flow's mode grey, see the docs)")
    p.add_argument("--patience", type=int, default=None,
                   help="early stopping of the Glow (default: none, a fixed number of epochs as the "
                        "paper's iterations; with 5 the alpha curve followed the validation noise)")
    p.add_argument("--vae-epochs", type=int, default=30, help="max epochs of VAE-WL (default 30)")
    p.add_argument("--n-samples", type=int, default=200, help="samples per temperature (default 200)")
    args = p.parse_args(argv)
    out, command = output_dir(args, "glow_missing"), command_line(__file__, argv)
    if not args.report_only:
        tasks = [(m, int(k), args) for m in args.methods for k in args.sizes.split(",")]
        # a Glow task also writes the "Glow samples" and "Glow fit" rows of its K
        results = run_tasks(run, tasks, jobs=args.jobs, timeout=args.timeout, on_result=lambda task, result:
                            merge_results(out / "glow_missing.csv", result[0], ["size", "method"]))
        write_figures({t[1]: r[1] for t, r in zip(tasks, results) if r and r[1]}, out)
    write_report(out, args.n_samples, command, args.jobs)


if __name__ == "__main__":
    main()
