"""View ops against PyTorch: values, gradients, node names, strides/offsets, shared memory, errors."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.helpers import assert_same, check_op, make_array


def _outs(r):
    return list(r) if isinstance(r, (tuple, list)) else [r]


def _pair(shape, dtype="float64", noncontig=False, requires_grad=False):
    """The same data as an ember and a torch tensor with the same layout (strided when noncontig)."""
    a = make_array(shape, dtype)
    if noncontig and shape:
        wide = np.zeros(tuple(shape[:-1]) + (shape[-1] * 2,), a.dtype)
        wide[..., ::2] = a
        e, t = ember.from_numpy(wide.copy())[..., ::2], torch.from_numpy(wide.copy())[..., ::2]
    else:
        e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    if requires_grad:
        e, t = e.detach().requires_grad_(), t.detach().requires_grad_()
    return e, t


def check_view(fn, shape, dtype="float64", noncontig=False, shares=True):
    """fn is a view op: values and gradients, node names, and PyTorch's strides, offsets and aliasing."""
    check_op(fn, [shape], dtype=dtype, noncontig=noncontig)
    e, t = _pair(shape, dtype, noncontig)
    e_base, t_base = e._base if e._base is not None else e, t._base if t._base is not None else t
    e_out, t_out = _outs(fn(e)), _outs(fn(t))
    assert_same(e_out, t_out)
    for eo, to in zip(e_out, t_out):
        assert eo.stride() == to.stride(), (eo.stride(), to.stride())
        assert eo.storage_offset() == to.storage_offset()
        if shares and to.numel() and 0 not in to.stride():
            eo.add_(1)
            to.add_(1)
    assert_same(e_base, t_base)  # writes through the views reached the base in both libraries
    if dtype.startswith("float"):
        e, t = _pair(shape, dtype, noncontig, requires_grad=True)
        names = [o.grad_fn.name() if o.grad_fn else None for o in _outs(fn(e))]
        assert names == [type(o.grad_fn).__name__ if o.grad_fn else None for o in _outs(fn(t))]


