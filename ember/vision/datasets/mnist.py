"""MNIST and its relatives (FashionMNIST, KMNIST, EMNIST) read from the IDX files of `root/<Class>/raw/`.

Layout as torchvision: `root/MNIST/raw/train-images-idx3-ubyte` (or the downloaded `.gz`, read directly),
`train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`; the legacy
`root/MNIST/processed/training.pt`/`test.pt` written by old torchvision versions are read too.
"""

from __future__ import annotations

import gzip
import lzma
import os
import shutil
import string
import urllib.error
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

import ember

from ..._tensor import Tensor
from .utils import check_integrity, download_and_extract_archive, download_failed_error, extract_archive, verify_str_arg
from .vision import VisionDataset

# IDX type byte -> big-endian NumPy dtype
_IDX_TYPES = {8: np.dtype(np.uint8), 9: np.dtype(np.int8), 11: np.dtype(">i2"), 12: np.dtype(">i4"),
              13: np.dtype(">f4"), 14: np.dtype(">f8")}


def _open_maybe_compressed(path: str):
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    if path.endswith(".xz"):
        return lzma.open(path, "rb")
    return open(path, "rb")


def read_sn3_pascalvincent_array(path: str) -> np.ndarray:
    """Read an IDX ('SN3 pascalvincent') file: magic = type << 8 | ndim, then ndim big-endian int32 sizes."""
    with _open_maybe_compressed(path) as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise RuntimeError(f"{path} is not an IDX file (bad magic number)")
    type_code, ndim = raw[2], raw[3]
    if type_code not in _IDX_TYPES:
        raise RuntimeError(f"{path}: unknown IDX data type 0x{type_code:02x}")
    dims = np.frombuffer(raw, dtype=">i4", count=ndim, offset=4).astype(np.int64)
    dtype = _IDX_TYPES[type_code]
    count = int(np.prod(dims)) if ndim else 1
    offset = 4 + 4 * ndim
    if len(raw) - offset < count * dtype.itemsize:
        raise RuntimeError(f"{path} is truncated: expected {count * dtype.itemsize} data bytes, found "
                           f"{len(raw) - offset}")
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
    return data.astype(dtype.newbyteorder("=")).reshape(tuple(dims))


def read_label_file(path: str) -> Tensor:
    """Labels (N,) of an idx1-ubyte file as an int64 tensor."""
    x = read_sn3_pascalvincent_array(path)
    if x.dtype != np.uint8 or x.ndim != 1:
        raise RuntimeError(f"{path}: expected a 1-d uint8 label file, got {x.ndim}-d {x.dtype}")
    return ember.from_numpy(x.astype(np.int64))


def read_image_file(path: str) -> Tensor:
    """Images (N, H, W) of an idx3-ubyte file as a uint8 tensor."""
    x = read_sn3_pascalvincent_array(path)
    if x.dtype != np.uint8 or x.ndim != 3:
        raise RuntimeError(f"{path}: expected a 3-d uint8 image file, got {x.ndim}-d {x.dtype}")
    return ember.from_numpy(np.ascontiguousarray(x))


def _existing(path: str) -> str | None:
    """path itself, else its .gz version, else None."""
    for candidate in (path, path + ".gz"):
        if check_integrity(candidate):
            return candidate
    return None


