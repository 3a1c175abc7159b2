"""Tests of the shared torch building blocks in :mod:`sklimpute.nn`."""

import math
import time

import numpy as np
import pytest
import torch
from torch import nn

from sklimpute.nn import (
    MLP,
    ConvDecoder,
    ConvEncoder,
    GroupedBatchNorm,
    GroupedLinear,
    GroupedMLP,
    UNet,
    conv_output_shape,
    conv_stack,
    flatten_images,
    get_activation,
    init_xavier,
    reshape_images,
)

IMAGE_SHAPES = [(1, 8, 8), (1, 28, 28), (1, 7, 9), (3, 32, 32), (2, 5, 3), (1, 1, 1)]


def _count(module, kind):
    return sum(isinstance(m, kind) for m in module.modules())


# --------------------------------------------------------------------------- activations


@pytest.mark.parametrize(
    "name, kind",
    [("relu", nn.ReLU), ("leaky_relu", nn.LeakyReLU), ("tanh", nn.Tanh), ("elu", nn.ELU),
     ("sigmoid", nn.Sigmoid), (None, nn.Identity), (nn.GELU, nn.GELU)],
)
def test_get_activation(name, kind):
    assert isinstance(get_activation(name), kind)


def test_get_activation_rejects_unknown():
    with pytest.raises(ValueError, match="Unknown activation"):
        get_activation("swishy")
    with pytest.raises(ValueError):
        get_activation(3)


# --------------------------------------------------------------------------- MLP


@pytest.mark.parametrize("hidden", [(), (16,), (32, 8, 4)])
def test_mlp_shapes(hidden):
    mlp = MLP(5, hidden, 3)
    assert mlp(torch.randn(7, 5)).shape == (7, 3)
    assert _count(mlp, nn.Linear) == len(hidden) + 1
    assert mlp.in_features == 5 and mlp.out_features == 3


def test_mlp_options_in_module_list():
    plain = MLP(4, [8, 8], 2)
    assert _count(plain, nn.BatchNorm1d) == 0 and _count(plain, nn.Dropout) == 0
    assert _count(plain, nn.ReLU) == 2 and isinstance(plain[-1], nn.Linear)

    mlp = MLP(
        4, [8, 8], 2, activation="tanh", batchnorm=True, dropout=0.3, out_activation="sigmoid"
    )
    kinds = [type(m) for m in mlp]
    assert kinds == [nn.Linear, nn.BatchNorm1d, nn.Tanh, nn.Dropout] * 2 + [nn.Linear, nn.Sigmoid]
    assert mlp[3].p == 0.3
    out = mlp.eval()(torch.randn(10, 4) * 100)
    assert ((out >= 0) & (out <= 1)).all()



def test_batchnorm_first_normalises_after_the_first_hidden_layer_only():
    # VSAE's stacks (Appendix B.2): Linear -> BN -> act, then Linear -> act
    mlp = MLP(4, [8, 8, 8], 2, activation=nn.LeakyReLU, batchnorm="first")
    assert [type(m) for m in mlp] == [nn.Linear, nn.BatchNorm1d, nn.LeakyReLU] + [
        nn.Linear, nn.LeakyReLU] * 2 + [nn.Linear]
    assert mlp[2].negative_slope == 0.01  # the class's default, not the GAN slope
    grouped = GroupedMLP(3, 4, [8, 8], 2, batchnorm="first")
    kinds = [type(m) for m in grouped]
    assert kinds.count(GroupedBatchNorm) == 1 and kinds[1] is GroupedBatchNorm


# --------------------------------------------------------------------------- grouped layers


def test_grouped_linear_matches_separate_linears():
    torch.manual_seed(0)
    n_groups, n_in, n_out = 5, 3, 4
    linears = [nn.Linear(n_in, n_out) for _ in range(n_groups)]
    grouped = GroupedLinear(n_groups, n_in, n_out)
    with torch.no_grad():
        for g, lin in enumerate(linears):
            grouped.weight[g].copy_(lin.weight)
            grouped.bias[g].copy_(lin.bias)
    x = torch.randn(6, n_groups, n_in)
    expected = torch.stack([lin(x[:, g]) for g, lin in enumerate(linears)], dim=1)
    assert torch.allclose(grouped(x), expected, atol=1e-6)


