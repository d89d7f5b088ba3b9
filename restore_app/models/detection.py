"""Finding the damage: detectors, classical and learned, run tile by tile.

A detector turns an image into a :class:`~restore_app.core.proposal.DamageProposal`
(damage probability and likeliest kind per pixel); a person then reviews it
before anything is repaired. :func:`detect` owns what detectors should not
think about: native dtypes, gray prints, tiling with overlap in bounded memory,
protect masks, progress, cancellation and a GPU that ran out of memory.
"""

from __future__ import annotations

import cv2
import numpy as np

from restore_app.core.cancel import CancelToken, ProgressFn
from restore_app.core.damage import kind
from restore_app.core.errors import ModelError
from restore_app.core.pixels import to_float
from restore_app.core.proposal import DamageProposal
from restore_app.core.tiling import plan_tiles, process_tiled
from restore_app.models.base import Detector, Task
from restore_app.models.device import resolve_device, with_memory_fallback
from restore_app.models.engine import check_inputs
from restore_app.models.registry import default_restorer_id, get_detector

#: Tile side a detector runs on (its memory stays bounded by it).
DETECT_TILE = 768


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

    if medium not in MEDIA:
        raise ModelError(f"unknown medium '{medium}' (known: {', '.join(MEDIA)})")

    check_inputs(pixels, None, protect)
    h, w = pixels.shape[:2]
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

    def attempt(dev: str, tile: int) -> tuple[np.ndarray, np.ndarray]:
        detector.prepare(dev)
        return _run(detector, work, tile, on_progress, cancel)

    (prob, kinds), dev, tile = with_memory_fallback(attempt, dev, int(tile_size))
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
