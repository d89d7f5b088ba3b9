"""Scoring a damage mask against the truth, with the tolerance thin lines need.

A one-pixel scratch found one pixel to the side is found: a predicted pixel is
correct when a true pixel lies within ``tol`` pixels of it (precision), and a
true pixel is found when a predicted one does (recall). Masks are bool
``(H, W)``; counts add up over images before the ratios are taken.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Tolerance, in pixels, with which thin structures are scored.
TOLERANCE = 2


def _near(mask: np.ndarray, tol: int) -> np.ndarray:
    if tol <= 0:
        return mask
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tol + 1, 2 * tol + 1))
    return cv2.dilate(mask.astype(np.uint8), k).astype(bool)


@dataclass
class Counts:
    """Pixel counts behind precision and recall; add them over images."""

    pred: int = 0
    pred_hit: int = 0
    true: int = 0
    true_found: int = 0

    def add(self, pred: np.ndarray, truth: np.ndarray, tol: int = TOLERANCE) -> None:
        pred = np.asarray(pred, bool)
        truth = np.asarray(truth, bool)
        self.pred += int(pred.sum())
        self.true += int(truth.sum())
        if pred.any() and truth.any():
            self.pred_hit += int((pred & _near(truth, tol)).sum())
            self.true_found += int((truth & _near(pred, tol)).sum())

    @property
    def precision(self) -> float:
        return self.pred_hit / self.pred if self.pred else 1.0

    @property
    def recall(self) -> float:
        return self.true_found / self.true if self.true else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r > 0 else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }
