"""Loss functions (PyTorch's torch.nn.functional losses), reduction 'none' | 'mean' | 'sum'.

The hot ones (mse, smooth_l1, huber, binary cross entropy, nll) are fused ops in _loss_ops.py, with
PyTorch's node names (MseLossBackward0, NllLossBackward0, ...); the rest are compositions of ember ops.
cross_entropy is nll_loss(log_softmax(x)), as in PyTorch.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..._tensor import Tensor, _wrap
from ...autograd.grad_mode import STATE
from ...ops.pointwise import where
from . import _loss_ops as ops
from ._checks import require_floating
from .activation import log_softmax

__all__ = [
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "margin_ranking_loss", "hinge_embedding_loss",
    "cosine_embedding_loss", "triplet_margin_loss", "poisson_nll_loss", "gaussian_nll_loss", "soft_margin_loss",
    "multilabel_soft_margin_loss", "multi_margin_loss", "ctc_loss",
]

_REDUCTIONS = ("none", "mean", "sum")
_TYPE_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
               "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


# -- shared checks -----------------------------------------------------------------------------------------
def _legacy_reduction(size_average, reduce, reduction: str) -> str:
    """Map PyTorch's deprecated size_average/reduce flags to a reduction string (with its warning)."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                  stacklevel=3)
    return ret


def _check_reduction(reduction: str) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """Reduce a composed elementwise loss."""
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _type_name(t: Tensor) -> str:
    return _TYPE_NAMES.get(t.dtype.name, t.dtype.name)


def _warn_size(input: Tensor, target: Tensor) -> None:
    if target.shape != input.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", stacklevel=3)


def _common(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """Promote the pair to one dtype and broadcast them to one shape."""
    from ... import broadcast_tensors, result_type

    dt = result_type(input, target)
    if input.dtype != dt:
        input = input.to(dt)
    if target.dtype != dt:
        target = target.to(dt)
    if input.shape != target.shape:
        input, target = broadcast_tensors(input, target)
    return input, target


def _no_grad_arg(fn: str, name: str, t: Tensor | None) -> None:
    """PyTorch refuses gradients for some arguments (weights of BCE, the target of soft margin, ...)."""
    if t is not None and STATE.enabled and t.requires_grad:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument '{name}'. "
                           "This input cannot have requires_grad True.")


def _broadcast_array(w: Tensor, shape, dtype, kind: str = "weight") -> np.ndarray:
    """The weight's array broadcast to the loss shape, with PyTorch's error when it does not fit.

    kind names the argument, as PyTorch words each one's error differently: 'bce' (binary_cross_entropy's
    weight), 'weight' or 'pos_weight' (binary_cross_entropy_with_logits').
    """
    shape, ws = tuple(shape), tuple(w.shape)
    for i in range(1, min(len(ws), len(shape)) + 1):
        if ws[-i] != shape[-i] and ws[-i] != 1 and shape[-i] != 1:
            if kind == "bce":
                raise RuntimeError(f"Attempting to broadcast a dimension of length {ws[-i]} at {-i}! Mismatching "
                                   f"argument at index 1 had {w.shape}; but expected shape should be broadcastable "
                                   f"to {list(shape)}")
            a, b = (shape[-i], ws[-i]) if kind == "weight" else (ws[-i], shape[-i])
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton "
                               f"dimension {max(len(ws), len(shape)) - i}")
    full = np.broadcast_shapes(ws, shape)
    if full != shape:
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(full)}")
    return np.broadcast_to(w._data.astype(dtype, copy=False), shape)


def _weighted(loss: Tensor, weight: Tensor, input: Tensor, reduction: str, mean_by_weight: bool) -> Tensor:
    """The `weight=` path of mse/l1/huber: scale elementwise, 'mean' divides by sum(weight) or by count."""
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction not in _REDUCTIONS:
        raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


