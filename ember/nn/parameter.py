"""Parameter and Buffer: tensors that a Module registers when they are assigned as attributes."""

from __future__ import annotations

from .._factories import empty
from .._tensor import Tensor, _new, _wrap

__all__ = ["Buffer", "Parameter"]


def _share(cls, data: Tensor | None, requires_grad: bool) -> Tensor:
    """A new leaf of class cls sharing data's memory (and version counter)."""
    if data is None:
        data = empty(0)
    if not isinstance(data, Tensor):  # PyTorch fails the same way, calling data.detach()
        raise AttributeError(f"'{type(data).__name__}' object has no attribute 'detach'")
    if requires_grad and data._data.dtype.kind != "f":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    t = _new(cls)
    t._data = data._data
    t._requires_grad = requires_grad
    t._grad_fn = None
    t._output_nr = 0
    t._grad = None
    t._base = None
    if data._vbox is None:
        data._vbox = [0]
    t._vbox = data._vbox
    t._extra = None
    return t


def _rebuild_parameter(data, requires_grad: bool) -> Parameter:
    return Parameter(_wrap(data), requires_grad)


class Parameter(Tensor):
    """A Tensor that is a module parameter: requires grad by default and registers itself on assignment."""

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        return _share(cls, data, requires_grad)

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict) -> Parameter:
        # a copy of the values and the flag only: like PyTorch, the copy has no .grad
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.detach().clone(), self._requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach().cpu()._data.copy(), self._requires_grad))


class _BufferMeta(type):
    """isinstance(t, Buffer) is true for the tensors that Buffer(...) marked."""

    def __instancecheck__(cls, instance) -> bool:
        if cls is Buffer:
            return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """Marks a tensor to be registered as a module buffer when assigned (`self.x = nn.Buffer(t)`).

    As in PyTorch, the result is a plain Tensor sharing data's memory, carrying the marker and `persistent`.
    """

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Tensor:
        if data is None:
            data = empty(0)
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t
