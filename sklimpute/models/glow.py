"""The Missing Glow Phenomenon: a Glow flow trained on images with holes.

A Glow (Kingma and Dhariwal, 2018) is an invertible network ``Phi`` from
images to a standard normal latent, trained by maximum likelihood. The
*Missing Glow Phenomenon* paper trains one on images whose holes are filled
with grey squares, and nothing else: the model never sees a complete image.
The flow then learns the image and the square as nearly independent factors
of its latent, so that shrinking an image's latent towards the origin,
``x' = Phi^-1(alpha * Phi(x))`` with ``alpha`` in (0.5, 0.7), removes the
square (the less likely factor) and keeps the image; sampling at a
temperature ``t`` gives images with about ``t**2`` squares.

The file reads top to bottom as the method:

1. the flow layers, each an ``nn.Module`` with ``forward(x) -> (z, logdet)``
   and ``inverse(z) -> (x, logdet)``: :class:`ActNorm` (data-dependent
   initialisation), :class:`InvConv1x1` (LU-decomposed),
   :class:`AffineCoupling` (a small CNN whose last convolution starts at
   zero), :class:`Squeeze`, :class:`SplitPrior` (half of the channels leave
   the flow, standardised by a prior learned from the other half) and
   :class:`TopPrior`;
2. :class:`Glow`: levels of ``n_steps`` flow steps between squeezes and
   splits, from an image to one flat standard normal latent;
3. :class:`GlowNet`: dequantisation to ``n_bits``, the negative
   log-likelihood in bits per dimension;
4. :class:`GlowImputer`: training on the images with their holes filled
   by ``fill_value``, imputation by ``Phi^-1(alpha * Phi(x))``, sampling at
   a temperature;
5. :func:`count_squares`, which counts the fill-coloured squares in images
   (the paper's Table 1 counts them by eye).
"""

import math
import numbers

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ..base import DeepImputer
from ..training import ImputerNet, seeded

__all__ = [
    "ActNorm",
    "AffineCoupling",
    "FlowStep",
    "Glow",
    "GlowImputer",
    "GlowNet",
    "InvConv1x1",
    "SplitPrior",
    "Squeeze",
    "TopPrior",
    "count_squares",
]


def _per_sample(t):
    """Sum over every dimension but the first."""
    return t.flatten(1).sum(1)


# --------------------------------------------------------------------------- #
# 1. Flow layers: forward(x) -> (z, logdet), inverse(z) -> (x, logdet)
# --------------------------------------------------------------------------- #


class ActNorm(nn.Module):
    """Per-channel affine map ``z = (x + loc) * exp(log_scale)``.

    Initialised from the data: the first training batch leaves it with zero
    mean and unit variance per channel (Glow's data-dependent
    initialisation); afterwards ``loc`` and ``log_scale`` are ordinary
    parameters.

    Parameters
    ----------
    n_channels : int
    """

    def __init__(self, n_channels):
        super().__init__()
        self.loc = nn.Parameter(torch.zeros(1, n_channels, 1, 1))
        self.log_scale = nn.Parameter(torch.zeros(1, n_channels, 1, 1))
        self.register_buffer("initialized", torch.tensor(False))

    @torch.no_grad()
    def _initialize(self, x):
        mean = x.mean(dim=(0, 2, 3), keepdim=True)
        std = x.std(dim=(0, 2, 3), keepdim=True, unbiased=False) if x.numel() > x.shape[1] else None
        self.loc.copy_(-mean)
        if std is not None:
            self.log_scale.copy_(-torch.log(std.clamp_min(1e-3)))
        self.initialized.fill_(True)

    def _logdet(self, x):
        hw = x.shape[2] * x.shape[3]
        return (hw * self.log_scale.sum()).expand(x.shape[0])

    def forward(self, x):
        if self.training and not bool(self.initialized):
            self._initialize(x)
        return (x + self.loc) * torch.exp(self.log_scale), self._logdet(x)

    def inverse(self, z):
        return z * torch.exp(-self.log_scale) - self.loc, -self._logdet(z)


