"""DeepImputer's training machinery (skorch), seeding, devices and sampling."""

import numpy as np
import pytest
import torch
from conftest import MaskedMLPImputer
from skorch.callbacks import Callback

from sklimpute.base import check_image_shape
from sklimpute.scaling import FeatureScaler
from sklimpute.training import default_n_threads, resolve_device


@pytest.fixture
def X(digits_missing):
    return digits_missing[0][:400]


def test_global_random_state_untouched(X):
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    np_before = np.random.get_state()[1].copy()
    MaskedMLPImputer(epochs=2, random_state=0).fit(X)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert np.array_equal(np.random.get_state()[1], np_before)


def test_different_seeds_differ(X):
    a = MaskedMLPImputer(epochs=2, random_state=0).fit(X).transform(X)
    b = MaskedMLPImputer(epochs=2, random_state=1).fit(X).transform(X)
    assert not np.allclose(a, b)


def test_early_stopping_on_validation_loss(X):
    imp = MaskedMLPImputer(epochs=500, patience=2, lr=0.05, random_state=0).fit(X)
    assert imp.n_epochs_ < 500
    assert "valid_loss" in imp.history_[-1]
    # the best epoch's weights are restored: the validation loss of the
    # restored net is the best one seen
    best = min(imp.history_[:, "valid_loss"])
    assert imp.history_[-1, "valid_loss"] >= best


def test_no_validation_split(X):
    imp = MaskedMLPImputer(epochs=3, validation_fraction=0.0, random_state=0).fit(X)
    assert "valid_loss" not in imp.history_[-1]
    assert imp.n_epochs_ == 3


class Recorder(Callback):
    def initialize(self):
        self.epochs_seen = 0
        return self

    def on_epoch_end(self, net, **kwargs):
        self.epochs_seen += 1


class StopAt(Callback):
    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) >= self.epoch:
            raise KeyboardInterrupt


def test_callbacks_are_passed_to_skorch(X):
    rec = Recorder()
    MaskedMLPImputer(epochs=4, patience=None, callbacks=[("rec", rec)], random_state=0).fit(X)
    assert rec.epochs_seen == 4


def test_interrupted_training_leaves_usable_imputer(X):
    imp = MaskedMLPImputer(epochs=50, patience=None, callbacks=[StopAt(2)], random_state=0).fit(X)
    assert imp.n_epochs_ == 2
    out = imp.transform(X)
    assert not np.isnan(out).any()


def test_verbose_shows_progress(X, capsys):
    MaskedMLPImputer(epochs=2, verbose=0, random_state=0).fit(X)
    quiet = capsys.readouterr()
    assert quiet.out == "" and quiet.err == ""
    MaskedMLPImputer(epochs=2, verbose=1, random_state=0).fit(X)
    assert "epoch" in capsys.readouterr().err
    MaskedMLPImputer(epochs=2, verbose=2, random_state=0).fit(X)
    assert "valid_loss" in capsys.readouterr().out


class ThreadProbe(Callback):
    def on_epoch_end(self, net, **kwargs):
        self.threads_ = torch.get_num_threads()


@pytest.mark.parametrize("n_threads", [None, 1, 2])
def test_threads_set_during_fit_and_restored(X, n_threads):
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    try:
        probe = ThreadProbe()
        imp = MaskedMLPImputer(epochs=1, n_threads=n_threads, callbacks=[probe], random_state=0)
        imp.fit(X).transform(X)
        expected = n_threads or default_n_threads()
        assert probe.threads_ == expected
        assert torch.get_num_threads() == 3
    finally:
        torch.set_num_threads(before)


def test_device_resolution():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda")
    with pytest.raises(ValueError, match="not a torch device"):
        resolve_device("gpu-please")


def test_bad_device_fails_before_training(X):
    rec = Recorder()
    with pytest.raises(ValueError, match="device"):
        MaskedMLPImputer(epochs=2, device="gpu-please", callbacks=[("rec", rec)]).fit(X)


def test_sample_imputations(X):
    imp = MaskedMLPImputer(epochs=2, random_state=0).fit(X)
    draws = imp.sample_imputations(X[:50], n_draws=4, random_state=0)
    assert draws.shape == (4, 50, 64)
    obs = ~np.isnan(X[:50])
    for d in draws:
        np.testing.assert_array_equal(d[obs], X[:50][obs])
    assert not np.allclose(draws[0][~obs], draws[1][~obs])
    again = imp.sample_imputations(X[:50], n_draws=4, random_state=0)
    np.testing.assert_array_equal(draws, again)


def test_one_sample_is_refused_clearly():
    with pytest.raises(ValueError, match="1 sample"):
        MaskedMLPImputer(epochs=1).fit(np.ones((1, 4)))


def test_invalid_parameters_are_named():
    with pytest.raises(ValueError, match="batch_size"):
        MaskedMLPImputer(batch_size=0).fit(np.ones((10, 4)))


def test_check_image_shape_errors():
    assert check_image_shape(None, 5) is None
    with pytest.raises(ValueError, match="not an image shape"):
        check_image_shape((8,), 8)
    with pytest.raises(ValueError, match="not an image shape"):
        check_image_shape((8, 8.5), 68)
    with pytest.raises(ValueError, match="784 values.*64 features"):
        check_image_shape((28, 28), 64)


def test_feature_scaler_pools_per_channel_for_images():
    rng = np.random.RandomState(0)
    X = np.concatenate([rng.rand(20, 16), 10 + 5 * rng.rand(20, 16)], axis=1)  # 2 channels of 4x4
    X[:, 0] = 0.0  # a constant pixel must not be blown up
    observed = rng.rand(*X.shape) > 0.2
    s = FeatureScaler("minmax", shape=(2, 4, 4)).fit(X, observed)
    assert len(set(s.scale_[:16])) == 1 and len(set(s.scale_[16:])) == 1
    Z = s.transform(X)
    assert Z[observed].min() >= 0 and Z[observed].max() <= 1
    np.testing.assert_allclose(s.inverse_transform(Z), X)
    per_feature = FeatureScaler("standard").fit(X, observed)
    assert per_feature.scale_[0] == 1.0  # constant column: unit scale, no division by 0
