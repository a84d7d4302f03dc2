"""Ops that move or copy elements around: flip, roll, rot90, repeat, tile, repeat_interleave,
and the triangle/diagonal family tril, triu, diag, diag_embed, trace.

Every result is a new tensor (none of these is a view); backward formulas are ember ops.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap, _wrap_dim
from ..autograd.grad_mode import STATE
from ..autograd.graph import NULL_CTX, Op
from ..backend import xp_of
from ._declare import declare
from .strided import DiagonalGrad, diagonal_dims, diagonal_view
from .views import shape_arg


def _run(op, input: Tensor, **params) -> Tensor:
    """Apply a one-input Op, recording the graph only when needed."""
    if STATE.enabled and input._requires_grad:
        return op.apply(input, **params)
    return _wrap(op.forward(NULL_CTX, input._data, **params))


def _dims_tuple(dims) -> tuple:
    return tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)


# -- flip, roll, rot90 ------------------------------------------------------------------------------------
class Flip(Op):
    name = "FlipBackward0"

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return xp_of(a).flip(a, dims).copy() if dims else a.copy()

    @staticmethod
    def backward(ctx, g):
        return g.flip(ctx.dims)


@declare()
def flip(input: Tensor, dims) -> Tensor:
    """A copy with the order of elements reversed along the given dims."""
    from .reduction import dims_arg

    n = input._data.ndim
    axes = dims_arg(_dims_tuple(dims), n) or ()
    return _run(Flip, input, dims=axes if n else ())


@declare()
def fliplr(input: Tensor) -> Tensor:
    """flip(input, 1): reverse the columns."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


@declare()
def flipud(input: Tensor) -> Tensor:
    """flip(input, 0): reverse the rows."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


class Roll(Op):
    name = "RollBackward0"

    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        # without dims NumPy (like PyTorch) rolls the flattened tensor and restores the shape
        return xp_of(a).roll(a, shifts[0] if dims is None else shifts, axis=dims)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts)
        return g.roll(back, ctx.dims if ctx.dims is not None else ())


@declare()
def roll(input: Tensor, shifts, dims=()) -> Tensor:
    """Shift elements cyclically along dims (of the flattened tensor when no dims are given)."""
    shifts = tuple(int(s) for s in _dims_tuple(shifts))
    dims = () if dims is None else _dims_tuple(dims)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if not dims and len(shifts) == 1:
        return _run(Roll, input, shifts=shifts, dims=None)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    n = input._data.ndim
    return _run(Roll, input, shifts=shifts, dims=tuple(_wrap_dim(d, n) for d in dims))


class Rot90(Op):
    name = "Rot90Backward0"

    @staticmethod
    def forward(ctx, a, k, d0, d1):
        ctx.args = (k, d0, d1)
        xp = xp_of(a)
        # PyTorch's layout: flip one dim into a fresh copy, then transpose (a non-contiguous result)
        if k == 1:
            return xp.flip(a, d1).copy().swapaxes(d0, d1)
        if k == 2:
            return xp.flip(a, (d0, d1)).copy()
        if k == 3:
            return xp.flip(a, d0).copy().swapaxes(d0, d1)
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        k, d0, d1 = ctx.args
        return g.rot90(-k, (d0, d1))


@declare()
def rot90(input: Tensor, k: int = 1, dims=(0, 1)) -> Tensor:
    """Rotate by 90 degrees k times in the plane of dims, from the first dim towards the second."""
    dims = tuple(dims)
    n = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if n < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {n}")
    d0, d1 = _wrap_dim(dims[0], n), _wrap_dim(dims[1], n)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    return _run(Rot90, input, k=int(k) % 4, d0=d0, d1=d1)


# -- repeat, tile, repeat_interleave ---------------------------------------------------------------------
class Repeat(Op):
    name = "RepeatBackward0"

    @staticmethod
    def forward(ctx, a, repeats):
        ctx.in_shape, ctx.repeats = a.shape, repeats
        return xp_of(a).tile(a, repeats)

    @staticmethod
    def backward(ctx, g):
        # view the result as (r0, s0, r1, s1, ...) and sum out every r
        sizes = (1,) * (len(ctx.repeats) - len(ctx.in_shape)) + ctx.in_shape
        split = []
        for r, s in zip(ctx.repeats, sizes):
            split += [r, s]
        summed = g.reshape(split).sum(tuple(range(0, len(split), 2))) if split else g
        return summed.reshape(ctx.in_shape)


@declare(function=False)
def repeat(input: Tensor, *sizes, repeats=None) -> Tensor:
    """Tile input `repeats[i]` times along each dim (extra leading repeats add dims)."""
    repeats = shape_arg((repeats,) if repeats is not None else sizes)
    shape = input._data.shape
    if len(repeats) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    sizes = (1,) * (len(repeats) - len(shape)) + shape
    target = [s * r for s, r in zip(sizes, repeats)]
    negative = [t for t in target if t < 0]
    if negative:
        raise RuntimeError(f"Trying to create tensor with negative dimension {negative[0]}: {target}")
    return _run(Repeat, input, repeats=repeats)


@declare()
def tile(input: Tensor, dims) -> Tensor:
    """repeat, with dims padded by leading 1s when shorter than input's."""
    dims = shape_arg((dims,)) if isinstance(dims, (tuple, list)) else (int(dims),)
    return repeat(input, (1,) * (input._data.ndim - len(dims)) + dims)


