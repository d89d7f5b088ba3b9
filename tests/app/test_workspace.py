"""The workspace joins tools, preferences and models, and keeps what must be
kept between sessions; all without a window."""

from __future__ import annotations

import subprocess
import sys

from restore_app.app.preferences import MemoryStore
from restore_app.app.workspace import Workspace
from restore_app.core.tasks import Task
from restore_app.models.registry import default_restorer_id, list_restorers


def _other(task: str) -> str:
    best = default_restorer_id(task)
    return next(i.id for i in list_restorers(task) if i.id != best)


def test_it_starts_on_each_tasks_best_measured_model():
    ws = Workspace()
    for task in ("inpaint", "denoise", "deblur"):
        assert ws.tools.defaults[task] == default_restorer_id(task)
        assert [i.id for i in ws.restorers[task]] == [
            i.id for i in list_restorers(task)
        ]
    assert ws.tools.restorer == default_restorer_id("inpaint")


def test_a_picked_model_becomes_the_preference_and_the_best_one_none():
    store = MemoryStore()
    ws = Workspace(store)
    ws.tools.choose_task(Task.DENOISE)
    other = _other("denoise")
    ws.pick_model(other)
    assert store["models/denoise"] == other and ws.tools.restorer == other
    ws.pick_model(default_restorer_id("denoise"))
    assert "models/denoise" not in store


def test_a_new_preferred_model_is_shown_unless_one_was_picked():
    ws = Workspace()
    ws.tools.choose_task(Task.DEBLUR)
    new = _other("deblur")
    ws.preferences.models = {"deblur": new}
    assert ws.tools.restorer == new
    ws.tools.choose_task(Task.INPAINT)
    picked = _other("inpaint")
    ws.tools.restorer = picked  # an image's remembered model, say
    ws.preferences.models = {"deblur": new, "inpaint": default_restorer_id("deblur")}
    assert ws.tools.restorer == picked


def test_the_next_session_reads_back_what_this_one_kept():
    store = MemoryStore()
    ws = Workspace(store)
    ws.tools.set_brush(57)
    ws.preferences.tile_size = 1024
    ws.preferences.operator = "A. Conservator"
    again = Workspace(store)
    assert again.tools.brush_size == 57.0
    assert again.preferences.tile_size == 1024
    assert again.preferences.operator == "A. Conservator"


def test_the_application_model_loads_without_qt_or_torch():
    code = (
        "import sys, restore_app.app.workspace as w; w.Workspace(); "
        "print(sorted(m for m in ('PySide6', 'torch') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
