"""The model's ``Post`` on the window's event loop: a function handed over from
any thread runs on the GUI thread, in order, when the loop next turns."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal


class MainThreadPost(QObject):
    _called = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._called.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def __call__(self, fn: Callable[[], None]) -> None:
        # Once the window is gone, nothing is left to hand the result to.
        with contextlib.suppress(RuntimeError):
            self._called.emit(fn)

    @staticmethod
    def _run(fn: Callable[[], None]) -> None:
        fn()
