"""Functional normalization: batch_norm, instance_norm, layer_norm, group_norm, local_response_norm, normalize.

Shape legend: N batch, C channels, L the product of the spatial dims (batch norm works on an (N, C, L)
view), M = N*L the elements behind one channel statistic; layer and group norm work on an (R, K) view
whose rows are normalized. `xc` is x - mean, `invstd` = 1/sqrt(var + eps), `xhat` = xc * invstd,
`g` the incoming gradient and `gh` = g * weight, the gradient with respect to xhat.

Note [normalization backward]
The normalization ops are fused: forward and the common backward run on whole arrays, with per-channel
(or per-row) sums as the only reductions. Their backward is the one-pass formula
    dx = invstd * (gh - mean(gh) - xhat * mean(gh * xhat)),  dweight = sum(g * xhat),  dbias = sum(g).
When a second derivative is being recorded (create_graph=True, i.e. grad mode is on during backward),
the same formula is written with ember ops instead, recomputing the statistics from x, so that it is
differentiable to any order.
"""

from __future__ import annotations

import math

import ember

from ..._tensor import Tensor, _wrap
from ...autograd.grad_mode import STATE
from ...autograd.graph import Op
from ...backend import xp_of
from ._checks import require_floating

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "local_response_norm", "normalize"]


# -- array kernels ------------------------------------------------------------------------------------------
def _channel_sum(a):
    """Per-channel sum of an (N, C, L) array, as a (C,) array."""
    return a.sum(axis=2).sum(axis=0)


def _channel_dot(xp, a, b):
    """Per-channel sum of a * b for (N, C, L) arrays, as a (C,) array."""
    n, c, length = a.shape
    if length == 1:
        return (a[:, :, 0] * b[:, :, 0]).sum(axis=0)
    # one dot product per (n, c) row: BLAS-speed and no temporary of the full size
    return xp.matmul(a[:, :, None, :], b[:, :, :, None]).reshape(n, c).sum(axis=0)


def _row_dot(xp, a, b):
    """Per-row sum of a * b for (R, K) arrays, as an (R,) array."""
    return xp.matmul(a[:, None, :], b[:, :, None]).reshape(a.shape[0])


def _invstd(xp, var, eps: float):
    return 1.0 / xp.sqrt(var + eps)


def _row_normalize(xp, x2, eps: float):
    """Normalize each row of an (R, K) array: returns (xhat, invstd) with invstd of shape (R,)."""
    k = x2.shape[1]
    mean = x2.sum(axis=1) / k if k else xp.zeros(x2.shape[0], x2.dtype)
    xhat = x2 - mean[:, None]
    var = _row_dot(xp, xhat, xhat) / k if k else xp.zeros(x2.shape[0], x2.dtype)
    invstd = _invstd(xp, var, eps).astype(x2.dtype, copy=False)
    xhat *= invstd[:, None]
    return xhat, invstd


def _row_backward(xp, gh2, xhat2, invstd):
    """dx of row normalization given gh = dL/dxhat, all (R, K) arrays (invstd (R,))."""
    k = gh2.shape[1]
    mean_gh = gh2.sum(axis=1) / k
    mean_ghx = _row_dot(xp, gh2, xhat2) / k
    dx = xhat2 * (-mean_ghx)[:, None]
    dx += gh2
    dx -= mean_gh[:, None]
    dx *= invstd[:, None]
    return dx


def _normalized_grad(x: Tensor, gh: Tensor, axes: tuple, eps: float):
    """(dx, xhat) of xhat = (x - mean) / sqrt(var + eps) over axes, in ember ops (differentiable again)."""
    xc = x - x.mean(axes, keepdim=True)
    invstd = ((xc * xc).mean(axes, keepdim=True) + eps).rsqrt()
    xhat = xc * invstd
    dx = invstd * (gh - gh.mean(axes, keepdim=True) - xhat * (gh * xhat).mean(axes, keepdim=True))
    return dx, xhat


def _grads(*arrays):
    return tuple(None if a is None else _wrap(a) for a in arrays)


