"""Rows of numeric and categorical features, as neural networks read and write them.

A network reads a row of mixed features as one *expanded* vector: every
numeric feature one value, every categorical feature (its codes ``0 .. K-1``,
:mod:`sklimpute.categorical`) a one-hot block of ``K`` values; columns may be
grouped into *modalities* (feature groups). :class:`Layout` says where each
feature and modality sits in that vector; :class:`MixedFeatures` gives a
torch module the per-feature likelihoods of its output (squared error or
binary cross-entropy for numeric features, softmax cross-entropy for
categorical ones) and the values it decodes to; :func:`resolve_modalities`
reads a ``modalities`` parameter. :class:`~sklimpute.VSAEImputer` is built
on them.
"""

import numbers

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["Layout", "MixedFeatures", "resolve_modalities"]


class Layout:
    """Where each feature and modality sits in the vector the networks read.

    Every numeric feature is one value, every categorical feature with ``K``
    categories a one-hot block of ``K`` values; their concatenation in column
    order is the *expanded* vector of width ``n_expanded``. A modality is a
    set of columns; its expanded entries, padded with zeros to the widest
    modality, form the input of its unimodal encoder.

    Parameters
    ----------
    cardinalities : sequence of int
        Per column: 0 for a numeric feature, the number of categories ``K >= 1``
        for a categorical one.
    modalities : sequence of sequences of int
        The columns of each modality (a partition of the columns).

    Examples
    --------
    >>> lay = Layout([0, 3, 0], [[0], [1, 2]])
    >>> lay.n_expanded, lay.n_modalities, lay.modality_width
    (5, 2, 4)
    """

    def __init__(self, cardinalities, modalities):
        card = np.asarray(cardinalities, dtype=np.int64)
        self.cardinalities = card
        self.modalities = [np.asarray(m, dtype=np.int64) for m in modalities]
        widths = np.where(card > 0, card, 1)
        self.offsets = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int64)
        self.n_features = len(card)
        self.n_expanded = int(widths.sum())
        self.n_modalities = len(self.modalities)
        self.numeric = np.flatnonzero(card == 0)
        self.categorical = np.flatnonzero(card > 0)
        # column of every expanded entry
        self.expanded_column = np.repeat(np.arange(self.n_features), widths)
        # expanded entries of each modality, padded with index n_expanded (a zero)
        entries = [np.concatenate([np.arange(self.offsets[c], self.offsets[c] + widths[c]) for c in m])
                   for m in self.modalities]
        self.modality_width = max(len(e) for e in entries)
        self.modality_entries = np.full((self.n_modalities, self.modality_width), self.n_expanded)
        for i, e in enumerate(entries):
            self.modality_entries[i, :len(e)] = e
        # columns of each modality, padded with index n_features (always observed)
        n_cols = max(len(m) for m in self.modalities)
        self.modality_columns = np.full((self.n_modalities, n_cols), self.n_features)
        for i, m in enumerate(self.modalities):
            self.modality_columns[i, :len(m)] = m
        self.column_modality = np.empty(self.n_features, dtype=np.int64)
        for i, m in enumerate(self.modalities):
            self.column_modality[m] = i
        # one-hot blocks of the categorical features, padded with index n_expanded
        k_max = int(card.max()) if len(self.categorical) else 1
        self.category_entries = np.full((len(self.categorical), k_max), self.n_expanded)
        for r, c in enumerate(self.categorical):
            self.category_entries[r, :card[c]] = self.offsets[c] + np.arange(card[c])