# (description, fn, input shape, shares memory with the input)
VIEWS = [
    ("view", lambda x: x.view(3, 4), (2, 6), True),
    ("view infer", lambda x: x.view(-1), (2, 6), True),
    ("view tuple infer", lambda x: x.view((4, -1)), (2, 6), True),
    ("view list", lambda x: x.view([2, 2, 3]), (12,), True),
    ("view 0-dim to 1", lambda x: x.view(1), (), True),
    ("view to 0-dim", lambda x: x.view(()), (1,), True),
    ("view empty", lambda x: x.view(-1, 3), (0, 3), True),
    ("view_as", lambda x: x.view_as(x.reshape(3, 2)), (2, 3), True),
    ("view size keyword", lambda x: x.view(size=(3, 2)), (2, 3), True),
    ("reshape shape keyword", lambda x: x.reshape(shape=(3, -1)), (2, 3), True),
    ("permute dims keyword", lambda x: x.permute(dims=(1, 0)), (2, 3), True),
    ("expand size keyword", lambda x: x.expand(size=(2, 2, 3)), (2, 3), False),
    ("reshape view", lambda x: x.reshape(3, 2), (2, 3), True),
    ("reshape function", lambda x: torch.reshape(x, (6,)) if isinstance(x, torch.Tensor) else ember.reshape(x, (6,)),
     (2, 3), True),
    ("reshape_as", lambda x: x.reshape_as(x.view(6)), (2, 3), True),
    ("flatten", lambda x: x.flatten(), (2, 3, 4), True),
    ("flatten start", lambda x: x.flatten(1), (2, 3, 4), True),
    ("flatten range", lambda x: x.flatten(-3, -2), (2, 3, 4), True),
    ("flatten 0-dim", lambda x: x.flatten(), (), True),
    ("unflatten", lambda x: x.unflatten(1, (2, 3)), (4, 6), True),
    ("unflatten infer", lambda x: x.unflatten(-1, (-1, 2)), (4, 6), True),
    ("ravel", lambda x: x.ravel(), (2, 3), True),
    ("squeeze all", lambda x: x.squeeze(), (1, 3, 1), True),
    ("squeeze dim", lambda x: x.squeeze(0), (1, 3, 1), True),
    ("squeeze non-1 dim", lambda x: x.squeeze(1), (1, 3, 1), True),
    ("squeeze negative", lambda x: x.squeeze(-1), (1, 3, 1), True),
    ("squeeze tuple", lambda x: x.squeeze((0, 2)), (1, 3, 1), True),
    ("squeeze 0-dim", lambda x: x.squeeze(0), (), True),
    ("unsqueeze front", lambda x: x.unsqueeze(0), (2, 3), True),
    ("unsqueeze middle", lambda x: x.unsqueeze(1), (2, 3), True),
    ("unsqueeze end", lambda x: x.unsqueeze(-1), (2, 3), True),
    ("unsqueeze 0-dim", lambda x: x.unsqueeze(0), (), True),
    ("transpose", lambda x: x.transpose(0, 2), (2, 3, 4), True),
    ("transpose negative", lambda x: x.transpose(-1, -2), (2, 3, 4), True),
    ("transpose 0-dim", lambda x: x.transpose(0, -1), (), True),
    ("swapaxes", lambda x: x.swapaxes(0, 1), (2, 3), True),
    ("swapdims", lambda x: x.swapdims(1, 0), (2, 3), True),
    ("t", lambda x: x.t(), (2, 3), True),
    ("t 1-d", lambda x: x.t(), (3,), True),
    ("permute", lambda x: x.permute(2, 0, 1), (2, 3, 4), True),
    ("permute tuple negative", lambda x: x.permute((-1, 0, 1)), (2, 3, 4), True),
    ("movedim", lambda x: x.movedim(0, -1), (2, 3, 4), True),
    ("movedim tuple", lambda x: x.movedim((0, 1), (2, 0)), (2, 3, 4), True),
    ("moveaxis", lambda x: x.moveaxis(-1, 0), (2, 3, 4), True),
    ("T", lambda x: x.T, (2, 3), True),
    ("mT", lambda x: x.mT, (2, 3, 4), True),
    ("H", lambda x: x.H, (2, 3), True),
    ("mH", lambda x: x.mH, (2, 3, 4), True),
    ("adjoint", lambda x: x.adjoint(), (2, 3, 4), True),
    ("expand", lambda x: x.expand(2, 3, 4), (3, 1), False),
    ("expand keep", lambda x: x.expand(-1, 5), (3, 1), False),
    ("expand same", lambda x: x.expand(3, 1), (3, 1), True),
    ("expand 0-dim", lambda x: x.expand(2, 2), (), False),
    ("broadcast_to", lambda x: x.broadcast_to((2, 3, 4)), (3, 4), False),
    ("expand_as", lambda x: x.expand_as(x.new_zeros(2, 3)), (3,), False),
    ("narrow", lambda x: x.narrow(1, 1, 2), (2, 4), True),
    ("narrow negative start", lambda x: x.narrow(0, -2, 1), (3, 4), True),
    ("narrow length 0", lambda x: x.narrow(1, 4, 0), (2, 4), True),
    ("select", lambda x: x.select(1, -1), (2, 4), True),
    ("select 1-d", lambda x: x.select(0, 2), (4,), True),
    ("diagonal", lambda x: x.diagonal(), (3, 4), True),
    ("diagonal offset", lambda x: x.diagonal(1), (3, 4), True),
    ("diagonal below", lambda x: x.diagonal(-1), (3, 4), True),
    ("diagonal out of range", lambda x: x.diagonal(5), (3, 4), True),
    ("diagonal dims", lambda x: x.diagonal(1, 2, 0), (2, 3, 4), True),
    ("diagonal negative dims", lambda x: x.diagonal(-1, -1, -2), (2, 3, 4), True),
    ("index int", lambda x: x[1], (3, 4), True),
    ("index slice", lambda x: x[:, 1:], (3, 4), True),
    ("index step", lambda x: x[::2, 1::2], (3, 4), True),
    ("index None", lambda x: x[None], (3, 4), True),
    ("index None middle", lambda x: x[:, None], (3, 4), True),
    ("index ellipsis None", lambda x: x[..., None], (3, 4), True),
    ("index int None", lambda x: x[0, None], (3, 4), True),
    ("index empty slice", lambda x: x[2:1], (3, 4), True),
    ("index ellipsis", lambda x: x[...], (3, 4), True),
    ("as_strided", lambda x: x.as_strided((2, 2), (1, 2)), (3, 4), True),
    ("as_strided offset", lambda x: x.as_strided((3,), (4,), 1), (3, 4), True),
    ("as_strided of a view", lambda x: x[1].as_strided((2,), (2,)), (3, 4), True),
    ("unbind", lambda x: x.unbind(1), (2, 3), True),
    ("iterate", lambda x: tuple(x), (3, 2), True),
    ("split even", lambda x: x.split(2), (4, 3), True),
    ("split uneven", lambda x: x.split(2, dim=1), (2, 5), True),
    ("split sizes", lambda x: x.split([1, 3], -1), (2, 4), True),
    ("split bigger than dim", lambda x: x.split(10), (3, 2), True),
    ("split_with_sizes", lambda x: x.split_with_sizes([2, 0, 1]), (3, 2), True),
    ("chunk", lambda x: x.chunk(3), (7, 2), True),
    ("chunk more than size", lambda x: x.chunk(5, 1), (2, 3), True),
    ("chunk of empty", lambda x: x.chunk(3), (0, 2), True),
    ("tensor_split sections", lambda x: x.tensor_split(3), (7, 2), True),
    ("tensor_split indices", lambda x: x.tensor_split([1, 5, 0], 1), (2, 3), True),
]


