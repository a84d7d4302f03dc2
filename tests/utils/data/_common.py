"""Shared pieces of the ember.utils.data tests: datasets written once for both libraries, batch comparison,
and leak checks (worker processes, shared-memory segments)."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
import ember.utils.data as eud

LIBS = {"ember": (ember, eud), "torch": (torch, tud)}


def assert_batch_equal(e, t) -> None:
    """A nested ember batch equals a torch batch exactly: structure, container types, dtypes, values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"expected an ember Tensor, got {type(e)}"
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], f"dtype {e.dtype} != {t.dtype}"
        assert tuple(e.shape) == tuple(t.shape), f"shape {tuple(e.shape)} != {tuple(t.shape)}"
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    elif isinstance(t, dict):
        assert type(e).__name__ == type(t).__name__ and list(e) == list(t)
        for k in t:
            assert_batch_equal(e[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(e).__name__ == type(t).__name__, f"{type(e)} != {type(t)}"
        assert len(e) == len(t)
        for a, b in zip(e, t):
            assert_batch_equal(a, b)
    elif isinstance(t, np.ndarray):
        assert isinstance(e, np.ndarray) and e.dtype == t.dtype
        np.testing.assert_array_equal(e, t)
    else:
        assert type(e) is type(t) and e == t, f"{e!r} != {t!r}"


def make_data(n: int = 23, seed: int = 0):
    """Deterministic features (n, 3) float32 and int labels."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 3)).astype(np.float32), rng.integers(0, 5, n)


def array_dataset(lib: str, n: int = 23, seed: int = 0):
    """A map-style dataset of the given library returning (tensor features, int label)."""
    mod, data = LIBS[lib]
    x, y = make_data(n, seed)

    class ArrayDataset(data.Dataset):
        def __len__(self):
            return len(x)

        def __getitem__(self, i):
            return mod.from_numpy(x[i].copy()), int(y[i])

    return ArrayDataset()


class IndexDataset:
    """Sample i is i (works for both libraries: a plain sequence-like map dataset)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        return i


class BigSampleDataset:
    """Samples large enough (32 KB) that batches go through shared memory."""

    def __init__(self, n: int = 12) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        return np.full((8, 1024), i, np.float32), i


class FailingDataset(BigSampleDataset):
    """Raises ValueError at index 5."""

    def __getitem__(self, i):
        if i == 5:
            raise ValueError("bad sample 5")
        return super().__getitem__(i)


class KillingDataset(BigSampleDataset):
    """The worker that fetches index 5 kills itself with SIGKILL."""

    def __getitem__(self, i):
        if i == 5:
            os.kill(os.getpid(), signal.SIGKILL)
        return super().__getitem__(i)


class SlowDataset(BigSampleDataset):
    """Index 5 takes 3 seconds."""

    def __getitem__(self, i):
        if i == 5:
            time.sleep(3)
        return super().__getitem__(i)


def child_pids() -> set[int]:
    """Live child processes of this process (from /proc), zombies and multiprocessing's helper excluded."""
    from multiprocessing import resource_tracker

    me = os.getpid()
    helper = getattr(resource_tracker._resource_tracker, "_pid", None)  # started once by the spawn method
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me and fields[0] != "Z" and int(entry) != helper:
            found.add(int(entry))
    return found


def shm_segments(owner: int | None = None) -> set[str]:
    """ember DataLoader shared-memory segments that exist now (only those of loaders in process `owner`)."""
    prefix = "ember_dl_" if owner is None else f"ember_dl_{owner}_"
    return {n for n in os.listdir("/dev/shm") if n.startswith(prefix)}


@pytest.fixture
def no_leaks():
    """After the test: no new child process and no ember segment in /dev/shm (leftovers are killed)."""
    import gc

    before_children, before_shm = child_pids(), shm_segments()
    yield
    gc.collect()
    deadline = time.monotonic() + 5
    while child_pids() - before_children and time.monotonic() < deadline:
        time.sleep(0.05)
    left = child_pids() - before_children
    for pid in left:  # clean up what this test started, then fail
        os.kill(pid, signal.SIGKILL)
    leaked = shm_segments() - before_shm
    for name in leaked:
        os.unlink(os.path.join("/dev/shm", name))
    assert not left, f"worker processes left running: {left}"
    assert not leaked, f"shared-memory segments leaked: {leaked}"
