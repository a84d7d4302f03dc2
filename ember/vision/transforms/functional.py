"""Functional transforms (torchvision.transforms.functional): each works on a PIL image or a tensor image.

Tensor images have shape (..., C, H, W); PIL images go to Pillow (_functional_pil), tensors to
_functional_tensor.
"""

from __future__ import annotations

import math
import numbers
import sys
import warnings
from enum import Enum
from typing import Any

import numpy as np
from PIL import Image

import ember

from ..._tensor import Tensor
from . import _functional_pil as F_pil
from . import _functional_tensor as F_t


class InterpolationMode(Enum):
    """Interpolation modes; PIL images support all, tensor images nearest, nearest-exact, bilinear, bicubic."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


pil_modes_mapping = {InterpolationMode.NEAREST: 0, InterpolationMode.NEAREST_EXACT: 0, InterpolationMode.BILINEAR: 2,
                     InterpolationMode.BICUBIC: 3, InterpolationMode.BOX: 4, InterpolationMode.HAMMING: 5,
                     InterpolationMode.LANCZOS: 1}
_INT_TO_MODE = {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR, 3: InterpolationMode.BICUBIC,
                4: InterpolationMode.BOX, 5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}


def _interpolation_modes_from_int(i: int) -> InterpolationMode:
    """Pillow's integer filter constants -> InterpolationMode."""
    return _INT_TO_MODE[i]


def _check_interpolation(interpolation) -> InterpolationMode:
    if isinstance(interpolation, int):
        return _interpolation_modes_from_int(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        raise TypeError("Argument interpolation should be a InterpolationMode or a corresponding Pillow integer "
                        "constant")
    return interpolation


def _is_pil_image(img: Any) -> bool:
    return isinstance(img, Image.Image)


def _np_dtype(dtype) -> np.dtype:
    return ember.empty(0, dtype=dtype).numpy().dtype


# --- sizes ------------------------------------------------------------------------------------------------

def get_dimensions(img) -> list[int]:
    """[channels, height, width] of an image."""
    if isinstance(img, Tensor):
        return F_t.get_dimensions(img)
    return F_pil.get_dimensions(img)


def get_image_size(img) -> list[int]:
    """[width, height] of an image."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img) -> int:
    """Number of channels of an image."""
    return get_dimensions(img)[0]


# --- conversion -------------------------------------------------------------------------------------------

def to_tensor(pic) -> Tensor:
    """PIL image or HWC ndarray -> CHW tensor; uint8 data is scaled to [0, 1] in the default float dtype."""
    if not (_is_pil_image(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    default_float = ember.get_default_dtype()
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic[:, :, None]
        img = ember.from_numpy(np.ascontiguousarray(pic.transpose((2, 0, 1))))
        if img.dtype == ember.uint8:
            return img.to(dtype=default_float).div(255)
        return img
    i16 = "I;16" if sys.byteorder == "little" else "I;16B"
    mode_to_nptype = {"I": np.int32, i16: np.int16, "F": np.float32}
    array = np.array(pic, mode_to_nptype.get(pic.mode, np.uint8), copy=True)
    if pic.mode == "1":
        array = 255 * array
    array = array.reshape(pic.size[1], pic.size[0], F_pil.get_image_num_channels(pic))
    img = ember.from_numpy(np.ascontiguousarray(array.transpose((2, 0, 1))))
    if img.dtype == ember.uint8:
        return img.to(dtype=default_float).div(255)
    return img


def pil_to_tensor(pic) -> Tensor:
    """PIL image -> CHW tensor of the image's own dtype, unscaled."""
    if not _is_pil_image(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    array = np.array(pic, copy=True)
    array = array.reshape(pic.size[1], pic.size[0], F_pil.get_image_num_channels(pic))
    return ember.from_numpy(np.ascontiguousarray(array.transpose((2, 0, 1))))


def _mode_for(npimg: np.ndarray, mode: str | None) -> str:
    channels = npimg.shape[2]
    if channels == 1:
        expected = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16", np.dtype(np.uint16): "I;16",
                    np.dtype(np.int32): "I", np.dtype(np.float32): "F"}.get(npimg.dtype)
        if mode is not None and mode != expected:
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {np.dtype}. Should be {expected}")
        mode = expected
    else:
        permitted = {2: ["LA"], 4: ["RGBA", "CMYK", "RGBX"], 3: ["RGB", "YCbCr", "HSV"]}[channels]
        if mode is not None and mode not in permitted:
            raise ValueError(f"Only modes {permitted} are supported for {channels}D inputs")
        if mode is None and npimg.dtype == np.uint8:
            mode = permitted[0]
    if mode is None:
        raise TypeError(f"Input type {npimg.dtype} is not supported")
    return mode


def to_pil_image(pic, mode: str | None = None) -> Image.Image:
    """CHW tensor or HWC ndarray -> PIL image; float tensors are scaled by 255 (truncated) unless mode is 'F'."""
    if isinstance(pic, Tensor):
        if pic.dim() not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.dim()} dimensions.")
        if pic.dim() == 2:
            pic = pic.unsqueeze(0)
        if pic.shape[-3] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-3]} channels.")
        array = pic.detach().numpy()
        if pic.is_floating_point() and mode != "F":
            array = (array * array.dtype.type(255)).astype(np.int64).astype(np.uint8)  # torch's .byte() wraps
        npimg = np.transpose(array, (1, 2, 0))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        npimg = pic[:, :, None] if pic.ndim == 2 else pic
        if npimg.shape[-1] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {npimg.shape[-1]} channels.")
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    mode = _mode_for(npimg, mode)
    if npimg.shape[2] == 1:
        npimg = npimg[:, :, 0]
    return F_pil.fromarray(npimg, mode)


