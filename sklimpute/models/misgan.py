"""MisGAN: learning from incomplete data with generative adversarial networks.

MisGAN (Li, Jiang and Marlin, ICLR 2019) learns the distribution of
complete data from incomplete data without ever filling the holes of the
real data. Two generator/critic pairs play Wasserstein games with gradient
penalty: ``(G_m, D_m)`` on the masks, which are always fully observed, and
``(G_x, D_x)`` on the data, where the critic only ever sees data *masked*
by the operator ``f_tau(x, m) = x * m + tau * (1 - m)``: real rows masked
by their own masks, generated rows masked by generated masks. A third pair
``(G_i, D_i)`` learns to impute: ``G_i`` completes a real row (its observed
entries kept, noise ``omega`` in the holes of its input) so that ``D_i``
cannot tell its completions from ``G_x``'s samples.

The networks and the game (the generators, critics and imputer network, the
Wasserstein losses with gradient penalty, the generators' objectives) are in
:mod:`sklimpute.models.misgan_nets`, imported here; this file holds the
imputer, :class:`MisGANImputer`: its parameters, the networks it picks,
``transform`` (the mean of draws, shrunk towards the mean where the imputer
guesses) and the sampling of new rows and masks.
"""

import numbers
import warnings

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ..categorical import CATEGORICAL_FEATURES_CONSTRAINT, CategoricalMixin
from ..deep import DeepImputer
from ..scaling import observed_range
from ..training import (HIDE_PATTERNS, VALID_HIDE_RATE, hide_entries, hide_like_rows, hide_rate_from,
                        seeded)
from .misgan_nets import (RECONSTRUCTION_HIDE_RATE, ImputerModule, MisGANCritics, MisGANGenerators,
                          MisGANNet, critic, critic_loss, generator, gradient_penalty)

__all__ = [
    "ImputerModule",
    "MisGANCritics",
    "MisGANGenerators",
    "MisGANImputer",
    "MisGANNet",
    "binned_weights",
    "critic",
    "critic_loss",
    "generator",
    "gradient_penalty",
    "pixel_distances",
]

#: Largest single-channel image (in pixels) whose imputer is an MLP with
#: ``imputer="auto"``: the paper uses an MLP on MNIST and U-Nets on CIFAR-10
#: and CelebA.
MLP_IMPUTER_MAX_PIXELS = 32 * 32
#: Default ``imputation_draws``: draws of the imputer averaged by ``transform``.
IMPUTATION_DRAWS = 10
#: ``epochs="auto"``: about this many rows x epochs (30 epochs of 2,000
#: images, about 190 generator steps and, with ``reconstruction``, 940
#: imputer steps), within ``AUTO_EPOCHS``
AUTO_EPOCH_ROWS = 60_000
AUTO_EPOCHS = (30, 300)
#: ``epochs="auto"`` on data with less than this share of entries observed:
#: the epochs grow by ``AUTO_OBSERVED_SHARE / observed share`` (90% missing:
#: three times), so that the imputer sees as many observed entries as at 70%
AUTO_OBSERVED_SHARE = 0.3
#: Default ``hide_pattern``: which observed entries the reconstruction term hides.
HIDE_PATTERN = "mcar"
#: ``shrinkage="auto"``: rows of the training data (at most) on which the
#: shrinkage towards the mean is fitted, and the rows whose observed entries
#: give each column's mean and range
SHRINKAGE_ROWS = 2_000
STATISTICS_ROWS = 20_000
#: ``shrinkage="auto"`` on images: edges (in pixels) of the bins of a hole's
#: distance to the nearest observed pixel of its image; each bin has its own
#: shrinkage, and a bin needs ``SHRINKAGE_MIN_ENTRIES`` hidden entries
SHRINKAGE_DISTANCES = (0.0, 1.5, 2.5, 3.5, 5.0, 7.0, 10.0, np.inf)
SHRINKAGE_MIN_ENTRIES = 200


