"""Anomaly detection: nan checks in backward, forward tracebacks on errors, mode flags, vs PyTorch."""

from __future__ import annotations

import warnings

import pytest

import ember

from ._both import same, same_error


def flags(lib):
    """(is_anomaly_enabled, is_anomaly_check_nan_enabled); ember keeps them in ember.autograd.anomaly_mode."""
    where = lib.autograd.anomaly_mode if lib is ember else lib
    return where.is_anomaly_enabled(), where.is_anomaly_check_nan_enabled()


def test_nan_in_backward_raises():
    def f(lib):
        x = lib.tensor([0.0, 1.0], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly():
                (x / x).sum().backward()
    assert same_error(f) == "Function 'DivBackward0' returned nan values in its 1th output."


def test_nan_check_can_be_disabled():
    def f(lib):
        x = lib.tensor([0.0, 1.0], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly(check_nan=False):
                inside = flags(lib)
                (x / x).sum().backward()
        return inside, x.grad, flags(lib)
    same(f)


def test_without_anomaly_mode_nan_passes_silently():
    def f(lib):
        x = lib.tensor([0.0, 1.0], requires_grad=True)
        (x / x).sum().backward()
        return x.grad
    same(f)


def test_enabling_warns():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        with ember.autograd.detect_anomaly():
            assert flags(ember) == (True, True)
    assert flags(ember) == (False, True)


def test_forward_traceback_is_shown_when_backward_fails():
    class Broken(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            raise ValueError("boom")

    x = ember.tensor([1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ember.autograd.detect_anomaly():
            y = Broken.apply(x)  # this line must appear in the warning
            with pytest.raises(ValueError, match="boom"):
                y.sum().backward()
    messages = [str(w.message) for w in caught if "Error detected in" in str(w.message)]
    assert len(messages) == 1
    assert messages[0].startswith("Error detected in BrokenBackward. Traceback of forward call that caused the error:")
    assert "y = Broken.apply(x)  # this line must appear in the warning" in messages[0]
    assert "test_anomaly.py" in messages[0]


def test_nan_error_points_at_forward_line():
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ember.autograd.detect_anomaly():
            ratio = x / x
            with pytest.raises(RuntimeError, match="returned nan values in its 1th output"):
                ratio.sum().backward()
    detected = [str(w.message) for w in caught if "Error detected in DivBackward0" in str(w.message)]
    assert len(detected) == 1 and "ratio = x / x" in detected[0]
    assert "ember/ops" not in detected[0]  # ember's own frames are left out


def test_no_forward_information_when_graph_built_outside():
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    y = (x / x).sum()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ember.autograd.detect_anomaly():
            with pytest.raises(RuntimeError, match="returned nan values"):
                y.backward()
    assert any("No forward pass information available" in str(w.message) for w in caught)


def test_set_detect_anomaly_function_and_context():
    def f(lib):
        seen = []
        lib.autograd.set_detect_anomaly(True)
        seen.append(flags(lib))
        lib.autograd.set_detect_anomaly(False)
        seen.append(flags(lib))
        with lib.autograd.set_detect_anomaly(True, check_nan=False) as entered:
            seen += [flags(lib), entered]
        seen.append(flags(lib))
        return seen
    same(f)


def test_inplace_error_hint_under_anomaly():
    def f(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly():
                y = x.exp()
                y.add_(1)
                y.sum().backward()
    assert same_error(f).endswith("The variable in question was changed in there or anywhere later. Good luck!")


def test_anomaly_mode_does_not_change_results():
    def f(lib):
        x = lib.tensor([0.5, 1.5], dtype=lib.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly():
                (g,) = lib.autograd.grad((x.sin() * x).sum(), x, create_graph=True)
                g.sum().backward()
        return g, x.grad
    same(f)
