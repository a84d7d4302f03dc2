"""gradcheck and gradgradcheck: compare autograd's Jacobian with central finite differences.

Shape legend: a Jacobian block for (output i, input j) is a float64 array of shape
(numel of input j, numel of output i), column k being the gradient of output element k,
as in PyTorch. The numerical block perturbs each input element by +-eps in place.

    x = ember.randn(3, dtype=ember.float64, requires_grad=True)
    ember.autograd.gradcheck(ember.sin, (x,))        # True, or raises GradcheckError
"""

from __future__ import annotations

import warnings

import numpy as np

from .._tensor import Tensor, _wrap
from .engine import grad as _grad


class GradcheckError(RuntimeError):
    """Error raised by gradcheck and gradgradcheck."""


def _as_tuple(x) -> tuple:
    if isinstance(x, Tensor):
        return (x,)
    if isinstance(x, (tuple, list)):
        return tuple(x)
    return (x,)


def _np(t: Tensor) -> np.ndarray:
    """Values of t as a float64 NumPy array (a copy)."""
    a = t._data if t._data.__class__ is np.ndarray else t.detach().cpu()._data
    return np.array(a, dtype=np.float64)


def _diff_inputs(inputs) -> list:
    return [t for t in inputs if isinstance(t, Tensor) and t._requires_grad]


def _diff_outputs(outputs) -> tuple:
    return tuple(o for o in outputs if isinstance(o, Tensor) and o._requires_grad)


def _check_inputs(inputs) -> None:
    """PyTorch's warnings and errors about the inputs of gradcheck."""
    any_requires_grad = False
    for idx, t in enumerate(inputs):
        if not (isinstance(t, Tensor) and t._requires_grad):
            continue
        if t._data.dtype != np.float64:
            warnings.warn(f"Input #{idx} requires gradient and is not a double precision floating point or "
                          "complex. This check will likely fail if all the inputs are not of double precision "
                          "floating point or complex. ", UserWarning, stacklevel=3)
        if not all(st > 0 or sz <= 1 for st, sz in zip(t.stride(), t._data.shape)):
            raise RuntimeError(f"The {idx}th input has a dimension with stride 0. gradcheck only supports inputs "
                               "that are non-overlapping to be able to compute the numerical gradients correctly. "
                               "You should call .contiguous on the input before passing it to gradcheck.")
        any_requires_grad = True
    if not any_requires_grad:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them have "
                         "requires_grad=True.")


def _eval(func, inputs) -> list:
    """func's outputs as float64 arrays (None for outputs that are not floating-point tensors)."""
    outs = _as_tuple(func(*inputs))
    return [_np(o) if isinstance(o, Tensor) and o._data.dtype.kind == "f" else None for o in outs]


def _numerical_jacobian(func, inputs, eps: float) -> list:
    """jac[j][i]: central-difference Jacobian block of output i w.r.t. differentiable input j (None if not float)."""
    base = _eval(func, inputs)
    jac = []
    for t in _diff_inputs(inputs):
        data = t._data
        blocks = [None if b is None else np.zeros((data.size, b.size)) for b in base]
        for row, idx in enumerate(np.ndindex(*data.shape)):
            orig = data[idx].item()
            data[idx] = orig - eps
            minus = _eval(func, inputs)
            data[idx] = orig + eps
            plus = _eval(func, inputs)
            data[idx] = orig
            for block, p, m in zip(blocks, plus, minus):
                if block is not None:
                    block[row] = ((p - m) / (2 * eps)).reshape(-1)
        jac.append(blocks)
    return jac


def _analytical_jacobian(output: Tensor, inputs, check_grad_dtypes: bool) -> list:
    """block[j]: Jacobian of output w.r.t. differentiable input j, one backward per output element."""
    diff = _diff_inputs(inputs)
    blocks = [np.zeros((t._data.size, output._data.size)) for t in diff]
    flat = np.zeros(output._data.size, dtype=output._data.dtype)
    for k in range(output._data.size):
        flat[:] = 0
        flat[k] = 1
        grad_out = _wrap(flat.reshape(output._data.shape).copy())
        if output._data.__class__ is not np.ndarray:
            grad_out = grad_out.to(output.device)
        grads = _grad((output,), diff, (grad_out,), retain_graph=True, allow_unused=True)
        for j, (g, t) in enumerate(zip(grads, diff)):
            if g is None:
                continue
            if g._data.shape != t._data.shape:
                raise GradcheckError("Analytical gradient has incorrect size")
            if check_grad_dtypes and g._data.dtype != t._data.dtype:
                raise GradcheckError("Gradient has dtype mismatch")
            blocks[j][:, k] = _np(g).reshape(-1)
    return blocks


