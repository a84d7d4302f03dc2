"""Adam (and its decoupled-weight-decay form used by AdamW), with amsgrad and maximize."""

from __future__ import annotations

from collections.abc import Callable

from .._tensor import Tensor
from ..backend import xp_of
from .optimizer import (
    Optimizer,
    _advance_step,
    _check_betas,
    _check_eps,
    _check_fused,
    _check_lr,
    _check_weight_decay,
    _decay_weight,
    _grad_array,
    _lr_value,
    _scalar,
    _update_blocked,
    _with_grad,
)

__all__ = ["Adam"]


def _check_adam_betas(betas, foreach, capturable) -> None:
    _check_betas(betas)
    if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
            or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
        raise ValueError("betas must be either both floats or both Tensors")
    for i, b in enumerate(betas):
        if isinstance(b, Tensor) and foreach and not capturable:
            raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False and foreach=True")
        if isinstance(b, Tensor) and b.numel() != 1:
            raise ValueError(f"Tensor betas[{i}] must be 1-element")


class Adam(Optimizer):
    """Adam, following `torch.optim.Adam` (`decoupled_weight_decay=True` gives AdamW).

    Example:
        >>> opt = Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0,
                 amsgrad: bool = False, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        _check_lr(lr)
        _check_eps(eps)
        _check_adam_betas(betas, foreach, capturable)
        _check_weight_decay(weight_decay)
        betas = tuple(betas)  # tensors stay tensors in the group, as in PyTorch
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
        _check_fused(fused, differentiable, foreach)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss when a closure is given."""
        self._check_flags()
        loss = self._run_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = (_scalar(b) for b in group["betas"])
            lr, wd, eps = _lr_value(group["lr"]), _scalar(group["weight_decay"]), group["eps"]
            amsgrad, decoupled = group["amsgrad"], group["decoupled_weight_decay"]
            buffers = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if amsgrad else ("exp_avg", "exp_avg_sq")
            for p in _with_grad(group):
                state = self.state[p]
                step = _advance_step(state, p, *buffers)
                arrays = (p._data, _grad_array(p, group["maximize"]), state["exp_avg"]._data,
                          state["exp_avg_sq"]._data, state["max_exp_avg_sq"]._data if amsgrad else None)
                _update_blocked(p, _adam_update, arrays, step, lr, beta1, beta2, eps, wd, decoupled)
        return loss


def _adam_update(p, g, m, v, vmax, step: float, lr: float, beta1: float, beta2: float, eps: float, wd: float,
                 decoupled: bool) -> None:
    """One Adam step on arrays, in place: p (parameter), m/v (moments), vmax (amsgrad's running max)."""
    xp = xp_of(p)
    g = _decay_weight(p, g, lr, wd, decoupled)
    tmp = xp.subtract(g, m)  # m.lerp_(g, 1 - beta1) as m + (1 - beta1) * (g - m)
    tmp *= 1 - beta1
    m += tmp
    v *= beta2
    xp.multiply(g, g, out=tmp)
    tmp *= 1 - beta2
    v += tmp
    if vmax is not None:
        xp.maximum(vmax, v, out=vmax)
        v = vmax
    step_size = lr / (1 - beta1 ** step)
    xp.sqrt(v, out=tmp)
    tmp /= (1 - beta2 ** step) ** 0.5
    tmp += eps
    xp.divide(m, tmp, out=tmp)
    tmp *= -step_size
    p += tmp
