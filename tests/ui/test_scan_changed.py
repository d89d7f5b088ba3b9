"""A scan replaced on disk while its work is open: the window never runs,
exports or saves against a file it did not read."""

from __future__ import annotations

import json
import os

import cv2
import numpy as np
from ui_helpers import open_and_wait

from restore_app.pipeline.files import sidecar_lookup


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


def test_reload_sets_the_old_work_aside_and_reads_the_new_scan(qtbot, window, tmp_path):
    from restore_app.core.sidecar import Sidecar

    scan, doc, mask = _open_with_a_mask(qtbot, window, tmp_path)
    protect = np.zeros_like(mask)
    protect[5:15, 5:15] = True
    doc.set_mask(protect, "Protect", "protect")
    window.session.flush()
    # A stroke after the last save: only in memory and the journal.
    later = mask.copy()
    later[60:70, 20:140] = True
    doc.set_mask(later, "Paint mask")

    _rescan(scan)
    window.run_tool()
    box = window.unsaved.changed_box
    assert box is not None and box.isVisible()
    assert "changed on disk since it was opened" in box.text()
    assert "Reload" in [b.text() for b in box.buttons()]
    # Asked again while the message is up: still one message.
    window.run_tool()
    assert window.unsaved.changed_box is box

    reload_button = next(b for b in box.buttons() if b.text() == "Reload")
    reload_button.click()
    qtbot.waitUntil(lambda: window.doc is not doc, timeout=10000)
    new = window.doc
    assert new.path == doc.path
    assert np.array_equal(new.pixels, cv2.imread(str(scan))[..., ::-1])
    assert not new.mask.any() and not new.protect.any()
    assert doc.path not in window.session.unsaved
    assert not window.unsaved.label.isVisible()

    # The old version's work, whole, is kept aside and never applied.
    root = window.session.sidecar_for(scan).root
    (aside,) = (root / "set-aside").iterdir()
    kept = Sidecar(scan.parent, aside).load_state(scan.name)
    assert (kept.source_size, kept.source_mtime_ns) == doc.image.identity.stamp
    d = aside / "images" / scan.name
    saved = cv2.imread(str(d / "mask.png"), cv2.IMREAD_GRAYSCALE) > 0
    assert np.array_equal(saved, later)
    saved = cv2.imread(str(d / "protect.png"), cv2.IMREAD_GRAYSCALE) > 0
    assert np.array_equal(saved, protect)
    assert not list(d.glob("journal.*"))

    # Work on the new scan saves against it; the old document reaches nothing.
    doc.set_mask(mask, "Paint mask")
    fresh = np.zeros_like(mask)
    fresh[0:4, 0:4] = True
    new.set_mask(fresh, "Paint mask")
    window.session.flush()
    assert doc.path not in window.session.unsaved
    assert sidecar_lookup("mask")(scan) is not None
    saved = cv2.imread(str(sidecar_lookup("mask")(scan)), cv2.IMREAD_GRAYSCALE) > 0
    assert np.array_equal(saved, fresh)


def test_every_layer_survives_a_failed_then_retried_autosave(qtbot, window, tmp_path):
    from restore_app.core.layers import LAYERS
    from restore_app.core.proposal import DamageProposal

    scan, doc, mask = _open_with_a_mask(qtbot, window, tmp_path)
    window.session.flush()
    qtbot.waitUntil(lambda: not doc.dirty, timeout=10000)
    # Every layer of the table painted, and an operation's mask kept, while
    # the disk is full: what the failed save carried is all marked again.
    prob = np.zeros(mask.shape, np.uint8)
    doc.begin_review(DamageProposal(prob, prob, 0.5))
    painted = np.zeros_like(mask)
    painted[5:30, 5:60] = True
    for layer in LAYERS:
        doc.set_mask(painted, layer.name, layer.name)
    doc.keep_op_mask((1, 1), painted)
    car = window.session.sidecar_for(scan)
    real = car.save

    def full_disk(_snap):
        raise OSError(28, "No space left on device")

    car.save = full_disk
    window.session.save(doc)
    qtbot.waitUntil(lambda: doc.path in window.session.unsaved, timeout=10000)
    assert {layer.name for layer in LAYERS} | {"op_masks"} <= doc.dirty
    car.save = real
    window.session.flush()
    qtbot.waitUntil(lambda: doc.path not in window.session.unsaved, timeout=10000)
    d = car.image_dir(scan.name)
    for layer in LAYERS:
        saved = cv2.imread(str(d / layer.file), cv2.IMREAD_GRAYSCALE)
        assert saved is not None and np.array_equal(saved > 0, painted), layer.name
    assert len(np.load(d / "op-masks.npz").files) == 1
