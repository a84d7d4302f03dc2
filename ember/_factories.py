"""Tensor factories: tensor, as_tensor, from_numpy, zeros, ones, full, arange, linspace, eye, *_like."""

from __future__ import annotations

import builtins
import math

import numpy as np

from . import _dtype as D
from ._device import CPU, to_device
from ._from_data import check_native, infer_array
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
        if data.dtype.kind != "f":
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
    return t


def size_arg(size, name: str = "empty") -> tuple:
    """Normalise `f(2, 3)`, `f((2, 3))`, `f([2, 3])` and `f(ember.Size(...))` to a tuple of ints.

    `name` is the factory that PyTorch's error messages name.
    """
    if len(size) == 1 and isinstance(size[0], (tuple, list, Size)):
        size = tuple(size[0])
    elif len(size) == 1 and not _is_index(size[0]):
        raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size[0]).__name__}")
    out = []
    for s in size:
        if not _is_index(s):
            raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos {len(out) + 1} with "
                            f"error \"type must be tuple of ints,but got {type(s).__name__}\"")
        out.append(int(s))
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return tuple(out)


def _is_index(x) -> bool:
    """An int, NumPy integer or one-element integer tensor (what PyTorch accepts as a size)."""
    if isinstance(x, (int, np.integer)):
        return not isinstance(x, bool)
    return isinstance(x, Tensor) and x._data.size == 1 and x._data.dtype.kind in "iu"


def _np_dtype(dtype) -> np.dtype:
    return (D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()).np


# -- from data ----------------------------------------------------------------------------------------
def tensor(data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of data, dtype inferred as PyTorch does."""
    return finish(infer_array(data, dtype), device=device, requires_grad=requires_grad)


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
        check_native(data)
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
    check_native(ndarray)
    D.from_numpy_dtype(ndarray.dtype)
    if not ndarray.flags.writeable:
        import warnings

        warnings.warn("The given NumPy array is not writable, and PyTorch does not support non-writable "
                      "tensors. This means writing to this tensor will result in undefined behavior.",
                      UserWarning, stacklevel=2)
    return _wrap(ndarray)


def from_dlpack(ext_tensor, *, device=None, copy: bool | None = None) -> Tensor:
    """A tensor sharing memory with any object that speaks DLPack (NumPy, PyTorch, CuPy...) or a DLPack capsule."""
    if isinstance(ext_tensor, Tensor):
        out = ext_tensor
    else:
        if type(ext_tensor).__name__ == "PyCapsule":
            ext_tensor = _Capsule(ext_tensor)
        elif not hasattr(ext_tensor, "__dlpack__"):
            raise RuntimeError("from_dlpack received an invalid capsule. Note that DLTensor capsules can be consumed "
                               "only once, so you might have already constructed a tensor from it once.")
        dev_type, dev_id = ext_tensor.__dlpack_device__()
        if int(dev_type) == 1:  # kDLCPU
            arr = np.from_dlpack(ext_tensor)
        else:
            from .backend import xp_for

            arr = xp_for(to_device(f"cuda:{dev_id}")).from_dlpack(ext_tensor)
        D.from_numpy_dtype(arr.dtype)
        out = _wrap(arr)
    if device is not None:
        out = out.to(device)
    return out.clone() if copy else out


class _Capsule:
    """Adapts a bare DLPack capsule (assumed on the CPU) to the protocol NumPy consumes."""

    def __init__(self, capsule) -> None:
        self._capsule = capsule

    def __dlpack__(self, **kwargs):
        return self._capsule

    def __dlpack_device__(self):
        return (1, 0)


# -- filled -------------------------------------------------------------------------------------------
def _type_name(dt: D.dtype) -> str:
    return dt._legacy[:-len("Tensor")]  # 'Float', 'Long', ... as PyTorch names dtypes in errors


def _resolve_out(dtype, out):
    """A factory given out= and no dtype makes out's dtype; a different explicit dtype is an error."""
    if out is None:
        return dtype
    if dtype is None:
        return out.dtype
    dt = D.to_dtype(dtype)
    if dt is not out.dtype:
        raise RuntimeError(f"dtype {_type_name(dt)} does not match dtype of out parameter "
                           f"({_type_name(out.dtype)})")
    return dt


def _into_out(t: Tensor, out, name: str) -> Tensor:
    if out is None:
        return t
    from .ops._declare import write_out

    return write_out(t, out, name)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
          pin_memory: bool = False, memory_format=None) -> Tensor:
    """An uninitialised tensor of the given size (default dtype unless dtype= says otherwise)."""
    return _filled(np.empty, size_arg(size, "empty"), dtype, device, requires_grad, out, "empty")


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
          pin_memory: bool = False) -> Tensor:
    """A tensor of zeros of the given size."""
    try:
        shape = size_arg(size, "zeros")
    except RuntimeError:
        raise RuntimeError("zeros: Dimension size must be non-negative.") from None
    return _filled(np.zeros, shape, dtype, device, requires_grad, out, "zeros")


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
         pin_memory: bool = False) -> Tensor:
    """A tensor of ones of the given size."""
    return _filled(np.ones, size_arg(size, "ones"), dtype, device, requires_grad, out, "ones")


