"""The skorch pieces every neural imputer shares.

* :class:`MaskedDataset` holds the scaled data and its observed mask as CPU
  tensors, or reads them from the disk through a :class:`RowReader` (data
  larger than memory, :mod:`sklimpute.parallel`), and moves one batch at a time to the training device;
  :class:`BatchLoader` slices mini-batches out of it by indexing (no
  per-sample Python calls, no collation), and is what skorch's
  ``iterator_train``/``iterator_valid`` use.
* :class:`ImputerNet` is the skorch ``NeuralNet`` the models subclass: its
  module is called as ``module(x=..., mask=...)`` and each model overrides
  ``get_loss`` (or ``train_step`` for adversarial training), never
  ``fit_loop``.
* :func:`net_defaults` turns an imputer's common parameters into skorch
  arguments: validation split, early stopping with best-weights restore
  (:class:`WarmupEarlyStopping` for models with a warm-up), progress output,
  user callbacks.
* :func:`seeded` and :func:`torch_threads` set torch's random state and thread
  count for the duration of a block and restore them afterwards, so fitting
  an imputer never changes the caller's global state;
  :func:`default_n_threads` is the thread count an imputer uses by default
  and :func:`resolve_device` turns a ``device`` parameter into a torch
  device.
"""

import inspect
import os
from contextlib import contextmanager

import numpy as np
import torch
from sklearn.utils import check_random_state
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, PrintLog, ProgressBar
from skorch.dataset import ValidSplit
from skorch.utils import TeeGenerator

from .parallel import RowReader

__all__ = [
    "AdversarialNet",
    "BatchLoader",
    "HidingMixin",
    "EpochProgressBar",
    "ImputerNet",
    "MaskedDataset",
    "PRECISIONS",
    "THREAD_LIMIT_VARS",
    "WarmupEarlyStopping",
    "accelerate_net",
    "autocast",
    "bfloat16_is_fast",
    "default_n_threads",
    "draw_seed",
    "VALID_HIDE_RATE",
    "hide_entries",
    "hide_like_rows",
    "hide_rate_from",
    "hide_share_for",
    "net_defaults",
    "plain_net",
    "resolve_device",
    "resolve_precision",
    "seeded",
    "torch_threads",
]


def draw_seed(random_state):
    """An int32 seed drawn from ``random_state``, for :func:`seeded` and skorch.

    Parameters
    ----------
    random_state : int, RandomState instance or None
        As scikit-learn takes it: an int gives the same seed every time, a
        RandomState advances, None draws from numpy's global generator.

    Examples
    --------
    >>> draw_seed(0) == draw_seed(0)
    True
    """
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextmanager
def seeded(seed, device="cpu"):
    """Seed torch for the block and restore the previous generator states.

    Parameters
    ----------
    seed : int
        Seed for torch's CPU generator (and the CUDA device in use).
    device : str or torch.device, default="cpu"
        The device whose generator is also seeded and restored.

    Examples
    --------
    >>> import torch
    >>> with seeded(0):
    ...     a = torch.rand(2)
    >>> with seeded(0):
    ...     b = torch.rand(2)
    >>> bool((a == b).all())
    True
    """
    device = torch.device(device)
    cuda = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=cuda, device_type="cuda"):
        torch.random.default_generator.manual_seed(seed)
        if cuda:
            with torch.cuda.device(cuda[0]):
                torch.cuda.manual_seed(seed)
        yield


@contextmanager
def torch_threads(n_threads):
    """Use ``n_threads`` torch CPU threads inside the block, then restore."""
    before = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)


#: The environment variables that cap torch's CPU threads (torch reads them
#: at start-up). joblib sets them in each of its process workers (the loky
#: backend of ``GridSearchCV(n_jobs=k)``, ``cross_val_score``...) to the
#: machine's cores divided by ``n_jobs``.
THREAD_LIMIT_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _env_thread_limit():
    """The smallest positive thread count set in ``THREAD_LIMIT_VARS``, or None."""
    limits = []
    for var in THREAD_LIMIT_VARS:
        value = os.environ.get(var, "").split(",")[0].strip()  # OpenMP allows "4,2"
        try:
            n = int(value)
        except ValueError:
            continue
        if n >= 1:
            limits.append(n)
    return min(limits) if limits else None


