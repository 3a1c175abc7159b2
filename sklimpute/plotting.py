"""Figures for imputation results and diagnostics (matplotlib, no pyplot state).

Results: :func:`plot_imputation_grid` (images side by side) and
:func:`plot_error_vs_rate`. Diagnostics: :func:`plot_history` (a neural
imputer's losses per epoch), :func:`plot_imputed_distributions` (imputed
values next to observed ones, per column) and :func:`plot_missingness` (the
pattern of the holes).

The functions build a :class:`matplotlib.figure.Figure` directly, without
pyplot: they work under any backend, "Agg" included, never open a window, and
leave pyplot's figure list alone. They return the Figure; with ``path`` they
also save it (PNG unless the suffix of ``path`` names another format).
matplotlib is imported only when a function is called.
"""

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError

__all__ = [
    "plot_imputation_grid",
    "plot_error_vs_rate",
    "plot_history",
    "plot_imputed_distributions",
    "plot_missingness",
]

_DPI = 120


def _new_figure(figsize):
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def _save(fig, path):
    if path is not None:
        fig.savefig(path, dpi=_DPI)


def _as_2d(X, name, n_features):
    if isinstance(X, pd.DataFrame):
        X = X.to_numpy(dtype=float)
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2:
        X = X.reshape(X.shape[0], -1)
    if X.shape[1] != n_features:
        raise ValueError(
            f"{name} has {X.shape[1]} features per row, but shape implies "
            f"{n_features}."
        )
    return X


def _to_rgb(rows, shape, lo, span, hole_color=None):
    """Rows (n, d) -> RGB images (n, H, W, 3) in [0, 1]; NaN -> hole colour."""
    n = rows.shape[0]
    if len(shape) == 2:
        imgs = rows.reshape(n, 1, *shape)
    else:
        imgs = rows.reshape(n, *shape)
    holes = np.isnan(imgs).any(axis=1)  # (n, H, W)
    imgs = np.clip((np.nan_to_num(imgs, nan=lo) - lo) / span, 0.0, 1.0)
    if imgs.shape[1] == 1:
        imgs = np.repeat(imgs, 3, axis=1)
    rgb = np.moveaxis(imgs, 1, -1).copy()
    if hole_color is not None:
        rgb[holes] = hole_color
    return rgb


