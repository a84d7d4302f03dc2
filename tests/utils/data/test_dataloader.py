"""DataLoader arguments, errors, len() rules and batch contents against torch's DataLoader.

Worker-process behaviour (seeding, errors in workers, shutdown and leaks) is in test_workers.py.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
import ember.utils.data as eud

from ._common import IndexDataset, array_dataset, assert_batch_equal, no_leaks  # noqa: F401


class Stream(eud.IterableDataset):
    """0..n-1, split between workers by get_worker_info (contiguous shards)."""

    def __init__(self, n, report_len=None):
        self.n, self.report_len = n, report_len

    def __iter__(self):
        return iter(_shard(self.n, eud.get_worker_info()))

    def __len__(self):
        return self.n if self.report_len is None else self.report_len


class TStream(tud.IterableDataset):
    def __init__(self, n, report_len=None):
        self.n, self.report_len = n, report_len

    def __iter__(self):
        return iter(_shard(self.n, tud.get_worker_info()))

    def __len__(self):
        return self.n if self.report_len is None else self.report_len


def _shard(n, info):
    if info is None:
        return range(n)
    per = math.ceil(n / info.num_workers)
    return range(info.id * per, min(n, (info.id + 1) * per))


def _pair(make_kwargs, n=23, **extra):
    """The same loader configuration on both libraries."""
    e = eud.DataLoader(array_dataset("ember", n), **make_kwargs("ember"), **extra)
    t = tud.DataLoader(array_dataset("torch", n), **make_kwargs("torch"), **extra)
    return e, t


def _collate_sum(batch):
    xs, ys = zip(*batch)
    return sum(ys), len(xs)


CONFIGS = {
    "default": lambda lib: {},
    "batch4": lambda lib: {"batch_size": 4},
    "batch4_drop_last": lambda lib: {"batch_size": 4, "drop_last": True},
    "no_batching": lambda lib: {"batch_size": None},
    "sampler_list": lambda lib: {"sampler": [5, 3, 3, 0, 22, 7, 1], "batch_size": 3},
    "batch_sampler": lambda lib: {"batch_sampler": [[1, 2], [9], [0, 4, 8, 20]]},
    "subset_sampler_no_batch": lambda lib: {"sampler": [4, 2, 19], "batch_size": None},
    "collate_fn": lambda lib: {"batch_size": 5, "collate_fn": _collate_sum},
    "sequential_sampler": lambda lib: {"sampler": (eud if lib == "ember" else tud).SequentialSampler(range(23)),
                                       "batch_size": 6},
}


@pytest.mark.parametrize("num_workers", [0, 2])
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_batches_match_torch(config, num_workers, no_leaks):  # noqa: F811
    e, t = _pair(CONFIGS[config], num_workers=num_workers)
    eb, tb = list(e), list(t)
    assert len(eb) == len(tb) == len(e) == len(t)
    for a, b in zip(eb, tb):
        assert_batch_equal(a, b)


@pytest.mark.parametrize("num_workers", [0, 2])
@pytest.mark.parametrize("batch_size,drop_last", [(None, False), (4, False), (4, True), (5, True)])
def test_iterable_dataset_matches_torch(batch_size, drop_last, num_workers, no_leaks):  # noqa: F811
    e = eud.DataLoader(Stream(14), batch_size=batch_size, drop_last=drop_last, num_workers=num_workers)
    t = tud.DataLoader(TStream(14), batch_size=batch_size, drop_last=drop_last, num_workers=num_workers)
    eb, tb = list(e), list(t)
    assert len(eb) == len(tb)
    for a, b in zip(eb, tb):
        assert_batch_equal(a, b)


def test_iterable_dataset_len_and_warning():
    # like torch, the number of batches yielded is compared with len(dataset) (not with len(loader))
    for mod, ds in ((eud, Stream(20, report_len=4)), (tud, TStream(20, report_len=4))):
        loader = mod.DataLoader(ds, batch_size=3)
        assert len(loader) == 2
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            batches = list(loader)
        assert len(batches) == 7
        msgs = [str(x.message) for x in w if "Length of IterableDataset" in str(x.message)]
        assert len(msgs) == 3 and "was reported to be 4(when accessing len(dataloader)), but 5 samples" in msgs[0]
    assert len(eud.DataLoader(Stream(10), batch_size=3, drop_last=True)) == 3
    assert len(eud.DataLoader(Stream(10), batch_size=None)) == 10


@pytest.mark.parametrize("kwargs", [
    {"batch_size": 4}, {"batch_size": 4, "drop_last": True}, {"batch_size": None},
    {"batch_sampler": [[0], [1, 2]]}, {"sampler": [1, 2, 3], "batch_size": 2},
])
def test_len_matches_torch(kwargs):
    assert len(eud.DataLoader(IndexDataset(10), **kwargs)) == len(tud.DataLoader(IndexDataset(10), **kwargs))


@pytest.mark.parametrize("num_workers", [0, 2])
def test_shuffle_is_a_permutation_and_reproducible(num_workers, no_leaks):  # noqa: F811
    def epoch(**kw):
        loader = eud.DataLoader(IndexDataset(20), batch_size=6, shuffle=True, num_workers=num_workers, **kw)
        return [b.tolist() for b in loader]

    ember.manual_seed(0)
    a = epoch()
    t = [b.tolist() for b in tud.DataLoader(IndexDataset(20), batch_size=6, shuffle=True)]
    assert [len(b) for b in a] == [len(b) for b in t] == [6, 6, 6, 2]
    assert sorted(sum(a, [])) == list(range(20))
    ember.manual_seed(0)
    assert epoch() == a
    g = ember.Generator().manual_seed(3)
    b = epoch(generator=g)
    assert epoch(generator=ember.Generator().manual_seed(3)) == b
    assert epoch(generator=g) != b  # the generator moved on: a new order for the next epoch


def test_same_order_with_and_without_workers(no_leaks):  # noqa: F811
    orders = []
    for workers in (0, 2):
        loader = eud.DataLoader(IndexDataset(30), batch_size=4, shuffle=True, num_workers=workers,
                                generator=ember.Generator().manual_seed(11))
        orders.append([b.tolist() for b in loader])
    assert orders[0] == orders[1]


@pytest.mark.parametrize("kwargs", [
    {"num_workers": -1}, {"timeout": -1}, {"prefetch_factor": 2}, {"num_workers": 1, "prefetch_factor": -1},
    {"persistent_workers": True}, {"sampler": [0, 1], "shuffle": True},
    {"batch_sampler": [[0]], "batch_size": 2}, {"batch_sampler": [[0]], "shuffle": True},
    {"batch_sampler": [[0]], "sampler": [0]}, {"batch_sampler": [[0]], "drop_last": True},
    {"batch_size": None, "drop_last": True}, {"multiprocessing_context": "fork"},
    {"num_workers": 1, "multiprocessing_context": "nonsense"}, {"num_workers": 1, "multiprocessing_context": 3},
])
def test_argument_errors_match_torch(kwargs):
    with pytest.raises(Exception) as te:
        tud.DataLoader(IndexDataset(4), **kwargs)
    with pytest.raises(type(te.value)) as ee:
        eud.DataLoader(IndexDataset(4), **kwargs)
    assert str(ee.value) == str(te.value)


@pytest.mark.parametrize("kwargs", [{"shuffle": True}, {"sampler": [0]}, {"batch_sampler": [[0]]}])
def test_iterable_dataset_argument_errors(kwargs):
    with pytest.raises(ValueError) as te:
        tud.DataLoader(TStream(4), **kwargs)
    with pytest.raises(ValueError) as ee:
        eud.DataLoader(Stream(4), **kwargs)
    assert str(ee.value) == str(te.value)


def test_timeout_without_workers_fails_at_iter():
    for mod in (eud, tud):
        loader = mod.DataLoader(IndexDataset(4), timeout=1)
        with pytest.raises(AssertionError, match="requires timeout == 0"):
            iter(loader)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # torch's iterator __del__ noise
def test_zero_prefetch_factor_fails_at_iter():
    for mod in (eud, tud):
        loader = mod.DataLoader(IndexDataset(4), num_workers=1, prefetch_factor=0)
        with pytest.raises(AssertionError, match="prefetch_factor must be greater than 0"):
            iter(loader)


def test_attributes_frozen_after_init():
    loader = eud.DataLoader(IndexDataset(4), batch_size=2)
    for attr in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers"):
        with pytest.raises(ValueError, match=f"{attr} attribute should not be set after DataLoader is initialized"):
            setattr(loader, attr, None)
    loader.num_workers = 0  # not restricted, like torch


def test_defaults_and_attributes_match_torch():
    e, t = eud.DataLoader(IndexDataset(4)), tud.DataLoader(IndexDataset(4))
    for attr in ("batch_size", "drop_last", "num_workers", "timeout", "prefetch_factor", "pin_memory",
                 "persistent_workers", "worker_init_fn", "generator", "multiprocessing_context"):
        assert getattr(e, attr) == getattr(t, attr), attr
    assert type(e.sampler).__name__ == type(t.sampler).__name__ == "SequentialSampler"
    assert type(e.batch_sampler).__name__ == "BatchSampler" and e.collate_fn is eud.default_collate
    assert eud.DataLoader(IndexDataset(4), batch_size=None).collate_fn is eud.default_convert
    assert type(eud.DataLoader(IndexDataset(4), shuffle=True).sampler).__name__ == "RandomSampler"
    assert eud.DataLoader(IndexDataset(4), num_workers=2).prefetch_factor == 2


def test_pin_memory_is_a_documented_no_op():
    loader = eud.DataLoader(array_dataset("ember", 5), batch_size=2, pin_memory=True)
    with pytest.warns(UserWarning, match="'pin_memory' argument is set as true but no accelerator is found"):
        batches = list(loader)
    ref = list(tud.DataLoader(array_dataset("torch", 5), batch_size=2))
    for a, b in zip(batches, ref):
        assert_batch_equal(a, b)


def test_dataset_with_getitems_is_used_for_batches():
    class Batched(eud.Dataset):
        calls = []

        def __len__(self):
            return 5

        def __getitem__(self, i):
            raise AssertionError("__getitems__ should be used")

        def __getitems__(self, indices):
            self.calls.append(list(indices))
            return [np.float64(i) for i in indices]

    out = [b.tolist() for b in eud.DataLoader(Batched(), batch_size=2)]
    assert out == [[0.0, 1.0], [2.0, 3.0], [4.0]] and Batched.calls == [[0, 1], [2, 3], [4]]


def test_tensor_dataset_loader_matches_torch():
    x = np.arange(30, dtype=np.float32).reshape(10, 3)
    y = np.arange(10)
    e = eud.DataLoader(eud.TensorDataset(ember.from_numpy(x), ember.from_numpy(y)), batch_size=4)
    t = tud.DataLoader(tud.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=4)
    for a, b in zip(list(e), list(t)):
        assert_batch_equal(a, b)
