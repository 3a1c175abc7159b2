"""MisGAN: behaviour that breaks if the games, the masking or the imputer were wrong."""

import copy

import numpy as np
import pytest
import torch
from sklearn.base import clone

from sklimpute import MisGANImputer, make_missing
from sklimpute.models.misgan import (
    MisGANCritics,
    binned_weights,
    pixel_distances,
    MisGANGenerators,
    MisGANNet,
    critic_loss,
    gradient_penalty,
)
from sklimpute.training import AdversarialNet, seeded

SMALL = dict(shape=(8, 8), architecture="conv", width=8, latent_dim=16, imputer_hidden=64,
             random_state=0)


@pytest.fixture(scope="module")
def digits_dropout(digits):
    X_missing, hidden = make_missing(digits, "mcar", rate=0.6, random_state=0)
    return X_missing, hidden


@pytest.fixture(scope="module")
def fitted(digits_dropout):
    return MisGANImputer(epochs=3, **SMALL).fit(digits_dropout[0][:600])


def _batch(imp, X):
    x = torch.as_tensor(np.nan_to_num(imp.scaler_.transform(X)), dtype=torch.float32)
    mask = torch.as_tensor(~np.isnan(X), dtype=torch.float32)
    return ({"x": x, "mask": mask}, None)


def _params(module):
    return [p.detach().clone() for p in module.parameters()]


def _same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


def test_mask_generator_moves_toward_the_datas_missing_rate(digits_dropout):
    # real masks observe 40%; an untrained mask generator's relaxed masks sit
    # near sigmoid(0) = 0.5; a short training must move them toward 0.4
    X = digits_dropout[0]
    real_observed = 1 - 0.6

    def observed_share(imp):
        with torch.no_grad():
            return imp.net_.module_.masks(4000, torch.zeros(1)).mean().item()

    untrained = MisGANImputer(epochs=1, lr=1e-12, **SMALL).fit(X[:100])
    trained = MisGANImputer(epochs=3, lr=1e-3, batch_size=16, **SMALL).fit(X)
    before, after = observed_share(untrained), observed_share(trained)
    assert abs(after - real_observed) < 0.5 * abs(before - real_observed)
    # generate draws binary masks with those probabilities
    _, masks = trained.sample(4000, random_state=0)
    assert masks.mean() == pytest.approx(after, abs=0.02)


def test_imputer_keeps_observed_entries_inside_the_network(fitted, digits_dropout):
    # G_i(x, m, w) = x m + G^_i(...) (1 - m): the observed entries come out of
    # the network itself unchanged (not only after the base class restores them)
    X = digits_dropout[0][:50]
    (Xi, _) = _batch(fitted, X)
    with torch.no_grad():
        out = fitted.net_.module_(Xi["x"], Xi["mask"])
    obs = Xi["mask"].bool()
    assert torch.equal(out[obs], Xi["x"][obs])
    assert not torch.equal(out[~obs], Xi["x"][~obs])


def test_noise_enters_only_through_the_holes(fitted):
    imputer = fitted.net_.module_.imputer
    x = torch.rand(4, 64)
    full = torch.ones(4, 64)
    with torch.no_grad():
        a = imputer(x, full, torch.rand(4, 64))
        b = imputer(x, full, torch.rand(4, 64))
    assert torch.equal(a, b) and torch.equal(a, x)  # nothing missing: nothing random


def test_transform_repeats_and_draws_differ_on_holes_only(fitted, digits_dropout):
    X = digits_dropout[0][600:700]
    holes = np.isnan(X)
    np.testing.assert_array_equal(fitted.transform(X), fitted.transform(X))
    draws = fitted.sample_imputations(X, n_draws=2, random_state=0)
    other = fitted.sample_imputations(X, n_draws=1, random_state=1)[0]
    for d in (draws[0], draws[1], other):
        np.testing.assert_array_equal(d[~holes], X[~holes])
    assert (draws[0][holes] != draws[1][holes]).mean() > 0.9
    assert (draws[0][holes] != other[holes]).mean() > 0.9


def test_generate_returns_data_in_the_datas_units_and_binary_masks(fitted):
    data, masks = fitted.sample(7, random_state=0)
    assert data.shape == masks.shape == (7, 64) and masks.dtype == bool
    lo, hi = fitted.scaler_.inverse_transform(np.zeros((1, 64))), fitted.scaler_.inverse_transform(
        np.ones((1, 64)))
    assert (data >= lo - 1e-9).all() and (data <= hi + 1e-9).all()
    np.testing.assert_array_equal(data, fitted.sample(7, random_state=0)[0])


