"""Top-level activations against PyTorch: softmax/log_softmax, selu/celu/threshold/rrelu/prelu/hardshrink, dropout."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ember
from tests.helpers import DTYPES, assert_same, check_op, make_array

FLOATS = ["float32", "float64"]


def check_double_backward(fn, shape, dtype: str = "float64", low: float = -3.0, high: float = 3.0,
                          torch_fn=None, seed: int = 0) -> None:
    """Second derivatives of fn match PyTorch's: d/d(x, g) of sum(v * grad(fn(x), x, g, create_graph=True))."""
    torch_fn = torch_fn or fn
    x = make_array(shape, dtype, low, high, seed)
    rng = np.random.default_rng(seed + 7)
    y_shape = tuple(torch_fn(torch.from_numpy(x.copy())).shape)
    g = rng.uniform(-1, 1, y_shape).astype(dtype)
    v = rng.uniform(-1, 1, shape).astype(dtype)
    results = []
    for lib, f in ((torch, torch_fn), (ember, fn)):
        xt = lib.from_numpy(x.copy()).requires_grad_(True)
        gt = lib.from_numpy(g.copy()).requires_grad_(True)
        (gx,) = lib.autograd.grad(f(xt), xt, gt, create_graph=True)
        results.append(lib.autograd.grad((gx * lib.from_numpy(v.copy())).sum(), (xt, gt), allow_unused=True))
    for e, t in zip(results[1], results[0]):
        if e is None or t is None:  # an unused input: the other library must give None or zeros
            assert not np.any((e if e is not None else t).detach().numpy())
        else:
            assert_same(e, t)


# -- softmax / log_softmax ----------------------------------------------------------------------------
SOFTMAX_CASES = [((5,), 0), ((5,), -1), ((3, 4), 0), ((3, 4), 1), ((2, 3, 4), 1), ((2, 3, 4), -1), ((2, 1, 3, 2), 2),
                 ((), 0), ((), -1), ((0, 3), 1), ((3, 0), 0)]


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape,dim", SOFTMAX_CASES)
def test_softmax_values_and_grads(name, dtype, shape, dim):
    out, _ = check_op(lambda x: getattr(x, name)(dim), [shape], dtype=dtype, low=-4, high=4)
    if out.numel():
        assert out.grad_fn.name() == {"softmax": "SoftmaxBackward0", "log_softmax": "LogSoftmaxBackward0"}[name]


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_function_form_and_noncontiguous(name):
    check_op(lambda x: getattr(x.transpose(0, 1), name)(1), [(4, 3)], noncontig=True)
    check_op(lambda x: getattr(ember, name)(x, dim=0), [(4, 3)],
             torch_fn=lambda x: getattr(torch, name)(x, dim=0))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_large_values_are_stable(name):
    a = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]], dtype=np.float32)
    check_op(lambda x: getattr(x, name)(1), arrays=[a])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_infinities(name):
    a = np.array([[-np.inf, -np.inf, -np.inf], [-np.inf, 0.0, 1.0], [np.inf, 1.0, 2.0]])
    check_op(lambda x: getattr(x, name)(1), arrays=[a], grad=False)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("in_dtype,out_dtype", [("float32", "float64"), ("float64", "float32"), ("int64", "float32"),
                                                ("float32", "float32")])
def test_softmax_dtype_argument(name, in_dtype, out_dtype):
    a = make_array((3, 4), in_dtype, -3, 3)
    e_dt, t_dt = DTYPES[out_dtype]
    e = getattr(ember.from_numpy(a.copy()), name)(1, dtype=e_dt)
    t = getattr(torch.from_numpy(a.copy()), name)(1, dtype=t_dt)
    assert_same(e, t)
    if in_dtype != "int64":
        # a float64 input computed in float32 gets a float64 gradient with float32 accuracy
        tol = 1e-6 if out_dtype == "float32" else None
        check_op(lambda x: getattr(ember, name)(x, 1, dtype=e_dt), arrays=[a],
                 torch_fn=lambda x: getattr(torch, name)(x, 1, dtype=t_dt), atol=tol, rtol=tol)


def test_softmax_dtype_cast_is_recorded():
    x = ember.randn(2, 3, requires_grad=True)
    y = ember.softmax(x, 1, dtype=ember.float64)
    assert y.dtype == ember.float64
    assert y.grad_fn.next_functions[0][0].name() == "ToCopyBackward0"


def test_softmax_float16():
    a = make_array((3, 5), "float16", -3, 3)
    assert_same(ember.from_numpy(a).softmax(1), torch.from_numpy(a).softmax(1))
    assert_same(ember.from_numpy(a).log_softmax(0), torch.from_numpy(a).log_softmax(0))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((3, 4), 1), ((2, 3, 4), 0)])
def test_softmax_double_backward(name, shape, dim):
    check_double_backward(lambda x: getattr(x, name)(dim), shape)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_errors(name):
    for call in (lambda lib, n: getattr(lib, n)(lib.ones(2, 3, dtype=lib.int64), 1),
                 lambda lib, n: getattr(lib, n)(lib.ones(2, 3, dtype=lib.int64), 0),
                 lambda lib, n: getattr(lib, n)(lib.ones(2, 3, dtype=lib.bool), 0),
                 lambda lib, n: getattr(lib, n)(lib.ones(2, 3), 2),
                 lambda lib, n: getattr(lib, n)(lib.ones(2, 3), -3),
                 lambda lib, n: getattr(lib, n)(lib.ones(2, 3), 1.0),
                 lambda lib, n: getattr(lib, n)(lib.ones(2, 3), (0,)),
                 lambda lib, n: getattr(lib, n)(lib.ones(2, 3), 1, dtype=lib.int64)):
        with pytest.raises(Exception) as t_err:
            call(torch, name)
        with pytest.raises(t_err.type) as e_err:
            call(ember, name)
        assert str(e_err.value) == str(t_err.value)


