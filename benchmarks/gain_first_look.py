"""First measurements of GAIN and SpatialGAIN (before the full reproduction).

The runs behind the "Our measurements so far" tables of ``docs/methods/gain.rst``;
the paper's Tables 1 and 2 get their own script (``gain_spatialgain.py``, to come).

* ``digits``: the 8x8 digits (``load_digits`` / 16), 20% MCAR, fitted on the first
  1,400 incomplete images, missing-pixel MAE on the other 397; seed 0.
* ``mnist``: the 5,000 MNIST images shuffled with seed 0 (the split of
  ``vaewl_mnist.py``'s seed 0), 20% MCAR on the 4,000 training + validation
  images and on the 1,000 test images, ``validation_fraction=0.25``.

One torch thread per run. Run from the repository root::

    python benchmarks/gain_first_look.py digits
    python benchmarks/gain_first_look.py mnist

Each writes ``benchmarks/results/gain_first_look_<part>.md``.
"""

import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def digits_runs():
    from sklearn.impute import KNNImputer, SimpleImputer

    from sklimpute import GAINImputer, SpatialGAINImputer, make_missing
    from sklimpute.datasets import load_digits

    X, _ = load_digits()
    Xm, hidden = make_missing(X, "mcar", rate=0.2, random_state=0)
    train, test = slice(0, 1400), slice(1400, None)
    # the paper's network and noise (hide_rate 0.2 was the default then)
    sg = dict(shape=(8, 8), random_state=0, n_threads=1, architecture="standard", prefill="noise")
    imputers = [
        ("mean", SimpleImputer()),
        ("KNN", KNNImputer()),
        ("GAIN (defaults)", GAINImputer(random_state=0, n_threads=1)),
        ("GAIN, hide_rate=0.2", GAINImputer(hide_rate=0.2, random_state=0, n_threads=1)),
        ("SpatialGAIN, hide_rate=0 (the paper's training)", SpatialGAINImputer(hide_rate=0.0, **sg)),
        ("SpatialGAIN, hide_rate=0, patience=20, epochs=100",
         SpatialGAINImputer(hide_rate=0.0, patience=20, epochs=100, **sg)),
        ("SpatialGAIN, hide_rate=0.2 (the default then)", SpatialGAINImputer(hide_rate=0.2, **sg)),
        ("SpatialGAIN, hide_rate=0.2, patience=10, epochs=100",
         SpatialGAINImputer(hide_rate=0.2, patience=10, epochs=100, **sg)),
    ]
    return Xm[train], Xm[test], X[test], hidden[test], imputers


def mnist_runs():
    from sklimpute import GAINImputer, SpatialGAINImputer, make_missing
    from sklimpute.datasets import load_mnist

    X, _ = load_mnist()
    X = X[np.random.RandomState(0).permutation(len(X))]
    X_fit, X_test = X[:4000], X[4000:]
    X_fit_m, _ = make_missing(X_fit, "mcar", rate=0.2, random_state=1)
    X_test_m, hidden = make_missing(X_test, "mcar", rate=0.2, random_state=2)
    common = dict(shape=(28, 28), validation_fraction=0.25, random_state=0, n_threads=1)
    imputers = [
        ("SpatialGAIN, hide_rate=0.2 (the default then), epochs=15",
         SpatialGAINImputer(epochs=15, hide_rate=0.2, architecture="standard", prefill="noise",
                            **common)),
        ("SpatialGAIN, hide_rate=0 (the paper's training), epochs=15",
         SpatialGAINImputer(hide_rate=0.0, epochs=15, architecture="standard",
                            prefill="noise", **common)),
        ("GAIN (defaults)", GAINImputer(**common)),
    ]
    return X_fit_m, X_test_m, X_test, hidden, imputers


def main(part):
    import torch

    torch.set_num_threads(1)
    X_fit, X_test_m, X_test, hidden, imputers = {"digits": digits_runs, "mnist": mnist_runs}[part]()
    lines = [f"# GAIN / SpatialGAIN, first look: {part}, 20% MCAR, seed 0", "",
             f"`python benchmarks/{Path(__file__).name} {part}`", "",
             "| imputer | MAE (missing) | RMSE (missing) | epochs | fit (s) |", "|---|---|---|---|---|"]
    for name, imp in imputers:
        t0 = time.perf_counter()
        imp.fit(X_fit)
        fit_s = time.perf_counter() - t0
        err = (imp.transform(X_test_m) - X_test)[hidden]
        epochs = getattr(imp, "n_epochs_", "")
        lines.append(f"| {name} | {np.abs(err).mean():.4f} | {np.sqrt((err ** 2).mean()):.4f} | "
                     f"{epochs} | {fit_s:.0f} |")
        print(lines[-1], flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"gain_first_look_{part}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "digits")
