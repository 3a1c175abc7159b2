"""Nuclear-norm matrix completion solved by FISTA: the SpatialGAIN paper's baseline.

The SpatialGAIN paper (Young) compares its zero-shot imputer with "matrix
completion -- arguably the most prominent approach in statistics": given the
data ``X`` observed on the entries ``Omega``, find the low-rank ``Z`` that solves
the convex problem

.. math::

    \\min_Z \\; \\tfrac12 \\|P_\\Omega(X - Z)\\|_F^2 + \\lambda \\|Z\\|_*,

where ``P_Omega`` keeps the observed entries and zeroes the others and
``||Z||_*`` is the nuclear norm (the sum of the singular values), solved with
FISTA, the fast iterative shrinkage-thresholding algorithm.

The file reads top to bottom as the method:

1. the proximal operator of the nuclear norm, singular value soft-thresholding
   (SVT), and a warm-started truncated SVD that makes it cheap on large data;
2. FISTA on one data matrix (:func:`fista_matrix`) and on a stack of small
   matrices at once (:func:`fista_stack`, one per image and channel);
3. the choice of ``lam`` along the continuation path by the error on held-out
   observed entries (:func:`_choose_lam`, :func:`_choose_lam_fraction`);
4. the inductive imputation of new rows from the learned structure (:func:`_fold_in`);
5. the imputer, :class:`MatrixCompletionImputer`.
"""

import numbers
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..base import BaseImputer
from ..categorical import CATEGORICAL_FEATURES_CONSTRAINT, CategoricalMixin
from ..lowrank import FULL_SVD_MAX, TruncatedSVD, fista_matrix, fista_stack, fista_stage, single_threaded_blas, top_singular_value
from ..scaling import observed_range as _observed_range

__all__ = ["MatrixCompletionImputer"]

#: ``lam="auto"``: the share of the observed entries held out to choose lam
#: (at least one entry).
AUTO_HOLDOUT = 0.1
#: ``lam="auto"``: the path of candidate values starts at this fraction of the
#: largest singular value of the zero-filled data, and each value is this
#: fraction of the previous one.
AUTO_PATH_FACTOR = 0.5
#: ``lam="auto"``: the path stops at the first value that does not improve the
#: smallest held-out error so far by more than this share.
AUTO_STOP = 0.02
#: ``lam="auto"``: held-out errors within this share of the smallest count as
#: equally good, and the largest lam among them is chosen (lower rank, cheaper).
AUTO_TOLERANCE = 0.01
#: ``lam="auto"``: the path stops at this fraction of the largest singular value.
AUTO_MIN_FRACTION = 1e-4
#: ``lam="auto"`` with ``per_image=True``: the path stops at the first value
#: that improves the pooled held-out error by less than this share, and the
#: value with the smallest error is kept (the SVDs are full whatever the
#: rank, so a larger lam would not be cheaper).
AUTO_STOP_IMAGE = 0.005
#: ``lam="auto"`` with ``per_image=True``: the fraction is chosen on at most
#: this many training images (a seeded random subset).
AUTO_MAX_IMAGES = 128


# --------------------------------------------------------------------------
# 1. choosing lam by held-out error along the continuation path
# --------------------------------------------------------------------------
# The continuation above already visits a decreasing sequence of lam, each
# solution warm-starting the next. lam="auto" turns it into a model choice,
# as cross-validation does for the lasso path: a seeded share of the
# observed entries (AUTO_HOLDOUT) is hidden, FISTA runs along the path
# lam_k = top * AUTO_PATH_FACTOR^k (top: the largest singular value of the
# zero-filled data) on the remaining entries, and after each stage the
# imputation of the hidden entries is scored by its mean absolute error
# (the measure of the imputer's ``score``). The path stops at the first lam
# that improves the best error by less than AUTO_STOP (2%), or at
# AUTO_MIN_FRACTION * top; the largest lam whose error is within
# AUTO_TOLERANCE (1%) of the best wins (the errors are flat near the
# optimum, and a larger lam has a lower rank: cheaper, more stable). The
# whole matrix is then solved at that lam on all the observed entries,
# warm-started from the path's solution at it, so the choice costs little
# more than the plain continuation. Exactly low-rank data are thereby
# recovered (the error keeps falling with lam), while on noisy data the path
# stops where the held-out error turns up.
#
# Per image, fit chooses one fraction of each image's largest singular
# value, by the held-out error pooled over (a subset of) the training images;
# transform solves each image at that fraction of its own value. Choosing a
# fraction per image instead, on its own few held-out pixels, imputed MNIST
# and digits 2.5-4% worse (noisy choices) and would make transform run a
# path per image; one absolute lam for all images did about as well as one
# fraction (within 1% on MNIST). The held-out error of images is flat over a
# wide range of small fractions, so the per-image path goes on down to a
# 0.5% improvement (AUTO_STOP_IMAGE) and keeps the best value: the SVDs of
# small images are full whatever the rank, so the larger lam within
# AUTO_TOLERANCE that the whole matrix prefers (for its lower rank) would
# save nothing here.


