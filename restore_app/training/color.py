"""Train the colour restorer's curve network on faded training photographs.

    python -m restore_app.training.color --data .data/photos-train \
        --data .data/photos-train-extra --minutes 20 --export resources/models

Each example is a crop of a training photograph (the detector's train split:
held-out photos are never read), from a detail to the whole picture, seen
whole, and one of: faded by the project's fading model
(:mod:`restore_app.training.fading`), to be brought back; a yellowed
black-and-white print, to be brought back to neutral; the photo itself, a
neutral black-and-white version of it, or the photo under a deliberate light
cast, to be left exactly as it is. The loss
is the L1 distance, in sRGB, between the curves' result and the original.
The checkpoint with the lowest loss on the validation half of the held-out
photos (seeded, the same every run) is kept.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from restore_app.models.archs.color_curves import SIDE, CurvesNet, apply_curves, split
from restore_app.models.card import ModelCard
from restore_app.training import fading
from restore_app.training.data import load_rgb
from restore_app.training.detector_data import detector_split

#: Side of the copy the loss is measured on.
LOSS_SIDE = 128
#: Shares of the example kinds.
SHARES = {
    "faded": 0.45,
    "faded cast": 0.08,
    "monochrome": 0.1,
    "clean": 0.12,
    "cast": 0.17,
    "gray": 0.08,
}
CARD_NAME = "color-curves"
VALIDATION_SEED = 77


#: Longest side photos are kept at for cropping; crops cover this share of
#: a photo's area (from a detail to the whole picture).
KEEP_SIDE = 768
CROP_SHARE = (0.15, 1.0)


def _reduced(path: Path, side: int = KEEP_SIDE) -> np.ndarray:
    """The photo (uint8 RGB), its longest side at most ``side``."""
    img = load_rgb(path)
    h, w = img.shape[:2]
    f = side / max(h, w)
    if f < 1:
        img = cv2.resize(
            img, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA
        )
    return img


def example(
    photo: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(degraded, target), both float32 ``(LOSS_SIDE, LOSS_SIDE, 3)``: a crop
    of ``photo`` (uint8) seen as a whole picture, and what became of it."""
    h, w = photo.shape[:2]
    share = rng.uniform(*CROP_SHARE)
    aspect = np.exp(rng.uniform(-0.3, 0.3))
    ch = int(np.clip(h * np.sqrt(share) * aspect, 16, h))
    cw = int(np.clip(w * np.sqrt(share) / aspect, 16, w))
    y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
    crop = (
        cv2.resize(
            photo[y : y + ch, x : x + cw],
            (LOSS_SIDE, LOSS_SIDE),
            interpolation=cv2.INTER_AREA,
        ).astype(np.float32)
        / 255.0
    )
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    kind = rng.choice(list(SHARES), p=list(SHARES.values()))
    if kind == "clean":
        return crop, crop
    if kind == "gray":  # a black-and-white print in good order stays neutral
        gray = np.repeat(crop.mean(axis=2, keepdims=True), 3, axis=2)
        return gray, gray
    if kind == "cast":
        cast = fading.light_cast(crop, rng)
        return cast, cast
    if kind == "monochrome":
        return fading.yellowed_monochrome(crop, rng)
    target = fading.light_cast(crop, rng) if kind == "faded cast" else crop
    return fading.fade(target, fading.draw(rng)), target


def network_input(images: np.ndarray) -> torch.Tensor:
    """float32 ``(N, H, W, 3)`` to the network's ``(N, 3, SIDE, SIDE)``."""
    small = [cv2.resize(i, (SIDE, SIDE), interpolation=cv2.INTER_AREA) for i in images]
    return torch.from_numpy(np.stack(small)).permute(0, 3, 1, 2).contiguous()


def batch(photos: list[np.ndarray], size: int, rng: np.random.Generator):
    pairs = [example(photos[int(rng.integers(len(photos)))], rng) for _ in range(size)]
    degraded = np.stack([p[0] for p in pairs]).astype(np.float32)
    target = np.stack([p[1] for p in pairs]).astype(np.float32)
    full = torch.from_numpy(degraded).permute(0, 3, 1, 2).contiguous()
    return network_input(degraded), full, torch.from_numpy(target).permute(0, 3, 1, 2)


