"""Downloads against a local HTTP server on loopback (no outside network): checksums, mirrors, extraction."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import os
import socket
import tarfile
import threading
import urllib.error
import zipfile

import numpy as np
import pytest

from ember.vision import datasets
from ember.vision.datasets import utils
from ember.vision.datasets.cifar import CIFAR10

from .test_datasets import write_cifar, write_idx


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        type(self).requests.append(self.path)
        super().do_GET()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/www on 127.0.0.1; yields (base_url, folder, handler class)."""
    www = tmp_path / "www"
    www.mkdir()
    handler = type("Handler", (_Handler,), {"requests": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(www)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", www, handler
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def dead_url():
    """A loopback URL where nothing listens (connection refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/"


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_md5_helpers(tmp_path):
    path = tmp_path / "f.bin"
    payload = os.urandom(3 * 1024 + 17)
    path.write_bytes(payload)
    assert utils.calculate_md5(path, chunk_size=1000) == hashlib.md5(payload).hexdigest()
    assert utils.check_integrity(path) and utils.check_integrity(path, _md5(payload))
    assert not utils.check_integrity(path, "0" * 32) and not utils.check_integrity(tmp_path / "missing")


def test_download_url_good_checksum_and_no_second_download(server, tmp_path):
    base, www, handler = server
    payload = b"hello ember " * 1000
    (www / "file.bin").write_bytes(payload)
    dest = tmp_path / "dest"
    utils.download_url(base + "file.bin", str(dest), md5=_md5(payload))
    assert (dest / "file.bin").read_bytes() == payload
    assert os.listdir(dest) == ["file.bin"]  # no temporary file left behind
    utils.download_url(base + "file.bin", str(dest), md5=_md5(payload))
    assert handler.requests == ["/file.bin"]  # the verified file was not fetched again


def test_download_url_bad_checksum_deletes_file(server, tmp_path):
    base, www, _ = server
    (www / "file.bin").write_bytes(b"tampered")
    dest = tmp_path / "dest"
    with pytest.raises(RuntimeError, match=r"has MD5 .* expected 0{32}; the corrupted file was deleted"):
        utils.download_url(base + "file.bin", str(dest), md5="0" * 32)
    assert os.listdir(dest) == []


def test_download_url_server_down(dead_url, tmp_path):
    with pytest.raises(urllib.error.URLError):
        utils.download_url(dead_url + "file.bin", str(tmp_path))
    assert os.listdir(tmp_path) == []


def test_download_url_missing_file_is_an_error(server, tmp_path):
    base, _, _ = server
    with pytest.raises(urllib.error.HTTPError, match="404"):
        utils.download_url(base + "nothing.bin", str(tmp_path / "d"))


def _mnist_gz_files(www, n: int = 3) -> dict:
    rng = np.random.default_rng(0)
    arrays = {}
    for split in ("train", "t10k"):
        images = rng.integers(0, 256, size=(n, 28, 28)).astype(np.uint8)
        labels = rng.integers(0, 10, size=(n,)).astype(np.uint8)
        write_idx(str(www / f"{split}-images-idx3-ubyte"), images, compress=True)
        write_idx(str(www / f"{split}-labels-idx1-ubyte"), labels, compress=True)
        arrays[split] = (images, labels)
    return arrays


def _patched_mnist(monkeypatch, www, mirrors):
    resources = [(name, _md5((www / name).read_bytes())) for name, _ in datasets.MNIST.resources]
    monkeypatch.setattr(datasets.MNIST, "resources", resources)
    monkeypatch.setattr(datasets.MNIST, "mirrors", mirrors)


def test_mnist_download_with_mirror_fallback(server, dead_url, tmp_path, monkeypatch):
    base, www, handler = server
    arrays = _mnist_gz_files(www)
    _patched_mnist(monkeypatch, www, [dead_url, base])
    root = tmp_path / "data"
    ds = datasets.MNIST(str(root), train=True, download=True)
    np.testing.assert_array_equal(ds.data.numpy(), arrays["train"][0])
    raw = root / "MNIST" / "raw"
    assert (raw / "train-images-idx3-ubyte").is_file() and (raw / "t10k-labels-idx1-ubyte").is_file()
    assert len(handler.requests) == 4
    datasets.MNIST(str(root), train=False, download=True)
    assert len(handler.requests) == 4  # present and verified: nothing downloaded again


def test_mnist_download_offline_names_urls_and_folder(dead_url, tmp_path, monkeypatch):
    monkeypatch.setattr(datasets.MNIST, "mirrors", [dead_url, dead_url + "mirror2/"])
    root = tmp_path / "data"
    with pytest.raises(RuntimeError) as info:
        datasets.MNIST(str(root), download=True)
    message = str(info.value)
    assert "Error downloading train-images-idx3-ubyte.gz" in message
    assert f"Tried {dead_url}train-images-idx3-ubyte.gz" in message
    assert f"Tried {dead_url}mirror2/train-images-idx3-ubyte.gz" in message
    assert str(root / "MNIST" / "raw" / "train-images-idx3-ubyte.gz") in message


def test_mnist_download_bad_checksum(server, tmp_path, monkeypatch):
    base, www, _ = server
    _mnist_gz_files(www)
    monkeypatch.setattr(datasets.MNIST, "mirrors", [base])  # the published checksums do not match these files
    root = tmp_path / "data"
    with pytest.raises(RuntimeError, match="expected f68b3c2dcbeaaa9fbdd348bbdeb94873; the corrupted file was"):
        datasets.MNIST(str(root), download=True)
    assert os.listdir(root / "MNIST" / "raw") == []


def _cifar_archive(tmp_path, www) -> tuple[dict, str]:
    src = tmp_path / "src"
    written = write_cifar(src, CIFAR10, n_per_batch=2)
    with tarfile.open(www / CIFAR10.filename, "w:gz") as tar:
        tar.add(src / CIFAR10.base_folder, arcname=CIFAR10.base_folder)
    md5s = {name: _md5((src / CIFAR10.base_folder / name).read_bytes()) for name in written}
    meta_md5 = _md5((src / CIFAR10.base_folder / "batches.meta").read_bytes())
    return md5s, meta_md5


def test_cifar10_download_and_extract(server, tmp_path, monkeypatch):
    base, www, handler = server
    md5s, meta_md5 = _cifar_archive(tmp_path, www)
    monkeypatch.setattr(CIFAR10, "url", base + CIFAR10.filename)
    monkeypatch.setattr(CIFAR10, "tgz_md5", _md5((www / CIFAR10.filename).read_bytes()))
    monkeypatch.setattr(CIFAR10, "train_list", [[n, md5s[n]] for n, _ in CIFAR10.train_list])
    monkeypatch.setattr(CIFAR10, "test_list", [[n, md5s[n]] for n, _ in CIFAR10.test_list])
    monkeypatch.setattr(CIFAR10, "meta", dict(CIFAR10.meta, md5=meta_md5))
    root = tmp_path / "data"
    ds = datasets.CIFAR10(root=str(root), train=True, download=True)
    assert len(ds) == 10 and (root / "cifar-10-batches-py" / "data_batch_5").is_file()
    assert sorted(p for p in os.listdir(root) if p.startswith(".")) == []  # no temporary folders left
    datasets.CIFAR10(root=str(root), train=False, download=True)
    assert handler.requests == ["/" + CIFAR10.filename]


def test_cifar10_download_bad_checksum_and_offline(server, dead_url, tmp_path, monkeypatch):
    base, www, _ = server
    _cifar_archive(tmp_path, www)
    monkeypatch.setattr(CIFAR10, "url", base + CIFAR10.filename)  # published tgz_md5 does not match
    root = tmp_path / "data"
    with pytest.raises(RuntimeError, match="the corrupted file was deleted"):
        datasets.CIFAR10(root=str(root), download=True)
    assert os.listdir(root) == []
    monkeypatch.setattr(CIFAR10, "url", dead_url + CIFAR10.filename)
    with pytest.raises(RuntimeError) as info:
        datasets.CIFAR10(root=str(root), download=True)
    assert f"Tried {dead_url}{CIFAR10.filename}" in str(info.value)
    assert str(root / CIFAR10.filename) in str(info.value)


def test_extract_archive_kinds(tmp_path):
    payload = b"inside the archive"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("folder/a.txt", payload)
    (tmp_path / "x.zip").write_bytes(buf.getvalue())
    utils.extract_archive(str(tmp_path / "x.zip"), str(tmp_path / "out"))
    assert (tmp_path / "out" / "folder" / "a.txt").read_bytes() == payload
    (tmp_path / "b.txt.gz").write_bytes(gzip.compress(payload))
    utils.extract_archive(str(tmp_path / "b.txt.gz"), remove_finished=True)
    assert (tmp_path / "b.txt").read_bytes() == payload and not (tmp_path / "b.txt.gz").exists()
    with pytest.raises(RuntimeError, match="Archive type of .* is not supported"):
        utils.extract_archive(str(tmp_path / "b.txt"))


def test_extract_archive_refuses_path_escape(tmp_path):
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    with pytest.raises(tarfile.TarError):
        utils.extract_archive(str(evil), str(tmp_path / "out"))
    assert not (tmp_path / "escaped.txt").exists()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("../escaped.txt", b"bad")
    (tmp_path / "evil.zip").write_bytes(buf.getvalue())
    with pytest.raises(RuntimeError, match="Refusing to extract"):
        utils.extract_archive(str(tmp_path / "evil.zip"), str(tmp_path / "out"))
    assert not (tmp_path / "escaped.txt").exists()


def test_verify_str_arg():
    assert utils.verify_str_arg("a", "x", ("a", "b")) == "a"
    with pytest.raises(ValueError, match="Unknown value 'c' for argument x. Valid values are {'a', 'b'}."):
        utils.verify_str_arg("c", "x", ("a", "b"))
    with pytest.raises(ValueError, match="Expected type str for argument x, but got type <class 'int'>."):
        utils.verify_str_arg(3, "x")
