"""Nested Python data (lists, tuples, scalars, arrays, tensors) to a NumPy array, as `ember.tensor` reads it."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

import numpy as np

from . import _dtype as D
from ._tensor import Tensor

# Note [tensor() from nested data]
# PyTorch's tensor() takes the shape from the first element at each depth, infers the dtype by promoting
# the dtypes of all leaves (Python float -> default dtype, int -> int64, bool -> bool, NumPy scalars and
# 0-dim tensors keep theirs), then stores every leaf with range checks. We follow the same three steps so
# that errors (ragged lists, overflow, bad leaves) come out as PyTorch's do.
_PLAIN = {bool, int, float}


def infer_array(data, dtype):
    """NumPy array holding a copy of `data` (nested lists/tuples, scalars, arrays, tensors)."""
    if isinstance(data, Tensor):
        arr = data._data if data._data.__class__ is np.ndarray else data._data.get()
        return arr.astype(D.to_dtype(dtype).np) if dtype is not None else arr.copy()
    if isinstance(data, np.ndarray):
        check_native(data)
        target = D.to_dtype(dtype) if dtype is not None else D.from_numpy_dtype(data.dtype)
        return np.array(data, dtype=target.np)
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if not _is_sequence(data) and not isinstance(data, (*_PLAIN, np.generic)) and hasattr(data, "__array__"):
        return infer_array(np.asarray(data), dtype)
    shape = _shape_of(data)
    dt = D.to_dtype(dtype) if dtype is not None else _infer_dtype(data)
    if not _is_sequence(data):
        return _leaves_to_array([data], dt).reshape(())
    if 0 in shape:
        return np.zeros(shape, dt.np)
    flat: list = []
    _flatten(data, shape, 0, flat)
    return _leaves_to_array(flat, dt).reshape(shape)


def _is_sequence(x) -> bool:
    cls = x.__class__
    if cls is list or cls is tuple:
        return True
    if cls in _PLAIN:
        return False
    return isinstance(x, (list, tuple, builtins.range)) or (isinstance(x, Sequence) and not isinstance(x, (str, bytes)))


def _shape_of(data) -> list:
    """Sizes found by descending into first elements, as PyTorch does."""
    shape: list = []
    x = data
    while True:
        if isinstance(x, np.ndarray):
            if x.ndim == 0:
                raise TypeError("len() of unsized object")
            return shape + list(x.shape)
        if isinstance(x, (str, bytes)) and x is not data:
            raise ValueError(f"too many dimensions '{type(x).__name__}'")
        if not _is_sequence(x):
            return shape
        shape.append(len(x))
        if not len(x):
            return shape
        x = x[0]


def _leaf_dtype(x) -> D.dtype:
    """dtype one leaf of nested data contributes to inference."""
    if isinstance(x, (np.ndarray, np.generic)):  # before float: np.float64 subclasses float
        return D.from_numpy_dtype(x.dtype)
    if isinstance(x, bool):
        return D.bool
    if isinstance(x, int):
        return D.int64
    if isinstance(x, float):
        return D.get_default_dtype()
    if isinstance(x, Tensor):
        return x.dtype
    if isinstance(x, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
    if isinstance(x, complex):
        raise NotImplementedError("ember does not support complex numbers yet")
    raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")


def _infer_dtype(data) -> D.dtype:
    """Promotion of all leaf dtypes; an empty sequence counts as the default dtype."""
    if not _is_sequence(data):
        return _leaf_dtype(data)
    if not len(data):
        return D.get_default_dtype()
    kinds = set(map(type, data))
    out = None
    for cls in kinds & _PLAIN:  # Python scalars: one dtype per type, however many there are
        d = _leaf_dtype(cls())
        out = d if out is None else D.promote_types(out, d)
    if kinds <= _PLAIN:
        return out
    for x in data:
        if x.__class__ not in _PLAIN:
            d = _infer_dtype(x)
            out = d if out is None else D.promote_types(out, d)
    return out


def _flatten(data, shape: list, dim: int, flat: list) -> None:
    """Append the leaves of data to flat, checking every length against shape."""
    if isinstance(data, np.ndarray) and data.ndim:
        data = data.tolist()
    if not _is_sequence(data):
        raise TypeError("not a sequence")
    n = shape[dim]
    if len(data) != n:
        raise ValueError(f"expected sequence of length {n} at dim {dim} (got {len(data)})")
    if dim + 1 == len(shape):
        flat.extend(data)
        return
    for x in data:
        _flatten(x, shape, dim + 1, flat)


def _leaf_value(x, dt: D.dtype):
    """A Python/NumPy scalar for one leaf, with PyTorch's errors for tensors and sequences in leaf position."""
    if isinstance(x, (int, float, np.generic)):
        return x
    if isinstance(x, Tensor):
        if dt.is_floating_point:
            if x._data.size != 1:
                raise ValueError("only one element tensors can be converted to Python scalars")
        elif x._data.size != 1 or x.is_floating_point():
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return x.item()
    if dt.is_floating_point:
        raise TypeError(f"must be real number, not {type(x).__name__}")
    raise TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")


def _leaves_to_array(flat: list, dt: D.dtype) -> np.ndarray:
    """1-d array of dtype dt from leaf values, raising PyTorch's overflow errors for integer dtypes."""
    if not set(map(type, flat)) <= _PLAIN:
        flat = [_leaf_value(x, dt) for x in flat]
    arr = np.array(flat)
    if dt.category == D._INT and arr.dtype.kind in "fuO" and any(
            x.__class__ is int and not -2**63 <= x < 2**63 for x in flat):
        raise ValueError("Overflow when unpacking long long")
    if arr.dtype.kind == "O":  # Python ints beyond 64 bits, headed for a float or bool tensor
        arr = np.array([float(x) for x in flat])
    if dt.category == D._INT:
        _check_int_range(arr, dt)
    return arr.astype(dt.np, copy=False)


def _check_int_range(arr: np.ndarray, dt: D.dtype) -> None:
    if arr.dtype == dt.np or arr.dtype.kind == "b":
        return
    info = np.iinfo(dt.np)
    if arr.dtype.kind == "f":
        # NaN fails both comparisons; 2**63 is the first float64 beyond int64
        upper_ok = arr < 2.0**63 if dt is D.int64 else arr <= info.max
        ok = (arr >= info.min) & upper_ok
    elif arr.dtype.kind in "iu":
        low = -int(info.max) if dt is D.uint8 else info.min  # PyTorch lets -255..-1 wrap into uint8
        ok = (arr >= low) & (arr <= info.max)
    else:
        return
    if not ok.all():
        raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")


def check_native(a: np.ndarray) -> None:
    """Reject arrays whose byte order is not the machine's, as PyTorch does."""
    if not a.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order. Conversion "
                         "between byte orders is currently not supported.")
