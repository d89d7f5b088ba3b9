"""The "original — do not repair" layer: painted with the usual tools, saved,
undoable, and honoured by every tool and the window's batch."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from ui_helpers import new_window, open_and_wait

from restore_app.core.masks import mask_sha256


def _at_100(window):
    canvas = window.canvas
    canvas.zoom_to(1.0, QPointF(0, 0))
    canvas.offset = QPointF(0, 0)
    return canvas


def _stroke(qtbot, canvas, a, b):
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*a))
    qtbot.mouseMove(canvas, pos=QPoint(*b))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*b))


def test_protect_layer_is_painted_undone_and_saved(qtbot, window, settings, scans):

    doc = open_and_wait(qtbot, window, [scans])
    canvas = _at_100(window)
    qtbot.keyClick(canvas, Qt.Key.Key_O)
    assert canvas.tools.layer == "protect"
    assert window.tools.layer_buttons["protect"].isChecked()
    canvas.tools.brush_size = 10
    _stroke(qtbot, canvas, (40, 40), (120, 40))
    assert doc.protect[40, 60] and not doc.mask.any()
    assert doc.undo_stack.text(doc.undo_stack.index() - 1) == "Paint protected region"
    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not doc.protect.any()
    qtbot.keyClick(canvas, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    painted = doc.protect.copy()
    assert painted.any()
    # The eraser on the protect layer erases protection, not the mask.
    qtbot.keyClick(canvas, Qt.Key.Key_O)
    assert canvas.tools.layer == "mask"
    _stroke(qtbot, canvas, (40, 60), (120, 60))
    assert doc.mask[60, 60] and np.array_equal(doc.protect, painted)
    window.session.flush()
    window.close()

    again = new_window(qtbot, settings)
    doc = open_and_wait(qtbot, again, [scans])
    assert np.array_equal(doc.protect, painted)
    again.close()


def test_no_tool_changes_a_protected_pixel(qtbot, window, scans, tmp_path):
    doc = open_and_wait(qtbot, window, [scans])
    before = doc.pixels.copy()
    protect = np.zeros(doc.mask.shape, bool)
    protect[60:140, 90:150] = True
    doc.set_mask(protect, "Protect", "protect")
    mask = np.zeros_like(protect)
    mask[95:105, 40:250] = True  # a scratch through the protected block
    doc.set_mask(mask, "Paint mask")

    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea"}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=30000):
        window.run_tool()
    changed = (doc.pixels != before).any(axis=2)
    assert changed[mask & ~protect].any()
    assert not changed[protect].any()
    # The repaired-region record counts what was repaired, not the protected
    # pixels the mask also covered.
    assert np.array_equal(doc.repaired, mask & ~protect)
    op = doc.operations[-1]
    x0, y0, x1, y1 = op["crop"]
    assert op["protect_sha256"] == mask_sha256(protect[y0:y1, x0:x1])

    window.workspace.tools.apply_task_settings(
        {"task": "denoise", "restorer": "denoise.nlm"}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=60000):
        window.run_tool()
    assert not (doc.pixels != before).any(axis=2)[protect].any()

    canvas = _at_100(window)
    window.set_tool("heal")
    canvas.tools.brush_size = 8
    with qtbot.waitSignal(window.jobs.applied, timeout=20000):
        _stroke(qtbot, canvas, (80, 120), (170, 120))
    assert not (doc.pixels != before).any(axis=2)[protect].any()

    window.detect_damage()
    qtbot.waitUntil(
        lambda: doc.proposal is not None and not window.jobs.busy, timeout=60000
    )
    assert not doc.proposal.mask(1.0)[protect].any()

    # The window's batch honours each image's saved protect layer.
    window.session.flush()
    out = tmp_path / "out"
    with qtbot.waitSignal(window.service.finished, timeout=120000):
        window.files.start_batch("denoise", out, files=[doc.path])
    assert len(window.files.last_report.done) == 1
    src = cv2.imread(str(doc.path))
    res = cv2.imread(str(out / doc.path.name))
    assert (res != src).any()
    assert np.array_equal(res[protect], src[protect])


def test_export_masks_for_the_command_line(qtbot, window, scans, tmp_path):
    from restore_app.core.masks import read_mask

    doc = open_and_wait(qtbot, window, [scans])
    mask = np.zeros(doc.mask.shape, bool)
    mask[10:20, 10:200] = True
    protect = np.zeros_like(mask)
    protect[:, 100:120] = True
    doc.set_mask(mask, "Paint mask")
    doc.set_mask(protect, "Protect", "protect")
    out = tmp_path / "masks"
    written = window.files.export_masks(out)
    assert sorted(p.relative_to(out).as_posix() for p in written) == [
        "protect/scan_0.png",
        "scan_0.png",
    ]
    shape = doc.mask.shape
    assert np.array_equal(read_mask(out / "scan_0.png", shape), mask)
    assert np.array_equal(read_mask(out / "protect" / "scan_0.png", shape), protect)


def test_export_writes_the_masks_and_the_same_record_as_the_command_line(
    qtbot, window, settings, scans, tmp_path
):
    import json

    from restore_app.core.masks import read_mask
    from restore_app.pipeline.files import restore_file

    doc = open_and_wait(qtbot, window, [scans])
    mask = np.zeros(doc.mask.shape, bool)
    mask[50:60, 40:160] = True
    protect = np.zeros_like(mask)
    protect[:, 100:110] = True
    doc.set_mask(protect, "Protect", "protect")
    doc.set_mask(mask, "Paint mask")
    # The mask as painted (the rim's growth has its own test).
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea", "cover_rim": False}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=20000):
        window.run_tool()
    window.session.flush()
    window.close()

    # After a restart the export still knows which mask the fill used.
    again = new_window(qtbot, settings)
    doc = open_and_wait(qtbot, again, [scans])
    out = tmp_path / "out.png"
    again.files.write_derivative(doc, out, overwrite=False)
    folder = tmp_path / "out.png.masks"
    assert sorted(p.name for p in folder.iterdir()) == ["01-inpaint.png", "protect.png"]
    shape = doc.mask.shape
    assert np.array_equal(read_mask(folder / "01-inpaint.png", shape), mask)
    assert np.array_equal(read_mask(folder / "protect.png", shape), protect)
    record = json.loads((tmp_path / "out.png.json").read_text())
    assert [m["name"] for m in record["masks"]] == ["01-inpaint", "protect"]
    assert all(len(m["sha256"]) == 64 for m in record["masks"])
    again.close()

    # The command line writes the same record, through the same writer.
    from restore_app.core.masks import write_mask

    write_mask(mask, tmp_path / "m.png")
    write_mask(protect, tmp_path / "p.png")
    restore_file(
        doc.path,
        tmp_path / "cli.png",
        task="inpaint",
        mask=tmp_path / "m.png",
        protect=tmp_path / "p.png",
        restorer_id="inpaint.telea",
    )
    cli_record = json.loads((tmp_path / "cli.png.json").read_text())
    assert set(cli_record) == set(record)
    assert [m["name"] for m in cli_record["masks"]] == ["01-inpaint", "protect"]


def test_the_protect_overlay_is_told_apart_from_every_layer() -> None:
    """On the canvas the protect layer's colour is nobody else's: not a
    damage kind's (the crack layer was the same blue), not the mask's."""
    from restore_app.app.tool_state import DEFAULT_OVERLAY_RGB
    from restore_app.core.damage import DAMAGE_KINDS
    from restore_app.ui.display import PROTECT_COLOR

    protect = np.array(PROTECT_COLOR.getRgb()[:3], float)
    others = [k.colour for k in DAMAGE_KINDS] + [DEFAULT_OVERLAY_RGB]
    nearest = min(np.linalg.norm(protect - np.array(c, float)) for c in others)
    assert nearest > 90, nearest
