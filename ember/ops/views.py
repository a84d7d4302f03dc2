"""View ops: results share memory with their input (see Note [views and versions] in _tensor.py).

view, reshape, flatten, unflatten, squeeze, unsqueeze, transpose, t, permute, movedim, expand,
narrow, select, unbind, split, chunk, as_strided, T/mT. Each backward is written with ember ops.
"""

from __future__ import annotations

import numpy as np

from .._size import Size
from .._tensor import Tensor, _wrap, _wrap_dim
from ..autograd.grad_mode import STATE
from ..autograd.graph import NULL_CTX, Op
from ._declare import declare


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


def shape_arg(shape) -> tuple:
    """Accept view(2, 3), view((2, 3)) and view([2, 3])."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def infer_shape(shape: tuple, numel: int) -> tuple:
    """Resolve a single -1 in shape, raising PyTorch's errors for impossible shapes."""
    known, infer = 1, None
    for i, s in enumerate(shape):
        if s == -1:
            if infer is not None:
                raise RuntimeError("only one dimension can be inferred")
            infer = i
        elif s < 0:
            raise RuntimeError(f"invalid shape dimension {s}")
        else:
            known *= s
    if infer is not None:
        if known == 0 or numel % known:
            if known == 0 and numel == 0:
                raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {list(shape)} because the "
                                   "unspecified dimension size -1 can be any value and is ambiguous")
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


@declare(function=False)
def view(input: Tensor, *shape) -> Tensor:
    """A view with a new shape; raises if the memory layout does not allow one (use reshape)."""
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, Size, int)):
        return input.to(shape[0]) if _is_dtype(shape[0]) else input
    return view_op(View, input, shape=infer_shape(shape_arg(shape), input._data.size))


def _is_dtype(x) -> bool:
    from .._dtype import dtype

    if isinstance(x, dtype):
        raise NotImplementedError("view(dtype) reinterpretation is not supported by ember yet")
    return False


class Reshape(Op):
    name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


@declare()
def reshape(input: Tensor, *shape) -> Tensor:
    """A tensor with the given shape: a view when possible, otherwise a copy."""
    shape = infer_shape(shape_arg(shape), input._data.size)
    a = input._data
    if shape == a.shape:
        return view_op(View, input, shape=shape)
    try:
        a.reshape(shape, copy=False)
    except ValueError:
        return Reshape.apply(input, shape=shape)
    return view_op(View, input, shape=shape)


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
    """Merge dims start_dim..end_dim into one."""
    shape = input._data.shape
    if not shape:
        return reshape(input, (1,))
    s, e = _wrap_dim(start_dim, len(shape)), _wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input if STATE.enabled and input._requires_grad else view_op(View, input, shape=shape)
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return reshape(input, shape[:s] + (n,) + shape[e + 1:])


@declare()
def unflatten(input: Tensor, dim: int, sizes) -> Tensor:
    """Split dim into the given sizes (one may be -1)."""
    shape = input._data.shape
    d = _wrap_dim(dim, len(shape))
    sizes = infer_shape(tuple(sizes), shape[d])
    return view(input, shape[:d] + sizes + shape[d + 1:])


class Squeeze(Op):
    name = "SqueezeBackward0"

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


class SqueezeDim(Squeeze):
    name = "SqueezeBackward1"


class Unsqueeze(Squeeze):
    name = "UnsqueezeBackward0"


@declare(inplace=False)
def squeeze(input: Tensor, dim=None) -> Tensor:
    """Remove dims of size 1 (all, or only those listed in dim)."""
    shape = input._data.shape
    if dim is None:
        return view_op(Squeeze, input, shape=tuple(s for s in shape if s != 1))
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    dims = {_wrap_dim(d, len(shape)) for d in dims}
    new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    return view_op(SqueezeDim, input, shape=new)


