"""Anomaly detection: remember where each graph node was created and check backward for nan.

While enabled, every recorded node keeps the traceback of its forward call (in
`node.metadata["traceback_"]`). When a node's backward fails, a warning shows that traceback
before the error propagates; with check_nan, a node returning nan gradients raises
`RuntimeError("Function 'DivBackward0' returned nan values in its 1th output.")`.
"""

from __future__ import annotations

import warnings

from .grad_mode import STATE

_ENABLED_WARNING = ("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                    "enabled for debugging.")


def is_anomaly_enabled() -> bool:
    """True while anomaly detection is on."""
    return STATE.anomaly


def is_anomaly_check_nan_enabled() -> bool:
    """True when anomaly detection also checks backward outputs for nan."""
    return STATE.anomaly_check_nan


class detect_anomaly:
    """Context manager enabling anomaly detection for the autograd engine.

    Example:
        >>> with ember.autograd.detect_anomaly():
        ...     y = (x / x).sum()
        ...     y.backward()   # RuntimeError: Function 'DivBackward0' returned nan values in its 1th output.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self.prev = STATE.anomaly
        self.prev_check_nan = STATE.anomaly_check_nan
        warnings.warn(_ENABLED_WARNING, UserWarning, stacklevel=2)

    def __enter__(self) -> None:
        STATE.anomaly = True
        STATE.anomaly_check_nan = self.check_nan

    def __exit__(self, *exc) -> None:
        STATE.anomaly = self.prev
        STATE.anomaly_check_nan = self.prev_check_nan


class set_detect_anomaly:
    """Turn anomaly detection on or off; acts at once, and as a context manager restores on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = STATE.anomaly
        self.prev_check_nan = STATE.anomaly_check_nan
        STATE.anomaly = bool(mode)
        STATE.anomaly_check_nan = bool(check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        STATE.anomaly = self.prev
        STATE.anomaly_check_nan = self.prev_check_nan
