"""The undo history on disk: every step of an image, appended once, never rewritten.

Each step is stored as the tile deltas it already is (see
:mod:`restore_app.core.history`), with its text and the operation it recorded,
and each undo or redo as the new position in the history. Steps are numbered
for the life of the image (absolute numbers), so a step pushed after an undo
drops the steps it replaces wherever they were written. The log is cut into
segments; past a budget the oldest segments are deleted, and what remains
starts later: the history then begins at its first complete step.

Record: ``b"RH"``, a kind byte (``S`` step, ``I`` index), the header's length
(uint32 little-endian), a JSON header, then for a step the tiles' compressed
bytes in the header's order. A record cut short by a crash ends the log.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from restore_app.core.history import TileDelta
from restore_app.core.segments import append as append_bytes
from restore_app.core.segments import numbered

_HEAD = struct.Struct("<2scI")
#: A new segment starts once the open one passes this share of the budget.
SEGMENT_SHARE = 8
#: Undo history kept per image by default: 1 GB (Preferences change it).
DEFAULT_BUDGET = 1024**3


@dataclass
class Step:
    """One undo step: text, the operation it recorded, and (array name, delta)."""

    number: int
    text: str
    operation: dict[str, Any] | None
    parts: list[tuple[str, TileDelta]]


@dataclass
class History:
    """What the log holds: the kept steps, in order, and the position in them
    (``index`` steps applied); ``dropped`` when earlier steps were let go."""

    steps: list[Step] = field(default_factory=list)
    index: int = 0
    dropped: bool = False


def segments(folder: Path) -> list[tuple[int, Path]]:
    """The history's segments in an image's sidecar folder, oldest first."""
    return numbered(folder, "history", "log")


def _append(path: Path, kind: bytes, header: dict, blobs: list[bytes]) -> None:
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    append_bytes(path, _HEAD.pack(b"RH", kind, len(head)) + head + b"".join(blobs))


class HistoryLog:
    """Appends one image's undo history to its sidecar folder."""

    def __init__(self, folder: Path, budget: int = DEFAULT_BUDGET) -> None:
        self.folder = folder
        self.budget = int(budget)
        found = segments(folder)
        self._segment = found[-1][0] if found else 1

    def _path(self) -> Path:
        return self.folder / f"history.{self._segment}.log"

    def _trim_and_rotate(self) -> None:
        # Older segments go first while over the budget; the open one, which
        # holds the newest step, always stays.
        found = segments(self.folder)
        total = sum(p.stat().st_size for _, p in found)
        for seq, p in found:
            if total <= self.budget or seq >= self._segment:
                break
            total -= p.stat().st_size
            p.unlink(missing_ok=True)
        path = self._path()
        if path.exists() and path.stat().st_size > self.budget // SEGMENT_SHARE:
            self._segment += 1

    def step(self, number: int, text: str, operation, parts) -> None:
        """Append step ``number`` (it replaces any step numbered from it on)."""
        header: dict[str, Any] = {
            "n": int(number),
            "text": text,
            "operation": operation,
            "parts": [],
        }
        blobs: list[bytes] = []
        for name, delta in parts:
            tiles = []
            for (ty, tx), (before, after) in delta.tiles.items():
                tiles.append([int(ty), int(tx), len(before), len(after)])
                blobs += [before, after]
            header["parts"].append(
                {
                    "name": name,
                    "shape": list(delta.shape),
                    "dtype": np.dtype(delta.dtype).str,
                    "tile": delta.tile,
                    "tiles": tiles,
                }
            )
        _append(self._path(), b"S", header, blobs)
        self._trim_and_rotate()

    def index(self, index: int) -> None:
        """Append the new position: ``index`` steps applied (an undo or redo)."""
        _append(self._path(), b"I", {"i": int(index)}, [])


def read(folder: Path) -> History:
    """The history the log holds (empty when there is none or it is unusable)."""
    steps: dict[int, Step] = {}
    index = 0
    for _, path in segments(folder):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        pos = 0
        while pos + _HEAD.size <= len(data):
            magic, kind, length = _HEAD.unpack_from(data, pos)
            start = pos + _HEAD.size
            if magic != b"RH" or start + length > len(data):
                break
            try:
                header = json.loads(data[start : start + length])
            except ValueError:
                break
            pos = start + length
            if kind == b"I":
                index = int(header["i"])
                continue
            if kind != b"S":
                break
            parts = []
            torn = False
            for part in header["parts"]:
                tiles = {}
                for ty, tx, nb, na in part["tiles"]:
                    if pos + nb + na > len(data):
                        torn = True
                        break
                    before = data[pos : pos + nb]
                    tiles[(ty, tx)] = (before, data[pos + nb : pos + nb + na])
                    pos += nb + na
                if torn:
                    break
                parts.append(
                    (
                        part["name"],
                        TileDelta(
                            tuple(part["shape"]),
                            np.dtype(part["dtype"]),
                            tiles,
                            int(part["tile"]),
                        ),
                    )
                )
            if torn:
                break
            n = int(header["n"])
            for later in [k for k in steps if k >= n]:
                del steps[later]
            steps[n] = Step(n, header["text"], header.get("operation"), parts)
            index = n + 1
    if not steps:
        return History(index=0)
    # The contiguous run of steps that ends with the newest one.
    numbers = sorted(steps)
    first = numbers[-1]
    while first - 1 in steps:
        first -= 1
    kept = [steps[k] for k in range(first, numbers[-1] + 1)]
    dropped = first > 0
    if not first <= index <= numbers[-1] + 1:
        # The position lies outside what is kept: nothing can be undone safely.
        return History(dropped=True)
    return History(kept, index - first, dropped)
