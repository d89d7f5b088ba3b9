"""Training the damage detector: resumable, time-limited, CPU or GPU.

``python -m restore_app.training train --task detect --data PHOTOS
[--data MORE]`` trains the detector on clean photographs aged and damaged by
:mod:`restore_app.training.aging`. Every 8th photo of each folder by
name is held out and split in two: the validation half picks the checkpoint and
the default sensitivity; the test half is read only by ``benchmarks/detect.py``.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from restore_app.core.damage import kind
from restore_app.core.detect_scores import Counts
from restore_app.models.archs import build
from restore_app.models.device import cpu_has_bf16
from restore_app.training import aging, film
from restore_app.training import data as D
from restore_app.training.detector_data import (
    MARGIN_SAMPLES,
    REAL_CHOOSING,
    choose_margin,
    crop_scaled,
    crop_small,
    detector_split,
    make_set,
    real_choosing,
)
from restore_app.training.export import save_fp16
from restore_app.training.loop import TrainingLoop

ARCHITECTURE = "DamageUNet"
#: The damage kinds the detector learns, in the order of its classes 1, 2, …
KINDS = tuple(aging.KINDS)
CONFIG: dict[str, Any] = {"classes": len(KINDS) + 1, "width": 16, "depth": 3}
#: Label image values (the table's labels) to class indices.
_CLASS_OF = np.zeros(256, np.int64)
for _i, _k in enumerate(KINDS, 1):
    _CLASS_OF[kind(_k).label] = _i
#: Class indices 1, 2, … (less one) back to the table's labels.
_LABELS = np.array([kind(k).label for k in KINDS], np.uint8)
WEIGHTS = "detect-unet.safetensors"
DETECTOR_ID = "detect.unet"
#: Loss weight of damaged pixels against undamaged ones (damage is rare).
DAMAGE_WEIGHT = 3.0
#: Share of training crops made of whole photographs shrunk several times
#: (:func:`crop_small`): a small print's faces and knits are what else looks
#: like damage.
SMALL_SHARE = 0.25
#: Share of training crops damaged as film scans (negatives and slides) with
#: the real traced shapes of :mod:`restore_app.training.film`; the rest
#: are aged, damaged prints.
FILM_SHARE = 0.35
#: Weight of the real prints' F1 against the synthetic validation's in the
#: score that chooses checkpoints and the threshold.
REAL_WEIGHT = 0.5
#: The most of an undamaged print's pixels the default sensitivity may flag on
#: the validation prints (the synthetic benchmark's target): real prints ask
#: for lower thresholds than synthetic damage does, and this keeps clean
#: photographs clean.
FALSE_ALARM_CAP = 0.003
#: Detection thresholds the validation sweeps to pick the best checkpoint.
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.1, 0.96, 0.05))
#: The finer sweep that sets the shipped detector's own threshold (what the
#: default sensitivity flags), on the validation half, at export.
FINE_THRESHOLDS = tuple(round(t, 3) for t in np.arange(0.05, 0.995, 0.01))


def damage_probability(logits: torch.Tensor) -> torch.Tensor:
    """(N, H, W) probability that a pixel is damaged, of any kind."""
    return 1.0 - torch.softmax(logits.float(), 1)[:, 0]


class DetectorTrainer(TrainingLoop):
    """The detector's training state: network, average, optimiser, data, clock."""

    task = "detect"

    def __init__(
        self,
        data_dirs: list[Path],
        out_dir: Path,
        device: str,
        total_minutes: float,
        quick: bool = False,
        seed: int = 0,
        batch: int | None = None,
        patch: int | None = None,
        lr: float = 2e-3,
        film_shapes: Path | None = None,
    ) -> None:
        self.device = device
        self.out_dir = out_dir / "detect"
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.total_minutes = total_minutes
        self.quick = quick
        self.patch = patch or (64 if quick else 160)
        self.batch = batch or (4 if quick else (64 if device == "cuda" else 12))
        self.lr = lr
        train, val, _test = detector_split(data_dirs)
        if quick:
            train = train[:6]
            val = val[:2]
        self.train_names = [p.name for p in train]
        self.val_names = [p.name for p in val]
        self.photos = [D.load_rgb(p) for p in train]
        self.rng = np.random.default_rng(seed)
        shapes_path = film_shapes or film.default_shapes_path()
        self.film_shapes = film.load_shapes(shapes_path)
        vx, vy, vc = make_set(
            [D.load_rgb(p) for p in val],
            8 if quick else 96,
            self.patch if quick else 256,
            seed=4242,
            film_shapes=film.load_shapes(shapes_path, held_out=True),
        )
        self.val_x, self.val_y, self.val_clean = vx, vy, vc
        # make_set draws every third sample as film (the others are prints).
        self.print_samples = np.arange(len(vx)) % 3 != 2
        self.real = real_choosing()
        # Scores are comparable only on the same validation samples: a run
        # resumed after the data changed starts its choice of the best afresh.
        digest = hashlib.sha256(vx.tobytes() + vy.tobytes())
        for rgb, truth in self.real:
            digest.update(rgb.tobytes() + truth.tobytes())
        self.val_fingerprint = digest.hexdigest()
        self.model = build(ARCHITECTURE, CONFIG).to(device)
        self.ema = copy.deepcopy(self.model).eval().requires_grad_(False)
        self.ema_steps = 0
        self.opt = torch.optim.AdamW(
            self.model.parameters(), lr=lr, betas=(0.9, 0.99), weight_decay=1e-4
        )
        self.class_weight = torch.tensor(
            [1.0] + [DAMAGE_WEIGHT] * len(KINDS), device=device
        )
        self.step = 0
        # Steps are counted from here for the learning-rate warm-up: 0, or the
        # step a run resumed at without the optimiser's moments.
        self.warm_from = 0
        self.elapsed = 0.0
        # Seconds trained when this schedule began: 0, or the shipped weights'
        # minutes when a run goes on from them (a fine-tune has its own schedule).
        self.schedule_from = 0.0
        self.history: list[dict[str, Any]] = []
        self.best: dict[str, Any] | None = None
        self.started_from = "scratch"
        self.hardware_used: list[str] = []
        self.amp = device == "cuda" or (device == "cpu" and cpu_has_bf16())

    # --- checkpoints ----------------------------------------------------------
    @property
    def checkpoint_path(self) -> Path:
        return self.out_dir / "last.pt"

    @property
    def best_path(self) -> Path:
        return self.out_dir / "best.pt"

    def _state(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "model": self.model.state_dict(),
            "ema": self.ema.state_dict(),
            "ema_steps": self.ema_steps,
            "opt": self.opt.state_dict(),
            "step": self.step,
            "elapsed": self.elapsed,
            "schedule_from": self.schedule_from,
            "history": json.dumps(self.history),
            "best": json.dumps(self.best),
            "started_from": self.started_from,
            "hardware": json.dumps(self.hardware_used),
            "rng": json.dumps(self.rng.bit_generator.state),
            "validation": self.val_fingerprint,
        }

    def save(self, path: Path | None = None) -> None:
        path = path or self.checkpoint_path
        tmp = path.with_suffix(".tmp")
        torch.save(self._state(), tmp)
        os.replace(tmp, path)

    def resume(self, path: Path) -> None:
        """Continue from a checkpoint, or from exported weights (safetensors)."""
        if path.suffix == ".safetensors":
            self._resume_exported(path)
            return
        state = torch.load(str(path), map_location=self.device, weights_only=True)
        self.model.load_state_dict(state["model"])
        self.ema.load_state_dict(state["ema"])
        self.ema_steps = int(state["ema_steps"])
        with contextlib.suppress(ValueError, KeyError):
            self.opt.load_state_dict(state["opt"])
        self.step = int(state["step"])
        self.elapsed = float(state["elapsed"])
        self.schedule_from = float(state.get("schedule_from", 0.0))
        self.history = json.loads(state["history"])
        self.best = json.loads(state["best"])
        if state.get("validation") != self.val_fingerprint:
            self.best = None  # other validation samples: earlier scores don't compare
        self.started_from = state.get("started_from", "scratch")
        self.hardware_used = json.loads(state.get("hardware", "[]"))
        with contextlib.suppress(KeyError, ValueError, TypeError):
            self.rng.bit_generator.state = json.loads(state["rng"])

    def _resume_exported(self, path: Path) -> None:
        """Continue the run behind shipped weights: its step, minutes and history
        come from their card; the optimiser starts afresh, warming up again."""
        from safetensors.torch import load_file

        from restore_app.models.card import CARD_SUFFIX, ModelCard

        sd = {k: v.float() for k, v in load_file(str(path)).items()}
        self.model.load_state_dict(sd)
        self.ema.load_state_dict(sd)
        self.ema_steps = 0
        card = path.with_suffix(CARD_SUFFIX)
        training = (ModelCard.read(card).training or {}) if card.is_file() else {}
        self.step = int(training.get("steps", 0))
        self.warm_from = self.step
        self.elapsed = float(training.get("minutes", 0.0)) * 60
        self.schedule_from = self.elapsed
        self.history = list(training.get("validation_history", []))
        self.best = None  # measured afresh on this run's validation samples
        self.started_from = str(training.get("started_from", path.name))
        self.hardware_used = [training["hardware"]] if training.get("hardware") else []

    # --- one step -------------------------------------------------------------
    def _lr(self) -> float:
        warm = min(1.0, (self.step - self.warm_from + 1) / 200)
        run = (self.elapsed - self.schedule_from) / 60.0
        t = min(run / max(self.total_minutes, 1e-6), 1.0)
        return self.lr * warm * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * t)))

    def batch_arrays(self) -> tuple[torch.Tensor, torch.Tensor]:
        xs, ys = [], []
        for _ in range(self.batch):
            if self.rng.random() < FILM_SHARE:
                img = self.photos[int(self.rng.integers(0, len(self.photos)))]
                crop = crop_scaled(img, self.patch, self.rng)
                x, y, _ = film.sample(crop, self.rng, self.film_shapes)
            else:
                if self.rng.random() < SMALL_SHARE:
                    crop = crop_small(self.photos, self.patch, self.rng)
                else:
                    img = self.photos[int(self.rng.integers(0, len(self.photos)))]
                    crop = crop_scaled(img, self.patch, self.rng)
                x, y, _ = aging.sample(crop, self.rng)
            xs.append(x)
            ys.append(y)
        x = torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).to(self.device)
        y = torch.from_numpy(_CLASS_OF[np.stack(ys)]).to(self.device)
        return x, y

    def step_loss(self) -> torch.Tensor:
        x, y = self.batch_arrays()
        with self._autocast():
            logits = self.model(x)
        return self.loss(logits, y)

    def loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        logits = logits.float()
        ce = F.cross_entropy(logits, labels, weight=self.class_weight)
        # Soft Dice on "damaged at all": thin structures count as much as big ones.
        p = damage_probability(logits)
        t = (labels > 0).float()
        inter = (p * t).sum((1, 2))
        dice = 1 - (2 * inter + 1) / (p.sum((1, 2)) + t.sum((1, 2)) + 1)
        return ce + 0.5 * dice.mean()

    @torch.no_grad()
    def predict(self, x: np.ndarray, model=None) -> tuple[np.ndarray, np.ndarray]:
        """(damage probability (N, H, W), kind label per pixel (N, H, W)) for
        float32 RGB samples (N, H, W, 3)."""
        model = model or self.ema
        probs, kinds = [], []
        for i in range(0, len(x), 8):
            t = torch.from_numpy(x[i : i + 8]).permute(0, 3, 1, 2).to(self.device)
            logits = model(t).float()
            probs.append(damage_probability(logits).cpu().numpy())
            classes = logits[:, 1:].argmax(1).cpu().numpy()
            kinds.append(_LABELS[classes])
        return np.concatenate(probs), np.concatenate(kinds)

    @torch.no_grad()
    def predict_whole(self, rgb: np.ndarray, model=None) -> np.ndarray:
        """Damage probability (H, W) of one whole image, padded to the
        network's stride."""
        model = model or self.ema
        h, w = rgb.shape[:2]
        ph, pw = -h % 16, -w % 16
        x = np.pad(rgb, ((0, ph), (0, pw), (0, 0)), mode="reflect")
        t = torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1)[None]
        return (
            damage_probability(model(t.to(self.device)).float())[0, :h, :w]
            .cpu()
            .numpy()
        )

    def validate(self, thresholds=THRESHOLDS) -> dict[str, Any]:
        """F1 on the validation samples and on the real prints kept for choosing,
        at each threshold; the best one's details. ``score`` (what chooses) is
        their weighted mean (the synthetic F1 alone without real prints), among
        the thresholds that flag at most :data:`FALSE_ALARM_CAP` of the
        undamaged prints (the one flagging least where none does)."""
        prob, kinds = self.predict(self.val_x)
        clean_prob, _ = self.predict(self.val_clean)
        # False alarms are counted on the undamaged prints (what the benchmark's
        # target is about): film crops, grainy and plain, flag far less.
        clean_prob = clean_prob[self.print_samples]
        real = [(self.predict_whole(rgb), truth) for rgb, truth in self.real]
        truth = self.val_y > 0
        best: dict[str, Any] = {"score": -1.0}
        candidates = []
        for thr in thresholds:
            c = Counts()
            for p, t in zip(prob >= thr, truth, strict=True):
                c.add(p, t)
            r = Counts()
            for p, t in real:
                r.add(p >= thr, t)
            score = (1 - REAL_WEIGHT) * c.f1 + REAL_WEIGHT * r.f1 if real else c.f1
            alarms = float((clean_prob >= thr).mean())
            entry = {"threshold": thr, "score": round(score, 4), **c.as_dict()}
            if real:
                entry["real"] = r.as_dict()
            entry["false_alarms"] = round(alarms, 5)
            candidates.append(entry)
        allowed = [e for e in candidates if e["false_alarms"] <= FALSE_ALARM_CAP]
        if allowed:
            best = max(allowed, key=lambda e: e["score"])
        else:
            best = min(candidates, key=lambda e: (e["false_alarms"], -e["score"]))
        thr = best["threshold"]
        per_kind = {}
        for k in (kind(k) for k in KINDS):
            c = Counts()
            for p, kd, t in zip(prob >= thr, kinds, self.val_y, strict=True):
                c.add(p & (kd == k.label), t == k.label)
            per_kind[k.id] = c.as_dict()
        best["kinds"] = per_kind
        return best

    def checkpoint(self, on_log=print) -> None:
        self.model.eval()
        scores = self.validate()
        self.model.train()
        scores.update(step=self.step, minutes=round(self.elapsed / 60, 2))
        self.history.append(scores)
        on_log(f"detect validation {json.dumps(scores)}")
        if self.best is None or _rank(scores) > _rank(self.best):
            self.best = scores
            self.save(self.best_path)
        self.save()


