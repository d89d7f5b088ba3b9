"""Find the damage in one scan: the proposal a repair may fill unattended,
the regions left to a person, and the mask file with its record."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restore_app.core.cancel import CancelToken, ProgressFn
from restore_app.core.errors import ImageWriteError, RestoreError
from restore_app.core.naming import same_file
from restore_app.models.base import Task


class NothingDetected(RestoreError):
    """Automatic masks found no damage in an image: there is nothing to repair,
    and no derivative is written (it would only copy the source)."""


@dataclass(frozen=True)
class DetectSettings:
    """How damage is found: which detector, how sensitive, which kinds."""

    detector_id: str | None = None
    sensitivity: float | None = None  # None: the detector's default
    kinds: tuple[str, ...] = ()  # empty: every kind
    medium: str = "auto"  # see restore_app.core.medium

    def chosen_kinds(self):
        """The kinds asked for; by default those the detector finds."""
        from restore_app.core.damage import parse_kinds
        from restore_app.models.registry import default_restorer_id, get_detector

        if self.kinds:
            return parse_kinds(self.kinds)
        detector = get_detector(self.detector_id or default_restorer_id(Task.DETECT))
        return parse_kinds(detector.kinds)


def auto_mask_path(output: Path) -> Path:
    """Where an automatically proposed mask is kept: ``OUTPUT.mask.png``."""
    return output.with_name(output.name + ".mask.png")


@dataclass
class Proposed:
    """Damage found in one scan: what a repair may fill unattended (``labels``,
    ``mask``), what a person must decide (``doubtful``), and the operation."""

    mask: Any  # bool (H, W): the confident proposal
    labels: Any  # uint8 (H, W): its kinds, 0 elsewhere
    doubtful: Any  # bool (H, W)
    operation: dict[str, Any]


def propose(
    pixels,
    settings: DetectSettings,
    protect_array,
    device: str,
    on_progress: ProgressFn | None,
    cancel: CancelToken | None,
    dpi=None,
) -> Proposed:
    """The damage found in ``pixels``, split by :mod:`restore_app.core.doubt`."""
    from restore_app.core.doubt import review_regions
    from restore_app.models.detection import detect

    proposal = detect(
        pixels,
        detector_id=settings.detector_id,
        protect=protect_array,
        device=device,
        on_progress=on_progress,
        cancel=cancel,
        medium=settings.medium,
        dpi=dpi,
    )
    kinds = settings.chosen_kinds()
    sensitivity = (
        proposal.default_sensitivity
        if settings.sensitivity is None
        else settings.sensitivity
    )  # 0.5 by default: the detector's own threshold
    labels = proposal.labels(sensitivity, kinds)
    review = review_regions(pixels, labels, proposal.operation.get("guards"))
    labels[review.doubtful] = 0
    operation = dict(proposal.operation)
    operation["sensitivity"] = sensitivity
    operation["kinds"] = [k.id for k in kinds]
    operation["pixels_flagged"] = int(review.confident.sum())
    operation["pixels_doubtful"] = int(review.doubtful.sum())
    operation["left_out"] = review.left_out
    return Proposed(review.confident, labels, review.doubtful, operation)


def detect_file(
    source: str | Path,
    output: str | Path,
    *,
    settings: DetectSettings = DetectSettings(),
    protect: str | Path | None = None,
    layers_dir: str | Path | None = None,
    overwrite: bool = False,
    device: str = "auto",
    on_progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    about: dict[str, Any] | None = None,
) -> list[Path]:
    """Find the damage in the image file ``source``; write it as a mask ``output``.

    ``output`` is a lossless 8-bit PNG of the upright image's size, 255 where
    damage was found with confidence (what ``--auto-masks`` fills).
    ``layers_dir`` also gets one such mask per kind (``STEM.<kind>.png``), the
    doubtful regions left for a person (``STEM.doubtful.png``) and the label
    image (``STEM.kinds.png``, values from the damage-kind table). The record
    ``output.json`` names the detector, its weights, sensitivity, kinds, the
    medium, what was left out and why, and the source by SHA-256. No metadata of the
    scan is copied. Everything is written whole or not at all. Returns the files
    written.
    """
    from restore_app.core.atomic import sha256_file
    from restore_app.core.errors import OutputExistsError
    from restore_app.core.image import read_image
    from restore_app.core.masks import read_mask, write_mask
    from restore_app.core.record import record_path, write_record

    source, output = Path(source), Path(output)
    if output.suffix.lower() != ".png":
        raise ImageWriteError(f"{output}: a damage mask is written as PNG")
    if output.exists() and same_file(source, output):
        raise ImageWriteError(f"refusing to write over the source image: {output}")
    targets = [output, record_path(output)]
    layers: list[tuple[Path, Any]] = []
    doc = read_image(source, identify=True)
    shape = (doc.height, doc.width)
    protect_array = read_mask(protect, shape) if protect is not None else None
    if layers_dir is not None:
        layers_dir = Path(layers_dir)
        for k in settings.chosen_kinds():
            layers.append((layers_dir / f"{source.stem}.{k.id}.png", k))
        layers.append((layers_dir / f"{source.stem}.doubtful.png", "doubtful"))
        layers.append((layers_dir / f"{source.stem}.kinds.png", None))
        summaries = [
            layers_dir / f"{source.stem}.damage.csv",
            layers_dir / f"{source.stem}.damage.json",
        ]
        targets += [p for p, _ in layers] + summaries
    if not overwrite:
        for t in targets:
            if t.exists():
                raise OutputExistsError(
                    f"output exists (use --overwrite to replace it): {t}"
                )
    if cancel is not None:
        cancel.check()
    found = propose(
        doc.pixels, settings, protect_array, device, on_progress, cancel, doc.meta.dpi
    )
    mask, labels, operation = found.mask, found.labels, found.operation
    if protect is not None:
        operation["protect"] = str(Path(protect).absolute())
    written: list[Path] = []
    try:
        if layers:
            # Area per kind: pixels, share, mm² at the scan's resolution, regions.
            from restore_app.core.damage_map import (
                protected_entry,
                scan_entry,
                summarise,
                write_damage_map,
            )

            dpi = doc.meta.dpi
            sha = doc.identity.sha256 if doc.identity else None
            kinds = settings.chosen_kinds()
            maps = write_damage_map(
                layers_dir,
                source.stem,
                [(k.id, labels == k.label) for k in kinds]
                + [("doubtful", found.doubtful)],
                labels,
                summarise(labels, dpi, kinds),
                dpi,
                scan_entry(source.name, sha, shape, dpi),
                protected_entry(protect_array, dpi),
                overwrite=overwrite,
            )
            written += [path for _, path in maps]
            operation["layers"] = [
                {"kind": what, "path": str(path.absolute()),
                 "sha256": sha256_file(path)}
                for what, path in maps
            ]  # fmt: skip
        write_mask(mask, output, overwrite=overwrite)
        written.append(output)
        written.append(
            write_record(
                output, source_path=source, operations=[operation], about=about
            )
        )
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written
