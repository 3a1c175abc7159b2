"""The peer imputation libraries users know, behind one ``fit`` / ``transform``.

``PEERS`` maps a name to a factory; ``PEERS[name](random_state=0)`` returns an
object with ``fit(X_train)`` and ``transform(X_test)`` on numpy float arrays
whose holes are NaN. ``transform`` returns a float array of the same shape with
every hole filled and every observed entry as it was given (some peers rescale
or round the observed entries on the way; the wrapper puts them back, so only
the holes carry the peer's answer). ``available_peers()`` lists the names whose
libraries import here; every library is imported inside its factory's code, so a
missing one disables only its peers.

Inductive peers learn in ``fit`` and impute new rows in ``transform`` without
retraining. Transductive peers can only complete the data they are run on:
their ``fit`` keeps the training rows, and ``transform(X_test)`` runs the
library once on the training rows stacked above the test rows and returns the
test part (so all of their time is in ``transform``). Either way a peer is
given the test rows with their holes as NaN, never the hidden values.

=====================  ============  ==============================================
name                   kind          what runs
=====================  ============  ==============================================
fancy_softimpute       transductive  ``fancyimpute.SoftImpute().fit_transform``
fancy_iterativesvd     transductive  ``fancyimpute.IterativeSVD().fit_transform``
hyper_gain             transductive  hyperimpute ``"gain"`` (trains in its
                                     ``transform``; its ``fit`` does nothing)
hyper_missforest       transductive  hyperimpute ``"missforest"`` (its ``fit``
                                     does nothing, ``transform`` runs the search)
hyper_mice             inductive     hyperimpute ``"mice"`` (sklearn
                                     ``IterativeImputer``, ``sample_posterior``)
hyper_miwae            inductive     hyperimpute ``"miwae"``
hyper_sinkhorn         transductive  hyperimpute ``"sinkhorn"`` (optimises the
                                     imputed values themselves)
hyper_auto             transductive  hyperimpute ``"hyperimpute"`` (the AutoML
                                     imputer; trains in its ``transform``)
miceforest             inductive     ``miceforest.ImputationKernel`` +
                                     ``mice(2)``, then ``impute_new_data``
                                     (transductive with ``transductive=True``)
opencv_telea           per image     ``cv2.inpaint(..., INPAINT_TELEA)``, radius 3
opencv_ns              per image     ``cv2.inpaint(..., INPAINT_NS)``, radius 3
=====================  ============  ==============================================

The OpenCV peers learn nothing: each test image is filled from its own pixels
(inductive in the sense that they impute any new row); they need an image shape
(``shape=(H, W)``, or a square side inferred from ``n_features``) and refuse
tables.

Settings: each library's defaults as it ships them, with these exceptions.

* ``verbose=False`` for fancyimpute (its default prints every iteration).
* ``miceforest``'s ``mice(iterations)`` has no default: 2, the README's value.
* ``cv2.inpaint`` has no default radius: 3, the value of OpenCV's tutorial.
* ``IMAGE_SETTINGS``: for peers whose defaults cannot finish on 784-feature
  images (800 + 200 MNIST rows) within the 300 s limit of the comparison, the
  library's own speed setting; pass them on image data as
  ``PEERS[name](random_state=0, **IMAGE_SETTINGS.get(name, {}))``.

Seeds: ``random_state`` goes to the library's seed where it has one
(hyperimpute's ``random_state``, which seeds numpy's, torch's and Python's
global generators when the plugin is built, i.e. at ``fit`` for inductive
peers and at ``transform`` for transductive ones; miceforest's
``random_state``); fancyimpute has none and draws from numpy's global
generator, which is seeded for its run and then restored. ``None`` keeps the
library's default (hyperimpute's is 0).

Known defects worked around here (each keeps what the library means to compute):

* fancyimpute 0.7 calls ``check_array(X, force_all_finite=False)``, an
  argument scikit-learn 1.8 removed (renamed ``ensure_all_finite`` in 1.6): on
  such a scikit-learn its solvers are given a ``check_array`` that passes the
  old name on as the new one.
* importing hyperimpute sets ``OMP_NUM_THREADS`` and four other thread
  variables to 2 in ``os.environ``; every import here puts them back.
* hyperimpute's ``"gain"`` plugin stores ``batch_size``, ``n_epochs``,
  ``hint_rate`` and ``loss_alpha`` but builds its model without them: it always
  trains 1,000 mini-batches of 256 with hint rate 0.9 and alpha 10, whatever is
  passed. Likewise ``"missforest"`` never passes ``n_estimators`` on (its
  forests are hyperimpute's random forest plugin's: 100 trees of depth 3).
* hyperimpute's logistic regression (which ``"hyperimpute"`` tries on columns
  with at most 5 distinct values, such as MNIST's blank borders) passes
  ``multi_class``, which scikit-learn 1.8 removed: the environment keeps
  scikit-learn < 1.8 (and so mlxtend < 0.25, which requires 1.8).
* miceforest 6.0.5 calls LightGBM's private ``Booster.__inner_predict``
  positionally, which LightGBM 4.7 made keyword-only: lightgbm < 4.7. And its
  ``impute_new_data`` result keeps an iteration count of 0, so
  ``complete_data()`` returns the random initial fill (RMSE 1.38 on
  breast_cancer, about that of random draws): ``transform`` asks for the last
  iteration by number.
* not worked around: fancyimpute's ``IterativeSVD`` (rank 10 by ARPACK)
  raises a ValueError on data with 10 features or fewer.
* OpenCV's Telea inpainting assumes the 0-255 range of 8-bit images, also on
  float32 input: images are mapped onto [0, 255] and back (``OpenCVInpaint``).

Installation, in an environment of its own (not the project's): fancyimpute,
miceforest and OpenCV install with plain pip, as ``pip install -e '.[bench]'``;
hyperimpute needs ``pandas<3`` and ``--no-deps`` (its requirements pin
``loguru==0.6.0`` and pull jupyter, notebook, miracle-imputation and xgboost
with its CUDA libraries, none of which the plugins here need), so::

    python3 -m venv /tmp/benchvenv && . /tmp/benchvenv/bin/activate
    pip install torch==2.13.0            # first: nothing below may upgrade it
    pip install -e .                      # sklimpute and its dependencies
    pip install cvxpy knnimpute==0.1.0    # what fancyimpute's __init__ imports
    pip install --no-deps fancyimpute==0.7.0
    pip install 'pandas<3' 'scikit-learn<1.8' 'mlxtend<0.25'
    pip install --no-deps hyperimpute==0.1.17
    pip install optuna loguru==0.6.0 pydantic redis geomloss xgboost-cpu catboost
    pip install miceforest==6.0.5 'lightgbm<4.7' opencv-python-headless

(``pip install fancyimpute==0.7.0`` with its dependencies also works; it adds
cvxopt, pytest and nose, which it does not import.) hyperimpute's plugins need
optuna, loguru, pydantic and cloudpickle (there with sklimpute) to import at
all; redis to import the internals of ``"missforest"`` and ``"hyperimpute"``
(never connected to: the default optimizer keeps its study in memory); geomloss
for ``"sinkhorn"``; xgboost (``xgboost-cpu`` is the same module without the
CUDA libraries) and catboost for ``"hyperimpute"`` on columns with 500 or more
observed values, where its search adds them to random forests and linear
models. ``pip check`` then reports only the requirements left out on purpose.

Run (one peer, one data set, one thread; 300 s limit on fit + transform)::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        python benchmarks/peers.py --data mnist --peers hyper_gain

MNIST: 1,000 images (``np.random.RandomState(0).permutation(5000)[:1000]``),
the first 800 train and the last 200 test, 20% MCAR
(``make_missing(..., random_state=1)`` on train, ``2`` on test), MAE on the
test rows' hidden pixels. breast_cancer: z-scored, first 80% of the rows train,
the rest test, 30% MCAR (same seeds), RMSE on the test rows' hidden entries.
Prints one markdown row per peer: the error, the wall and CPU seconds of fit +
transform, or ``timeout`` / the error's type.
"""

