"""How much of a print each kind of damage covers: the summary of a label image.

Conservators report damage by kind: its area in pixels, as a share of the
image, in square millimetres when the scan's resolution is known, and as a
number of separate regions.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np

from restore_app.core.damage import DAMAGE_KINDS, DamageKind
from restore_app.core.masks import region_count

MM_PER_INCH = 25.4


def _row(k: DamageKind, hit: np.ndarray, area: float | None) -> dict[str, Any]:
    pixels = int(hit.sum())
    regions = region_count(hit)
    return {
        "kind": k.id,
        "name": k.name,
        "pixels": pixels,
        "percent": round(100.0 * pixels / hit.size, 4) if hit.size else 0.0,
        "mm2": round(pixels * area, 3) if area is not None else None,
        "regions": int(regions),
    }


def _pixel_area(dpi: tuple[float, float] | None) -> float | None:
    if dpi and dpi[0] > 0 and dpi[1] > 0:
        return (MM_PER_INCH / dpi[0]) * (MM_PER_INCH / dpi[1])
    return None


def summarise(
    labels: np.ndarray,
    dpi: tuple[float, float] | None,
    kinds: tuple[DamageKind, ...] = DAMAGE_KINDS,
) -> list[dict[str, Any]]:
    """One row per kind of ``labels`` (uint8 (H, W) label image): kind, name,
    pixels, percent of the image, mm² (None for an unknown resolution) and the
    number of separate regions (8-connected)."""
    area = _pixel_area(dpi)
    return [_row(k, labels == k.label, area) for k in kinds]


def summarise_layers(
    layers: dict[str, np.ndarray], dpi: tuple[float, float] | None
) -> list[dict[str, Any]]:
    """The same rows for a damage map held as one bool layer per kind id (kinds
    may overlap there), in the table's order; kinds without a layer are left out."""
    area = _pixel_area(dpi)
    return [_row(k, layers[k.id], area) for k in DAMAGE_KINDS if k.id in layers]


def as_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    fields = ["kind", "name", "pixels", "percent", "mm2", "regions"]
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, "mm2": "" if row["mm2"] is None else row["mm2"]})
    return buf.getvalue()


def as_json(rows: list[dict[str, Any]], dpi: tuple[float, float] | None) -> str:
    return (
        json.dumps(
            {"resolution_dpi": list(dpi) if dpi else None, "kinds": rows}, indent=2
        )
        + "\n"
    )
