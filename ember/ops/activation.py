"""Activations: the softmax family and elementwise nonlinearities, with PyTorch's node names.

`ember.softmax`, `ember.log_softmax`, `ember.selu`, `ember.celu`, `ember.threshold`, `ember.prelu`,
`ember.rrelu`, `ember.hardshrink`, `ember.dropout` and friends (and their in-place forms) live here, as
in PyTorch's top-level namespace; `ember.nn.functional` builds the rest of its activations and its
dropout functions from this file.

Shape legend: `a`/`x` is the input (array or Tensor), `y` the output, `g` the incoming gradient,
`dim` the softmax axis. See Note [activation backward] for how the elementwise Ops differentiate.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap, _wrap_dim
from ..autograd.grad_mode import STATE
from ..autograd.graph import NULL_CTX, Op, apply_recorded
from ..backend import xp_of
from ._declare import FUNCTIONS, apply_inplace, declare
from .joining import cat
from .pointwise import where
from .unary import _ERFC_PLAN, _erf, _erfc_nonneg, _sigmoid

__all__ = []  # everything public here is registered through @declare

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_K = math.sqrt(2.0 / math.pi)  # tanh approximation: 0.5 x (1 + tanh(K (x + 0.044715 x^3)))
_GELU_C = 0.044715


# -- softmax family -----------------------------------------------------------------------------------
def _check_dim_int(dim, fn: str, position: int) -> None:
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{fn}(): argument 'dim' (position {position}) must be int, not {type(dim).__name__}")


def _softmax_input(input: Tensor, dim, dtype, kernel: str):
    """Cast to `dtype` (recorded as ToCopyBackward0), check the dtype is floating, normalise dim."""
    if dtype is not None:
        input = input.to(D.to_dtype(dtype))
    a = input._data
    axis = _wrap_dim(dim, a.ndim) if a.ndim else None
    if a.dtype.kind != "f":
        last = "lastdim_" if axis is None or axis == a.ndim - 1 else ""
        raise NotImplementedError(f"\"{kernel}_{last}kernel_impl\" not implemented for "
                                  f"'{input.dtype._legacy[:-len('Tensor')]}'")
    return input, axis


def _shifted(a, axis):
    """a - max(a) along axis (a fresh array); float16 is computed in float32 as PyTorch accumulates."""
    if a.dtype == np.float16:
        a = a.astype(np.float32)
    if a.size == 0:
        return a.copy()
    return xp_of(a).asarray(a - a.max(axis=axis, keepdims=True))  # asarray: 0-dim gives a NumPy scalar


class Softmax(Op):
    name = "SoftmaxBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, a, axis):
        ctx.axis = axis
        e = _shifted(a, axis)
        xp = xp_of(e)
        xp.exp(e, out=e)
        e /= e.sum(axis=axis, keepdims=True)
        return e.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        axis = ctx.axis
        if axis is None:  # 0-dim: softmax is the constant 1
            return g * 0
        # d softmax: y * (g - sum(g * y))
        if STATE.enabled:
            return y * (g - (g * y).sum(axis, keepdim=True))
        gy = g._data * y._data
        gy -= y._data * gy.sum(axis=axis, keepdims=True)
        return _wrap(gy)


class LogSoftmax(Op):
    name = "LogSoftmaxBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, a, axis):
        ctx.axis = axis
        s = _shifted(a, axis)
        if s.size:
            xp = xp_of(s)
            s -= xp.log(xp.exp(s).sum(axis=axis, keepdims=True))
        return s.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        axis = ctx.axis
        if axis is None:
            return g * 0
        # d log_softmax: g - exp(y) * sum(g)
        if STATE.enabled:
            return g - y.exp() * g.sum(axis, keepdim=True)
        gd = g._data
        xp = xp_of(gd)
        return _wrap(gd - xp.exp(y._data) * gd.sum(axis=axis, keepdims=True))


def _run(op, input: Tensor, **params) -> Tensor:
    if STATE.enabled and input._requires_grad:
        return apply_recorded(op, (input,), params)
    return _wrap(op.forward(NULL_CTX, input._data, **params))


@declare()
def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along dim, computed stably; `dtype` casts the input first."""
    _check_dim_int(dim, "softmax", 2)
    input, axis = _softmax_input(input, dim, dtype, "softmax")
    return _run(Softmax, input, axis=axis)


