"""Value-selecting reductions and sorting: max/min, amax/amin, argmax/argmin, aminmax, sort, argsort,
topk, median, nanmedian, kthvalue, mode.

Note [selected values and ties]
An op that returns (values, indices) picks one input element per output element; its gradient
flows to exactly that element (a scatter into zeros). Ties pick what PyTorch's CPU kernels pick
where that is specified: the first occurrence for max/min/argmax/argmin, the first NaN when NaNs
are present (NaN counts as larger than everything), stable order for sort, and the last
occurrence of the most frequent (then smallest) value for mode. Where PyTorch's choice among equal
values is unspecified (kthvalue, median along a dim, nanmedian of an all-NaN slice) ember takes
them in stable sorted order; topk partitions first, so any of several equal values may be chosen.
Full reductions that return only a value (max(), amax, median()) share their gradient evenly
among all tied elements, as PyTorch does.

Shape legend: `idx` holds int64 positions along `dim`, shaped like the input with that dim of size 1
(reductions) or k (sort/topk).
"""

from __future__ import annotations

import numpy as np

from .. import return_types
from .._factories import zeros
from .._tensor import Tensor, _wrap, _wrap_dim
from ..autograd.graph import Op
from . import gather_scatter  # noqa: F401 - Tensor.scatter, used by the backward of selections
from ._declare import declare
from .pointwise import maximum, minimum, where
from .reduction import dims_arg, unreduce


class _Selection(Op):
    """Base of ops returning (values, indices) picked by `pick(a, dim)`; see Note [selected values and ties]."""

    @staticmethod
    def forward(ctx, a, dim, keepdim, pick):
        ctx.in_shape, ctx.dim, ctx.keepdim = a.shape, dim, keepdim
        if a.ndim == 0:
            ctx.idx = None
            return a.copy(), np.zeros((), np.int64)
        idx = pick(a, dim)
        ctx.idx = idx
        values = np.take_along_axis(a, idx, dim)
        if not keepdim:
            values, idx = values.squeeze(dim), idx.squeeze(dim)
        return values, idx

    @staticmethod
    def backward(ctx, g, _):
        if ctx.idx is None:
            return g
        if not ctx.keepdim:
            g = g.unsqueeze(ctx.dim)
        # PyTorch's value_selecting_reduction_backward: zeros with g written at the selected places
        return zeros(ctx.in_shape, dtype=g.dtype).scatter(ctx.dim, _wrap(ctx.idx), g)


def _selection_node(node: str) -> type:
    return type(node, (_Selection,), {"name": node})


_MaxDim, _MinDim = _selection_node("MaxBackward0"), _selection_node("MinBackward0")
_SortOp, _TopkOp = _selection_node("SortBackward0"), _selection_node("TopkBackward0")
_MedianDim, _NanmedianDim = _selection_node("MedianBackward1"), _selection_node("NanmedianBackward1")
_KthvalueOp, _ModeOp = _selection_node("KthvalueBackward0"), _selection_node("ModeBackward0")


def _select(op, result_type, input: Tensor, dim: int, keepdim: bool, pick):
    return result_type(op.apply(input, dim=dim, keepdim=keepdim, pick=pick))


def _distribute_evenly(g: Tensor, x: Tensor, value: Tensor) -> Tensor:
    """Gradient of a full reduction that returned one of x's elements: shared among all equal elements."""
    if x.is_floating_point() and np.isnan(value._data):
        chosen = x.isnan()
    else:
        chosen = x == value
    return where(chosen, g / chosen.sum(), 0.0)


class _FullSelection(Op):
    """A full reduction to one selected value (max(), min(), median(), nanmedian())."""

    save = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, a, fn):
        return fn(a)

    @staticmethod
    def backward(ctx, g):
        x, value = ctx.saved_tensors
        return _distribute_evenly(g, x, value)


def _full_node(node: str) -> type:
    return type(node, (_FullSelection,), {"name": node})


