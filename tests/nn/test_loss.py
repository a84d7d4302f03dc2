"""Losses (functional and modules) against PyTorch: values and input gradients, errors, reprs."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn as nn
import ember.nn.functional as F
from tests.helpers import assert_same, check_op

REDUCTIONS = ["none", "mean", "sum"]
FLOATS = ["float32", "float64"]


def _lib(x):
    return (TF, torch) if isinstance(x, torch.Tensor) else (F, ember)


def loss_fn(name, **kwargs):
    """fn(*tensors) calling the library's F.<name>; NumPy kwargs become that library's tensors."""

    def fn(*tensors):
        func, lib = _lib(tensors[0])
        kw = {k: lib.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        return getattr(func, name)(*tensors, **kw)

    return fn


def rand(shape, dtype="float64", low=-2.0, high=2.0, seed=0):
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype(dtype)


def labels(shape, n_classes, seed=1, ignore=None):
    t = np.random.default_rng(seed).integers(0, n_classes, size=shape).astype(np.int64)
    if ignore is not None and t.size:
        t.reshape(-1)[:: 3] = ignore
    return t


# -- regression and pointwise losses ----------------------------------------------------------------------
POINTWISE = [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}),
             ("smooth_l1_loss", {"beta": 0.0}), ("huber_loss", {}), ("huber_loss", {"delta": 0.3})]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kw", POINTWISE)
def test_pointwise_losses(name, kw, reduction, dtype):
    check_op(loss_fn(name, reduction=reduction, **kw), [(3, 4), (3, 4)], dtype=dtype)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pointwise_weight(name, reduction):
    w = rand((3, 4), low=0.1, high=2.0, seed=9)
    check_op(loss_fn(name, reduction=reduction, weight=w), [(3, 4), (3, 4)])


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_pointwise_broadcast_warns(name):
    with pytest.warns(UserWarning, match=r"Using a target size \(\w+\.Size\(\[3, 1\]\)\) that is different to "
                      r"the input size \(\w+\.Size\(\[3, 4\]\)\)"):
        check_op(loss_fn(name), [(3, 4), (3, 1)])


def test_mse_mixed_dtype_promotes():
    check_op(loss_fn("mse_loss"), arrays=[rand((3, 4), "float32"), rand((3, 4), "float64", seed=2)])


def test_pointwise_errors():
    x, y = ember.zeros(3), ember.zeros(3)
    with pytest.raises(RuntimeError, match="smooth_l1_loss does not support negative values for beta."):
        F.smooth_l1_loss(x, y, beta=-1)
    with pytest.raises(RuntimeError, match="huber_loss does not support non-positive values for delta."):
        F.huber_loss(x, y, delta=0)
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.mse_loss(x, y, reduction="foo")
    with pytest.raises(ValueError, match="Weights and input must have the same size."):
        F.mse_loss(x, y, weight=ember.ones(2))
    with pytest.raises(RuntimeError), pytest.warns(UserWarning, match="Using a target size"):
        F.mse_loss(ember.zeros(3, 4), ember.zeros(2, 4))


def test_mse_empty_mean_is_nan():
    assert_same(F.mse_loss(ember.zeros(0), ember.zeros(0)), TF.mse_loss(torch.zeros(0), torch.zeros(0)))


# -- nll_loss / cross_entropy -----------------------------------------------------------------------------
# (input shape, target shape) with C = 5 classes on dim 1 (dim 0 for the unbatched input)
CLASS_SHAPES = [((5,), ()), ((4, 5), (4,)), ((3, 5, 4), (3, 4)), ((2, 5, 3, 2), (2, 3, 2)),
                ((2, 5, 2, 2, 2), (2, 2, 2, 2))]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", CLASS_SHAPES)
@pytest.mark.parametrize("dtype,weighted,ignore", [("float32", False, None), ("float64", True, 2),
                                                   ("float64", False, 2), ("float32", True, None)])
def test_nll_loss(shapes, reduction, dtype, weighted, ignore):
    x_shape, t_shape = shapes
    kw = {"reduction": reduction}
    if weighted:
        kw["weight"] = rand((5,), dtype, 0.2, 2.0, seed=5)
    if ignore is not None:
        kw["ignore_index"] = ignore
    arrays = [rand(x_shape, dtype), labels(t_shape, 5, ignore=ignore)]
    check_op(loss_fn("nll_loss", **kw), arrays=arrays)
    check_op(loss_fn("cross_entropy", **kw), arrays=arrays)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", CLASS_SHAPES)
@pytest.mark.parametrize("dtype,weighted", [("float32", False), ("float64", True)])
def test_cross_entropy_label_smoothing(shapes, reduction, dtype, weighted):
    x_shape, t_shape = shapes
    kw = {"reduction": reduction, "label_smoothing": 0.2, "ignore_index": 1}
    if weighted:
        kw["weight"] = rand((5,), dtype, 0.2, 2.0, seed=5)
    check_op(loss_fn("cross_entropy", **kw), arrays=[rand(x_shape, dtype), labels(t_shape, 5, ignore=1)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 5, 3), (2, 5, 2, 3)])
@pytest.mark.parametrize("dtype,smoothing,weighted", [("float32", 0.0, False), ("float64", 0.3, True),
                                                      ("float64", 0.0, True), ("float32", 0.3, False)])
def test_cross_entropy_probabilities(shape, reduction, dtype, smoothing, weighted):
    kw = {"reduction": reduction, "label_smoothing": smoothing}
    if weighted:
        kw["weight"] = rand((5,), dtype, 0.2, 2.0, seed=5)
    probs = rand(shape, dtype, 0.0, 1.0, seed=3)
    probs = probs / probs.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)
    check_op(loss_fn("cross_entropy", **kw), arrays=[rand(shape, dtype), probs], requires_grad=[True, True])


def test_nll_all_ignored_and_empty():
    for reduction in REDUCTIONS:
        kw = {"reduction": reduction}
        check_op(loss_fn("nll_loss", ignore_index=-100, **kw), arrays=[rand((3, 5)), np.full(3, -100)])
    assert_same(F.cross_entropy(ember.zeros(0, 5), ember.zeros(0, dtype=ember.int64)),
                TF.cross_entropy(torch.zeros(0, 5), torch.zeros(0, dtype=torch.int64)))
    assert_same(F.cross_entropy(ember.zeros(0, 5), ember.zeros(0, 5)),
                TF.cross_entropy(torch.zeros(0, 5), torch.zeros(0, 5)))


def test_nll_uint8_target():
    check_op(loss_fn("nll_loss"), arrays=[rand((4, 5)), labels((4,), 5).astype(np.uint8)])


def test_nll_node_names():
    x = ember.randn(3, 5, requires_grad=True)
    assert F.nll_loss(x, ember.tensor([1, 0, 4])).grad_fn.name() == "NllLossBackward0"
    assert F.cross_entropy(x, ember.tensor([1, 0, 4])).grad_fn.name() == "NllLossBackward0"
    y = ember.randn(2, 5, 3, 3, requires_grad=True)
    assert F.nll_loss(y, ember.zeros(2, 3, 3, dtype=ember.int64)).grad_fn.name() == "NllLoss2DBackward0"
    assert F.mse_loss(x, x.detach()).grad_fn.name() == "MseLossBackward0"


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_double_backward(reduction, weighted):
    """grad of (d loss / d x) * v with respect to x, through log_softmax and the nll gather/scatter."""
    x_np, v_np = rand((4, 5)), rand((4, 5), seed=7)
    t_np = labels((4,), 5, ignore=3)
    w_np = rand((5,), low=0.2, high=2.0, seed=5) if weighted else None
    results = []
    for lib, func in ((torch, TF), (ember, F)):
        x = lib.from_numpy(x_np.copy()).requires_grad_()
        w = lib.from_numpy(w_np.copy()) if weighted else None
        loss = func.cross_entropy(x, lib.from_numpy(t_np.copy()), weight=w, ignore_index=3, reduction=reduction)
        g = lib.ones_like(loss) if reduction == "none" else None
        (gx,) = lib.autograd.grad(loss, x, g, create_graph=True)
        (ggx,) = lib.autograd.grad((gx * lib.from_numpy(v_np.copy())).sum(), x)
        results.append((gx, ggx))
    assert_same(results[1][0], results[0][0])
    assert_same(results[1][1], results[0][1])


def test_nll_double_backward_wrt_upstream_gradient():
    """The nll gradient is linear in the upstream gradient: its derivative is the gather again."""
    x_np, t_np = rand((4, 5)), labels((4,), 5)
    outs = []
    for lib, func in ((torch, TF), (ember, F)):
        x = lib.from_numpy(x_np.copy()).requires_grad_()
        loss = func.nll_loss(x, lib.from_numpy(t_np.copy()), reduction="none")
        g = lib.from_numpy(rand((4,), seed=3)).requires_grad_()
        (gx,) = lib.autograd.grad(loss, x, g, create_graph=True)
        (gg,) = lib.autograd.grad((gx * lib.from_numpy(rand((4, 5), seed=4))).sum(), g)
        outs.append(gg)
    assert_same(outs[1], outs[0])


FUSED = [("mse_loss", {}), ("smooth_l1_loss", {"beta": 0.7}), ("huber_loss", {"delta": 0.4}),
         ("binary_cross_entropy_with_logits", {"pos_weight": rand((4,), low=0.5, high=2.0, seed=8)}),
         ("binary_cross_entropy_with_logits", {}), ("soft_margin_loss", {}), ("binary_cross_entropy", {})]


@pytest.mark.parametrize("name,kw", FUSED)
@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_fused_losses_double_backward(name, kw, reduction):
    """Second derivatives of the fused losses (their backward is written in ember ops)."""
    low = 0.05 if name == "binary_cross_entropy" else -2.0
    x_np, y_np = rand((3, 4), low=low, high=0.95), rand((3, 4), low=0.0, high=1.0, seed=2)
    v_np = rand((3, 4), seed=7)
    outs = []
    for lib, func in ((torch, TF), (ember, F)):
        x = lib.from_numpy(x_np.copy()).requires_grad_()
        y = lib.from_numpy(y_np.copy())
        kws = {k: lib.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        loss = getattr(func, name)(x, y, reduction=reduction, **kws)
        g = lib.from_numpy(rand(tuple(loss.shape), seed=5)) if reduction == "none" else None
        (gx,) = lib.autograd.grad(loss, x, g, create_graph=True)
        (ggx,) = lib.autograd.grad((gx * lib.from_numpy(v_np.copy())).sum(), x)
        outs.append((gx, ggx))
    assert_same(outs[1][0], outs[0][0])
    assert_same(outs[1][1], outs[0][1])


def _raises_like_torch(call):
    """call(F or TF, ember or torch) raises the same exception type with the same message in both."""
    with pytest.raises(Exception) as t_err:
        call(TF, torch)
    with pytest.raises(type(t_err.value)) as e_err:
        call(F, ember)
    assert str(e_err.value).replace("ember.", "torch.") == str(t_err.value)


NLL_ERRORS = [
    lambda f, m: f.nll_loss(m.zeros(3, 5), m.tensor([1, 0, 5])),
    lambda f, m: f.nll_loss(m.zeros(3, 5), m.tensor([1, 0, -1])),
    lambda f, m: f.nll_loss(m.zeros(3, 5), m.tensor([1, 0, 5]), reduction="none"),
    lambda f, m: f.nll_loss(m.zeros(3, 5), m.zeros(3)),
    lambda f, m: f.nll_loss(m.zeros(3, 5), m.zeros(3, dtype=m.int32)),
    lambda f, m: f.nll_loss(m.zeros(3, 5), m.zeros(2, dtype=m.int64)),
    lambda f, m: f.nll_loss(m.zeros(3, 5), m.zeros(3, 1, dtype=m.int64)),
    lambda f, m: f.nll_loss(m.zeros(3, 5, 4), m.zeros(3, 5, dtype=m.int64)),
    lambda f, m: f.nll_loss(m.zeros(3, 5, 4), m.zeros(3, dtype=m.int64)),
    lambda f, m: f.nll_loss(m.zeros(3, 5), m.zeros(3, dtype=m.int64), weight=m.ones(4)),
    lambda f, m: f.nll_loss(m.zeros(3, 5), m.zeros(3, dtype=m.int64), weight=m.ones(5, dtype=m.float64)),
    lambda f, m: f.nll_loss(m.zeros(3, 5), m.zeros(3, dtype=m.int64), reduction="foo"),
    lambda f, m: f.nll_loss(m.tensor(1.0), m.tensor(1)),
    lambda f, m: f.nll_loss(m.zeros(5), m.tensor([1, 2])),
    lambda f, m: f.cross_entropy(m.zeros(3, 5), m.zeros(3, 5, dtype=m.int64)),
    lambda f, m: f.cross_entropy(m.zeros(3, 5), m.zeros(3, 4)),
    lambda f, m: f.cross_entropy(m.zeros(3, 5), m.zeros(3, 5), ignore_index=1),
    lambda f, m: f.cross_entropy(m.zeros(3, 5), m.zeros(3, dtype=m.int64), label_smoothing=1.5),
    lambda f, m: f.cross_entropy(m.zeros(3, 5), m.zeros(3)),
    lambda f, m: f.cross_entropy(m.tensor(1.0), m.tensor(0)),
    lambda f, m: f.cross_entropy(m.tensor(1.0), m.tensor(0.5)),
    lambda f, m: f.nll_loss(m.zeros(3, 5), m.zeros(3, dtype=m.int64), weight=m.ones(5, requires_grad=True)),
    lambda f, m: f.cross_entropy(m.zeros(3, 5, 2), m.zeros(3, 2, dtype=m.int64), weight=m.ones(5, requires_grad=True)),
    lambda f, m: f.cross_entropy(m.zeros(3, 5), m.zeros(3, dtype=m.int64), weight=m.ones(5, requires_grad=True),
                                 label_smoothing=0.1),
]


@pytest.mark.parametrize("call", NLL_ERRORS)
def test_nll_cross_entropy_errors(call):
    _raises_like_torch(call)


def test_legacy_size_average_reduce():
    x, t = rand((4, 5)), labels((4,), 5)
    for size_average, reduce in ((False, None), (None, False), (True, True)):
        with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
            e = F.cross_entropy(ember.from_numpy(x), ember.from_numpy(t), size_average=size_average, reduce=reduce)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tt = TF.cross_entropy(torch.from_numpy(x), torch.from_numpy(t), size_average=size_average,
                                  reduce=reduce)
        assert_same(e, tt)


# -- binary cross entropy ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight_shape", [None, (3, 4), (4,)])
def test_binary_cross_entropy(dtype, reduction, weight_shape):
    kw = {"reduction": reduction}
    if weight_shape is not None:
        kw["weight"] = rand(weight_shape, dtype, 0.2, 2.0, seed=5)
    arrays = [rand((3, 4), dtype, 0.05, 0.95), rand((3, 4), dtype, 0.0, 1.0, seed=2)]
    check_op(loss_fn("binary_cross_entropy", **kw), arrays=arrays, requires_grad=[True, True])


def test_binary_cross_entropy_log_clamp():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.3])
    check_op(loss_fn("binary_cross_entropy", reduction="none"), arrays=[x, y])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight,pos_weight", [(False, False), (True, False), (False, True), (True, True)])
def test_bce_with_logits(dtype, reduction, weight, pos_weight):
    kw = {"reduction": reduction}
    if weight:
        kw["weight"] = rand((4,), dtype, 0.2, 2.0, seed=5)
    if pos_weight:
        kw["pos_weight"] = rand((4,), dtype, 0.5, 3.0, seed=6)
    arrays = [rand((3, 4), dtype, -4, 4), rand((3, 4), dtype, 0.0, 1.0, seed=2)]
    check_op(loss_fn("binary_cross_entropy_with_logits", **kw), arrays=arrays, requires_grad=[True, True])


def test_bce_with_logits_is_stable_for_large_logits():
    x = np.array([-200.0, -50.0, 0.0, 50.0, 200.0], dtype=np.float32)
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0], dtype=np.float32)
    check_op(loss_fn("binary_cross_entropy_with_logits", reduction="none"), arrays=[x, y])


BCE_ERRORS = [
    lambda f, m: f.binary_cross_entropy(m.full((3,), 1.5), m.zeros(3)),
    lambda f, m: f.binary_cross_entropy(m.full((3,), 0.5), m.full((3,), 3.0)),
    lambda f, m: f.binary_cross_entropy(m.full((3, 4), 0.5), m.zeros(3, 1)),
    lambda f, m: f.binary_cross_entropy(m.full((3,), 0.5, dtype=m.float64), m.zeros(3)),
    lambda f, m: f.binary_cross_entropy(m.full((3,), 0.5), m.zeros(3), weight=m.ones(3, requires_grad=True)),
    lambda f, m: f.binary_cross_entropy_with_logits(m.zeros(3, 4), m.zeros(3, 1)),
    lambda f, m: f.binary_cross_entropy_with_logits(m.zeros(3, 4), m.zeros(3, 4),
                                                    pos_weight=m.ones(4, requires_grad=True)),
    lambda f, m: f.soft_margin_loss(m.zeros(3), m.ones(3, requires_grad=True)),
    *[lambda f, m, fn=fn: getattr(f, fn)(m.ones(2, dtype=m.int64), m.ones(2, dtype=m.int64))
      for fn in ["mse_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
                 "binary_cross_entropy_with_logits", "kl_div"]],
    lambda f, m: f.mse_loss(m.ones(2, dtype=m.bool), m.ones(2, dtype=m.bool), reduction="none"),
    lambda f, m: f.kl_div(m.ones(2), m.ones(2, dtype=m.int64), reduction="sum"),
    *[lambda f, m, ws=ws, fn=fn, kw=kw: getattr(f, fn)(m.full((2, 3), 0.5), m.full((2, 3), 0.5), **{kw: m.ones(ws)})
      for ws in [(4,), (4, 3), (2, 1, 3), (2, 4), (3, 1)]
      for fn, kw in [("binary_cross_entropy", "weight"), ("binary_cross_entropy_with_logits", "weight"),
                     ("binary_cross_entropy_with_logits", "pos_weight")]],
]


@pytest.mark.parametrize("call", BCE_ERRORS)
def test_bce_errors(call):
    _raises_like_torch(call)


# -- kl_div and likelihood losses ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", ["none", "sum", "batchmean", "mean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(dtype, reduction, log_target):
    x = np.log(rand((3, 4), dtype, 0.1, 1.0))
    y = rand((3, 4), dtype, -3, 0.0, seed=2) if log_target else rand((3, 4), dtype, 0.0, 1.0, seed=2)
    if not log_target:
        y[0, 0] = 0.0  # xlogy(0, 0) = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(loss_fn("kl_div", reduction=reduction, log_target=log_target), arrays=[x, y],
                 requires_grad=[True, log_target])


def test_kl_div_mean_warns():
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss by both the batch size"):
        F.kl_div(ember.zeros(2, 3), ember.ones(2, 3))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input,full", [(True, False), (False, False), (True, True), (False, True)])
def test_poisson_nll_loss(dtype, reduction, log_input, full):
    x = rand((3, 4), dtype) if log_input else rand((3, 4), dtype, 0.1, 3.0)
    y = np.floor(rand((3, 4), dtype, 0.0, 5.0, seed=2))
    check_op(loss_fn("poisson_nll_loss", log_input=log_input, full=full, reduction=reduction), arrays=[x, y],
             requires_grad=[True, False])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1), (1, 3)])
@pytest.mark.parametrize("dtype,full", [("float32", False), ("float64", True)])
def test_gaussian_nll_loss(dtype, reduction, var_shape, full):
    var = rand(var_shape, dtype, 0.0, 2.0, seed=3)
    var.reshape(-1)[0] = 1e-9  # below eps: clamped
    check_op(loss_fn("gaussian_nll_loss", full=full, reduction=reduction),
             arrays=[rand((4, 3), dtype), rand((4, 3), dtype, seed=2), var])


def test_gaussian_nll_float_var_and_errors():
    check_op(lambda x, y: _lib(x)[0].gaussian_nll_loss(x, y, 0.5), [(4, 3), (4, 3)])
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(ember.zeros(4, 3), ember.zeros(4, 3), ember.ones(2, 2))
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(ember.zeros(4, 3), ember.zeros(4, 3), -1.0)


# -- margin and embedding losses ----------------------------------------------------------------------------
def _pm_ones(shape, seed=4):
    return np.where(np.random.default_rng(seed).random(shape) > 0.5, 1.0, -1.0)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_loss(dtype, reduction, margin):
    check_op(loss_fn("margin_ranking_loss", margin=margin, reduction=reduction),
             arrays=[rand((6,), dtype), rand((6,), dtype, seed=2), _pm_ones(6).astype(dtype)],
             requires_grad=[True, True, False])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.3])
def test_hinge_embedding_loss(dtype, reduction, margin):
    check_op(loss_fn("hinge_embedding_loss", margin=margin, reduction=reduction),
             arrays=[rand((3, 4), dtype), _pm_ones((3, 4)).astype(dtype)], requires_grad=[True, False])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", [((5, 3), (5,)), ((3,), ())])
def test_cosine_embedding_loss(dtype, reduction, shapes):
    x_shape, t_shape = shapes
    check_op(loss_fn("cosine_embedding_loss", margin=0.2, reduction=reduction),
             arrays=[rand(x_shape, dtype), rand(x_shape, dtype, seed=2), _pm_ones(t_shape).astype(dtype)],
             requires_grad=[True, True, False])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,swap", [(2, False), (1, False), (3, True), (2, True)])
def test_triplet_margin_loss(dtype, reduction, p, swap):
    check_op(loss_fn("triplet_margin_loss", p=p, swap=swap, reduction=reduction, margin=2.0),
             [(5, 3), (5, 3), (5, 3)], dtype=dtype)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss(dtype, reduction):
    check_op(loss_fn("soft_margin_loss", reduction=reduction),
             arrays=[rand((3, 4), dtype), _pm_ones((3, 4)).astype(dtype)], requires_grad=[True, False])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_soft_margin_loss(dtype, reduction, weighted):
    kw = {"reduction": reduction}
    if weighted:
        kw["weight"] = rand((4,), dtype, 0.2, 2.0, seed=5)
    check_op(loss_fn("multilabel_soft_margin_loss", **kw),
             arrays=[rand((3, 4), dtype), (rand((3, 4), dtype, seed=2) > 0).astype(dtype)],
             requires_grad=[True, False])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,margin,weighted", [(1, 1.0, False), (2, 0.5, False), (1, 2.0, True), (2, 1.0, True)])
def test_multi_margin_loss(dtype, reduction, p, margin, weighted):
    kw = {"reduction": reduction, "p": p, "margin": margin}
    if weighted:
        kw["weight"] = rand((4,), dtype, 0.2, 2.0, seed=5)
    check_op(loss_fn("multi_margin_loss", **kw), arrays=[rand((5, 4), dtype), labels((5,), 4)])


MARGIN_ERRORS = [
    lambda f, m: f.margin_ranking_loss(m.zeros(5), m.zeros(5), m.ones(5, 1)),
    lambda f, m: f.triplet_margin_loss(m.zeros(5), m.zeros(5, 2), m.zeros(5, 1)),
    lambda f, m: f.cosine_embedding_loss(m.zeros(5, 3), m.zeros(5, 3), m.ones(5, 1)),
    lambda f, m: f.cosine_embedding_loss(m.zeros(5, 3, 2), m.zeros(5, 3, 2), m.ones(5)),
    lambda f, m: f.multi_margin_loss(m.zeros(5, 3), m.zeros(5, dtype=m.int64), p=3),
    lambda f, m: f.hinge_embedding_loss(m.zeros(2, 3), m.ones(2, 4)),
    lambda f, m: f.hinge_embedding_loss(m.zeros(5, 2, 3), m.ones(4, 1, 3)),
]


@pytest.mark.parametrize("call", MARGIN_ERRORS)
def test_margin_errors(call):
    _raises_like_torch(call)


def test_ctc_loss_not_implemented():
    with pytest.raises(NotImplementedError, match="ctc_loss"):
        nn.CTCLoss()(ember.zeros(5, 2, 3), ember.zeros(2, 2, dtype=ember.int64), ember.tensor([5, 5]),
                     ember.tensor([2, 2]))


# -- modules -------------------------------------------------------------------------------------------------
MODULES = [
    ("MSELoss", {}, "reg"), ("L1Loss", {"reduction": "sum"}, "reg"), ("SmoothL1Loss", {"beta": 0.5}, "reg"),
    ("HuberLoss", {"delta": 0.5, "reduction": "none"}, "reg"), ("SoftMarginLoss", {}, "pm"),
    ("CrossEntropyLoss", {}, "cls"), ("CrossEntropyLoss", {"weight": "W", "ignore_index": 2}, "cls"),
    ("CrossEntropyLoss", {"label_smoothing": 0.1, "reduction": "sum"}, "cls"), ("NLLLoss", {"weight": "W"}, "cls"),
    ("BCELoss", {"weight": "W"}, "prob"), ("BCEWithLogitsLoss", {"pos_weight": "W"}, "logit"),
    ("KLDivLoss", {"reduction": "batchmean", "log_target": True}, "reg"), ("HingeEmbeddingLoss", {"margin": 2.0}, "pm"),
    ("MultiLabelSoftMarginLoss", {}, "logit"), ("MultiMarginLoss", {"p": 2}, "cls"),
    ("PoissonNLLLoss", {"full": True}, "reg"),
]


def _module_inputs(kind, n_classes=4):
    if kind == "reg":
        return [rand((5, 4)), rand((5, 4), seed=2)]
    if kind == "pm":
        return [rand((5, 4)), _pm_ones((5, 4))]
    if kind == "cls":
        return [rand((5, n_classes)), labels((5,), n_classes)]
    if kind == "prob":
        return [rand((5, 4), low=0.05, high=0.95), rand((5, 4), low=0.0, high=1.0, seed=2)]
    return [rand((5, 4)), rand((5, 4), low=0.0, high=1.0, seed=2)]


@pytest.mark.parametrize("name,kw,kind", MODULES)
def test_loss_modules_match_torch(name, kw, kind):
    w = rand((4,), low=0.2, high=2.0, seed=5)
    t_kw = {k: torch.from_numpy(w.copy()) if v == "W" else v for k, v in kw.items()}
    e_kw = {k: ember.from_numpy(w.copy()) if v == "W" else v for k, v in kw.items()}
    t_mod, e_mod = getattr(torch.nn, name)(**t_kw), getattr(nn, name)(**e_kw)
    assert repr(e_mod) == repr(t_mod)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())
    check_op(lambda x, y: (t_mod if isinstance(x, torch.Tensor) else e_mod)(x, y), arrays=_module_inputs(kind),
             requires_grad=[True, False])


def test_module_reprs():
    for name in ["CrossEntropyLoss", "MSELoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "L1Loss", "HuberLoss",
                 "TripletMarginLoss", "CosineEmbeddingLoss", "MarginRankingLoss", "GaussianNLLLoss", "CTCLoss",
                 "PoissonNLLLoss", "KLDivLoss", "MultiMarginLoss"]:
        assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)())


def test_module_attributes_and_legacy():
    m, t = nn.CrossEntropyLoss(ignore_index=3, label_smoothing=0.1), torch.nn.CrossEntropyLoss(ignore_index=3,
                                                                                               label_smoothing=0.1)
    assert (m.reduction, m.ignore_index, m.label_smoothing) == (t.reduction, t.ignore_index, t.label_smoothing)
    assert m.weight is None
    with pytest.warns(UserWarning, match="please use reduction='sum' instead"):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
        nn.NLLLoss2d()
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        nn.TripletMarginLoss(margin=0)


@pytest.mark.parametrize("swap", [False, True])
def test_triplet_with_distance_loss(swap):
    t_mod = torch.nn.TripletMarginWithDistanceLoss(swap=swap, margin=1.5)
    e_mod = nn.TripletMarginWithDistanceLoss(swap=swap, margin=1.5)
    check_op(lambda a, p, n: (t_mod if isinstance(a, torch.Tensor) else e_mod)(a, p, n), [(5, 3), (5, 3), (5, 3)])
    t_cos = torch.nn.TripletMarginWithDistanceLoss(distance_function=lambda a, b: 1 - TF.cosine_similarity(a, b))
    e_cos = nn.TripletMarginWithDistanceLoss(
        distance_function=lambda a, b: 1 - (a * b).sum(-1) / (a.norm(dim=-1) * b.norm(dim=-1)))
    check_op(lambda a, p, n: (t_cos if isinstance(a, torch.Tensor) else e_cos)(a, p, n), [(5, 3), (5, 3), (5, 3)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_loss_integer_inputs_give_float(reduction):
    x1, x2, y = np.array([3, -1, 2]), np.array([1, 2, 2]), np.array([1, -1, -1])
    out = {lib.__name__: F_lib.margin_ranking_loss(lib.tensor(x1), lib.tensor(x2), lib.tensor(y), reduction=reduction)
           for lib, F_lib in ((torch, TF), (ember, F))}
    assert str(out["ember"].dtype)[6:] == str(out["torch"].dtype)[6:]
    np.testing.assert_allclose(out["ember"].numpy(), out["torch"].numpy())
