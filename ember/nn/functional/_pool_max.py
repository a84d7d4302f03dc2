"""Max pooling kernels and ops: fixed windows (max_pool1d/2d) and adaptive bins (adaptive_max_pool2d).

Arrays are viewed as P planes of H x W (P = product of the leading dims). A window is scanned in
row-major order and PyTorch's index is the first maximum in that order; a NaN wins over any number,
and among NaNs the last one scanned wins (PyTorch's `val > max || isnan(val)`).

Shape legend: P planes, H/W input height/width, OH/OW output height/width, kh/kw kernel,
sh/sw stride, ph/pw padding, dh/dw dilation; `local` is a window offset index i * kw + j.

Note [max pool speed]
NumPy pays per contiguous run, not per element, so short strided runs (stride-2 columns, 5-wide
output rows) are what make a naive window loop slow. The value-only path (inference) reduces the
window rows first, where slices are contiguous inside a row, then takes contiguous copies of the
column phases for the columns. The index path (gradients, return_indices) must follow PyTorch's
row-major tie order, so it gathers every window offset into one contiguous array with a single
strided copy and scans the offsets with arithmetic only (no masked assignment).
"""

from __future__ import annotations

import numpy as np

from ..._tensor import _wrap
from ...autograd.graph import NULL_CTX, Op
from ...backend import xp_of


def lowest(dtype):
    """The value that never wins a max: -inf for floats, the minimum for integers."""
    if dtype.kind == "f":
        return -np.inf
    if dtype.kind == "b":
        return False
    return np.iinfo(dtype).min


def pad_planes(a, value, ph: int, pw: int, Hp: int, Wp: int):
    """a (P, H, W) placed at (ph, pw) in a (P, Hp, Wp) array filled with value (a itself when no pad)."""
    P, H, W = a.shape
    if (Hp, Wp) == (H, W) and ph == pw == 0:
        return a
    xp = xp_of(a)
    out = xp.full((P, Hp, Wp), value, dtype=a.dtype)
    out[:, ph:ph + H, pw:pw + W] = a
    return out


def padded_extent(size: int, k: int, s: int, p: int, d: int, out: int) -> int:
    """Length the padded axis needs so that every window (ceil_mode may add one) lies inside it."""
    return max(size + 2 * p, (out - 1) * s + (k - 1) * d + 1)


def column_phases(a, sw: int, needed) -> dict:
    """Contiguous copies of the column phases a[..., r::sw] for r in needed; see Note [max pool speed]."""
    if sw == 1:
        return {0: a}
    xp = xp_of(a)
    return {r: xp.ascontiguousarray(a[..., r::sw]) for r in sorted(set(needed))}


def window(phases: dict, i: int, j: int, s: tuple, d: tuple, out: tuple):
    """The (P, OH, OW) view at window offset (i, j), read from the column phases of the padded array."""
    (sh, sw), (OH, OW) = s, out
    h0, c = i * d[0], j * d[1]
    w0 = c // sw
    return phases[c % sw][:, h0:h0 + sh * (OH - 1) + 1:sh, w0:w0 + OW]


def max_values(a, k: tuple, s: tuple, d: tuple, out: tuple):
    """Window maxima of a padded (P, Hp, Wp) array, rows first; see Note [max pool speed]."""
    xp = xp_of(a)
    (kh, kw), (sh, sw), (dh, dw), OH = k, s, d, out[0]
    rows = None
    for i in range(kh):
        v = a[:, i * dh:i * dh + sh * (OH - 1) + 1:sh, :]
        rows = v.copy() if rows is None else xp.maximum(rows, v, out=rows)
    phases = column_phases(rows, sw, [j * dw % sw for j in range(kw)])
    best = None
    for j in range(kw):
        v = window(phases, 0, j, (1, sw), d, out)
        best = v.copy() if best is None else xp.maximum(best, v, out=best)
    return best


def window_stack(a, k: tuple, s: tuple, d: tuple, out: tuple):
    """Every window offset of a padded (P, Hp, Wp) array gathered into one contiguous (kh*kw, P*OH*OW) array."""
    xp = xp_of(a)
    (kh, kw), (sh, sw), (dh, dw), (OH, OW) = k, s, d, out
    sp, sr, sc = a.strides
    view = xp.lib.stride_tricks.as_strided(a, shape=(kh, kw, a.shape[0], OH, OW),
                                           strides=(dh * sr, dw * sc, sp, sh * sr, sw * sc))
    return xp.ascontiguousarray(view).reshape(kh * kw, -1)


def max_with_local_index(a, k: tuple, s: tuple, d: tuple, out: tuple):
    """Window maxima and the row-major offset of PyTorch's chosen element, for a padded (P, Hp, Wp) array.

    One gather makes every offset a contiguous row, so the scan below runs on long contiguous runs
    instead of many short strided ones (which cost NumPy per run, not per element).
    """
    xp = xp_of(a)
    kk = k[0] * k[1]
    idx_dtype = np.int8 if kk < 128 else np.int32
    windows = window_stack(a, k, s, d, out)
    nan_aware = False
    while True:
        best = windows[0].copy()
        local = xp.zeros(best.shape, dtype=idx_dtype)
        # masked copies (copyto where=, boolean assignment) are ~10x slower than arithmetic here; offsets
        # are visited in increasing order n, so "local = n where taken" is local = max(local, taken * n)
        for n in range(1, kk):
            v = windows[n]
            take = v > best
            if nan_aware:
                take |= xp.isnan(v)  # PyTorch: a NaN replaces the running max, even another NaN
            xp.maximum(local, xp.multiply(take, idx_dtype(n), dtype=idx_dtype), out=local)
            xp.maximum(best, v, out=best)  # propagates NaN, as PyTorch's values do
        if nan_aware or a.dtype.kind != "f" or not xp.isnan(best).any():
            shape = (a.shape[0],) + tuple(out)
            return best.reshape(shape), local.reshape(shape)
        nan_aware = True  # rare: scan again with PyTorch's NaN rule


