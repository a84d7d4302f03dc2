"""PIL-image kernels of the transforms: every resampling and colour operation is Pillow's own."""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image, ImageEnhance, ImageOps

# mode -> NumPy dtype of the pixel array Pillow builds for it (uint8 for the rest)
_FROMARRAY_DTYPES = {"I;16": np.uint16, "I": np.int32, "F": np.float32}


def _is_pil_image(img: Any) -> bool:
    return isinstance(img, Image.Image)


def _check_pil(img: Any) -> None:
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def fromarray(array: np.ndarray, mode: str | None = None) -> Image.Image:
    """Image.fromarray with an explicit mode, also for modes Pillow no longer infers (I;16, HSV, YCbCr)."""
    array = np.ascontiguousarray(array)
    if mode is None:
        return Image.fromarray(array)
    height, width = array.shape[:2]
    if mode in _FROMARRAY_DTYPES:
        raw = array.astype(_FROMARRAY_DTYPES[mode].__name__ if mode != "I;16" else "<u2", copy=False)
        return Image.frombytes(mode, (width, height), raw.tobytes())
    return Image.frombytes(mode, (width, height), array.astype(np.uint8, copy=False).tobytes())


def get_dimensions(img: Image.Image) -> list[int]:
    """[channels, height, width] of a PIL image."""
    _check_pil(img)
    width, height = img.size
    return [get_image_num_channels(img), height, width]


def get_image_num_channels(img: Image.Image) -> int:
    """Number of bands of a PIL image."""
    _check_pil(img)
    return len(img.getbands())


