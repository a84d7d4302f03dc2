"""Lookup tables: embedding, embedding_bag, and one_hot.

Shape legend: V rows of the weight (num_embeddings), D embedding_dim, R the number of looked-up indices
(input flattened), B the number of bags. `idx` is the flat (R,) int64 index array, `bag` the (R,) bag
number of each index in embedding_bag.
"""

from __future__ import annotations

import numpy as np

import ember

from ..._tensor import Tensor, _wrap
from ...autograd.graph import Op
from ...backend import xp_of

__all__ = ["embedding", "embedding_bag", "one_hot"]

_SPARSE = ("sparse=True (sparse gradients) is not supported by ember; use sparse=False to get a dense "
           "gradient of the weight")


def _row_scale(idx, num_weights: int, padding_idx, scale_grad_by_freq: bool, dtype):
    """(V,) factor applied to each row's gradient: 0 at padding_idx, 1/frequency with scale_grad_by_freq; or None."""
    if padding_idx is None and not scale_grad_by_freq:
        return None
    scale = np.ones(num_weights, dtype)
    if scale_grad_by_freq:
        counts = np.bincount(idx, minlength=num_weights)
        scale /= np.maximum(counts, 1)
    if padding_idx is not None:
        scale[padding_idx] = 0
    return scale


class _Embedding(Op):
    """Rows of the weight picked by an index array (any shape): out[..., :] = weight[idx[...], :]."""

    name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, weight, indices, scale):
        ctx.indices, ctx.num_weights, ctx.scale = indices, weight.shape[0], scale
        return xp_of(weight).take(weight, indices, axis=0)

    @staticmethod
    def backward(ctx, g):
        # d weight[k] = sum of the gradients of the positions that picked row k (times the row's scale)
        return _EmbeddingDense.apply(g, indices=ctx.indices, num_weights=ctx.num_weights, scale=ctx.scale)


class _EmbeddingDense(Op):
    """Scatter-add of per-position gradients into a dense (V, D) weight gradient; the adjoint of _Embedding."""

    name = "EmbeddingDenseBackwardBackward0"

    @staticmethod
    def forward(ctx, g, indices, num_weights, scale):
        ctx.indices, ctx.scale = indices, scale
        xp = xp_of(g)
        d = g.shape[-1]
        out = xp.zeros((num_weights, d), g.dtype)
        xp.add.at(out, indices.reshape(-1), g.reshape(-1, d))
        if scale is not None:
            out *= scale.astype(g.dtype, copy=False)[:, None]
        return out

    @staticmethod
    def backward(ctx, gg):
        if ctx.scale is not None:
            gg = gg * _wrap(ctx.scale.astype(gg._data.dtype, copy=False)[:, None])
        return (_Embedding.apply(gg, indices=ctx.indices, scale=None),)


