"""The folder strip: a thumbnail per image, loaded in the background, visible first."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path

import cv2
from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QWidget

THUMB = 128
#: Icons are as wide as the grid: Qt elides an icon-mode label at the icon's
#: width, and a scan's name with its status mark needs more than THUMB.
ICON_WIDTH = THUMB + 48
GRID_WIDTH = ICON_WIDTH + 8
STATUS_MARK = {"untouched": "", "proposed": "◆ ", "edited": "● ", "exported": "✓ "}
STATUS_COLOR = {
    "untouched": None,
    "proposed": QColor(70, 140, 230),
    "edited": QColor(240, 160, 40),
    "exported": QColor(60, 190, 90),
}


def make_thumbnail_png(path: Path) -> bytes:
    """A PNG at most THUMB pixels on its long side, from the image file at ``path``."""
    from restore_app.core.image import read_image
    from restore_app.ui.display import to_display8

    doc = read_image(path)
    px = doc.pixels
    h, w = px.shape[:2]
    f = THUMB / max(h, w)
    step = max(1, int(1 / f) // 4)
    small = px[::step, ::step]
    tw, th = max(1, round(w * f)), max(1, round(h * f))
    small = cv2.resize(small, (tw, th), interpolation=cv2.INTER_AREA)
    small = to_display8(small.reshape(th, tw, -1))
    bgr = (
        small[..., 0] if small.shape[2] == 1 else cv2.cvtColor(small, cv2.COLOR_RGB2BGR)
    )
    ok, buf = cv2.imencode(".png", bgr)
    if not ok:
        raise OSError("could not encode thumbnail")
    return buf.tobytes()


class _Signals(QObject):
    loaded = Signal(int, bytes)  # index, PNG bytes (empty: unreadable)


class _Loader(QRunnable):
    def __init__(
        self,
        take: Callable[[], int | None],
        work: Callable[[int], bytes],
        sig: _Signals,
    ):
        super().__init__()
        self._take, self._work, self._sig = take, work, sig

    def run(self) -> None:
        while True:
            index = self._take()
            if index is None:
                return
            try:
                data = self._work(index)
            except Exception:  # noqa: BLE001 - an unreadable file gets a blank tile
                data = b""
            self._sig.loaded.emit(index, data)


class FolderPanel(QListWidget):
    """Thumbnails of the images of a folder with each one's status.

    Thumbnails come from the sidecar cache when it is current, else they are
    made on a small thread pool; what is in view is always made first.
    """

    image_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.TopToBottom)
        self.setWrapping(False)
        self.setIconSize(QSize(ICON_WIDTH, THUMB))
        self.setGridSize(QSize(GRID_WIDTH, THUMB + 34))
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.setMinimumWidth(THUMB + 48)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.paths: list[Path] = []
        self._sidecar_for: Callable[[Path], object] | None = None
        self._lock = threading.Lock()
        self._pending: list[int] = []
        self._generation = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._signals = _Signals()
        self._signals.loaded.connect(self._on_loader_loaded)
        self.itemActivated.connect(
            lambda item: self.image_activated.emit(self.row(item))
        )
        self.itemClicked.connect(lambda item: self.image_activated.emit(self.row(item)))
        self._scroll_timer = QTimer(self, singleShot=True, interval=50)
        self._scroll_timer.timeout.connect(self._prioritise_visible)
        self.verticalScrollBar().valueChanged.connect(
            lambda _v: self._scroll_timer.start()
        )
        self._placeholder = self._blank_icon()

    def sizeHint(self) -> QSize:  # noqa: N802
        # One column of thumbnails: the dock needs no more width than that.
        extra = 2 * self.frameWidth() + self.verticalScrollBar().sizeHint().width()
        return QSize(GRID_WIDTH + extra + 4, super().sizeHint().height())

    def _blank_icon(self) -> QIcon:
        pm = QPixmap(ICON_WIDTH, THUMB)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.fillRect((ICON_WIDTH - THUMB) // 2, 0, THUMB, THUMB, QColor(70, 70, 74))
        p.end()
        return QIcon(pm)

    def set_images(
        self, paths: list[Path], statuses: dict[Path, str], sidecar_for
    ) -> None:
        self._pool.clear()
        with self._lock:
            self._generation += 1
            self._pending = list(range(len(paths)))
        self.clear()
        self.paths = list(paths)
        self._sidecar_for = sidecar_for
        for p in paths:
            item = QListWidgetItem(self._placeholder, p.name)
            item.setToolTip(str(p))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.addItem(item)
            self.set_status(p, statuses.get(p, "untouched"))
        gen = self._generation
        for _ in range(self._pool.maxThreadCount()):
            self._pool.start(
                _Loader(lambda g=gen: self._take(g), self._thumbnail, self._signals)
            )
        QTimer.singleShot(0, self._prioritise_visible)

    def refresh(self, path: Path) -> None:
        """Make ``path``'s thumbnail again: its file changed on disk."""
        if path not in self.paths:
            return
        with self._lock:
            self._pending.insert(0, self.paths.index(path))
            gen = self._generation
        self._pool.start(
            _Loader(lambda g=gen: self._take(g), self._thumbnail, self._signals)
        )

    def _take(self, generation: int) -> int | None:
        with self._lock:
            if generation != self._generation or not self._pending:
                return None
            return self._pending.pop(0)

    def _thumbnail(self, index: int) -> bytes:
        path = self.paths[index]
        car = self._sidecar_for(path) if self._sidecar_for else None
        if car is not None:
            cached = car.read_thumbnail(path.name, path)
            if cached:
                return cached
        data = make_thumbnail_png(path)
        if car is not None:
            with contextlib.suppress(OSError):
                car.write_thumbnail(path.name, data)
        return data

    def _prioritise_visible(self) -> None:
        """Move the rows in view to the front of the queue."""
        first = self.indexAt(self.viewport().rect().topLeft()).row()
        last = self.indexAt(self.viewport().rect().bottomLeft()).row()
        if first < 0:
            return
        last = self.count() - 1 if last < 0 else last
        visible = set(range(first, last + 2))
        with self._lock:
            self._pending = [i for i in self._pending if i in visible] + [
                i for i in self._pending if i not in visible
            ]

    def _on_loader_loaded(self, index: int, data: bytes) -> None:
        if index >= self.count():
            return
        img = QImage.fromData(data) if data else QImage()
        if img.isNull():
            img = QImage(THUMB, THUMB, QImage.Format.Format_RGB32)
            img.fill(QColor(120, 40, 40))
        pm = QPixmap(ICON_WIDTH, THUMB)
        pm.fill(Qt.GlobalColor.transparent)
        p = QPainter(pm)
        p.drawImage((ICON_WIDTH - img.width()) // 2, (THUMB - img.height()) // 2, img)
        p.end()
        icon = QIcon(pm)
        # Without its own Selected pixmap Qt tints the current photo with the
        # highlight colour, which misrepresents its colours.
        icon.addPixmap(pm, QIcon.Mode.Selected)
        self.item(index).setIcon(icon)

    def set_status(self, path: Path, status: str) -> None:
        try:
            i = self.paths.index(path)
        except ValueError:
            return
        item = self.item(i)
        item.setText(STATUS_MARK.get(status, "") + path.name)
        color = STATUS_COLOR.get(status)
        item.setForeground(
            color if color is not None else self.palette().text().color()
        )
        item.setData(Qt.ItemDataRole.UserRole, status)

    def status_of(self, index: int) -> str:
        return self.item(index).data(Qt.ItemDataRole.UserRole) or "untouched"

    def wait_idle(self, msecs: int = 10000) -> bool:
        return self._pool.waitForDone(msecs)
