"""CUDA math switches (TF32 and reduced-precision reductions), recorded for compatibility."""

from __future__ import annotations


class _MatmulFlags:
    """ember.backends.cuda.matmul.allow_tf32 and friends."""

    allow_tf32 = False
    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()


def is_built() -> bool:
    """Whether the CUDA backend (CuPy) can be imported."""
    from ..backend import cuda_available

    return cuda_available()
