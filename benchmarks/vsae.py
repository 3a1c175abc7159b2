"""Reproduce Table 1 and section 3.2 of the VSAE paper on the data we ship.

Gong et al., *Variational Selective Autoencoder*: imputation of numeric tables
(NRMSE), categorical tables (PFC) and the bimodal MNIST+MNIST set (MSE) at a
missing ratio of 0.5 (0.3 and 0.7 too for the pairs), masks fixed at training
and test, 3 runs; and the share of zeros in masks generated from the prior
(section 3.2). Ours (in detail: ``docs/methods/vsae.rst``, *Reproduction*):

* data: ``wine``, ``diabetes``, ``breast_cancer`` (min-max scaled), the UCI
  *Website Phishing* table of ``river`` (9 categorical features) and the
  paper's *Synthetic1* pairs (each MNIST digit ``a`` in 0..4 beside a random
  ``9 - a``, two 784-pixel modalities);
* a mask drawn once (per entry, per modality for the pairs), then a 4/1 split
  of the rows; the imputers fit the training rows with their holes (the
  neural ones keep 20% for early stopping) and fill the test rows' holes;
  errors on the test holes (MSE per pixel of the missing modalities);
* methods: ``VSAE`` (the paper's model and layer sizes) and our variants
  (``VSAE_VARIANTS``, settings explicit), ``VAE``, ``AE`` (the paper's
  autoencoder row: :class:`~sklimpute.VAEWLImputer`), ``Iterative``, ``KNN``,
  ``MatrixCompletion``, ``Mean`` (most frequent on categories); methods
  without categorical support are rounded to the nearest category;
* budgets: the paper trains 1,000 epochs at lr 1e-3 / 1e-2 / 1e-4 (numeric,
  categorical, pairs); we train at most ``--epochs`` on tables and
  ``--image-epochs`` on the pairs (lr 1e-3) with early stopping;
* the mask check: every fitted VSAE generates 1,000 rows; the share of zeros
  in their masks against the missing share of its training data; and the
  seconds per epoch of VSAE on 512 rows with 8 and 784 modalities.

One process and one thread per method and cell. Run from the repository root::

    python benchmarks/vsae.py                # the full run (3 seeds), about an hour on one thread
    python benchmarks/vsae.py --methods VSAE,VAE --no-timing      # rerun a part, keep the rest
    python benchmarks/vsae.py --first-seed 3 --name vsae_heldout  # other seeds, another report

Writes ``benchmarks/results/vsae.md``, ``vsae.csv``, ``vsae_masks.csv``,
``vsae_timing.csv`` and ``vsae_bimodal.png`` (``--name`` replaces ``vsae``).
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from river.datasets import Phishing

from sklimpute import VSAEImputer
from sklimpute.benchmark import (Method, command_line, fit_transform_timed, frame_markdown, mask_split,
                                 merge_results, output_dir, platform_line, pm, run_tasks, script_parser)
from sklimpute.datasets import load_mnist, load_tabular
from sklimpute.metrics import nrmse, pfc
from sklimpute.plotting import plot_imputation_grid

NUMERIC = ("wine", "diabetes", "breast_cancer")
CATEGORICAL = ("phishing",)
BIMODAL = "mnist_pairs"
NEURAL = ("VSAE", "VSAE b=0.1", "VSAE+hide", "VSAE b=0.1+hide", "VSAE tab", "VAE", "AE")
ALL_METHODS = NEURAL + ("Iterative", "KNN", "MatrixCompletion", "Mean")
#: the settings of each VSAE variant, set explicitly (not left to the defaults)
VSAE_VARIANTS = {
    "VSAE": dict(beta=1.0, hide_rate=0.0),
    "VSAE b=0.1": dict(beta=0.1, hide_rate=0.0),
    "VSAE+hide": dict(beta=1.0, hide_rate=0.3),
    "VSAE b=0.1+hide": dict(beta=0.1, hide_rate=0.3),
    # small tables: real targets only, no batch norm, a fixed budget on every training row
    "VSAE tab": dict(beta=0.01, hide_rate=0.3, unobserved_weight=0.0, batchnorm=False, fill="zeros",
                     batch_size=32, patience=None, validation_fraction=0.0),
}
#: the variants that run on tables only (on the pairs a one-seed pilot trailed the paper's VSAE)
TABLE_ONLY = ("VSAE b=0.1",)
#: fixed epochs of "VSAE tab" on tables (it has no validation split to stop on; --image-epochs on the pairs)
TAB_EPOCHS = 300
#: the imputations drawn in the bimodal figure
FIGURE_METHODS = ("VSAE", "VSAE b=0.1+hide", "VAE", "Iterative")

#: The paper's Table 1 / Tables 2-4 (missing ratio 0.5 unless stated).
PAPER = {row: dict(zip(("AE", "VAE", "CVAE w/ mask", "MVAE", "VSAE"), values)) for row, values in {
    "Phishing (PFC)": (0.348, 0.293, 0.241, 0.308, 0.237),
    "Mushroom (PFC)": (0.556, 0.470, 0.445, 0.586, 0.396),
    "Yeast (NRMSE)": (0.737, 0.461, 0.449, 0.442, 0.409),
    "Glass (NRMSE)": (1.651, 1.409, 1.498, 1.572, 1.312),
    "MNIST+MNIST 0.3 (MSE)": (0.2124, 0.1396, 0.1393, 0.1547, 0.1371),
    "MNIST+MNIST 0.5 (MSE)": (0.2147, 0.1416, 0.1412, 0.1562, 0.1376),
    "MNIST+MNIST 0.7 (MSE)": (0.2180, 0.1435, 0.1425, 0.1579, 0.1379)}.items()}
#: Section 3.2: share of zeros in generated masks (UCI, averaged).
PAPER_MASKS = {0.3: "0.3123 ± 0.026", 0.5: "0.4964 ± 0.005", 0.7: "0.6927 ± 0.013"}


def load(name, seed):
    """``(X, modalities, categorical)`` of one data set (pairs drawn with ``seed``)."""
    if name in NUMERIC:
        return load_tabular(name)[0], None, False
    if name == "phishing":
        return pd.DataFrame([x for x, _ in Phishing()]).to_numpy(dtype=float), None, True
    images, y = load_mnist()  # each image of a digit a in 0..4 beside a random image of 9 - a
    rng = np.random.RandomState(seed)
    return np.vstack([np.hstack([images[y == a], images[rng.choice(np.flatnonzero(y == 9 - a),
                                                                   size=(y == a).sum())]])
                      for a in range(5)]), [784, 784], False


def imputer(name, dataset, seed, args):
    bimodal = dataset == BIMODAL
    deep = dict(n_threads=1, validation_fraction=0.2, patience=20)
    epochs = args.image_epochs if bimodal else args.epochs
    if name.startswith("VSAE"):
        extra = dict(modalities=[784, 784], shape=(2, 28, 28), lr=1e-3) if bimodal else {}
        if name == "VSAE tab" and not bimodal and not args.quick:
            epochs = TAB_EPOCHS
        method = Method("vsae", dict(epochs=epochs, **extra, **{**deep, **VSAE_VARIANTS[name]}))
    elif name in ("VAE", "AE"):
        extra = dict(reconstruction="bce") if bimodal else {}
        method = Method("vae" if name == "VAE" else "vaewl", dict(epochs=epochs, **extra, **deep))
    elif name == "Iterative":
        method = Method("iterative", dict(max_iter=2, n_nearest_features=10) if bimodal
                        else dict(max_iter=10, n_nearest_features=None))
    else:
        method = Method({"KNN": "knn", "MatrixCompletion": "matrix_completion", "Mean": "mean"}[name],
                        {"strategy": "most_frequent"} if dataset in CATEGORICAL else {})
    return method(None, seed)


def round_to_categories(X_imp, X_train):
    """Each column's value replaced by the nearest category seen in training."""
    cats = [np.unique(column[~np.isnan(column)]) for column in X_train.T]
    return np.column_stack([c[np.abs(x[:, None] - c[None]).argmin(axis=1)] for x, c in zip(X_imp.T, cats)])


