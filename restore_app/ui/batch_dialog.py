"""File ▸ Batch…: what to run over which images, with which model and strength,
into which folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from restore_app.core.naming import default_output_dir
from restore_app.core.tasks import RESTORE_TASKS, TASK_LABELS, task_options

TASKS = tuple(
    (str(t), TASK_LABELS[t] + (" (each image's mask)" if t == "inpaint" else ""))
    for t in RESTORE_TASKS
)


@dataclass(frozen=True)
class BatchChoice:
    """What the person chose: task, model, strength (None: automatic), images,
    output folder, and whether existing outputs are redone."""

    task: str
    restorer_id: str | None
    strength: float | None
    files: tuple[Path, ...]
    output_dir: Path
    overwrite: bool
    keep_tone: bool = False

    @property
    def options(self) -> dict[str, bool] | None:
        """The task's own options (colour's ``keep_tone``); None: none."""
        return task_options(self.task, keep_tone=self.keep_tone)


class BatchDialog(QDialog):
    def __init__(
        self,
        restorers: dict[str, list[Any]],
        defaults: dict[str, str],
        selected: list[Path],
        all_paths: list[Path],
        task: str = "inpaint",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch")
        self._restorers = restorers
        self._defaults = defaults
        self._selected = list(selected)
        self._all = list(all_paths)
        form = QFormLayout()

        self.task_combo = QComboBox()
        for key, label in TASKS:
            self.task_combo.addItem(label, key)
        self.task_combo.setCurrentIndex(max(0, self.task_combo.findData(task)))
        form.addRow("Task", self.task_combo)
        self.model_combo = QComboBox()
        form.addRow("Model", self.model_combo)

        self.auto_strength = QCheckBox("Automatic (measured in each image)")
        self.auto_strength.setChecked(True)
        self.strength = QSlider(Qt.Orientation.Horizontal)
        self.strength.setRange(0, 100)
        self.strength.setValue(60)
        self.strength_value = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.strength, 1)
        row.addWidget(self.strength_value)
        box = QVBoxLayout()
        box.addWidget(self.auto_strength)
        box.addLayout(row)
        form.addRow("Strength", box)
        self.keep_tone = QCheckBox("Keep each print's tone (sepia, selenium)")
        form.addRow("", self.keep_tone)

        self.only_selected = QRadioButton(f"The {len(selected)} selected images")
        self.every_image = QRadioButton(f"All {len(all_paths)} images of the folder")
        (self.only_selected if len(selected) > 1 else self.every_image).setChecked(True)
        self.only_selected.setEnabled(len(selected) > 1)
        images = QVBoxLayout()
        images.addWidget(self.only_selected)
        images.addWidget(self.every_image)
        form.addRow("Images", images)

        folder = all_paths[0].parent if all_paths else Path.home()
        self.output = QLineEdit(str(default_output_dir(folder)))
        self.output.setMinimumWidth(
            self.output.fontMetrics().horizontalAdvance("x" * 48)
        )
        self.output.setToolTip(
            "Outputs keep their scans' names; the folder is created if missing "
            "and may not be the scans' folder"
        )
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.output, 1)
        row.addWidget(browse)
        form.addRow("Output folder", row)
        self.overwrite = QCheckBox("Redo images whose output exists")
        form.addRow("", self.overwrite)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Run")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

        self.task_combo.currentIndexChanged.connect(self._on_task)
        self.auto_strength.toggled.connect(self._on_strength)
        self.strength.valueChanged.connect(self._on_strength)
        self._on_task()

    @property
    def task(self) -> str:
        return self.task_combo.currentData()

    def _on_task(self) -> None:
        self.model_combo.clear()
        for info in self._restorers.get(self.task, []):
            self.model_combo.addItem(f"{info.name} ({info.kind})", info.id)
        want = self._defaults.get(self.task)
        self.model_combo.setCurrentIndex(max(0, self.model_combo.findData(want)))
        self._on_strength()

    def _on_strength(self) -> None:
        self.keep_tone.setVisible(self.task == "color")
        inpaint = self.task == "inpaint"
        self.auto_strength.setEnabled(not inpaint)
        self.strength.setEnabled(not inpaint and not self.auto_strength.isChecked())
        if inpaint:
            self.strength_value.setText("–")
        elif self.auto_strength.isChecked():
            self.strength_value.setText("auto")
        else:
            self.strength_value.setText(f"{self.strength.value() / 100:.2f}")

    def _browse(self) -> None:
        # Qt's own dialog: it can make a new folder where the person wants one.
        chosen = QFileDialog.getExistingDirectory(
            self,
            "Output folder (outside the scans' folder)",
            str(Path(self.output.text()).parent),
            QFileDialog.Option.ShowDirsOnly | QFileDialog.Option.DontUseNativeDialog,
        )
        if chosen:
            self.output.setText(chosen)

    def choice(self) -> BatchChoice:
        files = self._selected if self.only_selected.isChecked() else self._all
        auto = self.auto_strength.isChecked() or self.task == "inpaint"
        return BatchChoice(
            task=self.task,
            restorer_id=self.model_combo.currentData(),
            strength=None if auto else self.strength.value() / 100.0,
            files=tuple(files),
            output_dir=Path(self.output.text()).expanduser(),
            overwrite=self.overwrite.isChecked(),
            keep_tone=self.keep_tone.isChecked(),
        )
