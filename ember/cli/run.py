"""`ember run SCRIPT.py [ARGS...]`: run an unmodified PyTorch script on ember.

Note [the torch import hook]: for the duration of the run a finder at the front of sys.meta_path answers every
import of `torch`, `torchvision` and their submodules with ember's module of the same path (`torch` -> `ember`,
`torch.nn.functional` -> `ember.nn.functional`, `torchvision.transforms` -> `ember.vision.transforms`). The
script receives a thin alias module per name, which reads through to ember's module and writes through to it
(`torch.backends.cudnn.benchmark = True` sets ember's flag), and turns a missing attribute into an
AttributeError naming both ember's module and what the script asked for. Nothing is installed globally: the
finder and the alias modules are removed afterwards and any real torch modules put back.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import runpy
import sys
import types

ALIASES = {"torchvision": "ember.vision", "torch": "ember"}


def ember_name(fullname: str) -> str | None:
    """ember's module path for a torch/torchvision module path, or None when the name is not one of theirs."""
    for alias, target in ALIASES.items():
        if fullname == alias or fullname.startswith(alias + "."):
            return target + fullname[len(alias):]
    return None


class AliasModule(types.ModuleType):
    """A torch-named stand-in for an ember module (Note [the torch import hook])."""

    def __init__(self, alias: str, target: types.ModuleType) -> None:
        super().__init__(alias, getattr(target, "__doc__", None))
        object.__setattr__(self, "_ember_target", target)

    def __getattr__(self, name: str):
        target = object.__getattribute__(self, "_ember_target")
        try:
            value = getattr(target, name)
        except AttributeError:
            if name.startswith("__"):
                raise
            raise AttributeError(f"{target.__name__} has no attribute '{name}' "
                                 f"(the script asked for {self.__name__}.{name})") from None
        if isinstance(value, types.ModuleType) and value.__name__.startswith(target.__name__ + "."):
            return importlib.import_module(f"{self.__name__}.{name}")  # the alias of the submodule
        return value

    def __setattr__(self, name: str, value) -> None:
        # the import system records submodules and module metadata on the alias; everything else is the
        # script changing ember's state (a flag, a default) and goes to ember's module
        if name.startswith("__") or isinstance(value, AliasModule):
            object.__setattr__(self, name, value)
        else:
            setattr(object.__getattribute__(self, "_ember_target"), name, value)

    def __dir__(self) -> list[str]:
        return sorted(set(dir(object.__getattribute__(self, "_ember_target"))) | set(self.__dict__))


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec):
        return AliasModule(spec.name, importlib.import_module(self.target))

    def exec_module(self, module) -> None:
        pass


class TorchFinder(importlib.abc.MetaPathFinder):
    """Resolves torch/torchvision imports to ember's modules (Note [the torch import hook])."""

    def find_spec(self, fullname: str, path=None, target=None):
        name = ember_name(fullname)
        if name is None:
            return None
        try:
            found = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            found = None
        if found is None:
            raise ModuleNotFoundError(f"No module named '{fullname}': ember has no module '{name}' to run it with",
                                      name=fullname)
        is_package = found.submodule_search_locations is not None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(name), is_package=is_package)


def _is_aliased(name: str) -> bool:
    return ember_name(name) is not None


class torch_aliases:
    """Context manager: torch/torchvision imports resolve to ember inside it, and nothing changes outside it."""

    def __enter__(self) -> torch_aliases:
        self._saved = {k: sys.modules.pop(k) for k in list(sys.modules) if _is_aliased(k)}
        self._finder = TorchFinder()
        sys.meta_path.insert(0, self._finder)
        return self

    def __exit__(self, *exc) -> None:
        sys.meta_path.remove(self._finder)
        for k in [k for k in sys.modules if _is_aliased(k)]:
            del sys.modules[k]
        sys.modules.update(self._saved)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of `ember run`."""
    p.add_argument("script", help="a Python script written for PyTorch")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")


def run_script(script: str, args: list[str]) -> None:
    """Run script as __main__ with sys.argv = [script, *args] and torch imports aliased to ember."""
    saved_argv, saved_path0 = sys.argv[:], sys.path[0] if sys.path else None
    sys.argv = [script, *args]
    script_dir = os.path.dirname(os.path.abspath(script))
    if sys.path:
        sys.path[0] = script_dir  # what `python script.py` puts first
    else:
        sys.path.insert(0, script_dir)
    try:
        with torch_aliases():
            runpy.run_path(script, run_name="__main__")
    finally:
        sys.argv = saved_argv
        if saved_path0 is not None:
            sys.path[0] = saved_path0
