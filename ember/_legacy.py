"""Legacy constructors: `ember.Tensor(2, 3)`, `FloatTensor([1, 2])`, ... and their isinstance checks.

`FloatTensor` and friends are not Tensor subclasses (as in PyTorch): calling one builds a plain
Tensor of its dtype, and `isinstance(t, FloatTensor)` asks whether t is a CPU float32 tensor.
"""

from __future__ import annotations

import numpy as np

from . import _dtype as D
from ._tensor import Tensor, _wrap

# C++ type names PyTorch prints in its legacy-constructor dtype mismatch error
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
              "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
              "bool": "bool"}


def _options(dtype: D.dtype) -> str:
    return (f"TensorOptions(dtype={_CPP_NAMES[dtype.name]}, device=cpu, layout=Strided, requires_grad=false "
            "(default), pinned_memory=false (default), memory_format=(nullopt))")


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def legacy_new(cls: type, dtype: D.dtype | None, args: tuple, kwargs: dict) -> Tensor:
    """PyTorch's legacy constructor: (), (*sizes), (Size), (Tensor) or (data), with an optional device=."""
    kwargs = dict(kwargs)
    device = kwargs.pop("device", None)
    if kwargs:
        got = ", ".join(f"{k}={type(v).__name__}" for k, v in kwargs.items())
        raise TypeError(f"new() received an invalid combination of arguments - got ({got}), but expected one "
                        "of: (*, device), (Tensor other), (tuple of ints size, *, device), (object data, *, device)")
    explicit = dtype is not None
    dtype = dtype if explicit else D.get_default_dtype()
    if len(args) == 1 and isinstance(args[0], Tensor):
        other = args[0]
        if explicit and other.dtype is not dtype:
            raise TypeError(f"expected {_options(dtype)} (got {_options(other.dtype)})")
        return _as_class(_wrap(other._data), cls)  # an alias sharing memory, as PyTorch returns
    if len(args) == 1 and not _is_int(args[0]) and not _is_size(args[0]):
        data = _data_array(args[0], dtype)
    else:
        data = np.empty(_sizes(args), dtype=dtype.np)
    if device is not None:
        from ._device import to_device
        from .backend import move

        data = move(data, to_device(device))
    return _as_class(_wrap(data), cls)


def _as_class(t: Tensor, cls: type) -> Tensor:
    if cls is not Tensor and isinstance(cls, type) and issubclass(cls, Tensor):
        t.__class__ = cls
    return t


def _is_size(x) -> bool:
    from ._size import Size

    return isinstance(x, Size)


def _sizes(args: tuple) -> tuple:
    if not args:
        return (0,)
    shape = tuple(args[0]) if len(args) == 1 and _is_size(args[0]) else args
    for i, s in enumerate(shape):
        if not _is_int(s):
            raise TypeError(f"new(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                            f"\"type must be tuple of ints,but got {type(s).__name__}\"")
    shape = tuple(int(s) for s in shape)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(shape)}")
    return shape


def _data_array(data, dtype: D.dtype) -> np.ndarray:
    from ._from_data import _is_sequence, infer_array

    if isinstance(data, (str, bytes)):
        raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
    if not (_is_sequence(data) or isinstance(data, np.ndarray)):
        raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
    return infer_array(data, dtype)


class _LegacyMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj._data.__class__ is np.ndarray and obj.dtype is cls.dtype

    def __call__(cls, *args, **kwargs):
        return legacy_new(Tensor, cls.dtype, args, kwargs)


def _legacy(name: str, dtype: D.dtype):
    return _LegacyMeta(name, (), {"dtype": dtype, "_dtype": dtype, "is_cuda": False, "is_sparse": False,
                                  "__doc__": f"Legacy constructor of {dtype} tensors."})


FloatTensor = _legacy("FloatTensor", D.float32)
DoubleTensor = _legacy("DoubleTensor", D.float64)
HalfTensor = _legacy("HalfTensor", D.float16)
LongTensor = _legacy("LongTensor", D.int64)
IntTensor = _legacy("IntTensor", D.int32)
ShortTensor = _legacy("ShortTensor", D.int16)
CharTensor = _legacy("CharTensor", D.int8)
ByteTensor = _legacy("ByteTensor", D.uint8)
BoolTensor = _legacy("BoolTensor", D.bool)
