"""Views with strides of their own: diagonal and as_strided, and the multi-output views that cut a
tensor into pieces: unbind, split, split_with_sizes, chunk, tensor_split.

Like those in views.py, results share memory with their input and follow PyTorch's strides and offsets.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap, _wrap_dim
from ..autograd.grad_mode import STATE
from ..autograd.graph import NULL_CTX, Op
from ..backend import xp_of
from ._declare import declare
from .views import (
    BasicIndex,
    index_view,
    mark_view,
    op_variant,
    restride,
    scalar_name,
    shape_inplace,
    storage_root,
    view_op,
)


# -- diagonal --------------------------------------------------------------------------------------------------
def diagonal_view(a, offset: int, dim1: int, dim2: int):
    """The diagonal of a over (dim1, dim2) as a writable view, appended as the last dim (PyTorch's layout)."""
    out = xp_of(a).diagonal(a, offset, dim1, dim2)
    if out.size == 0:  # PyTorch keeps the input's offset for an empty diagonal
        out = restride(a, out.shape, out.strides)
    elif out.__class__ is np.ndarray and a.flags.writeable and not out.flags.writeable:
        out.flags.writeable = True  # NumPy hands out diagonals read-only, though they are views
    return out


def diagonal_dims(ndim: int, dim1: int, dim2: int) -> tuple:
    """dim1, dim2 wrapped, with PyTorch's error when they are the same dim."""
    d1, d2 = _wrap_dim(dim1, ndim), _wrap_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


class Diagonal(Op):
    name = "DiagonalBackward0"

    @staticmethod
    def forward(ctx, a, offset, dim1, dim2):
        ctx.args = (a.shape, offset, dim1, dim2)
        return diagonal_view(a, offset, dim1, dim2)

    @staticmethod
    def backward(ctx, g):
        shape, offset, dim1, dim2 = ctx.args
        return DiagonalGrad.apply(g, shape=shape, offset=offset, dim1=dim1, dim2=dim2)


class DiagonalGrad(Op):
    """zeros(shape) with g written on a diagonal: the backward of diagonal (and of diag_embed's backward)."""

    name = "DiagonalBackwardBackward0"

    @staticmethod
    def forward(ctx, g, shape, offset, dim1, dim2):
        ctx.args = (offset, dim1, dim2)
        out = xp_of(g).zeros(shape, g.dtype)
        diagonal_view(out, offset, dim1, dim2)[...] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return gg.diagonal(*ctx.args)


@declare()
def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal over (dim1, dim2), appended as the last dim, as a view (offset > 0: above the main one)."""
    d1, d2 = diagonal_dims(input._data.ndim, dim1, dim2)
    return view_op(Diagonal, input, offset=int(offset), dim1=d1, dim2=d2)


# -- unbind, split, chunk ----------------------------------------------------------------------------------
class Unbind(Op):
    name = "UnbindBackward0"

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return tuple(index_view(a, (slice(None),) * dim + (i,)) for i in range(a.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        from .joining import stack

        return stack(grads, ctx.dim)


class Split(Op):
    name = "SplitBackward0"

    @staticmethod
    def forward(ctx, a, sizes, dim):
        ctx.dim = dim
        out, start = [], 0
        for s in sizes:
            out.append(index_view(a, (slice(None),) * dim + (slice(start, start + s),)))
            start += s
        return tuple(out)

    @staticmethod
    def backward(ctx, *grads):
        from .joining import cat

        return cat(grads, ctx.dim)


SplitWithSizes = op_variant(Split, "SplitWithSizesBackward0")


def _multi_view(op, input: Tensor, **params) -> tuple:
    if STATE.enabled and input._requires_grad:
        outs = op.apply(input, **params)
        for i, o in enumerate(outs):
            # PyTorch forbids in-place ops on these outputs; the in-place check reads this mark
            o._extras()["multi_view"] = (op.name.split("Backward")[0], i)
    else:
        outs = tuple(_wrap(o) for o in op.forward(NULL_CTX, input._data, **params))
    return tuple(mark_view(o, input) for o in outs)


def _check_1d(input: Tensor, name: str) -> None:
    if input._data.ndim == 0:
        raise RuntimeError(f"{name} expects at least a 1-dimensional tensor")


@declare()
def unbind(input: Tensor, dim: int = 0) -> tuple:
    """Tuple of all slices along dim (views)."""
    if input._data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    return _multi_view(Unbind, input, dim=_wrap_dim(dim, input._data.ndim))


@declare()
def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Split into chunks of a given size (the last may be smaller), or of the listed sizes, along dim (views)."""
    if not isinstance(split_size_or_sections, (int, np.integer)):
        return split_with_sizes(tensor, split_size_or_sections, dim)
    _check_1d(tensor, "split")
    d = _wrap_dim(dim, tensor._data.ndim)
    size = tensor._data.shape[d]
    step = int(split_size_or_sections)
    if step < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
    if step == 0 and size:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
    sizes = [min(step, size - i) for i in range(0, size, step)] if size else [0]
    return _multi_view(Split, tensor, sizes=sizes, dim=d)


@declare()
def split_with_sizes(input: Tensor, split_sizes, dim: int = 0) -> tuple:
    """Split into pieces of the listed sizes along dim (views)."""
    _check_1d(input, "split")
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    sizes = [int(s) for s in split_sizes]
    if any(s < 0 for s in sizes):
        raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                           f"split_sizes={sizes}")
    if sum(sizes) != size:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at "
                           f"dimension {d}), but got split_sizes={sizes}")
    return _multi_view(SplitWithSizes, input, sizes=sizes, dim=d)


