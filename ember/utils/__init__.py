"""ember.utils: hooks and data loading (ember.utils.data)."""

from . import data, hooks  # noqa: F401
