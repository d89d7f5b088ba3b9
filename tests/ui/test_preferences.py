"""Edit ▸ Preferences: saved to the settings, applied by the running window, and read
back by the next one."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtGui import QKeySequence
from ui_helpers import open_and_wait

from restore_app.app.workspace import Workspace
from restore_app.models.registry import default_restorer_id, list_restorers
from restore_app.ui.preferences import AUTOMATIC_LABEL, PreferencesDialog


def _other_model(task: str) -> str:
    """An id for ``task`` that is not its best measured default."""
    best = default_restorer_id(task)
    return next(info.id for info in list_restorers(task) if info.id != best)


def _open_from_menu(qtbot, window) -> PreferencesDialog:
    action = next(a for a in window.actions() if a.text() == "&Preferences…")
    assert action.shortcut() == QKeySequence(QKeySequence.StandardKey.Preferences)
    action.trigger()
    dialogs = window.findChildren(PreferencesDialog)
    dialog = next(d for d in dialogs if d.isVisible())
    qtbot.waitExposed(dialog)
    return dialog


def test_the_dialog_lists_every_choice_and_cancel_saves_nothing(qtbot, settings):
    dialog = PreferencesDialog(Workspace(settings))
    qtbot.addWidget(dialog)
    devices = [
        dialog.device_combo.itemData(i) for i in range(dialog.device_combo.count())
    ]
    assert devices == ["auto", "cpu", "cuda", "mps"]
    assert (dialog.tile_spin.minimum(), dialog.tile_spin.maximum()) == (128, 4096)
    for task, combo in dialog.model_combos.items():
        assert combo.itemText(0) == AUTOMATIC_LABEL and combo.currentIndex() == 0
        ids = [combo.itemData(i) for i in range(1, combo.count())]
        assert ids == [info.id for info in list_restorers(task)]
    # Today's Export name, until the person changes it.
    assert dialog.suffix_edit.text() == "restored"
    assert dialog.output_edit.text() == ""

    dialog.tile_spin.setValue(256)
    dialog.reject()
    assert settings.value("tile_size") is None


def test_ok_saves_and_the_window_applies_it(qtbot, window, scans, tmp_path):
    doc = open_and_wait(qtbot, window, [scans])
    window.workspace.tools.apply_task_settings({"task": "denoise"})
    denoise_default = window.tools.model_combo.currentData()
    assert denoise_default == default_restorer_id("denoise")

    dialog = _open_from_menu(qtbot, window)
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    new_denoise = _other_model("denoise")
    dialog.device_combo.setCurrentIndex(dialog.device_combo.findData("cpu"))
    dialog.tile_spin.setValue(256)
    dialog.model_combos["denoise"].setCurrentIndex(
        dialog.model_combos["denoise"].findData(new_denoise)
    )
    dialog.output_edit.setText(str(out_dir))
    dialog.suffix_edit.setText("clean")
    dialog.brush_size_spin.setValue(57)
    dialog.accept()

    s = window.settings
    assert s.value("device") == "cpu"
    assert int(s.value("tile_size")) == 256
    assert s.value("models/denoise") == new_denoise
    assert s.value("output_dir") == str(out_dir)
    assert s.value("export_suffix") == "clean"
    assert float(s.value("brush/size")) == 57.0

    assert (window.jobs.device, window.jobs.tile_size) == ("cpu", 256)
    assert window.canvas.tools.brush_size == 57.0
    assert window.tools.size_spin.value() == 57
    # The denoise model still showed the old default, so it follows the new one.
    assert window.tools.model_combo.currentData() == new_denoise

    out = window.files.export_current()
    assert out == out_dir / f"{doc.path.stem}.clean.png"
    assert out.is_file() and not (scans / f"{doc.path.stem}.restored.png").exists()


def test_a_picked_model_stays_and_automatic_removes_the_key(qtbot, window):
    others = [i.id for i in list_restorers("inpaint")]
    others.remove(default_restorer_id("inpaint"))
    picked, preferred = others[:2]
    # The person picked a model themselves: a new default must not undo that.
    window.workspace.tools.apply_task_settings({"task": "inpaint", "restorer": picked})

    dialog = _open_from_menu(qtbot, window)
    combo = dialog.model_combos["inpaint"]
    combo.setCurrentIndex(combo.findData(preferred))
    dialog.accept()
    assert window.settings.value("models/inpaint") == preferred
    assert window.tools.model_combo.currentData() == picked

    dialog = _open_from_menu(qtbot, window)
    assert dialog.model_combos["inpaint"].currentData() == preferred
    dialog.model_combos["inpaint"].setCurrentIndex(0)
    dialog.accept()
    # No key: the best measured model, whatever is installed later.
    assert window.settings.value("models/inpaint") is None
    assert window.tools.model_combo.currentData() == picked


def test_a_new_window_reads_what_preferences_saved(qtbot, window, tmp_path):
    dialog = _open_from_menu(qtbot, window)
    dialog.device_combo.setCurrentIndex(dialog.device_combo.findData("cpu"))
    dialog.tile_spin.setValue(1024)
    new_deblur = _other_model("deblur")
    dialog.model_combos["deblur"].setCurrentIndex(
        dialog.model_combos["deblur"].findData(new_deblur)
    )
    dialog.suffix_edit.setText("v2.final")
    dialog.brush_size_spin.setValue(80)
    dialog.accept()
    window.close()

    from restore_app.ui.main_window import MainWindow

    reread = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    second = MainWindow(reread)
    second.ask_on_close = False
    qtbot.addWidget(second)
    assert (second.jobs.device, second.jobs.tile_size) == ("cpu", 1024)
    assert second.canvas.tools.brush_size == 80.0
    second.workspace.tools.apply_task_settings({"task": "deblur"})
    assert second.tools.model_combo.currentData() == new_deblur
    again = PreferencesDialog(second.workspace, second)
    assert again.suffix_edit.text() == "v2.final"
    assert again.tile_spin.value() == 1024
    second.close()
