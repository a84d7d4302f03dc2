"""One compute thread for these tests: their matrices are small, and on a shared machine BLAS threads
waiting for a busy core made them up to 30x slower."""

from __future__ import annotations

import pytest

import ember


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch):
    before = ember.get_num_threads()
    ember.set_num_threads(1)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")  # for the scripts run in subprocesses
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    yield
    ember.set_num_threads(before)
