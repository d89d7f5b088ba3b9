"""The kinds of damage the project knows: one table for detectors, masks and layers.

A label image holds one ``label`` per pixel (0 = no damage). The detector's
classes, the per-kind masks ``restore-app detect --layers`` writes, ``--kinds``
and the window's overlay colours all come from :data:`DAMAGE_KINDS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DamageKind:
    """One kind of damage: its id, a name for people, its label and overlay colour."""

    id: str
    name: str
    label: int
    colour: tuple[int, int, int]  # RGB, 0–255
    description: str = ""


#: Every damage kind, in label order. Label 0 means "no damage".
DAMAGE_KINDS: tuple[DamageKind, ...] = (
    DamageKind(
        "scratch",
        "Scratch",
        1,
        (255, 64, 64),
        "long thin light or dark lines across the print",
    ),
    DamageKind(
        "dust", "Dust and hairs", 2, (255, 200, 0), "specks, fibres and curly hairs"
    ),
    DamageKind(
        "crack",
        "Crack",
        3,
        (64, 160, 255),
        "branching cracks in the emulsion showing the paper base",
    ),
    DamageKind(
        "loss", "Loss", 4, (200, 64, 255), "torn, flaked or missing areas of paper"
    ),
)

NO_DAMAGE = 0


def kind(kind_id: str) -> DamageKind:
    """The kind with this id; ValueError (one line) for an unknown one."""
    for k in DAMAGE_KINDS:
        if k.id == kind_id:
            return k
    known = ", ".join(k.id for k in DAMAGE_KINDS)
    raise ValueError(f"unknown damage kind '{kind_id}' (known: {known})")


def parse_kinds(text: str | Iterable[str] | None) -> tuple[DamageKind, ...]:
    """Kinds from ``"scratch,dust"`` (or a list of ids); None or empty: all kinds."""
    if text is None:
        return DAMAGE_KINDS
    ids = text.split(",") if isinstance(text, str) else list(text)
    ids = [i.strip() for i in ids if i.strip()]
    if not ids:
        return DAMAGE_KINDS
    chosen = {kind(i).label for i in ids}
    return tuple(k for k in DAMAGE_KINDS if k.label in chosen)


def kinds_mask(labels: np.ndarray, kinds: Iterable[DamageKind]) -> np.ndarray:
    """bool ``(H, W)``: True where the label image ``labels`` holds one of ``kinds``."""
    lut = np.zeros(256, bool)
    for k in kinds:
        lut[k.label] = True
    return lut[labels]


def colour_labels(labels: np.ndarray) -> np.ndarray:
    """uint8 RGB ``(H, W, 3)``: each kind's overlay colour, black where no damage."""
    lut = np.zeros((256, 3), np.uint8)
    for k in DAMAGE_KINDS:
        lut[k.label] = k.colour
    return lut[labels]
