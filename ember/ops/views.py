"""View ops: results share memory with their input (see Note [views and versions] in _tensor.py).

view, reshape, flatten, unflatten, ravel, squeeze, unsqueeze, transpose, t, permute, movedim,
T/mT/H/mH/adjoint, expand, broadcast_to, basic indexing, narrow, select, and the in-place shape
ops (t_, squeeze_, ...); diagonal, as_strided and the splitting views live in strided.py. Each
backward is written with ember ops. Strides and storage offsets follow PyTorch's (tests compare them).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _dtype as D
from .._size import Size
from .._tensor import Tensor, _wrap, _wrap_dim
from ..autograd.grad_mode import STATE
from ..autograd.graph import NULL_CTX, Op
from ..backend import xp_of
from ._declare import check_inplace_allowed, declare


def mark_view(out: Tensor, src: Tensor) -> Tensor:
    """Record that out shares src's memory: same root base and version counter."""
    base = src._base if src._base is not None else src
    if base._vbox is None:
        base._vbox = [0]
    out._base = base
    out._vbox = base._vbox
    if out._grad_fn is not None:
        out._extras()["view_version"] = base._vbox[0]
    return out


def view_op(op, src: Tensor, **params) -> Tensor:
    """Apply a view Op (forward returns a view of the input array) and mark the result as a view."""
    if STATE.enabled and src._requires_grad:
        out = op.apply(src, **params)
    else:
        out = _wrap(op.forward(NULL_CTX, src._data, **params))
    return mark_view(out, src)


def storage_root(a: np.ndarray) -> np.ndarray:
    """The array that owns a's memory."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def restride(a, shape: tuple, strides: tuple, offset: int = 0):
    """An array over a's memory with the given shape and byte strides, starting `offset` bytes after a[0...]."""
    if a.__class__ is not np.ndarray:  # CuPy: a pointer into the same allocation
        return xp_of(a).ndarray(shape, a.dtype, memptr=a.data + offset, strides=strides)
    if offset >= 0 and (a.flags.c_contiguous or a.flags.f_contiguous):
        try:  # the fast path: a itself is the buffer (and becomes the result's base)
            return np.ndarray(shape, a.dtype, buffer=a, offset=offset, strides=strides)
        except (TypeError, ValueError):
            pass  # the layout reaches outside a (as_strided may address all of a's storage)
    root = storage_root(a)
    start = a.__array_interface__["data"][0] - root.__array_interface__["data"][0] + offset
    if root.flags.c_contiguous or root.flags.f_contiguous:
        # built on the owner so that `.base` chains (and storage_offset()) still lead to it
        return np.ndarray(shape, a.dtype, buffer=root, offset=start, strides=strides)
    return np.asarray(_Layout(a, shape, strides, offset))


class _Layout:
    """Describes a's memory with another shape and strides (what NumPy's as_strided does internally)."""

    def __init__(self, a: np.ndarray, shape: tuple, strides: tuple, offset: int) -> None:
        interface = dict(a.__array_interface__)
        pointer, readonly = interface["data"]
        interface.update(shape=tuple(shape), strides=tuple(strides), data=(pointer + offset, readonly))
        self.__array_interface__ = interface
        self.base = a  # keeps the memory alive


def op_variant(base, name: str):
    """A subclass of a view op that only differs in its graph-node name (PyTorch numbers its variants)."""
    return type(name.replace("Backward", ""), (base,), {"name": name})


# -- view / reshape ------------------------------------------------------------------------------------
def shape_arg(shape) -> tuple:
    """Accept view(2, 3), view((2, 3)) and view([2, 3])."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = shape[0]
    if all(s.__class__ is int for s in shape):
        return tuple(shape)
    out = []
    for i, s in enumerate(shape):
        if isinstance(s, (float, bool)) or not hasattr(s, "__index__"):
            raise TypeError(f"argument 'size' failed to unpack the object at pos {i + 1} with error \"type must "
                            f"be tuple of ints,but got {type(s).__name__}\"")
        out.append(s.__index__())
    return tuple(out)


def infer_shape(shape: tuple, numel: int) -> tuple:
    """Resolve a single -1 in shape, raising PyTorch's errors for impossible shapes."""
    if -1 not in shape and min(shape, default=0) >= 0 and math.prod(shape) == numel:
        return shape
    known, infer = 1, None
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {list(shape)}")
        else:
            known *= s
    if infer is not None:
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                               "unspecified dimension size -1 can be any value and is ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        return shape[:infer] + (numel // known,) + shape[infer + 1:]
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