import argparse
import contextlib
import functools
import importlib
import inspect
import math
import os
import signal
import time

import numpy as np

#: Thread variables that importing hyperimpute overwrites (with 2).
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                     "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def _import(module):
    """``importlib.import_module``, leaving the thread variables as they were."""
    saved = {name: os.environ.get(name) for name in _THREAD_VARIABLES}
    try:
        return importlib.import_module(module)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _as_float(X, n_features=None):
    """A float64 copy of ``X``, 2-D, finite except for NaN holes."""
    X = np.array(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {X.shape}")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, fit had {n_features}")
    if np.isinf(X).any():
        raise ValueError("X has infinite values")
    return X


@contextlib.contextmanager
def _numpy_global_seed(random_state):
    """Seed numpy's global generator for a library that draws from it; restore it after."""
    if random_state is None:
        yield
        return
    state = np.random.get_state()
    np.random.seed(random_state)
    try:
        yield
    finally:
        np.random.set_state(state)


class Peer:
    """``fit(X_train)``, then ``transform(X_test)``: holes filled, observed entries kept."""

    #: Whether ``transform`` imputes new rows without running on the training rows.
    inductive = True

    def __init__(self, random_state=None, **params):
        self.random_state = random_state
        self.params = params

    def fit(self, X):
        X = _as_float(X)
        self.n_features_in_ = X.shape[1]
        self._fit(X)
        return self

    def transform(self, X):
        X = _as_float(X, self.n_features_in_)
        out = np.array(self._transform(X), dtype=np.float64)
        if out.shape != X.shape:
            raise RuntimeError(f"{type(self).__name__} returned shape {out.shape} for {X.shape}")
        observed = ~np.isnan(X)
        out[observed] = X[observed]
        if np.isnan(out).any():
            raise RuntimeError(f"{type(self).__name__} left {int(np.isnan(out).sum())} holes")
        return out

    def _fit(self, X):
        raise NotImplementedError

    def _transform(self, X):
        raise NotImplementedError


