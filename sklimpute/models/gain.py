"""Generative adversarial imputation networks: GAIN, and the game SpatialGAIN plays.

GAIN (Yoon, Jordon and van der Schaar, ICML 2018) imputes with a generator
``G`` that reads a row whose holes hold a little noise, and a discriminator
``D`` that, given the completed row and a *hint* about the mask, guesses
entry by entry which values were observed and which were imputed. The
generator is trained to fool ``D`` on the holes and to reproduce the observed
values (weight ``alpha``). SpatialGAIN (Young) keeps the game and makes both
players convolutional, with a *spatial* mask and hint (a pixel is missing in
all its channels) and a hint that reveals less of the mask as training goes.

The file reads top to bottom as the method:

1. GAIN's players (:class:`DenseGAINModule`);
2. the game (:class:`GAINNet`): noise in the holes, the hint, the
   discriminator's and the generator's losses, one optimizer each through
   :class:`~sklimpute.training.AdversarialNet`, and the validation loss of
   early stopping (imputation error on observed entries hidden from ``G``);
3. the imputers' shared base and :class:`GAINImputer`.

SpatialGAIN's convolutional players and its imputer,
:class:`~sklimpute.SpatialGAINImputer`, are in
:mod:`sklimpute.models.spatialgain`; its single-image ("zero-shot") mode,
:class:`~sklimpute.SingleImageImputer`, in :mod:`sklimpute.models.single_image`.
"""

import numbers
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from ..categorical import CATEGORICAL_FEATURES_CONSTRAINT, CategoricalMixin
from ..deep import DeepImputer
from ..nn import MLP, init_xavier
from ..training import (AUTO_IMAGE_HIDE_MAX, HIDE_PATTERNS, VALID_HIDE_RATE, AdversarialNet,
                        HidingMixin, hide_entries, hide_rate_from, hide_share_for)

__all__ = [
    "DenseGAINModule",
    "GAINImputer",
    "GAINNet",
    "draw_hint",
]

#: Upper bound of the uniform noise that fills the holes of ``G``'s input
#: (GAIN's code: ``U(0, 0.01)``).
NOISE = 0.01
#: ``hide_rate=None``: the data's missing rate, clipped to this range.
AUTO_HIDE_RATE_RANGE = (0.2, 0.5)


# --------------------------------------------------------------------------- #
# 1. The players
# --------------------------------------------------------------------------- #


class DenseGAINModule(nn.Module):
    """GAIN's generator or discriminator: an MLP of ``[a, b]`` (two rows of ``d``).

    The generator reads the row with noise in its holes and the mask, the
    discriminator the completed row and the hint; both have two hidden layers
    of ``hidden`` units (GAIN's code: ``d``) and ReLU, and Xavier
    initialisation.

    Parameters
    ----------
    n_features : int
    hidden : int or None, default=None
        Hidden width; None uses ``n_features``.
    out_activation : str or None, default=None
        ``"sigmoid"`` for the generator (values in [0, 1]); None for the
        discriminator, which returns logits.
    """

    def __init__(self, n_features, hidden=None, out_activation=None):
        super().__init__()
        h = int(hidden or n_features)
        self.mlp = init_xavier(MLP(2 * n_features, (h, h), n_features, out_activation=out_activation))

    def forward(self, a, b):
        return self.mlp(torch.cat([a, b], dim=1))


# --------------------------------------------------------------------------- #
# 2. The game
# --------------------------------------------------------------------------- #