# -- regression losses -------------------------------------------------------------------------------------
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """Mean squared error (x - y)^2, optionally weighted elementwise."""
    _warn_size(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x, y = _common(input, target)
    require_floating(x, "mse_cpu")
    if weight is not None:
        return _weighted((x - y) ** 2, weight, input, reduction, mean_by_weight=True)
    return ops.MseLoss.apply(x, y, reduction=_check_reduction(reduction))


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """Mean absolute error |x - y|, optionally weighted elementwise."""
    _warn_size(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    x, y = _common(input, target)
    if weight is not None:
        return _weighted((x - y).abs(), weight, input, reduction, mean_by_weight=True)
    return _reduce((x - y).abs(), _check_reduction(reduction))


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = x - y)."""
    _warn_size(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    x, y = _common(input, target)
    require_floating(x, "smooth_l1_cpu")
    return ops.SmoothL1Loss.apply(x, y, reduction=reduction, beta=float(beta))


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta) (d = x - y)."""
    _warn_size(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    x, y = _common(input, target)
    require_floating(x, "huber_cpu")
    if weight is not None:
        loss = ops.HuberLoss.apply(x, y, reduction="none", delta=float(delta))
        return _weighted(loss, weight, input, reduction, mean_by_weight=False)
    return ops.HuberLoss.apply(x, y, reduction=_check_reduction(reduction), delta=float(delta))


# -- classification losses ---------------------------------------------------------------------------------
def _check_nll_args(input: Tensor, target: Tensor, weight: Tensor | None) -> None:
    """PyTorch's shape/dtype checks of nll_loss, in its order."""
    x, t = input._data, target._data
    ndim, tdim = x.ndim, t.ndim
    if ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {ndim})")
    if ndim == 1 and tdim == 1 and t.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {t.shape[0]}")
    if ndim != 1 and tdim >= 1 and x.shape[0] != t.shape[0]:
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size ({t.shape[0]}).")
    if ndim <= 2 and tdim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if ndim > 2 and t.shape != x.shape[:1] + x.shape[2:]:
        raise RuntimeError(f"Expected target size {[x.shape[0], *x.shape[2:]]}, got {list(t.shape)}")
    if t.dtype != np.int64 and t.dtype != np.uint8:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_type_name(target)}")
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"nll_loss_out_frame\" not implemented for '{_type_name(input)}'")
    if weight is not None:
        n_classes = x.shape[1] if ndim >= 2 else x.shape[0]
        if weight.dim() != 1 or weight.shape[0] != n_classes:
            raise RuntimeError(f"weight tensor should be defined either for all {n_classes} classes or no classes "
                               f"but got weight tensor of shape: {list(weight.shape)}")
        if weight.dtype != input.dtype:
            raise RuntimeError(f"expected scalar type {_type_name(input)} but found {_type_name(weight)}")


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of class-index targets: -w[t] input[n, t]; 'mean' divides by the summed w[t]."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    _no_grad_arg("nll_loss_forward" if input.dim() <= 2 else "nll_loss2d_forward", "weight", weight)
    _check_nll_args(input, target, weight)
    t = target._data
    if t.ndim == 1 and input._data.ndim == 1:
        t = t[0]
    if t.dtype != np.int64:
        t = t.astype(np.int64)
    op = ops.NllLoss if input._data.ndim <= 2 else ops.NllLoss2d
    return op.apply(input, target=t, weight=None if weight is None else weight._data,
                    ignore_index=int(ignore_index), reduction=reduction)


def _class_dim(input: Tensor) -> int:
    return 0 if input.dim() == 1 else 1


