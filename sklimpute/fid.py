"""The Fréchet distance between image distributions (FID), and its feature extractor.

For generative models of images, entry-wise errors reward blur; the
*Fréchet distance* between Gaussian fits of image features
(:func:`frechet_distance`, :func:`fid_score`) compares whole distributions
instead, as MisGAN's paper does with the features of a small classifier
(:func:`train_feature_extractor`, a LeNet trained through skorch).
"""

import numpy as np
import torch
from skorch import NeuralNetClassifier
from torch import nn

from .base import check_image_shape
from .training import resolve_device, seeded

__all__ = ["FeatureExtractor", "fid_score", "frechet_distance", "train_feature_extractor"]


def _gaussian_fit(features, name):
    f = np.asarray(features, dtype=np.float64)
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"{name} must be a 2-D array with at least 2 rows, got shape {f.shape}.")
    if not np.isfinite(f).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    return f.mean(0), np.atleast_2d(np.cov(f, rowvar=False))


def _sqrt_psd(c):
    """Symmetric square root of a covariance matrix (eigenvalues clipped at 0)."""
    w, v = np.linalg.eigh((c + c.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(features_a, features_b):
    """Fréchet distance between Gaussian fits of two sets of features.

    ``||mu_a - mu_b||^2 + tr(C_a + C_b - 2 (C_a C_b)^(1/2))``, the squared
    2-Wasserstein distance between the two Gaussians. The trace of the
    matrix square root is computed as ``tr((S_a C_b S_a)^(1/2))`` with ``S_a
    = C_a^(1/2)``, a symmetric positive semi-definite product whose square
    root comes from an eigendecomposition: no complex parts, no failure on
    the singular covariances of few samples in many dimensions.

    Parameters
    ----------
    features_a, features_b : array-like of shape (n_a, k) and (n_b, k)
        Features of two samples (at least 2 rows each).

    Returns
    -------
    distance : float
        Non-negative; 0 for identical sets, up to rounding.

    Examples
    --------
    >>> import numpy as np
    >>> from sklimpute.fid import frechet_distance
    >>> rng = np.random.RandomState(0)
    >>> a = rng.normal(size=(500, 4))
    >>> round(frechet_distance(a, a), 6)
    0.0
    >>> round(frechet_distance(a, a + 1.0), 2)  # the means move by 1 in 4 dimensions
    4.0
    """
    mu_a, c_a = _gaussian_fit(features_a, "features_a")
    mu_b, c_b = _gaussian_fit(features_b, "features_b")
    if mu_a.shape != mu_b.shape:
        raise ValueError(
            f"The two feature sets have {mu_a.size} and {mu_b.size} columns; they must match."
        )
    s_a = _sqrt_psd(c_a)
    cross = _sqrt_psd(s_a @ c_b @ s_a)
    d = float(np.sum((mu_a - mu_b) ** 2) + np.trace(c_a) + np.trace(c_b) - 2 * np.trace(cross))
    return max(d, 0.0)  # rounding can leave a tiny negative for equal sets


def fid_score(X_a, X_b, feature_extractor):
    """Fréchet distance between the features of two sets of images (FID).

    Parameters
    ----------
    X_a, X_b : array-like of shape (n_a, n_features) and (n_b, n_features)
        Two sets of complete rows (flattened images), for example imputed
        and original images.
    feature_extractor : callable
        Maps an array of rows to an array of features, one row each: a
        :class:`FeatureExtractor` from :func:`train_feature_extractor`, or
        any function.

    Returns
    -------
    fid : float

    Examples
    --------
    >>> import numpy as np
    >>> from sklimpute.fid import fid_score
    >>> X = np.random.RandomState(0).rand(100, 16)
    >>> round(fid_score(X, X, lambda rows: rows[:, :4]), 6)
    0.0
    """
    for X, name in ((X_a, "X_a"), (X_b, "X_b")):
        if np.isnan(np.asarray(X, dtype=np.float64)).any():
            raise ValueError(f"{name} contains NaN: FID compares complete (imputed) rows.")
    return frechet_distance(feature_extractor(X_a), feature_extractor(X_b))


class _LeNet(nn.Module):
    """Two conv-ReLU-pool blocks, a 128-unit hidden layer (the features), the logits."""

    def __init__(self, shape, n_classes, n_features=128):
        super().__init__()
        c = shape[0]
        self.body = nn.Sequential(
            nn.Conv2d(c, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4),
            nn.Flatten(), nn.Linear(64 * 16, n_features), nn.ReLU(),
        )
        self.head = nn.Linear(n_features, n_classes)
        self.shape = tuple(shape)

    def features(self, x):
        return self.body(x.reshape(-1, *self.shape))

    def forward(self, x):
        return self.head(self.features(x))


class FeatureExtractor:
    """The penultimate layer of a trained classifier, as a function of rows.

    Returned by :func:`train_feature_extractor`; calling it on an array of
    rows (flattened images, in the units of its training data) returns their
    features, batch by batch, without gradients.

    Attributes
    ----------
    net_ : skorch NeuralNetClassifier
        The trained classifier (``net_.module_.features`` gives the features).
    accuracy_ : float
        Its accuracy on the held-out share of the training images.
    """

    def __init__(self, net, accuracy, batch_size=1024):
        self.net_ = net
        self.accuracy_ = accuracy
        self.batch_size = batch_size

    def __call__(self, X):
        X = np.asarray(X, dtype=np.float32)
        module = self.net_.module_
        module.eval()
        out = []
        with torch.inference_mode():
            for start in range(0, len(X), self.batch_size):
                x = torch.as_tensor(X[start:start + self.batch_size], device=self.net_.device)
                out.append(module.features(x).cpu().numpy())
        return np.concatenate(out).astype(np.float64)


def train_feature_extractor(X, y, shape, *, epochs=10, batch_size=128, lr=1e-3,
                            device="cpu", random_state=0, validation_fraction=0.1):
    """Train a small LeNet-style classifier on complete images, for FID.

    Two 3x3 convolution blocks (32 and 64 channels, ReLU, max- then
    average-pooling to 4x4), a 128-unit hidden layer and a linear output,
    trained with cross-entropy (Adam) through skorch; its hidden layer is the
    feature space of :func:`fid_score`, like the LeNet of MisGAN's paper for
    MNIST.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Complete images, flattened (channels first).
    y : array-like of shape (n_samples,)
        Their labels.
    shape : tuple of int
        ``(H, W)`` or ``(C, H, W)``.
    epochs, batch_size, lr : int, int, float
        Training settings.
    device : str, default="cpu"
    random_state : int, default=0
        Seeds the initialisation, the split and the batches.
    validation_fraction : float, default=0.1
        Share of the images held out to report ``accuracy_``.

    Returns
    -------
    extractor : FeatureExtractor

    Examples
    --------
    >>> from sklimpute.datasets import load_digits
    >>> from sklimpute.fid import train_feature_extractor, fid_score
    >>> X, y = load_digits()
    >>> extractor = train_feature_extractor(X, y, (8, 8), epochs=3)
    >>> extractor(X[:5]).shape
    (5, 128)
    >>> round(fid_score(X[:500], X[:500], extractor), 3)
    0.0
    """
    X = np.asarray(X, dtype=np.float32)
    y = np.asarray(y)
    if np.isnan(X).any():
        raise ValueError("train_feature_extractor needs complete images; X contains NaN.")
    shape = check_image_shape(shape, X.shape[1])
    classes, y_idx = np.unique(y, return_inverse=True)
    rng = np.random.RandomState(random_state)
    order = rng.permutation(len(X))
    n_valid = int(len(X) * validation_fraction)
    valid, train = order[:n_valid], order[n_valid:]
    dev = resolve_device(device)
    seed = int(rng.randint(np.iinfo(np.int32).max))
    with seeded(seed, dev):
        net = NeuralNetClassifier(
            _LeNet, module__shape=shape, module__n_classes=len(classes),
            criterion=torch.nn.CrossEntropyLoss, optimizer=torch.optim.Adam, lr=lr,
            max_epochs=epochs, batch_size=batch_size, train_split=None, device=str(dev),
            iterator_train__shuffle=True, verbose=0,
        )
        net.fit(X[train], y_idx[train].astype(np.int64))
    accuracy = float(np.mean(net.predict(X[valid]) == y_idx[valid])) if n_valid else float("nan")
    return FeatureExtractor(net, accuracy)