def test_grouped_linear_gradients_reach_every_group():
    layer = GroupedLinear(7, 2, 3)
    layer(torch.randn(4, 7, 2)).pow(2).sum().backward()
    assert (layer.weight.grad.abs().sum(dim=(1, 2)) > 0).all()
    assert (layer.bias.grad.abs().sum(dim=1) > 0).all()


def test_grouped_linear_init_like_linear():
    layer = GroupedLinear(100, 9, 5)
    bound = 1 / math.sqrt(9)
    assert layer.weight.abs().max() <= bound and layer.bias.abs().max() <= bound
    # every group is drawn, not one group repeated
    assert not torch.allclose(layer.weight[0], layer.weight[1])
    assert layer.weight.std() > bound / 3
    assert "n_groups=100" in repr(layer)


def test_grouped_linear_without_bias():
    layer = GroupedLinear(3, 2, 2, bias=False)
    assert layer.bias is None
    assert layer(torch.zeros(1, 3, 2)).abs().sum() == 0


@pytest.mark.parametrize("batchnorm", [False, True])
def test_grouped_mlp_groups_are_independent(batchnorm):
    torch.manual_seed(0)
    mlp = GroupedMLP(6, 2, [8, 8], 3, activation="elu", batchnorm=batchnorm, dropout=0.1)
    assert _count(mlp, GroupedLinear) == 3
    assert _count(mlp, nn.BatchNorm1d) == (2 if batchnorm else 0)
    assert _count(mlp, nn.Dropout) == 2
    mlp(torch.randn(16, 6, 2))  # a training step moves the batchnorm statistics
    mlp.eval()
    x = torch.randn(4, 6, 2)
    x2 = x.clone()
    x2[:, 2] += 1.0
    diff = (mlp(x2) - mlp(x)).abs().sum(dim=(0, 2))
    assert diff[2] > 0
    assert torch.all(diff[torch.arange(6) != 2] == 0)


def test_grouped_linear_is_fast_for_many_groups():
    """784 per-pixel layers must not cost 784 separate layers (no Python loop)."""

    def median_ms(fn, x, repeats=7):
        fn(x).sum().backward()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn(x).sum().backward()
            times.append(time.perf_counter() - start)
        return 1e3 * float(np.median(times))

    torch.manual_seed(0)
    x784 = torch.randn(64, 784, 1)
    linears = nn.ModuleList(nn.Linear(1, 16) for _ in range(784))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: stable timings on a shared machine
    try:
        grouped784 = median_ms(GroupedLinear(784, 1, 16), x784)
        grouped8 = median_ms(GroupedLinear(8, 1, 16), torch.randn(64, 8, 1))
        looped784 = median_ms(
            lambda x: torch.stack([lin(x[:, g]) for g, lin in enumerate(linears)], 1), x784
        )
    finally:
        torch.set_num_threads(threads)
    print(
        f"\nGroupedLinear fwd+bwd, batch 64, 1->16: 8 groups {grouped8:.2f} ms, "
        f"784 groups {grouped784:.2f} ms, loop of 784 nn.Linear {looped784:.2f} ms"
    )
    # loose bounds so a busy CI machine does not flake
    assert grouped784 < 50
    assert grouped784 < looped784 / 2


# --------------------------------------------------------------------------- convolutions


