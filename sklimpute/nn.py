"""Reusable torch building blocks shared by the models.

Every layer stack a model needs is built here once, so that a file in
:mod:`sklimpute.models` only says *which* networks its paper uses:

* :class:`MLP` -- fully connected stack (Linear -> [BatchNorm] -> activation
  -> [Dropout]) with an optional output activation;
* :class:`GroupedLinear` / :class:`GroupedMLP` -- many independent small
  networks (one per feature or modality) evaluated at once with a batched
  matrix product, so that 784 per-pixel encoders cost about as much as 8;
* :func:`conv_stack` / :func:`conv_output_shape` -- sequences of (transposed)
  convolution blocks and their output shape;
* :class:`ConvEncoder` / :class:`ConvDecoder` -- image to vector and vector to
  image, the decoder landing exactly on any ``(C, H, W)``, odd sizes included;
* :class:`UNet` -- a small U-Net for any ``H, W``;
* :func:`init_xavier`, :func:`init_he`, :func:`reshape_images`, :func:`flatten_images` and
  :func:`get_activation`.

No block hard-codes a device or dtype: move a module with ``.to(device,
dtype)`` and feed it tensors of the same kind. Parameters are drawn from
torch's global generator, so ``torch.manual_seed`` makes construction
deterministic.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "ConvDecoder",
    "ConvEncoder",
    "GroupedBatchNorm",
    "GroupedLinear",
    "GroupedMLP",
    "MLP",
    "UNet",
    "conv_output_shape",
    "conv_stack",
    "flatten_images",
    "get_activation",
    "init_he",
    "init_xavier",
    "kl_standard_normal",
    "reparameterize",
    "reshape_images",
]

_ACTIVATIONS = {
    "relu": nn.ReLU,
    # 0.2 is the slope of the GAN literature (DCGAN, MisGAN, SpatialGAIN)
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "sigmoid": nn.Sigmoid,
    "softplus": nn.Softplus,
    "identity": nn.Identity,
}


def get_activation(activation):
    """Return a fresh activation module.

    Parameters
    ----------
    activation : str, nn.Module subclass, callable or None
        One of ``"relu"``, ``"leaky_relu"`` (negative slope 0.2), ``"tanh"``,
        ``"elu"``, ``"sigmoid"``, ``"softplus"``, ``"identity"``; or an
        ``nn.Module`` class (or any callable) instantiated without arguments;
        ``None`` gives :class:`torch.nn.Identity`.

    Returns
    -------
    module : nn.Module

    Examples
    --------
    >>> get_activation("leaky_relu")
    LeakyReLU(negative_slope=0.2)
    >>> get_activation(torch.nn.GELU)
    GELU(approximate='none')
    """
    if activation is None:
        return nn.Identity()
    if isinstance(activation, str):
        try:
            return _ACTIVATIONS[activation]()
        except KeyError:
            raise ValueError(
                f"Unknown activation {activation!r}; use one of {sorted(_ACTIVATIONS)}, "
                "an nn.Module class or None."
            ) from None
    if callable(activation):
        module = activation()
        if isinstance(module, nn.Module):
            return module
    raise ValueError(
        f"activation={activation!r} is not a name, an nn.Module class or None."
    )


def _as_chw(shape):
    """``(H, W)`` -> ``(1, H, W)``; ``(C, H, W)`` unchanged, as ints."""
    shape = tuple(int(s) for s in shape)
    if len(shape) == 2:
        shape = (1,) + shape
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"Image shape must be (H, W) or (C, H, W), got {shape}.")
    return shape


# --------------------------------------------------------------------------- #
# Fully connected
# --------------------------------------------------------------------------- #


def _dense_layers(widths, linear, norm, activation, dropout, out_activation, norm_first_only=False):
    """List the layers of an MLP (plain or grouped) through ``widths``.

    ``linear(n_in, n_out)`` -> [``norm(n_out)``] -> activation -> [Dropout]
    for each hidden width (the norm after the first hidden layer only with
    ``norm_first_only``), a last ``linear``, then ``out_activation`` if given.
    """
    layers = []
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(linear(n_in, n_out))
        if i == len(widths) - 2:
            break
        if norm is not None and (i == 0 or not norm_first_only):
            layers.append(norm(n_out))
        layers.append(get_activation(activation))
        if dropout:
            layers.append(nn.Dropout(dropout))
    if out_activation is not None:
        layers.append(get_activation(out_activation))
    return layers


class MLP(nn.Sequential):
    """Multi-layer perceptron.

    Each hidden layer is ``Linear -> [BatchNorm1d] -> activation ->
    [Dropout]``; a final ``Linear`` maps to ``out_features``, followed by
    ``out_activation`` when one is given.

    Parameters
    ----------
    in_features : int
        Input width.
    hidden : sequence of int
        Widths of the hidden layers; may be empty (a single ``Linear``).
    out_features : int
        Output width.
    activation : str or nn.Module class, default="relu"
        Hidden activation, see :func:`get_activation`.
    batchnorm : bool or "first", default=False
        Add ``BatchNorm1d`` after every hidden ``Linear`` (True) or after the
        first one only (``"first"``, VSAE's stacks).
    dropout : float, default=0.0
        Dropout probability after every hidden activation (0 adds none).
    out_activation : str, nn.Module class or None, default=None
        Output activation, e.g. ``"sigmoid"`` or ``"tanh"``.

    Examples
    --------
    >>> mlp = MLP(10, [32, 32], 3, batchnorm=True, dropout=0.1, out_activation="sigmoid")
    >>> mlp(torch.randn(4, 10)).shape
    torch.Size([4, 3])
    """

    def __init__(
        self,
        in_features,
        hidden,
        out_features,
        *,
        activation="relu",
        batchnorm=False,
        dropout=0.0,
        out_activation=None,
    ):
        super().__init__(
            *_dense_layers(
                [in_features, *hidden, out_features],
                nn.Linear,
                nn.BatchNorm1d if batchnorm else None,
                activation,
                dropout,
                out_activation,
                norm_first_only=batchnorm == "first",
            )
        )
        self.in_features = in_features
        self.out_features = out_features


class GroupedLinear(nn.Module):
    """``n_groups`` independent linear layers applied in one batched product.

    Maps ``(..., n_groups, in_features)`` to ``(..., n_groups,
    out_features)``: group ``g`` sees only ``x[..., g, :]`` and has its own
    ``weight[g]`` (laid out like :attr:`torch.nn.Linear.weight`, ``(out,
    in)``) and ``bias[g]``. The cost is one ``einsum``, not a Python loop, so
    hundreds of groups run at the speed of a few.

    Parameters
    ----------
    n_groups : int
        Number of independent layers.
    in_features, out_features : int
        Input and output width of each layer.
    bias : bool, default=True
        Learn a per-group bias.

    Attributes
    ----------
    weight : Parameter of shape (n_groups, out_features, in_features)
    bias : Parameter of shape (n_groups, out_features) or None

    Examples
    --------
    >>> layer = GroupedLinear(784, 1, 16)
    >>> layer(torch.randn(8, 784, 1)).shape
    torch.Size([8, 784, 16])
    """

    def __init__(self, n_groups, in_features, out_features, bias=True):
        super().__init__()
        self.n_groups = n_groups
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(n_groups, out_features, in_features))
        self.bias = nn.Parameter(torch.empty(n_groups, out_features)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """Initialise every group as :class:`torch.nn.Linear` does: U(-1/sqrt(in), 1/sqrt(in))."""
        bound = 1.0 / math.sqrt(self.in_features) if self.in_features else 0.0
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        out = torch.einsum("...gi,goi->...go", x, self.weight)
        if self.bias is not None:
            out = out + self.bias
        return out

    def extra_repr(self):
        return (
            f"n_groups={self.n_groups}, in_features={self.in_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )


class GroupedBatchNorm(nn.BatchNorm1d):
    """``BatchNorm1d`` over all ``n_groups * n_features`` channels.

    Normalises a ``(batch, n_groups, n_features)`` input, each group and
    feature with its own statistics and affine parameters.

    Parameters
    ----------
    n_groups, n_features : int
        The last two dimensions of the input.
    """

    def __init__(self, n_groups, n_features):
        super().__init__(n_groups * n_features)

    def forward(self, x):
        return super().forward(x.reshape(x.shape[0], -1)).reshape(x.shape)


class GroupedMLP(nn.Sequential):
    """``n_groups`` independent MLPs evaluated at once.

    The grouped counterpart of :class:`MLP`, built from
    :class:`GroupedLinear`: ``(batch, n_groups, in_features)`` ->
    ``(batch, n_groups, out_features)``. Useful for per-feature or
    per-modality encoders and decoders (VSAE).

    Parameters
    ----------
    n_groups : int
        Number of independent networks.
    in_features : int
        Input width of each network.
    hidden : sequence of int
        Hidden widths (shared by all groups); may be empty.
    out_features : int
        Output width of each network.
    activation : str or nn.Module class, default="relu"
        Hidden activation, see :func:`get_activation`.
    batchnorm : bool or "first", default=False
        Batch normalisation over the ``n_groups * width`` channels after every
        hidden layer (each group and unit gets its own statistics), or after
        the first one only (``"first"``).
    dropout : float, default=0.0
        Dropout probability after every hidden activation.
    out_activation : str, nn.Module class or None, default=None
        Output activation.

    Examples
    --------
    >>> enc = GroupedMLP(784, 1, [16], 4, batchnorm=True)
    >>> enc(torch.randn(8, 784, 1)).shape
    torch.Size([8, 784, 4])
    """

    def __init__(
        self,
        n_groups,
        in_features,
        hidden,
        out_features,
        *,
        activation="relu",
        batchnorm=False,
        dropout=0.0,
        out_activation=None,
    ):
        super().__init__(
            *_dense_layers(
                [in_features, *hidden, out_features],
                lambda n_in, n_out: GroupedLinear(n_groups, n_in, n_out),
                (lambda width: GroupedBatchNorm(n_groups, width)) if batchnorm else None,
                activation,
                dropout,
                out_activation,
                norm_first_only=batchnorm == "first",
            )
        )
        self.n_groups = n_groups
        self.in_features = in_features
        self.out_features = out_features


# --------------------------------------------------------------------------- #
# Convolutional
# --------------------------------------------------------------------------- #


def conv_stack(
    channels,
    *,
    kernel_size=3,
    stride=1,
    padding=1,
    activation="relu",
    batchnorm=False,
    dropout=0.0,
    transpose=False,
    output_padding=0,
    pool=False,
    activate_last=True,
):
    """Build a sequence of convolution blocks.

    Block ``i`` maps ``channels[i]`` to ``channels[i + 1]`` channels with
    ``Conv2d`` (or ``ConvTranspose2d``) -> [``BatchNorm2d``] -> activation ->
    [``Dropout2d``] -> [``MaxPool2d(2)``].

    Parameters
    ----------
    channels : sequence of int
        Channel widths; ``channels[0]`` is the input, so there are
        ``len(channels) - 1`` blocks.
    kernel_size, stride, padding : int or tuple, default=3, 1, 1
        Convolution geometry, the same for every block.
    activation : str or nn.Module class, default="relu"
        See :func:`get_activation`.
    batchnorm : bool, default=False
        Add ``BatchNorm2d`` after each convolution.
    dropout : float, default=0.0
        Channel dropout (``Dropout2d``) probability after each activation.
    transpose : bool, default=False
        Use ``ConvTranspose2d`` (upsampling) instead of ``Conv2d``.
    output_padding : int, tuple or list of them, default=0
        ``ConvTranspose2d`` output padding: an int or ``(h, w)`` tuple for all
        blocks, or a list with one per block (how :class:`ConvDecoder` lands
        on an exact size).
    pool : bool, default=False
        Halve the resolution with ``MaxPool2d(2)`` at the end of each block.
    activate_last : bool, default=True
        If False the last block is a bare convolution (no batchnorm,
        activation, dropout or pooling): use it for an output layer.

    Returns
    -------
    stack : nn.Sequential

    Examples
    --------
    >>> stack = conv_stack([1, 16, 32], stride=2)
    >>> stack(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 32, 7, 7])
    """
    n = len(channels) - 1
    if n < 1:
        raise ValueError("channels needs at least an input and an output width.")
    if isinstance(output_padding, list):
        if len(output_padding) != n:
            raise ValueError(f"output_padding has {len(output_padding)} entries for {n} blocks.")
    else:
        output_padding = [output_padding] * n
    layers = []
    for i, (c_in, c_out) in enumerate(zip(channels[:-1], channels[1:])):
        if transpose:
            layers.append(
                nn.ConvTranspose2d(
                    c_in, c_out, kernel_size, stride, padding, output_padding=output_padding[i]
                )
            )
        else:
            layers.append(nn.Conv2d(c_in, c_out, kernel_size, stride, padding))
        if i == n - 1 and not activate_last:
            break
        if batchnorm:
            layers.append(nn.BatchNorm2d(c_out))
        layers.append(get_activation(activation))
        if dropout:
            layers.append(nn.Dropout2d(dropout))
        if pool:
            layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


def conv_output_shape(shape, module):
    """Shape ``(C, H, W)`` of ``module``'s output for one input of ``shape``.

    Runs a zero tensor (on the module's device and dtype) through the module
    under ``no_grad`` and in eval mode, so batchnorm statistics are untouched.

    Parameters
    ----------
    shape : tuple of int
        Input shape without the batch dimension, ``(C, H, W)``.
    module : nn.Module

    Returns
    -------
    shape : tuple of int
        Output shape without the batch dimension.

    Examples
    --------
    >>> conv_output_shape((1, 28, 28), conv_stack([1, 8], stride=2))
    (8, 14, 14)
    """
    param = next(module.parameters(), None)
    kwargs = {} if param is None else {"device": param.device, "dtype": param.dtype}
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        with torch.no_grad():
            out = module(torch.zeros(1, *shape, **kwargs))
    finally:
        for m, mode in modes:
            m.training = mode
    return tuple(out.shape[1:])


def _conv_sizes(size, n, kernel_size, stride, padding):
    """Spatial sizes after each of ``n`` strided convolutions (``size`` first)."""
    sizes = [size]
    for _ in range(n):
        sizes.append((sizes[-1] + 2 * padding - kernel_size) // stride + 1)
    return sizes


class ConvEncoder(nn.Module):
    """Convolutional encoder: image -> vector.

    ``conv_stack`` of strided convolutions (``padding = kernel_size // 2``),
    flatten, then an :class:`MLP` to ``out_features``.

    Parameters
    ----------
    in_shape : tuple of int
        Input image shape ``(C, H, W)`` or ``(H, W)``.
    channels : sequence of int, default=(32, 32)
        Widths of the convolution blocks.
    kernel_size : int, default=3
    stride : int, default=2
        Stride of every convolution (each halves the resolution when 2).
    hidden : sequence of int, default=()
        Hidden widths of the MLP head.
    out_features : int
        Output width (keyword-only, required).
    activation : str or nn.Module class, default="relu"
    batchnorm : bool, default=False
        Batch normalisation in the convolution and MLP blocks.
    dropout : float, default=0.0
    out_activation : str, nn.Module class or None, default=None

    Attributes
    ----------
    feature_shape : tuple of int
        ``(C, H, W)`` of the last feature map.

    Examples
    --------
    >>> enc = ConvEncoder((1, 28, 28), (16, 32), out_features=10)
    >>> enc(torch.zeros(4, 1, 28, 28)).shape
    torch.Size([4, 10])
    >>> enc(torch.zeros(4, 784)).shape  # flattened rows are reshaped
    torch.Size([4, 10])
    """

    def __init__(
        self,
        in_shape,
        channels=(32, 32),
        *,
        kernel_size=3,
        stride=2,
        hidden=(),
        out_features,
        activation="relu",
        batchnorm=False,
        dropout=0.0,
        out_activation=None,
    ):
        super().__init__()
        self.in_shape = _as_chw(in_shape)
        self.conv = conv_stack(
            [self.in_shape[0], *channels],
            kernel_size=kernel_size,
            stride=stride,
            padding=kernel_size // 2,
            activation=activation,
            batchnorm=batchnorm,
            dropout=dropout,
        )
        self.feature_shape = conv_output_shape(self.in_shape, self.conv)
        self.mlp = MLP(
            math.prod(self.feature_shape),
            hidden,
            out_features,
            activation=activation,
            batchnorm=batchnorm,
            dropout=dropout,
            out_activation=out_activation,
        )

    def forward(self, x):
        if x.dim() == 2:
            x = reshape_images(x, self.in_shape)
        return self.mlp(self.conv(x).flatten(1))


class ConvDecoder(nn.Module):
    """Convolutional decoder: vector -> image of exactly ``out_shape``.

    An :class:`MLP` to the flattened feature map, reshape, then transposed
    convolutions mirroring :class:`ConvEncoder` with the same ``channels``,
    ``kernel_size`` and ``stride``. Each layer's ``output_padding`` is chosen
    so the output is exactly ``(C, H, W)`` for any ``H, W`` (odd sizes too).
    The last layer is a bare transposed convolution followed by
    ``out_activation``.

    Parameters
    ----------
    in_features : int
        Input (latent) width.
    out_shape : tuple of int
        Output image shape ``(C, H, W)`` or ``(H, W)``.
    channels : sequence of int, default=(32, 32)
        Widths in *encoder* order; the decoder runs them in reverse.
    kernel_size : int, default=3
    stride : int, default=2
    hidden : sequence of int, default=()
        Hidden widths of the MLP head.
    activation : str or nn.Module class, default="relu"
    batchnorm : bool, default=False
    dropout : float, default=0.0
    out_activation : str, nn.Module class or None, default=None
        E.g. ``"sigmoid"`` for images in [0, 1].

    Attributes
    ----------
    feature_shape : tuple of int
        ``(C, H, W)`` of the feature map the MLP produces.

    Examples
    --------
    >>> dec = ConvDecoder(10, (1, 7, 9), (16, 32), out_activation="sigmoid")
    >>> dec(torch.zeros(4, 10)).shape
    torch.Size([4, 1, 7, 9])
    """

    def __init__(
        self,
        in_features,
        out_shape,
        channels=(32, 32),
        *,
        kernel_size=3,
        stride=2,
        hidden=(),
        activation="relu",
        batchnorm=False,
        dropout=0.0,
        out_activation=None,
    ):
        super().__init__()
        self.out_shape = _as_chw(out_shape)
        channels = list(channels)
        if not channels:
            raise ValueError("ConvDecoder needs at least one channel width.")
        padding = kernel_size // 2
        c, h, w = self.out_shape
        hs = _conv_sizes(h, len(channels), kernel_size, stride, padding)
        ws = _conv_sizes(w, len(channels), kernel_size, stride, padding)

        def remainder(size):
            # ConvTranspose2d gives (s_in - 1) * stride - 2 * padding + kernel_size
            # + output_padding; this remainder (< stride) lands back on `size`.
            return (size + 2 * padding - kernel_size) % stride

        output_padding = [
            (remainder(hs[i]), remainder(ws[i])) for i in reversed(range(len(channels)))
        ]
        self.feature_shape = (channels[-1], hs[-1], ws[-1])
        self.mlp = MLP(
            in_features,
            hidden,
            math.prod(self.feature_shape),
            activation=activation,
            batchnorm=batchnorm,
            dropout=dropout,
            out_activation=activation,
        )
        self.deconv = conv_stack(
            [*reversed(channels), c],
            kernel_size=kernel_size,
            stride=stride,
            padding=padding,
            activation=activation,
            batchnorm=batchnorm,
            dropout=dropout,
            transpose=True,
            output_padding=output_padding,
            activate_last=False,
        )
        self.out_activation = get_activation(out_activation)

    def forward(self, z):
        x = self.mlp(z).reshape(z.shape[0], *self.feature_shape)
        return self.out_activation(self.deconv(x))


class UNet(nn.Module):
    """Small U-Net for images of any size.

    ``len(widths)`` levels of two 3x3 convolution blocks; ``MaxPool2d(2)``
    between levels on the way down, ``ConvTranspose2d(2, stride=2)`` and
    concatenation with the skip connection on the way up; a final 1x1
    convolution. The input is zero-padded (bottom, right) to a multiple of
    ``2 ** (len(widths) - 1)`` and the output cropped back to ``H, W``.

    Parameters
    ----------
    in_channels, out_channels : int
    widths : sequence of int, default=(32, 64, 128)
        Channels at each resolution, finest first.
    activation : str or nn.Module class, default="relu"
    batchnorm : bool, default=False
    out_activation : str, nn.Module class or None, default=None

    Examples
    --------
    >>> unet = UNet(2, 1, widths=(8, 16))
    >>> unet(torch.zeros(3, 2, 7, 9)).shape
    torch.Size([3, 1, 7, 9])
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        *,
        widths=(32, 64, 128),
        activation="relu",
        batchnorm=False,
        out_activation=None,
    ):
        super().__init__()
        widths = list(widths)
        if not widths:
            raise ValueError("UNet needs at least one width.")

        def block(c_in, c_out):
            return conv_stack([c_in, c_out, c_out], activation=activation, batchnorm=batchnorm)

        self.depth = len(widths) - 1
        self.down = nn.ModuleList(
            block(c_in, c_out) for c_in, c_out in zip([in_channels, *widths[:-1]], widths)
        )
        self.pool = nn.MaxPool2d(2)
        self.up = nn.ModuleList(
            nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2)
            for i in reversed(range(self.depth))
        )
        self.up_blocks = nn.ModuleList(
            block(2 * widths[i], widths[i]) for i in reversed(range(self.depth))
        )
        self.head = nn.Conv2d(widths[0], out_channels, 1)
        self.out_activation = get_activation(out_activation)

    def forward(self, x):
        h, w = x.shape[-2:]
        m = 2**self.depth
        x = F.pad(x, (0, -w % m, 0, -h % m))
        skips = []
        for i, block in enumerate(self.down):
            if i:
                x = self.pool(x)
            x = block(x)
            skips.append(x)
        skips.pop()
        for up, block in zip(self.up, self.up_blocks):
            x = block(torch.cat([up(x), skips.pop()], dim=1))
        return self.out_activation(self.head(x)[..., :h, :w])


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #


