"""Masks: threshold rules, orientation, size checks, lossless saving, grow/shrink."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from PIL import Image

from restore_app.core.errors import MaskError
from restore_app.core.masks import (
    grow_mask,
    mask_from_array,
    read_mask,
    shrink_mask,
    write_mask,
)


def test_gray_threshold_is_half_the_range():
    gray8 = np.array([[0, 127, 128, 255]], np.uint8)
    np.testing.assert_array_equal(mask_from_array(gray8), [[False, False, True, True]])
    gray16 = np.array([[32767, 32768]], np.uint16)
    np.testing.assert_array_equal(mask_from_array(gray16), [[False, True]])
    flt = np.array([[0.5, 0.51]], np.float32)
    np.testing.assert_array_equal(mask_from_array(flt), [[False, True]])
    np.testing.assert_array_equal(mask_from_array(np.array([[True, False]])), [[1, 0]])


def test_colour_uses_luminance():
    rgb = np.zeros((1, 3, 3), np.uint8)
    rgb[0, 0] = (255, 0, 0)  # red: luma 76, dark
    rgb[0, 1] = (0, 255, 0)  # green: luma 150, bright
    rgb[0, 2] = (255, 255, 255)
    np.testing.assert_array_equal(mask_from_array(rgb), [[False, True, True]])


def test_uniform_colour_with_varying_alpha_uses_alpha():
    rgba = np.zeros((2, 2, 4), np.uint8)  # black strokes on a transparent layer
    rgba[0, :, 3] = 255
    np.testing.assert_array_equal(mask_from_array(rgba), [[True, True], [False, False]])
    la = np.zeros((1, 2, 2), np.uint16)
    la[0, 1, 1] = 65535
    np.testing.assert_array_equal(mask_from_array(la), [[False, True]])


def test_opaque_rgba_uses_luminance():
    rgba = np.full((1, 2, 4), 255, np.uint8)
    rgba[0, 0, :3] = 0
    np.testing.assert_array_equal(mask_from_array(rgba), [[False, True]])


def test_varying_colour_and_alpha_composites_over_black():
    rgba = np.array([[[255, 255, 255, 255], [255, 255, 255, 0], [0, 0, 0, 255]]])
    assert mask_from_array(rgba.astype(np.uint8)).tolist() == [[True, False, False]]


def test_read_mask_any_format_and_exif_orientation(tmp_path):
    # Stored 4 wide x 2 high with orientation 6: upright it is 2 wide x 4 high.
    stored = np.zeros((2, 4), np.uint8)
    stored[0, 0] = 255  # stored top-left -> upright top-right
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(tmp_path / "m.png", exif=exif)
    mask = read_mask(tmp_path / "m.png", (4, 2))
    assert mask.shape == (4, 2) and mask.dtype == bool
    assert mask[0, 1] and mask.sum() == 1

    tifffile.imwrite(tmp_path / "m16.tif", np.full((4, 2), 40000, np.uint16))
    assert read_mask(tmp_path / "m16.tif", (4, 2)).all()


def test_read_mask_alpha_only_png(tmp_path):
    rgba = np.zeros((3, 3, 4), np.uint8)
    rgba[..., :3] = 255  # uniform white, only alpha says where the damage is
    rgba[1, 1, 3] = 255
    Image.fromarray(rgba).save(tmp_path / "a.png")
    mask = read_mask(tmp_path / "a.png", (3, 3))
    assert mask.sum() == 1 and mask[1, 1]


def test_wrong_size_is_a_clear_error(tmp_path):
    Image.new("L", (800, 600)).save(tmp_path / "m.png")
    with pytest.raises(MaskError) as info:
        read_mask(tmp_path / "m.png", (768, 1024))
    assert "mask is 800×600 but the image is 1024×768" in str(info.value)
    assert "\n" not in str(info.value)


def test_unreadable_mask_is_a_mask_error(tmp_path):
    (tmp_path / "m.png").write_text("not a mask")
    with pytest.raises(MaskError, match="m.png"):
        read_mask(tmp_path / "m.png", (2, 2))


def test_write_mask_is_lossless_png(tmp_path):
    rng = np.random.default_rng(0)
    mask = rng.random((37, 53)) > 0.5
    write_mask(mask, tmp_path / "m.png")
    with Image.open(tmp_path / "m.png") as im:
        assert im.format == "PNG" and im.mode == "L"
        assert set(np.unique(np.asarray(im))) <= {0, 255}
    np.testing.assert_array_equal(read_mask(tmp_path / "m.png", mask.shape), mask)


def test_write_mask_refuses_lossy_formats_and_existing(tmp_path):
    mask = np.ones((4, 4), bool)
    for name in ("m.jpg", "m.webp", "m.tif"):
        with pytest.raises(MaskError, match="PNG"):
            write_mask(mask, tmp_path / name)
    assert list(tmp_path.iterdir()) == []
    write_mask(mask, tmp_path / "m.png")
    with pytest.raises(MaskError, match="exists"):
        write_mask(mask, tmp_path / "m.png", overwrite=False)


def test_grow_and_shrink_use_a_disc():
    mask = np.zeros((21, 21), bool)
    mask[10, 10] = True
    grown = grow_mask(mask, 3)
    assert grown[10, 13] and grown[13, 10] and not grown[10, 14]
    assert not grown[13, 13]  # a disc, not a square
    assert grown.sum() > 9
    np.testing.assert_array_equal(shrink_mask(grown, 3), mask)
    np.testing.assert_array_equal(grow_mask(grown, -3), mask)
    np.testing.assert_array_equal(grow_mask(mask, 0), mask)
    assert grow_mask(mask, 2).dtype == bool


def test_shrink_keeps_masks_touching_the_border():
    mask = np.zeros((10, 10), bool)
    mask[:, :4] = True
    shrunk = shrink_mask(mask, 1)
    assert shrunk[:, :3].all() and not shrunk[:, 3].any()
