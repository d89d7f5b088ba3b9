"""Learned restorers: built-in networks and user checkpoints, run with torch."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from restore_app.core.cancel import CancelToken
from restore_app.core.errors import ModelError
from restore_app.core.estimate import strength_for
from restore_app.models.base import Detector, Restorer, RestorerInfo
from restore_app.models.card import ModelCard

if TYPE_CHECKING:
    from restore_app.models.loading import LoadedModel

# Surroundings whose colour is this close (RMS, 8-bit levels) to a function of
# brightness are monochrome: gray, sepia or another toned print.
MONOCHROME_RMS = 4.0 / 255


def follow_tone(filled: np.ndarray, image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Give the filled pixels of a monochrome picture its tone, and no other colour.

    A network can paint a tint into the middle of a wide hole that nothing around
    it has (a yellow or purple smudge in a gray photograph). Where the known
    pixels' colour is a linear function of their brightness (gray: zero; sepia:
    warmer in the light tones), each filled pixel keeps its brightness and takes
    the colour that function gives; colour pictures are left as they are.
    ``filled`` and ``image`` are float32 (H, W, 3), ``mask`` bool (H, W).
    """
    known = image[~mask]
    if known.shape[0] < 16:
        return filled
    if known.shape[0] > 200_000:
        known = known[:: known.shape[0] // 200_000 + 1]
    lum = known.mean(axis=1, keepdims=True)
    chroma = known - lum
    design = np.hstack([np.ones_like(lum), lum]).astype(np.float64)
    coef, *_ = np.linalg.lstsq(design, chroma.astype(np.float64), rcond=None)
    residual = chroma - design @ coef
    if np.sqrt(np.mean(residual**2)) > MONOCHROME_RMS:
        return filled
    out = filled.copy()
    lum_fill = filled[mask].mean(axis=1, keepdims=True).astype(np.float64)
    toned = lum_fill + np.hstack([np.ones_like(lum_fill), lum_fill]) @ coef
    out[mask] = np.clip(toned, 0, 1).astype(np.float32)
    return out


#: Side of the centred square on which a denoiser measures what it removes,
#: for its automatic strength.
STRENGTH_SIDE = 256
#: Share of that square, its flattest after denoising, where it is measured.
FLAT_SHARE = 0.25


def removed_level(image: np.ndarray, denoised: np.ndarray) -> float:
    """RMS, in 8-bit levels, of what a denoiser took out of ``image`` (float32
    ``(H, W, C)``, [0, 1]) to give ``denoised``, over the :data:`FLAT_SHARE`
    of pixels where ``denoised`` varies least (7×7 standard deviation).

    Where the picture is flat, all a denoiser removes is noise or grain;
    where it has fine texture, it also takes some texture for noise, which a
    clean photograph has a lot of and must keep.
    """
    g = denoised.mean(axis=2) if denoised.ndim == 3 else denoised
    g = g.astype(np.float32)
    mean = cv2.blur(g, (7, 7))
    spread = cv2.blur(g * g, (7, 7)) - mean * mean
    flat = spread <= np.quantile(spread, FLAT_SHARE)
    d = (denoised - image)[flat]
    return float(np.sqrt(np.mean(d.astype(np.float64) ** 2)) * 255.0)


class LearnedRestorer(Restorer):
    """A network described by a model card, loaded on first use.

    Built-in cards name an ``architecture`` and ``config`` (our FFC inpainting
    network, or spandrel's NAFNet); user cards say ``"architecture": "spandrel"``
    and the weights are detected by spandrel.
    """

    uses_device = True

    def __init__(self, info: RestorerInfo) -> None:
        self.info = info
        self.card: ModelCard = info.required_card()
        self.reach = self.card.reach if self.card.reach is not None else 32
        self.grain = bool(self.card.grain)
        self._model: LoadedModel | None = None
        self._device = ""
        self._half = False
        self._lock = threading.Lock()

    def prepare(self, device: str) -> None:
        import torch

        from restore_app.models.loading import load_network

        with self._lock:
            if self._model is None:
                self._model = load_network(
                    self.card.weights_path, self.card.architecture, self.card.config
                )
            if device != self._device:
                supports_half = (
                    self._model.supports_half and self.card.half is not False
                )
                self._half = device == "cuda" and supports_half
                self._model.to(device, torch.float16 if self._half else torch.float32)
                self._device = device

    # Running --------------------------------------------------------------
    def estimate_strength(
        self, image: np.ndarray, options: Mapping[str, Any] | None = None
    ) -> float:
        # Blind models measure the degradation themselves, from the pixels;
        # full strength lets them apply exactly what they judged necessary. A
        # denoiser with a noise ramp in its card still smooths fine texture of
        # a clean photo, so its strength follows how much it removes instead.
        ramp = self.card.noise_strength
        if ramp is None:
            return 1.0
        return strength_for(self.removed(image), ramp)

    def removed(self, image: np.ndarray) -> float:
        """How much noise the network takes out of the centre
        (:data:`STRENGTH_SIDE` square) of ``image`` (float32 ``(H, W, C)``):
        :func:`removed_level` of its output there."""
        h, w = image.shape[:2]
        y0 = max((h - STRENGTH_SIDE) // 2, 0)
        x0 = max((w - STRENGTH_SIDE) // 2, 0)
        crop = image[y0 : y0 + STRENGTH_SIDE, x0 : x0 + STRENGTH_SIDE]
        return removed_level(crop, self.process(crop, None, {}))

    def process(
        self,
        image: np.ndarray,
        mask: np.ndarray | None,
        params: dict[str, Any],
        cancel: CancelToken | None = None,
    ) -> np.ndarray:
        """Run the network on ``image`` (float32 ``(H, W, C)``, [0, 1], RGB or gray)."""
        import torch

        if self._model is None:
            self.prepare("cpu")
        model = self._model
        assert model is not None
        c = image.shape[2]
        if c not in (1, 3):
            raise ModelError(f"{self.id}: expected 1 or 3 channels, got {c}")
        rgb = np.repeat(image, 3, axis=2) if c == 1 else image
        dtype = torch.float16 if self._half else torch.float32
        x = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))[None]
        mt = None
        if model.takes_mask:
            if mask is None:
                return image  # nothing to fill
            mt = torch.from_numpy(mask.astype(np.float32))[None, None]
            mt = mt.to(self._device, dtype)
        with torch.inference_mode():
            y = model(x.to(self._device, dtype), mt).float().clamp_(0, 1)
        out = y[0].cpu().numpy().transpose(1, 2, 0)
        if c == 1:
            out = out.mean(axis=2, keepdims=True)
        elif mt is not None and mask is not None:
            out = follow_tone(out, rgb, mask)
        return np.ascontiguousarray(out, dtype=np.float32)


class LearnedDetector(Detector):
    """A detector network described by a model card, loaded on first use."""

    uses_device = True

    def __init__(self, info: RestorerInfo) -> None:
        if info.card is None:
            raise ModelError(f"{info.id}: a learned detector needs its model card")
        self.info = info
        self.card: ModelCard = info.card
        self.reach = self.card.reach if self.card.reach is not None else 64
        if self.card.default_threshold is not None:
            self.midpoint = float(self.card.default_threshold)
        if self.card.mask_margin is not None:
            self.margin = self.card.mask_margin
        if self.card.kinds is not None:
            self.kinds = self.card.kinds
        self._model: LoadedModel | None = None
        self._device = ""
        self._bf16 = False
        self._lock = threading.Lock()

    def prepare(self, device: str) -> None:
        import torch

        from restore_app.models.device import cpu_has_bf16
        from restore_app.models.loading import load_network

        with self._lock:
            if self._model is None:
                self._model = load_network(
                    self.card.weights_path, self.card.architecture, self.card.config
                )
            if device != self._device:
                # Channels-last bfloat16 on a CPU that computes it natively runs
                # about four times as fast as float32; probabilities are kept at
                # 8 bits, far coarser than bfloat16's error.
                self._model.to(device, torch.float32, channels_last=True)
                self._bf16 = device == "cuda" or (device == "cpu" and cpu_has_bf16())
                self._device = device

    def scores(self, image: np.ndarray) -> np.ndarray:
        import torch

        if self._model is None:
            self.prepare("cpu")
        model = self._model
        assert model is not None
        rgb = np.repeat(image, 3, axis=2) if image.shape[2] == 1 else image
        x = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))[None]
        kind = "cuda" if self._device == "cuda" else "cpu"
        with (
            torch.inference_mode(),
            torch.autocast(kind, torch.bfloat16, enabled=self._bf16),
        ):
            logits = model(x.to(self._device))
            if logits.shape[1] != self.classes:
                raise ModelError(
                    f"{self.id}: scores {logits.shape[1]} classes, its card lists "
                    f"{self.classes - 1} kinds"
                )
            p = torch.softmax(logits.float(), 1)[0]
        return np.ascontiguousarray(p.cpu().numpy().transpose(1, 2, 0))