_MaxAll, _MinAll = _full_node("MaxBackward1"), _full_node("MinBackward1")
_MedianAll, _NanmedianAll = _full_node("MedianBackward0"), _full_node("NanmedianBackward0")


def _check_nonempty_dim(input: Tensor, dim: int, name: str) -> None:
    if input._data.ndim and input._data.shape[dim] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {dim} to have non-zero size.")


def _check_not_empty(input: Tensor, name: str) -> None:
    if input._data.size == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                           "reduction dim with the 'dim' argument.")


# -- max and min --------------------------------------------------------------------------------------
def _first_max(a, dim):
    return np.argmax(a, axis=dim, keepdims=True)  # NumPy's argmax also stops at the first NaN


def _first_min(a, dim):
    return np.argmin(a, axis=dim, keepdims=True)


def _max_all(a):
    return np.maximum.reduce(a, axis=None)  # the ufunc directly: np.max adds a Python layer per call


def _min_all(a):
    return np.minimum.reduce(a, axis=None)


def _extreme(input: Tensor, dim, keepdim: bool, other, name: str):
    if other is not None or isinstance(dim, Tensor):
        other = dim if other is None else other
        return maximum(input, other) if name == "max" else minimum(input, other)
    if dim is None:
        _check_not_empty(input, name)
        op, fn = (_MaxAll, _max_all) if name == "max" else (_MinAll, _min_all)
        return op.apply(input, fn=fn)
    dim = _wrap_dim(dim, input._data.ndim)
    _check_nonempty_dim(input, dim, name)
    if name == "max":
        return _select(_MaxDim, return_types.max, input, dim, keepdim, _first_max)
    return _select(_MinDim, return_types.min, input, dim, keepdim, _first_min)


@declare(out=True)
def max(input: Tensor, dim=None, keepdim: bool = False, *, other: Tensor | None = None):
    """Largest element; along a dim, (values, indices) of the first largest; max(input, other) is maximum."""
    return _extreme(input, dim, keepdim, other, "max")


@declare(out=True)
def min(input: Tensor, dim=None, keepdim: bool = False, *, other: Tensor | None = None):
    """Smallest element; along a dim, (values, indices) of the first smallest; min(input, other) is minimum."""
    return _extreme(input, dim, keepdim, other, "min")