# -- batch norm ---------------------------------------------------------------------------------------------
class _BatchNorm(Op):
    """Batch normalization over (N, L) per channel; updates the running statistics in place when training."""

    name = "NativeBatchNormBackward0"
    save = (0, 1)
    save_needed = {1: (0,)}

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, training, momentum, eps):
        xp = xp_of(x)
        n, c = x.shape[0], x.shape[1]
        x3 = x.reshape(n, c, -1)
        if training:
            m = x3.shape[0] * x3.shape[2]
            mean = _channel_sum(x3) / m
            y = x3 - mean[:, None]
            var = _channel_dot(xp, y, y) / m
            if running_mean is not None:
                running_mean *= 1.0 - momentum
                running_mean += momentum * mean
            if running_var is not None:
                running_var *= 1.0 - momentum
                running_var += (momentum * m / (m - 1)) * var  # the running variance is unbiased
            invstd = _invstd(xp, var, eps).astype(x.dtype, copy=False)
            y *= (invstd if weight is None else invstd * weight)[:, None]
            if bias is not None:
                y += bias[:, None]
        else:
            mean = running_mean.astype(x.dtype, copy=True)
            invstd = _invstd(xp, running_var, eps).astype(x.dtype, copy=False)
            scale = invstd if weight is None else invstd * weight
            shift = -mean * scale if bias is None else bias - mean * scale
            y = x3 * scale[:, None]
            y += shift[:, None]
        ctx.mean, ctx.invstd, ctx.training, ctx.eps = mean, invstd, training, eps
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        if STATE.enabled:
            return _batch_norm_backward_graph(ctx, g, x, weight)
        return _grads(*_batch_norm_backward_arrays(ctx, g._data, x._data, None if weight is None else weight._data))


def _batch_norm_backward_arrays(ctx, g, x, weight):
    """(dx, dweight, dbias) arrays; see Note [normalization backward]."""
    need_x, need_w, need_b = ctx.needs_input_grad
    xp = xp_of(x)
    n, c = x.shape[0], x.shape[1]
    g3, x3 = g.reshape(n, c, -1), x.reshape(n, c, -1)
    m = x3.shape[0] * x3.shape[2]
    mean, invstd, training = ctx.mean, ctx.invstd, ctx.training
    sum_g = _channel_sum(g3) if need_b or (need_x and training) else None
    dx = dw = None
    if need_w or (need_x and training):
        xc = x3 - mean[:, None]
        dw = _channel_dot(xp, g3, xc) * invstd  # sum(g * xhat)
    if need_x:
        a = invstd if weight is None else invstd * weight
        dx = g3 * a[:, None]
        if training:  # dx = a * (g - sum(g)/M - xhat * sum(g * xhat)/M)
            xc *= (a * invstd * dw / m)[:, None]
            dx -= xc
            dx -= (a * sum_g / m)[:, None]
        dx = dx.reshape(x.shape)
    return dx, dw if need_w else None, sum_g if need_b else None


def _batch_norm_backward_graph(ctx, g: Tensor, x: Tensor, weight):
    """(dx, dweight, dbias) written with ember ops, for create_graph=True."""
    n, c = x.shape[0], x.shape[1]
    x3, g3 = x.reshape(n, c, -1), g.reshape(n, c, -1)
    gh = g3 if weight is None else g3 * weight.reshape(1, c, 1)
    if ctx.training:
        dx, xhat = _normalized_grad(x3, gh, (0, 2), ctx.eps)
    else:
        invstd = _wrap(ctx.invstd.reshape(1, c, 1))
        xhat = (x3 - _wrap(ctx.mean.reshape(1, c, 1))) * invstd
        dx = gh * invstd
    need_x, need_w, need_b = ctx.needs_input_grad
    return (dx.reshape(x.shape) if need_x else None, (g3 * xhat).sum((0, 2)) if need_w else None,
            g3.sum((0, 2)) if need_b else None)


def _check_mixed_dtype(input: Tensor, *params) -> None:
    for p in params:
        if p is not None and p.dtype != input.dtype:
            if input.dtype == ember.float32:
                raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
            raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def _check_channel_vector(name: str, t, c: int) -> None:
    if t is not None and t.numel() != c:
        raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")


