"""ember.linalg: PyTorch's torch.linalg namespace (inverses, determinants, solvers, norms, products)."""

from __future__ import annotations

from .ops.linalg import LinAlgError
from .ops.linalg import linalg_cross as cross
from .ops.linalg import linalg_det as det
from .ops.linalg import linalg_inv as inv
from .ops.linalg import linalg_matrix_norm as matrix_norm
from .ops.linalg import linalg_matrix_power as matrix_power
from .ops.linalg import linalg_norm as norm
from .ops.linalg import linalg_slogdet as slogdet
from .ops.linalg import linalg_solve as solve
from .ops.linalg import linalg_svdvals as svdvals
from .ops.linalg import linalg_vecdot as vecdot
from .ops.linalg import linalg_vector_norm as vector_norm
from .ops.matmul import matmul, multi_dot

__all__ = ["LinAlgError", "cross", "det", "inv", "matmul", "matrix_norm", "matrix_power", "multi_dot", "norm",
           "slogdet", "solve", "svdvals", "vecdot", "vector_norm"]
