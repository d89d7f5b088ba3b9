"""Models people already have: checkpoints added to, and removed from, their folder.

An added checkpoint is checked before anything is written: it must load without
running pickled code, be an architecture spandrel knows (or a TorchScript
inpainting export such as big-lama.pt), and keep the image size. Its weights are
copied into the user's model folder beside a model card, so the registry lists it
and ``--model user.<name>`` runs it. Plain state dicts are stored as safetensors,
so later loads never touch pickle at all.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restore_app.core.atomic import atomic_output, sha256_file
from restore_app.core.errors import ModelError
from restore_app.models.base import RestorerInfo, Task
from restore_app.models.card import CARD_SUFFIX, ModelCard
from restore_app.models.registry import (
    NOT_CARDS,
    forget_restorer,
    list_restorers,
    user_models_dir,
)

USER_PREFIX = "user."
#: A TorchScript model is tried once on an image this big (a multiple of 8, as
#: LaMa's downsampling needs) to prove it takes ``(image, mask)`` and keeps the size.
_PROBE_SIZE = 32


class ModelExistsError(ModelError):
    """A user model with this id exists and replacing it was not asked for."""


class TaskNeededError(ModelError):
    """The checkpoint does not say which task it serves; the person must."""


@dataclass(frozen=True)
class CheckedModel:
    """What a checkpoint turned out to be, before anything is written."""

    task: Task
    architecture: str  # spandrel's architecture id, or "TorchScript"
    parameters: int
    tags: list[str]
    supports_half: bool
    torchscript: bool
    weights: Any  # the state dict, or the TorchScript module


def slug(text: str) -> str:
    """A lower-case file and id name: letters, digits and single dashes."""
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return out[:48].strip("-") or "model"


def user_model_id(path: str | Path) -> str:
    """The id a checkpoint file gets when added: ``user.<slug of its stem>``."""
    name = slug(Path(path).stem)
    # "scores.json" and "defaults.json" are the registry's tables, not cards.
    if name + CARD_SUFFIX in NOT_CARDS:
        name += "-model"
    return USER_PREFIX + name


def _parse_task(task: Task | str | None) -> Task | None:
    if task is None or task == "":
        return None
    names = ", ".join(t.value for t in Task if t is not Task.DETECT)
    try:
        parsed = Task(task)
    except ValueError:
        raise ModelError(f"unknown task '{task}' (use {names})") from None
    if parsed is Task.DETECT:
        raise ModelError(f"only restorers can be added (use {names})")
    return parsed


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


#: A TorchScript model's test run: seconds and bytes of memory it may take
#: (``RESTORE_MODEL_CHECK_SECONDS`` overrides the time).
CHECK_SECONDS = 30.0
CHECK_MEMORY = 4 * 1024**3

_PROBE = """
import sys, torch
module = torch.jit.load(sys.argv[1], map_location="cpu").eval()
size = int(sys.argv[2])
with torch.inference_mode():
    out = module(torch.rand(1, 3, size, size), torch.zeros(1, 1, size, size))
if isinstance(out, torch.Tensor):
    print("shape", *out.shape)
else:
    print("type", type(out).__name__)
