"""Device objects (`ember.device('cpu')`, `ember.device('cuda', 0)`) and parsing of device arguments."""

from __future__ import annotations

import re

_DEVICE_STRING = re.compile(r"[A-Za-z_]+(:(0|[1-9][0-9]*))?$")


def _accelerator() -> str:
    """The device type a bare integer names: CUDA when it is usable (PyTorch's current accelerator)."""
    from .backend import cuda_available

    if not cuda_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return "cuda"


class device:
    """Where a tensor's memory lives: 'cpu', or 'cuda[:index]' when CuPy and a GPU are present."""

    __slots__ = ("type", "index")

    def __init__(self, type, index: int | None = None) -> None:  # noqa: A002 - PyTorch's name
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = _accelerator(), type
        if not isinstance(type, str):
            raise TypeError(f"device() expected a string or int, got {type.__class__.__name__}")
        if not _DEVICE_STRING.match(type):
            raise RuntimeError(f"Invalid device string: '{type}'")
        if ":" in type:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed "
                                   f"explicitly: {type}")
            type, _, idx = type.partition(":")
            index = int(idx)
        if type not in ("cpu", "cuda", "meta", "mps"):
            raise RuntimeError(
                "Expected one of cpu, cuda, mps, meta device type at start of device string: " + type)
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type, self.index = type, index

    def __eq__(self, other) -> bool:
        # like torch.device, only devices compare equal: `t.device == "cpu"` is False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")


def to_device(d) -> device:
    """Normalise a device argument (str, int, device or None) to a device; None means CPU."""
    if d is None or d is CPU:
        return CPU
    if isinstance(d, device):
        return d
    return device(d)
