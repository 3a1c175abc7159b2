"""MisGAN's networks and game: the players of :class:`~sklimpute.MisGANImputer`.

The file reads top to bottom as the method (the paper: Li, Jiang and Marlin,
ICLR 2019; the estimator is in :mod:`sklimpute.models.misgan`):

1. the networks (:func:`generator`, :func:`critic`, :class:`ImputerModule`,
   gathered in :class:`MisGANGenerators` and :class:`MisGANCritics`);
2. the game (:class:`MisGANNet`): the masking operator, the three critics'
   Wasserstein losses with gradient penalty (:func:`critic_loss`), the
   generators' objectives (equations 7, 10 and 9 of the paper), several
   critic steps per generator step through
   :class:`~sklimpute.training.AdversarialNet`.
"""

import torch
from torch import nn

from ..nn import MLP, ConvDecoder, ConvEncoder, UNet
from ..training import VALID_HIDE_RATE, AdversarialNet, HidingMixin

__all__ = [
    "ImputerModule",
    "MisGANCritics",
    "MisGANGenerators",
    "MisGANNet",
    "critic",
    "critic_loss",
    "generator",
    "gradient_penalty",
]

#: ``reconstruction > 0``: share of the observed entries hidden from the
#: imputer in each generator step, and the draws whose mean must restore them.
RECONSTRUCTION_HIDE_RATE = 0.2
RECONSTRUCTION_DRAWS = 4


# --------------------------------------------------------------------------- #
# 1. The networks
# --------------------------------------------------------------------------- #


def generator(n_features, shape, architecture, latent_dim, width):
    """A generator of rows from a ``latent_dim`` code; returns logits, one per entry.

    ``"conv"`` (the paper's Conv-MisGAN, DCGAN style): a linear layer to a
    ``4 * width``-channel feature map, then 5x5 transposed convolutions with
    stride 2 (``4 * width -> 2 * width -> width -> C``) and ReLU, landing on
    exactly ``shape``. ``"fc"`` (FC-MisGAN): FC(latent, 256)-FC(256,
    512)-FC(512, d) with ReLU in between.

    Examples
    --------
    >>> g = generator(784, (1, 28, 28), "conv", latent_dim=128, width=8)
    >>> g(torch.zeros(2, 128)).shape
    torch.Size([2, 784])
    """
    if architecture == "fc":
        return MLP(latent_dim, (256, 512), n_features)
    return nn.Sequential(
        ConvDecoder(latent_dim, shape, (width, 2 * width, 4 * width), kernel_size=5),
        nn.Flatten(),
    )


def critic(n_features, shape, architecture, width):
    """A Wasserstein critic: one unbounded score per row (no normalisation layer).

    ``"conv"``: 5x5 convolutions with stride 2 (``C -> width -> 2 * width ->
    4 * width``) and ReLU, then a linear layer to one score (the critic of
    WGAN-GP's MNIST model that MisGAN uses). ``"fc"``: FC(d, 512)-FC(512,
    256)-FC(256, 128)-FC(128, 1) with ReLU in between. No batch
    normalisation: the gradient penalty is taken per row.

    Examples
    --------
    >>> d = critic(784, (1, 28, 28), "conv", width=8)
    >>> d(torch.zeros(2, 784)).shape
    torch.Size([2, 1])
    """
    if architecture == "fc":
        return MLP(n_features, (512, 256, 128), 1)
    return ConvEncoder(shape, (width, 2 * width, 4 * width), kernel_size=5, out_features=1)


