"""precision="auto" | "float32" | "bfloat16": the image networks under torch autocast."""

import numpy as np
import pytest
import torch

from sklimpute import SpatialGAINImputer, VAEWLImputer, make_missing
from sklimpute.training import bfloat16_is_fast, resolve_precision


def test_auto_is_bfloat16_exactly_where_the_device_has_it():
    expected = "bfloat16" if bfloat16_is_fast("cpu") else "float32"
    assert resolve_precision("auto", "cpu") == expected
    assert resolve_precision("float32", "cpu") == "float32"
    assert resolve_precision("bfloat16", "cpu") == "bfloat16"
    with pytest.raises(ValueError, match="precision must be one of"):
        resolve_precision("half", "cpu")


def _conv_dtypes(module):
    """The dtypes the convolutions of ``module`` output, recorded by forward hooks."""
    seen = set()
    for sub in module.modules():
        if isinstance(sub, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
            sub.register_forward_hook(lambda m, i, o: seen.add(o.dtype))
    return seen


@pytest.mark.parametrize("make", [
    lambda p: SpatialGAINImputer(shape=(8, 8), epochs=15, precision=p, random_state=0),
    lambda p: VAEWLImputer(shape=(8, 8), epochs=15, precision=p, random_state=0),
], ids=["spatialgain", "vaewl"])
def test_bfloat16_computes_in_bfloat16_and_imputes_as_well_as_float32(make, digits):
    X, hidden = make_missing(digits[:600], "mcar", 0.3, random_state=0)
    errors = {}
    for precision in ("float32", "bfloat16"):
        imp = make(precision).fit(X)
        assert imp.precision_ == precision
        dtypes = _conv_dtypes(imp.net_.module_)
        out = imp.transform(X)
        assert out.dtype == X.dtype and np.isfinite(out).all()
        assert dtypes == {torch.bfloat16 if precision == "bfloat16" else torch.float32}
        errors[precision] = np.abs(out - digits[:600])[hidden].mean()
    mean_error = np.abs(np.nanmean(X, axis=0) - digits[:600])[hidden].mean()
    assert errors["bfloat16"] < 0.9 * mean_error  # it trained (VAE-WL is weak on 8 x 8 digits)
    assert errors["bfloat16"] < 1.15 * errors["float32"]


def test_tables_stay_in_float32_with_auto(digits):
    X, _ = make_missing(digits[:200], "mcar", 0.3, random_state=0)
    assert VAEWLImputer(epochs=2, random_state=0).fit(X).precision_ == "float32"


def test_spatialgain_auto_epochs_spend_the_time_bfloat16_saves():
    imp = SpatialGAINImputer(shape=(28, 28))
    imp.precision_ = "float32"
    assert [imp._max_epochs(n) for n in (800, 4000, 10**6)] == [30, 20, 10]
    imp.precision_ = "bfloat16"  # about 1.6 times as fast: 1.5 times the rows, at most 50
    assert [imp._max_epochs(n) for n in (800, 4000, 10**6)] == [50, 30, 10]
    assert imp.set_params(epochs=7)._max_epochs(800) == 7
