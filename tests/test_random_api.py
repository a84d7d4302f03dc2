"""The random API: seeding and state, Generators, argument forms (vs torch), value ranges and statistics.

Values cannot be compared with torch (the generators differ), so argument forms, shapes, dtypes and errors
are checked against torch, and the numbers against the distributions they should follow.
"""

from __future__ import annotations

import numpy as np
import pytest

import ember
from tests.test_factories import same_behaviour

SAMPLERS = {
    "rand": lambda g: ember.rand(3, 4, generator=g),
    "randn": lambda g: ember.randn(5, dtype=ember.float64, generator=g),
    "randint": lambda g: ember.randint(0, 100, (6,), generator=g),
    "randperm": lambda g: ember.randperm(10, generator=g),
    "normal": lambda g: ember.normal(ember.zeros(4), ember.ones(4), generator=g),
    "normal_size": lambda g: ember.normal(2.0, 3.0, size=(4,), generator=g),
    "bernoulli": lambda g: ember.bernoulli(ember.full((8,), 0.5), generator=g),
    "multinomial": lambda g: ember.multinomial(ember.tensor([0.2, 0.3, 0.5]), 5, True, generator=g),
    "uniform_": lambda g: ember.empty(4).uniform_(-2, 2, generator=g),
    "normal_": lambda g: ember.empty(4).normal_(1.0, 0.5, generator=g),
    "random_": lambda g: ember.empty(4, dtype=ember.int64).random_(0, 1000, generator=g),
    "bernoulli_": lambda g: ember.empty(6).bernoulli_(0.3, generator=g),
    "exponential_": lambda g: ember.empty(4).exponential_(2.0, generator=g),
}
DEFAULT_ONLY = {
    "rand_like": lambda: ember.rand_like(ember.ones(2, 3)),
    "randn_like": lambda: ember.randn_like(ember.ones(2, 3, dtype=ember.float64)),
    "randint_like": lambda: ember.randint_like(ember.ones(4), 3, 9),
}


def _draw(name: str, generator=None):
    fn = SAMPLERS.get(name)
    return (fn(generator) if fn else DEFAULT_ONLY[name]()).numpy().copy()


@pytest.mark.parametrize("name", list(SAMPLERS) + list(DEFAULT_ONLY))
def test_manual_seed_reproduces(name):
    """The same seed gives the same numbers; another seed gives others."""
    ember.manual_seed(1234)
    a = _draw(name)
    ember.manual_seed(1234)
    b = _draw(name)
    np.testing.assert_array_equal(a, b)
    ember.manual_seed(4321)
    c = _draw(name)
    ember.manual_seed(99)
    d = _draw(name)
    assert not (np.array_equal(a, c) and np.array_equal(a, d)), "different seeds gave identical draws"


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_generator_argument(name):
    """generator= draws from that Generator only: equal seeds agree, and the default stream is untouched."""
    ember.manual_seed(7)
    expected_default = ember.rand(3).numpy().copy()
    ember.manual_seed(7)
    g1 = ember.Generator().manual_seed(11)
    g2 = ember.Generator()
    g2.manual_seed(11)
    np.testing.assert_array_equal(_draw(name, g1), _draw(name, g2))
    np.testing.assert_array_equal(ember.rand(3).numpy(), expected_default)


def test_rng_state_round_trip():
    """get_rng_state/set_rng_state restore the stream; the state is a uint8 tensor; fork_rng restores on exit."""
    ember.manual_seed(0)
    state = ember.get_rng_state()
    assert isinstance(state, ember.Tensor) and state.dtype is ember.uint8 and state.dim() == 1
    first = ember.randn(5).tolist()
    ember.randn(7)
    ember.set_rng_state(state)
    assert ember.randn(5).tolist() == first
    with ember.random.fork_rng():
        ember.rand(10)
    after_fork = ember.randn(3).tolist()
    ember.set_rng_state(state)
    ember.randn(5)
    assert ember.randn(3).tolist() == after_fork
    g = ember.Generator().manual_seed(5)
    gs = g.get_state()
    x = ember.rand(4, generator=g).tolist()
    g.set_state(gs)
    assert ember.rand(4, generator=g).tolist() == x


