"""SpatialGAIN: GAIN's game played by convolutional networks on images.

Young's SpatialGAIN keeps the game of GAIN (:mod:`sklimpute.models.gain`: the
hint, the two losses, one optimizer per player) and makes both players fully
convolutional, with a *spatial* mask and hint (a pixel is missing in all its
channels) and a hint that reveals less of the mask as training goes.

The file reads top to bottom as the method:

1. the players (:class:`SpatialGAINModule`: the paper's "standard" and
   "updown" architectures, and our U-Net);
2. the imputer, :class:`SpatialGAINImputer`.

Its single-image ("zero-shot") mode is :class:`~sklimpute.SingleImageImputer`
(:mod:`sklimpute.models.single_image`).
"""

import math
import numbers
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from ..inpainting import diffusion_fill
from ..nn import UNet, init_xavier
from ..training import PRECISIONS, autocast, resolve_precision
from .gain import _ATTRIBUTES_DOC, _COMMON_DOC, _TRAINING_DOC, _GAINBase

__all__ = ["SpatialGAINImputer", "SpatialGAINModule"]

#: ``epochs="auto"``: about this many rows x epochs, within ``AUTO_EPOCHS``
#: (30 epochs of 800 images, 20 of 3,600): about a minute and three on one
#: CPU thread in float32
AUTO_EPOCH_ROWS = 72_000
AUTO_EPOCHS = (10, 30)
#: the same in bfloat16 (``precision_``), which trains about 1.6 times as fast
#: on a CPU that has it: 50 epochs of 800 images, 30 of 3,600, in the same time
#: budget (800 images, four splits: MAE 0.0181 against 0.0193 at 20% MCAR,
#: 0.0283 against 0.0297 at 50%, with 50 epochs instead of 30)
AUTO_EPOCH_ROWS_BFLOAT16 = 108_000
AUTO_EPOCHS_BFLOAT16 = (10, 50)


# --------------------------------------------------------------------------- #
# 1. The players
# --------------------------------------------------------------------------- #


#: Channels of each architecture's levels when ``widths=None``: the paper's
#: 64, 32, 16 for its two architectures; a two-level U-Net for ours.
DEFAULT_WIDTHS = {"standard": (64, 32, 16), "updown": (64, 32, 16), "unet": (16, 32, 64)}
#: The discriminator of ``architecture="unet"``: the standard body, narrow.
UNET_DISCRIMINATOR_WIDTHS = (16, 16, 16)


def _spatial_body(in_channels, out_channels, architecture, widths, shape):
    """The layers of SpatialGAIN's architectures (both players share them)."""
    if architecture == "unet":
        # ours: two 3x3 conv blocks per level, max pooling down, transposed
        # convolutions up, skip connections
        return UNet(in_channels, out_channels, widths=widths)
    w1, w2, w3 = widths
    act = (lambda: nn.LeakyReLU(0.2))  # noqa: E731

    def conv(i, o):
        return nn.Conv2d(i, o, kernel_size=3, padding=1)

    if architecture == "standard":
        # Input, [Conv-LeakyReLU-BN] x 3, Conv (, Sigmoid)
        layers = []
        for i, o in zip((in_channels, w1, w2), (w1, w2, w3)):
            layers += [conv(i, o), act(), nn.BatchNorm2d(o)]
        return nn.Sequential(*layers, conv(w3, out_channels))
    # "updown": [Conv-LReLU-BN], [Conv-LReLU-MaxPool-BN], [Conv-LReLU-BN],
    # [ConvTranspose-BN], Conv (, Sigmoid); the transposed convolution lands
    # back on the input's size, odd sizes included
    _, h, w = shape
    return nn.Sequential(
        conv(in_channels, w1), act(), nn.BatchNorm2d(w1),
        conv(w1, w2), act(), nn.MaxPool2d(2), nn.BatchNorm2d(w2),
        conv(w2, w3), act(), nn.BatchNorm2d(w3),
        nn.ConvTranspose2d(w3, w3, kernel_size=2, stride=2, output_padding=(h % 2, w % 2)),
        nn.BatchNorm2d(w3),
        conv(w3, out_channels),
    )