class View(Op):
    name = "ViewBackward0"

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        try:
            return a.reshape(shape, copy=False)
        except ValueError:
            raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                               "dimension spans across two contiguous subspaces). Use .reshape(...) instead.") \
                from None

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


def _plain_view(input: Tensor, shape: tuple):
    """The common no-graph view/reshape: NumPy reshapes without copying; None when that is not possible."""
    if not shape or not input._data.size or (STATE.enabled and input._requires_grad):
        return None
    ints = shape if shape[0].__class__ is int else shape[0] if len(shape) == 1 else ()
    if ints.__class__ in (tuple, Size) and all(s.__class__ is int and (s > 0 or s == -1) for s in ints):
        try:  # impossible shapes fall through to the checked path and PyTorch's errors
            return mark_view(_wrap(input._data.reshape(ints, copy=False)), input)
        except ValueError:
            return None
    return None


@declare(function=False)
def view(input: Tensor, *shape, size=None, dtype=None) -> Tensor:
    """A view with a new shape (or, given a dtype, the same memory reinterpreted); raises if no view exists."""
    if size is None and dtype is None:
        fast = _plain_view(input, shape)
        if fast is not None:
            return fast
    shape = (size,) if size is not None else (dtype,) if dtype is not None else shape
    if len(shape) == 1 and isinstance(shape[0], (D.dtype, D._BFloat16Placeholder)):
        return _view_dtype(input, shape[0])
    return view_op(View, input, shape=infer_shape(shape_arg(shape), input._data.size))


def scalar_name(dt: D.dtype) -> str:
    return dt._legacy[:-len("Tensor")]


def _view_dtype(input: Tensor, dt) -> Tensor:
    # PyTorch treats this as a non-differentiable reinterpretation: no grad_fn, but shared memory and version
    dt = D.to_dtype(dt)
    a = input._data
    old, new = a.itemsize, dt.itemsize
    if old != new:
        what = f"view {scalar_name(input.dtype)} as {scalar_name(dt)} (different element sizes)"
        if a.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 to {what}")
        ratio = new // old
        if ratio > 1 and a.shape[-1] % ratio:
            raise RuntimeError(f"self.size(-1) must be divisible by {ratio} to {what}, but got {a.shape[-1]}")
        if a.strides[-1] != old:
            raise RuntimeError(f"self.stride(-1) must be 1 to {what}, but got {a.strides[-1] // old}")
        if ratio > 1:
            if input.storage_offset() % ratio:
                raise RuntimeError(f"self.storage_offset() must be divisible by {ratio} to {what}, but got "
                                   f"{input.storage_offset()}")
            for d in range(a.ndim - 1):
                if (a.strides[d] // old) % ratio:
                    raise RuntimeError(f"self.stride({d}) must be divisible by {ratio} to {what}, but got "
                                       f"{a.strides[d] // old}")
    out = _wrap(a.view(dt.np))
    if input._vbox is None:
        input._vbox = [0]
    out._vbox = input._vbox
    return out


class Reshape(Op):
    """reshape that must copy (the input's layout allows no view)."""

    name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


ReshapeAlias = op_variant(View, "ReshapeAliasBackward0")


@declare()
def reshape(input: Tensor, *sizes, shape=None) -> Tensor:
    """A tensor with the given shape: a view when possible, otherwise a copy."""
    if shape is None:
        fast = _plain_view(input, sizes)
        if fast is not None:
            return fast
    shape = infer_shape(shape_arg((shape,) if shape is not None else sizes), input._data.size)
    if input._data.flags.c_contiguous:
        return view_op(View, input, shape=shape)
    try:
        input._data.reshape(shape, copy=False)
    except ValueError:
        return Reshape.apply(input, shape=shape)
    return view_op(ReshapeAlias, input, shape=shape)


def view_as(input: Tensor, other: Tensor) -> Tensor:
    """view(other.shape)."""
    return view(input, other._data.shape)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    """reshape(other.shape)."""
    return reshape(input, other._data.shape)


Tensor.view_as = view_as
Tensor.reshape_as = reshape_as


@declare()
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one (input itself when they are the same dim)."""
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    s, e = _wrap_dim(start_dim, len(shape)), _wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return reshape(input, shape[:s] + (n,) + shape[e + 1:])


@declare()
def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dim into the given sizes (one may be -1)."""
    shape = input._data.shape
    d = _wrap_dim(dim, len(shape))
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in sizes:
        known *= s if s != -1 else 1
    if (known == 0 or shape[d] % known) if -1 in sizes else known != shape[d]:
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} "
                           f"({shape[d]}) in the input tensor")
    return view(input, shape[:d] + infer_shape(sizes, shape[d]) + shape[d + 1:])