def test_conv_stack_blocks_and_shapes():
    stack = conv_stack([1, 4, 8], batchnorm=True, dropout=0.2, pool=True, activation="leaky_relu")
    assert _count(stack, nn.Conv2d) == 2
    assert _count(stack, nn.BatchNorm2d) == 2
    assert _count(stack, nn.Dropout2d) == 2
    assert _count(stack, nn.MaxPool2d) == 2
    assert _count(stack, nn.LeakyReLU) == 2
    assert stack(torch.zeros(2, 1, 16, 12)).shape == (2, 8, 4, 3)

    strided = conv_stack([3, 4, 5, 6], stride=2)
    assert conv_output_shape((3, 28, 28), strided) == (6, 4, 4)

    up = conv_stack(
        [6, 4, 1], kernel_size=4, stride=2, padding=1, transpose=True, activate_last=False
    )
    assert _count(up, nn.ConvTranspose2d) == 2
    assert isinstance(up[-1], nn.ConvTranspose2d)  # bare output layer
    assert up(torch.zeros(2, 6, 5, 5)).shape == (2, 1, 20, 20)

    padded = conv_stack([2, 2, 2], stride=2, transpose=True, output_padding=[(1, 0), 1])
    assert padded(torch.zeros(1, 2, 3, 3)).shape == (1, 2, 12, 10)
    with pytest.raises(ValueError, match="output_padding"):
        conv_stack([2, 2, 2], transpose=True, stride=2, output_padding=[1])
    with pytest.raises(ValueError):
        conv_stack([3])


def test_conv_output_shape_has_no_side_effects():
    stack = conv_stack([1, 4], batchnorm=True).double()
    stack.train()
    stack[2].eval()  # a mixed state must be restored as it was
    before = stack[1].running_mean.clone()
    assert conv_output_shape((1, 5, 7), stack) == (4, 5, 7)
    assert torch.equal(stack[1].running_mean, before)
    assert stack.training and stack[1].training and not stack[2].training
    assert conv_output_shape((2, 3, 3), nn.Identity()) == (2, 3, 3)


@pytest.mark.parametrize("shape", IMAGE_SHAPES)
@pytest.mark.parametrize(
    "channels, kernel_size, stride", [((8, 8), 3, 2), ((4,), 5, 3), ((4, 4, 4), 4, 2)]
)
def test_encoder_decoder_shapes(shape, channels, kernel_size, stride):
    torch.manual_seed(0)
    kw = dict(kernel_size=kernel_size, stride=stride, hidden=(16,))
    enc = ConvEncoder(shape, channels, out_features=6, **kw)
    dec = ConvDecoder(6, shape, channels, out_activation="sigmoid", **kw)
    x = torch.rand(3, *shape)
    z = enc(x)
    assert z.shape == (3, 6)
    assert enc(flatten_images(x)).shape == (3, 6)
    out = dec(z)
    assert out.shape == (3, *shape)
    assert ((out >= 0) & (out <= 1)).all()
    assert dec.feature_shape == enc.feature_shape
    out.sum().backward()
    assert all(p.grad is not None for p in enc.parameters())


def test_encoder_decoder_accept_hw_shape_and_options():
    enc = ConvEncoder((28, 28), out_features=4, batchnorm=True, dropout=0.1, activation="elu")
    dec = ConvDecoder(4, (28, 28), batchnorm=True, dropout=0.1, activation="elu")
    assert enc.in_shape == (1, 28, 28) and dec.out_shape == (1, 28, 28)
    assert _count(enc, nn.BatchNorm2d) == 2 and _count(enc, nn.Dropout2d) == 2
    assert _count(dec, nn.BatchNorm2d) == 1 and _count(dec, nn.ConvTranspose2d) == 2
    assert dec(enc(torch.rand(5, 1, 28, 28))).shape == (5, 1, 28, 28)
    with pytest.raises(ValueError):
        ConvEncoder((1, 2, 3, 4), out_features=2)


@pytest.mark.parametrize("shape", IMAGE_SHAPES)
def test_unet_shapes(shape):
    c, h, w = shape
    unet = UNet(c + 1, 2, widths=(4, 8, 16), out_activation="tanh")
    out = unet(torch.randn(2, c + 1, h, w))
    assert out.shape == (2, 2, h, w)
    assert out.abs().max() <= 1


def test_unet_structure_and_single_level():
    unet = UNet(1, 1, widths=(4, 8, 16), batchnorm=True)
    assert len(unet.down) == 3 and len(unet.up) == 2 and unet.depth == 2
    assert _count(unet, nn.BatchNorm2d) == 2 * (3 + 2)
    flat = UNet(1, 3, widths=(4,))
    assert flat(torch.zeros(2, 1, 5, 6)).shape == (2, 3, 5, 6)


