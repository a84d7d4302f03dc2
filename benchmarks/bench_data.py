"""Side-by-side speed of ember's and PyTorch's DataLoader on a CIFAR-like dataset, as median ratios.

Run: `.venv/bin/python benchmarks/bench_data.py [--batches N] [--rounds R] [--workers 0 2]`.
The dataset is 50,000 uint8 images of 3x32x32 with labels; each sample gets a random crop with padding 4,
a random horizontal flip and a normalisation, written once in NumPy and shared by both libraries (only the
final array-to-tensor call differs: ember.from_numpy vs torch.from_numpy). A measurement is the time to
create an iterator and draw ``--batches`` batches of 64 (worker start-up included); rounds alternate ember
and PyTorch (and which of the two goes first). Budget (issue 5): ember <= 1.2x PyTorch's time.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
import torch.utils.data as tud

import ember
import ember.utils.data as eud

MEAN = np.array([0.4914, 0.4822, 0.4465], np.float32).reshape(3, 1, 1)
STD = np.array([0.2470, 0.2435, 0.2616], np.float32).reshape(3, 1, 1)


def make_images(n: int = 50_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random uint8 images (n, 3, 32, 32) and int labels in [0, 10)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8), rng.integers(0, 10, n)


def augment(img: np.ndarray) -> np.ndarray:
    """Random 32x32 crop of the image padded by 4, random horizontal flip, scale to [0, 1] and normalise."""
    padded = np.pad(img, ((0, 0), (4, 4), (4, 4)))
    top, left = np.random.randint(0, 9, 2)
    out = padded[:, top:top + 32, left:left + 32]
    if np.random.rand() < 0.5:
        out = out[:, :, ::-1]
    return (out.astype(np.float32) * np.float32(1 / 255) - MEAN) / STD


def cifar_like(base, to_tensor):
    """A CIFAR-style Dataset class deriving from ``base`` that converts samples with ``to_tensor``."""

    class CifarLike(base):
        def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
            self.images, self.labels = images, labels

        def __len__(self) -> int:
            return len(self.images)

        def __getitem__(self, i: int):
            return to_tensor(augment(self.images[i])), int(self.labels[i])

    return CifarLike


def time_loader(loader, batches: int) -> float:
    """Seconds to start iterating and draw ``batches`` batches."""
    start = time.perf_counter()
    it = iter(loader)
    for _ in range(batches):
        next(it)
    elapsed = time.perf_counter() - start
    del it
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    args = parser.parse_args()

    torch.set_num_threads(1)
    images, labels = make_images()
    ember_ds = cifar_like(eud.Dataset, ember.from_numpy)(images, labels)
    torch_ds = cifar_like(tud.Dataset, torch.from_numpy)(images, labels)
    print(f"{'num_workers':>11} {'ember b/s':>10} {'torch b/s':>10} {'ratio':>6}   (time ember / torch, budget 1.2)")
    for workers in args.workers:
        ember.manual_seed(0)
        torch.manual_seed(0)
        el = eud.DataLoader(ember_ds, batch_size=64, shuffle=True, num_workers=workers)
        tl = tud.DataLoader(torch_ds, batch_size=64, shuffle=True, num_workers=workers)
        time_loader(el, 2), time_loader(tl, 2)  # warm up
        te, tt = [], []
        for r in range(args.rounds):  # alternate who goes first: the second run of a pair tends to be faster
            pair = ((el, te), (tl, tt)) if r % 2 == 0 else ((tl, tt), (el, te))
            for loader, times in pair:
                times.append(time_loader(loader, args.batches))
        me, mt = statistics.median(te), statistics.median(tt)
        print(f"{workers:>11} {args.batches / me:>10.1f} {args.batches / mt:>10.1f} {me / mt:>6.2f}")


if __name__ == "__main__":
    main()
