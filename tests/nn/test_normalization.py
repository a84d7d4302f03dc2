"""Normalization layers against PyTorch: batch/instance/layer/group/local-response norm and F.normalize."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from tests.helpers import assert_same, check_op, make_array
from tests.nn._oracle import compare_modules, copy_module

BN_SHAPES = [(6, 3), (4, 3, 5), (3, 2, 4, 5), (2, 3, 2, 3, 2)]


def _pair(a: np.ndarray, grad: bool = False):
    e = ember.from_numpy(a.copy())
    t = torch.from_numpy(a.copy())
    if grad:
        e.requires_grad_(True)
        t.requires_grad_(True)
    return e, t


# -- F.batch_norm -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_values_grads_running_stats(shape, dtype, training, affine):
    c = shape[1]
    rm_e, rm_t = _pair(make_array((c,), dtype, -0.5, 0.5, seed=7))
    rv_e, rv_t = _pair(make_array((c,), dtype, 0.5, 2.0, seed=8))
    shapes = [shape, (c,), (c,)] if affine else [shape]

    def fn(x, w=None, b=None):
        rm, rv = (rm_e, rv_e) if isinstance(x, ember.Tensor) else (rm_t, rv_t)
        return (F if isinstance(x, ember.Tensor) else TF).batch_norm(x, rm, rv, w, b, training, 0.3, 1e-3)

    check_op(fn, shapes, dtype=dtype, low=-1, high=3)
    assert_same(rm_e, rm_t)
    assert_same(rv_e, rv_t)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6, 2)])
def test_batch_norm_without_running_stats(shape):
    check_op(lambda x, w, b: (F if isinstance(x, ember.Tensor) else TF).batch_norm(x, None, None, w, b, True),
             [shape, (shape[1],), (shape[1],)], dtype="float32")


def test_batch_norm_double_backward_matches_torch():
    def run(lib, mod, x, w, b, rm, rv, training):
        y = mod.batch_norm(x, rm, rv, w, b, training)
        g = lib.autograd.grad((y * y * y).sum(), (x, w), create_graph=True)
        return lib.autograd.grad((g[0] * g[0]).sum() + (g[1] * g[1]).sum(), (x, w, b), allow_unused=True)

    for training in (True, False):
        arrays = [make_array(s, "float64", seed=i) for i, s in enumerate([(4, 3, 5), (3,), (3,)])]
        e = [_pair(a, grad=True)[0] for a in arrays]
        t = [_pair(a, grad=True)[1] for a in arrays]
        stats = make_array((3,), "float64", 0.5, 1.5, seed=9)
        ge = run(ember, F, *e, ember.zeros(3, dtype=ember.float64), ember.from_numpy(stats.copy()), training)
        gt = run(torch, TF, *t, torch.zeros(3, dtype=torch.float64), torch.from_numpy(stats.copy()), training)
        for a, b in zip(ge, gt):
            if b is None:
                assert a is None or not np.any(a.numpy())
            else:
                assert_same(a, b)


def test_batch_norm_node_name_and_version_bump():
    x = ember.randn(4, 3, requires_grad=True)
    rm = ember.zeros(3)
    v = rm._version
    y = F.batch_norm(x, rm, ember.ones(3), training=True)
    assert y.grad_fn.name() == "NativeBatchNormBackward0"
    assert rm._version > v


def test_batch_norm_empty_batch_keeps_stats():
    rm, rv = ember.zeros(3), ember.ones(3)
    y = F.batch_norm(ember.randn(0, 3, 4), rm, rv, training=True)
    assert tuple(y.shape) == (0, 3, 4)
    assert_same(rm, torch.zeros(3))
    assert_same(rv, torch.ones(3))


@pytest.mark.parametrize("call, exc, text", [
    (lambda m, x: m.batch_norm(x.randn(1, 3, 1), x.zeros(3), x.ones(3), training=True), ValueError,
     "Expected more than 1 value per channel when training, got input size"),
    (lambda m, x: m.batch_norm(x.randn(4, 3), x.zeros(4), x.ones(3), training=True), RuntimeError,
     "running_mean should contain 3 elements not 4"),
    (lambda m, x: m.batch_norm(x.randn(4, 3), x.zeros(3), x.ones(4)), RuntimeError,
     "running_var should contain 3 elements not 4"),
    (lambda m, x: m.batch_norm(x.randn(4, 3), x.zeros(3), x.ones(3), x.ones(2)), RuntimeError,
     "weight should contain 3 elements not 2"),
    (lambda m, x: m.batch_norm(x.randn(4, 3), None, None), RuntimeError,
     "running_mean must be defined in evaluation mode"),
    (lambda m, x: m.batch_norm(x.randn(4, 3).double(), x.zeros(3), x.ones(3), training=True), RuntimeError,
     "mixed dtype (CPU): all inputs must share same datatype."),
])
def test_batch_norm_errors(call, exc, text):
    with pytest.raises(exc) as t_err:
        call(TF, torch)
    with pytest.raises(exc) as e_err:
        call(F, ember)
    assert text in str(t_err.value)
    assert text in str(e_err.value)


# -- F.instance_norm ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 2, 4, 3)])
@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instance_norm(shape, use_input_stats):
    c = shape[1]
    rm_e, rm_t = _pair(make_array((c,), "float64", -0.5, 0.5, seed=7))
    rv_e, rv_t = _pair(make_array((c,), "float64", 0.5, 2.0, seed=8))

    def fn(x, w, b):
        rm, rv = (rm_e, rv_e) if isinstance(x, ember.Tensor) else (rm_t, rv_t)
        mod = F if isinstance(x, ember.Tensor) else TF
        return mod.instance_norm(x, rm, rv, w, b, use_input_stats, 0.2, 1e-4)

    e, t = check_op(fn, [shape, (c,), (c,)])
    assert e.grad_fn.name() == t.grad_fn.name() == "ViewBackward0"
    assert_same(rm_e, rm_t)
    assert_same(rv_e, rv_t)


def test_instance_norm_without_stats_and_error():
    check_op(lambda x: (F if isinstance(x, ember.Tensor) else TF).instance_norm(x), [(2, 3, 4, 4)], dtype="float32")
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
        F.instance_norm(ember.randn(2, 3, 1))


# -- F.layer_norm and F.group_norm --------------------------------------------------------------------------
@pytest.mark.parametrize("shape, norm", [((4, 5), (5,)), ((2, 3, 4), (3, 4)), ((2, 3, 2, 6), (6,)), ((7,), (7,))])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("affine", ["both", "weight", "none"])
def test_layer_norm(shape, norm, dtype, affine):
    shapes = [shape] + {"both": [norm, norm], "weight": [norm], "none": []}[affine]

    def fn(x, *wb):
        mod = F if isinstance(x, ember.Tensor) else TF
        return mod.layer_norm(x, norm, *wb, eps=1e-4)

    e, t = check_op(fn, shapes, dtype=dtype)
    assert e.grad_fn.name() == t.grad_fn.name()


def test_layer_norm_double_backward():
    arrays = [make_array(s, "float64", seed=i) for i, s in enumerate([(3, 4), (4,), (4,)])]
    results = []
    for lib, mod in ((ember, F), (torch, TF)):
        x, w, b = (lib.from_numpy(a.copy()).requires_grad_(True) for a in arrays)
        y = mod.layer_norm(x, (4,), w, b)
        gx, gw = lib.autograd.grad((y ** 3).sum(), (x, w), create_graph=True)
        results.append(lib.autograd.grad((gx ** 2).sum() + (gw ** 2).sum(), (x, w, b), allow_unused=True))
    assert_same(results[0][:2], results[1][:2])


@pytest.mark.parametrize("shape, groups", [((2, 6, 5), 3), ((3, 4, 2, 3), 2), ((3, 8), 2), ((2, 6, 3), 1)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("affine", [True, False])
def test_group_norm(shape, groups, dtype, affine):
    c = shape[1]

    def fn(x, *wb):
        return (F if isinstance(x, ember.Tensor) else TF).group_norm(x, groups, *wb, eps=1e-4)

    e, t = check_op(fn, [shape, (c,), (c,)] if affine else [shape], dtype=dtype)
    assert e.grad_fn.name() == t.grad_fn.name()


def test_group_norm_double_backward():
    arrays = [make_array(s, "float64", seed=i) for i, s in enumerate([(2, 4, 3), (4,), (4,)])]
    results = []
    for lib, mod in ((ember, F), (torch, TF)):
        x, w, b = (lib.from_numpy(a.copy()).requires_grad_(True) for a in arrays)
        gx, gw = lib.autograd.grad((mod.group_norm(x, 2, w, b) ** 3).sum(), (x, w), create_graph=True)
        results.append(lib.autograd.grad((gx ** 2).sum() + (gw ** 2).sum(), (x, w)))
    assert_same(results[0], results[1])


@pytest.mark.parametrize("call, exc", [
    (lambda m, x: m.layer_norm(x.randn(4, 3, 5), (4,)), RuntimeError),
    (lambda m, x: m.layer_norm(x.randn(4, 3, 5), 5), TypeError),
    (lambda m, x: m.layer_norm(x.randn(4, 3, 5), (3, 5), x.ones(5)), RuntimeError),
    (lambda m, x: m.layer_norm(x.randn(4, 3, 5), (3, 5), None, x.ones(3)), RuntimeError),
    (lambda m, x: m.group_norm(x.randn(4, 3, 5), 2), RuntimeError),
    (lambda m, x: m.group_norm(x.randn(4), 2), RuntimeError),
    (lambda m, x: m.group_norm(x.randn(1, 2, 1), 2), ValueError),
    (lambda m, x: m.group_norm(x.randn(2, 6, 3), 2, x.ones(4)), RuntimeError),
    (lambda m, x: m.local_response_norm(x.randn(3), 2), ValueError),
    (lambda m, x: m.layer_norm(x.ones(2, 3, dtype=x.int64), (3,)), NotImplementedError),
    (lambda m, x: m.group_norm(x.ones(2, 2, 3, dtype=x.int32), 1), NotImplementedError),
    (lambda m, x: m.batch_norm(x.ones(2, 2, dtype=x.int64), None, None, training=True), NotImplementedError),
    (lambda m, x: m.batch_norm(x.ones(2, 2, dtype=x.int64), x.zeros(2), x.ones(2)), NotImplementedError),
    (lambda m, x: m.instance_norm(x.ones(2, 2, 3, dtype=x.int64)), NotImplementedError),
])
def test_norm_errors_match_torch(call, exc):
    with pytest.raises(exc) as t_err:
        call(TF, torch)
    with pytest.raises(exc) as e_err:
        call(F, ember)
    assert str(e_err.value) == str(t_err.value)


# -- local_response_norm and normalize ----------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 6, 3, 2), (1, 4, 2, 2, 2)])
@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_local_response_norm(shape, size):
    check_op(lambda x: (F if isinstance(x, ember.Tensor) else TF).local_response_norm(x, size, 0.5, 0.75, 1.5),
             [shape])


@pytest.mark.parametrize("shape, p, dim", [((3, 4), 2, 1), ((3, 4), 1, 0), ((2, 3, 4), 3, -1), ((4,), 2, 0),
                                           ((2, 3), float("inf"), 1)])
def test_normalize(shape, p, dim):
    check_op(lambda x: (F if isinstance(x, ember.Tensor) else TF).normalize(x, p, dim), [shape])


def test_normalize_eps_clamps_zero_vector():
    a = np.zeros((2, 3))
    a[1] = [3.0, 4.0, 0.0]
    check_op(lambda x: (F if isinstance(x, ember.Tensor) else TF).normalize(x, eps=1e-3), arrays=[a])


# -- modules --------------------------------------------------------------------------------------------------
def _both(name, *args, **kwargs):
    return getattr(torch.nn, name)(*args, **kwargs), getattr(ember.nn, name)(*args, **kwargs)


def _assert_state_equal(tm, em):
    t_state, e_state = tm.state_dict(), em.state_dict()
    assert list(e_state) == list(t_state)
    for k in t_state:
        assert_same(e_state[k], t_state[k])


@pytest.mark.parametrize("name, shape", [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (4, 3, 5)),
                                         ("BatchNorm2d", (3, 3, 4, 5)), ("BatchNorm3d", (2, 3, 2, 3, 4))])
@pytest.mark.parametrize("config, dtype", [
    ({}, "float32"), ({"momentum": None}, "float32"), ({"affine": False}, "float32"),
    ({"track_running_stats": False}, "float32"), ({"bias": False, "momentum": 0.5}, "float32"), ({}, "float64"),
    ({"momentum": None, "affine": False}, "float64")])
def test_batch_norm_modules_train_then_eval(name, shape, config, dtype):
    tm, em = _both(name, 3, eps=1e-3, **config)
    if dtype == "float64":
        tm, em = tm.double(), em.double()
    with torch.no_grad():  # non-trivial affine parameters
        for p in tm.parameters():
            p.uniform_(0.5, 1.5)
    copy_module(tm, em)
    for step in range(3):
        compare_modules(tm, em, make_array(shape, dtype, -1, 3, seed=step), seed=step)
        _assert_state_equal(tm, em)
    tm.eval()
    em.eval()
    compare_modules(tm, em, make_array(shape, dtype, -1, 3, seed=10))
    _assert_state_equal(tm, em)


def test_batch_norm_module_defaults_repr_and_state_dict():
    for config in ({}, {"momentum": None, "affine": False}, {"track_running_stats": False}, {"bias": False}):
        tm, em = _both("BatchNorm2d", 64, **config)
        assert repr(em) == repr(tm)
        _assert_state_equal(tm, em)
        assert [n for n, _ in em.named_parameters()] == [n for n, _ in tm.named_parameters()]
    em = ember.nn.BatchNorm2d(3)
    assert em.num_batches_tracked.dtype == ember.int64
    assert repr(em) == "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"


def test_batch_norm_module_loads_state_without_num_batches_tracked():
    tm, em = _both("BatchNorm1d", 3)
    state = em.state_dict()
    del state["num_batches_tracked"]
    state._metadata[""] = {"version": 1}
    assert em.load_state_dict(state).missing_keys == []
    state = tm.state_dict()
    del state["num_batches_tracked"]
    state._metadata[""] = {"version": 1}
    assert tm.load_state_dict(state).missing_keys == []


def test_batch_norm_module_reset_running_stats():
    em = ember.nn.BatchNorm1d(3)
    em(ember.randn(5, 3) * 3 + 1)
    em.reset_running_stats()
    assert_same(em.running_mean, torch.zeros(3))
    assert_same(em.running_var, torch.ones(3))
    assert em.num_batches_tracked.item() == 0


@pytest.mark.parametrize("name, shape", [("BatchNorm2d", (4, 3, 5)), ("BatchNorm1d", (4, 3, 5, 5)),
                                         ("BatchNorm3d", (4, 3, 5, 5)), ("BatchNorm1d", (3,)),
                                         ("InstanceNorm1d", (3,)), ("InstanceNorm2d", (2, 3)),
                                         ("InstanceNorm3d", (2, 3, 4, 5, 6, 7))])
def test_norm_module_input_dim_errors(name, shape):
    tm, em = _both(name, 3)
    with pytest.raises(ValueError) as t_err:
        tm(torch.randn(*shape))
    with pytest.raises(ValueError) as e_err:
        em(ember.randn(*shape))
    assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("name, shape", [("InstanceNorm1d", (2, 3, 5)), ("InstanceNorm1d", (3, 5)),
                                         ("InstanceNorm2d", (2, 3, 4, 3)), ("InstanceNorm3d", (2, 3, 2, 3, 2))])
@pytest.mark.parametrize("config", [{}, {"affine": True}, {"affine": True, "track_running_stats": True},
                                    {"track_running_stats": True, "momentum": 0.4}])
def test_instance_norm_modules(name, shape, config):
    tm, em = _both(name, 3, **config)
    assert repr(em) == repr(tm)
    tm, em = tm.double(), em.double()
    if config.get("affine"):
        with torch.no_grad():
            for p in tm.parameters():
                p.uniform_(0.5, 1.5)
    copy_module(tm, em)
    for step in range(2):
        compare_modules(tm, em, make_array(shape, "float64", -1, 3, seed=step), seed=step)
        _assert_state_equal(tm, em)
    tm.eval()
    em.eval()
    compare_modules(tm, em, make_array(shape, "float64", -1, 3, seed=5))


def test_instance_norm_module_num_features_mismatch():
    tm, em = _both("InstanceNorm2d", 4, affine=True)
    with pytest.raises(ValueError) as t_err:
        tm(torch.randn(2, 3, 4, 4))
    with pytest.raises(ValueError) as e_err:
        em(ember.randn(2, 3, 4, 4))
    assert str(e_err.value) == str(t_err.value)
    with pytest.warns(UserWarning, match="does not match num_features"):
        ember.nn.InstanceNorm2d(4)(ember.randn(2, 3, 4, 4))


@pytest.mark.parametrize("args, kwargs, shape", [((5,), {}, (3, 5)), (((3, 4),), {}, (2, 3, 4)),
                                                 ((4,), {"bias": False}, (2, 3, 4)),
                                                 ((4,), {"elementwise_affine": False}, (2, 4)),
                                                 ([4], {"eps": 1e-3}, (2, 4))])
def test_layer_norm_module(args, kwargs, shape):
    tm, em = _both("LayerNorm", *args, **kwargs)
    assert repr(em) == repr(tm)
    _assert_state_equal(tm, em)
    with torch.no_grad():
        for p in tm.parameters():
            p.uniform_(0.5, 1.5)
    copy_module(tm, em)
    compare_modules(tm, em, make_array(shape, "float32"))


@pytest.mark.parametrize("groups, channels, kwargs, shape", [
    (2, 4, {}, (3, 4, 5)), (3, 6, {"affine": False}, (2, 6, 3)), (1, 3, {"bias": False, "eps": 1e-3}, (2, 3, 2, 2))])
def test_group_norm_module(groups, channels, kwargs, shape):
    tm, em = _both("GroupNorm", groups, channels, **kwargs)
    assert repr(em) == repr(tm)
    _assert_state_equal(tm, em)
    with torch.no_grad():
        for p in tm.parameters():
            p.uniform_(0.5, 1.5)
    copy_module(tm, em)
    compare_modules(tm, em, make_array(shape, "float32"))


def test_group_norm_module_channel_error():
    with pytest.raises(ValueError) as t_err:
        torch.nn.GroupNorm(2, 3)
    with pytest.raises(ValueError) as e_err:
        ember.nn.GroupNorm(2, 3)
    assert str(e_err.value) == str(t_err.value)


def test_local_response_norm_module():
    tm, em = _both("LocalResponseNorm", 3, alpha=0.2, beta=0.5, k=2.0)
    assert repr(em) == repr(tm)
    compare_modules(tm, em, make_array((2, 5, 3, 3), "float64"))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_noncontiguous_input_and_weight_only_grads(training):
    rm, rv = ember.zeros(4), ember.ones(4)
    rm_t, rv_t = torch.zeros(4), torch.ones(4)

    def fn(x, w, b):
        e = isinstance(x, ember.Tensor)
        return (F if e else TF).batch_norm(x, rm if e else rm_t, rv if e else rv_t, w, b, training)

    check_op(fn, [(3, 4, 5), (4,), (4,)], dtype="float32", noncontig=True)
    check_op(fn, [(3, 4, 5), (4,), (4,)], dtype="float32", requires_grad=[False, True, True], seed=3)
    assert_same(rm, rm_t)
    assert_same(rv, rv_t)


def test_layer_and_group_norm_noncontiguous():
    check_op(lambda x, w: (F if isinstance(x, ember.Tensor) else TF).layer_norm(x, (6,), w), [(3, 6), (6,)],
             noncontig=True)
    check_op(lambda x: (F if isinstance(x, ember.Tensor) else TF).group_norm(x, 2), [(2, 4, 6)], noncontig=True)
