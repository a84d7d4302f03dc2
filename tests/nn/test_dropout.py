"""Dropout: structure and statistics (masks come from ember's generator, not PyTorch's), errors and reprs as PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import ember
import ember.nn as enn
import ember.nn.functional as EF

FLOATS = ["float32", "float64"]


def _ones(shape, dtype="float32", requires_grad=False):
    return ember.ones(shape, dtype=getattr(ember, dtype), requires_grad=requires_grad)


# -- element-wise dropout -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_scales_kept_and_zeroes_about_p(p, dtype):
    ember.manual_seed(1)
    n = 20000
    y = EF.dropout(_ones(n, dtype), p)
    v = y.numpy()
    assert y.dtype == getattr(ember, dtype)
    kept = v != 0
    np.testing.assert_allclose(v[kept], 1 / (1 - p), rtol=1e-6)
    # the zeroed fraction is Binomial(n, p) / n: allow 5 standard deviations
    assert abs((~kept).mean() - p) < 5 * np.sqrt(p * (1 - p) / n)


def test_dropout_keeps_the_mean():
    ember.manual_seed(2)
    x = ember.rand(50000) + 1
    y = EF.dropout(x, 0.3)
    assert abs(y.mean().item() - x.mean().item()) < 0.02


def test_dropout_gradient_uses_the_mask():
    ember.manual_seed(3)
    x = ember.randn(40, 30, requires_grad=True)
    y = EF.dropout(x, 0.4)
    g = ember.randn(40, 30)
    y.backward(g)
    mask = (y.detach().numpy() != 0)
    np.testing.assert_allclose(x.grad.numpy(), g.numpy() * mask / 0.6, rtol=1e-6)
    assert y.grad_fn.name() == "MulBackward0"  # PyTorch's CPU dropout is input * noise, too


def test_same_seed_same_mask_and_different_seed_different_mask():
    x = ember.randn(100)
    ember.manual_seed(7)
    a = EF.dropout(x, 0.5).numpy()
    ember.manual_seed(7)
    b = EF.dropout(x, 0.5).numpy()
    ember.manual_seed(8)
    c = EF.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a != 0, c != 0)


def test_consecutive_calls_draw_new_masks():
    ember.manual_seed(0)
    x = ember.ones(200)
    assert not np.array_equal(EF.dropout(x).numpy(), EF.dropout(x).numpy())


@pytest.mark.parametrize("fn", [EF.dropout, EF.alpha_dropout, EF.feature_alpha_dropout, EF.dropout1d, EF.dropout2d,
                                EF.dropout3d])
def test_identity_when_not_training_or_p_zero(fn):
    x = ember.randn(2, 3, 4, 5, 2) if fn is not EF.dropout1d else ember.randn(2, 3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert fn(x, 0.5, training=False) is x
        assert fn(x, 0.0, training=True) is x
        np.testing.assert_array_equal(fn(x, 0.5, training=False).numpy(), x.numpy())


def test_identity_matches_torch():
    x = torch.randn(3, 4)
    assert TF.dropout(x, 0.5, training=False) is x and TF.dropout(x, 0.0) is x
    assert TF.alpha_dropout(x, 0.5) is x  # alpha_dropout's training defaults to False
    e = ember.randn(3, 4)
    assert EF.alpha_dropout(e, 0.5) is e


@pytest.mark.parametrize("fn", ["dropout", "alpha_dropout", "dropout2d"])
def test_p_one_zeroes_everything(fn):
    x = ember.randn(4, 3, 2, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = getattr(EF, fn)(x, 1.0, True)
        t = getattr(TF, fn)(torch.from_numpy(x.detach().numpy()).requires_grad_(), 1.0, True)
    np.testing.assert_array_equal(y.detach().numpy(), t.detach().numpy())
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((4, 3, 2), np.float32))


@pytest.mark.parametrize("fn", ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
                                "feature_alpha_dropout"])
@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_bad_p_raises_value_error(fn, p):
    with pytest.raises(ValueError) as t_err:
        getattr(TF, fn)(torch.randn(2, 3, 4), p)
    with pytest.raises(ValueError) as e_err:
        getattr(EF, fn)(ember.randn(2, 3, 4), p)
    assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("fn", ["dropout", "dropout1d", "dropout2d", "alpha_dropout", "feature_alpha_dropout"])
@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
def test_integer_input_like_torch(fn, p):
    """Integer input passes through at p 0 or 1 (kept dtype) and fails otherwise, as in PyTorch."""
    x = np.arange(24).reshape(2, 3, 4)
    try:
        t_out = getattr(TF, fn)(torch.tensor(x), p, training=True)
    except RuntimeError as t_err:
        with pytest.raises(RuntimeError) as e_err:
            getattr(EF, fn)(ember.tensor(x), p, training=True)
        assert str(e_err.value) == str(t_err)
        return
    e_out = getattr(EF, fn)(ember.tensor(x), p, training=True)
    assert str(e_out.dtype)[6:] == str(t_out.dtype)[6:]
    np.testing.assert_array_equal(e_out.numpy(), t_out.numpy())


@pytest.mark.parametrize("cls", ["Dropout", "Dropout2d", "AlphaDropout"])
def test_module_bad_p_raises(cls):
    with pytest.raises(ValueError) as t_err:
        getattr(tnn, cls)(1.2)
    with pytest.raises(ValueError) as e_err:
        getattr(enn, cls)(1.2)
    assert str(e_err.value) == str(t_err.value)


def test_inplace_dropout():
    ember.manual_seed(4)
    x = ember.randn(50, requires_grad=True)
    y = x * 1
    out = EF.dropout(y, 0.5, inplace=True)
    assert out is y
    out.backward(ember.ones(50))
    mask = y.detach().numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), mask * 2.0, rtol=1e-6)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        EF.dropout(ember.randn(3, requires_grad=True), 0.5, inplace=True)


def test_empty_input():
    x = ember.randn(0, 3)
    assert EF.dropout(x, 0.5).shape == (0, 3)


# -- channel-wise dropout -----------------------------------------------------------------------------
def _channel_states(y: np.ndarray) -> np.ndarray:
    """Per (sample, channel): True if all zero, False if all nonzero; fails if a channel is mixed."""
    flat = y.reshape(y.shape[0], y.shape[1], -1)
    zero, nonzero = (flat == 0).all(-1), (flat != 0).all(-1)
    assert (zero | nonzero).all(), "a channel was only partly dropped"
    return zero


@pytest.mark.parametrize("fn,shape", [(EF.dropout1d, (8, 16, 5)), (EF.dropout2d, (8, 16, 3, 4)),
                                      (EF.dropout3d, (4, 16, 2, 3, 2))])
def test_channel_dropout_zeroes_whole_channels(fn, shape):
    ember.manual_seed(5)
    x = ember.rand(shape) + 0.5  # no zeros in the input
    x.requires_grad_(True)
    y = fn(x, 0.5)
    v = y.detach().numpy()
    dropped = _channel_states(v)
    assert 0.25 < dropped.mean() < 0.75
    np.testing.assert_allclose(v[~dropped], 2 * x.detach().numpy()[~dropped], rtol=1e-6)
    y.sum().backward()
    grad_dropped = _channel_states(x.grad.numpy())
    np.testing.assert_array_equal(grad_dropped, dropped)


@pytest.mark.parametrize("fn,shape", [(EF.dropout1d, (16, 5)), (EF.dropout3d, (16, 2, 3, 2))])
def test_channel_dropout_unbatched(fn, shape):
    ember.manual_seed(6)
    x = ember.rand(shape) + 0.5
    y = fn(x, 0.5)
    assert y.shape == x.shape
    _channel_states(y.numpy()[None])
    z = x.clone()
    assert fn(z, 0.5, inplace=True) is z
    _channel_states(z.numpy()[None])


def test_dropout1d_shape_errors():
    for bad in ((4,), (2, 3, 4, 5)):
        with pytest.raises(RuntimeError) as t_err:
            TF.dropout1d(torch.randn(*bad))
        with pytest.raises(RuntimeError) as e_err:
            EF.dropout1d(ember.randn(*bad))
        assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("fn,shape", [("dropout2d", (3, 4)), ("dropout2d", (3, 4, 5)), ("dropout2d", (2, 3, 4, 5, 6)),
                                      ("dropout3d", (2, 3, 4)), ("dropout3d", (2, 3, 4, 5))])
def test_channel_dropout_warnings(fn, shape):
    messages = []
    for F, lib in ((TF, torch), (EF, ember)):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            getattr(F, fn)(lib.randn(*shape), 0.5)
        messages.append([str(x.message) for x in w])
    assert messages[0] == messages[1]


def test_feature_dropout_needs_two_dims():
    with pytest.raises(RuntimeError) as t_err:
        TF.feature_alpha_dropout(torch.randn(3), 0.5, True)
    with pytest.raises(RuntimeError) as e_err:
        EF.feature_alpha_dropout(ember.randn(3), 0.5, True)
    assert str(e_err.value) == str(t_err.value)


# -- alpha dropout ------------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.1, 0.3, 0.5])
def test_alpha_dropout_keeps_mean_and_variance(p):
    ember.manual_seed(9)
    x = ember.randn(200000)  # zero mean, unit variance: the fixed point of SELU networks
    y = EF.alpha_dropout(x, p, training=True)
    assert abs(y.mean().item()) < 0.01
    assert abs(y.std().item() - 1) < 0.01


def test_alpha_dropout_values():
    # kept units: a * x + alpha * a * p; dropped units: the constant alpha * a * (p - 1), with
    # alpha = 1.7581 (SELU's saturation) and a = ((1 - p) (1 + p alpha^2)) ** -0.5
    ember.manual_seed(10)
    p, alpha = 0.2, 1.7580993408473766
    a = ((1 - p) * (1 + p * alpha ** 2)) ** -0.5
    x = ember.randn(1000, dtype=ember.float64, requires_grad=True)
    y = EF.alpha_dropout(x, p, training=True)
    xv, yv = x.detach().numpy(), y.detach().numpy()
    kept = np.isclose(yv, a * xv + alpha * a * p, rtol=1e-12, atol=1e-12)
    dropped = np.isclose(yv, alpha * a * (p - 1), rtol=1e-12, atol=1e-12)
    assert (kept | dropped).all()
    assert abs(dropped.mean() - p) < 0.07
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.where(kept, a, 0.0), rtol=1e-12)
    assert y.grad_fn.name() == "AddBackward0"


def test_feature_alpha_dropout_whole_channels():
    ember.manual_seed(11)
    x = ember.zeros(6, 10, 4, 4)
    y = EF.feature_alpha_dropout(x, 0.5, training=True).numpy()
    per_channel = y.reshape(6, 10, -1)
    assert (per_channel == per_channel[..., :1]).all()  # one value per (sample, channel)
    assert len(np.unique(per_channel[..., 0])) == 2


# -- modules ------------------------------------------------------------------------------------------
MODULES = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


@pytest.mark.parametrize("name", MODULES)
@pytest.mark.parametrize("args", [(), (0.2,), (0.3, True)])
def test_module_repr(name, args):
    assert repr(getattr(enn, name)(*args)) == repr(getattr(tnn, name)(*args))


@pytest.mark.parametrize("name,shape", [("Dropout", (4, 5)), ("Dropout1d", (2, 3, 4)), ("Dropout2d", (2, 3, 4, 4)),
                                        ("Dropout3d", (2, 3, 2, 2, 2)), ("AlphaDropout", (4, 5)),
                                        ("FeatureAlphaDropout", (2, 3, 4))])
def test_module_train_and_eval(name, shape):
    ember.manual_seed(12)
    m = getattr(enn, name)(0.5)
    x = ember.rand(shape) + 0.5
    assert not np.array_equal(m(x).numpy(), x.numpy())
    m.eval()
    y = m(x)
    assert y is x


def test_module_inplace():
    ember.manual_seed(13)
    m = enn.Dropout(0.5, inplace=True)
    x = ember.ones(100)
    assert m(x) is x
    assert set(np.unique(x.numpy())) == {0.0, 2.0}


def test_dropout_in_a_network_seeded_twice_gives_the_same_output():
    def run():
        ember.manual_seed(14)
        net = enn.Sequential(enn.Linear(8, 16), enn.ReLU(), enn.Dropout(0.5), enn.Linear(16, 2))
        return net(ember.ones(4, 8)).detach().numpy()

    np.testing.assert_array_equal(run(), run())
