"""The pickler that writes ember objects as PyTorch's pickle does: tensors as torch._utils._rebuild_tensor_v2 over
storages referenced by persistent id, so that `torch.load` reads them.

Storages are identified by the NumPy array that owns the memory (the root of the `.base` chain): two views of
one array share one storage entry and keep their offsets and strides, as in PyTorch.
"""

from __future__ import annotations

import pickle
from collections import OrderedDict

import numpy as np

from .. import _dtype as D
from .._device import device
from .._size import Size
from .._tensor import Tensor
from . import _torch_names as N


class StorageRef:
    """One storage to be written as `data/<key>`: a contiguous typed array covering the shared memory."""

    __slots__ = ("key", "array", "dtype", "location", "owner")

    def __init__(self, key: str, array: np.ndarray, dtype, location: str, owner) -> None:
        self.key, self.array, self.dtype, self.location = key, array, dtype, location
        self.owner = owner  # keeps the root array alive so that its id() is not reused while pickling


def _root(a: np.ndarray) -> np.ndarray:
    """The array at the end of the `.base` chain (through NumPy's as_strided wrapper objects)."""
    while True:
        b = a.base
        if isinstance(b, np.ndarray):
            a = b
        elif b is not None and hasattr(b, "__array_interface__") and isinstance(getattr(b, "base", None), np.ndarray):
            a = b.base
        else:
            return a


def _byte_extent(a: np.ndarray) -> tuple[int, int] | None:
    """[lo, hi) addresses of the memory an array touches, or None when it has negative strides."""
    if any(s < 0 for s in a.strides):
        return None
    lo = a.__array_interface__["data"][0]
    if a.size == 0:
        return lo, lo
    return lo, lo + sum((n - 1) * s for n, s in zip(a.shape, a.strides)) + a.itemsize


class TorchPickler(pickle._Pickler):
    """A pure-Python pickler (it must write GLOBAL opcodes naming torch, which the C pickler refuses to do
    for objects it cannot import) that collects the storages of the tensors it meets."""

    dispatch = dict(pickle._Pickler.dispatch)

    def __init__(self, file, protocol: int = 2) -> None:
        super().__init__(file, protocol)
        self.storages: list[StorageRef] = []
        self._by_root: dict[int, StorageRef] = {}
        from ..nn.parameter import Parameter

        self._parameter = Parameter

    # -- torch globals and ember's small value types -------------------------------------------------
    def _save_torch_global(self, obj: N.TorchGlobal) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    dispatch[N.TorchGlobal] = _save_torch_global

    def _save_dtype(self, obj: D.dtype) -> None:
        self.save(_DTYPE_GLOBALS[obj.name])

    dispatch[D.dtype] = _save_dtype

    def _save_bfloat16(self, obj) -> None:
        self.save(_BFLOAT16)

    dispatch[D._BFloat16Placeholder] = _save_bfloat16

    def persistent_id(self, obj):
        if obj.__class__ is StorageRef:
            numel = obj.array.size
            return ("storage", N.STORAGE_GLOBALS[N.STORAGE_NAMES[obj.dtype.name]], obj.key, obj.location, numel)
        return None

    def reducer_override(self, obj):
        cls = obj.__class__
        if cls is Tensor:
            return self._reduce_tensor(obj)
        if isinstance(obj, self._parameter):
            from .._tensor import _wrap

            data = _wrap(obj._data)
            return (N.REBUILD_PARAMETER, (data, obj.requires_grad, OrderedDict()))
        if cls is Size:
            return (N.SIZE, (tuple(obj),))
        if cls is device:
            return (N.DEVICE, (str(obj),))
        if isinstance(obj, Tensor):  # subclasses (legacy FloatTensor() etc.)
            return self._reduce_tensor(obj)
        return NotImplemented

    # -- tensors ----------------------------------------------------------------------------------------
    def _reduce_tensor(self, t: Tensor):
        arr = t._data
        location = "cpu"
        if arr.__class__ is not np.ndarray:  # a CuPy array: written from a host copy, restored on its GPU
            location = f"cuda:{t.device.index or 0}"
            arr = arr.get()
        ref, offset, strides = self._storage_for(arr, t.dtype, location)
        return (N.REBUILD_TENSOR_V2, (ref, offset, tuple(arr.shape), strides, t.requires_grad, OrderedDict()))

    def _new_ref(self, array: np.ndarray, dtype, location: str, owner) -> StorageRef:
        ref = StorageRef(str(len(self.storages)), array, dtype, location, owner)
        self.storages.append(ref)
        return ref

    def _storage_for(self, arr: np.ndarray, dtype, location: str):
        """The storage holding arr, its offset in elements and arr's strides in elements."""
        shared = self._shared_storage(arr, dtype, location)
        if shared is not None:
            return shared
        # a layout a storage view cannot express (negative strides, foreign byte order): a contiguous copy
        copy = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("="))
        return self._new_ref(copy.reshape(-1), dtype, location, copy), 0, _contiguous_strides(arr.shape)

    def _shared_storage(self, arr: np.ndarray, dtype, location: str):
        """(storage, offset, strides) of arr as a view of the memory its root array owns, or None."""
        item = arr.itemsize
        if not arr.dtype.isnative or any(s < 0 or s % item for s in arr.strides):
            return None
        root = _root(arr)
        extent = _byte_extent(root)
        if extent is None or not root.dtype.isnative or (extent[1] - extent[0]) % item:
            return None
        if root.itemsize != item and not root.flags.c_contiguous:  # only a plain buffer can be re-typed
            return None
        lo, hi = extent
        delta = arr.__array_interface__["data"][0] - lo
        if delta % item or not 0 <= delta <= hi - lo:
            return None
        ref = self._by_root.get(id(root))
        if ref is None:
            # loaded tensors view a byte buffer (their storage): re-typing it keeps them shared when re-saved
            typed = root.reshape(-1).view(np.uint8).view(arr.dtype) if root.itemsize != item else root.view(arr.dtype)
            flat = np.lib.stride_tricks.as_strided(typed, shape=((hi - lo) // item,), strides=(item,), writeable=False)
            ref = self._new_ref(flat, dtype, location, root)
            self._by_root[id(root)] = ref
        elif ref.dtype is not dtype:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same data as different types")
        return ref, delta // item, tuple(s // item for s in arr.strides)


def _contiguous_strides(shape: tuple) -> tuple:
    strides, acc = [], 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(strides))


_DTYPE_GLOBALS = {d.name: N.TorchGlobal("torch", d.name) for d in D._ALL}
_BFLOAT16 = N.TorchGlobal("torch", "bfloat16")
