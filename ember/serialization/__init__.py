"""ember.save / ember.load in PyTorch's zip checkpoint format, safe by default; safetensors files.

`ember.load` reads with a restricted unpickler (weights_only=True) unless told otherwise; extend what it
accepts with `add_safe_globals`. Files written by `ember.save` load in PyTorch with `torch.load`.
"""

from __future__ import annotations

from ._load import load
from ._rebuild import Storage
from ._save import save
from ._unpickler import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals
from .safetensors import load_safetensors, save_safetensors

__all__ = ["Storage", "add_safe_globals", "clear_safe_globals", "get_safe_globals", "load", "load_safetensors",
           "safe_globals", "save", "save_safetensors"]
