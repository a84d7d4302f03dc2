"""Separable linear resampling of (..., H, W) planes: out = Mh @ plane @ Mw^T.

Adaptive average pooling and linear/bicubic/nearest interpolation are all such maps, each given by
one small matrix per axis (out_len x in_len). The forward is two BLAS products (nearest takes rows
and columns instead, so non-finite inputs stay local); the backward is the same map with the
transposed matrices, and the backward of that is the forward again, so higher-order gradients work.
"""

from __future__ import annotations

import numpy as np

from ...autograd.graph import Op
from ...backend import xp_of


def apply_separable(x, mh, mw, take_h=None, take_w=None):
    """Mh @ plane @ Mw^T for every plane of x (..., H, W); take_h/take_w select rows/columns instead.

    With mh None the map is 1-D: x (..., W) -> (..., OW).
    """
    xp = xp_of(x)
    if mh is None:
        if take_w is not None:
            return xp.take(x, take_w, axis=-1)
        return (x.reshape((-1, x.shape[-1])) @ mw.T).reshape(x.shape[:-1] + (mw.shape[0],))
    lead, (H, W) = x.shape[:-2], x.shape[-2:]
    OH, OW = mh.shape[0], mw.shape[0]
    if take_h is not None:
        out = xp.take(xp.take(x.reshape((-1, H, W)), take_h, axis=1), take_w, axis=2)
        return out.reshape(lead + (OH, OW))
    P = int(np.prod(lead, dtype=np.int64))
    t = x.reshape((P * H, W)) @ mw.T  # (P*H, OW)
    t = t.reshape((P, H, OW)).transpose(0, 2, 1).reshape((P * OW, H)) @ mh.T  # (P*OW, OH)
    return xp.ascontiguousarray(t.reshape((P, OW, OH)).transpose(0, 2, 1)).reshape(lead + (OH, OW))


class SeparableOp(Op):
    """A separable linear map of the last two dims; subclasses carry PyTorch's node names."""

    name = "SeparableBackward0"
    adjoint: type

    @staticmethod
    def forward(ctx, x, mh, mw, take_h=None, take_w=None):
        ctx.mats = (mh, mw)
        return apply_separable(x, mh, mw, take_h, take_w)

    @classmethod
    def _backward_of(cls, ctx, g):
        mh, mw = ctx.mats
        return cls.adjoint.apply(g, mh=None if mh is None else mh.T, mw=mw.T)


def _separable_pair(node: str) -> type:
    """An op named `node` whose backward is a named adjoint op, whose backward is the op again."""
    fwd = type(node, (SeparableOp,), {"name": node})
    adj = type(node + "Backward", (SeparableOp,), {"name": node.replace("Backward0", "BackwardBackward0")})
    fwd.backward = staticmethod(lambda ctx, g: fwd._backward_of(ctx, g))
    adj.backward = staticmethod(lambda ctx, g: adj._backward_of(ctx, g))
    fwd.adjoint, adj.adjoint = adj, fwd
    return fwd


AdaptiveAvgPool2dOp = _separable_pair("AdaptiveAvgPool2DBackward0")
UpsampleNearest1dOp = _separable_pair("UpsampleNearest1DBackward0")
UpsampleNearest2dOp = _separable_pair("UpsampleNearest2DBackward0")
UpsampleNearestExact1dOp = _separable_pair("UpsampleNearestExact1DBackward0")
UpsampleNearestExact2dOp = _separable_pair("UpsampleNearestExact2DBackward0")
UpsampleLinear1dOp = _separable_pair("UpsampleLinear1DBackward0")
UpsampleBilinear2dOp = _separable_pair("UpsampleBilinear2DBackward0")
UpsampleBicubic2dOp = _separable_pair("UpsampleBicubic2DBackward0")


def matrix_from_taps(out_len: int, in_len: int, idx, weights, dtype):
    """The (out_len, in_len) matrix with weights[t][o] added at (o, idx[t][o])."""
    m = np.zeros((out_len, in_len), dtype=dtype)
    rows = np.arange(out_len)
    for i, w in zip(idx, weights):
        np.add.at(m, (rows, i), w)
    return m


def adaptive_avg_matrix(in_len: int, out_len: int, dtype):
    """Averaging over PyTorch's adaptive bins [floor(i*in/out), ceil((i+1)*in/out))."""
    i = np.arange(out_len)
    start, end = (i * in_len) // out_len, -((-(i + 1) * in_len) // out_len)
    cols = np.arange(in_len)
    inside = (cols[None, :] >= start[:, None]) & (cols[None, :] < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class GlobalAvgPoolOp(Op):
    """Mean over the last two dims, kept as 1 x 1 (adaptive_avg_pool2d to 1); a BLAS mat-vec beats a reduce."""

    name = "MeanBackward1"

    @staticmethod
    def forward(ctx, x):
        xp = xp_of(x)
        lead, (H, W) = x.shape[:-2], x.shape[-2:]
        ctx.in_shape = x.shape
        if H * W == 0:
            return xp.full(lead + (1, 1), np.nan, dtype=x.dtype)
        weights = xp.full(H * W, 1.0 / (H * W), dtype=x.dtype)
        return (x.reshape((-1, H * W)) @ weights).reshape(lead + (1, 1))

    @staticmethod
    def backward(ctx, g):
        H, W = ctx.in_shape[-2:]
        return g.expand(ctx.in_shape) / (H * W)
