"""Tensor attributes, Python protocols, copies and fills, comparisons helpers and pickling, checked against torch."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch

import ember
from tests.test_factories import same_behaviour

MODULES = {"pickle": pickle, "copy": copy}

# -- shape, strides, contiguity ------------------------------------------------------------------------------
LAYOUTS = {
    "contig": "lib.arange(24.0).reshape(2, 3, 4)", "transposed": "lib.arange(6.0).reshape(2, 3).T",
    "permuted": "lib.arange(24.0).reshape(2, 3, 4).permute(2, 0, 1)",
    "sliced": "lib.arange(24.0).reshape(4, 6)[1:3, 2:5]",
    "stepped": "lib.arange(24.0).reshape(4, 6)[::2, ::3]", "row": "lib.arange(24.0).reshape(4, 6)[1]",
    "column": "lib.arange(24.0).reshape(4, 6)[:, 1]", "t_row": "lib.arange(24.0).reshape(4, 6).T[2]",
    "expanded": "lib.ones(3, 1).expand(3, 4)", "scalar": "lib.tensor(1.5)", "size1": "lib.ones(4, 1)[::2]",
}
ATTRIBUTES = ["x.shape", "x.size()", "x.dim()", "x.ndim", "x.ndimension()", "x.numel()", "x.nelement()",
              "x.stride()", "x.storage_offset()", "x.is_contiguous()", "x.contiguous().stride()",
              "x.contiguous().is_contiguous()", "x.contiguous().storage_offset()", "x.tolist()", "len(x.shape)",
              "x.element_size()", "x.dtype", "x.device", "x.is_leaf", "x.requires_grad", "x.is_floating_point()"]


@pytest.mark.parametrize("layout", list(LAYOUTS), ids=list(LAYOUTS))
def test_layout_attributes(layout):
    """shape/size/dim/numel/stride/storage_offset/is_contiguous/contiguous agree with torch on views."""
    x_e, x_t = eval(LAYOUTS[layout], {"lib": ember}), eval(LAYOUTS[layout], {"lib": torch})
    for attr in ATTRIBUTES:
        e, t = eval(attr, {"x": x_e}), eval(attr, {"x": x_t})
        assert repr(e) == repr(t).replace("torch", "ember"), (attr, e, t)
    for d in range(-x_t.dim(), x_t.dim()):
        assert x_e.size(d) == x_t.size(d) and x_e.stride(d) == x_t.stride(d)


@pytest.mark.parametrize("expr", [
    "lib.ones(2, 3, 4).size(3)", "lib.ones(2, 3, 4).size(-4)", "lib.ones(2, 3, 4).stride(3)",
    "lib.ones(()).size(0)", "lib.ones(()).size(-1)", "lib.ones(2).size('a')",
])
def test_dimension_errors(expr):
    """Out-of-range dims raise IndexError with torch's message."""
    same_behaviour(expr)


def test_contiguous_returns_self_when_contiguous():
    """contiguous() is a no-op on contiguous tensors and copies otherwise."""
    t = ember.ones(2, 3)
    assert t.contiguous() is t
    tt = t.T
    c = tt.contiguous()
    assert c is not tt and c.is_contiguous() and c.tolist() == tt.tolist()


# -- Python protocols ---------------------------------------------------------------------------------------
PROTOCOL_CASES = [
    "lib.tensor(2.5).item()", "lib.tensor([3]).item()", "lib.tensor([[True]]).item()", "lib.tensor([1, 2]).item()",
    "lib.tensor([]).item()", "lib.tensor([[1, 2], [3, 4]]).tolist()", "lib.tensor(3).tolist()",
    "lib.tensor([1.5], dtype=lib.float16).tolist()", "lib.tensor([True]).tolist()", "lib.tensor([[]]).tolist()",
    "len(lib.ones(3, 2))", "len(lib.tensor(3))", "len(lib.ones(0))",
    "[x.tolist() for x in lib.tensor([[1, 2], [3, 4]])]",
    "list(lib.tensor([1, 2]))", "list(lib.tensor(3))", "bool(lib.tensor([0]))", "bool(lib.tensor(1.5))",
    "bool(lib.tensor([[True]]))", "bool(lib.tensor([1, 2]))", "bool(lib.tensor([]))", "bool(lib.tensor(float('nan')))",
    "int(lib.tensor(2.7))", "int(lib.tensor([-2.7]))", "float(lib.tensor(3))", "int(lib.tensor(True))",
    "lib.tensor(3).__index__()", "lib.tensor([3]).__index__()", "lib.tensor(3.0).__index__()",
    "lib.tensor([1, 2]).__index__()", "list(range(lib.tensor(3)))", "[10, 20, 30][lib.tensor(1)]",
    "[10, 20, 30][lib.tensor(1.0)]", "hex(lib.tensor(255))", "'%.2f' % lib.tensor(1.2345)",
    "'{:.3f}'.format(lib.tensor(2.0))", "complex(lib.tensor(2.0))", "1 if lib.tensor(0.0) else 2",
    "lib.tensor(2) in [1, 2]", "lib.tensor([1, 2]).__len__()",
]


