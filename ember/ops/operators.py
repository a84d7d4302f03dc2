"""Python operators on Tensor (+, -, *, /, //, %, **, @, comparisons, &, |, ^, ~, unary -, abs).

The arithmetic operators take a lean path when both operands share a dtype and no graph is
needed: one NumPy call and one Tensor allocation (the small-op budget is 1.5x PyTorch).
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.grad_mode import STATE
from ..autograd.graph import apply_recorded
from ..backend import parallel
from ..backend.parallel import MIN_PARALLEL_SIZE
from . import comparison as C
from . import pointwise as P
from . import unary as U
from ._declare import apply_inplace

_NO_PARAMS: dict = {}


def _fast(op, np_fn, slow, bools: bool = True):
    def method(self, other):
        if other.__class__ is Tensor:
            a, b = self._data, other._data
            if a.dtype is b.dtype and a.__class__ is np.ndarray and (bools or a.dtype.kind != "b"):
                try:
                    if STATE.enabled and (self._requires_grad or other._requires_grad):
                        return apply_recorded(op, (self, other), _NO_PARAMS)
                    return _wrap(np_fn(a, b) if a.size < MIN_PARALLEL_SIZE else parallel.binary(np_fn, a, b))
                except ValueError:
                    P.raise_if_not_broadcastable(a, b)
                    raise
        elif other.__class__ is float and self._data.dtype.kind == "f" and \
                not (STATE.enabled and self._requires_grad):
            a = self._data
            return _wrap(np_fn(a, other) if a.size < MIN_PARALLEL_SIZE else parallel.binary(np_fn, a, other))
        elif isinstance(other, np.ndarray):
            other = _numpy_operand(other)
        elif not isinstance(other, (Tensor, *_NUMBERS)):
            return NotImplemented
        return slow(self, other)

    return method


_NUMBERS = (int, float, bool, np.number, np.bool_)


def _numpy_operand(other):
    """`ndarray OP tensor` lands in Tensor's reflected operator; the array becomes a tensor, as in PyTorch."""
    from .._factories import as_tensor

    return as_tensor(other)


def _reflected(fn):
    def method(self, other):
        if isinstance(other, np.ndarray):
            return fn(_numpy_operand(other), self)
        if not isinstance(other, _NUMBERS):
            return NotImplemented
        return fn(other, self)

    return method


def _scalar_first(fn):
    """other OP self for a scalar `other`: make the scalar a 0-dim tensor of self's kind first."""
    def method(self, other):
        if isinstance(other, np.ndarray):
            return fn(_numpy_operand(other), self)
        if not isinstance(other, _NUMBERS):
            return NotImplemented
        from .._dtype import result_type
        from .._factories import tensor

        # a bool stays bool so that ops which reject bools (subtraction) see it
        return fn(tensor(other, dtype=None if isinstance(other, bool) else result_type(self, other)), self)

    return method


def _inplace(fn):
    def method(self, other):
        return apply_inplace(self, fn, (other,), {})

    return method


Tensor.__add__ = _fast(P.Add, np.add, P.add)
Tensor.__radd__ = _reflected(lambda o, s: P.add(s, o))
Tensor.__iadd__ = _inplace(P.add)
Tensor.__sub__ = _fast(P.Sub, np.subtract, P.sub, bools=False)
Tensor.__rsub__ = _scalar_first(P.sub)
Tensor.__isub__ = _inplace(P.sub)
Tensor.__mul__ = _fast(P.Mul, np.multiply, P.mul)
Tensor.__rmul__ = _reflected(lambda o, s: P.mul(s, o))
Tensor.__imul__ = _inplace(P.mul)
Tensor.__truediv__ = lambda self, other: P.div(self, other)
Tensor.__rtruediv__ = _scalar_first(P.div)
Tensor.__itruediv__ = _inplace(P.div)
Tensor.__floordiv__ = lambda self, other: P.floor_divide(self, other)
Tensor.__rfloordiv__ = _scalar_first(P.floor_divide)
Tensor.__ifloordiv__ = _inplace(P.floor_divide)
Tensor.__mod__ = lambda self, other: P.remainder(self, other)
Tensor.__rmod__ = _scalar_first(P.remainder)
Tensor.__imod__ = _inplace(P.remainder)
Tensor.__pow__ = lambda self, other: P.pow(self, other)
Tensor.__rpow__ = _reflected(lambda o, s: P.pow(o, s))
Tensor.__ipow__ = _inplace(P.pow)
Tensor.__neg__ = lambda self: U.neg(self)  # noqa: F821 - declared by unary._unary_op
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = lambda self: U.abs(self)


