"""Reproduce Table 1 and section 3.2 of the VSAE paper on the data we ship.

Gong et al., *Variational Selective Autoencoder*: imputation of numeric tables
(NRMSE), categorical tables (PFC) and the bimodal MNIST+MNIST set (MSE), all
with a missing ratio of 0.5 and masks fixed at training and test (0.3 and 0.7
too for the bimodal set), mean and standard deviation over 3 runs; and the
share of zeros in masks generated from the prior (section 3.2).

Our protocol, per seed and data set:

* data: scikit-learn's ``wine``, ``diabetes`` and ``breast_cancer`` (min-max
  scaled into [0, 1], so that the pooled NRMSE is not dominated by the
  columns with large units); ``phishing``, the UCI *Website Phishing* table
  shipped with ``river`` (1,250 rows, 9 categorical features with 2 or 3
  levels; the paper's Phishing is the same UCI source); and the paper's
  bimodal *Synthetic1*: every MNIST image of a digit ``a`` in 0..4 of
  :func:`sklimpute.datasets.load_mnist` paired with a random image of digit
  ``9 - a`` (about 2,500 pairs of 2 x 784 pixels, two modalities);
* a mask drawn once (independent Bernoulli per entry for tables, per
  modality for the bimodal set), then a random 4/1 split into training and
  test rows: the imputers are fitted on the training rows with their holes
  (the neural ones keep 20% of them for early stopping, as the paper does)
  and fill the holes of the test rows; the error is measured on the test
  holes: NRMSE (RMSE over the pooled standard deviation of the true values),
  PFC (share of wrong categories), and for the bimodal set the MSE per pixel
  of the missing modalities (the paper sums its two modalities' errors);
* methods: ``VSAE`` (the paper's model and objective, its layer sizes; see
  the epochs below), ``VSAE b=0.1`` (ours: the KL term weighed by 0.1;
  tables only: on the bimodal set a one-seed pilot at 60 epochs gave MSE
  0.079 / 0.105 / 0.144 at 0.3 / 0.5 / 0.7 against the paper's VSAE's
  0.068 / 0.070 / 0.072), ``VSAE+hide`` (ours: ``hide_rate=0.3``, a share
  of the observed modalities hidden from the encoders and scored),
  ``VSAE b=0.1+hide`` (ours: both), ``VSAE tab`` (ours, the settings we
  recommend for small tables: ``beta=0.01, hide_rate=0.3``, no generated
  targets' term ``unobserved_weight=0``, no batch norm, zeros in the
  encoders' holes, batches of 32, a fixed 300 epochs on every training row,
  no validation split; on the pairs ``--image-epochs``); every variant sets
  its settings explicitly; every VSAE imputes with the mean of 20 decoded
  draws, ``imputation_draws``' default),
  ``VAE`` (:class:`~sklimpute.VAEImputer`, the plain VAE baseline),
  ``AE`` (the autoencoder row of the paper: we use
  :class:`~sklimpute.VAEWLImputer`, a VAE trained to fill entries hidden
  from it, with a small KL weight), ``Iterative``, ``KNN``,
  ``MatrixCompletion`` and ``Mean`` (the most frequent value on categorical
  data). Methods without categorical support impute the categories' numbers
  and are rounded to the nearest category seen in training;
* budgets (CPU, one thread): the paper trains 1,000 epochs at lr 1e-3
  (numeric), 1e-2 (categorical), 1e-4 (bimodal). We train at most
  ``--epochs`` epochs on tables and ``--image-epochs`` on the bimodal set
  with early stopping (patience 20 after the 20-epoch warm-up; ``VSAE tab``
  as above), and use lr 1e-3 on the bimodal set (1e-4 does not converge in
  our budget);
* the mask-generation check: every fitted VSAE generates 1,000 rows from the
  prior; the share of zeros in their masks is compared with the share of
  missing modalities in its training data;
* the vectorisation check: seconds per epoch of VSAE on 512 rows with 8 and
  with 784 modalities (one per feature).

Run from the repository root::

    python benchmarks/vsae.py                # the full run (3 seeds), about an hour on one thread
    python benchmarks/vsae.py --quick        # smoke test, to a temporary folder
    python benchmarks/vsae.py --jobs 2       # two cells at a time
    python benchmarks/vsae.py --methods VSAE,VAE --no-timing   # rerun a part, keep the rest
    python benchmarks/vsae.py --first-seed 3 --out vsae_heldout   # other seeds, another report

Writes ``benchmarks/results/vsae.md``, ``vsae.csv``, ``vsae_masks.csv`` and
``vsae_bimodal.png``.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import kept_rows  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
NUMERIC = ("wine", "diabetes", "breast_cancer")
CATEGORICAL = ("phishing",)
BIMODAL = "mnist_pairs"
ALL_METHODS = ("VSAE", "VSAE b=0.1", "VSAE+hide", "VSAE b=0.1+hide", "VSAE tab", "VAE", "AE", "Iterative",
               "KNN", "MatrixCompletion", "Mean")
NEURAL = ("VSAE", "VSAE b=0.1", "VSAE+hide", "VSAE b=0.1+hide", "VSAE tab", "VAE", "AE")
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
#: the variants that run on tables only
TABLE_ONLY = ("VSAE b=0.1",)
#: fixed epochs of "VSAE tab" on tables (it has no validation split to stop on; --image-epochs on the pairs)
TAB_EPOCHS = 300
#: the imputations drawn in the bimodal figure
FIGURE_METHODS = ("VSAE", "VSAE b=0.1+hide", "VAE", "Iterative")

#: The paper's Table 1 / Tables 2-4 (missing ratio 0.5 unless stated).
PAPER = {
    "Phishing (PFC)": {"AE": 0.348, "VAE": 0.293, "CVAE w/ mask": 0.241, "MVAE": 0.308, "VSAE": 0.237},
    "Mushroom (PFC)": {"AE": 0.556, "VAE": 0.470, "CVAE w/ mask": 0.445, "MVAE": 0.586, "VSAE": 0.396},
    "Yeast (NRMSE)": {"AE": 0.737, "VAE": 0.461, "CVAE w/ mask": 0.449, "MVAE": 0.442, "VSAE": 0.409},
    "Glass (NRMSE)": {"AE": 1.651, "VAE": 1.409, "CVAE w/ mask": 1.498, "MVAE": 1.572, "VSAE": 1.312},
    "MNIST+MNIST 0.3 (MSE)": {"AE": 0.2124, "VAE": 0.1396, "CVAE w/ mask": 0.1393, "MVAE": 0.1547,
                              "VSAE": 0.1371},
    "MNIST+MNIST 0.5 (MSE)": {"AE": 0.2147, "VAE": 0.1416, "CVAE w/ mask": 0.1412, "MVAE": 0.1562,
                              "VSAE": 0.1376},
    "MNIST+MNIST 0.7 (MSE)": {"AE": 0.2180, "VAE": 0.1435, "CVAE w/ mask": 0.1425, "MVAE": 0.1579,
                              "VSAE": 0.1379},
}
#: Section 3.2: share of zeros in generated masks (UCI, averaged).
PAPER_MASKS = {0.3: "0.3123 ± 0.026", 0.5: "0.4964 ± 0.005", 0.7: "0.6927 ± 0.013"}


# --------------------------------------------------------------------------- data
def load(name, seed):
    """``(X, modalities, categorical, shape)`` of one data set (pairs drawn with ``seed``)."""
    if name in NUMERIC:
        from sklimpute.datasets import load_tabular

        return load_tabular(name)[0], None, False
    if name == "phishing":
        from river.datasets import Phishing

        X = pd.DataFrame([x for x, _ in Phishing()]).to_numpy(dtype=float)
        return X, None, True
    from sklimpute.datasets import load_mnist

    images, y = load_mnist()
    rng = np.random.RandomState(seed)
    rows = []
    for a in range(5):
        left = np.flatnonzero(y == a)
        right = rng.choice(np.flatnonzero(y == 9 - a), size=len(left), replace=True)
        rows.append(np.hstack([images[left], images[right]]))
    return np.vstack(rows), [784, 784], False


def make_mask(X, modalities, rate, rng):
    """Missing entries: Bernoulli(rate) per entry, or per modality."""
    if modalities is None:
        return rng.rand(*X.shape) < rate
    per_modality = rng.rand(X.shape[0], len(modalities)) < rate
    return np.repeat(per_modality, modalities, axis=1)


# ----------------------------------------------------------------------- methods
def make_imputer(name, dataset, seed, args):
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer

    from sklimpute import MatrixCompletionImputer, VAEImputer, VAEWLImputer, VSAEImputer

    bimodal = dataset == BIMODAL
    categorical = dataset in CATEGORICAL
    deep = dict(random_state=seed, n_threads=1, validation_fraction=0.2, patience=20)
    epochs = args.image_epochs if bimodal else args.epochs
    if name.startswith("VSAE"):
        extra = dict(modalities=[784, 784], shape=(2, 28, 28), lr=1e-3) if bimodal else {}
        settings = {**deep, **VSAE_VARIANTS[name]}
        if name == "VSAE tab" and not bimodal and not args.quick:
            epochs = TAB_EPOCHS
        return VSAEImputer(epochs=epochs, **extra, **settings)
    if name in ("VAE", "AE"):
        extra = dict(reconstruction="bce") if bimodal else {}
        cls = VAEImputer if name == "VAE" else VAEWLImputer
        return cls(epochs=epochs, **extra, **deep)
    if name == "Iterative":
        if bimodal:
            return IterativeImputer(max_iter=2, n_nearest_features=10, random_state=seed)
        return IterativeImputer(max_iter=10, random_state=seed)
    if name == "KNN":
        return KNNImputer()
    if name == "MatrixCompletion":
        return MatrixCompletionImputer(random_state=seed)
    if name == "Mean":
        return SimpleImputer(strategy="most_frequent" if categorical else "mean")
    raise ValueError(name)


def _round_to_categories(X_imp, X_train):
    """Each column's value replaced by the nearest category seen in training."""
    out = X_imp.copy()
    for j in range(X_imp.shape[1]):
        cats = np.unique(X_train[~np.isnan(X_train[:, j]), j])
        out[:, j] = cats[np.abs(X_imp[:, j, None] - cats[None]).argmin(axis=1)]
    return out


