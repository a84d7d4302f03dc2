"""DLPack and NumPy interchange: memory is shared both ways with torch and NumPy."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.utils.dlpack

import ember
from tests.helpers import DTYPES


def test_ember_from_torch_shares_memory():
    """ember.from_dlpack(torch_tensor) aliases torch's memory: writes show on both sides."""
    t = torch.arange(6.0).reshape(2, 3)
    e = ember.from_dlpack(t)
    assert e.shape == (2, 3) and e.dtype is ember.float32 and e.tolist() == t.tolist()
    t[0, 0] = 100.0
    assert e[0, 0].item() == 100.0
    e[1, 1] = -1.0
    assert t[1, 1].item() == -1.0
    e.mul_(2)
    assert t[0, 1].item() == 2.0


def test_torch_from_ember_shares_memory():
    """torch.from_dlpack(ember_tensor) aliases ember's memory."""
    e = ember.arange(4, dtype=ember.int32)
    t = torch.from_dlpack(e)
    assert t.dtype is torch.int32 and t.tolist() == [0, 1, 2, 3]
    t[0] = 7
    assert e[0].item() == 7
    e[3] = -3
    assert t[3].item() == -3


def test_numpy_from_ember_and_back():
    """np.from_dlpack(ember_tensor) and ember.from_dlpack(ndarray) share memory."""
    e = ember.zeros(3, dtype=ember.int16)
    n = np.from_dlpack(e)
    assert n.dtype == np.int16
    n[1] = 9
    assert e[1].item() == 9
    a = np.arange(3.0)
    e2 = ember.from_dlpack(a)
    a[0] = 5.0
    assert e2.dtype is ember.float64 and e2[0].item() == 5.0


@pytest.mark.parametrize("name", list(DTYPES))
def test_dlpack_round_trip_dtypes(name):
    """Every ember dtype crosses to torch and back with its dtype and values."""
    e_dt, t_dt = DTYPES[name]
    e = ember.tensor([[1, 0], [1, 1]], dtype=e_dt)
    t = torch.from_dlpack(e)
    assert t.dtype is t_dt and t.tolist() == e.tolist()
    back = ember.from_dlpack(torch.tensor([[0, 1]], dtype=t_dt))
    assert back.dtype is e_dt and back.tolist() == [[0, 1]] if name != "bool" else [[False, True]]


@pytest.mark.parametrize("layout", ["transposed", "sliced", "scalar", "empty"])
def test_dlpack_keeps_strides(layout):
    """Non-contiguous views cross with their strides (and still alias)."""
    make = {"transposed": lambda lib: lib.arange(6.0).reshape(2, 3).T,
            "sliced": lambda lib: lib.arange(24.0).reshape(4, 6)[1:3, ::2],
            "scalar": lambda lib: lib.tensor(3.5), "empty": lambda lib: lib.ones(0, 3)}[layout]
    t = make(torch)
    e = ember.from_dlpack(t)
    assert e.shape == t.shape and e.tolist() == t.tolist()
    if t.numel():
        assert e.stride() == t.stride()
    e2 = make(ember)
    t2 = torch.from_dlpack(e2)
    assert t2.shape == e2.shape and t2.tolist() == e2.tolist()
    if e2.numel():
        assert t2.stride() == e2.stride()


def test_dlpack_device_and_capsules():
    """__dlpack_device__ reports CPU (kDLCPU = 1, 0); bare capsules and copy=True work as in torch."""
    e = ember.ones(2)
    assert tuple(int(x) for x in e.__dlpack_device__()) == (1, 0)
    assert tuple(int(x) for x in e.__dlpack_device__()) == tuple(int(x) for x in torch.ones(2).__dlpack_device__())
    t = torch.arange(3.0)
    shared = ember.from_dlpack(torch.utils.dlpack.to_dlpack(t))
    copied = ember.from_dlpack(t, copy=True)
    t[0] = 7.0
    assert shared[0].item() == 7.0 and copied[0].item() == 0.0
    assert ember.from_dlpack(e) is e


def test_dlpack_errors():
    """Tensors that require grad cannot be exported; non-DLPack objects are rejected as torch rejects them."""
    with pytest.raises((RuntimeError, BufferError), match="require gradient"):
        torch.from_dlpack(ember.ones(2, requires_grad=True))
    with pytest.raises(RuntimeError) as te:
        torch.from_dlpack([1, 2])
    with pytest.raises(RuntimeError) as ee:
        ember.from_dlpack([1, 2])
    assert str(ee.value) == str(te.value)
    with pytest.raises(TypeError, match="complex64"):
        ember.from_dlpack(torch.ones(2, dtype=torch.complex64))


@pytest.mark.filterwarnings("ignore:__array_wrap__:DeprecationWarning")  # torch's own NumPy 2 warning
def test_numpy_array_protocol():
    """np.asarray(t) views the tensor's memory; dtype= converts; ndarray ops with tensors give tensors."""
    e = ember.tensor([1.0, 2.0])
    a = np.asarray(e)
    a[0] = 10.0
    assert e[0].item() == 10.0
    assert np.asarray(e, dtype=np.int32).dtype == np.int32
    out = e + np.array([1.0, 1.0], dtype=np.float64)
    want = torch.tensor([10.0, 2.0]) + np.array([1.0, 1.0], dtype=np.float64)
    assert isinstance(out, ember.Tensor) and out.tolist() == want.tolist()
    assert str(out.dtype) == str(want.dtype).replace("torch", "ember")
    # torch 2.13 with NumPy 2.4 fails on `ndarray + tensor`; ember defers to Tensor.__radd__ and gives the sum
    reflected = np.array([1.0, 1.0], dtype=np.float64) + e
    assert isinstance(reflected, ember.Tensor) and reflected.tolist() == out.tolist()
