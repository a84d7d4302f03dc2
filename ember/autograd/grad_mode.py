"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled.

Every mode is a context manager and a decorator (`@no_grad()`, and like PyTorch 2.x also bare
`@no_grad`); a decorated generator function keeps the mode around each step, not only the first.
"""

from __future__ import annotations

import functools
import inspect


class _GradState:
    __slots__ = ("enabled", "inference", "anomaly", "anomaly_check_nan")

    def __init__(self) -> None:
        self.enabled = True
        self.inference = False
        self.anomaly = False
        self.anomaly_check_nan = True


STATE = _GradState()


def is_grad_enabled() -> bool:
    """True when operations record history for autograd."""
    return STATE.enabled


def is_inference_mode_enabled() -> bool:
    """True inside `inference_mode()`."""
    return STATE.inference


def _wrap_generator(make_mode, gen_fn):
    """Decorate a generator function so that the mode is active whenever the generator runs."""

    @functools.wraps(gen_fn)
    def wrapper(*args, **kwargs):
        gen = gen_fn(*args, **kwargs)
        with make_mode():
            try:
                item = gen.send(None)
            except StopIteration as stop:
                return stop.value
        while True:
            try:
                sent = yield item
            except GeneratorExit:
                with make_mode():
                    gen.close()
                raise
            except BaseException as exc:  # forward throw() into the wrapped generator
                with make_mode():
                    try:
                        item = gen.throw(exc)
                    except StopIteration as stop:
                        return stop.value
                continue
            with make_mode():
                try:
                    item = gen.send(sent)
                except StopIteration as stop:
                    return stop.value

    return wrapper


def _decorate(make_mode, fn):
    """Wrap fn so that each call runs inside a fresh mode object made by make_mode()."""
    if inspect.isgeneratorfunction(fn):
        return _wrap_generator(make_mode, fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with make_mode():
            return fn(*args, **kwargs)

    return wrapper


class _Mode:
    """Base of the grad-mode context managers; each also works as a decorator, with or without ()."""

    _target = True

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)  # bare `@no_grad`: the class is called with the function

    def __enter__(self) -> None:
        self._prev = STATE.enabled
        STATE.enabled = self._target

    def __exit__(self, *exc) -> None:
        STATE.enabled = self._prev

    def __call__(self, fn):
        return _decorate(self.clone, fn)

    def clone(self):
        """A fresh mode object with the same settings (each decorated call needs its own)."""
        return self.__class__()


class no_grad(_Mode):
    """Context manager and decorator that disables gradient recording.

    Example:
        >>> x = ember.ones(2, requires_grad=True)
        >>> with ember.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
    """

    _target = False


class enable_grad(_Mode):
    """Context manager and decorator that enables gradient recording (e.g. inside no_grad)."""

    _target = True


class set_grad_enabled(_Mode):
    """Enable or disable gradient recording; acts at once, and as a context manager restores on exit."""

    def __new__(cls, mode: bool):
        return object.__new__(cls)

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, not "
                            f"{type(mode).__name__}")
        self._prev = STATE.enabled
        self._target = mode
        STATE.enabled = mode

    def __enter__(self) -> None:
        pass

    def __call__(self, fn):
        STATE.enabled = self._prev  # used as a decorator: the constructor must not have taken effect
        return _decorate(self.clone, fn)

    def clone(self):
        """A fresh mode object with the same setting."""
        return set_grad_enabled(self._target)

    def __exit__(self, *exc) -> None:
        STATE.enabled = self._prev


class inference_mode(_Mode):
    """Like no_grad (ember keeps no extra bookkeeping to skip); `inference_mode(False)` turns grad mode back on."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return object.__new__(cls)
        return cls()(mode)  # bare `@inference_mode`

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        self._prev = STATE.enabled
        self._prev_inf = STATE.inference
        STATE.enabled = not self.mode
        STATE.inference = self.mode

    def __exit__(self, *exc) -> None:
        STATE.enabled = self._prev
        STATE.inference = self._prev_inf

    def clone(self):
        """A fresh mode object with the same setting."""
        return inference_mode(self.mode)
