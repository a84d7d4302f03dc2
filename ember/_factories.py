"""Tensor factories: tensor, as_tensor, from_numpy, zeros, ones, full, arange, linspace, eye, *_like."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from . import _dtype as D
from ._device import CPU, to_device
from ._size import Size
from ._tensor import Tensor, _wrap

__all__ = [
    "tensor", "as_tensor", "asarray", "from_numpy", "from_dlpack", "empty", "zeros", "ones", "full", "eye",
    "arange", "range", "linspace", "logspace", "empty_like", "zeros_like", "ones_like", "full_like",
    "scalar_tensor", "empty_strided",
]


def finish(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Wrap a fresh CPU array as a Tensor, moving it to `device` and setting requires_grad."""
    if device is not None:
        dev = to_device(device)
        if dev is not CPU and dev.type != "cpu":
            from .backend import move

            data = move(data, dev)
    t = _wrap(data)
    if requires_grad:
        t.requires_grad_(True)
    return t


def size_arg(size) -> tuple:
    """Normalise `f(2, 3)`, `f((2, 3))`, `f([2, 3])` and `f(ember.Size(...))` to a tuple of ints."""
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"empty(): argument 'size' must be tuple of ints, but found element of type "
                            f"{type(s).__name__} at pos {len(out)}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _np_dtype(dtype) -> np.dtype:
    return (D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()).np


# -- from data ----------------------------------------------------------------------------------------
def _infer_array(data, dtype):
    """NumPy array holding a copy of `data` (nested lists/tuples, scalars, arrays, tensors)."""
    if isinstance(data, Tensor):
        arr = data._data if data._data.__class__ is np.ndarray else data._data.get()
        return arr.astype(D.to_dtype(dtype).np) if dtype is not None else arr.copy()
    if isinstance(data, np.ndarray):
        D.from_numpy_dtype(data.dtype)
        return np.array(data, dtype=D.to_dtype(dtype).np if dtype is not None else None)
    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if isinstance(data, Sequence) or isinstance(data, (np.generic, int, float, bool)):
        data = _unwrap_nested(data)
        _check_ragged(data)
        try:
            arr = np.array(data)
        except (ValueError, TypeError) as e:
            raise TypeError(f"new(): could not convert data to a tensor: {e}") from None
        if arr.dtype.kind == "O" or arr.dtype.kind in "USc":
            raise TypeError(f"new(): invalid data type '{arr.dtype.name}'")
        if dtype is not None:
            return arr.astype(D.to_dtype(dtype).np)
        if arr.dtype.kind == "f" and not _has_numpy_float(data):
            return arr.astype(D.get_default_dtype().np)
        if arr.dtype.kind in "iu" and arr.dtype != np.int64 and not isinstance(data, np.generic):
            return arr.astype(np.int64)
        D.from_numpy_dtype(arr.dtype)
        return arr
    if hasattr(data, "__array__") or hasattr(data, "__dlpack__"):
        return _infer_array(np.asarray(data), dtype)
    raise TypeError(f"new(): invalid data type '{type(data).__name__}'")


def _has_numpy_float(data) -> bool:
    """PyTorch keeps the type of NumPy float scalars (np.float64 stays float64)."""
    return isinstance(data, np.floating)


def _unwrap_nested(data):
    if isinstance(data, Tensor):
        return data._data if data._data.__class__ is np.ndarray else data._data.get()
    if isinstance(data, (list, tuple)):
        if any(isinstance(x, (Tensor, list, tuple)) for x in data):
            return [_unwrap_nested(x) for x in data]
    return data


def _check_ragged(data, dim: int = 0) -> None:
    if isinstance(data, (list, tuple)) and data and isinstance(data[0], (list, tuple)):
        n = len(data[0])
        for x in data[1:]:
            if not isinstance(x, (list, tuple)) or len(x) != n:
                got = len(x) if isinstance(x, (list, tuple)) else type(x).__name__
                raise ValueError(f"expected sequence of length {n} at dim {dim + 1} (got {got})")
        for x in data:
            _check_ragged(x, dim + 1)


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of data, dtype inferred as PyTorch does."""
    return finish(_infer_array(data, dtype), device=device, requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Convert data to a tensor, sharing memory when dtype and device already match."""
    if isinstance(data, Tensor):
        out = data
        if dtype is not None and D.to_dtype(dtype) is not data.dtype:
            out = out.to(D.to_dtype(dtype))
        if device is not None and to_device(device) != data.device:
            out = out.to(device)
        return out
    if isinstance(data, np.ndarray):
        D.from_numpy_dtype(data.dtype)
        if dtype is None or D.to_dtype(dtype).np == data.dtype:
            return finish(data, device=device)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad: bool = False) -> Tensor:
    """Like as_tensor, with NumPy's copy= semantics."""
    t = tensor(obj, dtype=dtype, device=device) if copy else as_tensor(obj, dtype=dtype, device=device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_numpy_dtype(ndarray.dtype)
    if not ndarray.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order. Conversion "
                         "between byte orders is currently not supported.")
    if not ndarray.flags.writeable:
        import warnings

        warnings.warn("The given NumPy array is not writable, and PyTorch does not support non-writable "
                      "tensors. This means writing to this tensor will result in undefined behavior.",
                      UserWarning, stacklevel=2)
    return _wrap(ndarray)


