"""How well faded colour comes back, on photographs no colour method was tuned on.

    python benchmarks/color.py [--photos .data/photos-train .data/photos-train-extra]
                               [--json FILE] [--figure DIR]

The test half of the held-out photos (as ``benchmarks/detect.py`` splits them:
every 8th by name, alternately validation and test), each faded by the two
models of ``benchmarks/fading.py`` with seeded parameters, and the clean
photographs themselves, as they are and under three deliberate lighting casts
(a sunset's warmth, a tungsten room, snow in blue shade) that must come
through unchanged. Every method runs in the same pass:

- the faded input itself;
- gray world;
- simplest colour balance (Limare et al., IPOL 2011: 1 % clipped per channel
  and stretched);
- OpenCV's learning-based white balance (``cv2.xphoto``);
- each restorer of the ``color`` task at its automatic strength, through the
  engine, as the app runs it.

Scores: mean and worst CIEDE2000 (scikit-image's ``deltaE_ciede2000``, per pixel,
averaged over the photo) against the original, and PSNR.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from fading import FADINGS  # noqa: E402

from restore_app.models.color import to_linear, to_srgb  # noqa: E402
from restore_app.models.engine import restore  # noqa: E402
from restore_app.models.registry import list_restorers  # noqa: E402
from restore_app.training.data import load_rgb  # noqa: E402
from restore_app.training.detector_data import detector_split  # noqa: E402

SEED = 1234
#: Photos are scored at this longest side (the colour of a photo does not
#: depend on its size; the CIEDE2000 of 12 MP would take minutes).
SIDE = 512
#: Deliberate casts: per-channel gains in linear light.
CASTS = {
    "sunset": (1.0, 0.72, 0.42),
    "tungsten": (1.0, 0.78, 0.52),
    "blue shade": (0.74, 0.86, 1.0),
}
TARGETS = {
    "ratio_required": 0.6,
    "ratio_goal": 0.4,
    "clean_mean": 1.5,
    "clean_worst": 3.0,
}


def gray_world(img: np.ndarray) -> np.ndarray:
    means = img.reshape(-1, 3).mean(axis=0)
    return np.clip(img * (means.mean() / np.maximum(means, 1e-6)), 0, 1)


def simplest_balance(img: np.ndarray, clip: float = 1.0) -> np.ndarray:
    out = np.empty_like(img)
    for c in range(3):
        lo, hi = np.percentile(img[..., c], [clip / 2, 100 - clip / 2])
        out[..., c] = np.clip((img[..., c] - lo) / max(hi - lo, 1e-6), 0, 1)
    return out


def learned_wb(img: np.ndarray) -> np.ndarray:
    wb = cv2.xphoto.createLearningBasedWB()
    u8 = np.clip(np.rint(img * 255), 0, 255).astype(np.uint8)
    return wb.balanceWhite(u8[..., ::-1])[..., ::-1].astype(np.float32) / 255.0


def restorer_fn(rid: str):
    def run(img: np.ndarray) -> np.ndarray:
        u16 = np.clip(np.rint(img * 65535), 0, 65535).astype(np.uint16)
        result = restore(u16, task="color", restorer_id=rid)
        return result.pixels.astype(np.float32) / 65535.0

    return run


def delta_e(a: np.ndarray, b: np.ndarray) -> float:
    from skimage.color import deltaE_ciede2000, rgb2lab

    return float(deltaE_ciede2000(rgb2lab(a), rgb2lab(b)).mean())


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a.astype(np.float64) - b) ** 2).mean())
    return 99.0 if mse == 0 else 10 * np.log10(1.0 / mse)


def load(path: Path) -> np.ndarray:
    img = load_rgb(path).astype(np.float32) / 255.0
    h, w = img.shape[:2]
    f = SIDE / max(h, w)
    if f < 1:
        img = cv2.resize(
            img, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA
        )
    return np.clip(img, 0, 1).astype(np.float32)


def cast(img: np.ndarray, gains: tuple[float, float, float]) -> np.ndarray:
    lin = to_linear(img) * np.asarray(gains)
    return to_srgb(lin / max(1.0, float(lin.max()))).astype(np.float32)


def cases(photos: list[Path]):
    """(set, name, degraded, original) for every photo and set, seeded."""
    rng = np.random.default_rng(SEED)
    for path in photos:
        clean = load(path)
        for model, (draw, fade) in FADINGS.items():
            params = draw(rng)
            yield model, path.stem, fade(clean, params), clean
        yield "clean", path.stem, clean, clean
        for name, gains in CASTS.items():
            c = cast(clean, gains)
            yield "clean", f"{path.stem} ({name})", c, c


def figure(paths: list[Path], out: Path, height: int = 260) -> None:
    """Each photo before (left) and after the default colour restorer at its
    automatic strength (right), two pairs to a row."""
    from restore_app.core.image import read_image

    gap = 8
    pairs = []
    for path in paths:
        pixels = read_image(path).pixels
        after = restore(pixels, task="color").pixels
        halves = []
        for img in (pixels, after):
            f = height / img.shape[0]
            size = (round(img.shape[1] * f), height)
            small = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
            small = small.reshape(height, size[0], -1)
            halves.append(np.repeat(small, 3, axis=2) if small.shape[2] == 1 else small)
        white = np.full((height, gap, 3), 255, np.uint8)
        pairs.append(np.hstack([halves[0], white, halves[1]]))
    rows = []
    for i in range(0, len(pairs), 2):
        row = pairs[i : i + 2]
        white = np.full((height, 4 * gap, 3), 255, np.uint8)
        rows.append(np.hstack([row[0], white, row[1]]) if len(row) == 2 else row[0])
    width = max(r.shape[1] for r in rows)
    rows = [
        np.pad(r, ((0, 2 * gap), (0, width - r.shape[1]), (0, 0)), constant_values=255)
        for r in rows
    ]
    cv2.imwrite(
        str(out), np.vstack(rows)[: -2 * gap, :, ::-1], [cv2.IMWRITE_PNG_COMPRESSION, 9]
    )
    print(f"figure: {out}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--photos",
        type=Path,
        nargs="+",
        default=[ROOT / ".data" / n for n in ("photos-train", "photos-train-extra")],
    )
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument(
        "--update-cards",
        action="store_true",
        help="write the figures into the built-in colour restorers' cards",
    )
    ap.add_argument("--limit", type=int, default=None, help="first N test photos")
    ap.add_argument(
        "--figure",
        type=Path,
        default=None,
        help="also draw real old photos before and after (PNG) into this file",
    )
    ap.add_argument(
        "--old-photos",
        type=Path,
        nargs="+",
        default=[
            ROOT / "resources" / "samples" / "old_w_scratch_b.png",
            ROOT / "resources" / "samples" / "old_w_scratch_d.png",
            *(ROOT / ".data" / "old-photos" / f"old_{c}.png" for c in "acfh"),
        ],
        help="the photos of --figure (the sepia samples and faded colour ones)",
    )
    args = ap.parse_args()
    if args.figure:
        figure([p for p in args.old_photos if p.is_file()], args.figure)
    folders = [p for p in args.photos if p.is_dir()]
    if not folders:
        print("no photo folders found: see the README's Training section")
        return 1
    _, _, test = detector_split(folders)
    test = test[: args.limit] if args.limit else test
    methods = {
        "input": lambda x: x,
        "gray world": gray_world,
        "simplest balance": simplest_balance,
        "learning-based WB": learned_wb,
    }
    for info in list_restorers("color"):
        methods[info.id] = restorer_fn(info.id)
    scores: dict[str, dict[str, list]] = {}
    seconds: dict[str, float] = dict.fromkeys(methods, 0.0)
    for group, name, degraded, original in cases(test):
        for method, fn in methods.items():
            t0 = time.perf_counter()
            out = fn(degraded)
            seconds[method] += time.perf_counter() - t0
            entry = scores.setdefault(group, {}).setdefault(method, [])
            entry.append((name, delta_e(out, original), psnr(out, original)))
    print(f"{len(test)} test photos at {SIDE} px; seed {SEED}")
    table = {}
    for group, by_method in scores.items():
        print(f"\n## {group}\n")
        print("| method | mean ΔE00 | worst ΔE00 | PSNR |")
        print("|---|---|---|---|")
        table[group] = {}
        for method, rows in by_method.items():
            de = np.array([r[1] for r in rows])
            ps = np.array([r[2] for r in rows])
            worst = rows[int(de.argmax())][0]
            table[group][method] = {
                "mean_de": float(de.mean()),
                "worst_de": float(de.max()),
                "worst": worst,
                "psnr": float(ps.mean()),
                "count": len(rows),
            }
            print(
                f"| {method} | {de.mean():.2f} | {de.max():.2f} ({worst}) "
                f"| {ps.mean():.2f} |"
            )
    print("\nseconds per method:", {k: round(v, 1) for k, v in seconds.items()})
    if args.json:
        args.json.write_text(
            json.dumps({"seed": SEED, "side": SIDE, "sets": table}, indent=1)
        )
    if args.update_cards:
        update_cards(table, len(test))
    return 0


def update_cards(table: dict, photos: int) -> None:
    """The figures (mean and worst CIEDE2000 of every method on every set)
    into the built-in colour restorers' cards; nothing there is chosen by them."""
    from dataclasses import replace

    figures = {
        group: {
            method: {"mean_de00": round(row["mean_de"], 3),
                     "worst_de00": round(row["worst_de"], 3)}
            for method, row in by_method.items()
        }
        for group, by_method in table.items()
    }  # fmt: skip
    for info in list_restorers("color"):
        if info.card is not None and info.source == "built-in":
            benchmark = {
                "how": "benchmarks/color.py: the test half of the held-out photos "
                f"({photos}, seed {SEED}, at {SIDE} px), CIEDE2000 against the "
                "original",
                "sets": figures,
            }
            replace(info.card, benchmark=benchmark).write()


if __name__ == "__main__":
    sys.exit(main())
