"""Argument handling shared by the pooling functions: int/tuple arguments, output sizes, PyTorch's checks.

Shape legend: N batch, C channels, H/W input height/width, OH/OW output height/width,
kh/kw kernel, sh/sw stride, ph/pw padding, dh/dw dilation.
"""

from __future__ import annotations

from collections.abc import Sequence


def expand(value, n: int, fname: str, argname: str) -> tuple:
    """An int or a length-n sequence of ints as an n-tuple (PyTorch's _pair/_single)."""
    if isinstance(value, Sequence):
        if len(value) == 1:
            value = tuple(value) * n
        if len(value) != n:
            count = {1: "one int", 2: "a tuple of two ints", 3: "a tuple of three ints"}.get(n, f"{n} ints")
            # PyTorch's wording varies by argument: stride may be omitted; dilation's says "must be either"
            lead = {"stride": "must either be omitted, a single int,", "dilation": "must be either a single int,"}.get(
                argname, "must either be a single int,")
            raise RuntimeError(f"{fname}: {argname} {lead} or {count}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def pool_out_size(size: int, k: int, p: int, s: int, d: int, ceil_mode: bool) -> int:
    """Output length of a pooling window sweep; with ceil_mode the last window must start inside input or pad."""
    span = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = span // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def check_pool2d(x_shape: tuple, k: tuple, s: tuple, p: tuple, d: tuple, out: tuple, max_pool: bool) -> None:
    """PyTorch's pool2d_shape_check, with its messages."""
    if min(k) <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} kW: {k[1]}")
    if min(s) <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if min(d) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} dilationW: {d[1]}")
    if min(p) < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(p)}")
    for ki, pi, di in zip(k, p, d):
        if pi > ((ki - 1) * di + 1) // 2:
            raise RuntimeError("pad should be at most half of effective kernel size, but got "
                               f"pad={pi}, kernel_size={ki} and dilation={di if max_pool else 1}")
    if max_pool and not (k[1] // 2 >= p[1] and k[0] // 2 >= p[0]):
        raise RuntimeError("pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {p[1]}, padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
    C, H, W = x_shape[-3:]
    if out[0] < 1 or out[1] < 1:
        raise RuntimeError(f"Given input size: ({C}x{H}x{W}). Calculated output size: ({C}x{out[0]}x{out[1]}). "
                           "Output size is too small")


def check_nonempty(x_shape: tuple, fname: str, batched_dims: int) -> None:
    """Non-batch dimensions must be non-empty (PyTorch's 'with optional 0 dim batch size')."""
    for dim, n in enumerate(x_shape):
        if n == 0 and (dim > 0 or len(x_shape) != batched_dims):
            raise RuntimeError(f"{fname}: Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(x_shape)} with dimension {dim} being empty")
