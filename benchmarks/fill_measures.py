"""How a fill looks beside what it replaced and beside its surroundings.

Read by ``benchmarks/public.py`` (Kodak24 with the committed free-form masks,
with and without added film grain). Every measure is inside the mask, on uint8
RGB images:

- ``psnr``: full-band PSNR against the original;
- ``psnr_low``: PSNR after a σ 1.5 Gaussian blur of both (grain cannot be
  predicted; fidelity is judged on the low-pass);
- ``ssim``: mean SSIM (luminance, scikit-image) over the mask;
- ``gradient``: mean gradient magnitude inside the mask over the original's
  there (a blur scores far below 1);
- ``grain``: the noise level of the fill over that of a ring of the same image
  around it (robust MAD of the high-pass, in the flatter half of each);
- ``band1``–``band3``: RMS of differences of Gaussians (σ 0.7–1.4, 1.4–2.8,
  2.8–5.6) inside the fill over the same in the ring (white noise at the ring's
  level passes ``grain``, not these);
- ``delta_e``: mean CIEDE2000 between the mean CIELAB of each filled region
  and that of the original there.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Film grain added for the grain variants (level, of 1).
GRAIN_LEVELS = (0.02, 0.04)
#: The fills measured, the default first.
INPAINT_IDS = [
    "inpaint.ffc-grain",
    "inpaint.ffc",
    "inpaint.exemplar",
    "inpaint.ns",
    "inpaint.telea",
]
HIGH_PASS_SIGMA = 1.6
BANDS = ((0.7, 1.4), (1.4, 2.8), (2.8, 5.6))
RING = 10


def _gray(img: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0


def _ring(mask: np.ndarray) -> np.ndarray:
    m = mask.astype(np.uint8)
    far = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * RING + 1, 2 * RING + 1))
    near = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    return (cv2.dilate(m, far) > 0) & ~(cv2.dilate(m, near) > 0)


def _psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    d = (a.astype(np.float64) - b.astype(np.float64))[mask] ** 2
    return float(10 * np.log10(255.0**2 / max(d.mean(), 1e-10)))


def _flat_mad(hp: np.ndarray, lowpass: np.ndarray, where: np.ndarray) -> float:
    """Robust noise level of ``hp`` in the flatter half of ``where``."""
    gx = cv2.Sobel(lowpass, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(lowpass, cv2.CV_32F, 0, 1)
    g = np.hypot(gx, gy)[where]
    values = hp[where]
    if values.size < 16:
        return float("nan")
    flat = values[g <= np.median(g)]
    return float(1.4826 * np.median(np.abs(flat - np.median(flat))))


def measures(out: np.ndarray, original: np.ndarray, mask: np.ndarray) -> dict:
    """Every measure of the module docstring for one filled image."""
    from skimage.color import deltaE_ciede2000, rgb2lab
    from skimage.metrics import structural_similarity

    ring = _ring(mask)
    blur = lambda x: cv2.GaussianBlur(x, (0, 0), 1.5)  # noqa: E731
    g_out, g_orig = _gray(out), _gray(original)
    _, ssim_map = structural_similarity(g_orig, g_out, data_range=1.0, full=True)

    def grad(x: np.ndarray) -> float:
        gx = cv2.Sobel(x, cv2.CV_32F, 1, 0)
        gy = cv2.Sobel(x, cv2.CV_32F, 0, 1)
        return float(np.hypot(gx, gy)[mask].mean())

    low_out = cv2.GaussianBlur(g_out, (0, 0), HIGH_PASS_SIGMA)
    hp = g_out - low_out
    grain = _flat_mad(hp, low_out, mask) / max(_flat_mad(hp, low_out, ring), 1e-6)
    bands = []
    for a, b in BANDS:
        dog = cv2.GaussianBlur(g_out, (0, 0), a) - cv2.GaussianBlur(g_out, (0, 0), b)
        inside = float(np.sqrt(np.mean(dog[mask] ** 2)))
        around = float(np.sqrt(np.mean(dog[ring] ** 2)))
        bands.append(inside / max(around, 1e-6))
    lab_out = rgb2lab(out)
    lab_orig = rgb2lab(original)
    n, comp = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    des = []
    for i in range(1, n):
        region = comp == i
        if region.sum() < 16:
            continue
        a = lab_out[region].mean(axis=0)
        b = lab_orig[region].mean(axis=0)
        des.append(float(deltaE_ciede2000(a[None], b[None])[0]))
    return {
        "psnr": _psnr(out, original, mask),
        "psnr_low": _psnr(blur(out), blur(original), mask),
        "ssim": float(ssim_map[mask].mean()),
        "gradient": grad(g_out) / max(grad(g_orig), 1e-6),
        "grain": grain,
        "band1": bands[0],
        "band2": bands[1],
        "band3": bands[2],
        "delta_e": float(np.mean(des)) if des else 0.0,
    }


def film_grain(img: np.ndarray, amount: float, seed: int) -> np.ndarray:
    """``img`` (uint8 RGB) with film grain: correlated (σ 0.8 px), mostly shared
    by the channels, strongest in the mid-tones; ``amount`` its level (of 1)."""
    rng = np.random.default_rng(seed)
    x = img.astype(np.float32) / 255.0
    mono = rng.normal(0, 1, x.shape[:2] + (1,)).astype(np.float32)
    colour = rng.normal(0, 1, x.shape).astype(np.float32)
    n = cv2.GaussianBlur(0.8 * mono + 0.6 * colour, (0, 0), 0.8)
    n /= max(float(n.std()), 1e-6)
    y = x + amount * n * (0.4 + 0.6 * 4 * x * (1 - x))
    return np.clip(np.rint(y * 255), 0, 255).astype(np.uint8)
