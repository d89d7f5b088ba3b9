"""Batch from the window: the chosen images with what the person made for each.

The same batch as ``restore-app batch`` (``pipeline.folder.run_batch`` runs it);
what the window adds is where each image's masks come from: the working mask
and the protect layer saved in its sidecar, or, for inpainting an image
without a painted mask, its reviewed damage proposal.
"""

from __future__ import annotations

from pathlib import Path

from restore_app.app.preferences import Preferences
from restore_app.app.session import Session
from restore_app.core.tasks import Task
from restore_app.pipeline.jobs import BatchJob


def batch_job(
    session: Session,
    preferences: Preferences,
    task: Task,
    files: list[Path],
    output_dir: Path,
    *,
    restorer_id: str | None = None,
    strength: float | None = None,
    options: dict[str, bool] | None = None,
    overwrite: bool = False,
) -> BatchJob:
    """The job that runs ``task`` over ``files`` into ``output_dir`` (open
    images are saved to their sidecars first, so their latest masks count)."""
    session.flush()
    masks: dict[Path, Path] = {}
    protects: dict[Path, Path] = {}
    for f in files:
        car = session.sidecar_for(f)
        # Through the sidecar's check: work saved for another version of the
        # scan (a rescan since) is not applied to this one.
        protect = car.saved_mask(f, "protect")
        if protect is not None:
            protects[f.resolve()] = protect
        mask = car.saved_mask(f)
        if mask is not None:
            masks[f.resolve()] = mask
        elif task == Task.INPAINT:
            # No mask painted: a reviewed damage proposal serves as one.
            proposed = reviewed_proposal_mask(car, f)
            if proposed is not None:
                masks[f.resolve()] = proposed
    return BatchJob(
        input_dir=files[0].parent,
        output_dir=output_dir,
        task=str(task),
        restorer_id=restorer_id,
        strength=strength,
        options=options,
        files=tuple(files),
        masks=masks,
        protects=protects,
        overwrite=overwrite,
        device=preferences.device,
        tile_size=preferences.tile_size,
    )


def reviewed_proposal_mask(car, source: Path) -> Path | None:
    """The saved proposal of ``source`` as the review left it — its
    sensitivity and kinds, less what was erased and less its doubtful regions
    (but those the person kept): what Accept takes — written for the batch
    as ``proposal-mask.png``; None when there is none (or nothing in it)."""
    from restore_app.core.doubt import review_regions, with_kept
    from restore_app.core.image import read_image
    from restore_app.core.proposal import review_kinds

    saved = car.saved_proposal(source)
    if saved is None:
        return None
    proposal, meta, rejected = saved
    labels = proposal.labels(meta.get("sensitivity"), review_kinds(meta.get("kinds")))
    if rejected is not None:
        labels[rejected] = 0
    if not labels.any():
        return None
    pixels = read_image(source).pixels
    guards = (meta.get("operation") or {}).get("guards")
    mask = with_kept(review_regions(pixels, labels, guards), meta.get("kept")).confident
    if not mask.any():
        return None
    return car.write_batch_mask(source, "proposal-mask.png", mask)
