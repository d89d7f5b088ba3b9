"""Estimates of the degradation in an image: noise level and blur width."""

from __future__ import annotations

import numpy as np


def _gray(image: np.ndarray) -> np.ndarray:
    """Luminance (float64 ``(H, W)``) of ``image`` (float32 ``(H, W, C)``, [0, 1])."""
    if image.ndim == 2:
        return image.astype(np.float64)
    if image.shape[2] == 1:
        return image[..., 0].astype(np.float64)
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    return (0.299 * r + 0.587 * g + 0.114 * b).astype(np.float64)


def _sample(image: np.ndarray, max_side: int = 1024) -> np.ndarray:
    """A centred crop of at most ``max_side`` on each side; keeps the pixel grid."""
    h, w = image.shape[:2]
    y0 = max((h - max_side) // 2, 0)
    x0 = max((w - max_side) // 2, 0)
    return image[y0 : y0 + max_side, x0 : x0 + max_side]


def estimate_noise_sigma(image: np.ndarray) -> float:
    """Standard deviation of white noise in ``image`` (float32 ``(H, W, C)``, [0, 1]).

    Donoho's robust estimator: the median absolute value of the finest diagonal
    Haar detail coefficients, which natural image content barely reaches, over
    0.6745. Returned in the image's [0, 1] units.
    """
    img = _sample(image)
    sigmas = []
    channels = img.shape[2] if img.ndim == 3 else 1
    for ch in range(channels):
        x = img[..., ch].astype(np.float64) if img.ndim == 3 else img.astype(np.float64)
        h, w = (x.shape[0] // 2) * 2, (x.shape[1] // 2) * 2
        if h < 2 or w < 2:
            return 0.0
        x = x[:h, :w]
        hh = (x[0::2, 0::2] - x[0::2, 1::2] - x[1::2, 0::2] + x[1::2, 1::2]) / 2.0
        sigmas.append(float(np.median(np.abs(hh)) / 0.6745))
    return float(np.mean(sigmas))


def strength_for(level: float, ramp: tuple[float, float] | list[float]) -> float:
    """The strength in [0, 1] that a ``ramp`` of a model card (a denoiser's
    ``noise_strength``, a colour restorer's ``change_strength``) gives a
    measured ``level``: none up to the first value, full from the second,
    linear between."""
    lo, hi = float(ramp[0]), float(ramp[1])
    return float(np.clip((level - lo) / max(hi - lo, 1e-6), 0.0, 1.0))


def estimate_blur_sigma(image: np.ndarray, noise_sigma: float | None = None) -> float:
    """Gaussian width (pixels) of the blur in ``image`` (float32 (H, W, C), [0, 1]).

    Natural images have a power spectrum close to ``1/f²``; a Gaussian blur of
    width ``s`` multiplies it by ``exp(-(2π f s)²)``. The slope of
    ``log(P(f)·f²)`` against ``f²``, fitted where the signal stands clear of
    the noise floor, gives ``s``. 0 for a sharp image.
    """
    g = _gray(_sample(image, 512))
    h, w = g.shape
    if min(h, w) < 32:
        return 0.0
    if noise_sigma is None:
        noise_sigma = estimate_noise_sigma(image)
    g = g - g.mean()
    win = np.outer(np.hanning(h), np.hanning(w))
    spec = np.abs(np.fft.fft2(g * win)) ** 2 / (win**2).sum()
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[None, :]
    f = np.sqrt(fx**2 + fy**2)
    bins = np.linspace(0.02, 0.5, 40)
    idx = np.digitize(f.ravel(), bins)
    power = np.bincount(idx, weights=spec.ravel(), minlength=len(bins) + 1)
    count = np.bincount(idx, minlength=len(bins) + 1)
    centers = 0.5 * (bins[:-1] + bins[1:])
    p = power[1 : len(bins)] / np.maximum(count[1 : len(bins)], 1)
    # Quantisation of an 8-bit original is noise too, even where the
    # estimator reads zero (smooth, blurred content).
    noise_floor = max(noise_sigma, 1.0 / (255.0 * np.sqrt(12.0))) ** 2
    signal = p - noise_floor
    above = signal > 4 * noise_floor
    # The fit uses the frequencies from the lowest up to where the signal first
    # sinks into the noise floor.
    keep = np.cumprod(above).astype(bool)
    if keep.sum() < 5:
        return 0.0
    fk = centers[keep]
    y = np.log(signal[keep] * fk**2)
    slope = np.polyfit((2 * np.pi * fk) ** 2, y, 1)[0]
    # An unblurred photograph still falls off a little faster than 1/f²
    # (lens, demosaicing): that offset is removed so a sharp image reads ~0.
    s2 = max(-slope - 0.6**2, 0.0)
    return float(np.sqrt(s2))