def _verify_batch_size(size) -> None:
    count = size[0]
    for s in size[2:]:
        count *= s
    if count == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:
    """Batch normalization of an (N, C, *) input per channel C; see ember.nn.BatchNorm2d.

    In training mode the batch statistics are used and the running statistics (when given) are
    updated in place: running = (1 - momentum) * running + momentum * batch (variance unbiased).
    """
    if training:
        _verify_batch_size(input.size())
    c = input.shape[1] if input.dim() >= 2 else 0
    _check_channel_vector("running_mean", running_mean, c)
    _check_channel_vector("running_var", running_var, c)
    _check_channel_vector("weight", weight, c)
    _check_channel_vector("bias", bias, c)
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("running_mean must be defined in evaluation mode")
    require_floating(input, "batch_norm")
    _check_mixed_dtype(input, weight, bias, running_mean, running_var)
    if input.dim() < 2:
        raise RuntimeError(f"batch_norm expects an input of shape (N, C, *), got {_shape_text(input.shape)}")
    if input.numel() == 0:
        return input * 1.0 if weight is None else input * weight.reshape((1, c) + (1,) * (input.dim() - 2))
    update = training and (running_mean is not None or running_var is not None)
    out = _BatchNorm.apply(input, weight, bias, running_mean=None if running_mean is None else running_mean._data,
                           running_var=None if running_var is None else running_var._data, training=training,
                           momentum=float(momentum), eps=float(eps))
    if update:
        for buf in (running_mean, running_var):
            if buf is not None:
                buf._bump_version()
    return out


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Instance normalization: each (sample, channel) plane normalized on its own; see ember.nn.InstanceNorm2d."""
    if use_input_stats:
        count = 1
        for s in input.shape[2:]:
            count *= s
        if count == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size {input.size()}")
    n, c = input.shape[0], input.shape[1]
    # one batch-norm channel per (sample, channel) pair, as an input of shape (1, N*C, *)
    x = input.reshape((1, n * c) + tuple(input.shape[2:]))
    w = None if weight is None else weight.repeat(n)
    b = None if bias is None else bias.repeat(n)
    rm = None if running_mean is None else running_mean.repeat(n)
    rv = None if running_var is None else running_var.repeat(n)
    out = batch_norm(x, rm, rv, w, b, use_input_stats, momentum, eps)
    if use_input_stats:
        with ember.no_grad():
            for run, rep in ((running_mean, rm), (running_var, rv)):
                if run is not None:
                    run.copy_(rep.reshape(n, c).mean(0))
    return out.reshape(input.shape)


# -- layer norm and group norm ----------------------------------------------------------------------------
class _LayerNorm(Op):
    """Normalization of each row of the (R, K) view over the trailing dims, with elementwise affine."""

    name = "NativeLayerNormBackward0"
    save = (0, 1)
    save_needed = {1: (0,)}

    @staticmethod
    def forward(ctx, x, weight, bias, shape, eps):
        k = math.prod(shape)
        xhat, invstd = _row_normalize(xp_of(x), x.reshape(-1, k), eps)
        ctx.xhat, ctx.invstd, ctx.shape, ctx.eps = xhat, invstd, shape, eps
        y = xhat if weight is None else xhat * weight.reshape(-1)
        if bias is not None:
            y = y + bias.reshape(-1)
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        k = math.prod(ctx.shape)
        if STATE.enabled:
            g2 = g.reshape(-1, k)
            gh = g2 if weight is None else g2 * weight.reshape(-1)
            dx, xhat = _normalized_grad(x.reshape(-1, k), gh, (1,), ctx.eps)
            return (dx.reshape(x.shape) if need_x else None,
                    (g2 * xhat).sum(0).reshape(ctx.shape) if need_w else None,
                    g2.sum(0).reshape(ctx.shape) if need_b else None)
        g2, xhat = g._data.reshape(-1, k), ctx.xhat
        dx = dw = db = None
        if need_x:
            gh = g2 if weight is None else g2 * weight._data.reshape(-1)
            dx = _row_backward(xp_of(xhat), gh, xhat, ctx.invstd).reshape(x.shape)
        if need_w:
            dw = (g2 * xhat).sum(axis=0).reshape(ctx.shape)
        if need_b:
            db = g2.sum(axis=0).reshape(ctx.shape)
        return _grads(dx, dw, db)


def _shape_text(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalize over the trailing `normalized_shape` dims, then scale and shift elementwise; see nn.LayerNorm."""
    if not isinstance(normalized_shape, (tuple, list, ember.Size)):
        raise TypeError(f"layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, "
                        f"not {type(normalized_shape).__name__}")
    shape = tuple(int(s) for s in normalized_shape)
    nd = len(shape)
    if nd == 0 or input.dim() < nd or tuple(input.shape[input.dim() - nd:]) != shape:
        raise RuntimeError(f"Given normalized_shape={_shape_text(shape)}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in shape)}], but got input of size{_shape_text(input.shape)}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{_shape_text(p.shape)} and normalized_shape = {_shape_text(shape)}")
    require_floating(input, "LayerNormKernelImpl")
    _check_mixed_dtype(input, weight, bias)
    return _LayerNorm.apply(input, weight, bias, shape=shape, eps=float(eps))


