"""Joining and broadcasting against PyTorch: cat, stack, h/v/d/column_stack, atleast_nd, meshgrid, broadcasting."""

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


def node_names(fn, shapes):
    """grad_fn names of fn's outputs on float inputs requiring grad, in ember and in torch."""
    arrays = [make_array(s, "float64", seed=i) for i, s in enumerate(shapes)]
    e = [ember.from_numpy(a.copy()).requires_grad_() for a in arrays]
    t = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]

    def names(out, get):
        outs = out if isinstance(out, (tuple, list)) else [out]
        return [get(o.grad_fn) if o.grad_fn is not None else None for o in outs]

    return names(fn(*e), lambda n: n.name()), names(fn(*t), lambda n: type(n).__name__)


JOIN = [
    ("cat", lambda a, b: lib(a).cat([a, b]), [(2, 3), (4, 3)]),
    ("cat dim 1", lambda a, b: lib(a).cat((a, b), 1), [(2, 3), (2, 1)]),
    ("cat negative dim", lambda a, b: lib(a).cat([a, b], -1), [(2, 3, 2), (2, 3, 1)]),
    ("cat skips 1-d empty", lambda a, b: lib(a).cat([a, b, a]), [(2, 3), (0,)]),
    ("cat empty dim", lambda a, b: lib(a).cat([a, b]), [(0, 3), (2, 3)]),
    ("concat", lambda a, b: lib(a).concat([a, b], 1), [(2, 3), (2, 2)]),
    ("concatenate", lambda a, b: lib(a).concatenate([a, b], 0), [(1, 3), (2, 3)]),
    ("stack", lambda a, b: lib(a).stack([a, b]), [(2, 3), (2, 3)]),
    ("stack last", lambda a, b: lib(a).stack([a, b], -1), [(2, 3), (2, 3)]),
    ("stack 0-dim", lambda a, b: lib(a).stack([a, b]), [(), ()]),
    ("stack empty", lambda a, b: lib(a).stack([a, b], 1), [(0, 2), (0, 2)]),
    ("hstack 1-d", lambda a, b: lib(a).hstack([a, b]), [(3,), (2,)]),
    ("hstack 2-d", lambda a, b: lib(a).hstack([a, b]), [(2, 3), (2, 1)]),
    ("hstack 0-dim", lambda a, b: lib(a).hstack([a, b]), [(), ()]),
    ("vstack 1-d", lambda a, b: lib(a).vstack([a, b]), [(3,), (3,)]),
    ("vstack mixed", lambda a, b: lib(a).vstack([a, b]), [(2, 3), (3,)]),
    ("row_stack", lambda a, b: lib(a).row_stack((a, b)), [(2, 3), (3,)]),
    ("dstack 1-d", lambda a, b: lib(a).dstack([a, b]), [(3,), (3,)]),
    ("dstack 2-d", lambda a, b: lib(a).dstack([a, b]), [(2, 3), (2, 3)]),
    ("dstack 3-d", lambda a, b: lib(a).dstack([a, b]), [(2, 3, 1), (2, 3, 2)]),
    ("column_stack 1-d", lambda a, b: lib(a).column_stack([a, b]), [(3,), (3,)]),
    ("column_stack mixed", lambda a, b: lib(a).column_stack([a, b]), [(3, 2), (3,)]),
    ("column_stack 0-dim", lambda a, b: lib(a).column_stack([a, b]), [(), ()]),
    ("atleast_1d", lambda a, b: lib(a).atleast_1d(a, b), [(), (2, 3)]),
    ("atleast_2d", lambda a, b: lib(a).atleast_2d([a, b]), [(), (3,)]),
    ("atleast_3d 0-dim", lambda a, b: lib(a).atleast_3d(a, b), [(), (3,)]),
    ("atleast_3d 2-d", lambda a, b: lib(a).atleast_3d(a, b), [(2, 3), (1, 2, 3, 1)]),
    ("broadcast_tensors", lambda a, b: lib(a).broadcast_tensors(a, b), [(2, 1), (3,)]),
    ("broadcast_tensors same", lambda a, b: lib(a).broadcast_tensors(a, b), [(2, 3), (3,)]),
    ("broadcast_tensors 0-dim", lambda a, b: lib(a).broadcast_tensors(a, b), [(), (2, 2)]),
    ("meshgrid ij", lambda a, b: lib(a).meshgrid(a, b, indexing="ij"), [(3,), (2,)]),
    ("meshgrid xy", lambda a, b: lib(a).meshgrid([a, b], indexing="xy"), [(3,), (2,)]),
    ("meshgrid 0-dim", lambda a, b: lib(a).meshgrid(a, b, indexing="xy"), [(), (4,)]),
    ("meshgrid empty", lambda a, b: lib(a).meshgrid(a, b, indexing="ij"), [(0,), (2,)]),
]


