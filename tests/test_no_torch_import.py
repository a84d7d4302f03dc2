"""The ember package never imports torch: no import statement names it, and everything imports without it."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import ember

ROOT = Path(ember.__file__).parent


def _ember_modules() -> list[str]:
    return ["ember"] + [m.name for m in pkgutil.walk_packages([str(ROOT)], prefix="ember.")]


def _torch_imports(source: str, path: Path) -> list[str]:
    """`import torch...` / `from torch... import` statements (including relative-looking ones named torch)."""
    found = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [f"{path.relative_to(ROOT.parent)}:{node.lineno}: {n}" for n in names
                  if n == "torch" or n.startswith("torch.")]
    return found


def test_every_module_is_found():
    """The walk sees the package's subpackages (a walk that finds nothing would make the test below vacuous)."""
    modules = _ember_modules()
    for expected in ("ember._tensor", "ember._factories", "ember.ops.pointwise", "ember.autograd", "ember.testing"):
        assert expected in modules
    assert len(list(ROOT.rglob("*.py"))) >= len(modules) - 1


def test_no_source_file_imports_torch():
    """No .py file under ember/ contains an import of torch or a torch submodule."""
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        offenders += _torch_imports(path.read_text(encoding="utf-8"), path)
    assert not offenders, "ember imports torch:\n" + "\n".join(offenders)


def test_the_checker_detects_torch_imports():
    """The AST check itself flags the forms it must flag, and only those."""
    flagged = _torch_imports("import torch\nfrom torch.nn import functional\nimport torchvision\n"
                             "from .torch import x\nimport numpy as torch_like\n", ROOT / "x.py")
    assert [f.split(": ")[1] for f in flagged] == ["torch", "torch.nn"]


def test_ember_imports_with_torch_unavailable():
    """In a fresh interpreter where importing torch fails, ember and every submodule import."""
    modules = _ember_modules()
    script = (
        "import importlib, sys\n"
        "sys.modules['torch'] = None  # any `import torch` now raises ImportError\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "assert sys.modules['torch'] is None\n"
        "import ember\n"
        "print(len([m for m in sys.modules if m == 'ember' or m.startswith('ember.')]))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                            cwd=str(ROOT.parent))
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= len(modules)
