"""Interpolation and pixel shuffle (ember.nn.functional.upsampling, ember.nn.modules.upsampling) against PyTorch."""

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


DTYPES = ["float32", "float64"]

CASES_2D = [
    dict(scale_factor=2),
    dict(scale_factor=3.0),
    dict(scale_factor=0.5),
    dict(scale_factor=(1.5, 2.3)),
    dict(scale_factor=1.7, recompute_scale_factor=True),
    dict(size=(8, 3)),
    dict(size=11),
    dict(size=(1, 1)),
    dict(size=(5, 7)),
]
MODES_2D = [dict(mode="nearest"), dict(mode="nearest-exact"), dict(mode="bilinear"),
            dict(mode="bilinear", align_corners=True), dict(mode="bicubic"), dict(mode="bicubic", align_corners=True),
            dict(mode="area")]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", MODES_2D, ids=lambda m: "-".join(str(v) for v in m.values()))
@pytest.mark.parametrize("case", CASES_2D, ids=str)
def test_interpolate_2d(case, mode, dtype):
    e, t = check_op(lambda x: F(x).interpolate(x, **case, **mode), [(2, 3, 5, 7)], dtype=dtype)
    assert e.grad_fn.name() == t.grad_fn.name()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", [dict(mode="nearest"), dict(mode="nearest-exact"), dict(mode="linear"),
                                  dict(mode="linear", align_corners=True), dict(mode="area")], ids=str)
@pytest.mark.parametrize("case", [dict(scale_factor=2), dict(scale_factor=2.5), dict(scale_factor=0.4),
                                  dict(size=4), dict(size=(13,)), dict(size=1)], ids=str)
def test_interpolate_1d(case, mode, dtype):
    e, t = check_op(lambda x: F(x).interpolate(x, **case, **mode), [(2, 3, 7)], dtype=dtype)
    assert e.grad_fn.name() == t.grad_fn.name()


def test_interpolate_double_backward():
    def fn(x):
        lib = torch if isinstance(x, torch.Tensor) else ember
        y = F(x).interpolate(x, scale_factor=1.5, mode="bilinear", align_corners=False)
        (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        return (g * g * x).sum()
    check_op(fn, [(1, 2, 4, 5)])


def test_interpolate_nearest_keeps_nonfinite_values_local():
    x = make_array((1, 1, 3, 4))
    x[0, 0, 1, 2] = np.inf
    check_op(lambda x: F(x).interpolate(x, scale_factor=2), arrays=[x], grad=False)


ERRORS = [
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 5, 5), size=3, scale_factor=2),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 5, 5)),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 5, 5), scale_factor=2, mode="linear"),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 5), scale_factor=2, mode="bilinear"),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 5, 5), scale_factor=2, mode="foo"),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 5, 5), scale_factor=2, align_corners=True),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 5, 5), size=(2, 3, 4)),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 5, 5), scale_factor=(2, 3, 4)),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 5, 5), size=3, recompute_scale_factor=True),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 5, 5), size=0),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 5, 5), scale_factor=0.1),
    lambda lib: lib.nn.functional.interpolate(lib.ones(5, 5), scale_factor=2),
    lambda lib: lib.nn.functional.pixel_shuffle(lib.ones(4, 5), 2),
    lambda lib: lib.nn.functional.pixel_shuffle(lib.ones(1, 4, 5, 5), 0),
    lambda lib: lib.nn.functional.pixel_shuffle(lib.ones(1, 2, 5, 5), 2),
    lambda lib: lib.nn.functional.pixel_unshuffle(lib.ones(1, 4, 5, 4), 2),
    lambda lib: lib.nn.functional.pixel_unshuffle(lib.ones(1, 4, 4, 5), 2),
    lambda lib: lib.nn.functional.pixel_unshuffle(lib.ones(1, 4, 4, 4), 0),
    lambda lib: lib.nn.functional.pixel_unshuffle(lib.ones(4, 4), 2),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_match_torch(case):
    same_error(ERRORS[case])


def test_integer_input_not_implemented_like_torch():
    for mode in ("nearest", "bilinear"):
        with pytest.raises(NotImplementedError):
            torch.nn.functional.interpolate(torch.ones(1, 1, 2, 2, dtype=torch.long), scale_factor=2, mode=mode)
        with pytest.raises(NotImplementedError):
            ember.nn.functional.interpolate(ember.ones(1, 1, 2, 2, dtype=ember.long), scale_factor=2, mode=mode)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,r", [((2, 8, 3, 4), 2), ((9, 2, 3), 3), ((2, 1, 4, 3, 5), 1), ((1, 18, 2, 2), 3)])