@pytest.mark.parametrize("desc,fn,shapes", JOIN, ids=[c[0] for c in JOIN])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_values_and_gradients(desc, fn, shapes, dtype):
    check_op(fn, shapes, dtype=dtype)


@pytest.mark.parametrize("desc,fn,shapes", JOIN[::2], ids=[c[0] for c in JOIN[::2]])
def test_integer_inputs(desc, fn, shapes):
    check_op(fn, shapes, dtype="int64")


@pytest.mark.parametrize("desc,fn,shapes", JOIN[::3], ids=[c[0] for c in JOIN[::3]])
def test_noncontiguous_inputs(desc, fn, shapes):
    check_op(fn, shapes, noncontig=True)


@pytest.mark.parametrize("desc,fn,shapes", JOIN, ids=[c[0] for c in JOIN])
def test_node_names(desc, fn, shapes):
    e_names, t_names = node_names(fn, shapes)
    assert e_names == t_names


def test_mixed_dtypes_promote():
    for a, b in [("int32", "float16"), ("uint8", "int8"), ("bool", "int64"), ("float32", "float64")]:
        for name in ("cat", "stack", "hstack"):
            check_op(lambda x, y: getattr(lib(x), name)([x, y]), [(2,), (2,)], arrays=[
                make_array((2,), a), make_array((2,), b, seed=1)])


def test_cat_out():
    out = ember.empty(0)
    r = ember.cat([ember.ones(2), ember.zeros(1)], out=out)
    assert r is out and out.tolist() == [1.0, 1.0, 0.0]
    o2 = ember.empty(2, 2)
    ember.vstack([ember.ones(2), ember.zeros(2)], out=o2)
    assert o2.tolist() == [[1.0, 1.0], [0.0, 0.0]]


def test_broadcast_tensors_share_memory():
    a = ember.zeros(3, 1)
    x, y = ember.broadcast_tensors(a, ember.zeros(4))
    assert x.shape == (3, 4) and x.stride() == (1, 0)
    a[1, 0] = 5.0
    assert x[1].tolist() == [5.0] * 4


def test_meshgrid_views_and_warning():
    x, y = ember.tensor([1, 2, 3]), ember.tensor([4, 5])
    with pytest.warns(UserWarning, match="in an upcoming release, it will be required to pass the indexing"):
        gx, gy = ember.meshgrid(x, y)
    tx, ty = torch.meshgrid(torch.tensor([1, 2, 3]), torch.tensor([4, 5]), indexing="ij")
    assert_same((gx, gy), (tx, ty))
    assert gx.stride() == tx.stride() and gy.stride() == ty.stride()
    x[0] = 9
    assert gx[0].tolist() == [9, 9]


@pytest.mark.parametrize("shapes", [((2, 1), (3,), 1), ((), (4, 1), [1, 5]), (ember.Size([2, 1]), [3]), (),
                                    ((0,), (1,)), (3, (1, 3))])
def test_broadcast_shapes(shapes):
    tshapes = [torch.Size(s) if isinstance(s, ember.Size) else s for s in shapes]
    result = ember.broadcast_shapes(*shapes)
    assert isinstance(result, ember.Size)
    assert tuple(result) == tuple(torch.broadcast_shapes(*tshapes))


