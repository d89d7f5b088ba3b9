"""How fast the magic wand answers a click on a large scan.

    python benchmarks/wand_speed.py [--megapixels 24] [--repeat 3]

Clicks a stain on a scan of the given size (a bundled damaged sample mirrored
across it, a brown stain drawn in) and prints the best of ``--repeat`` times
for the wand (flood, then GrabCut fitted to the edges in a box around the
area) beside OpenCV's flood fill alone on the same image in the same run, and
their ratio: the wand's own cost. The aim: under 1 s for 24 MP on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from restore_app.core.selection import DEFAULT_TOLERANCE, similar_area  # noqa: E402
from restore_app.resources import samples_dir  # noqa: E402


def make_scan(megapixels: float) -> tuple[np.ndarray, tuple[int, int]]:
    tile = cv2.imread(str(samples_dir() / "old_w_scratch_d.png"))[..., ::-1]
    tile = np.concatenate([tile, tile[:, ::-1]], axis=1)
    tile = np.concatenate([tile, tile[::-1]], axis=0)
    side = int((megapixels * 1e6 * 1.5) ** 0.5)
    h, w = int(side / 1.5), side
    reps = (h // tile.shape[0] + 1, w // tile.shape[1] + 1, 1)
    scan = np.ascontiguousarray(np.tile(tile, reps)[:h, :w])
    centre = (w // 2, h // 2)
    cv2.ellipse(scan, centre, (180, 120), 25, 0, 360, (95, 70, 40), -1)
    return scan, centre


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--megapixels", type=float, default=24.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    scan, (x, y) = make_scan(args.megapixels)
    h, w = scan.shape[:2]

    def flood() -> None:
        m = np.zeros((h + 2, w + 2), np.uint8)
        d = (DEFAULT_TOLERANCE * 2.55,) * 3
        flags = 8 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (1 << 8)
        cv2.floodFill(scan, m, (x, y), (0, 0, 0), d, d, flags)

    base = best_of(args.repeat, flood)
    wand = best_of(args.repeat, lambda: similar_area(scan, x, y))
    area = int(similar_area(scan, x, y).sum())
    print(f"{w}×{h} ({w * h / 1e6:.1f} MP), stain of {area:,} px selected")
    print(f"flood fill alone: {base:.3f} s")
    print(f"magic wand:       {wand:.3f} s  ({wand / base:.1f}× the flood fill)")
    print(f"aim: under 1 s — {'met' if wand < 1.0 else 'not met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
