"""DataLoader: batches from a dataset, in the main process or in worker processes.

With ``num_workers > 0`` each worker gets its own index queue; the main process keeps up to
``prefetch_factor * num_workers`` tasks in flight, hands them out round-robin and delivers the results in
sampler order (a reorder buffer). Batches come back through shared memory (Note [batch transport] in
``_shm``). Workers stop when the iterator is exhausted (unless persistent), garbage-collected, or the
interpreter exits; the finalizer removes any shared-memory segment left behind.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import pickle
import queue
import signal
import time
import warnings
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ... import _random
from . import _shm, _worker
from ._collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]

_POLL = 0.2  # seconds between liveness checks of the workers while waiting for a batch
_RESTRICTED = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


class _InfiniteConstantSampler(Sampler):
    """Yields None forever: the 'indices' of an iterable dataset."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


class DataLoader:
    """Iterate over a dataset in batches, optionally shuffled and loaded by worker processes.

    Arguments and rules are PyTorch's. ``pin_memory`` is accepted and has no effect (there is no
    accelerator memory to pin on CPU); ``in_order=False`` is accepted and batches still arrive in order.

        >>> loader = DataLoader(TensorDataset(ember.arange(10)), batch_size=4)
        >>> [b[0].tolist() for b in loader]
        [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    """

    _initialized = False

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | None = None, batch_sampler: Sampler | None = None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False, drop_last: bool = False,
                 timeout: float = 0, worker_init_fn: Callable | None = None, multiprocessing_context: Any = None,
                 generator: Any = None, *, prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers "
                             "> 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.in_order = in_order

        iterable = isinstance(dataset, IterableDataset)
        if iterable:
            if shuffle not in {False, None}:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got "
                                 f"sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler option, but "
                                 f"got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        self._iterable = iterable

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last")

        if sampler is None:
            if iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.multiprocessing_context = multiprocessing_context
        self._iterator = None
        self._IterableDataset_len_called = None
        self._initialized = True

    @property
    def multiprocessing_context(self):
        """The multiprocessing context workers are started from (None: the platform default)."""
        return self._mp_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context) -> None:
        if context is not None:
            if self.num_workers == 0:
                raise ValueError("multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid start method in "
                                     f"{methods!r}, but got multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context object or a string "
                                f"specifying the start method, but got multiprocessing_context={context}")
        object.__setattr__(self, "_mp_context", context)

    def __setattr__(self, attr: str, val: Any) -> None:
        if self._initialized and attr in _RESTRICTED:
            raise ValueError(f"{attr} attribute should not be set after {type(self).__name__} is initialized")
        object.__setattr__(self, attr, val)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self) -> Iterator:
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if self.persistent_workers:
            if self._iterator is None or self._iterator._pool.closed:
                self._iterator = _MultiProcessIter(self)
            else:
                self._iterator._reset(self)
            return self._iterator
        return _MultiProcessIter(self)

    def __len__(self) -> int:
        if self._iterable:
            length = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)

    def check_worker_number_rationality(self) -> None:
        """Warn when more workers are asked for than this machine has CPUs for."""
        if not self.num_workers:
            return
        try:
            suggested = len(os.sched_getaffinity(0))
            cpuset_checked = True
        except AttributeError:
            suggested, cpuset_checked = os.cpu_count(), False
        if suggested is not None and self.num_workers <= suggested:
            return
        if suggested is None:
            detail = "DataLoader is not able to compute a suggested max number of worker in current system."
        else:
            detail = (f"Our suggested max number of worker in current system is {suggested}"
                      f"{'' if cpuset_checked else ' (`cpuset` is not taken into account)'}, which is smaller "
                      "than what this DataLoader is going to create.")
        warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in total. {detail} Please "
                      "be aware that excessive worker creation might get DataLoader running slow or even freeze, "
                      "lower the worker number to avoid potential slowness/freeze if necessary.", stacklevel=3)


