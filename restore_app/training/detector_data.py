"""What the damage detector learns from and is chosen by: the split of the
photographs (training, validation, and the test half only the benchmark
reads), crops at the scales scans come at, the aged prints and film scans
drawn from them, and the real prints kept for choosing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from restore_app.training import aging, film
from restore_app.training import data as D

#: The hand-labelled real prints kept for choosing checkpoints and thresholds
#: (``benchmarks/real_truth``; the others are only scored there).
REAL_CHOOSING = ("old_w_scratch_a", "old_w_scratch_c")


def detector_split(folders: list[Path]) -> tuple[list[Path], list[Path], list[Path]]:
    """(train, validation, test) photos: each folder's every 8th by name is held
    out, the held-out ones alternately validation and test."""
    train, val, test = [], [], []
    for folder in folders:
        t, held = D.split_photos(folder)
        train += t
        val += held[0::2]
        test += held[1::2]
    return train, val, test


def crop_scaled(
    img: np.ndarray, patch: int, rng: np.random.Generator, max_scale: float = 2.0
) -> np.ndarray:
    """A random ``patch``² crop (float32 RGB [0, 1]), downscaled up to ``max_scale``."""
    h, w = img.shape[:2]
    if min(h, w) < patch:
        f = patch / min(h, w)
        img = cv2.resize(img, (max(patch, round(w * f)), max(patch, round(h * f))))
        h, w = img.shape[:2]
    scale = float(rng.uniform(1.0, min(max_scale, min(h, w) / patch)))
    side = int(patch * scale)
    y = int(rng.integers(0, h - side + 1))
    x = int(rng.integers(0, w - side + 1))
    crop = img[y : y + side, x : x + side]
    if side != patch:
        crop = cv2.resize(crop, (patch, patch), interpolation=cv2.INTER_AREA)
    crop = np.rot90(crop, int(rng.integers(0, 4)))
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return np.ascontiguousarray(crop, np.float32) / 255.0


def crop_small(
    photos: list[np.ndarray], patch: int, rng: np.random.Generator
) -> np.ndarray:
    """A ``patch``² crop (float32 RGB [0, 1]) tiled 2×2 from photographs shrunk
    whole, or nearly: faces, eyes, lace and knits a few pixels across, as on a
    small print scanned at low resolution. Damage is drawn on it afterwards."""
    half = patch // 2
    out = np.empty((patch, patch, 3), np.uint8)
    for cy in (0, half):
        for cx in (0, half):
            img = photos[int(rng.integers(0, len(photos)))]
            h, w = img.shape[:2]
            side = int(min(h, w) * rng.uniform(0.6, 1.0))
            y = int(rng.integers(0, h - side + 1))
            x = int(rng.integers(0, w - side + 1))
            cell = cv2.resize(
                img[y : y + side, x : x + side],
                (patch - cx if cx else half, patch - cy if cy else half),
                interpolation=cv2.INTER_AREA,
            )
            if rng.random() < 0.5:
                cell = cell[:, ::-1]
            out[cy : cy + cell.shape[0], cx : cx + cell.shape[1]] = cell
    out = np.rot90(out, int(rng.integers(0, 4)))
    return np.ascontiguousarray(out, np.float32) / 255.0


def make_set(
    photos: list[np.ndarray],
    count: int,
    patch: int,
    seed: int,
    style: aging.DamageStyle = aging.TRAIN_STYLE,
    film_shapes: tuple[film.Shape, ...] = (),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A fixed set of samples: (damaged (N, P, P, 3), labels (N, P, P), undamaged).

    With ``film_shapes``, every third sample is a film scan (negatives and
    slides in turn) damaged with them; the others are damaged prints.
    """
    rng = np.random.default_rng(seed)
    xs, ys, cs = [], [], []
    for i in range(count):
        crop = crop_scaled(photos[i % len(photos)], patch, rng, 1.5)
        if film_shapes and i % 3 == 2:
            medium = film.MEDIA[(i // 3) % len(film.MEDIA)]
            x, y, c = film.sample(crop, rng, film_shapes, medium)
        else:
            x, y, c = aging.sample(crop, rng, style)
        xs.append(x)
        ys.append(y)
        cs.append(c)
    return np.stack(xs), np.stack(ys), np.stack(cs)


def real_choosing(
    names: tuple[str, ...] = REAL_CHOOSING,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The hand-labelled real prints for choosing: (float32 RGB, bool truth) each,
    where both the print and its truth are found (none otherwise)."""
    root = Path(__file__).resolve().parents[2]
    truth_dir = root / "benchmarks" / "real_truth"
    folders = (
        root / "resources" / "samples",
        root / ".data" / "old-photos",
    )
    out = []
    for name in names:
        truth = truth_dir / f"{name}.png"
        image = next(
            (f / f"{name}.png" for f in folders if (f / f"{name}.png").is_file()), None
        )
        if image is None or not truth.is_file():
            continue
        rgb = D.load_rgb(image).astype(np.float32) / 255.0
        out.append((rgb, cv2.imread(str(truth), cv2.IMREAD_UNCHANGED) > 0))
    return out


#: Margins (pixels) the export tries for the proposal (``DamageProposal.grown``).
MARGINS = (0, 1, 2, 3)
#: Validation samples the margin is chosen on (each filled once per margin).
MARGIN_SAMPLES = 32


def choose_margin(trainer: Any, threshold: float) -> tuple[int, dict[str, float]]:
    """The proposal margin whose default fill best repairs the validation
    samples of ``trainer`` (a DetectorTrainer).

    Returns the margin and each margin's mean PSNR (dB) of the filled sample
    against its undamaged original; a wider margin must gain to be chosen.
    """
    from restore_app.core.pillow_io import to_uint8
    from restore_app.core.proposal import DamageProposal
    from restore_app.models.engine import restore

    n = MARGIN_SAMPLES
    prob, kinds = trainer.predict(trainer.val_x[:n])
    prob8, x8, clean8 = map(to_uint8, (prob, trainer.val_x[:n], trainer.val_clean[:n]))
    scores: dict[str, float] = {}
    for margin in MARGINS:
        psnrs = []
        for p, k, x, c in zip(prob8, kinds, x8, clean8, strict=True):
            found = DamageProposal(p, k, threshold).grown(margin).mask()
            filled = restore(x, task="inpaint", mask=found).pixels if found.any() else x
            psnrs.append(cv2.PSNR(filled, c))
        scores[str(margin)] = round(float(np.mean(psnrs)), 3)
    best = max(MARGINS, key=lambda m: (scores[str(m)], -m))
    return best, scores
