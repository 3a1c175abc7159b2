"""Mixed-type tables: every tabular imputer's PFC and numeric MAE at 30% MCAR.

Three tables that ship inside installed packages:

* ``phishing``: river's *Website Phishing* (1,250 rows): 7 three-valued
  features as pandas ``category`` columns, 2 two-valued ones and the label
  as ``boolean`` columns;
* ``solar_flare``: river's *Solar Flare* (1,066 rows): 3 letter-coded
  classes (strings) and 7 small integer codes, all categorical (the
  ``largest-spot-area`` column, constant, is dropped);
* ``wine_cultivar``: scikit-learn's wine (178 rows): 13 numeric features in
  their units and the cultivar as a ``category`` column.

A seeded 30% of the entries of every column is hidden (MCAR). Each imputer
is fitted on the table with holes and scored on the hidden entries: PFC
(share of wrong categories) over the categorical columns, and the MAE of the
numeric columns in units of each column's standard deviation. The baseline
fills the most frequent category and the numeric mean. One thread.

Peers (where installed; ``pip install miceforest==6.0.5 "lightgbm<4.7"``, the
``bench`` extra): miceforest on the DataFrame itself (LightGBM, categories
native; booleans passed as categories; 2 iterations, transductive), and a
missForest-style ``IterativeImputer(ExtraTreesRegressor(100 trees))`` on the
numbers and the ordinal codes of the categories, rounded back to the nearest
category (scikit-learn; 5 rounds).

Run: ``python benchmarks/mixed_types.py [--seeds 0 1] [--out benchmarks/results/mixed_types.md]``.
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd
import torch
from river.datasets import Phishing, SolarFlare
from sklearn.datasets import load_wine

from sklimpute import (GAINImputer, GaussianImputer, MatrixCompletionImputer, MisGANImputer, VAEImputer,
                       VAEWLImputer, VSAEImputer)
from sklimpute.categorical import categorical_mask


class MiceForestPeer:
    """miceforest on the DataFrame (categories native), transductive: ``fit`` keeps X."""

    def __init__(self, random_state=None, iterations=2):
        self.random_state, self.iterations = random_state, iterations

    def fit(self, X):
        self.categorical_ = categorical_mask(X)
        return self

    def transform(self, X):
        import miceforest as mf

        data = X.copy()
        booleans = [c for c in data.columns if str(data[c].dtype) in ("boolean", "bool")]
        for j, c in enumerate(data.columns):  # miceforest takes numbers and categories only
            if self.categorical_[j] and not isinstance(data[c].dtype, pd.CategoricalDtype):
                data[c] = data[c].astype(object).astype("category")
        data.columns = [f"c{j}" for j in range(data.shape[1])]  # names without special characters
        kernel = mf.ImputationKernel(data, random_state=self.random_state)
        kernel.mice(self.iterations)
        out = kernel.complete_data(dataset=0)
        out.columns = X.columns
        for c in booleans:
            out[c] = out[c].astype("boolean")
        return out


class ExtraTreesPeer:
    """missForest-style: IterativeImputer(ExtraTrees) on numbers and ordinal codes, codes rounded."""

    def __init__(self, random_state=None, max_iter=5):
        self.random_state, self.max_iter = random_state, max_iter

    def fit(self, X):
        self.categorical_ = categorical_mask(X)
        return self

    def transform(self, X):
        from sklearn.ensemble import ExtraTreesRegressor
        from sklearn.experimental import enable_iterative_imputer  # noqa: F401
        from sklearn.impute import IterativeImputer

        codes, levels = [], {}
        for j, c in enumerate(X.columns):
            col = X[c]
            if self.categorical_[j]:
                cats = pd.Categorical(col)
                levels[c] = cats.categories
                codes.append(np.where(cats.codes < 0, np.nan, cats.codes).astype(float))
            else:
                codes.append(col.to_numpy(dtype=float, na_value=np.nan))
        A = np.column_stack(codes)
        est = ExtraTreesRegressor(n_estimators=100, random_state=self.random_state, n_jobs=1)
        filled = IterativeImputer(estimator=est, max_iter=self.max_iter,
                                  random_state=self.random_state).fit_transform(A)
        out = X.copy()
        for j, c in enumerate(X.columns):
            if c in levels:
                k = np.clip(np.rint(filled[:, j]), 0, len(levels[c]) - 1).astype(int)
                values = pd.Series(levels[c][k], index=X.index).astype(X[c].dtype)
                out[c] = X[c].where(X[c].notna(), values)
            else:
                out[c] = filled[:, j]
        return out


IMPUTERS = {
    "most frequent / mean": None,
    "Gaussian": lambda s: GaussianImputer(random_state=s),
    "MatrixCompletion": lambda s: MatrixCompletionImputer(random_state=s),
    "GAIN": lambda s: GAINImputer(random_state=s, n_threads=1),
    "VAE-WL": lambda s: VAEWLImputer(random_state=s, n_threads=1),
    "VAE": lambda s: VAEImputer(random_state=s, n_threads=1),
    "VSAE": lambda s: VSAEImputer(random_state=s, n_threads=1, epochs=100, patience=20,
                                  validation_fraction=0.2),
    "MisGAN": lambda s: MisGANImputer(random_state=s, n_threads=1),
    "miceforest (peer)": lambda s: MiceForestPeer(random_state=s),
    "ExtraTrees IterativeImputer (peer)": lambda s: ExtraTreesPeer(random_state=s),
    # benchmarks/vsae.py's small-table settings ("VSAE tab")
    "VSAE tab": lambda s: VSAEImputer(random_state=s, n_threads=1, epochs=300, beta=0.01, hide_rate=0.3,
                                      unobserved_weight=0.0, batchnorm=False, fill="zeros", batch_size=32,
                                      patience=None, validation_fraction=0.0),
}


def load(name):
    if name == "phishing":
        rows = list(Phishing())
        df = pd.DataFrame([x for x, _ in rows])
        for c in df.columns:
            df[c] = df[c].astype("category") if df[c].nunique() > 2 else pd.array(df[c] > 0, dtype="boolean")
        df["is_phishing"] = pd.array([bool(y) for _, y in rows], dtype="boolean")
        return df
    if name == "solar_flare":
        df = pd.DataFrame([x for x, _ in SolarFlare()]).drop(columns="largest-spot-area")
        return df.astype({c: "category" for c in df.columns if df[c].dtype.kind in "iu"})
    data = load_wine(as_frame=True)
    df = data.data.copy()
    df["cultivar"] = pd.Categorical(np.array(["a", "b", "c"])[data.target])
    return df


def hide(df, rate, seed):
    holes = np.random.RandomState(seed).rand(*df.shape) < rate
    out = df.copy()
    for j in range(df.shape[1]):
        out.isetitem(j, df.iloc[:, j].mask(holes[:, j]))
    return out, holes


def baseline(dm, cat):
    out = dm.copy()
    for j, c in enumerate(dm.columns):
        col = dm[c]
        out[c] = col.fillna(col.mode()[0] if cat[j] else col.mean())
    return out


def scores(df, out, holes, cat):
    wrong = [np.asarray(out.iloc[:, j][holes[:, j]] != df.iloc[:, j][holes[:, j]]) for j in np.flatnonzero(cat)]
    pfc = float(np.concatenate(wrong).mean()) if wrong else np.nan
    errs = []
    for j in np.flatnonzero(~cat):
        truth = df.iloc[:, j].to_numpy(dtype=float)
        std = truth[~holes[:, j]].std()
        errs.append(np.abs(out.iloc[:, j].to_numpy(dtype=float) - truth)[holes[:, j]] / std)
    mae = float(np.concatenate(errs).mean()) if errs else np.nan
    return pfc, mae


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--tables", nargs="+", default=["phishing", "solar_flare", "wine_cultivar"])
    parser.add_argument("--imputers", nargs="+", default=list(IMPUTERS))
    parser.add_argument("--out", default=None)
    parser.add_argument("--append", action="store_true", help="add the rows to --out")
    args = parser.parse_args()
    torch.set_num_threads(1)
    lines = ["| table | imputer | PFC | numeric MAE (std units) | fit + transform s |", "|---|---|---|---|---|"]
    for table in args.tables:
        df = load(table)
        for name in args.imputers:
            res = []
            for seed in args.seeds:
                dm, holes = hide(df, args.rate, seed)
                t0 = time.perf_counter()
                if IMPUTERS[name] is None:
                    cat = categorical_mask(df)
                    out = baseline(dm, cat)
                else:
                    imp = IMPUTERS[name](seed)
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            out = imp.fit(dm).transform(dm)
                    except Exception as exc:  # a peer that fails on this table: reported, not fatal
                        print(f"{table} {name} seed {seed}: {type(exc).__name__}: {exc}", flush=True)
                        res.append((np.nan, np.nan, np.nan))
                        continue
                    cat = imp.categorical_
                res.append((*scores(df, out, holes, cat), time.perf_counter() - t0))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a table without numeric columns
                pfc, mae, sec = np.nanmean(np.array(res, dtype=float), axis=0)
            if np.isnan(sec):
                line = f"| {table} | {name} | error | error | - |"
            else:
                line = (f"| {table} | {name} | {pfc:.3f} | {'-' if np.isnan(mae) else f'{mae:.3f}'} "
                        f"| {sec:.1f} |")
            print(line, flush=True)
            lines.append(line)
    if args.out:
        head = (f"Mixed-type tables at {args.rate:.0%} MCAR, seeds {args.seeds} (mean), one thread; "
                "`python benchmarks/mixed_types.py`.\n\n")
        with open(args.out, "a" if args.append else "w") as fh:
            fh.write("\n".join(lines[2:]) + "\n" if args.append else head + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
