"""A candidate blind deblurrer, measured and not shipped: a photograph's blur
kernel estimated from its edges, and the photograph deconvolved by it.

    python benchmarks/blind_deblur.py [--data .data/photos-train ...]
                                      [--sets .data/benchmarks] [--json FILE]

The kernel is found coarse to fine, as Pan et al. (2014, "Deblurring text
images via L0-regularized intensity and gradient prior", the L0 gradient
part) and Xu et al. (2013) do: at each scale a sharp image with few, strong
edges is solved for under the current kernel, then the kernel that blurs its
strongest edges into the photograph's, and the two alternate. The photograph
is then deconvolved under a hyper-Laplacian prior on its gradients (Krishnan
and Fergus 2009), its unknown surroundings left free (conjugate gradients
preconditioned by the Fourier-domain solution), so that borders do not ring.

It is scored beside the built-in ``deblur.nafnet`` on the validation split of
the training photographs (every 8th by name: their centre, 256², blurred by
the training code's camera-shake kernels, noise 2.55/255, 8-bit) and, when
the sets are present, on Set3C with the 8 Levin et al. kernels (the public
benchmark's protocol). PSNR is given as is and at the best shift of up to 6
pixels: where in its smear a blind estimate places the picture cannot be
known, and papers on blind deblurring align before scoring.

Given the true kernel the deconvolution gains about 6 dB on the validation
crops; the estimate is the weak part. It is not a restorer of the app while
its estimate goes wrong on some photographs (see the README's deblurring
section for the figures): a wrong kernel makes a picture worse than its blur.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import public  # noqa: E402

from restore_app.core.estimate import estimate_noise_sigma  # noqa: E402

#: Side (pixels, odd) of the largest blur kernel estimated by default: camera
#: shake up to about 25 pixels, defocus up to a radius of about 8.
KERNEL_SIZE = 31
#: Side of the centred region the kernel is estimated on (at full resolution).
ESTIMATE_SIDE = 384
#: Strength of the non-local means that clears the noise before estimation,
#: in multiples of the noise's σ.
PREFILTER = 2.0
#: Weight of the L0 gradient prior on the intermediate sharp image, at the
#: start of each scale and its floor as it decays by 1.1 per iteration.
L0_WEIGHT = 4e-3
L0_FLOOR = 1e-4
#: Strong edges kept in each of four directions, times √(pixels × kernel side).
EDGE_SHARE = 2.0
#: Pixels by which a kernel's support may grow past the coarser scale's.
SUPPORT_GROW = 2
#: Alternations of sharp image and kernel at each scale.
ITERATIONS = 5
#: Tikhonov weight on the kernel in its least-squares fit.
KERNEL_WEIGHT = 4.0
#: Kernel values below this share of its peak are set to zero.
KERNEL_CUT = 0.05
#: Weight of the data term of the final deconvolution, times the noise variance.
DATA_WEIGHT = 0.2
#: Conjugate-gradient steps of each linear solve of the final deconvolution.
CG_STEPS = 8
#: Exponent of the hyper-Laplacian gradient prior of the final deconvolution.
ALPHA = 0.8


# --- the Fourier-domain operators -------------------------------------------


def psf2otf(psf: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Transfer function (complex ``shape``) of ``psf`` centred on the origin."""
    kh, kw = psf.shape
    pad = np.zeros(shape)
    pad[:kh, :kw] = psf
    pad = np.roll(pad, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    return np.fft.fft2(pad)


def _otf2psf(otf: np.ndarray, size: int) -> np.ndarray:
    """The centred ``size`` × ``size`` kernel whose transfer function is ``otf``."""
    full = np.real(np.fft.ifft2(otf))
    r = size // 2
    return np.roll(full, (r, r), axis=(0, 1))[:size, :size]


def _diff_otfs(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Transfer functions of the forward differences along x and along y."""
    h, w = shape
    dx = np.exp(2j * np.pi * np.fft.fftfreq(w))[None, :] - 1.0
    dy = np.exp(2j * np.pi * np.fft.fftfreq(h))[:, None] - 1.0
    return np.broadcast_to(dx, shape), np.broadcast_to(dy, shape)


def _grad(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Circular forward differences of ``x`` along x and along y."""
    return np.roll(x, -1, axis=1) - x, np.roll(x, -1, axis=0) - x


def _grad_t(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Adjoint of :func:`_grad` applied to a pair of gradient fields."""
    return (np.roll(gx, 1, axis=1) - gx) + (np.roll(gy, 1, axis=0) - gy)


# --- borders --------------------------------------------------------------------


def periodic_pad(x: np.ndarray, pad: int) -> np.ndarray:
    """``x`` (``(H, W)``) extended by ``pad`` pixels right and below so that it
    tiles the plane without a seam: each added row or column cross-fades from
    the mirror image at the far edge to the mirror image at the near one."""
    for axis in (0, 1):
        x = np.moveaxis(x, axis, 0)
        n = x.shape[0]
        p = min(2 * pad, 2 * n - 2) if n > 1 else 0
        if p > 0:
            j = np.arange(p)
            far = x[np.clip(n - 2 - j, 0, n - 1)]
            near = x[np.clip(p - 1 - j, 0, n - 1)]
            t = ((j + 0.5) / p).reshape((-1,) + (1,) * (x.ndim - 1))
            x = np.concatenate([x, (1 - t) * far + t * near], axis=0)
        x = np.moveaxis(x, 0, axis)
    return x


# --- estimation ---------------------------------------------------------------


def _l0_deconv(y: np.ndarray, otf: np.ndarray, weight: float) -> np.ndarray:
    """The sharp image with few edges that ``otf`` blurs into ``y`` (periodic):
    ``min ||k ⊛ x − y||² + weight·||∇x||₀`` by half-quadratic splitting."""
    fdx, fdy = _diff_otfs(y.shape)
    num = np.conj(otf) * np.fft.fft2(y)
    den_k = np.abs(otf) ** 2
    den_d = np.abs(fdx) ** 2 + np.abs(fdy) ** 2
    x = y.copy()
    beta = 2 * weight
    while beta < 1e5:
        gx, gy = _grad(x)
        flat = gx**2 + gy**2 < weight / beta
        gx[flat] = 0
        gy[flat] = 0
        rhs = num + beta * np.fft.fft2(_grad_t(gx, gy))
        x = np.real(np.fft.ifft2(rhs / (den_k + beta * den_d)))
        beta *= 2
    return x


def _valid_grad(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward differences of ``x`` inside it, no wrap: ``(H − 1, W − 1)`` each."""
    return x[:-1, 1:] - x[:-1, :-1], x[1:, :-1] - x[:-1, :-1]


def _edge_threshold(x: np.ndarray, ksize: int) -> float:
    """The squared gradient magnitude above which ``x`` keeps at least
    ``20·ksize`` pixels in each of four gradient directions: enough strong
    edges of every orientation to constrain a ``ksize`` kernel (Cho and Lee
    2009; Pan et al.'s rule)."""
    gx, gy = _valid_grad(x)
    mag = gx**2 + gy**2
    angle = np.mod(np.arctan2(gy, gx), np.pi)
    bins = np.minimum((angle / (np.pi / 4)).astype(int), 3)
    need = max(int(EDGE_SHARE * np.sqrt(x.size * ksize)), 10)
    cuts = []
    for b in range(4):
        m = np.sort(mag[bins == b])[::-1]
        cuts.append(m[min(need, m.size - 1)] if m.size else 0.0)
    return float(min(cuts))


def _fit_kernel(
    x: np.ndarray,
    blurred: np.ndarray,
    threshold: float,
    size: int,
    support: np.ndarray | None = None,
) -> np.ndarray:
    """The ``size`` kernel that best blurs the strong edges of the sharp image
    ``x`` (squared gradient at least ``threshold``) into those of ``blurred``
    (both ``(H, W)``): Tikhonov least squares on the kernel's support by
    conjugate gradients; then cleaned by :func:`clean_kernel`."""
    gx, gy = _valid_grad(x)
    weak = gx**2 + gy**2 < threshold
    gx[weak] = 0
    gy[weak] = 0
    bx, by = _valid_grad(blurred)
    fgx, fgy = np.fft.fft2(gx), np.fft.fft2(gy)
    m = np.abs(fgx) ** 2 + np.abs(fgy) ** 2
    b = _otf2psf(np.conj(fgx) * np.fft.fft2(bx) + np.conj(fgy) * np.fft.fft2(by), size)

    def apply(k: np.ndarray) -> np.ndarray:
        return _otf2psf(m * psf2otf(k, gx.shape), size) + KERNEL_WEIGHT * k

    k = np.full((size, size), 1.0 / size**2)
    k = _pcg(apply, b, k, lambda v: v, 20)
    if support is not None:
        k = k * support
    return clean_kernel(k)


def clean_kernel(k: np.ndarray) -> np.ndarray:
    """``k`` made a blur kernel: non-negative, values under :data:`KERNEL_CUT`
    of its peak and connected specks holding under a tenth of its weight
    removed, normalised to sum to one (a centred impulse if nothing is left)."""
    k = np.maximum(k, 0.0)
    peak = k.max()
    if peak <= 0:
        return delta_kernel(k.shape[0])
    k[k < KERNEL_CUT * peak] = 0
    count, labels = cv2.connectedComponents((k > 0).astype(np.uint8), connectivity=8)
    total = k.sum()
    for label in range(1, count):
        part = labels == label
        if k[part].sum() < 0.1 * total:
            k[part] = 0
    return k / k.sum()


def delta_kernel(size: int) -> np.ndarray:
    """The identity kernel: a one at the centre of a ``size`` × ``size`` square."""
    k = np.zeros((size, size))
    k[size // 2, size // 2] = 1.0
    return k


def _resize_kernel(k: np.ndarray, size: int) -> np.ndarray:
    out = cv2.resize(k, (size, size), interpolation=cv2.INTER_LINEAR)
    return clean_kernel(out)


def _centre(k: np.ndarray) -> np.ndarray:
    """``k`` shifted by whole pixels so that its extent is centred: the sharp
    picture is placed in the middle of its smear. (Where in the smear it
    belongs cannot be seen in a blurred photograph; the middle moves no part
    of the picture by more than half the smear.)"""
    size = k.shape[0]
    ys, xs = np.nonzero(k)
    dy = size // 2 - (int(ys.min()) + int(ys.max())) // 2
    dx = size // 2 - (int(xs.min()) + int(xs.max())) // 2
    return np.roll(k, (dy, dx), axis=(0, 1))


def estimate_kernel(gray: np.ndarray, size: int = KERNEL_SIZE) -> np.ndarray:
    """The blur kernel (float64 ``(size, size)``, sums to 1, odd ``size``) of
    ``gray`` (float64 ``(H, W)``, [0, 1]), estimated coarse to fine."""
    size |= 1
    h, w = gray.shape
    levels = [size]
    while levels[-1] > 3:
        levels.append(max(int(np.ceil(levels[-1] / np.sqrt(2))) | 1, 3))
        if levels[-1] == levels[-2]:
            levels[-1] -= 2
    levels.reverse()
    k = np.zeros((3, 3))
    k[1, 1:] = 0.5
    weight = L0_WEIGHT
    for ksz in levels:
        scale = ksz / size
        sh, sw = max(int(round(h * scale)), 8), max(int(round(w * scale)), 8)
        y = (
            cv2.resize(gray, (sw, sh), interpolation=cv2.INTER_AREA)
            if scale < 1
            else gray
        )
        k = _resize_kernel(k, ksz) if k.shape[0] != ksz else k
        # The finer kernel stays near where the coarser one found the path.
        support = None
        if ksz > 7:
            near = np.ones((2 * SUPPORT_GROW + 1,) * 2, np.uint8)
            support = cv2.dilate((k > 0).astype(np.uint8), near).astype(np.float64)
        padded = periodic_pad(y, ksz)
        threshold = None
        for _ in range(ITERATIONS):
            x = _l0_deconv(padded, psf2otf(k, padded.shape), weight)[:sh, :sw]
            if threshold is None:
                threshold = _edge_threshold(x, ksz)
            k = _fit_kernel(x, y, threshold, ksz, support)
            threshold /= 1.1
            weight = max(weight / 1.1, L0_FLOOR)
        k = clean_kernel(_centre(k))
    return k


def luminance_kernel(image: np.ndarray, noise_sigma: float) -> np.ndarray:
    """The blur kernel (:func:`estimate_kernel`) of ``image`` (float32
    ``(H, W, C)``, [0, 1], RGB or gray), measured on the luminance of its
    centre (:data:`ESTIMATE_SIDE` square) after non-local means removes the
    noise (σ in [0, 1] units), which would otherwise pass for fine edges."""
    h, w = image.shape[:2]
    y0 = max((h - ESTIMATE_SIDE) // 2, 0)
    x0 = max((w - ESTIMATE_SIDE) // 2, 0)
    crop = image[y0 : y0 + ESTIMATE_SIDE, x0 : x0 + ESTIMATE_SIDE]
    if crop.shape[2] == 3:
        crop = crop[..., 0] * 0.299 + crop[..., 1] * 0.587 + crop[..., 2] * 0.114
    else:
        crop = crop[..., 0]
    u8 = np.clip(np.rint(crop * 255.0), 0, 255).astype(np.uint8)
    h_nlm = PREFILTER * noise_sigma * 255.0
    if h_nlm > 0.5:
        u8 = cv2.fastNlMeansDenoising(u8, h=h_nlm)
    return estimate_kernel(u8.astype(np.float64) / 255.0)


# --- deconvolution --------------------------------------------------------------


def _shrink_table(alpha: float, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """``w(v) = argmin_w |w|^α + β/2 (w − v)²`` tabulated for v in [0, 1]."""
    v = np.linspace(0.0, 1.0, 1001)
    t = np.linspace(0.0, 1.0, 401)[None, :] * v[:, None]
    cost = np.abs(t) ** alpha + beta / 2 * (t - v[:, None]) ** 2
    return v, t[np.arange(v.size), cost.argmin(axis=1)]


def deconvolve(
    plane: np.ndarray, kernel: np.ndarray, noise_sigma: float, alpha: float = ALPHA
) -> np.ndarray:
    """``plane`` (float64 ``(H, W)``, [0, 1]) deconvolved by ``kernel`` under a
    hyper-Laplacian gradient prior weighted by the noise (σ in [0, 1] units),
    by half-quadratic splitting (Krishnan and Fergus 2009); not clipped.

    What lay beyond the borders was blurred into the picture too and is
    unknown: the sharp image is solved on an extended plane whose extension
    only real pixels constrain (each linear step by conjugate gradients,
    preconditioned by the Fourier-domain solution that ignores the borders).
    """
    h, w = plane.shape
    pad = kernel.shape[0]
    y = periodic_pad(plane, pad)
    shape = y.shape
    inside = np.zeros(shape)
    inside[:h, :w] = 1.0
    kh, kw = kernel.shape
    centred = np.zeros(shape)
    centred[:kh, :kw] = kernel
    otf = np.fft.rfft2(np.roll(centred, (-(kh // 2), -(kw // 2)), axis=(0, 1)))
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.rfftfreq(shape[1])[None, :]
    den_k = np.abs(otf) ** 2
    den_d = (2 - 2 * np.cos(2 * np.pi * fx)) + (2 - 2 * np.cos(2 * np.pi * fy))

    def blur(x: np.ndarray, f: np.ndarray) -> np.ndarray:
        return np.fft.irfft2(np.fft.rfft2(x) * f, s=shape)

    kty = blur(inside * y, np.conj(otf))
    # The data term's weight: the noise (at least 8-bit quantisation) sets it.
    sigma = max(noise_sigma, 1.0 / (255.0 * np.sqrt(12.0)))
    lam = DATA_WEIGHT / sigma**2
    x = y.copy()
    beta = 1.0
    while beta <= 256.0:
        v_tab, w_tab = _shrink_table(alpha, beta)
        r = beta / lam
        precond = 1.0 / (den_k + r * den_d)
        gx, gy = _grad(x)
        wx = np.sign(gx) * np.interp(np.abs(gx), v_tab, w_tab)
        wy = np.sign(gy) * np.interp(np.abs(gy), v_tab, w_tab)
        b = kty + r * _grad_t(wx, wy)

        def apply(v: np.ndarray, r: float = r) -> np.ndarray:
            gx, gy = _grad(v)
            return blur(inside * blur(v, otf), np.conj(otf)) + r * _grad_t(gx, gy)

        x = _pcg(apply, b, x, lambda v, p=precond: blur(v, p), CG_STEPS)
        beta *= 2 * np.sqrt(2)
    return x[:h, :w]


def _pcg(apply, b: np.ndarray, x: np.ndarray, precondition, steps: int) -> np.ndarray:
    """``steps`` of preconditioned conjugate gradients on ``apply(x) = b``."""
    r = b - apply(x)
    z = precondition(r)
    p = z.copy()
    rz = float((r * z).sum())
    for _ in range(steps):
        ap = apply(p)
        pap = float((p * ap).sum())
        if pap <= 0 or rz <= 0:
            break
        a = rz / pap
        x = x + a * p
        r = r - a * ap
        z = precondition(r)
        rz_new = float((r * z).sum())
        if rz_new <= 0:
            break
        p = z + (rz_new / rz) * p
        rz = rz_new
    return x


# --- measurement ----------------------------------------------------------------

SIGMA = 2.55 / 255
CROP = 256


def deblur(blurred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``blurred`` (uint8 ``(H, W, 3)``) deblurred blind (uint8), and the kernel."""
    x = blurred.astype(np.float64) / 255.0
    noise = estimate_noise_sigma(x.astype(np.float32))
    kernel = luminance_kernel(x.astype(np.float32), noise)
    out = np.stack([deconvolve(x[..., c], kernel, noise) for c in range(3)], axis=2)
    return np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8), kernel


def aligned_psnr(a: np.ndarray, b: np.ndarray, shift: int = 6) -> float:
    """PSNR (dB) of uint8 ``a`` against uint8 ``b`` at the best whole-pixel
    shift of at most ``shift``, on ``b`` less a ``shift`` border."""
    s = shift
    inner = b[s:-s, s:-s].astype(np.float64)
    best = 0.0
    for dy in range(-s, s + 1):
        for dx in range(-s, s + 1):
            moved = a[s + dy : a.shape[0] - s + dy, s + dx : a.shape[1] - s + dx]
            mse = np.mean((moved.astype(np.float64) - inner) ** 2)
            best = max(best, float(10 * np.log10(255.0**2 / max(mse, 1e-10))))
    return best


def shake_kernels(count: int, seed: int) -> list[np.ndarray]:
    """The training code's hand-held camera-shake kernels (31², sum 1)."""
    import torch

    from restore_app.training.degrade import KERNEL, shake_kernels

    g = torch.Generator().manual_seed(seed)
    r = KERNEL // 2
    ax = torch.arange(-r, r + 1, dtype=torch.float32)
    yy, xx = torch.meshgrid(ax, ax, indexing="ij")
    k = shake_kernels(count, g, "cpu", xx, yy)
    k = k / k.sum(dim=(1, 2), keepdim=True)
    return [_centre(clean_kernel(x.double().numpy())) for x in k]


def _score(rows: list[dict], clean, blurred, label: str) -> None:
    from restore_app.models.engine import restore

    ours, _ = deblur(blurred)
    learned = restore(blurred, task="deblur", restorer_id="deblur.nafnet").pixels
    row = {"image": label}
    for key, img in (("input", blurred), ("kernel", ours), ("deblur.nafnet", learned)):
        row[key] = round(public.psnr(img, clean), 2)
        row[key + " aligned"] = round(aligned_psnr(img, clean), 2)
    rows.append(row)
    print(row, flush=True)


def _summary(rows: list[dict]) -> dict:
    keys = [k for k in rows[0] if k != "image"]
    out = {k: round(float(np.mean([r[k] for r in rows])), 2) for k in keys}
    for k in ("kernel", "deblur.nafnet"):
        gains = [r[k + " aligned"] - r["input aligned"] for r in rows]
        out[k + " worst aligned gain"] = round(float(min(gains)), 2)
    return out


def main() -> int:
    import argparse
    import json

    import torch

    from restore_app.training.data import load_rgb, split_photos

    torch.set_num_threads(1)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, action="append", default=None)
    ap.add_argument("--sets", type=Path, default=ROOT / ".data" / "benchmarks")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    folders = args.data or [
        ROOT / ".data" / "photos-train",
        ROOT / ".data" / "photos-train-extra",
    ]
    results: dict = {}
    val = [p for f in folders if f.is_dir() for p in split_photos(f)[1]]
    rows: list[dict] = []
    for i, (path, k) in enumerate(zip(val, shake_kernels(len(val), 7), strict=True)):
        img = load_rgb(path)
        s = (CROP + 64) / min(img.shape[:2])
        if s < 1:
            img = cv2.resize(img, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
        h, w = img.shape[:2]
        if min(h, w) < CROP:
            continue
        y0, x0 = (h - CROP) // 2, (w - CROP) // 2
        clean = np.ascontiguousarray(img[y0 : y0 + CROP, x0 : x0 + CROP])
        _score(rows, clean, public.blur_circular(clean, k, SIGMA), f"{path.name} #{i}")
    if rows:
        results["validation"] = {"images": rows, "mean": _summary(rows)}
    if (args.sets / "Levin09.mat").exists():
        rows = []
        kernels = public.levin_kernels(args.sets / "Levin09.mat")
        for ki, k in enumerate(kernels):
            for p in public.images(args.sets / "set3c"):
                clean = public.read_rgb(p)
                blurred = public.blur_circular(clean, k, public.DEBLUR_SIGMA)
                _score(rows, clean, blurred, f"{p.stem} kernel {ki + 1}")
        per_kernel = [
            _summary(rows[i : i + len(rows) // len(kernels)])
            for i in range(0, len(rows), len(rows) // len(kernels))
        ]
        results["set3c_levin"] = {"per_kernel": per_kernel, "mean": _summary(rows)}
    for name, res in results.items():
        print(name, json.dumps(res["mean"], ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
