"""What Restore does to an image: one definition, used by every layer."""

from __future__ import annotations

from enum import StrEnum


class Task(StrEnum):
    INPAINT = "inpaint"
    DENOISE = "denoise"
    DEBLUR = "deblur"
    COLOR = "color"
    #: damage detectors share the registry, cards and model list with restorers
    DETECT = "detect"


#: The tasks that change pixels, in the order menus list them.
RESTORE_TASKS = (Task.INPAINT, Task.DENOISE, Task.DEBLUR, Task.COLOR)
#: How a person reads each task's name.
TASK_LABELS = {
    Task.INPAINT: "Inpaint",
    Task.DENOISE: "Denoise",
    Task.DEBLUR: "Deblur",
    Task.COLOR: "Color",
    Task.DETECT: "Detect damage",
}


def task_options(
    task: Task | str, *, keep_tone: bool = False, cover_rim: bool = False
) -> dict[str, bool] | None:
    """The engine's options of ``task`` (colour's ``keep_tone``, a painted
    fill's ``cover_rim``); None: none."""
    task = Task(task)
    if task == Task.COLOR and keep_tone:
        return {"keep_tone": True}
    if task == Task.INPAINT and cover_rim:
        return {"cover_rim": True}
    return None


#: Where learned models run: "auto" picks CUDA, then Apple MPS, then the CPU.
DEVICES = ("auto", "cpu", "cuda", "mps")
