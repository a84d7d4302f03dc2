"""Distances between batches of vectors: cosine_similarity and pairwise_distance."""

from __future__ import annotations

import ember

from ..._tensor import Tensor

__all__ = ["cosine_similarity", "pairwise_distance"]


def _clamped_norm(x: Tensor, dim: int, eps: float) -> Tensor:
    """max(||x||_2, eps) along dim (kept), with the gradient of the unclamped norm, as PyTorch computes it."""
    norm = ember.linalg.vector_norm(x, 2, dim, keepdim=True)
    clamped = norm.detach().clamp_min(eps)
    # PyTorch clamps the norm in place without recording it: the value is clamped, the gradient is the norm's
    return norm + (clamped - norm.detach())


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along dim, after broadcasting x1 and x2."""
    if not (x1.is_floating_point() or x2.is_floating_point()):
        common = ember.promote_types(x1.dtype, x2.dtype)
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is "
                           f"{_legacy_name(common)}")
    shape = _broadcast(tuple(x1.shape), tuple(x2.shape))
    x1, x2 = x1.expand(shape), x2.expand(shape)
    d = dim + len(shape) if dim < 0 else dim
    if not 0 <= d < max(len(shape), 1):
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(len(shape), 1)}, "
                         f"{max(len(shape), 1) - 1}], but got {dim})")
    return ((x1 / _clamped_norm(x1, d, eps)) * (x2 / _clamped_norm(x2, d, eps))).sum(d)


def _broadcast(a: tuple, b: tuple) -> tuple:
    """Broadcast shape of a and b, raising PyTorch's message on a mismatch."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    for i, (p, q) in enumerate(zip(a, b)):
        if p != q and p != 1 and q != 1:
            raise RuntimeError(f"The size of tensor a ({p}) must match the size of tensor b ({q}) at non-singleton "
                               f"dimension {i}")
    return tuple(max(p, q) if p and q else 0 for p, q in zip(a, b))


def _legacy_name(dt) -> str:
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(str(dt).split(".")[-1], str(dt))


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """p-norm of (x1 - x2 + eps) over the last dim: the distance between matching rows of x1 and x2."""
    ndim = max(x1.dim(), x2.dim())
    diff = x1 - x2 + eps
    if ndim == 0:
        return diff.abs() if p != 0 else (diff != 0).to(diff.dtype)
    return ember.linalg.vector_norm(diff, p, ndim - 1, keepdim=keepdim)
