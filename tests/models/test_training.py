"""The training code runs on the CPU, the loss falls, and its output loads."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from restore_app.models import registry
from restore_app.models.card import ModelCard
from restore_app.models.engine import restore
from restore_app.resources import models_dir
from restore_app.training.data import dead_leaves
from restore_app.training.export import export
from restore_app.training.train import TASKS, Trainer, cpu_has_bf16

DATA = Path(__file__).parents[1] / "data"


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """A small folder of clean photographs: dead-leaves images and two crops."""
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        cv2.imwrite(str(folder / f"leaves{i}.png"), dead_leaves(160, rng))
    for p in DATA.glob("heldout_*.png"):
        cv2.imwrite(str(folder / p.name), cv2.imread(str(p)))
    return folder


def _same_card_as_shipped(path: Path) -> None:
    """An exported card reads as one, and has the shipped card's keys in its order
    (the shipped one also holds what benchmarks added later)."""
    card = ModelCard.read(path)
    assert card.encode() == path.read_bytes() and card.other == {}
    shipped = json.loads((models_dir() / path.name).read_text())
    exported = json.loads(path.read_text())
    assert [k for k in shipped if k in exported] == list(exported)
    assert exported["validation"] == {} and "score" in exported


@pytest.mark.parametrize("task", ["denoise", "inpaint"])
def test_quick_training_lowers_the_loss_and_loads(task, photos, tmp_path, monkeypatch):
    if task == "inpaint":
        # The shipped network starts from the Navier–Stokes fill (its loss), which
        # a one-minute run cannot improve on; without the pre-fill it starts from
        # an empty hole, and the same loop, data and loss must bring the loss down.
        spec = TASKS["inpaint"]
        plain = dataclasses.replace(spec, config={**spec.config, "prefill": False})
        monkeypatch.setitem(TASKS, "inpaint", plain)
    trainer = Trainer(
        task, [photos], tmp_path / "runs", "cpu", total_minutes=0.4, quick=True
    )
    assert trainer.amp == cpu_has_bf16()
    if task == "inpaint":
        # One of the two runs takes the fp32 path, whatever this CPU offers.
        trainer.amp = False
    # Bounded by steps, not time, so that a busy machine gives the same test.
    losses = trainer.run(5.0, log_every=1000, on_log=lambda s: None, max_steps=40)
    assert len(losses) == 40
    k = max(len(losses) // 5, 5)
    assert np.mean(losses[-k:]) < np.mean(losses[:k])
    assert trainer.checkpoint_path.is_file()
    assert len(trainer.history) == 1 and "psnr" in trainer.history[0]

    # A second trainer resumes where the first stopped.
    again = Trainer(
        task, [photos], tmp_path / "runs", "cpu", total_minutes=0.4, quick=True
    )
    again.resume(again.checkpoint_path)
    assert again.step == trainer.step
    # ... with the weights' moving average, which trails the weights.
    assert again.ema_steps == trainer.ema_steps == 40
    name, avg = next(iter(trainer.ema.state_dict().items()))
    assert torch.equal(again.ema.state_dict()[name], avg)
    assert not torch.equal(trainer.model.state_dict()[name], avg)

    # Exported weights load through the registry, as a user's models folder.
    models = tmp_path / "models"
    export(trainer, models, "")
    card_path = next(models.glob("*.json"))
    card = json.loads(card_path.read_text())
    _same_card_as_shipped(card_path)
    # The average is what ships.
    shipped = load_file(str(next(models.glob("*.safetensors"))))
    assert torch.equal(shipped[name], avg.half())
    assert card["training"]["mixed_precision"] == (
        "bfloat16 autocast" if trainer.amp else "none"
    )
    assert "earlier" not in card["training"]
    # A run started from exported weights keeps, in its card, the runs behind them.
    onward = Trainer(
        task, [photos], tmp_path / "onward", "cpu", total_minutes=0.4, quick=True
    )
    onward.resume(next(models.glob("*.safetensors")))
    onward.run(5.0, log_every=1000, on_log=lambda s: None, max_steps=2)
    export(onward, models, "")
    assert json.loads(card_path.read_text())["training"]["earlier"] == [
        {
            "steps": 40,
            "minutes": card["training"]["minutes"],
            "hardware": card["training"]["hardware"],
            "started_from": "scratch",
            "batch": trainer.batch,
            "patch": trainer.patch,
        }
    ]
    monkeypatch.setenv("RESTORE_MODELS_DIR", str(models))
    # The exported model has the built-in one's id: hide the shipped ones.
    monkeypatch.setattr(registry, "builtin_models_dir", lambda: tmp_path / "none")
    spec_id = trainer.spec.id
    registry.forget_restorer(spec_id)
    try:
        info = next(i for i in registry.list_restorers(task) if i.source == "user")
        assert info.id == spec_id and info.kind == "learned"
        img = cv2.imread(str(DATA / "heldout_twowings.png"))[..., ::-1].copy()
        mask = np.zeros(img.shape[:2], bool)
        mask[50:70, 50:90] = True
        res = restore(
            img,
            task=task,
            restorer_id=spec_id,
            mask=mask if task == "inpaint" else None,
        )
        assert res.pixels.shape == img.shape
        assert res.operation["weights_sha256"] == info.weights_sha256
    finally:
        registry.forget_restorer(spec_id)


def test_prefilled_inpainting_starts_at_navier_stokes_and_learns(photos, tmp_path):
    from restore_app.models.classical import opencv_inpaint

    trainer = Trainer("inpaint", [photos], tmp_path / "runs", "cpu", 0.4, quick=True)
    assert trainer.spec.config["prefill"]
    img = cv2.imread(str(DATA / "heldout_twowings.png"))[..., ::-1] / 255.0
    mask = np.zeros(img.shape[:2], bool)
    mask[60:64, 10:180] = True  # a scratch
    mask[100:130, 40:80] = True  # a blotch
    x = torch.from_numpy(img.astype(np.float32).transpose(2, 0, 1))[None]
    m = torch.from_numpy(mask.astype(np.float32))[None, None]

    def fill() -> np.ndarray:
        trainer.model.eval()
        with torch.no_grad():
            return trainer.model(x, m)[0].numpy().transpose(1, 2, 0)

    # Untrained, the correction is zero: the output is the Navier–Stokes fill.
    ns = opencv_inpaint(img.astype(np.float32), mask, 5, "ns")
    assert np.abs(fill() - ns).max() < 1e-6
    scores = trainer.validate()
    assert scores["psnr"] == pytest.approx(scores["psnr_input"])
    # A few steps move it, inside the mask only.
    trainer.run(5.0, log_every=1000, on_log=lambda s: None, max_steps=5)
    out = fill()
    assert np.abs(out - ns)[mask].max() > 1e-4
    assert np.array_equal(out[~mask], img.astype(np.float32)[~mask])


def test_hard_motion_kernels_are_thin_strokes_of_equal_weight():
    from restore_app.training.degrade import (
        KERNEL,
        _motion_kernels,
        blur_kernels,
    )

    g = torch.Generator().manual_seed(3)
    r = KERNEL // 2
    ax = torch.arange(-r, r + 1, dtype=torch.float32)
    yy, xx = torch.meshgrid(ax, ax, indexing="ij")
    kernels = _motion_kernels(300, g, "cpu", xx, yy, hard_p=1.0).numpy()
    strokes = 0
    for k in kernels:
        on = k > 0
        assert set(np.unique(k)) == {0.0, 1.0}
        # At most 19 px long (plus the pixel it starts on), never two pixels thick.
        rows, cols = np.nonzero(on)
        assert max(np.ptp(rows), np.ptp(cols)) <= 20
        thick = on[1:, 1:] & on[:-1, 1:] & on[1:, :-1] & on[:-1, :-1]
        assert not thick.any()
        count, _ = cv2.connectedComponents(on.astype(np.uint8), connectivity=8)
        strokes += count == 2  # the background and one stroke
    assert strokes >= 0.95 * len(kernels)
    mixed = blur_kernels(400, g, "cpu")
    assert torch.allclose(mixed.sum(dim=(1, 2, 3)), torch.ones(400), atol=1e-5)


def test_fill_masks_include_wide_brush_strokes():
    """The fill learns the wide losses people paint, not only thin damage."""
    from restore_app.training.degrade import mask_bank, stroke

    rng = np.random.default_rng(0)
    for _ in range(20):
        m = np.zeros((256, 256), np.uint8)
        stroke(m, rng)
        half = cv2.distanceTransform(m, cv2.DIST_L2, 5).max()
        assert half >= 4  # at least 8 px wide
    bank = mask_bank(100, 256, 0)
    wide = [cv2.distanceTransform(m, cv2.DIST_L2, 5).max() >= 10 for m in bank]
    assert 0.1 < np.mean(wide) < 0.8
    assert all(0.005 < m.mean() < 0.35 for m in bank)


def test_a_share_of_denoising_crops_stays_clean():
    from restore_app.training import degrade

    x = torch.rand(64, 3, 16, 16)
    g = torch.Generator().manual_seed(3)
    out = degrade.degrade_noise(x, g)
    untouched = (out == x).flatten(1).all(1)
    # About CLEAN_SHARE of 64 (binomial: 6.4 expected), and never all or none.
    assert 1 <= int(untouched.sum()) <= 16
    noisy = degrade.degrade_noise(x, g, clean_share=0.0)
    assert not (noisy == x).flatten(1).all(1).any()
    assert torch.equal(degrade.degrade_noise(x, g, clean_share=1.0), x)


def test_the_noise_ramp_spares_clean_photos_and_keeps_noise_and_grain_cleaned():
    from restore_app.core.estimate import strength_for
    from restore_app.models.learned import removed_level
    from restore_app.training.data import dead_leaves
    from restore_app.training.strength import CLEAN_FLOOR, fit_noise_strength

    rng = np.random.default_rng(0)
    photos = [dead_leaves(256, rng) for _ in range(6)]

    def blur(x: np.ndarray) -> np.ndarray:  # a denoiser that also blurs detail
        return cv2.GaussianBlur(x, (0, 0), 0.7)

    ramp, fit = fit_noise_strength(photos, blur)
    at_ramp, full = fit["psnr_at_ramp"], fit["psnr_at_full_strength"]
    assert at_ramp["0.0"] > full["0.0"] + 3.0
    assert fit["clean_worst_at_ramp"] >= CLEAN_FLOOR
    assert at_ramp["50.0"] >= full["50.0"] - 0.05
    # The measure is what the denoiser removes where the picture is flat: its
    # own blur of a clean photo stays under the ramp's middle, heavy noise is
    # past its end.
    clean = photos[0].astype(np.float32) / 255.0
    assert strength_for(removed_level(clean, blur(clean)), ramp) < 0.5
    assert strength_for(50.0, ramp) == 1.0


def test_small_print_crops_shrink_whole_photographs_into_four_cells():
    from restore_app.training import detector_data

    # Two photos, each a ramp across its width in a channel of its own.
    ramp = np.tile(np.linspace(0, 255, 300)[None, :, None], (200, 1, 3))
    photos = [(ramp * np.array(c)).astype(np.uint8) for c in ((1, 0, 0), (0, 1, 0))]
    rng = np.random.default_rng(5)
    for _ in range(20):
        crop = detector_data.crop_small(photos, 64, rng)
        assert crop.shape == (64, 64, 3) and crop.dtype == np.float32
        assert crop.min() >= 0.0 and crop.max() <= 1.0
        for cell in (crop[:32, :32], crop[:32, 32:], crop[32:, :32], crop[32:, 32:]):
            # One photo per cell, shrunk at least 3.75×: at least 120 of the
            # ramp's 300 px (0.4 of its range) squeezed into 32.
            assert (cell[..., 0] == 0).all() or (cell[..., 1] == 0).all()
            values = cell.max(axis=2)
            assert values.max() - values.min() >= 0.35


def test_detector_quick_training_lowers_the_loss_and_loads(tmp_path, monkeypatch):
    from restore_app.models import detection
    from restore_app.training import detector, detector_data

    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for i in range(14):
        cv2.imwrite(str(folder / f"leaves{i:02d}.png"), dead_leaves(128, rng))
    for p in DATA.glob("heldout_*.png"):
        cv2.imwrite(str(folder / p.name), cv2.imread(str(p)))
    train, val, test = detector_data.detector_split([folder])
    assert not set(train) & (set(val) | set(test)) and val and test
    assert not set(val) & set(test)

    trainer = detector.DetectorTrainer(
        [folder],
        tmp_path / "runs",
        "cpu",
        total_minutes=0.5,
        quick=True,
        film_shapes=FILM_SHAPES,
    )
    losses = trainer.run(5.0, log_every=1000, on_log=lambda s: None, max_steps=60)
    k = 12
    assert np.mean(losses[-k:]) < np.mean(losses[:k])
    assert trainer.best_path.is_file() and trainer.checkpoint_path.is_file()
    best = trainer.history[-1]
    assert {"threshold", "score", "precision", "recall", "f1", "false_alarms"} <= set(
        best
    )

    again = detector.DetectorTrainer(
        [folder],
        tmp_path / "runs",
        "cpu",
        total_minutes=0.5,
        quick=True,
        film_shapes=FILM_SHAPES,
    )
    again.resume(again.checkpoint_path)
    assert again.step == trainer.step == 60

    models = tmp_path / "models"
    trainer.hardware_used.append("CPU (a test)")
    detector.export(trainer, models)
    card = json.loads((models / "detect-unet.json").read_text())
    _same_card_as_shipped(models / "detect-unet.json")
    assert card["task"] == "detect"
    chosen = card["training"]["validation_best"]
    assert card["default_threshold"] == chosen["threshold"]
    margins = card["training"]["margin_psnr"]
    assert card["mask_margin"] in detector_data.MARGINS
    assert margins[str(card["mask_margin"])] == max(margins.values())
    # the finer sweep finds no worse: a better score within the false-alarm cap,
    # or fewer false alarms where no threshold keeps within it
    if best["false_alarms"] <= detector.FALSE_ALARM_CAP:
        assert chosen["score"] >= best["score"] - 1e-9
    else:
        assert chosen["false_alarms"] <= best["false_alarms"]
    # A run started from the exported weights continues the run behind them:
    # the same weights, its steps, minutes and history from the card, and a
    # fresh optimiser that warms up again.
    onward = detector.DetectorTrainer(
        [folder],
        tmp_path / "onward",
        "cpu",
        total_minutes=0.5,
        quick=True,
        film_shapes=FILM_SHAPES,
    )
    onward.resume(models / detector.WEIGHTS)
    exported = load_file(str(models / detector.WEIGHTS))
    name, weight = next(iter(exported.items()))
    assert torch.equal(onward.model.state_dict()[name].half(), weight)
    assert torch.equal(onward.ema.state_dict()[name].half(), weight)
    assert onward.step == onward.warm_from == card["training"]["steps"]
    assert onward.elapsed == pytest.approx(card["training"]["minutes"] * 60)
    assert onward.history == card["training"]["validation_history"]
    assert onward.hardware_used == [card["training"]["hardware"]]
    assert onward._lr() < trainer.lr / 100
    onward.run(5.0, log_every=1000, on_log=lambda s: None, max_steps=2)
    assert onward.step == card["training"]["steps"] + 2
    monkeypatch.setenv("RESTORE_MODELS_DIR", str(models))
    monkeypatch.setattr(registry, "builtin_models_dir", lambda: tmp_path / "none")
    # The new weights, not cached ones; and the shipped ones again afterwards.
    registry.forget_restorer(detector.DETECTOR_ID)
    img = cv2.imread(str(DATA / "aged_twowings.png"))[..., ::-1].copy()
    try:
        proposal = detection.detect(img, detector_id=detector.DETECTOR_ID)
    finally:
        registry.forget_restorer(detector.DETECTOR_ID)
    assert proposal.probability.shape == img.shape[:2]
    assert proposal.operation["source"] == "user"
    assert proposal.midpoint == pytest.approx(card["default_threshold"])
    assert proposal.operation["threshold"] == proposal.midpoint


FILM_SHAPES = DATA / "film-shapes-sample.json.gz"


@pytest.mark.parametrize(("medium", "sign"), [("negative", 1), ("slide", -1)])
def test_film_damage_shows_light_on_negatives_and_dark_on_slides(medium, sign):
    from restore_app.training import film

    library = film.load_shapes(FILM_SHAPES)
    assert {s.kind for s in library} == {"dust", "scratch"}
    rng = np.random.default_rng(5)
    gray = np.full((192, 192, 3), 0.45, np.float32)
    found = 0
    for _ in range(6):
        x, labels, clean = film.sample(gray, rng, library, medium)
        hit = labels > 0
        found += int(hit.sum())
        if hit.any():
            change = (x - clean).mean(-1)[hit]
            assert np.mean(np.sign(change) == sign) > 0.95
        # where nothing is labelled, the scan is the clean one (grain and all)
        # but for the faint edges of particles
        assert (
            np.abs(x - clean)[
                ~cv2.dilate(hit.astype(np.uint8), np.ones((5, 5))).astype(bool)
            ].mean()
            < 0.01
        )
    assert found > 50


def test_film_shapes_of_the_validation_scans_are_kept_apart():
    from restore_app.training import film

    train = film.load_shapes(FILM_SHAPES)
    held = film.load_shapes(FILM_SHAPES, held_out=True)
    assert train and held
    assert not {id(s) for s in train} & {id(s) for s in held}
    # Scan (10) was traced at 1/1.5 the others' scale: brought to theirs.
    assert np.median([np.ptp(s.points, 0).max() for s in held]) > 10
