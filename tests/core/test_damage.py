"""The damage-kind table, proposals at a sensitivity, and tolerant scoring."""

from __future__ import annotations

import numpy as np
import pytest

from restore_app.core.damage import (
    DAMAGE_KINDS,
    colour_labels,
    kind,
    kinds_mask,
    parse_kinds,
)
from restore_app.core.detect_scores import Counts
from restore_app.core.proposal import DamageProposal, threshold


def test_one_table_of_kinds_with_unique_ids_labels_and_colours() -> None:
    ids = [k.id for k in DAMAGE_KINDS]
    assert {"scratch", "dust", "crack", "loss"} <= set(ids)
    assert len(set(ids)) == len(ids)
    labels = [k.label for k in DAMAGE_KINDS]
    assert 0 not in labels and len(set(labels)) == len(labels)
    assert len({k.colour for k in DAMAGE_KINDS}) == len(DAMAGE_KINDS)


def test_parse_kinds() -> None:
    assert parse_kinds(None) == DAMAGE_KINDS
    assert parse_kinds("") == DAMAGE_KINDS
    assert [k.id for k in parse_kinds("dust, scratch")] == ["scratch", "dust"]
    with pytest.raises(ValueError, match="unknown damage kind .fungus."):
        parse_kinds("scratch,fungus")


def test_kinds_mask_and_colours() -> None:
    labels = np.array([[0, kind("dust").label], [kind("loss").label, 0]], np.uint8)
    m = kinds_mask(labels, [kind("dust")])
    assert m.tolist() == [[False, True], [False, False]]
    rgb = colour_labels(labels)
    assert tuple(rgb[0, 1]) == kind("dust").colour
    assert tuple(rgb[0, 0]) == (0, 0, 0)


def test_sensitivity_trades_recall_for_precision() -> None:
    prob = np.array([[10, 100, 200, 250]], np.uint8)
    kinds = np.array([[1, 2, 3, 4]], np.uint8)
    p = DamageProposal(prob, kinds, midpoint=0.5)
    assert p.mask().tolist() == [[False, False, True, True]]
    assert p.mask(0.0).sum() == 0
    assert p.mask(1.0).all()
    # more sensitive never flags fewer pixels
    counts = [int(p.mask(s).sum()) for s in np.linspace(0, 1, 11)]
    assert counts == sorted(counts)
    assert p.mask(1.0, [kind("scratch")]).tolist() == [[True, False, False, False]]
    assert p.labels(0.7).tolist() == [[0, 2, 3, 4]]
    assert threshold(0.5) == 128
    # A detector's own threshold sits at the default sensitivity, mid-slider.
    sure = DamageProposal(prob, kinds, midpoint=0.9)
    assert threshold(0.5, 0.9) == round(0.9 * 255)
    assert sure.mask().tolist() == [[False, False, False, True]]
    assert sure.mask(0.75).tolist() == [[False, False, True, True]]
    assert threshold(0.0, 0.9) == 255 and threshold(1.0, 0.9) == 1


def test_protected_pixels_are_never_proposed() -> None:
    prob = np.full((2, 2), 255, np.uint8)
    p = DamageProposal(prob, np.ones((2, 2), np.uint8))
    protect = np.array([[True, False], [False, False]])
    assert p.protected(protect).mask(1.0).tolist() == [[False, True], [True, True]]


def test_a_grown_proposal_reaches_past_the_threshold_with_its_kind() -> None:
    prob = np.zeros((9, 9), np.uint8)
    kinds = np.full((9, 9), kind("dust").label, np.uint8)
    prob[4, 2], kinds[4, 2] = 240, kind("scratch").label
    prob[4, 6], kinds[4, 6] = 200, kind("crack").label
    p = DamageProposal(prob, kinds, midpoint=0.5)
    assert p.grown(0) is p
    g = p.grown(1)
    assert g.mask().sum() == 10  # two specks, each with its four neighbours
    assert g.probability[3, 2] == 240 and g.kinds[3, 2] == kind("scratch").label
    assert g.probability[4, 7] == 200 and g.kinds[4, 7] == kind("crack").label
    # Between them, the likelier damage wins; far from both, nothing changes.
    assert g.mask()[4, 3] and not g.mask()[4, 4] and not g.mask()[0, 0]
    assert g.kinds[0, 0] == kind("dust").label
    # What a protect mask covers stays unproposed, however far damage reaches.
    protect = np.zeros((9, 9), bool)
    protect[3:6, 1:4] = True
    assert not g.protected(protect).mask()[3:6, 1:4].any()


def test_scoring_tolerates_a_line_found_one_pixel_aside() -> None:
    truth = np.zeros((20, 20), bool)
    truth[10, 2:18] = True
    found = np.zeros_like(truth)
    found[11, 2:18] = True
    c = Counts()
    c.add(found, truth)
    assert c.precision == c.recall == c.f1 == 1.0
    far = np.zeros_like(truth)
    far[16, 2:18] = True
    c = Counts()
    c.add(far, truth)
    assert c.precision == 0.0 and c.recall == 0.0
    empty = Counts()
    empty.add(np.zeros_like(truth), np.zeros_like(truth))
    assert empty.precision == empty.recall == 1.0


def test_the_table_holds_the_conservators_vocabulary() -> None:
    ids = {k.id for k in DAMAGE_KINDS}
    assert {
        "loss", "tear", "crease", "crack", "scratch", "dust", "stain",
        "mirroring", "abrasion", "mould", "other",
    } <= ids  # fmt: skip
    # Labels of the detector's kinds never move: label images keep their meaning.
    assert [kind(k).label for k in ("scratch", "dust", "crack", "loss")] == [1, 2, 3, 4]


def test_area_per_kind_with_and_without_a_resolution() -> None:
    from restore_app.core.damage_map import as_csv, summarise

    labels = np.zeros((100, 200), np.uint8)
    labels[10:20, 10:20] = kind("dust").label
    labels[50:52, 0:200] = kind("scratch").label
    labels[80:90, 150:160] = kind("dust").label
    rows = {r["kind"]: r for r in summarise(labels, (254.0, 254.0))}
    assert rows["dust"]["pixels"] == 200 and rows["dust"]["regions"] == 2
    assert rows["scratch"]["percent"] == 2.0
    assert rows["dust"]["mm2"] == 2.0  # 0.1 mm pixels: 200 × 0.01 mm²
    assert rows["loss"] == {**rows["loss"], "pixels": 0, "regions": 0}
    unknown = summarise(labels, None)
    assert all(r["mm2"] is None for r in unknown)
    assert as_csv(unknown).splitlines()[0] == "kind,name,pixels,percent,mm2,regions"
