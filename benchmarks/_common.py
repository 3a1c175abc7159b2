"""What the benchmark scripts share (run them from the repository root)."""

import pandas as pd


def kept_rows(path, ran, key):
    """The rows of an earlier run's CSV that this run does not repeat.

    Parameters
    ----------
    path : pathlib.Path
        The CSV; none yet gives an empty frame.
    ran : set
        The keys this run computes.
    key : callable
        ``key(frame)`` gives one hashable key per row (e.g. ``zip`` of columns).

    Returns
    -------
    frame : pandas.DataFrame
        The old rows whose key is not in ``ran``: a partial rerun replaces
        its own rows and keeps the others.
    """
    if not path.exists():
        return pd.DataFrame()
    old = pd.read_csv(path)
    return old[[k not in ran for k in key(old)]]
