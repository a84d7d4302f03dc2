"""weights_only loading: what the restricted unpickler accepts, refuses, and never runs."""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from collections import Counter, OrderedDict

import pytest
import torch

import ember
from ember.serialization import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals
from tests.helpers import assert_same


class _Payload:
    """Unpickling this runs a shell command that creates a file."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (os.system, (f"echo pwned > {self.target}",))


class Point:
    """A user class a caller may allow with add_safe_globals."""

    def __init__(self, x=0, y=0) -> None:
        self.x, self.y = x, y


def _torch_bytes(obj, **kw) -> io.BytesIO:
    buf = io.BytesIO()
    torch.save(obj, buf, **kw)
    buf.seek(0)
    return buf


def _with_data_pkl(data: bytes) -> io.BytesIO:
    """A checkpoint zip whose data.pkl is the given pickle (no storages)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", data)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")
    buf.seek(0)
    return buf


@pytest.fixture(autouse=True)
def _no_leftover_safe_globals():
    clear_safe_globals()
    yield
    clear_safe_globals()


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("protocol", [2, 4])
def test_malicious_reduce_is_refused_and_never_runs(tmp_path, protocol):
    target = tmp_path / "pwned.txt"
    buf = _torch_bytes({"w": torch.ones(2), "evil": _Payload(str(target))}, pickle_protocol=protocol)
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL (posix|os|nt)\.system is not an allowed global"):
        ember.load(buf)
    assert not target.exists()
    with pytest.raises(pickle.UnpicklingError):  # torch refuses it the same way
        torch.load(io.BytesIO(buf.getvalue()), weights_only=True)
    assert not target.exists()


def test_malicious_raw_pickle_without_zip_is_refused(tmp_path):
    target = tmp_path / "pwned.txt"
    with pytest.raises(pickle.UnpicklingError, match="not a checkpoint"):
        ember.load(io.BytesIO(pickle.dumps(_Payload(str(target)), protocol=2)))
    assert not target.exists()


def test_error_names_the_global_and_the_way_out():
    buf = _torch_bytes({"p": Point(1, 2)}, pickle_protocol=2)
    with pytest.raises(pickle.UnpicklingError) as info:
        ember.load(buf)
    msg = str(info.value)
    assert f"{__name__}.Point" in msg and "weights_only=False" in msg and "add_safe_globals" in msg


def test_add_safe_globals_and_context_manager():
    data = _torch_bytes({"p": Point(1, 2)}).getvalue()
    add_safe_globals([Point])
    assert get_safe_globals() == [Point]
    p = ember.load(io.BytesIO(data))["p"]
    assert type(p) is Point and (p.x, p.y) == (1, 2)
    clear_safe_globals()
    with pytest.raises(pickle.UnpicklingError):
        ember.load(io.BytesIO(data))
    with safe_globals([Point]):
        assert ember.load(io.BytesIO(data))["p"].y == 2
    assert get_safe_globals() == []
    with pytest.raises(pickle.UnpicklingError):
        ember.load(io.BytesIO(data))


def test_whole_torch_model_refused_with_weights_only_and_named_with_full_unpickling(tmp_path):
    buf = _torch_bytes(torch.nn.Linear(2, 3))
    with pytest.raises(pickle.UnpicklingError, match="torch.nn.modules.linear.Linear"):
        ember.load(buf)
    buf.seek(0)
    with pytest.warns(UserWarning, match="can run code"), \
            pytest.raises(pickle.UnpicklingError, match=r"torch\.nn\.modules\.linear.*never imports"):
        ember.load(buf, weights_only=False)


def test_whole_ember_model_round_trips_with_weights_only_false(tmp_path):
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.ReLU(), ember.nn.Linear(4, 2))
    path = tmp_path / "model.pt"
    ember.save(model, path)
    with pytest.raises(pickle.UnpicklingError, match="ember.nn.modules.container.Sequential"):
        ember.load(path)
    with pytest.warns(UserWarning, match="weights_only=False"):
        loaded = ember.load(path, weights_only=False)
    assert type(loaded) is ember.nn.Sequential
    x = ember.randn(5, 3)
    assert_same(loaded(x).detach(), model(x).detach().numpy(), atol=0, rtol=0)
    assert isinstance(loaded[0].weight, ember.nn.Parameter)


def test_allowed_builtins_and_containers():
    obj = {"set": {1, 2}, "frozen": frozenset({3}), "complex": 2 - 1j, "slice": slice(1, None, 2),
           "bytes": b"\x01\x02", "bytearray": bytearray(b"ab"), "counter": Counter("aab"),
           "od": OrderedDict(a=1), "big": 2 ** 100, "neg": -5, "float": 1e-300}
    for protocol in (2, 3, 4, 5):
        out = ember.load(io.BytesIO(_with_data_pkl(pickle.dumps(obj, protocol=protocol)).getvalue()))
        assert out == obj
        assert {k: type(v) for k, v in out.items()} == {k: type(v) for k, v in obj.items()}


def test_build_on_a_global_is_refused():
    # GLOBAL torch float32, then BUILD with slot state: would overwrite ember.float32's attributes
    evil = b"\x80\x02ctorch\nfloat32\nN}X\x02\x00\x00\x00npK\x01s\x86b."
    with pytest.raises(pickle.UnpicklingError, match="refusing to set the state"):
        ember.load(_with_data_pkl(evil))
    assert ember.float32.np.itemsize == 4


def test_reduce_only_calls_allowed_globals():
    # a REDUCE whose callable is a loaded value (here a tuple) rather than an allowed global
    evil = b"\x80\x02K\x01\x85)R."
    with pytest.raises(pickle.UnpicklingError, match="refusing to call"):
        ember.load(_with_data_pkl(evil))


def test_bytearray_cannot_allocate_from_a_count():
    evil = b"\x80\x02c__builtin__\nbytearray\nJ\x00\x00\x00\x7f\x85R."
    with pytest.raises(pickle.UnpicklingError, match="bytearray"):
        ember.load(_with_data_pkl(evil))


def test_unsupported_torch_dtypes_raise_clear_errors():
    with pytest.raises(NotImplementedError, match="bfloat16"):
        ember.load(_torch_bytes(torch.ones(2, dtype=torch.bfloat16)))
    with pytest.raises(NotImplementedError, match="uint16"):
        ember.load(_torch_bytes(torch.ones(2, dtype=torch.uint16)))
    with pytest.raises(NotImplementedError, match="sparse"):
        ember.load(_torch_bytes(torch.eye(2).to_sparse()))


def test_tensor_with_python_attributes():
    t = torch.ones(2)
    t.note = "hello"
    out = ember.load(_torch_bytes(t))
    assert out.note == "hello"
    assert_same(out, torch.ones(2))


def test_explicit_pickle_module_and_weights_only():
    with pytest.raises(RuntimeError, match="Can not safely load weights when explicit pickle_module"):
        ember.load(_torch_bytes(torch.ones(1)), pickle_module=type(pickle)("fake"))
