"""Joining and broadcasting: cat, stack, hstack, vstack, dstack, column_stack, atleast_1d/2d/3d,
meshgrid, broadcast_tensors, broadcast_shapes."""

from __future__ import annotations

import warnings

import numpy as np

from .. import _dtype as D
from .._size import Size
from .._tensor import Tensor, _wrap, _wrap_dim
from ..autograd.grad_mode import STATE
from ..autograd.graph import NULL_CTX, Op, apply_recorded
from ..backend import xp_of
from ._declare import declare


class Cat(Op):
    name = "CatBackward0"

    @staticmethod
    def forward(ctx, *arrays, dim):
        skipped = [a.ndim == 1 and a.shape[0] == 0 for a in arrays]
        ctx.sizes = [None if skip else a.shape[dim] for a, skip in zip(arrays, skipped)]
        ctx.dim = dim
        kept = [a for a, skip in zip(arrays, skipped) if not skip] or arrays
        return xp_of(arrays[0]).concatenate(kept, axis=dim)

    @staticmethod
    def backward(ctx, g):
        out, start = [], 0
        for s in ctx.sizes:
            if s is None:  # a skipped 1-d empty input
                out.append(g.new_zeros(0))
                continue
            out.append(g.narrow(ctx.dim, start, s))
            start += s
        return tuple(out)


def _common(tensors, name: str):
    """The promoted dtype of a list of tensors, with PyTorch's argument errors."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    if len(tensors) == 0:
        if name == "cat":
            raise ValueError("ember.cat(): expected a non-empty list of Tensors")
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    first = tensors[0]._data.dtype
    if all(t._data.dtype == first for t in tensors):
        return tensors[0].dtype
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = D.promote_types(dt, t.dtype)
    return dt


def _record_or_run(op, tensors, arrays, **params):
    if STATE.enabled and any(t._requires_grad for t in tensors):
        return apply_recorded(op, tuple(tensors), params, tuple(arrays))
    return _wrap(op.forward(NULL_CTX, *arrays, **params))


def _is_skipped(t: Tensor) -> bool:
    # PyTorch's legacy rule: 1-d empty tensors are ignored by cat whatever the other shapes
    return t._data.ndim == 1 and t._data.shape[0] == 0


@declare(out=True)
def cat(tensors, dim: int = 0) -> Tensor:
    """Concatenate tensors along an existing dim (1-d empty tensors are skipped, as in PyTorch)."""
    fast = _cat_fast(tensors, dim)
    if fast is not None:
        return fast
    dt = _common(tensors, "cat")
    ref = next((t for t in tensors if not _is_skipped(t)), tensors[0])
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    d = _wrap_dim(dim, ref._data.ndim)
    for i, t in enumerate(tensors):
        if _is_skipped(t):
            continue
        if t._data.ndim != ref._data.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref._data.ndim} and "
                               f"{t._data.ndim}")
        for k, (a, b) in enumerate(zip(ref._data.shape, t._data.shape)):
            if k != d and a != b:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size {a} but "
                                   f"got size {b} for tensor number {i} in the list.")
    arrays = [t._data if t._data.dtype == dt.np else t._data.astype(dt.np) for t in tensors]
    return _record_or_run(Cat, tensors, arrays, dim=d)


def _cat_fast(tensors, dim):
    """np.concatenate straight away in the common case (same dtype, no graph, nothing to skip); else None."""
    if tensors.__class__ not in (list, tuple) or not tensors or dim.__class__ is not int:
        return None
    arrays = []
    first = None
    for t in tensors:
        if t.__class__ is not Tensor or t._requires_grad:
            return None
        a = t._data
        if a.__class__ is not np.ndarray or not a.ndim or (a.ndim == 1 and not a.shape[0]):
            return None
        if first is None:
            first = a.dtype
        elif a.dtype is not first:
            return None
        arrays.append(a)
    try:
        return _wrap(np.concatenate(arrays, axis=dim))
    except (ValueError, np.exceptions.AxisError):
        return None  # the checked path below raises PyTorch's error


concat = declare("concat", out=True)(cat)
concatenate = declare("concatenate", out=True)(cat)


class Stack(Op):
    name = "StackBackward0"

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        return xp_of(arrays[0]).stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return g.unbind(ctx.dim)


@declare(out=True)
def stack(tensors, dim: int = 0) -> Tensor:
    """Join tensors of equal shape along a new dim."""
    dt = _common(tensors, "stack")
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                               f"{list(t._data.shape)} at entry {i}")
    d = _wrap_dim(dim, len(shape) + 1)
    arrays = [t._data if t._data.dtype == dt.np else t._data.astype(dt.np) for t in tensors]
    return _record_or_run(Stack, tensors, arrays, dim=d)


# -- at least n dims ---------------------------------------------------------------------------------------
def _varargs(tensors: tuple):
    """(list of tensors, whether to return a tuple): f(t) returns a tensor, f(a, b) and f([a, b]) a tuple."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return list(tensors[0]), True
    return list(tensors), len(tensors) != 1


def _atleast(tensors: tuple, fix):
    items, as_tuple = _varargs(tensors)
    out = tuple(fix(t) for t in items)
    return out if as_tuple else out[0]


