"""Comparisons, logical and bitwise ops, and float classification (none are differentiable)."""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._size import broadcast_batch
from .._tensor import Tensor, _wrap
from ._declare import declare
from .pointwise import _check_operand, operands


def _shape_of(x) -> tuple:
    return x._data.shape if isinstance(x, Tensor) else ()


def _check_broadcast(a: tuple, b: tuple) -> None:
    """PyTorch's error for operand shapes that do not broadcast (NumPy's ValueError reads differently)."""
    broadcast_batch(a, b)


def _compare(np_fn, name):
    def fn(input, other) -> Tensor:
        other = _check_operand(other, name)
        x, y = operands(input, other)
        try:
            return _wrap(np.asarray(np_fn(x, y)))
        except ValueError:
            _check_broadcast(_shape_of(input), _shape_of(other))
            raise

    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name} comparison, giving a bool tensor."
    return fn


eq = declare("eq", inplace=True, out=True)(_compare(np.equal, "eq"))
ne = declare("ne", inplace=True, out=True)(_compare(np.not_equal, "ne"))
lt = declare("lt", inplace=True, out=True)(_compare(np.less, "lt"))
le = declare("le", inplace=True, out=True)(_compare(np.less_equal, "le"))
gt = declare("gt", inplace=True, out=True)(_compare(np.greater, "gt"))
ge = declare("ge", inplace=True, out=True)(_compare(np.greater_equal, "ge"))
for _alias, _fn in (("not_equal", ne), ("less", lt), ("less_equal", le), ("greater", gt),
                    ("greater_equal", ge)):
    declare(_alias, inplace=True, out=True)(_fn)


def _logical(np_fn, name):
    def fn(input, other) -> Tensor:
        if not isinstance(other, Tensor):
            raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
        _check_broadcast(input._data.shape, other._data.shape)
        return _wrap(np.asarray(np_fn(input._data, other._data)))

    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name} of the truth values, giving a bool tensor."
    return declare(name, inplace=True, out=True)(fn)


logical_and = _logical(np.logical_and, "logical_and")
logical_or = _logical(np.logical_or, "logical_or")
logical_xor = _logical(np.logical_xor, "logical_xor")


@declare(inplace=True, out=True)
def logical_not(input: Tensor) -> Tensor:
    """Elementwise NOT of the truth values, giving a bool tensor."""
    return _wrap(np.logical_not(input._data))


def _not_for_floats(kernel: str, dtype: np.dtype) -> NotImplementedError:
    return NotImplementedError(f"\"{kernel}_cpu\" not implemented for '{D.from_numpy_dtype(dtype)._legacy[:-6]}'")


def _bitwise(np_fn, name, kernel):
    def fn(input, other) -> Tensor:
        other = _check_operand(other, name)
        x, y = operands(input, other)
        if x.dtype.kind == "f":
            raise _not_for_floats(kernel, x.dtype)
        _check_broadcast(_shape_of(input), _shape_of(other))
        return _wrap(np.asarray(np_fn(x, y)))

    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name} of integer or bool tensors."
    return declare(name, inplace=True, out=True)(fn)


bitwise_and = _bitwise(np.bitwise_and, "bitwise_and", "bitwise_and")
bitwise_or = _bitwise(np.bitwise_or, "bitwise_or", "bitwise_or")
bitwise_xor = _bitwise(np.bitwise_xor, "bitwise_xor", "bitwise_xor")
bitwise_left_shift = _bitwise(np.left_shift, "bitwise_left_shift", "lshift")
bitwise_right_shift = _bitwise(np.right_shift, "bitwise_right_shift", "rshift")


@declare(inplace=True, out=True)
def bitwise_not(input: Tensor) -> Tensor:
    """Elementwise NOT of integer or bool tensors."""
    if input._data.dtype.kind == "f":
        raise _not_for_floats("bitwise_not", input._data.dtype)
    return _wrap(np.invert(input._data))


@declare()
def isnan(input: Tensor) -> Tensor:
    """True where the element is NaN."""
    return _wrap(np.isnan(input._data) if input._data.dtype.kind == "f" else np.zeros(input._data.shape, bool))


@declare()
def isinf(input: Tensor) -> Tensor:
    """True where the element is +inf or -inf."""
    return _wrap(np.isinf(input._data) if input._data.dtype.kind == "f" else np.zeros(input._data.shape, bool))


@declare()
def isposinf(input: Tensor) -> Tensor:
    """True where the element is +inf."""
    return _wrap(np.isposinf(input._data) if input._data.dtype.kind == "f" else np.zeros(input._data.shape, bool))


@declare()
def isneginf(input: Tensor) -> Tensor:
    """True where the element is -inf."""
    return _wrap(np.isneginf(input._data) if input._data.dtype.kind == "f" else np.zeros(input._data.shape, bool))


@declare()
def isfinite(input: Tensor) -> Tensor:
    """True where the element is neither NaN nor infinite."""
    return _wrap(np.isfinite(input._data) if input._data.dtype.kind == "f" else np.ones(input._data.shape, bool))


@declare()
def isreal(input: Tensor) -> Tensor:
    """Always True (ember has no complex dtypes)."""
    return _wrap(np.ones(input._data.shape, bool))


@declare()
def signbit(input: Tensor) -> Tensor:
    """True where the sign bit is set (including -0.0)."""
    return _wrap(np.signbit(input._data))


def _require_tensor(x, fn: str, position: int, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {position}) must be Tensor, not {type(x).__name__}")


@declare()
def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False):
    """|input - other| <= atol + rtol * |other|, elementwise (same dtypes required, shapes broadcast)."""
    _require_tensor(other, "isclose", 2, "other")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype._legacy[:-6]} did not match {other.dtype._legacy[:-6]}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol:g}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol:g}")
    _check_broadcast(input._data.shape, other._data.shape)
    return _wrap(np.asarray(np.isclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan)))


@declare()
def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """True when isclose holds everywhere."""
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


@declare()
def equal(input: Tensor, other: Tensor) -> bool:
    """True when both tensors have the same shape and elements (NaN is never equal)."""
    _require_tensor(other, "equal", 2, "other")
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))
