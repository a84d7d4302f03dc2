"""Module hook machinery: global module hooks, hook handles, and full backward (pre-)hooks.

A module with backward hooks wraps the tensors of each call in an identity node on the way in and
one on the way out (`_HookIdentity`); their backward passes hand the gradients to `_BackwardHookState`,
which calls the hooks with PyTorch's grad_input / grad_output tuples and lets them replace the gradients.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable

from ..._tensor import Tensor
from ...autograd.graph import Op
from ...utils.hooks import RemovableHandle

_global_forward_hooks: dict = OrderedDict()
_global_forward_hooks_with_kwargs: dict = {}
_global_forward_hooks_always_called: dict = {}
_global_forward_pre_hooks: dict = OrderedDict()
_global_backward_hooks: dict = OrderedDict()
_global_backward_pre_hooks: dict = OrderedDict()
# Note [module call fast path]: one flag says whether any of the dicts above holds a hook; it lives in a
# one-element list so that module.py reads the current value without a function call.
any_global_hooks = [False]


def _refresh_global_flag() -> None:
    any_global_hooks[0] = bool(_global_forward_hooks or _global_forward_pre_hooks or _global_backward_hooks
                               or _global_backward_pre_hooks)


class _GlobalHookHandle(RemovableHandle):
    """A handle to a global module hook; removing it refreshes the fast-path flag."""

    def remove(self) -> None:
        super().remove()
        _refresh_global_flag()


def _add_global_hook(registry: dict, hook: Callable, *flag_dicts: dict) -> RemovableHandle:
    handle = _GlobalHookHandle(registry, extra_dict=flag_dicts)
    registry[handle.id] = hook
    for d in flag_dicts:
        d[handle.id] = True
    _refresh_global_flag()
    return handle


def register_module_forward_pre_hook(hook: Callable) -> RemovableHandle:
    """Register hook(module, args) to run before every module's forward."""
    return _add_global_hook(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook: Callable, *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """Register hook(module, args, output) to run after every module's forward (before the modules' own)."""
    flags = ((_global_forward_hooks_with_kwargs,) if with_kwargs else ()) + \
        ((_global_forward_hooks_always_called,) if always_call else ())
    return _add_global_hook(_global_forward_hooks, hook, *flags)


def register_module_full_backward_pre_hook(hook: Callable) -> RemovableHandle:
    """Register hook(module, grad_output) to run for every module when its output gradients arrive."""
    return _add_global_hook(_global_backward_pre_hooks, hook)


def register_module_full_backward_hook(hook: Callable) -> RemovableHandle:
    """Register hook(module, grad_input, grad_output) to run for every module in backward."""
    return _add_global_hook(_global_backward_hooks, hook)


class _ModuleHookHandle(RemovableHandle):
    """A hook handle that also refreshes the module's has-hooks flag when removed."""

    def __init__(self, module, registry: dict, flag_dicts: tuple) -> None:
        super().__init__(registry, extra_dict=flag_dicts)
        self._module = module

    def remove(self) -> None:
        super().remove()
        self._module._update_has_hooks()


class _HookIdentity(Op):
    """Identity on a module's tensors whose backward reports the gradients to the module's backward hooks."""

    name = "BackwardHookFunctionBackward"

    @staticmethod
    def forward(ctx, *arrays, state, role):
        ctx.state, ctx.role = state, role
        if role == "output":
            ctx.set_materialize_grads(False)  # an output that got no gradient shows as None in grad_output, as in torch
        return arrays

    @staticmethod
    def backward(ctx, *grads):
        if ctx.role == "output":
            return ctx.state.on_grad_output(grads)
        return ctx.state.on_grad_input(grads)


def _grad_positions(values: tuple) -> list[int]:
    return [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]


class _BackwardHookState:
    """Carries gradients from one call's outputs to its inputs for full backward (pre-)hooks.

    Only the tensors that require grad pass through _HookIdentity; the hooks see one entry per positional
    input (None for non-tensors, zeros for tensors that need no grad) and one per output (None where no
    gradient arrived), as PyTorch's BackwardHook does.
    """

    def __init__(self, module) -> None:
        self.module = module
        self.grad_output: tuple = ()
        self.inputs: tuple = ()
        self.input_pos: list[int] = []
        self.n_outputs = 0
        self.output_pos: list[int] = []

    def wrap_inputs(self, args: tuple) -> tuple:
        self.inputs = args
        self.input_pos = _grad_positions(args)
        return self._wrap(args, self.input_pos, "input")

    def wrap_outputs(self, output):
        single = isinstance(output, Tensor)
        values = (output,) if single else output
        if not isinstance(values, tuple):
            return output
        self.n_outputs = len(values)
        self.output_pos = _grad_positions(values)
        values = self._wrap(values, self.output_pos, "output")
        return values[0] if single else values

    def _wrap(self, values: tuple, positions: list[int], role: str) -> tuple:
        if not positions:
            return values
        wrapped = _HookIdentity.apply(*(values[i] for i in positions), state=self, role=role)
        if isinstance(wrapped, Tensor):
            wrapped = (wrapped,)
        out = list(values)
        for i, w in zip(positions, wrapped):
            out[i] = w
        return tuple(out)

    def _pre_hooks(self) -> list:
        return [*_global_backward_pre_hooks.values(), *self.module._backward_pre_hooks.values()]

    def _hooks(self) -> list:
        return [*_global_backward_hooks.values(), *self.module._backward_hooks.values()]

    def on_grad_output(self, grads: tuple) -> tuple:
        full = [None] * self.n_outputs
        for i, g in zip(self.output_pos, grads):
            full[i] = g
        full = tuple(full)
        for hook in self._pre_hooks():
            result = hook(self.module, full)
            if result is not None:
                full = _replacement(result, len(full), "Backward pre hook", "grad_output")
        self.grad_output = full
        hooks = self._hooks()
        if not self.input_pos and hooks:  # no input needs a gradient: the hooks run now, seeing Nones
            warnings.warn("Full backward hook is firing when gradients are computed with respect to module outputs "
                          "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
                          "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=2)
            for hook in hooks:
                result = hook(self.module, (None,) * len(self.inputs), full)
                if result is not None and not (isinstance(result, tuple) and all(r is None for r in result)):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                       "return None or None for all gradients.")
        return tuple(full[i] for i in self.output_pos)

    def on_grad_input(self, grads: tuple) -> tuple:
        from ..._factories import zeros_like

        full = [None] * len(self.inputs)
        for i, v in enumerate(self.inputs):
            if isinstance(v, Tensor):
                full[i] = zeros_like(v)
        for i, g in zip(self.input_pos, grads):
            if g is not None:
                full[i] = g
        result = self._call_hooks(tuple(full))
        if result is None:
            return grads
        return tuple(result[i] for i in self.input_pos)

    def _call_hooks(self, grad_input: tuple):
        replaced = None
        for hook in self._hooks():
            result = hook(self.module, replaced or grad_input, self.grad_output)
            if result is not None:
                replaced = _replacement(result, len(grad_input), "Backward hook", "grad_input")
        return replaced


def _replacement(result, expected: int, hook: str, what: str) -> tuple:
    """A backward (pre) hook's returned gradients as a tuple, checked to be `expected` many."""
    result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    if len(result) != expected:
        raise RuntimeError(f"{hook} returned an invalid number of {what}, got {len(result)}, but expected {expected}")
    return result
