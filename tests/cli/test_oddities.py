"""About two hundred odd, broken and hostile image files through the command
line: each is either processed, or refused with one line and a non-zero exit,
and nothing is left in the output folder."""

from __future__ import annotations

import io
import resource
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from cli_helpers import REPO, cli_env, photo
from PIL import Image

from restore_app.cli.main import main


def _png(arr, **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG", **kw)
    return buf.getvalue()


def _pil(arr, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, fmt, **kw)
    return buf.getvalue()


def _tiff(arr, **kw) -> bytes:
    buf = io.BytesIO()
    tifffile.imwrite(buf, arr, **kw)
    return buf.getvalue()


def _valid_files() -> dict[str, bytes]:
    rgb = photo(48, 64)
    gray16 = photo(48, 64, channels=1, dtype=np.uint16)
    rgba = np.dstack([rgb, np.full(rgb.shape[:2], 200, np.uint8)])
    return {
        "rgb.png": _png(rgb),
        "gray16.png": _png(gray16),
        "rgba.png": _png(rgba),
        "palette.png": _png(np.asarray(Image.fromarray(rgb).convert("P"))),
        "photo.jpg": _pil(rgb, "JPEG", quality=85),
        "progressive.jpg": _pil(rgb, "JPEG", quality=70, progressive=True),
        "photo.webp": _pil(rgb, "WEBP", quality=80),
        "lossless.webp": _pil(rgb, "WEBP", lossless=True),
        "photo.gif": _pil(rgb, "GIF"),
        "photo.bmp": _pil(rgb, "BMP"),
        "rgb16.tif": _tiff(
            photo(48, 64, dtype=np.uint16), photometric="rgb", compression="zlib"
        ),
        "float.tif": _tiff(rgb.astype(np.float32) / 255, photometric="rgb"),
        "signed.tif": _tiff(gray16.astype(np.int32).astype(np.int16)),
        "pixel.png": _png(np.zeros((1, 1, 3), np.uint8)),
        "strip.png": _png(np.zeros((1, 3000), np.uint8)),
    }


def _absurd_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 10))
        + chunk(b"IEND", b"")
    )


def _oddities() -> list[tuple[str, bytes]]:
    rng = np.random.default_rng(2026)
    valid = _valid_files()
    cases: list[tuple[str, bytes]] = list(valid.items())
    names = sorted(valid)
    for i in range(80):  # truncations
        name = names[i % len(names)]
        data = valid[name]
        cut = int(rng.integers(1, len(data)))
        cases.append((f"cut{i}-{name}", data[:cut]))
    for i in range(90):  # bit flips, sometimes in the header
        name = names[i % len(names)]
        data = bytearray(valid[name])
        span = 64 if i % 3 == 0 else len(data)
        for pos in rng.integers(0, min(span, len(data)), int(rng.integers(1, 12))):
            data[pos] ^= 1 << int(rng.integers(0, 8))
        cases.append((f"flip{i}-{name}", bytes(data)))
    for w, h in ((0, 10), (10, 0), (1 << 31, 1), (100000, 100000), (70000, 3)):
        cases.append((f"absurd{w}x{h}.png", _absurd_png(w, h)))
    cases.append(("empty.png", b""))
    cases.append(("text.jpg", b"this is not an image at all\n" * 20))
    cases.append(("zeros.tif", b"II*\x00" + b"\x00" * 200))
    return cases


CASES = _oddities()


def _check(code: int, err: str, out_dir: Path, out: Path) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if code == 0:
        assert out.is_file() and out.with_name(out.name + ".json").is_file()
        assert all(ln.startswith("restore-app: warning: ") for ln in lines), lines
    else:
        assert code in (1, 2), code
        errors = [ln for ln in lines if not ln.startswith("restore-app: warning: ")]
        assert len(errors) == 1 and errors[0].startswith("restore-app: error: "), lines
        assert "Traceback" not in err
        assert list(out_dir.iterdir()) == [], sorted(out_dir.iterdir())


