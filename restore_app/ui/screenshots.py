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


def reviewed_mask(pixels):
    """The classical detector's proposal for SAMPLE's (H, W, C) pixels with the
    REVIEWED_OUT boxes erased."""
    from restore_app.models.detection import detect

    mask = detect(pixels, detector_id="detect.tophat").mask()
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
        canvas.show_brush_at(QPointF(316, 66))
        shots = []

        def shot(name: str) -> None:
            for _ in range(10):
                app.processEvents()
            path = out_dir / name
            # Highest zlib level: these files ship in the repository.
            w.grab().toImage().save(str(path), "PNG", 0)
            shots.append(path)

        shot("mask.png")
        # The collar insignia protected as original: painted on its own layer.
        import numpy as np

        protect = np.zeros(doc.mask.shape, bool)
        x0, y0, x1, y1 = REVIEWED_OUT[4]
        protect[y0:y1, x0:x1] = True
        doc.set_mask(protect, "Protect", "protect")
        w.set_layer("protect")
        shot("protect.png")
        w.set_layer("mask")
        w.files.batch_dialog()
        dialog = w.files.dialog
        for _ in range(20):
            app.processEvents()
        dialog.grab().toImage().save(str(out_dir / "batch.png"), "PNG", 0)
        shots.append(out_dir / "batch.png")
        dialog.reject()
        canvas.show_brush_at(None)
        restorer = default_restorer_id("inpaint")
        w.workspace.tools.apply_task_settings({"task": "inpaint", "restorer": restorer})
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
