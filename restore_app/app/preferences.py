"""Edit ▸ Preferences as data: what the person set once for every image.

Read from and written to a key-value store (the window gives it its QSettings;
tests give it a dict), one key per field, under the names earlier versions
used, so nothing set before is lost.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from typing import Any, Protocol

from psygnal import evented

from restore_app.core.history_log import DEFAULT_BUDGET
from restore_app.core.tasks import DEVICES, RESTORE_TASKS

TILE_RANGE = (128, 4096)
DEFAULT_TILE_SIZE = 512
DEFAULT_EXPORT_SUFFIX = "restored"
DEFAULT_HISTORY_GB = DEFAULT_BUDGET / 1024**3
#: Letters, digits, "-" and "_", in dot-separated parts: the suffix lands inside
#: a file name, so nothing that could make a path or an extension-less name.
SUFFIX_PATTERN = r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*"


class SettingsStore(Protocol):
    """Where preferences live between sessions (QSettings has this interface)."""

    def value(self, key: str, default: Any = None) -> Any: ...
    def setValue(self, key: str, value: Any) -> None: ...  # noqa: N802 - Qt's name
    def remove(self, key: str) -> None: ...


class MemoryStore(dict):
    """A store kept in memory: for tests and for a window without settings."""

    def value(self, key: str, default: Any = None) -> Any:
        return self.get(key, default)

    def setValue(self, key: str, value: Any) -> None:  # noqa: N802
        self[key] = value

    def remove(self, key: str) -> None:
        self.pop(key, None)


def valid_suffix(text: str) -> str:
    """The "<suffix>" of "<name>.<suffix>.<ext>" that Export writes: ``text``
    when it is a safe one, else the default."""
    value = str(text or "").strip().strip(".")
    return value if re.fullmatch(SUFFIX_PATTERN, value) else DEFAULT_EXPORT_SUFFIX


@evented
@dataclass
class Preferences:
    device: str = "auto"
    tile_size: int = DEFAULT_TILE_SIZE
    memory_budget_gb: int = 0  # 0: half the machine's memory
    history_budget_gb: float = DEFAULT_HISTORY_GB
    operator: str = ""
    output_dir: str = ""  # "": beside the scan
    export_suffix: str = DEFAULT_EXPORT_SUFFIX
    #: the model each task starts on; a task not listed: the stated default
    models: dict[str, str] = field(default_factory=dict)

    @property
    def history_budget_bytes(self) -> int:
        return int(self.history_budget_gb * 1024**3)

    def __post_init__(self) -> None:
        self.device = self.device or "auto"

    # -- the store ---------------------------------------------------------------
    @classmethod
    def read(cls, store: SettingsStore) -> Preferences:
        """The preferences in ``store``; a value missing or unreadable keeps
        its default."""
        p = cls()

        def get(key: str, kind: type, default: Any) -> Any:
            try:
                raw = store.value(key, default)
                return kind(raw) if raw not in (None, "") else default
            except (TypeError, ValueError):
                return default

        p.device = str(get("device", str, "auto"))
        lo, hi = TILE_RANGE
        p.tile_size = min(hi, max(lo, get("tile_size", int, DEFAULT_TILE_SIZE)))
        p.memory_budget_gb = max(0, get("memory_budget_gb", int, 0))
        history = get("history_budget_gb", float, DEFAULT_HISTORY_GB)
        p.history_budget_gb = history if history > 0 else DEFAULT_HISTORY_GB
        p.operator = str(get("operator", str, ""))
        p.output_dir = str(get("output_dir", str, ""))
        p.export_suffix = valid_suffix(get("export_suffix", str, ""))
        p.models = {
            str(t): str(v) for t in RESTORE_TASKS if (v := get(f"models/{t}", str, ""))
        }
        return p

    def write(self, store: SettingsStore, name: str | None = None) -> None:
        """Write every field (or the one called ``name``) to ``store``."""
        for f in fields(self):
            if name is not None and f.name != name:
                continue
            if f.name == "models":
                for t in RESTORE_TASKS:
                    chosen = self.models.get(str(t), "")
                    if chosen:
                        store.setValue(f"models/{t}", chosen)
                    else:  # no key: the stated default, whatever ships later
                        store.remove(f"models/{t}")
            else:
                store.setValue(f.name, getattr(self, f.name))

    def update_from(self, other: Preferences) -> None:
        """Take every value of ``other`` (an edited copy), each change evented."""
        for f in fields(self):
            setattr(self, f.name, getattr(other, f.name))

    def copy(self) -> Preferences:
        out = Preferences()
        out.update_from(self)
        return out


def known_devices(current: str) -> tuple[str, ...]:
    """The devices to offer; one written by hand ("cuda:1") stays choosable."""
    return DEVICES if current in DEVICES else (*DEVICES, current)


def apply_memory_budget(prefs: Preferences) -> None:
    """The image reader's budget from the preference (0: half the memory); a
    budget given on the command line (``--memory-budget``) or in the
    environment wins."""
    source = os.environ.get("RESTORE_MEMORY_BUDGET_FROM", "")
    if source == "command line" or (
        os.environ.get("RESTORE_MEMORY_BUDGET") and source != "preferences"
    ):
        return
    if prefs.memory_budget_gb > 0:
        os.environ["RESTORE_MEMORY_BUDGET"] = f"{prefs.memory_budget_gb}G"
        os.environ["RESTORE_MEMORY_BUDGET_FROM"] = "preferences"
    elif source == "preferences":
        os.environ.pop("RESTORE_MEMORY_BUDGET", None)
        os.environ.pop("RESTORE_MEMORY_BUDGET_FROM", None)
