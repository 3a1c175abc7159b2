"""GAIN and SpatialGAIN: behaviour that breaks if the game or the hint were wrong."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.impute import SimpleImputer

from sklimpute import GAINImputer, SpatialGAINImputer, make_missing
from sklimpute.datasets import load_tabular
from sklimpute.models.gain import GAINNet, draw_hint
from sklimpute.models.spatialgain import SpatialGAINModule
from sklimpute.training import BatchLoader, MaskedDataset


@pytest.fixture(scope="module")
def digits_split(digits):
    X_missing, hidden = make_missing(digits, "mcar", rate=0.2, random_state=0)
    train, test = slice(0, 1000), slice(1000, 1400)
    return X_missing[train], X_missing[test], digits[test], hidden[test]


def _hidden_mae(imp, X_test, X_true, hidden):
    return np.abs(imp.transform(X_test) - X_true)[hidden].mean()


@pytest.fixture(scope="module")
def mean_mae(digits_split):
    X_train, X_test, X_true, hidden = digits_split
    return _hidden_mae(SimpleImputer().fit(X_train), X_test, X_true, hidden)


@pytest.mark.parametrize(
    "imp",
    [GAINImputer(epochs=40), SpatialGAINImputer(shape=(8, 8), epochs=10)],
    ids=["GAIN", "SpatialGAIN"],
)
def test_short_training_beats_mean_imputation(digits_split, mean_mae, imp):
    X_train, X_test, X_true, hidden = digits_split
    imp = clone(imp).set_params(random_state=0).fit(X_train)
    assert _hidden_mae(imp, X_test, X_true, hidden) < 0.85 * mean_mae


def test_spatial_gain_hiding_beats_the_papers_training(digits_split):
    # hide_rate (ours) scores G on entries it did not see; without it the holes
    # are learned from the adversarial term alone
    X_train, X_test, X_true, hidden = digits_split
    kw = dict(shape=(8, 8), epochs=10, patience=None, random_state=0, architecture="standard",
              prefill="noise")
    ours = SpatialGAINImputer(hide_rate=0.2, **kw).fit(X_train)
    paper = SpatialGAINImputer(hide_rate=0.0, **kw).fit(X_train)
    assert _hidden_mae(ours, X_test, X_true, hidden) < 0.8 * _hidden_mae(paper, X_test, X_true, hidden)


def test_residual_generator_starts_from_the_diffusion_fill():
    from sklimpute.inpainting import diffusion_fill

    net = SpatialGAINModule(64, (1, 8, 8), "unet", (8, 16), out_activation="sigmoid", prefill="diffusion")
    for p in net.body.parameters():  # a network that corrects nothing
        torch.nn.init.zeros_(p)
    x, seen = torch.rand(5, 64), (torch.rand(5, 64) > 0.4).float()
    torch.testing.assert_close(net(x, seen), diffusion_fill(x, seen, (1, 8, 8)))


def test_residual_generator_learns_a_correction_of_the_fill(mnist):
    # on MNIST the fill alone misses the strokes' shapes; a few epochs of the
    # residual U-Net already beat it clearly
    from sklimpute import InpaintingImputer

    X_missing, hidden = make_missing(mnist[:400], "mcar", rate=0.3, random_state=0)
    X_test, X_true, hidden = X_missing[300:], mnist[300:400], hidden[300:]
    imp = SpatialGAINImputer(shape=(28, 28), epochs=6, random_state=0).fit(X_missing[:300])
    fill = InpaintingImputer(method="diffusion", shape=(28, 28)).fit(X_test)
    assert _hidden_mae(imp, X_test, X_true, hidden) < 0.85 * _hidden_mae(fill, X_test, X_true, hidden)


@pytest.mark.parametrize("missing", [0.05, 0.35, 0.7])
def test_hide_rate_none_follows_the_missing_rate(missing):
    X, _ = make_missing(np.random.RandomState(0).rand(100, 16), "mcar", rate=missing, random_state=0)
    m = np.isnan(X).mean()
    # tables, MCAR hiding: the data's rate clipped to [0.2, 0.5]
    imp = SpatialGAINImputer(epochs=1, hide_pattern="mcar", random_state=0).fit(X)
    assert imp.hide_rate_ == pytest.approx(np.clip(m, 0.2, 0.5)) == imp.net_.hide_rate
    # tables, hiding like the data miss (the default): as much as they miss
    imp = SpatialGAINImputer(epochs=1, random_state=0).fit(X)
    assert imp.hide_pattern_ == imp.net_.hide_pattern == "data"
    assert imp.hide_rate_ == pytest.approx(m) and imp.hide_share_ == 1.0
    # images: at most a quarter, the data's pattern thinned to that share
    imp = SpatialGAINImputer(shape=(4, 4), epochs=1, random_state=0).fit(X)
    assert imp.hide_rate_ == pytest.approx(min(m, 0.25))
    assert imp.net_.hide_share == imp.hide_share_ == pytest.approx(min(1.0, 0.25 / m))
    mask = torch.tensor(~np.isnan(np.tile(X, (20, 1))), dtype=torch.float32)
    hidden = (mask - imp.net_.hide(mask)).sum() / mask.sum()
    assert float(hidden) == pytest.approx(min(m, 0.25), abs=0.03)
    imp = SpatialGAINImputer(shape=(4, 4), epochs=1, hide_pattern="mcar", random_state=0).fit(X)
    assert imp.hide_rate_ == pytest.approx(np.clip(m, 0.2, 0.25))


def test_residual_imputations_stay_in_the_training_range(digits_split):
    X_train = digits_split[0]
    imp = SpatialGAINImputer(shape=(8, 8), epochs=2, random_state=0).fit(X_train)
    out = imp.transform(X_train)
    assert out.min() >= np.nanmin(X_train) and out.max() <= np.nanmax(X_train)


def test_min_batches_makes_several_passes_each_in_a_new_order():
    ds = MaskedDataset(np.arange(20.0)[:, None], np.ones((20, 1)))
    loader = BatchLoader(ds, batch_size=8, shuffle=True, min_batches=10)
    batches = [b[0]["x"].ravel() for b in loader]
    assert len(loader) == len(batches) == 10 and all(len(b) == 8 for b in batches)
    rows = torch.cat(batches)
    for p in range(4):  # 80 rows: four whole passes, each a permutation
        assert sorted(rows[20 * p:20 * (p + 1)].tolist()) == list(range(20))
    assert not torch.equal(rows[:20], rows[20:40])
    # validation (unshuffled) loaders and large data: one pass
    assert len(list(BatchLoader(ds, batch_size=8, min_batches=10))) == 3
    assert len(BatchLoader(ds, batch_size=2, shuffle=True, min_batches=5)) == 10


def test_small_table_trains_long_enough_to_beat_the_mean():
    # wine: 127 training rows, one batch per pass; counted in passes, early
    # stopping ended this seed after ~25 optimizer steps, worse than the mean
    X = load_tabular("wine")[0]
    X = X[np.random.RandomState(1).permutation(len(X))]
    X_missing, hidden = make_missing(X, "mcar", rate=0.2, random_state=1)
    imp = GAINImputer(random_state=1).fit(X_missing[:142])
    assert imp.history_[-1]["train_batch_count"] == 10
    mean = SimpleImputer().fit(X_missing[:142])
    err = lambda m: np.sqrt(np.mean((m.transform(X_missing[142:]) - X[142:])[hidden[142:]] ** 2))  # noqa: E731
    assert err(imp) < 0.9 * err(mean)


def test_code_hint_reveals_the_mask_where_drawn():
    gen = torch.Generator().manual_seed(0)
    seen = (torch.rand(400, 50, generator=gen) > 0.3).float()
    h, b = draw_hint(seen, 0.9, "code", generator=gen)
    assert abs(b.mean().item() - 0.9) < 0.01
    assert torch.equal(h[b == 1], seen[b == 1])  # revealed: the mask itself
    assert (h[b == 0] == 0).all()  # not revealed: 0, like a hole
    assert torch.equal(h, b * seen)


def test_paper_hint_says_nothing_where_not_drawn():
    gen = torch.Generator().manual_seed(0)
    seen = (torch.rand(400, 50, generator=gen) > 0.3).float()
    h, b = draw_hint(seen, 0.8, "paper", generator=gen)
    assert (h[b == 0] == 0.5).all()
    assert torch.equal(h[b == 1], seen[b == 1])


def test_spatial_hint_reveals_whole_pixels():
    seen = torch.ones(100, 3 * 16)
    seen[:, ::5] = 0
    h, b = draw_hint(seen, 0.5, "code", n_channels=3, generator=torch.Generator().manual_seed(0))
    b = b.reshape(100, 3, 16)
    assert torch.equal(b[:, 0], b[:, 1]) and torch.equal(b[:, 0], b[:, 2])


def test_hint_decays_with_the_epochs(digits_split):
    imp = SpatialGAINImputer(shape=(8, 8), epochs=3, patience=None, hint_decay=0.5,
                             random_state=0).fit(digits_split[0])
    assert imp.net_.current_hint_rate() == pytest.approx(0.9 * 0.5 ** 2)


@pytest.fixture
def fitted_gain(digits_split):
    return GAINImputer(epochs=1, random_state=0).fit(digits_split[0])


def _params(module):
    return [p.detach().clone() for p in module.parameters()]


def _same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


def test_players_get_separate_optimizer_steps(fitted_gain, digits_split):
    net = fitted_gain.net_
    assert {id(p) for g in net.optimizer_.param_groups for p in g["params"]} == {
        id(p) for p in net.module_.parameters()}
    assert {id(p) for g in net.optimizer_d_.param_groups for p in g["params"]} == {
        id(p) for p in net.discriminator_.parameters()}
    x = torch.as_tensor(np.nan_to_num(fitted_gain.scaler_.transform(digits_split[0][:128])),
                        dtype=torch.float32)
    mask = torch.as_tensor(~np.isnan(digits_split[0][:128]), dtype=torch.float32)
    net._set_training(True)
    state = net.generate(({"x": x, "mask": mask}, None), training=True)
    g0, d0 = _params(net.module_), _params(net.discriminator_)
    net.optimizer_d_.zero_grad()
    batch = ({"x": x, "mask": mask}, None)
    assert net._descend(net.discriminator_loss(state), net.optimizer_d_, net.discriminator_, batch)
    g1, d1 = _params(net.module_), _params(net.discriminator_)
    assert _same(g0, g1) and not _same(d0, d1)  # the discriminator step moves D only
    net.optimizer_.zero_grad()
    assert net._descend(net.generator_loss(state), net.optimizer_, net.module_, batch)
    g2, d2 = _params(net.module_), _params(net.discriminator_)
    assert _same(d1, d2) and not _same(g1, g2)  # the generator step moves G only


def test_a_non_finite_loss_moves_nothing(fitted_gain):
    net = fitted_gain.net_
    before = _params(net.module_)
    nan = torch.tensor(float("nan"), requires_grad=True)
    assert not net._descend(nan, net.optimizer_, net.module_, None)
    assert _same(before, _params(net.module_))


def test_callbacks_hear_each_players_gradients(digits_split):
    # skorch's GradientNormClipping acts in on_grad_computed, which the
    # adversarial step must send for each player, before its optimizer steps
    from skorch.callbacks import Callback, GradientNormClipping

    class Record(Callback):
        def initialize(self):
            self.calls = []
            return self

        def on_grad_computed(self, net, named_parameters, **kwargs):
            params = list(named_parameters)
            grad = torch.sqrt(sum((p.grad ** 2).sum() for _, p in params if p.grad is not None))
            self.calls.append(({id(p) for _, p in params}, float(grad)))

    X = digits_split[0][:256]
    rec = Record()
    imp = GAINImputer(epochs=1, batch_size=128, random_state=0,
                      callbacks=[GradientNormClipping(gradient_clip_value=1e-3), rec]).fit(X)
    net = imp.net_
    d_ids, g_ids = {id(p) for p in net.discriminator_.parameters()}, {id(p) for p in net.module_.parameters()}
    assert [ids for ids, _ in rec.calls[:2]] == [d_ids, g_ids]
    # the clipping callback ran first: the recorder sees clipped gradients
    assert max(norm for _, norm in rec.calls) <= 1e-3 * 1.001


def test_divergence_is_reported_not_returned_as_nan(digits_split, monkeypatch):
    def nan_loss(self, state):
        return self._mean(state["g"], state["mask"]) * float("nan")

    monkeypatch.setattr(GAINNet, "generator_loss", nan_loss)
    imp = GAINImputer(epochs=3, random_state=0)
    with pytest.raises(FloatingPointError, match="diverged"):
        imp.fit(digits_split[0])
    assert not hasattr(imp, "net_")


@pytest.mark.parametrize("seed", range(10))
def test_no_seed_produces_nan(digits_split, seed):
    X_train, X_test, _, _ = digits_split
    imp = GAINImputer(epochs=5, random_state=seed).fit(X_train[:300])
    assert np.isfinite(imp.transform(X_test)).all()


@pytest.mark.parametrize(
    "est, param, value, reached",
    [
        (GAINImputer(epochs=3), "alpha", 10.0, lambda i: i.net_.alpha == 10.0),
        (GAINImputer(epochs=3), "hint_rate", 0.5, lambda i: i.net_.hint_rate == 0.5),
        (GAINImputer(epochs=3), "hint", "paper", lambda i: i.net_.hint == "paper"),
        (GAINImputer(epochs=3), "hidden", 16, lambda i: i.net_.module_.mlp[0].out_features == 16),
        (SpatialGAINImputer(shape=(8, 8), epochs=3), "architecture", "updown",
         lambda i: any(isinstance(m, torch.nn.ConvTranspose2d) for m in i.net_.module_.modules())
         and i.widths_ == (64, 32, 16)),
        (SpatialGAINImputer(shape=(8, 8), epochs=3), "widths", (8, 8),
         lambda i: i.net_.module_.body.head.in_channels == 8),
        (SpatialGAINImputer(shape=(8, 8), epochs=3), "prefill", "noise",
         lambda i: i.net_.module_.prefill is None and i.net_.discriminator_.prefill is None),
        (SpatialGAINImputer(shape=(8, 8), epochs=3), "alpha", 100.0, lambda i: i.net_.alpha == 100.0),
        (SpatialGAINImputer(shape=(8, 8), epochs=3), "hint_rate", 0.5,
         lambda i: i.net_.hint_rate == 0.5),
    ],
)
def test_each_hyperparameter_reaches_the_model(digits_split, est, param, value, reached):
    X = digits_split[0][:400]
    ref = clone(est).set_params(random_state=0).fit(X)
    imp = clone(est).set_params(random_state=0, **{param: value}).fit(X)
    assert reached(imp)
    assert not np.allclose(ref.transform(X), imp.transform(X))


def test_transform_is_deterministic_and_draws_differ_on_holes_only(fitted_gain, digits_split):
    X = digits_split[1]
    holes = np.isnan(X)
    np.testing.assert_array_equal(fitted_gain.transform(X), fitted_gain.transform(X))
    draws = fitted_gain.sample_imputations(X, n_draws=2, random_state=0)
    np.testing.assert_array_equal(draws[0][~holes], X[~holes])
    assert (draws[0][holes] != draws[1][holes]).mean() > 0.9


def test_table_is_padded_to_a_grid():
    rng = np.random.RandomState(0)
    X = rng.rand(200, 10)
    X[rng.rand(*X.shape) < 0.2] = np.nan
    imp = SpatialGAINImputer(epochs=2, random_state=0).fit(X)
    assert imp.grid_shape_ == (1, 4, 4) and imp.net_.module_.pad == 6
    out = imp.transform(X)
    assert out.shape == (200, 10) and np.isfinite(out).all()
    assert SpatialGAINImputer(epochs=1, table_shape=(2, 5)).fit(X).grid_shape_ == (1, 2, 5)
    with pytest.raises(ValueError, match="table_shape"):
        SpatialGAINImputer(epochs=1, table_shape=(3, 3)).fit(X)


@pytest.mark.parametrize("architecture", ["standard", "updown", "unet"])
@pytest.mark.parametrize("shape", [(1, 7, 7), (3, 8, 6)])
def test_spatial_players_keep_the_image_size(architecture, shape):
    n = int(np.prod(shape))
    widths = (8, 16) if architecture == "unet" else (64, 32, 16)
    net = SpatialGAINModule(n, shape, architecture, widths, out_activation="sigmoid")
    out = net(torch.rand(4, n), torch.ones(4, n))
    assert out.shape == (4, n) and (out >= 0).all() and (out <= 1).all()


def test_colour_images(digits):
    X = np.repeat(digits[:200], 3, axis=1)  # (3, 8, 8) channels first
    X_missing, hidden = make_missing(X, "mcar", rate=0.2, shape=(3, 8, 8), random_state=0)
    imp = SpatialGAINImputer(shape=(3, 8, 8), epochs=2, random_state=0).fit(X_missing)
    out = imp.transform(X_missing)
    np.testing.assert_array_equal(out[~hidden], X[~hidden])
    assert np.isfinite(out).all() and imp.net_.n_channels == 3
