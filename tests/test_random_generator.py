"""Tests for ember._random: determinism, state handling, sample statistics and PyTorch-compatible errors."""

import importlib.util
import math
import re
from pathlib import Path

import numpy as np
import pytest

try:
    import ember._random as R
except Exception:  # ember not importable (yet): the module is standalone, so load it by path
    _spec = importlib.util.spec_from_file_location(
        "ember_random_standalone", Path(__file__).resolve().parents[1] / "ember" / "_random.py"
    )
    R = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(R)

N = 400_000
K = 6  # statistical tolerance in standard errors; with fixed seeds the outcomes are deterministic anyway


def gen(seed: int = 1234) -> "R.Generator":
    return R.Generator().manual_seed(seed)


def assert_clt(value: float, expected: float, se: float) -> None:
    assert abs(value - expected) <= K * se, f"{value} differs from {expected} by more than {K} x {se}"


def torch_error(fn):
    """Run fn with torch and return the exception it raises."""
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as info:
        fn(torch)
    return info.value


def assert_same_error(ours, theirs_fn, prefix_only: bool = False) -> None:
    """Check that `ours` (a callable) raises the same exception type and message as torch does."""
    theirs = torch_error(theirs_fn)
    with pytest.raises(type(theirs)) as info:
        ours()
    if prefix_only:
        assert str(theirs).startswith(str(info.value)) and len(str(info.value)) > 20
    else:
        assert str(info.value) == str(theirs)


# ------------------------------------------------------------------ seeding, determinism, state


def test_same_seed_same_numbers_and_different_seed_differs():
    a, b, c = gen(7), gen(7), gen(8)
    for g in (a, b, c):
        g.randn((3, 4))  # advance all streams identically
    xa, xb, xc = a.rand(1000), b.rand(1000), c.rand(1000)
    assert np.array_equal(xa, xb)
    assert not np.array_equal(xa, xc)
    assert np.array_equal(a.randint(0, 100, 50), b.randint(0, 100, 50))


def test_golden_values_are_stable_across_runs_and_machines():
    # PCG64 seeded through SeedSequence is platform independent; these pin the stream down.
    g = gen(0)
    np.testing.assert_array_equal(g.rand(3, np.float64), [0.6369616873214543, 0.2697867137638703,
                                                           0.04097352393619469])
    np.testing.assert_array_equal(g.randint(0, 1000, 4), [75, 16, 175, 813])


def test_default_seed_and_default_generator():
    assert R.Generator().initial_seed() == 67280421310721
    # Other tests may reseed the shared default_generator, so check a freshly loaded copy of the module.
    spec = importlib.util.spec_from_file_location("ember_random_fresh", R.__file__)
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    assert isinstance(fresh.default_generator, fresh.Generator)
    assert fresh.default_generator.initial_seed() == 67280421310721
    assert np.array_equal(R.Generator().rand(5), R.Generator().manual_seed(67280421310721).rand(5))
    assert R.get_generator(None) is R.default_generator
    g = R.Generator()
    assert R.get_generator(g) is g
    with pytest.raises(TypeError, match="ember Generator"):
        R.get_generator(5)


def test_device_is_stored_as_given():
    marker = object()
    assert R.Generator().device == "cpu"
    assert R.Generator(device=marker).device is marker


@pytest.mark.parametrize("seed", [0, 1, -1, -(2**63), 2**63, 2**64 - 1, np.int64(-5)])
def test_manual_seed_wraps_like_torch(seed):
    torch = pytest.importorskip("torch")
    g = R.Generator()
    assert g.manual_seed(seed) is g
    assert g.initial_seed() == torch.Generator().manual_seed(int(seed)).initial_seed()


def test_negative_seed_equals_its_64_bit_twos_complement():
    assert np.array_equal(gen(-1).rand(10), gen(2**64 - 1).rand(10))


@pytest.mark.parametrize("seed", [2**64, -(2**63) - 1, 2**70])
def test_manual_seed_out_of_range_matches_torch(seed):
    assert_same_error(lambda: R.Generator().manual_seed(seed), lambda t: t.Generator().manual_seed(seed))


@pytest.mark.parametrize("seed", [1.5, "3", True])
def test_manual_seed_rejects_non_integers_like_torch(seed):
    assert_same_error(lambda: R.Generator().manual_seed(seed), lambda t: t.Generator().manual_seed(seed))


