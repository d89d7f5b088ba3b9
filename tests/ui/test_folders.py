"""Folders: moving between images, the sidecar, surviving a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from ui_helpers import new_window, open_and_wait

DRIVER = Path(__file__).with_name("crash_driver.py")


def _paint(doc, x0, y0, x1, y1):
    mask = doc.mask.copy()
    mask[y0:y1, x0:x1] = True
    doc.set_mask(mask, "Paint mask")


def test_each_image_keeps_its_mask_and_history(qtbot, window, scans):
    first = open_and_wait(qtbot, window, [scans])
    _paint(first, 10, 10, 40, 40)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.doc is not first, timeout=10000)
    second = window.doc
    assert second.path.name == "scan_1.png" and not second.mask.any()
    _paint(second, 100, 100, 120, 130)
    qtbot.keyClick(window.canvas, Qt.Key.Key_PageUp)
    qtbot.waitUntil(lambda: window.doc is first, timeout=10000)
    assert first.mask[10:40, 10:40].all() and first.mask.sum() == 900
    assert window.history.stack is first.undo_stack
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not first.mask.any()
    assert second.mask.sum() == 600
    assert window.folder_panel.status_of(1) == "edited"


def test_reopening_the_folder_restores_masks(qtbot, settings, scans):

    w = new_window(qtbot, settings)
    doc = open_and_wait(qtbot, w, [scans])
    _paint(doc, 5, 6, 50, 60)
    w.show_index(2)
    qtbot.waitUntil(lambda: w.doc is not doc, timeout=10000)
    _paint(w.doc, 200, 100, 230, 140)
    w.close()

    sidecar = scans / ".restore" / "images"
    assert (sidecar / "scan_0.png" / "mask.png").exists()
    assert (sidecar / "scan_2.png" / "mask.png").exists()

    w2 = new_window(qtbot, settings)
    # The folder opens again on the image last viewed in it.
    w2.open_paths([str(scans)])
    qtbot.waitUntil(
        lambda: w2.doc is not None and w2.doc.path.name == "scan_2.png", timeout=10000
    )
    assert w2.folder_panel.currentRow() == 2
    assert w2.doc.mask.sum() == 30 * 40
    assert w2.folder_panel.status_of(0) == "edited"
    assert w2.folder_panel.status_of(1) == "untouched"
    w2.show_index(0)
    qtbot.waitUntil(lambda: w2.doc.path.name == "scan_0.png", timeout=10000)
    again = w2.doc
    assert again.mask.sum() == 45 * 54 and again.mask[6:60, 5:50].all()
    w2.close()


def test_killed_app_comes_back_with_stroke_and_fill(qtbot, window, scans, tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env["RESTORE_SETTINGS"] = str(tmp_path / "driver.ini")
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), str(scans)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(__file__).parents[2],
    )
    try:
        deadline = time.monotonic() + 60
        line = ""
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith("SAVED") or not line:
                break
        assert line.startswith("SAVED"), proc.stderr.read()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    state = dict(kv.split("=") for kv in line.split()[1:])
    doc = open_and_wait(qtbot, window, [scans])
    # The fill (inpaint of the first mask) and the stroke painted after it.
    assert doc.repaired.sum() == int(state["repaired"])
    assert doc.mask.sum() == int(state["mask"]) > 0
    assert int(state["changed"]) > 0
    original = doc.original_region(0, 0, doc.width, doc.height)
    assert int((doc.pixels != original).any(axis=2).sum()) == int(state["changed"])
    assert doc.operations and doc.operations[-1]["restorer"] == "inpaint.telea"


def test_a_stroke_survives_a_kill_right_after_it(qtbot, window, scans, tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ)
    env["RESTORE_SETTINGS"] = str(tmp_path / "child.ini")
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(Path(__file__).parents[2]), env.get("PYTHONPATH")])
    )
    proc = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("kill_after_stroke.py")),
            str(scans),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == -9, proc.stderr
    painted = int(proc.stdout.split("STROKE")[1].split()[0])
    assert painted > 0
    # No autosave ran: only the journal holds the stroke.
    entry = scans / ".restore" / "images" / "scan_0.png"
    assert not (entry / "mask.png").exists()
    assert list(entry.glob("journal.*.bin"))

    doc = open_and_wait(qtbot, window, [scans])
    assert int(doc.mask.sum()) == painted
    assert doc.mask[100, 60:180].all()
    window.session.flush()
    assert (entry / "mask.png").exists() and not list(entry.glob("journal.*.bin"))


def test_the_undo_history_survives_a_restart(qtbot, settings, scans):

    w = new_window(qtbot, settings)
    doc = open_and_wait(qtbot, w, [scans])
    original = doc.pixels.copy()
    _paint(doc, 10, 10, 40, 40)
    _paint(doc, 100, 50, 200, 60)
    w.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea"}
    )
    with qtbot.waitSignal(w.jobs.applied, timeout=20000):
        w.run_tool()
    filled = doc.pixels.copy()
    assert (filled != original).any()
    doc.undo_stack.undo()  # the fill undone: it stays a redo step
    w.session.flush()
    w.close()

    w2 = new_window(qtbot, settings)
    w2.open_paths([str(scans)])
    qtbot.waitUntil(lambda: w2.doc is not None and w2.doc.path.name == "scan_0.png")
    again = w2.doc
    stack = again.undo_stack
    assert (stack.count(), stack.index()) == (3, 2)
    assert [stack.text(i) for i in range(3)] == [
        "Paint mask",
        "Paint mask",
        "Inpaint 2 regions",
    ]
    assert np.array_equal(again.pixels, original)
    stack.redo()
    assert np.array_equal(again.pixels, filled) and not again.mask.any()
    stack.undo()
    stack.undo()
    stack.undo()
    assert not again.mask.any() and np.array_equal(again.pixels, original)
    assert w2.history.item(0).text() == "Opened"
    # A new step after undoing replaces the steps it undid, on disk too.
    _paint(again, 5, 5, 8, 8)
    w2.session.flush()
    w2.close()
    w3 = new_window(qtbot, settings)
    w3.open_paths([str(scans)])
    qtbot.waitUntil(lambda: w3.doc is not None and w3.doc.path.name == "scan_0.png")
    stack = w3.doc.undo_stack
    assert (stack.count(), stack.index()) == (1, 1)
    w3.close()


def test_past_its_budget_the_oldest_history_goes_first(qtbot, settings, scans):

    settings.setValue("history_budget_gb", 2e-6)  # about 2 KB
    w = new_window(qtbot, settings)
    doc = open_and_wait(qtbot, w, [scans])
    rng = np.random.default_rng(0)
    for _ in range(40):
        mask = rng.random(doc.mask.shape) < 0.3  # noisy masks: big steps
        doc.set_mask(mask, "Paint mask")
    w.session.flush()
    w.close()
    w2 = new_window(qtbot, settings)
    w2.open_paths([str(scans)])
    qtbot.waitUntil(lambda: w2.doc is not None and w2.doc.path.name == "scan_0.png")
    stack = w2.doc.undo_stack
    assert 0 < stack.count() < 40 and stack.index() == stack.count()
    assert w2.doc.history_dropped
    assert w2.history.item(0).text() == "Earlier steps not kept (history budget)"
    w2.close()
