"""The main window: canvas in the middle, folder strip, tools and history docks."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QIcon,
)
from PySide6.QtWidgets import (
    QMainWindow,
    QMessageBox,
)

from restore_app.app import edits
from restore_app.app.document import Document
from restore_app.app.tool_state import PROTECT_LAYER
from restore_app.app.workspace import Workspace
from restore_app.core.damage import kind
from restore_app.ui.canvas import Canvas
from restore_app.ui.canvas_paint import ViewMode
from restore_app.ui.file_actions import FileActions
from restore_app.ui.main_thread import MainThreadPost
from restore_app.ui.menus import build_menus
from restore_app.ui.model_actions import ModelActions
from restore_app.ui.panels import build_panels
from restore_app.workers.inference import InferenceService

log = logging.getLogger(__name__)
MAX_RECENT = 10


def app_icon() -> QIcon:
    icon = QIcon()
    try:
        from restore_app.resources import app_icon_paths

        for path in app_icon_paths():
            icon.addFile(str(path))
    except (ImportError, FileNotFoundError):
        pass
    return icon


def _last_viewed_key(folder: Path) -> str:
    """Settings key of the image last viewed in ``folder``."""
    import hashlib

    digest = hashlib.sha256(str(folder.resolve()).encode("utf-8")).hexdigest()[:16]
    return f"last_viewed/{digest}"


class MainWindow(QMainWindow):
    """One window over a folder (or a list of files) of scans."""

    document_shown = Signal(object)  # Document

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings if settings is not None else QSettings()
        self.ask_on_close = True
        self.setWindowTitle("Restore[*]")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.resize(1280, 820)

        #: the tools, preferences and models: the state every view shows
        self.service = InferenceService(self)
        self.workspace = Workspace(self.settings, MainThreadPost(self), self.service)
        self.session = self.workspace.session
        self.jobs = self.workspace.jobs
        self.files = FileActions(
            self.workspace,
            self.session,
            self.jobs,
            self.settings,
            current=lambda: self.doc,
            selected=self.selected_paths,
            chosen=self.chosen_paths,
            parent=self,
        )
        self.models = ModelActions(self)
        self.index = -1
        self._wanted: Path | None = None

        self.canvas = Canvas(self.workspace.tools, self)
        self.setCentralWidget(self.canvas)

        build_panels(self)
        self._set_busy(False)

        build_menus(self)
        self._connect()

    def _connect(self) -> None:
        # The views of the image follow the workspace's choice of it.
        for view in (self.canvas, self.damage, self.damage_map):
            self.workspace.current_changed.connect(view.set_document)
        self.session.document_loaded.connect(self._on_session_document_loaded)
        self.session.load_failed.connect(self._on_session_load_failed)
        self.session.status_changed.connect(self._on_session_status_changed)
        self.session.sidecar_damaged.connect(self.show_error)
        self.folder_panel.image_activated.connect(self.show_index)
        self.canvas.view_changed.connect(self._update_zoom_label)
        self.canvas.heal_requested.connect(self._on_canvas_heal_requested)
        self.tools.mask_action.connect(self.mask_action)
        self.tools.run_requested.connect(self.run_tool)
        self.tools.preview_requested.connect(self.preview_tool)
        ev = self.workspace.tools.events
        ev.layer.connect(self._on_tools_layer_changed)
        for sig in (ev.task, ev.restorer, ev.strength, ev.auto_strength, ev.keep_tone):
            sig.connect(self._on_task_settings_changed)
        self.damage.detect_requested.connect(self.detect_damage)
        self.damage.detect_all_requested.connect(self.detect_damage_in_folder)
        self.damage_map.layer_chosen.connect(self.set_layer)
        self.damage_map.visibility_changed.connect(self.canvas.set_damage_visible)
        self.damage_map.export_requested.connect(self.files.export_damage_map_dialog)
        self.cancel_button.clicked.connect(self.cancel_jobs)
        self.service.progressed.connect(self._on_service_progressed)
        self.jobs.busy_changed.connect(self._set_busy)
        self.jobs.message.connect(lambda m: self.statusBar().showMessage(m, 6000))
        self.jobs.error.connect(self.show_error)
        self.jobs.preview_ready.connect(self._on_jobs_preview_ready)
        self.jobs.applied.connect(lambda d, _t: self._refresh_title())
        self.jobs.folder_detected.connect(self._on_jobs_folder_detected)
        self.models.model_added.connect(lambda _info: self.workspace.reload_models())
        self.files.open_requested.connect(self.open_paths)
        self.files.written.connect(lambda _out: self._refresh_title())
        for helper in (self.files, self.models):
            helper.message.connect(lambda m: self.statusBar().showMessage(m, 8000))
            helper.error.connect(self.show_error)

    # -- opening and moving -----------------------------------------------------------

    def open_paths(self, paths: list[str | Path]) -> None:
        """Open files, or the images of one folder (the first folder given)."""
        from restore_app.core.naming import list_images

        images: list[Path] = []
        start = 0
        for raw in paths:
            p = Path(raw).expanduser().resolve()
            if p.is_dir():
                try:
                    found = list_images(p)
                except Exception as exc:  # noqa: BLE001
                    self.show_error(str(exc))
                    continue
                images.extend(found)
            elif p.is_file():
                images.append(p)
            else:
                self.show_error(f"No such file or folder: {p}")
        if not images:
            if paths:
                self.statusBar().showMessage("No images found", 5000)
            return
        self.session.set_paths(images)
        self.folder_panel.set_images(
            self.session.paths, self.session.statuses(), self.session.sidecar_for
        )
        for raw in paths:
            self.files.add_recent(Path(raw).resolve())
        # A folder opens again on the image last viewed in it.
        folders = [Path(raw).expanduser().resolve() for raw in paths]
        if len(folders) == 1 and folders[0].is_dir():
            last = self.settings.value(_last_viewed_key(folders[0]), "")
            names = [p.name for p in self.session.paths]
            if last and last in names:
                start = names.index(str(last))
        self.index = -1
        self.show_index(start)

    def show_index(self, index: int) -> None:
        paths = self.session.paths
        if not paths or not 0 <= index < len(paths):
            return
        self.index = index
        self.folder_panel.setCurrentRow(index)
        path = paths[index]
        self._wanted = path
        doc = self.session.load(path)
        if doc is not None:
            self.show_document(doc)
        else:
            self.canvas.loading = path.name
            self.canvas.update()
            self.statusBar().showMessage(f"Opening {path.name}…")

    def next_image(self) -> None:
        self.show_index(min(len(self.session.paths) - 1, self.index + 1))

    def previous_image(self) -> None:
        self.show_index(max(0, self.index - 1))

    def _on_session_document_loaded(self, doc: Document) -> None:
        if doc.path == self._wanted:
            self.show_document(doc)

    def _on_session_load_failed(self, path: Path, message: str) -> None:
        if path == self._wanted:
            self.canvas.loading = ""
            self.canvas.update()
            self.show_error(message)

    def show_document(self, doc: Document) -> None:
        """Make ``doc`` the image shown and edited."""
        self.canvas.loading = ""
        self.settings.setValue(_last_viewed_key(doc.path.parent), doc.path.name)
        if self.doc is not None:
            old = self.doc
            old.undo_stack.index_changed.disconnect(self.update_undo_actions)
            old.undo_stack.clean_changed.disconnect(self._on_doc_clean_changed)
            old.state_changed.disconnect(self._on_doc_state_changed)
        self.workspace.show(doc)
        doc.undo_stack.index_changed.connect(self.update_undo_actions)
        doc.undo_stack.clean_changed.connect(self._on_doc_clean_changed)
        doc.state_changed.connect(self._on_doc_state_changed)
        self.history.set_stack(
            doc.undo_stack,
            "Earlier steps not kept (history budget)"
            if doc.history_dropped
            else "Opened",
        )
        self.update_undo_actions()
        if doc.settings.get("task"):
            self.workspace.tools.apply_task_settings(doc.settings)
        self.canvas.setFocus()
        img = doc.image
        self.info_label.setText(
            f"{doc.width} × {doc.height}  {img.meta.source_mode or img.dtype}"
        )
        self.statusBar().showMessage(
            f"{doc.name}  ({self.index + 1} of {len(self.session.paths)})", 4000
        )
        self._refresh_title()
        self.document_shown.emit(doc)

    @property
    def doc(self) -> Document | None:
        """The image shown and edited (the workspace's)."""
        return self.workspace.current

    def undo(self) -> None:
        if self.doc is not None:
            self.doc.undo_stack.undo()

    def redo(self) -> None:
        if self.doc is not None:
            self.doc.undo_stack.redo()

    def update_undo_actions(self, _index: int = 0) -> None:
        stack = self.doc.undo_stack if self.doc is not None else None
        for act, verb, able, text in (
            (self.undo_action, "&Undo", stack and stack.can_undo(), "undo_text"),
            (self.redo_action, "&Redo", stack and stack.can_redo(), "redo_text"),
        ):
            act.setEnabled(bool(able))
            act.setText(f"{verb} {getattr(stack, text)()}" if able else verb)

    def _on_doc_clean_changed(self, _clean: bool) -> None:
        self._refresh_title()

    def _on_doc_state_changed(self, _doc: Document) -> None:
        self._refresh_title()

    def _refresh_title(self) -> None:
        doc = self.doc
        if doc is None:
            self.setWindowTitle("Restore[*]")
            self.setWindowModified(False)
            return
        self.setWindowTitle(f"{doc.name}[*] — Restore")
        self.setWindowModified(doc.unexported)

    def _on_session_status_changed(self, path: Path, status: str) -> None:
        self.folder_panel.set_status(path, status)

    # -- tools ------------------------------------------------------------------------

    def set_tool(self, tool: str) -> None:
        self.workspace.tools.tool = tool

    def set_view_mode(self, mode: str) -> None:
        self.canvas.set_mode(ViewMode(mode))
        self.mode_actions[str(mode)].setChecked(True)

    def _on_task_settings_changed(self, _value: object = None) -> None:
        # The image remembers the tool it was last worked with.
        if self.doc is not None:
            self.doc.keep_settings(self.workspace.tools.task_settings.as_dict())

    def open_preferences(self) -> None:
        from restore_app.ui.preferences import PreferencesDialog

        dialog = PreferencesDialog(self.workspace, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()  # window-modal; a running job goes on meanwhile

    def mask_action(self, action: str, amount: int) -> None:
        doc = self.doc
        if doc is None:
            return
        if action in ("load", "save"):
            self.files.mask_file(action)
            return
        # The mask operations work on the layer being painted.
        edits.mask_operation(doc, self.workspace.tools.layer, action, amount)

    def set_layer(self, layer: str) -> None:
        """Which mask the painting tools edit: the working "mask", "protect" or
        a damage-map layer "damage:KIND"."""
        self.workspace.tools.layer = layer

    def _on_tools_layer_changed(self, layer: str) -> None:
        damage = self.workspace.tools.damage_kind
        if damage is not None:
            k = kind(damage)
            what = f"the damage map: {k.name.lower()}"
            if k.id not in self.damage_map.visible_kinds():
                self.damage_map.show_boxes[k.id].setChecked(True)
        elif layer == PROTECT_LAYER:
            what = "the original that must not be repaired"
        else:
            what = "the working mask"
        self.statusBar().showMessage(f"Painting {what}", 4000)

    def toggle_layer(self) -> None:
        self.workspace.tools.toggle_protect()

    def run_tool(self) -> None:
        if self.doc is None:
            return
        self.canvas.set_preview(None, None)
        if self.session.check_source(self.doc):
            self.jobs.run(self.doc, self.workspace.tools.task_settings)

    def preview_tool(self) -> None:
        if self.doc is not None:
            self.jobs.preview(
                self.doc,
                self.workspace.tools.task_settings,
                self.canvas.visible_image_box(),
            )

    def get_models(self) -> None:
        """Models ▸ Get Models…: the public checkpoints, downloaded when asked."""
        from restore_app.ui.get_models_dialog import GetModelsDialog

        self.get_models_dialog = GetModelsDialog(self.workspace.downloads, self)
        self.get_models_dialog.open()  # the window and any job go on meanwhile

    def show_shortcuts(self) -> None:
        from restore_app.ui.shortcuts_dialog import ShortcutsDialog

        self.shortcuts_dialog = ShortcutsDialog(self.actions(), self)
        self.shortcuts_dialog.open()

    def selected_paths(self) -> list[Path]:
        """The images selected in the strip."""
        rows = sorted({i.row() for i in self.folder_panel.selectedIndexes()})
        return [self.session.paths[r] for r in rows]

    def chosen_paths(self) -> list[Path]:
        """What a folder command works on: the images selected in the strip;
        all of them when one or none is."""
        selected = self.selected_paths()
        return selected if len(selected) > 1 else list(self.session.paths)

    def detect_damage(self) -> None:
        """Propose the damage of the current image for review."""
        if self.doc is not None:
            self.canvas.set_preview(None, None)
            self.jobs.detect(
                self.doc,
                view=self.canvas.visible_image_box(),
                medium=self.workspace.tools.medium,
            )

    def detect_damage_in_folder(self) -> int | None:
        """Propose the damage of the chosen images in the background; each
        proposal is saved in its image's sidecar for review."""
        paths = self.chosen_paths()
        if not paths:
            self.show_error("Open a folder first.")
            return None
        return self.workspace.detect_damage_in(paths)

    def _on_jobs_folder_detected(self, outcomes) -> None:
        statuses = self.session.statuses()
        for path, _error in outcomes:
            self.folder_panel.set_status(path, statuses.get(path, "untouched"))
        failed = [(p, e) for p, e in outcomes if e]
        self.statusBar().showMessage(
            f"Damage proposed for {len(outcomes) - len(failed)} image(s)"
            + (f", {len(failed)} failed" if failed else ""),
            8000,
        )
        if failed:
            self.show_error("\n".join(f"{p.name}: {e}" for p, e in failed[:20]))

    def cancel_jobs(self) -> None:
        if self.jobs.busy or self.service.busy:
            self.jobs.cancel_all()
            self.statusBar().showMessage("Cancelling…")
        elif self.canvas.preview is not None:
            self.canvas.set_preview(None, None)

    def _on_canvas_heal_requested(self, points, radius: float) -> None:
        if self.doc is not None:
            self.jobs.heal(self.doc, points, radius, self.workspace.tools.cover_rim)

    def _on_jobs_preview_ready(self, doc: Document, origin, pixels) -> None:
        if doc is self.doc:
            self.canvas.set_preview(origin, pixels)

    def _on_service_progressed(self, _job_id: int, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)

    def show_error(self, message: str) -> None:
        self.statusBar().showMessage(message, 10000)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Restore",
            message,
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()  # not exec(): the event loop, and any running job, go on
        self.last_error = message

    def _update_zoom_label(self) -> None:
        dpr = self.canvas.devicePixelRatioF()
        self.zoom_label.setText(f"{self.canvas.scale * dpr * 100:.0f} %")

    # -- drag and drop, closing -------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.open_paths(paths))

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if not getattr(self, "_warmed", False):
            self._warmed = True
            # torch loads on the worker thread once the window is on screen.
            QTimer.singleShot(200, self.service.warm_up)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        pending = self.session.unexported_paths()
        if pending and self.ask_on_close:
            names = ", ".join(p.name for p in pending[:3]) + (
                " …" if len(pending) > 3 else ""
            )
            where = sorted({str(self.session.sidecar_for(p).root) for p in pending})
            answer = QMessageBox.question(
                self,
                "Restore",
                f"{len(pending)} image(s) have changes not exported ({names}).\n"
                f"Your work stays saved in {', '.join(where)} and comes back when "
                "you open them again.\n\n"
                "Quit anyway?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self._on_task_settings_changed()
        self.jobs.cancel_all()
        self.session.close()
        self.service.shutdown()
        self.workspace.downloads.shutdown()
        self.settings.sync()
        event.accept()
