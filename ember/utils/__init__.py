"""ember.utils: helpers outside the tensor core (hooks; data loading arrives with issue 5)."""

from . import hooks  # noqa: F401
