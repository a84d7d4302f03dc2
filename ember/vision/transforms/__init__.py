"""ember.vision.transforms: torchvision's image transforms on PIL images and ember tensor images."""

from . import functional  # noqa: F401
from .functional import InterpolationMode  # noqa: F401
from .transforms import *  # noqa: F401,F403
from .transforms import __all__  # noqa: F401
