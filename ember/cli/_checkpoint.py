"""Checkpoints of `ember train`: model, optimizer, progress and every RNG state, written atomically.

Note [exact resume]: the checkpoint stores the global RNG state both as it was at the start of the epoch in
progress and as it is now. Resuming restores the first, builds the shuffling DataLoader iterator (which draws
its seed from that state, as PyTorch's RandomSampler does), skips the batches already trained, then restores
the second; so a run interrupted anywhere and resumed ends with the same weights as an uninterrupted one.
"""

from __future__ import annotations

import os
import random

import numpy as np

import ember

from ._errors import CLIError

CHECKPOINT_NAME = "checkpoint.pt"


def rng_states() -> dict:
    """The global random states (ember, Python, NumPy) as plain, weights_only-loadable values."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {"ember": ember.get_rng_state(), "python": random.getstate(),
            "numpy": [kind, keys.tolist(), int(pos), int(has_gauss), float(cached)]}


def set_rng_states(states: dict) -> None:
    """Restore what rng_states() returned."""
    ember.set_rng_state(states["ember"])
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, np.array(keys, dtype=np.uint32), pos, has_gauss, cached))


def save_checkpoint(state: dict, path: str) -> None:
    """Write state to path atomically (ember.save renames a complete temporary file over path)."""
    try:
        ember.save(state, path)
    except OSError as e:
        raise CLIError(f"cannot write checkpoint '{path}': {e.strerror or e}") from None


def load_checkpoint(path: str) -> dict:
    """Read a checkpoint written by save_checkpoint."""
    if not os.path.isfile(path):
        raise CLIError(f"no checkpoint at '{path}'")
    try:
        state = ember.load(path, weights_only=True)
    except Exception as e:  # a corrupt or foreign file: say which, in one line
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise CLIError(f"cannot read checkpoint '{path}': {reason}") from None
    if not isinstance(state, dict) or "model" not in state or "config" not in state:
        raise CLIError(f"'{path}' is not a checkpoint written by `ember train`")
    return state
