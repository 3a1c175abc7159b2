"""How SpatialGAIN's batch size and hidden share were chosen: the runs behind its defaults table.

800 MNIST images (``compare_all.py``'s mnist1000 split: 800 train, 200 test),
50% MCAR, one thread per run, MAE and RMSE on the hidden test pixels. Each
variant changes one thing against a reference; ``then`` is SpatialGAIN's
defaults before this study (batches of 64, hiding as much as the data miss,
patience 5). Seeds 0 and 1 are two splits (and imputer seeds).

* ``then``, ``60 epochs``, ``lr 0.003``, ``L1``, ``alpha 1e4``: batches of 64.
  ``L1`` replaces the reconstruction's squared error by the absolute error
  (in this process only); with it and with 60 epochs early stopping is off.
* ``batch 32 / 16 / 8``: hiding half, patience 5.
* ``batch 16 + cosine``: a cosine learning-rate schedule over the 30 epochs.
* ``batch 16, MCAR 25% / 35%``: MCAR hiding of that share.
* ``batch 16, a quarter``: the data's pattern, each hole of the partner row
  copied with probability 1/2: today's defaults, with the patience of then.
* ``VAE-WL, a quarter``: VAE-WL at its defaults but ``hide_rate=0.25``
  (its default hides as much as the data miss: ``compare_all.md``).

Writes ``benchmarks/results/spatialgain_defaults.{csv,md}``.

Run: ``python benchmarks/spatialgain_defaults.py [--jobs 2]`` (about 10
minutes on 2 cores).
"""

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from sklimpute import SpatialGAINImputer, VAEWLImputer
from sklimpute.benchmark import Cell, command_line, platform_line, run_cells, script_parser
from sklimpute.models import gain

RESULTS = Path(__file__).parent / "results"
THEN = dict(batch_size=64, hide_rate=0.5, patience=5)
B16 = dict(THEN, batch_size=16)
#: label -> (settings, seeds, L1 reconstruction, VAE-WL instead of SpatialGAIN)
VARIANTS = {
    "then": (THEN, (0, 1), False, False),
    "60 epochs": (dict(THEN, epochs=60, patience=None), (0,), False, False),
    "lr 0.003": (dict(THEN, lr=3e-3), (0,), False, False),
    "L1": (dict(THEN, patience=None), (0,), True, False),
    "alpha 1e4": (dict(THEN, alpha=1e4), (0,), False, False),
    "batch 32": (dict(THEN, batch_size=32), (0,), False, False),
    "batch 16": (B16, (0, 1), False, False),
    "batch 8": (dict(THEN, batch_size=8), (0,), False, False),
    "batch 16 + cosine": (dict(B16, cosine=True), (0,), False, False),
    "batch 16, MCAR 25%": (dict(B16, hide_rate=0.25, hide_pattern="mcar"), (0,), False, False),
    "batch 16, MCAR 35%": (dict(B16, hide_rate=0.35, hide_pattern="mcar"), (0,), False, False),
    "batch 16, a quarter": (dict(patience=5), (0, 1), False, False),
    "VAE-WL, a quarter": (dict(hide_rate=0.25), (0,), False, True),
}


def l1_generator_loss(self, s):
    """GAINNet's generator loss with the absolute error instead of the squared one."""
    logits = self.discriminator_(s["x_hat"], s["h"])
    adversarial = self._mean(-torch.nn.functional.logsigmoid(logits) * (1.0 - s["seen"]), s["judged"])
    return adversarial + self.alpha * self._mean((s["x"] - s["g"]).abs(), s["mask"])


@dataclass(frozen=True)
class Variant:
    """``factory(shape, random_state)`` of one variant (picklable for the workers)."""

    settings: dict = field(default_factory=dict)
    l1: bool = False
    vaewl: bool = False

    def __call__(self, shape, random_state):
        params = dict(self.settings)
        if params.pop("cosine", False):
            from skorch.callbacks import LRScheduler

            params["callbacks"] = [LRScheduler(torch.optim.lr_scheduler.CosineAnnealingLR, T_max=30)]
        if self.l1:  # this worker process only
            gain.GAINNet.generator_loss = l1_generator_loss
        cls = VAEWLImputer if self.vaewl else SpatialGAINImputer
        return cls(shape=shape, random_state=random_state, **params)


def report(results, command, minutes, jobs=1):
    lines = ["# SpatialGAIN's batch size and hidden share", "",
             f"`{command}` ({minutes:.0f} minutes; {platform_line(jobs=jobs)}).", "",
             "800 MNIST images, 50% MCAR, 200 test images; see the script's docstring for "
             "each variant. `then`: batches of 64, hiding half, patience 5.", "",
             "| variant | seed | MAE | RMSE | epochs | fit s |", "|---|---|---|---|---|---|"]
    for _, r in results.iterrows():
        if r.get("status", "ok") != "ok":
            lines.append(f"| {r['method']} | {r['seed']} | {r['status']} | | | |")
            continue
        lines.append(f"| {r['method']} | {r['seed']} | {r['mae']:.4f} | {r['rmse']:.4f} | "
                     f"{int(r['n_epochs'])} | {r['fit_s']:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = script_parser(__doc__, jobs=1).parse_args(argv)
    out = RESULTS if args.out is None else args.out
    out.mkdir(parents=True, exist_ok=True)
    cells = [Cell(label, Variant(settings, l1, vaewl), "mnist", "mcar", 0.5, seed, 800, 200)
             for label, (settings, seeds, l1, vaewl) in VARIANTS.items() for seed in seeds]
    if args.quick:
        cells = [Cell(c.method, Variant({**c.factory.settings, "epochs": 1}, c.factory.l1,
                                        c.factory.vaewl), c.data, c.mechanism, c.rate, c.seed, 100, 50)
                 for c in cells[:3]]
    t0 = time.time()
    results = run_cells(cells, jobs=args.jobs, timeout=args.timeout or 900)
    results.to_csv(out / "spatialgain_defaults.csv", index=False)
    md = report(results, command_line("benchmarks/spatialgain_defaults.py", argv),
                (time.time() - t0) / 60, args.jobs)
    (out / "spatialgain_defaults.md").write_text(md)
    print(md)


if __name__ == "__main__":
    sys.exit(main())