def split(dataset, rate, seed, quick=False):
    """One cell's data: ``(X, modalities, categorical, train rows, test rows, missing mask)``.

    The mask is drawn once, then the rows are split 4/1 (the seed fixes both).
    """
    X, modalities, categorical = load(dataset, seed)
    if quick:
        X = X[np.random.RandomState(seed).permutation(len(X))[:300]]
    rng = np.random.RandomState(1000 + seed)
    missing = make_mask(X, modalities, rate, rng)
    order = rng.permutation(len(X))
    n_train = int(round(0.8 * len(X)))
    return X, modalities, categorical, order[:n_train], order[n_train:], missing


def run_cell(dataset, rate, seed, methods, args, keep_images=0):
    """Every method on one (data set, missing ratio, seed): rows, mask shares, images."""
    import torch

    from sklimpute.metrics import nrmse, pfc

    torch.set_num_threads(1)
    X, modalities, categorical, tr, te, missing = split(dataset, rate, seed, args.quick)
    X_miss = np.where(missing, np.nan, X)
    X_train, X_test, hid = X_miss[tr], X_miss[te], missing[te]
    rows, masks, images = [], [], {}
    for name in methods:
        if (categorical and name == "MatrixCompletion") or (modalities is not None and name in TABLE_ONLY):
            continue
        imp = make_imputer(name, dataset, seed, args)
        if categorical and name.startswith("VSAE"):
            imp.set_params(categorical_features=np.ones(X.shape[1], dtype=bool))
        t0 = time.perf_counter()
        imp.fit(X_train)
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        X_imp = np.asarray(imp.transform(X_test), dtype=float)
        transform_s = time.perf_counter() - t0
        if categorical:
            X_imp = _round_to_categories(X_imp, X_train)
            err, metric = pfc(X[te], X_imp, hid), "PFC"
        elif modalities is not None:
            err, metric = float(((X_imp - X[te])[hid] ** 2).mean()), "MSE"
        else:
            err, metric = nrmse(X[te], X_imp, hid), "NRMSE"
        row = dict(dataset=dataset, rate=rate, seed=seed, method=name, metric=metric, error=float(err),
                   fit_s=fit_s, transform_s=transform_s, epochs=getattr(imp, "n_epochs_", np.nan))
        rows.append(row)
        print(f"{dataset:14s} r={rate} seed={seed} {name:17s} {metric}={err:.4f} fit={fit_s:.1f}s "
              f"epochs={row['epochs']}", flush=True)
        if name.startswith("VSAE"):
            X_gen, observed = imp.generate(1000, random_state=seed)
            first = np.cumsum([0] + list(modalities))[:-1] if modalities is not None else np.arange(X.shape[1])
            m_train = ~np.isnan(X_train)[:, first]
            masks.append(dict(dataset=dataset, rate=rate, seed=seed, method=name,
                              train_missing=float(1 - m_train.mean()),
                              generated_missing=float(1 - observed[:, first].mean())))
        if keep_images and modalities is not None and name in FIGURE_METHODS:
            one = np.flatnonzero(hid.any(axis=1) & ~hid.all(axis=1))[:keep_images]
            images[name] = X_imp[one]
            images["truth"], images["mask"] = X[te][one], hid[one]
    return rows, masks, images


