"""Time to first paint of a 100 MP 16-bit TIFF: open, decode, fit, draw.

python benchmarks/ui_first_paint.py [--megapixels 100] [--keep FILE]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from ui_common import make_window  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--megapixels", type=float, default=100)
    args = ap.parse_args()
    import tifffile

    side = int((args.megapixels * 1e6 / 1.25) ** 0.5)
    h, w = side, int(side * 1.25)
    folder = Path(tempfile.mkdtemp(prefix="restore-firstpaint-"))
    path = folder / "scan.tif"
    yy = np.linspace(0, 65535, h, dtype=np.float32)[:, None]
    xx = np.linspace(0, 65535, w, dtype=np.float32)[None, :]
    img = np.empty((h, w, 3), np.uint16)
    img[..., 0] = (yy * 0.5 + xx * 0.5).astype(np.uint16)
    img[..., 1] = (65535 - xx).astype(np.uint16)
    img[..., 2] = np.broadcast_to(yy, (h, w)).astype(np.uint16)
    tifffile.imwrite(path, img, photometric="rgb")
    del img

    app, win = make_window()
    painted = []
    canvas = win.canvas
    original_paint = canvas.paintEvent

    def paint(event):
        original_paint(event)
        if canvas.doc is not None and not painted:
            painted.append(time.perf_counter())

    canvas.paintEvent = paint
    t0 = time.perf_counter()
    win.open_paths([str(path)])
    loaded = None
    while not painted:
        app.processEvents()
        if loaded is None and win.doc is not None:
            loaded = time.perf_counter()
        time.sleep(0.001)
    t1 = painted[0]
    print(
        f"{w}x{h} 16-bit RGB TIFF ({w * h / 1e6:.0f} MP, "
        f"{path.stat().st_size / 1e6:.0f} MB)"
    )
    print(
        f"decode + document: {loaded - t0:.2f} s; "
        f"first paint after that: {(t1 - loaded) * 1000:.0f} ms"
    )
    print(
        f"time to first paint: {t1 - t0:.2f} s "
        f"(level {canvas.level()}, zoom {canvas.scale * 100:.1f} %)"
    )
    # Panning at fit stays cheap: tiles are cached per pyramid level.
    times = []
    for i in range(30):
        t = time.perf_counter()
        canvas.pan_by(7 if i % 2 else -7, 0)
        canvas.repaint()
        times.append((time.perf_counter() - t) * 1000)
    print(
        f"repaint while panning at fit: median {np.median(times):.1f} ms, "
        f"max {max(times):.1f} ms"
    )
    win.close()
    path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
