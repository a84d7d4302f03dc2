"""Tensor printing: print options and a ``repr`` that matches PyTorch's layout character for character.

The tensor is duck typed; ``format_tensor`` reads ``_data`` (a NumPy array, or anything with ``.get()``
returning one, e.g. a CuPy array), ``dtype``, ``device``, ``requires_grad`` and ``grad_fn``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["set_printoptions", "get_printoptions", "printoptions", "format_tensor"]


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

_PROFILES: dict[str, dict[str, float]] = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set tensor print options; a profile is applied first, then the explicit options override it."""
    if profile in _PROFILES:  # like PyTorch, an unknown profile name is silently ignored
        for name, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    # sci_mode is always overwritten (None = automatic), exactly as PyTorch does.
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Return the current print options as a dict (precision, threshold, edgeitems, linewidth, sci_mode)."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Context manager that applies ``set_printoptions(**kwargs)`` and restores the old options on exit."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Picks one number style and width for all printed elements of a tensor."""

    def __init__(self, values: np.ndarray, floating: bool) -> None:
        self.floating = floating
        self.int_mode = True  # floats that are all integral print as "3."
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not floating:
            self.max_width = max([1, *(len(str(v)) for v in flat.tolist())])
            return
        nonzero_finite = flat[np.isfinite(flat) & (flat != 0)]
        if nonzero_finite.size == 0:
            return  # nothing to measure; PyTorch ignores the sci_mode option in this case too
        magnitudes = np.abs(nonzero_finite).astype(np.float64)
        lo, hi = float(magnitudes.min()), float(magnitudes.max())
        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode
        else:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or (not self.int_mode and lo < 1.0e-4)
        precision = PRINT_OPTS.precision
        for v in nonzero_finite.tolist():
            if self.sci_mode:
                width = len(f"{v:.{precision}e}")
            elif self.int_mode:
                width = len(f"{v:.0f}") + 1
            else:
                width = len(f"{v:.{precision}f}")
            self.max_width = max(self.max_width, width)

    def format(self, value: Any) -> str:
        """Format one Python scalar, right-aligned to the common width."""
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRINT_OPTS.precision}f}"
        return text.rjust(self.max_width)


def _summarized(values: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows: first and last ``edgeitems`` along every long axis."""
    e = PRINT_OPTS.edgeitems
    index = [np.r_[0:e, n - e : n] if n > 2 * e else np.arange(n) for n in values.shape]
    return values[np.ix_(*index)]


def _vector_str(values: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    e = PRINT_OPTS.edgeitems
    n = values.shape[0]
    if summarize and not e:
        items = ["..."]
    elif summarize and n > 2 * e:
        items = [*map(fmt.format, values[:e].tolist()), " ...", *map(fmt.format, values[n - e :].tolist())]
    else:
        items = [fmt.format(v) for v in values.tolist()]
    # Each element takes its width plus ", ".
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (fmt.max_width + 2)))
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(values: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if values.ndim == 0:
        return fmt.format(values.item())
    if values.ndim == 1:
        return _vector_str(values, indent, summarize, fmt)
    e = PRINT_OPTS.edgeitems
    n = values.shape[0]
    if summarize and n > 2 * e:
        rows = [*range(e), None, *range(n - e, n)]  # None marks the elided block
    else:
        rows = list(range(n))
    parts = ["..." if i is None else _nested_str(values[i], indent + 1, summarize, fmt) for i in rows]
    # Sub-tensors are separated by (ndim - 1) newlines: a blank line between matrices of a 3-d tensor.
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _tensor_str(values: np.ndarray, floating: bool, indent: int) -> str:
    summarize = values.size > PRINT_OPTS.threshold
    if floating and values.dtype.itemsize < 4:
        values = values.astype(np.float32)  # PyTorch prints half precision via float32
    fmt = _Formatter(_summarized(values) if summarize else values, floating)
    return _nested_str(values, indent, summarize, fmt)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, suffix`` items, moving one to a new indented line when it would pass the linewidth."""
    parts = [text]
    # PyTorch's bookkeeping: length of the last line plus 2.
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def _as_numpy(data: Any) -> np.ndarray:
    if isinstance(data, np.ndarray):
        return data
    if hasattr(data, "get"):  # CuPy arrays copy to host with .get()
        return data.get()
    return np.asarray(data)


def format_tensor(
    t: Any, prefix: str = "tensor(", indent: int | None = None, *, default_dtype_name: str = "float32"
) -> str:
    """Return ``repr`` of tensor ``t`` exactly as PyTorch would print it (with ``ember.`` dtypes)."""
    if indent is None:
        indent = len(prefix) - prefix.rfind("\n") - 1  # length of the prefix's last line
    values = _as_numpy(t._data)
    dtype = t.dtype
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if values.size == 0:
        body = "[]"
        if values.ndim != 1:
            suffixes.append(f"size={tuple(values.shape)}")
        # With no elements the dtype cannot be inferred from the text, so only the default is implied.
        if dtype.name != default_dtype_name:
            suffixes.append(f"dtype={dtype}")
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(values.shape)}")
        default_complex = "complex128" if default_dtype_name == "float64" else "complex64"
        if dtype.name not in (default_dtype_name, default_complex, "int64", "bool"):
            suffixes.append(f"dtype={dtype}")
        body = _tensor_str(values, bool(dtype.is_floating_point), indent)
    grad_fn = t.grad_fn
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