def default_n_threads():
    """The default thread count of sklimpute: half the CPU cores, within the env's limit.

    Half the cores, at least one; but never more than ``OMP_NUM_THREADS`` or
    ``MKL_NUM_THREADS`` when they are set. joblib's process workers have
    them set to the machine's cores divided by ``n_jobs`` (unless the parent
    set them itself), so that ``GridSearchCV(imputer, grid, n_jobs=k)`` runs
    ``k`` fits of about ``cores / k`` threads each instead of ``k`` fits of
    ``cores / 2`` threads; in your own process, setting ``OMP_NUM_THREADS``
    caps sklimpute's threads as it caps torch's and numpy's.

    On a machine whose cores are busy with other processes, threads that spin
    on a taken core make training many times slower: fewer threads than
    cores is the safe default.

    Examples
    --------
    >>> default_n_threads() >= 1
    True
    """
    n = max(1, (os.cpu_count() or 2) // 2)
    limit = _env_thread_limit()
    return n if limit is None else min(n, limit)


def resolve_device(device):
    """Turn ``device`` ("cpu", "cuda", "cuda:1", "auto", ...) into a torch.device.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a torch device: {exc}") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} but CUDA is not available on this machine; use "
            "device='cpu' or device='auto'."
        )
    return dev


#: ``precision`` values of the imputers whose networks can run in bfloat16
PRECISIONS = ("auto", "float32", "bfloat16")


def bfloat16_is_fast(device):
    """Whether ``device`` computes bfloat16 natively (no emulation).

    A CPU with AVX-512 BF16 or AMX (oneDNN's bfloat16 kernels), or a CUDA
    device that supports bfloat16 (Ampere and later).

    Examples
    --------
    >>> import torch
    >>> isinstance(bfloat16_is_fast(torch.device("cpu")), bool)
    True
    """
    device = torch.device(device)
    if device.type == "cuda":
        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    if device.type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):
            return False
    return False


def resolve_precision(precision, device):
    """``"float32"`` or ``"bfloat16"``: what the network computes in on ``device``.

    ``"auto"`` is bfloat16 where the device computes it natively
    (:func:`bfloat16_is_fast`), float32 elsewhere. The weights, the
    optimizer and the losses stay in float32 either way (autocast).

    Examples
    --------
    >>> resolve_precision("float32", "cpu")
    'float32'
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}.")
    if precision == "auto":
        return "bfloat16" if bfloat16_is_fast(device) else "float32"
    return precision


def autocast(tensor, precision):
    """A context that runs the block in ``precision`` on ``tensor``'s device (autocast).

    Examples
    --------
    >>> import torch
    >>> x = torch.ones(2, 3)
    >>> with autocast(x, "bfloat16"):
    ...     y = torch.nn.functional.linear(x, torch.ones(4, 3))
    >>> y.dtype
    torch.bfloat16
    """
    return torch.autocast(tensor.device.type, dtype=torch.bfloat16, enabled=precision == "bfloat16")


class MaskedDataset(torch.utils.data.Dataset):
    """Scaled data with holes set to 0 and its observed mask; batches go to the device.

    The data stay on the CPU (float32 tensors) or,
    for a :class:`RowReader`, on the disk; only the batch being used is
    moved to ``device``. Indexing with an integer, a slice or an index tensor
    returns the skorch pair ``({"x": x, "mask": mask}, None)`` on the device.
    The batches of a :class:`RowReader` hold the same numbers, bit for bit, as
    those of the same data in memory.
    """

    def __init__(self, X, observed, device="cpu"):
        self.device = torch.device(device)
        self.reader = X if isinstance(X, RowReader) else None
        if self.reader is None:
            self.x = torch.as_tensor(np.asarray(X), dtype=torch.float32)
            self.mask = torch.as_tensor(np.asarray(observed), dtype=torch.float32)
        self._n = len(X)

    def __len__(self):
        return self._n

    def _to_device(self, t):
        return t if self.device.type == "cpu" else t.to(self.device, non_blocking=True)

    def __getitem__(self, idx):
        if self.reader is not None:
            if isinstance(idx, torch.Tensor):
                idx = idx.numpy()
            xs, obs = self.reader.rows(idx)
            x = torch.from_numpy(np.asarray(xs, dtype=np.float32))
            mask = torch.from_numpy(np.asarray(obs, dtype=np.float32))
        else:
            x, mask = self.x[idx], self.mask[idx]
        return {"x": self._to_device(x), "mask": self._to_device(mask)}, None


class BatchLoader:
    """Mini-batches of a :class:`MaskedDataset` (or a skorch ``Subset`` of one).

    A drop-in for skorch's ``iterator_train``/``iterator_valid``: batches are
    cut by indexing the dataset, which moves each to the device. Shuffling draws from torch's
    global generator, which :func:`seeded` fixes during ``fit``. A last
    training batch of a single row is dropped (batch norm cannot train on it).

    ``min_batches`` (shuffled loaders only) makes a pass over fewer rows than
    ``min_batches`` full batches run over the rows several times, each time
    in a new order, until it has that many batches: on a small table an
    "epoch" then still means several optimizer steps.

    ``num_shards`` and ``shard`` (data-parallel training, :func:`accelerate_net`):
    every process draws the same order (the same seed) and takes every
    ``num_shards``-th batch from its ``shard``, all processes the same count.
    """

    def __init__(self, dataset, batch_size=64, shuffle=False, drop_last=False, min_batches=None,
                 num_shards=1, shard=0, **_):
        idx = None
        while isinstance(dataset, torch.utils.data.Subset):
            sub = torch.as_tensor(np.asarray(dataset.indices), dtype=torch.long)
            idx = sub if idx is None else sub[idx]
            dataset = dataset.dataset
        self.dataset = dataset
        self.indices = torch.arange(len(dataset)) if idx is None else idx
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.min_batches = min_batches
        self.num_shards = int(num_shards)
        self.shard = int(shard)

    def _n_rows(self):
        n = len(self.indices)
        if self.shuffle and self.min_batches and n > 0:
            return max(n, int(self.min_batches) * self.batch_size)
        return n

    def __len__(self):
        n, bs = self._n_rows(), self.batch_size
        n_batches = n // bs if self.drop_last else -(-n // bs)
        return n_batches // self.num_shards if self.num_shards > 1 else n_batches

    def __iter__(self):
        idx = self.indices
        if self.shuffle:
            n_rows, n = self._n_rows(), len(idx)
            passes = -(-n_rows // n) if n else 1
            idx = torch.cat([idx[torch.randperm(n)] for _ in range(passes)])[:n_rows]
        n, bs = len(idx), self.batch_size
        starts = range(0, n, bs)
        if self.num_shards > 1:
            starts = starts[self.shard::self.num_shards][:len(self)]
        for start in starts:
            batch = idx[start:start + bs]
            if len(batch) < bs and (self.drop_last or (self.shuffle and len(batch) == 1 and n > 1)):
                break
            yield self.dataset[batch]


def accelerate_net(net, accelerator):
    """An uninitialised copy of ``net`` trained through Hugging Face Accelerate.

    Its class adds skorch's :class:`~skorch.hf.AccelerateMixin` to ``net``'s
    (the accelerator places the modules and wraps them for distributed
    data parallel training); a net with its own ``train_step`` or
    ``train_step_single`` (the adversarial nets, VSAE) keeps it. Each
    process trains on its shard of every epoch's batches
    (:class:`BatchLoader`). :func:`plain_net` turns the fitted net back.

    Parameters
    ----------
    net : ImputerNet
        An uninitialised net, as an imputer's ``_build_net`` returns it.
    accelerator : accelerate.Accelerator
        The accelerator of this process.

    Returns
    -------
    net : ImputerNet
        The copy (``device=None``: the accelerator places it).
    """
    from skorch.hf import AccelerateMixin

    cls = type(net)
    own = {name: getattr(cls, name) for name in ("train_step", "train_step_single")
           if getattr(cls, name) is not getattr(NeuralNet, name)}
    accelerated = type(f"Accelerated{cls.__name__}", (AccelerateMixin, cls), own)
    # the arguments of the net's constructors (not the attributes it sets itself)
    names = set()
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            names.update(inspect.signature(vars(klass)["__init__"]).parameters)
    params = {k: v for k, v in net.get_params(deep=False).items() if k in names or "__" in k}
    params.update(device=None, accelerator=accelerator, **{key: value for key, value in (
        ("iterator_train__num_shards", accelerator.num_processes),
        ("iterator_train__shard", accelerator.process_index),
        # skorch's epoch table on the main process only, and only when verbose
        ("callbacks__print_log__sink", accelerator.print if net.verbose else _silent))})
    return accelerated(**params)


def _silent(*args, **kwargs):
    """A print that prints nothing (the epoch table of a quiet accelerated net)."""


#: the arguments :func:`accelerate_net` adds, which :func:`plain_net` removes
_ACCELERATE_ARGS = ("accelerator", "unwrap_after_train", "_wrapped_with_accelerator",
                    "iterator_train__num_shards", "iterator_train__shard",
                    "callbacks__print_log__sink")


def plain_net(net, cls):
    """A net fitted by :func:`accelerate_net` as a plain ``cls`` net on the accelerator's device.

    Its modules were unwrapped at the end of training; its optimizers are
    unwrapped here and the accelerator is dropped, so that the net pickles
    and imputes like one trained without it.
    """
    for name in net._optimizers:
        optimizer = getattr(net, name + "_")
        inner = getattr(optimizer, "optimizer", None)
        if isinstance(inner, torch.optim.Optimizer):
            setattr(net, name + "_", inner)
    device = net.accelerator.device
    net.__class__ = cls
    for attr in _ACCELERATE_ARGS:
        net.__dict__.pop(attr, None)
        net._params_to_validate.discard(attr)
    for _, callback in net.callbacks_:
        if isinstance(callback, PrintLog):
            callback.sink = print
    net.device = str(device)
    return net


class ImputerNet(NeuralNet):
    """skorch net of an imputer: the module is called as ``module(x=..., mask=...)``.

    ``x`` is a batch of scaled data whose holes hold 0 and ``mask`` is 1 where
    an entry is observed. Models subclass this and override ``get_loss``
    (``y_true`` is always None: the targets are the observed entries of
    ``X["x"]``), or ``train_step`` when they need several optimizers.
    """

    def __init__(self, module, *args, criterion=torch.nn.MSELoss, **kwargs):
        super().__init__(module, criterion, *args, **kwargs)


#: Share of the observed entries hidden for the validation loss of a net
#: that hides entries (:class:`HidingMixin`) when the data are complete.
VALID_HIDE_RATE = 0.2


def hide_rate_from(observed, fallback):
    """The data's missing rate, or ``fallback`` when nothing is missing.

    How much of each batch the imputers that train on hidden entries hide
    by default: about as much as the data miss.

    Examples
    --------
    >>> import numpy as np
    >>> hide_rate_from(np.array([[True, False], [True, True]]), 0.2)
    0.25
    >>> hide_rate_from(np.ones((2, 2), dtype=bool), 0.2)
    0.2
    """
    missing = 1.0 - float(np.mean(observed))
    return missing if missing > 0 else fallback


def hide_entries(mask, rate, n_channels=1, generator=None):
    """``mask`` with a random ``rate`` share of its entries set to 0.

    Rows are ``C * H * W`` with ``C = n_channels`` (channels first); with
    several channels whole pixels are hidden, all channels at once, like the
    MCAR holes of :func:`~sklimpute.make_missing`.

    Examples
    --------
    >>> mask = torch.ones(1000, 6)
    >>> seen = hide_entries(mask, 0.3, n_channels=2, generator=torch.Generator().manual_seed(0))
    >>> round(1 - seen.mean().item(), 1), bool((seen[:, :3] == seen[:, 3:]).all())
    (0.3, True)
    """
    if not rate:
        return mask
    n, c = mask.shape[0], int(n_channels)
    u = torch.rand((n, 1, mask.shape[1] // c), generator=generator, device=mask.device, dtype=mask.dtype)
    keep = (u >= rate).to(mask.dtype).expand(n, c, -1).reshape(mask.shape)
    return mask * keep


def hide_like_rows(mask, generator=None, share=1.0, n_channels=1):
    """``mask`` with each row's entries hidden where another row of the batch misses.

    Rows are paired by a random permutation of the batch and each keeps only
    the entries its partner observes: the hidden entries follow the data's
    own missing patterns (scattered pixels for scattered holes, a square
    for a missing square, the columns that miss under MAR), at about the
    data's missing rate. Complete rows hide nothing. With ``share < 1`` each
    of the partner's holes is copied with probability ``share`` (a whole
    pixel, all ``n_channels`` channels at once): about ``share`` times the
    missing rate is hidden, in every row (see :func:`hide_share_for`).

    Examples
    --------
    >>> mask = torch.tensor([[1.0, 1.0, 1.0, 0.0], [1.0, 0.0, 1.0, 1.0]])
    >>> hide_like_rows(mask, torch.Generator().manual_seed(1))
    tensor([[1., 0., 1., 0.],
            [1., 0., 1., 0.]])
    >>> hide_like_rows(mask, torch.Generator().manual_seed(1), share=0.0)
    tensor([[1., 1., 1., 0.],
            [1., 0., 1., 1.]])
    """
    perm = torch.randperm(mask.shape[0], generator=generator, device=mask.device)
    partner = mask[perm]
    if share < 1.0:  # each of the partner's holes is copied with probability share
        n, c = mask.shape[0], int(n_channels)
        u = torch.rand((n, 1, mask.shape[1] // c), generator=generator, device=mask.device,
                       dtype=mask.dtype)
        copied = (u < share).expand(n, c, -1).reshape(mask.shape)
        partner = torch.where(copied, partner, torch.ones_like(partner))
    return mask * partner


#: ``hide_rate=None`` on images: at most this share of the observed pixels
#: is hidden in training (MNIST, 800 images, 40-50% MCAR: hiding a quarter
#: imputed better than hiding as much as the data miss; see :ref:`gain`)
AUTO_IMAGE_HIDE_MAX = 0.25


def hide_share_for(rate, observed, pattern="data"):
    """The share of a partner row's holes to copy so that about ``rate`` is hidden.

    :func:`hide_like_rows` hides about the data's missing rate ``m``; it
    copies each hole of the partner row with probability ``rate / m``, or
    every hole when ``rate`` is at least ``m`` or 0 (no hiding in training:
    a validation pass that hides copies the data's holes whole). Any other
    ``pattern`` than ``"data"`` copies no holes: 1.

    Examples
    --------
    >>> import numpy as np
    >>> observed = np.array([[True, False], [False, True]])  # half missing
    >>> hide_share_for(0.25, observed), hide_share_for(0.6, observed)
    (0.5, 1.0)
    """
    missing = 1.0 - float(np.mean(observed))
    return 1.0 if pattern != "data" or missing <= rate or rate <= 0 else float(rate) / missing


#: ``hide_pattern`` values of the imputers that train on hidden entries
HIDE_PATTERNS = ("data", "mcar")


class HidingMixin:
    """Hide a share of the observed entries of every batch (training on holes we can score).

    For nets with the attributes ``hide_rate``, ``n_channels`` and (optional)
    ``hide_pattern`` and ``hide_share``: :meth:`hide` draws a ``seen`` mask
    from the observed one, by :func:`hide_like_rows` (copying each hole of
    the partner row with probability ``hide_share``, default 1) when
    ``hide_pattern`` is ``"data"`` and by
    :func:`hide_entries` (MCAR at ``hide_rate``) otherwise; a rate of 0 hides
    nothing either way. Training batches draw from
    torch's (seeded) global generator; validation batches from a generator
    re-seeded with ``valid_seed`` at the start of every epoch, so the
    validation loss of different epochs is measured on the same hidden entries
    and early stopping compares like with like.
    """

    def hide(self, mask, generator=None, rate=None):
        """``seen``: ``mask`` with a ``rate`` (default ``hide_rate``) share hidden."""
        rate = self.hide_rate if rate is None else rate
        if rate and getattr(self, "hide_pattern", "mcar") == "data":
            return hide_like_rows(mask, generator, getattr(self, "hide_share", 1.0), self.n_channels)
        return hide_entries(mask, rate, self.n_channels, generator)

    def valid_generator(self):
        """The validation hiding's generator (None outside ``fit``)."""
        return getattr(self, "_valid_generator", None)

    def impute_seen(self, x, seen, generator):  # pragma: no cover - abstract
        """The model's completion of ``x`` seeing only ``seen`` (random draws from ``generator``)."""
        raise NotImplementedError

    def hidden_validation_step(self, batch):
        """Squared error on a ``valid_hide_rate`` share of the observed entries, hidden from the model.

        The same entries every epoch (see :meth:`valid_generator`): the
        imputation error that early stopping should watch. A net's
        ``validation_step`` returns it when the net defines
        :meth:`impute_seen` (GAIN's and MisGAN's do).
        """
        self._set_training(False)
        Xi, _ = batch
        x, mask = Xi["x"], Xi["mask"]
        gen = self.valid_generator()
        with torch.no_grad():
            seen = self.hide(mask, gen, rate=self.valid_hide_rate)
            out = self.impute_seen(x, seen, gen)
            hidden = mask - seen
            loss = ((x - out) ** 2 * hidden).sum() / hidden.sum().clamp_min(1.0)
        return {"loss": loss, "y_pred": out}

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_begin(net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs)
        self._valid_generator = torch.Generator(device=self.device).manual_seed(int(self.valid_seed))

    def on_train_end(self, net, X=None, y=None, **kwargs):
        super().on_train_end(net, X=X, y=y, **kwargs)
        self._valid_generator = None  # torch generators cannot be pickled


class AdversarialNet(ImputerNet):
    """skorch net of a generator (``module``) and a discriminator, each with its optimizer.

    The skorch way of adding a module and an optimizer (see skorch's
    customisation guide): ``discriminator_`` is created in
    :meth:`initialize_module` and ``optimizer_d_`` in
    :meth:`initialize_optimizer`, so skorch moves them to the device, saves
    them with the net, and ``set_params`` reaches them
    (``discriminator__...``, ``optimizer_d__...``). ``optimizer_`` updates
    the generator's parameters only and ``optimizer_d_`` the
    discriminator's.

    :meth:`train_step` alternates: subclasses give :meth:`generate` (the
    generator's pass on a batch), :meth:`discriminator_loss` and
    :meth:`generator_loss`. With ``n_critic = k > 1`` (Wasserstein GANs:
    several critic steps per generator step) a training batch is ``k``
    mini-batches: the discriminator steps on each in turn, then the
    generator steps once, on the last one; the imputer sets the training
    loader's batch size to ``k`` times its own, so an epoch is still one
    pass over the rows. A step whose loss is not finite is skipped (no
    parameter moves) and counted in the history (``skipped_steps``); an epoch
    of only skipped steps stops the training with a clear error instead of
    leaving NaN weights behind.
    """

    prefixes_ = ImputerNet.prefixes_ + ["discriminator", "optimizer_d"]

    def __init__(self, module, *args, discriminator, optimizer_d=torch.optim.Adam, n_critic=1,
                 **kwargs):
        super().__init__(module, *args, **kwargs)
        self.discriminator = discriminator
        self.optimizer_d = optimizer_d
        self.n_critic = n_critic

    def initialize_module(self):
        super().initialize_module()
        params = self.get_params_for("discriminator")
        self.discriminator_ = self.initialized_instance(self.discriminator, params)
        return self

    def initialize_optimizer(self, triggered_directly=None):
        args, kwargs = self.get_params_for_optimizer("optimizer", self.module_.named_parameters())
        self.optimizer_ = self.optimizer(*args, **kwargs)
        args, kwargs = self.get_params_for_optimizer("optimizer_d", self.discriminator_.named_parameters())
        self.optimizer_d_ = self.optimizer_d(*args, **kwargs)
        return self

    def generate(self, batch, training):  # pragma: no cover - abstract
        """The generator's pass: a dict the two losses read."""
        raise NotImplementedError

    def discriminator_loss(self, state):  # pragma: no cover - abstract
        raise NotImplementedError

    def generator_loss(self, state):  # pragma: no cover - abstract
        raise NotImplementedError

    def _descend(self, loss, optimizer, module, batch):
        """Backpropagate ``loss`` and step ``optimizer``; False if the loss is not finite.

        Between the two, callbacks hear ``on_grad_computed`` with ``module``'s
        parameters, as in skorch's own training step, so that
        :class:`~skorch.callbacks.GradientNormClipping` clips each player's
        gradients before its optimizer steps.
        """
        if not torch.isfinite(loss):
            return False
        loss.backward()
        self.notify("on_grad_computed", named_parameters=TeeGenerator(module.named_parameters()),
                    batch=batch, training=True)
        optimizer.step()
        return True

    @staticmethod
    def _split(batch, k):
        """``batch`` as ``k`` mini-batches (fewer when it has fewer rows)."""
        Xi, y = batch
        if k <= 1:
            return [batch]
        parts = zip(*(torch.chunk(v, k) for v in Xi.values()))
        return [(dict(zip(Xi, p)), y) for p in parts]

    def train_step(self, batch, **fit_params):
        """``n_critic`` discriminator steps (one per mini-batch), then one generator step."""
        self._set_training(True)
        ok = True
        for part in self._split(batch, int(self.n_critic)):
            state = self.generate(part, training=True)
            self.optimizer_d_.zero_grad(set_to_none=True)
            d_loss = self.discriminator_loss(state)
            ok &= self._descend(d_loss, self.optimizer_d_, self.discriminator_, part)
        self.optimizer_.zero_grad(set_to_none=True)
        g_loss = self.generator_loss(state)
        ok &= self._descend(g_loss, self.optimizer_, self.module_, part)
        self.history.record_batch("d_loss", float(d_loss.detach()))
        self.history.record_batch("skipped", int(not ok))
        # skorch only needs the loss; no prediction is kept for the training batches
        return {"loss": g_loss.detach(), "y_pred": None}

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_end(net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs)
        skipped = [b.get("skipped", 0) for b in self.history[-1, "batches"] if "skipped" in b]
        if skipped:
            self.history.record("skipped_steps", int(sum(skipped)))
            if all(skipped):
                raise FloatingPointError(
                    f"{type(self.module_).__name__} training diverged: every step of epoch "
                    f"{len(self.history)} had a non-finite loss. Lower lr, or try another "
                    "random_state; the imputer was not fitted."
                )


class WarmupEarlyStopping(EarlyStopping):
    """:class:`skorch.callbacks.EarlyStopping` that starts counting after the warm-up.

    The best model is chosen among the epochs after ``warmup_epochs`` (the
    warm-up is a pre-training phase), and the patience only runs then.
    """

    def __init__(self, *args, warmup_epochs=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.warmup_epochs = warmup_epochs

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) <= int(self.warmup_epochs):
            return
        super().on_epoch_end(net, **kwargs)


class EpochProgressBar(Callback):
    """A tqdm bar over the epochs that shows the latest losses."""

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=net.max_epochs, desc=type(net.module_).__name__, unit="epoch")

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        self.bar_.set_postfix({k: f"{row[k]:.4g}" for k in ("train_loss", "valid_loss") if k in row})
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        self.bar_.close()
        self.bar_ = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("bar_", None)
        return state


def net_defaults(imputer, n_samples, seed, *, early_stopping=EarlyStopping):
    """skorch arguments from a :class:`~sklimpute.DeepImputer`'s parameters.

    Parameters
    ----------
    imputer : DeepImputer
        The imputer being fitted (reads ``_max_epochs(n_samples)``, ``batch_size``, ``lr``,
        ``validation_fraction``, ``patience``, ``callbacks``, ``verbose`` and
        the resolved ``device_``).
    n_samples : int
        Number of training rows (a validation split needs at least one row
        and must leave two to train on).
    seed : int
        Seed of the validation split.
    early_stopping : callable, default=skorch's EarlyStopping
        The early-stopping callback's class (or a ``functools.partial`` of
        one), called as ``early_stopping(monitor=..., patience=...,
        load_best=True)`` when ``imputer.patience`` is not None; VSAE passes
        :class:`WarmupEarlyStopping`.

    Returns
    -------
    kwargs : dict
        Keyword arguments for an :class:`ImputerNet` subclass.
    """
    fraction = float(imputer.validation_fraction)
    n_valid = int(np.floor(n_samples * fraction))
    use_valid = n_valid >= 1 and n_samples - n_valid >= 2
    monitor = "valid_loss" if use_valid else "train_loss"
    callbacks = []
    if imputer.patience is not None:
        callbacks.append(
            ("early_stopping", early_stopping(monitor=monitor, patience=imputer.patience, load_best=True))
        )
    if imputer.verbose == 1:
        callbacks.append(("epoch_progress", EpochProgressBar()))
    elif imputer.verbose and imputer.verbose >= 2:
        callbacks.append(("batch_progress", ProgressBar()))
    callbacks.extend(imputer.callbacks or [])
    return dict(
        max_epochs=imputer._max_epochs(n_samples),
        batch_size=imputer.batch_size,
        lr=imputer.lr,
        optimizer=torch.optim.Adam,
        device=str(imputer.device_),
        train_split=ValidSplit(fraction, stratified=False, random_state=seed) if use_valid else None,
        callbacks=callbacks,
        iterator_train=BatchLoader,
        iterator_valid=BatchLoader,
        iterator_train__shuffle=True,
        verbose=int(bool(imputer.verbose and imputer.verbose >= 2)),
    )
