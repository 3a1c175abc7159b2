"""Classical inpainting as an imputer: the anchor of every image comparison.

:class:`InpaintingImputer` fills each image from its own observed pixels with
scikit-image's biharmonic inpainting (or OpenCV's Telea / Navier-Stokes
methods, or the vectorised diffusion fill of :mod:`sklimpute.inpainting`).
It learns nothing across images: ``fit`` only validates the data and keeps
each channel's observed mean, the fill of an image channel that has no
observed pixel at all.
"""

import numbers

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ..base import BaseImputer
from ..inpainting import INPAINTING_METHODS, inpaint_images, require_opencv

__all__ = ["InpaintingImputer"]


class InpaintingImputer(BaseImputer):
    """Classical image inpainting, one image at a time (no training).

    Each image is completed from its own observed pixels: with
    ``method="biharmonic"`` (the default) by scikit-image's
    :func:`~skimage.restoration.inpaint_biharmonic`, which solves the
    biharmonic equation in the holes with the observed pixels as boundary
    values, a smooth fill that continues the image's gradients. It needs no
    training data and takes milliseconds per image, which makes it the
    baseline any learned image imputer must beat; it is hard to beat on
    scattered holes in a single photograph, and weak on large holes, on tiny
    images (8x8 digits: too few neighbours to interpolate from) and on data
    whose structure lies across images rather than inside one.

    Parameters
    ----------
    method : {"biharmonic", "telea", "ns", "diffusion"}, default="biharmonic"
        ``"biharmonic"``: scikit-image. ``"telea"``: OpenCV's fast-marching
        method (Telea 2004). ``"ns"``: OpenCV's Navier-Stokes method
        (Bertalmio, Bertozzi & Sapiro 2001). Both OpenCV methods need
        ``opencv-python-headless`` (optional) and work on float32. ``"diffusion"``:
        a harmonic (Laplace) fill, vectorised over the images in torch
        (:func:`sklimpute.inpainting.diffusion_fill`): the fill the learned
        imputers start from.
    radius : float > 0, default=3
        Neighbourhood radius of the OpenCV methods, in pixels.
    missing_values : float, int or np.nan, default=np.nan
        The placeholder of missing entries.
    shape : None or tuple of int, default=None
        ``(H, W)`` or ``(C, H, W)``: each row is one image, flattened in C
        order (channels first); each channel is inpainted from its own
        observed pixels. ``None``: each row is read as a one-dimensional
        signal (1 x n_features) and its holes are interpolated from the
        neighbouring columns, which only makes sense when the column order
        means something (a time series, a spectrum).
    keep_empty_features : bool, default=False
        Only used without ``shape``: see :class:`~sklimpute.base.BaseImputer`.
        Images keep every pixel: a pixel missing in every training image is
        still inpainted from its neighbours.
    add_indicator : bool, default=False
        Append a :class:`~sklearn.impute.MissingIndicator`.
    random_state : int, RandomState instance or None, default=None
        Unused (the method is deterministic); kept for the common interface
        (``score`` draws its holdout from it).
    verbose : int, default=0
        Unused.

    Attributes
    ----------
    image_shape_ : None or tuple (C, H, W)
        The image shape, or None without ``shape``.
    grid_shape_ : tuple (C, H, W)
        The shape each row is inpainted as: ``image_shape_``, or
        ``(1, 1, n_features)`` without ``shape``.
    fallback_ : ndarray of shape (C,)
        Each channel's observed mean in ``fit``: the fill of an image channel
        without any observed pixel.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    MatrixCompletionImputer : ``per_image=True`` completes each image as a
        low-rank matrix.
    SpatialGAINImputer : A learned image imputer that starts from a classical
        fill and learns the correction.

    References
    ----------
    .. [1] S. B. Damelin and N. S. Hoang, "On Surface Completion and Image
       Inpainting by Biharmonic Functions: Numerical Aspects", International
       Journal of Mathematics and Mathematical Sciences, 2018.
    .. [2] A. Telea, "An Image Inpainting Technique Based on the Fast Marching
       Method", Journal of Graphics Tools 9(1), 2004.
    .. [3] M. Bertalmio, A. L. Bertozzi and G. Sapiro, "Navier-Stokes, Fluid
       Dynamics, and Image and Video Inpainting", CVPR 2001.

    Examples
    --------
    >>> from sklimpute import InpaintingImputer, make_missing
    >>> from sklimpute.datasets import load_mnist
    >>> X, _ = load_mnist()
    >>> X_missing, hidden = make_missing(X[:100], "mcar", rate=0.2, random_state=0)
    >>> imp = InpaintingImputer(shape=(28, 28)).fit(X_missing)
    >>> X_filled = imp.transform(X_missing)
    >>> bool(abs(X_filled - X[:100])[hidden].mean() < 0.06)
    True
    """

    _parameter_constraints = {
        **BaseImputer._parameter_constraints,
        "method": [StrOptions(set(INPAINTING_METHODS))],
        "radius": [Interval(numbers.Real, 0, None, closed="neither")],
    }

    #: inpainting is linear in the pixel values (biharmonic, diffusion) or
    #: works on float32 as given (OpenCV): the raw values are used
    _scaling = None

    def __init__(
        self,
        *,
        method="biharmonic",
        radius=3,
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
        self.method = method
        self.radius = radius

    @property
    def _has_empty_features(self):
        # an image pixel never observed is still inpainted from its neighbours
        return self.shape is None

    def _fit(self, X, observed):
        if self.method in ("telea", "ns"):
            require_opencv()  # a missing OpenCV is reported by fit, not by transform
        self.grid_shape_ = tuple(self.image_shape_ or (1, 1, X.shape[1]))
        c = self.grid_shape_[0]
        values = np.where(observed, X, 0.0).reshape(X.shape[0], c, -1)
        counts = observed.reshape(X.shape[0], c, -1).sum(axis=(0, 2))
        self.fallback_ = values.sum(axis=(0, 2)) / np.maximum(counts, 1)
        return self

    def _impute(self, X, observed):
        c = self.grid_shape_[0]
        out = inpaint_images(X, observed, self.grid_shape_, self.method, self.radius)
        # image channels with nothing observed: the channel's mean in fit
        empty = ~observed.reshape(X.shape[0], c, -1).any(axis=2)
        if empty.any():
            out = out.reshape(X.shape[0], c, -1)
            out[empty] = self.fallback_[np.nonzero(empty)[1]][:, None]
            out = out.reshape(X.shape)
        return out
