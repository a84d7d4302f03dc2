"""Grad modes (no_grad, enable_grad, set_grad_enabled, inference_mode) and detach/.data semantics vs PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import ember

from ._both import same, same_error


def leaf(lib, values):
    return lib.tensor(values, requires_grad=True)


# -- context managers -------------------------------------------------------------------------------------
def test_no_grad_context():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        with lib.no_grad() as entered:
            y = x * 2
            inside = lib.is_grad_enabled()
        return y.requires_grad, y.grad_fn is None, inside, lib.is_grad_enabled(), entered
    same(f)


def test_nesting_restores_each_level():
    def f(lib):
        seen = []
        with lib.no_grad():
            seen.append(lib.is_grad_enabled())
            with lib.enable_grad():
                seen.append(lib.is_grad_enabled())
                with lib.set_grad_enabled(False):
                    seen.append(lib.is_grad_enabled())
                seen.append(lib.is_grad_enabled())
            seen.append(lib.is_grad_enabled())
        seen.append(lib.is_grad_enabled())
        return seen
    e, _ = same(f)
    assert e == [False, True, False, True, False, True]


def test_mode_restored_after_exception():
    def f(lib):
        with pytest.raises(ValueError):
            with lib.no_grad():
                raise ValueError("boom")
        return lib.is_grad_enabled()
    same(f)


def test_set_grad_enabled_as_function():
    def f(lib):
        lib.set_grad_enabled(False)
        off = lib.is_grad_enabled()
        y = leaf(lib, [1.0]) * 2
        lib.set_grad_enabled(True)
        return off, y.requires_grad, lib.is_grad_enabled()
    same(f)


def test_set_grad_enabled_rejects_non_bool():
    assert "must be bool, not str" in same_error(lambda lib: lib.set_grad_enabled("yes"), TypeError)


# -- decorators ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["no_grad", "enable_grad", "inference_mode"])
@pytest.mark.parametrize("bare", [True, False])
def test_mode_as_decorator(mode, bare):
    def f(lib):
        deco = getattr(lib, mode) if bare else getattr(lib, mode)()

        @deco
        def step(x):
            """Doc kept by the decorator."""
            return x * 2, lib.is_grad_enabled()

        with lib.no_grad():
            y, inside = step(leaf(lib, [1.0]))
        return y.requires_grad, inside, lib.is_grad_enabled(), step.__name__, step.__doc__
    same(f)


def test_set_grad_enabled_decorator_does_not_act_at_definition():
    def f(lib):
        @lib.set_grad_enabled(False)
        def step():
            return lib.is_grad_enabled()
        return lib.is_grad_enabled(), step(), lib.is_grad_enabled()
    same(f)


def test_decorated_generator_keeps_mode_per_step():
    def f(lib):
        @lib.no_grad()
        def gen():
            for _ in range(2):
                yield lib.is_grad_enabled()

        it = gen()
        return next(it), lib.is_grad_enabled(), next(it), list(it)
    same(f)


def test_decorated_method():
    def f(lib):
        class Model:
            @lib.no_grad()
            def predict(self, x):
                return x * 2
        return Model().predict(leaf(lib, [1.0])).requires_grad
    same(f)


# -- inference mode ----------------------------------------------------------------------------------------------
def test_inference_mode_flags_and_nesting():
    def f(lib):
        seen = []
        with lib.inference_mode():
            seen += [lib.is_grad_enabled(), lib.is_inference_mode_enabled()]
            with lib.inference_mode(False):
                seen += [lib.is_grad_enabled(), lib.is_inference_mode_enabled()]
            seen += [lib.is_grad_enabled(), lib.is_inference_mode_enabled()]
        with lib.no_grad(), lib.inference_mode(mode=False):
            seen.append(lib.is_grad_enabled())
        return seen + [lib.is_inference_mode_enabled()]
    same(f)


def test_inference_mode_result_has_no_history():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        with lib.inference_mode():
            y = (x * x).exp()
        return y.requires_grad, y.is_leaf, y
    same(f)


# -- detach and .data -----------------------------------------------------------------------------------------------
def test_detach_shares_memory_and_cuts_history():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        d = y.detach()
        d[0] = 10.0
        return d.requires_grad, d.is_leaf, d.grad_fn is None, y.detach(), y.requires_grad
    same(f)


def test_detach_shares_version_counter():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        z = x.exp()
        z.detach().add_(1)
        z.sum().backward()
    assert "which is output 0 of Exp" in same_error(f)


def test_data_inplace_does_not_bump_version():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        z = x.exp()
        z.data.add_(1)  # the graph does not notice: backward uses the modified value
        z.sum().backward()
        return x.grad, x.data.requires_grad, x.data.is_leaf
    same(f)


def test_data_assignment_keeps_requires_grad():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        x.data = lib.tensor([5.0, 6.0])
        (x * x).sum().backward()
        return x, x.requires_grad, x.grad
    same(f)


def test_detach_inplace():
    def f(lib):
        x = leaf(lib, [1.0, 2.0])
        y = x * 2
        out = y.detach_()
        return out is y, y.requires_grad, y.is_leaf, y.grad_fn is None
    same(f)


def test_requires_grad_flag_errors():
    msg = same_error(lambda lib: (leaf(lib, [1.0]) * 2).requires_grad_(False))
    assert msg.startswith("you can only change requires_grad flags of leaf variables.")
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        ember.tensor([1, 2]).requires_grad_()


def test_manual_sgd_step_pattern():
    def f(lib):
        w1 = leaf(lib, [[0.5, -1.0], [2.0, 0.25]])
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        lr = 0.01
        losses = []
        for _ in range(5):
            loss = ((x @ w1 - 1) ** 2).sum()
            losses.append(loss.item())
            loss.backward()
            with lib.no_grad():
                w1 -= lr * w1.grad
                w1.grad.zero_()
        return w1, w1.grad, w1.is_leaf, w1.requires_grad, losses
    e, _ = same(f, rtol=1e-6)
    assert e[4][-1] < e[4][0]  # the loss went down
    np.testing.assert_array_equal(e[1].numpy(), np.zeros((2, 2)))
