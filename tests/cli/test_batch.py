"""``restore-app batch`` over real folders, in a child process."""

from __future__ import annotations

import json

import numpy as np
from cli_helpers import load, photo, save_mask, save_png, scratch_mask
from PIL import Image


def _folder(tmp_path, names=("a.png", "b.png", "c.png")):
    src = tmp_path / "scans"
    src.mkdir()
    for i, name in enumerate(names):
        save_png(src / name, photo(seed=i))
    return src


def test_batch_goes_on_past_a_corrupt_file(cli, tmp_path) -> None:
    src = _folder(tmp_path)
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    Image.fromarray(photo(seed=9)).save(src / "d.bmp")
    out = tmp_path / "restored"

    run = cli("batch", src, "-o", out, "--op", "denoise", "--model", "denoise.nlm")

    assert run.code == 1, run
    assert "Traceback" not in run.err
    written = sorted(p.name for p in out.iterdir() if p.suffix != ".json")
    assert written == ["a.png", "b.png", "c.png", "d.png"]  # BMP becomes PNG
    assert "4 done, 0 skipped, 1 failed" in run.out
    assert "broken.png" in run.out
    # Each failure names its file once, on stderr and in the summary alike.
    (failed,) = [line for line in run.err.splitlines() if "failed:" in line]
    assert failed.count("broken.png") == 1, failed
    (listed,) = [line for line in run.out.splitlines() if "failed  " in line]
    assert listed.count("broken.png") == 1, listed
    assert not (out / "broken.png").exists()
    for name in written:
        record = json.loads((out / f"{name}.json").read_text())
        assert record["operations"][0]["restorer"] == "denoise.nlm"
    assert load(out / "d.png").shape == (96, 128, 3)


def test_rerun_skips_done_work_unless_overwrite(cli, tmp_path) -> None:
    src = _folder(tmp_path, ("a.png", "b.png"))
    out = tmp_path / "out"
    first = cli("batch", src, "-o", out, "--op", "deblur", "--model", "deblur.wiener")
    assert first.code == 0, first.err
    stamp = (out / "a.png").stat().st_mtime_ns

    again = cli("batch", src, "-o", out, "--op", "deblur", "--model", "deblur.wiener")
    assert again.code == 0
    assert "0 done, 2 skipped, 0 failed" in again.out
    assert (out / "a.png").stat().st_mtime_ns == stamp

    forced = cli("batch", src, "-o", out, "--op", "deblur", "--overwrite")
    assert forced.code == 0, forced.err
    assert "2 done" in forced.out


def test_inpaint_batch_matches_masks_by_stem(cli, tmp_path) -> None:
    src = _folder(tmp_path, ("a.png", "b.png", "c.png"))
    masks = tmp_path / "masks"
    masks.mkdir()
    m = scratch_mask()
    save_mask(masks / "a.png", m)
    Image.fromarray((m * 255).astype(np.uint8)).save(masks / "b.tif")  # any extension
    save_mask(masks / "b.png", m)  # ... but two candidates for b
    # c has no mask
    out = tmp_path / "out"

    run = cli("batch", src, "-o", out, "--op", "inpaint", "--masks", masks)

    assert run.code == 1, run
    assert "1 done, 1 skipped, 1 failed" in run.out
    assert "no mask" in run.out
    assert "2 masks match b.png" in run.out
    result, original = load(out / "a.png"), load(src / "a.png")
    assert np.array_equal(result[~m], original[~m])
    record = json.loads((out / "a.png.json").read_text())
    assert record["operations"][0]["mask"].endswith("a.png")
    assert record["operations"][0]["mask_sha256"]


def test_recursive_mirrors_subfolders_and_skips_sidecars(cli, tmp_path) -> None:
    src = _folder(tmp_path, ("a.png",))
    (src / "sub").mkdir()
    save_png(src / "sub" / "b.png", photo(seed=4))
    (src / ".restore").mkdir()
    save_png(src / ".restore" / "thumb.png", photo(seed=5))
    out = tmp_path / "out"

    flat = cli("batch", src, "-o", out, "--op", "denoise", "--strength", "0.4")
    assert flat.code == 0, flat.err
    assert "1 done" in flat.out
    deep = cli(
        "batch", src, "-o", out, "--op", "denoise", "--strength", "0.4", "--recursive"
    )
    assert deep.code == 0, deep.err
    assert "1 done, 1 skipped" in deep.out
    assert (out / "sub" / "b.png").is_file()
    assert not (out / ".restore").exists()


def test_batch_usage_errors_exit_2(cli, tmp_path) -> None:
    src = _folder(tmp_path, ("a.png",))
    cases = [
        ["batch", src, "-o", src, "--op", "denoise"],
        ["batch", src, "-o", src / "out", "--op", "denoise"],
        ["batch", src, "-o", tmp_path / "o", "--op", "inpaint"],  # no masks
        ["batch", src, "-o", tmp_path / "o", "--op", "inpaint", "--masks", src],
        ["batch", tmp_path / "nowhere", "-o", tmp_path / "o", "--op", "denoise"],
    ]
    for args in cases:
        run = cli(*args)
        assert run.code == 2, (args, run)
        assert len(run.err_lines) == 1 and "Traceback" not in run.err
    assert sorted(p.name for p in src.iterdir()) == ["a.png"]
    assert not (tmp_path / "o").exists()


def test_outputs_among_the_scans_are_not_taken_for_scans(cli, tmp_path) -> None:
    src = _folder(tmp_path, ("a.png", "b.png"))
    r = cli("denoise", src / "a.png", "-o", src / "a.clean.png",
            "--model", "denoise.nlm")  # fmt: skip
    assert r.code == 0, r.err
    run = cli("batch", src, "-o", tmp_path / "out", "--op", "denoise",
              "--model", "denoise.nlm")  # fmt: skip
    assert run.code == 0, run.err
    assert "2 done, 1 skipped, 0 failed" in run.out
    assert "a.clean.png: an output of Restore" in run.out
    assert not (tmp_path / "out" / "a.clean.png").exists()
    again = cli("batch", src, "-o", tmp_path / "all", "--op", "denoise",
                "--model", "denoise.nlm", "--include-derivatives")  # fmt: skip
    assert again.code == 0 and "3 done" in again.out
