"""Tensor-image kernels of the transforms (images of shape (..., C, H, W)), torchvision's tensor semantics.

Crops and flips are ember views/ops; the resampling and colour kernels work on the NumPy array of the image
(transforms are data preparation: their results carry no autograd history). Integer images are processed in
float32 and rounded back, as torchvision does.
Shape legend: N batch, C channels, H, W input height/width, oh, ow output height/width.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

import ember

from ..._tensor import Tensor

_INT_MAX = {np.dtype(np.uint8): 255, np.dtype(np.int8): 127, np.dtype(np.int16): 32767,
            np.dtype(np.int32): 2**31 - 1, np.dtype(np.int64): 2**63 - 1}


def _is_tensor(img) -> bool:
    return isinstance(img, Tensor)


def assert_image_tensor(img) -> None:
    """Raise unless img is a tensor with at least 2 dims."""
    if not _is_tensor(img) or img.dim() < 2:
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img: Tensor) -> list[int]:
    """[channels, height, width] of a tensor image."""
    assert_image_tensor(img)
    channels = 1 if img.dim() == 2 else int(img.shape[-3])
    return [channels, int(img.shape[-2]), int(img.shape[-1])]


def assert_channels(img: Tensor, permitted: list[int]) -> None:
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found {c}")


def max_value(dtype: np.dtype) -> float:
    """The value of 'white' for a dtype: 1.0 for floats, the largest integer for integers."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return 1
    return _INT_MAX[dtype] if dtype in _INT_MAX else 1.0


def _array(img: Tensor) -> np.ndarray:
    return img.detach().numpy()


def _wrap(array: np.ndarray) -> Tensor:
    return ember.from_numpy(np.ascontiguousarray(array))


def _float_work(array: np.ndarray) -> np.ndarray:
    """The array in the precision torchvision computes in: float32 for integer images."""
    return array if array.dtype.kind == "f" else array.astype(np.float32)


def _cast_back(result: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Round integer outputs (torchvision's _cast_squeeze_out) and return to the input dtype."""
    if np.dtype(dtype).kind in "iu":
        result = np.round(result)
    return result.astype(dtype)


def _as_4d(array: np.ndarray) -> tuple[np.ndarray, tuple]:
    shape = array.shape
    if array.ndim == 2:
        return array.reshape(1, 1, *shape), shape
    return array.reshape(-1, *shape[-3:]), shape


# --- geometry ---------------------------------------------------------------------------------------------

def hflip(img: Tensor) -> Tensor:
    """Mirror left-right."""
    assert_image_tensor(img)
    return img.flip(-1)


def vflip(img: Tensor) -> Tensor:
    """Mirror top-bottom."""
    assert_image_tensor(img)
    return img.flip(-2)


def crop(img: Tensor, top: int, left: int, height: int, width: int) -> Tensor:
    """A view of the region; parts outside the image are zero-padded."""
    assert_image_tensor(img)
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding_ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                        max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], padding_ltrb, fill=0)
    return img[..., top:bottom, left:right]


_NP_PAD_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}


def pad(img: Tensor, padding: list[int], fill=0, padding_mode: str = "constant") -> Tensor:
    """Pad by [left, top, right, bottom] (negative values crop) with torchvision's modes."""
    assert_image_tensor(img)
    if fill is None:
        fill = 0
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    pad_left, pad_top, pad_right, pad_bottom = (int(p) for p in padding)
    if min(pad_left, pad_top, pad_right, pad_bottom) < 0:
        h, w = img.shape[-2], img.shape[-1]
        img = img[..., max(-pad_top, 0):h - max(-pad_bottom, 0), max(-pad_left, 0):w - max(-pad_right, 0)]
        pad_left, pad_top, pad_right, pad_bottom = (max(p, 0) for p in (pad_left, pad_top, pad_right, pad_bottom))
    array = _array(img)
    widths = [(0, 0)] * (array.ndim - 2) + [(pad_top, pad_bottom), (pad_left, pad_right)]
    if padding_mode == "constant":
        out = np.pad(array, widths, "constant", constant_values=np.array(fill).astype(array.dtype))
    else:
        if padding_mode == "reflect" and (max(pad_top, pad_bottom) >= array.shape[-2]
                                          or max(pad_left, pad_right) >= array.shape[-1]):
            raise RuntimeError(f"Padding size should be less than the corresponding input dimension, but got: "
                               f"padding ({pad_left}, {pad_right}) at dimension 3 of input {list(array.shape)}")
        out = np.pad(array, widths, _NP_PAD_MODES[padding_mode])
    return _wrap(out)