class TransductivePeer(Peer):
    """A peer that completes only the data it runs on: ``transform`` runs it on
    the training rows stacked above ``X`` and returns the rows of ``X``."""

    inductive = False

    def _fit(self, X):
        self.X_fit_ = X

    def _transform(self, X):
        stacked = np.vstack([self.X_fit_, X])
        return np.asarray(self._complete(stacked), dtype=np.float64)[len(self.X_fit_):]

    def _complete(self, X):
        raise NotImplementedError


# --- fancyimpute ---------------------------------------------------------------------

def _accept_force_all_finite(check_array):
    """``check_array`` that takes the pre-1.6 ``force_all_finite`` as ``ensure_all_finite``."""

    @functools.wraps(check_array)
    def wrapper(*args, force_all_finite=None, **kwargs):
        if force_all_finite is not None:
            kwargs["ensure_all_finite"] = force_all_finite
        return check_array(*args, **kwargs)

    return wrapper


def _fancyimpute():
    """fancyimpute, its solvers made to run on a scikit-learn without ``force_all_finite``."""
    fancyimpute = _import("fancyimpute")
    sklearn_check_array = _import("sklearn.utils").check_array
    if "force_all_finite" not in inspect.signature(sklearn_check_array).parameters:
        for name in ("solver", "soft_impute", "iterative_svd"):
            module = _import(f"fancyimpute.{name}")
            if module.check_array is sklearn_check_array:
                module.check_array = _accept_force_all_finite(sklearn_check_array)
    return fancyimpute


class FancyImpute(TransductivePeer):
    """A fancyimpute solver (``fit_transform`` only: transductive)."""

    def __init__(self, solver, random_state=None, **params):
        super().__init__(random_state=random_state, **params)
        self.solver = solver

    def _complete(self, X):
        solver = getattr(_fancyimpute(), self.solver)(**{"verbose": False, **self.params})
        with _numpy_global_seed(self.random_state):
            return solver.fit_transform(X)


# --- hyperimpute ---------------------------------------------------------------------

