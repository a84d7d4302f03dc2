"""Adafactor: Adam-like steps with a factored (row x column) second-moment estimate for matrices."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._tensor import Tensor, _wrap
from ..backend import xp_of
from .optimizer import Optimizer, _grad_array, _lr_value, _scalar_tensor, _with_grad, _zeros_like

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    """Adafactor, following `torch.optim.Adafactor` (relative step sizes, update clipping by d).

    Example:
        >>> opt = Adafactor(model.parameters(), lr=1e-2)
    """

    def __init__(self, params, lr=1e-2, beta2_decay: float = -0.8, eps: tuple = (None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach: bool | None = None, maximize: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, wd = _lr_value(group["lr"]), group["weight_decay"]  # a tensor lr: its dtype's arithmetic
            eps1, eps2 = group["eps"]
            for p in _with_grad(group):
                if eps1 is None:  # PyTorch takes it from the group's first parameter, then keeps it
                    eps1 = float(np.finfo(p._data.dtype).eps)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor()
                    if p._data.ndim > 1:
                        state["row_var"] = _wrap(_zeros_like(p)._data[..., :1].copy())
                        state["col_var"] = _wrap(_zeros_like(p)._data[..., :1, :].copy())
                    else:
                        state["variance"] = _zeros_like(p)
                state["step"]._data += 1
                step = state["step"]._data.item()
                _adafactor_update(p._data, _grad_array(p, group["maximize"]), state, step, lr, wd, eps1, eps2,
                                  group["beta2_decay"], group["d"])
                p._bump_version()
        return loss


def _lerp(start, end, weight: float) -> None:
    """start.lerp_(end, weight) in place, with PyTorch's two-sided formula (exact at weight 1)."""
    if weight < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)


def _adafactor_update(x, g, state: dict, step: float, lr: float, wd: float, eps1: float, eps2: float,
                      beta2_decay: float, d: float) -> None:
    """One Adafactor step on arrays, in place: x (parameter) and the variance statistics in state."""
    xp = xp_of(x)
    one_minus_beta2 = step ** beta2_decay
    rho = min(lr, 1 / step ** 0.5)
    rms = float(xp.sqrt((x * x).sum())) / x.size ** 0.5 if x.size else 0.0
    alpha = max(eps2, rms) * rho
    if wd != 0:
        x *= 1 - lr * wd
    if g.ndim > 1:
        row_var, col_var = state["row_var"]._data, state["col_var"]._data
        g2 = g * g
        _lerp(row_var, g2.sum(axis=-1, keepdims=True) / g.shape[-1], one_minus_beta2)
        _lerp(col_var, g2.sum(axis=-2, keepdims=True) / g.shape[-2], one_minus_beta2)
        var = xp.matmul(row_var, col_var)
        var /= xp.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
    else:
        variance = state["variance"]._data
        _lerp(variance, g * g, one_minus_beta2)
        var = variance.copy()
    update = 1 / xp.sqrt(xp.maximum(var, eps1 * eps1))
    update *= g
    norm = float(xp.sqrt((update * update).sum()))
    denom = max(1.0, norm / (update.size ** 0.5 * d)) if update.size else 1.0
    x += update * (-alpha / denom)