def _holdout(observed, share, rng, groups=None):
    """A seeded random ``share`` of the observed entries (at least one), as a mask.

    ``groups`` (sorted): the feature of each column, whose columns are held out together.
    """
    if groups is not None:
        first = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
        return _holdout(observed[:, first], share, rng)[:, groups]
    idx = np.flatnonzero(observed)
    n_hold = min(max(int(round(share * idx.size)), 1), idx.size)
    hold = np.zeros(observed.shape, dtype=bool)
    hold.flat[idx[rng.permutation(idx.size)[:n_hold]]] = True
    return hold


def _holdout_error(X, hold, bounds):
    """The function ``Z -> mean |Z - X|`` on the held-out entries (``Z`` clipped to ``bounds``)."""
    target = X[hold]
    if bounds is None:
        return lambda Z: float(np.mean(np.abs(Z[hold] - target)))
    low, high = (np.broadcast_to(b, X.shape)[hold] for b in bounds)
    return lambda Z: float(np.mean(np.abs(np.clip(Z[hold], low, high) - target)))


class _HeldOutPath:
    """The held-out errors along the path, the rule to stop it and the choice.

    The path goes on while each value improves the best error by more than
    the share ``stop``; the choice is the largest value whose error is
    within the share ``tolerance`` of the best.
    """

    def __init__(self, stop=AUTO_STOP, tolerance=AUTO_TOLERANCE):
        self.stop, self.tolerance = stop, tolerance
        self.lams, self.errors, self._kept = [], [], []

    def add(self, lam, error, state=None):
        """Record one stage; return whether it improved the best error enough to go on."""
        error = float(error) if np.isfinite(error) else np.inf  # an overflow counts as worst
        improved = error < (1.0 - self.stop) * min(self.errors, default=np.inf)
        self.lams.append(lam)
        self.errors.append(error)
        best = min(self.errors)
        # the candidates still within the tolerance, in decreasing lam
        self._kept = [k for k in self._kept + [(lam, error, state)]
                      if k[1] <= (1.0 + self.tolerance) * best]
        return improved

    @property
    def choice(self):
        """``(lam, error, state)`` of the largest lam within the tolerance of the best."""
        return self._kept[0]


def _fista_matrix_auto(X, observed, *, bounds, max_rank, max_iter, tol, rng, verbose=0, groups=None):
    """Choose lam by held-out error along the path, then solve at it on all entries.

    ``bounds`` (None or a pair of arrays that broadcast to a row) clip the
    imputations scored on the held-out entries, as ``transform`` clips
    them. Returns ``Z, s, Vt, n_iter, converged`` as :func:`fista_matrix`
    (``n_iter`` counts the path and the final solve), then the chosen
    ``lam`` and the path's values and held-out errors.
    """
    hold = _holdout(observed, AUTO_HOLDOUT, rng, groups)
    fit_obs = observed & ~hold
    X_fit = np.where(fit_obs, X, 0.0)
    top = top_singular_value(X_fit, rng)
    if not fit_obs.any() or top == 0:
        # nothing to choose from (a single observed entry, or all zero):
        # the first value of the path, by plain continuation
        lam = AUTO_PATH_FACTOR * top_singular_value(X, rng) or 1.0
        out = fista_matrix(X, observed, lam, max_rank=max_rank, max_iter=max_iter,
                            tol=tol, rng=rng, verbose=verbose)
        return (*out, lam, np.empty(0), np.empty(0))
    error = _holdout_error(X, hold, bounds)
    svd = TruncatedSVD(X.shape, max_rank, rng)
    kw = dict(max_rank=max_rank, tol=tol, verbose=verbose)
    path = _HeldOutPath()
    Z, rank, n_iter, lam = np.zeros_like(X), 0, 0, top
    while True:
        lam *= AUTO_PATH_FACTOR
        Z, s, Vt, it, converged = fista_stage(
            X_fit, fit_obs, lam, Z, svd, rank, max_iter=max_iter - n_iter, n_done=n_iter, **kw
        )
        n_iter, rank = n_iter + it, s.size
        err = error(Z)
        if verbose:
            print(f"[MatrixCompletion] lam {lam:.4g}  held-out MAE {err:.4g}  rank {rank:4d}")
        improved = path.add(lam, err, (Z, s, Vt))
        if not (improved and converged) or n_iter >= max_iter or lam <= AUTO_MIN_FRACTION * top:
            break
    lam, _, (Z, s, Vt) = path.choice
    # all the observed entries, warm-started from the path's solution at lam
    Z, s_all, Vt_all, it, converged = fista_stage(
        X, observed, lam, Z, svd, s.size, max_iter=max_iter - n_iter, n_done=n_iter, **kw
    )
    if it:
        s, Vt = s_all, Vt_all
    return Z, s, Vt, n_iter + it, converged, lam, np.array(path.lams), np.array(path.errors)


