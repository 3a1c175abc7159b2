"""GlowImputer: training, shrinkage, sampling (the flow's layers: tests/test_flows.py)."""

import copy

import numpy as np
import pytest
import torch

from sklimpute import GlowImputer, make_missing
from sklimpute.flows import FlowStep
from sklimpute.metrics import count_squares
from sklimpute.models.glow import GlowModule, GlowNet


@pytest.fixture(scope="module")
def digit_squares(digits):
    X_missing, hidden = make_missing(digits[:600], "square", size=3, shape=(8, 8), random_state=0)
    return X_missing, hidden


@pytest.fixture(scope="module")
def fitted_glow(digit_squares):
    imp = GlowImputer(shape=(8, 8), n_levels=2, n_steps=2, hidden_channels=16, epochs=8,
                      patience=None, random_state=0)
    return imp.fit(digit_squares[0])


def test_bits_per_dim_fall_and_stay_finite(fitted_glow):
    train = np.asarray(fitted_glow.history_[:, "train_loss"])
    valid = np.asarray(fitted_glow.history_[:, "valid_loss"])
    assert np.isfinite(train).all() and np.isfinite(valid).all()
    assert train[-1] < train[0] - 0.3 and valid[-1] < valid[0] - 0.3
    assert 0 < valid[-1] < 5  # 5-bit data: a uniform model has 5 bits per dimension


def test_alpha_one_gives_back_the_fill_and_alpha_changes_holes_only(fitted_glow, digit_squares):
    X_missing, hidden = digit_squares
    X = X_missing[:50]
    holes = np.isnan(X)
    out1 = copy.deepcopy(fitted_glow).set_params(alpha=1.0).transform(X)  # no refit
    # alpha = 1: the flow maps the filled image back onto itself, holes grey
    scale = fitted_glow.scaler_.scale_[0]
    offset = fitted_glow.scaler_.offset_[0]
    assert np.abs(out1[holes] - (offset + 0.5 * scale)).max() <= scale / 2 ** 5
    out6 = fitted_glow.transform(X)
    assert np.array_equal(out6[~holes], X[~holes])
    assert np.abs(out6[holes] - out1[holes]).mean() > 0.05 * scale


def test_shrinking_the_latent_moves_holes_towards_the_data(fitted_glow, digits, digit_squares):
    # the grey fill (alpha = 1) is far from the digits; shrinking helps
    X_missing, hidden = digit_squares
    errors = {}
    for alpha in (0.6, 1.0):
        imp = copy.deepcopy(fitted_glow).set_params(alpha=alpha)
        errors[alpha] = np.abs(imp.transform(X_missing) - digits[:600])[hidden].mean()
    assert errors[0.6] < 0.95 * errors[1.0]


def test_an_overflowing_inverse_still_gives_finite_imputations_and_samples(fitted_glow, digit_squares,
                                                                          monkeypatch):
    # far from the data a short-trained flow's inverse can overflow (seen at
    # alpha >= 0.7 on MNIST): inf pixels saturate, NaN ones take the fill
    imp = copy.deepcopy(fitted_glow)
    flow = imp.net_.module_.flow
    inverse = flow.inverse

    def overflowing(z):
        out, logdet = inverse(z)
        out = out.clone()
        out[:, :, 0, 0], out[:, :, 0, 1], out[:, :, 1, 0] = float("nan"), float("inf"), -float("inf")
        return out, logdet

    monkeypatch.setattr(flow, "inverse", overflowing)
    X = digit_squares[0][:20].copy()
    X[:, :2] = np.nan  # pixels (0, 0) and (0, 1) are holes
    X[:, 8] = np.nan  # and (1, 0)
    out = imp.transform(X)
    low, high = imp.scaler_.offset_[0], imp.scaler_.offset_[0] + imp.scaler_.scale_[0]
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out[:, 0], low + 0.5 * (high - low))  # NaN -> the fill
    np.testing.assert_allclose(out[:, 1], high)  # +inf -> white
    np.testing.assert_allclose(out[:, 8], low)  # -inf -> black
    assert np.isfinite(imp.sample(5, temperature=1.5, random_state=0)).all()


