"""File menu work: open dialogs, recent files, save a copy, export, masks, batch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from restore_app.app.batch import batch_job
from restore_app.app.export import export, export_path
from restore_app.app.tool_state import PROTECT_LAYER
from restore_app.app.workspace import Workspace
from restore_app.core.errors import RestoreError
from restore_app.core.formats import READ_EXTENSIONS
from restore_app.core.identity import SourceChangedError
from restore_app.core.tasks import Task

if TYPE_CHECKING:
    from restore_app.app.document import Document
    from restore_app.app.jobs import JobController
    from restore_app.app.session import Session

IMAGE_FILTER = "Images (" + " ".join(f"*{e}" for e in sorted(READ_EXTENSIONS)) + ")"
MAX_RECENT = 10


class FileActions(QObject):
    """The File menu's work on the current image and the open folder.

    It reads the workspace, the session and the current document it is given,
    runs long work through the job controller, and tells the window what to
    show through its signals; it never holds the window.
    """

    message = Signal(str)  # a line for the status bar
    error = Signal(str)  # a failure to show to the person
    open_requested = Signal(list)  # paths to open
    written = Signal(object)  # Path: a derivative was written

    def __init__(
        self,
        workspace: Workspace,
        session: Session,
        jobs: JobController,
        settings: QSettings,
        current: Callable[[], Document | None],
        selected: Callable[[], list[Path]],
        chosen: Callable[[], list[Path]],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.session = session
        self.jobs = jobs
        self.settings = settings  # remembers the recent files
        self.current = current  # the document shown
        self.selected = selected  # the images selected in the strip
        self.chosen = chosen  # what a folder command works on
        self.parent_widget = parent
        self.recent_menu = QMenu("Open &Recent", parent)
        jobs.batch_finished.connect(self._on_jobs_batch_finished)

    # -- opening ----------------------------------------------------------------------

    def open_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self.parent_widget, "Open images", self._last_dir(), IMAGE_FILTER
        )
        if files:
            self.open_requested.emit(files)

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.parent_widget, "Open a folder of scans", self._last_dir()
        )
        if folder:
            self.open_requested.emit([folder])

    def _last_dir(self) -> str:
        recent = self.recent()
        if recent:
            p = Path(recent[0])
            return str(p if p.is_dir() else p.parent)
        return str(Path.home())

    def recent(self) -> list[str]:
        value = self.settings.value("recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []]

    def add_recent(self, path: Path) -> None:
        items = [str(path)] + [r for r in self.recent() if r != str(path)]
        self.settings.setValue("recent", items[:MAX_RECENT])
        self.rebuild_recent_menu()

    def rebuild_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        items = [r for r in self.recent() if Path(r).exists()]
        for r in items:
            act = menu.addAction(Path(r).name or r)
            act.setToolTip(r)
            act.triggered.connect(lambda _c=False, p=r: self.open_requested.emit([p]))
        menu.setEnabled(bool(items))

    # -- writing derivatives ----------------------------------------------------------

    def export_path(self, doc: Document) -> Path:
        return export_path(doc, self.workspace.preferences)

    def write_derivative(
        self, doc: Document, out: Path, *, overwrite: bool
    ) -> list[str]:
        return export(
            doc, out, overwrite=overwrite, operator=self.workspace.preferences.operator
        )

    def export_current(self) -> Path | None:
        doc = self.current()
        if doc is None:
            return None
        out = self.export_path(doc)
        overwrite = False
        if out.exists():
            answer = QMessageBox.question(
                self.parent_widget, "Export", f"{out.name} exists. Replace it?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                return None
            overwrite = True
        return self._write(doc, out, overwrite)

    def save_copy_dialog(self) -> Path | None:
        doc = self.current()
        if doc is None:
            return None
        suggested = str(self.export_path(doc))
        name, _ = QFileDialog.getSaveFileName(
            self.parent_widget, "Save a copy", suggested, IMAGE_FILTER
        )
        if not name:
            return None
        # The dialog has already asked about replacing an existing file.
        return self._write(doc, Path(name), Path(name).exists())

    def _write(self, doc: Document, out: Path, overwrite: bool) -> Path | None:
        try:
            warnings = self.write_derivative(doc, out, overwrite=overwrite)
        except SourceChangedError as exc:
            if self.session.check_source(doc):  # changed back meanwhile
                self.error.emit(str(exc))
            return None
        except RestoreError as exc:
            self.error.emit(str(exc))
            return None
        self.message.emit(
            f"Saved {out.name}" + (f" ({'; '.join(warnings)})" if warnings else "")
        )
        self.written.emit(out)
        return out

    # -- masks ------------------------------------------------------------------------

    def mask_file(self, action: str) -> None:
        doc = self.current()
        if doc is None:
            return
        from restore_app.core.masks import read_mask, write_mask

        layer = self.workspace.tools.layer
        what = "protected region" if layer == PROTECT_LAYER else "mask"
        try:
            if action == "load":
                name, _ = QFileDialog.getOpenFileName(
                    self.parent_widget,
                    "Load a mask",
                    str(doc.path.parent),
                    IMAGE_FILTER,
                )
                if name:
                    mask = read_mask(name, (doc.height, doc.width))
                    doc.set_mask(mask, f"Load {what}", layer)
            else:
                default = str(doc.path.with_name(f"{doc.path.stem}.{layer}.png"))
                name, _ = QFileDialog.getSaveFileName(
                    self.parent_widget, f"Save the {what}", default, "PNG (*.png)"
                )
                if name:
                    write_mask(doc.array(layer), name, overwrite=True)
        except RestoreError as exc:
            self.error.emit(str(exc))

    def treatment_report(self) -> Path | None:
        """The report (PDF) of the current image's last export, beside it."""
        from restore_app.core.record import record_path
        from restore_app.core.report import default_report_path, write_report

        doc = self.current()
        if doc is None or not doc.exports:
            self.error.emit("Export the image first: the report is of an export.")
            return None
        output = Path(doc.exports[-1])
        try:
            pdf = write_report(record_path(output), default_report_path(output))
        except (RestoreError, OSError, ValueError) as exc:
            self.error.emit(f"The report could not be written: {exc}")
            return None
        self.message.emit(f"Report written: {pdf}")
        return pdf

    def _choose_folder(self, title: str) -> Path | None:
        # Qt's own dialog: it can make a new folder where the person wants one.
        folder = QFileDialog.getExistingDirectory(
            self.parent_widget,
            title,
            self._last_dir(),
            QFileDialog.Option.ShowDirsOnly | QFileDialog.Option.DontUseNativeDialog,
        )
        return Path(folder) if folder else None

    def export_damage_map_dialog(self) -> None:
        folder = self._choose_folder("Export the damage map into a folder")
        if folder is not None:
            self.export_damage_map(folder)

    def export_damage_map(self, folder: Path) -> list[Path]:
        """Write the current image's damage map: ``STEM.KIND.png`` per layer, the
        label image ``STEM.kinds.png``, and ``STEM.damage.csv`` / ``.json``."""
        from restore_app.core.damage_map import (
            protected_entry,
            scan_entry,
            summarise_layers,
            write_damage_map,
        )

        doc = self.current()
        if doc is None:
            return []
        dpi = doc.image.meta.dpi
        identity = doc.image.identity
        sha = identity.sha256 if identity else None
        try:
            written = write_damage_map(
                folder,
                doc.path.stem,
                list(doc.damage.items()),
                doc.damage_labels(),
                summarise_layers(doc.damage, dpi),
                dpi,
                scan_entry(doc.path.name, sha, doc.pixels.shape, dpi),
                protected_entry(doc.protect, dpi),
                overwrite=True,
            )
        except (RestoreError, OSError) as exc:
            # A map is written whole or not at all: no part of it stays behind.
            self.error.emit(f"Exporting the damage map stopped: {exc}")
            return []
        self.message.emit(f"Damage map written to {folder}")
        return [path for _, path in written]

    def export_masks_dialog(self) -> None:
        folder = self._choose_folder(
            "Export masks into a folder (for restore-app batch --masks)"
        )
        if folder is not None:
            self.export_masks(folder)

    def export_masks(self, folder: Path) -> list[Path]:
        """Write every image's saved mask as ``FOLDER/STEM.png`` and its protect
        layer as ``FOLDER/protect/STEM.png``: what ``restore-app batch --masks
        FOLDER --protect FOLDER/protect`` reads."""
        from restore_app.core.atomic import atomic_write_bytes

        self.session.flush()
        written: list[Path] = []
        try:
            for path in self.session.paths:
                car = self.session.sidecar_for(path)
                for part, target in (
                    ("mask", folder / f"{path.stem}.png"),
                    ("protect", folder / "protect" / f"{path.stem}.png"),
                ):
                    saved = car.saved_mask(path, part)
                    if saved is None:
                        continue
                    target.parent.mkdir(parents=True, exist_ok=True)
                    atomic_write_bytes(target, saved.read_bytes(), overwrite=True)
                    written.append(target)
        except (RestoreError, OSError) as exc:
            self.error.emit(f"Exporting masks stopped: {exc}")
        self.message.emit(f"{len(written)} mask(s) written to {folder}")
        return written

    # -- batch ------------------------------------------------------------------------

    def batch_dialog(self) -> None:
        """Ask what to run over which images, then run it on the worker."""
        from restore_app.ui.batch_dialog import BatchDialog

        paths = self.session.paths
        if not paths:
            self.error.emit("Open a folder first.")
            return
        tools = self.workspace.tools
        dialog = BatchDialog(
            self.workspace.restorers,
            {**tools.defaults, str(tools.task): tools.restorer},
            self.selected(),
            list(paths),
            task=str(tools.task),
            parent=self.parent_widget,
        )
        self.dialog = dialog
        dialog.accepted.connect(lambda: self._run_choice(dialog.choice()))
        dialog.open()  # window-modal: the event loop, and any running job, go on

    def _run_choice(self, c) -> int:
        return self.start_batch(
            c.task,
            c.output_dir,
            files=list(c.files),
            restorer_id=c.restorer_id,
            strength=c.strength,
            overwrite=c.overwrite,
            options=c.options,
        )

    _UNSET: Any = object()

    def start_batch(
        self,
        task: str,
        output_dir: Path,
        files: list[Path] | None = None,
        restorer_id: str | None = None,
        strength: Any = _UNSET,
        overwrite: bool = False,
        options: Any = _UNSET,
    ) -> int:
        """Run ``task`` over the chosen images with their own masks, on the worker.

        ``restorer_id``, ``strength`` (None: automatic) and ``options``
        (colour's ``keep_tone``) default to the Tools panel's when it shows the
        same task.
        """
        if files is None:
            files = self.chosen()
        settings = self.workspace.tools.task_settings
        same = settings.task == Task(task)
        if restorer_id is None and same:
            restorer_id = settings.restorer or None
        if strength is self._UNSET:
            strength = settings.chosen_strength if same else None
        if options is self._UNSET:
            options = settings.options if same else None
        job = batch_job(
            self.session,
            self.workspace.preferences,
            Task(task),
            files,
            output_dir,
            restorer_id=restorer_id,
            strength=strength,
            options=options,
            overwrite=overwrite,
        )
        self.message.emit(f"Batch {task} of {len(files)} image(s)…")
        return self.jobs.batch(job)

    def _on_jobs_batch_finished(self, report) -> None:
        self.last_report = report
        lines = [
            f"Done: {len(report.done)}, skipped: {len(report.skipped)}, "
            f"failed: {len(report.failed)}"
            + (f", nothing detected: {len(report.nothing)}" if report.nothing else "")
        ]
        lines += [f"skipped {p.name}: {why}" for p, why in report.skipped[:20]]
        lines += [f"failed {p.name}: {why}" for p, why in report.failed[:20]]
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Batch finished",
            "\n".join(lines),
            QMessageBox.StandardButton.Ok,
            self.parent_widget,
        )
        box.open()
