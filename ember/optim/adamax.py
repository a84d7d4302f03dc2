"""Adamax: Adam with the infinity norm of past gradients in place of the second moment."""

from __future__ import annotations

from collections.abc import Callable

from ..backend import xp_of
from .optimizer import (
    Optimizer,
    _advance_step,
    _check_adam_like,
    _decay_weight,
    _grad_array,
    _lr_value,
    _update_blocked,
    _with_grad,
)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax, following `torch.optim.Adamax`."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 foreach: bool | None = None, *, maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_adam_like(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        self._check_flags()
        loss = self._run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, wd, eps = _lr_value(group["lr"]), group["weight_decay"], group["eps"]
            for p in _with_grad(group):
                state = self.state[p]
                step = _advance_step(state, p, "exp_avg", "exp_inf")
                clr = lr / (1 - beta1 ** step)
                arrays = (p._data, _grad_array(p, group["maximize"]), state["exp_avg"]._data, state["exp_inf"]._data)
                _update_blocked(p, _adamax_update, arrays, clr, beta1, beta2, eps, wd)
        return loss


def _adamax_update(x, g, m, u, clr: float, beta1: float, beta2: float, eps: float, wd: float) -> None:
    """One Adamax step on arrays, in place: x (parameter), m (first moment), u (infinity norm)."""
    xp = xp_of(x)
    g = _decay_weight(x, g, clr, wd)
    m += (1 - beta1) * (g - m)
    u *= beta2
    xp.maximum(u, xp.abs(g) + eps, out=u)
    x -= clr * m / u
