"""gather, scatter family, index_copy, take, take_along_dim, put, masked_select, masked_scatter vs PyTorch."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.helpers import assert_same, check_op, make_array


def lib(x):
    """The library (torch or ember) a tensor belongs to."""
    return torch if isinstance(x, torch.Tensor) else ember


def check_error(fn):
    """fn(torch) and fn(ember) raise the same exception type with the same message (ember for torch)."""
    with pytest.raises(Exception) as t_err:
        fn(torch)
    expected = str(t_err.value).replace("torch.", "ember.")
    with pytest.raises(t_err.type, match=re.escape(expected[:200])):
        fn(ember)


def index_array(shape, high, seed=0, dtype="int64"):
    """Random indices in [0, high) of a shape."""
    return np.random.default_rng(seed).integers(0, high, size=shape).astype(dtype)


def idx(L, a):
    return L.from_numpy(a.copy())


# -- gather / take_along_dim --------------------------------------------------------------------
GATHER = [((3, 4), 1, (3, 6)), ((3, 4), 0, (2, 4)), ((3, 4), -1, (2, 2)), ((2, 3, 4), 1, (2, 5, 3)),
          ((5,), 0, (7,)), ((), 0, ()), ((5,), 0, ()), ((), 0, (3,)), ((3, 4), 1, (3, 0)), ((0, 4), 1, (0, 2))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,dim,ishape", GATHER)
def test_gather(shape, dim, ishape, dtype):
    n = shape[dim] if shape else 1
    i = index_array(ishape, max(n, 1))
    check_op(lambda x: x.gather(dim, idx(lib(x), i)), [shape], dtype=dtype)
    check_op(lambda x: lib(x).gather(x, dim, idx(lib(x), i.astype(np.int32))), [shape], dtype=dtype, noncontig=True)


def test_gather_int_and_out():
    a, i = make_array((3, 4), "int64", -9, 9), index_array((3, 2), 4)
    out_e, out_t = ember.empty(0, dtype=ember.int64), torch.empty(0, dtype=torch.int64)
    ember.gather(ember.tensor(a), 1, ember.tensor(i), out=out_e)
    torch.gather(torch.tensor(a), 1, torch.tensor(i), out=out_t)
    assert_same(out_e, out_t)


@pytest.mark.parametrize("fn", [
    lambda L: L.zeros(3, 4).gather(1, L.tensor([[0]], dtype=L.int16)),
    lambda L: L.zeros(3, 4).gather(1, L.tensor([[0.0]])),
    lambda L: L.zeros(3, 4).gather(1, L.tensor([0])),
    lambda L: L.zeros(3, 4).gather(1, L.zeros(4, 2, dtype=L.long)),
    lambda L: L.zeros(3, 4).gather(1, L.tensor([[0, 5]])),
    lambda L: L.zeros(3, 4).gather(1, L.tensor([[0, -1]])),
    lambda L: L.zeros(3, 4).gather(2, L.tensor([[0]])),
])
def test_gather_errors(fn):
    check_error(fn)


@pytest.mark.parametrize("shape,ishape,dim", [((3, 4), (3, 2), 1), ((3, 4), (3, 1), 1), ((3, 4), (5, 1), 0),
                                              ((3, 1, 2), (1, 4, 1), 2), ((3, 4), (2, 2), None), ((3, 4), (5,), None),
                                              ((3, 4), (2, 4), -2), ((), (), None)])
def test_take_along_dim(shape, ishape, dim):
    n = int(np.prod(shape)) if dim is None else shape[dim]
    i = index_array(ishape, n, seed=3)
    check_op(lambda x: lib(x).take_along_dim(x, idx(lib(x), i), dim), [shape])
    check_op(lambda x: x.take_along_dim(idx(lib(x), i), dim=dim), [shape], dtype="int64")


@pytest.mark.parametrize("fn", [
    lambda L: L.take_along_dim(L.zeros(3, 4), L.tensor([1]), dim=1),
    lambda L: L.take_along_dim(L.zeros(3, 4), L.tensor([[1]], dtype=L.int32), dim=1),
    lambda L: L.take_along_dim(L.zeros(3, 4), L.zeros(2, 1, dtype=L.long), dim=1),
    lambda L: L.take_along_dim(L.zeros(3, 4), L.tensor([[12]])),
])
def test_take_along_dim_errors(fn):
    check_error(fn)


# -- scatter family -----------------------------------------------------------------------------
SCATTER = [((3, 4), 1, (3, 2), (3, 2)), ((3, 4), 0, (2, 4), (3, 5)), ((3, 4), -1, (2, 3), (2, 3)),
           ((2, 3, 4), 2, (2, 3, 2), (2, 3, 2)), ((5,), 0, (3,), (4,)), ((), 0, (), ()), ((5,), 0, (), ()),
           ((3, 4), 1, (0, 2), (1, 1))]


def _unique_index(ishape, n, dim, seed=0):
    """Indices without repeats along dim (where scatter's result is well defined)."""
    rng = np.random.default_rng(seed)
    if 0 in ishape:
        return np.zeros(ishape, np.int64)
    if not ishape:
        return np.array(rng.integers(0, n), dtype=np.int64)
    moved = (ishape[dim],) + ishape[:dim] + ishape[dim + 1:]
    flat = np.stack([rng.permutation(n)[:ishape[dim]] for _ in range(int(np.prod(moved[1:])))], axis=-1)
    return np.moveaxis(flat.reshape(moved), 0, dim).astype(np.int64)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,dim,ishape,sshape", SCATTER)
def test_scatter_src(shape, dim, ishape, sshape, dtype):
    d = dim % max(len(shape), 1)
    i = _unique_index(ishape, shape[d] if shape else 1, d)
    # PyTorch's backward fails when src is larger than index; ember gives zeros to the unused part
    grad = sshape == ishape
    check_op(lambda x, s: x.scatter(dim, idx(lib(x), i), s), [shape, sshape], dtype=dtype,
             requires_grad=[True, grad])
    check_op(lambda x: x.scatter(dim, idx(lib(x), i), 2.5), [shape], dtype=dtype)
    check_op(lambda x, s: lib(x).scatter(x, dim, idx(lib(x), i.astype(np.int32)), s), [shape, sshape], dtype="int64")


def test_scatter_src_larger_than_index_gets_zero_gradient():
    x = ember.zeros(3, 4)
    src = ember.ones(2, 3, requires_grad=True)
    x.scatter(1, ember.tensor([[0, 1]]), src).mul(ember.arange(12.0).reshape(3, 4)).sum().backward()
    assert src.grad.tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]


@pytest.mark.parametrize("reduce", ["add", "multiply"])
def test_scatter_legacy_reduce(reduce):
    i = index_array((3, 5), 4, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns (once) that reduce= with a src tensor is deprecated
        check_op(lambda x, s: x.scatter(1, idx(lib(x), i), s, reduce=reduce), [(3, 4), (3, 5)], grad=False)
    with pytest.warns(UserWarning, match="reduce argument of ember.scatter with Tensor src is deprecated"):
        ember.ones(3, 4).scatter(1, ember.tensor(i), ember.ones(3, 5), reduce=reduce)
    check_op(lambda x: x.scatter(1, idx(lib(x), i), 1.5, reduce=reduce), [(3, 4)], grad=False)
    x = ember.ones(3, 4, requires_grad=True)
    y = x.scatter(1, ember.tensor(i), 2.0, reduce=reduce)
    with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
        y.sum().backward()


@pytest.mark.parametrize("shape,dim,ishape,sshape", SCATTER + [((4, 3), 0, (6, 3), (6, 3))])
def test_scatter_add(shape, dim, ishape, sshape):
    n = shape[dim] if shape else 1
    i = index_array(ishape, n, seed=2)  # repeats accumulate
    grad = sshape == ishape
    check_op(lambda x, s: x.scatter_add(dim, idx(lib(x), i), s), [shape, sshape], requires_grad=[True, grad])
    check_op(lambda x, s: lib(x).scatter_add(x, dim, idx(lib(x), i), s), [shape, sshape], dtype="int32")


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("shape,dim,ishape", [((4, 3), 0, (6, 3)), ((3, 5), 1, (3, 4)), ((6,), 0, (9,)), ((), 0, ())])
def test_scatter_reduce(shape, dim, ishape, reduce, include_self):
    n = shape[dim] if shape else 1
    i = index_array(ishape, max(n - 1, 1), seed=4)  # repeats, and places no index reaches

    def fn(x, s):
        return x.scatter_reduce(dim, idx(lib(x), i), s, reduce, include_self=include_self)
    check_op(fn, [shape, ishape], low=0.5, high=2.0)
    check_op(fn, [shape, ishape], dtype="int64", low=-6, high=6)


@pytest.mark.parametrize("reduce", ["prod", "amax", "amin", "mean"])
def test_scatter_reduce_ties_and_zeros(reduce):
    # equal values share the amax/amin gradient; zeros (one or two per place) in prod are handled exactly
    x = np.array([1.0, 0.0, 3.0, 2.0, 5.0])
    src = np.array([3.0, 0.0, 1.0, 0.0, 0.0, 2.0, 5.0, 4.0])
    i = np.array([2, 1, 0, 0, 3, 3, 4, 1])
    check_op(lambda a, s: a.scatter_reduce(0, idx(lib(a), i), s, reduce), arrays=[x, src])
    check_op(lambda a, s: a.scatter_reduce(0, idx(lib(a), i), s, reduce, include_self=False), arrays=[x, src])


def test_scatter_reduce_double_backward():
    def f(L):
        x = L.tensor([1.0, 2.0, 3.0], dtype=L.float64, requires_grad=True)
        s = L.tensor([2.0, 4.0, 0.5], dtype=L.float64, requires_grad=True)
        y = x.scatter_reduce(0, L.tensor([0, 0, 2]), s, "prod").pow(2).sum()
        gx, gs = L.autograd.grad(y, (x, s), create_graph=True)
        return L.autograd.grad((gx.sum() + gs.sum()), (x, s))
    assert_same(f(ember), f(torch))


@pytest.mark.parametrize("name", ["scatter_", "scatter_add_", "scatter_reduce_"])
def test_scatter_inplace(name):
    i = index_array((2, 3), 4, seed=5)

    def fn(x, s):
        y = x * 1
        extra = ("amax",) if name == "scatter_reduce_" else ()
        out = getattr(y, name)(1, idx(lib(x), i), s, *extra)
        assert out is y
        return y
    check_op(fn, [(2, 4), (2, 3)])


@pytest.mark.parametrize("fn", [
    lambda L: L.zeros(3, 4).scatter(1, L.tensor([[0]], dtype=L.int16), 1.0),
    lambda L: L.zeros(3, 4).scatter(1, L.tensor([[0]]), L.ones(1, 1, dtype=L.float64)),
    lambda L: L.zeros(3, 4).scatter(1, L.zeros(2, 2, dtype=L.long), L.ones(1, 1)),
    lambda L: L.zeros(3, 4).scatter(1, L.zeros(4, 2, dtype=L.long), 1.0),
    lambda L: L.zeros(3, 4).scatter(1, L.tensor([[9]]), L.ones(1, 1)),
    lambda L: L.zeros(3, 4).scatter(1, L.tensor([[-1]]), 1.0),
    lambda L: L.zeros(3, 4).scatter(1, L.tensor([0]), L.ones(1)),
    lambda L: L.zeros(3, 4).scatter(1, L.tensor([[0]]), L.ones(1)),
    lambda L: L.zeros(3, 4).scatter(1, L.tensor([[0]]), L.ones(1, 1), reduce="mean"),
    lambda L: L.zeros(3, 4).scatter_add(1, L.tensor([[0.0]]), L.ones(1, 1)),
    lambda L: L.zeros(3, 4).scatter_add(0, L.tensor([[3]]), L.ones(1, 1)),
    lambda L: L.zeros(3).scatter_reduce(0, L.tensor([0]), L.ones(1), "foo"),
    lambda L: L.zeros(3).scatter_reduce(0, L.tensor([0]), L.tensor([4]), "sum"),
])
def test_scatter_errors(fn):
    check_error(fn)


def test_scatter_grad_fn_names():
    x = ember.zeros(2, 2, requires_grad=True)
    s = ember.ones(2, 2, requires_grad=True)
    i = ember.tensor([[0, 1], [1, 0]])
    names = [x.scatter(0, i, s).grad_fn.name(), x.scatter(0, i, 1.0).grad_fn.name(),
             x.scatter_add(0, i, s).grad_fn.name(), x.scatter_reduce(0, i, s, "amin").grad_fn.name(),
             x.gather(0, i).grad_fn.name()]
    assert names == ["ScatterBackward0", "ScatterBackward1", "ScatterAddBackward0", "ScatterReduceBackward0",
                     "GatherBackward0"]


# -- index_copy ---------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,dim,index,sshape", [((5, 3), 0, [4, 0], (2, 3)), ((5, 3), 1, [2, 0, 1], (5, 3)),
                                                    ((2, 3, 4), -1, [1], (2, 3, 1)), ((3,), 0, 1, ()), ((), 0, [0], ()),
                                                    ((4, 2), 0, [], (0, 2))])