ERRORS = [
    (lambda m: m.cat([]), ValueError, "cat(): expected a non-empty list of Tensors"),
    (lambda m: m.cat(m.zeros(2)), TypeError, "cat(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                                             "Tensor"),
    (lambda m: m.cat([m.zeros(2), 5]), TypeError, "expected Tensor as element 1 in argument 0, but got int"),
    (lambda m: m.cat([m.zeros(()), m.zeros(())]), RuntimeError, "zero-dimensional tensor (at position 0) cannot be "
                                                                "concatenated"),
    (lambda m: m.cat([m.zeros(2, 3), m.zeros(3)]), RuntimeError, "Tensors must have same number of dimensions: got "
                                                                 "2 and 1"),
    (lambda m: m.cat([m.zeros(2, 3), m.zeros(2, 2)]), RuntimeError, "Sizes of tensors must match except in "
     "dimension 0. Expected size 3 but got size 2 for tensor number 1 in the list."),
    (lambda m: m.cat([m.zeros(2)], 1), IndexError, "Dimension out of range (expected to be in range of [-1, 0], but "
                                                   "got 1)"),
    (lambda m: m.stack([]), RuntimeError, "stack expects a non-empty TensorList"),
    (lambda m: m.stack([m.zeros(2, 3), m.zeros(1, 3)]), RuntimeError, "stack expects each tensor to be equal "
     "size, but got [2, 3] at entry 0 and [1, 3] at entry 1"),
    (lambda m: m.stack([m.zeros(2)], 2), IndexError, "Dimension out of range (expected to be in range of [-2, 1], "
                                                     "but got 2)"),
    (lambda m: m.hstack([]), RuntimeError, "hstack expects a non-empty TensorList"),
    (lambda m: m.vstack([]), RuntimeError, "vstack expects a non-empty TensorList"),
    (lambda m: m.dstack([]), RuntimeError, "dstack expects a non-empty TensorList"),
    (lambda m: m.column_stack([]), RuntimeError, "column_stack expects a non-empty TensorList"),
    (lambda m: m.broadcast_tensors(m.zeros(3), m.zeros(2)), RuntimeError, "The size of tensor a (3) must match the "
                                                                          "size of tensor b (2) at non-singleton "
                                                                          "dimension 0"),
    (lambda m: m.broadcast_tensors(m.zeros(4, 2), m.zeros(3, 2, 2)), RuntimeError, "The size of tensor a (4) must "
     "match the size of tensor b (2) at non-singleton dimension 1"),
    (lambda m: m.broadcast_shapes((1, 2), (4, 3, 3)), RuntimeError, "Attempting to broadcast a dimension of length 3 "
     "at -1! Mismatching argument at index 1 had (4, 3, 3); but expected shape should be broadcastable to [1, 1, 2]"),
    (lambda m: m.broadcast_shapes((-1,), (3,)), ValueError, "Attempting to broadcast a dimension with negative "
                                                            "length!"),
    (lambda m: m.meshgrid(m.zeros(2), m.zeros(2), indexing="foo"), RuntimeError, 'meshgrid: indexing must be one of '
                                                                                 '"xy" or "ij", but received: foo'),
    (lambda m: m.meshgrid([], indexing="ij"), RuntimeError, "meshgrid expects a non-empty TensorList"),
    (lambda m: m.meshgrid(m.zeros(2), m.zeros(2, dtype=m.int64), indexing="ij"), RuntimeError,
     "meshgrid expects all tensors to have the same dtype"),
    (lambda m: m.meshgrid(m.zeros(2, 2), indexing="ij"), RuntimeError, "meshgrid: Expected 0D or 1D tensor in the "
                                                                       "tensor list but got"),
]


@pytest.mark.parametrize("fn,exc,message", ERRORS)
def test_errors_match_pytorch(fn, exc, message):
    for m in (torch, ember):
        with pytest.raises(exc, match=re.escape(message)):
            fn(m)


def test_atleast_returns_input_itself_when_big_enough():
    x = ember.zeros(2, 3, 4)
    assert ember.atleast_1d(x) is x and ember.atleast_2d(x) is x and ember.atleast_3d(x) is x
    assert ember.atleast_1d() == ()
    assert isinstance(ember.atleast_2d([x]), tuple)


def test_stack_of_views_gradient_flows_to_base():
    a = np.arange(6.0).reshape(2, 3)
    check_op(lambda x: lib(x).stack([x.t(), x.t() * 2], 1), arrays=[a])
