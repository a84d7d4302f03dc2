"""The one error type the command line turns into a one-line message and exit code 1."""

from __future__ import annotations

import importlib


class CLIError(Exception):
    """A user-facing error: printed as one line (no traceback), exit code 1."""


def require(module: str, package: str | None = None, why: str = "the ember demo", hint: str = ""):
    """Import an optional dependency or fail with a CLIError naming the package to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise CLIError(f"{why} needs the '{package or module}' package: pip install 'ember[demo]'{hint}") from None
