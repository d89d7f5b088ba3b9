"""The README's detection figure: a real print and a real film scan, each with
the detector's unedited default proposal and the automatic repair.

    python benchmarks/detect_figure.py [--out packaging/screenshots/detect-real.png]
                                       [--film .data/film/feather_image.png]

Each row: the scan; the default proposal (each kind in its colour, doubtful
regions hatched black and white); and what ``batch --op inpaint --auto-masks`` makes of
it (the confident proposal filled with the default fill), as they come out.
The print is ``resources/samples/old_w_scratch_b.png``; the film scan is a crop
of a colour negative scan from remii5/feather (``input/image.png``, MIT licence,
Copyright (c) 2025 Alesander Campbell; see ``benchmarks/real_sources.md``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from restore_app.core.damage import colour_labels  # noqa: E402
from restore_app.models.engine import restore  # noqa: E402
from restore_app.pipeline.detect import DetectSettings, propose  # noqa: E402
from restore_app.resources import samples_dir  # noqa: E402

#: The film scan's crop (x0, y0, x1, y1): night sky with dust and a hair, and
#: a lit building (picture detail that looks like specks).
FILM_CROP = (2200, 0, 3760, 1040)
#: Each panel's height in the figure.
ROW = 360


def _overlay(rgb: np.ndarray, labels: np.ndarray, doubtful: np.ndarray) -> np.ndarray:
    out = rgb.copy()
    hit = labels > 0
    out[hit] = colour_labels(labels)[hit]
    yy, xx = np.indices(doubtful.shape)
    stripe = ((xx + yy) // 2) % 2 == 0
    out[doubtful & stripe] = (255, 255, 255)
    out[doubtful & ~stripe] = (0, 0, 0)
    return out


def row(rgb: np.ndarray, dpi=None) -> tuple[list[np.ndarray], dict]:
    found = propose(rgb, DetectSettings(), None, "cpu", None, None, dpi)
    op = found.operation
    proposal = found.labels.copy()
    shown = _overlay(rgb, proposal, found.doubtful)
    filled = (
        restore(rgb, task="inpaint", mask=found.mask, device="cpu").pixels
        if found.mask.any()
        else rgb
    )
    return [rgb, shown, filled], op


def _fit(img: np.ndarray) -> np.ndarray:
    f = ROW / img.shape[0]
    interp = cv2.INTER_AREA if f < 1 else cv2.INTER_NEAREST
    return cv2.resize(img, (round(img.shape[1] * f), ROW), interpolation=interp)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--out", type=Path, default=ROOT / "packaging/screenshots/detect-real.png"
    )
    ap.add_argument("--film", type=Path, default=ROOT / ".data/film/feather_image.png")
    args = ap.parse_args()
    print_rgb = cv2.imread(str(samples_dir() / "old_w_scratch_b.png"))[..., ::-1]
    film = cv2.imread(str(args.film))[..., ::-1]
    x0, y0, x1, y1 = FILM_CROP
    film = np.ascontiguousarray(film[y0:y1, x0:x1])
    rows = []
    for name, rgb in (("print", np.ascontiguousarray(print_rgb)), ("film", film)):
        panels, op = row(rgb)
        left = op["left_out"]
        print(f"{name}: medium {op['medium']} ({op['medium_why']}); "
              f"{op['pixels_flagged']} px filled automatically, "
              f"{op['pixels_doubtful']} px doubtful, {len(left)} regions")  # fmt: skip
        rows.append(np.concatenate([_fit(p) for p in panels], axis=1))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0))) for r in rows]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), np.concatenate(rows, axis=0)[..., ::-1])
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
