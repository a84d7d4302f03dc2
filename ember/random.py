"""Seeding and random tensors: manual_seed, get/set_rng_state, rand, randn, randint, normal, ...

The engine is `ember._random.Generator` (NumPy arrays in and out); this module makes tensors.
"""

from __future__ import annotations

import numpy as np

from . import _dtype as D
from ._factories import empty_like_array, finish, size_arg
from ._random import DEFAULT_SEED, Generator, default_generator, get_generator
from ._size import Size
from ._tensor import Tensor, _wrap
from .ops._declare import declare, write_out

__all__ = [
    "Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state",
    "rand", "randn", "randint", "randperm", "normal", "bernoulli", "multinomial", "rand_like", "randn_like",
    "randint_like", "poisson", "fork_rng", "DEFAULT_SEED",
]


def manual_seed(seed: int) -> Generator:
    """Seed the default generator; the same seed gives the same numbers run to run."""
    return default_generator.manual_seed(int(seed))  # PyTorch accepts anything int() takes, e.g. 1.5


def seed() -> int:
    """Seed the default generator non-deterministically and return the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator was last seeded with."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state as a uint8 tensor."""
    return _wrap(default_generator.get_state())


def set_rng_state(new_state: Tensor) -> None:
    """Restore the default generator from a state returned by get_rng_state."""
    state = new_state._data if isinstance(new_state, Tensor) else new_state
    default_generator.set_state(np.asarray(state))


class fork_rng:
    """Context manager that restores the default generator's state on exit."""

    def __init__(self, devices=None, enabled: bool = True, **kwargs) -> None:
        self.enabled = enabled

    def __enter__(self):
        self._state = default_generator.get_state() if self.enabled else None
        return self

    def __exit__(self, *exc) -> None:
        if self._state is not None:
            default_generator.set_state(self._state)


def _float_np(dtype, kernel: str = "check_uniform_bounds"):
    """The NumPy dtype of a floating dtype argument; other dtypes raise PyTorch's error naming `kernel`."""
    dt = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
    if not dt.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_legacy_name(dt)}'")
    return dt.np


def _legacy_name(dt) -> str:
    return dt._legacy[:-len("Tensor")]  # 'Long', 'Float', ...


# C++ names PyTorch uses for integer dtypes in its range errors
_CPP_INT_NAMES = {"uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
                  "int64": "long int"}


def _check_int_range(low: int, high: int, dt) -> None:
    """PyTorch's checks on [low, high) before drawing integers of dtype dt."""
    for v in (low, high):
        if not -(2**63) <= v < 2**64:
            raise ValueError("Overflow when unpacking long long")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if dt.name in _CPP_INT_NAMES:
        info = np.iinfo(dt.np)
        if not info.min <= low <= info.max:
            raise RuntimeError(f"from is out of bounds for {_CPP_INT_NAMES[dt.name]}")
        if not info.min <= high - 1 <= info.max:
            raise RuntimeError(f"to - 1 is out of bounds for {_CPP_INT_NAMES[dt.name]}")


def _sampling_dtype(dtype, out):
    """The dtype a sampler produces: out's dtype when out= is given without dtype=."""
    return out.dtype if dtype is None and out is not None else dtype


def _out(t, out, name):
    return write_out(t, out, name) if out is not None else t


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Uniform samples from [0, 1)."""
    data = get_generator(generator).rand(size_arg(size, "rand"), _float_np(_sampling_dtype(dtype, out)))
    return _out(finish(data, device=device, requires_grad=requires_grad), out, "rand")


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Standard normal samples."""
    np_dtype = _float_np(_sampling_dtype(dtype, out), "normal_kernel_cpu")
    data = get_generator(generator).randn(size_arg(size, "randn"), np_dtype)
    return _out(finish(data, device=device, requires_grad=requires_grad), out, "randn")