"""


def _limit_memory() -> None:
    import resource

    # The data segment, which numpy's and torch's allocations count against;
    # the address space would also count the libraries torch maps at import.
    resource.setrlimit(resource.RLIMIT_DATA, (CHECK_MEMORY, CHECK_MEMORY))


def _probe_torchscript(path: Path, size: int) -> str:
    """Run the model once on a test image in its own process, within time and
    memory limits: its code is not ours, and a forward that loops or allocates
    without end must not hang or exhaust the app. Returns what it printed."""
    import os
    import subprocess
    import sys

    seconds = float(os.environ.get("RESTORE_MODEL_CHECK_SECONDS", CHECK_SECONDS))
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _PROBE, str(path), str(size)],
            capture_output=True,
            text=True,
            timeout=seconds,
            preexec_fn=_limit_memory if sys.platform.startswith("linux") else None,
        )
    except subprocess.TimeoutExpired:
        raise ModelError(
            f"{path.name}: the TorchScript model did not finish a test run on a "
            f"{size}×{size} image within {seconds:g} s: refused"
        ) from None
    if proc.returncode != 0:
        tail = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        last = tail[-1] if tail else f"exit status {proc.returncode}"
        if "MemoryError" in proc.stderr or "alloc" in last.lower():
            last = f"it needed more than {CHECK_MEMORY // 1024**3} GiB"
        raise ModelError(
            f"{path.name}: the TorchScript model does not run as model(image, mask): "
            f"{last}"
        )
    return proc.stdout.strip()


def _check_torchscript(
    name: str, module: Any, task: Task | None, path: Path | None = None
) -> CheckedModel:
    if task is None:
        raise TaskNeededError(
            f"{name}: a TorchScript model; only inpainting ones (such as big-lama.pt) "
            "can be added: say --task inpaint"
        )
    if task != Task.INPAINT:
        raise ModelError(
            f"{name}: TorchScript models are run as inpainting models (image, mask) "
            f"only, not for {task}"
        )
    module.eval()
    size = _PROBE_SIZE
    if path is None:
        raise ModelError(f"{name}: a TorchScript model is checked from its file")
    kind, *rest = _probe_torchscript(path, size).split()
    if kind != "shape" or tuple(int(v) for v in rest) != (1, 3, size, size):
        got = tuple(int(v) for v in rest) if kind == "shape" else " ".join(rest)
        raise ModelError(
            f"{name}: the TorchScript model returned {got} for a 3×{size}×{size} "
            "image; an inpainting model must return an image of the same size"
        )
    return CheckedModel(
        task=Task.INPAINT,
        architecture="TorchScript",
        parameters=sum(p.numel() for p in module.parameters()),
        tags=[],
        # LaMa's Fourier convolutions lose too much in fp16.
        supports_half=False,
        torchscript=True,
        weights=module,
    )


def _spandrel_task(name: str, purpose: str, task: Task | None) -> Task:
    if purpose == "Inpainting":
        if task not in (None, Task.INPAINT):
            raise ModelError(f"{name}: an inpainting model, not a {task} model")
        return Task.INPAINT
    if purpose == "Restoration":
        if task is None:
            raise TaskNeededError(
                f"{name}: spandrel calls it a restoration model: say --task denoise "
                "or --task deblur"
            )
        if task == Task.INPAINT:
            raise ModelError(
                f"{name}: a restoration model cannot inpaint (it takes no mask): "
                "say --task denoise or --task deblur"
            )
        return task
    if purpose == "FaceSR":
        raise ModelError(
            f"{name}: a face restoration model, made for aligned face crops, not "
            "whole photographs"
        )
    raise ModelError(f"{name}: a {purpose} model; only restoration models can be added")


def check_model(path: str | Path, *, task: Task | str | None = None) -> CheckedModel:
    """Load ``path`` safely and decide what it is; nothing is written.

    Raises ModelError (TaskNeededError when only ``task`` is missing) for files
    that are unsafe, unreadable, unknown to spandrel, or change the image size.
    """
    import torch

    from restore_app.models.loading import read_state_dict

    path = Path(path)
    wanted = _parse_task(task)
    weights = read_state_dict(path)
    if isinstance(weights, torch.jit.ScriptModule):
        return _check_torchscript(path.name, weights, wanted, path)
    if not isinstance(weights, dict) or not weights:
        raise ModelError(f"{path.name}: holds no network weights (no state dict)")
    tensors = {k: v for k, v in weights.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        raise ModelError(f"{path.name}: holds no network weights (no tensors)")

    from spandrel import ModelLoader, UnsupportedModelError

    try:
        desc = ModelLoader().load_from_state_dict(tensors)
    except UnsupportedModelError:
        raise ModelError(
            f"{path.name}: not an architecture spandrel knows, so it cannot be run"
        ) from None
    except Exception as exc:  # noqa: BLE001 - a malformed checkpoint, in any way
        raise ModelError(
            f"{path.name}: the weights do not build a network: {_first_line(exc)}"
        ) from None
    arch = desc.architecture.id
    if desc.scale != 1:
        raise ModelError(
            f"{path.name}: {arch} ×{desc.scale} is an upscaler; Restore keeps the "
            "image size, so only 1× models can be added"
        )
    chosen = _spandrel_task(path.name, desc.purpose, wanted)
    if desc.input_channels != 3 or desc.output_channels != 3:
        raise ModelError(
            f"{path.name}: {arch} takes {desc.input_channels} and returns "
            f"{desc.output_channels} channels; only RGB models (3 and 3) can be added"
        )
    if desc.size_requirements.square:
        raise ModelError(f"{path.name}: {arch} needs square images; photos are not")
    return CheckedModel(
        task=chosen,
        architecture=arch,
        parameters=sum(p.numel() for p in desc.model.parameters()),
        tags=list(desc.tags),
        supports_half=bool(desc.supports_half),
        torchscript=False,
        weights=tensors,
    )


def user_card_path(model_id: str) -> Path:
    """Where the card of the user model ``model_id`` lives (it may not exist)."""
    return user_models_dir() / f"{model_id.removeprefix(USER_PREFIX)}{CARD_SUFFIX}"


def _write_weights(checked: CheckedModel, target: Path, source: Path) -> None:
    if checked.torchscript:
        # A TorchScript archive is kept byte for byte: re-saving could change it.
        with atomic_output(target, overwrite=True) as tmp:
            shutil.copyfile(source, tmp)
        return
    from safetensors.torch import save_file

    # Cloned: safetensors refuses tensors that share storage (tied weights).
    tensors = {k: v.detach().clone().contiguous() for k, v in checked.weights.items()}
    with atomic_output(target, overwrite=True) as tmp:
        save_file(tensors, str(tmp))


def add_model(
    path: str | Path,
    *,
    task: Task | str | None = None,
    name: str | None = None,
    overwrite: bool = False,
) -> RestorerInfo:
    """Check ``path`` and copy it into the user's model folder; its RestorerInfo.

    ``task`` is required where the checkpoint does not say it (spandrel's
    "Restoration" models: denoise or deblur; TorchScript: inpaint). The source
    file is only read. ModelExistsError if ``user.<stem>`` exists and not
    ``overwrite``.
    """
    source = Path(path)
    model_id = user_model_id(source)
    card_path = user_card_path(model_id)
    if card_path.exists() and not overwrite:
        raise ModelExistsError(
            f"a model '{model_id}' already exists (use --overwrite to replace it)"
        )
    checked = check_model(source, task=task)

    folder = user_models_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(
            f"cannot create the model folder {folder} ({exc.strerror or exc})"
        ) from None
    old_weights = _old_weights(card_path)
    suffix = ".pt" if checked.torchscript else ".safetensors"
    weights_path = folder / f"{card_path.stem}{suffix}"
    try:
        _write_weights(checked, weights_path, source)
    except OSError as exc:
        raise ModelError(
            f"{weights_path}: could not be written ({exc.strerror or exc})"
        ) from None
    card = ModelCard(
        id=model_id,
        task=checked.task,
        name=name or source.stem,
        description=f"{checked.architecture} added from {source.name}",
        architecture="spandrel",
        spandrel_architecture=checked.architecture,
        weights=weights_path.name,
        sha256=sha256_file(weights_path),
        size_bytes=weights_path.stat().st_size,
        source_file=source.name,
        parameters=checked.parameters,
        tags=tuple(checked.tags),
        half=checked.supports_half,
        reach=32,
        # Never measured on the project's photos.
        score=None,
    )
    try:
        card.write(card_path)
    except ModelError:
        # Weights without a card are never listed: do not leave them behind.
        if old_weights != weights_path:
            weights_path.unlink(missing_ok=True)
        raise
    if old_weights is not None and old_weights != weights_path:
        old_weights.unlink(missing_ok=True)
    forget_restorer(model_id)
    return _info(model_id)


def _old_weights(card_path: Path) -> Path | None:
    if not card_path.is_file():
        return None
    try:
        return ModelCard.read(card_path).weights_path
    except ModelError:
        return None


def _info(model_id: str) -> RestorerInfo:
    for info in list_restorers():
        if info.id == model_id and info.source == "user":
            return info
    raise ModelError(f"'{model_id}' was written but cannot be listed")


def remove_model(model_id: str) -> None:
    """Delete a user model's card and weights; ModelError for others or unknown ids."""
    if not model_id.startswith(USER_PREFIX):
        known = {i.id for i in list_restorers()}
        if model_id in known:
            raise ModelError(f"'{model_id}' is built in and cannot be removed")
        raise ModelError(f"no user model '{model_id}' (see 'restore-app models')")
    card_path = user_card_path(model_id)
    if not card_path.is_file():
        raise ModelError(f"no user model '{model_id}' (see 'restore-app models')")
    weights = _old_weights(card_path)
    try:
        card_path.unlink()
        if weights is not None and weights.parent == card_path.parent:
            weights.unlink(missing_ok=True)
    except OSError as exc:
        raise ModelError(f"{model_id}: could not be removed ({exc.strerror})") from None
    forget_restorer(model_id)
