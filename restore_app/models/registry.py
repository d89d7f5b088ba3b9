"""Every restorer the app knows: classical, built-in learned, and user-added.

Listing reads only small JSON model cards, never torch: ``restore-app models``
and the window's model menus stay instant. Weights load when a model first runs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from restore_app.core.errors import ModelError
from restore_app.models.base import Restorer, RestorerInfo, Task

CARD_SUFFIX = ".json"


def user_models_dir() -> Path:
    """The user's model folder (platformdirs' data dir, or ``RESTORE_MODELS_DIR``)."""
    override = os.environ.get("RESTORE_MODELS_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("restore-app", appauthor=False)) / "models"


def builtin_models_dir() -> Path:
    from restore_app.resources import models_dir

    return models_dir()


def read_card(path: Path) -> dict[str, Any]:
    """A model card (JSON) with its ``weights`` resolved beside it."""
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path.name}: unreadable model card ({exc})") from None
    for key in ("id", "task", "name", "weights"):
        if key not in card:
            raise ModelError(f"{path.name}: model card lacks '{key}'")
    card["_weights_path"] = str(path.parent / card["weights"])
    return card


def _card_info(card: dict[str, Any], source: str) -> RestorerInfo:
    scores = card.get("validation", {})
    return RestorerInfo(
        id=card["id"],
        task=Task(card["task"]),
        name=card["name"],
        kind="learned",
        source=source,
        score=card.get("score", scores.get("score")),
        weights_sha256=card.get("sha256"),
        description=card.get("description", ""),
        extra=card,
    )


def _cards(folder: Path, source: str) -> list[RestorerInfo]:
    if not folder.is_dir():
        return []
    infos = []
    for path in sorted(folder.glob(f"*{CARD_SUFFIX}")):
        if path.name == SCORES_FILE:
            continue
        try:
            card = read_card(path)
            if not Path(card["_weights_path"]).is_file():
                continue
            infos.append(_card_info(card, source))
        except (ModelError, ValueError):
            # A broken user card must not hide every other model; loading it
            # by id reports the problem.
            continue
    return infos


SCORES_FILE = "scores.json"


def _classical_infos() -> list[RestorerInfo]:
    """Classical restorers with the scores measured beside the learned ones'.

    benchmarks/quality.py writes them to ``scores.json`` in the built-in
    models folder, so every task's restorers are ranked on the same cases.
    """
    from dataclasses import replace

    from restore_app.models.classical import classical_restorers

    try:
        path = builtin_models_dir() / SCORES_FILE
        scores = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        scores = {}
    from restore_app.models.detection import classical_detectors

    methods = [*classical_restorers(), *classical_detectors()]
    return [replace(m.info, score=scores.get(m.id)) for m in methods]


def list_restorers(task: Task | str | None = None) -> list[RestorerInfo]:
    """All restorers, optionally of one task: classical, built-in, then user ones."""
    infos = (
        _classical_infos()
        + _cards(builtin_models_dir(), "built-in")
        + _cards(user_models_dir(), "user")
    )
    if task is not None:
        infos = [i for i in infos if i.task == Task(task)]
    return infos


_CACHE: dict[str, Restorer] = {}


def get_restorer(restorer_id: str) -> Restorer:
    """The restorer with this id, created once and reused (weights stay loaded)."""
    if restorer_id in _CACHE:
        return _CACHE[restorer_id]
    from restore_app.models.classical import classical_restorers

    for r in classical_restorers():
        if r.id == restorer_id:
            _CACHE[restorer_id] = r
            return r
    for info in list_restorers():
        if info.id == restorer_id:
            from restore_app.models.learned import LearnedRestorer

            restorer = LearnedRestorer(info)
            _CACHE[restorer_id] = restorer
            return restorer
    known = ", ".join(i.id for i in list_restorers())
    raise ModelError(f"unknown model '{restorer_id}' (known: {known})")


def forget_restorer(restorer_id: str) -> None:
    """Drop a cached restorer (after a user model is replaced or removed)."""
    _CACHE.pop(restorer_id, None)


def default_restorer_id(task: Task | str) -> str:
    """The restorer of ``task`` with the best measured score.

    Scores are dB gained over the degraded input on the project's held-out
    photos (the model cards carry those of learned models); a restorer never
    measured ranks below every measured one, so a new model is not preferred
    merely for being new or learned.
    """
    task = Task(task)
    candidates = list_restorers(task)
    if not candidates:
        raise ModelError(f"no restorer for {task}")
    measured = [c for c in candidates if c.score is not None]
    if measured:
        return max(measured, key=lambda c: c.score or 0.0).id
    return candidates[0].id
