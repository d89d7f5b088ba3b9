"""The region check before an unattended fill: picture detail that looks like
damage is left out of the automatic mask, kept as doubtful, and said why."""

from __future__ import annotations

import cv2
import numpy as np

from restore_app.core.doubt import REASONS, find_guards, review_regions


def _print(seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.full((160, 200, 3), 90, np.uint8)
    img[:, 100:] = 170  # a straight edge the whole height of the picture
    return np.clip(img + rng.normal(0, 2, img.shape), 0, 255).astype(np.uint8)


def test_a_region_along_a_picture_edge_that_runs_on_is_doubtful():
    img = _print()
    labels = np.zeros(img.shape[:2], np.uint8)
    labels[40:110, 98:101] = 1  # a "scratch" on the edge; the edge runs on
    labels[20:25, 30:35] = 2  # a speck of dust on flat ground
    cv2.circle(img, (32, 22), 2, (250, 250, 250), -1)
    review = review_regions(img, labels, [])
    edge = np.zeros_like(review.doubtful)
    edge[40:110, 98:101] = True
    assert review.doubtful[edge].all() and not review.confident[edge].any()
    assert review.confident[20:25, 30:35].all()
    (left,) = review.left_out
    assert left["reason"] == "picture_edge" and left["kind"] == "scratch"
    assert left["box"] == [98, 40, 101, 110] and left["pixels"] == int(edge.sum())
    assert left["reason"] in REASONS


def test_a_scratch_that_ends_in_the_picture_is_not_doubtful():
    img = np.full((160, 200, 3), 120, np.uint8)
    cv2.line(img, (60, 40), (140, 110), (235, 235, 235), 2)
    labels = np.zeros(img.shape[:2], np.uint8)
    cv2.line(labels, (60, 40), (140, 110), 1, 4)
    review = review_regions(img, labels, [])
    assert not review.doubtful.any() and review.left_out == []


def test_damage_on_eyes_and_mouths_is_left_to_the_person():
    img = np.full((120, 120, 3), 128, np.uint8)
    guards = [{"box": [30, 30, 90, 50], "what": "eyes"}]
    labels = np.zeros((120, 120), np.uint8)
    labels[35:45, 20:100] = 3  # a crack across the eyes and beyond
    review = review_regions(img, labels, guards)
    assert review.doubtful[35:45, 30:90].all()
    assert (
        review.confident[35:45, 20:30].all() and review.confident[35:45, 90:100].all()
    )
    assert review.left_out[0] == {
        "box": [30, 30, 90, 50], "pixels": 600, "reason": "eye_or_mouth", "what": "eyes"
    }  # fmt: skip


def test_dark_areas_at_the_border_and_specks_in_texture_are_doubtful():
    rng = np.random.default_rng(1)
    img = np.full((120, 160, 3), 140, np.uint8)
    img[:, :12] = 8  # a plate's black border
    knit = (np.indices((40, 40)).sum(0) % 4 < 2) * 90 + 80
    img[60:100, 100:140] = knit[..., None]
    img = np.clip(img + rng.normal(0, 1, img.shape), 0, 255).astype(np.uint8)
    labels = np.zeros((120, 160), np.uint8)
    labels[10:50, 0:10] = 4  # a "loss" in the black border
    labels[78:81, 118:121] = 2  # a "speck" in the knit
    labels[20:23, 60:63] = 2  # a real speck on flat ground
    img[20:23, 60:63] = 250
    review = review_regions(img, labels, [])
    reasons = {tuple(r["box"]): r["reason"] for r in review.left_out}
    assert reasons == {(0, 10, 10, 50): "dark_border", (118, 78, 121, 81): "texture"}
    assert review.confident[20:23, 60:63].all()


def test_faces_give_eyes_and_mouths_to_guard():
    from restore_app.resources import samples_dir

    img = cv2.imread(str(samples_dir() / "old_w_scratch_b.png"))[..., ::-1]
    guards = find_guards(np.ascontiguousarray(img))
    whats = sorted(g["what"] for g in guards)
    assert whats == ["eyes", "mouth"]
    eyes = next(g["box"] for g in guards if g["what"] == "eyes")
    # the boy's eyes (benchmarks/detect_boxes.json) lie in the eye box
    x0, y0, x1, y1 = eyes
    assert x0 <= 135 and y0 <= 92 and x1 >= 165 and y1 >= 106
