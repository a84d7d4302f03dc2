"""ember.vision.io: images written by Pillow in known pixel values read back as (C, H, W) uint8 tensors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import ember
from ember.vision import io


def _pixels(shape, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


@pytest.mark.parametrize("mode,shape", [("L", (5, 7)), ("LA", (5, 7, 2)), ("RGB", (5, 7, 3)), ("RGBA", (5, 7, 4))])
def test_read_png_unchanged(tmp_path, mode, shape):
    arr = _pixels(shape)
    Image.fromarray(arr, mode=mode).save(tmp_path / "a.png")
    out = io.read_image(str(tmp_path / "a.png"))
    assert out.dtype == ember.uint8 and tuple(out.shape) == (arr.shape[2] if arr.ndim == 3 else 1, 5, 7)
    np.testing.assert_array_equal(out.numpy(), arr.reshape(5, 7, -1).transpose(2, 0, 1))


def test_palette_png_expands_to_rgb_and_rgba(tmp_path):
    palette = np.array([[10, 20, 30], [200, 100, 0], [0, 255, 128]], dtype=np.uint8)
    index = np.array([[0, 1, 2], [2, 1, 0]], dtype=np.uint8)
    img = Image.fromarray(index, mode="P")
    img.putpalette(palette.flatten().tolist())
    img.save(tmp_path / "p.png")
    out = io.read_image(tmp_path / "p.png").numpy()
    np.testing.assert_array_equal(out, palette[index].transpose(2, 0, 1))
    img.save(tmp_path / "pt.png", transparency=1)
    out = io.read_image(tmp_path / "pt.png").numpy()
    alpha = np.where(index == 1, 0, 255)
    assert out.shape == (4, 2, 3)
    np.testing.assert_array_equal(out[3], alpha)


def test_read_modes(tmp_path):
    gray = _pixels((4, 6))
    Image.fromarray(np.stack([gray] * 3, axis=-1)).save(tmp_path / "g.png")  # R = G = B: any luma formula gives gray
    path = tmp_path / "g.png"
    np.testing.assert_array_equal(io.read_image(path, io.ImageReadMode.GRAY).numpy(), gray[None])
    ga = io.read_image(path, io.ImageReadMode.GRAY_ALPHA).numpy()
    np.testing.assert_array_equal(ga, np.stack([gray, np.full_like(gray, 255)]))
    rgba = io.read_image(path, io.ImageReadMode.RGB_ALPHA).numpy()
    assert rgba.shape == (4, 4, 6) and (rgba[3] == 255).all()
    Image.fromarray(gray).save(tmp_path / "l.png")
    np.testing.assert_array_equal(io.read_image(tmp_path / "l.png", io.ImageReadMode.RGB).numpy(), np.stack([gray] * 3))
    assert io.ImageReadMode.RGB.value == 3 and io.ImageReadMode.UNCHANGED.value == 0


def test_png_roundtrip_through_bytes_and_files(tmp_path):
    arr = _pixels((3, 6, 5), seed=2)
    x = ember.tensor(arr)
    io.write_png(x, str(tmp_path / "w.png"), compression_level=9)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "w.png")), arr.transpose(1, 2, 0))
    data = io.encode_png(x)
    assert data.dtype == ember.uint8 and data.dim() == 1
    assert bytes(data.numpy()[:8]) == b"\x89PNG\r\n\x1a\n"
    np.testing.assert_array_equal(io.decode_image(data).numpy(), arr)
    np.testing.assert_array_equal(io.read_file(tmp_path / "w.png").numpy(),
                                  np.frombuffer((tmp_path / "w.png").read_bytes(), dtype=np.uint8))
    io.write_file(tmp_path / "copy.png", io.read_file(tmp_path / "w.png"))
    assert (tmp_path / "copy.png").read_bytes() == (tmp_path / "w.png").read_bytes()
    gray = _pixels((1, 4, 4))
    io.write_png(ember.tensor(gray), tmp_path / "g.png")
    np.testing.assert_array_equal(io.read_image(tmp_path / "g.png").numpy(), gray)


def test_jpeg_roundtrip_is_close(tmp_path):
    yy, xx = np.mgrid[0:32, 0:48]
    smooth = np.stack([xx * 5, yy * 7, (xx + yy) * 3]).astype(np.uint8)  # smooth ramps survive JPEG well
    io.write_jpeg(ember.tensor(smooth), tmp_path / "a.jpg", quality=95)
    back = io.read_image(tmp_path / "a.jpg").numpy()
    assert back.shape == smooth.shape and back.dtype == np.uint8
    assert np.abs(back.astype(int) - smooth.astype(int)).mean() < 3
    data = io.encode_jpeg(ember.tensor(smooth), quality=95)
    assert bytes(data.numpy()[:2]) == b"\xff\xd8"
    np.testing.assert_array_equal(io.decode_jpeg(data).numpy(), back)


def test_encoder_errors(tmp_path):
    with pytest.raises(RuntimeError, match="Input tensor dtype should be uint8"):
        io.write_png(ember.zeros(3, 4, 4), tmp_path / "x.png")
    with pytest.raises(RuntimeError, match="Input tensor dimensions should be 3"):
        io.encode_png(ember.zeros(4, 4, dtype=ember.uint8))
    with pytest.raises(RuntimeError, match="number of channels should be 1 or 3"):
        io.encode_jpeg(ember.zeros(4, 4, 4, dtype=ember.uint8))
    with pytest.raises(ValueError, match="between 1 and 100"):
        io.encode_jpeg(ember.zeros(3, 4, 4, dtype=ember.uint8), quality=0)
    with pytest.raises(RuntimeError, match="1-D uint8"):
        io.decode_image(ember.zeros(3, 4, 4, dtype=ember.uint8))
