"""The datasets `ember train --dataset` offers, each as (train, test) at 32x32 pixels, normalised to [-1, 1].

digits (the default) is scikit-learn's bundled copy of the UCI handwritten digits: 1,797 8x8 images, available
offline. Its 8x8 images are upsampled 4x (nearest neighbour) to the network's 32x32 input and split into
train/test with a fixed seed, so every run and every --seed sees the same test set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

import ember
from ember.utils.data import Dataset, Subset, TensorDataset

from ._errors import CLIError, require

DATASETS = ("digits", "mnist", "fashion-mnist", "cifar10", "imagefolder:PATH")
DIGITS_TEST_SIZE = 360
SPLIT_SEED = 0  # the fixed train/test split of digits and of an ImageFolder without train/ and val/


@dataclass
class DataSpec:
    """A dataset ready for training: its splits, class names and image channels."""

    name: str
    train: Dataset
    test: Dataset
    classes: list[str]
    in_channels: int
    notes: list[str] = field(default_factory=list)


def check_dataset_name(name: str) -> None:
    """Fail with a one-line CLIError unless name is one of DATASETS (an imagefolder needs its path)."""
    if name == "imagefolder" or name == "imagefolder:":
        raise CLIError("--dataset imagefolder needs a folder: --dataset imagefolder:PATH")
    if name not in DATASETS[:-1] and not name.startswith("imagefolder:"):
        raise CLIError(f"unknown dataset '{name}' (choose from {', '.join(DATASETS)})")


def load_dataset(name: str, root: str = "data", download: bool = True) -> DataSpec:
    """Load the dataset called `name` (see DATASETS) from `root`, downloading it when allowed."""
    if name == "digits":
        return _digits()
    if name in ("mnist", "fashion-mnist"):
        return _mnist(name, root, download)
    if name == "cifar10":
        return _cifar10(root, download)
    if name.startswith("imagefolder:"):
        return _image_folder(name[len("imagefolder:"):])
    if name == "imagefolder":
        raise CLIError("--dataset imagefolder needs a folder: --dataset imagefolder:PATH")
    raise CLIError(f"unknown dataset '{name}' (choose from {', '.join(DATASETS)})")


def _digits() -> DataSpec:
    datasets = require("sklearn.datasets", "scikit-learn", "the digits dataset")
    digits = datasets.load_digits()
    images = digits.images.astype(np.float32) / 16.0  # pixel values are 0..16
    images = np.kron(images, np.ones((4, 4), dtype=np.float32))[:, None]  # 8x8 -> 32x32, one channel
    images = (images - 0.5) / 0.5
    labels = digits.target.astype(np.int64)
    order = np.random.RandomState(SPLIT_SEED).permutation(len(labels))
    test_idx, train_idx = order[:DIGITS_TEST_SIZE], order[DIGITS_TEST_SIZE:]

    def split(idx):
        return TensorDataset(ember.from_numpy(np.ascontiguousarray(images[idx])), ember.from_numpy(labels[idx]))

    return DataSpec("digits", split(train_idx), split(test_idx), [str(i) for i in range(10)], 1)


def _mnist(name: str, root: str, download: bool) -> DataSpec:
    from ember.vision import datasets, transforms

    cls = datasets.MNIST if name == "mnist" else datasets.FashionMNIST
    tf = transforms.Compose([transforms.Pad(2), transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    train, test = (_open(cls, root, split, tf, download) for split in (True, False))
    return DataSpec(name, train, test, list(train.classes), 1)


def _cifar10(root: str, download: bool) -> DataSpec:
    from ember.vision import datasets, transforms

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    train, test = (_open(datasets.CIFAR10, root, split, tf, download) for split in (True, False))
    return DataSpec("cifar10", train, test, list(train.classes), 3)


def _open(cls, root: str, train: bool, transform, download: bool):
    try:
        return cls(root, train=train, transform=transform, download=download)
    except (RuntimeError, OSError) as e:
        reason = " ".join(line.strip() for line in str(e).splitlines() if line.strip()) or type(e).__name__
        raise CLIError(f"cannot load {cls.__name__} from '{root}': {reason}") from None


def _image_folder(path: str) -> DataSpec:
    """An ImageFolder at path: its train/ and val/ (or test/) subfolders, else a fixed 80/20 split of it."""
    from ember.vision import datasets, transforms

    require("PIL", "pillow", "--dataset imagefolder")
    if not path:
        raise CLIError("--dataset imagefolder needs a folder: --dataset imagefolder:PATH")
    if not os.path.isdir(path):
        raise CLIError(f"image folder '{path}' does not exist")
    tf = transforms.Compose([transforms.Resize(32), transforms.CenterCrop(32), transforms.ToTensor(),
                             transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    test_dir = next((os.path.join(path, d) for d in ("val", "test") if os.path.isdir(os.path.join(path, d))), None)
    try:
        if os.path.isdir(os.path.join(path, "train")) and test_dir:
            train = datasets.ImageFolder(os.path.join(path, "train"), transform=tf)
            test = datasets.ImageFolder(test_dir, transform=tf)
            classes = train.classes
        else:
            full = datasets.ImageFolder(path, transform=tf)
            n_test = max(1, len(full) // 5)
            order = np.random.RandomState(SPLIT_SEED).permutation(len(full)).tolist()
            train, test = Subset(full, order[n_test:]), Subset(full, order[:n_test])
            classes = full.classes
    except (FileNotFoundError, RuntimeError) as e:
        raise CLIError(f"cannot read image folder '{path}': {str(e).splitlines()[0]}") from None
    return DataSpec(f"imagefolder:{path}", train, test, list(classes), 3)
