"""Figures for imputation results (matplotlib, no pyplot state).

The functions build a :class:`matplotlib.figure.Figure` directly, without
pyplot: they work under any backend, "Agg" included, never open a window, and
leave pyplot's figure list alone. They return the Figure; with ``path`` they
also save it (PNG unless the suffix of ``path`` names another format).
matplotlib is imported only when a function is called.
"""

import numpy as np
import pandas as pd

__all__ = ["plot_imputation_grid", "plot_error_vs_rate"]

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
