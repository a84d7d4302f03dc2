"""Matrix products against PyTorch: matmul (@) for every rank combination, mm/bmm/mv/dot/outer,
the fused add-products (addmm, baddbmm, addbmm, addmv, addr), inner, tensordot, multi_dot."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
import ember.linalg
from tests.helpers import assert_same, check_op, make_array

FLOATS = ["float32", "float64"]


def lib(x):
    """The library a tensor belongs to (so one lambda serves ember and torch for module-level functions)."""
    return torch if isinstance(x, torch.Tensor) else ember


def second_order(fn, arrays):
    """Compare d/dx sum(w * d fn(x) / dx), i.e. a double backward through fn, with PyTorch."""
    results = []
    for mod in (torch, ember):
        ins = [mod.tensor(a, requires_grad=True) for a in arrays]
        out = fn(*ins)
        grads = mod.autograd.grad(out.sum(), ins, create_graph=True)
        total = sum((g * mod.tensor(make_array(g.shape, seed=5))).sum() for g in grads)
        results.append(mod.autograd.grad(total, ins, allow_unused=True))
    for t, e in zip(*results):
        if t is None:
            assert e is None or not np.any(e.numpy())
        else:
            assert_same(e, t)


# -- matmul --------------------------------------------------------------------------------------------
MATMUL_SHAPES = [
    ((3,), (3,)),  # dot
    ((2, 3), (3,)),  # mv
    ((3,), (3, 4)),  # vector @ matrix
    ((2, 3), (3, 4)),  # mm
    ((5, 2, 3), (5, 3, 4)),  # bmm
    ((2, 1, 2, 3), (5, 3, 4)),  # broadcast batch dims
    ((2, 5, 2, 3), (3, 4)),  # n-d @ 2-d folds into one mm
    ((2, 2, 3), (3,)),  # n-d @ 1-d folds into one mv
    ((3,), (2, 3, 4)),  # 1-d @ n-d
    ((2, 3), (2, 3, 4)),  # 2-d @ n-d
    ((1, 2, 3), (4, 1, 3, 2)),
    ((2, 0), (0, 4)),  # empty inner dim: zeros
    ((2, 3, 0), (0, 4)),
    ((0, 3), (3, 2)),
    ((0,), (0,)),
]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul(sa, sb, dtype):
    check_op(lambda a, b: a @ b, [sa, sb], dtype=dtype)


@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 4)), ((4, 2, 3), (4, 3, 5)), ((2, 5, 3), (3, 4)), ((3, 4), (4,))])
def test_matmul_non_contiguous(sa, sb):
    check_op(lambda a, b: ember.matmul(a, b) if isinstance(a, ember.Tensor) else torch.matmul(a, b), [sa, sb],
             noncontig=True)


@pytest.mark.parametrize("sa,sb", [((3, 2), (4, 3)), ((2, 3, 2), (2, 4, 3))])
def test_matmul_of_transposed_views(sa, sb):
    check_op(lambda a, b: a.mT @ b.mT, [sa, sb], dtype="float32")


@pytest.mark.parametrize("dtype", ["int64", "int32"])
@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 4)), ((3,), (3,)), ((2, 2, 3), (2, 3, 2))])
def test_matmul_integers(sa, sb, dtype):
    check_op(lambda a, b: a @ b, [sa, sb], dtype=dtype, low=-5, high=5)


def test_rmatmul_and_method():
    a, b = make_array((2, 3)), make_array((3, 4), seed=1)
    assert_same(ember.tensor(a).matmul(ember.tensor(b)), torch.tensor(a) @ torch.tensor(b))
    assert_same(ember.linalg.matmul(ember.tensor(a), ember.tensor(b)), torch.tensor(a) @ torch.tensor(b))
    out = ember.empty(0, dtype=ember.float64)
    ember.matmul(ember.tensor(a), ember.tensor(b), out=out)
    assert_same(out, torch.tensor(a) @ torch.tensor(b))


def test_matmul_grad_fn_names():
    a2, a3 = ember.ones(2, 3, requires_grad=True), ember.ones(2, 2, 3, requires_grad=True)
    assert (a2[0] @ ember.ones(3)).grad_fn.name() == "DotBackward0"
    assert (a2 @ ember.ones(3)).grad_fn.name() == "MvBackward0"
    assert (a2 @ ember.ones(3, 4)).grad_fn.name() == "MmBackward0"
    assert ember.bmm(a3, ember.ones(2, 3, 4)).grad_fn.name() == "BmmBackward0"
    assert (a3 @ ember.ones(2, 3, 4)).grad_fn.name() == "UnsafeViewBackward0"
    assert ember.addmm(ember.ones(4), a2, ember.ones(3, 4)).grad_fn.name() == "AddmmBackward0"


@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 4)), ((2, 2, 3), (2, 3, 4)), ((2, 3), (3,)), ((2, 2, 3), (3, 4))])
def test_matmul_double_backward(sa, sb):
    second_order(lambda a, b: (a @ b) ** 2, [make_array(sa), make_array(sb, seed=1)])


E32, E64 = ember.float32, ember.float64


@pytest.mark.parametrize("fn,err,msg", [
    (lambda: ember.ones(2, 3) @ ember.ones(4, 5), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"),
    (lambda: ember.ones(3) @ ember.ones(4, 5), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(1x3 and 4x5\)"),
    (lambda: ember.ones(2, 2, 3) @ ember.ones(4, 5), RuntimeError,
     r"mat1 and mat2 shapes cannot be multiplied \(4x3 and 4x5\)"),
    (lambda: ember.ones(3) @ ember.ones(4), RuntimeError,
     r"inconsistent tensor size, expected tensor \[3\] and src \[4\] to have the same number of elements"),
    (lambda: ember.ones(2, 3) @ ember.ones(4), RuntimeError, r"size mismatch, got input \(2\), mat \(2x3\), vec \(4\)"),
    (lambda: ember.ones(2, 2, 3) @ ember.ones(4), RuntimeError,
     r"size mismatch, got input \(4\), mat \(4x3\), vec \(4\)"),
    (lambda: ember.ones(2, 2, 3) @ ember.ones(2, 4, 5), RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[2, 3\] but got: \[2, 4\]\."),
    (lambda: ember.ones(3) @ ember.ones(2, 4, 5), RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[2, 3\] but got: \[2, 4\]\."),
    (lambda: ember.ones(3, 2, 3) @ ember.ones(2, 3, 5), RuntimeError,
     r"The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 0"),
    (lambda: ember.ones(3) @ ember.ones(()), RuntimeError,
     "both arguments to matmul need to be at least 1D, but they are 1D and 0D"),
    (lambda: ember.ones(2, 3) @ ember.ones(3, 4, dtype=E64), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: float != double"),
    (lambda: ember.ones(2, 3, dtype=ember.int64) @ ember.ones(3, 4), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: long int != float"),
    (lambda: ember.ones(3) @ ember.ones(3, dtype=E64), RuntimeError,
     "dot : expected both vectors to have same dtype, but found Float and Double"),
    (lambda: ember.ones(2, 3) @ ember.ones(3, dtype=E64), RuntimeError,
     "addmv input tensors must have the same dtype, but got Double, Float, and Double"),
    (lambda: ember.ones(2, 2, 3) @ ember.ones(2, 3, 4, dtype=E64), RuntimeError,
     "expected scalar type Float but found Double"),
    (lambda: ember.ones(2, 3, dtype=ember.bool) @ ember.ones(3, 4, dtype=ember.bool), NotImplementedError,
     "\"addmm_impl_cpu_\" not implemented for 'Bool'"),
    (lambda: ember.mm(ember.ones(3), ember.ones(3, 3)), RuntimeError, "self must be a matrix"),
    (lambda: ember.mm(ember.ones(3, 3), ember.ones(3)), RuntimeError, "mat2 must be a matrix"),
    (lambda: ember.bmm(ember.ones(2, 3, 3), ember.ones(3, 3)), RuntimeError, "batch2 must be a 3D tensor"),
    (lambda: ember.bmm(ember.ones(2, 3, 3), ember.ones(3, 3, 3)), RuntimeError,
     r"Expected size for first two dimensions of batch2 tensor to be: \[2, 3\] but got: \[3, 3\]\."),
    (lambda: ember.bmm(ember.ones(2, 3, 4), ember.ones(2, 4, 3, dtype=E64)), RuntimeError,
     "expected scalar type Float but found Double"),
    (lambda: ember.mv(ember.ones(2, 3), ember.ones(3, 1)), RuntimeError,
     "vector \\+ matrix @ vector expected, got 1, 2, 2"),
    (lambda: ember.dot(ember.ones(3, 1), ember.ones(3)), RuntimeError,
     "1D tensors expected, but got 2D and 1D tensors"),
    (lambda: ember.outer(ember.ones(3, 2), ember.ones(3)), RuntimeError,
     "outer: Expected 1-D argument self, but got 2-D"),
    (lambda: ember.outer(ember.ones(2), ember.ones(3, 2)), RuntimeError,
     "outer: Expected 1-D argument vec2, but got 2-D"),
])
def test_product_errors(fn, err, msg):
    with pytest.raises(err, match=msg):
        fn()


# -- mm, bmm, mv, dot, outer ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,sa,sb", [("mm", (2, 3), (3, 4)), ("mm", (1, 1), (1, 5)), ("bmm", (3, 2, 4), (3, 4, 2)),
                                        ("bmm", (0, 2, 4), (0, 4, 2)), ("mv", (4, 3), (3,)), ("dot", (5,), (5,)),
                                        ("outer", (3,), (4,)), ("ger", (2,), (0,)), ("inner", (2, 3), (4, 3)),
                                        ("inner", (3,), (3,)), ("inner", (), (2, 3))])
def test_products(name, sa, sb, dtype):
    check_op(lambda a, b: getattr(a, name)(b), [sa, sb], dtype=dtype)


def test_products_non_contiguous():
    check_op(lambda a, b: a.mm(b), [(3, 4), (4, 2)], noncontig=True)
    check_op(lambda a, b: a.mv(b), [(3, 4), (4,)], noncontig=True)
    check_op(lambda a, b: a.dot(b), [(4,), (4,)], noncontig=True)


def test_outer_promotes_dtypes():
    check_op(lambda a, b: a.outer(b.double()), [(3,), (2,)], dtype="float32")
    check_op(lambda a, b: ember.outer(a.long(), b) if isinstance(a, ember.Tensor) else torch.outer(a.long(), b),
             [(3,), (2,)], dtype="float32")


def test_dot_integers():
    check_op(lambda a, b: a.dot(b), [(4,), (4,)], dtype="int64", low=-3, high=3)


# -- fused add-products ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("bias,beta,alpha", [((2, 4), 1, 1), ((4,), 0.5, 2.0), ((), 2, 1), ((1, 4), 1, -1.5),
                                             ((2, 1), 0, 1)])
def test_addmm(bias, beta, alpha, dtype):
    check_op(lambda c, a, b: lib(c).addmm(c, a, b, beta=beta, alpha=alpha), [bias, (2, 3), (3, 4)], dtype=dtype)


def test_addmm_beta_zero_ignores_nan_in_input():
    c = np.full((2, 4), np.nan)
    e, t = check_op(lambda c, a, b: lib(c).addmm(c, a, b, beta=0), arrays=[c, make_array((2, 3)),
                                                                        make_array((3, 4), seed=1)])
    assert not np.isnan(e.detach().numpy()).any()


def test_addmm_inplace_and_out():
    c, a, b = make_array((2, 4)), make_array((2, 3), seed=1), make_array((3, 4), seed=2)
    expected = torch.tensor(c).addmm_(torch.tensor(a), torch.tensor(b), beta=0.5, alpha=3)
    e = ember.tensor(c)
    assert e.addmm_(ember.tensor(a), ember.tensor(b), beta=0.5, alpha=3) is e
    assert_same(e, expected)
    out = ember.zeros(2, 4, dtype=ember.float64)
    ember.addmm(ember.tensor(c), ember.tensor(a), ember.tensor(b), beta=0.5, alpha=3, out=out)
    assert_same(out, expected)


@pytest.mark.parametrize("bias,beta,alpha", [((2, 3, 4), 1, 1), ((4,), 0.5, 2.0), ((3, 1), 0, 1)])
def test_baddbmm(bias, beta, alpha):
    check_op(lambda c, a, b: c.baddbmm(a, b, beta=beta, alpha=alpha), [bias, (2, 3, 5), (2, 5, 4)])


@pytest.mark.parametrize("bias,beta,alpha", [((3, 4), 1, 1), ((4,), 0.5, 2.0), ((3, 4), 0, -1)])
def test_addbmm(bias, beta, alpha):
    check_op(lambda c, a, b: c.addbmm(a, b, beta=beta, alpha=alpha), [bias, (2, 3, 5), (2, 5, 4)])


@pytest.mark.parametrize("bias,beta,alpha", [((2,), 1, 1), ((1,), 0.5, 2.0), ((), 0, 1)])
def test_addmv(bias, beta, alpha):
    check_op(lambda c, a, b: c.addmv(a, b, beta=beta, alpha=alpha), [bias, (2, 3), (3,)])


@pytest.mark.parametrize("bias,beta,alpha", [((2, 3), 1, 1), ((3,), 0.5, 2.0), ((2, 3), 0, 1)])
def test_addr(bias, beta, alpha):
    check_op(lambda c, a, b: c.addr(a, b, beta=beta, alpha=alpha), [bias, (2,), (3,)])


def test_addr_promotes_and_integers():
    # values only: PyTorch's own AddrBackward0 fails on mixed dtypes
    check_op(lambda c, a, b: c.addr(a, b.double()), [(2, 3), (2,), (3,)], dtype="float32", grad=False)
    check_op(lambda c, a, b: c.addr(a, b, beta=2, alpha=3), [(2, 3), (2,), (3,)], dtype="int64", low=-4, high=4)


def test_add_products_double_backward():
    second_order(lambda c, a, b: ember.addmm(c, a, b, beta=0.5, alpha=2) ** 2 if isinstance(c, ember.Tensor)
                 else torch.addmm(c, a, b, beta=0.5, alpha=2) ** 2,
                 [make_array((4,)), make_array((2, 3), seed=1), make_array((3, 4), seed=2)])
    second_order(lambda c, a, b: c.baddbmm(a, b, alpha=2) ** 2,
                 [make_array((2, 3, 4)), make_array((2, 3, 5), seed=1), make_array((2, 5, 4), seed=2)])
    second_order(lambda c, a, b: c.addr(a, b, alpha=2) ** 2, [make_array((2, 3)), make_array((2,)), make_array((3,))])


@pytest.mark.parametrize("fn,msg", [
    (lambda: ember.addmm(ember.ones(2, 5), ember.ones(2, 3), ember.ones(3, 4)),
     r"The expanded size of the tensor \(4\) must match the existing size \(5\) at non-singleton dimension 1"),
    (lambda: ember.addmm(ember.ones(2, 4), ember.ones(2, 3), ember.ones(4)), "mat2 must be a matrix, got 1-D tensor"),
    (lambda: ember.addmm(ember.ones(2, 4), ember.ones(2, 3), ember.ones(3, 4, dtype=E64)),
     "self and mat2 must have the same dtype, but got Float and Double"),
    (lambda: ember.addmm(ember.ones(2, 4), ember.ones(2, 3, dtype=E64), ember.ones(3, 4)),
     "mat1 and mat2 must have the same dtype, but got Double and Float"),
    (lambda: ember.addmm(ember.ones(2, 4), ember.ones(2, 3), ember.ones(5, 4)),
     r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 5x4\)"),
    (lambda: ember.baddbmm(ember.ones(4, dtype=E64), ember.ones(2, 3, 5), ember.ones(2, 5, 4)),
     "Input dtypes must be the same, got: input double, batch1: float, batch2: float"),
    (lambda: ember.baddbmm(ember.ones(5), ember.ones(2, 3, 5), ember.ones(2, 5, 4)),
     r"The expanded size of the tensor \(4\) must match the existing size \(5\) at non-singleton dimension 2"),
    (lambda: ember.addbmm(ember.ones(3, 4), ember.ones(2, 3, 5), ember.ones(3, 5, 4)),
     "batch1 and batch2 must have same number of batches, got 2 and 3"),
    (lambda: ember.addbmm(ember.ones(3, 4), ember.ones(2, 3, 5), ember.ones(2, 4, 4)),
     r"Incompatible matrix sizes for bmm \(3x5 and 4x4\)"),
    (lambda: ember.addmv(ember.ones(3), ember.ones(2, 3), ember.ones(3)),
     r"size mismatch, got input \(3\), mat \(2x3\), vec \(3\)"),
    (lambda: ember.addmv(ember.ones(2), ember.ones(2, 3), ember.ones(3, dtype=E64)),
     "addmv input tensors must have the same dtype, but got Float, Float, and Double"),
    (lambda: ember.addr(ember.ones(2, 3), ember.ones(2, 1), ember.ones(3)),
     "addr: Expected 1-D argument vec1, but got 2-D"),
    (lambda: ember.addr(ember.ones(2, 3, dtype=ember.int64), ember.ones(2, dtype=ember.int64),
                        ember.ones(3, dtype=ember.int64), beta=0.5),
     "For integral input tensors, argument beta must not be a floating point number."),
])
def test_add_product_errors(fn, msg):
    with pytest.raises(RuntimeError, match=msg):
        fn()


# -- tensordot, multi_dot, chain_matmul ---------------------------------------------------------------------
@pytest.mark.parametrize("sa,sb,dims", [((2, 3), (3, 5), 1), ((2, 3, 4), (3, 4, 5), 2), ((2, 3), (4, 5), 0),
                                        ((3, 2, 4), (2, 5, 3), ([0, 1], [2, 0])), ((2, 3), (3, 2), ([1, 0], [0, 1])),
                                        ((4, 0), (0, 2), 1), ((3,), (3,), 1)])
def test_tensordot(sa, sb, dims):
    check_op(lambda a, b: lib(a).tensordot(a, b, dims=dims), [sa, sb])


def test_tensordot_dims_as_tensor():
    a, b = make_array((2, 3)), make_array((3, 5), seed=1)
    expected = torch.tensordot(torch.tensor(a), torch.tensor(b), dims=torch.tensor([[1], [0]]))
    assert_same(ember.tensordot(ember.tensor(a), ember.tensor(b), dims=ember.tensor([[1], [0]])), expected)
    assert_same(ember.tensordot(ember.tensor(a), ember.tensor(b), dims=ember.tensor(1)), expected)


@pytest.mark.parametrize("fn,msg", [
    (lambda: ember.tensordot(ember.ones(2, 3), ember.ones(4, 5), dims=1),
     "contracted dimensions need to match, but first has size 3 in dim -1 and second has size 4 in dim 0"),
    (lambda: ember.tensordot(ember.ones(2, 3), ember.ones(3, 5), dims=-1),
     "tensordot expects dims >= 0, but got dims=-1"),
    (lambda: ember.tensordot(ember.ones(2, 3), ember.ones(3, 5), dims=3),
     "tensordot expects dims < ndim_a or ndim_b, but got dims=3"),
    (lambda: ember.tensordot(ember.ones(2, 3), ember.ones(3, 5), dims=([1, 0], [0])),
     "both dimension lists should have same length"),
    (lambda: ember.tensordot(ember.ones(2, 3), ember.ones(3, 5, dtype=E64), dims=1),
     "both inputs should have same dtype"),
    (lambda: ember.inner(ember.ones(2, 3), ember.ones(4, 5)),
     r"inner\(\) the last dimension must match on both input tensors but got shapes \[2, 3\] and \[4, 5\]"),
])
def test_tensordot_errors(fn, msg):
    with pytest.raises(RuntimeError, match=msg):
        fn()


@pytest.mark.parametrize("shapes", [[(3, 4), (4, 5)], [(3,), (3, 4), (4, 5), (5,)], [(2, 10), (10, 3), (3, 7), (7, 1)],
                                    [(4,), (4, 2)], [(2, 4), (4,)]])
def test_multi_dot(shapes):
    check_op(lambda *ms: lib(ms[0]).linalg.multi_dot(list(ms)), shapes)


def test_chain_matmul():
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        ember.chain_matmul(ember.ones(2, 2), ember.ones(2, 2))
    with pytest.warns(UserWarning):
        check_op(lambda a, b, c: lib(a).chain_matmul(a, b, c), [(3, 4), (4, 5), (5, 2)])
        check_op(lambda a: lib(a).chain_matmul(a), [(3, 4)])


@pytest.mark.parametrize("fn,msg", [
    (lambda: ember.linalg.multi_dot([ember.ones(3, 4)]), "multi_dot\\(\\): expected at least 2 tensors but got 1"),
    (lambda: ember.linalg.multi_dot([ember.ones(3, 4), ember.ones(5, 5)]),
     r"multi_dot\(\): tensors 0 and 1 with shapes \[3, 4\] and \[5, 5\] cannot be multiplied"),
    (lambda: ember.linalg.multi_dot([ember.ones(3, 4), ember.ones(2, 4, 5)]),
     "multi_dot\\(\\): the last tensor must be 1D or 2D but got 3D"),
    (lambda: ember.linalg.multi_dot([ember.ones(3, 4), ember.ones(4, 5, dtype=E64)]),
     "multi_dot\\(\\): all tensors must have be the same dtype but tensor 0 is float and tensor 1 double"),
])
def test_multi_dot_errors(fn, msg):
    with pytest.raises(RuntimeError, match=msg):
        fn()
