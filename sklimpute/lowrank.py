"""Nuclear-norm regularised least squares on the observed entries, solved by FISTA.

Given ``X`` observed on the entries ``Omega``, the low-rank ``Z`` that solves

.. math::

    \\min_Z \\; \\tfrac12 \\|P_\\Omega(X - Z)\\|_F^2 + \\lambda \\|Z\\|_*,

the convex problem of matrix completion
(:class:`~sklimpute.MatrixCompletionImputer`, which chooses ``lambda`` and
imputes with it). The module reads top to bottom:

1. the proximal operator of the nuclear norm, singular value soft-thresholding
   (:func:`svt`), and a warm-started truncated SVD (:class:`TruncatedSVD`)
   that makes it cheap on large data;
2. FISTA on one data matrix (:func:`fista_matrix`, by continuation stages of
   :func:`fista_stage`) and on a stack of small matrices at once
   (:func:`fista_stack`, one per image and channel).
"""

from contextlib import nullcontext

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = [
    "FULL_SVD_MAX",
    "TruncatedSVD",
    "fista_matrix",
    "fista_stack",
    "fista_stage",
    "single_threaded_blas",
    "svt",
    "top_singular_value",
]

#: Matrices whose smaller side is at most this get a full LAPACK SVD.
FULL_SVD_MAX = 100
#: Extra singular triplets computed beyond the current rank (at least; rank / 10
#: for large ranks).
_OVERSAMPLING = 10


# --------------------------------------------------------------------------
# 1. singular value soft-thresholding and a warm-started truncated SVD
# --------------------------------------------------------------------------
def _orth(B, second_pass=True):
    """Orthonormal basis of the range of the tall matrix ``B`` (n x k), cheaply.

    From the eigendecomposition of the small Gram matrix ``B^T B = W S^2 W^T``:
    ``Q = B W S^-1`` (two matrix products, much faster than a Householder QR
    of a tall matrix). Directions with ``S <= 1e-7 S_max`` are dropped (they
    only carry rounding noise); when the kept ones span a large range of
    ``S`` the orthogonality lost to rounding is restored by a second pass.
    """
    w, W = np.linalg.eigh(B.T @ B)
    keep = w > 1e-14 * w.max(initial=0.0)
    if not keep.any():
        return B[:, :0]
    w, W = w[keep], W[:, keep]
    Q = B @ (W / np.sqrt(w))
    return _orth(Q, False) if second_pass and w[0] < 1e-8 * w[-1] else Q


def _subspace_svd(M, V, n_power):
    """Approximate top singular triplets of ``M`` from the start basis ``V`` (d x k).

    Block subspace (power) iteration: ``Q = orth(M V)``, refined ``n_power - 1``
    more times, then the exact SVD of the small ``k x d`` matrix ``Q^T M``.
    One pass costs two ``n x d x k`` products; when ``V`` holds the previous
    FISTA iterate's right singular vectors it is already close to the answer.
    Returns ``Q, Ub, s, Vt`` with ``M ~ (Q Ub) diag(s) Vt``.
    """
    Q = _orth(M @ V)
    for _ in range(n_power - 1):
        Q = _orth(M @ _orth(M.T @ Q))
    Ub, s, Vt = np.linalg.svd(Q.T @ M, full_matrices=False)
    return Q, Ub, s, Vt


