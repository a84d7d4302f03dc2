"""Resizing: interpolate (nearest, nearest-exact, linear, bilinear, bicubic, area), pixel_shuffle/unshuffle.

Every supported mode is separable: one (out_len x in_len) matrix per spatial axis built from PyTorch's
source-index rules (computed in the input's float precision, as PyTorch does), then applied by
_pool_resample's ops. 5-D (volumetric) modes are not implemented.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..._tensor import Tensor
from ...autograd.graph import Op
from ...backend import xp_of
from . import _pool_resample as R
from .pooling import _TORCH_TYPE, adaptive_avg_pool1d, adaptive_avg_pool2d

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle"]

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_OPS = {("nearest", 1): R.UpsampleNearest1dOp, ("nearest", 2): R.UpsampleNearest2dOp,
        ("nearest-exact", 1): R.UpsampleNearestExact1dOp, ("nearest-exact", 2): R.UpsampleNearestExact2dOp,
        ("linear", 1): R.UpsampleLinear1dOp, ("bilinear", 2): R.UpsampleBilinear2dOp,
        ("bicubic", 2): R.UpsampleBicubic2dOp}


def _scale(in_len: int, out_len: int, align_corners: bool, scale, dtype):
    """PyTorch's area_pixel_compute_scale in the computation dtype."""
    if align_corners:
        return dtype.type(in_len - 1) / dtype.type(out_len - 1) if out_len > 1 else dtype.type(0)
    if scale is not None and scale > 0:
        return dtype.type(1.0 / scale)
    return dtype.type(in_len) / dtype.type(out_len)


def _source_index(scale, out_len: int, align_corners: bool, cubic: bool, dtype):
    dst = np.arange(out_len).astype(dtype)
    if align_corners:
        return scale * dst
    src = scale * (dst + dtype.type(0.5)) - dtype.type(0.5)
    return src if cubic else np.maximum(src, dtype.type(0))


def _nearest_index(in_len: int, out_len: int, scale, exact: bool):
    # nearest modes use float32 arithmetic whatever the input dtype (PyTorch's nearest_idx)
    s = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(in_len) / np.float32(out_len)
    dst = np.arange(out_len).astype(np.float32) + (np.float32(0.5) if exact else np.float32(0))
    return np.minimum(np.floor(dst * s).astype(np.int64), in_len - 1)


def _cubic_weights(t, dtype):
    A = dtype.type(-0.75)

    def near(x):  # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    one = dtype.type(1)
    return [far(t + one), near(t), near(one - t), far(one - t + one)]


def _axis_matrix(mode: str, in_len: int, out_len: int, scale, align_corners: bool, dtype):
    """(matrix, take) for one axis: take holds source indices for the nearest modes."""
    if mode in ("nearest", "nearest-exact"):
        take = _nearest_index(in_len, out_len, scale, mode == "nearest-exact")
        return R.matrix_from_taps(out_len, in_len, [take], [np.ones(out_len, dtype)], dtype), take
    s = _scale(in_len, out_len, align_corners, scale, dtype)
    src = _source_index(s, out_len, align_corners, mode == "bicubic", dtype)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_len - 1)
    lam = np.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    if mode == "bicubic":
        taps = [np.clip(i0 - 1 + t, 0, in_len - 1) for t in range(4)]
        return R.matrix_from_taps(out_len, in_len, taps, _cubic_weights(lam, dtype), dtype), None
    i1 = i0 + (i0 < in_len - 1)
    return R.matrix_from_taps(out_len, in_len, [i0, i1], [1 - lam, lam], dtype), None


