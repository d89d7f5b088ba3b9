"""Edit ▸ Preferences: the settings the window reads, edited in one place."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRegularExpression, QSettings, Signal
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

if TYPE_CHECKING:
    from restore_app.ui.main_window import MainWindow

DEVICES = ("auto", "cpu", "cuda", "mps")
TASKS = (("inpaint", "Inpaint"), ("denoise", "Denoise"), ("deblur", "Deblur"))
TILE_RANGE = (128, 4096)
DEFAULT_TILE_SIZE = 512
DEFAULT_EXPORT_SUFFIX = "restored"
DEFAULT_BRUSH_SIZE = 24.0
DEFAULT_BRUSH_HARDNESS = 0.8
AUTOMATIC_LABEL = "Best measured (automatic)"
# Letters, digits, "-" and "_", in dot-separated parts: the suffix lands inside a
# file name, so nothing that could make a path or an extension-less name.
_SUFFIX_PATTERN = r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*"


def export_suffix(settings: QSettings) -> str:
    """The "<suffix>" of "<name>.<suffix>.<ext>" that Export writes."""
    value = str(settings.value("export_suffix", "") or "").strip().strip(".")
    matcher = QRegularExpression(f"^{_SUFFIX_PATTERN}$")
    return value if matcher.match(value).hasMatch() else DEFAULT_EXPORT_SUFFIX


def _float(settings: QSettings, key: str, default: float) -> float:
    try:
        return float(settings.value(key, default))
    except (TypeError, ValueError):
        return default


def _int(settings: QSettings, key: str, default: int) -> int:
    try:
        return int(settings.value(key, default))
    except (TypeError, ValueError):
        return default


class PreferencesDialog(QDialog):
    """Reads from and, on OK, writes to the window's QSettings; nothing else."""

    saved = Signal()  # the settings were written; the window applies them

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Preferences")
        layout = QVBoxLayout(self)

        work = QGroupBox("Processing")
        form = QFormLayout(work)
        self.device_combo = QComboBox()
        self.device_combo.setToolTip("auto: a GPU when there is one, else the CPU")
        for device in DEVICES:
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
        from restore_app.models.registry import list_restorers

        for task, label in TASKS:
            combo = QComboBox()
            combo.addItem(AUTOMATIC_LABEL, "")
            for info in list_restorers(task):
                combo.addItem(f"{info.name} ({info.id})", info.id)
            self.model_combos[task] = combo
            form.addRow(label, combo)
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
            QRegularExpressionValidator(QRegularExpression(_SUFFIX_PATTERN), self)
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
        self.brush_hardness_spin = QSpinBox()
        self.brush_hardness_spin.setRange(0, 100)
        self.brush_hardness_spin.setSuffix(" %")
        form.addRow("Size", self.brush_size_spin)
        form.addRow("Hardness", self.brush_hardness_spin)
        layout.addWidget(brush)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._load()

    def _load(self) -> None:
        s = self.settings
        device = str(s.value("device", "auto") or "auto")
        if self.device_combo.findData(device) < 0:
            # A device written by hand ("cuda:1") stays choosable, not silently lost.
            self.device_combo.addItem(device, device)
        self.device_combo.setCurrentIndex(self.device_combo.findData(device))
        self.tile_spin.setValue(_int(s, "tile_size", DEFAULT_TILE_SIZE))
        self.memory_spin.setValue(_int(s, "memory_budget_gb", 0))
        self.history_spin.setValue(_float(s, "history_budget_gb", 1.0))
        self.operator_edit.setText(str(s.value("operator", "") or ""))
        for task, combo in self.model_combos.items():
            saved = str(s.value(f"models/{task}", "") or "")
            combo.setCurrentIndex(max(0, combo.findData(saved)))
        self.output_edit.setText(str(s.value("output_dir", "") or ""))
        self.suffix_edit.setText(export_suffix(s))
        self.brush_size_spin.setValue(
            round(_float(s, "brush/size", DEFAULT_BRUSH_SIZE))
        )
        self.brush_hardness_spin.setValue(
            round(_float(s, "brush/hardness", DEFAULT_BRUSH_HARDNESS) * 100)
        )
        self._on_suffix_edit_text_changed()

    def values(self) -> dict[str, Any]:
        """What OK writes, by QSettings key."""
        values: dict[str, Any] = {
            "device": self.device_combo.currentData(),
            "tile_size": self.tile_spin.value(),
            "memory_budget_gb": self.memory_spin.value(),
            "history_budget_gb": self.history_spin.value(),
            "operator": self.operator_edit.text().strip(),
            "output_dir": self.output_edit.text().strip(),
            "export_suffix": self.suffix_edit.text().strip(".")
            or DEFAULT_EXPORT_SUFFIX,
            "brush/size": float(self.brush_size_spin.value()),
            "brush/hardness": self.brush_hardness_spin.value() / 100.0,
        }
        for task, combo in self.model_combos.items():
            values[f"models/{task}"] = combo.currentData() or ""
        return values

    def accept(self) -> None:
        for key, value in self.values().items():
            if key.startswith("models/") and not value:
                # No key means "the best measured one", whatever is installed later.
                self.settings.remove(key)
            else:
                self.settings.setValue(key, value)
        self.settings.sync()
        self.saved.emit()
        super().accept()

    def _on_browse_clicked(self) -> None:
        start = self.output_edit.text().strip() or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Export into", start)
        if folder:
            self.output_edit.setText(folder)

    def _on_suffix_edit_text_changed(self, _text: str = "") -> None:
        suffix = self.suffix_edit.text().strip(".") or DEFAULT_EXPORT_SUFFIX
        self.example_label.setText(f"Export writes scan.tif as scan.{suffix}.tif")


