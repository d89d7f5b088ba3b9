"""``restore-app color`` and ``batch --op color`` end to end, as a person runs them."""

from __future__ import annotations

import json

import numpy as np
from cli_helpers import load, photo, save_png


def _faded(seed: int = 0) -> np.ndarray:
    """A photo with its cyan layer half gone: red shadows, milky blacks."""
    img = photo(seed=seed).astype(np.float32) / 255.0
    density = -np.log10(np.maximum(img, 1e-3)) * np.array([0.5, 0.9, 0.85])
    return np.round(255 * (0.03 + 0.97 * 10.0**-density)).astype(np.uint8)


def test_color_writes_a_derivative_whose_record_holds_the_curves(cli, tmp_path) -> None:
    save_png(tmp_path / "scan.png", _faded())
    r = cli("color", "scan.png", "-o", "out.png")
    assert r.code == 0, r.err
    out = load(tmp_path / "out.png")
    assert out.shape == (96, 128, 3) and not np.array_equal(out, _faded())
    record = json.loads((tmp_path / "out.png.json").read_text())
    (op,) = record["operations"]
    assert op["task"] == "color" and op["restorer"] == "color.curves"
    assert set(op["params"]["curves"]) == {"black", "white", "gamma", "gain"}
    again = cli("replay", "out.png.json", "-o", "again.png")
    assert again.code == 0, again.err
    assert np.array_equal(load(tmp_path / "again.png"), out)
    assert cli("verify", "out.png").code == 0


def test_keep_tone_is_colour_only_and_bad_values_get_one_line(cli, tmp_path) -> None:
    save_png(tmp_path / "scan.png", _faded())
    toned = cli("color", "scan.png", "-o", "toned.png", "--keep-tone")
    assert toned.code == 0, toned.err
    record = json.loads((tmp_path / "toned.png.json").read_text())
    assert record["operations"][0]["params"]["keep_tone"] is True
    for args in (
        ("denoise", "scan.png", "-o", "d.png", "--keep-tone"),
        ("color", "scan.png", "-o", "c.png", "--strength", "2"),
        ("color", "scan.png", "-o", "c.png", "--strength", "x"),
        ("batch", ".", "-o", "outdir", "--op", "deblur", "--keep-tone"),
    ):
        bad = cli(*args)
        assert bad.code == 2, args
        # argparse's usage, then one line that says what is wrong.
        errors = [line for line in bad.err_lines if "error:" in line]
        assert len(errors) == 1 and "Traceback" not in bad.err
    assert "--keep-tone is an option of color only" in cli(*args).err
    assert not (tmp_path / "c.png").exists() and not (tmp_path / "d.png").exists()


def test_batch_colour_of_a_folder_keeps_sixteen_bits(cli, tmp_path) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    for i in range(2):
        faded = _faded(seed=i).astype(np.uint16) * 257
        save_png(scans / f"s{i}.png", faded)
    r = cli("batch", "scans", "-o", "out", "--op", "color", "--keep-tone")
    assert r.code == 0, r.err
    assert "2 done" in r.out
    for i in range(2):
        out = load(tmp_path / "out" / f"s{i}.png")
        assert out.dtype == np.uint16
        record = json.loads((tmp_path / "out" / f"s{i}.png.json").read_text())
        assert record["operations"][0]["params"]["keep_tone"] is True