def test_seed_is_nondeterministic_and_sets_initial_seed():
    g = R.Generator()
    s1, s2 = g.seed(), g.seed()
    assert s1 != s2 and 0 <= s2 < 2**64
    assert g.initial_seed() == s2
    assert np.array_equal(g.rand(5), gen(s2).rand(5))


def test_get_state_set_state_round_trip_mid_stream():
    g = gen(3)
    g.randn(17, np.float64)
    g.rand(1, np.float32)  # uses half of a 64-bit draw, leaving PCG64 with a buffered 32-bit half-word
    state = g.get_state()
    assert state.dtype == np.uint8 and state.ndim == 1
    expected = [g.rand(100), g.randn(100), g.randint(-5, 5, 100), g.multinomial(np.ones(10), 4)]
    state_copy = state.copy()
    other = gen(99).set_state(state)
    assert other.initial_seed() == 3
    actual = [other.rand(100), other.randn(100), other.randint(-5, 5, 100), other.multinomial(np.ones(10), 4)]
    for x, y in zip(expected, actual):
        assert np.array_equal(x, y)
    assert np.array_equal(state, state_copy)  # set_state did not modify its input


def test_get_state_returns_a_fresh_array():
    g = gen(5)
    state = g.get_state()
    state[:] = 0  # scribbling on the returned array must not touch the generator
    assert np.array_equal(g.rand(10), gen(5).rand(10))
    assert g.get_state() is not g.get_state()


def test_set_state_rejects_bad_states():
    g = gen(1)
    good = g.get_state()
    with pytest.raises(TypeError, match="uint8"):
        g.set_state(good.astype(np.float32))
    with pytest.raises(TypeError, match="uint8"):
        g.set_state(bytes(good))
    with pytest.raises(RuntimeError, match=f"size {good.size} but found the input RNG state size to be 3"):
        g.set_state(np.zeros(3, np.uint8))
    corrupt = good.copy()
    corrupt[20] ^= 1
    with pytest.raises(RuntimeError, match="corrupt"):
        g.set_state(corrupt)
    assert np.array_equal(g.rand(5), gen(1).rand(5))  # failed set_state calls left the generator intact


def test_set_state_error_types_match_torch():
    torch_wrong_dtype = torch_error(lambda t: t.Generator().set_state(t.zeros(3)))
    torch_wrong_size = torch_error(lambda t: t.Generator().set_state(t.zeros(3, dtype=t.uint8)))
    with pytest.raises(type(torch_wrong_dtype)):
        R.Generator().set_state(np.zeros(3))
    with pytest.raises(type(torch_wrong_size)):
        R.Generator().set_state(np.zeros(3, np.uint8))


def test_generators_are_independent():
    a, b = gen(11), gen(11)
    default_state = R.default_generator.get_state()
    a.rand(1000)  # consuming from `a` must not move `b` or the default generator
    assert np.array_equal(b.rand(10), gen(11).rand(10))
    assert np.array_equal(R.default_generator.get_state(), default_state)


# ------------------------------------------------------------------ continuous distributions


def test_rand_statistics():
    x = gen().rand(N, np.float64)
    assert 0 <= x.min() and x.max() < 1
    assert_clt(x.mean(), 0.5, math.sqrt(1 / 12 / N))
    assert_clt(x.std(), math.sqrt(1 / 12), math.sqrt(1 / 60 / N))


def test_randn_statistics():
    x = gen().randn(N, np.float64)
    assert_clt(x.mean(), 0.0, 1 / math.sqrt(N))
    assert_clt(x.std(), 1.0, 1 / math.sqrt(2 * N))


