"""The workspace: the tools, the preferences, the models to choose from, and
what of them is kept between sessions — joined once, below every view."""

from __future__ import annotations

from typing import Any

from psygnal import Signal

from restore_app.app.document import Document
from restore_app.app.downloads import Downloads
from restore_app.app.jobs import JobController, Runner
from restore_app.app.preferences import (
    MemoryStore,
    Preferences,
    SettingsStore,
    apply_memory_budget,
)
from restore_app.app.scheduling import Post, QueuePost
from restore_app.app.session import Session
from restore_app.app.tool_state import (
    DEFAULT_BRUSH_SIZE,
    ToolState,
)
from restore_app.core.tasks import RESTORE_TASKS

#: The brush is the tools' own state; its last size is kept.
BRUSH_SIZE_KEY = "brush/size"


class Workspace:
    """What the window edits: the open images (``session``), the tools, the
    preferences, and the jobs that run tools on the images (``jobs``).

    ``tools`` and ``preferences`` are evented; every change of a preference is
    written to ``store`` at once, as are the brush and the person's choice of a
    model (which becomes that task's preference). ``post`` hands background
    results back to the thread the model lives on (see ``app.scheduling``).
    """

    #: the list of models was read again (one was added or removed)
    models_changed = Signal()
    #: another image is shown and edited: its Document (None: none)
    current_changed = Signal(object)

    def __init__(
        self,
        store: SettingsStore | None = None,
        post: Post | None = None,
        runner: Runner | None = None,
    ) -> None:
        self.store: SettingsStore = store if store is not None else MemoryStore()
        self.preferences = Preferences.read(self.store)
        post = post or QueuePost()
        self.session = Session(self.preferences, post)
        #: the public checkpoints of the catalogue, fetched when asked
        self.downloads = Downloads(post)
        self.downloads.finished.connect(lambda _name, _info: self.reload_models())
        #: tools run on the images through it (None: no runner was given)
        self.jobs = JobController(runner, self.preferences) if runner else None
        if self.jobs is not None:
            # An image a job works on is not closed under it.
            self.session.busy_paths = self.jobs.pending_docs
        self.tools = ToolState()
        #: the image shown and edited (one of the session's documents)
        self.current: Document | None = None
        self.tools.set_brush(
            _float(self.store.value(BRUSH_SIZE_KEY), DEFAULT_BRUSH_SIZE)
        )
        #: restorers by task (RestorerInfo), and each task's stated default
        #: (resources/models/defaults.json)
        self.restorers: dict[str, list[Any]] = {}
        self.stated_defaults: dict[str, str] = {}
        self.reload_models()
        self.tools.choose_task(self.tools.task)
        apply_memory_budget(self.preferences)
        self.preferences.events.connect(self._on_preference_changed)
        self.tools.events.brush_size.connect(self._on_brush_changed)

    def show(self, doc: Document | None) -> None:
        """Make ``doc`` the image shown and edited; the views follow."""
        if doc is not self.current:
            self.current = doc
            self.current_changed.emit(doc)

    def detect_damage_in(self, paths: list) -> int | None:
        """Propose the damage of ``paths`` for review, with the tools' medium:
        open images on their documents, the others in the background with each
        proposal kept in its sidecar. The background job's id (None: none)."""
        medium = self.tools.medium
        for path in paths:
            doc = self.session.docs.get(path)
            if doc is not None:
                self.jobs.detect(doc, medium=medium)
        closed = [p for p in paths if p not in self.session.docs]
        if not closed:
            return None
        return self.jobs.detect_folder(closed, self.session.save_proposal, medium)

    # -- models -----------------------------------------------------------------
    def reload_models(self) -> None:
        """List the models again (one was added); defaults follow."""
        from restore_app.models.registry import default_restorer_id, list_restorers

        for task in map(str, RESTORE_TASKS):
            self.restorers[task] = list_restorers(task)
            try:
                self.stated_defaults[task] = default_restorer_id(task)
            except Exception:  # noqa: BLE001 - an empty task simply has no default
                self.stated_defaults[task] = ""
        self.tools.set_defaults(self.default_models())
        self.models_changed.emit()

    def default_models(self) -> dict[str, str]:
        """Each task's default: the preferred model, else the stated default."""
        prefs = self.preferences.models
        return {t: prefs.get(t) or d for t, d in self.stated_defaults.items()}

    def pick_model(self, restorer_id: str) -> None:
        """The person picks a model for the current task: it is shown, and is
        that task's preference from now on. Picking the stated default is no
        preference: a better default shipped later takes its place."""
        task = str(self.tools.task)
        self.tools.restorer = restorer_id
        models = dict(self.preferences.models)
        if restorer_id and restorer_id != self.stated_defaults.get(task):
            models[task] = restorer_id
        else:
            models.pop(task, None)
        self.preferences.models = models

    # -- keeping ----------------------------------------------------------------
    def _on_preference_changed(self, info: Any) -> None:
        name = info.signal.name
        self.preferences.write(self.store, name)
        if name == "memory_budget_gb":
            apply_memory_budget(self.preferences)
        elif name == "models":
            self.tools.set_defaults(self.default_models())

    def _on_brush_changed(self, _value: Any = None) -> None:
        self.store.setValue(BRUSH_SIZE_KEY, self.tools.brush_size)


def _float(raw: Any, default: float) -> float:
    try:
        return float(raw) if raw not in (None, "") else default
    except (TypeError, ValueError):
        return default
