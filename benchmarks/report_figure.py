"""The README's treatment-report figure: the damage-map page of a report made
the way a conservator makes one in the window.

    python benchmarks/report_figure.py [--out packaging/screenshots/report.png]

A real damaged print (``old_w_scratch_a`` of microsoft/Bringing-Old-Photos-Back-
to-Life's test set, MIT; ``.data/old-photos``) is opened in the window (offscreen);
its damage map is painted from the hand-labelled truth in
``benchmarks/real_truth/`` (dust and hairs, cracks, losses: each kind its own
layer), the bow in the hair is protected as original, the map's kinds become the
working mask and are filled with the default fill, and the result is exported.
``restore-app report`` then writes the PDF; its damage-map page and the page of
100 % crops after it are rendered with ``pdftoppm`` (poppler), side by side.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STEM = "old_w_scratch_a"
#: The bow in the hair (x0, y0, x1, y1): picture, light as damage is.
BOW = (138, 132, 228, 218)


def _wait(app, done, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not done():
        if time.monotonic() > end:
            raise TimeoutError("the window did not finish in time")
        app.processEvents()
        time.sleep(0.01)


def make_report(folder: Path) -> Path:
    """Open, map, protect, fill and export the print in a window; the PDF."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from restore_app.core.damage import DAMAGE_KINDS, layer_name
    from restore_app.core.report import write_report
    from restore_app.ui.main_window import MainWindow

    scans = folder / "scans"
    scans.mkdir()
    scan = scans / f"{STEM}.png"
    scan.write_bytes((ROOT / ".data" / "old-photos" / scan.name).read_bytes())
    truth = cv2.imread(str(ROOT / "benchmarks" / "real_truth" / scan.name), -1)

    app = QApplication.instance() or QApplication([])
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.ask_on_close = False
    window.show()
    window.open_paths([str(scan)])
    _wait(app, lambda: window.doc is not None)
    doc = window.doc
    kinds = []
    for k in DAMAGE_KINDS:
        layer = truth == k.label
        if layer.any():
            doc.set_mask(layer, k.name, layer_name(k.id))
            kinds.append(k.id)
    bow = np.zeros(doc.mask.shape, bool)
    x0, y0, x1, y1 = BOW
    bow[y0:y1, x0:x1] = True
    doc.set_mask(bow, "Protect", "protect")
    doc.mask_from_damage_map(kinds)
    applied = []
    window.jobs.applied.connect(lambda *_: applied.append(True))
    window.run_tool()
    _wait(app, lambda: bool(applied))
    out = folder / f"{STEM}.restored.png"
    window.files.write_derivative(doc, out, overwrite=False)
    window.close()
    return write_report(out.with_name(out.name + ".json"), folder / "report.pdf")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--out", type=Path, default=ROOT / "packaging/screenshots/report.png"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pdf = make_report(Path(tmp))
        # Page 1 is the title page; the damage map and the crops come next,
        # shown side by side down to what the longer of them holds.
        prefix = Path(tmp) / "page"
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-f", "2", "-l", "3", pdf, prefix],
            check=True,
        )
        pages = [cv2.imread(str(p)) for p in sorted(Path(tmp).glob("page*.png"))]
        img = np.hstack(
            [pages[0], np.full((pages[0].shape[0], 2, 3), 160, np.uint8), pages[1]]
        )
        rows = np.nonzero((img < 250).any(axis=(1, 2)))[0]
        img = img[: min(img.shape[0], rows[-1] + 24)]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(args.out), img, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
