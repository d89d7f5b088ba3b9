"""The tools dock: painting tools, brush, mask operations and the restore tools.

A view of the workspace's tool state: each widget writes what the person does to
the state and follows the state's events, so the menus' keys, the canvas and
this panel never disagree.
"""

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

from restore_app.app.tool_state import MASK_LAYER, PROTECT_LAYER, TOOLS
from restore_app.app.workspace import Workspace
from restore_app.core.selection import TOLERANCE_RANGE
from restore_app.core.tasks import RESTORE_TASKS, TASK_LABELS, Task


def _slider(lo: int, hi: int, value: int) -> QSlider:
    s = QSlider(Qt.Orientation.Horizontal)
    s.setRange(lo, hi)
    s.setValue(value)
    return s


class ToolsPanel(QWidget):
    """Shows and edits the workspace's tools; asks the window for what acts on
    the image (mask operations, run, preview)."""

    mask_action = Signal(
        str, int
    )  # "clear" | "invert" | "grow" | "shrink" | "load" | "save"
    run_requested = Signal()
    preview_requested = Signal()

    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.state = state = workspace.tools
        self._updating = False
        layout = QVBoxLayout(self)

        tools_box = QGroupBox("Tools")
        grid = QGridLayout(tools_box)
        self.tool_buttons: dict[str, QToolButton] = {}
        tool_group = QButtonGroup(self)
        tool_group.setExclusive(True)
        for i, (tool, label, key) in enumerate(TOOLS):
            b = QToolButton()
            b.setText(label)
            b.setToolTip(f"{label} ({key})")
            b.setCheckable(True)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            b.clicked.connect(lambda _c=False, t=tool: setattr(state, "tool", t))
            tool_group.addButton(b)
            grid.addWidget(b, i // 3, i % 3)
            self.tool_buttons[str(tool)] = b
        layout.addWidget(tools_box)

        brush_box = QGroupBox("Brush")
        form = QFormLayout(brush_box)
        self.size_spin = QSpinBox()
        self.size_spin.setRange(1, 2000)
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip("Brush size ([ and ])")
        form.addRow("Size", self.size_spin)
        self.size_spin.valueChanged.connect(self._on_brush_edited)
        layout.addWidget(brush_box)

        mask_box = QGroupBox("Mask")
        mv = QVBoxLayout(mask_box)
        row = QHBoxLayout()
        self.layer_buttons: dict[str, QToolButton] = {}
        self._layer_group = QButtonGroup(self)
        self._layer_group.setExclusive(True)
        for layer, label, tip in (
            (MASK_LAYER, "Damage", "Paint what is to be repaired"),
            (
                PROTECT_LAYER,
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
            b.clicked.connect(lambda _c=False, ly=layer: setattr(state, "layer", ly))
            self._layer_group.addButton(b)
            self.layer_buttons[layer] = b
            row.addWidget(b)
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
        self.grow_spin.setSuffix(" px")
        self.grow_spin.valueChanged.connect(lambda v: setattr(state, "grow_px", v))
        grow = QPushButton("Grow")
        shrink = QPushButton("Shrink")
        grow.clicked.connect(lambda: self.mask_action.emit("grow", state.grow_px))
        shrink.clicked.connect(lambda: self.mask_action.emit("shrink", state.grow_px))
        row.addWidget(grow)
        row.addWidget(shrink)
        row.addWidget(self.grow_spin)
        mv.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(QLabel("Wand tolerance"))
        self.tolerance_spin = QSpinBox()
        self.tolerance_spin.setRange(*TOLERANCE_RANGE)
        self.tolerance_spin.setToolTip(
            "How unlike the clicked colour the Magic Wand's area may be (W; "
            "Alt+click takes an area out)"
        )
        self.tolerance_spin.valueChanged.connect(
            lambda v: setattr(state, "wand_tolerance", float(v))
        )
        row.addWidget(self.tolerance_spin)
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
        self.opacity_slider.valueChanged.connect(
            lambda v: setattr(state, "overlay_opacity", v / 100.0)
        )
        row.addWidget(self.color_button)
        row.addWidget(self.opacity_slider)
        mv.addLayout(row)
        self.show_mask = QCheckBox("Show mask")
        self.show_repaired = QCheckBox("Show repaired regions")
        self.show_mask.toggled.connect(lambda v: setattr(state, "show_mask", v))
        self.show_repaired.toggled.connect(lambda v: setattr(state, "show_repaired", v))
        mv.addWidget(self.show_mask)
        mv.addWidget(self.show_repaired)
        layout.addWidget(mask_box)

        restore_box = QGroupBox("Restore")
        form = QFormLayout(restore_box)
        self.task_combo = QComboBox()
        for task in RESTORE_TASKS:
            self.task_combo.addItem(TASK_LABELS[task], str(task))
        self.model_combo = QComboBox()
        self.model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.strength_slider = _slider(0, 100, 60)
        self.auto_strength = QCheckBox("Auto")
        self.auto_strength.setToolTip(
            "Choose the strength from what is measured in the image: noise, blur "
            "or fading"
        )
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
        self.keep_tone = QCheckBox("Keep tone")
        self.keep_tone.setToolTip(
            "Color: keep a print's sepia or selenium tone and restore only its contrast"
        )
        form.addRow(self.keep_tone)
        self.cover_rim = QCheckBox("Cover the rim")
        self.cover_rim.setToolTip(
            "Fill: grow a painted mask (and the heal brush) over the light or dark "
            "rim just outside a crack or scratch, as far as it shows"
        )
        form.addRow(self.cover_rim)
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
        self.task_combo.currentIndexChanged.connect(self._on_task_combo_changed)
        self.model_combo.currentIndexChanged.connect(self._on_model_combo_changed)
        self.strength_slider.valueChanged.connect(
            lambda v: self._edit(lambda: setattr(state, "strength", v / 100.0))
        )
        self.auto_strength.toggled.connect(
            lambda v: self._edit(lambda: setattr(state, "auto_strength", v))
        )
        self.keep_tone.toggled.connect(
            lambda v: self._edit(lambda: setattr(state, "keep_tone", v))
        )
        self.cover_rim.toggled.connect(
            lambda v: self._edit(lambda: setattr(state, "cover_rim", v))
        )
        layout.addWidget(restore_box)
        layout.addStretch(1)

        state.events.connect(self._on_state_changed)
        workspace.models_changed.connect(self._on_models_changed)
        self._on_models_changed()

    # -- the person edits ---------------------------------------------------------

    def _edit(self, change) -> None:
        if not self._updating:
            change()

    def _on_brush_edited(self) -> None:
        self._edit(lambda: self.state.set_brush(self.size_spin.value()))

    def _on_task_combo_changed(self) -> None:
        task = self.task_combo.currentData()
        if task:
            self._edit(lambda: self.state.choose_task(task))

    def _on_model_combo_changed(self) -> None:
        chosen = self.model_combo.currentData()
        if chosen:
            self._edit(lambda: self.workspace.pick_model(chosen))

    def _on_color_clicked(self) -> None:
        color = QColorDialog.getColor(
            QColor(*self.state.overlay_rgb), self, "Mask overlay colour"
        )
        if color.isValid():
            self.state.overlay_rgb = (color.red(), color.green(), color.blue())

    # -- the state changed ----------------------------------------------------------

    def _on_state_changed(self, info: Any) -> None:
        if info.signal.name == "task":
            self._fill_models()
        self._show_all()

    def _on_models_changed(self) -> None:
        self._fill_models()
        self._show_all()

    def _fill_models(self) -> None:
        """The current task's models in the list (the choice: :meth:`_show_all`)."""
        self._updating = True
        try:
            task = str(self.state.task)
            self.model_combo.clear()
            for info in self.workspace.restorers.get(task, []):
                source = "" if info.source == "built-in" else f", {info.source}"
                self.model_combo.addItem(f"{info.name} ({info.kind}{source})", info.id)
                self.model_combo.setItemData(
                    self.model_combo.count() - 1,
                    info.description,
                    Qt.ItemDataRole.ToolTipRole,
                )
        finally:
            self._updating = False

    def _show_all(self) -> None:
        """Every widget as the state says; edits made here send nothing back."""
        s = self.state
        self._updating = True
        try:
            self.tool_buttons[str(s.tool)].setChecked(True)
            self.size_spin.setValue(int(round(s.brush_size)))
            button = self.layer_buttons.get(s.layer)
            if button is not None:
                button.setChecked(True)
            else:  # a damage-map layer: neither button
                self._layer_group.setExclusive(False)
                for b in self.layer_buttons.values():
                    b.setChecked(False)
                self._layer_group.setExclusive(True)
            self.grow_spin.setValue(s.grow_px)
            self.tolerance_spin.setValue(int(round(s.wand_tolerance)))
            self.opacity_slider.setValue(int(round(s.overlay_opacity * 100)))
            self.color_button.setStyleSheet(
                f"background-color: {QColor(*s.overlay_rgb).name()}; color: white"
            )
            self.show_mask.setChecked(s.show_mask)
            self.show_repaired.setChecked(s.show_repaired)
            self.task_combo.setCurrentIndex(
                max(0, self.task_combo.findData(str(s.task)))
            )
            idx = self.model_combo.findData(s.restorer)
            if idx < 0 and s.restorer:
                # A model no longer installed stays shown: running it says so.
                self.model_combo.addItem(f"{s.restorer} (missing)", s.restorer)
                idx = self.model_combo.count() - 1
            self.model_combo.setCurrentIndex(max(0, idx))
            # What the chosen model is for (the texture fill or the learned
            # one?) is a hover away, on the list and on each of its entries.
            self.model_combo.setToolTip(
                self.model_combo.itemData(
                    self.model_combo.currentIndex(), Qt.ItemDataRole.ToolTipRole
                )
                or ""
            )
            self.strength_slider.setValue(int(round(s.strength * 100)))
            self.auto_strength.setChecked(s.auto_strength)
            inpaint = s.task == Task.INPAINT
            self.strength_slider.setEnabled(not inpaint and not s.auto_strength)
            self.auto_strength.setEnabled(not inpaint)
            self.keep_tone.setChecked(s.keep_tone)
            self.keep_tone.setVisible(s.task == Task.COLOR)
            self.cover_rim.setChecked(s.cover_rim)
            self.cover_rim.setVisible(inpaint)
            if inpaint:
                self.strength_value.setText("–")
            elif s.auto_strength:
                self.strength_value.setText("auto")
            else:
                self.strength_value.setText(f"{s.strength:.2f}")
            self.scope_label.setText(
                "Fills the masked regions."
                if inpaint
                else "Applies to the mask when there is one, else to the whole image."
            )
        finally:
            self._updating = False