def test_seeds():
    """manual_seed returns the default generator and sets initial_seed (negative seeds wrap as in torch)."""
    gen = ember.manual_seed(3)
    assert gen is ember.default_generator and ember.initial_seed() == 3
    same_behaviour("lib.manual_seed(-1).initial_seed()")
    same_behaviour("lib.manual_seed(2**64 - 1).initial_seed()")
    same_behaviour("lib.manual_seed(1.5).initial_seed()")
    same_behaviour("lib.manual_seed(2**64)")
    s = ember.seed()
    assert ember.initial_seed() == s
    assert ember.Generator().manual_seed(5).initial_seed() == 5


FORMS = [
    "lib.rand(2, 3).shape", "lib.rand((2, 3)).dtype", "lib.rand(2, dtype=lib.float64).dtype",
    "lib.rand(2, dtype=lib.float16).dtype", "lib.rand(()).shape", "lib.rand(0).shape", "lib.randn(2, 3).shape",
    "lib.randn(2, requires_grad=True).requires_grad", "lib.rand(2, out=lib.zeros(1, dtype=lib.float64)).shape",
    "lib.rand(2, out=lib.zeros(1, dtype=lib.float64)).dtype", "lib.randint(10, (3,)).dtype",
    "lib.randint(10, (3,)).shape",
    "lib.randint(2, 5, (2, 2)).shape", "lib.randint(2, 5, (2, 2), dtype=lib.int8).dtype", "lib.randint(0, 1, (3,))",
    "lib.randint(-5, -4, (3,))", "lib.randint(10, (2,), dtype=lib.float32).dtype", "lib.randint(3, size=(2,)).shape",
    "lib.randint(low=1, high=3, size=(2,)).shape", "lib.randint(10, lib.Size([2, 1])).shape",
    "lib.randperm(5).dtype", "lib.randperm(5).sort().values", "lib.randperm(0)",
    "lib.randperm(5, dtype=lib.float32).sort().values", "lib.randperm(256, dtype=lib.uint8).max()",
    "lib.normal(0., 1., size=(2,)).shape", "lib.normal(0., 1., size=(2,)).dtype", "lib.normal(0., 1., (2,)).shape",
    "lib.normal(lib.zeros(3), lib.ones(3)).shape", "lib.normal(lib.zeros(3), 1.0).shape",
    "lib.normal(0.0, lib.ones(2, 3)).shape",
    "lib.normal(lib.zeros(3, dtype=lib.float64), lib.ones(3, dtype=lib.float64)).dtype",
    "lib.normal(lib.zeros(2, 1), lib.ones(3)).shape", "lib.normal(0., 1., size=(2,), dtype=lib.float64).dtype",
    "lib.normal(lib.tensor(0.), lib.tensor(1.)).shape", "lib.normal(lib.zeros(3), lib.zeros(3))",
    "lib.bernoulli(lib.full((5,), 0.0))", "lib.bernoulli(lib.full((5,), 1.0))",
    "lib.bernoulli(lib.full((5,), 0.5, dtype=lib.float64)).dtype", "lib.bernoulli(lib.ones(3), 0.0)",
    "lib.ones(3).bernoulli()",
    "lib.multinomial(lib.tensor([0.0, 1.0, 0.0]), 2, replacement=True)",
    "lib.multinomial(lib.tensor([0.0, 1.0, 0.0]), 1)",
    "lib.multinomial(lib.tensor([[0.0, 1.0], [1.0, 0.0]]), 1)", "lib.multinomial(lib.tensor([1.0, 2.0, 3.0]), 2).dtype",
    "lib.multinomial(lib.tensor([1.0, 2.0, 3.0]), 3).sort().values", "lib.rand_like(lib.ones(2, 3)).shape",
    "lib.rand_like(lib.ones(2, dtype=lib.float64)).dtype", "lib.randn_like(lib.ones(2, 3), dtype=lib.float16).dtype",
    "lib.randint_like(lib.ones(2, 3), 5).dtype", "lib.randint_like(lib.ones(2, 3), 3, 5, dtype=lib.int8).dtype",
    "lib.zeros(3).bernoulli_(0.0)", "lib.zeros(3).bernoulli_(1.0)", "lib.zeros(3, dtype=lib.int64).bernoulli_(1.0)",
    "lib.zeros(3).bernoulli_(lib.tensor([0.0, 1.0, 0.0]))", "lib.zeros(3).geometric_(1.0 - 1e-12)",
    "lib.zeros(3).cauchy_().shape", "lib.zeros(2, dtype=lib.float16).uniform_(5, 5.0001).dtype",
]
ERRORS = [
    "lib.rand(2, dtype=lib.int64)", "lib.randn(2, dtype=lib.int32)", "lib.rand(-1)", "lib.rand(2.5)",
    "lib.randint(5, 5, (2,))", "lib.randint(5, 2, (2,))", "lib.randint(10, 3)", "lib.randint(10, (2,), dtype=lib.bool)",
    "lib.randint(300, (2,), dtype=lib.uint8)", "lib.randint(-1, 3, (2,), dtype=lib.uint8)",
    "lib.randint(0, 2**40, (2,), dtype=lib.int32)", "lib.randint(0, 2**40, (2,), dtype=lib.int16)",
    "lib.randint(10, (2,), requires_grad=True)", "lib.randperm(-1)", "lib.randperm(300, dtype=lib.uint8)",
    "lib.randperm(3, dtype=lib.bool)", "lib.normal(lib.zeros(3), -lib.ones(3))", "lib.normal(0., -1., size=(2,))",
    "lib.normal(lib.zeros(3, dtype=lib.int64), lib.ones(3))", "lib.bernoulli(lib.ones(3, dtype=lib.int64))",
    "lib.bernoulli(lib.ones(3), 1.5)", "lib.multinomial(lib.tensor([0.0, 1.0, 0.0]), 2)",
    "lib.multinomial(lib.tensor([1.0, 1.0]), 3)",
    "lib.multinomial(lib.tensor([1.0, -1.0]), 1)", "lib.multinomial(lib.tensor([0.0, 0.0]), 1)",
    "lib.multinomial(lib.ones(2, 2, 2), 1)", "lib.multinomial(lib.tensor([1, 1]), 1)",
    "lib.multinomial(lib.tensor([1.0, float('nan')]), 1)", "lib.multinomial(lib.tensor([1.0, float('inf')]), 1)",
    "lib.rand_like(lib.ones(2, dtype=lib.int64))", "lib.randn_like(lib.ones(2, dtype=lib.int64))",
    "lib.randint_like(lib.ones(2), 5, 5)", "lib.zeros(3).uniform_(3, 2)", "lib.zeros(3, dtype=lib.int64).uniform_()",
    "lib.zeros(3).normal_(0, -1)", "lib.zeros(3, dtype=lib.int64).normal_()", "lib.zeros(3).random_(5, 2)",
    "lib.zeros(3).random_(0)", "lib.zeros(3, dtype=lib.int8).random_(0, 300)",
    "lib.zeros(3, dtype=lib.int16).random_(0, 40000)",
    "lib.zeros(3, dtype=lib.uint8).random_(-1, 2)", "lib.zeros(3, dtype=lib.int64).random_(0, 2**64)",
    "lib.zeros(3).bernoulli_(1.5)", "lib.zeros(3).exponential_(-1.0)", "lib.zeros(3).exponential_(0.0)",
    "lib.zeros(3, dtype=lib.int64).exponential_()", "lib.zeros(3).geometric_(0.0)", "lib.zeros(3).geometric_(1.5)",
    "lib.zeros(3).cauchy_(0, -1)", "lib.zeros(3).log_normal_(0, -1)", "lib.zeros(3, dtype=lib.int64).cauchy_()",
    "lib.zeros(3, dtype=lib.int64).log_normal_()", "lib.ones(2, requires_grad=True).uniform_()",
]