@pytest.mark.parametrize("desc,fn,shape,shares", VIEWS, ids=[c[0] for c in VIEWS])
def test_view_float64(desc, fn, shape, shares):
    check_view(fn, shape, shares=shares)


@pytest.mark.parametrize("desc,fn,shape,shares", VIEWS[::3], ids=[c[0] for c in VIEWS[::3]])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_view_other_dtypes(desc, fn, shape, shares, dtype):
    check_view(fn, shape, dtype=dtype, shares=shares and dtype == "float32")


NONCONTIG = [
    ("view keeping last dim", lambda x: x.view(2, 2, 3), (4, 3)),
    ("reshape alias", lambda x: x.reshape(-1), (4, 3)),
    ("reshape copies", lambda x: x.t().reshape(-1), (4, 3)),
    ("flatten copies", lambda x: x.t().flatten(), (2, 3)),
    ("ravel copies", lambda x: x.ravel(), (2, 3)),
    ("transpose", lambda x: x.transpose(0, 1), (4, 3)),
    ("expand", lambda x: x.expand(2, 4, 3), (4, 3)),
    ("diagonal", lambda x: x.diagonal(), (3, 3)),
    ("split", lambda x: x.split(2, 1), (2, 3)),
    ("select", lambda x: x[:, 1], (2, 3)),
    ("unsqueeze", lambda x: x.unsqueeze(1), (2, 3)),
]


@pytest.mark.parametrize("desc,fn,shape", NONCONTIG, ids=[c[0] for c in NONCONTIG])
def test_view_noncontiguous_input(desc, fn, shape):
    check_view(fn, shape, noncontig=True, shares=not desc.endswith("copies"))


def test_reshape_of_noncontiguous_copies():
    e, t = _pair((2, 3), requires_grad=True)
    er, tr = e.t().reshape(6), t.t().reshape(6)
    assert er.grad_fn.name() == type(tr.grad_fn).__name__ == "UnsafeViewBackward0"
    base = ember.zeros(2, 3)
    r = base.t().reshape(6)
    r.add_(1)
    assert base.sum().item() == 0  # a copy: the base is untouched


def test_views_of_arrays_with_foreign_strides():
    # from_numpy of an overlapping strided array: its memory owner is not a plain contiguous buffer
    wide = np.arange(10.0)
    a = np.lib.stride_tricks.as_strided(wide, (3, 3), (8, 8))
    e, t = ember.from_numpy(a), torch.from_numpy(wide.copy()).as_strided((3, 3), (1, 1))
    for fn in (lambda x: x[1:, None], lambda x: x.diagonal(1), lambda x: x[2:1], lambda x: x.t()[0]):
        assert_same(fn(e), fn(t))
        assert fn(e).stride() == fn(t).stride()


def test_views_share_the_version_counter():
    for m in (ember, torch):
        x = m.zeros(2, 3)
        v = x.t()[1]
        v.add_(1)
        assert x._version == v._version == 1
        assert x[0, 1].item() == 1.0


