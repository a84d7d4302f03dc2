"""ember.linalg against PyTorch's torch.linalg: inv, det, slogdet, solve, norms, svdvals, cross, kron,
matrix_power, vecdot, and the errors (LinAlgError for singular matrices)."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import torch

import ember
import ember.linalg
from tests.helpers import assert_same, check_op, make_array

FLOATS = ["float32", "float64"]
INF = math.inf


def linalg(x):
    return torch.linalg if isinstance(x, torch.Tensor) else ember.linalg


def lib(x):
    return torch if isinstance(x, torch.Tensor) else ember


def well_conditioned(shape, dtype="float64", seed=0):
    """Random square matrices with a dominant diagonal (condition number ~ a few)."""
    n = shape[-1]
    return (make_array(shape, dtype, -1, 1, seed) + 3 * np.eye(n, dtype=dtype)).astype(dtype)


def test_namespace():
    assert ember.linalg.inv is not None and issubclass(ember.linalg.LinAlgError, RuntimeError)
    code = "import ember; import ember.linalg; print(ember.linalg.det(ember.eye(2)).item())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1.0"


# -- inverse, det, slogdet, logdet ---------------------------------------------------------------------
SQUARE = [(3, 3), (2, 4, 4), (2, 1, 2, 2), (1, 1)]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", SQUARE)
@pytest.mark.parametrize("name", ["inv", "det"])
def test_inv_det(name, shape, dtype):
    check_op(lambda a: getattr(linalg(a), name)(a), arrays=[well_conditioned(shape, dtype)])


@pytest.mark.parametrize("shape", SQUARE)
def test_slogdet(shape):
    a = well_conditioned(shape)
    a[..., 0, :] *= -1  # a negative determinant, so the sign matters
    e, t = check_op(lambda a: linalg(a).slogdet(a), arrays=[a], grad=False)
    assert e.sign.tolist() == t.sign.tolist()
    # one output only: gradient flows through logabsdet, and sign * logabsdet uses both outputs
    check_op(lambda a: (lambda r: r.sign * r.logabsdet)(linalg(a).slogdet(a)), arrays=[a])
    check_op(lambda a: lib(a).slogdet(a)[1], arrays=[a])


def test_legacy_names_and_methods():
    a = well_conditioned((3, 3))
    check_op(lambda a: a.inverse(), arrays=[a])
    check_op(lambda a: lib(a).inverse(a), arrays=[a])
    check_op(lambda a: a.det(), arrays=[a])
    check_op(lambda a: a.logdet(), arrays=[a])
    check_op(lambda a: lib(a).logdet(a), arrays=[-a])  # negative determinant: NaN
    assert type(ember.slogdet(ember.tensor(a))).__name__ == "slogdet"
    assert type(ember.linalg.slogdet(ember.tensor(a))).__name__ == "linalg_slogdet"


def test_det_of_singular_matrix_and_its_gradient():
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, 1.0, -1.0]])  # rank 2
    check_op(lambda a: linalg(a).det(a), arrays=[a])
    check_op(lambda a: linalg(a).det(a), arrays=[np.zeros((2, 2, 2))])


def test_empty_matrices():
    check_op(lambda a: linalg(a).inv(a), [(0, 0)])
    check_op(lambda a: linalg(a).det(a), [(2, 0, 0)])


def test_inv_det_double_backward():
    a = well_conditioned((3, 3))
    for name in ["inv", "det"]:
        results = []
        for mod in (torch, ember):
            x = mod.tensor(a, requires_grad=True)
            (g,) = mod.autograd.grad((getattr(mod.linalg, name)(x) ** 2).sum(), x, create_graph=True)
            results.append(mod.autograd.grad((g * g).sum(), x)[0])
        assert_same(results[1], results[0])


def test_inverse_times_input_is_identity():
    a = ember.tensor(well_conditioned((4, 5, 5)))
    np.testing.assert_allclose((a @ ember.linalg.inv(a)).numpy(), np.broadcast_to(np.eye(5), (4, 5, 5)), atol=1e-12)


# -- solve ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("sa,sb,left", [((3, 3), (3,), True), ((3, 3), (3, 2), True), ((2, 3, 3), (3,), True),
                                        ((2, 3, 3), (2, 3), True), ((2, 3, 3), (4, 1, 3, 2), True),
                                        ((2, 3, 3), (3, 2), True), ((3, 3), (2, 3), False),
                                        ((2, 3, 3), (2, 4, 3), False)])
def test_solve(sa, sb, left, dtype):
    check_op(lambda a, b: linalg(a).solve(a, b, left=left),
             arrays=[well_conditioned(sa, dtype), make_array(sb, dtype, seed=1)])


def test_solve_matches_inverse():
    a, b = well_conditioned((2, 4, 4)), make_array((2, 4, 3), seed=1)
    x = ember.linalg.solve(ember.tensor(a), ember.tensor(b))
    np.testing.assert_allclose(x.numpy(), np.linalg.inv(a) @ b, rtol=1e-10)


# -- errors ---------------------------------------------------------------------------------------------------
E64 = ember.float64


@pytest.mark.parametrize("fn,err,msg", [
    (lambda: ember.linalg.inv(ember.zeros(3, 3)), ember.linalg.LinAlgError,
     "linalg.inv: The diagonal element 1 is zero, the inversion could not be completed because the input matrix is "
     "singular."),
    (lambda: ember.linalg.inv(ember.ones(3, 3)), ember.linalg.LinAlgError,
     "linalg.inv: The diagonal element 2 is zero"),
    (lambda: ember.linalg.inv(ember.stack([ember.eye(3), ember.ones(3, 3)])), RuntimeError,
     r"linalg.inv: \(Batch element 1\): The diagonal element 2 is zero"),
    (lambda: ember.inverse(ember.ones(2, 3)), RuntimeError,
     "linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: ember.linalg.inv(ember.ones(3)), RuntimeError,
     "linalg.inv: The input tensor A must have at least 2 dimensions."),
    (lambda: ember.linalg.inv(ember.ones(3, 3, dtype=ember.int64)), RuntimeError,
     "linalg.inv: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: ember.linalg.inv(ember.ones(3, 3, dtype=ember.float16)), RuntimeError,
     "linalg.inv: Low precision dtypes not supported. Got Half"),
    (lambda: ember.det(ember.ones(2, 3)), RuntimeError,
     "linalg.det: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda: ember.linalg.slogdet(ember.ones(3, 3, dtype=ember.int64)), RuntimeError,
     "linalg.slogdet: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: ember.linalg.solve(ember.zeros(2, 3, 3), ember.ones(3, 2)), ember.linalg.LinAlgError,
     r"linalg.solve: \(Batch element 0\): The solver failed because the input matrix is singular."),
    (lambda: ember.linalg.solve(ember.ones(3, 3), ember.ones(4)), RuntimeError,
     r"linalg.solve: Incompatible shapes of A and B for the equation AX = B \(3x3 and 4x1\)"),
    (lambda: ember.linalg.solve(ember.ones(3, 3), ember.ones(3), left=False), RuntimeError,
     r"linalg.solve: Incompatible shapes of A and B for the equation XA = B \(3x3 and 3x1\)"),
    (lambda: ember.linalg.solve(ember.ones(3, 3), ember.ones(3, 2, dtype=E64)), RuntimeError,
     "linalg.solve: Expected A and B to have the same dtype, but found A of type Float and B of type Double instead"),
    (lambda: ember.linalg.solve(ember.ones(3, 2), ember.ones(3, 2)), RuntimeError,
     "linalg.solve: A must be batches of square matrices, but they are 3 by 2 matrices"),
    (lambda: ember.linalg.matrix_power(ember.ones(3, 4), 2), RuntimeError,
     "linalg.matrix_power: A must be batches of square matrices, but they are 3 by 4 matrices"),
])
def test_errors(fn, err, msg):
    with pytest.raises(err, match=msg):
        fn()


def test_singular_error_matches_torch_class_hierarchy():
    with pytest.raises(torch.linalg.LinAlgError):
        torch.linalg.inv(torch.zeros(2, 2))
    with pytest.raises(RuntimeError) as info:
        ember.linalg.inv(ember.zeros(2, 2))
    assert type(info.value).__name__ == "LinAlgError"


# -- norms ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ord", [2, 1, 3, 0.5, -1, -2.5, INF, -INF, 0])
@pytest.mark.parametrize("shape,dim,keepdim", [((3, 4), None, False), ((3, 4), 1, True), ((2, 3, 4), (0, -1), False),
                                               ((5,), 0, False), ((), None, False)])
def test_vector_norm(ord, shape, dim, keepdim):
    check_op(lambda x: linalg(x).vector_norm(x, ord, dim, keepdim), [shape])


@pytest.mark.parametrize("ord", [2, 1, 3, 0.5, -1, INF, -INF, 0])
def test_vector_norm_at_zero_and_ties(ord):
    check_op(lambda x: linalg(x).vector_norm(x, ord), arrays=[np.zeros(4)])
    check_op(lambda x: linalg(x).vector_norm(x, ord, dim=1),
             arrays=[np.array([[0.0, 0.0, 0.0], [3.0, -4.0, 0.0], [1.0, -3.0, 3.0]])])


def test_vector_norm_dtype_and_float32_noncontig():
    check_op(lambda x: linalg(x).vector_norm(x, dtype=torch.float64 if isinstance(x, torch.Tensor) else E64),
             [(3, 4)], dtype="float32")
    check_op(lambda x: linalg(x).vector_norm(x, 2, -1), [(3, 4)], dtype="float32", noncontig=True)
    check_op(lambda x: linalg(x).vector_norm(x), [(0, 3)])


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("ord", ["fro", "nuc", 2, -2, 1, -1, INF, -INF])
@pytest.mark.parametrize("shape,dim,keepdim", [((3, 4), (-2, -1), False), ((2, 4, 3), (-2, -1), True),
                                               ((3, 2, 4), (2, 0), False)])
def test_matrix_norm(ord, shape, dim, keepdim, dtype):
    check_op(lambda x: linalg(x).matrix_norm(x, ord, dim, keepdim), [shape], dtype=dtype,
             atol=1e-4 if dtype == "float32" else None)


@pytest.mark.parametrize("shape,ord,dim", [((3, 4), None, None), ((2, 3, 4), None, None), ((3, 4), 2, None),
                                           ((4,), 1, None), ((3, 4), INF, 1), ((3, 4), "fro", (0, 1)),
                                           ((2, 3, 4), -1, (1, 2)), ((3, 4), "nuc", None)])
def test_linalg_norm(shape, ord, dim):
    check_op(lambda x: linalg(x).norm(x, ord, dim), [shape])
    check_op(lambda x: linalg(x).norm(x, ord, dim, keepdim=True), [shape])


@pytest.mark.parametrize("p,dim", [("fro", None), ("fro", 1), (2, (0, 1)), (1, None), (INF, 0), ("nuc", None)])
def test_torch_norm(p, dim):
    check_op(lambda x: lib(x).norm(x, p, dim), [(3, 4)])
    check_op(lambda x: x.norm(p, dim, True), [(3, 4)])


@pytest.mark.parametrize("fn,err,msg", [
    (lambda: ember.linalg.vector_norm(ember.ones(3, dtype=ember.int64)), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: ember.linalg.vector_norm(ember.ones(3, dtype=E64), dtype=ember.float32), RuntimeError,
     r"linalg.vector_norm: the dtype of the input \(Double\) should be convertible without narrowing to the "
     r"specified dtype \(Float\)"),
    (lambda: ember.linalg.vector_norm(ember.ones(0), INF), RuntimeError,
     "linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation does not have an "
     "identity"),
    (lambda: ember.linalg.vector_norm(ember.ones(2, 0), -INF, dim=1), RuntimeError,
     "linalg.vector_norm cannot compute the -inf norm on the dimension 1because this dimension is empty"),
    (lambda: ember.linalg.vector_norm(ember.ones(3), "fro"), TypeError,
     "linalg_vector_norm\\(\\): argument 'ord' must be Number, not str"),
    (lambda: ember.linalg.vector_norm(ember.ones(3), dim=3), IndexError,
     r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 3\)"),
    (lambda: ember.linalg.matrix_norm(ember.ones(3, 4), 3), RuntimeError, "linalg.matrix_norm: Order 3 not supported."),
    (lambda: ember.linalg.matrix_norm(ember.ones(3, 4), "abc"), RuntimeError,
     "linalg.matrix_norm: Order abc not supported."),
    (lambda: ember.linalg.matrix_norm(ember.ones(4)), RuntimeError,
     "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."),
    (lambda: ember.linalg.matrix_norm(ember.ones(2, 3, 4), dim=(0, 0)), RuntimeError,
     r"linalg.matrix_norm: dims must be different. Got \(0, 0\)"),
    (lambda: ember.linalg.norm(ember.ones(3, 4), "fro", dim=1), RuntimeError,
     "linalg.matrix_norm: dim must be a 2-tuple. Got 1"),
    (lambda: ember.linalg.norm(ember.ones(3, 4), 2, dim=(0, 1, 1)), RuntimeError,
     r"linalg.norm: If dim is specified, it must be of length 1 or 2. Got \[0, 1, 1\]"),
    (lambda: ember.linalg.norm(ember.ones(2, 3, 4), 2), RuntimeError,
     "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got 3D."),
    (lambda: ember.linalg.norm(ember.ones(3), "fro"), RuntimeError,
     "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."),
    (lambda: ember.norm(ember.ones(2, 3, 4), "nuc"), RuntimeError,
     "linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"),
])
def test_norm_errors(fn, err, msg):
    with pytest.raises(err, match=msg):
        fn()


@pytest.mark.parametrize("shape", [(3, 4), (2, 4, 3), (3, 3)])
def test_svdvals(shape):
    check_op(lambda x: linalg(x).svdvals(x), [shape])


def test_svdvals_double_backward_is_refused():
    x = ember.tensor(make_array((3, 3)), requires_grad=True)
    with pytest.raises(NotImplementedError, match="double backward through singular values"):
        ember.autograd.grad(ember.linalg.svdvals(x).sum(), x, create_graph=True)


# -- cross, kron, matrix_power, vecdot ----------------------------------------------------------------------
@pytest.mark.parametrize("sa,sb,dim", [((2, 3), (2, 3), -1), ((2, 3), (1, 3), -1), ((3, 2), (3, 2), 0),
                                       ((4, 3, 5), (4, 3, 5), 1)])
def test_linalg_cross(sa, sb, dim):
    check_op(lambda a, b: linalg(a).cross(a, b, dim=dim), [sa, sb])
    check_op(lambda a, b: lib(a).cross(a, b, dim=dim), [sa, sb])


def test_cross_default_dim_warns_and_errors():
    with pytest.warns(UserWarning, match="Using torch.cross without specifying the dim arg is deprecated"):
        check_op(lambda a, b: lib(a).cross(a, b), [(3, 2), (3, 2)])
    with pytest.raises(RuntimeError, match="linalg.cross: inputs dimension -1 must have length 3. Got 4 and 4"):
        ember.linalg.cross(ember.ones(2, 4), ember.ones(2, 4))
    with pytest.raises(RuntimeError, match="expected scalar type Float but found Double"):
        ember.linalg.cross(ember.ones(3), ember.ones(3, dtype=E64))


@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 2)), ((2,), (3,)), ((2, 3), (2, 1, 2)), ((), (3,))])
def test_kron(sa, sb):
    check_op(lambda a, b: lib(a).kron(a, b), [sa, sb])


def test_kron_worked_example():
    a, b = ember.tensor([[1, 2], [3, 4]]), ember.tensor([[0, 1], [1, 0]])
    assert ember.kron(a, b).tolist() == [[0, 1, 0, 2], [1, 0, 2, 0], [0, 3, 0, 4], [3, 0, 4, 0]]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, -1, -2])
def test_matrix_power(n):
    check_op(lambda a: a.matrix_power(n), arrays=[well_conditioned((2, 3, 3)) / 3])
    check_op(lambda a: linalg(a).matrix_power(a, n), arrays=[well_conditioned((3, 3)) / 3])


def test_matrix_power_integers_and_vecdot():
    check_op(lambda a: a.matrix_power(3), [(3, 3)], dtype="int64", low=-3, high=3)
    check_op(lambda a, b: linalg(a).vecdot(a, b), [(3, 4), (4,)])
    check_op(lambda a, b: linalg(a).vecdot(a, b, dim=0), [(3, 4), (3, 1)])