def randint(low, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Integers uniform in [low, high); randint(high, size) starts at 0. int64 by default."""
    if size is None:
        if high is None:
            raise TypeError(f"randint() received an invalid combination of arguments - got ({type(low).__name__}), "
                            "but expected one of:\n * (int high, tuple of ints size, *, ...)\n"
                            " * (int low, int high, tuple of ints size, *, ...)\n")
        if not isinstance(high, (tuple, list, Size)):
            raise TypeError(f"randint(): argument 'size' (position 2) must be tuple of ints, not "
                            f"{type(high).__name__}")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    dt = D.to_dtype(_sampling_dtype(dtype, out)) if _sampling_dtype(dtype, out) is not None else D.int64
    low, high = int(low), int(high)
    _check_int_range(low, high, dt)
    data = get_generator(generator).randint(low, high, size_arg((size,), "randint"), dt.np)
    return _out(finish(data, device=device, requires_grad=requires_grad), out, "randint")


def randperm(n: int, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A random permutation of 0..n-1 (int64 by default)."""
    from ._factories import _fill_array

    n = int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dtype = _sampling_dtype(dtype, out)
    dt = D.to_dtype(dtype) if dtype is not None else D.int64
    if dt is D.bool:
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    if n:
        _fill_array(n - 1, dt)  # the largest value must fit the dtype
    data = get_generator(generator).randperm(n, dt.np)
    return _out(finish(data, device=device, requires_grad=requires_grad), out, "randperm")


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Normal samples: normal(mean_tensor, std_tensor) broadcasts, normal(mean, std, size) takes numbers."""
    gen = get_generator(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        if size is not None:
            raise TypeError("normal() received an invalid combination of arguments - got (Tensor, Tensor, "
                            "size=tuple), but expected one of:\n * (Tensor mean, Tensor std, *, ...)\n"
                            " * (float mean, float std, tuple of ints size, *, ...)\n")
        ref = mean if isinstance(mean, Tensor) else std
        _float_np(ref.dtype, "normal_kernel_cpu")
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        if isinstance(std, Tensor) and np.any(s < 0):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        data = gen.normal(m, s, shape, ref._data.dtype)
    else:
        if size is None:
            raise TypeError(f"normal() received an invalid combination of arguments - got ({type(mean).__name__}, "
                            f"{type(std).__name__}), but expected one of:\n * (Tensor mean, Tensor std, *, ...)\n"
                            " * (float mean, float std, tuple of ints size, *, ...)\n")
        np_dtype = _float_np(_sampling_dtype(dtype, out), "normal_kernel_cpu")
        data = gen.normal(float(mean), float(std), size_arg((size,), "normal"), np_dtype)
    return _out(finish(data, device=device, requires_grad=requires_grad), out, "normal")


@declare(inplace=False)
def bernoulli(input: Tensor, p=None, *, generator=None, out=None) -> Tensor:
    """0/1 samples with probability given by input (or by the number p), in input's dtype."""
    if p is None:
        _float_np(input.dtype, "bernoulli_tensor_cpu_p_")
        probs = input._data
    else:
        _check_probability(p)
        probs = np.full(input._data.shape, p, dtype=np.float64)
    data = get_generator(generator).bernoulli(probs, input._data.dtype)
    return _out(_wrap(data), out, "bernoulli")


def _check_probability(p) -> None:
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")


@declare()
def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator=None,
                out=None) -> Tensor:
    """Indices sampled from the rows of input taken as (unnormalised) probabilities."""
    if not input.is_floating_point():
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_legacy_name(input.dtype)}")
    data = get_generator(generator).multinomial(input._data, int(num_samples), bool(replacement))
    return _out(_wrap(data), out, "multinomial")


@declare()
def poisson(input: Tensor, generator=None) -> Tensor:
    """Poisson samples with rates given by input."""
    gen = get_generator(generator)
    seed = int(gen.randint(0, 2**62, (), np.int64))
    data = np.random.default_rng(seed).poisson(input._data).astype(input._data.dtype)
    return _wrap(data)


def rand_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              memory_format=None) -> Tensor:
    """Uniform [0, 1) samples with input's size (and dtype/device unless given)."""
    np_dtype = _float_np(dtype if dtype is not None else input.dtype)
    return _like_samples(input, default_generator.rand(tuple(input.shape), np_dtype), device, requires_grad)


