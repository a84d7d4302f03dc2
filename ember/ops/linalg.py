"""Linear algebra: inverse, det, slogdet, solve, norms, svdvals, cross, kron, matrix_power.

The `linalg_*` functions here are published without the prefix in `ember.linalg`; the legacy
top-level names (ember.inverse, ember.det, ember.norm, ...) are declared here too.
Matrices are the last two dims; leading dims are a batch. Shape legend: A is (*, n, n), B is (*, n, k).
"""

from __future__ import annotations

import math
import warnings
from collections import namedtuple

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap, _wrap_dim
from ..autograd.grad_mode import STATE
from ..autograd.graph import Op
from ..backend import xp_of
from ._declare import declare, write_out
from .matmul import _legacy_name, broadcast_batch
from .pointwise import where
from .reduction import dims_arg, expand_reduced


class LinAlgError(RuntimeError):
    """Raised when a linear-algebra routine fails on its input (e.g. a singular matrix); PyTorch's _LinAlgError."""


slogdet_result = namedtuple("slogdet", ["sign", "logabsdet"])
linalg_slogdet_result = namedtuple("linalg_slogdet", ["sign", "logabsdet"])


# -- argument checks -------------------------------------------------------------------------------------


def _check_matrix(A: Tensor, fname: str, square: bool = True) -> None:
    if A._data.ndim < 2:
        raise RuntimeError(f"{fname}: The input tensor A must have at least 2 dimensions.")
    rows, cols = A._data.shape[-2:]
    if square and rows != cols:
        raise RuntimeError(f"{fname}: A must be batches of square matrices, but they are {rows} by {cols} matrices")


def _check_float(A: Tensor, fname: str) -> None:
    kind = A._data.dtype
    if kind.kind != "f":
        raise RuntimeError(f"{fname}: Expected a floating point or complex tensor as input. Got {_legacy_name(A)}")
    if kind == np.float16:
        raise RuntimeError(f"{fname}: Low precision dtypes not supported. Got {_legacy_name(A)}")


def _first_zero_pivot(m: np.ndarray) -> int:
    """LAPACK getrf's info for one matrix: 1-based index of the first exactly-zero pivot, 0 if none."""
    u = m.copy()
    info = 0
    for k in range(u.shape[0]):
        p = k + int(np.argmax(np.abs(u[k:, k])))
        if u[p, k] == 0:
            info = info or k + 1
            continue
        u[[k, p]] = u[[p, k]]
        u[k + 1:, k:] -= np.multiply.outer(u[k + 1:, k] / u[k, k], u[k, k:])
    return info


def _singular_error(a: np.ndarray, fname: str, message: str) -> LinAlgError:
    """PyTorch's error naming the first singular batch element (and pivot, for {pivot} in message)."""
    mats = a.reshape((-1,) + a.shape[-2:])
    i, info = 0, a.shape[-1]  # used if LAPACK's blocked factorisation saw a zero pivot that ours rounded away
    for k, m in enumerate(mats):
        pivot = _first_zero_pivot(m)
        if pivot:
            i, info = k, pivot
            break
    prefix = f"(Batch element {i}): " if a.ndim > 2 else ""
    return LinAlgError(f"{fname}: {prefix}{message.format(pivot=info)}")


_INV_SINGULAR = ("The diagonal element {pivot} is zero, the inversion could not be completed because the input "
                 "matrix is singular.")


# -- inverse, det, slogdet ---------------------------------------------------------------------------------


class LinalgInv(Op):
    name = "LinalgInvExBackward0"
    save_output = True

    @staticmethod
    def forward(ctx, a):
        try:
            return np.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise _singular_error(a, "linalg.inv", _INV_SINGULAR) from None

    @staticmethod
    def backward(ctx, g):
        # d(A^-1) = -A^-1 dA A^-1, so dL/dA = -A^-T G A^-T
        (inv,) = ctx.saved_tensors
        inv_t = inv.mT
        return -inv_t.matmul(g).matmul(inv_t)


