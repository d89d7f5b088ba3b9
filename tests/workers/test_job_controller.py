"""The job controller over the real worker thread, with a document and no
window: a tool's result becomes one undo step of the document."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from restore_app.app.document import Document
from restore_app.app.jobs import JobController
from restore_app.app.preferences import Preferences
from restore_app.app.tool_state import TaskSettings
from restore_app.core.image import read_image
from restore_app.core.tasks import Task
from restore_app.workers.inference import InferenceService


@pytest.fixture
def jobs(qapp):
    service = InferenceService()
    yield JobController(service, Preferences(device="cpu"))
    service.shutdown()


@pytest.fixture
def doc(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "scan.png"
    Image.fromarray(rng.integers(0, 255, (160, 200, 3), dtype=np.uint8)).save(path)
    return Document(path, read_image(path))


def test_a_fill_becomes_one_undo_step(qtbot, jobs, doc):
    before = doc.pixels.copy()
    doc.mask[40:60, 50:120] = True
    with qtbot.waitSignal(jobs.applied, timeout=30000) as blocker:
        jobs.run(doc, TaskSettings(Task.INPAINT, "inpaint.telea"))
    assert blocker.args == [doc, "Inpaint 1 region"]
    assert doc.undo_stack.count() == 1 and not doc.mask.any()
    changed = (doc.pixels != before).any(axis=2)
    assert changed[40:60, 50:120].any() and not changed[:35].any()
    doc.undo_stack.undo()
    assert np.array_equal(doc.pixels, before) and doc.mask[40:60, 50:120].all()
    assert not jobs.busy


def test_nothing_to_fill_is_said_and_nothing_runs(qtbot, jobs, doc):
    errors = []
    jobs.error.connect(errors.append)
    assert jobs.run(doc, TaskSettings(Task.INPAINT, "inpaint.telea")) is None
    assert errors and "Paint over the damage first" in errors[0]
    assert not jobs.busy and doc.undo_stack.count() == 0
