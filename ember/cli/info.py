"""`ember info`: versions, the BLAS NumPy uses, thread counts, and whether CUDA is usable."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys

import numpy as np

import ember


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _blas() -> str:
    """NumPy's BLAS as np.show_config reports it, plus what threadpoolctl sees loaded when it is installed."""
    try:
        config = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        text = f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except Exception:  # older NumPy prints instead of returning a dict
        text = "unknown"
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return text
    pools = [f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads)"
             for p in threadpool_info() if p.get("user_api") == "blas"]
    return f"{text}; loaded: {', '.join(pools)}" if pools else text


def _cuda() -> str:
    if ember.cuda.is_available():
        return f"yes ({ember.cuda.device_count()} device(s))"
    try:
        import cupy  # noqa: F401
    except ImportError:
        return "no (CuPy is not installed)"
    except Exception as e:  # a broken CUDA install: say why in one line
        return f"no (CuPy fails to import: {str(e).splitlines()[0]})"
    return "no (CuPy is installed but sees no usable GPU)"


def lines() -> list[str]:
    """The report, one 'name: value' per line."""
    cupy = next((v for v in map(_version, ("cupy", "cupy-cuda12x", "cupy-cuda11x")) if v != "not installed"),
                "not installed")
    return [
        f"ember: {ember.__version__} ({os.path.dirname(ember.__file__)})",
        f"python: {platform.python_version()} ({sys.executable})",
        f"platform: {platform.platform()}",
        f"numpy: {np.__version__}",
        f"cupy: {cupy}",
        f"blas: {_blas()}",
        f"threads: {ember.get_num_threads()} (ember.get_num_threads), {os.cpu_count()} CPUs",
        f"cuda usable: {_cuda()}",
    ]


def info(args=None) -> int:
    """Print the report; returns the exit code."""
    print("\n".join(lines()))
    return 0
