"""F.pad: constant, reflect, replicate and circular padding (PyTorch's semantics, errors and gradients).

`pad` lists (left, right) pairs starting from the last dim. Constant padding with negative amounts crops.
The other modes are gathers along each padded axis with an index vector (reflect: -1 -> 1, replicate:
-1 -> 0, circular: -1 -> n - 1); their gradient is the matching scatter-add, and the two ops are each
other's backward, so higher-order gradients work.
"""

from __future__ import annotations

import numpy as np

from ..._tensor import Tensor
from ...autograd.graph import Op
from ...backend import xp_of

__all__ = ["pad"]


class ConstantPad(Op):
    """Constant padding (negative amounts crop); its gradient is the opposite padding of the gradient."""

    name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, *, pairs, value):
        ctx.pairs = pairs
        shape = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape, pairs))
        out = xp_of(x).full(shape, value, dtype=x.dtype)
        src, dst = [], []
        for n, (lo, hi) in zip(x.shape, pairs):
            start, stop = max(-lo, 0), n - max(-hi, 0)
            length = max(stop - start, 0)
            src.append(slice(start, start + length))
            dst.append(slice(max(lo, 0), max(lo, 0) + length))
        out[tuple(dst)] = x[tuple(src)]
        return out

    @staticmethod
    def backward(ctx, g):
        return ConstantPad.apply(g, pairs=tuple((-lo, -hi) for lo, hi in ctx.pairs), value=0)


def _scatter_axis(g, axis: int, plan):
    """The adjoint of `g.take(idx, axis)`: sums g's entries that came from the same input index."""
    xp = xp_of(g)
    order, starts, targets, size = plan
    summed = xp.add.reduceat(g.take(order, axis=axis), starts, axis=axis)
    if len(targets) == size:  # every input index was used once or more: targets is 0..size-1
        return summed
    shape = list(g.shape)
    shape[axis] = size
    out = xp.zeros(shape, dtype=g.dtype)
    index = [slice(None)] * g.ndim
    index[axis] = targets
    out[tuple(index)] = summed
    return out


_GATHERS: dict = {}  # (mode, number of padded dims) -> op class
_NODE_NAMES = {"reflect": "Reflection", "replicate": "Replication", "circular": "Circular"}


def _gather_op(mode: str, m: int) -> type:
    key = (mode, m)
    if key not in _GATHERS:
        _GATHERS[key] = _build_pair(f"{_NODE_NAMES[mode]}Pad{m}DBackward0")
    return _GATHERS[key]


def _build_pair(name: str) -> type:
    """A gather-along-axes pad op named after PyTorch's node, and its scatter-add adjoint."""

    def gather_forward(ctx, x, *, axes):
        ctx.axes = axes
        for axis, idx, _ in axes:
            x = x.take(idx, axis=axis)
        return x

    def scatter_forward(ctx, g, *, axes):
        ctx.axes = axes
        for axis, _, plan in reversed(axes):
            g = _scatter_axis(g, axis, plan)
        return g

    gather = type("PadGather", (Op,), {"name": name, "forward": staticmethod(gather_forward)})
    scatter = type("PadScatter", (Op,), {"name": name.replace("Backward0", "BackwardBackward0"),
                                         "forward": staticmethod(scatter_forward)})
    gather.backward = staticmethod(lambda ctx, g: scatter.apply(g, axes=ctx.axes))
    scatter.backward = staticmethod(lambda ctx, gg: gather.apply(gg, axes=ctx.axes))
    return gather


def _index(mode: str, n: int, lo: int, hi: int) -> np.ndarray:
    """Input index of each output position along one padded axis."""
    if mode == "circular":  # negative amounts crop first, then the cropped part wraps around
        start, stop = max(-lo, 0), n - max(-hi, 0)
        j = np.arange(-max(lo, 0), stop - start + max(hi, 0))
        return start + j % (stop - start)
    j = np.arange(-lo, n + hi)
    if mode == "reflect":
        j = np.abs(j)
        return (n - 1) - np.abs((n - 1) - j)
    return np.clip(j, 0, n - 1)


def _plan(idx: np.ndarray, size: int) -> tuple:
    """What _scatter_axis needs: a stable sort of idx and where each run of equal indices starts."""
    order = np.argsort(idx, kind="stable")
    sidx = idx[order]
    starts = np.flatnonzero(np.concatenate(([True], sidx[1:] != sidx[:-1])))
    return order, starts, sidx[starts], size


_SUPPORTED = ("Supported combinations for non-constant padding:\n"
              "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
              "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
              "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def _check_pad_arg(pad) -> tuple:
    pad = tuple(pad)
    for i, v in enumerate(pad):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) and not (isinstance(v, Tensor) and v.dim() == 0):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
                            f"{type(v).__name__} at pos {i}")
    return tuple(int(v) for v in pad)


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad) // 2 dims of input; pad = (left_last, right_last, left_prev, right_prev, ...).

    >>> F.pad(ember.ones(1, 2), (1, 1)).tolist()
    [[0.0, 1.0, 1.0, 0.0]]
    """
    pad = _check_pad_arg(pad)
    if len(pad) % 2 != 0:
        raise RuntimeError("Padding length must be divisible by 2")
    m = len(pad) // 2
    ndim = input.dim()
    if m > ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {ndim}")
    pairs = [(0, 0)] * (ndim - m) + [(pad[2 * j], pad[2 * j + 1]) for j in reversed(range(m))]
    if mode == "constant":
        if any(n + lo + hi < 0 for n, (lo, hi) in zip(input.shape, pairs)):
            raise RuntimeError("narrow(): length must be non-negative.")
        return ConstantPad.apply(input, pairs=tuple(pairs), value=0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if m not in (1, 2, 3) or ndim not in (m + 1, m + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {ndim}D input tensor.\n{_SUPPORTED}")
    shape = tuple(input.shape)
    if mode != "circular" and any(n == 0 for n in shape[1:]) or mode == "circular" and 0 in shape[-m:]:
        raise RuntimeError(f"Expected {m + 1}D or {m + 2}D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {list(shape)}")
    axes = []
    for j in range(m):  # j = 0 is the last dim
        axis = ndim - 1 - j
        n = shape[axis]
        lo, hi = pad[2 * j], pad[2 * j + 1]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #{4 + 2 * j}: Padding size should be less than the corresponding input "
                               f"dimension, but got: padding ({lo}, {hi}) at dimension {axis} of input {list(shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if n + lo + hi < 0:
            raise RuntimeError(f"The input size {n}, plus negative padding {lo} and {hi} resulted in a negative "
                               f"output size, which is invalid. Check dimension {axis} of your input.")
        idx = _index(mode, n, lo, hi)
        axes.append((axis, idx, _plan(idx, n)))
    return _gather_op(mode, m).apply(input, axes=tuple(axes))
