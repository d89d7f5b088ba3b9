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

from restore_app.core.atomic import atomic_output
from restore_app.core.errors import (
    ImageReadError,
    ImageTooLargeError,
    ImageWriteError,
    RestoreError,
)
from restore_app.core.identity import FileIdentity
from restore_app.core.image_doc import (
    ORIENTATION_TAG,
    Codec,
    Header,
    ImageDoc,
    ImageMeta,
    orient,
    upright_size,
)
from restore_app.core.pillow_io import PillowCodec
from restore_app.core.tiff_io import TiffCodec

__all__ = ["ImageDoc", "ImageMeta", "orient", "read_image", "write_image"]

# We refuse over-large images ourselves (RESTORE_MAX_PIXELS) before decoding; Pillow's
# own bomb guard would refuse an ordinary 100 MP scan.
Image.MAX_IMAGE_PIXELS = None

DEFAULT_MAX_PIXELS = 1_000_000_000

_SNIFF_BYTES = 32
_FORMAT_BY_EXT = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF",
                  ".tiff": "TIFF", ".webp": "WEBP"}  # fmt: skip
#: Each format's reader and writer.
CODECS: dict[str, Codec] = {
    "TIFF": TiffCodec(),
    **{fmt: PillowCodec(fmt) for fmt in ("PNG", "JPEG", "WEBP", "BMP", "GIF")},
}


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


def _check_plausible(p: Path, fmt: str, head: Header) -> None:
    """Refuse a file too small to hold the pixels it declares."""
    size = p.stat().st_size
    ratio = MAX_EXPANSION.get(fmt)
    if ratio is not None and head.declared_bytes > size * ratio:
        raise ImageReadError(
            f"{p}: declares {head.width}×{head.height} pixels, more than a "
            f"{size:,}-byte {fmt} file can hold: it is truncated or damaged"
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


# --- reading -------------------------------------------------------------------


def _header(p: Path, fmt: str) -> Header:
    return CODECS[fmt].header(p)


def read_image_size(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(width, height) of the upright image, read from the header only."""
    p, fmt = _open_checked(path)
    try:
        head = _header(p, fmt)
    except RestoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoder failure is one line
        raise ImageReadError(f"{p}: damaged {fmt} file ({_one_line(exc)})") from None
    return upright_size(head.width, head.height, head.orientation)


def read_image(
    path: str | os.PathLike[str],
    *,
    max_pixels: int | None = None,
    identify: bool = False,
) -> ImageDoc:
    """Read an image upright at its native bit depth.

    The format's codec reads the header first; the size, plausibility and
    memory checks are made on it, once, before anything is decoded.

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
        head = _header(p, fmt)
        _check_limit(p, head.width, head.height, limit)
        _check_plausible(p, fmt, head)
        _check_memory(p, head.width, head.height, head.sample_bytes)
        doc = CODECS[fmt].decode(p)
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
    if ORIENTATION_TAG in exif:
        exif[ORIENTATION_TAG] = 1
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
            CODECS[fmt].write(tmp, pixels, alpha, meta, exif, quality, warnings)
    except RestoreError:
        raise
    except OSError as exc:
        raise ImageWriteError(
            f"{p}: could not be written ({exc.strerror or _one_line(exc)})"
        ) from None
    except Exception as exc:  # noqa: BLE001 - any encoder failure is one line
        raise ImageWriteError(f"{p}: could not be written ({_one_line(exc)})") from None
    return warnings
