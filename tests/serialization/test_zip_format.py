"""The zip writer: layout PyTorch reads, zip64 records for large archives, streams without seek."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
import torch

import ember
import ember.serialization._zip_format as Z
from tests.helpers import assert_same


def test_zip64_records_are_read_by_zipfile_and_torch(monkeypatch):
    monkeypatch.setattr(Z, "_ZIP64_LIMIT", 100)  # pretend every size and offset past 100 bytes is huge
    e = {"a": ember.arange(60.0), "b": ember.ones(3, dtype=ember.int16)}
    buf = io.BytesIO()
    ember.save(e, buf)
    raw = buf.getvalue()
    assert b"PK\x06\x06" in raw and b"PK\x06\x07" in raw  # zip64 end records were written
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        assert z.testzip() is None
        data = np.frombuffer(z.read("archive/data/0"), "<f4")
        np.testing.assert_array_equal(data, np.arange(60.0, dtype=np.float32))
    t = torch.load(io.BytesIO(raw), weights_only=True)
    assert_same(e["a"], t["a"], atol=0, rtol=0)
    assert_same(e["b"], t["b"])
    assert_same(ember.load(io.BytesIO(raw))["a"], t["a"], atol=0, rtol=0)


def test_writes_to_a_stream_without_seek():
    class WriteOnly(io.RawIOBase):
        def __init__(self):
            self.chunks = []

        def writable(self):
            return True

        def write(self, b):
            self.chunks.append(bytes(b))
            return len(b)

        def seekable(self):
            return False

    out = WriteOnly()
    ember.save({"x": ember.arange(5)}, out)
    t = torch.load(io.BytesIO(b"".join(out.chunks)), weights_only=True)
    torch.testing.assert_close(t["x"], torch.arange(5))


def test_records_are_stored_with_correct_crcs():
    buf = io.BytesIO()
    ember.save([ember.randn(4), "text"], buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        assert z.testzip() is None
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
        assert z.read("archive/byteorder") == b"little"
        assert z.read("archive/version") == b"3\n"
        assert z.read("archive/.format_version") == b"1"
        assert z.read("archive/.storage_alignment") == b"64"


def test_deflated_archive_is_read():
    src = io.BytesIO()
    torch.save({"w": torch.arange(100.0)}, src)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src.getvalue())) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            z.writestr(info.filename, zin.read(info))
    out.seek(0)
    assert_same(ember.load(out)["w"], torch.arange(100.0), atol=0, rtol=0)


def test_save_rejects_unsupported_options():
    with pytest.raises(NotImplementedError, match="zip format"):
        ember.save(ember.ones(1), io.BytesIO(), _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match="pickle_protocol"):
        ember.save(ember.ones(1), io.BytesIO(), pickle_protocol=1)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickle_protocols_load_in_torch(protocol):
    buf = io.BytesIO()
    ember.save({"w": ember.arange(4.0), "t": (1, "a")}, buf, pickle_protocol=protocol)
    buf.seek(0)
    # torch's own weights-only unpickler stops at protocol 4's FRAME opcode, for torch.save's files too
    t = torch.load(buf, weights_only=protocol < 4)
    torch.testing.assert_close(t["w"], torch.arange(4.0))
    assert t["t"] == (1, "a")
    buf.seek(0)
    assert ember.load(buf)["t"] == (1, "a")


def test_torch_can_memory_map_ember_files(tmp_path):
    a = ember.arange(12.0).reshape(3, 4)
    path = tmp_path / "m.pt"
    ember.save({"a": a, "v": a[1:, 1:], "i": ember.arange(3), "b": ember.tensor([True, False])}, path)
    t = torch.load(path, mmap=True, weights_only=True)  # needs each storage's data where torch expects it
    assert_same(a, t["a"], atol=0, rtol=0)
    assert_same(a[1:, 1:], t["v"], atol=0, rtol=0)
    assert t["v"].storage_offset() == 5 and t["b"].tolist() == [True, False]