@declare()
def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a dim of size 1 at position dim."""
    shape = input._data.shape
    d = _wrap_dim(dim, len(shape) + 1)
    return view_op(Unsqueeze, input, shape=shape[:d] + (1,) + shape[d:])


def _shape_inplace(name, fn):
    def method(self, *args, **kwargs):
        out = fn(self, *args, **kwargs)
        self._data = out._data
        if out._grad_fn is not None:
            self._grad_fn = out._grad_fn
        return self

    method.__name__ = name
    method.__doc__ = f"In-place {name[:-1]}: changes this tensor's shape metadata."
    setattr(Tensor, name, method)


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
        return a.swapaxes(d0, d1)

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


@declare()
def permute(input: Tensor, *dims) -> Tensor:
    """Reorder dimensions."""
    dims = shape_arg(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal to "
                           f"len(dims) = {len(dims)}")
    dims = tuple(_wrap_dim(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return view_op(Permute, input, dims=dims)


@declare()
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions."""
    n = input._data.ndim
    return view_op(Transpose, input, d0=_wrap_dim(dim0, n), d1=_wrap_dim(dim1, n))


swapaxes = declare("swapaxes")(transpose)
swapdims = declare("swapdims")(transpose)


@declare()
def t(input: Tensor) -> Tensor:
    """Transpose of a tensor with at most 2 dims."""
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    return view_op(T, input)


@declare()
def movedim(input: Tensor, source, destination) -> Tensor:
    """Move dims from source positions to destination positions."""
    n = input._data.ndim
    src = [_wrap_dim(d, n) for d in (source if isinstance(source, (tuple, list)) else (source,))]
    dst = [_wrap_dim(d, n) for d in (destination if isinstance(destination, (tuple, list)) else (destination,))]
    order = [d for d in range(n) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return permute(input, tuple(order))


moveaxis = declare("moveaxis")(movedim)


def _T(self: Tensor) -> Tensor:
    n = self._data.ndim
    if n == 2:
        return t(self)
    return permute(self, tuple(range(n - 1, -1, -1)))


def _mT(self: Tensor) -> Tensor:
    if self._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return transpose(self, -2, -1)


Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.H = property(_T)
Tensor.mH = property(_mT)
Tensor.adjoint = _mT


class Expand(Op):
    name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        return np.lib.stride_tricks.as_strided(a, shape, _expanded_strides(a, shape), writeable=False)

    @staticmethod
    def backward(ctx, g):
        return g.sum_to_size(ctx.in_shape)


def _expanded_strides(a, shape):
    lead = len(shape) - a.ndim
    strides = [0] * lead
    for size, old, st in zip(shape[lead:], a.shape, a.strides):
        strides.append(st if old == size else 0)
    return tuple(strides)


@declare(function=False)
def expand(input: Tensor, *sizes) -> Tensor:
    """A broadcast view of input with the given sizes (-1 keeps a size)."""
    sizes = shape_arg(sizes)
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(shape)}}}, size={list(sizes)}): the number of sizes "
                           f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the "
                           f"tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    new = list(sizes[:lead])
    for i, (want, have) in enumerate(zip(sizes[lead:], shape)):
        if want == -1:
            want = have
        elif have != 1 and want != have:
            raise RuntimeError(f"The expanded size of the tensor ({want}) must match the existing size ({have}) "
                               f"at non-singleton dimension {i + lead}.  Target sizes: {list(sizes)}.  Tensor "
                               f"sizes: {list(shape)}")
        new.append(want)
    if any(s < 0 for s in new[:lead]):
        raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing "
                           f"dimension {new.index(-1)}")
    return view_op(Expand, input, shape=tuple(new))


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    """expand(other.shape)."""
    return expand(input, other._data.shape)


Tensor.expand_as = expand_as


@declare()
def broadcast_to(input: Tensor, size) -> Tensor:
    """expand(size)."""
    return expand(input, tuple(size))


class BasicIndex(Op):
    """Basic indexing (ints, slices, None, Ellipsis): a view; backward scatters into zeros."""

    name = "SliceBackward0"

    @staticmethod
    def forward(ctx, a, index):
        ctx.in_shape, ctx.index = a.shape, index
        return a[index]

    @staticmethod
    def backward(ctx, g):
        return IndexScatter.apply(g, shape=ctx.in_shape, index=ctx.index)


class SelectIndex(BasicIndex):
    name = "SelectBackward0"


class IndexScatter(Op):
    """zeros(shape) with g written at a basic index; the backward of slicing (and its own backward)."""

    name = "SliceBackwardBackward0"

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        out = np.zeros(shape, g.dtype)
        out[index] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.index]


def basic_index(input: Tensor, index: tuple) -> Tensor:
    """input[index] for a tuple of ints/slices/None/Ellipsis: a view."""
    op = SelectIndex if any(isinstance(i, int) for i in index) and \
        not any(isinstance(i, slice) for i in index) else BasicIndex
    return view_op(op, input, index=index)