class MNIST(VisionDataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test 28x28 greyscale images.

    Items are (PIL image of mode 'L', int label); `data` is a uint8 tensor (N, 28, 28), `targets` int64 (N,).
    """

    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                 ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                 ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                 ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")]
    training_file = "training.pt"
    test_file = "test.pt"
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root: str | os.PathLike, train: bool = True, transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if self._check_legacy_exist():
            self.data, self.targets = self._load_legacy_data()
            return
        if download:
            self.download()
        if not self._check_exists():
            raise RuntimeError(f"Dataset not found. You can use download=True to download it (looked for "
                               f"{self._image_file} and {self._label_file} in {self.raw_folder}, optionally .gz)")
        self.data, self.targets = self._load_data()

    @property
    def _image_file(self) -> str:
        return f"{'train' if self.train else 't10k'}-images-idx3-ubyte"

    @property
    def _label_file(self) -> str:
        return f"{'train' if self.train else 't10k'}-labels-idx1-ubyte"

    def _check_legacy_exist(self) -> bool:
        if not os.path.exists(self.processed_folder):
            return False
        return all(check_integrity(os.path.join(self.processed_folder, f)) for f in (self.training_file,
                                                                                    self.test_file))

    def _load_legacy_data(self) -> tuple[Tensor, Tensor]:
        data_file = self.training_file if self.train else self.test_file
        return ember.load(os.path.join(self.processed_folder, data_file), weights_only=True)

    def _load_data(self) -> tuple[Tensor, Tensor]:
        data = read_image_file(_existing(os.path.join(self.raw_folder, self._image_file)))
        targets = read_label_file(_existing(os.path.join(self.raw_folder, self._label_file)))
        return data, targets

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = self.data[index], int(self.targets[index])
        img = Image.fromarray(img.numpy(), mode="L")
        return self._apply_transforms(img, target)

    def __len__(self) -> int:
        return len(self.data)

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def processed_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "processed")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {_class: i for i, _class in enumerate(self.classes)}

    def _check_exists(self) -> bool:
        return all(_existing(os.path.join(self.raw_folder, name)) is not None
                   for name in (self._image_file, self._label_file))

    def download(self) -> None:
        """Fetch the four .gz files from the mirrors (verified by MD5) and decompress them into raw_folder."""
        if all(_existing(os.path.join(self.raw_folder, os.path.splitext(f)[0])) for f, _ in self.resources):
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            if _existing(os.path.join(self.raw_folder, os.path.splitext(filename)[0])):
                continue
            attempts = []
            for mirror in self.mirrors:
                url = f"{mirror}{filename}"
                try:
                    download_and_extract_archive(url, download_root=self.raw_folder, filename=filename, md5=md5)
                except (urllib.error.URLError, OSError, RuntimeError) as e:
                    attempts.append((url, e))
                    continue
                break
            else:
                raise download_failed_error(filename, attempts, os.path.join(self.raw_folder, filename))

    def extra_repr(self) -> str:
        split = "Train" if self.train is True else "Test"
        return f"Split: {split}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 greyscale images of 10 kinds of clothing, MNIST's layout."""

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                 ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                 ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                 ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST: 28x28 greyscale images of 10 cursive Japanese characters, MNIST's layout."""

    mirrors = ["http://codh.rois.ac.jp/kmnist/dataset/kmnist/"]
    resources = [("train-images-idx3-ubyte.gz", "bdb82020997e1d708af4cf47b453dcf7"),
                 ("train-labels-idx1-ubyte.gz", "e144d726b3acfaa3e44228e80efcd344"),
                 ("t10k-images-idx3-ubyte.gz", "5c965bf0a639b31b8f53240b1b52f4d7"),
                 ("t10k-labels-idx1-ubyte.gz", "7320c461ea6c1c855c0b718fb2a4b134")]
    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]


