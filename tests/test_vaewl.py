"""VAE-WL and the plain VAE: behaviour that would fail without the method.

Small and fast: the 8x8 digits, a few hundred rows, a few dozen epochs of a
few milliseconds each. Every test fits with ``random_state`` set, so results
are reproducible.
"""

import copy

import numpy as np
import pytest
import torch
from sklearn.impute import SimpleImputer
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklimpute.training
from sklimpute import make_missing
from sklimpute.models.vaewl import VAEImputer, VAEWLImputer, loss_weights, vaewl_loss

#: a short training that learns on the digits in a few seconds, with the
#: paper's network (no skip path, holes pre-filled with 0) unless a test says
#: otherwise. The paper's 20% dropout slows the fit of these tiny 8x8 images to
#: a crawl, so it is off.
FAST = dict(shape=(8, 8), epochs=30, batch_size=32, dropout=0.0, patience=None, random_state=0,
            skip_connection=False, prefill="zeros")


def _hidden_mae(imp, X_missing, X_true, hidden):
    return np.abs(imp.transform(X_missing) - X_true)[hidden].mean()


@pytest.fixture(scope="module")
def digits_split(digits):
    """800 complete training digits, and 300 test digits with 30% MCAR holes."""
    X_test, hidden = make_missing(digits[1400:1700], "mcar", rate=0.3, random_state=2)
    return digits[:800], X_test, digits[1400:1700], hidden


@pytest.fixture(scope="module")
def vaewl_fitted(digits_split):
    return VAEWLImputer(**FAST).fit(digits_split[0])


@pytest.fixture(scope="module")
def mean_mae(digits_split):
    X_train, X_test, X_true, hidden = digits_split
    return _hidden_mae(SimpleImputer().fit(X_train), X_test, X_true, hidden)


# --------------------------------------------------------------- the method
# Trained on complete images, as in the paper: the only entries whose
# imputation can be learned are the ones the training loop hides.
def test_weighted_loss_beats_the_same_net_with_the_ordinary_loss(digits_split, vaewl_fitted, mean_mae):
    X_train, X_test, X_true, hidden = digits_split
    wl = _hidden_mae(vaewl_fitted, X_test, X_true, hidden)
    # the same network and the same hiding, without the weights
    unweighted = VAEWLImputer(gamma=1.0, beta=1.0, **FAST).fit(X_train)
    assert unweighted.hide_rate_ == vaewl_fitted.hide_rate_ == 0.3
    assert wl < 0.9 * _hidden_mae(unweighted, X_test, X_true, hidden)
    assert wl < 0.75 * mean_mae


def test_without_hiding_gamma_has_nothing_to_weigh(digits_split, vaewl_fitted):
    # hide_rate=0 on complete images: no entry is ever hidden, so none gets the
    # weight gamma, and the encoder never sees a hole before transform
    X_train, X_test, X_true, hidden = digits_split
    no_hiding = VAEWLImputer(hide_rate=0.0, **FAST).fit(X_train)
    wl = _hidden_mae(vaewl_fitted, X_test, X_true, hidden)
    assert wl < 0.9 * _hidden_mae(no_hiding, X_test, X_true, hidden)


@parametrize_with_checks([VAEImputer(epochs=2)])
def test_vae_imputer_is_sklearn_compatible(estimator, check):
    # VAEWLImputer runs through tests/test_common.py; its subclass only
    # changes defaults, this keeps it honest too
    check(estimator)


def test_vae_imputer_is_the_ordinary_vae():
    params = VAEImputer().get_params()
    assert (params["gamma"], params["beta"], params["hide_rate"]) == (1.0, 1.0, 0.0)
    # the paper's batches of 64: with 16 it imputed 4,000 MNIST images worse (speed.md)
    assert params == VAEWLImputer(gamma=1.0, beta=1.0, hide_rate=0.0, batch_size=64).get_params()


