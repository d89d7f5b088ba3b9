"""How well the damage detectors find damage, on photos no detector was tuned on.

    python benchmarks/detect.py [--photos .data/photos-train .data/photos-train-extra]
                                [--old-photos .data/old-photos] [--update-cards]

Every detector (the learned one and the classical baseline) runs in the same
pass, with its default sensitivity, as a person runs it:

- **Synthetic damage on the test half** of the held-out photos (every 8th by
  name, the half the training's validation never read): aged prints damaged
  with wider ranges than training (opacity down to 0.15, widths up to three
  times training's). Precision, recall and F1 per kind and overall, with a
  2-pixel tolerance as thin structures are scored; false alarms on the same
  prints without damage (share of pixels flagged); and the end-to-end gain:
  whole-print PSNR after "detect, then the default fill" against "the same
  fill with the true mask".
  The test samples are frozen: their SHA-256 is checked against
  :data:`SYNTHETIC_SHA256` (what the generator drew when the figures were first
  published), so a change to the training generator cannot change the test.
- **Real damage, hand-labelled** (``benchmarks/real_truth``): pixel precision,
  recall and F1 with the same tolerance on each real scratched print, at the
  default settings, for the whole proposal and for the automatic mask (what
  ``--auto-masks`` fills: the proposal without its doubtful regions), the
  prints kept for choosing apart from those only scored; whether any
  automatically filled region touches a must-avoid box (an eye, a button, a
  collar), the share of must-avoid pixels proposed, and how many automatically
  filled regions per megapixel hold no damage at all; and ``--medium auto``
  against the right explicit medium (``print``).
- **Real damage, boxes**: reviewed boxes on the same prints
  (``benchmarks/detect_boxes.json``). A must-find box counts as found when the
  proposal covers at least 5 % of it; must-avoid boxes score the share of their
  pixels flagged.

``--update-cards`` writes the figures into the built-in detector's model card.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from restore_app.core.damage import kind  # noqa: E402
from restore_app.core.detect_scores import TOLERANCE, Counts  # noqa: E402
from restore_app.models.base import DETECTED_KINDS  # noqa: E402
from restore_app.models.detection import detect  # noqa: E402
from restore_app.models.engine import restore  # noqa: E402
from restore_app.models.registry import (  # noqa: E402
    default_restorer_id,
    list_restorers,
)
from restore_app.training import aging  # noqa: E402
from restore_app.training.data import load_rgb  # noqa: E402
from restore_app.training.detector_data import (  # noqa: E402
    crop_scaled,
    detector_split,
    make_set,
)

SIDE = 384
COUNT = 48
SEED = 2026
#: SHA-256 of the synthetic test samples (damaged, labels, undamaged; 8-bit) at
#: SIDE, COUNT and SEED from the default photo folders.
SYNTHETIC_SHA256 = "c5d5bf282e8c57e3218e2cf8be64e26e4efcd17a38498db761a0bd68ed639bcd"
TRUTH = ROOT / "benchmarks" / "real_truth"
#: Hand-labelled prints kept for choosing thresholds and checkpoints; the
#: others are only scored (``benchmarks/real_truth/README.md``).
CHOOSING = ("old_w_scratch_a", "old_w_scratch_c")
FOUND_COVER = 0.05
TARGETS = {
    "f1": 0.80,
    "false_alarms": 0.003,
    "f1_over_classical": 0.15,
    "repair_gain_kept": 0.80,
    "real_recall": 0.7,
    "real_avoid_flagged": 0.01,
    "real_f1_scored": 0.5,
    "auto_regions_touching_avoid": 0,
    "medium_auto_f1_gap": 0.03,
}


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    d = (a.astype(np.float64) - b.astype(np.float64)) ** 2
    return float(10 * np.log10(255.0**2 / max(d.mean(), 1e-10)))


def to8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x * 255), 0, 255).astype(np.uint8)


def synthetic(
    detector_ids: list[str], photos: list[Path], count: int, fill: str
) -> dict[str, dict]:
    images = [load_rgb(p) for p in photos]
    damaged, labels, clean = make_set(
        images, count, SIDE, seed=SEED, style=aging.TEST_STYLE
    )
    damaged8, clean8 = to8(damaged), to8(clean)
    digest = hashlib.sha256(damaged8.tobytes() + labels.tobytes() + clean8.tobytes())
    frozen = digest.hexdigest() == SYNTHETIC_SHA256
    if not frozen and count == COUNT:
        print("warning: the synthetic test samples differ from the frozen ones "
              "(other photo folders, or the generator changed)")  # fmt: skip
    truth_fill = []
    for x, y, c in zip(damaged8, labels, clean8, strict=True):
        filled = restore(x, task="inpaint", restorer_id=fill, mask=y > 0).pixels
        truth_fill.append((psnr(x, c), psnr(filled, c)))
    out = {}
    for did in detector_ids:
        overall = Counts()
        per_kind = {k: Counts() for k in DETECTED_KINDS}
        alarms, gains_auto, gains_true = [], [], []
        t0 = time.perf_counter()
        for i, (x, y, c) in enumerate(zip(damaged8, labels, clean8, strict=True)):
            proposal = detect(x, detector_id=did, device="cpu")
            found = proposal.mask()
            overall.add(found, y > 0)
            for k in map(kind, DETECTED_KINDS):
                per_kind[k.id].add(found & (proposal.kinds == k.label), y == k.label)
            alarms.append(float(detect(c, detector_id=did, device="cpu").mask().mean()))
            filled = restore(x, task="inpaint", restorer_id=fill, mask=found).pixels
            base, true_fill = truth_fill[i]
            gains_auto.append(psnr(filled, c) - base)
            gains_true.append(true_fill - base)
        gain_auto, gain_true = float(np.mean(gains_auto)), float(np.mean(gains_true))
        out[did] = {
            **overall.as_dict(),
            "kinds": {k: v.as_dict() for k, v in per_kind.items()},
            "false_alarms": round(float(np.mean(alarms)), 5),
            "repair_gain_db": round(gain_auto, 3),
            "true_mask_gain_db": round(gain_true, 3),
            "repair_gain_kept": round(gain_auto / gain_true, 3) if gain_true else None,
            "seconds": round(time.perf_counter() - t0, 1),
        }
    return out


def real(detector_ids: list[str], folders: list[Path]) -> dict[str, dict]:
    boxes = json.loads((ROOT / "benchmarks" / "detect_boxes.json").read_text())
    out = {}
    for did in detector_ids:
        found = total = 0
        flagged = area = 0
        per_image = {}
        for name, spec in boxes["images"].items():
            path = next((f / name for f in folders if (f / name).is_file()), None)
            if path is None:
                continue
            img = load_rgb(path)
            mask = detect(img, detector_id=did, device="cpu").mask()
            hits = [
                mask[y0:y1, x0:x1].mean() >= FOUND_COVER
                for x0, y0, x1, y1, _ in spec["find"]
            ]
            avoid_flag = sum(
                int(mask[y0:y1, x0:x1].sum()) for x0, y0, x1, y1, _ in spec["avoid"]
            )
            avoid_area = sum(
                (x1 - x0) * (y1 - y0) for x0, y0, x1, y1, _ in spec["avoid"]
            )
            found += sum(hits)
            total += len(hits)
            flagged += avoid_flag
            area += avoid_area
            per_image[name] = {
                "found": f"{sum(hits)}/{len(hits)}",
                "avoid_flagged": round(avoid_flag / max(avoid_area, 1), 4),
            }
        out[did] = {
            "recall": round(found / total, 3) if total else None,
            "avoid_flagged": round(flagged / area, 4) if area else None,
            "images": per_image,
        }
    return out


def synthetic_film(detector_ids: list[str], photos: list[Path], count: int) -> dict:
    """Film damage on the test half: the held-out scan's traced shapes (never
    trained on) drawn on negatives and slides in turn; F1 (2 px) with the
    medium given and with ``auto``. Real film scans with truth are reserved for
    outside evaluation (``benchmarks/real_sources.md``): this is the stand-in."""
    from restore_app.training import film

    shapes = film.load_shapes(film.default_shapes_path(), held_out=True)
    rng = np.random.default_rng(SEED + 1)
    images = [load_rgb(p) for p in photos]
    samples = []
    for i in range(count):
        crop = crop_scaled(images[i % len(images)], SIDE, rng, 1.5)
        medium = film.MEDIA[i % 2]
        x, y, _ = film.sample(crop, rng, shapes, medium)
        samples.append((to8(x), y > 0, medium))
    out = {}
    for did in detector_ids:
        counts = {k: Counts() for k in ("given", "auto")}
        right = 0
        for x, truth, medium in samples:
            for key, asked in (("given", medium), ("auto", "auto")):
                p = detect(x, detector_id=did, device="cpu", medium=asked)
                counts[key].add(p.mask(), truth)
                if key == "auto":
                    right += p.operation["medium"] == medium
        out[did] = {
            "medium_given": counts["given"].as_dict(),
            "medium_auto": counts["auto"].as_dict(),
            "auto_medium_right": f"{right}/{len(samples)}",
        }
    return out


def _avoid_boxes() -> dict[str, list]:
    boxes = json.loads((ROOT / "benchmarks" / "detect_boxes.json").read_text())
    return {Path(n).stem: spec["avoid"] for n, spec in boxes["images"].items()}


def real_prints(detector_ids: list[str], folders: list[Path]) -> dict[str, dict]:
    """Pixel scores on the hand-labelled prints, as ``detect -o`` and
    ``--auto-masks`` see them; see the module docstring."""
    import cv2

    from restore_app.core.detect_scores import _near
    from restore_app.pipeline.detect import DetectSettings, propose

    avoid_boxes = _avoid_boxes()
    out = {}
    for did in detector_ids:
        per: dict[str, dict] = {}
        groups = {
            g: {"proposal": Counts(), "auto": Counts()} for g in ("choosing", "scored")
        }
        for truth_path in sorted(TRUTH.glob("*.png")):
            stem = truth_path.stem
            found_at = [f / f"{stem}.png" for f in folders]
            path = next((p for p in found_at if p.is_file()), None)
            if path is None:
                continue
            img = load_rgb(path)
            truth = cv2.imread(str(truth_path), cv2.IMREAD_UNCHANGED) > 0
            found = {}
            for medium in ("auto", "print"):
                found[medium] = propose(
                    img, DetectSettings(did, medium=medium), None, "cpu", None, None
                )
            auto = found["auto"]
            proposal = auto.mask | auto.doubtful
            c_prop, c_auto, c_print = Counts(), Counts(), Counts()
            c_prop.add(proposal, truth)
            c_auto.add(auto.mask, truth)
            c_print.add(found["print"].mask, truth)
            group = "choosing" if stem in CHOOSING else "scored"
            groups[group]["proposal"].add(proposal, truth)
            groups[group]["auto"].add(auto.mask, truth)
            avoid = np.zeros(truth.shape, bool)
            touching = 0
            n, comp = cv2.connectedComponents(
                auto.mask.astype(np.uint8), connectivity=8
            )
            for x0, y0, x1, y1, _ in avoid_boxes.get(stem, []):
                avoid[y0:y1, x0:x1] = True
                touching += len(set(np.unique(comp[y0:y1, x0:x1])) - {0})
            near = _near(truth, TOLERANCE)
            not_damage = sum(1 for i in range(1, n) if not near[comp == i].any())
            mp = truth.size / 1e6
            per[stem] = {
                "group": group,
                "proposal": c_prop.as_dict(),
                "auto": c_auto.as_dict(),
                "medium": auto.operation["medium"],
                "medium_why": auto.operation["medium_why"],
                "auto_f1_print": round(c_print.f1, 4),
                "medium_auto_gap": round(c_print.f1 - c_auto.f1, 4),
                "auto_regions_touching_avoid": touching,
                "avoid_proposed": round(
                    float((proposal & avoid).sum() / max(avoid.sum(), 1)), 4
                ),
                "auto_regions_not_damage_per_mp": round(not_damage / mp, 1),
                "doubtful_pixels": int(auto.doubtful.sum()),
            }
        out[did] = {
            "prints": per,
            **{
                f"{g}_{k}": v.as_dict() for g, d in groups.items() for k, v in d.items()
            },
        }
    return out


def tune_classical(photos: list[Path]) -> None:
    """The classical detector's scores by threshold on the validation half (the
    best is its ``midpoint``: what the default sensitivity flags)."""
    images = [load_rgb(p) for p in photos]
    damaged, labels, _ = make_set(images, 96, 256, seed=4242)
    proposals = [
        detect(to8(x), detector_id="detect.tophat", device="cpu") for x in damaged
    ]
    print("threshold  precision  recall  F1   (classical, validation half)")
    for t in np.round(np.arange(0.05, 1.0, 0.05), 2):
        c = Counts()
        for p, y in zip(proposals, labels, strict=True):
            c.add(p.probability >= round(t * 255), y > 0)
        print(f"{t:9.2f} {c.precision:10.3f} {c.recall:7.3f} {c.f1:5.3f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--photos",
        type=Path,
        nargs="+",
        default=[ROOT / ".data" / n for n in ("photos-train", "photos-train-extra")],
    )
    ap.add_argument(
        "--old-photos",
        type=Path,
        default=ROOT / ".data" / "old-photos",
        help="real scratched photos (the bundled samples are always included)",
    )
    ap.add_argument("--count", type=int, default=COUNT)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--update-cards", action="store_true")
    ap.add_argument(
        "--tune-classical",
        action="store_true",
        help="print the classical detector's scores by threshold on the "
        "validation half (where its default was chosen), and stop",
    )
    args = ap.parse_args()

    detectors = list_restorers("detect")
    ids = [i.id for i in detectors]
    folders = [p for p in args.photos if p.is_dir()]
    if not folders:
        print("no photo folders found: see the README's Training section")
        return 1
    _, val, test = detector_split(folders)
    if args.tune_classical:
        tune_classical(val)
        return 0
    fill = default_restorer_id("inpaint")
    print(
        f"synthetic: {args.count} crops of {SIDE}² from {len(test)} test photos; "
        f"damage opacity ≥ {aging.TEST_STYLE.min_opacity}, widths up to "
        f"{aging.TEST_STYLE.width_scale:g}× training's; tolerance {TOLERANCE} px; "
        f"fill {fill}; seed {SEED}"
    )
    syn = synthetic(ids, test, args.count, fill)
    from restore_app.resources import samples_dir

    rl = real(ids, [samples_dir(), args.old_photos])
    rp = real_prints(ids, [samples_dir(), args.old_photos])
    sf = synthetic_film(ids, test, args.count // 2)
    header = "| | " + " | ".join(ids) + " |"
    print()
    print(header)
    print("|---" * (len(ids) + 1) + "|")
    rows = [
        ("precision", lambda d: syn[d]["precision"]),
        ("recall", lambda d: syn[d]["recall"]),
        ("F1", lambda d: syn[d]["f1"]),
        *[(f"F1 {k}", lambda d, k=k: syn[d]["kinds"][k]["f1"]) for k in DETECTED_KINDS],
        ("false alarms (share of clean pixels)", lambda d: syn[d]["false_alarms"]),
        (
            "repair: PSNR gain kept vs true mask",
            lambda d: syn[d]["repair_gain_kept"],
        ),
        (
            "real prints scored: F1 of the proposal",
            lambda d: rp[d]["scored_proposal"]["f1"],
        ),
        (
            "real prints scored: F1 of the automatic mask",
            lambda d: rp[d]["scored_auto"]["f1"],
        ),
        (
            "real prints scored: precision of the automatic mask",
            lambda d: rp[d]["scored_auto"]["precision"],
        ),
        (
            "real prints for choosing: F1 of the proposal",
            lambda d: rp[d]["choosing_proposal"]["f1"],
        ),
        (
            "real prints: automatic regions touching must-avoid boxes",
            lambda d: sum(
                p["auto_regions_touching_avoid"] for p in rp[d]["prints"].values()
            ),
        ),
        (
            "synthetic film (held-out shapes), F1, medium given",
            lambda d: sf[d]["medium_given"]["f1"],
        ),
        (
            "synthetic film, F1, medium auto",
            lambda d: sf[d]["medium_auto"]["f1"],
        ),
        (
            "synthetic film, medium auto named right",
            lambda d: sf[d]["auto_medium_right"],
        ),
        ("real photos: must-find boxes found", lambda d: rl[d]["recall"]),
        ("real photos: must-avoid pixels flagged", lambda d: rl[d]["avoid_flagged"]),
        ("seconds (synthetic set)", lambda d: syn[d]["seconds"]),
    ]
    for name, get in rows:
        print(f"| {name} | " + " | ".join(str(get(d)) for d in ids) + " |")
    print()
    print(f"true-mask fill gains {syn[ids[0]]['true_mask_gain_db']} dB on average")
    for d in ids:
        print(d, json.dumps(rl[d]["images"]))
    for d in ids:
        print()
        print(f"{d}: hand-labelled prints (default settings)")
        print("| print | group | proposal P / R / F1 | automatic P / R / F1 | "
              "medium (auto) | F1 auto vs print | auto regions on must-avoid | "
              "auto regions not damage /MP | must-avoid px proposed |")  # fmt: skip
        print("|---" * 9 + "|")
        for stem, r in rp[d]["prints"].items():
            pr, au = r["proposal"], r["auto"]
            print(f"| {stem} | {r['group']} | {pr['precision']} / {pr['recall']} / "
                  f"{pr['f1']} | {au['precision']} / {au['recall']} / {au['f1']} | "
                  f"{r['medium']} | {au['f1']} vs {r['auto_f1_print']} | "
                  f"{r['auto_regions_touching_avoid']} | "
                  f"{r['auto_regions_not_damage_per_mp']} | "
                  f"{r['avoid_proposed']} |")  # fmt: skip
    results = {
        "synthetic": syn,
        "real": rl,
        "real_prints": rp,
        "synthetic_film": sf,
        "targets": TARGETS,
    }
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if args.update_cards:
        _update_cards(detectors, syn, rl, rp, sf)
    return 0


def _update_cards(detectors, syn, rl, rp, sf=None) -> None:
    """The benchmark's figures into the built-in detectors' cards (never their
    score or default sensitivity: those come from the validation half)."""
    for info in detectors:
        if info.card is None or info.source != "built-in":
            continue
        benchmark = {
            "synthetic_test": syn[info.id],
            "real_photos": rl[info.id],
            "real_prints": rp[info.id],
            **({"synthetic_film": sf[info.id]} if sf else {}),
            "baseline": {
                d: {
                    "synthetic_test": syn[d],
                    "real_photos": rl[d],
                    "real_prints": rp[d],
                }  # fmt: skip
                for d in syn
                if d != info.id
            },
        }
        replace(info.card, benchmark=benchmark).write()


if __name__ == "__main__":
    raise SystemExit(main())
