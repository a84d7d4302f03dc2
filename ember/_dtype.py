"""dtype objects, the default dtype, and PyTorch's type-promotion rules.

Note [type promotion]
PyTorch promotes in three groups: tensors with dims, 0-dim tensors, and Python scalars
("wrapped numbers"). Within a group the usual lattice applies (bool < ints < floats, wider wins,
uint8 + int8 -> int16). Across groups a lower-priority group only matters when it belongs to a
higher *category* (bool < integral < floating): `int32_tensor + 2.5` is float32 (the default
dtype), but `float16_tensor + float64_zero_dim` stays float16. Python floats count as the
default dtype, Python ints as int64.
"""

from __future__ import annotations

import builtins as _builtins

import numpy as np

builtins_float, builtins_int, builtins_bool = _builtins.float, _builtins.int, _builtins.bool

__all__ = [
    "dtype", "float16", "float32", "float64", "bfloat16", "int8", "int16", "int32", "int64", "uint8",
    "bool", "half", "float", "double", "short", "int", "long", "get_default_dtype",
    "set_default_dtype", "promote_types", "result_type", "can_cast",
]

_BOOL, _INT, _FLOAT = 0, 1, 2  # categories


class dtype:
    """A tensor element type (ember.float32, ember.int64, ...)."""

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_signed", "is_complex",
                 "category", "_legacy", "_rank")

    def __init__(self, name: str, np_dtype, category: int, legacy: str, rank: int) -> None:
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.category = category
        self.is_floating_point = category == _FLOAT
        self.is_signed = name not in ("uint8", "bool")
        self.is_complex = False
        self._legacy = legacy  # the legacy tensor type name, e.g. 'FloatTensor'
        self._rank = rank      # order inside the category for promotion

    def __repr__(self) -> str:
        return "ember." + self.name

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_complex(self):
        raise NotImplementedError("ember does not support complex dtypes yet")


float16 = dtype("float16", np.float16, _FLOAT, "HalfTensor", 0)
float32 = dtype("float32", np.float32, _FLOAT, "FloatTensor", 2)
float64 = dtype("float64", np.float64, _FLOAT, "DoubleTensor", 3)
uint8 = dtype("uint8", np.uint8, _INT, "ByteTensor", 0)
int8 = dtype("int8", np.int8, _INT, "CharTensor", 0)
int16 = dtype("int16", np.int16, _INT, "ShortTensor", 1)
int32 = dtype("int32", np.int32, _INT, "IntTensor", 2)
int64 = dtype("int64", np.int64, _INT, "LongTensor", 3)
bool = dtype("bool", np.bool_, _BOOL, "BoolTensor", 0)  # noqa: A001 - PyTorch's public name


class _BFloat16Placeholder:
    """bfloat16 exists in PyTorch's namespace; NumPy has no such type, so using it raises."""

    name = "bfloat16"
    is_floating_point = True

    def __repr__(self) -> str:
        return "ember.bfloat16"


bfloat16 = _BFloat16Placeholder()

half, float, double = float16, float32, float64  # noqa: A001
short, int, long = int16, int32, int64  # noqa: A001

_ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool)
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update(half=float16, float=float32, double=float64, short=int16, int=int32, long=int64)
_BY_NP = {d.np: d for d in _ALL}
_BY_LEGACY = {d._legacy: d for d in _ALL}


def _dtype_by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The ember dtype of a NumPy dtype; TypeError for types ember cannot hold."""
    try:
        return _BY_NP[np_dtype]
    except KeyError:
        pass
    try:
        return _BY_NP[np.dtype(np_dtype).newbyteorder("=")]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {_numpy_type_name(np_dtype)}. The only supported types are: "
            "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
        ) from None


def _numpy_type_name(np_dtype) -> str:
    try:
        return "numpy." + np.dtype(np_dtype).type.__name__
    except TypeError:
        return repr(np_dtype)


def to_dtype(d) -> dtype:
    """Accept an ember dtype, a NumPy dtype, a Python type or a dtype name and return an ember dtype."""
    if d.__class__ is dtype:
        return d
    if d is _BFloat16Placeholder or isinstance(d, _BFloat16Placeholder):
        raise TypeError("ember has no bfloat16 support: NumPy has no bfloat16 type")
    if d is builtins_float:
        return float64
    if d is builtins_int:
        return int64
    if d is builtins_bool:
        return bool
    legacy = getattr(d, "_dtype", None)  # FloatTensor and friends stand for their dtype
    if legacy.__class__ is dtype:
        return legacy
    if isinstance(d, str):
        key = d.split(".")[-1]
        if key in _BY_NAME:
            return _BY_NAME[key]
        if key in _BY_LEGACY:
            return _BY_LEGACY[key]
    try:
        return from_numpy_dtype(d)
    except TypeError:
        raise TypeError(f"expected an ember dtype, got {d!r}") from None


_default = [float32]


def get_default_dtype() -> dtype:
    """The dtype of floating tensors made from Python floats (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d) -> None:
    """Set the default floating dtype; only float16/32/64 are allowed, as in PyTorch."""
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d


_PROMOTE_CACHE: dict = {}


def promote_types(a: dtype, b: dtype) -> dtype:
    """The smallest dtype both a and b can be cast to (PyTorch's promotion lattice)."""
    key = (a, b)
    out = _PROMOTE_CACHE.get(key)
    if out is None:
        out = _PROMOTE_CACHE[key] = _promote(a, b)
    return out


def _promote(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if a.category == _INT and (a is uint8 or b is uint8):
        other = b if a is uint8 else a
        return int16 if other is int8 else other
    return a if a._rank >= b._rank else b


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    if higher is None:
        return lower
    if lower is None or higher.category == _FLOAT:
        return higher
    if higher.category == _BOOL or lower.category == _FLOAT:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(x) -> dtype:
    """dtype a Python scalar takes part in promotion as."""
    if x.__class__ is _builtins.bool or isinstance(x, np.bool_):
        return bool
    if isinstance(x, (_builtins.int, np.integer)):
        return int64
    if isinstance(x, (_builtins.float, np.floating)):
        return _default[0]
    if isinstance(x, complex):
        raise NotImplementedError("ember does not support complex numbers yet")
    raise TypeError(f"unsupported scalar type {type(x).__name__}")


def result_type(*operands) -> dtype:
    """dtype of an op over tensors and Python scalars, following Note [type promotion]."""
    dim = zero = wrapped = None
    for x in operands:
        d = getattr(x, "dtype", None)
        if d.__class__ is dtype:
            if x._data.ndim:
                dim = d if dim is None else promote_types(dim, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            d = scalar_dtype(x)
            wrapped = d if wrapped is None else promote_types(wrapped, d)
    return _combine(dim, _combine(zero, wrapped))


def can_cast(from_: dtype, to: dtype) -> _builtins.bool:
    """Whether an in-place op may write a `from_` result into a `to` tensor (category must not drop)."""
    return from_.category <= to.category
