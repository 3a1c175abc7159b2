"""
A table of numbers and categories: VSAE on a DataFrame
======================================================

The wine table (178 wines, 13 measurements scaled into [0, 1]) with its
cultivar as a categorical column (``"barolo"``, ``"grignolino"``,
``"barbera"``, a pandas ``category``), and a quarter of every column
missing at random, the cultivar included. :class:`~sklimpute.VSAEImputer`
takes the DataFrame as it is: the categorical column is one-hot encoded
inside the model, decoded with a softmax, and comes back as the most likely
category, in its own dtype; the numbers are decoded with squared error.

The baseline fills each numeric column with its mean and the cultivar with
its most frequent value (:class:`~sklearn.impute.SimpleImputer`, per
column type). Printed: the mean absolute error on the hidden numbers and
the share of wrongly imputed cultivars. The figures: the pattern of the
holes (:func:`~sklimpute.plotting.plot_missingness`) and, for both
imputers, the imputed values next to the observed ones
(:func:`~sklimpute.plotting.plot_imputed_distributions`): the mean
imputer's spike at the column mean and its one imputed cultivar, against
VSAE's spread of values and categories. Saves three PNG files in the folder
given as the first argument (the script's folder by default).

Run: ``python examples/mixed_type_table.py [OUTPUT_DIR]``
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer

from sklimpute import VSAEImputer
from sklimpute.datasets import load_tabular
from sklimpute.metrics import mae, pfc
from sklimpute.plotting import plot_imputed_distributions, plot_missingness

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
out_dir.mkdir(parents=True, exist_ok=True)

X, y = load_tabular("wine", as_frame=True)
cultivars = np.array(["barolo", "grignolino", "barbera"])
frame = X.assign(cultivar=pd.Categorical(cultivars[y], categories=cultivars))
numeric = list(X.columns)

rng = np.random.RandomState(0)
hidden = rng.rand(*frame.shape) < 0.25
frame_missing = frame.mask(hidden)  # NaN where hidden, the category dtype kept
print(frame_missing.dtypes.value_counts().to_string())

# %%
# The holes: every column, about a quarter of each.

plot_missingness(frame_missing, path=out_dir / "mixed_type_table_missingness.png")

# %%
# VSAE on the DataFrame, with the small-table settings of its method page
# (here with fewer epochs), and the per-type baseline.

vsae = VSAEImputer(epochs=100, warmup_epochs=20, beta=0.1, hide_rate=0.3, patience=None,
                   random_state=0).fit(frame_missing)
baseline = ColumnTransformer(
    [("numbers", SimpleImputer(strategy="mean"), numeric),
     ("category", SimpleImputer(strategy="most_frequent"), ["cultivar"])],
    verbose_feature_names_out=False,
).set_output(transform="pandas").fit(frame_missing)

num_hidden = hidden[:, :-1]
cat_hidden = hidden[:, -1]
for name, imp in {"mean / most frequent": baseline, "VSAE": vsae}.items():
    filled = imp.transform(frame_missing)
    error = mae(frame[numeric].to_numpy(), filled[numeric].to_numpy(float), num_hidden)
    wrong = pfc(frame[["cultivar"]].to_numpy(), filled[["cultivar"]].astype(object).to_numpy(),
                cat_hidden[:, None])
    print(f"{name:>22s}: MAE on the hidden numbers {error:.4f}, "
          f"wrong cultivars {wrong:.1%} of {cat_hidden.sum()}")

# %%
# Imputed next to observed, for four measurements and the cultivar.

# sphinx_gallery_thumbnail_number = 3

columns = ["alcohol", "flavanoids", "color_intensity", "proline", "cultivar"]
plot_imputed_distributions(baseline, frame_missing, columns=columns,
                           path=out_dir / "mixed_type_table_mean.png")
plot_imputed_distributions(vsae, frame_missing, columns=columns,
                           path=out_dir / "mixed_type_table_vsae.png")
