"""Fused loss primitives: forward on arrays, backward in ember ops (so double backward works).

Shape legend: N batch, C classes, d... spatial dims; `x` input, `y` target, `g` upstream gradient.
Every op takes `reduction` ('none' | 'mean' | 'sum') as a keyword; 'mean' divides by the element count
(the weighted nll loss divides by the summed weight of its non-ignored targets instead).
"""

from __future__ import annotations

import numpy as np

from ..._tensor import _wrap
from ...autograd.graph import Op
from ...backend import xp_of
from ...ops.pointwise import where

__all__: list[str] = []

_LOG_MIN = -100.0  # binary_cross_entropy clamps its logs here, as PyTorch does, so loss stays finite
_BCE_EPS = float(np.float32(1e-12))  # floor of x(1-x) in BCE's gradient (a float32 constant in PyTorch)


def _reduce(loss, reduction: str):
    """Reduce an elementwise loss array, keeping its dtype (0-d array out for mean/sum)."""
    xp = xp_of(loss)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return xp.asarray(loss.sum(), dtype=loss.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):  # mean of nothing is nan, quietly, as in torch
        return xp.asarray(loss.sum() / loss.dtype.type(loss.size) if loss.size else np.nan, dtype=loss.dtype)


class _ElementwiseLoss(Op):
    """A loss l(x, y) computed elementwise and then reduced; subclasses give the formula and derivatives."""

    save = (0, 1)

    @classmethod
    def forward(cls, ctx, x, y, reduction="mean", **params):
        ctx.reduction = reduction
        ctx.params = params
        loss = cls._loss(x, y, **params)
        ctx.count = loss.size
        return _reduce(loss, reduction)

    @classmethod
    def backward(cls, ctx, g):
        x, y = ctx.saved_tensors
        if ctx.reduction == "mean":
            g = g / ctx.count
        dx, dy = cls._derivatives(x, y, ctx.needs_input_grad, **ctx.params)
        return (dx * g if dx is not None else None), (dy * g if dy is not None else None)

    @staticmethod
    def _loss(x, y, **params):
        raise NotImplementedError

    @staticmethod
    def _derivatives(x, y, needs, **params):
        raise NotImplementedError


class MseLoss(_ElementwiseLoss):
    name = "MseLossBackward0"

    @staticmethod
    def _loss(x, y):
        d = x - y
        return d * d

    @staticmethod
    def _derivatives(x, y, needs):
        dx = 2 * (x - y)  # d (x - y)^2 / dx
        return dx, (-dx if needs[1] else None)


class SmoothL1Loss(_ElementwiseLoss):
    name = "SmoothL1LossBackward0"

    @staticmethod
    def _loss(x, y, beta):
        ad = abs(x - y)
        if beta == 0:
            return ad
        return xp_of(ad).where(ad < beta, 0.5 * ad * ad / beta, ad - 0.5 * beta).astype(ad.dtype, copy=False)

    @staticmethod
    def _derivatives(x, y, needs, beta):
        d = x - y
        # quadratic zone |d| < beta: d / beta; linear zone: sign(d)
        dx = d.sign() if beta == 0 else where(d.abs() < beta, d / beta, d.sign())
        return dx, (-dx if needs[1] else None)


class HuberLoss(_ElementwiseLoss):
    name = "HuberLossBackward0"

    @staticmethod
    def _loss(x, y, delta):
        ad = abs(x - y)
        xp = xp_of(ad)
        return xp.where(ad < delta, 0.5 * ad * ad, delta * (ad - 0.5 * delta)).astype(ad.dtype, copy=False)

    @staticmethod
    def _derivatives(x, y, needs, delta):
        d = x - y
        dx = where(d.abs() < delta, d, d.sign() * delta)
        return dx, (-dx if needs[1] else None)


