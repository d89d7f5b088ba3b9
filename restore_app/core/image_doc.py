"""An image as the program holds it, and what every format's codec agrees on.

``ImageDoc``: upright pixels at their native depth, alpha kept apart, and the
metadata carried from the scan to what is made of it. A codec (one per file
format: ``tiff_io``, ``pillow_io``) reads a file's ``Header`` first — its
declared size, orientation and how much memory it will take — so that
:mod:`restore_app.core.image` can refuse a file before anything is decoded,
then decodes it; and writes pixels with their metadata.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image

from restore_app.core.identity import FileIdentity

ORIENTATION_TAG = 0x0112
EXIF_HEADER = b"Exif\x00\x00"


@dataclasses.dataclass(frozen=True)
class Header:
    """What a file declares before it is decoded."""

    width: int  # as stored (before its orientation is applied)
    height: int
    orientation: int  # EXIF 1-8
    #: bytes a pixel may take once decoded (all samples, widest type)
    sample_bytes: int
    #: bytes of pixel data it declares as its codec stores them, before
    #: compression (for the plausibility check against the file's size)
    declared_bytes: int


class Codec(Protocol):
    """One file format's reader and writer."""

    def header(self, p: Path) -> Header: ...

    def decode(self, p: Path) -> ImageDoc: ...

    def write(
        self,
        tmp: Path,
        pixels: np.ndarray,
        alpha: np.ndarray | None,
        meta: ImageMeta,
        exif: Image.Exif | None,
        quality: int,
        warnings: list[str],
    ) -> None: ...


@dataclasses.dataclass
class ImageMeta:
    icc_profile: bytes | None = None
    dpi: tuple[float, float] | None = None
    exif: bytes | None = None  # raw EXIF (orientation is reset to 1 on write)
    xmp: bytes | None = None
    source_format: str = ""  # "PNG", "JPEG", "TIFF", "WEBP", "BMP", "GIF"
    source_mode: str = ""  # human description e.g. "RGB 16-bit", "CMYK 8-bit"
    #: "int8" or "int16" for a TIFF of signed samples (pixels hold them offset
    #: into the unsigned range); only a TIFF output can hold them again
    signed: str | None = None
    #: pages (full-resolution images) in the file; only the first is read
    pages: int = 1


@dataclasses.dataclass
class ImageDoc:
    """An upright image: ``pixels`` (H, W, C) C=1 gray or 3 RGB, uint8 | uint16 |
    float32 in [0, 1]; ``alpha`` (H, W) same dtype (0 = transparent) or None, kept
    beside the pixels and never processed."""

    pixels: np.ndarray
    alpha: np.ndarray | None
    meta: ImageMeta = dataclasses.field(default_factory=ImageMeta)
    path: Path | None = None
    #: which version of ``path`` the pixels were read from (when asked for)
    identity: FileIdentity | None = None

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def channels(self) -> int:
        return int(self.pixels.shape[2])

    @property
    def dtype(self) -> np.dtype:
        return self.pixels.dtype

    @property
    def bit_depth(self) -> int:
        return self.pixels.dtype.itemsize * 8


def exif_orientation(raw: bytes | None) -> int:
    if not raw:
        return 1
    exif = Image.Exif()
    try:
        exif.load(raw)
        value = int(exif.get(ORIENTATION_TAG, 1))
    except Exception:  # noqa: BLE001 - damaged EXIF must not stop the image
        return 1
    return value if 1 <= value <= 8 else 1


def strip_exif_header(raw: bytes | None) -> bytes | None:
    if not raw:
        return None
    return raw[len(EXIF_HEADER) :] if raw.startswith(EXIF_HEADER) else raw


def orient(arr: np.ndarray, orientation: int) -> np.ndarray:
    """Turn ``arr`` (H, W, ...) as stored into the upright view for an EXIF
    ``orientation`` (1-8); returns a contiguous array (no copy for 1)."""
    if orientation == 2:
        arr = arr[:, ::-1]
    elif orientation == 3:
        arr = arr[::-1, ::-1]
    elif orientation == 4:
        arr = arr[::-1]
    elif orientation == 5:
        arr = arr.swapaxes(0, 1)
    elif orientation == 6:
        arr = arr.swapaxes(0, 1)[:, ::-1]
    elif orientation == 7:
        arr = arr.swapaxes(0, 1)[::-1, ::-1]
    elif orientation == 8:
        arr = arr.swapaxes(0, 1)[::-1]
    return np.ascontiguousarray(arr)


def upright_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)
