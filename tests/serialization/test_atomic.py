"""Atomic saves: a crash or an error mid-save leaves the previous checkpoint loadable."""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time

import pytest
import torch

import ember
import ember.serialization._zip_format as Z
from tests.helpers import assert_same

_CHILD = r"""
import sys, time
import ember
import ember.serialization._zip_format as Z

original = Z.ArchiveWriter.write_record

def paused(self, name, data):
    original(self, name, data)
    if name == "data/0":  # half-way: the pickle and one storage are on disk, the rest is not
        self._fp.flush()
        open(sys.argv[2], "w").close()
        time.sleep(120)

Z.ArchiveWriter.write_record = paused
ember.save({"w": ember.full((50_000,), 2.0), "b": ember.full((10,), 2.0)}, sys.argv[1])
"""


def _old_checkpoint(path):
    ember.save({"w": ember.full((5,), 1.0), "b": ember.zeros(2)}, path)


def test_kill_during_save_keeps_old_checkpoint(tmp_path):
    path = tmp_path / "ckpt.pt"
    ready = tmp_path / "ready"
    _old_checkpoint(path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(path), str(ready)], env=env)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert child.poll() is None, "the child exited before reaching the pause"
            assert time.monotonic() < deadline, "the child never reached the pause"
            time.sleep(0.02)
        leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".ckpt.pt.")]
        assert len(leftovers) == 1 and leftovers[0].stat().st_size > 200_000  # the new data was being written
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL
    loaded = ember.load(path)
    assert_same(loaded["w"], torch.full((5,), 1.0))
    assert_same(loaded["b"], torch.zeros(2))
    torch.testing.assert_close(torch.load(path, weights_only=True)["w"], torch.full((5,), 1.0))


def test_error_mid_write_keeps_old_file_and_removes_temp(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    _old_checkpoint(path)
    before = path.read_bytes()
    original = Z.ArchiveWriter.write_record

    def failing(self, name, data):
        original(self, name, data)
        if name == "data/0":
            raise OSError("disk full")

    monkeypatch.setattr(Z.ArchiveWriter, "write_record", failing)
    with pytest.raises(OSError, match="disk full"):
        ember.save({"w": ember.ones(3)}, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


def test_unpicklable_object_keeps_old_file(tmp_path):
    path = tmp_path / "ckpt.pt"
    _old_checkpoint(path)
    before = path.read_bytes()
    with pytest.raises(pickle.PicklingError, match="Can.t pickle"):
        ember.save({"f": lambda x: x}, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


def test_new_file_gets_normal_permissions_and_replaces_old(tmp_path):
    path = tmp_path / "new.pt"
    ember.save(ember.ones(2), path)
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
    os.chmod(path, 0o640)
    ember.save(ember.zeros(2), path)
    assert path.stat().st_mode & 0o777 == 0o640
    assert_same(ember.load(path), torch.zeros(2))


def test_save_to_a_directory_raises(tmp_path):
    with pytest.raises(IsADirectoryError):
        ember.save(ember.ones(1), tmp_path)


def test_missing_parent_directory_raises_like_torch(tmp_path):
    with pytest.raises(RuntimeError, match=f"Parent directory {tmp_path / 'nodir'} does not exist."):
        torch.save(torch.ones(1), tmp_path / "nodir" / "x.pt")
    with pytest.raises(RuntimeError, match=f"Parent directory {tmp_path / 'nodir'} does not exist."):
        ember.save(ember.ones(1), tmp_path / "nodir" / "x.pt")