class ImputerModule(nn.Module):
    """``G_i(x, m, omega) = x * m + G^_i(x * m + omega * (1 - m)) * (1 - m)`` (eq. 12).

    The noise enters only through the holes, so the more of a row is
    missing, the more noise the network reads. ``G^_i`` ends in a sigmoid
    (data are min-max scaled to [0, 1]); it is an MLP with two hidden
    layers of ``hidden`` units (``kind="mlp"``, the paper's MNIST imputer)
    or a U-Net with four levels of ``width // 2 .. 4 * width`` channels
    (``kind="unet"``, the paper's CIFAR-10 and CelebA imputer).

    Parameters
    ----------
    n_features : int
    shape : tuple (C, H, W) or None
        Needed by the U-Net.
    kind : {"mlp", "unet"}
    hidden : int
        Hidden width of the MLP.
    width : int
        Base width of the U-Net.
    """

    def __init__(self, n_features, shape, kind, hidden, width):
        super().__init__()
        self.shape = shape
        if kind == "unet":
            c = shape[0]
            widths = (max(width // 2, 1), width, 2 * width, 4 * width)
            self.net = UNet(c, c, widths=widths)
        else:
            self.net = MLP(n_features, (hidden, hidden), n_features)

    def forward(self, x, mask, omega):
        inp = x * mask + omega * (1.0 - mask)
        if isinstance(self.net, UNet):
            out = self.net(inp.reshape(-1, *self.shape)).flatten(1)
        else:
            out = self.net(inp)
        return x * mask + torch.sigmoid(out) * (1.0 - mask)


class MisGANGenerators(nn.Module):
    """The three players that generate: ``G_m`` (masks), ``G_x`` (data), ``G_i`` (imputer).

    The skorch ``module`` of :class:`MisGANNet`; one optimizer moves all
    three (Adam is per parameter, and each generator's parameters only
    receive the gradient of its own objective, see
    :meth:`MisGANNet.generator_loss`).

    Parameters
    ----------
    n_features : int
    shape : tuple (C, H, W) or None
        Image shape (required by ``"conv"`` and by the U-Net imputer).
    architecture : {"conv", "fc"}
    latent_dim : int
        Width of the codes ``z`` and ``epsilon`` (the paper: 128).
    width : int
        Base channel width of the convolutional networks (the paper: 64).
    temperature : float
        ``lambda`` of the mask generator's sigmoid ``1 / (1 + exp(-h / lambda))``.
    imputer : {"mlp", "unet"}
    imputer_hidden : int
        Hidden width of the MLP imputer (the paper: 500).
    """

    def __init__(self, n_features, shape=None, architecture="conv", latent_dim=128, width=64,
                 temperature=0.66, imputer="mlp", imputer_hidden=500):
        super().__init__()
        self.latent_dim = int(latent_dim)
        self.temperature = float(temperature)
        self.mask_generator = generator(n_features, shape, architecture, latent_dim, width)
        self.data_generator = generator(n_features, shape, architecture, latent_dim, width)
        self.imputer = ImputerModule(n_features, shape, imputer, imputer_hidden, width)

    def _code(self, n, like):
        return torch.randn(n, self.latent_dim, device=like.device, dtype=like.dtype)

    def masks(self, n, like):
        """``n`` relaxed masks in [0, 1] (1: observed), ``sigmoid(h / temperature)``."""
        return torch.sigmoid(self.mask_generator(self._code(n, like)) / self.temperature)

    def data(self, n, like):
        """``n`` generated complete rows in [0, 1]."""
        return torch.sigmoid(self.data_generator(self._code(n, like)))

    def forward(self, x, mask):
        """One imputation of each row, noise ``omega ~ U(0, 1)`` in the holes."""
        return self.imputer(x, mask, torch.rand_like(x))

    def impute_mean(self, x, mask, n_draws):
        """The mean of ``n_draws`` imputations of each row (one pass over a repeated batch).

        The Monte Carlo estimate of the imputer's conditional mean
        ``E_omega[G_i(x, m, omega)]``; ``n_draws=1`` is :meth:`forward`.
        Observed entries are ``x`` itself, bit for bit.
        """
        if n_draws == 1:
            return self(x, mask)
        n = x.shape[0]
        draws = self(x.repeat(n_draws, 1), mask.repeat(n_draws, 1))
        return torch.where(mask.bool(), x, draws.view(n_draws, n, -1).mean(0))


class MisGANCritics(nn.Module):
    """The three critics: ``D_m`` (masks), ``D_x`` (masked data), ``D_i`` (imputations).

    The skorch ``discriminator`` of :class:`MisGANNet`; each critic only
    appears in its own loss, so one optimizer serves the three.
    """

    def __init__(self, n_features, shape=None, architecture="conv", width=64):
        super().__init__()
        self.mask_critic = critic(n_features, shape, architecture, width)
        self.data_critic = critic(n_features, shape, architecture, width)
        self.imputer_critic = critic(n_features, shape, architecture, width)

    def forward(self, masks, masked_data, completed):  # pragma: no cover - not used in training
        return self.mask_critic(masks), self.data_critic(masked_data), self.imputer_critic(completed)


# --------------------------------------------------------------------------- #
# 2. The game
# --------------------------------------------------------------------------- #


def gradient_penalty(critic_net, real, fake):
    """WGAN-GP's penalty: ``E[(||grad D(x^)||_2 - 1)^2]`` on random interpolates.

    ``x^ = t * real + (1 - t) * fake`` with one ``t ~ U(0, 1)`` per row
    (Gulrajani et al., 2017); the graph is kept so the penalty trains the
    critic.

    Examples
    --------
    >>> lin = nn.Linear(3, 1, bias=False)
    >>> with torch.no_grad():
    ...     _ = lin.weight.copy_(torch.tensor([[0.6, 0.8, 0.0]]))  # gradient norm 1
    >>> float(gradient_penalty(lin, torch.randn(5, 3), torch.randn(5, 3)).detach())
    0.0
    """
    t = torch.rand(real.shape[0], 1, device=real.device, dtype=real.dtype)
    mixed = (t * real + (1.0 - t) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic_net(mixed).sum(), mixed, create_graph=True)
    return ((grad.norm(2, dim=1) - 1.0) ** 2).mean()


def critic_loss(critic_net, real, fake, penalty):
    """The critic's loss: ``E[D(fake)] - E[D(real)] + penalty * GP`` (fakes detached)."""
    fake = fake.detach()
    loss = critic_net(fake).mean() - critic_net(real).mean()
    if penalty:
        loss = loss + penalty * gradient_penalty(critic_net, real, fake)
    return loss


class MisGANNet(HidingMixin, AdversarialNet):
    """skorch net of MisGAN's three games; ``module``: generators, ``discriminator``: critics.

    Per mini-batch of real rows ``(x, m)`` (:meth:`generate`): generated
    data ``G_x(z)`` and masks ``G_m(epsilon)`` (codes standard normal),
    and the imputer's completion ``G_i(x, m, omega)`` (``omega ~ U(0, 1)``).

    * Critics (:meth:`discriminator_loss`, ``n_critic`` steps per generator
      step): ``D_m`` real masks against generated masks; ``D_x``
      ``f_tau(x, m)`` against ``f_tau(G_x(z), G_m(epsilon))``; ``D_i``
      ``G_x(z)`` (its "real" side) against the completions. Each is a
      Wasserstein loss with gradient penalty ``gradient_penalty``.
    * Generators (:meth:`generator_loss`): ``G_m`` minimises ``L_m + alpha
      L_x`` (eq. 7), ``G_x`` minimises ``L_x + beta L_i`` (eq. 10), ``G_i``
      minimises ``L_i`` (eq. 9).
    * Validation (when the imputer holds rows out): ``G_i``'s squared error
      on a share of the observed entries of the validation rows, hidden
      from it (the same entries every epoch). A diagnostic: the game does
      not train on it.
    """

    def __init__(self, module, *args, alpha=0.2, beta=0.1, tau=0.0, gradient_penalty=10.0,
                 reconstruction=0.0, valid_hide_rate=VALID_HIDE_RATE, n_channels=1, valid_seed=0,
                 hide_pattern="mcar", **kwargs):
        super().__init__(module, *args, **kwargs)
        self.reconstruction = reconstruction
        self.hide_rate = RECONSTRUCTION_HIDE_RATE
        self.hide_pattern = hide_pattern
        self.alpha = alpha
        self.beta = beta
        self.tau = tau
        self.gradient_penalty = gradient_penalty
        self.valid_hide_rate = valid_hide_rate
        self.n_channels = n_channels
        self.valid_seed = valid_seed

    def mask_data(self, x, mask):
        """The masking operator ``f_tau(x, m) = x * m + tau * (1 - m)`` (eq. 3)."""
        return x * mask + self.tau * (1.0 - mask)

    def generate(self, batch, training):
        Xi, _ = batch
        x, mask = Xi["x"], Xi["mask"]
        g = self.module_
        n = x.shape[0]
        return {
            "x": x,
            "mask": mask,
            "fake_x": g.data(n, x),
            "fake_m": g.masks(n, x),
            "imputed": g(x, mask),
        }

    def discriminator_loss(self, s):
        d, gp = self.discriminator_, float(self.gradient_penalty)
        fake_m = s["fake_m"].detach()
        fake_x = s["fake_x"].detach()
        losses = {
            "d_mask": critic_loss(d.mask_critic, s["mask"], fake_m, gp),
            "d_data": critic_loss(
                d.data_critic, self.mask_data(s["x"], s["mask"]), self.mask_data(fake_x, fake_m), gp
            ),
            "d_imputer": critic_loss(d.imputer_critic, fake_x, s["imputed"], gp),
        }
        for name, value in losses.items():
            self.history.record_batch(name, float(value.detach()))
        return sum(losses.values())

    def generator_loss(self, s):
        d = self.discriminator_
        fake_x, fake_m = s["fake_x"], s["fake_m"]
        # the data term L_x reaches G_m with weight alpha and G_x with weight
        # 1: two passes, each with the other generator's output detached
        l_x_for_masks = -d.data_critic(self.mask_data(fake_x.detach(), fake_m)).mean()
        l_x_for_data = -d.data_critic(self.mask_data(fake_x, fake_m.detach())).mean()
        mask_objective = -d.mask_critic(fake_m).mean() + self.alpha * l_x_for_masks  # eq. 7
        # L_i = E[D_i(G_x(z))] - E[D_i(G_i(x, m, omega))]
        data_objective = l_x_for_data + self.beta * d.imputer_critic(fake_x).mean()  # eq. 10
        imputer_objective = -d.imputer_critic(s["imputed"]).mean()  # eq. 9
        if self.reconstruction:
            imputer_objective = imputer_objective + self.reconstruction * self.mean_reconstruction(s)
        return mask_objective + data_objective + imputer_objective

    def train_step(self, batch, **fit_params):
        """The imputer's reconstruction steps on the critics' mini-batches, then the game's step.

        With ``reconstruction > 0`` (ours) the imputer takes one step on the
        reconstruction term alone on each of the first ``n_critic - 1``
        mini-batches, and the generators' step of the game covers the last
        one: every row of an epoch trains the imputer once, where the game
        alone gives it one step per ``n_critic`` mini-batches (about 190
        steps in the default budget, too few for a 500-unit MLP to learn
        more than the mean image at 90% dropout). An MLP imputer's step
        costs a small share of a critic step with its gradient penalty.
        """
        if self.reconstruction:
            self._set_training(True)
            self.reconstruction_steps(self._split(batch, int(self.n_critic))[:-1])
        return super().train_step(batch, **fit_params)

    def reconstruction_steps(self, parts):
        """One step of the imputer on the reconstruction term alone per mini-batch of ``parts``.

        Only the imputer has gradients (the optimizer skips the other
        generators' parameters); a step whose loss is not finite is skipped.
        """
        for part in parts:
            self.optimizer_.zero_grad(set_to_none=True)
            loss = self.reconstruction * self.mean_reconstruction(part[0])
            self._descend(loss, self.optimizer_, self.module_.imputer, part)

    def mean_reconstruction(self, s):
        """Squared error of the mean of a few imputer draws on hidden observed entries (ours).

        A share ``RECONSTRUCTION_HIDE_RATE`` of the observed entries is
        hidden from ``G_i``; the mean of ``RECONSTRUCTION_DRAWS`` completions
        must restore them. The *mean* is held to the data, not each draw, so
        the draws keep their spread around it (what ``transform`` averages).
        """
        x, mask = s["x"], s["mask"]
        seen = self.hide(mask)
        hidden = mask - seen
        mean = self.module_.impute_mean(x * seen, seen, RECONSTRUCTION_DRAWS)
        return ((mean - x) ** 2 * hidden).sum() / hidden.sum().clamp_min(1.0)

    def validation_step(self, batch, **fit_params):
        return self.hidden_validation_step(batch)

    def impute_seen(self, x, seen, generator):
        """``G_i``'s completion seeing ``seen`` only, noise from ``generator`` (validation)."""
        omega = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        return self.module_.imputer(x * seen, seen, omega)
