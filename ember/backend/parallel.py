"""Elementwise NumPy functions split across cores for large arrays.

NumPy's ufunc loops release the GIL but run on one core; PyTorch runs elementwise kernels on all
cores. For a large contiguous array, the calling thread computes one chunk and resident worker
threads compute the others, each writing its own slice of the output.

Note [thread hand-off cost]
A concurrent.futures pool costs ~40us per call (futures, a queue, condition variables), more than
an add of 1e6 floats saves. Each worker here waits on a plain lock instead: the caller stores the
job and releases the worker's `go` lock, then waits on its `done` lock, about 20us for a round trip
on Linux. Below MIN_PARALLEL_SIZE elements (memory-bound ops such as add) or MIN_PARALLEL_SIZE_COMPUTE
(transcendental ops such as exp), one core is faster. When another Python thread is already using
the workers, the call simply runs on the calling thread.
"""

from __future__ import annotations

import os
import threading

import numpy as np

MIN_PARALLEL_SIZE = 1 << 18  # memory-bound ops: add, mul, ...
MIN_PARALLEL_SIZE_COMPUTE = 1 << 15  # compute-bound ops: exp, tanh, sigmoid, ...
_CORES = max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8))


class _Worker(threading.Thread):
    """A daemon thread that runs one job at a time, handed over through two locks."""

    def __init__(self) -> None:
        super().__init__(daemon=True, name="ember-elementwise")
        self.go = threading.Lock()
        self.go.acquire()
        self.done = threading.Lock()
        self.done.acquire()
        self.job: tuple = ()
        self.error: BaseException | None = None

    def run(self) -> None:
        while True:
            self.go.acquire()
            if self.job is None:  # stop request
                return
            fn, args, out = self.job
            try:
                fn(*args, out=out)
            except BaseException as e:  # handed back to the caller, which re-raises it
                self.error = e
            self.done.release()

    def submit(self, fn, args: tuple, out) -> None:
        self.job = (fn, args, out)
        self.go.release()

    def wait(self) -> None:
        self.done.acquire()
        if self.error is not None:
            error, self.error = self.error, None
            raise error


def num_threads() -> int:
    """Cores that large elementwise ops are split across (the caller's thread included)."""
    return _CORES


def set_workers(num: int) -> None:
    """Use num threads (the caller plus num - 1 workers) for large elementwise ops."""
    global _CORES, _workers, _workers_pid
    with _busy:
        if _workers_pid == os.getpid():
            for w in _workers:
                w.job = None
                w.go.release()
        _workers, _workers_pid = [], -1  # rebuilt with the new count on next use
        _CORES = max(1, int(num))


_workers: list[_Worker] = []
_workers_pid = -1
_busy = threading.Lock()


def _get_workers() -> list[_Worker]:
    global _workers, _workers_pid
    if _workers_pid != os.getpid():  # a forked child (a DataLoader worker) starts its own threads
        _workers = [_Worker() for _ in range(_CORES - 1)]
        for w in _workers:
            w.start()
        _workers_pid = os.getpid()
    return _workers


def _chunked(fn, args: tuple, out: np.ndarray) -> np.ndarray:
    """fn(*args, out=out) with args and out flat and equally long (or scalars), one chunk per core."""
    if not _busy.acquire(blocking=False):
        fn(*args, out=out)
        return out
    try:
        workers = _get_workers()
        n = out.shape[0]
        bounds = [n * i // (len(workers) + 1) for i in range(len(workers) + 2)]
        started = []
        try:
            for w, lo, hi in zip(workers, bounds[1:], bounds[2:]):
                w.submit(fn, tuple(a[lo:hi] if a.__class__ is np.ndarray else a for a in args), out[lo:hi])
                started.append(w)
            hi = bounds[1]
            fn(*(a[:hi] if a.__class__ is np.ndarray else a for a in args), out=out[:hi])
        finally:
            errors = []
            for w in started:
                try:
                    w.wait()
                except BaseException as e:
                    errors.append(e)
        if errors:
            raise errors[0]
        return out
    finally:
        _busy.release()


def unary(ufunc, a: np.ndarray) -> np.ndarray:
    """ufunc(a), computed in per-core chunks when a is large and contiguous (ufunc may be any f(x, out=))."""
    if _CORES == 1 or a.size < MIN_PARALLEL_SIZE_COMPUTE or not a.flags.c_contiguous:
        return ufunc(a)
    out = np.empty_like(a)
    _chunked(ufunc, (a.reshape(-1),), out.reshape(-1))
    return out


def binary(ufunc, a: np.ndarray, b, out: np.ndarray | None = None) -> np.ndarray:
    """ufunc(a, b[, out=out]) split across cores when a is large, contiguous, and b is a scalar or a's twin.

    Anything else (broadcasting, strided arrays, mixed dtypes) goes to NumPy as one call.
    """
    if _CORES == 1 or a.size < MIN_PARALLEL_SIZE or not a.flags.c_contiguous or (
            b.__class__ is np.ndarray and (b.shape != a.shape or b.dtype != a.dtype or not b.flags.c_contiguous)) \
            or (out is not None and not out.flags.c_contiguous):
        return ufunc(a, b) if out is None else ufunc(a, b, out=out)
    if b.__class__ is not np.ndarray and not isinstance(b, (float, int)):
        return ufunc(a, b) if out is None else ufunc(a, b, out=out)
    if out is None:
        out = np.empty(a.shape, np.result_type(a, b))
    flat_b = b.reshape(-1) if b.__class__ is np.ndarray else b
    _chunked(ufunc, (a.reshape(-1), flat_b), out.reshape(-1))
    return out
