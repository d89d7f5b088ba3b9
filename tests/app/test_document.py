"""A document and its history, tested without a window."""

from __future__ import annotations

import numpy as np

from restore_app.app.document import Document
from restore_app.app.export import export, export_path
from restore_app.app.preferences import Preferences
from restore_app.core.image import read_image
from restore_app.core.masks import write_mask


def _doc(tmp_path, size=(200, 300)) -> Document:
    from PIL import Image

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (*size, 3), dtype=np.uint8)
    path = tmp_path / "scan.png"
    Image.fromarray(pixels).save(path)
    return Document(path, read_image(path))


def test_a_mask_stroke_is_one_step_and_undoes(tmp_path):
    doc = _doc(tmp_path)
    boxes = []
    doc.mask_changed.connect(boxes.append)
    edit = doc.begin_mask_edit()
    edit.touch(10, 20, 50, 40)
    doc.mask[20:40, 10:50] = True
    doc.commit_mask_edit(edit, "Paint mask")
    assert doc.undo_stack.count() == 1 and doc.status == "edited"
    doc.undo_stack.undo()
    assert not doc.mask.any() and boxes  # the views heard of both
    doc.undo_stack.redo()
    assert doc.mask[20:40, 10:50].all()


def test_a_result_counts_the_tiles_it_wrote_and_undo_gives_them_back(tmp_path):
    doc = _doc(tmp_path)
    before = doc.pixels.copy()
    start = doc.pixel_tiles.copy()
    crop = np.zeros((30, 40, 3), np.uint8)
    doc.apply_result((70, 10), crop, text="Fill")
    moved = doc.pixels_changed_since(start)
    assert moved[0, 1] and moved.sum() == 1  # x 70..110, y 10..40: one tile
    assert doc.unexported and doc.has_unexported_changes()
    doc.undo_stack.undo()
    assert np.array_equal(doc.pixels, before)
    assert not doc.has_unexported_changes()  # an undone edit is no change


def test_export_writes_a_derivative_and_never_the_scan(tmp_path):
    doc = _doc(tmp_path)
    doc.apply_result((0, 0), np.zeros((10, 10, 3), np.uint8), text="Fill")
    prefs = Preferences(output_dir=str(tmp_path / "out"), export_suffix="clean")
    (tmp_path / "out").mkdir()
    out = export_path(doc, prefs)
    assert out == tmp_path / "out" / "scan.clean.png"
    export(doc, out, overwrite=False, operator="A. Conservator")
    assert np.array_equal(read_image(out).pixels, doc.pixels)
    assert doc.status == "exported" and doc.undo_stack.is_clean()
    import json

    record = json.loads(out.with_name(out.name + ".json").read_text())
    assert record["operator"] == "A. Conservator"
    try:
        export(doc, doc.path, overwrite=True)
    except Exception as exc:  # noqa: BLE001
        assert "never overwritten" in str(exc)
    else:
        raise AssertionError("the scan was written")
    write_mask(doc.mask, tmp_path / "m.png")  # the document is still usable
