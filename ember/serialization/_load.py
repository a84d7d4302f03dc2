"""ember.load: checkpoints written by torch.save or ember.save, restricted to weights by default."""

from __future__ import annotations

import io
import os
import pickle
import warnings

import numpy as np

from .._device import CPU, device
from ._legacy import load_legacy
from ._rebuild import Storage
from ._torch_names import StorageType
from ._unpickler import FullUnpickler, WeightsUnpickler
from ._zip_format import ArchiveReader

# the first bytes of a file written with _use_new_zipfile_serialization=False (the pickled magic number)
_LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"


def _cuda_error() -> RuntimeError:
    return RuntimeError(
        "Attempting to deserialize object on a CUDA device but ember.cuda.is_available() is False. If you are "
        "running on a CPU-only machine, please use ember.load with map_location=ember.device('cpu') to map your "
        "storages to the CPU.")


def _check_device(dev: device) -> device:
    if dev.type == "cpu":
        return dev
    if dev.type == "cuda":
        from .. import cuda

        if not cuda.is_available():
            raise _cuda_error()
        return dev
    raise RuntimeError(f"ember.load cannot restore storages on the '{dev.type}' device")


def _parse_location(location) -> device:
    if not isinstance(location, str):
        raise pickle.UnpicklingError(f"a storage location must be a string, got {location!r}")
    try:
        return device(location)
    except (RuntimeError, TypeError, ValueError):
        raise pickle.UnpicklingError(f"unknown storage location {location!r}") from None


def _place(storage: Storage, location: str, map_location) -> Storage:
    """Apply map_location (None, str, device, dict or callable) to one storage, as torch.load does."""
    if map_location is None:
        target = _parse_location(location)
    elif isinstance(map_location, dict):
        target = _parse_location(map_location.get(location, location))
    elif isinstance(map_location, (str, device)):
        target = device(map_location) if isinstance(map_location, str) else map_location
    elif callable(map_location):
        moved = map_location(storage, location)
        if moved is None:
            return _place(storage, location, None)
        if not isinstance(moved, Storage):
            raise TypeError(f"map_location should return a storage (or None), got {type(moved).__name__}")
        return Storage(moved.data, moved.dtype, _check_device(moved.device))
    else:
        raise ValueError(f"map_location should be a str, an ember.device, a dict or a callable, got "
                         f"{type(map_location).__name__}")
    return Storage(storage.data, storage.dtype, _check_device(target))


class _StorageLoader:
    """persistent_load for a zip checkpoint: reads (or maps) each storage once and checks its size."""

    def __init__(self, reader: ArchiveReader, map_location, mmap_path: str | None, big_endian: bool) -> None:
        self._reader = reader
        self._map_location = map_location
        self._mmap_path = mmap_path
        self._big_endian = big_endian
        self._loaded: dict[str, Storage] = {}

    def __call__(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r} (expected a storage reference)")
        _, storage_type, key, location, numel = pid
        if not isinstance(storage_type, StorageType) or not isinstance(key, str) or not isinstance(numel, int):
            raise pickle.UnpicklingError(f"malformed storage reference {pid!r}")
        cached = self._loaded.get(key)
        if cached is not None:
            return cached
        itemsize = storage_type.dtype.itemsize if storage_type.dtype is not None else 1
        nbytes = numel * itemsize
        name = f"data/{key}"
        actual = self._reader.record_size(name)
        if numel < 0 or actual != nbytes:
            raise self._reader.error(
                f"storage '{key}' should hold {numel} elements ({nbytes} bytes) but its record has {actual} bytes")
        data = self._read(name, nbytes)
        if self._big_endian and itemsize > 1:
            data = data.view(f">u{itemsize}").astype(f"<u{itemsize}").view(np.uint8)
        storage = _place(Storage(data, storage_type.dtype, CPU), location, self._map_location)
        self._loaded[key] = storage
        return storage

    def _read(self, name: str, nbytes: int) -> np.ndarray:
        if nbytes == 0:
            return np.empty(0, np.uint8)
        if self._mmap_path is not None:
            offset = self._reader.data_offset(name)
            return np.memmap(self._mmap_path, dtype=np.uint8, mode="c", offset=offset, shape=(nbytes,))
        out = np.empty(nbytes, np.uint8)
        self._reader.read_record(name, out)
        return out


