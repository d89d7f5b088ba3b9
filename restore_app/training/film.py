"""Real film damage drawn into clean photographs, as it shows on a scan.

The shapes are real: 12,137 outlines of dust, dirt, hairs and scratches traced
by hand on scans of empty 35 mm frames (FILM-AA, Ivanova et al. 2023, MIT; see
daniela997/FilmDamageSimulator, ``scans/*.json``, gathered into one
``film-aa-shapes.json.gz``). Their sizes, outlines
and frequencies are drawn as they are; their appearance is modelled per medium:

- a **negative** shown as a positive: a particle blocks the scanner's light, so
  after inversion it is near white, sharp, at times with a colour fringe where
  the film's dye layers sit at different depths;
- a **slide** (positive film): the same particle is near black.

Film grain (correlated, strongest in the mid-tones) and the scanner's softness
go under the damage. The scale is the scan's: the shapes were traced at about
3,450 dpi, and are drawn at the resolutions people scan film at, 1,200 to
4,000 dpi (:data:`DPI_RANGE`).
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from restore_app.core.damage import kind
from restore_app.training.aging import GT_OPACITY, scan

#: The media film damage is drawn for, and the polarity a particle shows on each.
MEDIA = ("negative", "slide")
#: Resolution the shapes were traced at: a 36 mm frame across ~4,930 px.
SHAPES_DPI = 4930 / (36 / 25.4)
#: Film scanning resolutions drawn in training.
DPI_RANGE = (1200.0, 4000.0)
#: Shapes per traced pixel on the cleanest of the ten frames, and how much
#: dirtier a training frame may be.
_DENSITY = 6e-5
_DIRT = (0.5, 8.0)
#: The shape library's labels to the damage table's kinds.
_KIND = {
    "Dust": "dust",
    "Dirt": "dust",
    "Short hair": "dust",
    "Long hair": "dust",
    "Scratch": "scratch",
}
#: Held out of training, kept for the synthetic film validation.
VALIDATION_SCANS = ("Scan (10)",)
#: Least change (of 1) a particle must make to a pixel to count as damage there.
_VISIBLE = 0.06
#: Supersampling of the rasteriser: partial coverage of thin hairs.
_SS = 4


@dataclass(frozen=True)
class Shape:
    kind: str
    points: np.ndarray  # float32 (N, 2), centred, in traced pixels at SHAPES_DPI


def default_shapes_path() -> Path:
    """The shapes file in the checkout's ignored data folder."""
    p = Path(__file__).resolve().parents[2] / ".data" / "film-damage-shapes"
    p = p / "film-aa-shapes.json.gz"
    if not p.is_file():
        raise FileNotFoundError(f"{p}: put the film damage shapes there")
    return p


@lru_cache(maxsize=4)
def load_shapes(path: Path, held_out: bool = False) -> tuple[Shape, ...]:
    """The training shapes (or, with ``held_out``, the validation scans' ones).

    Scans 8 to 10 were traced at another scale; each is brought to the others'
    by its extent.
    """
    with gzip.open(path, "rt") as f:
        data = json.load(f)
    widest = max(s["extent"][0] for s in data["scans"])
    out = []
    for scan_ in data["scans"]:
        if (scan_["name"] in VALIDATION_SCANS) != held_out:
            continue
        factor = widest / scan_["extent"][0]
        factor = 1.0 if factor < 1.2 else factor
        for s in scan_["shapes"]:
            pts = np.asarray(s["points"], np.float32) * factor
            if len(pts) < 3 or s["label"] not in _KIND:
                continue
            out.append(Shape(_KIND[s["label"]], pts - pts.mean(0)))
    return tuple(out)


