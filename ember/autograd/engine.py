"""The backward engine: walks the graph from the outputs in dependency order, never recursively."""

from __future__ import annotations

from .._tensor import Tensor, _wrap
from .grad_mode import STATE
from .graph import AccumulateGrad, accumulate_node, grad_edge


def _collect(roots):
    """Count, for every node reachable from roots, how many edges point at it."""
    deps: dict = {}
    stack = list(dict.fromkeys(roots))  # two outputs of one node may both be roots
    seen = set(stack)
    while stack:
        node = stack.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            deps[child] = deps.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return deps, seen


def _needed(roots, deps, targets):
    """Nodes from which some target node can be reached (only those must run for autograd.grad)."""
    order = []
    remaining = dict(deps)
    ready = [n for n in roots if remaining.get(n, 0) == 0]
    ready = list(dict.fromkeys(ready))
    while ready:
        node = ready.pop()
        order.append(node)
        for child, _ in node.next_functions:
            if child is None:
                continue
            remaining[child] -= 1
            if remaining[child] == 0:
                ready.append(child)
    needed = set()
    for node in reversed(order):
        if node in targets or any(c in needed for c, _ in node.next_functions if c is not None):
            needed.add(node)
    return needed


def _fit(g: Tensor, meta, node=None, i: int = 0) -> Tensor:
    """Sum a broadcast gradient back to its input's shape and cast it to the input's dtype."""
    shape, np_dtype = meta
    if g._data.shape != shape:
        if not _expandable(shape, g._data.shape):
            who = node.name() if node is not None else "backward"
            raise RuntimeError(f"Function {who} returned an invalid gradient at index {i} - got "
                               f"{list(g._data.shape)} but expected shape compatible with {list(shape)}")
        g = g.sum_to_size(shape) if len(shape) else g.sum()
        if g._data.shape != shape:
            g = g.reshape(shape)
    if g._data.dtype != np_dtype:
        g = g.to(_dtype_from_np(np_dtype))
    return g


def _expandable(shape, target) -> bool:
    """Whether a tensor of `shape` broadcasts to `target` (so a gradient of target sums back to it)."""
    if len(shape) > len(target):
        return all(s == 1 for s in shape[:len(shape) - len(target)]) and _expandable(
            shape[len(shape) - len(target):], target)
    return all(s == t or s == 1 for s, t in zip(reversed(shape), reversed(target)))


def _dtype_from_np(np_dtype):
    from .._dtype import from_numpy_dtype

    return from_numpy_dtype(np_dtype)


def _zeros_for(meta) -> Tensor:
    from .. import _factories

    shape, np_dtype = meta
    return _factories.zeros(shape, dtype=_dtype_from_np(np_dtype))


def run_backward(roots, root_grads, retain_graph: bool, create_graph: bool, capture=None,
                 allow_unreachable: bool = False):
    """Propagate root_grads from the root edges through the graph.

    roots: list of (node, output_nr). With `capture` (a dict {(node, nr): None}), gradients that
    arrive at those edges are recorded there instead of being accumulated into leaves.
    """
    root_nodes = [n for n, _ in roots]
    deps, _ = _collect(root_nodes)
    needed = _needed(root_nodes, deps, {n for n, _ in capture}) if capture is not None else None
    buffers: dict = {}
    for (node, nr), g in zip(roots, root_grads):
        _add_to_buffer(buffers, node, nr, g)
    ready = list(dict.fromkeys(n for n in root_nodes if deps.get(n, 0) == 0))
    anomaly = STATE.anomaly
    prev = STATE.enabled
    STATE.enabled = create_graph
    try:
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None) or [None]
            if node._pre_hooks or node._retained:
                grads = _run_pre_hooks(node, grads)
            if capture is not None:
                for i, g in enumerate(grads):
                    if (node, i) in capture:
                        capture[(node, i)] = g
                if node not in needed or node.__class__ is AccumulateGrad:
                    _release_children(node, deps, ready, retain_graph)
                    continue
            if node.__class__ is AccumulateGrad:
                if grads[0] is not None:
                    node._accumulate(grads[0], create_graph)
                continue
            if any(g is not None for g in grads):
                outs = _call_with_anomaly(node, grads) if anomaly else _call(node, grads)
            else:
                outs = None
            if not retain_graph:
                node._release()
            for i, (child, nr) in enumerate(node.next_functions):
                if child is None:
                    continue
                if outs is not None and outs[i] is not None:
                    _add_to_buffer(buffers, child, nr, _fit(outs[i], node._in_meta[i], node, i))
                deps[child] -= 1
                if deps[child] == 0:
                    ready.append(child)
    finally:
        STATE.enabled = prev


def _call_with_anomaly(node, grads):
    """_call under detect_anomaly: check outputs for nan, and point errors at the forward call."""
    try:
        outs = _call(node, grads)
        if STATE.anomaly_check_nan:
            for i, g in enumerate(outs):
                if g is not None and g._data.dtype.kind == "f" and _xp_isnan_any(g._data):
                    raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
        return outs
    except Exception:
        import warnings

        trace = node.__dict__.get("_metadata", {}).get("traceback_")
        if trace is None:
            msg = (f"Error detected in {node.name()}. No forward pass information available. Enable detect "
                   "anomaly during forward pass for more information.")
        else:
            msg = f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n{trace}"
        warnings.warn(msg, UserWarning, stacklevel=2)
        raise


