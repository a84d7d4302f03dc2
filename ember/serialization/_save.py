"""ember.save: PyTorch's zip checkpoint format (see Note [checkpoint layout] in _zip_format.py)."""

from __future__ import annotations

import io
import os
import pickle

from ._atomic import atomic_write
from ._pickler import TorchPickler
from ._zip_format import ArchiveWriter


def _archive_name(f) -> str:
    if isinstance(f, (str, os.PathLike)):
        return os.path.splitext(os.path.basename(os.fspath(f)))[0] or "archive"
    return "archive"


def _write(obj, fp, archive_name: str, protocol: int) -> None:
    buf = io.BytesIO()
    pickler = TorchPickler(buf, protocol)
    pickler.dump(obj)
    writer = ArchiveWriter(fp, archive_name)
    writer.write_record("data.pkl", buf.getbuffer())
    writer.write_record(".format_version", b"1")
    writer.write_record(".storage_alignment", b"64")
    writer.write_record("byteorder", b"little")
    for ref in pickler.storages:
        writer.write_record(f"data/{ref.key}", ref.array)
    writer.write_record("version", b"3\n")
    import secrets  # not at module level: it costs ember's import time for a 40-digit id

    writer.write_record(".data/serialization_id", str(secrets.randbits(128)).zfill(40).encode())
    writer.close()


def save(obj, f, pickle_module=pickle, pickle_protocol: int = 2, _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """Save obj to f (a path or a writable binary file) in PyTorch's zip checkpoint format.

    Tensors become storages that `torch.load(f, weights_only=True)` reads; views of one tensor share
    one storage. A path is written atomically: a crash mid-save leaves an existing file untouched.

    Example:
        >>> ember.save(model.state_dict(), "model.pt")
    """
    if pickle_module is not pickle:
        raise NotImplementedError("ember.save supports only the standard pickle module")
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("ember.save writes only the zip format (_use_new_zipfile_serialization=True)")
    if not 2 <= pickle_protocol <= pickle.HIGHEST_PROTOCOL:
        raise ValueError(f"pickle_protocol must be between 2 and {pickle.HIGHEST_PROTOCOL}, got {pickle_protocol}")
    if isinstance(f, (str, os.PathLike)):
        with atomic_write(f) as fp:
            _write(obj, fp, _archive_name(f), pickle_protocol)
        return
    if not hasattr(f, "write"):
        raise AttributeError(f"expected 'f' to be a path or a binary file object with write(), got "
                             f"{type(f).__name__}")
    _write(obj, f, "archive", pickle_protocol)