def _hyperimpute_plugin(name, random_state, params):
    """A fresh hyperimpute plugin (building it seeds the global generators)."""
    imputers = _import("hyperimpute.plugins.imputers").Imputers()
    if random_state is not None:
        params = {**params, "random_state": random_state}
    return imputers.get(name, **params)


def _frame(X):
    return _import("pandas").DataFrame(X)


class HyperImputeInductive(Peer):
    """A hyperimpute plugin that trains in ``fit`` and imputes new rows in ``transform``."""

    def __init__(self, plugin, random_state=None, **params):
        super().__init__(random_state=random_state, **params)
        self.plugin = plugin

    def _fit(self, X):
        self.model_ = _hyperimpute_plugin(self.plugin, self.random_state, self.params)
        self.model_.fit(_frame(X))

    def _transform(self, X):
        return self.model_.transform(_frame(X))


class HyperImputeTransductive(TransductivePeer):
    """A hyperimpute plugin whose ``transform`` trains on the data it is given."""

    def __init__(self, plugin, random_state=None, **params):
        super().__init__(random_state=random_state, **params)
        self.plugin = plugin

    def _complete(self, X):
        model = _hyperimpute_plugin(self.plugin, self.random_state, self.params)
        return model.fit(_frame(X)).transform(_frame(X))


# --- miceforest ----------------------------------------------------------------------

class MiceForest(Peer):
    """miceforest: LightGBM MICE on the training rows, ``impute_new_data`` on new ones.

    ``iterations`` is ``kernel.mice(iterations)``; ``params`` go to
    ``ImputationKernel``. Its default ``variable_schema`` models only the
    columns with holes in the training rows: a hole of a new row in another
    column is left, and ``transform`` says so.

    ``transductive=True`` runs the kernel on the training rows stacked above
    the new ones with ``save_all_iterations_data=False``, the library's memory
    setting (it keeps no model, so ``impute_new_data`` is impossible): the
    inductive mode keeps every column's LightGBM booster with its training
    state, about 29 MB a column on MNIST (23 GB for 784 columns).
    """

    def __init__(self, random_state=None, iterations=2, transductive=False, **params):
        super().__init__(random_state=random_state, **params)
        self.iterations = iterations
        self.transductive = transductive
        self.inductive = not transductive

    def _named(self, X):
        return _import("pandas").DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])

    def _kernel(self, X, **params):
        kernel = _import("miceforest").ImputationKernel(
            self._named(X), random_state=self.random_state, **params, **self.params)
        kernel.mice(self.iterations)
        return kernel

    def _fit(self, X):
        if self.transductive:
            self.X_fit_ = X
        else:
            self.kernel_ = self._kernel(X)

    def _transform(self, X):
        if self.transductive:
            kernel = self._kernel(np.vstack([self.X_fit_, X]), save_all_iterations_data=False)
            return kernel.complete_data(dataset=0).to_numpy()[len(self.X_fit_):]
        imputed = self.kernel_.impute_new_data(self._named(X), random_state=self.random_state)
        # The last iteration by number: miceforest 6.0.5 never advances the
        # iteration count of impute_new_data's result, so its default
        # (iteration=-1) returns iteration 0, the random initial fill.
        return imputed.complete_data(dataset=0, iteration=self.kernel_.iteration_count())


# --- OpenCV --------------------------------------------------------------------------

