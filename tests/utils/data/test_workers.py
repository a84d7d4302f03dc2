"""Worker processes: seeding, worker info, shared-memory batches, errors raised in workers, killed workers,
timeouts, persistent workers and clean shutdown (no process or shared-memory segment left behind)."""

from __future__ import annotations

import gc
import os
import random
import time

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
import ember.utils.data as eud

from ._common import (
    BigSampleDataset,
    FailingDataset,
    KillingDataset,
    SlowDataset,
    assert_batch_equal,
    child_pids,
    no_leaks,  # noqa: F401
    shm_segments,
)
from ._spawn_ds import SpawnDataset


class SeedProbe:
    """Reports, from inside a worker, what torch's or ember's worker seeding produced."""

    def __init__(self, lib: str) -> None:
        self.lib = lib

    def __len__(self) -> int:
        return 4

    def __getitem__(self, i):
        mod, data = (ember, eud) if self.lib == "ember" else (torch, tud)
        info = data.get_worker_info()
        state = np.random.get_state()[1]
        return (info.id, info.num_workers, info.seed, mod.initial_seed(), int(state[5]), int(state[300]),
                random.random(), os.getpid(), info.dataset is self)


def _probe(lib, **kw):
    mod, data = (ember, eud) if lib == "ember" else (torch, tud)
    rows = list(data.DataLoader(SeedProbe(lib), batch_size=None, num_workers=2, **kw))
    return {r[0]: r for r in rows[:2]}  # the first sample of each worker: fresh RNG states


def _expected_rng(worker_id, base_seed):
    """NumPy state words and Python random draw that torch's seeding rule gives for this worker."""
    np.random.seed(np.random.SeedSequence([worker_id, base_seed]).generate_state(4))
    state = np.random.get_state()[1]
    return int(state[5]), int(state[300]), random.Random(base_seed + worker_id).random()


def test_worker_seeding_follows_torch_rule(no_leaks):  # noqa: F811
    saved = np.random.get_state()
    try:
        # the rule, checked on torch's own workers ...
        for lib in ("torch", "ember"):
            rows = _probe(lib)
            base = rows[0][2]
            for wid, (id_, nw, seed, lib_seed, s5, s300, rnd, _pid, same_ds) in rows.items():
                assert id_ == wid and nw == 2 and seed == base + wid and lib_seed == seed
                assert (s5, s300, rnd) == _expected_rng(wid, base), lib
                assert same_ds  # info.dataset is the copy of the dataset this worker serves
    finally:
        np.random.set_state(saved)


def test_worker_base_seed_from_ember_generator(no_leaks):  # noqa: F811
    ember.manual_seed(123)
    a = _probe("ember")
    ember.manual_seed(123)
    b = _probe("ember")
    assert a[0][2] == b[0][2] and a[1][2] == b[1][2]
    g = ember.Generator().manual_seed(5)
    expected = int(ember.Generator().manual_seed(5).random_((), np.int64))
    assert _probe("ember", generator=g)[0][2] == expected


def test_get_worker_info_outside_and_readonly(no_leaks):  # noqa: F811
    assert eud.get_worker_info() is None
    info = eud.WorkerInfo(id=0, num_workers=1, seed=3, dataset=None)
    with pytest.raises(RuntimeError, match="Cannot assign attributes to WorkerInfo objects"):
        info.id = 1


def _init_fn(worker_id):
    np.random.seed(1000 + worker_id)


def test_worker_init_fn_runs_in_each_worker(no_leaks):  # noqa: F811
    rows = _probe("ember", worker_init_fn=_init_fn)
    for wid, row in rows.items():
        np.random.seed(1000 + wid)
        assert row[4] == int(np.random.get_state()[1][5])


def test_batches_arrive_through_shared_memory(no_leaks):  # noqa: F811
    loader = eud.DataLoader(BigSampleDataset(12), batch_size=4, num_workers=2)
    batches = list(loader)
    del loader
    gc.collect()
    ref = list(tud.DataLoader(BigSampleDataset(12), batch_size=4, num_workers=0))
    for a, b in zip(batches, ref):
        assert_batch_equal(a, b)
        # zero-copy: the array is a view of a mapping of the (already unlinked) segment
        assert type(_memory_owner(a[0]._data)).__name__ == "mmap"
    assert not shm_segments(owner=os.getpid())  # other processes' segments are not this loader's business
    batches[0][0].add_(1.0)  # the received memory is private and writable
    assert batches[0][0][0, 0, 0].item() == 1.0


