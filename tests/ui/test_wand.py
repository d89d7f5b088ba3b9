"""The magic wand in the window: real clicks select a blotch into the layer
being painted, Alt+click takes it out, each one undo step."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from ui_helpers import open_and_wait

sys.path.insert(0, str(Path(__file__).parents[1] / "core"))
from test_selection import blotch  # noqa: E402


def test_wand_clicks_select_a_blotch_and_alt_takes_it_out(qtbot, window, tmp_path):
    img, truth = blotch()
    folder = tmp_path / "stains"
    folder.mkdir()
    cv2.imwrite(str(folder / "stain.png"), img[..., ::-1])
    doc = open_and_wait(qtbot, window, [folder])
    canvas = window.canvas
    canvas.zoom_to(1.0, QPointF(0, 0))
    canvas.offset = QPointF(0, 0)
    qtbot.keyClick(canvas, Qt.Key.Key_W)
    assert window.workspace.tools.tool == "wand"
    steps = doc.undo_stack.index()
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(200, 150))
    assert doc.undo_stack.index() == steps + 1
    iou = (doc.mask & truth).sum() / (doc.mask | truth).sum()
    assert iou >= 0.9
    assert doc.undo_stack.text(doc.undo_stack.index() - 1) == "Select similar area"
    qtbot.mouseClick(
        canvas,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.AltModifier,
        QPoint(200, 150),
    )
    assert not doc.mask.any()
    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert (doc.mask & truth).sum() / (doc.mask | truth).sum() >= 0.9
    # into the layer being painted: the original that must not be repaired
    mask = doc.mask.copy()
    qtbot.keyClick(canvas, Qt.Key.Key_O)
    window.workspace.tools.wand_tolerance = 0.0
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    assert doc.protect[20, 20] and not doc.protect[150, 200]
    assert window.tools.tolerance_spin.value() == 0
    assert np.array_equal(doc.mask, mask)  # the damage mask is left as it was
