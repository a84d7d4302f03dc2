"""nn.Parameter and nn.Buffer against torch."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
import torch

import ember
from tests.helpers import assert_same
from tests.nn._oracle import run_both, same_error, torch_text


@pytest.mark.parametrize("make", [
    lambda lib: lib.nn.Parameter(lib.arange(3.0)),
    lambda lib: lib.nn.Parameter(lib.ones(2, dtype=lib.float64), requires_grad=False),
    lambda lib: lib.nn.Parameter(lib.ones(2, dtype=lib.float16)),
    lambda lib: lib.nn.Parameter(lib.ones(2, dtype=lib.int64), requires_grad=False),
    lambda lib: lib.nn.Parameter(),
    lambda lib: lib.nn.Parameter(lib.ones(2, 3).t()),
    lambda lib: lib.nn.Parameter(lib.tensor(2.5)),
])
def test_repr_and_flags(make):
    t, e = run_both(make)
    assert repr(e) == torch_text(repr(t))
    assert str(e) == torch_text(str(t))
    assert (e.requires_grad, e.is_leaf, e.grad_fn, tuple(e.shape)) == (t.requires_grad, t.is_leaf, None, tuple(t.shape))
    assert type(e) is ember.nn.Parameter and isinstance(e, ember.Tensor)


def test_from_non_leaf_is_leaf():
    def fn(lib):
        x = lib.ones(2, requires_grad=True)
        p = lib.nn.Parameter(x * 2)
        return p.is_leaf, p.grad_fn is None, p.requires_grad, p.tolist()

    t, e = run_both(fn)
    assert t == e


@pytest.mark.parametrize("case", [
    lambda lib: lib.nn.Parameter(lib.ones(2, dtype=lib.int64)),
    lambda lib: lib.nn.Parameter(lib.ones(2, dtype=lib.bool)),
    lambda lib: lib.nn.Parameter([1.0, 2.0]),
])
def test_errors(case):
    same_error(case)


def test_shares_memory_with_wrapped_tensor():
    base = ember.zeros(2, 3)
    p = ember.nn.Parameter(base)
    base[0, 1] = 5.0
    assert float(p[0, 1]) == 5.0
    with ember.no_grad():
        p.add_(1.0)
    assert np.array_equal(base.numpy(), p.detach().numpy())
    assert p.data_ptr() == base.data_ptr()
    pp = ember.nn.Parameter(p)
    assert type(pp) is ember.nn.Parameter and pp.data_ptr() == p.data_ptr()


@pytest.mark.parametrize("op", [
    lambda p: p * 2, lambda p: p[0], lambda p: p.detach(), lambda p: p.data, lambda p: p.clone(),
    lambda p: p.t(), lambda p: p.view(-1), lambda p: p + p, lambda p: p.sum(), lambda p: p.to(p.dtype).exp(),
])
def test_ops_return_plain_tensor(op):
    t, e = run_both(lambda lib: op(lib.nn.Parameter(lib.ones(2, 2))))
    assert type(t) is torch.Tensor
    assert type(e) is ember.Tensor
    assert_same(e, t)


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda p: pickle.loads(pickle.dumps(p))])
@pytest.mark.parametrize("requires_grad", [True, False])
def test_copy_keeps_type(clone, requires_grad):
    def fn(lib):
        p = lib.nn.Parameter(lib.arange(4.0).reshape(2, 2), requires_grad=requires_grad)
        if requires_grad:
            p.grad = lib.ones(2, 2)
        c = clone(p)
        return type(c).__name__, c.requires_grad, c.grad is None, c.tolist(), c.data_ptr() != p.data_ptr(), c.is_leaf

    t, e = run_both(fn)
    assert t == e


def test_parameter_trains():
    p = ember.nn.Parameter(ember.tensor([1.0, -2.0]))
    (p * p).sum().backward()
    assert_same(p.grad, torch.tensor([2.0, -4.0]))


def test_buffer_marker():
    def fn(lib):
        data = lib.ones(2)
        b = lib.nn.Buffer(data, persistent=False)
        g = lib.nn.Buffer(lib.ones(2, requires_grad=True))
        empty = lib.nn.Buffer()
        return (type(b).__name__, isinstance(b, lib.nn.Buffer), isinstance(data, lib.nn.Buffer), b.persistent,
                g.persistent, g.requires_grad, g.is_leaf, b.data_ptr() == data.data_ptr(), tuple(empty.shape),
                isinstance(lib.nn.Parameter(lib.ones(1)), lib.nn.Buffer))

    t, e = run_both(fn)
    assert t == e