def _rank(scores: dict[str, Any]) -> tuple[bool, float]:
    """Validation results in order of preference: within the false-alarm cap
    first, then by score."""
    return (scores["false_alarms"] <= FALSE_ALARM_CAP, scores["score"])


def export(trainer: DetectorTrainer, models_dir: Path, hardware: str = "") -> Path:
    """Write the best validated weights (fp16 safetensors) and the detector's card."""
    from restore_app.core.record import sha256_file
    from restore_app.core.tasks import Task
    from restore_app.models.card import CARD_SUFFIX, ModelCard

    # The best-scoring checkpoint and the last one are measured again on the
    # validation half as it is now (a run resumed with other data has another),
    # each at its best threshold of a finer sweep than training's.
    trainer.ema.eval()
    candidates = [(trainer.ema.state_dict(), trainer.step, trainer.elapsed)]
    for path in (trainer.best_path, trainer.checkpoint_path):
        if path.is_file():
            state = torch.load(
                str(path), map_location=trainer.device, weights_only=True
            )
            candidates.append(
                (state["ema"], int(state["step"]), float(state["elapsed"]))
            )
    best, chosen = None, None
    for ema_state, step, elapsed in candidates:
        trainer.ema.load_state_dict(ema_state)
        scores = trainer.validate(FINE_THRESHOLDS)
        if best is None or _rank(scores) > _rank(best):
            best = {**scores, "step": step, "minutes": round(elapsed / 60, 2)}
            chosen = ({k: v.clone() for k, v in ema_state.items()}, step, elapsed)
    assert chosen is not None and best is not None
    ema, steps, minutes = chosen[0], chosen[1], chosen[2] / 60
    models_dir.mkdir(parents=True, exist_ok=True)
    weights = models_dir / WEIGHTS
    save_fp16(ema, weights, ARCHITECTURE)
    threshold = float(best["threshold"]) if best else 0.5
    trainer.ema.load_state_dict(ema)
    margin, margin_psnr = choose_margin(trainer, threshold)
    ModelCard(
        id=DETECTOR_ID,
        task=Task.DETECT,
        name="Restore damage finder",
        description="Labels each pixel of a scan as a scratch, dust or hair, "
        "crack, loss or undamaged; trained on aged, damaged photographs.",
        architecture=ARCHITECTURE,
        config=CONFIG,
        kinds=tuple(KINDS),
        parameters=sum(p.numel() for p in trainer.model.parameters()),
        weights=WEIGHTS,
        sha256=sha256_file(weights),
        size_bytes=weights.stat().st_size,
        precision="float16",
        half=False,
        reach=64,
        default_threshold=threshold,
        mask_margin=margin,
        license="GPL-3.0-or-later",
        training={
            "data": {
                "train_photos": len(trainer.train_names),
                "validation_photos": trainer.val_names,
                "test_photos": "the other half of the held-out photos (benchmark)",
                "other": [
                    "picture detail drawn as 'no damage': catchlights, "
                    "wires, twigs, eyelashes, text, wood grain, stars",
                    f"{SMALL_SHARE:.0%} of print crops tiled 2×2 from photographs "
                    "shrunk whole (small prints: faces and knits a few pixels "
                    "across)",
                    f"{FILM_SHARE:.0%} of crops are film scans: negatives (light "
                    "particles) and slides (dark), with film grain, damaged with "
                    "real traced dust, dirt, hair and scratch shapes (FILM-AA, "
                    "Ivanova et al. 2023, MIT) at 1,200–4,000 dpi; the shapes of "
                    f"{', '.join(film.VALIDATION_SCANS)} kept for validation",
                ],
            },
            "degradations": [
                "ageing: lens softness, gray, sepia or faded colour, lower "
                "contrast, uneven fading, film grain",
                "scratches fading along their length (light and dark)",
                "dust specks, fibres and curly hairs",
                "branching cracks showing the paper base",
                "torn edges and flaked losses",
                f"ground truth where the damage's opacity ≥ {aging.GT_OPACITY}",
            ],
            "loss": f"cross-entropy (damage weighted {DAMAGE_WEIGHT}×) + 0.5 soft Dice",
            "patch": trainer.patch,
            "batch": trainer.batch,
            "steps": steps,
            "minutes": round(minutes, 1),
            "hardware": hardware or ", ".join(trainer.hardware_used),
            "mixed_precision": "bfloat16 autocast" if trainer.amp else "none",
            "started_from": trainer.started_from,
            "checkpoint_chosen_by": f"F1 on the validation half (2 px tolerance), "
            f"weighted {1 - REAL_WEIGHT:g} against {REAL_WEIGHT:g} for the F1 on the "
            f"hand-labelled real prints kept for choosing ({', '.join(REAL_CHOOSING)})",
            "threshold_chosen_by": "the same score, thresholds 0.05–0.99 by 0.01, "
            f"among those flagging at most {FALSE_ALARM_CAP:.1%} of undamaged "
            "validation prints",
            "margin_chosen_by": "PSNR of the default fill of the proposal on "
            f"{len(trainer.val_x[:MARGIN_SAMPLES])} validation samples, by margin (px)",
            "margin_psnr": margin_psnr,
            "validation_best": best,
            "validation_history": trainer.history[-10:],
        },
        validation={},
        score=best["score"] if best else None,
    ).write(models_dir / (WEIGHTS.rsplit(".", 1)[0] + CARD_SUFFIX))
    return weights
