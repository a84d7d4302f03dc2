"""Differentiable convolution primitives: Convolution (plain or transposed), its weight gradient, and
Im2Col/Col2Im (unfold/fold). Each backward is written with these same ops, so higher-order gradients work:
the input gradient of a convolution is a transposed convolution and the other way round.

Shape legend as in `_conv_kernels`: x (N, C, *S), w (O, Cg, *K) (transposed: (C_in, O/g, *K)), y (N, O, *L).
"""

from __future__ import annotations

from ...autograd.graph import Op
from . import _conv_kernels as kern

# Column matrices up to this size are kept from the forward pass for the weight gradient, which then
# needs no second im2col; larger ones are rebuilt in backward to bound memory.
_KEEP_COLS_BYTES = 64 * 2**20


def transposed_padding(S, L, K, s, p, d) -> tuple:
    """The output_padding that makes a transposed convolution of size L come out at size S."""
    return tuple(Si - ((Li - 1) * si - 2 * pi + di * (Ki - 1) + 1) for Si, Li, Ki, si, pi, di in zip(S, L, K, s, p, d))


def transposed_sizes(L, K, s, p, d, op) -> tuple:
    """Output sizes of a transposed convolution: (L - 1)s - 2p + d(K - 1) + output_padding + 1."""
    return tuple((Li - 1) * si - 2 * pi + di * (Ki - 1) + oi + 1 for Li, Ki, si, pi, di, oi in zip(L, K, s, p, d, op))


def _bias_dims(nd: int) -> tuple:
    return (0,) + tuple(range(2, 2 + nd))


class Convolution(Op):
    """y = conv(x, w) + b, or its transpose when `transposed` (PyTorch's ConvolutionBackward0 node)."""

    name = "ConvolutionBackward0"
    save = (0, 1)
    save_needed = {0: (1,), 1: (0,)}

    @staticmethod
    def forward(ctx, x, w, b, *, stride, padding, dilation, groups, transposed, output_padding, output_size=None):
        # output_size (plain convolution only) drops trailing windows, for the gradient of a transposed one
        ctx.params = (stride, padding, dilation, groups)
        ctx.transposed = transposed
        if transposed:
            S = transposed_sizes(x.shape[2:], w.shape[2:], stride, padding, dilation, output_padding)
            y = kern.conv_input_grad(x, w, S, stride, padding, dilation, groups)
        else:
            y, cols = kern.conv_forward(x, w, stride, padding, dilation, groups, output_size)
            wants_weight_grad = getattr(ctx, "needs_input_grad", (False, False))[1]  # NULL_CTX has none
            ctx.cols = cols if wants_weight_grad and cols.nbytes <= _KEEP_COLS_BYTES else None
        ctx.sizes = (x.shape[2:], y.shape[2:], w.shape[2:])  # x or w may not be saved
        if b is not None:
            y += b.reshape((1, -1) + (1,) * (y.ndim - 2))
        return y

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        s, p, d, g = ctx.params
        need = ctx.needs_input_grad
        S, L, K = ctx.sizes
        geometry = dict(stride=s, padding=p, dilation=d, groups=g)
        gx = gw = gb = None
        if ctx.transposed:
            # y = conv_transpose(x, w): dx = conv(gy, w), dw = weight gradient of conv(gy) at grad_out x
            if need[0]:
                gx = Convolution.apply(gy, w, None, transposed=False, output_padding=None, output_size=S,
                                        **geometry)
            if need[1]:
                gw = ConvolutionWeight.apply(gy, x, kernel_size=K, cols=None, **geometry)
        else:
            if need[0]:
                op = transposed_padding(S, L, K, s, p, d)
                gx = Convolution.apply(gy, w, None, transposed=True, output_padding=op, **geometry)
            if need[1]:
                cols = getattr(ctx, "cols", None)
                ctx.cols = None  # a retained graph rebuilds it; keeping it would pin memory
                gw = ConvolutionWeight.apply(x, gy, kernel_size=K, cols=cols, **geometry)
        if need[2]:
            gb = gy.sum(_bias_dims(gy.dim() - 2))
        return gx, gw, gb


class ConvolutionWeight(Op):
    """The weight gradient of a convolution, a bilinear function of its input x and grad_output gy."""

    name = "ConvolutionBackwardBackward0"
    save = (0, 1)
    save_needed = {0: (1,), 1: (0,)}

    @staticmethod
    def forward(ctx, x, gy, *, kernel_size, stride, padding, dilation, groups, cols):
        ctx.params = (stride, padding, dilation, groups)
        ctx.sizes = (x.shape[2:], gy.shape[2:])
        return kern.conv_weight_grad(x, gy, kernel_size, stride, padding, dilation, groups, cols)

    @staticmethod
    def backward(ctx, ggw):
        x, gy = ctx.saved_tensors
        s, p, d, g = ctx.params
        S, L = ctx.sizes
        need = ctx.needs_input_grad
        geometry = dict(stride=s, padding=p, dilation=d, groups=g)
        gx = ggy = None
        if need[0]:
            op = transposed_padding(S, L, tuple(ggw.shape[2:]), s, p, d)
            gx = Convolution.apply(gy, ggw, None, transposed=True, output_padding=op, **geometry)
        if need[1]:
            ggy = Convolution.apply(x, ggw, None, transposed=False, output_padding=None,
                                    output_size=L, **geometry)
        return gx, ggy


class Im2Col(Op):
    """unfold: (N, C, H, W) -> (N, C * kh * kw, L), the sliding blocks as columns."""

    name = "Im2ColBackward0"

    @staticmethod
    def forward(ctx, x, *, kernel_size, dilation, padding, stride):
        ctx.params = (kernel_size, dilation, padding, stride)
        ctx.size = x.shape[2:]
        N = x.shape[0]
        cols = kern.im2col(x, kernel_size, stride, padding, dilation, 1, False)
        return cols.reshape(N, cols.shape[2], cols.shape[3])

    @staticmethod
    def backward(ctx, g):
        K, d, p, s = ctx.params
        return Col2Im.apply(g, output_size=ctx.size, kernel_size=K, dilation=d, padding=p, stride=s)


class Col2Im(Op):
    """fold: (N, C * kh * kw, L) -> (N, C, H, W), summing overlapping blocks."""

    name = "Col2ImBackward0"

    @staticmethod
    def forward(ctx, cols, *, output_size, kernel_size, dilation, padding, stride):
        ctx.params = (kernel_size, dilation, padding, stride)
        N = cols.shape[0]
        C = cols.shape[1] // kern.prod(kernel_size)
        L = kern.out_sizes(output_size, kernel_size, stride, padding, dilation)
        return kern.col2im(cols.reshape((N, C) + tuple(kernel_size) + L), output_size, stride, padding, dilation)

    @staticmethod
    def backward(ctx, g):
        K, d, p, s = ctx.params
        return Im2Col.apply(g, kernel_size=K, dilation=d, padding=p, stride=s)
