"""nn.init against torch.nn.init: gains and fans exactly, distributions statistically, structure exactly."""

import math
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.nn.init as init

NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]


@pytest.fixture(autouse=True)
def _seeded():
    """Statistical checks use fixed seeds so that they never flake."""
    ember.manual_seed(1234)


@pytest.mark.parametrize("name", NONLINEARITIES)
def test_calculate_gain_matches_torch(name):
    assert init.calculate_gain(name) == torch.nn.init.calculate_gain(name)


@pytest.mark.parametrize("param", [0, 0.2, 1, 3.5])
def test_calculate_gain_leaky_relu_param(param):
    assert init.calculate_gain("leaky_relu", param) == torch.nn.init.calculate_gain("leaky_relu", param)


@pytest.mark.parametrize("args", [("foo",), ("leaky_relu", "x"), ("leaky_relu", True)])
def test_calculate_gain_errors(args):
    with pytest.raises(ValueError) as t_err:
        torch.nn.init.calculate_gain(*args)
    with pytest.raises(ValueError, match=str(t_err.value)):
        init.calculate_gain(*args)


@pytest.mark.parametrize("shape", [(3, 4), (6, 2, 3), (5, 4, 3, 2), (2, 3, 1, 2, 2), (0, 3)])
def test_fans_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(ember.empty(shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    for mode in ("fan_in", "fan_out", "FAN_IN"):
        assert init._calculate_correct_fan(ember.empty(shape), mode) == \
            torch.nn.init._calculate_correct_fan(torch.empty(shape), mode)


def test_fan_errors():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ember.empty(3))
    with pytest.raises(ValueError, match=r"Mode bad not supported, please use one of \['fan_in', 'fan_out'\]"):
        init.kaiming_uniform_(ember.empty(3, 4), mode="bad")
    with pytest.raises(ValueError):
        init.xavier_uniform_(ember.empty(5))


def _check_uniform(t, bound, dtype=ember.float32):
    a = t.numpy()
    assert t.dtype == dtype
    assert a.min() >= -bound and a.max() <= bound
    assert a.min() < -0.95 * bound and a.max() > 0.95 * bound  # fills the whole interval
    n = a.size
    assert abs(a.mean()) < 5 * bound / math.sqrt(3 * n)
    assert a.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)


def _check_normal(t, std, mean=0.0):
    a = t.numpy().astype(np.float64)
    assert abs(a.mean() - mean) < 5 * std / math.sqrt(a.size)
    assert a.std() == pytest.approx(std, rel=0.03)


def test_uniform_and_normal():
    t = init.uniform_(ember.empty(200, 100), -0.5, 2.5)
    a = t.numpy()
    assert a.min() >= -0.5 and a.max() < 2.5 and abs(a.mean() - 1.0) < 0.02
    t = init.normal_(ember.empty(200, 100, dtype=ember.float64), 3.0, 0.5)
    assert t.dtype == ember.float64
    _check_normal(t, 0.5, mean=3.0)


@pytest.mark.parametrize("shape,gain", [((300, 200), 1.0), ((64, 32, 3, 3), 2.0)])
def test_xavier(shape, gain):
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    _check_uniform(init.xavier_uniform_(ember.empty(shape), gain=gain), std * math.sqrt(3))
    _check_normal(init.xavier_normal_(ember.empty(shape), gain=gain), std)


@pytest.mark.parametrize("a,mode,nonlinearity", [(0, "fan_in", "leaky_relu"), (math.sqrt(5), "fan_in", "leaky_relu"),
                                                  (0, "fan_out", "relu"), (0.1, "fan_in", "tanh")])
def test_kaiming(a, mode, nonlinearity):
    shape = (128, 64, 3, 3)
    fan = torch.nn.init._calculate_correct_fan(torch.empty(shape), mode)
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    _check_uniform(init.kaiming_uniform_(ember.empty(shape), a=a, mode=mode, nonlinearity=nonlinearity),
                   std * math.sqrt(3))
    _check_normal(init.kaiming_normal_(ember.empty(shape), a=a, mode=mode, nonlinearity=nonlinearity), std)


def test_kaiming_zero_element_warns_like_torch():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        torch.nn.init.kaiming_uniform_(torch.empty(0, 3))
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        t = init.kaiming_uniform_(ember.empty(0, 3))
    assert tuple(t.shape) == (0, 3)


def test_seeded_reproducible_and_generator_kwarg():
    ember.manual_seed(7)
    a = init.kaiming_uniform_(ember.empty(5, 4), a=math.sqrt(5)).numpy().copy()
    ember.manual_seed(7)
    b = init.kaiming_uniform_(ember.empty(5, 4), a=math.sqrt(5)).numpy().copy()
    np.testing.assert_array_equal(a, b)
    g1, g2 = ember.Generator().manual_seed(3), ember.Generator().manual_seed(3)
    for fn in (init.xavier_normal_, init.orthogonal_, init.trunc_normal_, init.uniform_):
        np.testing.assert_array_equal(fn(ember.empty(4, 6), generator=g1).numpy(),
                                      fn(ember.empty(4, 6), generator=g2).numpy())


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04), (1.0, 2.0, 0.0, 1.5)])
def test_trunc_normal(mean, std, a, b):
    t = init.trunc_normal_(ember.empty(100, 400), mean=mean, std=std, a=a, b=b)
    x = t.numpy().astype(np.float64)
    assert t.dtype == ember.float32
    assert x.min() >= a and x.max() <= b
    # moments of the truncated normal, worked out from the standard normal pdf/cdf
    al, be = (a - mean) / std, (b - mean) / std
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(be) - cdf(al)
    m = mean + std * (pdf(al) - pdf(be)) / z
    var = std**2 * (1 + (al * pdf(al) - be * pdf(be)) / z - ((pdf(al) - pdf(be)) / z) ** 2)
    assert abs(x.mean() - m) < 5 * math.sqrt(var / x.size)
    assert x.std() == pytest.approx(math.sqrt(var), rel=0.03)


def test_trunc_normal_warns_far_mean():
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        t = init.trunc_normal_(ember.empty(50), mean=5, std=1, a=-2, b=2)
    assert t.numpy().min() >= -2 and t.numpy().max() <= 2


def test_constant_ones_zeros_and_parameters_stay_leaves():
    p = ember.zeros(3, 4, requires_grad=True)
    assert init.constant_(p, 0.25) is p
    np.testing.assert_array_equal(p.detach().numpy(), np.full((3, 4), 0.25, np.float32))
    assert p.requires_grad and p.grad_fn is None and p.is_leaf
    np.testing.assert_array_equal(init.ones_(p).detach().numpy(), np.ones((3, 4)))
    np.testing.assert_array_equal(init.zeros_(p).detach().numpy(), np.zeros((3, 4)))


@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (5, 2)])
def test_eye(shape):
    e, t = init.eye_(ember.empty(shape)), torch.nn.init.eye_(torch.empty(shape))
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("shape,groups", [((4, 4, 3), 1), ((6, 3, 3, 3), 1), ((4, 6, 3, 5), 1), ((6, 2, 3, 3), 2),
                                          ((4, 2, 3, 3, 3), 2), ((6, 1, 5), 3)])
def test_dirac(shape, groups):
    e, t = init.dirac_(ember.empty(shape), groups=groups), torch.nn.init.dirac_(torch.empty(shape), groups=groups)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_eye_dirac_errors():
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(ember.empty(3, 4, 5))
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
        init.dirac_(ember.empty(3, 4))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(ember.empty(3, 4, 5), groups=2)


@pytest.mark.parametrize("shape,gain", [((5, 5), 1.0), ((4, 7), 2.0), ((7, 4), 0.5), ((6, 2, 2, 2), 1.5)])
def test_orthogonal(shape, gain):
    w = init.orthogonal_(ember.empty(shape, dtype=ember.float64), gain=gain).numpy().reshape(shape[0], -1)
    rows, cols = w.shape
    gram = w @ w.T if rows <= cols else w.T @ w
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=1e-10)


def test_orthogonal_error():
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        init.orthogonal_(ember.empty(3))


def test_sparse():
    t = init.sparse_(ember.empty(10, 1000), sparsity=0.25, std=0.5)
    x = t.numpy()
    assert ((x == 0).sum(axis=0) == math.ceil(0.25 * 10)).all()
    _check_normal(ember.tensor(x[x != 0]), 0.5)
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.sparse_(ember.empty(3, 4, 4), 0.1)


def test_deprecated_aliases_warn_like_torch():
    with warnings.catch_warnings(record=True) as t_w:
        warnings.simplefilter("always")
        torch.nn.init.uniform(torch.empty(2))
    with pytest.warns(FutureWarning, match=str(t_w[0].message).replace(".", r"\.")):
        init.uniform(ember.empty(2))


@pytest.mark.parametrize("fn", [lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)), init.kaiming_normal_,
                                init.xavier_uniform_, init.xavier_normal_, init.orthogonal_, init.trunc_normal_,
                                init.eye_, init.uniform_, init.normal_, lambda t: init.sparse_(t, 0.5)])
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_in_place_on_leaves_requiring_grad(fn, dtype):
    """Initialisers write in place into a leaf that requires grad, keep its dtype and record no graph."""
    p = ember.zeros(6, 5, dtype=dtype, requires_grad=True)
    out = fn(p)
    assert out is p and p.is_leaf and p.requires_grad and p.grad_fn is None and p.dtype == dtype
    assert np.any(p.detach().numpy() != 0)
