"""``restore-app detect``, ``batch --op detect`` and ``batch --auto-masks``, end to
end in a child process, as a person runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import tifffile
from cli_helpers import load, save_mask, save_png

DATA = Path(__file__).parents[1] / "data"


def _aged(tmp_path: Path, name: str = "coldripple") -> Path:
    dst = tmp_path / f"{name}.png"
    shutil.copy(DATA / f"aged_{name}.png", dst)
    return dst


def test_detect_writes_mask_layers_and_record(cli, tmp_path) -> None:
    image = _aged(tmp_path)
    before = image.read_bytes()
    r = cli("detect", image, "-o", "mask.png", "--layers", "layers")
    assert r.code == 0, r.err
    mask = load(tmp_path / "mask.png")
    assert mask.shape == (192, 192) and mask.dtype == np.uint8
    assert set(np.unique(mask)) == {0, 255}
    truth = load(DATA / "aged_coldripple_truth.png") > 0
    assert (mask[truth] == 255).mean() > 0.5
    names = sorted(p.name for p in (tmp_path / "layers").iterdir())
    assert names == [
        "coldripple.crack.png",
        "coldripple.damage.csv",
        "coldripple.damage.json",
        "coldripple.doubtful.png",
        "coldripple.dust.png",
        "coldripple.kinds.png",
        "coldripple.loss.png",
        "coldripple.scratch.png",
    ]
    summary = json.loads((tmp_path / "layers" / "coldripple.damage.json").read_text())
    rows = {r["kind"]: r for r in summary["kinds"]}
    assert sum(r["pixels"] for r in rows.values()) == int((mask == 255).sum())
    assert summary["resolution_dpi"] is None and rows["dust"]["mm2"] is None
    assert rows["dust"]["regions"] > 0
    from restore_app.core.atomic import sha256_file

    assert summary["scan"] == {
        "file": "coldripple.png",
        "sha256": sha256_file(image),
        "width": 192,
        "height": 192,
        "resolution_dpi": None,
    }
    assert summary["protected"] is None
    labels = load(tmp_path / "layers" / "coldripple.kinds.png")
    assert ((labels > 0) == (mask == 255)).all()
    doubtful = load(tmp_path / "layers" / "coldripple.doubtful.png") == 255
    assert not (doubtful & (mask == 255)).any()
    record = json.loads((tmp_path / "mask.png.json").read_text())
    op = record["operations"][0]
    assert op["task"] == "detect" and op["detector"] == "detect.unet"
    assert len(op["weights_sha256"]) == 64
    assert 0 < op["sensitivity"] < 1
    assert op["kinds"] == ["scratch", "dust", "crack", "loss"]
    assert len(op["layers"]) == 8
    # the medium used and why; what was left out for a person, and why
    assert op["medium"] == "print" and op["medium_asked"] == "auto"
    assert op["medium_why"]
    assert op["pixels_doubtful"] == int(doubtful.sum())
    assert sum(r["pixels"] for r in op["left_out"]) == op["pixels_doubtful"]
    assert record["source"]["sha256"] is not None
    assert image.read_bytes() == before


def test_kinds_sensitivity_and_protect(cli, tmp_path) -> None:
    image = _aged(tmp_path)
    protect = np.zeros((192, 192), bool)
    protect[:, :100] = True
    save_mask(tmp_path / "protect.png", protect)
    r = cli(
        "detect", image, "-o", "m.png", "--protect", "protect.png",
        "--kinds", "dust", "--sensitivity", "0.9", "--detector", "detect.unet",
    )  # fmt: skip
    assert r.code == 0, r.err
    m = load(tmp_path / "m.png") > 0
    assert not m[:, :100].any() and m[:, 100:].any()
    op = json.loads((tmp_path / "m.png.json").read_text())["operations"][0]
    assert op["kinds"] == ["dust"] and op["sensitivity"] == 0.9
    assert len(op["protect_sha256"]) == 64
    low = cli("detect", image, "-o", "low.png", "--sensitivity", "0.1")
    high = cli("detect", image, "-o", "high.png", "--sensitivity", "0.95")
    assert low.code == high.code == 0
    assert (load(tmp_path / "low.png") > 0).sum() < (
        load(tmp_path / "high.png") > 0
    ).sum()


def test_gray_and_16_bit_scans(cli, tmp_path) -> None:
    rgb = load(DATA / "aged_twowings.png")
    gray = (rgb @ np.array([0.299, 0.587, 0.114])).round().astype(np.uint16) * 257
    tifffile.imwrite(tmp_path / "scan.tif", gray)
    r = cli("detect", "scan.tif", "-o", "scan.png")
    assert r.code == 0, r.err
    m = load(tmp_path / "scan.png")
    assert m.shape == gray.shape and m.dtype == np.uint8 and (m > 0).any()


def test_bad_inputs_get_one_line_and_leave_nothing(cli, tmp_path) -> None:
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    image = _aged(tmp_path)
    save_mask(tmp_path / "small.png", np.ones((10, 10), bool))
    cases = [
        (("detect", "broken.png", "-o", "a.png"), 1),
        (("detect", "missing.png", "-o", "a.png"), 1),
        (("detect", image, "-o", "a.tif"), 2),
        (("detect", image, "-o", "a.png", "--protect", "small.png"), 1),
        (("detect", image, "-o", "a.png", "--detector", "detect.none"), 1),
        (("detect", image, "-o", "a.png", "--kinds", "fungus"), 2),
        (("detect", image, "-o", image), 2),
    ]
    for args, code in cases:
        r = cli(*args)
        assert r.code == code, (args, r.err)
        assert "Traceback" not in r.err
        if code == 1:
            assert len(r.err_lines) == 1, r.err
    leftovers = {p.name for p in tmp_path.iterdir()}
    assert leftovers == {"broken.png", "coldripple.png", "small.png"}
    assert cli("detect", image, "-o", "a.png").code == 0
    again = cli("detect", image, "-o", "a.png")
    assert again.code == 1 and "exists" in again.err


def test_batch_detect_then_inpaint_with_auto_masks(cli, tmp_path) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    for name in ("coldripple", "twowings"):
        shutil.copy(DATA / f"aged_{name}.png", scans / f"{name}.png")
    protect = tmp_path / "protect"
    protect.mkdir()
    keep = np.zeros((192, 192), bool)
    keep[:96] = True
    save_mask(protect / "twowings.png", keep)

    r = cli("batch", "scans", "-o", "masks", "--op", "detect", "--protect", "protect")
    assert r.code == 0, r.err
    assert sorted(p.name for p in (tmp_path / "masks").iterdir()) == [
        "coldripple.png",
        "coldripple.png.json",
        "twowings.png",
        "twowings.png.json",
    ]
    assert not load(tmp_path / "masks" / "twowings.png")[:96].any()

    r = cli("batch", "scans", "-o", "out", "--op", "inpaint", "--auto-masks",
            "--protect", "protect")  # fmt: skip
    assert r.code == 0, r.err
    out = tmp_path / "out"
    for name in ("coldripple", "twowings"):
        proposed = out / f"{name}.png.mask.png"
        assert proposed.is_file()
        record = json.loads((out / f"{name}.png.json").read_text())
        op = record["operations"][0]
        assert op["mask"] == str(proposed)
        assert len(op["mask_sha256"]) == 64
        auto = op["mask_proposed_automatically"]
        assert auto["detector"] == "detect.unet" and len(auto["weights_sha256"]) == 64
        src = load(scans / f"{name}.png")
        res = load(out / f"{name}.png")
        m = load(proposed) > 0
        assert (res[~m] == src[~m]).all()
        assert (res[m] != src[m]).any()
    src = load(scans / "twowings.png")
    assert (load(out / "twowings.png")[:96] == src[:96]).all()

    both = cli("batch", "scans", "-o", "o2", "--op", "inpaint", "--auto-masks",
               "--masks", "masks")  # fmt: skip
    assert both.code == 2 and len(both.err_lines) == 1
    wrong = cli("batch", "scans", "-o", "o3", "--op", "denoise", "--auto-masks")
    assert wrong.code == 2 and len(wrong.err_lines) == 1


def test_models_lists_detectors(cli) -> None:
    r = cli("models", "--json")
    detectors = {d["id"] for d in json.loads(r.out) if d["task"] == "detect"}
    assert detectors == {"detect.unet", "detect.tophat"}


def test_batch_takes_masks_from_the_sidecar(cli, tmp_path) -> None:
    from restore_app.core.sidecar import Sidecar
    from restore_app.core.sidecar_state import ImageSnapshot, ImageState

    scans = tmp_path / "scans"
    scans.mkdir()
    for name in ("coldripple", "twowings"):
        shutil.copy(DATA / f"aged_{name}.png", scans / f"{name}.png")
    car = Sidecar(scans)
    src = scans / "coldripple.png"
    size, mtime = car.source_stamp(src)
    mask = np.zeros((192, 192), bool)
    mask[40:60, 20:170] = True
    protect = np.zeros((192, 192), bool)
    protect[:, 90:110] = True
    state = ImageState("coldripple.png", size, mtime, 192, 192, "edited")
    car.save(ImageSnapshot(state, {"mask": mask, "protect": protect}))

    r = cli("batch", "scans", "-o", "out", "--op", "inpaint", "--sidecar-masks")
    assert r.code == 0, r.err
    assert "1 done, 1 skipped" in r.out  # twowings has no saved mask
    before = load(src)
    after = load(tmp_path / "out" / "coldripple.png")
    changed = (after != before).any(axis=2)
    assert changed[mask & ~protect].any()
    assert not changed[~mask].any() and not changed[protect].any()
    op = json.loads((tmp_path / "out" / "coldripple.png.json").read_text())
    op = op["operations"][0]
    assert op["mask"].endswith("mask.png") and op["protect"].endswith("protect.png")
    assert len(op["mask_sha256"]) == 64 and len(op["protect_sha256"]) == 64

    # A folder with no sidecar gets none made by reading it.
    other = tmp_path / "plain"
    other.mkdir()
    shutil.copy(src, other / "a.png")
    r = cli("batch", "plain", "-o", "out2", "--op", "inpaint", "--sidecar-masks")
    assert r.code == 0 and "0 done, 1 skipped" in r.out
    assert not (other / ".restore").exists()
    both = cli("batch", "scans", "-o", "o3", "--op", "inpaint", "--sidecar-masks",
               "--masks", "out")  # fmt: skip
    assert both.code == 2 and len(both.err_lines) == 1


def test_auto_masks_with_nothing_detected_write_nothing_and_say_so(
    cli, tmp_path
) -> None:
    scans = tmp_path / "scans"
    scans.mkdir()
    shutil.copy(DATA / "aged_twowings.png", scans / "damaged.png")
    # An even field: nothing on it looks like damage.
    save_png(scans / "clean.png", np.full((96, 128, 3), 140, np.uint8))
    r = cli("batch", "scans", "-o", "out", "--op", "inpaint", "--auto-masks",
            "--report", "run.jsonl")  # fmt: skip
    assert r.code == 0, r.err
    assert "1 done, 0 skipped, 0 failed, 1 with nothing detected" in r.out
    assert "nothing detected in" in r.out and "clean.png" in r.out
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "damaged.png",
        "damaged.png.json",
        "damaged.png.mask.png",
        "damaged.png.masks",
    ]
    entries = {
        Path(e["input"]).name: e
        for e in map(json.loads, (tmp_path / "run.jsonl").read_text().splitlines())
    }
    assert entries["clean.png"]["status"] == "nothing detected"
    assert entries["clean.png"]["output"] is None
    assert entries["damaged.png"]["status"] == "done"


def test_medium_is_asked_for_recorded_and_checked(cli, tmp_path) -> None:
    image = _aged(tmp_path)
    for medium in ("negative", "slide", "print"):
        r = cli("detect", image, "-o", f"{medium}.png", "--medium", medium)
        assert r.code == 0, r.err
        op = json.loads((tmp_path / f"{medium}.png.json").read_text())["operations"]
        assert op[0]["medium"] == medium and op[0]["medium_why"] == "asked for"
    # On a negative only light damage is proposed, on a slide only dark.
    import cv2

    gray = load(image).mean(-1).astype(np.uint8)
    img, around = gray.astype(float), cv2.medianBlur(gray, 9).astype(float)
    for medium, sign in (("negative", 1), ("slide", -1)):
        m = load(tmp_path / f"{medium}.png") == 255
        assert np.mean(np.sign(img - around)[m] == sign) > 0.6
    r = cli("detect", image, "-o", "x.png", "--medium", "film")
    assert r.code == 2 and "--medium" in r.err.strip().splitlines()[-1]
    assert not (tmp_path / "x.png").exists()
    scans = tmp_path / "scans"
    scans.mkdir()
    shutil.copy(image, scans / image.name)
    r = cli("batch", scans, "-o", tmp_path / "out", "--op", "detect",
            "--medium", "slide")  # fmt: skip
    assert r.code == 0, r.err
    rec = json.loads((tmp_path / "out" / "coldripple.png.json").read_text())
    assert rec["operations"][0]["medium"] == "slide"