def _matmul(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return self.matmul(other)  # the method form: no out= layer, no import on the hot path


def _rmatmul(self, other):
    if not isinstance(other, Tensor):
        return NotImplemented
    return other.matmul(self)


Tensor.__matmul__ = _matmul
Tensor.__rmatmul__ = _rmatmul


def _cmp(fn):
    def method(self, other):
        if isinstance(other, np.ndarray):
            other = _numpy_operand(other)
        elif not isinstance(other, (Tensor, *_NUMBERS)):
            return NotImplemented
        return fn(self, other)

    return method


Tensor.__eq__ = _cmp(C.eq)
Tensor.__ne__ = _cmp(C.ne)
Tensor.__lt__ = _cmp(C.lt)
Tensor.__le__ = _cmp(C.le)
Tensor.__gt__ = _cmp(C.gt)
Tensor.__ge__ = _cmp(C.ge)
Tensor.__and__ = _cmp(C.bitwise_and)
Tensor.__rand__ = _cmp(C.bitwise_and)
Tensor.__iand__ = _inplace(C.bitwise_and)
Tensor.__or__ = _cmp(C.bitwise_or)
Tensor.__ror__ = _cmp(C.bitwise_or)
Tensor.__ior__ = _inplace(C.bitwise_or)
Tensor.__xor__ = _cmp(C.bitwise_xor)
Tensor.__rxor__ = _cmp(C.bitwise_xor)
Tensor.__ixor__ = _inplace(C.bitwise_xor)
Tensor.__lshift__ = _cmp(C.bitwise_left_shift)
Tensor.__rshift__ = _cmp(C.bitwise_right_shift)
def _invert(self):
    if self._data.dtype.kind == "f":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")
    return C.bitwise_not(self)


Tensor.__invert__ = _invert
Tensor.__hash__ = object.__hash__


def _direct_inplace(np_fn, generic):
    """Tensor.add_ etc.: write straight into self's memory when no graph is involved (one pass, no copy)."""

    def method(self, other, **kwargs):
        a = self._data
        if a.__class__ is np.ndarray and not (STATE.enabled and (self._requires_grad or (
                other.__class__ is Tensor and other._requires_grad))):
            alpha = kwargs.pop("alpha", 1)
            if not kwargs and a.flags.writeable and a.dtype.kind != "b":
                if other.__class__ is Tensor:
                    b = other._data
                    ok = b.dtype is a.dtype and b.ndim <= a.ndim and b.__class__ is np.ndarray
                elif other.__class__ is float or other.__class__ is int:
                    b = other
                    ok = a.dtype.kind == "f" or (other.__class__ is int and a.dtype.kind in "iu")
                else:
                    ok = False
                if ok and (b.__class__ is not np.ndarray or np.broadcast_shapes(a.shape, b.shape) == a.shape):
                    if alpha != 1:
                        b = b * alpha
                    if a.size < MIN_PARALLEL_SIZE:
                        np_fn(a, b, out=a)
                    else:
                        parallel.binary(np_fn, a, b, out=a)
                    self._bump_version()
                    return self
            if alpha != 1:
                kwargs["alpha"] = alpha
        return apply_inplace(self, generic, (other,), kwargs)

    method.__name__ = generic.__name__ + "_"
    method.__doc__ = f"In-place {generic.__name__}."
    return method


Tensor.add_ = _direct_inplace(np.add, P.add)
Tensor.sub_ = _direct_inplace(np.subtract, P.sub)
Tensor.mul_ = _direct_inplace(np.multiply, P.mul)
Tensor.__iadd__ = Tensor.add_
Tensor.__isub__ = Tensor.sub_
Tensor.__imul__ = Tensor.mul_