class EMNIST(MNIST):
    """Extended MNIST (letters and digits) in six splits; files `root/EMNIST/raw/emnist-<split>-<train|test>-*`.

    As in torchvision, images are stored transposed in the files and returned as stored.
    """

    url = "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"
    md5 = "58c8d27c78d21e728a6bc7b3cc06412e"
    splits = ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")
    _all_classes = set(string.digits + string.ascii_letters)
    _merged_classes = {"c", "i", "j", "k", "l", "m", "o", "p", "s", "u", "v", "w", "x", "y", "z"}
    classes_split_dict = {"byclass": sorted(_all_classes), "bymerge": sorted(_all_classes - _merged_classes),
                          "balanced": sorted(_all_classes - _merged_classes),
                          "letters": ["N/A"] + list(string.ascii_lowercase), "digits": list(string.digits),
                          "mnist": list(string.digits)}

    def __init__(self, root: str | os.PathLike, split: str, **kwargs: Any) -> None:
        self.split = verify_str_arg(split, "split", self.splits)
        self.training_file = f"training_{split}.pt"
        self.test_file = f"test_{split}.pt"
        super().__init__(root, **kwargs)
        self.classes = self.classes_split_dict[self.split]

    @property
    def _image_file(self) -> str:
        return f"emnist-{self.split}-{'train' if self.train else 'test'}-images-idx3-ubyte"

    @property
    def _label_file(self) -> str:
        return f"emnist-{self.split}-{'train' if self.train else 'test'}-labels-idx1-ubyte"

    def download(self) -> None:
        """Fetch gzip.zip (verified by MD5) and decompress every split's files into raw_folder."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        try:
            download_and_extract_archive(self.url, download_root=self.raw_folder, md5=self.md5)
        except (urllib.error.URLError, OSError, RuntimeError) as e:
            raise download_failed_error("gzip.zip", [(self.url, e)],
                                        os.path.join(self.raw_folder, "gzip.zip")) from e
        gzip_folder = os.path.join(self.raw_folder, "gzip")
        for gzip_file in os.listdir(gzip_folder):
            if gzip_file.endswith(".gz"):
                extract_archive(os.path.join(gzip_folder, gzip_file), self.raw_folder)
        shutil.rmtree(gzip_folder)


class QMNIST(MNIST):
    """QMNIST: MNIST reconstructed from NIST with 8 label columns (class, NIST series, writer id, ...).

    what: 'train', 'test' (60,000), 'test10k', 'test50k' or 'nist'. With compat=True (default) a target is
    the class int; with compat=False it is the int64 tensor of all 8 columns.
    """

    subsets = {"train": "train", "test": "test", "test10k": "test", "test50k": "test", "nist": "nist"}
    _base = "https://raw.githubusercontent.com/facebookresearch/qmnist/master/"
    resources = {"train": [(_base + "qmnist-train-images-idx3-ubyte.gz", "ed72d4157d28c017586c42bc6afe6370"),
                           (_base + "qmnist-train-labels-idx2-int.gz", "0058f8dd561b90ffdd0f734c6a30e5e4")],
                 "test": [(_base + "qmnist-test-images-idx3-ubyte.gz", "1394631089c404de565df7b7aeaf9412"),
                          (_base + "qmnist-test-labels-idx2-int.gz", "5b5b05890a5e13444e108efe57b788aa")],
                 "nist": [(_base + "xnist-images-idx3-ubyte.xz", "7f124b3b8ab81486c9d8c2749c17f834"),
                          (_base + "xnist-labels-idx2-int.xz", "5ed0e788978e45d4a8bd4b7caec3d79d")]}

    def __init__(self, root: str | os.PathLike, what: str | None = None, compat: bool = True, train: bool = True,
                 **kwargs: Any) -> None:
        if what is None:
            what = "train" if train else "test"
        self.what = verify_str_arg(what, "what", tuple(self.subsets.keys()))
        self.compat = compat
        self.data_file = what + ".pt"
        self.training_file = self.data_file
        self.test_file = self.data_file
        super().__init__(root, train, **kwargs)

    def _resource_file(self, position: int) -> str:
        url = self.resources[self.subsets[self.what]][position][0]
        return os.path.join(self.raw_folder, os.path.splitext(os.path.basename(url))[0])

    @property
    def images_file(self) -> str:
        return self._resource_file(0)

    @property
    def labels_file(self) -> str:
        return self._resource_file(1)

    def _check_exists(self) -> bool:
        return all(check_integrity(f) for f in (self.images_file, self.labels_file))

    def _load_data(self) -> tuple[Tensor, Tensor]:
        data = read_image_file(self.images_file)
        targets = read_sn3_pascalvincent_array(self.labels_file).astype(np.int64)
        if targets.ndim != 2:
            raise ValueError(f"targets should have 2 dimensions instead of {targets.ndim}")
        if self.what == "test10k":
            data, targets = data[0:10000].clone(), targets[0:10000]
        elif self.what == "test50k":
            data, targets = data[10000:].clone(), targets[10000:]
        return data, ember.from_numpy(np.ascontiguousarray(targets))

    def download(self) -> None:
        """Fetch the subset's two files (verified by MD5) and decompress them into raw_folder."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for url, md5 in self.resources[self.subsets[self.what]]:
            try:
                download_and_extract_archive(url, self.raw_folder, md5=md5)
            except (urllib.error.URLError, OSError) as e:
                raise download_failed_error(os.path.basename(url), [(url, e)],
                                            os.path.join(self.raw_folder, os.path.basename(url))) from e

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = self.data[index], self.targets[index]
        img = Image.fromarray(img.numpy(), mode="L")
        if self.compat:
            target = int(target[0])
        return self._apply_transforms(img, target)

    def extra_repr(self) -> str:
        return f"Split: {self.what}"
