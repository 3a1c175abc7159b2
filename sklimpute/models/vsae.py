"""Variational Selective Autoencoder (VSAE).

Gong, Hajimirsadeghi, He, Nawhal, Durand and Mori, *Variational Selective
Autoencoder*. The data ``x = [x_1, ..., x_M]`` are split into ``M``
modalities and ``m in {0, 1}^M`` says which ones are observed. VSAE models
the joint distribution ``p(x, m)`` of the data and the mask with a latent code
``z = [z_1, ..., z_M]`` factorised over the modalities, and a *selective*
proposal distribution (the paper's equation 3)::

    q(z_i | x, m) = q_phi(z_i | x_i)        if m_i = 1   (unimodal encoder)
                    q_psi(z_i | x_o, m)     if m_i = 0   (multimodal encoder)

The codes are concatenated; a mask decoder ``p_eps(m | z)`` (a Bernoulli per
modality) and a data decoder ``p_theta(x | z, m)`` read them. The objective
(equation 4) is the ELBO of ``(x_o, m)`` with the unobserved modalities'
likelihood replaced by its expectation, which Appendix B.3 estimates with a
sample the model generates itself::

    L = E_z[ sum_{i in O} log p(x_i | m, z) + sum_{j in U} log p(x~_j | m, z) ]
        + E_z[ log p(m | z) ] - sum_i KL(q(z_i | x, m) || N(0, I))

The data's layout (modalities, numeric and categorical features, the
"expanded" vector the networks read: one value per numeric feature, a one-hot
block per categorical one) and the per-feature likelihoods are
:mod:`sklimpute.mixed`'s. The file reads top to bottom as the paper:

1. the networks (:class:`VSAEModule`): per-modality unimodal encoders, run at
   once as grouped layers, the multimodal encoder whose output is sliced per
   modality, the selective proposal, the mask and data decoders (Appendix B.2);
2. the loss (:func:`vsae_loss`): per-feature negative log-likelihoods (squared
   error, binary cross-entropy or softmax cross-entropy), the mask's
   Bernoulli term and the analytic KL divergence of every modality;
3. training (:class:`VSAENet`): a warm-up without the unobserved term, then
   each batch passed once without gradients to generate ``x~_u`` and a second
   time for the loss (Appendix B.3);
4. the imputer, :class:`VSAEImputer`, with categorical features, ``sample``
   and multiple imputation.
"""

import numbers
import warnings
from functools import partial

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions
from torch import nn

from ..deep import DeepImputer, ReconstructionMixin
from ..categorical import CATEGORICAL_FEATURES_CONSTRAINT, CategoricalMixin
from ..mixed import Layout, MixedFeatures, resolve_modalities
from ..nn import MLP, GroupedMLP, init_he, kl_standard_normal, reparameterize
from ..training import ImputerNet, MaskedDataset, WarmupEarlyStopping

__all__ = ["VSAEImputer", "VSAEModule", "VSAENet", "vsae_loss"]

#: Appendix B.2, UCI tables: 3-layer 64-unit encoders with batch norm, 20
#: latent dimensions per modality, a 64-unit mask decoder, a 128-unit data
#: decoder.
TABLE_DEFAULTS = dict(latent_dim=20, encoder_width=64, mask_decoder_width=64, encoder_batchnorm=True)
#: Appendix B.2, MNIST+MNIST: 3-layer 128-unit encoders without batch norm,
#: 256 latent dimensions per modality, a 16-unit mask decoder.
IMAGE_DEFAULTS = dict(latent_dim=256, encoder_width=128, mask_decoder_width=16, encoder_batchnorm=False)
#: Appendix B.3 learning rates: numerical tables, categorical tables, images.
PAPER_LR = {"numeric": 1e-3, "categorical": 1e-2, "image": 1e-4}
#: Bounds of the encoders' log-variance (numerical safety at lr=1e-2).
LOGVAR_RANGE = (-12.0, 8.0)


# --------------------------------------------------------------------------- #
# 1. The networks
# --------------------------------------------------------------------------- #


