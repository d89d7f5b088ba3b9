"""Damage masks: reading them from any image, saving them losslessly, growing and
shrinking them.

A mask is a bool array (H, W): True where a pixel is to be restored. From an image,
a pixel is True where the mask is brighter than half its range: luminance for a
colour mask, the alpha channel for a mask whose colour is uniform while its alpha
varies (a stroke painted on a transparent layer).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from restore_app.core.atomic import atomic_write_bytes
from restore_app.core.cv import cv2
from restore_app.core.errors import ImageReadError, ImageWriteError, MaskError
from restore_app.core.image import read_image
from restore_app.core.png_io import encode_png

# Rec. 601 luma weights, as image editors use for "brightness" of a colour.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)
_ROWS_PER_CHUNK = 1024  # bounds the float temporaries on 100 MP masks


def _half_range(dtype: np.dtype) -> float:
    if dtype.kind == "f":
        return 0.5
    return np.iinfo(dtype).max / 2.0


def _is_uniform(arr: np.ndarray) -> bool:
    flat = arr.reshape(-1, *arr.shape[2:]) if arr.ndim == 3 else arr.reshape(-1)
    return bool((flat == flat[0]).all())


def _bright(colour: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """True where luminance (times alpha, when given) exceeds half the range."""
    h = colour.shape[0]
    half = _half_range(colour.dtype)
    top = 2.0 * half
    out = np.empty(colour.shape[:2], dtype=bool)
    for y0 in range(0, h, _ROWS_PER_CHUNK):
        rows = colour[y0 : y0 + _ROWS_PER_CHUNK].astype(np.float32)
        lum = rows[..., 0] if rows.shape[2] == 1 else rows @ _LUMA
        if alpha is not None:
            # Composite over black: a transparent pixel counts as dark.
            lum *= alpha[y0 : y0 + _ROWS_PER_CHUNK].astype(np.float32) / np.float32(top)
        out[y0 : y0 + _ROWS_PER_CHUNK] = lum > half
    return out


def mask_from_array(arr: np.ndarray) -> np.ndarray:
    """Bool (H, W) mask, True = restore, from ``arr``: (H, W) or (H, W, C) with C =
    1 gray, 2 gray+alpha, 3 RGB, 4 RGBA; bool, any unsigned integer, or float in
    [0, 1].

    True where brighter than half the dtype's range (luminance for colour). If the
    colour is uniform and alpha varies, alpha alone decides; if both vary, the
    colour composited over black decides; a uniform alpha is ignored.
    """
    arr = np.asarray(arr)
    if arr.dtype == bool:
        return arr.any(axis=2) if arr.ndim == 3 else arr.copy()
    if arr.dtype.kind not in "uif":
        raise MaskError(f"a mask cannot be made from {arr.dtype} values")
    if arr.dtype.kind == "i":
        arr = np.clip(arr, 0, None).astype(np.uint16 if arr.itemsize > 1 else np.uint8)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 2, 3, 4):
        raise MaskError(f"a mask must be (H, W) or (H, W, 1-4), not {arr.shape}")
    if arr.shape[2] in (1, 3):
        return _bright(arr, None)
    colour, alpha = arr[..., :-1], arr[..., -1]
    if _is_uniform(alpha):
        return _bright(colour, None)
    if _is_uniform(colour):
        return alpha > _half_range(arr.dtype)
    return _bright(colour, alpha)


def read_mask(path: str | os.PathLike[str], shape: tuple[int, int]) -> np.ndarray:
    """Read a mask image (any format, upright after EXIF orientation) as bool (H, W),
    True = restore; MaskError if unreadable or not ``shape`` (H, W) in size."""
    p = Path(path)
    try:
        doc = read_image(p)
    except ImageReadError as exc:
        raise MaskError(f"mask {exc}") from None
    height, width = int(shape[0]), int(shape[1])
    if (doc.height, doc.width) != (height, width):
        raise MaskError(
            f"{p}: mask is {doc.width}×{doc.height} but the image is {width}×{height}"
        )
    if doc.alpha is None:
        return mask_from_array(doc.pixels)
    return mask_from_array(np.concatenate([doc.pixels, doc.alpha[..., None]], axis=2))


def encode_mask(mask: np.ndarray) -> bytes:
    """The lossless 8-bit gray PNG (0 and 255) that :func:`write_mask` writes."""
    data = np.where(np.asarray(mask).astype(bool), np.uint8(255), np.uint8(0))
    return encode_png(data[..., None], None)


def mask_sha256(mask: np.ndarray) -> str:
    """SHA-256 of ``mask`` (bool (H, W)) as :func:`write_mask` would write it, so a
    record can name a mask that lives only in memory, and a file checks against it."""
    import hashlib

    return hashlib.sha256(encode_mask(mask)).hexdigest()


def write_mask(
    mask: np.ndarray, path: str | os.PathLike[str], *, overwrite: bool = True
) -> None:
    """Save ``mask`` (bool (H, W), True = restore) as a lossless 8-bit gray PNG with
    values 0 and 255, atomically. MaskError for any extension other than .png."""
    p = Path(path)
    if p.suffix.lower() != ".png":
        raise MaskError(
            f"{p}: masks are saved as lossless PNG, not {p.suffix or 'no extension'}"
        )
    mask = np.asarray(mask)
    if mask.ndim != 2 or 0 in mask.shape:
        raise MaskError(f"{p}: a mask must be (H, W), not {mask.shape}")
    try:
        atomic_write_bytes(p, encode_mask(mask), overwrite=overwrite)
    except ImageWriteError as exc:
        raise MaskError(str(exc)) from None


def write_label_image(
    labels: np.ndarray, path: str | os.PathLike[str], *, overwrite: bool = True
) -> None:
    """Save a label image (uint8 (H, W), each value a damage kind's label, 0 none)
    as a lossless 8-bit gray PNG, atomically."""
    p = Path(path)
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.dtype != np.uint8:
        raise MaskError(f"{p}: a label image is uint8 (H, W), not {labels.shape}")
    try:
        atomic_write_bytes(p, encode_png(labels[..., None], None), overwrite=overwrite)
    except ImageWriteError as exc:
        raise MaskError(str(exc)) from None


def mask_bounds(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) of the True pixels of a bool (H, W) mask, or None."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask[rows[0] : rows[-1] + 1].any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def region_count(mask: np.ndarray) -> int:
    """Separate regions (8-connected) of a bool mask."""
    if not mask.any():
        return 0
    return int(cv2.connectedComponents(mask.view(np.uint8), connectivity=8)[0] - 1)


def _kernel(pixels: int) -> np.ndarray:
    size = 2 * pixels + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


def grow_mask(mask: np.ndarray, pixels: int) -> np.ndarray:
    """``mask`` (bool (H, W), True = restore) dilated by a disc of radius ``pixels``;
    a negative radius shrinks it."""
    pixels = int(pixels)
    if pixels < 0:
        return shrink_mask(mask, -pixels)
    m = np.asarray(mask, dtype=bool)
    if pixels == 0 or not m.any():
        return m.copy()
    return cv2.dilate(np.ascontiguousarray(m).view(np.uint8), _kernel(pixels)).astype(
        bool
    )


def shrink_mask(mask: np.ndarray, pixels: int) -> np.ndarray:
    """``mask`` (bool (H, W), True = restore) eroded by a disc of radius ``pixels``;
    the image border does not erode it. A negative radius grows it."""
    pixels = int(pixels)
    if pixels < 0:
        return grow_mask(mask, -pixels)
    m = np.asarray(mask, dtype=bool)
    if pixels == 0 or not m.any():
        return m.copy()
    return cv2.erode(np.ascontiguousarray(m).view(np.uint8), _kernel(pixels)).astype(
        bool
    )
