"""F.linear and F.bilinear."""

from __future__ import annotations

from ..._tensor import Tensor
from ...autograd.graph import Op
from ...ops.einsum import einsum
from ...ops.matmul import addmm, matmul

__all__ = ["bilinear", "linear"]


class _AddmmLinear(Op):
    """y = bias + x @ weight.T for a 2-d x in one node (PyTorch records addmm(bias, x, weight.t()))."""

    name = "AddmmBackward0"
    save = (1, 2)
    save_needed = {1: (2,), 2: (1,)}

    @staticmethod
    def forward(ctx, bias, x, weight):
        out = x @ weight.T
        out += bias
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        # dy = dbias + dx W^T + x dW^T
        return (g.sum(0) if need[0] else None, g.mm(weight) if need[1] else None,
                g.t().mm(x) if need[2] else None)


class _MmLinear(Op):
    """y = x @ weight.T for a 2-d x, without bias, in one node."""

    name = "MmBackward0"
    save = (0, 1)
    save_needed = {0: (1,), 1: (0,)}

    @staticmethod
    def forward(ctx, x, weight):
        return x @ weight.T

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need = ctx.needs_input_grad
        return (g.mm(weight) if need[0] else None, g.t().mm(x) if need[1] else None)


def _fast_2d(input: Tensor, weight: Tensor, bias: Tensor | None) -> bool:
    """The common case that the fused nodes handle; anything else takes the general path and its errors."""
    x, w = input._data, weight._data
    if x.ndim != 2 or w.ndim != 2 or x.shape[1] != w.shape[1] or x.dtype != w.dtype or x.dtype.kind != "f":
        return False
    return bias is None or (bias._data.shape == (w.shape[0],) and bias._data.dtype == x.dtype)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight.T + bias, over the last dimension of input."""
    if _fast_2d(input, weight, bias):
        # Note: one fused node instead of addmm(bias, input, weight.t()); the graph has the same
        # node names, but weight hangs directly off it (no TBackward0 node in between).
        return _MmLinear.apply(input, weight) if bias is None else _AddmmLinear.apply(bias, input, weight)
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {input.dim()}D and "
                           f"{weight.dim()}D")
    if input.dim() == 2 and bias is not None:
        return addmm(bias, input, weight.t())
    out = matmul(input, weight.t())
    return out if bias is None else out + bias


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., o] = sum_ij input1[..., i] weight[o, i, j] input2[..., j] + bias[o]."""
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    for i in range(input1.dim() - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got "
                               f"{input1.shape[i]} and {input2.shape[i]}")
    if weight.dim() != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D, got {weight.dim()}-D")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but "
                           f"expected {weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but "
                           f"expected {weight.shape[2]}")
    if bias is not None and bias.shape[0] != weight.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[0]} but "
                           f"expected {weight.shape[0]}")
    out = einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias
