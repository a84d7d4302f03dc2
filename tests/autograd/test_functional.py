"""ember.autograd.functional (vjp, jvp, jacobian, hessian, hvp, vhp) against torch.autograd.functional."""

from __future__ import annotations

import pytest

import ember

from ._both import same, same_error


def t(lib, values):
    return lib.tensor(values, dtype=lib.float64)


def two_outputs(a, b):
    return a * b.exp(), a.sum() * b


def scalar(a, b):
    return (a ** 3 * b.sin()).sum() + (a * b).sum() ** 2


FUNCS = {
    "square": (lambda x: x ** 2, lambda lib: t(lib, [1.0, 2.0, -1.5])),
    "matrix": (lambda x: x @ x.t(), lambda lib: t(lib, [[1.0, 2.0], [0.5, -1.0]])),
    "two_in_two_out": (two_outputs, lambda lib: (t(lib, [1.0, 2.0]), t(lib, [0.5, -1.0]))),
    "scalar_out": (lambda x: (x.sin() * x).sum(), lambda lib: t(lib, [0.3, -0.7])),
    "zero_dim": (lambda x: x.exp() * 3, lambda lib: t(lib, 0.5)),
}


@pytest.mark.parametrize("name", FUNCS)
def test_jacobian(name):
    fn, make = FUNCS[name]
    same(lambda lib: lib.autograd.functional.jacobian(fn, make(lib)))


def test_jacobian_vectorize_gives_same_result():
    same(lambda lib: lib.autograd.functional.jacobian(two_outputs, (t(lib, [1.0, 2.0]), t(lib, [0.5, -1.0])),
                                                      vectorize=True))


def test_jacobian_independent_input_and_strict():
    def f(lib):
        fn = lambda a, b: a * 2  # noqa: E731 - b unused
        return lib.autograd.functional.jacobian(fn, (t(lib, [1.0, 2.0]), t(lib, [3.0])))
    same(f)
    msg = same_error(lambda lib: lib.autograd.functional.jacobian(lambda a, b: a * 2, (t(lib, [1.0]), t(lib, [3.0])),
                                                                  strict=True))
    assert msg == ("Output 0 of the user-provided function is independent of input 1. This is not allowed in strict "
                   "mode.")


def test_jacobian_create_graph():
    def f(lib):
        x = t(lib, [1.0, 2.0]).requires_grad_()
        jac = lib.autograd.functional.jacobian(lambda a: a ** 3, x, create_graph=True)
        (g,) = lib.autograd.grad(jac.sum(), x)
        return jac, jac.requires_grad, g, x.grad
    same(f)


def test_jacobian_result_detached_by_default():
    def f(lib):
        x = t(lib, [1.0, 2.0]).requires_grad_()
        jac = lib.autograd.functional.jacobian(lambda a: a ** 3, x)
        return jac.requires_grad, x.grad
    same(f)


@pytest.mark.parametrize("single", [True, False])
def test_hessian(single):
    def f(lib):
        if single:
            return lib.autograd.functional.hessian(lambda x: (x ** 3).sum() * x[0], t(lib, [1.0, 2.0, -1.0]))
        return lib.autograd.functional.hessian(scalar, (t(lib, [1.0, 2.0]), t(lib, [0.5, -1.0])))
    same(f)


def test_hessian_requires_scalar_output():
    msg = same_error(lambda lib: lib.autograd.functional.hessian(lambda x: x ** 2, t(lib, [1.0, 2.0])))
    assert msg == "The Tensor returned by the function given to hessian should contain a single element"


def test_vjp():
    def f(lib):
        ins = (t(lib, [1.0, 2.0]), t(lib, [0.5, -1.0]))
        v = (t(lib, [1.0, -1.0]), t(lib, [2.0, 0.5]))
        return lib.autograd.functional.vjp(two_outputs, ins, v)
    same(f)


def test_vjp_scalar_default_v():
    same(lambda lib: lib.autograd.functional.vjp(lambda x: (x * x).sum(), t(lib, [1.0, 3.0])))


def test_vjp_v_errors():
    def wrong_size(lib):
        lib.autograd.functional.vjp(lambda x: x * 2, t(lib, [1.0, 2.0]), t(lib, [1.0, 2.0, 3.0]))
    assert same_error(wrong_size).startswith("v has invalid size: should be LIB.Size([2])")
    assert "v can only be None" in same_error(lambda lib: lib.autograd.functional.vjp(lambda x: x * 2,
                                                                                        t(lib, [1.0, 2.0])))


def test_jvp():
    def f(lib):
        ins = (t(lib, [1.0, 2.0]), t(lib, [0.5, -1.0]))
        v = (t(lib, [1.0, -1.0]), t(lib, [2.0, 0.5]))
        return lib.autograd.functional.jvp(two_outputs, ins, v)
    same(f)


def test_jvp_create_graph_allows_differentiating_result():
    def f(lib):
        x = t(lib, [1.0, 2.0]).requires_grad_()
        _, jv = lib.autograd.functional.jvp(lambda a: a.sin() * a, x, t(lib, [1.0, 0.5]), create_graph=True)
        (g,) = lib.autograd.grad(jv.sum(), x)
        return jv, g
    same(f)


@pytest.mark.parametrize("fn_name", ["hvp", "vhp"])
def test_hessian_vector_products(fn_name):
    def f(lib):
        fn = getattr(lib.autograd.functional, fn_name)
        ins = (t(lib, [1.0, 2.0]), t(lib, [0.5, -1.0]))
        v = (t(lib, [1.0, -1.0]), t(lib, [2.0, 0.5]))
        return fn(scalar, ins, v)
    same(f)


def test_strict_mode_output_without_grad():
    msg = same_error(lambda lib: lib.autograd.functional.vjp(lambda x: lib.ones(2, dtype=lib.float64),
                                                             t(lib, [1.0, 2.0]), t(lib, [1.0, 1.0]), strict=True))
    assert msg.startswith("Output 0 of the user-provided function does not require gradients.")


def test_non_strict_independent_output_gives_zeros():
    same(lambda lib: lib.autograd.functional.vjp(lambda x: lib.ones(2, dtype=lib.float64), t(lib, [1.0, 2.0]),
                                                 t(lib, [1.0, 1.0])))


def test_bad_input_type():
    msg = same_error(lambda lib: lib.autograd.functional.jacobian(lambda x: x, [1.0, 2.0]), TypeError)
    assert "must be either a Tensor or a tuple of Tensors" in msg


def test_caller_leaves_untouched():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    ember.autograd.functional.jacobian(lambda a: a ** 2, x)
    ember.autograd.functional.hessian(lambda a: (a ** 3).sum(), x)
    assert x.grad is None


def test_forward_mode_strategy_not_available():
    with pytest.raises(NotImplementedError):
        ember.autograd.functional.jacobian(lambda a: a, ember.ones(2), vectorize=True, strategy="forward-mode")
