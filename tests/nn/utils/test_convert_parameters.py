"""parameters_to_vector / vector_to_parameters against torch.nn.utils."""

import numpy as np
import pytest
import torch

import ember
import ember.nn as nn
from tests.helpers import assert_same

SHAPES = [(3, 4), (5,), (2, 1, 3)]


def _params(lib, dtype="float32"):
    rng = np.random.default_rng(0)
    return [lib.nn.Parameter(lib.from_numpy(rng.standard_normal(s).astype(dtype))) for s in SHAPES]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_parameters_to_vector(dtype):
    tp, ep = _params(torch, dtype), _params(ember, dtype)
    tv, ev = torch.nn.utils.parameters_to_vector(tp), nn.utils.parameters_to_vector(ep)
    assert_same(ev, tv)
    # it is differentiable: gradients flow back to each parameter
    g = np.random.default_rng(1).standard_normal(tuple(tv.shape)).astype(dtype)
    tv.backward(torch.from_numpy(g))
    ev.backward(ember.from_numpy(g.copy()))
    for a, b in zip(ep, tp):
        assert_same(a.grad, b.grad)


def test_vector_to_parameters():
    tp, ep = _params(torch), _params(ember)
    vec = np.arange(sum(int(np.prod(s)) for s in SHAPES), dtype=np.float32)
    torch.nn.utils.vector_to_parameters(torch.from_numpy(vec.copy()), tp)
    nn.utils.vector_to_parameters(ember.from_numpy(vec.copy()), ep)
    for a, b in zip(ep, tp):
        assert tuple(a.shape) == tuple(b.shape)
        assert isinstance(a, nn.Parameter) and a.requires_grad
        assert_same(a.detach(), b.detach())


def test_round_trip():
    ep = _params(ember)
    vec = nn.utils.parameters_to_vector(ep).detach() * 2
    nn.utils.vector_to_parameters(vec, ep)
    np.testing.assert_array_equal(nn.utils.parameters_to_vector(ep).detach().numpy(), vec.numpy())


def test_vector_to_parameters_type_error():
    with pytest.raises(TypeError) as t_err:
        torch.nn.utils.vector_to_parameters([1.0, 2.0], [torch.nn.Parameter(torch.ones(2))])
    with pytest.raises(TypeError) as e_err:
        nn.utils.vector_to_parameters([1.0, 2.0], [nn.Parameter(ember.ones(2))])
    assert str(e_err.value) == str(t_err.value)