def linalg_inv(A: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Inverse of a square matrix (or batch); LinAlgError if singular."""
    _check_matrix(A, "linalg.inv")
    _check_float(A, "linalg.inv")
    res = LinalgInv.apply(A)
    return res if out is None else write_out(res, out, "linalg.inv")


@declare(out=True)
def inverse(input: Tensor) -> Tensor:
    """Inverse of a square matrix (or batch); same as ember.linalg.inv."""
    return linalg_inv(input)


class LinalgDet(Op):
    name = "LinalgDetBackward0"
    save = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, a):
        return xp_of(a).asarray(np.linalg.det(a))

    @staticmethod
    def backward(ctx, g):
        # d det(A) = det(A) tr(A^-1 dA), so dL/dA = g det(A) A^-T; PyTorch gives 0 at singular matrices
        a, det = ctx.saved_tensors
        singular = det._data == 0
        if singular.any():
            # invert the identity instead there: the factor det = 0 then zeroes the gradient
            eye = _wrap(xp_of(a._data).eye(a._data.shape[-1], dtype=a._data.dtype))
            a = where(_wrap(singular[..., None, None]), eye, a)
        return (g * det).unsqueeze(-1).unsqueeze(-1) * linalg_inv(a).mT


def linalg_det(A: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Determinant of a square matrix (or batch)."""
    _check_matrix(A, "linalg.det")
    _check_float(A, "linalg.det")
    res = LinalgDet.apply(A)
    return res if out is None else write_out(res, out, "linalg.det")


@declare()
def det(input: Tensor) -> Tensor:
    """Determinant of a square matrix (or batch); same as ember.linalg.det."""
    return linalg_det(input)


class LinalgSlogdet(Op):
    name = "LinalgSlogdetBackward0"
    save = (0,)

    @staticmethod
    def forward(ctx, a):
        sign, logabs = np.linalg.slogdet(a)
        xp = xp_of(a)
        return xp.asarray(sign, a.dtype), xp.asarray(logabs, a.dtype)

    @staticmethod
    def backward(ctx, g_sign, g_logabs):
        # the sign is piecewise constant; d log|det A| = tr(A^-1 dA)
        (a,) = ctx.saved_tensors
        return g_logabs.unsqueeze(-1).unsqueeze(-1) * linalg_inv(a).mT


def linalg_slogdet(A: Tensor, *, out=None) -> tuple:
    """(sign, log|det|) of a square matrix (or batch); stable where det itself under- or overflows."""
    _check_matrix(A, "linalg.slogdet")
    _check_float(A, "linalg.slogdet")
    res = linalg_slogdet_result(*LinalgSlogdet.apply(A))
    return res if out is None else write_out(res, out, "linalg.slogdet")


@declare()
def slogdet(input: Tensor) -> tuple:
    """(sign, logabsdet) of a square matrix (or batch); same as ember.linalg.slogdet."""
    return slogdet_result(*linalg_slogdet(input))


@declare()
def logdet(input: Tensor) -> Tensor:
    """log(det(input)): NaN where the determinant is negative, -inf where it is zero."""
    sign, logabs = linalg_slogdet(input)
    return logabs.masked_fill(sign < 0, float("nan"))


# -- solve -----------------------------------------------------------------------------------------------


class LinalgSolve(Op):
    name = "LinalgSolveExBackward0"
    save = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, a, b):
        try:
            return np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            batch = broadcast_batch(a.shape[:-2], b.shape[:-2])
            raise _singular_error(np.broadcast_to(a, batch + a.shape[-2:]), "linalg.solve",
                                  "The solver failed because the input matrix is singular.") from None

    @staticmethod
    def backward(ctx, g):
        # X = A^-1 B: dL/dB = A^-T G, dL/dA = -(dL/dB) X^T
        a, x = ctx.saved_tensors
        gb = _solve(a.mT, g)
        ga = -gb.matmul(x.mT) if ctx.needs_input_grad[0] else None
        return ga, gb


def _solve(A: Tensor, B: Tensor) -> Tensor:
    return LinalgSolve.apply(A, B)


def linalg_solve(A: Tensor, B: Tensor, *, left: bool = True, out: Tensor | None = None) -> Tensor:
    """Solve A X = B (left=True) or X A = B for X; B may be a (batch of) vector(s)."""
    _check_matrix(A, "linalg.solve")
    _check_float(A, "linalg.solve")
    if A._data.dtype != B._data.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{_legacy_name(A)} and B of type {_legacy_name(B)} instead")
    n = A._data.shape[-1]
    sb = B._data.shape
    vector = B._data.ndim == 1 or (B._data.ndim == A._data.ndim - 1 and sb == A._data.shape[:-1])
    B2 = B.unsqueeze(-1) if vector else B
    rows, cols = B2._data.shape[-2:]
    if (left and rows != n) or (not left and cols != n):
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {rows}x{cols})")
    broadcast_batch(A._data.shape[:-2], B2._data.shape[:-2])
    if left:
        res = _solve(A, B2)
    else:  # X A = B  <=>  A^T X^T = B^T
        res = _solve(A.mT, B2.mT).mT
    if vector:
        res = res.squeeze(-1)
    return res if out is None else write_out(res, out, "linalg.solve")


