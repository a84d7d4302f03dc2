"""OpenMP: ember parallelises with threads of its own (ember/backend/parallel.py), not OpenMP."""

from __future__ import annotations


def is_available() -> bool:
    """False: ember does not use OpenMP."""
    return False
