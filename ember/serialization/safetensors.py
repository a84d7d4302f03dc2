"""The .safetensors format, read and written here (the `safetensors` package is not needed).

Layout: an 8-byte little-endian header length N, N bytes of JSON (space-padded so the data starts on an
8-byte boundary) mapping each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} plus an
optional "__metadata__" dict of strings, then the tensors' bytes, little-endian and row-major, one after
another with no gaps. Loading never runs code: the file holds only JSON and raw numbers.
"""

from __future__ import annotations

import json
import os
import struct

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap
from ._atomic import atomic_write

__all__ = ["load", "load_file", "load_safetensors", "save", "save_file", "save_safetensors"]

_CODES = {"BOOL": D.bool, "U8": D.uint8, "I8": D.int8, "I16": D.int16, "I32": D.int32, "I64": D.int64,
          "F16": D.float16, "F32": D.float32, "F64": D.float64}
_NAMES = {d.name: code for code, d in _CODES.items()}
_MAX_HEADER = 100_000_000  # the reference implementation's limit


def _serialize(tensors: dict, metadata: dict | None) -> tuple[bytes, list]:
    """The header bytes (length prefix included) and the arrays to write after it, in order."""
    if not isinstance(tensors, dict):
        raise TypeError(f"expected a dict of tensors, got {type(tensors).__name__}")
    header: dict = {}
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                     for k, v in metadata.items()):
            raise TypeError("metadata must be a dict of str to str")
        header["__metadata__"] = metadata
    arrays, offset = [], 0
    # the reference writer's order: dtypes from widest down (its enum order), then names; this keeps each
    # tensor's data aligned to its element size, and ember's files byte-identical to that writer's
    order = sorted(tensors.items(), key=lambda kv: (-_rank(kv), kv[0]))
    for name, t in order:
        if not isinstance(name, str) or name == "__metadata__":
            raise TypeError(f"tensor names must be strings other than '__metadata__', got {name!r}")
        code = _NAMES.get(t.dtype.name)
        if code is None:
            raise TypeError(f"safetensors cannot store dtype {t.dtype}")
        arr = t.detach().cpu()._data
        # not np.ascontiguousarray: it turns a 0-dim array into a 1-dim one
        arr = np.array(arr, dtype=arr.dtype.newbyteorder("<"), order="C", copy=not arr.flags.c_contiguous)
        header[name] = {"dtype": code, "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        arrays.append(arr)
        offset += arr.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text, arrays


_RANK = {code: i for i, code in enumerate(["BOOL", "U8", "I8", "I16", "F16", "I32", "F32", "F64", "I64"])}


def _rank(item) -> int:
    t = item[1]
    if not isinstance(t, Tensor):
        raise TypeError(f"safetensors stores tensors only; '{item[0]}' is a {type(t).__name__}")
    code = _NAMES.get(t.dtype.name)
    if code is None:
        raise TypeError(f"safetensors cannot store dtype {t.dtype}")
    return _RANK[code]


def save(tensors: dict, metadata: dict | None = None) -> bytes:
    """The .safetensors bytes of a dict of tensors."""
    head, arrays = _serialize(tensors, metadata)
    return head + b"".join(a.tobytes() for a in arrays)


def save_safetensors(tensors: dict, filename, metadata: dict | None = None) -> None:
    """Write a dict of tensors to a .safetensors file (atomically)."""
    head, arrays = _serialize(tensors, metadata)
    with atomic_write(filename) as f:
        f.write(head)
        for a in arrays:
            f.write(memoryview(a).cast("B") if a.size else b"")


def _error(name: str, what: str) -> RuntimeError:
    return RuntimeError(f"cannot read safetensors file '{name}': {what}")


def _parse(buf, name: str, device) -> dict:
    """Validate the header against the data and build the tensors (views of buf's bytes)."""
    if len(buf) < 8:
        raise _error(name, "it is shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", bytes(buf[:8]))
    if n > _MAX_HEADER or 8 + n > len(buf):
        raise _error(name, f"the header length {n} does not fit the file of {len(buf)} bytes")
    try:
        header = json.loads(bytes(buf[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _error(name, f"the header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise _error(name, "the header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and all(isinstance(v, str) for v in metadata.values())):
        raise _error(name, "__metadata__ must map strings to strings")
    data = buf[8 + n:]
    spans, out = [], {}
    for key, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise _error(name, f"the entry for '{key}' must have exactly dtype, shape and data_offsets")
        dtype = _CODES.get(info["dtype"])
        if dtype is None:
            raise _error(name, f"tensor '{key}' has dtype {info['dtype']!r}, which ember cannot load")
        shape, offsets = info["shape"], info["data_offsets"]
        if not (isinstance(shape, list) and all(type(s) is int and s >= 0 for s in shape)):
            raise _error(name, f"tensor '{key}' has an invalid shape {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)
                and 0 <= offsets[0] <= offsets[1] <= len(data)):
            raise _error(name, f"tensor '{key}' has invalid data_offsets {offsets!r} for {len(data)} bytes of data")
        numel = int(np.prod(shape, dtype=object)) if shape else 1
        if offsets[1] - offsets[0] != numel * dtype.itemsize:
            raise _error(name, f"tensor '{key}' of shape {shape} and dtype {info['dtype']} needs "
                               f"{numel * dtype.itemsize} bytes, its data_offsets span {offsets[1] - offsets[0]}")
        spans.append(tuple(offsets))
        raw = np.frombuffer(data, np.uint8, offsets[1] - offsets[0], offsets[0])
        arr = raw.view(dtype.np.newbyteorder("<")).astype(dtype.np, copy=True).reshape(shape)
        t = _wrap(arr)
        out[key] = t if device in (None, "cpu") else t.to(device)
    pos = 0
    for begin, end in sorted(spans):
        if begin != pos:
            raise _error(name, "the tensors' data overlap or leave gaps")
        pos = end
    if pos != len(data):
        raise _error(name, f"{len(data) - pos} bytes of data after the last tensor are not indexed by the header")
    return out, metadata


def load(data: bytes) -> dict:
    """The tensors of .safetensors bytes."""
    return _parse(memoryview(data), "<bytes>", "cpu")[0]


def load_safetensors(filename, device="cpu") -> dict:
    """Read a .safetensors file into a dict of tensors."""
    with open(os.fspath(filename), "rb") as f:
        buf = f.read()
    return _parse(memoryview(buf), os.fspath(filename), device)[0]


def load_metadata(filename) -> dict | None:
    """The __metadata__ of a .safetensors file (None when it has none)."""
    with open(os.fspath(filename), "rb") as f:
        buf = f.read()
    return _parse(memoryview(buf), os.fspath(filename), "cpu")[1]


save_file = save_safetensors
load_file = load_safetensors
