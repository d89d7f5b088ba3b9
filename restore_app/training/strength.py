"""A learned denoiser's automatic strength, fitted on its training photos.

A blind denoiser run at full strength on a photograph without noise still
smooths it: it takes fine texture for noise. Its automatic strength therefore
follows how much it removes where the picture is flat (:func:`restore_app.
models.learned.removed_level`, on the centre of the image): none up to the
ramp's first value, full from its second, linear between. Film grain, which a
measure of white noise reads as almost none, is removed by the network as
noise, so the network's own measure sees it.

The ramp is the one that cleans best — the best mean PSNR over the training
photos at each noisy level of :data:`NOISE_LEVELS` and with film grain, each
case weighing the same — among the ramps that keep every clean training photo
at :data:`CLEAN_FLOOR` or more against itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from restore_app.core.estimate import strength_for
from restore_app.models.learned import STRENGTH_SIDE, removed_level
from restore_app.training.degrade import film_grain

#: Gaussian noise (8-bit σ) of the fitting cases; 0 is the clean photo itself.
NOISE_LEVELS = (0.0, 3.0, 5.0, 10.0, 15.0, 25.0, 50.0)
#: The film-grain case's name beside the noise levels.
GRAIN = "grain"
#: PSNR (dB) at which a result counts as perfect, in the figures reported.
PSNR_CAP = 50.0
#: PSNR (dB) against itself that every clean training photo keeps at the ramp.
CLEAN_FLOOR = 40.0
#: How many photos are used.
PHOTOS = 48
#: The ramps tried: first value, then its width (8-bit RMS removed).
RAMP_FROM = tuple(float(v) for v in np.arange(0.0, 10.01, 0.25))
RAMP_WIDTH = tuple(float(v) for v in np.arange(0.5, 15.01, 0.5))


def fit_noise_strength(
    photos: list[np.ndarray],
    denoise: Callable[[np.ndarray], np.ndarray],
    seed: int = 0,
) -> tuple[list[float], dict]:
    """The ramp ``[from, to]`` (8-bit RMS removed) and its figures, for
    ``denoise`` (float32 (H, W, 3) [0, 1] in and out, at full strength) on
    ``photos`` (uint8 RGB)."""
    rng = np.random.default_rng(seed)
    g = torch.Generator().manual_seed(seed)
    chosen = photos[:: max(1, len(photos) // PHOTOS)][:PHOTOS]
    if not chosen:
        raise ValueError("no training photos to fit the noise ramp on")
    cases: tuple[float | str, ...] = (*NOISE_LEVELS, GRAIN)
    # Per case, the squared error of "noisy + s·(denoised − noisy)" against the
    # clean crop is a + 2bs + cs²: the grid below needs only a, b, c.
    quad, kind, level = [], [], []
    for img in chosen:
        h, w = img.shape[:2]
        side = min(STRENGTH_SIDE, h, w)
        y, x = (h - side) // 2, (w - side) // 2
        clean = img[y : y + side, x : x + side].astype(np.float64) / 255.0
        for case in cases:
            if case == GRAIN:
                t = torch.from_numpy(clean.transpose(2, 0, 1).astype(np.float32))
                noisy = film_grain(t[None], g)[0].numpy().transpose(1, 2, 0) * 255
            else:
                noisy = clean * 255 + rng.normal(0, float(case), clean.shape)
            noisy = (np.clip(np.rint(noisy), 0, 255) / 255.0).astype(np.float32)
            den = denoise(noisy).astype(np.float64)
            e, d = noisy - clean, den - noisy
            n = e.size
            quad.append(((e * e).sum() / n, (e * d).sum() / n, (d * d).sum() / n))
            kind.append(case)
            level.append(removed_level(noisy, den.astype(np.float32)))
    q = np.array(quad)
    removed = np.array(level)
    labels = np.array([str(c) for c in kind])
    names = [str(c) for c in cases]

    def psnr(st: np.ndarray) -> np.ndarray:
        mse = q[:, 0] + 2 * q[:, 1] * st + q[:, 2] * st**2
        return -10 * np.log10(np.maximum(mse, 1e-12))

    def scores(st: np.ndarray) -> dict[str, float]:
        p = np.minimum(psnr(st), PSNR_CAP)
        return {c: float(p[labels == c].mean()) for c in names}

    clean_cases = labels == str(NOISE_LEVELS[0])
    noisy_names = [c for c in names if c != str(NOISE_LEVELS[0])]
    best, best_ramp = -np.inf, None
    for lo in RAMP_FROM:
        for width in RAMP_WIDTH:
            st = np.clip((removed - lo) / width, 0.0, 1.0)
            if psnr(st)[clean_cases].min() < CLEAN_FLOOR:
                continue
            at = scores(st)
            score = float(np.mean([at[c] for c in noisy_names]))
            if score > best:
                best, best_ramp = score, (lo, lo + width)
    if best_ramp is None:  # no ramp keeps every clean photo: the gentlest one
        best_ramp = (RAMP_FROM[-1], RAMP_FROM[-1] + RAMP_WIDTH[-1])
    ramp = [round(best_ramp[0], 2), round(best_ramp[1], 2)]
    st = np.array([strength_for(v, ramp) for v in removed])
    at_ramp = scores(st)
    full = scores(np.ones_like(removed))
    return ramp, {
        "measure": "RMS (8-bit) of what the network removes from the centre "
        f"{STRENGTH_SIDE}² of the image, where its output is flattest",
        "chosen_by": "mean PSNR on the training photos at each noise level and "
        "with film grain, each case weighing the same, among the ramps keeping "
        f"every clean photo at {CLEAN_FLOOR:g} dB or more (figures capped at "
        f"{PSNR_CAP:g} dB)",
        "photos": len(chosen),
        "crop": STRENGTH_SIDE,
        "psnr_at_ramp": {c: round(v, 2) for c, v in at_ramp.items()},
        "psnr_at_full_strength": {c: round(v, 2) for c, v in full.items()},
        "clean_worst_at_ramp": round(float(psnr(st)[clean_cases].min()), 2),
    }


def fit_into_card(card_path: Path, data: list[Path]) -> dict:
    """Fit the automatic strength of the denoiser whose card is ``card_path``
    on the training photos (every 8th held out) of the ``data`` folders, on
    the CPU, and write the ramp and its figures into the card."""
    from restore_app.models.card import ModelCard
    from restore_app.models.loading import load_network
    from restore_app.training.data import load_rgb, split_photos

    card = ModelCard.read(card_path)
    model = load_network(card.weights_path, card.architecture, card.config)
    model.to("cpu", torch.float32)
    photos = [load_rgb(p) for folder in data for p in split_photos(folder)[0]]

    def denoise(x: np.ndarray) -> np.ndarray:
        t = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))[None]
        with torch.inference_mode():
            y = model(t, None).float().clamp(0, 1)
        return y[0].numpy().transpose(1, 2, 0)

    ramp, fit = fit_noise_strength(photos, denoise)
    training = {**(card.training or {}), "noise_strength_fit": fit}
    replace(card, noise_strength=tuple(ramp), training=training).write()
    return {"noise_strength": ramp, **fit}
