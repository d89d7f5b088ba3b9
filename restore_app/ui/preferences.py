"""Edit ▸ Preferences: a dialog over the workspace's preferences and brush."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from restore_app.app.preferences import (
    DEFAULT_EXPORT_SUFFIX,
    SUFFIX_PATTERN,
    TILE_RANGE,
    Preferences,
    known_devices,
    valid_suffix,
)
from restore_app.app.workspace import Workspace
from restore_app.core.tasks import RESTORE_TASKS, TASK_LABELS

AUTOMATIC_LABEL = "Restore's default (automatic)"


class PreferencesDialog(QDialog):
    """Shows a copy of the preferences; OK gives the workspace the edited ones
    (and the brush), whose events make the running window follow them."""

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.setWindowTitle("Preferences")
        layout = QVBoxLayout(self)

        work = QGroupBox("Processing")
        form = QFormLayout(work)
        self.device_combo = QComboBox()
        self.device_combo.setToolTip("auto: a GPU when there is one, else the CPU")
        for device in known_devices(workspace.preferences.device):
            self.device_combo.addItem(device, device)
        self.tile_spin = QSpinBox()
        self.tile_spin.setRange(*TILE_RANGE)
        self.tile_spin.setSingleStep(128)
        self.tile_spin.setSuffix(" px")
        self.tile_spin.setToolTip(
            "Learned models work on tiles this size: smaller uses less memory"
        )
        self.memory_spin = QSpinBox()
        self.memory_spin.setRange(0, 4096)
        self.memory_spin.setSuffix(" GB")
        self.memory_spin.setSpecialValueText("half the memory")
        self.memory_spin.setToolTip(
            "The most memory one image may take to open and process; a larger "
            "one is refused before it is read"
        )
        form.addRow("Device", self.device_combo)
        form.addRow("Tile size", self.tile_spin)
        form.addRow("Memory per image", self.memory_spin)
        self.history_spin = QDoubleSpinBox()
        self.history_spin.setRange(0.01, 1024)
        self.history_spin.setDecimals(2)
        self.history_spin.setSuffix(" GB")
        self.history_spin.setToolTip(
            "Undo history kept on disk for each image, across restarts; past it the "
            "oldest steps go first"
        )
        form.addRow("Undo history per image", self.history_spin)
        self.operator_edit = QLineEdit()
        self.operator_edit.setToolTip("Your name, in the treatment record of exports")
        form.addRow("Operator", self.operator_edit)
        layout.addWidget(work)

        models = QGroupBox("Default model")
        form = QFormLayout(models)
        self.model_combos: dict[str, QComboBox] = {}
        for task in RESTORE_TASKS:
            combo = QComboBox()
            combo.addItem(AUTOMATIC_LABEL, "")
            for info in workspace.restorers.get(str(task), []):
                combo.addItem(f"{info.name} ({info.id})", info.id)
            self.model_combos[str(task)] = combo
            form.addRow(TASK_LABELS[task], combo)
        layout.addWidget(models)

        export = QGroupBox("Export")
        form = QFormLayout(export)
        self.output_edit = QLineEdit()
        self.output_edit.setPlaceholderText("Beside the scan")
        self.output_edit.setClearButtonEnabled(True)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._on_browse_clicked)
        row = QHBoxLayout()
        row.addWidget(self.output_edit, 1)
        row.addWidget(self.browse_button)
        self.suffix_edit = QLineEdit()
        self.suffix_edit.setPlaceholderText(DEFAULT_EXPORT_SUFFIX)
        self.suffix_edit.setValidator(
            QRegularExpressionValidator(QRegularExpression(SUFFIX_PATTERN), self)
        )
        self.example_label = QLabel()
        self.example_label.setStyleSheet("color: gray")
        self.suffix_edit.textChanged.connect(self._on_suffix_edit_text_changed)
        form.addRow("Output folder", row)
        form.addRow("Name suffix", self.suffix_edit)
        form.addRow(self.example_label)
        layout.addWidget(export)

        brush = QGroupBox("Brush")
        form = QFormLayout(brush)
        self.brush_size_spin = QSpinBox()
        self.brush_size_spin.setRange(1, 2000)
        self.brush_size_spin.setSuffix(" px")
        form.addRow("Size", self.brush_size_spin)
        layout.addWidget(brush)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._load()

    def _load(self) -> None:
        p = self.workspace.preferences
        self.device_combo.setCurrentIndex(self.device_combo.findData(p.device))
        self.tile_spin.setValue(p.tile_size)
        self.memory_spin.setValue(p.memory_budget_gb)
        self.history_spin.setValue(p.history_budget_gb)
        self.operator_edit.setText(p.operator)
        for task, combo in self.model_combos.items():
            combo.setCurrentIndex(max(0, combo.findData(p.models.get(task, ""))))
        self.output_edit.setText(p.output_dir)
        self.suffix_edit.setText(p.export_suffix)
        tools = self.workspace.tools
        self.brush_size_spin.setValue(round(tools.brush_size))
        self._on_suffix_edit_text_changed()

    def values(self) -> Preferences:
        """The preferences as edited."""
        p = self.workspace.preferences.copy()
        p.device = self.device_combo.currentData()
        p.tile_size = self.tile_spin.value()
        p.memory_budget_gb = self.memory_spin.value()
        p.history_budget_gb = self.history_spin.value()
        p.operator = self.operator_edit.text().strip()
        p.output_dir = self.output_edit.text().strip()
        p.export_suffix = valid_suffix(self.suffix_edit.text())
        p.models = {
            task: combo.currentData()
            for task, combo in self.model_combos.items()
            if combo.currentData()
        }
        return p

    def accept(self) -> None:
        self.workspace.preferences.update_from(self.values())
        self.workspace.tools.set_brush(self.brush_size_spin.value())
        super().accept()

    def _on_browse_clicked(self) -> None:
        start = self.output_edit.text().strip() or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Export into", start)
        if folder:
            self.output_edit.setText(folder)

    def _on_suffix_edit_text_changed(self, _text: str = "") -> None:
        suffix = self.suffix_edit.text().strip(".") or DEFAULT_EXPORT_SUFFIX
        self.example_label.setText(f"Export writes scan.tif as scan.{suffix}.tif")
