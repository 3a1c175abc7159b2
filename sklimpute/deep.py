"""The base of the neural imputers: training through skorch.

:class:`DeepImputer` adds to :class:`~sklimpute.BaseImputer` what the neural
models share: training through a skorch net (:mod:`sklimpute.training`) with
a validation split, early stopping, progress output, callbacks, a per-epoch
``history_``, seeding from ``random_state`` without touching torch's global
generators, a ``device`` and a thread count; batch-by-batch imputation on the
device, multiple imputation and the context of drawing new rows.

A subclass implements ``_build_net(n_features, **net_kwargs)`` (returns an
uninitialised skorch net, a :class:`~sklimpute.training.ImputerNet`) and
``_impute_batch(x, mask)`` (torch tensors on the device), and
``_sample_batch(x, mask)`` when the model can draw multiple imputations;
``_random_transform = True`` when ``_impute_batch`` draws random numbers
(``transform`` then replays the same seeded draws at every call). Its other
hooks: ``_max_epochs`` and ``_early_stopping``. :class:`ReconstructionMixin`
gives the models with a ``reconstruction`` parameter their scaling.
"""

import numbers
import warnings
from contextlib import contextmanager, nullcontext

import numpy as np
import torch
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import EarlyStopping

from .base import BaseImputer
from .training import (
    MaskedDataset,
    accelerate_net,
    default_n_threads,
    draw_seed,
    net_defaults,
    plain_net,
    resolve_device,
    seeded,
    torch_threads,
)

__all__ = ["TRANSFORM_BATCH_SIZE", "DeepImputer", "ReconstructionMixin"]

#: ``transform`` batches of the imputers whose imputation of a row does not
#: depend on the other rows of its batch (``_batch_independent_transform``):
#: at least this many rows, whatever the training ``batch_size``
TRANSFORM_BATCH_SIZE = 256


def _has_sampler(self):
    return type(self)._sample_batch is not DeepImputer._sample_batch


