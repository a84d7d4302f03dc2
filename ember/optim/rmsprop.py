"""RMSprop: divide the gradient by a running root-mean-square, optionally centered and with momentum."""

from __future__ import annotations

from collections.abc import Callable

from .optimizer import (
    Optimizer,
    _check_eps,
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

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, following `torch.optim.RMSprop`."""

    def __init__(self, params, lr=1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0,
                 momentum: float = 0, centered: bool = False, capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        _check_lr(lr)
        _check_eps(eps)
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        _check_weight_decay(weight_decay)
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
                        capturable=capturable, foreach=foreach, maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        self._check_flags()
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, wd, eps = _scalar(group["lr"]), group["weight_decay"], group["eps"]
            alpha, momentum, centered = group["alpha"], group["momentum"], group["centered"]
            for p in _with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor()
                    state["square_avg"] = _zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = _zeros_like(p)
                    if centered:
                        state["grad_avg"] = _zeros_like(p)
                state["step"]._data += 1
                arrays = (p._data, _grad_array(p, group["maximize"]), state["square_avg"]._data,
                          state["grad_avg"]._data if centered else None,
                          state["momentum_buffer"]._data if momentum > 0 else None)
                _update_blocked(p, _rmsprop_update, arrays, lr, alpha, eps, wd, momentum)
        return loss


def _rmsprop_update(x, g, sq, ga, buf, lr: float, alpha: float, eps: float, wd: float, momentum: float) -> None:
    """One RMSprop step on arrays, in place: sq (mean square), ga (mean, if centered), buf (momentum)."""
    g = _decay_weight(x, g, lr, wd)
    sq *= alpha
    sq += (1 - alpha) * (g * g)
    if ga is not None:
        ga += (1 - alpha) * (g - ga)
        avg = (sq - ga * ga) ** 0.5
    else:
        avg = sq ** 0.5
    avg += eps
    if buf is not None:
        buf *= momentum
        buf += g / avg
        x -= lr * buf
    else:
        x -= lr * g / avg