def _memory_owner(arr):
    """The object that owns an array's memory (following .base through views)."""
    while isinstance(arr, np.ndarray) and arr.base is not None:
        arr = arr.base
    return arr.obj if isinstance(arr, memoryview) else arr


def _numpy_collate(batch):
    return np.stack([b[0] for b in batch]) * 2.0, [b[1] for b in batch]


def test_custom_collate_numpy_output(no_leaks):  # noqa: F811
    out = list(eud.DataLoader(BigSampleDataset(6), batch_size=3, num_workers=2, collate_fn=_numpy_collate))
    assert [o[1] for o in out] == [[0, 1, 2], [3, 4, 5]]
    assert isinstance(out[1][0], np.ndarray) and out[1][0].shape == (3, 8, 1024)
    assert type(_memory_owner(out[1][0])).__name__ == "mmap"  # large arrays of any collate_fn use shared memory
    np.testing.assert_array_equal(out[1][0][:, 0, 0], [6.0, 8.0, 10.0])


def test_exception_in_worker_is_reraised_with_traceback(no_leaks):  # noqa: F811
    loader = eud.DataLoader(FailingDataset(12), batch_size=2, num_workers=2)
    got = []
    with pytest.raises(ValueError) as err:
        for b in loader:
            got.append(b[1].tolist())
    msg = str(err.value)
    assert got == [[0, 1], [2, 3]]  # every batch before the failing one, in order
    assert msg.startswith("Caught ValueError in DataLoader worker process 0 while fetching index [4, 5].")
    assert "Original Traceback (most recent call last):" in msg and "bad sample 5" in msg
    assert "in __getitem__" in msg
    # torch 2.13 words it "Caught ValueError in DataLoader worker process 0.\nOriginal Traceback ..." (not
    # run here: its workers take ~10 s to shut down after an error); ember adds the failing index


def test_exception_without_workers_is_raised_directly():
    with pytest.raises(ValueError, match="^bad sample 5$"):
        list(eud.DataLoader(FailingDataset(12), batch_size=2))


def test_killed_worker_raises_instead_of_hanging(no_leaks):  # noqa: F811
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited unexpectedly") as err:
        list(eud.DataLoader(KillingDataset(12), batch_size=2, num_workers=2))
    assert time.monotonic() - start < 10
    assert "killed by signal: Killed" in str(err.value)
    assert "killed by signal: Killed" in str(err.value.__cause__)


def test_timeout(no_leaks):  # noqa: F811
    loader = eud.DataLoader(SlowDataset(12), batch_size=2, num_workers=2, timeout=1)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="^DataLoader timed out after 1 seconds$"):
        list(loader)
    assert time.monotonic() - start < 2.5


@pytest.mark.parametrize("how", ["break", "del_iterator", "del_loader_persistent", "raise_in_loop"])
def test_workers_stop_and_segments_are_removed(how, no_leaks):  # noqa: F811
    before = child_pids()
    persistent = how == "del_loader_persistent"
    loader = eud.DataLoader(BigSampleDataset(40), batch_size=2, num_workers=2, persistent_workers=persistent)
    it = iter(loader)
    first = next(it)
    assert len(child_pids() - before) == 2
    if how == "raise_in_loop":
        with pytest.raises(KeyError):
            for _ in it:
                raise KeyError("user error")
    if how == "break":
        for _ in it:
            break
    del it
    if persistent:
        del loader
    gc.collect()
    assert first[0].shape == (2, 8, 1024) and first[1].tolist() == [0, 1]  # still valid after shutdown


def test_persistent_workers_are_reused(no_leaks):  # noqa: F811
    class Pids(BigSampleDataset):
        def __getitem__(self, i):
            return os.getpid()

    loader = eud.DataLoader(Pids(8), batch_size=2, num_workers=2, persistent_workers=True)
    first = {p for b in loader for p in b.tolist()}
    partial = iter(loader)
    next(partial)  # stop an epoch early: stale batches must not leak into the next one
    second = [b.tolist() for b in loader]
    assert len(first) == 2 and {p for b in second for p in b} == first and len(second) == 4
    data = eud.DataLoader(BigSampleDataset(8), batch_size=3, num_workers=2, persistent_workers=True)
    assert [b[1].tolist() for b in data] == [b[1].tolist() for b in data] == [[0, 1, 2], [3, 4, 5], [6, 7]]
    del loader, partial, data


