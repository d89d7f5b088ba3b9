"""Models ▸ Get Models…: the catalogue, a download with progress and Cancel from
a local server (a tiny NAFNet of the real architecture), and the model in the
window's list, run on an image."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from pathlib import Path

import numpy as np
import pytest
from download_server import publish, serve_folder
from test_model_actions import tiny_nafnet
from ui_helpers import open_and_wait


@pytest.fixture(autouse=True)
def models_dir(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv("RESTORE_MODELS_DIR", str(folder))
    return folder


@pytest.fixture
def served(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "served"
    root.mkdir()
    path = tiny_nafnet(root / "tiny-naf.safetensors")
    publish(monkeypatch, path, hashlib.sha256(path.read_bytes()).hexdigest())
    return root


def _dialog(window):
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    (get,) = [a for a in menus["&Models"].actions() if a.text() == "&Get Models…"]
    get.trigger()
    dialog = window.get_models_dialog
    assert dialog.isVisible()
    return dialog


def test_a_catalogue_model_is_downloaded_listed_and_run(
    qtbot, window, served, monkeypatch, scans
) -> None:
    doc = open_and_wait(qtbot, window, sorted(scans.iterdir()))
    with serve_folder(served) as base:
        monkeypatch.setenv("RESTORE_DOWNLOAD_BASE", base)
        dialog = _dialog(window)
        names = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
        assert "Big LaMa (TorchScript)" in names and "Tiny NAFNet" in names
        row = names.index("Big LaMa (TorchScript)")
        published = dialog.table.item(row, 5).text()
        assert published.startswith("Published: ") and "paper" in published
        dialog.choose("tiny")
        assert (
            dialog.table.item(names.index("Tiny NAFNet"), 6).text() == "Not installed"
        )
        progress = []
        window.workspace.downloads.progressed.connect(lambda *a: progress.append(a))
        with qtbot.waitSignal(window.workspace.downloads.finished, timeout=30000):
            dialog.download_button.click()
            assert dialog.cancel_button.isEnabled()
    size = (served / "tiny-naf.safetensors").stat().st_size
    assert progress[-1] == ("tiny", size, size)
    assert dialog.table.item(names.index("Tiny NAFNet"), 6).text() == "Installed"
    assert not dialog.download_button.isEnabled()
    assert "user.tiny-naf" in dialog.status.text()
    listed = [i.id for i in window.workspace.restorers["denoise"]]
    assert "user.tiny-naf" in listed

    # Made the task's default in Preferences, it is what a run with the
    # default model uses, and the record names it.
    from restore_app.ui.preferences import PreferencesDialog

    prefs = PreferencesDialog(window.workspace, window)
    combo = prefs.model_combos["denoise"]
    combo.setCurrentIndex(combo.findData("user.tiny-naf"))
    prefs.accept()
    assert window.workspace.default_models()["denoise"] == "user.tiny-naf"
    before = doc.pixels.copy()
    window.workspace.tools.apply_task_settings(
        {"task": "denoise", "restorer": "", "auto_strength": False}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=60000):
        window.run_tool()
    assert doc.operations[-1]["restorer"] == "user.tiny-naf"
    assert not np.array_equal(doc.pixels, before)
    out = window.files.export_current()
    record = json.loads(out.with_name(out.name + ".json").read_text())
    assert record["operations"][0]["restorer"] == "user.tiny-naf"


def test_cancel_keeps_nothing_and_a_dead_line_says_so_in_one_line(
    qtbot, window, served, monkeypatch, models_dir
) -> None:
    stalled = threading.Event()
    with serve_folder(served, hold=stalled) as base:
        monkeypatch.setenv("RESTORE_DOWNLOAD_BASE", base)
        dialog = _dialog(window)
        dialog.choose("tiny")
        downloads = window.workspace.downloads
        with qtbot.waitSignal(downloads.progressed, timeout=30000):
            dialog.download_button.click()
        with qtbot.waitSignal(downloads.cancelled, timeout=30000):
            dialog.cancel_button.click()
            stalled.set()
    assert "cancelled; nothing was kept" in dialog.status.text()
    assert not models_dir.exists() or not any(models_dir.rglob("*.*"))
    assert dialog.download_button.isEnabled()

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("RESTORE_DOWNLOAD_BASE", f"http://127.0.0.1:{port}")
    with qtbot.waitSignal(downloads.failed, timeout=30000):
        dialog.download_button.click()
    message = dialog.status.text()
    assert "download failed" in message and "\n" not in message