def draw_hint(seen, rate, mode="code", n_channels=1, generator=None):
    """The hint ``h`` and the draw ``b`` it reveals (1: revealed).

    ``b`` is 1 with probability ``rate``, per entry (per pixel, all channels
    at once, with ``n_channels > 1``). ``mode="code"`` (GAIN's published code,
    SpatialGAIN's spatial hint): ``h = b * m``, the mask where revealed and 0
    elsewhere. ``mode="paper"`` (GAIN's paper): ``h = b * m + 0.5 (1 - b)``,
    0.5 meaning "no information".

    Examples
    --------
    >>> m = torch.tensor([[1.0, 0.0, 1.0, 0.0]])
    >>> h, b = draw_hint(m, 1.0)
    >>> h.tolist(), b.tolist()
    ([[1.0, 0.0, 1.0, 0.0]], [[1.0, 1.0, 1.0, 1.0]])
    >>> h, _ = draw_hint(m, 0.0, mode="paper")
    >>> h.tolist()
    [[0.5, 0.5, 0.5, 0.5]]
    """
    # revealing a ``rate`` share is hiding the other ``1 - rate`` of an all-ones mask
    b = hide_entries(torch.ones_like(seen), 1.0 - float(rate), n_channels, generator)
    h = b * seen if mode == "code" else b * seen + 0.5 * (1.0 - b)
    return h, b


class GAINNet(HidingMixin, AdversarialNet):
    """skorch net of the GAIN game: ``module`` is ``G``, ``discriminator`` is ``D``.

    Per batch (:meth:`generate`): a ``hide_rate`` share of the observed
    entries may be hidden from ``G`` (``seen``; 0 in GAIN); the holes get
    noise ``U(0, noise)``; ``G`` imputes; ``x_hat`` keeps the seen entries
    and takes ``G``'s values elsewhere; the hint reveals a share of ``seen``
    (``hint_rate * hint_decay ** epoch``).

    * ``D`` (:meth:`discriminator_loss`): binary cross-entropy of its logits
      against ``seen``, on every entry (``hint="code"``) or on the entries the
      hint did not reveal (``"paper"``).
    * ``G`` (:meth:`generator_loss`): ``-log D`` on the entries it imputed
      (same entries as ``D``'s loss; averaged over all of them, as GAIN's code
      does) plus ``alpha`` times the mean squared error on the known entries
      (the seen ones and the hidden-but-known ones).
    * The validation loss hides a share of the observed entries of the
      validation rows (the same entries every epoch) and is ``G``'s mean
      squared error on them: the imputation error that early stopping should
      watch, where the adversarial losses say little.
    """

    def __init__(
        self,
        module,
        *args,
        alpha=100.0,
        hint="code",
        hint_rate=0.9,
        hint_decay=1.0,
        hide_rate=0.0,
        valid_hide_rate=VALID_HIDE_RATE,
        hide_pattern="mcar",
        hide_share=1.0,
        noise=NOISE,
        n_channels=1,
        valid_seed=0,
        **kwargs,
    ):
        super().__init__(module, *args, **kwargs)
        self.alpha = alpha
        self.hint = hint
        self.hint_rate = hint_rate
        self.hint_decay = hint_decay
        self.hide_rate = hide_rate
        self.valid_hide_rate = valid_hide_rate
        self.hide_pattern = hide_pattern
        self.hide_share = hide_share
        self.noise = noise
        self.n_channels = n_channels
        self.valid_seed = valid_seed

    def current_hint_rate(self):
        """``hint_rate * hint_decay ** epoch`` (epoch counted from 0)."""
        epoch = max(len(self.history) - 1, 0)
        return float(self.hint_rate) * float(self.hint_decay) ** epoch

    def impute(self, x, seen, generator=None, noise=None):
        """``G``'s values for every entry; the holes of its input hold noise.

        ``noise=None`` draws ``U(0, self.noise)``; a number fills the holes
        with it (``transform`` uses the noise's mean).
        """
        if noise is None:
            z = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype) * self.noise
        else:
            z = torch.full_like(x, float(noise))
        return self.module_(seen * x + (1.0 - seen) * z, seen)

    def generate(self, batch, training):
        Xi, _ = batch
        x, mask = Xi["x"], Xi["mask"]
        seen = self.hide(mask)
        g = self.impute(x, seen)
        h, b = draw_hint(seen, self.current_hint_rate(), self.hint, self.n_channels)
        judged = torch.ones_like(b) if self.hint == "code" else 1.0 - b
        x_hat = seen * x + (1.0 - seen) * g
        return {"x": x, "mask": mask, "seen": seen, "g": g, "x_hat": x_hat, "h": h, "judged": judged}

    @staticmethod
    def _mean(values, weights):
        return (values * weights).sum() / weights.sum().clamp_min(1.0)

    def discriminator_loss(self, s):
        logits = self.discriminator_(s["x_hat"].detach(), s["h"])
        bce = F.binary_cross_entropy_with_logits(logits, s["seen"], reduction="none")
        return self._mean(bce, s["judged"])

    def generator_loss(self, s):
        logits = self.discriminator_(s["x_hat"], s["h"])
        # -log D(x_hat) on the imputed entries, averaged over the judged entries
        adversarial = self._mean(-F.logsigmoid(logits) * (1.0 - s["seen"]), s["judged"])
        reconstruction = self._mean((s["x"] - s["g"]) ** 2, s["mask"])
        return adversarial + self.alpha * reconstruction

    def validation_step(self, batch, **fit_params):
        return self.hidden_validation_step(batch)

    def impute_seen(self, x, seen, generator):
        """``G``'s values, noise from ``generator`` (the validation step's)."""
        return self.impute(x, seen, generator)


