"""The magic wand: a click selects the connected area like its colour, fitted to
its edges."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from restore_app.core.selection import similar_area
from restore_app.resources import samples_dir

ROOT = Path(__file__).resolve().parents[2]


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / (a | b).sum())


def blotch(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A soft-edged brown stain on a grainy cream print, and its truth."""
    rng = np.random.default_rng(seed)
    img = np.full((300, 400, 3), (180, 170, 150), np.float32)
    img += rng.normal(0, 4, img.shape)
    truth = np.zeros((300, 400), np.uint8)
    cv2.ellipse(truth, (200, 150), (60, 40), 20, 0, 360, 1, -1)
    soft = cv2.GaussianBlur(truth.astype(np.float32), (0, 0), 1.5)[..., None]
    img = img * (1 - 0.6 * soft) + np.array([90, 60, 30], np.float32) * 0.6 * soft
    return np.clip(img, 0, 255).astype(np.uint8), truth > 0


def test_a_click_selects_a_drawn_blotch():
    img, truth = blotch()
    sel = similar_area(img, 200, 150)
    assert _iou(sel, truth) >= 0.9
    # 16-bit and float images give the same area
    assert np.array_equal(similar_area(img.astype(np.uint16) * 257, 200, 150), sel)
    assert not similar_area(img, -1, 5).any()


def test_a_click_selects_a_real_paper_loss():
    """old_w_scratch_d's torn corner, outlined by hand (benchmarks/real_truth)."""
    img = cv2.imread(str(samples_dir() / "old_w_scratch_d.png"))[..., ::-1]
    spec = json.loads((ROOT / "benchmarks/real_truth/old_w_scratch_d.json").read_text())
    (poly,) = [r["fill"] for r in spec["rules"] if "fill" in r]
    truth = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(truth, [np.int32(poly)], 1)
    sel = similar_area(np.ascontiguousarray(img), 4, 4)
    assert _iou(sel, truth > 0) >= 0.8
