"""What Restore does to an image: one definition, used by every layer."""

from __future__ import annotations

from enum import StrEnum


class Task(StrEnum):
    INPAINT = "inpaint"
    DENOISE = "denoise"
    DEBLUR = "deblur"
    #: damage detectors share the registry, cards and model list with restorers
    DETECT = "detect"


#: The tasks that change pixels, in the order menus list them.
RESTORE_TASKS = (Task.INPAINT, Task.DENOISE, Task.DEBLUR)
#: How a person reads each task's name.
TASK_LABELS = {
    Task.INPAINT: "Inpaint",
    Task.DENOISE: "Denoise",
    Task.DEBLUR: "Deblur",
    Task.DETECT: "Detect damage",
}
#: Where learned models run: "auto" picks CUDA, then Apple MPS, then the CPU.
DEVICES = ("auto", "cpu", "cuda", "mps")