def run_cell(dataset, rate, seed, name, args, keep_images):
    """One method on one (data set, missing ratio, seed): its row, mask shares and images.

    The mask is drawn once, then the rows are split 4/1 (the seed fixes both).
    """
    X, modalities, categorical = load(dataset, seed)
    if args.quick:
        X = X[np.random.RandomState(seed).permutation(len(X))[:300]]
    missing, tr, te = mask_split(X, rate, 1000 + seed, groups=modalities)
    X_miss = np.where(missing, np.nan, X)
    X_train, X_test, hid = X_miss[tr], X_miss[te], missing[te]
    imp = imputer(name, dataset, seed, args)
    if categorical and name.startswith("VSAE"):
        imp.set_params(categorical_features=np.ones(X.shape[1], dtype=bool))
    X_imp, fit_s, transform_s = fit_transform_timed(imp, X_train, X_test)
    if categorical:
        err, metric = pfc(X[te], round_to_categories(X_imp, X_train), hid), "PFC"
    elif modalities is not None:
        err, metric = float(((X_imp - X[te])[hid] ** 2).mean()), "MSE"
    else:
        err, metric = nrmse(X[te], X_imp, hid), "NRMSE"
    row = dict(dataset=dataset, rate=rate, seed=seed, method=name, metric=metric, error=float(err),
               fit_s=fit_s, transform_s=transform_s, epochs=getattr(imp, "n_epochs_", np.nan))
    mask = images = None
    if name.startswith("VSAE"):
        _, observed = imp.sample(1000, random_state=seed)
        first = np.cumsum([0] + list(modalities))[:-1] if modalities is not None else np.arange(X.shape[1])
        mask = dict(dataset=dataset, rate=rate, seed=seed, method=name,
                    train_missing=float(1 - (~np.isnan(X_train)[:, first]).mean()),
                    generated_missing=float(1 - observed[:, first].mean()))
    if keep_images and name in FIGURE_METHODS:
        one = np.flatnonzero(hid.any(axis=1) & ~hid.all(axis=1))[:keep_images]
        images = dict(imputed=X_imp[one], truth=X[te][one], mask=hid[one])
    return row, mask, images


