"""Markdown tables of benchmark results: ``mean ± std`` cells, the best per row in bold.

The writing half of the benchmark harness (:mod:`sklimpute.benchmark`, which
imports these functions and is where scripts find them): :func:`format_pm`
and :func:`pm` write a cell, :func:`markdown_table` a results frame pivoted
into rows and columns with the best method per row in bold, and
:func:`frame_markdown` any frame as it is.
"""

import numpy as np
import pandas as pd

__all__ = ["format_pm", "frame_markdown", "markdown_table", "pm"]


def format_pm(mean, std, digits=4):
    """``"0.0123 ± 0.0004"``; a lone value (no spread) without the ``±``.

    Examples
    --------
    >>> format_pm(0.01234, 0.0004), format_pm(0.5, float("nan"))
    ('0.0123 ± 0.0004', '0.5000')
    """
    if not np.isfinite(mean):
        return ""
    if std is None or not np.isfinite(std) or std == 0:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def pm(values, digits=4, ddof=1):
    """:func:`format_pm` of the mean and standard deviation of ``values``.

    ``ddof`` is numpy's (1: the sample standard deviation); one value is
    written alone.

    Examples
    --------
    >>> pm([0.1, 0.2, 0.3], digits=2), pm([0.25], digits=2)
    ('0.20 ± 0.10', '0.25')
    """
    values = np.asarray(values, dtype=float)
    std = values.std(ddof=ddof) if len(values) > 1 else np.nan
    return format_pm(values.mean() if len(values) else np.nan, std, digits)


def markdown_table(results, *, rows, columns="method", value="mae", best="min", digits=4,
                   column_order=None):
    """A Markdown table of ``value`` (mean ± std over seeds), the best of each row in bold.

    Parameters
    ----------
    results : DataFrame
        Rows of :func:`run_cells` (failed cells are shown by their status).
    rows : str or list of str
        Columns of ``results`` that make a table row (e.g. ``["data", "rate"]``).
    columns : str, default="method"
        The column whose values become the table's columns.
    value : str, default="mae"
    best : {"min", "max", None}, default="min"
    digits : int, default=4
    column_order : list or None
        Order (and selection) of the table's columns.

    Returns
    -------
    table : str

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"method": ["a", "b", "a", "b"], "rate": [0.2, 0.2, 0.2, 0.2],
    ...                    "seed": [0, 0, 1, 1], "mae": [1.0, 2.0, 1.2, 2.0]})
    >>> print(markdown_table(df, rows="rate"), end="")
    | rate | a | b |
    |---|---|---|
    | 0.2 | **1.1000 ± 0.1414** | 2.0000 |
    """
    rows = [rows] if isinstance(rows, str) else list(rows)
    df = results.copy()
    if "status" not in df:
        df["status"] = "ok"
    ok = df[df["status"] == "ok"]
    stats = ok.groupby(rows + [columns])[value].agg(["mean", "std"])
    failed = df[df["status"] != "ok"].groupby(rows + [columns])["status"].first()
    cols = column_order or list(dict.fromkeys(df[columns]))
    keys = list(dict.fromkeys(map(tuple, df[rows].itertuples(index=False))))
    lines = ["| " + " | ".join(rows + [str(c) for c in cols]) + " |", "|" + "---|" * (len(rows) + len(cols))]
    for key in keys:
        means = {c: stats["mean"].get(key + (c,), np.nan) for c in cols}
        finite = [m for m in means.values() if np.isfinite(m)]
        target = (min(finite) if best == "min" else max(finite)) if finite and best else None
        cells = []
        for c in cols:
            m = means[c]
            if np.isfinite(m):
                text = format_pm(m, stats["std"].get(key + (c,), np.nan), digits)
                cells.append(f"**{text}**" if m == target else text)
            else:
                cells.append(failed.get(key + (c,), ""))
        lines.append("| " + " | ".join([str(k) for k in key] + cells) + " |")
    return "\n".join(lines) + "\n"


def frame_markdown(frame, index=False):
    """A DataFrame as a Markdown table, its cells as they are (strings or ``str()``).

    Examples
    --------
    >>> import pandas as pd
    >>> print(frame_markdown(pd.DataFrame({"a": [1], "b": ["x"]})), end="")
    | a | b |
    |---|---|
    | 1 | x |
    """
    if index:
        frame = frame.reset_index()
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * frame.shape[1]]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines) + "\n"
