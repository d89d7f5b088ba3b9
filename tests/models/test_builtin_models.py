"""The shipped models load from the installation and beat the classical floor.

The images are crops of photographs the training held out (tests/data).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from restore_app.models.engine import restore
from restore_app.models.registry import list_restorers

DATA = Path(__file__).parents[1] / "data"
# The built-in pixel-to-pixel restorers (the detector and the colour restorer,
# which chooses curves for a whole image, have their own tests).
BUILT_IN = {
    i.id: i
    for i in list_restorers()
    if i.kind == "learned"
    and i.source == "built-in"
    and i.task not in ("detect", "color")
}


def _psnr(a: np.ndarray, b: np.ndarray, m: np.ndarray | None = None) -> float:
    d = (a.astype(float) - b.astype(float)) ** 2
    mse = d[m].mean() if m is not None else d.mean()
    return 10 * np.log10(255**2 / max(mse, 1e-10))  # identical: 148 dB


def _clean(name: str) -> np.ndarray:
    return cv2.imread(str(DATA / f"heldout_{name}.png"))[..., ::-1].copy()


def test_built_in_restorers_with_cards() -> None:
    assert set(BUILT_IN) == {
        "inpaint.ffc",
        "inpaint.ffc-grain",  # the same weights, the surroundings' grain continued
        "denoise.nafnet",
        "deblur.nafnet",
    }
    for info in BUILT_IN.values():
        card = info.card
        assert card is not None
        weights = card.weights_path
        assert weights.stat().st_size <= 8 * 1024 * 1024
        for key in ("architecture", "config", "parameters", "training", "sha256"):
            assert getattr(card, key) is not None, key
        import hashlib

        assert hashlib.sha256(weights.read_bytes()).hexdigest() == card.sha256


def test_the_denoiser_leaves_a_clean_photo_alone_and_cleans_a_noisy_one() -> None:
    rng = np.random.default_rng(3)
    for name in ("coldripple", "twowings"):
        clean = _clean(name)
        res = restore(clean, task="denoise", restorer_id="denoise.nafnet")
        assert res.operation["params"]["strength"] < 0.5, name
        assert _psnr(res.pixels, clean) >= 40.0, name
        noisy = np.clip(clean + rng.normal(0, 15, clean.shape), 0, 255).astype(np.uint8)
        res = restore(noisy, task="denoise", restorer_id="denoise.nafnet")
        assert res.operation["params"]["strength"] == 1.0, name
        assert _psnr(res.pixels, clean) > _psnr(noisy, clean) + 5.0, name


def test_the_denoiser_sees_film_grain_as_noise() -> None:
    """Grain is correlated, so a measure of white noise reads it as almost none;
    the automatic strength follows what the network removes, and removes it."""
    import torch

    from restore_app.training.degrade import film_grain

    clean = _clean("twowings")
    t = torch.from_numpy(clean.transpose(2, 0, 1).astype(np.float32) / 255)[None]
    g = torch.Generator().manual_seed(4)
    grainy = film_grain(t, g)[0].numpy().transpose(1, 2, 0)
    grainy = np.clip(np.rint(grainy * 255), 0, 255).astype(np.uint8)
    res = restore(grainy, task="denoise", restorer_id="denoise.nafnet")
    assert res.operation["params"]["strength"] > 0.9
    assert _psnr(res.pixels, clean) > _psnr(grainy, clean) + 2.0


def _fill_margin_over_telea(masks: list[np.ndarray]) -> float:
    """Mean PSNR inside the mask, learned fill minus Telea, over both images."""
    margins = []
    for name in ("coldripple", "twowings"):
        clean = _clean(name)
        for mask in masks:
            damaged = clean.copy()
            damaged[mask] = 255  # white losses, as on a print
            scores = [
                _psnr(
                    restore(damaged, task="inpaint", restorer_id=rid, mask=mask).pixels,
                    clean,
                    mask,
                )
                for rid in ("inpaint.ffc", "inpaint.telea")
            ]
            margins.append(scores[0] - scores[1])
    return float(np.mean(margins))


def test_inpainting_beats_telea_on_mixed_damage() -> None:
    """Scratches, cracks, dust, blotches, tears and strokes drawn by the training's
    own mask generator, from seeds and at a size the training never used."""
    from restore_app.training.degrade import mask_bank

    masks = [mask_bank(1, 192, seed)[0].astype(bool) for seed in (51, 52, 53)]
    assert _fill_margin_over_telea(masks) > 0.75


def test_inpainting_beats_telea_on_stains() -> None:
    """Blotches of 30–60 px: where a smooth fill from the border falls short."""
    masks = []
    for cx, cy, a, b in ((96, 90, 22, 14), (60, 130, 30, 20)):
        mask = np.zeros((192, 192), np.uint8)
        cv2.ellipse(mask, (cx, cy), (a, b), 30, 0, 360, 1, -1)
        masks.append(mask.astype(bool))
    assert _fill_margin_over_telea(masks) > 0.3


@pytest.mark.parametrize("name", ["coldripple", "twowings"])
def test_denoising_beats_non_local_means(name) -> None:
    clean = _clean(name)
    rng = np.random.default_rng(7)
    noisy = np.clip(clean + rng.normal(0, 25, clean.shape), 0, 255).astype(np.uint8)
    ours = restore(noisy, task="denoise", restorer_id="denoise.nafnet").pixels
    nlm = restore(noisy, task="denoise", restorer_id="denoise.nlm").pixels
    assert _psnr(ours, clean) > _psnr(nlm, clean) + 1.0


@pytest.mark.parametrize("name", ["coldripple", "twowings"])
def test_deblurring_beats_wiener(name) -> None:
    """Gaussian, defocus and motion blur with the light noise every scan has."""
    clean = _clean(name)
    rng = np.random.default_rng(1)
    ours, wiener = [], []
    for kernel in (_gaussian(1.5), _disc(2.5), _motion(9)):
        blurred = cv2.filter2D(
            clean.astype(np.float32), -1, kernel, borderType=cv2.BORDER_REFLECT
        )
        blurred = np.clip(np.rint(blurred + rng.normal(0, 2, blurred.shape)), 0, 255)
        blurred = blurred.astype(np.uint8)
        for rid, scores in (("deblur.nafnet", ours), ("deblur.wiener", wiener)):
            out = restore(blurred, task="deblur", restorer_id=rid).pixels
            scores.append(_psnr(out, clean))
    assert np.mean(ours) > np.mean(wiener) + 0.25


def _gaussian(sigma: float) -> np.ndarray:
    g = cv2.getGaussianKernel(13, sigma)
    return (g @ g.T).astype(np.float32)


def _disc(radius: float) -> np.ndarray:
    yy, xx = np.mgrid[-4:5, -4:5]
    k = np.clip(radius + 0.5 - np.sqrt(xx**2 + yy**2), 0, 1).astype(np.float32)
    return k / k.sum()


def _motion(length: int) -> np.ndarray:
    k = np.zeros((length + 2, length + 2), np.float32)
    c = (length + 2) // 2
    cv2.line(k, (1, c - 2), (length, c + 2), 1.0)
    return k / k.sum()


def test_gray_and_sixteen_bit_run_through_a_learned_model() -> None:
    gray = _clean("twowings")[..., :1].astype(np.uint16) * 257
    res = restore(gray, task="denoise", restorer_id="denoise.nafnet", strength=0.5)
    assert res.pixels.shape == gray.shape and res.pixels.dtype == np.uint16


@pytest.mark.parametrize("tone", ["gray", "sepia"])
def test_fill_of_a_monochrome_print_invents_no_colour(tone) -> None:
    """A wide loss in a gray or sepia print is filled in the print's own tone."""
    clean = _clean("twowings").astype(np.float32)
    lum = clean.mean(axis=2, keepdims=True)
    factors = [1.0, 1.0, 1.0] if tone == "gray" else [1.07, 0.93, 0.72]
    print_ = np.clip(np.rint(lum * np.array(factors)), 0, 255).astype(np.uint8)
    mask = np.zeros(print_.shape[:2], np.uint8)
    cv2.ellipse(mask, (96, 96), (45, 32), 20, 0, 360, 1, -1)
    mask = mask.astype(bool)
    damaged = print_.copy()
    damaged[mask] = 255
    out = restore(damaged, task="inpaint", restorer_id="inpaint.ffc", mask=mask)
    filled = out.pixels[mask].astype(np.float32)
    # Each filled pixel's colour is the print's tone at its brightness: that of
    # the print's own pixel nearest in brightness (read from the print, so that
    # the red channel saturating in the light tones of sepia counts as tone).
    known = print_[~mask].astype(np.float32)
    order = np.argsort(known.mean(axis=1))
    levels = known.mean(axis=1)[order]
    nearest = np.clip(np.searchsorted(levels, filled.mean(axis=1)), 0, len(levels) - 1)
    expected = known[order][nearest]
    assert np.abs(filled - expected).max() <= 3.0


