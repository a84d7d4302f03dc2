"""RemovableHandle: what hook registration returns; `.remove()` (or leaving a `with`) unregisters it."""

from __future__ import annotations

import itertools

_ids = itertools.count()


class RemovableHandle:
    """Handle to a hook stored in one or more dicts under a unique id."""

    def __init__(self, *hooks_dicts: dict, extra_dict: dict | None = None) -> None:
        self.hooks_dicts = hooks_dicts
        self.extra_dict = extra_dict
        self.id = next(_ids)

    def remove(self) -> None:
        """Unregister the hook (a no-op when it is already gone)."""
        for d in self.hooks_dicts:
            d.pop(self.id, None)
        if self.extra_dict is not None:
            self.extra_dict.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
