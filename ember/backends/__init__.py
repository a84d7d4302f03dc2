"""ember.backends: PyTorch's backend switches, as settable flags (ember runs on NumPy, or CuPy on a GPU)."""

from . import cuda, cudnn, mkl, mps, openmp  # noqa: F401