class VSAEModule(MixedFeatures, nn.Module):
    """Encoders and decoders of VSAE (Figure 1 and Appendix B.2).

    * unimodal encoders ``q_phi(z_i | x_i)``: one MLP per modality, all run at
      once (grouped layers); input the modality's expanded entries;
    * the multimodal encoder ``q_psi(z | x_o, m)``: one MLP reading the whole
      expanded vector, unobserved entries replaced by standard-normal noise
      (``fill="noise"``, tables) or zeros (``fill="zeros"``, images), and the
      modality mask; its output is sliced into ``M`` codes;
    * the selective proposal: modality ``i`` takes its unimodal code when
      ``m_i = 1``, its multimodal slice otherwise;
    * the mask decoder ``p_eps(m | z)`` (logits of a Bernoulli per modality)
      and the data decoder ``p_theta(x | z, m)``, both reading the
      concatenated codes; the data decoder also reads the reconstructed mask
      (the sigmoid of the mask decoder's output; the paper, section 3.2:
      "conditions on the reconstructed mask in the data decoders improve the
      performance"), so generation needs no mask from outside.

    Parameters
    ----------
    cardinalities, modalities
        See :class:`Layout`.
    latent_dim : int
        Latent dimensions per modality.
    encoder_width, decoder_width, mask_decoder_width : int
        Hidden widths of the encoders, the data decoder and the mask decoder.
    n_layers : int
        Hidden layers of every MLP (the paper: 3).
    encoder_batchnorm, decoder_batchnorm : bool
        Batch norm after the first layer of the encoders (the paper: tables
        yes, images no) and of the decoders (the paper: always).
    fill : {"noise", "zeros"}
        What replaces unobserved inputs during training (``encode`` with
        ``noise=True``); ``noise=False`` puts zeros, the noise's mean.
    output : {"mse", "bce"}
        Numeric features' likelihood: squared error (a Gaussian of variance
        1/2; the decoder returns the mean) or Bernoulli (it returns logits).
    """

    def __init__(self, cardinalities, modalities, latent_dim=20, encoder_width=64, decoder_width=128,
                 mask_decoder_width=64, n_layers=3, encoder_batchnorm=True, decoder_batchnorm=True,
                 fill="noise", output="mse"):
        super().__init__()
        lay = Layout(cardinalities, modalities)
        self.layout = lay
        self.latent_dim = int(latent_dim)
        self.fill = fill
        self.output = output
        M, L, E = lay.n_modalities, self.latent_dim, lay.n_expanded
        self.register_layout(lay)
        # Appendix B.2's stacks: n_layers hidden layers, LeakyReLU, batch norm
        # after the first one only
        def norm(on):
            return "first" if on else False

        self.unimodal = GroupedMLP(M, lay.modality_width, [encoder_width] * n_layers, 2 * L,
                                   activation=nn.LeakyReLU, batchnorm=norm(encoder_batchnorm))
        self.multimodal = MLP(E + M, [encoder_width] * n_layers, 2 * M * L, activation=nn.LeakyReLU,
                              batchnorm=norm(encoder_batchnorm))
        self.mask_decoder = MLP(M * L, [mask_decoder_width] * n_layers, M, activation=nn.LeakyReLU,
                                batchnorm=norm(decoder_batchnorm))
        self.data_decoder = MLP(M * L + M, [decoder_width] * n_layers, E, activation=nn.LeakyReLU,
                                batchnorm=norm(decoder_batchnorm))
        # LeakyReLU gain: with PyTorch's default initialisation the KL term
        # collapsed every posterior before the decoder learned to read it
        init_he(self, negative_slope=0.01)

    # -- data layout -------------------------------------------------------
    def expand(self, x, mask):
        """``(x_exp, entry_mask, m)``: expanded data, its observed mask, the modality mask.

        ``x`` holds scaled numeric values and category codes (``0..K-1``),
        holes anything; a categorical entry that is missing, or whose code is
        not a known category, becomes an all-zero block. A modality is
        observed (``m_i = 1``) only if all its entries are.
        """
        n = x.shape[0]
        x_exp = x.new_zeros(n, self.layout.n_expanded)
        x_exp[:, self.offsets[self.numeric]] = x[:, self.numeric]
        if len(self.categorical):
            codes = x[:, self.categorical]
            known = (mask[:, self.categorical] > 0) & (codes >= 0) & (codes < self.n_categories)
            idx = self.offsets[self.categorical] + torch.where(known, codes, torch.zeros_like(codes)).long()
            x_exp.scatter_(1, idx, known.to(x.dtype))
        entry_mask = mask[:, self.expanded_column]
        padded = torch.cat([mask, mask.new_ones(n, 1)], dim=1)
        m = padded[:, self.modality_columns].amin(dim=2)
        return x_exp, entry_mask, m

    # -- encoders ------------------------------------------------------------
    def encode(self, x_exp, entry_mask, m, noise):
        """Mean and log-variance ``(n, M, latent_dim)`` of the selective proposal (eq. 3)."""
        n, M = x_exp.shape[0], self.layout.n_modalities
        if noise and self.fill == "noise":
            fill = torch.randn_like(x_exp)
        else:
            fill = torch.zeros_like(x_exp)
        x_in = torch.where(entry_mask > 0, x_exp, fill)
        per_modality = torch.cat([x_in, x_in.new_zeros(n, 1)], dim=1)[:, self.modality_entries]
        unimodal = self.unimodal(per_modality)  # (n, M, 2L): q_phi(z_i | x_i)
        multimodal = self.multimodal(torch.cat([x_in, m], dim=1)).view(n, M, -1)  # q_psi(z_i | x_o, m)
        stats = torch.where(m.unsqueeze(-1) > 0, unimodal, multimodal)
        mu, logvar = stats.chunk(2, dim=-1)
        return mu, logvar.clamp(*LOGVAR_RANGE)

    # -- decoders ------------------------------------------------------------
    def decode(self, z):
        """``(data decoder output (n, n_expanded), mask logits (n, M))`` from the codes."""
        z = z.flatten(1)  # the aggregator F: concatenation
        mask_logits = self.mask_decoder(z)
        out = self.data_decoder(torch.cat([z, torch.sigmoid(mask_logits)], dim=1))
        return out, mask_logits

    def forward(self, x, mask, seen=None, x_tilde=None):
        """One pass: ``(out, mask_logits, mu, logvar, m)``.

        In training ``z`` is drawn from the proposal and unobserved inputs are
        noise; otherwise ``z`` is its mean. ``seen`` (default ``mask``) is
        what the encoders may read (``hide_rate``); ``m`` is the modality mask
        of ``mask``. ``x_tilde`` (the generated targets of :class:`VSAENet`)
        is read by the loss, not here.
        """
        x_exp, entry_mask, m = self.expand(x, mask)
        if seen is not None:
            x_exp, entry_mask, m_seen = self.expand(x, seen)
        else:
            m_seen = m
        mu, logvar = self.encode(x_exp, entry_mask, m_seen, noise=self.training)
        z = mu
        if self.training:
            z = reparameterize(mu, logvar)
        out, mask_logits = self.decode(z)
        return out, mask_logits, mu, logvar, m


