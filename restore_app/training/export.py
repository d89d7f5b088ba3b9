"""Writing what a restorer's training made: fp16 safetensors weights and the
model card with its training history, the hardware it ran on, and the fitted
automatic strength; and saying which machine trained it."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import numpy as np
import torch

from restore_app.training.train import Trainer


def hardware(device: str) -> str:
    if device == "cuda":
        return torch.cuda.get_device_name(0)
    return f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"


def _baseline(trainer: Trainer) -> str:
    """What the validation history's ``psnr_input`` measured."""
    if trainer.task != "inpaint":
        return "the degraded input"
    if trainer.spec.config.get("prefill"):
        return "the Navier–Stokes fill the network corrects, inside the mask"
    return "the empty hole, inside the mask"


def save_fp16(state: dict[str, torch.Tensor], weights: Path, architecture: str) -> None:
    """Write ``state`` as safetensors, floating-point tensors in fp16, atomically."""
    from safetensors.torch import save_file

    tensors = {
        k: v.detach()
        .cpu()
        .to(torch.float16 if v.dtype.is_floating_point else v.dtype)
        .contiguous()
        for k, v in state.items()
    }
    tmp = weights.with_suffix(".tmp")
    save_file(tensors, str(tmp), metadata={"architecture": architecture})
    os.replace(tmp, weights)


def export(trainer: Trainer, models_dir: Path, device_name: str) -> Path:
    """Write fp16 safetensors and the model card for ``trainer``'s model."""
    from restore_app.core.record import sha256_file
    from restore_app.models.card import CARD_SUFFIX, ModelCard

    spec = trainer.spec
    models_dir.mkdir(parents=True, exist_ok=True)
    weights = models_dir / spec.weights
    card_path = models_dir / (spec.weights.rsplit(".", 1)[0] + CARD_SUFFIX)
    earlier = _earlier_runs(trainer, card_path)
    # The weights' average ships.
    save_fp16(trainer.ema.state_dict(), weights, spec.architecture)
    ramp, ramp_fit = (
        _fit_noise_strength(trainer) if trainer.task == "denoise" else (None, None)
    )
    card = ModelCard(
        id=spec.id,
        task=trainer.task,
        name=spec.name,
        description=spec.description,
        architecture=spec.architecture,
        config=spec.config,
        parameters=sum(p.numel() for p in trainer.model.parameters()),
        weights=spec.weights,
        sha256=sha256_file(weights),
        size_bytes=weights.stat().st_size,
        precision="float16",
        half=spec.architecture != "FFCInpaint",
        reach=spec.reach,
        noise_strength=ramp,
        license="GPL-3.0-or-later",
        training={
            "data": {
                "train_photos": trainer.train_names,
                "validation_photos": trainer.val_names,
                "other": trainer.extra_sources + ["procedural dead-leaves images"],
                "augmentations": [
                    "random crops at 1–2× downscale",
                    "flips",
                    "90° rotations",
                    "exposure and gamma",
                    "gray",
                    "sepia",
                ],
            },
            "degradations": spec.degradations,
            "loss": "L1 (Charbonnier) inside the mask"
            if trainer.task == "inpaint"
            else "Charbonnier" + (" + FFT L1" if trainer.task == "deblur" else ""),
            "patch": trainer.patch,
            "batch": trainer.batch,
            "steps": trainer.step,
            "minutes": round(trainer.elapsed / 60, 1),
            "hardware": device_name or ", ".join(trainer.hardware_used),
            "mixed_precision": "bfloat16 autocast" if trainer.amp else "none",
            "started_from": trainer.started_from,
            "validation_history": trainer.history[-10:],
            "validation_psnr_input_is": _baseline(trainer),
            **({"noise_strength_fit": ramp_fit} if ramp_fit else {}),
            **({"earlier": earlier} if earlier else {}),
        },
        # New weights invalidate earlier measurements: benchmarks/quality.py
        # (quality, score) and the device check (CPU/GPU agreement) fill these.
        validation={},
        score=None,
    )
    card.write(card_path)
    return weights


def _fit_noise_strength(trainer: Trainer) -> tuple[list[float], dict[str, Any]]:
    """The denoiser's noise ramp for its automatic strength, fitted with the
    averaged weights on the photos it trained on."""
    from restore_app.training.strength import fit_noise_strength

    photos = [img.permute(1, 2, 0).cpu().numpy() for img in trainer.sampler.images]
    model = trainer.ema

    def denoise(x: np.ndarray) -> np.ndarray:
        t = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))[None]
        with torch.no_grad():
            y = model(t.to(trainer.device)).clamp(0, 1)
        return y[0].float().cpu().numpy().transpose(1, 2, 0)

    return fit_noise_strength(photos, denoise)


def _earlier_runs(trainer: Trainer, card_path: Path) -> list[dict[str, Any]]:
    """The runs behind the weights this run started from, newest first, as the
    card being replaced records them (so the card keeps how the model was made)."""
    from restore_app.models.card import ModelCard

    if not trainer.started_from.startswith(trainer.spec.weights):
        return []
    if not card_path.is_file():
        return []
    training = ModelCard.read(card_path).training or {}
    if (
        training.get("started_from") == trainer.started_from
        and training.get("steps", 0) <= trainer.step
    ):
        # That card was exported from this same run, earlier: its steps and
        # minutes are already counted in this run's.
        return list(training.get("earlier", []))
    keys = ("steps", "minutes", "hardware", "started_from", "batch", "patch")
    run = {k: training[k] for k in keys if k in training}
    return ([run] if run else []) + list(training.get("earlier", []))