@declare()
def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """x - logsumexp(x) along dim; `dtype` casts the input first."""
    _check_dim_int(dim, "log_softmax", 2)
    input, axis = _softmax_input(input, dim, dtype, "log_softmax")
    return _run(LogSoftmax, input, axis=axis)


# -- elementwise activations --------------------------------------------------------------------------
_UINT = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def _select(cond, x, y):
    """where(cond, x, y) for float arrays/scalars, exact and branch-free.

    NumPy's where takes a branch per element; on a random sign pattern (an activation's input) it
    mispredicts about half the time and runs ~10x slower than this bitwise blend.
    """
    dt = (x if isinstance(x, np.ndarray) else y).dtype
    if cond.__class__ is not np.ndarray or dt.kind != "f" or np.broadcast_shapes(
            np.shape(x), np.shape(y), cond.shape) != cond.shape:
        return xp_of(cond).where(cond, x, y)
    u = _UINT[dt.itemsize]
    xb = np.asarray(x, dt).view(u)
    yb = np.asarray(y, dt).view(u)
    mask = cond.astype(u)
    np.negative(mask, out=mask)  # 1 -> all bits set
    np.bitwise_and(mask, xb ^ yb, out=mask)
    mask ^= yb
    return mask.view(dt)


# Note [activation backward]
# An elementwise activation Op defines `deriv_array(ctx, x)`, dy/dx on arrays. Its backward is
# g * dy/dx: computed on arrays when no graph is being built (the common, fast case), and with ember
# ops through `deriv(ctx, x)` under create_graph, so higher-order gradients work. Piecewise-linear
# activations have a piecewise-constant derivative, so `deriv` defaults to the array one wrapped.


class Activation(Op):
    """Base of the elementwise activation Ops; see Note [activation backward]."""

    save = (0,)

    @staticmethod
    def deriv_array(ctx, x):
        raise NotImplementedError

    @classmethod
    def deriv(cls, ctx, x: Tensor) -> Tensor:
        return _wrap(cls.deriv_array(ctx, x._data))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        op = ctx._op
        if STATE.enabled:
            return (g * op.deriv(ctx, x),)
        return (_wrap(g._data * op.deriv_array(ctx, x._data)),)


def _require_float(input: Tensor, kernel: str) -> None:
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype._legacy[:-len('Tensor')]}'")


def activation(op, input: Tensor, kernel: str | None = None, **params) -> Tensor:
    """Apply an elementwise activation Op (floating inputs only when `kernel` names PyTorch's kernel)."""
    if kernel is not None:
        _require_float(input, kernel)
    return _run(op, input, **params)


def activation_(op, input: Tensor, kernel: str | None = None, **params) -> Tensor:
    """In-place form of `activation`: the result is written into input, which takes its history."""
    return apply_inplace(input, lambda x: activation(op, x, kernel, **params), (), {})


class LeakyRelu(Activation):
    name = "LeakyReluBackward0"

    @staticmethod
    def forward(ctx, a, negative_slope):
        ctx.slope = negative_slope
        out = a * a.dtype.type(negative_slope)
        if 0 <= negative_slope <= 1:  # then leaky_relu(x) = max(x, slope * x)
            return np.maximum(out, a, out=out)
        return _select(a > 0, a, out)

    @staticmethod
    def deriv_array(ctx, x):
        if 0 <= ctx.slope <= 1:
            d = (x > 0).astype(x.dtype)
            return np.maximum(d, x.dtype.type(ctx.slope), out=d)
        return _select(x > 0, x.dtype.type(1), x.dtype.type(ctx.slope))


