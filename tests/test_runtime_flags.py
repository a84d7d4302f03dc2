"""finfo/iinfo, thread counts, deterministic-algorithm flags and ember.backends, against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_matches_pytorch(name):
    e, t = ember.finfo(getattr(ember, name)), torch.finfo(getattr(torch, name))
    for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(e, attr) == getattr(t, attr), attr
    assert repr(e) == repr(t)


def test_finfo_default_dtype_and_errors():
    assert ember.finfo().dtype == "float32"
    ember.set_default_dtype(ember.float64)
    assert ember.finfo().dtype == "float64"
    with pytest.raises(TypeError):
        ember.finfo(ember.int32)
    with pytest.raises(TypeError):
        ember.iinfo(ember.float32)
    with pytest.raises(TypeError):
        ember.iinfo(ember.bool)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_pytorch(name):
    e, t = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
    assert (e.bits, e.min, e.max, e.dtype) == (t.bits, t.min, t.max, t.dtype)
    assert repr(e) == repr(t)


def test_set_num_threads_changes_blas_and_elementwise_threads():
    before = ember.get_num_threads()
    try:
        ember.set_num_threads(1)
        assert ember.get_num_threads() == 1
        a = ember.randn(1 << 19)
        np.testing.assert_array_equal((a + a).numpy(), a.numpy() * 2)  # still right on one thread
        ember.set_num_threads(2)
        assert ember.get_num_threads() == 2
        np.testing.assert_array_equal((a * 3.0).numpy(), a.numpy() * np.float32(3.0))
    finally:
        ember.set_num_threads(before)
    with pytest.raises(RuntimeError):
        ember.set_num_threads(0)
    assert ember.get_num_interop_threads() >= 1


def test_deterministic_flags():
    assert ember.are_deterministic_algorithms_enabled() is torch.are_deterministic_algorithms_enabled() is False
    ember.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert ember.are_deterministic_algorithms_enabled()
        assert ember.is_deterministic_algorithms_warn_only_enabled()
    finally:
        ember.use_deterministic_algorithms(False)
    assert not ember.is_deterministic_algorithms_warn_only_enabled()


def test_backends_flags_are_settable_and_report_no_gpu_libraries():
    assert ember.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert ember.backends.cudnn.is_available() is False
    assert (ember.backends.cudnn.benchmark, ember.backends.cudnn.deterministic, ember.backends.cudnn.enabled) == (
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic, torch.backends.cudnn.enabled)
    ember.backends.cudnn.benchmark = True
    try:
        assert ember.backends.cudnn.benchmark is True
    finally:
        ember.backends.cudnn.benchmark = False
    ember.backends.cuda.matmul.allow_tf32 = True
    ember.backends.cuda.matmul.allow_tf32 = False


def test_cuda_queries_without_a_gpu_behave_as_cpu_pytorch():
    assert ember.cuda.is_available() is torch.cuda.is_available() is False
    assert ember.cuda.device_count() == torch.cuda.device_count() == 0
    for name in ("manual_seed", "manual_seed_all"):
        assert getattr(ember.cuda, name)(0) is None and getattr(torch.cuda, name)(0) is None
    assert ember.cuda.empty_cache() is None and torch.cuda.empty_cache() is None
    ember.cuda.synchronize()  # a harmless no-op (issue 9); CPU PyTorch raises here
    with pytest.raises(AssertionError):
        torch.cuda.current_device()
    with pytest.raises(AssertionError):
        ember.cuda.current_device()
