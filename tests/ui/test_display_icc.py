"""The canvas converts an image's ICC profile for the screen; the data stays."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColorSpace

from restore_app.ui.display import TileFactory


def _factory(pixels: np.ndarray, icc: bytes | None) -> TileFactory:
    h, w = pixels.shape[:2]

    def read(x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        return pixels[y0:y1, x0:x1]

    def empty(x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        return np.zeros((y1 - y0, x1 - x0), bool)

    return TileFactory(w, h, read, read, empty, empty, icc=icc)


def test_adobe_rgb_is_converted_for_an_srgb_screen(qapp) -> None:
    pixels = np.zeros((8, 16, 3), np.uint8)
    pixels[:, :8] = (128, 128, 128)  # neutral: the same in both spaces
    pixels[:, 8:] = (60, 160, 60)  # a green that Adobe RGB holds more saturated
    before = pixels.copy()
    adobe = QColorSpace(QColorSpace.NamedColorSpace.AdobeRgb).iccProfile().data()

    plain = _factory(pixels, None).image_tile("image", 0, 0, 0)
    managed = _factory(pixels, bytes(adobe)).image_tile("image", 0, 0, 0)

    gray = managed.pixelColor(2, 2)
    assert abs(gray.red() - gray.green()) <= 1 and abs(gray.green() - gray.blue()) <= 1
    assert abs(gray.red() - 128) <= 3
    green_plain = plain.pixelColor(12, 2)
    green_screen = managed.pixelColor(12, 2)
    assert (green_plain.red(), green_plain.green()) == (60, 160)
    # Shown in sRGB, the Adobe RGB green is more saturated: less red.
    assert green_screen.red() < green_plain.red() - 10
    assert np.array_equal(pixels, before)
