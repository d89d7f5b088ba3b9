"""Tools run through the real worker from the window."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from ui_helpers import open_and_wait


def _paint_rect(doc, x0, y0, x1, y1):
    mask = doc.mask.copy()
    mask[y0:y1, x0:x1] = True
    doc.set_mask(mask, "Paint mask")


def test_inpaint_changes_only_masked_pixels_records_and_clears(qtbot, window, scans):
    doc = open_and_wait(qtbot, window, [scans])
    before = doc.pixels.copy()
    _paint_rect(doc, 100, 80, 140, 90)
    mask = doc.mask.copy()
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea"}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=20000):
        qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    changed = (doc.pixels != before).any(axis=2)
    assert changed.any()
    assert not changed[~mask].any()
    assert np.array_equal(doc.repaired, mask)
    assert not doc.mask.any()
    assert doc.operations[-1]["restorer"] == "inpaint.telea"
    assert window.isWindowModified()
    assert doc.undo_stack.text(doc.undo_stack.index() - 1) == "Inpaint 1 region"

    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(doc.pixels, before)
    assert np.array_equal(doc.mask, mask)
    assert not doc.repaired.any() and not doc.operations
    qtbot.keyClick(window.canvas, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(doc.repaired, mask) and not doc.mask.any()


def test_heal_stroke_fills_on_release(qtbot, window, scans):
    doc = open_and_wait(qtbot, window, [scans])
    canvas = window.canvas
    canvas.zoom_to(1.0, QPointF(0, 0))
    canvas.offset = QPointF(0, 0)
    window.set_tool("heal")
    canvas.tools.brush_size = 6
    before = doc.pixels.copy()
    with qtbot.waitSignal(window.jobs.applied, timeout=20000):
        qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(50, 50))
        qtbot.mouseMove(canvas, QPoint(90, 60))
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(120, 70))
    changed = (doc.pixels != before).any(axis=2)
    assert changed.any()
    assert not changed[~doc.repaired].any()
    assert doc.repaired[60, 90] and not doc.repaired[100, 100]
    assert doc.undo_stack.text(doc.undo_stack.index() - 1) == "Heal"


def test_denoise_with_mask_stays_inside_it(qtbot, window, scans):
    doc = open_and_wait(qtbot, window, [scans])
    before = doc.pixels.copy()
    _paint_rect(doc, 20, 20, 120, 100)
    mask = doc.mask.copy()
    window.workspace.tools.apply_task_settings(
        {
            "task": "denoise",
            "restorer": "denoise.nlm",
            "strength": 1.0,
            "auto_strength": False,
        }
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=30000):
        window.run_tool()
    changed = (doc.pixels != before).any(axis=2)
    assert changed[mask].any()
    assert not changed[~mask].any()
    assert doc.mask.any()  # the mask stays for the next tool


def test_history_counts_the_strokes_painted_not_the_pieces_filled(qtbot, window, scans):
    doc = open_and_wait(qtbot, window, [scans])
    # Three strokes a few pixels apart: filled together, named apart.
    for y in (60, 70, 80):
        _paint_rect(doc, 40, y, 120, y + 4)
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea"}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=20000):
        window.run_tool()
    assert len(doc.operations[-1]["boxes"]) == 1
    assert doc.operations[-1]["regions"] == 3
    assert doc.undo_stack.text(doc.undo_stack.index() - 1) == "Inpaint 3 regions"


def test_history_says_which_strength_auto_chose(qtbot, window, scans):
    doc = open_and_wait(qtbot, window, [scans])
    settings = {"task": "denoise", "restorer": "denoise.nlm"}
    window.workspace.tools.apply_task_settings({**settings, "auto_strength": True})
    with qtbot.waitSignal(window.jobs.applied, timeout=30000):
        window.run_tool()
    chosen = doc.operations[-1]["params"]["strength"]
    text = doc.undo_stack.text(doc.undo_stack.index() - 1)
    assert text == f"Denoise image (auto strength {chosen:.2f})"
    assert window.history.item(window.history.count() - 1).text() == text
    # A strength the person set is theirs to know: the step is named as before.
    window.workspace.tools.apply_task_settings(
        {**settings, "auto_strength": False, "strength": 0.5}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=30000):
        window.run_tool()
    assert doc.undo_stack.text(doc.undo_stack.index() - 1) == "Denoise image"


def test_failing_job_shows_message_and_app_goes_on(qtbot, window, scans):
    doc = open_and_wait(qtbot, window, [scans])
    _paint_rect(doc, 10, 10, 30, 30)
    window.workspace.tools.apply_task_settings({"task": "inpaint"})
    window.tools.model_combo.addItem("Missing model", "inpaint.missing")
    window.tools.model_combo.setCurrentIndex(window.tools.model_combo.count() - 1)
    with qtbot.waitSignal(window.jobs.error, timeout=20000) as blocker:
        window.run_tool()
    assert "inpaint.missing" in blocker.args[0]
    assert "inpaint.missing" in window.statusBar().currentMessage()
    assert not window.progress.isVisible()
    # ... and the app goes on: the next job runs.
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea"}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=20000):
        window.run_tool()


def test_result_lands_on_the_image_it_was_started_for(qtbot, window, scans):
    first = open_and_wait(qtbot, window, [scans])
    before = first.pixels.copy()
    _paint_rect(first, 50, 50, 90, 70)
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea"}
    )
    window.run_tool()
    window.next_image()
    qtbot.waitUntil(lambda: window.doc is not first, timeout=10000)
    second = window.doc
    second_before = second.pixels.copy()
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=20000)
    assert not np.array_equal(first.pixels, before)
    assert np.array_equal(second.pixels, second_before)


def test_preview_shows_without_changing_the_image(qtbot, window, scans):
    doc = open_and_wait(qtbot, window, [scans])
    before = doc.pixels.copy()
    window.workspace.tools.apply_task_settings(
        {
            "task": "denoise",
            "restorer": "denoise.nlm",
            "strength": 1.0,
            "auto_strength": False,
        }
    )
    with qtbot.waitSignal(window.jobs.preview_ready, timeout=30000):
        window.preview_tool()
    assert window.canvas.preview is not None
    assert np.array_equal(doc.pixels, before)
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)
    assert window.canvas.preview is None


def test_a_result_never_lands_on_pixels_that_changed_while_it_ran(qtbot, window, scans):
    doc = open_and_wait(qtbot, window, [scans])
    original = doc.pixels.copy()
    _paint_rect(doc, 100, 80, 140, 90)
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea"}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=20000):
        window.run_tool()
    filled = doc.pixels.copy()
    # A slow job on the filled image, and an undo while it runs.
    window.workspace.tools.apply_task_settings(
        {"task": "denoise", "restorer": "denoise.nafnet", "auto_strength": False,
         "strength": 1.0}
    )  # fmt: skip
    messages = []
    window.jobs.message.connect(messages.append)
    window.run_tool()
    assert window.jobs.busy
    doc.undo_stack.undo()  # the fill undone while the denoiser reads the image
    assert np.array_equal(doc.pixels, original)
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=60000)
    assert np.array_equal(doc.pixels, original)  # the undone state stays
    assert doc.undo_stack.can_redo()  # and the fill can still be redone
    assert any("not applied: a step was undone while it ran" in m for m in messages)
    doc.undo_stack.redo()
    assert np.array_equal(doc.pixels, filled)


def test_the_window_and_the_command_line_give_the_same_pixels(
    qtbot, window, scans, tmp_path
):
    from restore_app.core.image import read_image
    from restore_app.core.masks import write_mask
    from restore_app.pipeline.files import restore_file

    doc = open_and_wait(qtbot, window, [scans])
    mask = np.zeros(doc.mask.shape, bool)
    mask[40:120, 30:200] = True
    mask[150:170, 250:300] = True
    write_mask(mask, tmp_path / "mask.png")
    for task, restorer in (("denoise", "denoise.nlm"), ("inpaint", "inpaint.ns")):
        before = doc.pixels.copy()
        doc.set_mask(mask, "Paint mask")
        window.workspace.tools.apply_task_settings(
            {"task": task, "restorer": restorer, "auto_strength": False,
             "strength": 0.7}
        )  # fmt: skip
        with qtbot.waitSignal(window.jobs.applied, timeout=60000):
            window.run_tool()
        out = tmp_path / f"{task}.png"
        restore_file(
            doc.path,
            out,
            task=task,
            mask=tmp_path / "mask.png",
            restorer_id=restorer,
            strength=0.7 if task != "inpaint" else None,
        )
        assert np.array_equal(read_image(out).pixels, doc.pixels), task
        doc.undo_stack.undo()
        assert np.array_equal(doc.pixels, before)


def test_a_result_lands_around_edits_made_while_it_ran(qtbot, scans, settings):
    """A fill queued behind another lands where nothing it read changed; a
    stroke queued over pixels changed meanwhile is dropped, never reverting
    them."""
    from ui_helpers import new_window, write_scan

    folder = scans.parent / "wide"
    folder.mkdir()
    write_scan(folder / "wide.png", size=(300, 1200))
    w = new_window(qtbot, settings)
    doc = open_and_wait(qtbot, w, [folder])
    original = doc.pixels.copy()
    # A whole-image fill at the left (the slow learned one), then a heal
    # stroke at the far right queued behind it: both read the image as it was.
    _paint_rect(doc, 40, 100, 140, 130)
    w.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.ffc"}
    )
    messages = []
    w.jobs.message.connect(messages.append)
    w.run_tool()
    w.jobs.heal(doc, [(1000.0, 150.0), (1100.0, 160.0)], 6.0)
    # ... and a second stroke over the first fill's pixels, queued too.
    w.jobs.heal(doc, [(60.0, 110.0), (120.0, 120.0)], 6.0)
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=120000)
    texts = [doc.undo_stack.text(i) for i in range(doc.undo_stack.count())]
    assert texts[-2:] == ["Inpaint 1 region", "Heal"]
    assert (doc.pixels[:, 900:] != original[:, 900:]).any()  # the far heal landed
    assert any("around the edits made while it ran" in m for m in messages)
    assert any("not applied: the image changed where it worked" in m for m in messages)
    # Undo takes back each result alone.
    filled = doc.pixels[:, :400].copy()
    doc.undo_stack.undo()
    assert np.array_equal(doc.pixels[:, 900:], original[:, 900:])
    assert np.array_equal(doc.pixels[:, :400], filled)
    w.close()


def test_the_texture_fill_says_what_it_is_for_and_fills_from_the_window(
    qtbot, window, scans
):
    doc = open_and_wait(qtbot, window, [scans])
    before = doc.pixels.copy()
    _paint_rect(doc, 60, 60, 100, 100)
    mask = doc.mask.copy()
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.exemplar"}
    )
    combo = window.tools.model_combo
    assert combo.currentData() == "inpaint.exemplar"
    assert "patches of the picture around it" in combo.toolTip()
    assert all(
        combo.itemData(i, Qt.ItemDataRole.ToolTipRole) for i in range(combo.count())
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=20000):
        qtbot.keyClick(window.canvas, Qt.Key.Key_Return)
    changed = (doc.pixels != before).any(axis=2)
    assert changed[mask].mean() > 0.5 and not changed[~mask].any()
    assert doc.operations[-1]["restorer"] == "inpaint.exemplar"
