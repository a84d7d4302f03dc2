"""Random-number engine behind ember's PyTorch-style random API.

Everything here works on NumPy arrays only (the Tensor layer wraps the results), and the module imports
nothing from ember so it can be loaded on its own. Each ``Generator`` owns a NumPy ``PCG64`` bit generator,
so a given seed yields the same numbers run to run and machine to machine.
"""

from __future__ import annotations

import operator
import secrets
import struct
import zlib
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

DEFAULT_SEED = 67280421310721

_MASK64 = (1 << 64) - 1
_STATE_MAGIC = b"EMBR"
_STATE_VERSION = 1
# magic, version, initial seed, PCG64 state (128 bit), PCG64 increment (128 bit), has_uint32, uinteger.
_STATE_LAYOUT = struct.Struct("<4sBQ16s16sBI")
_STATE_SIZE = _STATE_LAYOUT.size + 4  # + CRC32 of the fields above

Shape = int | Iterable[int]


def _shape(shape: Shape) -> tuple[int, ...]:
    """Normalize an int or a sequence of ints to a shape tuple, rejecting negative sizes."""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    dims = tuple(map(operator.index, shape))
    if any(d < 0 for d in dims):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(dims)}: {list(dims)}")
    return dims


def _float_dtype(dtype: npt.DTypeLike, op: str, allow_complex: bool = False) -> np.dtype:
    """Return ``dtype`` as an np.dtype, raising if ``op`` cannot produce it."""
    dt = np.dtype(dtype)
    if dt.kind == "f" or (allow_complex and dt.kind == "c"):
        return dt
    raise NotImplementedError(f'"{op}" not implemented for \'{dt}\'')


def _int_bounds(dt: np.dtype) -> tuple[int, int] | None:
    """Inclusive value range of an integer/bool dtype, or None for other dtypes."""
    if dt.kind == "b":
        return 0, 1
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return int(info.min), int(info.max)
    return None


