"""The detectors, classical and learned: each scores every pixel of an image
for each damage class. Running one over a scan (tiles, dtypes, memory) is
:mod:`restore_app.models.detection`'s."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING

import cv2
import numpy as np

from restore_app.core.errors import ModelError
from restore_app.models.base import RestorerInfo, Task
from restore_app.models.card import ModelCard

if TYPE_CHECKING:
    from restore_app.models.loading import LoadedModel

ProgressFn = Callable[[int, int], None]

#: The kinds a detector finds unless its card says otherwise, in class order.
DETECTED_KINDS = ("scratch", "dust", "crack", "loss")
#: Tile side the learned detector runs on (its memory stays bounded by it).
DETECT_TILE = 768


class Detector(ABC):
    """Scores each pixel of an image for every damage class.

    Image contract: float32 ``(H, W, C)``, C = 1 (gray) or 3 (RGB), in [0, 1].
    """

    info: RestorerInfo
    #: pixels of context a score depends on; tiles overlap by at least this
    reach: int = 32
    uses_device: bool = False
    #: whether it scores tiles (bounded memory) or needs the whole image
    tiled: bool = True
    #: the probability threshold chosen on the validation photos: what the
    #: default sensitivity (0.5) flags
    midpoint: float = 0.5
    #: pixels the proposal reaches past the threshold (see DamageProposal.grown)
    margin: int = 0

    @property
    def id(self) -> str:
        return self.info.id

    def prepare(self, device: str) -> None:  # noqa: B027 - optional hook
        """Load weights onto ``device``; cheap if done."""

    #: the damage kinds it finds, in the order of its classes 1, 2, …
    kinds: tuple[str, ...] = DETECTED_KINDS

    @property
    def classes(self) -> int:
        return len(self.kinds) + 1

    @abstractmethod
    def scores(self, image: np.ndarray) -> np.ndarray:
        """float32 ``(H, W, classes)`` probabilities: "no damage", then each of
        :attr:`kinds` (summing to 1 per pixel)."""


# --- classical ----------------------------------------------------------------

#: Top-hat thresholds (8-bit levels) the classical detector grades its lines by;
#: the probability of a pixel is the share of them its line passes.
_TOPHAT_LEVELS = (8, 11, 14, 18, 24, 32)


def _gray8(image: np.ndarray) -> np.ndarray:
    rgb = image.shape[2] == 3
    g = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if rgb else image[..., 0]
    return np.clip(np.rint(g * 255), 0, 255).astype(np.uint8)


def _elongated(binary: np.ndarray) -> np.ndarray:
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    keep = (np.maximum(w, h) >= 8) & (stats[:, cv2.CC_STAT_AREA] < 0.6 * w * h)
    keep[0] = False
    return keep[labels]


def _edge_losses(gray: np.ndarray) -> np.ndarray:
    """Large bright areas touching the border: paper showing where the print tore."""
    bright = (gray > 200).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=8)
    x, y = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    at_edge = (x == 0) | (y == 0)
    at_edge |= x + stats[:, cv2.CC_STAT_WIDTH] == gray.shape[1]
    at_edge |= y + stats[:, cv2.CC_STAT_HEIGHT] == gray.shape[0]
    loss = at_edge & (stats[:, cv2.CC_STAT_AREA] > 150)
    loss[0] = False
    return loss[labels]


class ClassicalDetector(Detector):
    """Light cracks and scratches by a morphological top-hat; edge losses by tone.

    Cracks and scratches in old prints show the light paper base: thin lines
    brighter than their surroundings, kept when they are elongated rather than
    spots. It needs the whole image, since a loss is told by touching the edge.
    """

    tiled = False
    kinds = ("crack", "loss")
    #: lines passing the top-hat levels up to 18: the best F1 on the validation
    #: half (``benchmarks/detect.py --tune-classical``)
    midpoint = 0.6

    def __init__(self) -> None:
        self.info = RestorerInfo(
            id="detect.tophat",
            task=Task.DETECT,
            name="Light line finder (classical)",
            kind="classical",
            description="Morphological top-hat: light cracks and scratches, and "
            "bright losses at the edge of the print. Finds no dark damage.",
        )

    def scores(self, image: np.ndarray) -> np.ndarray:
        gray = _gray8(image)
        tophat = gray.astype(np.int16) - cv2.medianBlur(gray, 7).astype(np.int16)
        light = gray > 100
        line = np.zeros(gray.shape, np.float32)
        for level in _TOPHAT_LEVELS:
            line += _elongated(((tophat > level) & light).astype(np.uint8))
        line /= len(_TOPHAT_LEVELS)
        line = cv2.dilate(line, np.ones((3, 3), np.uint8))
        loss = _edge_losses(gray).astype(np.float32)
        loss = cv2.dilate(loss, np.ones((3, 3), np.uint8))
        out = np.zeros((*gray.shape, self.classes), np.float32)
        out[..., 1 + self.kinds.index("crack")] = line * (1 - loss)
        out[..., 1 + self.kinds.index("loss")] = loss
        out[..., 0] = 1 - out[..., 1:].sum(-1)
        return out


# --- learned ----------------------------------------------------------------


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


def classical_detectors() -> list[Detector]:
    return [ClassicalDetector()]