def test_fit_on_incomplete_data(digits, mean_mae, digits_split):
    _, X_test, X_true, hidden = digits_split
    X_train, _ = make_missing(digits[:800], "mcar", rate=0.3, random_state=1)
    imp = VAEWLImputer(**FAST).fit(X_train)
    assert imp.hide_rate_ == pytest.approx(0.3, abs=0.01)  # follows the data
    assert _hidden_mae(imp, X_test, X_true, hidden) < 0.85 * mean_mae


def test_hide_rate_defaults(digits_split):
    complete = VAEWLImputer(shape=(8, 8), epochs=1, random_state=0).fit(digits_split[0][:100])
    assert complete.hide_rate_ == 0.3 and complete.net_.hide_rate == 0.3
    fixed = VAEWLImputer(shape=(8, 8), epochs=1, hide_rate=0.5, random_state=0).fit(digits_split[1])
    assert fixed.hide_rate_ == 0.5


def test_skip_connection_option(digits_split, mean_mae):
    X_train, X_test, X_true, hidden = digits_split
    skip = VAEWLImputer(**{**FAST, "skip_connection": True}).fit(X_train)
    assert skip.net_.module_.skip is not None
    assert _hidden_mae(skip, X_test, X_true, hidden) < 0.8 * mean_mae


def test_prefill_feeds_the_network_a_diffusion_fill():
    from sklimpute.inpainting import diffusion_fill
    from sklimpute.models.vaewl import VAEWLModule

    x, seen = torch.rand(4, 64), (torch.rand(4, 64) > 0.3).float()
    image = VAEWLModule(64, (1, 8, 8), prefill="diffusion")
    assert torch.equal(image._filled(x, seen), diffusion_fill(x, seen, (1, 8, 8)))
    assert torch.equal(VAEWLModule(64, (1, 8, 8))._filled(x, seen), x * seen)
    # tables have no neighbours to diffuse from: the holes keep 0
    assert torch.equal(VAEWLModule(64, None, prefill="diffusion")._filled(x, seen), x * seen)


def test_defaults_skip_and_prefill_beat_the_papers_network(digits_split):
    X_train, X_test, X_true, hidden = digits_split
    kw = {k: v for k, v in FAST.items() if k not in ("skip_connection", "prefill")}
    ours = VAEWLImputer(**kw).fit(X_train)
    paper = VAEWLImputer(**FAST).fit(X_train)
    assert ours.net_.module_.prefill == "diffusion" and ours.net_.module_.skip is not None
    # measured when written: 0.119 against 0.127; on a fresh install of
    # 2026-12 (scikit-learn 1.9.1, numpy 2.4.6) 0.120 against 0.126: the
    # defaults stay ahead, by 4.5% instead of 6%
    assert _hidden_mae(ours, X_test, X_true, hidden) < 0.97 * _hidden_mae(paper, X_test, X_true, hidden)


# ------------------------------------------------- every parameter is used
@pytest.mark.parametrize(
    "param, value",
    [
        ("gamma", 1.0),
        ("beta", 1.0),
        ("latent_dim", 8),
        ("hide_rate", 0.6),
        ("hide_pattern", "mcar"),
        ("dropout", 0.0),
        ("weight_decay", 0.1),
        ("reconstruction", "mse"),
        ("skip_connection", False),
        ("prefill", "zeros"),
    ],
)
def test_each_hyperparameter_changes_the_fitted_model(digits_split, param, value):
    X = digits_split[1][:200]
    base = dict(shape=(8, 8), epochs=2, patience=None, random_state=0, dropout=0.2)
    if param == "hide_rate":  # the rate is what MCAR hiding hides; the data's pattern has its own
        base["hide_pattern"] = "mcar"
    ref = VAEWLImputer(**base).fit(X)
    imp = VAEWLImputer(**{**base, param: value}).fit(X)
    assert not np.allclose(ref.transform(X), imp.transform(X))
    net, module = imp.net_, imp.net_.module_
    reached = {
        "gamma": lambda: net.gamma == value,
        "beta": lambda: net.beta == value,
        "latent_dim": lambda: module.latent_dim == value,
        "hide_rate": lambda: net.hide_rate == value,
        "hide_pattern": lambda: net.hide_pattern == value == imp.hide_pattern_,
        "dropout": lambda: not any(isinstance(m, torch.nn.modules.dropout._DropoutNd) for m in module.modules()),
        "weight_decay": lambda: net.optimizer_.param_groups[0]["weight_decay"] == value,
        "reconstruction": lambda: net.reconstruction == "mse" and imp.scaler_.method == "standard",
        "skip_connection": lambda: module.skip is None,
        "prefill": lambda: module.prefill is None,
    }
    assert reached[param]()


