"""PNG encoding that keeps 16-bit colour and the metadata chunks Pillow cannot write
for 16-bit images (iCCP, pHYs, eXIf, XMP in iTXt)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

from restore_app.core.cv import cv2

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_INCH_PER_METRE = 39.37007874015748
_XMP_KEYWORD = b"XML:com.adobe.xmp"


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC of type and data."""
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def metadata_chunks(
    *,
    icc_profile: bytes | None,
    dpi: tuple[float, float] | None,
    exif: bytes | None,
    xmp: bytes | None,
) -> list[bytes]:
    """Ancillary chunks to place after IHDR (iCCP and pHYs must precede IDAT).

    ``exif`` is raw TIFF-structured EXIF (no ``Exif\\0\\0`` header).
    """
    out: list[bytes] = []
    if icc_profile:
        out.append(chunk(b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(icc_profile)))
    if dpi and dpi[0] > 0 and dpi[1] > 0:
        ppm = [max(1, round(d * _INCH_PER_METRE)) for d in dpi]
        out.append(chunk(b"pHYs", struct.pack(">IIB", ppm[0], ppm[1], 1)))
    if exif:
        out.append(chunk(b"eXIf", exif))
    if xmp:
        # keyword, compression flag, method, empty language tag, empty translation.
        out.append(chunk(b"iTXt", _XMP_KEYWORD + b"\x00\x00\x00\x00\x00" + xmp))
    return out


def _encode_gray_alpha(gray: np.ndarray, alpha: np.ndarray) -> bytes:
    # OpenCV writes only 1, 3 or 4 channels; gray+alpha (colour type 4) is written
    # here with filter type 0 on every row.
    h, w = gray.shape
    depth = 16 if gray.dtype == np.uint16 else 8
    interleaved = np.empty((h, w, 2), dtype=">u2" if depth == 16 else np.uint8)
    interleaved[..., 0] = gray
    interleaved[..., 1] = alpha
    rows = interleaved.reshape(h, -1).view(np.uint8)
    raw = np.zeros((h, rows.shape[1] + 1), dtype=np.uint8)
    raw[:, 1:] = rows
    ihdr = struct.pack(">IIBBBBB", w, h, depth, 4, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def encode_png(pixels: np.ndarray, alpha: np.ndarray | None) -> bytes:
    """PNG bytes of ``pixels`` (H, W, C) C=1|3 RGB order, uint8|uint16, with optional
    ``alpha`` (H, W) of the same dtype; no metadata chunks."""
    if pixels.shape[2] == 1 and alpha is not None:
        return _encode_gray_alpha(pixels[..., 0], alpha)
    if pixels.shape[2] == 1:
        data = pixels[..., 0]
    elif alpha is None:
        data = np.ascontiguousarray(pixels[..., ::-1])
    else:
        data = np.empty((*pixels.shape[:2], 4), dtype=pixels.dtype)
        data[..., :3] = pixels[..., ::-1]
        data[..., 3] = alpha
    ok, buf = cv2.imencode(".png", data, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise ValueError("the PNG encoder failed")
    return buf.tobytes()


def write_png(
    path: Path,
    pixels: np.ndarray,
    alpha: np.ndarray | None,
    *,
    icc_profile: bytes | None = None,
    dpi: tuple[float, float] | None = None,
    exif: bytes | None = None,
    xmp: bytes | None = None,
) -> None:
    """Write a PNG of ``pixels`` (H, W, C) C=1|3 RGB, uint8|uint16, optional alpha
    (H, W) same dtype, with the metadata chunks inserted right after IHDR."""
    data = encode_png(pixels, alpha)
    ihdr_end = len(PNG_SIGNATURE) + 8 + 13 + 4
    extra = metadata_chunks(icc_profile=icc_profile, dpi=dpi, exif=exif, xmp=xmp)
    with open(path, "wb") as fh:
        fh.write(data[:ihdr_end])
        for part in extra:
            fh.write(part)
        fh.write(data[ihdr_end:])
