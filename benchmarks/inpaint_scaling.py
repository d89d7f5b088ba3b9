"""Inpainting cost follows the damage, not the image.

The same small mask (a 400 px scratch and a few dust specks) is filled on images of
4, 24 and 96 megapixels, through the engine (Telea on crops around the damage) and
through one whole-image ``cv2.inpaint`` of the same input. Prints both times and
their ratio; the engine's column should stay nearly flat.

    python benchmarks/inpaint_scaling.py [--quick] [--repeat N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

FULL_SIZES_MP = (4, 24, 96)
QUICK_SIZES_MP = (1, 4, 12)


def make_image(megapixels: float, seed: int = 0) -> np.ndarray:
    """uint8 ``(H, W, 3)`` RGB, 3:2 landscape, a smooth scene with grain."""
    h = int(round((megapixels * 1e6 / 1.5) ** 0.5))
    w = int(round(h * 1.5))
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    image = np.empty((h, w, 3), np.uint8)
    grain = rng.integers(-6, 7, size=(256, 256), dtype=np.int16)
    reps = (h // 256 + 1, w // 256 + 1)
    grain = np.tile(grain, reps)[:h, :w]
    for c in range(3):
        base = 128 + 60 * np.sin(6 * x + c) * np.cos(4 * y - c)
        image[..., c] = np.clip(base + grain, 0, 255).astype(np.uint8)
    return image


def make_mask(h: int, w: int) -> np.ndarray:
    """bool ``(H, W)``: the same damage, in pixels, whatever the image size."""
    mask = np.zeros((h, w), bool)
    cy, cx = h // 2, w // 2
    for i in range(400):  # a gently curving hairline, 3 px wide
        y = cy - 150 + i // 2
        x = cx - 200 + i + int(8 * np.sin(i / 40))
        mask[y : y + 3, x : x + 1] = True
    for dy, dx in ((-300, -250), (220, 310), (260, -180), (-180, 260)):
        mask[cy + dy : cy + dy + 5, cx + dx : cx + dx + 5] = True
    return mask


def best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 1, 4 and 12 MP")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    args = parser.parse_args(argv)

    import cv2

    from restore_app.models.engine import restore

    sizes = QUICK_SIZES_MP if args.quick else FULL_SIZES_MP
    # Warm up: the first run pays for imports and OpenCV's first calls.
    small = make_image(0.25)
    restore(
        small,
        task="inpaint",
        restorer_id="inpaint.telea",
        mask=make_mask(*small.shape[:2]),
    )

    header = ("image", "damaged px", "engine s", "whole s", "whole/engine")
    print("{:>10} {:>11} {:>9} {:>9} {:>13}".format(*header))
    first = None
    for mp in sizes:
        image = make_image(mp)
        h, w = image.shape[:2]
        mask = make_mask(h, w)
        mask_u8 = mask.astype(np.uint8)
        t_engine = best_of(
            args.repeat,
            lambda image=image, mask=mask: restore(
                image, task="inpaint", restorer_id="inpaint.telea", mask=mask
            ),
        )
        t_whole = best_of(
            args.repeat,
            lambda image=image, m=mask_u8: cv2.inpaint(
                image, m, 5.0, cv2.INPAINT_TELEA
            ),
        )
        first = first or t_engine
        print(
            f"{h * w / 1e6:8.1f}MP {int(mask.sum()):>11} {t_engine:9.3f} "
            f"{t_whole:9.3f} {t_whole / t_engine:12.1f}x"
        )
        del image, mask, mask_u8
    print(
        "engine time at the largest size is "
        f"{t_engine / first:.2f}x its time at the smallest"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
