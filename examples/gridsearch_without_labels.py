"""
Tuning imputers without labels: GridSearchCV on the imputer's own score
=======================================================================

Data with holes rarely come with the answers. Every sklimpute imputer has a
label-free :meth:`~sklimpute.BaseImputer.score`: it hides a seeded 20% of
the *observed* entries of the validation fold, imputes them, and returns
minus their mean absolute error. So :class:`~sklearn.model_selection.GridSearchCV`
tunes an imputer, or chooses between imputers, from the incomplete data
alone: no labels, no scorer to write.

Here the breast cancer table (30 features, scaled into [0, 1]) loses 30% of
its entries at random. One grid search, on a one-step
:class:`~sklearn.pipeline.Pipeline` whose step is swapped by the grid,
compares :class:`~sklimpute.MatrixCompletionImputer` (its regularisation
``lam``) and :class:`~sklimpute.GAINImputer` (its reconstruction weight
``alpha``, few epochs). Because the holes were simulated, we can then check
the choice against the error on the entries that are really missing:
the figure plots each candidate's cross-validated score against that true
error. Saves ``gridsearch_without_labels.png`` in the folder given as the
first argument (the script's folder by default).

Run: ``python examples/gridsearch_without_labels.py [OUTPUT_DIR]``
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from sklimpute import GAINImputer, MatrixCompletionImputer, make_missing
from sklimpute.datasets import load_tabular
from sklimpute.metrics import mae

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
out_dir.mkdir(parents=True, exist_ok=True)

X, _ = load_tabular("breast_cancer")
X_missing, hidden = make_missing(X, "mcar", 0.3, random_state=0)

# %%
# The grid: a list of sub-grids, one per imputer. ``GridSearchCV`` calls
# ``Pipeline.score(X)``, which is the imputer's own ``score``: no ``y``.

grid = [
    {"impute": [MatrixCompletionImputer()], "impute__lam": [0.5, 2.0, 8.0, 32.0]},
    {"impute": [GAINImputer(epochs=30, random_state=0)], "impute__alpha": [1.0, 10.0, 100.0]},
]
search = GridSearchCV(Pipeline([("impute", MatrixCompletionImputer())]), grid, cv=3)
search.fit(X_missing)
print("chosen without labels:", search.best_params_)

# %%
# The check only simulated holes allow: each candidate refitted on all rows,
# and its error on the entries that were hidden.

results = pd.DataFrame(search.cv_results_["params"])
results["candidate"] = [
    f"{type(p['impute']).__name__.removesuffix('Imputer')} "
    + ", ".join(f"{k.split('__')[1]}={v}" for k, v in p.items() if k != "impute")
    for p in search.cv_results_["params"]
]
results["cv score"] = search.cv_results_["mean_test_score"]
results["true MAE"] = [
    mae(X, clone(search.estimator).set_params(**p).fit_transform(X_missing), hidden)
    for p in search.cv_results_["params"]
]
print(results[["candidate", "cv score", "true MAE"]].round(4).to_string(index=False))
best = int(np.argmax(results["cv score"]))
print(f"chosen: {results['candidate'][best]} (true MAE {results['true MAE'][best]:.4f}); "
      f"lowest true MAE: {results['candidate'][results['true MAE'].idxmin()]}")

# %%
# A score that ranks the candidates as their true error does puts them on a
# rising curve: the lower the error on re-hidden entries (the higher the
# score), the lower the error on the missing ones.

fig = Figure(figsize=(6.5, 4.5), layout="constrained")
ax = fig.add_subplot()
for name, group in results.groupby(results["candidate"].str.split().str[0]):
    ax.scatter(-group["cv score"], group["true MAE"], label=name)
    for i, (_, row) in enumerate(group.iterrows()):
        ax.annotate(row["candidate"].split(" ", 1)[1], (-row["cv score"], row["true MAE"]),
                    fontsize=7, xytext=(4, 4 if i % 2 else -10), textcoords="offset points")
ax.scatter(-results["cv score"][best], results["true MAE"][best], s=150, facecolors="none",
           edgecolors="k", label="chosen")
ax.set_xlabel("MAE on re-hidden observed entries (minus the CV score)")
ax.set_ylabel("MAE on the truly missing entries")
ax.legend()
ax.grid(True, alpha=0.3)
fig.savefig(out_dir / "gridsearch_without_labels.png", dpi=120)