@pytest.mark.parametrize("expr", PROTOCOL_CASES)
def test_python_protocols(expr):
    """item/tolist/len/iter/bool/int/float/index/format behave (and fail) as in torch."""
    same_behaviour(expr)


@pytest.mark.parametrize("expr", ["int(lib.tensor([1, 2]))", "float(lib.tensor([1, 2]))"])
def test_scalar_conversion_of_many_elements(expr):
    """int()/float() of a multi-element tensor fail (torch raises ValueError)."""
    same_behaviour(expr)


def test_tensors_hash_by_identity():
    """Tensors are usable as dict keys and set members by identity, even when their values are equal."""
    a, b = ember.tensor([1.0]), ember.tensor([1.0])
    d = {a: "a", b: "b"}
    assert d[a] == "a" and d[b] == "b" and len({a, b, a}) == 2
    assert hash(a) == hash(a) and hash(a) != hash(b)
    ta, tb = torch.tensor([1.0]), torch.tensor([1.0])
    assert len({ta, tb, ta}) == 2


# -- ember.Size ---------------------------------------------------------------------------------------------
SIZE_CASES = [
    "lib.Size([2, 3])", "repr(lib.Size([2, 3]))", "str(lib.Size([]))", "lib.Size([2, 3]).numel()",
    "lib.Size([]).numel()",
    "lib.Size([2, 3, 4])[1:]", "lib.Size([2, 3, 4])[-1]", "lib.Size([2, 3, 4])[::-1]", "lib.Size([2, 3]) + (4,)",
    "(1,) + lib.Size([2, 3])", "lib.Size([2, 3]) + lib.Size([4])", "lib.Size([2, 3]) == (2, 3)", "lib.Size([2, 3]) * 2",
    "lib.Size((2, 3)) == lib.Size([2, 3])", "isinstance(lib.Size([1]), tuple)", "lib.Size([2, 3]) == [2, 3]",
    "lib.Size([True])", "lib.Size([np.int64(2)])", "lib.Size([lib.tensor(2)])", "lib.Size()", "lib.Size([-1])",
    "lib.Size(x for x in [1, 2])", "hash(lib.Size([2])) == hash((2,))", "type(lib.Size([2, 3])[0:1]).__name__",
    "type(lib.Size([2, 3]) + (1,)).__name__", "type((1,) + lib.Size([2, 3])).__name__",
    "lib.ones(2, 3).shape == (2, 3)",
    "lib.ones(2, 3).size() == lib.Size([2, 3])", "type(lib.ones(2, 3).shape).__name__", "lib.Size([2, 3]).index(3)",
    "lib.Size([2.5])", "lib.Size([lib.tensor(2.0)])", "lib.Size(3)", "lib.Size([2, 3]) + [4]",
]


@pytest.mark.parametrize("expr", SIZE_CASES)
def test_size(expr):
    """ember.Size repr/numel/slicing/concatenation/validation as torch.Size."""
    same_behaviour(expr)


