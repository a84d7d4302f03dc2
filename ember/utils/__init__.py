"""ember.utils: hooks and data loading (ember.utils.data)."""

from . import data, hooks, model_zoo  # noqa: F401
