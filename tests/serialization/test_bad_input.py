"""Broken and hostile files: each gives a clear error naming the file and the problem."""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest
import torch

import ember


def _checkpoint(tmp_path, name="ckpt.pt"):
    path = tmp_path / name
    torch.save({"w": torch.arange(12, dtype=torch.float32).reshape(3, 4), "b": torch.ones(3)}, path)
    return path


def _rewrite(src, dst, edit):
    """Copy a checkpoint zip record by record; edit(name, data) returns new data, or None to drop it."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = edit(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info.filename, data)
    return dst


def test_truncated_file(tmp_path):
    path = _checkpoint(tmp_path)
    raw = path.read_bytes()
    for cut in (10, len(raw) // 2, len(raw) - 30):
        bad = tmp_path / f"cut{cut}.pt"
        bad.write_bytes(raw[:cut])
        with pytest.raises(RuntimeError, match=f"cannot read '{bad}'.*not a valid zip archive"):
            ember.load(bad)


def test_missing_storage_entry(tmp_path):
    bad = _rewrite(_checkpoint(tmp_path), tmp_path / "missing.pt",
                   lambda n, d: None if n.endswith("data/1") else d)
    with pytest.raises(RuntimeError, match=r"missing\.pt.*record 'ckpt/data/1' is missing"):
        ember.load(bad)


def test_wrong_byteorder_record(tmp_path):
    bad = _rewrite(_checkpoint(tmp_path), tmp_path / "order.pt",
                   lambda n, d: b"middle" if n.endswith("byteorder") else d)
    with pytest.raises(RuntimeError, match=r"order\.pt.*unknown byte order b'middle'"):
        ember.load(bad)


def test_storage_size_does_not_match_data(tmp_path):
    bad = _rewrite(_checkpoint(tmp_path), tmp_path / "short.pt",
                   lambda n, d: d[:-4] if n.endswith("data/0") else d)
    with pytest.raises(RuntimeError, match=r"short\.pt.*storage '0' should hold 12 elements \(48 bytes\) but its "
                                           r"record has 44 bytes"):
        ember.load(bad)


def test_view_outside_its_storage(tmp_path):
    def edit(name, data):  # the pickle claims a (3, 40) tensor over 12 elements
        return data.replace(b"K\x03K\x04\x86", b"K\x03K(\x86") if name.endswith("data.pkl") else data

    bad = _rewrite(_checkpoint(tmp_path), tmp_path / "view.pt", edit)
    with pytest.raises(pickle.UnpicklingError, match=r"view\.pt.*does not fit in its storage of 12 elements"):
        ember.load(bad)


def test_corrupt_storage_bytes_fail_the_crc(tmp_path):
    path = _checkpoint(tmp_path)
    raw = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo("ckpt/data/0")
    n, m = np.frombuffer(bytes(raw[info.header_offset + 26:info.header_offset + 30]), "<u2")
    raw[info.header_offset + 30 + n + m + 10] ^= 0xFF  # a byte inside the storage data
    bad = tmp_path / "crc.pt"
    bad.write_bytes(bytes(raw))
    with pytest.raises(RuntimeError, match=r"crc\.pt.*'ckpt/data/0' is corrupt.*CRC"):
        ember.load(bad)


def test_random_bytes_empty_file_directory_and_missing_path(tmp_path):
    rnd = tmp_path / "random.bin"
    rnd.write_bytes(np.random.default_rng(0).integers(0, 256, 1000, dtype=np.uint8).tobytes())
    with pytest.raises(pickle.UnpicklingError, match=r"random\.bin.*not a checkpoint"):
        ember.load(rnd)
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(RuntimeError, match=r"empty\.pt.*the file is empty"):
        ember.load(empty)
    with pytest.raises(IsADirectoryError):
        ember.load(tmp_path)
    with pytest.raises(IsADirectoryError):  # torch raises the same
        torch.load(tmp_path)
    with pytest.raises(FileNotFoundError):
        ember.load(tmp_path / "nope.pt")
    with pytest.raises(FileNotFoundError):
        torch.load(tmp_path / "nope.pt")


def test_zip_that_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(RuntimeError, match=r"other\.zip.*no 'data\.pkl' record"):
        ember.load(path)


def test_legacy_format_cannot_be_mapped(tmp_path):
    path = tmp_path / "legacy.pt"
    torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="mmap can only be used with files saved with"):
        ember.load(path, mmap=True)


def test_malformed_pickles_give_unpickling_errors():
    for data in [b"", b"\x80\x02", b"\x80\x02]q\x00(K\x01", b"\x80\x02h\x05.", b"\x80\x02\xff.",
                 b"\x80\x02X\xff\xff\xff\x7fabc.", b"\x80\x02(K\x01K\x02.", b"\x80\x02K\x01K\x02."]:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("archive/data.pkl", data)
        buf.seek(0)
        with pytest.raises(pickle.UnpicklingError, match="cannot read '<BytesIO>'"):
            ember.load(buf)


@pytest.mark.parametrize("sizes", [(2**62, 2**62), (0, 2**62)])
def test_size_whose_element_count_overflows(tmp_path, sizes):
    """A zero-stride view claiming 2**124 elements (or an empty one with a 2**62 dim) is refused clearly."""
    path = tmp_path / "ckpt.pt"
    torch.save({"w": torch.zeros(1).expand(3, 4)}, path)  # sizes (3, 4), strides (0, 0) in the pickle

    def big(n):
        return b"\x8a\x08" + n.to_bytes(8, "little") if n > 255 else b"K" + bytes([n])

    def edit(name, data):
        if not name.endswith("data.pkl"):
            return data
        assert b"K\x03K\x04\x86" in data and b"K\x00K\x00\x86" in data
        return data.replace(b"K\x03K\x04\x86", big(sizes[0]) + big(sizes[1]) + b"\x86")

    bad = _rewrite(path, tmp_path / "huge.pt", edit)
    with pytest.raises(pickle.UnpicklingError, match=r"huge\.pt.*cannot be represented.*overflows"):
        ember.load(bad)
    if sizes[0]:
        with pytest.raises(RuntimeError):  # torch refuses it too (it accepts the empty one, NumPy cannot hold it)
            torch.load(bad, weights_only=True)
