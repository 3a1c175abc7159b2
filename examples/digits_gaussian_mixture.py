"""
A mixture of Gaussians on the digits: one linear model per kind of digit
========================================================================

Hides 30% of the pixels of scikit-learn's 8 x 8 digits at random and imputes
held-out images with :class:`sklimpute.GaussianImputer` at its defaults: a
mixture of Gaussians whose number of components is chosen on a held-out
share of the observed pixels (``n_components="auto"``). Each component is a
multivariate normal with its own mean and covariance, in effect one linear
model per kind of digit; a hole is imputed with each component's conditional
mean, weighted by how well the component explains the pixels the image
shows. One Gaussian (``n_components=1``, a single linear model for every
digit) and :class:`~sklearn.impute.KNNImputer` are shown beside it.

Printed: the MAE on the hidden pixels and the seconds of each fit, and the
held-out error along the mixture's path of components. Saves
``digits_gaussian_mixture.png`` (original / with holes / imputed) and
``digits_gaussian_mixture_path.png`` (the held-out error against the number
of components) next to this script, or in the folder given as the first
argument.

Run: ``python examples/digits_gaussian_mixture.py [OUTPUT_DIR]``
"""

import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.impute import KNNImputer  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from sklimpute import GaussianImputer, make_missing  # noqa: E402
from sklimpute.datasets import load_digits  # noqa: E402
from sklimpute.metrics import mae  # noqa: E402
from sklimpute.plotting import plot_imputation_grid  # noqa: E402

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
out_dir.mkdir(parents=True, exist_ok=True)

X, _ = load_digits()
X_train, X_test = train_test_split(X, test_size=0.2, random_state=0)
X_train_missing, _ = make_missing(X_train, "mcar", 0.3, random_state=0)
X_test_missing, hidden = make_missing(X_test, "mcar", 0.3, random_state=1)

imputers = {
    "mixture (default)": GaussianImputer(shape=(8, 8), random_state=0),
    "one Gaussian": GaussianImputer(shape=(8, 8), n_components=1, random_state=0),
    "KNN": KNNImputer(),
}
imputed = {}
for name, imp in imputers.items():
    start = time.perf_counter()
    imp.fit(X_train_missing)
    seconds = time.perf_counter() - start
    imputed[name] = imp.transform(X_test_missing)
    print(f"{name:>18s}: MAE on the hidden pixels {mae(X_test, imputed[name], hidden):.4f}  "
          f"(fit {seconds:.1f} s)")

mixture = imputers["mixture (default)"]
print(f"components chosen: {mixture.n_components_}, ridge {mixture.ridge_:g}")
for k, err in zip(mixture.components_path_, mixture.components_errors_):
    print(f"  {k:2d} component(s): held-out error {err:.4f} (standardised pixels)")

plot_imputation_grid(X_test, X_test_missing, imputed, (8, 8), n_images=10,
                     path=out_dir / "digits_gaussian_mixture.png")

fig, ax = plt.subplots(figsize=(4.5, 3.2))
ax.plot(mixture.components_path_, mixture.components_errors_, "o-")
ax.axvline(mixture.n_components_, color="grey", linestyle=":", label="chosen")
ax.set_xscale("log", base=2)
ax.set_xticks(mixture.components_path_, [str(k) for k in mixture.components_path_])
ax.minorticks_off()
ax.set_xlabel("components")
ax.set_ylabel("held-out MAE (standardised)")
ax.legend()
fig.tight_layout()
fig.savefig(out_dir / "digits_gaussian_mixture_path.png", dpi=120)
plt.close(fig)