def test_gradient_penalty_is_zero_for_a_unit_gradient_and_grows_otherwise():
    lin = torch.nn.Linear(4, 1, bias=False)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.0, 0.6, 0.8, 0.0]]))
    real, fake = torch.randn(8, 4), torch.randn(8, 4)
    assert gradient_penalty(lin, real, fake).item() == pytest.approx(0.0, abs=1e-6)
    with torch.no_grad():
        lin.weight.mul_(3.0)  # gradient norm 3: penalty (3 - 1)^2
    assert gradient_penalty(lin, real, fake).item() == pytest.approx(4.0, rel=1e-5)
    penalised = critic_loss(lin, real, fake, 10.0)
    plain = critic_loss(lin, real, fake, 0.0)
    assert penalised.item() == pytest.approx(plain.item() + 40.0, rel=1e-4)


def _net(**kw):
    net = MisGANNet(
        MisGANGenerators, discriminator=MisGANCritics,
        module__n_features=64, module__shape=(1, 8, 8), module__architecture="fc",
        module__latent_dim=8, module__imputer_hidden=16,
        discriminator__n_features=64, discriminator__architecture="fc",
        optimizer=torch.optim.Adam, **kw,
    )
    return net.initialize()


def test_each_player_is_moved_by_its_own_objective_only():
    torch.manual_seed(0)
    net = _net(alpha=0.0, beta=0.0)
    x = torch.rand(16, 64)
    mask = (torch.rand(16, 64) > 0.5).float()
    s = net.generate(({"x": x, "mask": mask}, None), training=True)
    net.module_.zero_grad()
    net.generator_loss(s).backward(retain_graph=True)
    g = net.module_
    # with alpha = 0 the data critic does not reach G_m; with beta = 0 the
    # imputer's critic does not reach G_x: only the players' own terms remain
    dm = torch.autograd.grad(-net.discriminator_.mask_critic(s["fake_m"]).mean(),
                             list(g.mask_generator.parameters()), retain_graph=True)
    for p, ref in zip(g.mask_generator.parameters(), dm):
        torch.testing.assert_close(p.grad, ref)
    dx = torch.autograd.grad(
        -net.discriminator_.data_critic(net.mask_data(s["fake_x"], s["fake_m"])).mean(),
        list(g.data_generator.parameters()), retain_graph=True)
    for p, ref in zip(g.data_generator.parameters(), dx):
        torch.testing.assert_close(p.grad, ref)


@pytest.mark.parametrize("coef, player", [("alpha", "mask_generator"), ("beta", "data_generator")])
def test_coupling_weights_scale_the_cross_terms(coef, player):
    # the gradient a generator gets from the *other* game grows linearly with
    # alpha (data loss -> G_m) or beta (imputer loss -> G_x)
    grads = []
    for value in (0.0, 1.0, 2.0):
        torch.manual_seed(0)
        net = _net(**{coef: value})
        x = torch.rand(16, 64)
        mask = (torch.rand(16, 64) > 0.5).float()
        s = net.generate(({"x": x, "mask": mask}, None), training=True)
        net.module_.zero_grad()
        net.generator_loss(s).backward()
        grads.append(torch.cat([p.grad.flatten() for p in getattr(net.module_, player).parameters()]))
    one, two = grads[1] - grads[0], grads[2] - grads[0]
    assert one.abs().sum() > 0
    torch.testing.assert_close(two, 2 * one, rtol=1e-4, atol=1e-6)


def test_masking_operator_fills_holes_with_tau():
    net = _net(tau=-1.0)
    x = torch.tensor([[0.3, 0.7]])
    m = torch.tensor([[1.0, 0.0]])
    assert net.mask_data(x, m).tolist() == [[pytest.approx(0.3), -1.0]]