def convert_image_dtype(image: Tensor, dtype=None) -> Tensor:
    """Convert a tensor image to dtype, rescaling values ([0, 1] floats <-> [0, max] integers)."""
    if not isinstance(image, Tensor):
        raise TypeError("Input img should be Tensor Image")
    dtype = ember.float32 if dtype is None else dtype
    if image.dtype == dtype:
        return image
    return ember.from_numpy(np.ascontiguousarray(F_t.convert_dtype(image.detach().numpy(), _np_dtype(dtype))))


def normalize(tensor: Tensor, mean: list[float], std: list[float], inplace: bool = False) -> Tensor:
    """(tensor - mean) / std per channel of a float (..., C, H, W) tensor."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.dim() < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tensor.size()}")
    if not inplace:
        tensor = tensor.clone()
    mean_t = ember.as_tensor(mean, dtype=tensor.dtype)
    std_t = ember.as_tensor(std, dtype=tensor.dtype)
    if bool((std_t == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
    if mean_t.dim() == 1:
        mean_t = mean_t.view(-1, 1, 1)
    if std_t.dim() == 1:
        std_t = std_t.view(-1, 1, 1)
    return tensor.sub_(mean_t).div_(std_t)


# --- geometry ---------------------------------------------------------------------------------------------

def _compute_resized_output_size(image_size: tuple[int, int], size, max_size: int | None = None) -> list[int]:
    """torchvision's rule: one number sets the smaller edge (keeping the aspect ratio), two set (h, w)."""
    h, w = image_size
    if size is None or len(size) == 1:
        short, long = (w, h) if w <= h else (h, w)
        if size is None:  # only max_size: the longer edge becomes max_size
            new_long = max_size
            new_short = int(max_size * short / long)
        else:
            requested_new_short = size if isinstance(size, int) else size[0]
            new_short, new_long = requested_new_short, int(requested_new_short * long / short)
            if max_size is not None:
                if max_size <= requested_new_short:
                    raise ValueError(f"max_size = {max_size} must be strictly greater than the requested size for "
                                     f"the smaller edge size = {size}")
                if new_long > max_size:
                    new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        return [new_h, new_w]
    return [size[0], size[1]]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size: int | None = None,
           antialias: bool | None = True):
    """Resize to size (int: smaller edge, keeping aspect ratio; (h, w): exact), at most max_size long."""
    interpolation = _check_interpolation(interpolation)
    if isinstance(size, (list, tuple)):
        if len(size) not in (1, 2):
            raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a {len(size)} element "
                             "tuple/list")
        if max_size is not None and len(size) != 1:
            raise ValueError("max_size should only be passed if size specifies the length of the smaller edge, "
                             "i.e. size should be an int or a sequence of length 1 in torchscript mode.")
    elif size is None:
        if max_size is None:
            raise ValueError("If size is None, then max_size must be specified.")
    elif not isinstance(size, int):
        raise TypeError(f"Size should be int or sequence or None. Got {type(size)}")
    _, height, width = get_dimensions(img)
    if isinstance(size, int):
        size = [size]
    output_size = _compute_resized_output_size((height, width), size, max_size)
    if [height, width] == output_size:
        return img
    if not isinstance(img, Tensor):
        if antialias is False:
            warnings.warn("Anti-alias option is always applied for PIL Image input. Argument antialias is ignored.",
                          stacklevel=2)
        return F_pil.resize(img, output_size, pil_modes_mapping[interpolation])
    return F_t.resize(img, output_size, interpolation.value, bool(antialias))


