"""Datasets (ember.utils.data.dataset) against torch.utils.data."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
import ember.utils.data as eud

from ._common import IndexDataset, assert_batch_equal


class _RangeBody:
    """range(lo, hi) as an iterable dataset with a length; mixed into each library's IterableDataset."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def __iter__(self):
        return iter(range(self.lo, self.hi))

    def __len__(self):
        return self.hi - self.lo


class Range(_RangeBody, eud.IterableDataset):
    pass


class TRange(_RangeBody, tud.IterableDataset):
    pass


def _tensors(lib):
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.arange(6)
    return lib.from_numpy(x.copy()), lib.from_numpy(y.copy())


@pytest.mark.parametrize("index", [0, 5, -1, slice(1, 4), [0, 2]])
def test_tensor_dataset(index):
    e, t = eud.TensorDataset(*_tensors(ember)), tud.TensorDataset(*_tensors(torch))
    assert len(e) == len(t) == 6
    assert_batch_equal(e[index], t[index])


def test_tensor_dataset_size_mismatch():
    for lib, mod in ((ember, eud), (torch, tud)):
        with pytest.raises(AssertionError, match="Size mismatch between tensors"):
            mod.TensorDataset(lib.zeros(3), lib.zeros(4))


def test_base_dataset_errors():
    with pytest.raises(NotImplementedError, match="Subclasses of Dataset should implement __getitem__."):
        eud.Dataset()[0]
    with pytest.raises(NotImplementedError):
        iter(eud.IterableDataset())


@pytest.mark.parametrize("index", [0, 2, 3, 9, -1, -10])
def test_concat_dataset(index):
    e = eud.ConcatDataset([IndexDataset(3), eud.Subset(IndexDataset(10), [5, 6, 7]), IndexDataset(4)])
    t = tud.ConcatDataset([IndexDataset(3), tud.Subset(IndexDataset(10), [5, 6, 7]), IndexDataset(4)])
    assert len(e) == len(t) == 10 and e.cumulative_sizes == t.cumulative_sizes
    assert e[index] == t[index]


def test_concat_dataset_errors_and_add():
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        eud.ConcatDataset([IndexDataset(3)])[-4]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        eud.ConcatDataset([])
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        eud.ConcatDataset([Range(0, 2)])
    e = eud.Subset(IndexDataset(5), [1, 2]) + eud.Subset(IndexDataset(5), [4])
    assert isinstance(e, eud.ConcatDataset) and [e[i] for i in range(3)] == [1, 2, 4]


def test_chain_dataset():
    e, t = eud.ChainDataset([Range(0, 3), Range(10, 12)]), tud.ChainDataset([TRange(0, 3), TRange(10, 12)])
    assert list(e) == list(t) and len(e) == len(t) == 5
    both = Range(0, 2) + Range(5, 6)
    assert isinstance(both, eud.ChainDataset) and list(both) == [0, 1, 5]
    with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
        list(eud.ChainDataset([IndexDataset(2)]))


def test_subset():
    e, t = eud.Subset(IndexDataset(10), [7, 3, 3, 1]), tud.Subset(IndexDataset(10), [7, 3, 3, 1])
    assert len(e) == len(t) == 4
    assert [e[i] for i in range(4)] == [t[i] for i in range(4)]
    assert e.__getitems__([0, 3]) == t.__getitems__([0, 3])


def test_stack_dataset():
    e = eud.StackDataset(IndexDataset(3), eud.Subset(IndexDataset(9), [4, 5, 6]))
    t = tud.StackDataset(IndexDataset(3), tud.Subset(IndexDataset(9), [4, 5, 6]))
    assert len(e) == len(t) and e[1] == t[1] and e.__getitems__([0, 2]) == t.__getitems__([0, 2])
    e = eud.StackDataset(a=IndexDataset(3), b=eud.Subset(IndexDataset(9), [4, 5, 6]))
    t = tud.StackDataset(a=IndexDataset(3), b=tud.Subset(IndexDataset(9), [4, 5, 6]))
    assert e[2] == t[2] and e.__getitems__([2, 0]) == t.__getitems__([2, 0])


@pytest.mark.parametrize("args,kwargs,msg", [
    ((IndexDataset(2), IndexDataset(3)), {}, "Size mismatch between datasets"),
    ((IndexDataset(2),), {"b": IndexDataset(2)}, "both types are given"),
    ((), {}, "At least one dataset should be passed"),
])
def test_stack_dataset_errors(args, kwargs, msg):
    for mod in (eud, tud):
        with pytest.raises(ValueError, match=msg):
            mod.StackDataset(*args, **kwargs)


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.5, 0.25, 0.25], [0.33, 0.33, 0.34], [2, 2, 6]])
def test_random_split_lengths_match_torch(lengths):
    # The permutation comes from ember's own generator (PCG64), so only lengths and structure can match torch.
    e = eud.random_split(IndexDataset(10), lengths, generator=ember.Generator().manual_seed(0))
    t = tud.random_split(IndexDataset(10), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in e] == [len(s) for s in t]
    items = sorted(i for s in e for i in (s[j] for j in range(len(s))))
    assert items == list(range(10))  # a partition of the dataset


def test_random_split_reproducible_and_uses_generator():
    def split(gen):
        return [list(s.indices) for s in eud.random_split(IndexDataset(50), [20, 30], generator=gen)]

    assert split(ember.Generator().manual_seed(3)) == split(ember.Generator().manual_seed(3))
    assert split(ember.Generator().manual_seed(3)) != split(ember.Generator().manual_seed(4))
    ember.manual_seed(7)
    a = split(None)
    ember.manual_seed(7)
    assert split(None) == a
    # the split is the generator's randperm cut into consecutive pieces
    perm = ember.randperm(50, generator=ember.Generator().manual_seed(3)).tolist()
    assert split(ember.Generator().manual_seed(3)) == [perm[:20], perm[20:]]


def test_random_split_errors_and_warning():
    for mod in (eud, tud):
        with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset"):
            mod.random_split(IndexDataset(10), [3, 3])
        with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
            mod.random_split(IndexDataset(10), [0.5, 1.5, -1.0])
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            mod.random_split(IndexDataset(3), [0.9, 0.1, 0.0])
        assert any("Length of split at index 2 is 0" in str(x.message) for x in w)