class OpenCVInpaint(Peer):
    """``cv2.inpaint`` on each image (channel by channel) of each row; nothing to learn.

    ``shape`` is ``(H, W)`` or ``(C, H, W)``; ``None`` takes a square
    ``(H, H)`` from ``n_features``. Pixels go in as float32 (``cv2.inpaint``
    takes one-channel float32 images), so no 8-bit rounding, mapped linearly
    from the range of the training rows' observed values onto [0, 255]:
    Telea's method assumes that 8-bit range (OpenCV 4.14 and 5.0 alike; on
    MNIST's [0, 1] floats it returns values from -1.4 to 1.8, a hidden-pixel
    MAE of 0.86 against 0.10 on the 0-255 scale); Navier-Stokes does not mind.
    """

    def __init__(self, method="telea", radius=3, shape=None, random_state=None):
        super().__init__(random_state=random_state)
        self.method, self.radius, self.shape = method, radius, shape

    def _fit(self, X):
        _import("cv2")
        shape = self.shape
        if shape is None:
            side = math.isqrt(X.shape[1])
            if side * side != X.shape[1]:
                raise ValueError(f"{X.shape[1]} features are no square image: pass shape")
            shape = (side, side)
        shape = (1, *shape) if len(shape) == 2 else tuple(shape)
        if math.prod(shape) != X.shape[1]:
            raise ValueError(f"shape {self.shape} does not have {X.shape[1]} pixels")
        self.shape_ = shape
        self.low_, high = np.nanmin(X), np.nanmax(X)
        self.scale_ = 255.0 / (high - self.low_) if high > self.low_ else 1.0

    def _transform(self, X):
        cv2 = _import("cv2")
        flag = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}[self.method]
        images = (X.reshape((len(X), *self.shape_)) - self.low_) * self.scale_
        out = images.copy()
        for i, j in np.ndindex(images.shape[:2]):
            missing = np.isnan(images[i, j])
            if missing.any():
                image = np.where(missing, 0.0, images[i, j]).astype(np.float32)
                out[i, j] = cv2.inpaint(image, missing.astype(np.uint8), float(self.radius), flag)
        return out.reshape(X.shape) / self.scale_ + self.low_


# --- the registry --------------------------------------------------------------------

#: name -> factory(random_state=None, **params); params go to the library (see above).
PEERS = {
    "fancy_softimpute": functools.partial(FancyImpute, "SoftImpute"),
    "fancy_iterativesvd": functools.partial(FancyImpute, "IterativeSVD"),
    "hyper_gain": functools.partial(HyperImputeTransductive, "gain"),
    "hyper_missforest": functools.partial(HyperImputeTransductive, "missforest"),
    "hyper_mice": functools.partial(HyperImputeInductive, "mice"),
    "hyper_miwae": functools.partial(HyperImputeInductive, "miwae"),
    "hyper_sinkhorn": functools.partial(HyperImputeTransductive, "sinkhorn"),
    "hyper_auto": functools.partial(HyperImputeTransductive, "hyperimpute"),
    "miceforest": MiceForest,
    "opencv_telea": functools.partial(OpenCVInpaint, "telea"),
    "opencv_ns": functools.partial(OpenCVInpaint, "ns"),
}

_HYPERIMPUTE = ("hyperimpute.plugins.imputers", "torch")
#: The modules each peer imports, at its plugin's load or later while it runs.
REQUIRES = {
    "fancy_softimpute": ("fancyimpute",),
    "fancy_iterativesvd": ("fancyimpute",),
    "hyper_gain": _HYPERIMPUTE,
    "hyper_missforest": _HYPERIMPUTE + ("redis",),
    "hyper_mice": _HYPERIMPUTE,
    "hyper_miwae": _HYPERIMPUTE,
    "hyper_sinkhorn": _HYPERIMPUTE + ("geomloss",),
    "hyper_auto": _HYPERIMPUTE + ("redis", "xgboost", "catboost"),
    "miceforest": ("miceforest", "lightgbm"),
    "opencv_telea": ("cv2",),
    "opencv_ns": ("cv2",),
}

#: Settings for 784-feature images (MNIST, 800 + 200 rows, one thread), where a
#: peer's defaults cannot finish within 300 s or do not fit in memory: the
#: library's own parameter for it (measured cost of the defaults in the comment).
IMAGE_SETTINGS = {
    # 500 epochs at about 1.4 s each (K=20 importance samples): past 300 s
    "hyper_miwae": {"n_epochs": 100},
    # 784 BayesianRidge fits a round, about 150 s; 100 rounds by default, and
    # sample_posterior=True turns the early stop off
    "hyper_mice": {"max_iter": 1},
    # inductive mode: 23 GB of kept boosters (killed for memory on 24 GB);
    # one iteration on 1,000 rows still took 334 s here
    "miceforest": {"transductive": True, "iterations": 1},
}