def test_defaults_are_the_papers_loss_with_our_network_settings():
    imp = VAEWLImputer()
    assert (imp.gamma, imp.beta, imp.latent_dim, imp.lr, imp.batch_size) == (5.0, 0.1, 32, 1e-3, 16)
    # ours, measured on MNIST (docs/methods/vaewl.rst); the paper: 64 (batch), 0.2, False, 0, 200
    assert (imp.dropout, imp.skip_connection, imp.prefill, imp.epochs) == (0.0, True, "diffusion", 30)


def test_paper_architecture():
    from sklimpute.models.vaewl import VAEWLModule

    module = VAEWLModule(784, (1, 28, 28), latent_dim=32, dropout=0.2)
    convs = [m for m in module.encoder.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size, c.stride) for c in convs] == [(32, (3, 3), (2, 2))] * 2
    dense = [m.out_features for m in module.encoder.modules() if isinstance(m, torch.nn.Linear)]
    assert dense == [392, 196, 64]  # 32 means and 32 log-variances
    out, mu, logvar = module.eval()(torch.rand(3, 784), torch.ones(3, 784))
    assert out.shape == (3, 784) and mu.shape == logvar.shape == (3, 32)


@pytest.mark.parametrize("gamma, beta, message", [(-1.0, 0.1, "gamma"), (5.0, -0.5, "beta")])
def test_invalid_parameters(digits_split, gamma, beta, message):
    with pytest.raises(ValueError, match=message):
        VAEWLImputer(gamma=gamma, beta=beta).fit(digits_split[1][:50])
    with pytest.raises(ValueError, match="reconstruction"):
        VAEWLImputer(reconstruction="l1").fit(digits_split[1][:50])


# ------------------------------------------ the real holes are never scored
def test_loss_weights():
    mask = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    seen = torch.tensor([[1.0, 0.0, 0.0, 1.0]])  # a "seen" hole counts as a hole
    assert loss_weights(mask, seen, 5.0).tolist() == [[1.0, 5.0, 0.0, 0.0]]


@pytest.mark.parametrize("reconstruction", ["bce", "mse"])
def test_loss_ignores_what_the_holes_hold(reconstruction):
    torch.manual_seed(0)
    x = torch.rand(4, 6)
    mask = (torch.rand(4, 6) > 0.4).float()
    seen = mask * (torch.rand(4, 6) > 0.3).float()
    out = torch.randn(4, 6, requires_grad=True)
    mu, logvar = torch.randn(4, 2), torch.randn(4, 2)
    garbage = torch.where(mask > 0, x, torch.full_like(x, float("nan")))
    grads = []
    for data in (x, garbage):
        loss, rec, _ = vaewl_loss(out, data, mask, seen, mu, logvar, gamma=5.0, beta=0.1,
                                  reconstruction=reconstruction)
        (g,) = torch.autograd.grad(loss, out)
        grads.append(g)
        assert torch.isfinite(loss)
    assert torch.equal(grads[0], grads[1])
    assert (grads[0][mask == 0] == 0).all()