def test_view_of_transposed_raises():
    with pytest.raises(RuntimeError, match=re.escape("view size is not compatible with input tensor's size and "
                                                     "stride (at least one dimension spans across two contiguous "
                                                     "subspaces). Use .reshape(...) instead.")):
        ember.zeros(3, 4).t().view(12)


ERRORS = [
    (lambda x: x.view(3, 5), (3, 4), RuntimeError, "shape '[3, 5]' is invalid for input of size 12"),
    (lambda x: x.view(-1, -1), (3, 4), RuntimeError, "only one dimension can be inferred"),
    (lambda x: x.view(-2, 6), (3, 4), RuntimeError, "invalid shape dimension -2"),
    (lambda x: x.view(-1, 5), (3, 4), RuntimeError, "shape '[-1, 5]' is invalid for input of size 12"),
    (lambda x: x.view(0, -1), (0, 4), RuntimeError, "cannot reshape tensor of 0 elements into shape [0, -1]"),
    (lambda x: x.reshape(5), (3, 4), RuntimeError, "shape '[5]' is invalid for input of size 12"),
    (lambda x: x.flatten(1, 0), (3, 4), RuntimeError, "flatten() has invalid args: start_dim cannot come after "
                                                      "end_dim"),
    (lambda x: x.unflatten(1, (3, 2)), (3, 4), RuntimeError, "unflatten: Provided sizes [3, 2] don't multiply up "
                                                             "to the size of dim 1 (4) in the input tensor"),
    (lambda x: x.unflatten(1, ()), (3, 4), RuntimeError, "unflatten: sizes must be non-empty"),
    (lambda x: x.squeeze((0, 0)), (1, 4), RuntimeError, "dim 0 appears multiple times in the list of dims"),
    (lambda x: x.unsqueeze(3), (3, 4), IndexError, "Dimension out of range (expected to be in range of [-3, 2], "
                                                   "but got 3)"),
    (lambda x: x.transpose(0, 2), (3, 4), IndexError, "Dimension out of range"),
    (lambda x: x.permute(0), (3, 4), RuntimeError, "number of dimensions in the tensor input does not match the "
                                                   "length of the desired ordering of dimensions i.e. input.dim() "
                                                   "= 2 is not equal to len(dims) = 1"),
    (lambda x: x.permute(1, -1), (3, 4), RuntimeError, "permute(): duplicate dims are not allowed."),
    (lambda x: x.t(), (2, 3, 4), RuntimeError, "t() expects a tensor with <= 2 dimensions, but self is 3D"),
    (lambda x: x.movedim((0, 1), (0,)), (3, 4), RuntimeError, "movedim: Invalid source or destination dims: "
     "source ([0, 1] dims) should contain the same number of dims as destination ([0] dims)"),
    (lambda x: x.movedim((0, -2), (0, 1)), (3, 4), RuntimeError, "movedim: repeated dim in `source` ([0, -2])"),
    (lambda x: x.movedim((0, 1), (1, 1)), (3, 4), RuntimeError, "movedim: repeated dim in `destination` ([1, 1])"),
    (lambda x: x.mT, (4,), RuntimeError, "tensor.mT is only supported on matrices or batches of matrices. Got 1-D "
                                         "tensor."),
    (lambda x: x.H, (2, 3, 4), RuntimeError, "tensor.H is only supported on matrices (2-D tensors). Got 3-D tensor. "
                                             "For batches of matrices, consider using tensor.mH"),
    (lambda x: x.adjoint(), (4,), RuntimeError, "tensor.adjoint() is only supported on matrices or batches of "
                                                "matrices. Got 1-D tensor."),
    (lambda x: x.expand(3), (3, 4), RuntimeError, "FloatTensor{[3, 4]}, size=[3]): the number of sizes provided (1) "
                                                  "must be greater or equal to the number of dimensions in the "
                                                  "tensor (2)"),
    (lambda x: x.expand(3, 5), (3, 4), RuntimeError, "The expanded size of the tensor (5) must match the existing "
                                                     "size (4) at non-singleton dimension 1.  Target sizes: [3, 5].  "
                                                     "Tensor sizes: [3, 4]"),
    (lambda x: x.expand(-1, 3, 4), (3, 4), RuntimeError, "The expanded size of the tensor (-1) isn't allowed in a "
                                                         "leading, non-existing dimension 0"),
    (lambda x: x.narrow(1, 5, 1), (3, 4), IndexError, "start out of range (expected to be in range of [-4, 4], but "
                                                      "got 5)"),
    (lambda x: x.narrow(1, -5, 1), (3, 4), IndexError, "but got -5)"),
    (lambda x: x.narrow(1, 3, 2), (3, 4), RuntimeError, "start (3) + length (2) exceeds dimension size (4)."),
    (lambda x: x.narrow(1, 0, -1), (3, 4), RuntimeError, "narrow(): length must be non-negative."),
    (lambda x: x.narrow(0, 0, 1), (), RuntimeError, "narrow() cannot be applied to a 0-dim tensor."),
    (lambda x: x.select(1, 4), (3, 4), IndexError, "select(): index 4 out of range for tensor of size [3, 4] at "
                                                   "dimension 1"),
    (lambda x: x.select(0, 0), (), IndexError, "select() cannot be applied to a 0-dim tensor."),
    (lambda x: x.diagonal(0, 1, -1), (3, 4), RuntimeError, "diagonal dimensions cannot be identical 1, -1"),
    (lambda x: x.diagonal(), (4,), IndexError, "Dimension out of range"),
    (lambda x: x.unbind(), (), IndexError, "Dimension specified as 0 but tensor has no dimensions"),
    (lambda x: x.split(0, 1), (3, 4), RuntimeError, "split_size can only be 0 if dimension size is 0, but got "
                                                    "dimension size of 4"),
    (lambda x: x.split(-1), (3, 4), RuntimeError, "split expects split_size be non-negative, but got "
                                                  "split_size=-1"),
    (lambda x: x.split([1, 1]), (3, 4), RuntimeError, "split_with_sizes expects split_sizes to sum exactly to 3 "
                                                      "(input tensor's size at dimension 0), but got "
                                                      "split_sizes=[1, 1]"),
    (lambda x: x.split([-1, 4]), (3, 4), RuntimeError, "split_with_sizes expects split_sizes have only "
                                                       "non-negative entries, but got split_sizes=[-1, 4]"),
    (lambda x: x.split(1), (), RuntimeError, "split expects at least a 1-dimensional tensor"),
    (lambda x: x.chunk(0), (3, 4), RuntimeError, "chunk expects `chunks` to be greater than 0, got: 0"),
    (lambda x: x.chunk(2), (), RuntimeError, "chunk expects at least a 1-dimensional tensor"),
    (lambda x: x.tensor_split(0), (3, 4), RuntimeError, "number of sections must be larger than 0, got 0"),
    (lambda x: x.tensor_split(2), (), RuntimeError, "tensor_split expected at least a 1-dimensional tensor, but "
                                                    "got a tensor with 0 dims"),
    (lambda x: x.as_strided((3, 3), (3, 1)), (2, 3), RuntimeError, "setStorage: sizes [3, 3], strides [3, 1], "
     "storage offset 0, and itemsize 4 requiring a storage size of 36 are out of bounds for storage of size 24"),
    (lambda x: x.as_strided((2,), (-1,)), (2, 3), RuntimeError, "as_strided: Negative strides are not supported at "
                                                                "the moment, got strides: [-1]"),
    (lambda x: x.as_strided((2,), (1, 1)), (2, 3), RuntimeError, "mismatch in length of strides and shape"),
]