# -- printing -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("expr", [
    "lib.tensor([1.5, 2.25])", "lib.tensor([[1, 2], [3, 4]], dtype=lib.int32)", "lib.zeros(2, 3, dtype=lib.float64)",
    "lib.tensor(3.0)", "lib.tensor([], dtype=lib.int64)", "lib.ones(2, requires_grad=True)",
    "lib.tensor([True, False])",
    "lib.arange(2000.0)", "lib.tensor([1e-8, 1.0])", "lib.tensor([1.0, float('nan'), float('inf')])",
    "lib.ones(2, requires_grad=True) * 2", "lib.tensor([1, 2], dtype=lib.uint8)", "lib.float32", "lib.device('cpu')",
    "lib.zeros(2, 0)", "lib.tensor([[1.5]], dtype=lib.float16)",
])
def test_repr_matches_torch(expr):
    """repr (and str) of tensors, dtypes and devices is torch's with 'torch' spelled 'ember'."""
    e, t = eval(expr, {"lib": ember}), eval(expr, {"lib": torch})
    assert repr(e) == repr(t).replace("torch", "ember")
    assert str(e) == str(t).replace("torch", "ember")


# -- clone / detach / copy_ / fill_ / new_* ----------------------------------------------------------------
def test_clone_owns_memory_and_records_graph():
    """clone copies (values, dtype) and is differentiable (CloneBackward0)."""
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    c = a.clone()
    assert type(c.grad_fn).__name__ == "CloneBackward0"
    (c * c).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 4.0])
    b = ember.tensor([1, 2])
    d = b.clone()
    d[0] = 9
    assert b.tolist() == [1, 2] and d.dtype is ember.int64


def test_detach_shares_memory_and_version():
    """detach() shares data and the version counter; it drops the graph."""
    for lib in (ember, torch):
        x = lib.ones(3, requires_grad=True)
        y = x * 2
        z = y.detach()
        assert not z.requires_grad and z.is_leaf and z.grad_fn is None
        z.zero_()
        assert y.tolist() == [0.0, 0.0, 0.0]
        assert y._version == z._version == 1
        a = lib.ones(2)
        b = a.detach()
        b.add_(1)
        assert a.tolist() == [2.0, 2.0] and a._version == 1


COPY_FILL_CASES = [
    "lib.zeros(3).copy_(lib.tensor([1, 2, 3]))", "lib.zeros(2, 3).copy_(lib.tensor([1.5, 2.5, 3.5]))",
    "lib.zeros(2, 3, dtype=lib.int64).copy_(lib.tensor([1.5, -2.5, 3.5]))",
    "lib.zeros(2, 3).copy_(lib.tensor([1.5, 2.5]))",
    "lib.zeros(3).copy_(lib.zeros(2, 3))", "lib.zeros(3).copy_([1, 2, 3])", "lib.zeros(3).copy_(5)",
    "lib.zeros(3, dtype=lib.bool).copy_(lib.tensor([0.0, 0.5, 2.0]))",
    "lib.zeros(3, dtype=lib.uint8).copy_(lib.tensor([-1, 256, 3]))",
    "lib.zeros(2).copy_(lib.tensor(7.0))", "lib.zeros(2, 2).T.copy_(lib.tensor([[1, 2], [3, 4]]))",
    "lib.ones(3).expand(2, 3).copy_(lib.zeros(2, 3))", "lib.ones(2).fill_(300)",
    "lib.ones(2, dtype=lib.uint8).fill_(300)",
    "lib.ones(2, dtype=lib.uint8).fill_(-1)", "lib.ones(2, dtype=lib.int32).fill_(2.7)",
    "lib.ones(2, dtype=lib.int32).fill_(float('nan'))", "lib.ones(2).fill_(lib.tensor(3.0))",
    "lib.ones(2).fill_(lib.tensor([1.0, 2.0]))", "lib.ones(2, dtype=lib.bool).fill_(5)", "lib.ones(2, 2).zero_()",
    "lib.ones(2, 2, dtype=lib.int8).zero_()", "lib.ones(4)[::2].fill_(3.0)", "lib.ones(3).expand(2, 3).fill_(1.0)",
    "lib.ones(2, dtype=lib.float16).fill_(1e5)", "lib.ones(3, 1).expand(3, 4).zero_()",
    "lib.ones(2, 3)[:, :1].expand(2, 5).fill_(4)",
]


@pytest.mark.parametrize("expr", COPY_FILL_CASES)
def test_copy_and_fill(expr):
    """copy_ broadcasts and casts; fill_/zero_ range-check the value; both refuse expanded tensors."""
    same_behaviour(expr)


@pytest.mark.parametrize("expr", ["lib.ones(2).fill_('a')", "lib.ones(2).fill_(None)"])
def test_fill_rejects_non_numbers(expr):
    """fill_ with a non-number raises TypeError (torch's message lists its overloads)."""
    same_behaviour(expr, check_message=False)


