"""Every restorer the app knows: classical, built-in learned, and user-added.

Listing reads only small JSON model cards, never torch: ``restore-app models``
and the window's model menus stay instant. Weights load when a model first runs.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from restore_app.core.errors import ModelError
from restore_app.models.base import Detector, Method, Restorer, RestorerInfo, Task
from restore_app.models.card import CARD_SUFFIX, ModelCard

#: Measured scores of the classical restorers (benchmarks/quality.py writes it):
#: reported beside the learned models' scores, never used to choose.
SCORES_FILE = "scores.json"
#: The default restorer of each task, ``{"inpaint": "inpaint.ffc", ...}``:
#: edited by hand, never written by a benchmark or a training run.
DEFAULTS_FILE = "defaults.json"
#: JSON files in a models folder that are not model cards.
NOT_CARDS = (SCORES_FILE, DEFAULTS_FILE)


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


def _card_info(card: ModelCard, source: str) -> RestorerInfo:
    return RestorerInfo(
        id=card.id,
        task=card.task,
        name=card.name,
        kind="learned",
        source=source,
        score=card.score,
        weights_sha256=card.sha256,
        description=card.description,
        card=card,
    )


def read_cards(folder: Path) -> list[ModelCard]:
    """The model cards in ``folder`` whose weights are there, by file name."""
    if not folder.is_dir():
        return []
    cards = []
    for path in sorted(folder.glob(f"*{CARD_SUFFIX}")):
        if path.name in NOT_CARDS:
            continue
        try:
            card = ModelCard.read(path)
        except ModelError:
            # A broken user card must not hide every other model.
            continue
        if card.weights_path.is_file():
            cards.append(card)
    return cards


def _cards(folder: Path, source: str) -> list[RestorerInfo]:
    return [_card_info(card, source) for card in read_cards(folder)]


def _builtin_table(name: str) -> dict[str, Any]:
    """A JSON object beside the built-in cards; empty if absent or unreadable."""
    try:
        table = json.loads((builtin_models_dir() / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return table if isinstance(table, dict) else {}


def _classical_infos() -> list[RestorerInfo]:
    """Classical restorers and detectors with the scores measured beside the
    learned ones' (on the same cases), for the record."""
    from restore_app.models.classical import classical_detectors, classical_restorers

    scores = _builtin_table(SCORES_FILE)
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


#: Every restorer and detector made so far, by id (weights stay loaded).
_CACHE: dict[str, Method] = {}


def _method(method_id: str) -> Method | None:
    """The restorer or detector with this id, made once and reused; None
    when nothing of that id is installed."""
    if method_id in _CACHE:
        return _CACHE[method_id]
    from restore_app.models.classical import classical_detectors, classical_restorers

    for m in [*classical_restorers(), *classical_detectors()]:
        if m.id == method_id:
            _CACHE[method_id] = m
            return m
    for info in list_restorers():
        if info.id == method_id:
            made = _CACHE[method_id] = _learned(info)
            return made
    return None


def get_restorer(restorer_id: str) -> Restorer:
    """The restorer with this id, created once and reused (weights stay loaded)."""
    found = _method(restorer_id)
    if isinstance(found, Restorer):
        return found
    if found is not None:
        raise ModelError(
            f"'{restorer_id}' is a damage detector, not a restorer: "
            "it finds damage (restore-app detect), it does not repair it"
        )
    known = ", ".join(i.id for i in list_restorers() if i.task != Task.DETECT)
    raise ModelError(f"unknown model '{restorer_id}' (known: {known})")


def get_detector(detector_id: str) -> Detector:
    """The detector with this id, created once and reused (weights stay loaded)."""
    found = _method(detector_id)
    if isinstance(found, Detector):
        return found
    if found is not None:
        raise ModelError(
            f"'{detector_id}' is a restorer, not a damage detector: it repairs "
            "damage, it does not find it"
        )
    known = ", ".join(i.id for i in list_restorers(Task.DETECT))
    raise ModelError(f"unknown detector '{detector_id}' (known: {known})")


def _learned(info: RestorerInfo) -> Method:
    """The method of a model card: a detector's network scores damage; a
    colour card's network chooses curves for the whole image; every other
    card's network maps pixels to pixels."""
    if info.task == Task.DETECT:
        from restore_app.models.learned import LearnedDetector

        return LearnedDetector(info)
    if info.task == Task.COLOR:
        from restore_app.models.color import CurvesColor

        return CurvesColor(info)
    from restore_app.models.learned import LearnedRestorer

    return LearnedRestorer(info)


def forget_restorer(restorer_id: str) -> None:
    """Drop a cached restorer or detector (after a user model is replaced,
    removed or trained again)."""
    _CACHE.pop(restorer_id, None)


def default_restorer_id(task: Task | str) -> str:
    """The restorer the project states as the default of ``task``.

    :data:`DEFAULTS_FILE` beside the built-in cards names it. That file is edited
    by hand when a model has earned the place; benchmarks only write figures
    (scores, ``validation``, ``public``), which never choose, so re-running one
    cannot change what the app runs. Where the stated restorer is not installed,
    the task's first listed restorer (a classical one) stands in.
    """
    task = Task(task)
    candidates = list_restorers(task)
    if not candidates:
        raise ModelError(f"no restorer for {task}")
    stated = _builtin_table(DEFAULTS_FILE).get(str(task))
    if any(c.id == stated for c in candidates):
        return str(stated)
    return candidates[0].id
