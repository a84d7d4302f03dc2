"""Convolutions: conv1d/2d/3d, conv_transpose1d/2d/3d, unfold and fold (PyTorch's semantics and errors).

The arithmetic lives in `_conv_kernels` (im2col + one BLAS product per call) and the autograd in `_conv_ops`.
Shape legend: input (N, C, *S), weight (O, C/groups, *K), output (N, O, *L).
"""

from __future__ import annotations

import warnings

from ..._tensor import Tensor
from . import _conv_kernels as kern
from ._checks import require_floating
from ._conv_ops import Col2Im, Convolution, Im2Col, transposed_sizes
from .padding import pad as _pad

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "unfold",
           "fold"]

_AXES = ("depth", "height", "width")


def _tuple(value, n: int, name: str) -> tuple:
    """An int or a sequence of 1 or n ints as an n-tuple, with PyTorch's message otherwise."""
    if isinstance(value, int):
        return (value,) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match the "
                           f"convolution dimensions, but got {name}={list(value)}")
    return value


def _size(t) -> str:
    return str(list(t.shape))


def _check_common(input: Tensor, weight: Tensor, bias, nd: int, fname: str, stride, dilation, groups) -> bool:
    """Validate dims, dtypes and geometry shared by plain and transposed convolution; True when unbatched."""
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {fname}, but got "
                           f"input of size: {_size(input)}")
    if weight.dim() != nd + 2:
        raise RuntimeError(f"expected stride to be a single integer value or a list of {weight.dim() - 2} values "
                           f"to match the convolution dimensions, but got stride={list(stride)}")
    # PyTorch checks a plain convolution's bias dtype before its weight's; a transposed one checks the weight first
    bias_first = "transpose" not in fname
    if bias_first and bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_c_type(input)}) and bias type ({_c_type(bias)}) should be the same")
    if input.dtype != weight.dtype:
        if input.dtype.name == "float32" and input.dim() == nd + 2 and input.shape[0] > 1:  # torch's oneDNN path
            raise RuntimeError(f"Input type (torch.{input.dtype._legacy}) and weight type "
                               f"(torch.{weight.dtype._legacy}) should be the same or input should be a MKLDNN "
                               "tensor and weight is a dense tensor")
        raise RuntimeError(f"expected scalar type {_scalar_name(input)} but found {_scalar_name(weight)}")
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_c_type(input)}) and bias type ({_c_type(bias)}) should be the same")
    if any(v <= 0 for v in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(v <= 0 for v in dilation):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    K = tuple(weight.shape[2:])
    if min(K) <= 0:
        if nd == 3:
            raise RuntimeError(f"kernel size should be greater than zero, but got: {' x '.join(map(str, K))} (TxHxW)")
        kh, kw = K if nd == 2 else (1, K[0])
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {kh} kernel_width: {kw}")
    return input.dim() == nd + 1


def _scalar_name(t: Tensor) -> str:
    return t.dtype._legacy[:-len("Tensor")]  # 'Float', 'Double', as PyTorch names dtypes in this error


def _c_type(t: Tensor) -> str:
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int"}.get(
        t.dtype.name, t.dtype.name)


def _check_sizes(input: Tensor, K, s, p, d) -> None:
    S = input.shape[2:]
    padded = tuple(Si + 2 * pi for Si, pi in zip(S, p))
    dilated = tuple(di * (Ki - 1) + 1 for Ki, di in zip(K, d))
    if any(a < b for a, b in zip(padded, dilated)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, dilated))}). Kernel size can't be greater than actual input size")