@pytest.mark.parametrize("expr", FORMS)
def test_argument_forms(expr):
    """Argument forms, shapes and dtypes as torch (deterministic outcomes compare values too)."""
    same_behaviour(expr)


@pytest.mark.parametrize("expr", ERRORS)
def test_errors(expr):
    """Invalid bounds, probabilities, dtypes and sizes raise torch's exception type and message."""
    same_behaviour(expr)


@pytest.mark.parametrize("expr", ["lib.randint(10)", "lib.normal(0., 1.)", "lib.bernoulli(lib.full((5,), 1.5))",
                                  "lib.normal(lib.zeros(3), lib.ones(3), size=(3,))"])
def test_errors_type_only(expr):
    """Errors whose torch message lists every overload (or a C++ suffix): same exception type."""
    same_behaviour(expr, check_message=False)


def test_value_ranges():
    """Samples stay in their documented ranges and dtypes."""
    ember.manual_seed(0)
    r = ember.rand(10000)
    assert r.dtype is ember.float32 and r.min().item() >= 0.0 and r.max().item() < 1.0
    h = ember.rand(10000, dtype=ember.float16)
    assert h.min().item() >= 0.0 and h.max().item() < 1.0
    i = ember.randint(-3, 4, (10000,))
    assert i.min().item() == -3 and i.max().item() == 3
    assert sorted(ember.randperm(50).tolist()) == list(range(50))
    u = ember.empty(10000).uniform_(-2.0, 5.0)
    assert u.min().item() >= -2.0 and u.max().item() < 5.0
    b = ember.bernoulli(ember.rand(1000))
    assert set(b.tolist()) <= {0.0, 1.0}
    m = ember.multinomial(ember.rand(4, 20) + 0.01, 20)
    assert all(sorted(row) == list(range(20)) for row in m.tolist())
    ri = ember.empty(10000, dtype=ember.int8).random_()
    assert ri.min().item() >= 0 and ri.max().item() > 120  # torch draws [0, max] for signed dtypes
    rb = ember.empty(1000, dtype=ember.bool).random_()
    assert 300 < rb.sum().item() < 700
    r5 = ember.empty(1000, dtype=ember.int64).random_(5)
    assert r5.min().item() == 0 and r5.max().item() == 4
    g = ember.empty(1000).geometric_(0.5)
    assert g.min().item() >= 1 and float(g.frac().abs().max()) == 0.0
    assert ember.empty(1000).log_normal_().min().item() > 0 and ember.empty(1000).exponential_().min().item() > 0


