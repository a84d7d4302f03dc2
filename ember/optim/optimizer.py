"""Optimizer: the base class of every ember optimizer (PyTorch's `torch.optim.Optimizer`).

The class keeps the bookkeeping: parameter groups with per-group hyper-parameters, per-parameter
`state`, hooks, `zero_grad`, and `state_dict`/`load_state_dict` in PyTorch's layout. Each subclass's
`step` gathers the parameters that have a gradient and hands their NumPy/CuPy arrays to one update
function, which changes them in place (see Note [optimizer updates on arrays]).

Note [optimizer updates on arrays]
An update works directly on `param._data`, `param._grad._data` and the arrays of the state tensors,
in place, without building autograd history (like PyTorch's updates under `no_grad`). After changing a
parameter it calls `param._bump_version()`, so a backward that saved the old value still raises
PyTorch's "modified by an inplace operation" error. State values are ember Tensors, so `state_dict()`
holds tensors exactly where PyTorch's does (`step` is a 0-dim float32 tensor, float64 when the default
dtype is float64).
"""

from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap
from ..autograd.grad_mode import enable_grad, set_grad_enabled
from ..backend import xp_of
from ..utils.hooks import RemovableHandle

__all__ = ["Optimizer", "required", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]


class _RequiredParameter:
    """Marks a hyper-parameter every parameter group must give (no default)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()

_global_step_pre_hooks: OrderedDict = OrderedDict()
_global_step_post_hooks: OrderedDict = OrderedDict()


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """Register hook(optimizer, args, kwargs) to run before every optimizer's step."""
    handle = RemovableHandle(_global_step_pre_hooks)
    _global_step_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """Register hook(optimizer, args, kwargs) to run after every optimizer's step."""
    handle = RemovableHandle(_global_step_post_hooks)
    _global_step_post_hooks[handle.id] = hook
    return handle


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return obj.type()
    return type(obj).__name__


def _hook_step(step: Callable) -> Callable:
    """Wrap a subclass's step: step pre-hooks, the update without autograd history, step post-hooks."""

    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self = args[0]
        if self._in_step:  # a subclass calling super().step(): hooks run once, around the outer call
            return step(*args, **kwargs)
        for pre_hook in chain(_global_step_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = pre_hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, new_kwargs), but got "
                                       f"{result}.")
        self._in_step = True
        try:
            with set_grad_enabled(bool(self.defaults.get("differentiable", False))):
                out = step(*args, **kwargs)
        finally:
            self._in_step = False
        for post_hook in chain(self._optimizer_step_post_hooks.values(), _global_step_post_hooks.values()):
            post_hook(self, args, kwargs)
        return out

    wrapper.hooked = True
    return wrapper


