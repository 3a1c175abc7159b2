"""
A classifier on digits with holes: the imputer inside a Pipeline
================================================================

A :class:`~sklearn.pipeline.Pipeline` of an imputer and a logistic
regression, trained and tested on scikit-learn's 8x8 digits with pixels
missing at random in both the training and the test images. The imputer is
fitted on the training images only and fills the test images on its own,
as it would on new data. Compared: mean imputation
(:class:`~sklearn.impute.SimpleImputer`), k nearest neighbours, and two of
sklimpute's imputers, :class:`~sklimpute.MatrixCompletionImputer` and
:class:`~sklimpute.VAEWLImputer` (a VAE on the 64 pixels as a table, few epochs),
at three missing rates; the accuracy on the complete test images is the
reference.

The imputer decides how much accuracy the holes cost: the printed table and
the figure show which imputer keeps the classifier closest to the complete
data at each rate (the imputers that borrow from similar images gain most
when few pixels are missing; with most of each image gone, neighbours are
found from few shared pixels, a briefly trained model has little to learn
from, and either can do worse than the mean). Saves
``pipeline_digits_classifier.png`` (accuracy against the missing rate) in
the folder given as the first argument (the script's folder by default).

Run: ``python examples/pipeline_digits_classifier.py [OUTPUT_DIR]``
"""

import sys
from pathlib import Path

import pandas as pd
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklimpute import MatrixCompletionImputer, VAEWLImputer, make_missing
from sklimpute.datasets import load_digits
from sklimpute.plotting import plot_error_vs_rate

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
out_dir.mkdir(parents=True, exist_ok=True)

X, y = load_digits()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                    random_state=0)


def classifier():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


reference = classifier().fit(X_train, y_train).score(X_test, y_test)
print(f"accuracy on the complete images: {reference:.3f}")

# %%
# The imputer is the pipeline's first step: ``fit`` trains it on the
# training images with holes, ``score`` fills the test images with it.

imputers = {
    "mean": lambda: SimpleImputer(),
    "KNN": lambda: KNNImputer(),
    "matrix completion": lambda: MatrixCompletionImputer(lam=5.0),
    "VAE-WL": lambda: VAEWLImputer(epochs=30, random_state=0),
}
rows = []
for rate in (0.2, 0.4, 0.6):
    X_train_missing, _ = make_missing(X_train, "mcar", rate, random_state=1)
    X_test_missing, _ = make_missing(X_test, "mcar", rate, random_state=2)
    for name, make_imputer in imputers.items():
        pipe = make_pipeline(make_imputer(), classifier())
        pipe.fit(X_train_missing, y_train)
        accuracy = pipe.score(X_test_missing, y_test)
        rows.append({"method": name, "rate": rate, "accuracy": accuracy})
        print(f"{rate:.0%} missing, {name:>17s}: accuracy {accuracy:.3f}")

# %%
# Accuracy against the missing rate; the dotted line is the classifier on
# the complete images. An imputer's line above the mean's is accuracy it
# recovered from the pixels that were observed.

results = pd.DataFrame(rows)
fig = plot_error_vs_rate(results, metric="accuracy")
ax = fig.axes[0]
ax.axhline(reference, color="grey", linestyle=":", label="complete images")
ax.set_ylabel("test accuracy")
ax.legend(title="imputer")
fig.savefig(out_dir / "pipeline_digits_classifier.png", dpi=120)
print(results.pivot(index="rate", columns="method", values="accuracy").round(3).to_string())
