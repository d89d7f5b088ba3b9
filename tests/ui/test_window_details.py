"""The window's details: quit warning, strength value, shortcuts, steady panels."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from ui_helpers import open_and_wait


def test_quit_warning_counts_only_real_changes(qtbot, window, scans, tmp_path):
    doc = open_and_wait(qtbot, window, [scans])
    mask = np.zeros(doc.mask.shape, bool)
    mask[50:60, 50:120] = True
    doc.set_mask(mask, "Paint mask")
    assert window.session.unexported_paths() == []  # a mask is no change to export
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea"}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=20000):
        window.run_tool()
    assert window.session.unexported_paths() == [doc.path]
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.session.unexported_paths() == []  # undone: nothing left to export
    qtbot.keyClick(window.canvas, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert window.session.unexported_paths() == [doc.path]
    window.files.write_derivative(doc, tmp_path / "out.png", overwrite=False)
    assert window.session.unexported_paths() == []
    qtbot.keyClick(window.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    # now it differs from the export
    assert window.session.unexported_paths() == [doc.path]


def test_after_a_restart_quit_counts_every_image_with_unexported_changes(
    qtbot, window, scans, settings
):
    from ui_helpers import new_window

    doc = open_and_wait(qtbot, window, [scans])
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea"}
    )
    for i in range(3):
        window.show_index(i)
        qtbot.waitUntil(lambda i=i: window.doc.path == window.session.paths[i])
        doc = window.doc
        mask = np.zeros(doc.mask.shape, bool)
        mask[50:60, 50:120] = True
        doc.set_mask(mask, "Paint mask")
        with qtbot.waitSignal(window.jobs.applied, timeout=20000):
            window.run_tool()
    assert len(window.session.unexported_paths()) == 3
    window.session.flush()
    window.close()
    again = new_window(qtbot, settings)
    again.open_paths([str(scans)])  # it reopens on the image last viewed
    qtbot.waitUntil(lambda: again.doc is not None, timeout=10000)
    assert len(again.session.docs) == 1  # only the image in view is read
    assert again.session.unexported_paths() == again.session.paths
    again.close()


def test_strength_value_and_steady_panels(qtbot, window, scans):
    open_and_wait(qtbot, window, [scans])
    tools = window.tools
    window.workspace.tools.apply_task_settings({"task": "inpaint"})
    height = tools.scope_label.height()
    buttons = [b.geometry() for b in tools.layer_buttons.values()]
    assert tools.strength_value.text() == "–"
    window.workspace.tools.apply_task_settings(
        {"task": "denoise", "auto_strength": False, "strength": 0.35}
    )
    qtbot.wait(50)
    assert tools.strength_value.text() == "0.35"
    tools.strength_slider.setValue(80)
    assert tools.strength_value.text() == "0.80"
    tools.auto_strength.setChecked(True)
    assert tools.strength_value.text() == "auto"
    assert tools.scope_label.height() == height
    assert [b.geometry() for b in tools.layer_buttons.values()] == buttons


def test_keyboard_shortcuts_lists_every_key(qtbot, window):
    from restore_app.ui.shortcuts_dialog import shortcut_rows

    window.show_shortcuts()
    dialog = window.shortcuts_dialog
    qtbot.waitExposed(dialog)
    rows = shortcut_rows(window.actions())
    assert dialog.table.rowCount() == len(rows)
    text = {dialog.table.item(i, 0).text(): dialog.table.item(i, 1).text()
            for i in range(dialog.table.rowCount())}  # fmt: skip
    assert text["Detect Damage"] == "Ctrl+D"
    assert text["Brush"] == "B"
    assert "Show the original" in text
    keyed = [a for a in window.actions() if not a.shortcut().isEmpty()]
    assert len(keyed) >= 30
    dialog.close()


def test_a_scan_still_loading_says_so(qtbot, window, scans):
    open_and_wait(qtbot, window, [scans])
    assert window.session.paths[1] not in window.session.docs
    window.show_index(1)  # read in the background: the canvas names it meanwhile
    assert window.canvas.loading == "scan_1.png"
    qtbot.waitUntil(lambda: window.doc.path.name == "scan_1.png", timeout=10000)
    assert window.canvas.loading == ""


def test_batch_dialog_choices_reach_the_batch(qtbot, window, scans):
    import json

    from PySide6.QtWidgets import QDialogButtonBox

    from restore_app.core.naming import default_output_dir

    open_and_wait(qtbot, window, [scans])
    progress = []
    window.service.progressed.connect(lambda _j, d, t: progress.append((d, t)))
    window.files.batch_dialog()
    dialog = window.files.dialog
    qtbot.waitExposed(dialog)
    assert dialog.output.text() == str(default_output_dir(scans.resolve()))
    assert not dialog.only_selected.isEnabled()  # one image selected: all of them
    dialog.task_combo.setCurrentIndex(dialog.task_combo.findData("denoise"))
    dialog.model_combo.setCurrentIndex(dialog.model_combo.findData("denoise.nlm"))
    dialog.auto_strength.setChecked(False)
    dialog.strength.setValue(40)
    assert dialog.strength_value.text() == "0.40"
    out = scans.parent / "new" / "restored"  # made when the batch starts
    dialog.output.setText(str(out))
    ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    with qtbot.waitSignal(window.service.finished, timeout=120000):
        ok.click()
    report = window.files.last_report
    assert len(report.done) == 3 and not report.failed
    record = json.loads((out / "scan_0.png.json").read_text())
    op = record["operations"][0]
    assert op["restorer"] == "denoise.nlm"
    assert op["params"]["strength"] == 0.4
    # progress moved within images, not only between them
    assert any(d % 1000 for d, _ in progress)


def test_memory_budget_preference_reaches_the_reader(qtbot, window, monkeypatch):
    import os

    from restore_app.core.image import memory_budget
    from restore_app.ui.preferences import PreferencesDialog

    monkeypatch.delenv("RESTORE_MEMORY_BUDGET", raising=False)
    monkeypatch.delenv("RESTORE_MEMORY_BUDGET_FROM", raising=False)
    default = memory_budget()
    dialog = PreferencesDialog(window.workspace, window)
    dialog.memory_spin.setValue(3)
    dialog.accept()
    assert memory_budget() == 3 * 1024**3
    assert int(window.settings.value("memory_budget_gb")) == 3
    dialog = PreferencesDialog(window.workspace, window)
    dialog.memory_spin.setValue(0)
    dialog.accept()
    assert memory_budget() == default
    assert "RESTORE_MEMORY_BUDGET" not in os.environ


def test_a_failed_autosave_is_shown_kept_unsaved_and_retried(qtbot, window, scans):
    doc = open_and_wait(qtbot, window, [scans])
    window.session.flush()
    entry = window.session.sidecar_for(doc.path).image_dir(doc.name)
    import shutil

    shutil.rmtree(entry, ignore_errors=True)
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text("a file where the image's folder belongs")  # writes now fail
    mask = np.zeros(doc.mask.shape, bool)
    mask[10:30, 10:60] = True
    doc.set_mask(mask, "Paint mask")
    window.session.save(doc)
    qtbot.waitUntil(lambda: window.unsaved.label.isVisible(), timeout=10000)
    assert "Could not save the work on scan_0.png" in window.last_error
    assert doc.path in window.session.unsaved
    assert "mask" in doc.dirty  # still to be saved
    entry.unlink()  # the disk is writable again
    window.session.save_all()
    qtbot.waitUntil(lambda: not window.unsaved.label.isVisible(), timeout=10000)
    assert (entry / "mask.png").is_file() and not window.session.unsaved
