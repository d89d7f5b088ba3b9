"""Pillow and OpenCV codecs for PNG, JPEG, WebP, BMP and GIF: pixels out of
Pillow's modes at their native depth, 16-bit colour PNG through OpenCV, and 8-bit
writing for the formats that hold only 8 bits."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms

from restore_app.core.cv import cv2
from restore_app.core.errors import ImageReadError
from restore_app.core.image_doc import (
    EXIF_HEADER,
    Header,
    ImageDoc,
    ImageMeta,
    exif_orientation,
    orient,
    strip_exif_header,
)
from restore_app.core.png_io import write_png

_PLAIN_MODES = {"L": "gray 8-bit", "LA": "gray+alpha 8-bit", "RGB": "RGB 8-bit",
                "RGBA": "RGBA 8-bit", "F": "gray 32-bit float"}  # fmt: skip


def png_header(p: Path) -> tuple[int, int]:
    """(bit depth, colour type) from a PNG's IHDR."""
    with open(p, "rb") as fh:
        head = fh.read(26)
    return head[24], head[25]


def decode_png16(p: Path, colour_type: int) -> tuple[np.ndarray, np.ndarray | None]:
    # Bytes are read by Python, not by OpenCV, so non-ASCII paths work everywhere.
    buf = np.frombuffer(p.read_bytes(), dtype=np.uint8)
    arr = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED)
    if arr is None or arr.dtype != np.uint16:
        raise ImageReadError(f"{p}: damaged or truncated PNG file")
    if arr.ndim == 2:
        return arr[..., None], None
    gray = colour_type in (0, 4)  # OpenCV expands gray+alpha to BGRA
    if arr.shape[2] == 4:
        colour = arr[..., :1] if gray else arr[..., 2::-1]
        alpha = arr[..., 3]
    else:
        colour, alpha = (arr[..., :1] if gray else arr[..., ::-1]), None
    return np.ascontiguousarray(colour), (
        np.ascontiguousarray(alpha) if alpha is not None else None
    )


def xmp_from_info(info: dict) -> bytes | None:
    value = info.get("xmp") or info.get("XML:com.adobe.xmp")
    if isinstance(value, str):
        value = value.encode("utf-8")
    return bytes(value) if value else None


def dpi_from_info(info: dict) -> tuple[float, float] | None:
    dpi = info.get("dpi")
    if not dpi:
        return None
    # PNG stores pixels per metre: 300 dpi comes back as 299.9994.
    x, y = round(float(dpi[0]), 2), round(float(dpi[1]), 2)
    return (x, y) if x > 0 and y > 0 else None


def _cmyk_to_rgb(im: Image.Image) -> tuple[Image.Image, bytes | None]:
    """Convert CMYK through its embedded profile when it has one (sRGB result)."""
    icc = im.info.get("icc_profile")
    if icc:
        with contextlib.suppress(Exception):
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
            rgb = ImageCms.profileToProfile(im, src, srgb, outputMode="RGB")
            if rgb is not None:
                return rgb, srgb.tobytes()
    # No usable profile: the naive formula, and no profile claimed for the result.
    return im.convert("RGB"), None


def pillow_pixels(
    im: Image.Image,
) -> tuple[np.ndarray, np.ndarray | None, str, bytes | None]:
    """(pixels, alpha, mode description, icc override or b"" for unchanged)."""
    mode = im.mode
    icc_override: bytes | None = b""
    has_trns = "transparency" in im.info
    if mode == "1":
        im, desc = im.convert("L"), "bilevel 1-bit"
    elif mode in ("P", "PA"):
        keep_alpha = mode == "PA" or has_trns or im.palette.mode == "RGBA"
        im, desc = im.convert("RGBA" if keep_alpha else "RGB"), "palette 8-bit"
    elif mode == "CMYK":
        im, icc_override = _cmyk_to_rgb(im)
        desc = "CMYK 8-bit"
    elif mode in ("L", "RGB") and has_trns:
        im = im.convert("LA" if mode == "L" else "RGBA")
        desc = ("gray" if mode == "L" else "RGB") + "+alpha 8-bit"
    elif mode in ("RGBX", "YCbCr", "LAB", "HSV"):
        im, desc = im.convert("RGB"), f"{mode} 8-bit"
    elif mode in ("RGBa", "La"):
        im = im.convert("RGBA" if mode == "RGBa" else "LA")
        desc = f"{im.mode} 8-bit"
    else:
        desc = _PLAIN_MODES.get(mode, "")
    arr = np.asarray(im)
    if im.mode.startswith("I;16"):
        arr, desc = arr.astype(np.uint16), "gray 16-bit"
    elif im.mode == "I":
        arr, desc = np.clip(arr, 0, 65535).astype(np.uint16), "gray 16-bit"
    elif im.mode == "F":
        arr = arr.astype(np.float32)
    if not desc:
        raise ImageReadError(f"unsupported pixel mode {mode}")
    if arr.ndim == 2:
        return arr[..., None], None, desc, icc_override
    if arr.shape[2] in (2, 4):
        return (
            np.ascontiguousarray(arr[..., :-1]),
            np.ascontiguousarray(arr[..., -1]),
            desc,
            icc_override,
        )
    return arr, None, desc, icc_override


