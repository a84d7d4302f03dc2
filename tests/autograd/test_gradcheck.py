"""gradcheck / gradgradcheck: they catch wrong gradients, and ember's ops pass them in float64."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import ember
from ember.autograd import GradcheckError, gradcheck, gradgradcheck

from ..helpers import make_array


def inputs(shapes, low=-2.0, high=2.0, seed=0, noncontig=False):
    return tuple(ember.from_numpy(make_array(s, "float64", low, high, seed + i, noncontig)).requires_grad_()
                 for i, s in enumerate(shapes))


# (name, fn, shapes, low, high); inputs are float64 in [low, high]
IDX = ember.tensor([2, 0, 2])
OPS = [
    ("add", lambda a, b: a + b, [(2, 3), (3,)], -2, 2),
    ("add_alpha", lambda a, b: ember.add(a, b, alpha=2.5), [(2, 3), (2, 3)], -2, 2),
    ("sub", lambda a, b: a - b, [(2, 3), (2, 1)], -2, 2),
    ("mul", lambda a, b: a * b, [(2, 3), ()], -2, 2),
    ("div", lambda a, b: a / b, [(2, 3), (3,)], 0.5, 2),
    ("pow", lambda a, b: a ** b, [(2, 3), (2, 3)], 0.5, 2),
    ("pow_scalar", lambda a: a ** 3, [(2, 3)], -2, 2),
    ("rpow", lambda a: 2 ** a, [(4,)], -2, 2),
    ("exp", lambda a: a.exp(), [(2, 3)], -2, 2),
    ("log", lambda a: a.log(), [(2, 3)], 0.5, 2),
    ("log1p", lambda a: ember.log1p(a), [(5,)], 0.5, 2),
    ("sin", lambda a: a.sin(), [(2, 3)], -2, 2),
    ("cos", lambda a: ember.cos(a), [(2, 3)], -2, 2),
    ("tan", lambda a: ember.tan(a), [(4,)], -1, 1),
    ("tanh", lambda a: a.tanh(), [(2, 3)], -2, 2),
    ("sigmoid", lambda a: a.sigmoid(), [(2, 3)], -2, 2),
    ("relu", lambda a: a.relu(), [(2, 3)], -2, 2),
    ("sqrt", lambda a: a.sqrt(), [(2, 3)], 0.5, 2),
    ("rsqrt", lambda a: ember.rsqrt(a), [(4,)], 0.5, 2),
    ("abs", lambda a: a.abs(), [(2, 3)], 0.5, 2),
    ("neg", lambda a: -a, [(2, 3)], -2, 2),
    ("reciprocal", lambda a: ember.reciprocal(a), [(4,)], 0.5, 2),
    ("erf", lambda a: ember.erf(a), [(4,)], -2, 2),
    ("atan2", lambda a, b: ember.atan2(a, b), [(4,), (4,)], 0.5, 2),
    ("asin", lambda a: ember.asin(a), [(4,)], -0.9, 0.9),
    ("sinh", lambda a: ember.sinh(a), [(4,)], -2, 2),
    ("clamp", lambda a: a.clamp(-1, 1), [(3, 4)], -2, 2),
    ("maximum", lambda a, b: ember.maximum(a, b), [(2, 3), (3,)], -2, 2),
    ("minimum", lambda a, b: ember.minimum(a, b), [(2, 3), (2, 3)], -2, 2),
    ("where", lambda a, b: ember.where(a > 0, a, b), [(2, 3), (2, 3)], -2, 2),
    ("lerp", lambda a, b, w: ember.lerp(a, b, w), [(3,), (3,), (3,)], -2, 2),
    ("addcmul", lambda a, b, c: ember.addcmul(a, b, c, value=0.5), [(3,), (3,), (3,)], -2, 2),
    ("addcdiv", lambda a, b, c: ember.addcdiv(a, b, c, value=0.5), [(3,), (3,), (3,)], 0.5, 2),
    ("matmul", lambda a, b: a @ b, [(2, 3), (3, 4)], -2, 2),
    ("matmul_batched", lambda a, b: ember.matmul(a, b), [(2, 2, 3), (3, 2)], -2, 2),
    ("matmul_vector", lambda a, b: ember.matmul(a, b), [(3,), (3, 2)], -2, 2),
    ("mm", lambda a, b: ember.mm(a, b), [(2, 3), (3, 2)], -2, 2),
    ("bmm", lambda a, b: ember.bmm(a, b), [(2, 2, 3), (2, 3, 2)], -2, 2),
    ("mv", lambda a, b: ember.mv(a, b), [(2, 3), (3,)], -2, 2),
    ("dot", lambda a, b: ember.dot(a, b), [(3,), (3,)], -2, 2),
    ("outer", lambda a, b: ember.outer(a, b), [(3,), (2,)], -2, 2),
    ("addmm", lambda c, a, b: ember.addmm(c, a, b, beta=0.5, alpha=2.0), [(2, 2), (2, 3), (3, 2)], -2, 2),
    ("sum", lambda a: a.sum(), [(2, 3)], -2, 2),
    ("sum_dim_keepdim", lambda a: a.sum(-1, keepdim=True), [(2, 3)], -2, 2),
    ("mean", lambda a: a.mean(), [(2, 3)], -2, 2),
    ("mean_dims", lambda a: a.mean((0, 2)), [(2, 3, 2)], -2, 2),
    ("prod", lambda a: ember.prod(a, 1), [(2, 3)], 0.5, 2),
    ("amax", lambda a: ember.amax(a, 1), [(2, 3)], -2, 2),
    ("logsumexp", lambda a: ember.logsumexp(a, 1), [(2, 3)], -2, 2),
    ("var", lambda a: ember.var(a, 1), [(2, 3)], -2, 2),
    ("std", lambda a: ember.std(a), [(2, 3)], -2, 2),
    ("norm", lambda a: ember.norm(a), [(2, 3)], -2, 2),
    ("cumsum", lambda a: ember.cumsum(a, 1), [(2, 3)], -2, 2),
    ("reshape", lambda a: a.reshape(3, 2), [(2, 3)], -2, 2),
    ("view", lambda a: a.view(-1), [(2, 3)], -2, 2),
    ("transpose", lambda a: a.transpose(0, 1), [(2, 3)], -2, 2),
    ("permute", lambda a: a.permute(2, 0, 1), [(2, 3, 2)], -2, 2),
    ("t", lambda a: a.t(), [(2, 3)], -2, 2),
    ("unsqueeze_squeeze", lambda a: a.unsqueeze(1).squeeze(), [(2, 3)], -2, 2),
    ("expand", lambda a: a.expand(2, 3, 3), [(3, 1)], -2, 2),
    ("narrow", lambda a: a.narrow(1, 1, 2), [(2, 3)], -2, 2),
    ("select", lambda a: a.select(0, 1), [(2, 3)], -2, 2),
    ("basic_index", lambda a: a[1:, ::2], [(3, 4)], -2, 2),
    ("advanced_index", lambda a: a[IDX], [(3, 2)], -2, 2),
    ("bool_index", lambda a: a[a > 0], [(3, 2)], -2, 2),
    ("index_select", lambda a: a.index_select(0, IDX), [(3, 2)], -2, 2),
    ("gather", lambda a: ember.gather(a, 1, ember.tensor([[0, 0], [1, 0]])), [(2, 3)], -2, 2),
    ("masked_fill", lambda a: a.masked_fill(a > 1, 0.5), [(2, 3)], -2, 2),
    ("cat", lambda a, b: ember.cat([a, b], 1), [(2, 3), (2, 1)], -2, 2),
    ("stack", lambda a, b: ember.stack([a, b], -1), [(2, 3), (2, 3)], -2, 2),
    ("split", lambda a: a.split(2, 1), [(2, 5)], -2, 2),
    ("chunk", lambda a: a.chunk(2, 0), [(4, 2)], -2, 2),
    ("unbind", lambda a: a.unbind(1), [(2, 3)], -2, 2),
    ("flip", lambda a: ember.flip(a, (0,)), [(2, 3)], -2, 2),
    ("tril", lambda a: ember.tril(a), [(3, 3)], -2, 2),
    ("clone", lambda a: a.clone(), [(2, 3)], -2, 2),
    ("einsum", lambda a, b: ember.einsum("ij,jk->ik", a, b), [(2, 3), (3, 2)], -2, 2),
    ("exp2", lambda a: ember.exp2(a), [(4,)], -2, 2),
    ("expm1", lambda a: ember.expm1(a), [(4,)], -2, 2),
    ("log2", lambda a: ember.log2(a), [(4,)], 0.5, 2),
    ("log10", lambda a: ember.log10(a), [(4,)], 0.5, 2),
    ("acos", lambda a: ember.acos(a), [(4,)], -0.9, 0.9),
    ("atan", lambda a: ember.atan(a), [(4,)], -2, 2),
    ("cosh", lambda a: ember.cosh(a), [(4,)], -2, 2),
    ("asinh", lambda a: ember.asinh(a), [(4,)], -2, 2),
    ("acosh", lambda a: ember.acosh(a), [(4,)], 1.5, 3),
    ("atanh", lambda a: ember.atanh(a), [(4,)], -0.9, 0.9),
    ("square", lambda a: ember.square(a), [(4,)], -2, 2),
    ("frac", lambda a: ember.frac(a), [(4,)], 0.1, 0.9),
    ("remainder", lambda a, b: ember.remainder(a, b), [(4,), (4,)], 1.1, 1.9),
    ("fmod", lambda a, b: ember.fmod(a, b), [(4,), (4,)], 1.1, 1.9),
    ("nan_to_num", lambda a: ember.nan_to_num(a), [(4,)], -2, 2),
    ("setitem", lambda a, b: _setitem(a, b), [(3, 3), (3,)], -2, 2),
    ("inverse", lambda a: ember.inverse(a + 3 * ember.eye(3, dtype=ember.float64)), [(3, 3)], -1, 1),
    ("det", lambda a: ember.det(a), [(3, 3)], -1, 1),
    ("solve", lambda a, b: ember.linalg.solve(a + 3 * ember.eye(2, dtype=ember.float64), b), [(2, 2), (2,)], -1, 1),
    ("tensordot", lambda a, b: ember.tensordot(a, b, dims=1), [(2, 3), (3, 2)], -2, 2),
    ("cumprod", lambda a: ember.cumprod(a, 0), [(4,)], 0.5, 2),
    ("sort", lambda a: ember.sort(a, 1).values, [(2, 3)], -2, 2),
    ("topk", lambda a: ember.topk(a, 2).values, [(2, 4)], -2, 2),
    ("max_dim", lambda a: ember.max(a, 1).values, [(2, 3)], -2, 2),
    ("roll", lambda a: ember.roll(a, 1, 1), [(2, 3)], -2, 2),
    ("repeat", lambda a: a.repeat(2, 1), [(2, 3)], -2, 2),
    ("repeat_interleave", lambda a: ember.repeat_interleave(a, 2, 0), [(2, 3)], -2, 2),
    ("diagonal", lambda a: ember.diagonal(a, 1), [(3, 3)], -2, 2),
    ("trace", lambda a: ember.trace(a), [(3, 3)], -2, 2),
    ("scatter_add", lambda a, b: a.scatter_add(0, ember.tensor([[1, 0, 1]]), b), [(2, 3), (1, 3)], -2, 2),
    ("take_along_dim", lambda a: ember.take_along_dim(a, ember.tensor([[0], [2]]), 1), [(2, 3)], -2, 2),
    ("chain", lambda a, b: ((a @ b).tanh() * a.sum() + b.t().exp()).mean(0), [(2, 2), (2, 2)], -1, 1),
]


def _setitem(a, b):
    y = a * 1
    y[1] = b * 2
    y[:, 0] = b.exp()
    return y


@pytest.mark.parametrize("name,fn,shapes,low,high", OPS, ids=[op[0] for op in OPS])
def test_gradcheck_op(name, fn, shapes, low, high):
    assert gradcheck(fn, inputs(shapes, low, high))


SECOND_ORDER = {"add", "mul", "div", "pow", "exp", "log", "sin", "tanh", "sigmoid", "sqrt", "matmul", "bmm", "sum",
                "mean", "reshape", "transpose", "advanced_index", "cat", "stack", "where", "clamp", "maximum",
                "logsumexp", "var", "norm", "chain", "einsum", "gather", "cumsum"}


@pytest.mark.parametrize("name,fn,shapes,low,high", [op for op in OPS if op[0] in SECOND_ORDER],
                         ids=[op[0] for op in OPS if op[0] in SECOND_ORDER])
def test_gradgradcheck_op(name, fn, shapes, low, high):
    assert gradgradcheck(fn, inputs(shapes, low, high))


def test_gradcheck_noncontiguous_input():
    assert gradcheck(lambda a, b: (a * b).sin(), inputs([(2, 3), (2, 3)], noncontig=True))


def test_gradcheck_fast_mode():
    assert gradcheck(lambda a, b: (a @ b).tanh(), inputs([(2, 3), (3, 2)]), fast_mode=True)
    assert gradgradcheck(lambda a: a ** 3, inputs([(3,)]), fast_mode=True)


def test_gradcheck_non_differentiable_and_integer_outputs():
    x = inputs([(4,)])[0]
    assert gradcheck(lambda a: (a * 2, a.argmax(), a.detach()), (x,))


def test_gradcheck_accepts_single_tensor_and_non_tensor_args():
    x = inputs([(3,)])[0]
    assert gradcheck(lambda a, k: a * k, (x, 3.0))
    assert gradcheck(lambda a: a.exp(), x)


def test_gradcheck_explicit_grad_outputs():
    x = inputs([(3,)])[0]
    go = ember.tensor([1.0, -2.0, 0.5], dtype=ember.float64, requires_grad=True)
    assert gradgradcheck(lambda a: a ** 3, (x,), (go,))
    assert gradgradcheck(lambda a: a ** 3, (x,), gen_non_contig_grad_outputs=True)


# -- gradcheck catches mistakes ---------------------------------------------------------------------------------
def _wrong_function(scale):
    class Wrong(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * scale * x  # correct only for scale == 2

    return Wrong


def test_gradcheck_detects_wrong_gradient():
    x = inputs([(3,)])[0]
    assert gradcheck(_wrong_function(2.0).apply, (x,))
    with pytest.raises(GradcheckError, match=r"Jacobian mismatch for output 0 with respect to input 0,\nnumerical:"):
        gradcheck(_wrong_function(3.0).apply, (x,))
    assert gradcheck(_wrong_function(3.0).apply, (x,), raise_exception=False) is False
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(_wrong_function(3.0).apply, (x,), fast_mode=True)


def test_gradcheck_error_is_runtime_error_like_torch():
    assert issubclass(GradcheckError, RuntimeError)
    torch_module = importlib.import_module("torch.autograd.gradcheck")  # the attribute is the function
    assert GradcheckError.__mro__[1:] == tuple(c for c in torch_module.GradcheckError.__mro__[1:])


def test_gradgradcheck_detects_wrong_second_derivative():
    class NoSecond(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * (x ** 2).detach()  # right value, but second derivative lost

    x = inputs([(3,)])[0]
    assert gradcheck(NoSecond.apply, (x,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        gradgradcheck(NoSecond.apply, (x,))


def test_gradcheck_detects_backward_ignoring_grad_output():
    class Ignores(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, grad):
            return ember.ones(3, dtype=ember.float64)  # forgot to multiply by grad

    x = inputs([(3,)])[0]
    with pytest.raises(GradcheckError, match="backward not multiplied by grad_output"):
        gradcheck(lambda a: Ignores.apply(a) * 1.0, (x,), atol=1e9)


def test_gradcheck_detects_nondeterministic_backward():
    calls = []

    class Flaky(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            calls.append(1)
            return grad * (2 + 1e-3 * len(calls))

    x = inputs([(2,)])[0]
    with pytest.raises(GradcheckError, match="Backward is not reentrant"):
        gradcheck(Flaky.apply, (x,), atol=1e-2)


def test_gradcheck_input_validation():
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda a: a * 2, (ember.ones(2, dtype=ember.float64),))
    x32 = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double precision"):
        assert gradcheck(lambda a: a * 2, (x32,), eps=1e-2, atol=1e-2, rtol=1e-2)
    expanded = ember.tensor([1.0], dtype=ember.float64).expand(3).requires_grad_()
    with pytest.raises(RuntimeError, match="The 0th input has a dimension with stride 0"):
        gradcheck(lambda a: a * 2, (expanded,))


def test_gradcheck_no_differentiable_outputs_must_have_zero_numerical_gradient():
    x = inputs([(3,)])[0]
    assert gradcheck(lambda a: (a > 0).double(), (x,))
    with pytest.raises(GradcheckError, match="Numerical gradient for function expected to be zero"):
        gradcheck(lambda a: a.detach() * a.detach(), (x,))


def test_forward_ad_checks_are_not_implemented():
    x = inputs([(3,)])[0]
    with pytest.raises(NotImplementedError, match="forward-mode AD"):
        gradcheck(lambda a: a * 2, (x,), check_forward_ad=True)


def test_inputs_unchanged_after_gradcheck():
    x = inputs([(2, 3)])[0]
    before = x.detach().clone()
    gradcheck(lambda a: a.exp(), (x,))
    np.testing.assert_array_equal(x.detach().numpy(), before.numpy())
    assert x.grad is None