def _choose_lam_fraction(X, observed, shape, *, bounds, max_rank, max_iter, tol, rng):
    """Per image: the fraction of each image's largest singular value that imputes best.

    Best: the smallest held-out error pooled over the images.

    ``X`` has one flattened image of shape ``shape = (C, H, W)`` per row
    (holes 0); each channel is one matrix. At most ``AUTO_MAX_IMAGES``
    images are used. Returns the fraction, the path's fractions and
    held-out errors, the number of iterations and whether the path met
    ``tol`` within ``max_iter``.
    """
    n = X.shape[0]
    if n > AUTO_MAX_IMAGES:
        rows = np.sort(rng.permutation(n)[:AUTO_MAX_IMAGES])
        X, observed, n = X[rows], observed[rows], AUTO_MAX_IMAGES
    hold = _holdout(observed, AUTO_HOLDOUT, rng)
    fit_obs = observed & ~hold
    X_fit = np.where(fit_obs, X, 0.0)
    if not fit_obs.any():
        return AUTO_PATH_FACTOR, np.empty(0), np.empty(0), 0, True

    def stack(A):
        return A.reshape((-1,) + tuple(shape[1:]))

    top = np.linalg.svd(stack(X_fit), compute_uv=False)[:, 0]
    error = _holdout_error(X, hold, bounds)
    path = _HeldOutPath(stop=AUTO_STOP_IMAGE, tolerance=0.0)
    Z, n_iter, fraction = np.zeros_like(stack(X)), 0, 1.0
    while True:
        fraction *= AUTO_PATH_FACTOR
        Z, its, converged = fista_stack(
            stack(X_fit), stack(fit_obs), fraction * top, Z0=Z,
            max_rank=max_rank, max_iter=max_iter - n_iter, tol=tol,
        )
        n_iter += int(its.max())
        improved = path.add(fraction, error(Z.reshape(n, -1)))
        if not (improved and converged) or n_iter >= max_iter or fraction <= AUTO_MIN_FRACTION:
            break
    return path.choice[0], np.array(path.lams), np.array(path.errors), n_iter, converged


# --------------------------------------------------------------------------
# 2. inductive imputation of new rows
# --------------------------------------------------------------------------
# Fit keeps Z = U diag(s) V^T. With M = P_Omega(X) + P_Omega^perp(Z) the
# filled training matrix, at the FISTA fixed point Z = SVT_lam(M), so M and Z
# share their singular vectors on the kept components and M V = U diag(s + lam).
# Each training row therefore satisfies
#     z = m V diag(s / (s + lam)) V^T = m W,   m = x on the observed entries, z in the holes.
# A new row x is imputed by the same fixed point: find the hole values z_h with
#     z_h = (x_o + z_h) W restricted to the holes,
# i.e. the linear system (I - W_hh) z_h = (x_o W)_h. As W is symmetric with
# eigenvalues s / (s + lam) < 1, I - W_hh is symmetric positive definite and
# the solution is unique: for a training row it gives back fit's solution, for
# a new row it is what fit would give if that row had been in the data and had
# not moved V and s (it is the "fold-in" of the low-rank model).
#
# Why conjugate gradients rather than iterating z <- m W: iterating converges
# at the rate of ||W_hh|| ~ s_1 / (s_1 + lam), which is slow for small lam (the
# EM-like slowness of soft-impute); a direct solve per row costs d r^2 for the
# r x r Gram matrix of V over the row's holes, too much for large ranks. I - W_hh
# is the identity plus a rank-r term, so CG converges in at most r + 1 steps,
# usually far fewer (O(sqrt(cond)) with cond <= (s_1 + lam) / lam). We run CG on
# all rows of the batch at once (each step two batch x d x r products), each row
# with its own step sizes and stopping test, and freeze rows that have met
# ``tol`` so that a row's result does not depend on the rest of the batch.