class Optimizer:
    """Base class for all optimizers: parameter groups, per-parameter state, hooks and checkpoints.

    Args:
        params: an iterable of Tensors, of (name, Tensor) pairs, or of dicts defining parameter groups.
        defaults: default hyper-parameters, used by groups that do not set them.
    """

    # state entries that are 0-dim scalar tensors (not cast to the parameter's dtype on load)
    _scalar_state_keys: tuple = ("step",)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "hooked", False):
            cls.step = _hook_step(step)

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._in_step = False
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.__dict__.setdefault("_in_step", False)
        own_defaults = dict(self.defaults)  # 'differentiable' below is not a group entry of every optimizer (LBFGS)
        self.defaults.setdefault("differentiable", False)
        # old checkpoints hold 'step' (and ASGD's eta, mu) as Python numbers: make them 0-dim tensors
        for key, value in self.state.items():
            if isinstance(key, Tensor) and isinstance(value, dict):
                for name in self._scalar_state_keys:
                    if name in value and not isinstance(value[name], Tensor):
                        value[name] = _scalar_tensor(float(value[name]))
        # groups saved by an older version miss newer hyper-parameters: fill in the defaults
        for group in self.param_groups:
            for name, default in own_defaults.items():
                if default is not required:
                    group.setdefault(name, default)

    def __repr__(self) -> str:
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # -- parameter groups ------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (a dict with 'params' and optional hyper-parameters)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        tensors, names = [], []
        for param in params:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(param))
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = {id(p) for p in tensors}
        if len(ids) != len(tensors):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- gradients and steps ---------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors (to None by default, else to zeros)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g._grad_fn is not None:
                        g.detach_()
                    else:
                        g._requires_grad = False
                    g._data[...] = 0
                    g._bump_version()

    def step(self, closure: Callable | None = None):
        """Perform one optimization step (subclasses implement it)."""
        raise NotImplementedError

    @staticmethod
    def _run_closure(closure: Callable | None):
        """Evaluate the closure with gradients enabled; its loss is what step returns."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _check_flags(self) -> None:
        """Refuse modes ember's updates do not implement."""
        name = self.__class__.__name__
        if self.defaults.get("differentiable"):
            raise NotImplementedError(f"{name}(differentiable=True) is not supported by ember yet")
        if self.defaults.get("capturable"):
            raise NotImplementedError(f"{name}(capturable=True) is not supported by ember (no CUDA graphs)")

    # -- hooks ----------------------------------------------------------------------------------
    @staticmethod
    def _register(hooks: OrderedDict, hook: Callable, prepend: bool = False) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Register hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs), run before step."""
        return self._register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """Register hook(optimizer, args, kwargs) -> None, run after step."""
        return self._register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Register hook(optimizer), run before state_dict() builds its result."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Register hook(optimizer, state_dict) -> state_dict or None, run after state_dict()."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Register hook(optimizer, state_dict) -> state_dict or None, run before load_state_dict()."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """Register hook(optimizer), run after load_state_dict()."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -- checkpoints -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer state as {'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}."""
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        index: dict[int, int] = {}
        start = 0
        param_groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            param_groups.append(packed)
        packed_state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def _cast_state(self, param: Tensor, value, key=None):
        """A loaded state value moved to the parameter's dtype (scalars such as 'step' keep theirs)."""
        if isinstance(value, Tensor):
            if key not in self._scalar_state_keys and param._data.dtype.kind == "f" and value.dtype != param.dtype:
                value = value.to(param.dtype)
            if not getattr(value._data, "flags", None) or not value._data.flags.writeable:
                value = _wrap(value._data.copy())  # updates write into state arrays in place
            return value
        if isinstance(value, dict):
            return {k: self._cast_state(param, v, k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self._cast_state(param, v) for v in value)
        return value

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state produced by state_dict() (ember's or PyTorch's, converted to ember tensors)."""
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = self._cast_state(id_map[k], v)
            else:
                state[k] = v
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            new_groups.append(saved)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)


# -- helpers shared by the optimizers -------------------------------------------------------------
def _scalar(x) -> float:
    """A hyper-parameter as a Python number (a 0-dim tensor lr is allowed, as in PyTorch)."""
    return x.item() if isinstance(x, Tensor) else x


def _lr_value(x):
    """A learning rate for the update: a tensor lr becomes a NumPy scalar of its dtype, so that the step-size
    arithmetic runs in that dtype (float32 for `torch.tensor(0.01)`), as PyTorch's tensor-lr arithmetic does."""
    if isinstance(x, Tensor):
        return x._data.reshape(())[()]
    return x


def _check_lr(lr) -> None:
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_eps(eps) -> None:
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")


def _check_betas(betas) -> None:
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def _check_weight_decay(weight_decay) -> None:
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _check_adam_like(lr, eps, betas, weight_decay) -> None:
    """The checks shared by Adam's relatives (Adamax, NAdam, RAdam), in PyTorch's order."""
    _check_lr(lr)
    _check_eps(eps)
    _check_betas(betas)
    _check_weight_decay(weight_decay)


def _check_fused(fused, differentiable: bool, foreach) -> None:
    """PyTorch's checks on `fused` (made after the parameter groups are set up)."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _scalar_tensor(value: float = 0.0) -> Tensor:
    """A 0-dim state scalar such as 'step': float32, or float64 under a float64 default dtype (as PyTorch)."""
    dt = np.float64 if D.get_default_dtype() is D.float64 else np.float32
    return _wrap(np.array(value, dtype=dt))


def _zeros_like(p: Tensor, fill: float = 0.0) -> Tensor:
    """A state buffer shaped and typed like parameter p (memory_format=preserve is C order here)."""
    xp = xp_of(p._data)
    return _wrap(xp.full(p._data.shape, fill, dtype=p._data.dtype))


_BLOCK_BYTES = 1 << 18  # 256 KiB per array: a block's operands and temporaries stay in the CPU cache


def _blocks(*arrays):
    """Matching flat blocks of same-shaped arrays, so that an update's passes run on cache-resident data.

    An update is a dozen elementwise NumPy passes; on a multi-megabyte parameter each pass streams
    through main memory. Cutting the arrays into blocks runs all passes on one block while it is in cache,
    which halves an Adam or SGD step on large layers. Results are unchanged (the ops are elementwise).
    Small, non-contiguous or non-NumPy (GPU) arrays come back whole, as one block.
    """
    first = arrays[0]
    block = _BLOCK_BYTES // first.itemsize
    if first.size < 2 * block or first.__class__ is not np.ndarray or not all(
            a.flags.c_contiguous for a in arrays if a is not None):
        yield arrays
        return
    flat = [None if a is None else a.reshape(-1) for a in arrays]
    for i in range(0, first.size, block):
        yield tuple(None if f is None else f[i:i + block] for f in flat)


def _advance_step(state: dict, p: Tensor, *buffers: str) -> float:
    """Advance p's state by one step and return the new step count; a new state starts as a 0-dim 'step' and
    zero buffers named `buffers` shaped like p."""
    if len(state) == 0:
        state["step"] = _scalar_tensor()
        for name in buffers:
            state[name] = _zeros_like(p)
    state["step"]._data += 1
    return state["step"]._data.item()


def _update_blocked(p: Tensor, update: Callable, arrays: tuple, *args) -> None:
    """Run `update(*block, *args)` on each matching block of `arrays` (see _blocks), then mark p as modified."""
    for block in _blocks(*arrays):
        update(*block, *args)
    p._bump_version()


def _decay_weight(x, g, lr: float, wd: float, decoupled: bool = False):
    """Apply weight decay wd: shrink parameter x in place when decoupled, else return the gradient g + wd * x."""
    if wd != 0:
        if decoupled:
            x *= 1 - lr * wd
        else:
            g = g + wd * x
    return g


def _update_moments(m, v, g, beta1: float, beta2: float) -> None:
    """Adam's running moments in place: m toward g (m.lerp_(g, 1 - beta1)), v toward g * g."""
    m += (1 - beta1) * (g - m)
    v *= beta2
    v += (1 - beta2) * (g * g)


def _with_grad(group: dict):
    """The parameters of a group that have a gradient (the others are skipped, as in PyTorch)."""
    return [p for p in group["params"] if p._grad is not None]


def _grad_array(p: Tensor, maximize: bool):
    """The gradient array of p, negated (a new array) when maximizing."""
    g = p._grad._data
    return -g if maximize else g
