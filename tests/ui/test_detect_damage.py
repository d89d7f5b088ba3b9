"""Finding the damage in the window: detect, review with the usual tools, accept,
undo and redo; a folder's proposals are saved for review and survive a restart."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage
from ui_helpers import new_window, open_and_wait

DATA = Path(__file__).parents[1] / "data"


def _aged_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "prints"
    folder.mkdir()
    for name in ("coldripple", "twowings"):
        shutil.copy(DATA / f"aged_{name}.png", folder / f"{name}.png")
    return folder


def _detect(qtbot, window):
    with qtbot.waitSignal(window.jobs.applied, timeout=60000):
        qtbot.keyClick(window.canvas, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    return window.doc


def test_detect_review_accept_undo_redo(qtbot, window, tmp_path):
    doc = open_and_wait(qtbot, window, [_aged_folder(tmp_path)])
    before = doc.pixels.copy()
    doc = _detect(qtbot, window)
    assert doc.proposal is not None and doc.status == "proposed"
    assert not doc.mask.any()  # nothing is repaired or masked before accepting
    assert np.array_equal(doc.pixels, before)
    proposed = doc.proposed_labels() > 0
    assert proposed.mean() > 0.01

    # The slider changes the proposal without detecting again.
    panel = window.damage
    panel.sensitivity.setValue(5)
    low = int((doc.proposed_labels() > 0).sum())
    panel.sensitivity.setValue(95)
    high = int((doc.proposed_labels() > 0).sum())
    assert low < high
    panel.sensitivity.setValue(round(doc.proposal.default_sensitivity * 100))
    panel.kind_boxes["dust"].setChecked(False)
    assert not np.isin(doc.proposed_labels(), [2]).any()
    panel.kind_boxes["dust"].setChecked(True)
    proposed = doc.proposed_labels() > 0

    # Erase a false alarm with the eraser: it leaves the proposal.
    canvas = window.canvas
    canvas.zoom_to(1.0, QPointF(0, 0))
    canvas.offset = QPointF(0, 0)
    window.set_tool("eraser")
    canvas.tools.brush_size = 40
    ys, xs = np.nonzero(proposed)
    cx, cy = int(xs[len(xs) // 2]), int(ys[len(ys) // 2])
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(cx, cy))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(cx, cy))
    erased = doc.rejected.copy()
    assert erased[cy, cx] and erased.sum() < proposed.sum()
    # Doubtful regions (picture detail that looks like damage) are not accepted
    # unless the person keeps them.
    reviewed = proposed & ~erased & ~doc.doubtful()

    # Accept: the reviewed proposal becomes the mask in one undo step.
    steps = doc.undo_stack.index()
    qtbot.keyClick(canvas, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert doc.undo_stack.index() == steps + 1
    assert np.array_equal(doc.mask, reviewed)
    assert doc.proposal is None and not doc.rejected.any()
    assert np.array_equal(doc.pixels, before)

    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not doc.mask.any()
    assert doc.proposal is not None
    assert np.array_equal(doc.rejected, erased)
    qtbot.keyClick(canvas, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(doc.mask, reviewed) and doc.proposal is None

    # The accepted mask is an ordinary mask: the fill repairs only it (as
    # accepted: "Cover the rim" would grow it like a painted one).
    window.workspace.tools.apply_task_settings(
        {"task": "inpaint", "restorer": "inpaint.telea", "cover_rim": False}
    )
    with qtbot.waitSignal(window.jobs.applied, timeout=30000):
        qtbot.keyClick(canvas, Qt.Key.Key_Return)
    changed = (doc.pixels != before).any(axis=2)
    assert changed.any() and not changed[~reviewed].any()


def test_folder_detection_is_saved_for_review_and_survives_a_restart(
    qtbot, window, settings, tmp_path
):

    folder = _aged_folder(tmp_path)
    open_and_wait(qtbot, window, [folder])
    window.detect_damage_in_folder()
    qtbot.waitUntil(
        lambda: window.folder_panel.status_of(1) == "proposed", timeout=120000
    )
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=60000)
    first = window.doc
    assert first.proposal is not None  # the open image is reviewed in place
    second = folder.resolve() / "twowings.png"
    car = window.session.sidecar_for(second)
    assert (car.image_dir("twowings.png") / "proposal.png").is_file()
    assert window.folder_panel.status_of(1) == "proposed"
    first.set_review(sensitivity=0.9)
    window.session.flush()
    window.close()

    again = new_window(qtbot, settings)
    doc = open_and_wait(qtbot, again, [folder])
    assert doc.proposal is not None and doc.review["sensitivity"] == 0.9
    doc2 = open_and_wait(qtbot, again, [folder], index=1)
    assert doc2.proposal is not None and doc2.status == "proposed"
    assert (doc2.proposed_labels() > 0).any()
    # The folder's detection proposes the command line's pixels, and the
    # window's batch takes what Accept would.
    from restore_app.pipeline.detect import detect_file

    detect_file(second, tmp_path / "cli.png")
    cli = cv2.imread(str(tmp_path / "cli.png"), cv2.IMREAD_GRAYSCALE) > 0
    assert np.array_equal(doc2.accepted_labels() > 0, cli)
    from restore_app.app.batch import reviewed_proposal_mask

    car = again.session.sidecar_for(second)
    written = reviewed_proposal_mask(car, second)
    assert written is not None
    assert np.array_equal(cv2.imread(str(written), cv2.IMREAD_GRAYSCALE) > 0, cli)

    # The window's batch inpaint uses a reviewed proposal as the image's mask.
    out = tmp_path / "out"
    with qtbot.waitSignal(again.service.finished, timeout=120000):
        again.files.start_batch("inpaint", out, files=[second])
    report = again.files.last_report
    assert len(report.done) == 1, (report.skipped, report.failed)
    again.close()


def _doubtful_line_print(folder: Path) -> Path:
    """A print with a long straight picture edge crossing it (a collar, a
    frame) and light specks of dust on flat areas."""
    rng = np.random.default_rng(3)
    img = np.full((160, 200, 3), 90, np.uint8)
    img[:, 100:] = 170  # a straight edge the whole height of the picture
    img = np.clip(img + rng.normal(0, 2, img.shape), 0, 255).astype(np.uint8)
    for x, y in ((30, 30), (60, 120), (150, 40), (170, 130)):
        cv2.circle(img, (x, y), 2, (250, 250, 245), -1)
    path = folder / "edge.png"
    cv2.imwrite(str(path), img[..., ::-1])
    return path


def test_review_tool_drops_and_restores_regions_and_keeps_doubtful_ones(
    qtbot, window, tmp_path
):
    import json

    from restore_app.core.proposal import DamageProposal

    doc = open_and_wait(qtbot, window, [_aged_folder(tmp_path)])
    doc = _detect(qtbot, window)
    canvas = window.canvas
    canvas.zoom_to(1.0, QPointF(0, 0))
    canvas.offset = QPointF(0, 0)
    window.set_tool("review")
    assert window.workspace.tools.tool == "review"
    accepted = doc.accepted_labels() > 0
    n, comp = cv2.connectedComponents(accepted.astype(np.uint8), connectivity=8)
    assert n > 2
    sizes = np.bincount(comp.ravel())[1:]
    region = comp == 1 + int(sizes.argmax())
    ys, xs = np.nonzero(region)
    x, y = int(xs[0]), int(ys[0])
    steps = doc.undo_stack.index()
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    assert doc.undo_stack.index() == steps + 1
    assert not (doc.accepted_labels()[region] > 0).any()  # dropped whole
    others = accepted & ~region
    assert np.array_equal((doc.accepted_labels() > 0) & ~region, others)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    assert doc.undo_stack.index() == steps + 2
    assert np.array_equal(doc.accepted_labels() > 0, accepted)  # restored
    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not (doc.accepted_labels()[region] > 0).any()
    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert np.array_equal(doc.accepted_labels() > 0, accepted)

    # A region along a picture edge is doubtful: drawn apart, not accepted
    # until kept with a click.
    folder = tmp_path / "edge"
    folder.mkdir()
    path = _doubtful_line_print(folder)
    doc = open_and_wait(qtbot, window, [folder])
    canvas.zoom_to(1.0, QPointF(0, 0))
    canvas.offset = QPointF(0, 0)
    prob = np.zeros((doc.height, doc.width), np.uint8)
    prob[30:130, 98:101] = 255  # right on the straight edge, which runs on
    prob[28:33, 28:33] = 255  # a speck of dust
    kinds = np.full(prob.shape, 1, np.uint8)
    doc.propose(DamageProposal(prob, kinds, 0.5, {"guards": []}))
    edge = prob > 0
    edge[28:33, 28:33] = False
    assert doc.doubtful()[edge].all() and not doc.doubtful()[28:33, 28:33].any()
    tile = canvas.factory.proposal_tile(0, 0, 0).convertToFormat(
        QImage.Format.Format_RGBA8888
    )
    rows = np.frombuffer(tile.constBits(), np.uint8).reshape(tile.height(), -1)
    alpha = rows[:, : tile.width() * 4].reshape(tile.height(), tile.width(), 4)[..., 3]
    assert set(np.unique(alpha[edge])) == {50, 220}  # hatched
    assert set(np.unique(alpha[28:33, 28:33])) == {200}
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=QPoint(99, 80))
    assert not doc.doubtful().any()
    assert (doc.accepted_labels()[edge] > 0).all()
    assert json.dumps(doc.proposal_meta()["kept"])  # kept with the review
    qtbot.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert doc.doubtful()[edge].all()
    assert path.is_file()


@pytest.mark.parametrize("sensitivity", [0.3, 0.5, 0.8])
def test_window_detect_and_accept_give_the_command_lines_pixels(
    qtbot, window, tmp_path, sensitivity
):
    from restore_app.pipeline.detect import DetectSettings, detect_file

    folder = _aged_folder(tmp_path)
    doc = open_and_wait(qtbot, window, [folder])
    doc = _detect(qtbot, window)
    window.damage.sensitivity.setValue(round(sensitivity * 100))
    qtbot.keyClick(
        window.canvas, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
    )
    out = tmp_path / "cli.png"
    detect_file(doc.path, out, settings=DetectSettings(sensitivity=sensitivity))
    cli = cv2.imread(str(out), cv2.IMREAD_GRAYSCALE) > 0
    assert cli.any()
    assert np.array_equal(doc.mask, cli)