def _fold_in(X, observed, V, shrink, tol):
    """Hole values of the rows of ``X`` (holes 0) under ``W = V diag(shrink) V^T``."""
    Z = np.zeros_like(X)
    r = V.shape[1]
    if r == 0 or X.size == 0:
        return Z
    H = (~observed).astype(X.dtype)
    R = H * (((X @ V) * shrink) @ V.T)  # right-hand side (x_o W)_h; Z = 0 start
    P = R.copy()
    rr = np.einsum("ij,ij->i", R, R)
    stop = (tol * tol) * rr
    active = np.flatnonzero(rr > stop)
    for _ in range(2 * r + 10):
        if active.size == 0:
            break
        a = active
        Ha, Pa = H[a], P[a]
        AP = Pa - Ha * (((Pa @ V) * shrink) @ V.T)  # P is zero outside the holes
        alpha = rr[a] / np.einsum("ij,ij->i", Pa, AP)
        Z[a] += alpha[:, None] * Pa
        Ra = R[a] - alpha[:, None] * AP
        rr_new = np.einsum("ij,ij->i", Ra, Ra)
        P[a] = Ra + (rr_new / rr[a])[:, None] * Pa
        R[a], rr[a] = Ra, rr_new
        active = a[rr_new > stop[a]]
    return Z


