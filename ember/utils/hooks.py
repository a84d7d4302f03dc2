"""RemovableHandle: what hook registration returns; `.remove()` (or leaving a `with`) unregisters it."""

from __future__ import annotations

import itertools

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """Handle to a hook stored in hooks_dict under a unique id (and in extra_dict(s), e.g. flag dicts).

    Example:
        >>> hooks = {}
        >>> h = RemovableHandle(hooks)
        >>> hooks[h.id] = print
        >>> h.remove()
        >>> hooks
        {}
    """

    _ids = itertools.count()

    def __init__(self, hooks_dict: dict, *, extra_dict: dict | list | tuple | None = None) -> None:
        self.hooks_dict = hooks_dict
        if extra_dict is None:
            extra_dict = ()
        self.extra_dicts = tuple(extra_dict) if isinstance(extra_dict, (list, tuple)) else (extra_dict,)
        self.id = next(RemovableHandle._ids)

    def remove(self) -> None:
        """Unregister the hook (a no-op when it is already gone)."""
        self.hooks_dict.pop(self.id, None)
        for d in self.extra_dicts:
            d.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
