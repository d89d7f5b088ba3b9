"""Picture detail that looks like damage but is not, drawn into clean
photographs before they are aged: catchlights, buttons and pupils, wires,
twigs, eyelashes, text, wood grain, stars, white cloth and lit skin."""

from __future__ import annotations

import math

import cv2
import numpy as np

from restore_app.training.strokes import curve, draw, smooth_field


def _discs(img: np.ndarray, rng: np.random.Generator) -> None:
    h, w = img.shape[:2]
    x, y = float(rng.uniform(0, w)), float(rng.uniform(0, h))
    step = np.array([rng.uniform(-1, 1), rng.uniform(-1, 1)]) * rng.uniform(6, 40)
    tone = np.full(3, rng.uniform(0.02, 0.25), np.float32)
    r = float(rng.uniform(1.0, 5.0))
    for i in range(int(rng.integers(1, 5))):
        c = (int((x + i * step[0]) * 16), int((y + i * step[1]) * 16))
        layer = np.zeros((h, w), np.float32)
        cv2.circle(layer, c, int(r * 16), 1.0, -1, cv2.LINE_AA, 4)
        layer = cv2.GaussianBlur(layer, (0, 0), float(rng.uniform(0.3, 1.0)))
        a = layer[..., None]
        img[:] = img * (1 - a) + tone * a
        if rng.random() < 0.5:
            hl = (c[0] + int(r * 5), c[1] - int(r * 5))
            cv2.circle(img, hl, max(int(r * 5), 8), (0.9, 0.9, 0.9), -1, cv2.LINE_AA, 4)


