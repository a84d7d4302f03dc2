"""Reductions: sum, mean, prod, std/var, logsumexp, all/any, count_nonzero, cumsum/cumprod.

Shape legend: `axes` is the sorted tuple of reduced dims (None: all of them), `g` the incoming
gradient. A backward first restores the reduced dims as size 1 (`unreduce`) so that g and the
saved output broadcast against the input. Value-selecting reductions (max/min, sort, topk,
median, ...) live in `sorting.py`, norms in `linalg.py`.
"""

from __future__ import annotations

import builtins
import math
import warnings

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap, _wrap_dim
from ..autograd.grad_mode import STATE
from ..autograd.graph import NULL_CTX, Op
from ..backend import xp_of
from ._declare import declare
from .pointwise import where


def dims_arg(dim, ndim: int):
    """Normalise dim (None, int, tuple or list) to a sorted tuple of non-negative axes, or None for all."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        if len(dim) == 0:
            return None
        axes = tuple(sorted(_wrap_dim(d, ndim) for d in dim))
        for a, b in zip(axes, axes[1:]):
            if a == b:
                raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
    else:
        axes = (_wrap_dim(dim, ndim),)
    return axes if ndim else ()  # a 0-dim tensor accepts dim 0 / -1 but has no axis to reduce


def expand_reduced(g: Tensor, in_shape: tuple, axes, keepdim: bool) -> Tensor:
    """Broadcast a reduced gradient back to in_shape (re-inserting the reduced dims when needed)."""
    return unreduce(g, len(in_shape), axes, keepdim).expand(in_shape)


def unreduce(t: Tensor, ndim: int, axes, keepdim: bool) -> Tensor:
    """Re-insert the reduced dims of a reduction result as size 1, so it broadcasts against the input."""
    if keepdim or ndim == 0:
        return t
    if axes is None:
        return t.reshape((1,) * ndim)
    shape = list(t._data.shape)
    for a in axes:
        shape.insert(a, 1)
    return t.reshape(tuple(shape))


def _reduced_count(shape: tuple, axes) -> int:
    """Number of input elements that fold into one output element."""
    if axes is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in axes)


def _legacy(dt: D.dtype) -> str:
    return dt._legacy.replace("Tensor", "")


# -- sum and mean -------------------------------------------------------------------------------------
class Sum(Op):
    name = "SumBackward1"

    @staticmethod
    def forward(ctx, a, axes, keepdim, np_dtype):
        ctx.in_shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        return a.sum(axis=axes, keepdims=keepdim, dtype=np_dtype)

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
    return _wrap(input._data.sum(axis=axes, keepdims=keepdim, dtype=np_dtype))


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
        ctx.n = n = _reduced_count(a.shape, axes)
        total = a.sum(axis=axes, keepdims=keepdim, dtype=np_dtype)
        return np.true_divide(total, n, dtype=np_dtype)  # np.mean warns on empty input; PyTorch gives nan

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
    return _wrap(np.asarray(Mean.forward(NULL_CTX, input._data, axes, keepdim, np_dtype)))


@declare(out=True)
def nanmean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Mean of the non-NaN elements."""
    if not input.is_floating_point():
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{_legacy(input.dtype)}")
    counted = (input == input).sum(dim, keepdim)
    return nansum(input, dim, keepdim, dtype=dtype) / counted


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


# -- prod ---------------------------------------------------------------------------------------------
class Prod(Op):
    name = "ProdBackward1"
    save = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, a, axes, keepdim, np_dtype):
        ctx.axes, ctx.keepdim = axes, keepdim
        return np.prod(a, axis=axes, keepdims=keepdim, dtype=np_dtype)

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        n = x.ndim
        return _prod_backward(x, unreduce(out, n, ctx.axes, ctx.keepdim), unreduce(g, n, ctx.axes, ctx.keepdim),
                              ctx.axes)


class ProdAll(Prod):
    name = "ProdBackward0"


