"""Rebuilding tensors from loaded storages: ember's stand-ins for torch._utils._rebuild_* functions.

Every argument comes from an untrusted file, so each is checked (types, signs, that the view fits inside its
storage) before NumPy sees it; a failed check raises pickle.UnpicklingError.
"""

from __future__ import annotations

import operator
import pickle

import numpy as np

from .. import _dtype as D
from .._device import CPU, device
from .._tensor import Tensor, _wrap


class Storage:
    """The bytes behind one or more loaded tensors, with the device they are to be restored on.

    It is what a callable `map_location(storage, location)` receives: return `storage`, `storage.cpu()`,
    `storage.cuda(i)` or `storage.to(device)` (or None for the default placement).
    """

    __slots__ = ("data", "dtype", "device")

    def __init__(self, data: np.ndarray, dtype, dev: device) -> None:
        self.data, self.dtype, self.device = data, dtype, dev  # data: a 1-D uint8 array; dtype None: untyped

    def nbytes(self) -> int:
        """Size in bytes."""
        return self.data.size

    def size(self) -> int:
        """Number of elements (bytes for an untyped storage)."""
        return self.data.size // (self.dtype.itemsize if self.dtype is not None else 1)

    def to(self, dev) -> Storage:
        """The same bytes, to be placed on another device."""
        return Storage(self.data, self.dtype, dev if isinstance(dev, device) else device(dev))

    def cpu(self) -> Storage:
        """The same bytes, placed on the CPU."""
        return self.to(CPU)

    def cuda(self, device=None) -> Storage:
        """The same bytes, placed on a GPU."""
        return self.to("cuda" if device is None else f"cuda:{int(device)}")

    def __repr__(self) -> str:
        return f"<ember storage of {self.data.size} bytes on {self.device}>"


def _ints(value, what: str) -> tuple:
    if not isinstance(value, (tuple, list)):
        raise pickle.UnpicklingError(f"tensor {what} must be a tuple of ints, got {type(value).__name__}")
    try:
        out = tuple(operator.index(v) for v in value)
    except TypeError:
        raise pickle.UnpicklingError(f"tensor {what} must be a tuple of ints, got {value!r}") from None
    if any(v < 0 for v in out):
        raise pickle.UnpicklingError(f"tensor {what} must not be negative, got {out}")
    return out


def _view(storage, dtype, storage_offset, size, stride) -> Tensor:
    """A tensor viewing `storage` (no copy), after checking that the view lies inside it."""
    if not isinstance(storage, Storage):
        raise pickle.UnpicklingError(f"expected a storage to rebuild a tensor from, got {type(storage).__name__}")
    if dtype.__class__ is not D.dtype:
        raise pickle.UnpicklingError(f"expected a dtype to rebuild a tensor with, got {dtype!r}")
    size, stride = _ints(size, "sizes"), _ints(stride, "strides")
    offset = _ints((storage_offset,), "storage offset")[0]
    if len(size) != len(stride):
        raise pickle.UnpicklingError(f"tensor sizes {size} and strides {stride} differ in length")
    numel = storage.data.size // dtype.itemsize
    if storage.data.size % dtype.itemsize:
        raise pickle.UnpicklingError(f"a storage of {storage.data.size} bytes does not hold whole {dtype} elements")
    empty = 0 in size
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if not empty and last >= numel:
        raise pickle.UnpicklingError(
            f"a tensor of size {list(size)}, stride {list(stride)} and storage offset {offset} does not fit in "
            f"its storage of {numel} elements (the file is corrupt)")
    if empty and offset > numel:
        raise pickle.UnpicklingError(f"an empty tensor's storage offset {offset} lies past its storage of {numel} "
                                     "elements (the file is corrupt)")
    typed = storage.data.view(dtype.np) if numel else np.empty(0, dtype.np)
    item = dtype.itemsize
    try:
        arr = np.ndarray(size, dtype.np, buffer=typed, offset=offset * item, strides=[s * item for s in stride])
    except (ValueError, OverflowError):  # e.g. a size whose element count overflows int64 (a crafted file)
        raise pickle.UnpicklingError(f"a tensor of size {list(size)} and stride {list(stride)} cannot be "
                                     "represented: a dimension or its byte size overflows (the file is "
                                     "corrupt)") from None
    t = _wrap(arr)
    if storage.device != CPU:
        t = t.to(storage.device)
    return t


