"""Clean photographs aged into old prints and damaged as a scan shows damage.

Training and benchmark data for the damage detector. One sample is made on the
CPU with numpy and OpenCV, in the order things happen to a real print:

1. picture detail that looks like damage but is not (catchlights, wires, twigs,
   eyelashes, text, wood grain, stars) is drawn into the clean photograph,
2. the print ages: lens softness, gray, sepia or faded colour, lower contrast,
   film grain,
3. damage lands on the print surface: scratches that fade along their length,
   dust specks, fibres and curly hairs, branching cracks showing the paper
   base, torn edges and flaked losses, each partly transparent and soft-edged,
4. the scan adds paper texture and a little sensor noise over everything.

The ground truth is the damage's kind wherever its opacity is at least
:data:`GT_OPACITY`. Arrays: images float32 ``(H, W, 3)`` RGB in [0, 1]; label
images uint8 ``(H, W)`` with the labels of :mod:`restore_app.core.damage`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from restore_app.core.damage import DAMAGE_KINDS
from restore_app.training.distractors import distractors
from restore_app.training.strokes import (
    curve,
    draw,
    paper_colour,
    smooth_field,
    soften,
)

#: Damage counts as present where its opacity is at least this.
GT_OPACITY = 0.3
_LABEL = {k.id: k.label for k in DAMAGE_KINDS}  # the table's labels, by id


@dataclass(frozen=True)
class DamageStyle:
    """Ranges of the drawn damage; the benchmark widens them beyond training's."""

    min_opacity: float = 0.35
    width_scale: float = 1.0
    clean_p: float = 0.12  # share of samples with no damage at all
    distractor_p: float = 0.6  # share of samples with damage-like picture detail
    edge_loss_p: float = 0.8  # share of paper losses at an edge or a corner
    discs: bool = True  # buttons and pupils among the picture detail


TRAIN_STYLE = DamageStyle()
#: The benchmark's test damage: fainter (opacity down to 0.15) and up to three
#: times as wide as training's. Frozen: it draws exactly what it drew when the
#: benchmark's figures were first published (losses at edges half the time,
#: no discs), which ``benchmarks/detect.py`` checks by the samples' SHA-256.
TEST_STYLE = DamageStyle(
    min_opacity=0.15, width_scale=3.0, clean_p=0.0, edge_loss_p=0.5, discs=False
)