def _mismatch(analytical: np.ndarray, numerical: np.ndarray, i: int, j: int, suffix: str = "") -> str:
    return (f"Jacobian mismatch for output {i:d} with respect to input {j:d},\n"
            f"numerical:{_wrap(numerical)}\nanalytical:{_wrap(analytical)}\n{suffix}")


def _slow_check(func, inputs, outputs, all_outputs, eps, atol, rtol, nondet_tol, check_grad_dtypes) -> None:
    numerical = _numerical_jacobian(func, inputs, eps)
    if not outputs:
        for blocks in numerical:
            for n in blocks:
                if n is not None and not np.all(n == 0):
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return
    diff_positions = [i for i, o in enumerate(all_outputs) if isinstance(o, Tensor) and o._requires_grad]
    for i, (pos, out) in enumerate(zip(diff_positions, outputs)):
        first = _analytical_jacobian(out, inputs, check_grad_dtypes)
        second = _analytical_jacobian(out, inputs, check_grad_dtypes)
        for j, (a, n_blocks) in enumerate(zip(first, numerical)):
            n = n_blocks[pos]
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                raise GradcheckError(_mismatch(a, n, i, j))
        if any(a.size and np.max(np.abs(a - b)) > nondet_tol for a, b in zip(first, second)):
            raise GradcheckError("Backward is not reentrant, i.e., running backward with same input and grad_output "
                                 "multiple times gives different values, although analytical gradient matches "
                                 f"numerical gradient.The tolerance for nondeterminism was {nondet_tol}.")


def _fast_check(func, inputs, outputs, all_outputs, eps, atol, rtol, nondet_tol, check_grad_dtypes) -> None:
    """Compare v^T J u (analytical: one backward per output) with v^T (J u) (numerical: one direction)."""
    rng = np.random.default_rng(0)
    diff = _diff_inputs(inputs)
    us = [rng.uniform(-1, 1, t._data.shape) for t in diff]
    us = [u / max(np.linalg.norm(u), 1e-12) for u in us]
    ju = []  # ju[j][pos]: directional derivative of each output along u_j
    for t, u in zip(diff, us):
        data = t._data
        orig = data.copy()
        data[...] = orig - eps * u
        minus = _eval(func, inputs)
        data[...] = orig + eps * u
        plus = _eval(func, inputs)
        data[...] = orig
        ju.append([None if p is None else (p - m) / (2 * eps) for p, m in zip(plus, minus)])
    diff_positions = [i for i, o in enumerate(all_outputs) if isinstance(o, Tensor) and o._requires_grad]
    for i, (pos, out) in enumerate(zip(diff_positions, outputs)):
        v = rng.uniform(-1, 1, out._data.shape)
        v = v / max(np.linalg.norm(v), 1e-12)
        grad_out = _wrap(v.astype(out._data.dtype))
        grads = _grad((out,), diff, (grad_out,), retain_graph=True, allow_unused=True)
        for j, (g, u) in enumerate(zip(grads, us)):
            a = 0.0 if g is None else float(np.sum(_np(g) * u))
            n = float(np.sum(v * ju[j][pos]))
            tol = atol * np.abs(u).sum() * np.abs(v).sum()
            if not abs(a - n) <= tol + rtol * abs(n):
                # recompute slowly so that the error shows whole Jacobians, as PyTorch does
                _slow_check(func, inputs, outputs, all_outputs, eps, atol, rtol, nondet_tol, check_grad_dtypes)
                raise GradcheckError(_mismatch(np.array(a), np.array(n), i, j,
                                               "\nThe above quantities relating the numerical and analytical "
                                               "jacobians are computed in fast mode."))


def _check_zero_grad_outputs(outputs, inputs) -> None:
    """Backward must scale with grad_output: zero grad_outputs give zero gradients of the right type and size."""
    diff = _diff_inputs(inputs)
    zeros = tuple(_wrap(o._data * 0) for o in outputs)
    grads = _grad(outputs, diff, zeros, retain_graph=True, allow_unused=True)
    for g, t in zip(grads, diff):
        if g is None:
            continue
        if g._data.shape != t._data.shape:
            raise GradcheckError("grad is incorrect size")
        if np.any(_np(g) != 0):
            raise GradcheckError("backward not multiplied by grad_output")
        if g._data.dtype != t._data.dtype:
            raise GradcheckError("grad is incorrect type")


