"""Every invertible layer of sklimpute.flows: inverse, and log-determinant against autograd."""

import pytest
import torch

from sklimpute import flows
from sklimpute.flows import (
    ActNorm,
    AffineCoupling,
    Flow,
    FlowStep,
    Glow,
    InvConv1x1,
    SplitPrior,
    Squeeze,
    TopPrior,
)


def _perturb(module, scale=0.1, seed=0):
    """Move every parameter off its (identity) initialisation."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(scale * torch.randn(p.shape, generator=g, dtype=p.dtype))
    return module


def _flat(out):
    return torch.cat([t.flatten(1) for t in out], 1) if isinstance(out, tuple) else out.flatten(1)


#: one small instance of every layer class of sklimpute.flows, and its input's shape
FACTORIES = {
    ActNorm: [(lambda: ActNorm(4), (4, 2, 2))],
    InvConv1x1: [(lambda: InvConv1x1(4), (4, 2, 2))],
    AffineCoupling: [(lambda: AffineCoupling(4, 8), (4, 2, 2)),
                     (lambda: AffineCoupling(5, 8), (5, 2, 2))],  # odd: halves of 2 and 3
    FlowStep: [(lambda: FlowStep(4, 8), (4, 2, 2)),
               (lambda: FlowStep(1, 8), (1, 2, 2))],  # one channel: no coupling
    Squeeze: [(lambda: Squeeze(), (4, 2, 2))],
    SplitPrior: [(lambda: SplitPrior(4), (4, 2, 2))],
    TopPrior: [(lambda: TopPrior((4, 2, 2)), (4, 2, 2))],
    Glow: [(lambda: Glow((1, 4, 4), n_levels=2, n_steps=2, hidden_channels=8), (1, 4, 4)),
           (lambda: Glow((3, 1, 1), n_levels=3, n_steps=1, hidden_channels=8), (3, 1, 1))],
}


def _flow_classes():
    """Every Flow subclass that sklimpute.flows defines."""
    return sorted((c for c in vars(flows).values()
                   if isinstance(c, type) and issubclass(c, Flow) and c is not Flow),
                  key=lambda c: c.__name__)


def test_every_layer_class_is_tested():
    assert set(_flow_classes()) == set(FACTORIES)


@pytest.mark.parametrize("make,shape", [case for cls in _flow_classes() for case in FACTORIES.get(cls, [])],
                         ids=[f"{cls.__name__}-{i}" for cls in _flow_classes()
                              for i in range(len(FACTORIES.get(cls, [])))])
def test_layer_inverts_and_its_logdet_is_the_jacobians(make, shape):
    torch.manual_seed(0)
    layer = make().double()
    x = torch.randn(3, *shape, dtype=torch.float64)
    layer.train()
    layer(x)  # actnorm's data-dependent initialisation
    layer = _perturb(layer).eval()
    z, logdet = layer(x)
    assert logdet.shape == (3,) and logdet.dtype == x.dtype
    assert _flat(z).shape == (3, x[0].numel())  # volume-preserving in dimension
    back, inv_logdet = layer.inverse(z)
    assert torch.allclose(back, x, atol=1e-10)
    assert torch.allclose(logdet + inv_logdet, torch.zeros(3, dtype=torch.float64), atol=1e-10)
    for i in range(3):  # log|det| of the Jacobian, computed the slow way
        jac = torch.autograd.functional.jacobian(lambda v: _flat(layer(v[None])[0])[0], x[i])
        jac = jac.reshape(x[i].numel(), x[i].numel())
        sign, logabsdet = torch.linalg.slogdet(jac)
        assert sign != 0
        assert torch.allclose(logdet[i], logabsdet, atol=1e-8)


@pytest.mark.parametrize("shape,levels", [((1, 32, 32), 3), ((3, 8, 8), 2), ((7, 1, 1), 3)])
def test_flow_is_invertible_to_1e4_in_float32(shape, levels):
    torch.manual_seed(0)
    flow = Glow(shape, n_levels=levels, n_steps=4, hidden_channels=16)
    x = torch.rand(8, *shape) - 0.5
    flow.train()
    flow(x)
    flow = _perturb(flow, 0.05).eval()
    eps, logdet = flow(x)
    back, inv_logdet = flow.inverse(eps)
    assert (back - x).abs().max() < 1e-4
    assert (logdet + inv_logdet).abs().max() < 1e-3 * logdet.abs().max().clamp_min(1)


def test_actnorm_initialises_from_the_first_batch_only():
    torch.manual_seed(0)
    layer = ActNorm(3).train()
    x = 5 + 3 * torch.randn(64, 3, 4, 4)
    z, _ = layer(x)
    assert torch.allclose(z.mean((0, 2, 3)), torch.zeros(3), atol=1e-4)
    assert torch.allclose(z.std((0, 2, 3), unbiased=False), torch.ones(3), atol=1e-3)
    loc = layer.loc.detach().clone()
    layer(torch.randn(64, 3, 4, 4))
    assert torch.equal(layer.loc, loc)


def test_invconv_logdet_is_hw_log_abs_det_w():
    torch.manual_seed(0)
    layer = _perturb(InvConv1x1(6))
    _, logdet = layer(torch.randn(2, 6, 3, 5))
    expected = 15 * torch.linalg.slogdet(layer.weight())[1]
    assert torch.allclose(logdet, expected.expand(2), atol=1e-4)


def test_couplings_start_independent_of_the_conditioning_half():
    # the last conv starts at zero: z_b = x_b * sigmoid(2) whatever x_a is
    x = torch.randn(4, 6, 4, 4)
    z, logdet = AffineCoupling(6, 16)(x)
    assert torch.equal(z[:, :3], x[:, :3])
    assert torch.allclose(z[:, 3:], x[:, 3:] * torch.sigmoid(torch.tensor(2.0)))
    assert torch.allclose(logdet, torch.full((4,), 48 * float(torch.log(torch.sigmoid(torch.tensor(2.0))))))
