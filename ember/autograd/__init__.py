"""ember.autograd: reverse-mode automatic differentiation (PyTorch's torch.autograd API)."""

from __future__ import annotations

from . import functional
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from .engine import backward, grad
from .function import Function, FunctionCtx, InplaceFunction, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import Node

__all__ = [
    "backward", "grad", "Function", "FunctionCtx", "InplaceFunction", "once_differentiable", "enable_grad",
    "inference_mode", "is_grad_enabled", "is_inference_mode_enabled", "no_grad", "set_grad_enabled", "Node",
    "Variable", "functional", "detect_anomaly", "set_detect_anomaly", "gradcheck", "gradgradcheck", "GradcheckError",
]


def Variable(data, requires_grad: bool = False, volatile: bool = False):  # noqa: N802 - PyTorch's old name
    """The pre-0.4 wrapper: returns the tensor itself (setting requires_grad), as PyTorch now does."""
    from .._factories import tensor
    from .._tensor import Tensor

    t = data if isinstance(data, Tensor) else tensor(data)
    if requires_grad:
        t.requires_grad_(True)
    return t