def vectorisation_timing(args):
    """Seconds per epoch of VSAE with 8 and with 784 modalities (one per feature), 512 rows."""
    import torch

    from sklimpute import VSAEImputer
    from sklimpute.datasets import load_mnist, load_tabular

    torch.set_num_threads(1)
    out = []
    rng = np.random.RandomState(0)
    tables = {8: load_tabular("breast_cancer")[0][:512, :8], 784: load_mnist()[0][:512]}
    for m, X in tables.items():
        X = np.where(rng.rand(*X.shape) < 0.5, np.nan, X)
        for warm in (True, False):  # warm-up epochs (one pass) and later ones (two passes)
            imp = VSAEImputer(epochs=3, warmup_epochs=3 if warm else 0, patience=None, validation_fraction=0.0,
                              random_state=0, n_threads=1)
            t0 = time.perf_counter()
            imp.fit(X)
            per_epoch = (time.perf_counter() - t0) / 3
            n_params = sum(p.numel() for p in imp.net_.module_.parameters())
            out.append(dict(modalities=m, phase="warm-up" if warm else "after warm-up",
                            seconds_per_epoch=per_epoch, parameters=n_params,
                            parameter_tensors=len(list(imp.net_.module_.parameters()))))
            print(out[-1], flush=True)
    return pd.DataFrame(out)