# --------------------------------------------------------------------------- dtype, device, seeds


def test_blocks_follow_dtype_of_module():
    x = torch.rand(2, 1, 7, 9, dtype=torch.float64)
    for module in (
        ConvEncoder((1, 7, 9), out_features=3),
        UNet(1, 1, widths=(4, 8)),
        conv_stack([1, 2], batchnorm=True),
    ):
        assert module.double()(x).dtype == torch.float64
    dec = ConvDecoder(3, (1, 7, 9)).double()
    assert dec(torch.rand(2, 3, dtype=torch.float64)).dtype == torch.float64
    grouped = GroupedMLP(3, 2, [4], 1).double()
    assert grouped(torch.rand(2, 3, 2, dtype=torch.float64)).dtype == torch.float64


@pytest.mark.parametrize(
    "build, in_shape",
    [
        (lambda: MLP(4, [8], 2, dropout=0.5), (2, 4)),
        (lambda: GroupedMLP(3, 4, [8], 2, dropout=0.5), (2, 3, 4)),
        (lambda: ConvDecoder(4, (1, 7, 9), dropout=0.5), (2, 4)),
        (lambda: UNet(4, 1, widths=(4, 8)), (2, 4, 6, 5)),
    ],
)
def test_deterministic_under_manual_seed(build, in_shape):
    def run():
        torch.manual_seed(123)
        module = build()
        out = module(torch.randn(*in_shape))
        return [p.detach().clone() for p in module.parameters()], out.detach()

    (params_a, out_a), (params_b, out_b) = run(), run()
    for a, b in zip(params_a, params_b):
        assert torch.equal(a, b)
    assert torch.equal(out_a, out_b)


def test_modules_pickle():
    import pickle

    for module in (MLP(3, [4], 2, activation="leaky_relu"), GroupedMLP(2, 1, [3], 1),
                   ConvDecoder(2, (1, 7, 9)), UNet(1, 1, widths=(4, 8))):
        clone = pickle.loads(pickle.dumps(module))
        for a, b in zip(module.state_dict().values(), clone.state_dict().values()):
            assert torch.equal(a, b)


# --------------------------------------------------------------------------- helpers


def test_init_xavier_zeros_biases_and_bounds_weights():
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(10, 20),
        nn.BatchNorm1d(20),
        GroupedMLP(4, 5, [6], 3),
        ConvEncoder((1, 8, 8), (4,), out_features=2),
        ConvDecoder(2, (1, 8, 8), (4,)),
    )
    bn_weight = net[1].weight.detach().clone()
    assert init_xavier(net) is net
    kinds = (nn.Linear, nn.modules.conv._ConvNd, GroupedLinear)
    layers = [m for m in net.modules() if isinstance(m, kinds)]
    assert len(layers) == 1 + 2 + 2 + 2
    for m in layers:
        assert torch.all(m.bias == 0)
        if isinstance(m, GroupedLinear):
            fan_in, fan_out = m.in_features, m.out_features
        else:
            fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(m.weight)
        assert m.weight.abs().max() <= math.sqrt(6 / (fan_in + fan_out)) + 1e-6
        assert m.weight.abs().max() > 0
    assert torch.equal(net[1].weight, bn_weight)  # batchnorm untouched


def test_reshape_flatten_round_trip_c_order():
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 60)
    images = reshape_images(x, (3, 4, 5))
    assert images.shape == (2, 3, 4, 5)
    np.testing.assert_array_equal(images.numpy(), x.numpy().reshape(2, 3, 4, 5))
    assert images[1, 2, 3, 4] == x[1, 2 * 20 + 3 * 5 + 4]
    assert torch.equal(flatten_images(images), x)
    assert reshape_images(x[:, :20], (4, 5)).shape == (2, 1, 4, 5)
    # non-contiguous input is handled
    assert torch.equal(flatten_images(images.transpose(2, 3).contiguous().transpose(2, 3)), x)
    with pytest.raises(ValueError, match="cannot be shaped"):
        reshape_images(x, (3, 4, 4))
