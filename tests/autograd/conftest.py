"""Autograd tests also reset anomaly mode, so a failing anomaly test cannot leak into others."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _reset_anomaly():
    from ember.autograd.grad_mode import STATE

    yield
    STATE.anomaly = False
    STATE.anomaly_check_nan = True
    STATE.inference = False
