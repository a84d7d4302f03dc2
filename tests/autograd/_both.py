"""Run one snippet with ember and with torch (the oracle) and compare results or errors."""

from __future__ import annotations

import math
import re

import torch

import ember

from ..helpers import assert_same


def same(fn, atol=None, rtol=None):
    """fn(lib) returns tensors/numbers/nested tuples; ember's must equal torch's."""
    e, t = fn(ember), fn(torch)
    _compare(e, t, atol, rtol)
    return e, t


def _compare(e, t, atol, rtol):
    if isinstance(t, (tuple, list)):
        assert isinstance(e, (tuple, list)) and len(e) == len(t), f"{e!r} vs {t!r}"
        for a, b in zip(e, t):
            _compare(a, b, atol, rtol)
    elif isinstance(t, torch.Tensor):
        assert_same(e, t, atol, rtol)
    elif isinstance(t, float):
        assert isinstance(e, float) and math.isclose(e, t, rel_tol=rtol or 1e-6, abs_tol=atol or 1e-9), f"{e} != {t}"
    elif t is None or isinstance(t, (bool, int, str)):
        assert e == t, f"{e!r} != torch's {t!r}"
    else:
        raise TypeError(f"cannot compare {type(t)}")


def same_error(fn, exc_type=RuntimeError):
    """fn(lib) raises exc_type in both libraries with the same message (library names normalised)."""
    messages = []
    for lib in (ember, torch):
        try:
            fn(lib)
        except exc_type as e:
            messages.append(_normalise(str(e)))
        else:
            raise AssertionError(f"{lib.__name__} did not raise {exc_type.__name__}")
    assert messages[0] == messages[1], f"\nember: {messages[0]}\ntorch: {messages[1]}"
    return messages[0]


def _normalise(msg: str) -> str:
    return re.sub(r"0x[0-9a-f]+", "0x", msg.replace("torch", "LIB").replace("ember", "LIB"))
