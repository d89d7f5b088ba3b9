"""Child process of the stroke-durability test: one brush stroke with real mouse
events, then SIGKILL as soon as the release handler has returned (no autosave,
no clean shutdown)."""

from __future__ import annotations

import os
import signal
import sys

from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtTest import QTest


def main() -> None:
    from ui_helpers import child_window

    app, w = child_window(sys.argv[1])

    def stroke() -> None:
        if w.doc is None:
            QTimer.singleShot(20, stroke)
            return
        c = w.canvas
        c.tools.brush_size = 6
        a, b = (
            c.to_widget(QPointF(x, y)).toPoint() for x, y in ((40, 100), (200, 100))
        )
        QTest.mousePress(c, Qt.MouseButton.LeftButton, pos=a)
        QTest.mouseMove(c, pos=b)
        QTest.mouseRelease(c, Qt.MouseButton.LeftButton, pos=b)
        print(f"STROKE {int(w.doc.mask.sum())}", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    QTimer.singleShot(0, stroke)
    app.exec()


if __name__ == "__main__":
    main()
