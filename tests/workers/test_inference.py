"""The inference worker on its real thread, with real restorers."""

from __future__ import annotations

import numpy as np
import pytest

from restore_app.pipeline.jobs import RestoreJob
from restore_app.workers.inference import InferenceService


@pytest.fixture
def service(qapp):
    svc = InferenceService()
    yield svc
    svc.shutdown()


def test_inpaint_job_finishes_and_changes_only_the_mask(qtbot, service):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)
    mask = np.zeros((96, 128), dtype=bool)
    mask[40:50, 30:90] = True
    job = RestoreJob(
        task="inpaint", pixels=pixels, mask=mask, restorer_id="inpaint.telea"
    )
    with qtbot.waitSignal(service.finished, timeout=20000) as blocker:
        service.submit(job)
    job_id, result = blocker.args
    assert job_id == job.job_id
    assert np.array_equal(result.pixels[~mask], pixels[~mask])
    assert not np.array_equal(result.pixels[mask], pixels[mask])
    assert not service.busy


def test_cancel_stops_a_long_job_between_tiles(qtbot, service):
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 255, (2048, 2048, 3), dtype=np.uint8)
    job = RestoreJob(
        task="denoise",
        pixels=pixels,
        restorer_id="denoise.nlm",
        strength=1.0,
        tile_size=128,
    )
    progress: list[tuple[int, int]] = []
    service.progressed.connect(lambda _j, d, t: progress.append((d, t)))
    with qtbot.waitSignal(service.progressed, timeout=30000):
        service.submit(job)
    with qtbot.waitSignal(service.cancelled, timeout=30000) as blocker:
        service.cancel(job.job_id)
    assert blocker.args == [job.job_id]
    done, total = progress[-1]
    assert total > 20 and done < total
    assert not service.busy


def test_failing_job_reports_one_line_and_the_worker_goes_on(qtbot, service):
    pixels = np.zeros((32, 32, 1), dtype=np.uint16)
    bad = RestoreJob(task="denoise", pixels=pixels, restorer_id="no.such.model")
    with qtbot.waitSignal(service.failed, timeout=20000) as blocker:
        service.submit(bad)
    job_id, message = blocker.args
    assert job_id == bad.job_id
    assert "no.such.model" in message and "\n" not in message
    good = RestoreJob(
        task="denoise", pixels=pixels, restorer_id="denoise.nlm", strength=0.5
    )
    with qtbot.waitSignal(service.finished, timeout=20000):
        service.submit(good)


def test_warm_up_reports_a_device(qtbot, service):
    with qtbot.waitSignal(service.warmed_up, timeout=60000) as blocker:
        service.warm_up()
    assert blocker.args[0] in ("cpu", "cuda", "mps")


def test_each_job_has_its_own_handle(qtbot, service):
    """Two queued jobs: each handle hears only of its own job, and cancelling
    one through its handle leaves the other to finish."""
    rng = np.random.default_rng(2)
    big = rng.integers(0, 255, (2048, 2048, 3), dtype=np.uint8)
    slow = RestoreJob(
        task="denoise",
        pixels=big,
        restorer_id="denoise.nlm",
        strength=1.0,
        tile_size=128,
    )
    small = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    quick = RestoreJob(
        task="denoise", pixels=small, restorer_id="denoise.nlm", strength=0.5
    )
    events: dict[str, list] = {"slow": [], "quick": []}
    handles = {}
    for name, job in (("slow", slow), ("quick", quick)):
        h = service.submit(job)
        assert h.job_id == job.job_id
        for sig in ("returned", "errored", "cancelled", "finished"):
            getattr(h, sig).connect(lambda *a, n=name, s=sig: events[n].append((s, a)))
        h.progressed.connect(
            lambda d, t, n=name: events[n].append(("progressed", (d, t)))
        )
        handles[name] = h
    qtbot.waitUntil(
        lambda: any(e[0] == "progressed" for e in events["slow"]), timeout=30000
    )
    handles["slow"].cancel()
    qtbot.waitUntil(
        lambda: bool(events["quick"]) and events["quick"][-1][0] == "finished",
        timeout=60000,
    )
    slow_outcomes = [e[0] for e in events["slow"] if e[0] != "progressed"]
    quick_outcomes = [e[0] for e in events["quick"] if e[0] != "progressed"]
    assert slow_outcomes == ["cancelled", "finished"]
    assert quick_outcomes == ["returned", "finished"]
    result = next(a[0] for s, a in events["quick"] if s == "returned")
    assert result.pixels.shape == small.shape
    assert not service.busy
