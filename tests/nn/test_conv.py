"""Convolutions against PyTorch: conv1d/2d/3d, conv_transpose, unfold/fold, values and gradients of input,
weight and bias, double backward, errors, and the Conv modules (repr, parameters, init, forward)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as EF
from tests.helpers import assert_same, check_op, make_array
from tests.nn._oracle import compare_modules, copy_module

# float32 sums of up to ~100 products of values in [-1, 1]: absolute error scales with the sum's size.
# Weight gradients sum over batch x output pixels (up to ~9000 products, values up to ~60), and BLAS
# orders those sums differently with 1 or 2 threads, hence their wider absolute tolerance.
TOLS = {"float32": dict(atol=5e-5, rtol=1e-5, grad_atol=3e-4), "float64": dict(atol=1e-10, rtol=1e-10)}


def _conv_case(name, xs, ws, bias=True, dtype="float64", **kw):
    """Compare ember's and torch's F.<name> on the same data: output, input/weight/bias gradients."""
    shapes = [xs, ws] + ([(ws[1] * kw.get("groups", 1),) if "transpose" in name else (ws[0],)] if bias else [])
    check_op(lambda *a: getattr(EF, name)(*a, **kw), shapes, torch_fn=lambda *a: getattr(TF, name)(*a, **kw),
             dtype=dtype, low=-1, high=1, **TOLS[dtype])


CONV2D = [
    ((2, 3, 7, 7), (4, 3, 3, 3), {}),
    ((2, 3, 7, 7), (4, 3, 3, 3), dict(stride=2, padding=1)),
    ((3, 2, 9, 8), (4, 2, 3, 2), dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1))),
    ((2, 2, 6, 7), (3, 2, 3, 3), dict(padding="same")),
    ((2, 2, 6, 7), (3, 2, 2, 4), dict(padding="same", dilation=(1, 2))),
    ((2, 2, 6, 7), (3, 2, 3, 3), dict(padding="valid", dilation=2)),
    ((2, 4, 6, 6), (6, 2, 3, 3), dict(groups=2, padding=1)),
    ((2, 4, 6, 6), (4, 1, 3, 3), dict(groups=4, padding=1)),  # depthwise
    ((2, 4, 6, 6), (8, 1, 3, 3), dict(groups=4, stride=2)),  # depthwise with multiplier 2
    ((2, 3, 6, 6), (5, 3, 1, 1), {}),
    ((2, 3, 7, 7), (5, 3, 1, 1), dict(stride=2)),
    ((1, 3, 7, 7), (4, 3, 3, 3), dict(padding=2)),  # batch 1 takes the batch-first layout
    ((2, 2, 5, 40), (3, 2, 3, 3), dict(padding=1)),  # wide rows take the batch-first layout
    ((3, 4, 5, 40), (4, 2, 2, 3), dict(padding=(1, 0), dilation=2, groups=2)),
    ((3, 7, 7), (4, 3, 3, 3), dict(padding=1)),  # unbatched
    ((2, 3, 5, 5), (4, 3, 5, 5), {}),  # kernel as large as the input
    ((2, 3, 4, 4), (4, 3, 3, 3), dict(stride=3, padding=1)),  # stride larger than the kernel's reach
    ((10, 1, 32, 32), (2, 1, 3, 3), {}),  # samples 4 KiB apart, batch > 8: the banded transpose
    ((10, 1, 32, 32), (2, 1, 3, 3), dict(padding=1)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("xs,ws,kw", CONV2D)
def test_conv2d(xs, ws, kw, dtype):
    _conv_case("conv2d", xs, ws, dtype=dtype, **kw)


@pytest.mark.parametrize("xs,ws,kw", CONV2D[:4])
def test_conv2d_no_bias(xs, ws, kw):
    _conv_case("conv2d", xs, ws, bias=False, **kw)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("xs,ws,kw", [
    ((2, 3, 10), (4, 3, 3), {}),
    ((2, 3, 10), (4, 3, 3), dict(stride=2, padding=2, dilation=2)),
    ((2, 2, 45), (3, 2, 3), dict(padding="same")),
    ((2, 4, 9), (6, 2, 4), dict(groups=2, padding="same")),
    ((3, 11), (2, 3, 3), dict(stride=3)),
])
def test_conv1d(xs, ws, kw, dtype):
    _conv_case("conv1d", xs, ws, dtype=dtype, **kw)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("xs,ws,kw", [
    ((2, 2, 5, 5, 5), (3, 2, 3, 3, 3), {}),
    ((2, 2, 5, 6, 5), (3, 2, 3, 2, 3), dict(stride=(2, 1, 2), padding=1, dilation=(1, 2, 1))),
    ((1, 4, 4, 4, 4), (4, 2, 3, 3, 3), dict(groups=2, padding="same")),
    ((2, 4, 4, 4), (3, 2, 2, 2, 2), {}),
])
def test_conv3d(xs, ws, kw, dtype):
    _conv_case("conv3d", xs, ws, dtype=dtype, **kw)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,xs,ws,kw", [
    ("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), {}),
    ("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ("conv_transpose2d", (2, 4, 5, 4), (4, 3, 3, 2), dict(stride=(2, 3), padding=(0, 1), output_padding=(1, 2))),
    ("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), dict(groups=2, dilation=2, output_padding=1)),
    ("conv_transpose2d", (1, 4, 5, 5), (4, 2, 3, 3), dict(stride=2)),
    ("conv_transpose2d", (4, 5, 5), (4, 2, 3, 3), dict(padding=1)),
    ("conv_transpose1d", (2, 3, 7), (3, 2, 3), dict(stride=2, output_padding=1)),
    ("conv_transpose1d", (2, 4, 40), (4, 1, 3), dict(groups=4, padding=1)),
    ("conv_transpose3d", (2, 2, 3, 3, 3), (2, 3, 2, 3, 2), dict(stride=2, padding=(0, 1, 0), output_padding=1)),
])
def test_conv_transpose(name, xs, ws, kw, dtype):
    _conv_case(name, xs, ws, dtype=dtype, **kw)


def _double_backward(fn_e, fn_t, shapes):
    """Gradients of a function of the first-order gradients (create_graph=True) equal torch's."""
    arrays = [make_array(s, "float64", -1, 1, seed=i) for i, s in enumerate(shapes)]
    results = []
    for lib, fn in ((ember, fn_e), (torch, fn_t)):
        ins = [lib.tensor(a.copy(), requires_grad=True) for a in arrays]
        y = fn(*ins)
        v = lib.tensor(make_array(tuple(y.shape), "float64", -1, 1, seed=9))
        grads = lib.autograd.grad((y * v).sum(), ins, create_graph=True)
        total = sum((g * g.sin()).sum() for g in grads)
        results.append(lib.autograd.grad(total, ins, allow_unused=True))
    for e, t in zip(*results):
        if t is None:  # the bias gradient does not depend on the inputs
            assert e is None
        else:
            assert_same(e, t)