def test_pixel_shuffle(shape, r, dtype):
    e, t = check_op(lambda x: F(x).pixel_shuffle(x, r), [shape], dtype=dtype)
    assert e.grad_fn.name() == t.grad_fn.name()


@pytest.mark.parametrize("shape,r", [((2, 2, 4, 6), 2), ((1, 6, 6), 3), ((2, 1, 3, 4, 4), 4)])
def test_pixel_unshuffle(shape, r):
    e, t = check_op(lambda x: F(x).pixel_unshuffle(x, r), [shape])
    assert e.grad_fn.name() == t.grad_fn.name()
    check_op(lambda x: F(x).pixel_shuffle(F(x).pixel_unshuffle(x, r), r), [shape])


MODULES = [
    ("Upsample(scale_factor=2)", "Upsample(scale_factor=2.0, mode='nearest')"),
    ("Upsample(size=(3, 4), mode='bilinear', align_corners=True)", "Upsample(size=(3, 4), mode='bilinear')"),
    ("Upsample(size=5)", "Upsample(size=5, mode='nearest')"),
    ("Upsample(scale_factor=(2, 3))", "Upsample(scale_factor=(2.0, 3.0), mode='nearest')"),
    ("Upsample(scale_factor=1.5, mode='bicubic', align_corners=False)", "Upsample(scale_factor=1.5, mode='bicubic')"),
    ("UpsamplingNearest2d(scale_factor=2)", "UpsamplingNearest2d(scale_factor=2.0, mode='nearest')"),
    ("UpsamplingBilinear2d(size=3)", "UpsamplingBilinear2d(size=3, mode='bilinear')"),
    ("PixelShuffle(2)", "PixelShuffle(upscale_factor=2)"),
    ("PixelUnshuffle(2)", "PixelUnshuffle(downscale_factor=2)"),
]


@pytest.mark.parametrize("expr,text", MODULES)
def test_module_repr_and_forward(expr, text):
    t_mod, e_mod = eval("torch.nn." + expr), eval("ember.nn." + expr)
    assert repr(t_mod) == repr(e_mod) == text
    compare_modules(t_mod, e_mod, make_array((2, 4, 4, 6), "float64"))


def test_upsample_module_float32():
    x = make_array((2, 3, 5, 5), "float32")
    t_out = torch.nn.UpsamplingBilinear2d(scale_factor=2)(torch.from_numpy(x.copy()))
    e_out = ember.nn.UpsamplingBilinear2d(scale_factor=2)(ember.from_numpy(x.copy()))
    assert_same(e_out, t_out)
    assert e_out.dtype == ember.float32


@pytest.mark.parametrize("kwargs", [dict(scale_factor=2), dict(size=(4, 7), mode="bilinear"),
                                    dict(scale_factor=1.5, mode="bicubic", align_corners=True)], ids=str)
def test_gradcheck_and_gradgradcheck(kwargs):
    x = ember.from_numpy(make_array((1, 2, 3, 4))).requires_grad_(True)
    assert ember.autograd.gradcheck(lambda x: ember.nn.functional.interpolate(x, **kwargs), (x,))
    assert ember.autograd.gradgradcheck(lambda x: ember.nn.functional.interpolate(x, **kwargs), (x,))
    assert ember.autograd.gradcheck(lambda x: ember.nn.functional.pixel_shuffle(x, 2), (ember.from_numpy(
        make_array((1, 4, 2, 3))).requires_grad_(True),))


@pytest.mark.parametrize("name,kwargs", [("upsample", dict(scale_factor=2, mode="bilinear")),
                                         ("upsample_nearest", dict(scale_factor=2)),
                                         ("upsample_bilinear", dict(size=(3, 5)))])
def test_deprecated_upsample_functions(name, kwargs):
    x = make_array((1, 2, 3, 4))
    with pytest.warns(UserWarning, match=f"`nn.functional.{name}` is deprecated") as record:
        e_out = getattr(ember.nn.functional, name)(ember.from_numpy(x), **kwargs)
    assert len(record) == 1
    with pytest.warns(UserWarning):
        t_out = getattr(torch.nn.functional, name)(torch.from_numpy(x), **kwargs)
    assert_same(e_out, t_out)