def _parse_padding(padding) -> list[int]:
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    padding = [int(p) for p in padding]
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    return padding


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad the borders: int (all sides), (left/right, top/bottom) or (left, top, right, bottom)."""
    ltrb = _parse_padding(padding)
    if not isinstance(fill, (numbers.Number, tuple, list)) and fill is not None:
        raise TypeError("Got inappropriate fill arg")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if isinstance(img, Tensor):
        return F_t.pad(img, ltrb, fill=fill, padding_mode=padding_mode)
    return F_pil.pad(img, ltrb, fill=fill, padding_mode=padding_mode)


def crop(img, top: int, left: int, height: int, width: int):
    """The region with top-left corner (top, left) and size (height, width); outside is zero."""
    if isinstance(img, Tensor):
        return F_t.crop(img, top, left, height, width)
    return F_pil.crop(img, top, left, height, width)


def _pair(size, name: str = "size") -> tuple[int, int]:
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return size[0], size[0]
    return size


def center_crop(img, output_size):
    """Crop the centre; images smaller than output_size are zero-padded first."""
    crop_height, crop_width = _pair(output_size)
    _, image_height, image_width = get_dimensions(img)
    if crop_width > image_width or crop_height > image_height:
        padding_ltrb = [(crop_width - image_width) // 2 if crop_width > image_width else 0,
                        (crop_height - image_height) // 2 if crop_height > image_height else 0,
                        (crop_width - image_width + 1) // 2 if crop_width > image_width else 0,
                        (crop_height - image_height + 1) // 2 if crop_height > image_height else 0]
        img = pad(img, padding_ltrb, fill=0)
        _, image_height, image_width = get_dimensions(img)
        if crop_width == image_width and crop_height == image_height:
            return img
    crop_top = int(round((image_height - crop_height) / 2.0))
    crop_left = int(round((image_width - crop_width) / 2.0))
    return crop(img, crop_top, crop_left, crop_height, crop_width)


def resized_crop(img, top: int, left: int, height: int, width: int, size,
                 interpolation=InterpolationMode.BILINEAR, antialias: bool | None = True):
    """crop followed by resize."""
    img = crop(img, top, left, height, width)
    return resize(img, size, interpolation, antialias=antialias)


def hflip(img):
    """Mirror left-right."""
    return F_t.hflip(img) if isinstance(img, Tensor) else F_pil.hflip(img)


def vflip(img):
    """Mirror top-bottom."""
    return F_t.vflip(img) if isinstance(img, Tensor) else F_pil.vflip(img)


def five_crop(img, size) -> tuple:
    """The four corner crops and the centre crop: (tl, tr, bl, br, center)."""
    if isinstance(size, numbers.Number):
        size = (int(size), int(size))
    elif isinstance(size, (tuple, list)) and len(size) == 1:
        size = (size[0], size[0])
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    _, image_height, image_width = get_dimensions(img)
    crop_height, crop_width = size
    if crop_width > image_width or crop_height > image_height:
        raise ValueError(f"Requested crop size {size} is bigger than input size {(image_height, image_width)}")
    tl = crop(img, 0, 0, crop_height, crop_width)
    tr = crop(img, 0, image_width - crop_width, crop_height, crop_width)
    bl = crop(img, image_height - crop_height, 0, crop_height, crop_width)
    br = crop(img, image_height - crop_height, image_width - crop_width, crop_height, crop_width)
    center = center_crop(img, [crop_height, crop_width])
    return tl, tr, bl, br, center


def ten_crop(img, size, vertical_flip: bool = False) -> tuple:
    """five_crop of the image and of its flipped version (horizontal unless vertical_flip)."""
    if isinstance(size, numbers.Number):
        size = (int(size), int(size))
    elif isinstance(size, (tuple, list)) and len(size) == 1:
        size = (size[0], size[0])
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    first_five = five_crop(img, size)
    img = vflip(img) if vertical_flip else hflip(img)
    return first_five + five_crop(img, size)


def _get_inverse_affine_matrix(center: list[float], angle: float, translate: list[float], scale: float,
                               shear: list[float], inverted: bool = True) -> list[float]:
    """The 2x3 matrix (row-major, 6 numbers) of C T R S Sh C^-1, or its inverse (output -> input)."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    # rotation with shear, without scale
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    if inverted:
        matrix = [x / scale for x in [d, -b, 0.0, -c, a, 0.0]]
        matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
        matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
        matrix[2] += cx
        matrix[5] += cy
    else:
        matrix = [a * scale, b * scale, 0.0, c * scale, d * scale, 0.0]
        matrix[2] += matrix[0] * (-cx) + matrix[1] * (-cy)
        matrix[5] += matrix[3] * (-cx) + matrix[4] * (-cy)
        matrix[2] += cx + tx
        matrix[5] += cy + ty
    return matrix