class _BaseIter:
    """State shared by the single- and multi-process iterators."""

    def __init__(self, loader: DataLoader) -> None:
        self._dataset = loader.dataset
        self._iterable = loader._iterable
        self._index_sampler = loader._index_sampler
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._collate_fn = loader.collate_fn
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._loader = loader
        if loader.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.", stacklevel=3)
        self._sampler_iter = iter(self._index_sampler)
        gen = _random.get_generator(loader.generator)
        self._base_seed = int(gen.random_((), np.int64))
        self._num_yielded = 0

    def __iter__(self):
        return self

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        reported = self._loader._IterableDataset_len_called
        if self._iterable and reported is not None and self._num_yielded > reported:
            msg = (f"Length of IterableDataset {self._dataset} was reported to be {reported}(when accessing "
                   f"len(dataloader)), but {self._num_yielded} samples have been fetched. ")
            if self._num_workers > 0:
                msg += ("For multiprocessing data-loading, this could be caused by not properly configuring the "
                        "IterableDataset replica at each worker. Please see "
                        "https://pytorch.org/docs/stable/data.html#torch.utils.data.IterableDataset for examples.")
            warnings.warn(msg, stacklevel=2)
        return data

    def _next_data(self):
        raise NotImplementedError

    def __getstate__(self):
        raise NotImplementedError(f"{type(self).__name__} cannot be pickled")


