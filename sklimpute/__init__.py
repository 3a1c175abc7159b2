"""sklimpute: deep generative imputers as scikit-learn estimators, for tables and images.

The imputers exported here are those of the registry,
:data:`sklimpute.models.REGISTRY`.
"""

from ._version import __version__
from .base import BaseImputer
from .deep import DeepImputer
from .models import REGISTRY
from .multiple import fit_pooled, rubin_rules
from .parallel import dask_transform
from .persistence import load
from .simulate import make_missing

globals().update({entry.cls.__name__: entry.cls for entry in REGISTRY.values()})

__all__ = [
    "BaseImputer",
    "DeepImputer",
    *sorted(entry.cls.__name__ for entry in REGISTRY.values()),
    "dask_transform",
    "fit_pooled",
    "load",
    "make_missing",
    "rubin_rules",
    "__version__",
]
