"""The zip container of PyTorch checkpoints: a writer (records aligned to 64 bytes) and a checked reader.

Note [checkpoint layout]
PyTorch 1.6+ writes an uncompressed zip whose entries all live under one top folder (the file's stem, or
'archive' for file objects): `data.pkl` (the object graph; tensors refer to storages by key through
pickle's persistent ids), `byteorder` ('little'/'big'), `version`, `.format_version`, `.storage_alignment`,
`.data/serialization_id`, and one raw entry `data/<key>` per storage. Storage bytes start at offsets that
are multiples of 64, padded with a local-header extra field, so that a reader can map them in place.
"""

from __future__ import annotations

import struct
import zipfile
import zlib

import numpy as np

ALIGNMENT = 64
_ZIP64_LIMIT = 0xFFFFFFFF  # sizes/offsets at or above this need zip64 records (tests lower it)
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_PAD_TAG = 0x4246  # 'FB': the extra-field id PyTorch uses for its alignment padding
_CHUNK = 1 << 24


class _Entry:
    __slots__ = ("name", "offset", "size", "crc")

    def __init__(self, name: bytes, offset: int, size: int, crc: int) -> None:
        self.name, self.offset, self.size, self.crc = name, offset, size, crc


class ArchiveWriter:
    """Writes records sequentially to a binary stream (no seeking, so pipes and sockets work too)."""

    def __init__(self, fp, archive_name: str) -> None:
        self._fp = fp
        self._prefix = archive_name + "/"
        self._pos = 0
        self._entries: list[_Entry] = []

    def _write(self, data) -> None:
        self._fp.write(data)
        self._pos += len(data)

    def write_record(self, name: str, data) -> None:
        """Append one stored (uncompressed) entry whose bytes start on a 64-byte boundary."""
        view = memoryview(data).cast("B")
        size = view.nbytes
        crc = zlib.crc32(view) & 0xFFFFFFFF
        full = (self._prefix + name).encode("utf-8")
        zip64 = size >= _ZIP64_LIMIT or self._pos >= _ZIP64_LIMIT
        extra = struct.pack("<HHQQ", 1, 16, size, size) if zip64 else b""
        start = self._pos + _LOCAL.size + len(full) + len(extra) + 4
        pad = -start % ALIGNMENT
        extra += struct.pack("<HH", _PAD_TAG, pad) + b"Z" * pad
        small = 0xFFFFFFFF if zip64 else size
        header = _LOCAL.pack(0x04034B50, 45 if zip64 else 20, 0x800, 0, 0, 0x21, crc, small, small,
                             len(full), len(extra))
        self._entries.append(_Entry(full, self._pos, size, crc))
        self._write(header)
        self._write(full)
        self._write(extra)
        self._write(view)

    def close(self) -> None:
        """Write the central directory (with zip64 records when needed)."""
        cd_start = self._pos
        for e in self._entries:
            fields = []
            size32 = offset32 = None
            if e.size >= _ZIP64_LIMIT:
                fields += [e.size, e.size]
                size32 = 0xFFFFFFFF
            if e.offset >= _ZIP64_LIMIT:
                fields.append(e.offset)
                offset32 = 0xFFFFFFFF
            extra = struct.pack("<HH", 1, 8 * len(fields)) + struct.pack(f"<{len(fields)}Q", *fields) if fields else b""
            size = e.size if size32 is None else size32
            offset = e.offset if offset32 is None else offset32
            self._write(_CENTRAL.pack(0x02014B50, 45, 45 if fields else 20, 0x800, 0, 0, 0x21, e.crc, size, size,
                                      len(e.name), len(extra), 0, 0, 0, 0, offset))
            self._write(e.name)
            self._write(extra)
        cd_size = self._pos - cd_start
        count = len(self._entries)
        if count >= 0xFFFF or cd_start >= _ZIP64_LIMIT or cd_size >= _ZIP64_LIMIT:
            eocd64 = self._pos
            self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, cd_size, cd_start))
            self._write(struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1))
            count, cd_size, cd_start = min(count, 0xFFFF), min(cd_size, 0xFFFFFFFF), min(cd_start, 0xFFFFFFFF)
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, cd_size, cd_start, 0))


