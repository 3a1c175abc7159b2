"""Why VSAE trailed the linear imputers on small tables, and where its error lies on the pairs.

Diagnostics behind the *Small tables* section and the MNIST+MNIST paragraph
of ``docs/methods/vsae.rst``, on the splits of ``benchmarks/vsae.py`` (same
masks, same 4/1 split, missing ratio 0.5):

* ``tables`` (breast_cancer): two reference networks written here, not in
  the library -- a masked MLP autoencoder (two 256-unit layers reading the
  zero-filled row and its mask, 30% of the observed entries hidden in every
  batch, squared error on all observed entries, AdamW, 500 epochs) and a
  deterministic *selective* autoencoder (VSAE's unimodal and multimodal
  encoders and data decoder, no sampling, no KL, no mask decoder, the same
  training) -- beside ``IterativeImputer``, seeds 0-2; then a ladder of
  ``VSAEImputer`` settings on seed 0, from ``beta=0.1, hide_rate=0.3`` with
  the paper's other choices to the small-table settings and back one choice
  at a time; then the last steps over seeds 0-2.
* ``pairs`` (MNIST+MNIST, seed 0): the test error of a missing image split
  by whether its partner image is observed, for the VAE, VSAE with
  ``beta=0.1, hide_rate=0.3``, iterative imputation and the training mean
  image.

Run from the repository root::

    python benchmarks/vsae_diagnostics.py            # both parts, about 20 min on 2 cores
    python benchmarks/vsae_diagnostics.py --part tables --jobs 2

Writes ``benchmarks/results/vsae_diagnostics_tables.md`` and ``vsae_diagnostics_pairs.md``.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import vsae as bench  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SEEDS = (0, 1, 2)
#: the budgets of benchmarks/vsae.py (its make_imputer reads them)
ARGS = argparse.Namespace(image_epochs=30, epochs=200, quick=False)
#: the small-table settings of the docs, before the batch size (64 here)
TAB = dict(beta=0.01, hide_rate=0.3, unobserved_weight=0.0, batchnorm=False, fill="zeros",
           patience=None, validation_fraction=0.0, epochs=300)
#: the paper's training choices, as VSAEImputer settings
PAPER_CHOICES = dict(batchnorm=True, fill="noise", unobserved_weight=1.0, validation_fraction=0.2, patience=20,
             epochs=200)
#: (label, settings, seeds): the ladder on seed 0, then the last steps over three seeds
LADDER = [
    ("beta=0.1, hide_rate=0.3, the paper's other choices", {**TAB, **PAPER_CHOICES, "beta": 0.1}, (0,)),
    ("beta=0.1, no batch norm, zeros in the holes, no x_u term, all rows, 300 epochs",
     {**TAB, "beta": 0.1}, (0,)),
    ("... batch norm back", {**TAB, "beta": 0.1, "batchnorm": True}, (0,)),
    ("... noise in the holes back", {**TAB, "beta": 0.1, "fill": "noise"}, (0,)),
    ("... the x_u term back", {**TAB, "beta": 0.1, "unobserved_weight": 1.0}, (0,)),
    ("... validation split and early stopping back (at most 200 epochs)",
     {**TAB, "beta": 0.1, "validation_fraction": 0.2, "patience": 20, "epochs": 200}, (0,)),
    ("beta=0.1, no batch norm, zeros, no x_u term, all rows, 300 epochs", {**TAB, "beta": 0.1}, SEEDS),
    ("the same at beta=0.01", TAB, SEEDS),
    ("beta=0.01 with the x_u term", {**TAB, "unobserved_weight": 1.0}, SEEDS),
    ("beta=0.01, batches of 32 (the small-table settings)", {**TAB, "batch_size": 32}, SEEDS),
]


def _data(dataset, seed):
    X, modalities, _, tr, te, missing = bench.split(dataset, 0.5, seed)
    return X, modalities, np.where(missing, np.nan, X), tr, te, missing


# ------------------------------------------------------------------- tables
def _reference_net(kind, d, seed):
    import torch
    from torch import nn

    from sklimpute.nn import MLP, GroupedMLP

    torch.manual_seed(seed)
    if kind == "masked MLP autoencoder":
        return nn.Sequential(nn.Linear(2 * d, 256), nn.LeakyReLU(), nn.Linear(256, 256), nn.LeakyReLU(),
                             nn.Linear(256, d))

    class Selective(nn.Module):
        """VSAE's selective proposal without its randomness: codes, then the data decoder."""

        def __init__(self, latent=20, width=64):
            super().__init__()
            self.d, self.latent = d, latent
            self.unimodal = GroupedMLP(d, 1, [width] * 3, latent, activation=nn.LeakyReLU)
            self.multimodal = MLP(2 * d, [width] * 3, d * latent, activation=nn.LeakyReLU)
            self.decoder = MLP(d * latent, [128] * 3, d, activation=nn.LeakyReLU)

        def forward(self, inputs):
            x, seen = inputs[:, :d], inputs[:, d:]
            uni = self.unimodal(x.unsqueeze(-1))
            multi = self.multimodal(inputs).view(-1, d, self.latent)
            z = torch.where(seen.unsqueeze(-1) > 0, uni, multi)
            return self.decoder(z.flatten(1))

    return Selective()


