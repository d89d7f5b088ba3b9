"""Tiled denoising: throughput and peak memory against image size.

Each size runs in a fresh process, so one measurement's peak memory cannot hide
another's. Two modes run on the same noisy images in the same run:

- tiled: the engine with 512 px tiles (what the app and the CLI do);
- baseline: the same engine and restorer with one tile as large as the image, i.e.
  the whole image at once.

Peak memory is the process's peak resident size above what it held once the input
image was made, so it counts the work, not the input. Tiled memory should stay
flat; the baseline's grows with the image.

    python benchmarks/tiled_denoise.py [--quick] [--restorer ID] [--no-baseline]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout

FULL_SIZES_MP = (1, 4, 16)
QUICK_SIZES_MP = (0.25, 1, 4)
TILE = 512


def make_noisy(megapixels: float, sigma: float = 12.0, seed: int = 0) -> np.ndarray:
    """uint8 ``(H, W, 3)`` RGB, 3:2 landscape: a smooth scene plus Gaussian noise."""
    h = int(round((megapixels * 1e6 / 1.5) ** 0.5))
    w = int(round(h * 1.5))
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    noise = rng.normal(0, sigma, size=(512, 512)).astype(np.float32)
    noise = np.tile(noise, (h // 512 + 1, w // 512 + 1))
    image = np.empty((h, w, 3), np.uint8)
    for c in range(3):
        base = 128 + 70 * np.sin(9 * x + 2 * c) * np.cos(7 * y - c)
        # shift the noise per channel so channels do not share it exactly
        image[..., c] = np.clip(base + noise[c : c + h, c : c + w], 0, 255)
    return image


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def worker(megapixels: float, mode: str, restorer_id: str) -> dict:
    """Run one measurement in this process; returns what the parent prints."""
    from restore_app.models.engine import restore

    image = make_noisy(megapixels)
    h, w = image.shape[:2]
    # Warm up imports and OpenCV on a small crop, then take the baseline RSS.
    restore(image[:256, :256], task="denoise", restorer_id=restorer_id, strength=1.0)
    before = _peak_rss_mb()
    tile = TILE if mode == "tiled" else max(h, w)
    start = time.perf_counter()
    restore(image, task="denoise", restorer_id=restorer_id, tile_size=tile)
    seconds = time.perf_counter() - start
    return {
        "mp": h * w / 1e6,
        "seconds": seconds,
        "mp_per_s": h * w / 1e6 / seconds,
        "peak_mb": _peak_rss_mb() - before,
    }


def measure(megapixels: float, mode: str, restorer_id: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", str(megapixels), mode, restorer_id],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 0.25, 1 and 4 MP")
    parser.add_argument("--restorer", default="denoise.nlm", help="denoise restorer id")
    parser.add_argument("--no-baseline", action="store_true", help="tiled runs only")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        mp, mode, restorer_id = args.worker
        print(json.dumps(worker(float(mp), mode, restorer_id)))
        return 0

    sizes = QUICK_SIZES_MP if args.quick else FULL_SIZES_MP
    modes = ("tiled",) if args.no_baseline else ("tiled", "baseline")
    print(
        f"restorer {args.restorer}, tiles of {TILE} px; memory is peak RSS above input"
    )
    header = ("image", "mode", "seconds", "MP/s", "peak MB")
    print("{:>9} {:>9} {:>9} {:>8} {:>9}".format(*header))
    for mp in sizes:
        for mode in modes:
            r = measure(mp, mode, args.restorer)
            if "error" in r:
                print(f"{mp:7.2f}MP {mode:>9}  failed: {r['error'][0]}")
                continue
            print(
                f"{r['mp']:7.2f}MP {mode:>9} {r['seconds']:9.2f} "
                f"{r['mp_per_s']:8.2f} {r['peak_mb']:9.0f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
