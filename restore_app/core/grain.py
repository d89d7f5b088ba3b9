"""Grain that continues into a fill: what a smooth fill lacks, measured around it.

A learned or diffused fill is smooth; on a grainy print every filled scratch then
shows as a soft patch. :func:`continue_grain` measures the grain in a ring of the
image around the fill — its level per channel (robustly, on the high-pass), how
that level follows brightness (film grain is strongest in the mid-tones; scanner
noise is not), its grain size (how correlated neighbouring pixels are) and how
much of it the channels share — and adds grain of that kind to the fill, no more
than the fill lacks.

The grain is drawn from a noise field that is a function of the pixel's position
in the image (a counter-based hash, :func:`position_noise`), so the same pixel
gets the same grain however the image is cut into tiles, and a replay gives it
again.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

#: Scale (Gaussian sigma, px) that separates grain from picture: the high-pass
#: is the image less its blur at this sigma.
HIGH_PASS_SIGMA = 1.6
#: Width of the ring around the fill where the grain is measured (px).
RING = 10
#: Fewest ring pixels a measurement needs.
MIN_RING = 48
#: Grain sizes (sigma of the blur of white noise, px) the measurement chooses
#: among.
GRAIN_SIZES = (0.0, 0.4, 0.6, 0.8, 1.0, 1.3, 1.7, 2.2)


def _mix(k: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a well-spread 64-bit hash of each value."""
    k = k ^ (k >> np.uint64(30))
    k = k * np.uint64(0xBF58476D1CE4E5B9)
    k = k ^ (k >> np.uint64(27))
    k = k * np.uint64(0x94D049BB133111EB)
    return k ^ (k >> np.uint64(31))


def position_noise(
    x0: int, y0: int, h: int, w: int, channel: int, seed: int = 0
) -> np.ndarray:
    """float32 ``(h, w)`` of unit-variance, nearly Gaussian noise that depends
    only on each pixel's position (x0 + x, y0 + y), the channel and the seed."""
    # Positions just outside the image (negative) wrap to distinct values.
    ys = np.arange(y0, y0 + h, dtype=np.int64).astype(np.uint64)[:, None]
    xs = np.arange(x0, x0 + w, dtype=np.int64).astype(np.uint64)[None, :]
    with np.errstate(over="ignore"):
        key = (
            ys * np.uint64(0x9E3779B97F4A7C15)
            + xs * np.uint64(0xC2B2AE3D27D4EB4F)
            + np.uint64((channel + 1) * 0x165667B1 + seed * 0x27D4EB2F)
        )
        k = _mix(key)
    # Four 16-bit uniforms summed: Irwin–Hall, close to Gaussian.
    total = np.zeros((h, w), np.float32)
    for shift in (0, 16, 32, 48):
        total += ((k >> np.uint64(shift)) & np.uint64(0xFFFF)).astype(np.float32)
    return (total / 65535.0 - 2.0) * np.float32(np.sqrt(3.0))


def _high_pass(x: np.ndarray) -> np.ndarray:
    return x - cv2.GaussianBlur(x, (0, 0), HIGH_PASS_SIGMA)


def _mad(values: np.ndarray) -> float:
    return float(1.4826 * np.median(np.abs(values - np.median(values))))


@lru_cache(maxsize=1)
def _size_table() -> tuple[np.ndarray, np.ndarray]:
    """For each grain size, the ratio of its high-pass's level after a small
    blur to before: how a measured ratio tells the grain size."""
    ratios = []
    for size in GRAIN_SIZES:
        n = _grain_field(0, 0, 192, 192, 0, size, 0)
        hp = _high_pass(n)
        ratios.append(_mad(cv2.GaussianBlur(hp, (0, 0), 0.8)) / _mad(hp))
    return np.asarray(GRAIN_SIZES), np.asarray(ratios)


def _grain_field(
    x0: int, y0: int, h: int, w: int, channel: int, size: float, seed: int
) -> np.ndarray:
    """Position noise blurred to a grain ``size``; read with 8 px of context
    so a pixel's grain does not depend on where the field was cut."""
    pad = 8
    n = position_noise(x0 - pad, y0 - pad, h + 2 * pad, w + 2 * pad, channel, seed)
    if size > 0:
        n = cv2.GaussianBlur(n, (0, 0), size)
    return n[pad : pad + h, pad : pad + w]


