"""Color in the window: Auto, one undo step, and the command line's pixels."""

from __future__ import annotations

import json

import numpy as np
from ui_helpers import open_and_wait

from restore_app.core.image import read_image
from restore_app.pipeline.files import restore_file


def _faded_scan(path) -> None:
    import cv2

    y, x = np.mgrid[0:160, 0:200].astype(np.float32)
    img = np.stack(
        [0.5 + 0.45 * np.sin(x / 17 + k) * np.cos(y / 23 - k) for k in range(3)], -1
    )
    density = -np.log10(np.clip(img, 1e-3, 1)) * np.array([0.5, 0.9, 0.8])
    faded = np.round(255 * (0.03 + 0.97 * 10.0**-density)).astype(np.uint8)
    assert cv2.imwrite(str(path), faded[..., ::-1])


def test_color_runs_with_auto_undoes_in_one_step_and_matches_the_cli(
    qtbot, window, tmp_path
):
    scans = tmp_path / "scans"
    scans.mkdir()
    _faded_scan(scans / "faded.png")
    doc = open_and_wait(qtbot, window, [scans / "faded.png"])
    before = doc.pixels.copy()
    window.workspace.tools.apply_task_settings(
        {"task": "color", "auto_strength": True, "keep_tone": False}
    )
    assert window.tools.keep_tone.isVisibleTo(window.tools)
    with qtbot.waitSignal(window.jobs.applied, timeout=60000):
        window.run_tool()
    after = doc.pixels.copy()
    assert not np.array_equal(after, before)
    assert doc.undo_stack.undo_text().startswith("Color image (auto strength")
    doc.undo_stack.undo()
    assert np.array_equal(doc.pixels, before)
    # A preview of part of the image shows the whole image's correction there.
    previews = []
    window.jobs.preview_ready.connect(lambda *a: previews.append(a))
    with qtbot.waitSignal(window.jobs.preview_ready, timeout=60000):
        window.jobs.preview(doc, window.workspace.tools.task_settings, (20, 30, 90, 80))
    _, (x0, y0), shown = previews[-1]
    h, w = shown.shape[:2]
    assert np.array_equal(shown, after[y0 : y0 + h, x0 : x0 + w])
    doc.undo_stack.redo()
    assert np.array_equal(doc.pixels, after)

    cli_out = tmp_path / "cli.png"
    restore_file(scans / "faded.png", cli_out, task="color")
    assert np.array_equal(read_image(cli_out).pixels, after)
    record = json.loads((tmp_path / "cli.png.json").read_text())
    assert record["operations"][0]["restorer"] == "color.curves"
