"""SGD: stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Callable

from .optimizer import (
    Optimizer,
    _check_fused,
    _check_lr,
    _check_weight_decay,
    _decay_weight,
    _grad_array,
    _scalar,
    _update_blocked,
    _with_grad,
    _zeros_like,
)

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), following `torch.optim.SGD`.

    Example:
        >>> opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, momentum: float = 0, dampening: float = 0, weight_decay=0,
                 nesterov: bool = False, *, maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        _check_lr(lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        _check_weight_decay(weight_decay)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        _check_fused(fused, differentiable, foreach)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        self._check_flags()
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr = _scalar(group["lr"])
            wd = _scalar(group["weight_decay"])
            momentum, dampening = group["momentum"], group["dampening"]
            for p in _with_grad(group):
                g = _grad_array(p, group["maximize"])
                buf, fresh = None, False
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    fresh = buf is None
                    if fresh:
                        buf = state["momentum_buffer"] = _zeros_like(p)
                arrays = (p._data, g, None if buf is None else buf._data)
                _update_blocked(p, _sgd_update, arrays, lr, wd, momentum, dampening, group["nesterov"], fresh)
        return loss


def _sgd_update(x, g, buf, lr: float, wd: float, momentum: float, dampening: float, nesterov: bool,
                fresh_buf: bool) -> None:
    """One SGD step on arrays, in place: x (parameter), buf (momentum buffer; None without momentum)."""
    g = _decay_weight(x, g, lr, wd)
    if buf is not None:
        if fresh_buf:  # the first step starts the buffer at the gradient
            buf[...] = g
        else:
            buf *= momentum
            buf += g if dampening == 0 else (1 - dampening) * g
        g = g + momentum * buf if nesterov else buf
    x -= lr * g
