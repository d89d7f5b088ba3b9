"""The shipped detector on real damage: cracks found on a real print, and picture
detail that looks like damage never filled unattended.

The prints are the bundled samples (MIT); the truth is hand-labelled
(``benchmarks/real_truth``); the floors are set from ``benchmarks/detect.py``.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from restore_app.core.detect_scores import Counts
from restore_app.models.detection import detect
from restore_app.pipeline.detect import DetectSettings, propose
from restore_app.resources import samples_dir

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def _rgb(path: Path) -> np.ndarray:
    return np.ascontiguousarray(cv2.imread(str(path))[..., ::-1])


def _automatic(img: np.ndarray) -> np.ndarray:
    """What ``--auto-masks`` fills: the confident proposal."""
    return propose(np.ascontiguousarray(img), DetectSettings(), None, "cpu",
                    None, None).mask  # fmt: skip


def test_real_cracks_are_found_on_a_real_print_and_the_rest_left_alone():
    img = _rgb(samples_dir() / "old_w_scratch_d.png")
    truth = cv2.imread(str(ROOT / "benchmarks/real_truth/old_w_scratch_d.png"), 0) > 0
    box = (slice(0, 128), slice(0, 200))  # the crack network at the top left
    found = detect(np.ascontiguousarray(img[box]), device="cpu").mask()
    counts = Counts()
    counts.add(found, truth[box])
    assert counts.precision >= 0.8 and counts.recall >= 0.15, counts.as_dict()
    far = ~(cv2.dilate(truth[box].view(np.uint8), np.ones((7, 7))) > 0)
    assert (found & far).sum() / far.sum() < 0.005  # the crop's clean part


def test_eyes_buttons_and_plate_borders_are_never_filled_unattended():
    boy = _rgb(samples_dir() / "old_w_scratch_b.png")
    couple = _rgb(samples_dir() / "old_w_scratch_d.png")
    border = _rgb(DATA / "autochrome_border.png")
    for what, crop in (
        ("the boy's eyes", boy[80:120, 120:180]),
        ("the uniform's buttons", couple[195:230, 238:268]),
        ("an autochrome's black plate border", border[:, :40]),
    ):
        assert not _automatic(crop).any(), what
    # On the whole print the eyes and the mouth are found and kept back.
    found = propose(boy, DetectSettings(), None, "cpu", None, None)
    reasons = {r["reason"] for r in found.operation["left_out"]}
    assert "eye_or_mouth" in reasons
    assert not found.mask[92:106, 135:165].any()  # the eyes (detect_boxes.json)