def _set_requires_grad(t: Tensor, requires_grad) -> Tensor:
    if requires_grad:
        if t._data.dtype.kind != "f":
            raise pickle.UnpicklingError(f"a tensor of dtype {t.dtype} cannot require gradients")
        t._requires_grad = True
    return t


def rebuild_tensor(storage, storage_offset, size, stride) -> Tensor:
    """torch._utils._rebuild_tensor: a tensor over a typed storage."""
    return _view(storage, storage.dtype if isinstance(storage, Storage) else None, storage_offset, size, stride)


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                      metadata=None) -> Tensor:
    """torch._utils._rebuild_tensor_v2: a tensor over a typed storage, with requires_grad."""
    return _set_requires_grad(rebuild_tensor(storage, storage_offset, size, stride), requires_grad)


def rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype,
                      metadata=None) -> Tensor:
    """torch._utils._rebuild_tensor_v3: a tensor over an untyped storage with an explicit dtype."""
    return _set_requires_grad(_view(storage, dtype, storage_offset, size, stride), requires_grad)


def rebuild_device_tensor_from_cpu_tensor(data, dtype, device, requires_grad) -> Tensor:
    """torch._utils._rebuild_device_tensor_from_cpu_tensor: a CPU tensor moved to a device."""
    if not isinstance(data, Tensor):
        raise pickle.UnpicklingError(f"expected a tensor, got {type(data).__name__}")
    return _set_requires_grad(data.to(device=device, dtype=dtype), requires_grad)


def _set_state(obj, state) -> None:
    """Python attributes saved with a tensor (`t.note = 1`); refuses names of ember's internal slots."""
    if state is None:
        return
    if isinstance(state, tuple) and len(state) == 2:  # (dict state, slot state)
        for part in state:
            _set_state(obj, part)
        return
    if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
        raise pickle.UnpicklingError(f"a tensor's saved attributes must be a dict with str keys, got {state!r}")
    bad = [k for k in state if k in Tensor.__slots__ or k.startswith("__")]
    if bad:
        raise pickle.UnpicklingError(f"refusing to set the internal attributes {bad} of a loaded tensor")
    obj.__dict__.update(state)


def rebuild_parameter(data, requires_grad, backward_hooks=None):
    """torch._utils._rebuild_parameter: an nn.Parameter around a loaded tensor."""
    from ..nn.parameter import Parameter

    if not isinstance(data, Tensor):
        raise pickle.UnpicklingError(f"expected a tensor to make a Parameter from, got {type(data).__name__}")
    return Parameter(data, bool(requires_grad))


def rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    """torch._utils._rebuild_parameter_with_state: a Parameter with saved Python attributes."""
    p = rebuild_parameter(data, requires_grad)
    _set_state(p, state)
    return p


def rebuild_from_type_v2(func, new_type, args, state):
    """torch._tensor._rebuild_from_type_v2: a tensor with saved Python attributes."""
    from ..nn.parameter import Parameter

    if func not in (rebuild_tensor, rebuild_tensor_v2, rebuild_tensor_v3, rebuild_parameter):
        raise pickle.UnpicklingError(f"cannot rebuild a tensor with {func!r}")
    if not isinstance(args, tuple):
        raise pickle.UnpicklingError("expected a tuple of arguments to rebuild a tensor")
    t = func(*args)
    if new_type is Parameter and not isinstance(t, Parameter):
        t = Parameter(t, t.requires_grad)
    elif new_type not in (Tensor, Parameter):
        raise pickle.UnpicklingError(f"cannot rebuild a tensor of type {new_type!r}")
    _set_state(t, state)
    return t
