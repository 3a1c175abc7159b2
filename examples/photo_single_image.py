"""
Zero-shot restoration of one photograph
=======================================

Loses 20% of the pixels of the bottom-right 32x32 corner of scikit-learn's
"china" photo (grayscale, reduced to 160x160) and fills them from that image
alone with :class:`sklimpute.SingleImageImputer` at its defaults (biharmonic
inpainting corrected by a ridge regression learned on the photo's own
pixels), biharmonic inpainting alone, SpatialGAIN's zero-shot mode (trained
on the crops that avoid the corner), its nearest-crop baseline, and
per-image matrix completion; prints the RMSE on the lost pixels and the
seconds, and saves
``photo_single_image.png`` (the corner's neighbourhood: original / with holes /
imputed) next to this script, or in the folder given as the first argument.

To stay quick (under a minute on one CPU core) the SpatialGAIN here
trains 8 epochs on crops taken every 8 pixels; ``estimator="spatialgain"``
trains 15 epochs on crops every 4 pixels (two to three minutes on one
core). The default takes a fraction of a second.

Run: ``python examples/photo_single_image.py [OUTPUT_DIR]``
"""

import sys
import time
from pathlib import Path

import numpy as np

from sklimpute import (
    InpaintingImputer,
    MatrixCompletionImputer,
    SingleImageImputer,
    SpatialGAINImputer,
    make_missing,
)
from sklimpute.datasets import load_sample_photo
from sklimpute.metrics import rmse
from sklimpute.plotting import plot_imputation_grid

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
out_dir.mkdir(parents=True, exist_ok=True)

# 427x640 -> average 2x2 blocks twice over the central square: 160x160
photo = load_sample_photo("china")[53:373, 160:480]
photo = photo.reshape(160, 2, 160, 2).mean(axis=(1, 3))
side, a = 160, 32

corner, _ = make_missing(photo[-a:, -a:].reshape(1, -1), "mcar", rate=0.2, random_state=0)
image = photo.copy()
image[-a:, -a:] = corner.reshape(a, a)
X = image.reshape(1, -1)  # one row per image
hidden = np.isnan(X)

imputers = {
    "default (residual)": SingleImageImputer(shape=(side, side), verbose=1),
    "biharmonic": InpaintingImputer(shape=(side, side)),
    "SpatialGAIN (zero-shot)": SingleImageImputer(
        SpatialGAINImputer(architecture="updown", prefill="noise", hide_rate=0.2, epochs=8),
        crop_stride=8, shape=(side, side), random_state=0, verbose=1),
    "nearest crop": SingleImageImputer("nearest", shape=(side, side)),
    "matrix completion": MatrixCompletionImputer(per_image=True, shape=(side, side)),
}
filled = {}
for name, imp in imputers.items():
    start = time.perf_counter()
    filled[name] = imp.fit_transform(X)
    seconds = time.perf_counter() - start
    print(f"{name:>24}: RMSE on the lost pixels "
          f"{rmse(photo.reshape(1, -1), filled[name], hidden):.4f} ({seconds:.1f} s)")

view = np.s_[-2 * a:, -2 * a:]  # the corner and its neighbourhood
crop = lambda Z: Z.reshape(side, side)[view].reshape(1, -1)  # noqa: E731
fig = plot_imputation_grid(crop(photo), crop(X), {k: crop(v) for k, v in filled.items()},
                           (2 * a, 2 * a), n_images=1, path=out_dir / "photo_single_image.png")