def _output_size(input: Tensor, size, scale_factor, recompute_scale_factor):
    """(output sizes, scales passed to the kernels) following torch.nn.functional.interpolate."""
    dim = input.dim() - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input with spatial "
                    f"dimensions of {spatial} and output size of {size}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
            sizes = [int(v) for v in size]
        else:
            sizes = [int(size)] * dim
        if recompute_scale_factor:
            raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
        return sizes, [None] * dim
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dim:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but got input with spatial "
                f"dimensions of {spatial} and scale_factor of shape {scale_factor}. Please provide input tensor in "
                "(N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.")
        scales = [float(v) for v in scale_factor]
    else:
        scales = [float(scale_factor)] * dim
    sizes = [math.floor(n * s) for n, s in zip(spatial, scales)]
    return sizes, ([None] * dim if recompute_scale_factor else scales)


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, L) or (N, C, H, W) by size or scale_factor."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if antialias:
        raise NotImplementedError("interpolate(antialias=True) is not supported by ember yet")
    sizes, scales = _output_size(input, size, scale_factor, recompute_scale_factor)
    dim = input.dim() - 2
    if mode == "area":
        pool = {1: adaptive_avg_pool1d, 2: adaptive_avg_pool2d}.get(dim)
        if pool is None:
            raise NotImplementedError(f"interpolate(mode='area') of {input.dim()}D input is not supported by ember")
        return pool(input, sizes[0] if dim == 1 else tuple(sizes))
    needs = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
    if mode in needs and input.dim() != needs[mode]:
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {needs[mode]}D input")
    if input.dim() not in (3, 4, 5) or mode not in ("nearest", "nearest-exact", *needs):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                                  f"for the modes: {_MODES} (got {mode})")
    if input.dim() == 5:
        raise NotImplementedError(f"interpolate(mode='{mode}') of 5D (volumetric) input is not supported by ember")
    if any(n <= 0 for n in sizes):
        names = ("H", "W")[-dim:] if dim == 2 else ("W",)
        ins = ", ".join(f"{a}: {n}" for a, n in zip(names, input.shape[2:]))
        outs = ", ".join(f"{a}: {n}" for a, n in zip(names, sizes))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({ins}) output ({outs})")
    dtype = input._data.dtype
    if dtype.kind != "f":
        kernel = f"upsample_{mode.replace('-', '_')}{dim}d"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{_TORCH_TYPE.get(dtype.name, dtype.name)}\'')
    xp = xp_of(input._data)
    axes = [_axis_matrix(mode, n, o, s, align_corners, dtype) for n, o, s in zip(input.shape[2:], sizes, scales)]
    (mw, tw) = axes[-1]
    mh, th = axes[0] if dim == 2 else (None, None)
    take = {} if tw is None else {"take_h": None if th is None else xp.asarray(th), "take_w": xp.asarray(tw)}
    return _OPS[(mode, dim)].apply(input, mh=None if mh is None else xp.asarray(mh), mw=xp.asarray(mw), **take)


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None) -> Tensor:
    """Deprecated alias of interpolate."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: interpolate(mode='nearest')."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated: interpolate(mode='bilinear', align_corners=True)."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def _shuffle(x, r: int):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r)."""
    *lead, c, H, W = x.shape
    C = c // (r * r)
    y = x.reshape((-1, C, r, r, H, W)).transpose(0, 1, 4, 2, 5, 3)
    return y.reshape(tuple(lead) + (C, H * r, W * r))


def _unshuffle(x, r: int):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    *lead, C, h, w = x.shape
    H, W = h // r, w // r
    y = x.reshape((-1, C, H, r, W, r)).transpose(0, 1, 3, 5, 2, 4)
    return y.reshape(tuple(lead) + (C * r * r, H, W))


class _PixelShuffle(Op):
    name = "PixelShuffleBackward0"

    @staticmethod
    def forward(ctx, x, r):
        ctx.r = r
        return _shuffle(x, r)

    @staticmethod
    def backward(ctx, g):
        return _PixelUnshuffle.apply(g, r=ctx.r)


class _PixelUnshuffle(Op):
    name = "PixelUnshuffleBackward0"

    @staticmethod
    def forward(ctx, x, r):
        ctx.r = r
        return _unshuffle(x, r)

    @staticmethod
    def backward(ctx, g):
        return _PixelShuffle.apply(g, r=ctx.r)


def _check_pixel_args(fn: str, input: Tensor, factor_name: str, factor) -> int:
    """Shared checks of pixel_(un)shuffle: at least 3 dims and a positive factor, returned as an int."""
    r = int(factor)
    if input.dim() < 3:
        raise RuntimeError(f"{fn} expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"{fn} expects a positive {factor_name}, but got {r}")
    return r


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearrange (*, C*r^2, H, W) into (*, C, H*r, W*r)."""
    r = _check_pixel_args("pixel_shuffle", input, "upscale_factor", upscale_factor)
    if input.shape[-3] % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={input.shape[-3]} is not divisible by {r * r}")
    return _PixelShuffle.apply(input, r=r)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """Rearrange (*, C, H*r, W*r) into (*, C*r^2, H, W)."""
    r = _check_pixel_args("pixel_unshuffle", input, "downscale_factor", downscale_factor)
    for axis, name in ((-2, "height"), (-1, "width")):
        if input.shape[axis] % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                               f"input.size({axis})={input.shape[axis]} is not divisible by {r}")
    return _PixelUnshuffle.apply(input, r=r)
