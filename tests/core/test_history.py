from __future__ import annotations

import cv2
import numpy as np

from restore_app.core.history import OriginalTiles, TileRecorder, changed_tiles


def _stroke(mask: np.ndarray, rec: TileRecorder, rng: np.random.Generator) -> None:
    h, w = mask.shape
    x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
    r = 20
    for _ in range(40):
        nx = int(np.clip(x + rng.integers(-60, 61), 0, w - 1))
        ny = int(np.clip(y + rng.integers(-60, 61), 0, h - 1))
        rec.touch(
            min(x, nx) - r, min(y, ny) - r, max(x, nx) + r + 1, max(y, ny) + r + 1
        )
        view = mask.view(np.uint8)
        cv2.line(view, (x, y), (nx, ny), 1, thickness=2 * r)
        x, y = nx, ny


def test_undo_redo_restores_exact_states() -> None:
    rng = np.random.default_rng(1)
    mask = np.zeros((700, 900), dtype=bool)
    rec = TileRecorder(mask)
    before = mask.copy()
    _stroke(mask, rec, rng)
    after = mask.copy()
    delta = rec.finish()
    assert delta and delta.nbytes > 0
    delta.undo(mask)
    assert np.array_equal(mask, before)
    delta.redo(mask)
    assert np.array_equal(mask, after)


def test_pixel_delta_keeps_only_changed_tiles() -> None:
    img = np.random.default_rng(0).integers(0, 65535, (300, 200, 3), dtype=np.uint16)
    orig = img.copy()
    rec = TileRecorder(img)
    rec.touch(0, 0, 200, 300)  # the whole image is touched ...
    img[100:110, 70:75] = 7  # ... but only one tile changes
    delta = rec.finish()
    assert list(delta.tiles) == [(1, 1)]
    delta.undo(img)
    assert np.array_equal(img, orig)


def test_revert_abandons_edit() -> None:
    mask = np.zeros((100, 100), dtype=bool)
    rec = TileRecorder(mask)
    rec.touch(0, 0, 10, 10)
    mask[:10, :10] = True
    rec.revert()
    assert not mask.any()


def test_hundred_strokes_on_100mp_mask_cost_under_100mb() -> None:
    rng = np.random.default_rng(2)
    mask = np.zeros((10_000, 10_000), dtype=bool)
    total = 0
    for _ in range(100):
        rec = TileRecorder(mask)
        _stroke(mask, rec, rng)
        delta = rec.finish()
        assert delta
        total += delta.nbytes
    assert total < 100 * 1024 * 1024, total


def test_original_tiles_copy_on_write() -> None:
    img = np.arange(200 * 150 * 3, dtype=np.uint16).reshape(200, 150, 3)
    first = img.copy()
    orig = OriginalTiles(img.shape, img.dtype)
    orig.preserve(img, 10, 10, 80, 80)
    img[10:80, 10:80] = 0
    assert np.array_equal(orig.region(img, 0, 0, 150, 200), first)
    assert np.array_equal(orig.region(img, 5, 7, 99, 133), first[7:133, 5:99])
    assert orig.changed(img) == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_changed_tiles() -> None:
    a = np.zeros((130, 70), dtype=np.uint8)
    b = a.copy()
    b[129, 69] = 1
    assert changed_tiles(a, b) == [(2, 1)]
