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
            proposed = car.write_proposal_mask(f)
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
