"""One-input elementwise functions: exponentials, logarithms, trigonometry, sigmoid, relu, rounding, abs.

Each is declared in one line from a forward array function and a backward formula (`_unary_op`);
Note [how an op is written] in ember/autograd/graph.py explains the Op protocol.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap
from ..autograd.grad_mode import STATE
from ..autograd.graph import NULL_CTX, Op, apply_recorded
from ..backend import parallel, xp_of
from ._declare import declare

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def unary(op, input, floating: bool = True, **params) -> Tensor:
    """Apply a unary Op; integer inputs of floating functions are promoted to the default dtype."""
    x = input._data
    if floating and x.dtype.kind != "f":
        x = x.astype(D.get_default_dtype().np)
    if STATE.enabled and input._requires_grad:
        return apply_recorded(op, (input,), params, (x,))
    return _wrap(op.forward(NULL_CTX, x, **params))


def _unary_op(name: str, node: str, fwd, bwd, save=(0,), save_output=False, floating=True, doc=""):
    """Declare a one-input op from a forward array function and a backward formula."""
    cls = type(name.capitalize(), (Op,), {
        "name": node, "save": save, "save_output": save_output,
        "forward": staticmethod(lambda ctx, a: fwd(a)),
        "backward": staticmethod(lambda ctx, g: (bwd(g, *ctx.saved_tensors),)),
    })

    def fn(input: Tensor) -> Tensor:
        x = input._data
        if (not floating or x.dtype.kind == "f") and not (STATE.enabled and input._requires_grad):
            return _wrap(fwd(x))  # the common no-graph case, without the generic path's calls
        return unary(cls, input, floating)

    fn.__name__ = name
    fn.__doc__ = doc or f"Elementwise {name}."
    declare(name, inplace=True, out=True)(fn)
    globals()[name] = fn
    return fn


def _np(f):
    np_fn = getattr(np, f)

    def run(a):
        if a.__class__ is np.ndarray:
            return np_fn(a) if a.size < parallel.MIN_PARALLEL_SIZE_COMPUTE else parallel.unary(np_fn, a)
        return getattr(xp_of(a), f)(a)

    return run


# Note [erf without SciPy]
# NumPy has no erf, and math.erf element by element is ~100x slower than a NumPy pass. For |x| < 1,
# erf is its Maclaurin series (2/sqrt(pi)) sum (-1)^n x^(2n+1) / (n! (2n+1)), truncated where the terms
# fall below the dtype's precision. For |x| >= 1, erf = sign(x) (1 - erfc(|x|)), with
# erfc(z) = exp(-z^2) R(t), t = 1 / (1 + z / 2), and R a polynomial fitted once per dtype (Chebyshev least
# squares against math.erfc) on 0 <= z <= Z: erfc within ~1e-14 relative in float64, ~1e-6 in float32;
# beyond Z, erfc is 0 to working precision. Plan per dtype: (Z, degree of R, Maclaurin terms).
_ERFC_PLAN = {np.dtype(np.float64): (6.0, 18, 18), np.dtype(np.float32): (4.5, 8, 9)}


@functools.cache
def _erfc_table(dt):
    """Coefficients of R (highest degree first), fitted on first use."""
    from numpy.polynomial import Chebyshev, Polynomial

    z_max, deg, _ = _ERFC_PLAN[dt]
    t_lo = 1 / (1 + z_max / 2)
    t = t_lo + (1 - t_lo) * (1 - np.cos(np.linspace(0, np.pi, 2000))) / 2  # Chebyshev nodes
    r = [math.erfc(z) * math.exp(z * z) for z in 2 / t - 2]
    series = Chebyshev.fit(t, r, deg, domain=[t_lo, 1])
    return series.convert(kind=Polynomial, domain=[t_lo, 1], window=[t_lo, 1]).coef[::-1].astype(dt)


def _erfc_nonneg(z):
    """erfc(z) for a float32/float64 array z >= 0 (a new array; few temporaries, they cost page faults)."""
    t_ = z.dtype.type
    coef = _erfc_table(z.dtype)
    t = z * t_(0.5)
    t += 1
    np.reciprocal(t, out=t)
    r = t * coef[0]  # R(t) by Horner's rule, in place
    r += coef[1]
    for c in coef[2:]:
        r *= t
        r += c
    np.square(z, out=t)
    np.negative(t, out=t)
    np.exp(t, out=t)
    r *= t
    r *= z <= _ERFC_PLAN[z.dtype][0]
    return r


def _erf(a):
    try:
        from scipy.special import erf as sp_erf  # optional: fast and exact
    except ImportError:
        sp_erf = None
    if sp_erf is not None:
        return np.asarray(sp_erf(a), dtype=a.dtype)
    if a.__class__ is not np.ndarray or a.dtype not in _ERFC_PLAN:
        return np.asarray(np.frompyfunc(math.erf, 1, 1)(a), dtype=a.dtype)
    t_ = a.dtype.type
    z = np.abs(a)
    near = z < 1
    x2 = np.square(np.where(near, a, t_(0)))  # the series only where it converges fast
    n_terms = _ERFC_PLAN[a.dtype][2]
    series = np.full_like(a, t_((-1) ** (n_terms - 1) / (math.factorial(n_terms - 1) * (2 * n_terms - 1))))
    for n in range(n_terms - 2, -1, -1):
        series *= x2
        series += t_((-1) ** n / (math.factorial(n) * (2 * n + 1)))
    series *= a
    series *= t_(2 / math.sqrt(math.pi))
    far = np.negative(_erfc_nonneg(z))
    far += 1
    np.copysign(far, a, out=far)
    return np.where(near, series, far)


_ONE_OUT = dict(save=(), save_output=True)
_unary_op("neg", "NegBackward0", np.negative, lambda g: -g, save=(), floating=False)
negative = declare("negative", inplace=True, out=True)(globals()["neg"])
_unary_op("exp", "ExpBackward0", _np("exp"), lambda g, y: g * y, **_ONE_OUT)
_unary_op("exp2", "Exp2Backward0", _np("exp2"), lambda g, y: g * y * _LN2, **_ONE_OUT)
_unary_op("expm1", "Expm1Backward0", _np("expm1"), lambda g, y: g * (y + 1), **_ONE_OUT)
_unary_op("log", "LogBackward0", _np("log"), lambda g, x: g / x)
_unary_op("log2", "Log2Backward0", _np("log2"), lambda g, x: g / (x * _LN2))
_unary_op("log10", "Log10Backward0", _np("log10"), lambda g, x: g / (x * _LN10))
_unary_op("log1p", "Log1PBackward0", _np("log1p"), lambda g, x: g / (x + 1))
_unary_op("sqrt", "SqrtBackward0", _np("sqrt"), lambda g, y: g / (2 * y), **_ONE_OUT)
_unary_op("rsqrt", "RsqrtBackward0", lambda a: _np("sqrt")(a).__rtruediv__(1).astype(a.dtype),
          lambda g, y: -0.5 * g * y * y * y, **_ONE_OUT)
_unary_op("reciprocal", "ReciprocalBackward0", lambda a: _np("reciprocal")(a),
          lambda g, y: -g * y * y, **_ONE_OUT)
_unary_op("sin", "SinBackward0", _np("sin"), lambda g, x: g * x.cos())
_unary_op("cos", "CosBackward0", _np("cos"), lambda g, x: -g * x.sin())
_unary_op("tan", "TanBackward0", _np("tan"), lambda g, y: g * (1 + y * y), **_ONE_OUT)
_unary_op("asin", "AsinBackward0", _np("arcsin"), lambda g, x: g * (1 - x * x).rsqrt())
_unary_op("acos", "AcosBackward0", _np("arccos"), lambda g, x: -g * (1 - x * x).rsqrt())
_unary_op("atan", "AtanBackward0", _np("arctan"), lambda g, x: g / (1 + x * x))
_unary_op("sinh", "SinhBackward0", _np("sinh"), lambda g, x: g * x.cosh())
_unary_op("cosh", "CoshBackward0", _np("cosh"), lambda g, x: g * x.sinh())
_unary_op("tanh", "TanhBackward0", _np("tanh"), lambda g, y: g * (1 - y * y), **_ONE_OUT)
_unary_op("asinh", "AsinhBackward0", _np("arcsinh"), lambda g, x: g * (x * x + 1).rsqrt())
_unary_op("acosh", "AcoshBackward0", _np("arccosh"), lambda g, x: g * (x * x - 1).rsqrt())
_unary_op("atanh", "AtanhBackward0", _np("arctanh"), lambda g, x: g / (1 - x * x))
_unary_op("erf", "ErfBackward0", _erf, lambda g, x: g * (2 / math.sqrt(math.pi)) * (-x * x).exp())
for _alias, _target in (("arcsin", "asin"), ("arccos", "acos"), ("arctan", "atan"), ("arcsinh", "asinh"),
                        ("arccosh", "acosh"), ("arctanh", "atanh")):
    declare(_alias, inplace=True, out=True)(globals()[_target])


def _sigmoid_into(a, out=None):
    """1 / (1 + exp(-a)) in place in out: four passes, no temporaries."""
    out = np.negative(a, out=out)
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def _sigmoid(a):
    if a.__class__ is not np.ndarray:
        return 1 / (1 + xp_of(a).exp(-a))
    return _sigmoid_into(a) if a.size < parallel.MIN_PARALLEL_SIZE_COMPUTE else parallel.unary(_sigmoid_into, a)


_unary_op("sigmoid", "SigmoidBackward0", _sigmoid, lambda g, y: g * y * (1 - y), **_ONE_OUT)


def _relu_fwd(a):
    if a.dtype.kind == "b":
        return a.copy()
    # against a same-shape zeros array NumPy takes its SIMD loop; a broadcast scalar 0 is ~2x slower
    out = xp_of(a).zeros_like(a)
    return xp_of(a).maximum(a, out, out=out)


_unary_op("relu", "ReluBackward0", _relu_fwd, lambda g, y: g * (y > 0), floating=False, **_ONE_OUT)


def _zero_grad_unary(name, node, fwd, doc):
    _unary_op(name, node, fwd, lambda g, *_: g * 0, save=(), floating=False, doc=doc)


_zero_grad_unary("sign", "SignBackward0", lambda a: np.sign(a) if a.dtype.kind != "b" else a.copy(),
                 "-1, 0 or 1 by the sign of each element.")
_zero_grad_unary("floor", "FloorBackward0", lambda a: np.floor(a) if a.dtype.kind == "f" else a.copy(),
                 "Largest integer <= x.")
_zero_grad_unary("ceil", "CeilBackward0", lambda a: np.ceil(a) if a.dtype.kind == "f" else a.copy(),
                 "Smallest integer >= x.")
_zero_grad_unary("trunc", "TruncBackward0", lambda a: np.trunc(a) if a.dtype.kind == "f" else a.copy(),
                 "Round toward zero.")
fix = declare("fix", inplace=True, out=True)(globals()["trunc"])
_unary_op("frac", "FracBackward0", lambda a: a - np.trunc(a), lambda g: g, save=(), floating=False)


class Round(Op):
    name = "RoundBackward0"

    @staticmethod
    def forward(ctx, a, decimals=0):
        if a.dtype.kind != "f":
            return a.copy()
        return np.round(a, decimals) if decimals else np.rint(a)

    @staticmethod
    def backward(ctx, g):
        return g * 0


@declare(inplace=True, out=True)
def round(input, *, decimals: int = 0) -> Tensor:
    """Round half to even (optionally to `decimals` places)."""
    return unary(Round, input, floating=False, decimals=decimals)


class Abs(Op):
    name = "AbsBackward0"
    save = (0,)

    @staticmethod
    def forward(ctx, a):
        return np.abs(a) if a.dtype.kind != "b" else a.copy()

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * a.sign()


@declare(inplace=True, out=True)
def abs(input) -> Tensor:
    """Absolute value."""
    return unary(Abs, input, floating=False)


absolute = declare("absolute", inplace=True, out=True)(abs)
