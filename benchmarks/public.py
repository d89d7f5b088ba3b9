"""Every built-in and classical restorer on the public test sets, with the
published numbers beside ours.

    python benchmarks/public.py [--sets .data/benchmarks] [--json FILE]
                                [--only denoise,deblur,inpaint] [--bm3d N]
                                [--restorers ID,...] [--jobs N]

The sets are read from ``--sets`` (never committed, never trained on, never
used to choose anything): ``CBSD68``, ``Kodak24`` and ``McMaster`` (from the
FFDNet repository's ``testsets/``), ``set3c`` and ``Levin09.mat`` (from the
DPIR repository's ``testsets/`` and ``kernels/``; an HDF5 file, read with h5py:
``pip install -e '.[bench]'``).

- **Denoising** (blind: no restorer is told σ): white Gaussian noise of σ = 15,
  25 and 50 added with ``np.random.seed(0)`` before each image, as the papers
  do. Two protocols: the noisy image clipped and rounded to an 8-bit file, as
  the app reads it, and the papers' unclipped float image (the engine clips
  what it is given to [0, 1]). PSNR on 8-bit outputs, whole image. Also a clean
  photograph passed through each denoiser (auto and full strength): how much
  real texture it keeps.
- **Deblurring**: Set3C blurred by each of the 8 Levin et al. kernels
  (circular convolution), Gaussian noise σ = 2.55/255 (``np.random.seed(0)``),
  8-bit. Blind restorers against Wiener given the true kernel (its
  regularisation chosen per image with the ground truth: an oracle).
- **Inpainting**: Kodak24 with the committed free-form masks of
  ``benchmarks/masks/kodak24`` (strokes 10–45 px wide and blotches up to about
  100 px, seeded): PSNR inside the mask, and texture kept as the ratio of
  gradient energy inside the mask to the original's (a blur scores far below 1).

BM3D (the optional ``bm3d`` package, slow) runs told the true σ on the first
``--bm3d N`` images of each set only, and says so.
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

from restore_app.models.engine import restore  # noqa: E402

SIGMAS = (15, 25, 50)
DEBLUR_SIGMA = 2.55 / 255
MASKS = ROOT / "benchmarks" / "masks" / "kodak24"
#: Published PSNR (colour, blind or σ-given as the papers report), dB.
PUBLISHED = {
    "CBSD68": {
        "CBM3D": (33.52, 30.71, 27.38),
        "DnCNN": (33.90, 31.24, 27.95),
        "DRUNet": (34.30, 31.69, 28.51),
    },
    "Kodak24": {"CBM3D": (34.28, 32.15, 28.46), "DRUNet": (35.31, 32.89, 29.86)},
    "McMaster": {"CBM3D": (34.06, 31.66, 28.51), "DRUNet": (35.40, 33.14, 30.08)},
}


# --- protocol -----------------------------------------------------------------


def read_rgb(path: Path) -> np.ndarray:
    """uint8 RGB (H, W, 3) of a test image."""
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise FileNotFoundError(path)
    return np.ascontiguousarray(img[..., ::-1])


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """PSNR (dB) of uint8 ``a`` against uint8 ``b`` (inside bool ``mask`` if given)."""
    d = (a.astype(np.float64) - b.astype(np.float64)) ** 2
    mse = d[mask].mean() if mask is not None else d.mean()
    return float(10 * np.log10(255.0**2 / max(mse, 1e-10)))


def to8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)


def add_noise(clean: np.ndarray, sigma: float, protocol: str) -> np.ndarray:
    """The papers' noisy image: ``np.random.seed(0)``, then N(0, σ/255) on [0, 1].

    ``protocol`` "8bit" clips and rounds to uint8 (a file the app reads);
    "float" returns the unclipped float32 image.
    """
    np.random.seed(0)
    x = clean.astype(np.float64) / 255.0
    noisy = x + np.random.normal(0, sigma / 255.0, x.shape)
    return to8(noisy) if protocol == "8bit" else noisy.astype(np.float32)


def blur_circular(clean: np.ndarray, kernel: np.ndarray, sigma: float) -> np.ndarray:
    """Circular convolution by ``kernel`` (as ``scipy.ndimage.convolve`` with
    mode "wrap", per channel), then ``np.random.seed(0)`` noise, as uint8."""
    x = clean.astype(np.float64) / 255.0
    kh, kw = kernel.shape
    h, w = x.shape[:2]
    pad = np.zeros((h, w))
    pad[:kh, :kw] = kernel
    pad = np.roll(pad, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    otf = np.fft.fft2(pad)
    out = np.stack(
        [
            np.real(np.fft.ifft2(np.fft.fft2(x[..., c]) * otf))
            for c in range(x.shape[2])
        ],
        axis=2,
    )
    np.random.seed(0)
    out = out + np.random.normal(0, sigma, out.shape)
    return to8(out)


def wiener_circular(blurred: np.ndarray, kernel: np.ndarray, nsr: float) -> np.ndarray:
    """Wiener deconvolution for a circular blur by a known kernel; uint8 out."""
    x = blurred.astype(np.float64) / 255.0
    h, w = x.shape[:2]
    kh, kw = kernel.shape
    pad = np.zeros((h, w))
    pad[:kh, :kw] = kernel
    pad = np.roll(pad, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    otf = np.fft.fft2(pad)
    filt = np.conj(otf) / (np.abs(otf) ** 2 + nsr)
    out = np.stack(
        [np.real(np.fft.ifft2(np.fft.fft2(x[..., c]) * filt)) for c in range(3)],
        axis=2,
    )
    return to8(out)


def levin_kernels(path: Path) -> list[np.ndarray]:
    """The 8 Levin et al. (2009) motion kernels of ``Levin09.mat`` (MATLAB v7.3)."""
    import h5py

    with h5py.File(path, "r") as f:
        refs = f["kernels"]
        # MATLAB stores column-major: transpose to (row, column).
        return [np.array(f[refs[i, 0]]).T.astype(np.float64) for i in range(8)]


def gradient_energy(img: np.ndarray, mask: np.ndarray) -> float:
    """Mean squared gradient (Sobel, luminance) inside ``mask``."""
    g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1)
    return float((gx**2 + gy**2)[mask].mean())


def free_form_mask(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """bool (h, w): a few brush strokes 10–45 px wide and blotches up to ~100 px."""
    m = np.zeros((h, w), np.uint8)
    for _ in range(int(rng.integers(2, 5))):
        width = int(rng.integers(10, 46))
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        a = rng.uniform(0, 2 * np.pi)
        pts = [(x, y)]
        for _ in range(int(rng.integers(2, 6))):
            a += rng.normal(0, 0.8)
            step = rng.uniform(30, 110)
            x = float(np.clip(x + step * np.cos(a), 0, w - 1))
            y = float(np.clip(y + step * np.sin(a), 0, h - 1))
            pts.append((x, y))
        cv2.polylines(m, [np.int32(pts)], False, 1, width, cv2.LINE_AA)
    for _ in range(int(rng.integers(0, 3))):
        c = np.array([rng.uniform(0, w), rng.uniform(0, h)])
        r = rng.uniform(20, 50)
        k = int(rng.integers(6, 12))
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        rad = r * rng.uniform(0.5, 1.0, k)
        poly = np.stack([c[0] + rad * np.cos(ang), c[1] + rad * np.sin(ang)], 1)
        cv2.fillPoly(m, [np.int32(poly)], 1)
    return m.astype(bool)


def kodak_masks(names: list[str], shapes: list[tuple[int, int]]) -> list[np.ndarray]:
    """The committed masks (made once by ``--make-masks``, seed 11 + index)."""
    out = []
    for name, (h, w) in zip(names, shapes, strict=True):
        m = cv2.imread(str(MASKS / name), cv2.IMREAD_GRAYSCALE)
        if m is None or m.shape != (h, w):
            raise FileNotFoundError(f"no {h}×{w} mask {MASKS / name}")
        out.append(m > 127)
    return out


# --- runs -------------------------------------------------------------------------


def _chosen(ids: list[str], only: set[str] | None) -> list[str]:
    """``ids``, less those ``--restorers`` leaves out."""
    return [i for i in ids if only is None or i in only]


def images(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.suffix.lower() in (".png", ".tif", ".bmp")
    )


#: The denoising sets, in the order they are scored and printed.
DENOISE_SETS = ("CBSD68", "Kodak24", "McMaster")


def run_denoise(
    sets: Path, bm3d_n: int, only: set[str] | None = None, jobs: int = 1
) -> dict:
    """Every set, in ``jobs`` processes side by side (one torch thread each)."""
    restorers = _chosen(["denoise.nafnet", "denoise.nlm"], only)
    work = [(sets, name, restorers, bm3d_n) for name in DENOISE_SETS]
    if jobs <= 1:
        return {w[1]: _denoise_set(*w) for w in work}
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(jobs, initializer=_one_thread) as pool:
        done = list(pool.map(_denoise_set, *zip(*work, strict=True)))
    return dict(zip(DENOISE_SETS, done, strict=True))


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def _denoise_set(sets: Path, name: str, restorers: list[str], bm3d_n: int) -> dict:
    paths = images(sets / name)
    clean = [read_rgb(p) for p in paths]
    res: dict = {"images": len(paths)}
    for protocol in ("8bit", "float"):
        for sigma in SIGMAS:
            scores: dict[str, list[float]] = {"input": []}
            for img in clean:
                noisy = add_noise(img, sigma, protocol)
                scores["input"].append(psnr(to8_any(noisy), img))
                for rid in restorers:
                    r = restore(noisy, task="denoise", restorer_id=rid, device="cpu")
                    scores.setdefault(rid, []).append(psnr(to8_any(r.pixels), img))
            res[f"{protocol} σ{sigma}"] = {
                k: round(float(np.mean(v)), 2) for k, v in scores.items()
            }
            print(name, protocol, sigma, res[f"{protocol} σ{sigma}"], flush=True)
    if bm3d_n:
        res["bm3d"] = _bm3d(clean[:bm3d_n])
    if name == "CBSD68":
        res["clean_through"] = _clean_through(clean, restorers)
    return res


def to8_any(x: np.ndarray) -> np.ndarray:
    return x if x.dtype == np.uint8 else to8(x)


def _clean_through(clean: list[np.ndarray], restorers: list[str]) -> dict:
    """PSNR of a clean photo passed through a denoiser against itself."""
    out = {}
    for rid in restorers:
        auto = [
            psnr(restore(c, task="denoise", restorer_id=rid).pixels, c) for c in clean
        ]
        full = [
            psnr(restore(c, task="denoise", restorer_id=rid, strength=1.0).pixels, c)
            for c in clean
        ]
        # An untouched photo scores 148 dB (the cap on an infinite PSNR): the
        # median and the count below the target say more than the mean.
        out[rid] = {
            "auto_mean": round(float(np.mean(auto)), 2),
            "auto_median": round(float(np.median(auto)), 2),
            "auto_min": round(float(np.min(auto)), 2),
            "auto_below_40": int(np.sum(np.array(auto) < 40.0)),
            "full_mean": round(float(np.mean(full)), 2),
            "full_min": round(float(np.min(full)), 2),
            "full_below_36": int(np.sum(np.array(full) < 36.0)),
            "photos": len(clean),
        }
    print("clean through", out, flush=True)
    return out


def _bm3d(clean: list[np.ndarray]) -> dict:
    try:
        import bm3d
    except ImportError:
        return {"skipped": "the bm3d package is not installed"}
    out = {"images": len(clean)}
    for sigma in SIGMAS:
        vals = []
        for img in clean:
            noisy = add_noise(img, sigma, "8bit").astype(np.float32) / 255
            den = bm3d.bm3d_rgb(noisy, sigma / 255)
            vals.append(psnr(to8(den), img))
        out[f"8bit σ{sigma}"] = round(float(np.mean(vals)), 2)
    return out


def run_deblur(sets: Path, only: set[str] | None = None) -> dict:
    kernels = levin_kernels(sets / "Levin09.mat")
    clean = [read_rgb(p) for p in images(sets / "set3c")]
    rows = []
    for ki, k in enumerate(kernels):
        row: dict[str, list[float]] = {}
        for img in clean:
            blurred = blur_circular(img, k, DEBLUR_SIGMA)
            row.setdefault("input", []).append(psnr(blurred, img))
            for rid in _chosen(["deblur.nafnet", "deblur.wiener"], only):
                r = restore(blurred, task="deblur", restorer_id=rid, device="cpu")
                row.setdefault(rid, []).append(psnr(r.pixels, img))
            best = max(
                psnr(wiener_circular(blurred, k, nsr), img)
                for nsr in (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2)
            )
            row.setdefault("wiener_true_kernel", []).append(best)
        means = {key: round(float(np.mean(v)), 2) for key, v in row.items()}
        means["kernel"] = ki + 1
        means["kernel_size"] = k.shape[0]
        rows.append(means)
        print("kernel", means, flush=True)
    keys = [k for k in rows[0] if k not in ("kernel", "kernel_size")]
    mean = {k: round(float(np.mean([r[k] for r in rows])), 2) for k in keys}
    return {"kernels": rows, "mean": mean}


def run_inpaint(sets: Path, only: set[str] | None = None) -> dict:
    """Kodak24 with the committed masks: PSNR and the gradient-energy ratio as
    before, and every measure of ``fill_measures`` on the images as they are
    and with film grain of two strengths added."""
    from fill_measures import GRAIN_LEVELS, INPAINT_IDS, film_grain, measures

    paths = images(sets / "Kodak24")
    clean = [read_rgb(p) for p in paths]
    masks = kodak_masks([p.stem + ".png" for p in paths], [c.shape[:2] for c in clean])
    scores: dict[str, dict[str, list[float]]] = {}
    variants: dict[str, dict[str, dict[str, list[float]]]] = {}
    for i, (img, m) in enumerate(zip(clean, masks, strict=True)):
        levels = [("clean", 0.0)] + [(f"grain {g}", g) for g in GRAIN_LEVELS]
        for variant, level in levels:
            original = film_grain(img, level, seed=100 + i) if level else img
            damaged = original.copy()
            damaged[m] = 255
            ge = gradient_energy(original, m)
            for rid in _chosen(INPAINT_IDS, only):
                r = restore(
                    damaged, task="inpaint", restorer_id=rid, mask=m, device="cpu"
                )
                if variant == "clean":
                    s = scores.setdefault(rid, {"psnr": [], "texture": []})
                    s["psnr"].append(psnr(r.pixels, original, m))
                    s["texture"].append(gradient_energy(r.pixels, m) / max(ge, 1e-6))
                v = variants.setdefault(variant, {}).setdefault(rid, {})
                for k, x in measures(r.pixels, original, m).items():
                    v.setdefault(k, []).append(x)
        print("inpaint", paths[i].name, flush=True)
    out: dict = {
        rid: {k: round(float(np.mean(v)), 3) for k, v in s.items()}
        for rid, s in scores.items()
    }
    out["mask_share"] = round(float(np.mean([m.mean() for m in masks])), 4)
    out["measures"] = {
        variant: {
            rid: {k: round(float(np.nanmean(v)), 3) for k, v in per.items()}
            for rid, per in by_id.items()
        }
        for variant, by_id in variants.items()
    }
    print("inpaint", out, flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sets", type=Path, default=ROOT / ".data" / "benchmarks")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--only", default="denoise,deblur,inpaint")
    ap.add_argument("--bm3d", type=int, default=0, metavar="N")
    ap.add_argument(
        "--jobs", type=int, default=1, help="denoising sets scored side by side"
    )
    ap.add_argument(
        "--restorers",
        default=None,
        metavar="ID,...",
        help="score only these restorers (new weights; the others' figures stand)",
    )
    ap.add_argument(
        "--make-masks",
        action="store_true",
        help="write the Kodak24 free-form masks (done once; they are committed)",
    )
    ap.add_argument(
        "--update-cards",
        type=Path,
        default=None,
        metavar="JSON",
        help="write the figures of a saved run (--json) into the built-in cards",
    )
    args = ap.parse_args()
    if args.update_cards:
        update_cards(json.loads(args.update_cards.read_text()))
        return 0
    if args.make_masks:
        MASKS.mkdir(parents=True, exist_ok=True)
        for i, p in enumerate(images(args.sets / "Kodak24")):
            h, w = read_rgb(p).shape[:2]
            m = free_form_mask(h, w, np.random.default_rng(11 + i))
            cv2.imwrite(str(MASKS / (p.stem + ".png")), m.astype(np.uint8) * 255)
        return 0
    t0 = time.perf_counter()
    results: dict = {"published": PUBLISHED}
    parts = args.only.split(",")
    only = set(args.restorers.split(",")) if args.restorers else None
    if "denoise" in parts:
        results["denoise"] = run_denoise(args.sets, args.bm3d, only, args.jobs)
    if "deblur" in parts:
        results["deblur"] = run_deblur(args.sets, only)
    if "inpaint" in parts:
        results["inpaint"] = run_inpaint(args.sets, only)
    results["seconds"] = round(time.perf_counter() - t0)
    _print_tables(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 0


def update_cards(results: dict) -> None:
    """Each built-in learned model's public figures into its card (``public``)."""
    from restore_app.models.registry import list_restorers

    for info in list_restorers():
        if info.kind != "learned" or info.source != "built-in":
            continue
        task = str(info.task)
        if task == "denoise" and "denoise" in results:
            figures = {
                name: {
                    k: v[info.id]
                    for k, v in res.items()
                    if isinstance(v, dict) and info.id in v
                }
                for name, res in results["denoise"].items()
            }
            figures["CBSD68"]["clean_through"] = results["denoise"]["CBSD68"][
                "clean_through"
            ][info.id]
        elif task == "deblur" and "deblur" in results:
            figures = {
                "set3c_levin": {
                    "mean": results["deblur"]["mean"][info.id],
                    "input": results["deblur"]["mean"]["input"],
                    "per_kernel": [r[info.id] for r in results["deblur"]["kernels"]],
                }
            }
        elif task == "inpaint" and info.id in results.get("inpaint", {}):
            figures = {"kodak24_free_form": results["inpaint"][info.id]}
        else:
            continue
        card = info.card
        if card is None or card.path is None:
            continue
        public = {"benchmark": "benchmarks/public.py (blind; see its docstring)"}
        replace(card, public={**public, **figures}).write()
        print(f"wrote the public figures into {card.path.name}")


