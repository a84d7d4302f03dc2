"""Elementwise ops: arithmetic, powers, exponentials, trigonometry, rounding, clamping.

No np.errstate here: it costs ~2 us per use; ember's package-level warnings filter silences NumPy's
floating-point RuntimeWarnings instead (PyTorch computes inf/nan results silently).

Shape legend: a, b are input arrays (already cast to the promoted dtype), g the incoming gradient.
Each backward returns one gradient per input; the engine sums broadcast gradients back to shape.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._size import broadcast_batch
from .._tensor import Tensor, _wrap
from ..autograd.grad_mode import STATE
from ..autograd.graph import NULL_CTX, Op, apply_recorded
from ._declare import declare
from .unary import unary

_SCALARS = (int, float, bool)


# -- promotion of operands ----------------------------------------------------------------------------
def _cast_scalar(s, np_dtype):
    """A Python scalar as a value NumPy combines with an array of np_dtype without changing its dtype."""
    if np_dtype.kind == "f" or s.__class__ is bool:
        return s
    if np_dtype.kind == "b":
        return bool(s)
    try:
        return np_dtype.type(s)
    except OverflowError:  # PyTorch wraps out-of-range integers
        return np.array(s).astype(np_dtype)[()]


def operands(a, b, floating: bool = False):
    """Arrays for a and b cast to PyTorch's result dtype (to the default float when `floating`)."""
    ad = a._data if isinstance(a, Tensor) else a
    bd = b._data if isinstance(b, Tensor) else b
    if ad.__class__ is np.ndarray and bd.__class__ is np.ndarray and ad.dtype is bd.dtype:
        np_dt = ad.dtype
    else:
        dt = D.result_type(a, b)
        if floating and not dt.is_floating_point:
            dt = D.get_default_dtype()
        np_dt = dt.np
    if floating and np_dt.kind != "f":
        np_dt = D.get_default_dtype().np
    return _cast_arr(ad, np_dt), _cast_arr(bd, np_dt)


def _cast_arr(x, np_dt):
    if isinstance(x, _SCALARS):
        return _cast_scalar(x, np_dt)
    if x.dtype != np_dt:
        return x.astype(np_dt)
    return x


def _check_operand(x, name: str):
    if isinstance(x, Tensor) or isinstance(x, _SCALARS):
        return x
    if isinstance(x, (np.number, np.bool_)):
        return x.item()
    raise TypeError(f"{name}(): argument 'other' must be Tensor or Number, not {type(x).__name__}")


def binary(op, a, b, floating: bool = False, **params):
    """Apply a binary Op with promotion, recording the graph only when needed."""
    b = _check_operand(b, op.__name__.lower())
    x, y = operands(a, b, floating)
    try:
        if STATE.enabled and ((isinstance(a, Tensor) and a._requires_grad) or
                              (isinstance(b, Tensor) and b._requires_grad)):
            return apply_recorded(op, (a, b), params, (x, y))
        return _wrap(op.forward(NULL_CTX, x, y, **params))
    except ValueError:
        raise_if_not_broadcastable(x, y)
        raise


def raise_if_not_broadcastable(x, y) -> None:
    """PyTorch's RuntimeError for operands whose shapes do not broadcast (NumPy raises ValueError)."""
    broadcast_batch(getattr(x, "shape", ()), getattr(y, "shape", ()))


# -- arithmetic ---------------------------------------------------------------------------------------
class Add(Op):
    name = "AddBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        return a + b if alpha == 1 else a + b * alpha

    @staticmethod
    def backward(ctx, g):
        return g, (g if ctx.alpha == 1 else g * ctx.alpha)


class Sub(Op):
    name = "SubBackward0"

    @staticmethod
    def forward(ctx, a, b, alpha=1):
        ctx.alpha = alpha
        return a - b if alpha == 1 else a - b * alpha

    @staticmethod
    def backward(ctx, g):
        return g, -g if ctx.alpha == 1 else g * (-ctx.alpha)


class Mul(Op):
    name = "MulBackward0"
    save = (0, 1)
    save_needed = {0: (1,), 1: (0,)}

    @staticmethod
    def forward(ctx, a, b):
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (g * b if n[0] else None), (g * a if n[1] else None)


class Div(Op):
    name = "DivBackward0"
    save = (0, 1)
    save_needed = {0: (1,)}

    @staticmethod
    def forward(ctx, a, b):
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        # d(a/b) = da / b - a db / b^2
        return (g / b if n[0] else None), (-g * a / (b * b) if n[1] else None)


@declare(inplace=True, out=True)
def add(input, other, *, alpha=1) -> Tensor:
    """input + alpha * other, with broadcasting and type promotion."""
    return binary(Add, input, other, alpha=alpha)


