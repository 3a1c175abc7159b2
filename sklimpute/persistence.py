"""Save fitted imputers to a file and load them back, on any machine and device.

:func:`save` (also :meth:`sklimpute.BaseImputer.save`) writes a fitted
imputer as one file; :func:`load` reads it back. The file never runs code
when it is loaded, unlike a pickle:

* it is a ``torch.save`` archive read with ``torch.load(weights_only=True)``,
  whose unpickler only builds tensors and plain containers (dict, list,
  tuple, str, numbers, None);
* the imputer is described by plain data: its class (which must be one of
  sklimpute's, or a class the caller passes in ``trusted``), its parameters,
  its fitted NumPy arrays (as raw bytes with their dtype and shape) and
  small helper objects of trusted classes (the feature scaler, scikit-learn's
  ``MissingIndicator``), each rebuilt from its attributes without calling
  any of its methods;
* a neural imputer's skorch net is not stored as an object: ``load`` builds
  it again from the imputer's parameters (the code that fitted it) and fills
  it with the saved ``state_dict`` of each torch module, on the device asked
  for (``map_location``);
* a format version is checked first: a file written by a newer sklimpute, a
  truncated file or a file of another kind fails with an error that names
  the file and what is wrong.

Training-time objects are not saved: the optimizers' state (a new ``fit``
starts from scratch anyway) and the ``callbacks`` parameter (arbitrary
objects; it is stored as None, with a warning).
"""

import importlib
import io
import os
import pickle
import re
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from skorch import NeuralNet
from skorch.history import History
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ._version import __version__
from .training import net_defaults, seeded

__all__ = ["FORMAT_VERSION", "ModelFileError", "load", "save"]

#: Version of the file layout; :func:`load` refuses files of a newer one.
FORMAT_VERSION = 1
_FORMAT = "sklimpute-model"

#: classes outside sklimpute whose instances a file may hold (rebuilt from
#: their attributes): scikit-learn's helpers found in fitted imputers
_TRUSTED_OUTSIDE = {"sklearn.impute._base:MissingIndicator"}


class ModelFileError(ValueError):
    """A model file that cannot be loaded: unreadable, truncated, foreign or too new."""


class _Skip(Exception):
    """A value that has no safe encoding (raised inside the encoder)."""


def _is_imputer(obj):
    """A sklimpute imputer (``sklimpute.base.BaseImputer``, which imports this module)."""
    return any(_class_path(c) == "sklimpute.base:BaseImputer" for c in type(obj).__mro__)


