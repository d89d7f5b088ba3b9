"""Quality of every restorer on held-out photographs, in one run.

    python benchmarks/quality.py [--photos .data/photos-train] [--update-cards]

Scores the built-in learned models against the classical restorers on the
photos the training held out (every 8th by name, as the training split does):

- inpainting: PSNR and SSIM inside the mask (synthetic scratches, cracks,
  dust, blotches, tears and brush strokes, drawn by the training's mask
  generator), against OpenCV Telea and Navier–Stokes;
- denoising: PSNR at σ = 15, 25, 50 and on film grain, against OpenCV
  non-local means given the true σ (and BM3D given the true σ, if the optional
  ``bm3d`` package is installed);
- deblurring: PSNR against unsharp masking, and against Wiener and
  Richardson–Lucy deconvolution given the true kernel, each with its best
  regularisation or iteration count chosen per image with the ground truth.

Every registered restorer is also run blind, as a person runs it (the engine's
defaults: no σ, no kernel); the mean PSNR of that blind run is the restorer's
``score``. ``--update-cards`` writes the scores and figures into the model cards
and ``resources/models/scores.json`` (classical ones). They are reported, never
used to choose: each task's default is stated in ``resources/models/defaults.json``,
which only a person edits.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from restore_app.models.classical import (  # noqa: E402
    gaussian_psf,
    richardson_lucy,
    wiener_deconvolve,
)
from restore_app.models.engine import restore  # noqa: E402
from restore_app.models.registry import list_restorers  # noqa: E402

SIDE = 384


# --- metrics -------------------------------------------------------------------
def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """PSNR in dB of uint8 images ``a`` against ``b``, over ``mask`` if given."""
    d = (a.astype(np.float64) - b.astype(np.float64)) ** 2
    mse = d[mask].mean() if mask is not None else d.mean()
    return float(10 * np.log10(255.0**2 / max(mse, 1e-10)))


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-pixel SSIM (Gaussian window σ 1.5) of uint8 RGB images, channel mean."""
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(x: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(x, (11, 11), 1.5)

    mu_a, mu_b = blur(a), blur(b)
    va = blur(a * a) - mu_a**2
    vb = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / (
        (mu_a**2 + mu_b**2 + c1) * (va + vb + c2)
    )
    return s.mean(axis=2)


# --- data ----------------------------------------------------------------------
def heldout_crops(photos: Path) -> list[tuple[str, np.ndarray]]:
    from restore_app.training.data import load_rgb, split_photos

    _, val = split_photos(photos)
    crops = []
    for path in val:
        img = load_rgb(path)
        h, w = img.shape[:2]
        for fy, fx in ((0.35, 0.35), (0.65, 0.65)):
            y = min(max(int(h * fy) - SIDE // 2, 0), h - SIDE)
            x = min(max(int(w * fx) - SIDE // 2, 0), w - SIDE)
            crops.append((f"{path.stem}@{fx:.2f}", img[y : y + SIDE, x : x + SIDE]))
    return crops


def to_u8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x * 255), 0, 255).astype(np.uint8)


def add_noise(img: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return to_u8(img / 255.0 + rng.normal(0, sigma / 255.0, img.shape))


def add_grain(img: np.ndarray, seed: int) -> np.ndarray:
    import torch

    from restore_app.training.degrade import film_grain

    g = torch.Generator().manual_seed(seed)
    x = torch.from_numpy(img.astype(np.float32) / 255).permute(2, 0, 1)[None]
    return to_u8(film_grain(x, g)[0].permute(1, 2, 0).numpy())


def disc_kernel(radius: float) -> np.ndarray:
    r = int(np.ceil(radius)) + 1
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    k = np.clip(radius + 0.5 - np.sqrt(xx**2 + yy**2), 0, 1)
    return k / k.sum()


def motion_kernel(length: int, angle_deg: float) -> np.ndarray:
    size = length + 2 + (length + 1) % 2
    k = np.zeros((size, size), np.float64)
    c = size // 2
    a = np.deg2rad(angle_deg)
    dx, dy = np.cos(a) * (length - 1) / 2, np.sin(a) * (length - 1) / 2
    cv2.line(k, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0)
    return k / k.sum()


BLURS = {
    "gauss σ1.5": lambda: gaussian_psf(1.5),
    "defocus r2.5": lambda: disc_kernel(2.5),
    "defocus r4": lambda: disc_kernel(4.0),
    "motion 9px": lambda: motion_kernel(9, 30),
    "motion 15px": lambda: motion_kernel(15, 110),
}


def blur(img: np.ndarray, k: np.ndarray, seed: int) -> np.ndarray:
    out = cv2.filter2D(
        img.astype(np.float64) / 255, -1, k, borderType=cv2.BORDER_REFLECT
    )
    rng = np.random.default_rng(seed)
    return to_u8(out + rng.normal(0, 1.0 / 255, out.shape))


# --- oracle classical baselines -----------------------------------------------
def nlm_true_sigma(noisy: np.ndarray, sigma: float) -> np.ndarray:
    """OpenCV non-local means told the true σ instead of estimating it."""
    from restore_app.models.classical import NonLocalMeans

    out = NonLocalMeans().process(
        noisy.astype(np.float32) / 255, None, {"sigma": sigma / 255}
    )
    return to_u8(out)


def bm3d_true_sigma(noisy: np.ndarray, sigma: float) -> np.ndarray | None:
    try:
        import bm3d
    except ImportError:
        return None
    out = bm3d.bm3d_rgb(noisy.astype(np.float64) / 255, sigma / 255)
    return to_u8(out)


def best_of(clean: np.ndarray, candidates) -> tuple[float, str]:
    best = (-1.0, "")
    for label, fn in candidates:
        p = psnr(fn(), clean)
        if p > best[0]:
            best = (p, label)
    return best


def unsharp_best(clean: np.ndarray, blurred: np.ndarray) -> float:
    x = blurred.astype(np.float64) / 255

    def usm(s: float, amount: float) -> np.ndarray:
        return to_u8(x + amount * (x - cv2.GaussianBlur(x, (0, 0), s)))

    return best_of(
        clean,
        [
            (f"{s},{a}", lambda s=s, a=a: usm(s, a))
            for s in (1, 2, 3)
            for a in (0.5, 1, 2, 3)
        ],
    )[0]


def wiener_best(clean: np.ndarray, blurred: np.ndarray, k: np.ndarray) -> float:
    x = blurred.astype(np.float32) / 255
    return best_of(
        clean,
        [
            (f"{n}", lambda n=n: to_u8(wiener_deconvolve(x, k, n)))
            for n in np.logspace(-4, -1, 7)
        ],
    )[0]


def rl_best(clean: np.ndarray, blurred: np.ndarray, k: np.ndarray) -> float:
    x = blurred.astype(np.float32) / 255
    return best_of(
        clean,
        [
            (f"{n}", lambda n=n: to_u8(richardson_lucy(x, k, n)))
            for n in (5, 10, 20, 40, 80)
        ],
    )[0]


# --- the benchmark ---------------------------------------------------------------
def run(photos: Path) -> dict:
    crops = heldout_crops(photos)
    learned = {
        i.task: i.id
        for i in list_restorers()
        if i.kind == "learned" and i.source == "built-in"
    }
    table: dict = {"inpaint": {}, "denoise": {}, "deblur": {}, "blind": {}}
    blind: dict[str, list[float]] = {}

    outputs: dict[str, np.ndarray] = {}

    def blind_run(task: str, degraded: np.ndarray, clean: np.ndarray, mask=None):
        """Every restorer of ``task`` with the engine's defaults; PSNR per id."""
        out = {}
        for info in list_restorers(task):
            res = restore(degraded, task=task, restorer_id=info.id, mask=mask)
            outputs[info.id] = res.pixels
            p = psnr(res.pixels, clean, mask)
            blind.setdefault(info.id, []).append(p)
            out[info.id] = p
        return out

    # Inpainting.
    from restore_app.training.degrade import mask_bank

    masks = mask_bank(len(crops), SIDE, 2024)
    rows = []
    for (name, clean), m in zip(crops, masks, strict=True):
        m = m.astype(bool)
        damaged = clean.copy()
        damaged[m] = 255  # white scratches and losses, as on a print
        scores = blind_run("inpaint", damaged, clean, m)
        ssim = {rid: float(ssim_map(outputs[rid], clean)[m].mean()) for rid in scores}
        rows.append(
            {"image": name, "coverage": float(m.mean()), "psnr": scores, "ssim": ssim}
        )
    table["inpaint"]["cases"] = rows

    # Denoising.
    rows = []
    for i, (name, clean) in enumerate(crops):
        for level in (15, 25, 50, "grain"):
            if level == "grain":
                noisy = add_grain(clean, 100 + i)
                sigma_true = None
            else:
                noisy = add_noise(clean, level, 100 + i)
                sigma_true = float(level)
            row = {"image": name, "noise": f"σ={level}" if sigma_true else "film grain"}
            row["input"] = psnr(noisy, clean)
            row["blind"] = blind_run("denoise", noisy, clean)
            if sigma_true is not None:
                row["nlm_true_sigma"] = psnr(nlm_true_sigma(noisy, sigma_true), clean)
                b = bm3d_true_sigma(noisy, sigma_true)
                if b is not None:
                    row["bm3d_true_sigma"] = psnr(b, clean)
            else:
                # Film grain has no single σ: give NLM and BM3D the best of a
                # sweep, which no blind method could know.
                sweep = [4, 8, 12, 16, 24]
                row["nlm_best_sigma"] = max(
                    psnr(nlm_true_sigma(noisy, s), clean) for s in sweep
                )
                if bm3d_true_sigma(noisy, 8) is not None:
                    row["bm3d_best_sigma"] = max(
                        psnr(bm3d_true_sigma(noisy, s), clean) for s in sweep
                    )
            rows.append(row)
    table["denoise"]["cases"] = rows

    # Deblurring.
    rows = []
    for i, (name, clean) in enumerate(crops):
        for label, make in BLURS.items():
            k = make()
            blurred = blur(clean, k, 200 + i)
            row = {"image": name, "blur": label, "input": psnr(blurred, clean)}
            row["blind"] = blind_run("deblur", blurred, clean)
            row["unsharp_best"] = unsharp_best(clean, blurred)
            row["wiener_true_kernel"] = wiener_best(clean, blurred, k)
            row["rl_true_kernel"] = rl_best(clean, blurred, k)
            rows.append(row)
    table["deblur"]["cases"] = rows

    table["blind"] = {rid: float(np.mean(v)) for rid, v in blind.items()}
    table["learned"] = learned
    return table


def heldout_fills(photos: Path) -> dict:
    """Every measure of ``fill_measures`` for every fill on the held-out crops,
    masked by the training's mask generator (the same masks as ``run``), on the
    crops as they are and with film grain of two strengths added; means by
    variant and fill."""
    from fill_measures import GRAIN_LEVELS, INPAINT_IDS, film_grain, measures

    from restore_app.training.degrade import mask_bank

    crops = heldout_crops(photos)
    masks = mask_bank(len(crops), SIDE, 2024)
    out: dict = {}
    for variant, level in [("clean", 0.0)] + [(f"grain {g}", g) for g in GRAIN_LEVELS]:
        per: dict[str, dict[str, list[float]]] = {}
        for i, ((_name, clean), m) in enumerate(zip(crops, masks, strict=True)):
            m = m.astype(bool)
            original = film_grain(clean, level, seed=300 + i) if level else clean
            damaged = original.copy()
            damaged[m] = 255
            for rid in INPAINT_IDS:
                r = restore(damaged, task="inpaint", restorer_id=rid, mask=m)
                for k, x in measures(r.pixels, original, m).items():
                    per.setdefault(rid, {}).setdefault(k, []).append(x)
        out[variant] = {
            rid: {k: round(float(np.nanmean(v)), 3) for k, v in ms.items()}
            for rid, ms in per.items()
        }
    return out


def degraded_cases(task: str, photos: Path):
    """(degraded, clean, mask) of each case of ``task``, in :func:`run`'s order."""
    crops = heldout_crops(photos)
    if task == "inpaint":
        from restore_app.training.degrade import mask_bank

        for (_, clean), m in zip(crops, mask_bank(len(crops), SIDE, 2024), strict=True):
            m = m.astype(bool)
            damaged = clean.copy()
            damaged[m] = 255
            yield damaged, clean, m
    elif task == "denoise":
        for i, (_, clean) in enumerate(crops):
            for level in (15, 25, 50, "grain"):
                if level == "grain":
                    yield add_grain(clean, 100 + i), clean, None
                else:
                    yield add_noise(clean, level, 100 + i), clean, None
    else:
        for i, (_, clean) in enumerate(crops):
            for make in BLURS.values():
                yield blur(clean, make(), 200 + i), clean, None


def rescore(table: dict, restorer_id: str, photos: Path) -> None:
    """Re-measure one restorer on the cases of an earlier run (new weights).

    The other columns (classical restorers, oracles) depend on nothing that
    changed, so the table stays one consistent run of the same cases.
    """
    from restore_app.models.registry import get_restorer

    task = str(get_restorer(restorer_id).task)
    scores = []
    for row, (degraded, clean, m) in zip(
        table[task]["cases"], degraded_cases(task, photos), strict=True
    ):
        out = restore(degraded, task=task, restorer_id=restorer_id, mask=m).pixels
        p = psnr(out, clean, m)
        scores.append(p)
        if task == "inpaint":
            row["coverage"] = float(m.mean())  # the masks follow the training's
            row["psnr"][restorer_id] = p
            row["ssim"][restorer_id] = float(ssim_map(out, clean)[m].mean())
        else:
            row["blind"][restorer_id] = p
    table["blind"][restorer_id] = float(np.mean(scores))


def summarise(t: dict) -> tuple[str, dict]:
    """Markdown table lines and the target checks."""
    lines = []
    checks = {}
    L = t["learned"]
    # Inpainting.
    cases = t["inpaint"]["cases"]
    ids = list(cases[0]["psnr"])
    lines.append("| inpainting (inside the mask) | " + " | ".join(ids) + " |")
    lines.append("|---" * (len(ids) + 1) + "|")
    mp = {r: np.mean([c["psnr"][r] for c in cases]) for r in ids}
    ms = {r: np.mean([c["ssim"][r] for c in cases]) for r in ids}
    lines.append("| PSNR dB | " + " | ".join(f"{mp[r]:.2f}" for r in ids) + " |")
    lines.append("| SSIM | " + " | ".join(f"{ms[r]:.3f}" for r in ids) + " |")
    if "inpaint" in L:
        gain = mp[L["inpaint"]] - mp["inpaint.telea"]
        checks["inpaint: ≥ 2 dB above Telea"] = (gain >= 2.0, f"{gain:+.2f} dB")
    lines.append("")
    # Denoising.
    cases = t["denoise"]["cases"]
    lines.append(
        "| denoising PSNR dB | input | NLM (true σ) | BM3D (true σ) | "
        "non-local means (blind) | learned (blind) |"
    )
    lines.append("|---|---|---|---|---|---|")
    for level in ("σ=15", "σ=25", "σ=50", "film grain"):
        rows = [c for c in cases if c["noise"] == level]
        inp = np.mean([c["input"] for c in rows])
        nlm = np.mean([c.get("nlm_true_sigma", c.get("nlm_best_sigma")) for c in rows])
        bkey = "bm3d_true_sigma" if level != "film grain" else "bm3d_best_sigma"
        bm = np.mean([c[bkey] for c in rows]) if bkey in rows[0] else float("nan")
        nb = np.mean([c["blind"]["denoise.nlm"] for c in rows])
        lid = L.get("denoise")
        lb = np.mean([c["blind"][lid] for c in rows]) if lid else float("nan")
        lines.append(
            f"| {level} | {inp:.2f} | {nlm:.2f} | {bm:.2f} | {nb:.2f} | {lb:.2f} |"
        )
        if lid and level != "film grain" and not np.isnan(bm):
            checks[f"denoise {level}: ≥ BM3D (true σ)"] = (
                lb >= bm,
                f"{lb - bm:+.2f} dB",
            )
        if lid and level == "film grain":
            best = np.nanmax([nlm, bm, nb])
            checks["denoise film grain: ≥ 1 dB above best classical"] = (
                lb - best >= 1.0,
                f"{lb - best:+.2f} dB",
            )
    lines.append("")
    # Deblurring.
    cases = t["deblur"]["cases"]
    lines.append(
        "| deblurring PSNR dB | input | unsharp (best) | Wiener (true kernel, best) "
        "| Richardson–Lucy (true kernel, best) | Wiener (blind) | learned (blind) |"
    )
    lines.append("|---|---|---|---|---|---|---|")
    for label in BLURS:
        rows = [c for c in cases if c["blur"] == label]
        vals = [
            np.mean([c[k] for c in rows])
            for k in ("input", "unsharp_best", "wiener_true_kernel", "rl_true_kernel")
        ]
        wb = np.mean([c["blind"]["deblur.wiener"] for c in rows])
        lid = L.get("deblur")
        lb = np.mean([c["blind"][lid] for c in rows]) if lid else float("nan")
        lines.append(
            f"| {label} | "
            + " | ".join(f"{v:.2f}" for v in vals)
            + f" | {wb:.2f} | {lb:.2f} |"
        )
    if L.get("deblur"):
        lb = np.mean([c["blind"][L["deblur"]] for c in cases])
        best = np.mean(
            [max(c["wiener_true_kernel"], c["rl_true_kernel"]) for c in cases]
        )
        checks["deblur: ≥ best of Wiener/RL given the true kernel"] = (
            lb >= best,
            f"{lb - best:+.2f} dB",
        )
    lines.append("")
    lines.append("| restorer | score (mean PSNR dB, blind, over its task's cases) |")
    lines.append("|---|---|")
    for rid, s in sorted(t["blind"].items()):
        lines.append(f"| {rid} | {s:.2f} |")
    return "\n".join(lines), checks


def _mean(rows: list[dict], key) -> float:
    return round(float(np.mean([key(r) for r in rows])), 2)


def task_results(t: dict, task: str) -> dict:
    """The benchmark's means for one task, for its model card."""
    cases = t[task]["cases"]
    if task == "inpaint":
        ids = list(cases[0]["psnr"])
        return {
            "psnr_in_mask": {r: _mean(cases, lambda c, r=r: c["psnr"][r]) for r in ids},
            "ssim_in_mask": {
                r: round(float(np.mean([c["ssim"][r] for c in cases])), 3) for r in ids
            },
        }
    group = "noise" if task == "denoise" else "blur"
    out = {}
    for level in dict.fromkeys(c[group] for c in cases):
        rows = [c for c in cases if c[group] == level]
        entry = {
            k: _mean(rows, lambda c, k=k: c[k])
            for k in rows[0]
            if isinstance(rows[0][k], float)
        }
        entry.update(
            {
                f"{r} (blind)": _mean(rows, lambda c, r=r: c["blind"][r])
                for r in rows[0]["blind"]
            }
        )
        out[level] = entry
    return out


def update_cards(t: dict, checks: dict) -> None:
    """The scores and figures into the built-in cards (``score``, ``validation``)
    and ``scores.json`` (classical restorers): reported, never used to choose a
    default (``defaults.json`` states those, and is edited by hand only)."""
    from restore_app.models.registry import SCORES_FILE, read_cards
    from restore_app.resources import models_dir

    folder = models_dir()
    for card in read_cards(folder):
        if card.id in t["blind"]:
            validation = {
                "benchmark": "benchmarks/quality.py on held-out photos "
                f"({SIDE}×{SIDE} crops)",
                "results_db": task_results(t, card.task),
                "score_meaning": "mean PSNR (dB) of a blind run over the task's cases",
                "targets": {
                    k: {"met": bool(v[0]), "margin": v[1]}
                    for k, v in checks.items()
                    if k.startswith(card.task)
                },
            }
            score = round(t["blind"][card.id], 3)
            replace(card, score=score, validation=validation).write()
    learned = {i.id for i in list_restorers() if i.kind == "learned"}
    scores = {rid: round(s, 3) for rid, s in t["blind"].items() if rid not in learned}
    (folder / SCORES_FILE).write_text(json.dumps(scores, indent=2) + "\n")


def _label(img: np.ndarray, text: str) -> np.ndarray:
    out = np.ascontiguousarray(img[..., ::-1])
    cv2.rectangle(out, (0, 0), (out.shape[1], 22), (0, 0, 0), -1)
    cv2.putText(
        out,
        text,
        (6, 16),
        cv2.FONT_HERSHEY_SIMPLEX,
        0.5,
        (255, 255, 255),
        1,
        cv2.LINE_AA,
    )
    return out


def figures(photos: Path, folder: Path) -> list[Path]:
    """One picture per task: degraded, classical, learned, original, side by side."""
    from restore_app.training.degrade import mask_bank

    folder.mkdir(parents=True, exist_ok=True)
    name, clean = heldout_crops(photos)[1]
    learned = {
        i.task: i.id
        for i in list_restorers()
        if i.kind == "learned" and i.source == "built-in"
    }
    m = mask_bank(1, SIDE, 7)[0].astype(bool)
    damaged = clean.copy()
    damaged[m] = 255
    noisy = add_noise(clean, 25, 5)
    blurred = blur(clean, BLURS["defocus r2.5"](), 6)
    panels = {
        "inpaint": (
            damaged,
            [("inpaint.telea", "Telea"), ("inpaint.exemplar", "exemplar")],
            "damaged",
            {"mask": m},
        ),
        "denoise": (noisy, [("denoise.nlm", "non-local means")], "noise σ=25", {}),
        "deblur": (blurred, [("deblur.wiener", "Wiener")], "defocus r=2.5", {}),
    }
    written = []
    for task, (degraded, classical, label, kw) in panels.items():
        tiles = [_label(degraded, label)]
        for rid, title in classical + [(learned[task], "learned")]:
            out = restore(degraded, task=task, restorer_id=rid, **kw).pixels
            tiles.append(
                _label(out, f"{title} {psnr(out, clean, kw.get('mask')):.1f} dB")
            )
        tiles.append(_label(clean, "original"))
        path = folder / f"quality-{task}.png"
        cv2.imwrite(str(path), np.concatenate(tiles, axis=1)[:, :, :])
        written.append(path)
    written.append(_real_strokes(folder))
    written.append(grain_crops(folder))
    return written


def grain_crops(folder: Path) -> Path:
    """Three crops at 100 %, each damaged, filled by the smooth learned fill and
    by the fill with grain: a real crack on a grainy old print (masked by its
    hand-labelled truth), a 15 px stroke through hair and one through a knitted
    sweater (old_a). No ground truth: to be looked at."""
    from restore_app.resources import samples_dir

    crops = []
    a = cv2.imread(str(ROOT / ".data/old-photos/old_w_scratch_a.png"))
    truth = cv2.imread(str(ROOT / "benchmarks/real_truth/old_w_scratch_a.png"), 0)
    if a is not None and truth is not None:
        box = (slice(225, 355), slice(380, 496))
        crack = cv2.dilate((truth == 3).astype(np.uint8), np.ones((3, 3))) > 0
        crops.append((a[..., ::-1][box], crack[box], "crack, grainy print"))
    old = cv2.imread(str(samples_dir() / "old_a.png"))[..., ::-1]
    m = np.zeros(old.shape[:2], np.uint8)
    cv2.line(m, (95, 95), (205, 105), 1, 15)
    cv2.line(m, (60, 300), (230, 330), 1, 15)
    crops.append((old[60:140, 80:220], m[60:140, 80:220] > 0, "stroke, hair"))
    crops.append((old[270:360, 50:240], m[270:360, 50:240] > 0, "stroke, knit"))
    rows = []
    for img, mask, what in crops:
        img = np.ascontiguousarray(img)
        damaged = img.copy()
        damaged[mask] = 255
        tiles = [_label(damaged, what)]
        for rid, title in (("inpaint.ffc", "smooth"), ("inpaint.ffc-grain", "grain")):
            out = restore(damaged, task="inpaint", restorer_id=rid, mask=mask).pixels
            tiles.append(_label(out, title))
        rows.append(np.concatenate(tiles, axis=1))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0))) for r in rows]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "fill-grain.png"
    cv2.imwrite(str(path), np.concatenate(rows, axis=0))
    return path