@declare()
def repeat_interleave(input: Tensor, repeats=None, dim: int | None = None, *, output_size: int | None = None):
    """Repeat each element (or slice along dim) repeats times; repeats is an int or one count per element."""
    if repeats is None:  # repeat_interleave(counts): index i repeated counts[i] times
        counts = _repeat_counts(input, input._data.size, output_size)
        return _wrap(np.repeat(np.arange(counts.size, dtype=input._data.dtype), counts))
    if dim is None:
        input, d = input.reshape(-1), 0
    else:
        d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d] if input._data.ndim else 1
    if isinstance(repeats, Tensor):
        counts = _repeat_counts(repeats, size, output_size)
        return input.index_select(d, _wrap(np.repeat(np.arange(size, dtype=np.int64), counts)))
    r = int(repeats)
    if r < 0:
        raise RuntimeError("Repeats must be non-negative")
    if output_size is not None and output_size != size * r:
        raise RuntimeError(f"repeat_interleave: Invalid output_size, expected {size * r} but got {output_size}")
    shape = input._data.shape
    spread = input.unsqueeze(d + 1).expand(shape[:d + 1] + (r,) + shape[d + 1:])
    return spread.clone().flatten(d, d + 1)


def _repeat_counts(repeats: Tensor, size: int, output_size) -> np.ndarray:
    """The per-element repeat counts as an int array of length size, with PyTorch's checks."""
    a = repeats._data
    if a.dtype.kind not in "iu":
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{repeats.dtype._legacy[:-6]}'")
    if a.ndim > 1:
        raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
    if a.size == 1:
        a = np.broadcast_to(a.reshape(1), (size,))
    elif a.shape[0] != size:
        raise RuntimeError(f"repeats must have the same size as input along dim, but got repeats.size(0) = "
                           f"{a.shape[0]} and input.size(0) = {size}")
    if a.size and a.min() < 0:
        raise RuntimeError("repeats can not be negative")
    if output_size is not None and output_size != int(a.sum()):
        raise RuntimeError("allocated size does not match required size")
    return np.asarray(a)


# -- triangles and diagonals ---------------------------------------------------------------------------------
class Tril(Op):
    name = "TrilBackward0"

    @staticmethod
    def forward(ctx, a, diagonal):
        ctx.diagonal = diagonal
        return xp_of(a).tril(a, diagonal)

    @staticmethod
    def backward(ctx, g):
        return g.tril(ctx.diagonal)


class Triu(Op):
    name = "TriuBackward0"

    @staticmethod
    def forward(ctx, a, diagonal):
        ctx.diagonal = diagonal
        return xp_of(a).triu(a, diagonal)

    @staticmethod
    def backward(ctx, g):
        return g.triu(ctx.diagonal)


def _triangle(op, input: Tensor, diagonal: int, name: str) -> Tensor:
    if input._data.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    return _run(op, input, diagonal=int(diagonal))


@declare(inplace=True, out=True)
def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (elements with col - row <= diagonal), zeros elsewhere."""
    return _triangle(Tril, input, diagonal, "tril")


@declare(inplace=True, out=True)
def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (elements with col - row >= diagonal), zeros elsewhere."""
    return _triangle(Triu, input, diagonal, "triu")


class DiagEmbed(Op):
    name = "DiagEmbedBackward0"

    @staticmethod
    def forward(ctx, a, offset, dim1, dim2):
        ctx.args = (offset, dim1, dim2)
        n = a.shape[-1] + abs(offset)
        rest = iter(a.shape[:-1])
        shape = tuple(n if i in (dim1, dim2) else next(rest) for i in range(a.ndim + 1))
        out = xp_of(a).zeros(shape, a.dtype)
        diagonal_view(out, offset, dim1, dim2)[...] = a
        return out

    @staticmethod
    def backward(ctx, g):
        return g.diagonal(*ctx.args)


@declare()
def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Place the last dim of input on a diagonal of two new dims (dim1, dim2) of an otherwise zero tensor."""
    d1, d2 = diagonal_dims(input._data.ndim + 1, dim1, dim2)
    return _run(DiagEmbed, input, offset=int(offset), dim1=d1, dim2=d2)


class DiagonalCopy(Op):
    """diag of a matrix: a copy of its diagonal (PyTorch names the node after diagonal_copy)."""

    name = "DiagonalBackward0_copy"

    @staticmethod
    def forward(ctx, a, offset):
        ctx.args = (a.shape, offset)
        return diagonal_view(a, offset, 0, 1).copy()

    @staticmethod
    def backward(ctx, g):
        shape, offset = ctx.args
        return DiagonalGrad.apply(g, shape=shape, offset=offset, dim1=0, dim2=1)


@declare(out=True)
def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-d input: a square matrix with input on a diagonal. 2-d input: a copy of a diagonal."""
    n = input._data.ndim
    if n == 1:
        return diag_embed(input, diagonal)
    if n == 2:
        return _run(DiagonalCopy, input, offset=int(diagonal))
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {n}D")


class Trace(Op):
    name = "TraceBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.in_shape = a.shape
        dtype = np.int64 if a.dtype.kind in "iu" else a.dtype
        return xp_of(a).asarray(a.trace(dtype=dtype))

    @staticmethod
    def backward(ctx, g):
        shape = ctx.in_shape
        # d trace / dA = identity (rectangular): g on the main diagonal
        return DiagonalGrad.apply(g.expand(min(shape)), shape=shape, offset=0, dim1=0, dim2=1)


@declare()
def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a matrix (integer inputs give int64)."""
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    if input._data.dtype == np.bool_:
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    return _run(Trace, input)
