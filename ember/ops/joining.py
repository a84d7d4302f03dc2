"""Joining and shaping: cat, stack (more joining ops live here too)."""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap, _wrap_dim
from ..autograd.grad_mode import STATE
from ..autograd.graph import NULL_CTX, Op
from ._declare import declare


class Cat(Op):
    name = "CatBackward0"

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.sizes = [a.shape[dim] if a.ndim else 0 for a in arrays]
        ctx.dim = dim
        return np.concatenate([a for a in arrays if not (a.ndim == 1 and a.shape[0] == 0)] or arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        out, start = [], 0
        for s in ctx.sizes:
            out.append(g.narrow(ctx.dim, start, s) if s else None)
            start += s
        return tuple(out)


def _common(tensors, name):
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' must be tuple of Tensors, not {type(tensors).__name__}")
    if len(tensors) == 0:
        raise RuntimeError(f"{name}(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = D.promote_types(dt, t.dtype)
    return dt


def _record_or_run(op, tensors, arrays, **params):
    if STATE.enabled and any(t._requires_grad for t in tensors):
        from .pointwise import _recorded

        return _recorded(op, tuple(tensors), tuple(arrays), params)
    return _wrap(op.forward(NULL_CTX, *arrays, **params))


@declare(out=True)
def cat(tensors, dim: int = 0) -> Tensor:
    """Concatenate tensors along an existing dim (1-d empty tensors are skipped, as in PyTorch)."""
    dt = _common(tensors, "cat")
    ref = next((t for t in tensors if not (t._data.ndim == 1 and t._data.shape[0] == 0)), tensors[0])
    if ref._data.ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = _wrap_dim(dim, ref._data.ndim)
    for i, t in enumerate(tensors):
        if t._data.ndim == 1 and t._data.shape[0] == 0:
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


concat = declare("concat", out=True)(cat)
concatenate = declare("concatenate", out=True)(cat)


class Stack(Op):
    name = "StackBackward0"

    @staticmethod
    def forward(ctx, *arrays, dim):
        ctx.dim = dim
        return np.stack(arrays, axis=dim)

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
