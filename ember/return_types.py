"""Named tuples returned by reductions that give several tensors, e.g. `ember.return_types.max`.

Like PyTorch's structseq types they are tuples (unpack, index, compare like tuples), have one
attribute per field (`values`, `indices`), and print one field per line:

    >>> ember.tensor([[1., 3.], [4., 2.]]).max(1)
    ember.return_types.max(
    values=tensor([3., 4.]),
    indices=tensor([1, 0]))
"""

from __future__ import annotations

import operator

__all__ = ["aminmax", "cummax", "cummin", "kthvalue", "max", "median", "min", "mode", "nanmedian", "sort",
           "topk"]


class _StructSeq(tuple):
    """A tuple with named fields, constructed from one sequence (as PyTorch's return types are)."""

    __slots__ = ()
    _names: tuple = ()

    def __new__(cls, sequence=()):
        items = tuple(sequence)
        n = len(cls._names)
        if len(items) != n:
            raise TypeError(f"{cls.__module__}.{cls.__name__}() takes a {n}-sequence ({len(items)}-sequence given)")
        return tuple.__new__(cls, items)

    @property
    def n_fields(self) -> int:
        return len(self._names)

    n_sequence_fields = n_fields
    n_unnamed_fields = 0

    def __repr__(self) -> str:
        body = ",\n".join(f"{name}={value!r}" for name, value in zip(self._names, self))
        return f"{type(self).__module__}.{type(self).__name__}(\n{body})"

    def __reduce__(self):
        return (type(self), (tuple(self),))


def _make(name: str, fields: tuple) -> type:
    attrs = {"__slots__": (), "_names": fields, "__module__": __name__, "__qualname__": name,
             "__doc__": f"Named tuple ({', '.join(fields)}) returned by ember.{name}."}
    for i, field in enumerate(fields):
        attrs[field] = property(operator.itemgetter(i), doc=f"Field {i}: {field}.")
    return type(name, (_StructSeq,), attrs)


max = _make("max", ("values", "indices"))
min = _make("min", ("values", "indices"))
sort = _make("sort", ("values", "indices"))
topk = _make("topk", ("values", "indices"))
median = _make("median", ("values", "indices"))
nanmedian = _make("nanmedian", ("values", "indices"))
kthvalue = _make("kthvalue", ("values", "indices"))
mode = _make("mode", ("values", "indices"))
cummax = _make("cummax", ("values", "indices"))
cummin = _make("cummin", ("values", "indices"))
aminmax = _make("aminmax", ("min", "max"))