def to_uint8(arr: np.ndarray) -> np.ndarray:
    """uint8 copy of ``arr`` (uint8 | uint16 | float32 in [0, 1]), rounded."""
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.uint16:
        return ((arr.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    return np.round(np.clip(arr, 0.0, 1.0) * 255.0).astype(np.uint8)


def float_to_uint16(arr: np.ndarray) -> np.ndarray:
    return np.round(np.clip(arr, 0.0, 1.0) * 65535.0).astype(np.uint16)


def depth_name(dtype: np.dtype) -> str:
    return "32-bit float" if dtype.kind == "f" else f"{dtype.itemsize * 8}-bit"


def write_8bit(
    tmp: Path,
    fmt: str,
    pixels: np.ndarray,
    alpha: np.ndarray | None,
    *,
    icc_profile: bytes | None,
    dpi: tuple[float, float] | None,
    xmp: bytes | None,
    exif: Image.Exif | None,
    quality: int,
    warnings: list[str],
) -> None:
    """JPEG or WebP through Pillow: 8-bit; JPEG has no alpha, WebP no gray."""
    name = "JPEG" if fmt == "JPEG" else "WebP"
    lost = []
    if pixels.dtype != np.uint8:
        lost.append(f"converted from {depth_name(pixels.dtype)}")
    if alpha is not None and fmt == "JPEG":
        lost.append("alpha dropped")
        alpha = None
    if lost:
        holds = "8-bit RGB or gray" if fmt == "JPEG" else "8-bit"
        warnings.append(f"{name} holds {holds} only: {', '.join(lost)}")
    data = to_uint8(pixels)
    if fmt == "WEBP" and data.shape[2] == 1:
        data = np.repeat(data, 3, axis=2)
    if alpha is not None:
        data = np.concatenate([data, to_uint8(alpha)[..., None]], axis=2)
    im = Image.fromarray(data[..., 0] if data.shape[2] == 1 else data)
    params: dict = {"quality": int(quality)}
    if icc_profile:
        params["icc_profile"] = icc_profile
    if dpi:
        params["dpi"] = tuple(float(d) for d in dpi)
    if exif is not None:
        params["exif"] = exif
    if xmp:
        params["xmp"] = xmp
    if fmt == "JPEG":
        params["subsampling"] = 0 if quality >= 90 else 2
    else:
        params["lossless"] = quality >= 100
    im.save(tmp, format=fmt, **params)


#: Samples per pixel of each PNG colour type (gray, RGB, palette, gray and
#: alpha, RGBA).
_PNG_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


class PillowCodec:
    """PNG, JPEG, WebP, BMP and GIF: read through Pillow (16-bit colour PNG
    through OpenCV); PNG written at 8 or 16 bits, JPEG and WebP at 8."""

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt

    def header(self, p: Path) -> Header:
        with Image.open(p) as im:
            width, height = im.size
            bands = max(len(im.getbands()), 3)  # palettes and gray may become RGB
            sample_bytes = bands * (2 if "16" in im.mode else 1)
            # Header only: Pillow's getexif() would decode a whole PNG for eXIf.
            orientation = exif_orientation(im.info.get("exif"))
        declared = width * height  # a byte a pixel is the least these store
        if self.fmt == "PNG":
            # A PNG says its bit depth and samples (a 1-bit mask is an eighth
            # of a byte a pixel), each row led by a filter byte.
            depth, colour_type = png_header(p)
            bits = width * depth * _PNG_SAMPLES.get(colour_type, 1)
            declared = height * (1 + (bits + 7) // 8)
        return Header(width, height, orientation, sample_bytes, declared)

    def decode(self, p: Path) -> ImageDoc:
        fmt = self.fmt
        with Image.open(p) as im:
            width, height = im.size
            info = dict(im.info)
            raw_exif = strip_exif_header(info.get("exif"))
            icc = info.get("icc_profile") or None
            depth, colour_type = png_header(p) if fmt == "PNG" else (8, 0)
            if depth == 16:
                pixels, alpha = decode_png16(p, colour_type)
                colour = "gray" if pixels.shape[2] == 1 else "RGB"
                desc = f"{colour}{'+alpha' if alpha is not None else ''} 16-bit"
            else:
                im.seek(0)  # first frame of an animation
                im.load()
                pixels, alpha, desc, icc_override = pillow_pixels(im)
                if icc_override != b"":
                    icc = icc_override
        if (pixels.shape[0], pixels.shape[1]) != (height, width):
            raise ImageReadError(f"{p}: decoded size differs from the declared size")
        meta = ImageMeta(
            icc_profile=icc,
            dpi=dpi_from_info(info),
            exif=raw_exif,
            xmp=xmp_from_info(info),
            source_format=fmt,
            source_mode=desc,
        )
        orientation = exif_orientation(raw_exif)
        return ImageDoc(
            pixels=orient(pixels, orientation),
            alpha=orient(alpha, orientation) if alpha is not None else None,
            meta=meta,
        )

    def write(
        self,
        tmp: Path,
        pixels: np.ndarray,
        alpha: np.ndarray | None,
        meta: ImageMeta,
        exif: Image.Exif | None,
        quality: int,
        warnings: list[str],
    ) -> None:
        if self.fmt != "PNG":
            write_8bit(
                tmp,
                self.fmt,
                pixels,
                alpha,
                icc_profile=meta.icc_profile,
                dpi=meta.dpi,
                xmp=meta.xmp,
                exif=exif,
                quality=quality,
                warnings=warnings,
            )
            return
        if pixels.dtype == np.float32:
            warnings.append(
                "PNG holds integers only: converted from 32-bit float to 16-bit"
            )
            pixels = float_to_uint16(pixels)
            alpha = float_to_uint16(alpha) if alpha is not None else None
        write_png(
            tmp,
            pixels,
            alpha,
            icc_profile=meta.icc_profile,
            dpi=meta.dpi,
            exif=exif.tobytes()[len(EXIF_HEADER) :] if exif else None,
            xmp=meta.xmp,
        )