def distractors(img: np.ndarray, rng: np.random.Generator, discs: bool = True) -> None:
    """Draw damage-like picture detail into ``img`` in place (with ``discs``,
    buttons and pupils among it)."""
    h, w = img.shape[:2]
    for _ in range(int(rng.integers(1, 4))):
        # White cloth, lit skin and highlights three times as often as each
        # other kind: on real prints they are what a loss is most mistaken for.
        what = min(int(rng.integers(0, 10)), 7)
        layer = np.zeros((h, w), np.float32)
        # Wires and twigs are mostly dark against the sky; a bright thin line
        # on a print is far more often a crack or a scratch.
        dark = rng.random() < (0.85 if what in (1, 2) else 0.6)
        if what == 0 and discs and rng.random() < 0.5:
            # buttons and pupils: small dark discs, a catchlight or a lighter
            # rim at times, in a row or a pair; on a small print a speck's size
            _discs(img, rng)
            continue
        if what == 0:  # catchlights: small bright highlights, in pairs at times
            for _ in range(int(rng.integers(1, 3))):
                c = (float(rng.uniform(0, w)), float(rng.uniform(0, h)))
                r = float(rng.uniform(1.0, 3.5))
                cv2.ellipse(
                    layer,
                    (int(c[0] * 16), int(c[1] * 16)),
                    (int(r * 16), int(r * rng.uniform(0.6, 1) * 16)),
                    float(rng.uniform(0, 180)),
                    0,
                    360,
                    1.0,
                    -1,
                    cv2.LINE_AA,
                    4,
                )
                # a catchlight sits in a dark iris
                cv2.circle(
                    img, (int(c[0]), int(c[1])), int(r * 3), (0.1, 0.08, 0.07), -1
                )
            dark = False
        elif what == 1:  # wires and cables: long, even, straight or sagging
            x0, y0 = rng.uniform(-0.2, 1.2) * w, rng.uniform(0, h)
            x1, y1 = rng.uniform(-0.2, 1.2) * w, rng.uniform(0, h)
            t = np.linspace(0, 1, 40)[:, None]
            sag = rng.uniform(0, 0.15) * h * np.sin(np.pi * t)
            pts = np.hstack([x0 + (x1 - x0) * t, y0 + (y1 - y0) * t + sag])
            draw(layer, pts.astype(np.float32), float(rng.uniform(0.8, 2.5)))
        elif what == 2:  # twigs and branches: tapering, branching
            stack = [
                (
                    (rng.uniform(0, w), rng.uniform(0, h)),
                    rng.uniform(0, 2 * math.pi),
                    rng.uniform(2, 5),
                )
            ]
            while stack:
                start, a, width = stack.pop()
                pts = curve(rng, start, a, rng.uniform(20, 80), 0.15)
                draw(layer, pts, width)
                if width > 1.2:
                    for _ in range(int(rng.integers(0, 3))):
                        p = pts[int(rng.integers(0, len(pts)))]
                        stack.append(
                            (tuple(p), a + rng.choice([-1, 1]) * 0.7, width * 0.6)
                        )
        elif what == 3:  # eyelashes: short arcs fanned along a lid
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            for i in range(int(rng.integers(6, 14))):
                a = -math.pi / 2 + (i - 5) * 0.15 + rng.normal(0, 0.05)
                start = (cx + (i - 5) * 2.5, cy)
                pts = curve(rng, start, a, rng.uniform(6, 14), 0.1, step=1.5)
                draw(layer, pts, float(rng.uniform(0.7, 1.3)))
            dark = True
        elif what == 4:  # text and numbers
            s = "".join(
                rng.choice(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-"))
                for _ in range(int(rng.integers(3, 14)))
            )
            scale = float(rng.uniform(0.3, 1.0))
            org = (int(rng.uniform(0, w * 0.7)), int(rng.uniform(10, h)))
            text = np.zeros((h, w), np.uint8)  # OpenCV draws text on 8 bits only
            cv2.putText(
                text,
                s,
                org,
                int(rng.choice([0, 1, 2, 3, 4, 6])),
                scale,
                255,
                max(1, int(scale * 2)),
                cv2.LINE_AA,
            )
            layer = text.astype(np.float32) / 255
        elif what == 5:  # wood grain and fabric: wavy parallel lines over a region
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
            a = rng.uniform(0, math.pi)
            u = xx * math.cos(a) + yy * math.sin(a)
            v = -xx * math.sin(a) + yy * math.cos(a)
            period = rng.uniform(4, 12)
            warp = 6 * np.sin(v / rng.uniform(20, 60)) + 3 * np.sin(v / 7.0)
            grain = (np.sin(2 * math.pi * (u + warp) / period) > 0.8).astype(np.float32)
            region = smooth_field(h, w, rng, 3) > 0.5
            layer = grain * region * 0.6
        elif what == 7 and rng.random() < 0.4:  # lit skin, an overexposed highlight
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            rx, ry = rng.uniform(20, 120), rng.uniform(20, 120)
            d = np.sqrt(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2)
            a = (np.clip(1.2 - d, 0, 1) ** rng.uniform(0.5, 1.5))[..., None]
            tone = rng.uniform(0.85, 1.0) * np.array([1.0, 0.95, 0.88], np.float32)
            img[:] = img * (1 - a) + tone * a
            continue
        elif what == 7:  # white clothing, lace and highlights: bright, smooth
            c = np.array([rng.uniform(0, w), rng.uniform(0, h)])
            r = rng.uniform(15, 160)
            k = int(rng.integers(6, 12))
            ang = np.sort(rng.uniform(0, 2 * math.pi, k))
            rad = r * rng.uniform(0.5, 1.2, k)
            poly = np.stack([c[0] + rad * np.cos(ang), c[1] + rad * np.sin(ang)], 1)
            cv2.fillPoly(layer, [np.int32(poly)], 1.0, cv2.LINE_AA)
            layer = cv2.GaussianBlur(layer, (0, 0), float(rng.uniform(1.0, 4.0)))
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
            folds = 0.08 * np.sin(xx / rng.uniform(4, 15) + yy / rng.uniform(6, 20))
            shade = np.clip(rng.uniform(0.85, 1.0) + folds, 0, 1)[..., None]
            a = layer[..., None]
            img[:] = img * (1 - a) + shade * a
            continue
        else:  # stars: bright points on a darkened sky
            sky = smooth_field(h, w, rng, 2) > 0.55
            img[sky] *= 0.25
            ys, xs = np.nonzero(sky)
            if len(ys):
                for i in rng.integers(0, len(ys), int(rng.integers(5, 40))):
                    r = float(rng.uniform(0.5, 1.8))
                    cv2.circle(layer, (int(xs[i]), int(ys[i])), max(int(r), 1), 1.0, -1)
            dark = False
        tone = (
            np.full(3, rng.uniform(0.0, 0.2), np.float32)
            if dark
            else np.full(3, rng.uniform(0.85, 1.0), np.float32)
        )
        a = np.clip(layer, 0, 1)[..., None]
        img[:] = img * (1 - a) + tone * a


# --- ageing ---------------------------------------------------------------------
