"""The array modules behind ember: NumPy for the CPU, CuPy for CUDA (when installed).

Ops never import CuPy. They ask `xp_of(array)` for the module that holds an array and use the
NumPy API on it; moving arrays between devices happens only here.
"""

from __future__ import annotations

import numpy as np

from .._device import CPU, device

_cupy = None  # the CuPy module once imported successfully; False when unavailable


def _load_cupy():
    global _cupy
    if _cupy is None:
        try:
            import cupy  # noqa: PLC0415 - optional dependency, imported on first CUDA use

            cupy.cuda.runtime.getDeviceCount()
            _cupy = cupy
        except Exception:  # ImportError, or CUDA present without a driver/GPU
            _cupy = False
    return _cupy


def cuda_available() -> bool:
    """True when CuPy imports and sees at least one GPU."""
    cp = _load_cupy()
    return bool(cp) and cp.cuda.runtime.getDeviceCount() > 0


def cuda_device_count() -> int:
    """Number of visible GPUs (0 without CuPy)."""
    cp = _load_cupy()
    return cp.cuda.runtime.getDeviceCount() if cp else 0


def xp_of(a):
    """The array module (numpy or cupy) that holds array `a`."""
    if a.__class__ is np.ndarray:
        return np
    cp = _load_cupy()
    if cp and isinstance(a, cp.ndarray):
        return cp
    return np


def device_of(a) -> device:
    """The ember device of an array."""
    if a.__class__ is np.ndarray:
        return CPU
    return device("cuda", int(a.device.id))


def _require_cuda(d: device):
    cp = _load_cupy()
    if not cp:
        raise RuntimeError(
            f"cannot use device '{d}': ember's CUDA backend needs CuPy and an NVIDIA GPU, and "
            "CuPy is not installed or found no GPU (install cupy-cuda12x, check nvidia-smi)")
    return cp


def xp_for(d: device):
    """The array module for a device."""
    if d.type == "cpu":
        return np
    if d.type == "cuda":
        return _require_cuda(d)
    raise RuntimeError(f"ember has no backend for device type '{d.type}'")


def move(a, d: device):
    """Copy array `a` to device `d` (no copy when it is already there)."""
    if d.type == "cpu":
        if a.__class__ is np.ndarray:
            return a
        return a.get()
    cp = xp_for(d)
    with cp.cuda.Device(d.index or 0):
        return cp.asarray(a)
