"""Mask editing driven by real mouse and key events on the real window."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from ui_helpers import open_and_wait


def _distance_to_segment(shape, a, b) -> np.ndarray:
    """Distance of every pixel centre of an (H, W) image to segment a-b (image px)."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    px, py = xx + 0.5, yy + 0.5
    ax, ay = a
    bx, by = b
    dx, dy = bx - ax, by - ay
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / max(dx * dx + dy * dy, 1e-9), 0, 1)
    return np.hypot(px - (ax + t * dx), py - (ay + t * dy))


def _stroke(qtbot, canvas, points, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, modifier, points[0])
    for p in points[1:]:
        qtbot.mouseMove(canvas, p)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, modifier, points[-1])


def test_stroke_sets_mask_under_it_only_and_undoes(qtbot, window, scans):
    doc = open_and_wait(qtbot, window, [scans])
    canvas = window.canvas
    canvas.zoom_to(2.0, QPointF(0, 0))
    canvas.offset = QPointF(10, 10)
    canvas.tools.brush_size = 12
    pts = [QPoint(60, 80), QPoint(120, 90), QPoint(200, 100)]
    _stroke(qtbot, canvas, pts)

    img_pts = [canvas.to_image(QPointF(p)) for p in pts]
    dist = np.full(doc.mask.shape, np.inf)
    for a, b in zip(img_pts, img_pts[1:], strict=False):
        seg = _distance_to_segment(doc.mask.shape, (a.x(), a.y()), (b.x(), b.y()))
        dist = np.minimum(dist, seg)
    r = canvas.tools.brush_size / 2
    assert doc.mask[dist <= r - 1].all()
    assert not doc.mask[dist > r + 1].any()
    painted = doc.mask.copy()
    assert doc.undo_stack.count() == 1
    assert doc.undo_stack.text(0) == "Paint mask"

    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not doc.mask.any()
    qtbot.keyClick(
        canvas,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert np.array_equal(doc.mask, painted)
    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(canvas, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(doc.mask, painted)


def test_alt_erases_and_shapes_fill(qtbot, window, scans):
    doc = open_and_wait(qtbot, window, [scans])
    canvas = window.canvas
    canvas.zoom_to(1.0, QPointF(0, 0))
    canvas.offset = QPointF(0, 0)
    window.set_tool("rect")
    _stroke(qtbot, canvas, [QPoint(20, 30), QPoint(80, 60), QPoint(120, 90)])
    assert doc.mask[30:90, 20:120].all()
    assert doc.mask.sum() <= 102 * 62
    window.set_tool("brush")
    canvas.tools.brush_size = 10
    _stroke(
        qtbot,
        canvas,
        [QPoint(40, 60), QPoint(100, 60)],
        Qt.KeyboardModifier.AltModifier,
    )
    assert not doc.mask[58:62, 45:95].any()
    assert doc.mask[30:40, 20:120].all()

    window.set_tool("lasso")
    before = doc.mask.copy()
    _stroke(
        qtbot,
        canvas,
        [QPoint(200, 20), QPoint(260, 20), QPoint(260, 80), QPoint(200, 80)],
    )
    assert doc.mask[25:75, 205:255].all()
    assert np.array_equal(doc.mask[:, :190], before[:, :190])

    shapes = doc.mask.copy()
    window.mask_action("invert", 0)
    assert np.array_equal(doc.mask, ~shapes)
    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(doc.mask, shapes)
    window.mask_action("clear", 0)
    assert not doc.mask.any()
    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(doc.mask, shapes)


def test_grow_and_shrink(qtbot, window, scans):
    doc = open_and_wait(qtbot, window, [scans])
    mask = np.zeros_like(doc.mask)
    mask[100:120, 100:120] = True
    doc.set_mask(mask, "set")
    window.mask_action("grow", 3)
    # The kernel is round: the square grows on its sides, its corners round off.
    assert doc.mask[97:123, 100:120].all() and doc.mask[100:120, 97:123].all()
    assert not doc.mask[:96].any() and not doc.mask[:, 124:].any()
    window.mask_action("shrink", 6)
    assert doc.mask[103:117, 103:117].all() and not doc.mask[100:102].any()


def test_brush_keys_change_its_size(qtbot, window, scans):
    open_and_wait(qtbot, window, [scans])
    canvas = window.canvas
    canvas.tools.brush_size = 20
    qtbot.keyClick(canvas, Qt.Key.Key_BracketRight)
    assert canvas.tools.brush_size == 24
    qtbot.keyClick(canvas, Qt.Key.Key_BracketLeft)
    assert canvas.tools.brush_size == 20
    qtbot.keyClick(canvas, Qt.Key.Key_E)
    assert canvas.tools.tool == "eraser"