# --------------------------------------------------------------------------- #
# 2. The loss
# --------------------------------------------------------------------------- #


def vsae_loss(module, y_pred, x, mask, x_tilde=None, beta=1.0, unobserved_weight=1.0):
    """Minus the objective of equation 4 for a batch, averaged over its rows.

    ``sum_{observed} nll(x) + sum_{missing} nll(x~) + BCE(m) + sum_i KL_i``:
    every observed feature is scored against its value; with ``x_tilde``
    (after the warm-up) every missing feature is scored against the generated
    value; the mask term is the Bernoulli likelihood of the modality mask and
    the KL divergence to ``N(0, I)`` is analytic, per modality. The content of
    ``x`` at its holes is never read. ``beta`` weighs the KL term and
    ``unobserved_weight`` the generated targets' term (1 and 1: equation 4).

    Returns
    -------
    loss : scalar Tensor
    terms : dict of Tensor of shape (batch,)
        ``"observed"``, ``"unobserved"``, ``"mask"`` and ``"kl"`` per row.
    """
    out, mask_logits, mu, logvar, m = y_pred
    known = mask > 0
    if x_tilde is None:
        target = torch.where(known, x, torch.zeros_like(x))
    else:
        target = torch.where(known, x, x_tilde)
    nll = module.feature_nll(out, target)
    zero = torch.zeros_like(nll)
    observed = torch.where(known, nll, zero).sum(dim=1)
    unobserved = torch.where(known, zero, nll).sum(dim=1) if x_tilde is not None else observed.new_zeros(
        observed.shape)
    mask_term = F.binary_cross_entropy_with_logits(mask_logits, m, reduction="none").sum(dim=1)
    kl = kl_standard_normal(mu, logvar).sum(dim=(1, 2))
    loss = (observed + unobserved_weight * unobserved + mask_term + beta * kl).mean()
    return loss, {"observed": observed, "unobserved": unobserved, "mask": mask_term, "kl": kl}


# --------------------------------------------------------------------------- #
# 3. Training
# --------------------------------------------------------------------------- #


