"""
Saving a fitted imputer and loading it elsewhere
================================================

Fit once, fill later data, on another machine: :meth:`~sklimpute.BaseImputer.save`
writes a fitted imputer to one file and :func:`sklimpute.load` reads it back,
on the device you name (a model fitted on a GPU loads on a machine without
one). The file is not a pickle: loading it runs no code from it (see
:ref:`saving`).

Here a :class:`~sklimpute.VAEWLImputer` is fitted on digits with holes,
saved, and loaded on the CPU; the loaded model fills new images exactly as
the fitted one did, bit for bit, draws the same multiple imputations from
the same seed, and keeps its training history, which
:func:`~sklimpute.plotting.plot_history` draws. From the command line the
same is ``sklimpute fit train.csv --method vaewl --save model.skl`` and
``sklimpute impute new.csv --model model.skl -o filled.csv``. Saves the
model file and two PNG files in the folder given as the first argument (the
script's folder by default).

Run: ``python examples/save_and_load.py [OUTPUT_DIR]``
"""

import sys
from pathlib import Path

import numpy as np

import sklimpute
from sklimpute import VAEWLImputer, make_missing
from sklimpute.datasets import load_digits
from sklimpute.plotting import plot_history, plot_imputation_grid

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
out_dir.mkdir(parents=True, exist_ok=True)

X, _ = load_digits()
X_train, X_new = X[:1500], X[1500:]
X_train_missing, _ = make_missing(X_train, "mcar", 0.3, random_state=0)
X_new_missing, _ = make_missing(X_new, "mcar", 0.3, random_state=1)

imputer = VAEWLImputer(epochs=20, random_state=0).fit(X_train_missing)
path = imputer.save(out_dir / "digits_vaewl.skl")
print(f"saved {path.name}: {path.stat().st_size / 1024:.0f} KiB")

# %%
# Later, anywhere: load it on the CPU and fill new data.

loaded = sklimpute.load(path, device="cpu")
print(loaded)
filled_before = imputer.transform(X_new_missing)
filled_after = loaded.transform(X_new_missing)
print("same imputations, bit for bit:", np.array_equal(filled_before, filled_after))
draws_before = imputer.sample_imputations(X_new_missing, n_draws=3, random_state=0)
draws_after = loaded.sample_imputations(X_new_missing, n_draws=3, random_state=0)
print("same draws from the same seed:", np.array_equal(draws_before, draws_after))

# %%
# The loaded model keeps its training history: losses per epoch.

plot_history(loaded, path=out_dir / "save_and_load_history.png")

# %%
# New images filled by the model that was fitted and by the one that was
# loaded: the same.

# sphinx_gallery_thumbnail_number = 2

plot_imputation_grid(X_new, X_new_missing, {"fitted": filled_before, "loaded": filled_after},
                     (8, 8), n_images=8, path=out_dir / "save_and_load.png")