def test_normal_with_scalars_and_broadcast_arrays():
    x = gen().normal(3.0, 2.0, (N,), np.float64)
    assert_clt(x.mean(), 3.0, 2 / math.sqrt(N))
    assert_clt(x.std(), 2.0, 2 / math.sqrt(2 * N))
    mean, std = np.array([[-10.0], [10.0]]), np.array([0.5, 4.0, 0.0])
    y = gen().normal(mean, std)  # shape defaults to the broadcast shape
    assert y.shape == (2, 3) and y.dtype == np.float32
    assert np.array_equal(y[:, 2], [-10.0, 10.0])  # std 0 gives exactly the mean
    z = gen().normal(np.array([5.0, -5.0]), np.array([1.0, 3.0]), (N // 2, 2), np.float64)
    np.testing.assert_allclose(z.mean(axis=0), [5.0, -5.0], atol=K * 3 / math.sqrt(N // 2))
    np.testing.assert_allclose(z.std(axis=0), [1.0, 3.0], atol=K * 3 / math.sqrt(N))


def test_uniform_range_and_statistics():
    x = gen().uniform(N, -2.0, 6.0, np.float64)
    assert -2 <= x.min() and x.max() < 6
    assert_clt(x.mean(), 2.0, 8 * math.sqrt(1 / 12 / N))
    assert np.array_equal(gen().uniform(4, 1.5, 1.5), np.full(4, 1.5, np.float32))


def test_uniform_never_reaches_high_after_rounding():
    # In float16 every sample of [0, 1.0005) within half an ulp of the top rounds to 1.0 == high.
    x = gen().uniform(N, 0.0, 1.0, np.float16)
    assert x.dtype == np.float16 and x.max() < 1.0


def test_float16_rand_is_strictly_below_one_and_covers_the_grid():
    x = gen().rand(N, np.float16)
    assert x.dtype == np.float16
    assert x.max() < 1.0 and x.min() >= 0.0
    assert len(np.unique(x)) == 2048  # every multiple of 2**-11 is reachable
    assert_clt(x.astype(np.float64).mean(), 0.5 - 2**-12, math.sqrt(1 / 12 / N))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_dtypes(dtype):
    g = gen()
    for out in (g.rand((2, 3), dtype), g.randn((2, 3), dtype), g.uniform((2, 3), 0, 1, dtype),
                g.normal(0.0, 1.0, (2, 3), dtype), g.exponential((2, 3), 1.0, dtype),
                g.cauchy((2, 3), 0.0, 1.0, dtype), g.log_normal((2, 3), 0.0, 1.0, dtype),
                g.geometric((2, 3), 0.5, dtype), g.random_((2, 3), dtype), g.randint(0, 5, (2, 3), dtype)):
        assert isinstance(out, np.ndarray) and out.dtype == dtype and out.shape == (2, 3)


def test_complex_rand_and_randn():
    g = gen()
    u = g.rand(N, np.complex128)
    assert u.dtype == np.complex128
    assert 0 <= u.real.min() and u.real.max() < 1 and 0 <= u.imag.min() and u.imag.max() < 1
    z = g.randn(N, np.complex64)
    assert z.dtype == np.complex64
    assert_clt(np.mean(np.abs(z.astype(np.complex128)) ** 2), 1.0, 1 / math.sqrt(N))  # E|z|^2 == 1
    assert_clt(float(np.corrcoef(z.real, z.imag)[0, 1]), 0.0, 1 / math.sqrt(N))


def test_shapes_accept_ints_and_empty():
    g = gen()
    assert g.rand(5).shape == (5,)
    assert g.randn(()).shape == () and isinstance(g.randn(()), np.ndarray)
    assert g.rand((0, 3)).shape == (0, 3)
    assert_same_error(lambda: g.rand((2, -1)), lambda t: t.rand(2, -1))


def test_rand_rejects_integer_dtype():
    with pytest.raises(NotImplementedError, match="int64"):
        gen().rand(3, np.int64)


def test_exponential_geometric_cauchy_log_normal_statistics():
    g = gen()
    e = g.exponential(N, 4.0, np.float64)
    assert e.min() >= 0
    assert_clt(e.mean(), 0.25, 0.25 / math.sqrt(N))
    p = 0.2
    geo = g.geometric(N, p, np.float64)
    assert geo.min() == 1 and np.all(geo == np.round(geo))
    assert_clt(geo.mean(), 1 / p, math.sqrt((1 - p) / p**2 / N))
    c = g.cauchy(N, 3.0, 2.0, np.float64)
    assert_clt(np.median(c), 3.0, math.pi * 2.0 / (2 * math.sqrt(N)))
    assert_clt(np.mean(np.abs(c - 3.0) < 2.0), 0.5, 0.5 / math.sqrt(N))  # half the mass within one scale
    ln = g.log_normal(N, 0.5, 0.25, np.float64)
    assert ln.min() > 0
    assert_clt(np.log(ln).mean(), 0.5, 0.25 / math.sqrt(N))
    assert_clt(np.log(ln).std(), 0.25, 0.25 / math.sqrt(2 * N))


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda g: g.normal(0.0, -1.0, (3,)), lambda t: t.normal(0.0, -1.0, (3,))),
        (lambda g: g.normal(0.0, float("nan"), (3,)), lambda t: t.normal(0.0, float("nan"), (3,))),
        (lambda g: g.normal(np.zeros(3), np.array([1.0, -1.0, 1.0])),
         lambda t: t.normal(t.zeros(3), t.tensor([1.0, -1.0, 1.0]))),
        (lambda g: g.uniform(3, 2.0, 1.0), lambda t: t.empty(3).uniform_(2.0, 1.0)),
        (lambda g: g.exponential(3, 0.0), lambda t: t.empty(3).exponential_(0.0)),
        (lambda g: g.exponential(3, -1.5), lambda t: t.empty(3).exponential_(-1.5)),
        (lambda g: g.geometric(3, 0.0), lambda t: t.empty(3).geometric_(0.0)),
        (lambda g: g.geometric(3, 1.0), lambda t: t.empty(3).geometric_(1.0)),
        (lambda g: g.cauchy(3, 0.0, 0.0), lambda t: t.empty(3).cauchy_(0.0, 0.0)),
        (lambda g: g.log_normal(3, 0.0, -1.0), lambda t: t.empty(3).log_normal_(0.0, -1.0)),
    ],
)
def test_distribution_parameter_errors_match_torch(ours, theirs):
    assert_same_error(lambda: ours(gen()), theirs)


# ------------------------------------------------------------------ discrete distributions


def test_randint_bounds_and_coverage():
    x = gen().randint(-3, 7, N)
    assert x.dtype == np.int64
    assert x.min() == -3 and x.max() == 6
    counts = np.bincount(x + 3)
    assert len(counts) == 10 and counts.min() > 0
    np.testing.assert_allclose(counts / N, 0.1, atol=K * math.sqrt(0.09 / N))


def test_randint_dtypes_and_large_ranges():
    g = gen()
    assert g.randint(0, 2, 100, np.bool_).dtype == np.bool_
    assert g.randint(0, 256, 1000, np.uint8).max() > 200
    big = g.random_(1000, np.uint64)
    assert big.dtype == np.uint64 and big.max() > 2**63  # the full unsigned range is used
    f = g.random_(N, np.float32)
    assert f.min() >= 0 and f.max() <= 2**24 and f.max() > 2**23


@pytest.mark.parametrize("low, high", [(5, 5), (6, 5)])
def test_randint_empty_range_matches_torch(low, high):
    assert_same_error(lambda: gen().randint(low, high, (3,)), lambda t: t.randint(low, high, (3,)))


def test_randint_out_of_dtype_range():
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for uint8"):
        gen().randint(0, 300, 3, np.uint8)
    with pytest.raises(RuntimeError, match="from is out of bounds for uint8"):
        gen().randint(-1, 3, 3, np.uint8)


def test_randperm_is_a_permutation():
    g = gen()
    p = g.randperm(1000)
    assert p.dtype == np.int64
    assert np.array_equal(np.sort(p), np.arange(1000))
    assert not np.array_equal(p, np.arange(1000))
    assert g.randperm(0).shape == (0,)
    assert g.randperm(5, np.float32).dtype == np.float32
    # position of element 0 is uniform over the 4 slots
    firsts = np.array([g.randperm(4)[0] for _ in range(8000)])
    np.testing.assert_allclose(np.bincount(firsts) / 8000, 0.25, atol=K * math.sqrt(0.1875 / 8000))


def test_randperm_errors():
    assert_same_error(lambda: gen().randperm(-1), lambda t: t.randperm(-1))
    with pytest.raises(RuntimeError, match="overflow"):
        gen().randperm(300, np.uint8)


def test_bernoulli_frequency_and_dtype():
    g = gen()
    p = np.array([0.0, 0.1, 0.5, 0.9, 1.0], np.float32)
    x = g.bernoulli(np.broadcast_to(p, (N, 5)))
    assert x.dtype == np.float32 and set(np.unique(x)) <= {0.0, 1.0}
    freq = x.mean(axis=0)
    assert freq[0] == 0 and freq[-1] == 1
    np.testing.assert_allclose(freq, p, atol=K * math.sqrt(0.25 / N))
    assert g.bernoulli(p, np.int64).dtype == np.int64
    assert g.bernoulli(0.5).shape == ()


@pytest.mark.parametrize("p", [1.5, -0.5, float("nan")])
def test_bernoulli_rejects_invalid_p_like_torch(p):
    assert_same_error(lambda: gen().bernoulli(np.array([0.5, p])), lambda t: t.bernoulli(t.tensor([0.5, p])),
                      prefix_only=True)


def test_multinomial_with_replacement_frequencies():
    probs = np.array([0.1, 0.0, 0.6, 0.3, 0.0])
    x = gen().multinomial(probs * 7, N, replacement=True)  # unnormalized weights are fine
    assert x.dtype == np.int64 and x.shape == (N,)
    freq = np.bincount(x, minlength=5) / N
    assert freq[1] == 0 and freq[4] == 0  # zero-probability categories (incl. trailing) never appear
    np.testing.assert_allclose(freq, probs, atol=K * math.sqrt(0.25 / N))


def test_multinomial_2d_rows_are_sampled_independently():
    probs = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 2.0], [1.0, 1.0, 2.0]], np.float32)
    x = gen().multinomial(probs, 50_000, True)
    assert x.shape == (3, 50_000)
    assert np.all(x[0] == 0) and np.all(x[1] == 2)
    n = x.shape[1]
    np.testing.assert_allclose(np.bincount(x[2]) / n, [0.25, 0.25, 0.5], atol=K * math.sqrt(0.25 / n))


