"""Gathering and scattering along a dim or over the flattened tensor.

gather, scatter, scatter_add, scatter_reduce, index_copy, take, take_along_dim, put, masked_select,
masked_scatter (with their in-place `_` forms where PyTorch has them).

For the dim-wise ops `index` has as many dims as `input`; for dim 1 of a 2-d tensor
    gather:  out[i][j] = input[i][index[i][j]]
    scatter: out[i][index[i][j]] = src[i][j]
and only the leading `index.shape` block of `src` is used. 0-d and 1-d tensors are interchangeable.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._tensor import Tensor, _wrap, _wrap_dim
from ..autograd.grad_mode import STATE
from ..autograd.graph import Op
from ._declare import check_inplace_allowed, commit_inplace, declare
from .indexing import IndexFill, _check_in_range, _scalar_name, _without
from .pointwise import where
from .views import IndexScatter

_INDEX_DTYPES = (np.int64, np.int32)
_REDUCTIONS = {"sum": "sum", "prod": "prod", "mean": "mean", "amax": "amax", "amin": "amin", "max": "amax",
               "min": "amin"}
_UFUNC = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


# -- helpers ------------------------------------------------------------------------------------
def _coords(index: np.ndarray, dim: int) -> tuple:
    """Coordinates an index addresses: index along dim, each element's own position along the other dims."""
    out = []
    for d, size in enumerate(index.shape):
        if d == dim:
            out.append(index)
        else:
            shape = [1] * index.ndim
            shape[d] = size
            out.append(np.arange(size).reshape(shape))
    return tuple(out)


def _leading(shape: tuple) -> tuple:
    """Basic index of the leading block of a given shape."""
    return tuple(slice(0, n) for n in shape)


def _pad_to(g: Tensor, shape: tuple) -> Tensor:
    """g placed in the leading block of zeros(shape) (the gradient of src[_leading(g.shape)])."""
    if g._data.shape == shape:
        return g
    return IndexScatter.apply(g, shape=shape, index=_leading(g._data.shape))


def _size(t: Tensor, d: int) -> int:
    """t.size(d), treating a 0-d tensor as 1-d; raises PyTorch's IndexError past the last dim."""
    if t._data.ndim == 0:
        _wrap_dim(d, 0)
        return 1
    return t._data.shape[_wrap_dim(d, t._data.ndim)]


def _check_index(name: str, index) -> None:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._data.dtype not in _INDEX_DTYPES:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


