"""Intel MKL: ember uses NumPy's BLAS (OpenBLAS in NumPy's wheels), not MKL directly."""

from __future__ import annotations


def is_available() -> bool:
    """False: ember does not link MKL."""
    return False
