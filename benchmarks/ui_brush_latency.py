"""Brush latency: time per mouse move (stamp + repaint) on a 40 MP image.

python benchmarks/ui_brush_latency.py [--zoom 1.0] [--moves 300]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from ui_common import make_window, percentile, show_array  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--zoom", type=float, default=1.0)
    ap.add_argument("--moves", type=int, default=300)
    ap.add_argument("--size", type=int, default=40, help="megapixels")
    args = ap.parse_args()
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtTest import QTest

    app, w = make_window()
    h = int((args.size * 1e6 / 1.5) ** 0.5)
    wd = int(h * 1.5)
    pixels = np.random.default_rng(0).integers(0, 255, (h, wd, 3), dtype=np.uint8)
    show_array(w, pixels)
    c = w.canvas
    c.zoom_to(args.zoom, QPointF(0, 0))
    # The image centre at the canvas centre: every move lands inside the image.
    c.offset = QPointF(
        c.width() / 2 - wd / 2 * c.scale, c.height() / 2 - h / 2 * c.scale
    )
    c.tools.brush_size = 40
    app.processEvents()
    c.repaint()
    times = []
    QTest.mousePress(c, Qt.MouseButton.LeftButton, pos=QPoint(50, 50))
    for i in range(args.moves):
        x = 50 + (i * 7) % max(100, c.width() - 100)
        y = 50 + int(200 + 150 * np.sin(i / 10))
        t0 = time.perf_counter()
        QTest.mouseMove(c, QPoint(x, y))
        app.processEvents()  # the queued repaint of the touched region
        times.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    QTest.mouseRelease(c, Qt.MouseButton.LeftButton, pos=QPoint(60, 60))
    release = (time.perf_counter() - t0) * 1000
    cmd = w.doc.last_command
    print(
        f"image {wd}x{h} ({wd * h / 1e6:.0f} MP), zoom {args.zoom * 100:.0f} %, "
        f"{args.moves} moves"
    )
    print(
        f"per move (stamp + repaint): median {percentile(times, 50):.2f} ms, "
        f"p95 {percentile(times, 95):.2f} ms, p99 {percentile(times, 99):.2f} ms, "
        f"max {max(times):.2f} ms (at move {int(np.argmax(times))})"
    )
    print(
        f"release (undo step): {release:.1f} ms, undo data {cmd.nbytes / 1024:.0f} KiB"
    )
    w.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