def _check_undefined_grad(outputs, inputs) -> None:
    """Backward must cope when only one output of a multi-output function receives a gradient."""
    diff = _diff_inputs(inputs)
    for out in outputs:
        try:
            grads = _grad((out,), diff, (_wrap(out._data * 0),), retain_graph=True, allow_unused=True)
        except RuntimeError as e:
            raise GradcheckError("Expected backward function to handle undefined output grads. Please look at "
                                 '"Notes about undefined output gradients" in "tools/autograd/derivatives.yaml"') from e
        for g in grads:
            if g is not None and np.any(_np(g) != 0):
                raise GradcheckError("Expected all input grads to be undefined or zero when all output grads are "
                                     'undefined or zero. Please look at "Notes about undefined output gradients" in '
                                     '"tools/autograd/derivatives.yaml"')


def _unsupported(**flags) -> None:
    for name, value in flags.items():
        if value:
            raise NotImplementedError(f"gradcheck: {name}=True needs forward-mode AD or vmap, which ember does not "
                                      "have; only backward-mode checks are available")


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
              check_grad_dtypes: bool = False, check_batched_grad: bool = False,
              check_batched_forward_grad: bool = False, check_forward_ad: bool = False,
              check_backward_ad: bool = True, fast_mode: bool = False, masked: bool | None = None) -> bool:
    """Check autograd's gradients of func at inputs against finite differences (use float64 inputs).

    Returns True, or raises GradcheckError (returns False when raise_exception=False).

    Example:
        >>> x = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
        >>> ember.autograd.gradcheck(lambda t: (t * t).sum(1), (x,))
        True
    """
    _unsupported(check_batched_grad=check_batched_grad, check_batched_forward_grad=check_batched_forward_grad,
                 check_forward_ad=check_forward_ad)
    try:
        return _gradcheck(func, _as_tuple(inputs), eps, atol, rtol, nondet_tol, check_undefined_grad,
                          check_grad_dtypes, check_backward_ad, fast_mode)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad, check_grad_dtypes,
               check_backward_ad, fast_mode) -> bool:
    _check_inputs(inputs)
    all_outputs = _as_tuple(func(*inputs))
    outputs = _diff_outputs(all_outputs)
    if not check_backward_ad:
        return True
    check = _fast_check if fast_mode else _slow_check
    check(func, inputs, outputs, all_outputs, eps, atol, rtol, nondet_tol, check_grad_dtypes)
    if outputs:
        _check_zero_grad_outputs(outputs, inputs)
        if check_undefined_grad:
            _check_undefined_grad(outputs, inputs)
    return True


def _random_grad_output(out: Tensor, noncontig: bool) -> Tensor:
    """Uniform(-1, 1) values shaped like out, float64 for non-float outputs, requiring grad."""
    from ..random import rand

    dtype = out.dtype if out.is_floating_point() else None
    shape = tuple(out.shape)
    if noncontig and shape and shape[-1] > 1:
        wide = rand(*shape[:-1], 2 * shape[-1], dtype=dtype or _float64()) * 2 - 1
        g = wide[..., ::2]
    else:
        g = rand(*shape, dtype=dtype or _float64()) * 2 - 1
    return g.detach().requires_grad_(True)


def _float64():
    from .._dtype import float64

    return float64


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False, check_batched_grad: bool = False,
                  check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True, fast_mode: bool = False,
                  masked: bool = False) -> bool:
    """Check second derivatives: gradcheck of the map (inputs, grad_outputs) -> vector-Jacobian products.

    Example:
        >>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
        >>> ember.autograd.gradgradcheck(lambda t: t ** 3, (x,))
        True
    """
    _unsupported(check_fwd_over_rev=check_fwd_over_rev)
    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outputs = _diff_outputs(_as_tuple(func(*inputs)))
        grad_outputs = tuple(_random_grad_output(o, gen_non_contig_grad_outputs) for o in outputs)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def vjp(*args):
        outs = _diff_outputs(_as_tuple(func(*args[:n_in])))
        diff = _diff_inputs(args[:n_in])
        grads = _grad(outs, diff, args[n_in:], create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    if not check_rev_over_rev:
        return True
    return gradcheck(vjp, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception,
                     nondet_tol=nondet_tol, check_undefined_grad=check_undefined_grad,
                     check_grad_dtypes=check_grad_dtypes, check_batched_grad=check_batched_grad, fast_mode=fast_mode)
