"""Array kernels of N-d convolution (1, 2 or 3 spatial dims): im2col, the forward product, the
weight gradient and col2im (the input gradient, which is also the transposed convolution).

No Python loop runs over batch elements or pixels: the sliding windows are an `as_strided` view of the
padded input, copied once into a column matrix and multiplied by the weight with BLAS. col2im loops only
over the kernel offsets (kh * kw of them), adding one strided slab each time.

Two memory layouts of the column matrix, chosen per call by `batch_last`:
- batch first: cols (N, g, R, P); the copy runs along output rows; good for large images or strides.
- batch last: the input is first transposed to (C, *S, N), cols is (g, R, P * N); for stride 1 the copy
  runs along whole output rows times the batch (long contiguous runs) and one GEMM serves the whole
  batch, which is much faster for small images at large batch (LeNet-sized layers).

Shape legend: N batch, C input channels, O output channels, g groups (Cg = C/g, Og = O/g), S input spatial
sizes, K kernel sizes, L output spatial sizes, P = prod(L), R = Cg * prod(K) (one row of the column matrix),
s stride, p padding, d dilation; every spatial argument is a tuple with one entry per spatial dim.
"""

from __future__ import annotations

import itertools

from ...backend import xp_of


def out_sizes(S, K, s, p, d) -> tuple:
    """Output spatial sizes: floor((S + 2p - d(K - 1) - 1) / s) + 1 per dim."""
    return tuple((Si + 2 * pi - di * (Ki - 1) - 1) // si + 1 for Si, Ki, si, pi, di in zip(S, K, s, p, d))


def batch_last(N: int, L, s) -> bool:
    """Whether the batch-last layout is the faster one (see the module docstring; measured on ResNet shapes)."""
    return N > 1 and s[-1] == 1 and L[-1] <= 64


# Note [conv copies stay on one core]
# Splitting the im2col/transpose copies across cores with ember.backend.parallel was measured (LeNet step,
# batch 64): it cost ~40% more CPU time, because OpenBLAS's own threads spin between GEMMs on the same cores,
# and wall time did not improve on a 2-core machine. The copies below therefore stay single-threaded.


_BAND = 8  # samples per band in _move_batch


def _copy(src):
    """A C-contiguous copy of a strided array (the array itself when it already is one)."""
    return xp_of(src).ascontiguousarray(src)


def _copy_into(dst, src) -> None:
    """dst[...] = src for same-shaped strided arrays."""
    dst[...] = src


def _add_into(dst, src) -> None:
    """dst += src for same-shaped strided arrays."""
    dst += src


def prod(t) -> int:
    """Product of a tuple of ints."""
    out = 1
    for v in t:
        out *= v
    return out


def _inner(S, p) -> tuple:
    """Slices selecting the unpadded part of each padded spatial dim."""
    return tuple(slice(pi, pi + Si) for Si, pi in zip(S, p))


def _padded_first(x, p):
    """x (N, C, *S) with p zeros on both sides of each spatial dim."""
    if not any(p):
        return x
    xp = xp_of(x)
    S = x.shape[2:]
    out = xp.zeros(x.shape[:2] + tuple(Si + 2 * pi for Si, pi in zip(S, p)), dtype=x.dtype)
    _copy_into(out[(slice(None), slice(None)) + _inner(S, p)], x)
    return out


def _padded_last(x, p):
    """x (N, C, *S) transposed to (C, *S, N), with p zeros on both sides of each spatial dim."""
    xp = xp_of(x)
    S = x.shape[2:]
    nd = len(S)
    moved = x.transpose((1,) + tuple(range(2, 2 + nd)) + (0,))
    shape = (x.shape[1],) + tuple(Si + 2 * pi for Si, pi in zip(S, p)) + (x.shape[0],)
    if not any(p):
        out = xp.empty(shape, dtype=x.dtype)
        _move_batch(out, moved)
        return out
    out = xp.zeros(shape, dtype=x.dtype)
    _move_batch(out[(slice(None),) + _inner(S, p)], moved)
    return out


def _move_batch(dst, moved) -> None:
    """dst[...] = moved, where moved's last axis (the batch) is the input's outermost one.

    When samples lie a multiple of 4 KiB apart (32x32 CIFAR images are), a plain copy reads every element
    from a different page of the same cache set and runs ~3x slower; copying bands of 8 samples avoids that.
    """
    N = moved.shape[-1]
    if N <= _BAND or moved.strides[-1] % 4096 != 0:
        _copy_into(dst, moved)
        return
    for n0 in range(0, N, _BAND):
        _copy_into(dst[..., n0:n0 + _BAND], moved[..., n0:n0 + _BAND])


def im2col(x, K, s, p, d, g, last: bool, L=None):
    """The column matrix of x (N, C, *S): (N, g, R, P) batch first, (g, R, P * N) batch last.

    L, when given, keeps only the first L windows per dim (a transposed convolution's output_padding can
    leave trailing input positions that no output uses).
    """
    xp = xp_of(x)
    N, C = x.shape[:2]
    S = x.shape[2:]
    L = out_sizes(S, K, s, p, d) if L is None else tuple(L)
    Cg = C // g
    R = Cg * prod(K)
    if last:
        xt = _padded_last(x, p)
        sC = xt.strides[0]
        sS = xt.strides[1:-1]
        shape = (g, Cg) + tuple(K) + tuple(L) + (N,)
        strides = (sC * Cg, sC) + tuple(a * b for a, b in zip(sS, d)) + tuple(a * b for a, b in zip(sS, s)) + \
            (xt.strides[-1],)
        view = xp.lib.stride_tricks.as_strided(xt, shape, strides, writeable=False)
        return _copy(view).reshape(g, R, prod(L) * N)
    xpad = _padded_first(x, p)
    sN, sC = xpad.strides[:2]
    sS = xpad.strides[2:]
    shape = (N, g, Cg) + tuple(K) + tuple(L)
    strides = (sN, sC * Cg, sC) + tuple(a * b for a, b in zip(sS, d)) + tuple(a * b for a, b in zip(sS, s))
    view = xp.lib.stride_tricks.as_strided(xpad, shape, strides, writeable=False)
    return _copy(view).reshape(N, g, R, prod(L))


def _to_batch_last(y):
    """(N, O, *L) -> contiguous (O, *L, N)."""
    nd = y.ndim - 2
    return _copy(y.transpose((1,) + tuple(range(2, 2 + nd)) + (0,)))


def _from_batch_last(yt):
    """(O, *L, N) -> contiguous (N, O, *L)."""
    nd = yt.ndim - 2
    return _copy(yt.transpose((nd + 1, 0) + tuple(range(1, 1 + nd))))


def conv_forward(x, w, s, p, d, g, L=None):
    """Convolution of x (N, C, *S) with w (O, Cg, *K): (N, O, *L). Returns (y, cols) for reuse in backward."""
    xp = xp_of(x)
    N, O = x.shape[0], w.shape[0]
    K = w.shape[2:]
    L = out_sizes(x.shape[2:], K, s, p, d) if L is None else tuple(L)
    last = batch_last(N, L, s)
    cols = im2col(x, K, s, p, d, g, last, L)
    wm = w.reshape(g, O // g, -1)
    if last:
        y = xp.matmul(wm, cols)  # (g, Og, P * N)
        return _from_batch_last(y.reshape((O,) + L + (N,))), cols
    y = xp.matmul(wm, cols)  # (N, g, Og, P)
    return y.reshape((N, O) + L), cols


def conv_weight_grad(x, gy, K, s, p, d, g, cols=None):
    """Gradient of a convolution with respect to its weight: x (N, C, *S), gy (N, O, *L) -> (O, Cg, *K)."""
    xp = xp_of(x)
    N, O = gy.shape[:2]
    L = gy.shape[2:]
    last = batch_last(N, L, s)
    if cols is None:
        cols = im2col(x, K, s, p, d, g, last, L)
    Cg = x.shape[1] // g
    if last:
        gyt = _to_batch_last(gy).reshape(g, O // g, -1)
        gw = xp.matmul(gyt, cols.transpose(0, 2, 1))  # (g, Og, R)
    else:
        # per-sample products then a sum over the batch: no transposing copy of gy or cols
        gw = xp.matmul(gy.reshape(N, g, O // g, -1), cols.transpose(0, 1, 3, 2)).sum(axis=0)
    return gw.reshape((O, Cg) + tuple(K))


def conv_input_grad(gy, w, S, s, p, d, g):
    """Gradient of a convolution with respect to its input (= transposed convolution of gy): (N, C, *S).

    gy (N, O, *L), w (O, Cg, *K); S, the input's spatial size, fixes what PyTorch calls output_padding.
    """
    xp = xp_of(gy)
    N, O = gy.shape[:2]
    L = gy.shape[2:]
    K = w.shape[2:]
    C = w.shape[1] * g
    wt = w.reshape(g, O // g, -1).transpose(0, 2, 1)  # (g, R, Og)
    full = tuple(Si + 2 * pi for Si, pi in zip(S, p))
    every = slice(None)
    last = batch_last(N, L, s)
    if last:
        cols = xp.matmul(wt, _to_batch_last(gy).reshape(g, O // g, -1))  # (g, R, P * N)
        cols = cols.reshape((C,) + tuple(K) + tuple(L) + (N,))
        gx = xp.zeros((C,) + full + (N,), dtype=cols.dtype)
        lead, tail = (every,), (every,)
    else:
        cols = xp.matmul(wt, gy.reshape(N, g, O // g, -1))  # (N, g, R, P)
        cols = cols.reshape((N, C) + tuple(K) + tuple(L))
        gx = xp.zeros((N, C) + full, dtype=cols.dtype)
        lead, tail = (every, every), ()
    _accumulate(gx, cols, K, L, s, d, lead, tail)
    if any(p):
        gx = gx[lead + _inner(S, p) + tail]
    if last:
        return _from_batch_last(gx)
    return _copy(gx)


def col2im(cols, S, s, p, d):
    """Sum the blocks of cols (N, C, *K, *L) back into an image (N, C, *S) (the adjoint of im2col)."""
    xp = xp_of(cols)
    nd = len(S)
    K, L = cols.shape[2:2 + nd], cols.shape[2 + nd:]
    full = tuple(Si + 2 * pi for Si, pi in zip(S, p))
    gx = xp.zeros(cols.shape[:2] + full, dtype=cols.dtype)
    every = slice(None)
    _accumulate(gx, cols, K, L, s, d, (every, every), ())
    if any(p):
        gx = gx[(every, every) + _inner(S, p)]
    return _copy(gx)


def _accumulate(gx, cols, K, L, s, d, lead, tail) -> None:
    """gx[lead, k*d + l*s, tail] += cols[lead, k, l, tail] for every kernel offset k (a loop of prod(K))."""
    every = (slice(None),) * len(K)
    for k in itertools.product(*(range(Ki) for Ki in K)):
        target = tuple(slice(ki * di, ki * di + si * (Li - 1) + 1, si) for ki, di, si, Li in zip(k, d, s, L))
        _add_into(gx[lead + target + tail], cols[lead + k + every + tail])