def _tensor_fill(fill, img: Tensor):
    if fill is None:
        return None
    channels = get_dimensions(img)[0]
    if isinstance(fill, (int, float)):
        return [float(fill)] * channels
    fill = [float(f) for f in fill]
    if len(fill) not in (1, channels):
        raise ValueError(f"The number of elements in 'fill' cannot broadcast to match the number of channels of the "
                         f"image ({len(fill)} != {channels})")
    return fill * channels if len(fill) == 1 else fill


def _check_grid_interpolation(interpolation: InterpolationMode) -> str:
    if interpolation not in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR):
        raise ValueError(f"Interpolation mode '{interpolation.value}' is unsupported with Tensor input")
    return interpolation.value


def rotate(img, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False, center=None,
           fill=None):
    """Rotate counter-clockwise by angle degrees about center (default: the image centre)."""
    interpolation = _check_interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if center is not None and not isinstance(center, (list, tuple)):
        raise TypeError("Argument center should be a sequence")
    if not isinstance(img, Tensor):
        return F_pil.rotate(img, angle, pil_modes_mapping[interpolation], expand, center, fill)
    center_f = [0.0, 0.0]
    if center is not None:
        _, height, width = get_dimensions(img)
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = _get_inverse_affine_matrix(center_f, -angle, [0.0, 0.0], 1.0, [0.0, 0.0])
    return F_t.rotate(img, matrix, _check_grid_interpolation(interpolation), expand, _tensor_fill(fill, img))


