"""Autograd for in-place ops on views (Note [views and versions]).

When `v = base[...]` is modified in place, the base's history must include the change: the
base gets a `CopySlices` node (gradient of the untouched part flows to the old base history,
the written part to the in-place result), and the view is re-derived from the new base. Other
views of the same base notice the version change and re-derive their grad_fn the same way.
Positions of view elements inside the base are found from their memory addresses, so any
strided view (slices, transposes, diagonals, expands) is handled by one mechanism.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor, _wrap
from .grad_mode import STATE
from .graph import Node, grad_edge, record_anomaly_trace


def flat_positions(base: np.ndarray, view: np.ndarray) -> np.ndarray:
    """For each element of view, its index in base.reshape(-1) (C order)."""
    def byte_offsets(a, start):
        off = np.full(a.shape, start, dtype=np.int64)
        for d, (n, s) in enumerate(zip(a.shape, a.strides)):
            shape = [1] * a.ndim
            shape[d] = n
            off = off + (np.arange(n, dtype=np.int64) * s).reshape(shape)
        return off

    b0 = base.__array_interface__["data"][0]
    v0 = view.__array_interface__["data"][0]
    base_off = byte_offsets(base, 0).reshape(-1)
    view_off = byte_offsets(view, v0 - b0)
    order = np.argsort(base_off, kind="stable")
    pos = order[np.searchsorted(base_off[order], view_off)]
    return pos


class CopySlices(Node):
    """Base's grad_fn after an in-place op on one of its views."""

    __slots__ = ("_pos", "_base_shape")

    def name(self) -> str:
        """PyTorch's C++ name of the node."""
        return "ember::autograd::CopySlices"

    def _backward(self, grads):
        (g,) = grads
        pos = _wrap(self._pos)
        flat = g.reshape(-1)
        g_view = flat[pos]
        g_base = flat.index_fill(0, pos.reshape(-1), 0).reshape(self._base_shape)
        return g_base, g_view


class AsStridedBackward0(Node):
    """grad_fn of a view re-derived from its base: scatters the view's gradient into the base."""

    __slots__ = ("_pos", "_base_shape")

    def _backward(self, grads):
        (g,) = grads
        from .._factories import zeros

        out = zeros(int(np.prod(self._base_shape)), dtype=g.dtype)
        out = out.index_add(0, _wrap(self._pos.reshape(-1)), g.reshape(-1))
        return (out.reshape(self._base_shape),)


def _derive_view_node(view: Tensor, base: Tensor, pos: np.ndarray) -> None:
    node = AsStridedBackward0()
    node.next_functions = (grad_edge(base),)
    node._in_meta = [(base._data.shape, base._data.dtype)]
    node.needs_input_grad = (True,)
    node._pos, node._base_shape = pos, base._data.shape
    view._grad_fn = node
    view._output_nr = 0
    view._requires_grad = True
    view._extras()["view_version"] = base._vbox[0]


def rebase_view(view: Tensor, result: Tensor) -> None:
    """After result was written into view's memory, give base and view the right history."""
    base = view._base
    pos = flat_positions(base._data, view._data)
    node = CopySlices()
    node.next_functions = (grad_edge(base), grad_edge(result))
    node._in_meta = [(base._data.shape, base._data.dtype), (result._data.shape, result._data.dtype)]
    node.needs_input_grad = (base._requires_grad, True)
    node._pos, node._base_shape = pos, base._data.shape
    if STATE.anomaly:
        record_anomaly_trace(node)
    base._grad_fn = node
    base._output_nr = 0
    base._requires_grad = True
    _derive_view_node(view, base, pos)


def refresh_view_grad_fn(view: Tensor) -> None:
    """Re-derive a view's grad_fn if its base was modified in place since it was set."""
    base = view._base
    extra = view._extra
    if base._vbox is None or extra is None or extra.get("view_version") == base._vbox[0]:
        return
    if base._requires_grad:
        _derive_view_node(view, base, flat_positions(base._data, view._data))
    else:
        extra["view_version"] = base._vbox[0]