def plot_imputation_grid(X_true, X_missing, imputed, shape, *, n_images=8,
                         titles=None, path=None, hole_color=(1.0, 0.0, 0.0)):
    """Show original, masked and imputed images side by side.

    Rows of the grid, top to bottom: the original images, the images with
    holes (the missing pixels drawn in ``hole_color`` on the image), then one
    row per imputer. Columns are the first ``n_images`` rows of the data.
    All panels share one intensity scale, the range of the shown originals.

    Parameters
    ----------
    X_true : array-like of shape (n_samples, n_features)
        Complete images, one flattened image per row.
    X_missing : array-like of shape (n_samples, n_features)
        The same images with NaN at the missing pixels.
    imputed : array-like of shape (n_samples, n_features) or dict
        Imputed images: one array, or a dict ``name -> array`` for several
        imputers (one row each, in the dict's order).
    shape : tuple of int
        Image shape: ``(H, W)`` for grayscale, or ``(C, H, W)`` with ``C``
        equal to 1 (grayscale) or 3 (RGB); rows are flattened in C order, so
        channels first. For RGB a pixel is drawn as a hole when any of its
        channels is missing.
    n_images : int, default=8
        Number of images (columns) to show, at most ``n_samples``.
    titles : sequence of str, optional
        Row labels, one per row: ``2 + number of imputers`` of them. The
        default is ``"original"``, ``"with holes"``, then the dict's keys
        (or ``"imputed"`` for a single array).
    path : str or path-like, optional
        If given, save the figure there (PNG, dpi 120, unless the suffix
        names another format).
    hole_color : tuple of 3 floats, default=(1.0, 0.0, 0.0)
        RGB colour in [0, 1] of the missing pixels (red).

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure.

    Raises
    ------
    ValueError
        If ``shape`` is not ``(H, W)`` or ``(C, H, W)`` with ``C`` in
        {1, 3}, the arrays do not match it, or ``titles`` has the wrong
        length.

    Examples
    --------
    >>> import numpy as np
    >>> from sklimpute.plotting import plot_imputation_grid
    >>> rng = np.random.RandomState(0)
    >>> X = rng.rand(10, 64)
    >>> X_miss = np.where(rng.rand(10, 64) < 0.3, np.nan, X)
    >>> X_mean = np.where(np.isnan(X_miss), 0.5, X_miss)
    >>> fig = plot_imputation_grid(X, X_miss, {"mean": X_mean}, (8, 8),
    ...                            n_images=4)
    >>> len(fig.axes)  # 3 rows x 4 images
    12
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) not in (2, 3) or (len(shape) == 3 and shape[0] not in (1, 3)):
        raise ValueError(
            f"shape must be (H, W) or (C, H, W) with C in {{1, 3}}, got "
            f"{shape}."
        )
    n_features = int(np.prod(shape))
    X_true = _as_2d(X_true, "X_true", n_features)
    X_missing = _as_2d(X_missing, "X_missing", n_features)
    if isinstance(imputed, dict):
        if not imputed:
            raise ValueError("imputed is an empty dict.")
        imputed = {str(k): _as_2d(v, f"imputed[{k!r}]", n_features)
                   for k, v in imputed.items()}
    else:
        imputed = {"imputed": _as_2d(imputed, "imputed", n_features)}
    n_rows_data = {X_true.shape[0], X_missing.shape[0],
                   *(v.shape[0] for v in imputed.values())}
    n = min(n_rows_data)
    if int(n_images) < 1:
        raise ValueError(f"n_images must be at least 1, got {n_images}.")
    n = min(n, int(n_images))

    row_titles = ["original", "with holes", *imputed]
    if titles is not None:
        titles = [str(t) for t in titles]
        if len(titles) != len(row_titles):
            raise ValueError(
                f"titles needs {len(row_titles)} labels (original, with "
                f"holes and one per imputer), got {len(titles)}."
            )
        row_titles = titles

    shown = X_true[:n]
    lo = float(np.nanmin(shown))
    span = float(np.nanmax(shown)) - lo
    if not np.isfinite(span) or span <= 0:
        span = 1.0

    rows = [_to_rgb(X_true[:n], shape, lo, span),
            _to_rgb(X_missing[:n], shape, lo, span, hole_color)]
    rows += [_to_rgb(v[:n], shape, lo, span) for v in imputed.values()]

    H, W = shape[-2:]
    # inches per image: larger images get larger panels (up to 2.5x), and the
    # row labels get the width their longest one needs
    cell = 1.1 * min(max(H / 28, 1.0), 2.5)
    label_width = 0.4 + 0.1 * max(len(t) for t in row_titles)
    fig = _new_figure((cell * n * max(W / H, 0.5) + label_width, cell * len(rows)))
    axes = fig.subplots(len(rows), n, squeeze=False)
    for r, (images, label) in enumerate(zip(rows, row_titles)):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(images[c], interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center")
    _save(fig, path)
    return fig


def plot_error_vs_rate(results, *, metric="mae", path=None):
    """Plot imputation error against the missing rate, one line per method.

    Parameters
    ----------
    results : DataFrame
        Columns ``"method"``, ``"rate"`` and ``metric``; optionally
        ``f"{metric}_std"`` with the standard deviation, drawn as error
        bars. Without that column, several rows for the same method and
        rate (repeats) are averaged and their standard deviation is drawn.
    metric : str, default="mae"
        Name of the error column to plot.
    path : str or path-like, optional
        If given, save the figure there (PNG, dpi 120, unless the suffix
        names another format).

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure.

    Raises
    ------
    ValueError
        If a needed column is missing, or ``f"{metric}_std"`` is given with
        repeated (method, rate) rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklimpute.plotting import plot_error_vs_rate
    >>> results = pd.DataFrame({
    ...     "method": ["mean", "mean", "knn", "knn"],
    ...     "rate": [0.2, 0.5, 0.2, 0.5],
    ...     "mae": [0.20, 0.21, 0.10, 0.15],
    ... })
    >>> fig = plot_error_vs_rate(results, metric="mae")
    >>> len(fig.axes[0].get_lines()) >= 2
    True
    """
    if not isinstance(results, pd.DataFrame):
        results = pd.DataFrame(results)
    missing = [c for c in ("method", "rate", metric) if c not in results]
    if missing:
        raise ValueError(
            f"results lacks column(s) {missing}; it needs 'method', 'rate' "
            f"and {metric!r} (optionally {metric + '_std'!r})."
        )
    std_col = f"{metric}_std"
    has_std = std_col in results
    if has_std and results.duplicated(["method", "rate"]).any():
        raise ValueError(
            f"results has repeated (method, rate) rows and a {std_col!r} "
            f"column; give one row per method and rate."
        )

    fig = _new_figure((6.0, 4.0))
    ax = fig.add_subplot()
    for method, group in results.groupby("method", sort=False):
        if has_std:
            g = group.sort_values("rate")
            rate, mean = g["rate"].to_numpy(), g[metric].to_numpy(float)
            std = g[std_col].to_numpy(float)
        else:
            agg = group.groupby("rate")[metric].agg(["mean", "std"])
            rate, mean = agg.index.to_numpy(), agg["mean"].to_numpy(float)
            std = agg["std"].to_numpy(float)
            std = None if np.isnan(std).all() else np.nan_to_num(std)
        ax.errorbar(rate, mean, yerr=std, marker="o", capsize=3,
                    label=str(method))
    ax.set_xlabel("missing rate")
    ax.set_ylabel(metric.upper())
    ax.grid(True, alpha=0.3)
    ax.legend(title="method")
    _save(fig, path)
    return fig


# -- diagnostics ---------------------------------------------------------------

_LOSS_LABELS = {"train_loss": "training loss", "valid_loss": "validation loss"}


def _history_of(imp):
    """The per-epoch history of a fitted neural imputer (or a skorch History itself)."""
    if isinstance(imp, list):  # a skorch History, or a list of per-epoch dicts
        history, name = imp, "history"
    else:
        name = type(imp).__name__
        history = getattr(imp, "history_", None)
        if history is None:
            params = imp.get_params(deep=False) if hasattr(imp, "get_params") else {}
            if "epochs" in params:
                raise NotFittedError(
                    f"This {name} instance is not fitted yet: call fit before "
                    "plot_history (history_ is written by fit)."
                )
            raise ValueError(
                f"{name} has no training history (no history_ attribute): only the "
                "neural imputers, trained epoch by epoch, record their losses. "
                "Give plot_history a fitted neural imputer (VAEWLImputer, "
                "GAINImputer, ...) or a skorch History."
            )
    if len(history) == 0:
        raise ValueError(f"The history of {name} has no epoch to plot.")
    return history


def _per_epoch(history, key):
    """``key`` per epoch: the epoch's value, else the mean of its batches' values (NaN if none)."""
    values = []
    for row in history:
        if key in row:
            values.append(float(row[key]))
            continue
        batch = [b[key] for b in row.get("batches", ()) if key in b]
        values.append(float(np.mean(batch)) if batch else np.nan)
    return np.asarray(values)


def plot_history(imp, *, keys=None, ax=None, log_scale=False, path=None):
    """Plot a neural imputer's training and validation losses per epoch.

    Reads ``history_``, the skorch History that ``fit`` writes: one line
    per key, against the epoch number. A key recorded per batch only (as
    GAIN's discriminator loss ``d_loss``) is averaged over each epoch's
    batches.

    Parameters
    ----------
    imp : fitted neural imputer or skorch History
        An imputer with a ``history_`` (the subclasses of
        :class:`~sklimpute.DeepImputer`), or a History itself (a list of
        per-epoch dicts, such as ``net.history``).
    keys : sequence of str, optional
        The history's keys to draw. The default is ``"train_loss"`` and,
        when the imputer kept a validation share, ``"valid_loss"``.
    ax : matplotlib Axes, optional
        Draw into this Axes instead of a new figure.
    log_scale : bool, default=False
        Logarithmic y axis (for positive losses).
    path : str or path-like, optional
        If given, save the figure there (PNG, dpi 120, unless the suffix
        names another format).

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure (the one that holds ``ax`` when given).

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``imp`` is a neural imputer that is not fitted yet.
    ValueError
        If ``imp`` has no history (an imputer that is not trained by epochs,
        such as :class:`~sklimpute.MatrixCompletionImputer`), or a key is
        in no epoch.

    Examples
    --------
    >>> from sklimpute import VAEWLImputer, make_missing
    >>> from sklimpute.datasets import load_digits
    >>> from sklimpute.plotting import plot_history
    >>> X, _ = load_digits()
    >>> X_missing, _ = make_missing(X[:200], "mcar", 0.3, random_state=0)
    >>> imp = VAEWLImputer(epochs=3, random_state=0).fit(X_missing)
    >>> fig = plot_history(imp)
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['training loss', 'validation loss']
    """
    history = _history_of(imp)
    present = set().union(*(row.keys() for row in history))
    if keys is None:
        keys = [k for k in ("train_loss", "valid_loss") if k in present]
        if not keys:
            raise ValueError(
                "The history records no train_loss or valid_loss; name the keys to "
                f"draw with keys= (it has {sorted(present - {'batches'})})."
            )
    else:
        keys = [str(k) for k in ([keys] if isinstance(keys, str) else keys)]
    epochs = np.asarray([row.get("epoch", i + 1) for i, row in enumerate(history)])

    if ax is None:
        fig = _new_figure((6.0, 4.0))
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    for key in keys:
        values = _per_epoch(history, key)
        if np.isnan(values).all():
            raise ValueError(
                f"The history has no {key!r} in any epoch or batch; its keys are "
                f"{sorted(present - {'batches'})}."
            )
        ax.plot(epochs, values, marker="o" if len(epochs) <= 30 else None,
                markersize=3, label=_LOSS_LABELS.get(key, key))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    if log_scale:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.legend()
    _save(fig, path)
    return fig


def _missing(X, missing_values):
    """The boolean mask of the missing entries of X (array or DataFrame)."""
    is_nan = isinstance(missing_values, float) and np.isnan(missing_values)
    if isinstance(X, pd.DataFrame):
        return (X.isna() if is_nan else X == missing_values).to_numpy(dtype=bool)
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (one row per sample), got {X.ndim} dimension(s).")
    if is_nan:
        return pd.isna(X) if X.dtype.kind == "O" else np.isnan(X.astype(float))
    return X == missing_values


def plot_missingness(X, shape=None, *, max_rows=500, missing_values=np.nan, path=None):
    """Show where the holes are: by row and column, per column, and which go together.

    For a table, three panels: the rows x columns matrix of missing entries
    (black), the missing rate of each column, and the co-missingness: the
    correlation between the columns' missing indicators (1: always missing
    together, -1: never; blank for a column that is always or never
    missing). For images (``shape`` given), the mean missingness map (the
    share of images in which each pixel is missing, averaged over the
    channels) and the histogram of the images' missing rates.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Data with holes; with ``shape``, one flattened image per row.
    shape : tuple of int, optional
        ``(H, W)`` or ``(C, H, W)``: draw the image views instead of the
        table views.
    max_rows : int, default=500
        The most rows the matrix panel shows: beyond it, that many rows
        evenly spaced through the data (the other panels use every row).
    missing_values : float, int or np.nan, default=np.nan
        The placeholder of the holes.
    path : str or path-like, optional
        If given, save the figure there (PNG, dpi 120, unless the suffix
        names another format).

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure.

    Raises
    ------
    ValueError
        If ``X`` is not 2-D, is empty, or does not match ``shape``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklimpute import make_missing
    >>> from sklimpute.plotting import plot_missingness
    >>> X = np.random.RandomState(0).rand(100, 4)
    >>> X_missing, _ = make_missing(X, "mar", 0.3, random_state=0)
    >>> fig = plot_missingness(X_missing)
    >>> len(fig.axes)  # matrix, rates, co-missingness (and its colour bar)
    4
    >>> rates = [bar.get_height() for bar in fig.axes[1].patches]
    >>> np.allclose(rates, np.isnan(X_missing).mean(axis=0))
    True
    """
    mask = _missing(X, missing_values)
    n, d = mask.shape
    if n == 0 or d == 0:
        raise ValueError(f"X is empty (shape {mask.shape}).")
    if shape is not None:
        return _plot_missing_images(mask, shape, path)

    names = [str(c) for c in X.columns] if isinstance(X, pd.DataFrame) else [str(j) for j in range(d)]
    if int(max_rows) < 1:
        raise ValueError(f"max_rows must be at least 1, got {max_rows}.")
    rows = np.unique(np.linspace(0, n - 1, min(n, int(max_rows))).round().astype(int))
    fig = _new_figure((min(4.0 + 0.25 * d, 14.0) + 4.5, 4.5))
    ax_m, ax_r, ax_c = fig.subplots(1, 3, width_ratios=[1.2, 1.0, 1.0])

    ax_m.imshow(mask[rows].astype(float), aspect="auto", cmap="gray_r", vmin=0, vmax=1,
                interpolation="nearest")
    shown = "every row" if len(rows) == n else f"{len(rows)} of {n} rows, evenly spaced"
    ax_m.set_title(f"missing entries (black)\n{shown}")
    ax_m.set_xlabel("column")
    ax_m.set_ylabel("row" if len(rows) == n else "row (shown)")

    rate = mask.mean(axis=0)
    ax_r.bar(np.arange(d), rate, color="0.3")
    ax_r.set_ylim(0, 1)
    ax_r.set_title(f"missing rate per column (overall {mask.mean():.1%})")
    ax_r.set_xlabel("column")
    ax_r.set_ylabel("missing rate")
    ax_r.grid(True, axis="y", alpha=0.3)

    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(mask.T.astype(float)) if d > 1 else np.full((1, 1), np.nan)
    corr = np.atleast_2d(corr)
    im = ax_c.imshow(corr, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
    fig.colorbar(im, ax=ax_c, shrink=0.8, label="correlation of the missing indicators")
    ax_c.set_title("co-missingness")

    for ax in (ax_m, ax_r, ax_c):
        if d <= 30:
            ax.set_xticks(np.arange(d), names, rotation=90 if d > 6 else 0)
    if d <= 30:
        ax_c.set_yticks(np.arange(d), names)
    _save(fig, path)
    return fig


def _plot_missing_images(mask, shape, path):
    shape = tuple(int(s) for s in shape)
    if len(shape) not in (2, 3) or int(np.prod(shape)) != mask.shape[1]:
        raise ValueError(
            f"shape must be (H, W) or (C, H, W) with H * W (* C) equal to the "
            f"{mask.shape[1]} features of X, got {shape}."
        )
    images = mask.reshape(mask.shape[0], -1, *shape[-2:])  # (n, C, H, W)
    rate_map = images.mean(axis=(0, 1))
    fig = _new_figure((8.5, 3.8))
    ax_map, ax_hist = fig.subplots(1, 2)
    im = ax_map.imshow(rate_map, cmap="magma", vmin=0, vmax=max(float(rate_map.max()), 1e-12),
                       interpolation="nearest")
    fig.colorbar(im, ax=ax_map, shrink=0.8, label="missing rate")
    ax_map.set_title(f"mean missingness map ({mask.shape[0]} images)")
    ax_map.set_xticks([])
    ax_map.set_yticks([])
    per_image = mask.mean(axis=1)
    ax_hist.hist(per_image, bins=np.linspace(0, 1, 21), color="0.3")
    ax_hist.set_xlabel("share of the image missing")
    ax_hist.set_ylabel("images")
    ax_hist.set_title(f"missing rate per image (mean {per_image.mean():.1%})")
    ax_hist.grid(True, axis="y", alpha=0.3)
    _save(fig, path)
    return fig


def _is_categorical(X, j, imp):
    """Whether column j is drawn as categories: the imputer says so, or its dtype is not a number.

    Booleans are categories; pandas' numeric extension dtypes (Int64, Float64) are numbers.
    """
    flags = getattr(imp, "categorical_", None)
    if flags is not None and len(flags) == X.shape[1] and flags[j]:
        return True
    dtype = X.dtypes.iloc[j]
    kind = getattr(dtype, "kind", "O")
    if kind == "b":
        return True
    return not (kind in "iuf" or getattr(dtype, "_is_numeric", False))


def _imputed_frame(imp, X, frame):
    """``imp.transform(X)`` as a DataFrame with the columns of ``frame`` (checked to line up)."""
    out = imp.transform(X)
    d = frame.shape[1]
    if not isinstance(out, pd.DataFrame):
        out = pd.DataFrame(np.asarray(out))
    if out.shape[1] > d and getattr(imp, "add_indicator", False):
        out = out.iloc[:, :d]  # the indicator columns come last
    if out.shape != frame.shape:
        raise ValueError(
            f"{type(imp).__name__}.transform returned {out.shape[1]} columns for the "
            f"{d} of X (an entirely missing column dropped?): fit it with "
            "keep_empty_features=True, or plot the columns it keeps."
        )
    out.columns = frame.columns
    out.index = frame.index
    return out


def _select_columns(X, mask, columns, max_columns):
    if columns is None:
        holes = np.flatnonzero(mask.any(axis=0))
        if holes.size == 0:
            raise ValueError("X has no missing entry: there is nothing imputed to plot.")
        return [int(j) for j in holes[: int(max_columns)]]
    columns = [columns] if isinstance(columns, (str, int, np.integer)) else list(columns)
    names = list(X.columns)
    index = []
    for c in columns:
        if c in names:
            index.append(names.index(c))
        elif isinstance(c, (int, np.integer)) and 0 <= c < X.shape[1]:
            index.append(int(c))
        else:
            raise ValueError(f"columns: {c!r} is neither a column name of X nor a position in it.")
    return index


def plot_imputed_distributions(imp, X, *, columns=None, kind="hist", stat="density", bins=20,
                               max_columns=12, path=None):
    """Per column, the distribution of the imputed values next to the observed ones.

    Imputes ``X`` with the fitted ``imp`` and draws, for each chosen column,
    the values observed in ``X`` and the values the imputer put in its
    holes: histograms on shared bins (or kernel density estimates) for
    numbers, side-by-side bars for categories. An imputer that fills
    every hole with one value shows as a spike; one that keeps the spread
    of the data shows two similar shapes (on data missing completely at
    random they should agree; under MAR or MNAR they may rightly differ).

    Parameters
    ----------
    imp : fitted imputer
        Any fitted imputer with ``transform``, sklimpute's or
        scikit-learn's. Categorical DataFrame columns are drawn as
        categories (as :class:`~sklimpute.VSAEImputer` imputes them).
    X : array-like or DataFrame of shape (n_samples, n_features)
        Data with holes (NaN) that ``imp`` can transform.
    columns : sequence of str or int, optional
        The columns to draw, by name (DataFrames) or position. The default
        is the first ``max_columns`` columns that have a hole.
    kind : {"hist", "kde"}, default="hist"
        How numeric columns are drawn: histograms on bins shared by the two
        samples, or Gaussian kernel density estimates (a sample of fewer
        than two distinct values is drawn as a histogram).
    stat : {"density", "count"}, default="density"
        The height of a histogram bar or category bar: density (bars) and
        share (categories), so that samples of different sizes compare; or
        the number of values (a KDE is then scaled to the histogram's
        counts per bin).
    bins : int or sequence, default=20
        Histogram bins (numpy's ``histogram_bin_edges`` over both samples).
    max_columns : int, default=12
        The most columns drawn when ``columns`` is not given.
    path : str or path-like, optional
        If given, save the figure there (PNG, dpi 120, unless the suffix
        names another format).

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure, one panel per column, titled with the column's name and
        its number of imputed values.

    Raises
    ------
    ValueError
        If ``X`` has no hole, a column is unknown, ``kind`` or ``stat`` is
        not one of the choices, or the imputer's output does not line up
        with ``X``'s columns.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.impute import SimpleImputer
    >>> from sklimpute import make_missing
    >>> from sklimpute.plotting import plot_imputed_distributions
    >>> X = np.random.RandomState(0).randn(200, 3)
    >>> X_missing, _ = make_missing(X, "mcar", 0.2, random_state=0)
    >>> imp = SimpleImputer().fit(X_missing)
    >>> fig = plot_imputed_distributions(imp, X_missing, stat="count")
    >>> [ax.get_title() for ax in fig.axes]
    ['0 (52 imputed)', '1 (37 imputed)', '2 (31 imputed)']
    """
    if kind not in ("hist", "kde"):
        raise ValueError(f"kind must be 'hist' or 'kde', got {kind!r}.")
    if stat not in ("density", "count"):
        raise ValueError(f"stat must be 'density' or 'count', got {stat!r}.")
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype=float))
    mask = _missing(frame, np.nan)
    chosen = _select_columns(frame, mask, columns, max_columns)
    imputed = _imputed_frame(imp, X if isinstance(X, pd.DataFrame) else frame.to_numpy(), frame)

    n_rows = -(-len(chosen) // 4)  # at most 4 panels a row, rows as even as they can be
    n_cols = -(-len(chosen) // n_rows)
    fig = _new_figure((3.3 * n_cols, 2.8 * n_rows))
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    for ax in axes[len(chosen):]:
        ax.set_visible(False)
    for ax, j in zip(axes, chosen):
        holes = mask[:, j]
        observed = frame.iloc[~holes, j]
        filled = imputed.iloc[holes, j]
        if _is_categorical(frame, j, imp):
            _category_bars(ax, observed, filled, imp, j, stat)
        else:
            _numeric_panel(ax, observed.to_numpy(float), filled.to_numpy(float), kind, stat, bins)
        ax.set_title(f"{frame.columns[j]} ({int(holes.sum())} imputed)")
    axes[0].legend(fontsize="small")
    _save(fig, path)
    return fig


def _numeric_panel(ax, observed, filled, kind, stat, bins):
    both = np.concatenate([observed, filled])
    edges = np.histogram_bin_edges(both[np.isfinite(both)], bins=bins)
    for values, label, color in ((observed, "observed", "C0"), (filled, "imputed", "C1")):
        if values.size == 0:
            continue
        if kind == "kde" and np.unique(values).size >= 2:
            from scipy.stats import gaussian_kde

            grid = np.linspace(edges[0], edges[-1], 200)
            density = gaussian_kde(values)(grid)
            ax.plot(grid, density * (values.size * np.diff(edges).mean() if stat == "count" else 1.0),
                    color=color, label=label)
            ax.fill_between(grid, 0, ax.get_lines()[-1].get_ydata(), color=color, alpha=0.2)
        else:
            ax.hist(values, bins=edges, density=stat == "density", color=color, alpha=0.5,
                    label=label)
    ax.set_ylabel(stat)


def _category_bars(ax, observed, filled, imp, j, stat):
    known = getattr(imp, "categories_", None)
    if known is not None and len(known) > j and known[j] is not None:
        categories = list(known[j])
    else:
        categories = list(pd.unique(pd.concat([observed, filled]).dropna()))
        try:
            categories = sorted(categories)
        except TypeError:
            pass
    x = np.arange(len(categories))
    width = 0.4
    for values, label, color, shift in ((observed, "observed", "C0", -0.5),
                                        (filled, "imputed", "C1", 0.5)):
        counts = values.astype(object).value_counts()
        heights = np.array([counts.get(c, 0) for c in categories], dtype=float)
        if stat == "density" and heights.sum() > 0:
            heights /= heights.sum()
        ax.bar(x + shift * width, heights, width, color=color, alpha=0.8, label=label)
    ax.set_xticks(x, [str(c) for c in categories], rotation=45 if len(categories) > 4 else 0)
    ax.set_ylabel("share" if stat == "density" else "count")
