"""Variational autoencoder with weighted loss (VAE-WL), and the plain VAE.

Pereira, Santos, Amorim, Rodrigues and Abreu, *Missing Image Data Imputation
using Variational Autoencoders with Weighted Loss*. An image whose holes are
pre-filled with zero is encoded into a Gaussian ``q(z | x)``; the decoder's
reconstruction fills the holes. The ordinary VAE loss gives the available and
the missing values the same importance and keeps the latent space tidy with a
full-weight Kullback-Leibler term; VAE-WL weighs the reconstruction of the
missing values by ``gamma > 1`` and the KL term by ``beta`` in [0, 1]::

    L(x) = -(P(x_av) + gamma * P(x_mv)) + beta * KL(q(z | x) || p(z))

with ``P(x) = E_{z ~ q(z | x)}[log p(x | z)]`` (the paper's equation 2 prints a
product sign between the two reconstruction terms; its text describes a
weighted split of the reconstruction error, which is what is implemented).

The file reads top to bottom as the method:

1. the networks (:class:`VAEWLModule`): the paper's convolutional VAE when an
   image shape is given, dense layers sized to the number of features for
   tables, and our optional skip path from the input to the output;
2. the loss (:func:`loss_weights`, :func:`vaewl_loss`): weighted
   reconstruction (binary cross-entropy or squared error) plus ``beta`` times
   the KL divergence;
3. training on incomplete data (:class:`VAEWLNet`): the true values behind the
   real holes are unknown, so in every batch an extra random share of the
   *observed* entries is hidden from the encoder; ``gamma`` weighs the loss on
   those hidden-but-known entries, 1 the entries the encoder saw, and the real
   holes contribute nothing;
4. the imputers, :class:`VAEWLImputer` and :class:`VAEImputer` (the same
   network with the ordinary loss: nothing hidden, ``gamma = beta = 1``; the
   paper's baseline).
"""

import numbers

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from ..categorical import CATEGORICAL_FEATURES_CONSTRAINT, CategoricalMixin
from ..deep import DeepImputer, ReconstructionMixin
from ..inpainting import diffusion_fill
from ..nn import MLP, ConvDecoder, ConvEncoder, conv_stack, init_he, kl_standard_normal, reparameterize, reshape_images
from ..training import (
    HIDE_PATTERNS,
    PRECISIONS,
    HidingMixin,
    ImputerNet,
    autocast,
    hide_rate_from,
    hide_share_for,
    resolve_precision,
)

__all__ = ["VAEImputer", "VAEWLImputer", "VAEWLModule", "VAEWLNet", "loss_weights", "vaewl_loss"]

#: The paper's encoder (Section 4, Figure 2): two 3x3 convolutions with 32
#: filters and stride 2, then dense layers of 392 and 196 units.
PAPER_CHANNELS = (32, 32)
PAPER_HIDDEN = (392, 196)
#: Share of the entries hidden by the training loop when ``fit`` gets
#: complete data and ``hide_rate=None``.
DEFAULT_HIDE_RATE = 0.3
#: ``weight_decay=None``: the L2 coefficient of the paper's "L2 regularizer on
#: every layer", applied through Adam's ``weight_decay`` (the paper does not
#: give its value; this one is not tuned). The loss is a sum over the entries
#: of an image, hundreds of nats on MNIST, so a small coefficient is a mild
#: regulariser.
DEFAULT_WEIGHT_DECAY = 1e-5
#: Filters of the two full-resolution convolutions of ``skip_connection=True``.
SKIP_WIDTH = 32


def _fused_adam(device):
    """``{"optimizer__fused": True}`` where torch has a fused Adam for ``device``.

    One fused kernel instead of a dozen element-wise passes over 1.6 million
    parameters: the Adam step of the MNIST network drops from about 8 ms to
    2 ms of a 31 ms training step on one CPU thread (same updates up to
    rounding).
    """
    try:
        param = torch.zeros(1, device=device, requires_grad=True)
        torch.optim.Adam([param], fused=True)
    except (RuntimeError, TypeError, ValueError):
        return {}
    return {"optimizer__fused": True}


