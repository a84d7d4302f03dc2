"""The autograd graph: nodes (`grad_fn`), leaf accumulators, and the base class of every op.

Note [how an op is written]
An op is a subclass of `Op` with a PyTorch node name and two static methods:

    class Mul(Op):
        name = "MulBackward0"
        save = (0, 1)                       # inputs that backward needs (version-checked)

        @staticmethod
        def forward(ctx, a, b):             # NumPy/CuPy arrays in, array out
            return a * b

        @staticmethod
        def backward(ctx, g):               # ember Tensors in, one gradient per input out
            a, b = ctx.saved_tensors
            return g * b, g * a             # d(ab) = b da + a db

`Mul.apply(x, y)` runs forward on the arrays and, when grad mode is on and an input requires
grad, records a node whose class is named `MulBackward0`. Positional arguments are the op's
inputs (Tensors or Python scalars, each gets an edge in `next_functions`); keyword arguments
are parameters passed through to forward. forward may stash parameters on ctx (`ctx.dim = d`);
without grad, ctx is a null object that drops them. backward is written with ember ops so that
`create_graph=True` works. The engine sums gradients of broadcast inputs back to the input's
shape and casts them to its dtype, so backward may return a broadcast-shaped gradient.
`save_output = True` makes the output available as the last entry of `ctx.saved_tensors`.
"""

from __future__ import annotations

import weakref

import numpy as np

from .._tensor import Tensor, _wrap
from .grad_mode import STATE

_SAVED_FREED = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
    "or if you need to access saved tensors after calling backward."
)


