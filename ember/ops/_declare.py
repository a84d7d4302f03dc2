"""One declaration per op serves `ember.f`, `Tensor.f`, `Tensor.f_` and `out=`.

`@declare()` registers a function in ember's namespace and as a Tensor method; `inplace=True`
adds `Tensor.f_` built by `apply_inplace`; `out=True` lets callers pass `out=`. Operators
(`+`, `+=`, ...) are bound in `ember/ops/operators.py`.
"""

from __future__ import annotations

import functools

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap
from ..autograd.grad_mode import STATE

FUNCTIONS: dict = {}  # public name -> function, exported by ember/__init__.py


def declare(name: str | None = None, *, method: bool | str = True, function: bool = True,
            inplace: bool = False, out: bool = False):
    """Register the decorated function as ember.<name>, Tensor.<name> and optionally Tensor.<name>_."""

    def wrap(fn):
        public = name or fn.__name__
        target = _with_out(fn) if out else fn
        if function:
            FUNCTIONS[public] = target
        if method:
            setattr(Tensor, public if method is True else method, fn)
        if inplace:
            setattr(Tensor, public + "_", make_inplace(fn, public + "_"))
        return target

    return wrap




def _with_out(fn):
    @functools.wraps(fn)
    def with_out(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        return write_out(fn(*args, **kwargs), out, fn.__name__)

    return with_out


def write_out(result, out, name: str):
    """Copy result into the user's `out=` tensor(s), resizing it as PyTorch does."""
    if isinstance(result, tuple):
        for r, o in zip(result, out):
            write_out(r, o, name)
        return out
    if STATE.enabled and (result._requires_grad or out._requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if not D.can_cast(result.dtype, out.dtype):
        raise RuntimeError(f"result type {_type_name(result.dtype)} can't be cast to the desired output type "
                           f"{_type_name(out.dtype)}")
    if out._data.shape != result._data.shape:
        out._data = np.empty(result._data.shape, out._data.dtype) if out._base is None else out._data
        if out._data.shape != result._data.shape:
            raise RuntimeError(f"Trying to resize storage that is not resizable (out= view of shape "
                               f"{tuple(out.shape)} for a result of shape {tuple(result.shape)})")
    np.copyto(out._data, result._data, casting="unsafe")
    out._bump_version()
    return out


def _type_name(d: D.dtype) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}[d.name]


def make_inplace(fn, name: str):
    """Build Tensor.<name>_ from an out-of-place function."""

    def inplace(self, *args, **kwargs):
        return apply_inplace(self, fn, args, kwargs)

    inplace.__name__ = name
    inplace.__doc__ = f"In-place version of {fn.__name__}."
    return inplace


def check_inplace_allowed(self: Tensor) -> None:
    """PyTorch's errors for in-place ops on leaves (and views of leaves) that require grad."""
    if STATE.enabled:
        if self._requires_grad and self._grad_fn is None and self._base is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        extra = self._extra
        if extra is not None and self._requires_grad and "multi_view" in extra:
            name, i = extra["multi_view"]
            raise RuntimeError(f"Output {i} of {name} is a view and is being modified inplace. This view is the "
                               "output of a function that returns multiple views. Such functions do not allow the "
                               "output views to be modified inplace. You should replace the inplace operation by an "
                               "out-of-place one.")
        base = self._base
        if base is not None and base._requires_grad and base._grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                               "operation.")


def apply_inplace(self: Tensor, fn, args, kwargs) -> Tensor:
    """Run fn(self, *args) and write the result into self, keeping autograd history right."""
    check_inplace_allowed(self)
    result = fn(self, *args, **kwargs)
    return commit_inplace(self, result)


def commit_inplace(self: Tensor, result: Tensor) -> Tensor:
    """Write an out-of-place result into self's memory and make self carry result's history."""
    if result._data.shape != self._data.shape:
        raise RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast shape "
                           f"{list(result._data.shape)}")
    if result._data.dtype != self._data.dtype:
        if not D.can_cast(result.dtype, self.dtype):
            raise RuntimeError(f"result type {_type_name(result.dtype)} can't be cast to the desired output "
                               f"type {_type_name(self.dtype)}")
        result = result.to(self.dtype)
    if result._requires_grad and result._grad_fn is not None:
        _keep_saved_original(self, result._grad_fn)
    if self._data.flags.writeable is False:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to "
                           "a single memory location. Please clone() the tensor before performing the "
                           "operation.")
    self._data[...] = result._data
    self._bump_version()
    if result._requires_grad and result._grad_fn is not None and result._grad_fn._saves_own_output:
        _resave_output_as(self, result)
    if result._requires_grad:
        if self._base is not None:
            from ..autograd.views import rebase_view

            rebase_view(self, result)
        else:
            self._grad_fn = result._grad_fn
            self._output_nr = result._output_nr
            self._requires_grad = True
    return self


def _resave_output_as(self: Tensor, result: Tensor) -> None:
    """An op that saved its output (relu, exp, sigmoid, ...) now saves self, which holds that output.

    PyTorch's in-place form saves the written tensor itself, so modifying it again before backward is
    the "modified by an inplace operation" error; saving the temporary result would hide that.
    """
    node = result._grad_fn
    saved = node._saved
    if saved and saved[-1] is not None and saved[-1]._data is result._data:
        alias = _wrap(self._data)
        alias._vbox = self._vbox
        node._saved = saved[:-1] + (alias,)
        node._versions = node._versions[:-1] + (self._vbox[0],)


def _keep_saved_original(self: Tensor, node) -> None:
    """The op behind an in-place result may have saved self; it needs self's values from before the write."""
    saved = getattr(node, "_saved", None)
    if not saved or not any(s is self for s in saved):
        return
    old = _wrap(self._data.copy())
    old._requires_grad, old._grad_fn, old._output_nr = self._requires_grad, self._grad_fn, self._output_nr
    node._saved = tuple(old if s is self else s for s in saved)
    node._versions = tuple(0 if s is self else v for s, v in zip(saved, node._versions))
