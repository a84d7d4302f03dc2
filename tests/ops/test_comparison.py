"""Comparison, logical, bitwise and float-classification ops against PyTorch."""

from __future__ import annotations

import operator

import numpy as np
import pytest
import torch

import ember
from tests.helpers import check_op, make_array
from tests.test_factories import same_behaviour

CMP = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le, "gt": operator.gt,
       "ge": operator.ge}
SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 4)), ((), (2, 2)), ((0, 3), (3,))]
DTYPE_PAIRS = [("float32", "float32"), ("int64", "float32"), ("int32", "int8"), ("uint8", "int8"),
               ("bool", "int64"), ("float16", "float64")]


def _arrays(shapes, dtypes, noncontig=False):
    # small integer range so that equalities actually occur
    return [make_array(s, d, low=-2, high=2, seed=i, noncontig=noncontig and len(s) > 0)
            for i, (s, d) in enumerate(zip(shapes, dtypes))]


@pytest.mark.parametrize("name", list(CMP))
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_comparison_functions_and_operators(name, shapes):
    """ember.eq/... and ==, <, ... broadcast and give bool results equal to torch's."""
    arrays = _arrays(shapes, ("float64", "float64"))
    arrays = [np.asarray(np.round(a)) for a in arrays]
    check_op(lambda a, b: getattr(a, name)(b), arrays=arrays, grad=False,
             torch_fn=lambda a, b: getattr(torch, name)(a, b))
    check_op(CMP[name], arrays=arrays, grad=False)


@pytest.mark.parametrize("name", list(CMP))
@pytest.mark.parametrize("dtypes", DTYPE_PAIRS, ids=str)
def test_comparisons_mixed_dtypes(name, dtypes):
    """Operands of different dtypes are promoted before comparing, as in torch; non-contiguous inputs too."""
    check_op(CMP[name], arrays=_arrays(((2, 3), (2, 3)), dtypes, noncontig=True), grad=False)


@pytest.mark.parametrize("name", list(CMP))
@pytest.mark.parametrize("scalar", [1, -1, 1.5, 300, True, 2**40], ids=repr)
@pytest.mark.parametrize("dtype", ["float32", "int64", "uint8", "int8", "bool"])
def test_comparisons_with_scalars(name, scalar, dtype):
    """tensor OP scalar and scalar OP tensor, including scalars outside the tensor dtype's range."""
    a = _arrays(((5,),), (dtype,))[0]
    check_op(lambda x: CMP[name](x, scalar), arrays=[a], grad=False)
    check_op(lambda x: CMP[name](scalar, x), arrays=[a], grad=False)


SPECIAL = [
    "lib.tensor([1.0, float('nan')]) == lib.tensor([1.0, float('nan')])",
    "lib.tensor([1.0, float('nan')]) != lib.tensor([1.0, float('nan')])",
    "lib.tensor([float('inf'), -float('inf')]) > 1e308", "lib.tensor([0.1, 0.2], dtype=lib.float32) == 0.1",
    "lib.tensor([0.1], dtype=lib.float64) == lib.tensor([0.1], dtype=lib.float32)",
    "lib.tensor([16777217], dtype=lib.int64) == lib.tensor([16777216.0])", "lib.tensor([2**53 + 1]) == 2.0**53",
    "lib.tensor([1, 2], dtype=lib.int32) < 2**40", "lib.tensor([1, 2]) == np.int64(2)",
    "lib.tensor([1, 2]) == np.array([1, 3])",
    "lib.tensor([]) == 1", "lib.eq(lib.tensor(1), lib.tensor([1, 2]))", "lib.greater(lib.tensor([1, 2]), 1)",
    "lib.less_equal(lib.tensor([1, 2]), 1)", "lib.not_equal(lib.tensor([1, 2]), 1)", "lib.less(lib.tensor([1, 2]), 2)",
    "lib.greater_equal(lib.tensor([1, 2]), 2)", "lib.tensor([1.0, 2.0]).eq_(2)",
    "lib.tensor([1, 2]).lt_(lib.tensor([2, 2]))",
    "lib.tensor([1.0, 2.0]).gt_(1.5)", "lib.eq(lib.tensor([1, 2]), 2, out=lib.empty(2, dtype=lib.bool))",
    "lib.eq(lib.tensor([1, 2]), 2, out=lib.empty(2, dtype=lib.float32))",
    "(lib.tensor([1.0, 2.0], requires_grad=True) > 1)",
    "lib.ones(2, requires_grad=True) == 1", "lib.tensor([1.0, 2.0]) == lib.tensor([1.0, 2.0, 3.0])",
    "lib.ones(2, 3) < lib.ones(3, 2)", "lib.tensor([1.0, 2.0]) == 'a'", "lib.tensor([1.0, 2.0]) < None",
]


@pytest.mark.parametrize("expr", SPECIAL)
def test_comparison_edge_cases(expr):
    """NaN/inf, precision at float boundaries, in-place/out= variants, aliases and shape errors."""
    same_behaviour(expr)