class LeakyReluInplace(LeakyRelu):
    name = "LeakyReluBackward1"

    @staticmethod
    def deriv_array(ctx, x):
        if ctx.slope < 0:
            raise RuntimeError(
                "In-place leakyReLu backward calculation is triggered with a negative slope which is not "
                "supported. This is caused by calling in-place forward function with a negative slope, please "
                "call out-of-place version instead. File an issue at https://github.com/pytorch/pytorch if you "
                "do require supporting in-place leakRelu backward calculation with negative slope")
        return LeakyRelu.deriv_array(ctx, x)


class Elu(Activation):
    """scale * (x if x > 0 else alpha * (exp(input_scale * x) - 1)): elu, selu and celu."""

    name = "EluBackward0"

    @staticmethod
    def forward(ctx, a, alpha, scale, input_scale):
        ctx.alpha, ctx.scale, ctx.input_scale = alpha, scale, input_scale
        t = a.dtype.type
        neg = np.minimum(a, t(0))  # expm1 only of non-positive values: no overflow for large x
        neg *= t(input_scale)
        np.expm1(neg, out=neg)
        neg *= t(alpha)
        out = _select(a > 0, a, neg)
        if scale != 1:
            out *= t(scale)
        return out

    @staticmethod
    def deriv_array(ctx, x):
        t = x.dtype.type
        neg = np.minimum(x, t(0))
        neg *= t(ctx.input_scale)
        np.exp(neg, out=neg)
        neg *= t(ctx.alpha * ctx.scale * ctx.input_scale)
        return _select(x > 0, t(ctx.scale), neg)

    @classmethod
    def deriv(cls, ctx, x):
        neg = (x * ctx.input_scale).exp() * (ctx.alpha * ctx.scale * ctx.input_scale)
        return where(x > 0, ctx.scale, neg)


class EluInplace(Elu):
    name = "EluBackward1"

    @staticmethod
    def deriv_array(ctx, x):
        if ctx.alpha < 0:
            raise RuntimeError(
                "In-place elu backward calculation is triggered with a negative slope which is not supported. "
                "This is caused by calling in-place forward function with a negative slope, please call "
                "out-of-place version instead.")
        return Elu.deriv_array(ctx, x)


class Celu(Elu):
    name = "CeluBackward0"

    @staticmethod
    def forward(ctx, a, alpha, scale, input_scale):
        out = Elu.forward(ctx, a, alpha, scale, input_scale)
        ctx.input_scale = 1.0 / float(np.float32(alpha))  # PyTorch's celu backward rounds alpha to float32 here
        return out


class CeluInplace(Celu, EluInplace):
    name = "CeluBackward1"


class Threshold(Activation):
    name = "ThresholdBackward0"

    @staticmethod
    def forward(ctx, a, threshold, value):
        ctx.threshold = threshold
        return _select(a > threshold, a, np.asarray(value).astype(a.dtype))

    @staticmethod
    def deriv_array(ctx, x):
        return (x > ctx.threshold).astype(x.dtype)


class ThresholdInplace(Threshold):
    name = "ThresholdBackward1"


class Hardshrink(Activation):
    name = "HardshrinkBackward0"

    @staticmethod
    def forward(ctx, a, lambd):
        ctx.lambd = lambd
        return _select(np.abs(a) > lambd, a, a.dtype.type(0))

    @staticmethod
    def deriv_array(ctx, x):
        return (np.abs(x) > ctx.lambd).astype(x.dtype)


class RreluWithNoise(Activation):
    """Leaky ReLU whose negative slope is `noise` (random per element in training, the mean in eval)."""

    name = "RreluWithNoiseBackward0"

    @staticmethod
    def forward(ctx, a, noise):
        ctx.noise = noise
        return a * noise

    @staticmethod
    def deriv_array(ctx, x):
        return ctx.noise