class DeepImputer(BaseImputer):
    """Base class of the neural imputers: training through skorch.

    Parameters
    ----------
    epochs : int
        Maximal number of training epochs.
    batch_size : int
        Mini-batch size for training and for ``transform``.
    lr : float
        Learning rate of the optimizer(s).
    device : str, default="cpu"
        Any torch device string; ``"auto"`` picks CUDA when it is present.
    validation_fraction : float, default=0.1
        Share of the rows held out to monitor the validation loss (early
        stopping and best-epoch restore). 0 trains on all rows and monitors
        the training loss.
    patience : int or None, default=10
        Epochs without improvement of the monitored loss before training
        stops; None disables early stopping.
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (checkpoints, schedulers, your own stopping
        rule...), passed to the net as they are.
    n_threads : int or None, default=None
        Torch CPU threads used during ``fit``, ``transform`` and sampling
        (torch's setting is restored afterwards). None uses
        :func:`default_n_threads`: half the CPU cores, or fewer when
        ``OMP_NUM_THREADS``/``MKL_NUM_THREADS`` say so (as in the workers of
        ``GridSearchCV(n_jobs=k)``); more threads than free cores make
        training many times slower.
    missing_values, shape, keep_empty_features, add_indicator, random_state, verbose
        See :class:`~sklimpute.BaseImputer`. ``verbose=1`` shows a progress bar over the
        epochs with the current losses, ``verbose=2`` skorch's epoch table and
        a per-batch progress bar.
    """

    #: True where a row's imputation does not depend on the rest of its batch
    #: (networks in eval mode, no random draw): ``transform`` then runs
    #: batches of at least ``TRANSFORM_BATCH_SIZE`` rows
    _batch_independent_transform = False

    _parameter_constraints = {
        **BaseImputer._parameter_constraints,
        "epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "device": [str, torch.device],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "patience": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "callbacks": [list, None],
        "n_threads": [Interval(numbers.Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        epochs=100,
        batch_size=64,
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
            missing_values=missing_values,
            shape=shape,
            keep_empty_features=keep_empty_features,
            add_indicator=add_indicator,
            random_state=random_state,
            verbose=verbose,
        )
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.device = device
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.callbacks = callbacks
        self.n_threads = n_threads

    # trains by mini-batches: data larger than memory are read batch by batch
    _fits_from_disk = True

    def __setstate__(self, state):
        # unpickled where the fitted device does not exist (a GPU model on a
        # CPU machine): skorch maps its nets' weights to the CPU; the imputer
        # follows, so that transform runs
        super().__setstate__(state)
        device = self.__dict__.get("device_")
        if device is not None and torch.device(device).type == "cuda" and not torch.cuda.is_available():
            warnings.warn(
                f"{type(self).__name__} was fitted on {device}, and CUDA is not available "
                "here: it is moved to the CPU.", UserWarning, stacklevel=2)
            self.device_ = torch.device("cpu")
            for value in vars(self).values():
                if isinstance(getattr(value, "module_", None), torch.nn.Module):
                    value.device = "cpu"
                    for name in list(value._modules) + list(value._criteria):
                        getattr(value, name + "_").to("cpu")

    def _threads(self):
        return torch_threads(self.n_threads or default_n_threads())

    def _target_device(self):
        """The device ``fit`` trains on: ``device`` resolved, or the accelerator's."""
        accelerator = getattr(self, "_accelerator", None)
        return resolve_device(self.device) if accelerator is None else accelerator.device

    def _fit(self, X, observed):
        if X.shape[0] < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 samples to train, got 1 sample."
            )
        accelerator = getattr(self, "_accelerator", None)
        self.device_ = self._target_device()
        seed = draw_seed(self.random_state)
        self._seed = seed
        with self._threads(), seeded(seed, self.device_):
            net = self._build_net(X.shape[1], **net_defaults(self, X.shape[0], seed,
                                                             early_stopping=self._early_stopping()))
            cls = type(net)
            if accelerator is not None:
                net = accelerate_net(net, accelerator)
            net.fit(MaskedDataset(X, observed, device=self.device_), None)
            if accelerator is not None:
                net = plain_net(net, cls)
        self.net_ = net
        self.history_ = net.history
        self.n_epochs_ = len(net.history)
        return self

    def fit_accelerated(self, X, y=None, *, accelerator=None):
        """Fit through Hugging Face Accelerate: one or several GPUs, processes or machines.

        Launched as usual (``python script.py`` for one process, ``accelerate
        launch --multi_gpu script.py`` for data-parallel training on every
        GPU), the net is trained through skorch's
        :class:`~skorch.hf.AccelerateMixin`: the accelerator places and wraps
        the modules, and each process trains on its share of every epoch's
        batches. The fitted imputer is an ordinary one, on the accelerator's
        device (``device_``), that pickles and saves as usual.

        Parameters
        ----------
        X : array-like, DataFrame, memmap or dask collection of shape (n_samples, n_features)
            Data with holes, as :meth:`fit` takes it.
        y : None
            Ignored.
        accelerator : accelerate.Accelerator or None, default=None
            The accelerator (mixed precision, gradient accumulation, device
            placement are its settings); a default ``Accelerator()`` when None.

        Returns
        -------
        self : object
            The fitted imputer.

        Notes
        -----
        With several processes, keep a validation split
        (``validation_fraction > 0``, the default): every process then
        measures the same validation loss and early stopping stops them all at
        the same epoch. The adversarial models (GAIN, SpatialGAIN, MisGAN) keep
        their own training step: gradients are still averaged across processes,
        but without the accelerator's mixed precision.
        """
        from accelerate import Accelerator

        self._accelerator = Accelerator() if accelerator is None else accelerator
        try:
            return self.fit(X, y)
        finally:
            del self._accelerator

    def _early_stopping(self):
        """The early-stopping callback class ``fit`` uses when ``patience`` is set (a hook).

        skorch's :class:`~skorch.callbacks.EarlyStopping`; a model with a
        warm-up returns :class:`~sklimpute.training.WarmupEarlyStopping`.
        """
        return EarlyStopping

    def _max_epochs(self, n_samples):
        """The epochs to train for on ``n_samples`` rows: ``epochs`` (a hook for "auto")."""
        return self.epochs

    def _build_net(self, n_features, **net_kwargs):
        """Return an uninitialised skorch net (a :class:`~sklimpute.training.ImputerNet`)."""
        raise NotImplementedError(
            f"{type(self).__name__} does not implement _build_net(n_features, "
            "**net_kwargs): DeepImputer is a base class to subclass, not an imputer. "
            "A subclass implements _build_net (returning an uninitialised skorch net, "
            "a sklimpute.training.ImputerNet) and _impute_batch(x, mask), and "
            "_sample_batch(x, mask) for multiple imputation (see sklimpute.base); or "
            "use one of sklimpute's imputers."
        )

    def _impute_batch(self, x, mask):
        """Completed batch (torch, scaled space) from ``x`` (holes 0) and ``mask``."""
        raise NotImplementedError(
            f"{type(self).__name__} does not implement _impute_batch(x, mask): a "
            "DeepImputer subclass implements _build_net(n_features, **net_kwargs) and "
            "_impute_batch(x, mask), the completed batch as a torch tensor in the "
            "scaled space."
        )

    def _sample_batch(self, x, mask):  # pragma: no cover - sample_imputations needs it
        """One random completion of the batch (multiple imputation)."""
        raise NotImplementedError(
            f"{type(self).__name__} does not implement _sample_batch(x, mask), one "
            "random completion of the batch, which multiple imputation needs."
        )

    def _transform_batch_size(self):
        if self._batch_independent_transform:
            return max(int(self.batch_size), TRANSFORM_BATCH_SIZE)
        return self.batch_size

    def _run_batches(self, Xs, observed, fn):
        dev = self.device_
        x = torch.as_tensor(Xs, dtype=torch.float32, device=dev)
        m = torch.as_tensor(observed, dtype=torch.float32, device=dev)
        self.net_._set_training(False)
        with torch.inference_mode():
            out = fn(x, m)
        return out.detach().to("cpu", torch.float64).numpy()

    #: True for models whose ``_impute_batch`` draws random numbers: each call
    #: of ``transform`` then replays the same draws (seeded from the fit's
    #: seed), so that the same input gives the same output
    _random_transform = False

    def _impute(self, X, observed):
        draws = seeded(self._seed, self.device_) if self._random_transform else nullcontext()
        with self._threads(), draws:
            return self._run_batches(X, observed, self._impute_batch)

    @contextmanager
    def _sampling(self, random_state):
        """The context of drawing new rows from the fitted model; yields its torch module.

        Checks that the imputer is fitted, puts the net in evaluation mode
        and, for the block: the imputer's torch threads, torch's generators
        seeded from ``random_state`` (restored afterwards), no gradients.
        """
        check_is_fitted(self)
        seed = draw_seed(random_state)
        self.net_._set_training(False)
        with self._threads(), seeded(seed, self.device_), torch.inference_mode():
            yield self.net_.module_

    @available_if(_has_sampler)
    def sample_imputations(self, X, n_draws=5, *, random_state=None):
        """Draw several completions of X (multiple imputation).

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
            Completions in the input's feature space; the observed entries are
            identical in every draw, only the holes differ.
        """
        check_is_fitted(self)
        X, _ = self._validate_X(X, reset=False, mask=False)
        seed = draw_seed(random_state)
        draws = np.empty((int(n_draws),) + X.shape, dtype=X.dtype)

        def sample(Xs, obs):
            return self._run_batches(Xs, obs, self._sample_batch)

        with self._threads(), seeded(seed, self.device_):
            for k in range(int(n_draws)):
                self._impute_array(X, impute=sample, out=draws[k])
        return draws


class ReconstructionMixin:
    """``reconstruction="auto"`` and the scaling it needs, for VAE-WL and VSAE.

    The numeric features' likelihood: ``"bce"`` (Bernoulli of a sigmoid
    output, values min-max scaled to [0, 1], pooled per channel for images)
    or ``"mse"`` (squared error on standardised features); ``"auto"`` is
    ``"bce"`` for images (``shape`` given) and ``"mse"`` for tables.
    """

    def _reconstruction(self):
        if self.reconstruction == "auto":
            return "bce" if self.shape is not None else "mse"
        return self.reconstruction

    @property
    def _scaling(self):
        return "minmax" if self._reconstruction() == "bce" else "standard"