def reference_error(kind, seed, epochs=500, hide=0.3):
    """NRMSE on the test holes of one of the two reference networks."""
    import torch

    from sklimpute.metrics import nrmse

    torch.set_num_threads(1)
    X, _, X_miss, tr, te, missing = _data("breast_cancer", seed)
    Xtr = X_miss[tr]
    mu, sd = np.nanmean(Xtr, 0), np.nanstd(Xtr, 0)

    def tensors(A):
        m = ~np.isnan(A)
        return (torch.tensor(np.where(m, (A - mu) / sd, 0.0), dtype=torch.float32),
                torch.tensor(m, dtype=torch.float32))

    x_tr, m_tr = tensors(Xtr)
    net = _reference_net(kind, X.shape[1], seed)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        net.train()
        for b in torch.randperm(len(x_tr), generator=gen).split(64):
            x, m = x_tr[b], m_tr[b]
            seen = m * (torch.rand(m.shape, generator=gen) >= hide)
            out = net(torch.cat([x * seen, seen], 1))
            loss = (((out - x) ** 2) * m).sum() / m.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    x_te, m_te = tensors(X_miss[te])
    with torch.no_grad():
        out = net(torch.cat([x_te * m_te, m_te], 1)).numpy() * sd + mu
    return nrmse(X[te], np.where(missing[te], out, X[te]), missing[te])


def iterative_error(seed):
    from sklimpute.metrics import nrmse

    X, _, X_miss, tr, te, missing = _data("breast_cancer", seed)
    imp = bench.make_imputer("Iterative", "breast_cancer", seed, ARGS).fit(X_miss[tr])
    return nrmse(X[te], imp.transform(X_miss[te]), missing[te])


def vsae_error(settings, seed):
    import torch

    from sklimpute import VSAEImputer
    from sklimpute.metrics import nrmse

    torch.set_num_threads(1)
    X, _, X_miss, tr, te, missing = _data("breast_cancer", seed)
    imp = VSAEImputer(random_state=seed, n_threads=1, **settings).fit(X_miss[tr])
    return nrmse(X[te], imp.transform(X_miss[te]), missing[te])


def _task(task):
    kind, arg, seed = task
    t0 = time.perf_counter()
    if kind == "reference":
        err = reference_error(arg, seed)
    elif kind == "iterative":
        err = iterative_error(seed)
    else:
        err = vsae_error(LADDER[arg][1], seed)
    print(f"{kind:10s} {arg!s:26.26s} seed={seed} NRMSE={err:.4f} ({time.perf_counter() - t0:.0f} s)",
          flush=True)
    return task, err


def tables(jobs):
    tasks = [("iterative", "", s) for s in SEEDS]
    tasks += [("reference", k, s) for k in ("masked MLP autoencoder", "selective autoencoder") for s in SEEDS]
    tasks += [("vsae", i, s) for i, (_, _, seeds) in enumerate(LADDER) for s in seeds]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        errors = dict(pool.map(_task, tasks))

    def row(label, kind, arg, seeds):
        e = [errors[(kind, arg, s)] for s in seeds]
        mean = f"{np.mean(e):.3f}" if len(e) > 1 else ""
        return f"| {label} | " + " / ".join(f"{v:.3f}" for v in e) + f" | {mean} |"

    lines = ["## Small tables: breast_cancer, missing ratio 0.5 (NRMSE on the test holes)", "",
             "| model | per seed | mean |", "|---|---|---|",
             row("IterativeImputer (the benchmark's)", "iterative", "", SEEDS)]
    lines += [row(k + " (reference, written here)", "reference", k, SEEDS)
              for k in ("masked MLP autoencoder", "selective autoencoder")]
    lines += ["", "VSAEImputer settings (seed 0 first, then seeds 0-2; imputation with the mean of 20 "
              "draws; batches of 64 unless stated):", "", "| settings | per seed | mean |", "|---|---|---|"]
    lines += [row(label, "vsae", i, seeds) for i, (label, _, seeds) in enumerate(LADDER)]
    return lines


# -------------------------------------------------------------------- pairs
def _pairs_task(name):
    import torch

    torch.set_num_threads(1)
    X, _, X_miss, tr, te, missing = _data(bench.BIMODAL, 0)
    if name == "mean image":
        out = np.broadcast_to(np.nanmean(X_miss[tr], axis=0), X[te].shape)
    else:
        out = np.asarray(bench.make_imputer(name, bench.BIMODAL, 0, ARGS).fit(X_miss[tr]).transform(X_miss[te]))
    hid = missing[te]
    both = hid[:, 0] & hid[:, 784]
    se = (out - X[te]) ** 2
    one, two = hid & ~both[:, None], hid & both[:, None]
    print(f"pairs {name}: done", flush=True)
    return name, (se[hid].mean(), se[one].mean(), se[two].mean(), two.sum() / hid.sum())


def pairs(jobs):
    names = ("VAE", "VSAE b=0.1+hide", "Iterative", "mean image")
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        res = dict(pool.map(_pairs_task, names))
    share = res["VAE"][3]
    lines = ["## MNIST+MNIST, seed 0, missing ratio 0.5: MSE per pixel of the missing images", "",
             f"{share:.0%} of the missing images belong to rows missing both images.", "",
             "| method | all missing images | partner observed | both missing |", "|---|---|---|---|"]
    lines += [f"| {n} | {a:.4f} | {b:.4f} | {c:.4f} |" for n, (a, b, c, _) in res.items()]
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--part", choices=("tables", "pairs", "all"), default="all")
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args(argv)
    RESULTS.mkdir(exist_ok=True)
    for part, run in (("tables", tables), ("pairs", pairs)):
        if args.part not in (part, "all"):
            continue
        t0 = time.perf_counter()
        lines = run(args.jobs)
        head = [f"# VSAE diagnostics: {part}", "",
                f"Written by `benchmarks/vsae_diagnostics.py --part {part}` "
                f"({(time.perf_counter() - t0) / 60:.1f} min, {args.jobs} job(s), one torch thread each). "
                "The splits are those of `benchmarks/vsae.py`.", ""]
        (RESULTS / f"vsae_diagnostics_{part}.md").write_text("\n".join(head + lines) + "\n")
        print("\n".join(lines))


if __name__ == "__main__":
    main()
