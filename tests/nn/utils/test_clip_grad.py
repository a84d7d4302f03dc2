"""nn.utils gradient clipping against torch.nn.utils on identical parameters and gradients."""

import math

import numpy as np
import pytest
import torch

import ember
import ember.nn as nn
from tests.helpers import assert_same


def _params(lib, grads, dtypes=None, skip=()):
    """Parameters of lib whose .grad are the given arrays (index in skip: no grad)."""
    params = []
    for i, g in enumerate(grads):
        p = lib.nn.Parameter(lib.from_numpy(np.ones_like(g)))
        if i not in skip:
            p.grad = lib.from_numpy(g.copy())
        params.append(p)
    return params


def _grads(dtype="float32", seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-3, 3, s).astype(dtype) for s in [(3, 4), (5,), (2, 2, 2)]]


@pytest.mark.parametrize("norm_type", [2.0, 1, 3, 0.5, math.inf, "inf", -math.inf, 0])
@pytest.mark.parametrize("max_norm", [0.5, 1e4])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    grads = _grads(dtype)
    tp, ep = _params(torch, grads, skip=(1,)), _params(ember, grads, skip=(1,))
    t_total = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=norm_type)
    e_total = nn.utils.clip_grad_norm_(ep, max_norm, norm_type=norm_type)
    assert_same(e_total, t_total)
    for a, b in zip(ep, tp):
        assert (a.grad is None) == (b.grad is None)
        if b.grad is not None:
            assert_same(a.grad, b.grad)


def test_clip_grad_norm_scales_to_max_norm():
    """Worked maths: after clipping, the 2-norm of all gradients is max_norm (up to the 1e-6 guard)."""
    grads = _grads("float64")
    ep = _params(ember, grads)
    total = nn.utils.clip_grad_norm_(ep, 1.0)
    expect = math.sqrt(sum(float((g**2).sum()) for g in grads))
    assert float(total) == pytest.approx(expect, rel=1e-12)
    new_norm = math.sqrt(sum(float((p.grad.numpy() ** 2).sum()) for p in ep))
    assert new_norm == pytest.approx(1.0 / (1.0 + 1e-6 / expect), rel=1e-12)


def test_single_tensor_generator_and_empty():
    g = np.array([3.0, 4.0], dtype=np.float32)
    (tp,), (ep,) = _params(torch, [g]), _params(ember, [g])
    assert_same(nn.utils.clip_grad_norm_(ep, 1.0), torch.nn.utils.clip_grad_norm_(tp, 1.0))
    assert_same(ep.grad, tp.grad)
    assert_same(nn.utils.clip_grad_norm_([ember.nn.Parameter(ember.ones(2))], 1.0), torch.tensor(0.0))
    with pytest.warns(UserWarning, match="`parameters` is an empty generator, no gradient clipping will occur."):
        total = nn.utils.clip_grad_norm_((p for p in []), 1.0)
    assert_same(total, torch.tensor(0.0))
    ep2 = _params(ember, _grads())
    tp2 = _params(torch, _grads())
    assert_same(nn.utils.clip_grad_norm_(iter(ep2), 2.0), torch.nn.utils.clip_grad_norm_(iter(tp2), 2.0))


def test_mixed_dtypes_total_norm_promotes():
    grads = [np.full(3, 2.0, np.float32), np.full(2, 1.0, np.float64)]
    tp, ep = _params(torch, grads), _params(ember, grads)
    assert_same(nn.utils.clip_grad_norm_(ep, 1.0), torch.nn.utils.clip_grad_norm_(tp, 1.0))
    for a, b in zip(ep, tp):
        assert_same(a.grad, b.grad)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
@pytest.mark.parametrize("norm_type", [2.0, "inf"])
def test_nonfinite(bad, norm_type):
    grads = _grads()
    grads[0][0, 0] = bad
    tp, ep = _params(torch, grads), _params(ember, grads)
    with pytest.raises(RuntimeError) as t_err:
        torch.nn.utils.clip_grad_norm_(tp, 1.0, norm_type=norm_type, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as e_err:
        nn.utils.clip_grad_norm_(ep, 1.0, norm_type=norm_type, error_if_nonfinite=True)
    assert str(e_err.value) == str(t_err.value)
    assert_same(nn.utils.clip_grad_norm_(ep, 1.0, norm_type=norm_type),
                torch.nn.utils.clip_grad_norm_(tp, 1.0, norm_type=norm_type))
    for a, b in zip(ep, tp):
        assert_same(a.grad, b.grad)


def test_get_total_norm_and_clip_grads_with_norm():
    grads = _grads("float64")
    t_total = torch.nn.utils.get_total_norm([torch.from_numpy(g) for g in grads], 3.0)
    e_total = nn.utils.get_total_norm([ember.from_numpy(g) for g in grads], 3.0)
    assert_same(e_total, t_total)
    tp, ep = _params(torch, grads), _params(ember, grads)
    torch.nn.utils.clip_grads_with_norm_(tp, 0.7, t_total)
    nn.utils.clip_grads_with_norm_(ep, 0.7, e_total)
    for a, b in zip(ep, tp):
        assert_same(a.grad, b.grad)


def test_deprecated_clip_grad_norm_warns():
    (ep,) = _params(ember, [np.ones(2, np.float32)])
    with pytest.warns(FutureWarning, match="`torch.nn.utils.clip_grad_norm` is now deprecated"):
        nn.utils.clip_grad_norm(ep, 1.0)


@pytest.mark.parametrize("clip_value", [0.5, 2, 10.0])
def test_clip_grad_value(clip_value):
    grads = _grads()
    tp, ep = _params(torch, grads, skip=(2,)), _params(ember, grads, skip=(2,))
    assert torch.nn.utils.clip_grad_value_(tp, clip_value) is None
    assert nn.utils.clip_grad_value_(ep, clip_value) is None
    for a, b in zip(ep, tp):
        assert (a.grad is None) == (b.grad is None)
        if b.grad is not None:
            assert_same(a.grad, b.grad)
    (single,) = _params(ember, [np.array([-5.0, 0.2, 5.0])])
    nn.utils.clip_grad_value_(single, 1.0)
    np.testing.assert_array_equal(single.grad.numpy(), [-1.0, 0.2, 1.0])


def test_clip_on_a_model_after_backward():
    lin_t = torch.nn.Linear(4, 3)
    lin_e = nn.Linear(4, 3)
    with ember.no_grad():
        lin_e.weight.copy_(ember.from_numpy(lin_t.weight.detach().numpy().copy()))
        lin_e.bias.copy_(ember.from_numpy(lin_t.bias.detach().numpy().copy()))
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    (lin_t(torch.from_numpy(x)) ** 2).sum().backward()
    (lin_e(ember.from_numpy(x)) ** 2).sum().backward()
    assert_same(nn.utils.clip_grad_norm_(lin_e.parameters(), 0.1), torch.nn.utils.clip_grad_norm_(lin_t.parameters(),
                                                                                                   0.1))
    assert_same(lin_e.weight.grad, lin_t.weight.grad)
    assert_same(lin_e.bias.grad, lin_t.bias.grad)
