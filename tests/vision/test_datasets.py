"""ember.vision.datasets on small files written in the real on-disk formats (IDX, CIFAR pickles, image trees)."""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import struct
import sys
import types

import numpy as np
import pytest
import torch
from PIL import Image

import ember
import ember.vision.transforms as T
from ember.utils.data import DataLoader, Dataset
from ember.vision import datasets
from ember.vision.datasets.cifar import CIFAR10, CIFAR100


def _md5(path) -> str:
    return hashlib.md5(open(path, "rb").read()).hexdigest()


# --- IDX files (MNIST family) -----------------------------------------------------------------------------

def write_idx(path: str, array: np.ndarray, compress: bool = False) -> None:
    """The IDX format: 0, 0, type byte (0x08 = uint8), ndim, then big-endian int32 sizes, then the data."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}i", *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(path + ".gz", "wb") as f:
            f.write(payload)
    else:
        with open(path, "wb") as f:
            f.write(payload)


def make_mnist(root, folder: str = "MNIST", n_train: int = 5, n_test: int = 3, compress: bool = False,
               prefix: str = "", test_name: str = "t10k"):
    rng = np.random.default_rng(0)
    raw = os.path.join(root, folder, "raw")
    os.makedirs(raw, exist_ok=True)
    arrays = {}
    for split, n in (("train", n_train), (test_name, n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28)).astype(np.uint8)
        labels = rng.integers(0, 10, size=(n,)).astype(np.uint8)
        write_idx(os.path.join(raw, f"{prefix}{split}-images-idx3-ubyte"), images, compress)
        write_idx(os.path.join(raw, f"{prefix}{split}-labels-idx1-ubyte"), labels, compress)
        arrays[split] = (images, labels)
    return arrays


@pytest.mark.parametrize("compress", [False, True])
def test_mnist_reads_idx_files(tmp_path, compress):
    arrays = make_mnist(tmp_path, compress=compress)
    ds = datasets.MNIST(str(tmp_path), train=True)
    images, labels = arrays["train"]
    assert len(ds) == 5
    assert isinstance(ds.data, ember.Tensor) and ds.data.dtype == ember.uint8 and tuple(ds.data.shape) == (5, 28, 28)
    assert ds.targets.dtype == ember.int64
    np.testing.assert_array_equal(ds.data.numpy(), images)
    assert ds.targets.tolist() == labels.tolist()
    img, target = ds[2]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    assert type(target) is int and target == int(labels[2])
    np.testing.assert_array_equal(np.asarray(img), images[2])
    test = datasets.MNIST(str(tmp_path), train=False)
    assert len(test) == 3 and test.targets.tolist() == arrays["t10k"][1].tolist()
    assert ds.classes[3] == "3 - three" and ds.class_to_idx["9 - nine"] == 9
    assert repr(test) == f"Dataset MNIST\n    Number of datapoints: 3\n    Root location: {tmp_path}\n    Split: Test"


def test_mnist_transforms_and_missing(tmp_path):
    make_mnist(tmp_path)
    ds = datasets.MNIST(tmp_path, transform=T.ToTensor(), target_transform=lambda t: t + 100)
    x, y = ds[0]
    assert tuple(x.shape) == (1, 28, 28) and x.dtype == ember.float32 and y == int(ds.targets[0]) + 100
    np.testing.assert_allclose(x.numpy()[0], ds.data[0].numpy() / np.float32(255), rtol=1e-6)
    assert "StandardTransform\nTransform: ToTensor()" in repr(ds)
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True to download it"):
        datasets.MNIST(str(tmp_path / "nowhere"))


def test_mnist_bad_file(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        (raw / name).write_bytes(b"\x01\x02\x03\x04junk")
    with pytest.raises(RuntimeError, match="not an IDX file"):
        datasets.MNIST(str(tmp_path))


def test_mnist_legacy_processed_files_from_torch(tmp_path):
    processed = tmp_path / "MNIST" / "processed"
    processed.mkdir(parents=True)
    data = torch.randint(0, 256, (4, 28, 28), dtype=torch.uint8)
    targets = torch.tensor([3, 1, 4, 1])
    torch.save((data, targets), processed / "training.pt")
    torch.save((data[:2], targets[:2]), processed / "test.pt")
    ds = datasets.MNIST(str(tmp_path))
    np.testing.assert_array_equal(ds.data.numpy(), data.numpy())
    assert ds[2][1] == 4 and len(datasets.MNIST(str(tmp_path), train=False)) == 2


@pytest.mark.parametrize("cls,first_class", [(datasets.FashionMNIST, "T-shirt/top"), (datasets.KMNIST, "o")])
def test_mnist_relatives_use_their_folder(tmp_path, cls, first_class):
    arrays = make_mnist(tmp_path, folder=cls.__name__, compress=True)
    ds = cls(str(tmp_path))
    assert ds.classes[0] == first_class and len(ds.classes) == 10
    np.testing.assert_array_equal(ds.data.numpy(), arrays["train"][0])
    with pytest.raises(RuntimeError, match="Dataset not found"):
        datasets.MNIST(str(tmp_path))  # MNIST looks in root/MNIST only


def test_emnist_split_files(tmp_path):
    arrays = make_mnist(tmp_path, folder="EMNIST", prefix="emnist-letters-", test_name="test")
    ds = datasets.EMNIST(str(tmp_path), split="letters")
    assert ds.classes == ["N/A"] + list("abcdefghijklmnopqrstuvwxyz")
    np.testing.assert_array_equal(ds.data.numpy(), arrays["train"][0])
    test = datasets.EMNIST(str(tmp_path), split="letters", train=False)
    assert test.targets.tolist() == arrays["test"][1].tolist()
    assert len(datasets.EMNIST.classes_split_dict["byclass"]) == 62
    assert len(datasets.EMNIST.classes_split_dict["balanced"]) == 47
    with pytest.raises(ValueError, match="Unknown value 'bogus' for argument split. Valid values are"):
        datasets.EMNIST(str(tmp_path), split="bogus")


def test_qmnist_int_labels(tmp_path):
    raw = tmp_path / "QMNIST" / "raw"
    raw.mkdir(parents=True)
    images = np.random.default_rng(4).integers(0, 256, size=(3, 28, 28)).astype(np.uint8)
    labels = np.arange(24, dtype=np.int32).reshape(3, 8) * 1000
    write_idx(str(raw / "qmnist-test-images-idx3-ubyte"), images)
    # labels: IDX type 0x0C (int32), 2-d (N, 8), big-endian
    header = struct.pack(">BBBB", 0, 0, 0x0C, 2) + struct.pack(">2i", 3, 8)
    (raw / "qmnist-test-labels-idx2-int").write_bytes(header + labels.astype(">i4").tobytes())
    ds = datasets.QMNIST(str(tmp_path), what="test")
    assert ds.targets.dtype == ember.int64 and ds.targets.tolist() == labels.tolist()
    img, target = ds[1]
    assert target == 8000 and np.array_equal(np.asarray(img), images[1])
    full = datasets.QMNIST(str(tmp_path), train=False, compat=False)
    assert full[2][1].tolist() == labels[2].tolist() and repr(full).endswith("Split: test")
    with pytest.raises(ValueError, match="Unknown value 'dev' for argument what"):
        datasets.QMNIST(str(tmp_path), what="dev")


# --- CIFAR ------------------------------------------------------------------------------------------------

def write_cifar(root, cls, n_per_batch: int = 4, seed: int = 0) -> dict:
    """Pickled batches as in the real archive: dicts with 'data' (N, 3072) uint8 rows of R, G, B planes."""
    rng = np.random.default_rng(seed)
    folder = os.path.join(root, cls.base_folder)
    os.makedirs(folder, exist_ok=True)
    label_key = "labels" if cls is CIFAR10 else "fine_labels"
    n_classes = 10 if cls is CIFAR10 else 100
    written = {}
    for name, _ in cls.train_list + cls.test_list:
        data = rng.integers(0, 256, size=(n_per_batch, 3072)).astype(np.uint8)
        labels = rng.integers(0, n_classes, size=n_per_batch).tolist()
        entry = {"batch_label": f"batch {name}", label_key: labels, "data": data,
                 "filenames": [f"img_{i}.png" for i in range(n_per_batch)]}
        with open(os.path.join(folder, name), "wb") as f:
            pickle.dump(entry, f, protocol=2)
        written[name] = (data, labels)
    names = [f"class_{i}" for i in range(n_classes)]
    with open(os.path.join(folder, cls.meta["filename"]), "wb") as f:
        pickle.dump({cls.meta["key"]: names, "num_cases_per_batch": n_per_batch}, f, protocol=2)
    return written


def _patch_md5s(monkeypatch, root, cls):
    folder = os.path.join(root, cls.base_folder)
    monkeypatch.setattr(cls, "train_list", [[n, _md5(os.path.join(folder, n))] for n, _ in cls.train_list])
    monkeypatch.setattr(cls, "test_list", [[n, _md5(os.path.join(folder, n))] for n, _ in cls.test_list])
    meta = dict(cls.meta, md5=_md5(os.path.join(folder, cls.meta["filename"])))
    monkeypatch.setattr(cls, "meta", meta)


def test_cifar10_reads_pickled_batches(tmp_path, monkeypatch):
    written = write_cifar(tmp_path, CIFAR10)
    _patch_md5s(monkeypatch, tmp_path, CIFAR10)
    ds = datasets.CIFAR10(root=str(tmp_path), train=True)
    assert isinstance(ds.data, np.ndarray) and ds.data.dtype == np.uint8 and ds.data.shape == (20, 32, 32, 3)
    assert isinstance(ds.targets, list) and len(ds.targets) == 20
    row, label = written["data_batch_2"][0][1], written["data_batch_2"][1][1]
    # item 5 is the second row of data_batch_2: pixel (y, x) channel c sits at c * 1024 + y * 32 + x
    assert ds.targets[5] == label
    for y, x, c in ((0, 0, 0), (3, 17, 1), (31, 31, 2)):
        assert ds.data[5, y, x, c] == row[c * 1024 + y * 32 + x]
    img, target = ds[5]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (32, 32) and type(target) is int
    np.testing.assert_array_equal(np.asarray(img), row.reshape(3, 32, 32).transpose(1, 2, 0))
    assert ds.classes[7] == "class_7" and ds.class_to_idx["class_3"] == 3
    test = datasets.CIFAR10(root=str(tmp_path), train=False, transform=T.ToTensor())
    assert len(test) == 4 and tuple(test[0][0].shape) == (3, 32, 32)
    assert repr(test).startswith(f"Dataset CIFAR10\n    Number of datapoints: 4\n    Root location: {tmp_path}\n"
                                 "    Split: Test\n    StandardTransform\nTransform: ToTensor()")


def test_cifar100_fine_labels(tmp_path, monkeypatch):
    written = write_cifar(tmp_path, CIFAR100, n_per_batch=6)
    _patch_md5s(monkeypatch, tmp_path, CIFAR100)
    ds = datasets.CIFAR100(root=str(tmp_path))
    assert ds.targets == written["train"][1] and len(ds.classes) == 100
    assert os.path.isdir(tmp_path / "cifar-100-python")


def test_cifar_checksums_are_verified(tmp_path):
    write_cifar(tmp_path, CIFAR10)  # generated files do not have the published checksums
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted. You can use download=True"):
        datasets.CIFAR10(root=str(tmp_path))


def test_cifar_refuses_code_in_pickles(tmp_path, monkeypatch):
    write_cifar(tmp_path, CIFAR10)
    evil = tmp_path / CIFAR10.base_folder / "data_batch_1"
    evil.write_bytes(pickle.dumps(types.SimpleNamespace(x=1), protocol=2))
    _patch_md5s(monkeypatch, tmp_path, CIFAR10)
    with pytest.raises(pickle.UnpicklingError, match="refusing to load types.SimpleNamespace"):
        datasets.CIFAR10(root=str(tmp_path))


def test_cifar_dataloader_pipeline(tmp_path, monkeypatch):
    write_cifar(tmp_path, CIFAR10)
    _patch_md5s(monkeypatch, tmp_path, CIFAR10)
    transform = T.Compose([T.ToTensor(), T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
    ds = datasets.CIFAR10(root=str(tmp_path), train=True, transform=transform)
    images, labels = next(iter(DataLoader(ds, batch_size=4, shuffle=False)))
    assert tuple(images.shape) == (4, 3, 32, 32) and labels.dtype == ember.int64
    expected = (ds.data[:4].transpose(0, 3, 1, 2) / 255.0 - 0.5) / 0.5
    np.testing.assert_allclose(images.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert labels.tolist() == ds.targets[:4]


# --- SVHN -------------------------------------------------------------------------------------------------

def test_svhn_without_scipy_says_so(tmp_path, monkeypatch):
    (tmp_path / "train_32x32.mat").write_bytes(b"MATLAB 5.0 MAT-file")
    monkeypatch.setitem(datasets.SVHN.split_list, "train",
                        ["http://x/train_32x32.mat", "train_32x32.mat", _md5(tmp_path / "train_32x32.mat")])
    monkeypatch.setitem(sys.modules, "scipy.io", None)  # makes `import scipy.io` fail
    with pytest.raises(ImportError, match="SVHN reads MATLAB .mat files with scipy.io"):
        datasets.SVHN(str(tmp_path))


def test_svhn_layout_with_loadmat(tmp_path, monkeypatch):
    # loadmat stands in for scipy.io (not installed here); the file layout is the published one:
    # X (32, 32, 3, N) uint8, y (N, 1) with 10 meaning the digit 0
    rng = np.random.default_rng(1)
    X = rng.integers(0, 256, size=(32, 32, 3, 4)).astype(np.uint8)
    y = np.array([[10], [1], [9], [10]], dtype=np.uint8)
    (tmp_path / "test_32x32.mat").write_bytes(b"stand-in")
    monkeypatch.setitem(datasets.SVHN.split_list, "test",
                        ["http://x/test_32x32.mat", "test_32x32.mat", _md5(tmp_path / "test_32x32.mat")])
    scipy_mod, io_mod = types.ModuleType("scipy"), types.ModuleType("scipy.io")
    io_mod.loadmat = lambda path: {"X": X, "y": y}
    scipy_mod.io = io_mod
    monkeypatch.setitem(sys.modules, "scipy", scipy_mod)
    monkeypatch.setitem(sys.modules, "scipy.io", io_mod)
    ds = datasets.SVHN(str(tmp_path), split="test")
    assert ds.data.shape == (4, 3, 32, 32) and ds.labels.tolist() == [0, 1, 9, 0] and ds.labels.dtype == np.int64
    img, target = ds[2]
    assert target == 9 and img.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(img), X[:, :, :, 2])
    assert repr(ds).endswith("Split: test")
    with pytest.raises(ValueError, match="Unknown value 'val' for argument split"):
        datasets.SVHN(str(tmp_path), split="val")


# --- STL10 -----------------------------------------------------------------------------------------------

def test_stl10_binary_files(tmp_path, monkeypatch):
    # the published layout: uint8 images (N, 3, 96, 96) stored column-major, labels 1..10, one fold per line
    folder = tmp_path / "stl10_binary"
    folder.mkdir()
    rng = np.random.default_rng(3)
    images = {name: rng.integers(0, 256, size=(n, 3, 96, 96)).astype(np.uint8)
              for name, n in (("train", 4), ("test", 2), ("unlabeled", 3))}
    for name, arr in images.items():
        arr.transpose(0, 1, 3, 2).tofile(folder / f"{name}_X.bin")
    np.array([1, 10, 3, 4], np.uint8).tofile(folder / "train_y.bin")
    np.array([2, 5], np.uint8).tofile(folder / "test_y.bin")
    (folder / "class_names.txt").write_text("\n".join(f"c{i}" for i in range(10)))
    (folder / "fold_indices.txt").write_text("0 2\n1 3\n" + "0\n" * 8)
    names = [n for n, _ in datasets.STL10.train_list + datasets.STL10.test_list]
    md5 = {n: _md5(folder / n) for n in names}
    monkeypatch.setattr(datasets.STL10, "train_list", [[n, md5[n]] for n, _ in datasets.STL10.train_list])
    monkeypatch.setattr(datasets.STL10, "test_list", [[n, md5[n]] for n, _ in datasets.STL10.test_list])
    ds = datasets.STL10(str(tmp_path))
    np.testing.assert_array_equal(ds.data, images["train"])
    assert ds.labels.tolist() == [0, 9, 2, 3] and ds.classes[9] == "c9"
    img, target = ds[1]
    assert target == 9 and img.size == (96, 96)
    np.testing.assert_array_equal(np.asarray(img), images["train"][1].transpose(1, 2, 0))
    fold = datasets.STL10(str(tmp_path), folds=1)
    assert fold.labels.tolist() == [9, 3]
    both = datasets.STL10(str(tmp_path), split="train+unlabeled")
    assert len(both) == 7 and both.labels.tolist()[-3:] == [-1, -1, -1]
    assert datasets.STL10(str(tmp_path), split="test").labels.tolist() == [1, 4]
    with pytest.raises(ValueError, match=r"Value for argument folds should be in the range \[0, 10\), but got 10."):
        datasets.STL10(str(tmp_path), folds=10)
    monkeypatch.setattr(datasets.STL10, "test_list", [["test_X.bin", "0" * 32]])
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        datasets.STL10(str(tmp_path))


# --- folders ----------------------------------------------------------------------------------------------

def make_tree(root) -> dict:
    rng = np.random.default_rng(2)
    pixels = {}
    for cls, names in (("cat", ["b.png", "a.jpg", "notes.txt"]), ("dog", ["z.PNG", "sub/c.jpeg"]), ("emu", [])):
        for name in names:
            path = os.path.join(root, cls, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if name.endswith(".txt"):
                open(path, "w").write("not an image")
                continue
            a = rng.integers(0, 256, size=(5, 7, 3)).astype(np.uint8)
            Image.fromarray(a).save(path, format="JPEG" if "jp" in name else "PNG")
            pixels[path] = a
        os.makedirs(os.path.join(root, cls), exist_ok=True)
    return pixels


def test_image_folder(tmp_path):
    pixels = make_tree(tmp_path)
    ds = datasets.ImageFolder(str(tmp_path), allow_empty=True)
    assert ds.classes == ["cat", "dog", "emu"] and ds.class_to_idx == {"cat": 0, "dog": 1, "emu": 2}
    expected = [(str(tmp_path / "cat" / "a.jpg"), 0), (str(tmp_path / "cat" / "b.png"), 0),
                (str(tmp_path / "dog" / "z.PNG"), 1), (str(tmp_path / "dog" / "sub" / "c.jpeg"), 1)]
    assert ds.samples == expected and ds.imgs == expected and ds.targets == [0, 0, 1, 1]
    img, target = ds[1]
    assert img.mode == "RGB" and target == 0
    np.testing.assert_array_equal(np.asarray(img), pixels[str(tmp_path / "cat" / "b.png")])
    jpeg, _ = ds[0]
    np.testing.assert_array_equal(np.asarray(jpeg), np.asarray(Image.open(tmp_path / "cat" / "a.jpg").convert("RGB")))
    assert np.abs(np.asarray(jpeg).astype(int) - pixels[str(tmp_path / "cat" / "a.jpg")]).mean() < 60
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes emu. Supported extensions are"):
        datasets.ImageFolder(str(tmp_path))


def test_image_folder_grayscale_converted_and_loader(tmp_path):
    (tmp_path / "a").mkdir()
    Image.fromarray(np.full((3, 4), 77, np.uint8)).save(tmp_path / "a" / "g.png")
    ds = datasets.ImageFolder(str(tmp_path), transform=T.ToTensor())
    x, y = ds[0]
    assert tuple(x.shape) == (3, 3, 4) and y == 0
    np.testing.assert_allclose(x.numpy(), 77 / 255, rtol=1e-6)
    assert datasets.default_loader(str(tmp_path / "a" / "g.png")).mode == "RGB"


def test_dataset_folder_options(tmp_path):
    make_tree(tmp_path)
    ds = datasets.DatasetFolder(str(tmp_path), loader=lambda p: open(p, "rb").read()[:4], extensions=(".txt",),
                                allow_empty=True)
    assert ds.samples == [(str(tmp_path / "cat" / "notes.txt"), 0)] and ds[0] == (b"not ", 0)
    only_sub = datasets.DatasetFolder(str(tmp_path), loader=len, is_valid_file=lambda p: "sub" in p,
                                      allow_empty=True)
    assert [t for _, t in only_sub.samples] == [1]
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None or not None"):
        datasets.DatasetFolder(str(tmp_path), loader=len)
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder in"):
        datasets.ImageFolder(str(tmp_path / "dog" / "sub"))  # holds files but no class folders
    assert isinstance(ds, Dataset) and ".jpg" in datasets.IMG_EXTENSIONS


def test_image_folder_dataloader_with_augmentation(tmp_path):
    make_tree(tmp_path)
    tf = T.Compose([T.RandomResizedCrop(4), T.RandomHorizontalFlip(), T.ToTensor(),
                    T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    ds = datasets.ImageFolder(str(tmp_path), transform=tf, allow_empty=True)
    ember.manual_seed(0)
    first = [(x.numpy(), y.tolist()) for x, y in DataLoader(ds, batch_size=2)]
    ember.manual_seed(0)
    second = [(x.numpy(), y.tolist()) for x, y in DataLoader(ds, batch_size=2)]
    assert [y for _, y in first] == [[0, 0], [1, 1]] and first[0][0].shape == (2, 3, 4, 4)
    for (a, _), (b, _) in zip(first, second):
        np.testing.assert_array_equal(a, b)


# --- FakeData, base class ---------------------------------------------------------------------------------

def test_fake_data():
    ds = datasets.FakeData(size=5, image_size=(3, 6, 7), num_classes=4, transform=T.PILToTensor())
    ember.manual_seed(11)
    before = ember.rand(3)
    ember.manual_seed(11)
    a, ta = ds[3]
    b, tb = ds[3]
    after = ember.rand(3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert ta == tb and 0 <= ta < 4 and tuple(a.shape) == (3, 6, 7) and a.dtype == ember.uint8
    assert after.tolist() == before.tolist()  # the global generator is left untouched
    ember.manual_seed(3)
    expected = (ember.randn(3, 6, 7).numpy() * np.float32(255)).astype(np.int64).astype(np.uint8)
    np.testing.assert_array_equal(a.numpy(), expected)
    assert len(ds) == 5
    with pytest.raises(IndexError, match="FakeData index out of range"):
        ds[5]
    assert repr(datasets.FakeData(2)) == "Dataset FakeData\n    Number of datapoints: 2"


def test_vision_dataset_transform_arguments():
    with pytest.raises(ValueError, match="Only transforms or transform/target_transform can be passed"):
        datasets.VisionDataset("r", transforms=lambda x, y: (x, y), transform=lambda x: x)
    ds = datasets.VisionDataset("~/data", transform=T.ToTensor(), target_transform=T.Lambda(int))
    assert ds.root == os.path.expanduser("~/data")
    assert ds.transforms(np.zeros((1, 1), np.uint8), "3")[1] == 3
    assert repr(ds.transforms) == "StandardTransform\nTransform: ToTensor()\nTarget transform: Lambda()"