def from_dlpack(ext_tensor) -> Tensor:
    """A tensor sharing memory with any object that speaks DLPack (NumPy, PyTorch, CuPy...)."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    dev_type, dev_id = ext_tensor.__dlpack_device__()
    if int(dev_type) == 1:  # kDLCPU
        arr = np.from_dlpack(ext_tensor)
    else:
        from .backend import xp_for

        arr = xp_for(to_device(("cuda", dev_id)[0] + f":{dev_id}")).from_dlpack(ext_tensor)
    D.from_numpy_dtype(arr.dtype)
    return _wrap(arr)


# -- filled -------------------------------------------------------------------------------------------
def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
          pin_memory: bool = False, memory_format=None) -> Tensor:
    """An uninitialised tensor."""
    return _filled(np.empty, size, dtype, device, requires_grad, out)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    return _filled(np.zeros, size, dtype, device, requires_grad, out)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return _filled(np.ones, size, dtype, device, requires_grad, out)


def _filled(make, size, dtype, device, requires_grad, out):
    t = finish(make(size_arg(size), _np_dtype(dtype)), device=device, requires_grad=requires_grad)
    if out is not None:
        from .ops._declare import write_out

        return write_out(t, out, make.__name__)
    return t


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor with the given strides (in elements)."""
    dt = _np_dtype(dtype)
    size = tuple(size)
    n = 1 + sum((s - 1) * st for s, st in zip(size, stride)) if all(size) else 0
    buf = np.empty(n, dt)
    arr = np.lib.stride_tricks.as_strided(buf, size, tuple(s * dt.itemsize for s in stride), writeable=True)
    return finish(arr, device=device, requires_grad=requires_grad)


def _scalar_dtype(value, dtype):
    if dtype is not None:
        return D.to_dtype(dtype)
    if isinstance(value, Tensor):
        return value.dtype
    return D.scalar_dtype(value)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with fill_value; dtype inferred from the value (bool, int64 or default float)."""
    dt = _scalar_dtype(fill_value, dtype)
    value = fill_value.item() if isinstance(fill_value, Tensor) else fill_value
    t = finish(np.full(size_arg((size,)), value, dt.np), device=device, requires_grad=requires_grad)
    if out is not None:
        from .ops._declare import write_out

        return write_out(t, out, "full")
    return t


def scalar_tensor(s, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A 0-dim tensor (default float dtype)."""
    return finish(np.array(s, dtype=_np_dtype(dtype)), device=device, requires_grad=requires_grad)


def eye(n: int, m: int | None = None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad: bool = False) -> Tensor:
    """A 2-d tensor with ones on the diagonal."""
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return finish(np.eye(n, m, dtype=_np_dtype(dtype)), device=device, requires_grad=requires_grad)


# -- ranges -------------------------------------------------------------------------------------------
def _num(x):
    return x.item() if isinstance(x, Tensor) else x


def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Values from start to end (exclusive) by step; int64 for integer arguments, else the default float."""
    if end is None:
        start, end = 0, start
    start, end, step = _num(start), _num(end), _num(step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        floating = any(isinstance(v, (float, np.floating)) for v in (start, end, step))
        dt = D.get_default_dtype() if floating else D.int64
    else:
        dt = D.to_dtype(dtype)
    n = max(0, math.ceil((end - start) / step))
    if dt.is_floating_point:
        values = start + np.arange(n, dtype=np.float64) * step
    else:
        values = start + np.arange(n, dtype=np.int64) * step
    t = finish(values.astype(dt.np), device=device, requires_grad=requires_grad)
    if out is not None:
        from .ops._declare import write_out

        return write_out(t, out, "arange")
    return t


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:  # noqa: A001
    """Deprecated inclusive range (end included), default float dtype."""
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    values = start + np.arange(n, dtype=np.float64) * step
    return finish(values.astype(_np_dtype(dtype)), device=device, requires_grad=requires_grad)


def linspace(start, end, steps: int, *, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end inclusive."""
    start, end = _num(start), _num(end)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dt = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
    if steps == 1:
        values = np.array([start], dtype=np.float64)
    else:
        # PyTorch fills the first half from start and the second half from end, symmetrically
        step = (end - start) / max(steps - 1, 1)
        i = np.arange(steps, dtype=np.float64)
        half = steps // 2
        values = np.where(i < half, start + step * i, end - step * (steps - 1 - i))
    if not dt.is_floating_point:
        values = np.trunc(values)
    t = finish(values.astype(dt.np), device=device, requires_grad=requires_grad)
    if out is not None:
        from .ops._declare import write_out

        return write_out(t, out, "linspace")
    return t


def logspace(start, end, steps: int, base: float = 10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps)."""
    exps = linspace(start, end, steps, dtype=D.float64)._data
    dt = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
    return finish(np.power(float(base), exps).astype(dt.np), device=device, requires_grad=requires_grad)


# -- *_like -------------------------------------------------------------------------------------------
def _like(make, input: Tensor, dtype, device, requires_grad):
    dt = D.to_dtype(dtype).np if dtype is not None else input._data.dtype
    return finish(make(input._data.shape, dt), device=device if device is not None else input.device,
                  requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
               memory_format=None) -> Tensor:
    """Uninitialised tensor shaped like input."""
    return _like(np.empty, input, dtype, device, requires_grad)


def zeros_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
               memory_format=None) -> Tensor:
    """Zeros shaped like input."""
    return _like(np.zeros, input, dtype, device, requires_grad)


def ones_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    """Ones shaped like input."""
    return _like(np.ones, input, dtype, device, requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    """fill_value everywhere, shaped like input."""
    return _like(lambda shape, dt: np.full(shape, fill_value, dt), input, dtype, device, requires_grad)