class SpatialGAINModule(nn.Module):
    """SpatialGAIN's generator or discriminator: a fully convolutional net.

    Reads two rows ``a`` and ``b`` of ``n_features`` values (the generator:
    the image with noise in its holes and its mask; the discriminator: the
    completed image and the hint), stacks them as ``2 C`` channels of an
    ``(C, H, W)`` image and returns one value per pixel and channel (the
    generator's imputation, the discriminator's logit that the entry was
    observed). Rows shorter than ``C * H * W`` (a table read as an image) are
    padded: ``a`` with 0, ``b`` with 1 (an always observed zero), and the
    padding is cut from the output.

    Parameters
    ----------
    n_features : int
    shape : tuple (C, H, W)
    architecture : {"standard", "updown", "unet"}
        ``"standard"``: [Conv-LeakyReLU-BN] x 3, Conv. ``"updown"``:
        [Conv-LeakyReLU-BN], [Conv-LeakyReLU-MaxPool-BN], [Conv-LeakyReLU-BN],
        [ConvTranspose-BN], Conv. 3x3 convolutions, LeakyReLU slope 0.2.
        ``"unet"`` (ours): a :class:`~sklimpute.nn.UNet`.
    widths : tuple of int, default=(64, 32, 16)
        Channels of the three inner blocks ("standard", "updown"), or of
        each level of the U-Net, finest first.
    out_activation : str or None, default=None
        ``"sigmoid"`` for the generator, None (logits) for the discriminator.
    prefill : None or "diffusion", default=None
        ``"diffusion"`` (ours, for the generator): the holes of ``a`` (where
        ``b`` is 0) are first filled by :func:`~sklimpute.inpainting.
        diffusion_fill` from the entries ``b`` marks, the network reads that
        filled image and ``b``, and its output is added to the fill: it
        learns the correction of a classical fill (a residual) instead of the
        image. ``out_activation`` is then not applied (the sum may leave
        [0, 1] during training; ``transform`` clips to the data's range).
    precision : {"float32", "bfloat16"}, default="float32"
        What the convolutions compute in (autocast; weights and output in
        float32).
    """

    def __init__(self, n_features, shape, architecture="standard", widths=(64, 32, 16),
                 out_activation=None, prefill=None, precision="float32"):
        super().__init__()
        self.n_features = int(n_features)
        self.shape = tuple(int(s) for s in shape)
        c, h, w = self.shape
        self.pad = c * h * w - self.n_features
        if self.pad < 0:
            raise ValueError(f"shape {self.shape} holds {c * h * w} values, fewer than {n_features}.")
        # "updown" halves the image once: odd sides (a 1-pixel-high strip
        # included) are zero-padded to even ones and the output cropped back
        self.pad_hw = (h % 2, w % 2) if architecture == "updown" else (0, 0)
        body_shape = (c, h + self.pad_hw[0], w + self.pad_hw[1])
        # channels-last convolutions: about 25% faster on CPU (oneDNN), and
        # what tensor cores want on a GPU
        self.body = init_xavier(_spatial_body(2 * c, c, architecture, tuple(widths), body_shape))
        self.body.to(memory_format=torch.channels_last)
        self.prefill = prefill
        self.precision = precision
        self.out = nn.Sigmoid() if out_activation == "sigmoid" and not prefill else nn.Identity()

    def forward(self, a, b):
        n = a.shape[0]
        if self.pad:
            a = F.pad(a, (0, self.pad), value=0.0)
            b = F.pad(b, (0, self.pad), value=1.0)
        if self.prefill:
            a = diffusion_fill(a, b, self.shape)
        x = torch.cat([a.reshape(n, *self.shape), b.reshape(n, *self.shape)], dim=1)
        ph, pw = self.pad_hw
        x = F.pad(x, (0, pw, 0, ph)).contiguous(memory_format=torch.channels_last)
        _, h, w = self.shape
        with autocast(x, self.precision):
            x = self.body(x)
        out = self.out(x.float()[..., :h, :w]).reshape(n, -1)
        if self.prefill:
            out = out + a
        return out[:, : self.n_features]


