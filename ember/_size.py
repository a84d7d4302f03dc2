"""ember.Size: the tuple subclass that `tensor.shape` returns."""

from __future__ import annotations


class Size(tuple):
    """A tensor shape; a tuple of ints with `numel()`."""

    __slots__ = ()

    def numel(self) -> int:
        """Product of the sizes (1 for an empty shape)."""
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"ember.Size({list(self)})"

    def __getitem__(self, item):
        out = tuple.__getitem__(self, item)
        return Size(out) if isinstance(item, slice) else out

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def __reduce__(self):
        return (Size, (tuple(self),))