class InvConv1x1(nn.Module):
    """Invertible 1x1 convolution (a learned channel mixing), LU-decomposed.

    ``W = P L (U + diag(sign(s) exp(log|s|)))`` with a fixed permutation
    ``P``, unit lower-triangular ``L`` and strictly upper-triangular ``U``:
    its log-determinant is ``H * W * sum(log|s|)``, without a determinant.
    Starts at a random rotation (drawn from torch's generator).

    Parameters
    ----------
    n_channels : int
    """

    def __init__(self, n_channels):
        super().__init__()
        c = n_channels
        w = torch.linalg.qr(torch.randn(c, c, dtype=torch.float64))[0]
        p, lower, upper = torch.linalg.lu(w)
        s = torch.diagonal(upper)
        self.register_buffer("perm", p.float())
        self.register_buffer("sign_s", torch.sign(s).float())
        self.register_buffer("lower_mask", torch.tril(torch.ones(c, c), -1))
        self.register_buffer("eye", torch.eye(c))
        self.lower = nn.Parameter(lower.float())
        self.upper = nn.Parameter(torch.triu(upper, 1).float())
        self.log_s = nn.Parameter(torch.log(torch.abs(s)).float())

    def weight(self):
        """The mixing matrix ``W`` (channels out x channels in)."""
        lower = self.lower * self.lower_mask + self.eye
        upper = self.upper * self.lower_mask.T + torch.diag(self.sign_s * torch.exp(self.log_s))
        return self.perm @ lower @ upper

    def _logdet(self, x):
        return (x.shape[2] * x.shape[3] * self.log_s.sum()).expand(x.shape[0])

    def forward(self, x):
        w = self.weight()
        return F.conv2d(x, w[:, :, None, None]), self._logdet(x)

    def inverse(self, z):
        w_inv = torch.linalg.inv(self.weight().double()).to(z.dtype)
        return F.conv2d(z, w_inv[:, :, None, None]), -self._logdet(z)


class ZeroConv2d(nn.Module):
    """Convolution that starts at zero, its output scaled by ``exp(3 * logs)`` (Glow)."""

    def __init__(self, in_channels, out_channels, kernel_size=3):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        nn.init.zeros_(self.conv.weight)
        nn.init.zeros_(self.conv.bias)
        self.logs = nn.Parameter(torch.zeros(1, out_channels, 1, 1))

    def forward(self, x):
        return self.conv(x) * torch.exp(3 * self.logs)


class AffineCoupling(nn.Module):
    """Affine coupling: the first half of the channels scales and shifts the second.

    ``z_b = (x_b + shift(x_a)) * sigmoid(raw(x_a) + 2)``, ``z_a = x_a``, where
    ``shift`` and ``raw`` come from a CNN (conv, ReLU, 1x1 conv, ReLU, a
    zero-initialised conv): every coupling starts as the identity.

    Parameters
    ----------
    n_channels : int
        At least 2.
    hidden_channels : int
        Width of the CNN.
    kernel_size : int, default=3
        Of the CNN's first and last convolutions (1 for tables, whose
        "images" are 1x1: the CNN is then an MLP).
    """

    def __init__(self, n_channels, hidden_channels, kernel_size=3):
        super().__init__()
        self.n_a = n_channels // 2
        n_b = n_channels - self.n_a
        pad = kernel_size // 2
        self.net = nn.Sequential(
            nn.Conv2d(self.n_a, hidden_channels, kernel_size, padding=pad),
            nn.ReLU(),
            nn.Conv2d(hidden_channels, hidden_channels, 1),
            nn.ReLU(),
            ZeroConv2d(hidden_channels, 2 * n_b, kernel_size),
        )

    def _shift_scale(self, x_a):
        h = self.net(x_a)
        return h[:, 0::2], torch.sigmoid(h[:, 1::2] + 2.0)

    def forward(self, x):
        x_a, x_b = x[:, :self.n_a], x[:, self.n_a:]
        shift, scale = self._shift_scale(x_a)
        return torch.cat([x_a, (x_b + shift) * scale], 1), _per_sample(torch.log(scale))

    def inverse(self, z):
        z_a, z_b = z[:, :self.n_a], z[:, self.n_a:]
        shift, scale = self._shift_scale(z_a)
        return torch.cat([z_a, z_b / scale - shift], 1), -_per_sample(torch.log(scale))


