"""Reading PyTorch's legacy (pre-1.6, `_use_new_zipfile_serialization=False`) checkpoint format.

Layout: five pickles and raw data back to back: the magic number, the protocol version (1001), a dict of
system information (byte order), the object (tensors refer to storages by persistent id), the list of
storage keys; then for each key in that order an 8-byte little-endian element count and the storage's bytes.
"""

from __future__ import annotations

import io
import pickle

import numpy as np

from .._device import CPU
from ._rebuild import Storage
from ._torch_names import StorageType
from ._unpickler import FullUnpickler, WeightsUnpickler

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


class _LegacyStorages:
    """persistent_load for the legacy format: storages are allocated here and filled after the object pickle."""

    def __init__(self, total_bytes: int, map_location, place, error) -> None:
        self._budget = total_bytes  # all storages together cannot be larger than the file
        self._map_location = map_location
        self._place = place
        self._error = error
        self.roots: dict[str, Storage] = {}

    def __call__(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r} (expected a storage reference)")
        _, storage_type, key, location, numel, view = pid
        if not isinstance(storage_type, StorageType) or storage_type.dtype is None or not isinstance(key, str) \
                or not isinstance(numel, int) or numel < 0:
            raise pickle.UnpicklingError(f"malformed storage reference {pid!r}")
        itemsize = storage_type.dtype.itemsize
        root = self.roots.get(key)
        if root is None:
            if numel * itemsize > self._budget:
                raise self._error(f"storage '{key}' claims {numel * itemsize} bytes, more than the file holds")
            self._budget -= numel * itemsize
            root = Storage(np.zeros(numel * itemsize, np.uint8), storage_type.dtype, CPU)
            self.roots[key] = root
        elif root.dtype is not storage_type.dtype or root.data.size != numel * itemsize:
            raise self._error(f"storage '{key}' is referenced with two different types or sizes")
        storage = root
        if view is not None:  # (view_key, offset, size) from PyTorch < 1.0: part of the root storage
            if not (isinstance(view, tuple) and len(view) == 3 and all(isinstance(v, int) for v in view[1:])):
                raise pickle.UnpicklingError(f"malformed storage view {view!r}")
            _, offset, size = view
            if offset < 0 or size < 0 or offset + size > numel:
                raise pickle.UnpicklingError(f"a storage view {view!r} lies outside its storage of {numel} elements")
            storage = Storage(root.data[offset * itemsize:(offset + size) * itemsize], root.dtype, CPU)
        placed = self._place(storage, location, self._map_location)
        if placed.device != CPU:
            raise NotImplementedError("ember reads legacy-format checkpoints onto the CPU only; pass "
                                      "map_location='cpu' and move the tensors afterwards")
        return placed


def load_legacy(data: bytes, filename: str, map_location, weights_only: bool, place, error, pickle_load_args):
    """The object of a legacy-format file held in memory as `data`."""

    def small_pickle(pos: int):
        u = WeightsUnpickler(data, None, filename, start=pos)
        return u.load(), u.end

    magic, pos = small_pickle(0)
    if magic != MAGIC_NUMBER:
        raise error("the legacy format's magic number is wrong")
    version, pos = small_pickle(pos)
    if version != PROTOCOL_VERSION:
        raise error(f"unsupported legacy format version {version!r}")
    sys_info, pos = small_pickle(pos)
    little = sys_info.get("little_endian", True) if isinstance(sys_info, dict) else True
    storages = _LegacyStorages(len(data), map_location, place, error)
    if weights_only:
        u = WeightsUnpickler(data, storages, filename, start=pos)
        result = u.load()
        pos = u.end
    else:
        stream = io.BytesIO(data)
        stream.seek(pos)
        result = FullUnpickler(stream, storages, **pickle_load_args).load()
        pos = stream.tell()
    keys, pos = small_pickle(pos)
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys) or \
            sorted(keys) != sorted(storages.roots):
        raise error("the list of storage keys does not match the storages the object refers to")
    for key in keys:
        root = storages.roots[key]
        if pos + 8 > len(data):
            raise error(f"the data of storage '{key}' is missing (truncated file)")
        numel = int.from_bytes(data[pos:pos + 8], "little", signed=True)
        nbytes = root.data.size
        if numel * root.dtype.itemsize != nbytes or pos + 8 + nbytes > len(data):
            raise error(f"storage '{key}' should hold {nbytes} bytes but the file gives {numel} elements "
                        f"({max(0, len(data) - pos - 8)} bytes left)")
        chunk = np.frombuffer(data, np.uint8, nbytes, pos + 8)
        item = root.dtype.itemsize
        if not little and item > 1:
            chunk = chunk.view(f">u{item}").astype(f"<u{item}").view(np.uint8)
        root.data[:] = chunk
        pos += 8 + nbytes
    return result
