"""Broken or hostile inputs: one clear line, a non-zero exit, nothing written."""

from __future__ import annotations

import io
import json
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from cli_helpers import photo, save_mask, save_png, scratch_mask
from PIL import Image


def _png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(photo()).save(buf, "PNG")
    return buf.getvalue()


def _jpeg_bytes() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(photo()).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _tiff_bytes() -> bytes:
    buf = io.BytesIO()
    tifffile.imwrite(buf, photo(dtype=np.uint16))
    return buf.getvalue()


def _bomb_png() -> bytes:
    """A valid PNG header declaring 100 000 x 100 000 pixels over a tiny body."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\0" * 4096)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", body)
        + chunk(b"IEND", b"")
    )


def _make(kind: str, folder: Path) -> Path:
    if kind == "empty":
        path = folder / "empty.png"
        path.write_bytes(b"")
    elif kind == "truncated-png":
        data = _png_bytes()
        path = folder / "cut.png"
        path.write_bytes(data[: len(data) // 2])
    elif kind == "truncated-jpeg":
        data = _jpeg_bytes()
        path = folder / "cut.jpg"
        path.write_bytes(data[: len(data) // 2])
    elif kind == "truncated-tiff":
        data = _tiff_bytes()
        path = folder / "cut.tif"
        path.write_bytes(data[: len(data) // 2])
    elif kind == "not-an-image":
        path = folder / "notes.png"
        path.write_text("these are my notes, not a photograph\n")
    elif kind == "folder":
        path = folder / "x.png"
        path.mkdir()
    elif kind == "bomb":
        path = folder / "bomb.png"
        path.write_bytes(_bomb_png())
    elif kind == "missing":
        path = folder / "missing.png"
    else:
        raise AssertionError(kind)
    return path


KINDS = [
    "empty",
    "truncated-png",
    "truncated-jpeg",
    "truncated-tiff",
    "not-an-image",
    "folder",
    "bomb",
    "missing",
]


def _assert_clean_failure(run, out_dir: Path, before: set[str]) -> None:
    assert run.code == 1, run
    assert "Traceback" not in run.err
    assert len(run.err_lines) == 1, run.err
    assert run.err_lines[0].startswith("restore-app: error: ")
    assert {p.name for p in out_dir.iterdir()} == before  # not even a temporary file


@pytest.mark.parametrize("kind", KINDS)
def test_bad_image_denoise(cli, tmp_path, kind) -> None:
    src = _make(kind, tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    run = cli("denoise", src, "-o", out_dir / "result.png", "--strength", "0.5")
    _assert_clean_failure(run, out_dir, set())


@pytest.mark.parametrize("kind", ["empty", "not-an-image", "folder", "bomb"])
def test_bad_mask_inpaint(cli, tmp_path, kind) -> None:
    image = save_png(tmp_path / "scan.png", photo())
    mask = _make(kind, tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    run = cli("inpaint", image, "--mask", mask, "-o", out_dir / "r.png")
    _assert_clean_failure(run, out_dir, set())


def test_mask_of_the_wrong_size(cli, tmp_path) -> None:
    image = save_png(tmp_path / "scan.png", photo())
    mask = save_mask(tmp_path / "mask.png", scratch_mask(64, 64))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    run = cli("inpaint", image, "--mask", mask, "-o", out_dir / "r.png")
    _assert_clean_failure(run, out_dir, set())
    assert "size" in run.err


def test_debug_shows_the_traceback(cli, tmp_path) -> None:
    src = _make("not-an-image", tmp_path)
    run = cli("denoise", src, "-o", tmp_path / "r.png", "--debug")
    assert run.code != 0
    assert "Traceback" in run.err


def _tiff_with_a_bad_tag(path: Path) -> Path:
    """A readable TIFF whose private tag points past the end of the file: tifffile
    logs about it and Pillow warns about it."""
    buf = io.BytesIO()
    tifffile.imwrite(
        buf, photo(dtype=np.uint8), extratags=[(65000, "s", 0, "hello", True)]
    )
    data = bytearray(buf.getvalue())
    at = data.find(struct.pack("<H", 65000))
    struct.pack_into("<I", data, at + 4, 10**6)  # a count far past the end
    path.write_bytes(bytes(data))
    return path


def test_library_chatter_stays_off_the_terminal(cli, tmp_path) -> None:
    bad = _tiff_with_a_bad_tag(tmp_path / "bad.tif")
    ok = cli("denoise", bad, "-o", "out.tif", "--model", "denoise.nlm")
    assert ok.code == 0 and ok.err_lines == [], ok.err
    small = save_mask(tmp_path / "small.png", np.ones((4, 4), bool))
    fail = cli("denoise", bad, "-o", "out2.tif", "--mask", small)
    assert fail.code == 1
    assert len(fail.err_lines) == 1 and "mask is 4×4" in fail.err_lines[0], fail.err
    debug = cli("denoise", bad, "-o", "out3.tif", "--model", "denoise.nlm", "--debug")
    assert debug.code == 0 and "65000" in debug.err  # --debug shows it all


def _jpeg_declaring(width: int, height: int) -> bytes:
    """A small JPEG's header with its frame size changed, cut after the header."""
    data = bytearray(_jpeg_bytes())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data[:632])