def _filled(make, shape: tuple, dtype, device, requires_grad: bool, out, name: str) -> Tensor:
    dtype = _resolve_out(dtype, out)
    t = finish(make(shape, _np_dtype(dtype)), device=device, requires_grad=requires_grad)
    return _into_out(t, out, name)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor with the given strides (in elements)."""
    dt = _np_dtype(dtype)
    size = tuple(size)
    n = 1 + sum((s - 1) * st for s, st in zip(size, stride)) if all(size) else 0
    buf = np.empty(n, dt)
    arr = np.lib.stride_tricks.as_strided(buf, size, tuple(s * dt.itemsize for s in stride), writeable=True)
    return finish(arr, device=device, requires_grad=requires_grad)


# C++ type names in PyTorch's "value cannot be converted" errors for fill values
_CPP_NAMES = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t",
              "float16": "c10::Half", "float32": "float", "float64": "double"}


def _fill_number(value, name: str):
    """fill_value as a Python number (0-dim tensors and NumPy scalars accepted), else PyTorch's TypeError."""
    if isinstance(value, Tensor) and value._data.size == 1 or isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, complex):
        raise NotImplementedError("ember does not support complex numbers yet")
    raise TypeError(f"{name}(): argument 'fill_value' (position 2) must be Number, not {type(value).__name__}")


def _fill_array(value, dt: D.dtype):
    """value ready to fill a dtype-dt array, raising PyTorch's overflow error when it does not fit."""
    ok = True
    if dt.is_floating_point:
        if isinstance(value, float) and math.isfinite(value) or isinstance(value, int):
            ok = abs(value) <= _FLOAT_MAX[dt.name]
    elif dt is not D.bool:
        info = np.iinfo(dt.np)
        if isinstance(value, float):
            ok = info.min <= value <= info.max  # False for NaN
        else:
            low = -int(info.max) if dt is D.uint8 else int(info.min)  # PyTorch lets -255..-1 wrap into uint8
            ok = low <= value <= info.max
            if value < 0 and dt is D.uint8:
                value += 256
    if not ok:
        raise RuntimeError(f"value cannot be converted to type {_CPP_NAMES[dt.name]} without overflow")
    return value


_FLOAT_MAX = {name: float(np.finfo(name).max) for name in ("float16", "float32", "float64")}


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad: bool = False,
         pin_memory: bool = False) -> Tensor:
    """A tensor filled with fill_value; dtype inferred from the value (bool, int64 or default float)."""
    if not isinstance(size, (tuple, list, Size)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    value = _fill_number(fill_value, "full")
    dtype = _resolve_out(dtype, out)
    dt = D.to_dtype(dtype) if dtype is not None else D.scalar_dtype(value)
    data = np.full(size_arg((size,), "full"), _fill_array(value, dt), dt.np)
    return _into_out(finish(data, device=device, requires_grad=requires_grad), out, "full")


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
                  pin_memory: bool = False) -> Tensor:
    """A 0-dim tensor holding s (default float dtype)."""
    return finish(np.array(s, dtype=_np_dtype(dtype)), device=device, requires_grad=requires_grad)


