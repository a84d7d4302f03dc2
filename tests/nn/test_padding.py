"""F.pad and the padding modules against PyTorch: values, gradients, double backward, errors, repr."""

from __future__ import annotations

import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import ember
import ember.nn as enn
import ember.nn.functional as EF
from tests.helpers import assert_same, check_op, make_array


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,pad,value", [
    ((2, 3, 4, 5), (1, 2), 0),
    ((2, 3, 4, 5), (1, 2, 0, 3), 1.5),
    ((2, 3, 4, 5), (-1, 2, 1, -2), 0),
    ((2, 3, 4, 5), (1, 1, 1, 1, 1, 1, 1, 1), -2.0),
    ((5,), (2, 3), 0),
    ((2, 3, 4, 5), (-2, -3), 0),  # crops the last dim to nothing
    ((2, 2, 3, 3, 3), (1, 0, 0, 1, 2, 1), 0),
    ((2, 3), (), 0),
])
def test_constant(shape, pad, value, dtype):
    check_op(lambda x: EF.pad(x, pad, value=value), [shape], torch_fn=lambda x: TF.pad(x, pad, value=value),
             dtype=dtype)


def test_constant_integer_value_is_cast():
    assert_same(EF.pad(ember.arange(3), (1, 1), value=2.7), TF.pad(torch.arange(3), (1, 1), value=2.7))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", [
    ((2, 5), (2, 3)),
    ((2, 3, 5), (4, 1)),
    ((2, 3, 4, 5), (1, 2, 3, 0)),
    ((3, 4, 5), (2, 2, 1, 1)),
    ((2, 3, 4, 5), (-1, 2, 1, -1)),
    ((2, 2, 3, 4, 5), (1, 2, 2, 0, 1, 1)),
    ((2, 3, 4, 5, 6), (0, 1, 1, 0, 2, 1)),
])
def test_modes(shape, pad, mode, dtype):
    check_op(lambda x: EF.pad(x, pad, mode=mode), [shape], torch_fn=lambda x: TF.pad(x, pad, mode=mode), dtype=dtype)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_double_backward(mode):
    pad = (2, 1, -1, 2) if mode != "reflect" else (2, 1, 1, 2)
    a = make_array((2, 3, 4, 5), "float64", -1, 1)
    results = []
    for lib, F in ((ember, EF), (torch, TF)):
        x = lib.tensor(a.copy(), requires_grad=True)
        y = F.pad(x * x, pad, mode=mode)
        v = make_array(tuple(y.shape), "float64", -1, 1, seed=3)
        (g,) = lib.autograd.grad((y * lib.tensor(v)).sum(), x, create_graph=True)
        results.append(lib.autograd.grad((g * g).sum(), x))
    assert_same(results[0], results[1])


def test_grad_fn_names():
    x = ember.randn(2, 3, 4, 5, requires_grad=True)
    assert EF.pad(x, (1, 1)).grad_fn.name() == "ConstantPadNdBackward0"
    assert EF.pad(x, (1, 1, 1, 1), mode="reflect").grad_fn.name() == "ReflectionPad2DBackward0"
    assert EF.pad(x[0], (1, 1), mode="replicate").grad_fn.name() == "ReplicationPad1DBackward0"


def _same_error(call):
    with pytest.raises(Exception) as te:
        call(torch, TF)
    with pytest.raises(type(te.value)) as ee:
        call(ember, EF)
    assert str(ee.value) == str(te.value)


@pytest.mark.parametrize("call", [
    lambda L, F: F.pad(L.ones(2, 3, 4, 5), (1, 2, 3)),
    lambda L, F: F.pad(L.ones(2, 3, 4, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)),
    lambda L, F: F.pad(L.ones(2, 3, 4, 5), (-3, -3)),
    lambda L, F: F.pad(L.ones(2, 3, 4, 5), (1, 1), mode="reflect"),
    lambda L, F: F.pad(L.ones(2, 3, 4, 5), (5, 1, 0, 0), mode="reflect"),
    lambda L, F: F.pad(L.ones(2, 3, 4, 4), (1, 1, 5, 0), mode="reflect"),
    lambda L, F: F.pad(L.ones(2, 3, 4, 4, 4), (1, 1, 5, 0, 0, 0), mode="reflect"),
    lambda L, F: F.pad(L.ones(2, 3, 4, 5), (6, 1, 0, 0), mode="circular"),
    lambda L, F: F.pad(L.ones(2, 3, 4, 5), (1, 1), mode="foo"),
    lambda L, F: F.pad(L.ones(2, 3, 4, 5), (1, 1, 1, 1), mode="reflect", value=2),
    lambda L, F: F.pad(L.ones(5), (1, 1), mode="reflect"),
    lambda L, F: F.pad(L.ones(2, 3, 4, 5, 6, 7), (1, 1, 1, 1, 1, 1), mode="replicate"),
    lambda L, F: F.pad(L.ones(2, 3, 0), (1, 1), mode="replicate"),
    lambda L, F: F.pad(L.ones(2, 3, 4, 5), (1.5, 1)),
])
def test_errors(call):
    _same_error(call)


@pytest.mark.parametrize("name,args,shape", [
    ("ZeroPad1d", (2,), (2, 3, 5)),
    ("ZeroPad2d", ((1, 2, 0, 3),), (2, 3, 4, 5)),
    ("ZeroPad3d", (1,), (1, 2, 3, 4, 5)),
    ("ConstantPad1d", ((1, 2), 3.5), (2, 3, 5)),
    ("ConstantPad2d", (2, -1.0), (2, 3, 4, 5)),
    ("ConstantPad3d", ((1, 0, 0, 1, 2, 0), 2.0), (1, 2, 3, 4, 5)),
    ("ReflectionPad1d", (2,), (2, 3, 5)),
    ("ReflectionPad2d", ((1, 2, 3, 0),), (2, 3, 4, 5)),
    ("ReflectionPad3d", (1,), (1, 2, 3, 4, 5)),
    ("ReplicationPad1d", ((3, 1),), (3, 5)),
    ("ReplicationPad2d", (2,), (2, 3, 4, 5)),
    ("ReplicationPad3d", (1,), (1, 2, 3, 4, 5)),
    ("CircularPad1d", (2,), (2, 3, 5)),
    ("CircularPad2d", ((1, 2, 3, 0),), (2, 3, 4, 5)),
    ("CircularPad3d", (1,), (1, 2, 3, 4, 5)),
])
def test_modules(name, args, shape):
    e_mod, t_mod = getattr(enn, name)(*args), getattr(tnn, name)(*args)
    assert repr(e_mod) == repr(t_mod)
    check_op(e_mod, [shape], torch_fn=t_mod)


def test_noncontiguous():
    check_op(lambda x: EF.pad(x, (1, 2, 1, 0), mode="reflect"), [(2, 3, 6, 6)],
             torch_fn=lambda x: TF.pad(x, (1, 2, 1, 0), mode="reflect"), noncontig=True)