@declare()
def narrow(input: Tensor, dim: int, start, length: int) -> Tensor:
    """The slice [start, start + length) of dimension dim, as a view."""
    n = input._data.ndim
    if n == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, n)
    size = input._data.shape[d]
    start = int(start)
    if start < 0:
        start += size
    if not 0 <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
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
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input._data.shape)} at "
                         f"dimension {d}")
    return view_op(SelectIndex, input, index=(slice(None),) * d + (int(index),))


class Unbind(Op):
    name = "UnbindBackward0"

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return tuple(a[(slice(None),) * dim + (i,)] for i in range(a.shape[dim]))

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
            out.append(a[(slice(None),) * dim + (slice(start, start + s),)])
            start += s
        return tuple(out)

    @staticmethod
    def backward(ctx, *grads):
        from .joining import cat

        return cat(grads, ctx.dim)


class SplitWithSizes(Split):
    name = "SplitWithSizesBackward0"


def _multi_view(op, input: Tensor, **params):
    if STATE.enabled and input._requires_grad:
        outs = op.apply(input, **params)
    else:
        outs = tuple(_wrap(o) for o in op.forward(NULL_CTX, input._data, **params))
    return tuple(mark_view(o, input) for o in outs)


@declare()
def unbind(input: Tensor, dim: int = 0) -> tuple:
    """Tuple of all slices along dim (views)."""
    if input._data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    return _multi_view(Unbind, input, dim=_wrap_dim(dim, input._data.ndim))


@declare()
def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Split into chunks of a given size, or of the listed sizes, along dim (views)."""
    d = _wrap_dim(dim, tensor._data.ndim)
    size = tensor._data.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        sizes = [min(step, size - i) for i in range(0, size, step)] if size else [0]
        return _multi_view(Split, tensor, sizes=sizes, dim=d)
    sizes = [int(s) for s in split_size_or_sections]
    if sum(sizes) != size:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at "
                           f"dimension {d}), but got split_sizes={sizes}")
    return _multi_view(SplitWithSizes, tensor, sizes=sizes, dim=d)


@declare()
def split_with_sizes(input: Tensor, split_sizes, dim: int = 0) -> tuple:
    """split with an explicit list of sizes."""
    return split(input, list(split_sizes), dim)


@declare()
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Split into `chunks` nearly equal pieces along dim (the last may be smaller)."""
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    step = -(-size // chunks) if size else 1
    return split(input, max(step, 1), d) if size else split(input, [0] * 1, d)


@declare()
def tensor_split(input: Tensor, indices_or_sections, dim: int = 0) -> tuple:
    """Split into n parts (sizes differing by at most one) or at the given indices."""
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        q, r = divmod(size, n)
        sizes = [q + 1] * r + [q] * (n - r)
    else:
        bounds = [0] + [min(max(int(i), 0), size) for i in indices_or_sections] + [size]
        sizes = [max(b - a, 0) for a, b in zip(bounds, bounds[1:])]
    return _multi_view(SplitWithSizes, input, sizes=sizes, dim=d)


class AsStrided(Op):
    name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, a, size, stride, storage_offset):
        ctx.geometry = (a.shape, size, stride, storage_offset)
        flat = a.reshape(-1)
        item = a.itemsize
        return np.lib.stride_tricks.as_strided(flat[storage_offset:], size, tuple(s * item for s in stride))

    @staticmethod
    def backward(ctx, g):
        shape, size, stride, offset = ctx.geometry
        out = np.zeros(int(np.prod(shape)), g._data.dtype)
        idx = np.lib.stride_tricks.as_strided(np.arange(out.size)[offset:], size,
                                              tuple(s * 8 for s in stride))
        np.add.at(out, idx.ravel(), g._data.ravel())
        return _wrap(out.reshape(shape))


@declare()
def as_strided(input: Tensor, size, stride, storage_offset: int = 0) -> Tensor:
    """A view with explicit sizes and strides (in elements) over a contiguous input."""
    if not input.is_contiguous():
        input = input.contiguous()
    return view_op(AsStrided, input, size=tuple(size), stride=tuple(stride), storage_offset=int(storage_offset))


_shape_inplace("squeeze_", squeeze)
_shape_inplace("unsqueeze_", unsqueeze)
_shape_inplace("t_", t)
_shape_inplace("transpose_", transpose)
