"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled."""

from __future__ import annotations

import functools


class _GradState:
    __slots__ = ("enabled", "inference")

    def __init__(self) -> None:
        self.enabled = True
        self.inference = False


STATE = _GradState()


def is_grad_enabled() -> bool:
    """True when operations record history for autograd."""
    return STATE.enabled


def is_inference_mode_enabled() -> bool:
    """True inside `inference_mode()`."""
    return STATE.inference


class _Mode:
    """Base of the grad-mode context managers; each also works as a decorator."""

    _target = True

    def __enter__(self):
        self._prev = STATE.enabled
        STATE.enabled = self._target
        return self

    def __exit__(self, *exc) -> None:
        STATE.enabled = self._prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_Mode):
    """Context manager and decorator that disables gradient recording."""

    _target = False


class enable_grad(_Mode):
    """Context manager and decorator that enables gradient recording."""

    _target = True


class set_grad_enabled(_Mode):
    """Enable or disable gradient recording; acts at once, and as a context manager restores on exit."""

    def __init__(self, mode: bool) -> None:
        self._prev = STATE.enabled
        self._target = bool(mode)
        STATE.enabled = self._target

    def __enter__(self):
        return self

    def __call__(self, fn):
        STATE.enabled = self._prev  # used as a decorator: the constructor must not have taken effect
        target = self._target

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(target):
                return fn(*args, **kwargs)

        return wrapper


class inference_mode(_Mode):
    """Like no_grad (ember keeps no extra bookkeeping to skip), `inference_mode(False)` is a no-op."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def __enter__(self):
        self._prev = STATE.enabled
        self._prev_inf = STATE.inference
        if self.mode:
            STATE.enabled = False
            STATE.inference = True
        return self

    def __exit__(self, *exc) -> None:
        STATE.enabled = self._prev
        STATE.inference = self._prev_inf

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)

        return wrapper