def test_sample_spread_grows_with_temperature(fitted_glow):
    cold = fitted_glow.sample(200, temperature=0.0, random_state=0)
    assert np.allclose(cold, cold[0])  # t = 0: the mode, every time
    spreads = [fitted_glow.sample(200, temperature=t, random_state=0).std(0).mean()
               for t in (0.3, 0.7, 1.0)]
    assert spreads[0] < spreads[1] < spreads[2]
    a = fitted_glow.sample(5, random_state=1)
    assert np.array_equal(a, fitted_glow.sample(5, random_state=1))
    assert not np.array_equal(a, fitted_glow.sample(5, random_state=2))
    assert a.shape == (5, 64) and 0 <= a.min() and a.max() <= 1


@pytest.mark.parametrize(
    "param,value,reached",
    [
        ("n_levels", 1, lambda m: len(m.flow.levels) == 1),
        ("n_steps", 3, lambda m: sum(isinstance(x, FlowStep) for x in m.flow.levels[0]) == 3),
        ("hidden_channels", 24, lambda m: m.flow.levels[0][1].layers[2].net[0].out_channels == 24),
        ("n_bits", 3, lambda m: m.n_bins == 8),
        ("fill_value", 0.0, lambda m: m.fill_value == 0.0),
    ],
)
def test_each_hyperparameter_reaches_the_model(digit_squares, param, value, reached):
    imp = GlowImputer(shape=(8, 8), n_levels=2, n_steps=1, hidden_channels=8, epochs=1,
                      random_state=0).set_params(**{param: value})
    imp.fit(digit_squares[0][:100])
    assert reached(imp.net_.module_)


def test_fill_value_is_what_training_sees():
    module = GlowModule(4, shape=(1, 2, 2), n_levels=1, n_steps=1, hidden_channels=4,
                        n_bits=5, fill_value=0.25)
    x = torch.tensor([[0.9, 0.0, 0.9, 0.9]])
    mask = torch.tensor([[1.0, 0.0, 1.0, 1.0]])
    flat = module.to_flow(x, mask, dequantize=False).flatten()
    # 0.25 -> bin 8 of 32 -> 8/32 - 0.5 + half a bin
    assert flat[1].item() == pytest.approx(8 / 32 - 0.5 + 1 / 64)


def test_odd_image_sizes_are_padded_and_cropped_back(digits):
    X = np.repeat(digits[:60], 3, axis=1)[:, :3 * 7 * 9]  # 60 colour 7x9 "images"
    X_missing, hidden = make_missing(X, "square", size=2, shape=(3, 7, 9), random_state=0)
    imp = GlowImputer(shape=(3, 7, 9), n_levels=2, n_steps=1, hidden_channels=8, epochs=1,
                      random_state=0).fit(X_missing)
    assert imp.net_.module_.flow.shape == (3, 8, 12)
    out = imp.transform(X_missing)
    assert out.shape == X.shape and not np.isnan(out).any()


def test_non_finite_loss_stops_training_with_a_clear_error():
    net = GlowNet(GlowModule, module__n_features=4).initialize()
    eps = torch.full((2, 4), float("nan"))
    with pytest.raises(FloatingPointError, match="lower lr"):
        net.get_loss((eps, torch.zeros(2)), None)


def test_bad_parameters_fail_before_training(digit_squares):
    for bad in ({"alpha": 0.0}, {"alpha": 1.5}, {"n_bits": 9}, {"fill_value": 2.0}):
        with pytest.raises(ValueError):
            GlowImputer(shape=(8, 8), **bad).fit(digit_squares[0][:20])


def test_count_squares_finds_planted_squares_and_nothing_in_digits(digits):
    images = digits[:300].reshape(-1, 8, 8).copy()
    assert count_squares(images, 3).sum() == 0  # real digits have no grey squares
    rng = np.random.RandomState(0)
    planted = rng.randint(0, 3, size=300)
    for img, k in zip(images, planted):
        spots = [(0, 0), (5, 5), (0, 5)][:k]
        for r, c in spots:
            img[r:r + 3, c:c + 3] = 0.5 + rng.uniform(-0.05, 0.05, (3, 3))
    assert np.array_equal(count_squares(images, 3), planted)
    assert count_squares(images, 3, tol=0.01).sum() == 0  # not near-constant enough