# ------------------------------------------------------------------------ report
def _pm(values, digits=3):
    values = np.asarray(values, dtype=float)
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=0):.{digits}f}"


def _md(frame):
    cols = list(frame.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "---|" * len(cols)]
    for _, r in frame.iterrows():
        lines.append("| " + " | ".join(str(r[c]) for c in cols) + " |")
    return "\n".join(lines)


def results_table(df, methods):
    cells = []
    for (dataset, rate), g in df.groupby(["dataset", "rate"], sort=False):
        metric = g["metric"].iloc[0]
        means = g.groupby("method")["error"].mean()
        best = means.min()
        row = {"data set": dataset, "ratio": rate, "metric": metric}
        for m in methods:
            if m in means:
                s = _pm(g[g.method == m]["error"], 4 if metric == "MSE" else 3)
                row[m] = f"**{s}**" if means[m] == best else s
            else:
                row[m] = "–"
        cells.append(row)
    return pd.DataFrame(cells)


def targets_table(df):
    rows = []
    for (dataset, rate), g in df.groupby(["dataset", "rate"], sort=False):
        means = g.groupby("method")["error"].mean()
        best = means.min()
        others = means.drop([m for m in means.index if m.startswith("VSAE")])
        for v in [m for m in means.index if m.startswith("VSAE")]:
            rows.append({
                "data set": dataset, "ratio": rate, "VSAE variant": v,
                "vs VAE": f"{means[v] / means['VAE'] - 1:+.1%}" if "VAE" in means else "–",
                "vs best": f"{means[v] / best - 1:+.1%}",
                "vs best non-VSAE": f"{means[v] / others.min() - 1:+.1%} ({others.idxmin()})",
            })
    return pd.DataFrame(rows)