@pytest.mark.parametrize("fn,shape,exc,message", ERRORS)
def test_errors_match_pytorch(fn, shape, exc, message):
    with pytest.raises(exc, match=re.escape(message)):
        fn(torch.zeros(shape))
    with pytest.raises(exc, match=re.escape(message)):
        fn(ember.zeros(shape))


@pytest.mark.parametrize("fn", [lambda x: x.view(3, 5), lambda x: x.expand(3), lambda x: x.narrow(1, 5, 1)])
def test_errors_with_grad(fn):
    with pytest.raises((RuntimeError, IndexError)):
        fn(ember.zeros(3, 4, requires_grad=True))


# -- view(dtype) ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("src,dst,shape", [("int32", "int16", (2, 3)), ("int32", "int64", (3, 4)),
                                           ("float32", "int32", (2, 3)), ("float64", "float32", (4,)),
                                           ("int16", "int16", ())])
def test_view_dtype_reinterprets_memory(src, dst, shape):
    e, t = _pair(shape, src)
    edt, tdt = getattr(ember, dst), getattr(torch, dst)
    ev, tv = e.view(edt), t.view(tdt)
    assert_same(ev, tv)
    assert ev.stride() == tv.stride()
    ev.fill_(3)
    tv.fill_(3)
    assert_same(e, t)