@declare()
def ravel(input: Tensor) -> Tensor:
    """A 1-d view of a contiguous input (a flattened copy otherwise)."""
    return view(input.contiguous(), -1)


# -- squeeze / unsqueeze ---------------------------------------------------------------------------------
class Squeeze(Op):
    name = "SqueezeBackward0"

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


SqueezeDim = op_variant(Squeeze, "SqueezeBackward1")
SqueezeDims = op_variant(Squeeze, "SqueezeBackward2")
Unsqueeze = op_variant(Squeeze, "UnsqueezeBackward0")
_SQUEEZE_OPS = {(False, "all"): Squeeze, (False, "dim"): SqueezeDim, (False, "dims"): SqueezeDims,
                (True, "all"): op_variant(Squeeze, "SqueezeBackward3"),
                (True, "dim"): op_variant(Squeeze, "SqueezeBackward4"),
                (True, "dims"): op_variant(Squeeze, "SqueezeBackward5")}
UnsqueezeInplace = op_variant(Squeeze, "UnsqueezeBackward1")


def _squeeze(input: Tensor, dim, inplace: bool) -> Tensor:
    from .reduction import dims_arg

    shape = input._data.shape
    if dim is None:
        kind, dims = "all", range(len(shape))
    elif isinstance(dim, (tuple, list)):
        kind, dims = "dims", dims_arg(dim, len(shape)) or ()
    else:
        kind, dims = "dim", (_wrap_dim(dim, len(shape)),)
    new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    return view_op(_SQUEEZE_OPS[(inplace, kind)], input, shape=new)


@declare()
def squeeze(input: Tensor, dim=None) -> Tensor:
    """Remove dims of size 1 (all, or only those listed in dim: an int or a tuple)."""
    return _squeeze(input, dim, False)


@declare()
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dim of size 1 at position dim."""
    shape = input._data.shape
    d = _wrap_dim(dim, len(shape) + 1)
    return view_op(Unsqueeze, input, shape=shape[:d] + (1,) + shape[d:])


# -- transpose / permute -----------------------------------------------------------------------------------
class Permute(Op):
    name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        return g.permute(tuple(np.argsort(ctx.dims)))


class Transpose(Op):
    name = "TransposeBackward0"

    @staticmethod
    def forward(ctx, a, d0, d1):
        ctx.dims = (d0, d1)
        return a.swapaxes(d0, d1) if a.ndim else a.view()

    @staticmethod
    def backward(ctx, g):
        return g.transpose(*ctx.dims)


class T(Op):
    name = "TBackward0"

    @staticmethod
    def forward(ctx, a):
        return a.T

    @staticmethod
    def backward(ctx, g):
        return g.t()


TransposeInplace = op_variant(Transpose, "TransposeBackward1")
TInplace = op_variant(T, "TBackward1")


@declare()
def permute(input: Tensor, *args, dims=None) -> Tensor:
    """Reorder dimensions."""
    dims = shape_arg((dims,) if dims is not None else args)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal to "
                           f"len(dims) = {len(dims)}")
    dims = tuple(_wrap_dim(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return view_op(Permute, input, dims=dims)


def _transpose(input: Tensor, dim0: int, dim1: int, op=Transpose) -> Tensor:
    n = input._data.ndim
    return view_op(op, input, d0=_wrap_dim(dim0, n), d1=_wrap_dim(dim1, n))


@declare()
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions."""
    return _transpose(input, dim0, dim1)


