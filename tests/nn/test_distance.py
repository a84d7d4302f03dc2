"""cosine_similarity and pairwise_distance (functional and modules) against PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from tests.helpers import check_op, make_array
from tests.nn._oracle import compare_modules


def _mod(x):
    return F if isinstance(x, ember.Tensor) else TF


@pytest.mark.parametrize("shapes, dim", [([(3, 4), (3, 4)], 1), ([(3, 4), (4,)], 1), ([(4,), (4,)], 0),
                                         ([(2, 3, 4), (2, 1, 4)], -1), ([(2, 3, 4), (2, 3, 4)], 0)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cosine_similarity(shapes, dim, dtype):
    e, t = check_op(lambda a, b: _mod(a).cosine_similarity(a, b, dim), shapes, dtype=dtype)
    assert e.grad_fn.name() == t.grad_fn.name()


def test_cosine_similarity_small_norms_follow_torch_eps_rule():
    # rows whose norm is below eps: the norm is clamped to eps in the value, not in the gradient
    a = np.array([[1e-5, -2e-5, 1e-5], [1.0, 2.0, -1.0]])
    b = np.array([[3e-5, 1e-5, 0.0], [1e-6, 0.0, 2e-6]])
    check_op(lambda x, y: _mod(x).cosine_similarity(x, y, 1, 1e-3), arrays=[a, b])


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 4), (4,)], [(4,), (4,)], [(2, 3, 5), (3, 5)]])
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, float("inf")])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance(shapes, p, keepdim):
    check_op(lambda a, b: _mod(a).pairwise_distance(a, b, p, 1e-6, keepdim), shapes)


def test_pairwise_distance_eps_and_float32():
    check_op(lambda a, b: _mod(a).pairwise_distance(a, b, eps=0.1), [(5, 3), (5, 3)], dtype="float32")


@pytest.mark.parametrize("call, exc", [
    (lambda m, x: m.cosine_similarity(x.randn(3, 4), x.randn(3, 5)), RuntimeError),
    (lambda m, x: m.cosine_similarity(x.ones(3, 4, dtype=x.int64), x.ones(3, 4, dtype=x.int64)), RuntimeError),
    (lambda m, x: m.cosine_similarity(x.randn(3, 4), x.randn(3, 4), dim=2), IndexError),
    (lambda m, x: m.pairwise_distance(x.randn(3, 4), x.randn(3, 5)), RuntimeError),
])
def test_distance_errors(call, exc):
    with pytest.raises(exc) as t_err:
        call(TF, torch)
    with pytest.raises(exc) as e_err:
        call(F, ember)
    assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("kwargs", [{}, {"dim": 0, "eps": 1e-3}])
def test_cosine_similarity_module(kwargs):
    tm, em = torch.nn.CosineSimilarity(**kwargs), ember.nn.CosineSimilarity(**kwargs)
    assert repr(em) == repr(tm) == "CosineSimilarity()"
    compare_modules(tm, em, make_array((3, 4), "float64"), make_array((3, 4), "float64", seed=1))


@pytest.mark.parametrize("kwargs", [{}, {"p": 1.0, "eps": 0.0, "keepdim": True}])
def test_pairwise_distance_module(kwargs):
    tm, em = torch.nn.PairwiseDistance(**kwargs), ember.nn.PairwiseDistance(**kwargs)
    assert repr(em) == repr(tm) == "PairwiseDistance()"
    assert em.norm == tm.norm
    compare_modules(tm, em, make_array((3, 4), "float32"), make_array((3, 4), "float32", seed=1))