def test_spawn_context(no_leaks):  # noqa: F811
    loader = eud.DataLoader(SpawnDataset(), batch_size=3, num_workers=1, multiprocessing_context="spawn")
    batches = list(loader)
    assert [b[1].tolist() for b in batches] == [[0, 1, 2], [3, 4, 5]]
    assert batches[1][0][:, 0, 0].tolist() == [3.0, 4.0, 5.0]


class ShardedStream(eud.IterableDataset):
    """0..n-1; worker k of m yields k, k + m, k + 2m, ..."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = eud.get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))


def test_iterable_dataset_persistent_workers_restart_each_epoch(no_leaks):  # noqa: F811
    loader = eud.DataLoader(ShardedStream(11), batch_size=2, num_workers=2, persistent_workers=True)
    first = [b.tolist() for b in loader]
    second = [b.tolist() for b in loader]
    # batches alternate between the two workers' streams, like torch
    assert first == second == [[0, 2], [1, 3], [4, 6], [5, 7], [8, 10], [9]]
    del loader


def _bad_init(worker_id):
    raise OSError(f"cannot open file in worker {worker_id}")


def _bad_collate(batch):
    raise TypeError("collate failed")


def test_worker_init_fn_and_collate_errors(no_leaks):  # noqa: F811
    with pytest.raises(OSError, match="Caught OSError in DataLoader worker process 0") as err:
        list(eud.DataLoader(BigSampleDataset(8), batch_size=2, num_workers=2, worker_init_fn=_bad_init))
    assert "cannot open file in worker 0" in str(err.value)
    with pytest.raises(TypeError, match=r"(?s)worker process 0 while fetching index \[0, 1\].*collate failed"):
        list(eud.DataLoader(BigSampleDataset(8), batch_size=2, num_workers=2, collate_fn=_bad_collate))


class Unpicklable(BigSampleDataset):
    def __getitem__(self, i):
        return lambda: i


def test_unpicklable_batch_reports_error(no_leaks):  # noqa: F811
    with pytest.raises(Exception, match=r"(?s)Caught .* in DataLoader worker process 0 while sending the batch "
                                        r"of index 0\."):
        list(eud.DataLoader(Unpicklable(4), batch_size=None, sampler=[0, 1], num_workers=2,
                            collate_fn=lambda x: x))


_MAIN_SCRIPT = """
import os, signal, sys, time
import ember.utils.data as eud
from tests.utils.data._spawn_ds import SpawnDataset
loader = eud.DataLoader(SpawnDataset(), batch_size=2, num_workers=2)
it = iter(loader)
next(it)
print(" ".join(str(w.pid) for w in it._workers), it._pool.prefix, flush=True)
sys.stdin.readline()  # the test has seen the workers alive
if sys.argv[1] == "raise":
    raise RuntimeError("main process fails")
time.sleep(60)  # killed by the test
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("how", ["raise", "sigkill"])
def test_workers_and_segments_go_when_the_main_process_dies(how):
    import signal
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    proc = subprocess.Popen([sys.executable, "-c", _MAIN_SCRIPT, how], cwd=root, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        *pids, prefix = proc.stdout.readline().split()
        pids = [int(p) for p in pids]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
        proc.stdin.write("go\n")
        proc.stdin.flush()
        if how == "sigkill":
            proc.send_signal(signal.SIGKILL)  # no atexit, no finalizer: the workers must notice by themselves
        proc.wait(timeout=20)
        assert (proc.returncode == 1) if how == "raise" else (proc.returncode == -signal.SIGKILL)
        deadline = time.monotonic() + 5
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [p for p in pids if _alive(p)]
        for p in left:
            os.kill(p, signal.SIGKILL)
        assert not left, f"orphan workers: {left}"
        assert not {n for n in shm_segments() if n.startswith(prefix)}, "segments left behind"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdin.close()
        proc.stdout.close()
        proc.stderr.close()
