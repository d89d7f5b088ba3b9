"""`restore-app verify` and `restore-app replay` on outputs of the command line."""

from __future__ import annotations

import numpy as np
from cli_helpers import load, photo, save_mask, save_png, scratch_mask


def test_a_command_line_output_replays_and_verifies(cli, tmp_path) -> None:
    save_png(tmp_path / "scan.png", photo())
    save_mask(tmp_path / "mask.png", scratch_mask())
    r = cli("inpaint", "scan.png", "--mask", "mask.png", "-o", "out.png",
            "--model", "inpaint.telea")  # fmt: skip
    assert r.code == 0, r.err
    assert cli("verify", "out.png").code == 0
    again = cli("replay", "out.png.json", "-o", "again.png")
    assert again.code == 0, again.err
    assert "identical" in again.out
    assert np.array_equal(load(tmp_path / "again.png"), load(tmp_path / "out.png"))
    save_mask(tmp_path / "mask.png", ~scratch_mask())  # the mask changed since
    bad = cli("verify", "out.png")
    assert bad.code == 1 and "mask changed" in bad.err
    # Replay uses the copy of the mask written beside the output...
    third = cli("replay", "out.png.json", "-o", "third.png")
    assert third.code == 0 and "identical" in third.out
    # ... and refuses when that copy changed too.
    save_mask(tmp_path / "out.png.masks" / "01-inpaint.png", ~scratch_mask())
    refused = cli("replay", "out.png.json", "-o", "fourth.png")
    assert refused.code == 1 and len(refused.err_lines) == 1
    assert "01-inpaint is missing or changed" in refused.err
    assert not (tmp_path / "fourth.png").exists()
    usage = cli("replay", "out.png.json", "-o", "x.bmp")
    assert usage.code == 2


