"""VGG 11/13/16/19, with and without BatchNorm, as torchvision builds them (layer indices included).

A configuration lists output channels of 3x3 convolutions and "M" for a 2x2 max pooling; with batch_norm
each convolution is followed by a BatchNorm2d, which shifts the indices of the `features` Sequential.
"""

from __future__ import annotations

from typing import Any

from ... import flatten, nn
from ._api import WeightsEnum, _build, _imagenet

__all__ = [
    "VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "VGG11_Weights", "VGG11_BN_Weights", "VGG13_Weights", "VGG13_BN_Weights", "VGG16_Weights",
    "VGG16_BN_Weights", "VGG19_Weights", "VGG19_BN_Weights",
]

_URL = "https://download.pytorch.org/models/"
_CFGS: dict[str, list] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


class VGG(nn.Module):
    """Convolutional `features`, 7x7 adaptive average pooling and a three-layer `classifier`."""

    def __init__(self, features: nn.Module, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(flatten(x, 1))


def make_layers(cfg: list, batch_norm: bool = False) -> nn.Sequential:
    """The `features` Sequential of a configuration: conv [BN] ReLU per number, MaxPool2d(2, 2) per "M"."""
    layers: list[nn.Module] = []
    in_channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        in_channels = v
    return nn.Sequential(*layers)


def _weights(name: str, file: str, num_params: int) -> type[WeightsEnum]:
    members = {"IMAGENET1K_V1": _imagenet(_URL + file, num_params)}
    members["DEFAULT"] = members["IMAGENET1K_V1"]
    return WeightsEnum(name, members, module=__name__)


VGG11_Weights = _weights("VGG11_Weights", "vgg11-8a719046.pth", 132863336)
VGG11_BN_Weights = _weights("VGG11_BN_Weights", "vgg11_bn-6002323d.pth", 132868840)
VGG13_Weights = _weights("VGG13_Weights", "vgg13-19584684.pth", 133047848)
VGG13_BN_Weights = _weights("VGG13_BN_Weights", "vgg13_bn-abd245e5.pth", 133053736)
VGG16_Weights = _weights("VGG16_Weights", "vgg16-397923af.pth", 138357544)
VGG16_BN_Weights = _weights("VGG16_BN_Weights", "vgg16_bn-6c64b313.pth", 138365992)
VGG19_Weights = _weights("VGG19_Weights", "vgg19-dcbb9e9d.pth", 143667240)
VGG19_BN_Weights = _weights("VGG19_BN_Weights", "vgg19_bn-c79401a0.pth", 143678248)


def _vgg(cfg: str, batch_norm: bool, weights: Any, enum: type, progress: bool, kwargs: dict) -> VGG:
    if weights is not None:
        kwargs.setdefault("init_weights", False)
    return _build(lambda **kw: VGG(make_layers(_CFGS[cfg], batch_norm), **kw), weights, enum, progress, kwargs)


def vgg11(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-11 (configuration "A")."""
    return _vgg("A", False, weights, VGG11_Weights, progress, kwargs)


def vgg11_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-11 with BatchNorm."""
    return _vgg("A", True, weights, VGG11_BN_Weights, progress, kwargs)


def vgg13(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-13 (configuration "B")."""
    return _vgg("B", False, weights, VGG13_Weights, progress, kwargs)


def vgg13_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-13 with BatchNorm."""
    return _vgg("B", True, weights, VGG13_BN_Weights, progress, kwargs)


def vgg16(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-16 (configuration "D")."""
    return _vgg("D", False, weights, VGG16_Weights, progress, kwargs)


def vgg16_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-16 with BatchNorm."""
    return _vgg("D", True, weights, VGG16_BN_Weights, progress, kwargs)


def vgg19(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-19 (configuration "E")."""
    return _vgg("E", False, weights, VGG19_Weights, progress, kwargs)


def vgg19_bn(*, weights=None, progress: bool = True, **kwargs: Any) -> VGG:
    """VGG-19 with BatchNorm."""
    return _vgg("E", True, weights, VGG19_BN_Weights, progress, kwargs)