@declare(inplace=True, out=True)
def sub(input, other, *, alpha=1) -> Tensor:
    """input - alpha * other."""
    bools = [isinstance(x, bool) or (isinstance(x, Tensor) and x._data.dtype == np.bool_) for x in (input, other)]
    if all(bools):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if any(bools):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")
    return binary(Sub, input, other, alpha=alpha)


subtract = declare("subtract", inplace=True, out=True)(sub)


@declare(inplace=True, out=True)
def mul(input, other) -> Tensor:
    """Elementwise product."""
    return binary(Mul, input, other)


multiply = declare("multiply", inplace=True, out=True)(mul)


@declare(inplace=True, out=True)
def div(input, other, *, rounding_mode: str | None = None) -> Tensor:
    """Elementwise division; rounding_mode None (true), 'trunc' or 'floor'."""
    if rounding_mode is None:
        return binary(Div, input, other, floating=True)
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    return _rounded_div(input, other, rounding_mode)


divide = declare("divide", inplace=True, out=True)(div)
true_divide = declare("true_divide", inplace=True, out=True)(lambda input, other: div(input, other))


def _rounded_div(a, b, mode):
    x, y = operands(a, _check_operand(b, "div"))
    if x.dtype.kind in "iub":
        if np.any(np.asarray(y) == 0):
            raise ZeroDivisionError("ZeroDivisionError")
        q = np.floor_divide(x, y)
        if mode == "trunc":
            q = np.where((q < 0) & (q * y != x), q + 1, q)
        return _wrap(np.asarray(q, dtype=x.dtype))
    q = np.true_divide(x, y)
    q = np.trunc(q) if mode == "trunc" else np.floor(q)
    out = _wrap(np.asarray(q, dtype=x.dtype))
    if STATE.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in (a, b)):
        return _ZeroGrad.apply(a, b, value=out._data)  # rounding has zero gradient almost everywhere
    return out


class _ZeroGrad(Op):
    name = "DivBackward1"

    @staticmethod
    def forward(ctx, a, b, value):
        return value

    @staticmethod
    def backward(ctx, g):
        return g * 0, g * 0


@declare(inplace=True, out=True)
def floor_divide(input, other) -> Tensor:
    """Elementwise floor(input / other)."""
    return _rounded_div(input, other, "floor")


