"""One photograph at a time: SingleImageImputer against classical inpainting.

SpatialGAIN's zero-shot setting, on the colour photographs that ship with
scikit-learn (``china``, ``flower``) and scikit-image (``astronaut``,
``coffee``, ``chelsea``, ``rocket``), each centre-cropped and resized to
256 x 256, in colour and in grayscale. Four kinds of holes, all inside the
64 x 64 bottom-right corner region (seeded):

* ``mcar``: 20% of the region's pixels;
* ``dead``: a cloud of dead pixels, 3% of the region's pixels;
* ``scratch``: three one-pixel-wide straight scratches across the region;
* ``block``: a 16 x 16 missing block in the region.

Every method imputes the one image with its holes (nothing else is seen;
the zero-shot methods get the corner as their region **A**);
RMSE on the hidden pixels (values in [0, 1]), seconds on one CPU thread.
Methods: ``SingleImageImputer()`` at its defaults (the residual correction
of biharmonic inpainting, learned from the photograph itself), ``"nearest"``
(the nearest crop), scikit-image's biharmonic inpainting, OpenCV's Navier-Stokes
and Telea (when ``opencv-python-headless`` is installed) and per-image
matrix completion.

Writes ``benchmarks/results/single_image.{csv,md}``; ``--quick``: one photo,
grayscale, one seed, into a temporary folder.

Run: ``python benchmarks/single_image.py [--seeds 0,1,2] [--photos china,rocket]``
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from skimage import data as skdata
from skimage.draw import line
from skimage.transform import resize
from sklearn.datasets import load_sample_images

from sklimpute import InpaintingImputer, MatrixCompletionImputer, SingleImageImputer
from sklimpute.benchmark import format_pm, platform_line

RESULTS = Path(__file__).parent / "results"
SIDE, REGION = 256, 64
PHOTOS = ["china", "flower", "astronaut", "coffee", "chelsea", "rocket"]
MASKS = ["mcar", "dead", "scratch", "block"]
#: the region A of the zero-shot methods: the corner that holds the holes
CORNER = (SIDE - REGION, SIDE - REGION, REGION, REGION)


def load_photo(name, grayscale):
    """``(C, 256, 256)`` float64 in [0, 1]: centre square, resized."""
    if name in ("china", "flower"):
        rgb = load_sample_images().images[["china", "flower"].index(name)]
    else:
        rgb = getattr(skdata, name)()
    rgb = np.asarray(rgb, dtype=np.float64)[..., :3] / 255.0
    h, w = rgb.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    rgb = resize(rgb[top:top + s, left:left + s], (SIDE, SIDE), anti_aliasing=True)
    if grayscale:
        return (rgb @ np.array([0.299, 0.587, 0.114]))[None]
    return np.moveaxis(rgb, -1, 0)


def make_holes(kind, seed):
    """Boolean ``(256, 256)`` mask of the hidden pixels, inside the corner region."""
    rng = np.random.RandomState(seed)
    region = np.zeros((REGION, REGION), dtype=bool)
    if kind == "mcar":
        region = rng.rand(REGION, REGION) < 0.2
    elif kind == "dead":
        region = rng.rand(REGION, REGION) < 0.03
    elif kind == "scratch":
        for _ in range(3):
            r0, r1 = rng.randint(0, REGION, size=2)
            rr, cc = line(r0, 0, r1, REGION - 1) if rng.rand() < 0.5 else line(0, r0, REGION - 1, r1)
            region[rr, cc] = True
    elif kind == "block":
        top, left = rng.randint(8, REGION - 24, size=2)
        region[top:top + 16, left:left + 16] = True
    else:
        raise ValueError(kind)
    mask = np.zeros((SIDE, SIDE), dtype=bool)
    mask[SIDE - REGION:, SIDE - REGION:] = region
    return mask


def methods(have_opencv):
    out = {
        "single_image": lambda shape, seed: SingleImageImputer(region=CORNER, shape=shape,
                                                               random_state=seed),
        "nearest": lambda shape, seed: SingleImageImputer("nearest", region=CORNER, shape=shape),
        "biharmonic": lambda shape, seed: InpaintingImputer(shape=shape),
        "matrix_completion": lambda shape, seed: MatrixCompletionImputer(
            per_image=True, shape=shape, random_state=seed),
    }
    if have_opencv:
        out["ns"] = lambda shape, seed: InpaintingImputer(method="ns", shape=shape)
        out["telea"] = lambda shape, seed: InpaintingImputer(method="telea", shape=shape)
    return out


def run_case(photo, grayscale, kind, seed, factories, log=print):
    img = load_photo(photo, grayscale)
    shape = img.shape
    holes = np.broadcast_to(make_holes(kind, seed), shape)
    x = img.reshape(1, -1).copy()
    x[0, holes.ravel()] = np.nan
    rows = []
    for name, factory in factories.items():
        start = time.perf_counter()
        out = factory(shape, seed).fit_transform(x)
        seconds = time.perf_counter() - start
        err = out[0, holes.ravel()] - img.ravel()[holes.ravel()]
        rmse = float(np.sqrt(np.mean(err**2)))
        rows.append(dict(photo=photo, colour="gray" if grayscale else "colour", mask=kind,
                         seed=seed, method=name, rmse=rmse, seconds=seconds))
        log(f"{photo:9s} {rows[-1]['colour']:6s} {kind:7s} seed {seed} {name:17s} "
            f"RMSE {rmse:.4f}  {seconds:6.1f} s")
    return rows


def report(results, command):
    lines = ["# One photograph at a time: SingleImageImputer and classical inpainting", "",
             f"`{command}` ({platform_line()}).", "",
             "RMSE on the hidden pixels of one 256 x 256 photograph (values in [0, 1]), mean "
             "± std over the seeds; best per row in **bold**. See the script's docstring for "
             "the photos and the holes.", ""]
    table = results.groupby(["photo", "colour", "mask", "method"])["rmse"].agg(["mean", "std"])
    names = list(dict.fromkeys(results["method"]))
    lines += ["| photo | colour | holes | " + " | ".join(names) + " |",
              "|---|---|---|" + "---|" * len(names)]
    for (photo, colour, mask), part in table.groupby(level=[0, 1, 2], sort=False):
        part = part.droplevel([0, 1, 2])
        best = part["mean"].idxmin()
        cells = []
        for name in names:
            if name not in part.index:
                cells.append("")
                continue
            cell = format_pm(part.loc[name, "mean"], part.loc[name, "std"])
            cells.append(f"**{cell}**" if name == best else cell)
        lines.append(f"| {photo} | {colour} | {mask} | " + " | ".join(cells) + " |")
    # the criterion: SingleImageImputer against biharmonic, per case
    case = results.pivot_table(index=["photo", "colour", "mask", "seed"], columns="method",
                               values="rmse")
    if {"single_image", "biharmonic"} <= set(case.columns):
        wins = (case["single_image"] < case["biharmonic"])
        ratio = case["single_image"] / case["biharmonic"]
        lines += ["", f"SingleImageImputer below biharmonic in {int(wins.sum())} of "
                  f"{len(wins)} cases ({wins.mean():.0%}); mean RMSE "
                  f"{case['single_image'].mean():.4f} against {case['biharmonic'].mean():.4f} "
                  f"(ratio of means {case['single_image'].mean() / case['biharmonic'].mean():.3f}, "
                  f"median ratio per case {ratio.median():.3f})."]
        by_mask = ratio.groupby(level="mask").median()
        lines.append("Median ratio per kind of holes: "
                     + ", ".join(f"{k} {v:.3f}" for k, v in by_mask.items()) + ".")
    seconds = results.groupby("method")["seconds"].agg(["median", "max"])
    lines += ["", "Seconds per image (one thread): "
              + ", ".join(f"{m} median {r['median']:.2f}, max {r['max']:.2f}"
                          for m, r in seconds.iterrows()) + "."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", default=",".join(PHOTOS))
    parser.add_argument("--masks", default=",".join(MASKS))
    parser.add_argument("--colours", default="gray,colour")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--methods", help="only these methods")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    out = Path(tempfile.mkdtemp()) if args.quick else args.out
    out.mkdir(parents=True, exist_ok=True)
    csv = out / "single_image.csv"
    command = "python benchmarks/single_image.py " + " ".join(
        argv if argv is not None else sys.argv[1:])
    if args.report_only:
        results = pd.read_csv(csv)
    else:
        photos, colours, seeds = args.photos.split(","), args.colours.split(","), args.seeds
        if args.quick:
            photos, colours, seeds = photos[:1], ["gray"], "0"
        try:
            import cv2  # noqa: F401
            have_opencv = True
        except ImportError:
            have_opencv = False
        factories = methods(have_opencv)
        if args.methods:
            factories = {k: v for k, v in factories.items() if k in args.methods.split(",")}
        old = pd.read_csv(csv) if csv.exists() and not args.quick else None
        rows = []
        for photo in photos:
            for colour in colours:
                for kind in args.masks.split(","):
                    for seed in (int(s) for s in seeds.split(",")):
                        rows += run_case(photo, colour == "gray", kind, seed, factories)
                        new = pd.DataFrame(rows)
                        if old is not None:  # keep the rows this run did not redo
                            key = ["photo", "colour", "mask", "seed", "method"]
                            done = set(map(tuple, new[key].to_numpy()))
                            keep = [tuple(r) not in done for r in old[key].to_numpy()]
                            new = pd.concat([old[keep], new], ignore_index=True)
                        new.to_csv(csv, index=False)
        results = pd.read_csv(csv)
    (out / "single_image.md").write_text(report(results, command))
    print(f"wrote {out / 'single_image.md'}")


if __name__ == "__main__":
    main()
