"""Matrix products: matmul (@), mm, bmm, mv, dot, outer, inner, tensordot, multi_dot and the fused
add-products addmm, baddbmm, addbmm, addmv, addr. The heavy lifting goes to BLAS through NumPy.

Shape legend: a matrix product is (n, m) @ (m, p); a batched one adds a leading b.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._size import broadcast_batch
from .._tensor import Tensor, _wrap, _wrap_dim
from ..autograd.grad_mode import STATE
from ..autograd.graph import NULL_CTX, Op
from ._declare import declare

# C++ type names that some PyTorch messages use ("expected m1 and m2 to have the same dtype, but got: float != double")
_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
            "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
            "uint8": "unsigned char", "bool": "bool"}


def _c_name(t: Tensor) -> str:
    return _C_NAMES[t.dtype.name]


def _legacy_name(t: Tensor) -> str:
    return t.dtype._legacy.replace("Tensor", "")


def _no_bool(t: Tensor, kernel: str) -> None:
    # NotImplementedError subclasses RuntimeError, as PyTorch's does
    if t._data.dtype == np.bool_:
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _run(op, a: Tensor, b: Tensor):
    if STATE.enabled and (a._requires_grad or b._requires_grad):
        return op.apply(a, b)
    return _wrap(op.forward(NULL_CTX, a._data, b._data))


# -- the plain products -------------------------------------------------------------------------------


class Mm(Op):
    name = "MmBackward0"
    save = (0, 1)
    save_needed = {0: (1,), 1: (0,)}

    @staticmethod
    def forward(ctx, a, b):
        return a.dot(b)  # for 2-d operands dot is matmul, with less per-call overhead in NumPy

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (g.mm(b.t()) if n[0] else None), (a.t().mm(g) if n[1] else None)


def _check_mm(input: Tensor, mat2: Tensor) -> None:
    a, b = input._data.shape, mat2._data.shape
    if a[1] != b[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a[0]}x{a[1]} and {b[0]}x{b[1]})")
    if input._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_c_name(input)} != "
                           f"{_c_name(mat2)}")
    _no_bool(input, "addmm_impl_cpu_")


@declare(out=True)
def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Matrix product of two 2-d tensors: (n, m) @ (m, p) -> (n, p)."""
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    _check_mm(input, mat2)
    return _run(Mm, input, mat2)


class Bmm(Op):
    name = "BmmBackward0"
    save = (0, 1)
    save_needed = {0: (1,), 1: (0,)}

    @staticmethod
    def forward(ctx, a, b):
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (g.bmm(b.transpose(1, 2)) if n[0] else None), (a.transpose(1, 2).bmm(g) if n[1] else None)


def _check_bmm(a: Tensor, b: Tensor, batch: int, kernel: str = "bmm") -> None:
    sa, sb = a._data.shape, b._data.shape
    if sa[-1] != sb[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {sa[-1]}] "
                           f"but got: [{batch}, {sb[-2]}].")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected scalar type {_legacy_name(a)} but found {_legacy_name(b)}")
    _no_bool(a, kernel)


@declare(out=True)
def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of two 3-d tensors: (b, n, m) @ (b, m, p) -> (b, n, p)."""
    if input._data.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2._data.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    sa, sb = input._data.shape, mat2._data.shape
    if sa[0] != sb[0]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] but "
                           f"got: [{sb[0]}, {sb[1]}].")
    _check_bmm(input, mat2, sa[0])
    return _run(Bmm, input, mat2)


class Mv(Op):
    name = "MvBackward0"
    save = (0, 1)
    save_needed = {0: (1,), 1: (0,)}

    @staticmethod
    def forward(ctx, a, v):
        return a @ v

    @staticmethod
    def backward(ctx, g):
        a, v = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (g.outer(v) if n[0] else None), (a.t().mv(g) if n[1] else None)


def _check_mv(mat: Tensor, vec: Tensor, bias: Tensor | None = None) -> None:
    if mat._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {mat._data.ndim}, {vec._data.ndim}")
    (n, m), k = mat._data.shape, vec._data.shape[0]
    rows = n if bias is None or bias._data.ndim == 0 else bias._data.shape[-1]
    if m != k or (bias is not None and (bias._data.ndim > 1 or rows not in (1, n))):
        raise RuntimeError(f"size mismatch, got input ({rows}), mat ({n}x{m}), vec ({k})")
    first = vec if bias is None else bias
    if not (first._data.dtype == mat._data.dtype == vec._data.dtype):
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_legacy_name(first)}, "
                           f"{_legacy_name(mat)}, and {_legacy_name(vec)}")
    _no_bool(mat, "addmv_impl_cpu")


@declare(out=True)
def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product: (n, m) @ (m,) -> (n,)."""
    _check_mv(input, vec)
    return _run(Mv, input, vec)


