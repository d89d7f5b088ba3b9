"""inpaint / denoise / deblur on one real file, end to end in a child process."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import tifffile
from cli_helpers import load, photo, save_mask, save_png, scratch_mask


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("dtype", "channels", "ext"),
    [(np.uint8, 3, ".png"), (np.uint16, 3, ".png"), (np.uint16, 1, ".tif")],
)
def test_inpaint_changes_only_masked_pixels(
    cli, tmp_path, dtype, channels, ext
) -> None:
    src = photo(channels=channels, dtype=dtype)
    mask = scratch_mask()
    damaged = src.copy()
    damaged[mask] = np.iinfo(dtype).max  # white scratches, as on a print
    image = tmp_path / f"scan{ext}"
    if ext == ".tif":
        tifffile.imwrite(image, damaged)
    else:
        save_png(image, damaged)
    mask_file = save_mask(tmp_path / "mask.png", mask)
    before = image.read_bytes()
    out = tmp_path / f"out{ext}"

    run = cli(
        "inpaint", image, "--mask", mask_file, "-o", out, "--model", "inpaint.telea"
    )

    assert run.code == 0, run.err
    assert image.read_bytes() == before  # the master is never written
    result = load(out)
    assert result.dtype == dtype and result.shape == damaged.shape
    assert np.array_equal(result[~mask], damaged[~mask])
    # The fill looks like its surroundings, not like the white scratch.
    err_before = np.abs(damaged[mask].astype(float) - src[mask]).mean()
    err_after = np.abs(result[mask].astype(float) - src[mask]).mean()
    assert err_after < err_before / 3

    record = json.loads((tmp_path / f"out{ext}.json").read_text())
    op = record["operations"][0]
    assert op["restorer"] == "inpaint.telea"
    assert op["mask_sha256"] == _sha(mask_file)
    assert record["source"]["sha256"] == _sha(image)
    assert record["output"]["sha256"] == _sha(out)


def test_protect_mask_is_never_touched(cli, tmp_path) -> None:
    rng = np.random.default_rng(1)
    src = np.clip(photo().astype(int) + rng.normal(0, 20, (96, 128, 3)), 0, 255)
    src = src.astype(np.uint8)
    image = save_png(tmp_path / "noisy.png", src)
    protect = np.zeros((96, 128), bool)
    protect[30:60, 40:90] = True
    protect_file = save_mask(tmp_path / "keep.png", protect)
    out = tmp_path / "out.png"

    run = cli(
        "denoise", image, "-o", out, "--model", "denoise.nlm", "--protect", protect_file
    )

    assert run.code == 0, run.err
    result = load(out)
    assert np.array_equal(result[protect], src[protect])
    assert not np.array_equal(result[~protect], src[~protect])
    op = json.loads((tmp_path / "out.png.json").read_text())["operations"][0]
    assert op["protect_sha256"] == _sha(protect_file)


def test_denoise_reduces_noise_and_strength_zero_changes_nothing(cli, tmp_path) -> None:
    clean = photo(seed=3).astype(float)
    rng = np.random.default_rng(2)
    noisy = np.clip(clean + rng.normal(0, 15, clean.shape), 0, 255).astype(np.uint8)
    image = save_png(tmp_path / "noisy.png", noisy)

    run = cli("denoise", image, "-o", tmp_path / "a.png", "--model", "denoise.nlm")
    assert run.code == 0, run.err
    assert run.out.strip().endswith("a.png")
    result = load(tmp_path / "a.png").astype(float)
    assert np.abs(result - clean).mean() < np.abs(noisy - clean).mean() * 0.8

    run = cli("denoise", image, "-o", tmp_path / "b.png", "--strength", "0")
    assert run.code == 0, run.err
    assert np.array_equal(load(tmp_path / "b.png"), noisy)


def test_deblur_sharpens_16_bit_tiff(cli, tmp_path) -> None:
    import cv2

    sharp = np.zeros((96, 128), np.float32)
    sharp[:, 64:] = 1.0
    sharp[30:60, 20:40] = 0.7
    blurred = cv2.GaussianBlur(sharp, (0, 0), 2.0)
    image = tmp_path / "soft.tif"
    tifffile.imwrite(image, np.round(blurred * 65535).astype(np.uint16))
    out = tmp_path / "sharp.tif"

    run = cli("deblur", image, "-o", out, "--model", "deblur.wiener", "--strength", "1")

    assert run.code == 0, run.err
    result = load(out)
    assert result.dtype == np.uint16 and result.shape == (96, 128)
    edge = lambda a: np.abs(np.diff(a.astype(float)[:, 56:72], axis=1)).max()  # noqa: E731
    assert edge(result) > edge(np.round(blurred * 65535)) * 1.2


def test_jpeg_output_from_16_bit_warns(cli, tmp_path) -> None:
    image = save_png(tmp_path / "deep.png", photo(dtype=np.uint16))
    out = tmp_path / "out.jpg"
    run = cli(
        "denoise", image, "-o", out, "--strength", "0.5", "--model", "denoise.nlm"
    )
    assert run.code == 0, run.err
    assert any("warning" in line and "8-bit" in line for line in run.err_lines)
    assert load(out).dtype == np.uint8
    record = json.loads((tmp_path / "out.jpg.json").read_text())
    assert record["warnings"]


def test_existing_output_needs_overwrite(cli, tmp_path) -> None:
    image = save_png(tmp_path / "a.png", photo())
    out = tmp_path / "b.png"
    out.write_bytes(b"keep me")
    run = cli("denoise", image, "-o", out, "--strength", "0.3")
    assert run.code == 1
    assert len(run.err_lines) == 1 and "overwrite" in run.err
    assert out.read_bytes() == b"keep me"
    run = cli("denoise", image, "-o", out, "--strength", "0.3", "--overwrite")
    assert run.code == 0, run.err
    assert load(out).shape == (96, 128, 3)


def test_output_onto_source_is_refused(cli, tmp_path) -> None:
    image = save_png(tmp_path / "a.png", photo())
    before = image.read_bytes()
    run = cli("denoise", image, "-o", image, "--overwrite")
    assert run.code == 2
    assert image.read_bytes() == before


def test_denoise_mask_limits_the_effect(cli, tmp_path) -> None:
    rng = np.random.default_rng(5)
    noisy = np.clip(photo().astype(int) + rng.normal(0, 20, (96, 128, 3)), 0, 255)
    image = save_png(tmp_path / "noisy.png", noisy.astype(np.uint8))
    region = np.zeros((96, 128), bool)
    region[20:70, 30:100] = True
    mask = save_mask(tmp_path / "region.png", region)
    out = tmp_path / "out.png"
    run = cli("denoise", image, "--mask", mask, "-o", out, "--model", "denoise.nlm")
    assert run.code == 0, run.err
    result, src = load(out), load(image)
    assert np.array_equal(result[~region], src[~region])
    assert not np.array_equal(result[region], src[region])
    op = json.loads((tmp_path / "out.png.json").read_text())["operations"][0]
    assert op["mask_sha256"] == _sha(mask)


def test_unknown_model_is_one_line(cli, tmp_path) -> None:
    image = save_png(tmp_path / "a.png", photo())
    run = cli("deblur", image, "-o", tmp_path / "b.png", "--model", "deblur.nope")
    assert run.code == 1
    assert len(run.err_lines) == 1 and "deblur.nope" in run.err
    assert not (tmp_path / "b.png").exists()


def test_inpaint_covers_the_rim_unless_told_not_to(cli, tmp_path) -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[1] / "core"))
    from test_rim import crack

    from restore_app.core.masks import read_mask, write_mask

    img, core, _ = crack()
    save_png(tmp_path / "scan.png", img)
    write_mask(core, tmp_path / "m.png")
    for args, grows in (((), True), (("--no-rim",), False)):
        out = f"out{len(args)}.png"
        r = cli("inpaint", "scan.png", "--mask", "m.png", "-o", out,
                "--model", "inpaint.telea", *args)  # fmt: skip
        assert r.code == 0, r.err
        (op,) = json.loads((tmp_path / f"{out}.json").read_text())["operations"]
        used = read_mask(tmp_path / f"{out}.masks" / "01-inpaint.png", core.shape)
        assert ("rim_pixels" in op) == grows
        assert (used.sum() > core.sum()) == grows and used[core].all()
    r = cli("denoise", "scan.png", "-o", "d.png", "--no-rim")
    assert r.code == 2 and r.err_lines == [
        "restore-app: error: --no-rim is an option of inpaint only"
    ]