def age(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A clean photograph as an old print: softer, toned, faded, grainy."""
    h, w = img.shape[:2]
    x = img
    if rng.random() < 0.7:
        x = cv2.GaussianBlur(x, (0, 0), float(rng.uniform(0.3, 1.2)))
    lum = x @ np.array([0.299, 0.587, 0.114], np.float32)
    u = rng.random()
    if u < 0.3:  # gray
        x = np.repeat(lum[..., None], 3, 2)
    elif u < 0.65:  # sepia and other tones
        tint = np.array(
            [1.0, rng.uniform(0.8, 0.95), rng.uniform(0.55, 0.8)], np.float32
        )
        x = np.clip(lum[..., None] * tint * rng.uniform(1.0, 1.1), 0, 1)
    else:  # faded colour, with a cast
        sat = rng.uniform(0.3, 1.0)
        x = lum[..., None] + (x - lum[..., None]) * sat
        x = x * rng.uniform(0.85, 1.1, 3).astype(np.float32)
    # Overexposed prints: faces, collars and skies burnt out to flat light
    # areas, which are picture, not paper showing through a loss.
    if rng.random() < 0.3:
        x = np.clip(x * rng.uniform(1.2, 1.8), 0, 1)
    # Lower contrast: lifted blacks, dimmer whites.
    black = rng.uniform(0.0, 0.2)
    white = rng.uniform(0.75, 1.0)
    x = black + np.clip(x, 0, 1) * (white - black)
    # Uneven fading across the print.
    if rng.random() < 0.5:
        fade = smooth_field(h, w, rng, 3)[..., None]
        x = x + (rng.uniform(0.0, 0.15) * fade) * (1 - x)
    # Film grain, mostly monochrome.
    amp = rng.uniform(0.0, 0.05)
    grain = rng.standard_normal((h, w, 1)).astype(np.float32)
    grain = cv2.GaussianBlur(grain, (0, 0), float(rng.uniform(0.5, 1.2)))[..., None]
    grain /= max(float(grain.std()), 1e-6)
    return np.clip(x + grain * amp, 0, 1).astype(np.float32)


# --- damage ---------------------------------------------------------------------


def _scratches(h, w, rng, style, paper) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    parallel = rng.random() < 0.2  # film-style scratches running side by side
    n = int(rng.integers(1, 4)) if not parallel else int(rng.integers(2, 6))
    angle = rng.uniform(0, math.pi)
    for _ in range(n):
        a = angle + (rng.normal(0, 0.03) if parallel else rng.uniform(0, math.pi))
        length = rng.uniform(0.3, 1.6) * max(h, w)
        c = (rng.uniform(0, w), rng.uniform(0, h))
        start = (c[0] - math.cos(a) * length / 2, c[1] - math.sin(a) * length / 2)
        pts = curve(rng, start, a, length, 0.004, step=4.0)
        alpha = np.zeros((h, w), np.float32)
        width = rng.choice([0.6, 0.8, 1, 1, 1.5, 2, 2, 3, 4]) * style.width_scale
        draw(alpha, pts, float(width))
        alpha = soften(alpha, rng, 0.3, 0.9)
        alpha /= max(float(alpha.max()), 1e-6)
        # fades along its length, and is only partly opaque
        fade = smooth_field(h, w, rng, int(rng.integers(2, 6)))
        peak = rng.uniform(max(style.min_opacity, 0.5), 1.0)
        lo = rng.uniform(style.min_opacity * 0.5, 1.0)
        alpha *= peak * (lo + (1 - lo) * fade)
        colour = paper if rng.random() < 0.7 else np.full(3, rng.uniform(0, 0.25))
        out.append((alpha, np.asarray(colour, np.float32)))
    return out


def _dust(h, w, rng, style, paper) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for dark in (True, False):
        alpha = np.zeros((h, w), np.float32)
        for _ in range(int(rng.integers(0, 40))):
            c = (float(rng.uniform(0, w)), float(rng.uniform(0, h)))
            if rng.random() < 0.75:  # specks
                r = float(rng.uniform(0.6, 3.0)) * style.width_scale**0.5
                ax = (int(r * 16), int(r * rng.uniform(0.5, 1.0) * 16))
                cv2.ellipse(
                    alpha,
                    (int(c[0] * 16), int(c[1] * 16)),
                    ax,
                    float(rng.uniform(0, 180)),
                    0,
                    360,
                    float(rng.uniform(style.min_opacity + 0.1, 1.0)),
                    -1,
                    cv2.LINE_AA,
                    4,
                )
            else:  # fibres and curly hairs
                curly = rng.random() < 0.6
                pts = curve(
                    rng,
                    c,
                    rng.uniform(0, 2 * math.pi),
                    rng.uniform(8, 70),
                    0.35 if curly else 0.05,
                    step=1.5,
                )
                draw(
                    alpha,
                    pts,
                    float(rng.uniform(0.7, 1.8) * style.width_scale),
                    float(rng.uniform(style.min_opacity + 0.1, 1.0)),
                )
        alpha = soften(alpha, rng, 0.2, 0.6)
        colour = np.full(3, rng.uniform(0.0, 0.2)) if dark else paper
        out.append((alpha, np.asarray(colour, np.float32)))
    return out


def _cracks(h, w, rng, style, paper) -> list[tuple[np.ndarray, np.ndarray]]:
    alpha = np.zeros((h, w), np.float32)
    # Now and then a whole network (craquelure of a print kept rolled or
    # dried out), and some cracks gape wide to show the paper base.
    trees = int(rng.integers(4, 10)) if rng.random() < 0.25 else int(rng.integers(1, 4))
    for _ in range(trees):
        stack = [
            ((rng.uniform(0, w), rng.uniform(0, h)), rng.uniform(0, 2 * math.pi), 0)
        ]
        wide = rng.random() < 0.3
        width = float(rng.uniform(*((2.5, 6.0) if wide else (0.8, 2.5))))
        width *= style.width_scale
        while stack:
            start, a, depth = stack.pop()
            # A gaping crack runs straighter, its edges torn and its width
            # changing along it; a hairline wanders.
            pts = curve(
                rng, start, a, rng.uniform(30, 160), 0.12 if wide else 0.3, step=3.0
            )
            w0 = max(width * 0.75**depth, 0.6)
            if wide:
                pts = _jagged(pts, rng, 0.15)
                widths = w0 * np.exp(np.cumsum(rng.normal(0, 0.04, len(pts))))
                for i in range(0, len(pts) - 1, 4):
                    draw(alpha, pts[i : i + 5], float(np.clip(widths[i], 0.6, 8.0)))
            else:
                draw(alpha, pts, w0)
            if depth < 3:
                for _ in range(int(rng.integers(0, 3))):
                    p = pts[int(rng.integers(0, len(pts)))]
                    turn = rng.choice([-1, 1]) * rng.uniform(0.4, 1.3)
                    stack.append((tuple(p), a + turn, depth + 1))
    alpha = soften(alpha, rng, 0.3, 0.8)
    alpha /= max(float(alpha.max()), 1e-6)
    fade = smooth_field(h, w, rng, 4)
    lo = rng.uniform(style.min_opacity, 1.0)
    alpha *= rng.uniform(max(style.min_opacity, 0.6), 1.0) * (lo + (1 - lo) * fade)
    layers = [(alpha, paper)]
    if rng.random() < 0.4:  # darker lifted edges of the emulsion beside the crack
        edge = cv2.dilate(alpha, np.ones((3, 3), np.uint8)) - alpha
        layers.insert(0, (np.clip(edge * 0.25, 0, 0.25), np.zeros(3, np.float32)))
    return layers


def _jagged(pts: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """A polygon's edge made torn: subdivided and displaced."""
    for _ in range(3):
        mid = (pts + np.roll(pts, -1, 0)) / 2
        seg = np.roll(pts, -1, 0) - pts
        normal = np.stack([-seg[:, 1], seg[:, 0]], 1)
        mid += normal * rng.normal(0, amount, (len(mid), 1))
        out = np.empty((len(pts) * 2, 2), np.float32)
        out[0::2], out[1::2] = pts, mid
        pts = out
    return pts


def _losses(h, w, rng, style, paper) -> list[tuple[np.ndarray, np.ndarray]]:
    alpha = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(1, 3))):
        if rng.random() < style.edge_loss_p:  # torn edge or corner
            side = int(rng.integers(0, 4))
            depth = rng.uniform(6, 50) * style.width_scale**0.5
            t = np.linspace(0, 1, 10)
            along = (rng.uniform(-0.2, 0.7) + rng.uniform(0.2, 0.8) * t) * (
                w if side % 2 == 0 else h
            )
            inward = depth * np.sin(np.pi * t) ** 0.5 * rng.uniform(0.4, 1.0, t.size)
            if side == 0:
                pts = np.stack([along, inward - 2], 1)
            elif side == 1:
                pts = np.stack([w + 2 - inward, along], 1)
            elif side == 2:
                pts = np.stack([along, h + 2 - inward], 1)
            else:
                pts = np.stack([inward - 2, along], 1)
        else:  # flaked emulsion inside the print (rarer than at the edges)
            c = np.array([rng.uniform(0, w), rng.uniform(0, h)])
            r = rng.uniform(3, 25) * style.width_scale**0.5
            k = int(rng.integers(5, 10))
            ang = np.sort(rng.uniform(0, 2 * np.pi, k))
            rad = r * rng.uniform(0.4, 1.2, k)
            pts = np.stack([c[0] + rad * np.cos(ang), c[1] + rad * np.sin(ang)], 1)
        pts = _jagged(pts.astype(np.float32), rng, 0.12)
        cv2.fillPoly(alpha, [np.round(pts * 16).astype(np.int32)], 1.0, cv2.LINE_AA, 4)
    alpha = soften(alpha, rng, 0.3, 0.8) * rng.uniform(0.85, 1.0)
    u = rng.random()
    if u < 0.75:
        colour = paper
    elif u < 0.9:
        colour = np.full(3, rng.uniform(0.0, 0.1), np.float32)  # scanner background
    else:
        colour = paper * 0.8  # stained, exposed card
    return [(alpha, np.asarray(colour, np.float32))]


