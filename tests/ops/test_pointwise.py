"""Elementwise ops against PyTorch: values, dtypes and gradients over dtypes and shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from tests.helpers import assert_same, check_op, make_array

BROADCAST = [((3,), (3,)), ((2, 3), (3,)), ((2, 1, 4), (3, 1)), ((), (2, 2)), ((0, 3), (3,)), ((4,), ())]
FLOATS = ["float32", "float64"]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", BROADCAST)
@pytest.mark.parametrize("fn", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
    lambda a, b: a.add(b, alpha=2.5), lambda a, b: a.sub(b, alpha=0.5), lambda a, b: a.atan2(b),
    lambda a, b: a.maximum(b), lambda a, b: a.minimum(b),
], ids=["add", "sub", "mul", "div", "add_alpha", "sub_alpha", "atan2", "maximum", "minimum"])
def test_binary_float(fn, shapes, dtype):
    check_op(fn, list(shapes), dtype=dtype, low=0.5, high=2.0)


@pytest.mark.parametrize("fn,differentiable", [(lambda a, b: a % b, True), (lambda a, b: a.fmod(b), True),
                                               (lambda a, b: a // b, False)], ids=["remainder", "fmod", "floor_divide"])
@pytest.mark.parametrize("dtype", ["float64", "int64", "int32"])
def test_modular(fn, differentiable, dtype):
    a = make_array((4, 5), dtype, -9, 9, seed=1)
    b = make_array((5,), dtype, 1, 4, seed=2) * np.array([1, -1, 1, -1, 1]).astype(dtype)
    check_op(fn, arrays=[a, b], grad=differentiable and dtype == "float64")


@pytest.mark.parametrize("noncontig", [False, True])
@pytest.mark.parametrize("name,low,high", [
    ("exp", -2, 2), ("exp2", -2, 2), ("expm1", -2, 2), ("log", 0.1, 3), ("log2", 0.1, 3), ("log10", 0.1, 3),
    ("log1p", -0.5, 3), ("sqrt", 0.1, 3), ("rsqrt", 0.1, 3), ("reciprocal", 0.5, 3), ("sin", -3, 3),
    ("cos", -3, 3), ("tan", -1, 1), ("asin", -0.9, 0.9), ("acos", -0.9, 0.9), ("atan", -3, 3), ("sinh", -2, 2),
    ("cosh", -2, 2), ("tanh", -3, 3), ("sigmoid", -5, 5), ("relu", -2, 2), ("erf", -2, 2), ("abs", -2, 2),
    ("neg", -2, 2), ("frac", -3, 3), ("asinh", -2, 2), ("acosh", 1.1, 3), ("atanh", -0.9, 0.9),
    ("square", -2, 2),
])
@pytest.mark.parametrize("dtype", FLOATS)
def test_unary(name, low, high, dtype, noncontig):
    check_op(lambda x: getattr(x, name)(), [(3, 4)], dtype=dtype, low=low, high=high, noncontig=noncontig)


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round", "sign"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_rounding(name, dtype):
    check_op(lambda x: getattr(x, name)(), [(5, 3)], dtype=dtype, low=-3, high=3)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("name", ["exp", "sqrt", "sin", "sigmoid", "log1p"])
def test_unary_float_on_ints_promotes(name, dtype):
    check_op(lambda x: getattr(x, name)(), [(6,)], dtype=dtype, low=0, high=5)


def test_round_decimals():
    check_op(lambda x: x.round(decimals=2), [(8,)], low=-3, high=3)


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1, 0, 2.5])
def test_pow_scalar(exponent):
    check_op(lambda x: x ** exponent, [(3, 2)], low=0.5, high=2)
    check_op(lambda x: x.pow(exponent), [(4,)], dtype="float32", low=0.5, high=2)


def test_pow_tensor_and_rpow():
    check_op(lambda x, y: x ** y, [(3, 2), (2,)], low=0.5, high=2)
    check_op(lambda x: 2 ** x, [(5,)])
    check_op(lambda x: 2.5 ** x, [(5,)], dtype="float32")


def test_pow_zero_base_gradient():
    check_op(lambda x, y: x ** y, arrays=[np.array([0.0, 0.0, 2.0]), np.array([2.0, 0.0, 3.0])])


def test_integer_pow_negative_raises():
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        ember.tensor([1, 2]) ** -1


@pytest.mark.parametrize("mode", [None, "trunc", "floor"])
@pytest.mark.parametrize("dtype", ["float64", "int64"])
def test_div_rounding_mode(mode, dtype):
    a = make_array((6,), dtype, -9, 9, seed=3)
    b = np.array([2, -3, 4, -2, 5, 7]).astype(dtype)
    check_op(lambda x, y: x.div(y, rounding_mode=mode), arrays=[a, b], grad=False)


@pytest.mark.parametrize("args", [dict(min=-0.5), dict(max=0.3), dict(min=-0.5, max=0.5)])
def test_clamp(args):
    check_op(lambda x: x.clamp(**args), [(4, 4)])
    check_op(lambda x: x.clip(**args), [(4,)], dtype="float32")


def test_clamp_tensor_bounds_and_errors():
    check_op(lambda x, lo, hi: x.clamp(lo, hi), [(3, 4), (4,), (4,)], requires_grad=[True, False, False])
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        ember.zeros(2).clamp()


def test_clamp_int_stays_int():
    check_op(lambda x: x.clamp(0, 3), [(10,)], dtype="int64", low=-5, high=5)


def test_lerp_addcmul_addcdiv():
    check_op(lambda a, b: a.lerp(b, 0.3), [(3, 2), (2,)])
    check_op(lambda a, b, w: a.lerp(b, w), [(3, 2), (2,), (3, 1)])
    check_op(lambda a, b, c: a.addcmul(b, c, value=0.5), [(3, 2), (2,), (3, 1)])
    check_op(lambda a, b, c: a.addcdiv(b, c, value=2), [(3, 2), (2,), (3, 1)], low=0.5)


def test_where():
    fn = lambda c, x, y: (ember if isinstance(x, ember.Tensor) else torch).where(c > 0, x, y)  # noqa: E731
    check_op(fn, [(3, 4), (3, 4), (4,)])
    check_op(lambda x: (ember if isinstance(x, ember.Tensor) else torch).where(x > 0, x, 0.0), [(5,)])


def test_maximum_ties_split_gradient():
    check_op(lambda a, b: a.maximum(b), arrays=[np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 4.0])])


def test_nan_to_num():
    a = np.array([np.nan, np.inf, -np.inf, 1.5])
    check_op(lambda x: x.nan_to_num(), arrays=[a])
    check_op(lambda x: x.nan_to_num(nan=2.0, posinf=9.0, neginf=-9.0), arrays=[a.astype(np.float32)])


# -- promotion through operators ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float16", "float32", "float64"])
@pytest.mark.parametrize("scalar", [2, 2.5, True])
@pytest.mark.parametrize("op", ["add", "mul", "truediv", "radd", "rmul", "rsub"])
def test_scalar_promotion(dtype, scalar, op):
    a = make_array((3,), dtype, 1, 4)
    try:
        t = getattr(torch.from_numpy(a.copy()), f"__{op}__")(scalar)
    except RuntimeError as err:  # e.g. subtraction involving bools
        with pytest.raises(RuntimeError, match=str(err)[:40].replace("(", ".").replace(")", ".")):
            getattr(ember.from_numpy(a.copy()), f"__{op}__")(scalar)
        return
    e = getattr(ember.from_numpy(a.copy()), f"__{op}__")(scalar)
    assert_same(e, t)


def test_zero_dim_tensor_promotion():
    assert_same(ember.ones(3, dtype=ember.float16) + ember.tensor(1.0, dtype=ember.float64),
                torch.ones(3, dtype=torch.float16) + torch.tensor(1.0, dtype=torch.float64))
    assert_same(ember.ones(3, dtype=ember.int32) + ember.tensor(1.5, dtype=ember.float64),
                torch.ones(3, dtype=torch.int32) + torch.tensor(1.5, dtype=torch.float64))
    assert_same(ember.ones(3, dtype=ember.uint8) + ember.tensor(1, dtype=ember.int64),
                torch.ones(3, dtype=torch.uint8) + torch.tensor(1, dtype=torch.int64))


def test_mixed_dtype_gradients_cast_back():
    check_op(lambda a, b: a * b, arrays=[make_array((3,), "float32"), make_array((3,), "float64")])


def test_bool_subtraction_raises():
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with two bool tensors"):
        ember.tensor([True]) - ember.tensor([False])


# -- in-place and out= ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["add_", "sub_", "mul_", "div_"])
def test_inplace_methods(name):
    a, b = make_array((2, 3), seed=1), make_array((3,), seed=2, low=0.5)
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    assert getattr(e, name)(ember.from_numpy(b)) is e
    getattr(t, name)(torch.from_numpy(b))
    assert_same(e, t)


def test_inplace_operators_and_version():
    e = ember.ones(3)
    v0 = e._version
    e += 2
    e *= ember.tensor([1.0, 2.0, 3.0])
    e -= 1
    e /= 2
    assert e._version == v0 + 4
    t = torch.ones(3)
    t += 2
    t *= torch.tensor([1.0, 2.0, 3.0])
    t -= 1
    t /= 2
    assert_same(e, t)


def test_inplace_cannot_change_dtype_category():
    e = ember.ones(3, dtype=ember.int64)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        e += 1.5
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        ember.ones(3).add_(ember.ones(2, 3))


def test_out_argument():
    out = ember.empty(3)
    r = ember.add(ember.ones(3), ember.ones(3), out=out)
    assert r is out
    assert out.tolist() == [2.0, 2.0, 2.0]
    out = ember.empty(0)
    ember.mul(ember.ones(2, 2), 3, out=out)
    assert out.shape == (2, 2)
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        ember.exp(x, out=ember.empty(2))


def test_inplace_in_graph_gradient():
    def f(x):
        y = x * 2
        y.add_(1).mul_(3)
        y.exp_()
        return y * x

    check_op(f, [(4,)], low=-0.5, high=0.5)


@pytest.mark.parametrize("lib", [ember, torch])
def test_inplace_on_saved_tensor_raises(lib):
    x = lib.ones(4, dtype=lib.float64, requires_grad=True)
    y = x * 2
    z = y * y
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_numpy_operand_defers_to_tensor():
    r = np.ones(3) + ember.ones(3, dtype=ember.float64)
    assert isinstance(r, ember.Tensor)


def test_grad_fn_names_match_torch():
    for fn in (lambda x: x + 1, lambda x: x * x, lambda x: x / 2, lambda x: -x, lambda x: x.exp(),
               lambda x: x ** 2, lambda x: x ** x, lambda x: 2 ** x, lambda x: x.clamp(min=0), lambda x: x.relu(),
               lambda x: x.sigmoid(), lambda x: x.tanh(), lambda x: x.abs(), lambda x: x - 1):
        e = fn(ember.ones(2, requires_grad=True))
        t = fn(torch.ones(2, requires_grad=True))
        assert e.grad_fn.name() == type(t.grad_fn).__name__


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-15), ("float32", 3e-7)])
def test_erf_without_scipy_matches_torch_across_its_range(dtype, rtol):
    """erf's NumPy series / fitted-erfc path (Note [erf without SciPy]) against torch, from 0 to the tails."""
    x = np.concatenate([np.linspace(-7, 7, 4001), [0.0, -0.0, 1e-30, -1e-8, 0.999999, 1.0, 1.000001]]).astype(dtype)
    e = ember.erf(ember.tensor(x)).numpy()
    t = torch.erf(torch.tensor(x)).numpy()
    np.testing.assert_allclose(e, t, rtol=rtol, atol=np.finfo(dtype).tiny)
    assert np.array_equal(np.signbit(e), np.signbit(t))
    special = ember.erf(ember.tensor(np.array([np.inf, -np.inf, np.nan], dtype=dtype))).numpy()
    assert special[0] == 1 and special[1] == -1 and np.isnan(special[2])


