"""The main window's menus: every command of the window, with its shortcut."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from restore_app.app.tool_state import MASK_LAYER, TOOLS
from restore_app.core.damage import DAMAGE_KINDS, layer_name
from restore_app.ui.canvas_paint import ViewMode
from restore_app.ui.damage_map_panel import LAYER_KEYS


def add_action(
    window: Any, menu, text: str, slot, shortcut=None, checkable: bool = False
) -> QAction:
    """An entry of ``menu`` calling ``slot``, its shortcut live in ``window``."""
    act = QAction(text, window)
    if shortcut is not None:
        if isinstance(shortcut, list | tuple):
            act.setShortcuts([QKeySequence(s) for s in shortcut])
        else:
            act.setShortcut(QKeySequence(shortcut))
    act.setCheckable(checkable)
    act.triggered.connect(slot)
    menu.addAction(act)
    window.addAction(act)
    return act


def build_menus(w: Any) -> None:
    """The menu bar of the main window ``w``, every entry also a shortcut of
    the window (see the Keyboard Shortcuts dialog)."""
    mb = w.menuBar()

    def act(menu, text, slot, shortcut=None, checkable=False) -> QAction:
        return add_action(w, menu, text, slot, shortcut, checkable)

    f = mb.addMenu("&File")
    act(f, "&Open…", w.files.open_dialog, QKeySequence.StandardKey.Open)
    act(f, "Open &Folder…", w.files.open_folder_dialog, "Ctrl+Shift+O")
    f.addMenu(w.files.recent_menu)
    f.addSeparator()
    act(f, "Save a &Copy…", w.files.save_copy_dialog, "Ctrl+Shift+S")
    act(f, "&Export", w.files.export_current, "Ctrl+E")
    f.addSeparator()
    act(f, "Load Mask…", lambda: w.mask_action("load", 0))
    act(f, "Save Mask…", lambda: w.mask_action("save", 0))
    act(f, "Export Masks…", w.files.export_masks_dialog)
    act(f, "Export Damage Map…", w.files.export_damage_map_dialog)
    act(f, "Treatment Report", w.files.treatment_report)
    f.addSeparator()
    act(f, "&Batch…", w.files.batch_dialog, "Ctrl+B")
    f.addSeparator()
    act(f, "&Quit", w.close, QKeySequence.StandardKey.Quit)

    e = mb.addMenu("&Edit")
    w.undo_action = act(e, "&Undo", w.undo, "Ctrl+Z")
    w.redo_action = act(e, "&Redo", w.redo, ["Ctrl+Shift+Z", "Ctrl+Y"])
    w.update_undo_actions()
    e.addSeparator()
    act(
        e,
        "Clear Mask",
        lambda: w.mask_action("clear", 0),
        "Ctrl+Shift+A",
    )
    act(e, "Invert Mask", lambda: w.mask_action("invert", 0), "Ctrl+I")
    act(
        e,
        "Grow Mask",
        lambda: w.mask_action("grow", w.workspace.tools.grow_px),
    )
    act(
        e,
        "Shrink Mask",
        lambda: w.mask_action("shrink", w.workspace.tools.grow_px),
    )
    e.addSeparator()
    act(
        e,
        "&Preferences…",
        w.open_preferences,
        QKeySequence.StandardKey.Preferences,
    )

    v = mb.addMenu("&View")
    act(v, "Fit", w.canvas.fit, "Ctrl+0")
    act(v, "100 %", w.canvas.zoom_actual, "Ctrl+1")
    act(v, "Zoom In", lambda: w.canvas.zoom_by(1.25), ["Ctrl+=", "Ctrl++"])
    act(v, "Zoom Out", lambda: w.canvas.zoom_by(0.8), "Ctrl+-")
    v.addSeparator()
    group = QActionGroup(w)
    w.mode_actions: dict[str, QAction] = {}
    for mode, text, key in (
        (ViewMode.NORMAL, "Result", "N"),
        (ViewMode.SPLIT, "Split Before/After", "X"),
        (ViewMode.SIDE, "Side by Side", "Y"),
        (ViewMode.DIFF, "Difference", "D"),
    ):
        entry = act(
            v,
            text,
            lambda _c=False, m=mode: w.set_view_mode(m),
            key,
            checkable=True,
        )
        group.addAction(entry)
        w.mode_actions[str(mode)] = entry
    w.mode_actions["normal"].setChecked(True)

    i = mb.addMenu("&Image")
    act(i, "Next Image", w.next_image, ["Right", "PgDown"])
    act(i, "Previous Image", w.previous_image, ["Left", "PgUp"])
    i.addSeparator()
    act(i, "&Detect Damage", w.detect_damage, "Ctrl+D")
    act(i, "Accept Damage Proposal", w.damage.accept, "Ctrl+Return")
    act(i, "Dismiss Damage Proposal", w.damage.dismiss)
    act(i, "Detect Damage in Folder", w.detect_damage_in_folder, "Ctrl+Shift+D")

    t = mb.addMenu("&Tools")
    for tool, label, key in TOOLS:
        act(t, label, lambda _c=False, tl=tool: w.set_tool(tl), key)
    t.addSeparator()
    act(t, "Paint Original — Do Not Repair / Damage Mask", w.toggle_layer, "O")
    act(t, "Paint the Working Mask", lambda: w.set_layer(MASK_LAYER), "M")
    for k in DAMAGE_KINDS:
        key = LAYER_KEYS.get(k.id)
        act(
            t,
            f"Paint the Damage Map: {k.name}",
            lambda _c=False, kid=k.id: w.set_layer(layer_name(kid)),
            key,
        )
    t.addSeparator()
    tools = w.workspace.tools
    act(t, "Smaller Brush", lambda: tools.resize_brush(1 / 1.2), "[")
    act(t, "Larger Brush", lambda: tools.resize_brush(1.2), "]")
    t.addSeparator()
    act(t, "Run", w.run_tool, ["Return", "Enter"])
    act(t, "Preview Visible Region", w.preview_tool, "Ctrl+P")
    act(t, "Cancel", w.cancel_jobs, "Esc")

    m = mb.addMenu("&Models")
    act(m, "&Get Models…", w.get_models)
    act(m, "&Add Model…", w.models.add_dialog)
    h = mb.addMenu("&Help")
    act(h, "&Keyboard Shortcuts", w.show_shortcuts, "F1")
    w.files.rebuild_recent_menu()