def init_xavier(module, gain=1.0):
    """Xavier-uniform weights and zero biases for every linear and conv layer.

    Applies to ``nn.Linear``, ``nn.Conv*d``, ``nn.ConvTranspose*d`` and
    :class:`GroupedLinear` (each group with its own fan-in and fan-out);
    other parameters (batchnorm, ...) are left as they are.

    Parameters
    ----------
    module : nn.Module
        Initialised in place, submodules included.
    gain : float, default=1.0

    Returns
    -------
    module : nn.Module
        The same module, for chaining.

    Examples
    --------
    >>> net = init_xavier(MLP(4, [8], 2))
    >>> net[0].bias.abs().sum().item()
    0.0
    """
    for m in module.modules():
        if isinstance(m, GroupedLinear):
            bound = gain * math.sqrt(6.0 / (m.in_features + m.out_features))
            nn.init.uniform_(m.weight, -bound, bound)
        elif isinstance(m, (nn.Linear, nn.modules.conv._ConvNd)):
            nn.init.xavier_uniform_(m.weight, gain=gain)
        else:
            continue
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    return module


def init_he(module, negative_slope=0.0):
    """He-uniform weights (ReLU or LeakyReLU gain) and zero biases for every linear and conv layer.

    PyTorch's default initialisation scales each (Leaky)ReLU layer's output
    down; in a deep VAE the latent means then barely depend on the input at
    the start and the KL term collapses the posterior before the decoder
    learns to read it. He initialisation keeps the signal's scale. Applies
    to ``nn.Linear``, ``nn.Conv*d``, ``nn.ConvTranspose*d`` and
    :class:`GroupedLinear` (each group with its own fan-in).

    Parameters
    ----------
    module : nn.Module
        Initialised in place, submodules included.
    negative_slope : float, default=0.0
        The LeakyReLU slope the gain is for (0: ReLU).

    Returns
    -------
    module : nn.Module
        The same module, for chaining.

    Examples
    --------
    >>> lin = init_he(nn.Linear(600, 10))
    >>> bool(lin.weight.abs().max() <= (6 / 600) ** 0.5), lin.bias.abs().sum().item()
    (True, 0.0)
    """
    for m in module.modules():
        if isinstance(m, GroupedLinear):
            bound = math.sqrt(6.0 / ((1 + negative_slope**2) * m.in_features))
            nn.init.uniform_(m.weight, -bound, bound)
        elif isinstance(m, (nn.Linear, nn.modules.conv._ConvNd)):
            nn.init.kaiming_uniform_(m.weight, a=negative_slope, nonlinearity="leaky_relu")
        else:
            continue
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    return module


