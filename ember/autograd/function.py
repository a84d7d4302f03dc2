"""User-defined autograd functions: subclass Function with static forward(ctx, ...) and backward(ctx, ...).

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, gy):
            (y,) = ctx.saved_tensors
            return gy * y          # written with ember ops: differentiable again

`Exp.apply(x)` runs forward under no_grad, then connects the outputs to a node (`ExpBackward`)
that calls backward. backward returns one gradient per forward argument (None for non-tensors);
`next_functions` holds one edge per *tensor* argument, as in PyTorch.
"""

from __future__ import annotations

import functools

from .._tensor import Tensor, _wrap
from .grad_mode import STATE, no_grad
from .graph import Node, grad_edge, record_anomaly_trace


class FunctionCtx(Node):
    """The ctx of a user Function; also the node recorded in the graph."""

    __slots__ = ("_dirty", "_non_diff", "_materialize", "_tensor_pos", "_n_args")

    def __init__(self) -> None:
        Node.__init__(self)
        self._dirty = ()
        self._non_diff = ()
        self._materialize = True
        self._tensor_pos = None  # indices of tensor arguments, when some arguments are not tensors

    def mark_dirty(self, *tensors) -> None:
        """Declare inputs that forward modified in place (they must be returned as outputs)."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Declare outputs that do not require grad."""
        self._non_diff = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """Whether missing output gradients reach backward as zeros (True) or None."""
        self._materialize = bool(value)

    def _backward(self, grads):
        prev = STATE.enabled
        try:
            outs = self._fn.backward(self, *grads)
        finally:
            STATE.enabled = prev
        if self._tensor_pos is None:
            return outs
        return self._select_tensor_grads(outs)

    def _select_tensor_grads(self, outs):
        """From one gradient per forward argument keep those of tensor arguments (the graph's edges)."""
        if outs.__class__ is not tuple:
            outs = (outs,)
        n = self._n_args
        if len(outs) != n:
            if len(outs) > n and all(o is None for o in outs[n:]):
                outs = outs[:n]
            else:
                raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                                   f"(expected {n}, got {len(outs)})")
        tensor_pos = set(self._tensor_pos)
        for i, g in enumerate(outs):
            if i not in tensor_pos and g is not None:
                raise RuntimeError(f"function {self.name()} returned a gradient different than None at position "
                                   f"{i + 1}, but the corresponding forward input was not a Variable")
        return tuple(outs[i] for i in self._tensor_pos)


class _FunctionMeta(type):
    def __init__(cls, name, bases, ns) -> None:
        super().__init__(name, bases, ns)
        if "vjp" in ns and "backward" not in ns:  # PyTorch accepts either name for the backward formula
            cls.backward = ns["vjp"]
        cls._node = type(name + "Backward", (FunctionCtx,), {"__slots__": (), "_fn": cls})


class Function(metaclass=_FunctionMeta):
    """Base class for custom differentiable operations (PyTorch's torch.autograd.Function)."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        """Compute the outputs from the inputs (Tensors arrive detached from the graph)."""
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        """Return one gradient per forward argument given one gradient per output."""
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        """Optional: fill ctx from (inputs, output) when forward does not take ctx."""
        return None

    def __init__(self, *args, **kwargs) -> None:
        import warnings

        warnings.warn(f"{self.__class__} should not be instantiated. Methods on autograd functions are all static, so "
                      "you should invoke them on the class itself. Instantiating an autograd function will raise an "
                      "error in a future version of ember.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. Please use new-"
                           "style autograd function with static forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward without recording, then connect its outputs to a node that calls backward."""
        ctx = cls._node()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        record = STATE.enabled and any(ctx.needs_input_grad)
        with no_grad():
            if cls.setup_context is not Function.setup_context:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        if not record:
            return out
        tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        if len(tensor_pos) != len(args):
            ctx._tensor_pos, ctx._n_args = tuple(tensor_pos), len(args)
        tensors = [args[i] for i in tensor_pos]
        ctx.next_functions = tuple(grad_edge(t) for t in tensors)
        ctx._in_meta = [(t._data.shape, t._data.dtype) if t._requires_grad else None for t in tensors]
        if STATE.anomaly:
            record_anomaly_trace(ctx)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        _check_dirty(ctx, outs)
        results = [_connect_output(ctx, o, i, tensors) for i, o in enumerate(outs)]
        if len(outs) > 1:
            ctx._out_meta = [(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else ((), None) for o in outs]
        return results[0] if single else tuple(results)


def _check_dirty(ctx, outs) -> None:
    """Inputs marked dirty must be returned, and may not be leaves that require grad."""
    for d in ctx._dirty:
        if not any(d is o for o in outs):
            raise RuntimeError("Some elements marked as dirty during the forward method were not returned as "
                               "output. The inputs that are modified inplace must all be outputs of the Function.")
        if d._requires_grad and d._grad_fn is None and d._base is None:
            raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
        base = d._base
        if base is not None and base._requires_grad and base._grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                               "operation.")


def _connect_output(ctx, o, i: int, inputs):
    """Give output i of a Function its history (ctx, i), following PyTorch's rules for special outputs."""
    if not isinstance(o, Tensor):
        return o
    dirty = any(o is d for d in ctx._dirty)
    if dirty:
        o._bump_version()  # PyTorch counts mark_dirty as a modification of its own
    elif any(o is t for t in inputs):
        o = o.view_as(o)  # an input returned as is: PyTorch returns a view carrying the new history
        o._grad_fn = None
    if any(o is n for n in ctx._non_diff) or o._data.dtype.kind != "f":
        o._requires_grad = False
        return o
    if dirty and o._base is not None:
        # the input was a view: its base's history must include the in-place change
        from .views import rebase_view

        result = _wrap(o._data)
        result._grad_fn, result._output_nr, result._requires_grad = ctx, i, True
        rebase_view(o, result)
        return o
    o._grad_fn = ctx
    o._output_nr = i
    o._requires_grad = True
    return o


class InplaceFunction(Function):
    """Function whose forward may work in place (kept for API compatibility)."""


def once_differentiable(fn):
    """Decorator for backward methods that cannot be differentiated again (runs them under no_grad)."""

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)

    return wrapper