class SoftMarginLoss(_ElementwiseLoss):
    name = "SoftMarginLossBackward0"

    @staticmethod
    def _loss(x, y):
        return xp_of(x).logaddexp(0, -y * x).astype(x.dtype, copy=False)  # log(1 + exp(-y x))

    @staticmethod
    def _derivatives(x, y, needs):
        s = (-y * x).sigmoid()
        return -y * s, (-x * s if needs[1] else None)


class BinaryCrossEntropy(_ElementwiseLoss):
    """-w [y log x + (1 - y) log(1 - x)] with both logs clamped at -100; `weight` is an array or None."""

    name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def _loss(x, y, weight):
        xp = xp_of(x)
        with np.errstate(divide="ignore"):
            log_x = xp.maximum(xp.log(x), _LOG_MIN)
            log_1mx = xp.maximum(xp.log1p(-x), _LOG_MIN)
        loss = -(y * log_x + (1 - y) * log_1mx)
        return (loss if weight is None else loss * weight).astype(x.dtype, copy=False)

    @staticmethod
    def _derivatives(x, y, needs, weight):
        # d/dx = (x - y) / max(x (1 - x), eps); d/dy = log(1 - x) - log(x) (unclamped, infinite at 0 and 1)
        dx = (x - y) / (x * (1 - x)).clamp_min(_BCE_EPS)
        dy = None
        if needs[1]:
            with np.errstate(divide="ignore"):
                dy = (-x).log1p() - x.log()
        if weight is not None:
            w = _wrap(weight)
            dx = dx * w
            dy = dy * w if dy is not None else None
        return dx, dy


class BinaryCrossEntropyWithLogits(_ElementwiseLoss):
    """-w [pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))], computed stably from the logits x."""

    name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def _loss(x, y, weight, pos_weight):
        xp = xp_of(x)
        # log(1 + exp(-x)) = softplus(-x), written so that exp never overflows
        softplus_neg = xp.maximum(-x, 0) + xp.log1p(xp.exp(-abs(x)))
        if pos_weight is None:
            loss = (1 - y) * x + softplus_neg
        else:
            loss = (1 - y) * x + (1 + (pos_weight - 1) * y) * softplus_neg
        return (loss if weight is None else loss * weight).astype(x.dtype, copy=False)

    @staticmethod
    def _derivatives(x, y, needs, weight, pos_weight):
        s = x.sigmoid()
        if pos_weight is None:
            dx = s - y
            dy = -x if needs[1] else None  # d/dy of (1 - y) x + softplus(-x)
        else:
            pw = _wrap(pos_weight)
            dx = (1 - y + pw * y) * s - pw * y
            dy = None
            if needs[1]:
                # -log sigmoid(x) = softplus(-x); log(1 - sigmoid(x)) = -softplus(x) = -x - softplus(-x)
                sp_neg = (-x).clamp_min(0) + (-x.abs()).exp().log1p()
                dy = pw * sp_neg - x - sp_neg
        if weight is not None:
            w = _wrap(weight)
            dx = dx * w
            dy = dy * w if dy is not None else None
        return dx, dy


# -- negative log likelihood -------------------------------------------------------------------------------
# Note [nll as gather/scatter]
# nll_loss(x)[i] = -w[t_i] x[i, t_i] / D is linear in x: forward gathers one entry per sample, backward
# scatters -w/D * g to the same entries (NllLossGrad), and the backward of that scatter is the gather
# again (NllLoss applied to the incoming gradient). So every order of derivative costs one gather/scatter.