class Remainder(Op):
    name = "RemainderBackward0"
    save = (0, 1)
    rounding = "floor"  # remainder = a - floor(a / b) * b

    @staticmethod
    def forward(ctx, a, b):
        return np.remainder(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g, -g * div(a, b, rounding_mode=ctx._op.rounding)


class Fmod(Remainder):
    name = "FmodBackward0"
    rounding = "trunc"  # fmod = a - trunc(a / b) * b

    @staticmethod
    def forward(ctx, a, b):
        return np.fmod(a, b)


def _int_zero_check(input, other):
    if isinstance(other, Tensor):
        if other._data.dtype.kind in "iub" and not np.all(other._data):
            raise RuntimeError("ZeroDivisionError")
    elif isinstance(other, int) and other == 0 and isinstance(input, Tensor) and input._data.dtype.kind in "iub":
        raise RuntimeError("ZeroDivisionError")


@declare(inplace=True, out=True)
def remainder(input, other) -> Tensor:
    """Python-style modulus: the result has the sign of the divisor."""
    _int_zero_check(input, other)
    if not isinstance(input, Tensor):
        return binary(Remainder, _scalar_tensor(input, other), other)
    return binary(Remainder, input, other)


@declare(inplace=True, out=True)
def fmod(input, other) -> Tensor:
    """C-style modulus: the result has the sign of the dividend."""
    _int_zero_check(input, other)
    return binary(Fmod, input, other)


def _scalar_tensor(x, like):
    from .._factories import tensor

    return tensor(x)


# -- powers -------------------------------------------------------------------------------------------
class PowScalar(Op):
    name = "PowBackward0"
    save = (0,)

    @staticmethod
    def forward(ctx, a, exponent):
        ctx.exponent = exponent
        if a.dtype.kind in "iu" and isinstance(exponent, (int, np.integer)) and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if exponent == 2:
            return a * a
        out = np.power(a, exponent)
        return out.astype(a.dtype, copy=False) if hasattr(out, "astype") else out

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        e = ctx.exponent
        if e == 0:
            return g * 0, None
        return g * e * a.pow(e - 1), None


class PowTensor(Op):
    name = "PowBackward1"
    save = (0, 1)
    save_output = True

    @staticmethod
    def forward(ctx, a, b):
        if a.dtype.kind in "iu" and np.any(np.asarray(b) < 0):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return np.power(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        n = ctx.needs_input_grad
        # d(a^b)/da = b a^(b-1), defined as 0 where b == 0 (even at a == 0)
        ga = where(b == 0, 0.0, g * b * a.pow(b - 1)) if n[0] else None
        gb = None
        if n[1]:
            # d(a^b)/db = a^b log a, defined as 0 where a == 0 and b >= 0
            gb = (g * out * a.log()).masked_fill((a == 0) & (b >= 0), 0)
        return ga, gb


class RPow(Op):
    name = "PowBackward2"
    save_output = True

    @staticmethod
    def forward(ctx, base, b):
        ctx.base = base
        return np.power(base, b)

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        base = ctx.base
        if base == 0:
            return None, g * 0
        return None, g * out * math.log(base)


@declare(inplace=True, out=True)
def pow(input, exponent) -> Tensor:
    """input ** exponent, elementwise; either may be a Python number."""
    if not isinstance(input, Tensor):
        x, y = operands(input, exponent)
        if STATE.enabled and exponent._requires_grad:
            return apply_recorded(RPow, (input, exponent), {}, (x.item() if hasattr(x, "item") else x, y))
        return _wrap(RPow.forward(NULL_CTX, x, y))
    if isinstance(exponent, Tensor):
        return binary(PowTensor, input, exponent)
    exponent = _check_operand(exponent, "pow")
    x, _ = operands(input, exponent)
    if STATE.enabled and input._requires_grad:
        return apply_recorded(PowScalar, (input,), {"exponent": exponent}, (x,))
    return _wrap(PowScalar.forward(NULL_CTX, x, exponent))


def float_power(input, exponent) -> Tensor:
    """pow computed in float64."""
    a = input.double() if isinstance(input, Tensor) else float(input)
    e = exponent.double() if isinstance(exponent, Tensor) else float(exponent)
    return pow(a, e)


declare("float_power")(float_power)


@declare(out=True)
def square(input) -> Tensor:
    """input ** 2."""
    return pow(input, 2)


# -- two-input functions ------------------------------------------------------------------------------
class Atan2(Op):
    name = "Atan2Backward0"
    save = (0, 1)

    @staticmethod
    def forward(ctx, a, b):
        return np.arctan2(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        r = a * a + b * b
        return g * b / r, -g * a / r


@declare(inplace=True, out=True)
def atan2(input, other) -> Tensor:
    """Elementwise arctangent of input / other, using the signs of both for the quadrant."""
    return binary(Atan2, input, other, floating=True)


arctan2 = declare("arctan2", inplace=True, out=True)(atan2)


class _MinMax(Op):
    save = (0, 1)
    _pick = None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        # ties split the gradient evenly, as PyTorch does
        wins = ctx._wins(a, b)
        tie = a == b
        half = g / 2
        ga = where(tie, half, where(wins, g, g * 0))
        gb = where(tie, half, where(wins, g * 0, g))
        return ga, gb


class Maximum(_MinMax):
    name = "MaximumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx._wins = lambda x, y: x > y
        return np.maximum(a, b)


class Minimum(_MinMax):
    name = "MinimumBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx._wins = lambda x, y: x < y
        return np.minimum(a, b)


@declare(out=True)
def maximum(input, other) -> Tensor:
    """Elementwise maximum (NaN propagates)."""
    return binary(Maximum, input, other)


@declare(out=True)
def minimum(input, other) -> Tensor:
    """Elementwise minimum (NaN propagates)."""
    return binary(Minimum, input, other)


@declare(out=True)
def fmax(input, other) -> Tensor:
    """Elementwise maximum ignoring NaN."""
    x, y = operands(input, other)
    return _wrap(np.fmax(x, y))


@declare(out=True)
def fmin(input, other) -> Tensor:
    """Elementwise minimum ignoring NaN."""
    x, y = operands(input, other)
    return _wrap(np.fmin(x, y))


class Where(Op):
    name = "WhereBackward0"

    @staticmethod
    def forward(ctx, a, b, cond):
        ctx.cond = cond
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        cond = _wrap(ctx.cond)
        zero = g * 0
        return where(cond, g, zero), where(cond, zero, g)


@declare(out=True, method=False)
def where(condition, input=None, other=None) -> Tensor:
    """Elements of input where condition holds, else of other; with one argument, nonzero(as_tuple)."""
    if input is None and other is None:
        from .indexing import nonzero

        return nonzero(condition, as_tuple=True)
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{D.from_numpy_dtype(cond.dtype)}")
    x, y = operands(input, other)
    try:
        if STATE.enabled and any(isinstance(t, Tensor) and t._requires_grad for t in (input, other)):
            return apply_recorded(Where, (input, other), {"cond": cond}, (x, y))
        return _wrap(np.where(cond, x, y))
    except ValueError:  # PyTorch broadcasts condition with input, then the result with other
        broadcast_batch(broadcast_batch(cond.shape, np.shape(x)), np.shape(y))
        raise


def _where_method(self: Tensor, condition, y) -> Tensor:
    """self where condition holds, else y."""
    return where(condition, self, y)


Tensor.where = _where_method


class Clamp(Op):
    name = "ClampBackward1"
    save = (0,)

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.lo, ctx.hi = lo, hi
        out = a
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        return out if out is not a else a.copy()

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        mask = None
        if ctx.lo is not None:
            mask = a >= ctx.lo
        if ctx.hi is not None:
            m = a <= ctx.hi
            mask = m if mask is None else mask & m
        return g * mask


@declare(inplace=True, out=True)
def clamp(input, min=None, max=None) -> Tensor:
    """Limit values to [min, max]; either bound may be None or a Tensor."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    lo = hi = None
    dt = input.dtype
    for bound in (min, max):
        if bound is not None:
            dt = D.result_type(input if dt is input.dtype else _wrap(np.empty(1, dt.np)), bound)
    x = input._data if input._data.dtype == dt.np else input._data.astype(dt.np)
    if min is not None:
        lo = _cast_scalar(min, x.dtype)
    if max is not None:
        hi = _cast_scalar(max, x.dtype)
    if STATE.enabled and input._requires_grad:
        return apply_recorded(Clamp, (input,), {"lo": lo, "hi": hi}, (x,))
    return _wrap(Clamp.forward(NULL_CTX, x, lo, hi))


clip = declare("clip", inplace=True, out=True)(clamp)


@declare(inplace=True, out=True)
def clamp_min(input, min) -> Tensor:
    """clamp(input, min=min)."""
    return clamp(input, min=min)


@declare(inplace=True, out=True)
def clamp_max(input, max) -> Tensor:
    """clamp(input, max=max)."""
    return clamp(input, max=max)


@declare(inplace=True, out=True)
def lerp(input, end, weight) -> Tensor:
    """input + weight * (end - input)."""
    return input + weight * (end - input)


class Addcmul(Op):
    name = "AddcmulBackward0"
    save = (1, 2)

    @staticmethod
    def forward(ctx, a, t1, t2, value=1):
        ctx.value = value
        return a + value * t1 * t2

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        v = ctx.value
        return g, g * t2 * v, g * t1 * v


class Addcdiv(Op):
    name = "AddcdivBackward0"
    save = (1, 2)

    @staticmethod
    def forward(ctx, a, t1, t2, value=1):
        ctx.value = value
        return a + value * t1 / t2

    @staticmethod
    def backward(ctx, g):
        t1, t2 = ctx.saved_tensors
        v = ctx.value
        return g, g * v / t2, -g * v * t1 / (t2 * t2)


def _ternary(op, input, t1, t2, value, floating=False):
    dt = D.result_type(input, t1, t2)
    if floating and not dt.is_floating_point:
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release "
                           "addcdiv will perform a true division of tensor1 and tensor2.")
    arrs = tuple(_cast_arr(t._data, dt.np) for t in (input, t1, t2))
    if STATE.enabled and (input._requires_grad or t1._requires_grad or t2._requires_grad):
        return apply_recorded(op, (input, t1, t2), {"value": value}, arrs)
    return _wrap(op.forward(NULL_CTX, *arrs, value=value))


@declare(inplace=True, out=True)
def addcmul(input, tensor1, tensor2, *, value=1) -> Tensor:
    """input + value * tensor1 * tensor2."""
    return _ternary(Addcmul, input, tensor1, tensor2, value)


@declare(inplace=True, out=True)
def addcdiv(input, tensor1, tensor2, *, value=1) -> Tensor:
    """input + value * tensor1 / tensor2."""
    return _ternary(Addcdiv, input, tensor1, tensor2, value, floating=True)


class NanToNum(Op):
    name = "NanToNumBackward0"
    save = (0,)

    @staticmethod
    def forward(ctx, a, nan=0.0, posinf=None, neginf=None):
        return np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * a.isfinite()


@declare(inplace=True, out=True)
def nan_to_num(input, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    """Replace NaN, +inf and -inf by finite numbers (the dtype's extremes by default)."""
    if input._data.dtype.kind != "f":
        return input.clone()
    return unary(NanToNum, input, floating=False, nan=nan, posinf=posinf, neginf=neginf)
