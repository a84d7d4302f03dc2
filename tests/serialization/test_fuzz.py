"""Fuzzing ember.load with thousands of mutated real checkpoints: only clear errors or valid loads."""

from __future__ import annotations

import io
import pickle
import time
import zipfile
from collections import OrderedDict

import numpy as np
import torch

import ember

ALLOWED = (RuntimeError, pickle.UnpicklingError)  # NotImplementedError is a RuntimeError


def _torch_checkpoint() -> bytes:
    g = torch.Generator().manual_seed(0)
    w = torch.randn(4, 5, generator=g)
    sd = OrderedDict(w=w, wt=w.t(), row=w[1], i=torch.arange(6, dtype=torch.int64), h=torch.ones(3).half(),
                     b=torch.tensor([True, False]), u=torch.arange(4, dtype=torch.uint8), s=torch.tensor(2.5),
                     p=torch.nn.Parameter(torch.ones(2)), e=torch.empty(0, 3))
    sd._metadata = OrderedDict({"": {"version": 1}})
    obj = {"state_dict": sd, "epoch": 3, "name": "net", "betas": (0.9, 0.999), "size": torch.Size([2, 3]),
           "dtype": torch.float32, "set": {1, 2}, "none": None}
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _legacy_checkpoint() -> bytes:
    w = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    buf = io.BytesIO()
    torch.save({"w": w, "v": w[1:], "i": torch.arange(3), "n": 1}, buf, _use_new_zipfile_serialization=False)
    return buf.getvalue()


def _ember_checkpoint() -> bytes:
    a = ember.arange(20.0).reshape(4, 5)
    buf = io.BytesIO()
    ember.save({"a": a, "view": a[1:, ::2], "l": ember.tensor([1, 2, 3]), "lst": [1.5, "x", (None,)]}, buf)
    return buf.getvalue()


def _check_loaded(obj, depth=0) -> None:
    """Touch every tensor's values so that a bad view would show now, not later."""
    if isinstance(obj, ember.Tensor):
        obj.detach().numpy().tobytes()
    elif isinstance(obj, dict) and depth < 20:
        for v in obj.values():
            _check_loaded(v, depth + 1)
    elif isinstance(obj, (list, tuple)) and depth < 20:
        for v in obj:
            _check_loaded(v, depth + 1)


def _try(data: bytes, outcomes: dict) -> None:
    try:
        _check_loaded(ember.load(io.BytesIO(data)))
        outcomes["ok"] = outcomes.get("ok", 0) + 1
    except ALLOWED as exc:
        assert str(exc).startswith("ember.load: cannot read '<BytesIO>': "), f"unclear error: {exc!r}"
        outcomes[type(exc).__name__] = outcomes.get(type(exc).__name__, 0) + 1


def _mutate_bytes(data: bytes, rng) -> bytes:
    b = bytearray(data)
    kind = rng.integers(5)
    if kind == 0:  # bit flips
        for _ in range(rng.integers(1, 9)):
            i = rng.integers(len(b))
            b[i] ^= 1 << int(rng.integers(8))
    elif kind == 1:  # delete a run of bytes
        i = rng.integers(len(b))
        del b[i:i + int(rng.integers(1, 16))]
    elif kind == 2:  # insert random bytes
        i = rng.integers(len(b))
        b[i:i] = rng.integers(0, 256, int(rng.integers(1, 16)), dtype=np.uint8).tobytes()
    elif kind == 3:  # truncate
        del b[rng.integers(len(b)):]
    else:  # overwrite a run with one interesting value
        i = rng.integers(len(b))
        b[i:i + 4] = bytes([int(rng.choice([0, 0xFF, 0x7F, 0x80]))]) * 4
    return bytes(b)


def _rezip(records: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in records.items():
            z.writestr(name, data)
    return buf.getvalue()


def _mutate_records(records: dict, rng) -> bytes:
    """Corrupt the zip's content while keeping valid CRCs, so the unpickler and checks behind it are reached."""
    records = dict(records)
    names = list(records)
    kind = rng.integers(4)
    if kind <= 1:  # mutate the pickle program itself (the most interesting target)
        pkl = next(n for n in names if n.endswith("data.pkl"))
        records[pkl] = _mutate_bytes(records[pkl], rng)
    elif kind == 2:  # drop or rename a record
        victim = names[rng.integers(len(names))]
        data = records.pop(victim)
        if rng.integers(2):
            records[victim + "x"] = data
    else:  # resize or corrupt a storage or small record
        victim = names[rng.integers(len(names))]
        records[victim] = _mutate_bytes(records[victim], rng) if records[victim] else b"\x00"
    return _rezip(records)


def test_fuzz_load_only_raises_clear_errors():
    rng = np.random.default_rng(1234)
    bases = [_torch_checkpoint(), _ember_checkpoint(), _legacy_checkpoint()]
    record_sets = []
    for base in bases[:2]:
        with zipfile.ZipFile(io.BytesIO(base)) as z:
            record_sets.append({i.filename: z.read(i) for i in z.infolist()})
    outcomes: dict = {}
    start = time.perf_counter()
    for i in range(1800):
        _try(_mutate_bytes(bases[i % 3], rng), outcomes)
    for i in range(2400):
        _try(_mutate_records(record_sets[i % 2], rng), outcomes)
    elapsed = time.perf_counter() - start
    total = sum(outcomes.values())
    assert total == 4200
    # the mutations must reach every stage: some files still load, and the pickle/zip checks both fire
    assert outcomes.get("ok", 0) > 50 and outcomes.get("UnpicklingError", 0) > 500, outcomes
    assert outcomes.get("RuntimeError", 0) > 500, outcomes
    assert elapsed < 60, f"fuzzing took {elapsed:.1f} s"