def _prod_backward(x: Tensor, out: Tensor, g: Tensor, axes) -> Tensor:
    # d prod / d x_i is the product of the other elements: out / x_i when x_i != 0; at a zero it is the
    # product of the rest, which is itself zero unless x_i is the only zero of its slice
    zero = x == 0
    if not zero._data.any():
        return g * out / x
    without_zeros = where(zero, 1.0, x)
    only_zero = zero.sum(axes, keepdim=True) == 1
    others = Prod.apply(without_zeros, axes=axes, keepdim=True, np_dtype=without_zeros._data.dtype)
    return where(zero, where(only_zero, g * others, 0.0), g * out / without_zeros)


@declare(out=True)
def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Product of all elements, or along one dim (integers accumulate in int64)."""
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    axes = dims_arg(dim, input._data.ndim)
    op = ProdAll if axes is None else Prod
    return op.apply(input, axes=axes, keepdim=keepdim, np_dtype=_sum_dtype(input, dtype))


# -- variance and standard deviation ------------------------------------------------------------------
def _correction(dim, unbiased, correction, name: str):
    """(dim, correction) from PyTorch's overloads: (dim, unbiased, keepdim), (unbiased) or correction=."""
    if isinstance(dim, bool):  # std(input, unbiased)
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got both unbiased and correction; "
                        "pass only one of them")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, correction


def _var_array(a, axes, correction, keepdim: bool, name: str):
    n = _reduced_count(a.shape, axes)
    if n - correction <= 0:
        warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                      "factor (input numel divided by output numel).", UserWarning, stacklevel=4)
    work = a.astype(np.float32) if a.dtype == np.float16 else a  # half accumulates in float, as in PyTorch
    with np.errstate(invalid="ignore", divide="ignore"):
        centred = work - np.sum(work, axis=axes, keepdims=True) / n
        squares = np.sum(centred * centred, axis=axes, keepdims=keepdim)
        return (squares / builtins.max(0, n - correction)).astype(a.dtype, copy=False)


def _var_backward(g: Tensor, x: Tensor, axes, correction) -> Tensor:
    # d var = 2 (x - mean) / dof. Without degrees of freedom PyTorch returns inf (nan where x == mean)
    # for a full reduction, but uses the unclamped dof along dims (so a negative dof flips the sign)
    dof = _reduced_count(x._data.shape, axes) - correction
    if axes is None or x.ndim == 0:
        centred = x - x.mean()
        if dof <= 0:
            return g * where(centred == 0, math.nan, math.inf)
        return g * (2.0 / dof) * centred
    return g * (2.0 / dof if dof else math.inf) * (x - x.mean(axes, keepdim=True))


def _std_backward(g: Tensor, std: Tensor, x: Tensor, axes, correction) -> Tensor:
    # d std = d var / (2 std); PyTorch sends zero gradient where std == 0
    return _var_backward(where(std == 0, 0.0, g / (2 * std)), x, axes, correction)


class Var(Op):
    name = "VarBackward0"
    save = (0,)

    @staticmethod
    def forward(ctx, a, axes, correction, keepdim):
        ctx.axes, ctx.correction, ctx.keepdim = axes, correction, keepdim
        return _var_array(a, axes, correction, keepdim, "var")

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return _var_backward(unreduce(g, x.ndim, ctx.axes, ctx.keepdim), x, ctx.axes, ctx.correction)


class Std(Op):
    name = "StdBackward0"
    save = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, a, axes, correction, keepdim):
        ctx.axes, ctx.correction, ctx.keepdim = axes, correction, keepdim
        return np.sqrt(_var_array(a, axes, correction, keepdim, "std"))

    @staticmethod
    def backward(ctx, g):
        x, std = ctx.saved_tensors
        n, axes, keepdim = x.ndim, ctx.axes, ctx.keepdim
        return _std_backward(unreduce(g, n, axes, keepdim), unreduce(std, n, axes, keepdim), x, axes,
                             ctx.correction)


