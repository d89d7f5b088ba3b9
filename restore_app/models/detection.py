"""Finding the damage: detectors, classical and learned, run tile by tile.

A detector turns an image into a :class:`~restore_app.core.proposal.DamageProposal`
(damage probability and likeliest kind per pixel); a person then reviews it
before anything is repaired. :func:`detect` owns what detectors should not
think about: native dtypes, gray prints, tiling with overlap in bounded memory,
protect masks, progress, cancellation and a GPU that ran out of memory.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING

import cv2
import numpy as np

from restore_app.core.cancel import CancelToken
from restore_app.core.damage import kind
from restore_app.core.errors import MaskError, ModelError
from restore_app.core.proposal import DamageProposal
from restore_app.core.tiling import plan_tiles, process_tiled
from restore_app.models.base import RestorerInfo, Task
from restore_app.models.card import ModelCard
from restore_app.models.device import is_out_of_memory, resolve_device
from restore_app.models.engine import to_float

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


# --- the registry's view ------------------------------------------------------


def classical_detectors() -> list[Detector]:
    return [ClassicalDetector()]


_CACHE: dict[str, Detector] = {}


def get_detector(detector_id: str) -> Detector:
    """The detector with this id, created once and reused (weights stay loaded)."""
    if detector_id in _CACHE:
        return _CACHE[detector_id]
    from restore_app.models.registry import list_restorers

    for d in classical_detectors():
        if d.id == detector_id:
            _CACHE[detector_id] = d
            return d
    infos = list_restorers(Task.DETECT)
    for info in infos:
        if info.id == detector_id and info.kind == "learned":
            det = LearnedDetector(info)
            _CACHE[detector_id] = det
            return det
    known = ", ".join(i.id for i in infos)
    raise ModelError(f"unknown detector '{detector_id}' (known: {known})")


# --- running one -------------------------------------------------------------


def detect(
    pixels: np.ndarray,
    *,
    detector_id: str | None = None,
    protect: np.ndarray | None = None,
    device: str = "auto",
    tile_size: int = DETECT_TILE,
    on_progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    medium: str = "auto",
    dpi: tuple[float, float] | float | None = None,
) -> DamageProposal:
    """Find the damage in ``pixels`` (``(H, W, C)``, C = 1 or 3; uint8, uint16 or
    float32 in [0, 1]).

    ``protect`` (bool ``(H, W)``, True = original, never repaired) is never
    proposed. ``medium`` (see :mod:`restore_app.core.medium`) is what was
    scanned, or ``auto`` to decide from the scan; ``dpi`` its resolution, by
    which a fine scan is detected at the scale the detector learned. Returns
    the proposal with the detector's default sensitivity and an ``operation``
    describing the run (the medium used and why, the scale, and the eyes and
    mouths found, which :mod:`restore_app.core.doubt` keeps from unattended
    repair). Raises Cancelled, MaskError or ModelError.
    """
    from restore_app.core.doubt import find_guards
    from restore_app.core.medium import (
        FILM_DPI,
        MEDIA,
        decide,
        detection_scale,
        keep_polarity,
        known_dpi,
    )
    from restore_app.core.proposal import threshold
    from restore_app.models.registry import default_restorer_id

    if medium not in MEDIA:
        raise ModelError(f"unknown medium '{medium}' (known: {', '.join(MEDIA)})")

    if pixels.ndim != 3 or pixels.shape[2] not in (1, 3):
        raise ModelError(
            f"expected an (H, W, 1) or (H, W, 3) image, got shape {pixels.shape}"
        )
    h, w = pixels.shape[:2]
    if protect is not None and protect.shape != (h, w):
        ph, pw = protect.shape[:2]
        raise MaskError(f"the protect mask is {pw}×{ph} but the image is {w}×{h}")
    detector = get_detector(detector_id or default_restorer_id(Task.DETECT))
    dev = resolve_device(device) if detector.uses_device else "cpu"
    resolution = known_dpi(dpi)
    # The scale comes before the medium is decided: by the resolution alone.
    scale_medium = medium
    if medium == "auto":
        film = resolution is not None and resolution >= FILM_DPI
        scale_medium = "negative" if film else "print"
    scale = detection_scale(scale_medium, resolution)
    work = pixels
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        work = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
        work = work.reshape(size[1], size[0], pixels.shape[2])
    tile = int(tile_size)
    while True:
        try:
            detector.prepare(dev)
            prob, kinds = _run(detector, work, tile, on_progress, cancel)
            break
        except Exception as exc:
            if dev == "cpu" or not is_out_of_memory(exc):
                raise
            if tile // 2 >= 256:
                tile //= 2
            else:
                dev = "cpu"
    if scale < 1.0:
        prob = cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR)
        kinds = cv2.resize(kinds, (w, h), interpolation=cv2.INTER_NEAREST)
    choice = decide(
        medium, pixels, prob, kinds, resolution, threshold(0.5, detector.midpoint)
    )
    prob = keep_polarity(pixels, prob, choice.used)
    operation = {
        "task": "detect",
        "detector": detector.id,
        "detector_kinds": list(detector.kinds),
        "detector_name": detector.info.name,
        "kind": detector.info.kind,
        "source": detector.info.source,
        "weights_sha256": detector.info.weights_sha256,
        "device": dev,
        "tile_size": tile if detector.tiled else None,
    }
    operation["threshold"] = detector.midpoint
    operation["margin"] = detector.margin
    operation.update(choice.as_record())
    operation["scale"] = round(scale, 4)
    operation["guards"] = find_guards(pixels)
    proposal = DamageProposal(prob, kinds, detector.midpoint, operation)
    return proposal.grown(detector.margin).protected(protect)


def _run(
    detector: Detector,
    pixels: np.ndarray,
    tile: int,
    on_progress: ProgressFn | None,
    cancel: CancelToken | None,
) -> tuple[np.ndarray, np.ndarray]:
    h, w = pixels.shape[:2]
    prob = np.zeros((h, w), np.uint8)
    kinds = np.zeros((h, w), np.uint8)
    # Class i of the detector is the kind its card lists i-th: to table labels.
    labels = np.array([kind(k).label for k in detector.kinds], np.uint8)

    def finish(rows: np.ndarray, y0: int, y1: int) -> None:
        prob[y0:y1] = np.clip(np.rint((1.0 - rows[..., 0]) * 255), 0, 255)
        kinds[y0:y1] = labels[rows[..., 1:].argmax(-1)]

    if not detector.tiled:
        if cancel is not None:
            cancel.check()
        finish(detector.scores(to_float(pixels)), 0, h)
        if on_progress is not None:
            on_progress(1, 1)
        return prob, kinds
    plan = plan_tiles(h, w, tile, detector.reach)
    process_tiled(
        pixels,
        lambda t: detector.scores(to_float(t)),
        plan,
        finish=finish,
        on_progress=on_progress,
        cancel=cancel,
        channels=detector.classes,
    )
    return prob, kinds