class TruncatedSVD:
    """The singular triplets of ``M`` above a threshold, warm-started across calls.

    Computes ``k = rank + oversampling`` triplets by one pass of subspace
    iteration from the previous call's right singular vectors (by four from
    random ones at the first call). If all ``k`` exceed the threshold, some
    above it may be missing: ``k`` doubles (new directions random, two
    passes) until the smallest computed one falls below it or ``k`` reaches
    ``k_max``. Matrices with a small side get a full SVD, and so do the
    calls whose passes would span more directions than the smaller side
    (``n_power * k > min(n, d)``, mostly when ``k`` doubles at high rank).
    Returns
    ``Q, Ub, s, Vt`` as :func:`_subspace_svd` (``Q`` None for a full SVD,
    whose left singular vectors are ``Ub``).
    """

    def __init__(self, shape, max_rank, rng):
        n, d = shape
        self.full = min(n, d) <= FULL_SVD_MAX
        self.k_max = min(n, d) if max_rank is None else min(max_rank + _OVERSAMPLING, n, d)
        self.d = d
        self.rng = rng
        self.basis = None

    def _k(self, rank):
        return min(rank + max(_OVERSAMPLING, rank // 10), self.k_max)

    def _start(self, k):
        have = 0 if self.basis is None else self.basis.shape[1]
        if have >= k:
            return self.basis[:, :k]
        new = self.rng.standard_normal((self.d, k - have))
        return new if self.basis is None else np.hstack([self.basis, new])

    def __call__(self, M, threshold, rank):
        k, n_power = self._k(rank), (1 if self.basis is not None else 4)
        while True:
            if self.full or n_power * k > min(M.shape):
                # the passes would span more directions than the smaller side:
                # a full SVD costs less (typically when k doubles at high rank)
                Ub, s, Vt = np.linalg.svd(M, full_matrices=False)
                self.basis = None if self.full else Vt.T
                return None, Ub, s, Vt
            Q, Ub, s, Vt = _subspace_svd(M, self._start(k), n_power)
            self.basis = Vt.T
            if s.size < k or s[-1] <= threshold or k >= self.k_max:
                return Q, Ub, s, Vt
            k, n_power = min(2 * k, self.k_max), 2


def single_threaded_blas(small):
    """One BLAS thread for LAPACK on small matrices.

    Small SVDs gain nothing from threads, and on a busy machine OpenBLAS
    threads waiting for each other made a 1797 x 64 SVD 100 times slower.
    """
    return threadpool_limits(limits=1, user_api="blas") if small else nullcontext()


def svt(Q, Ub, s, Vt, lam, max_rank):
    """Singular value soft-thresholding: ``Z = U diag(max(s - lam, 0)) Vt``, U = Q Ub.

    Keeps at most ``max_rank`` singular values. Returns ``Z`` and its
    (shrunk) singular values and right singular vectors.
    """
    r = int(np.count_nonzero(s > lam))
    if max_rank is not None:
        r = min(r, max_rank)
    s, Vt = s[:r] - lam, Vt[:r]
    # (Q Ub_r s) Vt costs n r d; Q ((Ub_r s) Vt) costs n k d with k ~ r: the same
    Z = (Ub[:, :r] * s) @ Vt
    return (Z if Q is None else Q @ Z), s, Vt


# --------------------------------------------------------------------------
# 2. FISTA
# --------------------------------------------------------------------------
# The smooth part f(Z) = 1/2 ||P_Omega(X - Z)||_F^2 has the gradient
# P_Omega(Z - X), Lipschitz with constant 1, so the proximal gradient step of
# size 1 from the extrapolated point Y is
#     Z+ = SVT_lam(Y - P_Omega(Y - X)) = SVT_lam(P_Omega(X) + P_Omega^perp(Y)),
# i.e. "fill the holes of X with Y, then soft-threshold the singular values"
# (soft-impute's step, Mazumder et al. 2010). FISTA (Beck & Teboulle 2009)
# extrapolates Y = Z+ + (t - 1) / t+ (Z+ - Z) with t+ = (1 + sqrt(1 + 4 t^2)) / 2;
# we restart the momentum (t = 1) when it points uphill, the gradient
# restart of O'Donoghue & Candes (2015), which keeps FISTA from oscillating.
# Stopping rule: the relative size of the proximal step, ||Z+ - Y||_F <=
# tol * ||Z+||_F (the gradient mapping, zero exactly at the solution; without
# momentum it is the relative change ||Z+ - Z||_F / ||Z+||_F of the iterate,
# which FISTA's momentum keeps artificially large).
#
# Continuation (as in fixed point continuation, Ma, Goldfarb & Chen 2011, and
# soft-impute's path of warm starts): a proximal step moves the singular
# values by about lam, so from Z = 0 a small lam needs very many small steps,
# and the relative-change rule would stop them too early. FISTA therefore
# runs on lam_1 = max(lam, eta * ||X||_2), then on max(lam, eta * lam_1), ...
# (eta = _CONTINUATION), each stage warm-started from the last until it meets
# ``tol``; only the last stage, at lam itself, decides convergence. Early
# stages are also cheap: their large lam keeps the rank small.

#: Factor by which lam decreases between continuation stages.
_CONTINUATION = 0.25


def top_singular_value(M, rng):
    """The largest singular value of ``M`` (a few power iterations when large)."""
    if min(M.shape) <= FULL_SVD_MAX:
        return float(np.linalg.norm(M, 2)) if M.size else 0.0
    s = _subspace_svd(M, rng.standard_normal((M.shape[1], 10)), 6)[2]
    return float(s[0]) if s.size else 0.0


def _rel_change(dz, nz):
    return 0.0 if dz == 0 else (dz / nz if nz > 0 else np.inf)


def fista_stage(X, observed, lam, Z, svd, rank, *, max_rank, max_iter, tol, verbose=0, n_done=0):
    """FISTA at one ``lam`` on one matrix, warm-started from ``Z`` (momentum restarted).

    ``X`` holds 0 in the holes; ``svd`` is the :class:`TruncatedSVD` of the
    path (its basis carries over) and ``rank`` the rank of ``Z``. Runs at
    most ``max_iter`` iterations (``n_done`` iterations ran before, for the
    progress output). Returns ``Z``, its singular values ``s`` and right
    singular vectors ``Vt``, the number of iterations and whether ``tol``
    was met; ``s`` and ``Vt`` are None when ``max_iter`` is 0.
    """
    Y, t = Z, 1.0
    s = Vt = None
    for it in range(1, max_iter + 1):
        M = np.where(observed, X, Y)
        Z_new, s, Vt = svt(*svd(M, lam, rank), lam, max_rank)
        rank = s.size
        step, prox_step = Z_new - Z, Z_new - Y
        # relative size of the proximal step (||Z_new||_F = ||s||)
        change = _rel_change(np.linalg.norm(prox_step), np.linalg.norm(s))
        # gradient restart: the momentum points against the proximal step
        if np.vdot(prox_step, step) < 0:
            t = 1.0
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        Y = Z_new + ((t - 1.0) / t_new) * step
        Z, t = Z_new, t_new
        n = n_done + it
        if verbose > 1 or (verbose and n % 10 == 0):
            print(
                f"[MatrixCompletion] iter {n:4d}  lam {lam:.4g}  rank {rank:4d}  "
                f"rel. change {change:.3e}"
            )
        if change <= tol:
            return Z, s, Vt, it, True
    return Z, s, Vt, max_iter, False


def fista_matrix(X, observed, lam, *, max_rank, max_iter, tol, rng, verbose=0):
    """Solve the nuclear-norm problem on one ``n x d`` matrix, by continuation.

    ``X`` holds 0 in the holes. Returns the solution ``Z``, its singular
    values ``s`` and right singular vectors ``Vt``, the number of iterations
    and whether ``tol`` was met.
    """
    svd = TruncatedSVD(X.shape, max_rank, rng)
    stage_lam = max(lam, _CONTINUATION * top_singular_value(X, rng))
    Z, rank, n_iter = np.zeros_like(X), 0, 0
    while True:
        Z, s, Vt, it, converged = fista_stage(
            X, observed, stage_lam, Z, svd, rank, max_rank=max_rank,
            max_iter=max_iter - n_iter, tol=tol, verbose=verbose, n_done=n_iter,
        )
        n_iter, rank = n_iter + it, s.size
        if stage_lam <= lam or not converged or n_iter >= max_iter:
            return Z, s, Vt, n_iter, converged and stage_lam <= lam
        stage_lam = max(lam, _CONTINUATION * stage_lam)  # next stage


def fista_stack(X, observed, lam, *, max_rank, max_iter, tol, relative=False, Z0=None):
    """Solve the nuclear-norm problem on each matrix of a stack ``(N, H, W)`` at once.

    ``lam`` is an array of shape ``(N,)`` (one regularisation per matrix); with
    ``relative=True`` it is a fraction (scalar or ``(N,)``) of each matrix's
    largest singular value, that of the zero-filled matrix, which the first
    FISTA step computes (it starts from Y = 0). Without ``Z0`` the solve
    starts from 0 and goes through continuation stages from a quarter of
    that value; with ``Z0`` (not with ``relative``) it starts from ``Z0`` at
    ``lam`` directly (a warm start along a path). Batched LAPACK SVDs, no
    loop over the matrices; each matrix has its own stage, momentum and
    stopping test, and stops changing (is frozen) once it has met ``tol`` at
    its own ``lam``, so each result depends on its own matrix only. Returns
    the completed stack, the number of iterations of each matrix and whether
    all converged.
    """
    N = X.shape[0]
    if Z0 is None:
        Z = np.zeros_like(X)
    else:
        Z = Z0.copy()
        lam = np.broadcast_to(np.asarray(lam, dtype=float), (N,))
        stage = lam.copy()
    Y = Z.copy()
    t = np.ones(N)
    n_iter = np.zeros(N, dtype=int)
    active = np.arange(N)
    for it in range(1, max_iter + 1):
        a = active
        n_iter[a] = it
        M = np.where(observed[a], X[a], Y[a])
        U, s, Vt = np.linalg.svd(M, full_matrices=False)
        if it == 1 and Z0 is None:
            top = s[:, 0]
            lam = lam * top if relative else np.asarray(lam, dtype=float)
            stage = np.maximum(lam, _CONTINUATION * top)
        s = np.maximum(s - stage[a][:, None], 0.0)
        if max_rank is not None:
            s[:, max_rank:] = 0.0
        Z_new = (U * s[:, None, :]) @ Vt
        step = Z_new - Z[a]
        prox_step = Z_new - Y[a]
        dz = np.sqrt(np.einsum("nij,nij->n", prox_step, prox_step))
        nz = np.sqrt(np.einsum("ni,ni->n", s, s))  # ||Z_new||_F
        restart = np.einsum("nij,nij->n", prox_step, step) < 0  # as in fista_matrix
        t_a = np.where(restart, 1.0, t[a])
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t_a * t_a))
        Y[a] = Z_new + ((t_a - 1.0) / t_new)[:, None, None] * step
        Z[a], t[a] = Z_new, t_new
        met = (dz == 0) | (dz <= tol * nz)
        last = stage[a] <= lam[a]
        advance = a[met & ~last]  # next continuation stage, momentum restarted
        stage[advance] = np.maximum(lam[advance], _CONTINUATION * stage[advance])
        Y[advance], t[advance] = Z[advance], 1.0
        active = a[~(met & last)]
        if active.size == 0:
            break
    return Z, n_iter, active.size == 0
