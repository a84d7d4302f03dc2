"""Padding layers: Zero/Constant/Reflection/Replication/CircularPad 1d, 2d and 3d (PyTorch's repr)."""

from __future__ import annotations

from .. import functional as F
from .module import Module

__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d"]


def _expand(padding, nd: int) -> tuple:
    """An int pads every side; a sequence is (left, right, top, bottom, front, back) as given."""
    if isinstance(padding, (list, tuple)):
        return tuple(padding)
    return (padding,) * (2 * nd)


class _ConstantPadNd(Module):
    _nd = 0

    def __init__(self, padding, value: float) -> None:
        super().__init__()
        self.value = value
        self.padding = _expand(padding, self._nd)

    def forward(self, input):
        """Pad input with the constant value."""
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dim with a constant value."""

    _nd = 1


class ConstantPad2d(_ConstantPadNd):
    """Pads the last 2 dims with a constant value."""

    _nd = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last 3 dims with a constant value."""

    _nd = 3


class _ZeroPad:
    """Mixin for ZeroPadNd: a ConstantPadNd with value 0 and the padding alone in its repr."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(_ZeroPad, ConstantPad1d):
    """Pads the last dim with zeros."""


class ZeroPad2d(_ZeroPad, ConstantPad2d):
    """Pads the last 2 dims with zeros."""


class ZeroPad3d(_ZeroPad, ConstantPad3d):
    """Pads the last 3 dims with zeros."""


class _ModePadNd(Module):
    _nd = 0
    _mode = ""

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _expand(padding, self._nd)

    def forward(self, input):
        """Pad input by reflection, replication or wrapping around."""
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_ModePadNd):
    """Pads the last dim with its reflection (the edge is not repeated)."""

    _nd, _mode = 1, "reflect"


class ReflectionPad2d(_ModePadNd):
    """Pads the last 2 dims with their reflection (the edge is not repeated)."""

    _nd, _mode = 2, "reflect"


class ReflectionPad3d(_ModePadNd):
    """Pads the last 3 dims with their reflection (the edge is not repeated)."""

    _nd, _mode = 3, "reflect"


class ReplicationPad1d(_ModePadNd):
    """Pads the last dim by repeating its edge values."""

    _nd, _mode = 1, "replicate"


class ReplicationPad2d(_ModePadNd):
    """Pads the last 2 dims by repeating their edge values."""

    _nd, _mode = 2, "replicate"


class ReplicationPad3d(_ModePadNd):
    """Pads the last 3 dims by repeating their edge values."""

    _nd, _mode = 3, "replicate"


class CircularPad1d(_ModePadNd):
    """Pads the last dim by wrapping around (periodic boundary)."""

    _nd, _mode = 1, "circular"


class CircularPad2d(_ModePadNd):
    """Pads the last 2 dims by wrapping around (periodic boundary)."""

    _nd, _mode = 2, "circular"


class CircularPad3d(_ModePadNd):
    """Pads the last 3 dims by wrapping around (periodic boundary)."""

    _nd, _mode = 3, "circular"