class Dot(Op):
    name = "DotBackward0"
    save = (0, 1)
    save_needed = {0: (1,), 1: (0,)}

    @staticmethod
    def forward(ctx, a, b):
        return a @ b  # a 0-d result; _wrap makes NumPy's scalar an array

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        return (g * b if n[0] else None), (g * a if n[1] else None)


@declare(out=True)
def dot(input: Tensor, tensor: Tensor) -> Tensor:
    """Inner product of two 1-d tensors of equal length (a 0-d tensor)."""
    if input._data.ndim != 1 or tensor._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {tensor._data.ndim}D tensors")
    if input._data.dtype != tensor._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_legacy_name(input)} "
                           f"and {_legacy_name(tensor)}")
    n, k = input._data.shape[0], tensor._data.shape[0]
    if n != k:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{k}] to have the same number "
                           f"of elements, but got {n} and {k} elements respectively")
    _no_bool(input, "dot")
    return _run(Dot, input, tensor)


@declare(out=True)
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """Outer product of two 1-d tensors: (n,) x (p,) -> (n, p), dtypes promoted."""
    for name, v in (("self", input), ("vec2", vec2)):
        if v._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v._data.ndim}-D")
    return input.unsqueeze(1) * vec2


ger = declare("ger", out=True)(outer)


class Matmul(Op):
    """Broadcast batched matmul, for the cases that cannot be folded into one mm or mv."""

    name = "UnsafeViewBackward0"
    save = (0, 1)
    save_needed = {0: (1,), 1: (0,)}

    @staticmethod
    def forward(ctx, a, b):
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        # the engine sums the gradient over broadcast batch dims
        a, b = ctx.saved_tensors
        n = ctx.needs_input_grad
        ga = g.matmul(b.transpose(-1, -2)) if n[0] else None
        gb = a.transpose(-1, -2).matmul(g) if n[1] else None
        return ga, gb


@declare(out=True)
def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with PyTorch's rules for 1-d, 2-d and batched (broadcast) operands."""
    da, db = input._data.ndim, other._data.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if db <= 2:
        if da == 1:
            return dot(input, other) if db == 1 else mm(input.unsqueeze(0), other).squeeze(0)
        if da == 2:
            return mv(input, other) if db == 1 else mm(input, other)
        # fold the batch dims into rows: one BLAS call, as PyTorch does
        lead = input._data.shape[:-1]
        rows = input.reshape(math.prod(lead), input._data.shape[-1])
        if db == 1:
            return mv(rows, other).reshape(lead)
        if input._data.shape[-1] != other._data.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({math.prod(lead)}x"
                               f"{input._data.shape[-1]} and {other._data.shape[0]}x{other._data.shape[1]})")
        return mm(rows, other).reshape(lead + (other._data.shape[1],))
    a = input.unsqueeze(0) if da == 1 else input
    batch = broadcast_batch(a._data.shape[:-2], other._data.shape[:-2])
    _check_bmm(a, other, math.prod(batch))
    out = _run(Matmul, a, other)
    return out.squeeze(-2) if da == 1 else out


# -- fused add-products: beta * input + alpha * product --------------------------------------------------


def _check_scalars(t: Tensor, beta, alpha) -> None:
    if t._data.dtype.kind in "iub":
        for name, v in (("beta", beta), ("alpha", alpha)):
            if isinstance(v, float):
                raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point "
                                   "number.")


def _check_bias(input: Tensor, shape: tuple) -> None:
    """input must broadcast to the product's shape (PyTorch expands it, with expand's error)."""
    s = input._data.shape
    if s == shape:
        return
    if len(s) > len(shape) or any(x != 1 and x != y for x, y in zip(reversed(s), reversed(shape))):
        input.expand(shape)  # raises PyTorch's message


def _add_scaled(c, prod, beta, alpha):
    # prod is freshly computed, so it can be scaled and accumulated into in place
    if alpha != 1:
        prod *= alpha
    if beta != 0:  # beta == 0 ignores input entirely: NaN or inf in it must not propagate
        prod += c if beta == 1 else c * beta
    return prod


def _add_product_grads(ctx, g, grad_a, grad_b):
    a, b = ctx.saved_tensors
    need = ctx.needs_input_grad
    gc = (g if ctx.beta == 1 else g * ctx.beta) if need[0] else None
    if ctx.alpha != 1:
        g = g * ctx.alpha
    return gc, (grad_a(g, b) if need[1] else None), (grad_b(a, g) if need[2] else None)


class Addmm(Op):
    name = "AddmmBackward0"
    save = (1, 2)
    save_needed = {1: (2,), 2: (1,)}

    @staticmethod
    def forward(ctx, c, a, b, beta=1, alpha=1):
        ctx.beta, ctx.alpha = beta, alpha
        return _add_scaled(c, a @ b, beta, alpha)

    @staticmethod
    def backward(ctx, g):
        return _add_product_grads(ctx, g, lambda g, b: g.mm(b.t()), lambda a, g: a.t().mm(g))


