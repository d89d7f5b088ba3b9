"""Every file kind our users have opens, with its bit depth kept."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import tifffile
from PIL import Image

from restore_app.core.cv import cv2
from restore_app.core.image import ImageDoc, read_image, read_image_size, write_image


def _ramp(h, w, c, dtype):
    top = np.iinfo(dtype).max
    values = np.linspace(0, top, h * w * c) if top else np.zeros(h * w * c)
    return values.reshape(h, w, c).astype(dtype)


RGB8 = _ramp(24, 40, 3, np.uint8)
RGB16 = _ramp(24, 40, 3, np.uint16)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"compression": "lzw"},
        {"compression": "zlib"},
        {"compression": "adobe_deflate", "predictor": True},
        {"tile": (16, 16)},
        {"tile": (16, 16), "compression": "lzw"},
        {"bigtiff": True},
        {"planarconfig": "separate"},
        {"rowsperstrip": 5},
    ],
    ids=str,
)
@pytest.mark.parametrize("pixels", [RGB8, RGB16], ids=["8bit", "16bit"])
def test_tiff_codecs_and_layouts(tmp_path, options, pixels):
    path = tmp_path / "scan.tif"
    options = dict(options)
    bigtiff = options.pop("bigtiff", False)
    data = pixels
    if options.get("planarconfig") == "separate":
        data = np.moveaxis(pixels, -1, 0)  # stored as (S, H, W)
    with tifffile.TiffWriter(path, bigtiff=bigtiff) as tif:
        tif.write(data, photometric="rgb", **options)
    if bigtiff:
        with tifffile.TiffFile(path) as tif:
            assert tif.is_bigtiff
    doc = read_image(path)
    assert doc.dtype == pixels.dtype
    np.testing.assert_array_equal(doc.pixels, pixels)


def test_jpeg_compressed_tiff(tmp_path):
    path = tmp_path / "jpeg.tif"
    tifffile.imwrite(path, RGB8, photometric="rgb", compression="jpeg")
    doc = read_image(path)
    assert doc.dtype == np.uint8 and doc.channels == 3
    assert np.abs(doc.pixels.astype(int) - RGB8).mean() < 4


def test_multipage_tiff_reads_first_page(tmp_path):
    path = tmp_path / "pages.tif"
    with tifffile.TiffWriter(path) as tif:
        tif.write(RGB16, photometric="rgb")
        tif.write(np.zeros((5, 5), np.uint8), photometric="minisblack")
    doc = read_image(path)
    np.testing.assert_array_equal(doc.pixels, RGB16)


def test_float_tiff_stays_float(tmp_path):
    data = np.linspace(0, 1, 30 * 20, dtype=np.float32).reshape(30, 20)
    tifffile.imwrite(tmp_path / "f.tif", data, photometric="minisblack")
    doc = read_image(tmp_path / "f.tif")
    assert doc.dtype == np.float32 and doc.channels == 1
    assert "float" in doc.meta.source_mode
    np.testing.assert_array_equal(doc.pixels[..., 0], data)


def test_tiff_min_is_white_palette_bilevel_cmyk(tmp_path):
    gray = _ramp(6, 7, 1, np.uint16)[..., 0]
    tifffile.imwrite(tmp_path / "w.tif", 65535 - gray, photometric="miniswhite")
    np.testing.assert_array_equal(read_image(tmp_path / "w.tif").pixels[..., 0], gray)

    index = np.arange(12, dtype=np.uint8).reshape(3, 4)
    cmap = np.zeros((3, 256), np.uint16)
    cmap[0, :12] = np.arange(12) * 20 * 257
    tifffile.imwrite(tmp_path / "p.tif", index, photometric="palette", colormap=cmap)
    doc = read_image(tmp_path / "p.tif")
    assert doc.channels == 3 and doc.dtype == np.uint8
    np.testing.assert_array_equal(doc.pixels[..., 0], index * 20)

    bits = np.eye(8, dtype=bool)
    tifffile.imwrite(tmp_path / "b.tif", bits, photometric="minisblack")
    np.testing.assert_array_equal(
        read_image(tmp_path / "b.tif").pixels[..., 0], bits * 255
    )

    cmyk = np.zeros((4, 4, 4), np.uint8)
    cmyk[..., 0] = 255  # full cyan: no red
    tifffile.imwrite(tmp_path / "c.tif", cmyk, photometric="separated")
    doc = read_image(tmp_path / "c.tif")
    assert doc.meta.source_mode.startswith("CMYK")
    np.testing.assert_array_equal(doc.pixels[0, 0], [0, 255, 255])


def test_tiff_with_associated_alpha_is_unpremultiplied(tmp_path):
    data = np.zeros((2, 2, 4), np.uint8)
    data[..., :3] = 100
    data[..., 3] = 200  # premultiplied 100 at alpha 200 -> 127.5 straight
    tifffile.imwrite(tmp_path / "a.tif", data, photometric="rgb", extrasamples=[1])
    doc = read_image(tmp_path / "a.tif")
    assert doc.alpha is not None and int(doc.alpha[0, 0]) == 200
    assert int(doc.pixels[0, 0, 0]) in (127, 128)


def test_cmyk_jpeg_becomes_8_bit_rgb(tmp_path):
    Image.new("CMYK", (8, 6), (0, 255, 255, 0)).save(tmp_path / "c.jpg", quality=100)
    doc = read_image(tmp_path / "c.jpg")
    assert doc.dtype == np.uint8 and doc.channels == 3
    assert doc.meta.source_mode == "CMYK 8-bit"
    r, g, b = (int(v) for v in doc.pixels[3, 4])
    assert r > 200 and g < 60 and b < 60


def test_palette_png_with_transparency(tmp_path):
    im = Image.new("P", (5, 4), 0)
    im.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    im.putpixel((2, 2), 1)
    im.save(tmp_path / "p.png", transparency=0)
    doc = read_image(tmp_path / "p.png")
    assert doc.channels == 3 and doc.alpha is not None
    assert doc.alpha[0, 0] == 0 and doc.alpha[2, 2] == 255
    np.testing.assert_array_equal(doc.pixels[2, 2], [0, 0, 255])


def test_gray_alpha_png_8_bit(tmp_path):
    Image.new("LA", (3, 3), (90, 30)).save(tmp_path / "la.png")
    doc = read_image(tmp_path / "la.png")
    assert doc.channels == 1 and doc.dtype == np.uint8
    assert doc.pixels[1, 1, 0] == 90 and doc.alpha[1, 1] == 30


@pytest.mark.parametrize("ext", [".gif", ".webp"])
def test_animation_reads_first_frame(tmp_path, ext):
    frames = [Image.new("RGB", (6, 5), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    path = tmp_path / f"anim{ext}"
    extra = {"lossless": True} if ext == ".webp" else {}
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, **extra)
    doc = read_image(path)
    assert doc.dtype == np.uint8 and (doc.width, doc.height) == (6, 5)
    r, g, b = (int(v) for v in doc.pixels[2, 3])
    assert r > 200 and b < 50


@pytest.mark.parametrize(
    ("name", "mode"), [("a.bmp", "RGB"), ("b.bmp", "RGBA"), ("c.webp", "RGB")]
)
def test_bmp_and_webp(tmp_path, name, mode):
    im = Image.new(mode, (7, 3), (10, 20, 30, 255)[: len(mode)])
    im.save(tmp_path / name, **({"lossless": True} if name.endswith("webp") else {}))
    doc = read_image(tmp_path / name)
    np.testing.assert_array_equal(doc.pixels[1, 1], [10, 20, 30])


@pytest.mark.parametrize("ext", [".png", ".tif", ".jpg", ".webp", ".bmp", ".gif"])
def test_one_pixel_image(tmp_path, ext):
    Image.new("RGB", (1, 1), (200, 100, 50)).save(tmp_path / f"one{ext}")
    doc = read_image(tmp_path / f"one{ext}")
    assert (doc.width, doc.height) == (1, 1)
    assert read_image_size(tmp_path / f"one{ext}") == (1, 1)


@pytest.mark.parametrize("ext", [".png", ".tif", ".jpg"])
def test_non_ascii_file_names(tmp_path, ext):
    folder = tmp_path / "Fotos für Ämter — 写真"
    folder.mkdir()
    path = folder / f"Großmutter ë 写真{ext}"
    pixels = RGB16 if ext != ".jpg" else RGB8
    write_image(ImageDoc(pixels, None), path)  # 16-bit PNG goes through OpenCV
    doc = read_image(path)
    assert doc.dtype == pixels.dtype and doc.path == path
    if ext != ".jpg":
        np.testing.assert_array_equal(doc.pixels, pixels)


def test_png_named_jpg_is_read_by_content(tmp_path):
    path = tmp_path / "really_a_png.jpg"
    ok, buf = cv2.imencode(".png", RGB16[..., ::-1])
    path.write_bytes(buf.tobytes())
    doc = read_image(path)
    assert doc.meta.source_format == "PNG" and doc.dtype == np.uint16
    np.testing.assert_array_equal(doc.pixels, RGB16)


def test_size_is_upright_and_from_the_header(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (30, 10)).save(tmp_path / "r.jpg", exif=exif)
    assert read_image_size(tmp_path / "r.jpg") == (10, 30)
    tifffile.imwrite(tmp_path / "t.tif", RGB16, photometric="rgb")
    assert read_image_size(tmp_path / "t.tif") == (40, 24)


def test_100_megapixel_16_bit_scan_opens(tmp_path):
    # 10000 x 10000 16-bit: 200 MB in memory; uncompressed so writing is fast.
    path = tmp_path / "scan.tif"
    data = np.zeros((10_000, 10_000), np.uint16)
    data[-1, -1] = 65535
    tifffile.imwrite(path, data, photometric="minisblack", resolution=(600, 600))
    del data
    doc = read_image(path)
    assert (doc.width, doc.height) == (10_000, 10_000)
    assert doc.dtype == np.uint16 and doc.pixels[-1, -1, 0] == 65535
    assert doc.meta.dpi == (600.0, 600.0)


def test_large_png_is_not_refused_by_pillow(tmp_path):
    # 12000 x 12000 is over Pillow's default 89 MP bomb warning; we check sizes
    # ourselves, so no warning or error may come from Pillow.
    path = tmp_path / "big.png"
    ok, buf = cv2.imencode(".png", np.zeros((12_000, 12_000), np.uint8))
    path.write_bytes(buf.tobytes())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        doc = read_image(path)
    assert (doc.width, doc.height) == (12_000, 12_000)


def test_multi_page_palette_tiffs_are_read(tmp_path) -> None:
    import tifffile
    from PIL import Image

    from restore_app.core.image import read_image

    pal = np.zeros((3, 256), np.uint16)
    pal[0] = np.arange(256) * 257
    pal[1] = (255 - np.arange(256)) * 257
    idx = np.random.default_rng(0).integers(0, 256, (3, 40, 50)).astype(np.uint8)
    tifffile.imwrite(tmp_path / "series.tif", idx, photometric="palette", colormap=pal)
    pages = [Image.fromarray(i).convert("P") for i in idx]
    for page in pages:
        page.putpalette(list(range(256)) * 3)
    pages[0].save(tmp_path / "pillow.tif", save_all=True, append_images=pages[1:])
    for name in ("series.tif", "pillow.tif"):
        doc = read_image(tmp_path / name)
        assert doc.pixels.shape == (40, 50, 3) and doc.pixels.dtype == np.uint8
    doc = read_image(tmp_path / "series.tif")
    assert np.array_equal(doc.pixels[..., 0], idx[0])  # red ramp: the index itself