def test_comparison_function_rejects_strings():
    """ember.eq(t, 'a') is a TypeError (torch's message lists its overloads)."""
    same_behaviour("lib.eq(lib.tensor([1.0]), 'a')", check_message=False)


# -- logical ------------------------------------------------------------------------------------------------
LOGICAL = ["logical_and", "logical_or", "logical_xor"]


@pytest.mark.parametrize("name", LOGICAL)
@pytest.mark.parametrize("dtypes", [("bool", "bool"), ("int64", "float32"), ("float64", "uint8"), ("int8", "bool")],
                         ids=str)
@pytest.mark.parametrize("shapes", [((4,), (4,)), ((2, 1), (3,)), ((), (2,))], ids=str)
def test_logical_binary(name, dtypes, shapes):
    """logical_and/or/xor take truthiness of any dtype, broadcast, and give bool."""
    check_op(getattr(ember, name), arrays=_arrays(shapes, dtypes), torch_fn=getattr(torch, name), grad=False)


@pytest.mark.parametrize("dtype", ["bool", "int64", "float32", "uint8"])
def test_logical_not(dtype):
    """logical_not of every dtype (NaN counts as true)."""
    arrays = _arrays(((6,),), (dtype,))
    check_op(ember.logical_not, arrays=arrays, torch_fn=torch.logical_not, grad=False)
    same_behaviour("lib.logical_not(lib.tensor([0.0, float('nan'), -1.0]))")


@pytest.mark.parametrize("expr", [
    "lib.logical_and(lib.tensor([1, 0]), 1)", "lib.logical_and(lib.tensor([1, 0]), lib.tensor(1))",
    "lib.tensor([1, 0]).logical_and(lib.tensor([1, 1]))", "lib.tensor([1.0, 0.0]).logical_and_(lib.tensor([1, 1]))",
    "lib.tensor([1, 0]).logical_not_()", "lib.tensor([True, False]).logical_or_(lib.tensor([False, False]))",
    "lib.logical_xor(lib.tensor([1, 0]), lib.tensor([1, 1]), out=lib.empty(2, dtype=lib.float32))",
    "lib.logical_or(lib.ones(2), lib.ones(3))",
])
def test_logical_variants(expr):
    """Method, in-place and out= forms keep the destination dtype; non-tensor 'other' is a TypeError."""
    same_behaviour(expr)


# -- bitwise ------------------------------------------------------------------------------------------------
BITWISE = {"and": operator.and_, "or": operator.or_, "xor": operator.xor}


@pytest.mark.parametrize("op", list(BITWISE))
@pytest.mark.parametrize("dtypes", [("bool", "bool"), ("int64", "int64"), ("int32", "int8"), ("uint8", "uint8"),
                                    ("bool", "int16")], ids=str)
def test_bitwise_operators(op, dtypes):
    """&, |, ^ and bitwise_* on bool and integer tensors, with promotion and broadcasting."""
    arrays = [make_array(s, d, low=-50, high=50, seed=i) if d != "uint8" else make_array(s, d, 0, 255, seed=i)
              for i, (s, d) in enumerate(zip(((2, 3), (3,)), dtypes))]
    check_op(BITWISE[op], arrays=arrays, grad=False)
    check_op(getattr(ember, f"bitwise_{op}"), arrays=arrays, torch_fn=getattr(torch, f"bitwise_{op}"), grad=False)


@pytest.mark.parametrize("dtype", ["bool", "int64", "int16", "uint8"])
def test_bitwise_not(dtype):
    """~ and bitwise_not on bool and integer tensors."""
    arrays = [make_array((5,), dtype, low=-100, high=100) if dtype != "uint8" else make_array((5,), dtype, 0, 255)]
    check_op(operator.invert, arrays=arrays, grad=False)
    check_op(ember.bitwise_not, arrays=arrays, torch_fn=torch.bitwise_not, grad=False)


BITWISE_CASES = [
    "lib.tensor([12, 10]) | 3", "lib.tensor([12, 10], dtype=lib.uint8) ^ 255", "~lib.tensor([0, 5, -1])",
    "lib.tensor([True, False]) & 1", "lib.tensor([True, False]) & lib.tensor([1, 1])", "3 & lib.tensor([1, 2])",
    "True | lib.tensor([False])", "lib.tensor([1, 2], dtype=lib.int8) & lib.tensor([1, 2], dtype=lib.int64)",
    "lib.bitwise_left_shift(lib.tensor([1, 2]), 2)", "lib.bitwise_right_shift(lib.tensor([8, -8]), 1)",
    "lib.tensor([1, 2]) << 3", "lib.tensor([16, -16]) >> 2", "lib.tensor([1, 2], dtype=lib.uint8) << 7",
    "lib.tensor([5, 6]).bitwise_and_(3)", "lib.tensor([5, 6]).bitwise_not_()",
    "lib.tensor([True, False]).bitwise_xor_(lib.tensor([True, True]))",
    "lib.tensor([1, 2], dtype=lib.int8).bitwise_or_(lib.tensor([256, 1]))",
    "lib.tensor([1.0]) & lib.tensor([1.0])", "lib.tensor([1.0]) | 1", "lib.tensor([1, 2]) & 1.5",
    "lib.bitwise_not(lib.tensor([1.5]))", "lib.bitwise_and(lib.tensor([1.5]), lib.tensor([1.5]))",
    "lib.tensor([1.0]) << 1", "lib.tensor([1.0]) >> 1", "lib.tensor([1, 2]) & lib.tensor([1, 2, 3])",
]


