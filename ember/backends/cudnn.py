"""cuDNN switches. ember does not call cuDNN, so the flags are recorded and change nothing."""

from __future__ import annotations

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10


def is_available() -> bool:
    """False: ember does not use cuDNN."""
    return False


def version() -> None:
    """None: no cuDNN library is in use."""
    return None