def _load_zip(fp, filename: str, map_location, weights_only: bool, mmap_path, pickle_load_args):
    reader = ArchiveReader(fp, filename)
    try:
        big_endian = False
        if reader.has_record("byteorder"):
            order = bytes(reader.read_record("byteorder"))
            if order not in (b"little", b"big"):
                raise reader.error(f"unknown byte order {order[:32]!r} in its 'byteorder' record "
                                   "(expected 'little' or 'big')")
            big_endian = order == b"big"
        data = bytes(reader.read_record("data.pkl"))
        loader = _StorageLoader(reader, map_location, mmap_path, big_endian)
        if weights_only:
            try:
                return WeightsUnpickler(data, loader, filename).load()
            except (pickle.UnpicklingError, NotImplementedError) as exc:
                raise type(exc)(f"ember.load: cannot read '{filename}': {exc}") from None
        try:
            return FullUnpickler(io.BytesIO(data), loader, **pickle_load_args).load()
        except NotImplementedError as exc:
            raise NotImplementedError(f"ember.load: cannot read '{filename}': {exc}") from None
    finally:
        reader.close()


def _load_legacy(data: bytes, filename: str, map_location, weights_only: bool, pickle_load_args):
    def error(what: str) -> RuntimeError:
        return RuntimeError(f"ember.load: cannot read '{filename}': {what}")

    try:
        return load_legacy(data, filename, map_location, weights_only, _place, error, pickle_load_args)
    except (pickle.UnpicklingError, NotImplementedError) as exc:
        if str(exc).startswith("ember.load"):
            raise
        raise type(exc)(f"ember.load: cannot read '{filename}': {exc}") from None


def _open(f):
    """(binary file, name for messages, path or None, whether we opened it)."""
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        return open(path, "rb"), path, path, True
    if not hasattr(f, "read"):
        raise AttributeError(f"expected 'f' to be a path or a binary file object with read(), got {type(f).__name__}")
    name = getattr(f, "name", None)
    name = name if isinstance(name, str) else f"<{type(f).__name__}>"
    seekable = getattr(f, "seekable", None)
    if not (callable(seekable) and seekable()):
        return io.BytesIO(f.read()), name, None, False
    return f, name, None, False


def load(f, map_location=None, pickle_module=None, *, weights_only: bool = True, mmap: bool = False,
         **pickle_load_args):
    """Load an object saved with ember.save or torch.save from f (a path or a binary file object).

    weights_only=True (the default) reads tensors, Parameters, dtypes, devices and containers of numbers and
    strings, and refuses anything else without running it; weights_only=False unpickles whole objects and
    may run code from the file. map_location moves storages ('cpu', a device, a dict of locations, or a
    callable(storage, location)); mmap=True maps storages from the file instead of reading them.

    Example:
        >>> model.load_state_dict(ember.load("model.pt"))
    """
    if pickle_module is not None and pickle_module is not pickle:
        if weights_only:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
        raise NotImplementedError("ember.load supports only the standard pickle module")
    if weights_only is None:
        weights_only = True
    if not weights_only:
        warnings.warn("ember.load with weights_only=False unpickles arbitrary objects and can run code hidden "
                      "in the file: use it only on files you trust.", UserWarning, stacklevel=2)
    pickle_load_args = dict(pickle_load_args)
    if weights_only:
        pickle_load_args.pop("encoding", None)  # Python 2 strings are read as latin-1 text either way
    if weights_only and pickle_load_args:
        raise TypeError(f"ember.load got unexpected arguments {sorted(pickle_load_args)} with weights_only=True")
    fp, filename, path, owned = _open(f)
    try:
        start = fp.tell()
        head = fp.read(4)
        fp.seek(start)
        if mmap and path is None:
            raise ValueError("f must be a file path in order to use the mmap argument")
        if head == b"PK\x03\x04":
            return _load_zip(fp, filename, map_location, weights_only, path if mmap else None, pickle_load_args)
        if mmap:
            raise RuntimeError("mmap can only be used with files saved with `torch.save(_use_new_zipfile_"
                               "serialization=True), please torch.save your checkpoint with this option in order "
                               "to use mmap.")
        if not head:
            raise RuntimeError(f"ember.load: cannot read '{filename}': the file is empty")
        if fp.read(len(_LEGACY_MAGIC)) == _LEGACY_MAGIC:
            fp.seek(start)
            return _load_legacy(fp.read(), filename, map_location, weights_only, pickle_load_args)
        raise pickle.UnpicklingError(f"ember.load: cannot read '{filename}': it is not a checkpoint (neither a zip "
                                     f"archive nor PyTorch's legacy format; it starts with {head!r})")
    finally:
        if owned:
            fp.close()
