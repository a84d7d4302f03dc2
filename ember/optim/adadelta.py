"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from collections.abc import Callable

from .optimizer import (
    Optimizer,
    _advance_step,
    _check_eps,
    _check_lr,
    _check_weight_decay,
    _decay_weight,
    _grad_array,
    _scalar,
    _update_blocked,
    _with_grad,
)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta, following `torch.optim.Adadelta`."""

    def __init__(self, params, lr=1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0,
                 foreach: bool | None = None, *, capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_eps(eps)
        _check_weight_decay(weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, capturable=capturable,
                        foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        self._check_flags()
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, wd, eps, rho = _scalar(group["lr"]), group["weight_decay"], group["eps"], group["rho"]
            for p in _with_grad(group):
                state = self.state[p]
                _advance_step(state, p, "square_avg", "acc_delta")
                arrays = (p._data, _grad_array(p, group["maximize"]), state["square_avg"]._data,
                          state["acc_delta"]._data)
                _update_blocked(p, _adadelta_update, arrays, lr, rho, eps, wd)
        return loss


def _adadelta_update(x, g, sq, acc, lr: float, rho: float, eps: float, wd: float) -> None:
    """One Adadelta step on arrays, in place: sq (mean squared gradient), acc (mean squared update)."""
    g = _decay_weight(x, g, lr, wd)
    sq *= rho
    sq += (1 - rho) * (g * g)
    std = (sq + eps) ** 0.5
    delta = (acc + eps) ** 0.5
    delta /= std
    delta *= g
    acc *= rho
    acc += (1 - rho) * (delta * delta)
    x -= lr * delta
