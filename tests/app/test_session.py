"""The open images without a window: reading in the background, autosave to
the sidecar, and the next session finding the work again."""

from __future__ import annotations

import time

import numpy as np
from PIL import Image

from restore_app.app.preferences import Preferences
from restore_app.app.scheduling import Debounce, QueuePost
from restore_app.app.session import Session


def _scans(folder, n=2):
    folder.mkdir()
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        p = folder / f"scan_{i}.png"
        Image.fromarray(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)).save(p)
        paths.append(p)
    return paths


def _drain_until(post: QueuePost, got: list, seconds: float = 30.0) -> None:
    """Run what background work posts until ``got`` has something (or time is up)."""
    end = time.monotonic() + seconds
    while not got and time.monotonic() < end:
        post.drain(timeout=0.05)


def _open(session: Session, post: QueuePost, path):
    loaded = []
    session.document_loaded.connect(loaded.append)
    assert session.load(path) is None  # read in the background
    _drain_until(post, loaded)
    session.document_loaded.disconnect(loaded.append)
    assert loaded, "the scan was never read"
    return loaded[0]


def test_work_is_saved_after_a_burst_and_found_by_the_next_session(tmp_path):
    paths = _scans(tmp_path / "scans")
    post = QueuePost()
    session = Session(Preferences(), post)
    session.set_paths(paths)
    doc = _open(session, post, paths[0])
    assert session.load(paths[0]) is doc  # open: at once
    saved = []
    session.saved.connect(saved.append)
    mask = np.zeros(doc.mask.shape, bool)
    mask[10:30, 20:60] = True
    doc.set_mask(mask, "Paint mask")  # an edit: the autosave starts counting
    _drain_until(post, saved)
    assert saved == [doc.path] and not session.unsaved
    assert session.statuses()[paths[0].resolve()] == "edited"
    session.close()

    post2 = QueuePost()
    again = Session(Preferences(), post2)
    again.set_paths(paths)
    doc2 = _open(again, post2, paths[0])
    assert np.array_equal(doc2.mask, mask)
    assert doc2.undo_stack.count() == 1  # the history came back too
    again.close()


def test_an_unreadable_scan_is_one_line_and_the_session_goes_on(tmp_path):
    paths = _scans(tmp_path / "scans")
    paths[1].write_bytes(b"not a png")
    post = QueuePost()
    session = Session(Preferences(), post)
    session.set_paths(paths)
    failed = []
    session.load_failed.connect(lambda p, m: failed.append((p, m)))
    session.load(paths[1])
    _drain_until(post, failed)
    ((path, message),) = failed
    assert path == paths[1].resolve() and "\n" not in message
    assert _open(session, post, paths[0]).path == paths[0].resolve()
    session.close()


def test_a_debounce_fires_once_after_the_last_start():
    post = QueuePost()
    calls = []
    d = Debounce(lambda: calls.append(time.monotonic()), post, 0.2)
    t0 = time.monotonic()
    for _ in range(5):
        d.start()
        time.sleep(0.05)
    _drain_until(post, calls, 5.0)
    assert len(calls) == 1 and calls[0] - t0 >= 0.2 + 4 * 0.05
    d.start()
    d.stop()
    time.sleep(0.3)
    post.drain()
    assert len(calls) == 1  # stopped: never fires


def test_a_batch_from_the_window_uses_each_images_saved_masks(tmp_path):
    from restore_app.app.batch import batch_job
    from restore_app.core.image import read_image
    from restore_app.core.tasks import Task
    from restore_app.pipeline import jobs

    paths = _scans(tmp_path / "scans")
    post = QueuePost()
    session = Session(Preferences(), post)
    session.set_paths(paths)
    doc = _open(session, post, paths[0])
    mask = np.zeros(doc.mask.shape, bool)
    mask[40:50, 30:90] = True
    doc.set_mask(mask, "Paint mask")
    job = batch_job(
        session,
        Preferences(device="cpu"),
        Task.INPAINT,
        [p.resolve() for p in paths],
        tmp_path / "out",
        restorer_id="inpaint.telea",
    )
    assert set(job.masks) == {paths[0].resolve()}  # the other has no mask
    report = jobs.run(job, lambda _d, _t: None)
    assert [p.name for p in report.done] == ["scan_0.png"]
    out = read_image(tmp_path / "out" / "scan_0.png").pixels
    changed = (out != doc.pixels).any(axis=2)
    assert changed[mask].any() and not changed[~mask].any()
    session.close()