def test_several_critic_steps_per_generator_step(fitted, digits_dropout):
    net = fitted.net_
    assert net.n_critic == 5
    batch = _batch(fitted, digits_dropout[0][:320])  # one training batch: 5 x 64 rows
    parts = AdversarialNet._split(batch, 5)
    assert [len(p[0]["x"]) for p in parts] == [64] * 5
    calls = {"d": 0, "g": 0}
    d_loss, g_loss = type(net).discriminator_loss, type(net).generator_loss

    def count_d(self, s):
        calls["d"] += 1
        return d_loss(self, s)

    def count_g(self, s):
        calls["g"] += 1
        return g_loss(self, s)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(type(net), "discriminator_loss", count_d)
        mp.setattr(type(net), "generator_loss", count_g)
        g0, d0 = _params(net.module_), _params(net.discriminator_)
        net.train_step(batch)
    assert calls == {"d": 5, "g": 1}
    assert not _same(g0, _params(net.module_)) and not _same(d0, _params(net.discriminator_))
    # an epoch is one pass: the training loader serves n_critic x batch_size rows
    assert net.iterator_train__batch_size == 5 * fitted.batch_size


@pytest.mark.parametrize("weight", [0.0, 100.0])
def test_reconstruction_trains_the_imputer_on_every_critic_mini_batch(fitted, digits_dropout, weight):
    # with the reconstruction term the imputer steps on each of the n_critic
    # mini-batches (n_critic - 1 steps of its own, then the game's step);
    # without it, once per generator step, as in the paper
    net = copy.deepcopy(fitted.net_)
    net.reconstruction = weight
    batch = _batch(fitted, digits_dropout[0][:320])
    seen_rows = []
    recon = type(net).mean_reconstruction

    def count(self, s):
        seen_rows.append(len(s["x"]))
        return recon(self, s)

    steps = []
    step = torch.optim.Adam.step

    def count_steps(self, *args, **kwargs):
        steps.append(self is net.optimizer_)
        return step(self, *args, **kwargs)

    others = [p for name, p in net.module_.named_parameters() if not name.startswith("imputer.")]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(type(net), "mean_reconstruction", count)
        mp.setattr(torch.optim.Adam, "step", count_steps)
        net.train_step(batch)
    expected = 5 if weight else 0
    assert seen_rows == [64] * expected
    assert sum(steps) == (expected or 1)  # generator optimizer steps
    # the imputer's own steps move the imputer and leave the two other generators alone
    net.reconstruction = 100.0
    imputer = _params(net.module_.imputer)
    before = [p.detach().clone() for p in others]
    net.reconstruction_steps(AdversarialNet._split(batch, 5)[:2])
    assert not _same(imputer, _params(net.module_.imputer))
    assert _same(before, [p.detach() for p in others])


@pytest.mark.parametrize(
    "param, value, reached",
    [
        ("alpha", 0.5, lambda i: i.net_.alpha == 0.5),
        ("beta", 0.3, lambda i: i.net_.beta == 0.3),
        ("tau", 0.5, lambda i: i.net_.tau == 0.5),
        ("temperature", 0.3, lambda i: i.net_.module_.temperature == 0.3),
        ("gradient_penalty", 1.0, lambda i: i.net_.gradient_penalty == 1.0),
        ("n_critic", 2, lambda i: i.net_.n_critic == 2),
        ("latent_dim", 8, lambda i: i.net_.module_.latent_dim == 8),
        ("width", 4, lambda i: i.net_.discriminator_.data_critic.conv[0].out_channels == 4),
        ("imputer_hidden", 32, lambda i: i.net_.module_.imputer.net[0].out_features == 32),
        ("reconstruction", 5.0, lambda i: i.net_.reconstruction == 5.0),
        ("hide_pattern", "data", lambda i: i.net_.hide_pattern == "data"),
        ("architecture", "fc", lambda i: i.architecture_ == "fc"
         and not any(isinstance(m, torch.nn.Conv2d) for m in i.net_.discriminator_.modules())),
        ("imputer", "unet", lambda i: i.imputer_ == "unet"),
        ("betas", (0.0, 0.99), lambda i: i.net_.optimizer_.param_groups[0]["betas"] == (0.0, 0.99)
         and i.net_.optimizer_d_.param_groups[0]["betas"] == (0.0, 0.99)),
        ("lr", 3e-4, lambda i: i.net_.optimizer_d_.param_groups[0]["lr"] == 3e-4),
    ],
)
def test_each_hyperparameter_reaches_the_model(digits_dropout, param, value, reached):
    X = digits_dropout[0][:200]
    kw = dict(SMALL, epochs=1)
    ref = MisGANImputer(**kw).fit(X)
    imp = MisGANImputer(**kw).set_params(**{param: value}).fit(X)
    assert reached(imp)
    # and it changes what training learns (some players' weights, if not yet
    # the imputations: alpha, say, only moves the mask generator)
    before = _params(ref.net_.module_) + _params(ref.net_.discriminator_)
    after = _params(imp.net_.module_) + _params(imp.net_.discriminator_)
    shapes_differ = [a.shape for a in before] != [b.shape for b in after]
    assert shapes_differ or not _same(before, after)