class VSAENet(ImputerNet):
    """skorch net of VSAE: the warm-up, then two passes per batch (Appendix B.3).

    During the first ``warmup_epochs`` epochs the loss has no term for the
    unobserved features. Afterwards each training batch is passed once
    without gradients (training mode: ``z`` drawn, noise in the holes) to
    generate ``x~_u`` -- decoder means for numeric features, the most likely
    category for categorical ones -- and a second time for the loss, whose
    targets are the observed ``x_o`` and the generated ``x~_u``, the latter
    clipped to each feature's range of observed values (ours; the range is
    taken from the training data in ``on_train_begin``, ``target_range_``).

    The history records per epoch ``xu_on`` (1 once the unobserved term is
    on) and ``xu_loss`` (its mean per row). Validation batches are scored on
    the terms with real targets only (observed features, mask, KL), so the
    validation loss means the same thing before and after the warm-up.

    Parameters
    ----------
    module : nn.Module class
        :class:`VSAEModule`.
    warmup_epochs : int, default=20
        Epochs without the unobserved term (the paper: 20).
    hide_rate : float in [0, 1), default=0.0
        Probability that an observed modality is hidden from the encoders in
        a training batch (a ``"seen"`` mask; it stays a target of the loss;
        0: the paper's training).
    beta : float, default=1.0
        Weight of the KL term (1: the paper's objective).
    unobserved_weight : float, default=1.0
        Weight of the generated targets' term (1: the paper's objective; 0:
        never on, and the first pass is skipped).
    """

    def __init__(self, module, *args, warmup_epochs=20, hide_rate=0.0, beta=1.0, unobserved_weight=1.0,
                 **kwargs):
        super().__init__(module, *args, **kwargs)
        self.warmup_epochs = warmup_epochs
        self.hide_rate = hide_rate
        self.beta = beta
        self.unobserved_weight = unobserved_weight

    def xu_on(self):
        """Whether the current epoch scores the generated ``x~_u`` (past the warm-up, weight > 0)."""
        return self.unobserved_weight > 0 and len(self.history) > int(self.warmup_epochs)

    def train_step_single(self, batch, **fit_params):
        Xi, yi = batch
        if self.xu_on():
            self._set_training(True)
            with torch.no_grad():  # first pass: generate x~_u, no loss
                out = self.infer(Xi)[0]
                x_tilde = self.module_.feature_values(out)
                if getattr(self, "target_range_", None) is not None:  # ours: within the observed range
                    x_tilde = x_tilde.clamp(*self.target_range_)
                Xi = {**Xi, "x_tilde": x_tilde}
        if self.hide_rate:  # ours: hide whole observed modalities from the encoders
            mask, module = Xi["mask"], self.module_
            keep = torch.rand(mask.shape[0], module.layout.n_modalities, device=mask.device) >= self.hide_rate
            Xi = {**Xi, "seen": mask * keep.to(mask.dtype)[:, module.column_modality]}
        return super().train_step_single((Xi, yi), **fit_params)

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        # ours: the range of every feature's observed values, which bounds the
        # generated targets x~_u (without it the self-made targets can run away
        # in long training: on breast_cancer the x_u term grew from 2 to 1e6
        # between epochs 200 and 450)
        self.target_range_ = None
        if isinstance(X, MaskedDataset):
            x, known = X.x.to(self.device), X.mask.to(self.device) > 0  # the data stay on the CPU
            low, high = torch.where(known, x, torch.inf).amin(dim=0), torch.where(known, x, -torch.inf).amax(dim=0)
            never = low > high  # a feature never observed: no bound
            self.target_range_ = (torch.where(never, -torch.inf, low), torch.where(never, torch.inf, high))

    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss, terms = vsae_loss(self.module_, y_pred, X["x"], X["mask"], X.get("x_tilde"), beta=self.beta,
                                unobserved_weight=self.unobserved_weight)
        if training:
            self.history.record_batch("xu_loss", float(terms["unobserved"].mean().detach()))
        return loss

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_end(net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs)
        values = [b["xu_loss"] for b in self.history[-1, "batches"] if "xu_loss" in b]
        self.history.record("xu_on", int(self.xu_on()))
        self.history.record("xu_loss", float(np.mean(values)) if values else 0.0)


# --------------------------------------------------------------------------- #
# 4. The imputer
# --------------------------------------------------------------------------- #