# --------------------------------------------------------------------------- #
# 3. The imputers
# --------------------------------------------------------------------------- #


_COMMON_DOC = """
    alpha : float >= 0, default={alpha}
        Weight of the reconstruction error of the known entries in the
        generator's loss. {alpha_note}
    hint : {{"code", "paper"}}, default="code"
        The hint mechanism. ``"code"`` (GAIN's published code, SpatialGAIN's
        spatial hint): ``h = b * m`` with ``b`` revealing a ``hint_rate``
        share of the mask; both losses use every entry. ``"paper"`` (GAIN's
        paper): ``h = b * m + 0.5 (1 - b)``, and the losses use only the
        entries the hint left at 0.5.
    hint_rate : float in [0, 1], default=0.9
        Share of the mask the hint reveals (at the first epoch).
    hint_decay : float in (0, 1], default={hint_decay}
        The revealed share is ``hint_rate * hint_decay ** epoch``. {decay_note}
    hide_rate : float in [0, 1){hide_none}, default={hide_rate}
        *Not in the papers (ours).* Share of the observed entries hidden
        from the generator in every training batch (filled with noise like
        the holes); the reconstruction term then scores ``G`` on entries it
        did not see, the way a denoising network learns to fill holes.
        0 is the papers' training: the holes are learned from the
        adversarial term only. {hide_note}
    hide_pattern : {{"data", "mcar"}}, default="data"
        *Ours.* Which observed entries a training (and validation) batch
        hides. ``"data"``: each row hides the entries another row of the
        batch misses (:func:`~sklimpute.training.hide_like_rows`), so the
        hidden entries look like the data's own holes: scattered pixels for
        scattered holes, a square for a missing square, the columns that miss
        under MAR; about the data's missing rate is hidden. A ``hide_rate``
        below it copies each of the other row's holes with probability
        ``hide_rate`` / missing rate (``hide_share_``), so that about
        ``hide_rate`` is hidden. ``"mcar"``: a random ``hide_rate`` share.
        Data without holes are always hidden the ``"mcar"`` way.
"""