def _aa_filter(x: np.ndarray, cubic: bool) -> np.ndarray:
    x = np.abs(x)
    if not cubic:
        return np.where(x < 1.0, 1.0 - x, 0.0)
    a = -0.5  # the antialiased bicubic filter uses a = -0.5 (Pillow's and PyTorch's)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * a
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


@lru_cache(maxsize=64)
def _aa_matrix(in_len: int, out_len: int, cubic: bool) -> np.ndarray:
    """(out_len, in_len) weights of antialiased resampling: the filter is stretched by the downscale factor.

    Cached: callers must not modify the result.
    """
    scale = in_len / out_len
    support = (2.0 if cubic else 1.0) * max(scale, 1.0)
    inv_scale = 1.0 / scale if scale >= 1.0 else 1.0
    weights = np.zeros((out_len, in_len))
    for i in range(out_len):
        center = scale * (i + 0.5)
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_len)
        w = _aa_filter((np.arange(lo, hi) - center + 0.5) * inv_scale, cubic)
        total = w.sum()
        weights[i, lo:hi] = w / total if total != 0 else w
    return weights


def resize(img: Tensor, size: list[int], interpolation: str = "bilinear", antialias: bool = True) -> Tensor:
    """Resize the last two dims to size = [h, w]; antialias applies to bilinear and bicubic only."""
    assert_image_tensor(img)
    if interpolation not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError("This interpolation mode is unsupported with Tensor input")
    array = _array(img)
    dtype = array.dtype
    x, shape = _as_4d(_float_work(array))
    oh, ow = int(size[0]), int(size[1])
    if antialias and interpolation in ("bilinear", "bicubic"):
        cubic = interpolation == "bicubic"
        wh = _aa_matrix(x.shape[-2], oh, cubic).astype(x.dtype)
        ww = _aa_matrix(x.shape[-1], ow, cubic).astype(x.dtype)
        out = np.matmul(np.matmul(wh, x), ww.T)
    else:
        align = False if interpolation in ("bilinear", "bicubic") else None
        out = ember.nn.functional.interpolate(_wrap(x), size=[oh, ow], mode=interpolation,
                                              align_corners=align).numpy()
    if interpolation == "bicubic" and dtype == np.uint8:
        out = np.clip(out, 0, 255)
    out = _cast_back(out, dtype)
    return _wrap(out.reshape(shape[:-2] + (oh, ow)))


# --- grid sampling: affine, rotate, perspective -----------------------------------------------------------

def _grid_sample(x: np.ndarray, src_x: np.ndarray, src_y: np.ndarray, mode: str, fill) -> np.ndarray:
    """Sample x (N, C, H, W) at source pixel coordinates (oh, ow); outside pixels take `fill` (None: zeros)."""
    n, c, h, w = x.shape
    if mode == "nearest":
        ix, iy = np.rint(src_x).astype(np.int64), np.rint(src_y).astype(np.int64)
        inside = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        out = x[:, :, np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)] * inside
        mask = inside.astype(x.dtype)
    elif mode == "bilinear":
        x0, y0 = np.floor(src_x), np.floor(src_y)
        out = np.zeros((n, c) + src_x.shape, dtype=x.dtype)
        mask = np.zeros(src_x.shape, dtype=x.dtype)
        for dy in (0, 1):
            for dx in (0, 1):
                cx, cy = x0 + dx, y0 + dy
                weight = (1 - np.abs(src_x - cx)) * (1 - np.abs(src_y - cy))
                valid = (cx >= 0) & (cx < w) & (cy >= 0) & (cy < h)
                weight = (weight * valid).astype(x.dtype)
                ixc = np.clip(cx, 0, w - 1).astype(np.int64)
                iyc = np.clip(cy, 0, h - 1).astype(np.int64)
                out += x[:, :, iyc, ixc] * weight
                mask += weight
    else:
        raise ValueError(f"Interpolation mode '{mode}' is unsupported with Tensor input")
    if fill is None:
        return out
    fill = np.asarray(fill if isinstance(fill, (list, tuple)) else [fill], dtype=x.dtype).reshape(1, -1, 1, 1)
    if mode == "nearest":
        return np.where(mask < 0.5, fill, out)
    return out * mask + (1.0 - mask) * fill