class RreluWithNoiseInplace(RreluWithNoise):
    name = "RreluWithNoiseBackward1"


def _rrelu_noise(a, lower: float, upper: float, training: bool, generator=None):
    if training:
        from .._random import get_generator

        slopes = get_generator(generator).uniform(a.shape, lower, upper, a.dtype) if lower < upper else \
            np.full(a.shape, lower, a.dtype)
        return _select(a > 0, a.dtype.type(1), slopes)
    return _select(a > 0, a.dtype.type(1), a.dtype.type((lower + upper) / 2))


def _rrelu(input: Tensor, lower: float, upper: float, training: bool, inplace: bool, generator=None) -> Tensor:
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    _require_float(input, "leaky_relu_cpu")
    noise = _rrelu_noise(input._data, lower, upper, training, generator)
    if inplace:
        return activation_(RreluWithNoiseInplace, input, noise=noise)
    return activation(RreluWithNoise, input, noise=noise)


@declare(method=False)
def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          generator=None) -> Tensor:
    """Randomized leaky ReLU: slope uniform in [lower, upper] when training, (lower+upper)/2 otherwise."""
    return _rrelu(input, lower, upper, training, inplace=False, generator=generator)


@declare(method=False)
def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
           generator=None) -> Tensor:
    """In-place rrelu."""
    return _rrelu(input, lower, upper, training, inplace=True, generator=generator)


@declare(method=False)
def selu(input: Tensor) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants."""
    return activation(Elu, input, "elu_cpu", alpha=SELU_ALPHA, scale=SELU_SCALE, input_scale=1.0)


@declare(method=False)
def selu_(input: Tensor) -> Tensor:
    """In-place selu."""
    return activation_(EluInplace, input, "elu_cpu", alpha=SELU_ALPHA, scale=SELU_SCALE, input_scale=1.0)


@declare(method=False)
def celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return activation(Celu, input, "elu_cpu", alpha=alpha, scale=1.0, input_scale=1.0 / alpha)


@declare(method=False)
def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place celu."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return activation_(CeluInplace, input, "elu_cpu", alpha=alpha, scale=1.0, input_scale=1.0 / alpha)


@declare(method=False)
def threshold(input: Tensor, threshold: float, value: float) -> Tensor:
    """x where x > threshold, else value."""
    return activation(Threshold, input, threshold=threshold, value=value)


@declare(method=False)
def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place threshold."""
    return activation_(ThresholdInplace, input, threshold=threshold, value=value)