def _grain(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Film grain: correlated, per channel partly, strongest in the mid-tones."""
    h, w = img.shape[:2]
    amount = float(rng.uniform(0.004, 0.035))
    sigma = float(rng.uniform(0.4, 1.2))
    mono = rng.normal(0, 1, (h, w, 1)).astype(np.float32)
    colour = rng.normal(0, 1, (h, w, 3)).astype(np.float32)
    noise = cv2.GaussianBlur(mono * 0.7 + colour * 0.3, (0, 0), sigma)
    noise /= max(float(noise.std()), 1e-6)
    mid = 4 * img * (1 - img)
    return img + amount * noise * (0.35 + 0.65 * mid)


def _raster(
    shapes: list[tuple[Shape, np.ndarray]], h: int, w: int
) -> list[tuple[str, np.ndarray]]:
    """Coverage (0–1, float32 (h, w)) of each placed shape, antialiased."""
    out = []
    for shape, placed in shapes:
        lo = np.floor(placed.min(0)).astype(int) - 2
        hi = np.ceil(placed.max(0)).astype(int) + 3
        x0, y0 = max(lo[0], 0), max(lo[1], 0)
        x1, y1 = min(hi[0], w), min(hi[1], h)
        if x1 <= x0 or y1 <= y0:
            continue
        big = np.zeros(((y1 - y0) * _SS, (x1 - x0) * _SS), np.uint8)
        pts = np.round((placed - [x0, y0]) * _SS * 16).astype(np.int32)
        cv2.fillPoly(big, [pts], 255, cv2.LINE_AA, 4)
        # A hair thinner than the supersampled pixel still shows: trace its outline.
        cv2.polylines(big, [pts], True, 255, 1, cv2.LINE_AA, 4)
        small = cv2.resize(big, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        cov = np.zeros((h, w), np.float32)
        cov[y0:y1, x0:x1] = small.astype(np.float32) / 255
        out.append((shape.kind, cov))
    return out


def _place(
    library: tuple[Shape, ...], h: int, w: int, scale: float, rng: np.random.Generator
) -> list[tuple[Shape, np.ndarray]]:
    traced_area = h * w / scale**2
    n = rng.poisson(_DENSITY * traced_area * rng.uniform(*_DIRT))
    placed = []
    for _ in range(int(n)):
        s = library[int(rng.integers(0, len(library)))]
        a = rng.uniform(0, 2 * math.pi)
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        pts = (s.points @ rot.T) * scale
        if rng.random() < 0.5:
            pts[:, 0] = -pts[:, 0]
        pts = pts + [rng.uniform(-10, w + 10), rng.uniform(-10, h + 10)]
        placed.append((s, pts.astype(np.float32)))
    return placed


def _base_scratches(
    h: int, w: int, rng: np.random.Generator
) -> list[tuple[str, np.ndarray]]:
    """Scratches along the film: long, nearly straight, thin, lengthwise."""
    out = []
    for _ in range(int(rng.integers(1, 3))):
        cov = np.zeros((h, w), np.float32)
        vertical = rng.random() < 0.5
        t = np.linspace(0, 1, 12)
        start = rng.uniform(0, w if vertical else h)
        drift = rng.normal(0, 4) * t + rng.normal(0, 0.6, t.size).cumsum() * 0.3
        length = rng.uniform(0.3, 1.2) * (h if vertical else w)
        off = rng.uniform(-0.2, 0.8) * (h if vertical else w)
        along = off + length * t
        pts = (
            np.stack([start + drift, along], 1)
            if vertical
            else np.stack([along, start + drift], 1)
        )
        width = float(rng.uniform(0.6, 2.2))
        cv2.polylines(
            cov,
            [np.round(pts * 16).astype(np.int32)],
            False,
            float(rng.uniform(0.5, 1.0)),
            max(1, round(width)),
            cv2.LINE_AA,
            4,
        )
        out.append(("scratch", cov))
    return out


def damage(
    img: np.ndarray,
    rng: np.random.Generator,
    library: tuple[Shape, ...],
    medium: str,
    dpi: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Film damage over a clean scan (float32 RGB): (damaged, label image)."""
    h, w = img.shape[:2]
    if dpi is None:
        lo, hi = DPI_RANGE
        dpi = float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
    scale = dpi / SHAPES_DPI
    layers = _raster(_place(library, h, w, scale, rng), h, w)
    if rng.random() < 0.15:
        layers += _base_scratches(h, w, rng)
    out = img.copy()
    labels = np.zeros((h, w), np.uint8)
    best = np.zeros((h, w), np.float32)
    softness = float(rng.uniform(0.0, 0.7))
    fringe = medium == "negative" and rng.random() < 0.3
    for kid, cov in layers:
        if softness > 0.05:
            cov = cv2.GaussianBlur(cov, (0, 0), softness)
        a = cov * float(rng.uniform(0.55, 1.0))  # partly transparent at times
        if medium == "negative":
            tint = 1 - rng.uniform(0, 0.12, 3)
            colour = np.asarray(tint * rng.uniform(0.82, 1.0), np.float32)
            if kid == "scratch" and rng.random() < 0.4:  # through a dye layer
                colour = np.asarray(
                    rng.permutation([1.0, rng.uniform(0.3, 0.8), 1.0]), np.float32
                )
        else:
            colour = np.full(3, rng.uniform(0.0, 0.12), np.float32)
        alpha = np.repeat(a[..., None], 3, 2)
        if fringe:  # dye layers at different depths: one channel shifted
            c = int(rng.integers(0, 3))
            alpha[..., c] = np.roll(
                a, (int(rng.integers(-1, 2)), int(rng.integers(-1, 2))), (0, 1)
            )
        # Damage is what shows: a light speck on white sky is not labelled.
        shows = np.abs(out - colour).max(-1) * a >= _VISIBLE
        out = out * (1 - alpha) + colour * alpha
        hit = (a >= GT_OPACITY) & (a >= best) & shows
        labels[hit] = kind(kid).label
        best = np.maximum(best, a)
    return out.astype(np.float32), labels


def sample(
    clean: np.ndarray,
    rng: np.random.Generator,
    library: tuple[Shape, ...],
    medium: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One film training sample from a clean RGB crop (float32 [0, 1]).

    Returns (damaged scan, label image, the same scan without damage), as
    :func:`restore_app.training.aging.sample` does for prints.
    """
    medium = medium or MEDIA[int(rng.integers(0, len(MEDIA)))]
    img = np.ascontiguousarray(clean, np.float32)
    if rng.random() < 0.6:  # the scanner's softness
        img = cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.3, 0.9)))
    img = np.clip(_grain(img, rng), 0, 1).astype(np.float32)
    damaged, labels = damage(img, rng, library, medium)
    seed = int(rng.integers(0, 2**31))
    return (
        scan(np.clip(damaged, 0, 1), np.random.default_rng(seed)),
        labels,
        scan(img, np.random.default_rng(seed)),
    )