class _SingleProcessIter(_BaseIter):
    """Fetch and collate in the calling process."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        if self._timeout != 0:
            raise AssertionError("single-process loading (num_workers=0) requires timeout == 0")
        fetcher_cls = _worker.IterableFetcher if self._iterable else _worker.MapFetcher
        self._fetcher = fetcher_cls(self._dataset, self._auto_collation, self._collate_fn, self._drop_last)

    def _next_data(self):
        index = next(self._sampler_iter)
        return self._fetcher.fetch(index)


class _WorkerPool:
    """The worker processes and queues of one iterator; ``shutdown`` stops them and cleans shared memory."""

    def __init__(self, loader: DataLoader, base_seed: int) -> None:
        ctx = loader.multiprocessing_context or multiprocessing.get_context()
        self.pid = os.getpid()
        self.prefix = _shm.new_prefix() if _shm.available() else None
        self.result_queue = ctx.Queue()
        self.done_event = ctx.Event()
        self.index_queues = []
        self.workers = []
        self.closed = False
        try:
            for worker_id in range(loader.num_workers):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()
                args = (loader._iterable, loader.dataset, index_queue, self.result_queue, self.done_event,
                        loader._auto_collation, loader.collate_fn, loader.drop_last, base_seed,
                        loader.worker_init_fn, worker_id, loader.num_workers, self.prefix, self.pid)
                w = ctx.Process(target=_worker.worker_loop, args=args, daemon=True)
                w.start()
                self.index_queues.append(index_queue)
                self.workers.append(w)
        except BaseException:
            self.shutdown()
            raise

    def shutdown(self) -> None:
        """Stop every worker (politely, then by force), close the queues, remove leftover segments."""
        if self.closed or os.getpid() != self.pid:
            return
        self.closed = True
        try:
            self.done_event.set()
            for q in self.index_queues:
                try:
                    q.put(None)
                except (OSError, ValueError):
                    pass
            deadline = time.monotonic() + 1.0  # then terminate: a worker may be inside a slow __getitem__
            for w in self.workers:
                while w.exitcode is None and time.monotonic() < deadline:
                    self._drain()
                    w.join(0.05)
            for w in self.workers:
                if w.exitcode is None:
                    w.terminate()
                    w.join(1.0)
                if w.exitcode is None:
                    w.kill()
                    w.join()
            self._drain()
            for q in (*self.index_queues, self.result_queue):
                q.cancel_join_thread()
                q.close()
        finally:
            if self.prefix is not None:
                _shm.unlink_prefix(self.prefix)

    def _drain(self) -> None:
        """Empty the result queue so no worker blocks on a full pipe while exiting."""
        try:
            while True:
                self.result_queue.get_nowait()
        except (queue.Empty, OSError, ValueError, EOFError, pickle.UnpicklingError):
            pass


class _MultiProcessIter(_BaseIter):
    """Tasks go round-robin to worker processes; results come back in sampler order."""

    def __init__(self, loader: DataLoader) -> None:
        if not loader.prefetch_factor or loader.prefetch_factor <= 0:
            raise AssertionError("prefetch_factor must be greater than 0 for MultiProcessingDataLoaderIter")
        super().__init__(loader)
        loader.check_worker_number_rationality()
        self._prefetch_factor = loader.prefetch_factor
        self._persistent = loader.persistent_workers
        self._pool = _WorkerPool(loader, self._base_seed)
        self._finalizer = weakref.finalize(self, self._pool.shutdown)
        self._workers = self._pool.workers
        self._index_queues = self._pool.index_queues
        self._reset(loader, first_iter=True)

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._send_idx = 0
        self._rcvd_idx = 0
        self._task_worker: dict[int, int] = {}  # task id -> worker, for tasks not yet delivered
        self._reorder: dict[int, Any] = {}  # results that arrived before their turn
        self._outstanding = 0
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            for q in self._index_queues:
                q.put(_worker.ResumeIteration())
            pending = self._num_workers
            while pending:
                task_id, _ = self._get_data()
                if isinstance(task_id, _worker.ResumeIteration):
                    pending -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_put_index(self) -> None:
        if self._outstanding >= self._prefetch_factor * self._num_workers:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._active[worker_id]:
                break
        else:
            return
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_worker[self._send_idx] = worker_id
        self._outstanding += 1
        self._send_idx += 1

    def _next_data(self):
        while True:
            while self._rcvd_idx < self._send_idx:
                if self._rcvd_idx in self._reorder or self._active[self._task_worker[self._rcvd_idx]]:
                    break
                del self._task_worker[self._rcvd_idx]  # its worker ran out of data: it will never come
                self._rcvd_idx += 1
                self._outstanding -= 1
            else:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            if self._rcvd_idx in self._reorder:
                return self._deliver(self._reorder.pop(self._rcvd_idx))
            task_id, data = self._get_data()
            self._outstanding -= 1
            if isinstance(data, _worker.IterableStop):
                self._active[data.worker_id] = False
                self._try_put_index()
                continue
            if task_id != self._rcvd_idx:
                self._reorder[task_id] = data
                continue
            return self._deliver(data)

    def _deliver(self, data):
        del self._task_worker[self._rcvd_idx]
        self._rcvd_idx += 1
        self._try_put_index()
        if isinstance(data, _worker.ExceptionWrapper):
            data.reraise()
        return data

    def _get_data(self):
        """The next (task id, batch) from any worker; raises if a worker died or the timeout passed."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _POLL if deadline is None else min(_POLL, max(deadline - time.monotonic(), 0.0))
            try:
                task_id, payload = self._pool.result_queue.get(timeout=wait)
            except queue.Empty:
                self._check_workers()
                if deadline is not None and time.monotonic() >= deadline:
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None
                continue
            return task_id, (None if payload is None else pickle.loads(payload))

    def _check_workers(self) -> None:
        failed = [w for w in self._workers if w.exitcode is not None]
        if not failed:
            return
        self._shutdown()
        pids = ", ".join(str(w.pid) for w in failed)
        causes = []
        for w in failed:
            if w.exitcode < 0:
                sig = signal.Signals(-w.exitcode)
                text = f"DataLoader worker (pid {w.pid}) is killed by signal: {signal.strsignal(sig)}. "
                if sig == signal.SIGBUS:
                    text += ("It is possible that dataloader's workers are out of shared memory. Please try to "
                             "raise your shared memory limit. ")
                causes.append(text)
            else:
                causes.append(f"DataLoader worker (pid {w.pid}) exited with code {w.exitcode}. ")
        cause = RuntimeError(" ".join(causes))
        raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly: {causes[0].strip()}") from cause

    def _shutdown(self) -> None:
        self._finalizer()
