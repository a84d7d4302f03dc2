"""ember.save / ember.load in PyTorch's checkpoint format (placeholder for issue 6)."""

from __future__ import annotations

__all__ = ["load", "save"]


def save(obj, f, *args, **kwargs) -> None:
    """Write obj to f in PyTorch's zip checkpoint format."""
    raise NotImplementedError("ember.save is not implemented yet (issue 6)")


def load(f, map_location=None, weights_only: bool = True, mmap: bool = False, **kwargs):
    """Read a checkpoint written by PyTorch or ember."""
    raise NotImplementedError("ember.load is not implemented yet (issue 6)")
