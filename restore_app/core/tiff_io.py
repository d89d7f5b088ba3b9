"""TIFF reading and writing with tifffile: every bit depth, layout and codec
(none, LZW, Deflate, JPEG; striped or tiled; BigTIFF), first page only."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

import restore_app
from restore_app.core.errors import ImageReadError
from restore_app.core.image_doc import Header, ImageDoc, ImageMeta, orient

# IFD0 tags that describe the picture (not its layout), carried between TIFF and EXIF.
_DESCRIPTIVE_TAGS = {270: "ImageDescription", 271: "Make", 272: "Model",
                     306: "DateTime", 315: "Artist", 33432: "Copyright"}  # fmt: skip
_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825


class TiffFormatError(Exception):
    """The TIFF is valid but holds something we do not read; message is one line."""


@dataclass
class TiffData:
    pixels: np.ndarray  # (H, W, C) C=1|3, uint8|uint16|float32, as stored (not upright)
    alpha: np.ndarray | None
    icc_profile: bytes | None
    dpi: tuple[float, float] | None
    exif: bytes | None
    xmp: bytes | None
    orientation: int
    mode: str
    #: the stored sample type when it is signed ("int8", "int16"): the pixels
    #: hold it offset into the unsigned range, and a TIFF output gets it back
    signed: str | None = None
    #: full-resolution pages in the file (reduced-resolution ones not counted);
    #: only the first is read
    pages: int = 1


def tiff_size(path: Path) -> tuple[int, int, int]:
    """(width, height, orientation) of the first page, from the header only."""
    with tifffile.TiffFile(path) as tif:
        page = tif.pages.first
        tag = page.tags.get(274)
        return int(page.imagewidth), int(page.imagelength), int(tag.value if tag else 1)


def _bytes_tag(page: tifffile.TiffPage, code: int) -> bytes | None:
    tag = page.tags.get(code)
    if tag is None:
        return None
    value = tag.value
    if isinstance(value, np.ndarray):
        value = value.tobytes()
    if isinstance(value, str):
        value = value.encode("utf-8")
    return bytes(value) if value else None


def _dpi(page: tifffile.TiffPage) -> tuple[float, float] | None:
    xres, yres = page.tags.get(282), page.tags.get(283)
    if xres is None or yres is None:
        return None
    unit_tag = page.tags.get(296)
    unit = int(unit_tag.value) if unit_tag is not None else 2
    if unit == 1:  # no absolute unit: the values are only an aspect ratio
        return None
    scale = 2.54 if unit == 3 else 1.0

    def rational(v: tuple[int, int] | float) -> float:
        return (
            v[0] / v[1]
            if isinstance(v, tuple) and v[1]
            else float(v[0] if isinstance(v, tuple) else v)
        )  # noqa: E501

    dpi = (rational(xres.value) * scale, rational(yres.value) * scale)
    return dpi if dpi[0] > 0 and dpi[1] > 0 else None


def _exif(path: Path) -> bytes | None:
    # tifffile parses EXIF into names and untyped values; Pillow's EXIF reader keeps
    # the types and serialises back to raw EXIF. It reads the IFDs only, so it works
    # for modes Pillow cannot decode (16-bit RGB, gray+alpha).
    try:
        with open(path, "rb") as fp:
            src = Image.Exif()
            src.load_from_fp(fp)
            out = Image.Exif()
            for code in _DESCRIPTIVE_TAGS:
                if code in src:
                    out[code] = src[code]
            for ifd in (_EXIF_IFD, _GPS_IFD):
                sub = src.get_ifd(ifd)
                if sub:
                    out.get_ifd(ifd).update(sub)
            return out.tobytes()[6:] if len(out) or out.get_ifd(_EXIF_IFD) else None
    except Exception:  # noqa: BLE001 - EXIF is a bonus; the pixels still load
        return None


def _check_complete(page: tifffile.TiffPage, file_size: int) -> None:
    # tifffile reads short strips as zeros; a cut-off file must be an error instead.
    ends = [
        int(o) + int(n)
        for o, n in zip(page.dataoffsets, page.databytecounts, strict=False)
        if n
    ]
    if ends and max(ends) > file_size:
        raise TiffFormatError("the file is truncated (image data runs past its end)")


def _to_yxs(arr: np.ndarray, axes: str) -> np.ndarray:
    if axes == "YX":
        return arr[..., None]
    if axes == "YXS":
        return arr
    if axes == "SYX":
        return np.moveaxis(arr, 0, -1)
    raise TiffFormatError(f"unsupported TIFF layout (axes {axes})")


def _normalise_dtype(arr: np.ndarray) -> np.ndarray:
    if arr.dtype in (np.uint8, np.uint16, np.float32):
        return arr
    if arr.dtype == bool:
        return arr.astype(np.uint8) * np.uint8(255)
    if arr.dtype.kind == "f":
        return arr.astype(np.float32)
    if arr.dtype.kind in "iu" and arr.dtype.itemsize > 2:
        # float32 holds 24 bits: 32-bit integers would silently lose precision.
        raise TiffFormatError(
            f"TIFF samples of type {arr.dtype} are not supported: their values "
            "cannot be kept exactly (8- and 16-bit integers and floats are)"
        )
    if arr.dtype == np.int8:
        return (arr.astype(np.int16) + 128).astype(np.uint8)
    if arr.dtype == np.int16:
        return (arr.astype(np.int32) + 32768).astype(np.uint16)
    raise TiffFormatError(f"unsupported TIFF sample type {arr.dtype}")


def _max_value(dtype: np.dtype) -> float:
    return 1.0 if dtype.kind == "f" else float(np.iinfo(dtype).max)


def _cmyk_to_rgb(cmyk: np.ndarray) -> np.ndarray:
    top = _max_value(cmyk.dtype)
    c, m, y, k = (cmyk[..., i].astype(np.float32) / top for i in range(4))
    rgb = np.stack([(1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)], axis=-1)
    if cmyk.dtype.kind == "f":
        return rgb
    return np.round(rgb * top).astype(cmyk.dtype)


def _full_pages(tif: tifffile.TiffFile) -> int:
    """How many full-resolution pages ``tif`` holds (a multi-page scan, a
    stack); thumbnails and reduced-resolution copies do not count."""
    count = 0
    for page in tif.pages:
        if not int(getattr(page, "subfiletype", 0) or 0) & 1:
            count += 1
    return max(count, 1)


def read_tiff(path: Path) -> TiffData:
    """Decode the first page; raises tifffile errors, TiffFormatError, ValueError."""
    with tifffile.TiffFile(path) as tif:
        page = tif.pages.first
        _check_complete(page, path.stat().st_size)
        photometric = int(page.photometric)
        extrasamples = tuple(int(e) for e in page.extrasamples)
        arr = _to_yxs(page.asarray(), page.axes)
        orientation_tag = page.tags.get(274)
        data = TiffData(
            pixels=arr,
            alpha=None,
            icc_profile=_bytes_tag(page, 34675),
            dpi=_dpi(page),
            exif=None,
            xmp=_bytes_tag(page, 700),
            orientation=int(orientation_tag.value) if orientation_tag else 1,
            mode="",
            pages=_full_pages(tif),
        )
        colormap = page.colormap
        bits = int(page.bitspersample)
    data.exif = _exif(path)

    colour_samples = arr.shape[2] - len(extrasamples)
    if photometric == 3 and colormap is not None:  # palette
        cmap = np.asarray(colormap)
        table = (cmap >> 8 if cmap.max() > 255 else cmap).astype(np.uint8).T
        arr = table[arr[..., 0]]
        colour_samples, mode_name = 3, "palette"
    elif photometric == 5 and colour_samples == 4:  # separated (CMYK)
        mode_name = "CMYK"
        rgb = _cmyk_to_rgb(_normalise_dtype(arr[..., :4]))
        arr = np.concatenate([rgb, arr[..., 4:].astype(rgb.dtype)], axis=-1)
        colour_samples = 3
    elif photometric in (0, 1) and colour_samples == 1:
        mode_name = "gray"
    elif photometric in (2, 6) and colour_samples == 3:
        mode_name = "RGB"
    else:
        raise TiffFormatError(
            f"unsupported TIFF colour (photometric {photometric}, "
            f"{arr.shape[2]} samples)"
        )
    if arr.dtype in (np.int8, np.int16):
        data.signed = str(arr.dtype)
    arr = _normalise_dtype(arr)
    if photometric == 0:  # min-is-white: store as the usual black-is-zero
        top = arr.dtype.type(_max_value(arr.dtype))
        arr[..., :1] = top - arr[..., :1]
    pixels = np.ascontiguousarray(arr[..., :colour_samples])
    alpha = None
    if arr.shape[2] > colour_samples:
        alpha = np.ascontiguousarray(arr[..., colour_samples])
        if extrasamples and extrasamples[0] == 1:
            # Associated (premultiplied) alpha: un-premultiply so colour is true colour.
            pixels = _unpremultiply(pixels, alpha)
    data.pixels, data.alpha = pixels, alpha
    depth = "32-bit float" if pixels.dtype == np.float32 else f"{min(bits, 16)}-bit"
    if bits == 1:
        depth = "1-bit"
    data.mode = f"{mode_name}{'+alpha' if alpha is not None else ''} {depth}"
    return data


def _unpremultiply(pixels: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    top = _max_value(pixels.dtype)
    a = alpha.astype(np.float32)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(a > 0, pixels.astype(np.float32) * top / a, 0.0)
    if pixels.dtype.kind == "f":
        return out.astype(np.float32)
    return np.clip(np.round(out), 0, top).astype(pixels.dtype)


def _descriptive_tags(exif: bytes | None) -> list[tuple[int, str, int, str, bool]]:
    if not exif:
        return []
    parsed = Image.Exif()
    with contextlib.suppress(Exception):
        parsed.load(exif)
    tags = []
    for code in _DESCRIPTIVE_TAGS:
        value = parsed.get(code)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str) and value and value.isascii():
            tags.append((code, "s", 0, value, True))
    return tags


def to_signed(arr: np.ndarray, signed: str) -> np.ndarray:
    """The inverse of reading a signed TIFF: unsigned samples offset back."""
    if signed == "int8":
        return (arr.astype(np.int16) - 128).astype(np.int8)
    return (arr.astype(np.int32) - 32768).astype(np.int16)


def write_tiff(
    path: Path,
    pixels: np.ndarray,
    alpha: np.ndarray | None,
    *,
    icc_profile: bytes | None,
    dpi: tuple[float, float] | None,
    exif: bytes | None,
    xmp: bytes | None,
) -> None:
    """Write ``pixels`` (H, W, C) C=1|3 RGB, uint8|uint16|float32, optional
    unassociated ``alpha`` (H, W) of the same dtype, Deflate-compressed.

    EXIF: the descriptive IFD0 tags (make, model, date, artist, copyright,
    description) are written; the EXIF sub-IFD is not (tifffile cannot write it).
    """
    data = pixels if alpha is None else np.concatenate([pixels, alpha[..., None]], -1)
    if data.shape[2] == 1:
        data = data[..., 0]
    extratags = _descriptive_tags(exif)
    if xmp:
        extratags.append((700, "B", len(xmp), xmp, True))
    kwargs = {}
    if dpi:
        kwargs.update(resolution=(float(dpi[0]), float(dpi[1])), resolutionunit="INCH")
    tifffile.imwrite(
        path,
        data,
        photometric="rgb" if pixels.shape[2] == 3 else "minisblack",
        extrasamples=("unassalpha",) if alpha is not None else None,
        compression="zlib",
        predictor=True,
        iccprofile=icc_profile or None,
        software=f"restore-app {restore_app.__version__}",
        metadata=None,
        extratags=extratags,
        **kwargs,
    )


class TiffCodec:
    """TIFF through tifffile: every depth kept, read and written."""

    def header(self, p: Path) -> Header:
        width, height, orientation = tiff_size(p)
        # Up to 4 samples of 32 bits; a byte a pixel is the least it stores.
        return Header(width, height, orientation, 4 * 4, width * height)

    def decode(self, p: Path) -> ImageDoc:
        try:
            data = read_tiff(p)
        except TiffFormatError as exc:
            raise ImageReadError(f"{p}: {exc}") from None
        signed = f" (signed {data.signed})" if data.signed else ""
        meta = ImageMeta(
            icc_profile=data.icc_profile,
            dpi=data.dpi,
            exif=data.exif,
            xmp=data.xmp,
            source_format="TIFF",
            source_mode=data.mode + signed,
            signed=data.signed,
            pages=data.pages,
        )
        alpha = data.alpha
        return ImageDoc(
            pixels=orient(data.pixels, data.orientation),
            alpha=orient(alpha, data.orientation) if alpha is not None else None,
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
        if meta.signed:
            pixels = to_signed(pixels, meta.signed)
            alpha = to_signed(alpha, meta.signed) if alpha is not None else None
        write_tiff(
            tmp,
            pixels,
            alpha,
            icc_profile=meta.icc_profile,
            dpi=meta.dpi,
            exif=exif.tobytes() if exif else None,
            xmp=meta.xmp,
        )
