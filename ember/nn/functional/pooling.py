"""Pooling: max, average, adaptive, power-average and max-unpooling, as torch.nn.functional.

Inputs are batched (N, C, ...) or unbatched (C, ...); the kernels work on any leading dims.
"""

from __future__ import annotations

import numpy as np

from ... import _tensor
from ..._tensor import Tensor
from ...backend import xp_of
from ._checks import require_floating
from ._pool_avg import AvgPool2dOp
from ._pool_max import AdaptiveMaxPool2dOp, MaxPool2dOp
from ._pool_resample import AdaptiveAvgPool2dOp, GlobalAvgPoolOp, adaptive_avg_matrix
from ._pool_utils import check_nonempty, check_pool2d, expand, pool_out_size

_TORCH_TYPE = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}

__all__ = ["max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices", "max_unpool1d",
           "max_unpool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "lp_pool1d", "lp_pool2d"]


def _check_2d_input(input: Tensor, fname: str) -> None:
    if input.dim() not in (3, 4) and fname == "max_pool2d":
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    if input.dim() not in (3, 4) or any(n == 0 for n in input.shape[-3:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:{list(input.shape)}")


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """2-D max pooling over (N, C, H, W) or (C, H, W); with return_indices also the flat argmax per plane."""
    k = expand(kernel_size, 2, "max_pool2d", "kernel_size")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        expand(stride, 2, "max_pool2d", "stride")
    p, d = expand(padding, 2, "max_pool2d", "padding"), expand(dilation, 2, "max_pool2d", "dilation")
    if 0 in s:
        raise RuntimeError("stride should not be zero")
    _check_2d_input(input, "max_pool2d")
    H, W = input.shape[-2:]
    out = (pool_out_size(H, k[0], p[0], s[0], d[0], ceil_mode), pool_out_size(W, k[1], p[1], s[1], d[1], ceil_mode))
    check_pool2d(tuple(input.shape), k, s, p, d, out, max_pool=True)
    return MaxPool2dOp.apply(input, kernel=k, stride=s, padding=p, dilation=d, out_size=out,
                             return_indices=bool(return_indices))


def max_pool2d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices: bool = True):
    """max_pool2d returning (values, indices)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """1-D max pooling over (N, C, L) or (C, L)."""
    (k,) = expand(kernel_size, 1, "max_pool1d", "kernel_size")
    (s,) = (k,) if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        expand(stride, 1, "max_pool1d", "stride")
    (p,), (d,) = expand(padding, 1, "max_pool1d", "padding"), expand(dilation, 1, "max_pool1d", "dilation")
    if input.dim() not in (2, 3) or any(n == 0 for n in input.shape[-2:]):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{list(input.shape)}")
    for name, v in (("kernel_size", k), ("stride", s), ("dilation", d)):
        if v <= 0:
            raise RuntimeError(f"max_pool1d() {name} must be greater than zero, but got {v}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={p} and "
                           f"kernel_size={k}")
    out = pool_out_size(input.shape[-1], k, p, s, d, ceil_mode)
    if out < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")
    require_floating(input, "max_pool1d_impl")
    result = MaxPool2dOp.apply(input.unsqueeze(-2), kernel=(1, k), stride=(1, s), padding=(0, p), dilation=(1, d),
                               out_size=(1, out), return_indices=bool(return_indices))
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


def max_pool1d_with_indices(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices: bool = True):
    """max_pool1d returning (values, indices)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices=True)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:
    """2-D average pooling over (N, C, H, W) or (C, H, W)."""
    k = expand(kernel_size, 2, "avg_pool2d", "kernel_size")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        expand(stride, 2, "avg_pool2d", "stride")
    p = expand(padding, 2, "avg_pool2d", "padding")
    if 0 in s:
        raise RuntimeError("stride should not be zero")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if input.dim() < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(input.dim(), 1)}, "
                         f"{max(input.dim(), 1) - 1}], but got -3)")
    _check_2d_input(input, "avg_pool2d")
    H, W = input.shape[-2:]
    out = (pool_out_size(H, k[0], p[0], s[0], 1, ceil_mode), pool_out_size(W, k[1], p[1], s[1], 1, ceil_mode))
    check_pool2d(tuple(input.shape), k, s, p, (1, 1), out, max_pool=False)
    return AvgPool2dOp.apply(input, kernel=k, stride=s, padding=p, out_size=out,
                             count_include_pad=bool(count_include_pad), divisor_override=divisor_override)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """1-D average pooling over (N, C, L) or (C, L)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           "'self' (while checking arguments for avg_pool1d)")
    (k,) = expand(kernel_size, 1, "avg_pool1d", "kernel_size")
    (s,) = (k,) if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        expand(stride, 1, "avg_pool1d", "stride")
    (p,) = expand(padding, 1, "avg_pool1d", "padding")
    out = avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad)
    return out.squeeze(-2)


def _adaptive_size(output_size, input: Tensor, fname: str) -> tuple:
    if isinstance(output_size, int) or output_size is None:
        output_size = (output_size, output_size)
    if len(output_size) != 2:
        raise RuntimeError(f"{fname}: output_size must be 2")
    H, W = input.shape[-2:]
    return (H if output_size[0] is None else int(output_size[0]), W if output_size[1] is None else int(output_size[1]))


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average over PyTorch's adaptive bins to a fixed (OH, OW)."""
    out = _adaptive_size(output_size, input, "adaptive_avg_pool2d")
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    check_nonempty(tuple(input.shape), "adaptive_avg_pool2d()", 4)
    dtype = input._data.dtype
    if out == (1, 1):
        if dtype.kind != "f":
            return input.mean((-2, -1), keepdim=True)  # raises PyTorch's mean() dtype error
        return GlobalAvgPoolOp.apply(input)  # PyTorch's global-pool shortcut, a mean (MeanBackward1)
    if dtype.kind != "f":
        type_name = _TORCH_TYPE.get(dtype.name, dtype.name)
        raise NotImplementedError(f'"adaptive_avg_pool2d" not implemented for \'{type_name}\'')
    xp = xp_of(input._data)
    H, W = input.shape[-2:]
    mh = xp.asarray(adaptive_avg_matrix(H, out[0], dtype))
    mw = xp.asarray(adaptive_avg_matrix(W, out[1], dtype))
    return AdaptiveAvgPool2dOp.apply(input, mh=mh, mw=mw)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average over PyTorch's adaptive bins of the last dim of (N, C, L) or (C, L)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for argument #1 "
                           "'self' (while checking arguments for adaptive_avg_pool1d)")
    if not isinstance(output_size, int) and len(output_size) != 1:
        raise RuntimeError(f"adaptive_avg_pool1d() argument 'output_size' should contain one int "
                           f"(got {len(output_size)})")
    (size,) = expand(output_size, 1, "adaptive_avg_pool1d", "output_size")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max over PyTorch's adaptive bins to a fixed (OH, OW); with return_indices also the flat argmax."""
    out = _adaptive_size(output_size, input, "adaptive_max_pool2d")
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {list(input.shape)}")
    check_nonempty(tuple(input.shape), "adaptive_max_pool2d()", 4)
    if min(out) < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: "
                           f"{list(input.shape[:-2]) + list(out)}")
    require_floating(input, "adaptive_max_pool2d")
    values, indices = AdaptiveMaxPool2dOp.apply(input, out_size=out)
    return (values, indices) if return_indices else values