class Baddbmm(Addmm):
    name = "BaddbmmBackward0"

    @staticmethod
    def backward(ctx, g):
        return _add_product_grads(ctx, g, lambda g, b: g.bmm(b.transpose(1, 2)),
                                  lambda a, g: a.transpose(1, 2).bmm(g))


class Addmv(Addmm):
    name = "AddmvBackward0"

    @staticmethod
    def backward(ctx, g):
        return _add_product_grads(ctx, g, lambda g, v: g.outer(v), lambda a, g: a.t().mv(g))


class Addr(Addmm):
    name = "AddrBackward0"

    @staticmethod
    def forward(ctx, c, a, b, beta=1, alpha=1):
        ctx.beta, ctx.alpha = beta, alpha
        return _add_scaled(c, a[:, None] * b, beta, alpha)

    @staticmethod
    def backward(ctx, g):
        return _add_product_grads(ctx, g, lambda g, v: g.mv(v), lambda u, g: g.t().mv(u))


@declare(inplace=True, out=True)
def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), input broadcast to (n, p)."""
    for name, m in (("mat1", mat1), ("mat2", mat2)):
        if m._data.ndim != 2:
            raise RuntimeError(f"{name} must be a matrix, got {m._data.ndim}-D tensor")
    if input._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_legacy_name(input)} and "
                           f"{_legacy_name(mat2)}")
    if mat1._data.dtype != mat2._data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_legacy_name(mat1)} and "
                           f"{_legacy_name(mat2)}")
    _check_mm(mat1, mat2)
    _check_bias(input, (mat1._data.shape[0], mat2._data.shape[1]))
    _check_scalars(input, beta, alpha)
    return Addmm.apply(input, mat1, mat2, beta=beta, alpha=alpha)


@declare(inplace=True, out=True)
def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (batch1 @ batch2) for 3-d batches, input broadcast to (b, n, p)."""
    if not (input._data.dtype == batch1._data.dtype == batch2._data.dtype):
        raise RuntimeError(f"Input dtypes must be the same, got: input {_c_name(input)}, batch1: "
                           f"{_c_name(batch1)}, batch2: {_c_name(batch2)}")
    bmm_shape = _check_batches(batch1, batch2)
    _check_bias(input, bmm_shape)
    _check_scalars(input, beta, alpha)
    return Baddbmm.apply(input, batch1, batch2, beta=beta, alpha=alpha)


def _check_batches(batch1: Tensor, batch2: Tensor) -> tuple:
    for name, t in (("batch1", batch1), ("batch2", batch2)):
        if t._data.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    sa, sb = batch1._data.shape, batch2._data.shape
    if sa[0] != sb[0] or sa[2] != sb[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] but "
                           f"got: [{sb[0]}, {sb[1]}].")
    _no_bool(batch1, "bmm")
    return (sa[0], sa[1], sb[2])


@declare(inplace=True, out=True)
def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * sum over b of (batch1[b] @ batch2[b])."""
    for name, t in (("batch1", batch1), ("batch2", batch2)):
        if t._data.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    (b, n, m), (b2, m2, p) = batch1._data.shape, batch2._data.shape
    if b != b2:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {b} and {b2}")
    if m != m2:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({n}x{m} and {m2}x{p})")
    # the batch sum is one mm over the concatenated inner dims
    left = batch1.transpose(0, 1).reshape(n, b * m)
    return addmm(input, left, batch2.reshape(b * m, p), beta=beta, alpha=alpha)


@declare(inplace=True, out=True)
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat @ vec)."""
    _check_mv(mat, vec, input)
    _check_scalars(input, beta, alpha)
    return Addmv.apply(input, mat, vec, beta=beta, alpha=alpha)


@declare(inplace=True, out=True)
def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * outer(vec1, vec2), dtypes promoted."""
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v._data.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v._data.ndim}-D")
    from .._dtype import result_type

    dt = result_type(input, vec1, vec2)
    input, vec1, vec2 = (t if t.dtype == dt else t.to(dt) for t in (input, vec1, vec2))
    _check_bias(input, (vec1._data.shape[0], vec2._data.shape[0]))
    _check_scalars(input, beta, alpha)
    return Addr.apply(input, vec1, vec2, beta=beta, alpha=alpha)


# -- contractions over several dims --------------------------------------------------------------------


@declare()
def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum of products over the last dim of both tensors; a plain product if either is 0-d."""
    if input._data.ndim == 0 or other._data.ndim == 0:
        return input * other
    if input._data.shape[-1] != other._data.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input._data.shape)} and {list(other._data.shape)}")
    return tensordot(input, other, dims=([-1], [-1]))


