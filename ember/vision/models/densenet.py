"""DenseNet-121/161/169/201 as torchvision builds them ("Densely Connected Convolutional Networks").

Each dense layer sees the concatenation of all earlier feature maps of its block and adds `growth_rate`
new channels; transitions halve channels and resolution between blocks.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

from ... import cat, flatten, nn
from ...nn import functional as F
from ._api import WeightsEnum, _build, _imagenet

__all__ = [
    "DenseNet", "densenet121", "densenet161", "densenet169", "densenet201", "DenseNet121_Weights",
    "DenseNet161_Weights", "DenseNet169_Weights", "DenseNet201_Weights",
]

_URL = "https://download.pytorch.org/models/"


class _DenseLayer(nn.Module):
    """BN-ReLU-1x1 conv (bottleneck to bn_size * growth_rate), BN-ReLU-3x3 conv (growth_rate new channels)."""

    def __init__(self, num_input_features: int, growth_rate: int, bn_size: int, drop_rate: float,
                 memory_efficient: bool = False):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(num_input_features)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = nn.Conv2d(num_input_features, bn_size * growth_rate, kernel_size=1, stride=1, bias=False)
        self.norm2 = nn.BatchNorm2d(bn_size * growth_rate)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(bn_size * growth_rate, growth_rate, kernel_size=3, stride=1, padding=1, bias=False)
        self.drop_rate = float(drop_rate)
        self.memory_efficient = memory_efficient  # accepted for API parity; checkpointing is not used

    def forward(self, inputs):
        x = cat(inputs, 1) if isinstance(inputs, (list, tuple)) else inputs
        x = self.conv1(self.relu1(self.norm1(x)))
        x = self.conv2(self.relu2(self.norm2(x)))
        if self.drop_rate > 0:
            x = F.dropout(x, p=self.drop_rate, training=self.training)
        return x


class _DenseBlock(nn.ModuleDict):
    """num_layers dense layers named denselayer1, denselayer2, ...; returns all feature maps concatenated."""

    def __init__(self, num_layers: int, num_input_features: int, bn_size: int, growth_rate: int,
                 drop_rate: float, memory_efficient: bool = False):
        super().__init__()
        for i in range(num_layers):
            layer = _DenseLayer(num_input_features + i * growth_rate, growth_rate, bn_size, drop_rate,
                                memory_efficient)
            self.add_module(f"denselayer{i + 1}", layer)

    def forward(self, init_features):
        features = [init_features]
        for layer in self.values():
            features.append(layer(features))
        return cat(features, 1)


class _Transition(nn.Sequential):
    """BN-ReLU-1x1 conv then 2x2 average pooling, between dense blocks."""

    def __init__(self, num_input_features: int, num_output_features: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(num_input_features)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(num_input_features, num_output_features, kernel_size=1, stride=1, bias=False)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)


class DenseNet(nn.Module):
    """A 7x7 stem, dense blocks joined by transitions, a final BatchNorm (`features.norm5`) and `classifier`."""

    def __init__(self, growth_rate: int = 32, block_config: tuple = (6, 12, 24, 16), num_init_features: int = 64,
                 bn_size: int = 4, drop_rate: float = 0, num_classes: int = 1000, memory_efficient: bool = False):
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("conv0", nn.Conv2d(3, num_init_features, kernel_size=7, stride=2, padding=3, bias=False)),
            ("norm0", nn.BatchNorm2d(num_init_features)),
            ("relu0", nn.ReLU(inplace=True)),
            ("pool0", nn.MaxPool2d(kernel_size=3, stride=2, padding=1)),
        ]))
        num_features = num_init_features
        for i, num_layers in enumerate(block_config):
            block = _DenseBlock(num_layers, num_features, bn_size, growth_rate, drop_rate, memory_efficient)
            self.features.add_module(f"denseblock{i + 1}", block)
            num_features += num_layers * growth_rate
            if i != len(block_config) - 1:
                self.features.add_module(f"transition{i + 1}", _Transition(num_features, num_features // 2))
                num_features //= 2
        self.features.add_module("norm5", nn.BatchNorm2d(num_features))
        self.classifier = nn.Linear(num_features, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = F.relu(self.features(x), inplace=True)
        x = F.adaptive_avg_pool2d(x, (1, 1))
        return self.classifier(flatten(x, 1))


# The published checkpoints predate today's names: "denselayer1.norm.1.weight" is now "denselayer1.norm1.weight".
_OLD_KEY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$")


def _remap_old_keys(state: dict) -> dict:
    """Rename the old dense-layer keys of torchvision's published DenseNet checkpoints."""
    out = {}
    for key, value in state.items():
        match = _OLD_KEY.match(key)
        out[match.group(1) + match.group(2) if match else key] = value
    return out


def _weights(name: str, file: str, num_params: int) -> type[WeightsEnum]:
    members = {"IMAGENET1K_V1": _imagenet(_URL + file, num_params, min_size=(29, 29))}
    members["DEFAULT"] = members["IMAGENET1K_V1"]
    return WeightsEnum(name, members, module=__name__)


DenseNet121_Weights = _weights("DenseNet121_Weights", "densenet121-a639ec97.pth", 7978856)
DenseNet161_Weights = _weights("DenseNet161_Weights", "densenet161-8d451a50.pth", 28681000)
DenseNet169_Weights = _weights("DenseNet169_Weights", "densenet169-b2777c0a.pth", 14149480)
DenseNet201_Weights = _weights("DenseNet201_Weights", "densenet201-c1103571.pth", 20013928)


def _densenet(growth_rate: int, block_config: tuple, num_init_features: int, weights: Any, enum: type,
              progress: bool, kwargs: dict) -> DenseNet:
    factory = lambda **kw: DenseNet(growth_rate, block_config, num_init_features, **kw)
    return _build(factory, weights, enum, progress, kwargs, remap=_remap_old_keys)


def densenet121(*, weights=None, progress: bool = True, **kwargs: Any) -> DenseNet:
    """DenseNet-121 (growth 32, blocks 6-12-24-16)."""
    return _densenet(32, (6, 12, 24, 16), 64, weights, DenseNet121_Weights, progress, kwargs)


def densenet161(*, weights=None, progress: bool = True, **kwargs: Any) -> DenseNet:
    """DenseNet-161 (growth 48, blocks 6-12-36-24)."""
    return _densenet(48, (6, 12, 36, 24), 96, weights, DenseNet161_Weights, progress, kwargs)


def densenet169(*, weights=None, progress: bool = True, **kwargs: Any) -> DenseNet:
    """DenseNet-169 (growth 32, blocks 6-12-32-32)."""
    return _densenet(32, (6, 12, 32, 32), 64, weights, DenseNet169_Weights, progress, kwargs)


def densenet201(*, weights=None, progress: bool = True, **kwargs: Any) -> DenseNet:
    """DenseNet-201 (growth 32, blocks 6-12-48-32)."""
    return _densenet(32, (6, 12, 48, 32), 64, weights, DenseNet201_Weights, progress, kwargs)
