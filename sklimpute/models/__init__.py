"""One module per method, and THE registry of sklimpute's imputers.

:data:`REGISTRY` maps each imputer's command-line name to an
:class:`ImputerEntry`: the class, the small settings the common tests run it
with, one hyperparameter a grid search can tune, and how comparisons use it.
The package's exports (``sklimpute.__all__``), the ``sklimpute`` command's
method list, ``tests/test_common.py`` and the API reference are all derived
from it: a new imputer is its model file, one :func:`register` call here, its
tests and its docs page.
"""

from dataclasses import dataclass, field

from sklearn.impute import KNNImputer, SimpleImputer

from .auto import AutoImputer
from .gain import GAINImputer
from .gaussian import GaussianImputer
from .glow import GlowImputer
from .inpainting import InpaintingImputer
from .matrix_completion import MatrixCompletionImputer
from .misgan import MisGANImputer
from .single_image import SingleImageImputer
from .spatialgain import SpatialGAINImputer
from .vaewl import VAEImputer, VAEWLImputer
from .vsae import VSAEImputer

__all__ = ["REGISTRY", "ImputerEntry", "register"]


@dataclass(frozen=True)
class ImputerEntry:
    """How sklimpute's tools see one imputer class.

    Attributes
    ----------
    cls : type
        The estimator class.
    name : str
        Its command-line name (``sklimpute impute --method NAME``).
    test_params : dict
        Small settings (few epochs) the common tests run it with.
    test_grid : dict
        One hyperparameter and two values a grid search can tune.
    predictor : bool
        Whether ``transform`` predicts scattered holes and must beat mean
        imputation on them (False for a model scored as a sampler, or built
        for one region per image).
    compare : bool
        Whether ``sklimpute compare`` runs it by default (False for models
        that are slow at their paper's settings or made for one region).
    images_only : bool
        Whether it is meant for images (``shape`` given) rather than tables.
    common_tests : bool
        Whether ``tests/test_common.py`` runs it (False for a subclass that
        only changes defaults, or a model tested by its own file only).
    """

    cls: type
    name: str
    test_params: dict = field(default_factory=dict)
    test_grid: dict = field(default_factory=dict)
    predictor: bool = True
    compare: bool = True
    images_only: bool = False
    common_tests: bool = True


#: command-line name -> :class:`ImputerEntry`, in the order of the docs
REGISTRY = {}


def register(cls, name, **options):
    """Add ``cls`` to :data:`REGISTRY` under ``name`` and return its entry.

    Examples
    --------
    >>> from sklimpute.models import REGISTRY
    >>> REGISTRY["inpainting"].cls.__name__
    'InpaintingImputer'
    """
    entry = ImputerEntry(cls, name, **options)
    REGISTRY[name] = entry
    return entry


register(MatrixCompletionImputer, "matrix_completion", test_grid={"lam": [0.5, 5.0]})
# full covariances: a table imputer (the common tests' 64 features are many
# for it; a fixed ridge, two components and few EM iterations keep them quick;
# tests/test_gaussian.py tests n_components="auto")
register(GaussianImputer, "gaussian", test_params=dict(n_components=2, ridge=0.1, max_iter=20),
         test_grid={"ridge": [0.01, 1.0]})
# an image filter: on the digits read as rows of a table (the common tests'
# data) it interpolates between unrelated columns; tests/test_inpainting.py
# tests it on images
register(InpaintingImputer, "inpainting", test_grid={"method": ["biharmonic", "diffusion"]},
         predictor=False, images_only=True)
register(VAEWLImputer, "vaewl", test_params=dict(epochs=20, lr=3e-3, dropout=0.0),
         test_grid={"gamma": [2.0, 5.0]})
register(VAEImputer, "vae", common_tests=False)  # VAE-WL's class with other defaults
register(GAINImputer, "gain", test_params=dict(epochs=60), test_grid={"alpha": [10.0, 100.0]})
register(SpatialGAINImputer, "spatialgain", test_params=dict(epochs=8),
         test_grid={"hint_rate": [0.5, 0.9]}, images_only=True)
# one photograph at a time, trained on its own crops: tests/test_single_image.py
register(SingleImageImputer, "single_image", predictor=False, compare=False, images_only=True,
         common_tests=False)
# Glow shrinks a whole image's latent (its paper's setting is one square per
# image)
register(GlowImputer, "glow", test_params=dict(n_steps=2, hidden_channels=16, epochs=5),
         test_grid={"alpha": [0.5, 0.7]}, predictor=False, compare=False, images_only=True)
# MisGAN at its defaults beats the mean's MAE and RMSE on MNIST from 10% to
# 70% dropout, not at 90% (benchmarks/results/misgan_mnist.md); its test
# settings train too briefly for the common tests' bar (0.9 x the mean's MAE)
register(MisGANImputer, "misgan", test_params=dict(epochs=3, latent_dim=16, imputer_hidden=32),
         test_grid={"beta": [0.1, 0.5]}, predictor=False)
# VSAE's ELBO with the full KL term (beta=1) collapses to the column means on
# the digits within a test's budget (docs/methods/vsae.rst); beta=0.1 does not
register(VSAEImputer, "vsae", test_params=dict(epochs=20, warmup_epochs=5, beta=0.1),
         test_grid={"latent_dim": [8, 20]})
# chooses among other imputers by their held-out error; the common tests run
# it with two quick candidates (its defaults fit four, a forest among them)
register(AutoImputer, "auto",
         test_params=dict(candidates=[("mean", SimpleImputer()), ("knn", KNNImputer())]),
         test_grid={"holdout": [0.1, 0.2]})