def _weight_along_classes(weight: Tensor, input: Tensor) -> Tensor:
    """weight reshaped to broadcast against input along its class dimension."""
    shape = [1] * input.dim()
    shape[_class_dim(input)] = weight.shape[0]
    return weight.reshape(shape)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy of logits with class-index targets or class-probability targets (same shape as input)."""
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.dim() < 1:
        if target.dtype.is_floating_point:  # PyTorch takes a 0-d pair for class probabilities along dim 1
            raise IndexError("Dimension specified as 1 but tensor has no dimensions")
        raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                           f"{_type_name(target)}")
    dim = _class_dim(input)
    if input.shape == target.shape:
        return _cross_entropy_probs(input, target, weight, ignore_index, reduction, label_smoothing, dim)
    logp = log_softmax(input, dim)
    loss = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return loss
    return _smoothed(loss, logp, target, weight, ignore_index, reduction, label_smoothing, dim)


def _smoothed(nll: Tensor, logp: Tensor, target: Tensor, weight, ignore_index, reduction, eps, dim) -> Tensor:
    """Label smoothing for class indices: (1 - eps) nll + eps/C * (the loss against the uniform target)."""
    n_classes = logp.shape[dim]
    if weight is not None:
        smooth = -(logp * _weight_along_classes(weight, logp)).sum(dim)
    else:
        smooth = -logp.sum(dim)
    ignored = target == ignore_index
    smooth = smooth.masked_fill(ignored, 0.0)
    if reduction == "mean":
        kept = target[~ignored]
        denom = weight[kept].sum() if weight is not None else (~ignored).sum()
        with np.errstate(invalid="ignore", divide="ignore"):  # all targets ignored: nan, quietly, as in torch
            smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - eps) * nll + smooth * (eps / n_classes)


def _cross_entropy_probs(input, target, weight, ignore_index, reduction, eps, dim) -> Tensor:
    """Cross entropy against class probabilities: -sum_c w_c p_c log softmax(x)_c."""
    if not target.is_floating_point():
        raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                           f"{_type_name(target)}")
    if ignore_index >= 0:
        raise RuntimeError("ignore_index is not supported for floating point target")
    n_classes = input.shape[dim]
    logp = log_softmax(input, dim)
    if eps > 0:
        target = target * (1 - eps) + eps / n_classes
    prod = logp * target
    if weight is not None:
        prod = prod * _weight_along_classes(weight, input)
    loss = -prod.sum(dim)
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):  # an empty batch gives nan, quietly, as in torch
            return loss.sum() / (input.numel() // n_classes if n_classes else 0)
    return _reduce(loss, reduction)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """-w [y log x + (1 - y) log(1 - x)] for probabilities x; each log is clamped at -100 as in PyTorch."""
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    if target.shape != input.shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    if target.dtype != input.dtype:
        raise RuntimeError(f"Found dtype {_type_name(target)} but expected {_type_name(input)}")
    _no_grad_arg("binary_cross_entropy", "weight", weight)
    require_floating(input, "binary_cross_entropy")
    x, y = input._data, target._data
    if ((x < 0) | (x > 1)).any():
        raise RuntimeError("all elements of input should be between 0 and 1")
    if ((y < 0) | (y > 1)).any():
        raise RuntimeError("all elements of target should be between 0 and 1")
    w = None if weight is None else _broadcast_array(weight, input.shape, x.dtype, "bce")
    return ops.BinaryCrossEntropy.apply(input, target, reduction=reduction, weight=w)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross entropy of sigmoid(input), computed stably from the logits; pos_weight scales positives."""
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    if target.shape != input.shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    _no_grad_arg("binary_cross_entropy_with_logits", "weight", weight)
    _no_grad_arg("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    x, y = _common(input, target)
    require_floating(x, "log_sigmoid_cpu")
    dt = x._data.dtype
    w = None if weight is None else _broadcast_array(weight, x.shape, dt)
    pw = None if pos_weight is None else _broadcast_array(pos_weight, x.shape, dt, "pos_weight")
    return ops.BinaryCrossEntropyWithLogits.apply(x, y, reduction=reduction, weight=w, pos_weight=pw)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL divergence with input given as log-probabilities: target * (log target - input)."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction != "batchmean":
        _check_reduction(reduction)
    if not all(t.dtype.is_floating_point or t.dtype.is_complex for t in (input, target)):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        positive = target > 0
        # xlogy(t, t): 0 where t == 0; log of a safe value keeps the masked branch (and its gradient) finite
        t_log_t = (target * target.masked_fill(~positive, 1.0).log()).masked_fill(~positive, 0.0)
        loss = t_log_t - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() != 0 else loss.sum()
    return _reduce(loss, reduction)


# -- margin and embedding losses ---------------------------------------------------------------------------
def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin)."""
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    return _reduce((-target * (input1 - input2) + float(margin)).clamp_min(0), reduction)  # float: as PyTorch's


def _check_broadcastable(a: tuple, b: tuple) -> None:
    """Raise PyTorch's elementwise-broadcast RuntimeError when shapes a and b do not broadcast."""
    n = max(len(a), len(b))
    for i in range(1, n + 1):
        sa, sb = (a[-i] if i <= len(a) else 1), (b[-i] if i <= len(b) else 1)
        if sa != sb and sa != 1 and sb != 1:
            raise RuntimeError(f"The size of tensor a ({sa}) must match the size of tensor b ({sb}) at "
                               f"non-singleton dimension {n - i}")


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """x where y == 1, max(0, margin - x) where y == -1."""
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    if target.shape != input.shape:
        _check_broadcastable(target.shape, input.shape)  # ember's three-way where() would raise NumPy's message
    zeros = input.new_zeros(())
    margin_part = where(target != 1, (margin - input).clamp_min(0), zeros)
    self_part = where(target != -1, input, zeros)
    return _reduce(margin_part + self_part, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y == 1, max(0, cos(x1, x2) - margin) where y == -1."""
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    if target.dim() > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if target.dim() == 1 and (input1.dim() != 2 or input2.dim() != 2):
        raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    if target.dim() == 0 and (input1.dim() != 1 or input2.dim() != 1):
        raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    dim = target.dim()
    eps = 1e-12  # keeps the norms of zero vectors away from 0
    dot = (input1 * input2).sum(dim)
    mag1 = (input1 * input1).sum(dim) + eps
    mag2 = (input2 * input2).sum(dim) + eps
    cos = dot / (mag1 * mag2).sqrt()
    zeros = cos.new_zeros(())
    pos = where(target == 1, 1 - cos, zeros)
    neg = where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _reduce(pos + neg, reduction)


def _pairwise_distance(x1: Tensor, x2: Tensor, p: float, eps: float) -> Tensor:
    """||x1 - x2 + eps||_p over the last dimension (PyTorch's pairwise_distance)."""
    return (x1 - x2 + eps).norm(p, dim=-1)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with d the p-norm distance; swap uses min(d(a, n), d(p, n))."""
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    dims = anchor.dim(), positive.dim(), negative.dim()
    if len(set(dims)) != 1:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative {dims[2]}D "
                           "inputs")
    d_pos = _pairwise_distance(anchor, positive, p, eps)
    d_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        from ... import minimum

        d_neg = minimum(d_neg, _pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y x))."""
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    _no_grad_arg("soft_margin_loss", "target", target)
    x, y = _common(input, target)
    return ops.SoftMarginLoss.apply(x, y, reduction=reduction)


def _logsigmoid(x: Tensor) -> Tensor:
    """log sigmoid(x) = min(x, 0) - log(1 + exp(-|x|)), stable for large |x|."""
    return x.clamp_max(0) - (-x.abs()).exp().log1p()


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                                reduce=None, reduction: str = "mean") -> Tensor:
    """Per-class binary logistic loss averaged over classes: -[y log s(x) + (1 - y) log s(-x)] / C."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = -(target * _logsigmoid(input) + (1 - target) * _logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(dim=class_dim) / input.shape[class_dim]
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not valid value for reduction")
    return _reduce(loss, reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge: sum over j != y of max(0, margin - x[y] + x[j])^p * w[y] / C."""
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    x = input if input.dim() == 2 else input.reshape(1, -1)
    t = target.reshape(-1)
    n_classes = x.shape[1]
    if t.shape[0] != x.shape[0]:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: {list(input.shape)}")
    if ((t._data < 0) | (t._data >= n_classes)).any():
        raise IndexError(f"target out of range: targets must be in [0, {n_classes})")
    picked = x.gather(1, t.reshape(-1, 1))
    z = (margin - picked + x).clamp_min(0)
    if p == 2:
        z = z * z
    if weight is not None:
        z = z * weight[t].reshape(-1, 1)
    own = _wrap(np.arange(n_classes)[None, :] == t._data[:, None])
    loss = z.masked_fill(own, 0.0).sum(1) / n_classes
    if input.dim() != 2:
        loss = loss.reshape(target.shape)
    return _reduce(loss, reduction)


# -- likelihood losses -------------------------------------------------------------------------------------
def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False, size_average=None,
                     eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """Poisson negative log likelihood: exp(x) - y x (log_input) or x - y log(x + eps); full adds Stirling's term."""
    reduction = _check_reduction(_legacy_reduction(size_average, reduce, reduction))
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        # Stirling's approximation of log(y!), applied where y > 1 as in PyTorch
        big = target > 1
        safe = target.masked_fill(~big, 1.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + stirling.masked_fill(~big, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Gaussian negative log likelihood 0.5 (log var + (x - y)^2 / var), var clamped at eps (no gradient there)."""
    from ... import ones_like

    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim()
                  and sum(b for a, b in zip(input.shape, var.shape) if a != b) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    # clamping is done without grad in PyTorch: the gradient flows to var as if unclamped
    var = var + (var.detach().clamp_min(eps) - var.detach())
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist temporal classification loss (not implemented yet)."""
    raise NotImplementedError("ctc_loss is not implemented in ember yet")