def vectorisation_timing():
    """Seconds per epoch of VSAE with 8 and with 784 modalities (one per feature), 512 rows."""
    out = []
    rng = np.random.RandomState(0)
    tables = {8: load_tabular("breast_cancer")[0][:512, :8], 784: load_mnist()[0][:512]}
    for m, X in tables.items():
        X = np.where(rng.rand(*X.shape) < 0.5, np.nan, X)
        for warm in (True, False):  # warm-up epochs (one pass) and later ones (two passes)
            imp = VSAEImputer(epochs=3, warmup_epochs=3 if warm else 0, patience=None,
                              validation_fraction=0.0, random_state=0, n_threads=1)
            t0 = time.perf_counter()
            imp.fit(X)
            params = list(imp.net_.module_.parameters())
            out.append(dict(modalities=m, phase="warm-up" if warm else "after warm-up",
                            seconds_per_epoch=(time.perf_counter() - t0) / 3,
                            parameters=sum(p.numel() for p in params), parameter_tensors=len(params)))
            print(out[-1], flush=True)
    return pd.DataFrame(out)


def run(task):
    return vectorisation_timing() if task == "timing" else run_cell(*task)


def results_table(df, methods):
    cells = []
    for (dataset, rate), g in df.groupby(["dataset", "rate"], sort=False):
        metric = g["metric"].iloc[0]
        means = g.groupby("method")["error"].mean()
        row = {"data set": dataset, "ratio": rate, "metric": metric}
        for m in methods:
            text = pm(g[g.method == m]["error"], 4 if metric == "MSE" else 3, ddof=0) if m in means else "–"
            row[m] = f"**{text}**" if m in means and means[m] == means.min() else text
        cells.append(row)
    return pd.DataFrame(cells)