def test_two_hundred_oddities_in_process(tmp_path, capsys) -> None:
    assert len(CASES) >= 190
    outcomes = {"done": 0, "refused": 0}
    for i, (name, data) in enumerate(CASES):
        src = tmp_path / "in" / name
        src.parent.mkdir(exist_ok=True)
        src.write_bytes(data)
        out_dir = tmp_path / f"out{i}"
        out_dir.mkdir()
        out = out_dir / "result.tif"
        code = main(["denoise", str(src), "-o", str(out), "--model", "denoise.nlm"])
        err = capsys.readouterr().err
        try:
            _check(code, err, out_dir, out)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None
        outcomes["done" if code == 0 else "refused"] += 1
    # Both outcomes happen: the mutations break some files and not others.
    assert outcomes["done"] >= 15 and outcomes["refused"] >= 100, outcomes


def _limits() -> None:
    two_gib = 2 * 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (two_gib, two_gib))


@pytest.mark.parametrize("index", range(0, len(CASES), max(1, len(CASES) // 20)))
def test_oddities_in_a_real_process(tmp_path, index) -> None:
    name, data = CASES[index]
    src = tmp_path / name
    src.write_bytes(data)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "result.png"
    proc = subprocess.run(
        [sys.executable, "-m", "restore_app", "denoise", str(src), "-o", str(out),
         "--model", "denoise.nlm"],
        env=cli_env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=10,
        preexec_fn=_limits,
    )  # fmt: skip
    _check(proc.returncode, proc.stderr, out_dir, out)


def test_an_output_under_a_file_says_which_file_is_in_the_way(cli, tmp_path) -> None:
    from cli_helpers import save_png

    save_png(tmp_path / "scan.png", photo())
    (tmp_path / "scans").mkdir()
    save_png(tmp_path / "scans" / "a.png", photo())
    (tmp_path / "afile").write_text("")
    for out in ("afile/x.png", "afile/sub/x.png"):
        r = cli("denoise", "scan.png", "-o", out, "--model", "denoise.nlm")
        assert r.code == 1 and len(r.err_lines) == 1, r.err
        assert "afile is a file, not a folder" in r.err
    r = cli("batch", "scans", "-o", "afile/sub", "--op", "denoise")
    assert r.code == 2 and len(r.err_lines) == 1
    assert "afile is a file" in r.err


def test_a_multi_page_tiff_says_only_its_first_page_was_processed(
    cli, tmp_path
) -> None:
    import json

    pages = [photo(seed=i) for i in range(3)]
    (tmp_path / "scans").mkdir()
    with tifffile.TiffWriter(tmp_path / "scans" / "book.tif") as tif:
        for page in pages:
            tif.write(page, photometric="rgb")
    one = cli("denoise", "scans/book.tif", "-o", "one.tif", "--model", "denoise.nlm")
    assert one.code == 0, one.err
    assert "only page 1 of 3 was processed" in one.err
    record = json.loads((tmp_path / "one.tif.json").read_text())
    assert record["operations"][0]["pages"] == {"processed": [1], "in_source": 3}
    many = cli("batch", "scans", "-o", "out", "--op", "denoise",
               "--model", "denoise.nlm", "--report", "run.jsonl")  # fmt: skip
    assert many.code == 0, many.err
    assert "book.tif: only page 1 of 3 was processed" in many.err
    (entry,) = [json.loads(line) for line in (tmp_path / "run.jsonl").open()]
    assert entry["warnings"] == [
        "only page 1 of 3 was processed: the other pages are not in the output"
    ]
    # A single-page TIFF says nothing of pages.
    tifffile.imwrite(tmp_path / "single.tif", pages[0], photometric="rgb")
    single = cli("denoise", "single.tif", "-o", "s.tif", "--model", "denoise.nlm")
    assert single.code == 0 and "page" not in single.err
