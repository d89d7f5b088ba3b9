"""Which proposed damage a repair may fill unattended, and which a person decides.

A detector errs on picture detail that looks like damage, and a fill that runs
unattended turns each such error into harm: a pupil filled away, a button
gone, a collar's edge smeared. Before anything is filled automatically, each
proposed region is checked, and left out of the automatic mask, kept in the
proposal as *doubtful*, when:

- it lies on an eye or a mouth (faces found by the cascades OpenCV ships,
  :func:`find_guards`): damage proposed there is never filled unattended;
- it is a straight line or edge that the picture continues past both its ends
  (a collar, a window frame, a horizon): damage stops, picture edges go on;
- it is small and does not stand out from texture around it (knit, foliage):
  damage differs from its surroundings by more than they vary;
- it is round and shaded, lit on one side and in shadow on the other, as big
  as a button or an eye (a speck of dust is flat);
- it is a dark area at the border of the scan (a plate or mount edge, the
  scanner's lid), not light paper;
- it is a bright, flat, filled-in area inside the picture — a white collar, a
  sleeve, lit skin, sky: paper shows through at the edges and corners of a
  print, where losses happen, or along cracks, which are lines.

What is left out, where and why, goes into the record. Everything here is a
pure function of the pixels, the proposed labels and the guards, so the window
and the command line agree to the pixel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import cv2
import numpy as np

from restore_app.core.damage import DAMAGE_KINDS
from restore_app.core.pixels import to_float

#: Why a region was left out of the automatic mask, by code.
REASONS = {
    "eye_or_mouth": "on an eye or a mouth",
    "picture_edge": "a straight edge the picture continues",
    "texture": "does not stand out from the texture around it",
    "disc": "round and shaded, like a button or an eye",
    "dark_border": "a dark area at the border, not paper",
    "bright_area": "a bright, flat area inside the picture (cloth, skin, sky)",
}
_KIND_ID = {k.label: k.id for k in DAMAGE_KINDS}
#: The longest side faces are looked for at (a larger scan is shrunk for it).
FACE_SIDE = 1024
#: Where eyes and mouth lie in a face box found by the cascade (fractions of
#: its width and height: x0, y0, x1, y1).
_EYES = (0.08, 0.15, 0.92, 0.55)
_MOUTH = (0.18, 0.6, 0.82, 0.95)
#: A region at least this long, and this thin for its length, is a line.
_LINE_LENGTH = 12.0
_LINE_THINNESS = 0.2
#: Perpendicular contrast (of 1) that counts as picture structure beyond a line.
_EDGE_CONTRAST = 0.035
#: Regions whose box is at most this many pixels across are judged for texture.
_SMALL = 40
#: Surroundings varying at least this much (standard deviation, of 1) are texture.
_TEXTURE_STD = 0.05
#: Disc sizes (pixel area) of buttons and pupils, how compact they must be
#: (longest side over shortest, share of their box filled), and the least
#: light and shadow (of 1) that show one lit from a side.
_DISC_AREA = (12, 900)
_DISC_ASPECT = 2.0
_DISC_FILL = 0.4
_DISC_CONTRAST = 0.08
#: A compact area inside the picture at least this large (px), this bright
#: (mean, of 1), this flat (standard deviation, of 1) and filling this share of
#: its box is picture, not a paper loss.
_AREA = 150
_BRIGHT = 0.6
_FLAT = 0.12
_FILLED = 0.3
#: A region this dark (mean, of 1) within this many pixels of the scan's border
#: is the border of a plate or mount, or the scanner's lid, not damage.
_DARK = 0.2
_BORDER_REACH = 3


@dataclass
class RegionReview:
    """The proposal split: what may be filled unattended, what a person decides."""

    confident: np.ndarray  # bool (H, W)
    doubtful: np.ndarray  # bool (H, W)
    left_out: list[dict[str, Any]] = field(default_factory=list)

    def record(self) -> list[dict[str, Any]]:
        """The regions left out, for a record: box, pixels, kind label, why."""
        return self.left_out


@lru_cache(maxsize=1)
def _cascade() -> cv2.CascadeClassifier:
    path = cv2.data.haarcascades + "haarcascade_frontalface_alt2.xml"
    c = cv2.CascadeClassifier(path)
    if c.empty():  # pragma: no cover - OpenCV ships it
        raise RuntimeError(f"cannot read OpenCV's face cascade {path}")
    return c


def gray_of(pixels: np.ndarray) -> np.ndarray:
    """float32 ``(H, W)`` in [0, 1] of an (H, W, C) image (uint8, uint16, float)."""
    x = to_float(pixels)
    if x.ndim == 3 and x.shape[2] == 3:
        return cv2.cvtColor(x, cv2.COLOR_RGB2GRAY)
    return x.reshape(x.shape[0], x.shape[1])


def find_guards(pixels: np.ndarray) -> list[dict[str, Any]]:
    """Boxes (``[x0, y0, x1, y1]``, half-open) of the eyes and mouth of every
    face found, each ``{"box": …, "what": "eyes" | "mouth"}``."""
    gray = gray_of(pixels)
    h, w = gray.shape
    f = min(1.0, FACE_SIDE / max(h, w))
    small = cv2.resize(gray, (max(1, round(w * f)), max(1, round(h * f))),
                       interpolation=cv2.INTER_AREA) if f < 1 else gray  # fmt: skip
    g8 = cv2.equalizeHist(np.clip(small * 255 + 0.5, 0, 255).astype(np.uint8))
    faces = _cascade().detectMultiScale(g8, 1.1, 4, minSize=(20, 20))
    out = []
    for x, y, fw, fh in faces if len(faces) else []:
        for what, (a, b, c, d) in (("eyes", _EYES), ("mouth", _MOUTH)):
            box = [
                int(np.floor((x + a * fw) / f)),
                int(np.floor((y + b * fh) / f)),
                int(np.ceil((x + c * fw) / f)),
                int(np.ceil((y + d * fh) / f)),
            ]
            box = [max(0, box[0]), max(0, box[1]), min(w, box[2]), min(h, box[3])]
            out.append({"box": box, "what": what})
    return out


def guard_mask(guards: list[dict[str, Any]], shape: tuple[int, int]) -> np.ndarray:
    out = np.zeros(shape, bool)
    for g in guards:
        x0, y0, x1, y1 = g["box"]
        out[y0:y1, x0:x1] = True
    return out


def _sample(gray: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Bilinear values of ``gray`` at float points (N, 2) as (x, y); NaN outside."""
    h, w = gray.shape
    m = cv2.remap(
        gray,
        pts[:, 0].astype(np.float32).reshape(-1, 1),
        pts[:, 1].astype(np.float32).reshape(-1, 1),
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=np.nan,
    ).ravel()
    return m