# -- norms -----------------------------------------------------------------------------------------------


def _ord_str(ord) -> str:
    return ("-inf" if ord < 0 else "inf") if math.isinf(ord) else f"{ord}"


class LinalgVectorNorm(Op):
    name = "LinalgVectorNormBackward0"
    save = (0,)
    save_output = True

    @staticmethod
    def forward(ctx, a, ord, axes, keepdim):
        ctx.ord, ctx.axes, ctx.keepdim = ord, axes, keepdim
        x = np.abs(a)
        if ord == 2:
            return np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdim))
        if ord == 1:
            return np.sum(x, axis=axes, keepdims=keepdim)
        if ord == math.inf:
            return np.max(x, axis=axes, keepdims=keepdim)
        if ord == -math.inf:
            return np.min(x, axis=axes, keepdims=keepdim)
        if ord == 0:
            return np.sum(x != 0, axis=axes, keepdims=keepdim).astype(a.dtype)
        with np.errstate(divide="ignore"):
            return np.sum(x ** ord, axis=axes, keepdims=keepdim) ** (1.0 / ord)

    @staticmethod
    def backward(ctx, g):
        a, norm = ctx.saved_tensors
        ord, axes, keepdim = ctx.ord, ctx.axes, ctx.keepdim
        if ord == 0:
            return None
        shape = a._data.shape
        g = expand_reduced(g, shape, axes, keepdim)
        norm = expand_reduced(norm, shape, axes, keepdim)
        if ord == 1:
            return g * a.sign()
        if math.isinf(ord):
            # ties share the gradient evenly
            hit = (a.abs() == norm).to(a.dtype)
            count = expand_reduced(hit.sum(axes, keepdim=keepdim), shape, axes, keepdim)
            return g * a.sign() * hit / count
        if ord == 2:
            # d|x| = x / |x|; zero where the norm is zero
            return g * a / norm.masked_fill(norm == 0, 1)
        # d|x|_p = sign(x) |x|^(p-1) / |x|_p^(p-1); zero entries and zero norms get zero gradient
        # (the masked_fills keep 0^(p-1) and 0/0 out of the computation)
        scaled = a.sign() * a.abs().masked_fill(a == 0, 1).pow(ord - 1)
        zero = norm == 0
        return (g * scaled / norm.masked_fill(zero, 1).pow(ord - 1)).masked_fill(zero, 0)


def _norm_dtype(A: Tensor, dtype, fname: str) -> Tensor:
    """Check the input is floating and cast it to `dtype` (which may only widen)."""
    if A._data.dtype.kind != "f":
        raise RuntimeError(f"{fname}: Expected a floating point or complex tensor as input. Got {_legacy_name(A)}")
    if dtype is None:
        return A
    dt = D.to_dtype(dtype)
    if not dt.is_floating_point or D.promote_types(A.dtype, dt) != dt:
        raise RuntimeError(f"{fname}: the dtype of the input ({_legacy_name(A)}) should be convertible without "
                           f"narrowing to the specified dtype ({dt._legacy.replace('Tensor', '')})")
    return A.to(dt)


def linalg_vector_norm(x: Tensor, ord=2, dim=None, keepdim: bool = False, *, dtype=None,
                       out: Tensor | None = None) -> Tensor:
    """Vector p-norm of x over dim (all elements when dim is None): ord in R, inf, -inf, or 0 (count)."""
    if isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}")
    x = _norm_dtype(x, dtype, "linalg.vector_norm")
    nd = x._data.ndim
    axes = dims_arg(dim, max(nd, 1)) if nd else None
    if ord < 0 or math.isinf(ord):
        if axes is None and x._data.size == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {_ord_str(ord)} norm on an empty tensor "
                               "because the operation does not have an identity")
        for ax in axes or ():
            if x._data.shape[ax] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {_ord_str(ord)} norm on the dimension "
                                   f"{ax}because this dimension is empty and the operation does not have an identity")
    res = LinalgVectorNorm.apply(x, ord=ord, axes=axes, keepdim=keepdim and nd > 0)
    return res if out is None else write_out(res, out, "linalg.vector_norm")


