"""The edit journal: every change to an image's masks, appended as it happens.

The sidecar's mask files are rewritten by a background save a second or two
after an edit; a crash in between would lose the edit. So each change to a mask
layer is first appended here, on the thread that made it, before the edit's
handler returns: the layer, the changed box, and the box's new contents. A
journal is cut into numbered segments; a save closes the open segment, and
once the masks it covers are on disk, the covered segments are deleted.
Reading applies the segments in order over the saved masks; a record cut short
by a crash is ignored.

Record: ``b"RK"``, layer code (1 byte), x0, y0, x1, y1 (uint32 little-endian),
then the box's bits, row by row, packed (``numpy.packbits``), then the CRC-32
of all that (uint32 little-endian), as write-ahead logs check theirs: a record
whose bits changed on disk is skipped and counted, never applied. Records of
earlier releases (``b"RJ"``, the same without the CRC) are still read.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from restore_app.core.layers import LAYERS
from restore_app.core.segments import append as append_bytes
from restore_app.core.segments import numbered

#: The journaled layers' one-byte codes, by name (core.layers).
_CODES = {layer.name: layer.journal_code for layer in LAYERS if layer.journaled}
_NAMES = {v: k for k, v in _CODES.items()}
_HEAD = struct.Struct("<2sB4I")
_CRC = struct.Struct("<I")
#: Record magic: with a CRC-32 (this release), without (earlier ones).
_CHECKED, _UNCHECKED = b"RK", b"RJ"


def segments(folder: Path) -> list[tuple[int, Path]]:
    """The journal segments of an image's sidecar folder, oldest first."""
    return numbered(folder, "journal", "bin")


def append(folder: Path, seq: int, layer: str, box, bits: np.ndarray) -> None:
    """Append one change (``bits``: bool (y1-y0, x1-x0) of ``box``) to segment
    ``seq`` of ``folder``; the write reaches the system before this returns."""
    x0, y0, x1, y1 = (int(v) for v in box)
    payload = np.packbits(np.ascontiguousarray(bits, dtype=bool), axis=None)
    record = _HEAD.pack(_CHECKED, _CODES[layer], x0, y0, x1, y1) + payload.tobytes()
    record += _CRC.pack(zlib.crc32(record))
    append_bytes(folder / f"journal.{seq}.bin", record)


def replay(
    folder: Path, shape: tuple[int, int], layers: dict[str, np.ndarray | None]
) -> tuple[dict[str, np.ndarray | None], bool, dict[Path, int]]:
    """Apply every segment over ``layers`` (bool (H, W) arrays, None when not
    saved); returns the layers, whether the journal changed anything, and the
    records skipped as damaged in each segment (failed CRC, or a record that
    cannot be read, which ends its segment). A torn last record (a crash
    mid-write) is not damage: it is ignored."""
    h, w = shape
    out = dict(layers)
    changed = False
    damaged: dict[Path, int] = {}
    for _, path in segments(folder):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        pos = 0
        while pos + _HEAD.size <= len(data):
            begin = pos
            magic, code, x0, y0, x1, y1 = _HEAD.unpack_from(data, begin)
            fits = 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
            if magic not in (_CHECKED, _UNCHECKED) or code not in _NAMES or not fits:
                damaged[path] = damaged.get(path, 0) + 1
                break  # nothing after it can be found
            n = (x1 - x0) * (y1 - y0)
            size = (n + 7) // 8
            start = begin + _HEAD.size
            end = start + size + (_CRC.size if magic == _CHECKED else 0)
            if end > len(data):
                break  # torn by a crash mid-write
            pos = end
            if magic == _CHECKED:
                (crc,) = _CRC.unpack_from(data, start + size)
                if zlib.crc32(data[begin : start + size]) != crc:
                    damaged[path] = damaged.get(path, 0) + 1
                    continue
            bits = np.unpackbits(np.frombuffer(data, np.uint8, size, start))[:n]
            name = _NAMES[code]
            if out.get(name) is None:
                out[name] = np.zeros(shape, bool)
            out[name][y0:y1, x0:x1] = bits.reshape(y1 - y0, x1 - x0).astype(bool)
            changed = True
    return out, changed, damaged


def discard(folder: Path, upto: int) -> None:
    """Delete the segments numbered ``upto`` and below: a save covers them."""
    for seq, path in segments(folder):
        if seq <= upto:
            path.unlink(missing_ok=True)
