"""Round trips through write_image/read_image keep pixels, depth and metadata."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps

from restore_app.core.errors import ImageWriteError, OutputExistsError
from restore_app.core.image import ImageDoc, ImageMeta, orient, read_image, write_image

SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _gray_icc_profile() -> bytes:
    """A minimal valid ICC v2 gray display profile (gamma 2.2, D50)."""

    def s15(v: float) -> bytes:
        return struct.pack(">i", round(v * 65536))

    desc_text = b"Gray gamma 2.2\x00"
    desc = (
        b"desc"
        + b"\x00" * 4
        + struct.pack(">I", len(desc_text))
        + desc_text
        + b"\x00" * 8
        + b"\x00\x00\x00"
        + b"\x00" * 67
    )
    wtpt = b"XYZ " + b"\x00" * 4 + s15(0.9642) + s15(1.0) + s15(0.8249)
    ktrc = b"curv" + b"\x00" * 4 + struct.pack(">IH", 1, 0x0233) + b"\x00\x00"
    cprt = b"text" + b"\x00" * 4 + b"No copyright\x00"
    tags = [(b"desc", desc), (b"wtpt", wtpt), (b"kTRC", ktrc), (b"cprt", cprt)]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        body += b"\x00" * (-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (
        struct.pack(">I", size)
        + b"\x00" * 4
        + bytes([2, 0x10, 0, 0])
        + b"mntr"
        + b"GRAY"
        + b"XYZ "
        + b"\x00" * 12
        + b"acsp"
        + b"\x00" * 24
        + struct.pack(">I", 0)
        + s15(0.9642)
        + s15(1.0)
        + s15(0.8249)
        + b"\x00" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data


GRAY_ICC = _gray_icc_profile()
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'


def _exif(orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Restore Test Camera"  # Make
    return exif.tobytes()[6:]  # raw EXIF, without the "Exif\0\0" JPEG header


def _random(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == np.float32:
        return rng.random(shape, dtype=np.float32)
    return rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)


@pytest.mark.parametrize("ext", [".png", ".tif"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("kind", ["gray", "rgb", "rgba", "gray+alpha"])
def test_lossless_round_trip_keeps_pixels_icc_dpi(tmp_path, ext, dtype, kind):
    channels = 1 if kind.startswith("gray") else 3
    pixels = _random((13, 17, channels), dtype)
    alpha = _random((13, 17), dtype, seed=1) if kind in ("rgba", "gray+alpha") else None
    icc = GRAY_ICC if channels == 1 else SRGB_ICC
    meta = ImageMeta(icc_profile=icc, dpi=(600.0, 300.0), exif=_exif(), xmp=XMP)
    out = tmp_path / f"out{ext}"

    warnings = write_image(ImageDoc(pixels, alpha, meta), out)

    assert warnings == []
    doc = read_image(out)
    assert doc.dtype == dtype and doc.channels == channels
    assert doc.bit_depth == 8 * np.dtype(dtype).itemsize
    np.testing.assert_array_equal(doc.pixels, pixels)
    if alpha is None:
        assert doc.alpha is None
    else:
        np.testing.assert_array_equal(doc.alpha, alpha)
    assert doc.meta.icc_profile == icc
    assert doc.meta.dpi == pytest.approx((600.0, 300.0))
    assert doc.meta.xmp == XMP
    exif = Image.Exif()
    exif.load(doc.meta.exif)
    assert exif[0x010F] == "Restore Test Camera"
    assert doc.meta.source_format == ("PNG" if ext == ".png" else "TIFF")
    assert doc.path == out


def test_float_tiff_round_trip(tmp_path):
    pixels = _random((9, 8, 3), np.float32)
    write_image(ImageDoc(pixels, None, ImageMeta()), tmp_path / "f.tif")
    doc = read_image(tmp_path / "f.tif")
    assert doc.dtype == np.float32 and doc.bit_depth == 32
    np.testing.assert_array_equal(doc.pixels, pixels)


def test_float_to_png_becomes_16_bit_with_warning(tmp_path):
    pixels = _random((9, 8, 3), np.float32)
    warnings = write_image(ImageDoc(pixels, None, ImageMeta()), tmp_path / "f.png")
    assert len(warnings) == 1 and "16-bit" in warnings[0]
    doc = read_image(tmp_path / "f.png")
    assert doc.dtype == np.uint16
    np.testing.assert_allclose(doc.pixels / 65535.0, pixels, atol=1 / 65535)


def test_jpeg_from_16_bit_rgba_converts_and_warns(tmp_path):
    pixels = np.full((16, 16, 3), 40000, np.uint16)
    alpha = np.full((16, 16), 65535, np.uint16)
    meta = ImageMeta(icc_profile=SRGB_ICC, dpi=(300.0, 300.0), exif=_exif(6), xmp=XMP)
    warnings = write_image(ImageDoc(pixels, alpha, meta), tmp_path / "o.jpg")
    assert len(warnings) == 1
    assert "16-bit" in warnings[0] and "alpha dropped" in warnings[0]
    doc = read_image(tmp_path / "o.jpg")
    assert doc.dtype == np.uint8 and doc.alpha is None and doc.channels == 3
    assert abs(int(doc.pixels[8, 8, 0]) - round(40000 / 257)) <= 2
    assert doc.meta.icc_profile == SRGB_ICC
    assert doc.meta.dpi == (300.0, 300.0)
    assert doc.meta.xmp is not None and b"xmpmeta" in doc.meta.xmp
    # The pixels were already upright: the written orientation must say so.
    exif = Image.Exif()
    exif.load(doc.meta.exif)
    assert exif[0x0112] == 1
    assert (doc.height, doc.width) == (16, 16)


def test_webp_keeps_alpha_and_warns_on_16_bit(tmp_path):
    pixels = np.full((8, 8, 1), 30000, np.uint16)
    alpha = np.zeros((8, 8), np.uint16)
    alpha[:4] = 65535
    warnings = write_image(
        ImageDoc(pixels, alpha, ImageMeta()), tmp_path / "o.webp", quality=100
    )
    assert len(warnings) == 1 and "16-bit" in warnings[0]
    doc = read_image(tmp_path / "o.webp")
    assert doc.dtype == np.uint8 and doc.alpha is not None
    np.testing.assert_array_equal(doc.alpha[:4], 255)
    np.testing.assert_array_equal(doc.alpha[4:], 0)


def test_8_bit_jpeg_writes_without_warning(tmp_path):
    pixels = _random((8, 8, 3), np.uint8)
    assert write_image(ImageDoc(pixels, None), tmp_path / "o.jpeg") == []


def test_exif_orientation_6_is_applied(tmp_path):
    # Stored 20 wide, 10 high, marked "rotate 90° clockwise to display".
    stored = np.zeros((10, 20, 3), np.uint8)
    stored[:4, :4] = (255, 0, 0)  # stored top-left: upright top-right after rotation
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(tmp_path / "rot.jpg", quality=100, exif=exif)

    doc = read_image(tmp_path / "rot.jpg")

    assert (doc.width, doc.height) == (10, 20)
    assert doc.pixels[1, -2, 0] > 200 and doc.pixels[1, -2, 1] < 60
    assert doc.pixels[1, 1, 0] < 60 and doc.pixels[-2, -2, 0] < 60


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_matches_pillow(orientation):
    stored = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    im = Image.fromarray(stored)
    exif = im.getexif()
    exif[0x0112] = orientation
    im.info["exif"] = exif.tobytes()
    expected = np.asarray(ImageOps.exif_transpose(im))
    np.testing.assert_array_equal(orient(stored, orientation), expected)


def test_orientation_applies_to_png_and_tiff(tmp_path):
    stored = np.arange(2 * 3, dtype=np.uint16).reshape(2, 3, 1) * 1000
    doc = ImageDoc(stored, None, ImageMeta(exif=_exif(8)))
    for name in ("o.png", "o.tif"):
        # write_image resets orientation; write the marked file with the raw writers.
        path = tmp_path / name
        write_image(doc, path)
        doc_back = read_image(path)
        np.testing.assert_array_equal(doc_back.pixels, stored)
    import tifffile

    tifffile.imwrite(tmp_path / "o8.tif", stored[..., 0], extratags=[(274, "H", 1, 8)])
    turned = read_image(tmp_path / "o8.tif")
    np.testing.assert_array_equal(turned.pixels, orient(stored, 8))
    assert (turned.width, turned.height) == (2, 3)


def test_existing_output_not_overwritten_unless_asked(tmp_path):
    out = tmp_path / "o.png"
    out.write_bytes(b"old")
    doc = ImageDoc(_random((4, 4, 3), np.uint8), None)
    with pytest.raises(OutputExistsError):
        write_image(doc, out)
    assert out.read_bytes() == b"old"
    write_image(doc, out, overwrite=True)
    np.testing.assert_array_equal(read_image(out).pixels, doc.pixels)


def test_source_file_is_never_written(tmp_path):
    src = tmp_path / "master.tif"
    write_image(ImageDoc(_random((4, 4, 3), np.uint16), None), src)
    before = src.read_bytes()
    doc = read_image(src)
    for target in (src, tmp_path / "." / "master.tif"):
        with pytest.raises(ImageWriteError, match="source"):
            write_image(doc, target, overwrite=True)
    assert src.read_bytes() == before


def test_unsupported_output_extension(tmp_path):
    doc = ImageDoc(_random((4, 4, 3), np.uint8), None)
    with pytest.raises(ImageWriteError, match=r"\.bmp"):
        write_image(doc, tmp_path / "o.bmp")
    assert list(tmp_path.iterdir()) == []


def test_profile_that_does_not_fit_is_dropped_with_warning(tmp_path):
    gray = ImageDoc(_random((4, 4, 1), np.uint8), None, ImageMeta(icc_profile=SRGB_ICC))
    warnings = write_image(gray, tmp_path / "g.png")
    assert len(warnings) == 1 and "profile" in warnings[0]
    assert read_image(tmp_path / "g.png").meta.icc_profile is None
    # WebP has no gray: gray is written as RGB, so a gray profile cannot go with it.
    gray.meta = ImageMeta(icc_profile=GRAY_ICC)
    assert any("profile" in w for w in write_image(gray, tmp_path / "g.webp"))
