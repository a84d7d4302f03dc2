"""Indexing: `t[...]`, `t[...] = v` (autograd-aware), masked_fill, index_fill, index_add, nonzero.

Basic indices (ints, slices, None, ...) give views; advanced ones (int/bool tensors, lists) copy.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap, _wrap_dim
from ..autograd.grad_mode import STATE
from ..autograd.graph import NULL_CTX, Op
from ._declare import check_inplace_allowed, commit_inplace, declare
from .views import basic_index

_BASIC = (int, slice, type(None), type(Ellipsis))


def _convert(item):
    """One index component as NumPy understands it; Tensors become arrays."""
    if isinstance(item, Tensor):
        a = item._data
        if a.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if a.dtype == np.uint8:
            return a.astype(bool)
        return a
    if isinstance(item, bool) or isinstance(item, np.bool_):
        return bool(item)
    if isinstance(item, (int, np.integer)):
        return int(item)
    if isinstance(item, slice):
        return slice(*(None if v is None else int(v) for v in (item.start, item.stop, item.step)))
    if isinstance(item, (list, tuple)):
        arr = np.array([x.item() if isinstance(x, Tensor) else x for x in item])
        if arr.size == 0:
            return arr.astype(np.int64)
        if arr.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return arr
    if item is None or item is Ellipsis:
        return item
    if isinstance(item, np.ndarray):
        return item
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                     "indices (got " + type(item).__name__ + ")")


def normalize_index(index) -> tuple:
    """Index as a tuple of NumPy-ready components."""
    if not isinstance(index, tuple) or (isinstance(index, tuple) and _is_list_like_tuple(index)):
        index = (index,)
    return tuple(_convert(i) for i in index)


def _is_list_like_tuple(index) -> bool:
    return False


def _check_bounds(a: np.ndarray, index: tuple) -> None:
    dim = 0
    for i in index:
        if i is None:
            continue
        if i is Ellipsis:
            dim = a.ndim - sum(1 for j in index[index.index(Ellipsis) + 1:] if j is not None)
            continue
        if isinstance(i, int) and not isinstance(i, bool):
            if dim >= a.ndim:
                raise IndexError(f"too many indices for tensor of dimension {a.ndim}")
            n = a.shape[dim]
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {n}")
        dim += 1
    if dim > a.ndim:
        raise IndexError(f"too many indices for tensor of dimension {a.ndim}")


class Index(Op):
    name = "IndexBackward0"

    @staticmethod
    def forward(ctx, a, index):
        ctx.in_shape, ctx.index = a.shape, index
        try:
            return a[index]
        except IndexError as e:
            raise IndexError(str(e).replace("axis", "dimension")) from None

    @staticmethod
    def backward(ctx, g):
        return IndexPutAccumulate.apply(g, shape=ctx.in_shape, index=ctx.index)


class IndexPutAccumulate(Op):
    """zeros(shape) with g added at an advanced index (repeated indices accumulate)."""

    name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        out = np.zeros(shape, g.dtype)
        np.add.at(out, index, g)
        return out

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.index]


def getitem(self: Tensor, index) -> Tensor:
    """self[index] with PyTorch (NumPy-style) semantics."""
    index = normalize_index(index)
    if all(isinstance(i, _BASIC) and not isinstance(i, bool) for i in index):
        _check_bounds(self._data, index)
        return basic_index(self, index)
    if STATE.enabled and self._requires_grad:
        return Index.apply(self, index=index)
    return _wrap(Index.forward(NULL_CTX, self._data, index))


class IndexPut(Op):
    name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, a, v, index):
        ctx.index = index
        out = a.copy()
        out[index] = v
        return out

    @staticmethod
    def backward(ctx, g):
        index = ctx.index
        return IndexPut.apply(g, 0.0, index=index), g[tuple(_wrap(i) if isinstance(i, np.ndarray) else i
                                                               for i in index)]


def setitem(self: Tensor, index, value) -> None:
    """self[index] = value, broadcasting value; recorded by autograd when needed."""
    index = normalize_index(index)
    check_inplace_allowed(self)
    needs_graph = STATE.enabled and (self._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
    if isinstance(value, Tensor):
        if value._data.dtype != self._data.dtype:
            value = value.to(self.dtype)
        if value._data.__class__ is not self._data.__class__:
            value = value.to(self.device)
    basic = all(isinstance(i, _BASIC) and not isinstance(i, bool) for i in index)
    if basic:
        _check_bounds(self._data, index)
    if not needs_graph:
        v = value._data if isinstance(value, Tensor) else value
        try:
            self._data[index] = v
        except ValueError as e:
            raise RuntimeError(str(e)) from None
        self._bump_version()
        return
    if basic:
        basic_index(self, index).copy_(value)
        return
    if not isinstance(value, Tensor):
        from .._factories import tensor

        value = tensor(value, dtype=self.dtype)
    commit_inplace(self, IndexPut.apply(self, value, index=index))


Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem


class MaskedFill(Op):
    name = "MaskedFillBackward0"

    @staticmethod
    def forward(ctx, a, value, mask):
        ctx.mask = mask
        return np.where(mask, np.asarray(value, dtype=a.dtype), a)

    @staticmethod
    def backward(ctx, g):
        mask = _wrap(ctx.mask)
        gv = (g * mask).sum() if ctx.needs_input_grad[1] else None
        return g.masked_fill(mask, 0), gv


@declare(inplace=True)
def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    """input with `value` where mask is True (mask broadcasts)."""
    if not isinstance(mask, Tensor) or mask._data.dtype != np.bool_:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{getattr(mask, 'dtype', type(mask).__name__)}")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
    else:
        value = float(value) if input._data.dtype.kind == "f" else value
    m = np.broadcast_to(mask._data, np.broadcast_shapes(mask._data.shape, input._data.shape))
    if STATE.enabled and (input._requires_grad or (isinstance(value, Tensor) and value._requires_grad)):
        return MaskedFill.apply(input, value, mask=m)
    v = value._data if isinstance(value, Tensor) else value
    return _wrap(MaskedFill.forward(NULL_CTX, input._data, v, m))


class IndexFill(Op):
    name = "IndexFillBackward0"

    @staticmethod
    def forward(ctx, a, dim, index, value):
        ctx.dim, ctx.index = dim, index
        out = a.copy()
        out[(slice(None),) * dim + (index,)] = value
        return out

    @staticmethod
    def backward(ctx, g):
        return g.index_fill(ctx.dim, _wrap(ctx.index), 0)


@declare(inplace=True)
def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """input with `value` written at the given indices along dim."""
    d = _wrap_dim(dim, max(input._data.ndim, 1))
    idx = index._data.reshape(-1)
    if isinstance(value, Tensor):
        value = value.item()
    if STATE.enabled and input._requires_grad:
        return IndexFill.apply(input, dim=d, index=idx, value=value)
    return _wrap(IndexFill.forward(NULL_CTX, input._data, d, idx, value))


class IndexAdd(Op):
    name = "IndexAddBackward0"

    @staticmethod
    def forward(ctx, a, src, dim, index, alpha):
        ctx.dim, ctx.index, ctx.alpha = dim, index, alpha
        out = a.copy()
        np.add.at(out, (slice(None),) * dim + (index,), src * alpha if alpha != 1 else src)
        return out

    @staticmethod
    def backward(ctx, g):
        idx = _wrap(ctx.index)
        gs = g.index_select(ctx.dim, idx)
        return g, (gs * ctx.alpha if ctx.alpha != 1 else gs)


@declare(inplace=True)
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """input with source added at the given indices along dim (repeats accumulate)."""
    d = _wrap_dim(dim, max(input._data.ndim, 1))
    idx = index._data.reshape(-1)
    if idx.size and (idx.max() >= input._data.shape[d] or idx.min() < -input._data.shape[d]):
        raise IndexError(f"index out of range in self (index {int(idx.max())} for dimension {d} of size "
                         f"{input._data.shape[d]})")
    src = source
    if src._data.dtype != input._data.dtype:
        src = src.to(input.dtype)
    if STATE.enabled and (input._requires_grad or src._requires_grad):
        return IndexAdd.apply(input, src, dim=d, index=idx, alpha=alpha)
    return _wrap(IndexAdd.forward(NULL_CTX, input._data, src._data, d, idx, alpha))


@declare(out=True)
def nonzero(input: Tensor, *, as_tuple: bool = False):
    """Indices of non-zero elements: an (n, ndim) int64 tensor, or a tuple of 1-d tensors."""
    a = input._data
    if as_tuple:
        if a.ndim == 0:
            return (_wrap(np.nonzero(a.reshape(1))[0].astype(np.int64)),)
        return tuple(_wrap(i.astype(np.int64)) for i in np.nonzero(a))
    return _wrap(np.argwhere(a).astype(np.int64))


@declare()
def argwhere(input: Tensor) -> Tensor:
    """nonzero(input) as an (n, ndim) tensor."""
    return nonzero(input)


class IndexSelect(Op):
    name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, a, dim, index):
        ctx.dim, ctx.index, ctx.in_shape = dim, index, a.shape
        return np.take(a, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        from .._factories import zeros

        z = zeros(ctx.in_shape, dtype=g.dtype)
        return z.index_add(ctx.dim, _wrap(ctx.index), g)


@declare(out=True)
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """Entries of input at `index` (1-d int tensor) along dim."""
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index._data.dtype.kind not in "iu":
        raise IndexError(f"index_select(): Expected dtype int32/int64 for index but got: {index.dtype}")
    d = _wrap_dim(dim, max(input._data.ndim, 1))
    idx = index._data.reshape(-1)
    if input._data.ndim == 0:
        return input.reshape(1).index_select(0, index).reshape(())
    n = input._data.shape[d]
    if idx.size and (idx.max() >= n or idx.min() < -n):
        raise IndexError("index out of range in self")
    if STATE.enabled and input._requires_grad:
        return IndexSelect.apply(input, dim=d, index=idx)
    return _wrap(np.take(input._data, idx, axis=d))
