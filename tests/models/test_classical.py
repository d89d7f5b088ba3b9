from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from restore_app.core.estimate import estimate_noise_sigma
from restore_app.models.engine import restore

DATA = Path(__file__).parents[1] / "data"


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(float) - b.astype(float)) ** 2)
    return 10 * np.log10(255**2 / mse)


def _clean() -> np.ndarray:
    return cv2.imread(str(DATA / "heldout_coldripple.png"))[..., ::-1].copy()


@pytest.mark.parametrize("sigma", [5, 50])
def test_nlm_gains_at_light_and_heavy_noise(sigma) -> None:
    clean = _clean()
    rng = np.random.default_rng(sigma)
    noisy = np.clip(clean + rng.normal(0, sigma, clean.shape), 0, 255).astype(np.uint8)
    est = estimate_noise_sigma(noisy.astype(np.float32) / 255) * 255
    assert abs(est - sigma) < 0.35 * sigma
    out = restore(noisy, task="denoise", restorer_id="denoise.nlm").pixels
    assert _psnr(out, clean) > _psnr(noisy, clean) + 1.0


def test_wiener_deblur_sharpens_a_gaussian_blur() -> None:
    clean = _clean()
    blurred = cv2.GaussianBlur(clean, (0, 0), 2.0)
    res = restore(blurred, task="deblur", restorer_id="deblur.wiener")
    assert res.operation["params"]["blur_sigma"] > 1.0
    assert _psnr(res.pixels, clean) > _psnr(blurred, clean) + 0.5


def test_telea_output_stays_in_range_and_close() -> None:
    clean = _clean()
    mask = np.zeros(clean.shape[:2], bool)
    mask[90:94, 10:180] = True
    for rid in ("inpaint.telea", "inpaint.ns"):
        out = restore(clean, task="inpaint", restorer_id=rid, mask=mask).pixels
        err = np.abs(out[mask].astype(float) - clean[mask]).mean()
        assert err < 25, rid


def _gradient_energy(img: np.ndarray, mask: np.ndarray) -> float:
    g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx, gy = cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1)
    return float((gx**2 + gy**2)[mask].mean())


def test_exemplar_fill_continues_texture_where_telea_smooths() -> None:
    clean = _clean()
    h, w = clean.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    cv2.line(mask, (w // 5, h // 4), (4 * w // 5, 3 * h // 4), 1, 20)
    cv2.circle(mask, (w // 4, 3 * h // 4), 28, 1, -1)
    mask = mask.astype(bool)
    damaged = clean.copy()
    damaged[mask] = 255
    energy = _gradient_energy(clean, mask)
    ratios = {}
    for rid in ("inpaint.exemplar", "inpaint.telea"):
        out = restore(damaged, task="inpaint", restorer_id=rid, mask=mask).pixels
        assert np.array_equal(out[~mask], clean[~mask]), rid
        ratios[rid] = _gradient_energy(out, mask) / energy
    assert 0.6 <= ratios["inpaint.exemplar"] <= 1.4, ratios
    assert ratios["inpaint.telea"] < 0.5 * ratios["inpaint.exemplar"], ratios


def test_exemplar_fill_takes_gray_and_16_bit_scans() -> None:
    gray = cv2.cvtColor(_clean(), cv2.COLOR_RGB2GRAY)
    clean = gray[..., None].astype(np.uint16) * 257
    mask = np.zeros(gray.shape, bool)
    mask[40:60, 30:90] = True
    out = restore(clean, task="inpaint", restorer_id="inpaint.exemplar", mask=mask)
    assert out.pixels.dtype == np.uint16 and out.pixels.shape == clean.shape
    assert np.array_equal(out.pixels[~mask], clean[~mask])
    err = np.abs(out.pixels[mask].astype(float) - clean[mask]).mean() / 257
    assert err < 40