def test_view_dtype_is_not_differentiable():
    x = ember.ones(2, 3, requires_grad=True)
    v = x.view(ember.float32)
    assert not v.requires_grad and v.grad_fn is None


@pytest.mark.parametrize("fn,message", [
    (lambda x, m: x.t().view(m.int64), "self.size(-1) must be divisible by 2 to view Int as Long"),
    (lambda x, m: x[:, ::2].view(m.int64), "self.stride(-1) must be 1 to view Int as Long (different element "
                                           "sizes), but got 2"),
    (lambda x, m: x[:, 1:3].view(m.int64), "self.storage_offset() must be divisible by 2 to view Int as Long"),
    (lambda x, m: x[0, 0].view(m.int8), "self.dim() cannot be 0 to view Int as Char (different element sizes)"),
])
def test_view_dtype_errors(fn, message):
    for m in (torch, ember):
        with pytest.raises(RuntimeError, match=re.escape(message)):
            fn(m.arange(12, dtype=m.int32).view(3, 4), m)


# -- split / chunk / iteration edge cases ---------------------------------------------------------------------
@pytest.mark.parametrize("fn,shape", [
    (lambda x: x.split(0), (0, 3)),
    (lambda x: x.split(2), (0, 3)),
    (lambda x: x.split(2), (1, 3)),
    (lambda x: x.split([0, 1, 0]), (1, 3)),
    (lambda x: x.chunk(4, 1), (1, 3)),
    (lambda x: x.chunk(2), (0, 3)),
    (lambda x: x.chunk(2), (1, 3)),
    (lambda x: x.tensor_split(4, 1), (1, 3)),
    (lambda x: x.tensor_split(2), (0, 3)),
    (lambda x: x.tensor_split([0, 0, 2], 1), (1, 3)),
    (lambda x: x.tensor_split([-1], 1), (1, 3)),
    (lambda x: x.unbind(0), (0, 3)),
])
def test_split_shapes_on_empty_and_small(fn, shape):
    e, t = _pair(shape)
    e_out, t_out = fn(e), fn(t)
    assert [tuple(o.shape) for o in e_out] == [tuple(o.shape) for o in t_out]
    assert [o.storage_offset() for o in e_out] == [o.storage_offset() for o in t_out]


def test_tensor_split_with_tensor_indices():
    e, t = _pair((3, 7))
    for arg in ([2, 5], 3):
        assert_same(e.tensor_split(ember.tensor(arg), 1), t.tensor_split(torch.tensor(arg), 1))
    with pytest.raises(RuntimeError, match="to have dtype of long, but got Float"):
        e.tensor_split(ember.tensor([1.0]))
    with pytest.raises(RuntimeError, match="zero-dimensional or one-dimensional tensor, but got a tensor with 2"):
        e.tensor_split(ember.tensor([[1]]))


def test_iteration_yields_row_views():
    e, t = _pair((3, 2))
    rows = [r for r in e]
    assert_same(rows, [r for r in t])
    rows[1].fill_(7)
    assert e[1].tolist() == [7.0, 7.0]
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(ember.tensor(1.0))


def test_in_place_shape_ops_change_the_tensor_itself():
    for fn in (lambda x: x.t_(), lambda x: x.transpose_(0, 1), lambda x: x.swapdims_(0, 1),
               lambda x: x.unsqueeze_(1), lambda x: x.unsqueeze_(0).squeeze_(), lambda x: x.as_strided_((2,), (2,)),
               lambda x: x.unsqueeze_(0).squeeze_((0,)), lambda x: x.unsqueeze_(0).squeeze_(0)):
        e, t = _pair((2, 3), requires_grad=True)
        e2, t2 = e * 1, t * 1
        assert fn(e2) is e2 and fn(t2) is t2
        assert_same(e2, t2)
        assert e2.stride() == t2.stride()
        assert e2.grad_fn.name() == type(t2.grad_fn).__name__
        e2.backward(ember.ones_like(e2))
        t2.backward(torch.ones_like(t2))
        assert_same(e.grad, t.grad)


