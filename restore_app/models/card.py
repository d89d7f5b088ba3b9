"""A model card: the JSON file beside a model's weights, read and written here only.

Every card, built in or added by a person, is read by :meth:`ModelCard.read`,
which checks it and raises a one-line ModelError for a malformed one, and written
by :meth:`ModelCard.write` (atomically, as ``json.dumps(indent=2,
ensure_ascii=False)`` and a newline). Keys this module does not know are kept in
:attr:`ModelCard.other` and written back after the known ones, so rewriting a card
loses nothing. A card is updated with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from restore_app.core.atomic import atomic_write_bytes
from restore_app.core.errors import ModelError, RestoreError
from restore_app.core.tasks import Task

CARD_SUFFIX = ".json"

Check = Callable[[Any], Any]


# --- checking one value --------------------------------------------------------


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError("must be non-empty text")
    return value


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("must be text")
    return value


def _task(value: Any) -> Task:
    try:
        return Task(_text(value))
    except ValueError:
        known = ", ".join(t.value for t in Task)
        raise ValueError(f"names an unknown task '{value}' (use {known})") from None


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("must be a whole number")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("must be a number")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("must be true or false")
    return value


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("must be a list of text")
    return tuple(value)


def _ramp(value: Any) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise TypeError("must be two increasing numbers, at least 0")
    lo, hi = (_number(v) for v in value)
    if not 0 <= lo < hi:
        raise TypeError("must be two increasing numbers, at least 0")
    return (float(lo), float(hi))


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("must be a JSON object")
    return value


def _label(path: Path | None) -> str:
    """How a message names a card: its file, where it has one."""
    return path.name if path is not None else "model card"


def _key(check: Check, default: Any = dataclasses.MISSING) -> Any:
    """A field that is a key of the card's JSON, its value checked by ``check``."""
    return field(default=default, metadata={"check": check})


def _optional(check: Check) -> Any:
    """An optional key: absent, or null, is None."""

    def checked(value: Any) -> Any:
        return None if value is None else check(value)

    return _key(checked, None)


