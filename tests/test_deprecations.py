"""Renamed public names keep working for a while, with a FutureWarning."""

import pytest

from sklimpute import MisGANImputer, VSAEImputer
from sklimpute.models import gain, misgan, spatialgain


@pytest.mark.parametrize("module,old,new", [
    (gain, "DenseGAINNet", "DenseGAINModule"),
    (spatialgain, "SpatialGAINNet", "SpatialGAINModule"),
    (misgan, "Imputer", "ImputerModule"),
])
def test_torch_modules_former_names(module, old, new):
    with pytest.warns(FutureWarning, match=new):
        assert getattr(module, old) is getattr(module, new)
    with pytest.raises(AttributeError):
        module.NoSuchName


@pytest.mark.parametrize("cls", [VSAEImputer, MisGANImputer])
def test_generate_is_sample(cls, monkeypatch):
    calls = []
    monkeypatch.setattr(cls, "sample", lambda self, n, *, random_state=None: calls.append((n, random_state)))
    with pytest.warns(FutureWarning, match="sample"):
        cls().generate(3, random_state=7)
    assert calls == [(3, 7)]
