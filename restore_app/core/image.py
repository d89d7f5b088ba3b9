"""Reading and writing images without losing a bit, a colour profile or a metadata
field.

Pixels stay at their native depth (uint8, uint16, float32) and come out upright
(EXIF orientation applied). TIFF goes through tifffile; PNG, JPEG, WebP, BMP and GIF
through Pillow, except 16-bit colour PNG, which Pillow cannot hold and OpenCV
decodes. Every failure is one line naming the file (ImageReadError, ImageWriteError).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import stat
from pathlib import Path

import numpy as np
from PIL import Image

from restore_app.core import pillow_io
from restore_app.core.atomic import atomic_output
from restore_app.core.errors import (
    ImageReadError,
    ImageTooLargeError,
    ImageWriteError,
    RestoreError,
)
from restore_app.core.identity import FileIdentity
from restore_app.core.png_io import write_png
from restore_app.core.tiff_io import (
    TiffFormatError,
    read_tiff,
    tiff_size,
    to_signed,
    write_tiff,
)

# We refuse over-large images ourselves (RESTORE_MAX_PIXELS) before decoding; Pillow's
# own bomb guard would refuse an ordinary 100 MP scan.
Image.MAX_IMAGE_PIXELS = None

DEFAULT_MAX_PIXELS = 1_000_000_000

_ORIENTATION_TAG = 0x0112
_EXIF_HEADER = b"Exif\x00\x00"
_SNIFF_BYTES = 32
_FORMAT_BY_EXT = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF",
                  ".tiff": "TIFF", ".webp": "WEBP"}  # fmt: skip


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


# --- helpers -------------------------------------------------------------------


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    msg = text[0] if text else type(exc).__name__
    # Pillow's wording, said plainly (and without repeating the path).
    if msg.startswith("cannot identify image file"):
        return "its header is not valid"
    if msg.lower().startswith("truncated file read"):
        return "the file is truncated"
    return msg if len(msg) <= 160 else msg[:157] + "..."


def _max_pixels(max_pixels: int | None) -> int:
    if max_pixels is not None:
        return int(max_pixels)
    env = os.environ.get("RESTORE_MAX_PIXELS", "").strip().replace("_", "")
    with contextlib.suppress(ValueError):
        if env and int(float(env)) > 0:
            return int(float(env))
    return DEFAULT_MAX_PIXELS


def _sniff(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:2] == b"BM":
        return "BMP"
    return None


def _open_checked(path: str | os.PathLike[str]) -> tuple[Path, str]:
    """Check the file exists and is an image we read; return (path, format)."""
    p = Path(path)
    if p.is_dir():
        raise ImageReadError(f"{p}: is a folder, not an image")
    try:
        mode = p.stat().st_mode
    except FileNotFoundError:
        raise ImageReadError(f"{p}: no such file") from None
    except OSError as exc:
        raise ImageReadError(f"{p}: cannot be opened ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        # Opening a FIFO or a device would wait for a writer, or read forever.
        raise ImageReadError(f"{p}: not a regular file (a pipe, socket or device)")
    try:
        with open(p, "rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except FileNotFoundError:
        raise ImageReadError(f"{p}: no such file") from None
    except OSError as exc:
        raise ImageReadError(f"{p}: cannot be opened ({exc.strerror or exc})") from None
    if not head:
        raise ImageReadError(f"{p}: the file is empty")
    fmt = _sniff(head)
    if fmt is None:
        kind = p.suffix.lstrip(".").upper() or "image"
        raise ImageReadError(f"{p}: not an image (the content is not a {kind} file)")
    return p, fmt


def _exif_orientation(raw: bytes | None) -> int:
    if not raw:
        return 1
    exif = Image.Exif()
    try:
        exif.load(raw)
        value = int(exif.get(_ORIENTATION_TAG, 1))
    except Exception:  # noqa: BLE001 - damaged EXIF must not stop the image
        return 1
    return value if 1 <= value <= 8 else 1


def _strip_exif_header(raw: bytes | None) -> bytes | None:
    if not raw:
        return None
    return raw[len(_EXIF_HEADER) :] if raw.startswith(_EXIF_HEADER) else raw


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


def _upright_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


#: The most pixel bytes a file of each format can decode to per byte of the
#: file: the codecs' best compression of a flat image (deflate ~1032:1; a
#: baseline JPEG's all-zero blocks ~100:1; generous margins). A file declaring
#: more pixel data than its size can hold is truncated or forged: it is refused
#: before anything is allocated for it.
MAX_EXPANSION = {
    "PNG": 1100,
    "JPEG": 400,
    "TIFF": 1100,
    "WEBP": 2000,
    "GIF": 2000,
    "BMP": 130,
}
#: Samples per pixel of each PNG colour type (gray, RGB, palette, gray and
#: alpha, RGBA).
_PNG_SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _declared_bytes(p: Path, fmt: str, width: int, height: int) -> int:
    """How many bytes of pixel data ``p`` declares, as its codec stores them
    before compression. A PNG says its bit depth and samples (a 1-bit mask is
    an eighth of a byte a pixel, each row led by a filter byte); for the other
    formats, a byte a pixel is the least they hold."""
    if fmt == "PNG":
        depth, colour_type = pillow_io.png_header(p)
        bits = width * depth * _PNG_SAMPLES.get(colour_type, 1)
        return height * (1 + (bits + 7) // 8)
    return width * height


def _check_plausible(p: Path, fmt: str, width: int, height: int) -> None:
    """Refuse a file too small to hold the pixels it declares."""
    size = p.stat().st_size
    ratio = MAX_EXPANSION.get(fmt)
    if ratio is not None and _declared_bytes(p, fmt, width, height) > size * ratio:
        raise ImageReadError(
            f"{p}: declares {width}×{height} pixels, more than a {size:,}-byte "
            f"{fmt} file can hold: it is truncated or damaged"
        )


def parse_size(text: str) -> int:
    """Bytes from ``"8G"``, ``"512M"``, ``"2.5GB"`` or a plain number of bytes."""
    t = text.strip().upper().removesuffix("B").replace("_", "")
    scale = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}.get(t[-1:], 1)
    number = float(t[:-1] if scale != 1 else t)
    if number <= 0:
        raise ValueError(f"not a positive size: {text}")
    return int(number * scale)


def memory_budget() -> int:
    """Bytes one image may take to open and process: RESTORE_MEMORY_BUDGET
    (``--memory-budget``, the window's preference), else half the machine's
    memory."""
    env = os.environ.get("RESTORE_MEMORY_BUDGET", "").strip()
    if env:
        with contextlib.suppress(ValueError, IndexError):
            return parse_size(env)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 16 * 1024**3
    return int(total) // 2


def _gb(n: int) -> str:
    return f"{n / 1024**3:.1f} GB" if n >= 1024**3 else f"{n / 1024**2:.0f} MB"


def _check_memory(p: Path, width: int, height: int, sample_bytes: int) -> None:
    """Refuse before decoding an image whose opening and processing would need
    more memory than the budget: the decoded pixels, the result beside them and
    a working copy (3× the pixels), plus masks and records (4 bytes a pixel)."""
    need = width * height * (3 * sample_bytes + 4)
    budget = memory_budget()
    if need > budget:
        raise ImageTooLargeError(
            f"{p}: a {width}×{height} image needs about {_gb(need)} to open and "
            f"process, over the memory budget of {_gb(budget)} "
            "(--memory-budget or RESTORE_MEMORY_BUDGET sets it)"
        )


def _check_limit(p: Path, width: int, height: int, limit: int) -> None:
    if width * height > limit:
        raise ImageTooLargeError(
            f"{p}: image is {width}×{height} ({width * height / 1e6:,.0f} megapixels), "
            f"over the limit of {limit / 1e6:,.0f} megapixels "
            "(set RESTORE_MAX_PIXELS to change it)"
        )
    if width <= 0 or height <= 0:
        raise ImageReadError(f"{p}: declares an empty size {width}×{height}")


def _pil_orientation(im: Image.Image) -> int:
    # Header only: Pillow's getexif() would decode a whole PNG to look for eXIf.
    return _exif_orientation(im.info.get("exif"))


# --- reading -------------------------------------------------------------------


def read_image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(width, height) of the upright image, read from the header only."""
    p, fmt = _open_checked(path)
    try:
        if fmt == "TIFF":
            w, h, orientation = tiff_size(p)
            return _upright_size(w, h, orientation)
        with Image.open(p) as im:
            return _upright_size(*im.size, _pil_orientation(im))
    except RestoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoder failure is one line
        raise ImageReadError(f"{p}: damaged {fmt} file ({_one_line(exc)})") from None


def read_image(
    path: str | os.PathLike[str],
    *,
    max_pixels: int | None = None,
    identify: bool = False,
) -> ImageDoc:
    """Read an image upright at its native bit depth.

    With ``identify`` the ImageDoc also says which version of the file it was
    read from (size, time and SHA-256, :class:`FileIdentity`), for a record
    and for checking later that the file is still the same.

    Returns an ImageDoc whose ``pixels`` are (H, W, C), C=1|3 RGB order, uint8 |
    uint16 | float32. Raises ImageTooLargeError before decoding when the declared
    width × height exceeds ``max_pixels`` (default RESTORE_MAX_PIXELS or 1e9), and
    ImageReadError (one line) for anything unreadable.
    """
    p, fmt = _open_checked(path)
    limit = _max_pixels(max_pixels)
    identity = FileIdentity.of(p) if identify else None
    try:
        if fmt == "TIFF":
            w, h, _ = tiff_size(p)
            _check_limit(p, w, h, limit)
            _check_plausible(p, fmt, w, h)
            _check_memory(p, w, h, 4 * 4)  # up to 4 samples of 32 bits
            doc = _read_tiff(p)
        else:
            doc = _read_pillow(p, fmt, limit)
    except RestoreError:
        raise
    except MemoryError:
        raise ImageReadError(f"{p}: not enough memory to open this image") from None
    except Exception as exc:  # noqa: BLE001 - any decoder failure is one line
        raise ImageReadError(f"{p}: damaged {fmt} file ({_one_line(exc)})") from None
    doc.path = p
    if identity is not None:
        identity.check(p)  # not replaced while it was decoded
        doc.identity = identity
    return doc


def _read_tiff(p: Path) -> ImageDoc:
    try:
        data = read_tiff(p)
    except TiffFormatError as exc:
        raise ImageReadError(f"{p}: {exc}") from None
    meta = ImageMeta(
        icc_profile=data.icc_profile,
        dpi=data.dpi,
        exif=data.exif,
        xmp=data.xmp,
        source_format="TIFF",
        source_mode=data.mode + (f" (signed {data.signed})" if data.signed else ""),
        signed=data.signed,
        pages=data.pages,
    )
    pixels = orient(data.pixels, data.orientation)
    alpha = orient(data.alpha, data.orientation) if data.alpha is not None else None
    return ImageDoc(pixels=pixels, alpha=alpha, meta=meta)


def _read_pillow(p: Path, fmt: str, limit: int) -> ImageDoc:
    with Image.open(p) as im:
        width, height = im.size
        _check_limit(p, width, height, limit)
        _check_plausible(p, fmt, width, height)
        bands = max(len(im.getbands()), 3)  # palettes and gray may become RGB
        _check_memory(p, width, height, bands * (2 if "16" in im.mode else 1))
        info = dict(im.info)
        raw_exif = _strip_exif_header(info.get("exif"))
        orientation = _exif_orientation(raw_exif)
        icc = info.get("icc_profile") or None
        depth, colour_type = pillow_io.png_header(p) if fmt == "PNG" else (8, 0)
        if depth == 16:
            pixels, alpha = pillow_io.decode_png16(p, colour_type)
            colour = "gray" if pixels.shape[2] == 1 else "RGB"
            desc = f"{colour}{'+alpha' if alpha is not None else ''} 16-bit"
        else:
            im.seek(0)  # first frame of an animation
            im.load()
            pixels, alpha, desc, icc_override = pillow_io.pillow_pixels(im)
            if icc_override != b"":
                icc = icc_override
    if (pixels.shape[0], pixels.shape[1]) != (height, width):
        raise ImageReadError(f"{p}: decoded size differs from the declared size")
    meta = ImageMeta(
        icc_profile=icc,
        dpi=pillow_io.dpi_from_info(info),
        exif=raw_exif,
        xmp=pillow_io.xmp_from_info(info),
        source_format=fmt,
        source_mode=desc,
    )
    pixels = orient(pixels, orientation)
    alpha = orient(alpha, orientation) if alpha is not None else None
    return ImageDoc(pixels=pixels, alpha=alpha, meta=meta)


# --- writing -------------------------------------------------------------------


def _serialises(exif: Image.Exif) -> bool:
    try:
        exif.tobytes()
    except Exception:  # noqa: BLE001 - any value Pillow cannot write
        return False
    return True


def _output_exif(raw: bytes | None, warnings: list[str]) -> Image.Exif | None:
    """Parsed EXIF with orientation reset to 1: the pixels are already upright.

    Tags whose values cannot be written again (a resolution stored as text, a
    GPS value out of range) are dropped, each with a warning for the record;
    the pixels are written all the same.
    """
    if not raw:
        return None
    exif = Image.Exif()
    try:
        exif.load(raw)
    except Exception:  # noqa: BLE001 - unparseable EXIF is dropped, not fatal
        warnings.append("EXIF metadata dropped: it could not be read")
        return None
    if _ORIENTATION_TAG in exif:
        exif[_ORIENTATION_TAG] = 1
    if _serialises(exif):
        return exif
    from PIL.ExifTags import TAGS

    kept = Image.Exif()
    for tag, value in exif.items():
        trial = Image.Exif()
        trial[tag] = value
        if _serialises(trial):
            kept[tag] = value
        else:
            name = TAGS.get(tag, f"tag {tag}")
            warnings.append(f"EXIF {name} dropped: its value cannot be written")
    for ifd_tag, label in ((0x8769, "Exif"), (0x8825, "GPS")):
        try:
            ifd = dict(exif.get_ifd(ifd_tag))
        except Exception:  # noqa: BLE001 - a damaged sub-IFD counts as unwritable
            ifd = {}
        if not ifd:
            continue
        trial = Image.Exif()
        trial.get_ifd(ifd_tag).update(ifd)
        if _serialises(trial):
            kept.get_ifd(ifd_tag).update(ifd)
        else:
            warnings.append(f"EXIF {label} data dropped: a value cannot be written")
    return kept if _serialises(kept) else None


def _icc_fits(icc: bytes | None, channels: int) -> bool:
    """Whether an ICC profile's colour space (header bytes 16-20) suits the data."""
    if not icc or len(icc) < 20:
        return True
    space = icc[16:20]
    return space == (b"GRAY" if channels == 1 else b"RGB ")


def _validate(doc: ImageDoc, p: Path) -> tuple[np.ndarray, np.ndarray | None]:
    pixels = doc.pixels
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.ndim != 3 or pixels.shape[2] not in (1, 3) or 0 in pixels.shape:
        raise ImageWriteError(f"{p}: pixels must be (H, W, 1|3), got {pixels.shape}")
    if pixels.dtype not in (np.uint8, np.uint16, np.float32):
        raise ImageWriteError(f"{p}: unsupported pixel type {pixels.dtype}")
    alpha = doc.alpha
    if alpha is not None:
        if alpha.shape != pixels.shape[:2]:
            raise ImageWriteError(f"{p}: alpha {alpha.shape} does not match the pixels")
        alpha = alpha.astype(pixels.dtype, copy=False)
    return pixels, alpha


def _is_source(doc: ImageDoc, p: Path) -> bool:
    if doc.path is None:
        return False
    src = Path(doc.path)
    if src.resolve() == p.resolve():
        return True
    with contextlib.suppress(OSError):
        return p.exists() and src.exists() and os.path.samefile(src, p)
    return False


def write_image(
    doc: ImageDoc,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    quality: int = 95,
) -> list[str]:
    """Write ``doc`` (pixels (H, W, C) C=1|3 RGB, uint8|uint16|float32 in [0, 1],
    optional alpha) to ``path`` atomically; the extension chooses the format.

    PNG keeps 8/16 bits (float becomes 16-bit), TIFF keeps every depth, JPEG and
    WebP hold 8 bits (JPEG also drops alpha). ICC profile, dpi, EXIF (orientation
    reset to 1) and XMP are carried over. Returns warnings for every conversion.
    Raises OutputExistsError, or ImageWriteError for the source file itself, an
    unsupported extension or a failed write; the old file is then untouched.
    """
    p = Path(path)
    fmt = _FORMAT_BY_EXT.get(p.suffix.lower())
    if fmt is None:
        raise ImageWriteError(
            f"{p}: cannot write {p.suffix or 'files without an extension'}; "
            "use .png, .tif, .jpg or .webp"
        )
    if _is_source(doc, p):
        raise ImageWriteError(f"{p}: is the source image, which is never written")
    pixels, alpha = _validate(doc, p)
    meta = doc.meta
    warnings: list[str] = []
    if meta.signed and fmt != "TIFF":
        raise ImageWriteError(
            f"{p}: the scan holds signed {meta.signed} samples, which only TIFF "
            "keeps: write a .tif (values are never shifted silently)"
        )
    exif = _output_exif(meta.exif, warnings)
    # WebP has no gray: gray pixels are written as RGB.
    written_channels = 3 if fmt == "WEBP" else pixels.shape[2]
    if not _icc_fits(meta.icc_profile, written_channels):
        space = meta.icc_profile[16:20].decode("ascii", "replace").strip()
        warnings.append(f"colour profile dropped: a {space} profile does not fit")
        meta = dataclasses.replace(meta, icc_profile=None)
    try:
        with atomic_output(p, overwrite=overwrite) as tmp:
            if fmt == "PNG":
                if pixels.dtype == np.float32:
                    warnings.append(
                        "PNG holds integers only: converted from 32-bit float to 16-bit"
                    )
                    pixels = pillow_io.float_to_uint16(pixels)
                    alpha = (
                        pillow_io.float_to_uint16(alpha) if alpha is not None else None
                    )
                write_png(
                    tmp,
                    pixels,
                    alpha,
                    icc_profile=meta.icc_profile,
                    dpi=meta.dpi,
                    exif=exif.tobytes()[len(_EXIF_HEADER) :] if exif else None,
                    xmp=meta.xmp,
                )
            elif fmt == "TIFF":
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
            else:
                pillow_io.write_8bit(
                    tmp,
                    fmt,
                    pixels,
                    alpha,
                    icc_profile=meta.icc_profile,
                    dpi=meta.dpi,
                    xmp=meta.xmp,
                    exif=exif,
                    quality=quality,
                    warnings=warnings,
                )
    except RestoreError:
        raise
    except OSError as exc:
        raise ImageWriteError(
            f"{p}: could not be written ({exc.strerror or _one_line(exc)})"
        ) from None
    except Exception as exc:  # noqa: BLE001 - any encoder failure is one line
        raise ImageWriteError(f"{p}: could not be written ({_one_line(exc)})") from None
    return warnings
