"""The registry is the one list of imputers: CLI, exports, common tests and docs follow it."""

import importlib
import os
import sys

import numpy as np
import pytest

import sklimpute
from sklimpute import cli
from sklimpute.base import BaseImputer
from sklimpute.models import REGISTRY, register


class ToyImputer(BaseImputer):
    """Fills every hole with 0 in the scaled space (the observed mean)."""

    def _fit(self, X, observed):
        return self

    def _impute(self, X, observed):
        return X


@pytest.fixture
def toy():
    entry = register(ToyImputer, "toy")
    yield entry
    del REGISTRY["toy"]


def test_every_export_is_registered():
    classes = {e.cls.__name__ for e in REGISTRY.values()}
    exported = {n for n in sklimpute.__all__ if n.endswith("Imputer")} - {"BaseImputer", "DeepImputer"}
    assert exported == classes


def test_a_registered_imputer_reaches_the_cli(toy):
    assert cli.all_methods()["toy"] is ToyImputer
    imp = cli.make_imputer("toy", shape=None)
    X = np.array([[1.0, np.nan], [3.0, 4.0], [5.0, 6.0]])
    assert not np.isnan(imp.fit_transform(X)).any()
    assert "toy" in cli.build_parser().parse_args(["compare", "--methods", "toy"]).methods


def test_a_registered_imputer_reaches_the_common_tests(toy, monkeypatch):
    tests_dir = os.path.dirname(__file__)
    monkeypatch.syspath_prepend(tests_dir)
    sys.modules.pop("test_common", None)
    common = importlib.import_module("test_common")
    try:
        assert "ToyImputer" in [type(e).__name__ for e in common.IMPUTERS]
    finally:
        sys.modules.pop("test_common", None)


def test_a_registered_imputer_reaches_the_api_docs(toy, tmp_path, monkeypatch):
    conf_path = os.path.join(os.path.dirname(__file__), "..", "docs", "conf.py")
    if not os.path.exists(conf_path):
        pytest.skip("docs are not part of this checkout")
    spec = importlib.util.spec_from_file_location("sklimpute_docs_conf", conf_path)
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    out = tmp_path / "imputers.inc"
    conf.write_imputer_list(str(out))
    assert "   ToyImputer" in out.read_text().splitlines()