def test_conv_on_a_table_is_a_clear_error(digits_dropout):
    with pytest.raises(ValueError, match="needs images"):
        MisGANImputer(architecture="conv", epochs=1).fit(digits_dropout[0][:50])
    with pytest.raises(ValueError, match="betas"):
        MisGANImputer(betas=(0.5, 2.0), epochs=1).fit(digits_dropout[0][:50])


def test_auto_picks_fc_for_small_grey_images_and_conv_for_colour(digits_dropout):
    X = digits_dropout[0][:100]
    auto = {k: v for k, v in SMALL.items() if k != "architecture"}
    table = MisGANImputer(epochs=1, random_state=0).fit(X)
    assert (table.architecture_, table.imputer_) == ("fc", "mlp")
    image = MisGANImputer(epochs=1, **auto).fit(X)
    assert (image.architecture_, image.imputer_) == ("fc", "mlp")
    colour = np.repeat(X, 3, axis=1)
    rgb = MisGANImputer(epochs=1, **dict(auto, shape=(3, 8, 8))).fit(colour)
    assert (rgb.architecture_, rgb.imputer_) == ("conv", "unet")
    assert rgb.transform(colour).shape == colour.shape


@pytest.mark.parametrize("seed", range(5))
def test_no_seed_produces_nan(digits_dropout, seed):
    imp = MisGANImputer(epochs=2, **dict(SMALL, random_state=seed)).fit(digits_dropout[0][:300])
    assert np.isfinite(imp.transform(digits_dropout[0][300:400])).all()
    assert np.isfinite(imp.history_[:, "train_loss"]).all()


def test_validation_loss_is_the_imputation_error_on_hidden_entries(digits_dropout):
    imp = MisGANImputer(epochs=2, validation_fraction=0.2, **SMALL).fit(digits_dropout[0][:400])
    valid = imp.history_[:, "valid_loss"]
    assert len(valid) == 2 and all(0 < v < 1 for v in valid)  # squared error of [0, 1] values
    assert imp.valid_hide_rate_ == pytest.approx(0.6, abs=0.01)



def _hidden_mse(imp, X_missing, truth):
    holes = np.isnan(X_missing)
    return float(((imp.transform(X_missing) - truth)[holes] ** 2).mean())


class _SpreadImputer(torch.nn.Module):
    """An imputer whose draws spread: the column means plus the noise ``omega - 1/2``."""

    def __init__(self, centre):
        super().__init__()
        self.centre = centre

    def forward(self, x, mask, omega):
        return x * mask + (self.centre + omega - 0.5) * (1.0 - mask)


def test_transform_averages_imputation_draws(fitted, digits, digits_dropout):
    # where the draws spread around a structured guess (here the column
    # means), the mean of 20 draws removes most of the spread: its squared
    # error falls towards the guess's (E|mean - t|^2 = |mu - t|^2 + var / k),
    # far below one draw's; a transform that did not average would not
    X, truth = digits_dropout[0][600:900], digits[600:900]
    imp = copy.deepcopy(fitted)
    imp.shrinkage_ = 0.0  # the imputer's mean of draws (within each column's observed range)
    train = imp.scaler_.transform(digits_dropout[0][:600])
    centre = torch.as_tensor(np.nanmean(train, axis=0), dtype=torch.float32)
    imp.net_.module_.imputer = _SpreadImputer(centre)
    one = _hidden_mse(imp.set_params(imputation_draws=1), X, truth)
    many = _hidden_mse(imp.set_params(imputation_draws=20), X, truth)
    guess = np.where(np.isnan(X), imp.scaler_.inverse_transform(centre.double().numpy()[None]), X)
    guess_mse = float(((guess - truth)[np.isnan(X)] ** 2).mean())
    assert many < 0.75 * one
    assert guess_mse <= many < 1.1 * guess_mse
    # one draw is the imputer's forward pass with the fit's seed (the paper's
    # transform; one batch of rows, as transform draws batch by batch)
    imp = copy.deepcopy(fitted)
    imp.shrinkage_ = 0.0
    X = X[: imp.batch_size]
    (Xi, _) = _batch(imp, X)
    imp.net_._set_training(False)
    with torch.no_grad(), seeded(imp._seed, imp.device_):
        single = imp.net_.module_(Xi["x"], Xi["mask"]).double().numpy()
    single = np.where(Xi["mask"].numpy() > 0, single, np.clip(single, *imp.fill_range_))
    np.testing.assert_allclose(imp.set_params(imputation_draws=1).transform(X),
                               imp.scaler_.inverse_transform(single), rtol=1e-6, atol=1e-6)


