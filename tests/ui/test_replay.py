"""A treatment made in the window is checked and made again from the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from ui_helpers import open_and_wait

from restore_app.core.image import read_image

REPO = Path(__file__).resolve().parents[2]


def _cli(*args, cwd):
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO), env.get("PYTHONPATH")])
    )
    return subprocess.run(
        [sys.executable, "-m", "restore_app", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_an_export_replays_bit_identically_and_verify_catches_changes(
    qtbot, window, scans, tmp_path
):
    doc = open_and_wait(qtbot, window, [scans])
    protect = np.zeros(doc.mask.shape, bool)
    protect[:, 200:220] = True
    doc.set_mask(protect, "Protect", "protect")
    mask = np.zeros(doc.mask.shape, bool)
    mask[60:70, 40:260] = True
    doc.set_mask(mask, "Paint mask")
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.ns"}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=30000):
        window.run_tool()
    window.workspace.tools.apply_task_settings(
        {"task": "denoise", "restorer": "denoise.nlm", "auto_strength": False,
         "strength": 0.6}
    )  # fmt: skip
    with qtbot.waitSignal(window.jobs.applied, timeout=60000):
        window.run_tool()
    out = tmp_path / "export.png"
    window.files.write_derivative(doc, out, overwrite=False)

    ok = _cli("verify", out, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    r = _cli("replay", tmp_path / "export.png.json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "identical to the recorded output" in r.stdout
    replayed = tmp_path / "export.replay.png"
    assert np.array_equal(read_image(replayed).pixels, read_image(out).pixels)

    # A changed mask, output or record is caught.
    mask_file = tmp_path / "export.png.masks" / "01-inpaint.png"
    data = bytearray(mask_file.read_bytes())
    data[-30] ^= 0xFF
    mask_file.write_bytes(bytes(data))
    bad = _cli("verify", out, cwd=tmp_path)
    assert bad.returncode == 1
    assert [ln for ln in bad.stderr.splitlines() if ln.strip()] == [
        f"restore-app: mismatch: mask 01-inpaint changed (SHA-256 differs): {mask_file}"
    ]
    out.write_bytes(out.read_bytes() + b"\x00")
    assert _cli("verify", out, cwd=tmp_path).returncode == 1
    none = _cli("verify", tmp_path / "nothing.png", cwd=tmp_path)
    assert none.returncode == 1 and len(none.stderr.splitlines()) == 1


def test_treatment_report_from_the_window(qtbot, window, scans, tmp_path):
    doc = open_and_wait(qtbot, window, [scans])
    assert window.files.treatment_report() is None  # nothing exported yet
    mask = np.zeros(doc.mask.shape, bool)
    mask[60:70, 40:260] = True
    doc.set_mask(mask, "Paint mask")
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea"}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=30000):
        window.run_tool()
    window.workspace.preferences.operator = "A. Conservator"
    out = tmp_path / "export.png"
    window.files.write_derivative(doc, out, overwrite=False)
    pdf = window.files.treatment_report()
    assert pdf == tmp_path / "export.png.report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    import json

    record = json.loads((tmp_path / "export.png.json").read_text())
    assert record["operator"] == "A. Conservator" and record["object_id"] == "scan_0"


def test_detect_map_repair_denoise_then_replay(qtbot, window, tmp_path):
    import json
    import shutil

    folder = tmp_path / "prints"
    folder.mkdir()
    shutil.copy(Path(__file__).parents[1] / "data" / "aged_twowings.png", folder)
    doc = open_and_wait(qtbot, window, [folder])
    with qtbot.waitSignal(window.jobs.applied, timeout=60000):
        window.detect_damage()
    window.damage_map.from_proposal.click()  # the proposal documents the damage
    doc.end_review()
    kinds = [k for k, layer in doc.damage.items() if layer.any()]
    assert kinds
    window.damage_map.repair_boxes[kinds[0]].setChecked(True)  # repair one kind
    window.damage_map.to_mask.click()
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.ns"}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=60000):
        window.run_tool()
    window.workspace.tools.apply_task_settings(
        {"task": "denoise", "restorer": "denoise.nlm", "auto_strength": True}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=60000):
        window.run_tool()
    out = tmp_path / "treated.png"
    window.files.write_derivative(doc, out, overwrite=False)
    record = json.loads((tmp_path / "treated.png.json").read_text())
    names = [m["name"] for m in record["masks"]]
    assert names[0] == "01-inpaint" and f"damage-{kinds[0]}" in names
    r = _cli("replay", tmp_path / "treated.png.json", cwd=tmp_path)
    assert r.returncode == 0 and "identical" in r.stdout, (r.stdout, r.stderr)
    assert _cli("verify", out, cwd=tmp_path).returncode == 0