class LinalgSvdvals(Op):
    name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        ctx.u, ctx.vh = u, vh
        return s

    @staticmethod
    def backward(ctx, g):
        if STATE.enabled:
            raise NotImplementedError("double backward through singular values (svdvals, nuclear and spectral "
                                      "norms) is not implemented in ember")
        # dL/dA = U diag(g) V^H
        return _wrap((ctx.u * g._data[..., None, :]) @ ctx.vh)


def linalg_svdvals(A: Tensor, *, driver=None, out: Tensor | None = None) -> Tensor:
    """Singular values of a matrix (or batch), in descending order."""
    _check_matrix(A, "linalg.svd", square=False)
    _check_float(A, "linalg.svd")
    res = LinalgSvdvals.apply(A)
    return res if out is None else write_out(res, out, "linalg.svdvals")


def _matrix_dims(A: Tensor, dim, fname: str) -> tuple:
    if not isinstance(dim, (tuple, list)):
        raise TypeError(f"linalg_matrix_norm(): argument 'dim' must be tuple of ints, not {type(dim).__name__}")
    if len(dim) != 2:
        raise RuntimeError(f"{fname}: dim must be a 2-tuple. Got {' '.join(str(d) for d in dim)}")
    d0, d1 = (_wrap_dim(d, A._data.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"{fname}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


def linalg_matrix_norm(A: Tensor, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None,
                       out: Tensor | None = None) -> Tensor:
    """Matrix norm over two dims: 'fro', 'nuc', inf, -inf, 1, -1, 2, -2."""
    if A._data.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    d0, d1 = _matrix_dims(A, dim, "linalg.matrix_norm")
    A = _norm_dtype(A, dtype, "linalg.matrix_norm")
    if ord == "fro":
        res = linalg_vector_norm(A, 2, (d0, d1), keepdim)
    elif ord == "nuc" or ord in (2, -2):
        res = _svd_norm(A, ord, d0, d1, keepdim)
    elif ord in (1, -1, math.inf, -math.inf):
        # max (or min) over one dim of the absolute sums over the other
        summed = d1 if abs(ord) == math.inf else d0
        if A._data.size == 0:
            shape = [s for i, s in enumerate(A._data.shape) if i not in (d0, d1)]
            res = _wrap(xp_of(A._data).zeros(shape, A._data.dtype))
            for d in sorted((d0, d1)) if keepdim else ():
                res = res.unsqueeze(d)
        else:
            sums = A.abs().sum(summed, keepdim=True)
            res = linalg_vector_norm(sums, math.inf if ord > 0 else -math.inf, (d0, d1), keepdim)
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    return res if out is None else write_out(res, out, "linalg.matrix_norm")


def _svd_norm(A: Tensor, ord, d0: int, d1: int, keepdim: bool) -> Tensor:
    s = linalg_svdvals(A.movedim((d0, d1), (-2, -1)))
    if ord == "nuc":
        res = s.sum(-1)
    else:
        res = linalg_vector_norm(s, math.inf if ord > 0 else -math.inf, -1)
    if keepdim:
        for d in sorted((d0, d1)):
            res = res.unsqueeze(d)
    return res


def linalg_norm(A: Tensor, ord=None, dim=None, keepdim: bool = False, *, dtype=None,
                out: Tensor | None = None) -> Tensor:
    """Vector or matrix norm, chosen by ord and dim as in PyTorch's linalg.norm."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None:
        if isinstance(ord, str):
            res = linalg_matrix_norm(A, ord, dim, keepdim, dtype=dtype)
        elif len(dim) == 1:
            res = linalg_vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
        elif len(dim) == 2:
            res = linalg_matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
        else:
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
    elif ord is None:
        res = linalg_vector_norm(A, 2, None, keepdim, dtype=dtype)
    elif A._data.ndim > 2:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                           f"{A._data.ndim}D.")
    elif A._data.ndim == 2 or isinstance(ord, str):  # a string ord on a vector gets matrix_norm's error
        res = linalg_matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    else:
        res = linalg_vector_norm(A, ord, None, keepdim, dtype=dtype)
    return res if out is None else write_out(res, out, "linalg.norm")


@declare(out=True)
def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """Deprecated-style norm: 'fro' and numbers give vector norms over dim, 'nuc' a matrix norm."""
    if p is None:
        p = 2
    if p == "nuc":
        dims = tuple(range(input._data.ndim)) if dim is None else dim
        return linalg_matrix_norm(input, "nuc", dims, keepdim, dtype=dtype)
    if isinstance(p, str):
        if p != "fro":
            raise RuntimeError(f"norm(): Order {p} not supported.")
        p = 2
    return linalg_vector_norm(input, p, dim, keepdim, dtype=dtype)


# -- products and powers -----------------------------------------------------------------------------------


class LinalgCross(Op):
    name = "LinalgCrossBackward0"
    save = (0, 1)
    save_needed = {0: (1,), 1: (0,)}

    @staticmethod
    def forward(ctx, a, b, dim):
        ctx.dim = dim
        return np.cross(a, b, axis=dim)

    @staticmethod
    def backward(ctx, g):
        # a x b is bilinear: dL/da = b x g, dL/db = g x a
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (linalg_cross(b, g, dim=ctx.dim) if n[0] else None), (linalg_cross(g, a, dim=ctx.dim) if n[1] else None)


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1, out: Tensor | None = None) -> Tensor:
    """Cross product of 3-vectors along dim, broadcasting the other dims."""
    if input._data.ndim != other._data.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions, but got "
                           f"{input._data.ndim} and {other._data.ndim}")
    broadcast_batch(input._data.shape, other._data.shape)
    if input._data.dtype != other._data.dtype:
        raise RuntimeError(f"expected scalar type {_legacy_name(input)} but found {_legacy_name(other)}")
    d = _wrap_dim(dim, input._data.ndim)
    na, nb = input._data.shape[d], other._data.shape[d]
    if na != 3 or nb != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {na} and {nb}")
    res = LinalgCross.apply(input, other, dim=d)
    return res if out is None else write_out(res, out, "linalg.cross")


@declare(out=True)
def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """Cross product along dim (default: the first dim of size 3, deprecated; prefer linalg.cross)."""
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        shape = broadcast_batch(input._data.shape, other._data.shape)
        dim = next((i for i, s in enumerate(shape) if s == 3), -1)
    return linalg_cross(input, other, dim=dim)


@declare(out=True)
def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product: block (i, j) of the result is input[i, j] * other."""
    nd = max(input._data.ndim, other._data.ndim)
    sa = (1,) * (nd - input._data.ndim) + input._data.shape
    sb = (1,) * (nd - other._data.ndim) + other._data.shape
    # interleave the dims (a0, 1, a1, 1, ...) x (1, b0, 1, b1, ...) and merge each pair
    a = input.reshape(tuple(x for s in sa for x in (s, 1)))
    b = other.reshape(tuple(x for s in sb for x in (1, s)))
    return (a * b).reshape(tuple(x * y for x, y in zip(sa, sb)))


def linalg_matrix_power(A: Tensor, n: int, *, out: Tensor | None = None) -> Tensor:
    """A multiplied by itself n times (n < 0 uses the inverse; n = 0 gives the identity)."""
    _check_matrix(A, "linalg.matrix_power")
    if n == 0:
        # the identity, still attached to A's graph (with a zero gradient) as PyTorch's is
        diag = _wrap(xp_of(A._data).eye(A._data.shape[-1], dtype=bool))
        res = A.masked_fill(diag, 1).masked_fill(~diag, 0)
    else:
        base = linalg_inv(A) if n < 0 else A
        res = None
        k = abs(n)
        while k:  # square-and-multiply
            if k & 1:
                res = base if res is None else res.matmul(base)
            k >>= 1
            if k:
                base = base.matmul(base)
        if res is A:  # n == 1: a new tensor, never the input itself
            res = A.clone()
    return res if out is None else write_out(res, out, "linalg.matrix_power")


@declare()
def matrix_power(input: Tensor, n: int) -> Tensor:
    """input @ input @ ... (n times); same as ember.linalg.matrix_power."""
    return linalg_matrix_power(input, n)


def linalg_vecdot(x: Tensor, y: Tensor, *, dim: int = -1, out: Tensor | None = None) -> Tensor:
    """Dot product of vectors along dim, broadcasting the other dims."""
    res = (x * y).sum(dim)
    return res if out is None else write_out(res, out, "linalg.vecdot")
