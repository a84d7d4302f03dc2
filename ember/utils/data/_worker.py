"""What runs inside a DataLoader worker process: seeding, fetching, collating and sending batches."""

from __future__ import annotations

import os
import queue
import random
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _shm

__all__ = ["WorkerInfo", "get_worker_info"]

_STATUS_INTERVAL = 1.0  # seconds between checks that the main process is still alive


class WorkerInfo:
    """Facts about the current worker process: ``id``, ``num_workers``, ``seed`` and its ``dataset`` copy."""

    __slots__ = ("id", "num_workers", "seed", "dataset")

    def __init__(self, id: int, num_workers: int, seed: int, dataset: Any) -> None:
        self.id = id
        self.num_workers = num_workers
        self.seed = seed
        self.dataset = dataset

    def __setattr__(self, key: str, val: Any) -> None:
        if hasattr(self, key):
            raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")
        object.__setattr__(self, key, val)

    def __repr__(self) -> str:
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={self.dataset})")


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The WorkerInfo of this DataLoader worker process, or None in the main process."""
    return _worker_info


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process with its traceback text."""

    def __init__(self, where: str) -> None:
        exc_type, exc, _tb = sys.exc_info()
        self.exc_type = exc_type
        self.exc_msg = "".join(traceback.format_exception(exc_type, exc, exc.__traceback__))
        self.where = where

    def reraise(self) -> None:
        """Raise the worker's exception type in this process, its message holding the worker traceback."""
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            # the exception type needs other constructor arguments: keep the message at least
            raise RuntimeError(msg) from None
        raise exception


class _KeyErrorMessage(str):
    """KeyError shows repr() of its message; this keeps the traceback's line breaks readable."""

    def __repr__(self) -> str:
        return self


@dataclass(frozen=True)
class ResumeIteration:
    """Sent to persistent workers at the start of a new epoch; echoed back as acknowledgement."""


@dataclass(frozen=True)
class IterableStop:
    """A worker's iterable-dataset copy is exhausted."""

    worker_id: int


class MapFetcher:
    """Fetch samples of a map-style dataset by index (or list of indices) and collate them."""

    def __init__(self, dataset, auto_collation: bool, collate_fn: Callable, drop_last: bool) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        getitems = getattr(dataset, "__getitems__", None)
        self._getitems = getitems if callable(getitems) else None

    def fetch(self, index):
        """The collated batch for ``index``."""
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self._getitems is not None:
            return self.collate_fn(self._getitems(index))
        dataset = self.dataset
        return self.collate_fn([dataset[i] for i in index])


class IterableFetcher:
    """Pull samples from an iterable dataset (``len(index)`` of them per batch) and collate them."""

    def __init__(self, dataset, auto_collation: bool, collate_fn: Callable, drop_last: bool) -> None:
        self.dataset_iter = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        """The next collated batch; StopIteration when the stream has no (full, if drop_last) batch left."""
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.dataset_iter))
        data = []
        for _ in index:
            try:
                data.append(next(self.dataset_iter))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return self.collate_fn(data)


def seed_worker(base_seed: int, worker_id: int) -> int:
    """Seed ember, Python's ``random`` and NumPy's global RNG in a worker the way PyTorch does."""
    from ... import manual_seed

    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    # PyTorch seeds NumPy's legacy RNG with 4 words hashed from (worker_id, base_seed) by SeedSequence
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))
    return seed


def worker_loop(iterable: bool, dataset, index_queue, result_queue, done_event, auto_collation: bool,
                collate_fn: Callable, drop_last: bool, base_seed: int, init_fn: Callable | None, worker_id: int,
                num_workers: int, shm_prefix: str | None, parent_pid: int) -> None:
    """Body of a worker process: serve (task id, index) requests until told to stop (None)."""
    global _worker_info
    try:
        seed = seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        _shm.enable_in_worker(None if shm_prefix is None else f"{shm_prefix}w{worker_id}_")
        server = _Server(iterable, dataset, auto_collation, collate_fn, drop_last, worker_id)
        server.start(init_fn)
        while True:
            try:
                task = index_queue.get(timeout=_STATUS_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent_pid:
                    _shm.unlink_own()  # the main process died: nobody will receive (and unlink) our batches
                    break
                continue
            if task is None:
                break
            if isinstance(task, ResumeIteration):
                server.restart()
                result_queue.put((task, None))
            elif not done_event.is_set() and not server.exhausted:
                task_id, index = task
                result_queue.put((task_id, server.serve(index)))
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        result_queue.cancel_join_thread()
    result_queue.close()


class _Server:
    """One worker's fetcher: turns an index into a pickled batch (or a pickled error)."""

    def __init__(self, iterable: bool, dataset, auto_collation: bool, collate_fn: Callable, drop_last: bool,
                 worker_id: int) -> None:
        self.iterable = iterable
        self.make_fetcher = lambda: (IterableFetcher if iterable else MapFetcher)(dataset, auto_collation,
                                                                                 collate_fn, drop_last)
        self.worker_id = worker_id
        self.fetcher = None
        self.init_error = None
        self.exhausted = False

    def start(self, init_fn: Callable | None) -> None:
        """Run worker_init_fn and build the fetcher; a failure is reported with the first batch."""
        try:
            if init_fn is not None:
                init_fn(self.worker_id)
            self.fetcher = self.make_fetcher()
        except Exception:
            self.init_error = ExceptionWrapper(f"in DataLoader worker process {self.worker_id}")

    def restart(self) -> None:
        """A new epoch for a persistent worker: iterate the dataset afresh."""
        self.exhausted = False
        if self.init_error is None:
            self.fetcher = self.make_fetcher()

    def serve(self, index) -> bytes:
        """The pickled batch for ``index`` (Note [batch transport] in _shm)."""
        shown = None if self.iterable else index  # an iterable dataset's "indices" are placeholders
        if self.init_error is not None:
            data, self.init_error = self.init_error, None
        else:
            try:
                data = self.fetcher.fetch(index)
            except StopIteration:
                if not self.iterable:
                    data = _wrap_error(self.worker_id, shown)
                else:
                    data = IterableStop(self.worker_id)
                    self.exhausted = True
            except Exception:
                data = _wrap_error(self.worker_id, shown)
        try:
            return _shm.dumps(data)
        except Exception:
            return _shm.dumps(_wrap_error(self.worker_id, shown, "while sending the batch of"))


def _wrap_error(worker_id: int, index, what: str = "while fetching") -> ExceptionWrapper:
    where = f"in DataLoader worker process {worker_id}"
    if index is not None:
        where += f" {what} index {index!r}"
    return ExceptionWrapper(where)
