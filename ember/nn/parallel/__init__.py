"""nn.parallel: DataParallel (a transparent wrapper on one device)."""

from .data_parallel import DataParallel  # noqa: F401

__all__ = ["DataParallel"]