@declare()
def swapaxes(input: Tensor, axis0: int, axis1: int) -> Tensor:
    """Alias of transpose."""
    return _transpose(input, axis0, axis1)


@declare()
def swapdims(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Alias of transpose."""
    return _transpose(input, dim0, dim1)


def _check_t(input: Tensor) -> None:
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")


@declare()
def t(input: Tensor) -> Tensor:
    """Transpose of a tensor with at most 2 dims."""
    _check_t(input)
    return view_op(T, input)


def _dims_list(dims, n: int) -> list:
    return [_wrap_dim(d, n) for d in (dims if isinstance(dims, (tuple, list)) else (dims,))]


@declare()
def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dims from source positions to destination positions (other dims keep their order)."""
    n = input._data.ndim
    given_src = list(source) if isinstance(source, (tuple, list)) else [source]
    given_dst = list(destination) if isinstance(destination, (tuple, list)) else [destination]
    if len(given_src) != len(given_dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({given_src} dims) should contain "
                           f"the same number of dims as destination ({given_dst} dims)")
    src, dst = _dims_list(source, n), _dims_list(destination, n)
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({given_src})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({given_dst})")
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, tuple(order))


@declare()
def moveaxis(input: Tensor, source, destination) -> Tensor:
    """Alias of movedim."""
    return movedim(input, source, destination)


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=3)


def _T(self: Tensor) -> Tensor:
    n = self._data.ndim
    if n == 0:
        _warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.")
    elif n != 2:
        _warn("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it "
              "will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
              "`x.permute(*ember.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.")
    return permute(self, tuple(range(n - 1, -1, -1)))


def _matrix_transpose(self: Tensor, what: str, zero_dim_hint: str) -> Tensor:
    n = self._data.ndim
    if n == 0:
        _warn(f"{what} is deprecated on 0-D tensors. {zero_dim_hint}")
        return self
    if n < 2:
        raise RuntimeError(f"tensor.{what.removeprefix('Tensor.')} is only supported on matrices or batches of "
                           f"matrices. Got {n}-D tensor.")
    return transpose(self, -2, -1)


def _mT(self: Tensor) -> Tensor:
    return _matrix_transpose(self, "Tensor.mT", "This function is the identity in these cases.")


def _mH(self: Tensor) -> Tensor:
    return _matrix_transpose(self, "Tensor.mH", "Consider using x.conj().")


def _H(self: Tensor) -> Tensor:
    n = self._data.ndim
    if n == 0:
        _warn("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().")
        return self
    if n != 2:
        hint = " For batches of matrices, consider using tensor.mH" if n > 2 else ""
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {n}-D tensor.{hint}")
    return transpose(self, 0, 1)


@declare()
def adjoint(input: Tensor) -> Tensor:
    """Conjugate transpose of the last two dims (a transpose: ember has no complex dtypes)."""
    return _matrix_transpose(input, "adjoint()", "Consider using x.conj().")


Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.H = property(_H)
Tensor.mH = property(_mH)


# -- expand ----------------------------------------------------------------------------------------------------
class Expand(Op):
    name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        lead = len(shape) - a.ndim
        strides = [0] * lead + [st if old == size else 0 for size, old, st in zip(shape[lead:], a.shape, a.strides)]
        out = restride(a, shape, tuple(strides))
        if out.__class__ is np.ndarray and any(st == 0 and size > 1 for st, size in zip(strides, shape)):
            out.flags.writeable = False  # one element, many positions: in-place writes must fail (PyTorch too)
        return out

    @staticmethod
    def backward(ctx, g):
        return g.sum_to_size(ctx.in_shape)