def resolve_modalities(modalities, d):
    """The columns of each modality (feature group) of ``d`` columns, as index arrays.

    Parameters
    ----------
    modalities : None, list of int or list of list of int
        None: one modality per column. A list of ints: consecutive groups of
        those sizes (summing to ``d``). A list of lists: the columns of each
        modality, every column in exactly one.
    d : int
        Number of columns.

    Examples
    --------
    >>> [m.tolist() for m in resolve_modalities([2, 1], 3)]
    [[0, 1], [2]]
    """
    mods = modalities
    if mods is None:
        return [np.array([j]) for j in range(d)]
    mods = list(mods)
    if mods and all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in mods):
        sizes = [int(s) for s in mods]
        if min(sizes) < 1 or sum(sizes) != d:
            raise ValueError(
                f"modalities={modalities!r} as group sizes must be positive and sum to the "
                f"number of features, {d}.")
        bounds = np.cumsum([0] + sizes)
        return [np.arange(a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    try:
        groups = [np.asarray(m, dtype=np.int64).ravel() for m in mods]
    except (TypeError, ValueError):
        groups = None
    if groups is None or not groups or any(len(g) == 0 for g in groups):
        raise ValueError(
            f"modalities={modalities!r} is neither a list of group sizes nor a list of "
            "non-empty lists of column indices.")
    flat = np.sort(np.concatenate(groups))
    if len(flat) != d or not np.array_equal(flat, np.arange(d)):
        raise ValueError(
            f"modalities as lists of column indices must use every one of the {d} columns "
            "exactly once.")
    return groups


class MixedFeatures:
    """Per-feature likelihoods and values of a torch module's expanded output.

    A mixin for an ``nn.Module`` that calls :meth:`register_layout` in its
    ``__init__`` and sets ``output`` (``"mse"``: numeric features decoded as
    means under squared error; ``"bce"``: as logits of a Bernoulli).
    """

    def register_layout(self, layout):
        """Keep ``layout`` and its index arrays as (non-persistent) buffers on the module's device."""
        self.layout = lay = layout
        for name in ("numeric", "categorical", "offsets", "expanded_column", "modality_entries",
                     "modality_columns", "column_modality", "category_entries"):
            self.register_buffer(name, torch.as_tensor(getattr(lay, name), dtype=torch.long), persistent=False)
        self.register_buffer("n_categories", torch.as_tensor(lay.cardinalities[lay.categorical]),
                             persistent=False)

    def _category_logits(self, out):
        """Logits ``(n, n_categorical, K_max)``, the padding at -1e9."""
        pad = out.new_full((out.shape[0], 1), -1e9)
        return torch.cat([out, pad], dim=1)[:, self.category_entries]

    def feature_nll(self, out, target):
        """Negative log-likelihood of every feature of ``target`` (``(n, n_features)``).

        Numeric: the squared error (``output="mse"``) or the binary
        cross-entropy of the logits (``"bce"``); categorical: the softmax
        cross-entropy of the code.
        """
        nll = out.new_zeros(target.shape)
        if len(self.numeric):
            pred, t = out[:, self.offsets[self.numeric]], target[:, self.numeric]
            if self.output == "bce":
                nll[:, self.numeric] = F.binary_cross_entropy_with_logits(
                    pred, t.clamp(0.0, 1.0), reduction="none")
            else:
                nll[:, self.numeric] = (pred - t) ** 2
        if len(self.categorical):
            logp = torch.log_softmax(self._category_logits(out), dim=-1)
            codes = target[:, self.categorical].round().long()
            codes = torch.minimum(codes.clamp_min(0), self.n_categories - 1)
            nll[:, self.categorical] = -logp.gather(-1, codes.unsqueeze(-1)).squeeze(-1)
        return nll

    def predictive_mean(self, outs):
        """Per-feature values from several decoder outputs ``(S, n, n_expanded)`` of the same rows.

        Numeric features: the mean of the ``S`` decoded means (sigmoid means
        for ``output="bce"``), the Monte Carlo estimate of ``E[x_j | x_o, m]``;
        categorical ones: the category of highest mean softmax probability
        (the mode of the predictive distribution).
        """
        values = outs.new_zeros(outs.shape[1], self.layout.n_features)
        if len(self.numeric):
            pred = outs[..., self.offsets[self.numeric]]
            values[:, self.numeric] = (torch.sigmoid(pred) if self.output == "bce" else pred).mean(dim=0)
        if len(self.categorical):
            probs = torch.softmax(self._category_logits(outs.flatten(0, 1)), dim=-1)
            probs = probs.view(outs.shape[0], outs.shape[1], *probs.shape[1:]).mean(dim=0)
            values[:, self.categorical] = probs.argmax(dim=-1).to(outs.dtype)
        return values

    def feature_values(self, out, sample=False):
        """Per-feature values from the decoder's output: means, and category codes.

        Categories are the most likely one, or (``sample=True``) a draw from
        the softmax.
        """
        values = out.new_zeros(out.shape[0], self.layout.n_features)
        if len(self.numeric):
            pred = out[:, self.offsets[self.numeric]]
            values[:, self.numeric] = torch.sigmoid(pred) if self.output == "bce" else pred
        if len(self.categorical):
            logits = self._category_logits(out)
            if sample:  # Gumbel-max draw
                u = torch.rand_like(logits).clamp_(1e-10, 1.0 - 1e-7)
                logits = logits - torch.log(-torch.log(u))
            values[:, self.categorical] = logits.argmax(dim=-1).to(out.dtype)
        return values
