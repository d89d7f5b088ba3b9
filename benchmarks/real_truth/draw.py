"""Draws the hand-labelled truth masks of the real scratched prints.

Each ``STEM.json`` beside this file is what a person placed by eye on the
print enlarged with a pixel grid: areas and lines where damage lies, areas that
are picture and never damage, and paper losses filled whole. Inside an area or
along a line, a pixel is damage where it stands out from its neighbourhood the
way that damage does (lighter or darker than the median of a window around
it by at least ``level`` 8-bit levels), so the outline follows the crack and
not the hand. Later rules win over earlier ones.

``python benchmarks/real_truth/draw.py [--overlay DIR]`` writes ``STEM.png``
(a label image: 0 none, else the damage table's label) for every spec, and with
``--overlay`` an enlarged red overlay of each to look at.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from restore_app.core.damage import colour_labels, kind  # noqa: E402

#: Where the prints are: the bundled samples, then the shared old photographs.
SOURCES = (ROOT / "resources" / "samples", ROOT / ".data" / "old-photos")


def find_print(name: str) -> Path:
    for folder in SOURCES:
        if (folder / name).is_file():
            return folder / name
    raise SystemExit(f"{name}: not in {', '.join(str(s) for s in SOURCES)}")


def _poly(points: list, shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros(shape, np.uint8)
    cv2.fillPoly(out, [np.asarray(points, np.int32)], 1)
    return out.astype(bool)


def _line(points: list, width: int, shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros(shape, np.uint8)
    cv2.polylines(out, [np.asarray(points, np.int32)], False, 1, int(width))
    return out.astype(bool)


def _contrast(gray: np.ndarray, polarity: str, window: int) -> np.ndarray:
    med = cv2.medianBlur(gray, window).astype(np.int16)
    g = gray.astype(np.int16)
    if polarity == "light":
        return g - med
    if polarity == "dark":
        return med - g
    return np.abs(g - med)


def draw(spec: dict, rgb: np.ndarray) -> np.ndarray:
    h, w = rgb.shape[:2]
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    labels = np.zeros((h, w), np.uint8)
    never = np.zeros((h, w), bool)
    for poly in spec.get("exclude", []):
        never |= _poly(poly, (h, w))
    for rule in spec["rules"]:
        label = kind(rule["kind"]).label
        if "fill" in rule:
            labels[_poly(rule["fill"], (h, w))] = label
            continue
        if "line" in rule:
            where = _line(rule["line"], rule.get("width", 3), (h, w))
        elif rule.get("area") == "all":
            where = np.ones((h, w), bool)
        else:
            where = _poly(rule["area"], (h, w))
        contrast = _contrast(gray, rule.get("polarity", "light"), rule.get("window", 9))
        hit = where & (contrast >= rule.get("level", 12))
        if "line" not in rule:  # a line is placed by hand: nothing overrules it
            hit &= ~never
        hit = _without_specks(hit, rule.get("min_area", 3))
        labels[hit] = label
    return labels


def _without_specks(mask: np.ndarray, min_area: int) -> np.ndarray:
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), 8)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area
    keep[0] = False
    return keep[lab]


def overlay(rgb: np.ndarray, labels: np.ndarray, scale: int) -> np.ndarray:
    colours = colour_labels(labels)
    out = rgb.copy()
    hit = labels > 0
    out[hit] = (0.35 * out[hit] + 0.65 * colours[hit]).astype(np.uint8)
    both = np.concatenate([rgb, out], axis=1)
    return cv2.resize(both, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--overlay", type=Path, help="write enlarged overlays here")
    ap.add_argument("stems", nargs="*", help="only these prints")
    args = ap.parse_args()
    for path in sorted(HERE.glob("*.json")):
        if args.stems and path.stem not in args.stems:
            continue
        spec = json.loads(path.read_text())
        rgb = np.asarray(Image.open(find_print(spec["image"])).convert("RGB"))
        labels = draw(spec, rgb)
        Image.fromarray(labels).save(HERE / f"{path.stem}.png", optimize=True)
        share = (labels > 0).mean()
        print(f"{path.stem}: {int((labels > 0).sum())} damaged pixels ({share:.1%})")
        if args.overlay:
            args.overlay.mkdir(parents=True, exist_ok=True)
            scale = max(1, 900 // max(rgb.shape[:2]))
            Image.fromarray(overlay(rgb, labels, scale)).save(
                args.overlay / f"{path.stem}.png"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
