"""Classical inpainting: the fills an imaging user reaches for first.

Two kinds of fill live here, one idea: complete an image from its own
observed pixels, with no training.

* :func:`inpaint_images` fills a stack of images one by one with scikit-image's
  biharmonic inpainting (``inpaint_biharmonic``) or OpenCV's Telea and
  Navier-Stokes methods (``cv2.inpaint``, when OpenCV is installed). This is
  what :class:`~sklimpute.InpaintingImputer` does, and the anchor every
  learned image imputer is compared with.
* :func:`diffusion_fill` is a vectorised harmonic (Laplace) fill in torch: a
  mask-weighted image pyramid gives every hole a coarse value, then a few
  Jacobi sweeps of the discrete Laplace equation smooth it, for a whole batch
  at once on the batch's device. It is what the learned image imputers start
  from (``prefill="diffusion"``): cheap enough to recompute on every training
  batch, whose hidden pixels change at every step, where a sparse biharmonic
  solve per image would cost more than the network's step.
"""

import numpy as np
import torch
import torch.nn.functional as F
from skimage.restoration import inpaint_biharmonic

__all__ = ["INPAINTING_METHODS", "diffusion_fill", "fill_from_neighbours", "inpaint_images", "require_opencv"]

#: methods of :func:`inpaint_images` (``"diffusion"`` is :func:`diffusion_fill`)
INPAINTING_METHODS = ("biharmonic", "telea", "ns", "diffusion")


def _masked_pyramid(x, seen):
    """Levels ``(values, weights)`` from full resolution down to 1 x 1 (or 1 x W)."""
    levels = [(x, seen)]
    while max(levels[-1][0].shape[-2:]) > 1:
        v, w = levels[-1]
        pooled_w = F.avg_pool2d(w, 2, ceil_mode=True)
        pooled_v = F.avg_pool2d(v * w, 2, ceil_mode=True) / pooled_w.clamp_min(1e-12)
        levels.append((pooled_v, (pooled_w > 0).to(w.dtype)))
    return levels


def diffusion_fill(x, seen, shape, n_iter=8):
    """Fill the unseen entries of a batch of images by a harmonic (diffusion) fill.

    Each hole first takes the value of a mask-weighted image pyramid (the
    observed pixels averaged over ever larger blocks, bilinearly upsampled),
    then ``n_iter`` Jacobi sweeps replace every hole by the mean of its four
    neighbours (edges replicated), which converges to the solution of the
    Laplace equation with the observed pixels as boundary values. Each channel
    is filled from its own observed pixels. An image channel with no observed
    pixel is filled with 0.

    Parameters
    ----------
    x : Tensor of shape (n, C * H * W)
        Rows of images flattened in C order; the content of the holes is
        ignored.
    seen : Tensor of shape (n, C * H * W)
        1 where an entry is observed (may be used), 0 where it is to be filled.
    shape : tuple (C, H, W)
        The image shape.
    n_iter : int, default=8
        Jacobi sweeps after the pyramid.

    Returns
    -------
    filled : Tensor of shape (n, C * H * W)
        ``x`` where ``seen`` is 1, the fill elsewhere (same dtype and device).

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[0.0, 1.0, 2.0, 3.0, 4.0]])
    >>> seen = torch.tensor([[1.0, 1.0, 0.0, 1.0, 1.0]])
    >>> diffusion_fill(x, seen, (1, 1, 5), n_iter=50)
    tensor([[0., 1., 2., 3., 4.]])
    """
    n = x.shape[0]
    c, h, w = (int(s) for s in shape)
    ms = (seen > 0).to(x.dtype).reshape(n, c, h, w)
    xs = torch.where(ms > 0, x.reshape(n, c, h, w), torch.zeros((), dtype=x.dtype, device=x.device))
    levels = _masked_pyramid(xs, ms)
    fill = levels[-1][0] * levels[-1][1]
    for values, weights in reversed(levels[:-1]):
        up = F.interpolate(fill, size=values.shape[-2:], mode="bilinear", align_corners=False)
        fill = torch.where(weights > 0, values, up)
    for _ in range(int(n_iter)):
        p = F.pad(fill, (1, 1, 1, 1), mode="replicate")
        neighbours = 0.25 * (p[..., :-2, 1:-1] + p[..., 2:, 1:-1] + p[..., 1:-1, :-2] + p[..., 1:-1, 2:])
        fill = torch.where(ms > 0, xs, neighbours)
    return fill.reshape(n, -1)


def require_opencv():
    """The ``cv2`` module, or an ImportError that says how to install it."""
    try:
        import cv2  # heavy optional dependency, imported only when asked for
    except ImportError as exc:
        raise ImportError(
            "method='telea' and method='ns' use OpenCV, which is not installed: "
            "pip install opencv-python-headless, or use method='biharmonic'."
        ) from exc
    return cv2