class Generator:
    """A seedable random-number generator with PyTorch's ``torch.Generator`` interface."""

    def __init__(self, device: object = "cpu") -> None:
        self.device = device
        self.manual_seed(DEFAULT_SEED)

    # ----------------------------------------------------------------- seeding and state

    def manual_seed(self, seed: int) -> Generator:
        """Seed the generator; negative seeds wrap to 64 bits like PyTorch. Returns self."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        seed = int(seed)
        # PyTorch accepts exactly the values representable as int64 or uint64.
        if not -(1 << 63) <= seed <= _MASK64:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & _MASK64
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        """Seed from OS entropy and return the new seed."""
        seed = secrets.randbits(64)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        """Return the seed last set by manual_seed/seed (or restored by set_state)."""
        return self._seed

    def get_state(self) -> np.ndarray:
        """Return a new 1-d uint8 array that fully encodes the generator state."""
        bit_state = self._rng.bit_generator.state
        payload = _STATE_LAYOUT.pack(
            _STATE_MAGIC,
            _STATE_VERSION,
            self._seed,
            bit_state["state"]["state"].to_bytes(16, "little"),
            bit_state["state"]["inc"].to_bytes(16, "little"),
            bit_state["has_uint32"],
            bit_state["uinteger"],
        )
        blob = payload + struct.pack("<I", zlib.crc32(payload))
        return np.frombuffer(blob, dtype=np.uint8).copy()

    def set_state(self, state: np.ndarray) -> Generator:
        """Restore a state produced by get_state. Returns self."""
        if not isinstance(state, np.ndarray) or state.dtype != np.uint8:
            raise TypeError(f"RNG state must be a uint8 numpy array, got {type(state).__name__}"
                            + (f" of dtype {state.dtype}" if isinstance(state, np.ndarray) else ""))
        if state.size != _STATE_SIZE:
            raise RuntimeError(f"Expected an ember Generator state of size {_STATE_SIZE} "
                               f"but found the input RNG state size to be {state.size}")
        blob = state.tobytes()
        payload, (crc,) = blob[:-4], struct.unpack("<I", blob[-4:])
        magic, version, seed, pcg_state, pcg_inc, has_uint32, uinteger = _STATE_LAYOUT.unpack(payload)
        if magic != _STATE_MAGIC or version != _STATE_VERSION or crc != zlib.crc32(payload):
            raise RuntimeError("Invalid RNG state: corrupt, or not produced by Generator.get_state()")
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": int.from_bytes(pcg_state, "little"), "inc": int.from_bytes(pcg_inc, "little")},
            "has_uint32": has_uint32,
            "uinteger": uinteger,
        }
        self._seed, self._rng = seed, rng
        return self

    def __repr__(self) -> str:
        return f"Generator(device={self.device!r}, initial_seed={self._seed})"

    # ----------------------------------------------------------------- continuous distributions

    def rand(self, shape: Shape, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
        """Uniform samples on [0, 1)."""
        dt = _float_dtype(dtype, "rand", allow_complex=True)
        shape = _shape(shape)
        if dt.kind == "c":
            out = np.empty(shape, dt)
            out.real, out.imag = self.rand(shape, out.real.dtype), self.rand(shape, out.real.dtype)
            return out
        if dt == np.float16:
            # 11 random bits scaled by 2**-11 are exact in float16, so the result can never round up to 1.
            return (self._rng.integers(0, 1 << 11, shape, dtype=np.int32) * 2.0**-11).astype(np.float16)
        if dt in (np.float32, np.float64):
            return self._rng.random(shape, dtype=dt)
        return self._rng.random(shape).astype(dt)

    def uniform(self, shape: Shape, low: float = 0.0, high: float = 1.0,
                dtype: npt.DTypeLike = np.float32) -> np.ndarray:
        """Uniform samples on [low, high)."""
        dt = _float_dtype(dtype, "uniform_")
        if not low <= high:
            raise RuntimeError(
                f"uniform_ expects to return a [from, to) range, but found from={low:g} > to={high:g}")
        if dt == np.float32:  # draw and scale in float32: half the memory traffic of float64-then-cast
            out = self._rng.random(_shape(shape), dtype=np.float32)
            out *= np.float32(high - low)
            out += np.float32(low)
        else:
            out = (low + (high - low) * self._rng.random(_shape(shape))).astype(dt)
        # Rounding to a narrower dtype can land exactly on `high`; pull such values back inside the range.
        top = dt.type(high)
        if top >= high:
            top = np.nextafter(top, dt.type(low))
        return np.minimum(out, top)

    def randn(self, shape: Shape, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
        """Standard normal samples (complex dtypes get variance 1/2 per component, as in PyTorch)."""
        dt = _float_dtype(dtype, "normal_kernel_cpu", allow_complex=True)
        shape = _shape(shape)
        if dt.kind == "c":
            parts = self._rng.standard_normal((2, *shape)) * np.sqrt(0.5)
            return (parts[0] + 1j * parts[1]).astype(dt)
        if dt in (np.float32, np.float64):
            return self._rng.standard_normal(shape, dtype=dt)
        return self._rng.standard_normal(shape, dtype=np.float32).astype(dt)

    def normal(self, mean: float | np.ndarray = 0.0, std: float | np.ndarray = 1.0,
               shape: Shape | None = None, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
        """Normal samples; mean/std broadcast, and shape defaults to their broadcast shape."""
        dt = _float_dtype(dtype, "normal_kernel_cpu")
        mean, std = np.asarray(mean, dtype=np.float64), np.asarray(std, dtype=np.float64)
        if not np.all(std >= 0):  # also rejects NaN
            if std.ndim == 0:
                raise RuntimeError(f"normal expects std >= 0.0, but found std {float(std):g}")
            raise RuntimeError("normal expects all elements of std >= 0.0")
        shape = np.broadcast_shapes(mean.shape, std.shape) if shape is None else _shape(shape)
        if dt == np.float32 and mean.ndim == 0 and std.ndim == 0:  # float32 draws, scaled in place
            out = self._rng.standard_normal(shape, dtype=np.float32)
            out *= np.float32(std)
            out += np.float32(mean)
            return out
        return (mean + std * self._rng.standard_normal(shape)).astype(dt)

    def exponential(self, shape: Shape, lambd: float = 1.0, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
        """Exponential samples with rate ``lambd``."""
        dt = _float_dtype(dtype, "exponential_")
        if not lambd > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
        return (self._rng.standard_exponential(_shape(shape)) / lambd).astype(dt)

    def cauchy(self, shape: Shape, median: float = 0.0, sigma: float = 1.0,
               dtype: npt.DTypeLike = np.float32) -> np.ndarray:
        """Cauchy samples with location ``median`` and scale ``sigma``."""
        dt = _float_dtype(dtype, "cauchy_")
        if not sigma > 0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
        return (median + sigma * self._rng.standard_cauchy(_shape(shape))).astype(dt)

    def log_normal(self, shape: Shape, mean: float = 1.0, std: float = 2.0,
                   dtype: npt.DTypeLike = np.float32) -> np.ndarray:
        """Samples whose logarithm is normal(mean, std)."""
        dt = _float_dtype(dtype, "log_normal_")
        if not std > 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
        return np.exp(mean + std * self._rng.standard_normal(_shape(shape))).astype(dt)

    # ----------------------------------------------------------------- discrete distributions

    def randint(self, low: int, high: int, shape: Shape, dtype: npt.DTypeLike = np.int64) -> np.ndarray:
        """Uniform integers on [low, high), stored in ``dtype``."""
        low, high, dt = operator.index(low), operator.index(high), np.dtype(dtype)
        if low >= high:
            raise RuntimeError(
                f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
        bounds = _int_bounds(dt)
        if bounds is not None and not bounds[0] <= low <= bounds[1]:
            raise RuntimeError(f"from is out of bounds for {dt}")
        if bounds is not None and not bounds[0] <= high - 1 <= bounds[1]:
            raise RuntimeError(f"to - 1 is out of bounds for {dt}")
        draw_dtype = np.uint64 if high > 1 << 63 else np.int64
        return self._rng.integers(low, high, _shape(shape), dtype=draw_dtype).astype(dt)

    def random_(self, shape: Shape, dtype: npt.DTypeLike = np.float32, low: int = 0,
                high: int | None = None) -> np.ndarray:
        """Integers on [low, high) in ``dtype``; high defaults to the dtype's full range (Tensor.random_)."""
        dt = np.dtype(dtype)
        if high is None:
            bounds = _int_bounds(dt)
            # Floats default to [0, 2**mantissa_bits], the largest range whose integers are all exact.
            high = bounds[1] + 1 if bounds is not None else 2 ** (np.finfo(dt).nmant + 1) + 1
        return self.randint(low, high, shape, dt)

    def randperm(self, n: int, dtype: npt.DTypeLike = np.int64) -> np.ndarray:
        """A random permutation of 0..n-1."""
        n, dt = operator.index(n), np.dtype(dtype)
        _shape((n,))
        bounds = _int_bounds(dt)
        if bounds is not None and n - 1 > bounds[1]:
            raise RuntimeError(f"value cannot be converted to type {dt} without overflow")
        return self._rng.permutation(n).astype(dt)

    def bernoulli(self, p: float | np.ndarray, dtype: npt.DTypeLike | None = None) -> np.ndarray:
        """0/1 samples, 1 with probability p elementwise; dtype defaults to p's dtype."""
        p = np.asarray(p)
        dt = np.dtype(p.dtype if dtype is None else dtype)
        if not np.all((p >= 0) & (p <= 1)):  # also rejects NaN
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        return (self._rng.random(p.shape) < p).astype(dt)

    def geometric(self, shape: Shape, p: float, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
        """Number of Bernoulli(p) trials up to and including the first success (values 1, 2, ...)."""
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
        return self._rng.geometric(p, _shape(shape)).astype(dtype)

    def multinomial(self, probs: np.ndarray, num_samples: int, replacement: bool = False) -> np.ndarray:
        """Category indices (int64) drawn from each row of 1-d or 2-d non-negative weights ``probs``."""
        probs = np.asarray(probs)
        if probs.dtype.kind != "f":
            raise RuntimeError(
                f"multinomial only supports floating-point dtypes for input, got: {probs.dtype}")
        if probs.ndim not in (1, 2):
            raise RuntimeError("prob_dist must be 1 or 2 dim")
        num_samples = operator.index(num_samples)
        if num_samples <= 0:
            raise RuntimeError("cannot sample n_sample <= 0 samples")
        if not replacement and num_samples > probs.shape[-1]:
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        rows = np.atleast_2d(probs).astype(np.float64)
        if not np.all(np.isfinite(rows) & (rows >= 0)):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if rows.shape[0] and not np.all(rows.sum(axis=1) > 0):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")

        if replacement:
            cdf = np.cumsum(rows, axis=1)
            # Dividing by the row total makes the last non-zero category's cdf exactly 1.0, so u in [0, 1)
            # can never select a zero-probability category, not even a trailing one.
            cdf /= cdf[:, -1:]
            u = self._rng.random((rows.shape[0], num_samples))
            out = np.empty(u.shape, dtype=np.int64)
            for i, (row_cdf, row_u) in enumerate(zip(cdf, u)):
                out[i] = np.searchsorted(row_cdf, row_u, side="right")
        else:
            # Sequential sampling without replacement == sorting by E/p with E ~ Exp(1), smallest first.
            # The log domain avoids overflow for tiny p; zero-probability categories get key +inf, so they
            # come last, in index order. Like PyTorch's CPU kernel this does not raise when a row has fewer
            # non-zero categories than num_samples; it fills up with zero-probability categories instead.
            with np.errstate(divide="ignore"):
                keys = np.log(self._rng.standard_exponential(rows.shape)) - np.log(rows)
            out = np.argsort(keys, axis=1, kind="stable")[:, :num_samples]
        out = out.astype(np.int64, copy=False)
        return out[0] if probs.ndim == 1 else out


default_generator = Generator()


def get_generator(generator: Generator | None) -> Generator:
    """Return ``generator``, or the module's default_generator when it is None."""
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be an ember Generator, not {type(generator).__name__}")
    return generator