_TRAINING_DOC = """
    epochs : int{epochs_auto}, default={epochs}
        Maximal number of epochs (mini-batches drawn without replacement,
        as SpatialGAIN does; GAIN's code draws 10,000 batches with
        replacement). An epoch is one pass over the training rows, or
        several passes (each in a new order) when one pass makes fewer than
        10 batches, so that ``epochs`` and ``patience`` stand for enough
        optimizer steps on small tables.{epochs_note}
    batch_size : int, default={batch_size}
        Mini-batch size of training; ``transform`` runs batches of at least
        ``TRANSFORM_BATCH_SIZE``.{batch_note}
    lr : float, default=1e-3
        Adam learning rate of both players (betas 0.9, 0.999).
    device : str, default="cpu"
        Torch device; "auto" picks CUDA when present.
    validation_fraction : float, default=0.1
        Share of the rows held out for early stopping. Its loss is the
        generator's squared error on a share of their observed entries,
        hidden from it (the same entries at every epoch): ``hide_rate``, or
        the data's missing rate when no entries are hidden in training, or
        0.2 when the data are complete.
    patience : int or None, default={patience}
        Epochs without improvement of the validation loss before stopping
        (the best epoch's weights are restored).{patience_note}
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks.
    n_threads : int or None, default=None
        Torch CPU threads during ``fit`` and ``transform`` (None: half the
        cores, at least one).
    missing_values : float, int or np.nan, default=np.nan
        The placeholder of missing entries.
    shape : None or tuple of int, default=None
        ``None``: rows are feature vectors. ``(H, W)`` or ``(C, H, W)``: each
        row is one image, flattened in C order (channels first).
    keep_empty_features : bool, default=False
        Keep (imputed with 0) features without observed values in ``fit``.
    add_indicator : bool, default=False
        Append a :class:`~sklearn.impute.MissingIndicator`.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, the validation split, the batches, the
        noise, the hints and the hiding of ``fit``.
    verbose : int, default=0
        1: a progress bar over the epochs; 2: skorch's epoch table (with the
        discriminator's loss, ``d_loss``, per batch in the history).
"""

_ATTRIBUTES_DOC = """
    net_ : GAINNet
        The fitted skorch net: ``net_.module_`` is the generator,
        ``net_.discriminator_`` the discriminator, ``net_.optimizer_`` and
        ``net_.optimizer_d_`` their optimizers.
    history_ : skorch History
        Per-epoch losses: ``train_loss`` (generator), ``valid_loss``
        (imputation error on hidden validation entries), and per batch
        ``d_loss``.
    n_epochs_ : int
        Number of epochs run.
    hide_pattern_ : {"data", "mcar"}
        How observed entries were hidden (``"mcar"`` when the data had no holes).
    hide_share_ : float
        With ``hide_pattern_="data"``: the probability that a batch copies a
        hole of another row (1 unless ``hide_rate_`` is below the missing rate).
    scaler_ : FeatureScaler
        The min-max scaling to [0, 1] (per feature; per channel for images).
    image_shape_ : None or tuple of int
        The image shape as ``(C, H, W)``, or None for tables.
    device_ : torch.device
        The device the nets live on.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen during ``fit``, when they are all strings.
"""


