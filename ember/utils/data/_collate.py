"""default_collate and default_convert: turn fetched samples into batches of tensors (PyTorch's rules).

Inside a worker process, stacked batches are written straight into shared memory (see ``_shm``), so the
main process receives them without a copy.
"""

from __future__ import annotations

import collections.abc as abc
import copy
import re
from typing import Any

import numpy as np

from ..._tensor import Tensor, _wrap
from . import _shm

__all__ = ["default_collate", "default_convert"]

_STRING_DTYPE = re.compile(r"[SaUO]")  # dtype.str kinds that cannot become tensors
_COLLATE_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_numpy_array_like(x: Any) -> bool:
    """A NumPy array or scalar that is not a NumPy string (``np.str_``/``np.bytes_``)."""
    return type(x).__module__ == "numpy" and not isinstance(x, (np.str_, np.bytes_))


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def default_convert(data: Any) -> Any:
    """Convert NumPy arrays and scalars to tensors, recursing into dicts, tuples and lists (no batching).

    Tuples become lists (PyTorch's rule); strings and other objects are returned unchanged.
    """
    if isinstance(data, Tensor):
        return data
    if _is_numpy_array_like(data):
        if isinstance(data, np.ndarray) and _STRING_DTYPE.search(data.dtype.str) is not None:
            return data
        from ... import as_tensor

        return as_tensor(data)
    if isinstance(data, abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        return _rebuild_mapping(data, converted)
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def _rebuild_mapping(original: abc.Mapping, values: dict) -> Any:
    """A mapping of ``original``'s type holding ``values`` (a plain dict when the type cannot be rebuilt)."""
    if isinstance(original, abc.MutableMapping):
        clone = copy.copy(original)
        clone.update(values)
        return clone
    try:
        return type(original)(values)
    except TypeError:
        return values


def _rebuild_sequence(original: abc.Sequence, values: list) -> Any:
    """A sequence of ``original``'s type holding ``values`` (a list when the type cannot be rebuilt)."""
    try:
        if isinstance(original, abc.MutableSequence):
            clone = copy.copy(original)
            for i, v in enumerate(values):
                clone[i] = v
            return clone
        return type(original)(values)
    except TypeError:
        return values


def default_collate(batch: list) -> Any:
    """Merge a list of samples into a batch: tensors and arrays stacked along a new dim 0, Python numbers
    turned into tensors (int -> int64, float -> float64, bool -> bool), strings kept as the list, and
    dicts, namedtuples, tuples and lists collated field by field (tuples give lists).

        >>> default_collate([(ember.tensor([1.0]), 0), (ember.tensor([2.0]), 1)])
        [tensor([[1.], [2.]]), tensor([0, 1])]
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        if any(t.requires_grad for t in batch):
            from ... import stack

            return stack(batch)
        return _stack([t._data for t in batch])
    if _is_numpy_array_like(elem):
        if isinstance(elem, np.ndarray):
            if _STRING_DTYPE.search(elem.dtype.str) is not None:
                raise TypeError(_COLLATE_ERROR.format(elem.dtype))
            if elem.ndim > 0:
                return _stack([np.asarray(a) for a in batch])
        return _numpy_scalars(batch)
    if isinstance(elem, float):
        return _wrap(np.array(batch, dtype=np.float64))
    if isinstance(elem, int):
        if all(type(x) is int for x in batch):
            try:
                return _wrap(np.array(batch, dtype=np.int64))
            except OverflowError:
                pass
        from ... import tensor

        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, abc.Mapping):
        return _rebuild_mapping(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(column) for column in zip(*batch)))
    if isinstance(elem, abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(column) for column in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        return _rebuild_sequence(elem, columns)
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def _numpy_scalars(batch: list) -> Tensor:
    """A 1-d tensor from NumPy scalars (or 0-d arrays), keeping their dtype."""
    from ... import as_tensor

    return as_tensor(np.array(batch))


def _stack(arrays: list) -> Tensor:
    """Stack equally shaped arrays along a new dim 0 (into shared memory when in a worker)."""
    first = arrays[0]
    shape = first.shape
    dtype = first.dtype
    for i, a in enumerate(arrays):
        if a.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                               f"and {list(a.shape)} at entry {i}")
        if a.dtype != dtype:
            dtype = _promote(dtype, a.dtype)
    if not isinstance(first, np.ndarray):  # CuPy arrays: let ember's stack handle the device
        from ... import stack

        return stack([_wrap(a) for a in arrays])
    _check_dtype(dtype)
    out = _shm.empty((len(arrays), *shape), dtype)
    np.stack(arrays, out=out)
    return _wrap(out)


def _promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promotion of two array dtypes (float32 with int64 gives float32, unlike NumPy's float64)."""
    from ... import _dtype as D

    return D.promote_types(D.from_numpy_dtype(a), D.from_numpy_dtype(b)).np


def _check_dtype(dtype: np.dtype) -> None:
    from ... import _dtype as D

    D.from_numpy_dtype(dtype)
