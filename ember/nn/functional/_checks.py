"""Input checks shared by the functional API, with PyTorch's messages."""

from __future__ import annotations

from ..._tensor import Tensor


def require_floating(t: Tensor, kernel: str) -> None:
    """Raise PyTorch's NotImplementedError for a kernel that has no integer or bool version."""
    if not (t.dtype.is_floating_point or t.dtype.is_complex):
        raise NotImplementedError(f'"{kernel}" not implemented for \'{t.dtype._legacy[:-len("Tensor")]}\'')
