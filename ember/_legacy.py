"""Legacy typed tensor classes: FloatTensor, LongTensor, ... (constructors and isinstance checks)."""

from __future__ import annotations

import numpy as np

from . import _dtype as D
from ._tensor import Tensor


class _LegacyMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj._data.__class__ is np.ndarray and obj.dtype is cls._dtype

    def __call__(cls, *args, **kwargs):
        return Tensor(*args, dtype=cls._dtype, **kwargs)


def _legacy(name: str, dtype: D.dtype):
    return _LegacyMeta(name, (), {"_dtype": dtype, "__doc__": f"Legacy constructor of {dtype} tensors."})


FloatTensor = _legacy("FloatTensor", D.float32)
DoubleTensor = _legacy("DoubleTensor", D.float64)
HalfTensor = _legacy("HalfTensor", D.float16)
LongTensor = _legacy("LongTensor", D.int64)
IntTensor = _legacy("IntTensor", D.int32)
ShortTensor = _legacy("ShortTensor", D.int16)
CharTensor = _legacy("CharTensor", D.int8)
ByteTensor = _legacy("ByteTensor", D.uint8)
BoolTensor = _legacy("BoolTensor", D.bool)
