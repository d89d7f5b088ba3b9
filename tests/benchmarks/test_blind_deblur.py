"""The candidate blind deblurrer of ``benchmarks/blind_deblur.py`` on pictures
the tests draw: a known shake path blurs them (with borders as a camera has
them, not wrapped), and the kernel and the sharp picture must come back; and
its scoring, so that the benchmark cannot rot."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from blind_deblur import (  # noqa: E402
    aligned_psnr,
    clean_kernel,
    deconvolve,
    estimate_kernel,
    periodic_pad,
    shake_kernels,
)


def _scene(side: int = 224, seed: int = 3) -> np.ndarray:
    """Gray (float64 ``(side, side)``, [0, 1]): overlapping flat shapes with
    crisp edges of every orientation."""
    rng = np.random.default_rng(seed)
    img = np.full((side, side), 0.5)
    for _ in range(40):
        value = float(rng.uniform(0.05, 0.95))
        x, y = (int(v) for v in rng.integers(0, side, 2))
        if rng.random() < 0.5:
            r = int(rng.integers(6, 30))
            cv2.circle(img, (x, y), r, value, -1)
        else:
            w, h = (int(v) for v in rng.integers(8, 50, 2))
            box = ((x, y), (w, h), float(rng.uniform(0, 180)))
            pts = cv2.boxPoints(box).astype(np.int32)
            cv2.fillConvexPoly(img, pts, value)
    return img


def _shake(size: int = 15) -> np.ndarray:
    """A bent path of camera shake, its extent centred, summing to one."""
    k = np.zeros((size, size))
    c = size // 2
    cv2.line(k, (c - 5, c + 3), (c + 1, c - 3), 1.0)
    cv2.line(k, (c + 1, c - 3), (c + 5, c - 1), 1.0)
    return k / k.sum()


def _blur(img: np.ndarray, k: np.ndarray, noise: float, seed: int = 0) -> np.ndarray:
    """``img`` blurred by ``k`` with the scene continuing past the borders
    (reflected), noise added, quantised to 8 bits."""
    out = cv2.filter2D(img, -1, k[::-1, ::-1].copy(), borderType=cv2.BORDER_REFLECT)
    out = out + np.random.default_rng(seed).normal(0, noise, out.shape)
    return np.clip(np.rint(out * 255), 0, 255) / 255.0


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    a = np.clip(np.rint(a * 255), 0, 255)
    return float(10 * np.log10(255.0**2 / np.mean((a - b * 255) ** 2)))


def _aligned_psnr(a: np.ndarray, b: np.ndarray, shift: int = 3) -> float:
    """PSNR of ``a`` against ``b`` at the best whole-pixel shift: where in its
    smear a blind estimate places the picture cannot be known."""
    s = shift
    inner = b[s:-s, s:-s]
    return max(
        _psnr(a[s + dy : a.shape[0] - s + dy, s + dx : a.shape[1] - s + dx], inner)
        for dy in range(-s, s + 1)
        for dx in range(-s, s + 1)
    )


def _match(a: np.ndarray, b: np.ndarray) -> float:
    """Peak normalised cross-correlation of two kernels over every shift."""
    n = a.shape[0] + b.shape[0]
    fa = np.fft.fft2(a, (n, n))
    fb = np.fft.fft2(b, (n, n))
    c = np.real(np.fft.ifft2(fa * np.conj(fb)))
    return float(c.max() / np.sqrt((a * a).sum() * (b * b).sum()))


def test_deconvolution_by_the_true_kernel_sharpens_to_the_borders() -> None:
    sharp = _scene()
    k = _shake()
    blurred = _blur(sharp, k, 1 / 255)
    out = deconvolve(blurred, k, 1 / 255)
    assert out.shape == sharp.shape
    assert _psnr(out, sharp) > _psnr(blurred, sharp) + 5
    # The unknown scene beyond the borders rings no worse there than inside.
    rim = np.ones(sharp.shape, bool)
    rim[16:-16, 16:-16] = False
    err = (np.clip(out, 0, 1) - sharp) ** 2
    assert err[rim].mean() < 3 * err[~rim].mean()


def test_the_shake_path_is_estimated_from_the_blurred_picture() -> None:
    sharp = _scene()
    k = _shake()
    blurred = _blur(sharp, k, 0.5 / 255)
    est = estimate_kernel(blurred, 21)
    assert est.shape == (21, 21)
    assert est.min() >= 0 and est.sum() == pytest.approx(1.0)
    assert _match(est, k) > 0.7
    out = deconvolve(blurred, est, 0.5 / 255)
    assert _aligned_psnr(out, sharp) > _aligned_psnr(blurred, sharp) + 3


def test_clean_kernel_keeps_the_path_and_drops_specks() -> None:
    k = _shake(15) * 10
    k[0, 0] = 0.2  # an isolated speck, far below the path's weight
    k[2, 12] = -0.5
    out = clean_kernel(k)
    assert out.min() >= 0
    assert out.sum() == pytest.approx(1.0)
    assert out[0, 0] == 0 and out[2, 12] == 0
    assert _match(out, _shake(15)) > 0.99


def test_periodic_pad_tiles_without_a_seam() -> None:
    img = _scene(64)
    ext = periodic_pad(img, 8)
    assert ext.shape == (80, 80)
    assert np.array_equal(ext[:64, :64], img)
    # Across the wrap the extension meets the first row and column smoothly.
    assert np.abs(ext[-1] - ext[0]).max() < np.abs(np.diff(img, axis=0)).max()
    assert np.abs(ext[:, -1] - ext[:, 0]).max() < np.abs(np.diff(img, axis=1)).max()


def test_aligned_psnr_forgives_a_shift_and_nothing_else() -> None:
    img = np.clip(np.rint(_scene(96) * 255), 0, 255).astype(np.uint8)
    moved = np.roll(img, (2, -3), axis=(0, 1))
    assert aligned_psnr(moved, img) > 60
    assert aligned_psnr(moved, img, shift=1) < 40
    noisy = np.clip(img + np.random.default_rng(1).normal(0, 5, img.shape), 0, 255)
    assert 30 < aligned_psnr(noisy.astype(np.uint8), img) < 40


def test_shake_kernels_are_centred_blur_kernels() -> None:
    ks = shake_kernels(4, seed=2)
    assert len(ks) == 4
    for k in ks:
        assert k.shape == (31, 31) and k.min() >= 0
        assert k.sum() == pytest.approx(1.0)
        ys, xs = np.nonzero(k)
        assert abs((ys.min() + ys.max()) / 2 - 15) <= 0.5
        assert abs((xs.min() + xs.max()) / 2 - 15) <= 0.5
