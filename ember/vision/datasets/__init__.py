"""ember.vision.datasets: torchvision's datasets with the same arguments, attributes and on-disk layout."""

from .cifar import CIFAR10, CIFAR100
from .fakedata import FakeData
from .folder import IMG_EXTENSIONS, DatasetFolder, ImageFolder, default_loader
from .mnist import EMNIST, KMNIST, MNIST, QMNIST, FashionMNIST
from .stl10 import STL10
from .svhn import SVHN
from .vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "DatasetFolder", "EMNIST", "FakeData", "FashionMNIST", "IMG_EXTENSIONS",
           "ImageFolder", "KMNIST", "MNIST", "QMNIST", "STL10", "SVHN", "VisionDataset", "default_loader"]
