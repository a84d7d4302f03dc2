"""Reading and writing image files as uint8 tensors (torchvision.io's image functions), decoded by Pillow.

Images are (C, H, W) uint8 tensors; C is 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA). Palette images
are expanded to RGB (RGBA when they carry transparency), as libpng does for torchvision.
"""

from __future__ import annotations

import enum
import io
import os

import numpy as np

from .._dtype import uint8
from .._tensor import Tensor, _wrap

__all__ = ["ImageReadMode", "decode_image", "decode_jpeg", "decode_png", "encode_jpeg", "encode_png", "read_file",
           "read_image", "write_file", "write_jpeg", "write_png"]


class ImageReadMode(enum.Enum):
    """Which channels to decode: as stored, gray, gray + alpha, RGB or RGB + alpha."""

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4


_PIL_MODE = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA", ImageReadMode.RGB: "RGB",
             ImageReadMode.RGB_ALPHA: "RGBA"}
_KEEP = {"L", "LA", "RGB", "RGBA"}


def _mode(mode: ImageReadMode | str) -> ImageReadMode:
    if isinstance(mode, str):
        return ImageReadMode[mode.upper()]
    return mode


def _to_tensor(img, mode: ImageReadMode) -> Tensor:
    """A Pillow image as a (C, H, W) uint8 tensor in the requested mode."""
    if mode is ImageReadMode.UNCHANGED:
        if img.mode == "P":
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        elif img.mode == "1":
            img = img.convert("L")
        elif img.mode in ("PA",):
            img = img.convert("RGBA")
        elif img.mode not in _KEEP:
            if img.mode.startswith("I") or img.mode == "F":
                raise NotImplementedError(f"decoding {img.mode} (16/32-bit) images is not supported yet")
            img = img.convert("RGB")  # CMYK, YCbCr, ...
    else:
        img = img.convert(_PIL_MODE[mode])
    arr = np.asarray(img, dtype=np.uint8)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return _wrap(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def read_file(path: str | os.PathLike) -> Tensor:
    """The bytes of a file as a 1-D uint8 tensor."""
    with open(path, "rb") as f:
        return _wrap(np.frombuffer(f.read(), dtype=np.uint8).copy())


def write_file(filename: str | os.PathLike, data: Tensor) -> None:
    """Write a 1-D uint8 tensor's bytes to a file."""
    with open(filename, "wb") as f:
        f.write(data.numpy().tobytes())


def decode_image(input: Tensor | str | os.PathLike, mode: ImageReadMode | str = ImageReadMode.UNCHANGED,
                 apply_exif_orientation: bool = False) -> Tensor:
    """Decode encoded image bytes (a 1-D uint8 tensor, or a path) into a (C, H, W) uint8 tensor."""
    from PIL import Image, ImageOps

    if isinstance(input, Tensor):
        if input.dtype != uint8 or input.dim() != 1:
            raise RuntimeError(f"Expected a 1-D uint8 tensor of encoded bytes, got {input.dtype} of shape "
                               f"{tuple(input.shape)}")
        source = io.BytesIO(input.numpy().tobytes())
    else:
        source = os.fspath(input)
    with Image.open(source) as img:
        if apply_exif_orientation:
            img = ImageOps.exif_transpose(img)
        return _to_tensor(img, _mode(mode))


decode_png = decode_image
decode_jpeg = decode_image


def read_image(path: str | os.PathLike, mode: ImageReadMode | str = ImageReadMode.UNCHANGED,
               apply_exif_orientation: bool = False) -> Tensor:
    """Read a PNG, JPEG, GIF, BMP, WebP, ... file into a (C, H, W) uint8 tensor."""
    return decode_image(path, mode, apply_exif_orientation)


def _to_pil(input: Tensor):
    """A (C, H, W) uint8 tensor with 1 or 3 channels as a Pillow image (torchvision's encoder checks)."""
    from PIL import Image

    if input.dtype != uint8:
        raise RuntimeError(f"Input tensor dtype should be uint8, got {input.dtype}")
    if input.dim() != 3:
        raise RuntimeError(f"Input tensor dimensions should be 3, got {input.dim()}")
    channels = input.shape[0]
    if channels not in (1, 3):
        raise RuntimeError(f"The number of channels should be 1 or 3, got: {channels}")
    arr = input.detach().numpy(force=True).transpose(1, 2, 0)
    return Image.fromarray(np.ascontiguousarray(arr[:, :, 0] if channels == 1 else arr))


def encode_png(input: Tensor, compression_level: int = 6) -> Tensor:
    """PNG bytes (a 1-D uint8 tensor) of a (C, H, W) uint8 image."""
    if not 0 <= compression_level <= 9:
        raise ValueError(f"Compression level should be between 0 and 9, got {compression_level}")
    buf = io.BytesIO()
    _to_pil(input).save(buf, format="PNG", compress_level=compression_level)
    return _wrap(np.frombuffer(buf.getvalue(), dtype=np.uint8).copy())


def encode_jpeg(input: Tensor, quality: int = 75) -> Tensor:
    """JPEG bytes (a 1-D uint8 tensor) of a (C, H, W) uint8 image."""
    if not 1 <= quality <= 100:
        raise ValueError(f"Image quality should be a positive number between 1 and 100, got {quality}")
    buf = io.BytesIO()
    _to_pil(input).save(buf, format="JPEG", quality=quality)
    return _wrap(np.frombuffer(buf.getvalue(), dtype=np.uint8).copy())


def write_png(input: Tensor, filename: str | os.PathLike, compression_level: int = 6) -> None:
    """Write a (C, H, W) uint8 image to a PNG file."""
    write_file(filename, encode_png(input, compression_level))


def write_jpeg(input: Tensor, filename: str | os.PathLike, quality: int = 75) -> None:
    """Write a (C, H, W) uint8 image to a JPEG file."""
    write_file(filename, encode_jpeg(input, quality))
