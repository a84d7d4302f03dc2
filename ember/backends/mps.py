"""Apple Metal (MPS): not a backend of ember."""

from __future__ import annotations


def is_available() -> bool:
    """False: ember has no MPS backend."""
    return False


def is_built() -> bool:
    """False: ember has no MPS backend."""
    return False
