"""flip, roll, rot90, repeat, tile, repeat_interleave, tril/triu, diag, diag_embed, trace against PyTorch."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import ember
from tests.helpers import assert_same, check_op, make_array


def lib(x):
    """The library a tensor belongs to, so one lambda can call module functions of both."""
    return torch if isinstance(x, torch.Tensor) else ember


CASES = [
    ("flip", lambda x: x.flip(0), (3, 4)),
    ("flip tuple", lambda x: x.flip((0, -1)), (2, 3, 4)),
    ("flip list", lambda x: lib(x).flip(x, [1]), (2, 3, 4)),
    ("flip no dims", lambda x: x.flip(()), (2, 3)),
    ("flip 0-dim", lambda x: x.flip(0), ()),
    ("flip empty", lambda x: x.flip(1), (0, 3)),
    ("fliplr", lambda x: x.fliplr(), (2, 3, 2)),
    ("flipud", lambda x: lib(x).flipud(x), (3,)),
    ("roll flat", lambda x: x.roll(2), (3, 4)),
    ("roll flat list", lambda x: x.roll([-5]), (3, 4)),
    ("roll dim", lambda x: x.roll(1, 1), (3, 4)),
    ("roll negative", lambda x: x.roll(-1, -2), (3, 4)),
    ("roll tuple", lambda x: x.roll((1, 7), (0, 1)), (3, 4)),
    ("roll same dim twice", lambda x: x.roll((1, 1), (1, 1)), (3, 4)),
    ("roll 0-dim", lambda x: x.roll(1), ()),
    ("roll empty", lambda x: x.roll(1, 0), (0, 3)),
    ("rot90", lambda x: x.rot90(), (2, 3)),
    ("rot90 twice", lambda x: lib(x).rot90(x, 2), (2, 3)),
    ("rot90 three", lambda x: x.rot90(3, [1, 0]), (2, 3)),
    ("rot90 negative", lambda x: x.rot90(-1), (2, 3)),
    ("rot90 zero", lambda x: x.rot90(0), (2, 3)),
    ("rot90 five 3-d", lambda x: x.rot90(5, (0, -1)), (2, 3, 4)),
    ("repeat", lambda x: x.repeat(2, 3), (2, 3)),
    ("repeat new dims", lambda x: x.repeat(2, 1, 3), (2, 3)),
    ("repeat tuple", lambda x: x.repeat((1, 2)), (2, 3)),
    ("repeat keyword", lambda x: x.repeat(repeats=(2, 1)), (2, 3)),
    ("repeat zero", lambda x: x.repeat(0, 2), (2, 3)),
    ("repeat 0-dim", lambda x: x.repeat(3), ()),
    ("repeat 0-dim nothing", lambda x: x.repeat(()), ()),
    ("tile short dims", lambda x: x.tile((2,)), (2, 3)),
    ("tile long dims", lambda x: lib(x).tile(x, (2, 1, 2)), (2, 3)),
    ("tile 0-dim", lambda x: x.tile((2, 2)), ()),
    ("repeat_interleave flat", lambda x: x.repeat_interleave(2), (2, 3)),
    ("repeat_interleave dim", lambda x: x.repeat_interleave(3, dim=1), (2, 3)),
    ("repeat_interleave negative dim", lambda x: x.repeat_interleave(1, -2), (2, 3)),
    ("repeat_interleave zero", lambda x: x.repeat_interleave(0, 0), (2, 3)),
    ("repeat_interleave 0-dim", lambda x: x.repeat_interleave(3), ()),
    ("repeat_interleave tensor", lambda x: x.repeat_interleave(lib(x).tensor([1, 0, 2]), dim=1), (2, 3)),
    ("repeat_interleave tensor flat", lambda x: lib(x).repeat_interleave(x, lib(x).tensor([1, 2, 0, 1])), (2, 2)),
    ("repeat_interleave 1-elem tensor", lambda x: x.repeat_interleave(lib(x).tensor([2]), dim=0), (2, 3)),
    ("repeat_interleave output_size", lambda x: x.repeat_interleave(lib(x).tensor([3, 1]), dim=0, output_size=4),
     (2, 3)),
    ("tril", lambda x: x.tril(), (3, 4)),
    ("tril offset", lambda x: lib(x).tril(x, 1), (3, 4)),
    ("tril below", lambda x: x.tril(-1), (4, 3)),
    ("tril batched", lambda x: x.tril(), (2, 3, 3)),
    ("tril far", lambda x: x.tril(-5), (3, 4)),
    ("tril empty", lambda x: x.tril(), (0, 3)),
    ("triu", lambda x: x.triu(), (3, 4)),
    ("triu offset", lambda x: lib(x).triu(x, 2), (3, 4)),
    ("triu batched negative", lambda x: x.triu(-1), (2, 4, 3)),
    ("diag of vector", lambda x: lib(x).diag(x), (3,)),
    ("diag of vector above", lambda x: x.diag(2), (3,)),
    ("diag of vector below", lambda x: x.diag(-1), (3,)),
    ("diag of matrix", lambda x: x.diag(), (3, 4)),
    ("diag of matrix above", lambda x: x.diag(1), (3, 4)),
    ("diag of matrix below", lambda x: x.diag(-2), (3, 4)),
    ("diag of matrix outside", lambda x: x.diag(6), (3, 4)),
    ("diag of empty vector", lambda x: x.diag(), (0,)),
    ("diag_embed", lambda x: lib(x).diag_embed(x), (2, 3)),
    ("diag_embed offset dims", lambda x: x.diag_embed(1, 0, 2), (2, 3)),
    ("diag_embed negative", lambda x: x.diag_embed(-1, -1, -3), (2, 3)),
    ("diag_embed 1-d", lambda x: x.diag_embed(), (4,)),
    ("trace", lambda x: x.trace(), (3, 3)),
    ("trace wide", lambda x: lib(x).trace(x), (2, 5)),
    ("trace tall", lambda x: x.trace(), (4, 2)),
    ("trace empty", lambda x: x.trace(), (0, 3)),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("desc,fn,shape", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_values_and_gradients(desc, fn, shape, dtype):
    check_op(fn, [shape], dtype=dtype)


@pytest.mark.parametrize("desc,fn,shape", CASES[::2], ids=IDS[::2])
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_other_dtypes(desc, fn, shape, dtype):
    if desc.startswith("trace") and dtype == "bool":
        return  # PyTorch's trace rejects bool (tested below)
    check_op(fn, [shape], dtype=dtype)


@pytest.mark.parametrize("desc,fn,shape", [c for c in CASES if len(c[2]) >= 2][::2],
                         ids=[c[0] for c in CASES if len(c[2]) >= 2][::2])
def test_noncontiguous_input(desc, fn, shape):
    check_op(fn, [shape], noncontig=True)


@pytest.mark.parametrize("desc,fn,shape", CASES, ids=IDS)
def test_node_names_and_layout(desc, fn, shape):
    a = make_array(shape)
    e, t = ember.from_numpy(a.copy()).requires_grad_(), torch.from_numpy(a.copy()).requires_grad_()
    eo, to = fn(e), fn(t)
    assert eo.grad_fn.name() == type(to.grad_fn).__name__
    if to.numel():
        assert eo.stride() == to.stride()


@pytest.mark.parametrize("fn", [lambda x: x.flip(1), lambda x: x.roll(1), lambda x: x.rot90(0),
                                lambda x: x.repeat(1, 1), lambda x: x.tril(), lambda x: x.diag(),
                                lambda x: x.repeat_interleave(1)])
def test_results_are_copies(fn):
    x = ember.zeros(3, 3)
    fn(x).add_(1)
    assert x.sum().item() == 0


def test_tril_triu_in_place_and_out():
    for name in ("tril", "triu"):
        a = make_array((3, 4))
        e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
        assert getattr(e, name + "_")(1) is e
        getattr(t, name + "_")(1)
        assert_same(e, t)
        out = ember.empty(3, 4, dtype=ember.float64)
        assert getattr(ember, name)(ember.from_numpy(a.copy()), -1, out=out) is out
        assert_same(out, getattr(torch, name)(torch.from_numpy(a.copy()), -1))
    check_op(lambda x: (x * 1).tril_(-1), [(3, 3)])
    check_op(lambda x: (x * 1).triu_(1), [(2, 3, 3)])


def test_trace_dtypes():
    for dtype in ("int32", "uint8", "int64", "float16"):
        check_op(lambda x: x.trace(), [(3, 3)], dtype=dtype, low=0, high=3)


def test_repeat_interleave_of_counts_only():
    for dtype in ("int64", "int32"):
        counts = make_array((4,), dtype, low=0, high=3)
        e = ember.repeat_interleave(ember.from_numpy(counts.copy()))
        assert_same(e, torch.repeat_interleave(torch.from_numpy(counts.copy())))


def test_second_derivatives():
    fns = [lambda x: (x.flip(0) ** 3 * x).sum(), lambda x: (x.roll(1, 1) * x ** 2).sum(),
           lambda x: (x.repeat(2, 1) ** 3).sum(), lambda x: (x.diag() ** 3).sum(), lambda x: x.trace() * x.sum() ** 2,
           lambda x: (x.diag().diag() ** 3).sum(), lambda x: (x.rot90() ** 3).sum()]
    a = make_array((3, 3))
    for fn in fns:
        e = ember.from_numpy(a.copy()).requires_grad_()
        t = torch.from_numpy(a.copy()).requires_grad_()
        (ge,) = ember.autograd.grad(fn(e), e, create_graph=True)
        (gt,) = torch.autograd.grad(fn(t), t, create_graph=True)
        (he,) = ember.autograd.grad((ge ** 2).sum(), e)
        (ht,) = torch.autograd.grad((gt ** 2).sum(), t)
        assert_same(he, ht)


ERRORS = [
    (lambda m: m.zeros(2, 3).flip((0, 0)), RuntimeError, "dim 0 appears multiple times in the list of dims"),
    (lambda m: m.zeros(2, 3).flip(2), IndexError, "Dimension out of range (expected to be in range of [-2, 1], but "
                                                  "got 2)"),
    (lambda m: m.zeros(3).fliplr(), RuntimeError, "Input must be >= 2-d."),
    (lambda m: m.zeros(()).flipud(), RuntimeError, "Input must be >= 1-d."),
    (lambda m: m.zeros(2, 3).roll((1, 2), (0,)), RuntimeError, "shifts and dimensions must align. shifts: 2, dims:1"),
    (lambda m: m.zeros(2, 3).roll((1, 2)), RuntimeError, "shifts and dimensions must align. shifts: 2, dims:0"),
    (lambda m: m.zeros(2, 3).roll((), ()), RuntimeError, "`shifts` required"),
    (lambda m: m.zeros(2, 3).rot90(1, [0]), RuntimeError, "expected total rotation dims == 2, but got dims = 1"),
    (lambda m: m.zeros(3).rot90(), RuntimeError, "expected total dims >= 2, but got total dims = 1"),
    (lambda m: m.zeros(2, 3).rot90(1, [0, -2]), RuntimeError, "expected rotation dims to be different, but got dim0 = "
                                                              "0 and dim1 = -2"),
    (lambda m: m.zeros(2, 3).repeat(2), RuntimeError, "Number of dimensions of repeat dims can not be smaller than "
                                                      "number of dimensions of tensor"),
    (lambda m: m.zeros(2, 3).repeat(2, -1), RuntimeError, "Trying to create tensor with negative dimension -3: "
                                                          "[4, -3]"),
    (lambda m: m.zeros(2, 3).tile((-1,)), RuntimeError, "Trying to create tensor with negative dimension -3: "
                                                        "[2, -3]"),
    (lambda m: m.zeros(2, 3).repeat_interleave(-1), RuntimeError, "Repeats must be non-negative"),
    (lambda m: m.zeros(2, 3).repeat_interleave(2, 0, output_size=5), RuntimeError, "repeat_interleave: Invalid "
                                                                                   "output_size, expected 4 but got 5"),
    (lambda m: m.zeros(2, 3).repeat_interleave(m.tensor([1, 2, 3]), 0), RuntimeError, "repeats must have the same "
     "size as input along dim, but got repeats.size(0) = 3 and input.size(0) = 2"),
    (lambda m: m.zeros(2, 3).repeat_interleave(m.tensor([1, -2]), 0), RuntimeError, "repeats can not be negative"),
    (lambda m: m.zeros(2, 3).repeat_interleave(m.tensor([[1, 2]]), 0), RuntimeError, "repeats must be 0-dim or 1-dim "
                                                                                     "tensor"),
    (lambda m: m.zeros(2, 3).repeat_interleave(m.tensor([1, 2]), 0, output_size=4), RuntimeError,
     "allocated size does not match required size"),
    (lambda m: m.zeros(2, 3).repeat_interleave(m.tensor([1.0, 2.0]), 0), NotImplementedError,
     "\"repeat_interleave_cpu\" not implemented for 'Float'"),
    (lambda m: m.zeros(2, 3).repeat_interleave(2, dim=2), IndexError, "Dimension out of range"),
    (lambda m: m.zeros(3).tril(), RuntimeError, "tril: input tensor must have at least 2 dimensions"),
    (lambda m: m.zeros(3).triu(), RuntimeError, "triu: input tensor must have at least 2 dimensions"),
    (lambda m: m.zeros(()).diag(), RuntimeError, "diag(): Supports 1D or 2D tensors. Got 0D"),
    (lambda m: m.zeros(1, 2, 3).diag(), RuntimeError, "diag(): Supports 1D or 2D tensors. Got 3D"),
    (lambda m: m.zeros(2, 3).diag_embed(0, 0, 0), RuntimeError, "diagonal dimensions cannot be identical 0, 0"),
    (lambda m: m.zeros(2).diag_embed(0, 0, 2), IndexError, "Dimension out of range (expected to be in range of "
                                                           "[-2, 1], but got 2)"),
    (lambda m: m.zeros(3).trace(), RuntimeError, "trace: expected a matrix, but got tensor with dim 1"),
    (lambda m: m.zeros(2, 2, dtype=m.bool).trace(), NotImplementedError, "\"trace\" not implemented for 'Bool'"),
]


@pytest.mark.parametrize("fn,exc,message", ERRORS)
def test_errors_match_pytorch(fn, exc, message):
    for m in (torch, ember):
        with pytest.raises(exc, match=re.escape(message)):
            fn(m)


def test_tril_values_worked_example():
    x = ember.from_numpy(np.arange(1.0, 10.0).reshape(3, 3))
    assert x.tril().tolist() == [[1, 0, 0], [4, 5, 0], [7, 8, 9]]
    assert x.triu(1).tolist() == [[0, 2, 3], [0, 0, 6], [0, 0, 0]]
    assert x.trace().item() == 15.0
