"""How the window says that work is not safe yet: the "Work not saved" mark in
the status bar (a failed autosave, being retried), and a scan replaced on disk
under its work, with the offer to read it again (the work so far set aside,
see :meth:`restore_app.app.session.Session.reload`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from restore_app.core.errors import RestoreError


class UnsavedWork(QObject):
    """A view of the session's unsaved work in the main window ``window``."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        #: the status bar's mark, shown while some work is not saved
        self.label = QLabel()
        self.label.setStyleSheet("color: #c0392b")
        self.label.setVisible(False)
        #: the message offering to reload a scan changed on disk, while shown
        self.changed_box: QMessageBox | None = None
        self.session.save_failed.connect(self._on_save_failed)
        self.session.saved.connect(lambda _path: self._refresh())
        self.session.source_changed.connect(self._on_source_changed)

    def _flag(self, message: str) -> None:
        self.label.setText("⚠ Work not saved")
        self.label.setToolTip(message)
        self.label.setVisible(True)

    def _refresh(self) -> None:
        if not self.session.unsaved:
            self.label.setVisible(False)

    def _on_save_failed(self, _path: Path, message: str) -> None:
        self._flag(message)
        self.window.show_error(message)

    def _on_source_changed(self, path: Path, message: str) -> None:
        """The scan changed on disk under its work: say so once, with a way to
        read it again (the work so far is set aside, not lost)."""
        self._flag(message)
        self.window.statusBar().showMessage(message, 10000)
        self.window.last_error = message
        box = self.changed_box
        if box is not None and box.isVisible():
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning, "Restore", message, parent=self.window
        )
        reload_button = box.addButton("Reload", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Not Now", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(reload_button)
        reload_button.clicked.connect(lambda: self.reload(path))
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()  # not exec(): the event loop, and any running job, go on
        self.changed_box = box

    def reload(self, path: Path) -> None:
        """Read ``path`` again from disk; its work so far is set aside."""
        window = self.window
        try:
            aside = self.session.reload(path)
        except RestoreError as exc:
            window.show_error(str(exc))
            return
        if aside is not None:
            window.statusBar().showMessage(
                f"{path.name} read again; the work on the version before is set "
                f"aside in {aside}",
                10000,
            )
        window.folder_panel.refresh(Path(path).resolve())
        self._refresh()
        if window.doc is not None and window.doc.path == path:
            window.show_index(window.index)
