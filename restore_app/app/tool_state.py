"""The tools a person works with: one typed, evented state for the whole window.

The canvas paints with it, the tools panel shows and edits it, the menus' keys
change it; none of them keeps a copy.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from psygnal import evented

from restore_app.core.damage import layer_kind
from restore_app.core.selection import DEFAULT_TOLERANCE
from restore_app.core.tasks import Task, task_options


class Tool(StrEnum):
    BRUSH = "brush"
    ERASER = "eraser"
    RECT = "rect"
    LASSO = "lasso"
    HEAL = "heal"
    WAND = "wand"
    REVIEW = "review"
    PAN = "pan"


#: Each tool's name and key, in the order the panel and the menu list them.
TOOLS = (
    (Tool.BRUSH, "Brush", "B"),
    (Tool.ERASER, "Eraser", "E"),
    (Tool.RECT, "Rectangle", "R"),
    (Tool.LASSO, "Lasso", "L"),
    (Tool.HEAL, "Heal", "H"),
    # A click adds the connected area like the clicked colour (Alt: takes it
    # out), fitted to its edges, to the layer being painted.
    (Tool.WAND, "Magic Wand", "W"),
    # A click drops a proposed region whole, or brings it back; keeps a
    # doubtful one (while a damage proposal is shown).
    (Tool.REVIEW, "Review", "V"),
    (Tool.PAN, "Pan", "P"),
)

#: Brush diameter in image pixels.
BRUSH_SIZE_RANGE = (1.0, 2000.0)
DEFAULT_BRUSH_SIZE = 24.0
DEFAULT_STRENGTH = 0.6
DEFAULT_GROW_PX = 3
DEFAULT_OVERLAY_RGB = (255, 40, 60)
DEFAULT_OVERLAY_OPACITY = 0.5

#: The layers the painting tools edit: the working mask, the original that must
#: not be repaired, or a damage-map layer (``core.damage.layer_name``).
MASK_LAYER = "mask"
PROTECT_LAYER = "protect"


@dataclass(frozen=True)
class TaskSettings:
    """What Run does: the task, its model, and the strength (``auto``: measured
    in the image; inpainting has none); colour may keep a print's tone."""

    task: Task = Task.INPAINT
    restorer: str = ""
    strength: float = DEFAULT_STRENGTH
    auto_strength: bool = True
    keep_tone: bool = False
    #: a fill of a painted mask grows it over the damage's rim
    cover_rim: bool = True

    @property
    def options(self) -> dict[str, bool] | None:
        """The task's own options for the engine (None: it has none)."""
        return task_options(
            self.task, keep_tone=self.keep_tone, cover_rim=self.cover_rim
        )

    @property
    def chosen_strength(self) -> float | None:
        """The strength to run at; None lets the model measure it."""
        if self.task == Task.INPAINT or self.auto_strength:
            return None
        return self.strength

    def as_dict(self) -> dict[str, Any]:
        """The form an image's sidecar keeps them in."""
        return {
            "task": str(self.task),
            "restorer": self.restorer,
            "strength": self.strength,
            "auto_strength": self.auto_strength,
            "keep_tone": self.keep_tone,
            "cover_rim": self.cover_rim,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TaskSettings:
        """Settings kept by an earlier session; what is missing or unreadable
        takes its default."""
        try:
            task = Task(str(data.get("task", Task.INPAINT)))
        except ValueError:
            task = Task.INPAINT
        try:
            strength = min(1.0, max(0.0, float(data.get("strength", DEFAULT_STRENGTH))))
        except (TypeError, ValueError):
            strength = DEFAULT_STRENGTH
        return cls(
            task=task,
            restorer=str(data.get("restorer") or ""),
            strength=strength,
            auto_strength=bool(data.get("auto_strength", True)),
            keep_tone=bool(data.get("keep_tone", False)),
            cover_rim=bool(data.get("cover_rim", True)),
        )


@evented
@dataclass
class ToolState:
    """Every setting of the tools; each field has a change event
    (``state.events.brush_size.connect(...)``), emitted only when it changes."""

    tool: Tool = Tool.BRUSH
    layer: str = MASK_LAYER
    brush_size: float = DEFAULT_BRUSH_SIZE
    grow_px: int = DEFAULT_GROW_PX
    #: how unlike the clicked colour the magic wand's area may be (0–100)
    wand_tolerance: float = DEFAULT_TOLERANCE
    overlay_rgb: tuple[int, int, int] = DEFAULT_OVERLAY_RGB
    overlay_opacity: float = DEFAULT_OVERLAY_OPACITY
    show_mask: bool = True
    show_repaired: bool = False
    task: Task = Task.INPAINT
    restorer: str = ""
    strength: float = DEFAULT_STRENGTH
    auto_strength: bool = True
    keep_tone: bool = False
    cover_rim: bool = True
    #: what was scanned, for detection (``restore_app.core.medium``)
    medium: str = "auto"
    #: each task's default model id: what a task shows until the person picks
    defaults: dict[str, str] = field(default_factory=dict)

    # -- brush ------------------------------------------------------------------
    def set_brush(self, size: float) -> None:
        lo, hi = BRUSH_SIZE_RANGE
        self.brush_size = float(min(hi, max(lo, round(size))))

    def resize_brush(self, factor: float) -> None:
        """Scale the brush; it always moves by at least one pixel."""
        size = min(
            BRUSH_SIZE_RANGE[1],
            max(BRUSH_SIZE_RANGE[0], round(self.brush_size * factor)),
        )
        if size == self.brush_size:
            size += 1 if factor > 1 else -1
        self.set_brush(size)

    # -- layers -----------------------------------------------------------------
    @property
    def damage_kind(self) -> str | None:
        """The damage-map kind being painted, if a damage-map layer is."""
        return layer_kind(self.layer)

    def toggle_protect(self) -> None:
        self.layer = MASK_LAYER if self.layer == PROTECT_LAYER else PROTECT_LAYER

    @contextlib.contextmanager
    def _together(self, *names: str) -> Iterator[None]:
        """Change several fields as one: their events come after all are set."""
        with contextlib.ExitStack() as stack:
            for name in names:
                stack.enter_context(getattr(self.events, name).paused())
            yield

    # -- task -------------------------------------------------------------------
    def choose_task(self, task: Task | str) -> None:
        """Switch task; the model shown becomes that task's default."""
        with self._together("task", "restorer"):
            self.task = Task(task)
            self.restorer = self.defaults.get(str(self.task), "")

    def set_defaults(self, defaults: dict[str, str]) -> None:
        """New default models by task. The model shown follows only while it is
        still the old default: a model the person picked stays picked."""
        old = self.defaults
        self.defaults = {**old, **defaults}
        if self.restorer == old.get(str(self.task), ""):
            self.restorer = self.defaults.get(str(self.task), "")

    @property
    def task_settings(self) -> TaskSettings:
        return TaskSettings(
            self.task,
            self.restorer,
            self.strength,
            self.auto_strength,
            self.keep_tone,
            self.cover_rim,
        )

    def apply_task_settings(self, settings: TaskSettings | dict[str, Any]) -> None:
        """Show ``settings`` (an image's remembered ones); a missing model is
        the task's default."""
        if isinstance(settings, dict):
            settings = TaskSettings.from_dict(settings)
        names = (
            "task", "restorer", "strength", "auto_strength", "keep_tone", "cover_rim"
        )  # fmt: skip
        with self._together(*names):
            self.task = settings.task
            self.restorer = settings.restorer or self.defaults.get(str(self.task), "")
            self.strength = settings.strength
            self.auto_strength = settings.auto_strength
            self.keep_tone = settings.keep_tone
            self.cover_rim = settings.cover_rim