def test_inplace_copy_writes_through_views():
    """copy_/fill_ on a view change the base tensor."""
    base = ember.zeros(3, 4)
    base[1].copy_(ember.arange(4.0))
    base[:, 0].fill_(-1.0)
    tb = torch.zeros(3, 4)
    tb[1].copy_(torch.arange(4.0))
    tb[:, 0].fill_(-1.0)
    assert base.tolist() == tb.tolist()


@pytest.mark.parametrize("case", ["copy_grad", "copy_cast", "fill_tensor", "fill_scalar", "zero"])
def test_copy_and_fill_gradients(case):
    """Gradients through copy_/fill_/zero_ (and their node names) match torch's."""
    def run(lib):
        x = lib.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        s = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = x * 1
        if case == "copy_grad":
            y.copy_(s * 2)
        elif case == "copy_cast":
            y = lib.zeros(3, dtype=lib.float64)
            y.copy_(s)
            y = y * y
        elif case == "fill_tensor":
            y.fill_((s * s).sum())
        elif case == "fill_scalar":
            y.fill_(2.0)
        else:
            y.zero_()
        (y * y).sum().backward() if case != "copy_cast" else y.sum().backward()
        name = type(y.grad_fn).__name__
        return x.grad, s.grad, name

    e, t = run(ember), run(torch)
    assert e[2] == t[2]
    for ge, gt in zip(e[:2], t[:2]):
        assert (ge is None) == (gt is None)
        if gt is not None:
            np.testing.assert_allclose(ge.numpy(), gt.numpy())


NEW_CASES = [
    "lib.ones(2, dtype=lib.int8).new_zeros(3)", "lib.ones(2, dtype=lib.int8).new_zeros((3, 1))",
    "lib.ones(2, dtype=lib.int8).new_ones(2, 2, dtype=lib.float64)", "lib.ones(2, dtype=lib.int8).new_full((2,), 5)",
    "lib.ones(2, dtype=lib.int8).new_full((2,), 2.5)", "lib.ones(2, dtype=lib.int8).new_full((2,), 300)",
    "lib.ones(2, dtype=lib.int8).new_tensor([1.5, 2])", "lib.ones(2, dtype=lib.float64).new_tensor([1, 2])",
    "lib.ones(2, dtype=lib.float64).new_tensor([1, 2], dtype=lib.int32)", "lib.ones(2).new_empty(2, 3).shape",
    "lib.ones(2).new_empty((2, 3)).dtype", "lib.ones(2, dtype=lib.int64).new_empty(0).dtype",
    "lib.ones(2).new_zeros(2, requires_grad=True).requires_grad", "lib.ones(2).new_tensor(lib.tensor([1, 2]))",
    "lib.ones(2, requires_grad=True).new_ones(2).requires_grad", "lib.ones(2, dtype=lib.int8).new_full((2,), True)",
]


@pytest.mark.parametrize("expr", NEW_CASES)
def test_new_factories(expr):
    """new_* take self's dtype unless told otherwise and never inherit requires_grad."""
    same_behaviour(expr)