def eye(n: int, m: int | None = None, *, out=None, dtype=None, layout=None, device=None,
        requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A 2-d n x m tensor (m defaults to n) with ones on the diagonal."""
    if not _is_index(n):
        raise TypeError(f"eye(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if m is not None and not _is_index(m):
        raise TypeError(f"eye() received an invalid combination of arguments - got ({type(n).__name__}, "
                        f"{type(m).__name__}), but expected one of:\n * (int n, *, Tensor out = None, ...)\n"
                        " * (int n, int m, *, Tensor out = None, ...)\n")
    n = int(n)
    m = n if m is None else int(m)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dtype = _resolve_out(dtype, out)
    t = finish(np.eye(n, m, dtype=_np_dtype(dtype)), device=device, requires_grad=requires_grad)
    return _into_out(t, out, "eye")


# -- ranges -------------------------------------------------------------------------------------------
def _num(x):
    return x.item() if isinstance(x, (Tensor, np.generic)) else x


def _range_dtype(dtype, values, name: str) -> D.dtype:
    if dtype is None:
        floating = any(isinstance(v, float) for v in values)
        return D.get_default_dtype() if floating else D.int64
    dt = D.to_dtype(dtype)
    if dt is D.bool:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Bool'")
    return dt


def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Values from start to end (exclusive) by step; int64 for integer arguments, else the default float."""
    if end is None:
        start, end = 0, start
    start, end, step = _num(start), _num(end), _num(step)
    dt = _range_dtype(_resolve_out(dtype, out), (start, end, step), "arange")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start:g} -> {end:g}")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if not ((step > 0 and end >= start) or (step < 0 and end <= start)):
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dt.is_floating_point:
        n = math.ceil((end - start) / step)
    elif dt is D.int64:  # PyTorch sizes int64 ranges from the arguments truncated to integers
        if not int(step):
            raise ValueError("step must be nonzero")
        n = math.ceil((int(end) - int(start)) / int(step))
    else:
        n = math.ceil((end - start) / step)
    if not 0 <= n < 2**63:
        raise RuntimeError("invalid size, possible overflow?")
    if dt.is_floating_point:
        values = (start + np.arange(n, dtype=np.float64) * step).astype(dt.np)
    else:
        first, stride = int(start), int(step)  # a fractional step truncates (to 0), as in PyTorch
        if stride:
            values = np.arange(first, first + n * stride, stride, dtype=np.int64)
        else:
            values = np.full(n, first, dtype=np.int64)
        values = values.astype(dt.np, copy=False)
    t = finish(values, device=device, requires_grad=requires_grad)
    return _into_out(t, out, "arange")


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,  # noqa: A001
          requires_grad: bool = False) -> Tensor:
    """Deprecated inclusive range (end included), default float dtype; use arange."""
    import warnings

    warnings.warn("ember.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use ember.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    values = start + np.arange(n, dtype=np.float64) * step
    t = finish(values.astype(_np_dtype(_resolve_out(dtype, out))), device=device, requires_grad=requires_grad)
    return _into_out(t, out, "range")


def _check_steps(steps, name: str, start, end) -> int:
    if not _is_index(steps):
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({type(start).__name__}, "
                        f"{type(end).__name__}, {type(steps).__name__}), but expected one of:\n"
                        " * (Number start, Number end, int steps, *, Tensor out = None, ...)\n")
    steps = int(steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return steps


def _spaced(start, end, steps: int, dt: D.dtype) -> np.ndarray:
    """PyTorch's linspace values: the first half counts up from start, the second half down from end.

    Float dtypes compute in their own precision, integer dtypes in float64 from start and end truncated
    to integers (the caller's cast truncates the result). Except for float16, PyTorch's vectorised kernel
    uses fused multiply-adds, which we emulate by working in a wider type.
    """
    if steps <= 1:
        return np.array([start] * steps, dtype=np.float64)
    i = np.arange(steps)
    first_half = i < steps // 2
    if dt.is_floating_point:
        ft = dt.np.type
        s, e = ft(start), ft(end)
        step = (e - s) / ft(steps - 1)
        wide = {np.float32: np.float64, np.float64: np.longdouble}.get(ft)
        if wide is not None:
            s, e, step = wide(s), wide(e), wide(step)
        idx = i.astype(wide or ft)
        rev = idx[::-1]  # steps - 1 - i
    else:
        s, e = float(int(start)), float(int(end))
        step = (e - s) / (steps - 1)
        s, e, step = np.longdouble(s), np.longdouble(e), np.longdouble(step)
        idx = i.astype(np.longdouble)
        rev = idx[::-1]
    values = np.where(first_half, s + step * idx, e - step * rev)
    return values if dt.is_floating_point else values.astype(np.float64)


def _log_spaced(start, end, steps: int, base: float, dt: D.dtype) -> np.ndarray:
    """PyTorch's logspace: exponents stepped in float64 from start and end cast to dt, then pow in float64."""
    if steps <= 1:
        return np.power(float(base), np.array([float(start)] * steps))
    if dt.is_floating_point:
        ft = dt.np.type
        s, e = ft(start), ft(end)
        diff, base = float(ft(e - s)), float(base)
        s, e = float(s), float(e)
    else:
        s, e = float(int(start)), float(int(end))
        diff, base = e - s, float(np.float32(base))  # PyTorch's integer kernel holds the base as a float
    step = diff / (steps - 1)
    i = np.arange(steps)
    exps = np.where(i < steps // 2, s + step * i, e - step * (steps - 1 - i))
    return np.power(base, exps)


def linspace(start, end, steps: int, *, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end inclusive (default float dtype)."""
    steps = _check_steps(steps, "linspace", start, end)
    start, end = _num(start), _num(end)
    dtype = _resolve_out(dtype, out)
    dt = _range_dtype(dtype if dtype is not None else D.get_default_dtype(), (), "linspace")
    t = finish(_spaced(start, end, steps, dt).astype(dt.np), device=device, requires_grad=requires_grad)
    return _into_out(t, out, "linspace")


def logspace(start, end, steps: int, base: float = 10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """base ** linspace(start, end, steps) (default float dtype)."""
    steps = _check_steps(steps, "logspace", start, end)
    start, end = _num(start), _num(end)
    dtype = _resolve_out(dtype, out)
    dt = _range_dtype(dtype if dtype is not None else D.get_default_dtype(), (), "logspace")
    t = finish(_log_spaced(start, end, steps, base, dt).astype(dt.np), device=device, requires_grad=requires_grad)
    return _into_out(t, out, "logspace")


# -- *_like -------------------------------------------------------------------------------------------
def empty_like_array(a: np.ndarray, np_dtype) -> np.ndarray:
    """An uninitialised array shaped like `a`, laid out as PyTorch's preserve_format lays it out.

    Dense inputs (e.g. transposed) keep their strides; others get dense strides in the order of
    the input's strides, as `torch.empty_like` does.
    """
    if a.flags.c_contiguous or a.ndim < 2:
        return np.empty(a.shape, np_dtype)
    shape = a.shape
    strides = [s // a.itemsize for s in a.strides]
    if not _dense_non_overlapping(shape, strides):
        strides = _dense_strides(shape, strides)
    np_dtype = np.dtype(np_dtype)
    buf = np.empty(a.size, np_dtype)
    return np.lib.stride_tricks.as_strided(buf, shape, [s * np_dtype.itemsize for s in strides])


def _dense_non_overlapping(shape, strides) -> bool:
    order = sorted((d for d in builtins.range(len(shape)) if shape[d] >= 2), key=lambda d: strides[d])
    expected = 1
    for d in order:
        if strides[d] != expected:
            return False
        expected *= shape[d]
    return True


def _dense_strides(shape, strides) -> list:
    """Contiguous strides in the order of the given strides (zero strides keep their place)."""
    ndim = len(shape)
    perm = list(builtins.range(ndim - 1, -1, -1))  # fastest dimension first

    def should_swap(d0, d1) -> int:
        s0, s1 = strides[d0], strides[d1]
        if s0 == 0 or s1 == 0:
            return 0
        if s0 != s1:
            return -1 if s0 < s1 else 1
        return 1 if shape[d0] > shape[d1] else 0

    for i in builtins.range(1, ndim):
        d1 = i
        for d0 in builtins.range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    out = [0] * ndim
    cur = 1
    for d in perm:
        out[d] = cur
        cur *= max(shape[d], 1)
    return out


def _like(input: Tensor, dtype, device, requires_grad: bool, value=None) -> Tensor:
    dt = D.to_dtype(dtype) if dtype is not None else input.dtype
    arr = empty_like_array(input._data if input._data.__class__ is np.ndarray else input._data.get(), dt.np)
    if value is not None:
        arr.fill(value)
    return finish(arr, device=device if device is not None else input.device, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
               memory_format=None) -> Tensor:
    """An uninitialised tensor with input's size (and dtype/device unless given)."""
    return _like(input, dtype, device, requires_grad)


def zeros_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
               memory_format=None) -> Tensor:
    """Zeros with input's size (and dtype/device unless given)."""
    return _like(input, dtype, device, requires_grad, 0)


def ones_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    """Ones with input's size (and dtype/device unless given)."""
    return _like(input, dtype, device, requires_grad, 1)


def full_like(input: Tensor, fill_value, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    """fill_value everywhere, with input's size (and dtype/device unless given)."""
    value = _fill_number(fill_value, "full_like")
    dt = D.to_dtype(dtype) if dtype is not None else input.dtype
    return _like(input, dt, device, requires_grad, _fill_array(value, dt))
