"""Writes this folder's fixtures: what a release of Restore leaves on disk,
for the tests that every later release still loads, replays and verifies.

    python tests/data/written-0.1/make.py

Run once, by the release that wrote them; never again (the files are the
point). It works in /tmp/restore-fixture (the paths its records name; the
test moves them) and copies the result here:

- ``scans/scan.png`` and its sidecar ``scans/.restore``: opened in the window,
  a mask, a protected region and a crack on the damage map painted, the mask
  filled (Telea), the result exported, and one more stroke that only the edit
  journal holds (the window was killed before its autosave);
- ``out/scan.restored.png`` with its record and masks (the window's export);
- ``out/cli.png`` with its record and masks (``restore-app inpaint``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WORK = Path("/tmp/restore-fixture")


def _wait(app, done, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not done():
        if time.monotonic() > end:
            raise TimeoutError("the window did not finish")
        app.processEvents()
        time.sleep(0.01)


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import cv2
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from restore_app.ui.main_window import MainWindow

    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "scans").mkdir(parents=True)
    (WORK / "out").mkdir()
    y, x = np.mgrid[0:48, 0:64]
    rng = np.random.default_rng(1)
    scan = np.stack([x * 3, y * 4, (x + y) * 2], axis=2) + rng.integers(
        0, 20, (48, 64, 3)
    )
    cv2.imwrite(str(WORK / "scans" / "scan.png"), scan.astype(np.uint8))

    app = QApplication.instance() or QApplication([])
    settings = QSettings(str(WORK / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.ask_on_close = False
    window.show()
    window.open_paths([str(WORK / "scans" / "scan.png")])
    _wait(app, lambda: window.doc is not None)
    doc = window.doc
    mask = np.zeros((48, 64), bool)
    mask[20:24, 5:60] = True
    doc.set_mask(mask, "Paint mask")
    protect = np.zeros((48, 64), bool)
    protect[:, 30:36] = True
    doc.set_mask(protect, "Protect", "protect")
    crack = np.zeros((48, 64), bool)
    crack[5:40, 10:12] = True
    doc.set_mask(crack, "Crack", "damage:crack")
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea"}
    )
    applied = []
    window.jobs.applied.connect(lambda *_: applied.append(True))
    window.run_tool()
    _wait(app, lambda: bool(applied))
    window.files.write_derivative(
        doc, WORK / "out" / "scan.restored.png", overwrite=False
    )
    window.session.flush()
    _wait(app, lambda: not window.session.unsaved and not doc.dirty)
    later = np.zeros((48, 64), bool)
    later[40:44, 40:60] = True
    doc.set_mask(later, "Paint mask")  # journaled at once; never autosaved

    cv2.imwrite(str(WORK / "out" / "cli-mask.png"), mask.astype(np.uint8) * 255)
    scan_file, out = WORK / "scans" / "scan.png", WORK / "out"
    subprocess.run(
        [sys.executable, "-m", "restore_app", "inpaint", str(scan_file),
         "--mask", str(out / "cli-mask.png"), "--model", "inpaint.telea",
         "-o", str(out / "cli.png")],
        check=True,
    )  # fmt: skip
    for name in ("scans", "out"):
        shutil.rmtree(HERE / name, ignore_errors=True)
        shutil.copytree(WORK / name, HERE / name)
    # Killed before the autosave: the stroke lives only in the journal.
    os._exit(0)


if __name__ == "__main__":
    main()
