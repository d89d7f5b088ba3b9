"""The tools dock: painting tools, brush, mask operations and the restore tools."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QColorDialog,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from restore_app.ui.canvas import Tool

TASKS = (("inpaint", "Inpaint"), ("denoise", "Denoise"), ("deblur", "Deblur"))
TOOLS = (
    (Tool.BRUSH, "Brush", "B"),
    (Tool.ERASER, "Eraser", "E"),
    (Tool.RECT, "Rectangle", "R"),
    (Tool.LASSO, "Lasso", "L"),
    (Tool.HEAL, "Heal", "H"),
    (Tool.PAN, "Pan", "P"),
)


def _slider(lo: int, hi: int, value: int) -> QSlider:
    s = QSlider(Qt.Orientation.Horizontal)
    s.setRange(lo, hi)
    s.setValue(value)
    return s


class ToolsPanel(QWidget):
    """Emits what the person asks for; the window decides what it means."""

    tool_chosen = Signal(str)
    layer_chosen = Signal(str)  # "mask" | "protect"
    brush_changed = Signal(float, float)  # size (image px), hardness [0, 1]
    mask_action = Signal(
        str, int
    )  # "clear" | "invert" | "grow" | "shrink" | "load" | "save"
    overlay_changed = Signal(QColor, float)
    overlays_toggled = Signal(bool, bool)  # show mask, show repaired record
    run_requested = Signal()
    preview_requested = Signal()
    task_settings_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._restorers: dict[str, list[Any]] = {}
        self._updating = False
        layout = QVBoxLayout(self)

        tools_box = QGroupBox("Tools")
        grid = QGridLayout(tools_box)
        self.tool_buttons: dict[str, QToolButton] = {}
        self._tool_group = QButtonGroup(self)
        self._tool_group.setExclusive(True)
        for i, (tool, label, key) in enumerate(TOOLS):
            b = QToolButton()
            b.setText(label)
            b.setToolTip(f"{label} ({key})")
            b.setCheckable(True)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            b.clicked.connect(lambda _c=False, t=tool: self.tool_chosen.emit(str(t)))
            self._tool_group.addButton(b)
            grid.addWidget(b, i // 3, i % 3)
            self.tool_buttons[str(tool)] = b
        layout.addWidget(tools_box)

        brush_box = QGroupBox("Brush")
        form = QFormLayout(brush_box)
        self.size_spin = QSpinBox()
        self.size_spin.setRange(1, 2000)
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip("Brush size ([ and ])")
        self.hardness_slider = _slider(0, 100, 80)
        self.hardness_slider.setToolTip(
            "Hardness (Shift+[ and Shift+]): soft edges feather denoise and deblur "
            "inside the mask"
        )
        form.addRow("Size", self.size_spin)
        form.addRow("Hardness", self.hardness_slider)
        self.size_spin.valueChanged.connect(self._on_brush_edited)
        self.hardness_slider.valueChanged.connect(self._on_brush_edited)
        layout.addWidget(brush_box)

        mask_box = QGroupBox("Mask")
        mv = QVBoxLayout(mask_box)
        row = QHBoxLayout()
        self.layer_buttons: dict[str, QToolButton] = {}
        layer_group = QButtonGroup(self)
        layer_group.setExclusive(True)
        for layer, label, tip in (
            ("mask", "Damage", "Paint what is to be repaired"),
            (
                "protect",
                "Original",
                "Paint what is original and must not be repaired: no tool "
                "changes it (O switches)",
            ),
        ):
            b = QToolButton()
            b.setText(label)
            b.setToolTip(tip)
            b.setCheckable(True)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            b.clicked.connect(lambda _c=False, ly=layer: self.layer_chosen.emit(ly))
            layer_group.addButton(b)
            self.layer_buttons[layer] = b
            row.addWidget(b)
        self.layer_buttons["mask"].setChecked(True)
        mv.addLayout(row)
        row = QHBoxLayout()
        for label, action in (("Clear", "clear"), ("Invert", "invert")):
            b = QPushButton(label)
            b.clicked.connect(lambda _c=False, a=action: self.mask_action.emit(a, 0))
            row.addWidget(b)
        mv.addLayout(row)
        row = QHBoxLayout()
        self.grow_spin = QSpinBox()
        self.grow_spin.setRange(1, 200)
        self.grow_spin.setValue(3)
        self.grow_spin.setSuffix(" px")
        grow = QPushButton("Grow")
        shrink = QPushButton("Shrink")
        grow.clicked.connect(
            lambda: self.mask_action.emit("grow", self.grow_spin.value())
        )
        shrink.clicked.connect(
            lambda: self.mask_action.emit("shrink", self.grow_spin.value())
        )
        row.addWidget(grow)
        row.addWidget(shrink)
        row.addWidget(self.grow_spin)
        mv.addLayout(row)
        row = QHBoxLayout()
        for label, action in (("Load…", "load"), ("Save…", "save")):
            b = QPushButton(label)
            b.clicked.connect(lambda _c=False, a=action: self.mask_action.emit(a, 0))
            row.addWidget(b)
        mv.addLayout(row)
        row = QHBoxLayout()
        self.color_button = QPushButton("Colour")
        self.color_button.clicked.connect(self._on_color_clicked)
        self.opacity_slider = _slider(5, 100, 50)
        self.opacity_slider.setToolTip("Overlay opacity")
        self.opacity_slider.valueChanged.connect(self._emit_overlay)
        row.addWidget(self.color_button)
        row.addWidget(self.opacity_slider)
        mv.addLayout(row)
        self.show_mask = QCheckBox("Show mask")
        self.show_mask.setChecked(True)
        self.show_repaired = QCheckBox("Show repaired regions")
        for cb in (self.show_mask, self.show_repaired):
            cb.toggled.connect(
                lambda _v: self.overlays_toggled.emit(
                    self.show_mask.isChecked(), self.show_repaired.isChecked()
                )
            )
            mv.addWidget(cb)
        layout.addWidget(mask_box)
        self._color = QColor(255, 40, 60)
        self._paint_color_button()

        restore_box = QGroupBox("Restore")
        form = QFormLayout(restore_box)
        self.task_combo = QComboBox()
        for key, label in TASKS:
            self.task_combo.addItem(label, key)
        self.model_combo = QComboBox()
        self.model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.strength_slider = _slider(0, 100, 60)
        self.auto_strength = QCheckBox("Auto")
        self.auto_strength.setToolTip(
            "Choose the strength from the noise or blur measured in the image"
        )
        self.auto_strength.setChecked(True)
        self.strength_value = QLabel()
        # Wide enough for "0.60" and "auto" alike, so nothing moves.
        self.strength_value.setMinimumWidth(
            self.strength_value.fontMetrics().horizontalAdvance("0.000")
        )
        srow = QHBoxLayout()
        srow.addWidget(self.strength_slider)
        srow.addWidget(self.strength_value)
        srow.addWidget(self.auto_strength)
        form.addRow("Task", self.task_combo)
        form.addRow("Model", self.model_combo)
        form.addRow("Strength", srow)
        self.scope_label = QLabel()
        self.scope_label.setWordWrap(True)
        self.scope_label.setStyleSheet("color: gray")
        # Two lines whatever the task says, so the panels do not jump.
        self.scope_label.setFixedHeight(
            2 * self.scope_label.fontMetrics().lineSpacing() + 2
        )
        form.addRow(self.scope_label)
        brow = QHBoxLayout()
        self.preview_button = QPushButton("Preview view")
        self.preview_button.setToolTip(
            "Run on the visible region only, without changing the image"
        )
        self.run_button = QPushButton("Run")
        self.run_button.setToolTip("Run the tool (Enter); Esc cancels")
        self.run_button.setDefault(True)
        brow.addWidget(self.preview_button)
        brow.addWidget(self.run_button)
        form.addRow(brow)
        self.preview_button.clicked.connect(self.preview_requested)
        self.run_button.clicked.connect(self.run_requested)
        self.task_combo.currentIndexChanged.connect(self._on_task_changed)
        self.model_combo.currentIndexChanged.connect(self._on_settings_edited)
        self.strength_slider.valueChanged.connect(self._on_settings_edited)
        self.auto_strength.toggled.connect(self._on_settings_edited)
        layout.addWidget(restore_box)
        layout.addStretch(1)
        self._on_task_changed()

    # -- restorers --------------------------------------------------------------------

    def set_restorers(
        self, by_task: dict[str, list[Any]], defaults: dict[str, str]
    ) -> None:
        """Model choices per task: RestorerInfo lists, and each task's default id."""
        self._restorers = by_task
        self._defaults = defaults
        self._fill_models()

    def set_default_restorers(self, defaults: dict[str, str]) -> None:
        """New default ids per task. The model shown follows only while it is still
        the old default: a model the person picked stays picked."""
        old = dict(getattr(self, "_defaults", {}))
        self._defaults = {**old, **defaults}
        task = self.task
        if self.model_combo.currentData() == old.get(task) and self._defaults.get(
            task
        ) != old.get(task):
            self._fill_models()

    def _fill_models(self, chosen: str | None = None) -> None:
        self._updating = True
        task = self.task
        self.model_combo.clear()
        for info in self._restorers.get(task, []):
            source = "" if info.source == "built-in" else f", {info.source}"
            label = f"{info.name} ({info.kind}{source})"
            self.model_combo.addItem(label, info.id)
        want = chosen or getattr(self, "_defaults", {}).get(task)
        idx = self.model_combo.findData(want) if want else -1
        self.model_combo.setCurrentIndex(max(0, idx))
        self._updating = False

    @property
    def task(self) -> str:
        return self.task_combo.currentData() or "inpaint"

    def _on_task_changed(self) -> None:
        self._fill_models()
        inpaint = self.task == "inpaint"
        self.strength_slider.setEnabled(
            not inpaint and not self.auto_strength.isChecked()
        )
        self.auto_strength.setEnabled(not inpaint)
        self.scope_label.setText(
            "Fills the masked regions."
            if inpaint
            else "Applies to the mask when there is one, else to the whole image."
        )
        self._on_settings_edited()

    def _show_strength(self) -> None:
        if self.task == "inpaint":
            self.strength_value.setText("–")
        elif self.auto_strength.isChecked():
            self.strength_value.setText("auto")
        else:
            self.strength_value.setText(f"{self.strength_slider.value() / 100:.2f}")

    def _on_settings_edited(self) -> None:
        self.strength_slider.setEnabled(
            self.task != "inpaint" and not self.auto_strength.isChecked()
        )
        self._show_strength()
        if not self._updating:
            self.task_settings_changed.emit()

    def settings(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "restorer": self.model_combo.currentData(),
            "strength": self.strength_slider.value() / 100.0,
            "auto_strength": self.auto_strength.isChecked(),
        }

    def load_settings(self, s: dict[str, Any]) -> None:
        self._updating = True
        idx = self.task_combo.findData(s.get("task", "inpaint"))
        self.task_combo.setCurrentIndex(max(0, idx))
        self._updating = True
        self._fill_models(s.get("restorer"))
        self._updating = True
        self.strength_slider.setValue(int(round(float(s.get("strength", 0.6)) * 100)))
        self.auto_strength.setChecked(bool(s.get("auto_strength", True)))
        self._updating = False
        self.strength_slider.setEnabled(
            self.task != "inpaint" and not self.auto_strength.isChecked()
        )
        self._show_strength()

    # -- brush and overlay ------------------------------------------------------------

    def set_layer(self, layer: str) -> None:
        button = self.layer_buttons.get(layer)
        if button is not None:
            button.setChecked(True)
        else:  # a damage-map layer: neither button
            group = button or next(iter(self.layer_buttons.values())).group()
            group.setExclusive(False)
            for b in self.layer_buttons.values():
                b.setChecked(False)
            group.setExclusive(True)

    def set_tool(self, tool: str) -> None:
        b = self.tool_buttons.get(str(tool))
        if b is not None:
            b.setChecked(True)

    def set_brush(self, size: float, hardness: float) -> None:
        self._updating = True
        self.size_spin.setValue(int(round(size)))
        self.hardness_slider.setValue(int(round(hardness * 100)))
        self._updating = False

    def _on_brush_edited(self) -> None:
        if not self._updating:
            self.brush_changed.emit(
                float(self.size_spin.value()), self.hardness_slider.value() / 100.0
            )

    def _on_color_clicked(self) -> None:
        color = QColorDialog.getColor(self._color, self, "Mask overlay colour")
        if color.isValid():
            self._color = color
            self._paint_color_button()
            self._emit_overlay()

    def _paint_color_button(self) -> None:
        self.color_button.setStyleSheet(
            f"background-color: {self._color.name()}; color: white"
        )

    def _emit_overlay(self) -> None:
        self.overlay_changed.emit(self._color, self.opacity_slider.value() / 100.0)
