"""Rprop: resilient backpropagation, per-element step sizes adapted from the sign of the gradient."""

from __future__ import annotations

from collections.abc import Callable

from ..backend import xp_of
from .optimizer import (
    Optimizer,
    _check_lr,
    _grad_array,
    _scalar,
    _scalar_tensor,
    _update_blocked,
    _with_grad,
    _zeros_like,
)

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop, following `torch.optim.Rprop`."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        self._check_flags()
        loss = self._run_closure(closure)
        for group in self.param_groups:
            for p in _with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor()
                    state["prev"] = _zeros_like(p)
                    state["step_size"] = _zeros_like(p, _scalar(group["lr"]))
                state["step"]._data += 1
                arrays = (p._data, _grad_array(p, group["maximize"]), state["prev"]._data, state["step_size"]._data)
                _update_blocked(p, _rprop_update, arrays, group["etas"], group["step_sizes"])
        return loss


def _rprop_update(x, g, prev, step_size, etas, step_sizes) -> None:
    """One Rprop step on arrays, in place: prev (last gradient kept), step_size (per-element steps)."""
    xp = xp_of(x)
    etaminus, etaplus = etas
    sign = xp.sign(g * prev)
    factor = xp.where(sign > 0, etaplus, xp.where(sign < 0, etaminus, 1)).astype(x.dtype)
    step_size *= factor
    xp.clip(step_size, step_sizes[0], step_sizes[1], out=step_size)
    g = xp.where(sign < 0, 0, g).astype(x.dtype)  # no step (and no memory) after a sign change
    x -= xp.sign(g) * step_size
    prev[...] = g
