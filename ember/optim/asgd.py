"""ASGD: averaged stochastic gradient descent (keeps a running average `ax` of the parameters)."""

from __future__ import annotations

from collections.abc import Callable

from .optimizer import (
    Optimizer,
    _check_lr,
    _check_weight_decay,
    _decay_weight,
    _grad_array,
    _lr_value,
    _scalar_tensor,
    _update_blocked,
    _with_grad,
    _zeros_like,
)

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged SGD, following `torch.optim.ASGD`."""

    _scalar_state_keys = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd: float = 1e-4, alpha: float = 0.75, t0: float = 1e6,
                 weight_decay: float = 0, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        _check_lr(lr)
        _check_weight_decay(weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        self._check_flags()
        loss = self._run_closure(closure)
        for group in self.param_groups:
            lr, wd = _lr_value(group["lr"]), group["weight_decay"]
            lambd, alpha, t0 = group["lambd"], group["alpha"], group["t0"]
            for p in _with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_tensor()
                    state["eta"] = _scalar_tensor(lr)
                    state["mu"] = _scalar_tensor(1.0)
                    state["ax"] = _zeros_like(p)
                state["step"]._data += 1
                step = state["step"]._data.item()
                # eta and mu live in 0-dim float32 tensors: the update sees their rounded values, as in PyTorch
                eta, mu = state["eta"]._data.item(), state["mu"]._data.item()
                arrays = (p._data, _grad_array(p, group["maximize"]), state["ax"]._data)
                _update_blocked(p, _asgd_update, arrays, eta, mu, lambd, wd)
                state["eta"]._data[...] = lr / ((1 + lambd * lr * step) ** alpha)
                state["mu"]._data[...] = 1 / max(1, step - t0)
        return loss


def _asgd_update(x, g, ax, eta: float, mu: float, lambd: float, wd: float) -> None:
    """One ASGD step on arrays, in place: x (parameter), ax (its running average)."""
    g = _decay_weight(x, g, eta, wd)
    x *= 1 - lambd * eta
    x -= eta * g
    if mu != 1:
        ax += (x - ax) * mu
    else:
        ax[...] = x