# -- is_tensor / numel / allclose / isclose / equal ---------------------------------------------------------
CLOSE_CASES = [
    "lib.is_tensor(lib.ones(1))", "lib.is_tensor([1])", "lib.numel(lib.ones(2, 3))",
    "lib.is_floating_point(lib.ones(1))",
    "lib.allclose(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0 + 1e-6]))",
    "lib.allclose(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.1]))",
    "lib.allclose(lib.tensor([1.0, float('nan')]), lib.tensor([1.0, float('nan')]))",
    "lib.allclose(lib.tensor([1.0, float('nan')]), lib.tensor([1.0, float('nan')]), equal_nan=True)",
    "lib.allclose(lib.tensor([1, 2]), lib.tensor([1.0, 2.0]))",
    "lib.allclose(lib.tensor([1.0]), lib.tensor([1.0, 1.0]))",
    "lib.allclose(lib.tensor([1.0, 2.0]), lib.tensor([1.1, 2.2]), rtol=0.1)",
    "lib.allclose(lib.tensor([1.0, 2.0]), lib.tensor([1.1, 2.2]), atol=0.2)",
    "lib.allclose(lib.ones(2, 3), lib.ones(3))",
    "lib.allclose(lib.ones(3), lib.ones(2, 3))", "lib.allclose(lib.ones(2, dtype=lib.float64), lib.ones(2))",
    "lib.isclose(lib.tensor([1.0, 2.0, float('inf'), float('nan')]),"
    " lib.tensor([1.0, 2.1, float('inf'), float('nan')]))",
    "lib.isclose(lib.tensor([1.0, float('inf'), -float('inf')]), lib.tensor([1.0, -float('inf'), -float('inf')]))",
    "lib.isclose(lib.tensor([1, 2]), lib.tensor([1, 3]))", "lib.isclose(lib.tensor([1, 2]), lib.tensor([1.0, 3.0]))",
    "lib.isclose(lib.tensor([True]), lib.tensor([True]))", "lib.isclose(lib.tensor([1.0, 2.0]), 2.0)",
    "lib.isclose(lib.tensor([1.0, 2.0]), lib.tensor([1.0]))",
    "lib.isclose(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0]), rtol=-1.0)",
    "lib.isclose(lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0]), atol=-1.0)",
    "lib.isclose(lib.tensor([10, 20]), lib.tensor([11, 20]), rtol=0, atol=1)",
    "lib.isclose(lib.tensor([1.0], dtype=lib.float16), lib.tensor([1.0005], dtype=lib.float16))",
    "lib.tensor([1.0, 2.0]).isclose(lib.tensor([1.0, 2.5]))", "lib.tensor([1.0, 2.0]).allclose(lib.tensor([1.0, 2.5]))",
    "lib.equal(lib.tensor([1, 2]), lib.tensor([1, 2]))", "lib.equal(lib.tensor([1, 2]), lib.tensor([1, 3]))",
    "lib.equal(lib.tensor([1, 2]), lib.tensor([1.0, 2.0]))", "lib.equal(lib.tensor([1, 2]), lib.tensor([[1, 2]]))",
    "lib.equal(lib.tensor([float('nan')]), lib.tensor([float('nan')]))", "lib.equal(lib.tensor([1.0]), 1.0)",
    "lib.tensor([True, False]).equal(lib.tensor([1, 0]))",
]


@pytest.mark.parametrize("expr", CLOSE_CASES)
def test_close_and_equal(expr):
    """is_tensor/numel/allclose/isclose/equal give torch's results and errors."""
    same_behaviour(expr)


# -- ember.testing.assert_close --------------------------------------------------------------------------------
ASSERT_CLOSE_CASES = [
    "lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0 + 1e-7])", "lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.1])",
    "lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0], dtype=lib.float64)",
    "lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.0], dtype=lib.float64), check_dtype=False",
    "lib.tensor([1.0, 2.0]), lib.tensor([[1.0, 2.0]])", "lib.tensor([1, 2]), lib.tensor([1, 3])",
    "lib.tensor([float('nan')]), lib.tensor([float('nan')])",
    "lib.tensor([float('nan')]), lib.tensor([float('nan')]), equal_nan=True",
    "lib.tensor([1.0]), lib.tensor([1.5]), rtol=0.5, atol=0.0", "lib.tensor([1.0]), lib.tensor([1.5]), rtol=0.1",
    "lib.tensor([1.0]), lib.tensor([1.5]), msg='custom'", "1.0, 1.0 + 1e-9", "1.0, 1.1",
    "[lib.tensor(1.0), lib.tensor(2.0)], [lib.tensor(1.0), lib.tensor(2.5)]",
    "{'a': lib.tensor(1.0)}, {'a': lib.tensor(1.0)}",
    "lib.tensor([1.0], dtype=lib.float16), lib.tensor([1.002], dtype=lib.float16)",
    "lib.ones(2, requires_grad=True), lib.ones(2)",
    "lib.tensor([True]), lib.tensor([False])",
    "lib.tensor([[1.0, 2.0], [3.0, 4.0]]), lib.tensor([[1.0, 2.0], [3.0, 5.0]])",
    "np.array([1.0]), np.array([1.0])", "lib.tensor(1.0), lib.tensor(2.0)",
    "[lib.tensor([1.0]), [lib.tensor(1.0), lib.tensor(3.0)]], [lib.tensor([1.0]), [lib.tensor(1.0), lib.tensor(2.0)]]",
    "{'a': lib.tensor(1.0)}, {'a': lib.tensor(2.0)}", "{'a': 1}, {'b': 1}", "[1, 2], [1, 2, 3]", "1, 1.0",
    "True, False",
    "1, 2", "1.0, 0.0", "lib.tensor([1.0]), lib.tensor([2.0]), msg=lambda m: 'X' + m",
    "lib.tensor([1.0]), lib.tensor([1.01], dtype=lib.float16), check_dtype=False",
    "lib.tensor([1, 2], dtype=lib.uint8), lib.tensor([3, 0], dtype=lib.uint8)", "float('nan'), float('nan')",
    "lib.ones(2, 3).T, lib.ones(3, 2), check_stride=True", "None, None",
    "lib.tensor([float('inf')]), lib.tensor([-float('inf')])",
    "lib.empty(0), lib.empty(0)", "lib.tensor([1.0, 2.0]), lib.tensor([1.0, 2.5]), rtol=0, atol=0",
    "2, 3.0, check_dtype=False",
    "lib.tensor(3), lib.tensor(5)",
    "lib.tensor([[1.0, float('nan')], [3.0, 4.0]]), lib.tensor([[1.0, 2.0], [3.0, 4.5]])",
    "np.array([1.0, 2.0]), np.array([1.0, 2.5])", "lib.tensor([1, 2]), lib.tensor([1.0, 2.0]), check_dtype=False",
]