def test_the_treatment_report_is_a_pdf_of_the_record(cli, tmp_path) -> None:
    import json
    import re

    save_png(tmp_path / "scan.png", photo())
    save_mask(tmp_path / "mask.png", scratch_mask())
    r = cli("inpaint", "scan.png", "--mask", "mask.png", "-o", "out.png",
            "--model", "inpaint.telea", "--operator", "A. Conservator",
            "--object-id", "INV-1901-77", "--purpose", "access copy")  # fmt: skip
    assert r.code == 0, r.err
    record = json.loads((tmp_path / "out.png.json").read_text())
    assert record["format_version"] == 2
    assert (record["object_id"], record["operator"], record["purpose"]) == (
        "INV-1901-77",
        "A. Conservator",
        "access copy",
    )
    assert record["software"]["torch"]
    rep = cli("report", "out.png.json")
    assert rep.code == 0, rep.err
    pdf = (tmp_path / "out.png.report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    # The title page, the damage map with its table, the operations.
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 3
    assert cli("report", "missing.json").code == 2


def test_verify_catches_changed_weights(cli, tmp_path) -> None:
    import json

    save_png(tmp_path / "scan.png", photo())
    save_mask(tmp_path / "mask.png", scratch_mask())
    r = cli("inpaint", "scan.png", "--mask", "mask.png", "-o", "out.png",
            "--model", "inpaint.ffc")  # fmt: skip
    assert r.code == 0, r.err
    assert cli("verify", "out.png").code == 0
    path = tmp_path / "out.png.json"
    record = json.loads(path.read_text())
    record["operations"][0]["weights_sha256"] = "0" * 64  # made with other weights
    path.write_text(json.dumps(record))
    bad = cli("verify", "out.png")
    assert bad.code == 1
    assert bad.err_lines == [
        "restore-app: mismatch: operation 1: the weights of inpaint.ffc changed"
    ]


def test_verify_takes_the_record_and_replay_fails_on_different_pixels(
    cli, tmp_path
) -> None:
    import json

    save_png(tmp_path / "scan.png", photo())
    save_mask(tmp_path / "mask.png", scratch_mask())
    r = cli("inpaint", "scan.png", "--mask", "mask.png", "-o", "out.png",
            "--model", "inpaint.telea")  # fmt: skip
    assert r.code == 0, r.err
    by_record = cli("verify", "out.png.json")
    assert by_record.code == 0, by_record.err
    assert by_record.out.strip() == "out.png: matches its record"
    same = cli("replay", "out.png.json", "-o", "same.png")
    assert same.code == 0 and "pixels identical" in same.out
    # A record whose output was since changed: the replay says so and fails.
    out = load(tmp_path / "out.png")
    out[0, 0] = 255 - out[0, 0]
    save_png(tmp_path / "out.png", out)
    record = json.loads((tmp_path / "out.png.json").read_text())
    assert record["output"]["path"].endswith("out.png")
    differs = cli("replay", "out.png.json", "-o", "again.png")
    assert differs.code == 1
    assert len(differs.err_lines) == 1 and "pixels differ" in differs.err


def test_the_report_says_what_is_stated_when_reporting(cli, tmp_path) -> None:
    from pypdf import PdfReader

    save_png(tmp_path / "scan.png", photo())
    save_mask(tmp_path / "mask.png", scratch_mask())
    r = cli("inpaint", "scan.png", "--mask", "mask.png", "-o", "out.png",
            "--model", "inpaint.telea", "--object-id", "INV-7")  # fmt: skip
    assert r.code == 0, r.err
    rep = cli("report", "out.png.json", "--operator", "B. Archivist",
              "--object-id", "INV-8")  # fmt: skip
    assert rep.code == 0, rep.err
    text = PdfReader(tmp_path / "out.png.report.pdf").pages[0].extract_text()
    assert "B. Archivist (stated when reporting)" in text
    assert "INV-7; INV-8 (stated when reporting)" in text
    assert "Purpose (not given)" in " ".join(text.split())


def _scan_mask_and_protect(folder) -> None:
    """scan.png, mask.png (a scratch) and keep.png (its first 20 columns
    protected: 1,920 pixels) in ``folder``."""
    save_png(folder / "scan.png", photo())
    save_mask(folder / "mask.png", scratch_mask())
    keep = np.zeros((96, 128), bool)
    keep[:, :20] = True
    save_mask(folder / "keep.png", keep)


def test_a_replay_record_keeps_what_the_record_said(cli, tmp_path) -> None:
    import json

    _scan_mask_and_protect(tmp_path)
    r = cli("inpaint", "scan.png", "--mask", "mask.png", "-o", "out.png",
            "--protect", "keep.png", "--model", "inpaint.telea",
            "--object-id", "INV-9", "--operator", "C. Keeper")  # fmt: skip
    assert r.code == 0, r.err
    again = cli("replay", "out.png.json", "-o", "again.png")
    assert again.code == 0, again.err
    first = json.loads((tmp_path / "out.png.json").read_text())
    replay = json.loads((tmp_path / "again.png.json").read_text())
    assert (replay["object_id"], replay["operator"]) == ("INV-9", "C. Keeper")
    (op,) = replay["operations"]
    assert op["protect_sha256"] == first["operations"][0]["protect_sha256"]
    assert op["mask_sha256"] == first["operations"][0]["mask_sha256"]
    assert op["replay_of"].endswith("out.png.json")


def test_the_report_reads_as_a_person_reads(cli, tmp_path) -> None:
    """Parameters spelled out, not a Python dict; the repaired area with a
    heading of its own; the protected region apart from the damage table."""
    import json

    from pypdf import PdfReader

    _scan_mask_and_protect(tmp_path)
    r = cli("denoise", "scan.png", "--mask", "mask.png", "-o", "out.png",
            "--protect", "keep.png", "--model", "denoise.nlm",
            "--strength", "0.6")  # fmt: skip
    assert r.code == 0, r.err
    record_file = tmp_path / "out.png.json"
    record = json.loads(record_file.read_text())
    record["operations"].append({"task": "damage-record", "repaired_pixels": 1234})
    record_file.write_text(json.dumps(record))
    assert cli("report", "out.png.json").code == 0
    pages = PdfReader(tmp_path / "out.png.report.pdf").pages
    text = " ".join(" ".join(p.extract_text().split()) for p in pages)
    assert "{'" not in text and "strength 0.6" in text
    assert "2. Repaired area: 1,234 pixels" in text
    assert "(outlined; never changed, not damage): 1,920 pixels" in text
    table = text[text.index("Damage map") : text.index("Protected as original")]
    assert "protect" not in table


def test_the_report_files_the_scan_the_automatic_mask_and_crops_at_full_size(
    cli, tmp_path
) -> None:
    """An automatic repair's report says what found the mask (detector, its
    weights, sensitivity, medium) and what it left for a person; the scan's
    size, bit depth and resolution; and the largest repairs at 100 %."""
    import shutil
    from pathlib import Path

    from pypdf import PdfReader

    scans = tmp_path / "scans"
    scans.mkdir()
    data = Path(__file__).parents[1] / "data"
    shutil.copy(data / "aged_coldripple.png", scans / "print.png")
    r = cli("batch", scans, "-o", tmp_path / "out", "--op", "inpaint", "--auto-masks")
    assert r.code == 0, r.err
    assert cli("report", tmp_path / "out" / "print.png.json").code == 0
    reader = PdfReader(tmp_path / "out" / "print.png.report.pdf")
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "Scan 192 × 192 px, 8-bit RGB, no resolution recorded" in text
    assert "mask found automatically by detect.unet (weights SHA-256" in text
    assert "medium: print" in text
    assert "The largest repairs at 100 %" in text and "before | after: x " in text
    images = sum(len(p.images) for p in reader.pages)
    assert images >= 2 + 1 + 2  # before, after, the map, a pair of crops


def test_a_tall_scans_damage_map_keeps_its_table_on_its_page(cli, tmp_path) -> None:
    """The map of a portrait scan is made smaller rather than its table (and
    the protected line under it) broken onto the next page."""
    from pypdf import PdfReader

    save_png(tmp_path / "scan.png", photo(300, 120))
    save_mask(tmp_path / "mask.png", scratch_mask(300, 120))
    keep = np.zeros((300, 120), bool)
    keep[:, :20] = True
    save_mask(tmp_path / "keep.png", keep)
    r = cli("inpaint", "scan.png", "--mask", "mask.png", "-o", "out.png",
            "--protect", "keep.png", "--model", "inpaint.telea")  # fmt: skip
    assert r.code == 0, r.err
    assert cli("report", "out.png.json").code == 0
    pages = [
        " ".join(p.extract_text().split())
        for p in PdfReader(tmp_path / "out.png.report.pdf").pages
    ]
    (page,) = [p for p in pages if "Damage map" in p]
    assert "01-inpaint" in page and "Protected as original" in page
