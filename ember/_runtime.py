"""Process-wide runtime settings: thread counts (NumPy's BLAS and ember's elementwise workers), determinism.

NumPy ships OpenBLAS as a shared library whose symbols may carry a prefix and suffix
(`scipy_openblas_set_num_threads64_`); it is found among the libraries loaded into this process and
called through ctypes. Where no OpenBLAS is found (another BLAS, a non-Linux system), only ember's own
worker count changes.
"""

from __future__ import annotations

import ctypes
import re

from .backend import parallel

_blas = None
_blas_searched = False


def _find_openblas():
    global _blas, _blas_searched
    if _blas_searched:
        return _blas
    _blas_searched = True
    try:
        with open("/proc/self/maps") as f:
            paths = sorted(set(re.findall(r"(/\S*openblas\S*\.so[\w.]*)", f.read())))
    except OSError:
        return None
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("", ""), ("scipy_", "64_"), ("", "64_"), ("scipy_", "")):
            setter = getattr(lib, f"{prefix}openblas_set_num_threads{suffix}", None)
            getter = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None)
            if setter is not None and getter is not None:
                setter.argtypes, getter.restype = [ctypes.c_int], ctypes.c_int
                _blas = (setter, getter)
                return _blas
    return None


def set_num_threads(num: int) -> None:
    """Set the number of threads used for intra-op parallelism (BLAS and large elementwise ops)."""
    if not isinstance(num, int) or isinstance(num, bool):
        raise TypeError(f"set_num_threads expects an int, but got {type(num).__name__}")
    if num <= 0:
        raise RuntimeError("Number of threads must be positive")
    blas = _find_openblas()
    if blas is not None:
        blas[0](num)
    parallel.set_workers(num)


def get_num_threads() -> int:
    """The number of threads used for intra-op parallelism."""
    blas = _find_openblas()
    if blas is not None:
        return int(blas[1]())
    return parallel.num_threads()


def get_num_interop_threads() -> int:
    """Inter-op threads: ember runs one op at a time, so this is 1."""
    return 1


def set_num_interop_threads(num: int) -> None:
    """Accepted for compatibility; ember has no inter-op thread pool."""
    if not isinstance(num, int) or num <= 0:
        raise RuntimeError("Number of interop threads must be positive")


_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Record the deterministic-algorithms flag; ember's CPU kernels are deterministic either way."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'mode' must be bool, not {type(mode).__name__}")
    _deterministic["mode"], _deterministic["warn_only"] = mode, warn_only is True


def are_deterministic_algorithms_enabled() -> bool:
    """Whether use_deterministic_algorithms(True) is in effect."""
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether use_deterministic_algorithms(True, warn_only=True) is in effect."""
    return _deterministic["mode"] and _deterministic["warn_only"]
