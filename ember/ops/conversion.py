"""Copies and conversions: to, type, float/double/..., cpu/cuda, clone, contiguous, copy_, fill_, zero_."""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._device import device as Device
from .._device import to_device
from .._factories import _fill_array, empty_like_array
from .._tensor import Tensor, _wrap
from ..autograd.grad_mode import STATE
from ..autograd.graph import NULL_CTX, Op
from ..backend import device_of, move
from ._declare import check_inplace_allowed, commit_inplace, declare


class ToCopy(Op):
    name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, a, np_dtype, dev):
        ctx.src = (a.dtype, device_of(a))
        out = a.astype(np_dtype) if np_dtype is not None and a.dtype != np_dtype else a
        if dev is not None:
            out = move(out, dev)
        return out.copy() if out is a else out

    @staticmethod
    def backward(ctx, g):
        src_dtype, src_dev = ctx.src
        return g.to(device=src_dev, dtype=D.from_numpy_dtype(src_dtype))


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    dev = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    for a in args:
        if isinstance(a, Tensor):
            dtype, dev = a.dtype, a.device
        elif isinstance(a, (D.dtype, type)) or a is D.bfloat16:
            dtype = a
        elif isinstance(a, (str, Device, int)) and not isinstance(a, bool):
            if isinstance(a, str) and (a.split(".")[-1] in D._BY_NAME):
                dtype = a
            else:
                dev = a
        elif isinstance(a, bool):
            copy = a if dtype is not None or dev is not None else copy
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments: {sorted(kwargs)}")
    return (D.to_dtype(dtype) if dtype is not None else None), (to_device(dev) if dev is not None else None), copy


def to(self: Tensor, *args, **kwargs) -> Tensor:
    """Convert to another dtype and/or device; returns self when nothing changes (unless copy=True)."""
    dtype, dev, copy = _parse_to(args, dict(kwargs))
    np_dtype = dtype.np if dtype is not None and dtype.np != self._data.dtype else None
    if dev is not None and dev == self.device:
        dev = None
    if np_dtype is None and dev is None:
        return self.clone() if copy else self
    if dev is not None and dev.type == "cuda":
        from ..backend import xp_for

        xp_for(dev)  # raises the clear "CUDA unavailable" error
    if STATE.enabled and self._requires_grad and (np_dtype is None or np.dtype(np_dtype).kind == "f"):
        return ToCopy.apply(self, np_dtype=np_dtype, dev=dev)
    return _wrap(ToCopy.forward(NULL_CTX, self._data, np_dtype, dev))


Tensor.to = to


def _caster(name: str, dtype: D.dtype):
    def cast(self: Tensor, memory_format=None) -> Tensor:
        return to(self, dtype)

    cast.__name__ = name
    cast.__doc__ = f"self.to({dtype})."
    setattr(Tensor, name, cast)


for _n, _d in (("float", D.float32), ("double", D.float64), ("half", D.float16), ("long", D.int64),
               ("int", D.int32), ("short", D.int16), ("char", D.int8), ("byte", D.uint8), ("bool", D.bool)):
    _caster(_n, _d)


def cpu(self: Tensor, memory_format=None) -> Tensor:
    """This tensor on the CPU (self when already there)."""
    return to(self, "cpu")


def cuda(self: Tensor, device=None, non_blocking: bool = False, memory_format=None) -> Tensor:
    """This tensor on a CUDA device; a clear error when CUDA is unavailable."""
    dev = Device("cuda", device if isinstance(device, int) else None) if not isinstance(device, (str, Device)) \
        else to_device(device)
    return to(self, dev)


Tensor.cpu = cpu
Tensor.cuda = cuda


def type_(self: Tensor, dtype=None, non_blocking: bool = False, **kwargs):
    """The type name ('ember.FloatTensor') with no argument, else a cast to a dtype, legacy class or type name."""
    if dtype is None:
        prefix = "ember." if self._data.__class__ is np.ndarray else "ember.cuda."
        return prefix + self.dtype._legacy
    return to(self, D.to_dtype(dtype))


Tensor.type = type_


def type_as(self: Tensor, other: Tensor) -> Tensor:
    """self cast to other's dtype."""
    return to(self, other.dtype)


Tensor.type_as = type_as


class Clone(Op):
    name = "CloneBackward0"

    @staticmethod
    def forward(ctx, a, contiguous=False):
        if contiguous or a.__class__ is not np.ndarray or a.flags.c_contiguous:
            return a.copy()
        out = empty_like_array(a, a.dtype)  # keeps a transposed input's strides, as PyTorch's clone does
        out[...] = a
        return out

    @staticmethod
    def backward(ctx, g):
        return g


@declare()
def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """A copy with its own memory (differentiable), keeping a dense input's strides."""
    return Clone.apply(input, contiguous=str(memory_format).endswith("contiguous_format"))


def contiguous(self: Tensor, memory_format=None) -> Tensor:
    """self if already contiguous, else a contiguous copy."""
    if self._data.flags.c_contiguous:
        return self
    return Clone.apply(self, contiguous=True)


Tensor.contiguous = contiguous