def affine(img, angle: float, translate: list[int], scale: float, shear, interpolation=InterpolationMode.NEAREST,
           fill=None, center=None):
    """Rotate by angle, translate, scale and shear about center, keeping the image size."""
    interpolation = _check_interpolation(interpolation)
    if not isinstance(angle, (int, float)):
        raise TypeError("Argument angle should be int or float")
    if not isinstance(translate, (list, tuple)):
        raise TypeError("Argument translate should be a sequence")
    if len(translate) != 2:
        raise ValueError("Argument translate should be a sequence of length 2")
    if scale <= 0.0:
        raise ValueError("Argument scale should be positive")
    if not isinstance(shear, (numbers.Number, list, tuple)):
        raise TypeError("Shear should be either a single value or a sequence of two values")
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    shear = list(shear)
    if len(shear) == 1:
        shear = [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    _, height, width = get_dimensions(img)
    if not isinstance(img, Tensor):
        pil_center = [width * 0.5, height * 0.5] if center is None else center
        matrix = _get_inverse_affine_matrix(pil_center, angle, translate, scale, shear)
        return F_pil.affine(img, matrix, pil_modes_mapping[interpolation], fill)
    center_f = [0.0, 0.0]
    if center is not None:
        center_f = [1.0 * (c - s * 0.5) for c, s in zip(center, [width, height])]
    matrix = _get_inverse_affine_matrix(center_f, angle, [1.0 * t for t in translate], scale, shear)
    return F_t.affine(img, matrix, _check_grid_interpolation(interpolation), _tensor_fill(fill, img))


def _get_perspective_coeffs(startpoints, endpoints) -> list[float]:
    """The 8 coefficients mapping each end point back to its start point (least squares)."""
    a = np.zeros((8, 8))
    for i, (p1, p2) in enumerate(zip(endpoints, startpoints)):
        a[2 * i] = [p1[0], p1[1], 1, 0, 0, 0, -p2[0] * p1[0], -p2[0] * p1[1]]
        a[2 * i + 1] = [0, 0, 0, p1[0], p1[1], 1, -p2[1] * p1[0], -p2[1] * p1[1]]
    b = np.asarray(startpoints, dtype=np.float64).reshape(8)
    return np.linalg.lstsq(a, b, rcond=None)[0].astype(np.float32).tolist()


def perspective(img, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR, fill=None):
    """Warp so that the 4 startpoints land on the 4 endpoints ([top-left, top-right, bottom-right, bottom-left])."""
    interpolation = _check_interpolation(interpolation)
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(f"Please provide only four points for the start and end points, got {len(startpoints)} "
                         f"and {len(endpoints)}")
    coeffs = _get_perspective_coeffs(startpoints, endpoints)
    if not isinstance(img, Tensor):
        return F_pil.perspective(img, coeffs, pil_modes_mapping[interpolation], fill)
    return F_t.perspective(img, coeffs, _check_grid_interpolation(interpolation), _tensor_fill(fill, img))


# --- colour -----------------------------------------------------------------------------------------------

def adjust_brightness(img, brightness_factor: float):
    """Multiply by brightness_factor (0 black, 1 unchanged), clamped."""
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    if isinstance(img, Tensor):
        return F_t.adjust_brightness(img, brightness_factor)
    return F_pil.adjust_brightness(img, brightness_factor)


def adjust_contrast(img, contrast_factor: float):
    """Blend with the mean grey level (0 solid grey, 1 unchanged)."""
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    if isinstance(img, Tensor):
        return F_t.adjust_contrast(img, contrast_factor)
    return F_pil.adjust_contrast(img, contrast_factor)


def adjust_saturation(img, saturation_factor: float):
    """Blend with the greyscale image (0 grey, 1 unchanged)."""
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    if isinstance(img, Tensor):
        return F_t.adjust_saturation(img, saturation_factor)
    return F_pil.adjust_saturation(img, saturation_factor)


def adjust_hue(img, hue_factor: float):
    """Shift the hue by hue_factor (in [-0.5, 0.5]) of a full turn."""
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if isinstance(img, Tensor):
        return F_t.adjust_hue(img, hue_factor)
    return F_pil.adjust_hue(img, hue_factor)


def adjust_gamma(img, gamma: float, gain: float = 1.0):
    """gain * img ** gamma on the [0, 1] scale."""
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    if isinstance(img, Tensor):
        return F_t.adjust_gamma(img, gamma, gain)
    return F_pil.adjust_gamma(img, gamma, gain)


def rgb_to_grayscale(img, num_output_channels: int = 1):
    """Greyscale version of an image, with 1 or 3 channels."""
    if isinstance(img, Tensor):
        return F_t.rgb_to_grayscale(img, num_output_channels)
    return F_pil.to_grayscale(img, num_output_channels)


def to_grayscale(img, num_output_channels: int = 1):
    """Greyscale version of a PIL image (use rgb_to_grayscale for tensors)."""
    if _is_pil_image(img):
        return F_pil.to_grayscale(img, num_output_channels)
    raise TypeError("Input should be PIL Image")


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a Gaussian kernel of odd size kernel_size; sigma defaults to 0.3 * ((k - 1) * 0.5 - 1) + 0.8."""
    if not isinstance(kernel_size, (int, list, tuple)):
        raise TypeError(f"kernel_size should be int or a sequence of integers. Got {type(kernel_size)}")
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if len(kernel_size) != 2:
        raise ValueError(f"If kernel_size is a sequence its length should be 2. Got {len(kernel_size)}")
    for ksize in kernel_size:
        if ksize % 2 == 0 or ksize < 0:
            raise ValueError(f"kernel_size should have odd and positive integers. Got {kernel_size}")
    if sigma is None:
        sigma = [ksize * 0.15 + 0.35 for ksize in kernel_size]
    if not isinstance(sigma, (int, float, list, tuple)):
        raise TypeError(f"sigma should be either float or sequence of floats. Got {type(sigma)}")
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    if isinstance(sigma, (list, tuple)) and len(sigma) == 1:
        sigma = [sigma[0], sigma[0]]
    if len(sigma) != 2:
        raise ValueError(f"If sigma is a sequence, its length should be 2. Got {len(sigma)}")
    for s in sigma:
        if s <= 0.0:
            raise ValueError(f"sigma should have positive values. Got {sigma}")
    if isinstance(img, Tensor):
        return F_t.gaussian_blur(img, list(kernel_size), list(sigma))
    # torchvision blurs PIL images through the tensor kernel, so both inputs give the same pixels
    mode = img.mode
    out = F_t.gaussian_blur(pil_to_tensor(img), list(kernel_size), list(sigma))
    return to_pil_image(out, mode=mode)


def erase(img: Tensor, i: int, j: int, h: int, w: int, v, inplace: bool = False) -> Tensor:
    """Set img[..., i:i+h, j:j+w] = v (a tensor image only)."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    return F_t.erase(img, i, j, h, w, v, inplace)
