"""Models ▸ Add Model…: a checkpoint is checked, its task asked, the lists refreshed."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog


@pytest.fixture(autouse=True)
def models_dir(tmp_path: Path, monkeypatch) -> Path:
    folder = tmp_path / "models"
    monkeypatch.setenv("RESTORE_MODELS_DIR", str(folder))
    return folder


def tiny_nafnet(path: Path) -> Path:
    import torch
    from safetensors.torch import save_file
    from spandrel.architectures.NAFNet import NAFNet

    torch.manual_seed(0)
    net = NAFNet(width=8, middle_blk_num=1, enc_blk_nums=[1], dec_blk_nums=[1])
    save_file(net.state_dict(), str(path))
    return path


def answer_task_dialog(label_start: str, seen: list[str]) -> None:
    """Once the task question is up, pick the choice starting with ``label_start``."""

    def pick() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(20, pick)
            return
        seen.append(dialog.labelText())
        choice = next(i for i in dialog.comboBoxItems() if i.startswith(label_start))
        dialog.setTextValue(choice)
        dialog.accept()

    QTimer.singleShot(0, pick)


def test_the_models_menu_offers_add_model(window) -> None:
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    assert "&Add Model…" in [a.text() for a in menus["&Models"].actions()]


def test_adding_asks_the_task_and_refreshes_the_model_list(window, tmp_path) -> None:
    path = tiny_nafnet(tmp_path / "tiny-naf.safetensors")
    seen: list[str] = []
    answer_task_dialog("Deblur", seen)

    info = window.models.add_file(path)

    assert info is not None and (info.id, info.task) == ("user.tiny-naf", "deblur")
    assert "spandrel calls it a restoration model" in seen[0]
    assert "user.tiny-naf" in window.statusBar().currentMessage()
    tools = window.tools
    tools.task_combo.setCurrentIndex(tools.task_combo.findData("deblur"))
    assert tools.model_combo.findData("user.tiny-naf") >= 0


def test_a_refused_file_is_reported(window, tmp_path, models_dir) -> None:
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint at all" * 50)
    assert window.models.add_file(junk, task="denoise") is None
    assert window.last_error.startswith("junk.pth: cannot be loaded safely")
    assert "junk.pth" in window.statusBar().currentMessage()
    assert not models_dir.exists() or not any(models_dir.iterdir())
