"""Render the window's main states to PNG: ``python -m restore_app.ui.screenshots OUT``.

Works on a copy of the bundled sample photos (the samples themselves never get
a sidecar) and runs offscreen unless a display is asked for.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

SAMPLE = "old_w_scratch_d.png"


def crack_mask(pixels):
    """bool (H, W) of thin bright cracks in (H, W, C) uint8/uint16 pixels (C=1|3)."""
    import cv2
    import numpy as np

    from restore_app.ui.display import to_display8

    gray = to_display8(pixels)
    gray = (
        gray[..., 0] if gray.shape[2] == 1 else cv2.cvtColor(gray, cv2.COLOR_RGB2GRAY)
    )
    tophat = gray.astype(np.int16) - cv2.medianBlur(gray, 9).astype(np.int16)
    # Cracks in these prints are light lines: brighter than around them, and bright.
    mask = ((tophat > 22) & (gray > 150)).astype(np.uint8)
    mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
    return mask.astype(bool)


def render(out_dir: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QPointF, QSettings

    from restore_app.resources import samples_dir
    from restore_app.ui.app import application
    from restore_app.ui.main_window import MainWindow

    app = application()
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="restore-shots-"))
    try:
        folder = work / "scans"
        folder.mkdir()
        for f in sorted(samples_dir().glob("*.png")):
            shutil.copy2(f, folder / f.name)
        settings = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
        w = MainWindow(settings)
        w.ask_on_close = False
        w.resize(1440, 900)
        w.show()
        w.open_paths([str(folder)])
        index = w.session.paths.index((folder / SAMPLE).resolve())

        def wait(cond, timeout=30.0):
            import time

            end = time.monotonic() + timeout
            while not cond():
                app.processEvents()
                if time.monotonic() > end:
                    raise TimeoutError("the window did not get there in time")
                time.sleep(0.01)

        wait(lambda: w.doc is not None)
        w.show_index(index)
        wait(lambda: w.doc is not None and w.doc.path.name == SAMPLE)
        w.folder_panel.wait_idle(20000)
        wait(lambda: True)
        for _ in range(20):
            app.processEvents()
        doc = w.doc
        doc.set_mask(crack_mask(doc.pixels), "Detect cracks")
        canvas = w.canvas
        canvas.fit()
        canvas._cursor = canvas.to_widget(QPointF(300, 120))
        shots = []

        def shot(name: str) -> None:
            for _ in range(10):
                app.processEvents()
            path = out_dir / name
            w.grab().save(str(path))
            shots.append(path)

        shot("mask.png")
        canvas._cursor = None
        w.tools.load_settings({"task": "inpaint", "restorer": "inpaint.telea"})
        w.run_tool()
        wait(lambda: not w.jobs.busy)
        w.set_view_mode("split")
        canvas.split = 0.5
        shot("split.png")
        w.set_view_mode("diff")
        shot("difference.png")
        w.set_view_mode("side")
        canvas.fit()
        shot("side_by_side.png")
        w.close()
        return shots
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path("packaging/screenshots")
    for path in render(out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