class _Amax(Op):
    name = "AmaxBackward0"
    save = (0,)
    save_output = True
    _np_fn = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx, a, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        return cls._np_fn(a, axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return _amax_backward(g, x, out, ctx.axes, ctx.keepdim)


class _Amin(_Amax):
    name = "AminBackward0"
    _np_fn = staticmethod(np.min)


def _amax_backward(g: Tensor, x: Tensor, out: Tensor, axes, keepdim: bool) -> Tensor:
    # shared evenly among the elements equal to the result; a NaN result matches nothing, giving nan
    n = x.ndim
    chosen = x == unreduce(out, n, axes, keepdim)
    count = chosen.sum() if axes is None else chosen.sum(axes, keepdim=True)
    return unreduce(g, n, axes, keepdim) / count * chosen


def _amax_like(op, input: Tensor, dim, keepdim: bool, name: str) -> Tensor:
    shape = input._data.shape
    axes = dims_arg(dim, len(shape))
    if axes is None:
        _check_not_empty(input, name)
    elif input.numel() == 0:
        for d in (dim if isinstance(dim, (tuple, list)) else (dim,)):
            if shape[_wrap_dim(d, len(shape))] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    return op.apply(input, axes=axes, keepdim=keepdim)


@declare(out=True)
def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Largest value over dims (all by default); the gradient is shared among ties."""
    return _amax_like(_Amax, input, dim, keepdim, "amax")


@declare(out=True)
def amin(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    """Smallest value over dims (all by default); the gradient is shared among ties."""
    return _amax_like(_Amin, input, dim, keepdim, "amin")


class _Aminmax(Op):
    name = "AminmaxBackward0"
    save = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        return np.min(a, axis=axes, keepdims=keepdim), np.max(a, axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g_min, g_max):
        x, (lo, hi) = ctx.saved_tensors
        axes, keepdim = ctx.axes, ctx.keepdim
        return _amax_backward(g_min, x, lo, axes, keepdim) + _amax_backward(g_max, x, hi, axes, keepdim)


@declare(out=True)
def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False):
    """(min, max) over all elements or along one dim."""
    shape = input._data.shape
    axes = None if dim is None else dims_arg(dim, len(shape))
    if (input.numel() == 0 if axes is None else bool(axes) and shape[axes[0]] == 0):
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    return return_types.aminmax(_Aminmax.apply(input, axes=axes, keepdim=keepdim))


def _arg_extreme(np_fn, input: Tensor, dim, keepdim: bool, name: str) -> Tensor:
    a = input._data
    if a.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if a.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
        idx = np.asarray(np_fn(a), dtype=np.int64)
        return _wrap(idx.reshape((1,) * a.ndim) if keepdim else idx)
    dim = _wrap_dim(dim, a.ndim)
    _check_nonempty_dim(input, dim, name)
    if a.ndim == 0:
        return _wrap(np.zeros((), np.int64))
    return _wrap(np.asarray(np_fn(a, axis=dim, keepdims=keepdim), dtype=np.int64))


@declare(out=True)
def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the first largest element (of the flattened input when dim is None)."""
    return _arg_extreme(np.argmax, input, dim, keepdim, "argmax")


@declare(out=True)
def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Index of the first smallest element (of the flattened input when dim is None)."""
    return _arg_extreme(np.argmin, input, dim, keepdim, "argmin")


# -- sorting ------------------------------------------------------------------------------------------
def _argsort(a, dim: int, descending: bool):
    """Stable sort order along dim; NaN sorts above everything (last ascending, first descending)."""
    if not descending:
        return np.argsort(a, axis=dim, kind="stable")
    # sort the reversed array ascending and reverse the result: descending, equal values in input order
    order = np.argsort(np.flip(a, axis=dim), axis=dim, kind="stable")
    return (a.shape[dim] - 1) - np.flip(order, axis=dim)


@declare(out=True)
def sort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False):
    """(values, indices) sorted along dim; equal elements keep their order (the sort is always stable)."""
    dim = _wrap_dim(dim, input._data.ndim)
    return _select(_SortOp, return_types.sort, input, dim, True, lambda a, d: _argsort(a, d, descending))


@declare()
def argsort(input: Tensor, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    """Indices that sort input along dim (stable)."""
    a = input._data
    dim = _wrap_dim(dim, a.ndim)
    if a.ndim == 0:
        return _wrap(np.zeros((), np.int64))
    return _wrap(_argsort(a, dim, descending).astype(np.int64, copy=False))


@declare(out=True)
def msort(input: Tensor) -> Tensor:
    """input sorted along its first dim."""
    return sort(input, 0).values


@declare(out=True)
def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    """(values, indices) of the k largest (or smallest) elements along dim, in sorted order."""
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise TypeError(f"topk(): argument 'k' (position 1) must be int, not {type(k).__name__}")
    a = input._data
    dim = _wrap_dim(dim, a.ndim)
    size = a.shape[dim] if a.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if a.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")

    return _select(_TopkOp, return_types.topk, input, dim, True, lambda a, d: _topk_pick(a, d, k, largest))


def _topk_pick(a, dim: int, k: int, largest: bool):
    n = a.shape[dim]
    if k == 0:
        return np.zeros(a.shape[:dim] + (0,) + a.shape[dim + 1:], np.int64)
    # partition first (linear time), then sort only the k candidates
    if largest:
        candidates = np.take(np.argpartition(a, n - k, axis=dim), np.arange(n - k, n), axis=dim)
    else:
        candidates = np.take(np.argpartition(a, k - 1, axis=dim), np.arange(k), axis=dim)
    order = _argsort(np.take_along_axis(a, candidates, dim), dim, largest)
    return np.take_along_axis(candidates, order, dim)


# -- order statistics ---------------------------------------------------------------------------------
def _median_pick(a, dim: int, ignore_nan: bool):
    order = np.argsort(a, axis=dim, kind="stable")
    n = a.shape[dim]
    if a.dtype.kind != "f":
        pos = np.full(a.shape[:dim] + (1,) + a.shape[dim + 1:], (n - 1) // 2, np.int64)
    else:
        valid = np.sum(~np.isnan(a), axis=dim, keepdims=True)
        if ignore_nan:  # lower median of the non-NaN values (the first NaN when there are none)
            pos = np.maximum(valid - 1, 0) // 2
        else:  # a NaN makes the median NaN: point at the first NaN (sorted after the numbers)
            pos = np.where(valid < n, valid, (n - 1) // 2)
    return np.take_along_axis(order, pos, dim)


def _median_all(a, ignore_nan: bool):
    flat = a.reshape(-1)
    if flat.dtype.kind == "f":
        nan = np.isnan(flat)
        if nan.any() and not ignore_nan:
            return np.asarray(np.nan, a.dtype)
        flat = flat[~nan]
    if flat.size == 0:
        return np.asarray(np.nan, a.dtype)
    return np.asarray(np.sort(flat)[(flat.size - 1) // 2])


def _median(input: Tensor, dim, keepdim: bool, ignore_nan: bool, name: str):
    if input._data.dtype == np.bool_:
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Bool'")
    if dim is None:
        op = _NanmedianAll if ignore_nan else _MedianAll
        return op.apply(input, fn=lambda a: _median_all(a, ignore_nan))
    dim = _wrap_dim(dim, input._data.ndim)
    _check_nonempty_dim(input, dim, name)
    op, result = (_NanmedianDim, return_types.nanmedian) if ignore_nan else (_MedianDim, return_types.median)
    return _select(op, result, input, dim, keepdim, lambda a, d: _median_pick(a, d, ignore_nan))


@declare(out=True)
def median(input: Tensor, dim: int | None = None, keepdim: bool = False):
    """Lower median of all elements, or (values, indices) along dim; NaN if any element is NaN."""
    return _median(input, dim, keepdim, False, "median")


@declare(out=True)
def nanmedian(input: Tensor, dim: int | None = None, keepdim: bool = False):
    """Lower median ignoring NaN, of all elements or (values, indices) along dim."""
    return _median(input, dim, keepdim, True, "nanmedian")


@declare(out=True)
def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False):
    """(values, indices) of the k-th smallest element (1-based) along dim."""
    a = input._data
    dim = _wrap_dim(dim, a.ndim)
    size = a.shape[dim] if a.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")

    def pick(a, d):
        return np.take(np.argsort(a, axis=d, kind="stable"), [k - 1], axis=d)

    return _select(_KthvalueOp, return_types.kthvalue, input, dim, keepdim, pick)


def _mode_pick(a, dim: int):
    x = np.moveaxis(a, dim, -1)
    order = np.argsort(x, axis=-1, kind="stable")
    ordered = np.take_along_axis(x, order, -1)
    pos = np.arange(x.shape[-1])
    run_start = np.ones(x.shape, bool)
    run_start[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    start = np.maximum.accumulate(np.where(run_start, pos, 0), axis=-1)
    count = pos - start + 1  # how many equal values so far in the current run
    # argmax finds the end of the first longest run: the smallest most frequent value, and (the order
    # being stable) its last occurrence in the input
    best = np.expand_dims(np.argmax(count, axis=-1), -1)
    return np.moveaxis(np.take_along_axis(order, best, -1), -1, dim)


@declare(out=True)
def mode(input: Tensor, dim: int = -1, keepdim: bool = False):
    """(values, indices) of the most frequent value along dim (the smallest among equally frequent ones)."""
    dim = _wrap_dim(dim, input._data.ndim)
    _check_nonempty_dim(input, dim, "mode")
    return _select(_ModeOp, return_types.mode, input, dim, keepdim, _mode_pick)