def test_mean_of_draws_is_repeatable_and_keeps_observed_entries(fitted, digits_dropout):
    X = digits_dropout[0][600:700]
    imp = copy.deepcopy(fitted).set_params(imputation_draws=7)
    imp.shrinkage_ = 0.0
    first, second = imp.transform(X), imp.transform(X)
    np.testing.assert_array_equal(first, second)
    observed = ~np.isnan(X)
    np.testing.assert_array_equal(first[observed], X[observed])
    assert not np.array_equal(first, imp.set_params(imputation_draws=1).transform(X))


@pytest.mark.parametrize("draws", [0, -3, 2.5, "many"])
def test_imputation_draws_is_validated_before_training(digits_dropout, draws):
    with pytest.raises(ValueError, match="imputation_draws"):
        MisGANImputer(imputation_draws=draws, epochs=1).fit(digits_dropout[0][:50])


def test_imputation_draws_set_after_fit_is_checked_in_transform(fitted, digits_dropout):
    imp = copy.deepcopy(fitted).set_params(imputation_draws=0)
    with pytest.raises(ValueError, match="imputation_draws must be an integer >= 1"):
        imp.transform(digits_dropout[0][:10])


def test_reconstruction_trains_the_mean_of_draws_on_hidden_entries(digits, digits_dropout):
    # the term holds the mean of a few draws to observed entries hidden from
    # the imputer: on structured digits it must beat the adversarial loss alone
    X_missing = make_missing(digits, "mcar", rate=0.3, random_state=0)[0]
    kw = dict(SMALL, architecture="fc", epochs=20, batch_size=32)
    errors = {}
    for weight in (0.0, 50.0):
        imp = MisGANImputer(reconstruction=weight, **kw).fit(X_missing[:1200])
        errors[weight] = _hidden_mse(imp, X_missing[1200:], digits[1200:])
    mean_fill = np.nanmean(X_missing[:1200], axis=0)
    holes = np.isnan(X_missing[1200:])
    mean_mse = ((np.where(holes, mean_fill, X_missing[1200:]) - digits[1200:])[holes] ** 2).mean()
    assert errors[50.0] < min(errors[0.0], mean_mse)
    assert np.all(imp.shrinkage_ < 0.5)  # a trained imputer is trusted over the mean


def test_shrinkage_moves_transform_to_the_mean_within_the_observed_range(fitted, digits_dropout):
    X_train, X = digits_dropout[0][:600], digits_dropout[0][600:700]
    holes = np.isnan(X)
    imp = copy.deepcopy(fitted)
    mean = np.where(holes, np.nanmean(X_train, axis=0), X)
    imp.shrinkage_ = 1.0
    np.testing.assert_allclose(imp.transform(X), mean, atol=1e-5)
    imp.shrinkage_ = 0.0
    own = imp.transform(X)
    imp.shrinkage_ = 0.25
    expected = np.where(holes, np.clip(own + 0.25 * (mean - own), *_range(X_train)), X)
    np.testing.assert_allclose(imp.transform(X), expected, atol=1e-5)
    # each feature stays within what fit observed (the border pixels of the
    # digits are always 0: imputed 0 exactly)
    low, high = _range(X_train)
    inside = (own >= low - 1e-9) & (own <= high + 1e-9)
    assert inside[holes].all()
    assert np.all(own[holes & (high == 0)] == 0)


def _range(X):
    return np.nanmin(X, axis=0), np.nanmax(X, axis=0)


def test_auto_shrinkage_distrusts_an_imputer_that_guesses(fitted, digits, digits_dropout):
    # an imputer that fills with noise is worse than the mean: the fitted
    # least-squares weight of its guess is about 0, so transform is close to
    # the mean imputation; a fixed shrinkage is taken as given
    X_train = digits_dropout[0][:600]
    imp = copy.deepcopy(fitted)
    imp.net_.module_.imputer = _NoiseImputer()
    imp._fit_shrinkage(*_scaled(imp, X_train))
    assert np.all(imp.shrinkage_ > 0.9)  # at every distance from the seen pixels
    X, truth = digits_dropout[0][600:900], digits[600:900]
    holes = np.isnan(X)
    mean_mse = ((np.where(holes, np.nanmean(X_train, axis=0), X) - truth)[holes] ** 2).mean()
    assert _hidden_mse(imp, X, truth) < 1.02 * mean_mse
    imp.shrinkage_ = 0.0
    assert _hidden_mse(imp, X, truth) > 1.5 * mean_mse
    fixed = MisGANImputer(shrinkage=0.3, epochs=1, **{k: v for k, v in SMALL.items()})
    assert fixed.fit(X_train[:100]).shrinkage_ == 0.3


