"""Matrix products: matmul (@), mm, bmm, mv, dot, outer, addmm. All go to BLAS through NumPy."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.grad_mode import STATE
from ..autograd.graph import NULL_CTX, Op
from ._declare import declare


def _same_dtype(a: Tensor, b: Tensor, name: str):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_tn(a)} != {_tn(b)}"
                           if name in ("mm", "matmul", "bmm", "addmm") else
                           f"{name}: expected both inputs to have same dtype, but found {_tn(a)} and {_tn(b)}")


def _tn(t: Tensor) -> str:
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "bool": "bool", "uint8": "unsigned char", "int16": "short int",
            "int8": "signed char"}[t.dtype.name]


def _run(op, a: Tensor, b: Tensor):
    if STATE.enabled and (a._requires_grad or b._requires_grad):
        return op.apply(a, b)
    return _wrap(op.forward(NULL_CTX, a._data, b._data))


class Mm(Op):
    name = "MmBackward0"
    save = (0, 1)
    save_needed = {0: (1,), 1: (0,)}

    @staticmethod
    def forward(ctx, a, b):
        return a @ b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (g.mm(b.t()) if n[0] else None), (a.t().mm(g) if n[1] else None)


@declare(out=True)
def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Matrix product of two 2-d tensors."""
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        bad = input if input._data.ndim != 2 else mat2
        raise RuntimeError(f"{'self' if bad is input else 'mat2'} must be a matrix")
    if input._data.shape[1] != mat2._data.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({input._data.shape[0]}x"
                           f"{input._data.shape[1]} and {mat2._data.shape[0]}x{mat2._data.shape[1]})")
    _same_dtype(input, mat2, "mm")
    return _run(Mm, input, mat2)


class Bmm(Op):
    name = "BmmBackward0"
    save = (0, 1)
    save_needed = {0: (1,), 1: (0,)}

    @staticmethod
    def forward(ctx, a, b):
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (g.bmm(b.transpose(1, 2)) if n[0] else None), (a.transpose(1, 2).bmm(g) if n[1] else None)


@declare(out=True)
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of two 3-d tensors."""
    if input._data.ndim != 3 or mat2._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if input._data.ndim != 3 else "batch2 must be a 3D tensor")
    a, b = input._data.shape, mat2._data.shape
    if a[0] != b[0] or a[2] != b[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a[0]}, {a[2]}] but "
                           f"got: [{b[0]}, {b[1]}].")
    _same_dtype(input, mat2, "bmm")
    return _run(Bmm, input, mat2)


class Mv(Op):
    name = "MvBackward0"
    save = (0, 1)
    save_needed = {0: (1,), 1: (0,)}

    @staticmethod
    def forward(ctx, a, v):
        return a @ v

    @staticmethod
    def backward(ctx, g):
        a, v = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (g.outer(v) if n[0] else None), (a.t().mv(g) if n[1] else None)


@declare(out=True)
def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product."""
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, {vec._data.ndim}")
    if input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input._data.shape[0]}), mat ({input._data.shape[0]}x"
                           f"{input._data.shape[1]}), vec ({vec._data.shape[0]})")
    _same_dtype(input, vec, "mv")
    return _run(Mv, input, vec)


class Dot(Op):
    name = "DotBackward0"
    save = (0, 1)
    save_needed = {0: (1,), 1: (0,)}

    @staticmethod
    def forward(ctx, a, b):
        return np.asarray(np.dot(a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * b, g * a


@declare(out=True)
def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Inner product of two 1-d tensors."""
    if input._data.ndim != 1 or tensor._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {tensor._data.ndim}D tensors")
    if input._data.shape != tensor._data.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input._data.shape[0]}] and src "
                           f"[{tensor._data.shape[0]}] to have the same number of elements, but got "
                           f"{input._data.shape[0]} and {tensor._data.shape[0]} elements respectively")
    if input._data.dtype != tensor._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {input.dtype.name.title()} "
                           f"and {tensor.dtype.name.title()}")
    return _run(Dot, input, tensor)


@declare(out=True)
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-d tensors."""
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = declare("ger", out=True)(outer)


class Matmul(Op):
    """General broadcast batched matmul for >= 3-d operands."""

    name = "UnsafeViewBackward0"
    save = (0, 1)
    save_needed = {0: (1,), 1: (0,)}

    @staticmethod
    def forward(ctx, a, b):
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        ga = g.matmul(b.transpose(-1, -2)) if n[0] else None
        gb = a.transpose(-1, -2).matmul(g) if n[1] else None
        return ga, gb


@declare(out=True)
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with PyTorch's rules for 1-d, 2-d and batched (broadcast) operands."""
    da, db = input._data.ndim, other._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if da == 1 and db == 1:
        return dot(input, other)
    if da == 2 and db == 1:
        return mv(input, other)
    if da == 1 and db == 2:
        return mm(input.unsqueeze(0), other).squeeze(0)
    if da == 2 and db == 2:
        return mm(input, other)
    if da >= 3 and db <= 2:
        # fold batch dims into rows: one BLAS call, as PyTorch does
        a = input
        if db == 1:
            return matmul(a, other.unsqueeze(-1)).squeeze(-1)
        lead = a._data.shape[:-1]
        if a._data.shape[-1] != other._data.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({int(np.prod(lead))}x"
                               f"{a._data.shape[-1]} and {other._data.shape[0]}x{other._data.shape[1]})")
        return mm(a.reshape(-1, a._data.shape[-1]), other).reshape(lead + (other._data.shape[1],))
    a = input.unsqueeze(0) if da == 1 else input
    b = other.unsqueeze(-1) if db == 1 else other
    if a._data.shape[-1] != b._data.shape[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a._data.shape[-3] if a._data.ndim > 2 else 1}, {a._data.shape[-1]}] but got: "
                           f"[{b._data.shape[-3] if b._data.ndim > 2 else 1}, {b._data.shape[-2]}].")
    _same_dtype(a, b, "matmul")
    out = _run(Matmul, a, b)
    if da == 1:
        out = out.squeeze(-2)
    if db == 1:
        out = out.squeeze(-1)
    return out


@declare(inplace=True, out=True)
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2)."""
    prod = mm(mat1, mat2)
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:  # PyTorch ignores input entirely (NaN in input does not propagate)
        return prod
    return (input if beta == 1 else input * beta) + prod
