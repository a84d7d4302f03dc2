"""Image-grid helpers (torchvision.utils): make_grid tiles a batch of images, save_image writes one to a file."""

from __future__ import annotations

import math
import os
from typing import Any, BinaryIO

import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.grad_mode import no_grad

__all__ = ["make_grid", "save_image"]


def _as_batch(tensor: Tensor | list[Tensor]) -> np.ndarray:
    """The images as an (N, C, H, W) array (a copy), single images and 1-channel images handled as torchvision."""
    if isinstance(tensor, list):
        for t in tensor:
            if not isinstance(t, Tensor):
                raise TypeError(f"tensor or list of tensors expected, got a list containing {type(t)}")
        arr = np.stack([t.detach().numpy(force=True) for t in tensor], axis=0)
    elif isinstance(tensor, Tensor):
        arr = tensor.detach().numpy(force=True)
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if arr.ndim == 2:  # a single (H, W) image
        arr = arr[None]
    if arr.ndim == 3:  # a single (C, H, W) image
        if arr.shape[0] == 1:
            arr = np.concatenate((arr, arr, arr), axis=0)
        arr = arr[None]
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = np.concatenate((arr, arr, arr), axis=1)
    return np.array(arr, copy=True)


def _normalize_(img: np.ndarray, low: float, high: float) -> None:
    """Clamp img to [low, high] and map that range to [0, 1], in place and in img's dtype."""
    np.clip(img, low, high, out=img)
    img -= img.dtype.type(low)
    img /= img.dtype.type(max(high - low, 1e-5))


def make_grid(tensor: Tensor | list[Tensor], nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: tuple[float, float] | None = None, scale_each: bool = False,
              pad_value: float = 0.0) -> Tensor:
    """Tile a batch (N, C, H, W) or list of images into one (C, H', W') image, nrow images per row.

    normalize=True shifts each image (scale_each=True) or the whole batch into [0, 1], using value_range
    (min, max) when given, else the observed min and max. One-channel images are repeated to three channels.
    """
    arr = _as_batch(tensor)
    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        if arr.dtype.kind != "f":
            raise RuntimeError(f"make_grid(normalize=True) needs a floating point tensor, got {arr.dtype}")
        images = list(arr) if scale_each else [arr]
        for img in images:
            low, high = value_range if value_range is not None else (float(img.min()), float(img.max()))
            _normalize_(img, low, high)
    if arr.shape[0] == 1:
        return _wrap(arr[0])
    nmaps, channels, h, w = arr.shape
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = h + padding, w + padding
    grid = np.full((channels, height * ymaps + padding, width * xmaps + padding), pad_value, dtype=arr.dtype)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        top, left = y * height + padding, x * width + padding
        grid[:, top:top + height - padding, left:left + width - padding] = arr[k]
    return _wrap(grid)


def save_image(tensor: Tensor | list[Tensor], fp: str | os.PathLike | BinaryIO, format: str | None = None,
               **kwargs: Any) -> None:
    """Write a tensor (or a grid of a batch, see make_grid's keyword arguments) to an image file with Pillow.

    Values are taken in [0, 1] and converted to 8 bits as torchvision does: x * 255 + 0.5, clamped, truncated.
    """
    from PIL import Image

    with no_grad():
        grid = make_grid(tensor, **kwargs).numpy()
    if grid.dtype.kind != "f":  # torchvision's in-place add of 0.5 fails the same way on integer images
        raise RuntimeError(f"result type Float can't be cast to the desired output type {grid.dtype}")
    pixels = np.clip(grid * grid.dtype.type(255) + grid.dtype.type(0.5), 0, 255)
    Image.fromarray(pixels.transpose(1, 2, 0).astype(np.uint8)).save(fp, format=format)
