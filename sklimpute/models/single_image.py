"""Single-image ("zero-shot") imputation: SpatialGAIN's Experiment 2.

Young's SpatialGAIN paper also fills a localised region **A** of one image
from that image alone: the crops of **A**'s size that avoid it become a
training set, pruned by their distance to **A**'s observed pixels, and a
SpatialGAIN trained on them (or the nearest crop) fills **A**.

The file reads top to bottom as the method:

1. the region and its crops (:func:`missing_region`, :func:`crops_outside`)
   and the distance that prunes them (:func:`crop_distances`);
2. the imputer, :class:`SingleImageImputer`, which trains one model per
   image in ``transform``.
"""

import numbers
import time

import numpy as np
from sklearn.base import clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from ..base import BaseImputer
from ..inpainting import inpaint_images
from ..simulate import make_missing
from ..training import draw_seed
from .spatialgain import SpatialGAINImputer

__all__ = ["SingleImageImputer", "crop_distances", "crops_outside", "missing_region"]

def missing_region(missing):
    """Bounding box ``(top, left, height, width)`` of the True pixels of an (H, W) mask.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((6, 6), dtype=bool)
    >>> m[4, 3] = m[5, 5] = True
    >>> missing_region(m)
    (4, 3, 2, 3)
    """
    rows, cols = np.flatnonzero(missing.any(axis=1)), np.flatnonzero(missing.any(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(cols[0]), int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


#: A region thinner than this many pixels (a dead pixel, a 1-pixel scratch)
#: is grown to it, within a third of the image, so that the network sees
#: context around the hole and its pooling has something to halve.
MIN_REGION_SIDE = 4


def _grown_region(region, image_hw):
    """``region`` grown (centred, inside the image) to ``MIN_REGION_SIDE`` per side.

    Examples
    --------
    >>> _grown_region((5, 0, 1, 28), (28, 28))
    (4, 0, 4, 28)
    >>> _grown_region((0, 7, 1, 1), (8, 8))
    (0, 6, 2, 2)
    """
    out = []
    for start, size, full in zip(region[:2], region[2:], image_hw):
        new = min(max(size, MIN_REGION_SIDE), max(full // 3, size))
        begin = int(np.clip(start - (new - size) // 2, 0, full - new))
        out.append((begin, new))
    (top, h), (left, w) = out
    return top, left, h, w


def crops_outside(image, region, stride):
    """The crops of ``region``'s size that do not overlap it, on a grid of ``stride``.

    Parameters
    ----------
    image : ndarray of shape (C, H, W)
        One image (NaN where missing).
    region : tuple (top, left, height, width)
        The region A; every crop is ``height x width`` and shares no pixel
        with it.
    stride : int
        Step between crop corners; the last row and column of corners are
        always included, so the image's edges are covered.

    Returns
    -------
    crops : ndarray of shape (n_crops, C, height, width)
    corners : ndarray of shape (n_crops, 2)
        ``(top, left)`` of each crop.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.arange(36.0).reshape(1, 6, 6)
    >>> crops, corners = crops_outside(image, (4, 4, 2, 2), stride=2)
    >>> crops.shape, corners.tolist()[:3]
    ((8, 1, 2, 2), [[0, 0], [0, 2], [0, 4]])
    """
    _, H, W = image.shape
    top, left, h, w = region
    tops = np.unique(np.r_[np.arange(0, H - h + 1, stride), H - h])
    lefts = np.unique(np.r_[np.arange(0, W - w + 1, stride), W - w])
    tt, ll = np.meshgrid(tops, lefts, indexing="ij")
    tt, ll = tt.ravel(), ll.ravel()
    overlaps = (tt < top + h) & (tt + h > top) & (ll < left + w) & (ll + w > left)
    tt, ll = tt[~overlaps], ll[~overlaps]
    windows = np.lib.stride_tricks.sliding_window_view(image, (h, w), axis=(1, 2))
    crops = windows[:, tt, ll].transpose(1, 0, 2, 3)  # (n, C, h, w)
    return np.ascontiguousarray(crops), np.stack([tt, ll], axis=1)


def crop_distances(target, crops):
    """Mean pixel-wise Euclidean distance between ``target`` and each crop.

    The distance of a pixel is the Euclidean norm over channels; the mean
    runs over the pixels observed (in every channel) in both the target and
    the crop. SpatialGAIN prunes its training crops with it.

    Parameters
    ----------
    target : ndarray of shape (C, h, w)
        The region A, NaN where missing.
    crops : ndarray of shape (n_crops, C, h, w)

    Returns
    -------
    distances : ndarray of shape (n_crops,)
        NaN for a crop that shares no observed pixel with the target.
    """
    diff = np.sqrt(np.sum((crops - target[None]) ** 2, axis=1))  # (n, h, w), NaN where missing
    seen = ~np.isnan(diff)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(seen, diff, 0.0).sum(axis=(1, 2)) / seen.sum(axis=(1, 2))


class SingleImageImputer(BaseImputer):
    """Impute a localised region of each image from that image alone (zero-shot).

    SpatialGAIN's Experiment 2. Each image is handled on its own, with no
    other training data: its missing pixels make up a region **A** (their
    bounding box, or ``region``); the crops of **A**'s size that do not
    overlap **A** become a training set; crops whose mean pixel distance to
    the observed pixels of **A** exceeds :math:`\\bar d - \\beta \\sigma` are
    pruned (:math:`\\bar d, \\sigma`: mean and standard deviation of the
    distances over all crops); the crops get random MCAR holes
    (``crop_missing_rate``) and train ``estimator``, which then imputes **A**.

    With ``estimator="nearest"`` the holes of **A** are copied from the
    nearest crop instead (the paper's nearest-neighbour baseline).

    ``fit`` only checks the parameters and the image shape: all the work is
    in ``transform``, which trains one model per image (a transductive
    method, like :class:`MatrixCompletionImputer` with ``per_image=True``).
    An image is imputed the same way whatever batch it comes in.

    Parameters
    ----------
    estimator : None, "nearest" or imputer, default=None
        What fills **A** from the crops. None: ``SpatialGAINImputer(
        architecture="updown", prefill="noise", hide_rate=0.2, epochs=15,
        batch_size=64)`` (the paper's Down/Upsample players and noise, its at
        most 15 epochs and batches of 64, our hiding). An imputer is cloned for each image
        and gets ``shape`` (the crops' shape) and ``random_state`` (drawn
        from ``random_state``) when it has those parameters; its other
        parameters are kept, so ``estimator__alpha`` can be tuned.
    region : None or tuple (top, left, height, width), default=None
        The region **A**. None: the bounding box of each image's missing
        pixels. When given, an image may have no missing pixels outside it.
    crop_stride : int or None, default=None
        Step between the corners of the crops. None: an eighth of the
        region's larger side (at least 1), which keeps the number of crops
        near ``64 H W / max(h, w)**2`` for an ``h x w`` region (a thin strip
        of holes would otherwise give one crop per pixel).
    beta : float, default=0.0
        Pruning: crops whose distance to **A** exceeds ``mean - beta * std``
        are dropped (the paper's :math:`\\beta`, value not given there; 0
        keeps the nearer crops, about half). At least the two nearest crops
        are always kept.
    crop_missing_rate : float in [0, 1), default=0.2
        Share of each training crop's pixels hidden at random (the paper:
        20%), in all channels at once.
    missing_values : float, int or np.nan, default=np.nan
        The placeholder of missing entries.
    shape : tuple (H, W) or (C, H, W)
        The image shape (required).
    random_state : int, RandomState instance or None, default=None
        Seeds the crops' holes and the estimator.
    verbose : int, default=0
        Print, per image, the region, the number of crops kept and the time.

    Attributes
    ----------
    image_shape_ : tuple (C, H, W)
        The image shape.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    SpatialGAINImputer : The default estimator.
    MatrixCompletionImputer : With ``per_image=True``, the paper's other
        single-image baseline.

    Notes
    -----
    The method needs a *localised* region: when the missing pixels of an
    image span more than half of it in both directions, no crop of their
    bounding box's size avoids them and ``transform`` raises a
    ``ValueError``. With ``region=None`` every missing pixel is inside
    **A**; pixels of **A** that are observed are used, as in the paper.
    When **A** has no observed pixel, nothing can be pruned (all crops are
    kept) and ``"nearest"`` has no neighbour to pick (``ValueError``).

    References
    ----------
    .. [1] J. Young, "SpatialGAIN: Spatial Generative Adversarial Imputation
       Networks and its Application to Zero-Shot Pixel Imputation",
       section 3 (zero-shot SpatialGAIN).

    Examples
    --------
    >>> import numpy as np
    >>> from sklimpute import SingleImageImputer, make_missing
    >>> from sklimpute.datasets import load_mnist
    >>> X, _ = load_mnist()
    >>> image = X[:1].copy()
    >>> region = image.reshape(28, 28)[18:26, 18:26]
    >>> region[np.random.RandomState(0).rand(8, 8) < 0.3] = np.nan
    >>> imp = SingleImageImputer("nearest", shape=(28, 28), crop_stride=2).fit(image)
    >>> out = imp.transform(image)
    >>> bool(np.isnan(out).any())
    False
    """

    _parameter_constraints = {
        "estimator": [None, StrOptions({"nearest"}), HasMethods(["fit", "transform"])],
        "region": [tuple, list, None],
        "crop_stride": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "beta": [Interval(numbers.Real, None, None, closed="neither")],
        "crop_missing_rate": [Interval(numbers.Real, 0, 1, closed="left")],
        **{k: v for k, v in BaseImputer._parameter_constraints.items()
           if k not in ("keep_empty_features", "add_indicator")},
    }

    # the raw pixel values; every pixel is filled from its own image
    _scaling = None
    _has_empty_features = False

    def __init__(
        self,
        estimator=None,
        *,
        region=None,
        crop_stride=None,
        beta=0.0,
        crop_missing_rate=0.2,
        missing_values=np.nan,
        shape=None,
        random_state=None,
        verbose=0,
    ):
        super().__init__(missing_values=missing_values, shape=shape, random_state=random_state,
                         verbose=verbose)
        self.estimator = estimator
        self.region = region
        self.crop_stride = crop_stride
        self.beta = beta
        self.crop_missing_rate = crop_missing_rate

    # keep_empty_features / add_indicator do not apply: every pixel is filled
    # from its own image, and there is no feature-wise missingness to report
    keep_empty_features = True
    add_indicator = False

    def _fit(self, X, observed):
        if self.image_shape_ is None:
            raise ValueError(
                "SingleImageImputer imputes a region of each image from crops of the same "
                "image and needs the image shape: pass shape=(H, W) or (C, H, W)."
            )
        _, H, W = self.image_shape_
        if self.region is not None:
            region = tuple(self.region)
            ok = len(region) == 4 and all(isinstance(v, numbers.Integral) for v in region)
            if ok:
                top, left, h, w = region
                ok = top >= 0 and left >= 0 and h >= 1 and w >= 1 and top + h <= H and left + w <= W
            if not ok:
                raise ValueError(
                    f"region={self.region!r} must be (top, left, height, width), integers, "
                    f"inside the {H} x {W} image."
                )
        self._seed = draw_seed(self.random_state)
        return self

    def _transform_batch_size(self):
        return 16

    def _impute(self, X, observed):
        c, H, W = self.image_shape_
        out = np.where(observed, X, np.nan)
        for i in range(X.shape[0]):
            image = out[i].reshape(c, H, W)
            missing = ~observed[i].reshape(c, H, W).all(axis=0)
            if missing.any():
                out[i] = self._impute_image(image, missing).ravel()
        return out

    def _region(self, missing):
        if self.region is None:
            return missing_region(missing)
        top, left, h, w = (int(v) for v in self.region)
        outside = missing.copy()
        outside[top:top + h, left:left + w] = False
        if outside.any():
            raise ValueError(
                f"An image has {int(outside.sum())} missing pixels outside region="
                f"{tuple(self.region)}; SingleImageImputer fills the region only. Use "
                "region=None (the bounding box of each image's missing pixels) or fill the "
                "other pixels first."
            )
        return top, left, h, w

    def _impute_image(self, image, missing):
        t0 = time.perf_counter()
        region = self._region(missing)
        top, left, h, w = _grown_region(region, missing.shape)
        stride = self.crop_stride or max(1, max(h, w) // 8)
        crops, _ = crops_outside(image, (top, left, h, w), stride)
        c, H, W = image.shape
        if len(crops) == 0 and min(region[2:]) < MIN_REGION_SIDE:
            # a thin hole (a dead pixel, a scratch) in an image too small for
            # crops around it: the classical fill, from its own neighbours
            if self.verbose:
                print(f"[SingleImageImputer] no crop avoids the thin region {region[2]}x{region[3]} "
                      f"in the {H} x {W} image: filled by biharmonic inpainting", flush=True)
            return inpaint_images(image.reshape(1, -1), ~np.isnan(image).reshape(1, -1),
                                  image.shape).reshape(image.shape)
        if len(crops) == 0:
            raise ValueError(
                f"The missing region of an image is {h} x {w} (rows {top}-{top + h - 1}, "
                f"columns {left}-{left + w - 1}) and no crop of that size avoids it in the "
                f"{H} x {W} image: SingleImageImputer needs a localised region (less than half "
                "the image in height or width). For holes spread over the image use a "
                "trained imputer (SpatialGAINImputer) or MatrixCompletionImputer(per_image=True)."
            )
        target = image[:, top:top + h, left:left + w]
        d = crop_distances(target, crops)
        known = ~np.isnan(d)
        if not known.any():
            if self.estimator == "nearest":
                raise ValueError(
                    "The missing region of an image has no observed pixel: estimator='nearest' "
                    "has nothing to compare the crops with."
                )
            keep = np.ones(len(crops), dtype=bool)
        else:
            d = np.where(known, d, np.inf)
            finite = d[known]
            keep = d <= finite.mean() - self.beta * finite.std()
            keep[np.argsort(d, kind="stable")[:2]] = True
            keep &= known | (known.sum() < 2)
        filled = self._fill(target, crops[keep], d[keep])
        result = image.copy()
        region = result[:, top:top + h, left:left + w]
        result[:, top:top + h, left:left + w] = np.where(np.isnan(region), filled, region)
        if self.verbose:
            print(f"[SingleImageImputer] region {h}x{w} at ({top}, {left}): {int(keep.sum())} of "
                  f"{len(crops)} crops kept, {time.perf_counter() - t0:.1f} s", flush=True)
        return result

    def _fill(self, target, crops, distances):
        """A's values from the kept crops: the nearest crop, or the trained estimator."""
        shape = target.shape
        if self.estimator == "nearest":
            return crops[int(np.argmin(distances))]
        est = clone(SpatialGAINImputer(architecture="updown", prefill="noise", hide_rate=0.2,
                                       epochs=15, batch_size=64)
                    if self.estimator is None else self.estimator)
        names = est.get_params(deep=False)
        est.set_params(**{k: v for k, v in (("shape", shape), ("random_state", self._seed))
                          if k in names})
        train = crops.reshape(len(crops), -1)
        if self.crop_missing_rate > 0:
            train, _ = make_missing(train, "mcar", rate=self.crop_missing_rate, shape=shape,
                                    random_state=self._seed)
        est.fit(train)
        return np.asarray(est.transform(target.reshape(1, -1)), dtype=float).reshape(shape)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False
        return tags