def _check_indices(input: Tensor, fn: str) -> np.ndarray:
    if input.dtype not in (ember.int64, ember.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {input.type()} instead (while checking arguments for {fn})")
    return input._data.astype(np.int64, copy=False)


def _check_range(idx: np.ndarray, num_weights: int) -> None:
    if idx.size and (idx.min() < 0 or idx.max() >= num_weights):
        raise IndexError("index out of range in self")


def _normalize_padding_idx(padding_idx, num_weights: int):
    if padding_idx is None:
        return None
    if padding_idx >= 0:
        assert padding_idx < num_weights, "Padding_idx must be within num_embeddings"
        return int(padding_idx)
    assert padding_idx >= -num_weights, "Padding_idx must be within num_embeddings"
    return int(padding_idx) + num_weights


def _renorm_rows(weight: Tensor, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Scale in place the looked-up rows whose p-norm exceeds max_norm down to max_norm."""
    rows = np.unique(idx)
    if rows.size == 0:
        return
    w = weight._data
    sub = w[rows]
    norms = np.linalg.norm(sub, ord=norm_type, axis=1) if norm_type != 0 else np.count_nonzero(sub, axis=1)
    over = norms > max_norm
    if over.any():
        w[rows[over]] = sub[over] * (max_norm / (norms[over] + 1e-7))[:, None].astype(w.dtype)
        weight._bump_version()


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of `weight` (num_embeddings, embedding_dim) at the integer indices `input`.

    The gradient of the padding_idx row is zero; max_norm renormalises the looked-up rows of weight in place.
    """
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    num_weights = weight.shape[0]
    padding_idx = _normalize_padding_idx(padding_idx, num_weights)
    idx = _check_indices(input, "embedding")
    _check_range(idx, num_weights)
    if sparse:
        raise NotImplementedError(_SPARSE)
    if max_norm is not None:
        _renorm_rows(weight, idx.reshape(-1), float(max_norm), float(norm_type))
    scale = _row_scale(idx.reshape(-1), num_weights, padding_idx, scale_grad_by_freq, weight._data.dtype)
    return _Embedding.apply(weight, indices=idx, scale=scale)


# -- embedding_bag --------------------------------------------------------------------------------------------
class _EmbeddingBag(Op):
    """Sum, mean or max of the looked-up rows of each bag (a contiguous run of the flat indices)."""

    name = "EmbeddingBagBackward0"
    save = (0, 1)

    @staticmethod
    def forward(ctx, weight, per_sample_weights, idx, bag, num_bags, mode, keep, scale):
        xp = xp_of(weight)
        d = weight.shape[1]
        idx_k, bag_k = idx[keep], bag[keep]
        rows = xp.take(weight, idx_k, axis=0)
        counts = np.bincount(bag_k, minlength=num_bags)
        if mode == "max":
            out = xp.full((num_bags, d), -np.inf, weight.dtype)
            xp.maximum.at(out, bag_k, rows)
            out[counts == 0] = 0
            # the first row of each bag reaching the maximum gets the gradient
            first = xp.where(rows == out[bag_k], xp.arange(len(idx_k))[:, None], len(idx_k))
            arg = xp.full((num_bags, d), len(idx_k), np.int64)
            xp.minimum.at(arg, bag_k, first)
            ctx.arg = arg
        else:
            if per_sample_weights is not None:
                rows = rows * per_sample_weights[keep][:, None]
            out = xp.zeros((num_bags, d), weight.dtype)
            xp.add.at(out, bag_k, rows)
            if mode == "mean":
                out /= np.maximum(counts, 1).astype(weight.dtype)[:, None]
        ctx.idx, ctx.idx_k, ctx.bag_all, ctx.keep, ctx.counts = idx, idx_k, np.maximum(bag, 0), keep, counts
        ctx.mode, ctx.num_weights, ctx.scale = mode, weight.shape[0], scale
        return out

    @staticmethod
    def backward(ctx, g):
        weight, psw = ctx.saved_tensors
        need_w, need_psw = ctx.needs_input_grad
        if ctx.mode == "max":
            return _max_bag_backward(ctx, g), None
        # each index's share of its bag's gradient: 0 outside bags and at padding_idx, 1/count for 'mean'
        factor = ctx.keep.astype(g._data.dtype)
        if ctx.mode == "mean":
            factor /= np.maximum(ctx.counts, 1).astype(factor.dtype)[ctx.bag_all]
        g_rows = g[_wrap(ctx.bag_all)] * _wrap(factor[:, None])  # (R, D)
        dw = dpsw = None
        if need_w:
            contrib = g_rows if psw is None else g_rows * psw.unsqueeze(1)
            dw = _EmbeddingDense.apply(contrib, indices=ctx.idx, num_weights=ctx.num_weights, scale=ctx.scale)
        if need_psw:
            dpsw = (g_rows * _Embedding.apply(weight, indices=ctx.idx, scale=None)).sum(1)
        return dw, dpsw


def _max_bag_backward(ctx, g: Tensor) -> Tensor:
    """Gradient of the weight for mode='max': each bag's gradient goes to the row that gave its maximum."""
    arg = ctx.arg
    num_bags, d = arg.shape
    valid = arg < len(ctx.idx_k)
    bags, cols = np.nonzero(valid)
    target_rows = ctx.idx_k[arg[valid]]
    flat = _wrap(target_rows * d + cols)
    picked = g.reshape(-1)[_wrap(bags * d + cols)]
    dw = ember.zeros(ctx.num_weights * d, dtype=g.dtype).index_add(0, flat, picked)
    return dw.reshape(ctx.num_weights, d)


def _bag_layout(input: Tensor, offsets: Tensor | None, include_last_offset: bool):
    """Flat (R,) indices, (R,) bag numbers (-1: in no bag), the number of bags and the input's shape for checks."""
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {_type_of(offsets)}")
        b, length = input.shape
        idx = _check_indices(input, "embedding_bag").reshape(-1)
        return idx, np.repeat(np.arange(b), length), b
    if input.dim() != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.dim() != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    idx = _check_indices(input, "embedding_bag")
    off = offsets._data.astype(np.int64)
    n = idx.shape[0]
    if off.size and off[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {off[0]}")
    if off.size and off[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of {off[-1]}")
    if np.any(np.diff(off) < 0):
        raise RuntimeError("offsets must be non-decreasing")
    num_bags = len(off) - 1 if include_last_offset else len(off)
    num_bags = max(num_bags, 0)
    ends = np.append(off[1:], n) if not include_last_offset else off[1:]
    bag = np.full(n, -1, np.int64)
    if num_bags:
        lengths = ends[:num_bags] - off[:num_bags]
        positions = np.arange(int(ends[num_bags - 1]) if num_bags else 0)
        bag[positions] = np.repeat(np.arange(num_bags), lengths)
    return idx, bag, num_bags


def _type_of(x) -> str:
    return "<class 'torch.Tensor'>" if isinstance(x, Tensor) else str(type(x))


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """Sum, mean or max of embedding rows per bag; bags are the rows of a 2-D input or runs given by offsets."""
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.size()}) is not None, then it "
                         f"must have the same shape as the input ({input.size()})")
    idx, bag, num_bags = _bag_layout(input, offsets, include_last_offset)
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  f"GitHub.")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if sparse:
        raise NotImplementedError(_SPARSE)
    num_weights = weight.shape[0]
    padding_idx = _normalize_padding_idx(padding_idx, num_weights)
    _check_range(idx, num_weights)
    if max_norm is not None:
        _renorm_rows(weight, idx, float(max_norm), float(norm_type))
    keep = bag >= 0
    if padding_idx is not None:
        keep &= idx != padding_idx
    psw = None if per_sample_weights is None else per_sample_weights.reshape(-1)
    scale = _row_scale(idx[keep], num_weights, None, scale_grad_by_freq, weight._data.dtype)
    return _EmbeddingBag.apply(weight, psw, idx=idx, bag=bag, num_bags=num_bags, mode=mode, keep=keep, scale=scale)


# -- one_hot --------------------------------------------------------------------------------------------------
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: shape tensor.shape + (num_classes,), a 1 at each class index."""
    if tensor.dtype != ember.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    a = tensor._data
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    if a.size:
        if a.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if a.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    elif num_classes < 0:
        raise RuntimeError("Class values must be smaller than num_classes.")
    xp = xp_of(a)
    out = xp.zeros(a.shape + (num_classes,), np.int64)
    xp.put_along_axis(out, a[..., None], 1, axis=-1)
    return _wrap(out)
