"""ember.Size: the tuple subclass that `tensor.shape` returns."""

from __future__ import annotations

import operator


class Size(tuple):
    """A tensor shape: a tuple of ints with `numel()`; slicing and concatenation stay Sizes."""

    __slots__ = ()

    def __new__(cls, sizes=()):
        if sizes.__class__ is tuple:  # fast path: `tensor.shape` builds one from a NumPy shape every call
            for s in sizes:
                if s.__class__ is not int:
                    break
            else:
                return tuple.__new__(cls, sizes)
        items = []
        for i, s in enumerate(sizes):
            try:
                items.append(operator.index(s))  # ints, NumPy ints and one-element integer tensors
            except TypeError:
                raise TypeError(f"ember.Size() takes an iterable of 'int' (item {i} is "
                                f"'{type(s).__name__}')") from None
        return tuple.__new__(cls, items)

    def numel(self) -> int:
        """Product of the sizes (1 for an empty shape)."""
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"

    __str__ = __repr__

    def __getitem__(self, item):
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):
        if not isinstance(other, tuple):
            raise TypeError(f"can only concatenate tuple (not {type(other).__name__}) to ember.Size")
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(other + tuple(self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))


def broadcast_batch(sa: tuple, sb: tuple) -> tuple:
    """Broadcast two shapes, raising PyTorch's RuntimeError when they are incompatible."""
    n = max(len(sa), len(sb))
    sa, sb = (1,) * (n - len(sa)) + tuple(sa), (1,) * (n - len(sb)) + tuple(sb)
    out = [0] * n
    for i in range(n - 1, -1, -1):  # PyTorch reports the right-most mismatch
        x, y = sa[i], sb[i]
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                               f"non-singleton dimension {i}")
        out[i] = y if x == 1 else x
    return tuple(out)
