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

The file reads top to bottom as the method:

1. the networks (:func:`generator`, :func:`critic`, :class:`ImputerModule`,
   gathered in :class:`MisGANGenerators` and :class:`MisGANCritics`);
2. the game (:class:`MisGANNet`): the masking operator, the three critics'
   Wasserstein losses with gradient penalty (:func:`critic_loss`), the
   generators' objectives (equations 7, 10 and 9 of the paper), several
   critic steps per generator step through
   :class:`~sklimpute.training.AdversarialNet`;
3. the imputer, :class:`MisGANImputer`.
"""

import numbers
import warnings

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from ..categorical import CATEGORICAL_FEATURES_CONSTRAINT, CategoricalMixin
from ..deep import DeepImputer
from ..nn import MLP, ConvDecoder, ConvEncoder, UNet
from ..training import VALID_HIDE_RATE, AdversarialNet, HidingMixin, hide_rate_from

__all__ = [
    "ImputerModule",
    "MisGANCritics",
    "MisGANGenerators",
    "MisGANImputer",
    "MisGANNet",
    "critic",
    "critic_loss",
    "generator",
    "gradient_penalty",
]

#: Largest single-channel image (in pixels) whose imputer is an MLP with
#: ``imputer="auto"``: the paper uses an MLP on MNIST and U-Nets on CIFAR-10
#: and CelebA.
MLP_IMPUTER_MAX_PIXELS = 32 * 32
#: Default ``imputation_draws``: draws of the imputer averaged by ``transform``.
IMPUTATION_DRAWS = 10
#: ``epochs="auto"``: about this many rows x epochs (30 epochs of 2,000
#: images, about 190 generator steps), within ``AUTO_EPOCHS``
AUTO_EPOCH_ROWS = 60_000
AUTO_EPOCHS = (30, 300)
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
                 **kwargs):
        super().__init__(module, *args, **kwargs)
        self.reconstruction = reconstruction
        self.hide_rate = RECONSTRUCTION_HIDE_RATE
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


# --------------------------------------------------------------------------- #
# 3. The imputer
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
    error of the mean of a few draws on observed entries hidden from it, FC
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
        the data, not each draw, so the draws may spread around it. 0 trains
        the imputer by the adversarial loss alone (eq. 9).
    epochs : int or "auto", default="auto"
        Number of epochs (MisGAN has no early stopping by default, as the
        adversarial losses do not measure quality). ``"auto"`` (ours; the
        paper: 300): ``AUTO_EPOCH_ROWS / n_train`` epochs (60,000 rows), at
        least 30 and at most 300.
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
        return int(np.clip(round(AUTO_EPOCH_ROWS / max(n_train, 1)), *AUTO_EPOCHS))

    def _fit(self, X, observed):
        self.architecture_, self.imputer_, self._betas = self._resolve_networks()
        self.valid_hide_rate_ = hide_rate_from(observed, VALID_HIDE_RATE)
        # a diverging game stops with a clear error (AdversarialNet skips
        # non-finite steps and raises when a whole epoch was skipped)
        return super()._fit(X, observed)

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
        return self.net_.module_.impute_mean(x, mask, int(draws))

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
