"""The detectors: the shipped one finds damage on prints it never saw, and the
runner tiles, converts and protects as the engine does."""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from restore_app.core.damage import kind
from restore_app.core.detect_scores import Counts
from restore_app.core.errors import MaskError, ModelError
from restore_app.models.detection import detect
from restore_app.models.registry import (
    default_restorer_id,
    get_detector,
    list_restorers,
)

DATA = Path(__file__).parents[1] / "data"
NAMES = ("coldripple", "twowings")


def _rgb(path: Path) -> np.ndarray:
    return cv2.imread(str(path))[..., ::-1].copy()


def _aged(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    truth = cv2.imread(str(DATA / f"aged_{name}_truth.png"), cv2.IMREAD_UNCHANGED)
    return (
        _rgb(DATA / f"aged_{name}.png"),
        truth,
        _rgb(DATA / f"aged_{name}_undamaged.png"),
    )


def test_the_built_in_detector_ships_with_its_card() -> None:
    learned = [
        i
        for i in list_restorers("detect")
        if i.kind == "learned" and i.source == "built-in"
    ]
    assert [i.id for i in learned] == ["detect.unet"]
    card = learned[0].card
    assert card is not None
    weights = card.weights_path
    assert weights.stat().st_size <= 8 * 1024 * 1024
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == card.sha256
    for key in ("architecture", "config", "kinds", "training", "default_threshold"):
        assert getattr(card, key) is not None, key
    assert default_restorer_id("detect") == "detect.unet"


def test_learned_detector_finds_damage_on_prints_it_never_saw() -> None:
    found = Counts()
    alarms = []
    for name in NAMES:
        damaged, truth, clean = _aged(name)
        found.add(detect(damaged, detector_id="detect.unet").mask(), truth > 0)
        alarms.append(detect(clean, detector_id="detect.unet").mask().mean())
    assert found.precision >= 0.7, found.as_dict()
    assert found.recall >= 0.7, found.as_dict()
    # These two prints hold every kind of picture detail that looks like
    # damage; the synthetic benchmark's 48 hold the target of 0.3 % on average.
    assert max(alarms) <= 0.01, alarms


def test_classical_detector_finds_a_light_crack_and_no_dark_line() -> None:
    img = np.full((120, 160, 3), 90, np.uint8)
    cv2.line(img, (10, 30), (150, 50), (230, 225, 215), 2)
    cv2.line(img, (10, 90), (150, 100), (10, 10, 10), 2)
    p = detect(img, detector_id="detect.tophat")
    m = p.mask()
    assert m[28:54, 20:140].any()
    assert not m[85:105, 20:140].any()
    assert set(np.unique(p.kinds[m])) <= {kind("crack").label, kind("loss").label}


def test_tiles_agree_with_one_pass_gray_and_16_bit() -> None:
    damaged, _, _ = _aged("coldripple")
    # Four tiles of the size scans are detected in, against one pass.
    big = cv2.resize(damaged, (1000, 760))
    whole = detect(big, detector_id="detect.unet", tile_size=2048)
    tiled = detect(big, detector_id="detect.unet", tile_size=512)
    diff = np.abs(whole.probability.astype(int) - tiled.probability.astype(int))
    # bfloat16 on CPUs that have it, and each tile's own edge padding, move a
    # few probabilities by a few levels; what is flagged hardly changes.
    assert np.percentile(diff, 99) <= 16, diff.max()
    assert (whole.mask() == tiled.mask()).mean() > 0.995
    gray = cv2.cvtColor(big, cv2.COLOR_RGB2GRAY)[..., None]
    g8 = detect(gray, detector_id="detect.unet")
    g16 = detect(gray.astype(np.uint16) * 257, detector_id="detect.unet")
    assert g8.probability.shape == gray.shape[:2]
    assert (g8.mask() == g16.mask()).mean() > 0.999


def test_protect_and_bad_input() -> None:
    damaged, truth, _ = _aged("coldripple")
    protect = np.zeros(truth.shape, bool)
    protect[:, :96] = True
    p = detect(damaged, detector_id="detect.unet", protect=protect)
    assert not p.mask(1.0)[:, :96].any()
    assert p.mask()[:, 96:].any()
    with pytest.raises(MaskError):
        detect(damaged, protect=protect[:10])
    with pytest.raises(ModelError, match="unknown detector"):
        detect(damaged, detector_id="detect.nothing")
    with pytest.raises(ModelError):
        detect(damaged[..., :2])


def test_detectors_are_not_restorers() -> None:
    from restore_app.models.engine import restore

    with pytest.raises(ModelError, match="is a damage detector, not a restorer"):
        restore(
            np.zeros((8, 8, 3), np.uint8), task="denoise", restorer_id="detect.unet"
        )
    assert get_detector("detect.tophat").info.kind == "classical"
    with pytest.raises(ModelError, match="is a restorer, not a damage detector"):
        get_detector("denoise.nlm")
    # One registry, one cache: a restorer and a detector are the same kind of
    # thing to it (models.base.Method).
    from restore_app.models.base import Method
    from restore_app.models.registry import get_restorer

    assert isinstance(get_restorer("denoise.nlm"), Method)
    assert get_detector("detect.tophat") is get_detector("detect.tophat")
