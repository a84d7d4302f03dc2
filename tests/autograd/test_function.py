"""Custom autograd.Function against PyTorch: ctx API, special outputs, graphs, double backward, errors."""

from __future__ import annotations

import pytest

import ember

from ._both import same, same_error


def leaf(lib, values, dtype=None):
    return lib.tensor(values, dtype=dtype or lib.float32, requires_grad=True)


def make_exp(lib):
    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = x.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad):
            (result,) = ctx.saved_tensors
            return grad * result

    return Exp


def make_cube(lib, once=False):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x ** 2

    if once:
        Cube.backward = staticmethod(lib.autograd.function.once_differentiable(Cube.backward))
    return Cube


def test_basic_function_values_and_node():
    def f(lib):
        x = leaf(lib, [0.0, 1.0], lib.float64)
        y = make_exp(lib).apply(x)
        (y * 2).sum().backward()
        node = y.grad_fn
        return y, x.grad, node.name(), type(node).__name__, node.next_functions[0][1], y.is_leaf
    same(f)


def test_function_inside_a_graph():
    def f(lib):
        x = leaf(lib, [1.0, 2.0], lib.float64)
        y = (make_cube(lib).apply(x.sin() * 2) + x).exp().sum()
        y.backward()
        return x.grad, make_cube(lib).apply(x * 2).grad_fn.next_functions[0][0].name()
    same(f)


def test_double_backward_through_function():
    def f(lib):
        x = leaf(lib, [1.0, -2.0], lib.float64)
        (g,) = lib.autograd.grad(make_cube(lib).apply(x).sum(), x, create_graph=True)
        (g2,) = lib.autograd.grad(g.sum(), x)
        return g, g2
    e, _ = same(f)
    assert e[1].tolist() == [6.0, -12.0]


def test_once_differentiable_runs_backward_without_graph():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        (g,) = lib.autograd.grad(make_cube(lib, once=True).apply(x).sum(), x, create_graph=True)
        return g, g.requires_grad
    same(f)


def test_needs_input_grad_and_non_tensor_arguments():
    def f(lib):
        seen = []

        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k, y):
                ctx.k = k
                seen.append(ctx.needs_input_grad)
                return x * k + y

            @staticmethod
            def backward(ctx, grad):
                seen.append(ctx.needs_input_grad)
                return grad * ctx.k, None, (grad if ctx.needs_input_grad[2] else None)

        x, y = leaf(lib, [1.0, 2.0]), lib.tensor([1.0, 1.0])
        out = Scale.apply(x, 3.0, y)
        out.sum().backward()
        edges = [(n is None, nr) for n, nr in out.grad_fn.next_functions]  # one edge per tensor argument
        return x.grad, seen, edges
    same(f)