class VSAEImputer(CategoricalMixin, ReconstructionMixin, DeepImputer):
    """Variational Selective Autoencoder (VSAE) imputer, for tables and multimodal data.

    The columns are split into modalities (by default each feature is one).
    Each modality's latent code comes from its own (unimodal) encoder when the
    modality is observed, and from a slice of one multimodal encoder reading
    the observed data and the mask when it is not (the *selective proposal*).
    The concatenated codes feed a mask decoder (a Bernoulli per modality) and
    a data decoder conditioned on the reconstructed mask. The model learns
    ``p(x, m)`` from incomplete data only; it imputes, generates data and
    masks (:meth:`sample`), and draws multiple imputations.

    **Modalities.** ``modalities=None`` makes every feature a modality (the
    paper's UCI setting). Pass group sizes (``[784, 784]``: the first 784
    columns, then the next 784) or lists of column indices to group columns,
    for example two images stored side by side. *A modality is observed only
    if all its entries are*: a partially observed modality is encoded by the
    multimodal encoder (which still reads its observed entries) and counted
    as missing in the mask, while its observed entries remain targets of the
    loss and are returned unchanged.

    **Categorical features** (``categorical_features``, and every
    non-numeric or boolean column of a DataFrame when ``shape`` is None) are
    one-hot encoded, decoded with a softmax and cross-entropy, and imputed
    with the most likely category; numeric features are standardised and
    decoded with squared error (``shape`` given: min-max scaled, binary
    cross-entropy). A DataFrame with categorical, boolean or nullable columns
    is returned as a DataFrame with its input's dtypes and categories; with
    ``categorical_features`` on numbers the imputed values are among the
    values seen in ``fit``. Categorical features need ``missing_values=np.nan``;
    a category not seen in ``fit`` is an error in ``transform``.

    Parameters
    ----------
    modalities : None, list of int or list of list of int, default=None
        None: one modality per feature. A list of ints: consecutive groups of
        those sizes (summing to the number of features). A list of lists:
        the columns of each modality, every column in exactly one.
    categorical_features : "auto", None or array-like of int, bool or str, default="auto"
        Indices, a boolean mask or (DataFrames) names of the categorical
        features, whose values are categories (any numbers). Non-numeric and
        boolean DataFrame columns are categorical anyway (tables only).
    latent_dim : int or None, default=None
        Latent dimensions per modality. None: the paper's 20 for tables,
        256 with ``shape``.
    encoder_width : int or None, default=None
        Hidden width of the unimodal and multimodal encoders. None: 64 for
        tables (with batch norm after the first layer), 128 with ``shape``
        (without batch norm), as in Appendix B.2.
    decoder_width : int, default=128
        Hidden width of the data decoder (the paper: 128).
    mask_decoder_width : int or None, default=None
        Hidden width of the mask decoder. None: 64 for tables, 16 with
        ``shape`` (the paper).
    n_layers : int, default=3
        Hidden layers of every encoder and decoder (the paper: 3).
    warmup_epochs : int, default=20
        Epochs trained without the unobserved features' term (the paper:
        20); from the next epoch on, each batch is passed once without
        gradients to generate ``x~_u`` and again for the loss.
    beta : float >= 0, default=1.0
        Weight of the KL term. 1 is the paper's objective (equation 4).
        *Ours*: smaller values loosen the KL pressure that can collapse every
        posterior to the prior (see :ref:`vsae`).
    hide_rate : float in [0, 1), default=0.0
        *Not in the paper (ours).* In every training batch each observed
        modality is hidden from the encoders with this probability (it is
        then encoded by the multimodal encoder, like a missing one) while
        its true values stay targets of the loss, so that the multimodal
        encoder and the decoder are trained on the imputation task itself.
        0 is the paper's training; we recommend 0.3 for imputation (Notes).
    unobserved_weight : float >= 0, default=1.0
        Weight of the unobserved features' term of equation 4 (the decoder
        scored against its own generated ``x~_u``). 1 is the paper's
        objective. *Ours*: 0 drops the term (and the first pass of every
        batch): the model is then trained on real targets only.
    batchnorm : bool, default=True
        Batch norm after the first layer of the decoders and (tables) of the
        encoders, as in Appendix B.2. False: none anywhere (ours; part of the
        small-table settings of the Notes).
    imputation_draws : int >= 0, default=20
        *Ours; the paper decodes one sample.* ``transform`` fills each hole
        with the mean of this many decoded draws (latent codes from the
        selective proposal, the unobserved inputs' noise drawn too): the
        Monte Carlo estimate of ``E[x_j | x_o, m]``; categorical features
        take the category of highest mean probability. The draws are seeded,
        so ``transform`` is repeatable. 0 decodes the proposal's mean once
        (deterministic, the fastest). Acts in ``transform`` only (no refit).
    fill : {"auto", "noise", "zeros"}, default="auto"
        What replaces unobserved inputs of the encoders in training:
        standard-normal noise (the paper's tables) or zeros (its images).
        ``"auto"``: zeros with ``shape``, noise without. ``transform`` draws
        the noise with the codes (``imputation_draws=0``: zeros, its mean).
    reconstruction : {"auto", "mse", "bce"}, default="auto"
        Likelihood of the numeric features: ``"mse"`` (the squared error on
        standardised features, the paper's "negated reconstruction loss": a
        Gaussian of variance 1/2) or ``"bce"`` (Bernoulli of a sigmoid output
        on min-max scaled features, for images in [0, 1]).
        ``"auto"``: ``"bce"`` with ``shape``, ``"mse"`` without.
    epochs : int, default=1000
        Maximal number of epochs (the paper: 1000, keeping the best
        validation epoch).
    batch_size : int, default=64
        Mini-batch size, also of ``transform``.
    lr : float or None, default=None
        Adam learning rate. None: the paper's, 1e-3 for tables with a numeric
        feature, 1e-2 for all-categorical tables, 1e-4 with ``shape``.
    device : str, default="cpu"
        Torch device; "auto" picks CUDA when present.
    validation_fraction : float, default=0.2
        Share of the rows held out for the validation loss (the paper: 20%).
    patience : int or None, default=20
        Epochs without improvement of the validation loss, counted after the
        warm-up, before stopping; the best epoch after the warm-up is restored.
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks.
    n_threads : int or None, default=None
        Torch CPU threads (None: half the cores, at least one).
    missing_values : float, int or np.nan, default=np.nan
        The placeholder of missing entries.
    shape : None or tuple of int, default=None
        ``(H, W)`` or ``(C, H, W)`` when rows are images: selects the
        paper's image settings (see the parameters above) and min-max scaling
        per channel.
    keep_empty_features : bool, default=False
        Keep (imputed with 0) features without observed values in ``fit``.
    add_indicator : bool, default=False
        Append a :class:`~sklearn.impute.MissingIndicator`.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, the validation split, the batches and every
        draw of ``fit``.
    verbose : int, default=0
        1: a progress bar over the epochs; 2: skorch's epoch table.

    Attributes
    ----------
    net_ : VSAENet
        The fitted skorch net; ``net_.module_`` is the :class:`VSAEModule`.
    modalities_ : list of ndarray
        The columns of each modality.
    categorical_ : ndarray of bool of shape (``n_features_in_``,)
        Which features are categorical.
    categories_ : list of (ndarray or None)
        The categories of each categorical feature (None for numeric ones),
        in the order of their codes.
    latent_dim_, encoder_width_, mask_decoder_width_, lr_ : int or float
        The resolved sizes and learning rate.
    fill_, reconstruction_ : str
        The resolved ``fill`` and ``reconstruction``.
    history_ : skorch History
        Per-epoch ``train_loss``, ``valid_loss``, ``xu_on`` and ``xu_loss``.
    n_epochs_ : int
        Number of epochs run.
    scaler_ : FeatureScaler
        The scaling of the numeric features (identity on categorical ones).
    image_shape_ : None or tuple of int
        The image shape as ``(C, H, W)``, or None for tables.
    device_ : torch.device
        The device the net lives on.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    VAEImputer : A plain VAE, the paper's main baseline.

    Notes
    -----
    Departures from the paper, where it is silent or ambiguous:

    * the printed data decoders have no activation after their first layer
      (``Linear -> Linear -> Linear``, which would collapse to one linear
      map); every hidden layer here is followed by a LeakyReLU;
    * the encoders output a mean and a log-variance (``2 * latent_dim``
      values per modality; the paper prints ``Linear(64, 20)``);
    * ``transform`` averages ``imputation_draws`` decoded draws (the
      posterior predictive mean; the paper decodes one sampled code);
      unobserved inputs are drawn afresh (noise) in training and in each
      draw, and set to zero with ``imputation_draws=0``;
    * the generated ``x~_u`` are the decoder's means and most likely
      categories of the first pass, without gradient, clipped to each
      feature's range of observed training values (ours: unbounded, these
      self-made targets ran away in long training);
    * all layers start from He initialisation with zero biases;
    * the validation loss (early stopping, best-epoch restore) has no
      unobserved term, and early stopping only starts after the warm-up.

    **Small tables** (hundreds of rows, one modality per feature): we
    recommend ``beta=0.01, hide_rate=0.3, unobserved_weight=0,
    batchnorm=False, fill="zeros", batch_size=32`` with a fixed budget
    (``epochs=300, patience=None, validation_fraction=0``). Each departs
    from the paper; they trade part of the mask model for imputation.
    :ref:`vsae` explains why ``beta < 1`` and ``hide_rate > 0`` help, and has
    the measurements and the reproduction of the paper's tables.

    References
    ----------
    .. [1] Y. Gong, H. Hajimirsadeghi, J. He, M. Nawhal, T. Durand and G. Mori,
       "Variational Selective Autoencoder", Proceedings of the Symposium on
       Advances in Approximate Bayesian Inference, PMLR 118, 2020.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklimpute import VSAEImputer
    >>> rng = np.random.RandomState(0)
    >>> z = rng.normal(size=(200, 1))
    >>> df = pd.DataFrame({"a": z[:, 0], "b": 2 * z[:, 0],
    ...                    "c": pd.Categorical(np.where(z[:, 0] > 0, "hi", "lo"))})
    >>> df = df.mask(rng.rand(200, 3) < 0.2)
    >>> imp = VSAEImputer(epochs=3, warmup_epochs=1, random_state=0)
    >>> out = imp.fit_transform(df)
    >>> out["c"].dtype == df["c"].dtype, bool(out.notna().all().all())
    (True, True)
    >>> X_gen, observed = imp.sample(4, random_state=0)
    >>> X_gen.shape, observed.shape
    ((4, 3), (4, 3))

    The settings for imputing a small table (see the Notes):

    >>> small = VSAEImputer(beta=0.01, hide_rate=0.3, unobserved_weight=0.0, batchnorm=False,
    ...                     fill="zeros", batch_size=32, epochs=3, patience=None,
    ...                     validation_fraction=0.0, random_state=0)
    >>> bool(small.fit_transform(df).notna().all().all())
    True
    """

    #: transform averages seeded draws of the proposal (``imputation_draws``)
    _random_transform = True
    _category_coding = "codes"  # the softmax decoders read the codes
    _fits_from_disk = False  # on_train_begin reads the whole table (the targets' range)

    _parameter_constraints = {
        **DeepImputer._parameter_constraints,
        "modalities": [list, tuple, None],
        "categorical_features": CATEGORICAL_FEATURES_CONSTRAINT,
        "latent_dim": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "encoder_width": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "decoder_width": [Interval(numbers.Integral, 1, None, closed="left")],
        "mask_decoder_width": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "n_layers": [Interval(numbers.Integral, 1, None, closed="left")],
        "warmup_epochs": [Interval(numbers.Integral, 0, None, closed="left")],
        "hide_rate": [Interval(numbers.Real, 0, 1, closed="left")],
        "beta": [Interval(numbers.Real, 0, None, closed="left")],
        "unobserved_weight": [Interval(numbers.Real, 0, None, closed="left")],
        "batchnorm": ["boolean"],
        "imputation_draws": [Interval(numbers.Integral, 0, None, closed="left")],
        "fill": [StrOptions({"auto", "noise", "zeros"})],
        "reconstruction": [StrOptions({"auto", "mse", "bce"})],
        "lr": [Interval(numbers.Real, 0, None, closed="neither"), None],
    }

    def __init__(
        self,
        *,
        modalities=None,
        categorical_features="auto",
        latent_dim=None,
        encoder_width=None,
        decoder_width=128,
        mask_decoder_width=None,
        n_layers=3,
        warmup_epochs=20,
        hide_rate=0.0,
        beta=1.0,
        unobserved_weight=1.0,
        batchnorm=True,
        imputation_draws=20,
        fill="auto",
        reconstruction="auto",
        epochs=1000,
        batch_size=64,
        lr=None,
        device="cpu",
        validation_fraction=0.2,
        patience=20,
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
            epochs=epochs, batch_size=batch_size, lr=lr, device=device,
            validation_fraction=validation_fraction, patience=patience, callbacks=callbacks,
            n_threads=n_threads, missing_values=missing_values, shape=shape,
            keep_empty_features=keep_empty_features, add_indicator=add_indicator,
            random_state=random_state, verbose=verbose,
        )
        self.modalities = modalities
        self.categorical_features = categorical_features
        self.latent_dim = latent_dim
        self.encoder_width = encoder_width
        self.decoder_width = decoder_width
        self.mask_decoder_width = mask_decoder_width
        self.n_layers = n_layers
        self.warmup_epochs = warmup_epochs
        self.hide_rate = hide_rate
        self.beta = beta
        self.unobserved_weight = unobserved_weight
        self.batchnorm = batchnorm
        self.imputation_draws = imputation_draws
        self.fill = fill
        self.reconstruction = reconstruction

    # ------------------------------------------------------------------- fit
    def _fit(self, X, observed):  # the codes come unscaled (CategoricalMixin._to_model)
        cat = self.categorical_
        self.modalities_ = resolve_modalities(self.modalities, X.shape[1])
        images = self.shape is not None
        defaults = IMAGE_DEFAULTS if images else TABLE_DEFAULTS
        self.latent_dim_ = int(self.latent_dim or defaults["latent_dim"])
        self.encoder_width_ = int(self.encoder_width or defaults["encoder_width"])
        self.mask_decoder_width_ = int(self.mask_decoder_width or defaults["mask_decoder_width"])
        self._encoder_batchnorm = bool(self.batchnorm) and defaults["encoder_batchnorm"]
        self.fill_ = self.fill if self.fill != "auto" else ("zeros" if images else "noise")
        self.reconstruction_ = self._reconstruction()
        if self.lr is not None:
            self.lr_ = float(self.lr)
        elif images:
            self.lr_ = PAPER_LR["image"]
        else:
            self.lr_ = PAPER_LR["categorical" if cat.all() else "numeric"]
        self._cardinalities = [len(c) if cat[j] else 0 for j, c in enumerate(self.categories_)]
        self._cardinalities = [max(k, 1) if cat[j] else 0 for j, k in enumerate(self._cardinalities)]
        return super()._fit(X, observed)

    def _early_stopping(self):
        # the warm-up is a pre-training phase: patience and the best epoch count after it
        return partial(WarmupEarlyStopping, warmup_epochs=self.warmup_epochs)

    def _build_net(self, n_features, **net_kwargs):
        net_kwargs["lr"] = self.lr_
        return VSAENet(
            VSAEModule,
            module__cardinalities=self._cardinalities,
            module__modalities=[m.tolist() for m in self.modalities_],
            module__latent_dim=self.latent_dim_,
            module__encoder_width=self.encoder_width_,
            module__decoder_width=self.decoder_width,
            module__mask_decoder_width=self.mask_decoder_width_,
            module__n_layers=self.n_layers,
            module__encoder_batchnorm=self._encoder_batchnorm,
            module__decoder_batchnorm=bool(self.batchnorm),
            module__fill=self.fill_,
            module__output=self.reconstruction_,
            warmup_epochs=self.warmup_epochs,
            hide_rate=self.hide_rate,
            beta=self.beta,
            unobserved_weight=self.unobserved_weight,
            **net_kwargs,
        )

    # ----------------------------------------------------------- imputation
    def _decode_draws(self, x, mask, n_draws):
        """Decoder outputs ``(n_draws, n, n_expanded)``: unobserved inputs' noise and ``z`` drawn."""
        module = self.net_.module_
        n = x.shape[0]
        x_exp, entry_mask, m = module.expand(x.repeat(n_draws, 1), mask.repeat(n_draws, 1))
        mu, logvar = module.encode(x_exp, entry_mask, m, noise=True)
        z = reparameterize(mu, logvar)
        out, _ = module.decode(z)
        return out.view(n_draws, n, -1)

    def _impute_batch(self, x, mask):
        module = self.net_.module_
        if self.imputation_draws:
            return module.predictive_mean(self._decode_draws(x, mask, int(self.imputation_draws)))
        x_exp, entry_mask, m = module.expand(x, mask)
        mu, _ = module.encode(x_exp, entry_mask, m, noise=False)
        out, _ = module.decode(mu)
        return module.feature_values(out)

    def _sample_batch(self, x, mask):
        return self.net_.module_.feature_values(self._decode_draws(x, mask, 1)[0], sample=True)

    def sample_imputations(self, X, n_draws=5, *, random_state=None):
        """Draw several completions of X (multiple imputation).

        Each draw samples the unobserved inputs' noise, the latent codes from
        the selective proposal and every categorical value from its softmax;
        numeric values are the decoder's means given the codes.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data with holes.
        n_draws : int, default=5
            Number of completions.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws.

        Returns
        -------
        draws : ndarray of shape (n_draws, n_samples, n_features)
            Completions; observed entries are identical in every draw.
            Categorical features with numeric categories hold categories,
            others their codes (indices into ``categories_``).
        """
        draws = super().sample_imputations(X, n_draws, random_state=random_state)
        return self._decode_columns(draws)

    def generate(self, n_samples, *, random_state=None):
        """Deprecated alias of :meth:`sample` (removed in a later version)."""
        warnings.warn("VSAEImputer.generate is deprecated: use VSAEImputer.sample.", FutureWarning,
                      stacklevel=2)
        return self.sample(n_samples, random_state=random_state)

    def sample(self, n_samples, *, random_state=None):
        """Draw new rows, data and masks, from the prior (section 3.2 of the paper).

        ``z ~ N(0, I)`` goes through the mask decoder (a Bernoulli draw per
        modality) and the data decoder (decoder means for numeric features, a
        softmax draw for categorical ones).

        Parameters
        ----------
        n_samples : int
            Number of rows to generate.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws.

        Returns
        -------
        X : ndarray of shape (n_samples, ``n_features_in_``)
            Generated data in the input's units (categorical features: their
            categories when numeric, else codes).
        observed : ndarray of bool of shape (n_samples, ``n_features_in_``)
            The generated mask, per feature (every feature of a modality
            shares the modality's draw); ``1 - observed.mean()`` is the
            generated missing share.
        """
        n = int(n_samples)
        if n < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        with self._sampling(random_state) as module:
            M, L = module.layout.n_modalities, module.latent_dim
            z = torch.randn(n, M, L, device=self.device_)
            out, mask_logits = module.decode(z)
            m = torch.bernoulli(torch.sigmoid(mask_logits))
            values = module.feature_values(out, sample=True)
        values = values.to("cpu", torch.float64).numpy()
        m = m.to("cpu").numpy().astype(bool)
        X = self.scaler_.inverse_transform(values)
        observed = m[:, module.layout.column_modality]
        return self._decode_columns(X, as_frame=False), observed
