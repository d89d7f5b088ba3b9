"""How much of a print each kind of damage covers: the summary of a label image.

Conservators report damage by kind: its area in pixels, as a share of the
image, in square millimetres when the scan's resolution is known, and as a
number of separate regions.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
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


def scan_entry(
    name: str,
    sha256: str | None,
    shape: tuple[int, ...],
    dpi: tuple[float, float] | None,
) -> dict[str, Any]:
    """What a damage map says of the scan it maps: file name, SHA-256 (of the
    version read), size in pixels and resolution."""
    return {
        "file": name,
        "sha256": sha256,
        "width": int(shape[1]),
        "height": int(shape[0]),
        "resolution_dpi": list(dpi) if dpi else None,
    }


def protected_entry(
    protect: np.ndarray | None, dpi: tuple[float, float] | None
) -> dict[str, Any] | None:
    """The region kept as original (bool (H, W)): pixels, share, mm²; None
    without one. It is not damage, and is never a row of the table."""
    if protect is None or not protect.any():
        return None
    area = _pixel_area(dpi)
    pixels = int(protect.sum())
    return {
        "pixels": pixels,
        "percent": round(100.0 * pixels / protect.size, 4),
        "mm2": round(pixels * area, 3) if area is not None else None,
    }


def as_csv(rows: list[dict[str, Any]], scan: dict[str, Any] | None = None) -> str:
    """The table, one row per kind; with ``scan``, each row names the scan's
    file and SHA-256 too (a CSV read on its own says what it maps)."""
    buf = io.StringIO()
    fields = ["kind", "name", "pixels", "percent", "mm2", "regions"]
    if scan is not None:
        fields = ["scan", "scan_sha256", *fields]
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        entry = {**row, "mm2": "" if row["mm2"] is None else row["mm2"]}
        if scan is not None:
            entry |= {"scan": scan["file"], "scan_sha256": scan["sha256"] or ""}
        writer.writerow(entry)
    return buf.getvalue()


def as_json(
    rows: list[dict[str, Any]],
    dpi: tuple[float, float] | None,
    scan: dict[str, Any] | None = None,
    protected: dict[str, Any] | None = None,
) -> str:
    """The table as JSON, with the scan it maps and its protected region."""
    body: dict[str, Any] = {"resolution_dpi": list(dpi) if dpi else None}
    if scan is not None:
        body["scan"] = scan
        body["protected"] = protected
    body["kinds"] = rows
    return json.dumps(body, indent=2) + "\n"


def write_damage_map(
    folder: Path,
    stem: str,
    masks: list[tuple[str, np.ndarray]],
    labels: np.ndarray,
    rows: list[dict[str, Any]],
    dpi: tuple[float, float] | None,
    scan: dict[str, Any],
    protected: dict[str, Any] | None,
    *,
    overwrite: bool = False,
) -> list[tuple[str, Path]]:
    """Write a damage map into ``folder``, whole or not at all: ``STEM.NAME.png``
    for each named mask, the label image ``STEM.kinds.png``, and the summary as
    ``STEM.damage.csv`` and ``.json``. Returns (what, path) for each file
    written ("labels", "csv" and "json" for the last three). One writer for the
    window's export and ``restore-app detect --layers``."""
    from restore_app.core.atomic import atomic_write_bytes
    from restore_app.core.masks import write_label_image, write_mask

    written: list[tuple[str, Path]] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, mask in masks:
            path = folder / f"{stem}.{name}.png"
            write_mask(mask, path, overwrite=overwrite)
            written.append((name, path))
        path = folder / f"{stem}.kinds.png"
        write_label_image(labels, path, overwrite=overwrite)
        written.append(("labels", path))
        for what, text in (
            ("csv", as_csv(rows, scan)),
            ("json", as_json(rows, dpi, scan, protected)),
        ):
            path = folder / f"{stem}.damage.{what}"
            atomic_write_bytes(path, text.encode("utf-8"), overwrite=overwrite)
            written.append((what, path))
    except BaseException:
        for _, path in written:
            path.unlink(missing_ok=True)
        raise
    return written