def _structure(gray: np.ndarray, centres: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Contrast across a direction at each centre: a step or a thin line."""
    v = {k: _sample(gray, centres + k * normal) for k in (-3, -2, 0, 2, 3)}
    step = np.abs(v[2] - v[-2])
    line = np.abs(v[0] - (v[3] + v[-3]) / 2)
    return np.fmax(step, line)


def _continues(gray: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> bool:
    """Whether a straight, thin region's line runs on in the picture past both
    its ends (ends at the scan's border count as running on)."""
    pts = np.stack([xs, ys], 1).astype(np.float64)
    c = pts.mean(0)
    cov = np.cov((pts - c).T) if len(pts) > 2 else np.eye(2)
    evals, evecs = np.linalg.eigh(cov)
    length = 4 * np.sqrt(max(evals[1], 0))
    width = 4 * np.sqrt(max(evals[0], 0))
    if length < _LINE_LENGTH or width > _LINE_THINNESS * length:
        return False
    d = evecs[:, 1]
    n = np.array([-d[1], d[0]])
    reach = max(6.0, length / 2)
    h, w = gray.shape
    ends = []
    for sign in (-1, 1):
        t = length / 2 + 2 + np.linspace(0, reach, 8)
        centres = c + sign * t[:, None] * d
        s = _structure(gray, centres, n)
        inside = ~np.isnan(s)
        if inside.sum() < 3:  # the line leaves the scan here: no evidence
            ends.append(None)
            continue
        ends.append(float(np.nanmedian(s)) >= _EDGE_CONTRAST)
    # Running on past both ends, or past one where the other leaves the scan;
    # a line from border to border says nothing either way.
    seen = [e for e in ends if e is not None]
    return bool(seen) and all(seen)


def _ring(region: np.ndarray, inner: int, outer: int) -> np.ndarray:
    def grow(r: int) -> np.ndarray:
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        return cv2.dilate(region.astype(np.uint8), k).astype(bool)

    return grow(outer) & ~grow(inner)


def _judge(
    image: np.ndarray,
    origin: tuple[int, int],
    region: np.ndarray,
    box: tuple[int, int, int, int],
) -> str | None:
    """Why a region is doubtful, or None: ``region`` is bool in the crop of the
    whole gray ``image`` at ``origin``; ``box`` its bounds in the image."""
    ox, oy = origin
    gray = image[oy : oy + region.shape[0], ox : ox + region.shape[1]]
    ys, xs = np.nonzero(region)
    area = len(ys)
    x0, y0, x1, y1 = box
    h, w = image.shape
    inside = float(gray[region].mean())
    m = _BORDER_REACH
    at_border = x0 <= m or y0 <= m or x1 >= w - m or y1 >= h - m
    if at_border and inside < _DARK:
        return "dark_border"
    if (
        not at_border
        and area >= _AREA
        and inside >= _BRIGHT
        and float(gray[region].std()) <= _FLAT
        and area >= _FILLED * (x1 - x0) * (y1 - y0)
    ):
        return "bright_area"
    if _continues(image, ys + oy, xs + ox):
        return "picture_edge"
    side = max(x1 - x0, y1 - y0)
    ring = _ring(region, 2, 5)
    if not ring.any():
        return None
    around = gray[ring]
    if side <= _SMALL:
        spread = float(around.std())
        if spread >= _TEXTURE_STD and abs(inside - float(around.mean())) < spread:
            return "texture"
    if _DISC_AREA[0] <= area <= _DISC_AREA[1] and _shaded_disc(gray, region, box):
        return "disc"
    return None


def _shaded_disc(
    gray: np.ndarray, region: np.ndarray, box: tuple[int, int, int, int]
) -> bool:
    """A round object lit from one side: a highlight and a shadow both, where
    a speck of dust or a flake is flat (a button, an eye with its catchlight)."""
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    if max(bw, bh) > _DISC_ASPECT * min(bw, bh) or region.sum() < _DISC_FILL * bw * bh:
        return False
    zone = _ring(region, 0, 2) | region
    outer = _ring(region, 3, 6)
    if not outer.any():
        return False
    ref = float(np.median(gray[outer]))
    spread = max(2 * float(gray[outer].std()), _DISC_CONTRAST)
    light = float(np.percentile(gray[zone], 95)) - ref
    dark = ref - float(np.percentile(gray[zone], 5))
    return light > spread and dark > spread


def with_kept(review: RegionReview, kept: list[list[int]] | None) -> RegionReview:
    """``review`` with the doubtful regions a person kept (a point (x, y) inside
    each) moved to the confident ones."""
    if not kept or not review.doubtful.any():
        return review
    h, w = review.doubtful.shape
    n, comp = cv2.connectedComponents(review.doubtful.view(np.uint8), connectivity=8)
    ids = {int(comp[y, x]) for x, y in kept if 0 <= y < h and 0 <= x < w} - {0}
    if not ids:
        return review
    keep = np.isin(comp, list(ids))
    return RegionReview(
        review.confident | keep, review.doubtful & ~keep, review.left_out
    )


def review_regions(
    pixels: np.ndarray,
    labels: np.ndarray,
    guards: list[dict[str, Any]] | None,
) -> RegionReview:
    """Split proposed ``labels`` (uint8 ``(H, W)``, 0 none) of ``pixels`` into
    the confident mask and the doubtful one; see the module docstring."""
    shape = labels.shape
    proposed = labels > 0
    gray = gray_of(pixels)
    guarded = guard_mask(guards or [], shape) & proposed
    doubtful = guarded.copy()
    left_out: list[dict[str, Any]] = []
    if guarded.any():
        for g in guards or []:
            x0, y0, x1, y1 = g["box"]
            n = int(guarded[y0:y1, x0:x1].sum())
            if n:
                left_out.append(
                    {"box": [x0, y0, x1, y1], "pixels": n, "reason": "eye_or_mouth",
                     "what": g["what"]}
                )  # fmt: skip
    rest = proposed & ~guarded
    n, lab, stats, _ = cv2.connectedComponentsWithStats(rest.astype(np.uint8), 8)
    h, w = shape
    pad = 12
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        cx0, cy0 = max(0, x - pad), max(0, y - pad)
        cx1, cy1 = min(w, x + bw + pad), min(h, y + bh + pad)
        region = lab[cy0:cy1, cx0:cx1] == i
        why = _judge(gray, (cx0, cy0), region, (x, y, x + bw, y + bh))
        if why is None:
            continue
        doubtful[cy0:cy1, cx0:cx1] |= region
        kinds = labels[cy0:cy1, cx0:cx1][region]
        left_out.append(
            {
                "box": [x, y, x + bw, y + bh],
                "pixels": area,
                "kind": _KIND_ID.get(int(np.bincount(kinds).argmax()), "other"),
                "reason": why,
            }
        )
    return RegionReview(proposed & ~doubtful, doubtful, left_out)
