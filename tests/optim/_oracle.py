"""Optimizer oracle: run the same optimizer on the same parameters and gradients in ember and PyTorch."""

from __future__ import annotations

import numpy as np
import torch

import ember

SHAPES = ((3, 4), (5,), (2, 3, 2))
TOLS = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-10, atol=1e-12)}


def _convert_tensors(x, tensor_type, make):
    """x with every `tensor_type` inside it (nested in dicts/lists/tuples) replaced by `make` of a copy of its data."""
    if isinstance(x, tensor_type):
        return make(x.detach().numpy().copy())
    if isinstance(x, dict):
        return {k: _convert_tensors(v, tensor_type, make) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_convert_tensors(v, tensor_type, make) for v in x)
    return x


def to_torch(x):
    """An ember state (tensors nested in dicts/lists/tuples) converted to torch."""
    return _convert_tensors(x, ember.Tensor, torch.tensor)


def to_ember(x):
    """A torch state (tensors nested in dicts/lists/tuples) converted to ember."""
    return _convert_tensors(x, torch.Tensor, ember.tensor)


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


def step_both(e_params, e_opt, t_params, t_opt, steps) -> None:
    """Give both libraries' parameters the same gradients and step both optimizers, once per step number."""
    for step in steps:
        set_grads(e_params, ember, step)
        set_grads(t_params, torch, step)
        e_opt.step()
        t_opt.step()


def assert_params_close(e_params, t_params, dtype: str, where: str = "") -> None:
    for i, (e, t) in enumerate(zip(e_params, t_params)):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), err_msg=f"param {i} {where}",
                                   **TOLS[dtype])
