"""Saving and loading fitted imputers: every imputer of the registry, devices, bad files."""

import pickle
import warnings
import zipfile

import numpy as np
import pytest
import torch
from sklearn.base import clone

import sklimpute
from sklimpute import GAINImputer, MatrixCompletionImputer, VAEWLImputer, load
from sklimpute.models import REGISTRY
from sklimpute.persistence import FORMAT_VERSION, ModelFileError


def _data(entry, digits):
    """Fit rows and other rows with holes; images for image-only imputers."""
    rng = np.random.RandomState(0)
    X = digits[:300].copy()
    if entry.name == "single_image":  # 16 x 16 images, one localised hole each
        X = np.kron(X[:5].reshape(-1, 8, 8), np.ones((2, 2))).reshape(5, -1)
        X.reshape(5, 16, 16)[:, 6:9, 6:9] = np.nan
        return X, X[2:]
    else:
        X[rng.rand(*X.shape) < 0.3] = np.nan
    return X[:200], X[200:240]


def _imputer(entry):
    params = dict(entry.test_params, random_state=0)
    if entry.images_only:
        params["shape"] = (16, 16) if entry.name == "single_image" else (8, 8)
    if entry.name == "single_image":
        params["estimator"] = "nearest"
    return entry.cls(**params)


def _assert_same_params(a, b):
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(b[key], float) and np.isnan(b[key]):
            assert np.isnan(a[key]), key
        else:
            assert repr(a[key]) == repr(b[key]), key


@pytest.mark.parametrize("name", list(REGISTRY))
def test_save_load_round_trip_bit_for_bit(name, digits, tmp_path):
    entry = REGISTRY[name]
    X, X2 = _data(entry, digits)
    imp = _imputer(entry).fit(X)
    expected = imp.transform(X2)
    path = imp.save(tmp_path / "model.skl")
    restored = load(path)
    assert type(restored) is type(imp)
    _assert_same_params(restored.get_params(deep=False), imp.get_params(deep=False))
    np.testing.assert_array_equal(restored.transform(X2), expected)
    if hasattr(imp, "sample_imputations"):
        try:
            draws = imp.sample_imputations(X2, 2, random_state=3)
        except ValueError as exc:
            # SpatialGAIN with a deterministic fill says it cannot draw; so
            # must the restored one
            assert "cannot draw" in str(exc)
            with pytest.raises(ValueError, match="cannot draw"):
                restored.sample_imputations(X2, 2, random_state=3)
        else:
            np.testing.assert_array_equal(restored.sample_imputations(X2, 2, random_state=3),
                                          draws)
    if hasattr(imp, "history_"):
        assert list(restored.history_[:, "train_loss"]) == list(imp.history_[:, "train_loss"])
        assert restored.history_ is restored.net_.history


def test_load_does_not_touch_torch_global_generator(digits, tmp_path):
    X, _ = _data(REGISTRY["vaewl"], digits)
    imp = VAEWLImputer(epochs=2, random_state=0).fit(X)
    path = imp.save(tmp_path / "m.skl")
    torch.manual_seed(5)
    load(path)
    after = torch.rand(3)
    torch.manual_seed(5)
    assert torch.equal(after, torch.rand(3))


def test_indicator_pandas_and_callbacks(digits, tmp_path):
    import pandas as pd
    from skorch.callbacks import EpochTimer

    X, X2 = _data(REGISTRY["gain"], digits)
    cols = [f"c{j}" for j in range(X.shape[1])]
    imp = GAINImputer(epochs=2, add_indicator=True, random_state=0, callbacks=[EpochTimer()])
    imp.fit(pd.DataFrame(X, columns=cols))
    with pytest.warns(UserWarning, match="callbacks are not saved"):
        imp.save(tmp_path / "m.skl")
    restored = load(tmp_path / "m.skl")
    assert restored.callbacks is None
    np.testing.assert_array_equal(restored.feature_names_in_, imp.feature_names_in_)
    frame = pd.DataFrame(X2, columns=cols)
    np.testing.assert_array_equal(restored.transform(frame), imp.transform(frame))
    assert restored.transform(frame).shape[1] > X.shape[1]  # the indicator columns


def _fake_cuda(imp):
    imp.device, imp.device_ = "cuda", torch.device("cuda")
    imp.net_.device = "cuda"
    return imp


