"""DataParallel: PyTorch's multi-GPU wrapper; on the CPU or a single device it runs the module as it is."""

from __future__ import annotations

from ..modules.module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """Wraps `module` (as `.module`, so state_dict keys gain the 'module.' prefix) and calls it unchanged.

    Splitting a batch across several GPUs is not implemented: with more than one device id this raises
    NotImplementedError rather than silently using one device.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0) -> None:
        super().__init__()
        if device_ids is not None and len(device_ids) > 1:
            raise NotImplementedError("ember's DataParallel runs on one device; splitting a batch across "
                                      f"devices {list(device_ids)} is not implemented")
        self.module = module
        self.device_ids = [] if device_ids is None else list(device_ids)
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        """Call the wrapped module."""
        return self.module(*inputs, **kwargs)
