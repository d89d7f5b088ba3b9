"""Speed and memory of damage detection on a large scan, on the CPU.

    python benchmarks/detect_speed.py [--megapixels 24]

Detects the damage of one scan of the given size (a bundled sample scan
enlarged) with the built-in learned detector, on the CPU with the engine's own
thread count (one core fewer than the machine has), and prints seconds,
megapixels per second and the process's peak memory beside the classical
detector on the same image in the same run. The issue's target: a 24 MP scan
in under 30 s on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from restore_app.models.detection import detect  # noqa: E402
from restore_app.resources import samples_dir  # noqa: E402


def make_scan(megapixels: float) -> np.ndarray:
    sample = samples_dir() / "old_w_scratch_b.png"
    img = cv2.imread(str(sample))[..., ::-1]
    w = int(np.sqrt(megapixels * 1e6 * 3 / 4))
    h = int(w * 4 / 3)
    return np.ascontiguousarray(cv2.resize(img, (w, h), interpolation=cv2.INTER_CUBIC))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--megapixels", type=float, default=24.0)
    args = ap.parse_args()
    scan = make_scan(args.megapixels)
    mp = scan.shape[0] * scan.shape[1] / 1e6
    print(f"{scan.shape[1]}×{scan.shape[0]} ({mp:.1f} MP), {os.cpu_count()} cores")
    detect(scan[:256, :256], detector_id="detect.unet", device="cpu")  # warm-up
    rows = []
    for did in ("detect.tophat", "detect.unet"):
        before = peak_mb()
        t = time.perf_counter()
        proposal = detect(scan, detector_id=did, device="cpu")
        sec = time.perf_counter() - t
        rows.append((did, sec, peak_mb() - before, proposal.mask().mean()))
    base = rows[0][1]
    print(
        f"{'detector':<16} {'seconds':>8} {'MP/s':>6} {'× classical':>11} "
        f"{'peak MB more':>12} {'flagged':>8}"
    )
    for did, sec, mem, flagged in rows:
        print(
            f"{did:<16} {sec:8.1f} {mp / sec:6.2f} {sec / base:11.2f} "
            f"{mem:12.0f} {flagged:8.2%}"
        )
    print(f"image itself: {scan.nbytes / 2**20:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