_MAKERS = {"scratch": _scratches, "dust": _dust, "crack": _cracks, "loss": _losses}
#: The damage kinds drawn, in the order the detector's classes take them.
KINDS = tuple(_MAKERS)


def damage(
    img: np.ndarray, rng: np.random.Generator, style: DamageStyle = TRAIN_STYLE
) -> tuple[np.ndarray, np.ndarray]:
    """Composite damage over an aged print: (damaged image, label image)."""
    h, w = img.shape[:2]
    out = img.copy()
    labels = np.zeros((h, w), np.uint8)
    best = np.zeros((h, w), np.float32)
    if rng.random() < style.clean_p:
        return out, labels
    paper = paper_colour(rng)
    kinds = [k for k in KINDS if rng.random() < 0.55]
    if not kinds:
        kinds = [KINDS[int(rng.integers(0, len(KINDS)))]]
    # Paper texture shows through every loss and crack.
    texture = 1 - 0.06 * smooth_field(h, w, rng, 24)[..., None]
    for kid in kinds:
        for alpha, colour in _MAKERS[kid](h, w, rng, style, paper):
            a = np.clip(alpha, 0, 1)
            fill = colour * texture if colour.mean() > 0.5 else colour
            out = out * (1 - a[..., None]) + fill * a[..., None]
            hit = (a >= GT_OPACITY) & (a >= best)
            labels[hit] = _LABEL[kid]
            best = np.maximum(best, a)
    return out.astype(np.float32), labels


