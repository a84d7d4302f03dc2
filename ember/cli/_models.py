"""The networks `ember train --model` offers: the tutorial LeNet, torchvision's resnet18 and an MLP.

Every model takes images of shape (in_channels, 32, 32); the datasets in _datasets.py produce that size.
"""

from __future__ import annotations

import ember
import ember.nn as nn
import ember.nn.functional as F

from ._errors import CLIError

IMAGE_SIZE = 32
MODELS = ("lenet", "resnet18", "mlp")


class LeNet(nn.Module):
    """The PyTorch tutorial's CNN: two convolutions, two max-pools, three linear layers, ReLU."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x: ember.Tensor) -> ember.Tensor:
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = ember.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def mlp(in_channels: int = 1, num_classes: int = 10) -> nn.Module:
    """A three-layer perceptron on the flattened image."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(in_channels * IMAGE_SIZE * IMAGE_SIZE, 256), nn.ReLU(),
        nn.Linear(256, 128), nn.ReLU(),
        nn.Linear(128, num_classes),
    )


def resnet18(in_channels: int = 3, num_classes: int = 10) -> nn.Module:
    """torchvision's resnet18 (random weights) with its stem adapted to in_channels."""
    from ember.vision.models import resnet18 as _resnet18

    model = _resnet18(num_classes=num_classes)
    if in_channels != 3:
        model.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model


def check_model_name(name: str) -> None:
    """Fail with a one-line CLIError unless name is one of MODELS."""
    if name not in MODELS:
        raise CLIError(f"unknown model '{name}' (choose from {', '.join(MODELS)})")


def build_model(name: str, in_channels: int, num_classes: int) -> nn.Module:
    """The model called `name` for images with in_channels channels and num_classes classes."""
    if name == "lenet":
        return LeNet(in_channels, num_classes)
    if name == "mlp":
        return mlp(in_channels, num_classes)
    if name == "resnet18":
        return resnet18(in_channels, num_classes)
    raise CLIError(f"unknown model '{name}' (choose from {', '.join(MODELS)})")