def pixel_distances(observed, shape):
    """Each entry's distance, in pixels, to the nearest observed pixel of its image.

    Parameters
    ----------
    observed : ndarray of bool, shape (n_images, C * H * W)
        True where an entry is observed; a pixel counts as observed when
        any of its channels is.
    shape : tuple (C, H, W)

    Returns
    -------
    distances : ndarray of shape (n_images, C * H * W)
        0 on observed pixels, the Euclidean distance to the nearest observed
        pixel of the same image elsewhere, ``inf`` in an image without any.

    Examples
    --------
    >>> import numpy as np
    >>> observed = np.array([[True, False, False, False], [False] * 4])
    >>> pixel_distances(observed, (1, 2, 2))
    array([[0.        , 1.        , 1.        , 1.41421356],
           [       inf,        inf,        inf,        inf]])
    """
    from scipy.ndimage import distance_transform_edt

    c, h, w = shape
    seen = np.asarray(observed, dtype=bool).reshape(-1, c, h, w).any(axis=1)
    # one transform for the whole stack: a step between images is longer
    # than any distance inside one, so each pixel finds its own image's
    far = float(h + w)
    dist = distance_transform_edt(~seen, sampling=(far, 1.0, 1.0)) if seen.any() \
        else np.full(seen.shape, np.inf)
    dist[dist >= far] = np.inf
    return np.repeat(dist[:, None], c, axis=1).reshape(len(seen), -1)


def binned_weights(distances, d, e, edges=SHRINKAGE_DISTANCES, min_entries=SHRINKAGE_MIN_ENTRIES):
    """The least-squares weight of ``d`` for ``e``, clipped to [0, 1], in each distance bin.

    Parameters
    ----------
    distances : ndarray of shape (n,)
        Each hidden entry's distance to the nearest seen pixel
        (:func:`pixel_distances`).
    d, e : ndarray of shape (n,)
        The imputer's fill and the true value, each minus the column's mean.
    edges : sequence of float, default=SHRINKAGE_DISTANCES
        The bins' edges, from 0 to ``inf``.
    min_entries : int, default=SHRINKAGE_MIN_ENTRIES
        Entries a bin needs for a weight of its own.

    Returns
    -------
    weights : ndarray of shape (len(edges) - 1,)
        ``<d, e> / <d, d>`` over each bin's entries, clipped to [0, 1]; NaN
        in a bin with fewer than ``min_entries`` entries or where ``d`` is 0.

    Examples
    --------
    >>> import numpy as np
    >>> e = np.random.RandomState(0).randn(400)
    >>> binned_weights(np.r_[np.ones(200), np.full(200, 20.0)], np.r_[e[:200], 0 * e[200:]], e,
    ...                edges=(0, 1.5, 10, np.inf), min_entries=100)
    array([ 1., nan, nan])
    """
    n_bins = len(edges) - 1
    idx = np.digitize(distances, edges[1:-1])
    de = np.bincount(idx, d * e, n_bins)
    dd = np.bincount(idx, d * d, n_bins)
    ok = (np.bincount(idx, minlength=n_bins) >= min_entries) & (dd > 0)
    weights = np.full(n_bins, np.nan)
    weights[ok] = np.clip(de[ok] / dd[ok], 0.0, 1.0)
    return weights


# --------------------------------------------------------------------------- #
# The imputer
# --------------------------------------------------------------------------- #