@functools.cache
def _imports(module):
    try:
        _import(module)
    except Exception:  # an ImportError, or a library that fails on import
        return False
    return True


def available_peers():
    """The names of ``PEERS`` whose libraries import in this environment."""
    return [name for name in PEERS if all(_imports(module) for module in REQUIRES[name])]


# --- the measurement -----------------------------------------------------------------

def mnist_case():
    """(train, test, test truth, test hidden mask, metric name) of the MNIST case."""
    from sklimpute import make_missing
    from sklimpute.datasets import load_mnist

    X = load_mnist()[0]
    idx = np.random.RandomState(0).permutation(5000)[:1000]
    train, test = X[idx[:800]], X[idx[800:]]
    train_missing = make_missing(train, "mcar", 0.2, random_state=1)[0]
    test_missing, hidden = make_missing(test, "mcar", 0.2, random_state=2)
    return train_missing, test_missing, test, hidden, "mae"


def breast_cancer_case():
    """(train, test, test truth, test hidden mask, metric name) of the breast_cancer case."""
    from sklearn.datasets import load_breast_cancer

    from sklimpute import make_missing

    X = load_breast_cancer().data
    X = (X - X.mean(0)) / X.std(0)
    n_train = int(0.8 * len(X))
    train, test = X[:n_train], X[n_train:]
    train_missing = make_missing(train, "mcar", 0.3, random_state=1)[0]
    test_missing, hidden = make_missing(test, "mcar", 0.3, random_state=2)
    return train_missing, test_missing, test, hidden, "rmse"


CASES = {"mnist": mnist_case, "breast_cancer": breast_cancer_case}


class _TimeLimit(Exception):
    pass


def _raise_time_limit(signum, frame):
    raise _TimeLimit


def measure(name, case, time_limit=300, random_state=0):
    """Fit ``PEERS[name]`` on the case's train rows, impute its test rows.

    Returns a dict: the error on the hidden test entries (``None`` if it did
    not finish), wall and CPU seconds of fit + transform, and ``status``
    (``"ok"``, ``"timeout"`` or the exception's type and message).
    """
    train, test, truth, hidden, metric = CASES[case]()
    for module in REQUIRES[name]:  # imports are not timed
        _imports(module)
    params = IMAGE_SETTINGS.get(name, {}) if case == "mnist" else {}
    result = dict(peer=name, data=case, metric=metric, error=None, status="ok",
                  settings=params, inductive=None)
    previous = signal.signal(signal.SIGALRM, _raise_time_limit)
    wall, cpu = time.perf_counter(), time.process_time()
    signal.alarm(time_limit)
    try:
        peer = PEERS[name](random_state=random_state, **params)
        result["inductive"] = peer.inductive
        out = peer.fit(train).transform(test)
    except _TimeLimit:
        result["status"] = "timeout"
    except Exception as exc:  # reported as the row's status
        result["status"] = f"{type(exc).__name__}: {exc}"[:200]
    else:
        errors = out[hidden] - truth[hidden]
        result["error"] = float(np.abs(errors).mean() if metric == "mae"
                                else np.sqrt(np.mean(errors ** 2)))
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    result["wall_s"] = time.perf_counter() - wall
    result["cpu_s"] = time.process_time() - cpu
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=sorted(CASES), nargs="+", default=sorted(CASES))
    parser.add_argument("--peers", nargs="+", default=None, help="default: available_peers()")
    parser.add_argument("--time-limit", type=int, default=300)
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    torch = _import("torch") if _imports("torch") else None
    if torch is not None:
        torch.set_num_threads(1)
    with threadpool_limits(1):
        for case in args.data:
            for name in args.peers or available_peers():
                r = measure(name, case, args.time_limit)
                error = "" if r["error"] is None else f"{r['error']:.4f}"
                print(f"| {name} | {case} | {r['metric']} | {error} | {r['wall_s']:.1f} "
                      f"| {r['cpu_s']:.1f} | {r['status']} | {r['settings'] or ''} |", flush=True)


if __name__ == "__main__":
    main()
