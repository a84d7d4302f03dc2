"""ember's differentiable primitives, grouped by kind; importing this package registers them all."""

from . import (  # noqa: F401 - imported for their registrations
    comparison,
    conversion,
    indexing,
    joining,
    matmul,
    operators,
    pointwise,
    reduction,
    views,
)
from ._declare import FUNCTIONS

__all__ = ["FUNCTIONS"]
