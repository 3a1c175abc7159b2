"""
Matrix completion on the digits: tune lam without labels, then compare
======================================================================

Hides 30% of the pixels of scikit-learn's digits at random, picks the
regularisation ``lam`` of :class:`sklimpute.MatrixCompletionImputer` by
``GridSearchCV`` on the imputer's own ``score`` (no labels needed), and compares
it, and the per-image variant, with mean and k-nearest-neighbour imputation on
held-out images. Saves ``digits_matrix_completion.png`` (original / with holes /
imputed) next to this script, or in the folder given as the first argument.

Run: ``python examples/digits_matrix_completion.py [OUTPUT_DIR]``
"""

import sys
from pathlib import Path

import numpy as np
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.model_selection import GridSearchCV, train_test_split

from sklimpute import MatrixCompletionImputer, make_missing
from sklimpute.datasets import load_digits
from sklimpute.metrics import mae
from sklimpute.plotting import plot_imputation_grid

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
out_dir.mkdir(parents=True, exist_ok=True)

X, _ = load_digits()
X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
X_train_missing, _ = make_missing(X_train, "mcar", 0.3, random_state=0)
X_test_missing, hidden = make_missing(X_test, "mcar", 0.3, random_state=1)

search = GridSearchCV(MatrixCompletionImputer(), {"lam": [0.5, 2.0, 5.0, 10.0, 20.0]}, cv=3)
search.fit(X_train_missing)
print("lam chosen without labels:", search.best_params_["lam"])

imputers = {
    "matrix completion": search.best_estimator_,
    "per-image MC": MatrixCompletionImputer(shape=(8, 8), per_image=True).fit(X_train_missing),
    "KNN": KNNImputer().fit(X_train_missing),
    "mean": SimpleImputer().fit(X_train_missing),
}
imputed = {name: imp.transform(X_test_missing) for name, imp in imputers.items()}
for name, X_imp in imputed.items():
    print(f"{name:>18s}: MAE on the hidden pixels {mae(X_test, X_imp, hidden):.4f}")

path = out_dir / "digits_matrix_completion.png"
plot_imputation_grid(X_test, X_test_missing, imputed, (8, 8), n_images=10, path=path)
