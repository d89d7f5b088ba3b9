"""Child process of the crash test: paints, fills, waits for the autosave, then idles.

Prints "SAVED mask=N repaired=N changed=N" once the sidecar holds the work;
the test then kills this process with SIGKILL (no clean shutdown at all).
"""

from __future__ import annotations

import sys

import numpy as np
from PySide6.QtCore import QPointF, Qt, QTimer
from PySide6.QtTest import QTest


def main() -> None:
    from ui_helpers import child_window

    app, w = child_window(sys.argv[1])
    state = {"step": 0}

    def report() -> None:
        doc = w.doc
        changed = (doc.pixels != doc.original_region(0, 0, doc.width, doc.height)).any(
            axis=2
        )
        print(
            f"SAVED mask={int(doc.mask.sum())} repaired={int(doc.repaired.sum())} "
            f"changed={int(changed.sum())}",
            flush=True,
        )

    def step() -> None:
        doc = w.doc
        if doc is None:
            return
        if state["step"] == 0:
            # A fill: mask, then Enter runs inpainting on the worker.
            m = doc.mask.copy()
            m[60:75, 80:160] = True
            doc.set_mask(m, "Paint mask")
            w.workspace.tools.apply_task_settings(
                {"task": "inpaint", "restorer": "inpaint.telea"}
            )
            w.run_tool()
            state["step"] = 1
        elif state["step"] == 1 and not w.jobs.busy and doc.repaired.any():
            # Then a stroke with real mouse events.
            c = w.canvas
            a, b, e = (
                c.to_widget(QPointF(x, y)).toPoint()
                for x, y in ((40, 150), (90, 170), (150, 180))
            )
            QTest.mousePress(c, Qt.MouseButton.LeftButton, pos=a)
            QTest.mouseMove(c, b)
            QTest.mouseRelease(c, Qt.MouseButton.LeftButton, pos=e)
            w.session.saved.connect(lambda _p: state.update(saved=True))
            state["step"] = 2
        elif state["step"] == 2 and state.get("saved") and not doc.dirty:
            state["step"] = 3
            report()

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(50)
    app.exec()


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