def test_binned_weights_fit_each_distance_on_its_own():
    # near the seen pixels the guess is the truth (weight 1), far from them
    # it is unrelated noise (weight about 0); a bin with too few entries is NaN
    rng = np.random.RandomState(0)
    e = rng.randn(3000)
    distances = np.r_[np.full(1000, 1.0), np.full(1000, 4.0), np.full(1000, 12.0)]
    d = np.r_[e[:1000], 0.5 * e[1000:2000], rng.randn(1000)]
    w = binned_weights(distances, d, e)
    assert w[0] == pytest.approx(1.0) and w[3] == pytest.approx(1.0)  # 0.5 e: clipped at 1
    assert abs(w[-1]) < 0.1
    assert np.isnan(w[[1, 2, 4, 5]]).all()
    assert np.isnan(binned_weights(distances[:100], d[:100], e[:100])).all()


def test_image_shrinkage_acts_by_distance_to_the_seen_pixels(fitted, digits_dropout):
    # on images "auto" fits one shrinkage per distance bin; transform shrinks
    # each hole by its own bin's
    assert fitted.shrinkage_.shape == (len(fitted.shrinkage_distances_) - 1,)
    assert np.all((fitted.shrinkage_ >= 0) & (fitted.shrinkage_ <= 1))
    X_train, X = digits_dropout[0][:600], digits_dropout[0][600:700]
    holes = np.isnan(X)
    imp = copy.deepcopy(fitted)
    imp.shrinkage_ = 0.0
    own = imp.transform(X)
    mean = np.where(holes, np.nanmean(X_train, axis=0), X)
    imp.shrinkage_ = np.r_[0.0, np.ones(len(fitted.shrinkage_) - 1)]
    near = pixel_distances(~holes, (1, 8, 8)) < 1.5
    out = imp.transform(X)
    np.testing.assert_allclose(out[holes & near], own[holes & near], atol=1e-6)
    np.testing.assert_allclose(out[holes & ~near], mean[holes & ~near], atol=1e-5)
    assert (holes & near).any() and (holes & ~near).any()
    # a table has one shrinkage
    table = MisGANImputer(epochs=1, imputer_hidden=16, random_state=0).fit(X_train[:200])
    assert np.ndim(table.shrinkage_) == 0 and table.shrinkage_distances_ is None


class _NoiseImputer(torch.nn.Module):
    """Fills the holes with uniform noise: a guess worse than the mean."""

    def forward(self, x, mask, omega):
        return x * mask + omega * (1.0 - mask)


def _scaled(imp, X):
    observed = ~np.isnan(X)
    return np.where(observed, imp.scaler_.transform(X), 0.0), observed


def test_auto_epochs_give_about_the_same_rows_whatever_the_data_size():
    imp = MisGANImputer()
    assert [imp._max_epochs(n) for n in (2000, 800, 100, 10**6)] == [30, 75, 300, 30]
    assert imp.set_params(validation_fraction=0.5)._max_epochs(2000) == 60  # 1,000 train rows
    assert imp.set_params(epochs=7)._max_epochs(2000) == 7
    # below 30% observed the imputer gets as many observed entries as at 30%
    imp.set_params(epochs="auto", validation_fraction=0.0)
    for share, epochs in [(0.5, 30), (0.3, 30), (0.1, 90), (0.01, 300)]:
        imp._observed_share = share
        assert imp._max_epochs(2000) == epochs


def test_auto_epochs_read_the_datas_observed_share(digits):
    X_missing = make_missing(digits[:200], "mcar", rate=0.9, random_state=0)[0]
    imp = MisGANImputer(epochs=1, imputer_hidden=16, latent_dim=8, random_state=0).fit(X_missing)
    assert imp._observed_share == pytest.approx(0.1, abs=0.01)
    assert imp.set_params(epochs="auto")._max_epochs(2000) == 90