def _xp_isnan_any(a) -> bool:
    from ..backend import xp_of

    return bool(xp_of(a).isnan(a).any())


def _release_children(node, deps, ready, retain_graph):
    if not retain_graph:
        node._release()
    for child, _ in node.next_functions:
        if child is None:
            continue
        deps[child] -= 1
        if deps[child] == 0:
            ready.append(child)


def _call(node, grads):
    if node._out_meta is not None and any(g is None for g in grads) and node._materialize:
        # missing gradients of a multi-output node arrive as zeros (None for non-tensor outputs)
        grads = [_zeros_for(m) if g is None and m[1] is not None else g for g, m in zip(grads, node._out_meta)]
    outs = node._backward(grads)
    if outs.__class__ is not tuple:
        outs = (outs,)
    n_in = len(node.next_functions)
    if len(outs) != n_in:
        if len(outs) > n_in and all(o is None for o in outs[n_in:]):
            outs = outs[:n_in]
        else:
            raise RuntimeError(f"function {node.name()} returned an incorrect number of gradients "
                               f"(expected {n_in}, got {len(outs)})")
    if node._hooks:
        for hook in node._hooks:
            new = hook(outs, tuple(grads))
            if new is not None:
                outs = tuple(new)
    return outs


def _add_to_buffer(buffers, node, nr, g) -> None:
    buf = buffers.get(node)
    if buf is None:
        n = len(node._out_meta) if node._out_meta is not None else 1
        buf = buffers[node] = [None] * max(n, nr + 1)
    old = buf[nr]
    buf[nr] = g if old is None else old + g


def _run_pre_hooks(node, grads):
    grads = list(grads)
    if node._pre_hooks:
        for output_nr, fn in list(node._pre_hooks):
            if output_nr is None:  # a node pre-hook sees all gradients
                new = fn(tuple(grads))
                if new is not None:
                    grads = list(new)
            elif grads[output_nr] is not None:
                new = fn(grads[output_nr])
                if new is not None:
                    grads[output_nr] = new
    if node._retained:
        for output_nr, ref in node._retained.items():
            t = ref()
            g = grads[output_nr] if output_nr < len(grads) else None
            if t is not None and g is not None:
                if t._grad is None:
                    t._grad = g if STATE.enabled else _wrap(g._data.copy())
                else:
                    t._grad = t._grad + g
    return grads


def _root_edges(tensors, grad_tensors, who: str):
    roots, grads = [], []
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if t._data.dtype.kind != "f":
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                   f"{t.dtype}")
            g = _wrap(_ones_like_data(t._data))
        else:
            if not isinstance(g, Tensor):
                raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
            if g._data.shape != t._data.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                                   f"output[{i}] has a shape of {t.shape}.")
        roots.append(grad_edge(t))
        grads.append(g)
    return roots, grads


def _ones_like_data(a):
    from ..backend import xp_of

    return xp_of(a).ones(a.shape, a.dtype)


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False,
             inputs=None) -> None:
    """Accumulate into leaves' `.grad` the gradient of `tensors` (weighted by grad_tensors)."""
    tensors = _as_tuple(tensors)
    grad_tensors = _as_tuple(grad_tensors) or (None,) * len(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    roots, grads = _root_edges(tensors, grad_tensors, "backward")
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
        results = grad(tensors, inputs, grad_tensors, retain_graph=retain_graph,
                       create_graph=create_graph, allow_unused=True)
        for t, g in zip(inputs, results):
            if g is None:
                continue
            if t.grad_fn is None:
                accumulate_node(t)._accumulate(g, create_graph)
            elif not t._retains():  # a retained grad was already filled in by the engine
                t._grad = g if t._grad is None else t._grad + g
        return
    run_backward(roots, grads, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused=None, is_grads_batched: bool = False,
         materialize_grads: bool = False):
    """Return the gradients of outputs with respect to inputs, without touching any `.grad`."""
    if is_grads_batched:
        raise NotImplementedError("ember.autograd.grad does not support is_grads_batched yet")
    outputs = _as_tuple(outputs)
    single = isinstance(inputs, Tensor)
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs) or (None,) * len(outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    for t in inputs:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots, grads = _root_edges(outputs, grad_outputs, "grad")
    targets = [grad_edge(t) for t in inputs]
    capture = {edge: None for edge in targets}
    run_backward(roots, grads, retain_graph, create_graph, capture=capture)
    results = []
    for k, (edge, t) in enumerate(zip(targets, inputs)):
        g = capture.get(edge)
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {k} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                g = _zeros_for((t._data.shape, t._data.dtype))
        elif g._data.shape != t._data.shape or g._data.dtype != t._data.dtype:
            g = _fit(g, (t._data.shape, t._data.dtype))
        results.append(g)
    return tuple(results) if not single or len(results) != 1 else (results[0],)
