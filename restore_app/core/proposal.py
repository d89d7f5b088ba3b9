"""A detector's damage proposal: what it found, before a person accepts any of it.

The proposal keeps the detector's evidence, not one thresholded mask, so the
sensitivity can change without running the detector again: ``probability``
(uint8 ``(H, W)``, 0–255 for 0–1) that a pixel is damaged, and ``kinds``
(uint8 ``(H, W)``) the label of the likeliest damage kind there (see
:mod:`restore_app.core.damage`). Sensitivity ``s`` in [0, 1] flags the pixels
whose probability is at least :func:`threshold`: at ``s`` = 0.5, the default, the
detector's own threshold (its ``midpoint``, chosen on validation photos), so
every detector's default sits in the middle of the slider with room both ways.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from restore_app.core.damage import (
    DAMAGE_KINDS,
    NO_DAMAGE,
    DamageKind,
    kinds_mask,
    parse_kinds,
)

#: The sensitivity at which a detector flags what its own threshold does.
DEFAULT_SENSITIVITY = 0.5


def threshold(sensitivity: float, midpoint: float = 0.5) -> int:
    """The probability (0–255) at and above which ``sensitivity`` flags a pixel.

    Piecewise linear: sensitivity 0 asks for certainty (probability 1), 0.5 for
    the detector's ``midpoint``, 1 flags everything.
    """
    s = min(max(float(sensitivity), 0.0), 1.0)
    m = min(max(float(midpoint), 0.01), 0.99)
    t = 1.0 - (1.0 - m) * s / 0.5 if s <= 0.5 else m * (1.0 - s) / 0.5
    return max(1, int(round(t * 255)))


def review_kinds(ids: list[str] | None) -> tuple[DamageKind, ...]:
    """The kinds a review shows: every kind for None, none for an empty list."""
    if ids is None:
        return DAMAGE_KINDS
    return parse_kinds(ids) if ids else ()


@dataclass
class DamageProposal:
    """Damage found in one image; see the module docstring for the arrays."""

    probability: np.ndarray
    kinds: np.ndarray
    #: the detector's own threshold (probability 0–1), met at sensitivity 0.5
    midpoint: float = 0.5
    #: what made it, for records: detector id, weights SHA-256, device, ...
    operation: dict[str, Any] = field(default_factory=dict)
    default_sensitivity = DEFAULT_SENSITIVITY

    @property
    def shape(self) -> tuple[int, int]:
        return self.probability.shape[:2]

    def _sensitivity(self, sensitivity: float | None) -> float:
        return self.default_sensitivity if sensitivity is None else float(sensitivity)

    def mask(
        self,
        sensitivity: float | None = None,
        kinds: Iterable[DamageKind] | None = None,
    ) -> np.ndarray:
        """bool ``(H, W)``: damage of ``kinds`` (default all) at ``sensitivity``."""
        found = self.probability >= threshold(
            self._sensitivity(sensitivity), self.midpoint
        )
        chosen = tuple(DAMAGE_KINDS if kinds is None else kinds)
        if len(chosen) < len(DAMAGE_KINDS):
            found &= kinds_mask(self.kinds, chosen)
        return found

    def labels(
        self,
        sensitivity: float | None = None,
        kinds: Iterable[DamageKind] | None = None,
    ) -> np.ndarray:
        """uint8 label image ``(H, W)``: each flagged pixel's kind, 0 elsewhere."""
        return np.where(self.mask(sensitivity, kinds), self.kinds, np.uint8(NO_DAMAGE))

    def grown(self, margin: int) -> DamageProposal:
        """The same proposal reaching ``margin`` pixels further: each pixel takes
        the probability and kind of the likeliest damage within that distance.

        Damage fades out at its edges; a detector trained to flag only its
        opaque core leaves a faint rim that a fill then spreads inwards.
        """
        if margin <= 0:
            return self
        # Probability and kind packed into one 16-bit key: dilating the key
        # carries each maximum's kind along with it.
        key = (self.probability.astype(np.uint16) << 8) | self.kinds
        disc = cv2.getStructuringElement(
            cv2.MORPH_ELLIPSE, (2 * margin + 1, 2 * margin + 1)
        )
        key = cv2.dilate(key, disc)
        prob = (key >> 8).astype(np.uint8)
        kinds = (key & 0xFF).astype(np.uint8)
        return DamageProposal(prob, kinds, self.midpoint, self.operation)

    def protected(self, protect: np.ndarray | None) -> DamageProposal:
        """The same proposal with nothing proposed under ``protect`` (bool (H, W))."""
        if protect is None:
            return self
        prob = np.where(np.asarray(protect, bool), np.uint8(0), self.probability)
        return DamageProposal(prob, self.kinds, self.midpoint, self.operation)