def test_softmax_inplace_modified_output_raises_at_backward():
    x = ember.randn(3, requires_grad=True)
    y = ember.softmax(x, 0)
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# -- top-level elementwise activations ----------------------------------------------------------------
TOP_LEVEL = [
    ("selu", lambda lib, x: lib.selu(x)),
    ("celu", lambda lib, x: lib.celu(x)),
    ("celu_alpha", lambda lib, x: lib.celu(x, 2.5)),
    ("threshold", lambda lib, x: lib.threshold(x, 0.3, -2.0)),
    ("hardshrink", lambda lib, x: lib.hardshrink(x, 0.7)),
    ("hardshrink_method", lambda lib, x: x.hardshrink()),
    ("rrelu_eval", lambda lib, x: lib.rrelu(x)),
    ("rrelu_eval_bounds", lambda lib, x: lib.rrelu(x, 0.2, 0.6)),
    ("relu", lambda lib, x: lib.relu(x)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,fn", TOP_LEVEL, ids=[c[0] for c in TOP_LEVEL])
def test_top_level_activation(name, fn, dtype):
    check_op(lambda x: fn(ember, x), [(4, 5)], torch_fn=lambda x: fn(torch, x), dtype=dtype, low=-3, high=3)


INPLACE = [
    ("relu_", lambda lib, x: lib.relu_(x)),
    ("relu_method", lambda lib, x: x.relu_()),
    ("selu_", lambda lib, x: lib.selu_(x)),
    ("celu_", lambda lib, x: lib.celu_(x, 1.5)),
    ("threshold_", lambda lib, x: lib.threshold_(x, 0.1, 5.0)),
    ("rrelu_", lambda lib, x: lib.rrelu_(x)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,fn", INPLACE, ids=[c[0] for c in INPLACE])
def test_top_level_inplace(name, fn, dtype):
    def run(lib, x):
        y = x * 1
        out = fn(lib, y)
        assert out is y
        return out

    e, t = check_op(lambda x: run(ember, x), [(3, 4)], torch_fn=lambda x: run(torch, x), dtype=dtype)
    assert e.grad_fn.name() == t.grad_fn.name()


@pytest.mark.parametrize("name,fn", INPLACE, ids=[c[0] for c in INPLACE])
def test_top_level_inplace_on_leaf_raises(name, fn):
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        fn(ember, ember.randn(3, requires_grad=True))


def test_inplace_on_saved_tensor_raises_at_backward():
    for lib in (torch, ember):
        x = lib.randn(4, requires_grad=True)
        y = x.exp()  # exp saves its output
        lib.relu_(y)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_grad_fn_names():
    for name, fn in TOP_LEVEL:
        x, xt = ember.randn(3, requires_grad=True), torch.randn(3, requires_grad=True)
        assert fn(ember, x).grad_fn.name() == fn(torch, xt).grad_fn.name(), name


def test_special_points_gradients():
    pts = np.array([-1.0, -0.5, 0.0, 0.3, 0.5, 1.0], dtype=np.float64)
    for _, fn in TOP_LEVEL:
        check_op(lambda x, fn=fn: fn(ember, x), arrays=[pts], torch_fn=lambda x, fn=fn: fn(torch, x))


@pytest.mark.parametrize("name", ["selu", "celu"])
def test_elu_family_double_backward(name):
    check_double_backward(lambda x: getattr(ember, name)(x), (3, 4), torch_fn=lambda x: getattr(torch, name)(x))


def test_integer_inputs():
    a = make_array((5,), "int64", -3, 3)
    for fn in (lambda lib, x: lib.relu(x), lambda lib, x: lib.threshold(x, 0, 5)):
        assert_same(fn(ember, ember.from_numpy(a.copy())), fn(torch, torch.from_numpy(a.copy())))
    for fn in (lambda lib, x: lib.selu(x), lambda lib, x: lib.celu(x), lambda lib, x: lib.hardshrink(x)):
        with pytest.raises(NotImplementedError) as t_err:
            fn(torch, torch.from_numpy(a.copy()))
        with pytest.raises(NotImplementedError) as e_err:
            fn(ember, ember.from_numpy(a.copy()))
        assert str(e_err.value) == str(t_err.value)


def test_celu_zero_alpha_raises():
    with pytest.raises(RuntimeError, match="ZeroDivisionError: alpha cannot be 0 for CELU"):
        ember.celu(ember.randn(3), 0.0)


def test_rrelu_training_slopes():
    ember.manual_seed(0)
    x = -ember.rand(2000, dtype=ember.float64) - 0.1
    x.requires_grad_(True)
    y = ember.rrelu(x, 0.1, 0.3, training=True)
    slopes = (y / x).detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3
    assert abs(slopes.mean() - 0.2) < 0.01
    assert y.grad_fn.name() == "RreluWithNoiseBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-12)  # the gradient uses the same slopes
    pos = ember.rand(10, dtype=ember.float64)
    assert np.array_equal(ember.rrelu(pos, training=True).numpy(), pos.numpy())
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
        ember.rrelu(x, 0.5, 0.1)


# -- prelu --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("x_shape,w_shape", [((2, 3, 4), (3,)), ((2, 3, 4, 5), (1,)), ((2, 3), (3,)), ((5,), (1,)),
                                             ((2, 3, 2), ()), ((), (1,))])
def test_prelu(dtype, x_shape, w_shape):
    w = make_array(w_shape, dtype, 0.05, 0.5, seed=3)
    x = make_array(x_shape, dtype, -2, 2, seed=4)
    out, _ = check_op(lambda x, w: ember.prelu(x, w), arrays=[x, w], torch_fn=lambda x, w: torch.prelu(x, w))
    assert out.grad_fn.name() == "PreluKernelBackward0"
    check_op(lambda x, w: x.prelu(w), arrays=[x, w], requires_grad=[True, False])


def test_prelu_double_backward():
    w = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64)
    check_double_backward(lambda x: ember.prelu(x, ember.from_numpy(w.numpy())), (2, 3, 4),
                          torch_fn=lambda x: torch.prelu(x, w))


@pytest.mark.parametrize("x_shape,w_shape,w_dtype", [((2, 4, 3), (3,), "float32"), ((4,), (4,), "float32"),
                                                     ((2, 3), (1, 3), "float32"), ((2, 3), (3,), "float64")])
def test_prelu_errors(x_shape, w_shape, w_dtype):
    def run(lib):
        return lib.prelu(lib.ones(x_shape), lib.ones(w_shape, dtype=getattr(lib, w_dtype)))

    with pytest.raises(RuntimeError) as t_err:
        run(torch)
    with pytest.raises(RuntimeError) as e_err:
        run(ember)
    assert str(e_err.value) == str(t_err.value)


# -- dropout at top level -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["dropout", "feature_dropout", "alpha_dropout", "feature_alpha_dropout"])
def test_top_level_dropout_identity_and_errors(name):
    x = ember.randn(4, 3, 2)
    assert getattr(ember, name)(x, 0.5, False) is x
    assert getattr(ember, name)(x, 0.0, True) is x
    for p in (-0.1, 1.5):
        with pytest.raises(RuntimeError) as t_err:
            getattr(torch, name)(torch.randn(4, 3, 2), p, True)
        with pytest.raises(RuntimeError) as e_err:
            getattr(ember, name)(x, p, True)
        assert str(e_err.value) == str(t_err.value)
    y = x.clone()
    out = getattr(ember, name + "_")(y, 0.5, True)
    assert out is y


def test_top_level_feature_dropout_needs_two_dims():
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions in the input"):
        ember.feature_dropout(ember.randn(3), 0.5, True)


# -- the normal CDF behind gelu -----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
def test_normal_cdf(dtype):
    from ember.ops.activation import _normal_cdf

    edges = [0.0, -0.0, 1.0, -1.0, 6.36, -6.36, 8.5, -8.5, 9.0, -9.0, 30.0, -30.0, np.inf, -np.inf, np.nan, 1e-30]
    a = np.concatenate([np.linspace(-12, 12, 24001), edges]).astype(dtype)
    got = _normal_cdf(a)
    assert got.dtype == a.dtype
    # against PyTorch's 0.5 (1 + erf(x / sqrt 2)), which is exact to ~1 ulp of 1 (absolute)
    t = torch.from_numpy(a)
    np.testing.assert_allclose(got, (0.5 * (1 + torch.erf(t / np.sqrt(2)))).numpy(), rtol=0,
                               atol={"float32": 6e-7, "float64": 3e-15}[dtype], equal_nan=True)
    # and relative to math.erfc in the lower tail, where the PyTorch form cancels (down to the cut-off,
    # below which both give 0)
    x = np.linspace({"float32": -6.3, "float64": -8.4}[dtype], 0, 4001).astype(dtype)
    ref = np.array([math.erfc(-float(v) / math.sqrt(2)) / 2 for v in x])
    rel = {"float32": 5e-6, "float64": 2e-14}[dtype]  # float32: exp(-x^2 / 2) of a rounded x^2 near 20
    np.testing.assert_allclose(_normal_cdf(x), ref, rtol=rel, atol=1e-37)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_branch_free_select_equals_where(dtype):
    from ember.ops.activation import _select

    rng = np.random.default_rng(0)
    x = rng.standard_normal(1000).astype(dtype)
    y = rng.standard_normal(1000).astype(dtype)
    x[:4] = [np.nan, -0.0, np.inf, -np.inf]
    y[4:8] = [np.nan, -0.0, np.inf, -np.inf]
    cond = rng.random(1000) > 0.5
    for a, b in ((x, y), (x, np.asarray(1.5, dtype)), (np.asarray(-0.0, dtype), y)):
        got, want = _select(cond, a, b), np.where(cond, a, b)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got.view(f"u{got.itemsize}"), want.view(f"u{want.itemsize}"))  # bit for bit


def test_rrelu_generator_argument():
    x = -ember.ones(50)
    a = ember.rrelu(x, training=True, generator=ember.Generator().manual_seed(3))
    b = ember.rrelu(x, training=True, generator=ember.Generator().manual_seed(3))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert len(np.unique(a.numpy())) > 1
