"""A learned denoiser's automatic strength, fitted on its training photos.

A blind denoiser run at full strength on a photograph without noise still
smooths it: it takes fine texture for noise. Its automatic strength therefore
follows the noise measured in the image (:func:`restore_app.core.estimate.
estimate_noise_sigma`, in 8-bit units): none up to the ramp's first value, full
from its second, linear between. The ramp is the one that gives the best mean
PSNR over the training photos at each of :data:`NOISE_LEVELS`, noise-free
included, each level weighing the same; a result closer than :data:`PSNR_CAP`
counts as that close (an untouched photo would otherwise weigh infinitely).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from restore_app.core.estimate import estimate_noise_sigma, strength_for

#: Gaussian noise (8-bit σ) of the fitting cases; 0 is the clean photo itself.
NOISE_LEVELS = (0.0, 3.0, 5.0, 10.0, 15.0, 25.0, 50.0)
#: PSNR (dB) at which a result counts as perfect.
PSNR_CAP = 50.0
#: Side of the centred crop of each photo (at most), and how many photos are used.
CROP = 256
PHOTOS = 48
#: The ramps tried: first value, then its width (8-bit σ).
RAMP_FROM = tuple(float(v) for v in np.arange(0.0, 10.01, 0.5))
RAMP_WIDTH = tuple(float(v) for v in np.arange(0.5, 15.01, 0.5))


def fit_noise_strength(
    photos: list[np.ndarray],
    denoise: Callable[[np.ndarray], np.ndarray],
    seed: int = 0,
) -> tuple[list[float], dict]:
    """The ramp ``[from, to]`` (8-bit σ) and its figures, for ``denoise``
    (float32 (H, W, 3) [0, 1] in and out, at full strength) on ``photos``
    (uint8 RGB)."""
    rng = np.random.default_rng(seed)
    chosen = photos[:: max(1, len(photos) // PHOTOS)][:PHOTOS]
    if not chosen:
        raise ValueError("no training photos to fit the noise ramp on")
    # Per case, the squared error of "noisy + s·(denoised − noisy)" against the
    # clean crop is a + 2bs + cs²: the grid below needs only a, b, c.
    sigmas, quad, level = [], [], []
    for img in chosen:
        h, w = img.shape[:2]
        side = min(CROP, h, w)
        y, x = (h - side) // 2, (w - side) // 2
        clean = img[y : y + side, x : x + side].astype(np.float64) / 255.0
        for s in NOISE_LEVELS:
            noisy = np.rint(clean * 255 + rng.normal(0, s, clean.shape))
            noisy = (np.clip(noisy, 0, 255) / 255.0).astype(np.float32)
            den = denoise(noisy).astype(np.float64)
            e, d = noisy - clean, den - noisy
            n = e.size
            quad.append(((e * e).sum() / n, (e * d).sum() / n, (d * d).sum() / n))
            sigmas.append(estimate_noise_sigma(noisy) * 255.0)
            level.append(s)
    q = np.array(quad)
    sig = np.array(sigmas)
    lev = np.array(level)

    def scores(st: np.ndarray) -> dict[float, float]:
        mse = q[:, 0] + 2 * q[:, 1] * st + q[:, 2] * st**2
        p = np.minimum(-10 * np.log10(np.maximum(mse, 1e-12)), PSNR_CAP)
        return {s: float(p[lev == s].mean()) for s in NOISE_LEVELS}

    best, best_ramp = -np.inf, (0.0, 0.5)
    for lo in RAMP_FROM:
        for width in RAMP_WIDTH:
            st = np.clip((sig - lo) / width, 0.0, 1.0)
            score = float(np.mean(list(scores(st).values())))
            if score > best:
                best, best_ramp = score, (lo, lo + width)
    ramp = [round(best_ramp[0], 2), round(best_ramp[1], 2)]
    at_ramp = scores(np.array([strength_for(v, ramp) for v in sig]))
    full = scores(np.ones_like(sig))
    return ramp, {
        "chosen_by": "mean PSNR on the training photos at each noise level "
        f"(capped at {PSNR_CAP:g} dB), each level weighing the same",
        "photos": len(chosen),
        "crop": CROP,
        "psnr_at_ramp": {f"{s:g}": round(v, 2) for s, v in at_ramp.items()},
        "psnr_at_full_strength": {f"{s:g}": round(v, 2) for s, v in full.items()},
    }
