"""What the Ray engine costs against the local one, and the driver's memory.

    python benchmarks/cluster.py [--images 16] [--size 1024] [--files 1000 100000]

Needs the cluster extra (``pip install 'restore-app[cluster]'``). In one run:

- the same folder of photographs denoised (non-local means) by the local
  engine and by Ray with 1 and 2 workers on a local cluster started for the
  run, each a real ``restore-app batch`` process; images per second, each as a
  ratio to the local engine, and Ray's overhead per image;
- the peak memory of the Ray batch's driver for folders of tiny files (every one
  planned and reported; none has a mask, so no pixels are read), to show that
  memory does not grow with the folder.

On one machine Ray cannot be faster than the local engine: it adds a cluster's
start-up and each image's hand-over. On a cluster of N nodes the images run N
times over (each image is independent, the driver only hands out paths), so the
throughput to expect is about N × the per-node rate here, less the per-image
overhead printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RUN_PEAK = (
    "import resource, runpy, sys; sys.argv = ['restore-app'] + sys.argv[1:]\n"
    "try:\n    runpy.run_module('restore_app', run_name='__main__')\n"
    "finally:\n"
    "    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
    "    print(f'PEAK_MB {peak:.1f}', file=sys.stderr)\n"
)


def photos(folder: Path, count: int, size: int) -> None:
    sources = sorted((ROOT / "resources" / "samples").glob("*.png"))
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        img = cv2.imread(str(sources[i % len(sources)]))
        scale = max(1.0, size / min(img.shape[:2]))
        if scale > 1:
            img = cv2.resize(img, None, fx=scale, fy=scale)
        y = int(rng.integers(0, img.shape[0] - size + 1))
        x = int(rng.integers(0, img.shape[1] - size + 1))
        cv2.imwrite(str(folder / f"{i:05d}.png"), img[y : y + size, x : x + size])


def batch(args: list[str]) -> tuple[float, float, str]:
    """Seconds, the driver's peak memory (MB) and stdout of one batch process."""
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-c", RUN_PEAK, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - start
    if run.returncode not in (0, 1):
        sys.exit(f"batch failed: {run.stderr.strip().splitlines()[-1]}")
    peak = next(
        float(line.split()[1])
        for line in run.stderr.splitlines()
        if line.startswith("PEAK_MB")
    )
    return seconds, peak, run.stdout


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=16)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--files", type=int, nargs="+", default=[1000, 100000])
    args = ap.parse_args()
    try:
        import ray  # noqa: F401
    except ImportError:
        sys.exit("needs Ray: pip install 'restore-app[cluster]'")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        photos(tmp / "scans", args.images, args.size)
        op = ["--op", "denoise", "--model", "denoise.nlm", "--progress", "json"]
        print(
            f"{args.images} images of {args.size}², denoise.nlm, {os.cpu_count()} cores"
        )
        print(f"{'engine':<18}{'seconds':>9}{'images/s':>10}{'× local':>9}")
        local = None
        for name, extra in (
            ("local", []),
            ("ray, 1 worker", ["--engine", "ray", "--workers", "1"]),
            ("ray, 2 workers", ["--engine", "ray", "--workers", "2"]),
        ):
            out = tmp / name.replace(" ", "").replace(",", "-")
            seconds, _, _ = batch(
                ["batch", str(tmp / "scans"), "-o", str(out)] + op + extra
            )
            rate = args.images / seconds
            local = local or rate
            print(f"{name:<18}{seconds:>9.1f}{rate:>10.2f}{rate / local:>9.2f}")
            if name == "ray, 1 worker":
                overhead = seconds / args.images - 1 / local
                print(f"  Ray's cost per image, start-up included: {overhead:.2f} s")
            shutil.rmtree(out)

        print("\ndriver peak memory, tiny files, none with a mask (planned, reported)")
        masks = tmp / "masks"
        masks.mkdir()
        first = None
        for count in args.files:
            folder = tmp / f"tiny{count}"
            folder.mkdir()
            for i in range(count):
                (folder / f"{i:07d}.png").touch()
            _, peak, _ = batch(["batch", str(folder), "-o", str(tmp / f"o{count}"),
                                "--op", "inpaint", "--masks", str(masks),
                                "--engine", "ray", "--progress", "json"])  # fmt: skip
            first = first or peak
            print(f"  {count:>7} files: {peak:7.1f} MB  (+{peak - first:.1f} MB)")
            shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