N = 200_000


@pytest.mark.parametrize("case", ["rand", "randn", "normal_tensors", "normal_scalars", "uniform_", "normal_",
                                  "exponential_", "bernoulli", "geometric_", "log_normal_", "cauchy_", "randint",
                                  "multinomial"])
def test_statistics(case):
    """Large samples have the right mean, spread or frequencies (tolerances ~6 standard errors)."""
    ember.manual_seed(2024)
    se = 1 / np.sqrt(N)
    if case == "rand":
        x = ember.rand(N, dtype=ember.float64).numpy()
        assert abs(x.mean() - 0.5) < 6 * se * np.sqrt(1 / 12) and abs(x.var() - 1 / 12) < 0.002
    elif case == "randn":
        x = ember.randn(N, dtype=ember.float64).numpy()
        assert abs(x.mean()) < 6 * se and abs(x.std() - 1) < 0.01
        assert abs(np.mean(np.abs(x) < 1) - 0.6827) < 0.006
    elif case == "normal_tensors":
        mean = ember.tensor([-3.0, 0.0, 10.0]).expand(N, 3)
        std = ember.tensor([0.5, 1.0, 4.0])
        x = ember.normal(mean, std).numpy()
        np.testing.assert_allclose(x.mean(0), [-3.0, 0.0, 10.0], atol=6 * se * 4)
        np.testing.assert_allclose(x.std(0), [0.5, 1.0, 4.0], rtol=0.01)
    elif case == "normal_scalars":
        x = ember.normal(2.0, 3.0, size=(N,)).numpy()
        assert abs(x.mean() - 2.0) < 6 * se * 3 and abs(x.std() - 3.0) < 0.03
    elif case == "uniform_":
        x = ember.empty(N, dtype=ember.float64).uniform_(-1.0, 3.0).numpy()
        assert abs(x.mean() - 1.0) < 6 * se * 4 / np.sqrt(12) and abs(x.var() - 16 / 12) < 0.02
    elif case == "normal_":
        x = ember.empty(N).normal_(5.0, 0.1).numpy()
        assert abs(x.mean() - 5.0) < 6 * se * 0.1 and abs(x.std() - 0.1) < 0.001
    elif case == "exponential_":
        x = ember.empty(N, dtype=ember.float64).exponential_(4.0).numpy()
        assert abs(x.mean() - 0.25) < 6 * se * 0.25 and abs(np.median(x) - np.log(2) / 4) < 0.005
    elif case == "bernoulli":
        x = ember.bernoulli(ember.full((N,), 0.3)).numpy()
        assert abs(x.mean() - 0.3) < 6 * se * np.sqrt(0.21)
    elif case == "geometric_":
        x = ember.empty(N, dtype=ember.float64).geometric_(0.25).numpy()
        assert abs(x.mean() - 4.0) < 6 * se * np.sqrt(0.75) / 0.25
    elif case == "log_normal_":
        x = ember.empty(N, dtype=ember.float64).log_normal_(1.0, 0.5).numpy()
        assert abs(np.log(x).mean() - 1.0) < 6 * se * 0.5 and abs(np.log(x).std() - 0.5) < 0.005
    elif case == "cauchy_":
        x = ember.empty(N, dtype=ember.float64).cauchy_(2.0, 0.5).numpy()
        q1, q2, q3 = np.quantile(x, [0.25, 0.5, 0.75])
        assert abs(q2 - 2.0) < 0.01 and abs((q3 - q1) / 2 - 0.5) < 0.01
    elif case == "randint":
        x = ember.randint(0, 10, (N,)).numpy()
        counts = np.bincount(x, minlength=10)
        chi2 = ((counts - N / 10) ** 2 / (N / 10)).sum()
        assert chi2 < 40  # 9 degrees of freedom; p < 1e-5 beyond this
    else:
        p = np.array([0.1, 0.2, 0.3, 0.4])
        x = ember.multinomial(ember.tensor(p * 7.0), N, replacement=True).numpy()
        np.testing.assert_allclose(np.bincount(x, minlength=4) / N, p, atol=6 * se * 0.5)


