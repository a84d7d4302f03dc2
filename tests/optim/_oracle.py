"""Optimizer oracle: run the same optimizer on the same parameters and gradients in ember and PyTorch."""

from __future__ import annotations

import numpy as np
import torch

import ember

SHAPES = ((3, 4), (5,), (2, 3, 2))
TOLS = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-10, atol=1e-12)}


def to_torch(x):
    """An ember state (tensors nested in dicts/lists/tuples) converted to torch."""
    if isinstance(x, ember.Tensor):
        return torch.tensor(x.detach().numpy().copy())
    if isinstance(x, dict):
        return {k: to_torch(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(to_torch(v) for v in x)
    return x


def to_ember(x):
    """A torch state (tensors nested in dicts/lists/tuples) converted to ember."""
    if isinstance(x, torch.Tensor):
        return ember.tensor(x.detach().numpy().copy())
    if isinstance(x, dict):
        return {k: to_ember(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(to_ember(v) for v in x)
    return x


def make_params(dtype: str, shapes=SHAPES, seed: int = 0):
    """The same initial parameters as (ember list, torch list)."""
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-1, 1, size=s).astype(dtype) for s in shapes]
    return ([ember.tensor(a, requires_grad=True) for a in arrays],
            [torch.tensor(a, requires_grad=True) for a in arrays])


def set_grads(params, lib, step: int, skip=()) -> None:
    """A deterministic gradient that depends on the parameter (a quadratic bowl) plus per-step noise."""
    for i, p in enumerate(params):
        if i in skip:
            p.grad = None
            continue
        a = p.detach().numpy()
        noise = np.random.default_rng(1000 * step + i).uniform(-1, 1, size=a.shape).astype(a.dtype)
        p.grad = lib.tensor((0.7 * a + noise).astype(a.dtype))


def assert_params_close(e_params, t_params, dtype: str, where: str = "") -> None:
    for i, (e, t) in enumerate(zip(e_params, t_params)):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), err_msg=f"param {i} {where}",
                                   **TOLS[dtype])