def parse_fill(fill, img: Image.Image, name: str = "fillcolor") -> dict:
    """torchvision's fill normalisation: one value per band, ints unless the image is float ('F')."""
    num_channels = get_image_num_channels(img)
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and num_channels > 1:
        fill = tuple([fill] * num_channels)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = tuple(fill) * num_channels
        elif len(fill) != num_channels:
            raise ValueError("The number of elements in 'fill' does not match the number of channels of the image "
                             f"({len(fill)} != {num_channels})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def hflip(img: Image.Image) -> Image.Image:
    """Mirror left-right."""
    _check_pil(img)
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def vflip(img: Image.Image) -> Image.Image:
    """Mirror top-bottom."""
    _check_pil(img)
    return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


def crop(img: Image.Image, top: int, left: int, height: int, width: int) -> Image.Image:
    """Crop; regions outside the image are filled with zeros (Pillow's behaviour)."""
    _check_pil(img)
    return img.crop((left, top, left + width, top + height))


def resize(img: Image.Image, size: list[int], interpolation: int) -> Image.Image:
    """Resize to size = [h, w] with a Pillow resampling filter (Pillow always antialiases)."""
    _check_pil(img)
    return img.resize(tuple(size[::-1]), interpolation)


def pad(img: Image.Image, padding: list[int], fill=0, padding_mode: str = "constant") -> Image.Image:
    """Pad by [left, top, right, bottom] (negative values crop); modes constant, edge, reflect, symmetric."""
    _check_pil(img)
    pad_left, pad_top, pad_right, pad_bottom = padding
    if padding_mode == "constant":
        opts = parse_fill(fill, img, name="fill")
        if img.mode == "P":
            palette = img.getpalette()
            image = ImageOps.expand(img, border=(pad_left, pad_top, pad_right, pad_bottom), **opts)
            image.putpalette(palette)
            return image
        if min(padding) < 0:
            img = img.crop((max(-pad_left, 0), max(-pad_top, 0), img.width - max(-pad_right, 0),
                            img.height - max(-pad_bottom, 0)))
            pad_left, pad_top, pad_right, pad_bottom = (max(p, 0) for p in padding)
        return ImageOps.expand(img, border=(pad_left, pad_top, pad_right, pad_bottom), **opts)
    cropping = [max(-p, 0) for p in padding]
    if any(cropping):
        crop_left, crop_top, crop_right, crop_bottom = cropping
        img = img.crop((crop_left, crop_top, img.width - crop_right, img.height - crop_bottom))
    pad_left, pad_top, pad_right, pad_bottom = (max(p, 0) for p in padding)
    palette = img.getpalette() if img.mode == "P" else None
    mode = img.mode
    array = np.asarray(img)
    widths = ((pad_top, pad_bottom), (pad_left, pad_right)) + (((0, 0),) if array.ndim == 3 else ())
    out = fromarray(np.pad(array, widths, padding_mode), mode if mode not in ("P", "1") else None)
    if palette is not None:
        out.putpalette(palette)  # turns the 'L' array back into a 'P' image
    return out


def rotate(img: Image.Image, angle: float, interpolation: int, expand: bool, center, fill) -> Image.Image:
    """Rotate counter-clockwise by angle degrees about center (Pillow's rotate)."""
    _check_pil(img)
    opts = parse_fill(fill, img)
    return img.rotate(angle, interpolation, expand, center, **opts)


def affine(img: Image.Image, matrix: list[float], interpolation: int, fill) -> Image.Image:
    """Apply an inverse affine matrix (output pixel -> input pixel) with Pillow's AFFINE transform."""
    _check_pil(img)
    opts = parse_fill(fill, img)
    return img.transform(img.size, Image.Transform.AFFINE, matrix, interpolation, **opts)


def perspective(img: Image.Image, coeffs: list[float], interpolation: int, fill) -> Image.Image:
    """Apply 8 perspective coefficients (output pixel -> input pixel) with Pillow's PERSPECTIVE transform."""
    _check_pil(img)
    opts = parse_fill(fill, img)
    return img.transform(img.size, Image.Transform.PERSPECTIVE, coeffs, interpolation, **opts)


def adjust_brightness(img: Image.Image, brightness_factor: float) -> Image.Image:
    """Blend with black (Pillow's ImageEnhance.Brightness)."""
    _check_pil(img)
    return ImageEnhance.Brightness(img).enhance(brightness_factor)


def adjust_contrast(img: Image.Image, contrast_factor: float) -> Image.Image:
    """Blend with the mean grey (Pillow's ImageEnhance.Contrast)."""
    _check_pil(img)
    return ImageEnhance.Contrast(img).enhance(contrast_factor)


def adjust_saturation(img: Image.Image, saturation_factor: float) -> Image.Image:
    """Blend with the greyscale image (Pillow's ImageEnhance.Color)."""
    _check_pil(img)
    return ImageEnhance.Color(img).enhance(saturation_factor)


def adjust_hue(img: Image.Image, hue_factor: float) -> Image.Image:
    """Shift the hue channel in HSV space by hue_factor of a full turn (uint8 wrap-around as torchvision)."""
    _check_pil(img)
    input_mode = img.mode
    if input_mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    np_h = np.array(h, dtype=np.uint8)
    np_h += np.uint8(int(hue_factor * 255) % 256)  # wraps around, as intended
    h = Image.fromarray(np_h)
    return Image.merge("HSV", (h, s, v)).convert(input_mode)


def adjust_gamma(img: Image.Image, gamma: float, gain: float = 1.0) -> Image.Image:
    """Gamma correction through a lookup table."""
    _check_pil(img)
    input_mode = img.mode
    img = img.convert("RGB")
    table = [int((255 + 1 - 1e-3) * gain * pow(ele / 255.0, gamma)) for ele in range(256)] * 3
    return img.point(table).convert(input_mode)


def to_grayscale(img: Image.Image, num_output_channels: int) -> Image.Image:
    """Pillow's 'L' conversion, replicated to 3 channels when asked."""
    _check_pil(img)
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        gray = np.asarray(img.convert("L"))
        return Image.fromarray(np.dstack([gray, gray, gray]))
    raise ValueError("num_output_channels should be either 1 or 3")

