"""Undo data as 64×64 tile deltas, so a step costs the area it changed, not the image.

An edit of a large array (a mask stroke, an applied restoration) is recorded by a
:class:`TileRecorder`: before writing into a region, the editor calls
:meth:`TileRecorder.touch` and the recorder keeps a copy of every tile the first
time it is touched. :meth:`TileRecorder.finish` then captures the same tiles after
the edit, drops the ones that did not change and compresses both sides into a
:class:`TileDelta`, which can put the array back in either state.

:class:`OriginalTiles` keeps the first-ever contents of changed tiles
(copy-on-write), so "the original" of a document costs only its changed area.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from restore_app.core.pixels import Box

TILE = 64


def tiles_in_box(
    shape: tuple[int, ...], x0: int, y0: int, x1: int, y1: int, tile: int = TILE
) -> Iterator[tuple[int, int]]:
    """(ty, tx) of every tile of an array of ``shape`` meeting the box (clipped)."""
    h, w = shape[0], shape[1]
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(w, x1), min(h, y1)
    if x0 >= x1 or y0 >= y1:
        return
    for ty in range(y0 // tile, (y1 - 1) // tile + 1):
        for tx in range(x0 // tile, (x1 - 1) // tile + 1):
            yield ty, tx


def tile_box(shape: tuple[int, ...], ty: int, tx: int, tile: int = TILE) -> Box:
    """The (x0, y0, x1, y1) box of tile (ty, tx), clipped to the array."""
    h, w = shape[0], shape[1]
    return tx * tile, ty * tile, min(w, (tx + 1) * tile), min(h, (ty + 1) * tile)


def changed_tiles(
    a: np.ndarray, b: np.ndarray, tile: int = TILE
) -> list[tuple[int, int]]:
    """Tiles where two arrays of equal shape (H, W[, C]) and dtype differ."""
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} and {b.shape}")
    diff = a != b
    if diff.ndim == 3:
        diff = diff.any(axis=2)
    h, w = diff.shape
    th, tw = -(-h // tile), -(-w // tile)
    padded = np.zeros((th * tile, tw * tile), dtype=bool)
    padded[:h, :w] = diff
    per_tile = padded.reshape(th, tile, tw, tile).any(axis=(1, 3))
    return [(int(ty), int(tx)) for ty, tx in zip(*np.nonzero(per_tile), strict=True)]


def _pack(tile: np.ndarray) -> bytes:
    # Masks are bool: 1 bit per pixel before zlib. Level 1 keeps strokes fast.
    raw = np.packbits(tile).tobytes() if tile.dtype == bool else tile.tobytes()
    return zlib.compress(raw, 1)


def _unpack(data: bytes, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    raw = zlib.decompress(data)
    if np.dtype(dtype) == np.dtype(bool):
        count = int(np.prod(shape))
        bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8), count=count)
        return bits.astype(bool).reshape(shape)
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


@dataclass
class TileDelta:
    """Compressed before/after contents of the tiles one edit changed.

    ``tiles`` maps (ty, tx) to (before, after) compressed bytes. ``shape`` and
    ``dtype`` are those of the whole array the delta belongs to.
    """

    shape: tuple[int, ...]
    dtype: np.dtype
    tiles: dict[tuple[int, int], tuple[bytes, bytes]]
    tile: int = TILE

    @property
    def nbytes(self) -> int:
        """Bytes of undo data held (both sides, compressed)."""
        return sum(len(b) + len(a) for b, a in self.tiles.values())

    def __bool__(self) -> bool:
        return bool(self.tiles)

    def boxes(self) -> list[Box]:
        return [tile_box(self.shape, ty, tx, self.tile) for ty, tx in self.tiles]

    def bounds(self) -> Box | None:
        """Bounding box of every changed tile, or None when nothing changed."""
        boxes = self.boxes()
        if not boxes:
            return None
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )

    def _write(self, array: np.ndarray, side: int) -> None:
        if array.shape != self.shape or array.dtype != self.dtype:
            raise ValueError("delta does not belong to this array")
        for (ty, tx), pair in self.tiles.items():
            x0, y0, x1, y1 = tile_box(self.shape, ty, tx, self.tile)
            region_shape = (y1 - y0, x1 - x0, *self.shape[2:])
            array[y0:y1, x0:x1] = _unpack(pair[side], region_shape, self.dtype)

    def undo(self, array: np.ndarray) -> None:
        """Put the changed tiles of ``array`` back as they were before the edit."""
        self._write(array, 0)

    def redo(self, array: np.ndarray) -> None:
        """Put the changed tiles of ``array`` as they were after the edit."""
        self._write(array, 1)


class TileRecorder:
    """Records an edit of ``array`` (any (H, W[, C]) array) tile by tile.

    Call :meth:`touch` with a box *before* writing into it; call :meth:`finish`
    once the edit is done. Touching the same tile again costs nothing.
    """

    def __init__(self, array: np.ndarray, tile: int = TILE) -> None:
        self.array = array
        self.tile = tile
        self._before: dict[tuple[int, int], np.ndarray] = {}

    def touch(self, x0: int, y0: int, x1: int, y1: int) -> None:
        for key in tiles_in_box(self.array.shape, x0, y0, x1, y1, self.tile):
            if key not in self._before:
                bx0, by0, bx1, by1 = tile_box(self.array.shape, *key, self.tile)
                self._before[key] = self.array[by0:by1, bx0:bx1].copy()

    @property
    def touched(self) -> int:
        return len(self._before)

    def finish(self) -> TileDelta:
        """The delta of every touched tile that really changed."""
        tiles: dict[tuple[int, int], tuple[bytes, bytes]] = {}
        for key, before in self._before.items():
            x0, y0, x1, y1 = tile_box(self.array.shape, *key, self.tile)
            after = self.array[y0:y1, x0:x1]
            if not np.array_equal(before, after):
                tiles[key] = (_pack(before), _pack(after))
        self._before.clear()
        return TileDelta(self.array.shape, self.array.dtype, tiles, self.tile)

    def revert(self) -> None:
        """Abandon the edit: put every touched tile back as it was."""
        for key, before in self._before.items():
            x0, y0, x1, y1 = tile_box(self.array.shape, *key, self.tile)
            self.array[y0:y1, x0:x1] = before
        self._before.clear()


class OriginalTiles:
    """First-ever contents of each tile of an image that was changed (copy-on-write).

    The original image is then ``current`` with these tiles put back, so the
    before/after views and the sidecar cost only the changed area.
    """

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype, tile: int = TILE):
        self.shape = shape
        self.dtype = np.dtype(dtype)
        self.tile = tile
        self.tiles: dict[tuple[int, int], np.ndarray] = {}

    def preserve(self, current: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> None:
        """Keep the original of every tile in the box; call before changing it."""
        for key in tiles_in_box(self.shape, x0, y0, x1, y1, self.tile):
            if key not in self.tiles:
                bx0, by0, bx1, by1 = tile_box(self.shape, *key, self.tile)
                self.tiles[key] = current[by0:by1, bx0:bx1].copy()

    def region(
        self, current: np.ndarray, x0: int, y0: int, x1: int, y1: int
    ) -> np.ndarray:
        """Original pixels of a box, (y1-y0, x1-x0[, C]) in ``current``'s dtype."""
        out = current[y0:y1, x0:x1]
        copied = False
        for key in tiles_in_box(self.shape, x0, y0, x1, y1, self.tile):
            saved = self.tiles.get(key)
            if saved is None:
                continue
            if not copied:
                out = out.copy()
                copied = True
            bx0, by0, bx1, by1 = tile_box(self.shape, *key, self.tile)
            ix0, iy0 = max(bx0, x0), max(by0, y0)
            ix1, iy1 = min(bx1, x1), min(by1, y1)
            out[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0] = saved[
                iy0 - by0 : iy1 - by0, ix0 - bx0 : ix1 - bx0
            ]
        return out

    def changed(self, current: np.ndarray) -> list[tuple[int, int]]:
        """Tiles whose current contents differ from the original."""
        out = []
        for key, saved in self.tiles.items():
            x0, y0, x1, y1 = tile_box(self.shape, *key, self.tile)
            if not np.array_equal(saved, current[y0:y1, x0:x1]):
                out.append(key)
        return sorted(out)
