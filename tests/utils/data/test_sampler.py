"""Samplers against torch.utils.data.

Orders that depend on random numbers cannot equal torch's (ember's generator is PCG64, torch's is a Mersenne
Twister), so those tests check structure and statistics against torch and reproducibility with ember seeds;
deterministic orders are compared with torch exactly.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
import ember.utils.data as eud


def test_sequential_sampler():
    assert list(eud.SequentialSampler(range(7))) == list(tud.SequentialSampler(range(7)))
    assert len(eud.SequentialSampler(range(7))) == 7


@pytest.mark.parametrize("n,num_samples", [(10, None), (10, 4), (10, 25), (1, 3)])
def test_random_sampler_without_replacement(n, num_samples):
    e = list(eud.RandomSampler(range(n), num_samples=num_samples, generator=ember.Generator().manual_seed(0)))
    t = list(tud.RandomSampler(range(n), num_samples=num_samples, generator=torch.Generator().manual_seed(0)))
    assert len(e) == len(t)
    # whole passes are permutations, the tail is distinct indices: same counting structure as torch
    full, tail = divmod(len(e), n)
    for k in range(full):
        assert sorted(e[k * n:(k + 1) * n]) == sorted(t[k * n:(k + 1) * n]) == list(range(n))
    assert len(set(e[full * n:])) == tail


def test_random_sampler_with_replacement_distribution():
    e = list(eud.RandomSampler(range(5), replacement=True, num_samples=5000,
                               generator=ember.Generator().manual_seed(1)))
    assert len(e) == 5000 and set(e) <= set(range(5))
    counts = np.bincount(e, minlength=5) / 5000
    np.testing.assert_allclose(counts, 0.2, atol=0.03)
    assert len(eud.RandomSampler(range(5), replacement=True, num_samples=70)) == 70
    assert len(list(eud.RandomSampler(range(5), replacement=True, num_samples=70))) == 70


def test_random_sampler_reproducibility():
    def draw(**kw):
        return list(eud.RandomSampler(range(20), **kw))

    assert draw(generator=ember.Generator().manual_seed(5)) == draw(generator=ember.Generator().manual_seed(5))
    assert draw(generator=ember.Generator().manual_seed(5)) != draw(generator=ember.Generator().manual_seed(6))
    ember.manual_seed(0)
    a, b = draw(), draw()
    assert a != b  # a fresh seed per pass from the default generator
    ember.manual_seed(0)
    assert draw() == a and draw() == b
    # with an explicit generator the order is its randperm
    assert draw(generator=ember.Generator().manual_seed(9)) == ember.randperm(
        20, generator=ember.Generator().manual_seed(9)).tolist()


@pytest.mark.parametrize("kwargs,exc,msg", [
    ({"replacement": 1}, TypeError, "replacement should be a boolean value, but got replacement=1"),
    ({"num_samples": 0}, ValueError, "num_samples should be a positive integer value, but got num_samples=0"),
    ({"num_samples": 2.0}, ValueError, "num_samples should be a positive integer value"),
])
def test_random_sampler_errors(kwargs, exc, msg):
    for mod in (eud, tud):
        with pytest.raises(exc, match=msg):
            mod.RandomSampler(range(3), **kwargs)


def test_subset_random_sampler():
    indices = [10, 4, 7, 1, 99]
    gen = ember.Generator().manual_seed(2)
    e = list(eud.SubsetRandomSampler(indices, generator=gen))
    perm = ember.randperm(5, generator=ember.Generator().manual_seed(2)).tolist()
    assert e == [indices[i] for i in perm]
    t = list(tud.SubsetRandomSampler(indices, generator=torch.Generator().manual_seed(2)))
    assert sorted(e) == sorted(t) and len(eud.SubsetRandomSampler(indices)) == 5


def test_weighted_random_sampler():
    weights = [0.1, 0.0, 0.6, 0.3]
    e = list(eud.WeightedRandomSampler(weights, 6000, generator=ember.Generator().manual_seed(0)))
    t = list(tud.WeightedRandomSampler(weights, 6000, generator=torch.Generator().manual_seed(0)))
    ce, ct = Counter(e), Counter(t)
    assert ce[1] == ct[1] == 0
    for k in (0, 2, 3):
        assert abs(ce[k] / 6000 - weights[k]) < 0.03 and abs(ct[k] / 6000 - weights[k]) < 0.03
    no_repl = list(eud.WeightedRandomSampler([1.0, 2.0, 3.0, 4.0], 4, replacement=False))
    assert sorted(no_repl) == [0, 1, 2, 3]
    s = eud.WeightedRandomSampler(weights, 7)
    assert len(s) == 7 and s.weights.dtype == ember.float64
    g1, g2 = ember.Generator().manual_seed(4), ember.Generator().manual_seed(4)
    assert list(eud.WeightedRandomSampler(weights, 20, generator=g1)) == list(
        eud.WeightedRandomSampler(weights, 20, generator=g2))


@pytest.mark.parametrize("weights,kwargs,msg", [
    ([1.0, 2.0], {"num_samples": 0}, "num_samples should be a positive integer value, but got num_samples=0"),
    ([1.0, 2.0], {"num_samples": 2, "replacement": 1}, "replacement should be a boolean value"),
    ([[1.0, 2.0]], {"num_samples": 2}, r"weights should be a 1d sequence but given weights have shape \(1, 2\)"),
])
def test_weighted_random_sampler_errors(weights, kwargs, msg):
    for mod in (eud, tud):
        with pytest.raises(ValueError, match=msg):
            mod.WeightedRandomSampler(weights, **kwargs)


@pytest.mark.parametrize("n,batch_size,drop_last", [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False),
                                                    (2, 5, True), (0, 2, False)])
def test_batch_sampler(n, batch_size, drop_last):
    e = eud.BatchSampler(eud.SequentialSampler(range(n)), batch_size, drop_last)
    t = tud.BatchSampler(tud.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(e) == list(t) and len(e) == len(t)


@pytest.mark.parametrize("args,msg", [((0, False), "batch_size should be a positive integer value, but got "
                                       "batch_size=0"),
                                      ((True, False), "batch_size should be a positive integer value"),
                                      ((2, 1), "drop_last should be a boolean value, but got drop_last=1")])
def test_batch_sampler_errors(args, msg):
    for mod in (eud, tud):
        with pytest.raises(ValueError, match=msg):
            mod.BatchSampler(range(3), *args)


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (2, 4, False), (12, 4, True),
                                                  (5, 2, False)])
def test_distributed_sampler_deterministic_matches_torch(n, replicas, drop_last):
    for rank in range(replicas):
        e = eud.DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        t = tud.DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(e) == list(t) and len(e) == len(t) and e.total_size == t.total_size


@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_shuffle(drop_last):
    n, replicas = 11, 3
    shards = [list(eud.DistributedSampler(range(n), replicas, r, seed=5, drop_last=drop_last))
              for r in range(replicas)]
    tshards = [list(tud.DistributedSampler(range(n), replicas, r, seed=5, drop_last=drop_last))
               for r in range(replicas)]
    assert [len(s) for s in shards] == [len(s) for s in tshards]
    # ranks interleave one permutation (seed + epoch), padded with its head or trimmed
    perm = ember.randperm(n, generator=ember.Generator().manual_seed(5)).tolist()
    total = len(shards[0]) * replicas
    padded = (perm + perm)[:total]
    assert shards == [padded[r:total:replicas] for r in range(replicas)]
    s = eud.DistributedSampler(range(n), replicas, 0, seed=5, drop_last=drop_last)
    first = list(s)
    s.set_epoch(1)
    assert list(s) != first
    s.set_epoch(0)
    assert list(s) == first


def test_distributed_sampler_errors():
    for mod in (eud, tud):
        with pytest.raises(ValueError, match=r"Invalid rank 3, rank should be in the interval \[0, 2\]"):
            mod.DistributedSampler(range(4), num_replicas=3, rank=3)
    with pytest.raises(RuntimeError, match="Requires distributed package to be available"):
        eud.DistributedSampler(range(4))