def _resolve_device(device):
    """``device`` as a torch.device ("auto": CUDA when present); CUDA must exist."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device={device!r} is not a torch device: {exc}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} but CUDA is not available on this machine; use "
                         "device='cpu' or device=None.")
    return dev


def _class_path(cls):
    return f"{cls.__module__}:{cls.__qualname__}"


def _is_trusted(cls, extra):
    if cls in extra:
        return True
    module = cls.__module__
    if module == "sklimpute" or module.startswith("sklimpute."):
        return not issubclass(cls, (torch.nn.Module, NeuralNet))
    if _class_path(cls) in _TRUSTED_OUTSIDE:
        return True
    return module.startswith("sklearn.") and issubclass(cls, BaseEstimator)


# --------------------------------------------------------------------- encode
class _Encoder:
    """Turn an object tree into tensors and plain containers (weights-only loadable).

    ``strict``: objects of trusted classes are encoded by their attributes
    and anything else raises :class:`_Skip`; otherwise (a net's or module's
    own attributes) only plain data is kept.
    """

    def __init__(self, trusted=()):
        self.trusted = set(trusted)
        self.memo = {}
        self.keep_alive = []

    def __call__(self, value, strict=True):
        if value is None or type(value) in (bool, int, float, str):
            return value
        if isinstance(value, torch.Tensor):
            return {"__type__": "tensor", "data": value.detach().cpu()}
        if isinstance(value, np.ndarray):
            return self._array(value)
        if isinstance(value, np.generic):
            return {"__type__": "npscalar", "array": self._array(np.asarray(value))}
        if isinstance(value, torch.device):
            return {"__type__": "device", "value": str(value)}
        if isinstance(value, np.dtype):
            return {"__type__": "npdtype", "value": self._dtype_str(value)}
        if isinstance(value, torch.dtype):
            return {"__type__": "torchdtype", "value": str(value).removeprefix("torch.")}
        if isinstance(value, pd.CategoricalDtype):
            return {"__type__": "categorical_dtype", "categories": self(np.asarray(value.categories)),
                    "ordered": bool(value.ordered)}
        if isinstance(value, (tuple, list)) and type(value) in (tuple, list):
            return {"__type__": type(value).__name__, "items": [self(v, strict) for v in value]}
        if type(value) is dict:
            return {"__type__": "dict", "items": [[self(k, strict), self(v, strict)]
                                                  for k, v in value.items()]}
        if id(value) in self.memo:
            return {"__type__": "ref", "id": self.memo[id(value)]}
        if isinstance(value, History):
            ref = self._remember(value)
            return {"__type__": "history", "id": ref,
                    "items": [self(dict(row), strict) for row in value]}
        if not strict or not _is_trusted(type(value), self.trusted):
            raise _Skip(type(value))
        ref = self._remember(value)
        state = {}
        nets = {}
        for key, item in vars(value).items():
            if isinstance(item, NeuralNet):
                nets[key] = item
            else:
                state[key] = self._attribute(value, key, item)
        return {"__type__": "object", "class": _class_path(type(value)), "id": ref,
                "state": state, "nets": {k: self._net(v) for k, v in nets.items()}}

    def _remember(self, value):
        self.memo[id(value)] = len(self.memo)
        self.keep_alive.append(value)
        return self.memo[id(value)]

    def _attribute(self, owner, key, item):
        if key == "callbacks" and _is_imputer(owner) and item:
            warnings.warn(
                f"{type(owner).__name__}'s callbacks are not saved (they are arbitrary "
                "training-time objects): the loaded imputer has callbacks=None. Set them "
                "again before refitting.", UserWarning, stacklevel=4)
            return None
        try:
            return self(item)
        except _Skip as exc:
            raise TypeError(
                f"cannot save {type(owner).__name__}.{key}: an object of type "
                f"{exc.args[0].__module__}.{exc.args[0].__qualname__} is not a type the "
                "model file stores (tensors, arrays, plain data, sklimpute and scikit-learn "
                "objects). Pass its class in save(..., trusted=[...]) and load(..., "
                "trusted=[...]) if you trust it."
            ) from None

    def _plain(self, obj, exclude=()):
        out = {}
        for key, item in vars(obj).items():
            if key in exclude or key.startswith("_"):
                continue
            try:
                out[key] = self(item, strict=False)
            except _Skip:
                continue
        return out

    def _net(self, net):
        modules = {}
        for name in list(net._modules) + list(net._criteria):
            module = getattr(net, name + "_")
            modules[name] = {
                "state_dict": {k: v.detach().cpu() for k, v in module.state_dict().items()},
                "attributes": {path: self._plain(sub, exclude=("training",))
                               for path, sub in module.named_modules()},
            }
        attrs = self._plain(net, exclude=("device",))
        return {"__type__": "net", "modules": modules, "attributes": attrs}

    @staticmethod
    def _dtype_str(dtype):
        return dtype.str if dtype.kind != "O" else "object"

    def _array(self, arr):
        if arr.dtype.kind == "O":
            items = arr.ravel().tolist()
            return {"__type__": "objarray", "shape": list(arr.shape),
                    "items": [self(v, strict=False) for v in items]}
        if arr.dtype.kind not in "biufcSUMm" or arr.dtype.hasobject:
            raise _Skip(type(arr))
        flat = np.ascontiguousarray(arr).reshape(-1).view(np.uint8)
        return {"__type__": "ndarray", "dtype": arr.dtype.str, "shape": list(arr.shape),
                "data": torch.from_numpy(flat.copy())}


# --------------------------------------------------------------------- decode
class _Decoder:
    def __init__(self, path, device, trusted=()):
        self.path = path
        self.device = device
        self.trusted = set(trusted)
        self.memo = {}

    def fail(self, what):
        raise ModelFileError(f"cannot load {str(self.path)!r}: {what}")

    def __call__(self, value):
        if value is None or type(value) in (bool, int, float, str):
            return value
        if type(value) is not dict or "__type__" not in value:
            self.fail(f"unexpected {type(value).__name__} in the model description "
                      "(the file is damaged or was not written by sklimpute)")
        kind = value["__type__"]
        if kind == "tensor":
            return value["data"].to(self.device)
        if kind == "ndarray":
            raw = value["data"].cpu().numpy()
            try:
                return raw.view(np.dtype(value["dtype"])).reshape(value["shape"]).copy()
            except (TypeError, ValueError) as exc:
                self.fail(f"an array does not match its dtype and shape ({exc})")
        if kind == "objarray":
            arr = np.empty(len(value["items"]), dtype=object)
            arr[:] = [self(v) for v in value["items"]]
            return arr.reshape(value["shape"])
        if kind == "npscalar":
            return self(value["array"])[()]
        if kind == "device":
            return torch.device(value["value"])
        if kind == "npdtype":
            return np.dtype(value["value"])
        if kind == "torchdtype":
            dtype = getattr(torch, value["value"], None)
            if not isinstance(dtype, torch.dtype):
                self.fail(f"unknown torch dtype {value['value']!r}")
            return dtype
        if kind == "categorical_dtype":
            return pd.CategoricalDtype(self(value["categories"]), ordered=value["ordered"])
        if kind in ("list", "tuple"):
            items = [self(v) for v in value["items"]]
            return items if kind == "list" else tuple(items)
        if kind == "dict":
            return {self(k): self(v) for k, v in value["items"]}
        if kind == "ref":
            if value["id"] not in self.memo:
                self.fail("a reference to an object that is not in the file")
            return self.memo[value["id"]]
        if kind == "history":
            hist = History([self(row) for row in value["items"]])
            self.memo[value["id"]] = hist
            return hist
        if kind == "object":
            return self._object(value)
        self.fail(f"unknown entry type {kind!r}")

    def _resolve(self, path):
        for cls in self.trusted:
            if _class_path(cls) == path:
                return cls
        module, _, qualname = path.partition(":")
        allowed = (module == "sklimpute" or module.startswith("sklimpute.")
                   or path in _TRUSTED_OUTSIDE or module.startswith("sklearn."))
        if not allowed:
            self.fail(f"it holds an object of class {path!r}, which is not a trusted type "
                      "(sklimpute's and scikit-learn's classes are; pass others in "
                      "load(..., trusted=[cls]) if you trust them)")
        try:
            obj = importlib.import_module(module)
            for part in qualname.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError):
            self.fail(f"class {path!r} does not exist in this installation (the file was "
                      "written by another version of sklimpute or scikit-learn)")
        if not isinstance(obj, type) or not _is_trusted(obj, self.trusted):
            self.fail(f"{path!r} is not a trusted class")
        return obj

    def _object(self, value):
        cls = self._resolve(value["class"])
        obj = cls.__new__(cls)
        self.memo[value["id"]] = obj
        obj.__dict__.update({k: self(v) for k, v in value["state"].items()})
        for key, record in value["nets"].items():
            setattr(obj, key, self._net(obj, record))
        return obj

    def _net(self, owner, record):
        if not _is_imputer(owner) or not hasattr(owner, "_build_net"):
            self.fail(f"a {type(owner).__name__} cannot rebuild a skorch net")
        owner.device_ = self.device
        n_features = owner.scaler_.offset_.shape[0]
        seed = int(getattr(owner, "_seed", 0))
        # initialisation draws random weights: restore the caller's generators
        with seeded(0, self.device):
            net = owner._build_net(n_features, **net_defaults(owner, 2, seed))
            net.initialize()
        for name, module_record in record["modules"].items():
            module = getattr(net, name + "_", None)
            if not isinstance(module, torch.nn.Module):
                self.fail(f"the saved module {name!r} does not exist in the rebuilt "
                          f"{type(net).__name__} (the model changed between versions)")
            try:
                module.load_state_dict(module_record["state_dict"])
            except RuntimeError as exc:
                self.fail(f"the weights of {name!r} do not fit the rebuilt network: "
                          f"{str(exc).splitlines()[0]}")
            subs = dict(module.named_modules())
            for path, attrs in module_record["attributes"].items():
                for key, item in attrs.items():
                    if path in subs:
                        setattr(subs[path], key, self(item))
        for key, item in record["attributes"].items():
            setattr(net, key, self(item))
        return net


# ------------------------------------------------------------------- public
def save(imputer, path, *, trusted=()):
    """Write a fitted imputer to ``path`` (a file :func:`load` reads on any device).

    Parameters
    ----------
    imputer : BaseImputer
        A fitted sklimpute imputer.
    path : str or path-like
        The file to write (the suffix is yours; ``.skl`` is the convention
        of the ``sklimpute`` command).
    trusted : sequence of type, default=()
        Classes other than sklimpute's and scikit-learn's whose instances the
        imputer holds (your own subclass, say); :func:`load` must be given
        the same.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from sklimpute import MatrixCompletionImputer, load
    >>> X = np.array([[1.0, 2.0], [np.nan, 4.0], [5.0, np.nan], [7.0, 8.0]])
    >>> imp = MatrixCompletionImputer(lam=0.1).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skl")
    >>> _ = imp.save(path)
    >>> bool((load(path).transform(X) == imp.transform(X)).all())
    True
    """
    if not _is_imputer(imputer):
        raise TypeError(f"save expects a sklimpute imputer, got {type(imputer).__name__}.")
    check_is_fitted(imputer)
    encoder = _Encoder(trusted)
    payload = {
        "format": _FORMAT,
        "format_version": FORMAT_VERSION,
        "sklimpute_version": __version__,
        "torch_version": str(torch.__version__),
        "class": _class_path(type(imputer)),
        "imputer": encoder(imputer),
    }
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def load(path, device=None, *, trusted=()):
    """Read an imputer written by :func:`save`, ready to ``transform`` on ``device``.

    Nothing in the file is executed: it is read with
    ``torch.load(weights_only=True)`` and the imputer is rebuilt from its
    parameters, arrays and network weights (see :mod:`sklimpute.persistence`).

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save` or :meth:`BaseImputer.save`.
    device : str, torch.device or None, default=None
        Where the networks go (``"cpu"``, ``"cuda"``, ``"auto"``...); it also
        becomes the imputer's ``device`` parameter. None keeps the device the
        imputer was fitted on when it exists here, and otherwise uses the CPU
        with a warning (a model fitted on a GPU imputes on a machine without
        one).
    trusted : sequence of type, default=()
        Classes other than sklimpute's and scikit-learn's that the file may
        hold (those given to :func:`save`).

    Returns
    -------
    imputer : BaseImputer
        The fitted imputer; its ``transform`` gives the same result as the
        saved one's on the same device.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ModelFileError
        (a ``ValueError``) The file is not an sklimpute model, is truncated
        or damaged, was written by a newer sklimpute, or holds classes that
        are not trusted.

    Examples
    --------
    >>> import tempfile, os
    >>> from sklimpute import load
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> _ = open(path, "w").write("hello")
    >>> load(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sklimpute.persistence.ModelFileError: cannot load '...notes.txt': not an sklimpute model file (not a zip archive written by sklimpute.save)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"cannot load {str(path)!r}: no such file")
    target = None if device is None else _resolve_device(device)
    with open(path, "rb") as f:
        head = f.read(4)
    if not zipfile.is_zipfile(path):
        what = ("truncated or damaged: it begins as a zip archive but its end is missing"
                if head == b"PK\x03\x04" else "not a zip archive written by sklimpute.save")
        raise ModelFileError(f"cannot load {str(path)!r}: not an sklimpute model file ({what})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
        if found or "weights_only" in str(exc).lower():
            what = f"the global {found.group(1)}" if found else "objects"
            raise ModelFileError(
                f"cannot load {str(path)!r}: it holds {what}, not only tensors and plain "
                "data; loading it could run code, so it is refused") from None
        raise ModelFileError(f"cannot load {str(path)!r}: not an sklimpute model file "
                             f"({first})") from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile, KeyError,
            AttributeError, IndexError, io.UnsupportedOperation) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelFileError(f"cannot load {str(path)!r}: not an sklimpute model file, or a "
                             f"damaged one ({first})") from None
    if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
        raise ModelFileError(f"cannot load {str(path)!r}: a torch file, but not an sklimpute "
                             "model (it was not written by sklimpute.save)")
    version = payload.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"cannot load {str(path)!r}: model file format {version!r} was written by "
            f"sklimpute {payload.get('sklimpute_version')}, but this sklimpute "
            f"({__version__}) reads format {FORMAT_VERSION} and older; upgrade sklimpute.")
    if payload.get("sklimpute_version") != __version__:
        warnings.warn(
            f"{str(path)!r} was written by sklimpute {payload.get('sklimpute_version')} and is "
            f"loaded by sklimpute {__version__}: check its imputations.", UserWarning,
            stacklevel=2)
    record = payload.get("imputer")
    saved = _saved_device(record)
    if target is None:
        if saved is not None and saved.type == "cuda" and not torch.cuda.is_available():
            warnings.warn(
                f"{str(path)!r} holds a model fitted on {saved}, and CUDA is not available "
                "here: it is loaded on the CPU.", UserWarning, stacklevel=2)
            target = torch.device("cpu")
        else:
            target = saved if saved is not None else torch.device("cpu")
    decoder = _Decoder(path, target, trusted)
    try:
        imputer = decoder(record)
    except ModelFileError:
        raise
    except (KeyError, TypeError, AttributeError, IndexError) as exc:
        raise ModelFileError(f"cannot load {str(path)!r}: the model description is damaged "
                             f"({type(exc).__name__}: {exc})") from None
    if not _is_imputer(imputer):
        raise ModelFileError(f"cannot load {str(path)!r}: it does not hold an imputer")
    if "device_" in vars(imputer):
        imputer.device_ = target
        if device is not None:
            imputer.device = device if isinstance(device, str) else str(device)
    return imputer


def _saved_device(record):
    try:
        for key, value in record["state"].items():
            if key == "device_":
                return torch.device(value["value"])
    except (KeyError, TypeError, AttributeError, RuntimeError):
        return None
    return None
