"""The tool state: typed, evented, and the one place the tools live."""

from __future__ import annotations

from restore_app.app.tool_state import (
    BRUSH_SIZE_RANGE,
    PROTECT_LAYER,
    TaskSettings,
    Tool,
    ToolState,
)
from restore_app.core.tasks import Task


def _recorder(state: ToolState) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []
    state.events.connect(lambda info: seen.append((info.signal.name, info.args[0])))
    return seen


def test_a_change_is_announced_once_and_no_change_not_at_all():
    state = ToolState()
    seen = _recorder(state)
    state.tool = Tool.ERASER
    state.tool = Tool.ERASER
    state.brush_size = state.brush_size
    assert seen == [("tool", Tool.ERASER)]


def test_the_brush_stays_in_range_and_always_moves():
    state = ToolState()
    state.set_brush(5000)
    assert state.brush_size == BRUSH_SIZE_RANGE[1]
    state.set_brush(-3)
    assert state.brush_size == BRUSH_SIZE_RANGE[0]
    state.set_brush(3)
    state.resize_brush(1.2)  # 3.6 rounds back to 4, never stays at 3
    assert state.brush_size == 4
    state.resize_brush(1 / 1.2)
    assert state.brush_size == 3


def test_a_task_shows_its_default_until_the_person_picks():
    state = ToolState(defaults={"inpaint": "inpaint.a", "denoise": "denoise.a"})
    state.choose_task("inpaint")
    assert state.restorer == "inpaint.a"
    state.set_defaults({"inpaint": "inpaint.b"})
    assert state.restorer == "inpaint.b"  # still the default: it follows
    state.restorer = "inpaint.picked"
    state.set_defaults({"inpaint": "inpaint.c"})
    assert state.restorer == "inpaint.picked"  # picked: it stays
    state.choose_task(Task.DENOISE)
    assert (state.task, state.restorer) == (Task.DENOISE, "denoise.a")


def test_task_and_model_change_together():
    state = ToolState(defaults={"inpaint": "inpaint.a", "deblur": "deblur.a"})
    state.choose_task("inpaint")
    pairs = []
    state.events.task.connect(lambda _t: pairs.append((state.task, state.restorer)))
    state.choose_task("deblur")
    # By the time anyone hears of the new task, its model is already shown.
    assert pairs == [(Task.DEBLUR, "deblur.a")]


def test_task_settings_round_trip_and_survive_junk():
    state = ToolState(defaults={"denoise": "denoise.a"})
    state.apply_task_settings(
        {"task": "denoise", "restorer": "", "strength": 0.35, "auto_strength": False}
    )
    ts = state.task_settings
    assert ts == TaskSettings(Task.DENOISE, "denoise.a", 0.35, False)
    assert ts.chosen_strength == 0.35
    assert TaskSettings.from_dict(ts.as_dict()) == ts
    junk = TaskSettings.from_dict({"task": "paint", "strength": "loud"})
    assert junk == TaskSettings()
    assert (
        TaskSettings(Task.INPAINT, strength=0.3, auto_strength=False).chosen_strength
        is None
    )
    assert TaskSettings.from_dict({"strength": 7}).strength == 1.0


def test_layers():
    state = ToolState()
    state.toggle_protect()
    assert state.layer == PROTECT_LAYER and state.damage_kind is None
    state.toggle_protect()
    assert state.layer == "mask"
    state.layer = "damage:crack"
    assert state.damage_kind == "crack"