def _check_scatter_shapes(input: Tensor, dim: int, index: Tensor, src: Tensor | None) -> None:
    """PyTorch's scatter shape rules: index no larger than input (apart from dim) nor than src."""
    if index._data.size == 0:
        return
    ndim = max(input._data.ndim, 1)
    if ndim != max(index._data.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    wrong = any(_size(index, d) > _size(input, d) for d in range(ndim) if d != dim)
    if src is not None:
        wrong = wrong or any(_size(index, d) > _size(src, d) for d in range(ndim))
        if wrong:
            raise RuntimeError(f"Expected index {list(index._data.shape)} to be no larger than self "
                               f"{list(input._data.shape)} apart from dimension {dim} and to be no larger size than "
                               f"src {list(src._data.shape)}")
    elif wrong:
        raise RuntimeError(f"Expected index {list(index._data.shape)} to be no larger than self "
                           f"{list(input._data.shape)} apart from dimension {dim}")


def _as_1d(t: Tensor) -> Tensor:
    return t.reshape(1) if t._data.ndim == 0 else t


def _broadcast_shape(a: tuple, b: tuple) -> tuple:
    """np.broadcast_shapes with PyTorch's error message."""
    n = max(len(a), len(b))
    a1, b1 = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for d, (x, y) in enumerate(zip(a1, b1)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                               f"dimension {d}")
    return tuple(max(x, y) if min(x, y) else 0 for x, y in zip(a1, b1))


# -- gather -------------------------------------------------------------------------------------
class Gather(Op):
    name = "GatherBackward0"

    @staticmethod
    def forward(ctx, a, dim, index):
        ctx.dim, ctx.index, ctx.in_shape = dim, index, a.shape
        return a[_coords(index, dim)]

    @staticmethod
    def backward(ctx, g):
        from .._factories import zeros

        # d gather = scatter_add of g into zeros (repeated indices accumulate)
        return zeros(ctx.in_shape, dtype=g.dtype).scatter_add(ctx.dim, _wrap(ctx.index), g)


@declare(out=True)
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:
    """Values of input along dim at index: out[i][j] = input[i][index[i][j]] for dim=1."""
    if sparse_grad:
        raise NotImplementedError("gather(sparse_grad=True) is not supported: ember has no sparse tensors")
    d = _wrap_dim(dim, input._data.ndim)
    _check_index("gather", index)
    if index._data.size:
        ndim = max(input._data.ndim, 1)
        if ndim != max(index._data.ndim, 1):
            raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
        for k in range(ndim):
            if k != d and _size(index, k) > _size(input, k):
                raise RuntimeError(f"Size does not match at dimension {k} expected index {list(index._data.shape)} "
                                   f"to be no larger than self {list(input._data.shape)} apart from dimension {d}")
        _check_in_range(index._data, _size(input, d), d, negative_ok=False, error=RuntimeError)
    if input._data.ndim == 0 or index._data.ndim == 0:
        return gather(_as_1d(input), d, _as_1d(index)).reshape(index._data.shape)
    return Gather.apply(input, dim=d, index=index._data)


@declare(out=True)
def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """Values of input at indices along dim, broadcasting the other dims (over the flattened input if dim is None)."""
    if not isinstance(indices, Tensor) or indices._data.dtype != np.int64:
        got = _scalar_name(indices) if isinstance(indices, Tensor) else type(indices).__name__
        raise RuntimeError(f"ember.take_along_dim(): dtype of indices should be Long but got {got}")
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    if input._data.ndim != indices._data.ndim:
        raise RuntimeError(f"ember.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {input._data.ndim} dimensions for input, and {indices._data.ndim} dimensions "
                           "for indices")
    d = _wrap_dim(dim, input._data.ndim)
    if input._data.ndim == 0:
        return gather(input, d, indices)
    wanted = list(input._data.shape)
    wanted[d] = indices._data.shape[d]
    shape = _broadcast_shape(tuple(wanted), indices._data.shape)
    in_shape = list(shape)
    in_shape[d] = input._data.shape[d]
    return gather(input.expand(tuple(in_shape)), d, indices.expand(shape))


# -- scatter ------------------------------------------------------------------------------------
class Scatter(Op):
    name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, a, src, dim, index):
        ctx.dim, ctx.index = dim, index
        ctx.src_shape = src.shape if isinstance(src, np.ndarray) else None
        out = a.copy()
        out[_coords(index, dim)] = src[_leading(index.shape)] if isinstance(src, np.ndarray) else src
        return out

    @staticmethod
    def backward(ctx, g):
        idx = _wrap(ctx.index)
        # written places take their gradient from src, the rest from input
        gs = _pad_to(g.gather(ctx.dim, idx), ctx.src_shape) if ctx.needs_input_grad[1] else None
        return g.scatter(ctx.dim, idx, 0), gs


class ScatterValue(Scatter):
    name = "ScatterBackward1"


class ScatterLegacyReduce(Op):
    """scatter(..., reduce='add'|'multiply'): PyTorch has no derivative for it."""

    name = "NotImplemented"

    @staticmethod
    def forward(ctx, a, src, dim, index, reduce):
        out = a.copy()
        s = src[_leading(index.shape)] if isinstance(src, np.ndarray) else np.asarray(src).astype(a.dtype)
        (np.add if reduce == "add" else np.multiply).at(out, _coords(index, dim), s)
        return out

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::scatter is not implemented")


