"""ember.nn: modules, parameters, the functional API, initialisation and utilities (PyTorch's torch.nn)."""

from . import functional, init, utils  # noqa: F401
from .modules import *  # noqa: F401,F403
from .parallel import DataParallel  # noqa: F401
from .parameter import *  # noqa: F401,F403