def test_index_copy(shape, dim, index, sshape):
    def fn(x, s):
        return x.index_copy(dim, lib(x).tensor(index, dtype=lib(x).int64), s)
    check_op(fn, [shape, sshape])
    check_op(fn, [shape, sshape], dtype="int64")

    def inplace(x, s):
        y = x * 1
        assert y.index_copy_(dim, lib(x).tensor(index, dtype=lib(x).int64), s) is y
        return y
    check_op(inplace, [shape, sshape])


@pytest.mark.parametrize("fn", [
    lambda L: L.zeros(3, 4).index_copy(0, L.zeros(1, 1, dtype=L.long), L.ones(1, 4)),
    lambda L: L.zeros(3, 4).index_copy(0, L.zeros(1, dtype=L.int32), L.ones(1, 4)),
    lambda L: L.zeros(3, 4).index_copy(0, L.zeros(1, dtype=L.long), L.ones(1, 3)),
    lambda L: L.zeros(2, 3, 4).index_copy(1, L.tensor([0]), L.ones(2, 1, 5)),
    lambda L: L.zeros(2, 3, 4).index_copy(1, L.tensor([0]), L.ones(2, 4)),
    lambda L: L.zeros(3, 4).index_copy(0, L.zeros(2, dtype=L.long), L.ones(1, 4)),
    lambda L: L.zeros(3, 4).index_copy(0, L.tensor([5]), L.ones(1, 4)),
    lambda L: L.zeros(3, 4).index_copy(0, L.tensor([-1]), L.ones(1, 4)),
    lambda L: L.zeros(3, 4).index_copy(0, L.tensor([1]), L.ones(1, 4, dtype=L.float64)),
])
def test_index_copy_errors(fn):
    check_error(fn)