class FlowStep(nn.Module):
    """One step of flow: :class:`ActNorm`, :class:`InvConv1x1`, :class:`AffineCoupling`.

    A single channel has nothing to couple: the step is then actnorm and the
    (1x1) mixing only.
    """

    def __init__(self, n_channels, hidden_channels, kernel_size=3):
        super().__init__()
        layers = [ActNorm(n_channels), InvConv1x1(n_channels)]
        if n_channels >= 2:
            layers.append(AffineCoupling(n_channels, hidden_channels, kernel_size))
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        logdet = x.new_zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            logdet = logdet + ld
        return x, logdet

    def inverse(self, z):
        logdet = z.new_zeros(z.shape[0])
        for layer in reversed(self.layers):
            z, ld = layer.inverse(z)
            logdet = logdet + ld
        return z, logdet


class Squeeze(nn.Module):
    """Space to depth: ``(C, H, W) -> (4C, H/2, W/2)``, volume-preserving."""

    def forward(self, x):
        n, c, h, w = x.shape
        z = x.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4)
        return z.reshape(n, 4 * c, h // 2, w // 2), x.new_zeros(n)

    def inverse(self, z):
        n, c, h, w = z.shape
        x = z.reshape(n, c // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3)
        return x.reshape(n, c // 4, 2 * h, 2 * w), z.new_zeros(n)


class SplitPrior(nn.Module):
    """Multi-scale split: half of the channels leave the flow, standardised.

    ``forward`` maps ``x = (x_1, x_2)`` to ``(x_1, eps_2)`` with
    ``eps_2 = (x_2 - mean(x_1)) * exp(-logs(x_1))``, the Gaussian prior of
    ``x_2`` given ``x_1`` learned by a zero-initialised convolution; so the
    flow ends in a *standard* normal latent and a temperature or ``alpha``
    scales all of it alike. Returns the pair ``(x_1, eps_2)``.
    """

    def __init__(self, n_channels, kernel_size=3):
        super().__init__()
        self.n_keep = n_channels // 2
        self.prior = ZeroConv2d(self.n_keep, 2 * (n_channels - self.n_keep), kernel_size)

    def _mean_logs(self, x_1):
        h = self.prior(x_1)
        return h[:, 0::2], h[:, 1::2]

    def forward(self, x):
        x_1, x_2 = x[:, :self.n_keep], x[:, self.n_keep:]
        mean, logs = self._mean_logs(x_1)
        return (x_1, (x_2 - mean) * torch.exp(-logs)), -_per_sample(logs)

    def inverse(self, z):
        x_1, eps_2 = z
        mean, logs = self._mean_logs(x_1)
        return torch.cat([x_1, eps_2 * torch.exp(logs) + mean], 1), _per_sample(logs)


class TopPrior(nn.Module):
    """The last level's learned Gaussian prior (a mean and log-scale per position)."""

    def __init__(self, shape):
        super().__init__()
        self.mean = nn.Parameter(torch.zeros(1, *shape))
        self.logs = nn.Parameter(torch.zeros(1, *shape))

    def forward(self, x):
        return (x - self.mean) * torch.exp(-self.logs), -_per_sample(self.logs).expand(x.shape[0])

    def inverse(self, z):
        return z * torch.exp(self.logs) + self.mean, _per_sample(self.logs).expand(z.shape[0])


# --------------------------------------------------------------------------- #
# 2. The flow
# --------------------------------------------------------------------------- #


class Glow(nn.Module):
    """Glow: an invertible map from images to one flat standard normal latent.

    ``n_levels`` levels, each a :class:`Squeeze`, ``n_steps``
    :class:`FlowStep` and, but for the last, a :class:`SplitPrior`; the
    last level ends in a :class:`TopPrior`. ``log p(x) = log N(eps; 0, I) +
    logdet``. A table (``shape=(d, 1, 1)``) gets one level without squeeze:
    its steps mix the features linearly and couple them with MLPs.

    Parameters
    ----------
    shape : tuple (C, H, W)
        Input shape; H and W divisible by ``2 ** n_levels`` (the imputer
        pads them).
    n_levels, n_steps, hidden_channels : int
    """

    def __init__(self, shape, n_levels=3, n_steps=8, hidden_channels=64):
        super().__init__()
        c, h, w = shape
        spatial = h > 1 or w > 1
        kernel = 3 if spatial else 1
        n_levels = n_levels if spatial else 1
        if spatial and (h % 2 ** n_levels or w % 2 ** n_levels):
            raise ValueError(f"Glow needs H and W divisible by {2 ** n_levels}, got {h}x{w}.")
        self.shape = tuple(shape)
        self.levels = nn.ModuleList()
        self.latent_shapes = []
        for level in range(n_levels):
            layers = []
            if spatial:
                layers.append(Squeeze())
                c, h, w = 4 * c, h // 2, w // 2
            layers += [FlowStep(c, hidden_channels, kernel) for _ in range(n_steps)]
            if level < n_levels - 1:
                split = SplitPrior(c, kernel)
                layers.append(split)
                self.latent_shapes.append((c - split.n_keep, h, w))
                c = split.n_keep
            else:
                layers.append(TopPrior((c, h, w)))
                self.latent_shapes.append((c, h, w))
            self.levels.append(nn.ModuleList(layers))
        self.latent_sizes = [int(np.prod(s)) for s in self.latent_shapes]
        self.n_latent = sum(self.latent_sizes)

    def forward(self, x):
        """``(eps, logdet)``: the flat standard normal latent of ``x`` and log|det J|."""
        logdet = x.new_zeros(x.shape[0])
        eps = []
        for layers in self.levels:
            for layer in layers:
                x, ld = layer(x)
                logdet = logdet + ld
                if isinstance(layer, SplitPrior):
                    x, eps_2 = x
                    eps.append(eps_2.flatten(1))
        eps.append(x.flatten(1))  # the last level ended in its TopPrior
        return torch.cat(eps, 1), logdet

    def inverse(self, eps):
        """``(x, logdet)`` from a flat latent ``eps`` (log|det| of the inverse map)."""
        pieces = torch.split(eps, self.latent_sizes, 1)
        logdet = eps.new_zeros(eps.shape[0])
        x = pieces[-1].reshape(-1, *self.latent_shapes[-1])
        for level in reversed(range(len(self.levels))):
            for layer in reversed(self.levels[level]):
                if isinstance(layer, SplitPrior):
                    x = (x, pieces[level].reshape(-1, *self.latent_shapes[level]))
                x, ld = layer.inverse(x)
                logdet = logdet + ld
        return x, logdet

    def log_prob(self, x):
        """``log p(x)`` of each row of the batch (nats)."""
        eps, logdet = self(x)
        return -0.5 * _per_sample(eps ** 2) - 0.5 * eps.shape[1] * math.log(2 * math.pi) + logdet


# --------------------------------------------------------------------------- #
# 3. Training: dequantisation, bits per dimension
# --------------------------------------------------------------------------- #


class GlowModule(nn.Module):
    """The flow on the imputer's rows: holes filled, padded, quantised.

    Parameters
    ----------
    n_features : int
    shape : tuple (C, H, W) or None
        None: a table, read as ``(n_features, 1, 1)``.
    n_levels, n_steps, hidden_channels : int
        Of the :class:`Glow`.
    n_bits : int
        Colour depth the data are quantised to (``2 ** n_bits`` bins).
    fill_value : float
        The holes' value, in the scaled [0, 1] units (0.5: grey).
    """

    def __init__(self, n_features, shape=None, n_levels=3, n_steps=8, hidden_channels=64,
                 n_bits=5, fill_value=0.5):
        super().__init__()
        self.image_shape = tuple(shape) if shape is not None else (n_features, 1, 1)
        c, h, w = self.image_shape
        spatial = h > 1 or w > 1
        step = 2 ** n_levels if spatial else 1
        self.pad = (0, (-w) % step, 0, (-h) % step)  # right and bottom, for F.pad
        self.flow = Glow((c, h + self.pad[3], w + self.pad[1]), n_levels, n_steps, hidden_channels)
        self.n_bins = 2 ** n_bits
        self.fill_value = fill_value

    @property
    def n_dims(self):
        """Dimensions the density is over (the padded image)."""
        return self.flow.n_latent

    def to_flow(self, x, mask, dequantize):
        """Rows in [0, 1] (holes filled) -> padded, quantised images in [-0.5, 0.5]."""
        x = x * mask + self.fill_value * (1 - mask)
        x = x.clamp(0, 1).reshape(-1, *self.image_shape)
        if any(self.pad):
            x = F.pad(x, self.pad, mode="replicate")
        x = torch.floor(x * self.n_bins).clamp_max(self.n_bins - 1) / self.n_bins - 0.5
        u = torch.rand_like(x) if dequantize else torch.full_like(x, 0.5)
        return x + u / self.n_bins

    def from_flow(self, x):
        """Padded images in [-0.5, 0.5] -> rows in [0, 1].

        Far from the data (a large ``alpha`` or temperature on a short-trained
        flow) the inverse can overflow: an infinite pixel saturates to black
        or white like any other out-of-range value, and a NaN one (inf - inf)
        becomes the fill value, so that imputations and samples are always
        finite.
        """
        c, h, w = self.image_shape
        x = torch.nan_to_num(x[:, :, :h, :w], nan=self.fill_value - 0.5, posinf=0.5, neginf=-0.5)
        return (x + 0.5).clamp(0, 1).reshape(x.shape[0], -1)

    def forward(self, x, mask):
        """``(eps, logdet)`` of the dequantised batch (uniform noise in training)."""
        return self.flow(self.to_flow(x, mask, dequantize=self.training))

    def bits_per_dim(self, eps, logdet):
        """Negative log-likelihood of the discretised data in bits per dimension."""
        d = eps.shape[1]
        log_p = -0.5 * _per_sample(eps ** 2) - 0.5 * d * math.log(2 * math.pi) + logdet
        return (-log_p + d * math.log(self.n_bins)) / (d * math.log(2))


class GlowNet(ImputerNet):
    """skorch net of the Glow: the loss is the mean bits per dimension.

    A non-finite loss stops ``fit`` with a ``FloatingPointError`` that says
    what to change, instead of training on NaN.
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        eps, logdet = y_pred
        loss = self.module_.bits_per_dim(eps, logdet).mean()
        if not torch.isfinite(loss):
            raise FloatingPointError(
                "GlowImputer training diverged (non-finite bits per dimension); lower lr, "
                "or try another random_state."
            )
        return loss


# --------------------------------------------------------------------------- #
# 4. The imputer
# --------------------------------------------------------------------------- #


class GlowImputer(DeepImputer):
    """Glow trained on images with holes; imputes by shrinking their latent.

    The flow (:class:`Glow`: actnorm, LU-decomposed invertible 1x1
    convolution and affine coupling in each of ``n_steps`` steps, ``n_levels``
    levels with squeezes and learned-prior splits) is trained by maximum
    likelihood on the training images with their holes filled with the
    constant ``fill_value``, quantised to ``n_bits`` and dequantised with
    uniform noise; it never sees a complete image. To impute, each image is
    mapped to its standard normal latent, ``z = Phi(x)``, the latent is
    shrunk, ``x' = Phi^-1(alpha z)``, and the holes take their values from
    ``x'`` (the observed entries are kept). The paper finds the filled
    squares gone and the image kept for ``alpha`` in (0.5, 0.7): the flow
    learns images and squares as independent factors, and the squares, the
    rarer one, lie farther out in the latent. ``alpha=1`` returns the fill.
    :meth:`sample_imputations` (ours, not the paper's) draws around that
    point: ``x' = Phi^-1(alpha z + sqrt(1 - alpha^2) e)`` with ``e``
    standard normal, a preconditioned Crank-Nicolson step, which keeps the
    latent's standard normal law.

    Images whose sides do not divide by ``2 ** n_levels`` are padded
    (replicating the border) and cropped back. Tables (``shape=None``) go
    through one level without squeeze, whose 1x1 convolutions mix the
    features linearly and whose couplings are MLPs: an extension beyond the
    paper, for completeness.

    Parameters
    ----------
    alpha : float in (0, 1], default=0.6
        Latent shrinkage of the imputation (the paper's good range is
        (0.5, 0.7); our small MNIST flows did best at 0.1-0.4, see the
        method's page). Changing it needs no refit; ``GridSearchCV`` with
        ``score`` can choose it, and should.
    n_levels : int, default=3
        Levels (squeezes) of the flow; the paper's CelebA Glow has 4.
    n_steps : int, default=8
        Flow steps per level (the paper: 32; a GPU affords it).
    hidden_channels : int, default=64
        Width of the coupling CNNs (Glow: 512).
    n_bits : int, default=5
        Colour depth of the likelihood (the paper: 5 bits).
    fill_value : float, default=0.5
        The holes' value during training and before imputation, in the
        data's [0, 1] min-max scaled units (0.5: the paper's grey squares).
    epochs : int, default=30
        Maximal number of epochs. On MNIST (4,000 images, one square
        each) 20 epochs left a grey blob in the flow's mode for 8x8 and
        10x10 squares; after 60 the squares had moved away from the centre
        of the latent (the Missing Glow Phenomenon) for those sizes, while
        one 60-epoch flow for 14x14 squares kept its square at the centre:
        the outcome depends on the training run at this size (docs: the
        method's page).
    batch_size : int, default=64
        Mini-batch size (the paper: 16), also of ``transform``.
    lr : float, default=1e-3
        Adam learning rate.
    device : str, default="cpu"
        Torch device; "auto" picks CUDA when present.
    validation_fraction : float, default=0.1
        Share of the rows held out; early stopping watches their bits per
        dimension.
    patience : int or None, default=5
        Epochs without improvement before stopping (best weights restored).
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks.
    n_threads : int or None, default=None
        Torch CPU threads during ``fit``, ``transform`` and sampling (None:
        half the cores, at least one).
    missing_values : float, int or np.nan, default=np.nan
        The placeholder of missing entries.
    shape : None or tuple of int, default=None
        ``(H, W)`` or ``(C, H, W)``: each row is an image (channels first).
        None: a table.
    keep_empty_features : bool, default=False
        Keep (imputed with 0) features without observed values in ``fit``.
    add_indicator : bool, default=False
        Append a :class:`~sklearn.impute.MissingIndicator`.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, the validation split, the batches and the
        dequantisation noise.
    verbose : int, default=0
        1: a progress bar over the epochs; 2: skorch's epoch table.

    Attributes
    ----------
    net_ : GlowNet
        The trained skorch net; ``net_.module_.flow`` is the :class:`Glow`.
    history_ : skorch History
        Per-epoch ``train_loss`` and ``valid_loss`` in bits per dimension.
    n_epochs_ : int
        Epochs run.
    image_shape_ : tuple or None
        ``(C, H, W)`` of the rows, or None for a table.
    scaler_ : FeatureScaler
        The min-max scaling to [0, 1] (pooled per channel for images).
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Defined when X has string column names.

    See Also
    --------
    VAEWLImputer : a VAE trained on incomplete images.
    MatrixCompletionImputer : a low-rank baseline.

    References
    ----------
    .. [1] Anonymous, "Missing Glow Phenomenon: learning disentangled
       representation of missing data", under review.
    .. [2] D. P. Kingma and P. Dhariwal, "Glow: Generative flow with
       invertible 1x1 convolutions", NeurIPS 2018.

    Examples
    --------
    >>> from sklimpute import GlowImputer, make_missing
    >>> from sklimpute.datasets import load_digits
    >>> X, _ = load_digits()
    >>> X_missing, _ = make_missing(X[:200], "square", size=3, shape=(8, 8), random_state=0)
    >>> imp = GlowImputer(shape=(8, 8), n_levels=2, n_steps=2, epochs=2, random_state=0)
    >>> imp.fit(X_missing).transform(X_missing).shape
    (200, 64)
    >>> imp.sample(3, temperature=0.7).shape
    (3, 64)
    """

    _scaling = "minmax"

    _parameter_constraints = {
        **DeepImputer._parameter_constraints,
        "alpha": [Interval(numbers.Real, 0, 1, closed="right")],
        "n_levels": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_steps": [Interval(numbers.Integral, 1, None, closed="left")],
        "hidden_channels": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_bits": [Interval(numbers.Integral, 1, 8, closed="both")],
        "fill_value": [Interval(numbers.Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        *,
        alpha=0.6,
        n_levels=3,
        n_steps=8,
        hidden_channels=64,
        n_bits=5,
        fill_value=0.5,
        epochs=30,
        batch_size=64,
        lr=1e-3,
        device="cpu",
        validation_fraction=0.1,
        patience=5,
        callbacks=None,
        n_threads=None,
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
        self.alpha = alpha
        self.n_levels = n_levels
        self.n_steps = n_steps
        self.hidden_channels = hidden_channels
        self.n_bits = n_bits
        self.fill_value = fill_value

    def _build_net(self, n_features, **net_kwargs):
        return GlowNet(
            GlowModule,
            module__n_features=n_features,
            module__shape=self.image_shape_,
            module__n_levels=self.n_levels,
            module__n_steps=self.n_steps,
            module__hidden_channels=self.hidden_channels,
            module__n_bits=self.n_bits,
            module__fill_value=self.fill_value,
            **net_kwargs,
        )

    def _shrink(self, x, mask, alpha):
        module = self.net_.module_
        eps, _ = module.flow(module.to_flow(x, mask, dequantize=False))
        out, _ = module.flow.inverse(alpha * eps)
        return module.from_flow(out)

    def _impute_batch(self, x, mask):
        return self._shrink(x, mask, float(self.alpha))

    def _sample_batch(self, x, mask):
        # one preconditioned Crank-Nicolson step from the image's latent:
        # alpha * eps + sqrt(1 - alpha^2) * noise keeps the flow's standard
        # normal latent distribution and is centred on transform's alpha * eps
        module = self.net_.module_
        alpha = float(self.alpha)
        eps, _ = module.flow(module.to_flow(x, mask, dequantize=False))
        out, _ = module.flow.inverse(alpha * eps + (1.0 - alpha**2) ** 0.5 * torch.randn_like(eps))
        return module.from_flow(out)

    def sample(self, n_samples=1, temperature=0.7, *, random_state=None):
        """Draw images from the flow at a temperature.

        ``Phi^-1(t * eps)`` with ``eps`` standard normal: the paper's
        temperature sampling, in which the learned squares appear about
        ``t ** 2`` times per image.

        Parameters
        ----------
        n_samples : int, default=1
        temperature : float, default=0.7
        random_state : int, RandomState instance or None, default=None
            Seeds the draws.

        Returns
        -------
        samples : ndarray of shape (n_samples, n_features)
            In the data's units (the scaling undone), rows flattened like X.
        """
        check_is_fitted(self)
        module = self.net_.module_
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
        self.net_._set_training(False)
        with self._threads(), seeded(seed, self.device_), torch.inference_mode():
            eps = torch.randn(int(n_samples), module.flow.n_latent, device=self.device_)
            out, _ = module.flow.inverse(float(temperature) * eps)
            rows = module.from_flow(out).to("cpu", torch.float64).numpy()
        return self.scaler_.inverse_transform(rows)


# --------------------------------------------------------------------------- #
# 5. Counting the squares in samples
# --------------------------------------------------------------------------- #


def count_squares(images, size, *, fill=0.5, tol=0.1, min_share=0.9):
    """Count the ``size x size`` squares of (nearly) the fill colour in images.

    A window of ``size x size`` pixels is a square's when at least
    ``min_share`` of its pixels lie within ``tol`` of ``fill``; neighbouring
    such windows (8-connected) are one square. Vectorised over the batch
    (``scipy.ndimage.label`` with no connection between images).

    Parameters
    ----------
    images : array-like of shape (n_images, H, W)
        Grayscale images, in the units of ``fill`` (for example [0, 1]).
    size : int
        Side of the squares.
    fill : float, default=0.5
        Their colour.
    tol : float, default=0.1
        How far from ``fill`` a pixel may be and still count as fill.
    min_share : float, default=0.9
        Share of a window's pixels that must be fill.

    Returns
    -------
    counts : ndarray of int of shape (n_images,)

    Examples
    --------
    >>> import numpy as np
    >>> images = np.zeros((2, 12, 12))
    >>> images[0, 1:5, 2:6] = 0.5
    >>> images[1, 1:5, 1:5] = images[1, 7:11, 6:10] = 0.5
    >>> count_squares(images, 4).tolist()
    [1, 2]
    """
    from scipy import ndimage

    images = np.asarray(images, dtype=np.float64)
    near = (np.abs(images - fill) <= tol).astype(np.float64)
    n, h, w = near.shape
    if size > h or size > w:
        return np.zeros(n, dtype=int)
    # window sums from the integral image
    cs = np.zeros((n, h + 1, w + 1))
    cs[:, 1:, 1:] = near.cumsum(1).cumsum(2)
    sums = cs[:, size:, size:] - cs[:, :-size, size:] - cs[:, size:, :-size] + cs[:, :-size, :-size]
    hits = sums >= min_share * size * size
    structure = np.zeros((3, 3, 3), dtype=bool)
    structure[1] = True  # 8-connected within an image, never across images
    labels, n_labels = ndimage.label(hits, structure=structure)
    if n_labels == 0:
        return np.zeros(n, dtype=int)
    owner = ndimage.labeled_comprehension(
        np.broadcast_to(np.arange(n)[:, None, None], hits.shape), labels,
        np.arange(1, n_labels + 1), np.min, int, -1)
    return np.bincount(owner, minlength=n)
