"""Indexing: `t[...]`, `t[...] = v` (autograd-aware), index_put, masked_fill, index_fill, index_add,
index_select, nonzero, argwhere.

Note [how an index is applied]
PyTorch applies an index in two steps, and so does ember. First the basic components (ints,
slices, None, Ellipsis) are applied as one view of the tensor; a tensor/list component keeps
its dimension there (a full slice). Then the tensor components index that view the NumPy way:
their dims are replaced by the broadcast index shape, in place when they are adjacent, at the
front otherwise. Unlike NumPy, an int never takes part in the second step, so `x[1, :, [0, 2]]`
has shape (x.shape[1], 2), not (2, x.shape[1]). Bool masks count as their nonzero() indices.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._tensor import Tensor, _wrap, _wrap_dim
from ..autograd.grad_mode import STATE
from ..autograd.graph import NULL_CTX, Op
from ._declare import check_inplace_allowed, commit_inplace, declare
from .views import basic_index, mark_view

_NOT_INDEX_DTYPE = "tensors used as indices must be long, int, byte or bool tensors"
_MAX_SEQUENCE_AS_TUPLE = 32  # NumPy's limit for treating a list as a tuple of indices


def _scalar_name(t: Tensor) -> str:
    """PyTorch's scalar-type name of a tensor's dtype ('Float', 'Long', ...)."""
    return t.dtype._legacy[:-len("Tensor")]


# -- parsing an index ---------------------------------------------------------------------------
def _treat_sequence_as_tuple(index) -> bool:
    """PyTorch's (legacy, NumPy-derived) rule: x[[0, slice(1)]] means x[0, 1:], but x[[0, 1]] is a list index."""
    if not isinstance(index, list) or len(index) >= _MAX_SEQUENCE_AS_TUPLE:
        return False
    for item in index:
        if isinstance(item, (Tensor, list, tuple, slice)) or item is None or item is Ellipsis:
            warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated; use "
                          "x[tuple(seq)] instead of x[seq].", UserWarning, stacklevel=3)
            return True
    return False


def _index_array(item) -> np.ndarray:
    """An index tensor or (nested) list as an int64/int32/bool array, with PyTorch's dtype errors."""
    if isinstance(item, Tensor):
        a = item._data
    else:
        a = np.array([x.item() if isinstance(x, Tensor) else x for x in item] if isinstance(item, list) else item)
        if a.size == 0:
            a = a.astype(np.int64)
    if a.dtype == np.uint8:
        warnings.warn("indexing with dtype ember.uint8 is now deprecated, please use a dtype ember.bool instead.",
                      UserWarning, stacklevel=4)
        return a.astype(bool)
    if a.dtype not in (np.int64, np.int32, np.bool_):
        raise IndexError(_NOT_INDEX_DTYPE)
    return a


def _component(item):
    """One index component as int, slice, None, Ellipsis, bool or ndarray."""
    if item is None or item is Ellipsis or isinstance(item, (bool, np.bool_)):
        return bool(item) if isinstance(item, np.bool_) else item
    if isinstance(item, (int, np.integer)):
        return int(item)
    if isinstance(item, slice):
        return _slice(item)
    if isinstance(item, (Tensor, list, np.ndarray)):
        a = _index_array(item)
        if a.ndim == 0:  # PyTorch reads a 0-d index tensor as the number it holds
            return bool(a) if a.dtype == np.bool_ else int(a)
        return a
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                     f"indices (got {type(item).__name__})")


def _slice(s: slice) -> slice:
    start, stop, step = (None if v is None else int(v) for v in (s.start, s.stop, s.step))
    if step is not None and step <= 0:
        raise ValueError("slice step cannot be zero" if step == 0 else "step must be greater than zero")
    return slice(start, stop, step)


def _width(item) -> int:
    """How many dims of the indexed tensor a component consumes."""
    if isinstance(item, np.ndarray):
        return item.ndim if item.dtype == np.bool_ else 1
    if isinstance(item, (int, slice)) and not isinstance(item, bool):
        return 1
    return 0


