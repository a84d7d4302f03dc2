"""ember.hub: downloads from a local HTTP server on loopback (no outside network), hash checks, cache folders."""

from __future__ import annotations

import hashlib
import http.server
import os
import threading

import numpy as np
import pytest
import torch

import ember
import ember.hub as hub
from ember.utils import model_zoo


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/www on 127.0.0.1; yields (base_url, www folder, request counter)."""
    www = tmp_path / "www"
    www.mkdir()
    hits = []

    class Handler(_Quiet):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(www), **kwargs)

        def do_GET(self):
            hits.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", www, hits
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """Hub folders under tmp_path: TORCH_HOME-style override, XDG cache for PyTorch's default folder."""
    monkeypatch.delenv("EMBER_HOME", raising=False)
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(hub, "_hub_dir", None)
    return tmp_path


def _checkpoint(www, stem: str, seed: int = 0, good_hash: bool = True):
    """A torch.save'd state dict named stem-<sha256 prefix>.pth (a wrong prefix when good_hash is False)."""
    state = {"w": torch.tensor(np.random.default_rng(seed).standard_normal((3, 4)).astype(np.float32))}
    tmp = www / "tmp.pth"
    torch.save(state, tmp)
    digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
    prefix = digest[:8] if good_hash else ("0" if digest[0] != "0" else "1") + digest[1:8]
    name = f"{stem}-{prefix}.pth"
    tmp.rename(www / name)
    return name, state, digest


def test_get_dir_follows_the_environment(home, monkeypatch):
    assert hub.get_dir() == str(home / "xdg" / "ember" / "hub")
    monkeypatch.setenv("TORCH_HOME", str(home / "th"))
    assert hub.get_dir() == str(home / "th" / "hub")
    monkeypatch.setenv("EMBER_HOME", str(home / "eh"))
    assert hub.get_dir() == str(home / "eh" / "hub")
    hub.set_dir(home / "mine")
    assert hub.get_dir() == str(home / "mine")


def test_download_with_good_hash_then_cached_without_network(server, home, capsys):
    base, www, hits = server
    name, state, _ = _checkpoint(www, "net")
    loaded = hub.load_state_dict_from_url(f"{base}/{name}", check_hash=True)
    np.testing.assert_array_equal(loaded["w"].numpy(), state["w"].numpy())
    cached = home / "xdg" / "ember" / "hub" / "checkpoints" / name
    assert cached.is_file()
    assert [p.name for p in cached.parent.iterdir()] == [name]  # the temporary file was renamed away
    out = capsys.readouterr()
    assert f'Downloading: "{base}/{name}" to {cached}' in out.out
    assert "100.0%" in out.err  # the progress bar goes to stderr
    (www / name).unlink()  # the server no longer has it: the cached copy must be used
    again = hub.load_state_dict_from_url(f"{base}/{name}", check_hash=True, progress=False)
    np.testing.assert_array_equal(again["w"].numpy(), state["w"].numpy())
    assert hits == [f"/{name}"]


def test_bad_hash_deletes_the_download(server, home):
    base, www, _ = server
    name, _, digest = _checkpoint(www, "net", good_hash=False)
    with pytest.raises(RuntimeError, match=f'invalid hash value .*got "{digest}"'):
        hub.load_state_dict_from_url(f"{base}/{name}", check_hash=True, progress=False)
    folder = home / "xdg" / "ember" / "hub" / "checkpoints"
    assert list(folder.iterdir()) == []
    # without check_hash the same file is accepted
    assert "w" in hub.load_state_dict_from_url(f"{base}/{name}", progress=False)


def test_server_down_names_url_and_cache_path(server, home):
    base, www, _ = server
    name, _, _ = _checkpoint(www, "net")
    port = int(base.rsplit(":", 1)[1])
    url = f"http://127.0.0.1:{port}/missing-deadbeef.pth"
    with pytest.raises(RuntimeError) as info:  # 404: the server answers but has no such file
        hub.load_state_dict_from_url(url, progress=False)
    assert url in str(info.value) and "missing-deadbeef.pth" in str(info.value)
    with socket_closed() as dead_port:
        url = f"http://127.0.0.1:{dead_port}/{name}"
        with pytest.raises(RuntimeError) as info:
            hub.load_state_dict_from_url(url, progress=False)
    message = str(info.value)
    assert url in message
    assert str(home / "xdg" / "ember" / "hub" / "checkpoints" / name) in message
    assert list((home / "xdg" / "ember" / "hub" / "checkpoints").iterdir()) == []


class socket_closed:
    """A loopback port with nothing listening on it."""

    def __enter__(self) -> int:
        import socket

        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        return self.port

    def __exit__(self, *exc):
        return False


def test_files_downloaded_by_pytorch_are_reused(home, server):
    base, www, hits = server
    name, state, _ = _checkpoint(www, "shared")
    torch_folder = home / "xdg" / "torch" / "hub" / "checkpoints"
    torch_folder.mkdir(parents=True)
    os.replace(www / name, torch_folder / name)
    loaded = hub.load_state_dict_from_url(f"{base}/{name}", check_hash=True)
    np.testing.assert_array_equal(loaded["w"].numpy(), state["w"].numpy())
    assert hits == []


def test_model_dir_file_name_and_model_zoo_alias(server, home):
    base, www, _ = server
    name, state, _ = _checkpoint(www, "net")
    target = home / "elsewhere"
    loaded = model_zoo.load_url(f"{base}/{name}", model_dir=str(target), file_name="renamed.pth", progress=False)
    assert (target / "renamed.pth").is_file()
    assert isinstance(loaded["w"], ember.Tensor)
    np.testing.assert_array_equal(loaded["w"].numpy(), state["w"].numpy())


def test_download_url_to_file_checks_prefix(server, home):
    base, www, _ = server
    name, _, digest = _checkpoint(www, "raw")
    dst = home / "raw.bin"
    hub.download_url_to_file(f"{base}/{name}", str(dst), hash_prefix=digest[:12], progress=False)
    assert hashlib.sha256(dst.read_bytes()).hexdigest() == digest
    with pytest.raises(RuntimeError, match="invalid hash value"):
        hub.download_url_to_file(f"{base}/{name}", str(home / "x.bin"), hash_prefix="ffff" + digest[4:12],
                                 progress=False)
    assert not (home / "x.bin").exists()
