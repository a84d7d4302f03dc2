"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""

from __future__ import annotations

from collections.abc import Callable

from .optimizer import (
    Optimizer,
    _check_adam_like,
    _decay_weight,
    _grad_array,
    _lr_value,
    _scalar_tensor,
    _update_blocked,
    _update_moments,
    _with_grad,
    _zeros_like,
)

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam, following `torch.optim.NAdam` (`decoupled_weight_decay=True` gives NAdamW)."""

    _scalar_state_keys = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False) -> None:
        _check_adam_like(lr, eps, betas, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        self._check_flags()
        loss = self._run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, wd, eps = _lr_value(group["lr"]), group["weight_decay"], group["eps"]
            momentum_decay = group["momentum_decay"]
            for p in _with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor()
                    state["mu_product"] = _scalar_tensor(1.0)
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                state["step"]._data += 1
                step = state["step"]._data.item()
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                mu_product = state["mu_product"]._data
                mu_product *= mu  # in the state's precision (float32), as PyTorch does
                mu_product = mu_product.item()
                grad_coef = -lr * (1.0 - mu) / (1.0 - mu_product)
                avg_coef = -lr * mu_next / (1.0 - mu_product * mu_next)
                decay = (wd, group["decoupled_weight_decay"])
                arrays = (p._data, _grad_array(p, group["maximize"]), state["exp_avg"]._data,
                          state["exp_avg_sq"]._data)
                _update_blocked(p, _nadam_update, arrays, lr, beta1, beta2, eps, decay, 1 - beta2 ** step, grad_coef,
                                avg_coef)
        return loss


def _nadam_update(x, g, m, v, lr: float, beta1: float, beta2: float, eps: float, decay: tuple,
                  bias_correction2: float, grad_coef: float, avg_coef: float) -> None:
    """One NAdam step on arrays, in place: x (parameter), m/v (moments); the coefficients carry mu."""
    g = _decay_weight(x, g, lr, *decay)
    _update_moments(m, v, g, beta1, beta2)
    denom = (v / bias_correction2) ** 0.5
    denom += eps
    x += grad_coef * g / denom
    x += avg_coef * m / denom
