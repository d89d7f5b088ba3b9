"""Export and Save a Copy: the image as it is now, beside its record.

The same writer the command line uses (same depth, profile and metadata as the
scan, the masks each operation used, the treatment record); the scan itself is
never written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from restore_app.app.document import Document
from restore_app.app.preferences import Preferences
from restore_app.core.errors import RestoreError
from restore_app.core.layers import LAYERS


def export_path(doc: Document, preferences: Preferences) -> Path:
    """Where Export writes ``doc``: ``NAME.SUFFIX.EXT`` in the output folder
    of the preferences, or in ``SCANS-restored`` beside the scans' folder
    (never among the scans, where it would be taken for one)."""
    from restore_app.core.naming import default_output_dir, derivative_path
    from restore_app.pipeline.files import output_suffix

    folder = preferences.output_dir
    return derivative_path(
        doc.path,
        task=preferences.export_suffix,
        out_dir=Path(folder) if folder else default_output_dir(doc.path.parent),
        ext=output_suffix(doc.path),
    )


def export(
    doc: Document, out: Path, *, overwrite: bool, operator: str = ""
) -> list[str]:
    """Write ``doc``'s current pixels to ``out`` with its masks and record, and
    mark the document exported. Returns the writer's warnings (what of the
    scan's metadata could not be kept)."""
    from restore_app.core.derivative import write_derivative
    from restore_app.core.image import ImageDoc
    from restore_app.core.naming import default_output_dir

    if out.resolve() == doc.path.resolve():
        raise RestoreError("the original is never overwritten: choose another name")
    if out.parent == default_output_dir(doc.path.parent):
        out.parent.mkdir(exist_ok=True)  # the folder Restore names is made
    image = doc.image
    copy = ImageDoc(
        pixels=doc.pixels,
        alpha=image.alpha,
        meta=image.meta,
        path=doc.path,
        identity=image.identity,
    )
    ops = [dict(op) for op in doc.operations]
    if doc.repaired.any():
        ops.append(
            {"task": "damage-record", "repaired_pixels": int(doc.repaired.sum())}
        )
    warnings = write_derivative(
        copy,
        out,
        source=doc.path,
        operations=ops,
        masks=treatment_masks(doc),
        overwrite=overwrite,
        about={
            "object_id": doc.path.stem,
            "operator": operator or None,
            "purpose": None,
        },
    )
    doc.exports.append(str(out))
    doc.status = "exported"
    doc.mark_exported()
    doc.undo_stack.set_clean()
    doc.notify("state", None)
    return list(warnings)


def treatment_masks(doc: Document) -> list[tuple[str, np.ndarray]]:
    """(name, full-size bool mask) of each applied operation that used one,
    numbered in order (``01-inpaint``), the protect layer, and the damage
    map's layers (``damage-crack``, …)."""
    out = []
    for i, op in enumerate(doc.operations, 1):
        kept = doc.op_masks.get(str(op.get("mask_id")))
        if kept is None:
            continue
        x0, y0, crop = kept
        full = np.zeros(doc.mask.shape, bool)
        full[y0 : y0 + crop.shape[0], x0 : x0 + crop.shape[1]] = crop
        out.append((f"{i:02d}-{op.get('task', 'operation')}", full))
    for layer in LAYERS:  # the protected region, the damage map's kinds
        kept = doc.layers.get(layer.name)
        if layer.exported and kept is not None and kept.any():
            out.append((layer.exported, kept.copy()))
    return out
