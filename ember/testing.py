"""ember.testing.assert_close: PyTorch's comparison helper, with its default tolerances and messages.

Inputs are compared pairwise: tensors (or NumPy arrays) with tensors, Python numbers with numbers,
None with None, and sequences/mappings element by element. A mismatch raises AssertionError; inputs
no pair can compare raise TypeError.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from . import _dtype as D
from ._tensor import Tensor

__all__ = ["assert_close"]

# (rtol, atol) used when neither is given; other dtypes compare for equality
_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


class _Mismatch(Exception):
    """A failed comparison; `path` locates it inside nested sequences and mappings."""

    def __init__(self, message: str, path: str = "") -> None:
        super().__init__(message)
        self.message, self.path = message, path


def assert_close(actual, expected, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg=None) -> None:
    """Raise AssertionError unless actual and expected agree in shape, dtype and values within tolerance."""
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no {missing}.")
    options = {"rtol": rtol, "atol": atol, "equal_nan": equal_nan, "check_device": check_device,
               "check_dtype": check_dtype, "check_stride": check_stride}
    try:
        _compare(actual, expected, options)
    except _Mismatch as m:
        if isinstance(msg, str):
            raise AssertionError(msg) from None
        text = msg(m.message) if callable(msg) else m.message
        if m.path:
            text += f"\n\nThe failure occurred for item {m.path}"
        raise AssertionError(text) from None


def _compare(actual, expected, options: dict) -> None:
    if actual is None and expected is None:
        return
    if isinstance(actual, (Tensor, np.ndarray)) and isinstance(expected, (Tensor, np.ndarray)) and (
            isinstance(actual, Tensor) == isinstance(expected, Tensor)):
        _compare_tensors(_array(actual), _array(expected), options, _device(actual), _device(expected))
        return
    if isinstance(actual, (bool, np.bool_)) and isinstance(expected, (bool, np.bool_)):
        if bool(actual) is not bool(expected):
            raise _Mismatch(f"Booleans mismatch: {actual} is not {expected}")
        return
    if _is_number(actual) and _is_number(expected):
        _compare_numbers(actual, expected, options)
        return
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            _nested(a, e, options, f"[{i}]")
        return
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        missing = sorted(set(expected) - set(actual), key=repr)
        extra = sorted(set(actual) - set(expected), key=repr)
        if missing or extra:
            raise _Mismatch(f"The keys of the mappings do not match:\nMissing keys in the actual mapping: "
                            f"{missing}\nAdditional keys in the actual mapping: {extra}")
        for key in expected:
            _nested(actual[key], expected[key], options, f"[{key!r}]")
        return
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.")


def _nested(actual, expected, options: dict, step: str) -> None:
    try:
        _compare(actual, expected, options)
    except _Mismatch as m:
        raise _Mismatch(m.message, step + m.path) from None


def _is_number(x) -> bool:
    return isinstance(x, (int, float, np.number)) and not isinstance(x, (bool, np.bool_))


def _is_sequence(x) -> bool:
    return isinstance(x, Sequence) and not isinstance(x, (str, bytes))


def _array(x) -> np.ndarray:
    if isinstance(x, Tensor):
        return x._data if x._data.__class__ is np.ndarray else x._data.get()
    D.from_numpy_dtype(x.dtype)
    return x


def _device(x) -> str:
    return str(x.device) if isinstance(x, Tensor) else "cpu"


def _tolerances(dtypes, options: dict) -> tuple:
    if options["rtol"] is not None:
        return options["rtol"], options["atol"]
    pairs = [_TOLERANCES.get(np.dtype(d).name, (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _attribute_mismatch(name: str, a, e) -> _Mismatch:
    return _Mismatch(f"The values for attribute '{name}' do not match: {a} != {e}.")


def _compare_tensors(a: np.ndarray, e: np.ndarray, options: dict, a_dev: str, e_dev: str) -> None:
    from ._size import Size

    if a.shape != e.shape:
        raise _attribute_mismatch("shape", Size(a.shape), Size(e.shape))
    if options["check_device"] and a_dev != e_dev:
        raise _attribute_mismatch("device", a_dev, e_dev)
    a_dt, e_dt = D.from_numpy_dtype(a.dtype), D.from_numpy_dtype(e.dtype)
    if options["check_dtype"] and a_dt is not e_dt:
        raise _attribute_mismatch("dtype", a_dt, e_dt)
    if options["check_stride"]:
        a_strides = tuple(s // a.itemsize for s in a.strides)
        e_strides = tuple(s // e.itemsize for s in e.strides)
        if a_strides != e_strides:
            raise _attribute_mismatch("stride()", a_strides, e_strides)
    rtol, atol = _tolerances((a.dtype, e.dtype), options)
    if a_dt is not e_dt:
        common = D.promote_types(a_dt, e_dt).np
        a, e = a.astype(common), e.astype(common)
    if a.ndim == 0:
        _compare_numbers(a.item(), e.item(), {**options, "rtol": rtol, "atol": atol})
        return
    close = np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=options["equal_nan"])
    if not close.all():
        raise _Mismatch(_tensor_message(a, e, close, rtol, atol))


def _tensor_message(a: np.ndarray, e: np.ndarray, close: np.ndarray, rtol: float, atol: float) -> str:
    """PyTorch's report: mismatch count, then the greatest absolute and relative differences and where."""
    total = close.size
    bad = total - int(close.sum())
    if a.dtype.kind not in "fc":  # integers and bools: differences in int64, relative ones in the default float
        a, e = a.astype(np.int64), e.astype(np.int64)
    abs_diff = np.abs(a - e).ravel()
    abs_diff[close.ravel()] = 0
    if abs_diff.dtype.kind == "f":
        rel_diff = abs_diff / np.abs(e.ravel())
    else:
        float_dt = D.get_default_dtype().np
        rel_diff = abs_diff.astype(float_dt) / np.abs(e.ravel()).astype(float_dt)
    rel_diff[close.ravel()] = 0
    i_abs, i_rel = int(np.argmax(abs_diff)), int(np.argmax(rel_diff))  # argmax picks the first NaN, as torch.max
    equality = rtol == 0 and atol == 0
    lines = [f"Mismatched elements: {bad} / {total} ({bad / total:.1%})"]
    for kind, diff, i, tol in (("absolute", abs_diff, i_abs, atol), ("relative", rel_diff, i_rel, rtol)):
        where = tuple(int(k) for k in np.unravel_index(i, close.shape))
        line = f"Greatest {kind} difference: {diff[i].item()} at index {where}"
        lines.append(line if equality else f"{line} (up to {tol} allowed)")
    return f"Tensor-likes are not {'equal' if equality else 'close'}!\n\n" + "\n".join(lines)


def _compare_numbers(actual, expected, options: dict) -> None:
    if options["check_dtype"] and type(actual) is not type(expected):
        raise _Mismatch(f"The (d)types do not match: {type(actual)} != {type(expected)}.")
    rtol, atol = options["rtol"], options["atol"]
    if rtol is None:
        rtol, atol = _tolerances([np.asarray(x).dtype for x in (actual, expected)], options)
    if options["equal_nan"] and math.isnan(actual) and math.isnan(expected):
        return
    abs_diff = abs(actual - expected)
    if math.isfinite(abs_diff) and abs_diff <= atol + rtol * abs(expected):
        return
    if actual == expected:  # equal infinities
        return
    rel_diff = abs_diff / abs(expected) if expected != 0 else math.inf
    equality = rtol == 0 and atol == 0
    abs_line, rel_line = f"Absolute difference: {abs_diff}", f"Relative difference: {rel_diff}"
    if not equality:
        abs_line += f" (up to {atol} allowed)"
        rel_line += f" (up to {rtol} allowed)"
    raise _Mismatch(f"Scalars are not {'equal' if equality else 'close'}!\n\nExpected {expected} but got "
                    f"{actual}.\n{abs_line}\n{rel_line}")