def _apply_inverse_matrix(img: Tensor, matrix: list[float], oh: int, ow: int, interpolation: str, fill) -> Tensor:
    """Output pixel centres (relative to the output centre) mapped by matrix to input pixels, then sampled."""
    array = _array(img)
    dtype = array.dtype
    x, shape = _as_4d(_float_work(array))
    h, w = x.shape[-2:]
    ys, xs = np.meshgrid(np.arange(oh) - (oh - 1) / 2.0, np.arange(ow) - (ow - 1) / 2.0, indexing="ij")
    m = matrix
    src_x = m[0] * xs + m[1] * ys + m[2] + (w - 1) / 2.0
    src_y = m[3] * xs + m[4] * ys + m[5] + (h - 1) / 2.0
    out = _cast_back(_grid_sample(x, src_x, src_y, interpolation, fill), dtype)
    return _wrap(out.reshape(shape[:-2] + (oh, ow)))


def affine(img: Tensor, matrix: list[float], interpolation: str = "nearest", fill=None) -> Tensor:
    """Apply an inverse affine matrix given in centred pixel coordinates."""
    assert_image_tensor(img)
    return _apply_inverse_matrix(img, matrix, img.shape[-2], img.shape[-1], interpolation, fill)


def _affine_output_size(matrix: list[float], w: int, h: int) -> tuple[int, int]:
    """Size (w, h) of the box holding the whole transformed image (torchvision's expand=True rule)."""
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, -0.5 * h, 1.0]], dtype=np.float32)
    theta = np.array(matrix, dtype=np.float32).reshape(2, 3)
    new_pts = pts @ theta.T
    lo = new_pts.min(axis=0) + np.array([w * 0.5, h * 0.5], dtype=np.float32)
    hi = new_pts.max(axis=0) + np.array([w * 0.5, h * 0.5], dtype=np.float32)
    tol = 1e-4  # so that 1e-15 above an integer does not round up a whole pixel
    size = np.ceil(np.trunc(hi / tol) * tol) - np.floor(np.trunc(lo / tol) * tol)
    return int(size[0]), int(size[1])


def rotate(img: Tensor, matrix: list[float], interpolation: str = "nearest", expand: bool = False,
           fill=None) -> Tensor:
    """Rotate with an inverse rotation matrix; expand=True enlarges the output to hold the whole image."""
    assert_image_tensor(img)
    h, w = img.shape[-2], img.shape[-1]
    ow, oh = _affine_output_size(matrix, w, h) if expand else (w, h)
    return _apply_inverse_matrix(img, matrix, oh, ow, interpolation, fill)


def perspective(img: Tensor, coeffs: list[float], interpolation: str = "bilinear", fill=None) -> Tensor:
    """Apply 8 perspective coefficients mapping output pixel (x, y) to input pixel (Pillow's convention)."""
    assert_image_tensor(img)
    array = _array(img)
    dtype = array.dtype
    x, shape = _as_4d(_float_work(array))
    h, w = x.shape[-2:]
    a, b, c, d, e, f, g, hh = coeffs
    ys, xs = np.meshgrid(np.arange(h) + 0.5, np.arange(w) + 0.5, indexing="ij")
    denom = g * xs + hh * ys + 1.0
    src_x = (a * xs + b * ys + c) / denom - 0.5
    src_y = (d * xs + e * ys + f) / denom - 0.5
    out = _cast_back(_grid_sample(x, src_x, src_y, interpolation, fill), dtype)
    return _wrap(out.reshape(shape))