# --------------------------------------------------------------------------
# 3. the imputer
# --------------------------------------------------------------------------
class MatrixCompletionImputer(CategoricalMixin, BaseImputer):
    """Nuclear-norm regularised matrix completion, solved by FISTA.

    Finds the low-rank matrix ``Z`` that agrees with the data on the observed
    entries ``Omega``::

        min_Z  1/2 ||P_Omega(X - Z)||_F^2 + lam * ||Z||_*

    (``||Z||_*``: the sum of the singular values) with FISTA, a proximal
    gradient method with Nesterov momentum whose proximal step is singular
    value soft-thresholding; the baseline of the SpatialGAIN paper. Two modes:

    * ``per_image=False`` (default): the whole data matrix, ``n_samples x
      n_features`` (images as flattened rows), after standardising each
      feature (each channel for images). ``fit`` solves the problem on the
      training data and keeps the low-rank structure (right singular vectors
      and singular values); ``transform`` imputes any rows, new ones included,
      as the fixed point of that learned structure (it gives back ``fit``'s
      solution on the training rows). Large matrices use a warm-started
      truncated SVD whose rank adapts to the number of singular values above
      ``lam``.
    * ``per_image=True``: each image (each channel) is completed on its own
      as an ``H x W`` matrix, on the raw values, as in the paper's zero-shot
      experiment: ``fit`` learns no structure across images, only ``lam``
      (with ``lam="auto"``), and ``transform`` solves one problem per image
      (all images of a batch at once, with batched SVDs).

    With ``shape`` given, imputed pixels are clipped to the range of the
    observed training pixels, per channel (``clip``).

    Parameters
    ----------
    lam : float > 0 or "auto", default="auto"
        Weight of the nuclear norm: larger gives lower-rank, smoother
        completions. It is in the units of the data as the solver sees it:
        the standardised data (unit variance per feature, or per channel for
        images) when ``per_image=False``, the raw values when
        ``per_image=True``. Singular values below ``lam`` are dropped, the
        others shrunk by ``lam``. ``"auto"``: chosen by ``fit`` along the
        continuation path by the error on held-out observed entries. A
        seeded 10% of the observed entries (``AUTO_HOLDOUT``) is hidden,
        FISTA runs on the rest for ``lam`` = 1/2, 1/4, 1/8, ... of the
        largest singular value of the zero-filled data, each value
        warm-started from the last, and each solution is scored by its mean
        absolute error on the hidden entries (clipped as ``transform``
        clips). The path stops at the first value that improves the best
        error by less than 2% (``AUTO_STOP``), or at 1e-4 of the largest
        singular value; the largest ``lam`` within 1% of the best error
        (``AUTO_TOLERANCE``) is kept, and the problem is solved at it on all
        the observed entries, warm-started from the path. Exactly low-rank
        data are recovered (the error keeps falling down the path), noisy
        data get the ``lam`` where the held-out error turns up. With
        ``per_image=True`` the path is over fractions of each image's own
        largest singular value: one fraction for all images, chosen by the
        held-out error pooled over at most 128 training images
        (``AUTO_MAX_IMAGES``); it goes on while a value improves that error
        by more than 0.5% (``AUTO_STOP_IMAGE``) and keeps the best one, and
        ``transform`` completes every image at that fraction of its own
        value.
    per_image : bool, default=False
        Complete each image (and channel) as its own ``H x W`` matrix instead
        of the whole data matrix. Requires ``shape``.
    max_rank : int >= 1 or None, default=None
        Keep at most this many singular values in every iterate (a rank
        constraint on top of the nuclear norm; also bounds the cost of the
        SVDs). None: the rank is set by ``lam`` alone.
    max_iter : int >= 1, default=500
        Maximal number of FISTA iterations of ``fit`` (the path of
        ``lam="auto"`` and the final solve together), and of ``transform``
        for each image with ``per_image=True``. A
        :class:`~sklearn.exceptions.ConvergenceWarning` is raised when it is
        reached before ``tol``.
    tol : float > 0, default=1e-3
        FISTA stops when the relative change made by its proximal step is at
        most ``tol``: ``||Z_new - Y||_F <= tol * ||Z_new||_F``, with ``Y`` the
        point the step starts from (the previous iterate plus momentum).
        Also the relative residual at which the imputation of new rows
        stops. Imputation errors on digits and MNIST are the same to 3-4
        digits with ``tol=1e-5``.
    clip : "auto" or bool, default="auto"
        Clip the imputed values to the range of the observed training
        values: per channel for images, per feature for tables. ``"auto"``:
        for images (``shape`` given), not for tables. Low-rank completions
        overshoot near sharp edges (pixels of [0, 1] images down to -0.5
        without it), and clipping them lowers the imputation error. With
        ``per_image=True`` the range of each image also stretches to its own
        observed values (each image is completed on its own scale). Observed
        entries are never changed, even outside the range.
    categorical_features : "auto", None or array-like of int, bool or str, default="auto"
        The categorical features of a table: "auto" (or None) finds them from
        a DataFrame's dtypes (``category``, strings, ``bool``, ``boolean``);
        names, indices or a mask add columns of numbers. The model sees each
        as a block of indicator columns and imputes the category of the
        block's largest value (:class:`~sklimpute.categorical.CategoricalMixin`).
    missing_values : float, int or np.nan, default=np.nan
        The placeholder of missing entries.
    shape : None or tuple of int, default=None
        ``None``: rows are feature vectors. ``(H, W)`` or ``(C, H, W)``: each
        row is one image, flattened in C order (channels first).
    keep_empty_features : bool, default=False
        Keep (imputed with 0) features without any observed value in ``fit``
        instead of dropping them.
    add_indicator : bool, default=False
        Append a :class:`~sklearn.impute.MissingIndicator`.
    random_state : int, RandomState instance or None, default=None
        Seeds the entries held out by ``lam="auto"`` (and the images it uses
        with ``per_image=True``) and the random start of the truncated SVD
        (large matrices only).
    verbose : int, default=0
        1 prints the FISTA progress every 10 iterations and the held-out
        error of each ``lam`` of the path, 2 every iteration.

    Attributes
    ----------
    lam_ : float or None
        The ``lam`` used (the chosen value when ``lam="auto"``), in the
        solver's units; None with ``per_image=True`` and ``lam="auto"``,
        where each image gets ``lam_fraction_`` of its own largest singular
        value.
    lam_fraction_ : float or None
        With ``per_image=True`` and ``lam="auto"``: the chosen fraction of
        each image's largest singular value; None otherwise.
    lam_path_ : ndarray of shape (n_lams,) or None
        The values tried by ``lam="auto"``, in decreasing order (fractions of
        the largest singular values with ``per_image=True``); None for a
        given ``lam``.
    holdout_errors_ : ndarray of shape (n_lams,) or None
        The mean absolute error on the held-out entries at each value of
        ``lam_path_``, in the solver's units (standardised data for the
        whole matrix); None for a given ``lam``.
    clip_range_ : tuple of two ndarrays, or None
        The smallest and largest observed training value of each channel
        (images) or feature (tables) that imputations are clipped to (per
        image, widened to the image's own observed values); None without
        clipping.
    components_ : ndarray of shape (``rank_``, n_features)
        Right singular vectors of the completed (standardised) training
        matrix; not set with ``per_image=True``.
    singular_values_ : ndarray of shape (``rank_``,)
        Its singular values, after soft-thresholding (in decreasing order).
    rank_ : int
        Rank of the completed training matrix (0 with ``per_image=True``).
    residual_std_ : ndarray of shape (n_features,) or None
        Root mean square residual of the observed training entries around
        the completed matrix, per feature (per channel for images), in the
        standardised units; the noise of :meth:`sample_imputations`. None
        with ``per_image=True`` (each image gives its own).
    n_iter_ : int
        Number of FISTA iterations run by ``fit``, the ``lam="auto"`` path
        included (with ``per_image=True``: those of the path, 0 for a given
        ``lam``).
    scaler_ : FeatureScaler
        The per-feature standardisation (identity with ``per_image=True``).
    image_shape_ : None or tuple of int
        The image shape as ``(C, H, W)``, or None for tables.
    categorical_, categories_ : ndarray of bool, list of (ndarray or None)
        Which features are categorical, and the categories of each.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of the features seen during ``fit``, when they are all strings.

    See Also
    --------
    sklearn.impute.IterativeImputer : Round-robin regression imputation.
    sklearn.impute.KNNImputer : Nearest-neighbour imputation.

    Notes
    -----
    Each FISTA step fills the holes with the extrapolated iterate ``Y`` and
    soft-thresholds the singular values of the result at ``lam`` (the
    gradient of the data term is ``P_Omega(Z - X)``, 1-Lipschitz, so the step
    size is 1); the momentum is restarted when it points uphill. ``lam`` is
    reached by continuation: FISTA first solves the problem for a quarter of
    the largest singular value of the zero-filled data, then for a quarter
    of that, and so on, each stage warm-started from the last, which keeps
    small ``lam`` from stalling and early iterates cheap (low rank). On
    matrices whose smaller side exceeds 100 only the singular values above
    ``lam`` are computed, by subspace iteration started from the previous
    iterate's right singular vectors, with a rank that grows when needed (a
    full SVD once that would cost more).

    ``lam="auto"`` reuses the continuation: its path is the sequence of
    stages, scored on held-out entries, and the final solve starts from the
    path's solution at the chosen value, so choosing ``lam`` costs little
    more than one solve at a ``lam`` just below it. The chosen ranks set the
    cost of ``fit``; :ref:`matrix-completion` has the measured times and
    errors.

    For a new row ``x`` with observed part ``x_o``, ``transform`` finds the
    hole values ``z_h`` that satisfy ``z = (x_o + z_h) V diag(s / (s + lam))
    V^T`` on the holes, the relation every training row satisfies at the
    solution; it is a symmetric positive definite linear system, solved by
    conjugate gradients for the whole batch at once.

    References
    ----------
    .. [1] E. J. Candes and B. Recht, "Exact matrix completion via convex
       optimization", Foundations of Computational Mathematics 9(6), 2009.
    .. [2] A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding
       algorithm for linear inverse problems", SIAM Journal on Imaging
       Sciences 2(1), 2009.
    .. [3] R. Mazumder, T. Hastie and R. Tibshirani, "Spectral regularization
       algorithms for learning large incomplete matrices", Journal of Machine
       Learning Research 11, 2010.
    .. [4] J. Young, "SpatialGAIN: Spatial Generative Adversarial Imputation
       Networks and its Application to Zero-Shot Pixel Imputation", Stanford
       University (the matrix completion baseline of its zero-shot experiment).
    .. [5] S. Ma, D. Goldfarb and L. Chen, "Fixed point and Bregman iterative
       methods for matrix rank minimization", Mathematical Programming
       128, 2011 (the continuation in ``lam``).
    .. [6] B. O'Donoghue and E. Candes, "Adaptive restart for accelerated
       gradient schemes", Foundations of Computational Mathematics 15(3),
       2015 (the momentum restart).

    Examples
    --------
    >>> import numpy as np
    >>> from sklimpute import MatrixCompletionImputer
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 3)) @ rng.normal(size=(3, 30))  # rank 3
    >>> X_missing = X.copy()
    >>> hidden = rng.rand(*X.shape) < 0.3
    >>> X_missing[hidden] = np.nan
    >>> imp = MatrixCompletionImputer(random_state=0)  # lam="auto"
    >>> X_filled = imp.fit_transform(X_missing)
    >>> X_filled.shape
    (100, 30)
    >>> err = np.linalg.norm((X_filled - X)[hidden]) / np.linalg.norm(X[hidden])
    >>> print(f"relative error on the hidden entries: {err:.2f}")
    relative error on the hidden entries: 0.01
    >>> bool(imp.lam_ < 0.01)  # noise-free: the held-out error fell down the path
    True
    """

    _parameter_constraints = {
        **BaseImputer._parameter_constraints,
        "categorical_features": CATEGORICAL_FEATURES_CONSTRAINT,
        "lam": [Interval(numbers.Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "per_image": ["boolean"],
        "max_rank": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="neither")],
        "clip": [StrOptions({"auto"}), "boolean"],
    }

    def __init__(
        self,
        *,
        lam="auto",
        per_image=False,
        max_rank=None,
        max_iter=500,
        tol=1e-3,
        clip="auto",
        categorical_features="auto",
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
        self.categorical_features = categorical_features
        self.lam = lam
        self.per_image = per_image
        self.max_rank = max_rank
        self.max_iter = max_iter
        self.tol = tol
        self.clip = clip

    @property
    def _has_empty_features(self):
        # per image, a pixel missing in every training image is still filled
        # from its own image
        return not self.per_image

    @property
    def _scaling(self):
        # per image: complete the raw values, as the paper does; whole matrix:
        # centre and standardise, so the low-rank model needs no intercept
        return None if self.per_image else "standard"

    def _warn_not_converged(self, change_text=""):
        warnings.warn(
            f"{type(self).__name__} did not converge: max_iter={self.max_iter} "
            f"FISTA iterations reached before tol={self.tol}{change_text}. "
            "Increase max_iter or tol (or lam, which speeds convergence).",
            ConvergenceWarning,
        )

    # -------------------------------------------------------------- clipping
    def _check_fit_input(self, X):
        # the observed range is taken here, on the raw values: the scaled
        # ones that _fit sees map back to them only up to rounding
        X, observed = super()._check_fit_input(X)
        clip = self.image_shape_ is not None if self.clip == "auto" else self.clip
        self.clip_range_ = _observed_range(X, observed, self.image_shape_) if clip else None
        return X, observed

    def _scaled_bounds(self):
        """``clip_range_`` per feature in the scaled space of ``_fit``/``_impute``, or None.

        Rounded inwards, so that the base class's inverse scaling of a
        clipped value never leaves ``clip_range_``.
        """
        if self.clip_range_ is None:
            return None
        low, high = self.clip_range_
        if self.image_shape_ is not None:  # per channel -> per pixel
            hw = self.n_features_in_ // self.image_shape_[0]
            low, high = np.repeat(low, hw), np.repeat(high, hw)
        scaler = self.scaler_
        bounds = []
        for limit, inside, direction in ((low, np.greater_equal, np.inf),
                                         (high, np.less_equal, -np.inf)):
            b = scaler.transform(limit)
            for _ in range(8):  # one or two ulps at most
                out = ~inside(scaler.inverse_transform(b), limit)
                if not out.any():
                    break
                b = np.where(out, np.nextafter(b, direction), b)
            bounds.append(self._model_vector(b, fill=-direction))  # no bounds on indicators
        return tuple(bounds)

    # ------------------------------------------------------------------- fit
    def _fit(self, X, observed):
        rng = check_random_state(self.random_state)
        self._bounds = self._scaled_bounds()
        self.lam_path_ = self.holdout_errors_ = None
        self.lam_ = None if self.lam == "auto" else float(self.lam)
        self.lam_fraction_ = None
        self.rank_ = 0
        self.n_iter_ = 0
        self.residual_std_ = None
        if self.per_image:
            if self.image_shape_ is None:
                raise ValueError(
                    "per_image=True completes each image as an H x W matrix and "
                    "needs the image shape: pass shape=(H, W) or (C, H, W), or use "
                    "per_image=False for tabular data."
                )
            if self.lam == "auto":
                with single_threaded_blas(True):
                    fraction, path, errors, n_iter, converged = _choose_lam_fraction(
                        X, observed, self.image_shape_, bounds=self._bounds,
                        max_rank=self.max_rank, max_iter=self.max_iter, tol=self.tol, rng=rng,
                    )
                if not converged:
                    self._warn_not_converged(" while choosing lam")
                self.lam_fraction_ = float(fraction)
                self.lam_path_, self.holdout_errors_ = path, errors
                self.n_iter_ = int(n_iter)
            return self

        kw = dict(max_rank=self.max_rank, max_iter=self.max_iter, tol=self.tol, rng=rng,
                  verbose=self.verbose)
        with single_threaded_blas(min(X.shape) <= FULL_SVD_MAX):
            if self.lam == "auto":
                _, s, Vt, n_iter, converged, lam, path, errors = _fista_matrix_auto(
                    X, observed, bounds=self._bounds, groups=self._model_groups(), **kw
                )
                self.lam_ = float(lam)
                self.lam_path_, self.holdout_errors_ = path, errors
            else:
                _, s, Vt, n_iter, converged = fista_matrix(X, observed, self.lam_, **kw)
        if not converged:
            self._warn_not_converged()
        self.components_ = Vt
        self.singular_values_ = s
        self.rank_ = int(s.size)
        self.n_iter_ = int(n_iter)
        self.residual_std_ = self._residual_std(X, observed, self._impute(X, observed))
        return self

    def _residual_std(self, X, observed, Z):
        """Root mean square of ``X - Z`` on the observed entries, per feature (channel)."""
        r2 = np.where(observed, (X - Z) ** 2, 0.0)
        count = observed.astype(np.float64)
        if self.image_shape_ is not None:  # pooled per channel, as the scaling
            c = self.image_shape_[0]
            r2 = r2.reshape(len(r2), c, -1).sum(axis=2)
            count = count.reshape(len(count), c, -1).sum(axis=2)
            hw = X.shape[1] // c
            return np.repeat(np.sqrt(r2.sum(axis=0) / np.maximum(count.sum(axis=0), 1)), hw)
        return np.sqrt(r2.sum(axis=0) / np.maximum(count.sum(axis=0), 1))

    def sample_imputations(self, X, n_draws=5, *, random_state=None):
        """Draw several completions of X under a Gaussian noise model.

        Matrix completion gives one completion, the low-rank fit ``Z``. Each
        draw adds independent Gaussian noise to ``Z`` on the holes, with the
        residual variance of the observed entries: per feature (per channel
        for images) that of ``fit``'s observed entries around its solution
        (``residual_std_``); with ``per_image=True``, per image and channel,
        that of the image's own observed pixels. Imputations are then clipped
        as ``transform`` clips. The noise is the model's error on the entries
        it saw, which tends to be smaller than its error on the holes, and
        the low-rank structure itself is not redrawn: intervals from these
        draws are likely too narrow (the coverage measured is in
        ``benchmarks/results/calibration.md``).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data with holes.
        n_draws : int, default=5
            Number of completions.
        random_state : int, RandomState instance or None, default=None
            Seeds the noise.

        Returns
        -------
        draws : ndarray of shape (n_draws, n_samples, n_features)
            Completions; the observed entries are identical in every draw.
        """
        check_is_fitted(self)
        X, _ = self._validate_X(X, reset=False, mask=False)
        rng = check_random_state(random_state)
        draws = np.empty((int(n_draws),) + X.shape, dtype=X.dtype)

        def sample(Xs, obs):
            Z = self._impute(Xs, obs)
            std = self.residual_std_
            if self.per_image:
                c = self.image_shape_[0]
                r2 = np.where(obs, (Xs - Z) ** 2, 0.0).reshape(len(Z), c, -1).sum(axis=2)
                count = obs.reshape(len(Z), c, -1).sum(axis=2)
                std = np.repeat(np.sqrt(r2 / np.maximum(count, 1)), Z.shape[1] // c, axis=1)
            Z = Z + rng.standard_normal(Z.shape) * std
            if self._bounds is not None:
                Z = np.clip(Z, *self._bounds)
            elif self.per_image and self.clip_range_ is not None:
                n, c = len(Z), self.image_shape_[0]
                view, x, o = Z.reshape(n, c, -1), Xs.reshape(n, c, -1), obs.reshape(n, c, -1)
                low = np.minimum(self.clip_range_[0], np.where(o, x, np.inf).min(axis=2))
                high = np.maximum(self.clip_range_[1], np.where(o, x, -np.inf).max(axis=2))
                Z = np.clip(view, low[:, :, None], high[:, :, None]).reshape(n, -1)
            return Z

        for k in range(int(n_draws)):
            self._impute_array(X, impute=sample, out=draws[k])
        return draws

    # ------------------------------------------------------------- transform
    def _transform_batch_size(self):
        # rows per batch: up to 1024, and about 4 million values per array
        # (the solvers hold a few arrays of the batch's size)
        return int(np.clip(2**22 // max(self.n_features_in_, 1), 1, 1024))

    def _impute(self, X, observed):
        if self.per_image:
            return self._impute_images(X, observed)
        s = self.singular_values_
        with single_threaded_blas(X.shape[1] <= FULL_SVD_MAX):
            Z = _fold_in(X, observed, self.components_.T, s / (s + self.lam_), self.tol)
        return Z if self._bounds is None else np.clip(Z, *self._bounds)

    def _impute_images(self, X, observed):
        n = X.shape[0]
        c, h, w = self.image_shape_
        if self.lam_fraction_ is not None:
            lam, relative = self.lam_fraction_, True
        else:
            lam, relative = np.full(n * c, self.lam_), False
        with single_threaded_blas(True):
            Z, _, converged = fista_stack(
                X.reshape(n * c, h, w),
                observed.reshape(n * c, h, w),
                lam,
                relative=relative,
                max_rank=self.max_rank,
                max_iter=self.max_iter,
                tol=self.tol,
            )
        if not converged:
            self._warn_not_converged(" on some images")
        Z = Z.reshape(n, c, h * w)
        if self.clip_range_ is not None:  # raw values: no scaling per image
            # each image is completed on its own scale: the range stretches to
            # the image's own observed values
            obs = observed.reshape(n, c, h * w)
            X = X.reshape(n, c, h * w)
            low = np.minimum(self.clip_range_[0], np.where(obs, X, np.inf).min(axis=2))
            high = np.maximum(self.clip_range_[1], np.where(obs, X, -np.inf).max(axis=2))
            Z = np.clip(Z, low[:, :, None], high[:, :, None])
        return Z.reshape(n, -1)