@declare(inplace=True, out=True)
def scatter(input: Tensor, dim: int, index: Tensor, src=None, value=None, *, reduce: str | None = None) -> Tensor:
    """input with src (a tensor) or value (a number) written at index along dim; reduce='add'|'multiply' combines."""
    if src is not None and not isinstance(src, Tensor):
        src, value = None, src
    if src is None and value is None:
        raise TypeError("scatter() missing required argument: 'src' or 'value'")
    d = _wrap_dim(dim, input._data.ndim)
    _check_index("scatter", index)
    if src is not None and src._data.dtype != input._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    _check_scatter_shapes(input, d, index, src)
    if index._data.size:
        _check_in_range(index._data, _size(input, d), d, negative_ok=False, error=RuntimeError)
    if input._data.ndim == 0 or index._data.ndim == 0:
        one = scatter(_as_1d(input), d, _as_1d(index), src if src is None else _as_1d(src), value, reduce=reduce)
        return one.reshape(input._data.shape)
    if isinstance(value, Tensor):
        value = value.item()
    if reduce is not None:
        if src is not None:
            warnings.warn("The reduce argument of ember.scatter with Tensor src is deprecated and will be removed in a "
                          "future release. Use ember.scatter_reduce instead for more reduction options.",
                          UserWarning, stacklevel=2)
        return ScatterLegacyReduce.apply(input, src if src is not None else value, dim=d, index=index._data,
                                         reduce=reduce)
    if src is None:
        return ScatterValue.apply(input, value, dim=d, index=index._data)
    return Scatter.apply(input, src, dim=d, index=index._data)


class ScatterAdd(Op):
    name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, a, src, dim, index):
        ctx.dim, ctx.index, ctx.src_shape = dim, index, src.shape
        out = a.copy()
        np.add.at(out, _coords(index, dim), src[_leading(index.shape)])
        return out

    @staticmethod
    def backward(ctx, g):
        gs = _pad_to(g.gather(ctx.dim, _wrap(ctx.index)), ctx.src_shape) if ctx.needs_input_grad[1] else None
        return g, gs


def _scatter_prelude(input: Tensor, dim: int, index: Tensor, src: Tensor) -> int:
    """Checks shared by scatter_add and scatter_reduce; returns the wrapped dim."""
    d = _wrap_dim(dim, input._data.ndim)
    _check_index("scatter", index)
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter(): argument 'src' must be Tensor, not {type(src).__name__}")
    if src._data.dtype != input._data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    _check_scatter_shapes(input, d, index, src)
    if index._data.size:
        _check_in_range(index._data, _size(input, d), d, negative_ok=False, error=RuntimeError)
    return d


@declare(inplace=True, out=True)
def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """input with src added at index along dim (repeated indices accumulate)."""
    d = _scatter_prelude(input, dim, index, src)
    if input._data.ndim == 0 or index._data.ndim == 0:
        return scatter_add(_as_1d(input), d, _as_1d(index), _as_1d(src)).reshape(input._data.shape)
    return ScatterAdd.apply(input, src, dim=d, index=index._data)


