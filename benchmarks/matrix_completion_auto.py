"""Matrix completion's ``lam="auto"``: the held-out choice along the path vs the previous rule.

The previous ``lam="auto"`` was a fixed rule: on the whole matrix the spectral
norm of noise of 0.3 standard deviations, ``0.3 * sqrt(p) * (sqrt(n) +
sqrt(d))``, and per image 1% of each image's largest singular value. The
current one chooses ``lam`` along the continuation path by the error on a
held-out 10% of the observed entries. This script compares the two
(``MatrixCompletionImputer()`` at both versions, everything else default,
``random_state=0``) on:

* an exactly rank-4 300 x 80 matrix, 50% MCAR (relative error also reported);
* 1,000 MNIST images (``np.random.RandomState(0).permutation(5000)[:1000]``),
  20% and 50% MCAR, whole matrix and per image, ``shape=(28, 28)``; and all
  5,000 at 30%, whole matrix (the scale of ``matrix_completion_mnist.py``);
* the 8 x 8 digits, 30% MCAR, whole matrix and per image;
* breast_cancer, z-scored, 30% MCAR (a table);
* the SpatialGAIN paper's zero-shot photo (Table 2): one 320 x 320 photograph
  whose bottom-right 64 x 64 corner is corrupted MCAR or MNAR, completed per
  image, RMSE on the corner's hidden pixels over 3 seeds (the data and masks of
  ``benchmarks/gain_spatialgain.py``).

Each data set is shuffled with seed 0 (the MNIST subsample already is), hidden
by ``make_missing(X, "mcar", rate, random_state=0)``, the first 80% of the rows
fit the imputer and the last 20% are imputed by ``transform``; the MAE is on
their hidden entries, the seconds are the CPU time of fit + transform on one
thread (``time.process_time``: steadier than wall time on a shared machine). The
previous version is the module at the commit ``--baseline`` (read with ``git
show``), run in the same process on the current base class.

Writes ``benchmarks/results/matrix_completion_auto.md``.

Run: ``python benchmarks/matrix_completion_auto.py [--baseline COMMIT]``
"""

import argparse
import platform
import subprocess
import sys
import time
import types
from pathlib import Path

import gain_spatialgain
import numpy as np
from sklearn.datasets import load_breast_cancer
from threadpoolctl import threadpool_limits

from sklimpute import MatrixCompletionImputer, make_missing
from sklimpute.datasets import load_digits, load_mnist

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
#: The last commit with the noise-level rule.
BASELINE = "a2f7dd2"


def previous_imputer(commit):
    """``MatrixCompletionImputer`` as it was at ``commit``."""
    path = "sklimpute/models/matrix_completion.py"
    source = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    module = types.ModuleType("matrix_completion_previous")
    module.__file__ = f"{commit}:{path}"
    sys.modules[module.__name__] = module
    exec(compile(source.replace("from ..base import", "from sklimpute.base import"),
                 module.__file__, "exec"), module.__dict__)
    return module.MatrixCompletionImputer


def data_sets():
    """``(name, rate, X complete, image shape or None, modes)``, rows shuffled."""
    rng = np.random.RandomState(0)
    low_rank = rng.randn(300, 4) @ rng.randn(4, 80)
    mnist_all = load_mnist()[0][np.random.RandomState(0).permutation(5000)]
    mnist = mnist_all[:1000]
    digits = load_digits()[0]
    digits = digits[np.random.RandomState(0).permutation(len(digits))]
    cancer = load_breast_cancer().data
    cancer = (cancer - cancer.mean(0)) / cancer.std(0)
    cancer = cancer[np.random.RandomState(0).permutation(len(cancer))]
    both, whole = (False, True), (False,)
    return [("rank-4 300 x 80", 0.5, low_rank, None, whole),
            ("MNIST 1,000", 0.2, mnist, (28, 28), both),
            ("MNIST 1,000", 0.5, mnist, (28, 28), both),
            ("MNIST 5,000", 0.3, mnist_all, (28, 28), whole),
            ("digits", 0.3, digits, (8, 8), both),
            ("breast_cancer (z-scored)", 0.3, cancer, None, whole)]


def measure(cls, X, X_missing, hidden, shape, per_image):
    """Fit on the first 80% of the rows, impute the rest: the imputer, errors and seconds."""
    n_fit = int(0.8 * len(X))
    imputer = cls(shape=shape, per_image=per_image, random_state=0)
    t0 = time.process_time()
    imputer.fit(X_missing[:n_fit])
    out = imputer.transform(X_missing[n_fit:])
    seconds = time.process_time() - t0
    truth, holes = X[n_fit:][hidden[n_fit:]], hidden[n_fit:]
    result = dict(imputer=imputer, mae=np.abs(out[holes] - truth).mean(), seconds=seconds,
                  rel=np.linalg.norm(out[holes] - truth) / np.linalg.norm(truth),
                  smallest=float(out.min()))
    if shape is not None:  # the same imputations clipped to the training range (one channel)
        low, high = np.nanmin(X_missing[:n_fit]), np.nanmax(X_missing[:n_fit])
        result["clipped_mae"] = np.abs(np.clip(out[holes], low, high) - truth).mean()
    return result