@declare()
def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0."""
    return activation(Hardshrink, input, "hardshrink_cpu", lambd=lambd)


# -- prelu --------------------------------------------------------------------------------------------
class PreluKernel(Op):
    name = "PreluKernelBackward0"
    save = (0, 1)

    @staticmethod
    def forward(ctx, a, w):
        wb = _prelu_weight_view(w, a.ndim)
        return _select(a > 0, a, a * wb)

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        wb = w.reshape(_prelu_weight_shape(w._data, x.ndim))
        positive = x > 0
        gx = gw = None
        if ctx.needs_input_grad[0]:
            gx = g * where(positive, 1.0, wb)
        if ctx.needs_input_grad[1]:
            gw = g * where(positive, 0.0, x)
            if w.ndim == 0 or w.numel() == 1:
                gw = gw.sum().reshape(w.shape)
            else:
                gw = gw.sum([d for d in range(x.ndim) if d != 1])
        return gx, gw


def _prelu_weight_shape(w, ndim: int) -> tuple:
    if w.size == 1 or ndim < 2:
        return (1,) * ndim if ndim else ()
    return (1, w.size) + (1,) * (ndim - 2)


def _prelu_weight_view(w, ndim: int):
    return w.reshape(_prelu_weight_shape(w, ndim))


@declare()
def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """max(0, x) + weight * min(0, x), with one weight per channel (dim 1) or one shared weight."""
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.ndim}")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {input.dtype._legacy[:-len('Tensor')]} "
                           f"and {weight.dtype._legacy[:-len('Tensor')]}")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{weight.numel()} and channel size = {channels}.")
    if STATE.enabled and (input._requires_grad or weight._requires_grad):
        return apply_recorded(PreluKernel, (input, weight), {})
    return _wrap(PreluKernel.forward(NULL_CTX, input._data, weight._data))


# -- the rest of the elementwise family (ember.nn.functional uses these Ops) --------------------------
class Hardtanh(Activation):
    name = "HardtanhBackward0"

    @staticmethod
    def forward(ctx, a, min_val, max_val):
        ctx.min_val, ctx.max_val = min_val, max_val
        if a.dtype.kind != "f":
            return np.clip(a, min_val, max_val).astype(a.dtype)
        t = a.dtype.type
        return np.clip(a, t(min_val), t(max_val))

    @staticmethod
    def deriv_array(ctx, x):
        return ((x > ctx.min_val) & (x < ctx.max_val)).astype(x.dtype)


class Softshrink(Hardshrink):
    name = "SoftshrinkBackward0"

    @staticmethod
    def forward(ctx, a, lambd):
        ctx.lambd = lambd
        t = a.dtype.type
        return a - np.clip(a, t(-lambd), t(lambd))  # x - lambd above lambd, x + lambd below -lambd, else 0


class Hardsigmoid(Activation):
    name = "HardsigmoidBackward0"

    @staticmethod
    def forward(ctx, a):
        t = a.dtype.type
        out = np.clip(a + t(3), t(0), t(6))
        out /= t(6)
        return out

    @staticmethod
    def deriv_array(ctx, x):
        # PyTorch's kernel multiplies by 1/6 rounded to float32, in every dtype
        return ((x > -3) & (x < 3)).astype(x.dtype) * x.dtype.type(np.float32(1 / 6))


class Hardswish(Activation):
    name = "HardswishBackward0"

    @staticmethod
    def forward(ctx, a):
        t = a.dtype.type
        out = np.clip(a + t(3), t(0), t(6))
        out *= a
        out /= t(6)
        return out

    @staticmethod
    def deriv_array(ctx, x):
        t = x.dtype.type
        return _select(x <= -3, t(0), _select(x < 3, x / t(3) + t(0.5), t(1)))

    @classmethod
    def deriv(cls, ctx, x):
        return where(x <= -3, 0.0, where(x < 3, x / 3 + 0.5, 1.0))


# -- the normal CDF for gelu --------------------------------------------------------------------------
# Phi(x) = erfc(-x / sqrt(2)) / 2, with erfc from unary.py (a fitted polynomial: NumPy has no erf).


def _normal_cdf(a):
    """Phi(a), the standard normal CDF, elementwise on a float array (few temporaries: they cost page faults)."""
    t_ = a.dtype.type
    if a.__class__ is not np.ndarray or a.dtype not in _ERFC_PLAN:
        return (_erf(a * t_(_SQRT_HALF)) + t_(1)) * t_(0.5)
    z = np.abs(a)
    z *= t_(_SQRT_HALF)
    r = _erfc_nonneg(z)
    r *= t_(0.5)  # erfc(z) / 2 = Phi(-|a|)
    t = z
    # Phi(a) = r for a <= 0 and 1 - r for a > 0, as r + (a > 0) (1 - 2r): arithmetic beats masked writes
    np.multiply(r, t_(-2), out=t)
    t += 1
    t *= a > 0
    r += t
    return r


class Gelu(Activation):
    name = "GeluBackward0"

    @staticmethod
    def forward(ctx, a, approximate):
        ctx.approximate = approximate
        t = a.dtype.type
        if approximate == "tanh":
            inner = np.tanh((a + a * a * a * t(_GELU_C)) * t(_GELU_K))
            return a * (inner + t(1)) * t(0.5)
        out = _normal_cdf(a)
        out *= a
        return out

    @staticmethod
    def deriv_array(ctx, x):
        t = x.dtype.type
        if ctx.approximate == "tanh":
            x2 = x * x
            th = np.tanh((x + x2 * x * t(_GELU_C)) * t(_GELU_K))
            return (th + t(1)) * t(0.5) + x * (t(1) - th * th) * (x2 * t(3 * _GELU_C) + t(1)) * t(0.5 * _GELU_K)
        pdf = np.square(x)  # x phi(x), then + Phi(x)
        pdf *= t(-0.5)
        np.exp(pdf, out=pdf)
        pdf *= x
        pdf *= t(_INV_SQRT_2PI)
        pdf += _normal_cdf(x)
        return pdf

    @classmethod
    def deriv(cls, ctx, x):
        if ctx.approximate == "tanh":
            x2 = x * x
            th = ((x + x2 * x * _GELU_C) * _GELU_K).tanh()
            return (th + 1) * 0.5 + x * (1 - th * th) * (x2 * (3 * _GELU_C) + 1) * (0.5 * _GELU_K)
        cdf = ((x * _SQRT_HALF).erf() + 1) * 0.5
        return cdf + x * (x * x * -0.5).exp() * _INV_SQRT_2PI


class Silu(Activation):
    name = "SiluBackward0"

    @staticmethod
    def forward(ctx, a):
        return a * _sigmoid(a)

    @staticmethod
    def deriv_array(ctx, x):
        s = _sigmoid(x)
        return s * (x * (x.dtype.type(1) - s) + x.dtype.type(1))  # s (1 + x (1 - s))

    @classmethod
    def deriv(cls, ctx, x):
        s = x.sigmoid()
        return s * (x * (1 - s) + 1)


def _softplus_array(a):
    """log(1 + exp(a)) without overflow."""
    return np.maximum(a, a.dtype.type(0)) + np.log1p(np.exp(-np.abs(a)))


class Mish(Activation):
    name = "MishBackward0"

    @staticmethod
    def forward(ctx, a):
        return a * np.tanh(_softplus_array(a))

    @staticmethod
    def deriv_array(ctx, x):
        t = np.tanh(_softplus_array(x))
        return t + x * (x.dtype.type(1) - t * t) * _sigmoid(x)

    @classmethod
    def deriv(cls, ctx, x):
        t = (x.clamp(min=0) + (-x.abs()).exp().log1p()).tanh()
        return t + x * (1 - t * t) * x.sigmoid()


class Softplus(Activation):
    name = "SoftplusBackward0"

    @staticmethod
    def forward(ctx, a, beta, threshold):
        ctx.beta, ctx.threshold = beta, threshold
        t = a.dtype.type
        z = a * t(beta)
        return _select(z > threshold, a, np.log1p(np.exp(z)) / t(beta))

    @staticmethod
    def deriv_array(ctx, x):
        z = x * x.dtype.type(ctx.beta)
        return _select(z > ctx.threshold, x.dtype.type(1), _sigmoid(z))

    @classmethod
    def deriv(cls, ctx, x):
        z = x * ctx.beta
        return where(z > ctx.threshold, 1.0, z.sigmoid())


class Glu(Op):
    """a * sigmoid(b), where a and b are the halves of the input along `dim`."""

    name = "GluBackward0"
    save = (0,)

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        a, b = np.split(x, 2, axis=dim)
        return a * _sigmoid(b)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        dim = ctx.dim
        # d(a s(b)) = s(b) da + a s(b) (1 - s(b)) db
        if STATE.enabled:
            a, b = x.chunk(2, dim)
            s = b.sigmoid()
            return cat([g * s, g * a * s * (1 - s)], dim)
        a, b = np.split(x._data, 2, axis=dim)
        s = _sigmoid(b)
        ga = g._data * s
        return _wrap(np.concatenate([ga, ga * a * (1 - s)], axis=dim))


class LogSigmoid(Activation):
    name = "LogSigmoidBackward0"

    @staticmethod
    def forward(ctx, a):
        return np.minimum(a, a.dtype.type(0)) - np.log1p(np.exp(-np.abs(a)))

    @staticmethod
    def deriv_array(ctx, x):
        return _sigmoid(-x)

    @classmethod
    def deriv(cls, ctx, x):
        return (-x).sigmoid()


# PyTorch exposes torch.relu_ (the method exists already in ember/ops/unary.py)
FUNCTIONS["relu_"] = Tensor.relu_


# -- dropout ------------------------------------------------------------------------------------------
# Masks come from ember's default generator (`ember.manual_seed` makes them reproducible), not from
# PyTorch's random streams: masks differ from PyTorch's, their distribution is the same. As in PyTorch,
# the result is `input * noise` (plus a shift for alpha dropout), so the gradient reuses the mask and the
# graph reads MulBackward0 / AddBackward0.

# SELU's negative saturation value (scale * alpha): alpha dropout sends dropped units there, then rescales
_ALPHA_DROP = 1.7580993408473766


def _keep_mask(shape: tuple, p: float):
    """Boolean array, True with probability 1 - p, drawn from ember's default generator."""
    from .._random import default_generator

    return default_generator.rand(shape, np.float32) < np.float32(1.0 - p)