def _identity(reduce: str, dtype: np.dtype):
    """The value a reduction starts from when include_self=False."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    info = np.finfo(dtype) if dtype.kind == "f" else np.iinfo(dtype) if dtype.kind in "iu" else None
    if info is None:
        return reduce == "amin"  # bool: max starts from False, min from True
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    return info.min if reduce == "amax" else info.max


class ScatterReduce(Op):
    name = "ScatterReduceBackward0"
    save = (0, 1)
    save_output = True

    @staticmethod
    def forward(ctx, a, src, dim, index, reduce, include_self):
        coords = _coords(index, dim)
        hits = np.zeros(a.shape, np.int64)
        np.add.at(hits, coords, 1)
        ctx.dim, ctx.index, ctx.reduce, ctx.include_self, ctx.hits = dim, index, reduce, include_self, hits
        out = a.copy()
        if not include_self:
            out[coords] = _identity(reduce, a.dtype)
        _UFUNC[reduce].at(out, coords, src[_leading(index.shape)])
        if reduce == "mean":
            count = np.maximum(hits + (1 if include_self else 0), 1).astype(a.dtype)
            out = out / count if a.dtype.kind == "f" else out // count
        return out

    @staticmethod
    def backward(ctx, g):
        a, src, result = ctx.saved_tensors
        dim, idx, reduce, hit = ctx.dim, _wrap(ctx.index), ctx.reduce, _wrap(ctx.hits > 0)
        src = src[_leading(ctx.index.shape)]
        drop_self = None if ctx.include_self else hit  # places where input's own value was not used
        if reduce == "sum":
            ga, gs = g, g.gather(dim, idx)
        elif reduce == "mean":
            count = _wrap(ctx.hits + (1 if ctx.include_self else 0)).clamp(min=1).to(g.dtype)
            ga, gs = g / count, (g / count).gather(dim, idx)
        elif reduce == "prod":
            ga, gs = _prod_grads(g, a, src, dim, idx, ctx.include_self, hit)
        else:
            ga, gs = _extreme_grads(g, a, src, result, dim, idx)
        if drop_self is not None:
            ga = ga.masked_fill(drop_self, 0)
        return ga, (_pad_to(gs, ctx.saved_tensors[1]._data.shape) if ctx.needs_input_grad[1] else None)


def _extreme_grads(g, a, src, result, dim, idx):
    """amax/amin: the gradient is shared evenly among all elements equal to the result.

    As in PyTorch, input's own ties count in the share even when include_self=False drops its gradient.
    """
    from .._factories import zeros

    self_is = a.eq(result)
    src_is = src.eq(result.gather(dim, idx))
    ties = self_is.to(g.dtype) + zeros(a.shape, dtype=g.dtype).scatter_add(dim, idx, src_is.to(g.dtype))
    share = g / ties.clamp(min=1)
    return share.masked_fill(self_is.logical_not(), 0), share.gather(dim, idx).masked_fill(src_is.logical_not(), 0)


def _prod_grads(g, a, src, dim, idx, include_self, hit):
    """prod: each element's gradient is g times the product of the other elements, zeros handled exactly."""
    from .._factories import zeros

    a_zero, src_zero = a.eq(0), src.eq(0)
    a_counts = a_zero if include_self else a_zero.logical_and(hit.logical_not())
    zeros_at = a_counts.to(g.dtype) + zeros(a.shape, dtype=g.dtype).scatter_add(dim, idx, src_zero.to(g.dtype))
    safe_a, safe_src = a.masked_fill(a_zero, 1), src.masked_fill(src_zero, 1)
    nonzero_prod = safe_a.scatter_reduce(dim, idx, safe_src, "prod", include_self=include_self)

    def others(x_safe, x_zero, prod, n_zeros):
        # product of the other elements: prod/x without zeros, prod if x is the only zero, else 0
        if_nonzero = (prod / x_safe).masked_fill(n_zeros.ne(0), 0)
        if_zero = prod.masked_fill(n_zeros.ne(1), 0)
        return where(x_zero, if_zero, if_nonzero)

    ga = g * others(safe_a, a_zero, nonzero_prod, zeros_at)
    gs = g.gather(dim, idx) * others(safe_src, src_zero, nonzero_prod.gather(dim, idx), zeros_at.gather(dim, idx))
    return ga, gs


@declare(out=True)
def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                   include_self: bool = True) -> Tensor:
    """input with src reduced into it at index along dim ('sum', 'prod', 'mean', 'amax', 'amin')."""
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    d = _scatter_prelude(input, dim, index, src)
    if input._data.ndim == 0 or index._data.ndim == 0:
        one = scatter_reduce(_as_1d(input), d, _as_1d(index), _as_1d(src), reduce, include_self=include_self)
        return one.reshape(input._data.shape)
    return ScatterReduce.apply(input, src, dim=d, index=index._data, reduce=_REDUCTIONS[reduce],
                               include_self=include_self)