def test_in_place_shape_op_on_leaf_requiring_grad_raises():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        ember.zeros(2, 3, requires_grad=True).t_()


# -- warnings -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,message", [
    ((3,), "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated"),
    ((), "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."),
])
def test_T_warns_like_pytorch(shape, message):
    x = ember.zeros(shape)
    with pytest.warns(UserWarning, match=re.escape(message)):
        out = x.T
    assert out.shape == x.shape


@pytest.mark.parametrize("attr", ["mT", "mH", "H"])
def test_matrix_transposes_are_identity_on_0_dim(attr):
    x = ember.tensor(2.0)
    with pytest.warns(UserWarning, match="deprecated on 0-D tensors"):
        assert getattr(x, attr) is x


def test_T_of_matrix_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ember.zeros(2, 3).T.shape == (3, 2)


# -- in-place ops through views: gradients of the base -------------------------------------------------------------
def _t_row(x):
    y = x.clone()
    y.t()[0].mul_(2)
    return y


def _diag_mul(x):
    y = x * 1
    y.diagonal().mul_(3)
    return y


def _transposed_mul(x):
    y = x * 1
    v = y.transpose(0, 1)
    v.mul_(3)
    return v


def _permuted_zero(x):
    y = x * 1
    y.permute(1, 0)[::2].zero_()
    return y


def _narrow_then_base(x):
    y = x * 1
    v = y.narrow(1, 1, 2)
    y.mul_(2)
    return v


def _row_add(x):
    y = x * 1
    r = y[1]
    r.add_(x[0])
    return y * r.sum()


def _view_square(x):
    y = x * 2
    v = y.view(12)
    v[3:5].mul_(2)
    return y * v.view(3, 4)


def _squeezed_view(x):
    y = x * 1
    y.unsqueeze(0)[0, :, 1].sub_(x[:, 0])
    return y


def _as_strided_write(x):
    y = x * 1
    y.as_strided((2, 2), (1, 4), 1).mul_(5)
    return y


@pytest.mark.parametrize("fn", [_t_row, _diag_mul, _transposed_mul, _permuted_zero, _narrow_then_base, _row_add,
                                _view_square, _squeezed_view, _as_strided_write])
def test_in_place_on_view_gives_pytorch_gradients(fn):
    check_op(fn, [(3, 4)])


def test_in_place_through_view_of_saved_output_raises():
    y = ember.ones(3, 4, requires_grad=True).exp()
    y.view(12)[3:5].mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# -- gradients of gradients ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda x: (x.t()[0] ** 2).sum(),
    lambda x: (x.diagonal(1) ** 3).sum(),
    lambda x: (x.as_strided((2, 2), (1, 3), 1) ** 2).sum(),
    lambda x: (x.unsqueeze(0).expand(2, 3, 4) ** 2).sum(),
    lambda x: sum((p ** 3).sum() for p in x.split([1, 2])),
    lambda x: sum((r ** 3).sum() for r in x.unbind(1)),
])
def test_double_backward(fn):
    a = make_array((3, 4))
    e = ember.from_numpy(a.copy()).requires_grad_()
    t = torch.from_numpy(a.copy()).requires_grad_()
    (ge,) = ember.autograd.grad(fn(e), e, create_graph=True)
    (gt,) = torch.autograd.grad(fn(t), t, create_graph=True)
    assert_same(ge, gt)
    (hge,) = ember.autograd.grad((ge * ge).sum(), e)
    (hgt,) = torch.autograd.grad((gt * gt).sum(), t)
    assert_same(hge, hgt)


@pytest.mark.parametrize("lib", [ember, torch])
def test_inplace_on_multi_view_output_raises(lib):
    x = lib.ones(4, requires_grad=True)
    y = x * 1
    with pytest.raises(RuntimeError, match="Output 1 of Split is a view and is being modified inplace"):
        y.split(2)[1].mul_(2)
