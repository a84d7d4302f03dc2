"""User-defined autograd functions: subclass Function with static forward(ctx, ...) and backward(ctx, ...)."""

from __future__ import annotations

from .._tensor import Tensor
from .grad_mode import STATE, no_grad
from .graph import Node, grad_edge


class FunctionCtx(Node):
    """The ctx of a user Function; also the node recorded in the graph."""

    __slots__ = ("_dirty", "_non_diff", "_materialize")

    def __init__(self) -> None:
        Node.__init__(self)
        self._dirty = ()
        self._non_diff = ()
        self._materialize = True

    def mark_dirty(self, *tensors) -> None:
        """Declare inputs that forward modified in place."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Declare outputs that do not require grad."""
        self._non_diff = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """Whether missing output gradients reach backward as zeros (True) or None."""
        self._materialize = bool(value)

    def _backward(self, grads):
        if not self._materialize:
            grads = [g for g in grads]
        with _restore_grad_mode():
            return self._fn.backward(self, *grads)


class _restore_grad_mode:
    def __enter__(self):
        self._prev = STATE.enabled

    def __exit__(self, *exc) -> None:
        STATE.enabled = self._prev


class _FunctionMeta(type):
    def __init__(cls, name, bases, ns) -> None:
        super().__init__(name, bases, ns)
        cls._node = type(name + "Backward", (FunctionCtx,), {"__slots__": (), "_fn": cls})


class Function(metaclass=_FunctionMeta):
    """Base class for custom differentiable operations (PyTorch's torch.autograd.Function)."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        return None

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. Please use new-"
                           "style autograd function with static forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward without recording, then connect its outputs to a node that calls backward."""
        ctx = cls._node()
        tensors = [a for a in args if isinstance(a, Tensor)]
        record = STATE.enabled and any(t._requires_grad for t in tensors)
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        with no_grad():
            if cls.setup_context is not Function.setup_context:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        if not record:
            return out
        ctx.next_functions = tuple(grad_edge(a) if isinstance(a, Tensor) else (None, 0) for a in args)
        ctx._in_meta = [(a._data.shape, a._data.dtype) if isinstance(a, Tensor) and a._requires_grad else None
                        for a in args]
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        input_ids = {id(t) for t in tensors}
        results = []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                results.append(o)
                continue
            if id(o) in input_ids and not any(o is d for d in ctx._dirty):
                o = o.view_as(o)  # an input returned as is: PyTorch returns a view with the new history
                o._grad_fn = None
            if any(o is n for n in ctx._non_diff) or o._data.dtype.kind != "f":
                o._requires_grad = False
                results.append(o)
                continue
            o._grad_fn = ctx
            o._output_nr = i
            o._requires_grad = True
            results.append(o)
        ctx._out_meta = [(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else ((), None) for o in outs] \
            if len(outs) > 1 else None
        return results[0] if single else tuple(results)


class InplaceFunction(Function):
    """Function whose forward may work in place (kept for API compatibility)."""


def once_differentiable(fn):
    """Decorator for backward methods that cannot be differentiated again (runs them under no_grad)."""
    import functools

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)

    return wrapper