def _noise_shape(input: Tensor, feature: bool) -> tuple:
    shape = tuple(input._data.shape)
    if not feature:
        return shape
    if len(shape) < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return shape[:2] + (1,) * (len(shape) - 2)  # one draw per (sample, channel): whole feature maps


def dropout_impl(input: Tensor, p: float, train: bool, inplace: bool, feature: bool, alpha: bool) -> Tensor:
    """Shared body of every dropout variant (element/feature-wise, plain/alpha, in-place or not)."""
    if p < 0 or p > 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
    if p == 0 or not train or input.numel() == 0:
        return input
    dt = input._data.dtype
    shape = _noise_shape(input, feature)
    if p == 1:
        zero = _wrap(np.zeros((), dt))
        return input.mul_(zero) if inplace else input * zero
    keep = _keep_mask(shape, p)
    if not alpha:
        noise = _wrap(keep.astype(dt) * dt.type(1.0 / (1.0 - p)))
        return input.mul_(noise) if inplace else input * noise
    a = 1.0 / math.sqrt((_ALPHA_DROP * _ALPHA_DROP * p + 1) * (1 - p))
    noise = _wrap(keep.astype(dt) * dt.type(a))
    shift = _wrap(np.where(keep, dt.type(_ALPHA_DROP * a * p), dt.type(_ALPHA_DROP * a * (p - 1))))
    if inplace:
        return input.mul_(noise).add_(shift)
    return input * noise + shift


def _declare_dropout(name: str, feature: bool, alpha: bool) -> None:
    def fn(input: Tensor, p: float, train: bool) -> Tensor:
        return dropout_impl(input, p, train, False, feature, alpha)

    def fn_(input: Tensor, p: float, train: bool) -> Tensor:
        return dropout_impl(input, p, train, True, feature, alpha)

    fn.__name__, fn_.__name__ = name, name + "_"
    fn.__qualname__, fn_.__qualname__ = name, name + "_"
    what = ("alpha " if alpha else "") + ("channel-wise " if feature else "")
    fn.__doc__ = f"Random {what}dropout with probability p when train is True (see ember.nn.functional)."
    fn_.__doc__ = f"In-place {name}."
    declare(name, method=False)(fn)
    declare(name + "_", method=False)(fn_)


for _name, _feature, _alpha in (("dropout", False, False), ("feature_dropout", True, False),
                                ("alpha_dropout", False, True), ("feature_alpha_dropout", True, True)):
    _declare_dropout(_name, _feature, _alpha)
