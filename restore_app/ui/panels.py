"""The main window's panels: the canvas's docks around it (the Images strip
and the Damage Map as tabs on one side, Tools, Damage and History on the
other) and the status bar's permanent widgets."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QProgressBar, QPushButton, QWidget

from restore_app.ui.damage_map_panel import DamageMapPanel
from restore_app.ui.damage_panel import DamagePanel
from restore_app.ui.folder_panel import FolderPanel
from restore_app.ui.history_panel import HistoryPanel
from restore_app.ui.tools_panel import ToolsPanel
from restore_app.ui.unsaved_work import UnsavedWork

LEFT = Qt.DockWidgetArea.LeftDockWidgetArea
RIGHT = Qt.DockWidgetArea.RightDockWidgetArea


def build_panels(w: Any) -> None:
    """Give the main window ``w`` its docks and status bar (as attributes:
    ``folder_panel``, ``tools``, ``damage``, ``damage_map``, ``history``,
    ``progress``, ``cancel_button``, ``zoom_label``, ``info_label``,
    ``unsaved``)."""

    def dock(title: str, widget: QWidget, area) -> QDockWidget:
        d = QDockWidget(title, w)
        d.setObjectName(title)
        d.setWidget(widget)
        d.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        w.addDockWidget(area, d)
        return d

    def fit(d: QDockWidget, panel: QWidget) -> None:
        w.resizeDocks([d], [panel.sizeHint().width()], Qt.Orientation.Horizontal)

    w.folder_panel = FolderPanel()
    images_dock = dock("Images", w.folder_panel, LEFT)
    w.tools = ToolsPanel(w.workspace)
    dock("Tools", w.tools, RIGHT)
    w.damage = DamagePanel(w.workspace.tools)
    dock("Damage", w.damage, RIGHT)
    w.damage_map = DamageMapPanel()
    map_dock = dock("Damage Map", w.damage_map, LEFT)
    # A tab beside the strip: the strip keeps its height, and the side
    # takes the width of whichever of the two is shown.
    w.tabifyDockWidget(images_dock, map_dock)
    for side, panel in ((images_dock, w.folder_panel), (map_dock, w.damage_map)):
        side.visibilityChanged.connect(
            lambda shown, d=side, p=panel: shown and fit(d, p)
        )
    images_dock.raise_()
    fit(images_dock, w.folder_panel)
    w.canvas.set_damage_visible(w.damage_map.visible_kinds())
    w.history = HistoryPanel()
    dock("History", w.history, RIGHT)

    w.progress = QProgressBar()
    w.progress.setMaximumWidth(220)
    w.progress.setTextVisible(True)
    w.cancel_button = QPushButton("Cancel")
    w.cancel_button.setToolTip("Cancel the running job (Esc)")
    w.zoom_label = QLabel()
    w.info_label = QLabel()
    w.unsaved = UnsavedWork(w)
    sb = w.statusBar()
    sb.addPermanentWidget(w.unsaved.label)
    sb.addPermanentWidget(w.info_label)
    sb.addPermanentWidget(w.zoom_label)
    sb.addPermanentWidget(w.progress)
    sb.addPermanentWidget(w.cancel_button)