@pytest.mark.parametrize("name,xs,ws,kw", [
    ("conv2d", (2, 3, 6, 6), (4, 3, 3, 3), dict(stride=2, padding=1)),
    ("conv2d", (2, 4, 6, 6), (4, 2, 3, 3), dict(groups=2, dilation=2)),
    ("conv1d", (2, 2, 40), (3, 2, 3), dict(padding=1)),
    ("conv_transpose2d", (2, 4, 4, 4), (4, 3, 3, 3), dict(stride=2, output_padding=1)),
])
def test_double_backward(name, xs, ws, kw):
    _double_backward(lambda x, w, b: getattr(EF, name)(x, w, b, **kw),
                     lambda x, w, b: getattr(TF, name)(x, w, b, **kw),
                     [xs, ws, ((ws[1] * kw.get("groups", 1)) if "transpose" in name else ws[0],)])


def test_grad_fn_names():
    x = ember.randn(1, 2, 5, 5, requires_grad=True)
    w = ember.randn(3, 2, 3, 3, requires_grad=True)
    y = EF.conv2d(x, w)
    assert y.grad_fn.name() == "ConvolutionBackward0"
    assert y.grad_fn.next_functions[2] == (None, 0)
    assert EF.unfold(x, 2).grad_fn.name() == "Im2ColBackward0"
    assert EF.fold(ember.randn(1, 8, 16, requires_grad=True), (5, 5), 2).grad_fn.name() == "Col2ImBackward0"


def test_conv_keeps_float32_and_integers():
    x = ember.randn(2, 3, 6, 6)
    assert EF.conv2d(x, ember.randn(4, 3, 3, 3)).dtype == ember.float32
    xi = np.arange(2 * 3 * 5 * 5).reshape(2, 3, 5, 5) % 7
    wi = np.arange(4 * 3 * 3 * 3).reshape(4, 3, 3, 3) % 5 - 2
    assert_same(EF.conv2d(ember.tensor(xi), ember.tensor(wi), stride=2),
                TF.conv2d(torch.tensor(xi), torch.tensor(wi), stride=2))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("xs,kw", [
    ((2, 3, 6, 7), dict(kernel_size=2)),
    ((2, 2, 6, 7), dict(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(1, 2))),
    ((3, 5, 5), dict(kernel_size=3, padding=1, stride=2)),
])
def test_unfold(xs, kw, dtype):
    check_op(lambda x: EF.unfold(x, **kw), [xs], torch_fn=lambda x: TF.unfold(x, **kw), dtype=dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("xs,kw", [
    ((2, 12, 9), dict(output_size=(4, 4), kernel_size=2)),
    ((2, 12, 9), dict(output_size=(5, 6), kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=(2, 2))),
    ((18, 9), dict(output_size=5, kernel_size=3, padding=1, stride=2)),
])
def test_fold(xs, kw, dtype):
    check_op(lambda x: EF.fold(x, **kw), [xs], torch_fn=lambda x: TF.fold(x, **kw), dtype=dtype)


def _same_error(fn_e, fn_t, exact: bool = True):
    with pytest.raises(Exception) as te:
        fn_t(torch)
    with pytest.raises(type(te.value)) as ee:
        fn_e(ember)
    if exact:
        assert str(ee.value) == str(te.value)


def _f(lib):
    return EF if lib is ember else TF


@pytest.mark.parametrize("call", [
    lambda L: _f(L).conv2d(L.ones(2, 3, 8, 8), L.ones(4, 2, 3, 3)),
    lambda L: _f(L).conv2d(L.ones(2, 3, 8, 8), L.ones(4, 3, 9, 9)),
    lambda L: _f(L).conv2d(L.ones(2, 3, 8, 8), L.ones(4, 3, 3, 3), dilation=4),
    lambda L: _f(L).conv2d(L.ones(2, 3, 8, 8), L.ones(4, 3, 3, 3), stride=2, padding="same"),
    lambda L: _f(L).conv2d(L.ones(2, 3, 8, 8), L.ones(4, 3, 3, 3), padding="foo"),
    lambda L: _f(L).conv2d(L.ones(8, 8), L.ones(4, 3, 3, 3)),
    lambda L: _f(L).conv2d(L.ones(2, 3, 8, 8), L.ones(4, 3, 3, 3), groups=2),
    lambda L: _f(L).conv2d(L.ones(2, 3, 8, 8), L.ones(4, 1, 3, 3), groups=3),
    lambda L: _f(L).conv2d(L.ones(2, 3, 8, 8), L.ones(4, 3, 3, 3), L.ones(3)),
    lambda L: _f(L).conv2d(L.ones(2, 3, 8, 8), L.ones(4, 3, 3, 3), stride=0),
    lambda L: _f(L).conv2d(L.ones(2, 3, 8, 8), L.ones(4, 3, 3, 3), padding=-1),
    lambda L: _f(L).conv2d(L.ones(2, 3, 8, 8), L.ones(4, 3, 3, 3), dilation=0),
    lambda L: _f(L).conv2d(L.ones(2, 3, 8, 8), L.ones(4, 3, 3, 3), groups=0),
    lambda L: _f(L).conv2d(L.ones(2, 3, 8, 8), L.ones(4, 3, 3, 3, dtype=L.float64)),
    lambda L: _f(L).conv2d(L.ones(2, 3, 8, 8), L.ones(4, 3, 3, 3), L.ones(4, dtype=L.float64)),
    lambda L: _f(L).conv2d(L.ones(1, 3, 8, 8), L.ones(4, 3, 3, 3, dtype=L.float64)),
    lambda L: _f(L).conv1d(L.ones(1, 3, 4), L.ones(4, 3, 0)),
    lambda L: _f(L).conv2d(L.ones(1, 3, 4, 4), L.ones(4, 3, 0, 2)),
    lambda L: _f(L).conv2d(L.ones(3, 4, 4), L.ones(4, 3, 2, 0)),
    lambda L: _f(L).conv3d(L.ones(1, 3, 4, 4, 4), L.ones(4, 3, 0, 2, 2)),
    lambda L: _f(L).conv_transpose2d(L.ones(1, 3, 4, 4), L.ones(3, 4, 0, 2)),
    lambda L: L.nn.Conv2d(3, 4, 0)(L.ones(1, 3, 4, 4)),
    lambda L: _f(L).unfold(L.ones(1, 1, 4, 4, dtype=L.int64), 2),
    lambda L: _f(L).fold(L.ones(1, 4, 4, dtype=L.int64), (3, 3), 2),
    lambda L: _f(L).conv2d(L.ones(3, 8, 8), L.ones(4, 3, 3, 3, dtype=L.float64)),
    lambda L: _f(L).conv2d(L.ones(2, 3, 8, 8, dtype=L.float64), L.ones(4, 3, 3, 3)),
    lambda L: _f(L).conv2d(L.ones(2, 3, 8, 8, dtype=L.float64), L.ones(4, 3, 3, 3), L.ones(4)),
    lambda L: _f(L).conv1d(L.ones(2, 3, 8, dtype=L.float64), L.ones(4, 3, 3), L.ones(4, dtype=L.float64)),
    lambda L: _f(L).conv_transpose2d(L.ones(1, 3, 4, 4, dtype=L.float64), L.ones(3, 4, 1, 1), L.ones(4)),
    lambda L: _f(L).conv_transpose2d(L.ones(2, 3, 4, 4), L.ones(3, 4, 3, 3, dtype=L.float64)),
    lambda L: _f(L).conv2d(L.ones(2, 3, 8, 8), L.ones(4, 3, 3, 3), stride=(1, 1, 1)),
    lambda L: _f(L).conv2d(L.ones(2, 3, 8, 8), L.ones(4, 3, 3, 3), padding=[1, 2, 3]),
    lambda L: _f(L).conv1d(L.ones(2, 3, 5), L.ones(4, 3, 7)),
    lambda L: _f(L).conv2d(L.ones(2, 3, 0, 8), L.ones(4, 3, 3, 3)),
    lambda L: _f(L).conv_transpose2d(L.ones(2, 4, 5, 5), L.ones(4, 3, 3, 3), output_padding=2),
    lambda L: _f(L).conv_transpose1d(L.ones(2, 3, 8), L.ones(3, 4, 3), output_padding=1),
    lambda L: _f(L).conv_transpose2d(L.ones(2, 3, 5, 5), L.ones(4, 3, 3, 3)),
    lambda L: _f(L).fold(L.ones(1, 10, 9), (4, 4), 2),
    lambda L: _f(L).fold(L.ones(1, 12, 8), (4, 4), 2),
    lambda L: _f(L).fold(L.ones(3, 4, 5, 6), (4, 4), 2),
    lambda L: _f(L).unfold(L.ones(1, 3, 4, 4), 5),
])
def test_errors(call):
    _same_error(call, call)


def test_error_weight_dims():
    # the exception type is PyTorch's; the message names the weight's dims in ember's own words
    _same_error(lambda L: _f(L).conv1d(L.ones(2, 3, 8), L.ones(4, 3, 3, 3)),
                lambda L: _f(L).conv1d(L.ones(2, 3, 8), L.ones(4, 3, 3, 3)), exact=False)


# -- modules ----------------------------------------------------------------------------------------------

MODULES = [
    ("Conv2d", (1, 6, 3), {}, (2, 1, 8, 8)),
    ("Conv2d", (3, 64, 7, 2, 3), dict(bias=False), (1, 3, 12, 12)),
    ("Conv2d", (4, 6, 3), dict(padding="same", dilation=2, groups=2, padding_mode="reflect"), (2, 4, 7, 7)),
    ("Conv2d", (4, 6, (2, 3)), dict(padding="same", dilation=(1, 2), padding_mode="circular"), (2, 4, 5, 7)),
    ("Conv2d", (3, 4, 3), dict(padding=(1, 2), padding_mode="replicate", stride=2), (2, 3, 7, 6)),
    ("Conv2d", (3, 4, 3), dict(padding="valid"), (3, 6, 6)),
    ("Conv1d", (3, 6, 3), dict(stride=2, padding=1, padding_mode="circular"), (2, 3, 9)),
    ("Conv3d", (2, 4, 3), dict(padding=1, padding_mode="reflect"), (1, 2, 4, 4, 4)),
    ("Conv3d", (2, 4, (1, 2, 3)), dict(stride=(1, 2, 1), groups=2), (2, 2, 4, 5, 6)),
    ("ConvTranspose2d", (3, 6, 3), dict(stride=2, padding=1, output_padding=1), (2, 3, 4, 4)),
    ("ConvTranspose2d", (4, 6, 3), dict(groups=2, dilation=2, bias=False), (2, 4, 4, 4)),
    ("ConvTranspose1d", (4, 6, 3), dict(output_padding=1, stride=2, groups=2, bias=False, dilation=2), (2, 4, 5)),
    ("ConvTranspose3d", (2, 3, 2), dict(stride=2), (1, 2, 3, 3, 3)),
]


@pytest.mark.parametrize("name,args,kw,xs", MODULES)
def test_module_against_torch(name, args, kw, xs):
    t_mod = getattr(torch.nn, name)(*args, **kw).double()
    e_mod = getattr(ember.nn, name)(*args, **kw).double()
    assert repr(e_mod) == repr(t_mod)
    t_state, e_state = t_mod.state_dict(), e_mod.state_dict()
    assert list(e_state) == list(t_state)
    assert [tuple(v.shape) for v in e_state.values()] == [tuple(v.shape) for v in t_state.values()]
    copy_module(t_mod, e_mod)
    compare_modules(t_mod, e_mod, make_array(xs, "float64"))


def test_module_float32():
    t_mod, e_mod = torch.nn.Conv2d(3, 8, 3, padding=1), ember.nn.Conv2d(3, 8, 3, padding=1)
    copy_module(t_mod, e_mod)
    compare_modules(t_mod, e_mod, make_array((4, 3, 10, 10), "float32", -1, 1), atol=5e-5, rtol=1e-5)


@pytest.mark.parametrize("output_size", [(9, 9), [1, 6, 10, 9], (10, 10)])
def test_conv_transpose_output_size(output_size):
    t_mod, e_mod = torch.nn.ConvTranspose2d(4, 6, 3, stride=2).double(), ember.nn.ConvTranspose2d(4, 6, 3, stride=2)
    e_mod.double()
    copy_module(t_mod, e_mod)
    x = make_array((1, 4, 4, 4), "float64")
    assert_same(e_mod(ember.tensor(x), output_size=output_size), t_mod(torch.tensor(x), output_size=output_size))


@pytest.mark.parametrize("output_size", [(11, 9), (9,)])
def test_conv_transpose_output_size_errors(output_size):
    t_mod, e_mod = torch.nn.ConvTranspose2d(4, 6, 3, stride=2), ember.nn.ConvTranspose2d(4, 6, 3, stride=2)
    with pytest.raises(ValueError) as te:
        t_mod(torch.ones(1, 4, 4, 4), output_size=output_size)
    with pytest.raises(ValueError) as ee:
        e_mod(ember.ones(1, 4, 4, 4), output_size=output_size)
    assert str(ee.value).split(" (for")[0] == str(te.value).split(" (for")[0]


@pytest.mark.parametrize("name,args,xs", [
    ("Fold", ((4, 5), (2, 2)), (2, 8, 12)),
    ("Fold", (dict(output_size=5, kernel_size=3, padding=1, stride=2)), (2, 18, 9)),
    ("Unfold", ((2, 3),), (2, 3, 5, 6)),
    ("Unfold", (dict(kernel_size=2, dilation=1, padding=1, stride=2)), (2, 3, 5, 6)),
])
def test_fold_modules(name, args, xs):
    if isinstance(args, dict):
        t_mod, e_mod = getattr(torch.nn, name)(**args), getattr(ember.nn, name)(**args)
    else:
        t_mod, e_mod = getattr(torch.nn, name)(*args), getattr(ember.nn, name)(*args)
    assert repr(e_mod) == repr(t_mod)
    compare_modules(t_mod, e_mod, make_array(xs, "float64"))


@pytest.mark.parametrize("name,args", [("Conv2d", (16, 32, 3)), ("Conv1d", (8, 64, 5)),
                                       ("ConvTranspose2d", (16, 32, 3)), ("Conv3d", (4, 8, 3))])
def test_default_init(name, args):
    # kaiming_uniform_(a=sqrt(5)) gives bound gain * sqrt(3 / fan_in) with gain = sqrt(2 / (1 + 5)): 1 / sqrt(fan_in)
    ember.manual_seed(0)
    m = getattr(ember.nn, name)(*args)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    fan_in = w.shape[1] * int(np.prod(w.shape[2:]))
    bound = 1 / math.sqrt(fan_in)
    assert w.dtype == np.float32 and abs(w).max() <= bound and abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound / math.sqrt(3)
    assert abs(b).max() <= bound and abs(b).max() > 0.5 * bound
    assert m.weight.requires_grad and isinstance(m.weight, ember.nn.Parameter)


@pytest.mark.parametrize("kw", [
    dict(groups=0), dict(groups=2), dict(in_channels=4, groups=4), dict(padding="foo"),
    dict(padding="same", stride=2), dict(padding_mode="foo"),
])
def test_module_errors(kw):
    args = dict(in_channels=3, out_channels=6, kernel_size=3)
    args.update(kw)
    with pytest.raises(ValueError) as te:
        torch.nn.Conv2d(**args)
    with pytest.raises(ValueError) as ee:
        ember.nn.Conv2d(**args)
    assert str(ee.value).split("{")[0] == str(te.value).split("{")[0]  # sets print in hash order


def test_conv_transpose_padding_mode_error():
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        ember.nn.ConvTranspose2d(3, 6, 3, padding_mode="reflect")


def test_lenet_repr_and_state_dict():
    def build(nn):
        return nn.Sequential(nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.Flatten(),
                             nn.Linear(16 * 10 * 10, 10))
    t_net, e_net = build(torch.nn), build(ember.nn)
    assert repr(e_net) == repr(t_net)
    assert list(e_net.state_dict()) == list(t_net.state_dict())


def test_noncontiguous_and_empty_batch():
    check_op(lambda x, w: EF.conv2d(x, w, padding=1), [(2, 3, 6, 6), (4, 3, 3, 3)],
             torch_fn=lambda x, w: TF.conv2d(x, w, padding=1), noncontig=True)
    assert_same(EF.conv2d(ember.ones(0, 3, 8, 8), ember.ones(4, 3, 3, 3)),
                TF.conv2d(torch.ones(0, 3, 8, 8), torch.ones(4, 3, 3, 3)))


def test_retain_graph_reuses_nothing_stale():
    # the forward's column matrix is handed to the first backward; a retained second backward rebuilds it
    x, w = make_array((2, 3, 6, 6), "float64"), make_array((4, 3, 3, 3), "float64", seed=1)
    grads = []
    for lib, F in ((ember, EF), (torch, TF)):
        wt = lib.tensor(w, requires_grad=True)
        y = F.conv2d(lib.tensor(x), wt).pow(2).sum()
        y.backward(retain_graph=True)
        y.backward()
        grads.append(wt.grad)
    assert_same(grads[0], grads[1])
