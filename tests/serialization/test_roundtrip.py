"""Checkpoints in both directions against real PyTorch: values, dtypes, shapes, strides, sharing."""

from __future__ import annotations

import io
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
from tests.helpers import DTYPES, assert_same, make_array


def _t2e(obj, **kw):
    """torch.save -> ember.load through a BytesIO."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return ember.load(buf, **kw)


def _e2t(obj):
    """ember.save -> torch.load(weights_only=True) through a BytesIO."""
    buf = io.BytesIO()
    ember.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def _same_tensor(e, t) -> None:
    assert_same(e, t, atol=0, rtol=0)
    assert e.stride() == t.stride()
    assert e.storage_offset() == t.storage_offset()
    assert e.requires_grad == t.requires_grad


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3), (3,), (2, 3, 4)])
def test_torch_to_ember_dtypes_shapes(dtype, shape):
    a = make_array(shape, dtype, low=-100, high=100, seed=len(shape))
    t = torch.from_numpy(a.copy())
    e = _t2e(t)
    _same_tensor(e, t)


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("shape", [(), (0,), (2, 0, 3), (3,), (2, 3, 4)])
def test_ember_to_torch_dtypes_shapes(dtype, shape):
    a = make_array(shape, dtype, low=-100, high=100, seed=len(shape))
    e = ember.from_numpy(a.copy())
    t = _e2t(e)
    _same_tensor(e, t)


def _views(lib, base):
    return {"base": base, "t": base.t(), "slice": base[1:, 2:4], "row": base[2], "step": base[:, ::2],
            "scalar": base[1, 1], "expand": base[0:1, :].expand(3, 5)}


@pytest.mark.parametrize("direction", ["t2e", "e2t"])
def test_views_keep_sharing_offsets_and_strides(direction):
    a = make_array((4, 5), "float32", seed=3)
    t_views = _views(torch, torch.from_numpy(a.copy()))
    e_views = _views(ember, ember.from_numpy(a.copy()))
    if direction == "t2e":
        loaded, ref = _t2e(t_views), t_views
        for k in ref:
            _same_tensor(loaded[k], ref[k])
        loaded["base"][1, 2] = -7.0  # the views share one storage after loading
        assert loaded["slice"][0, 0].item() == -7.0
        assert loaded["t"][2, 1].item() == -7.0
    else:
        loaded, ref = _e2t(e_views), e_views
        for k in ref:
            _same_tensor(ref[k], loaded[k])
        ptrs = {v.untyped_storage().data_ptr() for v in loaded.values()}
        assert len(ptrs) == 1
        loaded["base"][1, 2] = -7.0
        assert loaded["slice"][0, 0].item() == -7.0


@pytest.mark.parametrize("dtype", sorted(DTYPES))
def test_views_of_every_dtype_both_ways(dtype):
    """Non-contiguous views of each dtype: values, strides and offsets kept, one shared storage, both ways."""
    a = make_array((4, 5), dtype, low=-50, high=50, seed=5)
    e_views = _views(ember, ember.from_numpy(a.copy()))
    t_views = _views(torch, torch.from_numpy(a.copy()))
    to_torch = _e2t(e_views)
    for k in e_views:
        _same_tensor(e_views[k], to_torch[k])
    assert len({v.untyped_storage().data_ptr() for v in to_torch.values()}) == 1
    to_ember = _t2e(t_views)
    base = to_ember["base"].numpy()
    for k in t_views:
        _same_tensor(to_ember[k], t_views[k])
        assert np.shares_memory(to_ember[k].numpy(), base), k


def test_two_tensors_share_one_storage_entry_like_torch():
    import zipfile

    e = ember.arange(10.0)
    buf = io.BytesIO()
    ember.save([e, e[2:5], e.view(2, 5)], buf)
    names = [n for n in zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist() if "/data/" in n]
    assert names == ["archive/data/0"]
    tb = io.BytesIO()
    t = torch.arange(10.0)
    torch.save([t, t[2:5], t.view(2, 5)], tb)
    assert names == [n for n in zipfile.ZipFile(tb).namelist() if "/data/" in n]


def test_noncontiguous_numpy_backed_tensor_round_trips():
    a = make_array((3, 4), "float64", noncontig=True)
    e = ember.from_numpy(a)
    t = _e2t(e)
    _same_tensor(e, t)
    back = _t2e(t)
    _same_tensor(back, t)


def test_parameters_and_requires_grad():
    tp = torch.nn.Parameter(torch.randn(2, 3))
    tq = torch.nn.Parameter(torch.randn(3), requires_grad=False)
    tr = torch.randn(2, requires_grad=True)
    e = _t2e({"p": tp, "q": tq, "r": tr})
    assert isinstance(e["p"], ember.nn.Parameter) and e["p"].requires_grad
    assert isinstance(e["q"], ember.nn.Parameter) and not e["q"].requires_grad
    assert type(e["r"]) is ember.Tensor and e["r"].requires_grad
    for k, t in [("p", tp), ("q", tq), ("r", tr)]:
        assert_same(e[k], t.detach(), atol=0, rtol=0)
    back = _e2t(e)
    assert isinstance(back["p"], torch.nn.Parameter) and back["p"].requires_grad
    assert isinstance(back["q"], torch.nn.Parameter) and not back["q"].requires_grad
    assert type(back["r"]) is torch.Tensor and back["r"].requires_grad
    torch.testing.assert_close(back["p"], tp, rtol=0, atol=0)


def test_containers_numbers_strings_and_small_types():
    def make(lib):
        od = OrderedDict([("b", 1), ("a", [1.5, None, True])])
        return {"od": od, "tuple": (1, "two", 3.0), "nested": {"x": [{"y": (None,)}]}, "int": -(2 ** 40),
                "float": float("inf"), "str": "héllo", "bytes": b"\x00\xff", "set": {1, 2}, "complex": 1 + 2j,
                "size": lib.Size([2, 3]), "dtype": lib.float16, "bool_dtype": lib.bool, "bf16": lib.bfloat16,
                "device": lib.device("cpu")}

    t_obj, e_obj = make(torch), make(ember)
    from_torch = _t2e(t_obj)
    from_ember = _e2t(e_obj)
    for k in t_obj:
        if k == "size":
            assert type(from_torch[k]) is ember.Size and tuple(from_torch[k]) == (2, 3)
            assert type(from_ember[k]) is torch.Size and from_ember[k] == t_obj[k]
        elif k in ("dtype", "bool_dtype", "bf16"):
            assert from_torch[k] is e_obj[k]
            assert from_ember[k] is t_obj[k]
        elif k == "device":
            assert from_torch[k] == ember.device("cpu")
            assert from_ember[k] == torch.device("cpu")
        else:
            assert from_torch[k] == t_obj[k] and type(from_torch[k]) is type(t_obj[k])
            assert from_ember[k] == t_obj[k] and type(from_ember[k]) is type(t_obj[k])
    assert list(from_ember["od"]) == ["b", "a"]


def test_state_dict_metadata_is_kept():
    tm = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    e_sd = _t2e(tm.state_dict())
    assert isinstance(e_sd, OrderedDict)
    assert e_sd._metadata == tm.state_dict()._metadata
    em = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.BatchNorm1d(2))
    t_sd = _e2t(em.state_dict())
    assert t_sd._metadata == em.state_dict()._metadata
    assert list(t_sd) == list(tm.state_dict())


class _TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(4)
        self.fc = torch.nn.Linear(4 * 4 * 4, 5)

    def forward(self, x):
        return self.fc(torch.relu(self.bn(self.conv(x))).flatten(1))


class _EmberNet(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = ember.nn.Conv2d(3, 4, 3, padding=1)
        self.bn = ember.nn.BatchNorm2d(4)
        self.fc = ember.nn.Linear(4 * 4 * 4, 5)

    def forward(self, x):
        return self.fc(ember.relu(self.bn(self.conv(x))).flatten(1))


def _train_bn(model, x):
    model.train()
    model(x)  # updates running statistics so the buffers are not at their defaults
    model.eval()


def test_torch_state_dict_loads_into_ember_model_same_outputs(tmp_path):
    torch.manual_seed(0)
    tm = _TorchNet()
    x = make_array((2, 3, 4, 4), "float32", seed=1)
    _train_bn(tm, torch.from_numpy(x))
    path = tmp_path / "net.pt"
    torch.save(tm.state_dict(), path)
    em = _EmberNet()
    result = em.load_state_dict(ember.load(path))
    assert not result.missing_keys and not result.unexpected_keys
    em.eval()
    with torch.no_grad():
        expected = tm(torch.from_numpy(x))
    assert_same(em(ember.from_numpy(x)).detach(), expected, atol=1e-5, rtol=1e-5)


def test_ember_state_dict_loads_into_torch_model_same_outputs(tmp_path):
    ember.manual_seed(0)
    em = _EmberNet()
    x = make_array((2, 3, 4, 4), "float32", seed=2)
    _train_bn(em, ember.from_numpy(x))
    path = tmp_path / "net.pt"
    ember.save(em.state_dict(), path)
    tm = _TorchNet()
    tm.load_state_dict(torch.load(path, weights_only=True))
    tm.eval()
    with torch.no_grad():
        expected = tm(torch.from_numpy(x))
    assert_same(em(ember.from_numpy(x)).detach(), expected, atol=1e-5, rtol=1e-5)


def _adam_state_after_steps(lib, model, steps=2):
    model.eval()  # in train mode BatchNorm cancels the conv bias's gradient, leaving Adam to scale round-off
    opt = lib.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.95))
    x = lib.from_numpy(make_array((2, 3, 4, 4), "float32", seed=5))
    for _ in range(steps):
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()
    return opt


def test_optimizer_state_dict_torch_to_ember_and_back():
    torch.manual_seed(0)
    tm = _TorchNet()
    topt = _adam_state_after_steps(torch, tm)
    e_state = _t2e(topt.state_dict())
    em = _EmberNet().eval()
    em.load_state_dict(_t2e(tm.state_dict()))
    eopt = ember.optim.Adam(em.parameters(), lr=0.5)
    eopt.load_state_dict(e_state)
    assert eopt.param_groups[0]["lr"] == 0.01 and eopt.param_groups[0]["betas"] == (0.8, 0.95)
    # one more identical step on both sides gives the same parameters
    x = make_array((2, 3, 4, 4), "float32", seed=6)
    topt.zero_grad()
    tm(torch.from_numpy(x)).sum().backward()
    topt.step()
    eopt.zero_grad()
    em(ember.from_numpy(x)).sum().backward()
    eopt.step()
    for tp, ep in zip(tm.parameters(), em.parameters()):
        assert_same(ep.detach(), tp.detach(), atol=1e-5, rtol=1e-5)
    back = _e2t(eopt.state_dict())
    assert back["param_groups"][0]["betas"] == (0.8, 0.95)
    for k, st in topt.state_dict()["state"].items():
        for name, v in st.items():
            torch.testing.assert_close(back["state"][k][name], v, rtol=1e-5, atol=1e-6)


def test_optimizer_state_dict_ember_to_torch():
    ember.manual_seed(0)
    em = _EmberNet()
    eopt = _adam_state_after_steps(ember, em)
    tm = _TorchNet().eval()
    tm.load_state_dict(_e2t(em.state_dict()))
    topt = torch.optim.Adam(tm.parameters(), lr=0.5)
    topt.load_state_dict(_e2t(eopt.state_dict()))
    assert topt.param_groups[0]["lr"] == 0.01
    x = make_array((2, 3, 4, 4), "float32", seed=7)
    eopt.zero_grad()
    em(ember.from_numpy(x)).sum().backward()
    eopt.step()
    topt.zero_grad()
    tm(torch.from_numpy(x)).sum().backward()
    topt.step()
    for ep, tp in zip(em.parameters(), tm.parameters()):
        assert_same(ep.detach(), tp.detach(), atol=1e-5, rtol=1e-5)


def test_path_and_pathlike_and_str(tmp_path):
    t = torch.arange(6).reshape(2, 3)
    torch.save(t, tmp_path / "a.pt")
    assert_same(ember.load(str(tmp_path / "a.pt")), t)
    ember.save(ember.arange(3), str(tmp_path / "b.pt"))
    torch.testing.assert_close(torch.load(tmp_path / "b.pt"), torch.arange(3))


def test_archive_folder_named_after_the_file(tmp_path):
    import zipfile

    ember.save(ember.ones(2), tmp_path / "model.v2.pt")
    torch.save(torch.ones(2), tmp_path / "ref.v2.pt")
    names = zipfile.ZipFile(tmp_path / "model.v2.pt").namelist()
    assert names[0] == "model.v2/data.pkl"
    ref = [n.replace("ref.v2/", "model.v2/") for n in zipfile.ZipFile(tmp_path / "ref.v2.pt").namelist()]
    assert names == ref  # the same records in the same order as torch writes them


def test_storage_data_is_aligned_to_64_bytes(tmp_path):
    import zipfile

    ember.save({"a": ember.ones(3), "b": ember.zeros(5, dtype=ember.int8), "c": ember.ones(7).double()},
               tmp_path / "x.pt")
    raw = (tmp_path / "x.pt").read_bytes()
    for info in zipfile.ZipFile(tmp_path / "x.pt").infolist():
        n, m = np.frombuffer(raw[info.header_offset + 26:info.header_offset + 30], "<u2")
        assert (info.header_offset + 30 + n + m) % 64 == 0, info.filename


def test_map_location_forms():
    t = {"a": torch.ones(2), "b": torch.arange(3)}
    for ml in ["cpu", ember.device("cpu"), {"cpu": "cpu"}, lambda s, loc: s, lambda s, loc: None,
               lambda s, loc: s.cpu()]:
        out = _t2e(t, map_location=ml)
        assert_same(out["a"], t["a"])
        assert out["b"].device == ember.device("cpu")
    seen = []
    _t2e(t, map_location=lambda s, loc: seen.append((loc, s.nbytes())))
    assert sorted(seen) == [("cpu", 8), ("cpu", 24)]


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks the error raised without a GPU")
def test_cuda_location_without_cuda_raises_clear_error():
    with pytest.raises(RuntimeError, match="CUDA device but ember.cuda.is_available\\(\\) is False"):
        _t2e(torch.ones(2), map_location="cuda")
    with pytest.raises(RuntimeError, match="map_location=ember.device\\('cpu'\\)"):
        _t2e(torch.ones(2), map_location={"cpu": "cuda:0"})


def test_mmap_maps_storages_from_the_file(tmp_path):
    t = {"w": torch.randn(4, 5), "v": torch.arange(7, dtype=torch.int16)}
    t["view"] = t["w"][1:, ::2]
    path = tmp_path / "m.pt"
    torch.save(t, path)
    out = ember.load(path, mmap=True)
    for k in t:
        _same_tensor(out[k], t[k])
    root = out["w"].numpy()
    while not isinstance(root, np.memmap) and root.base is not None:
        root = root.base
    assert isinstance(root, np.memmap)
    out["w"][0, 0] = 5.0  # copy-on-write like torch's MAP_PRIVATE: the file is unchanged
    assert torch.load(path)["w"][0, 0].item() == t["w"][0, 0].item()


def test_mmap_needs_a_path():
    buf = io.BytesIO()
    torch.save(torch.ones(2), buf)
    buf.seek(0)
    with pytest.raises(ValueError, match="f must be a file path in order to use the mmap argument"):
        ember.load(buf, mmap=True)
    buf.seek(0)
    with pytest.raises(ValueError, match="f must be a file path in order to use the mmap argument"):
        torch.load(buf, mmap=True)


def test_non_seekable_stream_and_position():
    class Stream(io.RawIOBase):
        def __init__(self, data):
            self._b = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self._b.readinto(b)

    buf = io.BytesIO()
    torch.save({"x": torch.ones(3)}, buf)
    out = ember.load(Stream(buf.getvalue()))
    assert_same(out["x"], torch.ones(3))


def test_big_endian_checkpoint_is_byteswapped():
    import zipfile

    t = {"f": torch.arange(6, dtype=torch.float32) / 3, "i": torch.arange(-3, 3, dtype=torch.int64),
         "b": torch.tensor([1, 2], dtype=torch.uint8)}
    buf = io.BytesIO()
    torch.save(t, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:  # rewrite it as a big-endian machine would have
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("byteorder"):
                data = b"big"
            elif "/data/" in info.filename:
                key = info.filename.rsplit("/", 1)[1]
                width = {"0": 4, "1": 8, "2": 1}[key]
                data = np.frombuffer(data, f"<u{width}").astype(f">u{width}").tobytes()
            dst.writestr(info.filename, data)
    out.seek(0)
    loaded = ember.load(out)
    for k in t:
        assert_same(loaded[k], t[k], atol=0, rtol=0)


@pytest.mark.parametrize("weights_only", [True, False])
def test_legacy_format_written_by_torch(weights_only):
    w = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    obj = {"w": w, "view": w[1:, ::2], "i": torch.arange(5), "h": torch.ones(2).half(), "b": torch.tensor([True]),
           "p": torch.nn.Parameter(torch.ones(2)), "e": torch.empty(0, 2), "n": 7, "od": OrderedDict(a=(1, 2.0))}
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=False)
    buf.seek(0)
    if weights_only:
        out = ember.load(buf)
    else:
        with pytest.warns(UserWarning, match="weights_only=False"):
            out = ember.load(buf, weights_only=False)
    for k in ("w", "view", "i", "h", "b", "e"):
        _same_tensor(out[k], obj[k])
    assert isinstance(out["p"], ember.nn.Parameter) and out["p"].requires_grad
    assert out["n"] == 7 and out["od"] == obj["od"]
    out["w"][1, 0] = 100.0  # the view shares the storage
    assert out["view"][0, 0].item() == 100.0


def _saved_on_cuda() -> bytes:
    """A torch checkpoint whose storages say 'cuda:0', as a GPU machine writes them."""
    import zipfile

    buf = io.BytesIO()
    torch.save({"w": torch.arange(4.0)}, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("data.pkl"):
                data = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            dst.writestr(info.filename, data)
    return out.getvalue()


@pytest.mark.skipif(ember.cuda.is_available(), reason="checks the CPU-only behaviour")
def test_gpu_checkpoint_on_a_cpu_machine():
    data = _saved_on_cuda()
    with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
        ember.load(io.BytesIO(data))
    with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device"):
        torch.load(io.BytesIO(data))  # torch refuses it the same way
    seen = []
    for ml in ["cpu", ember.device("cpu"), {"cuda:0": "cpu"}, lambda s, loc: seen.append(loc) or s]:
        out = ember.load(io.BytesIO(data), map_location=ml)
        assert_same(out["w"], torch.arange(4.0))
        assert out["w"].device == ember.device("cpu")
    assert seen == ["cuda:0"]
    with pytest.raises(RuntimeError, match="CUDA device"):
        ember.load(io.BytesIO(data), map_location=lambda s, loc: s.cuda())


def test_same_memory_as_two_dtypes_is_refused_like_torch():
    t = torch.arange(4.0)
    with pytest.raises(RuntimeError, match="view the same data as different types"):
        torch.save([t, t.view(torch.int32)], io.BytesIO())
    a = ember.arange(4.0)
    with pytest.raises(RuntimeError, match="view the same data as different types"):
        ember.save([a, a.view(ember.int32)], io.BytesIO())
    loaded = _e2t(a.view(ember.int32))  # one reinterpreting view alone is fine
    torch.testing.assert_close(loaded, t.view(torch.int32))


def test_loaded_views_stay_shared_when_saved_again(tmp_path):
    import zipfile

    w = torch.arange(12.0).reshape(3, 4)
    path = tmp_path / "a.pt"
    torch.save({"w": w, "v": w[1:, 2:], "i": torch.arange(3)}, path)
    ember.save(ember.load(path), tmp_path / "b.pt")
    assert len([n for n in zipfile.ZipFile(tmp_path / "b.pt").namelist() if "/data/" in n]) == 2
    t = torch.load(tmp_path / "b.pt", weights_only=True)
    assert t["v"].untyped_storage().data_ptr() == t["w"].untyped_storage().data_ptr()
    assert t["v"].storage_offset() == 6
    torch.testing.assert_close(t["v"], w[1:, 2:])
    ember.save(ember.load(path, mmap=True), tmp_path / "c.pt")  # memory-mapped storages too
    torch.testing.assert_close(torch.load(tmp_path / "c.pt")["v"], w[1:, 2:])
