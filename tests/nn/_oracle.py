"""Module oracle helpers: copy a torch module's state into an ember module and compare the two."""

from __future__ import annotations

import numpy as np
import torch

import ember
from tests.helpers import assert_same


def copy_module(torch_module: torch.nn.Module, ember_module: ember.nn.Module) -> None:
    """Give ember_module the same parameter and buffer values as torch_module (names must match)."""
    t_state = dict(torch_module.named_parameters())
    t_state.update(dict(torch_module.named_buffers()))
    e_state = dict(ember_module.named_parameters())
    e_state.update(dict(ember_module.named_buffers()))
    assert sorted(t_state) == sorted(e_state), f"state names differ: {sorted(t_state)} vs {sorted(e_state)}"
    with ember.no_grad():
        for name, t in t_state.items():
            e_state[name].copy_(ember.from_numpy(t.detach().numpy().copy()))


def compare_modules(torch_module, ember_module, *inputs: np.ndarray, atol=None, rtol=None,
                    grad_atol=None, seed: int = 0) -> None:
    """Same forward output, input gradients and parameter gradients for the same inputs and upstream grad."""
    t_in = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    e_in = [ember.tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    t_out = torch_module(*t_in)
    e_out = ember_module(*e_in)
    assert_same(e_out, t_out, atol=atol, rtol=rtol)
    if not t_out.requires_grad:
        return
    g = np.random.default_rng(seed).standard_normal(tuple(t_out.shape)).astype(t_out.detach().numpy().dtype)
    t_out.backward(torch.tensor(g))
    e_out.backward(ember.tensor(g))
    for e, t in zip(e_in, t_in):
        if t.grad is not None:
            assert_same(e.grad, t.grad, atol=grad_atol or atol, rtol=rtol)
    e_params = dict(ember_module.named_parameters())
    for name, t in torch_module.named_parameters():
        if t.grad is None:
            assert e_params[name].grad is None, f"{name}: ember has a grad, torch has none"
        else:
            assert e_params[name].grad is not None, f"{name}: ember has no grad"
            assert_same(e_params[name].grad, t.grad, atol=grad_atol or atol, rtol=rtol)


def run_both(fn):
    """fn(lib) with lib = torch and lib = ember (the two share an API); returns (torch_result, ember_result)."""
    return fn(torch), fn(ember)


def torch_text(text: str) -> str:
    """Torch's message with its own package name replaced by ember's, as ember words it."""
    return text.replace("torch", "ember")


def same_error(fn, check_message: bool = True) -> None:
    """fn(torch) and fn(ember) both raise the same exception type with the same message (torch -> ember).

    check_message=False compares the type only, for torch messages that carry C++ internals.
    """
    caught = []
    for lib in (torch, ember):
        try:
            fn(lib)
        except Exception as ex:  # noqa: BLE001 - the point is to capture whatever torch raises
            caught.append(ex)
        else:
            caught.append(None)
    t_ex, e_ex = caught
    assert t_ex is not None, "torch raised nothing"
    assert e_ex is not None, f"ember raised nothing; torch raised {type(t_ex).__name__}: {t_ex}"
    assert type(e_ex) is type(t_ex), f"ember raised {type(e_ex).__name__}: {e_ex}; torch {type(t_ex).__name__}: {t_ex}"
    if check_message:
        assert str(e_ex) == torch_text(str(t_ex)), f"messages differ:\n ember: {e_ex}\n torch: {t_ex}"
