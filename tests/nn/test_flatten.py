"""Flatten and Unflatten against torch."""

from __future__ import annotations

import numpy as np
import pytest

from tests.nn._oracle import compare_modules, run_both, same_error


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("make,shape", [
    (lambda nn: nn.Flatten(), (2, 3, 4, 5)),
    (lambda nn: nn.Flatten(), (2, 3)),
    (lambda nn: nn.Flatten(0), (2, 3, 4)),
    (lambda nn: nn.Flatten(1, 2), (2, 3, 4, 5)),
    (lambda nn: nn.Flatten(-3, -2), (2, 3, 4, 5)),
    (lambda nn: nn.Flatten(0, -1), (3,)),
    (lambda nn: nn.Flatten(2, 2), (2, 3, 4)),
    (lambda nn: nn.Unflatten(1, (2, 3)), (4, 6)),
    (lambda nn: nn.Unflatten(1, [3, -1]), (4, 6, 2)),
    (lambda nn: nn.Unflatten(-1, (2, 1, 3)), (4, 6)),
    (lambda nn: nn.Unflatten(0, (1, 4)), (4,)),
])
def test_forward_backward(dtype, make, shape):
    t, e = run_both(lambda lib: make(lib.nn))
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    compare_modules(t, e, x, atol=0, rtol=0)


def test_flatten_of_noncontiguous_input():
    t, e = run_both(lambda lib: lib.nn.Flatten())
    x = np.random.default_rng(0).standard_normal((3, 4, 5)).astype("float32").transpose(2, 0, 1)
    compare_modules(t, e, x, atol=0, rtol=0)


@pytest.mark.parametrize("make", [
    lambda nn: nn.Flatten(), lambda nn: nn.Flatten(2, 3), lambda nn: nn.Unflatten(1, (2, 2)),
    lambda nn: nn.Unflatten(-1, [2, -1]),
])
def test_repr(make):
    t, e = run_both(lambda lib: repr(make(lib.nn)))
    assert e == t


@pytest.mark.parametrize("case", [
    lambda lib: lib.nn.Flatten(3)(lib.ones(2, 4, 3)),
    lambda lib: lib.nn.Flatten()(lib.ones(3)),
    lambda lib: lib.nn.Unflatten(1, 3),
    lambda lib: lib.nn.Unflatten(1, (2.0, 2)),
    lambda lib: lib.nn.Unflatten(1, (2, 2))(lib.ones(2, 5)),
])
def test_errors(case):
    same_error(case)


def test_two_inferred_sizes_error():
    # torch's message here includes a C++ stack dump: compare the exception type only
    same_error(lambda lib: lib.nn.Unflatten(1, (-1, -1))(lib.ones(2, 4)), check_message=False)
