"""File menu work: open dialogs, recent files, save a copy, export, masks, batch."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QMessageBox

from restore_app.core.errors import RestoreError
from restore_app.core.formats import READ_EXTENSIONS

if TYPE_CHECKING:
    from restore_app.ui.document import Document
    from restore_app.ui.main_window import MainWindow

IMAGE_FILTER = "Images (" + " ".join(f"*{e}" for e in sorted(READ_EXTENSIONS)) + ")"
MAX_RECENT = 10


class FileActions(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window

    # -- opening ----------------------------------------------------------------------

    def open_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self.w, "Open images", self._last_dir(), IMAGE_FILTER
        )
        if files:
            self.w.open_paths(files)

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.w, "Open a folder of scans", self._last_dir()
        )
        if folder:
            self.w.open_paths([folder])

    def _last_dir(self) -> str:
        recent = self.recent()
        if recent:
            p = Path(recent[0])
            return str(p if p.is_dir() else p.parent)
        return str(Path.home())

    def recent(self) -> list[str]:
        value = self.w.settings.value("recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []]

    def add_recent(self, path: Path) -> None:
        items = [str(path)] + [r for r in self.recent() if r != str(path)]
        self.w.settings.setValue("recent", items[:MAX_RECENT])
        self.rebuild_recent_menu()

    def rebuild_recent_menu(self) -> None:
        menu = self.w.recent_menu
        menu.clear()
        items = [r for r in self.recent() if Path(r).exists()]
        for r in items:
            act = menu.addAction(Path(r).name or r)
            act.setToolTip(r)
            act.triggered.connect(lambda _c=False, p=r: self.w.open_paths([p]))
        menu.setEnabled(bool(items))

    # -- writing derivatives ----------------------------------------------------------

    def output_dir(self, doc: Document) -> Path:
        configured = self.w.settings.value("output_dir", "")
        return Path(configured) if configured else doc.path.parent

    def export_path(self, doc: Document) -> Path:
        from restore_app.core.naming import derivative_path
        from restore_app.models.batch import output_suffix
        from restore_app.ui.preferences import export_suffix

        return derivative_path(
            doc.path,
            task=export_suffix(self.w.settings),
            out_dir=self.output_dir(doc),
            ext=output_suffix(doc.path),
        )

    def write_derivative(
        self, doc: Document, out: Path, *, overwrite: bool
    ) -> list[str]:
        """Write the current pixels (same depth, profile, metadata), the masks
        the operations used and the record: the command line's writer."""
        from restore_app.core.derivative import write_derivative
        from restore_app.core.image import ImageDoc

        if out.resolve() == doc.path.resolve():
            raise RestoreError("the original is never overwritten: choose another name")
        image = doc.image
        copy = ImageDoc(
            pixels=doc.pixels, alpha=image.alpha, meta=image.meta, path=doc.path
        )
        ops = [dict(op) for op in doc.operations]
        if doc.repaired.any():
            ops.append(
                {"task": "damage-record", "repaired_pixels": int(doc.repaired.sum())}
            )
        warnings = write_derivative(
            copy,
            out,
            source=doc.path,
            operations=ops,
            masks=doc.treatment_masks(),
            overwrite=overwrite,
            about={
                "object_id": doc.path.stem,
                "operator": str(self.w.settings.value("operator", "") or "") or None,
                "purpose": None,
            },
        )
        doc.exports.append(str(out))
        doc.status = "exported"
        doc.mark_exported()
        doc.undo_stack.setClean()
        doc.notify("state", None)
        return list(warnings)

    def export_current(self) -> Path | None:
        doc = self.w.doc
        if doc is None:
            return None
        out = self.export_path(doc)
        overwrite = False
        if out.exists():
            answer = QMessageBox.question(
                self.w, "Export", f"{out.name} exists. Replace it?"
            )
            if answer != QMessageBox.StandardButton.Yes:
                return None
            overwrite = True
        return self._write(doc, out, overwrite)

    def save_copy_dialog(self) -> Path | None:
        doc = self.w.doc
        if doc is None:
            return None
        suggested = str(self.export_path(doc))
        name, _ = QFileDialog.getSaveFileName(
            self.w, "Save a copy", suggested, IMAGE_FILTER
        )
        if not name:
            return None
        # The dialog has already asked about replacing an existing file.
        return self._write(doc, Path(name), Path(name).exists())

    def _write(self, doc: Document, out: Path, overwrite: bool) -> Path | None:
        try:
            warnings = self.write_derivative(doc, out, overwrite=overwrite)
        except RestoreError as exc:
            self.w._show_error(str(exc))
            return None
        msg = f"Saved {out.name}" + (f" ({'; '.join(warnings)})" if warnings else "")
        self.w.statusBar().showMessage(msg, 8000)
        self.w._refresh_title()
        return out

    # -- masks ------------------------------------------------------------------------

    def mask_file(self, action: str) -> None:
        doc = self.w.doc
        if doc is None:
            return
        from restore_app.core.masks import read_mask, write_mask

        layer = self.w.canvas.layer
        what = "protected region" if layer == "protect" else "mask"
        try:
            if action == "load":
                name, _ = QFileDialog.getOpenFileName(
                    self.w, "Load a mask", str(doc.path.parent), IMAGE_FILTER
                )
                if name:
                    mask = read_mask(name, (doc.height, doc.width))
                    doc.set_mask(mask, f"Load {what}", layer)
            else:
                default = str(doc.path.with_name(f"{doc.path.stem}.{layer}.png"))
                name, _ = QFileDialog.getSaveFileName(
                    self.w, f"Save the {what}", default, "PNG (*.png)"
                )
                if name:
                    write_mask(doc.array(layer), name, overwrite=True)
        except RestoreError as exc:
            self.w._show_error(str(exc))

    def treatment_report(self) -> Path | None:
        """The report (PDF) of the current image's last export, beside it."""
        from restore_app.core.record import record_path
        from restore_app.core.report import default_report_path, write_report

        doc = self.w.doc
        if doc is None or not doc.exports:
            self.w._show_error("Export the image first: the report is of an export.")
            return None
        output = Path(doc.exports[-1])
        try:
            pdf = write_report(record_path(output), default_report_path(output))
        except (RestoreError, OSError, ValueError) as exc:
            self.w._show_error(f"The report could not be written: {exc}")
            return None
        self.w.statusBar().showMessage(f"Report written: {pdf}", 8000)
        return pdf

    def _choose_folder(self, title: str) -> Path | None:
        # Qt's own dialog: it can make a new folder where the person wants one.
        folder = QFileDialog.getExistingDirectory(
            self.w,
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
        from restore_app.core.atomic import atomic_write_bytes
        from restore_app.core.damage_map import as_csv, as_json, summarise_layers
        from restore_app.core.masks import write_label_image, write_mask

        doc = self.w.doc
        if doc is None:
            return []
        stem = doc.path.stem
        written: list[Path] = []
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for kid, layer in doc.damage.items():
                write_mask(layer, folder / f"{stem}.{kid}.png")
                written.append(folder / f"{stem}.{kid}.png")
            write_label_image(doc.damage_labels(), folder / f"{stem}.kinds.png")
            written.append(folder / f"{stem}.kinds.png")
            rows = summarise_layers(doc.damage, doc.image.meta.dpi)
            for name, text in (
                (f"{stem}.damage.csv", as_csv(rows)),
                (f"{stem}.damage.json", as_json(rows, doc.image.meta.dpi)),
            ):
                atomic_write_bytes(folder / name, text.encode("utf-8"))
                written.append(folder / name)
        except (RestoreError, OSError) as exc:
            self.w._show_error(f"Exporting the damage map stopped: {exc}")
        self.w.statusBar().showMessage(f"Damage map written to {folder}", 8000)
        return written

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

        w = self.w
        w.session.flush()
        written: list[Path] = []
        try:
            for path in w.session.paths:
                car = w.session.sidecar_for(path)
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
            w._show_error(f"Exporting masks stopped: {exc}")
        w.statusBar().showMessage(f"{len(written)} mask(s) written to {folder}", 8000)
        return written

    # -- batch ------------------------------------------------------------------------

    def batch_dialog(self) -> None:
        """Ask what to run over which images, then run it on the worker."""
        from restore_app.ui.batch_dialog import BatchDialog

        w = self.w
        paths = w.session.paths
        if not paths:
            w._show_error("Open a folder first.")
            return
        rows = sorted({i.row() for i in w.folder_panel.selectedIndexes()})
        dialog = BatchDialog(
            w.restorers_by_task,
            {**w.default_restorers, w.tools.task: w.tools.settings()["restorer"]},
            [paths[r] for r in rows],
            list(paths),
            task=w.tools.task,
            parent=w,
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
    ) -> int:
        """Run ``task`` over the chosen images with their own masks, on the worker.

        ``restorer_id`` and ``strength`` (None: automatic) default to the Tools
        panel's when it shows the same task.
        """
        from restore_app.workers.inference import BatchJob

        w = self.w
        w.session.flush()
        if files is None:
            files = w.chosen_paths()
        masks: dict[Path, Path] = {}
        protects: dict[Path, Path] = {}
        for f in files:
            car = w.session.sidecar_for(f)
            p = car.image_dir(f.name) / "protect.png"
            if p.exists():
                protects[f.resolve()] = p
            m = car.image_dir(f.name) / "mask.png"
            if m.exists():
                masks[f.resolve()] = m
            elif task == "inpaint":
                # No mask painted: a reviewed damage proposal serves as one.
                proposed = car.write_proposal_mask(f)
                if proposed is not None:
                    masks[f.resolve()] = proposed
        settings = w.tools.settings()
        same = settings["task"] == task
        if restorer_id is None and same:
            restorer_id = settings["restorer"]
        if strength is self._UNSET:
            strength = (
                None
                if not same or settings.get("auto_strength", True)
                else settings["strength"]
            )
        job = BatchJob(
            input_dir=files[0].parent,
            output_dir=output_dir,
            task=task,
            restorer_id=restorer_id,
            strength=strength,
            files=tuple(files),
            masks=masks,
            protects=protects,
            overwrite=overwrite,
            device=w.jobs.device,
            tile_size=w.jobs.tile_size,
        )
        self._batch_id = job.job_id
        w.service.finished.connect(self._on_service_finished)
        w.service.failed.connect(self._on_service_failed)
        w.service.cancelled.connect(self._on_service_cancelled)
        w.jobs.busy_changed.emit(True)
        w.service.submit(job)
        w.statusBar().showMessage(f"Batch {task} of {len(files)} image(s)…")
        return job.job_id

    def _batch_over(self) -> None:
        for sig, slot in (
            (self.w.service.finished, self._on_service_finished),
            (self.w.service.failed, self._on_service_failed),
            (self.w.service.cancelled, self._on_service_cancelled),
        ):
            sig.disconnect(slot)
        self.w.jobs.busy_changed.emit(self.w.jobs.busy)

    def _on_service_finished(self, job_id: int, report) -> None:
        if job_id != getattr(self, "_batch_id", None):
            return
        self._batch_over()
        self.last_report = report
        lines = [
            f"Done: {len(report.done)}, skipped: {len(report.skipped)}, "
            f"failed: {len(report.failed)}"
        ]
        lines += [f"skipped {p.name}: {why}" for p, why in report.skipped[:20]]
        lines += [f"failed {p.name}: {why}" for p, why in report.failed[:20]]
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Batch finished",
            "\n".join(lines),
            QMessageBox.StandardButton.Ok,
            self.w,
        )
        box.open()

    def _on_service_failed(self, job_id: int, message: str) -> None:
        if job_id == getattr(self, "_batch_id", None):
            self._batch_over()
            self.w._show_error(f"Batch stopped: {message}")

    def _on_service_cancelled(self, job_id: int) -> None:
        if job_id == getattr(self, "_batch_id", None):
            self._batch_over()
            self.w.statusBar().showMessage(
                "Batch cancelled; a rerun resumes where it stopped.", 8000
            )
