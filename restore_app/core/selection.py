"""The magic wand: the connected area like a clicked pixel, fitted to its edges.

A stain, a paper loss or a wide scratch is one area of nearly one colour. A
click selects the pixels connected to it whose colour is within a tolerance of
the clicked one (as Photoshop's Magic Wand does), then GrabCut fits that area to
the edges around it — what the flood left out inside a soft edge is taken in,
what leaked along a gradient is let go — in a box around the area, so a click on
a 24 MP scan answers at once.
"""

from __future__ import annotations

import cv2
import numpy as np

#: The tolerance scale: 0 selects the clicked colour only, 100 nearly anything
#: (the largest per-channel difference allowed, in 8-bit levels, is 2.55 × it).
TOLERANCE_RANGE = (0, 100)
DEFAULT_TOLERANCE = 16
#: Pixels of context around the flooded area that GrabCut judges.
MARGIN = 12
#: The largest box GrabCut runs on at full resolution (a larger one is shrunk).
MAX_GRABCUT_PIXELS = 250_000
GRABCUT_ITERATIONS = 2


def _rgb8(pixels: np.ndarray) -> np.ndarray:
    x = pixels
    if x.dtype == np.uint16:
        x = (x >> 8).astype(np.uint8)
    elif x.dtype != np.uint8:
        x = np.clip(np.rint(x * 255), 0, 255).astype(np.uint8)
    if x.ndim == 2:
        x = x[..., None]
    if x.shape[2] == 1:
        x = np.repeat(x, 3, axis=2)
    return np.ascontiguousarray(x[..., :3])


def similar_area(
    pixels: np.ndarray, x: int, y: int, tolerance: float = DEFAULT_TOLERANCE
) -> np.ndarray:
    """bool ``(H, W)``: the area connected to (x, y) like its colour, refined to
    its edges. ``pixels`` is (H, W, C) uint8, uint16 or float in [0, 1]."""
    h, w = pixels.shape[:2]
    out = np.zeros((h, w), bool)
    if not (0 <= x < w and 0 <= y < h):
        return out
    # The flood runs on 8-bit colour: a tolerance is a perceptual, not exact, match.
    rgb = _rgb8(pixels)
    diff = float(np.clip(tolerance, *TOLERANCE_RANGE)) * 2.55
    flood = np.zeros((h + 2, w + 2), np.uint8)
    flags = 8 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (1 << 8)
    cv2.floodFill(
        rgb, flood, (int(x), int(y)), (0, 0, 0), (diff,) * 3, (diff,) * 3, flags
    )
    area = flood[1:-1, 1:-1].astype(bool)
    ys, xs = np.nonzero(area)
    x0, x1 = max(0, xs.min() - MARGIN), min(w, xs.max() + MARGIN + 1)
    y0, y1 = max(0, ys.min() - MARGIN), min(h, ys.max() + MARGIN + 1)
    refined = _fit_to_edges(rgb[y0:y1, x0:x1], area[y0:y1, x0:x1], (x - x0, y - y0))
    out[y0:y1, x0:x1] = refined
    return out


def _fit_to_edges(
    rgb: np.ndarray, area: np.ndarray, seed: tuple[int, int]
) -> np.ndarray:
    """GrabCut in the box: the flooded area probably the selection, a band just
    outside it probably not, the box's border certainly not."""
    h, w = area.shape
    if area.all() or area.sum() < 9:
        return area
    f = min(1.0, (MAX_GRABCUT_PIXELS / (h * w)) ** 0.5)
    small_rgb, small_area = rgb, area
    if f < 1.0:
        size = (max(8, round(w * f)), max(8, round(h * f)))
        small_rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        as8 = area.view(np.uint8)
        small_area = cv2.resize(as8, size, interpolation=cv2.INTER_NEAREST) > 0
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    core = cv2.erode(small_area.view(np.uint8), k) > 0
    near = cv2.dilate(small_area.view(np.uint8), k) > 0
    gc = np.full(small_area.shape, cv2.GC_BGD, np.uint8)
    gc[near] = cv2.GC_PR_BGD
    gc[small_area] = cv2.GC_PR_FGD
    gc[core] = cv2.GC_FGD
    if (
        not (gc == cv2.GC_BGD).any()
        or not np.isin(gc, (cv2.GC_FGD, cv2.GC_PR_FGD)).any()
    ):
        return area
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    # GrabCut seeds its colour models from OpenCV's global random state: the
    # same click must give the same area, whatever ran before.
    cv2.setRNGSeed(0)
    try:
        cv2.grabCut(
            small_rgb, gc, None, bgd, fgd, GRABCUT_ITERATIONS, cv2.GC_INIT_WITH_MASK
        )
    except cv2.error:
        return area
    fitted = np.isin(gc, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    if f < 1.0:
        fitted = cv2.resize(fitted, (w, h), interpolation=cv2.INTER_LINEAR)
    fitted = fitted.astype(bool)
    # The selection stays one connected area: the clicked one.
    n, comp = cv2.connectedComponents(fitted.view(np.uint8), connectivity=8)
    sx, sy = seed
    label = comp[sy, sx] if fitted[sy, sx] else 0
    if label == 0:
        return area
    return comp == label
