"""First measurements of GAIN and SpatialGAIN (before the full reproduction).

The runs behind the "Design measurements" tables of ``docs/methods/gain.rst``;
the paper's Tables 1 and 2 have their own script (``gain_spatialgain.py``).

* ``digits``: the 8x8 digits (``load_digits`` / 16), 20% MCAR, fitted on the first
  1,400 incomplete images, missing-pixel MAE on the other 397; seed 0.
* ``mnist``: the 5,000 MNIST images shuffled with seed 0 (the split of
  ``vaewl_mnist.py``'s seed 0), 20% MCAR on the 4,000 training + validation
  images and on the 1,000 test images, ``validation_fraction=0.25``.

One imputer per process, one thread. Run from the repository root::

    python benchmarks/gain_first_look.py digits
    python benchmarks/gain_first_look.py mnist

Each writes ``benchmarks/results/gain_first_look_<part>.md`` (``--quick``: 2
epochs, 400 / 100 MNIST images, to a temporary folder).
"""

import numpy as np

from sklimpute import make_missing
from sklimpute.benchmark import (Method, command_line, fit_transform_timed, output_dir, run_tasks,
                                 script_parser)
from sklimpute.datasets import load_digits, load_mnist

# the paper's network and noise (hide_rate 0.2 was the default then)
SG = dict(n_threads=1, architecture="standard", prefill="noise", precision="float32")
MNIST = dict(shape=(28, 28), validation_fraction=0.25, n_threads=1)
RUNS = {
    "digits": [("mean", Method("mean")), ("KNN", Method("knn")),
               ("GAIN (defaults)", Method("gain", {"n_threads": 1})),
               ("GAIN, hide_rate=0.2", Method("gain", {"hide_rate": 0.2, "n_threads": 1}))] + [
        (label, Method("spatialgain", dict(shape=(8, 8), **SG, **params))) for label, params in [
            ("SpatialGAIN, hide_rate=0 (the paper's training)", dict(hide_rate=0.0)),
            ("SpatialGAIN, hide_rate=0, patience=20, epochs=100",
             dict(hide_rate=0.0, patience=20, epochs=100)),
            ("SpatialGAIN, hide_rate=0.2 (the default then)", dict(hide_rate=0.2)),
            ("SpatialGAIN, hide_rate=0.2, patience=10, epochs=100",
             dict(hide_rate=0.2, patience=10, epochs=100))]],
    "mnist": [(f"SpatialGAIN, hide_rate={h} ({what}), epochs=15",
               Method("spatialgain", {"epochs": 15, "hide_rate": float(h), **SG, **MNIST}))
              for h, what in ((0.2, "the default then"), (0, "the paper's training"))]
    + [("GAIN (defaults)", Method("gain", MNIST))],
}


def split(part, quick):
    """``(X_fit with holes, X_test with holes, X_test, hidden)`` of a part."""
    if part == "digits":
        X, _ = load_digits()
        Xm, hidden = make_missing(X, "mcar", rate=0.2, random_state=0)
        return Xm[:1400], Xm[1400:], X[1400:], hidden[1400:]
    X, _ = load_mnist()
    X = X[np.random.RandomState(0).permutation(len(X))]
    X_fit_m, _ = make_missing(X[:4000], "mcar", rate=0.2, random_state=1)
    X_test_m, hidden = make_missing(X[4000:], "mcar", rate=0.2, random_state=2)
    n_fit, n_test = (400, 100) if quick else (4000, 1000)
    return X_fit_m[:n_fit], X_test_m[:n_test], X[4000:4000 + n_test], hidden[:n_test]


def run(task):
    part, i, quick = task
    X_fit, X_test_m, X_test, hidden = split(part, quick)
    name, method = RUNS[part][i]
    imp = method(None, 0)
    if quick and "epochs" in imp.get_params():
        imp.set_params(epochs=2)
    out, fit_s, _ = fit_transform_timed(imp, X_fit, X_test_m)
    err = (out - X_test)[hidden]
    return (f"| {name} | {np.abs(err).mean():.4f} | {np.sqrt((err ** 2).mean()):.4f} | "
            f"{getattr(imp, 'n_epochs_', '')} | {fit_s:.0f} |")


def main(argv=None):
    p = script_parser(__doc__)
    p.add_argument("part", nargs="?", choices=tuple(RUNS), default="digits")
    args = p.parse_args(argv)
    out = output_dir(args, "gain_first_look")
    if args.report_only:  # the report is the only output
        return print((out / f"gain_first_look_{args.part}.md").read_text())
    tasks = [(args.part, i, args.quick) for i in range(len(RUNS[args.part]))]
    rows = run_tasks(run, tasks, jobs=args.jobs, timeout=args.timeout)
    lines = [f"# GAIN / SpatialGAIN, first look: {args.part}, 20% MCAR, seed 0", "",
             f"`{command_line(__file__, argv)}`", "",
             "| imputer | MAE (missing) | RMSE (missing) | epochs | fit (s) |", "|---|---|---|---|---|"]
    (out / f"gain_first_look_{args.part}.md").write_text("\n".join(lines + [r or "" for r in rows]) + "\n")
    print("\n".join(lines + [r or "" for r in rows]))


if __name__ == "__main__":
    main()
