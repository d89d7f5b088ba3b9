"""Models menu work: adding a checkpoint a person already has.

Adding only reads and checks weights (a second or so), so it runs on the GUI
thread; the tools panel's model lists are refreshed when it succeeds.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from restore_app.core.errors import RestoreError

if TYPE_CHECKING:
    from restore_app.models.base import RestorerInfo

MODEL_FILTER = "Models (*.safetensors *.pth *.pt *.ckpt *.bin);;All files (*)"
#: The tasks offered when a checkpoint does not say its own, by what they mean.
TASK_CHOICES = {
    "Denoise (noise, grain, JPEG artefacts)": "denoise",
    "Deblur (sharpen)": "deblur",
    "Inpaint (fill masked damage)": "inpaint",
}


class ModelActions(QObject):
    """Models ▸ Add Model…: check a checkpoint and copy it to the model folder."""

    model_added = Signal(object)  # RestorerInfo
    message = Signal(str)  # a line for the status bar
    error = Signal(str)  # a refusal to show to the person

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.parent_widget = parent

    def add_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.parent_widget, "Add a model", str(Path.home()), MODEL_FILTER
        )
        if path:
            self.add_file(path)

    def add_file(
        self, path: str | Path, *, task: str | None = None, overwrite: bool = False
    ) -> RestorerInfo | None:
        """Add ``path``, asking for its task or a replacement where needed.

        Returns the added model, or None when it was refused or the person
        declined; refusals are shown in a message box and the status bar.
        """
        from restore_app.models.user_models import (
            ModelExistsError,
            TaskNeededError,
            add_model,
            user_model_id,
        )

        try:
            info = add_model(path, task=task, overwrite=overwrite)
        except TaskNeededError as exc:
            chosen = self._ask_task(str(exc))
            if chosen is None:
                self.message.emit("Model not added")
                return None
            return self.add_file(path, task=chosen, overwrite=overwrite)
        except ModelExistsError:
            answer = QMessageBox.question(
                self.parent_widget,
                "Replace model?",
                f"A model '{user_model_id(path)}' already exists.\n\nReplace it?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return None
            return self.add_file(path, task=task, overwrite=True)
        except RestoreError as exc:
            self.error.emit(str(exc))
            return None
        self.message.emit(f"Added model {info.name} ({info.id}) for {info.task}")
        self.model_added.emit(info)
        return info

    def _ask_task(self, why: str) -> str | None:
        labels = list(TASK_CHOICES)
        label, ok = QInputDialog.getItem(
            self.parent_widget,
            "What does this model do?",
            f"{why.split(': say')[0]}.\nChoose what it was trained for:",
            labels,
            0,
            False,
        )
        return TASK_CHOICES[label] if ok and label in TASK_CHOICES else None
