"""Reductions: sum, mean, sum_to_size, ... (keepdim everywhere, dim as int or tuple)."""

from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap, _wrap_dim
from ..autograd.grad_mode import STATE
from ..autograd.graph import NULL_CTX, Op
from ._declare import declare


def dims_arg(dim, ndim: int):
    """Normalise dim (None, int, tuple or list) to a sorted tuple of non-negative axes, or None for all."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        axes = tuple(sorted(_wrap_dim(d, ndim) for d in dim))
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"dim {axes[0]} appears multiple times in the list of dims")
        return axes
    return (_wrap_dim(dim, ndim),)


def expand_reduced(g: Tensor, in_shape: tuple, axes, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back to in_shape (re-inserting the reduced dims when needed)."""
    if axes is not None and not keepdim and len(in_shape):
        shape = list(g._data.shape)
        for a in axes:
            shape.insert(a, 1)
        g = g.reshape(tuple(shape))
    return g.expand(in_shape)


class Sum(Op):
    name = "SumBackward1"

    @staticmethod
    def forward(ctx, a, axes, keepdim, np_dtype):
        ctx.in_shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        return np.sum(a, axis=axes, keepdims=keepdim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, g):
        return expand_reduced(g, ctx.in_shape, ctx.axes, ctx.keepdim)


class SumAll(Sum):
    name = "SumBackward0"


def _sum_dtype(input: Tensor, dtype):
    if dtype is not None:
        return D.to_dtype(dtype).np
    k = input._data.dtype.kind
    return np.dtype(np.int64) if k in "iub" else input._data.dtype


@declare(out=True)
def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum of elements, over all dims or the given ones (integers accumulate in int64)."""
    axes = dims_arg(dim, input._data.ndim)
    np_dtype = _sum_dtype(input, dtype)
    op = SumAll if axes is None else Sum
    if STATE.enabled and input._requires_grad:
        return op.apply(input, axes=axes, keepdim=keepdim, np_dtype=np_dtype)
    return _wrap(np.sum(input._data, axis=axes, keepdims=keepdim, dtype=np_dtype))


@declare(out=True)
def nansum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum treating NaN as zero."""
    mask = input != input
    return sum(input.masked_fill(mask, 0), dim, keepdim, dtype=dtype)


class Mean(Op):
    name = "MeanBackward1"

    @staticmethod
    def forward(ctx, a, axes, keepdim, np_dtype):
        ctx.in_shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        n = a.size if axes is None else int(np.prod([a.shape[i] for i in axes]))
        ctx.n = n
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.mean(a, axis=axes, keepdims=keepdim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, g):
        return expand_reduced(g / ctx.n if ctx.n else g * float("nan"), ctx.in_shape, ctx.axes, ctx.keepdim)


class MeanAll(Mean):
    name = "MeanBackward0"


@declare(out=True)
def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Arithmetic mean over all dims or the given ones (floating dtypes only)."""
    np_dtype = D.to_dtype(dtype).np if dtype is not None else input._data.dtype
    if np.dtype(np_dtype).kind != "f":
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a floating point or "
                           f"complex dtype. Got: {_legacy(input.dtype)}")
    axes = dims_arg(dim, input._data.ndim)
    op = MeanAll if axes is None else Mean
    if STATE.enabled and input._requires_grad:
        return op.apply(input, axes=axes, keepdim=keepdim, np_dtype=np_dtype)
    return _wrap(Mean.forward(NULL_CTX, input._data, axes, keepdim, np_dtype).astype(np_dtype, copy=False))


def _legacy(dt: D.dtype) -> str:
    return dt._legacy.replace("Tensor", "")


def sum_to_size(input: Tensor, *size) -> Tensor:
    """Sum broadcast dims away so the result has the given (broadcast-compatible) size."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = input._data.shape
    if tuple(size) == shape:
        return input
    lead = len(shape) - len(size)
    if lead < 0:
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    axes = list(range(lead))
    for i, s in enumerate(size):
        if s == 1 and shape[lead + i] != 1:
            axes.append(lead + i)
        elif s != shape[lead + i]:
            raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    out = sum(input, tuple(axes), keepdim=True) if axes else input
    if lead:
        out = out.reshape(tuple(size))
    return out


Tensor.sum_to_size = sum_to_size