def test_multinomial_without_replacement_unique_and_only_nonzero():
    g = gen()
    x = g.multinomial(np.ones((200, 10)), 10)
    assert x.shape == (200, 10)
    assert all(len(set(row)) == 10 for row in x.tolist())
    y = g.multinomial(np.array([0.0, 3.0, 0.0, 1.0, 2.0]), 3)
    assert sorted(y.tolist()) == [1, 3, 4]


def test_multinomial_without_replacement_is_sequential_sampling():
    # P(first=i, second=j) = p_i * p_j / (1 - p_i), the semantics of torch.multinomial without replacement.
    probs = np.array([0.6, 0.3, 0.1])
    n = 200_000
    x = gen().multinomial(np.broadcast_to(probs, (n, 3)), 2)
    pair_freq = np.bincount(x[:, 0] * 3 + x[:, 1], minlength=9).reshape(3, 3) / n
    expected = probs[:, None] * probs[None, :] / (1 - probs[:, None])
    np.fill_diagonal(expected, 0)
    np.testing.assert_allclose(pair_freq, expected, atol=K * math.sqrt(0.25 / n))


def test_multinomial_fills_with_zero_probability_categories_like_torch():
    torch = pytest.importorskip("torch")
    probs = [0.0, 0.0, 0.0, 1.0, 0.0]
    theirs = torch.multinomial(torch.tensor(probs), 3)
    ours = gen().multinomial(np.array(probs), 3)
    assert ours[0] == theirs[0] == 3
    assert len(set(ours.tolist())) == 3