def loss_of(net: CurvesNet, x, full, target) -> torch.Tensor:
    black, white, gamma = split(net(x))
    return (apply_curves(full, black, white, gamma) - target).abs().mean()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m restore_app.training.color")
    p.add_argument("--data", type=Path, action="append", required=True)
    p.add_argument("--minutes", type=float, default=20.0)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path(".runs/color"))
    p.add_argument("--export", type=Path, default=None)
    p.add_argument(
        "--resume", type=Path, default=None, help="start from these weights (.pt)"
    )
    p.add_argument(
        "--fit-strength",
        type=Path,
        metavar="CARD",
        help="only fit the automatic strength's ramp of CARD on the validation "
        "photos (export does it too)",
    )
    args = p.parse_args(argv)
    if args.fit_strength:
        print(json.dumps(fit_change_strength(args.fit_strength, args.data)))
        return 0
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    train_paths, val_paths, _ = detector_split(args.data)
    photos = [_reduced(p) for p in train_paths]
    val_photos = [_reduced(p) for p in val_paths]
    vrng = np.random.default_rng(VALIDATION_SEED)
    val = [batch(val_photos, 32, vrng) for _ in range(4)]
    net = CurvesNet()
    if args.resume is not None:
        net.load_state_dict(
            torch.load(args.resume, map_location="cpu", weights_only=True)
        )
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-4)
    args.out.mkdir(parents=True, exist_ok=True)
    start, step, best, history = time.monotonic(), 0, float("inf"), []
    end = start + 60 * args.minutes
    while time.monotonic() < end:
        frac = (time.monotonic() - start) / (end - start)
        for g in opt.param_groups:
            g["lr"] = (
                args.lr * min(1.0, step / 100 + 0.01) * 0.5 * (1 + np.cos(np.pi * frac))
            )
        net.train()
        loss = loss_of(net, *batch(photos, args.batch, rng))
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 100 == 0:
            net.eval()
            with torch.no_grad():
                v = float(np.mean([loss_of(net, *b).item() for b in val]))
            history.append(
                {"step": step, "train": round(loss.item(), 5), "val": round(v, 5)}
            )
            print(json.dumps(history[-1]), flush=True)
            if v < best:
                best = v
                torch.save(net.state_dict(), args.out / "best.pt")
    minutes = (time.monotonic() - start) / 60
    print(f"{step} steps in {minutes:.1f} min; best validation L1 {best:.5f}")
    if args.export:
        run = {
            "steps": step,
            "minutes": round(minutes, 1),
            "batch": args.batch,
            "peak_lr": args.lr,
            "device": "cpu",
            "resumed": args.resume is not None,
        }
        export(
            args.out / "best.pt",
            args.export,
            train_paths,
            val_paths,
            run,
            best,
        )
        fitted = fit_change_strength(args.export / f"{CARD_NAME}.json", args.data)
        print(json.dumps(fitted))
    return 0


def export(
    checkpoint: Path,
    folder: Path,
    train_paths: list[Path],
    val_paths: list[Path],
    run: dict,
    best: float,
) -> None:
    """Write ``checkpoint`` as ``color-curves.safetensors`` and its card into
    ``folder``. ``run`` (steps, minutes, how it started) is added to the runs
    the card there already lists, when this run continued from its weights."""
    from safetensors.torch import save_file

    card_path = folder / f"{CARD_NAME}.json"
    runs = []
    if run.get("resumed") and card_path.is_file():
        earlier = ModelCard.read(card_path).training or {}
        runs = list(earlier.get("runs", []))

    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    weights = folder / f"{CARD_NAME}.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(weights))
    data = weights.read_bytes()
    card = {
        "id": "color.curves",
        "task": "color",
        "name": "Faded colour (learned curves)",
        "description": "Reads the whole print and brings back faded, yellowed and "
        "colour-cast photographs with one smooth tone curve per dye layer; "
        "leaves photographs that are not faded, and casts that are meant, as "
        "they are.",
        "architecture": "CurvesNet",
        "config": {},
        "parameters": int(sum(v.numel() for v in state.values())),
        "weights": weights.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size_bytes": len(data),
        "precision": "float32",
        "half": False,
        "reach": 0,
        "license": "GPL-3.0-or-later",
        "training": {
            "data": {
                "train_photos": len(train_paths),
                "validation_photos": [p.name for p in val_paths],
                "test_photos": "the other half of the held-out photos (benchmark)",
            },
            "degradations": [
                "dye fading in optical density (dark storage: cyan first; light: "
                "magenta and yellow), yellow-brown stain, flare, 8-bit scan with "
                "and without JPEG",
                "yellowed, low-contrast black-and-white prints (target: neutral)",
                "clean photographs and deliberate warm or cool light casts "
                "(target: unchanged)",
            ],
            "runs": [*runs, run],
        },
        "validation": {"l1_srgb": round(best, 5)},
    }
    ModelCard.from_json(card).write(card_path)


