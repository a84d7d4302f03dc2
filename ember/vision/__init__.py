"""ember.vision: torchvision's API on ember (`import ember.vision as torchvision`): datasets, transforms, models."""

from . import datasets, io, models, transforms, utils  # noqa: F401