def flat_index(local, W: int, k: tuple, s: tuple, p: tuple, d: tuple, out: tuple):
    """PyTorch's indices: position h * W + w in the unpadded plane of each window's chosen element."""
    xp = xp_of(local)
    kw = k[1]
    n = np.arange(k[0] * kw)
    table = xp.asarray((n // kw) * d[0] * W + (n % kw) * d[1], dtype=np.int64)
    oh = xp.arange(out[0], dtype=np.int64) * s[0] - p[0]
    ow = xp.arange(out[1], dtype=np.int64) * s[1] - p[1]
    base = oh[:, None] * W + ow[None, :]
    return table[local] + base


def scatter_to_planes(g, indices, plane_size: int):
    """The (P, plane_size) array with g (P, n) added at indices (P, n); repeated indices accumulate."""
    xp = xp_of(g)
    P = g.shape[0]
    flat = (indices + xp.arange(P, dtype=np.int64)[:, None] * plane_size).ravel()
    gi = xp.zeros(P * plane_size, dtype=g.dtype)
    xp.add.at(gi, flat, g.ravel())  # NumPy >= 2 makes this a fast indexed loop
    return gi.reshape(P, plane_size)


class MaxPool2dOp(Op):
    """Max pooling over the last two dims of (..., H, W); returns (values, indices) when asked or recorded."""

    name = "MaxPool2DWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, out_size, return_indices):
        lead, (H, W) = x.shape[:-2], x.shape[-2:]
        a = x.reshape((-1, H, W))
        Hp = padded_extent(H, kernel[0], stride[0], padding[0], dilation[0], out_size[0])
        Wp = padded_extent(W, kernel[1], stride[1], padding[1], dilation[1], out_size[1])
        a = pad_planes(a, lowest(a.dtype), padding[0], padding[1], Hp, Wp)
        if not return_indices and ctx is NULL_CTX:
            return max_values(a, kernel, stride, dilation, out_size).reshape(lead + out_size)
        values, local = max_with_local_index(a, kernel, stride, dilation, out_size)
        indices = flat_index(local, W, kernel, stride, padding, dilation, out_size).reshape(lead + out_size)
        ctx.indices, ctx.in_shape = indices, x.shape
        values = values.reshape(lead + out_size)
        return (values, indices) if return_indices else values

    @staticmethod
    def backward(ctx, g, *_):
        return MaxPoolBackwardOp.apply(g, indices=ctx.indices, in_shape=ctx.in_shape)


class MaxPoolBackwardOp(Op):
    """Gradient of a max pool: each output gradient goes to the input element its window picked."""

    name = "MaxPool2DWithIndicesBackwardBackward0"

    @staticmethod
    def forward(ctx, g, indices, in_shape):
        ctx.indices, ctx.out_shape = indices, g.shape
        H, W = in_shape[-2:]
        P = int(np.prod(in_shape[:-2], dtype=np.int64))
        n = g.shape[-2] * g.shape[-1]
        gi = scatter_to_planes(g.reshape((P, n)), indices.reshape((P, n)), H * W)
        return gi.reshape(in_shape)

    @staticmethod
    def backward(ctx, gg):
        # the gradient map is linear: its adjoint reads gg at the chosen places
        P = int(np.prod(ctx.out_shape[:-2], dtype=np.int64))
        n = ctx.out_shape[-2] * ctx.out_shape[-1]
        idx = _wrap(ctx.indices.reshape((P, n)))
        return gg.reshape(P, gg.shape[-2] * gg.shape[-1]).gather(1, idx).reshape(ctx.out_shape)


def adaptive_bins(size: int, out: int):
    """PyTorch's adaptive bins: start = floor(i * size / out), end = ceil((i + 1) * size / out)."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    return start, end


class AdaptiveMaxPool2dOp(Op):
    """Adaptive max pooling over (..., H, W); always returns (values, indices)."""

    name = "AdaptiveMaxPool2DBackward0"

    @staticmethod
    def forward(ctx, x, out_size):
        xp = xp_of(x)
        lead, (H, W) = x.shape[:-2], x.shape[-2:]
        a = x.reshape((-1, H, W))
        hs, he = adaptive_bins(H, out_size[0])
        ws, we = adaptive_bins(W, out_size[1])
        best = local_h = local_w = None
        # offsets past a bin's end repeat its last element, which never changes the first maximum
        for i in range(int((he - hs).max())):
            rows = xp.asarray(np.minimum(hs + i, he - 1))
            for j in range(int((we - ws).max())):
                cols = xp.asarray(np.minimum(ws + j, we - 1))
                v = a[:, rows[:, None], cols[None, :]]
                if best is None:
                    best = v
                    local_h = xp.broadcast_to(rows[:, None], v.shape).copy()
                    local_w = xp.broadcast_to(cols[None, :], v.shape).copy()
                    continue
                take = (v > best) | xp.isnan(v) if a.dtype.kind == "f" else v > best
                xp.copyto(best, v, where=take)
                xp.copyto(local_h, xp.broadcast_to(rows[:, None], v.shape), where=take)
                xp.copyto(local_w, xp.broadcast_to(cols[None, :], v.shape), where=take)
        indices = (local_h.astype(np.int64) * W + local_w).reshape(lead + tuple(out_size))
        ctx.indices, ctx.in_shape = indices, x.shape
        return best.reshape(lead + tuple(out_size)), indices

    @staticmethod
    def backward(ctx, g, *_):
        return MaxPoolBackwardOp.apply(g, indices=ctx.indices, in_shape=ctx.in_shape)