class VarMean(Op):
    name = "VarMeanBackward0"
    save = (0,)

    @staticmethod
    def forward(ctx, a, axes, correction, keepdim):
        ctx.axes, ctx.correction, ctx.keepdim = axes, correction, keepdim
        var = _var_array(a, axes, correction, keepdim, "var_mean")
        return var, np.asarray(Mean.forward(NULL_CTX, a, axes, keepdim, a.dtype))

    @staticmethod
    def backward(ctx, g_var, g_mean):
        (x,) = ctx.saved_tensors
        n, axes, keepdim = x.ndim, ctx.axes, ctx.keepdim
        count = _reduced_count(x._data.shape, axes)
        return (_var_backward(unreduce(g_var, n, axes, keepdim), x, axes, ctx.correction)
                + unreduce(g_mean, n, axes, keepdim) / count)


class StdMean(Op):
    name = "StdMeanBackward0"
    save = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, a, axes, correction, keepdim):
        ctx.axes, ctx.correction, ctx.keepdim = axes, correction, keepdim
        std = np.sqrt(_var_array(a, axes, correction, keepdim, "std_mean"))
        return std, np.asarray(Mean.forward(NULL_CTX, a, axes, keepdim, a.dtype))

    @staticmethod
    def backward(ctx, g_std, g_mean):
        x, (std, _) = ctx.saved_tensors
        n, axes, keepdim = x.ndim, ctx.axes, ctx.keepdim
        count = _reduced_count(x._data.shape, axes)
        return (_std_backward(unreduce(g_std, n, axes, keepdim), unreduce(std, n, axes, keepdim), x, axes,
                              ctx.correction)
                + unreduce(g_mean, n, axes, keepdim) / count)


def _moments(op, input: Tensor, dim, unbiased, keepdim: bool, correction, name: str):
    dim, correction = _correction(dim, unbiased, correction, name)
    if not input.is_floating_point():
        raise RuntimeError("std and var only support floating point and complex dtypes")
    return op.apply(input, axes=dims_arg(dim, input._data.ndim), correction=correction, keepdim=keepdim)


