"""One engine for every restoration: crops for inpainting, tiles for the rest.

The engine owns everything restorers should not have to think about: native
dtypes (8/16-bit, float), masks and protect masks, strength, tiling with
seamless blending, crops with context around damaged regions, progress and
cancellation, and falling back from a GPU that ran out of memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from restore_app.core.cancel import CancelToken, ProgressFn
from restore_app.core.errors import MaskError, ModelError
from restore_app.core.masks import region_count
from restore_app.core.pixels import Box, from_float, to_float
from restore_app.core.tiling import (
    feather_inward,
    mask_regions,
    plan_tiles,
    process_tiled,
    split_box,
)
from restore_app.models.base import Restorer, Task
from restore_app.models.device import resolve_device, with_memory_fallback
from restore_app.models.registry import default_restorer_id, get_restorer

#: Inpainting crops are cut into pieces of at most this side.
MAX_CROP = 1024
#: Pixels looked up or compared at a time over a whole image (bounds memory).
BAND_PIXELS = 1 << 20
#: Longer side of the reduced whole-image copy a global restorer measures.
THUMBNAIL = 512
#: Width, in pixels, of the inward feather of a mask-limited denoise or deblur.
FEATHER = 8


@dataclass
class RestoreResult:
    """The restored pixels and what was done, for the treatment record."""

    pixels: np.ndarray
    operation: dict[str, Any]
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)
    #: a fill's mask as painted and grown over the damage's rim (None: the
    #: mask it was given)
    mask: np.ndarray | None = None


def check_inputs(
    pixels: np.ndarray, mask: np.ndarray | None, protect: np.ndarray | None
) -> None:
    """An image a restorer or detector can take, with masks of its size; one
    line (ModelError, MaskError) when not."""
    if pixels.ndim != 3 or pixels.shape[2] not in (1, 3):
        raise ModelError(
            f"expected an (H, W, 1) or (H, W, 3) image, got shape {pixels.shape}"
        )
    if pixels.dtype not in (np.uint8, np.uint16, np.float32, np.float64):
        raise ModelError(f"unsupported pixel type {pixels.dtype}")
    h, w = pixels.shape[:2]
    for name, m in (("mask", mask), ("protect mask", protect)):
        if m is not None and m.shape != (h, w):
            mh, mw = m.shape[:2]
            raise MaskError(f"the {name} is {mw}×{mh} but the image is {w}×{h}")


class _Run:
    """State of one restoration: input, output, restorer, device, progress."""

    def __init__(
        self,
        pixels: np.ndarray,
        restorer: Restorer,
        params: dict[str, Any],
        protect: np.ndarray | None,
        on_progress: ProgressFn | None,
        cancel: CancelToken | None,
        origin: tuple[int, int] = (0, 0),
    ) -> None:
        self.src = pixels
        self.origin = origin
        self.out = pixels.copy()
        self.restorer = restorer
        self.params = params
        self.protect = protect
        self.on_progress = on_progress
        self.cancel = cancel
        self.done = 0
        self.total = 1

    def progress(self, n: int = 1) -> None:
        self.done += n
        if self.on_progress is not None:
            self.on_progress(min(self.done, self.total), self.total)

    def check(self) -> None:
        if self.cancel is not None:
            self.cancel.check()

    def commit(self, box: Box, restored: np.ndarray, weight: np.ndarray) -> None:
        """Blend ``restored`` (float32 crop of ``box``) into the output.

        ``weight`` (float32 ``(h, w)``, [0, 1]) says how much of the restored
        value each pixel takes; pixels with weight 0, or under the protect mask,
        keep their original bits exactly.
        """
        sl = box.slices
        if self.protect is not None:
            weight = weight * ~self.protect[sl]
        changed = weight > 0
        if not changed.any():
            return
        orig = to_float(self.src[sl])
        blended = orig + (restored - orig) * weight[..., None]
        native = from_float(blended, self.src.dtype)
        self.out[sl] = np.where(changed[..., None], native, self.out[sl])


def hole_radius(mask: np.ndarray) -> float:
    """How far (pixels) the deepest point of ``mask`` (bool) lies from its edge."""
    import cv2

    if not mask.any():
        return 0.0
    m = np.pad(mask.astype(np.uint8), 1)
    return float(cv2.distanceTransform(m, cv2.DIST_L2, 3).max())


def _inpaint(run: _Run, mask: np.ndarray) -> list[Box]:
    h, w = mask.shape
    reach = run.restorer.reach
    regions = mask_regions(mask, merge_distance=2 * reach)
    pieces = [p for r in regions for p in split_box(r, MAX_CROP)]
    pieces = [p for p in pieces if mask[p.slices].any()]
    run.total = max(len(pieces), 1)
    for piece in pieces:
        run.check()
        # Context grows with the hole's width: a wide loss needs more
        # surroundings to be filled plausibly; a speck of dust, or a long
        # scratch a few pixels wide, only its neighbourhood.
        margin = int(min(max(reach, 4 * hole_radius(mask[piece.slices])), MAX_CONTEXT))
        crop = piece.expand(margin, w, h)
        sl = crop.slices
        # Only this piece's pixels are filled; pixels filled by earlier pieces
        # (now in run.out) serve as context, so a long crack stays continuous.
        local = np.zeros((crop.y1 - crop.y0, crop.x1 - crop.x0), bool)
        py, px = piece.y0 - crop.y0, piece.x0 - crop.x0
        local[py : py + piece.y1 - piece.y0, px : px + piece.x1 - piece.x0] = mask[
            piece.slices
        ]
        image = to_float(run.out[sl])
        filled = run.restorer.process(image, local, run.params, run.cancel)
        ox, oy = run.origin
        filled = run.restorer.finish_fill(
            filled, image, local, (crop.x0 + ox, crop.y0 + oy)
        )
        run.commit(crop, filled, local.astype(np.float32))
        run.progress()
    return pieces


def _look_up(run: _Run, table: np.ndarray, strength: float) -> list[Box]:
    """The whole 8- or 16-bit image through per-channel tables (a restorer
    whose pixels depend on their own value alone), at ``strength``.

    Each channel's native table holds, for every input value, exactly what the
    tiled path computes for that value (:meth:`_Run.commit`), so both give the
    same pixels; looking up costs one pass over the image.
    """
    h, w, c = run.src.shape
    if table.shape != (c, 65536):
        raise ModelError(f"a table of shape {table.shape} for a {c}-channel image")
    top = np.iinfo(run.src.dtype).max
    values = np.arange(top + 1, dtype=run.src.dtype)
    orig = to_float(values)
    index = np.rint(orig * 65535.0).astype(np.int64)
    weight = np.float32(strength)
    # A band of rows at a time: the lookup's index array is 8 bytes a pixel.
    band = max(1, BAND_PIXELS // w)
    run.total = c
    for ch in range(c):
        restored = table[ch][index]
        native = from_float(orig + (restored - orig) * weight, run.src.dtype)
        for y0 in range(0, h, band):
            run.check()
            src = run.src[y0 : y0 + band, :, ch]
            looked_up = native[src]
            if run.protect is not None:
                looked_up = np.where(run.protect[y0 : y0 + band], src, looked_up)
            run.out[y0 : y0 + band, :, ch] = looked_up
        run.progress()
    return [Box(0, 0, w, h)]


def _filter(
    run: _Run, mask: np.ndarray | None, tile_size: int, strength: float
) -> list[Box]:
    h, w = run.src.shape[:2]
    reach = run.restorer.reach
    if mask is None:
        boxes = [Box(0, 0, w, h)]
    else:
        boxes = [
            b.expand(reach + FEATHER, w, h)
            for b in mask_regions(mask, merge_distance=4 * reach)
        ]
    plans = [plan_tiles(b.y1 - b.y0, b.x1 - b.x0, tile_size, reach) for b in boxes]
    run.total = max(sum(p.count() for p in plans), 1)

    def tile_fn(tile: np.ndarray) -> np.ndarray:
        return run.restorer.process(to_float(tile), None, run.params, run.cancel)

    for box, plan in zip(boxes, plans, strict=True):
        sl = box.slices
        weight_box = None if mask is None else feather_inward(mask[sl], FEATHER)

        def finish(
            rows: np.ndarray, y0: int, y1: int, box: Box = box, wb: Any = weight_box
        ) -> None:
            band = Box(box.x0, box.y0 + y0, box.x1, box.y0 + y1)
            if wb is None:
                weight = np.full(rows.shape[:2], strength, np.float32)
            else:
                weight = wb[y0:y1] * strength
            run.commit(band, rows, weight)

        process_tiled(
            run.src[sl],
            tile_fn,
            plan,
            finish=finish,
            on_progress=lambda _d, _t: run.progress(),
            cancel=run.cancel,
        )
    return boxes


def restore(
    pixels: np.ndarray,
    *,
    task: Task | str,
    restorer_id: str | None = None,
    restorer: Restorer | None = None,
    mask: np.ndarray | None = None,
    protect: np.ndarray | None = None,
    strength: float | None = None,
    device: str = "auto",
    tile_size: int = 512,
    on_progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    options: dict[str, Any] | None = None,
    recorded: dict[str, Any] | None = None,
    origin: tuple[int, int] = (0, 0),
) -> RestoreResult:
    """Restore ``pixels`` (``(H, W, C)``, C = 1 or 3, uint8/uint16/float32 [0, 1]).

    ``mask`` (bool ``(H, W)``, True = damaged) is required for inpainting and
    optional for denoise/deblur, where it limits the effect (feathered inward
    only). ``protect`` (bool ``(H, W)``, True = original, do not repair) is
    never changed by any restorer. ``strength`` in [0, 1] scales the effect of
    denoise and deblur; None lets the restorer choose from the degradation it
    measures. ``restorer`` runs a restorer object as it is, instead of the
    registry's of ``restorer_id`` (one that is not installed: a test's own, a
    plug-in's). ``options`` are the task's own choices (``keep_tone`` for
    colour); ``recorded`` are the parameters a treatment record holds: used as
    they are instead of measuring the image again, so a replay gives the same
    pixels. ``options["cover_rim"]`` grows a fill's mask over the damage's
    rim first (:mod:`restore_app.core.rim`; the result's ``mask`` is the one
    used). ``origin`` is where ``pixels`` sit in the whole image, (x, y) of
    their top-left corner, when they are a part of it (a preview, a heal
    stroke): what a restorer draws by position (a fill's grain) then matches
    the whole image's. Returns pixels of the same shape and dtype. Raises
    :class:`Cancelled` if ``cancel`` is set, MaskError / ModelError on bad input.
    """
    task = Task(task)
    check_inputs(pixels, mask, protect)
    if restorer is None:
        restorer = get_restorer(restorer_id or default_restorer_id(task))
    if restorer.task != task:
        raise ModelError(f"model '{restorer.id}' is for {restorer.task}, not {task}")
    if task == Task.INPAINT and mask is None:
        raise MaskError("inpainting needs a mask of the damage")
    if mask is not None:
        # asarray: no copy of a mask that is already boolean (100 MB at 100 MP).
        mask = np.asarray(mask, dtype=bool)
        painted = mask
        if protect is not None:
            mask = mask & ~np.asarray(protect, dtype=bool)
    if protect is not None:
        protect = np.asarray(protect, dtype=bool)

    rim, used = None, None
    if task == Task.INPAINT and recorded is None and (options or {}).get("cover_rim"):
        # A painted mask grows over the damage's rim; a replay gets the grown
        # mask from its record and does not grow it again.
        from restore_app.core.rim import grow_to_rim

        assert mask is not None
        grown = grow_to_rim(pixels, mask, protect)
        rim = int(grown.sum() - mask.sum())
        mask = grown
        used = painted | grown

    if strength is not None and not 0.0 <= float(strength) <= 1.0:
        raise ModelError(f"strength must be between 0 and 1, got {strength}")

    if recorded is not None:
        params = {**(options or {}), **recorded}
        if "strength" not in params:
            params["strength"] = 1.0 if strength is None else float(strength)
    else:
        params = measure(pixels, restorer, strength, options)

    def attempt(dev: str, tile: int) -> tuple[_Run, list]:
        run = _Run(pixels, restorer, params, protect, on_progress, cancel, origin)
        restorer.prepare(dev)
        if task == Task.INPAINT:
            assert mask is not None
            return run, _inpaint(run, mask)
        if params["strength"] <= 0.0 or (mask is not None and not mask.any()):
            return run, []
        if (
            mask is None
            and pixels.dtype in (np.uint8, np.uint16)
            and (table := restorer.table(params)) is not None
        ):
            return run, _look_up(run, table, params["strength"])
        return run, _filter(run, mask, tile, params["strength"])

    dev = resolve_device(device) if restorer.uses_device else "cpu"
    (run, boxes), dev, tile = with_memory_fallback(attempt, dev, int(tile_size))
    operation = {
        "task": str(task),
        "restorer": restorer.id,
        "restorer_name": restorer.info.name,
        "kind": restorer.info.kind,
        "source": restorer.info.source,
        "weights_sha256": restorer.info.weights_sha256,
        "params": {k: _jsonable(v) for k, v in params.items()},
        "device": dev,
        "tile_size": tile,
        # A fill's regions are the separate pieces of its mask, as the person
        # painted them (the boxes group nearby ones to be filled together).
        "regions": region_count(mask) if task == Task.INPAINT else len(boxes),
        # What the record and the XMP say was done: pixels whose value changed.
        "changed_pixels": changed_pixels(pixels, run.out, boxes),
    }
    if rim is not None:
        operation["rim_pixels"] = rim  # what the mask grew by to cover the rim
    return RestoreResult(run.out, operation, [b.as_tuple() for b in boxes], used)


def changed_pixels(before: np.ndarray, after: np.ndarray, boxes: list[Box]) -> int:
    """How many pixels differ between ``before`` and ``after`` (same shape),
    looking only where ``boxes`` say the work was (the box around them all,
    which boxes that overlap cannot count twice), a band of rows at a time."""
    if not boxes:
        return 0
    x0, y0 = min(b.x0 for b in boxes), min(b.y0 for b in boxes)
    x1, y1 = max(b.x1 for b in boxes), max(b.y1 for b in boxes)
    band = max(1, BAND_PIXELS // max(x1 - x0, 1))
    count = 0
    for top in range(y0, y1, band):
        a = before[top : min(top + band, y1), x0:x1]
        b = after[top : min(top + band, y1), x0:x1]
        count += int(np.count_nonzero((a != b).any(axis=2)))
    return count


#: The most context (px) a fill reads around a hole: what a result depends on
#: beyond the boxes it changed.
MAX_CONTEXT = 256
#: Decimals a measured (automatic) strength is kept to.
STRENGTH_DIGITS = 3


def measure(
    pixels: np.ndarray,
    restorer: Restorer,
    strength: float | None = None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The parameters :func:`restore` runs ``restorer`` with on ``pixels``:
    the task's options, what the restorer measures in the image, and the
    strength (``strength``, or the one it chooses). Passed to ``restore`` as
    ``recorded``, they apply one image's measurement to a part of it (the
    window's preview of a colour correction)."""
    params: dict[str, Any] = dict(options or {})
    if restorer.task != Task.INPAINT:
        sample = _analysis_sample(pixels, restorer.whole_image_analysis)
        params.update(restorer.analyse(sample, options))
        if strength is None:
            # Measured strengths are kept to STRENGTH_DIGITS decimals: a
            # network's last bits differ between a process's first run and its
            # later ones (kernel choice), and the same image must get the same
            # strength alone, in a batch, resumed or on a cluster.
            strength = round(
                float(restorer.estimate_strength(sample, options)), STRENGTH_DIGITS
            )
    params["strength"] = 1.0 if strength is None else float(strength)
    return params


def _analysis_sample(
    pixels: np.ndarray, whole: bool = False, side: int = 1024
) -> np.ndarray:
    """What a restorer measures: a centred float crop of ``side``² (noise and
    blur, at full resolution), or with ``whole`` the whole image reduced to at
    most ``THUMBNAIL`` pixels on its longer side (area-averaged)."""
    h, w = pixels.shape[:2]
    if whole:
        import cv2

        f = min(THUMBNAIL / max(h, w), 1.0)
        size = (max(round(w * f), 1), max(round(h * f), 1))
        small = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
        return to_float(small.reshape(size[1], size[0], -1))
    y0, x0 = max((h - side) // 2, 0), max((w - side) // 2, 0)
    return to_float(pixels[y0 : y0 + side, x0 : x0 + side])


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value