def test_fill_of_a_colour_photograph_keeps_the_network_colours() -> None:
    from restore_app.models.learned import follow_tone

    rng = np.random.default_rng(0)
    image = rng.random((64, 64, 3)).astype(np.float32)
    mask = np.zeros((64, 64), bool)
    mask[20:40, 20:40] = True
    filled = image.copy()
    filled[mask] = [0.9, 0.2, 0.4]
    assert np.array_equal(follow_tone(filled, image, mask), filled)


def test_what_a_denoiser_removes_is_read_where_the_picture_is_flat() -> None:
    from restore_app.models.learned import removed_level

    rng = np.random.default_rng(8)
    flat = np.full((96, 96, 3), 0.5, np.float32)
    noisy = flat + rng.normal(0, 5 / 255, flat.shape).astype(np.float32)
    assert abs(removed_level(noisy, flat) - 5.0) < 0.5
    # Texture a denoiser thinned on one half, where the picture is busy, does
    # not count; the flat half, which it left alone, is what is read.
    busy = flat.copy()
    busy[:, :48] += 0.3 * np.sign(np.sin(np.arange(48) * 1.7))[None, :, None]
    thinned = busy.copy()
    thinned[:, :48] = 0.5 + 0.8 * (busy[:, :48] - 0.5)
    assert removed_level(busy, thinned) < 0.5