# --- colour -----------------------------------------------------------------------------------------------

def _blend(img1: np.ndarray, img2: np.ndarray, ratio: float) -> np.ndarray:
    bound = max_value(img1.dtype)
    work = _float_work(img1)
    ratio_w = work.dtype.type(ratio)
    out = ratio_w * work + (work.dtype.type(1.0) - ratio_w) * img2.astype(work.dtype)
    return np.clip(out, 0, bound).astype(img1.dtype)


def _grayscale(array: np.ndarray) -> np.ndarray:
    """(..., 1, H, W) luma 0.2989 R + 0.587 G + 0.114 B, truncated to the input dtype."""
    work = _float_work(array)
    t = work.dtype.type
    r, g, b = work[..., 0, :, :], work[..., 1, :, :], work[..., 2, :, :]
    return (t(0.2989) * r + t(0.587) * g + t(0.114) * b).astype(array.dtype)[..., None, :, :]


def rgb_to_grayscale(img: Tensor, num_output_channels: int = 1) -> Tensor:
    """Luma of an RGB tensor image, repeated to num_output_channels (1 or 3)."""
    if not _is_tensor(img) or img.dim() < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{img.dim() if _is_tensor(img) else type(img)}")
    assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    array = _array(img)
    gray = _grayscale(array) if array.shape[-3] == 3 else array.copy()
    if num_output_channels == 3:
        gray = np.broadcast_to(gray, gray.shape[:-3] + (3,) + gray.shape[-2:])
    return _wrap(gray)


def adjust_brightness(img: Tensor, brightness_factor: float) -> Tensor:
    """Blend with black: clamp(factor * img)."""
    assert_image_tensor(img)
    assert_channels(img, [1, 3])
    array = _array(img)
    return _wrap(_blend(array, np.zeros_like(array), brightness_factor))


def adjust_contrast(img: Tensor, contrast_factor: float) -> Tensor:
    """Blend with the mean of the greyscale image."""
    assert_image_tensor(img)
    assert_channels(img, [3, 1])
    array = _array(img)
    dtype = array.dtype if array.dtype.kind == "f" else np.float32
    gray = _grayscale(array) if array.shape[-3] == 3 else array
    mean = gray.astype(dtype).mean(axis=(-3, -2, -1), keepdims=True, dtype=dtype)
    return _wrap(_blend(array, mean, contrast_factor))


def adjust_saturation(img: Tensor, saturation_factor: float) -> Tensor:
    """Blend with the greyscale image."""
    assert_image_tensor(img)
    assert_channels(img, [1, 3])
    array = _array(img)
    if array.shape[-3] == 1:
        return img
    return _wrap(_blend(array, _grayscale(array), saturation_factor))


def rgb_to_hsv(rgb: np.ndarray) -> np.ndarray:
    """(..., 3, H, W) RGB in [0, 1] -> HSV in [0, 1] (the colorsys formulas, vectorised)."""
    r, g, b = rgb[..., 0, :, :], rgb[..., 1, :, :], rgb[..., 2, :, :]
    maxc, minc = rgb.max(axis=-3), rgb.min(axis=-3)
    eqc = maxc == minc
    cr = maxc - minc
    ones = np.ones_like(maxc)
    s = cr / np.where(eqc, ones, maxc)
    cr_div = np.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_div, (maxc - g) / cr_div, (maxc - b) / cr_div
    h = np.where(maxc == r, bc - gc, np.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc))
    h = np.where(eqc, 0.0, h)
    h = np.fmod(h / 6.0 + 1.0, 1.0).astype(rgb.dtype)
    return np.stack((h, s, maxc), axis=-3)


def hsv_to_rgb(hsv: np.ndarray) -> np.ndarray:
    """(..., 3, H, W) HSV in [0, 1] -> RGB in [0, 1]."""
    h, s, v = hsv[..., 0, :, :], hsv[..., 1, :, :], hsv[..., 2, :, :]
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int64) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    choices_r, choices_g, choices_b = (v, q, p, p, t, v), (t, v, v, q, p, p), (p, p, t, v, v, q)
    rgb = [np.choose(i, ch) for ch in (choices_r, choices_g, choices_b)]
    return np.stack(rgb, axis=-3).astype(hsv.dtype)


