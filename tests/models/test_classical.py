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
