"""Elementwise NumPy functions split across threads for large arrays.

NumPy's ufunc loops release the GIL but run on one core; PyTorch runs elementwise kernels on all
cores. For compute-bound functions (exp, log, tanh, ...) on large arrays, splitting the array into
one contiguous chunk per core closes most of that gap. Memory-bound ops (add, mul) gain nothing
and are left alone.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

MIN_PARALLEL_SIZE = 1 << 17  # below this, thread hand-off costs more than it saves
_WORKERS = max(1, min(os.cpu_count() or 1, 8))
_pool: ThreadPoolExecutor | None = None
_pool_pid = -1


def _get_pool() -> ThreadPoolExecutor:
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid():  # a forked child (DataLoader worker) needs its own threads
        _pool = ThreadPoolExecutor(_WORKERS, thread_name_prefix="ember-ufunc")
        _pool_pid = os.getpid()
    return _pool


def unary(ufunc, a: np.ndarray) -> np.ndarray:
    """ufunc(a), computed in per-core chunks when a is large and contiguous."""
    if _WORKERS == 1 or a.size < MIN_PARALLEL_SIZE or not a.flags.c_contiguous:
        return ufunc(a)
    out = np.empty_like(a)
    flat_in, flat_out = a.reshape(-1), out.reshape(-1)
    bounds = np.linspace(0, a.size, _WORKERS + 1).astype(int)
    jobs = [_get_pool().submit(ufunc, flat_in[lo:hi], out=flat_out[lo:hi]) for lo, hi in zip(bounds, bounds[1:])]
    for job in jobs:
        job.result()
    return out
