"""make_grid / save_image (ember.vision.utils) against worked NumPy values of torchvision's semantics."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import ember
from ember.vision.utils import make_grid, save_image


def _batch() -> np.ndarray:
    return np.arange(12, dtype=np.float32).reshape(3, 1, 2, 2)  # image k holds 4k .. 4k+3


def _expected_grid(images: np.ndarray, pad_value: float) -> np.ndarray:
    """The three 2x2 images of _batch tiled 2 per row with padding 1 (written out by coordinates)."""
    grid = np.full((3, 7, 7), pad_value, dtype=np.float32)
    grid[:, 1:3, 1:3] = images[0, 0]
    grid[:, 1:3, 4:6] = images[1, 0]
    grid[:, 4:6, 1:3] = images[2, 0]
    return grid


def test_grid_layout_padding_and_gray_to_rgb():
    out = make_grid(ember.tensor(_batch()), nrow=2, padding=1, pad_value=0.5)
    assert tuple(out.shape) == (3, 7, 7) and out.dtype == ember.float32
    np.testing.assert_array_equal(out.numpy(), _expected_grid(_batch(), 0.5))


def test_grid_default_nrow_and_padding():
    imgs = np.random.default_rng(0).random((10, 3, 4, 5)).astype(np.float32)
    out = make_grid(ember.tensor(imgs)).numpy()  # nrow=8, padding=2: 8 columns, 2 rows
    assert out.shape == (3, 2 * 6 + 2, 8 * 7 + 2)
    np.testing.assert_array_equal(out[:, 2:6, 2:7], imgs[0])
    np.testing.assert_array_equal(out[:, 8:12, 2 + 7:7 + 7], imgs[9])  # 10th image: row 1, column 1
    assert (out[:, 8:12, 2 * 7 + 2:] == 0).all()  # the rest of the last row stays pad_value


def test_normalize_whole_batch_each_image_and_value_range():
    x = ember.tensor(_batch())
    whole = make_grid(x, nrow=2, padding=1, normalize=True).numpy()
    np.testing.assert_allclose(whole, _expected_grid(_batch() / np.float32(11), 0.0), rtol=1e-7)
    each = make_grid(x, nrow=2, padding=1, normalize=True, scale_each=True).numpy()
    ramp = np.array([0, 1, 2, 3], dtype=np.float32).reshape(1, 1, 2, 2) / np.float32(3)
    np.testing.assert_allclose(each, _expected_grid(np.concatenate([ramp] * 3), 0.0), rtol=1e-7)
    ranged = make_grid(x, nrow=2, padding=1, normalize=True, value_range=(2.0, 5.0)).numpy()
    np.testing.assert_allclose(ranged, _expected_grid((np.clip(_batch(), 2, 5) - 2) / np.float32(3), 0.0), rtol=1e-7)
    np.testing.assert_array_equal(x.numpy(), _batch())  # the input is not modified


def test_single_images_and_lists():
    gray = np.array([[0.0, 0.25], [0.5, 1.0]], dtype=np.float32)
    for inp in (gray, gray[None], gray[None, None]):
        out = make_grid(ember.tensor(inp), padding=5)
        assert tuple(out.shape) == (3, 2, 2)  # a single image comes back without padding, as RGB
        np.testing.assert_array_equal(out.numpy(), np.stack([gray] * 3))
    rgb = [ember.tensor(np.full((3, 2, 2), v, dtype=np.float32)) for v in (1.0, 2.0)]
    out = make_grid(rgb, padding=0).numpy()
    assert out.shape == (3, 2, 4) and (out[:, :, :2] == 1).all() and (out[:, :, 2:] == 2).all()
    flat = make_grid(ember.tensor(gray * 4), normalize=True).numpy()
    np.testing.assert_allclose(flat, np.stack([gray] * 3), rtol=1e-7)


def test_make_grid_errors():
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        make_grid(np.zeros((2, 3, 4, 4)))
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(ember.zeros(2, 3, 4, 4), normalize=True, value_range=[0, 1])


def test_save_image_uint8_conversion(tmp_path):
    values = np.array([0.0, 0.5, 0.999, 1.2, -0.1, 0.2, 0.0019, 0.0021, 0.7, 0.3, 0.1, 1.0], dtype=np.float32)
    img = values.reshape(3, 2, 2)
    save_image(ember.tensor(img), tmp_path / "x.png")
    got = np.asarray(Image.open(tmp_path / "x.png"))
    expected = np.floor(np.clip(img * np.float32(255) + np.float32(0.5), 0, 255)).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(got, expected)
    assert expected[1, 1, 1] == 1 and expected[1, 0, 1] == 0  # 0.0021 * 255 rounds up to 1, 0.0019 down to 0


def test_save_image_of_a_batch_writes_the_grid(tmp_path):
    batch = np.random.default_rng(1).random((5, 3, 3, 4)).astype(np.float32)
    save_image(ember.tensor(batch), tmp_path / "grid.png", nrow=3, padding=1, pad_value=1.0)
    got = np.asarray(Image.open(tmp_path / "grid.png"))
    grid = make_grid(ember.tensor(batch), nrow=3, padding=1, pad_value=1.0).numpy()
    assert got.shape == (2 * 4 + 1, 3 * 5 + 1, 3)
    np.testing.assert_array_equal(got, (grid * 255 + 0.5).clip(0, 255).astype(np.uint8).transpose(1, 2, 0))
    assert (got[0] == 255).all()
    save_image(ember.tensor(batch[0]), tmp_path / "one.jpg", format="JPEG")
    assert Image.open(tmp_path / "one.jpg").format == "JPEG"