def _nll_plan(x, target, weight, ignore_index, reduction):
    """(safe class indices, per-sample weights or None for all ones, divisor of 'mean' or None)."""
    n_classes = x.shape[1] if x.ndim >= 2 else x.shape[0]
    lo, hi = (int(target.min()), int(target.max())) if target.size else (0, 0)
    if 0 <= lo and hi < n_classes and not lo <= ignore_index <= hi:
        safe = target.copy()  # the common case: every target is a class, none is ignored (copied: the
        # caller may reuse its target buffer before backward)
        w = None if weight is None else weight[target]
    else:
        xp = xp_of(x)
        valid = target != ignore_index
        bad = valid & ((target < 0) | (target >= n_classes))
        if bad.any():
            raise IndexError(f"Target {int(target[bad].reshape(-1)[0])} is out of bounds.")
        safe = xp.where(valid, target, 0)
        w = valid.astype(x.dtype) if weight is None else weight[safe] * valid
    divisor = None
    if reduction == "mean":
        divisor = x.dtype.type(target.size) if w is None else w.sum(dtype=x.dtype)
    return safe, w, divisor


def _gather(x, safe):
    """x[i, t_i, ...] for class dim 1 (or x[t] for an unbatched (C,) input)."""
    if x.ndim == 1:
        return x[safe]
    xp = xp_of(x)
    if x.ndim == 2:
        return x[xp.arange(x.shape[0]), safe]
    return xp.take_along_axis(x, safe[:, None], axis=1)[:, 0]


def _scatter(shape, dtype, safe, values, xp):
    """Zeros of `shape` with `values` at [i, t_i, ...] (the adjoint of _gather)."""
    out = xp.zeros(shape, dtype=dtype)
    if len(shape) == 1:
        out[safe] = values
    elif len(shape) == 2:
        out[xp.arange(shape[0]), safe] = values
    else:
        values = xp.broadcast_to(values, safe.shape)
        xp.put_along_axis(out, safe[:, None], values[:, None], axis=1)
    return out


def _nll_reduce(picked, plan):
    """-w * picked, reduced as the plan says (the forward of nll_loss on gathered entries)."""
    _, w, divisor, reduction, _, dtype = plan
    loss = -picked if w is None else -picked * w
    if reduction == "none":
        return loss
    total = loss.sum(dtype=dtype)
    if reduction == "mean":
        if divisor:
            total = total / divisor
        else:
            with np.errstate(invalid="ignore", divide="ignore"):  # every target ignored: nan, as in torch
                total = total / divisor
    return xp_of(picked).asarray(total, dtype=dtype)


class NllLoss(Op):
    """Negative log likelihood of class-index targets; see Note [nll as gather/scatter]."""

    name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, x, target, weight=None, ignore_index=-100, reduction="mean"):
        safe, w, divisor = _nll_plan(x, target, weight, ignore_index, reduction)
        plan = (safe, w, divisor, reduction, x.shape, x.dtype)
        ctx.plan = plan
        return _nll_reduce(_gather(x, safe), plan)

    @staticmethod
    def backward(ctx, g):
        return NllLossGrad.apply(g, plan=ctx.plan)


class NllLoss2d(NllLoss):
    name = "NllLoss2DBackward0"


class NllLossGrad(Op):
    """The input gradient of nll_loss: scatter -w/D * g to the target entries."""

    name = "NllLossBackwardBackward0"

    @staticmethod
    def forward(ctx, g, plan):
        safe, w, divisor, reduction, shape, dtype = plan
        ctx.plan = plan
        xp = xp_of(g)
        scale = -g.astype(dtype, copy=False)
        if reduction == "mean":
            # every target ignored (divisor 0): the loss is nan but, as in torch, no entry gets a gradient
            scale = scale / divisor if divisor else xp.zeros_like(scale)
        if w is not None:
            scale = scale * w
        return _scatter(shape, dtype, safe, scale, xp)

    @staticmethod
    def backward(ctx, gg):
        return NllLossGather.apply(gg, plan=ctx.plan)


class NllLossGather(Op):
    """The adjoint of NllLossGrad: gather gg at the targets and reduce as nll_loss does (linear in gg)."""

    name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, gg, plan):
        ctx.plan = plan
        return _nll_reduce(_gather(gg, plan[0]), plan)

    @staticmethod
    def backward(ctx, g):
        return NllLossGrad.apply(g, plan=ctx.plan)