def _tensordot_dims(a: Tensor, b: Tensor, dims):
    if isinstance(dims, Tensor):
        dims = dims.item() if dims.numel() == 1 else dims.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a._data.ndim or dims > b._data.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        return list(range(-dims, 0)), list(range(dims))
    dims_a, dims_b = dims
    dims_a = [dims_a] if isinstance(dims_a, int) else list(dims_a)
    dims_b = [dims_b] if isinstance(dims_b, int) else list(dims_b)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    return dims_a, dims_b


def tensordot(a: Tensor, b: Tensor, dims=2, out: Tensor | None = None) -> Tensor:
    """Contract dims of a with dims of b (an int n: a's last n with b's first n; or two lists)."""
    dims_a, dims_b = _tensordot_dims(a, b, dims)
    sa, sb = a._data.shape, b._data.shape
    for da, db in zip(dims_a, dims_b):
        if sa[_wrap_dim(da, len(sa))] != sb[_wrap_dim(db, len(sb))]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {sa[da]} in dim {da} and "
                               f"second has size {sb[db]} in dim {db}")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    ca = [_wrap_dim(d, len(sa)) for d in dims_a]
    cb = [_wrap_dim(d, len(sb)) for d in dims_b]
    free_a = [d for d in range(len(sa)) if d not in ca]
    free_b = [d for d in range(len(sb)) if d not in cb]
    k = math.prod(sa[d] for d in ca)
    shape_a, shape_b = tuple(sa[d] for d in free_a), tuple(sb[d] for d in free_b)
    left = a.permute(free_a + ca).reshape(math.prod(shape_a), k)
    right = b.permute(cb + free_b).reshape(k, math.prod(shape_b))
    res = left.mm(right).reshape(shape_a + shape_b)
    if out is not None:
        from ._declare import write_out

        return write_out(res, out, "tensordot")
    return res


declare(method=False)(tensordot)


def _chain_order(sizes: list) -> list:
    """Optimal parenthesisation of a matrix chain with dims sizes[0] x ... x sizes[n] (split table)."""
    n = len(sizes) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + sizes[i] * sizes[k + 1] * sizes[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def _chain_product(mats: list, split: list, i: int, j: int) -> Tensor:
    if i == j:
        return mats[i]
    k = split[i][j]
    return mm(_chain_product(mats, split, i, k), _chain_product(mats, split, k + 1, j))


def multi_dot(tensors, *, out: Tensor | None = None) -> Tensor:
    """Product of a chain of matrices in the cheapest order; the first and last may be 1-d."""
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    for i, t in enumerate(tensors):
        nd = t._data.ndim
        if i in (0, n - 1) and nd not in (1, 2):
            raise RuntimeError(f"multi_dot(): the {'first' if i == 0 else 'last'} tensor must be 1D or 2D but got "
                               f"{nd}D")
        if 0 < i < n - 1 and nd != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {nd}D")
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{_c_name(tensors[0])} and tensor {i} {_c_name(t)}")
    first_vec, last_vec = tensors[0]._data.ndim == 1, tensors[-1]._data.ndim == 1
    mats = list(tensors)
    if first_vec:
        mats[0] = mats[0].unsqueeze(0)
    if last_vec:
        mats[-1] = mats[-1].unsqueeze(1)
    for i in range(n - 1):
        if mats[i]._data.shape[1] != mats[i + 1]._data.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(mats[i]._data.shape)} and "
                               f"{list(mats[i + 1]._data.shape)} cannot be multiplied")
    sizes = [m._data.shape[0] for m in mats] + [mats[-1]._data.shape[1]]
    res = _chain_product(mats, _chain_order(sizes), 0, n - 1)
    if first_vec and last_vec:
        res = res.reshape(())
    elif first_vec:
        res = res.squeeze(0)
    elif last_vec:
        res = res.squeeze(1)
    if out is not None:
        from ._declare import write_out

        return write_out(res, out, "multi_dot")
    return res


def chain_matmul(*matrices, out: Tensor | None = None) -> Tensor:
    """Deprecated product of 2-d matrices (use linalg.multi_dot)."""
    warnings.warn("chain_matmul is deprecated and will be removed in a future release. Use linalg.multi_dot "
                  "instead, which accepts a list of two or more tensors rather than multiple parameters.",
                  UserWarning, stacklevel=2)
    if len(matrices) == 1:
        if matrices[0]._data.ndim != 2:
            raise RuntimeError(f"chain_matmul(): Expected matrix but got {matrices[0]._data.ndim}D tensor")
        return matrices[0].clone()
    for i, m in enumerate(matrices):
        if m._data.ndim != 2:
            raise RuntimeError(f"chain_matmul(): tensor {i} must be 2D but got {m._data.ndim}D")
    return multi_dot(list(matrices), out=out)


declare(method=False)(chain_matmul)
