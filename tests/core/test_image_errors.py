"""Bad inputs: each is one clear line naming the file, never a crash or a write."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
import tifffile
from PIL import Image

from restore_app.core.errors import ImageReadError, ImageTooLargeError
from restore_app.core.image import read_image, read_image_size


def _png_bytes(tmp_path) -> bytes:
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(
        tmp_path / "src.png"
    )
    return (tmp_path / "src.png").read_bytes()


def _jpeg_bytes(tmp_path) -> bytes:
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(
        tmp_path / "src.jpg", quality=90
    )
    return (tmp_path / "src.jpg").read_bytes()


def _tiff_bytes(tmp_path) -> bytes:
    tifffile.imwrite(tmp_path / "src.tif", np.ones((64, 64, 3), np.uint16) * 999)
    return (tmp_path / "src.tif").read_bytes()


def _png16_bytes(tmp_path) -> bytes:
    from restore_app.core.cv import cv2

    ok, buf = cv2.imencode(".png", np.full((64, 64, 3), 4000, np.uint16))
    return buf.tobytes()


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _bomb_png() -> bytes:
    # A valid header declaring 100000 x 100000 RGB, with a tiny IDAT.
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + _chunk(b"IEND", b"")
    )


BAD_FILES = {
    "empty.png": lambda tmp: b"",
    "truncated.png": lambda tmp: _png_bytes(tmp)[:400],
    "truncated16.png": lambda tmp: _png16_bytes(tmp)[:300],
    "header_only.png": lambda tmp: _png_bytes(tmp)[:20],
    "truncated.jpg": lambda tmp: _jpeg_bytes(tmp)[:600],
    "truncated.tif": lambda tmp: _tiff_bytes(tmp)[:5000],
    "header_only.tif": lambda tmp: _tiff_bytes(tmp)[:6],
    "notes.png": lambda tmp: b"These are my notes, not a picture.\n" * 10,
    "random.tif": lambda tmp: np.random.default_rng(1).bytes(4000),
    "fake.gif": lambda tmp: b"GIF89a" + b"\x00" * 3,
    "fake.webp": lambda tmp: b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8,
}


def _assert_one_line(exc: BaseException, name: str) -> None:
    message = str(exc)
    assert "\n" not in message and message.strip() == message
    assert name in message
    assert "Traceback" not in message


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_one_line_error_and_writes_nothing(tmp_path, name):
    folder = tmp_path / "in"
    folder.mkdir()
    path = folder / name
    path.write_bytes(BAD_FILES[name](tmp_path))
    before = sorted(folder.iterdir())
    with pytest.raises(ImageReadError) as info:
        read_image(path)
    _assert_one_line(info.value, name)
    assert sorted(folder.iterdir()) == before
    assert path.read_bytes() == BAD_FILES[name](tmp_path)


def test_messages_say_what_is_wrong(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageReadError, match="empty"):
        read_image(tmp_path / "empty.png")
    (tmp_path / "text.png").write_text("hello")
    with pytest.raises(ImageReadError, match="not an image"):
        read_image(tmp_path / "text.png")
    with pytest.raises(ImageReadError, match="no such file"):
        read_image(tmp_path / "missing.tif")


def test_folder_named_like_an_image(tmp_path):
    (tmp_path / "holiday.jpg").mkdir()
    for func in (read_image, read_image_size):
        with pytest.raises(ImageReadError, match="folder") as info:
            func(tmp_path / "holiday.jpg")
        _assert_one_line(info.value, "holiday.jpg")


def test_decompression_bomb_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(_bomb_png())
    assert read_image_size(path) == (100_000, 100_000)
    with pytest.raises(ImageTooLargeError) as info:
        read_image(path)
    _assert_one_line(info.value, "bomb.png")
    assert "100000×100000" in str(info.value)


def test_limit_is_configurable(tmp_path, monkeypatch):
    path = tmp_path / "small.tif"
    tifffile.imwrite(path, np.zeros((100, 100), np.uint8))
    with pytest.raises(ImageTooLargeError):
        read_image(path, max_pixels=9_999)
    monkeypatch.setenv("RESTORE_MAX_PIXELS", "5000")
    with pytest.raises(ImageTooLargeError):
        read_image(path)
    Image.new("RGB", (100, 100)).save(tmp_path / "small.png")
    with pytest.raises(ImageTooLargeError):
        read_image(tmp_path / "small.png")
    monkeypatch.setenv("RESTORE_MAX_PIXELS", "10000")
    assert read_image(path).width == 100


def test_sparse_masks_are_read_and_bombs_still_refused(tmp_path):
    """A 1-bit mask of a 4000×3000 scan with one speck, as GIMP or Pillow
    save it, and the window's own mask of one straight stroke, are tiny files
    that hold what they declare; the bombs are refused as before."""
    from PIL import Image

    from restore_app.core.masks import read_mask

    speck = np.zeros((3000, 4000), bool)
    speck[1500:1510, 2000:2010] = True
    sparse = tmp_path / "speck.png"
    Image.fromarray(speck).convert("1").save(sparse, optimize=True)
    assert sparse.stat().st_size < 2000
    assert np.array_equal(read_mask(sparse, (3000, 4000)), speck)

    stroke = np.zeros((624, 496), bool)
    stroke[300:305, 40:460] = True
    painted = tmp_path / "mask.png"
    from restore_app.core.masks import write_mask

    write_mask(stroke, painted)
    assert np.array_equal(read_mask(painted, (624, 496)), stroke)

    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_bomb_png())
    with pytest.raises(ImageReadError):
        read_image(bomb, max_pixels=10**11)
    # A 1-bit bomb: 200000 × 200000 declared in a few hundred bytes.
    ihdr = struct.pack(">IIBBBBB", 200_000, 200_000, 1, 0, 0, 0, 0)
    flat = tmp_path / "flat-bomb.png"
    flat.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(b"\\x00" * 1000))
        + _chunk(b"IEND", b"")
    )
    with pytest.raises(ImageReadError, match="truncated or damaged"):
        read_image(flat, max_pixels=10**11)
