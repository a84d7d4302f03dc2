"""Dropout functions of ember.nn.functional: dropout, dropout1d/2d/3d, alpha_dropout, feature_alpha_dropout.

The shared body (`dropout_impl`, with a note on masks and random streams) is in ember/ops/activation.py;
here are PyTorch's signatures, argument checks and the channel-wise variants' shape rules.
"""

from __future__ import annotations

import warnings

from ... import _tensor
from ...ops.activation import dropout_impl

__all__ = ["alpha_dropout", "dropout", "dropout1d", "dropout2d", "dropout3d", "feature_alpha_dropout"]

Tensor = _tensor.Tensor


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_impl(input: Tensor, p: float, training: bool, inplace: bool, feature: bool, alpha: bool) -> Tensor:
    _check_p(p)
    if training and 0.0 < p < 1.0 and not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(f"result type Float can't be cast to the desired output type {input.dtype._legacy[:-6]}")
    return dropout_impl(input, p, training, inplace, feature, alpha)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) (identity when not training)."""
    return _dropout_impl(input, p, training, inplace, feature=False, alpha=False)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout that keeps the zero mean and unit variance of SELU activations."""
    return _dropout_impl(input, p, training, inplace, feature=False, alpha=True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Alpha dropout of whole channels (dim 1) at once."""
    return _dropout_impl(input, p, training, inplace, feature=True, alpha=True)


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool) -> Tensor:
    return _dropout_impl(input, p, training, inplace, feature=True, alpha=False)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of a (N, C, L) or (C, L) input with probability p, scaling the rest by 1 / (1 - p)."""
    _check_p(p)
    ndim = input.dim()
    if ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {ndim}D input. Note that dropout1d "
                           "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _unbatched(input, ndim == 3, p, training, inplace)


def _unbatched(input: Tensor, batched: bool, p: float, training: bool, inplace: bool) -> Tensor:
    """Feature dropout where an unbatched input (C, ...) is treated as a batch of one."""
    if batched:
        return _feature_dropout(input, p, training, inplace)
    if inplace:  # write through a view so that input itself is modified
        _feature_dropout(input.unsqueeze(0), p, training, True)
        return input
    return _feature_dropout(input.unsqueeze(0), p, training, False).squeeze(0)


def _warn_if_unusual_ndim(n: int, ndim: int) -> None:
    """dropout{n}d's deprecation warning for an input that is neither (C, *spatial) nor (N, C, *spatial)."""
    if ndim not in (n + 1, n + 2):
        warnings.warn(f"dropout{n}d: Received a {ndim}-D input to dropout{n}d, which is deprecated and will result "
                      "in an error in a future release. To retain the behavior and silence this warning, please use "
                      f"dropout instead. Note that dropout{n}d exists to provide channel-wise dropout on inputs with "
                      f"{n} spatial dimensions, a channel dimension, and an optional batch dimension (i.e. {n + 1}D "
                      f"or {n + 2}D inputs).", stacklevel=3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of a (N, C, H, W) input with probability p, scaling the rest by 1 / (1 - p)."""
    _check_p(p)
    ndim = input.dim()
    _warn_if_unusual_ndim(2, ndim)
    if ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=2)
    return _feature_dropout(input, p, training, inplace)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of a (N, C, D, H, W) or (C, D, H, W) input with probability p."""
    _check_p(p)
    ndim = input.dim()
    _warn_if_unusual_ndim(3, ndim)
    return _unbatched(input, ndim == 5, p, training, inplace)
