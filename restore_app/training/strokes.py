"""What the aged prints are drawn with: smooth noise fields, the paper's
colour, softened edges, random-walk curves and anti-aliased strokes."""

from __future__ import annotations

import cv2
import numpy as np


def smooth_field(h: int, w: int, rng: np.random.Generator, cells: int) -> np.ndarray:
    """Low-frequency noise in [0, 1], float32 (h, w)."""
    g = rng.random((max(cells, 2), max(cells, 2))).astype(np.float32)
    f = cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC)
    lo, hi = float(f.min()), float(f.max())
    return (f - lo) / max(hi - lo, 1e-6)


def paper_colour(rng: np.random.Generator) -> np.ndarray:
    """The colour of the paper base: white to cream, RGB float32 (3,)."""
    base = rng.uniform(0.82, 1.0)
    warm = rng.uniform(0.0, 0.12)
    return np.array([base, base - warm * 0.5, base - warm], np.float32).clip(0, 1)


def soften(alpha: np.ndarray, rng: np.random.Generator, lo=0.3, hi=1.0) -> np.ndarray:
    """``alpha`` blurred by a random σ in [lo, hi): soft edges."""
    s = float(rng.uniform(lo, hi))
    return cv2.GaussianBlur(alpha, (0, 0), s)


def curve(
    rng: np.random.Generator,
    start: tuple[float, float],
    angle: float,
    length: float,
    wiggle: float,
    step: float = 3.0,
) -> np.ndarray:
    """A random-walk polyline (N, 2) float from ``start``."""
    n = max(int(length / step), 2)
    turns = np.cumsum(rng.normal(0, wiggle, n))
    a = angle + turns
    pts = np.stack([np.cos(a), np.sin(a)], 1) * step
    return np.asarray(start, np.float32) + np.cumsum(pts, 0)


def draw(canvas: np.ndarray, pts: np.ndarray, width: float, value: float = 1.0) -> None:
    """Anti-aliased polyline of ``width`` pixels (sub-pixel widths drawn fainter)."""
    shift = 4
    p = np.round(pts * (1 << shift)).astype(np.int32)
    thick = max(int(round(width)), 1)
    v = value * min(width, 1.0)
    cv2.polylines(canvas, [p], False, v, thick, cv2.LINE_AA, shift)