def targets_table(df):
    rows = []
    for (dataset, rate), g in df.groupby(["dataset", "rate"], sort=False):
        means = g.groupby("method")["error"].mean()
        vsae = [m for m in means.index if m.startswith("VSAE")]
        others = means.drop(vsae)
        rows += [{"data set": dataset, "ratio": rate, "VSAE variant": v,
                  "vs VAE": f"{means[v] / means['VAE'] - 1:+.1%}" if "VAE" in means else "–",
                  "vs best": f"{means[v] / means.min() - 1:+.1%}",
                  "vs best non-VSAE": f"{means[v] / others.min() - 1:+.1%} ({others.idxmin()})"}
                 for v in vsae]
    return pd.DataFrame(rows)


def write_figure(images, path):
    """The paper's Figure 4: each row's observed image, the truth of its missing one, the imputations."""
    names = [n for n in FIGURE_METHODS if n in images]
    truth, mask = images[names[0]]["truth"], images[names[0]]["mask"]
    halves = [(slice(784, None), slice(0, 784)) if m else (slice(0, 784), slice(784, None))
              for m in mask[:, 0]]  # (observed, missing) image of each row
    pick = lambda X, j: np.stack([x[h[j]] for x, h in zip(X, halves)])  # noqa: E731
    fig = plot_imputation_grid(pick(truth, 0), pick(truth, 1), {n: pick(images[n]["imputed"], 1)
                                                                for n in names},
                               (28, 28), titles=["observed", "unobserved (truth)", *names])
    fig.suptitle("MNIST+MNIST, missing ratio 0.5: observed modality, the unobserved one, its imputations",
                 fontsize=8)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def write_report(df, masks, timing, args, elapsed, out, command):
    methods = [m for m in ALL_METHODS if m in set(df.method)]
    if args.report_only:
        origin = f"Rewritten from its CSVs by `{command}` (the rows come from earlier runs). "
    else:
        origin = f"Written by `{command}` ({elapsed / 60:.1f} min; {platform_line(jobs=args.jobs)}). "
    lines = [
        "# VSAE: Table 1 and the mask generation of section 3.2, reproduced", "",
        origin + f"Seeds: {sorted(set(df.seed))}; tables at most {args.epochs} epochs, the bimodal set at "
        f"most {args.image_epochs} (early stopping, patience 20 after the warm-up; `VSAE tab`: "
        f"{TAB_EPOCHS} epochs on tables, no validation split).", "",
        "## Imputation error on the test rows' holes (lower is better; bold: best mean)", "",
        "NRMSE for wine, diabetes, breast_cancer (min-max scaled); PFC for phishing; MSE per pixel of "
        "the missing modalities for MNIST+MNIST. Mean ± std over the seeds.", "",
        frame_markdown(results_table(df, methods)),
        "## VSAE against the others (relative difference of the mean error; negative: VSAE better)", "",
        frame_markdown(targets_table(df)),
        "## The paper's numbers (Table 1, Tables 2-4)", "",
        frame_markdown(pd.DataFrame([{"data set": k, **d} for k, d in PAPER.items()])),
        "The paper's MNIST+MNIST error adds the two modalities' errors; ours is the MSE per pixel of "
        "the missing modalities.", "",
    ]
    if len(masks):
        g = masks.groupby(["dataset", "rate", "method"], sort=False)
        mt = g.agg(train=("train_missing", "mean"), generated=("generated_missing", list)).reset_index()
        mt["|gen - train|"] = [round(abs(np.mean(v) - t), 3) for v, t in zip(mt["generated"], mt["train"])]
        mt["generated"] = [pm(v, 3, ddof=0) for v in mt["generated"]]
        mt["train"] = mt["train"].round(3)
        lines += ["## Mask generation (section 3.2)", "",
                  "Share of zeros in the masks of 1,000 rows generated from the prior, against the share of "
                  "missing modalities in the training data. The paper (UCI, averaged): "
                  + ", ".join(f"{v} at {k}" for k, v in PAPER_MASKS.items()) + ".", "",
                  frame_markdown(mt.rename(columns={"train": "missing share (train)",
                                                    "generated": "generated share"}))]
    if timing is not None and len(timing):
        lines += ["## Vectorisation: 8 against 784 modalities", "",
                  "VSAE on 512 rows (half of the entries missing), one modality per feature, 3 epochs, no "
                  "validation split. The per-modality encoders are grouped layers: the number of parameter "
                  "tensors does not grow with the number of modalities; the work does (784 x 20 latent "
                  "dimensions feed the decoders).", "",
                  frame_markdown(timing.assign(seconds_per_epoch=timing.seconds_per_epoch.round(3)))]
    fit = df[df.method.isin(NEURAL)].groupby(["dataset", "method"], sort=False).agg(
        fit_s=("fit_s", "mean"), epochs=("epochs", "mean")).reset_index().round({"fit_s": 1, "epochs": 0})
    fit["epochs"] = fit["epochs"].astype(int)
    lines += ["## Fit times of the neural models (mean over ratios and seeds)", "", frame_markdown(fit)]
    if (out / f"{args.name}_bimodal.png").exists():
        lines += ["## Imputations on MNIST+MNIST (Figure 4)", "", f"![bimodal]({args.name}_bimodal.png)", ""]
    (out / f"{args.name}.md").write_text("\n".join(lines))


