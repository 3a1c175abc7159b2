"""The shared training pieces: WarmupEarlyStopping, net_defaults, AdversarialNet's hooks."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback, EarlyStopping, ProgressBar
from skorch.history import History
from torch import nn

from sklimpute.training import (
    AdversarialNet,
    BatchLoader,
    EpochProgressBar,
    MaskedDataset,
    WarmupEarlyStopping,
    draw_seed,
    hide_like_rows,
    hide_share_for,
    hide_rate_from,
    net_defaults,
)

# --------------------------------------------------------------------------- #
# WarmupEarlyStopping
# --------------------------------------------------------------------------- #


def _run(callback, losses):
    """Feed ``losses`` as the validation losses of successive epochs; the epoch it stopped at."""
    net = SimpleNamespace(history=History(), module_=nn.Linear(1, 1), verbose=0)
    callback.on_train_begin(net)
    for epoch, loss in enumerate(losses, 1):
        net.history.new_epoch()
        net.history.record("epoch", epoch)
        net.history.record("valid_loss", loss)
        with torch.no_grad():
            net.module_.weight.fill_(epoch)  # the weights say which epoch they are from
        try:
            callback.on_epoch_end(net)
        except KeyboardInterrupt:
            return epoch
    return None


# the warm-up's losses are low (pre-training on an easier objective), then
# the real objective starts higher, improves once and stalls
LOSSES = [0.1, 0.2, 5.0, 4.0, 4.5, 4.6, 4.7]


def test_plain_early_stopping_would_stop_inside_the_warmup_story():
    plain = EarlyStopping(monitor="valid_loss", patience=2, load_best=True)
    assert _run(plain, LOSSES) == 3  # epochs 2 and 3 miss epoch 1's 0.1
    assert plain.best_epoch_ == 1


def test_warmup_early_stopping_counts_and_picks_the_best_after_the_warmup():
    cb = WarmupEarlyStopping(monitor="valid_loss", patience=2, load_best=True, warmup_epochs=2)
    assert _run(cb, LOSSES) == 6  # best at epoch 4, then two misses
    assert cb.best_epoch_ == 4
    assert float(cb.best_model_weights_["weight"]) == 4.0  # the weights restored at the end


def test_warmup_longer_than_training_never_stops():
    cb = WarmupEarlyStopping(monitor="valid_loss", patience=1, warmup_epochs=10)
    assert _run(cb, LOSSES) is None
    assert cb.best_model_weights_ is None


# --------------------------------------------------------------------------- #
# net_defaults
# --------------------------------------------------------------------------- #


def _imputer(**params):
    base = dict(validation_fraction=0.2, patience=3, verbose=0, callbacks=None, batch_size=16,
                lr=0.01, device_="cpu", _max_epochs=lambda n: 7)
    base.update(params)
    return SimpleNamespace(**base)


def test_net_defaults_early_stopping_class_monitor_and_split():
    kw = net_defaults(_imputer(), 100, seed=3, early_stopping=WarmupEarlyStopping)
    (name, cb), = kw["callbacks"]
    assert name == "early_stopping" and type(cb) is WarmupEarlyStopping
    assert cb.monitor == "valid_loss" and cb.patience == 3 and cb.load_best
    assert kw["train_split"].cv == 0.2 and kw["train_split"].random_state == 3
    assert kw["max_epochs"] == 7 and kw["batch_size"] == 16 and kw["lr"] == 0.01
    default = net_defaults(_imputer(), 100, seed=3)["callbacks"][0][1]
    assert type(default) is EarlyStopping


@pytest.mark.parametrize("n_samples,fraction", [(100, 0.0), (4, 0.2), (2, 0.5)])
def test_net_defaults_without_a_usable_split_monitors_the_training_loss(n_samples, fraction):
    # no row to validate on, or fewer than two left to train on
    kw = net_defaults(_imputer(validation_fraction=fraction), n_samples, seed=0)
    assert kw["train_split"] is None
    assert kw["callbacks"][0][1].monitor == "train_loss"


def test_net_defaults_callbacks_follow_patience_verbose_and_the_users():
    user = Callback()
    assert net_defaults(_imputer(patience=None), 100, 0)["callbacks"] == []
    kinds = [type(cb) for _, cb in net_defaults(_imputer(verbose=1, callbacks=[("mine", user)]),
                                                  100, 0)["callbacks"]]
    assert kinds == [EarlyStopping, EpochProgressBar, Callback]
    kw = net_defaults(_imputer(verbose=2, patience=None), 100, 0)
    assert [type(cb) for _, cb in kw["callbacks"]] == [ProgressBar] and kw["verbose"] == 1


def test_draw_seed_and_hide_rate_from():
    assert draw_seed(5) == draw_seed(5) != draw_seed(6)
    rs = np.random.RandomState(0)
    assert draw_seed(rs) != draw_seed(rs)  # a RandomState advances
    observed = np.ones((4, 5), dtype=bool)
    assert hide_rate_from(observed, 0.2) == 0.2
    observed[0, :2] = False
    assert hide_rate_from(observed, 0.2) == pytest.approx(0.1)


# --------------------------------------------------------------------------- #
# Hiding like the data miss
# --------------------------------------------------------------------------- #


def square_masks(n, side=8, square=3, seed=0):
    rng = np.random.RandomState(seed)
    mask = np.ones((n, side, side), dtype=np.float32)
    corners = rng.randint(0, side - square + 1, size=(n, 2))
    for m, (r, c) in zip(mask, corners):
        m[r:r + square, c:c + square] = 0
    return torch.tensor(mask.reshape(n, -1))


def test_hide_like_rows_hides_where_the_partner_row_misses():
    mask = square_masks(64)
    seen = hide_like_rows(mask, torch.Generator().manual_seed(0))
    hidden = (mask - seen).numpy().astype(bool)
    assert not (seen > mask).any()  # a hole stays a hole
    # every row hides a (part of) some other row's square, and nothing else
    holes = [frozenset(np.flatnonzero(m == 0)) for m in mask.numpy()]
    for i, h in enumerate(hidden):
        assert any(set(np.flatnonzero(h)) == hole - holes[i] for hole in holes)
    assert hidden.any(axis=1).mean() > 0.9  # squares rarely coincide


def test_hide_like_rows_hides_the_data_missing_rate_and_keeps_complete_columns():
    rng = np.random.RandomState(0)
    mask = np.ones((4000, 20), dtype=np.float32)
    mask[:, :5] = rng.rand(4000, 5) >= 0.4  # holes in the first 5 columns only (MAR-like)
    mask = torch.tensor(mask)
    seen = hide_like_rows(mask, torch.Generator().manual_seed(0))
    hidden = (mask - seen).numpy()
    assert hidden[:, 5:].sum() == 0
    share = hidden[:, :5].sum() / mask[:, :5].sum().item()
    assert share == pytest.approx(0.4, abs=0.02)


def test_hide_like_rows_share_copies_that_share_of_the_partner_holes():
    rng = np.random.RandomState(0)
    holes = np.repeat(rng.rand(3000, 1, 100) < 0.5, 2, axis=1).reshape(3000, 200)  # 2 channels
    mask = torch.tensor(~holes, dtype=torch.float32)
    full = hide_like_rows(mask, torch.Generator().manual_seed(0), n_channels=2)
    part = hide_like_rows(mask, torch.Generator().manual_seed(0), share=0.5, n_channels=2)
    hidden_full, hidden_part = (mask - full).numpy(), (mask - part).numpy()
    assert hidden_full.sum() / mask.sum().item() == pytest.approx(0.5, abs=0.02)
    assert hidden_part.sum() / mask.sum().item() == pytest.approx(0.25, abs=0.02)
    assert (hidden_part <= hidden_full).all()  # a part of the same partner's holes
    assert (hidden_part[:, :100] == hidden_part[:, 100:]).all()  # whole pixels
    assert (hidden_part.sum(axis=1) > 0).mean() > 0.99  # thinned in every row, not fewer rows
    assert hide_share_for(0.25, ~holes) == pytest.approx(0.5, abs=0.01)
    assert hide_share_for(0.0, ~holes) == hide_share_for(0.7, ~holes) == 1.0
    assert hide_share_for(0.25, ~holes, "mcar") == 1.0


@pytest.mark.parametrize("pattern", ["data", "mcar"])
def test_fitted_net_hides_by_its_pattern(pattern):
    from sklimpute import SpatialGAINImputer, VAEWLImputer

    rng = np.random.RandomState(0)
    X = rng.rand(120, 16)
    X[rng.rand(120) < 0.5, 0] = np.nan  # holes in column 0 only
    mask = torch.tensor(~np.isnan(X), dtype=torch.float32)
    for imp in (VAEWLImputer(epochs=1, hide_pattern=pattern, random_state=0),
                SpatialGAINImputer(epochs=1, hide_pattern=pattern, random_state=0)):
        imp.fit(X)
        assert imp.hide_pattern_ == pattern
        hidden = (mask - imp.net_.hide(mask, torch.Generator().manual_seed(0))).numpy()
        assert hidden.sum() > 0
        assert (hidden[:, 1:].sum() == 0) == (pattern == "data")
    # complete data: nothing to copy holes from, MCAR hiding
    assert VAEWLImputer(epochs=1, random_state=0).fit(rng.rand(50, 4)).hide_pattern_ == "mcar"


# --------------------------------------------------------------------------- #
# AdversarialNet: the alternating step, its hooks, skipped steps
# --------------------------------------------------------------------------- #


class Player(nn.Module):
    def __init__(self, n=3):
        super().__init__()
        self.lin = nn.Linear(n, n)

    def forward(self, x, mask=None):
        return self.lin(x)


class ToyGame(AdversarialNet):
    """G maps x to a fake, D scores rows; records the rows each pass saw."""

    def initialize(self):
        self.passes, self.nan_generator = [], False
        return super().initialize()

    def generate(self, batch, training):
        x = batch[0]["x"]
        self.passes.append(x[:, 0].tolist())
        return {"x": x, "fake": self.module_(x)}

    def discriminator_loss(self, s):
        return self.discriminator_(s["fake"].detach()).mean() - self.discriminator_(s["x"]).mean()

    def generator_loss(self, s):
        loss = -self.discriminator_(s["fake"]).mean()
        return loss * float("nan") if self.nan_generator else loss


class RecordGrads(Callback):
    def initialize(self):
        self.players = []
        return self

    def on_grad_computed(self, net, named_parameters, **kwargs):
        ids = {id(p) for _, p in named_parameters}
        self.players.append("d" if ids == {id(p) for p in net.discriminator_.parameters()} else "g")


def _game(n_critic, **kw):
    return ToyGame(Player, discriminator=Player, module__n=3, discriminator__n=3, n_critic=n_critic,
                   max_epochs=1, batch_size=6, train_split=None, lr=0.01, verbose=0,
                   iterator_train=BatchLoader, iterator_valid=BatchLoader,
                   callbacks=[("grads", RecordGrads())], **kw).initialize()


def _batch(n=6):
    x = torch.arange(3.0 * n).reshape(n, 3)
    return {"x": x, "mask": torch.ones_like(x)}, None


def test_split_cuts_a_batch_into_k_consecutive_minibatches():
    parts = AdversarialNet._split(_batch(7), 3)
    assert [len(p[0]["x"]) for p in parts] == [3, 3, 1]
    assert torch.equal(torch.cat([p[0]["x"] for p in parts]), _batch(7)[0]["x"])
    assert all(torch.equal(p[0]["mask"], torch.ones_like(p[0]["x"])) for p in parts)
    assert AdversarialNet._split(_batch(), 1)[0] is not None


def test_n_critic_discriminator_steps_then_one_generator_step_each_heard_by_callbacks():
    net = _game(n_critic=3)
    g_before = [p.detach().clone() for p in net.module_.parameters()]
    net.history.new_epoch()
    net.history.new_batch()
    net.train_step(_batch())
    # three critic passes over consecutive pairs of rows, the generator on the last pair
    assert net.passes == [[0.0, 3.0], [6.0, 9.0], [12.0, 15.0]]
    assert dict(net.callbacks_)["grads"].players == ["d", "d", "d", "g"]
    assert any(not torch.equal(a, b) for a, b in zip(g_before, net.module_.parameters()))


def test_a_non_finite_step_is_skipped_and_an_epoch_of_them_stops_training():
    net = _game(n_critic=1)
    net.nan_generator = True
    g_before = [p.detach().clone() for p in net.module_.parameters()]
    d_before = [p.detach().clone() for p in net.discriminator_.parameters()]
    X = MaskedDataset(np.random.RandomState(0).rand(12, 3), np.ones((12, 3), dtype=bool))
    with pytest.raises(FloatingPointError, match="diverged"):
        net.partial_fit(X, None)
    # the generator never moved; the discriminator's finite steps did
    assert all(torch.equal(a, b) for a, b in zip(g_before, net.module_.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(d_before, net.discriminator_.parameters()))
    assert dict(net.callbacks_)["grads"].players.count("g") == 0
    assert net.history[-1, "skipped_steps"] == 2  # both batches of the epoch