@declare(function=False)
def expand(input: Tensor, *sizes, size=None) -> Tensor:
    """A broadcast view of input with the given sizes (-1 keeps a size)."""
    sizes = shape_arg((size,) if size is not None else sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand({input.type()}{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
                           f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the "
                           f"tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    for i, s in enumerate(sizes[:lead]):
        if s < 0:
            raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a leading, non-existing "
                               f"dimension {i}")
    new = list(sizes[:lead])
    for i, (want, have) in enumerate(zip(sizes[lead:], shape)):
        if want == -1:
            want = have
        elif have != 1 and want != have:
            raise RuntimeError(f"The expanded size of the tensor ({want}) must match the existing size ({have}) "
                               f"at non-singleton dimension {i + lead}.  Target sizes: {list(sizes)}.  Tensor "
                               f"sizes: {list(shape)}")
        new.append(want)
    return view_op(Expand, input, shape=tuple(new))


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """expand(other.shape)."""
    return expand(input, other._data.shape)


Tensor.expand_as = expand_as


@declare()
def broadcast_to(input: Tensor, size) -> Tensor:
    """expand(size)."""
    return expand(input, tuple(size))


# -- basic indexing, narrow, select ----------------------------------------------------------------------
class BasicIndex(Op):
    """Basic indexing (ints, slices, None, Ellipsis): a view; backward scatters into zeros."""

    name = "SliceBackward0"

    @staticmethod
    def forward(ctx, a, index):
        ctx.in_shape, ctx.index = a.shape, index
        return index_view(a, index)

    @staticmethod
    def backward(ctx, g):
        return IndexScatter.apply(g, shape=ctx.in_shape, index=ctx.index)


SelectIndex = op_variant(BasicIndex, "SelectBackward0")
UnsqueezeIndex = op_variant(BasicIndex, "UnsqueezeBackward0")
AliasIndex = op_variant(BasicIndex, "AliasBackward0")


class IndexScatter(Op):
    """zeros(shape) with g written at a basic index; the backward of slicing (and its own backward)."""

    name = "SliceBackwardBackward0"

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        out = xp_of(g).zeros(shape, g.dtype)
        out[index] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.index]


def index_view(a, index: tuple):
    """a[index] for ints/slices/None/Ellipsis as a view with PyTorch's strides and offset."""
    out = a[index]
    if not isinstance(out, type(a)):  # NumPy returns a scalar copy for all-int indices; keep a 0-d view
        out = a[index + (Ellipsis,)]
    if out.size == 0 or None in index:
        strides, offset = _torch_layout(a, index)
        # NumPy's offset is right unless the result is empty; otherwise only unit dims' strides differ
        out = restride(a, out.shape, strides, offset) if out.size == 0 else _with_strides(out, strides)
    return out


def _with_strides(out, strides: tuple):
    """out with other strides on its size-1 dims (they address nothing, so only the metadata changes)."""
    if out.strides == strides:
        return out
    squeezed = out.reshape([n for n in out.shape if n != 1] or (), copy=False)
    candidate = squeezed.reshape(out.shape, copy=False)  # NumPy re-derives unit strides, usually as PyTorch
    if candidate.strides == strides:
        return candidate
    return restride(out, out.shape, strides)


def _torch_layout(a, index: tuple) -> tuple:
    """Byte strides and offset (from a's start) of a[index] as PyTorch lays it out.

    NumPy agrees except for inserted dims (PyTorch's unsqueeze stride is size * stride of the dim it
    precedes) and empty results (PyTorch still advances the offset to the slice's start).
    """
    consumed = sum(1 for i in index if i is not None and i is not Ellipsis)
    dim, strides, offset = 0, [], 0
    for item in index:
        if item is Ellipsis:
            strides.extend(a.strides[dim:dim + a.ndim - consumed])
            dim += a.ndim - consumed
        elif item is None:
            strides.append(a.shape[dim] * a.strides[dim] if dim < a.ndim else a.itemsize)
        elif isinstance(item, slice):
            start, _, step = item.indices(a.shape[dim])
            offset += start * a.strides[dim]
            strides.append(a.strides[dim] * step)
            dim += 1
        else:
            offset += (item % a.shape[dim]) * a.strides[dim]
            dim += 1
    return tuple(strides) + a.strides[dim:], offset


def basic_index(input: Tensor, index: tuple) -> Tensor:
    """input[index] for a tuple of ints/slices/None/Ellipsis: a view named after PyTorch's last applied op."""
    # PyTorch applies the items left to right (select, slice, unsqueeze) and skips full slices, except
    # that a lone slice (x[a:b]) is always applied; nothing applied gives an alias.
    op = BasicIndex if len(index) == 1 and isinstance(index[0], slice) else AliasIndex
    shape = input._data.shape
    dim = 0
    for item in index:
        if item is Ellipsis:
            dim += len(shape) - sum(1 for i in index if i is not None and i is not Ellipsis)
        elif item is None:
            op = UnsqueezeIndex
        elif isinstance(item, slice):
            if item.indices(shape[dim]) != (0, shape[dim], 1):
                op = BasicIndex
            dim += 1
        else:
            op = SelectIndex
            dim += 1
    return view_op(op, input, index=index)


@declare()
def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    """The slice [start, start + length) of dimension dim, as a view."""
    n = input._data.ndim
    if n == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    d = _wrap_dim(dim, n)
    size = input._data.shape[d]
    start = int(start)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    index = (slice(None),) * d + (slice(start, start + length),)
    return view_op(BasicIndex, input, index=index)


@declare()
def select(input: Tensor, dim: int, index: int) -> Tensor:
    """input indexed by `index` along dim (that dim removed), as a view."""
    n = input._data.ndim
    if n == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, n)
    size = input._data.shape[d]
    index = int(index)
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input._data.shape)} at "
                         f"dimension {d}")
    return view_op(SelectIndex, input, index=(slice(None),) * d + (index,))


