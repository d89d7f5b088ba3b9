"""The training loop every trainer shares: timed steps, clipping, the weight
average, the log line and checkpoints on a clock.

A trainer says what one step's loss is (:meth:`TrainingLoop.step_loss`), its
learning rate at this point of the schedule (``_lr``), how far to clip, and
what a checkpoint does (``checkpoint``: validate and save).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

#: The weight average's decay per step, once warmed up.
EMA_DECAY = 0.999


class TrainingLoop:
    task: str
    device: str
    amp: bool
    model: torch.nn.Module
    ema: torch.nn.Module
    ema_steps: int
    opt: torch.optim.Optimizer
    step: int
    elapsed: float  # seconds trained, over every run of the schedule
    #: gradients are clipped to this norm
    clip_norm: float = 1.0

    # -- what each trainer says -------------------------------------------------
    def step_loss(self) -> torch.Tensor:  # pragma: no cover - every trainer has one
        raise NotImplementedError

    def _lr(self) -> float:  # pragma: no cover
        raise NotImplementedError

    def checkpoint(self, on_log: Any = print) -> None:  # pragma: no cover
        raise NotImplementedError

    # -- shared ------------------------------------------------------------------
    def _autocast(self):
        return torch.autocast(
            "cuda" if self.device == "cuda" else "cpu", torch.bfloat16, enabled=self.amp
        )

    @torch.no_grad()
    def _update_ema(self) -> None:
        # The decay grows from 0.5 towards EMA_DECAY, so a fresh average
        # follows the weights closely before it starts to smooth them.
        self.ema_steps += 1
        decay = min(EMA_DECAY, (1 + self.ema_steps) / (10 + self.ema_steps))
        # One fused update: per-tensor calls would cost a GPU ~200 launches a step.
        torch._foreach_lerp_(
            list(self.ema.parameters()), list(self.model.parameters()), 1 - decay
        )
        for e, b in zip(self.ema.buffers(), self.model.buffers(), strict=True):
            e.copy_(b)

    def run(
        self,
        minutes: float,
        checkpoint_minutes: float = 3.0,
        log_every: int = 100,
        on_log: Any = print,
        max_steps: int | None = None,
    ) -> list[float]:
        """Train for ``minutes`` of wall time (this call), or ``max_steps`` steps if
        that comes first, checkpointing every ``checkpoint_minutes`` and at the
        end; returns the losses seen."""
        self.model.train()
        start = time.monotonic()
        last_ckpt = start
        base = self.elapsed
        losses: list[float] = []
        while True:
            now = time.monotonic()
            self.elapsed = base + (now - start)
            if now - start >= minutes * 60 or len(losses) == max_steps:
                break
            for group in self.opt.param_groups:
                group["lr"] = self._lr()
            loss = self.step_loss()
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip_norm)
            self.opt.step()
            self._update_ema()
            self.step += 1
            losses.append(float(loss.detach()))
            if self.step % log_every == 0:
                on_log(
                    f"{self.task} step {self.step} "
                    f"loss {np.mean(losses[-log_every:]):.4f} "
                    f"lr {self._lr():.2e} t {self.elapsed / 60:.1f} min"
                )
            if now - last_ckpt >= checkpoint_minutes * 60:
                self.checkpoint(on_log)
                last_ckpt = time.monotonic()
        self.checkpoint(on_log)
        return losses
