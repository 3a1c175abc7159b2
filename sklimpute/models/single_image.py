"""Single-image ("zero-shot") imputation: each image filled from itself alone.

Young's SpatialGAIN paper fills a localised region **A** of one image from
that image alone (its Experiment 2): the crops of **A**'s size that avoid it
become a training set, pruned by their distance to **A**'s observed pixels,
and a SpatialGAIN trained on them (or the nearest crop) fills **A**. Our
default learns less and wins more: the biharmonic fill of the holes plus a
ridge correction learned from the image's own pixels, hidden in the holes'
pattern nearby.

The file reads top to bottom as the methods:

1. the region and its crops (:func:`missing_region`, :func:`crops_outside`)
   and the distance that prunes them (:func:`crop_distances`);
2. the residual correction (:func:`neighbourhood_features`,
   :func:`hidden_windows`, :func:`residual_fill`);
3. the imputer, :class:`SingleImageImputer`, which fills each image in
   ``transform``.
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

__all__ = ["SingleImageImputer", "crop_distances", "crops_outside", "hidden_windows", "missing_region",
           "neighbourhood_features", "residual_fill"]

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



# --------------------------------------------------------------------------- #
# The residual mode: the biharmonic fill plus a correction learned on the
# image's own pixels, hidden in the holes' pattern nearby
# --------------------------------------------------------------------------- #

#: Radius of the neighbourhood whose filled values (and holes) predict the
#: correction of a hole pixel: 2 gives the 24 neighbours of a 5 x 5 patch.
RESIDUAL_RADIUS = 2
#: Pixels of context kept around the holes in every window that is inpainted.
RESIDUAL_MARGIN = 8
#: Ridge penalties tried, per training sample (pixel values scaled to the
#: image's observed range); ``inf`` keeps the biharmonic fill unchanged.
RESIDUAL_PENALTIES = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0, np.inf)


def neighbourhood_features(fill, holes, at, radius=RESIDUAL_RADIUS):
    """Features of pixels of a filled window, for the residual correction.

    For each pixel in ``at`` and each channel: the filled value of every
    neighbour within ``radius`` (a square) minus the pixel's own, then
    whether each neighbour is a hole. The window's edges are repeated
    outwards.

    Parameters
    ----------
    fill : ndarray of shape (C, h, w)
        The window, holes filled (by biharmonic inpainting).
    holes : ndarray of bool, shape (h, w)
        Every pixel that was missing in the input of the fill.
    at : ndarray of bool, shape (h, w)
        The pixels to describe.
    radius : int, default=RESIDUAL_RADIUS

    Returns
    -------
    features : ndarray of shape (C * n_at, 2 * ((2 radius + 1) ** 2 - 1))
        Rows channel by channel, pixels in C order within a channel.
    values : ndarray of shape (C * n_at,)
        The fill at those pixels, in the same order.

    Examples
    --------
    >>> import numpy as np
    >>> fill = np.arange(9.0).reshape(1, 3, 3)
    >>> holes = np.zeros((3, 3), dtype=bool); holes[1, 1] = True
    >>> features, values = neighbourhood_features(fill, holes, holes, radius=1)
    >>> features.shape, values.tolist()
    ((1, 16), [4.0])
    >>> features[0, :8].tolist()  # the 8 neighbours minus the centre
    [-4.0, -3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 4.0]
    """
    c = fill.shape[0]
    ii, jj = np.nonzero(at)
    r = int(radius)
    padded = np.pad(fill, ((0, 0), (r, r), (r, r)), mode="edge")
    hole_pad = np.pad(holes.astype(fill.dtype), r, mode="edge")
    centre = fill[:, ii, jj]  # (C, n)
    shifts = [(di, dj) for di in range(2 * r + 1) for dj in range(2 * r + 1) if (di, dj) != (r, r)]
    diffs = np.stack([padded[:, ii + di, jj + dj] - centre for di, dj in shifts], axis=-1)
    flags = np.stack([hole_pad[ii + di, jj + dj] for di, dj in shifts], axis=-1)  # (n, k)
    features = np.concatenate([diffs, np.broadcast_to(flags, (c,) + flags.shape)], axis=-1)
    return features.reshape(-1, features.shape[-1]), centre.reshape(-1)


def _biharmonic(window, holes):
    """Biharmonic fill of a (C, h, w) window whose ``holes`` (h, w) are missing in every channel."""
    observed = np.broadcast_to(~holes, window.shape).reshape(1, -1)
    return inpaint_images(np.where(observed, window.reshape(1, -1), 0.0), observed,
                          window.shape).reshape(window.shape)


def _window(box, image_hw, margin):
    """``box`` (top, left, height, width) grown by ``margin``, clipped: slices."""
    top, left, h, w = box
    H, W = image_hw
    return (slice(max(top - margin, 0), min(top + h + margin, H)),
            slice(max(left - margin, 0), min(left + w + margin, W)))


def hidden_windows(holes, region, n_windows, margin=RESIDUAL_MARGIN):
    """Where the residual mode hides observed pixels: the holes' pattern, moved nearby.

    The pattern of ``holes`` inside ``region`` is moved by offsets on a grid
    (a step of an eighth of the window's larger side), nearest offsets
    first, and flipped up-down and left-right in turn (so a scratch or a
    block is seen in several orientations); the pixels it covers that are
    observed are the hidden ones. Offsets that hide nothing are skipped.

    Parameters
    ----------
    holes : ndarray of bool, shape (H, W)
        The image's missing pixels.
    region : tuple (top, left, height, width)
        The box holding the holes.
    n_windows : int
        How many offsets to return (fewer when the image has no more).
    margin : int, default=RESIDUAL_MARGIN
        Context around the moved pattern in each window.

    Returns
    -------
    windows : list of (rows, cols, hidden)
        The window's slices and the hidden pixels, a boolean ``(h, w)``
        array of the window, nearest offset first.

    Examples
    --------
    >>> import numpy as np
    >>> holes = np.zeros((64, 64), dtype=bool); holes[40:48, 40:48] = True  # a block
    >>> windows = hidden_windows(holes, (40, 40, 8, 8), n_windows=4, margin=8)
    >>> [(w[0].start, w[1].start, int(w[2].sum())) for w in windows]  # 3-pixel steps
    [(29, 32, 24), (32, 29, 24), (32, 40, 24), (40, 32, 24)]
    """
    H, W = holes.shape
    top, left, h, w = region
    pattern = holes[top:top + h, left:left + w]
    step = max(1, (max(h, w) + 2 * margin) // 8)
    # enough steps for n_windows offsets even in a corner (a quarter of them valid)
    reach = 2 * int(np.ceil(np.sqrt(n_windows))) + 2
    dys, dxs = np.meshgrid(np.arange(-min(H // step, reach), min(H // step, reach) + 1) * step,
                           np.arange(-min(W // step, reach), min(W // step, reach) + 1) * step,
                           indexing="ij")
    dys, dxs = dys.ravel(), dxs.ravel()
    order = np.lexsort((dxs, dys, dys ** 2 + dxs ** 2))
    out = []
    for dy, dx in zip(dys[order], dxs[order]):
        if len(out) == n_windows:
            break
        if dy == 0 and dx == 0:
            continue
        flips = len(out) % 4
        moved = pattern[::-1] if flips & 1 else pattern
        moved = moved[:, ::-1] if flips & 2 else moved
        shifted = np.zeros_like(holes)
        t, l = top + dy, left + dx
        rows = slice(max(t, 0), min(t + h, H))
        cols = slice(max(l, 0), min(l + w, W))
        if rows.start >= rows.stop or cols.start >= cols.stop:
            continue
        shifted[rows, cols] = moved[rows.start - t:rows.stop - t, cols.start - l:cols.stop - l]
        shifted &= ~holes
        if not shifted.any():
            continue
        win = _window(missing_region(shifted), (H, W), margin)
        out.append((win[0], win[1], shifted[win]))
    return out


def residual_fill(image, holes, region, n_windows=60, verbose=False):
    """The holes of one image: biharmonic inpainting plus a learned local correction.

    The correction is a ridge regression from :func:`neighbourhood_features`
    of a hole (its 5 x 5 neighbourhood in the biharmonic fill, and which
    neighbours are holes) to the error of the biharmonic fill there. It is
    trained on the image itself: observed pixels are hidden in the holes'
    own pattern, moved nearby (:func:`hidden_windows`), each window is
    inpainted with its real and hidden holes, and the hidden pixels' true
    values are the targets. The penalty is chosen among
    ``RESIDUAL_PENALTIES`` by the error on the nearest quarter of the
    windows (the other three quarters train); an infinite penalty, chosen
    when no correction helps there, keeps the biharmonic fill.

    Parameters
    ----------
    image : ndarray of shape (C, H, W)
        One image, NaN where missing.
    holes : ndarray of bool, shape (H, W)
        The pixels to fill (missing in any channel).
    region : tuple (top, left, height, width)
        The box holding the holes.
    n_windows : int, default=60
        Windows of hidden pixels to learn from.
    verbose : bool, default=False
        Print the windows, the samples and the penalty chosen.

    Returns
    -------
    filled : ndarray of shape (C, H, W)
        ``image`` with the holes filled (only the windows around them are
        inpainted).
    """
    c, H, W = image.shape
    seen = image[~np.isnan(image)]
    low, high = (seen.min(), seen.max()) if seen.size else (0.0, 1.0)
    scale = high - low if high > low else 1.0
    x = (image - low) / scale  # the observed range is [0, 1], as the penalties assume
    rows, cols = _window(region, (H, W), RESIDUAL_MARGIN)
    test_holes = holes[rows, cols]
    test_fill = _biharmonic(x[:, rows, cols], test_holes)
    test_features, test_values = neighbourhood_features(test_fill, test_holes, test_holes)
    features, targets, groups = [], [], []
    windows = hidden_windows(holes, region, n_windows)
    for k, (r, q, hidden) in enumerate(windows):
        window = x[:, r, q]
        all_holes = hidden | holes[r, q]
        f, v = neighbourhood_features(_biharmonic(window, all_holes), all_holes, hidden)
        features.append(f)
        targets.append(window[:, hidden].reshape(-1) - v)
        groups.append(np.full(len(v), k < max(1, len(windows) // 4)))
    correction = np.zeros(len(test_values))
    penalty = np.inf
    n_features = test_features.shape[1]
    if windows and sum(map(len, targets)) >= 4 * n_features:
        X, y, valid = np.concatenate(features), np.concatenate(targets), np.concatenate(groups)
        if valid.all() or not valid.any():
            valid = np.arange(len(y)) % 4 == 0
        # the normal equations of the training part, once for every penalty
        train_gram, train_xy = X[~valid].T @ X[~valid], X[~valid].T @ y[~valid]
        eye, n_train = np.eye(n_features), int((~valid).sum())
        errors = [np.sum(y[valid] ** 2) if np.isinf(lam) else
                  np.sum((y[valid] - X[valid] @ np.linalg.solve(train_gram + lam * n_train * eye,
                                                                train_xy)) ** 2)
                  for lam in RESIDUAL_PENALTIES]
        penalty = RESIDUAL_PENALTIES[int(np.argmin(errors))]
        if np.isfinite(penalty):
            weights = np.linalg.solve(X.T @ X + penalty * len(y) * eye, X.T @ y)
            correction = test_features @ weights
    if verbose:
        n = sum(map(len, targets))
        print(f"[SingleImageImputer] residual: {len(windows)} windows, {n} hidden values, "
              f"penalty {penalty:g}", flush=True)
    values = np.clip(test_values + correction, 0.0, 1.0).reshape(c, -1)
    out = image.copy()
    window = out[:, rows, cols]
    window[:, test_holes] = values * scale + low
    out[:, rows, cols] = window
    return out


class SingleImageImputer(BaseImputer):
    """Impute the holes of each image from that image alone (zero-shot).

    Each image is handled on its own, with no other training data. Its
    missing pixels make up a region **A** (their bounding box, or
    ``region``).

    The default, ``estimator="residual"``, starts from scikit-image's
    biharmonic inpainting and learns its correction from the image itself:
    observed pixels near **A** are hidden in the pattern of the real holes
    (moved, and flipped), each such window is inpainted, and a ridge
    regression learns the error of the fill at a hidden pixel from its
    5 x 5 neighbourhood in the fill and which neighbours are holes
    (:func:`residual_fill`). Its penalty is chosen on the windows nearest
    to **A**; when no correction helps there, the biharmonic fill is kept.
    It takes about a second or less for a 64 x 64 region of a 256 x 256
    photograph, and works for holes of any shape (scattered, thin, a block).

    The other estimators are SpatialGAIN's Experiment 2: the crops of
    **A**'s size that do not overlap **A** become a training set; crops
    whose mean pixel distance to the observed pixels of **A** exceeds
    :math:`\\bar d - \\beta \\sigma` are pruned (:math:`\\bar d, \\sigma`:
    mean and standard deviation of the distances over all crops); the crops
    get random MCAR holes (``crop_missing_rate``) and train ``estimator``,
    which then imputes **A**. With ``estimator="nearest"`` the holes of
    **A** are copied from the nearest crop instead (the paper's
    nearest-neighbour baseline).

    ``fit`` only checks the parameters and the image shape: all the work is
    in ``transform``, which fills each image on its own (a transductive
    method, like :class:`MatrixCompletionImputer` with ``per_image=True``).
    An image is imputed the same way whatever batch it comes in.

    Parameters
    ----------
    estimator : "residual", "spatialgain", "nearest" or imputer, default="residual"
        What fills **A**. ``"residual"``: the biharmonic fill plus the
        learned correction above (needs no crops). ``"spatialgain"``: the
        paper's ``SpatialGAINImputer(architecture="updown",
        prefill="noise", hide_rate=0.2, epochs=15, batch_size=64)`` trained
        on the crops (the paper's Down/Upsample players and noise, its at
        most 15 epochs and batches of 64, our hiding). ``"nearest"``: the
        nearest crop. An imputer is cloned for each image, trained on the
        crops and gets ``shape`` (the crops' shape) and ``random_state``
        (drawn from ``random_state``) when it has those parameters; its
        other parameters are kept, so ``estimator__alpha`` can be tuned.
    n_windows : int, default=60
        ``"residual"`` only: windows of hidden pixels the correction learns
        from (the nearest offsets of the holes' pattern). Windows far from
        **A** show other content: 200 did worse than 60 on photographs.
    region : None or tuple (top, left, height, width), default=None
        The region **A**. None: the bounding box of each image's missing
        pixels. When given, an image may have no missing pixels outside it.
    crop_stride : int or None, default=None
        Crop estimators only: step between the corners of the crops. None:
        an eighth of the region's larger side (at least 1), which keeps the
        number of crops near ``64 H W / max(h, w)**2`` for an ``h x w``
        region (a thin strip of holes would otherwise give one crop per
        pixel).
    beta : float, default=0.0
        Crop estimators only: crops whose distance to **A** exceeds
        ``mean - beta * std`` are dropped (the paper's :math:`\\beta`, value
        not given there; 0 keeps the nearer crops, about half). At least the
        two nearest crops are always kept.
    crop_missing_rate : float in [0, 1), default=0.2
        Crop estimators only: share of each training crop's pixels hidden at
        random (the paper: 20%), in all channels at once.
    missing_values : float, int or np.nan, default=np.nan
        The placeholder of missing entries.
    shape : tuple (H, W) or (C, H, W)
        The image shape (required).
    random_state : int, RandomState instance or None, default=None
        Seeds the crops' holes and the estimator (``"residual"`` draws
        nothing: it is deterministic).
    verbose : int, default=0
        Print, per image, the region, the windows or crops used and the time.

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
    InpaintingImputer : Biharmonic inpainting alone, the fill the residual
        mode corrects.
    SpatialGAINImputer : The paper's estimator (``"spatialgain"``).
    MatrixCompletionImputer : With ``per_image=True``, the paper's other
        single-image baseline.

    Notes
    -----
    The crop estimators need a *localised* region: when the missing pixels of an
    image span more than half of it in both directions, no crop of their
    bounding box's size avoids them and ``transform`` raises a
    ``ValueError``. With ``region=None`` every missing pixel is inside
    **A**; pixels of **A** that are observed are used, as in the paper.
    When **A** has no observed pixel, nothing can be pruned (all crops are
    kept) and ``"nearest"`` has no neighbour to pick (``ValueError``).
    ``"residual"`` has no such limit: when the holes leave too few observed
    pixels to learn from, it keeps the biharmonic fill.

    On the benchmark's photographs (``benchmarks/single_image.py``: six
    photographs, colour and grayscale, four kinds of holes in a 64 x 64
    corner, three seeds) ``"residual"`` beats biharmonic inpainting, OpenCV's
    inpainting, per-image matrix completion and the nearest crop on average
    (the zero-shot SpatialGAIN, minutes per photograph, was not run there);
    see the SpatialGAIN page.

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
    >>> out = SingleImageImputer(shape=(28, 28)).fit_transform(image)  # the residual mode
    >>> bool(np.isnan(out).any())
    False
    >>> nearest = SingleImageImputer("nearest", shape=(28, 28), crop_stride=2).fit_transform(image)
    >>> bool((nearest[~np.isnan(image)] == image[~np.isnan(image)]).all())
    True
    """

    _parameter_constraints = {
        "estimator": [StrOptions({"residual", "spatialgain", "nearest"}),
                      HasMethods(["fit", "transform"])],
        "n_windows": [Interval(numbers.Integral, 1, None, closed="left")],
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
        estimator="residual",
        *,
        n_windows=60,
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
        self.n_windows = n_windows
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
        if self.estimator == "residual":
            result = residual_fill(image, missing, region, self.n_windows, self.verbose)
            if self.verbose:
                print(f"[SingleImageImputer] region {region[2]}x{region[3]} at {region[:2]}: "
                      f"{time.perf_counter() - t0:.1f} s", flush=True)
            return np.where(np.isnan(image), result, image)
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
                    if self.estimator == "spatialgain" else self.estimator)
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