@declare()
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Split into at most `chunks` pieces of size ceil(n / chunks) along dim (views)."""
    _check_1d(input, "chunk")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if size == 0:  # PyTorch returns `chunks` empty pieces here
        return split_with_sizes(input, [0] * chunks, d)
    return split(input, -(-size // chunks), d)


@declare()
def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple:
    """Split into n parts (sizes differing by at most one) or at the given indices, along dim (views)."""
    if input._data.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    if isinstance(indices_or_sections, Tensor):
        t = indices_or_sections
        if t._data.ndim > 1:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {t._data.ndim} dims")
        if t._data.dtype != np.int64:
            raise RuntimeError(f"tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{scalar_name(t.dtype)}")
        indices_or_sections = t.item() if t._data.ndim == 0 else t.tolist()
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if isinstance(indices_or_sections, (int, np.integer)):
        n = int(indices_or_sections)
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        q, r = divmod(size, n)
        bounds = np.cumsum([0] + [q + 1] * r + [q] * (n - r)).tolist()
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [None]
    return tuple(view_op(BasicIndex, input, index=(slice(None),) * d + (slice(lo, hi),))
                 for lo, hi in zip(bounds, bounds[1:]))


# -- as_strided -------------------------------------------------------------------------------------------------
def _positions(shape: tuple, strides: tuple, offset: int) -> np.ndarray:
    """Storage index (in elements) of every element of a strided layout."""
    pos = np.full(shape, offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        axis = [1] * len(shape)
        axis[d] = n
        pos = pos + (np.arange(n, dtype=np.int64) * s).reshape(axis)
    return pos


class AsStrided(Op):
    name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, a, size, stride, storage_offset):
        item = a.itemsize
        own_offset = (a.__array_interface__["data"][0] - storage_root(a).__array_interface__["data"][0]) // item
        ctx.geometry = (a.shape, tuple(s // item for s in a.strides), own_offset, size, stride, storage_offset)
        return restride(a, size, tuple(s * item for s in stride), (storage_offset - own_offset) * item)

    @staticmethod
    def backward(ctx, g):
        from .._factories import zeros

        in_shape, in_stride, in_offset, size, stride, offset = ctx.geometry
        out_pos = _positions(size, stride, offset).reshape(-1)
        in_pos = _positions(in_shape, in_stride, in_offset).reshape(-1)
        if in_pos.size == 0 or out_pos.size == 0:
            return zeros(in_shape, dtype=g.dtype)
        lo = int(min(out_pos.min(), in_pos.min()))
        hi = int(max(out_pos.max(), in_pos.max())) + 1
        # scatter into the touched part of the storage, then read back what the input's elements see
        storage = zeros(hi - lo, dtype=g.dtype).index_add(0, _wrap(out_pos - lo), g.reshape(-1))
        gx = storage.index_select(0, _wrap(in_pos - lo))
        counts = np.bincount(in_pos - lo)[in_pos - lo]
        if counts.max() > 1:  # input elements sharing memory split its gradient
            gx = gx / _wrap(counts.astype(g._data.dtype))
        return gx.reshape(in_shape)


AsStridedInplace = op_variant(AsStrided, "AsStridedBackward1")


def _as_strided(input: Tensor, size, stride, storage_offset, op=AsStrided) -> Tensor:
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: "
                           f"{list(stride)}")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {list(size)}")
    a = input._data
    if a.__class__ is not np.ndarray:
        raise NotImplementedError("ember's as_strided supports CPU tensors only")
    offset = input.storage_offset() if storage_offset is None else int(storage_offset)
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    root = storage_root(a)
    if not all(size):
        need = 0
    else:
        need = (offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1) * a.itemsize
    if need > root.nbytes:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and "
                           f"itemsize {a.itemsize} requiring a storage size of {need} are out of bounds for storage "
                           f"of size {root.nbytes}")
    return view_op(op, input, size=size, stride=stride, storage_offset=offset)


@declare()
def as_strided(input: Tensor, size, stride, storage_offset: int | None = None) -> Tensor:
    """A view of input's memory with explicit sizes, strides and storage offset (in elements)."""
    return _as_strided(input, size, stride, storage_offset)


@shape_inplace
def as_strided_(self: Tensor, size, stride, storage_offset: int | None = None) -> Tensor:
    return _as_strided(self, size, stride, storage_offset, AsStridedInplace)


Tensor.as_strided_ = as_strided_
