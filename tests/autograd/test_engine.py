"""The backward engine against PyTorch: worked examples, accumulation, errors, graph structure, autograd.grad."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember

from ..helpers import assert_same
from ._both import same, same_error


def leaf(lib, values, dtype=None):
    return lib.tensor(values, dtype=dtype or lib.float32, requires_grad=True)


# -- worked examples ----------------------------------------------------------------------------------
def test_mean_of_squares_worked_example():
    x = ember.ones(2, 2, requires_grad=True)
    out = (3 * (x + 2) ** 2).mean()
    out.backward()
    # d/dx mean(3 (x+2)^2) = 6 (x+2) / 4 = 4.5 at x = 1
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 2), 4.5))
    assert out.item() == 27.0


def _chain(lib):
    x = leaf(lib, [[1.0, 2.0], [3.0, 4.0]])
    y = 2 * x + 1
    z = y * y + 1
    return x, z


def test_chain_worked_example_mean():
    x, z = _chain(ember)
    z.mean().backward()
    # dz/dx = 2 y * 2 / 4 = y = 2x + 1
    np.testing.assert_allclose(x.grad.numpy(), [[3, 5], [7, 9]])


def test_chain_worked_example_weighted():
    x, z = _chain(ember)
    z.backward(ember.tensor([[0.5, 1.0], [2.0, 4.0]]))
    # v * 4 (2x + 1)
    np.testing.assert_allclose(x.grad.numpy(), [[6, 20], [56, 144]])


def test_chain_weighted_matches_torch():
    def f(lib):
        x, z = _chain(lib)
        z.backward(lib.tensor([[0.5, 1.0], [2.0, 4.0]]))
        return x.grad
    same(f)


def test_gradient_must_be_a_tensor():
    msg = same_error(lambda lib: _chain(lib)[1].backward([[0.5, 1.0], [2.0, 4.0]]), TypeError)
    assert msg == "gradients can be either Tensors or None, but got list"


# -- accumulation and retain_graph ------------------------------------------------------------------------
def test_grad_accumulates_across_backward_calls():
    def f(lib):
        x = leaf(lib, [1.0, 2.0, 3.0])
        (x * x).sum().backward()
        (x * 3).sum().backward()
        return x.grad
    e, _ = same(f)
    np.testing.assert_allclose(e.numpy(), [5, 7, 9])


def test_retain_graph_allows_second_backward():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x.exp().sum()
        y.backward(retain_graph=True)
        first = x.grad.clone()
        y.backward()
        return first, x.grad
    same(f)


def test_backward_twice_raises_pytorch_error():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        y = (x * x).sum()
        y.backward()
        y.backward()
    msg = same_error(f)
    assert msg.startswith("Trying to backward through the graph a second time")


def test_backward_twice_without_saved_tensors_is_allowed():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        y = (x + 1).sum()
        y.backward()
        y.backward()
        return x.grad
    same(f)


def test_grad_twice_raises_after_freeing():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        y = (x * x).sum()
        lib.autograd.grad(y, x)
        lib.autograd.grad(y, x)
    same_error(f)


# -- errors at the roots -------------------------------------------------------------------------------------
def test_implicit_grad_needs_scalar():
    msg = same_error(lambda lib: (leaf(lib, [1.0, 2.0]) * 2).backward())
    assert msg == "grad can be implicitly created only for scalar outputs"


def test_backward_on_tensor_without_grad():
    msg = same_error(lambda lib: lib.ones(2).sum().backward())
    assert msg == "element 0 of tensors does not require grad and does not have a grad_fn"


def test_backward_second_root_without_grad():
    def f(lib):
        x = leaf(lib, [1.0])
        lib.autograd.backward([x.sum(), lib.ones(1).sum()])
    assert "element 1 of tensors" in same_error(f)


def test_gradient_shape_mismatch():
    msg = same_error(lambda lib: (leaf(lib, [1.0, 2.0]) * 2).backward(lib.ones(3)))
    assert "grad_output[0] has a shape of LIB.Size([3])" in msg


def test_grad_wrt_tensor_not_requiring_grad():
    same_error(lambda lib: lib.autograd.grad((leaf(lib, [1.0]) * 2).sum(), lib.ones(1)))


def test_backward_inputs_empty():
    same_error(lambda lib: (leaf(lib, [1.0]) * 2).sum().backward(inputs=[]))


# -- in-place checks ------------------------------------------------------------------------------------------
def test_inplace_on_leaf_requiring_grad():
    msg = same_error(lambda lib: leaf(lib, [1.0, 2.0]).add_(1))
    assert msg == "a leaf Variable that requires grad is being used in an in-place operation."


def test_inplace_on_view_of_leaf_requiring_grad():
    same_error(lambda lib: leaf(lib, [1.0, 2.0])[:1].mul_(2))


def test_inplace_on_leaf_allowed_under_no_grad():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        with lib.no_grad():
            x.add_(1)
        return x, x.is_leaf, x.requires_grad
    same(f)


def test_modified_saved_input_raises():
    def f(lib):
        x = leaf(lib, [[1.0, 2.0], [3.0, 4.0]])
        a = x * 1
        b = a * a
        a.add_(1)
        b.sum().backward()
    msg = same_error(f)
    assert "[LIB.FloatTensor [2, 2]], which is output 0 of Add, is at version 1; expected version 0" in msg


def test_modified_saved_output_raises():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x.exp()
        y.add_(1)
        y.sum().backward()
    assert "which is output 0 of Exp, is at version 1" in same_error(f)


def test_modified_leaf_in_no_grad_raises():
    def f(lib):
        x = leaf(lib, [1.0, 2.0, 3.0], dtype=lib.float64)
        y = x * x
        with lib.no_grad():
            x.mul_(2)
        y.sum().backward()
    assert "[LIB.DoubleTensor [3]] is at version 1; expected version 0" in same_error(f)


def test_inplace_on_nonleaf_gives_right_gradients():
    def f(lib):
        x = leaf(lib, [1.0, 2.0, 3.0])
        y = x * 2
        y.mul_(3)
        y.add_(x)
        y.sub_(1)
        (y * y).sum().backward()
        return y, x.grad, y.grad_fn.name()
    same(f)


def test_inplace_on_slice_of_nonleaf():
    def f(lib):
        x = leaf(lib, [[1.0, 2.0], [3.0, 4.0]])
        y = x * 1
        y[0].mul_(3)
        (y * y).sum().backward()
        return y, x.grad
    same(f)


# -- graph structure ----------------------------------------------------------------------------------------
def _names(node, depth=3):
    """(name, [children...]) down to a depth, None for constant edges, with output numbers."""
    if node is None:
        return None
    name = node.name().replace("torch::autograd::", "").replace("ember::autograd::", "")
    if depth == 0:
        return name
    return (name, [(_names(child, depth - 1), nr) for child, nr in node.next_functions])


def test_next_functions_structure():
    def f(lib):
        x, z = _chain(lib)
        return str(_names(z.grad_fn, 4))
    e, _ = same(f)
    assert "AccumulateGrad" in e


def test_next_functions_constant_edge_and_shared_node():
    for lib in (ember, torch):
        x = leaf(lib, [1.0, 2.0])
        y = x + lib.ones(2)
        z = y * y
        (a, _), (b, _) = z.grad_fn.next_functions
        assert a is b is y.grad_fn
        assert y.grad_fn.next_functions[1] == (None, 0)
        acc = y.grad_fn.next_functions[0][0]
        assert type(acc).__name__ == "AccumulateGrad"
        assert acc.variable is x
        assert acc is (x * 3).grad_fn.next_functions[0][0]  # one accumulator per leaf


def test_accumulate_grad_name():
    for lib in (ember, torch):
        x = leaf(lib, [1.0])
        node = (x * 2).grad_fn.next_functions[0][0]
        assert node.name() == f"{lib.__name__}::autograd::AccumulateGrad"


GRAD_FN_CASES = [
    lambda lib, x: x + 1, lambda lib, x: x - 1, lambda lib, x: x * 2, lambda lib, x: x / 2, lambda lib, x: -x,
    lambda lib, x: x ** 2, lambda lib, x: 2 ** x, lambda lib, x: x.exp(), lambda lib, x: x.log(),
    lambda lib, x: x.sin(), lambda lib, x: x.tanh(), lambda lib, x: x.sigmoid(), lambda lib, x: x.relu(),
    lambda lib, x: x @ x, lambda lib, x: x.sum(), lambda lib, x: x.mean(), lambda lib, x: x.sum(0),
    lambda lib, x: x.abs(), lambda lib, x: x.sqrt(), lambda lib, x: x.clamp(0, 1),
    lambda lib, x: lib.maximum(x, x * 2), lambda lib, x: lib.where(x > 1, x, x * 2), lambda lib, x: x.pow(x),
    lambda lib, x: x.clone(), lambda lib, x: x.to(lib.float64), lambda lib, x: x[[0, 1]],
    lambda lib, x: lib.stack([x, x]), lambda lib, x: lib.cat([x, x]), lambda lib, x: x.t(),
    lambda lib, x: x.view(4), lambda lib, x: x.transpose(0, 1), lambda lib, x: x.unsqueeze(0),
    lambda lib, x: x.expand(3, 2, 2), lambda lib, x: x[0], lambda lib, x: x.permute(1, 0),
    lambda lib, x: x.masked_fill(x > 2, 0.0), lambda lib, x: x.index_select(0, lib.tensor([1])),
]


@pytest.mark.parametrize("k", range(len(GRAD_FN_CASES)))
def test_grad_fn_name_matches_torch(k):
    same(lambda lib: GRAD_FN_CASES[k](lib, leaf(lib, [[1.0, 2.0], [3.0, 4.0]])).grad_fn.name())


@pytest.mark.parametrize("case", [
    "x + c", "c + c", "x.detach() * 2", "x * 2", "(x * 2).detach()", "c.sum()", "x.sum()", "x > 1", "x.argmax()",
])
def test_leaf_and_requires_grad_propagation(case):
    def f(lib):
        env = {"x": leaf(lib, [1.0, 2.0]), "c": lib.tensor([3.0, 4.0])}
        y = eval(case, env)
        return y.is_leaf, y.requires_grad, y.grad_fn is None
    same(f)


# -- hooks and retain_grad ---------------------------------------------------------------------------------------
def test_retain_grad_on_nonleaf():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        y.retain_grad()
        (y * y).sum().backward()
        return y.grad, x.grad, y.retains_grad
    same(f)


def test_nonleaf_grad_is_none_with_warning():
    x = ember.tensor([1.0], requires_grad=True)
    y = x * 2
    y.sum().backward()
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        assert y.grad is None


def test_hook_on_leaf_modifies_grad_and_can_be_removed():
    def f(lib):
        x = leaf(lib, [1.0, 2.0, 3.0])
        handle = x.register_hook(lambda g: g * 2)
        (x * x).sum().backward()
        first = x.grad.clone()
        handle.remove()
        x.grad = None
        (x * x).sum().backward()
        return first, x.grad
    e, _ = same(f)
    np.testing.assert_allclose(e[0].numpy(), [4, 8, 12])


def test_hook_on_nonleaf_changes_downstream_grad():
    def f(lib):
        x = leaf(lib, [1.0, 2.0, 3.0])
        y = x * 2
        seen = []
        y.register_hook(lambda g: seen.append(g.clone()))
        y.register_hook(lambda g: g + 1)
        (y * y).sum().backward()
        return seen[0], x.grad
    same(f)


@pytest.mark.parametrize("retain_first", [True, False])
def test_retained_grad_sees_hook_result(retain_first):
    def f(lib):
        x = leaf(lib, [1.0, 2.0, 3.0])
        y = x * 2
        if retain_first:
            y.retain_grad()
        y.register_hook(lambda g: g * 10)
        if not retain_first:
            y.retain_grad()
        (y * y).sum().backward()
        return y.grad, x.grad
    same(f)


def test_hook_on_tensor_without_grad_raises():
    same_error(lambda lib: lib.ones(2).register_hook(lambda g: g))


def test_node_prehook_and_hook_see_gradients():
    def f(lib):
        x = leaf(lib, [1.0, 2.0, 3.0])
        y = x.exp()
        seen = []
        y.grad_fn.register_prehook(lambda go: seen.append(go[0].clone()))
        y.grad_fn.register_hook(lambda gi, go: seen.append((gi[0].clone(), go[0].clone())))
        (y * 3).sum().backward()
        return seen
    same(f)


def test_node_hook_replaces_grad_inputs():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x.exp()
        handle = y.grad_fn.register_hook(lambda gi, go: (gi[0] * 0 + 7,))
        y.sum().backward(retain_graph=True)
        first = x.grad.clone()
        handle.remove()
        y.sum().backward()
        return first, x.grad
    same(f)


def test_node_prehook_replaces_grad_outputs():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x * 3
        y.grad_fn.register_prehook(lambda go: (go[0] * 5,))
        y.sum().backward()
        return x.grad
    same(f)


# -- autograd.grad ---------------------------------------------------------------------------------------------
def test_grad_does_not_touch_dot_grad():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        (g,) = lib.autograd.grad((x * x).sum(), x)
        return g, x.grad
    same(f)


def test_grad_allow_unused():
    def f(lib):
        x, w = leaf(lib, [1.0, 2.0]), leaf(lib, [3.0, 4.0])
        return lib.autograd.grad((x * 2).sum(), [x, w], allow_unused=True)
    same(f)


def test_grad_unused_raises():
    msg = same_error(lambda lib: lib.autograd.grad((leaf(lib, [1.0]) * 2).sum(), [leaf(lib, [1.0]), leaf(lib, [2.0])]))
    assert "index 1" in msg or "index 0" in msg


def test_grad_materialize_grads():
    def f(lib):
        x, w = leaf(lib, [1.0, 2.0]), leaf(lib, [3.0, 4.0])
        return lib.autograd.grad((x * 2).sum(), [x, w], materialize_grads=True)
    same(f)


def test_grad_of_output_wrt_itself():
    def f(lib):
        y = leaf(lib, [1.0, 2.0]) * 3
        return lib.autograd.grad(y, y, lib.tensor([2.0, 5.0]))
    same(f)


def test_grad_with_grad_outputs_of_other_dtype():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        (x * x).backward(lib.tensor([1.0, 1.0], dtype=lib.float64))
        return x.grad
    same(f)


def test_multiple_roots():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        a, b = x * 2, x * x
        lib.autograd.backward([a.sum(), b.sum()], retain_graph=True)
        first = x.grad.clone()
        lib.autograd.backward([a, b], [lib.ones(2), lib.ones(2) * 2], retain_graph=True)
        return first, x.grad
    same(f)


SECOND_ORDER = {
    "cube": lambda lib, x, y: x ** 3,
    "sin": lambda lib, x, y: x.sin(),
    "product": lambda lib, x, y: x * y * x,
    "exp_sin": lambda lib, x, y: x.exp() * y.sin(),
    "tanh_matmul": lambda lib, x, y: (x.unsqueeze(0) @ y.unsqueeze(1)).tanh(),
    "sigmoid_div": lambda lib, x, y: x.sigmoid() / (y * y + 1),
}


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_and_third_derivatives(name):
    def f(lib):
        x = leaf(lib, [1.0, -2.0, 0.5], dtype=lib.float64)
        y = leaf(lib, [0.3, 1.5, -1.0], dtype=lib.float64)
        out = SECOND_ORDER[name](lib, x, y).sum()
        gx, gy = lib.autograd.grad(out, (x, y), create_graph=True, materialize_grads=True)
        hx = lib.autograd.grad(gx.sum(), (x, y), create_graph=True, allow_unused=True, materialize_grads=True)
        third = lib.autograd.grad((hx[0] * hx[0]).sum(), x, allow_unused=True, materialize_grads=True)
        return gx, gy, hx, third
    same(f)


def test_hessian_vector_product():
    def f(lib):
        x = leaf(lib, [1.0, 2.0], dtype=lib.float64)
        w = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64)
        out = (x @ w @ x) * (x * x).sum()
        (g,) = lib.autograd.grad(out, x, create_graph=True)
        return lib.autograd.grad(g, x, lib.tensor([0.5, -1.0], dtype=lib.float64))
    same(f)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")
def test_backward_create_graph_makes_grad_differentiable():
    def f(lib):
        x = leaf(lib, [1.0, 2.0], dtype=lib.float64)
        (x * x * x).sum().backward(create_graph=True)
        g = x.grad
        requires = g.requires_grad
        x.grad = None
        g.sum().backward()
        return requires, x.grad
    same(f)


# -- backward(inputs=...) --------------------------------------------------------------------------------------
def test_backward_inputs_subset_of_leaves():
    def f(lib):
        x, w = leaf(lib, [1.0, 2.0]), leaf(lib, [3.0, 4.0])
        (x * w).sum().backward(inputs=[x])
        return x.grad, w.grad
    same(f)


@pytest.mark.parametrize("retain", [True, False])
def test_backward_inputs_nonleaf(retain):
    def f(lib):
        x, w = leaf(lib, [1.0, 2.0]), leaf(lib, [3.0, 4.0])
        m = x * 2
        if retain:
            m.retain_grad()
        (m * w).sum().backward(inputs=[m])
        return m.grad, x.grad
    same(f)


# -- shapes of gradients ---------------------------------------------------------------------------------------
def test_unused_output_of_multi_output_op_gets_zeros():
    def f(lib):
        x = leaf(lib, [1.0, 2.0, 3.0])
        a, b, c = (x * 2).unbind(0)
        (a * 3 + c).backward()
        return x.grad
    same(f)


def test_fan_out_accumulates():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        total = x * 0
        for k in range(50):
            total = total + x * k
        total.sum().backward()
        return x.grad
    same(f)


def test_deep_graph_has_no_recursion_limit():
    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 10_000] * 2, rtol=1e-10)
    (g,) = ember.autograd.grad((x * 2).sum(), x)
    del y  # freeing a 10,000-node chain must not overflow the stack either
    assert_same(g, torch.tensor([2.0, 2.0], dtype=torch.float64))


def test_broadcast_gradients_sum_back():
    def f(lib):
        a = leaf(lib, [[1.0], [2.0]])
        b = leaf(lib, [3.0, 4.0, 5.0])
        c = leaf(lib, 2.0)
        ((a * b + c) ** 2).sum().backward()
        return a.grad, b.grad, c.grad
    same(f)


def test_mixed_dtype_gradients_keep_input_dtypes():
    def f(lib):
        w = leaf(lib, [1.0, 2.0])
        d = leaf(lib, [3.0, 4.0], dtype=lib.float64)
        r = (w * d + w).sum()
        r.backward()
        return r, w.grad, d.grad
    same(f)


def test_setitem_on_nonleaf_routes_gradients():
    def f(lib):
        x = leaf(lib, [1.0, 2.0, 3.0])
        w = leaf(lib, [5.0])
        y = x * 1
        y[1] = w[0] * 2
        (y * y).sum().backward()
        return y, x.grad, w.grad
    same(f)
