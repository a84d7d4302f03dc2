"""An epoch over an ImageFolder with RandomResizedCrop + flip + ToTensor + Normalize: ember vs PyTorch-only code.

Run: `.venv/bin/python benchmarks/bench_vision_data.py [--images N] [--rounds N]`.
The PyTorch side is what PyTorch does without torchvision: a torch Dataset that opens the files with Pillow,
crops/resizes/flips with Pillow and converts with torch, loaded by torch's DataLoader. Both run single-process
(num_workers=0) so the numbers compare the per-sample work; rounds alternate, the ratio is of medians.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time

import numpy as np
import torch
from PIL import Image

import ember.vision.transforms as T
from ember.utils.data import DataLoader
from ember.vision import datasets

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def make_tree(root: str, n_images: int) -> None:
    rng = np.random.default_rng(0)
    for i in range(n_images):
        folder = os.path.join(root, f"class_{i % 4}")
        os.makedirs(folder, exist_ok=True)
        a = rng.integers(0, 256, size=(240, 320, 3)).astype(np.uint8)
        Image.fromarray(a).save(os.path.join(folder, f"{i}.jpg" if i % 2 else f"{i}.png"))


class TorchFolder(torch.utils.data.Dataset):
    """The same augmentation written with Pillow and torch only."""

    def __init__(self, root: str) -> None:
        self.samples = []
        for idx, cls in enumerate(sorted(os.listdir(root))):
            for name in sorted(os.listdir(os.path.join(root, cls))):
                self.samples.append((os.path.join(root, cls, name), idx))
        self.mean = torch.tensor(MEAN).view(3, 1, 1)
        self.std = torch.tensor(STD).view(3, 1, 1)

    def __len__(self) -> int:
        return len(self.samples)

    def _crop_box(self, width: int, height: int):
        area = width * height
        for _ in range(10):
            target = area * torch.empty(1).uniform_(0.08, 1.0).item()
            ratio = math.exp(torch.empty(1).uniform_(math.log(3 / 4), math.log(4 / 3)).item())
            w, h = int(round(math.sqrt(target * ratio))), int(round(math.sqrt(target / ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = torch.randint(0, height - h + 1, (1,)).item()
                j = torch.randint(0, width - w + 1, (1,)).item()
                return j, i, j + w, i + h
        return 0, 0, width, height

    def __getitem__(self, index: int):
        path, target = self.samples[index]
        with open(path, "rb") as f:
            img = Image.open(f).convert("RGB")
        img = img.crop(self._crop_box(*img.size)).resize((224, 224), Image.BILINEAR)
        if torch.rand(1).item() < 0.5:
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        x = torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1).float().div(255)
        return (x - self.mean) / self.std, target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)  # like ember's NumPy work on small arrays; threads only add overhead here
    with tempfile.TemporaryDirectory() as root:
        make_tree(root, args.images)
        tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor(), T.Normalize(MEAN, STD)])
        ember_loader = DataLoader(datasets.ImageFolder(root, transform=tf), batch_size=16, shuffle=True)
        torch_loader = torch.utils.data.DataLoader(TorchFolder(root), batch_size=16, shuffle=True)

        def epoch(loader) -> float:
            start = time.perf_counter()
            for images, _ in loader:
                assert tuple(images.shape[1:]) == (3, 224, 224)
            return time.perf_counter() - start

        epoch(ember_loader), epoch(torch_loader)  # warm up (file cache, imports)
        te, tt = [], []
        for _ in range(args.rounds):
            te.append(epoch(ember_loader))
            tt.append(epoch(torch_loader))
        me, mt = statistics.median(te), statistics.median(tt)
        print(f"ImageFolder epoch ({args.images} images, RandomResizedCrop(224)+flip+ToTensor+Normalize, batch 16)")
        print(f"  ember {me * 1e3:8.1f} ms   torch+PIL {mt * 1e3:8.1f} ms   ratio {me / mt:.2f}")


if __name__ == "__main__":
    main()
