"""Save a copy, export, batch from the window, and closing with unsaved work."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox
from ui_helpers import open_and_wait, write_scan

from restore_app.core.image import read_image
from restore_app.core.record import sha256_file


def _inpaint_a_box(qtbot, window, doc) -> None:
    mask = doc.mask.copy()
    mask[100:110, 60:140] = True
    doc.set_mask(mask, "Paint mask")
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea"}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=20000):
        window.run_tool()


def _close_message(window) -> str:
    """Close the window's open message box (it blocks input to the window)."""
    box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    text = box.text()
    box.close()
    return text


def _check_record(out: Path, source: Path, source_sha: str) -> dict:
    record = json.loads(out.with_name(out.name + ".json").read_text("utf-8"))
    assert record["source"]["sha256"] == source_sha
    assert Path(record["source"]["path"]) == source
    assert record["output"]["sha256"] == sha256_file(out)
    assert record["operations"][0]["restorer"] == "inpaint.telea"
    return record


def test_export_writes_a_16_bit_derivative_and_its_record(qtbot, window, tmp_path):
    scans = tmp_path / "deep"
    scans.mkdir()
    write_scan(scans / "print.png", depth=16)
    source = (scans / "print.png").resolve()
    source_sha = sha256_file(source)
    doc = open_and_wait(qtbot, window, [scans])
    _inpaint_a_box(qtbot, window, doc)
    assert window.isWindowModified()
    assert window.folder_panel.status_of(0) == "edited"

    qtbot.keyClick(window.canvas, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)

    # Beside the scans, not among them (where it would be taken for a scan).
    out = tmp_path / "deep-restored" / "print.restored.png"
    written = read_image(out)
    assert written.dtype == np.uint16
    assert np.array_equal(written.pixels, doc.pixels)
    assert sha256_file(source) == source_sha  # the original is never written
    record = _check_record(out, source, source_sha)
    assert record["operations"][-1]["task"] == "damage-record"
    assert not window.isWindowModified()
    assert window.folder_panel.status_of(0) == "exported"
    window.session.flush()
    assert window.session.sidecar_for(source).statuses() == {"print.png": "exported"}
    # Saved among the scans, an export is still not taken for a scan.
    copy = scans / "print.copy.png"
    window.files.write_derivative(doc, copy, overwrite=False)
    window.open_paths([str(scans)])
    qtbot.waitUntil(lambda: window.session.paths == [source], timeout=5000)


def test_save_a_copy_writes_where_chosen_never_over_the_original(
    qtbot, window, scans, tmp_path, monkeypatch
):
    doc = open_and_wait(qtbot, window, [scans])
    source_sha = sha256_file(doc.path)
    _inpaint_a_box(qtbot, window, doc)
    chosen = {"name": str(doc.path)}
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (chosen["name"], "")
    )
    save_copy = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier

    qtbot.keyClick(window.canvas, Qt.Key.Key_S, save_copy)
    assert "never overwritten" in window.last_error
    assert sha256_file(doc.path) == source_sha
    assert window.isWindowModified()
    _close_message(window)

    out = tmp_path / "copies" / "scan_0 repaired.tif"
    out.parent.mkdir()
    chosen["name"] = str(out)
    qtbot.keyClick(window.canvas, Qt.Key.Key_S, save_copy)
    written = read_image(out)
    assert written.dtype == np.uint8 and written.meta.source_format == "TIFF"
    assert np.array_equal(written.pixels, doc.pixels)
    _check_record(out, doc.path, source_sha)
    assert sha256_file(doc.path) == source_sha
    assert window.folder_panel.status_of(0) == "exported"
    assert not window.isWindowModified()


def test_batch_from_the_window_reports_progress_and_outcomes(
    qtbot, window, scans, tmp_path
):
    doc = open_and_wait(qtbot, window, [scans])
    mask = doc.mask.copy()
    mask[50:60, 40:120] = True
    doc.set_mask(mask, "Paint mask")
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea"}
    )
    progress: list[tuple[int, int]] = []
    window.service.progressed.connect(lambda _j, d, t: progress.append((d, t)))
    out_dir = tmp_path / "out"

    with qtbot.waitSignal(window.service.finished, timeout=30000):
        window.files.start_batch("inpaint", out_dir)
        assert window.progress.isVisible() and window.cancel_button.isVisible()

    report = window.files.last_report
    assert [p.name for p in report.done] == ["scan_0.png"]
    assert sorted((p.name, why) for p, why in report.skipped) == [
        ("scan_1.png", "no mask"),
        ("scan_2.png", "no mask"),
    ]
    assert not report.failed
    result = read_image(out_dir / "scan_0.png").pixels
    changed = (result != doc.pixels).any(axis=2)
    assert changed.any() and not changed[~mask].any()
    assert (out_dir / "scan_0.png.json").is_file()
    # In thousandths of an image: progress moves within each image too.
    assert progress and progress[-1][0] == progress[-1][1] == 3000
    assert _close_message(window).startswith("Done: 1, skipped: 2, failed: 0")
    qtbot.waitUntil(lambda: not window.progress.isVisible(), timeout=5000)


def test_batch_denoise_of_selected_images(qtbot, window, scans, tmp_path):
    open_and_wait(qtbot, window, [scans])
    out_dir = tmp_path / "out"
    files = [p for p in window.session.paths if p.name != "scan_1.png"]
    with qtbot.waitSignal(window.service.finished, timeout=30000):
        window.workspace.tools.apply_task_settings(
            {"task": "denoise", "restorer": "denoise.nlm"}
        )
        window.files.start_batch("denoise", out_dir, files)
    report = window.files.last_report
    assert sorted(p.name for p in report.done) == ["scan_0.png", "scan_2.png"]
    outputs = sorted(p.name for p in out_dir.glob("*.png"))
    assert outputs == ["scan_0.png", "scan_2.png"]
    record = json.loads((out_dir / "scan_2.png.json").read_text("utf-8"))
    assert record["operations"][0]["restorer"] == "denoise.nlm"


def test_closing_with_unsaved_work_asks_and_cancel_keeps_the_window(
    qtbot, window, scans, monkeypatch
):
    doc = open_and_wait(qtbot, window, [scans])
    _inpaint_a_box(qtbot, window, doc)
    asked: list[str] = []

    def answer(button):
        def question(_parent, _title, text, *_a, **_k):
            asked.append(text)
            return button

        return question

    window.ask_on_close = True
    monkeypatch.setattr(
        QMessageBox, "question", answer(QMessageBox.StandardButton.Cancel)
    )
    assert not window.close()
    assert window.isVisible() and window.doc is doc
    assert len(asked) == 1 and "scan_0.png" in asked[0]
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    assert not window.close()
    assert window.isVisible() and len(asked) == 2
    window.ask_on_close = False  # the fixture closes it for real


def test_closing_with_everything_exported_does_not_ask(
    qtbot, window, scans, monkeypatch
):
    doc = open_and_wait(qtbot, window, [scans])
    _inpaint_a_box(qtbot, window, doc)
    window.files.export_current()
    window.ask_on_close = True

    def question(*_a, **_k):
        raise AssertionError("asked although nothing is unsaved")

    monkeypatch.setattr(QMessageBox, "question", question)
    assert window.close()