# --------------------------------------------------------------------------- #
# 2. The imputer
# --------------------------------------------------------------------------- #


class SpatialGAINImputer(_GAINBase):
    __doc__ = """SpatialGAIN: GAIN with convolutional players and a spatial mask and hint.

    The game of :class:`GAINImputer` played by two fully convolutional
    networks of the same architecture (the generator ends in a sigmoid, the
    discriminator returns one logit per pixel and channel), Xavier
    initialisation, Adam (lr 0.001, betas 0.9 and 0.999) for each. The mask
    and the hint are *spatial*: a pixel is missing, hidden or revealed in all
    its channels at once. The hint reveals ``hint_rate`` of the mask at the
    first epoch and less as training goes (``hint_decay``): the
    discriminator grows stronger and needs less help.

    Images come with ``shape``; a table without ``shape`` is read as a
    one-channel image: each row is zero-padded to a ``table_shape`` grid (the
    padding counts as observed and is cut from the output), as the paper does
    with Spambase (57 features on 8x8).

    Parameters
    ----------
    architecture : {"unet", "standard", "updown"}, default="unet"
        ``"standard"``: [Conv-LeakyReLU-BN] x 3, Conv (the paper's Experiment
        1). ``"updown"``: [Conv-LeakyReLU-BN], [Conv-LeakyReLU-MaxPool-BN],
        [Conv-LeakyReLU-BN], [ConvTranspose-BN], Conv, a larger receptive
        field (the paper's single-image experiment). 3x3 convolutions; both
        players share the architecture, as in the paper. ``"unet"`` (ours,
        the default): the generator is a :class:`~sklimpute.nn.UNet` (a
        receptive field that spans a 28 x 28 digit), the discriminator the
        standard body with 16 channels per block
        (``UNET_DISCRIMINATOR_WIDTHS``), which costs little beside it.
    widths : tuple of int or None, default=None
        Channels of the three inner blocks ("standard", "updown"; None: the
        paper's 64, 32, 16), or of the U-Net's levels, finest first
        ("unet"; None: 16, 32, 64). See ``DEFAULT_WIDTHS``.
    prefill : {"diffusion", "noise"}, default="diffusion"
        What the generator reads in the holes. ``"noise"``: uniform noise
        ``U(0, 0.01)``, as in GAIN and the paper. ``"diffusion"`` (ours, the
        default): a classical fill, :func:`~sklimpute.inpainting.
        diffusion_fill` of the entries it may see, recomputed for every
        batch (the hidden entries change at every step); the generator's
        output is *added* to that fill, so it learns the correction of a
        classical inpainting rather than the image. Imputations are clipped
        to the training data's range.
    table_shape : None or tuple (H, W), default=None
        Grid a table's rows are padded to; None picks the smallest square
        that holds them. Ignored when ``shape`` is given.
    precision : {"auto", "float32", "bfloat16"}, default="auto"
        What the players' convolutions compute in (torch autocast; weights,
        optimizers and losses stay in float32). ``"auto"``: bfloat16 where
        the device computes it natively (a CPU with AVX-512 BF16 or AMX, a
        CUDA GPU from Ampere on; :func:`~sklimpute.training.bfloat16_is_fast`),
        float32 elsewhere. On such a CPU bfloat16 fits 4,000 MNIST images
        about 1.5 times faster at the same error (:ref:`gain`). Results then
        differ between machines that do and do not have it.
""" + _COMMON_DOC.format(
        alpha=10.0,
        hide_none=" or None",
        alpha_note="SpatialGAIN uses 10 (GAIN's code: 100).",
        hint_decay=0.97,
        decay_note=("The paper decays the hint without giving the schedule; 0.97 per epoch "
                    "is ours."),
        hide_rate=None,
        hide_note=("None (ours, the default): the data's missing rate (clipped to "
                   "[0.2, 0.5], ``AUTO_HIDE_RATE_RANGE``, with ``hide_pattern='mcar'``), "
                   "on images at most a quarter (``AUTO_IMAGE_HIDE_MAX``: on 800 MNIST "
                   "images at 50% MCAR, MAE 0.0271 against 0.0295 hiding half). "
                   "Hiding is what makes the generator impute well (0 is the paper's "
                   "training; :ref:`gain` compares them)."),
    ) + _TRAINING_DOC.format(
        epochs='"auto"', batch_size=16, patience=10, epochs_auto=' or "auto"',
        patience_note=("\n        On the digits (8x8) the validation loss of batches of 16 is"
                       "\n        noisy: 5 stopped 40% MCAR at epoch 12 (MAE 0.1358), 10 runs the"
                       "\n        30 epochs (0.1113; nearest neighbours 0.1032)."),
        batch_note=("\n        The paper: 64. 16 (ours) makes four times the optimizer steps in"
                    "\n        about the same time on CPU (800 MNIST images, 50% MCAR: MAE"
                    "\n        0.0295 against 0.0327 with 64)."),
        epochs_note="""
        ``"auto"`` (ours): ``AUTO_EPOCH_ROWS / n_train`` epochs (72,000
        rows in all), at least 10 and at most 30: 30 epochs of 800 images,
        20 of 3,600, about one and three minutes on one CPU thread. In
        bfloat16 (``precision_``), which trains about 1.6 times as fast,
        ``AUTO_EPOCH_ROWS_BFLOAT16`` (108,000 rows) and at most 50: 50
        epochs of 800 images, 30 of 3,600, in about the same time. The paper
        trains for at most 15 epochs with early stopping.""",
    ) + """
    Attributes
    ----------
    grid_shape_ : tuple (C, H, W)
        The shape the players read: ``image_shape_``, or the table's grid.
    widths_ : tuple of int
        The channels of the generator's levels (``widths`` or its default).
    epochs_ : int
        The maximal number of epochs (``epochs``, or what ``"auto"`` chose).
    hide_rate_ : float
        The share of observed entries hidden in training.
    precision_ : {"float32", "bfloat16"}
        What the players computed in (``precision`` resolved on ``device_``).
""" + _ATTRIBUTES_DOC + """
    See Also
    --------
    GAINImputer : The same game with dense players, for tables.

    References
    ----------
    .. [1] J. Young, "SpatialGAIN: Spatial Generative Adversarial Imputation
       Networks and its Application to Zero-Shot Pixel Imputation".
    .. [2] J. Yoon, J. Jordon and M. van der Schaar, "GAIN: Missing Data
       Imputation using Generative Adversarial Nets", ICML 2018.

    Examples
    --------
    >>> from sklimpute import SpatialGAINImputer, make_missing
    >>> from sklimpute.datasets import load_digits
    >>> X, _ = load_digits()
    >>> X_missing, hidden = make_missing(X[:300], "mcar", rate=0.2, random_state=0)
    >>> imp = SpatialGAINImputer(shape=(8, 8), epochs=2, random_state=0).fit(X_missing)
    >>> imp.transform(X_missing).shape, imp.grid_shape_
    ((300, 64), (1, 8, 8))
    """

    _parameter_constraints = {
        **_GAINBase._parameter_constraints,
        "architecture": [StrOptions({"standard", "updown", "unet"})],
        "widths": [tuple, list, None],
        "prefill": [StrOptions({"diffusion", "noise"})],
        "precision": [StrOptions(set(PRECISIONS))],
        "epochs": [Interval(numbers.Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "table_shape": [tuple, list, None],
    }

    def __init__(
        self,
        *,
        architecture="unet",
        widths=None,
        prefill="diffusion",
        table_shape=None,
        precision="auto",
        alpha=10.0,
        hint="code",
        hint_rate=0.9,
        hint_decay=0.97,
        hide_rate=None,
        hide_pattern="data",
        epochs="auto",
        batch_size=16,
        lr=1e-3,
        device="cpu",
        validation_fraction=0.1,
        patience=10,
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
        self.architecture = architecture
        self.widths = widths
        self.prefill = prefill
        self.table_shape = table_shape
        self.precision = precision
        self.alpha = alpha
        self.hint = hint
        self.hint_rate = hint_rate
        self.hint_decay = hint_decay
        self.hide_rate = hide_rate
        self.hide_pattern = hide_pattern

    def _grid(self, n_features):
        if self.image_shape_ is not None:
            return tuple(self.image_shape_)
        if self.table_shape is None:
            side = math.ceil(math.sqrt(n_features))
            return (1, side, side)
        shape = tuple(int(s) for s in self.table_shape)
        if len(shape) != 2 or shape[0] * shape[1] < n_features:
            raise ValueError(
                f"table_shape={self.table_shape!r} must be (H, W) with H * W >= {n_features} "
                "(the number of features); use None for the smallest square."
            )
        return (1,) + shape

    def _fit(self, X, observed):
        widths = DEFAULT_WIDTHS[self.architecture] if self.widths is None else tuple(self.widths)
        if self.architecture != "unet" and len(widths) != 3:
            raise ValueError(f"widths must hold 3 channel counts for architecture="
                             f"{self.architecture!r}, got {self.widths!r}.")
        if not widths or not all(isinstance(w, numbers.Integral) and w > 0 for w in widths):
            raise ValueError(f"widths must be positive channel counts, got {self.widths!r}.")
        self.widths_ = widths
        self.precision_ = resolve_precision(self.precision, self._target_device())
        self.epochs_ = self._max_epochs(X.shape[0])
        self.grid_shape_ = self._grid(X.shape[1])
        return super()._fit(X, observed)

    def _max_epochs(self, n_samples):
        if self.epochs != "auto":
            return self.epochs
        n_train = n_samples - int(np.floor(n_samples * float(self.validation_fraction)))
        if getattr(self, "precision_", "float32") == "bfloat16":
            rows, limits = AUTO_EPOCH_ROWS_BFLOAT16, AUTO_EPOCHS_BFLOAT16
        else:
            rows, limits = AUTO_EPOCH_ROWS, AUTO_EPOCHS
        return int(np.clip(round(rows / max(n_train, 1)), *limits))

    def _players(self, n_features):
        # set in _fit; a model saved before precision existed was float32
        precision = getattr(self, "precision_", "float32")
        common = dict(n_features=n_features, shape=self.grid_shape_, architecture=self.architecture,
                      widths=self.widths_, precision=precision)
        prefill = None if self.prefill == "noise" else self.prefill
        generator = {**common, "out_activation": "sigmoid", "prefill": prefill}
        if self.architecture == "unet":
            # the discriminator only tells imputed from observed pixels: the
            # paper's standard body, narrow, costs a fifteenth of the U-Net
            common = {**common, "architecture": "standard", "widths": UNET_DISCRIMINATOR_WIDTHS}
        return SpatialGAINModule, generator, common, self.grid_shape_[0]


def __getattr__(name):
    if name == "SpatialGAINNet":  # the torch module's former name (*Net is a skorch net)
        warnings.warn("SpatialGAINNet is deprecated: use "
                      "sklimpute.models.spatialgain.SpatialGAINModule.", FutureWarning, stacklevel=2)
        return SpatialGAINModule
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
