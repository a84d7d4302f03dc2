"""einsum: Einstein summation over any number of operands, with '...' and implicit output.

The public function parses the equation, takes diagonals for labels repeated inside an operand and
expands size-1 dims that broadcast, so the `Einsum` op itself only ever sees operands whose labels
are distinct and whose sizes agree. Its backward is again an einsum: the gradient of operand k
contracts the output gradient with all the other operands.
"""

from __future__ import annotations

import string

import numpy as np

from .._tensor import Tensor
from ..autograd.graph import Op
from ..backend import xp_of
from ._declare import declare
from .matmul import _legacy_name

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # PyTorch's label order: A-Z before a-z


# -- diagonals of repeated labels ('ii->i') ------------------------------------------------------------


def _diagonal_view(a, labels: str):
    """Strided view of a over the distinct labels (first-occurrence order): a[i, i] for 'ii'."""
    unique = "".join(dict.fromkeys(labels))
    shape = [a.shape[labels.index(u)] for u in unique]
    strides = [sum(s for lab, s in zip(labels, a.strides) if lab == u) for u in unique]
    return xp_of(a).lib.stride_tricks.as_strided(a, shape, strides)


class TakeDiagonal(Op):
    name = "DiagonalBackward0"

    @staticmethod
    def forward(ctx, a, labels):
        ctx.labels, ctx.shape = labels, a.shape
        return _diagonal_view(a, labels).copy()

    @staticmethod
    def backward(ctx, g):
        return EmbedDiagonal.apply(g, labels=ctx.labels, shape=ctx.shape)


class EmbedDiagonal(Op):
    """Adjoint of TakeDiagonal: zeros everywhere except the diagonal, which holds the input."""

    name = "DiagonalBackwardBackward0"

    @staticmethod
    def forward(ctx, g, labels, shape):
        ctx.labels = labels
        out = xp_of(g).zeros(shape, g.dtype)
        _diagonal_view(out, labels)[...] = g
        return out

    @staticmethod
    def backward(ctx, gg):
        return TakeDiagonal.apply(gg, labels=ctx.labels)


# -- the contraction ---------------------------------------------------------------------------------


class _Einsum(Op):
    """Contraction of operands with distinct labels and matching sizes (see the module docstring)."""

    name = "EinsumBackward0"

    @staticmethod
    def forward(ctx, *arrays, terms, output):
        ctx.terms, ctx.output = terms, output
        # optimize routes pairwise contractions to BLAS; planning costs ~25us, which pays off from ~1k elements
        big = len(arrays) > 2 or (len(arrays) == 2 and max(a.size for a in arrays) >= 1024)
        out = np.einsum(",".join(terms) + "->" + output, *arrays, optimize=big)
        if any(np.may_share_memory(out, a) for a in arrays):  # pure permutations come back as views
            out = out.copy()
        return out

    @staticmethod
    def backward(ctx, g):
        ops = ctx.saved_tensors
        terms, output = ctx.terms, ctx.output
        grads = []
        for k, (op, term) in enumerate(zip(ops, terms)):
            if not ctx.needs_input_grad[k]:
                grads.append(None)
                continue
            others = [(o, t) for j, (o, t) in enumerate(zip(ops, terms)) if j != k]
            seen = set(output).union(*(t for _, t in others))
            # labels summed away inside operand k alone: their gradient is the same along them
            kept = "".join(lab for lab in term if lab in seen)
            gk = _contract([g] + [o for o, _ in others], [output] + [t for _, t in others], kept)
            if kept != term:
                shape = tuple(op._data.shape[i] if lab in seen else 1 for i, lab in enumerate(term))
                gk = gk.reshape(shape).expand(op._data.shape)
            grads.append(gk)
        return tuple(grads)


_EINSUM_OPS: dict = {}


def _einsum_op(n: int):
    """The _Einsum subclass for n operands (an op saves a fixed tuple of inputs)."""
    op = _EINSUM_OPS.get(n)
    if op is None:
        op = _EINSUM_OPS[n] = type("Einsum", (_Einsum,), {"save": tuple(range(n)), "name": _Einsum.name})
    return op


def _contract(tensors: list, terms: list, output: str) -> Tensor:
    return _einsum_op(len(tensors)).apply(*tensors, terms=tuple(terms), output=output)


# -- parsing -------------------------------------------------------------------------------------------


def _parse_term(term: str, start: int, k: int):
    """Labels of one operand's subscripts and the position of its ellipsis (or None)."""
    labels, ellipsis, i = [], None, 0
    while i < len(term):
        c = term[i]
        if c == ".":
            if ellipsis is not None:
                raise RuntimeError(f"einsum(): found '.' for operand {k} for which an ellipsis was already found")
            if term[i:i + 3] != "...":
                raise RuntimeError(f"einsum(): found '.' for operand {k} that is not part of any ellipsis")
            ellipsis = len(labels)
            i += 3
            continue
        if c not in _LETTERS:
            raise RuntimeError(f"einsum(): invalid subscript given at index {start + i} in the equation string, "
                               "subscripts must be in [a-zA-Z]")
        labels.append(c)
        i += 1
    return labels, ellipsis


