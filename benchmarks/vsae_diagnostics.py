"""Why VSAE trailed the linear imputers on small tables, and where its error lies on the pairs.

Diagnostics behind the *Small tables* section and the MNIST+MNIST paragraph
of ``docs/methods/vsae.rst``, on the splits of ``benchmarks/vsae.py`` (same
masks, same 4/1 split, missing ratio 0.5):

* ``tables`` (breast_cancer, seeds 0-2): ``IterativeImputer`` beside two
  reference networks written here -- a masked MLP autoencoder (two 256-unit
  layers reading the zero-filled row and its mask, 30% of the observed
  entries hidden in every batch, AdamW, 500 epochs) and a deterministic
  *selective* autoencoder (VSAE's encoders and data decoder without sampling,
  KL or mask decoder, the same training); then a ladder of ``VSAEImputer``
  settings on seed 0, one choice at a time, and its last steps on seeds 0-2.
* ``pairs`` (MNIST+MNIST, seed 0): the test error of a missing image split
  by whether its partner is observed (VAE, VSAE ``beta=0.1, hide_rate=0.3``,
  iterative imputation, the training mean image).

One process and one thread per run. Run from the repository root::

    python benchmarks/vsae_diagnostics.py            # both parts, about 20 min on 2 cores
    python benchmarks/vsae_diagnostics.py --part tables
    python benchmarks/vsae_diagnostics.py --quick    # seed 0, 3 epochs, to a temporary folder

Writes ``benchmarks/results/vsae_diagnostics_tables.md`` and ``vsae_diagnostics_pairs.md``.
"""

import functools
import time

import numpy as np
import torch
from torch import nn

from sklimpute.benchmark import (Method, command_line, mask_split, output_dir, platform_line, run_tasks,
                                 script_parser)
from sklimpute.datasets import load_mnist, load_tabular
from sklimpute.metrics import nrmse
from sklimpute.nn import GroupedLinear

SEEDS = (0, 1, 2)
#: the small-table settings of the docs, before the batch size (64 here)
TAB = dict(beta=0.01, hide_rate=0.3, unobserved_weight=0.0, batchnorm=False, fill="zeros",
           patience=None, validation_fraction=0.0, epochs=300)
#: the paper's training choices, as VSAEImputer settings
PAPER_CHOICES = dict(batchnorm=True, fill="noise", unobserved_weight=1.0, validation_fraction=0.2,
                     patience=20, epochs=200)
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
REFERENCES = ("masked MLP autoencoder", "selective autoencoder")
#: the imputers of benchmarks/vsae.py (its budgets: 200 epochs on tables, 30 on the pairs)
DEEP = dict(n_threads=1, validation_fraction=0.2, patience=20)
ITERATIVE = Method("iterative", dict(max_iter=10, n_nearest_features=None))
PAIRS = {"VAE": Method("vae", dict(epochs=30, reconstruction="bce", **DEEP)),
         "VSAE b=0.1+hide": Method("vsae", dict(epochs=30, modalities=[784, 784], shape=(2, 28, 28),
                                                lr=1e-3, beta=0.1, hide_rate=0.3, **DEEP)),
         "Iterative": Method("iterative", dict(max_iter=2, n_nearest_features=10)),
         "mean image": None}


def data(dataset, seed):
    """The split of ``benchmarks/vsae.py`` at missing ratio 0.5: breast_cancer or the MNIST pairs."""
    if dataset == "breast_cancer":
        X, modalities = load_tabular("breast_cancer")[0], None
    else:  # each image of a digit a in 0..4 beside a random image of 9 - a
        images, y = load_mnist()
        rng = np.random.RandomState(seed)
        X = np.vstack([np.hstack([images[y == a], images[rng.choice(np.flatnonzero(y == 9 - a),
                                                                    size=(y == a).sum())]])
                       for a in range(5)])
        modalities = [784, 784]
    missing, tr, te = mask_split(X, 0.5, 1000 + seed, groups=modalities)
    return X, np.where(missing, np.nan, X), tr, te, missing


def mlp(n_in, width, n_out, groups=None):
    """Appendix B.2's stack without batch norm: (Linear, LeakyReLU) x 3, Linear; grouped per modality."""
    linear = nn.Linear if groups is None else functools.partial(GroupedLinear, groups)
    layers = [linear(n_in, width), nn.LeakyReLU()]
    for _ in range(2):
        layers += [linear(width, width), nn.LeakyReLU()]
    return nn.Sequential(*layers, linear(width, n_out))


class Selective(nn.Module):
    """VSAE's selective proposal without its randomness: codes, then the data decoder."""

    def __init__(self, d, latent=20, width=64):
        super().__init__()
        self.d, self.latent = d, latent
        self.unimodal = mlp(1, width, latent, groups=d)
        self.multimodal = mlp(2 * d, width, d * latent)
        self.decoder = mlp(d * latent, 128, d)

    def forward(self, inputs):
        x, seen = inputs[:, :self.d], inputs[:, self.d:]
        uni = self.unimodal(x.unsqueeze(-1))
        multi = self.multimodal(inputs).view(-1, self.d, self.latent)
        return self.decoder(torch.where(seen.unsqueeze(-1) > 0, uni, multi).flatten(1))