class ArchiveReader:
    """Reads the records of a checkpoint zip, checking sizes, CRCs and the layout; errors name the file."""

    def __init__(self, fp, filename: str) -> None:
        self.filename = filename
        self._fp = fp
        fp.seek(0, 2)
        self._length = fp.tell()
        fp.seek(0)
        try:
            self._zip = zipfile.ZipFile(fp)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, struct.error, EOFError,
                OverflowError, UnicodeDecodeError, NotImplementedError, IndexError, KeyError) as exc:
            raise self.error(f"it is not a valid zip archive ({exc})") from None
        self._infos = {}
        for info in infos:
            self._infos.setdefault(info.filename, info)
        pickles = [n for n in self._infos if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            if any(n.endswith("constants.pkl") for n in self._infos):
                raise self.error("it is a TorchScript archive (torch.jit.save); ember reads torch.save files only")
            raise self.error("the archive has no 'data.pkl' record under a top folder, so it is not a checkpoint "
                             "written by torch.save or ember.save")
        self.prefix = pickles[0][: -len("data.pkl")]

    def error(self, what: str) -> RuntimeError:
        """A RuntimeError naming the file."""
        return RuntimeError(f"ember.load: cannot read '{self.filename}': {what}")

    def has_record(self, name: str) -> bool:
        """Whether the archive holds a record of this name (relative to the top folder)."""
        return self.prefix + name in self._infos

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = self._infos.get(self.prefix + name)
        if info is None:
            raise self.error(f"the record '{self.prefix + name}' is missing from the archive")
        if info.compress_type == zipfile.ZIP_STORED:
            ok = info.compress_size == info.file_size and info.header_offset + info.file_size <= self._length
        else:  # deflate expands at most ~1032x: refuse claims that would only allocate memory
            ok = info.file_size <= 1100 * info.compress_size + 64
        if not ok or not 0 <= info.header_offset < self._length:
            raise self.error(f"the sizes or offset recorded for '{info.filename}' do not fit the archive (corrupt)")
        return info

    def record_size(self, name: str) -> int:
        """The uncompressed size of a record."""
        return self._info(name).file_size

    def read_record(self, name: str, out: np.ndarray | None = None):
        """The bytes of a record (into `out`, a uint8 array of the record's size, when given)."""
        info = self._info(name)
        buf = out if out is not None else bytearray(info.file_size)
        view = memoryview(buf).cast("B")
        if info.compress_type == zipfile.ZIP_STORED and hasattr(self._fp, "readinto"):
            # the common case, one copy straight from the file (zipfile would make two, chunk by chunk)
            self._fp.seek(self.data_offset(name))
            got = self._fp.readinto(view)
            if got != info.file_size:
                raise self.error(f"the record '{info.filename}' is truncated")
            if zlib.crc32(view) & 0xFFFFFFFF != info.CRC:
                raise self.error(f"the record '{info.filename}' is corrupt (Bad CRC-32)")
            return buf
        try:
            with self._zip.open(info) as stream:
                pos = 0
                while pos < info.file_size:
                    chunk = stream.read(min(_CHUNK, info.file_size - pos))
                    if not chunk:
                        break
                    view[pos:pos + len(chunk)] = chunk
                    pos += len(chunk)
                if pos != info.file_size or stream.read(1):
                    raise zipfile.BadZipFile("the record's data ends early")
        except (zipfile.BadZipFile, OSError, ValueError, struct.error, EOFError, zlib.error, OverflowError,
                NotImplementedError, RuntimeError) as exc:
            raise self.error(f"the record '{info.filename}' is corrupt ({exc})") from None
        return buf

    def data_offset(self, name: str) -> int:
        """Where a stored record's bytes start in the file (for memory mapping)."""
        info = self._info(name)
        if info.compress_type != zipfile.ZIP_STORED:
            raise self.error(f"the record '{info.filename}' is compressed, so it cannot be memory-mapped")
        self._fp.seek(info.header_offset)
        header = self._fp.read(_LOCAL.size)
        if len(header) != _LOCAL.size or header[:4] != b"PK\x03\x04":
            raise self.error(f"the local header of '{info.filename}' is corrupt")
        fields = _LOCAL.unpack(header)
        try:
            expected = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
        except UnicodeEncodeError:
            expected = None
        if info.flag_bits & 0x1 or self._fp.read(fields[9]) != expected:
            raise self.error(f"the local header of '{info.filename}' does not match the central directory")
        start = info.header_offset + _LOCAL.size + fields[9] + fields[10]
        if start + info.file_size > self._length:
            raise self.error(f"the record '{info.filename}' runs past the end of the file")
        return start

    def close(self) -> None:
        """Close the zip reader (not the underlying stream)."""
        self._zip.close()