class _GAINBase(DeepImputer):
    """What GAIN and SpatialGAIN share: the game, scaling, imputation."""

    # both players end in a sigmoid / a probability: data in [0, 1]
    _scaling = "minmax"
    _batch_independent_transform = True  # eval mode, the holes hold the noise's mean
    # an epoch is at least this many batches (several passes over a small
    # table): GAIN's code counts batches, not passes, and with one batch per
    # epoch early stopping ended wine's training after ~25 steps
    _min_batches_per_epoch = 10

    _parameter_constraints = {
        **DeepImputer._parameter_constraints,
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "hint": [StrOptions({"code", "paper"})],
        "hint_rate": [Interval(numbers.Real, 0, 1, closed="both")],
        "hint_decay": [Interval(numbers.Real, 0, 1, closed="right")],
        "hide_rate": [Interval(numbers.Real, 0, 1, closed="left"), None],
        "hide_pattern": [StrOptions(set(HIDE_PATTERNS))],
    }

    def _players(self, n_features):  # pragma: no cover - abstract
        """``(generator class, generator kwargs, discriminator kwargs, n_channels)``."""
        raise NotImplementedError

    def _fit(self, X, observed):
        self.hide_pattern_ = self.hide_pattern if not observed.all() else "mcar"
        if self.hide_rate is None and self.hide_pattern_ == "data":  # as much as the data miss
            self.hide_rate_ = hide_rate_from(observed, 0.0)
        elif self.hide_rate is None:  # about as much as the data miss
            self.hide_rate_ = float(np.clip(hide_rate_from(observed, 0.0), *AUTO_HIDE_RATE_RANGE))
        else:
            self.hide_rate_ = float(self.hide_rate)
        if self.hide_rate is None and self.image_shape_ is not None:
            self.hide_rate_ = min(self.hide_rate_, AUTO_IMAGE_HIDE_MAX)
        self.hide_share_ = hide_share_for(self.hide_rate_, observed, self.hide_pattern_)
        self.valid_hide_rate_ = self.hide_rate_ or hide_rate_from(observed, VALID_HIDE_RATE)
        # a diverging game stops with a clear error (AdversarialNet skips
        # non-finite steps and raises when a whole epoch was skipped)
        return super()._fit(X, observed)

    def _build_net(self, n_features, **net_kwargs):
        player, g_kwargs, d_kwargs, n_channels = self._players(n_features)
        return GAINNet(
            player,
            discriminator=player,
            **{f"module__{k}": v for k, v in g_kwargs.items()},
            **{f"discriminator__{k}": v for k, v in d_kwargs.items()},
            optimizer_d=torch.optim.Adam,
            alpha=self.alpha,
            hint=self.hint,
            hint_rate=self.hint_rate,
            hint_decay=self.hint_decay,
            hide_rate=self.hide_rate_,
            valid_hide_rate=self.valid_hide_rate_,
            hide_pattern=self.hide_pattern_,
            hide_share=self.hide_share_,
            n_channels=n_channels,
            valid_seed=self._seed,
            iterator_train__min_batches=self._min_batches_per_epoch,
            **net_kwargs,
        )

    def _impute_batch(self, x, mask):
        # deterministic: the holes of G's input hold the noise's mean; the
        # data were scaled to [0, 1], which a residual generator may leave
        return self.net_.impute(x, mask, noise=self.net_.noise / 2).clamp(0.0, 1.0)

    def _sample_batch(self, x, mask):
        if getattr(self, "prefill", "noise") != "noise":
            raise ValueError(
                f"{type(self).__name__}(prefill={self.prefill!r}) cannot draw imputations: its "
                "generator reads a deterministic fill of the holes instead of noise, so every "
                "draw would be the same. Fit it with prefill='noise' for multiple imputation."
            )
        return self.net_.impute(x, mask).clamp(0.0, 1.0)


