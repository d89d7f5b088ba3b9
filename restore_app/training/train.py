"""Training the built-in models: resumable, time-limited, CPU or GPU.

``python -m restore_app.training train --task denoise --data PHOTOS``
trains (or continues) one model for ``--minutes``, saving a checkpoint every
few minutes and at the end; ``export`` writes fp16 safetensors and the model
card into a models folder. See the README's "Training" section.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from restore_app.models.archs import build
from restore_app.models.device import cpu_has_bf16
from restore_app.training import data as D
from restore_app.training import degrade as G
from restore_app.training.loop import TrainingLoop


@dataclass
class TaskSpec:
    id: str
    name: str
    description: str
    architecture: str
    config: dict[str, Any]
    weights: str
    patch: int
    batch: int
    lr: float
    reach: int
    # Samples per step on a GPU: small networks leave a GPU waiting on kernel
    # launches, so a larger batch costs little more wall time per step.
    gpu_batch: int = 0
    degradations: list[str] = field(default_factory=list)


NAFNET_SMALL = {
    "img_channel": 3,
    "width": 16,
    "middle_blk_num": 2,
    "enc_blk_nums": [1, 1, 2, 4],
    "dec_blk_nums": [1, 1, 1, 1],
}

TASKS: dict[str, TaskSpec] = {
    "inpaint": TaskSpec(
        id="inpaint.ffc",
        name="Restore fill",
        description="Fills scratches, dust, cracks, tears and stains up to about "
        "100 px across: a Navier–Stokes fill corrected by the network, which "
        "continues texture and lines from the surroundings.",
        architecture="FFCInpaint",
        config={"ngf": 32, "max_channels": 192, "n_blocks": 6, "prefill": True},
        weights="inpaint-ffc.safetensors",
        patch=256,
        batch=12,
        lr=1e-3,
        reach=32,
        gpu_batch=48,
        degradations=[
            "scratches",
            "cracks",
            "dust and hairs",
            "blotches",
            "tears",
            "brush strokes 8–48 px wide",
        ],
    ),
    "denoise": TaskSpec(
        id="denoise.nafnet",
        name="Restore denoise",
        description="Blind denoising of Gaussian and signal-dependent noise, film "
        "grain and JPEG artefacts, without being told the level.",
        architecture="NAFNet",
        config=NAFNET_SMALL,
        weights="denoise-nafnet.safetensors",
        patch=128,
        batch=16,
        lr=1e-3,
        reach=32,
        gpu_batch=96,
        degradations=[
            "Gaussian noise σ 0–55",
            "Poisson–Gaussian noise",
            "film grain",
            "JPEG q 25–95",
            f"{G.CLEAN_SHARE:.0%} of crops left clean (texture to keep)",
        ],
    ),
    "deblur": TaskSpec(
        id="deblur.nafnet",
        name="Restore sharpen",
        description="Blind deblurring of defocus (radius up to 4 px), motion blur "
        "up to 15 px and Gaussian blur, with noise.",
        architecture="NAFNet",
        config=NAFNET_SMALL,
        weights="deblur-nafnet.safetensors",
        patch=160,
        batch=16,
        lr=1e-3,
        reach=48,
        gpu_batch=64,
        degradations=[
            "Gaussian blur σ 0.4–3",
            "defocus disc r 0.8–4",
            "motion blur 3–19 px (half smooth paths, half hard 1-pixel strokes), "
            "a third of it hand-held shake 5–27 px across",
            "Gaussian noise σ 0–8",
            "JPEG q 60–95",
        ],
    ),
}


def _charbonnier(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.sqrt((a - b) ** 2 + 1e-6).mean()


def _fft_loss(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    fa = torch.fft.rfft2(a.float())
    fb = torch.fft.rfft2(b.float())
    return (fa - fb).abs().mean() / math.sqrt(a.shape[-1] * a.shape[-2])


class Trainer(TrainingLoop):
    """One model's training state: network, optimiser, data, degradation, clock."""

    clip_norm = 0.5

    def __init__(
        self,
        task: str,
        data_dirs: list[Path],
        out_dir: Path,
        device: str,
        total_minutes: float,
        quick: bool = False,
        seed: int = 0,
        batch: int | None = None,
        patch: int | None = None,
    ) -> None:
        self.task = task
        self.spec = TASKS[task]
        self.device = device
        self.out_dir = out_dir / task
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.total_minutes = total_minutes
        self.quick = quick
        self.patch = patch or (64 if quick else self.spec.patch)
        default_batch = self.spec.gpu_batch if device == "cuda" else self.spec.batch
        if device == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
            torch.backends.cudnn.benchmark = True
        self.batch = batch or (4 if quick else default_batch)
        train, val = [], []
        for folder in data_dirs:
            t, held = D.split_photos(folder)
            train += t
            val += held
        # A photo narrower than the crop cannot give one without upscaling,
        # which would teach blur: such photos do not train this model.
        images, self.train_names = [], []
        for path in train:
            img = D.load_rgb(path)
            if min(img.shape[:2]) >= self.patch:
                images.append(img)
                self.train_names.append(path.name)
        self.val_names = [p.name for p in val]
        rng = np.random.default_rng(seed)
        procedural = [D.dead_leaves(256, rng) for _ in range(2 if quick else 48)]
        extra = [] if quick else D.skimage_photos()
        self.extra_sources = ["scikit-image samples"] if extra else []
        self.sampler = D.Sampler(images + extra, procedural, device, seed)
        self.val = D.validation_crops(val, self.patch if quick else 256).to(device)
        if task == "inpaint":
            count = 64 if quick else 2000
            bank = G.mask_bank(count, self.patch, seed)
            self.masks = torch.from_numpy(bank).to(device)
            self.val_masks = torch.from_numpy(
                G.mask_bank(self.val.shape[0], self.val.shape[-1], 12345)
            ).to(device)
        self.model = build(self.spec.architecture, self.spec.config).to(device)
        # An exponential moving average of the weights is what gets validated
        # and exported: it smooths the step-to-step noise of small batches.
        self.ema = copy.deepcopy(self.model).eval().requires_grad_(False)
        self.ema_steps = 0
        self.opt = torch.optim.AdamW(
            self.model.parameters(), lr=self.spec.lr, betas=(0.9, 0.9), weight_decay=0.0
        )
        self.step = 0
        self.elapsed = 0.0
        self.history: list[dict[str, float]] = []
        self.started_from = "scratch"
        self.hardware_used: list[str] = []
        # Steps are counted from here for the learning-rate warm-up: 0, or the
        # step a run resumed at without the optimiser's moments.
        self.warm_from = 0
        self.g = torch.Generator(device=device)
        self.g.manual_seed(seed + 1)
        # Mixed precision where the hardware computes bfloat16 natively: CUDA,
        # and CPUs with AVX-512 BF16 or AMX (about 1.5× the fp32 step rate on
        # the CPU); elsewhere bfloat16 would only be emulated, so fp32.
        self.amp = device == "cuda" or (device == "cpu" and cpu_has_bf16())

    # --- checkpoints ----------------------------------------------------------
    @property
    def checkpoint_path(self) -> Path:
        return self.out_dir / "last.pt"

    @property
    def optimizer_path(self) -> Path:
        return self.out_dir / "last-opt.pt"

    def save(self) -> None:
        state = {
            "task": self.task,
            "model": self.model.state_dict(),
            "ema": self.ema.state_dict(),
            "ema_steps": self.ema_steps,
            "step": self.step,
            "elapsed": self.elapsed,
            "history": json.dumps(self.history),
            "started_from": self.started_from,
            "hardware": json.dumps(self.hardware_used),
            "g": self.g.get_state(),
        }
        # The optimiser's moments go to a file of their own, in bfloat16: each
        # file then stays small enough to travel between machines (16 MiB).
        opt = self.opt.state_dict()
        opt["state"] = {
            i: {k: v.to(torch.bfloat16) if v.dim() > 0 else v for k, v in s.items()}
            for i, s in opt["state"].items()
        }
        for path, obj in ((self.checkpoint_path, state), (self.optimizer_path, opt)):
            tmp = path.with_suffix(".tmp")
            torch.save(obj, tmp)
            os.replace(tmp, path)

    def resume(self, path: Path) -> None:
        """Continue from a checkpoint, or start from exported weights (safetensors)."""
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            sd = {k: v.float() for k, v in load_file(str(path)).items()}
            from restore_app.models.card import CARD_SUFFIX, ModelCard

            card = path.with_suffix(CARD_SUFFIX)
            config = ModelCard.read(card).config if card.is_file() else None
            if config is not None and config != self.spec.config:
                # Weights of another configuration of the same network: the layers
                # that fit carry over, the rest start as freshly initialised.
                own = self.model.state_dict()
                fresh = tuple(getattr(self.model, "fresh_on_warm_start", ()))
                sd = {
                    k: v
                    for k, v in sd.items()
                    if k in own and own[k].shape == v.shape and not k.startswith(fresh)
                }
                self.model.load_state_dict(sd, strict=False)
                self.started_from = f"{path.name} (layers that fit)"
            else:
                self.model.load_state_dict(sd)
                self.started_from = path.name
            self._restart_ema()
            return
        state = torch.load(str(path), map_location=self.device, weights_only=True)
        self.model.load_state_dict(state["model"])
        if "ema" in state:
            self.ema.load_state_dict(state["ema"])
            self.ema_steps = int(state["ema_steps"])
        else:  # a checkpoint from before the average was kept
            self._restart_ema()
        opt_path = path.with_name(path.stem + "-opt.pt")
        if opt_path.is_file():
            opt = torch.load(str(opt_path), map_location=self.device, weights_only=True)
            for s in opt["state"].values():
                for k, v in s.items():
                    if v.dim() > 0:
                        s[k] = v.float()
            self.opt.load_state_dict(opt)
        else:
            self.warm_from = int(state["step"])
        self.step = int(state["step"])
        self.elapsed = float(state["elapsed"])
        self.history = json.loads(state["history"])
        self.started_from = state.get("started_from", "scratch")
        self.hardware_used = json.loads(state.get("hardware", "[]"))
        # A GPU generator's state does not fit a CPU one (and back): a run
        # moved between machines keeps its fresh seed instead.
        with contextlib.suppress(RuntimeError):
            self.g.set_state(state["g"].cpu())

    # --- one step -------------------------------------------------------------
    def _restart_ema(self) -> None:
        self.ema.load_state_dict(self.model.state_dict())
        self.ema_steps = 0

    def _lr(self) -> float:
        warm = min(1.0, (self.step - self.warm_from + 1) / 300)
        t = min(self.elapsed / 60.0 / max(self.total_minutes, 1e-6), 1.0)
        return self.spec.lr * warm * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * t)))

    def _masks(self, n: int) -> torch.Tensor:
        idx = torch.randint(
            0, self.masks.shape[0], (n,), generator=self.g, device=self.device
        )
        m = self.masks[idx].float()[:, None]
        k = int(torch.randint(0, 4, (1,), generator=self.g, device=self.device))
        return torch.rot90(m, k, dims=(2, 3))

    def forward_loss(self, clean: torch.Tensor) -> torch.Tensor:
        if self.task == "inpaint":
            m = self._masks(clean.shape[0])
            with self._autocast():
                out = self.model(clean, m)
            diff = torch.sqrt((out.float() - clean) ** 2 + 1e-6) * m
            return diff.sum() / (m.sum() * 3 + 1)
        degraded = (G.degrade_noise if self.task == "denoise" else G.degrade_blur)(
            clean, self.g
        )
        with self._autocast():
            out = self.model(degraded)
        out = out.float()
        loss = _charbonnier(out, clean)
        if self.task == "deblur":
            loss = loss + 0.05 * _fft_loss(out, clean)
        return loss

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """PSNR of the averaged weights and of the degraded input on held-out crops."""
        model = self.ema
        g = torch.Generator(device=self.device)
        g.manual_seed(777)
        clean = self.val
        scores_in, scores_out, scores_clean = [], [], []
        for i in range(0, clean.shape[0], 4):
            c = clean[i : i + 4]
            if self.task == "inpaint":
                m = self.val_masks[i : i + 4].float()[:, None]
                # The baseline is the Navier–Stokes fill the network starts from
                # (or the empty hole for a network without one).
                if model.prefill:
                    base = model.navier_stokes_fill(c, m)
                    out = model(c, m, fill=base)
                else:
                    base, out = 0, model(c, m)
                err = ((out - c) ** 2 * m).flatten(1).sum(1) / (m.flatten(1).sum(1) * 3)
                err_in = ((c - base) ** 2 * m).flatten(1).sum(1) / (
                    m.flatten(1).sum(1) * 3
                )
            else:
                # Validation denoises noisy crops only (a clean one's input PSNR
                # is unbounded); how clean ones come through is scored apart.
                deg = (
                    G.degrade_noise(c, g, clean_share=0.0)
                    if self.task == "denoise"
                    else G.degrade_blur(c, g)
                )
                out = model(deg).clamp(0, 1)
                if self.task == "denoise":
                    kept = ((model(c).clamp(0, 1) - c) ** 2).flatten(1).mean(1)
                    scores_clean += (-10 * torch.log10(kept.clamp_min(1e-10))).tolist()
                err = ((out - c) ** 2).flatten(1).mean(1)
                err_in = ((deg - c) ** 2).flatten(1).mean(1)
            scores_out += (-10 * torch.log10(err.clamp_min(1e-10))).tolist()
            scores_in += (-10 * torch.log10(err_in.clamp_min(1e-10))).tolist()
        scores = {
            "psnr": float(np.mean(scores_out)),
            "psnr_input": float(np.mean(scores_in)),
        }
        if scores_clean:  # a clean crop through the denoiser: mean and worst
            scores["psnr_clean"] = float(np.mean(scores_clean))
            scores["psnr_clean_worst"] = float(np.min(scores_clean))
        return scores

    def step_loss(self) -> torch.Tensor:
        return self.forward_loss(self.sampler.batch(self.batch, self.patch))

    def checkpoint(self, on_log=print) -> None:
        scores = self.validate()
        scores.update(step=self.step, minutes=round(self.elapsed / 60, 2))
        self.history.append(scores)
        on_log(f"{self.task} validation {json.dumps(scores)}")
        self.save()
