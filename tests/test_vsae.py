"""VSAE: behaviour that would fail without the method.

Small synthetic tables (a few hundred rows, a handful of features) and a few
dozen epochs; every fit is seeded. Timings (784 modalities against 8) are in
``benchmarks/vsae.py``; here the absence of a Python loop over modalities is
checked through the parameters' shapes.
"""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.impute import SimpleImputer

from sklimpute import VSAEImputer
from sklimpute.metrics import pfc
from sklimpute.mixed import Layout
from sklimpute.models.vsae import VSAEModule, VSAENet, vsae_loss

FAST = dict(epochs=40, warmup_epochs=10, patience=None, random_state=0)


def _correlated_table(n=500, d=8, rate=0.3, seed=0):
    """Rank-2 Gaussian table plus a little noise, with MCAR holes."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 2)) @ rng.normal(size=(2, d)) + 0.1 * rng.normal(size=(n, d))
    hidden = rng.rand(n, d) < rate
    return X, np.where(hidden, np.nan, X), hidden


def _mixed_frame(n=500, rate=0.2, seed=0):
    """Two numeric columns and two categorical ones, all driven by one latent."""
    rng = np.random.RandomState(seed)
    t = rng.normal(size=n)
    level = np.digitize(t + 0.3 * rng.normal(size=n), [-0.5, 0.5])
    df = pd.DataFrame({
        "a": t + 0.1 * rng.normal(size=n),
        "size": pd.Categorical(np.array(["small", "medium", "large"])[level],
                               categories=["small", "medium", "large", "huge"]),
        "b": -2 * t + 0.1 * rng.normal(size=n),
        "sign": np.where(t + 0.2 * rng.normal(size=n) > 0, "pos", "neg").astype(object),
    })
    hidden = rng.rand(n, 4) < rate
    return df, df.mask(hidden), hidden


@pytest.fixture(scope="module")
def table():
    return _correlated_table()


@pytest.fixture(scope="module")
def fitted(table):
    X, X_missing, hidden = table
    return VSAEImputer(**FAST).fit(X_missing)


@pytest.fixture(scope="module")
def mixed():
    df, df_missing, hidden = _mixed_frame()
    imp = VSAEImputer(**FAST).fit(df_missing)
    return df, df_missing, hidden, imp


# ------------------------------------------------------------------ imputation
def test_beats_mean_imputation_on_correlated_table(table, fitted):
    X, X_missing, hidden = table
    err = np.sqrt(((fitted.transform(X_missing) - X)[hidden] ** 2).mean())
    mean = np.sqrt(((SimpleImputer().fit_transform(X_missing) - X)[hidden] ** 2).mean())
    assert err < 0.8 * mean


def test_sample_imputations_differ_only_in_holes(table, fitted):
    X, X_missing, hidden = table
    draws = fitted.sample_imputations(X_missing[:50], n_draws=3, random_state=0)
    obs = ~hidden[:50]
    assert np.array_equal(draws[0][obs], X_missing[:50][obs])
    assert np.array_equal(draws[1][obs], draws[2][obs])
    assert not np.allclose(draws[1][~obs], draws[2][~obs])


def test_transform_averages_draws_and_is_repeatable(table, fitted):
    """The imputation is the mean of ``imputation_draws`` decoded draws, the same at every call."""
    X, X_missing, hidden = table
    a, b = fitted.transform(X_missing[:100]), fitted.transform(X_missing[:100])
    np.testing.assert_array_equal(a, b)
    one = fitted.set_params(imputation_draws=1).transform(X_missing[:100])
    mode = fitted.set_params(imputation_draws=0).transform(X_missing[:100])
    fitted.set_params(imputation_draws=20)
    holes = hidden[:100]
    assert not np.allclose(a[holes], one[holes]) and not np.allclose(a[holes], mode[holes])

    def mse(out):
        return ((out - X[:100])[holes] ** 2).mean()

    # one draw adds the proposal's spread to the error; the mean of 20 removes most of it
    assert mse(a) < 0.9 * mse(one)


def test_predictive_mean_averages_probabilities_not_logits():
    module = VSAEModule([0, 2], [[0], [1]], latent_dim=2)
    # draws of (numeric, logit of category 0, logit of category 1)
    outs = torch.tensor([[[1.0, 0.0, 10.0]], [[2.0, 3.0, 0.0]], [[6.0, 3.0, 0.0]]])
    values = module.predictive_mean(outs)
    assert values[0, 0] == pytest.approx(3.0)
    # mean probabilities (0.635, 0.365) pick category 0; mean logits (2, 3.3) would pick 1
    assert values[0, 1] == 0


# --------------------------------------------------------- the selective proposal
def test_observed_modality_latent_depends_only_on_its_own_values(fitted):
    """q(z_i | x, m) = q_phi(z_i | x_i) when m_i = 1; q_psi(z_i | x_o, m) otherwise."""
    module = fitted.net_.module_.eval()
    rng = torch.Generator().manual_seed(0)
    x = torch.randn(16, 8, generator=rng)
    mask = torch.ones(16, 8)
    mask[:, 7] = 0  # modality 7 unobserved
    x_other = x.clone()
    x_other[:, 1:7] = torch.randn(16, 6, generator=rng)  # change modalities 1..6
    with torch.no_grad():
        mu_a, logvar_a = module.encode(*module.expand(x, mask), noise=False)
        mu_b, logvar_b = module.encode(*module.expand(x_other, mask), noise=False)
    # observed modality 0: its code reads x_0 only
    assert torch.equal(mu_a[:, 0], mu_b[:, 0]) and torch.equal(logvar_a[:, 0], logvar_b[:, 0])
    # unobserved modality 7: its code comes from the observed data
    assert not torch.allclose(mu_a[:, 7], mu_b[:, 7])
    # and x_7's own (hidden) value is never read
    x_hole = x.clone()
    x_hole[:, 7] = 100.0
    with torch.no_grad():
        mu_c, _ = module.encode(*module.expand(x_hole, mask), noise=False)
    assert torch.equal(mu_a, mu_c)


def test_modality_is_observed_only_if_all_its_entries_are():
    module = VSAEModule([0] * 4, [[0, 1], [2, 3]], latent_dim=2, encoder_width=4, decoder_width=4,
                        mask_decoder_width=4)
    mask = torch.tensor([[1.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 1.0]])
    _, _, m = module.expand(torch.zeros(2, 4), mask)
    assert m.tolist() == [[1.0, 0.0], [0.0, 1.0]]


# --------------------------------------------------------------------- warm-up
def test_warmup_switches_the_unobserved_term_on(table, monkeypatch):
    X, X_missing, hidden = table
    calls = []
    forward = VSAEModule.forward

    def counting(self, x, mask, **kwargs):
        calls.append("x_tilde" in kwargs)
        return forward(self, x, mask, **kwargs)

    monkeypatch.setattr(VSAEModule, "forward", counting)
    imp = VSAEImputer(epochs=5, warmup_epochs=2, patience=None, validation_fraction=0.0,
                      batch_size=250, random_state=0).fit(X_missing)
    assert list(imp.history_[:, "xu_on"]) == [0, 0, 1, 1, 1]
    xu = np.array(imp.history_[:, "xu_loss"])
    assert np.all(xu[:2] == 0) and np.all(xu[2:] > 0)
    # 500 rows in 2 batches: one pass per batch in the warm-up, then two (generate
    # x~_u without a loss, then the loss with x~_u as the holes' targets)
    assert calls == [False] * 4 + [False, True] * 6


def test_generated_targets_stay_in_the_observed_range(table, monkeypatch):
    # a decoder gone wild (every value 1e3) must not become the holes' target:
    # x~_u is bounded by each feature's observed range (ours; without the bound
    # the self-made targets ran away in long training)
    X, X_missing, hidden = table
    targets = []
    loss = VSAENet.get_loss

    def recording(self, y_pred, y_true, X=None, training=False):
        if training and "x_tilde" in X:
            targets.append(X["x_tilde"].clone())
        return loss(self, y_pred, y_true, X=X, training=training)

    monkeypatch.setattr(VSAENet, "get_loss", recording)
    monkeypatch.setattr(VSAEModule, "feature_values", lambda self, out, sample=False: torch.full(
        (out.shape[0], self.layout.n_features), 1e3))
    imp = VSAEImputer(epochs=2, warmup_epochs=1, patience=None, validation_fraction=0.0,
                      batch_size=250, random_state=0).fit(X_missing)
    scaled = imp.scaler_.transform(X_missing)
    high = np.nanmax(scaled, axis=0)
    assert len(targets) == 2
    for t in targets:
        np.testing.assert_allclose(t.numpy(), np.broadcast_to(high, t.shape), rtol=1e-5)
    low, top = (r.numpy() for r in imp.net_.target_range_)
    np.testing.assert_allclose(low, np.nanmin(scaled, axis=0), rtol=1e-5)
    np.testing.assert_allclose(top, high, rtol=1e-5)


def test_unobserved_term_scores_missing_entries_against_generated_values():
    module = VSAEModule([0, 0, 3], [[0], [1], [2]], latent_dim=2, encoder_width=4, decoder_width=4,
                        mask_decoder_width=4).eval()
    x = torch.tensor([[0.5, -1.0, 2.0]])
    mask = torch.tensor([[1.0, 0.0, 1.0]])
    with torch.no_grad():
        y_pred = module(x, mask)
    without, terms = vsae_loss(module, y_pred, x, mask)
    assert float(terms["unobserved"]) == 0.0
    x_tilde = module.feature_values(y_pred[0]).detach()
    with_xu, terms = vsae_loss(module, y_pred, x, mask, x_tilde)
    # the decoder mean of x_1 is its target: the squared error is 0
    assert float(terms["unobserved"]) == pytest.approx(0.0, abs=1e-12)
    x_tilde[0, 1] += 1.0
    _, terms = vsae_loss(module, y_pred, x, mask, x_tilde)
    assert float(terms["unobserved"]) == pytest.approx(1.0)


def test_unobserved_weight_weighs_the_generated_targets_term():
    module = VSAEModule([0, 0], [[0], [1]], latent_dim=2, encoder_width=4, decoder_width=4,
                        mask_decoder_width=4).eval()
    x, mask = torch.tensor([[0.5, -1.0]]), torch.tensor([[1.0, 0.0]])
    with torch.no_grad():
        y_pred = module(x, mask)
    x_tilde = module.feature_values(y_pred[0]) + torch.tensor([[0.0, 2.0]])  # x_1 off by 2
    full, terms = vsae_loss(module, y_pred, x, mask, x_tilde)
    assert float(terms["unobserved"]) == pytest.approx(4.0)
    for w in (0.0, 0.25):
        weighted, _ = vsae_loss(module, y_pred, x, mask, x_tilde, unobserved_weight=w)
        assert float(full - weighted) == pytest.approx((1 - w) * 4.0)


def test_zero_unobserved_weight_never_generates_targets(table, monkeypatch):
    X, X_missing, hidden = table
    calls = []
    forward = VSAEModule.forward

    def counting(self, x, mask, **kwargs):
        calls.append(self.training)
        return forward(self, x, mask, **kwargs)

    monkeypatch.setattr(VSAEModule, "forward", counting)
    imp = VSAEImputer(epochs=4, warmup_epochs=1, unobserved_weight=0.0, patience=None,
                      validation_fraction=0.0, batch_size=250, random_state=0).fit(X_missing)
    assert list(imp.history_[:, "xu_on"]) == [0, 0, 0, 0]
    assert list(imp.history_[:, "xu_loss"]) == [0.0] * 4
    assert calls == [True] * 8  # one pass per batch (2 batches, 4 epochs): no generating pass


# --------------------------------------------------------- categorical features
def test_categorical_imputations_are_valid_categories_and_round_trip(mixed):
    df, df_missing, hidden, imp = mixed
    out = imp.transform(df_missing)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == list(df.columns)
    assert out["size"].dtype == df["size"].dtype  # same categories, same order
    assert set(out["size"]) <= {"small", "medium", "large"}
    assert set(out["sign"]) <= {"pos", "neg"}
    assert not out.isna().any().any()
    for col in df.columns:  # observed entries unchanged
        obs = df_missing[col].notna()
        assert (out.loc[obs, col] == df_missing.loc[obs, col]).all()
    assert out["a"].dtype == np.float64


def test_categorical_imputation_uses_the_other_features(mixed):
    df, df_missing, hidden, imp = mixed
    out = imp.transform(df_missing)
    for j, col in [(1, "size"), (3, "sign")]:
        h = hidden[:, j]
        err = (out.loc[h, col].astype(str) != df.loc[h, col].astype(str)).mean()
        mode = df_missing[col].mode()[0]
        err_mode = (df.loc[h, col].astype(str) != str(mode)).mean()
        assert err < 0.8 * err_mode, col


def test_categorical_features_on_numeric_codes():
    rng = np.random.RandomState(0)
    t = rng.normal(size=300)
    X = np.column_stack([t, np.choose((t > 0).astype(int), [1.0, 7.0]), -t])
    X[rng.rand(300, 3) < 0.3] = np.nan
    imp = VSAEImputer(categorical_features=[1], epochs=5, warmup_epochs=2, random_state=0).fit(X)
    out = imp.transform(X)
    assert set(np.unique(out[:, 1])) <= {1.0, 7.0}
    assert list(imp.categories_[1]) == [1.0, 7.0] and imp.categorical_.tolist() == [False, True, False]
    draws = imp.sample_imputations(X, n_draws=2, random_state=0)
    assert set(np.unique(draws[:, :, 1])) <= {1.0, 7.0}
    X_gen, observed = imp.sample(50, random_state=0)
    assert set(np.unique(X_gen[:, 1])) <= {1.0, 7.0} and observed.dtype == bool
    # a boolean mask says the same
    same = VSAEImputer(categorical_features=[False, True, False], epochs=5, warmup_epochs=2,
                       random_state=0).fit(X)
    np.testing.assert_array_equal(same.transform(X), out)


@pytest.mark.parametrize(
    "params, make_X, message",
    [
        (dict(categorical_features=[5]), lambda X: X, "categorical_features must be indices"),
        (dict(categorical_features=[True]), lambda X: X, "boolean mask"),
        (dict(categorical_features=[0], missing_values=-1.0), lambda X: np.nan_to_num(X, nan=-1.0),
         "missing_values=np.nan"),
        (dict(modalities=[2, 2]), lambda X: X, "sum to the number of features"),
        (dict(modalities=[[0, 1], [1, 2]]), lambda X: X, "exactly once"),
    ],
)
def test_bad_parameters_fail_before_training(params, make_X, message):
    X = np.arange(30, dtype=float).reshape(10, 3) % 4
    X[0, 0] = np.nan
    imp = VSAEImputer(epochs=1, **params)
    with pytest.raises(ValueError, match=message):
        imp.fit(make_X(X))
    assert not hasattr(imp, "net_")


def test_unknown_category_in_transform_is_an_error(mixed):
    df, df_missing, hidden, imp = mixed
    bad = df_missing.copy()
    bad["sign"] = bad["sign"].astype(object)
    bad.loc[bad.index[0], "sign"] = "zero"
    with pytest.raises(ValueError, match="not seen in fit"):
        imp.transform(bad)


# ------------------------------------------------------------- modalities, images
def test_group_sizes_and_index_lists_give_the_same_model():
    X, X_missing, _ = _correlated_table(n=200, d=6)
    a = VSAEImputer(modalities=[2, 4], epochs=3, warmup_epochs=1, random_state=0).fit(X_missing)
    b = VSAEImputer(modalities=[[0, 1], [2, 3, 4, 5]], epochs=3, warmup_epochs=1,
                    random_state=0).fit(X_missing)
    assert a.net_.module_.layout.n_modalities == 2
    np.testing.assert_array_equal(a.transform(X_missing), b.transform(X_missing))
    X_gen, observed = a.sample(20, random_state=0)
    # every feature of a modality shares the modality's mask draw
    assert (observed[:, :2] == observed[:, :1]).all() and (observed[:, 2:] == observed[:, 2:3]).all()


def test_image_defaults_follow_the_paper():
    rng = np.random.RandomState(0)
    X = rng.rand(40, 32)
    X[:20, :16] = np.nan  # first image missing in half of the rows
    imp = VSAEImputer(shape=(2, 4, 4), modalities=[16, 16], epochs=1, random_state=0).fit(X)
    module = imp.net_.module_
    assert (imp.latent_dim_, imp.encoder_width_, imp.mask_decoder_width_) == (256, 128, 16)
    assert imp.lr_ == 1e-4 and imp.fill_ == "zeros" and imp.reconstruction_ == "bce"
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in module.unimodal)
    assert module.unimodal[0].weight.shape == (2, 128, 16)
    out = imp.transform(X)
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_table_defaults_follow_the_paper(fitted):
    module = fitted.net_.module_
    assert (fitted.latent_dim_, fitted.encoder_width_, fitted.mask_decoder_width_) == (20, 64, 64)
    assert fitted.lr_ == 1e-3 and fitted.fill_ == "noise" and fitted.reconstruction_ == "mse"
    # Linear(1, 64) -> BatchNorm -> LeakyReLU -> Linear(64, 64) -> ... -> Linear(64, 2 * 20), per modality
    assert module.unimodal[0].weight.shape == (8, 64, 1)
    assert isinstance(module.unimodal[1], torch.nn.BatchNorm1d)
    assert module.unimodal[-1].weight.shape == (8, 40, 64)
    assert module.multimodal[0].in_features == 8 + 8 and module.multimodal[-1].out_features == 8 * 40
    assert module.mask_decoder[0].in_features == 8 * 20 and module.mask_decoder[-1].out_features == 8
    assert module.data_decoder[0].in_features == 8 * 20 + 8 and module.data_decoder[0].out_features == 128
    assert fitted.net_.beta == 1.0 and VSAEImputer().warmup_epochs == 20


def test_all_categorical_tables_use_the_papers_categorical_lr():
    df, df_missing, _ = _mixed_frame(n=100)
    imp = VSAEImputer(epochs=1, random_state=0).fit(df_missing[["size", "sign"]])
    assert imp.lr_ == 1e-2 and imp.net_.optimizer_.param_groups[0]["lr"] == 1e-2


@pytest.mark.parametrize(
    "param, value, check",
    [
        ("latent_dim", 3, lambda imp: imp.net_.module_.mask_decoder[0].in_features == 4 * 3),
        ("encoder_width", 7, lambda imp: imp.net_.module_.unimodal[0].weight.shape[1] == 7),
        ("decoder_width", 9, lambda imp: imp.net_.module_.data_decoder[0].out_features == 9),
        ("mask_decoder_width", 5, lambda imp: imp.net_.module_.mask_decoder[0].out_features == 5),
        ("n_layers", 1, lambda imp: len(imp.net_.module_.unimodal) == 4),
        ("warmup_epochs", 1, lambda imp: list(imp.history_[:, "xu_on"]) == [0, 1]),
        ("lr", 0.05, lambda imp: imp.net_.optimizer_.param_groups[0]["lr"] == 0.05),
        ("beta", 0.3, lambda imp: imp.net_.beta == 0.3),
        ("hide_rate", 0.4, lambda imp: imp.net_.hide_rate == 0.4),
        ("unobserved_weight", 0.5, lambda imp: imp.net_.unobserved_weight == 0.5),
        ("batchnorm", False, lambda imp: not any(isinstance(m, torch.nn.BatchNorm1d)
                                                 for m in imp.net_.module_.modules())),
        ("fill", "zeros", lambda imp: imp.net_.module_.fill == "zeros"),
        ("reconstruction", "bce", lambda imp: imp.net_.module_.output == "bce"),
        ("batch_size", 16, lambda imp: imp.net_.batch_size == 16),
    ],
)
def test_every_hyperparameter_reaches_the_model(param, value, check):
    X, X_missing, _ = _correlated_table(n=80, d=4)
    imp = VSAEImputer(epochs=2, warmup_epochs=5, patience=None, random_state=0)
    imp.set_params(**{param: value}).fit(X_missing)
    assert check(imp)
    default = VSAEImputer(epochs=2, warmup_epochs=5, patience=None, random_state=0).fit(X_missing)
    assert not check(default)


def test_per_modality_encoders_are_grouped_not_looped():
    """784 modalities hold as many parameter tensors as 8: one stacked tensor per layer."""
    small = VSAEModule([0] * 8, [[j] for j in range(8)])
    large = VSAEModule([0] * 784, [[j] for j in range(784)])
    assert len(list(small.parameters())) == len(list(large.parameters()))
    assert large.unimodal[0].weight.shape == (784, 64, 1)
    x = torch.randn(4, 784)
    mu, logvar = large.eval().encode(*large.expand(x, torch.ones(4, 784)), noise=False)
    assert mu.shape == (4, 784, 20)


def test_layout_of_mixed_features():
    lay = Layout([0, 3, 0, 2], [[0, 1], [2], [3]])
    assert lay.n_expanded == 7 and lay.modality_width == 4
    assert lay.modality_entries.tolist() == [[0, 1, 2, 3], [4, 7, 7, 7], [5, 6, 7, 7]]
    assert lay.category_entries.tolist() == [[1, 2, 3], [5, 6, 7]]


def test_set_output_pandas_keeps_the_categories(mixed):
    df, df_missing, hidden, imp = mixed
    try:
        out = imp.set_output(transform="pandas").transform(df_missing.set_axis(df.index + 10))
    finally:
        imp.set_output(transform="default")
    assert out["size"].dtype == df["size"].dtype and list(out.index) == list(df.index + 10)
    assert set(out["sign"]) <= {"pos", "neg"}