@pytest.mark.parametrize("fill", [7.0, float("nan")])
def test_fit_ignores_what_the_holes_hold(digits_split, monkeypatch, fill):
    X = digits_split[1][:200]
    params = dict(shape=(8, 8), epochs=2, patience=None, random_state=0)
    ref = VAEWLImputer(**params).fit(X)

    class GarbageInHoles(sklimpute.training.MaskedDataset):
        def __init__(self, X, observed, device="cpu"):
            super().__init__(X, observed, device)
            self.x = torch.where(self.mask > 0, self.x, torch.full_like(self.x, fill))

    monkeypatch.setattr(sklimpute.training, "MaskedDataset", GarbageInHoles)
    imp = VAEWLImputer(**params).fit(X)
    assert imp.net_.history[-1, "train_loss"] == ref.net_.history[-1, "train_loss"]
    np.testing.assert_array_equal(imp.transform(X), ref.transform(X))


def test_validation_hides_the_same_entries_every_epoch(vaewl_fitted):
    net = copy.deepcopy(vaewl_fitted.net_)
    mask = torch.ones(5, 64)
    net.on_epoch_begin(net)
    first = net.hide(mask, net._valid_generator)
    net.on_epoch_begin(net)
    again = net.hide(mask, net._valid_generator)
    assert torch.equal(first, again) and 0 < (first == 0).sum() < mask.numel()
    # training batches are hidden afresh each time
    assert not torch.equal(net.hide(mask), net.hide(mask))


# ------------------------------------------------------ imputations, images
def test_transform_is_deterministic_and_draws_differ_on_holes_only(digits_split, vaewl_fitted):
    X_test = digits_split[1][:50]
    holes = np.isnan(X_test)
    a, b = vaewl_fitted.transform(X_test), vaewl_fitted.transform(X_test)
    np.testing.assert_array_equal(a, b)
    draws = vaewl_fitted.sample_imputations(X_test, n_draws=3, random_state=0)
    assert draws.shape == (3,) + X_test.shape
    for d in draws:
        np.testing.assert_array_equal(d[~holes], X_test[~holes])
    # almost every hole differs between draws; with bfloat16 networks (precision="auto"
    # on a CPU that has it) a few saturated pixels round to the same value
    assert np.mean(draws[0][holes] != draws[1][holes]) > 0.95
    again = vaewl_fitted.sample_imputations(X_test, n_draws=3, random_state=0)
    np.testing.assert_array_equal(draws, again)


def test_multichannel_images(digits):
    rgb = np.hstack([digits[:150], 1.0 - digits[:150], np.roll(digits[:150], 1, axis=1)])
    X, hidden = make_missing(rgb, "mcar", rate=0.3, shape=(3, 8, 8), random_state=0)
    imp = VAEWLImputer(shape=(3, 8, 8), epochs=2, random_state=0).fit(X)
    out = imp.transform(X)
    assert out.shape == (150, 192) and not np.isnan(out).any()
    np.testing.assert_array_equal(out[~hidden], X[~hidden])
    assert imp.net_.module_.decode(torch.zeros(2, 32)).shape == (2, 192)
    # hiding takes whole pixels, every channel at once, like the MCAR holes
    seen = imp.net_.hide(torch.ones(4, 192)).reshape(4, 3, 64)
    assert torch.equal(seen[:, 0], seen[:, 1]) and torch.equal(seen[:, 0], seen[:, 2])


def test_table_mode_beats_the_mean():
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(800, 3))
    X = Z @ rng.normal(size=(3, 12)) + 0.1 * rng.normal(size=(800, 12)) + 5.0
    X_missing, hidden = make_missing(X, "mcar", rate=0.2, random_state=0)
    imp = VAEWLImputer(epochs=60, lr=3e-3, dropout=0.0, patience=None, random_state=0)
    imp.fit(X_missing[:600])
    assert imp.reconstruction_ == "mse" and imp.scaler_.method == "standard"
    assert imp.net_.module_.shape is None
    test = (X_missing[600:], X[600:], hidden[600:])
    mean = _hidden_mae(SimpleImputer().fit(X_missing[:600]), *test)
    assert _hidden_mae(imp, *test) < 0.5 * mean
