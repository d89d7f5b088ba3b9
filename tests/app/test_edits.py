"""Every mask edit, one undo step each, run without Qt."""

from __future__ import annotations

import numpy as np
import pytest

from restore_app.app import edits
from restore_app.app.document import Document
from restore_app.core.image import read_image
from restore_app.core.proposal import DamageProposal


def _doc(tmp_path, size=(120, 160)) -> Document:
    from PIL import Image

    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (*size, 3), dtype=np.uint8)
    pixels[:, 80:] = (200, 30, 30)  # a flat red half, for the wand
    path = tmp_path / "scan.png"
    Image.fromarray(pixels).save(path)
    return Document(path, read_image(path))


def _undoes(doc: Document, layer: str = "mask") -> None:
    before = doc.array(layer).copy()
    doc.undo_stack.undo()
    assert not np.array_equal(doc.array(layer), before)
    doc.undo_stack.redo()
    assert np.array_equal(doc.array(layer), before)


def test_a_brush_stroke_paints_round_capped_segments_as_one_step(tmp_path):
    doc = _doc(tmp_path)
    heard = []
    doc.layer_edited.connect(lambda name, box: heard.append(name))
    stroke = edits.Stroke(doc, "mask", 10, False, (20.0, 30.0))
    assert stroke.to((20.0, 30.0)) is not None
    stroke.to((60.0, 30.0))
    cmd = stroke.finish()
    assert cmd is not None and cmd.text() == "Paint mask"
    assert doc.mask[30, 20:61].all() and doc.mask[25:36, 40].all()
    assert not doc.mask[30, 70] and not doc.mask[40, 40]
    assert doc.mask[30, 16] and not doc.mask[30, 13]  # a round cap of radius 5
    assert heard == ["mask"] and doc.undo_stack.count() == 1
    _undoes(doc)


def test_a_cancelled_stroke_leaves_nothing(tmp_path):
    doc = _doc(tmp_path)
    stroke = edits.Stroke(doc, "protect", 8, False, (10.0, 10.0))
    stroke.to((50.0, 50.0))
    stroke.cancel()
    assert not doc.protect.any() and doc.undo_stack.count() == 0
    assert stroke.finish() is None


def test_erasing_the_mask_under_review_rejects_the_proposal_there(tmp_path):
    doc = _doc(tmp_path)
    doc.set_mask(np.ones(doc.mask.shape, bool), "Paint mask")
    prob = np.full(doc.mask.shape, 255, np.uint8)
    doc.begin_review(DamageProposal(prob, np.ones_like(prob), 0.5))
    stroke = edits.Stroke(doc, "mask", 6, True, (30.0, 30.0))
    stroke.to((30.0, 30.0))
    assert stroke.finish().text() == "Erase mask"
    assert not doc.mask[30, 30] and doc.rejected[30, 30]
    assert doc.rejected.sum() == (~doc.mask).sum()
    doc.undo_stack.undo()
    assert doc.mask.all() and not doc.rejected.any()


def test_shapes_fill_and_erase_with_their_names(tmp_path):
    doc = _doc(tmp_path)
    cmd = edits.rectangle(doc, "mask", (10.0, 10.0), (40.0, 30.0), erase=False)
    assert cmd.text() == "Rectangle fill"
    # Corners inclusive, as the canvas has always drawn them.
    assert doc.mask[10:31, 10:41].all() and doc.mask.sum() == 21 * 31
    lasso = [(50.0, 50.0), (90.0, 50.0), (70.0, 90.0)]
    cmd = edits.fill_polygon(doc, "damage:crack", lasso, False, "Lasso")
    assert cmd.text() == "Crack (damage map) fill"
    assert doc.damage["crack"][60, 70] and not doc.damage["crack"][95, 70]
    cmd = edits.rectangle(doc, "mask", (20.0, 10.0), (30.0, 30.0), erase=True)
    assert cmd.text() == "Rectangle erase" and not doc.mask[15, 25]
    _undoes(doc)
    outside = [(-50.0, -50.0), (-10.0, -50.0), (-10.0, -10.0)]
    assert edits.fill_polygon(doc, "mask", outside, False, "Lasso") is None


def test_the_wand_selects_and_alt_deselects_the_area_like_its_colour(tmp_path):
    doc = _doc(tmp_path)
    heard = []
    doc.layer_edited.connect(lambda name, box: heard.append(name))
    cmd = edits.select_similar(doc, 120, 60, 16, "mask")
    assert cmd.text() == "Select similar area" and heard == ["mask"]
    assert doc.mask[:, 82:].all() and not doc.mask[:, :78].any()
    cmd = edits.select_similar(doc, 120, 60, 16, "mask", subtract=True)
    assert cmd.text() == "Deselect similar area" and not doc.mask.any()
    _undoes(doc)


@pytest.mark.parametrize(
    ("action", "text"),
    [
        ("clear", "Clear mask"),
        ("invert", "Invert mask"),
        ("grow", "Grow mask 3 px"),
        ("shrink", "Shrink mask 3 px"),
    ],
)
def test_mask_operations_are_one_named_step(tmp_path, action, text):
    doc = _doc(tmp_path)
    start = np.zeros(doc.mask.shape, bool)
    start[40:80, 40:80] = True
    doc.set_mask(start, "Paint mask")
    cmd = edits.mask_operation(doc, "mask", action, 3)
    assert cmd.text() == text
    if action == "grow":
        assert doc.mask[37:83, 40:80].all() and not doc.mask[35, 60]
    else:
        expected = {"clear": 0, "invert": start.size - start.sum(), "shrink": 34 * 34}
        assert doc.mask.sum() == expected[action]
    _undoes(doc)
    with pytest.raises(ValueError):
        edits.mask_operation(doc, "mask", "blur")


def test_a_heal_stroke_covers_what_the_brush_would(tmp_path):
    doc = _doc(tmp_path)
    points = [(30.0, 40.0), (70.0, 40.0)]
    (x0, y0, x1, y1), region = edits.heal_region(doc, points, 5, margin=8)
    assert x0 <= 30 - 5 - 8 and x1 >= 70 + 5 + 8
    brush = edits.brush_stamp(points, 10, (x0, y0, x1, y1)).astype(bool)
    assert np.array_equal(region, brush)
    assert edits.heal_region(doc, [(-100.0, -100.0)], 5, margin=8) is None
