"""SVHN (Street View House Numbers) from the MATLAB files `root/{train,test,extra}_32x32.mat` (needs SciPy)."""

from __future__ import annotations

import os
import urllib.error
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

from .utils import check_integrity, download_failed_error, download_url, verify_str_arg
from .vision import VisionDataset


def _loadmat(path: str) -> dict:
    try:
        import scipy.io as sio
    except ImportError as e:
        raise ImportError("SVHN reads MATLAB .mat files with scipy.io, which is not installed: pip install scipy"
                          ) from e
    return sio.loadmat(path)


class SVHN(VisionDataset):
    """SVHN digits; label 10 (digit zero in the files) becomes 0. `data` is uint8 (N, 3, 32, 32), `labels` int64."""

    split_list = {"train": ["http://ufldl.stanford.edu/housenumbers/train_32x32.mat", "train_32x32.mat",
                            "e26dedcc434d2e4c54c9b2d4a06d8373"],
                  "test": ["http://ufldl.stanford.edu/housenumbers/test_32x32.mat", "test_32x32.mat",
                           "eb5a983be6a315427106f1b164d9cef3"],
                  "extra": ["http://ufldl.stanford.edu/housenumbers/extra_32x32.mat", "extra_32x32.mat",
                            "a93ce644f1a588dc4d68dda5feec44a7"]}

    def __init__(self, root: str | os.PathLike, split: str = "train", transform: Callable | None = None,
                 target_transform: Callable | None = None, download: bool = False) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.split = verify_str_arg(split, "split", tuple(self.split_list.keys()))
        self.url, self.filename, self.file_md5 = self.split_list[split]
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError(f"Dataset not found or corrupted. You can use download=True to download it "
                               f"(looked for {os.path.join(self.root, self.filename)})")
        loaded_mat = _loadmat(os.path.join(self.root, self.filename))
        self.data = loaded_mat["X"]  # (32, 32, 3, N) in the file
        self.labels = loaded_mat["y"].astype(np.int64).squeeze()
        np.place(self.labels, self.labels == 10, 0)
        self.data = np.transpose(self.data, (3, 2, 0, 1))

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        img, target = self.data[index], int(self.labels[index])
        img = Image.fromarray(np.transpose(img, (1, 2, 0)))
        return self._apply_transforms(img, target)

    def __len__(self) -> int:
        return len(self.data)

    def _check_integrity(self) -> bool:
        return check_integrity(os.path.join(self.root, self.filename), self.file_md5)

    def download(self) -> None:
        """Fetch the split's .mat file (verified by MD5) into root."""
        try:
            download_url(self.url, self.root, self.filename, self.file_md5)
        except (urllib.error.URLError, OSError) as e:
            raise download_failed_error(self.filename, [(self.url, e)], os.path.join(self.root, self.filename)) from e

    def extra_repr(self) -> str:
        return "Split: {split}".format(**self.__dict__)