def _print_tables(r: dict) -> None:
    if "denoise" in r:
        print(
            "\n| set | σ | input | non-local means (blind) | learned (blind) |"
            " learned, float protocol | published |"
        )
        print("|---|---|---|---|---|---|---|")
        for name, res in r["denoise"].items():
            for i, s in enumerate(SIGMAS):
                a, f = res[f"8bit σ{s}"], res[f"float σ{s}"]
                pub = ", ".join(f"{k} {v[i]}" for k, v in PUBLISHED[name].items())
                print(
                    f"| {name} | {s} | {a['input']} | {a.get('denoise.nlm', '–')} | "
                    f"{a.get('denoise.nafnet', '–')} | "
                    f"{f.get('denoise.nafnet', '–')} | {pub} |"
                )
    if "deblur" in r:
        d = r["deblur"]
        keys = list(d["mean"])
        print("\n| kernel | " + " | ".join(keys) + " |")
        print("|---" * (len(keys) + 1) + "|")
        for row in d["kernels"]:
            print(
                f"| {row['kernel']} ({row['kernel_size']} px) | "
                + " | ".join(str(row[k]) for k in keys)
                + " |"
            )
        print("| mean | " + " | ".join(str(d["mean"][k]) for k in keys) + " |")
    if "inpaint" in r:
        print("\n| restorer | PSNR in mask | gradient energy ratio |")
        print("|---|---|---|")
        for rid, v in r["inpaint"].items():
            if isinstance(v, dict) and "psnr" in v:
                print(f"| {rid} | {v['psnr']} | {v['texture']} |")
        keys = ("psnr", "psnr_low", "ssim", "gradient", "grain", "band1", "band2",
                "band3", "delta_e")  # fmt: skip
        for variant, by_id in r["inpaint"].get("measures", {}).items():
            print(f"\nKodak24, {variant}: inside the mask")
            print("| restorer | " + " | ".join(keys) + " |")
            print("|---" * (len(keys) + 1) + "|")
            for rid, v in by_id.items():
                print(f"| {rid} | " + " | ".join(str(v[k]) for k in keys) + " |")


if __name__ == "__main__":
    raise SystemExit(main())