def convert_dtype(array: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """torchvision's convert_image_dtype on arrays: rescales between [0, 1] floats and full-range integers."""
    dtype = np.dtype(dtype)
    if array.dtype == dtype:
        return array
    if array.dtype.kind == "f":
        if dtype.kind == "f":
            return array.astype(dtype)
        if (array.dtype == np.float32 and dtype in (np.int32, np.int64)) or (array.dtype == np.float64
                                                                            and dtype == np.int64):
            raise RuntimeError(f"The cast from torch.{array.dtype} to torch.{dtype} cannot be performed safely.")
        eps = 1e-3
        return (array * array.dtype.type(max_value(dtype) + 1.0 - eps)).astype(dtype)
    input_max = float(max_value(array.dtype))
    if dtype.kind == "f":
        return array.astype(dtype) / dtype.type(input_max)
    output_max = float(max_value(dtype))
    if input_max > output_max:
        factor = int((input_max + 1) // (output_max + 1))
        return (array // factor).astype(dtype)
    factor = int((output_max + 1) // (input_max + 1))
    return array.astype(dtype) * dtype.type(factor)


def adjust_hue(img: Tensor, hue_factor: float) -> Tensor:
    """Rotate the hue by hue_factor of a turn in HSV space (computed in float32)."""
    assert_image_tensor(img)
    assert_channels(img, [1, 3])
    array = _array(img)
    if array.shape[-3] == 1:
        return img
    hsv = rgb_to_hsv(convert_dtype(array, np.float32))
    hsv[..., 0, :, :] = np.mod(hsv[..., 0, :, :] + np.float32(hue_factor), np.float32(1.0))
    return _wrap(convert_dtype(hsv_to_rgb(hsv), array.dtype))


def adjust_gamma(img: Tensor, gamma: float, gain: float = 1.0) -> Tensor:
    """gain * img ** gamma on the [0, 1] scale, clamped."""
    assert_image_tensor(img)
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    array = _array(img)
    work = array if array.dtype.kind == "f" else convert_dtype(array, np.float32)
    out = np.clip(work.dtype.type(gain) * work ** work.dtype.type(gamma), 0, 1)
    return _wrap(convert_dtype(out, array.dtype))


def gaussian_kernel1d(kernel_size: int, sigma: float) -> np.ndarray:
    """Normalised samples of exp(-x^2 / (2 sigma^2)) at x = -(k-1)/2 .. (k-1)/2."""
    half = (kernel_size - 1) * 0.5
    x = np.linspace(-half, half, kernel_size)
    pdf = np.exp(-0.5 * (x / sigma) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img: Tensor, kernel_size: list[int], sigma: list[float]) -> Tensor:
    """Separable Gaussian blur with reflect padding of half the kernel."""
    assert_image_tensor(img)
    array = _array(img)
    dtype = array.dtype
    x, shape = _as_4d(_float_work(array))
    kx = gaussian_kernel1d(kernel_size[0], sigma[0]).astype(x.dtype)
    ky = gaussian_kernel1d(kernel_size[1], sigma[1]).astype(x.dtype)
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    if px >= x.shape[-1] or py >= x.shape[-2]:
        raise RuntimeError(f"Padding size should be less than the corresponding input dimension, but got: "
                           f"padding ({px}, {px}) at dimension 3 of input {list(x.shape)}")
    x = np.pad(x, ((0, 0), (0, 0), (py, py), (px, px)), mode="reflect")
    h, w = shape[-2], shape[-1]
    rows = sum(ky[i] * x[:, :, i:i + h, :] for i in range(len(ky)))
    out = sum(kx[j] * rows[:, :, :, j:j + w] for j in range(len(kx)))
    return _wrap(_cast_back(out, dtype).reshape(shape))


def erase(img: Tensor, i: int, j: int, h: int, w: int, v, inplace: bool = False) -> Tensor:
    """Overwrite img[..., i:i+h, j:j+w] with v."""
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img