def chosen(imputer):
    fraction = getattr(imputer, "lam_fraction_", None)
    return f"{fraction:.3g} x top s.v." if fraction is not None else f"{imputer.lam_:.3g}"


def run(baseline):
    previous = previous_imputer(baseline)
    rows = []
    for name, rate, X, shape, modes in data_sets():
        X_missing, hidden = make_missing(X, "mcar", rate, random_state=0)
        for per_image in modes:
            old = measure(previous, X, X_missing, hidden, shape, per_image)
            new = measure(MatrixCompletionImputer, X, X_missing, hidden, shape, per_image)
            rows.append(dict(
                data=name, rate=rate, mode="per image" if per_image else "whole matrix",
                old_mae=old["mae"], old_clipped_mae=old.get("clipped_mae"), new_mae=new["mae"],
                old_rel=old["rel"], new_rel=new["rel"],
                old_lam="0.01 x top s.v." if per_image else f"{old['imputer'].lam_:.3g}",
                new_lam=chosen(new["imputer"]), old_s=old["seconds"], new_s=new["seconds"],
                old_min=old["smallest"], new_min=new["smallest"]))
            print({k: v for k, v in rows[-1].items()}, flush=True)
    return rows


def run_photo(baseline, seeds=(0, 1, 2)):
    """Per-image completion of the SpatialGAIN photo: RMSE on the corner's hidden pixels."""
    versions = {"old": previous_imputer(baseline), "new": MatrixCompletionImputer}
    image = gain_spatialgain.load_photo(False)
    side, region = image.shape[0], gain_spatialgain.REGION
    rows = []
    for mechanism in ("MCAR", "MNAR"):
        row = dict(mechanism=mechanism)
        for name, cls in versions.items():
            errors, seconds = [], []
            for seed in seeds:
                corrupted = gain_spatialgain.corrupt_photo(image, mechanism, seed, region)
                hidden = np.isnan(corrupted)
                imputer = cls(per_image=True, shape=(side, side), random_state=seed)
                t0 = time.process_time()
                out = imputer.fit_transform(corrupted.reshape(1, -1)).reshape(side, side)
                seconds.append(time.process_time() - t0)
                errors.append(np.sqrt(np.mean((out - image)[hidden] ** 2)))
            row[name] = f"{np.mean(errors):.3f} ({np.std(errors, ddof=1):.3f})"
            row[f"{name}_s"] = np.mean(seconds)
        row["paper"] = gain_spatialgain.PAPER_T2[mechanism]["MatrixCompletion"][0]
        rows.append(row)
        print(row, flush=True)
    return rows


def to_markdown(rows, baseline, photo_rows):
    lines = [
        "# Matrix completion: `lam=\"auto\"` chosen along the path vs the previous rule",
        "",
        "Produced by `benchmarks/matrix_completion_auto.py` (previous rule: the module at "
        f"commit {baseline}). Fit on the first 80% of the rows (shuffled, seed 0), `transform` of "
        "the last 20%; MAE on their hidden entries (MCAR, `make_missing(..., random_state=0)`); "
        "`lam` in the solver's units (standardised data for the whole matrix; per image a "
        "fraction of each image's largest singular value); seconds = CPU time of fit + "
        f"transform, one thread, {platform.processor() or platform.machine()}. The new version "
        "also clips image imputations to the observed training range (`clip=\"auto\"`); the "
        "column *old, clipped* applies the same clipping to the previous rule's imputations, "
        "to separate the two changes.",
        "",
        "| data | rate | mode | old auto MAE | old, clipped | new auto MAE | old lam | new lam "
        "| old s | new s | smallest imputation old / new |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        clipped = "" if r["old_clipped_mae"] is None else f"{r['old_clipped_mae']:.4f}"
        lines.append(f"| {r['data']} | {r['rate']:.0%} | {r['mode']} | {r['old_mae']:.4f} | "
                     f"{clipped} | {r['new_mae']:.4f} | {r['old_lam']} | {r['new_lam']} | "
                     f"{r['old_s']:.2f} | {r['new_s']:.2f} | "
                     f"{r['old_min']:.3f} / {r['new_min']:.3f} |")
    low = rows[0]
    lines += ["", f"Relative error on the hidden entries of the new rows of the rank-4 matrix: "
              f"{low['old_rel']:.3f} (old) vs {low['new_rel']:.4f} (new).", ""]
    lines += [
        "## The SpatialGAIN paper's zero-shot photo",
        "",
        "`MatrixCompletionImputer(per_image=True)` on the one corrupted 320 x 320 photograph of "
        "`benchmarks/gain_spatialgain.py` (Table 2); RMSE on the hidden pixels of the corner A, "
        "mean (standard deviation) over seeds 0-2; CPU seconds of `fit_transform`.",
        "",
        "| mechanism | old auto | new auto | paper's MC | old s | new s |",
        "|---|---|---|---|---|---|",
    ]
    for r in photo_rows:
        lines.append(f"| {r['mechanism']} | {r['old']} | {r['new']} | {r['paper']:.3f} | "
                     f"{r['old_s']:.1f} | {r['new_s']:.1f} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE)
    args = parser.parse_args()
    with threadpool_limits(limits=1):
        rows = run(args.baseline)
        photo_rows = run_photo(args.baseline)
    md = to_markdown(rows, args.baseline, photo_rows)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "matrix_completion_auto.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
