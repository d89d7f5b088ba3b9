"""The rim of a crack or scratch, just outside what a tight brush marks.

Damage has an edge: a light or dark halo, a soft fade into the picture. A brush
stroke laid tightly over a crack leaves that rim outside the mask, and a fill
then leaves it standing as a ghost outline. :func:`grow_to_rim` grows each
painted region outward, one pixel at a time, for as long as the pixels at that
distance still differ from the picture around them (estimated from farther
out) by more than the picture's own noise — as far as the edge profile shows,
at most :data:`MAX_RIM` pixels, never into protected pixels.
"""

from __future__ import annotations

import cv2
import numpy as np

#: The farthest a region grows (px).
MAX_RIM = 4
#: The band beyond it where the picture around the damage is measured (px).
_REF = 5
#: A ring belongs to the rim while its median difference from the picture
#: around is at least this many times the picture's noise, and this much (of 1).
_NOISE_TIMES = 2.5
_LEAST = 3.0 / 255


def _gray(pixels: np.ndarray) -> np.ndarray:
    from restore_app.core.doubt import gray_of

    return gray_of(pixels)


def grow_to_rim(
    pixels: np.ndarray,
    mask: np.ndarray,
    protect: np.ndarray | None = None,
    max_rim: int = MAX_RIM,
) -> np.ndarray:
    """bool ``(H, W)``: ``mask`` grown over each region's rim (see the module
    docstring); ``pixels`` is the (H, W, C) image, ``protect`` what may not be
    taken in."""
    mask = np.asarray(mask, bool)
    out = mask.copy()
    if not mask.any() or max_rim <= 0:
        return out
    h, w = mask.shape
    gray = _gray(pixels)
    reach = max_rim + _REF + 2
    n, comp, stats, _ = cv2.connectedComponentsWithStats(mask.view(np.uint8), 8)
    for i in range(1, n):
        x, y, bw, bh = (int(v) for v in stats[i, :4])
        x0, y0 = max(0, x - reach), max(0, y - reach)
        x1, y1 = min(w, x + bw + reach), min(h, y + bh + reach)
        region = comp[y0:y1, x0:x1] == i
        others = mask[y0:y1, x0:x1] & ~region
        g = gray[y0:y1, x0:x1]
        dist = cv2.distanceTransform((~region).view(np.uint8), cv2.DIST_L2, 3)
        far = (dist > max_rim + 1) & (dist <= max_rim + 1 + _REF) & ~others
        if far.sum() < 8:
            continue
        # The picture around, at each pixel: the far band's values spread inward.
        sigma = float(max_rim + _REF)
        weight = cv2.GaussianBlur(far.astype(np.float32), (0, 0), sigma)
        around = cv2.GaussianBlur(np.where(far, g, 0).astype(np.float32), (0, 0), sigma)
        around /= np.maximum(weight, 1e-6)
        diff = np.abs(g - around)
        noise = float(1.4826 * np.median(np.abs(diff[far] - np.median(diff[far]))))
        level = max(_NOISE_TIMES * noise + float(np.median(diff[far])), _LEAST)
        blocked = others.copy()
        if protect is not None:
            blocked |= np.asarray(protect[y0:y1, x0:x1], bool)
        grown = region.copy()
        for d in range(1, max_rim + 1):
            ring = (dist > d - 1) & (dist <= d) & ~blocked
            if not ring.any() or float(np.median(diff[ring])) < level:
                break
            grown |= ring
        out[y0:y1, x0:x1] |= grown
    return out