def reference_error(kind, seed, epochs=500, hide=0.3):
    """NRMSE on the test holes of one of the two reference networks."""
    X, X_miss, tr, te, missing = data("breast_cancer", seed)
    Xtr, d = X_miss[tr], X.shape[1]
    mu, sd = np.nanmean(Xtr, 0), np.nanstd(Xtr, 0)

    def tensors(A):
        m = ~np.isnan(A)
        return (torch.tensor(np.where(m, (A - mu) / sd, 0.0), dtype=torch.float32),
                torch.tensor(m, dtype=torch.float32))

    x_tr, m_tr = tensors(Xtr)
    torch.manual_seed(seed)
    net = Selective(d) if kind == "selective autoencoder" else nn.Sequential(
        nn.Linear(2 * d, 256), nn.LeakyReLU(), nn.Linear(256, 256), nn.LeakyReLU(), nn.Linear(256, d))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        net.train()
        for b in torch.randperm(len(x_tr), generator=gen).split(64):
            x, m = x_tr[b], m_tr[b]
            seen = m * (torch.rand(m.shape, generator=gen) >= hide)
            loss = (((net(torch.cat([x * seen, seen], 1)) - x) ** 2) * m).sum() / m.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    x_te, m_te = tensors(X_miss[te])
    with torch.no_grad():
        out = net(torch.cat([x_te * m_te, m_te], 1)).numpy() * sd + mu
    return nrmse(X[te], np.where(missing[te], out, X[te]), missing[te])


def pairs_errors(name, budget):
    """MSE per pixel of the missing images: all, partner observed, both missing; share of the latter."""
    X, X_miss, tr, te, missing = data("pairs", 0)
    if PAIRS[name] is None:  # the training mean image
        out = np.broadcast_to(np.nanmean(X_miss[tr], axis=0), X[te].shape)
    else:
        imp = PAIRS[name](None, 0)
        out = np.asarray(imp.set_params(**budget if "epochs" in imp.get_params() else {})
                         .fit(X_miss[tr]).transform(X_miss[te]))
    hid = missing[te]
    both = hid[:, 0] & hid[:, 784]
    se = (out - X[te]) ** 2
    one, two = hid & ~both[:, None], hid & both[:, None]
    return se[hid].mean(), se[one].mean(), se[two].mean(), two.sum() / hid.sum()


def run(task):
    kind, arg, seed, epochs = task
    budget = {"epochs": epochs} if epochs else {}  # --quick
    if kind == "pairs":
        return pairs_errors(arg, budget)
    if kind == "reference":
        return reference_error(arg, seed, **budget)
    X, X_miss, tr, te, missing = data("breast_cancer", seed)
    imp = ITERATIVE(None, seed) if kind == "iterative" else \
        Method("vsae", {"n_threads": 1, **LADDER[arg][1], **budget})(None, seed)
    return nrmse(X[te], imp.fit(X_miss[tr]).transform(X_miss[te]), missing[te])


def tables(args, epochs):
    seeds = (0,) if args.quick else SEEDS
    ladder = [(label, tuple(s for s in ss if s in seeds)) for label, _, ss in LADDER]
    tasks = [("iterative", "", s, None) for s in seeds]
    tasks += [("reference", k, s, epochs) for k in REFERENCES for s in seeds]
    tasks += [("vsae", i, s, epochs) for i, (_, ss) in enumerate(ladder) for s in ss]
    errors = dict(zip((t[:3] for t in tasks), run_tasks(run, tasks, jobs=args.jobs, timeout=args.timeout)))

    def row(label, kind, arg, seeds):
        e = [errors[(kind, arg, s)] for s in seeds]
        text = [f"{v:.3f}" if v is not None else "failed" for v in e]
        mean = f"{np.mean(e):.3f}" if len(e) > 1 and None not in e else ""
        return f"| {label} | " + " / ".join(text) + f" | {mean} |"

    lines = ["## Small tables: breast_cancer, missing ratio 0.5 (NRMSE on the test holes)", "",
             "| model | per seed | mean |", "|---|---|---|",
             row("IterativeImputer (the benchmark's)", "iterative", "", seeds)]
    lines += [row(k + " (reference, written here)", "reference", k, seeds) for k in REFERENCES]
    lines += ["", "VSAEImputer settings (seed 0 first, then seeds 0-2; imputation with the mean of 20 "
              "draws; batches of 64 unless stated):", "", "| settings | per seed | mean |", "|---|---|---|"]
    return lines + [row(label, "vsae", i, ss) for i, (label, ss) in enumerate(ladder)]


def pairs(args, epochs):
    tasks = [("pairs", name, 0, epochs) for name in PAIRS]
    res = {t[1]: r for t, r in zip(tasks, run_tasks(run, tasks, jobs=args.jobs, timeout=args.timeout)) if r}
    lines = ["## MNIST+MNIST, seed 0, missing ratio 0.5: MSE per pixel of the missing images", "",
             f"{next(iter(res.values()))[3]:.0%} of the missing images belong to rows missing both "
             "images.", "",
             "| method | all missing images | partner observed | both missing |", "|---|---|---|---|"]
    return lines + [f"| {n} | {a:.4f} | {b:.4f} | {c:.4f} |" for n, (a, b, c, _) in res.items()]


def main(argv=None):
    p = script_parser(__doc__, jobs=2)
    p.add_argument("--part", choices=("tables", "pairs", "all"), default="all")
    args = p.parse_args(argv)
    out = output_dir(args, "vsae_diagnostics")
    for part, make in (("tables", tables), ("pairs", pairs)):
        if args.part not in (part, "all"):
            continue
        path = out / f"vsae_diagnostics_{part}.md"
        if args.report_only:  # the report is the only output
            print(path.read_text())
            continue
        t0 = time.perf_counter()
        lines = make(args, 3 if args.quick else None)
        head = [f"# VSAE diagnostics: {part}", "",
                f"Written by `{command_line(__file__, argv)}` ({(time.perf_counter() - t0) / 60:.1f} min; "
                f"{platform_line(jobs=args.jobs)}). The splits are those of `benchmarks/vsae.py`.", ""]
        path.write_text("\n".join(head + lines) + "\n")
        print("\n".join(lines))


if __name__ == "__main__":
    main()
