"""What the canvas shows: before/after views and image kinds."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
from PySide6.QtCore import QPointF, Qt
from ui_helpers import open_and_wait


def _grab(canvas) -> np.ndarray:
    img = (
        canvas.grab()
        .toImage()
        .convertToFormat(canvas.grab().toImage().Format.Format_RGB888)
    )
    w, h = img.width(), img.height()
    arr = np.frombuffer(img.constBits(), np.uint8, img.bytesPerLine() * h)
    return arr.reshape(h, img.bytesPerLine())[:, : w * 3].reshape(h, w, 3).copy()


def _inpainted(qtbot, window, scans):
    doc = open_and_wait(qtbot, window, [scans])
    mask = np.zeros_like(doc.mask)
    mask[40:200, 40:280] = True
    doc.set_mask(mask, "Paint mask")
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea"}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=20000):
        window.run_tool()
    canvas = window.canvas
    canvas.zoom_to(1.0, QPointF(0, 0))
    canvas.offset = QPointF(0, 0)
    return doc, mask


def test_split_view_renders_both_halves(qtbot, window, scans):
    doc, mask = _inpainted(qtbot, window, scans)
    canvas = window.canvas
    after = _grab(canvas)
    qtbot.keyPress(canvas, Qt.Key.Key_Backslash)
    before = _grab(canvas)
    qtbot.keyRelease(canvas, Qt.Key.Key_Backslash)
    assert not np.array_equal(before[50:190, 50:270], after[50:190, 50:270])
    window.set_view_mode("split")
    canvas.split = 160 / canvas.width()
    split = _grab(canvas)
    # Left of the line: the original; right of it: the result (labels aside).
    assert np.array_equal(split[60:190, 60:150], before[60:190, 60:150])
    assert np.array_equal(split[60:190, 170:270], after[60:190, 170:270])
    assert not np.array_equal(split[60:190, 60:150], after[60:190, 60:150])


def test_side_by_side_shares_zoom(qtbot, window, scans):
    _inpainted(qtbot, window, scans)
    canvas = window.canvas
    qtbot.keyClick(canvas, Qt.Key.Key_Y)
    assert canvas.mode == "side"
    canvas.zoom_to(1.0, QPointF(0, 0))
    canvas.offset = QPointF(0, 0)
    img = _grab(canvas)
    half = canvas.width() // 2
    left, right = img[40:200, 40:120], img[40:200, half + 40 : half + 120]
    assert left.std() > 1 and right.std() > 1
    assert not np.array_equal(left, right)
    # One image point maps to the same place in both panes.
    assert canvas.to_image(QPointF(30, 30)) == canvas.to_image(QPointF(half + 30, 30))


def test_difference_view_marks_exactly_the_changed_pixels(qtbot, window, scans):
    doc, _ = _inpainted(qtbot, window, scans)
    canvas = window.canvas
    window.set_view_mode("diff")
    img = _grab(canvas)[: doc.height, : doc.width]
    changed = (doc.pixels != doc.original_region(0, 0, doc.width, doc.height)).any(
        axis=2
    )
    magenta = (img == (255, 0, 200)).all(axis=2)
    body = np.s_[30:, :]  # below the view's label
    assert np.array_equal(magenta[body], changed[body])


def test_sixteen_bit_gray_and_alpha_display(qtbot, window, tmp_path):
    folder = tmp_path / "kinds"
    folder.mkdir()
    g16 = np.tile(np.linspace(0, 65535, 200).astype(np.uint16), (100, 1))
    cv2.imwrite(str(folder / "a_gray16.png"), g16)
    rgba = np.zeros((100, 200, 4), np.uint8)
    rgba[..., 2] = 255  # red in BGRA
    rgba[..., 3] = 255
    rgba[:, 100:, 3] = 0
    cv2.imwrite(str(folder / "b_rgba.png"), rgba)
    doc = open_and_wait(qtbot, window, [folder])
    canvas = window.canvas
    canvas.zoom_to(1.0, QPointF(0, 0))
    canvas.offset = QPointF(0, 0)
    img = _grab(canvas)
    expected = np.round(np.linspace(0, 65535, 200) / 257).astype(int)
    assert np.abs(img[60, :200, 0].astype(int) - expected).max() <= 1
    assert doc.pixels.dtype == np.uint16
    window.next_image()
    qtbot.waitUntil(lambda: window.doc.path.name == "b_rgba.png", timeout=10000)
    canvas.zoom_to(1.0, QPointF(0, 0))
    canvas.offset = QPointF(0, 0)
    img = _grab(canvas)
    assert tuple(img[60, 50]) == (255, 0, 0)
    assert tuple(img[60, 150]) != (255, 0, 0)  # transparent: the checkerboard


def test_zoom_keys_and_wheel_towards_cursor(qtbot, window, scans):
    open_and_wait(qtbot, window, [scans])
    canvas = window.canvas
    qtbot.keyClick(canvas, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert abs(canvas.scale * canvas.devicePixelRatioF() - 1.0) < 1e-9
    anchor = QPointF(120, 90)
    under = canvas.to_image(anchor)
    canvas.zoom_by(1.25**2, anchor)
    assert abs(canvas.to_image(anchor).x() - under.x()) < 1e-6
    qtbot.keyClick(canvas, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    box = canvas.visible_image_box()
    assert box == (0, 0, 320, 240)


def test_importing_the_app_does_not_load_torch():
    code = "import sys, restore_app.ui.app; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr
