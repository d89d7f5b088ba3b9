from __future__ import annotations

import cv2
import numpy as np

from restore_app.core.tiling import (
    feather_inward,
    mask_regions,
    plan_tiles,
    process_tiled,
    split_box,
)


def _blur(tile: np.ndarray) -> np.ndarray:
    """A spatial operation with a reach of 6 pixels (σ=1.5, 4σ kernel radius)."""
    out = cv2.GaussianBlur(tile, (13, 13), 1.5, borderType=cv2.BORDER_REFLECT)
    return out.reshape(tile.shape)


def test_tiled_equals_untiled_within_one_lsb() -> None:
    rng = np.random.default_rng(0)
    img = rng.random((301, 457, 3), dtype=np.float32)
    whole = _blur(img)
    plan = plan_tiles(301, 457, tile=96, reach=8, blend=8)
    assert plan.count() > 9
    tiled = process_tiled(img, _blur, plan)
    # One least significant bit of a 16-bit image.
    assert np.abs(tiled - whole).max() < 1 / 65535


def test_large_image_small_tiles_finishes_rows_in_order() -> None:
    img = np.random.default_rng(1).random((2000, 1500, 1), dtype=np.float32)
    plan = plan_tiles(2000, 1500, tile=128, reach=4, blend=8)
    seen: list[tuple[int, int]] = []

    def finish(rows: np.ndarray, y0: int, y1: int) -> None:
        assert rows.shape == (y1 - y0, 1500, 1)
        np.testing.assert_allclose(rows, img[y0:y1], atol=1e-6)
        seen.append((y0, y1))

    progress: list[tuple[int, int]] = []
    process_tiled(
        img,
        lambda t: t,
        plan,
        finish=finish,
        on_progress=lambda d, t: progress.append((d, t)),
    )
    assert seen[0][0] == 0 and seen[-1][1] == 2000
    assert all(a[1] == b[0] for a, b in zip(seen, seen[1:], strict=False))
    assert progress[-1] == (plan.count(), plan.count())


def test_regions_merge_nearby_and_split_far() -> None:
    m = np.zeros((400, 400), bool)
    m[10:12, 10:50] = True
    m[14:16, 10:50] = True  # 2 px away: same crack
    m[300:310, 300:310] = True
    boxes = mask_regions(m, merge_distance=16)
    assert len(boxes) == 2
    assert boxes[0].as_tuple() == (10, 10, 50, 16)
    assert mask_regions(np.zeros((10, 10), bool), 8) == []
    pieces = list(split_box(boxes[0], 16))
    assert sum(p.area for p in pieces) == boxes[0].area


def test_feather_is_zero_outside_and_one_deep_inside() -> None:
    m = np.zeros((100, 100), bool)
    m[20:80, 20:80] = True
    w = feather_inward(m, 8)
    assert (w[~m] == 0).all()
    assert w[50, 50] == 1.0
    assert 0 < w[20, 50] < 1
    # The image border is not a mask border.
    assert feather_inward(np.ones((30, 30), bool), 8).min() == 1.0
