"""The .safetensors format, checked against byte layouts worked out by hand from the format's specification
(the `safetensors` package is not installed in the test environment)."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
import torch

import ember
from ember.serialization.safetensors import load, load_metadata, load_safetensors, save, save_safetensors
from tests.helpers import DTYPES, assert_same, make_array


def _file(header: dict, data: bytes, pad: int = 0) -> bytes:
    text = json.dumps(header).encode() + b" " * pad
    return struct.pack("<Q", len(text)) + text + data


def test_worked_layout_is_read():
    # {"a": float32 [[1, 2]], "n": int64 [7]} with "a" after "n" in the data, and a padded header
    data = np.array([7], "<i8").tobytes() + np.array([1.0, 2.0], "<f4").tobytes()
    raw = _file({"__metadata__": {"format": "pt"},
                 "a": {"dtype": "F32", "shape": [1, 2], "data_offsets": [8, 16]},
                 "n": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}, data, pad=5)
    out = load(raw)
    assert_same(out["a"], torch.tensor([[1.0, 2.0]]), atol=0, rtol=0)
    assert_same(out["n"], torch.tensor([7]))


def test_worked_layout_is_written():
    raw = save({"x": ember.tensor([1.5, -2.0], dtype=ember.float64), "b": ember.tensor([True, False, True])},
               metadata={"k": "v"})
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0  # the data starts 8-byte aligned
    header = json.loads(raw[8:8 + n])
    assert header == {"__metadata__": {"k": "v"},
                      "x": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]},
                      "b": {"dtype": "BOOL", "shape": [3], "data_offsets": [16, 19]}}
    assert raw[8 + n:] == struct.pack("<2d", 1.5, -2.0) + b"\x01\x00\x01"


@pytest.mark.parametrize("dtype", sorted(DTYPES))
def test_round_trip_all_dtypes_and_shapes(tmp_path, dtype):
    tensors = {f"t{i}": ember.from_numpy(make_array(shape, dtype, seed=i))
               for i, shape in enumerate([(), (0,), (3,), (2, 3, 4)])}
    tensors["strided"] = ember.from_numpy(make_array((3, 4), dtype, noncontig=True))
    path = tmp_path / "w.safetensors"
    save_safetensors(tensors, path, metadata={"epoch": "3"})
    out = load_safetensors(path)
    assert sorted(out) == sorted(tensors)
    for k, t in tensors.items():
        assert_same(out[k], torch.from_numpy(t.numpy().copy()), atol=0, rtol=0)
    assert load_metadata(path) == {"epoch": "3"}


def test_model_state_dict_round_trip(tmp_path):
    model = ember.nn.Linear(3, 2)
    save_safetensors(dict(model.state_dict()), tmp_path / "m.safetensors")
    other = ember.nn.Linear(3, 2)
    other.load_state_dict(load_safetensors(tmp_path / "m.safetensors"))
    assert_same(other.weight.detach(), torch.from_numpy(model.weight.detach().numpy().copy()), atol=0, rtol=0)


@pytest.mark.parametrize("header, data, match", [
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, b"\x00" * 4, "needs 8 bytes"),
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 8]}}, b"\x00" * 4, "invalid data_offsets"),
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\x00" * 8, "not indexed"),
    ({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
      "b": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}}, b"\x00" * 8, "overlap or leave gaps"),
    ({"a": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}, b"\x00" * 2, "'BF16'"),
    ({"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, b"\x00" * 4, "invalid shape"),
    ({"a": {"dtype": "F32", "shape": [1]}}, b"\x00" * 4, "exactly dtype, shape and data_offsets"),
    ({"__metadata__": {"k": 1}}, b"", "__metadata__ must map strings"),
])
def test_bad_files_raise_clear_errors(tmp_path, header, data, match):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(_file(header, data))
    with pytest.raises(RuntimeError, match=match) as info:
        load_safetensors(path)
    assert str(path) in str(info.value)


def test_truncated_and_garbage(tmp_path):
    path = tmp_path / "t.safetensors"
    good = save({"a": ember.ones(4)})
    for raw in (b"", good[:5], good[:20], good[:-1], struct.pack("<Q", 2 ** 40) + b"{}", b"\x02\x00" * 4 + b"[]",
                struct.pack("<Q", 2) + b"\xff\xfe"):
        path.write_bytes(raw)
        with pytest.raises(RuntimeError, match="cannot read safetensors file"):
            load_safetensors(path)


def test_save_is_atomic_and_validates(tmp_path):
    path = tmp_path / "a.safetensors"
    save_safetensors({"a": ember.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match="metadata must be a dict of str to str"):
        save_safetensors({"a": ember.zeros(2)}, path, metadata={"k": 1})
    with pytest.raises(TypeError, match="stores tensors only"):
        save_safetensors({"a": 1}, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["a.safetensors"]


# bytes written by the reference implementation (safetensors 0.8.0, `safetensors.torch.save`) for the same
# tensors: ember's writer orders, pads and encodes exactly as it does
_REFERENCE = [
    ({"x": torch.tensor([1.5, -2.0], dtype=torch.float64), "b": torch.tensor([True, False, True])}, {"k": "v"},
     b'\x88\x00\x00\x00\x00\x00\x00\x00{"__metadata__":{"k":"v"},"x":{"dtype":"F64","shape":[2],"data_offsets":'
     b'[0,16]},"b":{"dtype":"BOOL","shape":[3],"data_offsets":[16,19]}}\x00\x00\x00\x00\x00\x00\xf8?\x00\x00\x00'
     b'\x00\x00\x00\x00\xc0\x01\x00\x01'),
    ({"a": torch.tensor([[1.0, 2.0]]), "n": torch.tensor([7])}, None,
     b'p\x00\x00\x00\x00\x00\x00\x00{"n":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"a":{"dtype":"F32",'
     b'"shape":[1,2],"data_offsets":[8,16]}}  \x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80?\x00\x00\x00@'),
]


@pytest.mark.parametrize("tensors, metadata, expected", _REFERENCE)
def test_bytes_match_the_reference_writer(tensors, metadata, expected):
    ours = save({k: ember.from_numpy(v.numpy().copy()) for k, v in tensors.items()}, metadata=metadata)
    assert ours == expected
    back = load(expected)
    for k, v in tensors.items():
        assert_same(back[k], v, atol=0, rtol=0)
