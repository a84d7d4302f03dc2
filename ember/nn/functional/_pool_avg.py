"""Average pooling kernels and ops over (..., H, W).

The window sum is separable: sum the window rows (row-strided slices, contiguous inside a row),
then the columns; the backward spreads g / divisor back the same way. See _pool_max's legend.
"""

from __future__ import annotations

import numpy as np

from ...autograd.graph import Op
from ...backend import xp_of
from ._pool_max import pad_planes, padded_extent


def divisor_factor(size: int, k: int, s: int, p: int, out: int, count_include_pad: bool):
    """Per-output window length along one axis, as PyTorch counts it (pad cells only with count_include_pad)."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    if count_include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def _divisor(in_hw, k, s, p, out, count_include_pad, divisor_override, xp, dtype):
    if divisor_override:
        return divisor_override
    fh = divisor_factor(in_hw[0], k[0], s[0], p[0], out[0], count_include_pad)
    fw = divisor_factor(in_hw[1], k[1], s[1], p[1], out[1], count_include_pad)
    return xp.asarray(fh[:, None] * fw[None, :], dtype=dtype if dtype.kind == "f" else np.int64)


def _divide(total, div):
    if total.dtype.kind == "f":
        return total / div
    # integer inputs: PyTorch divides the integer sum with truncation toward zero
    xp = xp_of(total)
    return (xp.sign(total) * (xp.abs(total) // div)).astype(total.dtype)


def _pool(x, params):
    """The average pool of x, given AvgPool2dOp's saved params."""
    in_shape, kernel, stride, padding, out_size, padded_hw, div = params
    a = pad_planes(x.reshape((-1,) + in_shape[-2:]), 0, padding[0], padding[1], *padded_hw)
    return _divide(window_sums(a, kernel, stride, out_size), div).reshape(in_shape[:-2] + out_size)


def window_sums(a, k: tuple, s: tuple, out: tuple):
    """Sums of the k windows of a padded (P, Hp, Wp) array, stepping by s."""
    xp = xp_of(a)
    (kh, kw), (sh, sw), (OH, OW) = k, s, out
    rows = None
    for i in range(kh):
        v = a[:, i:i + sh * (OH - 1) + 1:sh, :]
        rows = v.copy() if rows is None else xp.add(rows, v, out=rows)
    total = None
    for j in range(kw):
        v = rows[:, :, j:j + sw * (OW - 1) + 1:sw]
        total = v.copy() if total is None else xp.add(total, v, out=total)
    return total


def spread_windows(gs, padded_hw: tuple, k: tuple, s: tuple):
    """Adjoint of window_sums: every window's value added back onto its cells of a (P, Hp, Wp) array."""
    xp = xp_of(gs)
    (kh, kw), (sh, sw) = k, s
    P, OH, OW = gs.shape
    Hp, Wp = padded_hw
    cols = xp.zeros((P, OH, Wp), dtype=gs.dtype)
    for j in range(kw):
        cols[:, :, j:j + sw * (OW - 1) + 1:sw] += gs
    out = xp.zeros((P, Hp, Wp), dtype=gs.dtype)
    for i in range(kh):
        out[:, i:i + sh * (OH - 1) + 1:sh, :] += cols
    return out


class AvgPool2dOp(Op):
    """Average pooling over the last two dims of (..., H, W)."""

    name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, out_size, count_include_pad, divisor_override):
        xp = xp_of(x)
        in_hw = x.shape[-2:]
        Hp = padded_extent(in_hw[0], kernel[0], stride[0], padding[0], 1, out_size[0])
        Wp = padded_extent(in_hw[1], kernel[1], stride[1], padding[1], 1, out_size[1])
        div = _divisor(in_hw, kernel, stride, padding, out_size, count_include_pad, divisor_override, xp, x.dtype)
        ctx.params = params = (x.shape, kernel, stride, padding, out_size, (Hp, Wp), div)
        return _pool(x, params)

    @staticmethod
    def backward(ctx, g):
        return AvgPoolBackwardOp.apply(g, params=ctx.params)


class AvgPoolBackwardOp(Op):
    """Gradient of an average pool: g / divisor spread over each window."""

    name = "AvgPool2DBackwardBackward0"

    @staticmethod
    def forward(ctx, g, params):
        in_shape, kernel, stride, padding, out_size, padded_hw, div = params
        ctx.params = params
        H, W = in_shape[-2:]
        gs = (g / div).astype(g.dtype, copy=False).reshape((-1,) + out_size)
        full = spread_windows(gs, padded_hw, kernel, stride)
        return full[:, padding[0]:padding[0] + H, padding[1]:padding[1] + W].reshape(in_shape)

    @staticmethod
    def backward(ctx, gg):
        # the map g -> grad_input is linear; its adjoint is the average pool itself
        return _AvgPoolAgain.apply(gg, params=ctx.params)


class _AvgPoolAgain(Op):
    """The forward average pool with precomputed parameters (double backward of AvgPoolBackwardOp)."""

    name = "AvgPool2DBackward0"

    @staticmethod
    def forward(ctx, x, params):
        ctx.params = params
        return _pool(x, params)

    @staticmethod
    def backward(ctx, g):
        return AvgPoolBackwardOp.apply(g, params=ctx.params)