def parse_index(shape: tuple, index) -> tuple[tuple, list]:
    """Split an index into a basic tuple (applied as a view) and [(dim in that view, array)] advanced parts."""
    if isinstance(index, tuple):
        items = index
    elif _treat_sequence_as_tuple(index):
        items = tuple(index)
    else:
        items = (index,)
    items = [_component(i) for i in items]
    ndim = len(shape)
    specified = sum(_width(i) for i in items)
    if specified > ndim:
        first = next(i for i in items if _width(i))
        if ndim == 0 and isinstance(first, int):
            raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` "
                             "in C++ to convert a 0-dim tensor to a number")
        if ndim == 0 and isinstance(first, slice):
            raise IndexError("slice() cannot be applied to a 0-dim tensor.")
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    basic, adv = [], []
    src = 0  # dim of the indexed tensor
    view = 0  # dim of the basic view
    for item in items:
        if item is None:
            basic.append(None)
            view += 1
        elif item is Ellipsis:
            n = min(ndim - specified, ndim - src)
            basic.extend([slice(None)] * n)
            src, view = src + n, view + n
        elif isinstance(item, bool):  # a new dim of size 1, indexed by [0] (True) or [] (False)
            basic.append(None)
            adv.append((view, np.zeros(1 if item else 0, np.int64)))
            view += 1
        elif isinstance(item, int):
            size = shape[src]
            if not -size <= item < size:
                raise IndexError(f"index {item} is out of bounds for dimension {src} with size {size}")
            basic.append(item)
            src += 1
        elif isinstance(item, slice):
            basic.append(item)
            src, view = src + 1, view + 1
        else:
            k = _width(item)
            basic.extend([slice(None)] * k)
            adv.append((view, item))
            src, view = src + k, view + k
    # a trailing Ellipsis keeps NumPy from turning a full integer index into a scalar copy instead of a view
    basic.append(Ellipsis)
    return tuple(basic), adv


def _is_trivial(basic: tuple) -> bool:
    """True when the basic part selects the whole tensor unchanged (only full slices)."""
    return all(i is Ellipsis or (isinstance(i, slice) and i == slice(None)) for i in basic)


def advanced_tuple(shape: tuple, adv: list) -> tuple:
    """A NumPy index tuple for the advanced parts of an index, checked as PyTorch checks them."""
    index = [slice(None)] * len(shape)
    arrays = []
    for dim, a in adv:
        if a.dtype == np.bool_:
            for j, n in enumerate(a.shape):
                if n != shape[dim + j]:
                    raise IndexError(f"The shape of the mask {list(a.shape)} at index {j} does not match the shape of "
                                     f"the indexed tensor {list(shape)} at index {dim + j}")
            for j, part in enumerate(np.nonzero(a)):
                index[dim + j] = part
                arrays.append((dim + j, part))
        else:
            index[dim] = a
            arrays.append((dim, a))
    if len(arrays) > 1:
        try:
            np.broadcast_shapes(*(a.shape for _, a in arrays))
        except ValueError:
            shapes = ", ".join(str(list(a.shape)) for _, a in arrays)
            raise IndexError(f"shape mismatch: indexing tensors could not be broadcast together with shapes "
                             f"{shapes}") from None
    for k, (dim, a) in enumerate(arrays):
        n = shape[dim]
        if a.size and (a.max() >= n or a.min() < -n):
            bad = a[(a >= n) | (a < -n)]
            raise IndexError(f"index {int(bad[0])} is out of bounds for dimension {k} with size {n}")
    return tuple(index)


def indexed_shape(shape: tuple, index: tuple) -> tuple:
    """Shape of array[index] for an index tuple from advanced_tuple."""
    pos = [d for d, i in enumerate(index) if isinstance(i, np.ndarray)]
    middle = np.broadcast_shapes(*(index[d].shape for d in pos))
    if pos == list(range(pos[0], pos[-1] + 1)):
        return shape[:pos[0]] + middle + shape[pos[-1] + 1:]
    return middle + tuple(n for d, n in enumerate(shape) if d not in pos)


# -- reading: t[index] --------------------------------------------------------------------------
class Index(Op):
    name = "IndexBackward0"

    @staticmethod
    def forward(ctx, a, index):
        ctx.in_shape, ctx.index = a.shape, index
        return a[index]

    @staticmethod
    def backward(ctx, g):
        return IndexPutAccumulate.apply(g, shape=ctx.in_shape, index=ctx.index)


class IndexPutAccumulate(Op):
    """zeros(shape) with g added at an advanced index (repeated indices accumulate)."""

    name = "IndexBackwardBackward0"

    @staticmethod
    def forward(ctx, g, shape, index):
        ctx.index = index
        out = np.zeros(shape, g.dtype)
        np.add.at(out, index, g)
        return out

    @staticmethod
    def backward(ctx, gg):
        return Index.apply(gg, index=ctx.index)


def getitem(self: Tensor, index) -> Tensor:
    """self[index] with PyTorch semantics; see Note [how an index is applied]."""
    if index.__class__ is int and self._data.ndim:  # fast path for the most common index
        size = self._data.shape[0]
        if not -size <= index < size:
            raise IndexError(f"index {index} is out of bounds for dimension 0 with size {size}")
        if not (STATE.enabled and self._requires_grad):
            return mark_view(_wrap(self._data[index, ...]), self)  # `...` keeps a 0-d result a view
        return basic_index(self, (index, Ellipsis))
    if index.__class__ is slice and index.step is None and self._data.ndim and \
            (index.start is None or index.start.__class__ is int) and \
            (index.stop is None or index.stop.__class__ is int) and not (STATE.enabled and self._requires_grad):
        part = self._data[index]
        if part.size:  # t[a:b] without a graph: NumPy's slice is PyTorch's (empty ones differ in offset)
            return mark_view(_wrap(part), self)
    basic, adv = parse_index(self._data.shape, index)
    if not adv:
        return basic_index(self, basic)
    view = self if _is_trivial(basic) else basic_index(self, basic)
    return Index.apply(view, index=advanced_tuple(view._data.shape, adv))


# -- writing: t[index] = value, index_put_ ------------------------------------------------------
class IndexPut(Op):
    name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, a, v, index, accumulate):
        ctx.index, ctx.accumulate = index, accumulate
        out = a.copy()
        if accumulate:
            np.add.at(out, index, v)
        else:
            out[index] = v
        return out

    @staticmethod
    def backward(ctx, g):
        # d/da: g where a was kept (everywhere when accumulating); d/dv: g at the written places
        ga = g if ctx.accumulate else IndexPut.apply(g, 0.0, index=ctx.index, accumulate=False)
        gv = Index.apply(g, index=ctx.index) if ctx.needs_input_grad[1] else None
        return ga, gv


def _strip_leading_ones(t: Tensor) -> Tensor:
    shape = t._data.shape
    k = 0
    while k < len(shape) and shape[k] == 1:
        k += 1
    return t.reshape(shape[k:]) if k else t


def index_put_inplace(target: Tensor, index: tuple, value: Tensor, accumulate: bool) -> Tensor:
    """target[index] = value (or +=) in place for a NumPy index tuple, with PyTorch's checks and autograd."""
    check_inplace_allowed(target)
    value = _prepare_value(target, index, value, accumulate)
    if STATE.enabled and (target._requires_grad or value._requires_grad):
        return commit_inplace(target, IndexPut.apply(target, value, index=index, accumulate=accumulate))
    if accumulate:
        np.add.at(target._data, index, value._data)
    else:
        target._data[index] = value._data
    target._bump_version()
    return target


def _value_tensor(self: Tensor, value) -> Tensor | int | float | bool:
    """The assigned value: a Tensor, or a Python number (converted later to self's dtype)."""
    if isinstance(value, Tensor):
        if value._data.__class__ is not self._data.__class__:
            value = value.to(self.device)
        return value
    if isinstance(value, (bool, int, float, np.number, np.bool_)):
        return value.item() if isinstance(value, (np.number, np.bool_)) else value
    raise TypeError(f"can't assign a {type(value).__name__} to a {self.type()}")


def _copy_to(dst: Tensor, value) -> None:
    """dst[...] = value for a basic (view) destination: fill_ for numbers, broadcasting copy_ for tensors."""
    if not isinstance(value, Tensor):
        dst.fill_(value)
        return
    if value._data.shape != dst._data.shape:
        value = _strip_leading_ones(value).expand(dst._data.shape)
    dst.copy_(value)


def setitem(self: Tensor, index, value) -> None:
    """self[index] = value, broadcasting value; recorded by autograd when needed."""
    value = _value_tensor(self, value)
    basic, adv = parse_index(self._data.shape, index)
    # PyTorch skips full slices here, so `x[:] = v` writes to x itself, not to a view of it
    target = self if _is_trivial(basic) else basic_index(self, basic)
    if not adv:
        _copy_to(target, value)
        return
    index = advanced_tuple(target._data.shape, adv)
    if not isinstance(value, Tensor):
        if not (STATE.enabled and target._requires_grad):  # fast path: a number needs no checks
            check_inplace_allowed(target)
            target._data[index] = value
            target._bump_version()
            return
        value = _wrap(np.asarray(value, dtype=self._data.dtype))
    index_put_inplace(target, index, value, accumulate=False)


Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem


def _index_put_tuple(input: Tensor, indices) -> tuple:
    """The NumPy index tuple for index_put's list of index tensors."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put(): argument 'indices' must be tuple of Tensors, not {type(indices).__name__}")
    adv, dim = [], 0
    for k, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 0, but got {type(t).__name__}")
        a = _index_array(t)
        adv.append((dim, a))
        dim += a.ndim if a.dtype == np.bool_ else 1
    ndim = input._data.ndim
    if dim > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim} (got {dim})")
    return advanced_tuple(input._data.shape, adv)


def _prepare_value(target: Tensor, index: tuple, value: Tensor, accumulate: bool) -> Tensor:
    """The value to write at target[index], checked (shape, dtype) as PyTorch's index_put_ does."""
    if not isinstance(value, Tensor):
        raise TypeError(f"index_put(): argument 'values' (position 2) must be Tensor, not {type(value).__name__}")
    masks = [i for i in index if isinstance(i, np.ndarray)]
    if not accumulate and value._data.size == 1 and len(masks) == 1 and masks[0].dtype == np.bool_:
        # PyTorch turns this case into masked_fill_, which casts the value
        value = value.reshape(())
        return value if value._data.dtype == target._data.dtype else value.to(target.dtype)
    result_shape = indexed_shape(target._data.shape, index)
    value = _strip_leading_ones(value)
    vshape = value._data.shape
    if len(vshape) > len(result_shape) or any(v not in (1, r) for v, r in zip(vshape[::-1], result_shape[::-1])):
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to "
                           f"indexing result of shape {list(result_shape)}")
    if value._data.dtype != target._data.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_scalar_name(target)} for the destination and {_scalar_name(value)} for the source.")
    return value


@declare()
def index_put(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """A copy of input with values written (or added, with accumulate) at the positions given by indices."""
    index = _index_put_tuple(input, indices)
    values = _prepare_value(input, index, values, accumulate)
    return IndexPut.apply(input, values, index=index, accumulate=accumulate)


@declare()
def index_put_(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """Write (or add, with accumulate) values into input at the positions given by indices."""
    return index_put_inplace(input, _index_put_tuple(input, indices), values, accumulate)


# -- masked_fill, index_fill, index_add, index_select, nonzero ----------------------------------
_CPP_TYPE = {"uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
             "int64": "long int", "float16": "c10::Half", "float32": "float", "float64": "double", "bool": "bool"}


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
        name = _CPP_TYPE.get(mask._data.dtype.name) if isinstance(mask, Tensor) else type(mask).__name__
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {name}")
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


def _check_in_range(idx: np.ndarray, size: int, dim: int, negative_ok: bool, error=IndexError) -> None:
    low = -size if negative_ok else 0
    if idx.size and (idx.max() >= size or idx.min() < low):
        bad = idx[(idx >= size) | (idx < low)]
        raise error(f"index {int(bad[0])} is out of bounds for dimension {dim} with size {size}")


class IndexFill(Op):
    name = "IndexFillBackward0"

    @staticmethod
    def forward(ctx, a, value, dim, index):
        ctx.dim, ctx.index = dim, index
        out = a.copy()
        out[(slice(None),) * dim + (index,)] = value
        return out

    @staticmethod
    def backward(ctx, g):
        idx = _wrap(ctx.index)
        # a filled-in tensor value gets the sum of g over the filled places
        gv = g.index_select(ctx.dim, idx).sum() if ctx.needs_input_grad[1] else None
        return g.index_fill(ctx.dim, idx, 0), gv


class IndexFillTensor(IndexFill):
    name = "IndexFillBackward1"


@declare(inplace=True)
def index_fill(input: Tensor, dim: int, index: Tensor, value) -> Tensor:
    """input with `value` written at the given indices along dim."""
    d = _wrap_dim(dim, input._data.ndim)
    if index._data.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if index._data.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value._data.ndim} dimension(s).")
    if input._data.ndim == 0:
        return index_fill(input.reshape(1), 0, index, value).reshape(())
    idx = index._data.reshape(-1)
    _check_in_range(idx, input._data.shape[d], d, negative_ok=True)
    if isinstance(value, Tensor):
        value = value if value._data.dtype == input._data.dtype else value.to(input.dtype)
        return IndexFillTensor.apply(input, value, dim=d, index=idx)
    return IndexFill.apply(input, value, dim=d, index=idx)


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
        gs = g.index_select(ctx.dim, _wrap(ctx.index))
        return g, (gs * ctx.alpha if ctx.alpha != 1 else gs)


def _without(shape: tuple, d: int) -> tuple:
    return shape[:d] + shape[d + 1:]


@declare(inplace=True)
def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha=1) -> Tensor:
    """input with alpha * source added at the given indices along dim (repeats accumulate)."""
    d = _wrap_dim(dim, input._data.ndim)
    if index._data.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: {index._data.ndim} with type: "
                         f"{_scalar_name(index)} and size: {list(index._data.shape)}")
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {_scalar_name(index)}")
    idx = index._data.reshape(-1)
    shape, sshape = input._data.shape, source._data.shape
    count = sshape[d] if source._data.ndim > d else 1
    if idx.size != count:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
                           f"({count}), for dim: {d}")
    if len(sshape) != len(shape) or _without(sshape, d) != _without(shape, d):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the specified dimension. "
                           f"Got self.shape = {list(shape)} source.shape = {list(sshape)}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"index_add_(): self ({_scalar_name(input)}) and source ({_scalar_name(source)}) must "
                           "have the same scalar type")
    if input._data.ndim == 0:
        return index_add(input.reshape(1), 0, index, source.reshape(1), alpha=alpha).reshape(())
    _check_in_range(idx, shape[d], d, negative_ok=False, error=RuntimeError)
    return IndexAdd.apply(input, source, dim=d, index=idx, alpha=alpha)


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
    d = _wrap_dim(dim, input._data.ndim)
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    idx = index._data.reshape(-1)
    if input._data.ndim == 0:
        if idx.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)")
        return input.reshape(1).index_select(0, index).reshape(())
    n = input._data.shape[d]
    if idx.size and (idx.max() >= n or idx.min() < 0):
        raise IndexError("index out of range in self")
    return IndexSelect.apply(input, dim=d, index=idx)