def _same_padding(K, d) -> tuple:
    """Per dim (left, extra right) zeros that keep the size for stride 1: total d(K - 1), odd extra on the right."""
    return tuple((di * (Ki - 1) // 2, di * (Ki - 1) % 2) for Ki, di in zip(K, d))


def _convnd(input, weight, bias, stride, padding, dilation, groups, nd: int, fname: str) -> Tensor:
    s = _tuple(stride, nd, "stride")
    d = _tuple(dilation, nd, "dilation")
    unbatched = _check_common(input, weight, bias, nd, fname, s, d, groups)
    if unbatched:
        input = input.unsqueeze(0)
    K = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            p = (0,) * nd
        elif padding == "same":
            if any(v != 1 for v in s):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            halves = _same_padding(K, d)
            p = tuple(h[0] for h in halves)
            if any(h[1] for h in halves):  # even kernels: one extra zero on the right, as PyTorch
                warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a "
                              "zero-padded copy of the input be created", UserWarning, stacklevel=3)
                extra = []
                for h in reversed(halves):
                    extra += [0, h[1]]
                input = _pad(input, tuple(extra))
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        p = _tuple(padding, nd, "padding")
        if any(v < 0 for v in p):
            raise RuntimeError("negative padding is not supported")
    _check_groups(input, weight, bias, groups, transposed=False)
    _check_sizes(input, K, s, p, d)
    out = Convolution.apply(input, weight, bias, stride=s, padding=p, dilation=d, groups=groups, transposed=False,
                            output_padding=None)
    return out.squeeze(0) if unbatched else out


def _check_groups(input, weight, bias, groups: int, transposed: bool) -> None:
    O = weight.shape[0]
    if O % groups != 0 and not transposed:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{_size(weight)}] instead")
    channels = input.shape[1]
    if transposed:
        if channels != O:
            raise RuntimeError(f"Given transposed=1, weight of size {_size(weight)}, expected input{_size(input)} to "
                               f"have {O} channels, but got {channels} channels instead")
        outs = weight.shape[1] * groups
        if O % groups != 0:
            raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                               f"but got weight of size [{_size(weight)}] instead")
    else:
        if channels != weight.shape[1] * groups:
            raise RuntimeError(f"Given groups={groups}, weight of size {_size(weight)}, expected input{_size(input)} "
                               f"to have {weight.shape[1] * groups} channels, but got {channels} channels instead")
        outs = O
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != outs):
        raise RuntimeError(f"Given weight of size {_size(weight)}, expected bias to be 1-dimensional with {outs} "
                           f"elements, but got bias of size {_size(bias)} instead")


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """1-d convolution of (N, C, W) or (C, W) input with a (O, C/groups, kW) weight."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """2-d convolution of (N, C, H, W) or (C, H, W) input with a (O, C/groups, kH, kW) weight.

    >>> F.conv2d(ember.ones(1, 1, 3, 3), ember.ones(1, 1, 2, 2)).shape
    ember.Size([1, 1, 2, 2])
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """3-d convolution of (N, C, D, H, W) or (C, D, H, W) input with a (O, C/groups, kD, kH, kW) weight."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, nd: int,
                      fname: str) -> Tensor:
    s = _tuple(stride, nd, "stride")
    d = _tuple(dilation, nd, "dilation")
    unbatched = _check_common(input, weight, bias, nd, fname, s, d, groups)
    if unbatched:
        input = input.unsqueeze(0)
    if isinstance(padding, str):
        raise TypeError(f"{fname}(): argument 'padding' must be tuple of ints, not str")
    p = _tuple(padding, nd, "padding")
    op = _tuple(output_padding, nd, "output_padding")
    if any(v < 0 for v in p):
        raise RuntimeError("negative padding is not supported")
    if any(v < 0 for v in op):
        raise RuntimeError("negative output_padding is not supported")
    if any(o >= si and o >= di for o, si, di in zip(op, s, d)):
        axes = _AXES[-max(nd, 2):]
        parts = [f"output_padding_{a}: {v}" for a, v in zip(axes, ((0,) * (len(axes) - nd)) + op)]
        parts += [f"stride_{a}: {v}" for a, v in zip(axes, ((1,) * (len(axes) - nd)) + s)]
        parts += [f"dilation_{a}: {v}" for a, v in zip(axes, ((1,) * (len(axes) - nd)) + d)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got " + " ".join(parts))
    _check_groups(input, weight, bias, groups, transposed=True)
    K = tuple(weight.shape[2:])
    out_size = transposed_sizes(input.shape[2:], K, s, p, d, op)
    if any(v <= 0 for v in out_size):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, input.shape[2:]))}). Calculated "
                           f"output size per channel: ({' x '.join(map(str, out_size))}). Output size is too small")
    out = Convolution.apply(input, weight, bias, stride=s, padding=p, dilation=d, groups=groups, transposed=True,
                            output_padding=op)
    return out.squeeze(0) if unbatched else out


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-d transposed convolution ("deconvolution"); weight is (C_in, C_out/groups, kW)."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                             "conv_transpose1d")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-d transposed convolution ("deconvolution"); weight is (C_in, C_out/groups, kH, kW)."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                             "conv_transpose2d")


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """3-d transposed convolution ("deconvolution"); weight is (C_in, C_out/groups, kD, kH, kW)."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                             "conv_transpose3d")


def _pair(value, name: str) -> tuple:
    if isinstance(value, int):
        return (value, value)
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * 2
    if len(value) != 2:
        raise RuntimeError(f"{name} must be an int or a tuple of two ints, but got {name}={list(value)}")
    return value


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding blocks of a (N, C, H, W) input as columns: (N, C * kh * kw, L) (im2col)."""
    if input.dim() not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.dim()}D)")
    K, d, p, s = (_pair(kernel_size, "kernel_size"), _pair(dilation, "dilation"), _pair(padding, "padding"),
                  _pair(stride, "stride"))
    unbatched = input.dim() == 3
    if unbatched:
        input = input.unsqueeze(0)
    L = kern.out_sizes(input.shape[2:], K, s, p, d)
    if any(v < 1 for v in L) or any(v <= 0 for v in K + s + d) or any(v < 0 for v in p):
        raise RuntimeError(f"Given input with spatial size {tuple(input.shape[2:])}, kernel_size={K}, dilation={d}, "
                           f"padding={p}, calculated shape of the array of sliding blocks as {L}, but its components "
                           "must be at least one.")
    require_floating(input, "im2col_out_cpu")
    out = Im2Col.apply(input, kernel_size=K, dilation=d, padding=p, stride=s)
    return out.squeeze(0) if unbatched else out


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sum sliding blocks (N, C * kh * kw, L) back into an image (N, C, *output_size) (col2im)."""
    if input.dim() not in (2, 3):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {_size(input)}")
    S, K, d, p, s = (_pair(output_size, "output_size"), _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation"),
                     _pair(padding, "padding"), _pair(stride, "stride"))
    unbatched = input.dim() == 2
    if unbatched:
        input = input.unsqueeze(0)
    if input.shape[1] % kern.prod(K) != 0:
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={input.shape[1]} and kernel_size={K}.")
    L = kern.out_sizes(S, K, s, p, d)
    if any(v < 1 for v in L) or input.shape[2] != kern.prod(L):
        raise RuntimeError(f"Given output_size={S}, kernel_size={K}, dilation={d}, padding={p}, stride={s}, expected "
                           f"size of input's dimension 2 to match the calculated number of sliding blocks "
                           f"{L[0]} * {L[1]} = {kern.prod(L)}, but got input.size(2)={input.shape[2]}.")
    require_floating(input, "col2im_out_cpu")
    out = Col2Im.apply(input, output_size=S, kernel_size=K, dilation=d, padding=p, stride=s)
    return out.squeeze(0) if unbatched else out
