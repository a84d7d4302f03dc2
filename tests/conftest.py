"""Test configuration: the PyTorch oracle is required when EMBER_REQUIRE_ORACLE=1 (CI sets it)."""

from __future__ import annotations

import os

import pytest


def pytest_configure(config) -> None:
    try:
        import torch
    except ImportError:
        if os.environ.get("EMBER_REQUIRE_ORACLE") == "1":
            raise pytest.UsageError("PyTorch (the test oracle) is not installed; CI refuses to skip oracle "
                                    "tests") from None
        return
    # the oracle's tiny ops gain nothing from threads, and its spinning OpenMP workers slow a busy machine
    torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _restore_global_state():
    """Each test starts with default dtype float32, grad mode on and default print options."""
    import ember

    yield
    ember.set_default_dtype(ember.float32)
    ember.set_grad_enabled(True)
    ember.set_printoptions(profile="default")
