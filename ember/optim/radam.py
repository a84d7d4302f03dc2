"""RAdam: Adam with a rectified adaptive learning rate (plain momentum SGD while the variance is unreliable)."""

from __future__ import annotations

from collections.abc import Callable

from .optimizer import (
    Optimizer,
    _advance_step,
    _check_adam_like,
    _decay_weight,
    _grad_array,
    _scalar,
    _update_blocked,
    _update_moments,
    _with_grad,
)

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam, following `torch.optim.RAdam` (`decoupled_weight_decay=True` gives RAdamW)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        _check_adam_like(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        self._check_flags()
        loss = self._run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, wd, eps = _scalar(group["lr"]), group["weight_decay"], group["eps"]
            for p in _with_grad(group):
                state = self.state[p]
                step = _advance_step(state, p, "exp_avg", "exp_avg_sq")
                bias_correction2 = 1 - beta2 ** step
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                rect = None
                if rho_t > 5.0:  # the variance is tractable: rectified adaptive step
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                decay = (wd, group["decoupled_weight_decay"])
                arrays = (p._data, _grad_array(p, group["maximize"]), state["exp_avg"]._data,
                          state["exp_avg_sq"]._data)
                _update_blocked(p, _radam_update, arrays, lr, beta1, beta2, eps, decay, step, rect)
        return loss


def _radam_update(x, g, m, v, lr: float, beta1: float, beta2: float, eps: float, decay: tuple, step: float,
                  rect: float | None) -> None:
    """One RAdam step on arrays, in place; rect is None while the variance is not yet tractable."""
    g = _decay_weight(x, g, lr, *decay)
    _update_moments(m, v, g, beta1, beta2)
    corrected = m / (1 - beta1 ** step)
    if rect is not None:
        adaptive = (1 - beta2 ** step) ** 0.5 / (v ** 0.5 + eps)
        x -= corrected * lr * adaptive * rect
    else:
        x -= corrected * lr