class MisGANImputer(CategoricalMixin, DeepImputer):
    """MisGAN: a mask generator, a data generator and an imputer, all adversarial.

    MisGAN learns a generator of *complete* data from incomplete data. The
    masks are fully observed, so a first Wasserstein GAN learns their
    distribution (``G_m``, ``D_m``). A second learns the data (``G_x``,
    ``D_x``), but its critic only sees masked rows: real rows masked by
    their own masks and generated rows masked by generated masks, with the
    operator ``f_tau(x, m) = x * m + tau * (1 - m)``; the mask generator
    also minimises ``alpha`` times the data loss. A third game trains the
    imputer ``G_i(x, m, omega)``, which keeps the observed entries and fills
    the holes from the row and noise ``omega ~ U(0, 1)``, so that its
    completions look like ``G_x``'s samples to a third critic; ``G_x`` in
    turn minimises ``beta`` times that game's loss. All critics are trained
    with gradient penalty, ``n_critic`` critic steps per generator step, and
    Adam with the WGAN-GP betas 0.5 and 0.9.

    ``transform`` returns the mean of ``imputation_draws`` seeded draws of
    the imputer (the same input gives the same output; one draw with
    ``imputation_draws=1``); :meth:`sample_imputations` returns single
    draws for multiple imputation, and :meth:`sample` draws complete rows
    and masks from the two generators.

    Ours, by default (the paper's values are listed in the docs' MisGAN
    page): the imputer's objective adds ``reconstruction`` times the squared
    error of the mean of a few draws on observed entries hidden from it (and
    the imputer takes a step on that term alone on each critic mini-batch), FC
    networks for one-channel images of at most 32 x 32 pixels, lr 1e-3 and
    ``epochs="auto"``.

    When to use it: when you want plausible *samples* of the holes
    (multiple imputation, a generative model of the data and of its masks)
    rather than the single best guess. Scored by squared error, a
    conditional-mean method (:class:`MatrixCompletionImputer`,
    :class:`SpatialGAINImputer`) is the better choice, most clearly at high
    missing rates; the paper's Conv-MisGAN needs a GPU.

    Parameters
    ----------
    architecture : {"auto", "conv", "fc"}, default="auto"
        ``"conv"`` (Conv-MisGAN, DCGAN-style generators and critics; needs
        ``shape``), ``"fc"`` (FC-MisGAN: generators FC(128, 256)-FC(256,
        512)-FC(512, d), critics FC(d, 512)-FC(512, 256)-FC(256,
        128)-FC(128, 1)). ``"auto"`` (ours; the paper uses conv on images):
        fc for tables and one-channel images of at most 32 x 32 pixels
        (where a conv critic step costs many times the FC one on a CPU,
        ``benchmarks/misgan_conv_profile.py``), conv for larger or colour
        images.
    alpha : float >= 0, default=0.2
        Weight of the data loss in the mask generator's objective (eq. 7).
    beta : float >= 0, default=0.1
        Weight of the imputer's loss in the data generator's objective
        (eq. 10).
    tau : float, default=0.0
        The fill value of the masking operator, in the scaled units (data
        are min-max scaled to [0, 1]).
    temperature : float in (0, 1], default=0.66
        ``lambda`` of the mask generator's sigmoid ``1 / (1 + exp(-h /
        lambda))``: a low temperature pushes masks towards 0 and 1.
    gradient_penalty : float >= 0, default=10.0
        Weight ``lambda`` of WGAN-GP's gradient penalty, for every critic.
    n_critic : int >= 1, default=5
        Critic steps per generator step (each on its own mini-batch of
        ``batch_size`` rows; an epoch is one pass over the rows, so it has
        ``n_rows / (n_critic * batch_size)`` generator steps).
    latent_dim : int, default=128
        Width of the generators' codes.
    width : int, default=64
        Base channel width of the convolutional generators, critics and
        U-Net (the DCGAN models of the paper: 64).
    imputer : {"auto", "mlp", "unet"}, default="auto"
        ``G^_i``'s network: an MLP with two hidden layers of
        ``imputer_hidden`` units (the paper's MNIST imputer) or a U-Net (the
        paper's CIFAR-10 and CelebA imputer). ``"auto"``: the MLP for tables
        and single-channel images of at most 32 x 32 pixels, else the U-Net.
    imputer_hidden : int, default=500
        Hidden width of the MLP imputer.
    betas : tuple of 2 float, default=(0.5, 0.9)
        Adam's betas for generators and critics (WGAN-GP's defaults).
    imputation_draws : int >= 1, default=10
        *Ours; the paper imputes with one draw.* ``transform`` fills each
        hole with the mean of this many draws of ``G_i(x, m, omega)`` (one
        vectorised pass over the repeated batch, seeded): the Monte Carlo
        estimate of the imputer's conditional mean, whose squared error is
        never above a single draw's in expectation. 1: one draw.
        :meth:`sample_imputations` always returns single draws. Acts in
        ``transform`` only (no refit).
    reconstruction : float >= 0, default=100.0
        *Ours; the paper: 0.* Weight of a term added to the imputer's
        objective: the squared error, on a fifth of the observed entries
        hidden from ``G_i``, of the mean of 4 draws. The mean is held to
        the data, not each draw, so the draws may spread around it. The
        imputer also takes a step on this term alone on each of the
        ``n_critic - 1`` critic mini-batches before the game's step, so every
        row trains it once per epoch (the game alone: one step per
        ``n_critic`` mini-batches). 0 trains the imputer by the adversarial
        loss alone (eq. 9), once per generator step, as the paper does.
    hide_pattern : {"data", "mcar"}, default="mcar"
        *Ours.* Which observed entries the ``reconstruction`` term (and the
        validation) hides: ``"mcar"``, a random fifth; ``"data"``, the
        entries another row of the batch misses
        (:func:`~sklimpute.training.hide_like_rows`), holes shaped like the
        data's own.
    shrinkage : float in [0, 1] or "auto", default="auto"
        *Ours; the paper: 0.* ``transform`` keeps the mean of the draws
        within each feature's observed range (in ``fit``), then moves it this
        share of the way towards the feature's observed mean. ``"auto"``: the
        least-squares share, fitted after training on observed entries of
        training rows hidden from the imputer: near 0 where the imputer beats
        the mean, near 1 where it only guesses, so that ``transform`` falls
        back on the mean there. On tables one share, on entries hidden as
        the ``reconstruction`` term hides them (``hide_pattern``). On images
        one share per bin of a hole's distance to the nearest observed pixel
        of its image (``shrinkage_distances_``): fitted on a random fifth of
        the observed entries hidden, and, for the distances those do not
        reach, on entries hidden where another image misses (far from any
        seen pixel when the data miss a region): pixels next to a seen one
        trust the imputer, pixels deep inside a missing square lean on the
        mean. :meth:`sample_imputations` returns the imputer's draws
        unchanged.
    epochs : int or "auto", default="auto"
        Number of epochs (MisGAN has no early stopping by default, as the
        adversarial losses do not measure quality). ``"auto"`` (ours; the
        paper: 300): ``AUTO_EPOCH_ROWS / n_train`` epochs (60,000 rows),
        times ``0.3 / s`` when a share ``s`` below 0.3 of the entries is
        observed (90% missing: three times as many), at least 30 and at most
        300.
    batch_size : int, default=64
        Rows of one critic step, and of ``transform``'s batches.
    lr : float, default=1e-3
        Adam's learning rate of every network (the paper: 1e-4).
    device : str, default="cpu"
        Torch device; "auto" picks CUDA when present.
    validation_fraction : float, default=0.0
        Share of the rows held out (the paper trains on all rows). With
        rows held out, ``valid_loss`` is the imputer's squared error on a
        share of their observed entries hidden from it (the data's missing
        rate, or 0.2 on complete data), and ``patience`` can stop on it.
    patience : int or None, default=None
        Epochs without improvement of the monitored loss before stopping;
        None trains all ``epochs``.
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks.
    n_threads : int or None, default=None
        Torch CPU threads during ``fit`` and ``transform`` (None: half the
        cores, at least one).
    categorical_features : "auto", None or array-like of int, bool or str, default="auto"
        The categorical features of a table: "auto" (or None) finds them from
        a DataFrame's dtypes (``category``, strings, ``bool``, ``boolean``);
        names, indices or a mask add columns of numbers. The model sees each
        as a block of indicator columns and imputes the category of the
        block's largest value (:class:`~sklimpute.categorical.CategoricalMixin`).
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
        Seeds the initialisation, the batches and every noise of ``fit``,
        and the noise of ``transform``.
    verbose : int, default=0
        1: a progress bar over the epochs; 2: skorch's epoch table (the
        three critics' losses ``d_mask``, ``d_data``, ``d_imputer`` are in
        the history per batch).

    Attributes
    ----------
    net_ : MisGANNet
        The fitted skorch net: ``net_.module_`` holds ``mask_generator``,
        ``data_generator`` and ``imputer``, ``net_.discriminator_`` the
        critics ``mask_critic``, ``data_critic``, ``imputer_critic``.
    history_ : skorch History
        Per epoch ``train_loss`` (the sum of the generators' objectives) and
        ``valid_loss`` when rows are held out; per batch the critics' losses.
    n_epochs_ : int
        Number of epochs run.
    architecture_ : str
        The architecture used ("conv" or "fc").
    shrinkage_ : float or ndarray of shape (n_bins,)
        The share of the way ``transform`` moves towards the mean: the
        ``shrinkage`` given, or the fitted one (on images with ``"auto"``,
        one per distance bin).
    shrinkage_distances_ : ndarray of shape (n_bins + 1,) or None
        The edges, in pixels, of the bins of a hole's distance to the
        nearest observed pixel of its image that ``shrinkage_`` is fitted
        on (:func:`~sklimpute.models.misgan.pixel_distances`); None: one share for every hole.
    fill_mean_, fill_range_ : ndarray
        Each model column's observed mean, and its observed minimum and
        maximum (rows 0 and 1), in the scaled space (at most 20,000 training
        rows).
    hide_pattern_ : str
        The hiding used ("mcar" when the data have no holes).
    imputer_ : str
        The imputer network used ("mlp" or "unet").
    scaler_ : FeatureScaler
        The min-max scaling to [0, 1] (per feature; per channel for images).
    image_shape_ : None or tuple of int
        The image shape as ``(C, H, W)``, or None for tables.
    device_ : torch.device
        The device the networks live on.
    categorical_, categories_ : ndarray of bool, list of (ndarray or None)
        Which features are categorical, and the categories of each.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    GAINImputer : a generator that imputes against an entry-wise discriminator.
    sklimpute.fid.fid_score : the paper's measure of imputation quality.

    Notes
    -----
    The three generators share one Adam optimizer and the three critics
    another: each network's parameters only receive the gradient of its own
    objective (the data loss reaches ``G_m`` through a pass with ``G_x``'s
    output detached, scaled by ``alpha``, and ``G_x`` through a pass with
    ``G_m``'s output detached), and Adam's update is per parameter, so this
    is the same as one optimizer each. A step with a non-finite loss is
    skipped; an epoch of only such steps stops ``fit`` with a
    ``FloatingPointError``.

    References
    ----------
    .. [1] S. C.-X. Li, B. Jiang and B. M. Marlin, "MisGAN: Learning from
       Incomplete Data with Generative Adversarial Networks", ICLR 2019.
    .. [2] I. Gulrajani, F. Ahmed, M. Arjovsky, V. Dumoulin and A. Courville,
       "Improved Training of Wasserstein GANs", NeurIPS 2017.

    Examples
    --------
    >>> from sklimpute import MisGANImputer, make_missing
    >>> from sklimpute.datasets import load_digits
    >>> X, _ = load_digits()
    >>> X_missing, _ = make_missing(X[:300], "mcar", rate=0.3, random_state=0)
    >>> imp = MisGANImputer(shape=(8, 8), width=8, epochs=2, random_state=0)
    >>> imp.fit(X_missing).transform(X_missing).shape
    (300, 64)
    >>> data, masks = imp.sample(5, random_state=0)
    >>> data.shape, masks.dtype
    ((5, 64), dtype('bool'))
    """

    _scaling = "minmax"

    #: transform draws the noise omega: the same draw at every call
    _random_transform = True

    _parameter_constraints = {
        **DeepImputer._parameter_constraints,
        "categorical_features": CATEGORICAL_FEATURES_CONSTRAINT,
        "architecture": [StrOptions({"auto", "conv", "fc"})],
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "beta": [Interval(numbers.Real, 0, None, closed="left")],
        "tau": [Interval(numbers.Real, None, None, closed="neither")],
        "temperature": [Interval(numbers.Real, 0, 1, closed="right")],
        "gradient_penalty": [Interval(numbers.Real, 0, None, closed="left")],
        "n_critic": [Interval(numbers.Integral, 1, None, closed="left")],
        "latent_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "width": [Interval(numbers.Integral, 1, None, closed="left")],
        "imputer": [StrOptions({"auto", "mlp", "unet"})],
        "imputer_hidden": [Interval(numbers.Integral, 1, None, closed="left")],
        "betas": [tuple, list],
        "imputation_draws": [Interval(numbers.Integral, 1, None, closed="left")],
        "epochs": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "reconstruction": [Interval(numbers.Real, 0, None, closed="left")],
        "hide_pattern": [StrOptions(set(HIDE_PATTERNS))],
        "shrinkage": [Interval(numbers.Real, 0, 1, closed="both"), StrOptions({"auto"})],
    }

    def __init__(
        self,
        *,
        architecture="auto",
        alpha=0.2,
        beta=0.1,
        tau=0.0,
        temperature=0.66,
        gradient_penalty=10.0,
        n_critic=5,
        latent_dim=128,
        width=64,
        imputer="auto",
        imputer_hidden=500,
        betas=(0.5, 0.9),
        imputation_draws=IMPUTATION_DRAWS,
        reconstruction=100.0,
        hide_pattern=HIDE_PATTERN,
        shrinkage="auto",
        epochs="auto",
        batch_size=64,
        lr=1e-3,
        device="cpu",
        validation_fraction=0.0,
        patience=None,
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
        self.architecture = architecture
        self.alpha = alpha
        self.beta = beta
        self.tau = tau
        self.temperature = temperature
        self.gradient_penalty = gradient_penalty
        self.n_critic = n_critic
        self.latent_dim = latent_dim
        self.width = width
        self.imputer = imputer
        self.imputer_hidden = imputer_hidden
        self.betas = betas
        self.imputation_draws = imputation_draws
        self.reconstruction = reconstruction
        self.hide_pattern = hide_pattern
        self.shrinkage = shrinkage

    def _resolve_networks(self):
        shape = self.image_shape_
        architecture = self.architecture
        if architecture == "conv" and shape is None:
            raise ValueError(
                "architecture='conv' needs images: pass shape=(H, W) or (C, H, W), or use "
                "architecture='fc' for tables."
            )
        imputer = self.imputer
        small = shape is None or (shape[0] == 1 and shape[1] * shape[2] <= MLP_IMPUTER_MAX_PIXELS)
        if architecture == "auto":
            architecture = "fc" if small else "conv"
        if imputer == "auto":
            imputer = "mlp" if small else "unet"
        if imputer == "unet" and shape is None:
            raise ValueError("imputer='unet' needs images: pass shape, or use imputer='mlp'.")
        betas = tuple(float(b) for b in self.betas)
        if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"betas must be two numbers in [0, 1), got {self.betas!r}.")
        return architecture, imputer, betas

    def _max_epochs(self, n_samples):
        if self.epochs != "auto":
            return self.epochs
        n_train = n_samples - int(np.floor(n_samples * float(self.validation_fraction)))
        sparse = max(1.0, AUTO_OBSERVED_SHARE / max(getattr(self, "_observed_share", 1.0), 1e-3))
        return int(np.clip(round(AUTO_EPOCH_ROWS / max(n_train, 1) * sparse), *AUTO_EPOCHS))

    def _fit(self, X, observed):
        self.architecture_, self.imputer_, self._betas = self._resolve_networks()
        self.valid_hide_rate_ = hide_rate_from(observed, VALID_HIDE_RATE)
        self.hide_pattern_ = self.hide_pattern if not observed.all() else "mcar"
        self._observed_share = float(np.mean(observed))  # epochs="auto" on sparse data
        # a diverging game stops with a clear error (AdversarialNet skips
        # non-finite steps and raises when a whole epoch was skipped)
        super()._fit(X, observed)
        self._fit_shrinkage(X, observed)
        return self

    def _rows(self, X, observed, n_rows, seed):
        """A seeded sample of at most ``n_rows`` rows of the training data, and its mask."""
        n = X.shape[0]
        idx = np.sort(np.random.RandomState(seed).permutation(n)[:n_rows])
        if hasattr(X, "rows"):  # a RowReader: data read from disk
            return X.rows(idx)
        return np.asarray(X[idx], dtype=np.float64), np.asarray(observed[idx], dtype=bool)

    def _fit_shrinkage(self, X, observed):
        """Each column's observed mean and range, and how far ``transform`` shrinks to the mean.

        The shrinkage is fitted on observed entries of training rows hidden
        from the imputer: with ``d`` the imputer's mean of draws minus the
        column mean and ``e`` the true value minus the column mean, the
        weight of the imputer is ``<d, e> / <d, d>`` clipped to [0, 1], the
        least-squares weight; the shrinkage is one minus it.

        On tables one weight, on entries hidden the way the
        ``reconstruction`` term hides them (``hide_pattern``). On images one
        weight per bin of a hole's distance to the nearest observed pixel
        (``SHRINKAGE_DISTANCES``), from two sets of hidden entries: a random
        fifth of the observed ones (scattered holes, near an observed
        pixel), and the entries another row misses (holes shaped like the
        data's: far from any seen pixel when the data miss a region). A bin
        takes its weight from the scattered set when that set has
        ``SHRINKAGE_MIN_ENTRIES`` entries in it, else from the data-shaped
        set, else from the nearest bin that has one.
        """
        Xs, obs = self._rows(X, observed, STATISTICS_ROWS, self._seed)
        self.fill_mean_ = np.where(obs, Xs, 0.0).sum(axis=0) / np.maximum(obs.sum(axis=0), 1)
        self.fill_range_ = np.stack(observed_range(Xs, obs, None))  # per feature, not per channel
        self.shrinkage_distances_ = None
        if self.shrinkage != "auto":
            self.shrinkage_ = float(self.shrinkage)
            return
        Xs, obs = self._rows(X, observed, SHRINKAGE_ROWS, self._seed + 1)
        self.shrinkage_ = 0.0  # the imputer's own mean of draws, clipped to the range
        mask = torch.as_tensor(obs, dtype=torch.float32)
        shape = self.image_shape_
        if shape is None:
            with seeded(self._seed + 1):
                seen = self.net_.hide(mask).numpy().astype(bool)
            d, e, _ = self._hidden_errors(Xs, obs, seen)
            dd = float(d @ d)
            self.shrinkage_ = 1.0 - (float(np.clip((d @ e) / dd, 0.0, 1.0)) if dd > 0 else 1.0)
            return
        weights = []
        with seeded(self._seed + 1):
            hides = [hide_entries(mask, RECONSTRUCTION_HIDE_RATE, shape[0]), hide_like_rows(mask)]
        for seen in hides:
            d, e, dist = self._hidden_errors(Xs, obs, seen.numpy().astype(bool))
            weights.append(binned_weights(dist, d, e))
        w = np.where(np.isnan(weights[0]), weights[1], weights[0])
        if np.isnan(w).all():
            w[:] = 1.0  # nothing to fit on: the imputer as it is
        for i in range(len(w) - 2, -1, -1):  # a bin without entries: the next farther bin's
            w[i] = w[i + 1] if np.isnan(w[i]) else w[i]
        for i in range(1, len(w)):  # past the farthest fitted bin: the nearer one's
            w[i] = w[i - 1] if np.isnan(w[i]) else w[i]
        self.shrinkage_ = 1.0 - w
        self.shrinkage_distances_ = np.asarray(SHRINKAGE_DISTANCES, dtype=float)

    def _hidden_errors(self, Xs, obs, seen):
        """``d``, ``e`` and the distances (images) of the entries of ``obs`` hidden by ``seen``."""
        filled = self._impute(np.where(seen, Xs, 0.0), seen)
        hidden = obs & ~seen
        dist = None if self.image_shape_ is None else pixel_distances(seen, self.image_shape_)[hidden]
        return (filled - self.fill_mean_)[hidden], (Xs - self.fill_mean_)[hidden], dist

    def _build_net(self, n_features, **net_kwargs):
        shape = self.image_shape_
        return MisGANNet(
            MisGANGenerators,
            discriminator=MisGANCritics,
            module__n_features=n_features,
            module__shape=shape,
            module__architecture=self.architecture_,
            module__latent_dim=self.latent_dim,
            module__width=self.width,
            module__temperature=self.temperature,
            module__imputer=self.imputer_,
            module__imputer_hidden=self.imputer_hidden,
            discriminator__n_features=n_features,
            discriminator__shape=shape,
            discriminator__architecture=self.architecture_,
            discriminator__width=self.width,
            optimizer__betas=self._betas,
            optimizer_d=torch.optim.Adam,
            optimizer_d__betas=self._betas,
            n_critic=self.n_critic,
            iterator_train__batch_size=self.batch_size * self.n_critic,
            alpha=self.alpha,
            beta=self.beta,
            tau=self.tau,
            gradient_penalty=self.gradient_penalty,
            reconstruction=self.reconstruction,
            valid_hide_rate=self.valid_hide_rate_,
            hide_pattern=self.hide_pattern_,
            n_channels=1 if shape is None else shape[0],
            valid_seed=self._seed,
            **net_kwargs,
        )

    def _impute_batch(self, x, mask):
        draws = self.imputation_draws
        if not isinstance(draws, numbers.Integral) or isinstance(draws, bool) or draws < 1:
            raise ValueError(
                f"imputation_draws must be an integer >= 1 (1: one draw of the imputer), "
                f"got {draws!r}."
            )
        out = self.net_.module_.impute_mean(x, mask, int(draws))
        mean = torch.as_tensor(self.fill_mean_, dtype=out.dtype, device=out.device)
        low, high = (torch.as_tensor(b, dtype=out.dtype, device=out.device) for b in self.fill_range_)
        out = torch.minimum(torch.maximum(out, low), high)  # within the observed range
        out = out - self._entry_shrinkage(mask, out) * (out - mean)
        return torch.where(mask.bool(), x, out)

    def _entry_shrinkage(self, mask, like):
        """``shrinkage_`` for each entry: one number, or the bin of its distance to the seen pixels."""
        edges = getattr(self, "shrinkage_distances_", None)
        if edges is None or np.ndim(self.shrinkage_) == 0:
            return float(self.shrinkage_)
        dist = pixel_distances(mask.detach().cpu().numpy().astype(bool), self.image_shape_)
        per_entry = np.asarray(self.shrinkage_)[np.digitize(dist, edges[1:-1])]
        return torch.as_tensor(per_entry, dtype=like.dtype, device=like.device)

    def _sample_batch(self, x, mask):
        return self.net_.module_(x, mask)

    def generate(self, n_samples=1, *, random_state=None):
        """Deprecated alias of :meth:`sample` (removed in a later version)."""
        warnings.warn("MisGANImputer.generate is deprecated: use MisGANImputer.sample.", FutureWarning,
                      stacklevel=2)
        return self.sample(n_samples, random_state=random_state)

    def sample(self, n_samples=1, *, random_state=None):
        """Draw new rows: complete rows from ``G_x`` and masks from ``G_m``.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None
            Seeds the codes.

        Returns
        -------
        data : ndarray of shape (n_samples, n_features)
            Generated complete rows, in the data's units.
        masks : ndarray of bool, shape (n_samples, n_features)
            Generated masks, True where an entry is observed: each entry
            drawn with the probability the relaxed mask gives it (a trained
            mask generator's outputs are close to 0 and 1; where they are
            not, as for independent dropout early in training, rounding
            would turn an observed share of 0.3 into none).
        """
        like = torch.zeros(1, device=self.device_)
        with self._sampling(random_state) as g:
            data = g.data(int(n_samples), like).to("cpu", torch.float64).numpy()
            masks = torch.bernoulli(g.masks(int(n_samples), like)).bool().cpu().numpy()
        data, masks = self._from_model(data, masks)  # categorical features: codes
        return self._decode_columns(self.scaler_.inverse_transform(data), as_frame=False), masks


def __getattr__(name):
    if name == "Imputer":  # the torch module's former name
        warnings.warn("sklimpute.models.misgan.Imputer is deprecated: use ImputerModule.",
                      FutureWarning, stacklevel=2)
        return ImputerModule
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