class Node:
    """A node of the backward graph (what `tensor.grad_fn` returns)."""

    __slots__ = ("next_functions", "_in_meta", "needs_input_grad", "__dict__", "__weakref__")

    # Rarely-set state lives in the instance __dict__ with these class-level defaults, so that creating
    # a node (once per recorded op) costs no attribute stores beyond the three slots.
    _saved = None
    _versions = ()
    _released = False
    _out_meta = None
    _pre_hooks = None
    _hooks = None
    _retained = None
    _saves_own_output = False
    _materialize = True  # missing output gradients reach backward as zeros (False: as None)

    def set_materialize_grads(self, value: bool) -> None:
        """Whether outputs that got no gradient reach backward as zero tensors (default) or as None."""
        self._materialize = bool(value)

    def name(self) -> str:
        """The node's PyTorch name, e.g. 'AddBackward0'."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    @property
    def metadata(self) -> dict:
        return self.__dict__.setdefault("_metadata", {})

    def register_hook(self, fn):
        """Run fn(grad_inputs, grad_outputs) after this node's backward; it may return new grad_inputs."""
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return _RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        """Run fn(grad_outputs) before this node's backward; it may return new grad_outputs."""
        return self._add_pre_hook(None, fn)

    def _add_pre_hook(self, output_nr, fn):
        if self._pre_hooks is None:
            self._pre_hooks = []
        entry = (output_nr, fn)
        self._pre_hooks.append(entry)
        return _RemovableHandle(self._pre_hooks, entry)

    # -- saved tensors -------------------------------------------------------------------------
    def save_for_backward(self, *tensors) -> None:
        """Keep tensors for backward; modifying them in place before backward is an error."""
        self._saved = tensors
        self._versions = tuple(t._version if isinstance(t, Tensor) else None for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors kept by forward, checked against in-place modification since."""
        if self._released:
            raise RuntimeError(_SAVED_FREED)
        saved = self._saved
        if saved is None:
            return ()
        for i, (t, v) in enumerate(zip(saved, self._versions)):
            if v is not None and t._version != v:
                raise RuntimeError(_modified_message(t, i, self, v))
        if self._saves_own_output:
            # Note [saved outputs]: the output was kept without its grad_fn (no node <-> tensor cycle);
            # hand it out again attached to this node, so that double backward sees its history
            alias = saved[-1]
            out = _wrap(alias._data)
            out._vbox, out._requires_grad, out._grad_fn = alias._vbox, True, self
            return saved[:-1] + (out,)
        return saved

    def _release(self) -> None:
        if self._saved:
            self._saved = None
            self._released = True

    def _backward(self, grads):
        raise NotImplementedError


def _modified_message(t, i, node, expected) -> str:
    shape = list(t._data.shape)
    owner = _saved_owner(t, i, node)
    which = f", which is output {t._output_nr} of {_short_name(owner)}," if owner is not None else ""
    if STATE.anomaly:
        hint = ("Hint: the backtrace further above shows the operation that failed to compute its gradient. The "
                "variable in question was changed in there or anywhere later. Good luck!")
    else:
        hint = ("Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
                "ember.autograd.set_detect_anomaly(True, check_nan=False).")
    return (
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[{t.type()} {shape}]{which} is at version {t._version}; expected version {expected} instead. {hint}"
    )


def _saved_owner(t, i, node):
    """The node PyTorch names as the producer of saved tensor i: node itself for a saved output."""
    op = getattr(node, "_op", None)
    if op is not None and op.save_output and i == len(node._saved) - 1:
        return node
    return t._grad_fn


def _short_name(node) -> str:
    """'MulBackward0' -> 'Mul', as PyTorch names producers in the in-place error."""
    name = node.name()
    stem = name.rstrip("0123456789")
    return stem[:-len("Backward")] if stem.endswith("Backward") else name


def record_anomaly_trace(node) -> None:
    """Under detect_anomaly: remember where (outside ember) the forward of node was called."""
    import os
    import traceback

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frames = [f for f in traceback.extract_stack() if not os.path.abspath(f.filename).startswith(here)]
    node.metadata["traceback_"] = "".join(traceback.format_list(frames))


class _RemovableHandle:
    """Returned by register_hook; `.remove()` unregisters the hook."""

    __slots__ = ("_list", "_item")

    def __init__(self, lst, item) -> None:
        self._list, self._item = lst, item

    def remove(self) -> None:
        try:
            self._list.remove(self._item)
        except ValueError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class AccumulateGrad(Node):
    """Sink node of a leaf tensor: adds the incoming gradient into `leaf.grad`."""

    __slots__ = ("_variable",)

    def __init__(self, leaf: Tensor) -> None:
        Node.__init__(self)
        self._variable = weakref.ref(leaf)
        self.next_functions = ()
        self._in_meta = ()

    @property
    def variable(self):
        return self._variable()

    def name(self) -> str:
        """PyTorch's C++ name of the node."""
        return "ember::autograd::AccumulateGrad"

    def _accumulate(self, g: Tensor, create_graph: bool) -> None:
        leaf = self._variable()
        if leaf is None:
            return
        old = leaf._grad
        if old is None:
            # the engine may hand the same gradient tensor to several places; own a copy
            leaf._grad = g if create_graph else _wrap(g._data.copy())
        elif create_graph or STATE.enabled:
            leaf._grad = old + g
        else:
            np.add(old._data, g._data, out=old._data, casting="unsafe") if old._data.__class__ is \
                np.ndarray else old._data.__iadd__(g._data)


def accumulate_node(t: Tensor) -> AccumulateGrad:
    """The (cached) AccumulateGrad node of a leaf that requires grad."""
    extra = t._extras()
    node = extra.get("accum")
    if node is None:
        node = extra["accum"] = AccumulateGrad(t)
    return node


def grad_edge(t: Tensor):
    """(node, output_nr) through which gradient flows into t, or (None, 0)."""
    if not t._requires_grad:
        return (None, 0)
    fn = t._grad_fn if t._base is None else t.grad_fn  # views may need their grad_fn refreshed
    if fn is not None:
        return (fn, t._output_nr)
    return (accumulate_node(t), 0)


class _NullCtx:
    """ctx used when no graph is recorded: attribute stores are dropped."""

    __slots__ = ()

    def __setattr__(self, key, value) -> None:
        pass

    def save_for_backward(self, *tensors) -> None:
        pass

    def mark_dirty(self, *tensors) -> None:
        pass

    def mark_non_differentiable(self, *tensors) -> None:
        pass

    def set_materialize_grads(self, value: bool) -> None:
        pass


NULL_CTX = _NullCtx()


class Op:
    """Base class of ember's differentiable primitives; see Note [how an op is written]."""

    name = "Backward0"
    save: tuple = ()
    save_output = False
    # {saved input: inputs whose gradient needs it}; unneeded inputs are not kept (nor version-checked)
    save_needed: dict | None = None
    _node: type

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls._node = type(cls.name, (OpNode,), {"__slots__": (), "_op": cls})

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on Tensor/scalar inputs and record it in the graph when needed."""
        if STATE.enabled:
            for x in inputs:
                if isinstance(x, Tensor) and x._requires_grad:
                    return apply_recorded(cls, inputs, params)
        raw = [x._data if isinstance(x, Tensor) else x for x in inputs]
        out = cls.forward(NULL_CTX, *raw, **params)
        if out.__class__ is tuple:
            return tuple(_wrap(o) for o in out)
        return _wrap(out)


class OpNode(Node):
    """Backward node of an `Op`; its class name is the op's PyTorch node name."""

    __slots__ = ()
    _op: type

    def _backward(self, grads):
        return self._op.backward(self, *grads)


_NO_EDGE = (None, 0)


def apply_recorded(cls, inputs, params, arrays=None):
    """Run forward and record a node. `arrays` optionally gives the inputs' (already cast) arrays."""
    node = cls._node()
    edges = []
    meta = []
    needs = []
    raw = [] if arrays is None else arrays
    for x in inputs:
        if isinstance(x, Tensor):
            if arrays is None:
                raw.append(x._data)
            if x._requires_grad:
                fn = x._grad_fn
                edges.append((fn, x._output_nr) if fn is not None and x._base is None else grad_edge(x))
                meta.append((x._data.shape, x._data.dtype))
                needs.append(True)
                continue
        elif arrays is None:
            raw.append(x)
        edges.append(_NO_EDGE)
        meta.append(None)
        needs.append(False)
    node.next_functions = tuple(edges)
    node._in_meta = meta
    node.needs_input_grad = tuple(needs)
    if STATE.anomaly:
        record_anomaly_trace(node)
    out = cls.forward(node, *raw, **params)
    if out.__class__ is tuple:
        outs = tuple(_wrap(o) for o in out)
        for i, o in enumerate(outs):
            if o._data.dtype.kind == "f":  # integer outputs (indices) never require grad
                o._requires_grad = True
                o._grad_fn = node
                o._output_nr = i
        node._out_meta = [(o._data.shape, o._data.dtype) for o in outs]
        result = outs
    else:
        result = _wrap(out)
        if result._data.dtype.kind != "f":
            return result
        result._requires_grad = True
        result._grad_fn = node
    if cls.save or cls.save_output:
        _save(node, cls, inputs, needs, result)
    return result


def _save(node, cls, inputs, needs, result) -> None:
    # plain loops: comprehensions and generators cost a frame each on this per-op path
    saved = []
    versions = []
    save_needed = cls.save_needed
    for i in cls.save:
        t = inputs[i]
        if save_needed is not None:
            users = save_needed.get(i)
            if users is not None:
                for j in users:
                    if needs[j]:
                        break
                else:
                    t = None  # no gradient that needs this input is wanted
        saved.append(t)
        versions.append((t._vbox[0] if t._vbox is not None else 0) if isinstance(t, Tensor) else None)
    if cls.save_output:
        if isinstance(result, Tensor):
            if result._vbox is None:
                result._vbox = [0]
            alias = _wrap(result._data)  # see Note [saved outputs] in Node.saved_tensors
            alias._vbox = result._vbox
            saved.append(alias)
            versions.append(result._vbox[0])
            node._saves_own_output = True
        else:  # multi-output ops save their tuple of outputs
            saved.append(result)
            versions.append(None)
    node._saved = tuple(saved)
    node._versions = tuple(versions)
