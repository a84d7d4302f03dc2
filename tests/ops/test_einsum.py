"""einsum against PyTorch: explicit and implicit outputs, repeated labels (traces, diagonals), '...',
size-1 broadcasting, any number of operands, the sublist form, gradients and PyTorch's parse errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from tests.helpers import assert_same, check_op, make_array


def einsum(eq):
    return lambda *xs: (torch if isinstance(xs[0], torch.Tensor) else ember).einsum(eq, *xs)


EQUATIONS = [
    ("ii", [(3, 3)]),  # trace
    ("ii->i", [(3, 3)]),  # diagonal
    ("iij->ji", [(3, 3, 2)]),  # diagonal of two dims, permuted
    ("ij->ji", [(2, 3)]),  # transpose
    ("ij->", [(2, 3)]),  # sum
    ("ij->j", [(2, 3)]),  # column sums: i appears in no other operand
    ("ij,jk", [(2, 3), (3, 4)]),  # matmul, implicit output
    ("ij,jk->ki", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),  # batch matmul
    ("i,i->", [(3,), (3,)]),  # dot
    ("i,j", [(3,), (4,)]),  # outer
    ("i,j->", [(3,), (4,)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),  # Hadamard product
    ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]),  # bilinear
    ("...ij,...jk", [(2, 1, 2, 3), (5, 3, 4)]),  # broadcast ellipsis
    ("...ij,...jk->", [(2, 2, 3), (3, 4)]),
    ("i...->...", [(2, 3, 4)]),
    ("ij...,jk...->ik...", [(2, 3, 5), (3, 4, 5)]),
    ("Ba,aB", [(3, 2), (2, 3)]),  # uppercase labels
    ("bA,Ab", [(3, 2), (2, 3)]),  # implicit output order: A-Z before a-z
    ("i,i", [(2,), (1,)]),  # size-1 dims broadcast
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ii,i->i", [(3, 3), (3,)]),
    ("i->", [(0,)]),  # empty
    ("ij,jk", [(2, 0), (0, 3)]),
    ("", [()]),  # 0-dim
]


@pytest.mark.parametrize("eq,shapes", EQUATIONS)
def test_einsum(eq, shapes):
    check_op(einsum(eq), shapes)


@pytest.mark.parametrize("eq,shapes", [("ij,jk->ik", [(3, 4), (4, 2)]), ("ii->i", [(3, 3)]), ("bij->bj", [(2, 3, 4)])])
def test_einsum_float32_non_contiguous(eq, shapes):
    check_op(einsum(eq), shapes, dtype="float32", noncontig=True)


def test_einsum_integers():
    check_op(einsum("ij,jk->ik"), [(2, 3), (3, 4)], dtype="int64", low=-5, high=5)


def test_einsum_operand_list_spaces_and_sublist_form():
    a, b = make_array((2, 3)), make_array((3, 4), seed=1)
    ea, eb, ta, tb = ember.tensor(a), ember.tensor(b), torch.tensor(a), torch.tensor(b)
    expected = torch.einsum("ij,jk->ik", ta, tb)
    assert_same(ember.einsum("ij,jk->ik", [ea, eb]), expected)
    assert_same(ember.einsum(" i j , j k -> i k ", ea, eb), expected)
    assert_same(ember.einsum(ea, [0, 1], eb, [1, 2], [0, 2]), torch.einsum(ta, [0, 1], tb, [1, 2], [0, 2]))
    assert_same(ember.einsum(ea, [Ellipsis, 1], eb, [1, 2]), torch.einsum(ta, [Ellipsis, 1], tb, [1, 2]))


def test_einsum_output_owns_its_memory():
    a = ember.ones(2, 3)
    out = ember.einsum("ij->ji", a)
    out[0, 0] = 5
    assert a[0, 0].item() == 1


def test_einsum_double_backward():
    arrays = [make_array((2, 3)), make_array((3, 3), seed=1)]
    results = []
    for mod in (torch, ember):
        x, y = (mod.tensor(a, requires_grad=True) for a in arrays)
        out = mod.einsum("ij,jj,jk->ik", x, y, y)
        gx, gy = mod.autograd.grad((out ** 2).sum(), (x, y), create_graph=True)
        results.append(mod.autograd.grad((gx * gx).sum() + gy.sum(), (x, y)))
    assert_same(results[1], results[0])


@pytest.mark.parametrize("eq,shapes,msg", [
    ("ij,jk", [(2, 3)], "einsum\\(\\): fewer operands were provided than specified in the equation"),
    ("ij", [(2, 3), (3,)], "einsum\\(\\): more operands were provided than specified in the equation"),
    ("ij", [(2, 3, 4)], r"einsum\(\): the number of subscripts in the equation \(2\) does not match the number of "
                        r"dimensions \(3\) for operand 0 and no ellipsis was given"),
    ("ij...", [(2,)], r"einsum\(\): the number of subscripts in the equation \(2\) is more than the number of "
                      r"dimensions \(1\) for operand 0"),
    ("ii", [(2, 3)], "einsum\\(\\): subscript i is repeated for operand 0 but the sizes don't match, 3 != 2"),
    ("ij,jk", [(2, 3), (4, 4)], "einsum\\(\\): subscript j has size 4 for operand 1 which does not broadcast with "
                                "previously seen size 3"),
    ("...ij,...jk", [(2, 2, 2, 3), (5, 3, 4)], "einsum\\(\\): dimension 0 covered by ellipsis in operand 1has size 5 "
                                               "which does not broadcast with previously seen ellipsis with size 2"),
    ("ij->ik", [(2, 3)], "einsum\\(\\): output subscript k does not appear in the equation for any input operand"),
    ("ij->ii", [(2, 3)], "einsum\\(\\): output subscript i appears more than once in the output"),
    ("i1->i", [(2, 3)],
     "einsum\\(\\): invalid subscript given at index 1 in the equation string, subscripts must be in"),
    ("ij,jk->ik,", [(2, 3), (3, 4)], "einsum\\(\\): invalid subscript given at index 9 in the equation string"),
    ("ij->i->j", [(2, 2)], "einsum\\(\\): invalid subscript given at index 5 in the equation string"),
    ("ij.,jk", [(2, 3), (3, 4)], "einsum\\(\\): found '.' for operand 0 that is not part of any ellipsis"),
    ("i...j...,jk", [(2, 3), (3, 4)], "einsum\\(\\): found '.' for operand 0 for which an ellipsis was already found"),
])
def test_einsum_errors(eq, shapes, msg):
    for mod in (torch, ember):
        with pytest.raises(RuntimeError, match=msg):
            mod.einsum(eq, *(mod.ones(s) for s in shapes))


def test_einsum_dtype_mismatch():
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        ember.einsum("ij,jk", ember.ones(2, 3), ember.ones(3, 4, dtype=ember.float64))


def test_einsum_values_worked_by_hand():
    a = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert ember.einsum("ii", a).item() == 5.0
    assert ember.einsum("ii->i", a).tolist() == [1.0, 4.0]
    assert ember.einsum("ij,ij->", a, a).item() == 30.0
    assert np.array_equal(ember.einsum("i,j->ij", a[0], a[1]).numpy(), np.array([[3.0, 4.0], [6.0, 8.0]]))