def _parse(equation: str, operands: list):
    """Per-operand label strings (ellipsis dims get fresh letters), the output labels, and each label's size."""
    lhs, arrow, rhs = equation.partition("->")
    raw_terms, pos = [], 0
    for term in lhs.split(","):
        raw_terms.append(_parse_term(term, pos, len(raw_terms)))
        pos += len(term) + 1
    if len(raw_terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(raw_terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    used = set(equation)
    spare = [c for c in _LETTERS if c not in used]
    n_ell = 0
    for k, ((labels, ell), t) in enumerate(zip(raw_terms, operands)):
        nd = t._data.ndim
        if ell is None and len(labels) != nd:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(labels)}) does not match "
                               f"the number of dimensions ({nd}) for operand {k} and no ellipsis was given")
        if ell is not None and len(labels) > nd:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(labels)}) is more than "
                               f"the number of dimensions ({nd}) for operand {k}")
        if ell is not None:
            n_ell = max(n_ell, nd - len(labels))
    if n_ell > len(spare):
        raise RuntimeError("einsum(): too many dimensions covered by ellipsis")
    ell_labels = "".join(spare[:n_ell])  # right-aligned across operands, as broadcasting is
    terms = []
    for (labels, ell), t in zip(raw_terms, operands):
        if ell is not None:
            width = t._data.ndim - len(labels)
            labels = labels[:ell] + list(ell_labels[n_ell - width:]) + labels[ell:]
        terms.append("".join(labels))
    if arrow:
        out_labels, out_ell = _parse_term(rhs, len(lhs) + 2, 0)
        for c in out_labels:
            if not any(c in term for term in terms):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   "operand")
        if len(set(out_labels)) != len(out_labels):
            dup = next(c for c in out_labels if out_labels.count(c) > 1)
            raise RuntimeError(f"einsum(): output subscript {dup} appears more than once in the output")
        if out_ell is not None:
            out_labels = out_labels[:out_ell] + list(ell_labels) + out_labels[out_ell:]
        output = "".join(out_labels)
    else:
        counts = {}
        for term in terms:
            for c in term:
                counts[c] = counts.get(c, 0) + 1
        output = ell_labels + "".join(sorted((c for c, n in counts.items() if n == 1 and c not in ell_labels),
                                             key=_LETTERS.index))
    return terms, output, _sizes(terms, operands, ell_labels, raw_terms)


def _sizes(terms: list, operands: list, ell_labels: str, raw_terms: list) -> dict:
    """Size of every label, broadcasting size-1 dims, with PyTorch's errors for clashes."""
    sizes: dict = {}
    for k, (term, t) in enumerate(zip(terms, operands)):
        own: dict = {}
        ell_start = raw_terms[k][1]
        for i, (c, s) in enumerate(zip(term, t._data.shape)):
            if c in own and own[c] != s:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the sizes don't match, "
                                   f"{s} != {own[c]}")
            own[c] = s
            prev = sizes.get(c, 1)
            if s != prev and s != 1 and prev != 1:
                if c in ell_labels:
                    raise RuntimeError(f"einsum(): dimension {i - ell_start} covered by ellipsis in operand {k}has "
                                       f"size {s} which does not broadcast with previously seen ellipsis with size "
                                       f"{prev} for the respective dimension")
                raise RuntimeError(f"einsum(): subscript {c} has size {s} for operand {k} which does not broadcast "
                                   f"with previously seen size {prev}")
            sizes[c] = s if prev == 1 else prev
    return sizes


def _sublist_equation(args) -> tuple:
    """Turn einsum(op0, [0, 1], op1, [1, 2], [0, 2]) into an equation string and operands."""

    def letters(sub) -> str:
        out = []
        for v in sub:
            if v is Ellipsis:
                out.append("...")
            elif isinstance(v, int) and 0 <= v < 52:
                out.append(_LETTERS[v])
            else:
                raise ValueError(f"einsum(): expected subscript to be within the range [0, 52), but got {v}")
        return "".join(out)

    operands = list(args[0::2][: len(args) // 2])
    terms = [letters(s) for s in args[1::2][: len(args) // 2]]
    equation = ",".join(terms)
    if len(args) % 2:
        equation += "->" + letters(args[-1])
    return equation, operands


@declare(method=False)
def einsum(*args) -> Tensor:
    """Einstein summation: einsum('ij,jk->ik', a, b); '...' stands for broadcast leading dims."""
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand, or at least one "
                        "operand and its subscripts list")
    if isinstance(args[0], str):
        equation, operands = args[0], list(args[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
    else:
        equation, operands = _sublist_equation(args)
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    first = operands[0]
    for t in operands[1:]:
        if t._data.dtype != first._data.dtype:
            raise RuntimeError(f"expected scalar type {_legacy_name(first)} but found {_legacy_name(t)}")
    terms, output, sizes = _parse(equation.replace(" ", ""), operands)
    prepared = []
    for term, t in zip(terms, operands):
        if len(set(term)) != len(term):
            t = TakeDiagonal.apply(t, labels=term)
            term = "".join(dict.fromkeys(term))
        full = tuple(sizes[c] for c in term)
        if t._data.shape != full:
            t = t.expand(full)
        prepared.append((t, term))
    return _contract([t for t, _ in prepared], [term for _, term in prepared], output)
