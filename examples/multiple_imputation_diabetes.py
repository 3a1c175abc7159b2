"""
Multiple imputation on the diabetes data: honest intervals
==========================================================

Hides 30% of the entries of scikit-learn's diabetes features at random,
imputes the ten features, then estimates the means of six of them and the
linear regression of disease progression on these six (age, sex, BMI, blood pressure, s5, s6; the
serum measurements s1-s4 are nearly collinear with s5 and one another, and
their coefficients are not identified well even on the complete data) three
ways:

* on the complete data (the reference, never available in practice);
* after a single imputation (``transform``), treating the filled values as
  if they had been measured: its intervals ignore that they were guessed;
* by multiple imputation: ``sample_imputations`` draws 20 completions, a
  regression is fitted on each, and :func:`sklimpute.fit_pooled` pools them
  with Rubin's rules, whose total variance adds the spread between the
  draws to the usual one.

On the means, a single imputation's intervals are too narrow (the filled
values count as measured); multiple imputation widens them. On the
regression coefficients the two come close: the filled values' lost
variance already widens a single imputation's intervals, and matrix
completion's draws add independent noise to each hole (its noise model,
see ``MatrixCompletionImputer.sample_imputations``), which pulls the
coefficients towards zero. Prints the pooled regression
table and the ratio of the interval widths, and saves
``multiple_imputation_diabetes.png`` (coefficients with 95% intervals) next
to this script, or in the folder given as the first argument.

Run: ``python examples/multiple_imputation_diabetes.py [OUTPUT_DIR]``
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_diabetes  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklimpute import MatrixCompletionImputer, fit_pooled, make_missing  # noqa: E402

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
out_dir.mkdir(parents=True, exist_ok=True)

data = load_diabetes()
X, y = data.data, data.target
X_missing, _ = make_missing(X, "mcar", 0.3, random_state=0)
used = [0, 1, 2, 3, 8, 9]  # the regression's features
names = [data.feature_names[j] for j in used]

# the outcome is a column of the imputation model (as multiple imputation
# asks), so that the filled features keep their relation with it
Xy_missing = np.column_stack([X_missing, y])
imputer = MatrixCompletionImputer(random_state=0).fit(Xy_missing)
draws = imputer.sample_imputations(Xy_missing, n_draws=20, random_state=0)[:, :, used]
single = imputer.transform(Xy_missing)[:, used]

# fit_pooled on identical copies is the ordinary analysis (no spread between them)
analyses = {
    # the mean of each feature, with the variance of a mean, var / n
    "feature means": dict(estimator=StandardScaler(), attribute="mean_",
                          variance=lambda est, X, y: est.var_ / len(X)),
    "regression coefficients": dict(estimator=LinearRegression()),
}
inputs = {
    "complete data": np.stack([X[:, used]] * 2),
    "single imputation": np.stack([single] * 2),
    "multiple imputation (20 draws)": draws,
}
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
for ax, (analysis, options) in zip(axes, analyses.items()):
    options = dict(options)
    estimator = options.pop("estimator")
    widths = {}
    for k, (label, data_k) in enumerate(inputs.items()):
        pooled = fit_pooled(estimator, data_k, y, **options)
        low, high = pooled.conf_int(0.95)
        widths[label] = high - low
        pos = np.arange(len(names)) + (k - 1) * 0.25
        ax.errorbar(pos, pooled.estimate, yerr=[pooled.estimate - low, high - pooled.estimate],
                    fmt="o", ms=3, capsize=3, label=label)
        if label.startswith("multiple") and analysis.startswith("regression"):
            print(pooled.to_frame(names).round(2).to_string())
    ratio = widths["multiple imputation (20 draws)"] / widths["single imputation"]
    print(f"{analysis}: 95% interval width, multiple / single imputation: "
          f"{np.round(ratio, 2).tolist()}")
    ax.set_xticks(np.arange(len(names)), names)
    ax.set_title(analysis)
    ax.axhline(0, color="grey", lw=0.5)
axes[0].set_ylabel("estimate (95% interval)")
axes[0].legend(fontsize=8)
fig.suptitle("Diabetes with 30% of the feature values missing")
fig.tight_layout()
fig.savefig(out_dir / "multiple_imputation_diabetes.png", dpi=120)
plt.close(fig)
