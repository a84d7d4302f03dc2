"""ember's differentiable primitives, grouped by kind; importing this package registers them all."""

from . import (  # noqa: F401 - imported for their registrations
    activation,
    comparison,
    conversion,
    einsum,
    gather_scatter,
    indexing,
    joining,
    linalg,
    matmul,
    operators,
    pointwise,
    rearrange,
    reduction,
    sorting,
    strided,
    unary,
    views,
)
from ._declare import FUNCTIONS

__all__ = ["FUNCTIONS"]
