"""`ember train`'s datasets and models on generated files: MNIST, FashionMNIST, CIFAR-10, ImageFolder."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from PIL import Image

import ember
from ember.cli import _datasets
from ember.cli.__main__ import main
from ember.cli._models import build_model
from ember.vision.datasets import CIFAR10
from tests.vision.test_datasets import _patch_md5s, make_mnist, write_cifar

QUICK = ["--epochs", "1", "--batch-size", "8", "--no-plots"]


def test_digits_split_and_scaling():
    """1,797 images, a fixed 1437/360 split, 8x8 pixels upsampled 4x, values (v / 16 - 0.5) / 0.5."""
    from sklearn.datasets import load_digits

    spec = _datasets.load_dataset("digits")
    assert (len(spec.train), len(spec.test), spec.in_channels, spec.classes) == (1437, 360, 1, list("0123456789"))
    image, label = spec.test[0]
    order = np.random.RandomState(0).permutation(1797)
    raw = load_digits()
    expected = (np.kron(raw.images[order[0]], np.ones((4, 4))) / 16 - 0.5) / 0.5
    np.testing.assert_allclose(image.numpy()[0], expected, rtol=1e-6)
    assert label.item() == raw.target[order[0]] and image.dtype == ember.float32 and label.dtype == ember.int64
    again = _datasets.load_dataset("digits")
    np.testing.assert_array_equal(again.test.tensors[1].numpy(), spec.test.tensors[1].numpy())


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")])
def test_mnist_family_from_idx_files(tmp_path, name, folder, capsys):
    arrays = make_mnist(tmp_path, folder, n_train=16, n_test=8)
    spec = _datasets.load_dataset(name, str(tmp_path), download=False)
    image, label = spec.test[3]
    assert tuple(image.shape) == (1, 32, 32) and label == arrays["t10k"][1][3]
    expected = np.pad(arrays["t10k"][0][3] / 255.0, 2) * 2 - 1  # Pad(2), ToTensor, Normalize(0.5, 0.5)
    np.testing.assert_allclose(image.numpy()[0], expected, atol=1e-6)
    assert main(["train", "--dataset", name, "--data", str(tmp_path), "--out", str(tmp_path / "o"), *QUICK]) == 0
    assert "16 train / 8 test images" in capsys.readouterr().out


def test_cifar10_from_batches(tmp_path, monkeypatch, capsys):
    write_cifar(tmp_path, CIFAR10, n_per_batch=4)
    _patch_md5s(monkeypatch, tmp_path, CIFAR10)
    out = str(tmp_path / "o")
    assert main(["train", "--dataset", "cifar10", "--data", str(tmp_path), "--out", out, *QUICK]) == 0
    assert "20 train / 4 test images, 10 classes" in capsys.readouterr().out
    assert ember.load(os.path.join(out, "checkpoint.pt"))["model"]["conv1.weight"].shape == (6, 3, 5, 5)


def test_missing_mnist_without_download(tmp_path):
    with pytest.raises(_datasets.CLIError, match="cannot load MNIST from"):
        _datasets.load_dataset("mnist", str(tmp_path), download=False)


def _image_tree(root, layout: dict) -> None:
    rng = np.random.default_rng(0)
    for folder, count in layout.items():
        os.makedirs(os.path.join(root, folder), exist_ok=True)
        for i in range(count):
            pixels = rng.integers(0, 256, size=(40, 48, 3)).astype(np.uint8)
            Image.fromarray(pixels).save(os.path.join(root, folder, f"{i}.png"))


def test_image_folder_split_and_train_val(tmp_path, capsys):
    _image_tree(tmp_path / "flat", {"ants": 6, "bees": 4})
    spec = _datasets.load_dataset(f"imagefolder:{tmp_path / 'flat'}")
    assert (len(spec.train), len(spec.test), spec.classes, spec.in_channels) == (8, 2, ["ants", "bees"], 3)
    assert tuple(spec.train[0][0].shape) == (3, 32, 32)
    _image_tree(tmp_path / "tv", {"train/ants": 4, "train/bees": 4, "val/ants": 2, "val/bees": 2})
    out = str(tmp_path / "o")
    assert main(["train", "--dataset", f"imagefolder:{tmp_path / 'tv'}", "--out", out, *QUICK]) == 0
    assert "8 train / 4 test images, 2 classes" in capsys.readouterr().out
    assert main(["eval", os.path.join(out, "checkpoint.pt")]) == 0
    assert "overall accuracy:" in capsys.readouterr().out


def test_resnet18_and_mlp_shapes_match_torch():
    """resnet18 keeps torchvision's parameter names; its stem follows the input channels."""
    model = build_model("resnet18", 1, 10)
    names = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert names["conv1.weight"] == (64, 1, 7, 7) and names["fc.weight"] == (10, 512)
    assert len(names) == 122  # torchvision's resnet18 state dict size
    out = model(ember.randn(2, 1, 32, 32))
    assert tuple(out.shape) == (2, 10)
    mlp = build_model("mlp", 3, 7)
    t_mlp = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3072, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 128), torch.nn.ReLU(), torch.nn.Linear(128, 7))
    from tests.nn._oracle import copy_module

    copy_module(t_mlp, mlp)
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    np.testing.assert_allclose(mlp(ember.tensor(x)).detach().numpy(), t_mlp(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_resnet18_trains_one_step(tmp_path):
    out = str(tmp_path / "r")
    assert main(["train", "--model", "resnet18", "--limit", "8", "--out", out, *QUICK]) == 0
    assert ember.load(os.path.join(out, "checkpoint.pt"))["model"]["conv1.weight"].shape == (64, 1, 7, 7)
