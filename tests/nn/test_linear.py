"""Linear, Bilinear, Identity and F.linear / F.bilinear against torch."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import ember
from tests.helpers import assert_same
from tests.nn._oracle import compare_modules, copy_module, run_both, same_error

TOL = {"float32": dict(atol=1e-5, rtol=1e-5), "float64": dict(atol=1e-10, rtol=1e-10)}


def _data(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _pair(make, dtype):
    t_mod = make(torch.nn).to(getattr(torch, dtype))
    e_mod = make(ember.nn).to(getattr(ember, dtype))
    copy_module(t_mod, e_mod)
    return t_mod, e_mod


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(3,), (5, 3), (2, 4, 3), (2, 1, 2, 3), (0, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(dtype, shape, bias):
    t, e = _pair(lambda nn: nn.Linear(3, 4, bias=bias), dtype)
    compare_modules(t, e, _data(shape, dtype), **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes", [[(2,), (3,)], [(5, 2), (5, 3)], [(2, 4, 2), (2, 4, 3)]])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear(dtype, shapes, bias):
    t, e = _pair(lambda nn: nn.Bilinear(2, 3, 4, bias=bias), dtype)
    compare_modules(t, e, *[_data(s, dtype, seed=i) for i, s in enumerate(shapes)], **TOL[dtype])


@pytest.mark.parametrize("shape", [(3,), (2, 5)])
def test_identity(shape):
    t, e = run_both(lambda lib: lib.nn.Identity(54, unused="x"))
    x = ember.tensor(_data(shape, "float32"))
    assert e(x) is x
    compare_modules(t, e, _data(shape, "float32"))


def test_linear_training_step_matches():
    t, e = _pair(lambda nn: nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2)), "float32")
    x, y = _data((6, 4), "float32"), _data((6, 2), "float32", seed=1)
    for lib, m in ((torch, t), (ember, e)):
        for _ in range(3):
            loss = ((m(lib.tensor(x)) - lib.tensor(y)) ** 2).mean()
            m.zero_grad()
            loss.backward()
            with lib.no_grad():
                for p in m.parameters():
                    p -= 0.1 * p.grad
    for (_, tp), (_, ep) in zip(t.named_parameters(), e.named_parameters()):
        assert_same(ep, tp, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("case", [
    lambda lib: lib.nn.Linear(3, 2)(lib.ones(4)),
    lambda lib: lib.nn.Linear(3, 2)(lib.ones(2, 4)),
    lambda lib: lib.nn.Linear(3, 2)(lib.ones(2, 3, dtype=lib.float64)),
    lambda lib: lib.nn.functional.linear(lib.tensor(1.0), lib.ones(4, 2)),
    lambda lib: lib.nn.functional.linear(lib.ones(2), lib.tensor(1.0)),
    lambda lib: lib.nn.Linear(10, 5)(lib.ones(4, 3, 7)),
    lambda lib: lib.nn.Bilinear(2, 3, 4)(lib.ones(5, 2), lib.ones(4, 3)),
    lambda lib: lib.nn.Bilinear(2, 3, 4)(lib.ones(5, 3), lib.ones(5, 3)),
    lambda lib: lib.nn.Bilinear(2, 3, 4)(lib.ones(5, 2), lib.ones(5, 2)),
    lambda lib: lib.nn.Bilinear(2, 3, 4)(lib.ones(2), lib.ones(5, 3)),
    lambda lib: lib.nn.functional.bilinear(lib.ones(5, 2), lib.ones(5, 3), lib.ones(4, 2, 3), lib.ones(3)),
])
def test_errors(case):
    same_error(case)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_functional_forms(dtype):
    tol = TOL[dtype]
    x, w, b = _data((3, 4), dtype), _data((2, 4), dtype, 1), _data((2,), dtype, 2)
    for fn in (lambda lib, x, w, b: lib.nn.functional.linear(x, w, b),
               lambda lib, x, w, b: lib.nn.functional.linear(x, w),
               lambda lib, x, w, b: lib.nn.functional.linear(x[0], w, b),
               lambda lib, x, w, b: lib.nn.functional.linear(x, w[0])):
        res = []
        for lib in (torch, ember):
            ins = [lib.tensor(a, requires_grad=True) for a in (x, w, b)]
            out = fn(lib, *ins)
            out.sum().backward()
            res.append((out, [i.grad for i in ins]))
        (t_out, t_grads), (e_out, e_grads) = res
        assert_same(e_out, t_out, **tol)
        for eg, tg in zip(e_grads, t_grads):
            assert (eg is None) == (tg is None)
            if tg is not None:
                assert_same(eg, tg, **tol)


@pytest.mark.parametrize("make,bound", [
    (lambda: ember.nn.Linear(50, 400), 1 / math.sqrt(50)),
    (lambda: ember.nn.Bilinear(30, 7, 300), 1 / math.sqrt(30)),
])
def test_default_init_distribution(make, bound):
    ember.manual_seed(0)
    m = make()
    for name, p in m.named_parameters():
        a = p.detach().numpy()
        assert a.min() >= -bound and a.max() <= bound, name
        # uniform on [-bound, bound]: spread covers the interval and the variance is bound^2 / 3
        assert a.max() > 0.9 * bound and a.min() < -0.9 * bound, name
        assert abs(a.var() - bound ** 2 / 3) < 0.15 * bound ** 2 / 3, name
        assert abs(a.mean()) < 0.1 * bound, name


def test_reset_parameters_and_repr():
    t, e = run_both(lambda lib: [lib.nn.Linear(3, 4), lib.nn.Linear(3, 4, bias=False), lib.nn.Bilinear(1, 2, 3),
                                 lib.nn.Bilinear(1, 2, 3, bias=False), lib.nn.Identity()])
    assert [repr(m) for m in e] == [repr(m) for m in t]
    m = e[0]
    w = m.weight
    before = w.detach().numpy().copy()
    m.reset_parameters()
    assert m.weight is w and not np.array_equal(before, w.detach().numpy())


def test_dtype_and_device_kwargs():
    t, e = run_both(lambda lib: lib.nn.Linear(2, 3, dtype=lib.float64, device="cpu"))
    assert str(e.weight.dtype) == "ember.float64" and e.bias.dtype == ember.float64
    def shapes(m):
        return [(n, tuple(p.shape)) for n, p in m.named_parameters()]

    assert shapes(e) == shapes(t)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 2, 3)])
def test_linear_gradcheck_and_gradgradcheck(bias, shape):
    rng = np.random.default_rng(0)
    ins = [ember.tensor(rng.standard_normal(s), requires_grad=True) for s in (shape, (2, 3), (2,))]
    inputs = tuple(ins if bias else ins[:2])
    assert ember.autograd.gradcheck(ember.nn.functional.linear, inputs)
    assert ember.autograd.gradgradcheck(ember.nn.functional.linear, inputs)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_graph_node_names(bias):
    def fn(lib):
        x = lib.ones(3, 2, requires_grad=True)
        y = lib.nn.Linear(2, 2, bias=bias)(x * 2)
        # ember's fused node links weight directly where torch has TBackward0 in between (documented)
        shown = y.grad_fn.next_functions[:2] if bias else y.grad_fn.next_functions[:1]
        return y.grad_fn.name(), len(y.grad_fn.next_functions), [f.name().split("::")[-1] for f, _ in shown]

    t, e = run_both(fn)
    assert e == t


def test_linear_weight_modified_in_place_raises_at_backward():
    def fn(lib):
        layer = lib.nn.Linear(2, 2)
        y = layer(lib.ones(3, 2, requires_grad=True))
        with lib.no_grad():
            layer.weight.add_(1)
        y.sum().backward()

    same_error(fn, check_message=False)


def test_linear_noncontiguous_and_no_input_grad():
    t, e = _pair(lambda nn: nn.Linear(5, 3), "float64")
    x = _data((5, 4), "float64").T  # a transposed, non-contiguous (4, 5) input
    compare_modules(t, e, x, **TOL["float64"])
    out_e = e(ember.tensor(_data((4, 5), "float64")))
    out_e.sum().backward()
    t(torch.tensor(_data((4, 5), "float64"))).sum().backward()
    for (_, tp), (_, ep) in zip(t.named_parameters(), e.named_parameters()):
        assert_same(ep.grad, tp.grad, **TOL["float64"])
