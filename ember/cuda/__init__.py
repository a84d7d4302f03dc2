"""ember.cuda: device queries. Without CuPy and a GPU these answer as CPU-only PyTorch does."""

from __future__ import annotations

from .. import backend as _backend


def is_available() -> bool:
    """True when CuPy is installed and sees a GPU."""
    return _backend.cuda_available()


def device_count() -> int:
    """Number of visible GPUs."""
    return _backend.cuda_device_count()


def current_device() -> int:
    """Index of the current GPU (raises without CUDA, as PyTorch does)."""
    if not is_available():
        # CPU-only PyTorch raises AssertionError here too
        raise AssertionError("ember's CUDA backend is not available (it needs CuPy and an NVIDIA GPU)")
    return _backend._load_cupy().cuda.runtime.getDevice()


def manual_seed(seed: int) -> None:
    """Seed GPU generators (no-op without CUDA)."""


def manual_seed_all(seed: int) -> None:
    """Seed all GPU generators (no-op without CUDA)."""


def synchronize(device=None) -> None:
    """Wait for GPU work to finish (no-op without CUDA)."""
    if is_available():
        _backend._load_cupy().cuda.runtime.deviceSynchronize()


def empty_cache() -> None:
    """Release cached GPU memory (no-op without CUDA)."""
    if is_available():
        _backend._load_cupy().get_default_memory_pool().free_all_blocks()
