"""The kinds of damage the project knows: one table for detectors, masks and layers.

The conservators' vocabulary, each kind with its label in a label image (0 = no
damage), its overlay colour and its name. A detector finds some of them (the
built-in one: scratch, dust, crack and loss; its card lists them); the per-kind
masks ``restore-app detect --layers`` writes, ``--kinds`` and the window's
overlay colours all come from :data:`DAMAGE_KINDS`. Labels never change: label
images written earlier keep their meaning.
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


#: The colour of the protect layer ("original — do not repair"), on the canvas
#: and in the report: a deep blue that no kind's colour (the crack's is a light
#: blue) nor the working mask's default red is near.
PROTECT_RGB = (20, 40, 220)

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
    DamageKind("tear", "Tear", 5, (255, 128, 0), "a split in the support"),
    DamageKind("crease", "Crease", 6, (0, 200, 200), "a fold pressed into the print"),
    DamageKind(
        "stain",
        "Stain or foxing",
        7,
        (150, 90, 40),
        "discolouration: water stains, rust-brown foxing spots",
    ),
    DamageKind(
        "mirroring",
        "Silver mirroring",
        8,
        (170, 170, 230),
        "a bluish metallic sheen of the silver on dark areas",
    ),
    DamageKind("abrasion", "Abrasion", 9, (120, 200, 60), "the surface rubbed away"),
    DamageKind("mould", "Mould", 10, (60, 120, 60), "fungal growth and its spots"),
    DamageKind("other", "Other", 11, (220, 220, 220), "damage of another kind"),
)

NO_DAMAGE = 0


#: An image's damage-map layer of one kind is named ``damage:KIND`` wherever
#: layers are named: in documents, sidecars, journals and the painting tools.
LAYER_PREFIX = "damage:"


def layer_name(kind_id: str) -> str:
    """The name of the damage-map layer of ``kind_id``."""
    return LAYER_PREFIX + kind_id


def layer_kind(name: str) -> str | None:
    """The kind id of a damage-map layer's ``name``; None for any other layer."""
    return name[len(LAYER_PREFIX) :] if name.startswith(LAYER_PREFIX) else None


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
