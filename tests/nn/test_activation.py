"""nn.functional activations and activation modules against PyTorch: values, gradients, in-place forms, reprs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import ember
import ember.nn as enn
import ember.nn.functional as EF
from tests.helpers import assert_same, check_op, make_array
from tests.nn._oracle import compare_modules, copy_module
from tests.ops.test_activation import check_double_backward

FLOATS = ["float32", "float64"]

# (id, call(F, x)) run identically on torch.nn.functional and ember.nn.functional
FUNCTIONAL = [
    ("relu", lambda F, x: F.relu(x)),
    ("relu6", lambda F, x: F.relu6(x)),
    ("leaky_relu", lambda F, x: F.leaky_relu(x)),
    ("leaky_relu_0.2", lambda F, x: F.leaky_relu(x, 0.2)),
    ("leaky_relu_neg", lambda F, x: F.leaky_relu(x, -0.3)),
    ("elu", lambda F, x: F.elu(x)),
    ("elu_alpha", lambda F, x: F.elu(x, alpha=0.7)),
    ("selu", lambda F, x: F.selu(x)),
    ("celu", lambda F, x: F.celu(x, alpha=1.7)),
    ("gelu", lambda F, x: F.gelu(x)),
    ("gelu_tanh", lambda F, x: F.gelu(x, approximate="tanh")),
    ("silu", lambda F, x: F.silu(x)),
    ("mish", lambda F, x: F.mish(x)),
    ("sigmoid", lambda F, x: F.sigmoid(x)),
    ("tanh", lambda F, x: F.tanh(x)),
    ("hardtanh", lambda F, x: F.hardtanh(x)),
    ("hardtanh_bounds", lambda F, x: F.hardtanh(x, -0.5, 2.0)),
    ("hardsigmoid", lambda F, x: F.hardsigmoid(x)),
    ("hardswish", lambda F, x: F.hardswish(x)),
    ("softplus", lambda F, x: F.softplus(x)),
    ("softplus_beta", lambda F, x: F.softplus(x, beta=2.0, threshold=3.0)),
    ("softsign", lambda F, x: F.softsign(x)),
    ("tanhshrink", lambda F, x: F.tanhshrink(x)),
    ("threshold", lambda F, x: F.threshold(x, 0.5, -1.0)),
    ("logsigmoid", lambda F, x: F.logsigmoid(x)),
    ("hardshrink", lambda F, x: F.hardshrink(x)),
    ("softshrink", lambda F, x: F.softshrink(x, 0.8)),
    ("rrelu_eval", lambda F, x: F.rrelu(x)),
    ("glu", lambda F, x: F.glu(x)),
    ("glu_dim0", lambda F, x: F.glu(x, 0)),
    ("softmin", lambda F, x: F.softmin(x, -1)),
]
IDS = [c[0] for c in FUNCTIONAL]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,fn", FUNCTIONAL, ids=IDS)
def test_functional(name, fn, dtype):
    check_op(lambda x: fn(EF, x), [(4, 6)], torch_fn=lambda x: fn(TF, x), dtype=dtype, low=-7, high=7)


@pytest.mark.parametrize("name,fn", FUNCTIONAL, ids=IDS)
def test_functional_noncontiguous_and_node_names(name, fn):
    e, t = check_op(lambda x: fn(EF, x), [(2, 3, 4)], torch_fn=lambda x: fn(TF, x), noncontig=True)
    assert e.grad_fn.name() == t.grad_fn.name()


# points where a derivative switches branches: PyTorch's choice at the kink must be ember's
SPECIAL = np.array([-25.0, -21.0, -20.0, -6.0, -3.0, -1.0, -0.8, -0.5, 0.0, 0.5, 0.8, 1.0, 3.0, 6.0, 10.0, 20.0, 21.0])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,fn", FUNCTIONAL, ids=IDS)
def test_special_points(name, fn, dtype):
    a = SPECIAL.astype(dtype)
    if name.startswith("glu"):
        a = np.concatenate([a, a[::-1]])
    check_op(lambda x: fn(EF, x), arrays=[a], torch_fn=lambda x: fn(TF, x))


def test_softplus_threshold_boundary():
    # beta * x == threshold takes the log1p branch, strictly above it returns x
    a = np.array([0.5, 1.0, 1.5, 10.0, 10.5], dtype=np.float64)
    check_op(lambda x: EF.softplus(x, beta=2.0, threshold=1.0), arrays=[a],
             torch_fn=lambda x: TF.softplus(x, beta=2.0, threshold=1.0))
    check_op(lambda x: EF.softplus(x, beta=1.0, threshold=10.0), arrays=[a],
             torch_fn=lambda x: TF.softplus(x, beta=1.0, threshold=10.0))


SMOOTH = ["elu", "selu", "celu", "gelu", "gelu_tanh", "silu", "mish", "softplus", "softplus_beta", "logsigmoid",
          "hardswish", "softsign", "tanhshrink", "leaky_relu", "hardtanh", "softmin", "glu"]


@pytest.mark.parametrize("name", SMOOTH)
def test_double_backward(name):
    fn = dict(FUNCTIONAL)[name]
    check_double_backward(lambda x: fn(EF, x), (3, 4), torch_fn=lambda x: fn(TF, x), low=-4, high=4)


# -- in-place forms -----------------------------------------------------------------------------------
INPLACE = [
    ("relu", lambda F, x: F.relu(x, inplace=True)),
    ("relu_", lambda F, x: F.relu_(x)),
    ("relu6", lambda F, x: F.relu6(x, inplace=True)),
    ("leaky_relu", lambda F, x: F.leaky_relu(x, 0.1, inplace=True)),
    ("leaky_relu_", lambda F, x: F.leaky_relu_(x, 0.1)),
    ("elu", lambda F, x: F.elu(x, 0.5, inplace=True)),
    ("elu_", lambda F, x: F.elu_(x)),
    ("selu", lambda F, x: F.selu(x, inplace=True)),
    ("celu", lambda F, x: F.celu(x, 2.0, inplace=True)),
    ("silu", lambda F, x: F.silu(x, inplace=True)),
    ("mish", lambda F, x: F.mish(x, inplace=True)),
    ("hardtanh", lambda F, x: F.hardtanh(x, -0.5, 0.5, inplace=True)),
    ("hardtanh_", lambda F, x: F.hardtanh_(x)),
    ("hardsigmoid", lambda F, x: F.hardsigmoid(x, inplace=True)),
    ("hardswish", lambda F, x: F.hardswish(x, inplace=True)),
    ("threshold", lambda F, x: F.threshold(x, 0.2, 3.0, inplace=True)),
    ("threshold_", lambda F, x: F.threshold_(x, 0.2, 3.0)),
    ("rrelu", lambda F, x: F.rrelu(x, inplace=True)),
]
INPLACE_IDS = [c[0] for c in INPLACE]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,fn", INPLACE, ids=INPLACE_IDS)
def test_inplace(name, fn, dtype):
    def run(F, x):
        y = x * 1
        out = fn(F, y)
        assert out is y
        return out

    e, t = check_op(lambda x: run(EF, x), [(3, 5)], torch_fn=lambda x: run(TF, x), dtype=dtype, low=-4, high=4)
    assert e.grad_fn.name() == t.grad_fn.name()


@pytest.mark.parametrize("name,fn", INPLACE, ids=INPLACE_IDS)
def test_inplace_special_points(name, fn):
    a = SPECIAL.copy()
    check_op(lambda x: fn(EF, x * 1), arrays=[a], torch_fn=lambda x: fn(TF, x * 1))


@pytest.mark.parametrize("name,fn", INPLACE, ids=INPLACE_IDS)
def test_inplace_without_grad_modifies_input(name, fn):
    a = make_array((2, 5), "float32", -4, 4)
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    fn(EF, e)
    fn(TF, t)
    assert_same(e, t)


@pytest.mark.parametrize("name,fn", INPLACE, ids=INPLACE_IDS)
def test_inplace_on_leaf_raises(name, fn):
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        fn(EF, ember.randn(3, requires_grad=True))


def test_inplace_after_saving_op_raises_at_backward():
    for F, lib in ((TF, torch), (EF, ember)):
        x = lib.randn(5, requires_grad=True)
        y = x.sigmoid()  # sigmoid saves its output
        F.silu(y, inplace=True)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


@pytest.mark.parametrize("call", [lambda F, x: F.leaky_relu(x, -0.2, inplace=True),
                                  lambda F, x: F.elu(x, -0.5, inplace=True)], ids=["leaky_relu", "elu"])
def test_inplace_negative_slope_backward_raises(call):
    messages = []
    for F, lib in ((TF, torch), (EF, ember)):
        x = lib.tensor([-1.0, 2.0], requires_grad=True)
        y = call(F, x * 1)
        with pytest.raises(RuntimeError) as err:
            y.sum().backward()
        messages.append(str(err.value))
    assert messages[0] == messages[1]


# -- dtypes and errors --------------------------------------------------------------------------------
INT_OK = ["relu", "relu6", "hardtanh", "hardtanh_bounds", "threshold", "sigmoid", "tanh", "softsign", "tanhshrink"]


@pytest.mark.parametrize("name,fn", FUNCTIONAL, ids=IDS)
def test_integer_input(name, fn):
    a = make_array((6,), "int64", -4, 4)
    if name in INT_OK:
        assert_same(fn(EF, ember.from_numpy(a.copy())), fn(TF, torch.from_numpy(a.copy())))
        return
    with pytest.raises(Exception) as t_err:
        fn(TF, torch.from_numpy(a.copy()))
    with pytest.raises(t_err.type) as e_err:
        fn(EF, ember.from_numpy(a.copy()))
    assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("call", [
    lambda F, x: F.hardtanh(x, 2.0, 1.0),
    lambda F, x: F.gelu(x, approximate="fast"),
    lambda F, x: F.softshrink(x, -1.0),
    lambda F, x: F.celu(x, 0.0),
    lambda F, x: F.glu(x[:3]),
    lambda F, x: F.glu(x[0]),
    lambda F, x: F.rrelu(x, 0.5, 0.1),
    lambda F, x: F.softmax(x, 1),
], ids=["hardtanh_bounds", "gelu_mode", "softshrink_lambd", "celu_alpha", "glu_odd", "glu_scalar", "rrelu_bounds",
        "softmax_dim"])
def test_errors(call):
    a = make_array((4,), "float32")
    with pytest.raises(Exception) as t_err:
        call(TF, torch.from_numpy(a.copy()))
    with pytest.raises(t_err.type) as e_err:
        call(EF, ember.from_numpy(a.copy()))
    assert str(e_err.value) == str(t_err.value)


def test_hardtanh_module_bounds_error():
    with pytest.raises(AssertionError, match=r"max_val \(1\) must be greater than min_val \(1\)"):
        enn.Hardtanh(1, 1)


# -- softmax family in nn.functional ------------------------------------------------------------------
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (2, 3, 2, 2)])
def test_implicit_dim(name, shape):
    with warnings.catch_warnings(record=True) as t_w:
        warnings.simplefilter("always")
        check_op(lambda x: getattr(EF, name)(x), [shape], torch_fn=lambda x: getattr(TF, name)(x))
    messages = [str(w.message) for w in t_w if issubclass(w.category, UserWarning)]
    expected = (f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an "
                "argument.")
    assert messages == [expected, expected]  # once from torch, once from ember


def test_implicit_dim_warning_points_at_caller():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        EF.softmax(ember.randn(2, 3))
        enn.Softmax()(ember.randn(2, 3))
    assert [item.filename for item in w] == [__file__, __file__]


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_family_explicit(name, dtype, dim):
    check_op(lambda x: getattr(EF, name)(x, dim), [(3, 5)], torch_fn=lambda x: getattr(TF, name)(x, dim),
             dtype=dtype, low=-5, high=5)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmax_family_dtype_argument(name):
    a = make_array((3, 4), "float32")
    e = getattr(EF, name)(ember.from_numpy(a.copy()), 1, dtype=ember.float64)
    t = getattr(TF, name)(torch.from_numpy(a.copy()), 1, dtype=torch.float64)
    assert_same(e, t)


def test_softmax_dim_type_error():
    for F, lib in ((TF, torch), (EF, ember)):
        with pytest.raises(TypeError, match=r"softmax\(\): argument 'dim' \(position 1\) must be int, not tuple"):
            F.softmax(lib.ones(2, 2), dim=(0,))


# -- modules ------------------------------------------------------------------------------------------
MODULES = [
    ("ReLU", (), {}), ("ReLU", (True,), {}), ("ReLU6", (), {}), ("ReLU6", (), {"inplace": True}),
    ("LeakyReLU", (), {}), ("LeakyReLU", (0.2, True), {}), ("ELU", (), {}), ("ELU", (0.5,), {"inplace": True}),
    ("SELU", (), {}), ("SELU", (True,), {}), ("CELU", (2.0,), {}), ("CELU", (), {"inplace": True}),
    ("GELU", (), {}), ("GELU", ("tanh",), {}), ("SiLU", (), {}), ("SiLU", (True,), {}), ("Mish", (), {}),
    ("Mish", (True,), {}), ("Sigmoid", (), {}), ("Tanh", (), {}), ("Hardtanh", (), {}),
    ("Hardtanh", (-2, 2, True), {}), ("Hardtanh", (-0.5, 1.5), {}), ("Hardsigmoid", (), {}),
    ("Hardsigmoid", (True,), {}), ("Hardswish", (), {}), ("Hardswish", (True,), {}), ("Softplus", (), {}),
    ("Softplus", (2, 10), {}), ("Softsign", (), {}), ("Tanhshrink", (), {}), ("Threshold", (0.1, 20), {}),
    ("Threshold", (0.1, 20.0, True), {}), ("LogSigmoid", (), {}), ("Hardshrink", (), {}), ("Hardshrink", (0.3,), {}),
    ("Softshrink", (), {}), ("Softshrink", (1.0,), {}), ("Softmax", (1,), {}), ("Softmax", (), {"dim": -1}),
    ("LogSoftmax", (1,), {}), ("Softmin", (0,), {}), ("Softmax2d", (), {}), ("GLU", (), {}), ("GLU", (1,), {}),
    ("RReLU", (), {}), ("RReLU", (0.1, 0.3, True), {}), ("PReLU", (), {}), ("PReLU", (4,), {}),
    ("PReLU", (4, 0.1), {}),
]
MOD_IDS = [f"{n}{a}{k}" for n, a, k in MODULES]


@pytest.mark.parametrize("name,args,kwargs", MODULES, ids=MOD_IDS)
def test_module_repr(name, args, kwargs):
    assert repr(getattr(enn, name)(*args, **kwargs)) == repr(getattr(tnn, name)(*args, **kwargs))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("name,args,kwargs", MODULES, ids=MOD_IDS)
def test_module_forward_backward(name, args, kwargs, dtype):
    t_mod = getattr(tnn, name)(*args, **kwargs).to(getattr(torch, dtype))
    e_mod = getattr(enn, name)(*args, **kwargs).to(getattr(ember, dtype))
    t_mod.eval()  # RReLU is random in training mode
    e_mod.eval()
    if name == "PReLU":
        with torch.no_grad():
            t_mod.weight.uniform_(0.05, 0.5)
        copy_module(t_mod, e_mod)
    a = make_array((2, 4, 3, 2), dtype, -3, 3)
    inplace = (args[-1:] and args[-1] is True) or kwargs.get("inplace")
    if inplace:  # an in-place module needs a non-leaf input
        t_in, e_in = torch.tensor(a, requires_grad=True), ember.tensor(a, requires_grad=True)
        t_out, e_out = t_mod(t_in * 1), e_mod(e_in * 1)
        assert_same(e_out, t_out)
        g = make_array(a.shape, dtype, seed=5)
        t_out.backward(torch.tensor(g))
        e_out.backward(ember.tensor(g))
        assert_same(e_in.grad, t_in.grad)
    else:
        compare_modules(t_mod, e_mod, a)


def test_prelu_module_parameters():
    t, e = tnn.PReLU(3, init=0.1), enn.PReLU(3, init=0.1)
    assert [n for n, _ in e.named_parameters()] == ["weight"]
    assert_same(e.weight, t.weight)
    assert e.weight.requires_grad
    assert list(e.state_dict()) == list(t.state_dict())
    assert enn.PReLU(2, dtype=ember.float64).weight.dtype == ember.float64


def test_prelu_module_weight_grad():
    t_mod, e_mod = tnn.PReLU(4), enn.PReLU(4)
    with torch.no_grad():
        t_mod.weight.copy_(torch.tensor([0.1, 0.2, 0.3, 0.4]))
    copy_module(t_mod, e_mod)
    compare_modules(t_mod, e_mod, make_array((3, 4, 5), "float32", -2, 2))


def test_rrelu_module_train_and_eval():
    ember.manual_seed(0)
    m = enn.RReLU(0.1, 0.3)
    x = -ember.rand(1000) - 0.5
    slopes = (m(x) / x).numpy()
    assert slopes.min() >= 0.1 - 1e-6 and slopes.max() <= 0.3 + 1e-6 and slopes.std() > 0.03
    m.eval()
    np.testing.assert_allclose((m(x) / x).numpy(), 0.2, rtol=1e-6)


def test_softmax2d_shape_check():
    for mod in (tnn.Softmax2d(), enn.Softmax2d()):
        lib = torch if isinstance(mod, tnn.Module) else ember
        with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"):
            mod(lib.ones(2, 3))
    compare_modules(tnn.Softmax2d(), enn.Softmax2d(), make_array((3, 2, 2), "float32"))


def test_inplace_module_modifies_input():
    a = make_array((3, 4), "float32")
    t, e = torch.from_numpy(a.copy()), ember.from_numpy(a.copy())
    assert tnn.ReLU(inplace=True)(t) is t
    assert enn.ReLU(inplace=True)(e) is e
    assert_same(e, t)


def test_hardtanh_deprecated_keywords():
    with pytest.warns(FutureWarning, match="keyword argument `min_value` is deprecated"):
        m = enn.Hardtanh(min_value=-2.0)
    assert m.min_val == -2.0