# --- the card --------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ModelCard:
    """What a model is, where its weights are, and what was measured of it.

    Fields are in the order they are written. Only ``id``, ``task``, ``name`` and
    ``weights`` are required; an optional field left None is not written, except
    ``score``, which a card always states (null: never measured).
    """

    id: str = _key(_text)
    task: Task = _key(_task)
    name: str = _key(_text)
    description: str = _key(_string, "")
    #: a built-in architecture ("NAFNet", "FFCInpaint", "DamageUNet") built from
    #: ``config``, or "spandrel": detected from the weights by spandrel
    architecture: str = _key(_text, "spandrel")
    #: the architecture spandrel detected when a person added the model
    spandrel_architecture: str | None = _optional(_string)
    config: dict[str, Any] | None = _optional(_object)
    #: a detector's damage kinds, in the order of its classes 1, 2, …
    kinds: tuple[str, ...] | None = _optional(_texts)
    parameters: int | None = _optional(_integer)
    #: the weights' file name, beside the card
    weights: str = _key(_text)
    sha256: str | None = _optional(_string)
    size_bytes: int | None = _optional(_integer)
    #: the file a user model was added from
    source_file: str | None = _optional(_string)
    tags: tuple[str, ...] | None = _optional(_texts)
    #: how the weights are stored ("float16")
    precision: str | None = _optional(_string)
    #: False where the network must not run in float16 (None: as it allows)
    half: bool | None = _optional(_flag)
    #: pixels of context an output pixel depends on (the tiles' overlap)
    reach: int | None = _optional(_integer)
    #: a detector's probability threshold, chosen on its validation photos
    default_threshold: float | None = _optional(_number)
    #: pixels a detector's proposal reaches past that threshold (damage fades
    #: out at its edges), chosen on its validation photos by the fill after it
    mask_margin: int | None = _optional(_integer)
    #: a denoiser's automatic strength: none below the first level of what it
    #: removes from the image (RMS, 8-bit), full above the second, linear
    #: between; fitted on its training photos
    noise_strength: tuple[float, float] | None = _optional(_ramp)
    #: A colour restorer's automatic strength: none while its curves change
    #: the picture by less than the first mean colour difference (CIELAB ΔE),
    #: full from the second (a photograph that is not faded stays as it is).
    change_strength: tuple[float, float] | None = _optional(_ramp)
    #: a fill that continues the surrounding grain into what it fills
    #: (:mod:`restore_app.core.grain`); its network's own output otherwise
    grain: bool | None = _optional(_flag)
    license: str | None = _optional(_string)
    training: dict[str, Any] | None = _optional(_object)
    #: reported figures: the project's held-out benchmark (benchmarks/quality.py)
    validation: dict[str, Any] | None = _optional(_object)
    #: reported figure: that benchmark's blind score (a detector's validation F1)
    score: float | None = _optional(_number)
    cpu_gpu_agreement: dict[str, Any] | None = _optional(_object)
    #: reported figures: public test sets (benchmarks/public.py)
    public: dict[str, Any] | None = _optional(_object)
    #: reported figures: a detector's benchmark (benchmarks/detect.py)
    benchmark: dict[str, Any] | None = _optional(_object)
    #: keys this module does not know, kept as they were
    other: dict[str, Any] = field(default_factory=dict)
    #: the file the card was read from or written to (not part of the card)
    path: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        """Check every key's value (a card made in code is checked as one read),
        and store lists as tuples and the task as a Task."""
        for key, check in _CHECKS.items():
            value = getattr(self, key)
            try:
                checked = check(list(value) if isinstance(value, tuple) else value)
            except (TypeError, ValueError) as exc:
                raise ModelError(
                    f"{_label(self.path)}: model card field '{key}' {exc}"
                ) from None
            object.__setattr__(self, key, checked)

    @property
    def weights_path(self) -> Path:
        """The weights file, resolved beside the card."""
        if self.path is None:
            raise ModelError(f"{self.id}: its model card was never read or written")
        return self.path.parent / self.weights

    @classmethod
    def from_json(cls, data: Any, *, path: Path | None = None) -> ModelCard:
        """A card from parsed JSON; ModelError (one line) if it is malformed."""
        label = _label(path)
        if not isinstance(data, dict):
            raise ModelError(f"{label}: a model card is a JSON object")
        for key in _REQUIRED:
            if key not in data:
                raise ModelError(f"{label}: model card lacks '{key}'")
        known = {k: v for k, v in data.items() if k in _CHECKS}
        other = {k: v for k, v in data.items() if k not in _CHECKS}
        return cls(**known, other=other, path=path)

    @classmethod
    def read(cls, path: Path) -> ModelCard:
        """The card in ``path``; ModelError (one line) if unreadable or malformed."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            lines = str(exc).strip().splitlines()
            reason = lines[0] if lines else type(exc).__name__
            raise ModelError(f"{path.name}: unreadable model card ({reason})") from None
        return cls.from_json(data, path=path)

    def to_json(self) -> dict[str, Any]:
        """The card as the JSON object it is written as."""
        out: dict[str, Any] = {}
        for key in _CHECKS:
            value = getattr(self, key)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Task):
                value = value.value
            if value is not None or key == "score":
                out[key] = value
        out.update((k, v) for k, v in self.other.items() if k not in out)
        return out

    def encode(self) -> bytes:
        """The bytes of the card's file."""
        text = json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"
        return text.encode("utf-8")

    def write(self, path: Path | None = None) -> ModelCard:
        """Write the card atomically to ``path`` (default: where it was read from);
        returns the card, now of that path. ModelError if it cannot be written."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ModelError(f"{self.id}: no file to write its model card to")
        try:
            atomic_write_bytes(target, self.encode(), overwrite=True)
        except RestoreError as exc:
            raise ModelError(str(exc)) from None
        return dataclasses.replace(self, path=target)


#: The card's JSON keys, in the order they are written, and each one's check.
_CHECKS: dict[str, Check] = {
    f.name: f.metadata["check"]
    for f in dataclasses.fields(ModelCard)
    if "check" in f.metadata
}
_REQUIRED = tuple(
    f.name
    for f in dataclasses.fields(ModelCard)
    if "check" in f.metadata and f.default is dataclasses.MISSING
)
