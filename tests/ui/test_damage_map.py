"""The damage map: a layer per kind, painted with the usual tools (digit keys),
filled from a proposal, measured, saved, undoable, exported, and repaired by
the kinds ticked."""

from __future__ import annotations

import json

import cv2
import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from ui_helpers import new_window, open_and_wait

from restore_app.core.damage import kind, layer_name
from restore_app.core.proposal import DamageProposal


def _stroke(qtbot, canvas, a, b):
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*a))
    qtbot.mouseMove(canvas, pos=QPoint(*b))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*b))


def test_paint_measure_save_and_repair_the_map(
    qtbot, window, settings, scans, tmp_path
):
    doc = open_and_wait(qtbot, window, [scans])
    canvas = window.canvas
    canvas.zoom_to(1.0, QPointF(0, 0))
    canvas.offset = QPointF(0, 0)
    canvas.tools.brush_size = 6
    qtbot.keyClick(canvas, Qt.Key.Key_3)  # crack
    assert canvas.tools.layer == "damage:crack"
    _stroke(qtbot, canvas, (20, 30), (200, 30))
    qtbot.keyClick(canvas, Qt.Key.Key_1)  # scratch
    _stroke(qtbot, canvas, (50, 100), (50, 200))
    assert not doc.mask.any()  # the map is not the working mask
    crack = doc.damage["crack"].copy()
    assert crack[30, 100] and doc.damage["scratch"][150, 50]
    assert (
        doc.undo_stack.text(doc.undo_stack.index() - 1) == "Paint scratch (damage map)"
    )
    doc.undo_stack.undo()
    assert not doc.damage["scratch"].any()
    doc.undo_stack.redo()

    panel = window.damage_map
    qtbot.waitUntil(lambda: panel.table.item(2, 5).text() != "", timeout=3000)
    assert panel.table.item(2, 5).text() == f"{int(crack.sum()):,}"  # pixels
    assert panel.table.item(2, 3).text() == "1"  # one region
    assert panel.resolution.text() == "unknown resolution"

    # A run repairs the ticked kinds; the map stays as documentation.
    panel.repair_boxes["crack"].setChecked(True)
    panel.to_mask.click()
    assert np.array_equal(doc.mask, crack)
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea"}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=30000):
        window.run_tool()
    assert doc.damage["crack"][30, 100] and not doc.mask.any()

    out = tmp_path / "map"
    written = window.files.export_damage_map(out)
    names = sorted(p.name for p in written)
    assert names == [
        "scan_0.crack.png",
        "scan_0.damage.csv",
        "scan_0.damage.json",
        "scan_0.kinds.png",
        "scan_0.scratch.png",
    ]
    summary = json.loads((out / "scan_0.damage.json").read_text())
    assert [r["kind"] for r in summary["kinds"]] == ["scratch", "crack"]
    # It names the scan it maps (as it was read) and leaves protection apart.
    from restore_app.core.atomic import sha256_file

    assert summary["scan"]["file"] == "scan_0.png"
    assert summary["scan"]["sha256"] == sha256_file(doc.path)
    assert (summary["scan"]["width"], summary["scan"]["height"]) == (
        doc.width,
        doc.height,
    )
    assert summary["protected"] is None
    table = (out / "scan_0.damage.csv").read_text().splitlines()
    assert table[0].startswith("scan,scan_sha256,kind,")
    assert table[1].startswith(f"scan_0.png,{sha256_file(doc.path)},scratch,")
    # A folder that cannot be made: the error, and no word of success.
    (tmp_path / "afile").write_text("")
    errors, messages = [], []
    window.files.error.connect(errors.append)
    window.files.message.connect(messages.append)
    assert window.files.export_damage_map(tmp_path / "afile" / "map") == []
    assert len(errors) == 1 and "Exporting the damage map stopped" in errors[0]
    assert not any("written" in m for m in messages)

    window.session.flush()
    window.close()
    again = new_window(qtbot, settings)
    doc2 = open_and_wait(qtbot, again, [scans])
    assert np.array_equal(doc2.damage["crack"], crack)
    again.close()


def test_a_proposal_fills_the_map_by_kind(qtbot, window, scans):
    doc = open_and_wait(qtbot, window, [scans])
    prob = np.zeros(doc.mask.shape, np.uint8)
    kinds = np.zeros(doc.mask.shape, np.uint8)
    prob[10:20, 10:100] = 250
    kinds[10:20, 10:50] = kind("scratch").label
    kinds[10:20, 50:100] = kind("dust").label
    doc.propose(
        DamageProposal(prob, kinds, 0.5, {"detector_kinds": ["scratch", "dust"]})
    )
    window.damage_map.from_proposal.click()
    assert doc.damage["scratch"][15, 20] and doc.damage["dust"][15, 70]
    assert not doc.mask.any() and doc.proposal is not None
    doc.undo_stack.undo()
    assert not doc.damage["scratch"].any()


def test_the_damage_map_tab_opens_wide_enough_for_its_area_columns(
    qtbot, window, tmp_path
):
    from PySide6.QtWidgets import QDockWidget

    window.resize(1280, 800)  # a laptop's screen
    path = tmp_path / "scan.png"
    assert cv2.imwrite(str(path), np.full((300, 400, 3), 128, np.uint8))
    doc = open_and_wait(qtbot, window, [path])
    layer = np.zeros(doc.mask.shape, bool)
    layer[10:200, 10:390] = True
    doc.set_mask(layer, "Crack", layer_name("crack"))
    docks = {d.windowTitle(): d for d in window.findChildren(QDockWidget)}
    table = window.damage_map.table

    docks["Damage Map"].raise_()
    qtbot.waitUntil(lambda: docks["Damage Map"].isVisible())
    window.damage_map.refresh()
    qtbot.wait(50)
    assert table.horizontalHeader().length() <= table.viewport().width()
    assert not table.horizontalScrollBar().isVisible()

    # Back to the strip: the side goes back to the strip's width.
    docks["Images"].raise_()
    qtbot.waitUntil(lambda: docks["Images"].isVisible())
    qtbot.wait(50)
    assert docks["Images"].width() < docks["Damage Map"].sizeHint().width()


def test_a_layer_marked_after_opening_shows_on_the_canvas(qtbot, window, tmp_path):
    """A damage-map layer made after the image was opened (the first crack
    marked) is drawn in its colour, as the layers that were there before."""
    from PySide6.QtCore import QPointF

    path = tmp_path / "scan.png"
    assert cv2.imwrite(str(path), np.full((120, 160, 3), 128, np.uint8))
    doc = open_and_wait(qtbot, window, [path])
    layer = np.zeros(doc.mask.shape, bool)
    layer[40:80, 40:120] = True
    doc.set_mask(layer, "Crack", layer_name("crack"))
    qtbot.wait(100)
    shot = window.canvas.grab().toImage()
    at = window.canvas.to_widget(QPointF(80, 60))
    dpr = shot.devicePixelRatio()
    c = shot.pixelColor(int(at.x() * dpr), int(at.y() * dpr))
    crack = kind("crack").colour
    # Gray under a translucent blue: bluer than it is red.
    assert c.blue() - c.red() > 30, (c.getRgb(), crack)