def _webp_declaring(width: int, height: int) -> bytes:
    """A lossless WebP header declaring ``width`` × ``height`` (at most 16384
    each), followed by a few bytes of nothing: 38 bytes in all."""
    bits = (width - 1) | (height - 1) << 14
    chunk = b"\x2f" + struct.pack("<I", bits) + b"\x00" * 13
    vp8l = b"VP8L" + struct.pack("<I", len(chunk)) + chunk
    return b"RIFF" + struct.pack("<I", 4 + len(vp8l)) + b"WEBP" + vp8l


def test_tiny_files_declaring_huge_images_are_refused_at_once(cli, tmp_path) -> None:
    import resource

    (tmp_path / "huge.jpg").write_bytes(_jpeg_declaring(30000, 30000))
    (tmp_path / "huge.webp").write_bytes(_webp_declaring(16384, 16384))
    for name in ("huge.jpg", "huge.webp"):
        r = cli("denoise", name, "-o", "out.png", "--model", "denoise.nlm")
        assert r.code == 1, r.err
        assert len(r.err_lines) == 1, r.err
        assert "truncated or damaged" in r.err, r.err
        assert not (tmp_path / "out.png").exists()
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert peak_mb < 1500  # nothing the size of the declared image was allocated


def test_only_regular_files_are_opened(cli, tmp_path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    r = cli("denoise", fifo, "-o", "out.png", timeout=30)
    assert r.code == 1 and len(r.err_lines) == 1
    assert "not a regular file" in r.err
    r = cli("detect", "/dev/zero", "-o", "mask.png", timeout=30)
    assert r.code == 1 and "not a regular file" in r.err


def test_signed_and_wide_sample_types_keep_their_meaning(cli, tmp_path) -> None:
    signed = (photo(dtype=np.uint16).astype(np.int32) - 30000).astype(np.int16)
    tifffile.imwrite(tmp_path / "s16.tif", signed)
    r = cli("denoise", "s16.tif", "-o", "out.tif", "--model", "denoise.nlm",
            "--strength", "0")  # fmt: skip
    assert r.code == 0, r.err
    back = tifffile.imread(tmp_path / "out.tif")
    assert back.dtype == np.int16 and np.array_equal(back, signed)
    png = cli("denoise", "s16.tif", "-o", "out.png", "--model", "denoise.nlm")
    assert png.code == 1 and len(png.err_lines) == 1
    assert "only TIFF keeps" in png.err and not (tmp_path / "out.png").exists()
    wide = (photo(dtype=np.uint16).astype(np.uint32) << 16) + 12345
    tifffile.imwrite(tmp_path / "u32.tif", wide)
    r = cli("denoise", "u32.tif", "-o", "w.tif", "--model", "denoise.nlm")
    assert r.code == 1 and len(r.err_lines) == 1
    assert "uint32 are not supported" in r.err


def _jpeg_with_text_resolution(path: Path) -> Path:
    """A JPEG whose EXIF stores XResolution as text (type ASCII), as some
    cameras and editors do; Pillow cannot write such a value back."""

    def entry(tag: int, typ: int, count: int, value: bytes) -> bytes:
        return struct.pack("<HHI", tag, typ, count) + value.ljust(4, b"\x00")[:4]

    entries = [entry(271, 2, 4, b"Cam\x00"), entry(282, 2, 3, b"72\x00")]
    ifd = struct.pack("<H", len(entries)) + b"".join(entries) + struct.pack("<I", 0)
    exif = b"Exif\x00\x00" + b"II*\x00" + struct.pack("<I", 8) + ifd
    Image.fromarray(photo()).save(path, "JPEG", quality=90, exif=exif)
    return path


@pytest.mark.parametrize("ext", [".jpg", ".tif", ".png", ".webp"])
def test_malformed_exif_is_dropped_with_a_warning_not_a_failure(cli, tmp_path, ext):
    src = _jpeg_with_text_resolution(tmp_path / "cam.jpg")
    out = f"out{ext}"
    r = cli("denoise", src, "-o", out, "--model", "denoise.nlm")
    assert r.code == 0, r.err
    assert r.err_lines == [
        "restore-app: warning: EXIF XResolution dropped: its value cannot be written"
    ]
    record = json.loads((tmp_path / f"{out}.json").read_text())
    assert record["warnings"] == [
        "EXIF XResolution dropped: its value cannot be written"
    ]
    if ext in (".jpg", ".webp", ".png"):
        assert Image.open(tmp_path / out).getexif().get(271) == "Cam"


def test_an_image_over_the_memory_budget_is_refused_before_decoding(cli, tmp_path):
    save_png(tmp_path / "scan.png", photo(200, 300))
    r = cli("denoise", "scan.png", "-o", "out.png", "--memory-budget", "256K")
    assert r.code == 1 and len(r.err_lines) == 1
    assert "over the memory budget of" in r.err and "--memory-budget" in r.err
    assert not (tmp_path / "out.png").exists()
    again = cli("denoise", "scan.png", "-o", "out.png", "--model", "denoise.nlm",
                RESTORE_MEMORY_BUDGET="1G")  # fmt: skip
    assert again.code == 0, again.err
    bad = cli("denoise", "scan.png", "-o", "o.png", "--memory-budget", "lots")
    assert bad.code == 2
