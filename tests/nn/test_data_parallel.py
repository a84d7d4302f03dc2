"""nn.DataParallel on the CPU: a transparent wrapper whose state_dict keys carry the 'module.' prefix."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from tests.nn._oracle import compare_modules, copy_module


def _net(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))


def test_repr_state_dict_and_numbers_match_pytorch():
    t, e = torch.nn.DataParallel(_net(torch)).double(), ember.nn.DataParallel(_net(ember)).double()
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict()) == ["module.0.weight", "module.0.bias", "module.2.weight",
                                                            "module.2.bias"]
    copy_module(t, e)
    compare_modules(t, e, np.random.default_rng(0).standard_normal((5, 4)))


def test_wrapped_module_is_the_same_object_and_loads_unwrapped_state():
    inner = _net(ember)
    wrapped = ember.nn.DataParallel(inner)
    assert wrapped.module is inner
    other = _net(ember)
    other.load_state_dict({k[len("module."):]: v for k, v in wrapped.state_dict().items()})
    x = ember.randn(2, 4)
    assert ember.equal(other(x), wrapped(x))


def test_several_devices_are_refused_clearly():
    with pytest.raises(NotImplementedError, match="one device"):
        ember.nn.DataParallel(_net(ember), device_ids=[0, 1])