def randn_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
               memory_format=None) -> Tensor:
    """Standard normal samples with input's size (and dtype/device unless given)."""
    np_dtype = _float_np(dtype if dtype is not None else input.dtype, "normal_kernel_cpu")
    return _like_samples(input, default_generator.randn(tuple(input.shape), np_dtype), device, requires_grad)


def _like_samples(input: Tensor, samples: np.ndarray, device, requires_grad: bool) -> Tensor:
    """samples laid out like input (a transposed input gives a transposed-strided result, as in PyTorch)."""
    arr = empty_like_array(input._data if input._data.__class__ is np.ndarray else input._data.get(), samples.dtype)
    arr[...] = samples
    return finish(arr, device=device if device is not None else input.device, requires_grad=requires_grad)


def randint_like(input: Tensor, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad: bool = False, memory_format=None) -> Tensor:
    """Random integers in [low, high) shaped like input."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype, device=device or input.device,
                   requires_grad=requires_grad)


# -- in-place samplers (Tensor.uniform_ etc.) ----------------------------------------------------------
def _fill(self: Tensor, data) -> Tensor:
    from .ops._declare import check_inplace_allowed

    check_inplace_allowed(self)
    self._data[...] = data
    self._bump_version()
    return self


def _continuous(self: Tensor, name: str) -> None:
    """Continuous samplers refuse integer tensors with PyTorch's per-distribution errors."""
    if self.is_floating_point():
        return
    legacy = _legacy_name(self.dtype)
    if name == "exponential_":
        raise RuntimeError("Exponential distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {legacy}")
    if name == "cauchy_":
        raise RuntimeError("Cauchy distribution is a continuous probability distribution. dtype must be a "
                           f"floating point but you specified {_CPP_INT_NAMES.get(self.dtype.name, legacy)}")
    kernel = {"uniform_": "check_uniform_bounds", "normal_": "normal_kernel_cpu", "log_normal_": "log_normal_cpu"}
    raise NotImplementedError(f"\"{kernel[name]}\" not implemented for '{legacy}'")


def _uniform_(self, from_=0.0, to=1.0, *, generator=None):
    _continuous(self, "uniform_")
    return _fill(self, get_generator(generator).uniform(self._data.shape, from_, to, self._data.dtype))


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    _continuous(self, "normal_")
    return _fill(self, get_generator(generator).normal(mean, std, self._data.shape, self._data.dtype))


def _random_(self, from_=None, to=None, *, generator=None):
    # random_(to) draws from [0, to); random_() from the dtype's whole range
    if from_ is not None and to is None:
        from_, to = 0, from_
    low = 0 if from_ is None else int(from_)
    if to is not None:
        _check_int_range(low, int(to), self.dtype)
        to = int(to)
    return _fill(self, get_generator(generator).random_(self._data.shape, self._data.dtype, low, to))


def _bernoulli_(self, p=0.5, *, generator=None):
    if isinstance(p, Tensor):
        probs = p._data
    else:
        _check_probability(p)
        probs = np.full(self._data.shape, p)
    return _fill(self, get_generator(generator).bernoulli(np.broadcast_to(probs, self._data.shape),
                                                         self._data.dtype))


def _exponential_(self, lambd=1.0, *, generator=None):
    _continuous(self, "exponential_")
    return _fill(self, get_generator(generator).exponential(self._data.shape, lambd, self._data.dtype))


def _geometric_(self, p, *, generator=None):
    return _fill(self, get_generator(generator).geometric(self._data.shape, p, self._data.dtype))


def _cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    _continuous(self, "cauchy_")
    return _fill(self, get_generator(generator).cauchy(self._data.shape, median, sigma, self._data.dtype))


def _log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    _continuous(self, "log_normal_")
    return _fill(self, get_generator(generator).log_normal(self._data.shape, mean, std, self._data.dtype))


for _name, _fn in (("uniform_", _uniform_), ("normal_", _normal_), ("random_", _random_),
                   ("bernoulli_", _bernoulli_), ("exponential_", _exponential_), ("geometric_", _geometric_),
                   ("cauchy_", _cauchy_), ("log_normal_", _log_normal_)):
    _fn.__name__ = _name
    _fn.__doc__ = f"Fill self in place with samples ({_name[:-1]})."
    setattr(Tensor, _name, _fn)
