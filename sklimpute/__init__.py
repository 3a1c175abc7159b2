"""sklimpute: deep generative imputers as scikit-learn estimators, for tables and images.

The imputers exported here are those of the registry,
:data:`sklimpute.models.REGISTRY`.
"""

from .base import BaseImputer
from .deep import DeepImputer
from .models import REGISTRY
from .simulate import make_missing

__version__ = "0.1.0"

globals().update({entry.cls.__name__: entry.cls for entry in REGISTRY.values()})

__all__ = [
    "BaseImputer",
    "DeepImputer",
    *sorted(entry.cls.__name__ for entry in REGISTRY.values()),
    "make_missing",
    "__version__",
]
