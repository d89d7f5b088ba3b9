"""Edits of a document's mask layers, each one undo step, without Qt.

The canvas turns the pointer into these calls and the window's menus call the
mask operations; both only draw. What a brush, a shape or a heal stroke
covers is rasterised here, once: positions are image coordinates (x, y) in
pixels, a pixel's centre at +0.5.

Erasing the working mask while a damage proposal is under review also takes
those pixels out of the proposal (the review's rejected pixels).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from restore_app.app.commands import DeltaCommand, MaskEdit
from restore_app.app.document import Document
from restore_app.app.tool_state import MASK_LAYER, PROTECT_LAYER
from restore_app.core.damage import kind, layer_kind
from restore_app.core.masks import grow_mask, shrink_mask
from restore_app.core.pixels import Box

Point = tuple[float, float]
#: Fractional bits OpenCV draws with: small brushes stay round.
_SHIFT = 4
_ONE = 1 << _SHIFT


def layer_title(layer: str) -> str:
    """The layer as undo texts name it: "mask", "protected region",
    "crack (damage map)"."""
    if layer == PROTECT_LAYER:
        return "protected region"
    kid = layer_kind(layer)
    if kid is not None:
        return f"{kind(kid).name.lower()} (damage map)"
    return "mask"


def points_box(points: Sequence[Point], size: float) -> Box:
    """The box (x0, y0, x1, y1) a brush of diameter ``size`` covers along
    ``points`` (not clipped to the image)."""
    r = size / 2 + 2
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (
        int(min(xs) - r),
        int(min(ys) - r),
        int(math.ceil(max(xs) + r)) + 1,
        int(math.ceil(max(ys) + r)) + 1,
    )


def _clip(box: Box, doc: Document) -> Box | None:
    x0, y0, x1, y1 = box
    x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = min(doc.width, x1), min(doc.height, y1)
    return (x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def _fixed(p: Point, x0: int, y0: int) -> tuple[int, int]:
    return (int(round((p[0] - x0 - 0.5) * _ONE)), int(round((p[1] - y0 - 0.5) * _ONE)))


def brush_stamp(points: Sequence[Point], size: float, box: Box) -> np.ndarray:
    """uint8 0/1 of ``box``: a round-capped brush of diameter ``size`` along
    ``points`` (one point: a dot)."""
    x0, y0, x1, y1 = box
    stamp = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    r = int(round(max(0.5, size / 2) * _ONE))
    fixed = [_fixed(p, x0, y0) for p in points]
    for p in fixed:
        cv2.circle(stamp, p, r, 1, -1, cv2.LINE_8, _SHIFT)
    for pa, pb in zip(fixed, fixed[1:], strict=False):
        if pa == pb:
            continue
        d = np.array([pb[0] - pa[0], pb[1] - pa[1]], dtype=np.float64)
        n = np.array([-d[1], d[0]]) / np.hypot(*d) * r
        poly = np.array([pa + n, pb + n, pb - n, pa - n]).round().astype(np.int32)
        cv2.fillConvexPoly(stamp, poly, 1, cv2.LINE_8, _SHIFT)
    return stamp


def polygon_stamp(points: Sequence[Point], box: Box) -> np.ndarray:
    """uint8 0/1 of ``box``: the polygon through ``points``, filled."""
    x0, y0, x1, y1 = box
    stamp = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    poly = (
        np.array([[(x - x0) * _ONE, (y - y0) * _ONE] for x, y in points])
        .round()
        .astype(np.int32)
    )
    cv2.fillPoly(stamp, [poly], 1, cv2.LINE_8, _SHIFT)
    return stamp


def paint(doc: Document, layer: str, box: Box, stamp: np.ndarray, erase: bool) -> None:
    """Paint or erase ``stamp`` (uint8 0/1 of ``box``) into a mask layer, in
    place (recorded by the edit that is open); erasing the mask under review
    also takes the pixels out of the proposal."""
    x0, y0, x1, y1 = box
    region = doc.array(layer)[y0:y1, x0:x1]
    if erase:
        region &= stamp == 0
        if layer == MASK_LAYER and doc.proposal is not None:
            doc.rejected[y0:y1, x0:x1] |= stamp.view(bool)
    else:
        region |= stamp.view(bool)


class Stroke:
    """A brush or eraser stroke on one layer, begun at ``at``: painted as the
    pointer moves (:meth:`to`; first to ``at`` itself, a dot), one undo step
    when it ends (:meth:`finish`)."""

    def __init__(
        self, doc: Document, layer: str, size: float, erase: bool, at: Point
    ) -> None:
        self.doc, self.layer, self.size, self.erase = doc, layer, size, erase
        self._edit: MaskEdit | None = doc.begin_mask_edit(layer)
        self._last = at

    def to(self, at: Point) -> Box | None:
        """Paint from the last position to ``at``; the box that changed."""
        a, self._last = self._last, at
        box = _clip(points_box([a, at], self.size), self.doc)
        if box is None or self._edit is None:
            return None
        self._edit.touch(*box)
        paint(
            self.doc, self.layer, box, brush_stamp([a, at], self.size, box), self.erase
        )
        return box

    def finish(self) -> DeltaCommand | None:
        edit, self._edit = self._edit, None
        if edit is None:
            return None
        verb = "Erase" if self.erase else "Paint"
        return self.doc.commit_mask_edit(edit, f"{verb} {layer_title(self.layer)}")

    def cancel(self) -> None:
        edit, self._edit = self._edit, None
        if edit is not None:
            edit.revert()


def fill_polygon(
    doc: Document, layer: str, points: Sequence[Point], erase: bool, what: str
) -> DeltaCommand | None:
    """Fill (or erase) the polygon through ``points`` in ``layer`` as one undo
    step; ``what`` names the shape on the working mask ("Rectangle", "Lasso")."""
    box = _clip(points_box(points, 0), doc)
    if box is None:
        return None
    edit = doc.begin_mask_edit(layer)
    edit.touch(*box)
    paint(doc, layer, box, polygon_stamp(points, box), erase)
    name = what if layer == MASK_LAYER else layer_title(layer).capitalize()
    return doc.commit_mask_edit(edit, f"{name} {'erase' if erase else 'fill'}")


def rectangle(
    doc: Document, layer: str, a: Point, b: Point, erase: bool
) -> DeltaCommand | None:
    """Fill (or erase) the rectangle with corners ``a`` and ``b``."""
    corners = [a, (b[0], a[1]), b, (a[0], b[1])]
    return fill_polygon(doc, layer, corners, erase, "Rectangle")


def select_similar(
    doc: Document,
    x: int,
    y: int,
    tolerance: float,
    layer: str = MASK_LAYER,
    subtract: bool = False,
) -> DeltaCommand | None:
    """The magic wand: the area around (x, y) like its colour, fitted to its
    edges (:func:`restore_app.core.selection.similar_area`), added to the
    mask ``layer`` (or, with ``subtract``, taken out of it) as one undo step."""
    from restore_app.core.selection import similar_area

    area = similar_area(doc.pixels, x, y, tolerance)
    if not area.any():
        return None
    target = doc.array(layer)
    new = target & ~area if subtract else target | area
    changes = {layer: new}
    if subtract and layer == MASK_LAYER and doc.proposal is not None:
        # as the eraser does: what is taken out of the mask leaves the review
        changes["rejected"] = doc.rejected | area
    verb = "Deselect" if subtract else "Select"
    return doc.set_layers(changes, f"{verb} similar area")


def heal_region(
    doc: Document, points: Sequence[Point], radius: float, margin: int
) -> tuple[Box, np.ndarray] | None:
    """What a heal stroke of ``radius`` along ``points`` covers: the box
    around it grown by ``margin`` (clipped to the image) and the bool stroke
    in it; None when it covers nothing."""
    x0, y0, x1, y1 = points_box(points, 2 * radius)
    box = _clip((x0 - margin, y0 - margin, x1 + margin, y1 + margin), doc)
    if box is None:
        return None
    region = brush_stamp(points, 2 * radius, box).astype(bool)
    return (box, region) if region.any() else None


def mask_operation(
    doc: Document, layer: str, action: str, amount: int = 0
) -> DeltaCommand | None:
    """Clear, invert, grow or shrink (by ``amount`` px) a whole mask layer, as
    one undo step named for it."""
    m = doc.array(layer)
    what = "protected region" if layer == PROTECT_LAYER else "mask"
    if action == "clear":
        return doc.set_mask(m & False, f"Clear {what}", layer)
    if action == "invert":
        return doc.set_mask(~m, f"Invert {what}", layer)
    if action == "grow":
        return doc.set_mask(grow_mask(m, amount), f"Grow {what} {amount} px", layer)
    if action == "shrink":
        return doc.set_mask(shrink_mask(m, amount), f"Shrink {what} {amount} px", layer)
    raise ValueError(f"unknown mask operation: {action}")
