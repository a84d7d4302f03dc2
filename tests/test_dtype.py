"""dtypes, type promotion and dtype conversions, checked against PyTorch (the oracle)."""

from __future__ import annotations

import operator

import numpy as np
import pytest
import torch

import ember
from tests.helpers import DTYPES
from tests.test_factories import same_behaviour

NAMES = list(DTYPES)
OPS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv}


def _pair(name: str):
    return DTYPES[name]


def _make(lib, name: str, zero_dim: bool):
    """A small tensor of dtype `name` (ones, so every op is defined) in ember or torch."""
    e_dt, t_dt = DTYPES[name]
    if lib is ember:
        return ember.ones(() if zero_dim else (2,), dtype=e_dt)
    return torch.ones(() if zero_dim else (2,), dtype=t_dt)


def _outcome(fn):
    """The result dtype name of fn(), or the exception type it raised (so errors are compared too)."""
    try:
        return str(fn().dtype).split(".")[-1]
    except Exception as e:  # noqa: BLE001 - we compare whichever exception happens
        return type(e).__name__


# -- the promotion table -------------------------------------------------------------------------------
@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("dims", ["dim-dim", "dim-zero", "zero-dim", "zero-zero"])
def test_promotion_table_tensor_tensor(op, dims):
    """Every ordered pair of the 9 dtypes, for tensors with dims and 0-dim tensors, gives torch's dtype."""
    fn = OPS[op]
    za, zb = dims.split("-")[0] == "zero", dims.split("-")[1] == "zero"
    mismatches = []
    for a in NAMES:
        for b in NAMES:
            want = _outcome(lambda: fn(_make(torch, a, za), _make(torch, b, zb)))
            got = _outcome(lambda: fn(_make(ember, a, za), _make(ember, b, zb)))
            if want != got:
                mismatches.append(f"{a} {op} {b}: ember {got}, torch {want}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("op", list(OPS))
@pytest.mark.parametrize("scalar", [3, 2.5, True], ids=["int", "float", "bool"])
@pytest.mark.parametrize("zero_dim", [False, True], ids=["dim", "zero"])
def test_promotion_table_tensor_scalar(op, scalar, zero_dim):
    """tensor OP python scalar and python scalar OP tensor give torch's dtype for all 9 dtypes."""
    fn = OPS[op]
    mismatches = []
    for a in NAMES:
        for order in ("ts", "st"):
            if order == "ts":
                want = _outcome(lambda: fn(_make(torch, a, zero_dim), scalar))
                got = _outcome(lambda: fn(_make(ember, a, zero_dim), scalar))
            else:
                want = _outcome(lambda: fn(scalar, _make(torch, a, zero_dim)))
                got = _outcome(lambda: fn(scalar, _make(ember, a, zero_dim)))
            if want != got:
                mismatches.append(f"{a} ({order}) {op} {scalar!r}: ember {got}, torch {want}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("a", NAMES)
def test_promote_types_and_can_cast(a):
    """ember.promote_types and ember.can_cast agree with torch for every pair."""
    for b in NAMES:
        ea, ta = _pair(a)
        eb, tb = _pair(b)
        assert str(ember.promote_types(ea, eb)) == str(torch.promote_types(ta, tb)).replace("torch", "ember")
        assert ember.can_cast(ea, eb) == torch.can_cast(ta, tb), (a, b)


@pytest.mark.parametrize("args", [
    ("t:int64", 2.5), ("t:int32", 7), ("t:uint8", -1), ("t:float16", "z:float64"), ("z:float64", "t:int8"),
    (2, 2.5), (True, 3), (False, True), ("t:bool", 1.0), ("z:int32", "z:int8"), ("t:uint8", "z:int64"),
], ids=str)
def test_result_type(args):
    """ember.result_type follows torch for tensors, 0-dim tensors and Python scalars."""
    def build(lib, x):
        if isinstance(x, str):
            kind, name = x.split(":")
            return _make(lib, name, kind == "z")
        return x

    want = torch.result_type(*[build(torch, x) for x in args])
    got = ember.result_type(*[build(ember, x) for x in args])
    assert str(got) == str(want).replace("torch", "ember")


@pytest.mark.parametrize("name", ["int64", "int32", "int16", "int8", "uint8", "bool"])
def test_integer_true_division_gives_default_float(name):
    """int / int is the default float dtype, and follows set_default_dtype."""
    e = ember.tensor([3, 4], dtype=DTYPES[name][0]) / ember.tensor([2, 2], dtype=DTYPES[name][0])
    t = torch.tensor([3, 4], dtype=DTYPES[name][1]) / torch.tensor([2, 2], dtype=DTYPES[name][1])
    assert e.dtype is ember.float32
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    old = ember.get_default_dtype()
    try:
        ember.set_default_dtype(ember.float64)
        assert (ember.tensor([3], dtype=DTYPES[name][0]) / 2).dtype is ember.float64
    finally:
        ember.set_default_dtype(old)


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_comparisons_give_bool(op):
    """Comparisons between mixed dtypes give bool tensors."""
    for a in ("float32", "int64", "uint8"):
        e = getattr(ember, op)(ember.ones(3, dtype=DTYPES[a][0]), 1.5)
        t = getattr(torch, op)(torch.ones(3, dtype=DTYPES[a][1]), 1.5)
        assert e.dtype is ember.bool
        np.testing.assert_array_equal(e.numpy(), t.numpy())


# -- dtype objects and aliases -------------------------------------------------------------------------
@pytest.mark.parametrize("alias,target", [
    ("float", "float32"), ("double", "float64"), ("half", "float16"), ("long", "int64"), ("int", "int32"),
    ("short", "int16"),
])
def test_dtype_aliases(alias, target):
    """ember.float is ember.float32 etc., exactly as in torch."""
    assert getattr(ember, alias) is getattr(ember, target)
    assert getattr(torch, alias) is getattr(torch, target)
    assert repr(getattr(ember, alias)) == repr(getattr(torch, alias)).replace("torch", "ember")


@pytest.mark.parametrize("name", NAMES)
def test_dtype_attributes(name):
    """itemsize, is_floating_point, is_signed and repr match torch's dtype objects."""
    e, t = DTYPES[name]
    assert e.itemsize == t.itemsize
    assert e.is_floating_point == t.is_floating_point
    assert e.is_signed == t.is_signed
    assert e.is_complex == t.is_complex
    assert repr(e) == repr(t).replace("torch", "ember")
    et, tt = ember.zeros(2, 3, dtype=e), torch.zeros(2, 3, dtype=t)
    assert et.element_size() == tt.element_size()
    assert et.itemsize == tt.itemsize
    assert et.nbytes == tt.nbytes


def test_default_dtype_rules():
    """set_default_dtype changes factories and float promotion; non-float defaults raise TypeError."""
    old = ember.get_default_dtype()
    try:
        ember.set_default_dtype(ember.float64)
        assert ember.tensor([1.5]).dtype is ember.float64
        assert ember.zeros(2).dtype is ember.float64
        assert ember.arange(0.0, 1.0, 0.5).dtype is ember.float64
        assert (ember.tensor([1, 2]) * 1.5).dtype is ember.float64
        assert (ember.tensor([1.0], dtype=ember.float32) * 1.5).dtype is ember.float32
    finally:
        ember.set_default_dtype(old)
    assert ember.get_default_dtype() is ember.float32
    with pytest.raises(TypeError) as te:
        torch.set_default_dtype(torch.int64)
    with pytest.raises(TypeError) as ee:
        ember.set_default_dtype(ember.int64)
    assert str(ee.value) == str(te.value).replace("torch", "ember")


# -- type() and conversions ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_type_string(name):
    """t.type() is the legacy type name, 'ember.' in place of 'torch.'."""
    e = ember.zeros(2, dtype=DTYPES[name][0])
    t = torch.zeros(2, dtype=DTYPES[name][1])
    assert e.type() == t.type().replace("torch.", "ember.")


@pytest.mark.parametrize("target", [ember.float64, "ember.DoubleTensor", "ember.IntTensor", ember.LongTensor,
                                    ember.bool], ids=str)
def test_type_cast(target):
    """t.type(dtype or type string or legacy class) casts like torch's."""
    tgt_t = {ember.float64: torch.float64, "ember.DoubleTensor": "torch.DoubleTensor",
             "ember.IntTensor": "torch.IntTensor", ember.LongTensor: torch.LongTensor, ember.bool: torch.bool}
    e = ember.tensor([1.5, -2.0, 0.0]).type(target)
    t = torch.tensor([1.5, -2.0, 0.0]).type(tgt_t[target])
    assert e.type() == t.type().replace("torch.", "ember.")
    assert e.tolist() == t.tolist()


@pytest.mark.parametrize("method", ["float", "double", "long", "int", "bool", "half", "short", "char", "byte"])
def test_cast_methods(method):
    """float()/double()/long()/... give torch's dtypes and values (truncation towards zero)."""
    e = getattr(ember.tensor([1.7, -2.5, 0.0, 3.0]), method)()
    t = getattr(torch.tensor([1.7, -2.5, 0.0, 3.0]), method)()
    assert str(e.dtype) == str(t.dtype).replace("torch", "ember")
    assert e.tolist() == t.tolist()


def test_to_variants():
    """to(dtype), to(other), to('cpu'), to(device=...) and copy= as torch."""
    e = ember.tensor([1, 2, 3])
    assert e.to(ember.float32).dtype is ember.float32
    assert e.to(ember.int64) is e
    assert e.to("cpu") is e
    assert e.to(device="cpu") is e
    assert e.to(ember.device("cpu")) is e
    assert e.to("cpu", copy=True) is not e
    assert e.to(ember.zeros(1, dtype=ember.float64)).dtype is ember.float64
    f = e.to("cpu", ember.float16)
    assert f.dtype is ember.float16 and f.tolist() == [1.0, 2.0, 3.0]
    g = e.to(dtype=ember.int8, copy=True)
    g[0] = 9
    assert e[0].item() == 1
    assert e.cpu() is e


def test_cuda_unavailable():
    """Without CuPy/GPU, ember.cuda reports False and .cuda() raises a RuntimeError naming what's missing."""
    assert ember.cuda.is_available() is False
    assert ember.cuda.device_count() == 0
    with pytest.raises(RuntimeError, match="CuPy"):
        ember.ones(2).cuda()
    with pytest.raises(RuntimeError, match="CuPy"):
        ember.ones(2).to("cuda")
    with pytest.raises(RuntimeError, match="CuPy"):
        ember.zeros(2, device="cuda")


@pytest.mark.parametrize("expr", [
    "lib.device('cpu')", "lib.device('cuda')", "lib.device('cuda:1')", "lib.device('cpu:0')", "lib.device('cuda', 0)",
    "str(lib.device('cuda', 2))", "lib.device('cuda:0').index", "lib.device('cuda').index",
    "lib.device('cpu') == lib.device('cpu:0')", "lib.device('cuda', 0) == lib.device('cuda:0')",
    "lib.device('cpu') == 'cpu'", "lib.ones(1).device == lib.device('cpu')", "lib.ones(1).device.type",
    "lib.device(lib.device('cuda:1'))", "lib.device('meta')", "lib.device('cuda:1', 0)", "lib.device('cuda:x')",
    "lib.device('cuda:-1')", "lib.device('cpu', -1)", "lib.device(' cpu')", "lib.device('cuda:01')", "lib.device(1)",
    "lib.ones(2, device=0)", "lib.device('tpu')",
])
def test_device_objects(expr):
    """ember.device parsing, equality, repr and errors as torch.device (both without a GPU here)."""
    same_behaviour(expr, check_message="tpu" not in expr)  # torch's message lists device types ember lacks
