"""Tiles with overlap and seamless blending, and crops around damaged regions.

Everything here is pure numpy/OpenCV so that it can be tested in milliseconds and
shared by every restorer: the engine decides *where* to work, a restorer only
ever sees one float tile or crop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from restore_app.core.cancel import CancelToken, ProgressFn
from restore_app.core.pixels import Box

TileFn = Callable[[np.ndarray], np.ndarray]


def _axis(length: int, tile: int, overlap: int) -> tuple[list[int], int]:
    """Start offsets and one tile length covering ``[0, length)`` along an axis.

    The fewest tiles of at most ``tile`` that overlap by ``overlap``, then
    shrunk to the same length so the overlap is not larger than it must be: a
    577-pixel side with 512-pixel tiles gets two tiles of 313, not two of 512.
    """
    if length <= tile:
        return [0], length
    step = tile - overlap
    n = -(-(length - overlap) // step)
    size = -(-(length + (n - 1) * overlap) // n)
    starts = [i * (size - overlap) for i in range(n - 1)] + [length - size]
    return starts, size


def _ramp(n: int, lo_edge: bool, hi_edge: bool, reach: int, blend: int) -> np.ndarray:
    """1-D blending weight for a tile of length ``n``.

    Zero within ``reach`` of an inner tile border (where the restorer lacked
    context), a raised-cosine rise over ``blend`` pixels, then one. Borders on
    the image edge get full weight: no other tile covers them.
    """
    pos = np.arange(n, dtype=np.float64)
    w = np.ones(n, dtype=np.float64)
    ramp_len = max(blend, 1)
    if not lo_edge:
        t = np.clip((pos - reach + 0.5) / ramp_len, 0.0, 1.0)
        w *= 0.5 - 0.5 * np.cos(np.pi * t)
    if not hi_edge:
        t = np.clip((n - 1 - pos - reach + 0.5) / ramp_len, 0.0, 1.0)
        w *= 0.5 - 0.5 * np.cos(np.pi * t)
    return w


@dataclass(frozen=True)
class TilePlan:
    """Where the tiles of an ``height`` × ``width`` image lie.

    Neighbouring tiles overlap by ``2 * reach + blend`` pixels, so that every
    pixel has at least one tile that saw ``reach`` pixels of context around it,
    and the weights of the tiles covering it sum to one.
    """

    height: int
    width: int
    tile: int
    reach: int
    blend: int

    @property
    def overlap(self) -> int:
        return 2 * self.reach + self.blend

    def rows(self) -> list[int]:
        return _axis(self.height, self.tile, self.overlap)[0]

    def cols(self) -> list[int]:
        return _axis(self.width, self.tile, self.overlap)[0]

    @property
    def tile_height(self) -> int:
        return _axis(self.height, self.tile, self.overlap)[1]

    @property
    def tile_width(self) -> int:
        return _axis(self.width, self.tile, self.overlap)[1]

    def count(self) -> int:
        return len(self.rows()) * len(self.cols())


def plan_tiles(
    height: int, width: int, tile: int, reach: int, blend: int = 16
) -> TilePlan:
    """Plan tiles for an image; ``tile`` grows if it cannot hold its own overlap."""
    tile = max(int(tile), 2 * (2 * reach + blend), 16)
    return TilePlan(height, width, tile, reach, blend)


def process_tiled(
    image: np.ndarray,
    fn: TileFn,
    plan: TilePlan,
    out: np.ndarray | None = None,
    finish: Callable[[np.ndarray, int, int], None] | None = None,
    on_progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    channels: int | None = None,
) -> np.ndarray | None:
    """Run ``fn`` over ``image`` tile by tile and blend the results seamlessly.

    ``image`` is float32 ``(H, W, C)`` in [0, 1]; ``fn`` maps a float32 tile
    ``(h, w, C)`` to a float32 tile ``(h, w, channels)`` (``channels`` defaults
    to C; a detector returns one channel per class). Rows are finished as soon
    as no later tile can touch them, so besides ``image`` and the output only one
    band of tile rows is held in memory. Finished rows go either into ``out``
    (float32, same shape) or to ``finish(rows, y0, y1)``. Checks ``cancel``
    between tiles and reports ``on_progress(done, total)`` after each.
    """
    h, w = image.shape[:2]
    c = image.shape[2] if channels is None else int(channels)
    rows, cols = plan.rows(), plan.cols()
    total = len(rows) * len(cols)
    done = 0
    if out is None and finish is None:
        out = np.empty((h, w, c), dtype=np.float32)

    band_y0 = 0
    band_acc = np.zeros((0, w, c), np.float64)
    band_wt = np.zeros((0, w, 1), np.float64)
    th, tw = plan.tile_height, plan.tile_width
    col_w = [_ramp(tw, x0 == 0, x0 + tw >= w, plan.reach, plan.blend) for x0 in cols]
    for ri, y0 in enumerate(rows):
        y1 = y0 + th
        # Grow the band down to this tile row's bottom.
        if y1 > band_y0 + band_acc.shape[0]:
            extra = y1 - (band_y0 + band_acc.shape[0])
            band_acc = np.concatenate([band_acc, np.zeros((extra, w, c))], axis=0)
            band_wt = np.concatenate([band_wt, np.zeros((extra, w, 1))], axis=0)
        row_w = _ramp(y1 - y0, y0 == 0, y1 >= h, plan.reach, plan.blend)
        for ci, x0 in enumerate(cols):
            if cancel is not None:
                cancel.check()
            x1 = x0 + tw
            result = fn(np.ascontiguousarray(image[y0:y1, x0:x1]))
            if result.shape != (y1 - y0, x1 - x0, c):
                raise ValueError(
                    f"a tile of {x1 - x0}×{y1 - y0} came back as {result.shape}"
                )
            weight = (row_w[:, None] * col_w[ci][None, :])[..., None]
            by = y0 - band_y0
            band_acc[by : by + y1 - y0, x0:x1] += result * weight
            band_wt[by : by + y1 - y0, x0:x1] += weight
            done += 1
            if on_progress is not None:
                on_progress(done, total)
        # Rows above the next tile row's top are final.
        limit = rows[ri + 1] if ri + 1 < len(rows) else h
        n_final = limit - band_y0
        if n_final > 0:
            final = (band_acc[:n_final] / np.maximum(band_wt[:n_final], 1e-12)).astype(
                np.float32
            )
            if out is not None:
                out[band_y0:limit] = final
            if finish is not None:
                finish(final, band_y0, limit)
            band_acc = band_acc[n_final:]
            band_wt = band_wt[n_final:]
            band_y0 = limit
    return out


def mask_regions(mask: np.ndarray, merge_distance: int) -> list[Box]:
    """Boxes around the damaged regions of ``mask`` (bool (H, W), True = damaged).

    Regions closer than ``merge_distance`` pixels are merged into one box, so
    that a crack broken into pieces is filled as one crop with shared context.
    Labelling is limited to the box around all damage.
    """
    h, w = mask.shape
    # Label only inside the mask's bounding box: a few specks on a 100 MP scan
    # then cost two fast reductions, not a labelling pass over the whole image.
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return []
    cols = np.flatnonzero(mask[rows[0] : rows[-1] + 1].any(axis=0))
    y0, x0 = int(rows[0]), int(cols[0])
    sub = mask[y0 : rows[-1] + 1, x0 : cols[-1] + 1].astype(np.uint8)
    n, _, stats, _ = cv2.connectedComponentsWithStats(sub, connectivity=8)
    boxes = [
        Box(int(x) + x0, int(y) + y0, int(x + bw) + x0, int(y + bh) + y0)
        for x, y, bw, bh, _ in stats[1:n]
    ]
    half = merge_distance // 2
    merged = True
    while merged and len(boxes) > 1:
        merged = False
        grown = [b.expand(half + 1, w, h) for b in boxes]
        out: list[Box] = []
        out_grown: list[Box] = []
        for b, g in zip(boxes, grown, strict=True):
            for i, og in enumerate(out_grown):
                if g.intersects(og):
                    out[i] = out[i].union(b)
                    out_grown[i] = out_grown[i].union(g)
                    merged = True
                    break
            else:
                out.append(b)
                out_grown.append(g)
        boxes = out
    return sorted(boxes, key=lambda b: (b.y0, b.x0))


def split_box(box: Box, max_side: int) -> Iterator[Box]:
    """Cut ``box`` into pieces no longer than ``max_side`` on either side."""
    for y0 in range(box.y0, box.y1, max_side):
        for x0 in range(box.x0, box.x1, max_side):
            yield Box(x0, y0, min(x0 + max_side, box.x1), min(y0 + max_side, box.y1))


def feather_inward(mask: np.ndarray, feather: int) -> np.ndarray:
    """Blend weight for ``mask`` (bool ``(H, W)``): 1 deep inside, 0 outside.

    The weight falls to zero towards the mask's edge *inside* the mask only, so
    pixels outside the mask never change. float32 ``(H, W)`` in [0, 1].
    """
    if feather <= 0:
        return mask.astype(np.float32)
    # Edge padding: the image border is not a mask border.
    padded = np.pad(mask.astype(np.uint8), 1, mode="edge")
    dist = cv2.distanceTransform(padded, cv2.DIST_L2, 5)[1:-1, 1:-1]
    return np.clip(dist / float(feather), 0.0, 1.0).astype(np.float32) * mask