def scatter_reduce_(self: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                    include_self: bool = True) -> Tensor:
    """In-place scatter_reduce; autograd keeps a copy of self's old values, which the gradient needs."""
    check_inplace_allowed(self)
    old = self.clone() if STATE.enabled and (self._requires_grad or src._requires_grad) else self
    return commit_inplace(self, scatter_reduce(old, dim, index, src, reduce, include_self=include_self))


Tensor.scatter_reduce_ = scatter_reduce_


# -- index_copy ---------------------------------------------------------------------------------
class IndexCopy(IndexFill):
    """Writes src along dim at the given indices: IndexFill's forward with a tensor value."""

    name = "IndexCopyBackward0"

    @staticmethod
    def backward(ctx, g):
        idx = _wrap(ctx.index)
        gs = g.index_select(ctx.dim, idx) if ctx.needs_input_grad[1] else None
        return g.index_fill(ctx.dim, idx, 0), gs


@declare(inplace=True, out=True)
def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """input with the slices of source copied to the positions index along dim."""
    d = _wrap_dim(dim, input._data.ndim)
    if index._data.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {index._data.ndim})")
    n = index._data.size
    sdim, ndim = source._data.ndim, input._data.ndim
    if sdim == 0 and n != 1:
        raise IndexError(f"index_copy_(): When source is scalar, index should have one element (got {n})")
    if sdim != ndim and sdim and ndim:
        raise IndexError(f"index_copy_(): When source and destination are not scalars, their dimensionality must "
                         f"match. Source dimensionality ({sdim}), destination dimensionality ({ndim})")
    if index._data.dtype != np.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {_scalar_name(index)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                           f"{_scalar_name(input)} and (source) {_scalar_name(source)}")
    dst_slice = _without(input._data.shape, d) if ndim else ()
    src_slice = _without(source._data.shape, d) if sdim else ()
    if dst_slice != src_slice:
        raise RuntimeError("index_copy_(): Source/destination tensor must have same slice shapes. Destination slice "
                           f"shape: {' '.join(map(str, dst_slice))} at dimension {d} and source slice shape: "
                           f"{' '.join(map(str, src_slice))} at dimension 0.")
    if sdim and n != source._data.shape[d]:
        raise IndexError(f"index_copy_(): Number of indices ({n}) should be equal to source.size(dim) "
                         f"({source._data.shape[d]})")
    idx = index._data.reshape(-1)
    bad = (idx < 0) | (idx >= _size(input, d))
    if bad.any():
        raise IndexError(f"index_copy_(): index {int(idx[bad][0])} is out of bounds for dimension {d} with size "
                         f"{_size(input, d)}")
    if ndim == 0 or sdim == 0:
        return index_copy(_as_1d(input), d, index.reshape(-1), _as_1d(source)).reshape(input._data.shape)
    return IndexCopy.apply(input, source, dim=d, index=idx)


# -- take and put (over the flattened tensor) ---------------------------------------------------
def _check_flat_index(name: str, input: Tensor, index: Tensor) -> np.ndarray:
    if index._data.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected a long tensor for index, but got {_scalar_name(index)}")
    idx, n = index._data, input._data.size
    bad = (idx >= n) | (idx < -n)
    if bad.any():
        raise IndexError(f"out of range: tried to access index {int(idx[bad][0])} on a tensor of {n} elements.")
    return idx


class Take(Op):
    name = "TakeBackward0"

    @staticmethod
    def forward(ctx, a, index):
        ctx.index, ctx.in_shape = index, a.shape
        return a.reshape(-1)[index]

    @staticmethod
    def backward(ctx, g):
        from .._factories import zeros

        # d take = put with accumulate into zeros (repeated indices accumulate)
        return Put.apply(zeros(ctx.in_shape, dtype=g.dtype), g, index=ctx.index, accumulate=True)


