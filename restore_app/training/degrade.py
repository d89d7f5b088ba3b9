"""Synthetic degradations modelled on old photographs, in batches on the device.

Every function takes a batch ``x`` of shape (N, 3, H, W), float32 in [0, 1],
RGB, and a ``torch.Generator`` on the same device, and returns a degraded batch
of the same shape (clamped to [0, 1]). Masks of damage are drawn with OpenCV on
the CPU once, into a bank that batches sample from.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import torch
import torch.nn.functional as F

# --- noise ------------------------------------------------------------------


def _uniform(n: int, lo: float, hi: float, g: torch.Generator, dev) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=g, device=dev)


def gaussian_noise(
    x: torch.Tensor, sigma: torch.Tensor, g: torch.Generator
) -> torch.Tensor:
    """White Gaussian noise of per-sample std ``sigma`` (N,) in [0, 1] units."""
    n = torch.randn(x.shape, generator=g, device=x.device)
    return x + n * sigma.view(-1, 1, 1, 1)


def poisson_gaussian(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Signal-dependent sensor noise: variance ``a·x + b²`` per pixel."""
    n = x.shape[0]
    a = _uniform(n, 0.0005, 0.02, g, x.device).view(-1, 1, 1, 1)
    b = _uniform(n, 0.0, 0.03, g, x.device).view(-1, 1, 1, 1)
    std = torch.sqrt(a * x.clamp(0, 1) + b**2)
    return x + torch.randn(x.shape, generator=g, device=x.device) * std


def _gauss_kernel1d(sigma: float, dev) -> torch.Tensor:
    r = max(int(math.ceil(3 * sigma)), 1)
    ax = torch.arange(-r, r + 1, device=dev, dtype=torch.float32)
    k = torch.exp(-(ax**2) / (2 * sigma**2))
    return k / k.sum()