@pytest.mark.parametrize("expr", BITWISE_CASES)
def test_bitwise_cases(expr):
    """Scalars, shifts, in-place forms, and torch's NotImplementedError on floating tensors."""
    same_behaviour(expr)


def test_invert_on_floats_is_an_error():
    """~ on a float tensor is an error (torch raises TypeError naming the operator)."""
    with pytest.raises(TypeError, match="operator.invert"):
        ~torch.tensor([1.0])
    with pytest.raises(TypeError, match="operator.invert"):
        ~ember.tensor([1.0])


# -- float classification --------------------------------------------------------------------------------------
SPECIAL_VALUES = [1.0, float("nan"), float("inf"), -float("inf"), -0.0, 0.0, -2.5]


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit", "isreal"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int64", "uint8", "bool"])
def test_classification(name, dtype):
    """isnan/isinf/isfinite/isposinf/isneginf/signbit for floats (with nan/inf/-0.0) and integer/bool tensors."""
    if dtype.startswith("float"):
        arrays = [np.array(SPECIAL_VALUES, dtype=dtype).reshape(7, 1) * np.ones((1, 2), dtype=dtype)]
    else:
        arrays = [make_array((3, 2), dtype, low=0, high=3)]
    check_op(getattr(ember, name), arrays=arrays, torch_fn=getattr(torch, name), grad=False)
    check_op(lambda x: getattr(x, name)(), arrays=arrays, grad=False)


def test_classification_zero_dim():
    """0-dim inputs give 0-dim bool results."""
    for expr in ["lib.isnan(lib.tensor(float('nan')))", "lib.isinf(lib.tensor(-float('inf')))",
                 "lib.isfinite(lib.tensor(3))", "lib.signbit(lib.tensor(-0.0))"]:
        same_behaviour(expr)


# -- isclose / allclose / equal ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("tol", [{}, {"rtol": 0.1, "atol": 0.0}, {"rtol": 0.0, "atol": 0.05}, {"equal_nan": True}],
                         ids=str)
def test_isclose_allclose(dtype, tol):
    """isclose/allclose with default and custom tolerances, NaN and infinities, broadcasting."""
    rng = np.random.default_rng(0)
    a = rng.uniform(-2, 2, (4, 5)).astype(dtype)
    b = a + rng.choice([0.0, 1e-7, 1e-3, 0.04, 0.2], size=a.shape).astype(dtype) * np.abs(a)
    a[0, :3] = [np.nan, np.inf, -np.inf]
    b[0, :3] = [np.nan, np.inf, np.inf]
    check_op(lambda x, y: ember.isclose(x, y, **tol), arrays=[a, b], grad=False,
             torch_fn=lambda x, y: torch.isclose(x, y, **tol))
    check_op(lambda x, y: ember.isclose(x, y[0], **tol), arrays=[a, b], grad=False,
             torch_fn=lambda x, y: torch.isclose(x, y[0], **tol))
    for x, y in ((a, b), (a[1:], b[1:]), (a[1:], a[1:])):
        assert ember.allclose(ember.from_numpy(x), ember.from_numpy(y), **tol) == \
            torch.allclose(torch.from_numpy(x), torch.from_numpy(y), **tol)


@pytest.mark.parametrize("expr", [
    "lib.equal(lib.tensor([1, 2]), lib.tensor([1, 2]))", "lib.equal(lib.tensor([1, 2]), lib.tensor([1, 3]))",
    "lib.equal(lib.tensor([1, 2]), lib.tensor([1.0, 2.0]))", "lib.equal(lib.tensor([1, 2]), lib.tensor([[1, 2]]))",
    "lib.equal(lib.tensor([float('nan')]), lib.tensor([float('nan')]))", "lib.equal(lib.ones(2, 3).T, lib.ones(3, 2))",
    "lib.equal(lib.tensor([]), lib.tensor([]))", "lib.tensor([True, False]).equal(lib.tensor([1, 0]))",
    "lib.isclose(lib.tensor([10, 20]), lib.tensor([11, 20]), rtol=0, atol=1)",
    "lib.isclose(lib.tensor([True, False]), lib.tensor([True, True]))",
    "lib.isclose(lib.tensor([1, 2]), lib.tensor([1.0, 2.0]))", "lib.isclose(lib.tensor([1.0]), 1.0)",
    "lib.isclose(lib.tensor([1.0]), lib.tensor([1.0]), rtol=-1.0)", "lib.allclose(lib.ones(2, 3), lib.ones(3, 2))",
])
def test_equal_and_close_cases(expr):
    """equal (shape and values; NaN never equal) and isclose's dtype/argument errors."""
    same_behaviour(expr)