# -- take / put ---------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,index", [((3, 4), [[0, 11], [5, 5]]), ((3, 4), [-1, -12, 3]), ((5,), 2), ((), [0, 0]),
                                         ((3, 4), [])])
def test_take(shape, index):
    check_op(lambda x: x.take(lib(x).tensor(index, dtype=lib(x).int64)), [shape])
    check_op(lambda x: lib(x).take(x, lib(x).tensor(index, dtype=lib(x).int64)), [shape], noncontig=True)
    check_op(lambda x: x.take(lib(x).tensor(index, dtype=lib(x).int64)), [shape], dtype="int32")


@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("shape,index,sshape", [((3, 4), [0, 11, 5], (3,)), ((3, 4), [[1, -1]], (2, 1)),
                                                ((3, 4), [2, 2, 7], (3,)), ((), [0], ()), ((5,), [], (0,))])
def test_put(shape, index, sshape, accumulate):
    if not accumulate and len(set(np.ravel(index).tolist())) < np.size(index):
        return  # put without accumulate is undefined for repeated indices
    check_op(lambda x, s: x.put(lib(x).tensor(index, dtype=lib(x).int64), s, accumulate), [shape, sshape])

    def inplace(x, s):
        y = x * 1
        assert y.put_(lib(x).tensor(index, dtype=lib(x).int64), s, accumulate=accumulate) is y
        return y
    check_op(inplace, [shape, sshape])


@pytest.mark.parametrize("fn", [
    lambda L: L.zeros(3, 4).take(L.tensor([12])), lambda L: L.zeros(3, 4).take(L.tensor([-13])),
    lambda L: L.zeros(3, 4).take(L.tensor([1], dtype=L.int32)),
    lambda L: L.zeros(3, 4).put(L.tensor([0, 13]), L.ones(2)),
    lambda L: L.zeros(3, 4).put_(L.tensor([0, 1]), L.ones(1)),
    lambda L: L.zeros(3, 4).put_(L.tensor([0]), L.ones(1, dtype=L.float64)),
    lambda L: L.zeros(3, 4).put_(L.tensor([0], dtype=L.int32), L.ones(1)),
])
def test_take_put_errors(fn):
    check_error(fn)


# -- masked_select / masked_scatter -------------------------------------------------------------
MASKED = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (2, 3, 4)), ((), ()), ((2, 3), ()), ((0, 3), (3,))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,mshape", MASKED)
def test_masked_select(shape, mshape, dtype):
    m = make_array(mshape, "bool", seed=7)
    check_op(lambda x: x.masked_select(lib(x).tensor(m)), [shape], dtype=dtype)
    check_op(lambda x: lib(x).masked_select(x, lib(x).tensor(m)), [shape], dtype="int64", noncontig=True)


