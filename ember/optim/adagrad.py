"""Adagrad: per-element learning rates shrinking with the sum of squared past gradients."""

from __future__ import annotations

from collections.abc import Callable

from .optimizer import (
    Optimizer,
    _advance_step,
    _check_eps,
    _check_fused,
    _check_lr,
    _check_weight_decay,
    _decay_weight,
    _grad_array,
    _scalar,
    _scalar_tensor,
    _update_blocked,
    _with_grad,
    _zeros_like,
)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, following `torch.optim.Adagrad` (state is created for every parameter at construction)."""

    def __init__(self, params, lr=1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None) -> None:
        _check_lr(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        _check_weight_decay(weight_decay)
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        _check_eps(eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        _check_fused(fused, differentiable, foreach)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p) -> None:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _scalar_tensor()
            # PyTorch takes the constructor's value here, also for groups added later
            state["sum"] = _zeros_like(p, self.defaults["initial_accumulator_value"])

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        self._check_flags()
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, wd, eps, lr_decay = _scalar(group["lr"]), group["weight_decay"], group["eps"], group["lr_decay"]
            for p in _with_grad(group):
                self._init_state(p)
                state = self.state[p]
                step = _advance_step(state, p)
                clr = lr / (1 + (step - 1) * lr_decay)
                arrays = (p._data, _grad_array(p, group["maximize"]), state["sum"]._data)
                _update_blocked(p, _adagrad_update, arrays, clr, eps, wd)
        return loss


def _adagrad_update(x, g, total, clr: float, eps: float, wd: float) -> None:
    """One Adagrad step on arrays, in place: total (sum of squared gradients)."""
    g = _decay_weight(x, g, clr, wd)
    total += g * g
    std = total ** 0.5
    std += eps
    x -= clr * g / std
