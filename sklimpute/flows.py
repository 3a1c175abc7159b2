"""Invertible layers: the pieces of a normalizing flow, on one small base.

Every layer is a :class:`Flow`, an ``nn.Module`` with ``forward(x) -> (z,
logdet)`` and ``inverse(z) -> (x, logdet)``, where ``logdet`` (one value per
row of the batch) is ``log |det J|`` of the map just applied, so that the
log-determinants of a layer's forward and inverse maps cancel. New tensors
take the input's dtype and device. ``tests/test_flows.py`` checks every
layer of this module the same way: ``inverse(forward(x)) == x``, and
``logdet`` against the log-determinant of the Jacobian computed by autograd.

The layers are Glow's (Kingma and Dhariwal, 2018):

* :class:`ActNorm` (per-channel affine map, data-dependent initialisation),
  :class:`InvConv1x1` (LU-decomposed invertible 1x1 convolution) and
  :class:`AffineCoupling` (a small CNN whose last convolution starts at
  zero), composed by :class:`FlowStep`;
* the multi-scale pieces: :class:`Squeeze` (space to depth),
  :class:`SplitPrior` (half of the channels leave the flow, standardised by a
  prior learned from the other half) and :class:`TopPrior`;
* :class:`Glow`, levels of flow steps between squeezes and splits, from an
  image to one flat standard normal latent.

:class:`~sklimpute.GlowImputer` (:mod:`sklimpute.models.glow`) trains a
:class:`Glow` on images with holes.

References
----------
.. [1] D. P. Kingma and P. Dhariwal, "Glow: Generative Flow with Invertible
   1x1 Convolutions", NeurIPS 2018.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "ActNorm",
    "AffineCoupling",
    "Flow",
    "FlowStep",
    "Glow",
    "InvConv1x1",
    "SplitPrior",
    "Squeeze",
    "TopPrior",
    "ZeroConv2d",
]


class Flow(nn.Module):
    """Base class of the invertible layers: ``forward(x) -> (z, logdet)``, ``inverse(z) -> (x, logdet)``.

    ``logdet`` is a tensor of shape ``(batch,)``: ``log |det dz/dx|`` for
    :meth:`forward`, ``log |det dx/dz|`` for :meth:`inverse` (minus the
    former at the same point). A layer whose output is several tensors
    (:class:`SplitPrior`) returns them as a tuple, and its inverse takes that
    tuple.
    """

    def forward(self, x):  # pragma: no cover - abstract
        """``(z, logdet)``: the layer's output and the log-determinant of its Jacobian."""
        raise NotImplementedError

    def inverse(self, z):  # pragma: no cover - abstract
        """``(x, logdet)``: the input that ``forward`` maps to ``z``, and ``-logdet`` there."""
        raise NotImplementedError


def _per_sample(t):
    """Sum over every dimension but the first."""
    return t.flatten(1).sum(1)


# --------------------------------------------------------------------------- #
# Glow's layers
# --------------------------------------------------------------------------- #


class ActNorm(Flow):
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


class InvConv1x1(Flow):
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


class AffineCoupling(Flow):
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


class FlowStep(Flow):
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


class Squeeze(Flow):
    """Space to depth: ``(C, H, W) -> (4C, H/2, W/2)``, volume-preserving."""

    def forward(self, x):
        n, c, h, w = x.shape
        z = x.reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 3, 5, 2, 4)
        return z.reshape(n, 4 * c, h // 2, w // 2), x.new_zeros(n)

    def inverse(self, z):
        n, c, h, w = z.shape
        x = z.reshape(n, c // 4, 2, 2, h, w).permute(0, 1, 4, 2, 5, 3)
        return x.reshape(n, c // 4, 2 * h, 2 * w), z.new_zeros(n)


class SplitPrior(Flow):
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


class TopPrior(Flow):
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
# The multi-scale flow
# --------------------------------------------------------------------------- #


class Glow(Flow):
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
