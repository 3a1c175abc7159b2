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

The file reads top to bottom as the method; the flow itself, :class:`~sklimpute.flows.Glow`
and its layers, lives in :mod:`sklimpute.flows`:

1. :class:`GlowModule` and :class:`GlowNet`: the holes filled with
   ``fill_value``, dequantisation to ``n_bits``, the negative log-likelihood
   in bits per dimension;
2. :class:`GlowImputer`: training on the images with their holes filled,
   imputation by ``Phi^-1(alpha * Phi(x))``, sampling at a temperature.

:func:`sklimpute.metrics.count_squares` counts the fill-coloured squares in
images (the paper's Table 1 counts them by eye).
"""

import math
import numbers

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval
from torch import nn

from ..deep import DeepImputer
from ..flows import Glow, _per_sample
from ..training import ImputerNet

__all__ = ["GlowImputer", "GlowModule", "GlowNet"]

# --------------------------------------------------------------------------- #
# 1. Training: dequantisation, bits per dimension
# --------------------------------------------------------------------------- #


class GlowModule(nn.Module):
    """The flow on the imputer's rows: holes filled, padded, quantised.

    Parameters
    ----------
    n_features : int
    shape : tuple (C, H, W) or None
        None: a table, read as ``(n_features, 1, 1)``.
    n_levels, n_steps, hidden_channels : int
        Of the :class:`~sklimpute.flows.Glow`.
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
# 2. The imputer
# --------------------------------------------------------------------------- #


class GlowImputer(DeepImputer):
    """Glow trained on images with holes; imputes by shrinking their latent.

    The flow (:class:`~sklimpute.flows.Glow`: actnorm, LU-decomposed invertible 1x1
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
        The trained skorch net; ``net_.module_.flow`` is the :class:`~sklimpute.flows.Glow`.
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
        with self._sampling(random_state) as module:
            eps = torch.randn(int(n_samples), module.flow.n_latent, device=self.device_)
            out, _ = module.flow.inverse(float(temperature) * eps)
            rows = module.from_flow(out).to("cpu", torch.float64).numpy()
        return self.scaler_.inverse_transform(rows)