#: Ramps tried for the automatic strength (first, second level of change).
RAMP_STARTS = (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
RAMP_WIDTHS = (0.5, 1.0, 2.0, 4.0, 8.0)
#: What the ramp must keep: photographs that are not faded come through with
#: at most this mean (and worst) CIEDE2000, with a margin below the targets.
CLEAN_MEAN, CLEAN_WORST = 1.0, 2.5


def fit_change_strength(card_path: Path, folders: list[Path], seed: int = 5) -> dict:
    """Fit the card's ``change_strength`` ramp on the validation photos (the
    held-out half that is not the test half): the ramp that brings faded
    prints back best (mean CIEDE2000) among those that keep photographs that
    are not faded — as they are, under a light cast, or black-and-white —
    within CLEAN_MEAN and CLEAN_WORST. Writes it into the card; returns the
    figures it was chosen by."""
    import dataclasses

    from skimage.color import deltaE_ciede2000, rgb2lab

    from restore_app.models.base import RestorerInfo
    from restore_app.models.color import CurvesColor, change_of

    card = ModelCard.read(card_path)
    info = RestorerInfo(card.id, card.task, card.name, "learned", card=card)
    restorer = CurvesColor(info)
    rng = np.random.default_rng(seed)
    _, val_paths, _ = detector_split(folders)
    rows = []  # (group, change, ΔE00 of input, of full correction, the pair)
    for path in val_paths:
        photo = _reduced(path, 256).astype(np.float32) / 255.0
        gray = np.repeat(photo.mean(axis=2, keepdims=True), 3, axis=2)
        cast = fading.light_cast(photo, rng)
        cases = [
            ("clean", photo, photo),
            ("clean", cast, cast),
            ("clean", gray, gray),
            ("faded", fading.fade(photo, fading.draw(rng)), photo),
            ("faded", *fading.yellowed_monochrome(photo, rng)),
        ]
        for group, seen, truth in cases:
            curves = restorer.curves(seen)
            full = curves.apply(seen)
            rows.append((group, change_of(seen, curves), seen, full, truth))

    def de(a: np.ndarray, b: np.ndarray) -> float:
        return float(deltaE_ciede2000(rgb2lab(a), rgb2lab(b)).mean())

    best = None
    for lo in RAMP_STARTS:
        for width in RAMP_WIDTHS:
            ramp = (lo, lo + width)
            scores: dict[str, list[float]] = {"clean": [], "faded": []}
            for group, change, seen, full, truth in rows:
                s = float(np.clip((change - ramp[0]) / width, 0, 1))
                scores[group].append(de(seen + s * (full - seen), truth))
            clean, faded = scores["clean"], scores["faded"]
            ok = np.mean(clean) <= CLEAN_MEAN and max(clean) <= CLEAN_WORST
            # Where no ramp keeps the clean photographs well enough, the one
            # that comes closest (by their mean) is taken.
            key = (not ok, np.mean(faded) if ok else np.mean(clean))
            if best is None or key < best[0]:
                best = (key, ramp, float(np.mean(clean)), max(clean), np.mean(faded))
    _, ramp, clean_mean, clean_worst, faded_mean = best
    dataclasses.replace(card, change_strength=ramp).write(card_path)
    return {
        "ramp": list(ramp),
        "validation_photos": len(val_paths),
        "clean_mean_de00": round(clean_mean, 3),
        "clean_worst_de00": round(clean_worst, 3),
        "faded_mean_de00": round(float(faded_mean), 3),
    }


if __name__ == "__main__":
    raise SystemExit(main())