def main(argv=None):
    p = script_parser(__doc__, seeds=3, methods=ALL_METHODS)
    p.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    p.add_argument("--datasets", default=",".join(NUMERIC + CATEGORICAL + (BIMODAL,)))
    p.add_argument("--epochs", type=int, default=200, help="max epochs on tables")
    p.add_argument("--image-epochs", type=int, default=30, help="max epochs on the bimodal set")
    p.add_argument("--no-timing", action="store_true")
    p.add_argument("--name", default="vsae", help="file names of the results (default vsae)")
    args = p.parse_args(argv)
    if args.quick:  # 1 seed, 300 rows, 3 epochs
        args.seeds, args.epochs, args.image_epochs = 1, 3, 3
    out, name = output_dir(args, "vsae"), args.name
    tasks = [(d, rate, seed, m, args, 8 if (d == BIMODAL and rate == 0.5 and seed == 0) else 0)
             for seed in ([] if args.report_only else range(args.first_seed, args.first_seed + args.seeds))
             for d in args.datasets.split(",") for rate in ((0.3, 0.5, 0.7) if d == BIMODAL else (0.5,))
             for m in args.methods
             if not (d in CATEGORICAL and m == "MatrixCompletion") and not (d == BIMODAL and m in TABLE_ONLY)]
    timing = not (args.no_timing or args.report_only)
    t0 = time.perf_counter()
    results = run_tasks(run, tasks + ["timing"] * timing, jobs=args.jobs, timeout=args.timeout)
    elapsed = time.perf_counter() - t0
    ran = {t[:4] for t in tasks}  # a partial rerun replaces its own rows and keeps the others
    done = [r for r in results[:len(tasks)] if r]
    keys = ["dataset", "rate", "seed", "method"]
    df = merge_results(out / f"{name}.csv", [r[0] for r in done], keys, ran)
    masks = merge_results(out / f"{name}_masks.csv", [r[1] for r in done if r[1]], keys, ran)
    if timing and results[-1] is not None:
        results[-1].to_csv(out / f"{name}_timing.csv", index=False)
    timing = pd.read_csv(out / f"{name}_timing.csv") if (out / f"{name}_timing.csv").exists() else None
    images = {t[3]: r[2] for t, r in zip(tasks, results) if r and r[2] is not None}
    if set(FIGURE_METHODS) <= set(images):  # a partial rerun keeps the last figure that has them all
        write_figure(images, out / f"{name}_bimodal.png")
    write_report(df, masks, timing, args, elapsed, out, command_line(__file__, argv))
    print(f"done in {elapsed / 60:.1f} min")


if __name__ == "__main__":
    main()
