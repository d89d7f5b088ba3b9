"""The public benchmark's protocol (noise, blur kernels, masks, scores), checked on
small images made here, so it cannot rot while the test sets are absent."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import public  # noqa: E402


def _image(h: int = 48, w: int = 64) -> np.ndarray:
    rng = np.random.default_rng(5)
    base = cv2.resize(rng.integers(0, 256, (6, 8, 3)).astype(np.uint8), (w, h))
    return np.ascontiguousarray(base)


def test_noise_is_the_papers_seeded_noise_in_two_protocols() -> None:
    img = _image()
    a = public.add_noise(img, 25, "8bit")
    assert a.dtype == np.uint8 and np.array_equal(a, public.add_noise(img, 25, "8bit"))
    f = public.add_noise(img, 25, "float")
    np.random.seed(0)
    expect = img / 255.0 + np.random.normal(0, 25 / 255, img.shape)
    assert np.allclose(f, expect, atol=1e-6)
    assert f.dtype == np.float32
    resid = f.astype(np.float64) - img / 255.0
    assert resid.std() == pytest.approx(25 / 255, rel=0.05)
    white = np.full((32, 32, 3), 250, np.uint8)
    assert (public.add_noise(white, 50, "float") > 1).any()  # float is unclipped
    assert public.add_noise(white, 50, "8bit").max() == 255  # the file is clipped


def test_circular_blur_is_a_true_wrapped_convolution() -> None:
    img = _image()
    k = np.zeros((5, 5))
    k[2, 2], k[0, 4], k[3, 1] = (
        0.5,
        0.3,
        0.2,
    )  # asymmetric: convolution, not correlation
    out = public.blur_circular(img, k, 0.0)
    x = img.astype(np.float64) / 255
    direct = np.zeros_like(x)
    for i in range(5):
        for j in range(5):
            direct += k[i, j] * np.roll(x, (i - 2, j - 2), axis=(0, 1))
    assert np.abs(out.astype(int) - public.to8(direct).astype(int)).max() <= 1
    sharp = public.wiener_circular(out, k, 1e-6)
    assert public.psnr(sharp, img) > 35
    assert public.psnr(out, img) < public.psnr(sharp, img)


def test_levin_kernels_read_in_matlab_layout(tmp_path) -> None:
    h5py = pytest.importorskip("h5py")
    rng = np.random.default_rng(2)
    kernels = [rng.random((3 + 2 * (i % 2), 3 + 2 * (i % 2))) for i in range(8)]
    kernels = [k / k.sum() for k in kernels]
    path = tmp_path / "Levin09.mat"
    with h5py.File(path, "w") as f:
        refs = f.create_dataset("kernels", (8, 1), dtype=h5py.ref_dtype)
        for i, k in enumerate(kernels):
            d = f.create_dataset(f"#refs#/k{i}", data=k.T)  # MATLAB is column-major
            refs[i, 0] = d.ref
    read = public.levin_kernels(path)
    assert len(read) == 8
    for a, b in zip(read, kernels, strict=True):
        assert np.array_equal(a, b)


def test_committed_masks_are_the_seeded_free_form_masks() -> None:
    masks = sorted(public.MASKS.glob("*.png"))
    assert len(masks) == 24
    for i, path in enumerate(masks[:4]):
        m = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) > 127
        again = public.free_form_mask(*m.shape, np.random.default_rng(11 + i))
        assert np.array_equal(m, again)
        assert 0.005 < m.mean() < 0.3
        # strokes at least 10 px wide: an opening by a 9 px disc keeps most of it
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
        opened = cv2.morphologyEx(m.astype(np.uint8), cv2.MORPH_OPEN, k).astype(bool)
        assert opened.sum() > 0.8 * m.sum()


def test_scores() -> None:
    img = _image()
    assert public.psnr(img, img) > 100
    noisy = img.astype(int) + 10
    assert public.psnr(np.clip(noisy, 0, 255).astype(np.uint8), img) < 30
    mask = np.zeros(img.shape[:2], bool)
    mask[10:30, 10:40] = True
    g = public.gradient_energy(img, mask)
    assert public.gradient_energy(img, mask) / g == pytest.approx(1.0)
    blurred = cv2.GaussianBlur(img, (0, 0), 3)
    assert public.gradient_energy(blurred, mask) / g < 0.7