def scan(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What the scanner and the file add over the damaged print: sensor noise,
    8-bit values, and often a resampling and JPEG compression, as scans shared
    by people and archives online have."""
    noise = rng.normal(0, rng.uniform(0.0, 0.012), img.shape).astype(np.float32)
    x = np.clip(np.round((img + noise) * 255), 0, 255).astype(np.uint8)
    h, w = x.shape[:2]
    if rng.random() < 0.3:  # scanned at one size, saved at another
        f = float(rng.uniform(0.5, 0.85))
        small = cv2.resize(
            x,
            (max(8, round(w * f)), max(8, round(h * f))),
            interpolation=cv2.INTER_AREA,
        )
        x = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    if rng.random() < 0.5:
        q = int(rng.integers(45, 96))
        bgr = np.ascontiguousarray(x[..., ::-1])  # OpenCV's channel order
        ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, q])
        if ok:
            x = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)[..., ::-1]
    return x.astype(np.float32) / 255.0


def sample(
    clean: np.ndarray,
    rng: np.random.Generator,
    style: DamageStyle = TRAIN_STYLE,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One training sample from a clean RGB crop (float32 [0, 1]).

    Returns (damaged scan, label image, the same aged print without damage).
    """
    img = np.ascontiguousarray(clean, np.float32).copy()
    if rng.random() < style.distractor_p:
        distractors(img, rng, style.discs)
    aged = age(img, rng)
    damaged, labels = damage(aged, rng, style)
    # The same scanner noise seed for both, so they differ only by the damage.
    seed = int(rng.integers(0, 2**31))
    return (
        scan(damaged, np.random.default_rng(seed)),
        labels,
        scan(aged, np.random.default_rng(seed)),
    )