def adaptive_max_pool2d_with_indices(input: Tensor, output_size, return_indices: bool = True):
    """adaptive_max_pool2d returning (values, indices)."""
    return adaptive_max_pool2d(input, output_size, return_indices=True)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max over PyTorch's adaptive bins of the last dim of (N, C, L) or (C, L)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_max_pool1d(): Expected 2D or 3D tensor, but got: {list(input.shape)}")
    (size,) = expand(output_size, 1, "adaptive_max_pool1d", "output_size")
    values, indices = adaptive_max_pool2d(input.unsqueeze(-2), (1, size), return_indices=True)
    values, indices = values.squeeze(-2), indices.squeeze(-2)
    return (values, indices) if return_indices else values


def adaptive_max_pool1d_with_indices(input: Tensor, output_size, return_indices: bool = True):
    """adaptive_max_pool1d returning (values, indices)."""
    return adaptive_max_pool1d(input, output_size, return_indices=True)


def lp_pool2d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling: (sum over the window of x^p)^(1/p)."""
    kh, kw = expand(kernel_size, 2, "lp_pool2d", "kernel_size")
    out = avg_pool2d(input.pow(norm_type), (kh, kw), stride if stride is not None else (kh, kw), 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kw * kh).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type, kernel_size, stride=None, ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over the last dim: (sum over the window of x^p)^(1/p)."""
    (k,) = expand(kernel_size, 1, "lp_pool1d", "kernel_size")
    out = avg_pool1d(input.pow(norm_type), k, stride if stride is not None else k, 0, ceil_mode)
    return (out.sign() * out.abs().relu()).mul(k).pow(1.0 / norm_type)


def _unpool_size(input: Tensor, k: tuple, s: tuple, p: tuple, output_size) -> tuple:
    n = len(k)
    default = tuple((input.shape[-n + i] - 1) * s[i] + k[i] - 2 * p[i] for i in range(n))
    if output_size is None:
        return default
    size = tuple(int(v) for v in output_size)
    if len(size) == n + 2 or (len(size) == n + 1 and input.dim() == n + 1):
        size = size[-n:]
        output_size = output_size[-n:]
    if len(size) != n:
        raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} elements, but it has a "
                         f"length of '{len(size)}'")
    for i in range(n):
        lo, hi = default[i] - s[i], default[i] + s[i]
        if not lo < size[i] < hi:
            raise ValueError(f'invalid output_size "{output_size}" (dim {i} must be between {lo} and {hi})')
    return size


def _max_unpool(input: Tensor, indices: Tensor, size: tuple) -> Tensor:
    plane = int(np.prod(size))
    lead = tuple(input.shape[:-len(size)])
    flat_idx = indices.reshape(lead + (-1,))
    idx = flat_idx._data
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        bad = int(idx.max() if idx.max() >= plane else idx.min())
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{'x'.join(str(v) for v in size)})")
    zeros = _tensor._wrap(xp_of(input._data).zeros(lead + (plane,), dtype=input._data.dtype))
    out = zeros.scatter(-1, flat_idx, input.reshape(lead + (-1,)))
    return out.reshape(lead + size)


def _max_unpool_nd(nd: int, input: Tensor, indices: Tensor, kernel_size, stride, padding, output_size) -> Tensor:
    """max_unpool{nd}d: check the arguments, then write the values at their indices."""
    name = f"max_unpool{nd}d"
    k = expand(kernel_size, nd, name, "kernel_size")
    s = k if stride is None else expand(stride, nd, name, "stride")
    p = expand(padding, nd, name, "padding")
    if indices.dtype.name != "int64":
        raise RuntimeError(f"elements in indices should be type int64 but got: {indices.dtype._legacy[:-6]}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}")
    return _max_unpool(input, indices, _unpool_size(input, k, s, p, output_size))


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Partial inverse of max_pool2d: values written at their indices into zeros of the pre-pool size."""
    return _max_unpool_nd(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Partial inverse of max_pool1d."""
    return _max_unpool_nd(1, input, indices, kernel_size, stride, padding, output_size)