@pytest.mark.parametrize("args", ASSERT_CLOSE_CASES)
def test_assert_close(args):
    """assert_close passes and fails exactly when torch's does, with torch's message."""
    same_behaviour(f"lib.testing.assert_close({args})")


@pytest.mark.parametrize("args", ["'a', 'a'", "lib.tensor(1.0), 1.0", "lib.tensor([1.0]), np.array([1.0])"])
def test_assert_close_unsupported_inputs(args):
    """Inputs no comparison handles raise TypeError (the class is named ember._tensor.Tensor here)."""
    same_behaviour(f"lib.testing.assert_close({args})", check_message=False)


# -- pickling and deep copies ------------------------------------------------------------------------------------
PICKLE_CASES = [
    "pickle.loads(pickle.dumps(lib.tensor([[1.5, 2.0]])))",
    "pickle.loads(pickle.dumps(lib.tensor([1, 2], dtype=lib.int16)))",
    "pickle.loads(pickle.dumps(lib.ones(2, requires_grad=True))).requires_grad",
    "pickle.loads(pickle.dumps(lib.arange(24.0).reshape(4, 6)[::2, 1:3]))", "pickle.loads(pickle.dumps(lib.float16))",
    "pickle.loads(pickle.dumps(lib.Size([2, 3])))", "pickle.loads(pickle.dumps(lib.device('cuda', 1)))",
    "pickle.loads(pickle.dumps(lib.tensor(True)))", "copy.deepcopy(lib.tensor([1.0, 2.0]))",
    "copy.deepcopy(lib.ones(2, requires_grad=True)).requires_grad",
    "copy.copy(lib.ones(2))",
]


@pytest.mark.parametrize("expr", PICKLE_CASES)
def test_pickle_and_deepcopy(expr):
    """Tensors, dtypes, sizes and devices survive pickle and deepcopy as in torch."""
    same_behaviour(expr, **MODULES)


def test_deepcopy_refuses_non_leaves():
    """Only graph leaves can be deep-copied (RuntimeError; torch's message points at torch URLs)."""
    same_behaviour("copy.deepcopy(lib.ones(2, requires_grad=True) * 2)", check_message=False, **MODULES)


def test_pickle_and_deepcopy_make_independent_copies():
    """Round trips copy memory; deepcopy keeps shared identity inside one container and copies .grad."""
    t = ember.tensor([1.0, 2.0], requires_grad=True)
    t.grad = ember.tensor([0.5, 0.5])
    u = pickle.loads(pickle.dumps(t))
    u.detach()[0] = 9.0
    assert t[0].item() == 1.0 and u.requires_grad
    d = copy.deepcopy(t)
    assert d.grad.tolist() == [0.5, 0.5] and d.grad is not t.grad
    shared = ember.ones(2)
    pair = copy.deepcopy([shared, shared])
    assert pair[0] is pair[1] and pair[0] is not shared
