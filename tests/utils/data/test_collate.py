"""default_collate and default_convert against torch.utils.data's, on the same nested inputs."""

from __future__ import annotations

import collections
from collections import namedtuple

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
import ember.utils.data as eud

from ._common import assert_batch_equal

Point = namedtuple("Point", ["x", "y"])


def _arr(i, shape=(2, 3), dtype=np.float32):
    return (np.arange(np.prod(shape)).reshape(shape) + 10 * i).astype(dtype)


# each case builds a batch (a list of samples) given a "to tensor" function of the library
CASES = {
    "tensors_f32": lambda T: [T(_arr(i)) for i in range(3)],
    "tensors_i64": lambda T: [T(_arr(i, (4,), np.int64)) for i in range(2)],
    "tensors_u8_0d": lambda T: [T(np.array(i, np.uint8)) for i in range(3)],
    "ndarrays": lambda T: [_arr(i, (3,), np.float64) for i in range(4)],
    "ndarrays_i32": lambda T: [_arr(i, (2, 2), np.int32) for i in range(2)],
    "numpy_scalars_f32": lambda T: [np.float32(i) / 3 for i in range(3)],
    "numpy_scalars_i16": lambda T: [np.int16(i) for i in range(3)],
    "numpy_0d_arrays": lambda T: [np.array(i * 1.5) for i in range(3)],
    "ints": lambda T: [1, 2, 3],
    "floats": lambda T: [0.5, 1.5, -2.0],
    "bools": lambda T: [True, False, True],
    "strings": lambda T: ["a", "bc", "d"],
    "bytes": lambda T: [b"a", b"b"],
    "tuple_samples": lambda T: [(T(_arr(i)), i, f"s{i}") for i in range(3)],
    "list_samples": lambda T: [[T(_arr(i)), float(i)] for i in range(2)],
    "dict_samples": lambda T: [{"img": T(_arr(i)), "label": i, "meta": {"id": f"x{i}", "w": [i, i + 1]}}
                               for i in range(3)],
    "ordered_dict": lambda T: [collections.OrderedDict(a=i, b=T(_arr(i, (1,)))) for i in range(2)],
    "namedtuple": lambda T: [Point(T(_arr(i, (2,))), i * 0.5) for i in range(3)],
    "nested_lists": lambda T: [[[i, i + 1], [i * 2, i * 3]] for i in range(2)],
    # mixed dtypes promote with PyTorch's rules (float32 with int64 is float32, not NumPy's float64)
    "ndarrays_mixed_dtypes": lambda T: [np.ones(2, np.float32), np.ones(2, np.int64), np.ones(2, np.uint8)],
    "tensors_mixed_dtypes": lambda T: [T(np.ones(2, np.int32)), T(np.ones(2, np.float16))],
    "numpy_bool_arrays": lambda T: [np.array([True, False]), np.array([False, False])],
    "tuple_of_tuples": lambda T: [((i, float(i)),) for i in range(2)],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_default_collate_matches_torch(case):
    e = eud.default_collate(CASES[case](ember.from_numpy))
    t = tud.default_collate(CASES[case](torch.from_numpy))
    assert_batch_equal(e, t)


@pytest.mark.parametrize("case", sorted(CASES))
def test_default_convert_matches_torch(case):
    for sample_e, sample_t in zip(CASES[case](ember.from_numpy), CASES[case](torch.from_numpy)):
        assert_batch_equal(eud.default_convert(sample_e), tud.default_convert(sample_t))


def test_default_convert_string_arrays_unchanged():
    a = np.array(["x", "y"])
    assert eud.default_convert(a) is a and tud.default_convert(a) is a
    out = eud.default_convert((np.array([1, 2]), "s"))
    assert isinstance(out, list) and out[1] == "s" and out[0].dtype == ember.int64


def test_collate_keeps_sample_dtype_and_stacks_along_new_dim():
    out = eud.default_collate([ember.tensor([1.0, 2.0], dtype=ember.float64), ember.tensor([3.0, 4.0],
                                                                                        dtype=ember.float64)])
    assert out.dtype == ember.float64 and out.shape == (2, 2) and out.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_collate_requires_grad_goes_through_autograd():
    a = ember.ones(2, requires_grad=True)
    out = eud.default_collate([a, a * 2])
    out.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0]


@pytest.mark.parametrize("make,exc,msg", [
    (lambda T: [T(np.zeros(3, np.float32)), T(np.zeros(4, np.float32))], RuntimeError,
     r"stack expects each tensor to be equal size, but got \[3\] at entry 0 and \[4\] at entry 1"),
    (lambda T: [np.zeros((2, 2)), np.zeros((2, 3))], RuntimeError,
     r"stack expects each tensor to be equal size, but got \[2, 2\] at entry 0 and \[2, 3\] at entry 1"),
    (lambda T: [[1, 2], [3]], RuntimeError, "each element in list of batch should be of equal size"),
    (lambda T: [object(), object()], TypeError,
     "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found <class 'object'>"),
    (lambda T: [np.array(["a"]), np.array(["b"])], TypeError,
     "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found <U1"),
])
def test_default_collate_errors(make, exc, msg):
    with pytest.raises(exc, match=msg):
        tud.default_collate(make(torch.from_numpy))
    with pytest.raises(exc, match=msg):
        eud.default_collate(make(ember.from_numpy))
