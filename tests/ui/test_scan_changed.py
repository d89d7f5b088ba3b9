"""A scan replaced on disk while its work is open: the window never runs,
exports or saves against a file it did not read."""

from __future__ import annotations

import json
import os

import cv2
import numpy as np
from ui_helpers import open_and_wait

from restore_app.models.batch import sidecar_lookup


def _write(path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    img = (rng.random((120, 160, 3)) * 255).astype(np.uint8)
    assert cv2.imwrite(str(path), img)


def _rescan(path) -> None:
    """Replace ``path`` with another scan (another size and time)."""
    _write(path, 2)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))


def _open_with_a_mask(qtbot, window, tmp_path):
    """(scan, its document, the mask painted on it), the scan in ``scans/``."""
    folder = tmp_path / "scans"
    folder.mkdir()
    scan = folder / "d.png"
    _write(scan, 1)
    doc = open_and_wait(qtbot, window, [scan])
    mask = np.zeros(doc.mask.shape, bool)
    mask[40:50, 20:140] = True
    doc.set_mask(mask, "Paint mask")
    return scan, doc, mask


def test_a_rescan_on_disk_is_never_exported_saved_or_run_against(
    qtbot, window, tmp_path
):
    scan, doc, mask = _open_with_a_mask(qtbot, window, tmp_path)
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea"}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=30000):
        window.run_tool()
    window.session.flush()
    state = scan.parent / ".restore"
    assert state.exists()

    _rescan(scan)

    errors = []
    window.jobs.error.connect(errors.append)
    doc.set_mask(mask, "Paint mask")
    assert window.jobs.run(doc, window.workspace.tools.task_settings) is None
    assert errors and "changed on disk since it was opened" in errors[-1]

    out = tmp_path / "export.png"
    try:
        window.files.write_derivative(doc, out, overwrite=False)
        raise AssertionError("the export went ahead")
    except Exception as exc:  # noqa: BLE001 - the one-line error is the point
        assert "changed on disk since it was opened" in str(exc)
    assert not out.exists() and not (tmp_path / "export.png.json").exists()

    # The work is not saved stamped with the new file: a batch reading the
    # sidecar does not take the old scan's mask for the new one.
    doc.dirty.add("mask")
    window.session.save(doc)
    window.session.flush()
    assert "changed on disk" in window.session.unsaved[doc.path]
    states = list(state.rglob("state.json"))
    saved = json.loads(states[0].read_text())
    assert saved["source_size"] != scan.stat().st_size or (
        saved["source_mtime_ns"] != scan.stat().st_mtime_ns
    )
    assert sidecar_lookup("mask")(scan) is None


def test_the_window_batch_takes_no_mask_saved_for_another_version(
    qtbot, window, tmp_path
):
    from restore_app.app.batch import batch_job
    from restore_app.core.tasks import Task

    scan, doc, mask = _open_with_a_mask(qtbot, window, tmp_path)
    doc.set_mask(mask, "Protect", "protect")
    window.session.flush()
    prefs = window.workspace.preferences
    job = batch_job(window.session, prefs, Task.INPAINT, [scan], tmp_path / "o")
    assert list(job.masks) == [scan.resolve()] and list(job.protects)
    _rescan(scan)
    job = batch_job(window.session, prefs, Task.INPAINT, [scan], tmp_path / "o")
    assert job.masks == {} and job.protects == {}
