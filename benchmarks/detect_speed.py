"""Speed and memory of damage detection on a large scan, on the CPU.

    python benchmarks/detect_speed.py [--megapixels 24]

Detects the damage of one scan of the given size as ``restore-app detect``
does — the medium decided, faces found, every proposed region checked before
it may be filled unattended — with the built-in learned detector, on the CPU
with the engine's own thread count (one core fewer than the machine has), and
prints seconds, megapixels per second, the peak memory
above the scan itself and the share flagged, beside the classical detector on
the same image in the same run. Each detector runs in a process of its own, so
each peak is its own. The scan is a bundled damaged sample mirrored across the
size asked for, so its damage keeps the scale of a real scan's (an enlarged
scan would turn hairlines into bands). The aim: a 24 MP scan in under 30 s on a
2-core CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from restore_app.models.detection import detect  # noqa: E402
from restore_app.pipeline.detect import DetectSettings, propose  # noqa: E402
from restore_app.resources import samples_dir  # noqa: E402

DETECTORS = ("detect.tophat", "detect.unet")


def make_scan(megapixels: float) -> np.ndarray:
    """The damaged sample, enlarged 2× (a 256² print scanned at twice the
    resolution) and mirrored to 4:3 at the size asked for."""
    sample = samples_dir() / "old_w_scratch_b.png"
    img = cv2.imread(str(sample))[..., ::-1]
    img = cv2.resize(img, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    w = int(np.sqrt(megapixels * 1e6 * 3 / 4))
    h = int(w * 4 / 3)
    reps = (-(-h // img.shape[0]), -(-w // img.shape[1]))
    rows = [np.concatenate([img, img[:, ::-1]] * (reps[1] // 2 + 1), 1)]
    tile = np.concatenate(
        [rows[0], rows[0][::-1]] * (reps[0] // 2 + 1), 0
    )  # mirrored so no seam looks like a crack
    return np.ascontiguousarray(tile[:h, :w])


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(detector_id: str, megapixels: float) -> dict:
    """What ``detect -o`` does: detection with the medium decided, the faces
    found and every proposed region checked (``propose``)."""
    scan = make_scan(megapixels)
    detect(scan[:256, :256], detector_id=detector_id, device="cpu")  # warm-up
    before = peak_mb()
    t = time.perf_counter()
    found = propose(scan, DetectSettings(detector_id), None, "cpu", None, None)
    seconds = time.perf_counter() - t
    return {
        "seconds": seconds,
        "peak_mb": peak_mb() - before,
        "flagged": float(found.mask.mean()),
        "shape": scan.shape,
        "scan_mb": scan.nbytes / 2**20,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--megapixels", type=float, default=24.0)
    ap.add_argument("--only", choices=DETECTORS, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.only:
        print(json.dumps(measure(args.only, args.megapixels)))
        return 0
    rows = {}
    for did in DETECTORS:
        run = subprocess.run(
            [sys.executable, __file__, "--only", did, "--megapixels",
             str(args.megapixels)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        rows[did] = json.loads(run.stdout.strip().splitlines()[-1])
    h, w = rows[DETECTORS[0]]["shape"][:2]
    mp = h * w / 1e6
    print(f"{w}×{h} ({mp:.1f} MP), {os.cpu_count()} cores")
    base = rows[DETECTORS[0]]["seconds"]
    print(
        f"{'detector':<16} {'seconds':>8} {'MP/s':>6} {'× classical':>11} "
        f"{'peak MB more':>12} {'flagged':>8}"
    )
    for did, r in rows.items():
        sec = r["seconds"]
        print(
            f"{did:<16} {sec:8.1f} {mp / sec:6.2f} {sec / base:11.2f} "
            f"{r['peak_mb']:12.0f} {r['flagged']:8.2%}"
        )
    print(f"image itself: {rows[DETECTORS[0]]['scan_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