def _table_hidden(n_in):
    """Dense widths for tables: the paper's 392/196 are a half and a quarter of 784."""
    return (max(n_in // 2, 64), max(n_in // 4, 32))


# --------------------------------------------------------------------------- #
# 1. The networks
# --------------------------------------------------------------------------- #


class VAEWLModule(nn.Module):
    """Encoder ``q(z | x)`` and decoder ``p(x | z)`` of VAE-WL.

    With ``shape`` the paper's convolutional VAE (:class:`~sklimpute.nn.
    ConvEncoder`/:class:`~sklimpute.nn.ConvDecoder`): two 3x3 convolutions with
    32 filters, stride 2 and ReLU, dense layers of 392 and 196 units, the
    latent mean and log-variance; the decoder mirrors it (dense 196, 392, the
    feature map, transposed convolutions). Without ``shape`` an :class:`~
    sklimpute.nn.MLP` encoder and decoder whose widths are sized to the number
    of features. Dropout follows every hidden layer.

    Parameters
    ----------
    n_features : int
        Number of values per row (``C * H * W`` for images).
    shape : tuple of int or None, default=None
        ``(C, H, W)`` for images, None for tables.
    latent_dim : int, default=32
    dropout : float, default=0.2
    skip_connection : bool, default=False
        *Not in the paper (ours).* Add a skip path from the input to the
        output: the decoder's output, the input (unseen entries at 0) and the
        mask of the seen entries go through two 3x3 convolutions with
        ``SKIP_WIDTH`` filters at full resolution (for tables: a one-hidden-layer
        MLP), whose result is added to the decoder's output. The latent code
        carries the shape of the image; the skip path restores the detail a
        32-dimensional bottleneck loses.
    prefill : None or "diffusion", default=None
        What the unseen entries of an image hold (None: 0).
    precision : {"float32", "bfloat16"}, default="float32"
        What the encoder, decoder and skip path compute in (autocast; the
        weights and the outputs are float32).

    The decoder returns unbounded values: *logits* for binary cross-entropy
    (the imputation is their sigmoid), the reconstruction itself for squared
    error.
    """

    def __init__(self, n_features, shape=None, latent_dim=32, dropout=0.2, skip_connection=False,
                 prefill=None, precision="float32"):
        super().__init__()
        self.prefill = prefill if shape is not None else None
        self.precision = precision
        self.n_features = int(n_features)
        self.shape = None if shape is None else tuple(int(s) for s in shape)
        self.latent_dim = int(latent_dim)
        if self.shape is not None:
            c = self.shape[0]
            self.encoder = ConvEncoder(
                self.shape, PAPER_CHANNELS, kernel_size=3, stride=2, hidden=PAPER_HIDDEN,
                out_features=2 * self.latent_dim, dropout=dropout,
            )
            self.decoder = ConvDecoder(
                self.latent_dim, self.shape, PAPER_CHANNELS, kernel_size=3, stride=2,
                hidden=tuple(reversed(PAPER_HIDDEN)), dropout=dropout,
            )
            self.skip = (
                conv_stack([3 * c, SKIP_WIDTH, SKIP_WIDTH, c], kernel_size=3, stride=1, padding=1,
                           activate_last=False)
                if skip_connection else None
            )
        else:
            hidden = _table_hidden(self.n_features)
            self.encoder = MLP(self.n_features, hidden, 2 * self.latent_dim, dropout=dropout)
            self.decoder = MLP(self.latent_dim, tuple(reversed(hidden)), self.n_features, dropout=dropout)
            self.skip = MLP(3 * self.n_features, hidden[:1], self.n_features) if skip_connection else None
        # the VAE's ReLU stacks start from He initialisation; the skip path keeps
        # torch's smaller default, so that it starts close to zero and the
        # latent code shapes the first reconstructions
        init_he(self.encoder)
        init_he(self.decoder)

    def _as_input(self, x):
        return x if self.shape is None else reshape_images(x, self.shape)

    def _filled(self, x, seen):
        """``x`` with the unseen entries pre-filled: 0 (the paper), or a diffusion fill."""
        if self.prefill:
            return diffusion_fill(x, seen, self.shape)
        return torch.where(seen > 0, x, torch.zeros_like(x))

    def encode(self, x, seen, filled=False):
        """Mean and log-variance of ``q(z | x)``; entries not seen are pre-filled.

        ``filled=True``: ``x`` is already ``_filled(x, seen)`` (the fill is
        computed once per batch for the encoder and the skip path).
        """
        x = x if filled else self._filled(x, seen)
        with autocast(x, self.precision):
            code = self.encoder(self._as_input(x))
        mu, logvar = code.float().chunk(2, dim=1)
        return mu, logvar

    def decode(self, z, x=None, seen=None, filled=False):
        """Decoder output (logits or values) as rows of ``n_features``.

        The skip path, when there is one, also reads ``x`` and ``seen``;
        without them (decoding a code alone) it reads an image of which
        nothing is seen. ``filled``: as in :meth:`encode`.
        """
        with autocast(z, self.precision):
            out = self.decoder(z).float().reshape(z.shape[0], self.n_features)
        if self.skip is not None:
            if x is None:
                x, seen, filled = torch.zeros_like(out), torch.zeros_like(out), False
            x = x if filled else self._filled(x, seen)
            parts = [self._as_input(t) for t in (out, x, seen)]
            with autocast(z, self.precision):
                path = self.skip(torch.cat(parts, dim=1))
            out = out + path.float().reshape(out.shape)
        return out

    def forward(self, x, mask, seen=None):
        """``(decoder output, mu, logvar)``; ``z`` is drawn in training, ``mu`` otherwise.

        ``seen`` (default: ``mask``) marks the entries the encoder may read.
        """
        seen = mask if seen is None else seen
        x = self._filled(x, seen)
        mu, logvar = self.encode(x, seen, filled=True)
        z = mu
        if self.training:
            z = reparameterize(mu, logvar)
        return self.decode(z, x, seen, filled=True), mu, logvar


# --------------------------------------------------------------------------- #
# 2. The loss
# --------------------------------------------------------------------------- #


def loss_weights(mask, seen, gamma):
    """Per-entry weights of the reconstruction term.

    1 on the entries the encoder saw (``x_av``), ``gamma`` on the entries that
    are known but were hidden from it (``x_mv``, whose true value can be
    scored), 0 on the real holes (``mask == 0``).

    Examples
    --------
    >>> mask = torch.tensor([[1.0, 1.0, 0.0]])
    >>> seen = torch.tensor([[1.0, 0.0, 0.0]])
    >>> loss_weights(mask, seen, 5.0)
    tensor([[1., 5., 0.]])
    """
    seen = seen * mask
    return seen + gamma * (mask - seen)


def vaewl_loss(out, x, mask, seen, mu, logvar, *, gamma, beta, reconstruction="bce"):
    """VAE-WL loss of a batch, averaged over its rows.

    ``-(P(x_av) + gamma * P(x_mv)) + beta * KL(q(z | x) || N(0, I))`` where
    the reconstruction terms are summed over the entries of each row: binary
    cross-entropy of ``sigmoid(out)`` (``reconstruction="bce"``), or half the
    squared error of ``out``, the negative log-likelihood of a unit-variance
    Gaussian up to a constant (``"mse"``). The real holes get weight 0 and
    their content is never read: the loss and its gradient do not depend on
    what ``x`` holds there.

    Returns
    -------
    loss : scalar Tensor
    reconstruction, kl : Tensor of shape (batch,)
        The two terms per row, for monitoring.
    """
    known = mask > 0
    target = torch.where(known, x, torch.zeros_like(x))
    if reconstruction == "bce":
        per_entry = F.binary_cross_entropy_with_logits(out, target, reduction="none")
    else:
        per_entry = 0.5 * (out - target) ** 2
    weights = loss_weights(mask, seen, gamma)
    rec = torch.where(known, weights * per_entry, torch.zeros_like(per_entry)).sum(dim=1)
    kl = kl_standard_normal(mu, logvar).sum(dim=1)
    return (rec + beta * kl).mean(), rec, kl


# --------------------------------------------------------------------------- #
# 3. Training on incomplete data
# --------------------------------------------------------------------------- #


class VAEWLNet(HidingMixin, ImputerNet):
    """skorch net of VAE-WL: hides a share of the observed entries, weighs the loss.

    Before each training step the batch gets a ``"seen"`` mask: every
    observed entry is hidden from the encoder with probability ``hide_rate``
    (:class:`~sklimpute.training.HidingMixin`: whole pixels with
    ``n_channels > 1``; the validation batches hide the same entries at every
    epoch). :func:`vaewl_loss` then scores the hidden entries with weight
    ``gamma``.

    Parameters
    ----------
    module : nn.Module class
        :class:`VAEWLModule`.
    gamma, beta : float
        Weights of the hidden entries' reconstruction and of the KL term.
    hide_rate : float in [0, 1)
        Probability that an observed entry is hidden from the encoder.
    reconstruction : {"bce", "mse"}
    n_channels : int, default=1
        Image channels (rows are ``C * H * W``, channels first).
    valid_seed : int, default=0
        Seed of the validation hiding.
    """

    def __init__(
        self,
        module,
        *args,
        gamma=5.0,
        beta=0.1,
        hide_rate=DEFAULT_HIDE_RATE,
        hide_pattern="mcar",
        hide_share=1.0,
        reconstruction="bce",
        n_channels=1,
        valid_seed=0,
        **kwargs,
    ):
        super().__init__(module, *args, **kwargs)
        self.gamma = gamma
        self.beta = beta
        self.hide_rate = hide_rate
        self.hide_pattern = hide_pattern
        self.hide_share = hide_share
        self.reconstruction = reconstruction
        self.n_channels = n_channels
        self.valid_seed = valid_seed

    def train_step_single(self, batch, **fit_params):
        Xi, yi = batch
        Xi = {**Xi, "seen": self.hide(Xi["mask"])}
        return super().train_step_single((Xi, yi), **fit_params)

    def validation_step(self, batch, **fit_params):
        Xi, yi = batch
        Xi = {**Xi, "seen": self.hide(Xi["mask"], self.valid_generator())}
        return super().validation_step((Xi, yi), **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        out, mu, logvar = y_pred
        loss, _, _ = vaewl_loss(
            out, X["x"], X["mask"], X.get("seen", X["mask"]), mu, logvar,
            gamma=self.gamma, beta=self.beta, reconstruction=self.reconstruction,
        )
        return loss


# --------------------------------------------------------------------------- #
# 4. The imputers
# --------------------------------------------------------------------------- #


class VAEWLImputer(CategoricalMixin, ReconstructionMixin, DeepImputer):
    """Variational autoencoder with weighted loss (VAE-WL) imputer.

    A VAE reads each row (image) with its holes pre-filled with zero and its
    decoder's reconstruction fills the holes. The loss weighs the
    reconstruction of the missing values by ``gamma`` and the KL term by
    ``beta``: ``-(P(x_av) + gamma * P(x_mv)) + beta * KL(q(z|x) || p(z))``.

    **Training on incomplete data.** In ``fit`` the values behind the holes
    are unknown and never scored. In every batch a random share ``hide_rate``
    of the *observed* entries is hidden from the encoder (filled with 0 like
    the holes); the loss weighs those hidden-but-known entries by ``gamma``
    and the entries the encoder saw by 1, and the real holes contribute
    nothing. On complete data this is the paper's experiment, with
    ``hide_rate`` as its missing rate.

    **Imputation.** ``transform`` decodes the posterior mean (deterministic,
    dropout off); :meth:`sample_imputations` decodes draws of ``z`` from
    ``q(z | x)`` for multiple imputation. Observed entries are returned
    unchanged.

    With ``shape`` the network is the paper's convolutional VAE (two 3x3
    convolutions with 32 filters and stride 2, dense layers of 392 and 196
    units, a ``latent_dim`` latent, a mirrored decoder with transposed
    convolutions and a sigmoid output, dropout after every layer, Adam with L2
    regularisation); without it, dense layers sized to the number of features
    (``max(d // 2, 64)`` and ``max(d // 4, 32)`` units).

    Parameters
    ----------
    gamma : float >= 0, default=5.0
        Weight of the reconstruction of the missing (hidden) values; the paper
        uses 5 (it asks for ``gamma > 1``).
    beta : float >= 0, default=0.1
        Weight of the KL divergence; the paper uses 0.1 (in [0, 1]).
    latent_dim : int, default=32
        Dimension of the latent space (the paper: 32).
    hide_rate : float in [0, 1) or None, default=None
        Share of the observed entries hidden from the encoder in each training
        (and validation) batch; they are the entries ``gamma`` weighs. None
        follows the data's own missing rate (the share of missing entries in
        ``fit``), or 0.3 when the data are complete. With an image shape of
        several channels whole pixels are hidden. 0 hides nothing: the model
        is then a VAE of the observed entries with nothing for ``gamma`` to
        weigh; trained on complete data it never sees a hole before
        ``transform``.
    hide_pattern : {"data", "mcar"}, default="data"
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
    dropout : float in [0, 1), default=0.0
        Dropout after every hidden layer (the paper: 20%; 0 imputes better
        in our MNIST benchmark, see :ref:`vaewl`). The convolution
        blocks use channel dropout (:class:`torch.nn.Dropout2d`), as
        :class:`~sklimpute.nn.ConvEncoder` does. On small data it slows the
        fit a lot.
    weight_decay : float >= 0 or None, default=None
        L2 regularisation of all weights, through Adam's ``weight_decay``.
        None uses ``DEFAULT_WEIGHT_DECAY`` (1e-5; the paper does not give its
        L2 coefficient).
    reconstruction : {"auto", "bce", "mse"}, default="auto"
        Reconstruction term. ``"bce"``: binary cross-entropy of a sigmoid
        output, the paper's choice for images in [0, 1]; the data are min-max
        scaled into [0, 1] on the observed values (per channel for images).
        ``"mse"``: squared error of a linear output on standardised features,
        the sensible choice for tables. ``"auto"``: ``"bce"`` with ``shape``,
        ``"mse"`` without.
    skip_connection : bool, default=True
        *Not in the paper (ours; False is the paper's network).* Add a skip
        path from the input to the output: the decoder's output, the input
        (pre-filled, see ``prefill``) and its mask go
        through two full-resolution 3x3 convolutions with 32 filters (for
        tables, a one-hidden-layer MLP) whose result is added to the decoder's
        output. The latent code carries the digit's shape, the skip path the
        local detail that a 32-dimensional bottleneck loses. See the
        reproduction on the method's documentation page for its effect.
    prefill : {"diffusion", "zeros"}, default="diffusion"
        What the network reads in the entries it does not see (the holes,
        and the entries hidden in training). ``"zeros"``: 0, the paper's
        pre-filling. ``"diffusion"`` (ours; images only, tables keep 0): a
        classical fill, :func:`~sklimpute.inpainting.diffusion_fill`,
        recomputed for every batch, so that the encoder and the skip path
        start from an inpainted image.
    precision : {"auto", "float32", "bfloat16"}, default="auto"
        What the networks compute in (torch autocast; weights, optimizer and
        loss stay in float32). ``"auto"``: bfloat16 for images where the
        device computes it natively (a CPU with AVX-512 BF16 or AMX, a CUDA
        GPU from Ampere on; :func:`~sklimpute.training.bfloat16_is_fast`),
        float32 elsewhere and for tables. On such a CPU bfloat16 fits 800
        MNIST images about 1.25 times faster at the same error. Results then
        differ between machines that do and do not have it.
    epochs : int, default=30
        Maximal number of epochs (the paper: 200, with early stopping; 30
        keeps a fit of 800 MNIST images near a minute on one CPU thread).
    batch_size : int, default=16
        Mini-batch size of training (the paper: 64; 16 makes four times the
        optimizer steps in about the same time on CPU: on 800 MNIST images at
        20% MCAR, MAE 0.0192 against 0.0220, see :ref:`vaewl`).
        ``transform`` runs batches of at least ``TRANSFORM_BATCH_SIZE``.
    lr : float, default=1e-3
        Adam learning rate (the paper: 0.001).
    device : str, default="cpu"
        Torch device; "auto" picks CUDA when present.
    validation_fraction : float, default=0.1
        Share of the rows held out for the validation loss (early stopping
        and best-epoch restore), measured with the same hiding as training.
    patience : int or None, default=10
        Epochs without improvement of the validation loss before stopping.
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
        Seeds the initialisation, the validation split, the batches, the
        hiding and the latent draws of ``fit``.
    verbose : int, default=0
        1: a progress bar over the epochs; 2: skorch's epoch table.

    Attributes
    ----------
    net_ : VAEWLNet
        The fitted skorch net; ``net_.module_`` is the :class:`VAEWLModule`.
    hide_rate_ : float
        The share of observed entries hidden in training.
    hide_pattern_ : {"data", "mcar"}
        How they were hidden (``"mcar"`` when the data had no holes).
    hide_share_ : float
        With ``hide_pattern_="data"``: the probability that a batch copies a
        hole of another row (1 unless ``hide_rate_`` is below the missing rate).
    reconstruction_ : {"bce", "mse"}
        The reconstruction term used.
    precision_ : {"float32", "bfloat16"}
        What the networks computed in (``precision`` resolved on ``device_``).
    history_ : skorch History
        Per-epoch training and validation losses.
    n_epochs_ : int
        Number of epochs run.
    scaler_ : FeatureScaler
        The per-feature (per-channel for images) scaling.
    image_shape_ : None or tuple of int
        The image shape as ``(C, H, W)``, or None for tables.
    device_ : torch.device
        The device the net lives on.
    categorical_, categories_ : ndarray of bool, list of (ndarray or None)
        Which features are categorical, and the categories of each.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    VAEImputer : The same network with the ordinary VAE loss.

    Notes
    -----
    The VAE's dense and convolution layers start from He initialisation with
    zero biases (the skip path keeps PyTorch's default): with PyTorch's default initialisation the latent mean barely
    depends on the input at the start and the KL term collapses the
    posterior before the decoder learns to use it (on the 8x8 digits the
    encoder died entirely).

    The loss of a batch is the mean over its rows of the weighted
    reconstruction, summed over the entries of a row, plus ``beta`` times the
    KL divergence summed over the latent dimensions: the evidence lower bound
    of Kingma and Welling [2]_, with the weights. The validation
    loss hides the same entries at every epoch (a generator re-seeded each
    epoch), so early stopping compares like with like.

    References
    ----------
    .. [1] R. C. Pereira, J. C. Santos, J. P. Amorim, P. P. Rodrigues and
       P. H. Abreu, "Missing Image Data Imputation using Variational
       Autoencoders with Weighted Loss".
    .. [2] D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes",
       ICLR 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from sklimpute import VAEWLImputer, make_missing
    >>> from sklimpute.datasets import load_digits
    >>> X, _ = load_digits()
    >>> X_missing, hidden = make_missing(X[:300], "mcar", rate=0.3, random_state=0)
    >>> imp = VAEWLImputer(shape=(8, 8), epochs=2, random_state=0)
    >>> X_filled = imp.fit_transform(X_missing)
    >>> X_filled.shape, round(imp.hide_rate_, 2)
    ((300, 64), 0.3)
    >>> draws = imp.sample_imputations(X_missing[:5], n_draws=3, random_state=0)
    >>> draws.shape
    (3, 5, 64)
    """

    _batch_independent_transform = True  # eval mode, the latent mean

    _parameter_constraints = {
        **DeepImputer._parameter_constraints,
        "categorical_features": CATEGORICAL_FEATURES_CONSTRAINT,
        "gamma": [Interval(numbers.Real, 0, None, closed="left")],
        "beta": [Interval(numbers.Real, 0, None, closed="left")],
        "latent_dim": [Interval(numbers.Integral, 1, None, closed="left")],
        "hide_rate": [Interval(numbers.Real, 0, 1, closed="left"), None],
        "hide_pattern": [StrOptions(set(HIDE_PATTERNS))],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left"), None],
        "reconstruction": [StrOptions({"auto", "bce", "mse"})],
        "skip_connection": ["boolean"],
        "prefill": [StrOptions({"zeros", "diffusion"})],
        "precision": [StrOptions(set(PRECISIONS))],
    }

    def __init__(
        self,
        *,
        gamma=5.0,
        beta=0.1,
        latent_dim=32,
        hide_rate=None,
        hide_pattern="data",
        dropout=0.0,
        weight_decay=None,
        reconstruction="auto",
        skip_connection=True,
        prefill="diffusion",
        precision="auto",
        epochs=30,
        batch_size=16,
        lr=1e-3,
        device="cpu",
        validation_fraction=0.1,
        patience=10,
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
        self.gamma = gamma
        self.beta = beta
        self.latent_dim = latent_dim
        self.hide_rate = hide_rate
        self.hide_pattern = hide_pattern
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.reconstruction = reconstruction
        self.skip_connection = skip_connection
        self.prefill = prefill
        self.precision = precision

    def _fit(self, X, observed):
        self.reconstruction_ = self._reconstruction()
        self.hide_pattern_ = self.hide_pattern if not observed.all() else "mcar"
        if self.hide_rate is None:
            self.hide_rate_ = hide_rate_from(observed, DEFAULT_HIDE_RATE)
        else:
            self.hide_rate_ = float(self.hide_rate)
        self.hide_share_ = hide_share_for(self.hide_rate_, observed, self.hide_pattern_)
        # tables: small dense layers, where bfloat16 saves nothing
        self.precision_ = ("float32" if self.image_shape_ is None and self.precision == "auto"
                           else resolve_precision(self.precision, self._target_device()))
        return super()._fit(X, observed)

    def _build_net(self, n_features, **net_kwargs):
        shape = self.image_shape_
        weight_decay = DEFAULT_WEIGHT_DECAY if self.weight_decay is None else self.weight_decay
        return VAEWLNet(
            VAEWLModule,
            module__n_features=n_features,
            module__shape=shape,
            module__latent_dim=self.latent_dim,
            module__dropout=self.dropout,
            module__skip_connection=self.skip_connection,
            module__prefill=None if self.prefill == "zeros" else self.prefill,
            # set in _fit; a model saved before precision existed was float32
            module__precision=getattr(self, "precision_", "float32"),
            gamma=self.gamma,
            beta=self.beta,
            hide_rate=self.hide_rate_,
            hide_pattern=self.hide_pattern_,
            hide_share=self.hide_share_,
            reconstruction=self.reconstruction_,
            n_channels=1 if shape is None else shape[0],
            valid_seed=self._seed,
            optimizer__weight_decay=weight_decay,
            **_fused_adam(self.device_),
            **net_kwargs,
        )

    def _output(self, out):
        return torch.sigmoid(out) if self.reconstruction_ == "bce" else out

    def _impute_batch(self, x, mask):
        module = self.net_.module_
        x = module._filled(x, mask)
        mu, _ = module.encode(x, mask, filled=True)
        return self._output(module.decode(mu, x, mask, filled=True))

    def _sample_batch(self, x, mask):
        module = self.net_.module_
        x = module._filled(x, mask)
        mu, logvar = module.encode(x, mask, filled=True)
        z = reparameterize(mu, logvar)
        return self._output(module.decode(z, x, mask, filled=True))


class VAEImputer(VAEWLImputer):
    """Variational autoencoder imputer with the ordinary loss (the paper's baseline).

    The network and the training of :class:`VAEWLImputer` with the ordinary
    VAE loss, ``-P(x) + KL(q(z|x) || p(z))``: nothing is hidden from the
    encoder (``hide_rate=0``), every observed entry weighs 1 and the KL term
    is not relaxed (``beta=1``). On complete data it is the paper's plain VAE,
    trained on complete images and asked to fill zero-filled holes; on data
    with holes it reads them as zeros and is scored on the observed entries
    only (a real hole is never scored). ``gamma`` only matters if
    ``hide_rate`` is set: ``VAEImputer(hide_rate=None)`` is VAE-WL's training
    with the unweighted loss, the ablation that separates the effect of
    training on hidden entries from that of the weights.

    Parameters
    ----------
    gamma : float >= 0, default=1.0
        Weight of the hidden entries' reconstruction (1: unweighted).
    beta : float >= 0, default=1.0
        Weight of the KL divergence (1: the ordinary ELBO).
    hide_rate : float in [0, 1) or None, default=0.0
        Share of the observed entries hidden from the encoder in training
        (0: the ordinary VAE). See :class:`VAEWLImputer`.
    hide_pattern, latent_dim, dropout, weight_decay, reconstruction, skip_connection, prefill
        See :class:`VAEWLImputer`.
    batch_size : int, default=64
        Mini-batch size of training (the paper's; VAE-WL's default is 16).
        With 16 the plain VAE imputed 4,000 MNIST images at 20% MCAR worse
        (MAE 0.0501 against 0.0304).
    epochs, lr, device, validation_fraction, patience, callbacks, n_threads
        See :class:`VAEWLImputer`.
    categorical_features, missing_values, shape, keep_empty_features, add_indicator, random_state, verbose
        See :class:`VAEWLImputer`.

    Attributes
    ----------
    net_, hide_rate_, reconstruction_, history_, n_epochs_, scaler_, image_shape_, device_
        See :class:`VAEWLImputer`.
    categorical_, categories_
        See :class:`VAEWLImputer`.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    VAEWLImputer : The same network with the weighted loss.

    References
    ----------
    .. [1] R. C. Pereira, J. C. Santos, J. P. Amorim, P. P. Rodrigues and
       P. H. Abreu, "Missing Image Data Imputation using Variational
       Autoencoders with Weighted Loss".
    .. [2] D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes",
       ICLR 2014.

    Examples
    --------
    >>> from sklimpute import VAEImputer, make_missing
    >>> from sklimpute.datasets import load_digits
    >>> X, _ = load_digits()
    >>> X_missing, _ = make_missing(X[:300], "mcar", rate=0.3, random_state=0)
    >>> imp = VAEImputer(shape=(8, 8), epochs=2, random_state=0).fit(X_missing)
    >>> imp.transform(X_missing).shape, imp.hide_rate_
    ((300, 64), 0.0)
    """

    def __init__(
        self,
        *,
        gamma=1.0,
        beta=1.0,
        latent_dim=32,
        hide_rate=0.0,
        hide_pattern="data",
        dropout=0.0,
        weight_decay=None,
        reconstruction="auto",
        skip_connection=True,
        prefill="diffusion",
        precision="auto",
        epochs=30,
        batch_size=64,
        lr=1e-3,
        device="cpu",
        validation_fraction=0.1,
        patience=10,
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
            gamma=gamma,
            beta=beta,
            latent_dim=latent_dim,
            hide_rate=hide_rate,
            hide_pattern=hide_pattern,
            dropout=dropout,
            weight_decay=weight_decay,
            reconstruction=reconstruction,
            skip_connection=skip_connection,
            prefill=prefill,
            precision=precision,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            device=device,
            validation_fraction=validation_fraction,
            patience=patience,
            callbacks=callbacks,
            n_threads=n_threads,
            categorical_features=categorical_features,
            missing_values=missing_values,
            shape=shape,
            keep_empty_features=keep_empty_features,
            add_indicator=add_indicator,
            random_state=random_state,
            verbose=verbose,
        )