@declare(out=True)
def var(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Variance over dims, dividing by N - correction (correction=1, Bessel's, by default)."""
    return _moments(Var, input, dim, unbiased, keepdim, correction, "var")


@declare(out=True)
def std(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None) -> Tensor:
    """Standard deviation over dims, dividing by N - correction (correction=1 by default)."""
    return _moments(Std, input, dim, unbiased, keepdim, correction, "std")


@declare(method=False)
def var_mean(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction=None) -> tuple:
    """(variance, mean) over dims, computed in one pass."""
    return _moments(VarMean, input, dim, unbiased, keepdim, correction, "var_mean")


@declare(method=False)
def std_mean(input: Tensor, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction=None) -> tuple:
    """(standard deviation, mean) over dims, computed in one pass."""
    return _moments(StdMean, input, dim, unbiased, keepdim, correction, "std_mean")


# -- logsumexp ----------------------------------------------------------------------------------------
def _logsumexp_array(a, axes, keepdim: bool):
    with np.errstate(all="ignore"):
        if a.size == 0:
            return np.log(np.sum(np.exp(a), axis=axes, keepdims=keepdim))
        # shift by the max for stability; an infinite max (all -inf, or +inf) is left unshifted
        m = np.max(a, axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0).astype(a.dtype, copy=False)
        total = np.sum(np.exp(a - m), axis=axes, keepdims=keepdim)
        return np.log(total) + (m if keepdim else m.reshape(total.shape))


class Logsumexp(Op):
    name = "LogsumexpBackward0"
    save = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.axes, ctx.keepdim = axes, keepdim
        return _logsumexp_array(a, axes, keepdim)

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        n = x.ndim
        # d logsumexp = softmax(x)
        return unreduce(g, n, ctx.axes, ctx.keepdim) * (x - unreduce(out, n, ctx.axes, ctx.keepdim)).exp()


@declare(out=True)
def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) over dims, computed without overflow."""
    if not input.is_floating_point():
        input = input.to(D.get_default_dtype())
    return Logsumexp.apply(input, axes=dims_arg(dim, input._data.ndim), keepdim=keepdim)


# -- logical reductions -------------------------------------------------------------------------------
def _logical_reduction(np_fn, input: Tensor, dim, keepdim: bool) -> Tensor:
    a = input._data
    # unlike sum, all/any over an empty list of dims reduce nothing
    axes = () if isinstance(dim, (tuple, list)) and len(dim) == 0 else dims_arg(dim, a.ndim)
    result = np_fn(a, axis=axes, keepdims=keepdim)
    # PyTorch keeps uint8 for uint8 input (a legacy of byte masks); every other dtype gives bool
    return _wrap(xp_of(a).asarray(result, dtype=np.uint8 if a.dtype == np.uint8 else np.bool_))


@declare(out=True)
def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where every element (over dims) is nonzero."""
    return _logical_reduction(np.all, input, dim, keepdim)


@declare(out=True)
def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """True where some element (over dims) is nonzero."""
    return _logical_reduction(np.any, input, dim, keepdim)


@declare()
def count_nonzero(input: Tensor, dim=None) -> Tensor:
    """Number of nonzero elements, over all dims or the given ones (int64)."""
    a = input._data
    return _wrap(xp_of(a).asarray(np.count_nonzero(a, axis=dims_arg(dim, a.ndim)), dtype=np.int64))


# -- cumulative sums and products ---------------------------------------------------------------------
def _scan(np_fn, a, dim: int, np_dtype):
    if a.ndim == 0:
        return a.astype(np_dtype)
    return np_fn(a, axis=dim, dtype=np_dtype)


def _reverse_cumsum(t: Tensor, dim: int) -> Tensor:
    """out[i] = sum of t[j] for j >= i along dim."""
    return cumsum(t.flip(dim), dim).flip(dim)


class Cumsum(Op):
    name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, a, dim, np_dtype):
        ctx.dim = dim
        return _scan(np.cumsum, a, dim, np_dtype)

    @staticmethod
    def backward(ctx, g):
        return _reverse_cumsum(g, ctx.dim)


class Cumprod(Op):
    name = "CumprodBackward0"
    save = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, a, dim, np_dtype):
        ctx.dim = dim
        return _scan(np.cumprod, a, dim, np_dtype)

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        return _cumprod_backward(x, out, g, ctx.dim)


def _cumprod_backward(x: Tensor, out: Tensor, g: Tensor, dim: int) -> Tensor:
    # grad_i = sum_{k >= i} g_k d out_k / d x_i, and d out_k / d x_i = out_k / x_i while x_i != 0.
    # Past the first zero of a slice every out_k is 0 and so is each gradient; at the first zero z,
    # d out_k / d x_z is out_k recomputed with x_z replaced by 1.
    if x.ndim == 0:
        return g
    zero = x == 0
    if not zero._data.any():
        return _reverse_cumsum(g * out, dim) / x
    zeros_so_far = cumsum(zero, dim)
    before = zeros_so_far == 0
    first = zero.logical_and(zeros_so_far == 1)
    out_without_first = cumprod(where(first, 1.0, x), dim)
    at_first = where(first, _reverse_cumsum(g * out_without_first, dim), 0.0)
    return where(before, _reverse_cumsum(g * out, dim) / where(before, x, 1.0), at_first)


def _scan_op(op, input: Tensor, dim: int, dtype) -> Tensor:
    dim = _wrap_dim(dim, input._data.ndim)
    return op.apply(input, dim=dim, np_dtype=_sum_dtype(input, dtype))


@declare(inplace=True, out=True)
def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running sum along dim (integers accumulate in int64)."""
    return _scan_op(Cumsum, input, dim, dtype)


@declare(inplace=True, out=True)
def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Running product along dim (integers accumulate in int64)."""
    return _scan_op(Cumprod, input, dim, dtype)