@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates a machine without CUDA")
def test_cuda_model_loads_and_imputes_on_cpu(digits, tmp_path):
    X, X2 = _data(REGISTRY["vaewl"], digits)
    imp = VAEWLImputer(epochs=2, random_state=0).fit(X)
    expected = imp.transform(X2)
    _fake_cuda(imp).save(tmp_path / "gpu.skl")
    with pytest.warns(UserWarning, match="CUDA is not available here"):
        restored = load(tmp_path / "gpu.skl")
    assert restored.device_ == torch.device("cpu")
    np.testing.assert_array_equal(restored.transform(X2), expected)
    # an explicit device: no warning, and the parameter follows
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explicit = load(tmp_path / "gpu.skl", device="cpu")
    assert explicit.device == "cpu"
    np.testing.assert_array_equal(explicit.transform(X2), expected)
    with pytest.raises(ValueError, match="CUDA is not available"):
        load(tmp_path / "gpu.skl", device="cuda")


@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates a machine without CUDA")
def test_unpickling_a_cuda_model_moves_it_to_cpu(digits):
    X, X2 = _data(REGISTRY["gain"], digits)
    imp = GAINImputer(epochs=2, random_state=0).fit(X)
    expected = imp.transform(X2)
    blob = pickle.dumps(_fake_cuda(imp))
    with pytest.warns(UserWarning, match="moved to the CPU"):
        restored = pickle.loads(blob)
    assert restored.device_ == torch.device("cpu") and restored.net_.device == "cpu"
    np.testing.assert_array_equal(restored.transform(X2), expected)


@pytest.fixture
def saved(tmp_path):
    X = np.array([[1.0, 2.0, 3.0], [np.nan, 4.0, 5.0], [5.0, np.nan, 1.0], [7.0, 8.0, 2.0]])
    path = MatrixCompletionImputer(lam=0.1).fit(X).save(tmp_path / "m.skl")
    return path, X


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.skl"):
        load(tmp_path / "nope.skl")


@pytest.mark.parametrize("content, message", [
    (b"hello, not a model", "not an sklimpute model file"),
    (b"", "not an sklimpute model file"),
    (b"PK\x03\x04 and nothing else", "truncated"),
])
def test_foreign_file_clear_error(tmp_path, content, message):
    path = tmp_path / "foreign.skl"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=f"foreign.skl.*{message}"):
        load(path)


def test_truncated_file_clear_error(saved, tmp_path):
    path, _ = saved
    cut = tmp_path / "cut.skl"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelFileError, match="cut.skl.*truncated"):
        load(cut)


def test_torch_file_of_another_kind(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"weight": torch.ones(2)}, path)
    with pytest.raises(ModelFileError, match="weights.pt.*not an sklimpute model"):
        load(path)


class _Boom:
    def __reduce__(self):
        return (print, ("code ran on load",))


def test_a_pickle_that_runs_code_is_refused(tmp_path, capsys):
    path = tmp_path / "evil.skl"
    torch.save({"format": "sklimpute-model", "payload": _Boom()}, path)
    with pytest.raises(ModelFileError, match="evil.skl.*could run code"):
        load(path)
    assert "code ran" not in capsys.readouterr().out


def test_untrusted_class_is_refused(saved, tmp_path):
    path, _ = saved
    payload = torch.load(path, weights_only=True)
    state = payload["imputer"]["state"]
    state["scaler_"]["class"] = "subprocess:Popen"
    torch.save(payload, tmp_path / "bad.skl")
    with pytest.raises(ModelFileError, match="bad.skl.*'subprocess:Popen'.*not a trusted type"):
        load(tmp_path / "bad.skl")


def test_newer_format_is_refused(saved, tmp_path):
    path, _ = saved
    payload = torch.load(path, weights_only=True)
    payload["format_version"] = FORMAT_VERSION + 1
    torch.save(payload, tmp_path / "new.skl")
    with pytest.raises(ModelFileError, match="new.skl.*format 2.*upgrade sklimpute"):
        load(tmp_path / "new.skl")


def test_other_version_warns(saved, tmp_path):
    path, X = saved
    payload = torch.load(path, weights_only=True)
    payload["sklimpute_version"] = "0.0.1"
    torch.save(payload, tmp_path / "old.skl")
    with pytest.warns(UserWarning, match="written by sklimpute 0.0.1"):
        imp = load(tmp_path / "old.skl")
    assert np.isfinite(imp.transform(X)).all()


def test_file_is_a_zip_of_tensors_only(saved):
    path, _ = saved
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
    assert any(n.endswith("data.pkl") for n in names)


def test_save_needs_a_fitted_imputer(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        clone(MatrixCompletionImputer()).save(tmp_path / "m.skl")
    with pytest.raises(TypeError, match="sklimpute imputer"):
        sklimpute.persistence.save(object(), tmp_path / "m.skl")
