"""ember.vision.models: torchvision's classification architectures, state_dict names and pretrained weights.

    from ember.vision import models
    model = models.resnet18(weights=models.ResNet18_Weights.DEFAULT)   # downloads once into ember.hub's cache
    model.fc = ember.nn.Linear(model.fc.in_features, 2)                # fine-tune for two classes
"""

from . import alexnet as _alexnet
from . import densenet, mobilenetv2, mobilenetv3, resnet, squeezenet, vgg
from ._api import ImageClassification, Weights, WeightsEnum, get_weight
from .alexnet import *  # noqa: F401,F403
from .densenet import *  # noqa: F401,F403
from .mobilenetv2 import *  # noqa: F401,F403
from .mobilenetv3 import *  # noqa: F401,F403
from .resnet import *  # noqa: F401,F403
from .squeezenet import *  # noqa: F401,F403
from .vgg import *  # noqa: F401,F403

__all__ = ["ImageClassification", "Weights", "WeightsEnum", "get_weight"]
for _family in (_alexnet, densenet, mobilenetv2, mobilenetv3, resnet, squeezenet, vgg):
    __all__ += _family.__all__