def _at_least_1d(t: Tensor) -> Tensor:
    return t.reshape(1) if t._data.ndim == 0 else t


def _at_least_2d(t: Tensor) -> Tensor:
    n = t._data.ndim
    return t.reshape(1, 1) if n == 0 else t.unsqueeze(0) if n == 1 else t


def _at_least_3d(t: Tensor) -> Tensor:
    n = t._data.ndim
    if n == 0:
        return t.reshape(1, 1, 1)
    if n == 1:
        return t.unsqueeze(0).unsqueeze(-1)
    return t.unsqueeze(-1) if n == 2 else t


@declare(method=False)
def atleast_1d(*tensors):
    """Each input viewed with at least 1 dim (0-d becomes shape (1,))."""
    return _atleast(tensors, _at_least_1d)


@declare(method=False)
def atleast_2d(*tensors):
    """Each input viewed with at least 2 dims (a 1-d input becomes a row)."""
    return _atleast(tensors, _at_least_2d)


@declare(method=False)
def atleast_3d(*tensors):
    """Each input viewed with at least 3 dims ((n,) -> (1, n, 1), (m, n) -> (m, n, 1))."""
    return _atleast(tensors, _at_least_3d)


# -- stacking helpers -------------------------------------------------------------------------------------
@declare(method=False, out=True)
def hstack(tensors) -> Tensor:
    """Concatenate horizontally: along dim 0 for 1-d inputs, else dim 1."""
    _common(tensors, "hstack")
    parts = [_at_least_1d(t) for t in tensors]
    return cat(parts, 0 if parts[0]._data.ndim == 1 else 1)


@declare(method=False, out=True)
def vstack(tensors) -> Tensor:
    """Concatenate vertically (along dim 0) after making every input at least 2-d."""
    _common(tensors, "vstack")
    return cat([_at_least_2d(t) for t in tensors], 0)


row_stack = declare("row_stack", method=False, out=True)(vstack)


@declare(method=False, out=True)
def dstack(tensors) -> Tensor:
    """Concatenate depth-wise (along dim 2) after making every input at least 3-d."""
    _common(tensors, "dstack")
    return cat([_at_least_3d(t) for t in tensors], 2)


@declare(method=False, out=True)
def column_stack(tensors) -> Tensor:
    """Stack 0-d and 1-d inputs as columns (2-d inputs as they are) horizontally."""
    _common(tensors, "column_stack")
    return hstack([t.reshape(t._data.size, 1) if t._data.ndim <= 1 else t for t in tensors])


# -- broadcasting ---------------------------------------------------------------------------------------------
@declare(method=False)
def broadcast_shapes(*shapes) -> Size:
    """The shape that tensors of the given shapes broadcast to (ints count as 1-d shapes)."""
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    result = [1] * max((len(s) for s in shapes), default=0)
    for i, shape in enumerate(shapes):
        for k in range(-1, -len(shape) - 1, -1):
            size = shape[k]
            if not isinstance(size, int):
                raise TypeError(f"ember.Size() takes an iterable of 'int' (item 0 is '{type(size).__name__}')")
            if size < 0:
                raise ValueError("Attempting to broadcast a dimension with negative length!")
            if size == 1 or size == result[k]:
                continue
            if result[k] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {size} at {k}! Mismatching "
                                   f"argument at index {i} had {shape}; but expected shape should be broadcastable "
                                   f"to {result}")
            result[k] = size
    return Size(result)


def _broadcast_shape(tensors) -> tuple:
    """Broadcast shape of tensors, with the error binary ops raise."""
    shape = ()
    for t in tensors:
        other = t._data.shape
        n = max(len(shape), len(other))
        a, b = (1,) * (n - len(shape)) + shape, (1,) * (n - len(other)) + other
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y and x != 1 and y != 1:
                raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                                   f"non-singleton dimension {i}")
            out.append(y if x == 1 else x)
        shape = tuple(out)
    return shape


@declare(method=False)
def broadcast_tensors(*tensors) -> tuple:
    """Views of the inputs expanded to their common broadcast shape."""
    items, _ = _varargs(tensors)
    shape = _broadcast_shape(items)
    return tuple(t if t._data.shape == shape else t.expand(shape) for t in items)


# -- meshgrid -----------------------------------------------------------------------------------------------
@declare(method=False)
def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-d tensors: 'ij' (matrix) indexing, or 'xy' (Cartesian) swapping the first two dims."""
    items, _ = _varargs(tensors)
    if indexing is None:
        warnings.warn("ember.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'ember.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if not items:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in items:
        if t._data.ndim > 1:
            raise RuntimeError(f"ember.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
        if t.dtype != items[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
        if t.device != items[0].device:
            raise RuntimeError("meshgrid expects all tensors to have the same device")
    swap = indexing == "xy" and len(items) >= 2
    if swap:
        items[0], items[1] = items[1], items[0]
    shape = tuple(t._data.size for t in items)
    grids = []
    for i, t in enumerate(items):
        view_shape = [1] * len(items)
        view_shape[i] = -1
        grids.append(t.view(view_shape).expand(shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)