def _real_strokes(folder: Path) -> Path:
    """Two 15 px strokes, across the hair and forehead and across the knitted
    sweater of a sample old photo, filled by each fill (no ground truth: to be
    looked at)."""
    from restore_app.resources import samples_dir

    img = cv2.imread(str(samples_dir() / "old_a.png"))[:, :, ::-1].copy()
    m = np.zeros(img.shape[:2], np.uint8)
    cv2.line(m, (95, 95), (205, 105), 1, 15)
    cv2.line(m, (60, 300), (230, 330), 1, 15)
    mask = m.astype(bool)
    damaged = img.copy()
    damaged[mask] = 255
    tiles = [_label(damaged, "damaged")]
    for rid, title in (
        ("inpaint.telea", "Telea"),
        ("inpaint.ffc", "learned"),
        ("inpaint.exemplar", "texture fill"),
    ):
        out = restore(damaged, task="inpaint", restorer_id=rid, mask=mask).pixels
        tiles.append(_label(out, title))
    path = folder / "quality-inpaint-real.png"
    cv2.imwrite(str(path), np.concatenate(tiles, axis=1))
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--photos", type=Path, default=ROOT / ".data" / "photos-train")
    ap.add_argument("--update-cards", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument(
        "--figures",
        type=Path,
        default=None,
        help="only write one before/after picture per task here",
    )
    ap.add_argument(
        "--rescore",
        metavar="ID",
        default=None,
        help="with --from-json: re-measure this restorer (new weights)",
    )
    ap.add_argument(
        "--from-json",
        type=Path,
        default=None,
        help="summarise (and update cards from) an earlier --json run",
    )
    ap.add_argument(
        "--fills",
        action="store_true",
        help="only the fill measures (benchmarks/fill_measures.py) on the "
        "held-out crops, as they are and with film grain",
    )
    args = ap.parse_args()
    if args.fills:
        results = heldout_fills(args.photos)
        keys = ("psnr", "psnr_low", "ssim", "gradient", "grain", "band1", "band2",
                "band3", "delta_e")  # fmt: skip
        print("| variant | fill | " + " | ".join(keys) + " |")
        print("|---" * (len(keys) + 2) + "|")
        for variant, by_id in results.items():
            for rid, ms in by_id.items():
                cells = " | ".join(f"{ms[k]:.2f}" for k in keys)
                print(f"| {variant} | {rid} | {cells} |")
        if args.json:
            args.json.write_text(json.dumps(results, indent=1))
        return 0
    if args.from_json:
        table = json.loads(args.from_json.read_text())
        if args.rescore:
            rescore(table, args.rescore, args.photos)
            args.from_json.write_text(json.dumps(table, indent=1, default=float))
        text, checks = summarise(table)
        print(text)
        if args.update_cards:
            update_cards(table, checks)
        return 0
    if args.figures:
        for path in figures(args.photos, args.figures):
            print(path)
        return 0
    t0 = time.time()
    table = run(args.photos)
    text, checks = summarise(table)
    print(text)
    print()
    for k, (ok, margin) in checks.items():
        print(f"{'MET ' if ok else 'MISS'} {k}: {margin}")
    print(f"\n{time.time() - t0:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(table, indent=1, default=float))
    if args.update_cards:
        update_cards(table, checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