@declare(out=True)
def take(input: Tensor, index: Tensor) -> Tensor:
    """Elements of the flattened input at index (negative indices count from the end); shape of index."""
    return Take.apply(input, index=_check_flat_index("take", input, index))


class Put(Op):
    name = "PutBackward0"

    @staticmethod
    def forward(ctx, a, src, index, accumulate):
        ctx.index, ctx.accumulate = index, accumulate
        ctx.src_shape = src.shape if isinstance(src, np.ndarray) else ()
        out = a.copy()
        flat = out.reshape(-1)
        values = src.reshape(-1) if isinstance(src, np.ndarray) else src
        if accumulate:
            np.add.at(flat, index.reshape(-1), values)
        else:
            flat[index.reshape(-1)] = values
        return out

    @staticmethod
    def backward(ctx, g):
        ga = g if ctx.accumulate else Put.apply(g, 0.0, index=ctx.index, accumulate=False)
        gs = Take.apply(g, index=ctx.index).reshape(ctx.src_shape) if ctx.needs_input_grad[1] else None
        return ga, gs


@declare(inplace=True)
def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:
    """input (seen flattened) with source written, or added with accumulate, at index."""
    if index._data.dtype != np.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {_scalar_name(index)}")
    if source._data.size != index._data.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                         f"source.numel() = {source._data.size}, index.numel() = {index._data.size}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{_scalar_name(input)} and source.dtype = {_scalar_name(source)}")
    idx = _check_flat_index("put_", input, index)
    return Put.apply(input, source, index=idx, accumulate=accumulate)


# -- masked_select, masked_scatter --------------------------------------------------------------
class MaskedSelect(Op):
    name = "MaskedSelectBackward0"

    @staticmethod
    def forward(ctx, a, mask):
        ctx.mask = mask
        return np.broadcast_to(a, mask.shape)[mask]

    @staticmethod
    def backward(ctx, g):
        from .._factories import zeros

        mask = _wrap(ctx.mask)
        return zeros(ctx.mask.shape, dtype=g.dtype).masked_scatter(mask, g)


def _check_mask(name: str, mask) -> None:
    if not isinstance(mask, Tensor) or mask._data.dtype != np.bool_:
        got = _scalar_name(mask) if isinstance(mask, Tensor) else type(mask).__name__
        if name == "masked_select":
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype {got}")


@declare(out=True)
def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of input where mask (broadcast with input) is True, as a 1-d tensor."""
    _check_mask("masked_select", mask)
    shape = _broadcast_shape(mask._data.shape, input._data.shape)
    return MaskedSelect.apply(input, mask=np.broadcast_to(mask._data, shape))


class MaskedScatter(Op):
    name = "MaskedScatterBackward0"

    @staticmethod
    def forward(ctx, a, src, mask):
        ctx.mask, ctx.src_shape = mask, src.shape
        out = np.broadcast_to(a, mask.shape).copy()
        out[mask] = src.reshape(-1)[:int(mask.sum())]
        return out

    @staticmethod
    def backward(ctx, g):
        from .._factories import zeros
        from .joining import cat

        mask = _wrap(ctx.mask)
        gs = None
        if ctx.needs_input_grad[1]:
            gs = g.masked_select(mask)
            n = int(np.prod(ctx.src_shape))
            if gs._data.size < n:  # source elements past the last True place get no gradient
                gs = cat([gs, zeros(n - gs._data.size, dtype=g.dtype)])
            gs = gs.reshape(ctx.src_shape)
        return g.masked_fill(mask, 0), gs


@declare(inplace=True)
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """input with consecutive elements of source written where mask (broadcast with input) is True."""
    _check_mask("masked_scatter", mask)
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{_scalar_name(input)} and {_scalar_name(source)}")
    shape = _broadcast_shape(mask._data.shape, input._data.shape)
    m = np.broadcast_to(mask._data, shape)
    if int(m.sum()) > source._data.size:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    return MaskedScatter.apply(input, source, mask=m)