def write_figure(images, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in FIGURE_METHODS if n in images]
    truth, mask = images["truth"], images["mask"]
    k = len(truth)
    rows = ["observed", "unobserved (truth)"] + names
    fig, axes = plt.subplots(len(rows), k, figsize=(1.1 * k, 1.2 * len(rows)))
    for i in range(k):
        miss_left = mask[i, 0]
        obs_half, mis_half = (slice(784, None), slice(0, 784)) if miss_left else (slice(0, 784), slice(784, None))
        panels = [truth[i, obs_half], truth[i, mis_half]] + [images[n][i, mis_half] for n in names]
        for r, p in enumerate(panels):
            ax = axes[r, i]
            ax.imshow(p.reshape(28, 28), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_ylabel(rows[r], fontsize=7, rotation=0, ha="right", va="center")
    fig.suptitle("MNIST+MNIST, missing ratio 0.5: observed modality, the unobserved one, its imputations",
                 fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(df, masks, timing, args, elapsed, path):
    methods = [m for m in ALL_METHODS if m in set(df.method)]
    if args.report_only:
        origin = "Rewritten from its CSVs by `benchmarks/vsae.py --report-only` (the rows come from earlier runs). "
    else:
        origin = (f"Written by `benchmarks/vsae.py` (`{' '.join(sys.argv[1:]) or '(defaults)'}`; "
                  f"{elapsed / 60:.1f} min on {platform.processor() or platform.machine()}, one torch thread "
                  f"per job, {args.jobs} job(s)). ")
    lines = [
        "# VSAE: Table 1 and the mask generation of section 3.2, reproduced",
        "",
        origin +
        f"Seeds: {sorted(set(df.seed))}; tables at most {args.epochs} epochs, the bimodal set at most "
        f"{args.image_epochs} (early stopping, patience 20 after the warm-up; `VSAE tab`: "
        f"{TAB_EPOCHS} epochs on tables, no validation split).",
        "",
        "## Imputation error on the test rows' holes (lower is better; bold: best mean)",
        "",
        "NRMSE for wine, diabetes, breast_cancer (min-max scaled); PFC for phishing; MSE per pixel of "
        "the missing modalities for MNIST+MNIST. Mean ± std over the seeds.",
        "",
        _md(results_table(df, methods)),
        "",
        "## VSAE against the others (relative difference of the mean error; negative: VSAE better)",
        "",
        _md(targets_table(df)),
        "",
        "## The paper's numbers (Table 1, Tables 2-4)",
        "",
        _md(pd.DataFrame([{"data set": k, **{m: v for m, v in d.items()}} for k, d in PAPER.items()])),
        "",
        "The paper's MNIST+MNIST error adds the two modalities' errors; ours is the MSE per pixel of "
        "the missing modalities.",
        "",
    ]
    if len(masks):
        g = masks.groupby(["dataset", "rate", "method"], sort=False)
        mt = g.agg(train=("train_missing", "mean"), generated=("generated_missing", list)).reset_index()
        mt["generated"] = [_pm(v) for v in mt["generated"]]
        mt["train"] = mt["train"].round(3)
        mt["|gen - train|"] = [round(abs(np.mean(v) - t), 3) for v, t in
                               zip(g["generated_missing"].apply(list), g["train_missing"].mean())]
        lines += [
            "## Mask generation (section 3.2)",
            "",
            "Share of zeros in the masks of 1,000 rows generated from the prior, against the share of "
            "missing modalities in the training data. The paper (UCI, averaged): "
            + ", ".join(f"{v} at {k}" for k, v in PAPER_MASKS.items()) + ".",
            "",
            _md(mt.rename(columns={"train": "missing share (train)", "generated": "generated share"})),
            "",
        ]
    if timing is not None and len(timing):
        lines += [
            "## Vectorisation: 8 against 784 modalities",
            "",
            "VSAE on 512 rows (half of the entries missing), one modality per feature, 3 epochs, no "
            "validation split. The per-modality encoders are grouped layers: the number of parameter "
            "tensors does not grow with the number of modalities; the work does (784 x 20 latent "
            "dimensions feed the decoders).",
            "",
            _md(timing.assign(seconds_per_epoch=timing.seconds_per_epoch.round(3))),
            "",
        ]
    fit = df[df.method.isin(NEURAL)].groupby(["dataset", "method"], sort=False).agg(
        fit_s=("fit_s", "mean"), epochs=("epochs", "mean")).reset_index()
    fit["fit_s"] = fit["fit_s"].round(1)
    fit["epochs"] = fit["epochs"].round(0).astype(int)
    lines += ["## Fit times of the neural models (mean over ratios and seeds)", "", _md(fit), ""]
    figure = path.with_name(f"{args.out}_bimodal.png")
    if figure.exists():
        lines += ["## Imputations on MNIST+MNIST (Figure 4)", "", f"![bimodal]({figure.name})", ""]
    path.write_text("\n".join(lines))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    p.add_argument("--datasets", default=",".join(NUMERIC + CATEGORICAL + (BIMODAL,)))
    p.add_argument("--methods", default=",".join(ALL_METHODS))
    p.add_argument("--epochs", type=int, default=200, help="max epochs on tables")
    p.add_argument("--image-epochs", type=int, default=30, help="max epochs on the bimodal set")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--no-timing", action="store_true")
    p.add_argument("--quick", action="store_true", help="1 seed, 300 rows, 3 epochs")
    p.add_argument("--out", default="vsae")
    p.add_argument("--report-only", action="store_true", help="rewrite the report from the CSVs, run nothing")
    args = p.parse_args(argv)
    if args.report_only:
        args.no_timing = True
    if args.quick:
        args.seeds, args.epochs, args.image_epochs = 1, 3, 3
    return args


def main(argv=None):
    args = parse_args(argv)
    datasets = args.datasets.split(",")
    methods = args.methods.split(",")
    cells = []
    for seed in ([] if args.report_only else range(args.first_seed, args.first_seed + args.seeds)):
        for d in datasets:
            for rate in ((0.3, 0.5, 0.7) if d == BIMODAL else (0.5,)):
                keep = 8 if (d == BIMODAL and rate == 0.5 and seed == 0) else 0
                cells.append((d, rate, seed, methods, args, keep))
    t0 = time.perf_counter()
    rows, masks, images = [], [], {}
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run_cell, *c) for c in cells]
        timing = None if args.no_timing else pool.submit(vectorisation_timing, args)
        for f in futures:
            r, m, im = f.result()
            rows += r
            masks += m
            images.update(im)
        timing = None if timing is None else timing.result()
    elapsed = time.perf_counter() - t0
    # --quick writes to a temporary folder: a smoke test never replaces measured rows
    out = Path(tempfile.gettempdir()) / "vsae_quick" if args.quick else RESULTS
    out.mkdir(exist_ok=True)
    # a partial rerun (--methods, --datasets, --seeds) replaces its own rows and keeps the others
    ran = {(d, r, s, m) for d, r, s, ms, _, _ in cells for m in ms}

    def key(frame):
        return zip(frame["dataset"], frame["rate"], frame["seed"], frame["method"])

    df = pd.concat([kept_rows(out / f"{args.out}.csv", ran, key), pd.DataFrame(rows)],
                   ignore_index=True)
    masks = pd.concat([kept_rows(out / f"{args.out}_masks.csv", ran, key), pd.DataFrame(masks)],
                      ignore_index=True)
    df.to_csv(out / f"{args.out}.csv", index=False)
    masks.to_csv(out / f"{args.out}_masks.csv", index=False)
    if timing is not None:
        timing.to_csv(out / f"{args.out}_timing.csv", index=False)
    elif (out / f"{args.out}_timing.csv").exists():
        timing = pd.read_csv(out / f"{args.out}_timing.csv")
    if images:
        missing = [m for m in FIGURE_METHODS if m not in images]
        if missing:  # a partial rerun keeps the figure of the last run that drew all of them
            print(f"figure not redrawn: {missing} did not run on its cell")
        else:
            write_figure(images, out / f"{args.out}_bimodal.png")
    write_report(df, masks, timing, args, elapsed, out / f"{args.out}.md")
    print(f"done in {elapsed / 60:.1f} min")


if __name__ == "__main__":
    main()
