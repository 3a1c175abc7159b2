"""sklimpute: deep generative imputers as scikit-learn estimators, for tables and images."""

from .base import BaseImputer, DeepImputer
from .models.gain import GAINImputer, SingleImageImputer, SpatialGAINImputer
from .models.glow import GlowImputer
from .models.matrix_completion import MatrixCompletionImputer
from .models.misgan import MisGANImputer
from .models.vaewl import VAEImputer, VAEWLImputer
from .models.vsae import VSAEImputer
from .simulate import make_missing

__version__ = "0.1.0"

__all__ = [
    "BaseImputer",
    "DeepImputer",
    "GAINImputer",
    "GlowImputer",
    "MatrixCompletionImputer",
    "MisGANImputer",
    "SingleImageImputer",
    "SpatialGAINImputer",
    "VAEImputer",
    "VAEWLImputer",
    "VSAEImputer",
    "make_missing",
    "__version__",
]