@pytest.mark.parametrize("shape,mshape", MASKED)
def test_masked_scatter(shape, mshape):
    m = make_array(mshape, "bool", seed=8)
    n = int(np.broadcast_to(m, np.broadcast_shapes(shape, mshape)).sum())
    for sshape in [(n,), (n + 3,), (2, n + 1)]:  # extra source elements are unused (and get zero gradient)
        check_op(lambda x, s: x.masked_scatter(lib(x).tensor(m), s), [shape, sshape])
    check_op(lambda x, s: lib(x).masked_scatter(x, lib(x).tensor(m), s), [shape, (n,)], dtype="int64")


def test_masked_scatter_inplace():
    m = make_array((3, 4), "bool", seed=9)

    def fn(x, s):
        y = x * 1
        assert y.masked_scatter_(lib(x).tensor(m), s) is y
        return y
    check_op(fn, [(3, 4), (12,)])


@pytest.mark.parametrize("fn", [
    lambda L: L.zeros(3, 4).masked_select(L.ones(3, 4)),
    lambda L: L.zeros(3, 4).masked_select(L.ones(3, 4, dtype=L.uint8)),
    lambda L: L.zeros(3, 4).masked_select(L.ones(3, dtype=L.bool)),
    lambda L: L.zeros(3, 4).masked_scatter(L.ones(3, 4, dtype=L.bool), L.ones(3)),
    lambda L: L.zeros(3, 4).masked_scatter(L.ones(3, 4, dtype=L.bool), L.ones(20, dtype=L.float64)),
    lambda L: L.zeros(3, 4).masked_scatter(L.ones(3, 4), L.ones(20)),
])
def test_masked_errors(fn):
    check_error(fn)


# -- finite-difference checks -------------------------------------------------------------------
_I = ember.tensor([[2, 0, 1], [1, 1, 3]])
_U = ember.tensor([[2, 0, 1], [1, 3, 0]])
_M = ember.tensor([[True, False, True, True], [False, True, False, True]])
GRADCHECK = [
    (lambda x: x.gather(1, _I), [(2, 4)]),
    (lambda x, s: x.scatter(1, _U, s), [(2, 4), (2, 3)]),
    (lambda x: x.scatter(1, _U, 0.5), [(2, 4)]),
    (lambda x, s: x.scatter_add(1, _I, s), [(2, 4), (2, 3)]),
    (lambda x, s: x.scatter_reduce(1, _I, s, "sum", include_self=False), [(2, 4), (2, 3)]),
    (lambda x, s: x.scatter_reduce(1, _I, s, "prod"), [(2, 4), (2, 3)]),
    (lambda x, s: x.scatter_reduce(1, _I, s, "mean"), [(2, 4), (2, 3)]),
    (lambda x, s: x.scatter_reduce(1, _I, s, "amax"), [(2, 4), (2, 3)]),
    (lambda x, s: x.scatter_reduce(1, _I, s, "amin", include_self=False), [(2, 4), (2, 3)]),
    (lambda x, s: x.index_copy(1, ember.tensor([3, 0]), s), [(2, 4), (2, 2)]),
    (lambda x: x.take(ember.tensor([[7, 0], [0, 3]])), [(2, 4)]),
    (lambda x, s: x.put(ember.tensor([7, 0, 7]), s, accumulate=True), [(2, 4), (3,)]),
    (lambda x, s: x.put(ember.tensor([7, 0, 2]), s), [(2, 4), (3,)]),
    (lambda x: x.masked_select(_M), [(2, 4)]),
    (lambda x, s: x.masked_scatter(_M, s), [(2, 4), (6,)]),
    (lambda x: ember.take_along_dim(x, ember.tensor([[1], [3]]), dim=1), [(2, 4)]),
]


@pytest.mark.parametrize("k", range(len(GRADCHECK)))
def test_gradcheck(k):
    fn, shapes = GRADCHECK[k]
    inputs = [ember.tensor(make_array(s, "float64", low=0.5, high=2.0, seed=i), requires_grad=True)
              for i, s in enumerate(shapes)]
    assert ember.autograd.gradcheck(fn, inputs)
    assert ember.autograd.gradgradcheck(fn, inputs)
