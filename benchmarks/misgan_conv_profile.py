"""Where the time of a Conv-MisGAN training step goes on a CPU, and what cutting it costs.

One training step of :class:`~sklimpute.models.misgan.MisGANNet` is
``n_critic`` critic steps (each: the three generators' forward pass, the
three critics on real and fake rows, the gradient penalty's double
backward, Adam) and one generator step. This script times it on 28 x 28
images for the paper's configuration (``architecture="conv"``, width 64,
batch 64, gradient penalty, 5 critic steps) and for each cut alone: a
narrower width, no gradient penalty (to see its share, not as a
configuration: WGAN needs it), ``channels_last`` memory format, smaller
batches; and the FC-MisGAN step for reference.

Times are *CPU* seconds of the process (``time.process_time``, one torch
thread), so that other programs on a shared machine do not inflate them;
the mean over ``--steps`` steps after one warm-up step. Run from the
repository root::

    python benchmarks/misgan_conv_profile.py            # about 5 CPU minutes
    python benchmarks/misgan_conv_profile.py --steps 1  # faster, noisier

Writes ``benchmarks/results/misgan_conv_profile.md``.
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from sklimpute.benchmark import platform_line  # noqa: E402
from sklimpute.models.misgan import MisGANCritics, MisGANGenerators, MisGANNet  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SHAPE = (1, 28, 28)

#: label -> settings; the first is the paper's configuration
CONFIGS = {
    "paper: conv, width 64, batch 64": dict(),
    "width 32": dict(width=32),
    "width 16": dict(width=16),
    "no gradient penalty (its share)": dict(gradient_penalty=0.0),
    "channels_last": dict(channels_last=True),
    "batch 32": dict(batch_size=32),
    "width 32, batch 32": dict(width=32, batch_size=32),
    "FC-MisGAN (reference)": dict(architecture="fc"),
}


def make_net(width=64, architecture="conv", gradient_penalty=10.0, channels_last=False, **_):
    net = MisGANNet(
        MisGANGenerators, discriminator=MisGANCritics,
        module__n_features=784, module__shape=SHAPE, module__architecture=architecture,
        module__width=width, module__imputer="mlp",
        discriminator__n_features=784, discriminator__shape=SHAPE,
        discriminator__architecture=architecture, discriminator__width=width,
        optimizer=torch.optim.Adam, optimizer__betas=(0.5, 0.9), optimizer_d__betas=(0.5, 0.9),
        n_critic=5, gradient_penalty=gradient_penalty, lr=1e-4,
    ).initialize()
    if channels_last:
        net.module_.to(memory_format=torch.channels_last)
        net.discriminator_.to(memory_format=torch.channels_last)
    return net


def time_step(settings, steps, X):
    torch.manual_seed(0)
    net = make_net(**settings)
    bs = settings.get("batch_size", 64)
    rows = bs * net.n_critic
    rng = np.random.RandomState(0)
    seconds = []
    net.history.new_epoch()
    for k in range(steps + 1):
        net.history.new_batch()
        idx = rng.choice(len(X), rows, replace=False)
        x = torch.as_tensor(X[idx], dtype=torch.float32)
        mask = (torch.rand(x.shape) > 0.5).float()
        t = time.process_time()
        net.train_step(({"x": x * mask, "mask": mask}, None))
        if k:
            seconds.append(time.process_time() - t)
    step = float(np.mean(seconds))
    return dict(step_s=step, critic_step_s=step / net.n_critic, rows_per_s=rows / step)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--only", nargs="+", help="labels of CONFIGS to time")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    from sklimpute.datasets import load_mnist

    X, _ = load_mnist()
    X = X / X.max()
    rows = []
    for label, settings in CONFIGS.items():
        if args.only and label not in args.only:
            continue
        r = time_step(settings, args.steps, X)
        rows.append((label, r))
        print(f"{label:40s} step {r['step_s']:.2f} s  critic step {r['critic_step_s']:.3f} s  "
              f"{r['rows_per_s']:.0f} rows/s", flush=True)
    base = rows[0][1]["rows_per_s"] if rows else 1.0
    lines = ["# Conv-MisGAN on a CPU: the cost of a training step", "",
             f"`python benchmarks/misgan_conv_profile.py --steps {args.steps}`; {platform_line()}.",
             "", "CPU seconds (one torch thread) of one training step = 5 critic steps + 1 generator "
             "step, on 28 x 28 MNIST images with 50% of the pixels missing; mean over "
             f"{args.steps} step(s) after a warm-up. `rows/s`: training rows per CPU second (an "
             "epoch of n rows costs n / rows_per_s seconds).", "",
             "| configuration | step (s) | per critic step (s) | rows / s | speed-up |",
             "|---|---|---|---|---|"]
    for label, r in rows:
        lines.append(f"| {label} | {r['step_s']:.2f} | {r['critic_step_s']:.3f} | "
                     f"{r['rows_per_s']:.0f} | {r['rows_per_s'] / base:.1f}x |")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "misgan_conv_profile.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
