"""Clean training images: photographs, scikit-image's samples and dead-leaves.

All images are held on the training device as uint8 tensors; batches of random
crops with augmentations (scale, flips, rotations, gray, sepia, exposure) are
cut on the device, so the GPU is never waiting for the CPU.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp")


def split_photos(folder: Path) -> tuple[list[Path], list[Path]]:
    """(train, validation): every 8th photo in name order is held out."""
    photos = sorted(
        p for p in Path(folder).iterdir() if p.suffix.lower() in PHOTO_SUFFIXES
    )
    if not photos:
        raise FileNotFoundError(f"no photographs in {folder}")
    val = photos[3::8]
    train = [p for p in photos if p not in val]
    return train, val


def load_rgb(path: Path) -> np.ndarray:
    """An 8-bit RGB image (H, W, 3) uint8."""
    data = np.fromfile(str(path), np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f"cannot read {path}")
    return np.ascontiguousarray(img[..., ::-1])


def skimage_photos() -> list[np.ndarray]:
    """Natural photographs shipped inside scikit-image (none if it is not installed)."""
    try:
        from skimage import data
    except ImportError:
        return []
    out = []
    for name in ("astronaut", "coffee", "chelsea", "rocket", "immunohistochemistry"):
        try:
            img = getattr(data, name)()
        except Exception:  # noqa: BLE001 - a missing sample is not fatal
            continue
        if img.ndim == 3 and img.shape[2] == 3:
            out.append(np.ascontiguousarray(img.astype(np.uint8)))
    return out


def dead_leaves(size: int, rng: np.random.Generator, count: int = 3000) -> np.ndarray:
    """A dead-leaves image (uint8 (size, size, 3)): occluding discs with a power-law
    size distribution, whose statistics resemble natural images'."""
    img = np.empty((size, size, 3), np.uint8)
    img[:] = rng.integers(0, 256, 3)
    rmin, rmax = 1.5, size / 3
    # r ~ r^-3 between rmin and rmax (inverse-CDF sampling); later discs occlude.
    u = rng.random(count)
    radii = (rmin**-2 - u * (rmin**-2 - rmax**-2)) ** -0.5
    centres = rng.uniform(0, size, (count, 2)).astype(int)
    colours = rng.integers(0, 256, (count, 3))
    for r, c, col in zip(radii, centres, colours, strict=True):
        cv2.circle(img, (int(c[0]), int(c[1])), int(r), tuple(int(v) for v in col), -1)
    return cv2.GaussianBlur(img, (0, 0), 0.6)


class Sampler:
    """Random augmented crops (N, 3, P, P) float32 [0, 1] from images on ``device``."""

    def __init__(
        self,
        images: list[np.ndarray],
        procedural: list[np.ndarray],
        device: str,
        seed: int,
        procedural_p: float = 0.1,
    ) -> None:
        self.device = device
        self.images = [torch.from_numpy(i).permute(2, 0, 1).to(device) for i in images]
        self.procedural = [
            torch.from_numpy(i).permute(2, 0, 1).to(device) for i in procedural
        ]
        self.procedural_p = procedural_p if self.procedural else 0.0
        self.g = torch.Generator(device=device)
        self.g.manual_seed(seed)
        self.rng = np.random.default_rng(seed)

    def _crop(self, img: torch.Tensor, patch: int) -> torch.Tensor:
        _, h, w = img.shape
        # Downscaling a photo (up to 2×) varies the scale of its detail and
        # washes out its own JPEG artefacts; never upscale (that would teach blur).
        max_scale = min(h, w) / patch
        scale = float(self.rng.uniform(1.0, min(2.0, max_scale)))
        side = int(patch * scale)
        y = int(self.rng.integers(0, h - side + 1))
        x = int(self.rng.integers(0, w - side + 1))
        crop = img[:, y : y + side, x : x + side].float()[None] / 255
        if side != patch:
            crop = F.interpolate(crop, size=(patch, patch), mode="area")
        return crop[0]

    def batch(self, n: int, patch: int) -> torch.Tensor:
        crops = []
        for _ in range(n):
            pool = (
                self.procedural
                if self.rng.random() < self.procedural_p
                else self.images
            )
            img = pool[int(self.rng.integers(0, len(pool)))]
            c = self._crop(img, patch)
            k = int(self.rng.integers(0, 4))
            c = torch.rot90(c, k, dims=(1, 2))
            if self.rng.random() < 0.5:
                c = c.flip(2)
            crops.append(c)
        x = torch.stack(crops)
        return self._colour(x)

    def _colour(self, x: torch.Tensor) -> torch.Tensor:
        """Exposure, gray and sepia: old photos are often monochrome or toned."""
        n = x.shape[0]
        dev = x.device
        gain = 0.75 + 0.4 * torch.rand(n, 1, 1, 1, generator=self.g, device=dev)
        gamma = torch.exp(
            (torch.rand(n, 1, 1, 1, generator=self.g, device=dev) - 0.5) * 0.5
        )
        x = (x.clamp(0, 1) ** gamma * gain).clamp(0, 1)
        lum = 0.299 * x[:, :1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]
        u = torch.rand(n, generator=self.g, device=dev).view(-1, 1, 1, 1)
        sepia = torch.cat([lum * 1.07, lum * 0.93, lum * 0.72], 1).clamp(0, 1)
        gray = lum.expand_as(x)
        return torch.where(u < 0.2, gray, torch.where(u < 0.32, sepia, x))


def validation_crops(paths: list[Path], patch: int) -> torch.Tensor:
    """Fixed central crops (N, 3, P, P) float32 of the held-out photos (a photo
    narrower than P is mirrored out at its edges to P)."""
    crops = []
    for p in paths:
        img = load_rgb(p)
        h, w = img.shape[:2]
        if min(h, w) < patch:
            dy, dx = max(patch - h, 0), max(patch - w, 0)
            img = cv2.copyMakeBorder(
                img,
                dy // 2,
                dy - dy // 2,
                dx // 2,
                dx - dx // 2,
                cv2.BORDER_REFLECT_101,
            )
            h, w = img.shape[:2]
        for fy, fx in ((0.5, 0.5), (0.3, 0.3), (0.7, 0.7)):
            y = min(max(int(h * fy) - patch // 2, 0), h - patch)
            x = min(max(int(w * fx) - patch // 2, 0), w - patch)
            crops.append(img[y : y + patch, x : x + patch])
    arr = np.stack(crops).astype(np.float32) / 255
    return torch.from_numpy(arr).permute(0, 3, 1, 2).contiguous()