def test_multinomial_empty_rows():
    assert gen().multinomial(np.ones((0, 3)), 2).shape == (0, 2)
    assert gen().multinomial(np.ones((0, 3)), 2, True).shape == (0, 2)


@pytest.mark.parametrize(
    "probs, n, replacement",
    [
        ([0.0, 0.0], 1, False),
        ([0.0, 0.0], 1, True),
        ([[1.0, 1.0], [0.0, 0.0]], 1, False),
        ([-1.0, 2.0], 1, False),
        ([float("inf"), 2.0], 1, False),
        ([float("nan"), 2.0], 1, True),
        ([1.0, 2.0], 3, False),
        ([-1.0, 0.0], 3, False),  # the size check comes before the value check
        ([1.0, 2.0], 0, False),
        ([0.0, 0.0], 0, True),
        ([1.0, 2.0], -1, True),
        ([], 1, False),
        ([[[1.0]]], 1, False),
        (1.0, 1, True),
    ],
)
def test_multinomial_errors_match_torch(probs, n, replacement):
    assert_same_error(lambda: gen().multinomial(np.array(probs), n, replacement),
                      lambda t: t.multinomial(t.tensor(probs), n, replacement))


def test_multinomial_rejects_integer_weights():
    theirs = torch_error(lambda t: t.multinomial(t.tensor([1, 2]), 1))
    with pytest.raises(type(theirs), match=re.escape("multinomial only supports floating-point dtypes")):
        gen().multinomial(np.array([1, 2]), 1)
