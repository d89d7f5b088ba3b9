"""What a sidecar holds for one image, as the program sees it: the JSON state
(checked against its schema when read), a snapshot of the work to save, the
work read back, and the arrays files (tiles, operation masks) decoded with a
reason when they are damaged."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from restore_app.core.history import TILE, tile_box

#: An image's status in the folder strip.
STATUSES = ("untouched", "proposed", "edited", "exported")


@dataclass
class ImageState:
    """The small JSON part of one image's sidecar entry."""

    name: str
    source_size: int = 0
    source_mtime_ns: int = 0
    width: int = 0
    height: int = 0
    status: str = "untouched"  # one of STATUSES
    settings: dict[str, Any] = field(default_factory=dict)
    operations: list[dict[str, Any]] = field(default_factory=list)
    exports: list[str] = field(default_factory=list)
    #: the damage proposal under review: the detector's operation, its default
    #: sensitivity, and the sensitivity and kinds the person chose (None: none)
    proposal: dict[str, Any] | None = None
    saved_at: float = 0.0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImageState:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass
class ImageSnapshot:
    """What is saved for one image; arrays are copies owned by the snapshot.

    ``masks`` holds the mask layers that changed since the last save, by name
    (:data:`restore_app.core.layers.LAYERS`; bool (H, W)); a layer not there
    keeps its file. ``tiles`` maps (ty, tx) to the current contents of a
    changed 64×64 pixel tile, (h, w, C) in the image's dtype (None: unchanged
    since the last save).
    """

    state: ImageState
    masks: dict[str, np.ndarray] = field(default_factory=dict)
    tiles: dict[tuple[int, int], np.ndarray] | None = None
    #: id -> (x0, y0, bool crop): the masks operations used (None: unchanged)
    op_masks: dict[str, tuple[int, int, np.ndarray]] | None = None
    #: journal segments up to this number are covered by this save
    journal_upto: int | None = None
    #: the proposal's probability and kinds (uint8 (H, W) each); None:
    #: unchanged since the last save
    proposal: tuple[np.ndarray, np.ndarray] | None = None

    def parts(self) -> set[str]:
        """The document's names of what this snapshot carries ("mask",
        "damage:crack", "pixels", …): what is still to save if it fails."""
        carried = set(self.masks) | {"state"}
        for part, value in (
            ("pixels", self.tiles),
            ("op_masks", self.op_masks),
            ("proposal", self.proposal),
        ):
            if value is not None:
                carried.add(part)
        return carried


@dataclass
class SavedImage:
    state: ImageState
    #: the saved mask layers by name, journaled edits applied (absent: empty)
    masks: dict[str, np.ndarray]
    tiles: dict[tuple[int, int], np.ndarray]
    #: (probability, kinds) of the saved proposal, when state.proposal says so
    proposal: tuple[np.ndarray, np.ndarray] | None = None
    #: a damaged file of this entry was set aside: save everything again
    damaged: bool = False
    op_masks: dict[str, tuple[int, int, np.ndarray]] = field(default_factory=dict)
    #: edits were replayed from the journal: the masks need saving
    journaled: bool = False
    #: the undo history (core.history_log.History), when read with it
    history: Any = None


def reason(exc: BaseException) -> str:
    """Why a state file was refused, in a short line."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) < 100 else text[:97] + "..."


def _int(data: dict, key: str, lo: int = 0) -> int:
    value = data.get(key, lo)
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise ValueError(f"'{key}' is not a whole number ≥ {lo}")
    return value


def validate_state(data: Any, name: str) -> dict[str, Any]:
    """A state.json's content checked against its schema (types and ranges);
    ValueError names the first thing wrong."""
    if not isinstance(data, dict):
        raise ValueError("not an object")
    if data.get("name", name) != name:
        raise ValueError("made for another image")
    out: dict[str, Any] = {"name": name}
    for key in ("source_size", "source_mtime_ns"):
        out[key] = _int(data, key)
    for key in ("width", "height"):
        out[key] = _int(data, key, 1)
    status = data.get("status", "untouched")
    if status not in STATUSES:
        raise ValueError("unknown status")
    out["status"] = status
    for key, kind in (("settings", dict), ("operations", list), ("exports", list)):
        value = data.get(key, kind())
        if not isinstance(value, kind):
            raise ValueError(f"'{key}' is not a {kind.__name__}")
        out[key] = value
    if not all(isinstance(op, dict) for op in out["operations"]):
        raise ValueError("an operation is not an object")
    if not all(isinstance(e, str) for e in out["exports"]):
        raise ValueError("an export is not a path")
    proposal = data.get("proposal")
    if proposal is not None and not isinstance(proposal, dict):
        raise ValueError("'proposal' is not an object")
    out["proposal"] = proposal
    saved_at = data.get("saved_at", 0.0)
    if isinstance(saved_at, bool) or not isinstance(saved_at, int | float):
        raise ValueError("'saved_at' is not a number")
    out["saved_at"] = float(saved_at)
    return out


def read_op_masks(
    path: Path, hw: tuple[int, int]
) -> tuple[dict[str, tuple[int, int, np.ndarray]], str]:
    """The masks operations used, saved in ``path`` (id -> (x0, y0, bool
    crop)), and why the file is damaged ("" when it is not; then nothing)."""
    out: dict[str, tuple[int, int, np.ndarray]] = {}
    if not path.exists():
        return out, ""
    try:
        with np.load(path, allow_pickle=False) as npz:
            for key in npz.files:
                _, mask_id, x0, y0 = key.split("_")
                crop = npz[key].astype(bool)
                x, y = int(x0), int(y0)
                h, w = crop.shape
                if crop.ndim != 2 or y + h > hw[0] or x + w > hw[1]:
                    raise ValueError(f"mask {mask_id} outside the image")
                out[mask_id] = (x, y, crop)
    except Exception as exc:  # noqa: BLE001 - any damage sets the file aside
        return {}, reason(exc)
    return out, ""


def read_tiles(
    path: Path, shape: tuple[int, ...], dtype: np.dtype
) -> tuple[dict[tuple[int, int], np.ndarray], str]:
    """The saved changed tiles of an image of ``shape`` and ``dtype``, and why
    the file is damaged ("" when it is not): tiles that do not fit the image
    (a key outside it, another size or type) are left out."""
    tiles: dict[tuple[int, int], np.ndarray] = {}
    if not path.exists():
        return tiles, ""
    rows = -(-int(shape[0]) // TILE)
    cols = -(-int(shape[1]) // TILE)
    bad = ""
    try:
        with np.load(path, allow_pickle=False) as npz:
            for key in npz.files:
                parts = key.split("_")
                if len(parts) != 3 or not (parts[1].isdigit() and parts[2].isdigit()):
                    bad = f"a tile named {key!r}"
                    continue
                ty, tx = int(parts[1]), int(parts[2])
                if ty >= rows or tx >= cols:
                    bad = f"tile {ty},{tx} outside the image"
                    continue
                arr = npz[key]
                x0, y0, x1, y1 = tile_box(shape, ty, tx, TILE)
                if arr.dtype != dtype or arr.shape != (y1 - y0, x1 - x0, *shape[2:]):
                    bad = f"tile {ty},{tx} of another size or type"
                    continue
                tiles[(ty, tx)] = arr
    except Exception as exc:  # noqa: BLE001 - zip, npy and OS errors alike
        return {}, reason(exc) or "unreadable"
    return tiles, bad