# -- in-place shape ops --------------------------------------------------------------------------------------------
def _commit_shape(self: Tensor, out: Tensor) -> Tensor:
    """Give self out's layout and history (out is a view of self)."""
    self._data = out._data
    if out._grad_fn is not None:
        self._grad_fn = out._grad_fn
        self._output_nr = 0
    self._bump_version()
    if self._base is not None and self._grad_fn is not None:
        # the version bump is this op itself, not a write through another view
        self._extras()["view_version"] = self._vbox[0]
    return self


def shape_inplace(fn):
    def method(self: Tensor, *args, **kwargs) -> Tensor:
        check_inplace_allowed(self)
        return _commit_shape(self, fn(self, *args, **kwargs))

    method.__name__ = fn.__name__
    method.__doc__ = f"In-place {fn.__name__[:-1]}: changes this tensor's shape and strides."
    return method


@shape_inplace
def squeeze_(self: Tensor, dim=None) -> Tensor:
    return _squeeze(self, dim, True)


@shape_inplace
def unsqueeze_(self: Tensor, dim: int) -> Tensor:
    shape = self._data.shape
    d = _wrap_dim(dim, len(shape) + 1)
    return view_op(UnsqueezeInplace, self, shape=shape[:d] + (1,) + shape[d:])


@shape_inplace
def t_(self: Tensor) -> Tensor:
    _check_t(self)
    return view_op(TInplace, self)


@shape_inplace
def transpose_(self: Tensor, dim0: int, dim1: int) -> Tensor:
    return _transpose(self, dim0, dim1, TransposeInplace)


for _fn in (squeeze_, unsqueeze_, t_, transpose_):
    setattr(Tensor, _fn.__name__, _fn)
Tensor.swapaxes_ = Tensor.swapdims_ = transpose_
