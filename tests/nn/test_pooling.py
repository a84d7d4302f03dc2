"""Pooling (ember.nn.functional.pooling, ember.nn.modules.pooling) against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from tests.helpers import assert_same, check_op, make_array
from tests.nn._oracle import compare_modules, same_error


def F(x):
    """The functional namespace of the library that owns tensor x."""
    return torch.nn.functional if isinstance(x, torch.Tensor) else ember.nn.functional


def lib_of(x):
    return torch if isinstance(x, torch.Tensor) else ember


DTYPES = ["float32", "float64"]

MAX2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1)),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=2, stride=3, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, dilation=2),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), dilation=(2, 3), ceil_mode=True),
    dict(kernel_size=4, stride=3, padding=2, ceil_mode=True),
    dict(kernel_size=(1, 3), stride=(1, 3)),
    dict(kernel_size=2, stride=(1,)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cfg", MAX2D)
def test_max_pool2d_values_indices_grad(cfg, dtype):
    check_op(lambda x: F(x).max_pool2d(x, return_indices=True, **cfg), [(2, 3, 9, 10)], dtype=dtype)


@pytest.mark.parametrize("cfg", MAX2D[:6])
def test_max_pool2d_without_indices(cfg):
    e, t = check_op(lambda x: F(x).max_pool2d(x, **cfg), [(2, 3, 9, 10)], dtype="float32")
    assert e.grad_fn.name() == t.grad_fn.name()


@pytest.mark.parametrize("cfg", MAX2D)
def test_max_pool2d_no_grad_path(cfg):
    # without autograd ember takes a values-only kernel; it must agree too
    x = make_array((2, 3, 11, 8), "float32")
    with ember.no_grad():
        out = ember.nn.functional.max_pool2d(ember.from_numpy(x), **cfg)
    assert_same(out, torch.nn.functional.max_pool2d(torch.from_numpy(x), **cfg))
    x[0, 1, 2, 3] = np.nan
    with ember.no_grad():
        out = ember.nn.functional.max_pool2d(ember.from_numpy(x), **cfg)
    assert_same(out, torch.nn.functional.max_pool2d(torch.from_numpy(x), **cfg))


@pytest.mark.parametrize("cfg", MAX2D[:4])
def test_max_pool2d_ties_follow_torch_first_maximum(cfg):
    # many equal values (as after a ReLU): the gradient goes to the first maximum in the window scan
    x = np.maximum(np.round(make_array((2, 2, 8, 8), "float64")), 0.0)
    check_op(lambda x: F(x).max_pool2d(x, return_indices=True, **cfg), arrays=[x])


def test_max_pool2d_all_equal_window():
    x = np.zeros((1, 1, 4, 4))
    check_op(lambda x: F(x).max_pool2d(x, 3, 1, 1, return_indices=True), arrays=[x])


def test_max_pool2d_nan_like_torch():
    x = make_array((1, 2, 6, 6), "float64")
    x[0, 0, 1, 1] = x[0, 0, 0, 1] = x[0, 1, 4, 5] = np.nan
    check_op(lambda x: F(x).max_pool2d(x, 3, 2, 1, return_indices=True), arrays=[x])
    check_op(lambda x: F(x).max_pool2d(x, 2, return_indices=True), arrays=[x])


def test_max_pool2d_unbatched_and_noncontiguous():
    check_op(lambda x: F(x).max_pool2d(x, 3, 2, 1, return_indices=True), [(3, 7, 9)])
    check_op(lambda x: F(x).max_pool2d(x, 2, 2), [(2, 3, 8, 8)], noncontig=True)


def test_max_pool2d_integer_input():
    x = make_array((2, 3, 6, 6), "int64", low=-5, high=5)
    e = ember.nn.functional.max_pool2d(ember.from_numpy(x), 3, 2, 1, return_indices=True)
    t = torch.nn.functional.max_pool2d(torch.from_numpy(x), 3, 2, 1, return_indices=True)
    assert_same(e, t)


def test_max_pool2d_double_backward():
    def fn(x):
        lib = lib_of(x)
        y = F(x).max_pool2d(x, 3, 2, 1)
        (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        return (g * g).sum()
    check_op(fn, [(1, 2, 7, 7)])


MAX1D = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=3, stride=2, ceil_mode=True),
         dict(kernel_size=2, stride=1, padding=1, dilation=3)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cfg", MAX1D)
def test_max_pool1d(cfg, dtype):
    check_op(lambda x: F(x).max_pool1d(x, return_indices=True, **cfg), [(2, 3, 11)], dtype=dtype)
    check_op(lambda x: F(x).max_pool1d(x, **cfg), [(3, 11)], dtype=dtype)


AVG2D = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(2, 4), stride=(3, 1), padding=(1, 2), ceil_mode=True),
    dict(kernel_size=3, stride=2, divisor_override=5),
    dict(kernel_size=2, stride=3, padding=1, ceil_mode=True, divisor_override=3),
    dict(kernel_size=4, stride=3, padding=2, ceil_mode=True, count_include_pad=False),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cfg", AVG2D)
def test_avg_pool2d(cfg, dtype):
    e, t = check_op(lambda x: F(x).avg_pool2d(x, **cfg), [(2, 3, 9, 10)], dtype=dtype)
    assert e.grad_fn.name() == t.grad_fn.name()


def test_avg_pool2d_unbatched_and_double_backward():
    check_op(lambda x: F(x).avg_pool2d(x, 3, 2, 1, count_include_pad=False), [(3, 7, 8)])

    def fn(x):
        lib = lib_of(x)
        y = F(x).avg_pool2d(x, 3, 2, 1, ceil_mode=True)
        (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        return (g * g * x).sum()
    check_op(fn, [(1, 2, 7, 7)])


def test_avg_pool2d_integer_input():
    x = make_array((1, 2, 6, 6), "int64", low=-9, high=9)
    e = ember.nn.functional.avg_pool2d(ember.from_numpy(x), 3, 2, 1)
    t = torch.nn.functional.avg_pool2d(torch.from_numpy(x), 3, 2, 1)
    assert_same(e, t)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cfg", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                 dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)])
def test_avg_pool1d(cfg, dtype):
    check_op(lambda x: F(x).avg_pool1d(x, **cfg), [(2, 3, 11)], dtype=dtype)
    check_op(lambda x: F(x).avg_pool1d(x, **cfg), [(3, 11)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [1, (1, 1), 3, (2, 5), (4, None), (None, 3), (7, 9), (10, 12)])
def test_adaptive_avg_pool2d(size, dtype):
    e, t = check_op(lambda x: F(x).adaptive_avg_pool2d(x, size), [(2, 3, 7, 9)], dtype=dtype)
    assert e.grad_fn.name() == t.grad_fn.name()
    check_op(lambda x: F(x).adaptive_avg_pool2d(x, size), [(3, 7, 9)], dtype=dtype)


@pytest.mark.parametrize("size", [1, 3, 4, 11])
def test_adaptive_avg_pool1d(size):
    check_op(lambda x: F(x).adaptive_avg_pool1d(x, size), [(2, 3, 7)])
    check_op(lambda x: F(x).adaptive_avg_pool1d(x, size), [(3, 7)], dtype="float32")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", [1, 3, (2, 5), (4, None), (7, 9), (10, 4)])
def test_adaptive_max_pool2d(size, dtype):
    check_op(lambda x: F(x).adaptive_max_pool2d(x, size, return_indices=True), [(2, 3, 7, 9)], dtype=dtype)
    check_op(lambda x: F(x).adaptive_max_pool2d(x, size), [(3, 7, 9)], dtype=dtype)


def test_adaptive_max_pool2d_ties_and_nan():
    x = np.maximum(np.round(make_array((2, 2, 7, 9))), 0.0)
    check_op(lambda x: F(x).adaptive_max_pool2d(x, (3, 4), return_indices=True), arrays=[x])
    x[0, 0, 2, 3] = x[0, 0, 1, 1] = np.nan
    check_op(lambda x: F(x).adaptive_max_pool2d(x, (3, 4), return_indices=True), arrays=[x])


def test_adaptive_max_pool1d():
    check_op(lambda x: F(x).adaptive_max_pool1d(x, 4, return_indices=True), [(2, 3, 9)])


@pytest.mark.parametrize("norm", [1.0, 2.0, 3.0, 1.5])
@pytest.mark.parametrize("cfg", [dict(kernel_size=2), dict(kernel_size=3, stride=2), dict(kernel_size=(2, 3),
                                 stride=1, ceil_mode=True), dict(kernel_size=3, stride=2, ceil_mode=True)])
def test_lp_pool2d(norm, cfg):
    check_op(lambda x: F(x).lp_pool2d(x, norm, **cfg), [(2, 3, 8, 9)], low=0.1, high=2.0)


def test_lp_pool1d():
    check_op(lambda x: F(x).lp_pool1d(x, 2.0, 3, stride=2), [(2, 3, 10)], low=0.1, high=2.0)


@pytest.mark.parametrize("cfg,out_size,hw", [((2, None, 0), None, (8, 8)), ((3, 2, 1), None, (9, 9)),
                                             ((3, 2, 1), (10, 9), (9, 9)), ((3, 2, 1), (1, 2, 10, 10), (9, 9)),
                                             ((2, None, 0), (9, 9), (9, 9))])
def test_max_unpool2d(cfg, out_size, hw):
    k, s, p = cfg

    def fn(x):
        y, idx = F(x).max_pool2d(x, k, s, p, return_indices=True)
        return F(x).max_unpool2d(y * 2, idx, k, s, p, output_size=out_size)
    check_op(fn, [(1, 2) + hw])


def test_max_unpool1d():
    def fn(x):
        y, idx = F(x).max_pool1d(x, 2, return_indices=True)
        return F(x).max_unpool1d(y, idx, 2)
    check_op(fn, [(2, 3, 8)])


ERRORS = [
    lambda lib: lib.nn.functional.max_pool2d(lib.ones(1, 2, 5, 5), 3, padding=2),
    lambda lib: lib.nn.functional.max_pool2d(lib.ones(1, 2, 9, 9), 3, padding=2, dilation=2),
    lambda lib: lib.nn.functional.max_pool2d(lib.ones(1, 2, 9, 9), 3, padding=3, dilation=2),
    lambda lib: lib.nn.functional.max_pool2d(lib.ones(1, 2, 9, 9), (5, 3), padding=(2, 3)),
    lambda lib: lib.nn.functional.max_pool2d(lib.ones(5, 5), 3),
    lambda lib: lib.nn.functional.max_pool2d(lib.ones(1, 2, 2, 2), 3),
    lambda lib: lib.nn.functional.max_pool2d(lib.ones(1, 2, 0, 4), 2),
    lambda lib: lib.nn.functional.max_pool2d(lib.ones(0, 4, 4), 2),
    lambda lib: lib.nn.functional.avg_pool2d(lib.ones(2, 0, 4, 4), 2),
    lambda lib: lib.nn.functional.avg_pool2d(lib.ones(1, 1, 2, 4, 4), 2),
    lambda lib: lib.nn.functional.max_pool1d(lib.ones(2, 0, 4), 2),
    lambda lib: lib.nn.functional.max_pool2d(lib.ones(1, 2, 5, 5), 2, stride=0),
    lambda lib: lib.nn.functional.max_pool2d(lib.ones(1, 2, 5, 5), 2, dilation=0),
    lambda lib: lib.nn.functional.max_pool2d(lib.ones(1, 2, 5, 5), 2, padding=-1),
    lambda lib: lib.nn.functional.max_pool2d(lib.ones(1, 2, 5, 5), (2, 2, 2)),
    lambda lib: lib.nn.functional.max_pool2d(lib.ones(1, 2, 5, 5), 2, stride=(1, 2, 3)),
    lambda lib: lib.nn.functional.max_pool2d(lib.ones(1, 2, 5, 5), 2, padding=(1, 2, 3)),
    lambda lib: lib.nn.functional.max_pool2d(lib.ones(1, 2, 5, 5), 2, dilation=(1, 2, 3)),
    lambda lib: lib.nn.functional.avg_pool2d(lib.ones(1, 2, 5, 5), 2, stride=(1, 2, 3)),
    lambda lib: lib.nn.functional.max_unpool2d(lib.ones(1, 1, 2, 2), lib.zeros(1, 1, 2, 2, dtype=lib.int32), 2),
    lambda lib: lib.nn.functional.max_unpool2d(lib.ones(1, 1, 2, 2), lib.zeros(1, 1, 2, 2), 2),
    lambda lib: lib.nn.functional.max_unpool2d(lib.ones(1, 1, 2, 2), lib.zeros(1, 1, 2, 3), 2),
    lambda lib: lib.nn.functional.max_unpool1d(lib.ones(1, 1, 2), lib.zeros(1, 1, 2), 2),
    lambda lib: lib.nn.functional.max_pool1d(lib.ones(1, 1, 4, dtype=lib.int64), 2),
    lambda lib: lib.nn.functional.adaptive_max_pool2d(lib.ones(1, 1, 4, 4, dtype=lib.int64), 2),
    lambda lib: lib.nn.functional.avg_pool2d(lib.ones(1, 2, 5, 5), 3, padding=2),
    lambda lib: lib.nn.functional.avg_pool2d(lib.ones(1, 2, 2, 2), 3),
    lambda lib: lib.nn.functional.avg_pool2d(lib.ones(5, 5), 3),
    lambda lib: lib.nn.functional.avg_pool2d(lib.ones(1, 2, 5, 5), 2, divisor_override=0),
    lambda lib: lib.nn.functional.max_pool1d(lib.ones(1, 2, 5, 5), 2),
    lambda lib: lib.nn.functional.max_pool1d(lib.ones(2, 3), 4),
    lambda lib: lib.nn.functional.max_pool1d(lib.ones(2, 3, 6), 3, padding=2),
    lambda lib: lib.nn.functional.max_pool1d(lib.ones(2, 3, 6), 0),
    lambda lib: lib.nn.functional.max_pool1d(lib.ones(2, 3, 6), 2, dilation=0),
    lambda lib: lib.nn.functional.avg_pool1d(lib.ones(2, 3, 6), 7),
    lambda lib: lib.nn.functional.avg_pool1d(lib.ones(2, 3, 4, 4), 2),
    lambda lib: lib.nn.functional.adaptive_avg_pool2d(lib.ones(1, 2, 5, 5), (1, 2, 3)),
    lambda lib: lib.nn.functional.adaptive_avg_pool2d(lib.ones(5, 5), 2),
    lambda lib: lib.nn.functional.adaptive_avg_pool1d(lib.ones(1, 2, 5, 5), 2),
    lambda lib: lib.nn.functional.adaptive_avg_pool1d(lib.ones(2, 5), (2, 3)),
    lambda lib: lib.nn.functional.adaptive_max_pool2d(lib.ones(2, 0, 4, 4), 2),
    lambda lib: lib.nn.functional.max_unpool2d(lib.ones(1, 2, 5, 5), lib.zeros(1, 2, 5, 5, dtype=lib.long) + 100, 2),
    lambda lib: lib.nn.functional.max_unpool2d(lib.ones(1, 1, 2, 2), lib.zeros(1, 1, 2, 2, dtype=lib.long), 2,
                                               output_size=(9, 9)),
    lambda lib: lib.nn.functional.max_unpool2d(lib.ones(1, 1, 2, 2), lib.zeros(1, 1, 2, 2, dtype=lib.long), 2,
                                               output_size=[1, 1, 9, 4]),
    lambda lib: lib.nn.functional.max_unpool2d(lib.ones(1, 1, 2, 2), lib.zeros(1, 1, 2, 2, dtype=lib.long), 2,
                                               output_size=(1, 1, 4, 9)),
    lambda lib: lib.nn.functional.adaptive_avg_pool2d(lib.ones(1, 2, 5, 5, dtype=lib.long), 1),
    lambda lib: lib.nn.functional.adaptive_avg_pool2d(lib.ones(1, 2, 5, 5, dtype=lib.long), 2),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_match_torch(case):
    same_error(ERRORS[case])


MODULES = [
    ("MaxPool2d(2)", "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
    ("MaxPool2d((2, 3), 1, (1, 1), 2, True, True)",
     "MaxPool2d(kernel_size=(2, 3), stride=1, padding=(1, 1), dilation=2, ceil_mode=True)"),
    ("MaxPool1d(3)", "MaxPool1d(kernel_size=3, stride=3, padding=0, dilation=1, ceil_mode=False)"),
    ("AvgPool2d(2)", "AvgPool2d(kernel_size=2, stride=2, padding=0)"),
    ("AvgPool2d(3, 2, 1, True, False, 2)", "AvgPool2d(kernel_size=3, stride=2, padding=1)"),
    ("AvgPool1d(3)", "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"),
    ("AdaptiveAvgPool2d((1, 1))", "AdaptiveAvgPool2d(output_size=(1, 1))"),
    ("AdaptiveAvgPool2d((None, 3))", "AdaptiveAvgPool2d(output_size=(None, 3))"),
    ("AdaptiveAvgPool1d(3)", "AdaptiveAvgPool1d(output_size=3)"),
    ("AdaptiveMaxPool2d(2)", "AdaptiveMaxPool2d(output_size=2)"),
    ("LPPool2d(2, 3)", "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"),
    ("LPPool1d(2, 3)", "LPPool1d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"),
    ("MaxUnpool2d(2)", "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"),
    ("MaxUnpool2d(2, 1, 1)", "MaxUnpool2d(kernel_size=(2, 2), stride=(1, 1), padding=(1, 1))"),
]


@pytest.mark.parametrize("expr,text", MODULES)
def test_module_repr_and_forward(expr, text):
    t_mod, e_mod = eval("torch.nn." + expr), eval("ember.nn." + expr)
    assert repr(t_mod) == repr(e_mod) == text
    if "Unpool" in expr:
        return
    x = make_array((2, 3, 8, 9) if "1d" not in expr else (2, 3, 9), "float32", low=0.1)
    t_out, e_out = t_mod(torch.from_numpy(x.copy())), e_mod(ember.from_numpy(x.copy()))
    assert_same(e_out, t_out)


def test_modules_training_path():
    x = make_array((2, 3, 8, 8), "float64")
    compare_modules(torch.nn.MaxPool2d(3, 2, 1), ember.nn.MaxPool2d(3, 2, 1), x)
    compare_modules(torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False),
                    ember.nn.AvgPool2d(3, 2, 1, count_include_pad=False), x)
    compare_modules(torch.nn.AdaptiveAvgPool2d((3, 5)), ember.nn.AdaptiveAvgPool2d((3, 5)), x)
    compare_modules(torch.nn.LPPool2d(2, 2), ember.nn.LPPool2d(2, 2), np.abs(x) + 0.1)
    t_pool, e_pool = torch.nn.MaxPool2d(2, return_indices=True), ember.nn.MaxPool2d(2, return_indices=True)
    (ty, ti), (ey, ei) = t_pool(torch.from_numpy(x)), e_pool(ember.from_numpy(x))
    assert_same(ei, ti)
    assert_same(ember.nn.MaxUnpool2d(2)(ey, ei), torch.nn.MaxUnpool2d(2)(ty, ti))


def test_float32_kept_at_training_sizes():
    # LeNet-sized pools in float32: values, indices and gradients as torch, output stays float32
    e, _ = check_op(lambda x: F(x).max_pool2d(x, 2, return_indices=True), [(8, 6, 28, 28)], dtype="float32")
    assert e[0].dtype == ember.float32
    check_op(lambda x: F(x).max_pool2d(x, 3, 2, 1), [(2, 8, 32, 32)], dtype="float32")
    check_op(lambda x: F(x).adaptive_avg_pool2d(x, 1), [(2, 16, 7, 7)], dtype="float32")


@pytest.mark.parametrize("fn", [
    lambda x: F(x).max_pool2d(x, 3, 2, 1, return_indices=True),
    lambda x: F(x).avg_pool2d(x, 3, 2, 1),
    lambda x: F(x).adaptive_avg_pool2d(x, 1),
    lambda x: F(x).adaptive_avg_pool2d(x, 3),
    lambda x: F(x).adaptive_max_pool2d(x, 3),
])
def test_empty_batch(fn):
    check_op(fn, [(0, 3, 7, 7)])


def test_large_window_and_global_pool_double_backward():
    # more than 127 offsets per window switches the offset index to int32
    check_op(lambda x: F(x).max_pool2d(x, 12, 1, return_indices=True), [(1, 2, 14, 13)])

    def fn(x):
        lib = lib_of(x)
        y = F(x).adaptive_avg_pool2d(x, 1)
        (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        return (g * g * x).sum()
    check_op(fn, [(2, 3, 4, 5)])


@pytest.mark.parametrize("fn", [
    lambda x: ember.nn.functional.max_pool2d(x, 3, 2, 1),
    lambda x: ember.nn.functional.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    lambda x: ember.nn.functional.adaptive_avg_pool2d(x, (2, 3)),
    lambda x: ember.nn.functional.adaptive_max_pool2d(x, (2, 3)),
    lambda x: ember.nn.functional.lp_pool2d(x, 2.0, 2),
])
def test_gradcheck_and_gradgradcheck(fn):
    # distinct, well-separated values keep finite differences away from max-pool ties
    x = ember.from_numpy(np.random.default_rng(0).permutation(50).reshape(1, 2, 5, 5) / 10.0 + 0.1)
    x.requires_grad_(True)
    assert ember.autograd.gradcheck(fn, (x,))
    assert ember.autograd.gradgradcheck(fn, (x,))


@pytest.mark.parametrize("fn", [
    lambda x: F(x).max_pool2d(x, 3, 2, 1, return_indices=True),
    lambda x: F(x).max_pool2d(x, 2),
    lambda x: F(x).avg_pool2d(x, 3, 2, 1),
    lambda x: F(x).adaptive_max_pool2d(x, (2, 3)),
])
def test_flipped_transposed_input(fn):
    # negative and swapped strides reach the strided kernels
    check_op(lambda x: fn(x.flip(-1).transpose(-1, -2)), [(2, 3, 9, 8)])