def _ring(mask: np.ndarray) -> np.ndarray:
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * RING + 1, 2 * RING + 1))
    near = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    m = mask.astype(np.uint8)
    return (cv2.dilate(m, k) > 0) & ~(cv2.dilate(m, near) > 0)


def continue_grain(
    filled: np.ndarray,
    image: np.ndarray,
    mask: np.ndarray,
    origin: tuple[int, int] = (0, 0),
    seed: int = 0,
) -> np.ndarray:
    """``filled`` (float32 ``(H, W, C)``, [0, 1]) with the grain of the
    surroundings of ``mask`` (bool ``(H, W)``) added inside the mask (``image``,
    the crop before the fill, is the same outside it); ``origin``
    is the crop's top-left corner in the whole image (where the grain is drawn
    from). Pixels outside the mask are returned as they are."""
    ring = _ring(mask) & ~mask
    if ring.sum() < MIN_RING or not mask.any():
        return filled
    h, w, c = filled.shape
    # The surroundings are measured on the filled crop (the same pixels outside
    # the mask): the hole's old content would leak into the ring's high-pass.
    hp_image = _high_pass(filled)
    hp_fill = hp_image
    lum = filled.mean(axis=2)
    lum_fill = cv2.GaussianBlur(filled, (0, 0), HIGH_PASS_SIGMA).mean(axis=2)
    ring_lum = lum[ring]
    split = float(np.median(ring_lum))
    dark, light = ring & (lum <= split), ring & (lum > split)
    # Grain size, from the channel-averaged high-pass (the most grain there is).
    mono_hp = hp_image.mean(axis=2)
    blurred = cv2.GaussianBlur(mono_hp, (0, 0), 0.8)
    sizes, ratios = _size_table()
    level = _mad(mono_hp[ring])
    if level <= 1e-5:
        return filled
    ratio = _mad(blurred[ring]) / level
    size = float(np.interp(ratio, ratios, sizes))
    # How much of the grain the channels share.
    if c > 1:
        per = [_mad(hp_image[..., i][ring]) for i in range(c)]
        mono_level = _mad(mono_hp[ring])
        # Channels that share all their grain average to the same level; channels
        # with none shared average down by sqrt(c).
        shared = (mono_level / max(np.mean(per), 1e-6)) ** 2
        shared = float(np.clip((shared * c - 1) / (c - 1), 0.0, 1.0))
    else:
        shared = 1.0
    # The unit-level high-pass of the grain field, as it is measured.
    unit = _high_pass(_grain_field(0, 0, 96, 96, 0, size, seed + 99))
    unit_level = _mad(unit)
    x0, y0 = origin
    mono = _grain_field(x0, y0, h, w, c, size, seed)
    out = filled.copy()
    inside = mask
    # Where the fill's brightness lies between the ring's dark and light halves
    # (the grain level follows it); a ring of one brightness has one level.
    enough = min(dark.sum(), light.sum()) >= MIN_RING // 2
    if enough:
        lo_lum, hi_lum = float(np.median(lum[dark])), float(np.median(lum[light]))
        t = np.clip((lum_fill - lo_lum) / max(hi_lum - lo_lum, 1e-3), 0.0, 1.0)
    else:
        t = np.zeros_like(lum_fill)
    for i in range(c):
        if enough:
            lo = _mad(hp_image[..., i][dark])
            hi = _mad(hp_image[..., i][light])
        else:
            lo = hi = _mad(hp_image[..., i][ring])
        want = lo + (hi - lo) * t  # the ring's level at the fill's brightness
        have = _mad(hp_fill[..., i][inside])
        add = np.sqrt(np.maximum(want**2 - have**2, 0.0))
        own = _grain_field(x0, y0, h, w, i, size, seed)
        field = np.sqrt(shared) * mono + np.sqrt(1.0 - shared) * own
        grain = _high_pass(field) / unit_level
        out[..., i] = np.where(inside, filled[..., i] + add * grain, filled[..., i])
    return np.clip(out, 0.0, 1.0).astype(np.float32)