class _GroupNorm(Op):
    """Normalization of each (sample, group) of an (N, C, *) input, with a per-channel affine."""

    name = "NativeGroupNormBackward0"
    save = (0, 1)
    save_needed = {1: (0,)}

    @staticmethod
    def forward(ctx, x, weight, bias, groups, eps):
        xp = xp_of(x)
        n, c = x.shape[0], x.shape[1]
        xhat, invstd = _row_normalize(xp, x.reshape(n * groups, -1), eps)
        ctx.xhat, ctx.invstd, ctx.groups, ctx.eps = xhat, invstd, groups, eps
        y = xhat.reshape(n, c, -1)
        if weight is not None:
            y = y * weight[:, None]
        if bias is not None:
            y = y + bias[:, None]
        return y.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        n, c, groups = x.shape[0], x.shape[1], ctx.groups
        if STATE.enabled:
            g3 = g.reshape(n, c, -1)
            gh = g3 if weight is None else g3 * weight.reshape(1, c, 1)
            dx, xhat = _normalized_grad(x.reshape(n * groups, -1), gh.reshape(n * groups, -1), (1,), ctx.eps)
            xhat = xhat.reshape(n, c, -1)
            return (dx.reshape(x.shape) if need_x else None, (g3 * xhat).sum((0, 2)) if need_w else None,
                    g3.sum((0, 2)) if need_b else None)
        xp = xp_of(x._data)
        g3 = g._data.reshape(n, c, -1)
        xhat3 = ctx.xhat.reshape(n, c, -1)
        dx = dw = db = None
        if need_x:
            gh = g3 if weight is None else g3 * weight._data[:, None]
            dx = _row_backward(xp, gh.reshape(n * groups, -1), ctx.xhat, ctx.invstd).reshape(x.shape)
        if need_w:
            dw = _channel_dot(xp, g3, xhat3)
        if need_b:
            db = _channel_sum(g3)
        return _grads(dx, dw, db)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalize each group of channels of every sample, then scale and shift per channel; see nn.GroupNorm."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    n, c = input.shape[0], input.shape[1]
    _verify_batch_size([n * c // num_groups, num_groups] + list(input.shape[2:]))
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {_shape_text(input.shape)} and num_groups={num_groups}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and (p.dim() != 1 or p.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {_shape_text(p.shape)} and input of shape "
                               f"{_shape_text(input.shape)}")
    require_floating(input, "GroupNormKernelImpl")
    _check_mixed_dtype(input, weight, bias)
    return _GroupNorm.apply(input, weight, bias, groups=int(num_groups), eps=float(eps))


# -- composite normalizations ---------------------------------------------------------------------------------
def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """Divide each element by (k + alpha/size * sum of squares over `size` neighbouring channels) ** beta."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    c = input.shape[1]
    sq = input * input
    # zero-padded window of channels [i - size//2, i + (size-1)//2], always divided by size
    before, after = size // 2, (size - 1) // 2
    pad_shape = list(input.shape)
    parts = []
    if before:
        pad_shape[1] = before
        parts.append(ember.zeros(pad_shape, dtype=input.dtype))
    parts.append(sq)
    if after:
        pad_shape[1] = after
        parts.append(ember.zeros(pad_shape, dtype=input.dtype))
    padded = ember.cat(parts, 1) if len(parts) > 1 else sq
    total = padded.narrow(1, 0, c)
    for offset in range(1, size):
        total = total + padded.narrow(1, offset, c)
    div = (total * (alpha / size) + k).pow(beta)
    return input / div


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None) -> Tensor:
    """input / max(||input||_p over dim, eps): unit-norm vectors along dim."""
    denom = ember.linalg.vector_norm(input, p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    return ember.div(input, denom, out=out)