def blur_gaussian_sep(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of one width for the whole batch (reflect borders)."""
    k = _gauss_kernel1d(sigma, x.device)
    c = x.shape[1]
    r = k.numel() // 2
    x = F.pad(x, (r, r, r, r), mode="reflect")
    x = F.conv2d(x, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(x, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def film_grain(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Film grain: correlated, strongest in the mid-tones, mostly monochrome."""
    n, _, h, w = x.shape
    dev = x.device
    size = float(_uniform(1, 0.5, 1.6, g, dev))
    mono = torch.randn((n, 1, h, w), generator=g, device=dev)
    colour = torch.randn((n, 3, h, w), generator=g, device=dev)
    chroma = _uniform(n, 0.0, 0.6, g, dev).view(-1, 1, 1, 1)
    grain = mono * (1 - chroma) + colour * chroma
    grain = blur_gaussian_sep(grain, size)
    grain = grain / grain.flatten(1).std(dim=1).view(-1, 1, 1, 1).clamp_min(1e-6)
    amp = _uniform(n, 4 / 255, 30 / 255, g, dev).view(-1, 1, 1, 1)
    lum = (0.299 * x[:, :1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]).clamp(0, 1)
    # Silver grain shows most in the mid-tones, least in deep shadows/highlights.
    tone = 0.35 + 2.6 * lum * (1 - lum)
    return x + grain * amp * tone


# --- JPEG -------------------------------------------------------------------

_Y_TABLE = torch.tensor(
    [
        [16, 11, 10, 16, 24, 40, 51, 61],
        [12, 12, 14, 19, 26, 58, 60, 55],
        [14, 13, 16, 24, 40, 57, 69, 56],
        [14, 17, 22, 29, 51, 87, 80, 62],
        [18, 22, 37, 56, 68, 109, 103, 77],
        [24, 35, 55, 64, 81, 104, 113, 92],
        [49, 64, 78, 87, 103, 121, 120, 101],
        [72, 92, 95, 98, 112, 100, 103, 99],
    ],
    dtype=torch.float32,
)
_C_TABLE = torch.full((8, 8), 99.0)
_C_TABLE[:4, :4] = torch.tensor(
    [[17, 18, 24, 47], [18, 21, 26, 66], [24, 26, 56, 99], [47, 66, 99, 99]],
    dtype=torch.float32,
)


def _dct_matrix(dev) -> torch.Tensor:
    k = torch.arange(8, device=dev, dtype=torch.float32)
    m = torch.cos((2 * k[None, :] + 1) * k[:, None] * math.pi / 16) * math.sqrt(2 / 8)
    m[0] /= math.sqrt(2)
    return m


def jpeg(x: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
    """Baseline JPEG: YCbCr, 4:2:0 chroma, 8×8 DCT quantised with the standard tables.

    ``quality`` (N,) in [1, 100]. Sides must be multiples of 16.
    """
    dev = x.device
    n, _, h, w = x.shape
    r, g_, b = x[:, 0], x[:, 1], x[:, 2]
    y = 0.299 * r + 0.587 * g_ + 0.114 * b
    cb = -0.168736 * r - 0.331264 * g_ + 0.5 * b
    cr = 0.5 * r - 0.418688 * g_ - 0.081312 * b
    q = quality.clamp(1, 100)
    scale = torch.where(q < 50, 5000 / q, 200 - 2 * q).view(-1, 1, 1, 1, 1) / 100
    d = _dct_matrix(dev)

    def code(plane: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
        ph, pw = plane.shape[-2:]
        blocks = plane.view(n, ph // 8, 8, pw // 8, 8).permute(0, 1, 3, 2, 4) * 255
        coef = d @ blocks @ d.T
        qt = torch.clamp(torch.floor(table.to(dev) * scale + 0.5), 1, 255)
        coef = torch.round(coef / qt) * qt
        blocks = d.T @ coef @ d / 255
        return blocks.permute(0, 1, 3, 2, 4).reshape(n, ph, pw)

    y = code(y, _Y_TABLE)
    sub = F.avg_pool2d(torch.stack([cb, cr], 1), 2)
    cb2 = code(sub[:, 0], _C_TABLE)
    cr2 = code(sub[:, 1], _C_TABLE)
    up = F.interpolate(torch.stack([cb2, cr2], 1), scale_factor=2, mode="bilinear")
    cb, cr = up[:, 0], up[:, 1]
    out = torch.stack(
        [y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], dim=1
    )
    return out


# --- blur -------------------------------------------------------------------

KERNEL = 31


def blur_kernels(
    n: int, g: torch.Generator, dev, identity_p: float = 0.05
) -> torch.Tensor:
    """Random blur kernels (N, 1, 31, 31): Gaussian (a quarter), defocus r ≤ 4 (30 %),
    motion ≤ 19 px (45 %).

    All three kinds are drawn for the whole batch at once and each sample keeps
    one: a few large tensor operations instead of a loop of tiny ones, which
    kept the GPU waiting. Motion blur gets the largest share, and lengths past
    the 15 px the model is meant for, since it is the hardest of the three to
    recognise blind (the model trailed deconvolution given the true kernel
    only there).
    """
    r = KERNEL // 2
    ax = torch.arange(-r, r + 1, device=dev, dtype=torch.float32)
    yy, xx = torch.meshgrid(ax, ax, indexing="ij")
    rr2 = (xx**2 + yy**2)[None]
    sigma = _uniform(n, 0.4, 3.0, g, dev).view(-1, 1, 1)
    gauss = torch.exp(-rr2 / (2 * sigma**2))
    radius = _uniform(n, 0.8, 4.0, g, dev).view(-1, 1, 1)
    # Anti-aliased disc: coverage of each pixel by the circle of confusion.
    disc = (radius + 0.5 - torch.sqrt(rr2)).clamp(0, 1)
    motion = _motion_kernels(n, g, dev, xx, yy)
    # A third of the motion blurs are hand-held shake, longer and less regular.
    shake = torch.rand(n, generator=g, device=dev) < 1 / 3
    motion = torch.where(shake.view(-1, 1, 1), shake_kernels(n, g, dev, xx, yy), motion)
    u = torch.rand(n, generator=g, device=dev)
    kinds = ((u >= 0.25).long() + (u >= 0.55).long()).view(-1, 1, 1)
    k = torch.where(kinds == 0, gauss, torch.where(kinds == 1, disc, motion))
    out = (k / k.sum(dim=(1, 2), keepdim=True))[:, None]
    ident = torch.rand(n, generator=g, device=dev) < identity_p
    if ident.any():
        out[ident] = 0
        out[ident, 0, r, r] = 1
    return out


def _motion_kernels(
    n: int, g: torch.Generator, dev, xx, yy, hard_p: float = 0.5
) -> torch.Tensor:
    """Camera-shake paths (N, 31, 31): slightly curved strokes of 3–19 pixels.

    Half are smooth (the path spread over neighbouring pixels, as a sensor
    integrates it); the other half are hard 1-pixel rasterised strokes of equal
    weight, as image editors and augmentation libraries draw motion kernels. A
    network that had seen only the smooth kind trailed deconvolution given the
    true kernel by 1.7 dB on a hard 9 px stroke, against 0.5 dB on a smooth one.
    """
    steps = 64
    length = _uniform(n, 3.0, 19.0, g, dev).view(-1, 1)
    angle = _uniform(n, 0, math.pi, g, dev).view(-1, 1)
    bend = _uniform(n, -0.8, 0.8, g, dev).view(-1, 1)
    t = torch.linspace(-0.5, 0.5, steps, device=dev)[None]
    theta = angle + bend * t
    dx = torch.cumsum(torch.cos(theta), 1)
    dy = torch.cumsum(torch.sin(theta), 1)
    dx = (dx - dx.mean(1, keepdim=True)) * length / steps
    dy = (dy - dy.mean(1, keepdim=True)) * length / steps
    d2 = (xx[None, None] - dx[..., None, None]) ** 2 + (
        yy[None, None] - dy[..., None, None]
    ) ** 2
    smooth = torch.exp(-d2 / (2 * 0.5**2)).sum(1)
    # One pixel where the path crosses each column (or row, where it runs
    # closer to vertical), each counted once: an 8-connected digital line.
    run = length / steps
    cx, sy = torch.cos(theta).abs(), torch.sin(theta).abs()
    major = torch.where(cx >= sy, dx, dy)
    crossing = (major - major.round()).abs() <= torch.maximum(cx, sy) * run / 2
    hits = (xx[None, None] == dx.round()[..., None, None]) & (
        yy[None, None] == dy.round()[..., None, None]
    )
    hard = (hits & crossing[..., None, None]).any(1).float()
    pick = torch.rand(n, generator=g, device=dev) < hard_p
    pick &= hard.sum(dim=(1, 2)) > 0  # never an empty kernel
    return torch.where(pick.view(-1, 1, 1), hard, smooth)


def shake_kernels(n: int, g: torch.Generator, dev, xx, yy) -> torch.Tensor:
    """Hand-held camera shake (N, 31, 31): a random walk with inertia, 5–27 px
    across, its weight where the camera dwelt, as Levin et al. recorded.

    The trajectory's velocity drifts by random accelerations, so the path turns
    and doubles back; each step leaves the same weight, so slow stretches (where
    steps bunch) are brighter, as the camera dwelt there longer.
    """
    steps = 96
    acc = torch.randn((n, steps, 2), generator=g, device=dev)
    vel = torch.cumsum(acc, 1) + 3 * torch.randn((n, 1, 2), generator=g, device=dev)
    pos = torch.cumsum(vel, 1)
    pos = pos - pos.mean(1, keepdim=True)
    extent = (pos.amax(1) - pos.amin(1)).amax(1).clamp_min(1e-6)
    size = _uniform(n, 5.0, 27.0, g, dev)
    pos = pos * (size / extent).view(-1, 1, 1)
    d2 = (xx[None, None] - pos[..., 0, None, None]) ** 2 + (
        yy[None, None] - pos[..., 1, None, None]
    ) ** 2
    return torch.exp(-d2 / (2 * 0.5**2)).sum(1)


def apply_kernels(x: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Convolve each sample of ``x`` with its own kernel (reflect borders)."""
    n, c, h, w = x.shape
    r = kernels.shape[-1] // 2
    xp = F.pad(x, (r, r, r, r), mode="reflect").reshape(1, n * c, h + 2 * r, w + 2 * r)
    weight = kernels.repeat_interleave(c, dim=0).flip(-1, -2)
    return F.conv2d(xp, weight, groups=n * c).view(n, c, h, w)


# --- the three training tasks ----------------------------------------------


#: Share of denoising samples given no noise at all: a clean photograph's
#: texture is what a blind denoiser must learn to leave alone.
CLEAN_SHARE = 0.1


def degrade_noise(
    x: torch.Tensor, g: torch.Generator, clean_share: float = CLEAN_SHARE
) -> torch.Tensor:
    """Blind denoising input: Gaussian / Poisson–Gaussian / grain, sometimes JPEG;
    ``clean_share`` of the samples left clean."""
    n = x.shape[0]
    dev = x.device
    out = x.clone()
    kind = torch.randint(0, 3, (n,), generator=g, device=dev)
    if clean_share > 0:  # kind 3: untouched
        kind[torch.rand(n, generator=g, device=dev) < clean_share] = 3
    sig = _uniform(n, 0.0, 55 / 255, g, dev)
    for k in range(3):
        sel = kind == k
        if not sel.any():
            continue
        if k == 0:
            out[sel] = gaussian_noise(x[sel], sig[sel], g)
        elif k == 1:
            out[sel] = poisson_gaussian(x[sel], g)
        else:
            out[sel] = film_grain(x[sel], g)
    jp = (torch.rand(n, generator=g, device=dev) < 0.25) & (kind != 3)
    if jp.any():
        q = _uniform(int(jp.sum()), 25, 95, g, dev)
        out[jp] = jpeg(out[jp].clamp(0, 1), q)
    return out.clamp(0, 1)


def degrade_blur(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Blind deblurring input: defocus, motion or Gaussian blur, light noise, JPEG."""
    n = x.shape[0]
    dev = x.device
    out = apply_kernels(x, blur_kernels(n, g, dev))
    sig = _uniform(n, 0.0, 8 / 255, g, dev) * (
        torch.rand(n, generator=g, device=dev) < 0.7
    )
    out = gaussian_noise(out, sig, g)
    jp = torch.rand(n, generator=g, device=dev) < 0.15
    if jp.any():
        q = _uniform(int(jp.sum()), 60, 95, g, dev)
        out[jp] = jpeg(out[jp].clamp(0, 1), q)
    return out.clamp(0, 1)


# --- damage masks ------------------------------------------------------------


def _scratch(m: np.ndarray, rng: np.random.Generator) -> None:
    h, w = m.shape
    # Long, nearly straight scratches run across the print.
    x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
    ang = rng.uniform(0, np.pi)
    length = rng.uniform(0.4, 1.5) * max(h, w)
    pts = []
    curve = rng.normal(0, 0.002)
    for t in np.linspace(-0.5, 0.5, 20):
        a = ang + curve * t * length
        pts.append((x0 + np.cos(a) * t * length, y0 + np.sin(a) * t * length))
    thick = int(rng.choice([1, 1, 2, 2, 3, 4, 6]))
    cv2.polylines(m, [np.int32(pts)], False, 1, thick, lineType=cv2.LINE_8)


def _crack(m: np.ndarray, rng: np.random.Generator) -> None:
    h, w = m.shape
    stack = [(rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0, 2 * np.pi), 0)]
    while stack:
        x, y, a, depth = stack.pop()
        for _ in range(int(rng.integers(10, 40))):
            a += rng.normal(0, 0.35)
            nx, ny = x + 4 * np.cos(a), y + 4 * np.sin(a)
            cv2.line(
                m, (int(x), int(y)), (int(nx), int(ny)), 1, int(rng.integers(1, 4))
            )
            x, y = nx, ny
            if depth < 3 and rng.random() < 0.06:
                stack.append(
                    (x, y, a + rng.choice([-1, 1]) * rng.uniform(0.5, 1.2), depth + 1)
                )


def _dust(m: np.ndarray, rng: np.random.Generator) -> None:
    h, w = m.shape
    for _ in range(int(rng.integers(5, 60))):
        c = (int(rng.uniform(0, w)), int(rng.uniform(0, h)))
        if rng.random() < 0.7:
            cv2.circle(m, c, int(rng.integers(1, 4)), 1, -1)
        else:  # hairs and fibres
            a = rng.uniform(0, np.pi)
            ln = rng.uniform(5, 30)
            e = (int(c[0] + ln * np.cos(a)), int(c[1] + ln * np.sin(a)))
            cv2.line(m, c, e, 1, 1)


def _blotch(m: np.ndarray, rng: np.random.Generator) -> None:
    h, w = m.shape
    c = np.array([rng.uniform(0, w), rng.uniform(0, h)])
    r = rng.uniform(5, 50)
    n = int(rng.integers(6, 14))
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = r * rng.uniform(0.5, 1.3, n)
    pts = np.stack([c[0] + rad * np.cos(ang), c[1] + rad * np.sin(ang)], 1)
    cv2.fillPoly(m, [np.int32(pts)], 1)


def _tear(m: np.ndarray, rng: np.random.Generator) -> None:
    h, w = m.shape
    side = int(rng.integers(0, 4))
    depth = rng.uniform(10, 100)
    t = np.linspace(0, 1, 12)
    start, span = rng.uniform(0, 0.6), rng.uniform(0.2, 0.5)
    along = (start + span * t) * (w if side % 2 == 0 else h)
    inward = depth * np.sin(np.pi * t) * rng.uniform(0.5, 1.0, t.size)
    if side == 0:
        pts = np.stack([along, inward], 1)
    elif side == 1:
        pts = np.stack([w - inward, along], 1)
    elif side == 2:
        pts = np.stack([along, h - inward], 1)
    else:
        pts = np.stack([inward, along], 1)
    cv2.fillPoly(m, [np.int32(pts)], 1)


def stroke(m: np.ndarray, rng: np.random.Generator) -> None:
    # A brush stroke painted over a wide loss (a torn-off corner's edge, a
    # stain, writing): 8–48 px wide, bending at a few points, as people paint
    # masks in the window.
    h, w = m.shape
    x, y = rng.uniform(0, w), rng.uniform(0, h)
    a = rng.uniform(0, 2 * np.pi)
    pts = [(x, y)]
    for _ in range(int(rng.integers(1, 5))):
        a += rng.normal(0, 0.7)
        step = rng.uniform(0.1, 0.4) * max(h, w)
        x, y = x + step * np.cos(a), y + step * np.sin(a)
        pts.append((x, y))
    cv2.polylines(m, [np.int32(pts)], False, 1, int(rng.integers(8, 49)))


_DAMAGE = (_scratch, _crack, _dust, _blotch, _tear, stroke)
# How often each kind is drawn: thin damage most, wide strokes and tears less.
_DAMAGE_SHARE = (0.25, 0.15, 0.15, 0.15, 0.1, 0.2)


def damage_mask(size: int, rng: np.random.Generator) -> np.ndarray:
    """One mask (uint8 ``(size, size)``, 1 = damaged) mixing several kinds of damage."""
    while True:
        m = np.zeros((size, size), np.uint8)
        for _ in range(int(rng.integers(1, 5))):
            _DAMAGE[int(rng.choice(len(_DAMAGE), p=_DAMAGE_SHARE))](m, rng)
        cover = m.mean()
        if 0.005 < cover < 0.35:
            return m


def mask_bank(count: int, size: int, seed: int) -> np.ndarray:
    """``count`` damage masks (uint8 ``(count, size, size)``) from a fixed seed."""
    rng = np.random.default_rng(seed)
    return np.stack([damage_mask(size, rng) for _ in range(count)])
