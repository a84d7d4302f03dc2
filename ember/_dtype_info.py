"""finfo and iinfo: the numerical limits of ember's dtypes, with PyTorch's attribute names."""

from __future__ import annotations

import numpy as np

from . import _dtype as D


class finfo:
    """Limits of a floating dtype: bits, eps, max, min, tiny (= smallest_normal), resolution."""

    def __init__(self, type: D.dtype | None = None) -> None:
        type = D.get_default_dtype() if type is None else type
        if not isinstance(type, D.dtype):
            raise TypeError(f"finfo(): argument 'type' must be ember.dtype, not {type.__class__.__name__}")
        if not type.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            "'torch.finfo'")
        info = np.finfo(type.np)
        self.bits = info.bits
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = float(info.smallest_normal)
        self.smallest_normal = self.tiny
        self.resolution = 10.0 ** -info.precision
        self.dtype = type.name

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype: bits, min, max."""

    def __init__(self, type: D.dtype) -> None:
        if not isinstance(type, D.dtype):
            raise TypeError(f"iinfo(): argument 'type' must be ember.dtype, not {type.__class__.__name__}")
        if type.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle "
                            "'torch.iinfo'")
        if type.np.kind == "b":
            raise TypeError("ember.bool is not supported by ember.iinfo")
        info = np.iinfo(type.np)
        self.bits, self.min, self.max = info.bits, int(info.min), int(info.max)
        self.dtype = type.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