def history_budget(settings: QSettings) -> int:
    """Bytes of undo history kept per image (1 GB unless set)."""
    return int(_float(settings, "history_budget_gb", 1.0) * 1024**3)


def apply_memory_budget(settings: QSettings) -> None:
    """The image reader's budget from the preference (0: half the memory); a
    budget given on the command line (``--memory-budget``) wins."""
    import os

    source = os.environ.get("RESTORE_MEMORY_BUDGET_FROM", "")
    if source == "command line" or (
        os.environ.get("RESTORE_MEMORY_BUDGET") and source != "preferences"
    ):
        return  # the command line's, or the environment's, wins
    gb = _int(settings, "memory_budget_gb", 0)
    if gb > 0:
        os.environ["RESTORE_MEMORY_BUDGET"] = f"{gb}G"
        os.environ["RESTORE_MEMORY_BUDGET_FROM"] = "preferences"
    elif source == "preferences":
        os.environ.pop("RESTORE_MEMORY_BUDGET", None)
        os.environ.pop("RESTORE_MEMORY_BUDGET_FROM", None)


def apply_to_window(window: MainWindow) -> None:
    """Make a running window follow its settings: the next job, the brush, the
    model shown for each task whose model the person has not picked themselves."""
    from restore_app.models.registry import default_restorer_id

    s = window.settings
    window.jobs.device = str(s.value("device", "auto") or "auto")
    window.jobs.tile_size = _int(s, "tile_size", DEFAULT_TILE_SIZE)
    apply_memory_budget(s)
    window.session.history_budget = history_budget(s)
    size = _float(s, "brush/size", DEFAULT_BRUSH_SIZE)
    hardness = _float(s, "brush/hardness", DEFAULT_BRUSH_HARDNESS)
    window.canvas.brush_size = size
    window.canvas.brush_hardness = hardness
    window.tools.set_brush(size, hardness)
    window.canvas.update()
    defaults: dict[str, str] = {}
    for task, _label in TASKS:
        saved = s.value(f"models/{task}")
        try:
            defaults[task] = str(saved) if saved else default_restorer_id(task)
        except Exception:  # noqa: BLE001 - an empty task simply has no default
            defaults[task] = ""
    window.tools.set_default_restorers(defaults)