def test_gradient_for_non_tensor_argument_raises():
    def f(lib):
        class Scale(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                return x * k

            @staticmethod
            def backward(ctx, grad):
                return grad, grad
        Scale.apply(leaf(lib, [1.0]), 2.0).sum().backward()
    assert "returned a gradient different than None at position 2" in same_error(f)


@pytest.mark.parametrize("extra", ["few", "many_none", "many_value"])
def test_wrong_number_of_gradients(extra):
    def f(lib):
        class Add(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, y):
                return x + y

            @staticmethod
            def backward(ctx, grad):
                return {"few": (grad,), "many_none": (grad, grad, None), "many_value": (grad, grad, grad)}[extra]
        x = leaf(lib, [1.0, 2.0])
        Add.apply(x, x * 2).sum().backward()
        return x.grad
    if extra == "many_none":
        same(f)
    else:
        assert "returned an incorrect number of gradients" in same_error(f)


def test_gradient_of_wrong_shape_raises():
    def f(lib):
        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x.sum()

            @staticmethod
            def backward(ctx, grad):
                return lib.ones(3)
        Bad.apply(leaf(lib, [1.0, 2.0])).backward()
    assert same_error(f) == ("Function BadBackward returned an invalid gradient at index 0 - got [3] but expected "
                             "shape compatible with [2]")


def test_broadcastable_gradient_is_summed():
    def f(lib):
        class Expand(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                return grad.expand(3, 2) * 2  # broadcast-shaped: summed back to (2,)
        x = leaf(lib, [1.0, 2.0])
        Expand.apply(x).sum().backward()
        return x.grad
    same(f)


def test_mark_dirty_on_nonleaf():
    def f(lib):
        class AddOne(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, grad):
                return grad * 2

        a = leaf(lib, [1.0, 2.0])
        b = a.clone()
        c = AddOne.apply(b)
        c.sum().backward()
        return c is b, b, b._version, c.grad_fn.name(), a.grad
    same(f)


def test_mark_dirty_invalidates_saved_copies():
    def f(lib):
        class AddOne(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, grad):
                return grad

        b = leaf(lib, [1.0, 2.0]).clone()
        c = b * b
        AddOne.apply(b)
        c.sum().backward()
    assert "which is output 0 of AddOne, is at version 2; expected version 0" in same_error(f)


def test_mark_dirty_on_view_rebases_the_base():
    def f(lib):
        class Double(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.mul_(2)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, grad):
                return grad * 2

        a = leaf(lib, [1.0, 2.0, 3.0])
        b = a * 1
        Double.apply(b[:2])
        (b * b).sum().backward()
        return b, a.grad, b.grad_fn.name().split("::")[-1]
    same(f)


def test_mark_dirty_on_leaf_raises():
    def f(lib):
        class AddOne(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x

            @staticmethod
            def backward(ctx, grad):
                return grad
        AddOne.apply(leaf(lib, [1.0]))
    assert same_error(f) == "a leaf Variable that requires grad has been used in an in-place operation."


def test_mark_dirty_without_returning_raises():
    def f(lib):
        class Bad(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                x.add_(1)
                ctx.mark_dirty(x)
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                return grad
        Bad.apply(leaf(lib, [1.0]).clone())
    assert same_error(f).startswith("Some elements marked as dirty during the forward method were not returned")


def test_mark_non_differentiable():
    def f(lib):
        seen = []

        class Two(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                a, b = x * 2, x * 3
                ctx.mark_non_differentiable(b)
                return a, b

            @staticmethod
            def backward(ctx, ga, gb):
                seen.append(gb)
                return ga * 2

        x = leaf(lib, [3.0, 1.0])
        a, b = Two.apply(x)
        a.sum().backward()
        return a.requires_grad, b.requires_grad, b.grad_fn is None, x.grad, seen
    same(f)


def test_integer_output_never_requires_grad():
    def f(lib):
        class Sort(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 1, lib.tensor([1, 0])

            @staticmethod
            def backward(ctx, gv, gi):
                return gv
        values, idx = Sort.apply(leaf(lib, [3.0, 1.0]))
        return values.requires_grad, idx.requires_grad, values.grad_fn.name()
    same(f)


@pytest.mark.parametrize("materialize", [True, False])
def test_set_materialize_grads(materialize):
    def f(lib):
        seen = []

        class Two(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.set_materialize_grads(materialize)
                return x * 2, x * 3

            @staticmethod
            def backward(ctx, ga, gb):
                seen.append(gb)
                return ga * 2 if gb is None else ga * 2 + gb * 3

        x = leaf(lib, [3.0, 1.0])
        a, _ = Two.apply(x)
        a.sum().backward()
        return x.grad, seen
    same(f)


def test_setup_context_style():
    def f(lib):
        class Mul(lib.autograd.Function):
            @staticmethod
            def forward(x, y):
                return x * y

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, y = inputs
                ctx.save_for_backward(x, y)

            @staticmethod
            def backward(ctx, grad):
                x, y = ctx.saved_tensors
                return grad * y, grad * x

        x, y = leaf(lib, [1.0, 2.0]), leaf(lib, [3.0, 4.0])
        z = Mul.apply(x, y)
        z.sum().backward()
        return z, x.grad, y.grad, z.grad_fn.name()
    same(f)


def test_non_tensor_outputs_pass_through():
    def f(lib):
        seen = []

        class Info(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2, 5, x * 3

            @staticmethod
            def backward(ctx, g, g_int, g2):
                seen.append((g_int, g2))
                return g * 2

        x = leaf(lib, [1.0, 2.0])
        y, n, z = Info.apply(x)
        y.sum().backward()
        return n, y.output_nr, z.output_nr, x.grad, seen
    same(f)


def test_input_returned_as_is_becomes_a_new_node():
    def f(lib):
        class Identity(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x

            @staticmethod
            def backward(ctx, grad):
                return grad * 2

        x = leaf(lib, [1.0, 2.0])
        y = Identity.apply(x)
        y.sum().backward()
        return y is x, y.grad_fn.name(), x.grad
    same(f)


def test_apply_without_grad_records_nothing():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        with lib.no_grad():
            y = make_exp(lib).apply(x)
        z = make_exp(lib).apply(lib.tensor([1.0]))
        return y.requires_grad, y.grad_fn is None, z.requires_grad
    same(f)


def test_grad_mode_inside_forward_and_backward():
    def f(lib):
        seen = []

        class Probe(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                seen.append(("forward", lib.is_grad_enabled()))
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                seen.append(("backward", lib.is_grad_enabled()))
                return grad * 2

        x = leaf(lib, [1.0])
        Probe.apply(x).sum().backward()
        lib.autograd.grad(Probe.apply(x).sum(), x, create_graph=True)
        return [s for pair in seen for s in pair]
    same(f)


def test_saved_tensors_checks():
    def f(lib):
        class Probe(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x, None)
                ctx.extra = 3
                return x * 2

            @staticmethod
            def backward(ctx, grad):
                x, none = ctx.saved_tensors
                return grad * ctx.extra + (0 if none is None else 1)

        x = leaf(lib, [1.0, 2.0])
        y = Probe.apply(x)
        saved = y.grad_fn.saved_tensors
        y.sum().backward()
        return len(saved), saved[0] is x, saved[1], y.grad_fn.extra, x.grad
    same(f)


def test_saved_tensor_freed_after_backward():
    def f(lib):
        y = make_cube(lib).apply(leaf(lib, [1.0, 2.0])).sum()
        y.backward()
        y.backward()
    assert same_error(f).startswith("Trying to backward through the graph a second time")


def test_saved_tensor_modified_in_place():
    def f(lib):
        m = leaf(lib, [1.0, 2.0]) * 1
        y = make_cube(lib).apply(m).sum()
        m.mul_(2)
        y.backward()
    assert "which is output 0 of Mul, is at version 1" in same_error(f)


@pytest.mark.filterwarnings("ignore:.*should not be instantiated:DeprecationWarning")
def test_legacy_non_static_forward_raises():
    def f(lib):
        class Old(lib.autograd.Function):
            def forward(self, x):
                return x
        Old()(lib.ones(1))
    assert same_error(f).startswith("Legacy autograd function with non-static forward method is deprecated.")


def test_missing_backward_raises_not_implemented():
    class NoBackward(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    y = NoBackward.apply(ember.ones(1, requires_grad=True))
    with pytest.raises(NotImplementedError, match="You must implement either the backward or vjp method"):
        y.sum().backward()


def test_function_gradcheck_and_gradgradcheck():
    x = ember.tensor([0.5, -1.0, 2.0], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(make_cube(ember).apply, (x,))
    assert ember.autograd.gradgradcheck(make_cube(ember).apply, (x,))
    assert ember.autograd.gradgradcheck(make_exp(ember).apply, (x,))


def test_vjp_may_be_defined_instead_of_backward():
    def f(lib):
        class Square(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def vjp(ctx, grad):
                (x,) = ctx.saved_tensors
                return 2 * x * grad

        x = leaf(lib, [1.0, 3.0])
        Square.apply(x).sum().backward()
        return x.grad
    same(f)
