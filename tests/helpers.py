"""Oracle helpers: run the same computation in ember and PyTorch and compare values and gradients.

    check_op(lambda x, y: x * y, shapes=[(2, 3), (3,)])

`fn` receives ember tensors in one run and torch tensors in the other (the two libraries share an
API), so one lambda usually serves both; pass `torch_fn` when they must differ.
"""

from __future__ import annotations

import numpy as np
import torch

import ember

DTYPES = {"float16": (ember.float16, torch.float16), "float32": (ember.float32, torch.float32),
          "float64": (ember.float64, torch.float64), "int64": (ember.int64, torch.int64),
          "int32": (ember.int32, torch.int32), "int16": (ember.int16, torch.int16),
          "int8": (ember.int8, torch.int8), "uint8": (ember.uint8, torch.uint8), "bool": (ember.bool, torch.bool)}
TOL = {"float16": (1e-2, 1e-2), "float32": (1e-5, 1e-5), "float64": (1e-10, 1e-10)}


def to_numpy(x) -> np.ndarray:
    """Values of an ember or torch tensor (or number) as a NumPy array."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    if isinstance(x, ember.Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def make_array(shape, dtype: str = "float64", low: float = -2.0, high: float = 2.0, seed: int = 0,
               noncontig: bool = False) -> np.ndarray:
    """Deterministic random data of a shape and dtype; non-contiguous (strided) when asked."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        a = rng.random(shape) > 0.5
    elif dtype.startswith(("int", "uint")):
        a = rng.integers(int(low), int(high) + 1, size=shape).astype(dtype)
    else:
        a = rng.uniform(low, high, size=shape).astype(dtype)
    if noncontig and len(shape) >= 1:
        wide = np.zeros(tuple(shape[:-1]) + (shape[-1] * 2,), dtype=a.dtype)
        wide[..., ::2] = a
        a = wide[..., ::2]
        assert not a.flags.c_contiguous or a.size <= 1
    return np.asarray(a)


def assert_same(e, t, atol: float | None = None, rtol: float | None = None, check_dtype: bool = True,
                equal_nan: bool = True) -> None:
    """An ember result equals a torch result: type, shape, dtype and values (within tolerance)."""
    if isinstance(t, (tuple, list)):
        assert isinstance(e, (tuple, list)), f"expected a sequence, got {type(e)}"
        assert len(e) == len(t), f"lengths differ: {len(e)} vs {len(t)}"
        for a, b in zip(e, t):
            assert_same(a, b, atol, rtol, check_dtype, equal_nan)
        return
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"expected an ember Tensor, got {type(e)}"
        assert tuple(e.shape) == tuple(t.shape), f"shape {tuple(e.shape)} != torch {tuple(t.shape)}"
        if check_dtype:
            assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], f"dtype {e.dtype} != torch {t.dtype}"
    ev, tv = to_numpy(e), to_numpy(t)
    name = tv.dtype.name
    d_atol, d_rtol = TOL.get(name, (0, 0))
    atol = d_atol if atol is None else atol
    rtol = d_rtol if rtol is None else rtol
    if tv.dtype.kind in "iub":
        np.testing.assert_array_equal(ev, tv)
    else:
        np.testing.assert_allclose(ev.astype(np.float64), tv.astype(np.float64), atol=atol, rtol=rtol,
                                   equal_nan=equal_nan)


def check_op(fn, shapes=None, *, arrays=None, torch_fn=None, dtype: str = "float64", grad: bool = True,
             low: float = -2.0, high: float = 2.0, noncontig: bool = False, atol: float | None = None,
             rtol: float | None = None, grad_atol: float | None = None, seed: int = 0, requires_grad=None):
    """Compare fn on ember and torch inputs: output values, dtypes, shapes, and (float) input gradients.

    Returns (ember_out, torch_out) for extra assertions.
    """
    if arrays is None:
        arrays = [make_array(s, dtype, low, high, seed + i, noncontig) for i, s in enumerate(shapes)]
    torch_fn = torch_fn or fn
    floating = [a.dtype.kind == "f" for a in arrays]
    want_grad = requires_grad if requires_grad is not None else [grad and f for f in floating]
    e_in = [ember.from_numpy(a.copy() if not noncontig else a).requires_grad_(bool(g)) if g
            else ember.from_numpy(a.copy() if not noncontig else a) for a, g in zip(arrays, want_grad)]
    t_in = [torch.from_numpy(np.array(a, order="C", copy=True)).requires_grad_(bool(g)) if g
            else torch.from_numpy(np.array(a, order="C", copy=True)) for a, g in zip(arrays, want_grad)]
    e_out, t_out = fn(*e_in), torch_fn(*t_in)
    assert_same(e_out, t_out, atol, rtol)
    if not any(want_grad):
        return e_out, t_out
    e_outs = [o for o in (e_out if isinstance(e_out, (tuple, list)) else (e_out,))
              if isinstance(o, ember.Tensor) and o.requires_grad]
    t_outs = [o for o in (t_out if isinstance(t_out, (tuple, list)) else (t_out,))
              if isinstance(o, torch.Tensor) and o.requires_grad]
    assert len(e_outs) == len(t_outs), "different number of differentiable outputs"
    if not t_outs:
        return e_out, t_out
    rng = np.random.default_rng(seed + 100)
    e_gs, t_gs = [], []
    for o in t_outs:
        g = rng.uniform(-1, 1, size=tuple(o.shape)).astype(to_numpy(o).dtype)
        e_gs.append(ember.from_numpy(g.copy()))
        t_gs.append(torch.from_numpy(g.copy()))
    t_leaves = [x for x, g in zip(t_in, want_grad) if g]
    e_leaves = [x for x, g in zip(e_in, want_grad) if g]
    t_grads = torch.autograd.grad(t_outs, t_leaves, t_gs, allow_unused=True)
    e_grads = ember.autograd.grad(e_outs, e_leaves, e_gs, allow_unused=True)
    for eg, tg in zip(e_grads, t_grads):
        if tg is None:
            assert eg is None or not np.any(to_numpy(eg)), "ember has a gradient where torch has none"
            continue
        assert eg is not None, "ember gave no gradient where torch has one"
        assert_same(eg, tg, grad_atol if grad_atol is not None else atol, rtol)
    return e_out, t_out