class GAINImputer(CategoricalMixin, _GAINBase):
    # the docstring shares its parameter text with SpatialGAIN's: an
    # assignment, since a concatenation is not a docstring
    __doc__ = """Generative adversarial imputation networks (GAIN).

    A generator ``G`` reads each row, its holes filled with noise
    ``U(0, 0.01)``, together with its mask, and proposes a value for every
    entry; the completed row keeps the observed values and takes ``G``'s in
    the holes. A discriminator ``D`` reads the completed row and a *hint*
    (part of the mask) and predicts, entry by entry, which values were
    observed. ``D`` is trained to be right, ``G`` to fool it on the holes and
    to reproduce the observed values (weight ``alpha``); at the equilibrium
    ``G`` draws from the distribution of the missing values given the
    observed ones. Both players are MLPs with two hidden layers of ``d``
    units (GAIN's code), data are min-max scaled to [0, 1], and the two
    players take turns, each with its own Adam optimizer.

    ``fit``/``transform`` is inductive: ``transform`` never trains. It fills
    the holes of ``G``'s input with the noise's mean (deterministic);
    :meth:`sample_imputations` draws the noise for multiple imputation.

    Parameters
    ----------
    hidden : int or None, default=None
        Width of the two hidden layers of both players (None: the number of
        features, as in GAIN's code).
    categorical_features : "auto", None or array-like of int, bool or str, default="auto"
        The categorical features of a table: "auto" (or None) finds them from
        a DataFrame's dtypes (``category``, strings, ``bool``, ``boolean``);
        names, indices or a mask add columns of numbers. The model sees each
        as a block of indicator columns and imputes the category of the
        block's largest value (:class:`~sklimpute.categorical.CategoricalMixin`).
""" + _COMMON_DOC.format(
        alpha=100.0,
        hide_none="",
        alpha_note="GAIN's published code uses 100 (SpatialGAIN used 10).",
        hint_decay=1.0,
        decay_note="1 keeps the hint fixed, as GAIN does.",
        hide_rate=0.0,
        hide_note="",
    ) + _TRAINING_DOC.format(epochs=300, batch_size=128, patience=20, epochs_auto="", batch_note="",
                             patience_note="",
                             epochs_note="") + """
    Attributes
    ----------
""" + _ATTRIBUTES_DOC + """    categorical_, categories_ : ndarray of bool, list of (ndarray or None)
        Which features are categorical, and the categories of each.

    See Also
    --------
    sklimpute.SpatialGAINImputer : GAIN with convolutional players, for images.

    Notes
    -----
    The discriminator returns logits and both losses are computed from them
    (``logsigmoid``, binary cross-entropy with logits) rather than from
    ``log(D + 1e-8)`` as in GAIN's code: the losses stay finite however sure
    ``D`` becomes. A step whose loss is still not finite is skipped; if a
    whole epoch is, ``fit`` stops with a ``FloatingPointError`` rather than
    leave NaN weights.

    References
    ----------
    .. [1] J. Yoon, J. Jordon and M. van der Schaar, "GAIN: Missing Data
       Imputation using Generative Adversarial Nets", ICML 2018.

    Examples
    --------
    >>> from sklimpute import GAINImputer, make_missing
    >>> from sklimpute.datasets import load_digits
    >>> X, _ = load_digits()
    >>> X_missing, hidden = make_missing(X[:300], "mcar", rate=0.2, random_state=0)
    >>> imp = GAINImputer(epochs=5, random_state=0).fit(X_missing)
    >>> imp.transform(X_missing).shape
    (300, 64)
    >>> imp.sample_imputations(X_missing[:4], n_draws=2, random_state=0).shape
    (2, 4, 64)
    """

    _parameter_constraints = {
        **_GAINBase._parameter_constraints,
        "categorical_features": CATEGORICAL_FEATURES_CONSTRAINT,
        "hidden": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        hidden=None,
        alpha=100.0,
        hint="code",
        hint_rate=0.9,
        hint_decay=1.0,
        hide_rate=0.0,
        hide_pattern="data",
        epochs=300,
        batch_size=128,
        lr=1e-3,
        device="cpu",
        validation_fraction=0.1,
        patience=20,
        callbacks=None,
        n_threads=None,
        categorical_features="auto",
        missing_values=np.nan,
        shape=None,
        keep_empty_features=False,
        add_indicator=False,
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            device=device,
            validation_fraction=validation_fraction,
            patience=patience,
            callbacks=callbacks,
            n_threads=n_threads,
            missing_values=missing_values,
            shape=shape,
            keep_empty_features=keep_empty_features,
            add_indicator=add_indicator,
            random_state=random_state,
            verbose=verbose,
        )
        self.categorical_features = categorical_features
        self.hidden = hidden
        self.alpha = alpha
        self.hint = hint
        self.hint_rate = hint_rate
        self.hint_decay = hint_decay
        self.hide_rate = hide_rate
        self.hide_pattern = hide_pattern

    def _players(self, n_features):
        g = dict(n_features=n_features, hidden=self.hidden, out_activation="sigmoid")
        d = dict(n_features=n_features, hidden=self.hidden, out_activation=None)
        return DenseGAINModule, g, d, 1


def __getattr__(name):
    if name == "DenseGAINNet":  # the torch module's former name (*Net is a skorch net)
        warnings.warn("sklimpute.models.gain.DenseGAINNet is deprecated: use DenseGAINModule.",
                      FutureWarning, stacklevel=2)
        return DenseGAINModule
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