class CopyFrom(Op):
    name = "CopyBackwards"

    @staticmethod
    def forward(ctx, dst, src):
        ctx.src_meta = src.dtype
        out = np.empty_like(dst)
        out[...] = src
        return out

    @staticmethod
    def backward(ctx, g):
        return g * 0, g


def copy_(self: Tensor, src, non_blocking: bool = False) -> Tensor:
    """Copy src (broadcast, cast, any device) into self in place."""
    check_inplace_allowed(self)
    if isinstance(src, (bool, int, float, np.number, np.bool_)):
        from .._factories import tensor

        src = tensor(src)
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not {type(src).__name__}")
    if src._data.__class__ is not self._data.__class__:
        src = src.to(self.device)
    _check_copy_shapes(self._data.shape, src._data.shape)
    if STATE.enabled and (self._requires_grad or src._requires_grad):
        return commit_inplace(self, CopyFrom.apply(self, src))
    _writable(self)[...] = src._data
    self._bump_version()
    return self


def _check_copy_shapes(dst: tuple, src: tuple) -> None:
    """PyTorch's errors when src does not broadcast to exactly dst's shape."""
    n = max(len(dst), len(src))
    a, b = (1,) * (n - len(dst)) + dst, (1,) * (n - len(src)) + src
    for i in range(n - 1, -1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                               f"non-singleton dimension {i}")
    full = tuple(max(x, y) for x, y in zip(a, b))
    if full != dst:
        raise RuntimeError(f"output with shape {list(dst)} doesn't match the broadcast shape {list(full)}")


def _writable(t: Tensor):
    """t's array for writing; an expanded tensor (NumPy read-only view) gets PyTorch's error."""
    if not t._data.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the operation.")
    return t._data


Tensor.copy_ = copy_


class Fill(Op):
    name = "FillBackward2"

    @staticmethod
    def forward(ctx, a, value):
        return np.full_like(a, value)

    @staticmethod
    def backward(ctx, g):
        return g * 0


class FillTensor(Op):
    """fill_ with a 0-dim tensor: the value receives the sum of the gradient."""

    name = "FillBackward3"

    @staticmethod
    def forward(ctx, a, value):
        return np.full_like(a, value)

    @staticmethod
    def backward(ctx, g):
        return g * 0, g.sum()


class Zero(Op):
    name = "ZeroBackward0"

    @staticmethod
    def forward(ctx, a):
        return np.zeros_like(a)

    @staticmethod
    def backward(ctx, g):
        return g * 0


def fill_(self: Tensor, value) -> Tensor:
    """Fill self with a scalar (or 0-dim tensor) in place."""
    check_inplace_allowed(self)
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        if STATE.enabled and (self._requires_grad or value._requires_grad):
            return commit_inplace(self, FillTensor.apply(self, value.to(self.dtype)))
        value = value.item()
    elif isinstance(value, np.generic):
        value = value.item()
    elif not isinstance(value, (bool, int, float)):
        raise TypeError(f"fill_() received an invalid combination of arguments - got ({type(value).__name__}), "
                        "but expected one of:\n * (Tensor value)\n * (Number value)\n")
    value = _fill_array(value, self.dtype)
    if STATE.enabled and self._requires_grad:
        return commit_inplace(self, Fill.apply(self, value=value))
    _fillable(self)[...] = value
    self._bump_version()
    return self


def _fillable(t: Tensor):
    """t's array for writing one value everywhere: unlike copy_, PyTorch lets fill_ write expanded tensors.

    NumPy marks expanded (broadcast) views read-only, so we write through an alias of their root array.
    """
    a = t._data
    if a.flags.writeable or a.__class__ is not np.ndarray:
        return a
    root = a
    while isinstance(root.base, np.ndarray):
        root = root.base
    if not (root.flags.writeable and root.flags.c_contiguous):
        return _writable(t)
    offset = a.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    return np.ndarray(a.shape, a.dtype, buffer=root, offset=offset, strides=a.strides)


def zero_(self: Tensor) -> Tensor:
    """Fill self with zeros in place."""
    check_inplace_allowed(self)
    if STATE.enabled and self._requires_grad:
        return commit_inplace(self, Zero.apply(self))
    _fillable(self)[...] = 0
    self._bump_version()
    return self


Tensor.fill_ = fill_
Tensor.zero_ = zero_


def new_tensor(self: Tensor, data, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor from data with self's dtype and device by default."""
    from .._factories import tensor

    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def _new_factory(name):
    def new(self: Tensor, *size, dtype=None, device=None, requires_grad: bool = False, **kwargs) -> Tensor:
        from .. import _factories as F

        return getattr(F, name)(*size, dtype=dtype or self.dtype, device=device or self.device,
                                requires_grad=requires_grad)

    new.__name__ = "new_" + name
    new.__doc__ = f"ember.{name} with self's dtype and device by default."
    setattr(Tensor, "new_" + name, new)


for _n in ("zeros", "ones", "empty"):
    _new_factory(_n)
Tensor.new_tensor = new_tensor


def new_full(self: Tensor, size, fill_value, *, dtype=None, device=None, requires_grad: bool = False):
    """ember.full with self's dtype and device by default."""
    from .._factories import full

    return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


Tensor.new_full = new_full