@pytest.mark.parametrize("shapes", [((2, 3), (4,), (3,)), ((3,), (2, 1), (5,))])
def test_where_shapes_that_do_not_broadcast_raise_torchs_error(shapes):
    c, x, y = shapes
    with pytest.raises(RuntimeError) as t_err:
        torch.where(torch.ones(c) > 0, torch.ones(x), torch.ones(y))
    with pytest.raises(RuntimeError) as e_err:
        ember.where(ember.ones(c) > 0, ember.ones(x), ember.ones(y))
    assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("ops", [
    [("relu_",)], [("relu_",), ("mul_", 2.0)], [("sigmoid_",)], [("exp_",), ("add_", 1.0)], [("tanh_",), ("relu_",)],
    [("exp_",), ("exp_",)],
])
def test_inplace_op_that_saves_its_output_saves_the_written_tensor(ops):
    """After y.relu_() (or exp_, sigmoid_, tanh_), modifying y again before backward is PyTorch's error."""
    def run(lib):
        x = lib.tensor([-1.0, 0.5, 2.0, -3.0], dtype=lib.float64, requires_grad=True)
        y = x * 1
        for name, *args in ops:
            getattr(y, name)(*args)
        try:
            y.sum().backward()
        except RuntimeError as e:
            return str(e).split(":")[0]
        return x.grad.numpy()

    e, t = run(ember), run(torch)
    if isinstance(t, str):
        assert e == t
    else:
        np.testing.assert_allclose(e, t, rtol=1e-12)
