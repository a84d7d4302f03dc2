"""Shared-memory transport of batches from worker processes to the main process.

Note [batch transport]
A worker collates large arrays straight into files under /dev/shm (``empty``), then pickles the batch with
``dumps``, which replaces every large tensor or array by (segment name, shape, dtype). The main process
unpickles with ``pickle.loads``: ``_open`` maps the segment, unlinks its name at once and wraps the mapping
as a tensor without copying, so the memory lives exactly as long as the tensor. Only metadata crosses the
pipe. Segment names start with a per-iterator prefix, so after workers stop the main process can remove
any segment still unreceived (a batch left in the queue, a worker killed mid-batch) with ``unlink_prefix``.
Where /dev/shm does not exist, batches are pickled whole.
"""

from __future__ import annotations

import io
import mmap
import os
import pickle
import uuid

import numpy as np

from ..._tensor import Tensor, _wrap

SHM_DIR = "/dev/shm"
MIN_BYTES = 16384  # smaller arrays are cheaper to pickle than to map

_worker_prefix: str | None = None  # set in a worker process: enables shared-memory batches
_counter = 0
_pending: dict[int, tuple[np.ndarray, str]] = {}  # id(array) -> (array, name) for segments not yet sent


def available() -> bool:
    """Whether shared-memory transport can be used on this system."""
    return os.path.isdir(SHM_DIR) and os.access(SHM_DIR, os.W_OK)


def new_prefix() -> str:
    """A fresh name prefix for the segments of one DataLoader iterator."""
    return f"ember_dl_{os.getpid()}_{uuid.uuid4().hex[:12]}_"


def enable_in_worker(prefix: str | None) -> None:
    """Called once in a worker process: allocate batches in segments named ``prefix...``."""
    global _worker_prefix
    _worker_prefix = prefix


def _create(shape: tuple, dtype: np.dtype) -> tuple[np.ndarray, str]:
    global _counter
    _counter += 1
    name = f"{_worker_prefix}{_counter}"
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    fd = os.open(os.path.join(SHM_DIR, name), os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.ftruncate(fd, nbytes)
        buf = mmap.mmap(fd, nbytes)
    finally:
        os.close(fd)
    return np.frombuffer(buf, dtype=dtype).reshape(shape), name


def empty(shape: tuple, dtype) -> np.ndarray:
    """An uninitialised array; in a worker, a large one is backed by a shared-memory segment."""
    dtype = np.dtype(dtype)
    if _worker_prefix is None or dtype.hasobject or int(np.prod(shape, dtype=np.int64)) * dtype.itemsize < MIN_BYTES:
        return np.empty(shape, dtype)
    arr, name = _create(shape, dtype)
    _pending[id(arr)] = (arr, name)
    return arr


def _segment_of(arr: np.ndarray) -> str:
    """The segment holding ``arr``: the one it was collated into, or a new one holding a copy."""
    entry = _pending.pop(id(arr), None)
    if entry is not None and entry[0] is arr:
        return entry[1]
    shared, name = _create(arr.shape, arr.dtype)
    np.copyto(shared, arr)
    return name


class _BatchPickler(pickle.Pickler):
    def reducer_override(self, obj):
        if type(obj) is Tensor:
            data = obj._data
            if type(data) is np.ndarray and data.nbytes >= MIN_BYTES and not data.dtype.hasobject:
                if obj._grad_fn is None and obj._grad is None:
                    return _open, (_segment_of(data), data.shape, data.dtype.str, True, obj._requires_grad)
        elif type(obj) is np.ndarray and obj.nbytes >= MIN_BYTES and not obj.dtype.hasobject:
            return _open, (_segment_of(obj), obj.shape, obj.dtype.str, False, False)
        return NotImplemented


def dumps(obj) -> bytes:
    """Pickle a batch in a worker, moving large tensors and arrays to shared memory (Note [batch transport])."""
    if _worker_prefix is None:
        return pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
    out = io.BytesIO()
    try:
        _BatchPickler(out, pickle.HIGHEST_PROTOCOL).dump(obj)
    finally:
        # segments collated but not part of the result (a custom collate_fn dropped them) are removed
        for _arr, name in _pending.values():
            _unlink(name)
        _pending.clear()
    return out.getvalue()


def _open(name: str, shape: tuple, dtype: str, as_tensor: bool, requires_grad: bool):
    """Map a segment in the receiving process and remove its name (the mapping keeps the memory)."""
    dt = np.dtype(dtype)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    path = os.path.join(SHM_DIR, name)
    fd = os.open(path, os.O_RDWR)
    try:
        buf = mmap.mmap(fd, nbytes)
    finally:
        os.close(fd)
        os.unlink(path)
    arr = np.frombuffer(buf, dtype=dt).reshape(shape)
    if not as_tensor:
        return arr
    t = _wrap(arr)
    t._requires_grad = requires_grad
    return t


def _unlink(name: str) -> None:
    try:
        os.unlink(os.path.join(SHM_DIR, name))
    except FileNotFoundError:
        pass


def unlink_own() -> None:
    """In a worker: remove every segment this worker created (used when the main process is gone)."""
    if _worker_prefix is not None:
        unlink_prefix(_worker_prefix)


def unlink_prefix(prefix: str) -> None:
    """Remove every segment whose name starts with ``prefix`` (cleanup after the workers stopped)."""
    try:
        names = os.listdir(SHM_DIR)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix):
            _unlink(name)