def _inpaint_channel(image, missing, method, radius):
    """One (H, W) float channel with its holes filled (observed pixels kept)."""
    if method == "biharmonic":
        return inpaint_biharmonic(image, missing)
    cv2 = require_opencv()
    flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
    # cv2.inpaint takes one-channel float32 images as they are (no 8-bit
    # rounding), but Telea's method assumes the 0-255 range: the observed
    # values are mapped onto it and back (on [0, 1] digits it otherwise
    # returns values from -1.4 to 1.8)
    seen = image[~missing]
    low, high = float(seen.min()), float(seen.max())
    scale = 255.0 / (high - low) if high > low else 1.0
    scaled = ((image - low) * scale).astype(np.float32)
    out = cv2.inpaint(scaled, missing.astype(np.uint8), float(radius), flag)
    return (out.astype(np.float64) / scale + low).astype(image.dtype)


def inpaint_images(X, observed, shape, method="biharmonic", radius=3):
    """Fill the holes of each image from its own observed pixels.

    Parameters
    ----------
    X : ndarray of shape (n_images, C * H * W)
        Images flattened in C order; the content of the holes is ignored.
    observed : ndarray of bool, same shape as X
        True where a pixel is observed.
    shape : tuple (C, H, W)
        The image shape.
    method : {"biharmonic", "telea", "ns", "diffusion"}, default="biharmonic"
        ``"biharmonic"``: scikit-image's ``inpaint_biharmonic`` (smooth fills
        that continue gradients into the hole). ``"telea"``, ``"ns"``:
        OpenCV's fast marching (Telea 2004) and Navier-Stokes (Bertalmio et
        al. 2001) inpainting; need OpenCV. ``"diffusion"``:
        :func:`diffusion_fill` (harmonic, vectorised over the images).
    radius : float, default=3
        Neighbourhood radius of the OpenCV methods, in pixels.

    Returns
    -------
    filled : ndarray, same shape and dtype as X
        Observed pixels unchanged, holes filled. A channel with no observed
        pixel is filled with 0.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 1.0, 2.0, 3.0, 4.0]])
    >>> obs = np.array([[True, True, False, True, True]])
    >>> inpaint_images(X, obs, (1, 1, 5)).round(6)
    array([[0., 1., 2., 3., 4.]])
    """
    X = np.asarray(X)
    observed = np.asarray(observed, dtype=bool)
    c, h, w = (int(s) for s in shape)
    if method == "diffusion":
        with torch.inference_mode():
            out = diffusion_fill(torch.as_tensor(X, dtype=torch.float64),
                                 torch.as_tensor(observed, dtype=torch.float64), (c, h, w), n_iter=50)
        return np.where(observed, X, out.numpy().astype(X.dtype))
    images = np.ascontiguousarray(np.where(observed, X, 0.0), dtype=X.dtype).reshape(-1, c, h, w)
    missing = ~observed.reshape(-1, c, h, w)
    for i, j in zip(*np.nonzero(missing.any(axis=(2, 3)))):
        if missing[i, j].all():
            continue  # nothing to inpaint from: stays 0
        images[i, j] = _inpaint_channel(images[i, j], np.ascontiguousarray(missing[i, j]), method, radius)
    return np.where(observed, X, images.reshape(X.shape))


def fill_from_neighbours(images, todo):
    """Fill the ``todo`` pixels of ``images`` with the mean of their known 4 neighbours, in place.

    A block of such pixels fills inwards from its border, one ring per step;
    a pixel with no known pixel around it at all (a channel entirely to do)
    gets 0. What :class:`~sklimpute.BaseImputer` gives an image's pixels that
    were never observed in ``fit``.

    Parameters
    ----------
    images : ndarray of shape (n, C, H, W)
        Images; the pixels outside ``todo`` are known.
    todo : ndarray of bool of the same shape
        The pixels to fill.

    Examples
    --------
    >>> import numpy as np
    >>> v = np.array([[[[1.0, 0.0, 3.0]]]])
    >>> fill_from_neighbours(v, np.array([[[[False, True, False]]]]))
    >>> v.tolist()
    [[[[1.0, 2.0, 3.0]]]]
    """
    v = images
    todo = todo.copy()
    known = ~todo
    while todo.any():
        vk = np.where(known, v, 0.0)
        kf = known.astype(np.float64)
        total, count = np.zeros_like(v), np.zeros_like(v)
        for dst, src in (
            ((Ellipsis, slice(1, None), slice(None)), (Ellipsis, slice(None, -1), slice(None))),
            ((Ellipsis, slice(None, -1), slice(None)), (Ellipsis, slice(1, None), slice(None))),
            ((Ellipsis, slice(None), slice(1, None)), (Ellipsis, slice(None), slice(None, -1))),
            ((Ellipsis, slice(None), slice(None, -1)), (Ellipsis, slice(None), slice(1, None))),
        ):
            total[dst] += vk[src]
            count[dst] += kf[src]
        ready = todo & (count > 0)
        if not ready.any():
            break
        v[ready] = total[ready] / count[ready]
        todo &= ~ready
        known |= ready
    v[todo] = 0.0