def reparameterize(mu, logvar):
    """A draw ``z = mu + sigma * eps`` of ``N(mu, exp(logvar))``, differentiable in both.

    Examples
    --------
    >>> mu, logvar = torch.zeros(10000, 2), torch.full((10000, 2), 2 * math.log(3.0))
    >>> round(float(reparameterize(mu, logvar).std()), 1)
    3.0
    """
    return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)


def kl_standard_normal(mu, logvar):
    """Elementwise ``KL(N(mu, exp(logvar)) || N(0, 1))``; sum it over the latent dimensions.

    Examples
    --------
    >>> float(kl_standard_normal(torch.zeros(1), torch.zeros(1))) == 0.0  # the prior itself
    True
    >>> float(kl_standard_normal(torch.ones(1), torch.zeros(1)))
    0.5
    """
    return -0.5 * (1.0 + logvar - mu.pow(2) - logvar.exp())


def reshape_images(x, shape):
    """``(batch, C*H*W)`` -> ``(batch, C, H, W)``, C order (channels first).

    Parameters
    ----------
    x : Tensor of shape (batch, n_features)
    shape : tuple of int
        ``(C, H, W)``, or ``(H, W)`` for one channel.

    Returns
    -------
    images : Tensor of shape (batch, C, H, W)

    Examples
    --------
    >>> reshape_images(torch.zeros(5, 64), (8, 8)).shape
    torch.Size([5, 1, 8, 8])
    """
    shape = _as_chw(shape)
    if x.shape[-1] != math.prod(shape):
        raise ValueError(f"Rows of {x.shape[-1]} values cannot be shaped as {shape}.")
    return x.reshape(x.shape[0], *shape)


def flatten_images(x):
    """``(batch, C, H, W)`` -> ``(batch, C*H*W)``, the inverse of :func:`reshape_images`.

    Parameters
    ----------
    x : Tensor of shape (batch, ...)

    Returns
    -------
    rows : Tensor of shape (batch, n_features)

    Examples
    --------
    >>> flatten_images(torch.zeros(5, 3, 4, 4)).shape
    torch.Size([5, 48])
    """
    return x.reshape(x.shape[0], -1)
