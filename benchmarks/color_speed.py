"""Speed and memory of the colour restorer on a large 16-bit scan.

    python benchmarks/color_speed.py [--megapixels 100]

Two measurements, each beside a baseline measured in the same run (machines
are shared and noisy):

- in memory: ``restore(task="color")`` of a 16-bit RGB image (choosing the
  curves on the whole image included), against the bare floor of the same
  work: one ``numpy`` table lookup per channel of the same image;
- end to end: ``restore-app color`` on an uncompressed 16-bit TIFF in a fresh
  process, wall time and peak memory (the child's largest resident set),
  against ``restore-app denoise --strength 0`` on the same file (reading and
  writing it, and nothing else), and the peak memory as a multiple of the
  image's bytes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from restore_app.models.engine import restore  # noqa: E402


def scan(megapixels: float) -> np.ndarray:
    """A smooth 16-bit RGB picture with grain, ``megapixels`` large."""
    w = int(np.sqrt(megapixels * 1e6 * 1.5))
    h = int(megapixels * 1e6 / w)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    img = np.empty((h, w, 3), np.uint16)
    rng = np.random.default_rng(0)
    for c in range(3):
        base = 0.25 + 0.2 * np.sin(6 * x + c) * np.cos(5 * y - c) + 0.15 * x * y
        noise = rng.integers(0, 600, (h, w), dtype=np.uint16)
        img[..., c] = (base * 65535).astype(np.uint16) + noise
    return img


def timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


#: Runs the command line and reports its own peak resident set (kB) last.
_MEASURED = (
    "import resource, sys\n"
    "from restore_app.cli.main import main\n"
    "code = main(sys.argv[1:])\n"
    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def child(args: list[object]) -> tuple[float, float]:
    """(seconds, peak resident MB) of ``restore-app ARGS`` in a fresh process."""
    t0 = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-c", _MEASURED, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - t0
    if run.returncode != 0:
        raise SystemExit(run.stderr.strip())
    return seconds, int(run.stderr.split()[-1]) / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--megapixels", type=float, default=100.0)
    args = ap.parse_args()
    img = scan(args.megapixels)
    mb = img.nbytes / 2**20
    print(f"{img.shape[1]}×{img.shape[0]} 16-bit RGB, {mb:.0f} MB")

    restore(img[:64, :64], task="color")  # the network loaded, as in a session
    table = np.arange(65536, dtype=np.uint16)[::-1].copy()
    floor, _ = timed(lambda: [np.take(table, img[..., c]) for c in range(3)])
    seconds, _ = timed(lambda: restore(img, task="color"))
    print(
        f"in memory: color {seconds:.1f} s; a bare table lookup {floor:.1f} s "
        f"(ratio {seconds / floor:.1f})"
    )

    import tifffile

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "scan.tif"
        tifffile.imwrite(src, img, photometric="rgb")

        base_s, base_mb = child(
            ["denoise", src, "-o", Path(tmp) / "copy.tif", "--strength", "0"]
        )
        color_s, color_mb = child(["color", src, "-o", Path(tmp) / "color.tif"])
    print(
        f"command line: color {color_s:.1f} s, peak {color_mb:.0f} MB "
        f"({color_mb / mb:.1f}× the image); read and write only {base_s:.1f} s, "
        f"peak {base_mb:.0f} MB (ratio {color_s / base_s:.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
