"""Grain continued into a fill: the level, size and shape of the surroundings'
grain, drawn by position so tiles and replays agree."""

from __future__ import annotations

import cv2
import numpy as np

from restore_app.core.grain import _high_pass, _mad, continue_grain, position_noise


def test_position_noise_depends_only_on_position():
    whole = position_noise(0, 0, 64, 80, 1, seed=0)
    part = position_noise(30, 20, 20, 25, 1, seed=0)
    assert np.array_equal(whole[20:40, 30:55], part)
    assert abs(float(whole.mean())) < 0.05 and abs(float(whole.std()) - 1) < 0.05
    assert not np.array_equal(whole, position_noise(0, 0, 64, 80, 2, seed=0))
    # positions just outside the image have their own noise, the same field
    edge = position_noise(-8, -8, 16, 16, 1)
    assert np.array_equal(edge[8:, 8:], whole[:8, :8])
    assert np.isfinite(edge).all() and abs(float(edge[:8].std()) - 1) < 0.3


def _grainy(seed: int = 0, amount: float = 0.04, size: float = 0.8) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.linspace(0.25, 0.75, 160, dtype=np.float32)[None, :, None]
    img = np.repeat(np.repeat(base, 120, 0), 3, 2)
    n = cv2.GaussianBlur(rng.normal(0, 1, img.shape).astype(np.float32), (0, 0), size)
    return np.clip(img + amount * n / n.std(), 0, 1).astype(np.float32)


def _ratio(out: np.ndarray, mask: np.ndarray) -> float:
    ring = cv2.dilate(mask.astype(np.uint8), np.ones((21, 21))) > 0
    ring &= ~(cv2.dilate(mask.astype(np.uint8), np.ones((5, 5))) > 0)
    hp = _high_pass(out.mean(axis=2))
    return _mad(hp[mask]) / _mad(hp[ring])


def test_a_smooth_fill_gets_the_grain_of_its_surroundings():
    img = _grainy()
    mask = np.zeros(img.shape[:2], bool)
    mask[50:62, 20:140] = True  # a wide scratch
    smooth = img.copy()
    smooth[mask] = cv2.GaussianBlur(img, (0, 0), 6)[mask]  # what a smooth fill gives
    assert _ratio(smooth, mask) < 0.3
    out = continue_grain(smooth, img, mask, origin=(0, 0))
    assert 0.8 <= _ratio(out, mask) <= 1.25
    assert np.array_equal(out[~mask], smooth[~mask])  # outside: untouched
    # the picture's tone is kept: the fill's low-pass hardly moves
    lo = (
        cv2.GaussianBlur(out, (0, 0), 3)[mask]
        - cv2.GaussianBlur(smooth, (0, 0), 3)[mask]
    )
    assert float(np.abs(lo).mean()) < 0.01


def test_a_clean_picture_gets_no_grain_and_a_crop_gets_the_same_grain():
    clean = np.repeat(
        np.repeat(np.linspace(0.2, 0.8, 160, dtype=np.float32)[None, :, None], 120, 0),
        3,
        2,
    )
    mask = np.zeros(clean.shape[:2], bool)
    mask[50:62, 20:140] = True
    out = continue_grain(clean, clean, mask)
    assert float(np.abs(out - clean).max()) < 2 / 255
    img = _grainy(1)
    smooth = img.copy()
    smooth[mask] = 0.5
    whole = continue_grain(smooth, img, mask, origin=(0, 0))
    crop = (slice(20, 100), slice(0, 160))
    part = continue_grain(smooth[crop], img[crop], mask[crop], origin=(0, 20))
    # the grain is the same noise, by position; its level is measured locally
    a = (whole - smooth)[crop][mask[crop]]
    b = (part - smooth[crop])[mask[crop]]
    assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.95


def test_a_part_of_the_image_gets_the_whole_images_grain():
    """A heal stroke or a preview fills a crop: told where it sits, it gets
    the pixels the whole image's fill gives there."""
    from restore_app.models.engine import restore

    img = np.clip(np.rint(_grainy(2) * 255), 0, 255).astype(np.uint8)
    mask = np.zeros(img.shape[:2], bool)
    mask[55:62, 70:100] = True
    whole = restore(img, task="inpaint", restorer_id="inpaint.telea-grain", mask=mask)
    box = (slice(10, 110), slice(20, 150))
    part = restore(
        img[box], task="inpaint", restorer_id="inpaint.telea-grain",
        mask=mask[box], origin=(20, 10),
    )  # fmt: skip
    assert np.array_equal(whole.pixels[box], part.pixels)
    plain = restore(img, task="inpaint", restorer_id="inpaint.telea", mask=mask)
    assert _ratio(whole.pixels.astype(np.float32) / 255, mask) > 2 * _ratio(
        plain.pixels.astype(np.float32) / 255, mask
    )


def test_a_ring_of_one_brightness_gets_one_level_not_nan():
    """A fill inside a sky blown out to white (kodim20's): most of the ring is
    at the top value, so it has no half lighter than its median."""
    rng = np.random.default_rng(0)
    img = np.ones((80, 100, 3), np.float32)
    img[rng.random((80, 100)) < 0.3] = 0.97  # a little texture below the top
    mask = np.zeros((80, 100), bool)
    mask[30:40, 20:80] = True
    out = continue_grain(img, img, mask)
    assert np.isfinite(out).all() and float(np.abs(out - img).max()) < 0.05
