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
WINDOW_SIZE = (1280, 800)
#: (x0, y0, x1, y1) boxes of SAMPLE a person erases from the detected mask while
#: reviewing it: eyes, mouths and the collar insignia are picture, not cracks.
REVIEWED_OUT = (
    (185, 65, 255, 92),
    (205, 112, 250, 132),
    (120, 120, 175, 137),
    (128, 156, 157, 178),
    (226, 140, 322, 202),
)


def crack_mask(pixels):
    """bool (H, W), True on light cracks and paper losses of (H, W, C) image data.

    ``pixels`` is uint8/uint16 (or float32 in [0, 1]), C = 1 (gray) or 3 (RGB).
    Cracks in old prints show the light paper base: thin lines brighter than
    their surroundings, kept when they are elongated rather than spots; losses
    are large bright areas that reach the edge of the print.
    """
    import cv2
    import numpy as np

    from restore_app.ui.display import to_display8

    gray = to_display8(pixels)
    gray = (
        gray[..., 0] if gray.shape[2] == 1 else cv2.cvtColor(gray, cv2.COLOR_RGB2GRAY)
    )
    tophat = gray.astype(np.int16) - cv2.medianBlur(gray, 7).astype(np.int16)
    lines = ((tophat > 14) & (gray > 100)).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
    w, h, area = (
        stats[:, cv2.CC_STAT_WIDTH],
        stats[:, cv2.CC_STAT_HEIGHT],
        stats[:, cv2.CC_STAT_AREA],
    )
    keep = (np.maximum(w, h) >= 8) & (area < 0.6 * w * h)
    keep[0] = False
    mask = keep[labels]
    bright = (gray > 200).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=8)
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    at_edge = (x == 0) | (y == 0)
    at_edge |= x + stats[:, cv2.CC_STAT_WIDTH] == gray.shape[1]
    at_edge |= y + stats[:, cv2.CC_STAT_HEIGHT] == gray.shape[0]
    loss = at_edge & (stats[:, cv2.CC_STAT_AREA] > 150)
    loss[0] = False
    mask |= loss[labels]
    mask = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8))
    return mask.astype(bool)


def reviewed_mask(pixels):
    """crack_mask of SAMPLE's (H, W, C) pixels with the REVIEWED_OUT boxes erased."""
    mask = crack_mask(pixels)
    for x0, y0, x1, y1 in REVIEWED_OUT:
        mask[y0:y1, x0:x1] = False
    return mask


def render(out_dir: Path) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QPointF, QSettings

    from restore_app.models.registry import default_restorer_id
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
        w.resize(*WINDOW_SIZE)
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
        doc.set_mask(reviewed_mask(doc.pixels), "Detect cracks")
        canvas = w.canvas
        canvas.fit()
        canvas._cursor = canvas.to_widget(QPointF(316, 66))
        shots = []

        def shot(name: str) -> None:
            for _ in range(10):
                app.processEvents()
            path = out_dir / name
            # Highest zlib level: these files ship in the repository.
            w.grab().toImage().save(str(path), "PNG", 0)
            shots.append(path)

        shot("mask.png")
        canvas._cursor = None
        restorer = default_restorer_id("inpaint")
        w.tools.load_settings({"task": "inpaint", "restorer": restorer})
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