def test_multinomial_without_replacement_prefers_heavy_categories():
    """Without replacement, the first draw follows the probabilities and no index repeats."""
    ember.manual_seed(5)
    probs = ember.tensor([[0.7, 0.2, 0.1]]).expand(20000, 3).contiguous()
    draws = ember.multinomial(probs, 2).numpy()
    assert (draws[:, 0] != draws[:, 1]).all()
    np.testing.assert_allclose(np.bincount(draws[:, 0], minlength=3) / 20000, [0.7, 0.2, 0.1], atol=0.02)


def test_inplace_samplers_return_self_and_keep_dtype():
    """Tensor.uniform_/normal_/... fill in place, return self and bump the version."""
    for name, args in (("uniform_", ()), ("normal_", ()), ("random_", (0, 7)), ("bernoulli_", (0.5,)),
                       ("exponential_", ()), ("geometric_", (0.3,)), ("cauchy_", ()), ("log_normal_", ())):
        t = ember.zeros(2, 3, dtype=ember.float64)
        v = t._version
        out = getattr(t, name)(*args)
        assert out is t and t.dtype is ember.float64 and t.shape == (2, 3) and t._version == v + 1
    view = ember.zeros(4, 4)[:, 1]
    view.uniform_(1.0, 2.0)
    assert view.min().item() >= 1.0 and view._base is not None
