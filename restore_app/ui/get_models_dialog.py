"""Models ▸ Get Models…: the public checkpoints Restore knows, what each is
good at and what its authors published, whether it is installed, and a
download with its progress and Cancel. A view of the workspace's
:class:`restore_app.app.downloads.Downloads`."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from restore_app.app.downloads import CatalogueEntry, Downloads
from restore_app.core.tasks import TASK_LABELS, Task

_COLUMNS = ("Model", "Task", "Good at", "Size", "Licence", "Published", "Status")


def _size(n: int | None) -> str:
    return "?" if n is None else f"{n / 1e6:,.0f} MB"


class GetModelsDialog(QDialog):
    def __init__(self, downloads: Downloads, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Get Models")
        self.downloads = downloads
        self.entries: list[CatalogueEntry] = []
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Public checkpoints Restore knows by their SHA-256: each is checked "
            "before it is added. The figures are the authors' published ones, "
            "not measured here."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels(list(_COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for col in (2, 5):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        row = QHBoxLayout()
        self.download_button = QPushButton("Download")
        self.download_button.clicked.connect(self._on_download)
        self.cancel_button = QPushButton("Cancel Download")
        self.cancel_button.clicked.connect(self._on_cancel)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        row.addWidget(self.download_button)
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)
        downloads.progressed.connect(self._on_progressed)
        downloads.finished.connect(self._on_finished)
        downloads.failed.connect(self._on_failed)
        downloads.cancelled.connect(self._on_cancelled)
        self.finished.connect(self._disconnect)
        self.resize(980, 360)
        self.refresh()

    def _disconnect(self, _result: int = 0) -> None:
        d = self.downloads
        d.progressed.disconnect(self._on_progressed)
        d.finished.disconnect(self._on_finished)
        d.failed.disconnect(self._on_failed)
        d.cancelled.disconnect(self._on_cancelled)

    # -- the catalogue ----------------------------------------------------------------

    def refresh(self) -> None:
        chosen = self.chosen()
        self.entries = self.downloads.catalogue()
        running = self.downloads.running()
        self.table.setRowCount(len(self.entries))
        for row, e in enumerate(self.entries):
            m = e.model
            if e.name in running:
                status = "Downloading…"
            elif e.installed:
                status = "Installed"
            elif e.kept:
                status = f"{_size(e.kept)} kept: Download resumes"
            else:
                status = "Not installed"
            cells = (
                m.name,
                TASK_LABELS.get(Task(m.task), m.task),
                m.about,
                _size(m.size),
                m.license,
                f"Published: {m.published}" if m.published else "",
                status,
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(f"{m.url}\nSHA-256 {m.sha256}" if col == 0 else text)
                item.setData(Qt.ItemDataRole.UserRole, e.name)
                self.table.setItem(row, col, item)
        self.table.resizeRowsToContents()
        if chosen is not None:
            self.choose(chosen)
        self._update_buttons()

    def chosen(self) -> str | None:
        """The catalogue name of the selected row (None: none)."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.entries[rows[0].row()].name

    def choose(self, name: str) -> None:
        for row, e in enumerate(self.entries):
            if e.name == name:
                self.table.selectRow(row)

    def _update_buttons(self) -> None:
        name = self.chosen()
        running = self.downloads.running()
        entry = next((e for e in self.entries if e.name == name), None)
        self.download_button.setEnabled(
            entry is not None and not entry.installed and name not in running
        )
        self.cancel_button.setEnabled(name in running)

    # -- a download -------------------------------------------------------------------

    def _on_download(self) -> None:
        name = self.chosen()
        if name is None:
            return
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.status.setText(f"Downloading {name}…")
        self.downloads.start(name)
        self.refresh()

    def _on_cancel(self) -> None:
        name = self.chosen()
        if name is not None:
            self.downloads.cancel(name)

    def _on_progressed(self, name: str, done: int, total: int) -> None:
        if total:
            # In kB: a model's bytes overflow the bar's int range.
            self.progress.setRange(0, max(1, total // 1024))
            self.progress.setValue(done // 1024)
        self.status.setText(f"Downloading {name}: {_size(done)} of {_size(total)}")

    def _on_finished(self, name: str, info) -> None:
        self.progress.setVisible(False)
        self.status.setText(
            f"{info.name} added ({info.id}): choose it in the Tools panel's model "
            f"list, or make it the default for {info.task} in Preferences."
        )
        self.refresh()

    def _on_failed(self, _name: str, message: str) -> None:
        self.progress.setVisible(False)
        self.status.setText(message)
        self.refresh()

    def _on_cancelled(self, name: str) -> None:
        self.progress.setVisible(False)
        self.status.setText(f"Download of {name} cancelled; nothing was kept.")
        self.refresh()
