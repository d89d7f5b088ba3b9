"""Speed of the built-in learned models on the CPU, against a classical baseline.

    python benchmarks/model_speed.py [--megapixels 12]

Runs each built-in model through the engine, on the CPU with the engine's own
thread count (one core fewer than the machine has), on one image of the given
size made from a bundled sample scan, and prints seconds and megapixels per
second beside OpenCV non-local means on the same image in the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from restore_app.models.engine import restore  # noqa: E402
from restore_app.resources import samples_dir  # noqa: E402


def make_image(megapixels: float) -> tuple[np.ndarray, np.ndarray]:
    """A noisy 4:3 photograph of ``megapixels`` and a 1 % scratch mask."""
    sample = sorted(samples_dir().glob("*.png"))[0]
    img = cv2.imread(str(sample))[..., ::-1]
    w = int(np.sqrt(megapixels * 1e6 * 4 / 3))
    h = int(w * 3 / 4)
    big = cv2.resize(img, (w, h), interpolation=cv2.INTER_CUBIC)
    rng = np.random.default_rng(0)
    noisy = np.clip(big + rng.normal(0, 12, big.shape), 0, 255).astype(np.uint8)
    mask = np.zeros((h, w), np.uint8)
    for _ in range(40):
        p0 = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
        p1 = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
        cv2.line(mask, p0, p1, 1, 3)
    return noisy, mask.astype(bool)


def timed(**kwargs) -> float:
    t = time.perf_counter()
    restore(device="cpu", **kwargs)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--megapixels", type=float, default=12.0)
    args = ap.parse_args()
    img, mask = make_image(args.megapixels)
    mp = img.shape[0] * img.shape[1] / 1e6
    print(f"{img.shape[1]}×{img.shape[0]} ({mp:.1f} MP), {os.cpu_count()} cores")
    # Warm-up: load weights and let torch pick its kernels.
    small = img[:256, :256]
    restore(small, task="denoise", restorer_id="denoise.nafnet", device="cpu")
    base = timed(pixels=img, task="denoise", restorer_id="denoise.nlm", strength=1.0)
    rows = [("denoise.nlm (baseline)", base)]
    for task, rid in (("denoise", "denoise.nafnet"), ("deblur", "deblur.nafnet")):
        rows.append((rid, timed(pixels=img, task=task, restorer_id=rid, strength=1.0)))
    rows.append(
        (
            f"inpaint.ffc ({mask.mean() * 100:.1f} % of the image)",
            timed(pixels=img, task="inpaint", restorer_id="inpaint.ffc", mask=mask),
        )
    )
    print(f"{'restorer':<40} {'seconds':>8} {'MP/s':>6} {'× baseline':>10}")
    for name, sec in rows:
        print(f"{name:<40} {sec:8.1f} {mp / sec:6.2f} {sec / base:10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
